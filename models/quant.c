/* models/quant.c — the quantizers. Conventions: see quant.h and docs/formats.md. */
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

/* ---------------------------------------------------------------- fp16 */

static int quant_fp16(const float *src, QMat *q, MpErr *e)
{
    size_t n = (size_t)q->rows * (size_t)q->cols;
    for (size_t i = 0; i < n; i++) {
        q->u[i] = fp16_from_f32(src[i]);
        if (fp16_is_inf((uint16_t)q->u[i]))
            return mp_errf(e, MP_EINPUT, "element (%zu, %zu) = %g is beyond the fp16 range", i / (size_t)q->cols,
                           i % (size_t)q->cols, (double)src[i]);
    }
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
        double amax = 0;
        for (int c = 0; c < q->cols; c++)
            amax = fmax(amax, fabs((double)x[c]));
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

void quant_fill_dq16(QMat *q)
{
#pragma omp parallel for schedule(static)
    for (int r = 0; r < q->rows; r++)
        for (int c = 0; c < q->cols; c++) {
            size_t i = (size_t)r * q->cols + c;
            int g = quant_gidx(q, r, c);
            uint16_t d = fp16_from_f64((double)(q->u[i] - q->zero[g])); /* exact: |d| <= 15 */
            q->dq16[i] = fp16_mul(d, fp16_from_f64((double)q->scale[g]));
        }
}

static void quant_asym_group(const float *src, QMat *q)
{
    const FmtDesc *f = fmt_get(FMT_UINT4);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < q->rows; r++)
        for (int g = 0; g < q->ngroups; g++) {
            const int c0 = g * q->group, c1 = c0 + q->group < q->cols ? c0 + q->group : q->cols;
            const float *x = src + (size_t)r * q->cols;
            double lo = 0, hi = 0; /* the range always holds 0, so 0 is exact */
            for (int c = c0; c < c1; c++) {
                lo = fmin(lo, (double)x[c]);
                hi = fmax(hi, (double)x[c]);
            }
            float s = hi > lo ? fp16_scale((hi - lo) / 15.0) : 1.0f;
            double z = nearbyint(-lo / (double)s);
            z = z < 0 ? 0 : z > 15 ? 15 : z;
            const int gi = r * q->ngroups + g;
            q->scale[gi] = s;
            q->zero[gi] = (int32_t)z;
            for (int c = c0; c < c1; c++) {
                double v = nearbyint((double)x[c] / (double)s) + z;
                int code = fmt_nearest(f, v);
                q->code[(size_t)r * q->cols + c] = (uint8_t)code;
                q->u[(size_t)r * q->cols + c] = code;
            }
        }
    quant_fill_dq16(q);
}

/* ---------------------------------------------------------------- BitMoD */

double quant_bitmod_unit(FmtId fmt) { return fmt == FMT_BITMOD_FP4 ? 0.5 : 1.0; }

int32_t quant_bitmod_special(FmtId fmt, BitmodVariant v)
{
    int ea = v == BM_EA_POS || v == BM_EA_NEG, neg = v == BM_ER_NEG || v == BM_EA_NEG;
    int32_t sp = fmt == FMT_BITMOD_FP4 ? (ea ? 16 : 10) : (ea ? 6 : 3);
    return neg ? -sp : sp;
}

/* The reference quantizer of one group (see docs/formats.md, "BitMoD"): for every variant in
 * order, scale = fp16(max|w| / qmax) clamped, x = fp16(w / scale), nearest grid value with ties
 * to the lower one, wq = fp16(q * scale), error = mean squared error; strict < wins.
 * Returns the variant chosen under `mode` and sets *other to the one the other mode picks. */
/* One variant's grid in units (the format's values plus its special value) and its lookup table;
 * built once per matrix. */
typedef struct BitmodGrid {
    int32_t grid[FMT_MAX_CODES + 1];
    int n;
    double qmax; /* native units */
    FmtLut lut;
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
    }
}

/* The reference quantizer of one group (see docs/formats.md, "BitMoD"): for every variant in
 * order, scale = fp16(max|w| / qmax) clamped, x = fp16(w / scale), nearest grid value with ties
 * to the lower one, wq = fp16(q * scale), error = mean squared error; strict < wins.
 * Returns the variant chosen under `mode` and sets *other to the one the other mode picks. */
static int bitmod_group(FmtId id, const BitmodGrid vg[4], const uint16_t *w16, int n, BitmodErrMode mode, int only,
                        int *other, uint16_t scale_out[4], int32_t qunits_out[4][1024])
{
    const double unit = quant_bitmod_unit(id), inv_unit = 1.0 / unit; /* 1 or 2: exact */
    const uint16_t lo_clamp = fp16_from_f64(1e-5), hi_clamp = fp16_from_f64(1e4);
    double amax = 0;
    for (int j = 0; j < n; j++)
        amax = fmax(amax, fabs(fp16_to_f64(w16[j])));
    uint16_t amax16 = fp16_from_f64(amax);
    int best16 = -1, best64 = -1;
    double e16_best = 0, e64_best = 0;
    for (int v = 0; v < 4; v++) {
        const BitmodGrid *g = &vg[v];
        uint16_t s = fp16_div(amax16, fp16_from_f64(g->qmax));
        if (fp16_to_f64(s) < fp16_to_f64(lo_clamp))
            s = lo_clamp;
        if (fp16_to_f64(s) > fp16_to_f64(hi_clamp))
            s = hi_clamp;
        double sum16 = 0, sum64 = 0;
        for (int j = 0; j < n; j++) {
            double x = fp16_to_f64(fp16_div(w16[j], s));
            int32_t qu = g->grid[fmt_lut_find(&g->lut, x * inv_unit)];
            uint16_t wq = fp16_mul(fp16_from_f64((double)qu * unit), s);
            uint16_t d = fp16_sub(w16[j], wq);
            sum16 += fp16_to_f64(fp16_mul(d, d)); /* exact: fp16 values sum exactly in double */
            double dd = fp16_to_f64(w16[j]) - fp16_to_f64(wq);
            sum64 += dd * dd;
            qunits_out[v][j] = qu;
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

static int quant_bitmod(const float *src, QMat *q, BitmodErrMode mode, int only, MpErr *e)
{
    const FmtDesc *f = fmt_get(q->fmt);
    const double unit = quant_bitmod_unit(q->fmt);
    if (q->group > 1024)
        return mp_errf(e, MP_EINPUT, "BitMoD group size %d larger than 1024", q->group);
    long long disagree = 0;
    BitmodGrid vg[4];
    bitmod_grids(q->fmt, vg);
    /* rows are independent; the only shared result is an integer count */
#pragma omp parallel for schedule(dynamic, 4) reduction(+ : disagree)
    for (int r = 0; r < q->rows; r++)
        for (int g = 0; g < q->ngroups; g++) {
            int32_t qu[4][1024]; /* units chosen by each variant for the current group */
            uint16_t w16[1024], s[4];
            const int c0 = g * q->group, n = c0 + q->group < q->cols ? q->group : q->cols - c0;
            for (int j = 0; j < n; j++)
                w16[j] = fp16_from_f32(src[(size_t)r * q->cols + c0 + j]);
            int other, v = bitmod_group(q->fmt, vg, w16, n, mode, only, &other, s, qu);
            if (other != v)
                disagree++;
            int neg = v == BM_ER_NEG || v == BM_EA_NEG;
            int32_t sp = quant_bitmod_special(q->fmt, (BitmodVariant)v); /* signed */
            const int gi = r * q->ngroups + g;
            q->variant[gi] = (uint8_t)v;
            /* stored: the POS grid and a negative scale for NEG variants; x0.5 is exact in fp32 */
            q->scale[gi] = (float)((neg ? -1.0 : 1.0) * fp16_to_f64(s[v]) * unit);
            for (int j = 0; j < n; j++) {
                int32_t u = neg ? -qu[v][j] : qu[v][j];
                size_t i = (size_t)r * q->cols + c0 + j;
                q->u[i] = u;
                if (qu[v][j] == sp && qu[v][j] != 0)
                    q->code[i] = (uint8_t)f->special_code;
                else {
                    int mag = u < 0 ? -u : u, idx = 0;
                    while (idx < (1 << (f->bits - 1)) && f->value[idx] != mag)
                        idx++;
                    q->code[i] = (uint8_t)((u < 0 ? 1 << (f->bits - 1) : 0) | idx);
                }
            }
        }
    q->n_bitmod_disagree = disagree;
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

/* Alpha search of one set: x_max = max|mu +- 3 sigma|, alpha = x_max * (0.75 + 0.02 i), i = 0..87,
 * scale = alpha / normal max; the lowest squared error wins (strict <, so the first on a tie). */
static double olive_search(FmtId fmt, const OliveGrid *g, const OliveSet *st, double *best_err)
{
    const float *base = st->src + (size_t)st->r0 * st->cols;
    double sum = 0, sum2 = 0, n = (double)st->n;
    for (size_t i = 0; i < st->n; i++) {
        sum += base[i];
        sum2 += (double)base[i] * base[i];
    }
    double mu = sum / n, sd = sqrt(fmax(sum2 / n - mu * mu, 0));
    double xmax = fmax(fabs(mu + 3 * sd), fabs(mu - 3 * sd));
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

static int quant_olive(const float *src, QMat *q, MpErr *e)
{
    int nsets = q->per_tensor ? 1 : q->rows;
    OliveGrid gi, gf;
    olive_grid(FMT_OLIVE_INT4, &gi);
    olive_grid(FMT_OLIVE_FLINT4, &gf);
    double *si = mp_malloc((size_t)nsets * sizeof *si), *sf = mp_malloc((size_t)nsets * sizeof *sf);
    double *ei_set = mp_malloc((size_t)nsets * sizeof *ei_set), *ef_set = mp_malloc((size_t)nsets * sizeof *ef_set);
    long long *nout = mp_calloc((size_t)nsets, sizeof *nout);
    int failed = 0;
    if (!si || !sf || !ei_set || !ef_set || !nout)
        failed = 1;
    /* sets (rows of W) are independent; per-set results are combined serially below */
#pragma omp parallel for schedule(dynamic, 4) reduction(| : failed)
    for (int t = 0; t < nsets; t++) {
        if (failed)
            continue;
        OliveSet st;
        memset(&st, 0, sizeof st);
        int r0 = q->per_tensor ? 0 : t, r1 = q->per_tensor ? q->rows : t + 1;
        if (olive_set_init(&st, src, q->cols, r0, r1) != 0)
            failed = 1;
        else {
            double ei, ef;
            /* scales are stored as fp32: search with the value the hardware will use */
            si[t] = (double)(float)olive_search(FMT_OLIVE_INT4, &gi, &st, &ei);
            sf[t] = (double)(float)olive_search(FMT_OLIVE_FLINT4, &gf, &st, &ef);
            ei_set[t] = olive_set_error(FMT_OLIVE_INT4, &gi, &st, si[t]);
            ef_set[t] = olive_set_error(FMT_OLIVE_FLINT4, &gf, &st, sf[t]);
        }
        olive_set_free(&st);
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

static double ant_apply(const float *src, QMat *q, FmtId fmt, int write, double *set_err)
{
    const FmtDesc *f = fmt_get(fmt);
    int nsets = q->per_tensor ? 1 : q->rows;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < nsets; t++) {
        int r0 = q->per_tensor ? 0 : t, r1 = q->per_tensor ? q->rows : t + 1;
        double amax = 0, err = 0;
        for (int r = r0; r < r1; r++)
            for (int c = 0; c < q->cols; c++)
                amax = fmax(amax, fabs((double)src[(size_t)r * q->cols + c]));
        float s = amax > 0 ? (float)(amax / f->max_abs) : 1.0f;
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

static int quant_ant(const float *src, QMat *q, MpErr *e)
{
    static const FmtId types[3] = {FMT_ANT_INT4, FMT_FLINT4, FMT_POT4};
    double *set_err = mp_malloc((size_t)(q->per_tensor ? 1 : q->rows) * sizeof *set_err);
    if (!set_err)
        return mp_errf(e, MP_ENOMEM, "out of memory in the ANT quantizer");
    int best = 0;
    double best_err = 0;
    for (int t = 0; t < 3; t++) {
        double err = ant_apply(src, q, types[t], 0, set_err);
        if (t == 0 || err < best_err) {
            best = t;
            best_err = err;
        }
    }
    q->fmt = types[best];
    ant_apply(src, q, q->fmt, 1, set_err);
    mp_free(set_err);
    return MP_OK;
}

/* ---------------------------------------------------------------- entry */

int quant_matrix(const QParams *p, const float *src, int rows, int cols, QMat *q, MpErr *e)
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
    for (size_t i = 0, n = (size_t)rows * cols; i < n; i++)
        if (!isfinite(src[i]))
            return mp_errf(e, MP_EINPUT, "element (%zu, %zu) of the matrix is not finite", i / (size_t)cols,
                           i % (size_t)cols);
    int rc = alloc_q(q, p, rows, cols, group, per_tensor, e);
    if (rc)
        return rc;
    switch (p->scheme) {
    case QS_FP16: rc = quant_fp16(src, q, e); break;
    case QS_SYM_ROW: quant_sym_row(src, q); break;
    case QS_ASYM_GROUP: quant_asym_group(src, q); break;
    case QS_BITMOD: rc = quant_bitmod(src, q, p->bm_err, p->bm_only, e); break;
    case QS_OLIVE: rc = quant_olive(src, q, e); break;
    case QS_ANT: rc = quant_ant(src, q, e); break;
    }
    if (rc)
        quant_free(q);
    return rc;
}
