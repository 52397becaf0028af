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
#include "models/opfmt.h"
#include "sim/mapper.h"

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
    int em, en, ek;     /* array edges the token, channel and (WS) K extents lie along */
    int64_t bw;         /* SRAM bits per cycle per buffer */
    int64_t dram_bw;    /* DRAM bits per cycle            */
    int64_t kmod;       /* a tile's timing and events depend on k0 only modulo this (the weight group
                         * when metadata, group dequant or the dequantizer's wait count groups; else 1) */
} Ctx;

int sim_store_fmt(const ArchConfig *c, int store)
{
    return store == SIM_STORE_KV ? config_kv_fmt(c) : store == SIM_STORE_FP16 ? OPF_FP16 : config_out_fmt(c);
}

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
    /* DRAM holds the operand formats (the config's, resolved): weights as the kind stores them,
     * activations as the producer stored them (x_store: a layer's out_format, or the softmax's
     * fp16), an attention GEMM's second operand as the KV cache stores it, outputs as y_store says */
    p->w_dram_bits = g->act_act ? opfmt_act_bits((OpFmtId)config_kv_fmt(c), g->k) : p->w_bits;
    p->x_dram_bits = opfmt_act_bits((OpFmtId)sim_store_fmt(c, g->x_store), g->k);
    p->y_dram_bits = opfmt_act_bits((OpFmtId)sim_store_fmt(c, g->y_store), g->n);
    p->wbuf_bits = (int64_t)c->sram_weight_kib * 8192;
    p->xbuf_bits = (int64_t)c->sram_act_kib * 8192;
    p->ybuf_bits = (int64_t)c->sram_out_kib * 8192;
    p->double_buffer = c->double_buffer;
    /* attention: the mask's keys lie along N (QK^T) or K (PV); fused operands stay on chip */
    p->causal = g->causal;
    p->causal_off = g->causal == MAP_CAUSAL_N ? g->n - g->m : g->causal == MAP_CAUSAL_K ? g->k - g->m : 0;
    p->x_onchip = g->x_onchip;
    p->y_onchip = g->y_onchip;
}

/* ------------------------------------------------------------------ tiles of a step */

/* The tiles of a step, in order: OS visits output tiles (token-edge tiles outer); WS visits
 * channel tiles outer and K passes of (K edge) * lanes inner, streaming the whole M block. */
typedef struct TileIter {
    const Ctx *x;
    const MapStep *st;
    int64_t a, b; /* loop counters */
} TileIter;

static int tile_next(TileIter *it, Tile *t)
{
    const Ctx *x = it->x;
    const MapStep *st = it->st;
    t->trans = x->mp.trans;
    if (x->c->dataflow == DATAFLOW_OS) {
        int64_t na = cdiv(st->mb, x->em), nb = cdiv(st->nb, x->en);
        if (it->a >= na)
            return 0;
        t->m0 = st->m0 + it->a * x->em;
        t->n0 = st->n0 + it->b * x->en;
        t->k0 = st->k0;
        t->tm = (int)min64(x->em, st->m0 + st->mb - t->m0);
        t->tn = (int)min64(x->en, st->n0 + st->nb - t->n0);
        t->tk = (int)st->kb;
        t->first_k = st->first_k;
        t->last_k = st->last_k;
        if (++it->b == nb) {
            it->b = 0;
            it->a++;
        }
        return 1;
    }
    const int64_t kp = (int64_t)x->ek * x->pt.lanes; /* k per pass */
    int64_t na = cdiv(st->nb, x->en), nb = cdiv(st->kb, kp);
    if (it->a >= na)
        return 0;
    t->m0 = st->m0;
    t->n0 = st->n0 + it->a * x->en;
    t->k0 = st->k0 + it->b * kp;
    t->tm = (int)st->mb;
    t->tn = (int)min64(x->en, st->n0 + st->nb - t->n0);
    t->tk = (int)min64(kp, st->k0 + st->kb - t->k0);
    t->first_k = st->first_k && it->b == 0;
    t->last_k = st->last_k && it->b == nb - 1;
    if (++it->b == nb) {
        it->b = 0;
        it->a++;
    }
    return 1;
}

/* The tile after `cur` in schedule order, as its preload needs it (sim/petime.h, NextTile): *it is
 * the iterator of cur's step (copied, not advanced); next_step the following step or NULL. Returns
 * 0 when cur is the GEMM's last tile. */
static int next_tile(const Ctx *x, const TileIter *it, const Tile *cur, const MapStep *next_step, NextTile *nx,
                     TilePhases *ph)
{
    TileIter a = *it, b;
    Tile t;
    int have = tile_next(&a, &t);
    if (!have && next_step) {
        b = (TileIter){x, next_step, 0, 0};
        have = tile_next(&b, &t);
    }
    if (!have)
        return 0;
    const TilePhases p = pe_tile_phases(x->c, &x->pt, &t);
    if (ph) /* the next tile's phases, for a caller that places it next (fast fidelity) */
        *ph = p;
    nx->load = p.load;
    nx->same = t.m0 == cur->m0 && t.n0 == cur->n0;
    return 1;
}

/* Events of one tile other than cycles and PE busy time, and its share of the resources' own
 * cycles (same formulas in both fidelities: they count what the tile moves). The ingest and
 * compute shares are kept in PE-cycle units x edge / array size and divided at the end
 * (finish_resources), so that no rounding happens per tile. */
static void tile_events(const Ctx *x, const Tile *t, SimEvents *ev, SimResult *r)
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
    if (pt->edge_decoders & PE_DEC_W)
        ev->decoder_ops += tn * tk;
    if (pt->edge_decoders & PE_DEC_X)
        ev->decoder_ops += tm * tk;
    if (t->last_k)
        ev->rescale_ops += tm * tn * pt->out_muls;
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

    /* resources: the streamed part of the tile and what each edge, port and the PEs need for it */
    const int64_t steps = cdiv(tk, pt->lanes), sc = pt->step_cycles, se = pe_tile_step(x->c, pt, t);
    const int64_t port = se > sc ? se : 0; /* the SRAM ports set the pace when slower than the PE */
    if (x->c->dataflow == DATAFLOW_OS) {
        r->stream += steps * se;
        r->res[SIM_RES_W_INGEST] += tn * steps * sc;          /* / en at the end */
        r->res[SIM_RES_X_INGEST] += tm * steps * sc;          /* / em            */
        r->res[SIM_RES_SRAM_PORT] += steps * port;
    } else {
        r->stream += tm * se;
        r->res[SIM_RES_W_INGEST] += pe_tile_phases(x->c, pt, t).load * x->en; /* preload: / en */
        r->res[SIM_RES_X_INGEST] += tm * steps * sc;          /* / ek            */
        r->res[SIM_RES_SRAM_PORT] += tm * port;
    }
}

/* DRAM bits of a step's loads and store; an on-chip operand moves none (its block is then ready
 * at once, like a resident one, and takes no channel time). */
static void step_load_bits(const Ctx *x, const MapStep *st, int64_t *wb, int64_t *xb)
{
    *wb = st->load_w ? map_block_bits(x->p.w_dram_bits, st->nb, st->kb) : 0;
    *xb = st->load_x && !x->p.x_onchip ? map_block_bits(x->p.x_dram_bits, st->mb, st->kb) : 0;
}

static int64_t step_store_bits(const Ctx *x, const MapStep *st)
{
    return st->last_k && !x->p.y_onchip ? map_block_bits(x->p.y_dram_bits, st->mb, st->nb) : 0;
}

/* The conversions on the DMA path between a stored format and the one the array takes or gives
 * (docs/simulator.md, "Operand formats"): into an integer format a scale-and-round per element
 * (after a max reduction for a dynamic per-token scale, and OliVe's outlier-victim pair encoder);
 * out of one a multiply by its scale; fp32 -> fp16 one rounding. */
static void count_conversions(SimEvents *ev, OpFmtId from, OpFmtId to, int64_t elems)
{
    if (from == to || !elems)
        return;
    const OpFmt *t = &op_fmts[to];
    if (!opfmt_is_float(to)) {
        ev->requant_ops += elems;
        ev->requant_max_ops += t->dynamic ? elems : 0;
        ev->ovp_ops += t->ovp ? elems : 0;
    } else if (!opfmt_is_float(from)) {
        ev->requant_ops += elems; /* dequantize: times the scale */
    } else if (to == OPF_FP16) {
        ev->round_ops += elems;
    }
}

/* Transfer events of a step's loads (wb, xb: its DRAM bits, step_load_bits) or of its store (yb);
 * the DRAM channel's own cycles count each transfer's latency and beats. The output buffer is read
 * at its own width for a store. An on-chip X block (x_onchip: P, left in the output buffer by the
 * QK^T phase) is still written into the activation buffer, and read out of the output buffer at
 * x_bits per element, but moves no DRAM bit and needs no DMA-path conversion; an on-chip output
 * (y_onchip) is not stored at all (yb = 0: its consumer's x_onchip read counts the output buffer). */
static void count_transfers(const Ctx *x, SimResult *r, const MapStep *st, int64_t wb, int64_t xb, int64_t yb)
{
    SimEvents *ev = &r->ev;
    const ArchConfig *c = x->c;
    const int loads = yb == 0, lx = loads && st->load_x; /* a load call: does the step take an X block */
    ev->dram_read_bits += wb + xb;
    ev->sram_write_bits[BUF_W] += map_block_bits(x->p.w_bits, wb ? st->nb : 0, st->kb);
    ev->sram_write_bits[BUF_X] += map_block_bits(x->p.x_bits, lx ? st->mb : 0, st->kb);
    if (lx && x->p.x_onchip)
        ev->sram_read_bits[BUF_Y] += map_block_bits(x->p.x_bits, st->mb, st->kb);
    ev->dram_write_bits += yb;
    ev->sram_read_bits[BUF_Y] += yb ? st->mb * st->nb * (int64_t)x->p.out_bits : 0;
    if (wb && x->g.act_act)
        count_conversions(ev, (OpFmtId)config_kv_fmt(c), (OpFmtId)config_act_fmt(c), st->nb * st->kb);
    if (xb)
        count_conversions(ev, (OpFmtId)sim_store_fmt(c, x->g.x_store), (OpFmtId)config_act_fmt(c), st->mb * st->kb);
    if (yb)
        count_conversions(ev, OPF_FP32, (OpFmtId)sim_store_fmt(c, x->g.y_store), st->mb * st->nb);
    const int64_t b[3] = {wb, xb, yb};
    for (int i = 0; i < 3; i++)
        if (b[i])
            r->res[SIM_RES_DRAM] += x->c->dram_latency_cycles + cdiv(b[i], x->dram_bw);
}

/* ------------------------------------------------------------------ fast fidelity */

static int64_t xfer(const Ctx *x, int64_t *chan_free, int64_t issue, int64_t bits)
{
    if (bits == 0)
        return issue;
    int64_t start = max64(issue, *chan_free);
    *chan_free = start + x->c->dram_latency_cycles + cdiv(bits, x->dram_bw);
    return *chan_free;
}

/* The schedule of `count` instances: each instance's steps (map_next_step) one after another. */
typedef struct StepIt {
    int64_t it, inst;
} StepIt;

static int64_t instances(const Ctx *x) { return x->g.count > 1 ? x->g.count : 1; }

static int inst_next_step(const Ctx *x, StepIt *si, MapStep *st)
{
    if (map_next_step(&x->p, &x->mp, &si->it, st))
        return 1;
    if (si->inst + 1 >= instances(x))
        return 0;
    si->inst++;
    si->it = 0;
    return map_next_step(&x->p, &x->mp, &si->it, st);
}

/* Runs of identical tiles (fast fidelity only). Inside a step, consecutive tiles with the same shape
 * and K range differ only in where their outputs go. The array's timeline is a max-plus recurrence
 * (pe_pipe_tile): once two consecutive identical tiles have moved every live part of the state
 * (acc_free, drain_free, shadow_free, pre_end) by the same d > 0, with the operands' ready time no
 * longer binding, every further identical tile moves it by d again (max-plus homogeneity) and adds
 * the same events. run_skip then jumps over the run's remaining tiles but its last (whose successor,
 * and so whose preload, may differ) in one step. The cycle engine ticks every tile; the randomized
 * fast == cycle test covers both. */
typedef struct TileRun {
    Tile key;             /* the last tile's shape (m0, n0 cleared)                   */
    int n;                /* identical tiles seen in a row                            */
    ArrayPipe st[2];      /* the state after the last two of them                     */
    int64_t start[2], busy[2];
} TileRun;

static int same_shape(const Tile *a, const Tile *b)
{
    return a->tm == b->tm && a->tn == b->tn && a->tk == b->tk && a->k0 == b->k0 && a->first_k == b->first_k &&
           a->last_k == b->last_k && a->trans == b->trans;
}

/* The iterator's two loop extents: OS token-edge tiles (outer) and channel-edge tiles (inner); WS
 * channel-edge tiles (outer) and K passes (inner). */
static void tile_iter_extents(const TileIter *it, int64_t *na, int64_t *nb)
{
    const Ctx *x = it->x;
    const MapStep *st = it->st;
    if (x->c->dataflow == DATAFLOW_OS) {
        *na = cdiv(st->mb, x->em);
        *nb = cdiv(st->nb, x->en);
    } else {
        *na = cdiv(st->nb, x->en);
        *nb = cdiv(st->kb, (int64_t)x->ek * x->pt.lanes);
    }
}

/* Skip n tiles (there are at least n left). */
static void tile_iter_advance(TileIter *it, int64_t n)
{
    int64_t na, nb;
    tile_iter_extents(it, &na, &nb);
    const int64_t i = it->a * nb + it->b + n;
    it->a = i / nb;
    it->b = i % nb;
}

/* How many tiles from the iterator's position on have the shape `key` (same_shape), in a row, in
 * closed form: walking them with tile_next gives the same. OS: every tile of a step has its K range
 * and flags; a tile's tm differs only in the last token-edge row (a partial tile) and its tn only
 * in the last channel-edge column, so a run ends inside a row at a partial last column, else runs
 * over whole rows while tm stays. WS: consecutive tiles differ in k0 unless the step has one K
 * pass; then only the last channel tile's tn differs. */
static int64_t tile_run_len(const TileIter *it, const Tile *key)
{
    const Ctx *x = it->x;
    const MapStep *st = it->st;
    int64_t na, nb;
    tile_iter_extents(it, &na, &nb);
    if (it->a >= na)
        return 0;
    if (x->c->dataflow == DATAFLOW_OS) {
        if (key->tk != st->kb || key->k0 != st->k0 || key->first_k != st->first_k || key->last_k != st->last_k ||
            key->trans != x->mp.trans)
            return 0;
        const int64_t tm_a = min64(x->em, st->mb - it->a * x->em), tm_last = st->mb - (na - 1) * x->em;
        const int64_t tn_b = min64(x->en, st->nb - it->b * x->en), tn_last = st->nb - (nb - 1) * x->en;
        if (tm_a != key->tm || tn_b != key->tn)
            return 0;
        const int64_t endb = tn_last == key->tn ? nb : nb - 1; /* columns [b, endb) match */
        if (endb < nb)
            return endb - it->b;
        const int64_t enda = tm_last == key->tm ? na : na - 1; /* rows [a, enda) match */
        return (nb - it->b) + (enda - it->a - 1) * nb;
    }
    if (nb != 1)
        return 0; /* the next tile is another K pass (or the first pass after the last): another k0 */
    const int64_t tn_a = min64(x->en, st->nb - it->a * x->en), tn_last = st->nb - (na - 1) * x->en;
    if (key->tm != st->mb || key->tn != tn_a || key->tk != st->kb || key->k0 != st->k0 ||
        key->first_k != st->first_k || key->last_k != st->last_k || key->trans != x->mp.trans)
        return 0;
    const int64_t enda = tn_last == key->tn ? na : na - 1;
    return enda - it->a;
}

static void run_skip(const Ctx *x, TileRun *run, TileIter *ti, const Tile *t, int64_t start, int64_t ready,
                     int64_t busy, ArrayPipe *ap, int64_t *busy_end, SimResult *r)
{
    Tile key = *t;
    key.m0 = key.n0 = 0;
    if (run->n == 0 || !same_shape(&run->key, &key))
        run->n = 0;
    run->key = key;
    run->st[0] = run->st[1];
    run->st[1] = *ap;
    run->start[0] = run->start[1];
    run->start[1] = start;
    run->busy[0] = run->busy[1];
    run->busy[1] = busy;
    if (++run->n < 3)
        return;
    const ArrayPipe *a = &run->st[0], *b = &run->st[1];
    const int64_t d = b->acc_free - a->acc_free;
    if (d <= 0 || b->drain_free - a->drain_free != d || run->start[1] - run->start[0] != d ||
        run->busy[1] != run->busy[0] || run->start[0] <= ready)
        return;
    if (x->c->dataflow == DATAFLOW_WS && b->shadow_free - a->shadow_free != d)
        return;
    if ((a->pre_end < 0) != (b->pre_end < 0) || (b->pre_end >= 0 && b->pre_end - a->pre_end != d))
        return;
    /* how many identical tiles follow; all but the last are skipped */
    const int64_t k = tile_run_len(ti, &key);
    const int64_t skip = k - 1;
    if (skip <= 0)
        return;
    SimResult one;
    memset(&one, 0, sizeof one);
    tile_events(x, t, &one.ev, &one);
    sim_events_add(&r->ev, &one.ev, skip);
    for (int i = 0; i < SIM_RES_COUNT; i++)
        r->res[i] += skip * one.res[i];
    r->stream += skip * one.stream;
    r->ev.pe_busy += skip * (int64_t)t->tm * t->tn * cdiv(t->tk, x->pt.lanes) * x->pt.step_cycles;
    r->ev.compute_cycles += skip * busy;
    r->tiles += skip;
    ap->acc_free += skip * d;
    ap->drain_free += skip * d;
    ap->shadow_free += x->c->dataflow == DATAFLOW_WS ? skip * d : 0;
    if (ap->pre_end >= 0)
        ap->pre_end += skip * d;
    *busy_end += skip * d;
    tile_iter_advance(ti, skip);
    run->n = 0; /* the state history no longer holds consecutive tiles */
}

/* The DMA queue is in program order: step s's store is queued when its outputs are in the output
 * buffer (ce_s), the loads of step s+1 when step s starts computing (cs_s, double-buffered) but
 * never before the previous step's store is queued: issue = max(cs_s, ce_{s-1}). Without double
 * buffering everything is sequential: the loads of s+1 are queued when the store of s is done. */
typedef struct FastEng {
    int64_t chan, ce_prev, store_end[2], last_end, busy_end, lend;
    int64_t block; /* output blocks begun so far, minus one */
    ArrayPipe ap;
} FastEng;

/* The fast engine's state at a step or instance boundary, for periodic extrapolation (below). */
#define FAST_T 11
typedef struct FastState {
    int64_t t[FAST_T]; /* every time of the state; -1 = not yet set (pre_end: none) */
    int64_t block, inst;
    SimResult r;       /* what has been counted so far */
} FastState;

/* The state's times, in FastState.t order (shadow_free is WS's, pre_end OS's: the other is unused) */
static void fast_times(const Ctx *x, FastEng *f, int64_t *tv[FAST_T])
{
    const int os = x->c->dataflow == DATAFLOW_OS;
    int64_t *v[FAST_T] = {&f->chan,        &f->ce_prev,     &f->store_end[0], &f->store_end[1],
                          &f->last_end,    &f->busy_end,    &f->ap.acc_free,  &f->ap.drain_free,
                          os ? NULL : &f->ap.shadow_free,  os ? &f->ap.pre_end : NULL, &f->lend};
    memcpy(tv, v, sizeof v);
}

static void fast_snap(const Ctx *x, FastEng *f, int64_t inst, const SimResult *r, FastState *s)
{
    int64_t *tv[FAST_T];
    fast_times(x, f, tv);
    for (int i = 0; i < FAST_T; i++)
        s->t[i] = tv[i] ? *tv[i] : -1;
    s->block = f->block;
    s->inst = inst;
    s->r = *r;
}

/* True if every count moved by the same amount from a to b as from b to c. */
static int same_delta(const SimResult *a, const SimResult *b, const SimResult *c)
{
    const int64_t *ea = (const int64_t *)&a->ev, *eb = (const int64_t *)&b->ev, *ec = (const int64_t *)&c->ev;
    for (size_t i = 0; i < sizeof a->ev / sizeof(int64_t); i++)
        if (ec[i] - eb[i] != eb[i] - ea[i])
            return 0;
    for (int i = 0; i < SIM_RES_COUNT; i++)
        if (c->res[i] - b->res[i] != b->res[i] - a->res[i])
            return 0;
    return c->stream - b->stream == b->stream - a->stream && c->tiles - b->tiles == b->tiles - a->tiles;
}

/* True if b's times are a's moved by one d > 0 (*d), with the same unset ones; with `slots` 0 the
 * output-block slots (t[2], t[3]) are left out. */
static int shifted(const FastState *a, const FastState *b, int64_t *d, int slots)
{
    *d = b->t[6] - a->t[6]; /* acc_free: always set */
    if (*d <= 0)
        return 0;
    for (int i = 0; i < FAST_T; i++) {
        if (!slots && (i == 2 || i == 3))
            continue;
        if ((a->t[i] < 0) != (b->t[i] < 0))
            return 0;
        if (b->t[i] >= 0 && b->t[i] - a->t[i] != *d)
            return 0;
    }
    return 1;
}

/* True if the last three snapshots (p instances apart) show a uniform shift: every time moved by
 * the same d > 0 twice, every count by the same amount twice, and the output-block parity repeats. */
static int periodic(const FastState *a, const FastState *b, const FastState *c, int64_t p, int64_t *d)
{
    int64_t d2;
    if (c->inst - b->inst != p || b->inst - a->inst != p || (c->block - b->block) % 2 != 0 ||
        c->block - b->block != b->block - a->block)
        return 0;
    if (!shifted(a, b, d, 1) || !shifted(b, c, &d2, 1) || d2 != *d)
        return 0;
    return same_delta(&a->r, &b->r, &c->r);
}

/* Move the state and the counts on by n periods of (d, the counts from a to b); with `slots` 0 the
 * output-block slots stay (no period touches them). */
static void fast_advance(const Ctx *x, FastEng *f, SimResult *r, const FastState *a, const FastState *b, int64_t d,
                         int64_t n, int slots)
{
    const int64_t *ea = (const int64_t *)&a->r.ev, *eb = (const int64_t *)&b->r.ev;
    int64_t *er = (int64_t *)&r->ev;
    for (size_t i = 0; i < sizeof r->ev / sizeof(int64_t); i++)
        er[i] += n * (eb[i] - ea[i]);
    for (int i = 0; i < SIM_RES_COUNT; i++)
        r->res[i] += n * (b->r.res[i] - a->r.res[i]);
    r->stream += n * (b->r.stream - a->r.stream);
    r->tiles += n * (b->r.tiles - a->r.tiles);
    int64_t *tv[FAST_T];
    fast_times(x, f, tv);
    for (int i = 0; i < FAST_T; i++)
        if (tv[i] && *tv[i] >= 0 && (slots || (i != 2 && i != 3)))
            *tv[i] += n * d;
    f->block += n * (b->block - a->block);
}

/* Step-level periodic jumps (fast fidelity only). A step's work depends on the state and on the
 * step and the one after it, through their shapes, K position and flags (step_key) and whether the
 * next step's first tile continues the last one's outputs (step_link); never on where the block
 * lies otherwise. The recurrence is max-plus homogeneous: if the state at step s is the state at
 * step s-q moved by a uniform d (every time +d, the same unset ones, the output-block slots taken
 * relative to the current block's parity) and the steps from s on repeat those from s-q (keys and
 * links compared one by one, so a causal mask's diagonal stops it), every further period moves the
 * state by d again and adds the same counts. The engine then jumps the whole periods at once; the
 * rest runs, and so do steps of another instance (the instance-level jump below takes those).
 * Candidate distances q: the period of the K steps' k0 classes (a long K loop), an output block's
 * K steps, a row of output blocks. */
static int step_key(const Ctx *x, const MapStep *a, const MapStep *b)
{
    return a->k0 % x->kmod == b->k0 % x->kmod && (a->k0 + a->kb == x->p.k) == (b->k0 + b->kb == x->p.k) &&
           a->mb == b->mb && a->nb == b->nb && a->kb == b->kb && a->load_w == b->load_w &&
           a->load_x == b->load_x && a->first_k == b->first_k && a->last_k == b->last_k;
}

/* next_tile's `same` across steps: the first tile of nx has the outputs of the last tile of st */
static int step_link(const Ctx *x, const MapStep *st, const MapStep *nx)
{
    int64_t m0 = st->m0, n0 = st->n0 + (cdiv(st->nb, x->en) - 1) * x->en;
    if (x->c->dataflow == DATAFLOW_OS)
        m0 += (cdiv(st->mb, x->em) - 1) * x->em;
    return nx->m0 == m0 && nx->n0 == n0;
}

typedef struct StepSnap {
    int valid;
    int64_t s;      /* the step's index                            */
    FastState f;    /* the state before it, slots parity-relative  */
    MapStep st;     /* the step                                    */
    StepIt si;      /* the iterator after it                       */
} StepSnap;

/* parity-relative output slots: t[2] the current block's, t[3] the other */
static void slots_relative(FastState *f)
{
    if (f->block & 1) {
        int64_t t = f->t[2];
        f->t[2] = f->t[3];
        f->t[3] = t;
    }
}

/* Step-level jumps taken on this thread (tests/test_engine.c reads it to see that its long GEMMs
 * take them; nothing else does). */
extern _Thread_local int64_t sim_fast_step_jumps;
_Thread_local int64_t sim_fast_step_jumps;

/* Try a jump from step s (state now; st the step, *si the iterator after it) against snapshot a,
 * taken q = s - a->s steps before. Returns the periods jumped (0: none) and moves everything on:
 * the state, the counts, *st and *si. Periods longer than STEP_WINDOW_MAX steps are not tried. */
#define STEP_WINDOW_MAX ((int64_t)1 << 20)
static int64_t step_jump(const Ctx *x, const StepSnap *a, int64_t s, FastEng *f, SimResult *r, MapStep *st,
                         StepIt *si)
{
    const int64_t q = s - a->s;
    if (q <= 0)
        return 0;
    FastState b;
    fast_snap(x, f, si->inst, r, &b);
    slots_relative(&b);
    const int64_t db = b.block - a->f.block;
    if (db > 0 && a->f.block < 1) /* the slot rule (block >= 2) must hold at every first K step */
        return 0;
    /* the output-block slots are read at first K steps and written at last ones: in periods that
     * have neither (a long K loop) they stay as they are, and need not move */
    int64_t d;
    const int slots = shifted(&a->f, &b, &d, 1);
    if (!slots && (db != 0 || a->f.t[2] != b.t[2] || a->f.t[3] != b.t[3] || !shifted(&a->f, &b, &d, 0)))
        return 0;
    /* how many whole periods of steps repeat: step s+j against step s+j-q, which is (by induction)
     * step s+(j mod q)-q of the window [s-q, s] (regenerated once from the snapshot's iterator) */
    if (q > STEP_WINDOW_MAX)
        return 0;
    MapStep *win = mp_malloc((size_t)(q + 1) * sizeof *win);
    unsigned char *link = mp_malloc((size_t)q);
    if (!win || !link) {
        mp_free(win);
        mp_free(link);
        return 0; /* no jump: the steps simply run */
    }
    win[0] = a->st;
    StepIt ia = a->si;
    for (int64_t j = 1; j <= q; j++) {
        if (!inst_next_step(x, &ia, &win[j])) {
            mp_free(win);
            mp_free(link);
            return 0;
        }
        link[j - 1] = (unsigned char)step_link(x, &win[j - 1], &win[j]);
        if (!slots && (win[j - 1].first_k || win[j - 1].last_k)) {
            mp_free(win);
            mp_free(link);
            return 0;
        }
    }
    MapStep pb = *st, nb, tb = pb;
    StepIt ib = *si, jb = ib;
    int64_t n = 0;
    for (int64_t j = 0, w = 0;; j++, w = w + 1 == q ? 0 : w + 1) {
        if (!step_key(x, &win[w], &pb))
            break;
        if (j > 0 && w == 0) {
            n = j / q;
            tb = pb;
            jb = ib;
        }
        /* within the instance: the instance-level jump takes whole instances at once */
        if (!inst_next_step(x, &ib, &nb) || ib.inst != si->inst || link[w] != step_link(x, &pb, &nb))
            break;
        pb = nb;
    }
    mp_free(win);
    mp_free(link);
    if (n == 0)
        return 0;
    fast_advance(x, f, r, &a->f, &b, d, n, slots);
    if ((n * db) & 1) { /* the current block's slot changed parity */
        int64_t t = f->store_end[0];
        f->store_end[0] = f->store_end[1];
        f->store_end[1] = t;
    }
    *st = tb;
    *si = jb;
    return n;
}

/* Instances back to back: once the state at three instance boundaries, p = 1 or 2 instances
 * apart, shows the same uniform shift d (every time +d, every count +E), every later period does
 * the same (the recurrence is max-plus homogeneous and every instance's inputs are alike): the
 * engine jumps whole periods, leaving the last instance(s) to run. */
#define STEP_CANDS 3
static int engine_fast(const Ctx *x, SimResult *r)
{
    SimEvents *ev = &r->ev;
    FastEng f = {0, 0, {-1, -1}, 0, 0, 0, -1, ARRAY_PIPE_IDLE};
    StepIt si = {0, 0};
    MapStep st, next;
    int have = inst_next_step(x, &si, &st);
    int64_t wb, xb;
    step_load_bits(x, &st, &wb, &xb);
    f.lend = xfer(x, &f.chan, 0, wb);
    f.lend = max64(f.lend, xfer(x, &f.chan, 0, xb));
    count_transfers(x, r, &st, wb, xb, 0);
    FastState snap[5];
    int nsnap = 0, jumped = 0;
    int64_t cur_inst = 0;
    /* step-level candidates: K steps alike (their k0 classes repeat every kmod / gcd(kmod, bk)
     * steps), an output block's K steps, a row of output blocks */
    const int64_t nk = cdiv(x->p.k, x->mp.bk),
                  inner = x->mp.order == ORDER_MN ? cdiv(x->p.n, x->mp.bn) : cdiv(x->p.m, x->mp.bm);
    int64_t ga = x->kmod, gb = x->mp.bk;
    while (gb) {
        const int64_t t = ga % gb;
        ga = gb;
        gb = t;
    }
    const int64_t cand[STEP_CANDS] = {x->kmod / ga, nk, nk * inner};
    StepSnap ss[STEP_CANDS] = {{0}};
    int64_t s = 0; /* the step's index in the schedule */
    TilePhases nph = {0, 0, 0};
    int have_ph = 0; /* nph: the phases of the next tile to place */
    while (have) {
        if (si.inst != cur_inst || (cur_inst == 0 && nsnap == 0 && s == 0)) {
            /* an instance boundary: snapshot, and jump whole periods once they repeat */
            cur_inst = si.inst;
            FastState fs;
            fast_snap(x, &f, si.inst, r, &fs);
            if (nsnap == 5)
                memmove(snap, snap + 1, 4 * sizeof *snap);
            snap[nsnap < 5 ? nsnap++ : 4] = fs;
            for (int p = 1; p <= 2 && !jumped; p++) {
                int64_t d;
                if (nsnap < 2 * p + 1 ||
                    !periodic(&snap[nsnap - 1 - 2 * p], &snap[nsnap - 1 - p], &snap[nsnap - 1], p, &d))
                    continue;
                const int64_t left = instances(x) - si.inst, periods = (left - 1) / p;
                if (periods <= 0)
                    continue;
                const FastState *b = &snap[nsnap - 1 - p], *c = &snap[nsnap - 1];
                fast_advance(x, &f, r, b, c, d, periods, 1);
                si.inst += periods * p;
                cur_inst = si.inst;
                jumped = 1;
                have_ph = 0;
                for (int i = 0; i < STEP_CANDS; i++)
                    ss[i].valid = 0; /* the step index no longer counts the steps run */
            }
        }
        /* step-level jumps, then a snapshot where a candidate's period begins */
        for (int i = 0; i < STEP_CANDS; i++) {
            if (!ss[i].valid || s % cand[i] != 0)
                continue;
            const int64_t q = s - ss[i].s, n = step_jump(x, &ss[i], s, &f, r, &st, &si);
            if (n > 0) {
                sim_fast_step_jumps++;
                have_ph = 0;
                s += n * q;
                if (si.inst != cur_inst) {
                    cur_inst = si.inst;
                    nsnap = 0; /* instance boundaries were passed over */
                }
            }
        }
        for (int i = 0; i < STEP_CANDS; i++) {
            if (s % cand[i] != 0)
                continue;
            ss[i].valid = 1;
            ss[i].s = s;
            fast_snap(x, &f, si.inst, r, &ss[i].f);
            slots_relative(&ss[i].f);
            ss[i].st = st;
            ss[i].si = si;
        }
        int have_next = inst_next_step(x, &si, &next);
        if (st.first_k)
            f.block++;
        int64_t ready = f.lend;
        if (x->c->double_buffer && st.first_k && f.block >= 2)
            ready = max64(ready, f.store_end[f.block % 2]); /* the output block's slot is free */
        int64_t nwb = 0, nxb = 0, nl = 0;
        if (have_next)
            step_load_bits(x, &next, &nwb, &nxb);
        TileIter ti = {x, &st, 0, 0};
        Tile t;
        TileRun run = {0};
        for (int first = 1; tile_next(&ti, &t); first = 0) {
            /* the phases of this tile, as next_tile found them for the tile before (a skipped run's
             * tiles all have the shape of the run's first: its successor's phases stay right) */
            const TilePhases ph = have_ph ? nph : pe_tile_phases(x->c, &x->pt, &t);
            NextTile nx;
            const int more = next_tile(x, &ti, &t, have_next ? &next : NULL, &nx, &nph);
            have_ph = more;
            const int64_t start = pe_pipe_tile(x->c, &f.ap, &ph, ready, more ? &nx : NULL);
            if (first && have_next && x->c->double_buffer) { /* prefetch the next step */
                const int64_t issue = max64(start, f.ce_prev);
                nl = xfer(x, &f.chan, issue, nwb);
                nl = max64(nl, xfer(x, &f.chan, issue, nxb));
                count_transfers(x, r, &next, nwb, nxb, 0);
            }
            /* the array is busy from the tile's start to the end of its last phase */
            const int64_t busy = max64(0, f.ap.drain_free - max64(start, f.busy_end));
            ev->compute_cycles += busy;
            f.busy_end = max64(f.busy_end, f.ap.drain_free);
            ev->pe_busy += (int64_t)t.tm * t.tn * cdiv(t.tk, x->pt.lanes) * x->pt.step_cycles;
            tile_events(x, &t, ev, r);
            r->tiles++;
            if (!first)
                run_skip(x, &run, &ti, &t, start, ready, busy, &f.ap, &f.busy_end, r);
        }
        const int64_t ce = f.ap.drain_free; /* the step's outputs are in the output buffer */
        int64_t yb = step_store_bits(x, &st), after = ce;
        if (yb) {
            after = xfer(x, &f.chan, ce, yb);
            count_transfers(x, r, &st, 0, 0, yb);
        }
        if (st.last_k) /* the slot frees when the store ends (y_onchip: when the outputs are in) */
            f.store_end[f.block % 2] = after;
        f.last_end = max64(f.last_end, after);
        if (have_next && !x->c->double_buffer) {
            nl = xfer(x, &f.chan, after, nwb);
            nl = max64(nl, xfer(x, &f.chan, after, nxb));
            count_transfers(x, r, &next, nwb, nxb, 0);
        }
        f.ce_prev = ce;
        f.lend = nl;
        st = next;
        have = have_next;
        s++;
    }
    ev->cycles = max64(f.last_end, f.ap.drain_free);
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

/* The cycle engine's machine: the channel, the DMA queue and the array's back end, ticked together.
 * The array's front phase of a tile (OS: psum load + run; WS: weight preload) is ticked by the
 * caller; its back phase (OS: the drain registers shifting out; WS: the activation stream) runs in
 * `tail` while the next tile's front proceeds. */
typedef struct Mach {
    const Ctx *x;
    SimResult *r;
    Chan ch;
    int64_t now;
    int64_t tail_left;   /* cycles left in the back phase; 0 = idle                        */
    int64_t tail_step;   /* the step whose outputs are complete when the tail ends, or -1  */
    int front;           /* a front phase is being ticked                                   */
    int64_t queued_store;/* steps whose store has been queued: 0..queued_store-1            */
    int64_t defer_loads; /* step whose loads wait for the previous store's queueing, or -1   */
    const MapStep *steps;
    int64_t S;
    /* OS preload unit: the next tile's psums into the preload registers (read port) */
    int pre_state;       /* PRE_IDLE, PRE_WAIT (for drains), PRE_RUN, PRE_DONE              */
    int64_t pre_left;    /* cycles left while running                                       */
    int64_t pre_need;    /* drains that must have ended before it runs                      */
    int64_t drains_done; /* OS drains (back phases) ended so far                            */
} Mach;
enum { PRE_IDLE, PRE_WAIT, PRE_RUN, PRE_DONE };

/* a waiting preload starts once the drains it must follow have ended */
static void pre_check(Mach *m)
{
    if (m->pre_state == PRE_WAIT && m->drains_done >= m->pre_need)
        m->pre_state = m->pre_left > 0 ? PRE_RUN : PRE_DONE;
}

#define LOADW(s) (int)(2 * (s))
#define LOADX(s) (int)(2 * (s) + 1)
#define STORE(m, s) (int)(2 * (m)->S + (s))

static void mach_queue_loads(Mach *m, int64_t s)
{
    int64_t wb, xb;
    step_load_bits(m->x, &m->steps[s], &wb, &xb);
    chan_push(&m->ch, m->x->c->dram_latency_cycles, wb, LOADW(s));
    chan_push(&m->ch, m->x->c->dram_latency_cycles, xb, LOADX(s));
    count_transfers(m->x, m->r, &m->steps[s], wb, xb, 0);
}

/* step s's outputs are all in the output buffer: queue its store (then any loads held behind it) */
static void mach_outputs_done(Mach *m, int64_t s)
{
    int64_t yb = step_store_bits(m->x, &m->steps[s]);
    chan_push(&m->ch, m->x->c->dram_latency_cycles, yb, STORE(m, s));
    if (yb)
        count_transfers(m->x, m->r, &m->steps[s], 0, 0, yb);
    m->queued_store = s + 1;
    if (m->defer_loads >= 0) {
        mach_queue_loads(m, m->defer_loads);
        m->defer_loads = -1;
    }
    if (!m->x->c->double_buffer && s + 1 < m->S)
        m->defer_loads = -2 - (s + 1); /* sequential: the next loads wait for this store to finish */
}

static void mach_tick(Mach *m)
{
    chan_tick(&m->ch);
    if (m->front || m->tail_left > 0)
        m->r->ev.compute_cycles++;
    if (m->pre_state == PRE_RUN && --m->pre_left == 0)
        m->pre_state = PRE_DONE;
    if (m->tail_left > 0 && --m->tail_left == 0) {
        m->drains_done++;
        if (m->tail_step >= 0)
            mach_outputs_done(m, m->tail_step);
    }
    m->now++;
    pre_check(m);
    /* sequential (no double buffering): a store that finished releases the next step's loads */
    if (m->defer_loads <= -2) {
        int64_t s = -2 - m->defer_loads;
        if (m->ch.done[STORE(m, s - 1)]) {
            m->defer_loads = -1;
            mach_queue_loads(m, s);
        }
    }
}

static int engine_cycle(const Ctx *x, ArrayData *data, SimResult *r, MpErr *e)
{
    const int64_t S = x->mp.steps * instances(x); /* every instance's steps */
    Array *arr = NULL;
    int rc = array_create(x->c, &arr, e);
    if (rc)
        return rc;
    MapStep *steps = mp_calloc((size_t)S, sizeof *steps);
    /* completion flags: loads W,X of each step (2S), stores of each step (S) */
    int *done = mp_calloc((size_t)(3 * S + 1), sizeof *done);
    Xfer *q = mp_calloc((size_t)(3 * S + 1), sizeof(Xfer));
    int64_t *store_of_block = mp_calloc((size_t)S + 1, sizeof *store_of_block); /* step of each block's store */
    if (!steps || !done || !q || !store_of_block) {
        rc = mp_errf(e, MP_ENOMEM, "out of memory in the cycle engine");
        goto out;
    }
    Mach m = {x, r, {q, 0, 0, (int)(3 * S + 1), x->dram_bw, done}, 0, 0, -1, 0, 0, -1, steps, S, PRE_IDLE, 0, 0, 0};
    int64_t ntile = 0; /* tiles placed so far */
    StepIt si = {0, 0};
    for (int64_t s = 0; s < S; s++)
        inst_next_step(x, &si, &steps[s]);
    mach_queue_loads(&m, 0);
    const int os = x->c->dataflow == DATAFLOW_OS;
    int64_t block = -1;
    for (int64_t s = 0; s < S; s++) {
        const MapStep *st = &steps[s];
        if (st->first_k)
            store_of_block[++block] = -1;
        TileIter ti = {x, st, 0, 0};
        Tile t;
        int first = 1, more = tile_next(&ti, &t);
        while (more) {
            Tile cur = t;
            NextTile nx;
            const int has_nx = next_tile(x, &ti, &cur, s + 1 < S ? &steps[s + 1] : NULL, &nx, NULL);
            more = tile_next(&ti, &t);
            TilePhases ph;
            int64_t busy;
            if ((rc = array_run_tile(arr, &x->pt, x->kind, &cur, data, &ph, &busy, e)) != MP_OK)
                goto out;
            /* OS: a sequence's first tile with psums preloads once every earlier drain has ended */
            if (os && ph.load > 0 && m.pre_state == PRE_IDLE) {
                m.pre_state = PRE_WAIT;
                m.pre_left = ph.load;
                m.pre_need = ntile;
                pre_check(&m);
            }
            /* wait (ticking) until the step's data are in, its output slot is free and the array can
             * take the tile: OS psums in the preload registers, WS single-buffered preloads wait
             * for the back phase */
            for (;;) {
                int ready = done[LOADW(s)] && done[LOADX(s)];
                if (st->first_k && block >= 2 && x->c->double_buffer) {
                    int64_t sb = store_of_block[block - 2];
                    ready = ready && (sb < 0 || done[STORE(&m, sb)]);
                }
                if (os && ph.load > 0)
                    ready = ready && m.pre_state == PRE_DONE;
                if (!os && !x->c->double_buffer)
                    ready = ready && m.tail_left == 0;
                if (ready)
                    break;
                mach_tick(&m);
            }
            if (first && s + 1 < S && x->c->double_buffer) { /* prefetch the next step */
                if (m.queued_store >= s || s == 0)
                    mach_queue_loads(&m, s + 1);
                else
                    m.defer_loads = s + 1; /* queued right after step s-1's store */
            }
            first = 0;
            if (os) {
                /* the start copies the preload registers into the accumulators; the next tile's
                 * preload may begin, after the drains of every earlier tile (and of this one when it
                 * reads this tile's outputs) */
                m.pre_state = PRE_IDLE;
                if (has_nx && nx.load > 0) {
                    m.pre_state = PRE_WAIT;
                    m.pre_left = nx.load;
                    m.pre_need = ntile + (nx.same ? 1 : 0);
                    pre_check(&m);
                }
            }
            /* the front phase: OS the run, WS the preload */
            m.front = 1;
            for (int64_t i = 0; i < (os ? ph.run : ph.load); i++)
                mach_tick(&m);
            m.front = 0;
            /* OS: the results wait for the drain registers; WS: the stream waits for the previous one */
            while (m.tail_left > 0)
                mach_tick(&m);
            m.tail_left = os ? ph.drain : ph.run;
            m.tail_step = more ? -1 : s;
            if (m.tail_left == 0 && !more)
                mach_outputs_done(&m, s);
            r->ev.pe_busy += busy;
            tile_events(x, &cur, &r->ev, r);
            r->tiles++;
            ntile++;
        }
        if (st->last_k)
            store_of_block[block] = s;
    }
    while (m.tail_left > 0 || !chan_idle(&m.ch) || m.defer_loads != -1) /* the last stores drain */
        mach_tick(&m);
    r->ev.cycles = m.now;
out:
    array_destroy(arr);
    mp_free(steps);
    mp_free(done);
    mp_free(q);
    mp_free(store_of_block);
    return rc;
}
#undef LOADW
#undef LOADX
#undef STORE

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
    const NumFormat *nf = num_format_for_operands((PeKindId)c->pe_kind, c->weight_bits, config_act_fmt(c));
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

const char *const sim_resource_names[SIM_RES_COUNT] = {"compute",   "dram",      "weight_ingest",
                                                       "act_ingest", "sram_port", "fill_drain",
                                                       "vector"};

SimResource sim_bound(const SimResult *r)
{
    int64_t most = 0;
    for (int i = 0; i < SIM_RES_COUNT; i++)
        most = r->res[i] > most ? r->res[i] : most;
    for (int i = 0; i < SIM_RES_COUNT; i++)
        if (r->res[i] * SIM_BOUND_TIE_DEN >= most * SIM_BOUND_TIE_NUM)
            return (SimResource)i;
    return SIM_RES_COMPUTE;
}

static int check_gemm(const SimGemm *g, MpErr *e)
{
    if (g->causal < MAP_CAUSAL_NONE || g->causal > MAP_CAUSAL_K)
        return mp_errf(e, MP_EINPUT, "GEMM: bad causal mask %d (0 none, 1 keys on N, 2 keys on K)", g->causal);
    if (g->m < 1 || g->n < 1 || g->k < 1)
        return mp_errf(e, MP_EINPUT, "GEMM %lldx%lldx%lld: every dimension must be >= 1", (long long)g->m,
                       (long long)g->n, (long long)g->k);
    if (g->m > MAP_DIM_MAX || g->n > MAP_DIM_MAX || g->k > MAP_DIM_MAX)
        return mp_errf(e, MP_EINPUT, "GEMM %lldx%lldx%lld: dimensions above 2^30 are not supported", (long long)g->m,
                       (long long)g->n, (long long)g->k);
    if (g->m * g->n > MAP_ELEMS_MAX || g->m * g->k > MAP_ELEMS_MAX || g->n * g->k > MAP_ELEMS_MAX)
        return mp_errf(e, MP_EINPUT, "GEMM %lldx%lldx%lld: an operand or the output above 2^50 elements is not supported",
                       (long long)g->m, (long long)g->n, (long long)g->k);
    return MP_OK;
}

int sim_gemm_mapped(const ArchConfig *c, const SimGemm *g, const Mapping *mp, Fidelity fid, ArrayData *data,
                    SimResult *r, MpErr *e)
{
    memset(r, 0, sizeof *r);
    int rc = check_gemm(g, e);
    if (rc)
        return rc;
    Ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.g = *g;
    x.pt = g->act_act ? pe_timing_act_act(c) : pe_timing(c);
    x.kind = sim_datapath_kind(c, g->act_act);
    x.bw = (int64_t)c->sram_banks * c->sram_port_bits;
    x.dram_bw = c->dram_bits_per_cycle;
    sim_map_problem(c, g, &x.p);
    x.mp = *mp;
    x.em = map_m_unit(&x.p, mp->trans);
    x.en = map_n_unit(&x.p, mp->trans);
    x.ek = mp->trans ? c->cols : c->rows;
    /* tile_events (groups touched, groups ended) and dq_wait (sim/petime.c) see k0 through
     * k0 / group_size and k0 % group_size differences only */
    const int grouped = (!g->act_act && (x.pt.w_meta_bits || x.pt.group_dequant)) ||
                        (x.pt.dq_busy > 0 && x.pt.group_dequant);
    x.kmod = grouped && c->group_size > 0 ? c->group_size : 1;
    r->map = x.mp;
    rc = fid == FID_FAST ? engine_fast(&x, r) : engine_cycle(&x, data, r, e);
    if (rc)
        return rc;
    const int64_t pes = (int64_t)c->rows * c->cols;
    r->ev.stall_cycles = r->ev.cycles - r->ev.compute_cycles;
    r->ev.pe_total = pes * r->ev.cycles;
    /* peak MACs per PE-cycle of this GEMM: lanes per step time (attention runs at 1) */
    r->ev.mac_capacity = r->ev.pe_total * x.pt.lanes / x.pt.step_cycles;
    /* resources: the edge shares over the edges' lengths, the PEs at the whole array's peak */
    const int64_t wedge = x.en, xedge = c->dataflow == DATAFLOW_OS ? x.em : x.ek;
    r->res[SIM_RES_W_INGEST] = cdiv(r->res[SIM_RES_W_INGEST], wedge);
    r->res[SIM_RES_X_INGEST] = cdiv(r->res[SIM_RES_X_INGEST], xedge);
    r->res[SIM_RES_COMPUTE] = cdiv(r->ev.macs * x.pt.step_cycles, pes * x.pt.lanes);
    r->res[SIM_RES_FILL_DRAIN] = max64(0, r->ev.compute_cycles - r->stream);
    return MP_OK;
}

int sim_gemm_opts(const ArchConfig *c, const SimGemm *g, Fidelity fid, const SimMapOpts *o, ArrayData *data,
                  SimResult *r, MpErr *e)
{
    memset(r, 0, sizeof *r);
    int rc = check_gemm(g, e);
    SimLimits lim;
    if (rc == MP_OK)
        rc = sim_limits(&lim, e);
    if (rc)
        return rc;
    SimMapOpts mo = *o;
    mo.max_steps = lim.max_steps;
    /* an array built for one orientation runs only that one */
    MapForce f = o->force ? *o->force : MAP_FORCE_NONE;
    if (c->orientation != ORIENT_AUTO) {
        const int only = c->orientation == ORIENT_NXM;
        if (f.trans >= 0 && f.trans != only)
            return mp_errf(e, MP_EINPUT, "orientation %s: the design supports %s only ([arch] orientation = %s)",
                           map_orient_name(f.trans), map_orient_name(only), only ? "nxm" : "mxn");
        f.trans = only;
    }
    mo.force = &f;
    Mapping mp;
    SimResult fast;
    if ((rc = sim_map_search(c, g, &mo, &mp, &fast, e)) != MP_OK)
        return rc;
    if (fid == FID_FAST) {
        *r = fast;
        return MP_OK;
    }
    /* the cycle count is known exactly before simulating (fast == cycle): refuse what would take
     * too long, before anything is allocated */
    const int64_t pes = (int64_t)c->rows * c->cols;
    if (fast.ev.cycles > lim.max_pe_cycles / pes)
        return mp_errf(e, MP_EINPUT,
                       "GEMM %lldx%lldx%lld: %lld cycles on %lld PEs is above the cycle-fidelity work limit of "
                       "%lld PE-cycles (raise it with MPSIM_MAX_PE_CYCLES=N, or use --fidelity fast)",
                       (long long)g->m, (long long)g->n, (long long)g->k, (long long)fast.ev.cycles, (long long)pes,
                       (long long)lim.max_pe_cycles);
    return sim_gemm_mapped(c, g, &mp, FID_CYCLE, data, r, e);
}

int sim_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const MapForce *force, ArrayData *data,
             SimResult *r, MpErr *e)
{
    SimMapOpts o = {force, MAP_OBJ_TIME, NULL, 0, 0};
    return sim_gemm_opts(c, g, fid, &o, data, r, e);
}
