/* sim/array.c — see array.h. */
#include "sim/array.h"

#include <string.h>

#include "base/alloc.h"

typedef struct Reg { /* an operand register: which element it holds, k < 0 = empty */
    int32_t k;
} Reg;

struct Array {
    ArchConfig cfg;
    PeTiming pt;         /* the timing row of the tile being run */
    PeKindId kind;       /* the datapath of the tile being run   */
    int rows, cols;
    Reg *xr, *wr;        /* rows x cols operand registers (OS: x moves right, w down)      */
    GoldenAcc *acc;      /* rows x cols accumulators (OS) / in-flight psums (WS)           */
    int32_t *pm;         /* WS: the output row m each psum register carries, -1 = empty     */
    int32_t *pready;     /* WS: cycle at which the psum register's value is ready          */
    int64_t *dqfree;     /* OS, dq_busy kinds: cycle from which the PE's dequantizer takes a
                          * group's result (a group ending earlier waits until then)          */
};

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int array_create(const ArchConfig *c, Array **out, MpErr *e)
{
    Array *a = mp_calloc(1, sizeof *a);
    if (!a)
        return mp_errf(e, MP_ENOMEM, "out of memory creating the array");
    a->cfg = *c;
    a->pt = pe_timing(c);
    a->kind = (PeKindId)c->pe_kind;
    a->rows = c->rows;
    a->cols = c->cols;
    size_t n = (size_t)c->rows * c->cols;
    a->xr = mp_calloc(n, sizeof *a->xr);
    a->wr = mp_calloc(n, sizeof *a->wr);
    a->acc = mp_calloc(n, sizeof *a->acc);
    a->pm = mp_calloc(n, sizeof *a->pm);
    a->pready = mp_calloc(n, sizeof *a->pready);
    a->dqfree = mp_calloc(n, sizeof *a->dqfree);
    if (!a->xr || !a->wr || !a->acc || !a->pm || !a->pready || !a->dqfree) {
        array_destroy(a);
        return mp_errf(e, MP_ENOMEM, "out of memory creating the array");
    }
    *out = a;
    return MP_OK;
}

void array_destroy(Array *a)
{
    if (!a)
        return;
    mp_free(a->xr);
    mp_free(a->wr);
    mp_free(a->acc);
    mp_free(a->pm);
    mp_free(a->pready);
    mp_free(a->dqfree);
    mp_free(a);
}

static int64_t kend(const Tile *t, int64_t k, int lanes)
{
    int64_t e = k + lanes, lim = t->k0 + t->tk;
    return e < lim ? e : lim;
}

/* ---------------------------------------------------------------- output-stationary */

/* The output PE(i, j) of an OS tile computes: (m, n) = (m0 + i, n0 + j), or (m0 + j, n0 + i) when
 * the tile is transposed (rows = output channels). */
static int os_m(const Tile *t, int i, int j) { return (int)t->m0 + (t->trans ? j : i); }
static int os_n(const Tile *t, int i, int j) { return (int)t->n0 + (t->trans ? i : j); }

static int run_os(Array *a, const Tile *t, ArrayData *d, TilePhases *ph, int64_t *busy, MpErr *e)
{
    const PeTiming *pt = &a->pt;
    const int64_t bw = (int64_t)a->cfg.sram_banks * a->cfg.sram_port_bits;
    const int tm = tile_rows(t), tn = tile_cols(t), C = a->cols; /* array rows / columns in use */
    const int64_t se = pe_tile_step(&a->cfg, pt, t), sc = pt->step_cycles, steps = cdiv(t->tk, pt->lanes);
    const int64_t N = d ? d->w->rows : 0;
    int64_t cyc = 0;
    /* phase 1: partial sums shift in from the output buffer, one row per rowcyc cycles */
    const int64_t rowcyc_in = cdiv((int64_t)tn * pt->acc_bits, bw);
    for (int i = 0; i < tm; i++) {
        for (int j = 0; j < tn; j++) {
            GoldenAcc *pa = &a->acc[(size_t)i * C + j];
            if (t->first_k)
                golden_acc_reset(pa);
            else if (d)
                *pa = d->psum[(size_t)os_m(t, i, j) * N + os_n(t, i, j)];
        }
        if (!t->first_k)
            cyc += rowcyc_in; /* the row's transfer occupies the port for these cycles */
    }
    ph->load = cyc;
    /* phase 2: skewed streaming. Row i receives step s at its left edge at cycle i + s*se and
     * column j at its top edge at cycle j + s*se; registers shift one PE per cycle. */
    for (int i = 0; i < tm; i++)
        for (int j = 0; j < tn; j++) {
            a->xr[(size_t)i * C + j].k = a->wr[(size_t)i * C + j].k = -1;
            a->dqfree[(size_t)i * C + j] = 0;
        }
    const int dq = pt->dq_busy > 0 && pt->group_dequant && a->cfg.group_size > 0;
    int64_t t0 = 0, end = 0, inflight = 0, injected = 0, total_inj = (int64_t)(tm + tn) * steps;
    for (int64_t c = 0;; c++) {
        /* shift right / down, far end first */
        for (int i = 0; i < tm; i++) {
            Reg *row = &a->xr[(size_t)i * C];
            if (row[tn - 1].k >= 0)
                inflight--; /* leaves the array */
            for (int j = tn - 1; j > 0; j--)
                row[j] = row[j - 1];
            int64_t rel = c - i;
            row[0].k = -1;
            if (rel >= 0 && rel % se == 0 && rel / se < steps) {
                row[0].k = (int32_t)(t->k0 + (rel / se) * pt->lanes);
                inflight++;
                injected++;
            }
        }
        for (int j = 0; j < tn; j++) {
            if (a->wr[(size_t)(tm - 1) * C + j].k >= 0)
                inflight--;
            for (int i = tm - 1; i > 0; i--)
                a->wr[(size_t)i * C + j] = a->wr[(size_t)(i - 1) * C + j];
            int64_t rel = c - j;
            a->wr[j].k = -1;
            if (rel >= 0 && rel % se == 0 && rel / se < steps) {
                a->wr[j].k = (int32_t)(t->k0 + (rel / se) * pt->lanes);
                inflight++;
                injected++;
            }
        }
        /* PEs whose operands meet start a step */
        for (int i = 0; i < tm; i++)
            for (int j = 0; j < tn; j++) {
                Reg x = a->xr[(size_t)i * C + j], w = a->wr[(size_t)i * C + j];
                if (x.k < 0 && w.k < 0)
                    continue;
                if (x.k != w.k)
                    return mp_errf(e, MP_EINTERNAL, "array: PE(%d,%d) at cycle %lld holds x of k=%d and w of k=%d", i,
                                   j, (long long)c, x.k, w.k);
                const int64_t ke = kend(t, x.k, pt->lanes);
                if (d)
                    golden_acc_run(a->kind, &a->acc[(size_t)i * C + j], d->w, os_n(t, i, j), d->x, os_m(t, i, j),
                                   x.k, (int)ke);
                *busy += sc;
                int64_t ready = c + sc; /* the step's end; its result after latency */
                if (dq && (ke % a->cfg.group_size == 0 || ke == t->k0 + t->tk)) {
                    /* the step ends a group: its dequantization starts when the unit is free */
                    int64_t *f = &a->dqfree[(size_t)i * C + j];
                    if (*f > ready)
                        ready = *f;
                    *f = ready + pt->dq_busy;
                }
                if (ready + pt->latency > end)
                    end = ready + pt->latency;
            }
        if (injected == total_inj && inflight == 0 && c + 1 >= end) {
            t0 = end > c + 1 ? end : c + 1;
            break;
        }
    }
    ph->run = t0;
    /* phase 3: the results move to the drain registers and shift out to the output buffer, one row
     * per rowcyc cycles (the caller overlaps this with the next tile: sim/petime.h, ArrayPipe) */
    const int64_t rowcyc_out = cdiv((int64_t)tn * (t->last_k ? pt->out_bits : pt->acc_bits), bw);
    ph->drain = 0;
    for (int i = 0; i < tm; i++) {
        for (int j = 0; j < tn && d; j++) {
            const int m = os_m(t, i, j), n = os_n(t, i, j);
            size_t o = (size_t)m * N + n;
            const GoldenAcc *pa = &a->acc[(size_t)i * C + j];
            if (t->last_k)
                d->y[o] = golden_acc_finish(a->kind, pa, d->w, n, d->x, m);
            else
                d->psum[o] = *pa;
        }
        ph->drain += rowcyc_out;
    }
    return MP_OK;
}

/* ---------------------------------------------------------------- weight-stationary */

/* WS: simulated in the trans = 0 frame (K-rows r, columns j = output channels); a transposed tile
 * (K along the columns, channels along the rows) is the same machine turned by 90 degrees: its
 * registers and timing are those of the mirror image, so one simulation serves both. */
static int run_ws(Array *a, const Tile *t, ArrayData *d, TilePhases *ph, int64_t *busy, MpErr *e)
{
    const PeTiming *pt = &a->pt;
    const int64_t bw = (int64_t)a->cfg.sram_banks * a->cfg.sram_port_bits;
    /* the register files (rows x cols) hold the K-rows x channels frame with the channel edge's
     * length as the stride: kext x next = rows x cols in either orientation */
    const int tn = t->tn, C = t->trans ? a->rows : a->cols;
    const int64_t se = pe_tile_step(&a->cfg, pt, t), sc = pt->step_cycles;
    const int krows = (int)cdiv(t->tk, pt->lanes), tm = t->tm;
    const int64_t N = d ? d->w->rows : 0;
    const int kext = t->trans ? a->cols : a->rows, next = t->trans ? a->rows : a->cols;
    if (krows > kext || tn > next)
        return mp_errf(e, MP_EINTERNAL, "array: WS tile of %d k-steps x %d channels on a %dx%d array", krows, tn,
                       a->rows, a->cols);
    /* phase 1: weights shift down into the krows rows: PE(r, j) holds k-step r of column j */
    ph->load = krows * cdiv((int64_t)tn * pt->lanes * pt->w_bits, bw);
    int64_t cyc = 0;
    for (int r = 0; r < krows; r++)
        for (int j = 0; j < tn; j++)
            a->wr[(size_t)r * C + j].k = (int32_t)(t->k0 + (int64_t)r * pt->lanes);
    /* phase 2: activation row m enters PE row r at m*se + r*sc and moves right one PE per cycle;
     * the psum of (m, j) moves down, one PE row per sc cycles, and leaves after latency. */
    for (int r = 0; r < krows; r++)
        for (int j = 0; j < tn; j++) {
            a->xr[(size_t)r * C + j].k = -1;
            a->pm[(size_t)r * C + j] = -1;
        }
    int64_t end = 0;
    int64_t remaining_x = (int64_t)tm * krows, inflight = 0;
    int32_t *xm = mp_calloc((size_t)krows * C, sizeof *xm); /* row m of each x register */
    if (!xm)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    int rc = MP_OK;
    for (int64_t c = 0; rc == MP_OK; c++) {
        for (int r = 0; r < krows; r++) {
            Reg *row = &a->xr[(size_t)r * C];
            int32_t *rm = &xm[(size_t)r * C];
            if (row[tn - 1].k >= 0)
                inflight--;
            for (int j = tn - 1; j > 0; j--) {
                row[j] = row[j - 1];
                rm[j] = rm[j - 1];
            }
            int64_t rel = c - (int64_t)r * sc;
            row[0].k = -1;
            if (rel >= 0 && rel % se == 0 && rel / se < tm) {
                row[0].k = (int32_t)(t->k0 + (int64_t)r * pt->lanes);
                rm[0] = (int32_t)(rel / se);
                inflight++;
                remaining_x--;
            }
        }
        /* bottom row first: a PE reads the psum its upper neighbour finished this cycle before
         * that neighbour starts the next row's step (evaluate before commit) */
        for (int r = krows - 1; r >= 0 && rc == MP_OK; r--)
            for (int j = 0; j < tn; j++) {
                Reg x = a->xr[(size_t)r * C + j], w = a->wr[(size_t)r * C + j];
                if (x.k < 0)
                    continue;
                if (x.k != w.k) {
                    rc = mp_errf(e, MP_EINTERNAL, "array: WS PE(%d,%d) cycle %lld: x k=%d, w k=%d", r, j,
                                 (long long)c, x.k, w.k);
                    break;
                }
                int32_t m = xm[(size_t)r * C + j];
                GoldenAcc *ps = &a->acc[(size_t)r * C + j];
                if (r == 0) { /* the psum enters from the output buffer */
                    if (t->first_k || !d)
                        golden_acc_reset(ps);
                    else
                        *ps = d->psum[(size_t)(t->m0 + m) * N + t->n0 + j];
                } else {
                    /* from the PE above, which finished it exactly now */
                    size_t up = (size_t)(r - 1) * C + j;
                    if (a->pm[up] != m || a->pready[up] != c) {
                        rc = mp_errf(e, MP_EINTERNAL, "array: WS PE(%d,%d) cycle %lld: psum of row %d not ready", r,
                                     j, (long long)c, m);
                        break;
                    }
                    *ps = a->acc[up];
                }
                if (d)
                    golden_acc_run(a->kind, ps, d->w, (int)(t->n0 + j), d->x, (int)(t->m0 + m), x.k,
                                   (int)kend(t, x.k, pt->lanes));
                a->pm[(size_t)r * C + j] = m;
                a->pready[(size_t)r * C + j] = (int32_t)(c + sc);
                *busy += sc;
                if (r == krows - 1) { /* leaves the bottom after the step and the pipeline */
                    if (d) {
                        size_t o = (size_t)(t->m0 + m) * N + t->n0 + j;
                        if (t->last_k)
                            d->y[o] = golden_acc_finish(a->kind, ps, d->w, (int)(t->n0 + j), d->x, (int)(t->m0 + m));
                        else
                            d->psum[o] = *ps;
                    }
                    if (c + sc + pt->latency > end)
                        end = c + sc + pt->latency;
                }
            }
        if (remaining_x == 0 && inflight == 0 && c + 1 >= end) {
            cyc += end > c + 1 ? end : c + 1;
            break;
        }
    }
    mp_free(xm);
    ph->run = cyc;
    ph->drain = 0;
    return rc;
}

int array_run_tile(Array *a, const PeTiming *pt, PeKindId kind, const Tile *t, ArrayData *d, TilePhases *ph,
                   int64_t *pe_busy, MpErr *e)
{
    a->pt = *pt;
    a->kind = kind;
    *pe_busy = 0;
    if (t->tm < 1 || t->tn < 1 || t->tk < 1 ||
        (a->cfg.dataflow == DATAFLOW_OS && (tile_rows(t) > a->rows || tile_cols(t) > a->cols)))
        return mp_errf(e, MP_EINTERNAL, "array: tile %dx%dx%d (%s) does not fit a %dx%d array", t->tm, t->tn, t->tk,
                       t->trans ? "channels on the rows" : "tokens on the rows", a->rows, a->cols);
    return a->cfg.dataflow == DATAFLOW_OS ? run_os(a, t, d, ph, pe_busy, e) : run_ws(a, t, d, ph, pe_busy, e);
}
