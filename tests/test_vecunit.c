/* tests/test_vecunit.c — the vector unit: fast fidelity equals cycle fidelity (cycles, every event,
 * the resources) on randomized jobs and configs; the closed forms against first principles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/opfmt.h"
#include "sim/vecunit.h"
#include "testutil.h"

static ArchConfig defaults(void)
{
    ArchConfig c;
    MpErr e = {0};
    if (ini_schema_defaults(arch_schema, arch_schema_len, &c, &e))
        fail_msg("%s", e.msg);
    c.pe_kind = 0;
    c.rows = c.cols = 4;
    return c;
}

static void assert_same(const SimResult *a, const SimResult *b, const char *what)
{
    if (memcmp(&a->ev, &b->ev, sizeof a->ev) != 0 || memcmp(a->res, b->res, sizeof a->res) != 0)
        fail_msg("%s: fast and cycle differ: cycles %lld vs %lld, busy %lld vs %lld, dram rd %lld vs %lld wr %lld vs %lld",
                 what, (long long)a->ev.cycles, (long long)b->ev.cycles, (long long)a->ev.vec_busy,
                 (long long)b->ev.vec_busy, (long long)a->ev.dram_read_bits, (long long)b->ev.dram_read_bits,
                 (long long)a->ev.dram_write_bits, (long long)b->ev.dram_write_bits);
}

/* 600 random jobs: every kernel, causal and not, fused scores, key blocks, random lanes, buffers,
 * latencies, DRAM and operand formats, double buffering on and off: fast == cycle exactly. */
static void fast_equals_cycle(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("vecunit fast_equals_cycle", 20261207));
    static const char *const outs[] = {"fp16", "int8", "fp32", "int4"};
    for (int trial = 0; trial < 600; trial++) {
        ArchConfig c = defaults();
        c.vec_lanes = 1 + (int)mp_rng_below(&r, 40);
        c.vec_buf_kib = 1 + (int)mp_rng_below(&r, 4);
        for (int k = 0; k < VC_COUNT; k++) {
            c.vec_ii[k] = 1 + (int)mp_rng_below(&r, 3);
            c.vec_lat[k] = (int)mp_rng_below(&r, 15);
        }
        c.double_buffer = (int)mp_rng_below(&r, 2);
        c.dram_bits_per_cycle = 8 << mp_rng_below(&r, 7);
        c.dram_latency_cycles = (int)mp_rng_below(&r, 30);
        OpFmtId f;
        if (opfmt_from_name(outs[mp_rng_below(&r, 4)], &f) != 0)
            fail_msg("no such format");
        c.out_format = 1 + (int)f; /* the checks that refuse kinds' combinations do not matter here */
        c.kv_format = 1 + (int)f;
        VecRow v;
        memset(&v, 0, sizeof v);
        v.kind = (int)mp_rng_below(&r, VK_COUNT);
        v.rows = 1 + (int64_t)mp_rng_below(&r, 40);
        v.width = (trial % 5 == 0 ? 1000 : 1) + (int64_t)mp_rng_below(&r, 300);
        v.count = 1 + (int64_t)mp_rng_below(&r, trial % 7 == 0 ? 60 : 4);
        v.serial = trial % 3 == 0 ? v.count : 1; /* per-layer parts, or one run */
        v.causal = (int)mp_rng_below(&r, 2);
        if (v.causal && v.width < v.rows)
            v.width = v.rows + (int64_t)mp_rng_below(&r, 8);
        v.on_kv = (int)mp_rng_below(&r, 2);
        VecJob j;
        vu_job(&c, &v, (int)mp_rng_below(&r, 2), 1 + (int64_t)mp_rng_below(&r, 3),
               trial % 4 == 0 ? 1 + (int64_t)mp_rng_below(&r, (uint64_t)v.width) : 0, &j);
        SimResult fast, cyc;
        MpErr e = {0};
        assert_int_equal(vu_run(&c, &j, FID_FAST, &fast, &e), MP_OK);
        assert_int_equal(vu_run(&c, &j, FID_CYCLE, &cyc, &e), MP_OK);
        char what[160];
        snprintf(what, sizeof what, "trial %d: %s %lldx%lld x%lld/%lld causal %d lanes %d buf %d db %d", trial,
                 vec_kinds[v.kind].name, (long long)v.rows, (long long)v.width, (long long)v.count,
                 (long long)v.serial, v.causal, c.vec_lanes, c.vec_buf_kib, c.double_buffer);
        assert_same(&fast, &cyc, what);
        assert_true(fast.ev.cycles >= fast.ev.vec_busy && fast.ev.pe_total == fast.ev.cycles * c.rows * c.cols);
        /* the unit streams over every channel: 4 channels of a quarter the width are the same memory */
        if (c.dram_bits_per_cycle >= 32) {
            ArchConfig c4 = c;
            c4.dram_channels = 4;
            c4.dram_bits_per_cycle = c.dram_bits_per_cycle / 4;
            SimResult f4, y4;
            assert_int_equal(vu_run(&c4, &j, FID_FAST, &f4, &e), MP_OK);
            assert_int_equal(vu_run(&c4, &j, FID_CYCLE, &y4, &e), MP_OK);
            assert_same(&f4, &fast, what);
            assert_same(&y4, &cyc, what);
        }
    }
}

/* Many identical chunks: the fast path jumps periods; the cycle path ticks them all. */
static void long_jobs_jump(void **state)
{
    (void)state;
    ArchConfig c = defaults();
    c.vec_buf_kib = 1;
    c.dram_latency_cycles = 7;
    c.dram_bits_per_cycle = 64;
    VecRow v = {.kind = VK_SOFTMAX, .rows = 33, .width = 70, .count = 50, .causal = 1};
    strcpy(v.name, "softmax");
    for (int db = 0; db < 2; db++) {
        c.double_buffer = db;
        VecJob j;
        vu_job(&c, &v, 0, 1, 0, &j);
        SimResult fast, cyc;
        MpErr e = {0};
        assert_int_equal(vu_run(&c, &j, FID_FAST, &fast, &e), MP_OK);
        assert_int_equal(vu_run(&c, &j, FID_CYCLE, &cyc, &e), MP_OK);
        assert_same(&fast, &cyc, db ? "long causal softmax, double-buffered" : "long causal softmax, sequential");
    }
}

/* First principles: one RMSNorm row of 64 fp16 elements on 16 lanes, DRAM fast and free of
 * latency: 3 fma + 1 reduce per element -> 4 x ceil(64/16) = 16 issue cycles; per row 1 fma +
 * 1 rcp = 2 (one row: one lane group); one sync = log2(16) x 11 + 11 = 55; depth 11 (fma, rcp, reduce): 16 + 2 + 55 + 11 = 84
 * compute cycles, plus one cycle to load (64 x 16 bits on a 4096-bit channel) and one to store. */
static void first_principles(void **state)
{
    (void)state;
    ArchConfig c = defaults();
    c.dram_latency_cycles = 0;
    c.dram_bits_per_cycle = 4096;
    OpFmtId f;
    assert_int_equal(opfmt_from_name("fp16", &f), 0);
    c.out_format = 1 + (int)f;
    VecRow v = {.kind = VK_RMSNORM, .rows = 1, .width = 64, .count = 1};
    VecJob j;
    vu_job(&c, &v, 0, 1, 0, &j);
    assert_int_equal(vu_sync_cycles(&c), 4 * 11 + 11);
    SimResult r;
    MpErr e = {0};
    assert_int_equal(vu_run(&c, &j, FID_FAST, &r, &e), MP_OK);
    assert_int_equal(r.ev.vec_busy, 16 + 2 + 55 + 11);
    assert_int_equal(r.ev.cycles, 1 + 84 + 1);
    assert_int_equal(r.ev.vec_ops[VC_FMA], 3 * 64 + 1);
    assert_int_equal(r.ev.vec_ops[VC_REDUCE], 64);
    assert_int_equal(r.ev.vec_ops[VC_RCP], 1);
    assert_int_equal(r.ev.dram_read_bits, 64 * 16);
    assert_int_equal(r.ev.dram_write_bits, 64 * 16);
    /* a causal softmax of 4 query rows over 4 keys holds 1 + 2 + 3 + 4 elements */
    VecRow s = {.kind = VK_SOFTMAX, .rows = 4, .width = 4, .count = 1, .causal = 1};
    assert_int_equal(wl_vec_elems(&s), 10);
    vu_job(&c, &s, 0, 1, 0, &j);
    assert_int_equal(vu_run(&c, &j, FID_FAST, &r, &e), MP_OK);
    assert_int_equal(r.ev.vec_ops[VC_EXP], 10);
    /* per-layer parts: 32 layers of one row each cost 32 x one row's job, fill and drain each time */
    VecRow n1 = {.kind = VK_RMSNORM, .rows = 1, .width = 64, .count = 1, .serial = 1};
    VecRow n32 = {.kind = VK_RMSNORM, .rows = 1, .width = 64, .count = 32, .serial = 32};
    SimResult one;
    vu_job(&c, &n1, 0, 1, 0, &j);
    assert_int_equal(vu_run(&c, &j, FID_FAST, &one, &e), MP_OK);
    vu_job(&c, &n32, 0, 1, 0, &j);
    assert_int_equal(vu_run(&c, &j, FID_FAST, &r, &e), MP_OK);
    assert_int_equal(r.ev.cycles, 32 * one.ev.cycles);
    assert_int_equal(r.ev.dram_read_bits, 32 * one.ev.dram_read_bits);
    /* a row larger than half the buffer (1 KiB: 512 B halves) reads its inputs once per pass */
    c.vec_buf_kib = 1;
    VecRow big = {.kind = VK_RMSNORM, .rows = 1, .width = 4096, .count = 1, .serial = 1};
    vu_job(&c, &big, 0, 1, 0, &j);
    assert_int_equal(vu_run(&c, &j, FID_FAST, &r, &e), MP_OK);
    assert_int_equal(r.ev.dram_read_bits, 2 * 4096 * 16); /* rmsnorm: 2 passes */
    assert_int_equal(r.ev.dram_write_bits, 4096 * 16);
    c.vec_buf_kib = 64;
    /* fused: the scores never touch DRAM */
    vu_job(&c, &s, 1, 1, 0, &j);
    assert_int_equal(vu_run(&c, &j, FID_FAST, &r, &e), MP_OK);
    assert_int_equal(r.ev.dram_read_bits + r.ev.dram_write_bits, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_principles),
        cmocka_unit_test(fast_equals_cycle),
        cmocka_unit_test(long_jobs_jump),
    };
    return cmocka_run_group_tests_name("vecunit", tests, NULL, NULL);
}
