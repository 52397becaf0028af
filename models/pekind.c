/* models/pekind.c — the PE kind table and the accuracy formats that run on the kinds; see
 * pekind.h. Sources of the timing rows: docs/pe.md and docs/simulator.md; of the RTL bundles:
 * docs/rtl.md §2; of the GPU kernels: docs/gpu.md. */
#include "models/pekind.h"

#include <stdio.h>
#include <string.h>

const char *const pe_kind_names[PE_KIND_COUNT + 1] = {
    [PE_FP16] = "fp16",
    [PE_INT8] = "int8",
    [PE_W4A16_DQ] = "w4a16-dq",
    [PE_MIXPE_W4A8] = "mixpe-w4a8",
    [PE_MIXPE_W4A8_BS] = "mixpe-w4a8-bs",
    [PE_MIXPE_W4A16] = "mixpe-w4a16",
    [PE_BITMOD] = "bitmod",
    [PE_OLIVE] = "olive",
    [PE_ANT] = "ant",
    [PE_OLIVE_W4A16] = "olive-w4a16",
    [PE_ANT_W4A16] = "ant-w4a16",
    [PE_KIND_COUNT] = NULL,
};

/* Timing rows:  lanes step lat  w   x  meta acc out gdq wdq dec xsum muls dqbusy */
#define TIMING(...) {__VA_ARGS__}
#define RTL(xf, wf, xw, xwg, ww) {xf, wf, xw, xwg, ww}
#define X(f) (1u << (f))

const PeKind pe_kinds[PE_KIND_COUNT] = {
    [PE_FP16] = {
        .xfmts = X(OPF_FP16),
        .wscheme = QS_FP16, .xscheme = QS_FP16, .k_align = 1,
        .var = {{16, OPF_FP16, "fp16", "iso/fp16", "cublas-fp16"}},
        .timing = TIMING(1, 1, 1, 16, 16, 0, 32, 32, 0, 0, 0, 0, 0, 0),
        .run = dp_fp16_run, .finish = dp_out_finish, .bound = dp_fp16_bound,
        .tech_section = "pe.fp16",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_CODE, 16, 0, 16),
    },
    [PE_INT8] = {
        .xfmts = X(OPF_INT8) | X(OPF_INT4),
        .wscheme = QS_SYM_ROW, .xscheme = QS_SYM_ROW, .int_acc = 1, .k_align = 1,
        .var = {{8, OPF_INT8, "int8", "iso/int8", NULL}},
        .timing = TIMING(1, 1, 1, 8, 8, 0, 32, 32, 0, 0, 0, 0, 2, 0),
        .run = dp_int_run, .finish = dp_int_finish, .bound = dp_int_bound,
        .tech_section = "pe.int8",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_CODE, 8, 0, 8),
    },
    /* the dequantizer sits on the weight edge: one more pipeline stage */
    [PE_W4A16_DQ] = {
        .xfmts = X(OPF_FP16),
        .wscheme = QS_ASYM_GROUP, .xscheme = QS_FP16, .k_align = 1,
        .var = {{4, OPF_UINT4, "w4a16-dq", "iso/w4a16-dq", "w4a16-dq"}},
        .timing = TIMING(1, 1, 2, 4, 16, 20, 32, 32, 0, 1, 0, 0, 0, 0),
        .run = dp_w4a16_dq_run, .finish = dp_out_finish, .bound = dp_w4a16_dq_bound,
        .tech_section = "pe.w4a16-dq",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_GROUP_U4, 16, 0, 16),
    },
    /* the group dequant (one fp32 FMA) is pipelined: one more stage at the end; the exact
     * in-group sum (|d| < 2^21 at g = 128) holds groups of at most 4096 */
    [PE_MIXPE_W4A8] = {
        .xfmts = X(OPF_INT8),
        .wscheme = QS_ASYM_GROUP, .xscheme = QS_SYM_ROW, .k_align = 1, .group_max = 4096,
        .var = {{4, OPF_UINT4, "mixpe-w4a8", "iso/mixpe-w4a8", "mixpe-w4a8"}},
        .timing = TIMING(1, 1, 2, 4, 8, 20, 32, 32, 1, 0, 0, 1, 1, 0),
        .run = dp_mixpe_w4a8_run, .finish = dp_scaled_by_x_finish, .bound = dp_mixpe_w4a8_bound,
        .tech_section = "pe.mixpe-w4a8",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_GROUP_U4, 16, 1, 25),
    },
    /* the same arithmetic, one weight bit per cycle; no preset of its own: it runs the W4A8 format
     * and preset with pe_kind = mixpe-w4a8-bs (tests/test_pekind.c allows a preset of a kind with
     * the same datapath) */
    [PE_MIXPE_W4A8_BS] = {
        .xfmts = X(OPF_INT8),
        .wscheme = QS_ASYM_GROUP, .xscheme = QS_SYM_ROW, .k_align = 1, .group_max = 4096,
        .var = {{4, OPF_UINT4, "mixpe-w4a8", "iso/mixpe-w4a8", "mixpe-w4a8"}},
        .timing = TIMING(1, 4, 2, 4, 8, 20, 32, 32, 1, 0, 0, 1, 1, 0),
        .run = dp_mixpe_w4a8_run, .finish = dp_scaled_by_x_finish, .bound = dp_mixpe_w4a8_bound,
        .tech_section = "pe.mixpe-w4a8-bs",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_GROUP_U4, 16, 1, 25),
    },
    [PE_MIXPE_W4A16] = {
        .xfmts = X(OPF_FP16),
        .wscheme = QS_ASYM_GROUP, .xscheme = QS_FP16, .k_align = 1, .group_max = 4096,
        .var = {{4, OPF_UINT4, "mixpe-w4a16", "iso/mixpe-w4a16", "mixpe-w4a16"}},
        .timing = TIMING(1, 1, 2, 4, 16, 20, 32, 32, 1, 0, 0, 1, 0, 0),
        .run = dp_mixpe_w4a16_run, .finish = dp_out_finish, .bound = dp_mixpe_w4a16_bound,
        .tech_section = "pe.mixpe-w4a16",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_GROUP_U4, 58, 1, 25),
    },
    /* 4 lanes, 2 terms per weight; the bit-serial dequant (11 cycles: the fp16 scale's
     * significand, one bit per cycle, then one rounding cycle) overlaps the next group and is
     * exposed once at the end. It takes a new group 12 cycles after the last: a group of >= 24
     * weights (6 steps of >= 2 cycles, pe_kind_min_group) never waits; a short last group can. */
    [PE_BITMOD] = {
        .xfmts = X(OPF_FP16),
        .wscheme = QS_BITMOD, .xscheme = QS_FP16, .k_align = 4, .group_multiple = 4,
        .var = {{4, OPF_BITMOD_FP4, "bitmod-w4", "iso/bitmod-w4", "bitmod-w4"}, {3, OPF_BITMOD_FP3, "bitmod-w3", "iso/bitmod-w3", "bitmod-w3"}},
        .timing = TIMING(4, 2, 12, 4, 16, 24, 32, 32, 1, 0, 0, 0, 0, 12),
        .run = dp_bitmod_run, .finish = dp_out_finish, .bound = dp_bitmod_bound,
        .tech_section = "pe.bitmod",
        .rtl = RTL(PE_FEED_LANES16, PE_FEED_LANES_GRP, 64, 0, 54),
    },
    /* edge decoders add a stage on the way in */
    [PE_OLIVE] = {
        .xfmts = X(OPF_OLIVE4),
        .wscheme = QS_OLIVE, .xscheme = QS_OLIVE, .int_acc = 1, .k_align = 1,
        .var = {{4, OPF_OLIVE4, "olive-w4a4", "iso/olive", "olive-w4a4"}},
        .timing = TIMING(1, 1, 2, 4, 4, 0, 32, 32, 0, 0, PE_DEC_W | PE_DEC_X, 0, 2, 0),
        .run = dp_int_run, .finish = dp_int_finish, .bound = dp_int_bound,
        .tech_section = "pe.olive",
        .rtl = RTL(PE_FEED_PAIR, PE_FEED_PAIR, 7, 0, 7),
    },
    [PE_ANT] = {
        .xfmts = X(OPF_ANT4),
        .wscheme = QS_ANT, .xscheme = QS_ANT, .int_acc = 1, .k_align = 1,
        .var = {{4, OPF_ANT4, "ant-w4a4", "iso/ant", NULL}},
        .timing = TIMING(1, 1, 2, 4, 4, 0, 32, 32, 0, 0, PE_DEC_W | PE_DEC_X, 0, 2, 0),
        .run = dp_int_run, .finish = dp_int_finish, .bound = dp_int_bound,
        .tech_section = "pe.ant",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_CODE, 7, 0, 7),
    },
    /* Weight-only OliVe and ANT, as BitMoD's evaluation runs them: fp16 activations, the 4-bit
     * weight decoded at the weight edge to its integer (|u| <= 192: exact in fp16), an FP16 x INT8
     * PE (exact product, fp32 accumulate) and the weight row's scale applied once at the end. */
    [PE_OLIVE_W4A16] = {
        .xfmts = X(OPF_FP16),
        .wscheme = QS_OLIVE, .xscheme = QS_FP16, .k_align = 1,
        .var = {{4, OPF_OLIVE4, "olive-w4a16", "iso/olive-w4a16", NULL}},
        .timing = TIMING(1, 1, 2, 4, 16, 0, 32, 32, 0, 0, PE_DEC_W, 0, 1, 0),
        .run = dp_fpxint_run, .finish = dp_row_scaled_finish, .bound = dp_fpxint_bound,
        .tech_section = "pe.olive-w4a16",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_PAIR, 16, 0, 16),
    },
    [PE_ANT_W4A16] = {
        .xfmts = X(OPF_FP16),
        .wscheme = QS_ANT, .xscheme = QS_FP16, .k_align = 1,
        .var = {{4, OPF_ANT4, "ant-w4a16", "iso/ant-w4a16", NULL}},
        .timing = TIMING(1, 1, 2, 4, 16, 0, 32, 32, 0, 0, PE_DEC_W, 0, 1, 0),
        .run = dp_fpxint_run, .finish = dp_row_scaled_finish, .bound = dp_fpxint_bound,
        .tech_section = "pe.ant-w4a16",
        .rtl = RTL(PE_FEED_CODE, PE_FEED_CODE, 16, 0, 16),
    },
};

int pe_kind_from_name(const char *name, PeKindId *id)
{
    for (int i = 0; i < PE_KIND_COUNT; i++)
        if (strcmp(pe_kind_names[i], name) == 0) {
            *id = (PeKindId)i;
            return 0;
        }
    return -1;
}

int pe_kind_nvariants(PeKindId id)
{
    int n = 0;
    while (n < PE_MAX_VARIANTS && pe_kinds[id].var[n].weight_bits)
        n++;
    return n;
}

const PeVariant *pe_kind_variant(PeKindId id, int weight_bits)
{
    const PeKind *k = &pe_kinds[id];
    if (weight_bits == 0)
        return &k->var[0];
    for (int i = 0; i < PE_MAX_VARIANTS && k->var[i].weight_bits; i++)
        if (k->var[i].weight_bits == weight_bits)
            return &k->var[i];
    return NULL;
}

int pe_kind_check_group(PeKindId id, int group, MpErr *e)
{
    const PeKind *k = &pe_kinds[id];
    if (k->group_multiple > 0 && group % k->group_multiple != 0)
        return mp_errf(e, MP_EINPUT, "group size %d: %s needs a multiple of its %d lanes", group, pe_kind_names[id],
                       k->group_multiple);
    if (k->group_max > 0 && group > k->group_max)
        return mp_errf(e, MP_EINPUT, "group size %d: %s's exact in-group sum holds at most %d", group,
                       pe_kind_names[id], k->group_max);
    return MP_OK;
}

int pe_kind_min_group(PeKindId id)
{
    const PeTiming *t = &pe_kinds[id].timing;
    if (t->dq_busy <= 0)
        return 1;
    int steps = (t->dq_busy + t->step_cycles - 1) / t->step_cycles;
    return steps * t->lanes;
}

/* ------------------------------------------------------------------ accuracy formats */

#define QP(s, f, g, t) {s, f, g, t, BM_ERR_FP16, 0, ANT_FB_OFF, 0}
/* ANT with its 8-bit fallback by the tensor's 4-bit MSNR (accuracy only: the ant kinds' RTL and
 * simulator datapaths take 4-bit codes; the golden datapaths are exact for 8-bit ones, docs/pe.md) */
#define QP_ANT_FB(t) {QS_ANT, 0, 0, t, BM_ERR_FP16, 0, ANT_FB_MSNR, ANT_FB_DB_DEFAULT}
const NumFormat num_formats[] = {
    {"fp16", PE_FP16, QP(QS_FP16, 0, 0, 0), QP(QS_FP16, 0, 0, 0), "fp16 weights and activations"},
    {"int8", PE_INT8, QP(QS_SYM_ROW, FMT_INT8, 0, 0), QP(QS_SYM_ROW, FMT_INT8, 0, 0),
     "int8 per-channel weights, int8 per-token activations"},
    {"int8-a4", PE_INT8, QP(QS_SYM_ROW, FMT_INT8, 0, 0), QP(QS_SYM_ROW, FMT_INT4, 0, 0),
     "int8 per-channel weights, int4 per-token activations ([quant] act_format = int4 on the int8 PE)"},
    {"int4", PE_INT8, QP(QS_SYM_ROW, FMT_INT4, 0, 0), QP(QS_SYM_ROW, FMT_INT4, 0, 0),
     "naive W4A4: int4 per-channel weights and per-token activations, no outlier handling"},
    {"w4a16-dq", PE_W4A16_DQ, QP(QS_ASYM_GROUP, FMT_UINT4, 128, 0), QP(QS_FP16, 0, 0, 0),
     "uint4 g128 weights dequantized to fp16, fp16 activations"},
    {"mixpe-w4a8", PE_MIXPE_W4A8, QP(QS_ASYM_GROUP, FMT_UINT4, 128, 0), QP(QS_SYM_ROW, FMT_INT8, 0, 0),
     "uint4 g128 weights, int8 per-token activations, dequant per group"},
    {"mixpe-w4a16", PE_MIXPE_W4A16, QP(QS_ASYM_GROUP, FMT_UINT4, 128, 0), QP(QS_FP16, 0, 0, 0),
     "uint4 g128 weights, fp16 activations, dequant per group"},
    {"bitmod-w4", PE_BITMOD, QP(QS_BITMOD, FMT_BITMOD_FP4, 128, 0), QP(QS_FP16, 0, 0, 0),
     "FP4 + per-group special value, g128, fp16 activations"},
    {"bitmod-w3", PE_BITMOD, QP(QS_BITMOD, FMT_BITMOD_FP3, 128, 0), QP(QS_FP16, 0, 0, 0),
     "FP3 + per-group special value, g128, fp16 activations"},
    {"olive-w4a4", PE_OLIVE, QP(QS_OLIVE, 0, 0, 0), QP(QS_OLIVE, 0, 0, 1),
     "outlier-victim pairs, per-row weight / per-tensor activation scales"},
    {"ant-w4a4", PE_ANT, QP(QS_ANT, 0, 0, 0), QP(QS_ANT, 0, 0, 1),
     "ANT int/flint/PoT per tensor, per-row weight / per-tensor activation scales"},
    {"olive-w4a16", PE_OLIVE_W4A16, QP(QS_OLIVE, 0, 0, 0), QP(QS_FP16, 0, 0, 0),
     "outlier-victim pair weights (per-row scales), fp16 activations (BitMoD's evaluation)"},
    {"ant-w4a16", PE_ANT_W4A16, QP(QS_ANT, 0, 0, 0), QP(QS_FP16, 0, 0, 0),
     "ANT int/flint/PoT weights per tensor (per-row scales), fp16 activations (BitMoD's evaluation)"},
    /* accuracy-only rows (no PE variant names them): ANT with its 8-bit fallback */
    {"ant-w4a4-mp", PE_ANT, QP_ANT_FB(0), QP_ANT_FB(1),
     "ant-w4a4 with the 8-bit fallback: a GEMM whose weights or activations have a 4-bit MSNR below the "
     "threshold runs both at ant-int8"},
    {"ant-w4a16-mp", PE_ANT_W4A16, QP_ANT_FB(0), QP(QS_FP16, 0, 0, 0),
     "ant-w4a16 with the 8-bit fallback: weights with a 4-bit MSNR below the threshold are stored as ant-int8"},
};
const int num_formats_count = (int)(sizeof num_formats / sizeof num_formats[0]);

const NumFormat *num_format_find(const char *name)
{
    for (int i = 0; i < num_formats_count; i++)
        if (!strcmp(num_formats[i].name, name))
            return &num_formats[i];
    return NULL;
}

const NumFormat *num_format_lookup(const char *name, MpErr *e)
{
    const NumFormat *nf = num_format_find(name);
    if (nf)
        return nf;
    char list[512];
    size_t n = 0;
    for (int i = 0; i < num_formats_count && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", num_formats[i].name);
    mp_errf(e, MP_EINPUT, "unknown format '%s' (known: %s, all)", name, list);
    return NULL;
}

const NumFormat *num_format_for_kind(PeKindId kind, int weight_bits)
{
    const PeVariant *v = pe_kind_variant(kind, weight_bits);
    return v ? num_format_find(v->format) : NULL;
}

const NumFormat *num_format_for_operands(PeKindId kind, int weight_bits, int act)
{
    const NumFormat *own = num_format_for_kind(kind, weight_bits);
    if (!own || act < 0 || act >= OPF_COUNT)
        return NULL;
    const OpFmt *x = &op_fmts[act];
    const int same_scheme = own->xq.scheme == x->qs;
    if (same_scheme && (x->qs != QS_SYM_ROW || own->xq.fmt == x->fmt))
        return own;
    for (int i = 0; i < num_formats_count; i++) {
        const NumFormat *f = &num_formats[i];
        if (f->kind == kind && f->wq.scheme == own->wq.scheme && f->wq.fmt == own->wq.fmt && f->xq.scheme == x->qs &&
            (x->qs != QS_SYM_ROW || f->xq.fmt == x->fmt))
            return f;
    }
    return NULL;
}
