/* tests/lm_smollm2.c — the forward pass and `mpsim perplexity` on the real SmolLM2-135M: the
 * lm-test suite of `make test` (scripts/lm-test.sh runs it with MPSIM_SMOLLM2_GGUF, LM_REF and
 * MPSIM_BIN set; the suite is SKIPPED, saying why, without the model or the Python packages).
 *   - fp32 logits of a fixed 24-token sequence against scripts/smollm2_ref.py (numpy float64 over the
 *     `gguf` package's tensors, HF RoPE on un-permuted Q/K): max |error| <= LM_REF_TOL * max |logit|,
 *     and the same argmax at every position;
 *   - real activations (captured at layer 3) through real weights: for every format, the fast ideal
 *     linear (fp32 sgemm) within its bound of golden_gemm_ideal, the hardware-exact linear equal to
 *     golden_gemm_hw and within golden_error_bound of the ideal one (a slice: 4 tokens, 2 layers);
 *   - a window's NLL bit-identical for 1 and 2 threads;
 *   - the CLI: the CI slice --formats all --ctx 64 --tokens 256 (finite perplexities, orderings a
 *     quantization study must show, JSON with the activation statistics), and the same perplexities
 *     for --threads 1 and 3.
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
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"
#include "cliutil.h"
#include "lmutil.h"

/* Max |logit_C - logit_ref| allowed, relative to max(1, max |logit_ref|): the C pass is fp32 (sgemm,
 * fp32 norms and softmax) through 30 layers, the reference float64 on the same dequantized weights;
 * fp32 rounding (2^-24 relative per operation) grown through 30 residual layers stays well below it
 * (measured: 9.2e-5 absolute for logits up to 33, i.e. 2.8e-6 relative), while a wrong RoPE pairing,
 * GQA mapping, norm or eps moves logits by whole units. */
#define LM_REF_TOL 2e-3

static char tmpdir[] = "/tmp/mpsim_lmreal_XXXXXX";
static const char *tpath(const char *name) { return tu_path(tmpdir, name); }


static LmModel *real;

static int setup_real(void **state)
{
    (void)state;
    const char *p = getenv("MPSIM_SMOLLM2_GGUF");
    if (!p || !*p) {
        fprintf(stderr, "MPSIM_SMOLLM2_GGUF is not set: run this program through 'make lm-test'\n");
        return -1;
    }
    MpErr e = {0};
    if (lm_load_gguf(p, &real, &e) != MP_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return mkdtemp(tmpdir) ? 0 : -1;
}

static void test_real_vs_reference(void **state)
{
    (void)state;
    const char *out = getenv("LM_REF");
    if (!out || !*out)
        fail_msg("LM_REF is not set: run this program through 'make lm-test' (scripts/lm-test.sh)");
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
    static const char *const files[] = {"a.json", "b.json", "slice.json", "arch.json", "hand.json", NULL};
    return tu_rmdir(tmpdir, files);
}

static double ppl_of(const cJSON *root, const char *name)
{
    const cJSON *a = cli_arr(root, "formats"), *x;
    cJSON_ArrayForEach(x, a)
    if (!strcmp(cli_str(x, "name"), name))
        return cli_num(x, "ppl");
    fail_msg("no format '%s' in the JSON", name);
    return 0;
}

static void test_cli_slice(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "perplexity --formats all --ctx 64 --tokens 256 --stats --json '%s'",
             tpath("slice.json"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "4 windows x 64 tokens = 256 tokens evaluated (252 predictions");
    CLI_CONTAINS(cli_out, "no fp16 original");
    CLI_CONTAINS(cli_err, "window 4/4");
    cJSON *root = cli_json_file(tpath("slice.json"));
    assert_int_equal(cJSON_GetArraySize(cli_arr(root, "formats")), num_formats_count + 1); /* + baseline */
    assert_true(cli_num(root, "predictions") == 252);
    const cJSON *x;
    cJSON_ArrayForEach(x, cli_arr(root, "formats")) assert_true(isfinite(cli_num(x, "ppl")) && cli_num(x, "ppl") > 1);
    double base = ppl_of(root, "baseline");
    /* a trained model on English text: a plausible perplexity for 64-token windows */
    assert_true(base > 10 && base < 200);
    /* fp16 of the fp32 model changes almost nothing; int8 per token a little; naive W4A4 collapses */
    assert_true(fabs(ppl_of(root, "fp16") / base - 1) < 0.01);
    assert_true(ppl_of(root, "int8") / base < 1.2);
    assert_true(ppl_of(root, "int4") > 10 * base);
    assert_true(ppl_of(root, "bitmod-w3") > ppl_of(root, "bitmod-w4"));
    assert_true(ppl_of(root, "olive-w4a4") < ppl_of(root, "int4"));
    assert_int_equal(cJSON_GetArraySize(cli_arr(root, "activation_stats")), 30 * 4);
    cJSON_Delete(root);
}

static void test_cli_threads(void **state)
{
    (void)state;
    char args[512];
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "perplexity --formats int8,olive-w4a4 --kv int8 --ctx 32 --tokens 64 --threads %d --json '%s'",
                 i ? 3 : 1, tpath(i ? "b.json" : "a.json"));
        CLI_EXPECT(args, CLI_ERR_APART, 0);
    }
    cJSON *a = cli_json_file(tpath("a.json")), *b = cli_json_file(tpath("b.json"));
    const char *names[] = {"baseline", "int8", "olive-w4a4"};
    for (int i = 0; i < 3; i++) {
        double pa = ppl_of(a, names[i]), pb = ppl_of(b, names[i]);
        if (memcmp(&pa, &pb, sizeof pa) != 0)
            fail_msg("%s: ppl %.17g with 1 thread, %.17g with 3", names[i], pa, pb);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

/* --arch takes a design's operands: iso/mixpe-w4a8 is the mixpe-w4a8 format with its int8 KV cache, so
 * it gives the same numbers, bit for bit, as naming both by hand. */
static void test_cli_arch(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "perplexity --arch iso/mixpe-w4a8 --ctx 32 --tokens 64 --quiet --json '%s'",
             tpath("arch.json"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    snprintf(args, sizeof args, "perplexity --formats mixpe-w4a8 --kv int8 --ctx 32 --tokens 64 --quiet --json '%s'",
             tpath("hand.json"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    cJSON *a = cli_json_file(tpath("arch.json")), *b = cli_json_file(tpath("hand.json"));
    assert_int_equal(cJSON_GetArraySize(cli_arr(a, "formats")), 2);
    assert_string_equal(cli_str(a, "kv_format"), "int8");
    const char *names[] = {"baseline", "mixpe-w4a8"};
    for (int i = 0; i < 2; i++) {
        double pa = ppl_of(a, names[i]), pb = ppl_of(b, names[i]);
        if (memcmp(&pa, &pb, sizeof pa) != 0)
            fail_msg("%s: ppl %.17g with --arch, %.17g by hand", names[i], pa, pb);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_vs_reference),
        cmocka_unit_test(test_real_linear_slice),
        cmocka_unit_test(test_real_threads),
        cmocka_unit_test(test_cli_threads),
        cmocka_unit_test(test_cli_slice),
        cmocka_unit_test(test_cli_arch),
    };
    return cmocka_run_group_tests(tests, setup_real, teardown_real);
}
