/* models/opfmt.h — operand formats: how one operand of a GEMM (weights, activations, the KV
 * cache, outputs) is stored and moved, one table row per format.
 *
 * A design names a format per operand ([quant] weight_format, act_format, kv_format, out_format;
 * docs/config.md); the PE kind's row says which it accepts (pekind.h). A format's row gives the bits
 * it costs — `bits` per element plus `meta_bits` per scale unit (`per`: a group of `group` elements
 * along K, a row = a token or an output channel, or the whole tensor) — and how its scale is found:
 * `dynamic` formats compute it from the data at run time (the per-token max |x|: a reduction before
 * the scaling), static ones carry a calibrated scale (OliVe's and ANT's activations, per tensor).
 * `qs`/`fmt` are the quantizer (quant.h) the golden path and accuracy studies use for that operand.
 *
 * Element layouts are in docs/formats.md; this table only prices them.
 */
#ifndef MP_MODELS_OPFMT_H
#define MP_MODELS_OPFMT_H

#include "models/fmt.h"
#include "models/quant.h"

typedef enum OpFmtId {
    OPF_FP32,       /* IEEE binary32: unquantized outputs                               */
    OPF_FP16,       /* IEEE binary16                                                     */
    OPF_INT8,       /* int8, symmetric, fp32 scale per row (token or channel), dynamic   */
    OPF_INT4,       /* int4, symmetric, fp32 scale per row, dynamic                      */
    OPF_UINT4,      /* uint4 with an fp16 scale and a 4-bit zero per group (MixPE, w4a16-dq) */
    OPF_BITMOD_FP4, /* BitMoD FP4 + per-group special value and fp16 scale               */
    OPF_BITMOD_FP3, /* BitMoD FP3 + per-group special value and fp16 scale               */
    OPF_OLIVE4,     /* OliVe 4-bit outlier-victim pairs, fp32 scale per row or tensor    */
    OPF_ANT4,       /* ANT 4-bit int/flint/PoT chosen per tensor, fp32 scale per row or tensor */
    OPF_COUNT
} OpFmtId;

typedef enum { OPF_PER_NONE, OPF_PER_GROUP, OPF_PER_ROW, OPF_PER_TENSOR } OpFmtPer;

typedef struct OpFmt {
    const char *name;  /* config and `mpsim list formats` spelling                         */
    int bits;          /* code bits per element                                            */
    int meta_bits;     /* bits of scale (and zero, type) per scale unit                    */
    OpFmtPer per_w;    /* the scale unit as a weight: a K group, a row (channel), none     */
    OpFmtPer per_x;    /* as an activation, KV-cache entry or output: a row (token), the
                        * tensor (OliVe, ANT: calibrated), none                            */
    int dynamic;       /* 1: the scale comes from the data at run time (a max reduction)   */
    int ovp;           /* 1: elements are encoded in pairs with outlier detection (OliVe)  */
    QScheme qs;        /* the quantizer of the golden path and accuracy studies            */
    FmtId fmt;         /* its element format where the scheme has several (int8 / int4)    */
    const char *desc;
} OpFmt;

extern const OpFmt op_fmts[OPF_COUNT];

/* 0 and *id when name is a format, -1 otherwise. */
int opfmt_from_name(const char *name, OpFmtId *id);
/* Stored bits per element of an activation, KV-cache or output row of k elements, metadata
 * included: a scale per row (token) adds meta_bits / k; a per-tensor scale amortises to nothing. */
double opfmt_act_bits(OpFmtId id, int64_t k);
/* The quantizer of an activation, KV-cache or output operand stored in format id (a per-tensor
 * scale for OliVe and ANT, per row otherwise); 0, or -1 for fp32 (nothing to quantize). */
int opfmt_act_qparams(OpFmtId id, QParams *p);
/* A format is quantized (needs a requantization pass to be produced from fp32 outputs) unless it is
 * fp32; fp16 needs one rounding. */
static inline int opfmt_is_float(OpFmtId id) { return id == OPF_FP32 || id == OPF_FP16; }

#endif
