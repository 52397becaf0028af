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
#include "models/quant_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "models/fpx.h"

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

int quant_alloc(QMat *q, const QParams *p, int rows, int cols, int group, int per_tensor, MpErr *e)
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
float quant_fp16_scale(double s)
{
    double v = fp16_to_f64(fp16_from_f64(s));
    if (v < 0x1p-24)
        v = 0x1p-24;
    if (v > 65504.0)
        v = 65504.0;
    return (float)v;
}
/* The least key in [lo, hi] where pred holds, hi + 1 if none. Gallops away from guess (which a
 * caller puts at or next to the answer: then two evaluations), then bisects the bracket. */
int32_t quant_key_first_true(int32_t lo, int32_t hi, int32_t guess, KeyPred pred, const void *ctx)
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

typedef struct IndexReaches {
    GridIndex index;
    const void *grid;
    double s;
    int at;
} IndexReaches;

static int index_reaches(int32_t key, const void *ctx)
{
    const IndexReaches *c = ctx;
    return c->index(c->grid, (double)fkey_float(key), c->s) >= c->at;
}

int32_t quant_key_index_reaches(int32_t lo, int32_t hi, int32_t guess, GridIndex index, const void *grid, double s,
                                int at)
{
    const IndexReaches c = {index, grid, s, at};
    return quant_key_first_true(lo, hi, guess, index_reaches, &c);
}

/* max |x[i]| over n finite floats: non-negative floats order like their bits, so an integer max
 * (which compilers vectorize) gives fmax's answer. */
float quant_absmax(const float *x, size_t n)
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
        double amax = quant_absmax(x, (size_t)q->cols);
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
            float s = hi > lo ? quant_fp16_scale((hi - lo) / 15.0) : 1.0f;
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
    case QS_ANT:
        per_tensor = p->per_tensor;
        if (p->scheme == QS_ANT && (p->ant_fb < ANT_FB_OFF || p->ant_fb > ANT_FB_INT8))
            return mp_errf(e, MP_EINPUT, "ANT: unknown 8-bit fallback mode %d", (int)p->ant_fb);
        if (p->scheme == QS_ANT && p->ant_fb == ANT_FB_MSNR && !isfinite(p->ant_fb_db))
            return mp_errf(e, MP_EINPUT, "ANT: the 8-bit fallback threshold must be a finite SQNR in dB");
        break;
    }
    size_t n = (size_t)rows * cols, bad = first_nonfinite(src, n);
    if (bad < n)
        return mp_errf(e, MP_EINPUT, "element (%zu, %zu) of the matrix is not finite", bad / (size_t)cols,
                       bad % (size_t)cols);
    int rc = quant_alloc(q, p, rows, cols, group, per_tensor, e);
    if (rc)
        return rc;
    switch (p->scheme) {
    case QS_FP16: rc = quant_fp16(src, q, e); break;
    case QS_SYM_ROW: quant_sym_row(src, q); break;
    case QS_ASYM_GROUP: quant_asym_group(src, q, ref); break;
    case QS_BITMOD: rc = quant_bitmod_run(src, q, p->bm_err, p->bm_only, ref, e); break;
    case QS_OLIVE: rc = quant_olive_run(src, q, ref, e); break;
    case QS_ANT: rc = quant_ant_run(src, q, p->ant_fb, p->ant_fb_db, ref, e); break;
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

int quant_roundtrip(const QParams *p, float *v, int rows, int cols, MpErr *e)
{
    QMat q;
    int rc = quant_matrix(p, v, rows, cols, &q, e);
    if (rc)
        return rc;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            v[(size_t)r * cols + c] = (float)quant_value(&q, r, c);
    quant_free(&q);
    return MP_OK;
}
