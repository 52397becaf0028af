/* tests/test_cli_infer.c — `mpsim infer`: the JSON's figures and their relations, the memo against
 * --step-all through the command, the text report, and bad input (exit 2, a message naming it). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cJSON.h>

#include "testutil.h"
#include "cliutil.h"

static void json_figures(void **state)
{
    (void)state;
    CLI_EXPECT("infer --arch iso/bitmod-w4 --model tiny --prompt 64 --gen 8 --batch 2 --json -", CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    const double p = cli_num(j, "prefill_cycles"), d = cli_num(j, "decode_cycles");
    assert_true(p > 0 && d > 0);
    assert_true(cli_num(j, "ttft_s") == p / 1e9); /* 1000 MHz */
    assert_true(cli_num(j, "decode_steps") == 7);
    assert_true(fabs(cli_num(j, "tpot_mean_s") - d / 1e9 / 7) < 1e-15);
    assert_true(fabs(cli_num(j, "tokens_per_s") - 16 / ((p + d) / 1e9)) < 1e-6 * cli_num(j, "tokens_per_s"));
    const double e = cli_num(j, "prefill_energy_pj") + cli_num(j, "decode_energy_pj");
    assert_true(fabs(cli_num(j, "j_per_token") - e * 1e-12 / 16) < 1e-9 * cli_num(j, "j_per_token"));
    /* the classes add up to each phase; vector and attention are non-zero */
    const cJSON *cl = cli_item(j, "classes");
    static const char *const ph[] = {"prefill", "decode"};
    for (int i = 0; i < 2; i++) {
        const cJSON *c = cli_item(cli_item(cl, ph[i]), "cycles");
        assert_true(cli_num(c, "weight") + cli_num(c, "attention") + cli_num(c, "vector") == (i ? d : p));
        assert_true(cli_num(c, "vector") > 0 && cli_num(c, "attention") > 0);
    }
    assert_true(cJSON_GetArraySize(cli_arr(j, "layers")) >= 15);
    cJSON_Delete(j);
}

static void memo_equals_step_all(void **state)
{
    (void)state;
    CLI_EXPECT("infer --arch iso/olive --model tiny --prompt 40 --gen 12 --json -", CLI_ERR_DROP, 0);
    char *a = strdup(cli_out);
    CLI_EXPECT("infer --arch iso/olive --model tiny --prompt 40 --gen 12 --step-all --json -", CLI_ERR_DROP, 0);
    assert_string_equal(a, cli_out);
    free(a);
}

static void text_report(void **state)
{
    (void)state;
    CLI_EXPECT("infer --arch iso/fp16 --model tiny --prompt 32 --gen 4 --set attention.fused=true", CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "TTFT");
    CLI_CONTAINS(cli_out, "TPOT");
    CLI_CONTAINS(cli_out, "tokens/s");
    CLI_CONTAINS(cli_out, "J/token");
    CLI_CONTAINS(cli_out, "attention fused");
    CLI_CONTAINS(cli_out, "attn_rescale");
    CLI_CONTAINS(cli_out, "3 decode steps attending to 33..35 positions");
}

static void bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *args, *msg;
    } B[] = {
        {"infer --arch iso/fp16 --model tiny --prompt 0", "--prompt 0"},
        {"infer --arch iso/fp16 --model tiny --gen -2", "--gen -2"},
        {"infer --arch iso/fp16 --model tiny --batch 0", "--batch 0"},
        {"infer --arch iso/fp16 --model nosuch", "unknown model 'nosuch'"},
        {"infer --model tiny", "--arch and --model are required"},
        {"infer --arch iso/fp16 --model tiny --objective fast", "--objective 'fast'"},
        {"infer --arch iso/fp16 --model tiny --set vector.lanes=0", "vector.lanes"},
        {"infer --arch iso/fp16 --model tiny --prompt 1048576 --gen 2", "prompt + gen - 1"},
        {"infer --arch iso/fp16 --model tiny --gen x", "not an integer"},
    };
    for (size_t i = 0; i < sizeof B / sizeof B[0]; i++) {
        CLI_EXPECT(B[i].args, CLI_ERR_MERGE, 2);
        CLI_CONTAINS(cli_out, B[i].msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_figures),
        cmocka_unit_test(memo_equals_step_all),
        cmocka_unit_test(text_report),
        cmocka_unit_test(bad_input),
    };
    return cmocka_run_group_tests_name("cli_infer", tests, NULL, NULL);
}
