/* models/opfmt.c — the operand format table; see opfmt.h. Metadata widths follow the quantizers
 * (quant.h) and the kinds' timing rows (pekind.c): fp32 row scales, fp16 group scale + 4-bit zero
 * (20 bits) for uint4, fp16 scale + 8 bits of type for BitMoD's groups (24). */
#include "models/opfmt.h"

#include <string.h>

/*  name          bits meta per weight, per activation  dyn ovp quantizer */
const OpFmt op_fmts[OPF_COUNT] = {
    [OPF_FP32] = {"fp32", 32, 0, OPF_PER_NONE, OPF_PER_NONE, 0, 0, QS_FP16, 0, "IEEE binary32 (outputs kept unquantized)"},
    [OPF_FP16] = {"fp16", 16, 0, OPF_PER_NONE, OPF_PER_NONE, 0, 0, QS_FP16, 0, "IEEE binary16"},
    [OPF_INT8] = {"int8", 8, 32, OPF_PER_ROW, OPF_PER_ROW, 1, 0, QS_SYM_ROW, FMT_INT8,
                  "int8 symmetric, fp32 scale per token (activations) or channel (weights), dynamic"},
    [OPF_INT4] = {"int4", 4, 32, OPF_PER_ROW, OPF_PER_ROW, 1, 0, QS_SYM_ROW, FMT_INT4, "int4 symmetric, fp32 scale per row, dynamic"},
    [OPF_UINT4] = {"uint4", 4, 20, OPF_PER_GROUP, OPF_PER_GROUP, 0, 0, QS_ASYM_GROUP, FMT_UINT4,
                   "uint4 with fp16 scale and uint4 zero per group of [quant] group_size"},
    [OPF_BITMOD_FP4] = {"bitmod-fp4", 4, 24, OPF_PER_GROUP, OPF_PER_GROUP, 0, 0, QS_BITMOD, FMT_BITMOD_FP4,
                        "BitMoD FP4 + per-group special value, fp16 scale per group"},
    [OPF_BITMOD_FP3] = {"bitmod-fp3", 3, 24, OPF_PER_GROUP, OPF_PER_GROUP, 0, 0, QS_BITMOD, FMT_BITMOD_FP3,
                        "BitMoD FP3 + per-group special value, fp16 scale per group"},
    [OPF_OLIVE4] = {"olive4", 4, 32, OPF_PER_ROW, OPF_PER_TENSOR, 0, 1, QS_OLIVE, 0,
                    "OliVe outlier-victim pairs; fp32 scale per row (weights) or per tensor (activations, static)"},
    [OPF_ANT4] = {"ant4", 4, 32, OPF_PER_ROW, OPF_PER_TENSOR, 0, 0, QS_ANT, 0,
                  "ANT int/flint/PoT chosen per tensor; fp32 scale per row (weights) or tensor (activations, static)"},
};

int opfmt_from_name(const char *name, OpFmtId *id)
{
    for (int i = 0; i < OPF_COUNT; i++)
        if (!strcmp(op_fmts[i].name, name)) {
            *id = (OpFmtId)i;
            return 0;
        }
    return -1;
}

double opfmt_act_bits(OpFmtId id, int64_t k)
{
    const OpFmt *f = &op_fmts[id];
    return f->per_x == OPF_PER_ROW ? f->bits + (double)f->meta_bits / (double)(k > 0 ? k : 1) : f->bits;
}

int opfmt_act_qparams(OpFmtId id, QParams *p)
{
    const OpFmt *f = &op_fmts[id];
    if (id == OPF_FP32)
        return -1;
    *p = (QParams){.scheme = f->qs, .fmt = f->fmt, .per_tensor = f->per_x == OPF_PER_TENSOR, .bm_err = BM_ERR_FP16};
    return 0;
}
