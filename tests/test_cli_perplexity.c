/* tests/test_cli_perplexity.c — the built binary's `mpsim perplexity`: bad flags and files exit 2
 * with a message (always); on the real SmolLM2-135M (SKIPPED, saying why, without it) the CI slice
 * `--formats all --ctx 64 --tokens 256` gives a finite perplexity for every format with sane
 * orderings and JSON that parses, and results do not depend on the thread count.
 * The binary is $MPSIM_BIN (set by `make unit-test`); without it every test fails and says so. */
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

#define DEFAULT_GGUF MPSIM_DATADIR "/build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

static char tmpdir[] = "/tmp/mpsim_clippl_XXXXXX";
static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state)
{
    (void)state;
    static const char *const files[] = {"a.json", "b.json", "slice.json", "short.txt", NULL};
    return tu_rmdir(tmpdir, files);
}

static const char *gguf(void)
{
    const char *p = getenv("MPSIM_SMOLLM2_GGUF");
    return p && *p ? p : DEFAULT_GGUF;
}

static void test_bad_input(void **state)
{
    (void)state;
    static const CliCase cases[] = {
        {"perplexity --formats nope", "unknown format 'nope'"},
        {"perplexity --formats int8,int8", "listed twice"},
        {"perplexity --ctx 1", "--ctx 2..8192"},
        {"perplexity --tokens 0", "--tokens 2.."},
        {"perplexity --threads 0", "--threads 1..64"},
        {"perplexity --datapath fast", "--datapath takes ideal or hw"},
        {"perplexity --kv int3", "--kv takes none, fp16 or int8"},
        {"perplexity --model llama2-7b", "only smollm2-135m"},
        {"perplexity --gguf /etc/hostname --formats int8", "/etc/hostname"},
        {"perplexity --gguf /nonexistent.gguf", "/nonexistent.gguf"},
        {"perplexity --bogus", "bogus"},
        {"perplexity --ctx abc", "abc"},
    };
    CLI_EXPECT_CASES(cases, CLI_ERR_APART, 2);
    if (access(gguf(), R_OK) != 0)
        return;
    /* with the model: a missing text, a device, a text too short for one window */
    static const CliCase with_model[] = {
        {"perplexity --formats int8 --text /nonexistent.txt", "/nonexistent.txt"},
        {"perplexity --formats int8 --text /dev/null", "not a regular file"},
    };
    CLI_EXPECT_CASES(with_model, CLI_ERR_APART, 2);
    char args[512];
    snprintf(args, sizeof args, "perplexity --formats int8 --ctx 64 --text '%s'",
             tu_put(tmpdir, "short.txt", "A few words, far fewer than sixty-four tokens."));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "no whole window of 64 tokens");
    assert_int_equal(access(tu_path(tmpdir, "a.json"), F_OK), -1);
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

static int skip_real(void)
{
#if defined(__SANITIZE_ADDRESS__)
    print_message("SKIP: the real-model slices are too slow under the sanitizers (the unsanitized run covers them)\n");
    return 1;
#endif
    if (access(gguf(), R_OK) != 0) {
        print_message("SKIP: no SmolLM2 model at %s ('make deps' fetches it)\n", gguf());
        return 1;
    }
    return 0;
}

static void test_ci_slice(void **state)
{
    (void)state;
    if (skip_real())
        skip();
    char args[512];
    snprintf(args, sizeof args, "perplexity --formats all --ctx 64 --tokens 256 --stats --json '%s'",
             tu_path(tmpdir, "slice.json"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "4 windows x 64 tokens = 256 tokens evaluated (252 predictions");
    CLI_CONTAINS(cli_out, "no fp16 original");
    CLI_CONTAINS(cli_err, "window 4/4");
    cJSON *root = cli_json_file(tu_path(tmpdir, "slice.json"));
    assert_int_equal(cJSON_GetArraySize(cli_arr(root, "formats")), 11);
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

static void test_threads(void **state)
{
    (void)state;
    if (skip_real())
        skip();
    char args[512];
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "perplexity --formats int8,olive-w4a4 --kv int8 --ctx 32 --tokens 64 --threads %d --json '%s'",
                 i ? 3 : 1, tu_path(tmpdir, i ? "b.json" : "a.json"));
        CLI_EXPECT(args, CLI_ERR_APART, 0);
    }
    cJSON *a = cli_json_file(tu_path(tmpdir, "a.json")), *b = cli_json_file(tu_path(tmpdir, "b.json"));
    const char *names[] = {"baseline", "int8", "olive-w4a4"};
    for (int i = 0; i < 3; i++) {
        double pa = ppl_of(a, names[i]), pb = ppl_of(b, names[i]);
        if (memcmp(&pa, &pb, sizeof pa) != 0)
            fail_msg("%s: ppl %.17g with 1 thread, %.17g with 3", names[i], pa, pb);
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_ci_slice),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
