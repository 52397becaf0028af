/* tests/lmutil.h — helpers of the language-model tests (tests/test_lmfwd.c on a random model,
 * tests/lm_smollm2.c on the real one): header-only, static. Needs <cmocka.h> and testutil.h first. */
#ifndef MP_TESTS_LMUTIL_H
#define MP_TESTS_LMUTIL_H

#include <math.h>

#include "base/alloc.h"
#include "dse/lmfwd.h"
#include "models/golden.h"

static inline void check(int rc, const MpErr *e)
{
    if (rc != MP_OK)
        fail_msg("rc %d: %s", rc, e->msg);
}

static inline int32_t *seq(int n, int vocab, uint64_t seed)
{
    MpRng g;
    mp_rng_seed(&g, seed);
    int32_t *t = mp_malloc((size_t)n * sizeof *t);
    for (int i = 0; i < n; i++)
        t[i] = (int32_t)mp_rng_below(&g, (uint64_t)vocab);
    return t;
}

/* logits of n tokens with a runner of nf / threads */
static inline float *logits_of(const LmModel *m, const NumFormat *nf, LmKvQuant kv, int threads, const int32_t *tok, int n)
{
    MpErr e = {0};
    LmRunner *r;
    check(lm_prepare(m, nf, LM_DP_IDEAL, kv, threads, &r, &e), &e);
    float *y = mp_malloc((size_t)n * lm_config(m)->vocab * sizeof *y);
    check(lm_forward(r, tok, n, y, &e), &e);
    lm_runner_free(r);
    return y;
}

/* One linear layer of every format: fast ideal vs golden ideal (bound), hw vs golden hw (equal) and
 * vs golden ideal (golden_error_bound + 1%). x: t x k. */
static inline void linear_agreement(const LmModel *m, int l, LmLin which, const float *x, int t)
{
    MpErr e = {0};
    int n, k;
    const float *w = lm_weight(m, l, which, &n, &k);
    float *yi = mp_malloc((size_t)t * n * sizeof *yi), *yh = mp_malloc((size_t)t * n * sizeof *yh);
    float *yg = mp_malloc((size_t)t * n * sizeof *yg);
    double *yd = mp_malloc((size_t)t * n * sizeof *yd);
    for (int f = 0; f < num_formats_count; f++) {
        const NumFormat *nf = &num_formats[f];
        LmRunner *ri, *rh;
        check(lm_prepare(m, nf, LM_DP_IDEAL, NULL, 2, &ri, &e), &e);
        check(lm_prepare(m, nf, LM_DP_HW, NULL, 2, &rh, &e), &e);
        check(lm_linear(ri, l, which, x, t, yi, &e), &e);
        check(lm_linear(rh, l, which, x, t, yh, &e), &e);
        QMat qw, qx;
        check(quant_matrix(&nf->wq, w, n, k, &qw, &e), &e);
        check(quant_matrix(&nf->xq, x, t, k, &qx, &e), &e);
        check(golden_gemm_ideal(&qw, &qx, yd, &e), &e);
        check(golden_gemm_hw(nf->kind, &qw, &qx, yg, &e), &e);
        double worst = 0;
        for (int i = 0; i < t; i++)
            for (int j = 0; j < n; j++) {
                size_t o = (size_t)i * n + j;
                double absum = 0;
                for (int c = 0; c < k; c++)
                    absum += fabs(quant_value(&qw, j, c) * quant_value(&qx, i, c));
                double bound = (k + 2) * ldexp(1.0, -24) * absum + 1e-30;
                double err = fabs((double)yi[o] - yd[o]);
                if (err > bound)
                    fail_msg("%s, %s: ideal (sgemm) %.9g vs golden ideal %.9g at (%d,%d): |err| %.3g > bound %.3g",
                             nf->name, lm_lin_names[which], (double)yi[o], yd[o], i, j, err, bound);
                if (err / bound > worst)
                    worst = err / bound;
                if (tu_f32_bits(yh[o]) != tu_f32_bits(yg[o]))
                    fail_msg("%s: hw linear %.9g != golden_gemm_hw %.9g", nf->name, (double)yh[o], (double)yg[o]);
                double hb = golden_error_bound(nf->kind, &qw, j, &qx, i) * 1.01 + 1e-30;
                if (fabs((double)yh[o] - yd[o]) > hb)
                    fail_msg("%s, %s: hw %.9g vs golden ideal %.9g at (%d,%d): beyond golden_error_bound %.3g", nf->name,
                             lm_lin_names[which], (double)yh[o], yd[o], i, j, hb);
            }
        print_message("  %-12s %-11s %d x %d x %d: ideal(sgemm) error <= %.3f of its bound; hw == golden hw\n",
                      nf->name, lm_lin_names[which], t, n, k, worst);
        quant_free(&qw);
        quant_free(&qx);
        lm_runner_free(ri);
        lm_runner_free(rh);
    }
    mp_free(yi);
    mp_free(yh);
    mp_free(yg);
    mp_free(yd);
}

#endif
