/* models/golden.c — see golden.h; the datapaths are specified in docs/pe.md. */
#include "models/golden.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "models/fpx.h"

const FpxFmt GOLDEN_BITMOD_ACC = {6, 15, 0};

/* ------------------------------------------------------------------ format table */

#define QP(s, f, g, t) {s, f, g, t, BM_ERR_FP16, 0}
const NumFormat num_formats[] = {
    {"fp16", PE_FP16, QP(QS_FP16, 0, 0, 0), QP(QS_FP16, 0, 0, 0), "fp16 weights and activations"},
    {"int8", PE_INT8, QP(QS_SYM_ROW, FMT_INT8, 0, 0), QP(QS_SYM_ROW, FMT_INT8, 0, 0),
     "int8 per-channel weights, int8 per-token activations"},
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
};
const int num_formats_count = (int)(sizeof num_formats / sizeof num_formats[0]);

const NumFormat *num_format_find(const char *name)
{
    for (int i = 0; i < num_formats_count; i++)
        if (!strcmp(num_formats[i].name, name))
            return &num_formats[i];
    return NULL;
}

const NumFormat *num_format_for_kind(PeKindId kind, int weight_bits)
{
    if (kind == PE_MIXPE_W4A8_BS)
        kind = PE_MIXPE_W4A8; /* same arithmetic, bit-serial timing */
    for (int i = 0; i < num_formats_count; i++) {
        const NumFormat *f = &num_formats[i];
        if (f->kind != kind)
            continue;
        if (kind == PE_INT8 && f->wq.fmt != FMT_INT8)
            continue;
        if (kind == PE_BITMOD && (weight_bits == 3) != (f->wq.fmt == FMT_BITMOD_FP3))
            continue;
        return f;
    }
    return NULL;
}

/* ------------------------------------------------------------------ helpers */

static inline size_t at(const QMat *q, int r, int c) { return (size_t)r * (size_t)q->cols + (size_t)c; }
static inline float fp16f(int32_t bits) { return fp16_to_f32((uint16_t)bits); }
static inline int group_end(const QMat *w, int k) { return (k + 1) % w->group == 0 || k + 1 == w->cols; }

/* fp16 value as an exact integer in units of 2^-24 (the smallest subnormal): |X| < 2^41. */
static inline int64_t fp16_fixed24(int32_t bits)
{
    int64_t e = (bits >> 10) & 31, m = bits & 1023;
    int64_t v = e ? (m | 1024) << (e - 1) : m;
    return (bits & 0x8000) ? -v : v;
}

/* ------------------------------------------------------------------ datapaths */

/* fp16: fp32 accumulator, one fused multiply-add per k (products of fp16 are exact in fp32). */
static void run_fp16(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++)
        a->out = fmaf(fp16f(w->u[at(w, n, k)]), fp16f(x->u[at(x, m, k)]), a->out);
}

/* Integer kinds (int8/int4, OliVe, ANT): exact integer products of grid units. */
static void run_int(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++)
        a->iacc += (int64_t)w->u[at(w, n, k)] * (int64_t)x->u[at(x, m, k)];
}

static float finish_int(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m)
{
    float y = (float)a->iacc; /* int64 -> fp32, round to nearest even */
    y = y * w->scale[quant_gidx(w, n, 0)];
    return y * x->scale[quant_gidx(x, m, 0)];
}

/* w4a16-dq: every weight dequantized to fp16 (one fp16 rounding), then the fp16 MAC. */
static void run_w4a16_dq(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++) /* dq16 = fp16(fp16(u - z) * s): one fp16 rounding per weight */
        a->out = fmaf(fp16f(w->dq16[at(w, n, k)]), fp16f(x->u[at(x, m, k)]), a->out);
}

/* MixPE W4A8: exact in-group integer sums, one dequant (fp32 FMA with the group scale) per group,
 * the per-token activation scale applied once at the end. */
static void run_mixpe_w4a8(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++) {
        int32_t xv = x->u[at(x, m, k)];
        a->iacc += (int64_t)w->u[at(w, n, k)] * xv;
        a->xsum += xv;
        if (group_end(w, k)) {
            int g = quant_gidx(w, n, k);
            int64_t d = a->iacc - (int64_t)w->zero[g] * a->xsum; /* |d| < 2^21 for g = 128: exact in fp32 */
            a->out = fmaf((float)d, w->scale[g], a->out);
            a->iacc = a->xsum = 0;
        }
    }
}

static float finish_scaled_by_x(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m)
{
    return a->out * x->scale[quant_gidx(x, m, 0)];
}

/* MixPE W4A16: activations as exact fixed point (units of 2^-24), exact in-group sums, the group
 * sum rounded once to fp32 and dequantized with one fp32 FMA. */
static void run_mixpe_w4a16(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++) {
        int64_t xv = fp16_fixed24(x->u[at(x, m, k)]);
        a->iacc += (int64_t)w->u[at(w, n, k)] * xv;
        a->xsum += xv;
        if (group_end(w, k)) {
            int g = quant_gidx(w, n, k);
            int64_t d = a->iacc - (int64_t)w->zero[g] * a->xsum;
            a->out = fmaf(ldexpf((float)d, -24), w->scale[g], a->out);
            a->iacc = a->xsum = 0;
        }
    }
}

/* BitMoD: 4 lanes; each weight is streamed as at most two power-of-two terms (hi, then lo),
 * one term per lane per cycle. Per cycle: lane products are the activation's 11-bit
 * significand at exponent (activation exponent + term exponent); the lanes are aligned to
 * their largest exponent in a 14-bit field (3 guard bits, truncation), summed into a 17-bit
 * signed value, and added to the group accumulator with one round-to-nearest-even into the
 * {6,15} minifloat. At the group's end, one fp32 FMA with the signed group scale. */
/* Power-of-two terms of a weight magnitude 0..16 (FP4 units / FP3): exponent of the high and
 * the low term, -1 for none. Every grid value and special value is a sum of at most two. */
static const signed char term_hi[17] = {-1, 0, 1, 1, 2, 2, 2, -1, 3, -1, 3, -1, 3, -1, -1, -1, 4};
static const signed char term_lo[17] = {-1, -1, -1, 0, -1, 0, 1, -1, -1, -1, 1, -1, 2, -1, -1, -1, -1};

static void bitmod_cycle(GoldenAcc *a, const int32_t *u4, const int32_t *x4, int term)
{
    int e[4], mag[4], neg[4], live = 0, emax = 0;
    for (int l = 0; l < 4; l++) {
        int32_t u = u4[l], au = u < 0 ? -u : u;
        int te = term == 0 ? term_hi[au] : term_lo[au];
        int32_t h = x4[l];
        int ex = (h >> 10) & 31, mx = h & 1023;
        if (ex)
            mx |= 1024;
        else
            ex = 1;
        mag[l] = 0;
        if (te < 0 || !mx)
            continue;
        e[l] = ex + te;
        mag[l] = mx;
        neg[l] = (u < 0) != ((h & 0x8000) != 0);
        if (!live || e[l] > emax)
            emax = e[l];
        live = 1;
    }
    if (!live)
        return;
    int32_t s = 0;
    for (int l = 0; l < 4; l++) {
        if (!mag[l])
            continue;
        int sh = emax - e[l];
        int32_t al = sh >= 14 ? 0 : (mag[l] << 3) >> sh;
        s += neg[l] ? -al : al;
    }
    /* s * 2^(emax - 28): fp16 value = significand * 2^(exp - 25), and 3 guard bits. The sum below
     * is exact in double (see docs/pe.md), so the only rounding is fpx_round's. */
    a->gacc = fpx_round(&GOLDEN_BITMOD_ACC, a->gacc + (double)s * fpx_pow2(emax - 28));
}

static void run_bitmod(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k += 4) {
        int32_t u4[4] = {0, 0, 0, 0}, x4[4] = {0, 0, 0, 0};
        for (int l = 0; l < 4 && k + l < k1; l++) {
            u4[l] = w->u[at(w, n, k + l)];
            x4[l] = x->u[at(x, m, k + l)];
        }
        bitmod_cycle(a, u4, x4, 0);
        bitmod_cycle(a, u4, x4, 1);
        int last = k + 4 >= k1 ? k1 - 1 : k + 3;
        if (group_end(w, last)) {
            a->out = fmaf((float)a->gacc, w->scale[quant_gidx(w, n, last)], a->out);
            a->gacc = 0;
        }
    }
}

static float finish_out(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m) { return a->out; }

typedef struct GoldenKind {
    void (*run)(GoldenAcc *, const QMat *, int, const QMat *, int, int, int);
    float (*finish)(const GoldenAcc *, const QMat *, int, const QMat *, int);
    QScheme wscheme, xscheme;  /* what the datapath accepts */
    int k_align;
} GoldenKind;

static const GoldenKind kinds[PE_KIND_COUNT] = {
    [PE_FP16] = {run_fp16, finish_out, QS_FP16, QS_FP16, 1},
    [PE_INT8] = {run_int, finish_int, QS_SYM_ROW, QS_SYM_ROW, 1},
    [PE_W4A16_DQ] = {run_w4a16_dq, finish_out, QS_ASYM_GROUP, QS_FP16, 1},
    [PE_MIXPE_W4A8] = {run_mixpe_w4a8, finish_scaled_by_x, QS_ASYM_GROUP, QS_SYM_ROW, 1},
    [PE_MIXPE_W4A8_BS] = {run_mixpe_w4a8, finish_scaled_by_x, QS_ASYM_GROUP, QS_SYM_ROW, 1},
    [PE_MIXPE_W4A16] = {run_mixpe_w4a16, finish_out, QS_ASYM_GROUP, QS_FP16, 1},
    [PE_BITMOD] = {run_bitmod, finish_out, QS_BITMOD, QS_FP16, 4},
    [PE_OLIVE] = {run_int, finish_int, QS_OLIVE, QS_OLIVE, 1},
    [PE_ANT] = {run_int, finish_int, QS_ANT, QS_ANT, 1},
};

int golden_k_align(PeKindId kind) { return kinds[kind].k_align; }

int golden_check(PeKindId kind, const QMat *w, const QMat *x, MpErr *e)
{
    const GoldenKind *g = &kinds[kind];
    if (w->scheme != g->wscheme || x->scheme != g->xscheme)
        return mp_errf(e, MP_EINPUT, "%s datapath: weights or activations quantized with the wrong scheme",
                       pe_kind_names[kind]);
    if (w->cols != x->cols)
        return mp_errf(e, MP_EINPUT, "GEMM: K of weights (%d) and activations (%d) differ", w->cols, x->cols);
    if (kind == PE_BITMOD && w->group % 4 != 0)
        return mp_errf(e, MP_EINPUT, "bitmod: group size %d is not a multiple of the 4 lanes", w->group);
    if ((kind == PE_MIXPE_W4A16 || kind == PE_MIXPE_W4A8 || kind == PE_MIXPE_W4A8_BS) && w->group > 4096)
        return mp_errf(e, MP_EINPUT, "%s: group size %d above 4096 overflows the in-group sum",
                       pe_kind_names[kind], w->group);
    return MP_OK;
}

double golden_error_bound(PeKindId kind, const QMat *w, int n, const QMat *x, int m)
{
    const double u = 0x1p-24; /* fp32 unit roundoff */
    const int K = w->cols, G = w->ngroups;
    double S = 0, smax = 0; /* S = sum |w_k x_k| of dequantized values */
    for (int k = 0; k < K; k++)
        S += fabs(quant_value(w, n, k) * quant_value(x, m, k));
    for (int g = 0; g < (w->per_tensor ? 1 : G); g++)
        smax = fmax(smax, fabs((double)w->scale[n * (w->per_tensor ? 0 : G) + g]));
    const double slack = 1.01; /* second-order terms (products of roundoffs) */
    switch (kind) {
    case PE_FP16: return slack * K * u * S;
    case PE_INT8:
    case PE_OLIVE:
    case PE_ANT: return slack * 3 * u * S;
    case PE_W4A16_DQ: return slack * (0x1p-11 + (K + 1) * u) * S;
    case PE_MIXPE_W4A8:
    case PE_MIXPE_W4A8_BS: return slack * (G + 2) * u * S;
    case PE_MIXPE_W4A16: return slack * (2 * G + 2) * u * S;
    case PE_BITMOD: {
        const int cycles = 2 * ((K + 3) / 4);
        double xs = x->scale[0]; /* fp16 activations: 1 */
        return slack * ((0x1p-11 + (w->group / 2.0) * 0x1p-16 + (G + 2) * u) * S + cycles * 0x1p-21 * smax * xs);
    }
    default: return 0;
    }
}

void golden_acc_reset(GoldenAcc *a) { memset(a, 0, sizeof *a); }

void golden_acc_run(PeKindId kind, GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    kinds[kind].run(a, w, n, x, m, k0, k1);
}

float golden_acc_finish(PeKindId kind, const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m)
{
    return kinds[kind].finish(a, w, n, x, m);
}

int golden_gemm_hw(PeKindId kind, const QMat *w, const QMat *x, float *y, MpErr *e)
{
    int rc = golden_check(kind, w, x, e);
    if (rc)
        return rc;
    const GoldenKind *g = &kinds[kind];
    /* every output is independent: rows of W in parallel, bit-identical to a serial run */
#pragma omp parallel for schedule(dynamic, 4)
    for (int n = 0; n < w->rows; n++)
        for (int m = 0; m < x->rows; m++) {
            GoldenAcc a;
            golden_acc_reset(&a);
            g->run(&a, w, n, x, m, 0, w->cols);
            y[(size_t)m * w->rows + n] = g->finish(&a, w, n, x, m);
        }
    return MP_OK;
}

int golden_gemm_ideal(const QMat *w, const QMat *x, double *y, MpErr *e)
{
    const int K = w->cols, M = x->rows, N = w->rows;
    double *xd = mp_calloc((size_t)M * K, sizeof *xd), *wd = mp_calloc((size_t)N * K, sizeof *wd);
    if (!xd || !wd) {
        mp_free(xd);
        mp_free(wd);
        return mp_errf(e, MP_ENOMEM, "out of memory in the ideal GEMM");
    }
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++)
            xd[(size_t)m * K + k] = quant_value(x, m, k);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        double *wr = wd + (size_t)n * K;
        for (int k = 0; k < K; k++)
            wr[k] = quant_value(w, n, k);
        for (int m = 0; m < M; m++) {
            const double *xr = xd + (size_t)m * K;
            double s = 0;
            for (int k = 0; k < K; k++)
                s += wr[k] * xr[k];
            y[(size_t)m * N + n] = s;
        }
    }
    mp_free(xd);
    mp_free(wd);
    return MP_OK;
}

void golden_gemm_ref(const float *w, const float *x, int M, int N, int K, double *y)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)w[(size_t)n * K + k] * (double)x[(size_t)m * K + k];
            y[(size_t)m * N + n] = s;
        }
}
