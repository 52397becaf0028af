/* sim/run.c — see run.h. */
#include "sim/run.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "models/golden.h"
#include "models/opfmt.h"
#include "sim/cores.h"
#include "sim/mapper.h"
#include "sim/petime.h"
#include "traces/synth.h"

/* Largest operand a cycle-fidelity run will materialise (elements). */
#define RUN_CYCLE_MAX_ELEMS ((int64_t)1 << 26)

_Static_assert((int)WL_CAUSAL_NONE == (int)MAP_CAUSAL_NONE && (int)WL_CAUSAL_N == (int)MAP_CAUSAL_N &&
                   (int)WL_CAUSAL_K == (int)MAP_CAUSAL_K,
               "the workload's causal codes are the mapper's");

void run_memo_free(RunMemo *m)
{
    mp_free(m->e);
    memset(m, 0, sizeof *m);
}

/* The remembered value for a key (is_vec says which kind), or NULL. */
static const RunMemoEntry *memo_find(const RunMemo *m, int is_vec, const void *key, size_t size)
{
    for (int i = 0; m && i < m->n; i++)
        if (m->e[i].is_vec == is_vec && !memcmp(&m->e[i].key, key, size))
            return &m->e[i];
    return NULL;
}

/* Remember an entry; a memo that cannot grow only stops remembering. */
static void memo_put(RunMemo *m, const RunMemoEntry *en)
{
    RunMemoEntry *g = m ? mp_grow(m->e, m->n, &m->cap, sizeof *g, 32) : NULL;
    if (!g)
        return;
    m->e = g;
    m->e[m->n++] = *en;
    m->misses++;
}

void run_free(RunResult *r)
{
    mp_free(r->vec);
    mp_free(r->layer);
    memset(r, 0, sizeof *r);
}

static int run_one_cycle(const ArchConfig *c, const Gemm *g, const SimGemm *sg, const RunOpts *o, int idx,
                         SimResult *res, int64_t *checked, MpErr *e)
{
    if (g->m * g->k > RUN_CYCLE_MAX_ELEMS || g->n * g->k > RUN_CYCLE_MAX_ELEMS || g->m * g->n > RUN_CYCLE_MAX_ELEMS)
        return mp_errf(e, MP_EINPUT,
                       "%lldx%lldx%lld is too large to simulate with data at cycle fidelity (operands above %lld "
                       "elements); use --fidelity fast or a shorter --seq/--kv",
                       (long long)g->m, (long long)g->n, (long long)g->k, (long long)RUN_CYCLE_MAX_ELEMS);
    const int M = (int)g->m, N = (int)g->n, K = (int)g->k;
    SynParams sp;
    syn_params_default(&sp);
    QParams wq, xq;
    sim_operand_params(c, sg->act_act, &wq, &xq);
    float *w = mp_malloc((size_t)N * K * sizeof *w), *x = mp_malloc((size_t)M * K * sizeof *x);
    float *y = mp_calloc((size_t)M * N, sizeof *y), *yg = mp_calloc((size_t)M * N, sizeof *yg);
    GoldenAcc *ps = mp_calloc((size_t)M * N, sizeof *ps);
    QMat qw, qx;
    memset(&qw, 0, sizeof qw);
    memset(&qx, 0, sizeof qx);
    int rc = MP_OK;
    uint64_t seed = o->seed * 1000003u + (uint64_t)idx;
    if (!w || !x || !y || !yg || !ps)
        rc = mp_errf(e, MP_ENOMEM, "out of memory for cycle-fidelity data");
    if (rc == MP_OK)
        rc = sg->act_act ? syn_acts(&sp, seed ^ 0x4b4b4b4bu, (size_t)N, (size_t)K, w, NULL, e)
                         : syn_weights(&sp, seed, (size_t)N, (size_t)K, w, e);
    if (rc == MP_OK)
        rc = syn_acts(&sp, seed, (size_t)M, (size_t)K, x, NULL, e);
    /* under the causal mask P is zero above the diagonal (softmax of -inf): the skipped key blocks
     * of PV then change nothing, and the golden GEMM over all of K is the masked one */
    if (rc == MP_OK && sg->causal == MAP_CAUSAL_K)
        for (int i = 0; i < M; i++)
            for (int j = i + K - M + 1; j < K; j++)
                x[(size_t)i * K + j] = 0;
    /* operands stored in another format than the PE takes hold what that format keeps: the KV cache
     * (an attention GEMM's second operand) at kv_format, a layer's input at out_format */
    QParams sq;
    const int wstored = sg->act_act ? config_kv_fmt(c) : -1, xstored = sim_store_fmt(c, sg->x_store),
              act = config_act_fmt(c);
    if (rc == MP_OK && wstored >= 0 && wstored != act && opfmt_act_qparams((OpFmtId)wstored, &sq) == 0)
        rc = quant_roundtrip(&sq, w, N, K, e);
    if (rc == MP_OK && xstored != act && opfmt_act_qparams((OpFmtId)xstored, &sq) == 0)
        rc = quant_roundtrip(&sq, x, M, K, e);
    if (rc == MP_OK)
        rc = quant_matrix(&wq, w, N, K, &qw, e);
    if (rc == MP_OK)
        rc = quant_matrix(&xq, x, M, K, &qx, e);
    if (rc == MP_OK) {
        ArrayData d = {&qw, &qx, ps, y};
        const SimMapOpts mo = {o->force, o->objective, o->tech, 0, 0};
        rc = sim_gemm_opts(c, sg, FID_CYCLE, &mo, &d, res, e);
    }
    if (rc == MP_OK)
        rc = golden_gemm_hw(sim_datapath_kind(c, sg->act_act), &qw, &qx, yg, e);
    if (rc == MP_OK)
        for (int64_t i = 0; i < (int64_t)M * N; i++)
            if (!(sg->causal == MAP_CAUSAL_N && i % N > i / N + N - M) && /* a masked score: never used */
                memcmp(&y[i], &yg[i], sizeof *y) != 0) {
                rc = mp_errf(e, MP_ECHECK, "simulated output (%lld, %lld) = %.9g differs from the golden GEMM's %.9g",
                             (long long)(i / N), (long long)(i % N), (double)y[i], (double)yg[i]);
                break;
            }
    if (rc == MP_OK)
        *checked += (int64_t)M * N;
    quant_free(&qw);
    quant_free(&qx);
    mp_free(w);
    mp_free(x);
    mp_free(y);
    mp_free(yg);
    mp_free(ps);
    return rc;
}

/* Fused attention: does one query tile against one key tile fit the buffers? Sets r->fused or
 * r->note. */
static void decide_fused(const ArchConfig *c, const Workload *w, RunResult *r)
{
    if (!c->attn_fused)
        return;
    for (int i = 0; i < w->ngemm; i++) {
        const Gemm *g = &w->gemms[i];
        if (strcmp(g->name, "attn_qk") != 0)
            continue;
        const PeTiming pt = pe_timing_act_act(c);
        const int64_t need = map_fused_attn_need_bits(g->m, g->n, (int)g->k, c->rows, c->cols, 16, pt.x_bits,
                                                      opfmt_act_bits((OpFmtId)config_kv_fmt(c), g->k), 32);
        const int64_t have = ((int64_t)c->sram_weight_kib + c->sram_act_kib + c->sram_out_kib) * 8192;
        r->fused_need_bits = need;
        r->fused_have_bits = have;
        if (need <= have)
            r->fused = 1;
        else
            snprintf(r->note, sizeof r->note,
                     "fused attention needs %.1f KiB for one query tile x key tile; the buffers hold %.1f KiB: "
                     "attention runs unfused",
                     (double)need / 8192, (double)have / 8192);
        return;
    }
}

static int push_vec(RunResult *r, const ArchConfig *c, const VecRow *v, int64_t blocks, int64_t tile,
                    const RunOpts *o, MpErr *e)
{
    RunVec *rv = &r->vec[r->nvec];
    rv->v = *v;
    vu_job(c, v, r->fused, blocks, tile, &rv->j);
    RunMemo *memo = o->fid == FID_FAST ? o->memo : NULL;
    const RunMemoEntry *hit = memo_find(memo, 1, &rv->j, sizeof rv->j);
    int rc = MP_OK;
    if (hit) {
        rv->r = hit->val.vec;
        memo->hits++;
    } else if ((rc = vu_run(c, &rv->j, o->fid, &rv->r, e)) == MP_OK && memo) {
        RunMemoEntry en;
        memset(&en, 0, sizeof en);
        en.is_vec = 1;
        memcpy(&en.key.vec, &rv->j, sizeof rv->j); /* bytes, padding included: the key */
        en.val.vec = rv->r;
        memo_put(memo, &en);
    }
    if (rc) {
        mp_err_prefix(e, "%s", v->name);
        return rc;
    }
    sim_events_add(&r->total, &rv->r.ev, 1);
    r->nvec++;
    return MP_OK;
}

/* The vector rows that run after `after` GEMM rows; softmax, when fused, as the online softmax over
 * key blocks of attn_qk's mapping (qk, NULL if none ran), followed by the rescale of O. */
static int run_vecs(const ArchConfig *c, const Workload *w, int after, const RunLayer *qk, const RunOpts *o,
                    RunResult *r, MpErr *e)
{
    int rc = MP_OK;
    for (int i = 0; i < w->nvec && rc == MP_OK; i++) {
        const VecRow *v = &w->vecs[i];
        if (v->after != after)
            continue;
        if (!(r->fused && v->kind == VK_SOFTMAX && qk)) {
            rc = push_vec(r, c, v, 1, 0, o, e);
            continue;
        }
        /* key blocks of QK^T's mapping; under the causal mask a query row sees only its own */
        const int64_t bn = qk->r.map.bn > 0 ? qk->r.map.bn : v->width, seen = vu_visible_blocks(v, bn),
                      blocks = (seen + v->rows - 1) / v->rows; /* per row, rounded up */
        VecRow on = *v, rs = *v;
        on.kind = VK_SOFTMAX_ONLINE;
        rs.kind = VK_ATTN_RESCALE;
        snprintf(rs.name, sizeof rs.name, "attn_rescale");
        rs.rows = seen; /* O's row once per key block it sees */
        rs.width = qk->g.k;         /* head_dim */
        rs.causal = 0;
        /* the online softmax holds one S tile's key block of each row at a time */
        if ((rc = push_vec(r, c, &on, blocks, bn, o, e)) == MP_OK)
            rc = push_vec(r, c, &rs, 1, 0, o, e);
    }
    return rc;
}

int run_workload(const ArchConfig *c, const Workload *w, const RunOpts *o, RunResult *r, MpErr *e)
{
    memset(r, 0, sizeof *r);
    r->layer = mp_calloc((size_t)(w->ngemm > 0 ? w->ngemm : 1), sizeof *r->layer);
    r->vec = mp_calloc((size_t)(2 * w->nvec + 1), sizeof *r->vec); /* a fused softmax adds a rescale row */
    if (!r->layer || !r->vec) {
        run_free(r);
        return mp_errf(e, MP_ENOMEM, "out of memory");
    }
    decide_fused(c, w, r);
    int rc = MP_OK;
    const RunLayer *qk = NULL;
    for (int i = 0; i <= w->ngemm && rc == MP_OK; i++) {
        if ((rc = run_vecs(c, w, i, qk, o, r, e)) != MP_OK || i == w->ngemm)
            break;
        const Gemm *g = &w->gemms[i];
        RunLayer *L = &r->layer[r->nlayer];
        L->g = *g;
        const int is_qk = !strcmp(g->name, "attn_qk"), is_pv = !strcmp(g->name, "attn_pv");
        SimGemm sg;
        memset(&sg, 0, sizeof sg); /* a memo key: padding too */
        sg.m = g->m;
        sg.n = g->n;
        sg.k = g->k;
        sg.act_act = g->role == WL_ACT_ACT;
        sg.count = 1;
        sg.y_store = g->y_to == WL_Y_KV ? SIM_STORE_KV : g->y_to == WL_Y_NEXT ? SIM_STORE_OUT : SIM_STORE_FP16;
        sg.x_store = g->x_from == WL_X_PROB ? SIM_STORE_FP16 : SIM_STORE_OUT;
        sg.causal = g->causal;
        sg.x_onchip = r->fused && is_pv;
        sg.y_onchip = r->fused && is_qk;
        if (o->progress)
            fprintf(stderr, "\r  [%d/%d] %-12s %lldx%lldx%lld   ", i + 1, w->ngemm, g->name, (long long)g->m,
                    (long long)g->n, (long long)g->k);
        const SimMapOpts mo = {o->force, o->objective, o->tech, 0, 0};
        RunMemo *memo = o->fid == FID_FAST ? o->memo : NULL;
        SimGemm key;
        memcpy(&key, &sg, sizeof key); /* bytes, padding included (sg was zeroed): the key */
        key.count = g->count;
        key.serial = g->serial;
        const RunMemoEntry *hit = memo_find(memo, 0, &key, sizeof key);
        if (hit) {
            L->r = hit->val.gemm.r;
            L->all = hit->val.gemm.all;
            L->part = hit->val.gemm.part;
            memo->hits++;
        } else {
            /* one instance of the first core's part (the whole GEMM on one core): mapped, and at
             * cycle fidelity run on data and checked; then every core's part, all instances
             * (sim/cores.h) */
            ArchConfig cc;
            SimGemm all = sg, p0;
            all.count = g->count;
            all.serial = g->serial;
            cores_partition(c, &all, &L->part);
            cores_core_config(c, &L->part, &cc);
            cores_part_gemm(&sg, &L->part, 0, &p0);
            Gemm g0 = *g;
            g0.m = p0.m;
            g0.n = p0.n;
            g0.k = p0.k;
            if (o->fid == FID_FAST)
                rc = sim_gemm_opts(&cc, &p0, FID_FAST, &mo, NULL, &L->r, e);
            else
                rc = run_one_cycle(&cc, &g0, &p0, o, i, &L->r, &r->checked_outputs, e);
            if (rc == MP_OK)
                rc = cores_gemm(c, &all, o->fid, &mo, &L->r, NULL, &L->all, NULL, e);
            if (rc == MP_OK && memo) {
                RunMemoEntry en;
                memset(&en, 0, sizeof en);
                memcpy(&en.key.gemm, &key, sizeof key);
                en.val.gemm = *L;
                memo_put(memo, &en);
            }
        }
        if (rc) {
            mp_err_prefix(e, "%s", g->name);
            break;
        }
        if (is_qk)
            qk = L;
        sim_events_add(&r->total, &L->all.ev, 1);
        r->nlayer++;
    }
    if (o->progress)
        fprintf(stderr, "\r%70s\r", "");
    if (rc)
        run_free(r);
    return rc;
}
