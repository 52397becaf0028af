/* dse/accuracy.c — see accuracy.h. */
#include "dse/accuracy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

void acc_study_init(AccStudy *s) { memset(s, 0, sizeof *s); }

void acc_study_free(AccStudy *s)
{
    mp_free(s->layer);
    memset(s, 0, sizeof *s);
}

static const char *const variant_names[4] = {"er_pos", "er_neg", "ea_pos", "ea_neg"};

int acc_study_add_format(AccStudy *s, const char *name, BitmodErrMode bm_err, MpErr *e)
{
    if (s->nfmt >= ACC_MAX_FORMATS)
        return mp_errf(e, MP_EINPUT, "too many formats (at most %d)", ACC_MAX_FORMATS);
    char base[48];
    snprintf(base, sizeof base, "%s", name);
    char *colon = strchr(base, ':');
    int only = 0;
    if (colon) {
        *colon = '\0';
        for (int v = 0; v < 4; v++)
            if (!strcmp(colon + 1, variant_names[v]))
                only = 1 + v;
        if (!only)
            return mp_errf(e, MP_EINPUT, "format '%s': unknown BitMoD variant (er_pos, er_neg, ea_pos, ea_neg)", name);
    }
    const NumFormat *nf = num_format_find(base);
    if (!nf) { /* the message names what was given, the variant included */
        (void)num_format_lookup(name, e);
        return MP_EINPUT;
    }
    if (only && nf->wq.scheme != QS_BITMOD)
        return mp_errf(e, MP_EINPUT, "format '%s': a ':variant' applies only to bitmod formats", name);
    for (int i = 0; i < s->nfmt; i++)
        if (!strcmp(s->fmt[i].name, name))
            return mp_errf(e, MP_EINPUT, "format '%s' is listed twice", name);
    AccFormat *f = &s->fmt[s->nfmt++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->nf = *nf;
    f->nf.wq.bm_err = bm_err;
    f->nf.wq.bm_only = only;
    return MP_OK;
}

void acc_study_set_ant_fb_db(AccStudy *s, double db)
{
    for (int i = 0; i < s->nfmt; i++) {
        QParams *q[2] = {&s->fmt[i].nf.wq, &s->fmt[i].nf.xq};
        for (int j = 0; j < 2; j++)
            if (q[j]->scheme == QS_ANT && q[j]->ant_fb == ANT_FB_MSNR)
                q[j]->ant_fb_db = db;
    }
}

static double sqnr_of(const MetricAcc *a) { return metric_summary(a).sqnr_db; }

/* ANT's 8-bit layers hold both operands at 8 bits (docs/sources.md, "ANT 8-bit layers"): when one
 * operand of an ANT x ANT GEMM fell back, quantize its partner q (from src, rows x k) again at
 * ant-int8 (base: its QParams). */
static int ant_pair_int8(const QParams *base, QMat *q, const float *src, int rows, int k, MpErr *e)
{
    QParams p = *base;
    p.ant_fb = ANT_FB_INT8;
    QMat q8;
    int rc = quant_matrix(&p, src, rows, k, &q8, e);
    if (rc)
        return rc;
    quant_free(q);
    *q = q8; /* its ant_msnr4_db is the same 4-bit search's */
    return MP_OK;
}

int acc_study_gemm(AccStudy *s, const char *name, const float *w, int n, int k, const float *x, int t, MpErr *e)
{
    AccLayer *nl = mp_grow(s->layer, s->nlayer, &s->cap, sizeof *nl, 16);
    if (!nl)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    s->layer = nl;
    if (s->nlayer == 0 || t < s->tokens_min)
        s->tokens_min = t;
    if (t > s->tokens_max)
        s->tokens_max = t;
    AccLayer *L = &s->layer[s->nlayer];
    memset(L, 0, sizeof *L);
    snprintf(L->name, sizeof L->name, "%s", name);
    L->n = n;
    L->k = k;
    L->t = t;
    size_t ny = (size_t)t * n;
    double *yref = mp_calloc(ny, sizeof *yref), *yid = mp_calloc(ny, sizeof *yid);
    float *yhw = mp_calloc(ny, sizeof *yhw);
    int rc = MP_OK;
    if (!yref || !yid || !yhw) {
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
        goto out;
    }
    golden_gemm_ref(w, x, t, n, k, yref);
    for (int fi = 0; fi < s->nfmt; fi++) {
        AccFormat *f = &s->fmt[fi];
        QMat qw, qx;
        if ((rc = quant_matrix(&f->nf.wq, w, n, k, &qw, e)) != MP_OK)
            goto out;
        if ((rc = quant_matrix(&f->nf.xq, x, t, k, &qx, e)) != MP_OK) {
            quant_free(&qw);
            goto out;
        }
        L->wtype[fi] = L->xtype[fi] = -1;
        L->ant_w_msnr4[fi] = L->ant_x_msnr4[fi] = L->ant_w_mse4[fi] = L->ant_x_mse4[fi] = NAN;
        /* fell back by their own 4-bit MSNR; then ANT runs a layer's pair at 8 bits together */
        const int w_own = qw.scheme == QS_ANT && qw.fmt == FMT_ANT_INT8,
                  x_own = qx.scheme == QS_ANT && qx.fmt == FMT_ANT_INT8;
        if (qw.scheme == QS_ANT && qx.scheme == QS_ANT && w_own != x_own)
            rc = w_own ? ant_pair_int8(&f->nf.xq, &qx, x, t, k, e) : ant_pair_int8(&f->nf.wq, &qw, w, n, k, e);
        if (rc) {
            quant_free(&qw);
            quant_free(&qx);
            mp_err_prefix(e, "%s, format %s", name, f->name);
            goto out;
        }
        rc = golden_gemm_hw(f->nf.kind, &qw, &qx, yhw, e);
        if (rc == MP_OK)
            rc = golden_gemm_ideal(&qw, &qx, yid, e);
        if (rc == MP_OK) {
            MetricAcc hw, id, wt, hi;
            metric_reset(&hi);
            metric_reset(&hw);
            metric_reset(&id);
            metric_reset(&wt);
            for (size_t i = 0; i < ny; i++) {
                metric_add(&hw, yref[i], (double)yhw[i]);
                metric_add(&id, yref[i], yid[i]);
                metric_add(&hi, yid[i], (double)yhw[i]);
            }
            for (int r = 0; r < n; r++)
                for (int c = 0; c < k; c++)
                    metric_add(&wt, (double)w[(size_t)r * k + c], quant_value(&qw, r, c));
            metric_merge(&f->out_hw, &hw);
            metric_merge(&f->out_ideal, &id);
            metric_merge(&f->weight, &wt);
            metric_merge(&f->hw_vs_ideal, &hi);
            L->sqnr_hw[fi] = sqnr_of(&hw);
            L->sqnr_ideal[fi] = sqnr_of(&id);
            L->sqnr_w[fi] = sqnr_of(&wt);
            f->bitmod_disagree += qw.n_bitmod_disagree;
            if (qw.scheme == QS_BITMOD)
                f->bitmod_groups += (long long)qw.rows * qw.ngroups;
            if (qw.scheme == QS_OLIVE) {
                f->olive_w_outlier_pairs += qw.n_outlier_pairs;
                f->olive_w_pairs += (long long)qw.rows * ((qw.cols + 1) / 2);
            }
            if (qx.scheme == QS_OLIVE) { /* W4A4 only: the weight-only kinds take fp16 activations */
                f->olive_x_outlier_pairs += qx.n_outlier_pairs;
                f->olive_x_pairs += (long long)qx.rows * ((qx.cols + 1) / 2);
            }
            if (qw.scheme == QS_OLIVE || qw.scheme == QS_ANT) {
                f->types_seen |= 1 << qw.fmt;
                L->wtype[fi] = (int8_t)qw.fmt;
            }
            if (qx.scheme == QS_OLIVE || qx.scheme == QS_ANT) {
                f->types_seen |= 1 << qx.fmt;
                L->xtype[fi] = (int8_t)qx.fmt;
            }
            if (qw.scheme == QS_ANT) {
                f->ant_w_tensors++;
                f->ant_w_int8 += qw.fmt == FMT_ANT_INT8;
                f->ant_w_own += w_own;
                f->ant_w_elems += (long long)n * k;
                f->ant_w_code_bits += (long long)n * k * fmt_get(qw.fmt)->bits;
                L->ant_w_msnr4[fi] = qw.ant_msnr4_db;
                L->ant_w_mse4[fi] = qw.ant_mse4;
            }
            if (qx.scheme == QS_ANT) {
                f->ant_x_tensors++;
                f->ant_x_int8 += qx.fmt == FMT_ANT_INT8;
                f->ant_x_own += x_own;
                L->ant_x_msnr4[fi] = qx.ant_msnr4_db;
                L->ant_x_mse4[fi] = qx.ant_mse4;
            }
        }
        quant_free(&qw);
        quant_free(&qx);
        if (rc) {
            mp_err_prefix(e, "%s, format %s", name, f->name);
            goto out;
        }
    }
    s->nlayer++;
out:
    mp_free(yref);
    mp_free(yid);
    mp_free(yhw);
    return rc;
}

int acc_study_synthetic(AccStudy *s, const Workload *shapes, int layers, int rows, int tokens, int64_t seed,
                        const SynParams *sp, int progress, MpErr *e)
{
    int rc = MP_OK;
    for (int l = 0; l < layers && rc == MP_OK; l++)
        for (int gi = 0; gi < shapes->ngemm && rc == MP_OK; gi++) {
            const Gemm *g = &shapes->gemms[gi];
            if (g->role != WL_WEIGHT_ACT || !strcmp(g->name, "lm_head"))
                continue;
            if (g->n > (1 << 24) || g->k > (1 << 24)) {
                rc = mp_errf(e, MP_EINPUT, "%s: %lld x %lld is too large for the accuracy study", g->name,
                             (long long)g->n, (long long)g->k);
                break;
            }
            int n = (int)g->n, k = (int)g->k;
            int r = rows <= 0 || rows >= n ? n : rows, t = tokens;
            float *w = mp_malloc((size_t)r * k * sizeof *w), *x = mp_malloc((size_t)t * k * sizeof *x);
            uint64_t sw = (uint64_t)seed * 1000003u + (uint64_t)l * 64u + (uint64_t)gi;
            char name[96];
            snprintf(name, sizeof name, "layers.%d.%s", l, g->name);
            if (progress)
                fprintf(stderr, "\r  %-32s (%d x %d, %d tokens)   ", name, r, k, t);
            if (!w || !x)
                rc = mp_errf(e, MP_ENOMEM, "out of memory");
            if (rc == MP_OK)
                rc = syn_weights(sp, sw, (size_t)r, (size_t)k, w, e);
            if (rc == MP_OK)
                rc = syn_acts(sp, sw, (size_t)t, (size_t)k, x, NULL, e);
            if (rc == MP_OK)
                rc = acc_study_gemm(s, name, w, r, k, x, t, e);
            mp_free(w);
            mp_free(x);
        }
    if (progress)
        fprintf(stderr, "\r%60s\r", "");
    return rc;
}
