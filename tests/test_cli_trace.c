/* tests/test_cli_trace.c — the built binary's `trace show` and `list`: exit statuses 0/2, the key
 * output, JSON that parses, and no output file left behind by a failing run.
 * The binary is $MPSIM_BIN (set by `make unit-test`); without it every test fails and says so. */
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

#define FIXTURES MPSIM_DATADIR "/tests/data/layers/"

static char tmpdir[] = "/tmp/mpsim_cli_XXXXXX";

/* a failed test may leave its file; the folder must be empty after that */
static const char *const tmp_files[] = {"bad.csv", "out.json", "a.json", NULL};

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, tmp_files); }

static void show_llama2_7b(void **state)
{
    (void)state;
    CLI_EXPECT("trace show --model llama2-7b", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "phase prefill  seq 2048  batch 1");
    CLI_CONTAINS(cli_out, "6607077376");
    CLI_CONTAINS(cli_out, "(6.61 B)");
    for (const char *const *g = (const char *const[]){"q_proj", "k_proj", "v_proj", "attn_qk", "attn_pv", "o_proj",
                                                       "gate_proj", "up_proj", "down_proj", "lm_head", NULL};
         *g; g++)
        CLI_CONTAINS(cli_out, *g);
    CLI_EXPECT("trace show --model opt-1.3b --phase decode --kv 512 --batch 4", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "kv 512  batch 4");
    CLI_CONTAINS(cli_out, "fc1");
    CLI_EXPECT("trace show --help", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "usage: mpsim trace show");
}

static void json_stdout(void **state)
{
    (void)state;
    CLI_EXPECT("trace show --model llama2-7b --phase decode --kv 128 --batch 2 --json -", CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "model")), "llama2-7b");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "phase")), "decode");
    assert_true(cli_num(j, "kv") == 128 && cli_num(j, "batch") == 2);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "seq"));
    assert_true(cli_num(j, "weight_params") == 6607077376.0);
    assert_true(cli_num(j, "macs") == 2 * 6607077376.0 + 2.0 * 32 * 2 * 32 * 128 * 128);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "gemms");
    assert_true(cJSON_IsArray(g));
    assert_int_equal(cJSON_GetArraySize(g), 10);
    double sum = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, g)
    {
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "name")));
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "role")));
        double m = cli_num(it, "m"), n = cli_num(it, "n"), k = cli_num(it, "k"), c = cli_num(it, "count");
        assert_true(cli_num(it, "macs") == m * n * k * c);
        sum += cli_num(it, "macs");
    }
    assert_true(sum == cli_num(j, "macs"));
    cJSON_Delete(j);

    CLI_EXPECT("trace show --model tiny --json -", CLI_ERR_DROP, 0);
    j = cli_json_out();
    assert_true(cli_num(j, "seq") == 2048 && cli_num(j, "batch") == 1);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "kv"));
    cJSON_Delete(j);
}

static void json_file_and_layers(void **state)
{
    (void)state;
    char args[1024], path[512];
    snprintf(path, sizeof path, "%s/out.json", tmpdir);
    snprintf(args, sizeof args, "trace show --layers '%sscalesim.csv' --json '%s'", FIXTURES, path);
    CLI_EXPECT(args, CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "phase layers");
    CLI_CONTAINS(cli_out, "ffn_down");
    assert_int_equal(tu_dir_count(tmpdir, "*"), 1); /* out.json and no temporary */
    cJSON *j = cli_json_file(path);
    remove(path);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "phase")), "layers");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "gemms")), 4);
    cJSON_Delete(j);
}

static void list_commands(void **state)
{
    (void)state;
    CLI_EXPECT("list models", CLI_ERR_MERGE, 0);
    for (const char *const *m = (const char *const[]){"llama2-7b", "llama2-13b", "llama2-70b", "llama3-8b",
                                                       "llama3-70b", "opt-1.3b", "opt-6.7b", "phi-2", "yi-6b",
                                                       "mistral-7b", "tiny", "6607077376", NULL};
         *m; m++)
        CLI_CONTAINS(cli_out, *m);
    CLI_EXPECT("list kinds", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "fp16\nint8\n");
    CLI_CONTAINS(cli_out, "mixpe-w4a8");
    CLI_CONTAINS(cli_out, "bitmod");
    CLI_CONTAINS(cli_out, "olive");
    CLI_EXPECT("list presets", CLI_ERR_MERGE, 0);
    CLI_EXPECT("list --help", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "presets");
    CLI_EXPECT("list models --help", CLI_ERR_MERGE, 0);
    CLI_EXPECT("list", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "usage");
    CLI_EXPECT("list bogus", CLI_ERR_MERGE, 2);
    CLI_EXPECT("list models extra", CLI_ERR_MERGE, 2);
}

/* Bad flags and values: exit 2 with a message naming the problem. */
static void usage_errors(void **state)
{
    (void)state;
    static const CliCase cases[] = {
        {"trace show --model nosuch", "unknown model 'nosuch'"},
        {"trace show --model llama2-7b --bogus", "unknown option '--bogus'"},
        {"trace show --model llama2-7b --phase decode --seq 128", "--seq"},
        {"trace show --model llama2-7b --kv 128", "--kv"},
        {"trace show --model llama2-7b --phase sideways", "--phase"},
        {"trace show --model llama2-7b --seq 0", "--seq 0: must be >= 1"},
        /* no integer stands for "not given": the most negative one is refused like any other */
        {"trace show --model llama2-7b --seq -9223372036854775808", "must be >= 1"},
        {"trace show --model llama2-7b --phase decode --kv -9223372036854775808", "must be >= 1"},
        {"trace show --model llama2-7b --batch -9223372036854775808", "must be >= 1"},
        {"trace show --layers /dev/null --seq -9223372036854775808", "--model only"},
        {"trace show --model llama2-7b --seq 2x", "not an integer"},
        {"trace show --model llama2-7b --batch 2000000", "batch"},
        {"trace show", "exactly one of"},
        {"trace show --model tiny --layers x.csv", "exactly one of"},
        {"trace show --layers " FIXTURES "scalesim.csv --batch 2", "--model only"},
        {"trace show --layers /nonexistent/layers.csv", "cannot open"},
        {"trace show --model", "needs a value"},
    };
    CLI_EXPECT_CASES(cases, CLI_ERR_MERGE, 2);
}

/* A bad layer list: exit 2, "FILE:LINE: message" on stderr. */
static void bad_layer_list(void **state)
{
    (void)state;
    char path[512], args[1024], want[600];
    snprintf(path, sizeof path, "%s/bad.csv", tmpdir);
    tu_write_text(path, "name,m,n,k\nq,1,2,3\nv,1,-2,3\n");
    snprintf(args, sizeof args, "trace show --layers '%s'", path);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    remove(path);
    snprintf(want, sizeof want, "%s:3: ", path);
    CLI_CONTAINS(cli_out, want);
}

/* A run that fails leaves no file behind, neither the output nor its temporary. */
static void failing_json_leaves_nothing(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "trace show --model nosuch --json '%s/a.json'", tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
    snprintf(args, sizeof args, "trace show --model tiny --seq 0 --json '%s/a.json'", tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
    snprintf(args, sizeof args, "trace show --model tiny --json '%s/no/such/dir/a.json'", tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "cannot write");
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(show_llama2_7b), cmocka_unit_test(json_stdout),
        cmocka_unit_test(json_file_and_layers), cmocka_unit_test(list_commands),
        cmocka_unit_test(usage_errors), cmocka_unit_test(bad_layer_list),
        cmocka_unit_test(failing_json_leaves_nothing),
    };
    return cmocka_run_group_tests_name("cli_trace", tests, setup, teardown);
}
