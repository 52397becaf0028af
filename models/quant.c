/* models/quant.c — the quantizers. Conventions: see quant.h and docs/formats.md.
 *
 * Two implementations of every scheme that is costly: the reference (quant_matrix_ref), written
 * as the definition reads, and the fast path (quant_matrix), which must give the same bits in every
 * field of the QMat; tests/test_quant.c compares the two on random and adversarial inputs. A
 * 4096 x 11008 matrix takes well under a second in any scheme (docs/bench.md). The fast paths use:
 *  - inline rounding without library calls (fmt_rne, fmt_nearest, fp16_from_f64);
 *  - tables of the few values an operation takes per group or row (uint4 dq16: 16 per group;
 *    BitMoD wq and thresholds: per distinct scale);
 *  - thresholds instead of per-element arithmetic where rounding is monotone ("thresholds" below:
 *    BitMoD, ANT, OliVe's final pass), each found with the reference's own rounding;
 *  - one pass where the reference makes several (ANT's three types, OliVe's 88 alpha candidates),
 *    every floating-point sum still taken in the reference's order;
 *  - loops over blocks of a few elements with thresholds outside, which compilers vectorize.
 * OpenMP runs over rows (or groups); shared results are combined in row order, so nothing depends
 * on the thread count. */
#include "quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "fpx.h"

void quant_free(QMat *q)
{
    mp_free(q->code);
    mp_free(q->u);
    mp_free(q->scale);
    mp_free(q->zero);
    mp_free(q->variant);
    mp_free(q->dq16);
    memset(q, 0, sizeof *q);
}

double quant_value(const QMat *q, int r, int c)
{
    size_t i = (size_t)r * (size_t)q->cols + (size_t)c;
    if (q->scheme == QS_FP16)
        return fp16_to_f64((uint16_t)q->u[i]);
    int g = quant_gidx(q, r, c);
    double z = q->zero ? (double)q->zero[g] : 0.0;
    return ((double)q->u[i] - z) * (double)q->scale[g];
}

/* ---------------------------------------------------------------- allocation */

static int alloc_q(QMat *q, const QParams *p, int rows, int cols, int group, int per_tensor, MpErr *e)
{
    memset(q, 0, sizeof *q);
    q->scheme = p->scheme;
    q->fmt = p->fmt;
    q->rows = rows;
    q->cols = cols;
    q->group = group;
    q->per_tensor = per_tensor;
    q->ngroups = per_tensor ? 1 : (cols + group - 1) / group;
    size_t n = (size_t)rows * (size_t)cols, ns = per_tensor ? 1 : (size_t)rows * (size_t)q->ngroups;
    q->code = mp_calloc(n, 1);
    q->u = mp_calloc(n, sizeof *q->u);
    q->scale = mp_calloc(ns, sizeof *q->scale);
    if (p->scheme == QS_ASYM_GROUP) {
        q->zero = mp_calloc(ns, sizeof *q->zero);
        q->dq16 = mp_calloc(n, sizeof *q->dq16);
    }
    if (p->scheme == QS_BITMOD)
        q->variant = mp_calloc(ns, 1);
    if (!q->code || !q->u || !q->scale || (p->scheme == QS_ASYM_GROUP && (!q->zero || !q->dq16)) ||
        (p->scheme == QS_BITMOD && !q->variant)) {
        quant_free(q);
        return mp_errf(e, MP_ENOMEM, "out of memory quantizing a %d x %d matrix", rows, cols);
    }
    return MP_OK;
}

/* fp16 value of a positive scale, kept away from 0 and Inf (smallest subnormal .. max). */
static float fp16_scale(double s)
{
    double v = fp16_to_f64(fp16_from_f64(s));
    if (v < 0x1p-24)
        v = 0x1p-24;
    if (v > 65504.0)
        v = 65504.0;
    return (float)v;
}

/* ---------------------------------------------------------------- thresholds
 *
 * The fast paths replace per-element rounding by comparisons. Every rounding here (to a grid, to
 * fp16, the reference's chains of both) is a monotone function of its input, so the index it
 * returns is the number of thresholds <= the input, threshold k being the least input whose index
 * is >= k. Inputs are ordered by an integer key (float and fp16 bits, negatives mirrored, so that
 * -0 and +0 share key 0), and each threshold is found by evaluating the reference's own rounding:
 * exact by construction, whatever the arithmetic inside. */

typedef int (*KeyPred)(int32_t key, const void *ctx); /* monotone in key: false..., then true... */

/* The least key in [lo, hi] where pred holds, hi + 1 if none. Gallops away from guess (which a
 * caller puts at or next to the answer: then two evaluations), then bisects the bracket. */
static int32_t key_first_true(int32_t lo, int32_t hi, int32_t guess, KeyPred pred, const void *ctx)
{
    int64_t a, b; /* invariant: !pred(a) or a == lo - 1; pred(b) or b == hi + 1 */
    guess = guess < lo ? lo : guess > hi ? hi : guess;
    if (pred(guess, ctx)) {
        b = guess;
        for (int64_t step = 1;; step *= 2) {
            a = b - step;
            if (a < lo) {
                a = (int64_t)lo - 1;
                break;
            }
            if (!pred((int32_t)a, ctx))
                break;
            b = a;
        }
    } else {
        a = guess;
        for (int64_t step = 1;; step *= 2) {
            b = a + step;
            if (b > hi) {
                b = (int64_t)hi + 1;
                break;
            }
            if (pred((int32_t)b, ctx))
                break;
            a = b;
        }
    }
    while (b - a > 1) {
        int64_t m = a + (b - a) / 2;
        if (pred((int32_t)m, ctx))
            b = m;
        else
            a = m;
    }
    return (int32_t)b;
}

#define FKEY_MAX 0x7f7fffff /* key of FLT_MAX */

/* Order keys of floats: non-negative floats order like their bits. */
static inline int32_t fkey(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b >> 31 ? -(int32_t)(b & 0x7fffffffu) : (int32_t)b;
}

static inline float fkey_float(int32_t k)
{
    uint32_t b = k >= 0 ? (uint32_t)k : 0x80000000u | (uint32_t)-k;
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* Blocks of 8 elements: 8 x 32 bits are two SSE vectors, which compilers keep in registers
 * across a loop over thresholds (wider blocks stay in memory). */
#define KBLK 8

/* fkey of x[0..n), n <= KBLK, padded with key 0 (branch-free: compilers vectorize it). */
static inline void fkey_block(const float *x, int n, int32_t k[KBLK])
{
    uint32_t b[KBLK];
    if (n == KBLK)
        memcpy(b, x, sizeof b);
    else {
        memset(b, 0, sizeof b);
        memcpy(b, x, (size_t)n * sizeof *x);
    }
    for (int i = 0; i < KBLK; i++) {
        uint32_t neg = b[i] >> 31, mag = b[i] & 0x7fffffffu;
        k[i] = (int32_t)((mag ^ (0u - neg)) + neg);
    }
}

/* p[l] = #{i < nt : k[l] >= t[i]}: the index of each key among sorted thresholds. */
static inline void count_block(const int32_t *t, int nt, const int32_t k[KBLK], int32_t p[KBLK])
{
    int32_t kk[KBLK], pp[KBLK] = {0};
    memcpy(kk, k, sizeof kk);
    for (int i = 0; i < nt; i++) {
        const int32_t ti = t[i];
        for (int l = 0; l < KBLK; l++)
            pp[l] += kk[l] >= ti;
    }
    memcpy(p, pp, sizeof pp);
}

/* max |x[i]| over n finite floats: non-negative floats order like their bits, so an integer max
 * (which compilers vectorize) gives fmax's answer. */
static float absmax(const float *x, size_t n)
{
    int32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t b;
        memcpy(&b, &x[i], sizeof b);
        b &= 0x7fffffff;
        m = b > m ? b : m;
    }
    float f;
    memcpy(&f, &m, sizeof f);
    return f;
}

/* ---------------------------------------------------------------- fp16 */

static int quant_fp16(const float *src, QMat *q, MpErr *e)
{
    const size_t n = (size_t)q->rows * (size_t)q->cols;
    size_t bad = n; /* the first element beyond the fp16 range: the same one for any thread count */
#pragma omp parallel for schedule(static) reduction(min : bad)
    for (size_t i = 0; i < n; i++) {
        q->u[i] = fp16_from_f32(src[i]);
        if (fp16_is_inf((uint16_t)q->u[i]) && i < bad)
            bad = i;
    }
    if (bad < n)
        return mp_errf(e, MP_EINPUT, "element (%zu, %zu) = %g is beyond the fp16 range", bad / (size_t)q->cols,
                       bad % (size_t)q->cols, (double)src[bad]);
    q->scale[0] = 1.0f;
    return MP_OK;
}

/* ---------------------------------------------------------------- symmetric per row */

static void quant_sym_row(const float *src, QMat *q)
{
    const FmtDesc *f = fmt_get(q->fmt);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < q->rows; r++) {
        const float *x = src + (size_t)r * q->cols;
        double amax = absmax(x, (size_t)q->cols);
        float s = amax > 0 ? (float)(amax / f->max_abs) : 1.0f;
        q->scale[r] = s;
        for (int c = 0; c < q->cols; c++) {
            int code = fmt_nearest(f, (double)x[c] / (double)s);
            q->code[(size_t)r * q->cols + c] = (uint8_t)code;
            q->u[(size_t)r * q->cols + c] = f->value[code];
        }
    }
}

/* ---------------------------------------------------------------- asymmetric uint4 per group */

/* dq16 of the 16 codes of a group: fp16(fp16(u - zero) * fp16(scale)), u = 0..15. */
static void dq16_table(int32_t zero, float scale, uint16_t t[16])
{
    const uint16_t s16 = fp16_from_f64((double)scale);
    for (int u = 0; u < 16; u++)
        t[u] = fp16_mul(fp16_from_f64((double)(u - zero)), s16); /* exact: |u - zero| <= 15 */
}

/* Every element from its group's table (the same fp16 operations as the definition in quant.h,
 * done once per code value instead of once per element). */
void quant_fill_dq16(QMat *q)
{
#pragma omp parallel for schedule(static)
    for (int r = 0; r < q->rows; r++) {
        uint16_t t[16];
        int tg = -1;
        for (int c = 0; c < q->cols; c++) {
            size_t i = (size_t)r * q->cols + c;
            int g = quant_gidx(q, r, c);
            if (g != tg) {
                dq16_table(q->zero[g], q->scale[g], t);
                tg = g;
            }
            int32_t u = q->u[i];
            q->dq16[i] = u >= 0 && u < 16 ? t[u]
                                          : fp16_mul(fp16_from_f64((double)(u - q->zero[g])),
                                                     fp16_from_f64((double)q->scale[g]));
        }
    }
}

/* The reference (quant_matrix_ref): as documented in docs/formats.md, one fp16 product per element. */
static void quant_fill_dq16_ref(QMat *q)
{
    for (int r = 0; r < q->rows; r++)
        for (int c = 0; c < q->cols; c++) {
            size_t i = (size_t)r * q->cols + c;
            int g = quant_gidx(q, r, c);
            uint16_t d = fp16_from_f64((double)(q->u[i] - q->zero[g])); /* exact: |d| <= 15 */
            q->dq16[i] = fp16_mul(d, fp16_from_f64((double)q->scale[g]));
        }
}

/* ref: the library's fmin/fmax/nearbyint and the per-element dq16. The fast path's compare-and-
 * select equals fmin/fmax on finite values (on equal values, +-0 included, both keep the old one),
 * and fmt_rne equals nearbyint (fmt.h). */
static void quant_asym_group(const float *src, QMat *q, int ref)
{
    const FmtDesc *f = fmt_get(FMT_UINT4);
#pragma omp parallel for schedule(static) if (!ref)
    for (int r = 0; r < q->rows; r++)
        for (int g = 0; g < q->ngroups; g++) {
            const int c0 = g * q->group, c1 = c0 + q->group < q->cols ? c0 + q->group : q->cols;
            const float *x = src + (size_t)r * q->cols;
            double lo = 0, hi = 0; /* the range always holds 0, so 0 is exact */
            for (int c = c0; c < c1; c++) {
                double v = x[c];
                if (ref) {
                    lo = fmin(lo, v);
                    hi = fmax(hi, v);
                } else {
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
            }
            float s = hi > lo ? fp16_scale((hi - lo) / 15.0) : 1.0f;
            double z = ref ? nearbyint(-lo / (double)s) : fmt_rne(-lo / (double)s);
            z = z < 0 ? 0 : z > 15 ? 15 : z;
            const int gi = r * q->ngroups + g;
            q->scale[gi] = s;
            q->zero[gi] = (int32_t)z;
            uint16_t dq[16];
            dq16_table(q->zero[gi], s, dq);
            for (int c = c0; c < c1; c++) {
                double t = (double)x[c] / (double)s;
                double v = (ref ? nearbyint(t) : fmt_rne(t)) + z;
                int code = fmt_nearest(f, v);
                size_t i = (size_t)r * q->cols + c;
                q->code[i] = (uint8_t)code;
                q->u[i] = code;
                q->dq16[i] = dq[code]; /* u = code here */
            }
        }
    if (ref)
        quant_fill_dq16_ref(q);
}

/* ---------------------------------------------------------------- BitMoD */

double quant_bitmod_unit(FmtId fmt) { return fmt == FMT_BITMOD_FP4 ? 0.5 : 1.0; }

int32_t quant_bitmod_special(FmtId fmt, BitmodVariant v)
{
    int ea = v == BM_EA_POS || v == BM_EA_NEG, neg = v == BM_ER_NEG || v == BM_EA_NEG;
    int32_t sp = fmt == FMT_BITMOD_FP4 ? (ea ? 16 : 10) : (ea ? 6 : 3);
    return neg ? -sp : sp;
}

#define BM_BLK 16 /* the fast path's blocks: 16 x 16-bit keys are two SSE vectors */

/* One variant's grid in units (the format's values plus its special value) and its lookup table;
 * built once per matrix. */
typedef struct BitmodGrid {
    int32_t grid[FMT_MAX_CODES + 1];
    int n;
    double qmax; /* native units */
    FmtLut lut;
    int32_t u[FMT_MAX_CODES + 1];   /* stored u of grid[k]: negated for NEG variants (quant.h) */
    uint8_t code[FMT_MAX_CODES + 1]; /* stored code of grid[k] */
} BitmodGrid;

static void bitmod_grids(FmtId id, BitmodGrid g[4])
{
    const FmtDesc *f = fmt_get(id);
    for (int v = 0; v < 4; v++) {
        int32_t sp = quant_bitmod_special(id, (BitmodVariant)v);
        int inserted = 0, n = 0;
        for (int i = 0; i < f->nsorted; i++) {
            if (!inserted && sp < f->sorted[i]) {
                g[v].grid[n++] = sp;
                inserted = 1;
            }
            g[v].grid[n++] = f->sorted[i];
        }
        if (!inserted)
            g[v].grid[n++] = sp;
        g[v].n = n;
        g[v].qmax = fmax((double)f->max_abs, fabs((double)sp)) * quant_bitmod_unit(id);
        fmt_lut_build(&g[v].lut, g[v].grid, n, TIE_DOWN); /* the same answers as fmt_nearest_in */
        int neg = v == BM_ER_NEG || v == BM_EA_NEG;
        for (int k = 0; k < n; k++) {
            int32_t qu = g[v].grid[k], u = neg ? -qu : qu;
            g[v].u[k] = u;
            if (qu == sp && qu != 0)
                g[v].code[k] = (uint8_t)f->special_code;
            else {
                int mag = u < 0 ? -u : u, idx = 0;
                while (idx < (1 << (f->bits - 1)) && f->value[idx] != mag)
                    idx++;
                g[v].code[k] = (uint8_t)((u < 0 ? 1 << (f->bits - 1) : 0) | idx);
            }
        }
    }
}

/* A group's scale for a variant: fp16(max|w| / qmax), clamped to [fp16(1e-5), fp16(1e4)]. */
static uint16_t bitmod_scale(uint16_t amax16, double qmax)
{
    const uint16_t lo_clamp = fp16_from_f64(1e-5), hi_clamp = fp16_from_f64(1e4);
    uint16_t s = fp16_div(amax16, fp16_from_f64(qmax));
    if (fp16_to_f64(s) < fp16_to_f64(lo_clamp))
        s = lo_clamp;
    if (fp16_to_f64(s) > fp16_to_f64(hi_clamp))
        s = hi_clamp;
    return s;
}

/* The chosen variant's results into q: variant, signed scale, u and codes (grid index of element j:
 * map[k[j]], or k[j] without a map). */
static void bitmod_store(QMat *q, const BitmodGrid *g, int v, uint16_t s, int gi, size_t i0, const uint8_t *k,
                         const uint8_t *map, int n)
{
    int neg = v == BM_ER_NEG || v == BM_EA_NEG;
    q->variant[gi] = (uint8_t)v;
    /* stored: the POS grid and a negative scale for NEG variants; x0.5 is exact in fp32 */
    q->scale[gi] = (float)((neg ? -1.0 : 1.0) * fp16_to_f64(s) * quant_bitmod_unit(q->fmt));
    for (int j = 0; j < n; j++) {
        int kj = map ? map[k[j]] : k[j];
        q->u[i0 + j] = g->u[kj];
        q->code[i0 + j] = g->code[kj];
    }
}

/* The reference quantizer of one group (see docs/formats.md, "BitMoD"): for every variant in
 * order, scale = fp16(max|w| / qmax) clamped, x = fp16(w / scale), nearest grid value with ties
 * to the lower one, wq = fp16(q * scale), error = mean squared error; strict < wins.
 * Returns the variant chosen under `mode` and sets *other to the one the other mode picks;
 * kidx_out[v][j] is the grid index variant v gives w16[j]. */
static int bitmod_group_ref(FmtId id, const BitmodGrid vg[4], const uint16_t *w16, int n, BitmodErrMode mode,
                            int only, int *other, uint16_t scale_out[4], uint8_t kidx_out[][1024 + BM_BLK])
{
    const double unit = quant_bitmod_unit(id), inv_unit = 1.0 / unit; /* 1 or 2: exact */
    double amax = 0;
    for (int j = 0; j < n; j++)
        amax = fmax(amax, fabs(fp16_to_f64(w16[j])));
    uint16_t amax16 = fp16_from_f64(amax);
    int best16 = -1, best64 = -1;
    double e16_best = 0, e64_best = 0;
    for (int v = 0; v < 4; v++) {
        const BitmodGrid *g = &vg[v];
        uint16_t s = bitmod_scale(amax16, g->qmax);
        double sum16 = 0, sum64 = 0;
        for (int j = 0; j < n; j++) {
            double x = fp16_to_f64(fp16_div(w16[j], s));
            int k = fmt_lut_find(&g->lut, x * inv_unit);
            uint16_t wq = fp16_mul(fp16_from_f64((double)g->grid[k] * unit), s);
            uint16_t d = fp16_sub(w16[j], wq);
            sum16 += fp16_to_f64(fp16_mul(d, d)); /* exact: fp16 values sum exactly in double */
            double dd = fp16_to_f64(w16[j]) - fp16_to_f64(wq);
            sum64 += dd * dd;
            kidx_out[v][j] = (uint8_t)k;
        }
        scale_out[v] = s;
        double e16 = fp16_to_f64(fp16_from_f64(sum16 / n)), e64 = sum64 / n;
        if (best16 < 0 || e16 < e16_best) {
            best16 = v;
            e16_best = e16;
        }
        if (best64 < 0 || e64 < e64_best) {
            best64 = v;
            e64_best = e64;
        }
    }
    if (only) { /* a single variant for every group (for comparisons) */
        *other = only - 1;
        return only - 1;
    }
    *other = mode == BM_ERR_FP16 ? best64 : best16;
    return mode == BM_ERR_FP16 ? best16 : best64;
}

/* ---- the fast path: thresholds on the fp16 weight instead of per-weight fp16 arithmetic ----
 *
 * Within a group the scale s of a variant is fixed, so the reference's grid index of a weight w,
 * k(w) = lut(fp16(w / s) / unit), is a function of w alone, and a monotone one: fp16 division by
 * s > 0 and the nearest-value search (ties down) are both monotone. With ties down, the nearest
 * value's index is the number of grid midpoints strictly below fp16(w / s) / unit (at a midpoint
 * the lower value wins; beyond the ends it saturates), so
 *
 *     k(w) = #{ midpoints m of the grid : key(w) >= T_m },   T_m = least key with fp16(w/s)/unit > m
 *
 * where key() orders fp16 values as integers (-0 and +0 share key 0) and T_m is found by searching
 * that very predicate (bitmod_threshold), so it is exact by construction. A POS variant and its NEG
 * twin (ER_POS/ER_NEG, EA_POS/EA_NEG) have the same qmax, hence the same scale: they form a
 * "class" with one sorted list of the union of their midpoints, so one search per weight and class
 * gives a position p, and cnt[i][p] is the grid index of the class's variant i. The midpoint rule
 * is checked against the LUT for every fp16 x by tests/test_quant.c (bitmod_midpoint_rule).
 *
 * Thresholds and the fp16 products wq = fp16(q * s) depend only on the class and s, so they are
 * computed once per distinct scale of the matrix (BitmodAtScale; a few thousand of them) rather
 * than once per group. The group's max|w| comes from the fp32 inputs: fp16 rounding is monotone
 * and odd, so max fp16(|x|) = fp16(max |x|).
 *
 * The errors keep the reference's arithmetic: dd = w - wq exactly in double; the fp16 error term
 * fp16(fp16(dd)^2) comes from a table over fp16(dd) (sums of fp16 values are exact in double, so
 * their order does not matter), and the fp64 error is summed in the reference's order. Where the
 * two variants of a class give a weight the same wq, its terms are computed once. */

#define BM_MAXT 32        /* midpoints per class (FP4: 18) */
#define BM_KEY_MAX 0x7c00 /* +Inf; finite inputs can round to +-Inf in fp16 but never to NaN */

typedef struct BitmodClass {  /* variants 2c (POS) and 2c + 1 (NEG) */
    int nm;                   /* union of their midpoints, sorted, in grid units */
    double mid[BM_MAXT];
    uint8_t cnt[2][BM_MAXT + 1]; /* cnt[i][p]: grid index of variant 2c + i at position p */
} BitmodClass;

typedef struct BitmodAtScale { /* one class at one scale */
    int16_t t[BM_MAXT];        /* thresholds T_m (fp16 keys), sorted                          */
    double wq[2][BM_MAXT + 1]; /* per variant of the class and position: value of fp16(q * s) */
} BitmodAtScale;

typedef struct BitmodFast {
    BitmodClass cls[2];
    float *sq;        /* 0x8000 entries: value of fp16(d * d) for d of magnitude bits 0..0x7fff */
    uint16_t *gscale; /* rows * ngroups * 2: each group's scale (fp16 bits) per class            */
    int32_t *slot;    /* 2 * 0x8000: index into at[] of (class, scale bits), -1 if unused        */
    BitmodAtScale *at;
    int nat;
} BitmodFast;

static inline int bm_key(uint16_t h) { return h & 0x8000 ? -(int)(h & 0x7fff) : (int)h; }
static inline uint16_t bm_key_h(int k) { return (uint16_t)(k >= 0 ? k : 0x8000 | -k); }

static double bm_mid(const BitmodGrid *g, int k) { return 0.5 * ((double)g->grid[k - 1] + (double)g->grid[k]); }

static void bitmod_fast_free(BitmodFast *bf)
{
    mp_free(bf->sq);
    mp_free(bf->gscale);
    mp_free(bf->slot);
    mp_free(bf->at);
}

/* The classes and the square table: 0; -1 if the grids do not fit (never for FP3/FP4; quant_bitmod
 * then runs the reference); -2 if out of memory. */
static int bitmod_fast_init(const BitmodGrid g[4], size_t ngroups, BitmodFast *bf)
{
    memset(bf, 0, sizeof *bf);
    for (int c = 0; c < 2; c++) {
        BitmodClass *cl = &bf->cls[c];
        if (g[2 * c].qmax != g[2 * c + 1].qmax)
            return -1;
        for (int i = 0; i < 2; i++)
            for (int k = 1; k < g[2 * c + i].n; k++) { /* insert, keeping mid[] sorted and distinct */
                double m = bm_mid(&g[2 * c + i], k);
                int j = 0;
                while (j < cl->nm && cl->mid[j] < m)
                    j++;
                if (j < cl->nm && cl->mid[j] == m)
                    continue;
                if (cl->nm == BM_MAXT)
                    return -1;
                memmove(&cl->mid[j + 1], &cl->mid[j], (size_t)(cl->nm - j) * sizeof cl->mid[0]);
                cl->mid[j] = m;
                cl->nm++;
            }
        for (int i = 0; i < 2; i++) {
            const BitmodGrid *gv = &g[2 * c + i];
            for (int p = 0; p <= cl->nm; p++) { /* own midpoints among the first p of the union */
                int k = 0;
                for (int kk = 1; kk < gv->n; kk++)
                    k += p > 0 && bm_mid(gv, kk) <= cl->mid[p - 1];
                cl->cnt[i][p] = (uint8_t)k;
            }
        }
    }
    bf->sq = mp_malloc(0x8000 * sizeof *bf->sq);
    bf->gscale = mp_malloc(ngroups * 2 * sizeof *bf->gscale);
    bf->slot = mp_malloc(2 * 0x8000 * sizeof *bf->slot);
    if (!bf->sq || !bf->gscale || !bf->slot)
        return -2;
    for (uint32_t d = 0; d < 0x8000; d++)
        bf->sq[d] = fp16_to_f32(fp16_mul((uint16_t)d, (uint16_t)d)); /* every fp16 value is a float */
    return 0;
}

/* The reference's test for one midpoint: fp16(w / s) / unit > mid (w given by its fp16 key). */
typedef struct BmAbove {
    uint16_t s;
    double inv_unit, mid;
} BmAbove;

static int bm_above(int32_t key, const void *ctx)
{
    const BmAbove *c = ctx;
    return fp16_to_f64(fp16_div(bm_key_h(key), c->s)) * c->inv_unit > c->mid;
}

/* T: the least key in [-BM_KEY_MAX, BM_KEY_MAX] with bm_above, BM_KEY_MAX + 1 if none; the guess
 * fp16(mid * unit * s) is T or next to it. */
static int bitmod_threshold(uint16_t s, double unit, double mid)
{
    const BmAbove c = {s, 1.0 / unit, mid};
    const int guess = bm_key(fp16_from_f64(mid * unit * fp16_to_f64(s)));
    return key_first_true(-BM_KEY_MAX, BM_KEY_MAX, guess, bm_above, &c);
}

static void bitmod_at_scale(const BitmodGrid vg[4], const BitmodClass *cl, int c, uint16_t s, double unit,
                            BitmodAtScale *at)
{
    for (int m = 0; m < cl->nm; m++)
        at->t[m] = (int16_t)bitmod_threshold(s, unit, cl->mid[m]); /* <= BM_KEY_MAX + 1 */
    for (int i = 0; i < 2; i++) {
        const BitmodGrid *g = &vg[2 * c + i];
        double wk[FMT_MAX_CODES + 1];
        for (int k = 0; k < g->n; k++)
            wk[k] = fp16_to_f64(fp16_mul(fp16_from_f64((double)g->grid[k] * unit), s));
        for (int p = 0; p <= cl->nm; p++)
            at->wq[i][p] = wk[cl->cnt[i][p]];
    }
}

/* fp16 of x[0..n): the values (as doubles) and keys. In fp16's normal range the rounding is the
 * usual bit trick: RNE at bit 13 of the float (adding 0xfff plus the kept LSB), a mantissa carry
 * moving into the exponent; the rounded float is then the fp16 value itself. Elements outside
 * that range (subnormal or zero results, results >= 65520 that round to Inf) go through
 * fp16_from_f32. n is padded to a multiple of BM_BLK with zeros. Each loop over a block does one
 * thing without branches, so that compilers vectorize it. */
static void bm_convert(const float *x, int n, int16_t *keys, double *wd)
{
    for (int j0 = 0; j0 < n; j0 += BM_BLK) {
        uint32_t u[BM_BLK], fb[BM_BLK], kk[BM_BLK], bad[BM_BLK], any = 0;
        float f[BM_BLK];
        if (n - j0 >= BM_BLK)
            memcpy(u, x + j0, sizeof u);
        else {
            memset(u, 0, sizeof u);
            memcpy(u, x + j0, (size_t)(n - j0) * sizeof *x);
        }
        for (int i = 0; i < BM_BLK; i++) {
            const uint32_t mag = u[i] & 0x7fffffffu, neg = u[i] >> 31;
            const uint32_t r = mag + 0xfffu + ((mag >> 13) & 1u); /* round to 10 mantissa bits, RNE */
            fb[i] = (u[i] & 0x80000000u) | (r & 0xffffe000u);      /* the fp16 value as a float */
            kk[i] = (((r >> 13) - (112u << 10)) ^ (0u - neg)) + neg; /* fp16 bits, negated if x < 0 */
            bad[i] = mag - 0x38800000u >= 0x477ff000u - 0x38800000u; /* outside [2^-14, 65520) */
        }
        memcpy(f, fb, sizeof f);
        for (int i = 0; i < BM_BLK; i++)
            keys[j0 + i] = (int16_t)kk[i];
        for (int i = 0; i < BM_BLK; i++)
            wd[j0 + i] = f[i];
        for (int i = 0; i < BM_BLK; i++)
            any |= bad[i];
        if (any)
            for (int i = 0; i < BM_BLK; i++)
                if (bad[i]) {
                    uint16_t h = j0 + i < n ? fp16_from_f32(x[j0 + i]) : 0;
                    keys[j0 + i] = (int16_t)bm_key(h);
                    wd[j0 + i] = fp16_to_f64(h);
                }
    }
}

/* pos[j] = #{m < nm : keys[j] >= t[m]} for j < n rounded up to BM_BLK: thresholds outside,
 * elements inside, so that compilers vectorize the inner loop. */
static void bm_positions(const int16_t *t, int nm, const int16_t *keys, int n, uint8_t *pos)
{
    for (int j0 = 0; j0 < n; j0 += BM_BLK) {
        int16_t p[BM_BLK] = {0};
        for (int m = 0; m < nm; m++) {
            const int16_t tm = t[m];
            for (int i = 0; i < BM_BLK; i++)
                p[i] += keys[j0 + i] >= tm;
        }
        for (int i = 0; i < BM_BLK; i++)
            pos[j0 + i] = (uint8_t)p[i];
    }
}

/* One group of fp32 inputs x[0..n), its classes at scales at[0], at[1]: the same choice as
 * bitmod_group_ref; pos[c][j] is the position of x[j] in class c. */
static int bitmod_group_fast(const BitmodFast *bf, const BitmodAtScale *const at[2], const float *x, int n,
                             BitmodErrMode mode, int only, int *other, uint8_t pos[2][1024 + BM_BLK])
{
    int16_t keys[1024 + BM_BLK];
    double wd[1024 + BM_BLK];
    bm_convert(x, n, keys, wd);
    double sum16[4], sum64[4];
    for (int c = 0; c < 2; c++) {
        const BitmodAtScale *a = at[c];
        bm_positions(a->t, bf->cls[c].nm, keys, n, pos[c]);
        if (only)
            continue;
        const float *const sq = bf->sq;
        const double *const wq0 = a->wq[0], *const wq1 = a->wq[1];
        double a16 = 0, b16 = 0, a64 = 0, b64 = 0; /* variants 2c and 2c + 1 */
        for (int j = 0; j < n; j++) {
            const int p = pos[c][j];
            double dd = wd[j] - wq0[p]; /* exact: two fp16 values */
            double ta64 = dd * dd, ta16 = sq[fp16_from_f64(dd) & 0x7fff], tb64 = ta64, tb16 = ta16;
            if (wq1[p] != wq0[p]) {
                dd = wd[j] - wq1[p];
                tb64 = dd * dd;
                tb16 = sq[fp16_from_f64(dd) & 0x7fff];
            }
            a64 += ta64;
            b64 += tb64;
            a16 += ta16;
            b16 += tb16;
        }
        sum16[2 * c] = a16;
        sum16[2 * c + 1] = b16;
        sum64[2 * c] = a64;
        sum64[2 * c + 1] = b64;
    }
    if (only) {
        *other = only - 1;
        return only - 1;
    }
    int best16 = -1, best64 = -1;
    double e16_best = 0, e64_best = 0;
    for (int v = 0; v < 4; v++) { /* as bitmod_group_ref */
        double e16 = fp16_to_f64(fp16_from_f64(sum16[v] / n)), e64 = sum64[v] / n;
        if (best16 < 0 || e16 < e16_best) {
            best16 = v;
            e16_best = e16;
        }
        if (best64 < 0 || e64 < e64_best) {
            best64 = v;
            e64_best = e64;
        }
    }
    *other = mode == BM_ERR_FP16 ? best64 : best16;
    return mode == BM_ERR_FP16 ? best16 : best64;
}

/* The fast path's per-matrix tables: every group's two scales, then the BitmodAtScale of every
 * (class, scale) that occurs, numbered in (class, scale) order. 0 or -2 (out of memory). */
static int bitmod_fast_scales(const float *src, const QMat *q, const BitmodGrid vg[4], BitmodFast *bf)
{
    const double unit = quant_bitmod_unit(q->fmt);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < q->rows; r++)
        for (int g = 0; g < q->ngroups; g++) {
            const int c0 = g * q->group, n = c0 + q->group < q->cols ? q->group : q->cols - c0;
            const float *x = src + (size_t)r * q->cols + c0;
            const uint16_t amax16 = fp16_from_f32(absmax(x, (size_t)n));
            for (int c = 0; c < 2; c++)
                bf->gscale[2 * ((size_t)r * q->ngroups + g) + c] = bitmod_scale(amax16, vg[2 * c].qmax);
        }
    const size_t ng = (size_t)q->rows * q->ngroups;
    for (int i = 0; i < 2 * 0x8000; i++)
        bf->slot[i] = -1;
    for (size_t i = 0; i < ng; i++)
        for (int c = 0; c < 2; c++)
            bf->slot[c * 0x8000 + bf->gscale[2 * i + c]] = 0; /* scales are positive: < 0x8000 */
    int nat = 0;
    for (int i = 0; i < 2 * 0x8000; i++)
        if (bf->slot[i] == 0)
            bf->slot[i] = nat++ + 1; /* 1-based while marking, below */
    bf->at = mp_malloc((size_t)(nat ? nat : 1) * sizeof *bf->at);
    if (!bf->at)
        return -2;
    bf->nat = nat;
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < 2 * 0x8000; i++)
        if (bf->slot[i] > 0) {
            bf->slot[i]--;
            int c = i / 0x8000;
            bitmod_at_scale(vg, &bf->cls[c], c, (uint16_t)(i % 0x8000), unit, &bf->at[bf->slot[i]]);
        }
    return 0;
}

static int quant_bitmod(const float *src, QMat *q, BitmodErrMode mode, int only, int ref, MpErr *e)
{
    if (q->group > 1024)
        return mp_errf(e, MP_EINPUT, "BitMoD group size %d larger than 1024", q->group);
    long long disagree = 0;
    BitmodGrid vg[4];
    bitmod_grids(q->fmt, vg);
    BitmodFast bf;
    memset(&bf, 0, sizeof bf);
    int rc = ref ? -1 : bitmod_fast_init(vg, (size_t)q->rows * q->ngroups, &bf);
    if (rc == 0)
        rc = bitmod_fast_scales(src, q, vg, &bf);
    if (rc == -2) {
        bitmod_fast_free(&bf);
        return mp_errf(e, MP_ENOMEM, "out of memory in the BitMoD quantizer");
    }
    const int fast = rc == 0;
    /* rows are independent; the only shared result is an integer count */
#pragma omp parallel for schedule(dynamic, 4) reduction(+ : disagree)
    for (int r = 0; r < q->rows; r++)
        for (int g = 0; g < q->ngroups; g++) {
            uint8_t k[4][1024 + BM_BLK]; /* reference: each variant's grid indices; fast: positions */
            const int c0 = g * q->group, n = c0 + q->group < q->cols ? q->group : q->cols - c0;
            const int gi = r * q->ngroups + g;
            const size_t i0 = (size_t)r * q->cols + c0;
            int other, v;
            uint16_t s[4];
            if (fast) {
                const BitmodAtScale *at[2];
                for (int c = 0; c < 2; c++) {
                    s[2 * c] = s[2 * c + 1] = bf.gscale[2 * (size_t)gi + c];
                    at[c] = &bf.at[bf.slot[c * 0x8000 + s[2 * c]]];
                }
                v = bitmod_group_fast(&bf, at, src + i0, n, mode, only, &other, k);
                bitmod_store(q, &vg[v], v, s[v], gi, i0, k[v / 2], bf.cls[v / 2].cnt[v % 2], n);
            } else {
                uint16_t w16[1024];
                for (int j = 0; j < n; j++)
                    w16[j] = fp16_from_f32(src[i0 + j]);
                v = bitmod_group_ref(q->fmt, vg, w16, n, mode, only, &other, s, k);
                bitmod_store(q, &vg[v], v, s[v], gi, i0, k[v], NULL, n);
            }
            if (other != v)
                disagree++;
        }
    q->n_bitmod_disagree = disagree;
    bitmod_fast_free(&bf);
    return MP_OK;
}

/* ---------------------------------------------------------------- OliVe
 *
 * Rounding is defined by thresholds on |x|: with the type's magnitudes M_0 < M_1 < ... (normals
 * then outliers) and scale s, |x| rounds to M_i * s for t_{i-1} <= |x| < t_i, t_i = s * (M_i +
 * M_{i+1}) / 2 (a tie goes away from zero); beyond the last magnitude it saturates. The alpha
 * search and the final quantization use the same thresholds, so they always agree. */

#define OLIVE_MAXMAG 16

typedef struct OliveGrid {
    int n;                    /* magnitudes: normals then outliers                        */
    int first_outlier;        /* index of the first outlier magnitude                      */
    double mag[OLIVE_MAXMAG]; /* grid units                                                */
    uint8_t code[OLIVE_MAXMAG]; /* positive code of each magnitude (outliers: 16 + nibble) */
} OliveGrid;

static void olive_grid(FmtId fmt, OliveGrid *g)
{
    const FmtDesc *f = fmt_get(fmt);
    g->n = 0;
    g->first_outlier = -1;
    for (int i = 0; i < f->nsorted; i++) {
        if (f->sorted[i] < 0)
            continue;
        if (f->sorted_code[i] >= 16 && g->first_outlier < 0)
            g->first_outlier = g->n;
        g->mag[g->n] = f->sorted[i];
        g->code[g->n] = f->sorted_code[i];
        g->n++;
    }
}

/* Magnitude index of |x| under scale s. */
static int olive_index(const OliveGrid *g, double ax, double s)
{
    int i = 0;
    while (i + 1 < g->n && ax >= s * (g->mag[i] + g->mag[i + 1]) * 0.5)
        i++;
    return i;
}

static uint8_t olive_code(FmtId fmt, const OliveGrid *g, int idx, int negative)
{
    uint8_t c = g->code[idx];
    if (!negative || idx == 0)
        return c;
    /* the negative code of the same magnitude: normals per the format table, outliers set the sign bit */
    if (c >= 16)
        return (uint8_t)(c | 8);
    const FmtDesc *f = fmt_get(fmt);
    for (int k = 0; k < 16; k++)
        if (f->valid[k] && f->value[k] == -f->value[c])
            return (uint8_t)k;
    return c;
}

static int quant_olive_pair_s(FmtId fmt, const OliveGrid *g, double a, double b, double s, uint8_t *ca, uint8_t *cb)
{
    int ia = olive_index(g, fabs(a), s), ib = olive_index(g, fabs(b), s);
    int oa = ia >= g->first_outlier, ob = ib >= g->first_outlier;
    if (oa && ob) { /* the larger magnitude keeps its outlier (paper's rule); tie: the first */
        if (fabs(b) > fabs(a))
            oa = 0;
        else
            ob = 0;
    }
    *ca = oa || !ob ? olive_code(fmt, g, ia, a < 0) : 8;
    *cb = ob || !oa ? olive_code(fmt, g, ib, b < 0) : 8;
    return oa || ob;
}

int quant_olive_pair(FmtId fmt, double a, double b, uint8_t *ca, uint8_t *cb)
{
    OliveGrid g;
    olive_grid(fmt, &g);
    return quant_olive_pair_s(fmt, &g, a, b, 1.0, ca, cb);
}

/* Normal-range maximum of an OliVe type, in grid units (int4: 7, flint4: 16). */
static int olive_normal_max(FmtId fmt) { return fmt == FMT_OLIVE_INT4 ? 7 : 16; }

typedef struct OliveSet { /* the elements of one scale set (a row, or the whole tensor) */
    const float *src;
    int cols, r0, r1;
    size_t n;
    double *a;     /* |x| sorted ascending          */
    uint32_t *idx; /* flat index (r - r0) * cols + c of each sorted entry */
    double *p1, *p2; /* prefix sums of a and a^2, n + 1 entries */
} OliveSet;

/* Stable LSD radix sort of n 32-bit keys, 8 bits per pass, carrying a 32-bit index. Keys are
 * float bit patterns of |x| (non-negative floats sort like their bits); equal keys keep index
 * order, so the result never depends on the sort. */
static void radix_sort(uint32_t *key, uint32_t *idx, uint32_t *tk, uint32_t *ti, size_t n)
{
    for (int shift = 0; shift < 32; shift += 8) {
        size_t cnt[257] = {0};
        for (size_t i = 0; i < n; i++)
            cnt[((key[i] >> shift) & 255) + 1]++;
        if (cnt[1] == n && shift) /* every key has this digit 0: nothing to reorder */
            continue;
        for (int b = 0; b < 256; b++)
            cnt[b + 1] += cnt[b];
        for (size_t i = 0; i < n; i++) {
            size_t d = cnt[(key[i] >> shift) & 255]++;
            tk[d] = key[i];
            ti[d] = idx[i];
        }
        memcpy(key, tk, n * sizeof *key);
        memcpy(idx, ti, n * sizeof *idx);
    }
}

/* lower bound: first sorted position with a >= t */
static size_t olive_lb(const OliveSet *st, double t)
{
    size_t lo = 0, hi = st->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->a[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Squared error of the full pair quantization of the set with scale s. Buckets between thresholds
 * are summed from prefix sums; the outlier pairs (the top of the sorted order, few) are then
 * corrected one by one for their victims. */
static double olive_set_error(FmtId fmt, const OliveGrid *g, const OliveSet *st, double s)
{
    double err = 0;
    size_t lo = 0, first_out = st->n;
    for (int i = 0; i < g->n; i++) {
        size_t hi = i + 1 < g->n ? olive_lb(st, s * (g->mag[i] + g->mag[i + 1]) * 0.5) : st->n;
        if (i == g->first_outlier)
            first_out = lo;
        double v = g->mag[i] * s, cnt = (double)(hi - lo);
        double s1 = st->p1[hi] - st->p1[lo], s2 = st->p2[hi] - st->p2[lo];
        err += fmax(s2 - 2 * v * s1 + cnt * v * v, 0.0);
        lo = hi;
    }
    for (size_t j = first_out; j < st->n; j++) {
        uint32_t fi = st->idx[j];
        int c = (int)(fi % (uint32_t)st->cols), pc = c ^ 1;
        if (pc >= st->cols)
            continue; /* the virtual zero partner of an odd last column costs nothing */
        size_t pf = fi - (size_t)c + (size_t)pc;
        const float *row = st->src + (size_t)st->r0 * st->cols;
        double x = row[fi], y = row[pf], ax = fabs(x), ay = fabs(y);
        int iy = olive_index(g, ay, s);
        double qy = g->mag[iy] * s;
        if (iy >= g->first_outlier) {
            /* both outliers: handle the pair once, from its first element */
            if (c & 1)
                continue;
            int ix = olive_index(g, ax, s);
            double qx = g->mag[ix] * s;
            if (ay > ax) /* y keeps its outlier, x is the victim */
                err += x * x - (ax - qx) * (ax - qx);
            else
                err += y * y - (ay - qy) * (ay - qy);
        } else {
            err += y * y - (ay - qy) * (ay - qy); /* the normal partner becomes the victim */
        }
    }
    return err;
}

static int olive_set_init(OliveSet *st, const float *src, int cols, int r0, int r1)
{
    st->src = src;
    st->cols = cols;
    st->r0 = r0;
    st->r1 = r1;
    st->n = (size_t)(r1 - r0) * cols;
    st->a = mp_malloc(st->n * sizeof *st->a);
    st->idx = mp_malloc(st->n * sizeof *st->idx);
    st->p1 = mp_malloc((st->n + 1) * sizeof *st->p1);
    st->p2 = mp_malloc((st->n + 1) * sizeof *st->p2);
    if (!st->a || !st->idx || !st->p1 || !st->p2)
        return -1;
    const float *base = src + (size_t)r0 * cols;
    uint32_t *key = mp_malloc(st->n * sizeof *key), *tk = mp_malloc(st->n * sizeof *tk),
             *ti = mp_malloc(st->n * sizeof *ti);
    int ok = key && tk && ti;
    if (ok) {
        for (size_t i = 0; i < st->n; i++) {
            float a = fabsf(base[i]);
            memcpy(&key[i], &a, sizeof a);
            st->idx[i] = (uint32_t)i;
        }
        radix_sort(key, st->idx, tk, ti, st->n);
        for (size_t i = 0; i < st->n; i++)
            st->a[i] = fabs((double)base[st->idx[i]]);
    }
    mp_free(key);
    mp_free(tk);
    mp_free(ti);
    if (!ok)
        return -1;
    st->p1[0] = st->p2[0] = 0;
    for (size_t i = 0; i < st->n; i++) {
        st->p1[i + 1] = st->p1[i] + st->a[i];
        st->p2[i + 1] = st->p2[i] + st->a[i] * st->a[i];
    }
    return 0;
}

static void olive_set_free(OliveSet *st)
{
    mp_free(st->a);
    mp_free(st->idx);
    mp_free(st->p1);
    mp_free(st->p2);
}

/* x_max = max|mu +- 3 sigma| of a set (mu, sigma over its elements in order). */
static double olive_xmax(const OliveSet *st)
{
    const float *base = st->src + (size_t)st->r0 * st->cols;
    double sum = 0, sum2 = 0, n = (double)st->n;
    for (size_t i = 0; i < st->n; i++) {
        sum += base[i];
        sum2 += (double)base[i] * base[i];
    }
    double mu = sum / n, sd = sqrt(fmax(sum2 / n - mu * mu, 0));
    return fmax(fabs(mu + 3 * sd), fabs(mu - 3 * sd));
}

/* Alpha search of one set: x_max = max|mu +- 3 sigma|, alpha = x_max * (0.75 + 0.02 i), i = 0..87,
 * scale = alpha / normal max; the lowest squared error wins (strict <, so the first on a tie). */
static double olive_search(FmtId fmt, const OliveGrid *g, const OliveSet *st, double *best_err)
{
    double xmax = olive_xmax(st);
    if (xmax == 0) {
        *best_err = olive_set_error(fmt, g, st, 1.0);
        return 1.0;
    }
    double best_s = 0, best = 0;
    for (int i = 0; i < 88; i++) {
        double s = xmax * (0.75 + 0.02 * i) / olive_normal_max(fmt);
        double err = olive_set_error(fmt, g, st, s);
        if (i == 0 || err < best) {
            best = err;
            best_s = s;
        }
    }
    *best_err = best;
    return best_s;
}

/* ---- the fast path ----
 *
 * The same numbers as the reference (olive_search, olive_set_error, quant_olive_pair_s), computed
 * with less work:
 *  - per-thread buffers instead of allocations per row, and a 3-pass radix sort of (key, index)
 *    pairs packed in 64 bits: stable like radix_sort, so the sorted order is the same;
 *  - every candidate's thresholds t = s * (M_i + M_{i+1}) * 0.5 evaluated once, by the very
 *    expression of the reference, and their lower bounds found in one walk over the sorted
 *    magnitudes: the walk visits thresholds in the increasing order of (75 + 2c)(M_i + M_{i+1}),
 *    which is their exact order up to rounding, and steps back where rounding swapped two, so each
 *    bound is exact whatever the order;
 *  - the bucket sums and outlier corrections of each candidate then repeat the reference's
 *    arithmetic in its order, with the partners' magnitudes gathered once per set;
 *  - the final pass indexes |x| by comparing its key with thresholds (see "thresholds"), in a
 *    loop that compilers vectorize. */

#define OLIVE_NCAND 88 /* alpha candidates */
#define OLIVE_PAD 16   /* sentinels after the sorted magnitudes */

typedef struct OliveOrder { /* a type's (candidate, threshold) pairs in increasing order of value */
    int n;
    uint16_t ci[OLIVE_NCAND * OLIVE_MAXMAG]; /* c << 4 | i */
} OliveOrder;

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

static void olive_order(const OliveGrid *g, OliveOrder *o)
{
    uint32_t kv[OLIVE_NCAND * OLIVE_MAXMAG];
    o->n = 0;
    for (int c = 0; c < OLIVE_NCAND; c++)
        for (int i = 0; i + 1 < g->n; i++) { /* value / (x_max / normal max / 200): an integer < 2^17 */
            uint32_t k = (uint32_t)((75 + 2 * c) * (int)(g->mag[i] + g->mag[i + 1]));
            kv[o->n++] = k << 11 | (uint32_t)(c << 4 | i);
        }
    qsort(kv, (size_t)o->n, sizeof kv[0], cmp_u32);
    for (int k = 0; k < o->n; k++)
        o->ci[k] = (uint16_t)(kv[k] & 0x7ff);
}

typedef struct OliveWork { /* one thread's buffers, for sets of up to cap elements */
    size_t cap;
    uint64_t *kv, *kt; /* radix sort: key << 32 | index                                   */
    double *a, *p1, *p2, *ay;
    uint32_t *idx;
    uint8_t *pf;       /* per sorted position: 1 = has a partner, 2 = odd column           */
    size_t lb[2][OLIVE_NCAND][OLIVE_MAXMAG];
    double t[2][OLIVE_NCAND][OLIVE_MAXMAG], sc[2][OLIVE_NCAND];
} OliveWork;

static void olive_work_free(OliveWork *w)
{
    mp_free(w->kv);
    mp_free(w->kt);
    mp_free(w->a);
    mp_free(w->p1);
    mp_free(w->p2);
    mp_free(w->ay);
    mp_free(w->idx);
    mp_free(w->pf);
    mp_free(w);
}

static OliveWork *olive_work_new(size_t n)
{
    OliveWork *w = mp_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cap = n;
    w->kv = mp_malloc(n * sizeof *w->kv);
    w->kt = mp_malloc(n * sizeof *w->kt);
    w->a = mp_malloc((n + OLIVE_PAD) * sizeof *w->a);
    w->p1 = mp_malloc((n + 1) * sizeof *w->p1);
    w->p2 = mp_malloc((n + 1) * sizeof *w->p2);
    w->ay = mp_malloc(n * sizeof *w->ay);
    w->idx = mp_malloc(n * sizeof *w->idx);
    w->pf = mp_malloc(n);
    if (!w->kv || !w->kt || !w->a || !w->p1 || !w->p2 || !w->ay || !w->idx || !w->pf) {
        olive_work_free(w);
        return NULL;
    }
    return w;
}

/* The set's sorted magnitudes and prefix sums into w, as olive_set_init (st points into w): a
 * 3-pass LSD radix sort of (key, index) pairs packed in 64 bits, stable like radix_sort, so the
 * order (ties by index) is the same. */
static void olive_set_sort(OliveSet *st, OliveWork *w, const float *src, int cols, int r0, int r1)
{
    st->src = src;
    st->cols = cols;
    st->r0 = r0;
    st->r1 = r1;
    st->n = (size_t)(r1 - r0) * cols;
    st->a = w->a;
    st->idx = w->idx;
    st->p1 = w->p1;
    st->p2 = w->p2;
    const size_t n = st->n;
    const float *base = src + (size_t)r0 * cols;
    static const int shift[3] = {0, 11, 22}; /* keys are 31 bits: 11 + 11 + 9 */
    size_t cnt[3][2048];
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++) {
        float m = fabsf(base[i]);
        uint32_t k;
        memcpy(&k, &m, sizeof k); /* non-negative floats order like their bits */
        w->kv[i] = (uint64_t)k << 32 | i;
        for (int d = 0; d < 3; d++)
            cnt[d][(k >> shift[d]) & 2047]++;
    }
    uint64_t *from = w->kv, *to = w->kt;
    for (int d = 0; d < 3; d++) {
        const int sh = 32 + shift[d];
        if (cnt[d][(from[0] >> sh) & 2047] == n) /* one digit value: the order stays */
            continue;
        size_t off = 0;
        for (int b = 0; b < 2048; b++) {
            size_t c = cnt[d][b];
            cnt[d][b] = off;
            off += c;
        }
        for (size_t i = 0; i < n; i++)
            to[cnt[d][(from[i] >> sh) & 2047]++] = from[i];
        uint64_t *tmp = from;
        from = to;
        to = tmp;
    }
    double s1 = 0, s2 = 0; /* p1[i + 1] = p1[i] + a[i], p2[i + 1] = p2[i] + a[i] * a[i] */
    st->p1[0] = st->p2[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = (uint32_t)(from[i] >> 32);
        float m;
        memcpy(&m, &k, sizeof m);
        const double a = m;
        st->a[i] = a;
        st->idx[i] = (uint32_t)from[i];
        st->p1[i + 1] = s1 = s1 + a;
        st->p2[i + 1] = s2 = s2 + a * a;
    }
    for (int i = 0; i < OLIVE_PAD; i++) /* sentinels for olive_bounds */
        st->a[n + i] = INFINITY;
}

/* Index of magnitude ax among thresholds t[0..n-1) (as olive_index). */
static inline int olive_index_t(const double *t, int n, double ax)
{
    int i = 0;
    while (i + 1 < n && ax >= t[i])
        i++;
    return i;
}

/* Every candidate's scale, thresholds and lower bounds for type k (grid g) into w. */
static void olive_bounds(const OliveGrid *g, const OliveOrder *o, FmtId fmt, double xmax, const OliveSet *st,
                         OliveWork *w, int k)
{
    for (int c = 0; c < OLIVE_NCAND; c++) {
        const double s = xmax * (0.75 + 0.02 * c) / olive_normal_max(fmt); /* as olive_search */
        w->sc[k][c] = s;
        for (int i = 0; i + 1 < g->n; i++)
            w->t[k][c][i] = s * (g->mag[i] + g->mag[i + 1]) * 0.5; /* as olive_set_error */
    }
    size_t j = 0;
    for (int q = 0; q < o->n; q++) {
        const int c = o->ci[q] >> 4, i = o->ci[q] & 15;
        const double t = w->t[k][c][i];
        for (;;) { /* forward in steps of up to 8, branch-free within a step (a[n..] = Inf) */
            int adv = 0;
            for (int l = 0; l < 8; l++)
                adv += st->a[j + l] < t;
            j += adv;
            if (adv < 8)
                break;
        }
        while (j > 0 && st->a[j - 1] >= t) /* rounding put t below the last threshold */
            j--;
        w->lb[k][c][i] = j; /* the first position with a >= t */
    }
}

/* olive_set_error of candidate c of type k, from the bounds (pf/ay cover positions >= first_out). */
static double olive_cand_error(const OliveGrid *g, const OliveSet *st, const OliveWork *w, int k, int c)
{
    const double s = w->sc[k][c], *t = w->t[k][c];
    const size_t *lb = w->lb[k][c];
    double err = 0;
    size_t lo = 0, first_out = st->n;
    for (int i = 0; i < g->n; i++) {
        size_t hi = i + 1 < g->n ? lb[i] : st->n;
        if (i == g->first_outlier)
            first_out = lo;
        double v = g->mag[i] * s, cnt = (double)(hi - lo);
        double s1 = st->p1[hi] - st->p1[lo], s2 = st->p2[hi] - st->p2[lo];
        double b = s2 - 2 * v * s1 + cnt * v * v;
        err += b > 0 ? b : 0.0; /* fmax(b, 0.0): b is finite, and +-0 add alike */
        lo = hi;
    }
    for (size_t j = first_out; j < st->n; j++) {
        if (!(w->pf[j] & 1))
            continue; /* the virtual zero partner of an odd last column costs nothing */
        /* x * x == ax * ax and y * y == ay * ay exactly: squaring ignores the sign */
        const double ax = st->a[j], ay = w->ay[j];
        int iy = olive_index_t(t, g->n, ay);
        double qy = g->mag[iy] * s;
        if (iy >= g->first_outlier) {
            if (w->pf[j] & 2) /* both outliers: handle the pair once, from its first element */
                continue;
            int ix = olive_index_t(t, g->n, ax);
            double qx = g->mag[ix] * s;
            if (ay > ax) /* y keeps its outlier, x is the victim */
                err += ax * ax - (ax - qx) * (ax - qx);
            else
                err += ay * ay - (ay - qy) * (ay - qy);
        } else {
            err += ay * ay - (ay - qy) * (ay - qy); /* the normal partner becomes the victim */
        }
    }
    return err;
}

/* The alpha search of one set for both types (grids g[0] int4, g[1] flint4), as olive_search:
 * the best scale of each into s_out. */
static void olive_search_fast(const OliveGrid *const g[2], const OliveOrder *const o[2], const OliveSet *st,
                              OliveWork *w, double s_out[2])
{
    static const FmtId fmts[2] = {FMT_OLIVE_INT4, FMT_OLIVE_FLINT4};
    const double xmax = olive_xmax(st);
    if (xmax == 0) {
        s_out[0] = s_out[1] = 1.0;
        return;
    }
    size_t jmin = st->n; /* the lowest position any candidate treats as an outlier */
    for (int k = 0; k < 2; k++) {
        olive_bounds(g[k], o[k], fmts[k], xmax, st, w, k);
        for (int c = 0; c < OLIVE_NCAND; c++) {
            size_t fo = w->lb[k][c][g[k]->first_outlier - 1];
            jmin = fo < jmin ? fo : jmin;
        }
    }
    const float *base = st->src + (size_t)st->r0 * st->cols;
    for (size_t j = jmin; j < st->n; j++) {
        uint32_t fi = st->idx[j];
        int c = (int)(fi % (uint32_t)st->cols), pc = c ^ 1;
        w->pf[j] = (uint8_t)((pc < st->cols) | (c & 1) << 1);
        w->ay[j] = pc < st->cols ? fabs((double)base[fi - (uint32_t)c + (uint32_t)pc]) : 0.0;
    }
    for (int k = 0; k < 2; k++) {
        double best = 0;
        for (int c = 0; c < OLIVE_NCAND; c++) {
            double err = olive_cand_error(g[k], st, w, k, c);
            if (c == 0 || err < best) {
                best = err;
                s_out[k] = w->sc[k][c];
            }
        }
    }
}

/* The reference's magnitude index of |x| (given by its key) under scale s exceeds i. */
typedef struct OliveAbove {
    const OliveGrid *g;
    double s;
    int i;
} OliveAbove;

static int olive_above(int32_t key, const void *ctx)
{
    const OliveAbove *c = ctx;
    return olive_index(c->g, (double)fkey_float(key), c->s) > c->i;
}

/* The final pass of one set with scale s: codes, u and the outlier pair count, as the loop over
 * quant_olive_pair_s in the reference, with the magnitude index from thresholds on |x|. */
static long long olive_write_fast(const float *src, QMat *q, const OliveGrid *g, double s, int r0, int r1)
{
    const FmtDesc *f = fmt_get(q->fmt);
    int32_t tk[OLIVE_MAXMAG]; /* the least key of |x| with a magnitude index > i */
    uint8_t code[2][OLIVE_MAXMAG];
    const int nt = g->n - 1;
    for (int i = 0; i < nt; i++) {
        const OliveAbove c = {g, s, i};
        tk[i] = key_first_true(0, FKEY_MAX, fkey((float)(s * (g->mag[i] + g->mag[i + 1]) * 0.5)), olive_above, &c);
    }
    for (int i = 0; i < g->n; i++) {
        code[0][i] = olive_code(q->fmt, g, i, 0);
        code[1][i] = olive_code(q->fmt, g, i, 1);
    }
    long long nout = 0;
    for (int r = r0; r < r1; r++) {
        const float *x = src + (size_t)r * q->cols;
        for (int j0 = 0; j0 < q->cols; j0 += KBLK) { /* even: pairs stay within a block */
            const int m = q->cols - j0 < KBLK ? q->cols - j0 : KBLK;
            int32_t kb[KBLK], ix[KBLK];
            fkey_block(x + j0, m, kb); /* padded with 0: the virtual partner of an odd last column */
            for (int l = 0; l < KBLK; l++)
                kb[l] = kb[l] < 0 ? -kb[l] : kb[l]; /* fkey(|x|) = |fkey(x)| */
            count_block(tk, nt, kb, ix);
            for (int l = 0; l < m; l += 2) { /* as quant_olive_pair_s */
                const size_t i = (size_t)r * q->cols + j0 + l;
                const int has_b = l + 1 < m;
                const double a = x[j0 + l], b = has_b ? x[j0 + l + 1] : 0.0;
                int oa = ix[l] >= g->first_outlier, ob = ix[l + 1] >= g->first_outlier;
                if (oa && ob) { /* the larger magnitude keeps its outlier; tie: the first */
                    if (fabs(b) > fabs(a))
                        oa = 0;
                    else
                        ob = 0;
                }
                const uint8_t ca = oa || !ob ? code[a < 0][ix[l]] : 8, cb = ob || !oa ? code[b < 0][ix[l + 1]] : 8;
                nout += oa || ob;
                q->code[i] = ca;
                q->u[i] = ca == 8 ? 0 : f->value[ca];
                if (has_b) {
                    q->code[i + 1] = cb;
                    q->u[i + 1] = cb == 8 ? 0 : f->value[cb];
                }
            }
        }
    }
    return nout;
}

static int quant_olive(const float *src, QMat *q, int ref, MpErr *e)
{
    int nsets = q->per_tensor ? 1 : q->rows;
    const size_t set_n = (size_t)(q->per_tensor ? q->rows : 1) * q->cols;
    OliveGrid gi, gf;
    olive_grid(FMT_OLIVE_INT4, &gi);
    olive_grid(FMT_OLIVE_FLINT4, &gf);
    const OliveGrid *const gs[2] = {&gi, &gf};
    OliveOrder oi, of;
    if (!ref) {
        olive_order(&gi, &oi);
        olive_order(&gf, &of);
    }
    const OliveOrder *const os[2] = {&oi, &of};
    double *si = mp_malloc((size_t)nsets * sizeof *si), *sf = mp_malloc((size_t)nsets * sizeof *sf);
    double *ei_set = mp_malloc((size_t)nsets * sizeof *ei_set), *ef_set = mp_malloc((size_t)nsets * sizeof *ef_set);
    long long *nout = mp_calloc((size_t)nsets, sizeof *nout);
    int failed = !si || !sf || !ei_set || !ef_set || !nout;
    if (!failed) {
        /* sets (rows of W) are independent; per-set results are combined serially below */
#pragma omp parallel reduction(| : failed)
        {
            OliveWork *w = ref ? NULL : olive_work_new(set_n);
            failed = !ref && !w; /* this thread's flag: it then skips its sets */
#pragma omp for schedule(dynamic, 4)
            for (int t = 0; t < nsets; t++) {
                if (failed)
                    continue;
                OliveSet st;
                memset(&st, 0, sizeof st);
                int r0 = q->per_tensor ? 0 : t, r1 = q->per_tensor ? q->rows : t + 1;
                double sb[2];
                if (!ref) {
                    olive_set_sort(&st, w, src, q->cols, r0, r1);
                    olive_search_fast(gs, os, &st, w, sb);
                } else if (olive_set_init(&st, src, q->cols, r0, r1) != 0) {
                    failed = 1;
                    olive_set_free(&st);
                    continue;
                } else {
                    double ei, ef;
                    sb[0] = olive_search(FMT_OLIVE_INT4, &gi, &st, &ei);
                    sb[1] = olive_search(FMT_OLIVE_FLINT4, &gf, &st, &ef);
                }
                /* scales are stored as fp32: search with the value the hardware will use */
                si[t] = (double)(float)sb[0];
                sf[t] = (double)(float)sb[1];
                ei_set[t] = olive_set_error(FMT_OLIVE_INT4, &gi, &st, si[t]);
                ef_set[t] = olive_set_error(FMT_OLIVE_FLINT4, &gf, &st, sf[t]);
                if (ref)
                    olive_set_free(&st);
            }
            if (w)
                olive_work_free(w);
        }
    }
    int rc = failed ? mp_errf(e, MP_ENOMEM, "out of memory in the OliVe search") : MP_OK;
    if (rc == MP_OK) {
        double toti = 0, totf = 0;
        for (int t = 0; t < nsets; t++) {
            toti += ei_set[t];
            totf += ef_set[t];
        }
        /* per-tensor type choice: the lower total error (int4 on a tie) */
        q->fmt = totf < toti ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4;
        const OliveGrid *g = q->fmt == FMT_OLIVE_INT4 ? &gi : &gf;
        const FmtDesc *f = fmt_get(q->fmt);
#pragma omp parallel for schedule(static)
        for (int t = 0; t < nsets; t++) {
            double s = q->fmt == FMT_OLIVE_INT4 ? si[t] : sf[t];
            q->scale[t] = (float)s;
            int r0 = q->per_tensor ? 0 : t, r1 = q->per_tensor ? q->rows : t + 1;
            if (!ref) {
                nout[t] = olive_write_fast(src, q, g, s, r0, r1);
                continue;
            }
            for (int r = r0; r < r1; r++)
                for (int c = 0; c < q->cols; c += 2) {
                    size_t i = (size_t)r * q->cols + c;
                    double a = src[i], b = c + 1 < q->cols ? src[i + 1] : 0.0;
                    uint8_t ca, cb;
                    nout[t] += quant_olive_pair_s(q->fmt, g, a, b, s, &ca, &cb);
                    q->code[i] = ca;
                    q->u[i] = ca == 8 ? 0 : f->value[ca];
                    if (c + 1 < q->cols) {
                        q->code[i + 1] = cb;
                        q->u[i + 1] = cb == 8 ? 0 : f->value[cb];
                    }
                }
        }
        for (int t = 0; t < nsets; t++)
            q->n_outlier_pairs += nout[t];
    }
    mp_free(si);
    mp_free(sf);
    mp_free(ei_set);
    mp_free(ef_set);
    mp_free(nout);
    return rc;
}

/* ---------------------------------------------------------------- ANT */

static const FmtId ant_types[3] = {FMT_ANT_INT4, FMT_FLINT4, FMT_POT4}; /* the order decides ties */

/* Scale of a set for a type: max|x| / max code, in fp32. */
static float ant_scale(double amax, const FmtDesc *f) { return amax > 0 ? (float)(amax / f->max_abs) : 1.0f; }

/* The rows of set t (a row, or the whole tensor). */
static void ant_set_rows(const QMat *q, int t, int *r0, int *r1)
{
    *r0 = q->per_tensor ? 0 : t;
    *r1 = q->per_tensor ? q->rows : t + 1;
}

static double ant_set_amax(const float *src, const QMat *q, int r0, int r1)
{
    return absmax(src + (size_t)r0 * q->cols, (size_t)(r1 - r0) * q->cols);
}

/* The reference: one pass over the matrix per type; the squared error of each set, summed in
 * element order, and (write) the codes. */
static double ant_apply_ref(const float *src, QMat *q, FmtId fmt, int write, double *set_err)
{
    const FmtDesc *f = fmt_get(fmt);
    int nsets = q->per_tensor ? 1 : q->rows;
    for (int t = 0; t < nsets; t++) {
        int r0, r1;
        ant_set_rows(q, t, &r0, &r1);
        double amax = 0, err = 0;
        for (int r = r0; r < r1; r++)
            for (int c = 0; c < q->cols; c++)
                amax = fmax(amax, fabs((double)src[(size_t)r * q->cols + c]));
        float s = ant_scale(amax, f);
        for (int r = r0; r < r1; r++)
            for (int c = 0; c < q->cols; c++) {
                size_t i = (size_t)r * q->cols + c;
                int code = fmt_nearest(f, (double)src[i] / (double)s);
                double d = (double)src[i] - f->value[code] * (double)s;
                err += d * d;
                if (write) {
                    q->code[i] = (uint8_t)code;
                    q->u[i] = f->value[code];
                }
            }
        if (write)
            q->scale[t] = s;
        set_err[t] = err;
    }
    double err = 0; /* summed in set order: the same bits for any thread count */
    for (int t = 0; t < nsets; t++)
        err += set_err[t];
    return err;
}

/* The fast path. Within a set the scale of each type is fixed, so the grid index of x,
 * idx(x) = sorted index of fmt_nearest(f, x / s), is a monotone function of the float x: it is the
 * number of thresholds <= x (see "thresholds"), found per set and type with the reference's own
 * rounding. One pass then indexes each element for all three types by comparisons (a loop that
 * compilers vectorize) and sums the three squared errors, each in the reference's element order
 * and with the very doubles it computes (value * s from a per-set table), so each sum is the
 * reference's. The chosen type is applied in a second pass. set_err[3 * t + k]: set t, type k. */

#define ANT_MAXT 32 /* thresholds per type (at most 15 for 4-bit grids) */

typedef struct AntType { /* one type in one set */
    const FmtDesc *f;
    double s;             /* the fp32 scale, as the reference divides by it */
    int nt;               /* thresholds: f->nsorted - 1 */
    int32_t t[ANT_MAXT];  /* float keys */
    double vs[ANT_MAXT];  /* sorted[i] * s, as the reference's value[code] * s */
} AntType;

typedef struct AntAtLeast { /* the reference's grid value of x is >= v */
    const FmtDesc *f;
    double s;
    int32_t v;
} AntAtLeast;

static int ant_at_least(int32_t key, const void *ctx)
{
    const AntAtLeast *c = ctx;
    return c->f->value[fmt_nearest(c->f, (double)fkey_float(key) / c->s)] >= c->v;
}

/* 0, or -1 when the thresholds do not apply (a zero scale: the reference's x / 0 is no rounding). */
static int ant_type_init(AntType *ty, const FmtDesc *f, double amax)
{
    ty->f = f;
    ty->s = ant_scale(amax, f);
    ty->nt = f->nsorted - 1;
    if (!(ty->s > 0) || ty->nt > ANT_MAXT)
        return -1;
    for (int i = 0; i <= ty->nt; i++)
        ty->vs[i] = f->sorted[i] * ty->s;
    for (int i = 0; i < ty->nt; i++) {
        const AntAtLeast c = {f, ty->s, f->sorted[i + 1]};
        float guess = (float)(0.5 * (f->sorted[i] + f->sorted[i + 1]) * ty->s);
        ty->t[i] = key_first_true(-FKEY_MAX, FKEY_MAX, fkey(guess), ant_at_least, &c);
    }
    return 0;
}

/* Grid indices of x[0..n) for ty: ix[j] = #{i : fkey(x[j]) >= t[i]}. */
static void ant_index(const AntType *ty, const float *x, int n, uint8_t *ix)
{
    for (int j0 = 0; j0 < n; j0 += KBLK) {
        const int m = n - j0 < KBLK ? n - j0 : KBLK;
        int32_t k[KBLK], p[KBLK];
        fkey_block(x + j0, m, k);
        count_block(ty->t, ty->nt, k, p);
        for (int l = 0; l < m; l++)
            ix[j0 + l] = (uint8_t)p[l];
    }
}

static void ant_errors(const float *src, const QMat *q, double *set_err)
{
    int nsets = q->per_tensor ? 1 : q->rows;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < nsets; t++) {
        int r0, r1;
        ant_set_rows(q, t, &r0, &r1);
        const double amax = ant_set_amax(src, q, r0, r1);
        AntType ty[3];
        int ok = 1;
        for (int k = 0; k < 3; k++)
            ok &= ant_type_init(&ty[k], fmt_get(ant_types[k]), amax) == 0;
        double err[3] = {0, 0, 0};
        const size_t i0 = (size_t)r0 * q->cols, i1 = (size_t)r1 * q->cols;
        for (size_t j0 = i0; j0 < i1; j0 += 256) {
            const int m = i1 - j0 < 256 ? (int)(i1 - j0) : 256;
            const float *x = src + j0;
            if (!ok) { /* the reference's loop */
                for (int k = 0; k < 3; k++)
                    for (int j = 0; j < m; j++) {
                        const FmtDesc *f = ty[k].f;
                        double d = (double)x[j] - f->value[fmt_nearest(f, (double)x[j] / ty[k].s)] * ty[k].s;
                        err[k] += d * d;
                    }
                continue;
            }
            uint8_t ix[3][256];
            for (int k = 0; k < 3; k++)
                ant_index(&ty[k], x, m, ix[k]);
            double e0 = err[0], e1 = err[1], e2 = err[2];
            for (int j = 0; j < m; j++) {
                const double xj = x[j], d0 = xj - ty[0].vs[ix[0][j]], d1 = xj - ty[1].vs[ix[1][j]],
                             d2 = xj - ty[2].vs[ix[2][j]];
                e0 += d0 * d0;
                e1 += d1 * d1;
                e2 += d2 * d2;
            }
            err[0] = e0;
            err[1] = e1;
            err[2] = e2;
        }
        for (int k = 0; k < 3; k++)
            set_err[3 * t + k] = err[k];
    }
}

static void ant_write(const float *src, QMat *q)
{
    const FmtDesc *f = fmt_get(q->fmt);
    int nsets = q->per_tensor ? 1 : q->rows;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < nsets; t++) {
        int r0, r1;
        ant_set_rows(q, t, &r0, &r1);
        AntType ty;
        const int ok = ant_type_init(&ty, f, ant_set_amax(src, q, r0, r1)) == 0;
        const size_t i0 = (size_t)r0 * q->cols, i1 = (size_t)r1 * q->cols;
        for (size_t j0 = i0; j0 < i1; j0 += 256) {
            const int m = i1 - j0 < 256 ? (int)(i1 - j0) : 256;
            uint8_t ix[256];
            if (ok)
                ant_index(&ty, src + j0, m, ix);
            for (int j = 0; j < m; j++) {
                int code = ok ? f->sorted_code[ix[j]] : fmt_nearest(f, (double)src[j0 + j] / ty.s);
                q->code[j0 + j] = (uint8_t)code;
                q->u[j0 + j] = f->value[code];
            }
        }
        q->scale[t] = (float)ty.s;
    }
}

static int quant_ant(const float *src, QMat *q, int ref, MpErr *e)
{
    const int nsets = q->per_tensor ? 1 : q->rows;
    double *set_err = mp_malloc((size_t)nsets * 3 * sizeof *set_err);
    if (!set_err)
        return mp_errf(e, MP_ENOMEM, "out of memory in the ANT quantizer");
    if (!ref)
        ant_errors(src, q, set_err);
    int best = 0;
    double best_err = 0;
    for (int k = 0; k < 3; k++) {
        double err = 0;
        if (ref)
            err = ant_apply_ref(src, q, ant_types[k], 0, set_err);
        else
            for (int t = 0; t < nsets; t++) /* in set order, as the reference */
                err += set_err[3 * t + k];
        if (k == 0 || err < best_err) {
            best = k;
            best_err = err;
        }
    }
    q->fmt = ant_types[best];
    if (ref)
        ant_apply_ref(src, q, q->fmt, 1, set_err);
    else
        ant_write(src, q);
    mp_free(set_err);
    return MP_OK;
}

/* ---------------------------------------------------------------- entry */

/* Index of the first element of src[0..n) that is not finite, or n (for any thread count). Blocks
 * are scanned branch-free (all exponent bits set: Inf or NaN), then searched if flagged. */
static size_t first_nonfinite(const float *src, size_t n)
{
    const size_t blk = 4096, nblk = (n + blk - 1) / blk;
    size_t first = n;
#pragma omp parallel for schedule(static) reduction(min : first)
    for (size_t b = 0; b < nblk; b++) {
        const size_t i0 = b * blk, i1 = i0 + blk < n ? i0 + blk : n;
        uint32_t bad = 0;
        for (size_t i = i0; i < i1; i++) {
            uint32_t u;
            memcpy(&u, &src[i], sizeof u);
            bad |= (u & 0x7f800000u) == 0x7f800000u;
        }
        for (size_t i = i0; bad && i < i1; i++)
            if (!isfinite(src[i])) {
                first = i < first ? i : first;
                break;
            }
    }
    return first;
}

static int quant_run(const QParams *p, const float *src, int rows, int cols, QMat *q, int ref, MpErr *e)
{
    if (rows < 1 || cols < 1)
        return mp_errf(e, MP_EINPUT, "cannot quantize an empty %d x %d matrix", rows, cols);
    int group = cols, per_tensor = 0;
    switch (p->scheme) {
    case QS_FP16: per_tensor = 1; break;
    case QS_SYM_ROW:
        if (p->fmt != FMT_INT8 && p->fmt != FMT_INT4)
            return mp_errf(e, MP_EINPUT, "symmetric per-row quantization takes int8 or int4");
        break;
    case QS_ASYM_GROUP:
    case QS_BITMOD:
        group = p->group > 0 ? p->group : 128;
        if (p->scheme == QS_BITMOD && p->fmt != FMT_BITMOD_FP4 && p->fmt != FMT_BITMOD_FP3)
            return mp_errf(e, MP_EINPUT, "BitMoD quantization takes FP4 or FP3");
        if (p->scheme == QS_BITMOD && (p->bm_only < 0 || p->bm_only > 4))
            return mp_errf(e, MP_EINPUT, "BitMoD: bm_only must be 0..4");
        break;
    case QS_OLIVE:
    case QS_ANT: per_tensor = p->per_tensor; break;
    }
    size_t n = (size_t)rows * cols, bad = first_nonfinite(src, n);
    if (bad < n)
        return mp_errf(e, MP_EINPUT, "element (%zu, %zu) of the matrix is not finite", bad / (size_t)cols,
                       bad % (size_t)cols);
    int rc = alloc_q(q, p, rows, cols, group, per_tensor, e);
    if (rc)
        return rc;
    switch (p->scheme) {
    case QS_FP16: rc = quant_fp16(src, q, e); break;
    case QS_SYM_ROW: quant_sym_row(src, q); break;
    case QS_ASYM_GROUP: quant_asym_group(src, q, ref); break;
    case QS_BITMOD: rc = quant_bitmod(src, q, p->bm_err, p->bm_only, ref, e); break;
    case QS_OLIVE: rc = quant_olive(src, q, ref, e); break;
    case QS_ANT: rc = quant_ant(src, q, ref, e); break;
    }
    if (rc)
        quant_free(q);
    return rc;
}

int quant_matrix(const QParams *p, const float *src, int rows, int cols, QMat *q, MpErr *e)
{
    return quant_run(p, src, rows, cols, q, 0, e);
}

int quant_matrix_ref(const QParams *p, const float *src, int rows, int cols, QMat *q, MpErr *e)
{
    return quant_run(p, src, rows, cols, q, 1, e);
}
