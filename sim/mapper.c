/* sim/mapper.c — see mapper.h. */
#include "sim/mapper.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/petime.h"

const char *const map_objective_names[MAP_OBJ_COUNT] = {"time", "dram", "energy"};

int map_objective_from_name(const char *name, int *out, MpErr *e)
{
    for (int i = 0; i < MAP_OBJ_COUNT; i++)
        if (!strcmp(name, map_objective_names[i])) {
            *out = i;
            return MP_OK;
        }
    return mp_errf(e, MP_EINPUT, "--objective '%s': expected time, dram or energy", name);
}

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The extents a dimension of `full` is cut into, blocks of `blk` then pieces of `unit`, with
 * their counts: at most four (extent, count) pairs. */
typedef struct Cut {
    int64_t ext[4], cnt[4];
    int n;
} Cut;

static void cut_add(Cut *c, int64_t ext, int64_t cnt)
{
    if (ext <= 0 || cnt <= 0)
        return;
    for (int i = 0; i < c->n; i++)
        if (c->ext[i] == ext) {
            c->cnt[i] += cnt;
            return;
        }
    c->ext[c->n] = ext;
    c->cnt[c->n++] = cnt;
}

static Cut cut_of(int64_t full, int64_t blk, int64_t unit)
{
    Cut c = {{0}, {0}, 0};
    const int64_t nfull = full / blk, rem = full % blk;
    cut_add(&c, unit, nfull * (blk / unit));
    cut_add(&c, blk % unit, nfull);
    cut_add(&c, unit, rem / unit);
    cut_add(&c, rem % unit, rem ? 1 : 0);
    return c;
}

/* The array's cycles for one block (mb x nb x kb, its K position given by first/last) when its
 * tiles run back to back: each tile class's share of the pipeline (sim/petime.h, ArrayPipe): OS a
 * tile costs max(run, drain, load) (psum loads and drains behind the runs), except in a block of one
 * tile with psums, where each tile reads what the one before wrote (drain + load + run); WS
 * double-buffered max(preload, stream), else their sum. The last drain is left to the caller. */
static double block_cycles(const ArchConfig *c, const PeTiming *pt, const Mapping *mp, int em, int en, int ek,
                           int64_t mb, int64_t nb, int64_t kb, int first, int last, int64_t *drain)
{
    const int os = c->dataflow == DATAFLOW_OS;
    const Cut cm = os ? cut_of(mb, mb, em) : cut_of(mb, mb, mb), cn = cut_of(nb, nb, en),
              ck = os ? cut_of(kb, kb, kb) : cut_of(kb, kb, (int64_t)ek * pt->lanes);
    double t = 0;
    for (int a = 0; a < cm.n; a++)
        for (int b = 0; b < cn.n; b++)
            for (int k = 0; k < ck.n; k++) {
                /* WS: K passes after the first load psums; only the first (last) pass is first (last) */
                Tile tl = {0, 0, 0, (int)cm.ext[a], (int)cn.ext[b], (int)ck.ext[k], first, last, mp->trans};
                const TilePhases ph = pe_tile_phases(c, pt, &tl);
                double per;
                const int64_t hidden = ph.load > ph.drain ? ph.load : ph.drain;
                if (os)
                    per = ph.load && cm.n == 1 && cn.n == 1 && cm.cnt[0] == 1 && cn.cnt[0] == 1
                              ? (double)(ph.drain + ph.load + ph.run)
                              : (double)(ph.run > hidden ? ph.run : hidden);
                else
                    per = c->double_buffer ? (double)(ph.load > ph.run ? ph.load : ph.run) : (double)(ph.load + ph.run);
                t += (double)cm.cnt[a] * (double)cn.cnt[b] * (double)ck.cnt[k] * per;
                *drain = ph.drain;
            }
    return t;
}

/* Estimated cycles of a candidate: the schedule walked step by step (the engine's DMA rules with
 * each step's array time from block_cycles, memoised per block shape); a candidate with more than
 * EST_STEPS steps is estimated from its totals instead (array time against DRAM beats). Only a
 * ranking: the exact figure comes from the engine. */
#define EST_STEPS 2000
static double estimate(const ArchConfig *c, const SimGemm *g, const MapProblem *p, const Mapping *mp)
{
    const PeTiming pt = g->act_act ? pe_timing_act_act(c) : pe_timing(c);
    const int em = map_m_unit(p, mp->trans), en = map_n_unit(p, mp->trans), ek = mp->trans ? c->cols : c->rows;
    const double bw = c->dram_bits_per_cycle, lat = c->dram_latency_cycles;
    int64_t drain = 0;
    if (mp->steps > EST_STEPS) {
        /* every M x N block alike: the first K block, the middle ones (psums in and out), the last */
        const int64_t nk = cdiv(p->k, mp->bk), klast = p->k - (nk - 1) * mp->bk;
        double arr = block_cycles(c, &pt, mp, em, en, ek, p->m, p->n, nk == 1 ? p->k : mp->bk, 1, nk == 1, &drain);
        if (nk > 2)
            arr += (double)(nk - 2) * block_cycles(c, &pt, mp, em, en, ek, p->m, p->n, mp->bk, 0, 0, &drain);
        if (nk > 1)
            arr += block_cycles(c, &pt, mp, em, en, ek, p->m, p->n, klast, 0, 1, &drain);
        /* under a causal mask only mp->steps of the grid's steps run */
        arr *= (double)mp->steps / ((double)cdiv(p->m, mp->bm) * (double)cdiv(p->n, mp->bn) * (double)nk);
        /* an on-chip operand moves no DRAM bit (map_traffic gives it 0) and takes no transfer */
        const double bits = (double)(mp->dram_w_bits + mp->dram_x_bits + mp->dram_y_bits);
        const double dram = bits / bw + lat * (double)((p->x_onchip ? 1 : 2) * mp->steps);
        return (arr > dram ? arr : dram) + (double)drain;
    }
    typedef struct Memo {
        int64_t mb, nb, kb;
        int first, last;
        double cyc;
    } Memo;
    Memo memo[16];
    int nmemo = 0;
    double t = 0, comp_prev = 0, store_prev = 0;
    int64_t it = 0;
    MapStep st;
    for (int s = 0; map_next_step(p, mp, &it, &st); s++) {
        double cyc = -1;
        for (int i = 0; i < nmemo && cyc < 0; i++)
            if (memo[i].mb == st.mb && memo[i].nb == st.nb && memo[i].kb == st.kb && memo[i].first == st.first_k &&
                memo[i].last == st.last_k)
                cyc = memo[i].cyc;
        if (cyc < 0) {
            cyc = block_cycles(c, &pt, mp, em, en, ek, st.mb, st.nb, st.kb, st.first_k, st.last_k, &drain);
            if (nmemo < 16)
                memo[nmemo++] = (Memo){st.mb, st.nb, st.kb, st.first_k, st.last_k, cyc};
        }
        /* an on-chip X or Y takes no DRAM transfer */
        const double load = (st.load_w ? (double)map_block_bits(p->w_dram_bits, st.nb, st.kb) / bw + lat : 0) +
                            (st.load_x && !p->x_onchip ? (double)map_block_bits(p->x_dram_bits, st.mb, st.kb) / bw + lat
                                                       : 0);
        const double store =
            st.last_k && !p->y_onchip ? (double)map_block_bits(p->y_dram_bits, st.mb, st.nb) / bw + lat : 0;
        if (!c->double_buffer) {
            t += load + cyc + store; /* sequential */
            continue;
        }
        /* double-buffered: step s's loads and step s-1's store share the channel while step s-1
         * computes */
        const double chan = load + store_prev;
        t += s == 0 ? load : (chan > comp_prev ? chan : comp_prev);
        comp_prev = cyc;
        store_prev = store;
    }
    return t + comp_prev + store_prev + (double)drain;
}

typedef struct Cand {
    Mapping mp;
    double est;
    int64_t dram; /* DRAM bits (exact, from map_traffic)  */
    int idx;      /* position in map_enumerate's order    */
} Cand;

static int by_est(const void *a, const void *b)
{
    const Cand *x = a, *y = b;
    if (x->est != y->est)
        return x->est < y->est ? -1 : 1;
    return x->idx - y->idx;
}

/* fewest DRAM bits first, then the estimate (a tie in bits is usually a family of ever smaller K
 * blocks, whose many steps the estimate rightly ranks last) */
static int by_dram(const void *a, const void *b)
{
    const Cand *x = a, *y = b;
    if (x->dram != y->dram)
        return x->dram < y->dram ? -1 : 1;
    return by_est(a, b);
}

static int64_t dram_bits(const SimResult *r) { return r->ev.dram_read_bits + r->ev.dram_write_bits; }

/* -1 if (a, ea) is better than (b, eb) under the objective, 1 if worse, 0 if tied. */
static int compare(int obj, const SimResult *a, double ea, const SimResult *b, double eb)
{
    double ka[3], kb[3];
    const double ca = (double)a->ev.cycles, cb = (double)b->ev.cycles, da = (double)dram_bits(a),
                 db = (double)dram_bits(b);
    if (obj == MAP_OBJ_DRAM) {
        ka[0] = da, ka[1] = ca, ka[2] = ea;
        kb[0] = db, kb[1] = cb, kb[2] = eb;
    } else if (obj == MAP_OBJ_ENERGY) {
        ka[0] = ea, ka[1] = ca, ka[2] = da;
        kb[0] = eb, kb[1] = cb, kb[2] = db;
    } else {
        ka[0] = ca, ka[1] = da, ka[2] = ea;
        kb[0] = cb, kb[1] = db, kb[2] = eb;
    }
    for (int i = 0; i < 3; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

int sim_map_search(const ArchConfig *c, const SimGemm *g, const SimMapOpts *o, Mapping *out, SimResult *fast,
                   MpErr *e)
{
    if (o->objective < 0 || o->objective >= MAP_OBJ_COUNT || (o->objective == MAP_OBJ_ENERGY && !o->tech))
        return mp_errf(e, MP_EINPUT, "mapping: objective %d needs %s", o->objective,
                       o->objective == MAP_OBJ_ENERGY ? "a technology table" : "to be time, dram or energy");
    MapProblem p;
    sim_map_problem(c, g, &p);
    Mapping *v;
    int n;
    int rc = map_enumerate(&p, o->force, &v, &n, e);
    if (rc)
        return rc;
    Cand *cd = mp_calloc((size_t)n, sizeof *cd);
    if (!cd) {
        mp_free(v);
        return mp_errf(e, MP_ENOMEM, "out of memory in the mapper");
    }
    int kept = 0;
    int64_t fewest = -1;
    for (int i = 0; i < n; i++) {
        if (o->max_steps > 0 && v[i].steps > o->max_steps) {
            if (fewest < 0 || v[i].steps < fewest)
                fewest = v[i].steps;
            continue;
        }
        const int j = kept++;
        cd[j].mp = v[i];
        cd[j].idx = i;
        /* the DRAM objective knows each candidate's bits exactly: rank by them, then by time */
        cd[j].est = estimate(c, g, &p, &v[i]);
        cd[j].dram = v[i].dram_w_bits + v[i].dram_x_bits + v[i].dram_y_bits;
        if (o->objective == MAP_OBJ_DRAM)
            cd[j].est += 1e6 * (double)(v[i].dram_w_bits + v[i].dram_x_bits + v[i].dram_y_bits);
    }
    mp_free(v);
    if (!kept) {
        mp_free(cd);
        return mp_errf(e, MP_EINPUT,
                       "GEMM %lldx%lldx%lld: every mapping takes more steps than the work limit of %lld (the fewest: "
                       "%lld; raise it with MPSIM_MAX_STEPS=N, or map with larger blocks)",
                       (long long)g->m, (long long)g->n, (long long)g->k, (long long)o->max_steps,
                       (long long)fewest);
    }
    n = kept;
    qsort(cd, (size_t)n, sizeof *cd, by_est);
    /* pass 0: the best SIM_MAP_EXACT by estimate; pass 1: the SIM_MAP_EXACT that move the fewest
     * DRAM bits (the estimate's blind spot is the DRAM/array overlap; those are always looked at) */
    int lim = o->exhaustive || n < SIM_MAP_EXACT ? n : SIM_MAP_EXACT;
    int best = -1;
    SimResult br, r;
    double be = 0;
    memset(&br, 0, sizeof br);
    for (int pass = 0; pass < (lim < n ? 2 : 1) && rc == MP_OK; pass++) {
        if (pass == 1) /* re-rank by DRAM bits and look at the first lim of those */
            qsort(cd, (size_t)n, sizeof *cd, by_dram);
        for (int i = 0; i < lim && rc == MP_OK; i++) {
            rc = sim_gemm_mapped(c, g, &cd[i].mp, FID_FAST, NULL, &r, e);
            if (rc)
                break;
            double en = 0;
            if (o->tech) {
                EnergyBreakdown eb;
                rc = energy_compute(o->tech, c, &r.ev, &eb, e);
                en = eb.total;
            }
            int cmp = best < 0 ? -1 : compare(o->objective, &r, en, &br, be);
            if (cmp < 0 || (cmp == 0 && cd[i].idx < best)) {
                best = cd[i].idx;
                br = r;
                be = en;
            }
        }
    }
    mp_free(cd);
    if (rc)
        return rc;
    *out = br.map;
    *fast = br;
    return MP_OK;
}
