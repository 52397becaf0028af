/* sim/engine.c — see engine.h. Two controllers over one schedule: engine_fast (recurrence) and
 * engine_cycle (ticked). They are written independently on purpose; the randomized equality test
 * is what proves the fast one. */
#include "sim/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/parse.h"
#include "models/golden.h"

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

typedef struct Ctx {
    const ArchConfig *c;
    SimGemm g;
    PeTiming pt;
    PeKindId kind;
    MapProblem p;
    Mapping mp;
    int64_t bw;         /* SRAM bits per cycle per buffer */
    int64_t dram_bw;    /* DRAM bits per cycle            */
} Ctx;

void sim_map_problem(const ArchConfig *c, const SimGemm *g, MapProblem *p)
{
    PeTiming pt = g->act_act ? pe_timing_act_act(c) : pe_timing(c);
    memset(p, 0, sizeof *p);
    p->m = g->m;
    p->n = g->n;
    p->k = g->k;
    p->rows = c->rows;
    p->cols = c->cols;
    /* K blocks keep whole weight groups (partial sums then never hold a half group in OS) and
     * whole lane steps; WS passes may still split a group, the psum carries the full state */
    p->k_align = g->act_act ? 1 : pe_k_align(c);
    p->w_bits = g->act_act ? pt.x_bits : pe_weight_bits_stored(c);
    p->x_bits = pt.x_bits;
    p->acc_bits = pt.acc_bits;
    p->out_bits = pt.out_bits;
    p->wbuf_bits = (int64_t)c->sram_weight_kib * 8192;
    p->xbuf_bits = (int64_t)c->sram_act_kib * 8192;
    p->ybuf_bits = (int64_t)c->sram_out_kib * 8192;
    p->double_buffer = c->double_buffer;
}

/* ------------------------------------------------------------------ tiles of a step */

/* The tiles of a step, in order: OS visits R x C output tiles (rows outer); WS visits column
 * tiles outer and K passes of rows*lanes inner, streaming the whole M block. */
typedef struct TileIter {
    const Ctx *x;
    const MapStep *st;
    int64_t a, b; /* loop counters */
} TileIter;

static int tile_next(TileIter *it, Tile *t)
{
    const Ctx *x = it->x;
    const MapStep *st = it->st;
    const int R = x->c->rows, C = x->c->cols;
    if (x->c->dataflow == DATAFLOW_OS) {
        int64_t na = cdiv(st->mb, R), nb = cdiv(st->nb, C);
        if (it->a >= na)
            return 0;
        t->m0 = st->m0 + it->a * R;
        t->n0 = st->n0 + it->b * C;
        t->k0 = st->k0;
        t->tm = (int)min64(R, st->m0 + st->mb - t->m0);
        t->tn = (int)min64(C, st->n0 + st->nb - t->n0);
        t->tk = (int)st->kb;
        t->first_k = st->first_k;
        t->last_k = st->last_k;
        if (++it->b == nb) {
            it->b = 0;
            it->a++;
        }
        return 1;
    }
    const int64_t kp = (int64_t)R * x->pt.lanes; /* k per pass */
    int64_t na = cdiv(st->nb, C), nb = cdiv(st->kb, kp);
    if (it->a >= na)
        return 0;
    t->m0 = st->m0;
    t->n0 = st->n0 + it->a * C;
    t->k0 = st->k0 + it->b * kp;
    t->tm = (int)st->mb;
    t->tn = (int)min64(C, st->n0 + st->nb - t->n0);
    t->tk = (int)min64(kp, st->k0 + st->kb - t->k0);
    t->first_k = st->first_k && it->b == 0;
    t->last_k = st->last_k && it->b == nb - 1;
    if (++it->b == nb) {
        it->b = 0;
        it->a++;
    }
    return 1;
}

/* Events of one tile other than cycles and PE busy time (same formula in both fidelities:
 * they count what the tile moves). */
static void tile_events(const Ctx *x, const Tile *t, SimEvents *ev)
{
    const PeTiming *pt = &x->pt;
    const int64_t tm = t->tm, tn = t->tn, tk = t->tk;
    ev->macs += tm * tn * tk;
    ev->sram_read_bits[BUF_X] += tm * tk * pt->x_bits;
    ev->sram_read_bits[BUF_W] += tn * tk * pt->w_bits;
    if (pt->w_meta_bits && !x->g.act_act) {
        /* metadata of every weight group the tile touches */
        int64_t g = x->c->group_size, groups = (t->k0 + tk - 1) / g - t->k0 / g + 1;
        ev->sram_read_bits[BUF_W] += tn * groups * pt->w_meta_bits;
    }
    if (!t->first_k)
        ev->sram_read_bits[BUF_Y] += tm * tn * pt->acc_bits;
    ev->sram_write_bits[BUF_Y] += tm * tn * (t->last_k ? pt->out_bits : pt->acc_bits);
    if (pt->edge_decoders)
        ev->decoder_ops += (tm + tn) * tk;
    if (pt->weight_dequant && !x->g.act_act)
        ev->dequant_ops += tn * tk;
    if (pt->group_dequant && !x->g.act_act) {
        /* groups that end inside the tile (a group also ends at K) */
        int64_t g = x->c->group_size, k1 = t->k0 + tk;
        int64_t ends = k1 / g - t->k0 / g + (k1 == x->g.k && k1 % g ? 1 : 0);
        ev->dequant_ops += tm * tn * ends;
    }
    if (pt->xsum && !x->g.act_act)
        ev->xsum_ops += tm * tk;
}

static void step_load_bits(const Ctx *x, const MapStep *st, int64_t *wb, int64_t *xb)
{
    *wb = st->load_w ? map_block_bits(x->p.w_bits, st->nb, st->kb) : 0;
    *xb = st->load_x ? map_block_bits(x->p.x_bits, st->mb, st->kb) : 0;
}

static int64_t step_store_bits(const Ctx *x, const MapStep *st)
{
    return st->last_k ? st->mb * st->nb * (int64_t)x->pt.out_bits : 0;
}

static void count_transfers(SimEvents *ev, int64_t wb, int64_t xb, int64_t yb)
{
    ev->dram_read_bits += wb + xb;
    ev->sram_write_bits[BUF_W] += wb;
    ev->sram_write_bits[BUF_X] += xb;
    ev->dram_write_bits += yb;
    ev->sram_read_bits[BUF_Y] += yb;
}

/* Which output block a step belongs to (its index in schedule order). */
typedef struct BlockTrack {
    int64_t cur, *store_end; /* store completion time per block (ring of 2 is enough) */
} BlockTrack;

/* ------------------------------------------------------------------ fast fidelity */

static int64_t xfer(const Ctx *x, int64_t *chan_free, int64_t issue, int64_t bits)
{
    if (bits == 0)
        return issue;
    int64_t start = max64(issue, *chan_free);
    *chan_free = start + x->c->dram_latency_cycles + cdiv(bits, x->dram_bw);
    return *chan_free;
}

static int64_t step_compute_fast(const Ctx *x, const MapStep *st, SimEvents *ev, int64_t *ntiles)
{
    TileIter it = {x, st, 0, 0};
    Tile t;
    int64_t cyc = 0;
    while (tile_next(&it, &t)) {
        cyc += pe_tile_cycles(x->c, &x->pt, &t);
        int64_t steps = cdiv(t.tk, x->pt.lanes);
        ev->pe_busy += (int64_t)t.tm * t.tn * steps * x->pt.step_cycles;
        tile_events(x, &t, ev);
        (*ntiles)++;
    }
    return cyc;
}

static int engine_fast(const Ctx *x, SimResult *r)
{
    SimEvents *ev = &r->ev;
    int64_t it = 0, chan = 0, ce_prev = 0, store_end[2] = {0, 0}, block = -1, last_end = 0;
    MapStep st, next;
    int have = map_next_step(&x->p, &x->mp, &it, &st);
    int64_t wb, xb;
    step_load_bits(x, &st, &wb, &xb);
    int64_t lend = xfer(x, &chan, 0, wb);
    lend = max64(lend, xfer(x, &chan, 0, xb));
    count_transfers(ev, wb, xb, 0);
    while (have) {
        int have_next = map_next_step(&x->p, &x->mp, &it, &next);
        if (st.first_k)
            block++;
        int64_t cs;
        if (x->c->double_buffer) {
            cs = max64(ce_prev, lend);
            if (st.first_k && block >= 2)
                cs = max64(cs, store_end[block % 2]);
        } else {
            cs = max64(ce_prev, lend);
        }
        int64_t nl = 0; /* next step's loads: issued at compute start when double-buffered */
        int64_t nwb = 0, nxb = 0;
        if (have_next)
            step_load_bits(x, &next, &nwb, &nxb);
        if (have_next && x->c->double_buffer) {
            nl = xfer(x, &chan, cs, nwb);
            nl = max64(nl, xfer(x, &chan, cs, nxb));
            count_transfers(ev, nwb, nxb, 0);
        }
        int64_t cc = step_compute_fast(x, &st, ev, &r->tiles);
        int64_t ce = cs + cc;
        ev->compute_cycles += cc;
        int64_t yb = step_store_bits(x, &st), after = ce;
        if (yb) {
            after = xfer(x, &chan, ce, yb);
            store_end[block % 2] = after;
            count_transfers(ev, 0, 0, yb);
        }
        last_end = max64(last_end, after);
        if (have_next && !x->c->double_buffer) {
            nl = xfer(x, &chan, after, nwb);
            nl = max64(nl, xfer(x, &chan, after, nxb));
            count_transfers(ev, nwb, nxb, 0);
            ce = after; /* sequential: the next step waits for the store too */
        }
        ce_prev = ce;
        lend = nl;
        st = next;
        have = have_next;
    }
    ev->cycles = max64(last_end, ce_prev);
    return MP_OK;
}

/* ------------------------------------------------------------------ cycle fidelity */

/* The DRAM channel, ticked: a FIFO of transfers; the head counts down its latency, then moves
 * bits_per_cycle bits per cycle. A transfer issued while the channel is busy waits. */
typedef struct Xfer {
    int64_t lat_left, bits_left;
    int id; /* completion flag index */
} Xfer;

typedef struct Chan {
    Xfer *q;
    int head, tail, cap;
    int64_t bw;
    int *done;      /* done[id] = 1 when complete */
} Chan;

static int chan_push(Chan *ch, int64_t lat, int64_t bits, int id)
{
    if (bits == 0) {
        ch->done[id] = 1;
        return 0;
    }
    if (ch->tail == ch->cap)
        return -1;
    ch->q[ch->tail++] = (Xfer){lat, bits, id};
    return 0;
}

static void chan_tick(Chan *ch)
{
    if (ch->head == ch->tail)
        return;
    Xfer *h = &ch->q[ch->head];
    if (h->lat_left > 0)
        h->lat_left--;
    else
        h->bits_left -= ch->bw;
    if (h->lat_left == 0 && h->bits_left <= 0) {
        ch->done[h->id] = 1;
        ch->head++;
    }
}

static int chan_idle(const Chan *ch) { return ch->head == ch->tail; }

static int engine_cycle(const Ctx *x, ArrayData *data, SimResult *r, MpErr *e)
{
    SimEvents *ev = &r->ev;
    const int64_t S = x->mp.steps;
    Array *arr = NULL;
    int rc = array_create(x->c, &arr, e);
    if (rc)
        return rc;
    MapStep *steps = mp_calloc((size_t)S, sizeof *steps);
    /* completion flags: loads W,X of each step (2S), stores of each step (S) */
    int *done = mp_calloc((size_t)(3 * S + 1), sizeof *done);
    Chan ch = {mp_calloc((size_t)(3 * S + 1), sizeof(Xfer)), 0, 0, (int)(3 * S + 1), x->dram_bw, done};
    int64_t *store_of_block = mp_calloc((size_t)S + 1, sizeof *store_of_block); /* step index of each block's store */
    if (!steps || !done || !ch.q || !store_of_block) {
        rc = mp_errf(e, MP_ENOMEM, "out of memory in the cycle engine");
        goto out;
    }
    int64_t it = 0;
    for (int64_t s = 0; s < S; s++)
        map_next_step(&x->p, &x->mp, &it, &steps[s]);
    const int64_t lat = x->c->dram_latency_cycles;
    int64_t now = 0, block = -1;
#define LOADW(s) (int)(2 * (s))
#define LOADX(s) (int)(2 * (s) + 1)
#define STORE(s) (int)(2 * S + (s))
    {
        int64_t wb, xb;
        step_load_bits(x, &steps[0], &wb, &xb);
        chan_push(&ch, lat, wb, LOADW(0));
        chan_push(&ch, lat, xb, LOADX(0));
        count_transfers(ev, wb, xb, 0);
    }
    int64_t prev_store = -1; /* single buffer: the previous step's store must finish first */
    for (int64_t s = 0; s < S; s++) {
        const MapStep *st = &steps[s];
        if (st->first_k)
            store_of_block[++block] = -1;
        /* wait (ticking) until the step's data are in and its output slot is free */
        for (;;) {
            int ready = done[LOADW(s)] && done[LOADX(s)];
            if (st->first_k && block >= 2 && x->c->double_buffer) {
                int64_t sb = store_of_block[block - 2];
                ready = ready && (sb < 0 || done[STORE(sb)]);
            }
            if (!x->c->double_buffer && prev_store >= 0)
                ready = ready && done[STORE(prev_store)];
            if (ready)
                break;
            chan_tick(&ch);
            now++;
        }
        if (!x->c->double_buffer && s > 0) {
            /* sequential: this step's loads were issued after the previous store; nothing to do */
        }
        if (x->c->double_buffer && s + 1 < S) { /* issue the next step's loads at compute start */
            int64_t wb, xb;
            step_load_bits(x, &steps[s + 1], &wb, &xb);
            chan_push(&ch, lat, wb, LOADW(s + 1));
            chan_push(&ch, lat, xb, LOADX(s + 1));
            count_transfers(ev, wb, xb, 0);
        }
        /* compute: every tile, ticked inside the array; the channel ticks alongside */
        TileIter ti = {x, st, 0, 0};
        Tile t;
        int64_t cc = 0;
        while (tile_next(&ti, &t)) {
            int64_t tc, busy;
            if ((rc = array_run_tile(arr, &x->pt, x->kind, &t, data, &tc, &busy, e)) != MP_OK)
                goto out;
            for (int64_t i = 0; i < tc; i++)
                chan_tick(&ch);
            cc += tc;
            ev->pe_busy += busy;
            tile_events(x, &t, ev);
            r->tiles++;
        }
        now += cc;
        ev->compute_cycles += cc;
        int64_t yb = step_store_bits(x, st);
        if (yb) {
            chan_push(&ch, lat, yb, STORE(s));
            count_transfers(ev, 0, 0, yb);
            store_of_block[block] = s;
            prev_store = s;
        } else
            done[STORE(s)] = 1;
        if (!x->c->double_buffer && s + 1 < S) {
            /* sequential: wait for the store, then load the next step */
            while (!done[STORE(s)]) {
                chan_tick(&ch);
                now++;
            }
            int64_t wb, xb;
            step_load_bits(x, &steps[s + 1], &wb, &xb);
            chan_push(&ch, lat, wb, LOADW(s + 1));
            chan_push(&ch, lat, xb, LOADX(s + 1));
            count_transfers(ev, wb, xb, 0);
        }
    }
    while (!chan_idle(&ch)) { /* the last stores drain */
        chan_tick(&ch);
        now++;
    }
    ev->cycles = now;
#undef LOADW
#undef LOADX
#undef STORE
out:
    array_destroy(arr);
    mp_free(steps);
    mp_free(done);
    mp_free(ch.q);
    mp_free(store_of_block);
    return rc;
}

/* ------------------------------------------------------------------ datapaths */

PeKindId sim_datapath_kind(const ArchConfig *c, int act_act)
{
    if (!act_act)
        return (PeKindId)c->pe_kind;
    /* activation x activation: the first kind whose datapath takes both operands in this kind's
     * activation scheme (fp16 -> the fp16 MAC, int8 per token -> the int8 MAC; OliVe and ANT:
     * their own integer <e,i> PE) */
    const QScheme xs = pe_kinds[c->pe_kind].xscheme;
    for (int k = 0; k < PE_KIND_COUNT; k++)
        if (pe_kinds[k].wscheme == xs && pe_kinds[k].xscheme == xs)
            return (PeKindId)k;
    return (PeKindId)c->pe_kind;
}

void sim_operand_params(const ArchConfig *c, int act_act, QParams *wq, QParams *xq)
{
    const NumFormat *nf = num_format_for_kind((PeKindId)c->pe_kind, c->weight_bits);
    *wq = nf->wq;
    *xq = nf->xq;
    if (wq->scheme == QS_ASYM_GROUP || wq->scheme == QS_BITMOD)
        wq->group = c->group_size;
    if (act_act)
        *wq = nf->xq; /* the second operand is an activation too */
}

/* ------------------------------------------------------------------ entry */

static int limit_from_env(const char *name, int64_t def, int64_t *out, MpErr *e)
{
    const char *v = getenv(name);
    *out = def;
    if (!v)
        return MP_OK;
    if (mp_parse_i64(v, out) != 0 || *out < 1)
        return mp_errf(e, MP_EINPUT, "%s='%s': expected a whole number >= 1", name, v);
    return MP_OK;
}

int sim_limits(SimLimits *l, MpErr *e)
{
    int rc = limit_from_env("MPSIM_MAX_STEPS", SIM_MAX_STEPS_DEFAULT, &l->max_steps, e);
    if (rc == MP_OK)
        rc = limit_from_env("MPSIM_MAX_PE_CYCLES", SIM_MAX_PE_CYCLES_DEFAULT, &l->max_pe_cycles, e);
    return rc;
}

int sim_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const MapForce *force, ArrayData *data,
             SimResult *r, MpErr *e)
{
    memset(r, 0, sizeof *r);
    if (g->m < 1 || g->n < 1 || g->k < 1)
        return mp_errf(e, MP_EINPUT, "GEMM %lldx%lldx%lld: every dimension must be >= 1", (long long)g->m,
                       (long long)g->n, (long long)g->k);
    if (g->m > MAP_DIM_MAX || g->n > MAP_DIM_MAX || g->k > MAP_DIM_MAX)
        return mp_errf(e, MP_EINPUT, "GEMM %lldx%lldx%lld: dimensions above 2^30 are not supported", (long long)g->m,
                       (long long)g->n, (long long)g->k);
    if (g->m * g->n > MAP_ELEMS_MAX || g->m * g->k > MAP_ELEMS_MAX || g->n * g->k > MAP_ELEMS_MAX)
        return mp_errf(e, MP_EINPUT, "GEMM %lldx%lldx%lld: an operand or the output above 2^50 elements is not supported",
                       (long long)g->m, (long long)g->n, (long long)g->k);
    Ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.g = *g;
    x.pt = g->act_act ? pe_timing_act_act(c) : pe_timing(c);
    x.kind = sim_datapath_kind(c, g->act_act);
    x.bw = (int64_t)c->sram_banks * c->sram_port_bits;
    x.dram_bw = c->dram_bits_per_cycle;
    sim_map_problem(c, g, &x.p);
    int rc = map_choose(&x.p, force, &x.mp, e);
    if (rc)
        return rc;
    SimLimits lim;
    rc = sim_limits(&lim, e);
    if (rc)
        return rc;
    if (x.mp.steps > lim.max_steps)
        return mp_errf(e, MP_EINPUT,
                       "GEMM %lldx%lldx%lld: its mapping (blocks %lldx%lldx%lld) takes %lld steps, above the work "
                       "limit of %lld (raise it with MPSIM_MAX_STEPS=N, or map with larger blocks)",
                       (long long)g->m, (long long)g->n, (long long)g->k, (long long)x.mp.bm, (long long)x.mp.bn,
                       (long long)x.mp.bk, (long long)x.mp.steps, (long long)lim.max_steps);
    r->map = x.mp;
    if (fid == FID_FAST)
        rc = engine_fast(&x, r);
    else {
        /* the cycle count is known exactly before simulating (fast == cycle): refuse what would
         * take too long, before anything is allocated */
        rc = engine_fast(&x, r);
        const int64_t pes = (int64_t)c->rows * c->cols;
        if (rc == MP_OK && r->ev.cycles > lim.max_pe_cycles / pes)
            return mp_errf(e, MP_EINPUT,
                           "GEMM %lldx%lldx%lld: %lld cycles on %lld PEs is above the cycle-fidelity work limit of "
                           "%lld PE-cycles (raise it with MPSIM_MAX_PE_CYCLES=N, or use --fidelity fast)",
                           (long long)g->m, (long long)g->n, (long long)g->k, (long long)r->ev.cycles,
                           (long long)pes, (long long)lim.max_pe_cycles);
        if (rc == MP_OK) {
            memset(r, 0, sizeof *r);
            r->map = x.mp;
            rc = engine_cycle(&x, data, r, e);
        }
    }
    if (rc)
        return rc;
    r->ev.stall_cycles = r->ev.cycles - r->ev.compute_cycles;
    r->ev.pe_total = (int64_t)c->rows * c->cols * r->ev.cycles;
    /* peak MACs per PE-cycle of this GEMM: lanes per step time (attention runs at 1) */
    r->ev.mac_capacity = r->ev.pe_total * x.pt.lanes / x.pt.step_cycles;
    return MP_OK;
}
