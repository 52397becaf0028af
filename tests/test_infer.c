/* tests/test_infer.c — whole requests: the decode memo equals stepping every token in full; the
 * figures follow from the phases (TTFT, TPOT, tokens/s, J/token); the class split adds up; fused
 * attention keeps S off DRAM; the causal mask and the vector work are there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/infer.h"
#include "testutil.h"

static void load(const char *arch, const char *set, ArchConfig *c, TechTable *t)
{
    MpErr e = {0};
    if (point_load_arch(arch, set, c, t, &e) != MP_OK)
        fail_msg("%s: %s", arch, e.msg);
}

static void run(const ArchConfig *c, const TechTable *t, const char *model, int64_t p, int64_t g, int64_t b,
                int step_all, InferResult *r)
{
    InferReq q = {wl_model_find(model, NULL), p, g, b};
    InferOpts o;
    memset(&o, 0, sizeof o);
    o.run.fid = FID_FAST;
    o.step_all = step_all;
    MpErr e = {0};
    if (infer_run(c, t, &q, &o, r, &e) != MP_OK)
        fail_msg("%s on %s: %s", model, c->name, e.msg);
}

/* The memo (unchanged layers simulated once) against every decode step simulated in full: the same
 * events, cycles and energies, for several designs, models, batches and fused attention. */
static void memo_equals_step_all(void **state)
{
    (void)state;
    static const struct {
        const char *arch, *set, *model;
        int64_t p, g, b;
    } C[] = {
        {"iso/bitmod-w4", NULL, "llama2-7b", 256, 12, 1},
        {"iso/fp16", "attention.fused=true", "llama2-7b", 64, 9, 4},
        {"iso/mixpe-w4a8", NULL, "opt-1.3b", 100, 7, 2},
        {"iso/olive", NULL, "phi-2", 33, 5, 1},
        {"iso/int8", "attention.fused=true", "tiny", 16, 20, 3},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        ArchConfig c;
        TechTable t;
        load(C[i].arch, C[i].set, &c, &t);
        InferResult *a = malloc(sizeof *a), *b = malloc(sizeof *b);
        assert_non_null(a);
        assert_non_null(b);
        run(&c, &t, C[i].model, C[i].p, C[i].g, C[i].b, 0, a);
        run(&c, &t, C[i].model, C[i].p, C[i].g, C[i].b, 1, b);
        if (memcmp(&a->decode_ev, &b->decode_ev, sizeof a->decode_ev) != 0 || a->decode_cycles != b->decode_cycles ||
            a->last_step_cycles != b->last_step_cycles)
            fail_msg("%s %s: the memo's decode (%lld cycles) differs from stepping every token (%lld)", C[i].arch,
                     C[i].model, (long long)a->decode_cycles, (long long)b->decode_cycles);
        assert_true(memcmp(a->rows, b->rows, sizeof a->rows) == 0);
        assert_true(a->j_per_token == b->j_per_token && a->tpot_mean_s == b->tpot_mean_s);
        /* the memo did reuse: every weight GEMM and most vector rows after the first step */
        assert_true(a->memo_hits > 0);
        assert_true(b->memo_hits == 0 && b->memo_misses == 0);
        free(a);
        free(b);
    }
}

/* The quoted figures follow from the phases; the class split adds up to the whole. */
static void figures_follow(void **state)
{
    (void)state;
    ArchConfig c;
    TechTable t;
    load("iso/bitmod-w4", NULL, &c, &t);
    InferResult *r = malloc(sizeof *r);
    assert_non_null(r);
    run(&c, &t, "llama2-7b", 512, 16, 2, 0, r);
    const double hz = c.clock_mhz * 1e6;
    assert_true(r->ttft_s == (double)r->prefill_cycles / hz);
    assert_int_equal(r->steps, 15); /* the prefill yields token 1; 15 steps the other 15 */
    assert_true(r->tpot_mean_s == (double)r->decode_cycles / hz / 15);
    assert_true(r->tpot_last_s == (double)r->last_step_cycles / hz);
    assert_true(fabs(r->tokens_per_s - 32 / ((double)(r->prefill_cycles + r->decode_cycles) / hz)) < 1e-9);
    assert_true(fabs(r->j_per_token - r->total_energy.total * 1e-12 / 32) < 1e-15);
    /* the last step attends to the most positions: never faster than the mean */
    assert_true(r->tpot_last_s >= r->tpot_mean_s);
    for (int ph = 0; ph < 2; ph++) {
        int64_t cyc = 0;
        double pj = 0;
        for (int k = 0; k < IC_COUNT; k++)
            cyc += r->cls_cycles[ph][k];
        for (int k = 0; k < IE_COUNT; k++)
            pj += r->cls_pj[ph][k];
        assert_int_equal(cyc, ph ? r->decode_cycles : r->prefill_cycles);
        const double want = ph ? r->decode_energy.total : r->prefill_energy.total;
        assert_true(fabs(pj - want) <= 1e-9 * want);
        /* vector work and attention are there, in both phases */
        assert_true(r->cls_cycles[ph][IC_VECTOR] > 0 && r->cls_cycles[ph][IC_ATTN] > 0);
        assert_true(r->cls_pj[ph][IE_VECTOR] > 0 && r->cls_pj[ph][IE_ATTN] > 0);
    }
    int64_t rows = 0;
    for (int i = 0; i < r->nrow; i++)
        rows += r->rows[i].prefill_cycles + r->rows[i].decode_cycles;
    assert_int_equal(rows, r->prefill_cycles + r->decode_cycles);
    free(r);
}

/* Fused attention: the scores never reach DRAM (the softmax moves no DRAM bit, attn_qk stores
 * nothing), so the request moves fewer DRAM bits; an array too small for one tile falls back. */
static void fused_attention(void **state)
{
    (void)state;
    ArchConfig c, f;
    TechTable t;
    load("iso/fp16", NULL, &c, &t);
    load("iso/fp16", "attention.fused=true", &f, &t);
    Workload *w;
    MpErr e = {0};
    assert_int_equal(wl_create(wl_model_find("llama2-7b", NULL), WL_PREFILL, 512, 1, &w, &e), MP_OK);
    RunOpts o;
    memset(&o, 0, sizeof o);
    RunResult a, b;
    assert_int_equal(run_workload(&c, w, &o, &a, &e), MP_OK);
    assert_int_equal(run_workload(&f, w, &o, &b, &e), MP_OK);
    assert_false(a.fused);
    assert_true(b.fused);
    int64_t soft_dram = -1, qk_write = -1, pv_read_a = 0, pv_read_b = 0;
    for (int i = 0; i < b.nvec; i++)
        if (!strcmp(b.vec[i].v.name, "softmax"))
            soft_dram = b.vec[i].r.ev.dram_read_bits + b.vec[i].r.ev.dram_write_bits;
    for (int i = 0; i < b.nlayer; i++) {
        if (!strcmp(b.layer[i].g.name, "attn_qk"))
            qk_write = b.layer[i].all.ev.dram_write_bits;
        if (!strcmp(b.layer[i].g.name, "attn_pv")) {
            pv_read_b = b.layer[i].all.ev.dram_read_bits;
            pv_read_a = a.layer[i].all.ev.dram_read_bits;
        }
    }
    assert_int_equal(soft_dram, 0);
    assert_int_equal(qk_write, 0);
    assert_true(pv_read_b < pv_read_a);
    assert_true(b.total.dram_read_bits + b.total.dram_write_bits < a.total.dram_read_bits + a.total.dram_write_bits);
    run_free(&a);
    run_free(&b);
    /* tiny buffers: one query tile x key tile does not fit, attention runs unfused with a note */
    ArchConfig s;
    load("iso/fp16", "attention.fused=true,sram.weight_kib=1,sram.act_kib=1,sram.out_kib=1", &s, &t);
    Workload *tw;
    assert_int_equal(wl_create(wl_model_find("tiny", NULL), WL_DECODE, 64, 1, &tw, &e), MP_OK);
    if (run_workload(&s, tw, &o, &a, &e) == MP_OK) {
        assert_false(a.fused);
        assert_non_null(strstr(a.note, "attention runs unfused"));
        run_free(&a);
    }
    wl_destroy(tw);
    wl_destroy(w);
}

/* Prefill's causal mask: attention computes about half of QK^T and PV (whole diagonal blocks). */
static void causal_prefill(void **state)
{
    (void)state;
    ArchConfig c;
    TechTable t;
    load("iso/fp16", NULL, &c, &t);
    Workload *w;
    MpErr e = {0};
    assert_int_equal(wl_create(wl_model_find("llama2-7b", NULL), WL_PREFILL, 2048, 1, &w, &e), MP_OK);
    RunOpts o;
    memset(&o, 0, sizeof o);
    RunResult r;
    assert_int_equal(run_workload(&c, w, &o, &r, &e), MP_OK);
    for (int i = 0; i < r.nlayer; i++) {
        const RunLayer *L = &r.layer[i];
        if (L->g.role != WL_ACT_ACT)
            continue;
        const double frac = (double)L->all.ev.macs / (double)wl_gemm_macs(&L->g);
        if (!(frac >= 0.5 && frac < 0.75))
            fail_msg("%s computes %.3f of the full product; the causal half (and its diagonal blocks) expected",
                     L->g.name, frac);
    }
    run_free(&r);
    wl_destroy(w);
}

/* The steps attend to P+1 .. P+G-1 positions: the decode total is the sum of `mpsim run --phase
 * decode --kv L` over those L, and --gen 1 has no step. */
static void steps_are_decode_runs(void **state)
{
    (void)state;
    ArchConfig c;
    TechTable t;
    load("iso/mixpe-w4a8", NULL, &c, &t);
    InferResult *r = malloc(sizeof *r);
    assert_non_null(r);
    run(&c, &t, "tiny", 20, 4, 2, 0, r);
    int64_t want = 0, last = 0;
    for (int64_t kv = 21; kv <= 23; kv++) {
        Workload *w;
        MpErr e = {0};
        assert_int_equal(wl_create(wl_model_find("tiny", NULL), WL_DECODE, kv, 2, &w, &e), MP_OK);
        RunOpts o;
        memset(&o, 0, sizeof o);
        RunResult rr;
        assert_int_equal(run_workload(&c, w, &o, &rr, &e), MP_OK);
        want += rr.total.cycles;
        last = rr.total.cycles;
        run_free(&rr);
        wl_destroy(w);
    }
    assert_int_equal(r->decode_cycles, want);
    assert_int_equal(r->last_step_cycles, last);
    run(&c, &t, "tiny", 20, 1, 1, 0, r);
    assert_int_equal(r->steps, 0);
    assert_int_equal(r->decode_cycles, 0);
    assert_true(r->tpot_mean_s == 0 && r->tokens_per_s > 0);
    free(r);
}

/* Bad requests are refused with MP_EINPUT. */
static void bad_requests(void **state)
{
    (void)state;
    ArchConfig c;
    TechTable t;
    load("iso/fp16", NULL, &c, &t);
    static const int64_t bad[][3] = {{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {WL_LEN_MAX, 2, 1}, {-3, 1, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        InferReq q = {wl_model_find("tiny", NULL), bad[i][0], bad[i][1], bad[i][2]};
        InferOpts o;
        memset(&o, 0, sizeof o);
        InferResult *r = malloc(sizeof *r);
        MpErr e = {0};
        assert_int_equal(infer_run(&c, &t, &q, &o, r, &e), MP_EINPUT);
        free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memo_equals_step_all), cmocka_unit_test(figures_follow), cmocka_unit_test(fused_attention),
        cmocka_unit_test(causal_prefill),       cmocka_unit_test(steps_are_decode_runs),
        cmocka_unit_test(bad_requests),
    };
    return cmocka_run_group_tests_name("infer", tests, NULL, NULL);
}
