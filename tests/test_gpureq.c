/* tests/test_gpureq.c — the GPU side of whole-request comparisons (dse/gpureq.c) and the strict
 * reader's "steps" rows (dse/gpures.c): a request composed from measured steps equals the sum the
 * interpolation rule of gpureq.h gives, computed here by hand; rows failing their check are never
 * used; kv outside the measured range, a missing prefill, and malformed step rows are refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "dse/gpureq.h"

static char tmpdir[] = "/tmp/mpsim_gpureq_XXXXXX";
static const char *const tmp_files[] = {"s.json", NULL};
static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, tmp_files); }

#define HEAD "{\"device\": \"NVIDIA H100 80GB HBM3\", \"copy_gbps\": 3000, \"idle_power_w\": 120, \"steps\": ["
#define ROW(fmt, ph, b, lenkey, len, ms, j, ck)                                                                     \
    "{\"model\": \"llama2-7b\", \"format\": \"" fmt "\", \"phase\": \"" ph "\", \"batch\": " #b ", \"" lenkey       \
    "\": " #len ", \"ms\": " #ms ", \"j\": " #j ", \"check\": \"" ck "\"}"

static int load_text(const char *text, GpuFile *g, MpErr *e)
{
    return gpu_load(tu_put(tmpdir, "s.json", text), g, e);
}

static void request_by_hand(void **state)
{
    (void)state;
    /* three decode points: 100 (pass), 150 (fail: never used), 200 (pass), 300 (pass) */
    const char *text = HEAD ROW("mixpe-w4a16", "prefill", 2, "prompt", 99, 50, 20, "pass") ","
        ROW("mixpe-w4a16", "decode", 2, "kv", 100, 2, 1, "pass") ","
        ROW("mixpe-w4a16", "decode", 2, "kv", 150, 0.5, 0.1, "fail") ","
        ROW("mixpe-w4a16", "decode", 2, "kv", 200, 3, 1.5, "pass") ","
        ROW("mixpe-w4a16", "decode", 2, "kv", 300, 5, 2.5, "bit-exact") "]}";
    GpuFile g;
    MpErr e = {0};
    assert_int_equal(load_text(text, &g, &e), MP_OK);
    assert_int_equal(g.nstep, 5);
    assert_int_equal(g.nstep_fail, 1);
    assert_true(fabs(g.idle_w - 120) < 1e-12);
    GpuReq r;
    /* P = 99, G = 202: steps attend to 100 .. 300 */
    assert_int_equal(gpu_request(&g, "llama2-7b", "mixpe-w4a16", 99, 202, 2, &r, &e), MP_OK);
    double s_ms = 0, s_j = 0;
    for (int kv = 100; kv <= 300; kv++) {
        double ms = kv <= 200 ? 2 + (kv - 100) / 100.0 : 3 + 2.0 * (kv - 200) / 100.0;
        double j = kv <= 200 ? 1 + 0.5 * (kv - 100) / 100.0 : 1.5 + (kv - 200) / 100.0;
        s_ms += ms;
        s_j += j;
    }
    assert_int_equal(r.steps, 201);
    assert_true(fabs(r.decode_s - s_ms / 1e3) < 1e-12);
    assert_true(fabs(r.decode_j - s_j) < 1e-9);
    assert_true(fabs(r.ttft_s - 0.05) < 1e-15);
    assert_true(fabs(r.tokens_per_s - 2 * 202 / (0.05 + s_ms / 1e3)) < 1e-9);
    assert_true(fabs(r.j_per_token - (20 + s_j) / (2 * 202)) < 1e-12);
    assert_int_equal(r.kv_lo, 100);
    assert_int_equal(r.kv_hi, 300);
    assert_int_equal(r.ndecode, 3);
    /* one generated token: the prefill alone */
    assert_int_equal(gpu_request(&g, "llama2-7b", "mixpe-w4a16", 99, 1, 2, &r, &e), MP_OK);
    assert_true(fabs(r.tokens_per_s - 2 / 0.05) < 1e-9 && r.steps == 0 && r.decode_s == 0);
    /* beyond the measured kv: refused, never extrapolated */
    MpErr e2 = {0};
    assert_int_equal(gpu_request(&g, "llama2-7b", "mixpe-w4a16", 99, 203, 2, &r, &e2), MP_EINPUT);
    assert_non_null(strstr(e2.msg, "around kv 301"));
    /* no prefill at that prompt, or that batch */
    MpErr e3 = {0};
    assert_int_equal(gpu_request(&g, "llama2-7b", "mixpe-w4a16", 100, 2, 2, &r, &e3), MP_EINPUT);
    assert_non_null(strstr(e3.msg, "no passing prefill step of llama2-7b in mixpe-w4a16 at batch 2 or 1, prompt 100"));
    MpErr e4 = {0};
    assert_int_equal(gpu_request(&g, "llama2-7b", "mixpe-w4a16", 99, 2, 1, &r, &e4), MP_EINPUT);
    gpu_free(&g);
}

/* no prefill row at batch B: B back-to-back prefills of the batch-1 row (gpureq.h) */
static void prefill_from_batch1(void **state)
{
    (void)state;
    const char *text = HEAD ROW("mixpe-w4a16", "prefill", 1, "prompt", 99, 50, 20, "pass") ","
        ROW("mixpe-w4a16", "decode", 4, "kv", 100, 2, 1, "pass") ","
        ROW("mixpe-w4a16", "decode", 4, "kv", 200, 3, 1.5, "pass") "]}";
    GpuFile g;
    MpErr e = {0};
    assert_int_equal(load_text(text, &g, &e), MP_OK);
    GpuReq r;
    assert_int_equal(gpu_request(&g, "llama2-7b", "mixpe-w4a16", 99, 2, 4, &r, &e), MP_OK);
    assert_int_equal(r.prefill_reps, 4);
    assert_true(fabs(r.ttft_s - 4 * 0.05) < 1e-15 && fabs(r.prefill_j - 80) < 1e-12);
    assert_true(fabs(r.total_s - (0.2 + 0.002)) < 1e-15);
    /* at batch 1 itself the row counts once */
    MpErr e2 = {0};
    assert_int_equal(gpu_request(&g, "llama2-7b", "mixpe-w4a16", 99, 1, 1, &r, &e2), MP_OK);
    assert_int_equal(r.prefill_reps, 1);
    assert_true(fabs(r.ttft_s - 0.05) < 1e-15);
    gpu_free(&g);
}

static void missing_energy_is_nan(void **state)
{
    (void)state;
    const char *text = HEAD "{\"model\": \"m\", \"format\": \"f\", \"phase\": \"prefill\", \"batch\": 1, "
                            "\"prompt\": 8, \"ms\": 1, \"check\": \"pass\"},"
                            "{\"model\": \"m\", \"format\": \"f\", \"phase\": \"decode\", \"batch\": 1, "
                            "\"kv\": 9, \"ms\": 1, \"j\": null, \"check\": \"pass\"}]}";
    GpuFile g;
    MpErr e = {0};
    assert_int_equal(load_text(text, &g, &e), MP_OK);
    GpuReq r;
    assert_int_equal(gpu_request(&g, "m", "f", 8, 2, 1, &r, &e), MP_OK);
    assert_true(isnan(r.j_per_token));
    assert_true(fabs(r.tokens_per_s - 2 / 0.002) < 1e-9);
    gpu_free(&g);
}

/* energy measured at one kv only: the other steps' J is that step's power times their time */
static void energy_from_power(void **state)
{
    (void)state;
    const char *text = HEAD ROW("f", "prefill", 1, "prompt", 99, 10, 4, "pass") ","
        ROW("f", "decode", 1, "kv", 100, 2, 1, "pass") ","
        "{\"model\": \"llama2-7b\", \"format\": \"f\", \"phase\": \"decode\", \"batch\": 1, \"kv\": 200, "
        "\"ms\": 3, \"check\": \"pass\"}]}";
    GpuFile g;
    MpErr e = {0};
    assert_int_equal(load_text(text, &g, &e), MP_OK);
    GpuReq r;
    assert_int_equal(gpu_request(&g, "llama2-7b", "f", 99, 102, 1, &r, &e), MP_OK);
    /* kv 100: measured, 1 J; kv 101 .. 200: 0.5 J/ms x (2 + (kv - 100) / 100) ms */
    double j = 1;
    for (int kv = 101; kv <= 200; kv++)
        j += 0.5 * (2 + (kv - 100) / 100.0);
    assert_true(fabs(r.decode_j - j) < 1e-9);
    assert_int_equal(r.steps_by_power, 100);
    gpu_free(&g);
}

static void bad_step_rows(void **state)
{
    (void)state;
    static const struct {
        const char *rows, *msg;
    } cases[] = {
        {"{\"model\": \"m\", \"format\": \"f\", \"phase\": \"train\", \"batch\": 1, \"kv\": 9, \"ms\": 1, "
         "\"check\": \"pass\"}",
         "steps[0]: 'phase' must be"},
        {"{\"model\": \"m\", \"format\": \"f\", \"phase\": \"decode\", \"batch\": 1, \"prompt\": 9, \"ms\": 1, "
         "\"check\": \"pass\"}",
         "steps[0]: 'batch' and 'kv' must be positive integers"},
        {"{\"model\": \"m\", \"format\": \"f\", \"phase\": \"prefill\", \"batch\": 0, \"prompt\": 9, \"ms\": 1, "
         "\"check\": \"pass\"}",
         "steps[0]: 'batch' and 'prompt' must be positive integers"},
        {"{\"model\": \"m\", \"format\": \"f\", \"phase\": \"decode\", \"batch\": 1, \"kv\": 9, \"ms\": -1, "
         "\"check\": \"pass\"}",
         "steps[0]: 'ms' missing or not a positive number"},
        {"{\"model\": \"m\", \"format\": \"f\", \"phase\": \"decode\", \"batch\": 1, \"kv\": 9, \"ms\": 1, "
         "\"j\": \"x\", \"check\": \"pass\"}",
         "steps[0]: 'j' must be a number >= 0 or null"},
        {"{\"model\": \"\", \"format\": \"f\", \"phase\": \"decode\", \"batch\": 1, \"kv\": 9, \"ms\": 1, "
         "\"check\": \"pass\"}",
         "steps[0]: 'model' and 'format' must be non-empty strings"},
        {"7", "steps[0]: not an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, HEAD "%s]}", cases[i].rows);
        GpuFile g;
        MpErr e = {0};
        assert_int_equal(load_text(text, &g, &e), MP_EINPUT);
        if (!strstr(e.msg, cases[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, cases[i].msg);
        gpu_free(&g);
    }
    GpuFile g;
    MpErr e = {0};
    assert_int_equal(load_text("{\"device\": \"x\", \"copy_gbps\": 1}", &g, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "neither 'results' nor 'steps'"));
    gpu_free(&g);
    MpErr e2 = {0};
    assert_int_equal(load_text("{\"device\": \"x\", \"copy_gbps\": 1, \"idle_power_w\": -3, \"steps\": []}", &g, &e2),
                     MP_EINPUT);
    assert_non_null(strstr(e2.msg, "'idle_power_w' must be"));
    gpu_free(&g);
}

static void facts(void **state)
{
    (void)state;
    const GpuFacts *f = gpu_facts_for("NVIDIA H100 80GB HBM3");
    assert_non_null(f);
    assert_true(f->die_mm2 == 814 && f->node_nm == 4 && f->mem_stacks == 5);
    assert_null(gpu_facts_for("Some Other GPU"));
    const GpuFacts *h = gpu_facts_for("NVIDIA H200");
    assert_non_null(h);
    assert_true(h->die_mm2 == 814 && h->mem_stacks == 6 && h->mem_peak_gbps == 4800);
    /* the match is the end of the name: the PCIe cards are other GPUs */
    assert_null(gpu_facts_for("NVIDIA H200 NVL"));
    assert_null(gpu_facts_for("NVIDIA H100 80GB HBM3 PCIe"));
    assert_null(gpu_facts_for(NULL));
    assert_ptr_equal(gpu_facts_for("NVIDIA H100 80GB HBM3 (test fixture)"), f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_by_hand),
        cmocka_unit_test(prefill_from_batch1),
        cmocka_unit_test(missing_energy_is_nan),
        cmocka_unit_test(energy_from_power),
        cmocka_unit_test(bad_step_rows),
        cmocka_unit_test(facts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
