/* dataflow/part.c — see part.h. */
#include "dataflow/part.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The problem's numbers as map_partition reads them (part.h's fallbacks applied). */
typedef struct Norm {
    int64_t count, serial, indep, m, n, k;
    int cores, masked;
} Norm;

static Norm norm(const MapPartProblem *p)
{
    Norm q;
    q.count = p->count > 1 ? p->count : 1;
    q.serial = p->serial >= 1 && p->serial <= q.count && q.count % p->serial == 0 ? p->serial : q.count;
    q.indep = q.count / q.serial;
    q.m = p->g.m > 1 ? p->g.m : 1;
    q.n = p->g.n > 1 ? p->g.n : 1;
    q.k = p->g.k > 1 ? p->g.k : 1;
    q.cores = p->cores > 1 ? p->cores : 1;
    q.masked = p->g.causal != MAP_CAUSAL_NONE && q.m > 1;
    return q;
}

/* a busy core's share of the memory system: max(1, D / busy), capped at MAP_PART_SHARE_MAX */
static int64_t share_of(const MapPartProblem *p, int busy)
{
    const int64_t s = p->dram_bits_per_cycle / busy;
    return s < 1 ? 1 : s > MAP_PART_SHARE_MAX ? MAP_PART_SHARE_MAX : s;
}

/* DRAM bits per element of W, X, Y (0 for an operand on chip) */
static double w_dram(const MapProblem *g) { return g->w_dram_bits; }
static double x_dram(const MapProblem *g) { return g->x_onchip ? 0 : g->x_dram_bits; }
static double y_dram(const MapProblem *g) { return g->y_onchip ? 0 : g->y_dram_bits; }

/* One candidate blocking's DRAM time on a core: lat x its transfers + its bits / share. An operand
 * read r times moves r x its bits (e: DRAM bits, s: SRAM bits per element of it) in at least its
 * blocking's t transfers, and in at least as many as it fills its buffer (cap SRAM bits, halved when
 * double-buffered): ceil(r x its SRAM bits / cap); an operand that does not move takes none. */
typedef struct PartCost {
    double lat, share;
    double bits[3], sram[3], cap[3]; /* X, W, Y: DRAM bits of one read, SRAM bits, buffer capacity */
} PartCost;

static double xfers_of(const PartCost *pc, int o, double reads, double t)
{
    if (pc->bits[o] <= 0)
        return 0;
    const double fill = ceil(reads * pc->sram[o] / (pc->cap[o] > 1 ? pc->cap[o] : 1));
    return t > fill ? t : fill > 1 ? fill : 1;
}

/* *best = the lesser of *best (< 0: none yet) and the blocking reading X rx and W rw times (Y once) in
 * tx, tw, ty block transfers */
static void keep_least(const PartCost *pc, double *best, double rx, double rw, double tx, double tw, double ty)
{
    const double xf = xfers_of(pc, 0, rx, tx) + xfers_of(pc, 1, rw, tw) + xfers_of(pc, 2, 1, ty);
    const double t = pc->lat * xf + (pc->bits[0] * rx + pc->bits[1] * rw + pc->bits[2]) / pc->share;
    if (*best < 0 || t < *best)
        *best = t;
}

/* part.h's xfers(mc, nc) x latency + bits(mc, nc) / share: the DRAM time of one instance of an
 * mc x nc x k part on a core of `share` bits per cycle, the least over the output blocks Bm x Bn that
 * fit the output buffer, K streamed or whole (capacities as map.c's fits()). A blocking's transfers:
 * one per block of a moving operand, and no fewer than it takes to pass its bits through its buffer
 * (PartCost above). */
static double part_dram(const MapProblem *g, int64_t mc, int64_t nc, int64_t k, double share, double lat)
{
    const double db = g->double_buffer ? 2 : 1, kd = (double)k, md = (double)mc, nd = (double)nc;
    const double acc = g->acc_bits > 0 ? g->acc_bits : 32;
    const PartCost pc = {lat,
                         share,
                         {md * kd * x_dram(g), nd * kd * w_dram(g), md * nd * y_dram(g)},
                         {md * kd * g->x_bits, nd * kd * g->w_bits, md * nd * (g->out_bits > 0 ? g->out_bits : acc)},
                         {(double)g->xbuf_bits / db, (double)g->wbuf_bits / db, (double)g->ybuf_bits / db}};
    const double xrow = db * ceil(g->x_bits * kd), wrow = db * ceil(g->w_bits * kd); /* one whole-K row */
    const double yn = floor((double)g->ybuf_bits / (db * acc));
    const double wn = floor((double)g->wbuf_bits / wrow); /* whole-K W rows that fit */
    double best = -1;
    for (int64_t bm = 1;; bm = bm * 2 < mc ? bm * 2 : mc) {
        const double bn = floor(yn / (double)bm) < nd ? floor(yn / (double)bm) : nd;
        if (bn < 1)
            break; /* a larger Bm fits still less */
        const double rm = ceil(md / (double)bm), rn = ceil(nd / bn), blocks = rm * rn;
        /* K streamed: every output block reads its rows of both */
        keep_least(&pc, &best, rn, rm, blocks, blocks, blocks);
        if ((double)bm * xrow <= (double)g->xbuf_bits) { /* X's Bm x K block resident across N */
            keep_least(&pc, &best, 1, rm, rm, blocks, blocks);
            const double bnk = bn < wn ? bn : wn; /* W's Bn' x K block resident across M */
            if (bnk >= 1) {
                const double rw = ceil(nd / bnk);
                keep_least(&pc, &best, rw, 1, rw * rm, rw, blocks);
            }
        }
        if (bm == mc)
            break;
    }
    if (best < 0) /* not even one output fits: counted as each operand read once */
        keep_least(&pc, &best, 1, 1, 1, 1, 1);
    return best;
}

int map_part_k_splits(const MapPartProblem *p)
{
    const Norm q = norm(p);
    const int64_t u = p->g.k_align > 1 ? p->g.k_align : 1;
    return !q.masked && q.k % u == 0 && q.k / u >= 2;
}

/* one DRAM transfer of b bits on a core of `share` bits per cycle */
static int64_t xfer(const MapPartProblem *p, int64_t share, int64_t b) { return p->latency + cdiv(b, share); }

/* the tail's adds: pk - 1 partials of mc x nc outputs spread over the owner's PEs, one add per PE
 * per cycle */
static int64_t tail_adds(const MapPartProblem *p, int pk, int64_t mc, int64_t nc)
{
    const int64_t pes = (int64_t)(p->g.rows > 1 ? p->g.rows : 1) * (p->g.cols > 1 ? p->g.cols : 1);
    return pk > 1 ? (pk - 1) * cdiv(mc * nc, pes) : 0;
}

int64_t map_part_tail(const MapPartProblem *p, int pk, int64_t share, int64_t mc, int64_t nc)
{
    if (pk <= 1)
        return 0;
    const int64_t part = xfer(p, share, mc * nc * MAP_PART_REDUCE_BITS);
    const int64_t yb = (int64_t)ceil((double)mc * (double)nc * y_dram(&p->g));
    return part + (pk - 1) * part + tail_adds(p, pk, mc, nc) + (yb > 0 ? xfer(p, share, yb) : 0);
}

/* part.h's estimate of grid (pi, pm, pn, pk): the busiest core's cycles and all cores' DRAM bits. When
 * compute + tail alone exceed bound, *cycles is that lower bound (> bound) and the DRAM time is not
 * worked out: the search's shortcut (the grid cannot be chosen). */
static void estimate(const MapPartProblem *p, const Norm *q, int pi, int pm, int pn, int pk, double bound,
                     double *cycles, double *bits)
{
    const MapProblem *g = &p->g;
    const double ci = (double)q->serial * (double)cdiv(q->indep, pi);
    const int64_t mc = cdiv(q->m, pm), nc = cdiv(q->n, pn), r = g->rows > 1 ? g->rows : 1,
                  c = g->cols > 1 ? g->cols : 1, lanes = p->lanes > 1 ? p->lanes : 1,
                  u = pk > 1 && g->k_align > 1 ? g->k_align : 1, kc = cdiv(q->k / u, pk) * u;
    const int64_t t0 = cdiv(mc, r) * cdiv(nc, c), t1 = cdiv(mc, c) * cdiv(nc, r);
    const double steps = (double)cdiv(kc, lanes) * (p->step_cycles > 1 ? p->step_cycles : 1);
    const double compute = ci * (double)(t0 < t1 ? t0 : t1) * steps;
    const int64_t share = share_of(p, pi * pm * pn * pk);
    const double tail = ci * (double)map_part_tail(p, pk, share, mc, nc), kd = (double)q->k;
    *bits = (double)q->serial * (double)q->indep *
            ((double)q->m * kd * x_dram(g) * pn + (double)q->n * kd * w_dram(g) * pm +
             (double)q->m * (double)q->n * (y_dram(g) + 2.0 * (pk - 1) * MAP_PART_REDUCE_BITS));
    if (compute + tail > bound) {
        *cycles = compute + tail;
        return;
    }
    const double dram = ci * ceil(part_dram(g, mc, nc, kc, (double)share, (double)p->latency));
    *cycles = (compute > dram ? compute : dram) + tail;
}

/* T split into p parts: ceil on T % p of them (all p when p divides T), floor on the rest */
static void split1(int64_t total, int p, int64_t share[2], int parts[2])
{
    share[0] = cdiv(total, p);
    share[1] = total / p;
    parts[0] = total % p ? (int)(total % p) : p;
    parts[1] = p - parts[0];
}

void map_part_grid(const MapPartProblem *p, int pi, int pm, int pn, int pk, MapPart *out)
{
    const Norm q = norm(p);
    memset(out, 0, sizeof *out);
    out->pi = pi;
    out->pm = pm;
    out->pn = pn;
    out->pk = pk;
    out->busy = pi * pm * pn * pk;
    out->share = share_of(p, out->busy);
    const int64_t u = pk > 1 && p->g.k_align > 1 ? p->g.k_align : 1;
    int64_t si[2], sm[2], sn[2], sk[2];
    int ni[2], nm[2], nn[2], nk[2];
    split1(q.indep, pi, si, ni);
    split1(q.m, pm, sm, nm);
    split1(q.n, pn, sn, nn);
    split1(q.k / u, pk, sk, nk); /* pk = 1: u = 1, one part of all K */
    for (int e = 0; e < 3; e++) /* the owner (K ceil), non-owners of K ceil, non-owners of K floor */
        for (int s = 0; s < 8; s++) { /* bit 0: instances floor, bit 1: M floor, bit 2: N floor */
            const int a = s & 1, b = (s >> 1) & 1, d = (s >> 2) & 1;
            const int per = e == 0 ? 1 : e == 1 ? nk[0] - 1 : nk[1], cores = ni[a] * nm[b] * nn[d] * per;
            if (cores == 0)
                continue;
            out->count[out->nshape] = q.serial * si[a];
            out->m[out->nshape] = sm[b];
            out->n[out->nshape] = sn[d];
            out->k[out->nshape] = sk[e == 2] * u;
            out->owner[out->nshape] = e == 0;
            out->ncores[out->nshape] = cores;
            out->nshape++;
        }
    out->tail = map_part_tail(p, pk, out->share, out->m[0], out->n[0]);
    out->tail_adds = tail_adds(p, pk, out->m[0], out->n[0]);
    estimate(p, &q, pi, pm, pn, pk, HUGE_VAL, &out->est_cycles, &out->est_bits);
}

/* The next part count after p worth trying along a dimension of T units: the smallest one whose
 * ceil(T / p') is below ceil(T / p); 0 when ceil(T / p) is already 1. */
static int64_t next_parts(int64_t total, int64_t p)
{
    const int64_t c = cdiv(total, p);
    return c <= 1 ? 0 : cdiv(total, c - 1);
}

/* The search's state: the least estimated time seen (pass 0), then the choice among the near-ties
 * (pass 1). */
typedef struct Search {
    int pass;
    double least;                /* pass 0's result: the least estimated time of any grid       */
    int have, grid[4], busy;     /* the choice so far (pi, pm, pn, pk) and its busy cores        */
    double cycles, bits;         /* its estimate                                                 */
} Search;

/* One grid in pass 1: a near-tie (time within MAP_PART_NEAR of the least) ranks before the choice so
 * far when it has more busy cores, then less time, then less traffic (equal: no). */
static void consider(Search *s, const int grid[4], double cyc, double bits)
{
    if (s->pass == 0) {
        s->least = !s->have || cyc < s->least ? cyc : s->least;
        s->have = 1;
        return;
    }
    if (cyc > s->least * (1 + MAP_PART_NEAR))
        return;
    const int busy = grid[0] * grid[1] * grid[2] * grid[3];
    if (s->have &&
        !(busy > s->busy || (busy == s->busy && (cyc < s->cycles || (cyc == s->cycles && bits < s->bits)))))
        return;
    s->have = 1;
    memcpy(s->grid, grid, sizeof s->grid);
    s->busy = busy;
    s->cycles = cyc;
    s->bits = bits;
}

void map_partition(const MapPartProblem *p, MapPart *out)
{
    const Norm q = norm(p);
    const int C = q.cores;
    const int64_t mmax = q.masked ? 1 : q.m, nmax = q.masked && p->g.causal != MAP_CAUSAL_K ? 1 : q.n;
    const int64_t u = p->g.k_align > 1 ? p->g.k_align : 1, ku = map_part_k_splits(p) ? q.k / u : 1; /* K units */
    Search s;
    memset(&s, 0, sizeof s);
    for (s.pass = 0; s.pass < 2; s.pass++) {
        s.have = 0;
        for (int64_t pi = 1; pi && pi <= C && pi <= q.indep; pi = next_parts(q.indep, pi)) {
            const int64_t lm = C / pi;
            for (int64_t pm = 1; pm && pm <= lm && pm <= mmax; pm = next_parts(q.m, pm)) {
                const int64_t ln = lm / pm;
                for (int64_t pn = 1; pn && pn <= ln && pn <= nmax; pn = next_parts(q.n, pn)) {
                    const int64_t lk = ln / pn;
                    const double ci = (double)q.serial * (double)cdiv(q.indep, pi);
                    for (int64_t pk = 1; pk && pk <= lk && pk <= ku; pk = next_parts(ku, pk)) {
                        const int grid[4] = {(int)pi, (int)pm, (int)pn, (int)pk};
                        const double bound = s.pass ? s.least * (1 + MAP_PART_NEAR) : s.have ? s.least : HUGE_VAL;
                        /* the tail alone grows with pk (more partials, a smaller share): once it
                         * exceeds what could still be chosen, no larger pk can be */
                        const int64_t share = share_of(p, (int)(pi * pm * pn * pk));
                        if (pk > 1 && ci * (double)map_part_tail(p, (int)pk, share, cdiv(q.m, pm), cdiv(q.n, pn)) > bound)
                            break;
                        double cyc, bits;
                        estimate(p, &q, grid[0], grid[1], grid[2], grid[3], bound, &cyc, &bits);
                        consider(&s, grid, cyc, bits);
                    }
                }
            }
        }
    }
    map_part_grid(p, s.grid[0], s.grid[1], s.grid[2], s.grid[3], out);
}

void map_part_describe(const MapPart *mp, int cores, char *buf, int cap)
{
    if (mp->pk > 1)
        snprintf(buf, (size_t)cap, "%dx%dx%dx%d of %d cores", mp->pi, mp->pm, mp->pn, mp->pk, cores > 1 ? cores : 1);
    else
        snprintf(buf, (size_t)cap, "%dx%dx%d of %d cores", mp->pi, mp->pm, mp->pn, cores > 1 ? cores : 1);
}
