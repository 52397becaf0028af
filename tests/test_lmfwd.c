/* tests/test_lmfwd.c — the language-model forward pass (dse/lmfwd.h) and the perplexity study
 * (dse/perplexity.h).
 *
 * On a small seeded random model (always runs):
 *   - logits and window NLLs are bit-identical for 1, 2 and 3 threads, for the baseline and for
 *     formats with per-token and per-tensor activation scales, and with a KV format;
 *   - the fast ideal linear (fp32 sgemm over dequantized values) is within its stated bound of
 *     golden_gemm_ideal (double), and the hardware-exact linear equals golden_gemm_hw and is within
 *     golden_error_bound (+1%) of golden_gemm_ideal, for every format;
 *   - end to end, the hw datapath's perplexity is close to the ideal one's (the datapaths' own
 *     arithmetic error is small next to quantization);
 *   - the KV hooks round as stated.
 * On the real SmolLM2-135M (build/cache/smollm2, fetched by `make deps`; MPSIM_SMOLLM2_GGUF overrides),
 * each test SKIPS, saying why, when the model (or, for the reference, python3 with gguf + numpy in
 * build/pylib) is missing:
 *   - fp32 logits of a fixed 24-token sequence against scripts/smollm2_ref.py (numpy float64, HF RoPE on
 *     un-permuted Q/K) within LM_REF_TOL;
 *   - ideal vs golden ideal vs hardware-exact on a slice of real layer-0 inputs and weights;
 *   - a window's NLL identical for 1 and 2 threads (int8 format).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "base/alloc.h"
#include "dse/lmfwd.h"
#include "dse/perplexity.h"
#include "models/fpx.h"
#include "models/golden.h"

#define DEFAULT_GGUF MPSIM_DATADIR "/build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
/* Max |logit_C - logit_ref| allowed, relative to max(1, max |logit_ref|): the C pass is fp32 (sgemm,
 * fp32 norms and softmax) through 30 layers, the reference float64 on the same dequantized weights;
 * fp32 rounding (2^-24 relative per operation) grown through 30 residual layers stays well below it,
 * while a wrong RoPE pairing, GQA mapping, norm or eps moves logits by whole units. */
#define LM_REF_TOL 2e-3

static const LmConfig tiny = {2, 128, 256, 4, 2, 32, 300, 1e-5f, 10000.0f};

static void check(int rc, const MpErr *e)
{
    if (rc != MP_OK)
        fail_msg("rc %d: %s", rc, e->msg);
}

static int32_t *seq(int n, int vocab, uint64_t seed)
{
    MpRng g;
    mp_rng_seed(&g, seed);
    int32_t *t = mp_malloc((size_t)n * sizeof *t);
    for (int i = 0; i < n; i++)
        t[i] = (int32_t)mp_rng_below(&g, (uint64_t)vocab);
    return t;
}

/* logits of n tokens with a runner of nf / threads */
static float *logits_of(const LmModel *m, const NumFormat *nf, LmKvQuant kv, int threads, const int32_t *tok, int n)
{
    MpErr e = {0};
    LmRunner *r;
    check(lm_prepare(m, nf, LM_DP_IDEAL, kv, threads, &r, &e), &e);
    float *y = mp_malloc((size_t)n * lm_config(m)->vocab * sizeof *y);
    check(lm_forward(r, tok, n, y, &e), &e);
    lm_runner_free(r);
    return y;
}

static void test_threads_bit_identical(void **state)
{
    (void)state;
    MpErr e = {0};
    LmModel *m;
    check(lm_create_random(&tiny, 7, &m, &e), &e);
    int n = 40;
    int32_t *tok = seq(n, tiny.vocab, 11);
    LmKvQuant int8kv;
    assert_int_equal(lm_kv_find("int8", &int8kv), 0);
    const NumFormat *fmts[] = {NULL, num_format_find("int8"), num_format_find("olive-w4a4"),
                               num_format_find("bitmod-w3")};
    for (int f = 0; f < 4; f++) {
        LmKvQuant kv = f == 1 ? int8kv : NULL;
        float *y1 = logits_of(m, fmts[f], kv, 1, tok, n);
        for (int th = 2; th <= 3; th++) {
            float *y = logits_of(m, fmts[f], kv, th, tok, n);
            if (memcmp(y1, y, (size_t)n * tiny.vocab * sizeof *y) != 0)
                fail_msg("format %s: logits differ between 1 and %d threads", fmts[f] ? fmts[f]->name : "none", th);
            mp_free(y);
        }
        for (size_t i = 0; i < (size_t)n * tiny.vocab; i++)
            assert_true(isfinite(y1[i]));
        mp_free(y1);
    }
    /* the study: perplexity identical for 1 and 3 threads */
    double ppl[2];
    for (int i = 0; i < 2; i++) {
        PplStudy s;
        ppl_init(&s, m, LM_DP_IDEAL, NULL, i ? 3 : 1, 16);
        check(ppl_add_format(&s, "mixpe-w4a8", &e), &e);
        check(ppl_run(&s, tok, n, 1000, 1, 0, &e), &e);
        assert_int_equal(s.windows, 2);
        assert_int_equal(s.row[1].predictions, 30);
        ppl[i] = s.row[1].ppl;
        assert_true(isfinite(s.row[0].ppl) && s.row[0].ppl > 1);
        assert_non_null(lm_runner_stats(s.base, 0, LM_ACT_QKV));
        ppl_free(&s);
    }
    assert_memory_equal(&ppl[0], &ppl[1], sizeof ppl[0]);
    mp_free(tok);
    lm_free(m);
}

/* One linear layer of every format: fast ideal vs golden ideal (bound), hw vs golden hw (equal) and
 * vs golden ideal (golden_error_bound + 1%). x: t x k. */
static void linear_agreement(const LmModel *m, int l, LmLin which, const float *x, int t)
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

static void test_linear_datapaths_random(void **state)
{
    (void)state;
    MpErr e = {0};
    LmModel *m;
    check(lm_create_random(&tiny, 3, &m, &e), &e);
    MpRng g;
    mp_rng_seed(&g, 5);
    float *x = tu_matrix(&g, 6, tiny.ffn, 3, 30.0);
    linear_agreement(m, 1, LM_Q, x, 6);
    linear_agreement(m, 0, LM_DOWN, x, 6);
    mp_free(x);
    lm_free(m);
}

/* End to end on the tiny model: the hw datapath's perplexity within 1% of the ideal one's. */
static void test_hw_vs_ideal_ppl(void **state)
{
    (void)state;
    MpErr e = {0};
    LmModel *m;
    check(lm_create_random(&tiny, 9, &m, &e), &e);
    int32_t *tok = seq(24, tiny.vocab, 4);
    for (int f = 0; f < num_formats_count; f++) {
        double p[2];
        for (int d = 0; d < 2; d++) {
            PplStudy s;
            ppl_init(&s, m, d ? LM_DP_HW : LM_DP_IDEAL, NULL, 2, 24);
            check(ppl_add_format(&s, num_formats[f].name, &e), &e);
            check(ppl_run(&s, tok, 24, 24, 0, 0, &e), &e);
            p[d] = s.row[1].ppl;
            ppl_free(&s);
        }
        print_message("  %-12s ppl ideal %.6f hw %.6f\n", num_formats[f].name, p[0], p[1]);
        if (!(fabs(log(p[1] / p[0])) < 0.01)) /* NLL per token within 0.01 nat */
            fail_msg("%s: hw perplexity %.6f vs ideal %.6f", num_formats[f].name, p[1], p[0]);
    }
    mp_free(tok);
    lm_free(m);
}

static void test_kv_hooks(void **state)
{
    (void)state;
    LmKvQuant f;
    assert_int_equal(lm_kv_find("none", &f), 0);
    assert_null(f);
    assert_int_equal(lm_kv_find("int4", &f), -1);
    float v[4] = {1.0f, -0.5f, 0.3333333f, 1e-3f};
    assert_int_equal(lm_kv_find("fp16", &f), 0);
    f(v, 4);
    assert_true(v[2] == fp16_to_f32(fp16_from_f32(0.3333333f)));
    float w[3] = {127.0f, -63.4f, 0.2f};
    assert_int_equal(lm_kv_find("int8", &f), 0);
    f(w, 3);
    assert_true(w[0] == 127.0f && w[1] == -63.0f && w[2] == 0.0f);
}

/* ---------------------------------------------------------------- the real model */

static const char *gguf_path(void)
{
    const char *p = getenv("MPSIM_SMOLLM2_GGUF");
    return p && *p ? p : DEFAULT_GGUF;
}

static LmModel *real;

static int need_real(void)
{
    if (real)
        return 1;
    if (access(gguf_path(), R_OK) != 0) {
        print_message("SKIP: no SmolLM2 model at %s ('make deps' fetches it)\n", gguf_path());
        return 0;
    }
    MpErr e = {0};
    check(lm_load_gguf(gguf_path(), &real, &e), &e);
    return 1;
}

static void test_real_vs_reference(void **state)
{
    (void)state;
    if (!need_real())
        skip();
    char out[] = "/tmp/mpsim_lmref_XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "PYTHONPATH='%s/build/pylib'${PYTHONPATH:+:$PYTHONPATH} python3 '%s/scripts/smollm2_ref.py' '%s' '%s'",
             MPSIM_DATADIR, MPSIM_DATADIR, gguf_path(), out);
    int st = system(cmd);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
        unlink(out);
        print_message("SKIP: python3 lacks gguf/numpy (make deps installs them into build/pylib)\n");
        skip();
    }
    if (st != 0) {
        unlink(out);
        fail_msg("scripts/smollm2_ref.py failed (status %d)", st);
    }
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    int ntok = 0, vocab = 0;
    if (fscanf(f, "mpsim-smollm2-ref 1 ntok=%d vocab=%d\n", &ntok, &vocab) != 2 || ntok < 1 || ntok > 4096)
        fail_msg("%s: bad header", out);
    assert_int_equal(vocab, lm_config(real)->vocab);
    int32_t *tok = mp_malloc((size_t)ntok * sizeof *tok);
    for (int i = 0; i < ntok; i++)
        assert_int_equal(fscanf(f, "%d", &tok[i]), 1);
    assert_int_equal(fgetc(f), '\n');
    size_t nv = (size_t)ntok * vocab;
    float *ref = mp_malloc(nv * sizeof *ref);
    assert_int_equal(fread(ref, sizeof *ref, nv, f), nv);
    fclose(f);
    unlink(out);
    float *y = logits_of(real, NULL, NULL, 2, tok, ntok);
    double maxref = 1, maxerr = 0;
    int arg_agree = 0;
    for (size_t i = 0; i < nv; i++) {
        maxref = fmax(maxref, fabs(ref[i]));
        maxerr = fmax(maxerr, fabs((double)y[i] - ref[i]));
    }
    for (int t = 0; t < ntok; t++) {
        size_t a = 0, b = 0;
        for (size_t v = 1; v < (size_t)vocab; v++) {
            if (y[t * (size_t)vocab + v] > y[t * (size_t)vocab + a])
                a = v;
            if (ref[t * (size_t)vocab + v] > ref[t * (size_t)vocab + b])
                b = v;
        }
        arg_agree += a == b;
    }
    print_message("  %d tokens: max |logit C - logit numpy| = %.3g (max |logit| %.2f, tolerance %.3g); argmax agrees "
                  "at %d of %d positions\n",
                  ntok, maxerr, maxref, LM_REF_TOL * maxref, arg_agree, ntok);
    assert_true(maxerr <= LM_REF_TOL * maxref);
    assert_int_equal(arg_agree, ntok);
    mp_free(y);
    mp_free(ref);
    mp_free(tok);
}

/* Real activations (captured from a forward pass over the reference's 24 tokens) through real
 * weights: layer 3's attention input into attn_q, layer 3's FFN middle (the SwiGLU output, where the
 * largest outliers live) into ffn_down; 4 token rows each, every format, ideal and hw. */
static void test_real_linear_slice(void **state)
{
    (void)state;
    if (!need_real())
        skip();
    const LmConfig *c = lm_config(real);
    int32_t tok[8] = {504, 28807, 4660, 4837, 6966, 314, 253, 1904};
    MpErr e = {0};
    float *xa = mp_malloc((size_t)4 * c->dim * sizeof *xa), *xf = mp_malloc((size_t)4 * c->ffn * sizeof *xf);
    float *y = mp_malloc((size_t)8 * c->vocab * sizeof *y);
    for (int i = 0; i < 2; i++) {
        LmRunner *r;
        check(lm_prepare(real, NULL, LM_DP_IDEAL, NULL, 2, &r, &e), &e);
        lm_runner_capture(r, 3, i ? LM_ACT_DOWN : LM_ACT_QKV, i ? xf : xa, 4);
        check(lm_forward(r, tok, 8, y, &e), &e);
        lm_runner_free(r);
    }
    linear_agreement(real, 3, LM_Q, xa, 4);
    linear_agreement(real, 3, LM_DOWN, xf, 4);
    mp_free(xa);
    mp_free(xf);
    mp_free(y);
}

static void test_real_threads(void **state)
{
    (void)state;
    if (!need_real())
        skip();
    MpErr e = {0};
    int32_t *tok = seq(32, lm_config(real)->vocab, 8);
    double nll[2];
    for (int i = 0; i < 2; i++) {
        LmRunner *r;
        check(lm_prepare(real, num_format_find("int8"), LM_DP_IDEAL, NULL, i + 1, &r, &e), &e);
        check(lm_window_nll(r, tok, 32, &nll[i], &e), &e);
        lm_runner_free(r);
    }
    print_message("  int8, 32 random tokens: NLL %.6f with 1 and 2 threads\n", nll[0]);
    assert_memory_equal(&nll[0], &nll[1], sizeof nll[0]);
    mp_free(tok);
}

static int teardown_real(void **state)
{
    (void)state;
    lm_free(real);
    real = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_hooks),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_linear_datapaths_random),
        cmocka_unit_test(test_hw_vs_ideal_ppl),
        cmocka_unit_test(test_real_vs_reference),
        cmocka_unit_test(test_real_linear_slice),
        cmocka_unit_test(test_real_threads),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_real);
}
