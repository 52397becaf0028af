/* tests/test_lmfwd.c — the language-model forward pass (dse/lmfwd.h) and the perplexity study
 * (dse/perplexity.h).
 *
 * On a small seeded random model (always runs):
 *   - logits and window NLLs are bit-identical for 1, 2 and 3 threads, for the baseline and for
 *     formats with per-token and per-tensor activation scales, and with a KV format; weights
 *     quantized in parallel tasks equal weights quantized one by one, for every format;
 *   - the fast ideal linear (fp32 sgemm over dequantized values) is within its stated bound of
 *     golden_gemm_ideal (double), and the hardware-exact linear equals golden_gemm_hw and is within
 *     golden_error_bound (+1%) of golden_gemm_ideal, for every format;
 *   - end to end, the hw datapath's perplexity is close to the ideal one's (the datapaths' own
 *     arithmetic error is small next to quantization);
 *   - the KV hooks round as stated.
 * The same checks on the real SmolLM2-135M are in tests/lm_smollm2.c (the lm-test suite).
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
#include "lmutil.h"

#include "base/alloc.h"
#include "dse/lmfwd.h"
#include "dse/perplexity.h"
#include "models/fpx.h"
#include "models/golden.h"

static const LmConfig tiny = {2, 128, 256, 4, 2, 32, 300, 1e-5f, 10000.0f};

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

/* Every format: weights quantized in parallel tasks (lm_runner_quantize_all, 3 threads) give the same
 * NLL, bit for bit, as weights quantized one by one on first use (1 thread). */
static void test_parallel_quantization(void **state)
{
    (void)state;
    MpErr e = {0};
    LmModel *m;
    check(lm_create_random(&tiny, 21, &m, &e), &e);
    int32_t *tok = seq(20, tiny.vocab, 22);
    for (int f = 0; f < num_formats_count; f++) {
        double nll[2];
        for (int i = 0; i < 2; i++) {
            LmRunner *r;
            check(lm_prepare(m, &num_formats[f], LM_DP_IDEAL, NULL, i ? 3 : 1, &r, &e), &e);
            if (i)
                check(lm_runner_quantize_all(r, &e), &e);
            check(lm_window_nll(r, tok, 20, &nll[i], &e), &e);
            lm_runner_free(r);
        }
        if (memcmp(&nll[0], &nll[1], sizeof nll[0]) != 0)
            fail_msg("%s: NLL %.17g (lazy, 1 thread) vs %.17g (parallel, 3 threads)", num_formats[f].name, nll[0],
                     nll[1]);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_hooks),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_parallel_quantization),
        cmocka_unit_test(test_linear_datapaths_random),
        cmocka_unit_test(test_hw_vs_ideal_ppl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
