/* models/quant_bitmod.c — BitMoD FP3/FP4 with per-group special values: the type choice per group. See quant.h, docs/formats.md and the conventions at the top of
 * quant.c (reference and fast path, thresholds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "models/fpx.h"
#include "models/quant_int.h"

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

/* The choice among the four variants from their sums of squared errors over n weights: the mean
 * rounded to fp16 (BM_ERR_FP16) or in double, strict < (the first of equal errors wins). Returns
 * the variant chosen under `mode` and sets *other to the one the other mode picks; `only` (1..4)
 * forces variant only - 1 for both. */
static int bitmod_pick(const double sum16[4], const double sum64[4], int n, BitmodErrMode mode, int only, int *other)
{
    if (only) { /* a single variant for every group (for comparisons) */
        *other = only - 1;
        return only - 1;
    }
    int best16 = -1, best64 = -1;
    double e16_best = 0, e64_best = 0;
    for (int v = 0; v < 4; v++) {
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
    double sum16[4], sum64[4];
    for (int v = 0; v < 4; v++) {
        const BitmodGrid *g = &vg[v];
        uint16_t s = bitmod_scale(amax16, g->qmax);
        sum16[v] = sum64[v] = 0;
        for (int j = 0; j < n; j++) {
            double x = fp16_to_f64(fp16_div(w16[j], s));
            int k = fmt_lut_find(&g->lut, x * inv_unit);
            uint16_t wq = fp16_mul(fp16_from_f64((double)g->grid[k] * unit), s);
            uint16_t d = fp16_sub(w16[j], wq);
            sum16[v] += fp16_to_f64(fp16_mul(d, d)); /* exact: fp16 values sum exactly in double */
            double dd = fp16_to_f64(w16[j]) - fp16_to_f64(wq);
            sum64[v] += dd * dd;
            kidx_out[v][j] = (uint8_t)k;
        }
        scale_out[v] = s;
    }
    return bitmod_pick(sum16, sum64, n, mode, only, other);
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
    return quant_key_first_true(-BM_KEY_MAX, BM_KEY_MAX, guess, bm_above, &c);
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
    return bitmod_pick(sum16, sum64, n, mode, only, other); /* as bitmod_group_ref */
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
            const uint16_t amax16 = fp16_from_f32(quant_absmax(x, (size_t)n));
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

int quant_bitmod_run(const float *src, QMat *q, BitmodErrMode mode, int only, int ref, MpErr *e)
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
