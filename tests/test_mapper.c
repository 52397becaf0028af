/* tests/test_mapper.c — the mapper (sim/mapper.h): its pruned search (an estimate, then the best
 * SIM_MAP_EXACT candidates simulated) is never more than 5% slower than the exhaustive search over
 * the same space (every candidate simulated), on random GEMMs and configs and on the GEMMs of real
 * models on the shipped presets; the objectives order what they say; forced choices are honoured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sim/mapper.h"
#include "testutil.h"
#include "traces/workload.h"

#define SLACK 1.05

static ArchConfig random_config(MpRng *r)
{
    ArchConfig c;
    MpErr e = {0};
    if (ini_schema_defaults(arch_schema, arch_schema_len, &c, &e))
        fail_msg("%s", e.msg);
    c.pe_kind = (int)mp_rng_below(r, PE_KIND_COUNT);
    const int nv = pe_kind_nvariants((PeKindId)c.pe_kind);
    c.weight_bits = pe_kinds[c.pe_kind].var[(int)mp_rng_below(r, (uint64_t)nv)].weight_bits;
    c.rows = 1 + (int)mp_rng_below(r, 48);
    c.cols = 1 + (int)mp_rng_below(r, 48);
    c.dataflow = (int)mp_rng_below(r, 2);
    c.group_size = 32 * (1 + (int)mp_rng_below(r, 4));
    c.sram_weight_kib = 4 << mp_rng_below(r, 6);
    c.sram_act_kib = 4 << mp_rng_below(r, 6);
    c.sram_out_kib = 4 << mp_rng_below(r, 6);
    c.sram_banks = 1 << mp_rng_below(r, 4);
    c.sram_port_bits = 32 << mp_rng_below(r, 4);
    c.double_buffer = (int)mp_rng_below(r, 2);
    c.dram_bits_per_cycle = 32 << mp_rng_below(r, 5);
    c.dram_latency_cycles = (int)mp_rng_below(r, 200);
    return c;
}

/* The pruned choice against the exhaustive one; returns 1 if the GEMM could be mapped. Tracks the
 * worst ratio in *worst. */
static int check_one(const ArchConfig *c, const SimGemm *g, int64_t max_steps, double *worst, const char *what)
{
    /* the same space for both: candidates of at most max_steps steps (keeps the exhaustive search short) */
    SimMapOpts pruned = {NULL, MAP_OBJ_TIME, NULL, 0, max_steps}, all = {NULL, MAP_OBJ_TIME, NULL, 1, max_steps};
    Mapping mp, mx;
    SimResult rp, rx;
    MpErr e = {0}, e2 = {0};
    int a = sim_map_search(c, g, &pruned, &mp, &rp, &e), b = sim_map_search(c, g, &all, &mx, &rx, &e2);
    if (a != b)
        fail_msg("%s: pruned status %d '%s', exhaustive %d '%s'", what, a, e.msg, b, e2.msg);
    if (a == MP_EINPUT)
        return 0;
    if (a)
        fail_msg("%s: %s", what, e.msg);
    /* the exhaustive search is the optimum of the space: nothing beats it */
    assert_true(rx.ev.cycles <= rp.ev.cycles);
    const double ratio = (double)rp.ev.cycles / (double)rx.ev.cycles;
    if (ratio > *worst)
        *worst = ratio;
    if (ratio > SLACK) {
        char dp[128], dx[128];
        map_describe(&mp, dp, sizeof dp);
        map_describe(&mx, dx, sizeof dx);
        fail_msg("%s: the mapper's %s takes %lld cycles, the exhaustive search's %s %lld (x%.3f)", what, dp,
                 (long long)rp.ev.cycles, dx, (long long)rx.ev.cycles, ratio);
    }
    return 1;
}

static void random_gemms_near_optimal(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("random_gemms_near_optimal", 31));
    double worst = 1;
    int mapped = 0;
    for (int trial = 0; trial < 160; trial++) {
        ArchConfig c = random_config(&r);
        const int64_t dims[] = {1, 2, 7, 16, 64, 100, 256, 300, 512};
        SimGemm g = {.m = dims[mp_rng_below(&r, 9)], .n = dims[mp_rng_below(&r, 9)], .k = dims[mp_rng_below(&r, 9)],
                     .act_act = (int)(trial % 5 == 0), .count = 1, .y_store = (int)(trial % 7 == 3)};
        char what[160];
        snprintf(what, sizeof what, "trial %d: %s %s %dx%d gemm %lldx%lldx%lld", trial, pe_kind_names[c.pe_kind],
                 c.dataflow ? "ws" : "os", c.rows, c.cols, (long long)g.m, (long long)g.n, (long long)g.k);
        mapped += check_one(&c, &g, 512, &worst, what);
    }
    printf("# %d random GEMMs mapped; the pruned search at most x%.4f the exhaustive one\n", mapped, worst);
    assert_true(mapped >= 120);
}

/* Attention GEMMs under the causal mask and with on-chip operands (fused attention): the estimate
 * walks only the executed steps and leaves out on-chip transfers; the pruned search stays within
 * the slack of the exhaustive one. */
static void causal_gemms_near_optimal(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("causal_gemms_near_optimal", 32));
    double worst = 1;
    int mapped = 0;
    for (int trial = 0; trial < 80; trial++) {
        ArchConfig c = random_config(&r);
        static const int64_t keys[] = {16, 64, 100, 256, 512}, hd[] = {32, 64, 128};
        const int64_t kv = keys[mp_rng_below(&r, 5)], d = hd[mp_rng_below(&r, 3)];
        const int64_t m = trial % 4 == 0 ? 1 : kv;
        SimGemm g = {.m = m, .act_act = 1, .count = 1};
        g.causal = trial % 2 ? MAP_CAUSAL_N : MAP_CAUSAL_K;
        g.n = g.causal == MAP_CAUSAL_N ? kv : d; /* QK^T: keys on N; PV: head_dim on N, keys on K */
        g.k = g.causal == MAP_CAUSAL_N ? d : kv;
        g.x_onchip = g.causal == MAP_CAUSAL_K && mp_rng_below(&r, 2);
        g.y_onchip = g.causal == MAP_CAUSAL_N && mp_rng_below(&r, 2);
        char what[200];
        snprintf(what, sizeof what, "trial %d: %s %s %dx%d gemm %lldx%lldx%lld causal %d onchip x %d y %d", trial,
                 pe_kind_names[c.pe_kind], c.dataflow ? "ws" : "os", c.rows, c.cols, (long long)g.m, (long long)g.n,
                 (long long)g.k, g.causal, g.x_onchip, g.y_onchip);
        mapped += check_one(&c, &g, 512, &worst, what);
    }
    printf("# %d causal attention GEMMs mapped; the pruned search at most x%.4f the exhaustive one\n", mapped, worst);
    assert_true(mapped >= 60);
}

/* Every distinct GEMM of three models, decode at batch 1 and prefill of 128 tokens, on iso and MixPE
 * presets. */
static void model_gemms_near_optimal(void **state)
{
    (void)state;
    static const char *presets[] = {"iso/fp16", "iso/mixpe-w4a8", "iso/bitmod-w4", "iso/olive",
                                    "mixpe-paper/fp16"};
    static const char *models[] = {"llama2-7b", "opt-1.3b", "tiny"};
    double worst = 1;
    int mapped = 0;
    for (size_t pi = 0; pi < sizeof presets / sizeof *presets; pi++) {
        ArchConfig c;
        MpErr e = {0};
        if (config_load(presets[pi], &c, NULL, NULL, 0, &e))
            fail_msg("%s", e.msg);
        for (size_t mi = 0; mi < sizeof models / sizeof *models; mi++)
            for (int ph = 0; ph < 2; ph++) {
                const WlModel *m = wl_model_find(models[mi], &e);
                Workload *w = NULL;
                if (!m || wl_create(m, ph ? WL_DECODE : WL_PREFILL, ph ? 512 : 128, 1, &w, &e))
                    fail_msg("%s", e.msg);
                for (int i = 0; i < w->ngemm; i++) {
                    const Gemm *gm = &w->gemms[i];
                    SimGemm g = {.m = gm->m, .n = gm->n, .k = gm->k, .act_act = gm->role == WL_ACT_ACT, .count = 1,
                                 .y_store = gm->y_to == WL_Y_KV ? SIM_STORE_KV : SIM_STORE_OUT};
                    char what[160];
                    snprintf(what, sizeof what, "%s %s %s %s", presets[pi], models[mi], ph ? "decode" : "prefill",
                             gm->name);
                    mapped += check_one(&c, &g, 128, &worst, what);
                }
                wl_destroy(w);
            }
    }
    printf("# %d model GEMMs mapped; the pruned search at most x%.4f the exhaustive one\n", mapped, worst);
    assert_true(mapped >= 150);
}

/* The objectives: time never loses on cycles, dram never on DRAM bits; forcing is honoured. */
static void objectives_and_forcing(void **state)
{
    (void)state;
    ArchConfig c;
    MpErr e = {0};
    if (config_load("mixpe-paper/fp16", &c, NULL, NULL, 0, &e))
        fail_msg("%s", e.msg);
    SimGemm g = {.m = 64, .n = 5120, .k = 5120, .count = 1};
    SimMapOpts ot = {NULL, MAP_OBJ_TIME, NULL, 1, 4096}, od = {NULL, MAP_OBJ_DRAM, NULL, 1, 4096};
    Mapping mt, md;
    SimResult rt, rd;
    assert_int_equal(sim_map_search(&c, &g, &ot, &mt, &rt, &e), MP_OK);
    assert_int_equal(sim_map_search(&c, &g, &od, &md, &rd, &e), MP_OK);
    assert_true(rt.ev.cycles <= rd.ev.cycles);
    assert_true(rd.ev.dram_read_bits + rd.ev.dram_write_bits <= rt.ev.dram_read_bits + rt.ev.dram_write_bits);
    /* on this GEMM the two objectives disagree: the trade-off is real */
    assert_true(rt.ev.cycles < rd.ev.cycles);
    /* the energy objective needs a table */
    SimMapOpts oe = {NULL, MAP_OBJ_ENERGY, NULL, 0, 0};
    assert_int_equal(sim_map_search(&c, &g, &oe, &mt, &rt, &e), MP_EINPUT);
    /* a forced orientation and order are kept */
    MapForce f = MAP_FORCE_NONE;
    f.trans = 1;
    f.order = ORDER_NM;
    SimMapOpts of = {&f, MAP_OBJ_TIME, NULL, 0, 0};
    assert_int_equal(sim_map_search(&c, &g, &of, &mt, &rt, &e), MP_OK);
    assert_int_equal(mt.trans, 1);
    assert_int_equal(mt.order, ORDER_NM);
    /* a step limit below every candidate is refused, naming the fewest steps */
    SimMapOpts ol = {NULL, MAP_OBJ_TIME, NULL, 0, 1};
    MpErr el = {0};
    e = el;
    assert_int_equal(sim_map_search(&c, &g, &ol, &mt, &rt, &e), MP_EINPUT);
    if (!strstr(e.msg, "MPSIM_MAX_STEPS"))
        fail_msg("the step limit's message does not name its knob: '%s'", e.msg);
}

/* At batch 1 a tall array puts the output channels on its long edge: the mapper picks the
 * orientation that keeps more PEs busy (BitMoD's decode arrays, 64x16: rows = channels). */
static void decode_orientation(void **state)
{
    (void)state;
    ArchConfig c;
    MpErr e = {0};
    if (config_load("bitmod-paper/decode/fp16", &c, NULL, NULL, 0, &e))
        fail_msg("%s", e.msg);
    c.dram_bits_per_cycle = 1 << 14; /* take DRAM out of the way: the array decides */
    SimGemm g = {.m = 1, .n = 4096, .k = 4096, .count = 1};
    SimMapOpts o = {NULL, MAP_OBJ_TIME, NULL, 0, 0};
    Mapping mp;
    SimResult r;
    assert_int_equal(sim_map_search(&c, &g, &o, &mp, &r, &e), MP_OK);
    assert_int_equal(mp.trans, c.rows > c.cols);
    assert_int_equal(sim_bound(&r), SIM_RES_W_INGEST);
    /* the weight edge's own cycles: N * K / (the long edge), and the GEMM within 1.1x of them (K is split in two: the fp16 weights of 64 channels do not fit half the buffer; psum loads cost ~6%) */
    assert_int_equal(r.res[SIM_RES_W_INGEST], 4096LL * 4096 / (c.rows > c.cols ? c.rows : c.cols));
    assert_true((double)r.ev.cycles <= 1.1 * (double)r.res[SIM_RES_W_INGEST]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_gemms_near_optimal),
        cmocka_unit_test(causal_gemms_near_optimal),
        cmocka_unit_test(model_gemms_near_optimal),
        cmocka_unit_test(objectives_and_forcing),
        cmocka_unit_test(decode_orientation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
