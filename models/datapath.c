/* models/datapath.c — the hardware-exact datapath of every PE kind (docs/pe.md): accumulate
 * over [k0, k1), finish one output, and the bound on its distance from the ideal GEMM. The
 * PeKind table (models/pekind.c) points each kind at its functions here. */
#include "models/datapath.h"

#include <math.h>
#include <stddef.h>

#include "models/fpx.h"

const FpxFmt GOLDEN_BITMOD_ACC = {6, 15, 0};

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
void dp_fp16_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++)
        a->out = fmaf(fp16f(w->u[at(w, n, k)]), fp16f(x->u[at(x, m, k)]), a->out);
}

/* Integer kinds (int8/int4, OliVe, ANT): exact integer products of grid units. */
void dp_int_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++)
        a->iacc += (int64_t)w->u[at(w, n, k)] * (int64_t)x->u[at(x, m, k)];
}

float dp_int_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m)
{
    float y = (float)a->iacc; /* int64 -> fp32, round to nearest even */
    y = y * w->scale[quant_gidx(w, n, 0)];
    return y * x->scale[quant_gidx(x, m, 0)];
}

/* FP16 x INT8 (weight-only OliVe / ANT): the weight's grid value u (|u| <= 192, exact in fp16 and
 * fp32) times the fp16 activation is exact in fp32 (<= 19 significant bits); one rounding per
 * accumulation, in k order. The row's weight scale comes at the end (dp_row_scaled_finish). */
void dp_fpxint_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++)
        a->out = fmaf((float)w->u[at(w, n, k)], fp16f(x->u[at(x, m, k)]), a->out);
}

float dp_row_scaled_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m)
{
    return a->out * w->scale[quant_gidx(w, n, 0)];
}

/* w4a16-dq: every weight dequantized to fp16 (one fp16 rounding), then the fp16 MAC. */
void dp_w4a16_dq_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    for (int k = k0; k < k1; k++) /* dq16 = fp16(fp16(u - z) * s): one fp16 rounding per weight */
        a->out = fmaf(fp16f(w->dq16[at(w, n, k)]), fp16f(x->u[at(x, m, k)]), a->out);
}

/* MixPE W4A8: exact in-group integer sums, one dequant (fp32 FMA with the group scale) per group,
 * the per-token activation scale applied once at the end. */
void dp_mixpe_w4a8_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
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

float dp_scaled_by_x_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m)
{
    return a->out * x->scale[quant_gidx(x, m, 0)];
}

/* MixPE W4A16: activations as exact fixed point (units of 2^-24), exact in-group sums, the group
 * sum rounded once to fp32 and dequantized with one fp32 FMA. */
void dp_mixpe_w4a16_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
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

void dp_bitmod_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
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

float dp_out_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m) { return a->out; }


/* ------------------------------------------------------------------ error bounds (docs/pe.md)
 * Each bounds |hardware-exact - ideal| given S = sum |w_k x_k| of dequantized values, smax the
 * largest weight-group scale of the row, K and G the row's length and group count;
 * u = 2^-24 is the fp32 unit roundoff. golden_error_bound() adds 1% for second-order terms. */
#define U32 0x1p-24

double dp_fp16_bound(const QMat *w, const QMat *x, double S, double smax) { return w->cols * U32 * S; }
/* integer products and sums are exact: the int64 -> fp32 conversion and two scalings round */
double dp_int_bound(const QMat *w, const QMat *x, double S, double smax) { return 3 * U32 * S; }
/* one fp16 rounding per dequantized weight, then the fp32 chain */
double dp_w4a16_dq_bound(const QMat *w, const QMat *x, double S, double smax)
{
    return (0x1p-11 + (w->cols + 1) * U32) * S;
}
/* exact in-group sums; one FMA per group and the final scaling */
double dp_mixpe_w4a8_bound(const QMat *w, const QMat *x, double S, double smax) { return (w->ngroups + 2) * U32 * S; }
/* as W4A8 plus the group sum's rounding to fp32 */
double dp_mixpe_w4a16_bound(const QMat *w, const QMat *x, double S, double smax)
{
    return (2 * w->ngroups + 2) * U32 * S;
}
/* the fp32 chain of the fp16 kind (on exact products) and the final scaling */
double dp_fpxint_bound(const QMat *w, const QMat *x, double S, double smax) { return (w->cols + 1) * U32 * S; }
/* the 14-bit truncating alignment per cycle, the {6,15} group accumulator, the group FMAs */
double dp_bitmod_bound(const QMat *w, const QMat *x, double S, double smax)
{
    const int K = w->cols, G = w->ngroups, cycles = 2 * ((K + 3) / 4);
    double xs = x->scale[0]; /* fp16 activations: 1 */
    return (0x1p-11 + (w->group / 2.0) * 0x1p-16 + (G + 2) * U32) * S + cycles * 0x1p-21 * smax * xs;
}
