/* models/quant_olive.c — OliVe outlier-victim pairs: the alpha search and the pair encoding. See quant.h, docs/formats.md and the conventions at the top of
 * quant.c (reference and fast path, thresholds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "models/fpx.h"
#include "models/quant_int.h"

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

/* The reference's magnitude index of |x| under scale s (a GridIndex; the grid is the OliveGrid). */
static int olive_grid_index(const void *grid, double ax, double s) { return olive_index(grid, ax, s); }

/* The final pass of one set with scale s: codes, u and the outlier pair count, as the loop over
 * quant_olive_pair_s in the reference, with the magnitude index from thresholds on |x|. */
static long long olive_write_fast(const float *src, QMat *q, const OliveGrid *g, double s, int r0, int r1)
{
    const FmtDesc *f = fmt_get(q->fmt);
    int32_t tk[OLIVE_MAXMAG]; /* the least key of |x| with a magnitude index > i */
    uint8_t code[2][OLIVE_MAXMAG];
    const int nt = g->n - 1;
    for (int i = 0; i < nt; i++) {
        const float guess = (float)(s * (g->mag[i] + g->mag[i + 1]) * 0.5);
        tk[i] = quant_key_index_reaches(0, FKEY_MAX, fkey(guess), olive_grid_index, g, s, i + 1);
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

int quant_olive_run(const float *src, QMat *q, int ref, MpErr *e)
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
