/* tests/test_cli_perplexity.c — the built binary's `mpsim perplexity`: bad flags and files exit 2
 * with a message, and leave no JSON behind. The perplexities themselves are tested on the real model
 * by tests/lm_smollm2.c (the lm-test suite).
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
    static const char *const files[] = {"a.json", "short.txt", NULL};
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
        /* a design's operands (--arch): instead of --formats and --kv, checked before the model is read */
        {"perplexity --arch iso/fp16 --formats int8", "--arch takes the place of --formats and --kv"},
        {"perplexity --arch iso/fp16 --kv int8", "--arch takes the place of --formats and --kv"},
        {"perplexity --set quant.kv_format=int8", "--set needs --arch"},
        {"perplexity --arch iso/nosuch", "iso/nosuch"},
        {"perplexity --arch iso/fp16 --set quant.kv_format=uint4", "kv_format = uint4"},
        {"perplexity --arch iso/olive", "KV cache stored as olive4"},
        {"perplexity --arch iso/int8 --set quant.act_format=int4", "requantized to its int4 activations"},
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
