/* sim/mapper.c — see mapper.h. */
#include "sim/mapper.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sim/petime.h"

const char *const map_objective_names[MAP_OBJ_COUNT] = {"time", "dram", "energy"};

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

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

/* Estimated cycles of a candidate: the array's time (every tile class's load + run, drains hidden
 * but the last) against the DRAM channel's (beats and one latency per transfer), plus the first
 * step's loads, which nothing hides. Only a ranking: the exact figure comes from the engine. */
static double estimate(const ArchConfig *c, const SimGemm *g, const MapProblem *p, const Mapping *mp)
{
    const PeTiming pt = g->act_act ? pe_timing_act_act(c) : pe_timing(c);
    const int os = c->dataflow == DATAFLOW_OS;
    const int em = map_m_unit(p, mp->trans), en = map_n_unit(p, mp->trans);
    const int ek = mp->trans ? c->cols : c->rows;
    const int64_t nk = cdiv(p->k, mp->bk);
    /* K pieces: OS one per block; WS passes of ek * lanes */
    const Cut ck = cut_of(p->k, mp->bk, os ? mp->bk : (int64_t)ek * pt.lanes);
    const Cut cm = os ? cut_of(p->m, mp->bm, em) : cut_of(p->m, mp->bm, mp->bm);
    const Cut cn = cut_of(p->n, mp->bn, en);
    double arr = 0;
    int64_t last_drain = 0;
    for (int a = 0; a < cm.n; a++)
        for (int b = 0; b < cn.n; b++)
            for (int k = 0; k < ck.n; k++) {
                /* a K piece is the first of its output tile once in nk (OS) */
                Tile t = {0, 0, 0, (int)cm.ext[a], (int)cn.ext[b], (int)ck.ext[k], nk == 1, 1, mp->trans};
                const TilePhases ph = pe_tile_phases(c, &pt, &t);
                const double n = (double)cm.cnt[a] * (double)cn.cnt[b] * (double)ck.cnt[k];
                double per = (double)(ph.load + ph.run);
                if (os && ph.load == 0 && nk > 1)
                    per += (double)ph.drain / 2; /* first and later K blocks alternate in load */
                arr += n * per;
                last_drain = max64(last_drain, ph.drain);
            }
    arr += (double)last_drain;
    const double bits = (double)(mp->dram_w_bits + mp->dram_x_bits + mp->dram_y_bits);
    const int64_t blocks = cdiv(p->m, mp->bm) * cdiv(p->n, mp->bn);
    const double dram = bits / c->dram_bits_per_cycle + (double)c->dram_latency_cycles * (double)(2 * mp->steps + blocks);
    const double first = (double)(map_block_bits(p->w_bits, mp->bn < p->n ? mp->bn : p->n, mp->bk) +
                                  map_block_bits(p->x_bits, mp->bm < p->m ? mp->bm : p->m, mp->bk)) /
                             c->dram_bits_per_cycle +
                         2.0 * c->dram_latency_cycles;
    return (arr > dram ? arr : dram) + first;
}

typedef struct Cand {
    Mapping mp;
    double est;
    int idx; /* position in map_enumerate's order */
} Cand;

static int by_est(const void *a, const void *b)
{
    const Cand *x = a, *y = b;
    if (x->est != y->est)
        return x->est < y->est ? -1 : 1;
    return x->idx - y->idx;
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
    /* the energy objective also looks at the candidates that move the fewest DRAM bits */
    int lim = o->exhaustive || n < SIM_MAP_EXACT ? n : SIM_MAP_EXACT;
    int best = -1;
    SimResult br, r;
    double be = 0;
    memset(&br, 0, sizeof br);
    for (int pass = 0; pass < (o->objective == MAP_OBJ_ENERGY && lim < n ? 2 : 1) && rc == MP_OK; pass++) {
        if (pass == 1) { /* re-rank by DRAM bits and look at the first lim of those */
            for (int i = 0; i < n; i++)
                cd[i].est = (double)(cd[i].mp.dram_w_bits + cd[i].mp.dram_x_bits + cd[i].mp.dram_y_bits);
            qsort(cd, (size_t)n, sizeof *cd, by_est);
        }
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
