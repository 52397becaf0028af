/* tests/test_workload.c — the built-in model library and its expansion into GEMMs.
 * Oracles: the published parameter counts of each model (Hugging Face checkpoints), minus the
 * parameters that are not GEMM weights; closed forms for MACs; hand-written tiny-model shapes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "base/alloc.h"
#include "traces/workload.h"

static const Gemm *find_gemm(const Workload *w, const char *name)
{
    for (int i = 0; i < w->ngemm; i++)
        if (strcmp(w->gemms[i].name, name) == 0)
            return &w->gemms[i];
    return NULL;
}

static Workload *make(const char *model, WlPhase phase, int64_t len, int64_t batch)
{
    MpErr e = {0};
    const WlModel *m = wl_model_find(model, &e);
    assert_non_null(m);
    Workload *w = NULL;
    int rc = wl_create(m, phase, len, batch, &w, &e);
    if (rc)
        fail_msg("%s: %s", model, e.msg);
    assert_non_null(w);
    return w;
}

/* Published total parameters, and what in them is not a GEMM weight:
 *   embed: the input token embedding when it is a separate matrix (OPT ties it to lm_head, so
 *          there the one matrix is counted once, as lm_head);
 *   pos:   learned positional embeddings (OPT: 2048 + 2 positions);
 *   norm:  RMSNorm/LayerNorm weights and LayerNorm biases;
 *   bias:  linear-layer biases (OPT: q,k,v,o,fc1,fc2; Phi-2: the same plus lm_head's). */
typedef struct Published {
    const char *name;
    int64_t total;
    int64_t embed, pos, norm, bias;
} Published;

#define RMS(L, h) ((int64_t)(2 * (L) + 1) * (h))          /* two per block + final      */
#define LN(L, h) ((int64_t)(2 * (L) + 1) * 2 * (h))       /* weight and bias            */
#define OPT_BIAS(L, h, f) ((int64_t)(L) * (5 * (h) + (f))) /* q,k,v,o,fc2: h; fc1: f    */

static const Published published[] = {
    {"llama2-7b", 6738415616LL, 32000LL * 4096, 0, RMS(32, 4096), 0},
    {"llama2-13b", 13015864320LL, 32000LL * 5120, 0, RMS(40, 5120), 0},
    {"llama2-70b", 68976648192LL, 32000LL * 8192, 0, RMS(80, 8192), 0},
    {"llama3-8b", 8030261248LL, 128256LL * 4096, 0, RMS(32, 4096), 0},
    {"llama3-70b", 70553706496LL, 128256LL * 8192, 0, RMS(80, 8192), 0},
    {"mistral-7b", 7241732096LL, 32000LL * 4096, 0, RMS(32, 4096), 0},
    /* SmolLM2-135M: the elements of the shipped GGUF's 272 tensors (tied embeddings: one matrix) */
    {"smollm2-135m", 134515008LL, 0, 0, RMS(30, 576), 0},
    {"yi-6b", 6061035520LL, 64000LL * 4096, 0, RMS(32, 4096), 0},
    {"opt-1.3b", 1315758080LL, 0, 2050LL * 2048, LN(24, 2048), OPT_BIAS(24, 2048, 8192)},
    {"opt-6.7b", 6658473984LL, 0, 2050LL * 4096, LN(32, 4096), OPT_BIAS(32, 4096, 16384)},
    /* Phi-2: one LayerNorm per block (attention and MLP in parallel) + final; lm_head has a bias */
    {"phi-2", 2779683840LL, 51200LL * 2560, 0, (32 + 1) * 2 * 2560LL, 32 * (5 * 2560LL + 10240) + 51200},
};

/* Every model's weight parameters match its published count (minus non-GEMM parameters) within 1%. */
static void totals_match_published_counts(void **state)
{
    (void)state;
    int checked = 0;
    for (size_t i = 0; i < sizeof published / sizeof published[0]; i++) {
        const Published *p = &published[i];
        int64_t expect = p->total - p->embed - p->pos - p->norm - p->bias;
        Workload *w = make(p->name, WL_DECODE, 1, 1);
        double rel = (double)(w->weight_params - expect) / (double)expect;
        if (rel > 0.01 || rel < -0.01)
            fail_msg("%s: weight_params %lld vs published-derived %lld (%.3f%%)", p->name,
                     (long long)w->weight_params, (long long)expect, rel * 100);
        /* the same for every phase, length and batch */
        Workload *w2 = make(p->name, WL_PREFILL, 333, 3);
        assert_true(w2->weight_params == w->weight_params);
        wl_destroy(w2);
        wl_destroy(w);
        checked++;
    }
    /* every real model of the table was checked (tiny is ours) */
    assert_int_equal(checked, wl_model_count - 1);
}

/* The brief's anchor: q,k,v,o,gate,up,down for 32 layers plus lm_head = 6,607,077,376. */
static void llama2_7b_exact(void **state)
{
    (void)state;
    Workload *w = make("llama2-7b", WL_PREFILL, 2048, 1);
    assert_true(w->weight_params == 6607077376LL);
    /* 2048 tokens through every weight but lm_head, which runs on the last position only (32000 x
     * 4096 parameters), plus 2 attention matmuls × 32 layers × 32 heads × 2048² × 128 (the causal
     * mask is the engine's: the workload states the whole product) */
    const int64_t lm = 32000LL * 4096;
    assert_true(w->macs == 2048LL * (6607077376LL - lm) + lm + 2LL * 32 * 32 * 2048 * 2048 * 128);
    assert_int_equal(w->ngemm, 10);
    assert_true(w->runs == 7 * 32 + 2 * 1024 + 1);
    wl_destroy(w);
}

/* Every GEMM of the tiny model, prefill seq 16 batch 3, written out by hand. */
static void tiny_shapes(void **state)
{
    (void)state;
    static const Gemm want[] = {
        /* name, m, n, k, count, serial (the layers), role, causal, y_to (the outputs' consumer), x_from */
        {"q_proj", 48, 256, 256, 2, 2, WL_WEIGHT_ACT, 0, WL_Y_NEXT, WL_X_ACT},
        {"k_proj", 48, 128, 256, 2, 2, WL_WEIGHT_ACT, 0, WL_Y_KV, WL_X_ACT},
        {"v_proj", 48, 128, 256, 2, 2, WL_WEIGHT_ACT, 0, WL_Y_KV, WL_X_ACT},
        {"attn_qk", 16, 16, 64, 2 * 3 * 4, 2, WL_ACT_ACT, WL_CAUSAL_N, WL_Y_SCORE, WL_X_ACT},
        {"attn_pv", 16, 64, 16, 2 * 3 * 4, 2, WL_ACT_ACT, WL_CAUSAL_K, WL_Y_NEXT, WL_X_PROB},
        {"o_proj", 48, 256, 256, 2, 2, WL_WEIGHT_ACT, 0, WL_Y_RESID, WL_X_ACT},
        {"gate_proj", 48, 512, 256, 2, 2, WL_WEIGHT_ACT, 0, WL_Y_NEXT, WL_X_ACT},
        {"up_proj", 48, 512, 256, 2, 2, WL_WEIGHT_ACT, 0, WL_Y_NEXT, WL_X_ACT},
        {"down_proj", 48, 256, 512, 2, 2, WL_WEIGHT_ACT, 0, WL_Y_RESID, WL_X_ACT},
        {"lm_head", 3, 1000, 256, 1, 1, WL_WEIGHT_ACT, 0, WL_Y_NEXT, WL_X_ACT}, /* the last position of each of the 3 sequences */
    };
    Workload *w = make("tiny", WL_PREFILL, 16, 3);
    assert_string_equal(w->model, "tiny");
    assert_int_equal(w->phase, WL_PREFILL);
    assert_true(w->seq == 16 && w->kv == 0 && w->batch == 3);
    assert_int_equal(w->ngemm, 10);
    for (int i = 0; i < 10; i++) {
        const Gemm *g = &w->gemms[i];
        assert_string_equal(g->name, want[i].name);
        assert_true(g->m == want[i].m && g->n == want[i].n && g->k == want[i].k && g->count == want[i].count);
        assert_int_equal(g->serial, want[i].serial);
        assert_int_equal(g->role, want[i].role);
        assert_int_equal(g->causal, want[i].causal);
        assert_int_equal(g->y_to, want[i].y_to);
        assert_int_equal(g->x_from, want[i].x_from);
    }
    wl_destroy(w);
}

/* The vector rows of a decoder layer, per architecture, in execution order (after = GEMM rows
 * before them): Llama-like (RMSNorm, RoPE on Q and K, causal softmax, SwiGLU, two residual adds),
 * OPT (learned positions once, LayerNorm, ReLU), Phi-2 (one LayerNorm, partial RoPE, GELU, the
 * parallel block's three-way add). */
static void vector_rows(void **state)
{
    (void)state;
    typedef struct {
        const char *name;
        int kind, after;
        int64_t rows, width, count;
    } Want;
    /* tiny prefill seq 16 batch 3: T = 48 tokens, 4 heads of 64, 2 KV heads, ffn 512, 2 layers */
    static const Want tiny[] = {
        {"attn_norm", VK_RMSNORM, 0, 48, 256, 2},  {"rope_q", VK_ROPE, 3, 48 * 4, 64, 2},
        {"rope_k", VK_ROPE, 3, 48 * 2, 64, 2},     {"softmax", VK_SOFTMAX, 4, 16, 16, 2 * 3 * 4},
        {"attn_add", VK_ADD, 6, 48, 256, 2},       {"mlp_norm", VK_RMSNORM, 6, 48, 256, 2},
        {"act", VK_SILU_MUL, 8, 48, 512, 2},       {"mlp_add", VK_ADD, 9, 48, 256, 2},
        {"final_norm", VK_RMSNORM, 9, 3, 256, 1},
    };
    Workload *w = make("tiny", WL_PREFILL, 16, 3);
    assert_int_equal(w->nvec, (int)(sizeof tiny / sizeof tiny[0]));
    for (int i = 0; i < w->nvec; i++) {
        const VecRow *v = &w->vecs[i];
        assert_string_equal(v->name, tiny[i].name);
        assert_int_equal(v->kind, tiny[i].kind);
        assert_int_equal(v->after, tiny[i].after);
        assert_true(v->rows == tiny[i].rows && v->width == tiny[i].width && v->count == tiny[i].count);
        assert_int_equal(v->causal, !strcmp(v->name, "softmax"));
        assert_int_equal(v->on_kv, !strcmp(v->name, "rope_k"));
    }
    wl_destroy(w);
    /* decode: nothing causal; softmax over all kv positions */
    w = make("tiny", WL_DECODE, 100, 2);
    for (int i = 0; i < w->nvec; i++)
        assert_int_equal(w->vecs[i].causal, 0);
    assert_int_equal(w->vecs[3].width, 100);
    wl_destroy(w);
    /* OPT: positions added once, LayerNorm, ReLU, no RoPE */
    w = make("opt-1.3b", WL_DECODE, 10, 1);
    assert_string_equal(w->vecs[0].name, "pos_add");
    assert_int_equal(w->vecs[0].count, 1);
    for (int i = 0; i < w->nvec; i++) {
        assert_true(w->vecs[i].kind != VK_ROPE && w->vecs[i].kind != VK_RMSNORM);
        if (!strcmp(w->vecs[i].name, "act"))
            assert_int_equal(w->vecs[i].kind, VK_RELU);
    }
    wl_destroy(w);
    /* Phi-2: one norm per layer, RoPE on 32 of 80 features, GELU, one three-way add */
    w = make("phi-2", WL_DECODE, 10, 1);
    int norms = 0, add3 = 0;
    for (int i = 0; i < w->nvec; i++) {
        const VecRow *v = &w->vecs[i];
        norms += v->kind == VK_LAYERNORM && v->count == 32;
        add3 += v->kind == VK_ADD3;
        assert_true(v->kind != VK_ADD);
        if (v->kind == VK_ROPE)
            assert_int_equal(v->width, 32);
        if (!strcmp(v->name, "act"))
            assert_int_equal(v->kind, VK_GELU);
    }
    assert_int_equal(norms, 1);
    assert_int_equal(add3, 1);
    wl_destroy(w);
    /* the causal triangle: 16 query rows over 16 keys hold 16 * 17 / 2 scores each */
    w = make("tiny", WL_PREFILL, 16, 1);
    assert_int_equal(wl_vec_elems(&w->vecs[3]), 16 * 17 / 2);
    wl_destroy(w);
}

/* Prefill vs decode: M is batch*seq vs batch; attention per head is seq×seq vs 1×kv; MACs follow
 * the closed form tokens·weight_params + 2·layers·batch·heads·(rows·kv·head_dim), for every model. */
static void phase_shapes_and_macs(void **state)
{
    (void)state;
    for (int i = 0; i < wl_model_count; i++) {
        const WlModel *m = &wl_models[i];
        const int64_t seq = 100, kv = 777, batch = 5, attn = (int64_t)m->layers * batch * m->heads;
        Workload *p = make(m->name, WL_PREFILL, seq, batch), *d = make(m->name, WL_DECODE, kv, batch);
        assert_true(d->kv == kv && d->seq == 0 && p->seq == seq && p->kv == 0);
        for (int j = 0; j < p->ngemm; j++) {
            const Gemm *gp = &p->gemms[j], *gd = &d->gemms[j];
            assert_string_equal(gp->name, gd->name);
            assert_true(gp->role == gd->role);
            if (gp->role == WL_WEIGHT_ACT) {
                assert_true(gp->count == gd->count);
                /* lm_head: the last position of each sequence in prefill */
                assert_true(gp->m == (strcmp(gp->name, "lm_head") ? batch * seq : batch) && gd->m == batch);
                assert_true(gp->n == gd->n && gp->k == gd->k);
                assert_true(gp->count == (strcmp(gp->name, "lm_head") ? m->layers : 1));
                /* a weight row's instances are its layers: all dependent */
                assert_true(gp->serial == gp->count && gd->serial == gd->count);
            } else {
                /* prefill: per query head; decode: per KV head, the group's query rows stacked */
                assert_true(gp->count == attn && gd->count == attn / (m->heads / m->kv_heads));
                /* the layers depend on each other; batch x heads of each do not */
                assert_true(gp->serial == m->layers && gd->serial == m->layers);
            }
        }
        const Gemm *qp = find_gemm(p, "attn_qk"), *vp = find_gemm(p, "attn_pv");
        const Gemm *qd = find_gemm(d, "attn_qk"), *vd = find_gemm(d, "attn_pv");
        assert_true(qp->m == seq && qp->n == seq && qp->k == m->head_dim);
        assert_true(vp->m == seq && vp->n == m->head_dim && vp->k == seq);
        const int64_t group = m->heads / m->kv_heads;
        assert_true(qd->m == group && qd->n == kv && qd->k == m->head_dim);
        assert_true(vd->m == group && vd->n == m->head_dim && vd->k == kv);
        const int64_t lm = (int64_t)m->vocab * m->hidden; /* prefill: lm_head on the last positions */
        assert_true(p->macs == batch * seq * (p->weight_params - lm) + batch * lm + 2 * attn * seq * seq * m->head_dim);
        assert_true(d->macs == batch * d->weight_params + 2 * attn * kv * m->head_dim);
        assert_non_null(find_gemm(p, m->ffn_kind == WL_FFN_GATED ? "gate_proj" : "fc1"));
        assert_null(find_gemm(p, m->ffn_kind == WL_FFN_GATED ? "fc1" : "gate_proj"));
        wl_destroy(p);
        wl_destroy(d);
    }
}

/* GQA: K and V projections are kv_heads*head_dim wide. In decode each KV head's group of query heads
 * is one matmul (the KV cache read once per KV head); the MACs are those of every query head. */
static void gqa_shapes(void **state)
{
    (void)state;
    static const struct { const char *name; int64_t q_n, kv_n, heads, kv_heads; } cases[] = {
        {"llama2-70b", 8192, 1024, 64, 8}, {"llama3-8b", 4096, 1024, 32, 8}, {"yi-6b", 4096, 512, 32, 4},
        {"mistral-7b", 4096, 1024, 32, 8}, {"llama2-7b", 4096, 4096, 32, 32}, {"tiny", 256, 128, 4, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Workload *w = make(cases[i].name, WL_DECODE, 64, 2);
        assert_true(find_gemm(w, "q_proj")->n == cases[i].q_n);
        assert_true(find_gemm(w, "k_proj")->n == cases[i].kv_n);
        assert_true(find_gemm(w, "v_proj")->n == cases[i].kv_n);
        assert_true(find_gemm(w, "o_proj")->k == cases[i].q_n);
        const Gemm *qk = find_gemm(w, "attn_qk");
        assert_true(qk->count == wl_model_find(cases[i].name, NULL)->layers * 2 * cases[i].kv_heads);
        assert_true(qk->m == cases[i].heads / cases[i].kv_heads);
        wl_destroy(w);
    }
}

/* Bad arguments: MP_EINPUT with a message, *out NULL, no leak. */
static void bad_arguments(void **state)
{
    (void)state;
    const WlModel *m = wl_model_find("tiny", NULL);
    static const struct { WlPhase phase; int64_t len, batch; const char *msg; } cases[] = {
        {WL_PREFILL, 0, 1, "seq = 0"},
        {WL_PREFILL, -5, 1, "seq = -5"},
        {WL_PREFILL, WL_LEN_MAX + 1, 1, "out of range"},
        {WL_DECODE, 0, 1, "kv = 0"},
        {WL_DECODE, 16, 0, "batch = 0"},
        {WL_DECODE, 16, WL_LEN_MAX + 1, "batch"},
        {WL_DECODE, 16, INT64_MIN, "batch"},
        {WL_LAYERS, 16, 1, "prefill or decode"},
        /* 2^40 tokens: RoPE's rows (tokens x heads) leave the range before the MACs overflow */
        {WL_PREFILL, WL_LEN_MAX, WL_LEN_MAX, "rows = 4398046511104 is out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        MpErr e = {0};
        Workload *w = (Workload *)&e; /* must be reset to NULL */
        int rc = wl_create(m, cases[i].phase, cases[i].len, cases[i].batch, &w, &e);
        assert_int_equal(rc, MP_EINPUT);
        assert_null(w);
        if (!strstr(e.msg, cases[i].msg))
            fail_msg("case %zu: message '%s' lacks '%s'", i, e.msg, cases[i].msg);
    }
    /* the largest arguments that fit are accepted */
    Workload *w = make("llama3-70b", WL_DECODE, WL_LEN_MAX, 1024);
    wl_destroy(w);
    MpErr e = {0};
    Workload *w2;
    assert_int_equal(wl_create(NULL, WL_PREFILL, 1, 1, &w2, &e), MP_EINPUT);
}

static void lookup_and_names(void **state)
{
    (void)state;
    MpErr e = {0};
    assert_null(wl_model_find("llama-9000", &e));
    assert_int_equal(e.code, MP_EINPUT);
    assert_non_null(strstr(e.msg, "unknown model 'llama-9000'"));
    for (int i = 0; i < wl_model_count; i++) {
        assert_non_null(strstr(e.msg, wl_models[i].name));
        assert_ptr_equal(wl_model_find(wl_models[i].name, NULL), &wl_models[i]);
        assert_true(wl_models[i].heads * wl_models[i].head_dim == wl_models[i].hidden);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(wl_models[i].name, wl_models[j].name);
    }
    WlPhase p;
    GemmRole r;
    for (int i = 0; i <= WL_LAYERS; i++) {
        assert_int_equal(wl_phase_from_name(wl_phase_name((WlPhase)i), &p), 0);
        assert_int_equal(p, i);
    }
    for (int i = 0; i <= WL_ACT_ACT; i++) {
        assert_int_equal(wl_role_from_name(wl_role_name((GemmRole)i), &r), 0);
        assert_int_equal(r, i);
    }
    assert_int_equal(wl_phase_from_name("Prefill", &p), -1);
    assert_int_equal(wl_role_from_name("", &r), -1);
}

/* wl_add_gemm refuses bad rows and leaves the workload unchanged. */
static void add_gemm_checks(void **state)
{
    (void)state;
    Workload *w;
    MpErr e = {0};
    assert_int_equal(wl_create_empty("x.csv", &w, &e), MP_OK);
    assert_int_equal(w->phase, WL_LAYERS);
    assert_true(w->batch == 1);
    assert_int_equal(wl_add_gemm(w, "a", 2, 3, 4, 5, WL_WEIGHT_ACT, &e), MP_OK);
    assert_int_equal(wl_add_gemm(w, "b", 2, 3, 4, 1, WL_ACT_ACT, &e), MP_OK);
    assert_true(w->weight_params == 60 && w->macs == 120 + 24 && w->runs == 6);
    assert_true(w->gemms[0].serial == 5 && w->gemms[1].serial == 1); /* every instance dependent */
    char longname[WL_NAME_CAP + 1];
    memset(longname, 'n', WL_NAME_CAP);
    longname[WL_NAME_CAP] = '\0';
    const int64_t big = WL_DIM_MAX;
    static const char *const why[] = {"empty name", "longer than", "m = 0", "k = -1", "count = 0",
                                      "out of range", "overflows 64 bits", "totals overflow"};
    for (int i = 0; i < 8; i++) {
        MpErr e2 = {0};
        int rc;
        switch (i) {
        case 0: rc = wl_add_gemm(w, "", 1, 1, 1, 1, WL_WEIGHT_ACT, &e2); break;
        case 1: rc = wl_add_gemm(w, longname, 1, 1, 1, 1, WL_WEIGHT_ACT, &e2); break;
        case 2: rc = wl_add_gemm(w, "c", 0, 1, 1, 1, WL_WEIGHT_ACT, &e2); break;
        case 3: rc = wl_add_gemm(w, "c", 1, 1, -1, 1, WL_WEIGHT_ACT, &e2); break;
        case 4: rc = wl_add_gemm(w, "c", 1, 1, 1, 0, WL_ACT_ACT, &e2); break;
        case 5: rc = wl_add_gemm(w, "c", big + 1, 1, 1, 1, WL_ACT_ACT, &e2); break;
        case 6: rc = wl_add_gemm(w, "c", big, big, 1, 1, WL_ACT_ACT, &e2); break;
        default:
            /* 2^62 MACs fit once; with the 144 already there the second add would pass INT64_MAX */
            assert_int_equal(wl_add_gemm(w, "c", big, (int64_t)1 << 20, 4, 1, WL_ACT_ACT, &e2), MP_OK);
            rc = wl_add_gemm(w, "d", big, (int64_t)1 << 20, 4, 1, WL_ACT_ACT, &e2);
            break;
        }
        assert_int_equal(rc, MP_EINPUT);
        if (!strstr(e2.msg, why[i]))
            fail_msg("case %d: message '%s' lacks '%s'", i, e2.msg, why[i]);
    }
    assert_int_equal(w->ngemm, 3);
    assert_true(w->weight_params == 60 && w->macs == 144 + ((int64_t)1 << 62) && w->runs == 7);
    wl_destroy(w);
    wl_destroy(NULL);
}

/* Out of memory at every allocation: MP_ENOMEM, nothing leaked (ASan build), then success. */
static int create_llama_prefill(const void *ctx, void **obj, MpErr *e)
{
    Workload *w = NULL;
    int rc = wl_create(ctx, WL_PREFILL, 128, 1, &w, e);
    *obj = w;
    return rc;
}

static void out_of_memory(void **state)
{
    (void)state;
    Workload *w = tu_oom_until_success(create_llama_prefill, wl_model_find("llama2-7b", NULL), 64);
    assert_int_equal(w->ngemm, 10);
    wl_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(totals_match_published_counts),
        cmocka_unit_test(llama2_7b_exact),
        cmocka_unit_test(tiny_shapes),
        cmocka_unit_test(vector_rows),
        cmocka_unit_test(phase_shapes_and_macs),
        cmocka_unit_test(gqa_shapes),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(lookup_and_names),
        cmocka_unit_test(add_gemm_checks),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests_name("workload", tests, NULL, NULL);
}
