/* sim/infer.c — see infer.h. */
#include "sim/infer.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/area.h"

const char *const infer_class_names[IC_COUNT] = {"weight", "attention", "vector"};
const char *const infer_energy_names[IE_COUNT] = {"weight", "attention", "vector", "dram", "leakage"};

/* Events of the request so far, per row of the workload (by name) and phase. */
typedef struct RowEv {
    SimEvents ev[2];
} RowEv;

static int row_index(InferResult *r, RowEv *rev, const char *name, int cls, MpErr *e)
{
    for (int i = 0; i < r->nrow; i++)
        if (!strcmp(r->rows[i].name, name))
            return i;
    if (r->nrow == INFER_ROWS)
        return -mp_errf(e, MP_EINTERNAL, "more than %d distinct rows in one request", r->nrow);
    InferRow *w = &r->rows[r->nrow];
    memset(w, 0, sizeof *w);
    memset(&rev[r->nrow], 0, sizeof rev[r->nrow]);
    snprintf(w->name, sizeof w->name, "%s", name);
    w->cls = cls;
    return r->nrow++;
}

/* Add one run (a phase, or one decode step) to the request's rows and classes. */
static int add_run(InferResult *r, RowEv *rev, SimEvents cls_ev[2][IC_COUNT], const RunResult *rr, int phase,
                   MpErr *e)
{
    for (int i = 0; i < rr->nlayer; i++) {
        const RunLayer *L = &rr->layer[i];
        const int cls = L->g.role == WL_ACT_ACT ? IC_ATTN : IC_WEIGHT;
        const int k = row_index(r, rev, L->g.name, cls, e);
        if (k < 0)
            return -k;
        sim_events_add(&rev[k].ev[phase], &L->all.ev, 1);
        sim_events_add(&cls_ev[phase][cls], &L->all.ev, 1);
    }
    for (int i = 0; i < rr->nvec; i++) {
        const RunVec *v = &rr->vec[i];
        const int k = row_index(r, rev, v->v.name, IC_VECTOR, e);
        if (k < 0)
            return -k;
        sim_events_add(&rev[k].ev[phase], &v->r.ev, 1);
        sim_events_add(&cls_ev[phase][IC_VECTOR], &v->r.ev, 1);
    }
    return MP_OK;
}

static int run_phase(const ArchConfig *c, const TechTable *t, const InferReq *q, WlPhase ph, int64_t len,
                     const RunOpts *ro, RunResult *rr, MpErr *e)
{
    Workload *w;
    int rc = wl_create(q->model, ph, len, q->batch, &w, e);
    if (rc)
        return rc;
    RunOpts o = *ro;
    o.tech = t;
    rc = run_workload(c, w, &o, rr, e);
    if (rc)
        mp_err_prefix(e, "%s %s %s=%lld", c->name, wl_phase_name(ph), ph == WL_PREFILL ? "seq" : "kv", (long long)len);
    wl_destroy(w);
    return rc;
}

int infer_run(const ArchConfig *c, const TechTable *t, const InferReq *q, const InferOpts *o, InferResult *r,
              MpErr *e)
{
    memset(r, 0, sizeof *r);
    if (!q->model)
        return mp_errf(e, MP_EINPUT, "no model given");
    if (q->prompt < 1 || q->gen < 1 || q->batch < 1 || q->prompt > WL_LEN_MAX || q->gen > WL_LEN_MAX ||
        q->prompt + q->gen - 1 > WL_LEN_MAX || q->batch > WL_LEN_MAX)
        return mp_errf(e, MP_EINPUT, "prompt %lld, gen %lld, batch %lld: each must be >= 1 and prompt + gen - 1 <= %d",
                       (long long)q->prompt, (long long)q->gen, (long long)q->batch, WL_LEN_MAX);
    r->req = *q;
    r->cfg = *c;
    r->clock_mhz = c->clock_mhz;
    RowEv *rv = mp_calloc(INFER_ROWS, sizeof *rv); /* one per InferResult.rows[] */
    SimEvents cls_ev[2][IC_COUNT];
    memset(cls_ev, 0, sizeof cls_ev);
    if (!rv)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    RunResult rr;
    int rc = run_phase(c, t, q, WL_PREFILL, q->prompt, &o->run, &rr, e);
    if (rc == MP_OK) {
        r->prefill_ev = rr.total;
        r->fused = rr.fused;
        r->fused_need_bits = rr.fused_need_bits;
        r->fused_have_bits = rr.fused_have_bits;
        snprintf(r->note, sizeof r->note, "%s", rr.note);
        rc = add_run(r, rv, cls_ev, &rr, 0, e);
        run_free(&rr);
    }
    RunMemo memo;
    memset(&memo, 0, sizeof memo);
    RunOpts dro = o->run;
    dro.memo = o->step_all ? NULL : &memo;
    dro.progress = 0;
    r->steps = q->gen - 1;
    for (int64_t j = 1; rc == MP_OK && j < q->gen; j++) {
        if (o->progress && (j % 16 == 1 || j + 1 == q->gen))
            fprintf(stderr, "\r  decode step %lld/%lld (kv %lld)   ", (long long)j, (long long)r->steps,
                    (long long)(q->prompt + j));
        rc = run_phase(c, t, q, WL_DECODE, q->prompt + j, &dro, &rr, e);
        if (rc)
            break;
        sim_events_add(&r->decode_ev, &rr.total, 1);
        r->last_step_cycles = rr.total.cycles;
        rc = add_run(r, rv, cls_ev, &rr, 1, e);
        run_free(&rr);
    }
    if (o->progress)
        fprintf(stderr, "\r%60s\r", "");
    r->memo_hits = memo.hits;
    r->memo_misses = memo.misses;
    run_memo_free(&memo);
    /* energy is linear in the events: price the sums */
    if (rc == MP_OK)
        rc = energy_compute(t, c, &r->prefill_ev, &r->prefill_energy, e);
    if (rc == MP_OK)
        rc = energy_compute(t, c, &r->decode_ev, &r->decode_energy, e);
    SimEvents all = r->prefill_ev;
    sim_events_add(&all, &r->decode_ev, 1);
    if (rc == MP_OK)
        rc = energy_compute(t, c, &all, &r->total_energy, e);
    for (int ph = 0; rc == MP_OK && ph < 2; ph++)
        for (int k = 0; rc == MP_OK && k < IC_COUNT; k++) {
            EnergyBreakdown b;
            rc = energy_compute(t, c, &cls_ev[ph][k], &b, e);
            r->cls_cycles[ph][k] = cls_ev[ph][k].cycles;
            r->cls_pj[ph][k] = b.total - b.dram - b.leakage;
            r->cls_pj[ph][IE_DRAM] += b.dram;
            r->cls_pj[ph][IE_LEAK] += b.leakage;
        }
    for (int i = 0; rc == MP_OK && i < r->nrow; i++) {
        EnergyBreakdown b0, b1;
        rc = energy_compute(t, c, &rv[i].ev[0], &b0, e);
        if (rc == MP_OK)
            rc = energy_compute(t, c, &rv[i].ev[1], &b1, e);
        r->rows[i].prefill_cycles = rv[i].ev[0].cycles;
        r->rows[i].decode_cycles = rv[i].ev[1].cycles;
        r->rows[i].prefill_pj = b0.total;
        r->rows[i].decode_pj = b1.total;
    }
    mp_free(rv);
    AreaBreakdown ab;
    if (rc == MP_OK)
        rc = area_compute(t, c, &ab, e);
    if (rc)
        return rc;
    r->area_mm2 = ab.total_mm2;
    const double hz = c->clock_mhz * 1e6;
    r->prefill_cycles = r->prefill_ev.cycles;
    r->decode_cycles = r->decode_ev.cycles;
    r->ttft_s = (double)r->prefill_cycles / hz;
    r->tpot_mean_s = r->steps ? (double)r->decode_cycles / hz / (double)r->steps : 0;
    r->tpot_last_s = (double)r->last_step_cycles / hz;
    const double tokens = (double)q->batch * (double)q->gen;
    r->tokens_per_s = tokens / ((double)(r->prefill_cycles + r->decode_cycles) / hz);
    r->j_per_token = r->total_energy.total * 1e-12 / tokens;
    return MP_OK;
}
