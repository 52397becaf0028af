/* tests/test_cli_compare_gpu.c — the built binary's `compare-gpu`: the committed H100 results against
 * llama2-7b decode (M = 1 rows match every weight GEMM but lm_head), rows failing their check never used,
 * and exit 2 naming the file for a missing file, a file that is not JSON and one without copy_gbps.
 * The binary is $MPSIM_BIN (set by `make unit-test`). */
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

#define H100 MPSIM_DATADIR "/kernels_ref/results/h100/2026-11-24T03-28-41Z-2071969727593.json"

static char tmpdir[] = "/tmp/mpsim_cgpu_XXXXXX";
static const char *const tmp_files[] = {"small.json", "notjson.json", "nocopy.json", "out.json", NULL};

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, tmp_files); }

static const cJSON *layer(const cJSON *root, const char *name)
{
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItem(root, "layers"))
    {
        if (!strcmp(cJSON_GetObjectItem(l, "name")->valuestring, name))
            return l;
    }
    fail_msg("no layer %s", name);
    return NULL;
}

static double path_num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);
    if (!cJSON_IsNumber(x))
        fail_msg("%s.%s is not a number", a, b);
    return x->valuedouble;
}

static void h100_llama_decode(void **state)
{
    (void)state;
    CLI_EXPECT("compare-gpu --gpu " H100 " --arch iso/mixpe-w4a16 --model llama2-7b --phase decode --json -",
               CLI_ERR_MERGE, 0);
    cJSON *root = cli_json_out();
    assert_string_equal(cJSON_GetObjectItem(root, "gpu_kernel")->valuestring, "mixpe-w4a16");
    assert_true(fabs(cJSON_GetObjectItem(root, "copy_gbps")->valuedouble - 2951.7) < 1e-9);
    const cJSON *nz = cJSON_GetObjectItem(root, "normalisation");
    assert_non_null(cJSON_GetObjectItem(nz, "text"));
    assert_int_equal((int)cJSON_GetObjectItem(nz, "copy_bw_dram_bits_per_cycle")->valuedouble, 23614);
    const char *const weights[] = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
    double tot = 0, tacc = 0;
    for (int i = 0; i < 7; i++) {
        const cJSON *l = layer(root, weights[i]);
        const cJSON *g = cJSON_GetObjectItem(l, "gpu");
        assert_true(cJSON_IsObject(g));
        assert_string_equal(cJSON_GetObjectItem(g, "kernel")->valuestring, "mixpe-w4a16");
        double per = path_num(l, "gpu", "us_per_run");
        assert_true(fabs(path_num(l, "gpu", "us") - 32 * per) < 1e-6 * per * 32);
        assert_true(cJSON_IsObject(cJSON_GetObjectItem(l, "cublas")));
        assert_true(path_num(l, "accel", "us") > 0 && path_num(l, "accel_copy_bw", "us") > 0);
        assert_true(path_num(l, "accel_copy_bw", "us") <= path_num(l, "accel", "us"));
        tot += path_num(l, "gpu", "us");
        tacc += path_num(l, "accel", "us");
    }
    /* the reported (best passing) variants of docs/gpu.md */
    assert_true(fabs(path_num(layer(root, "q_proj"), "gpu", "us_per_run") - 7.771) < 1e-9);
    assert_true(fabs(path_num(layer(root, "gate_proj"), "gpu", "us_per_run") - 17.01) < 0.01);
    const char *const none[] = {"attn_qk", "attn_pv", "lm_head"};
    for (int i = 0; i < 3; i++) {
        const cJSON *l = layer(root, none[i]);
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(l, "gpu")));
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(l, "vs_gpu"), "speedup")));
    }
    const cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "totals"), "vs_gpu");
    assert_int_equal((int)cJSON_GetObjectItem(t, "layers_time")->valuedouble, 7);
    assert_true(fabs(cJSON_GetObjectItem(t, "gpu_us")->valuedouble - tot) < 1e-6 * tot);
    assert_true(fabs(path_num(t, "accel", "us") - tacc) < 1e-6 * tacc);
    cJSON_Delete(root);
    /* the text table: '-' where there is no measurement */
    CLI_EXPECT("compare-gpu --gpu " H100 " --arch iso/mixpe-w4a16 --model llama2-7b --phase decode", CLI_ERR_MERGE, 0);
    assert_non_null(strstr(cli_out, "copy_gbps x 8 / clock GHz"));
    const char *lm = strstr(cli_out, "lm_head");
    assert_non_null(lm);
    assert_non_null(strstr(lm, "|          -          - |"));
}

static void no_kernel_kind(void **state)
{
    (void)state;
    CLI_EXPECT("compare-gpu --gpu " H100 " --arch iso/int8 --model llama2-7b --phase decode --json -",
               CLI_ERR_MERGE, 0);
    cJSON *root = cli_json_out();
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(root, "gpu_kernel")));
    assert_non_null(cJSON_GetObjectItem(root, "gpu_kernel_note"));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(layer(root, "q_proj"), "cublas")));
    cJSON_Delete(root);
}

#define ROW(kern, var, best, us, check)                                                                     \
    "{\"kernel\": \"" kern "\", \"variant\": \"" var "\", \"best\": " best ", \"m\": 1, \"n\": 4096, "     \
    "\"k\": 4096, \"us\": " us ", \"check\": \"" check "\", \"energy_uj\": null}"

static void failing_check_unused(void **state)
{
    (void)state;
    const char *path = tu_put(tmpdir, "small.json",
                              "{\"device\": \"test\", \"copy_gbps\": 1000, \"results\": ["
                              ROW("mixpe-w4a16", "fast", "true", "1.0", "FAIL") ", "
                              ROW("mixpe-w4a16", "slow", "false", "50.0", "bound") ", "
                              ROW("olive-w4a4", "x", "true", "2.0", "FAIL") "]}");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "compare-gpu --gpu %s --arch iso/mixpe-w4a16 --model llama2-7b --phase decode --json -",
             path);
    CLI_EXPECT(cmd, CLI_ERR_MERGE, 0);
    cJSON *root = cli_json_out();
    assert_int_equal((int)cJSON_GetObjectItem(root, "gpu_rows_failing_check_ignored")->valuedouble, 2);
    const cJSON *q = layer(root, "q_proj");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(q, "gpu"), "variant")->valuestring, "slow");
    assert_true(fabs(path_num(q, "gpu", "us_per_run") - 50.0) < 1e-12);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(q, "gpu"), "energy_uj")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(layer(root, "gate_proj"), "gpu")));
    cJSON_Delete(root);
    /* olive's only row failed: nothing used */
    snprintf(cmd, sizeof cmd, "compare-gpu --gpu %s --arch iso/olive --model llama2-7b --phase decode --json -", path);
    CLI_EXPECT(cmd, CLI_ERR_MERGE, 0);
    root = cli_json_out();
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(layer(root, "q_proj"), "gpu")));
    cJSON_Delete(root);
}

static void bad_files(void **state)
{
    (void)state;
    char cmd[1024];
    tu_put(tmpdir, "notjson.json", "{\"device\": \"x\", \"copy_gbps\": ");
    tu_put(tmpdir, "nocopy.json", "{\"device\": \"x\", \"results\": []}");
    const char *const names[] = {"missing.json", "notjson.json", "nocopy.json"};
    for (int i = 0; i < 3; i++) {
        const char *path = tu_path(tmpdir, names[i]);
        snprintf(cmd, sizeof cmd,
                 "compare-gpu --gpu %s --arch iso/mixpe-w4a16 --model llama2-7b --phase decode --json %s/out.json", path,
                 tmpdir);
        CLI_EXPECT(cmd, CLI_ERR_MERGE, 2);
        if (!strstr(cli_out, path))
            fail_msg("message lacks the file name %s:\n%s", path, cli_out);
        assert_int_not_equal(access(tu_path(tmpdir, "out.json"), F_OK), 0);
    }
    CLI_EXPECT("compare-gpu --arch iso/mixpe-w4a16 --model llama2-7b", CLI_ERR_MERGE, 2);
}

/* --seq / --kv typed by a user are lengths >= 1: "-1" is not "not given" (it used to run with 2048). */
static void typed_lengths(void **state)
{
    (void)state;
    static const char *const bad[] = {"--kv -1", "--seq -1", "--kv 0", "--seq x"};
    char cmd[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "compare-gpu --gpu " H100 " --arch iso/olive --model llama2-7b --phase decode %s",
                 bad[i]);
        CLI_EXPECT(cmd, CLI_ERR_MERGE, 2);
        if (!strstr(cli_out, bad[i][2] == 'k' ? "--kv" : "--seq"))
            fail_msg("%s: the message does not name the flag:\n%s", bad[i], cli_out);
    }
}

#define FIXTURE MPSIM_DATADIR "/tests/data/gpu/steps-fixture.json"

static const cJSON *side(const cJSON *root, const char *arr, const char *label)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(root, arr))
    {
        if (!strcmp(cJSON_GetObjectItem(x, "label")->valuestring, label))
            return x;
    }
    fail_msg("no %s side %s", arr, label);
    return NULL;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItem(o, k);
    if (!cJSON_IsNumber(x))
        fail_msg("%s is not a number", k);
    return x->valuedouble;
}

/* --phase request on the committed fixture (invented step figures): the GPU side is the request the
 * fixture's rows give by hand (tests/test_gpureq.c checks the rule), the accelerator's is mpsim infer's,
 * and --subtract-idle takes idle_power_w x time off the GPU's energy. */
static void request_mode(void **state)
{
    (void)state;
    CLI_EXPECT("compare-gpu --gpu " FIXTURE " --arch iso/mixpe-w4a16 --model llama2-7b --phase request "
               "--norm as-configured,iso-bandwidth --quiet --json -",
               CLI_ERR_MERGE, 0);
    cJSON *root = cli_json_out();
    const cJSON *g = side(root, "gpu", "GPU mixpe-w4a16");
    /* prefill 200 ms; steps at kv 2049..2175: 2 ms + 0.002 ms per position: 270.002 ms in all */
    const double secs = 0.2 + 0.270002, joules = 100 + (127 * 0.8 + 0.001 * 8001);
    assert_true(fabs(num(g, "seconds") - secs) < 1e-12);
    assert_true(fabs(num(g, "tokens_per_s") - 128 / secs) < 1e-9);
    assert_true(fabs(num(g, "j_per_token") - joules / 128) < 1e-9);
    assert_true(fabs(num(g, "area_mm2") - 814) < 1e-12);
    (void)side(root, "gpu", "GPU cublas-fp16");
    const cJSON *bw = side(root, "accel", "iso-bandwidth"), *cf = side(root, "accel", "as-configured");
    assert_int_equal((int)num(bw, "dram_channels"), 5);
    assert_int_equal((int)num(bw, "dram_bits_per_cycle"), 4800);
    assert_int_equal((int)num(cf, "dram_channels"), 1);
    assert_true(fabs(num(cJSON_GetObjectItem(bw, "vs_gpu"), "speedup") - num(bw, "tokens_per_s") / (128 / secs)) <
                1e-9);
    const double conf_tps = num(cf, "tokens_per_s");
    /* the decode floor: the design's bytes per step at the file's copy bandwidth (3000 GB/s); the
     * GPU runs the design's weights with an fp16 cache, as the design does */
    const cJSON *fl = cJSON_GetObjectItem(bw, "decode_floor");
    const double fb = num(fl, "bytes_per_step"), ft = num(fl, "tpot_s");
    assert_true(fb > 3e9 && fb < 6e9); /* 3.4 GB of 4-bit weights + 1.1 GB of fp16 cache, and more */
    assert_true(fabs(ft - fb / 3000e9) < 1e-15);
    assert_true(fabs(num(fl, "gpu_tpot_over_floor") - num(g, "tpot_mean_s") / ft) < 1e-9);
    assert_true(fabs(num(fl, "accel_tpot_over_floor") - num(bw, "tpot_mean_s") / ft) < 1e-9);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fl, "same_bytes")));
    cJSON_Delete(root);
    /* int8: no GPU kernel (cuBLAS fp16) and an int8 cache: not the same bytes */
    CLI_EXPECT("compare-gpu --gpu " FIXTURE " --arch iso/int8 --model llama2-7b --phase request "
               "--norm as-configured --quiet --json -",
               CLI_ERR_MERGE, 0);
    root = cli_json_out();
    fl = cJSON_GetObjectItem(side(root, "accel", "as-configured"), "decode_floor");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(fl, "same_bytes")));
    cJSON_Delete(root);
    /* the accelerator as configured is mpsim infer's request */
    CLI_EXPECT("infer --arch iso/mixpe-w4a16 --model llama2-7b --quiet --json -", CLI_ERR_MERGE, 0);
    root = cli_json_out();
    assert_true(fabs(num(root, "tokens_per_s") - conf_tps) < 1e-9 * conf_tps);
    cJSON_Delete(root);
    CLI_EXPECT("compare-gpu --gpu " FIXTURE " --arch iso/mixpe-w4a16 --model llama2-7b --phase request "
               "--norm as-configured --subtract-idle --quiet --json -",
               CLI_ERR_MERGE, 0);
    root = cli_json_out();
    g = side(root, "gpu", "GPU mixpe-w4a16");
    assert_true(fabs(num(g, "j_per_token") - (joules - 120 * secs) / 128) < 1e-9);
    cJSON_Delete(root);
}

/* iso-area and iso-power end to end, on the fixture's small-model rows: iso-area's design fits the die and
 * is the largest that does (one more core does not: mpsim infer says so), iso-power's draws no more than
 * the GPU */
static void request_iso(void **state)
{
    (void)state;
    CLI_EXPECT("compare-gpu --gpu " FIXTURE " --arch iso/olive-w4a16 --model smollm2-135m --phase request --prompt 64 "
               "--gen 4 --quiet --json -",
               CLI_ERR_MERGE, 0);
    cJSON *root = cli_json_out();
    const cJSON *g = side(root, "gpu", "GPU cublas-fp16"); /* olive-w4a16 has no GPU kernel */
    const cJSON *ar = side(root, "accel", "iso-area"), *pw = side(root, "accel", "iso-power");
    const int cores = (int)num(ar, "cores");
    assert_true(cores > 100 && num(ar, "area_mm2") <= 814 && num(ar, "node_nm") == 4);
    assert_true(num(pw, "power_w") <= num(g, "power_w"));
    assert_true(num(pw, "cores") >= 1 && num(pw, "cores") <= 4096);
    assert_true(cJSON_IsBool(cJSON_GetObjectItem(cJSON_GetObjectItem(pw, "vs_gpu"), "capped")));
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "infer --arch iso/olive-w4a16 --model smollm2-135m --prompt 64 --gen 4 --quiet --json - --set "
             "energy.node_nm=4,dram.tech=hbm3,dram.channels=5,dram.bits_per_cycle=4800,arch.cores=%d,vector.lanes=%d,"
             "vector.buf_kib=%d",
             cores + 1, 16 * (cores + 1), 64 * (cores + 1));
    cJSON_Delete(root);
    CLI_EXPECT(cmd, CLI_ERR_MERGE, 0);
    root = cli_json_out();
    assert_true(num(root, "area_mm2") > 814);
    cJSON_Delete(root);
}

static void request_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *args, *msg;
    } cases[] = {
        {"--norm iso-everything", "'iso-everything' is not one of"},
        {"--seq 10", "a request takes --prompt and --gen"},
        {"--prompt 1000", "no passing prefill step of llama2-7b in mixpe-w4a16 at batch 1, prompt 1000"},
        {"--gen 129", "around kv 2176"},
        {"--batch 2", "at batch 2"},
        {"--area-mm2 -1", "--area-mm2 must be > 0"},
        {"--area-mm2 0", "--area-mm2 must be > 0"},
        {"--prompt -1", "--prompt -1: must be >= 1"},
    };
    char cmd[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cmd, sizeof cmd,
                 "compare-gpu --gpu " FIXTURE " --arch iso/mixpe-w4a16 --model llama2-7b --phase request --quiet %s",
                 cases[i].args);
        CLI_EXPECT(cmd, CLI_ERR_MERGE, 2);
        if (!strstr(cli_out, cases[i].msg))
            fail_msg("%s: the message lacks '%s':\n%s", cases[i].args, cases[i].msg, cli_out);
    }
    /* request-only options with the per-GEMM phases */
    CLI_EXPECT("compare-gpu --gpu " FIXTURE " --arch iso/mixpe-w4a16 --model llama2-7b --phase decode --gen 3",
               CLI_ERR_MERGE, 2);
    assert_non_null(strstr(cli_out, "are for --phase request"));
    /* iso-power asked for against steps without energy: refused, not a 1-core guess */
    const char *noj = tu_put(tmpdir, "small.json",
                             "{\"device\": \"NVIDIA H100 80GB HBM3\", \"copy_gbps\": 3000, \"steps\": ["
                             "{\"model\": \"smollm2-135m\", \"format\": \"cublas-fp16\", \"phase\": \"prefill\", "
                             "\"batch\": 1, \"prompt\": 8, \"ms\": 1, \"check\": \"pass\"}]}");
    snprintf(cmd, sizeof cmd,
             "compare-gpu --gpu %s --arch iso/fp16 --model smollm2-135m --phase request --prompt 8 --gen 1 --norm "
             "iso-power",
             noj);
    CLI_EXPECT(cmd, CLI_ERR_MERGE, 2);
    assert_non_null(strstr(cli_out, "iso-power needs the GPU's power"));
    /* by default it is skipped with a note */
    snprintf(cmd, sizeof cmd, "compare-gpu --gpu %s --arch iso/fp16 --model smollm2-135m --phase request --prompt 8 --gen 1",
             noj);
    CLI_EXPECT(cmd, CLI_ERR_MERGE, 0);
    assert_non_null(strstr(cli_out, "iso-power skipped"));
    /* a device with no facts row */
    const char *path = tu_put(tmpdir, "small.json",
                              "{\"device\": \"Some GPU\", \"copy_gbps\": 1000, \"steps\": []}");
    snprintf(cmd, sizeof cmd, "compare-gpu --gpu %s --arch iso/fp16 --model llama2-7b --phase request", path);
    CLI_EXPECT(cmd, CLI_ERR_MERGE, 2);
    assert_non_null(strstr(cli_out, "no die, node and memory facts for device 'Some GPU'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(h100_llama_decode),
        cmocka_unit_test(no_kernel_kind),
        cmocka_unit_test(failing_check_unused),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(typed_lengths),
        cmocka_unit_test(request_mode),
        cmocka_unit_test(request_iso),
        cmocka_unit_test(request_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
