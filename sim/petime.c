/* sim/petime.c — see petime.h and docs/simulator.md. */
#include "sim/petime.h"

#include "models/pekind.h"

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

PeTiming pe_timing(const ArchConfig *c)
{
    PeTiming t = pe_kinds[c->pe_kind].timing;
    if (c->weight_bits > 0)
        t.w_bits = c->weight_bits; /* the variant's width (BitMoD 3 or 4) */
    t.x_bits = op_fmts[config_act_fmt(c)].bits; /* the design's activation operand (int4 on int8) */
    return t;
}

PeTiming pe_timing_act_act(const ArchConfig *c)
{
    /* both operands are activations: decoded at both edges when the kind decodes activations;
     * integer activations (int8, OliVe, ANT: sim_datapath_kind) are scaled twice per output */
    PeTiming k = pe_timing(c);
    const int dec = k.edge_decoders & PE_DEC_X ? PE_DEC_W | PE_DEC_X : 0;
    PeTiming t = {1, 1, 1, k.x_bits, k.x_bits, 0, 32, 32, 0, 0, dec, 0, k.x_bits < 16 ? 2 : 0, 0};
    if (dec)
        t.latency = 2;
    return t;
}

int pe_k_align(const ArchConfig *c)
{
    PeTiming t = pe_timing(c);
    if (t.group_dequant || t.weight_dequant)
        return c->group_size;
    return t.lanes;
}

double pe_weight_bits_stored(const ArchConfig *c)
{
    if (c->weight_bits_eff > 0)
        return c->weight_bits_eff;
    PeTiming t = pe_timing(c);
    return t.w_bits + (t.w_meta_bits ? (double)t.w_meta_bits / c->group_size : 0.0);
}

int pe_tile_step(const ArchConfig *c, const PeTiming *t, const Tile *tl)
{
    const int64_t bw = (int64_t)c->sram_banks * c->sram_port_bits; /* bits per cycle per buffer */
    int64_t s = t->step_cycles;
    if (c->dataflow == DATAFLOW_OS) {
        /* per step, tm activations enter the left edge and tn weights the top edge */
        int64_t ax = cdiv((int64_t)tl->tm * t->lanes * t->x_bits, bw), aw = cdiv((int64_t)tl->tn * t->lanes * t->w_bits, bw);
        s = s > ax ? s : ax;
        s = s > aw ? s : aw;
    } else {
        /* per activation row: a K slice enters the rows; tn partial sums leave (and enter) */
        int64_t krows = cdiv(tl->tk, t->lanes);
        int64_t ax = cdiv(krows * t->lanes * t->x_bits, bw), ay = cdiv((int64_t)tl->tn * t->acc_bits, bw);
        s = s > ax ? s : ax;
        s = s > ay ? s : ay;
    }
    return (int)s;
}

/* OS: cycles the tile's last group waits for the PE's group dequantizer (dq_busy > 0 only).
 * Group g of the tile ends (its last step ends) at e_g; its dequantization starts at
 * d_g = max(e_g, d_{g-1} + dq_busy) and the result is ready at d_last + latency. With k0 on a group
 * boundary and g a multiple of the lanes, the tile's n groups are whole except the last
 * (k1 mod g may leave it short): whole groups end Df = (g / lanes) * se apart, the last one
 * Dl = ceil(its k / lanes) * se after the one before. So d_{n-1} - e_{n-1} = (n - 2) * max(0, dq_busy - Df)
 * and the wait is max(0, (n - 2) * max(0, dq_busy - Df) + dq_busy - Dl). The config rule makes
 * Df >= dq_busy, so only a short last group can wait. sim/array.c ticks the same rule per PE. */
static int64_t dq_wait(const ArchConfig *c, const PeTiming *t, const Tile *tl, int64_t se)
{
    if (t->dq_busy <= 0 || !t->group_dequant || c->group_size <= 0)
        return 0;
    const int64_t g = c->group_size, k1 = tl->k0 + tl->tk;
    const int64_t n = (k1 - 1) / g - tl->k0 / g + 1; /* groups in the tile */
    if (n < 2)
        return 0;
    const int64_t df = (g / t->lanes) * se, dl = cdiv(k1 - (k1 - 1) / g * g, t->lanes) * se;
    const int64_t lag = (n - 2) * (t->dq_busy > df ? t->dq_busy - df : 0) + t->dq_busy - dl;
    return lag > 0 ? lag : 0;
}

TilePhases pe_tile_phases(const ArchConfig *c, const PeTiming *t, const Tile *tl)
{
    const int64_t bw = (int64_t)c->sram_banks * c->sram_port_bits;
    const int64_t se = pe_tile_step(c, t, tl), sc = t->step_cycles, steps = cdiv(tl->tk, t->lanes);
    TilePhases ph = {0, 0, 0};
    if (c->dataflow == DATAFLOW_OS) {
        /* psum rows shift in (not on the first K block) and out, one array row per rowcyc cycles */
        const int64_t ar = tile_rows(tl), ac = tile_cols(tl);
        ph.load = tl->first_k ? 0 : ar * cdiv(ac * t->acc_bits, bw);
        ph.drain = ar * cdiv(ac * (tl->last_k ? t->out_bits : t->acc_bits), bw);
        /* PE(i,j) runs step s at i + j + s*se; the last PE's last step ends sc later */
        ph.run = (ar - 1) + (ac - 1) + (steps - 1) * se + sc + dq_wait(c, t, tl, se) + t->latency;
        return ph;
    }
    /* WS: weights shift into the krows K-rows of the tile, one row per cycle group (from the top
     * edge, or the left one when trans); then activation rows stream: row m enters K-row r at
     * m*se + r*sc and leaves after krows*sc; the n extent adds the skew across it */
    const int64_t krows = steps;
    ph.load = krows * cdiv((int64_t)tl->tn * t->lanes * t->w_bits, bw);
    ph.run = (tl->tm - 1) * se + krows * sc + (tl->tn - 1) + t->latency;
    return ph;
}

int64_t pe_tile_cycles(const ArchConfig *c, const PeTiming *t, const Tile *tl)
{
    const TilePhases ph = pe_tile_phases(c, t, tl);
    return ph.load + ph.run + ph.drain;
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

int64_t pe_pipe_tile(const ArchConfig *c, ArrayPipe *p, const TilePhases *ph, int64_t ready, const NextTile *nx)
{
    if (c->dataflow == DATAFLOW_OS) {
        if (ph->load && p->pre_end < 0) /* a sequence's first tile with psums preloads from cycle 0 */
            p->pre_end = max64(p->acc_free, p->drain_free) + ph->load;
        int64_t start = max64(ready, p->acc_free);
        if (ph->load)
            start = max64(start, p->pre_end);
        const int64_t prev_drain = p->drain_free;
        const int64_t cap = max64(start + ph->run, p->drain_free);
        p->acc_free = cap;
        p->drain_free = cap + ph->drain;
        p->pre_end = -1;
        if (nx && nx->load)
            p->pre_end = max64(max64(start, prev_drain), nx->same ? p->drain_free : 0) + nx->load;
        return start;
    }
    const int64_t pstart = max64(ready, c->double_buffer ? p->shadow_free : p->acc_free);
    const int64_t sstart = max64(pstart + ph->load, p->acc_free);
    p->acc_free = p->drain_free = sstart + ph->run;
    p->shadow_free = c->double_buffer ? sstart : p->acc_free;
    return pstart;
}
