/* tests/test_cores.c — several cores and DRAM channels (sim/cores.h, dataflow/map.h map_partition):
 * the split rule; one core and one channel give the single-array engine's result bit for bit; fast ==
 * cycle on the combination for cores and channels 1..4 on randomized small GEMMs and instances, and
 * on a whole tiny model (cycle fidelity with data, checked against the golden GEMM); four cores make
 * a compute-bound prefill GEMM nearly 4x faster and channels a DRAM-bound decode GEMV; area and DRAM
 * background power count the cores and channels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/area.h"
#include "sim/cores.h"
#include "sim/energy.h"
#include "sim/run.h"
#include "testutil.h"
#include "simutil.h"

static ArchConfig preset(const char *name)
{
    ArchConfig c;
    MpErr e = {0};
    if (config_load(name, &c, NULL, NULL, 0, &e))
        fail_msg("%s", e.msg);
    return c;
}

static void assert_results_equal(const SimResult *a, const SimResult *b, const char *what)
{
    if (memcmp(&a->ev, &b->ev, sizeof a->ev) != 0)
        fail_msg("%s: events differ: cycles %lld vs %lld, compute %lld vs %lld, dram rd %lld vs %lld", what,
                 (long long)a->ev.cycles, (long long)b->ev.cycles, (long long)a->ev.compute_cycles,
                 (long long)b->ev.compute_cycles, (long long)a->ev.dram_read_bits, (long long)b->ev.dram_read_bits);
    assert_memory_equal(&a->map, &b->map, sizeof a->map);
    assert_memory_equal(a->res, b->res, sizeof a->res);
    assert_int_equal(a->tiles, b->tiles);
    assert_int_equal(a->stream, b->stream);
}

/* The rule of map_partition, case by case; the shares cover the work exactly, on exactly C cores. */
static void partition_rule(void **state)
{
    (void)state;
    MapPart p;
    map_partition(32, 2048, 4096, MAP_CAUSAL_NONE, 1, 64, 16, &p);
    assert_int_equal(p.how, PART_NONE);
    assert_true(p.ncores[0] == 1 && p.count[0] == 32 && p.m[0] == 2048 && p.n[0] == 4096);
    map_partition(10, 1, 4096, MAP_CAUSAL_NONE, 4, 64, 16, &p); /* instances: 3, 3, 2, 2 */
    assert_int_equal(p.how, PART_INST);
    assert_true(p.count[0] == 3 && p.ncores[0] == 2 && p.count[1] == 2 && p.ncores[1] == 2);
    map_partition(1, 1, 4098, MAP_CAUSAL_NONE, 4, 64, 16, &p); /* decode: channels 1025, 1025, 1024, 1024 */
    assert_int_equal(p.how, PART_N);
    assert_true(p.n[0] == 1025 && p.ncores[0] == 2 && p.n[1] == 1024 && p.ncores[1] == 2 && p.m[0] == 1);
    map_partition(1, 2048, 32, MAP_CAUSAL_NONE, 4, 64, 16, &p); /* many tokens, few channels: M */
    assert_int_equal(p.how, PART_M);
    assert_true(p.m[0] == 512 && p.ncores[0] == 4 && p.ncores[1] == 0 && p.n[0] == 32);
    map_partition(1, 2048, 4096, MAP_CAUSAL_NONE, 4, 64, 16, &p); /* prefill, one instance: channels */
    assert_int_equal(p.how, PART_N);
    map_partition(2, 64, 64, MAP_CAUSAL_N, 4, 8, 8, &p); /* masked, m > 1: instances, two cores idle */
    assert_int_equal(p.how, PART_INST);
    assert_true(p.count[0] == 1 && p.ncores[0] == 2 && p.count[1] == 0 && p.ncores[1] == 2);
    map_partition(1, 1, 3, MAP_CAUSAL_NONE, 4, 8, 8, &p); /* fewer channels than cores: one idles */
    assert_true(p.how == PART_N && p.n[0] == 1 && p.ncores[0] == 3 && p.n[1] == 0 && p.ncores[1] == 1);
    MpRng r;
    mp_rng_seed(&r, tu_seed("partition_rule", 5));
    for (int t = 0; t < 2000; t++) {
        const int64_t count = 1 + (int64_t)mp_rng_below(&r, 40), m = 1 + (int64_t)mp_rng_below(&r, 300),
                      n = 1 + (int64_t)mp_rng_below(&r, 300);
        const int cores = 1 + (int)mp_rng_below(&r, 8), causal = (int)mp_rng_below(&r, 3);
        map_partition(count, m, n, causal, cores, 1 + (int)mp_rng_below(&r, 16), 1 + (int)mp_rng_below(&r, 16), &p);
        assert_int_equal(p.ncores[0] + p.ncores[1], cores);
        int64_t work = 0;
        for (int s = 0; s < 2; s++)
            work += p.ncores[s] * p.count[s] * p.m[s] * p.n[s];
        assert_int_equal(work, count * m * n);
    }
}

/* One core, one channel: cores_gemm is the engine's own path (sim_gemm_opts for one instance, then
 * the instances with its mapping), bit for bit, at both fidelities. */
static void one_core_is_the_engine(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("one_core_is_the_engine", 7));
    int n = 0;
    for (int t = 0; t < 150; t++) {
        ArchConfig c = tu_small_config((PeKindId)(t % PE_KIND_COUNT), -1, &r);
        SimGemm g = {.m = 1 + (int64_t)mp_rng_below(&r, 20), .n = 1 + (int64_t)mp_rng_below(&r, 20),
                     .k = 1 + (int64_t)mp_rng_below(&r, 64), .act_act = t % 5 == 0,
                     .count = 1 + (int64_t)mp_rng_below(&r, 6)};
        const Fidelity fid = t % 2 ? FID_CYCLE : FID_FAST;
        const SimMapOpts o = {NULL, MAP_OBJ_TIME, NULL, 0, 0};
        SimGemm one = g;
        one.count = 1;
        SimResult r1, want, got, got1;
        MpErr e = {0};
        if (sim_gemm_opts(&c, &one, fid, &o, NULL, &r1, &e) == MP_EINPUT)
            continue; /* nothing fits the random buffers */
        want = r1;
        if (g.count > 1) {
            if (sim_gemm_mapped(&c, &g, &r1.map, fid, NULL, &want, &e))
                fail_msg("%s", e.msg);
        }
        if (cores_gemm(&c, &g, fid, &o, NULL, &got1, &got, &e))
            fail_msg("%s", e.msg);
        assert_results_equal(&got, &want, "one core");
        assert_results_equal(&got1, &r1, "one core, one instance");
        n++;
    }
    assert_true(n > 100);
}

/* cores and channels 1..4, random small GEMMs (instances, attention, causal masks): fast == cycle on
 * the combined result, exactly; the MACs are the GEMM's, the PE-cycles every core's. */
static void fast_equals_cycle(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("cores_fast_equals_cycle", 9));
    long n = 0, how[4] = {0, 0, 0, 0};
    for (int t = 0; t < 600; t++) {
        ArchConfig c = tu_small_config((PeKindId)(t % PE_KIND_COUNT), -1, &r);
        c.cores = 1 + (int)mp_rng_below(&r, 4);
        c.dram_channels = 1 + (int)mp_rng_below(&r, 4);
        SimGemm g = {.m = 1 + (int64_t)mp_rng_below(&r, 24), .n = 1 + (int64_t)mp_rng_below(&r, 24),
                     .k = 1 + (int64_t)mp_rng_below(&r, 64), .act_act = t % 4 == 0,
                     .count = t % 3 ? 1 : 1 + (int64_t)mp_rng_below(&r, 9)};
        if (g.act_act && t % 8 == 0) { /* attention under the causal mask, m <= keys */
            g.causal = 1 + (int)mp_rng_below(&r, 2);
            const int64_t keys = g.causal == MAP_CAUSAL_K ? g.k : g.n;
            g.m = mp_rng_below(&r, 3) == 0 ? 1 : 1 + (int64_t)mp_rng_below(&r, (uint64_t)keys);
        }
        if (t % 6 == 1) /* many tokens, few channels: the token split */
            g.m = (int64_t)c.cores * c.rows + (int64_t)mp_rng_below(&r, 16);
        const SimMapOpts o = {NULL, MAP_OBJ_TIME, NULL, 0, 0};
        SimResult a, b, a1, b1;
        MpErr e = {0}, e2 = {0};
        int ra = cores_gemm(&c, &g, FID_FAST, &o, NULL, &a1, &a, &e);
        int rb = cores_gemm(&c, &g, FID_CYCLE, &o, NULL, &b1, &b, &e2);
        if (ra != rb)
            fail_msg("fast status %d '%s', cycle %d '%s'", ra, e.msg, rb, e2.msg);
        if (ra == MP_EINPUT)
            continue;
        if (ra)
            fail_msg("%s", e.msg);
        MapPart p;
        cores_partition(&c, &g, &p);
        char what[200];
        snprintf(what, sizeof what, "%s %d cores %d channels %dx%d gemm %lldx%lldx%lld x%lld causal %d split %s",
                 pe_kind_names[c.pe_kind], c.cores, c.dram_channels, c.rows, c.cols, (long long)g.m, (long long)g.n,
                 (long long)g.k, (long long)g.count, g.causal, map_part_names[p.how]);
        assert_results_equal(&a, &b, what);
        assert_results_equal(&a1, &b1, what);
        if (!g.causal)
            assert_int_equal(a.ev.macs, g.m * g.n * g.k * g.count);
        assert_int_equal(a.ev.pe_total, (int64_t)c.cores * c.rows * c.cols * a.ev.cycles);
        assert_int_equal(a.ev.stall_cycles + a.ev.compute_cycles, (int64_t)c.cores * a.ev.cycles);
        how[p.how]++;
        n++;
    }
    printf("# %ld GEMMs on 1-4 cores, 1-4 channels: fast == cycle (split: none %ld, instances %ld, tokens %ld, "
           "channels %ld)\n",
           n, how[PART_NONE], how[PART_INST], how[PART_M], how[PART_N]);
    assert_true(n > 400 && how[PART_INST] > 20 && how[PART_M] > 20 && how[PART_N] > 20);
}

/* A whole tiny model, prefill (causal attention) and decode, on 3 cores and 2 channels: cycle fidelity
 * (every GEMM's first-core part on real data, checked against the golden GEMM) equals fast. */
static void tiny_model_fast_equals_cycle(void **state)
{
    (void)state;
    ArchConfig c = preset("iso/mixpe-w4a8");
    c.cores = 3;
    c.dram_channels = 2;
    for (int ph = 0; ph < 2; ph++) {
        Workload *w;
        MpErr e = {0};
        assert_int_equal(wl_create(wl_model_find("tiny", NULL), ph ? WL_DECODE : WL_PREFILL, ph ? 40 : 24, 2, &w, &e),
                         MP_OK);
        RunOpts o;
        memset(&o, 0, sizeof o);
        RunResult a, b;
        o.fid = FID_FAST;
        if (run_workload(&c, w, &o, &a, &e))
            fail_msg("%s", e.msg);
        o.fid = FID_CYCLE;
        o.seed = 3;
        if (run_workload(&c, w, &o, &b, &e))
            fail_msg("%s", e.msg);
        assert_memory_equal(&a.total, &b.total, sizeof a.total);
        assert_true(b.checked_outputs > 0);
        run_free(&a);
        run_free(&b);
        wl_destroy(w);
    }
}

static int64_t gemm_cycles(const ArchConfig *c, const SimGemm *g)
{
    const SimMapOpts o = {NULL, MAP_OBJ_TIME, NULL, 0, 0};
    SimResult r;
    MpErr e = {0};
    if (cores_gemm(c, g, FID_FAST, &o, NULL, NULL, &r, &e))
        fail_msg("%s", e.msg);
    return r.ev.cycles;
}

/* 4 cores (with 4 channels, so that each keeps one core's bandwidth) on a compute-bound prefill
 * GEMM: close to 4x faster, split by channels (one instance) and by instances. */
static void cores_scale_compute(void **state)
{
    (void)state;
    ArchConfig one = preset("iso/fp16"), four = one;
    four.cores = four.dram_channels = 4;
    const SimGemm gn = {.m = 512, .n = 4096, .k = 4096, .count = 1}, gi = {.m = 512, .n = 4096, .k = 4096, .count = 8};
    const double sn = (double)gemm_cycles(&one, &gn) / (double)gemm_cycles(&four, &gn),
                 si = (double)gemm_cycles(&one, &gi) / (double)gemm_cycles(&four, &gi);
    printf("# 512x4096x4096 on 4 cores: %.3fx (channel split), x8 instances: %.3fx\n", sn, si);
    assert_true(sn > 3.6 && sn <= 4.01);
    assert_true(si > 3.8 && si <= 4.01);
}

/* A DRAM-bound decode GEMV: 4 channels make it nearly 4x faster on one core, and 4 cores on 4
 * channels split its channels (each core reads a quarter of the weights) as fast. */
static void channels_scale_dram(void **state)
{
    (void)state;
    ArchConfig c = preset("iso/fp16"), ch4 = c, both = c;
    ch4.dram_channels = 4;
    both.dram_channels = both.cores = 4;
    const SimGemm g = {.m = 1, .n = 4096, .k = 4096, .count = 1};
    const int64_t c1 = gemm_cycles(&c, &g), c4 = gemm_cycles(&ch4, &g), cb = gemm_cycles(&both, &g);
    printf("# 1x4096x4096: 1 channel %lld cycles, 4 channels %lld (%.3fx), 4 cores on 4 channels %lld (%.3fx)\n",
           (long long)c1, (long long)c4, (double)c1 / c4, (long long)cb, (double)c1 / cb);
    assert_true((double)c1 / c4 > 3.5 && (double)c1 / cb > 3.5);
    /* the weights read once in all (a quarter by each core), the activation row by every core (as
     * often as its own blocking needs it) */
    const SimMapOpts o = {NULL, MAP_OBJ_TIME, NULL, 0, 0};
    SimResult r1, r4, one;
    MpErr e = {0};
    assert_int_equal(cores_gemm(&c, &g, FID_FAST, &o, NULL, NULL, &r1, &e), MP_OK);
    assert_int_equal(cores_gemm(&both, &g, FID_FAST, &o, NULL, &one, &r4, &e), MP_OK);
    assert_int_equal(one.map.dram_w_bits, 1024 * 4096 * 16);
    assert_true(one.map.dram_x_bits >= 4096 * 16);
    assert_int_equal(r4.ev.dram_read_bits, 4 * (one.map.dram_w_bits + one.map.dram_x_bits));
    assert_int_equal(r4.ev.dram_write_bits, r1.ev.dram_write_bits);
    /* the static share: channels x bits / cores, rounded down, at least 1 */
    ArchConfig s = c;
    s.dram_bits_per_cycle = 5;
    s.dram_channels = 3;
    s.cores = 2;
    assert_int_equal(cores_dram_bits(&s), 7);
    s.dram_bits_per_cycle = 1;
    s.dram_channels = 1;
    s.cores = 4;
    assert_int_equal(cores_dram_bits(&s), 1);
}

/* area = cores x (array + edge units + weight/activation/output buffers) + the vector unit; DRAM
 * background power x channels; SRAM leakage counts every core's buffers. */
static void area_and_background(void **state)
{
    (void)state;
    ArchConfig c = preset("iso/olive"), c3 = c;
    c3.cores = 3;
    TechTable t;
    MpErr e = {0};
    assert_int_equal(energy_tech_load(c.tech, &t, NULL, 0, &e), MP_OK);
    AreaBreakdown a1, a3;
    assert_int_equal(area_compute(&t, &c, &a1, &e), MP_OK);
    assert_int_equal(area_compute(&t, &c3, &a3, &e), MP_OK);
    const double vbuf = c.vec_buf_kib * t.sram_area_um2_per_kib * 1e-6, shared = a1.vector_mm2 + vbuf;
    assert_true(a1.decoder_mm2 > 0);
    assert_float_equal(a3.total_mm2, 3 * (a1.total_mm2 - shared) + shared, 1e-9);
    assert_float_equal(a3.vector_mm2, a1.vector_mm2, 0);
    ArchConfig ch = c;
    ch.dram_channels = 4;
    assert_float_equal(energy_dram_bg_mw(&t, &ch), 4 * energy_dram_bg_mw(&t, &c), 1e-9);
    SimEvents ev;
    memset(&ev, 0, sizeof ev);
    ev.cycles = 1000;
    EnergyBreakdown e1, e3;
    assert_int_equal(energy_compute(&t, &c, &ev, &e1, &e), MP_OK);
    assert_int_equal(energy_compute(&t, &c3, &ev, &e3, &e), MP_OK);
    const double kib1 = c.sram_weight_kib + c.sram_act_kib + c.sram_out_kib + c.vec_buf_kib,
                 kib3 = 3.0 * (c.sram_weight_kib + c.sram_act_kib + c.sram_out_kib) + c.vec_buf_kib;
    assert_float_equal(e3.leakage_sram, e1.leakage_sram * kib3 / kib1, 1e-6 * e3.leakage_sram);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partition_rule),
        cmocka_unit_test(one_core_is_the_engine),
        cmocka_unit_test(fast_equals_cycle),
        cmocka_unit_test(tiny_model_fast_equals_cycle),
        cmocka_unit_test(cores_scale_compute),
        cmocka_unit_test(channels_scale_dram),
        cmocka_unit_test(area_and_background),
    };
    return cmocka_run_group_tests_name("cores", tests, NULL, NULL);
}
