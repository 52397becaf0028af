/* sim/vecunit.c — see vecunit.h. Two controllers over one chunk schedule, written apart on purpose
 * (as sim/engine.c's): vu_fast (recurrence, closed-form sums, periodic jumps) and vu_cycle (ticked);
 * tests/test_vecunit.c proves them equal. */
#include "sim/vecunit.h"

#include <string.h>

#include "base/alloc.h"
#include "models/opfmt.h"

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The vector unit's DRAM bits per cycle: every channel's, interleaved (the one unit serves every core
 * and sees the whole memory system; sim/cores.h) */
static int64_t vu_dram_bits(const ArchConfig *c)
{
    return (int64_t)(c->dram_channels > 1 ? c->dram_channels : 1) * c->dram_bits_per_cycle;
}
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ------------------------------------------------------------------ the job */

#define RESID_BITS 16 /* the residual stream is fp16 (our assumption: HF fp16 inference keeps it so) */

/* A tensor's format as stored, or -1 for the fp16 residual stream / on-chip scores. */
static int tensor_fmt(const ArchConfig *c, int t, int on_kv)
{
    switch (t) {
    case VT_ACT:
        return on_kv ? config_kv_fmt(c) : config_out_fmt(c);
    case VT_KV:
        return config_kv_fmt(c);
    case VT_SCORE:
        return OPF_FP16; /* scores and probabilities stay fp16 (QK^T stores S so: SIM_STORE_FP16) */
    default:
        return -1;
    }
}

void vu_job(const ArchConfig *c, const VecRow *v, int fused, int64_t blocks, int64_t tile, VecJob *j)
{
    const VecKind *k = &vec_kinds[v->kind];
    memset(j, 0, sizeof *j);
    j->kind = v->kind;
    j->rows = v->rows;
    j->width = v->width;
    j->count = v->count;
    j->serial = v->serial > 0 ? v->serial : 1;
    j->causal = v->causal;
    j->blocks = blocks > 0 ? blocks : 1;
    j->tile_width = tile > 0 && tile < v->width ? tile : v->width;
    for (int i = 0; i < VC_COUNT; i++) {
        j->per_elem[i] = k->per_elem[i];
        j->per_row[i] = k->per_row[i];
    }
    j->passes = k->passes;
    j->syncs = k->syncs;
    for (int t = 0; t < VT_COUNT; t++) {
        for (int dir = 0; dir < 2; dir++) {
            const int n = dir ? k->writes[t] : k->reads[t];
            if (!n)
                continue;
            double dram, sram;
            const int f = tensor_fmt(c, t, v->on_kv);
            if (t == VT_SCORE && fused) { /* S / P in SRAM as fp16, never in DRAM */
                dram = 0;
                sram = RESID_BITS;
            } else if (f < 0) {
                dram = sram = RESID_BITS;
            } else {
                dram = sram = opfmt_act_bits((OpFmtId)f, v->width);
                if (!opfmt_is_float((OpFmtId)f)) { /* the lanes work in fp32 */
                    j->per_elem[VC_FMA] += n;       /* dequantize, or scale and round */
                    if (dir && op_fmts[f].dynamic) {/* a per-token scale: its max first */
                        j->per_elem[VC_CMP] += n;
                        j->syncs += 1;
                        j->passes += 1;
                    }
                }
            }
            if (dir) {
                j->out_dram_bits += n * dram;
                j->out_sram_bits += n * sram;
            } else {
                j->in_dram_bits += n * dram;
                j->in_sram_bits += n * sram;
            }
        }
    }
}

int64_t vu_sync_cycles(const ArchConfig *c)
{
    int64_t levels = 0;
    while (((int64_t)1 << levels) < c->vec_lanes)
        levels++;
    return levels * c->vec_lat[VC_REDUCE] + c->vec_lat[VC_RCP];
}

/* Pipeline depth: the largest latency among the classes the job uses. */
static int64_t job_depth(const ArchConfig *c, const VecJob *j)
{
    int64_t d = 0;
    for (int i = 0; i < VC_COUNT; i++)
        if (j->per_elem[i] || j->per_row[i])
            d = max64(d, c->vec_lat[i]);
    return d;
}

/* Rows of one part (one of the `serial` runs). */
static int64_t part_rows(const VecJob *j) { return j->rows * (j->count / j->serial); }

/* 1 when a whole row (inputs and outputs) fits half the buffer. */
static int row_fits(const ArchConfig *c, const VecJob *j)
{
    return (double)j->tile_width * (j->in_sram_bits + j->out_sram_bits) <= (double)c->vec_buf_kib * 8192.0 / 2;
}

int64_t vu_chunk_rows(const ArchConfig *c, const VecJob *j)
{
    const int64_t total = part_rows(j);
    const double row_bits = (double)j->tile_width * (j->in_sram_bits + j->out_sram_bits);
    if (row_bits <= 0)
        return total;
    const double half = (double)c->vec_buf_kib * 8192.0 / 2;
    int64_t n = (int64_t)(half / row_bits);
    return n < 1 ? 1 : min64(n, total);
}

/* Σ_{x=1}^{n} ceil(x / L) in closed form: q = n / L full groups of L columns contribute L·(1+..+q),
 * the r = n % L left over q + 1 each. */
static int64_t sum_ceil(int64_t n, int64_t L)
{
    if (n <= 0)
        return 0;
    const int64_t q = n / L, r = n % L;
    return L * q * (q + 1) / 2 + r * (q + 1);
}

int64_t vu_visible_blocks(const VecRow *v, int64_t bn)
{
    if (!v->causal || v->width < v->rows)
        return v->rows * cdiv(v->width, bn);
    const int64_t off = v->width - v->rows; /* row i sees off + i + 1 keys */
    return sum_ceil(off + v->rows, bn) - sum_ceil(off, bn);
}

/* What rows [r0, r0 + n) (global: row r is row r % rows of instance r / rows) hold: elements and
 * Σ ceil(width_i / lanes). */
typedef struct RowSums {
    int64_t elems, slots;
} RowSums;

static RowSums row_sums(const VecJob *j, int64_t L, int64_t r0, int64_t n)
{
    RowSums s = {0, 0};
    if (!j->causal || j->width < j->rows) {
        s.elems = n * j->width;
        s.slots = n * cdiv(j->width, L);
        return s;
    }
    const int64_t off = j->width - j->rows; /* local row i holds off + i + 1 */
    while (n > 0) {
        const int64_t i = r0 % j->rows, take = min64(n, j->rows - i);
        /* widths off + i + 1 .. off + i + take */
        const int64_t a = off + i, b = off + i + take;
        s.elems += b * (b + 1) / 2 - a * (a + 1) / 2;
        s.slots += sum_ceil(b, L) - sum_ceil(a, L);
        r0 += take;
        n -= take;
    }
    return s;
}

/* Issue cycles of each element slot (Σ_c per_elem x ii) and the fixed cycles of a row. */
static int64_t slot_cycles(const ArchConfig *c, const VecJob *j)
{
    int64_t s = 0;
    for (int i = 0; i < VC_COUNT; i++)
        s += j->per_elem[i] * c->vec_ii[i];
    return s;
}

/* The issue cycles of one row's scalar operations (per key block), and of a chunk of n rows': the
 * rows' scalars run side by side on the lanes, lanes rows at a time. */
static int64_t row_scalar_cycles(const ArchConfig *c, const VecJob *j)
{
    int64_t s = 0;
    for (int i = 0; i < VC_COUNT; i++)
        s += j->per_row[i] * c->vec_ii[i];
    return s;
}

static int64_t chunk_scalar_cycles(const ArchConfig *c, const VecJob *j, int64_t n)
{
    return cdiv(n * j->blocks, c->vec_lanes) * row_scalar_cycles(c, j);
}

/* The reductions' latency a chunk exposes: its rows interleave (a row's tree drains while the next
 * row's pass issues), so only the last row's reductions, each key block's, wait. */
static int64_t chunk_sync_cycles(const ArchConfig *c, const VecJob *j)
{
    return j->blocks * j->syncs * vu_sync_cycles(c);
}

/* A chunk's loads, compute and store, and the events that do not depend on time. */
typedef struct Chunk {
    int64_t in_bits, out_bits, comp;
} Chunk;

static Chunk chunk_of(const ArchConfig *c, const VecJob *j, int64_t r0, int64_t n, SimResult *r)
{
    const RowSums s = row_sums(j, c->vec_lanes, r0, n);
    /* a row larger than half the buffer streams its inputs again for every pass */
    const int64_t reads = row_fits(c, j) ? 1 : j->passes;
    Chunk k;
    k.in_bits = map_block_bits(j->in_dram_bits * (double)reads, 1, s.elems);
    k.out_bits = map_block_bits(j->out_dram_bits, 1, s.elems);
    k.comp = s.slots * slot_cycles(c, j) + chunk_scalar_cycles(c, j, n) + chunk_sync_cycles(c, j) + job_depth(c, j);
    if (r) {
        SimEvents *ev = &r->ev;
        for (int i = 0; i < VC_COUNT; i++)
            ev->vec_ops[i] += j->per_elem[i] * s.elems + j->per_row[i] * n * j->blocks;
        const int64_t in_s = map_block_bits(j->in_sram_bits, 1, s.elems),
                      out_s = map_block_bits(j->out_sram_bits, 1, s.elems);
        ev->sram_write_bits[BUF_V] += reads * in_s + out_s;         /* rows in; results        */
        ev->sram_read_bits[BUF_V] += j->passes * in_s + out_s;      /* each pass; results out  */
        ev->dram_read_bits += k.in_bits;
        ev->dram_write_bits += k.out_bits;
        if (k.in_bits)
            r->res[SIM_RES_DRAM] += c->dram_latency_cycles + cdiv(k.in_bits, vu_dram_bits(c));
        if (k.out_bits)
            r->res[SIM_RES_DRAM] += c->dram_latency_cycles + cdiv(k.out_bits, vu_dram_bits(c));
    }
    return k;
}

/* ------------------------------------------------------------------ fast fidelity */

static int64_t xfer(const ArchConfig *c, int64_t *chan, int64_t issue, int64_t bits)
{
    if (bits == 0)
        return issue;
    const int64_t start = max64(issue, *chan);
    *chan = start + c->dram_latency_cycles + cdiv(bits, vu_dram_bits(c));
    return *chan;
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The recurrence's state at a chunk boundary (times; -1 = unset) and the counts so far. */
#define VU_NT 5
typedef struct VuSnap {
    int64_t t[VU_NT];
    SimResult r;
} VuSnap;

static int vu_periodic(const VuSnap *a, const VuSnap *b, const VuSnap *s, int64_t *d)
{
    *d = s->t[0] - b->t[0];
    if (*d <= 0 || b->t[0] - a->t[0] != *d)
        return 0;
    for (int i = 0; i < VU_NT; i++) {
        if ((a->t[i] < 0) != (s->t[i] < 0) || (b->t[i] < 0) != (s->t[i] < 0))
            return 0;
        if (s->t[i] >= 0 && (s->t[i] - b->t[i] != *d || b->t[i] - a->t[i] != *d))
            return 0;
    }
    const int64_t *ea = (const int64_t *)&a->r.ev, *eb = (const int64_t *)&b->r.ev, *ec = (const int64_t *)&s->r.ev;
    for (size_t i = 0; i < sizeof a->r.ev / sizeof(int64_t); i++)
        if (ec[i] - eb[i] != eb[i] - ea[i])
            return 0;
    for (int i = 0; i < SIM_RES_COUNT; i++)
        if (s->r.res[i] - b->r.res[i] != b->r.res[i] - a->r.res[i])
            return 0;
    return 1;
}

static void vu_fast(const ArchConfig *c, const VecJob *j, SimResult *r)
{
    const int64_t total = part_rows(j), cr = vu_chunk_rows(c, j), nch = cdiv(total, cr);
    /* chunks repeat with period P: the rows' pattern (causal widths) and the output-half parity */
    int64_t P = j->causal ? j->rows / gcd64(j->rows, cr) : 1;
    if (P % 2)
        P *= 2;
    int64_t chan = 0, ce_prev = 0, store_end[2] = {-1, -1}, last = 0;
    Chunk cur = chunk_of(c, j, 0, min64(cr, total), r);
    int64_t lend = xfer(c, &chan, 0, cur.in_bits);
    VuSnap snap[3];
    int nsnap = 0, jumped = 0;
    for (int64_t i = 0; i < nch; i++) {
        if (!jumped && i % P == 0 && P <= (1 << 16)) {
            VuSnap f = {{chan, ce_prev, store_end[0], store_end[1], lend}, *r};
            if (nsnap == 3)
                memmove(snap, snap + 1, 2 * sizeof *snap);
            snap[nsnap < 3 ? nsnap++ : 2] = f;
            int64_t d;
            /* leave the last full period and the partial chunk to run */
            const int64_t periods = (nch - 1 - i) / P - 1;
            if (nsnap == 3 && periods > 0 && vu_periodic(&snap[0], &snap[1], &snap[2], &d)) {
                const int64_t *eb = (const int64_t *)&snap[1].r.ev, *ec = (const int64_t *)&snap[2].r.ev;
                int64_t *er = (int64_t *)&r->ev;
                for (size_t q = 0; q < sizeof r->ev / sizeof(int64_t); q++)
                    er[q] += periods * (ec[q] - eb[q]);
                for (int q = 0; q < SIM_RES_COUNT; q++)
                    r->res[q] += periods * (snap[2].r.res[q] - snap[1].r.res[q]);
                int64_t *tv[VU_NT] = {&chan, &ce_prev, &store_end[0], &store_end[1], &lend};
                for (int q = 0; q < VU_NT; q++)
                    if (snap[2].t[q] >= 0)
                        *tv[q] += periods * d;
                /* land on chunk i + periods·P: it has chunk i's rows' pattern, so `cur` (chunk i's
                 * sizes, whose time-free events the snapshots already hold) stands for it */
                i += periods * P;
                jumped = 1;
            }
        }
        const int64_t r0 = i * cr, n = min64(cr, total - r0);
        const int have_next = i + 1 < nch;
        Chunk nx = {0, 0, 0};
        int64_t start = max64(lend, ce_prev);
        if (c->double_buffer && i >= 2)
            start = max64(start, store_end[i % 2]);
        int64_t nl = 0;
        if (have_next) {
            nx = chunk_of(c, j, r0 + n, min64(cr, total - r0 - n), r);
            if (c->double_buffer)
                nl = xfer(c, &chan, start, nx.in_bits);
        }
        const int64_t ce = start + cur.comp;
        r->ev.vec_busy += cur.comp;
        r->res[SIM_RES_VECTOR] += cur.comp;
        const int64_t se = xfer(c, &chan, ce, cur.out_bits);
        store_end[i % 2] = se;
        last = max64(last, se);
        if (have_next && !c->double_buffer)
            nl = xfer(c, &chan, se, nx.in_bits);
        ce_prev = ce;
        lend = nl;
        cur = nx;
    }
    r->ev.cycles = max64(last, ce_prev);
}

/* ------------------------------------------------------------------ cycle fidelity */

/* The channel, ticked: a FIFO of transfers; the head counts down its latency, then moves
 * bits_per_cycle bits per cycle. Each transfer carries the flag it sets when complete. */
typedef struct VuXfer {
    int64_t lat, bits;
    int64_t *flag; /* set to 1 when done */
} VuXfer;

static int64_t row_width(const VecJob *j, int64_t r)
{
    if (!j->causal || j->width < j->rows)
        return j->width;
    return j->width - j->rows + r % j->rows + 1;
}

/* The lanes' issue cycles for one row's elements, counted pass by pass from its width (the rows'
 * scalar operations and the reductions' latency are the chunk's, after its last row). */
static int64_t row_cycles_ticked(const ArchConfig *c, const VecJob *j, int64_t w)
{
    int64_t cyc = 0;
    for (int i = 0; i < VC_COUNT; i++)
        for (int64_t k = 0; k < j->per_elem[i]; k++)
            for (int64_t x = 0; x < w; x += c->vec_lanes)
                cyc += c->vec_ii[i];
    return cyc;
}

/* The scalar phase of a chunk of n rows, lane group by lane group. */
static int64_t scalar_cycles_ticked(const ArchConfig *c, const VecJob *j, int64_t n)
{
    int64_t cyc = 0;
    for (int64_t r = 0; r < n * j->blocks; r += c->vec_lanes)
        for (int i = 0; i < VC_COUNT; i++)
            cyc += j->per_row[i] * c->vec_ii[i];
    return cyc;
}

static int vu_cycle(const ArchConfig *c, const VecJob *j, SimResult *r, MpErr *e)
{
    const int64_t total = part_rows(j), cr = vu_chunk_rows(c, j), nch = cdiv(total, cr);
    int64_t *loaded = mp_calloc((size_t)nch + 1, sizeof *loaded), *stored = mp_calloc((size_t)nch + 1, sizeof *stored);
    VuXfer *q = mp_calloc((size_t)(2 * nch + 2), sizeof *q);
    int64_t *in_bits = mp_calloc((size_t)nch + 1, sizeof *in_bits), *out_bits = mp_calloc((size_t)nch + 1, sizeof *out_bits);
    if (!loaded || !stored || !q || !in_bits || !out_bits) {
        mp_free(loaded);
        mp_free(stored);
        mp_free(q);
        mp_free(in_bits);
        mp_free(out_bits);
        return mp_errf(e, MP_ENOMEM, "out of memory in the vector unit's cycle engine");
    }
    /* the transfer sizes and time-free events of every chunk (the same counting as the fast path) */
    for (int64_t i = 0; i < nch; i++) {
        const Chunk k = chunk_of(c, j, i * cr, min64(cr, total - i * cr), r);
        in_bits[i] = k.in_bits;
        out_bits[i] = k.out_bits;
    }
    int head = 0, tail = 0;
#define PUSH(b, f)                                                                                                 \
    do {                                                                                                           \
        if ((b) == 0)                                                                                              \
            *(f) = 1;                                                                                              \
        else                                                                                                       \
            q[tail++] = (VuXfer){c->dram_latency_cycles, (b), (f)};                                                \
    } while (0)
    const int64_t depth = job_depth(c, j);
    /* next_start: the chunk the lanes take next; next_load: the next load to queue */
    int64_t now = 0, next_start = 0, next_load = 1, busy = 0, cur = -1, row = 0, row_left = 0, drain_left = 0;
    PUSH(in_bits[0], &loaded[0]);
    for (;;) {
        /* events at `now`, in the fast path's order: a finished chunk queues its store; without
         * double buffering a completed store releases the next load; a chunk whose inputs are in
         * (and, double-buffered, whose output half is free) starts and queues the next load */
        if (busy && row_left == 0 && drain_left == 0) {
            busy = 0;
            PUSH(out_bits[cur], &stored[cur]);
        }
        if (!c->double_buffer && next_load < nch && stored[next_load - 1]) {
            PUSH(in_bits[next_load], &loaded[next_load]);
            next_load++;
        }
        if (!busy && next_start < nch && loaded[next_start] &&
            (!c->double_buffer || next_start < 2 || stored[next_start - 2])) {
            busy = 1;
            cur = next_start++;
            row = cur * cr;
            row_left = row_cycles_ticked(c, j, row_width(j, row));
            drain_left = scalar_cycles_ticked(c, j, min64(cr, total - row)) + depth + j->blocks * j->syncs * vu_sync_cycles(c);
            if (c->double_buffer && next_load < nch) {
                PUSH(in_bits[next_load], &loaded[next_load]);
                next_load++;
            }
        }
        if (!busy && next_start >= nch && head == tail)
            break;
        /* one cycle: the channel's head, then the lanes */
        if (head < tail) {
            VuXfer *h = &q[head];
            if (h->lat > 0)
                h->lat--;
            else
                h->bits -= vu_dram_bits(c);
            if (h->lat == 0 && h->bits <= 0) {
                *h->flag = 1;
                head++;
            }
        }
        if (busy) {
            r->ev.vec_busy++;
            r->res[SIM_RES_VECTOR]++;
            if (row_left > 0) {
                if (--row_left == 0 && ++row < min64((cur + 1) * cr, total))
                    row_left = row_cycles_ticked(c, j, row_width(j, row));
            } else if (drain_left > 0) {
                drain_left--;
            }
        }
        now++;
    }
#undef PUSH
    r->ev.cycles = now;
    mp_free(loaded);
    mp_free(stored);
    mp_free(q);
    mp_free(in_bits);
    mp_free(out_bits);
    return MP_OK;
}

/* One part's result (one layer) made the whole job's: every count and every resource's cycles x
 * serial (the parts are alike and run apart); the idle PE array leaks over every cycle. */
static void finish(const ArchConfig *c, const VecJob *j, SimResult *r)
{
    r->ev.pe_total = (int64_t)(c->cores > 1 ? c->cores : 1) * c->rows * c->cols * r->ev.cycles; /* every core's */
    int64_t *ev = (int64_t *)&r->ev;
    for (size_t i = 0; i < sizeof r->ev / sizeof(int64_t); i++)
        ev[i] *= j->serial;
    for (int i = 0; i < SIM_RES_COUNT; i++)
        r->res[i] *= j->serial;
}

int vu_run(const ArchConfig *c, const VecJob *j, Fidelity fid, SimResult *r, MpErr *e)
{
    memset(r, 0, sizeof *r);
    if (j->serial < 1 || j->count % j->serial != 0)
        return mp_errf(e, MP_EINTERNAL, "vector job: serial %lld does not divide count %lld", (long long)j->serial,
                       (long long)j->count);
    SimLimits lim;
    int rc = sim_limits(&lim, e);
    if (rc)
        return rc;
    const int64_t nch = cdiv(part_rows(j), vu_chunk_rows(c, j));
    if (fid == FID_CYCLE && nch > lim.max_steps)
        return mp_errf(e, MP_EINPUT,
                       "vector job of %lld chunks is above the work limit of %lld (MPSIM_MAX_STEPS; or use --fidelity fast)",
                       (long long)nch, (long long)lim.max_steps);
    vu_fast(c, j, r);
    if (fid == FID_FAST) {
        finish(c, j, r);
        return MP_OK;
    }
    /* the fast result sizes the ticked run before it starts: lane-cycles against the limit */
    if (r->ev.cycles > lim.max_pe_cycles / c->vec_lanes)
        return mp_errf(e, MP_EINPUT,
                       "vector job of %lld cycles on %d lanes is above the cycle-fidelity work limit of %lld PE-cycles "
                       "(raise it with MPSIM_MAX_PE_CYCLES=N, or use --fidelity fast)",
                       (long long)r->ev.cycles, c->vec_lanes, (long long)lim.max_pe_cycles);
    memset(r, 0, sizeof *r);
    rc = vu_cycle(c, j, r, e);
    if (rc == MP_OK)
        finish(c, j, r);
    return rc;
}
