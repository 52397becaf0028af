/* models/quant_ant.c — ANT int/flint/PoT with a per-tensor type choice and its 8-bit fallback (ant-int8
 * when the best 4-bit type's MSNR is below the threshold). See quant.h, docs/formats.md ("ANT") and the
 * conventions at the top of quant.c (reference and fast path, thresholds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "models/fpx.h"
#include "models/quant_int.h"

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
    return quant_absmax(src + (size_t)r0 * q->cols, (size_t)(r1 - r0) * q->cols);
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

/* The reference's grid value of x under scale s (a GridIndex; the grid is the FmtDesc). */
static int ant_grid_value(const void *grid, double x, double s)
{
    const FmtDesc *f = grid;
    return f->value[fmt_nearest(f, x / s)];
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
        float guess = (float)(0.5 * (f->sorted[i] + f->sorted[i + 1]) * ty->s);
        ty->t[i] =
            quant_key_index_reaches(-FKEY_MAX, FKEY_MAX, fkey(guess), ant_grid_value, f, ty->s, f->sorted[i + 1]);
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

/* The tensor's magnitude: sum of |x| per set in element order, then over the sets in set order (the
 * order of the error sums), so the ratio below has the same bits for any thread count. One function
 * for the reference and the fast path: it is a plain pass, nothing to specialise. */
static double ant_abs_sum(const float *src, const QMat *q, double *set_a)
{
    const int nsets = q->per_tensor ? 1 : q->rows;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < nsets; t++) {
        int r0, r1;
        ant_set_rows(q, t, &r0, &r1);
        double a = 0;
        for (size_t i = (size_t)r0 * q->cols; i < (size_t)r1 * q->cols; i++)
            a += fabs((double)src[i]);
        set_a[t] = a;
    }
    double a = 0;
    for (int t = 0; t < nsets; t++)
        a += set_a[t];
    return a;
}

/* The 4-bit error against the tensor's mean magnitude, in dB: 10 log10(mean(|x|)^2 / mean(err^2)) =
 * 10 log10(abs_sum^2 / (n * err)); +inf when the error is 0 (also for an all-zero tensor), so an exact
 * tensor never falls back. Not the SQNR (mean(x^2) / mean(err^2)): a few large outliers dominate
 * mean(x^2), so the SQNR stays high while the 4-bit grid, scaled to those outliers, rounds the bulk
 * of the tensor away; the mean magnitude follows the bulk (docs/formats.md, "ANT"). */
static double ant_msnr_db(double abs_sum, double n, double err)
{
    return err > 0 ? 10.0 * log10(abs_sum / n * (abs_sum / err)) : INFINITY;
}

int quant_ant_run(const float *src, QMat *q, AntFallback fb, double fb_db, int ref, MpErr *e)
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
    /* the 8-bit fallback: the tensor's 4-bit MSNR against the threshold (strictly below falls back) */
    const double n = (double)q->rows * q->cols;
    q->ant_mse4 = best_err / n;
    q->ant_msnr4_db = ant_msnr_db(ant_abs_sum(src, q, set_err), n, best_err);
    const int to8 = fb == ANT_FB_INT8 || (fb == ANT_FB_MSNR && q->ant_msnr4_db < fb_db);
    q->fmt = to8 ? FMT_ANT_INT8 : ant_types[best];
    if (ref)
        ant_apply_ref(src, q, q->fmt, 1, set_err);
    else
        ant_write(src, q); /* ant-int8 has too many thresholds: ant_write rounds it by fmt_nearest */
    mp_free(set_err);
    return MP_OK;
}
