/* tests/test_engine.c — the simulator engine: fast fidelity equals cycle fidelity (cycles and every
 * event count) on randomized small GEMMs for every PE kind and both dataflows; cycle fidelity with
 * data computes exactly the golden GEMM; first-principles timing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/golden.h"
#include "sim/array.h"
#include "sim/engine.h"
#include "sim/petime.h"
#include "testutil.h"
#include "simutil.h"

static void assert_events_equal(const SimEvents *a, const SimEvents *b, const char *what)
{
    if (memcmp(a, b, sizeof *a) != 0)
        fail_msg("%s: fast and cycle differ: cycles %lld vs %lld, compute %lld vs %lld, busy %lld vs %lld, dram rd %lld "
                 "vs %lld wr %lld vs %lld",
                 what, (long long)a->cycles, (long long)b->cycles, (long long)a->compute_cycles,
                 (long long)b->compute_cycles, (long long)a->pe_busy, (long long)b->pe_busy,
                 (long long)a->dram_read_bits, (long long)b->dram_read_bits, (long long)a->dram_write_bits,
                 (long long)b->dram_write_bits);
}

/* >= 200 random GEMMs per kind and dataflow: fast == cycle, exactly — cycles, every event, the
 * resources' own cycles, the mapping — in both orientations (a third of the trials force each, the
 * rest leave the mapper free), with back-to-back tiles in both engines. */
static void fast_equals_cycle(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("fast_equals_cycle", 11));
    long n = 0, skipped = 0, ntrans[2] = {0, 0};
    for (int kind = 0; kind < PE_KIND_COUNT; kind++)
        for (int df = 0; df < 2; df++)
            for (int trial = 0; trial < 200; trial++) {
                ArchConfig c = tu_small_config((PeKindId)kind, df, &r);
                SimGemm g = {.m = 1 + (int64_t)mp_rng_below(&r, 24), .n = 1 + (int64_t)mp_rng_below(&r, 24),
                             .k = 1 + (int64_t)mp_rng_below(&r, 96), .act_act = (int)(trial % 7 == 0),
                             .count = trial % 3 == 0 ? 1 + (int64_t)mp_rng_below(&r, 9) : 1,
                             .y_store = (int)(trial % 3), .x_store = (int)(trial % 4 == 1) * SIM_STORE_FP16};
                /* stored operand formats: the activation format (auto), or one of the convertible ones */
                static const int stored[] = {0, 1 + OPF_FP32, 1 + OPF_FP16, 1 + OPF_INT8, 1 + OPF_INT4};
                c.kv_format = stored[mp_rng_below(&r, 5)];
                c.out_format = stored[mp_rng_below(&r, 5)];
                SimResult a, b;
                MpErr e = {0};
                MapForce f = MAP_FORCE_NONE;
                f.trans = (int)mp_rng_below(&r, 3) - 1;
                int ra = sim_gemm(&c, &g, FID_FAST, &f, NULL, &a, &e);
                if (ra == MP_EINPUT) /* the buffers cannot hold one tile: both must say so */
                {
                    MpErr e2 = {0};
                    assert_int_equal(sim_gemm(&c, &g, FID_CYCLE, &f, NULL, &b, &e2), MP_EINPUT);
                    skipped++;
                    continue;
                }
                if (ra)
                    fail_msg("%s", e.msg);
                if (sim_gemm(&c, &g, FID_CYCLE, &f, NULL, &b, &e))
                    fail_msg("%s", e.msg);
                char what[200];
                snprintf(what, sizeof what, "%s %s %dx%d gemm %lldx%lldx%lld x%lld%s db=%d %s", pe_kind_names[kind],
                         df ? "ws" : "os", c.rows, c.cols, (long long)g.m, (long long)g.n, (long long)g.k,
                         (long long)g.count, g.act_act ? " act-act" : "", c.double_buffer, map_orient_name(a.map.trans));
                assert_events_equal(&a.ev, &b.ev, what);
                assert_int_equal(a.tiles, b.tiles);
                assert_memory_equal(&a.map, &b.map, sizeof a.map);
                assert_memory_equal(a.res, b.res, sizeof a.res);
                assert_int_equal(a.stream, b.stream);
                if (f.trans >= 0)
                    assert_int_equal(a.map.trans, f.trans);
                ntrans[a.map.trans]++;
                assert_int_equal(a.ev.macs, g.m * g.n * g.k * (g.count > 1 ? g.count : 1));
                n++;
            }
    printf("# %ld GEMMs: fast == cycle (%ld did not fit the random buffers); %ld tokens on the rows, %ld channels\n",
           n, skipped, ntrans[0], ntrans[1]);
    assert_true(ntrans[0] > n / 5 && ntrans[1] > n / 5);
    assert_true(n >= 200 * 2 * PE_KIND_COUNT * 9 / 10);
}

/* MACs of one instance as the schedule runs them: the executed steps' blocks (independent of the
 * engines: map_next_step alone). */
static int64_t schedule_macs(const ArchConfig *c, const SimGemm *g, const Mapping *mp)
{
    MapProblem p;
    sim_map_problem(c, g, &p);
    int64_t it = 0, macs = 0, steps = 0;
    MapStep st;
    while (map_next_step(&p, mp, &it, &st)) {
        macs += st.mb * st.nb * st.kb;
        steps++;
    }
    assert_int_equal(steps, mp->steps);
    return macs;
}

/* fast == cycle, exactly, on attention GEMMs under the causal mask (keys on N: QK^T; keys on K:
 * PV; m <= keys, decode m = 1, sometimes m > keys), with on-chip X and Y, several instances (the
 * fast engine's periodic jump), both dataflows, double buffering on and off (tu_small_config), free or
 * small forced blockings (so that steps are skipped). */
static void causal_fast_equals_cycle(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("causal_fast_equals_cycle", 15));
    long n = 0, skipped = 0, masked = 0, kinds[3] = {0, 0, 0}, onchip[2] = {0, 0};
    for (int kind = 0; kind < PE_KIND_COUNT; kind++)
        for (int df = 0; df < 2; df++)
            for (int trial = 0; trial < 60; trial++) {
                ArchConfig c = tu_small_config((PeKindId)kind, df, &r);
                SimGemm g = {.act_act = trial % 6 != 5, .count = 1};
                g.causal = trial % 8 == 7 ? MAP_CAUSAL_NONE : 1 + (int)mp_rng_below(&r, 2);
                g.n = 1 + (int64_t)mp_rng_below(&r, 24);
                g.k = 1 + (int64_t)mp_rng_below(&r, g.causal == MAP_CAUSAL_K ? 48 : 24);
                const int64_t keys = g.causal == MAP_CAUSAL_K ? g.k : g.n;
                const int shape = (int)mp_rng_below(&r, 6);
                g.m = shape == 0 ? 1 : shape == 1 ? 1 + (int64_t)mp_rng_below(&r, 24)
                                                  : 1 + (int64_t)mp_rng_below(&r, (uint64_t)keys);
                if (trial % 3 == 0)
                    g.count = 2 + (int64_t)mp_rng_below(&r, 12);
                g.x_onchip = (int)mp_rng_below(&r, 3) == 0;
                g.y_onchip = (int)mp_rng_below(&r, 3) == 0;
                static const int stored[] = {0, 1 + OPF_FP32, 1 + OPF_FP16, 1 + OPF_INT8, 1 + OPF_INT4};
                c.kv_format = stored[mp_rng_below(&r, 5)];
                c.out_format = stored[mp_rng_below(&r, 5)];
                MapForce f = MAP_FORCE_NONE;
                f.trans = (int)mp_rng_below(&r, 3) - 1;
                if (mp_rng_below(&r, 2)) { /* small blocks: the mask skips steps */
                    f.bm = 1 + (int64_t)mp_rng_below(&r, 8);
                    f.bn = 1 + (int64_t)mp_rng_below(&r, 8);
                    if (g.act_act)
                        f.bk = 1 + (int64_t)mp_rng_below(&r, 16);
                    f.order = (int)mp_rng_below(&r, 2);
                }
                char what[240];
                snprintf(what, sizeof what, "%s %s %dx%d gemm %lldx%lldx%lld x%lld%s causal %d onchip x %d y %d db=%d",
                         pe_kind_names[kind], df ? "ws" : "os", c.rows, c.cols, (long long)g.m, (long long)g.n,
                         (long long)g.k, (long long)g.count, g.act_act ? " act-act" : "", g.causal, g.x_onchip,
                         g.y_onchip, c.double_buffer);
                SimResult a, b;
                MpErr e = {0}, e2 = {0};
                int ra = sim_gemm(&c, &g, FID_FAST, &f, NULL, &a, &e);
                int rb = sim_gemm(&c, &g, FID_CYCLE, &f, NULL, &b, &e2);
                if (ra != rb)
                    fail_msg("%s: fast status %d '%s', cycle %d '%s'", what, ra, e.msg, rb, e2.msg);
                if (ra == MP_EINPUT)
                    continue; /* nothing fits the random buffers (or the forced blocks) */
                if (ra)
                    fail_msg("%s: %s", what, e.msg);
                assert_events_equal(&a.ev, &b.ev, what);
                assert_int_equal(a.tiles, b.tiles);
                assert_memory_equal(&a.map, &b.map, sizeof a.map);
                assert_memory_equal(a.res, b.res, sizeof a.res);
                assert_int_equal(a.stream, b.stream);
                /* the MACs are the executed steps', every instance; an on-chip tensor moves no DRAM bit */
                const int64_t inst = g.count > 1 ? g.count : 1, full = g.m * g.n * g.k;
                const int64_t macs = schedule_macs(&c, &g, &a.map);
                assert_int_equal(a.ev.macs, inst * macs);
                assert_true(macs <= full);
                if (g.y_onchip)
                    assert_int_equal(a.ev.dram_write_bits, 0);
                if (g.x_onchip)
                    assert_int_equal(a.ev.dram_read_bits, inst * a.map.dram_w_bits);
                skipped += macs < full;
                masked += g.causal != MAP_CAUSAL_NONE;
                kinds[g.causal]++;
                onchip[0] += g.x_onchip;
                onchip[1] += g.y_onchip;
                n++;
            }
    printf("# %ld attention GEMMs: fast == cycle (%ld masked: N %ld, K %ld; %ld skip steps; on chip X %ld, Y %ld)\n",
           n, masked, kinds[1], kinds[2], skipped, onchip[0], onchip[1]);
    assert_true(n >= 60 * 2 * PE_KIND_COUNT / 2);
    assert_true(skipped > n / 5 && kinds[1] > n / 4 && kinds[2] > n / 4);
}

/* The fast engine's step-level periodic jumps (sim/engine.c, step_jump) counted on this thread. */
extern _Thread_local int64_t sim_fast_step_jumps;

/* Long schedules (large K and N against small buffers and small blocks: hundreds of steps), where
 * the fast engine jumps whole periods of steps: fast == cycle, exactly, plain and causal, with
 * instances, on-chip operands, both dataflows, double buffering on and off (tu_small_config). Most
 * GEMMs must take a jump. */
static void long_fast_equals_cycle(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("long_fast_equals_cycle", 19));
    long n = 0, jumped = 0, causal = 0, steps = 0, most = 0;
    for (int kind = 0; kind < PE_KIND_COUNT; kind++)
        for (int df = 0; df < 2; df++)
            for (int trial = 0; trial < 6; trial++) {
                ArchConfig c = tu_small_config((PeKindId)kind, df, &r);
                c.rows = 1 + (int)mp_rng_below(&r, 4);
                c.cols = 1 + (int)mp_rng_below(&r, 4);
                SimGemm g = {.m = 1 + (int64_t)mp_rng_below(&r, 20), .n = 32 + (int64_t)mp_rng_below(&r, 64),
                             .k = 64 + (int64_t)mp_rng_below(&r, 128), .act_act = trial % 3 == 2, .count = 1};
                if (g.act_act) {
                    g.causal = (int)mp_rng_below(&r, 3);
                    g.x_onchip = (int)mp_rng_below(&r, 3) == 0;
                    g.y_onchip = (int)mp_rng_below(&r, 3) == 0;
                }
                if (trial % 4 == 1)
                    g.count = 2 + (int64_t)mp_rng_below(&r, 3);
                MapForce f = MAP_FORCE_NONE;
                f.trans = (int)mp_rng_below(&r, 3) - 1;
                if (mp_rng_below(&r, 2)) { /* small blocks: many steps */
                    f.bm = 1 + (int64_t)mp_rng_below(&r, 8);
                    f.bn = 1 + (int64_t)mp_rng_below(&r, 16);
                    if (g.act_act)
                        f.bk = 1 + (int64_t)mp_rng_below(&r, 32);
                    f.order = (int)mp_rng_below(&r, 2);
                }
                char what[240];
                snprintf(what, sizeof what, "%s %s %dx%d gemm %lldx%lldx%lld x%lld%s causal %d onchip x %d y %d db=%d",
                         pe_kind_names[kind], df ? "ws" : "os", c.rows, c.cols, (long long)g.m, (long long)g.n,
                         (long long)g.k, (long long)g.count, g.act_act ? " act-act" : "", g.causal, g.x_onchip,
                         g.y_onchip, c.double_buffer);
                SimResult a, b;
                MpErr e = {0}, e2 = {0};
                const int64_t before = sim_fast_step_jumps;
                int ra = sim_gemm(&c, &g, FID_FAST, &f, NULL, &a, &e);
                const int64_t jumps = sim_fast_step_jumps - before;
                int rb = sim_gemm(&c, &g, FID_CYCLE, &f, NULL, &b, &e2);
                if (ra != rb)
                    fail_msg("%s: fast status %d '%s', cycle %d '%s'", what, ra, e.msg, rb, e2.msg);
                if (ra == MP_EINPUT)
                    continue; /* nothing fits the random buffers (or the forced blocks) */
                if (ra)
                    fail_msg("%s: %s", what, e.msg);
                assert_events_equal(&a.ev, &b.ev, what);
                assert_int_equal(a.tiles, b.tiles);
                assert_memory_equal(&a.map, &b.map, sizeof a.map);
                assert_memory_equal(a.res, b.res, sizeof a.res);
                assert_int_equal(a.stream, b.stream);
                jumped += jumps > 0;
                causal += g.causal != MAP_CAUSAL_NONE && jumps > 0;
                steps += (long)a.map.steps;
                most = a.map.steps > most ? (long)a.map.steps : most;
                n++;
            }
    printf("# %ld long GEMMs (%ld steps an instance on average, at most %ld): fast == cycle; %ld with step-level "
           "jumps (%ld causal)\n",
           n, n ? steps / n : 0, most, jumped, causal);
    assert_true(n >= 6 * 2 * PE_KIND_COUNT / 2);
    assert_true(jumped > n / 2 && causal > 0);
}

/* A causal prefill QK^T (64 queries against 64 keys) skips the blocks above the diagonal: fewer
 * DRAM bits and fewer cycles than without the mask, and at least half the MACs (the diagonal's
 * blocks run whole). Fast and cycle agree on both. */
static void causal_prefill_cheaper(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, 16);
    ArchConfig c = tu_small_config(PE_FP16, DATAFLOW_OS, &r);
    c.rows = c.cols = 8;
    c.sram_weight_kib = c.sram_act_kib = 4;
    c.sram_out_kib = 4; /* 64x64 fp32 scores need 16 KiB: the output is cut into blocks */
    c.sram_banks = 4;
    c.sram_port_bits = 256;
    c.double_buffer = 1;
    c.dram_bits_per_cycle = 64;
    c.dram_latency_cycles = 10;
    for (int df = 0; df < 2; df++) {
        c.dataflow = df;
        SimGemm plain = {.m = 64, .n = 64, .k = 64, .act_act = 1, .count = 1}, causal = plain;
        causal.causal = MAP_CAUSAL_N;
        SimResult a, b, cyc;
        MpErr e = {0};
        if (sim_gemm(&c, &plain, FID_FAST, NULL, NULL, &a, &e) || sim_gemm(&c, &causal, FID_FAST, NULL, NULL, &b, &e) ||
            sim_gemm(&c, &causal, FID_CYCLE, NULL, NULL, &cyc, &e))
            fail_msg("%s", e.msg);
        assert_events_equal(&b.ev, &cyc.ev, "causal prefill");
        printf("# causal prefill QK^T 64x64x64 (%s): %lld -> %lld DRAM bits, %lld -> %lld cycles, %lld -> %lld MACs\n",
               df ? "ws" : "os", (long long)(a.ev.dram_read_bits + a.ev.dram_write_bits),
               (long long)(b.ev.dram_read_bits + b.ev.dram_write_bits), (long long)a.ev.cycles, (long long)b.ev.cycles,
               (long long)a.ev.macs, (long long)b.ev.macs);
        assert_true(b.ev.dram_read_bits + b.ev.dram_write_bits < a.ev.dram_read_bits + a.ev.dram_write_bits);
        assert_true(b.ev.cycles < a.ev.cycles);
        assert_true(2 * b.ev.macs >= a.ev.macs && b.ev.macs < a.ev.macs);
    }
}

/* Decode (one query row) sees every key: under either mask the result is exactly the unmasked
 * one, at both fidelities. */
static void causal_decode_equals_plain(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("causal_decode_equals_plain", 17));
    long n = 0;
    for (int trial = 0; trial < 120; trial++) {
        ArchConfig c = tu_small_config((PeKindId)mp_rng_below(&r, PE_KIND_COUNT), (int)mp_rng_below(&r, 2), &r);
        SimGemm plain = {.m = 1, .n = 1 + (int64_t)mp_rng_below(&r, 40), .k = 1 + (int64_t)mp_rng_below(&r, 80),
                         .act_act = 1, .count = 1 + (int64_t)mp_rng_below(&r, 3)},
                masked = plain;
        masked.causal = 1 + (int)mp_rng_below(&r, 2);
        for (int fid = 0; fid < 2; fid++) {
            SimResult a, b;
            MpErr e = {0};
            int ra = sim_gemm(&c, &plain, (Fidelity)fid, NULL, NULL, &a, &e);
            assert_int_equal(sim_gemm(&c, &masked, (Fidelity)fid, NULL, NULL, &b, &e), ra);
            if (ra == MP_EINPUT)
                continue;
            assert_int_equal(ra, MP_OK);
            assert_memory_equal(&a.ev, &b.ev, sizeof a.ev);
            assert_memory_equal(&a.map, &b.map, sizeof a.map);
            assert_memory_equal(a.res, b.res, sizeof a.res);
            assert_int_equal(a.tiles, b.tiles);
            n++;
        }
    }
    printf("# %ld decode GEMMs: the causal mask changes nothing\n", n);
    assert_true(n >= 120);
}

/* On-chip operands under one mapping: y_onchip writes no DRAM bit; x_onchip reads W's bits only
 * (the unmasked W traffic, unchanged); the X blocks still enter the activation buffer, read out of
 * the output buffer. */
static void onchip_traffic(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("onchip_traffic", 18));
    long n = 0;
    for (int trial = 0; trial < 80; trial++) {
        ArchConfig c = tu_small_config((PeKindId)mp_rng_below(&r, PE_KIND_COUNT), (int)mp_rng_below(&r, 2), &r);
        SimGemm g = {.m = 1 + (int64_t)mp_rng_below(&r, 24), .n = 1 + (int64_t)mp_rng_below(&r, 24),
                     .k = 1 + (int64_t)mp_rng_below(&r, 64), .act_act = 1, .count = 1};
        g.causal = (int)mp_rng_below(&r, 3);
        SimResult a, bx, by;
        MpErr e = {0};
        int rc = sim_gemm(&c, &g, FID_FAST, NULL, NULL, &a, &e);
        if (rc == MP_EINPUT)
            continue;
        assert_int_equal(rc, MP_OK);
        SimGemm gx = g, gy = g;
        gx.x_onchip = 1;
        gy.y_onchip = 1;
        if (sim_gemm_mapped(&c, &gx, &a.map, FID_FAST, NULL, &bx, &e) ||
            sim_gemm_mapped(&c, &gy, &a.map, FID_FAST, NULL, &by, &e))
            fail_msg("%s", e.msg);
        assert_int_equal(by.ev.dram_write_bits, 0);
        assert_int_equal(by.ev.dram_read_bits, a.ev.dram_read_bits);
        assert_true(by.ev.sram_read_bits[BUF_Y] < a.ev.sram_read_bits[BUF_Y]); /* no store reads the buffer */
        assert_int_equal(bx.ev.dram_read_bits, a.map.dram_w_bits);
        assert_int_equal(bx.ev.dram_write_bits, a.ev.dram_write_bits);
        assert_int_equal(bx.ev.sram_write_bits[BUF_X], a.ev.sram_write_bits[BUF_X]);
        assert_true(bx.ev.sram_read_bits[BUF_Y] > a.ev.sram_read_bits[BUF_Y]);
        assert_true(bx.ev.cycles <= a.ev.cycles && by.ev.cycles <= a.ev.cycles);
        n++;
    }
    printf("# %ld GEMMs: on-chip X reads only W from DRAM, on-chip Y writes nothing\n", n);
    assert_true(n >= 40);
}

/* The array ticked tile by tile (sim/array.c) gives each phase exactly its closed form
 * (pe_tile_phases), in both orientations, first / later / last K blocks, both dataflows. */
static void tile_phases_equal(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("tile_phases_equal", 14));
    long n = 0;
    for (int kind = 0; kind < PE_KIND_COUNT; kind++)
        for (int df = 0; df < 2; df++)
            for (int trial = 0; trial < 60; trial++) {
                ArchConfig c = tu_small_config((PeKindId)kind, df, &r);
                const int act_act = trial % 5 == 0;
                const PeTiming pt = act_act ? pe_timing_act_act(&c) : pe_timing(&c);
                const int g = act_act ? 1 : pe_k_align(&c);
                Tile t;
                memset(&t, 0, sizeof t);
                t.trans = (int)mp_rng_below(&r, 2);
                const int er = t.trans ? c.cols : c.rows, ec = t.trans ? c.rows : c.cols; /* token / channel edge */
                t.tn = 1 + (int)mp_rng_below(&r, (uint64_t)ec);
                if (df == DATAFLOW_OS) {
                    t.tm = 1 + (int)mp_rng_below(&r, (uint64_t)er);
                    t.tk = 1 + (int)mp_rng_below(&r, 64);
                } else {
                    t.tm = 1 + (int)mp_rng_below(&r, 12);
                    t.tk = 1 + (int)mp_rng_below(&r, (uint64_t)er * pt.lanes);
                }
                t.k0 = (int64_t)g * mp_rng_below(&r, 3);
                t.first_k = t.k0 == 0 || mp_rng_below(&r, 2);
                t.last_k = (int)mp_rng_below(&r, 2);
                Array *a;
                MpErr e = {0};
                if (array_create(&c, &a, &e))
                    fail_msg("%s", e.msg);
                TilePhases got, want = pe_tile_phases(&c, &pt, &t);
                int64_t busy;
                if (array_run_tile(a, &pt, sim_datapath_kind(&c, act_act), &t, NULL, &got, &busy, &e))
                    fail_msg("%s", e.msg);
                array_destroy(a);
                if (memcmp(&got, &want, sizeof got) != 0)
                    fail_msg("%s %s %dx%d tile %dx%dx%d k0 %lld trans %d first %d last %d: array %lld/%lld/%lld, "
                             "closed form %lld/%lld/%lld",
                             pe_kind_names[kind], df ? "ws" : "os", c.rows, c.cols, t.tm, t.tn, t.tk, (long long)t.k0,
                             t.trans, t.first_k, t.last_k, (long long)got.load, (long long)got.run,
                             (long long)got.drain, (long long)want.load, (long long)want.run, (long long)want.drain);
                assert_int_equal(pe_tile_cycles(&c, &pt, &t), want.load + want.run + want.drain);
                n++;
            }
    printf("# %ld tiles: the ticked array's phases equal the closed form\n", n);
}

/* Cycle fidelity with data: every output equals the golden hardware-exact GEMM bit for bit. */
static void cycle_computes_golden(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("cycle_computes_golden", 12));
    long checked = 0;
    for (int kind = 0; kind < PE_KIND_COUNT; kind++)
        for (int df = 0; df < 2; df++)
            for (int trial = 0; trial < 12; trial++) {
                ArchConfig c = tu_small_config((PeKindId)kind, df, &r);
                int act_act = trial % 4 == 3; /* attention-like: both operands are activations */
                QParams wq, xq;
                sim_operand_params(&c, act_act, &wq, &xq);
                int M = 1 + (int)mp_rng_below(&r, 12), N = 1 + (int)mp_rng_below(&r, 12),
                    K = 1 + (int)mp_rng_below(&r, 80);
                float *w = tu_matrix(&r, N, K, act_act, 20), *x = tu_matrix(&r, M, K, 1, 20);
                QMat qw, qx;
                MpErr e = {0};
                if (quant_matrix(&wq, w, N, K, &qw, &e) || quant_matrix(&xq, x, M, K, &qx, &e))
                    fail_msg("%s", e.msg);
                float *y = calloc((size_t)M * N, sizeof *y), *yg = calloc((size_t)M * N, sizeof *yg);
                GoldenAcc *ps = calloc((size_t)M * N, sizeof *ps);
                ArrayData d = {&qw, &qx, ps, y};
                SimGemm g = {.m = M, .n = N, .k = K, .act_act = act_act, .count = trial % 3 == 0 ? 3 : 1}; /* instances recompute the same outputs */
                SimResult res;
                MapForce f = MAP_FORCE_NONE;
                f.trans = trial % 2; /* both orientations move the right data */
                int rc = sim_gemm(&c, &g, FID_CYCLE, &f, &d, &res, &e);
                if (rc == MP_OK) {
                    if (golden_gemm_hw(sim_datapath_kind(&c, act_act), &qw, &qx, yg, &e))
                        fail_msg("%s", e.msg);
                    for (int i = 0; i < M * N; i++)
                        if (memcmp(&y[i], &yg[i], sizeof *y) != 0)
                            fail_msg("%s %s: output %d: sim %a golden %a", pe_kind_names[kind], df ? "ws" : "os", i,
                                     (double)y[i], (double)yg[i]);
                    checked++;
                } else
                    assert_int_equal(rc, MP_EINPUT);
                free(y);
                free(yg);
                free(ps);
                free(w);
                free(x);
                quant_free(&qw);
                quant_free(&qx);
            }
    printf("# %ld cycle-fidelity GEMMs equal the golden GEMM bit for bit\n", checked);
    assert_true(checked >= 2 * PE_KIND_COUNT * 12 * 9 / 10);
}

/* First principles: a compute-bound GEMM on one tile takes the fill, K steps and drain the
 * docs state; a DRAM-bound one takes bytes / bandwidth. */
static void first_principles(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, 13);
    ArchConfig c = tu_small_config(PE_INT8, DATAFLOW_OS, &r);
    c.rows = c.cols = 8;
    c.sram_weight_kib = c.sram_act_kib = c.sram_out_kib = 1024;
    c.sram_banks = 8;
    c.sram_port_bits = 1024;
    c.double_buffer = 1;
    c.dram_bits_per_cycle = 1 << 16;
    c.dram_latency_cycles = 0;
    SimGemm g = {.m = 8, .n = 8, .k = 1000, .count = 1};
    SimResult res;
    MpErr e = {0};
    assert_int_equal(sim_gemm(&c, &g, FID_FAST, NULL, NULL, &res, &e), MP_OK);
    /* one 8x8 tile: skew 7 + 7, 1000 steps, latency 1, 8 rows drained one per cycle */
    assert_int_equal(res.ev.compute_cycles, 7 + 7 + 999 + 1 + 1 + 8);
    /* DRAM-bound: tiny array, huge K, narrow channel: cycles = transfers / bandwidth */
    c.rows = c.cols = 1;
    c.dram_bits_per_cycle = 8;
    c.double_buffer = 0;
    SimGemm g2 = {.m = 1, .n = 1, .k = 4096, .count = 1};
    assert_int_equal(sim_gemm(&c, &g2, FID_FAST, NULL, NULL, &res, &e), MP_OK);
    /* int8 weights; the int8 activation row and the int8 output each carry a 32-bit per-token scale */
    int64_t bits = 4096 * 8 + (4096 * 8 + 32) + (8 + 32);
    assert_int_equal(res.ev.dram_read_bits + res.ev.dram_write_bits, bits);
    assert_int_equal(res.ev.cycles, bits / 8 + res.ev.compute_cycles);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_principles),
        cmocka_unit_test(fast_equals_cycle),
        cmocka_unit_test(causal_fast_equals_cycle),
        cmocka_unit_test(long_fast_equals_cycle),
        cmocka_unit_test(causal_prefill_cheaper),
        cmocka_unit_test(causal_decode_equals_plain),
        cmocka_unit_test(onchip_traffic),
        cmocka_unit_test(tile_phases_equal),
        cmocka_unit_test(cycle_computes_golden),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
