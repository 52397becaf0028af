/* models/quant.c — the quantizers. Conventions: see quant.h and docs/formats.md. */
#include "quant.h"

#include <math.h>
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
    if (p->scheme == QS_ASYM_GROUP)
        q->zero = mp_calloc(ns, sizeof *q->zero);
    if (p->scheme == QS_BITMOD)
        q->variant = mp_calloc(ns, 1);
    if (!q->code || !q->u || !q->scale || (p->scheme == QS_ASYM_GROUP && !q->zero) ||
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

static void quant_asym_group(const float *src, QMat *q)
{
    const FmtDesc *f = fmt_get(FMT_UINT4);
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
static int bitmod_group(FmtId id, const uint16_t *w16, int n, BitmodErrMode mode, int only, int *other,
                        uint16_t scale_out[4], int32_t qunits_out[4][1024])
{
    const FmtDesc *f = fmt_get(id);
    const double unit = quant_bitmod_unit(id);
    const uint16_t lo_clamp = fp16_from_f64(1e-5), hi_clamp = fp16_from_f64(1e4);
    double amax = 0;
    for (int j = 0; j < n; j++)
        amax = fmax(amax, fabs(fp16_to_f64(w16[j])));
    uint16_t amax16 = fp16_from_f64(amax);
    int best16 = -1, best64 = -1;
    double e16_best = 0, e64_best = 0;
    for (int v = 0; v < 4; v++) {
        /* the variant's grid in units: the format's values plus its special value */
        int32_t grid[FMT_MAX_CODES + 1];
        int ng = 0;
        int32_t sp = quant_bitmod_special(id, (BitmodVariant)v);
        int inserted = 0;
        for (int i = 0; i < f->nsorted; i++) {
            if (!inserted && sp < f->sorted[i]) {
                grid[ng++] = sp;
                inserted = 1;
            }
            grid[ng++] = f->sorted[i];
        }
        if (!inserted)
            grid[ng++] = sp;
        double qmax = fmax((double)f->max_abs, fabs((double)sp)) * unit;
        uint16_t s = fp16_div(amax16, fp16_from_f64(qmax));
        if (fp16_to_f64(s) < fp16_to_f64(lo_clamp))
            s = lo_clamp;
        if (fp16_to_f64(s) > fp16_to_f64(hi_clamp))
            s = hi_clamp;
        double sum16 = 0, sum64 = 0;
        for (int j = 0; j < n; j++) {
            double x = fp16_to_f64(fp16_div(w16[j], s));
            int32_t qu = grid[fmt_nearest_in(grid, ng, TIE_DOWN, x / unit)];
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
    int32_t qu[4][1024]; /* units chosen by each variant for the current group */
    uint16_t w16[1024], s[4];
    for (int r = 0; r < q->rows; r++)
        for (int g = 0; g < q->ngroups; g++) {
            const int c0 = g * q->group, n = c0 + q->group < q->cols ? q->group : q->cols - c0;
            for (int j = 0; j < n; j++)
                w16[j] = fp16_from_f32(src[(size_t)r * q->cols + c0 + j]);
            int other, v = bitmod_group(q->fmt, w16, n, mode, only, &other, s, qu);
            if (other != v)
                q->n_bitmod_disagree++;
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
    return MP_OK;
}

/* ---------------------------------------------------------------- OliVe */

static int olive_is_outlier_code(int code) { return code >= 16; }

int quant_olive_pair(FmtId fmt, double a, double b, uint8_t *ca, uint8_t *cb)
{
    const FmtDesc *f = fmt_get(fmt);
    int qa = fmt_nearest(f, a), qb = fmt_nearest(f, b);
    int oa = olive_is_outlier_code(qa), ob = olive_is_outlier_code(qb);
    if (oa && ob) { /* the larger magnitude keeps its outlier (paper's rule); tie: first */
        if (fabs(b) > fabs(a))
            oa = 0;
        else
            ob = 0;
    }
    if (oa)
        qb = 8; /* victim */
    else if (ob)
        qa = 8;
    *ca = (uint8_t)qa;
    *cb = (uint8_t)qb;
    return oa || ob;
}

/* Quantize elements [r0, r1) x [0, cols) with scale s; returns the squared error and, if
 * codes != NULL, writes codes and units. Odd cols: the last element pairs with a zero. */
static double olive_apply(const FmtDesc *f, FmtId fmt, const float *src, int cols, int r0, int r1, double s,
                          uint8_t *codes, int32_t *units, long long *nout)
{
    double err = 0;
    for (int r = r0; r < r1; r++)
        for (int c = 0; c < cols; c += 2) {
            size_t i = (size_t)r * cols + c;
            double a = src[i], b = c + 1 < cols ? src[i + 1] : 0.0;
            uint8_t ca, cb;
            int o = quant_olive_pair(fmt, a / s, b / s, &ca, &cb);
            double va = (ca == 8 ? 0 : f->value[ca]) * s, vb = (cb == 8 ? 0 : f->value[cb]) * s;
            err += (a - va) * (a - va) + (c + 1 < cols ? (b - vb) * (b - vb) : 0);
            if (codes) {
                codes[i] = ca;
                units[i] = ca == 8 ? 0 : f->value[ca];
                if (c + 1 < cols) {
                    codes[i + 1] = cb;
                    units[i + 1] = cb == 8 ? 0 : f->value[cb];
                }
                *nout += o;
            }
        }
    return err;
}

/* Normal-range maximum of an OliVe type, in grid units (int4: 7, flint4: 16). */
static int olive_normal_max(FmtId fmt) { return fmt == FMT_OLIVE_INT4 ? 7 : 16; }

/* Alpha search over rows [r0, r1): x_max = max|mu +- 3 sigma|, alpha = x_max * (0.75 + 0.02 i),
 * i = 0..87, scale = alpha / normal max; lowest squared error wins (strict <). */
static double olive_search(FmtId fmt, const float *src, int cols, int r0, int r1, double *best_err)
{
    const FmtDesc *f = fmt_get(fmt);
    double sum = 0, sum2 = 0, n = (double)(r1 - r0) * cols;
    for (int r = r0; r < r1; r++)
        for (int c = 0; c < cols; c++) {
            double v = src[(size_t)r * cols + c];
            sum += v;
            sum2 += v * v;
        }
    double mu = sum / n, var = fmax(sum2 / n - mu * mu, 0), sd = sqrt(var);
    double xmax = fmax(fabs(mu + 3 * sd), fabs(mu - 3 * sd));
    if (xmax == 0) {
        *best_err = 0;
        return 1.0;
    }
    double best_s = 0, best = 0;
    for (int i = 0; i < 88; i++) {
        double s = xmax * (0.75 + 0.02 * i) / olive_normal_max(fmt);
        double err = olive_apply(f, fmt, src, cols, r0, r1, s, NULL, NULL, NULL);
        if (i == 0 || err < best) {
            best = err;
            best_s = s;
        }
    }
    *best_err = best;
    return best_s;
}

static double olive_type(const float *src, QMat *q, FmtId fmt, int write)
{
    const FmtDesc *f = fmt_get(fmt);
    double total = 0;
    int nsets = q->per_tensor ? 1 : q->rows;
    for (int t = 0; t < nsets; t++) {
        int r0 = q->per_tensor ? 0 : t, r1 = q->per_tensor ? q->rows : t + 1;
        double err, s = olive_search(fmt, src, q->cols, r0, r1, &err);
        total += err;
        if (write) {
            q->scale[t] = (float)s;
            /* re-evaluate with the fp32 scale actually stored */
            olive_apply(f, fmt, src, q->cols, r0, r1, (double)q->scale[t], q->code, q->u, &q->n_outlier_pairs);
        }
    }
    return total;
}

static void quant_olive(const float *src, QMat *q)
{
    /* per-tensor type choice: the type with the lower total error (int4 on a tie) */
    double ei = olive_type(src, q, FMT_OLIVE_INT4, 0), ef = olive_type(src, q, FMT_OLIVE_FLINT4, 0);
    q->fmt = ef < ei ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4;
    olive_type(src, q, q->fmt, 1);
}

/* ---------------------------------------------------------------- ANT */

static double ant_apply(const float *src, QMat *q, FmtId fmt, int write)
{
    const FmtDesc *f = fmt_get(fmt);
    double err = 0;
    int nsets = q->per_tensor ? 1 : q->rows;
    for (int t = 0; t < nsets; t++) {
        int r0 = q->per_tensor ? 0 : t, r1 = q->per_tensor ? q->rows : t + 1;
        double amax = 0;
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
    }
    return err;
}

static void quant_ant(const float *src, QMat *q)
{
    static const FmtId types[3] = {FMT_ANT_INT4, FMT_FLINT4, FMT_POT4};
    int best = 0;
    double best_err = 0;
    for (int t = 0; t < 3; t++) {
        double err = ant_apply(src, q, types[t], 0);
        if (t == 0 || err < best_err) {
            best = t;
            best_err = err;
        }
    }
    q->fmt = types[best];
    ant_apply(src, q, q->fmt, 1);
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
    case QS_OLIVE: quant_olive(src, q); break;
    case QS_ANT: quant_ant(src, q); break;
    }
    if (rc)
        quant_free(q);
    return rc;
}
