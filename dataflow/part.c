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

/* part.h's bits(mc, nc): the least DRAM bits of one instance of an mc x nc x k part over the output
 * blocks Bm x Bn that fit the output buffer, K streamed or whole (capacities as map.c's fits()) */
static double part_bits(const MapProblem *g, int64_t mc, int64_t nc, int64_t k)
{
    const double db = g->double_buffer ? 2 : 1, kd = (double)k, X = (double)mc * kd * x_dram(g),
                 W = (double)nc * kd * w_dram(g), Y = (double)mc * (double)nc * y_dram(g);
    const double xrow = db * ceil(g->x_bits * kd), wrow = db * ceil(g->w_bits * kd); /* one whole-K row */
    const double yn = floor((double)g->ybuf_bits / (db * (g->acc_bits > 0 ? g->acc_bits : 32)));
    const double wn = floor((double)g->wbuf_bits / wrow); /* whole-K W rows that fit */
    double best = -1;
    for (int64_t bm = 1;; bm = bm * 2 < mc ? bm * 2 : mc) {
        const double bn = floor(yn / (double)bm) < (double)nc ? floor(yn / (double)bm) : (double)nc;
        if (bn < 1)
            break; /* a larger Bm fits still less */
        const double rm = ceil((double)mc / (double)bm), rn = ceil((double)nc / bn);
        double t = X * rn + W * rm; /* K streamed: every output block reads its rows of both */
        if ((double)bm * xrow <= (double)g->xbuf_bits) { /* X's Bm x K block resident across N */
            if (X + W * rm < t)
                t = X + W * rm;
            const double bnk = bn < wn ? bn : wn; /* W's Bn' x K block resident across M */
            if (bnk >= 1 && W + X * ceil((double)nc / bnk) < t)
                t = W + X * ceil((double)nc / bnk);
        }
        if (best < 0 || t < best)
            best = t;
        if (bm == mc)
            break;
    }
    if (best < 0) /* not even one output fits: counted as each operand read once */
        best = X + W;
    return best + Y;
}

/* part.h's estimate of grid (pi, pm, pn): the busiest core's cycles and all cores' DRAM bits */
static void estimate(const MapPartProblem *p, const Norm *q, int pi, int pm, int pn, double *cycles, double *bits)
{
    const MapProblem *g = &p->g;
    const double ci = (double)q->serial * (double)cdiv(q->indep, pi);
    const int64_t mc = cdiv(q->m, pm), nc = cdiv(q->n, pn), r = g->rows > 1 ? g->rows : 1,
                  c = g->cols > 1 ? g->cols : 1, lanes = p->lanes > 1 ? p->lanes : 1;
    const int64_t t0 = cdiv(mc, r) * cdiv(nc, c), t1 = cdiv(mc, c) * cdiv(nc, r);
    const double steps = (double)cdiv(q->k, lanes) * (p->step_cycles > 1 ? p->step_cycles : 1);
    const double compute = ci * (double)(t0 < t1 ? t0 : t1) * steps;
    const int ops = (w_dram(g) > 0) + (x_dram(g) > 0) + (y_dram(g) > 0);
    const double dram = ci * ((double)(ops * p->latency) +
                              ceil(part_bits(g, mc, nc, q->k) / (double)share_of(p, pi * pm * pn)));
    const double kd = (double)q->k;
    *cycles = compute > dram ? compute : dram;
    *bits = (double)q->serial * (double)q->indep *
            ((double)q->m * kd * x_dram(g) * pn + (double)q->n * kd * w_dram(g) * pm +
             (double)q->m * (double)q->n * y_dram(g));
}

/* T split into p parts: ceil on T % p of them (all p when p divides T), floor on the rest */
static void split1(int64_t total, int p, int64_t share[2], int parts[2])
{
    share[0] = cdiv(total, p);
    share[1] = total / p;
    parts[0] = total % p ? (int)(total % p) : p;
    parts[1] = p - parts[0];
}

void map_part_grid(const MapPartProblem *p, int pi, int pm, int pn, MapPart *out)
{
    const Norm q = norm(p);
    memset(out, 0, sizeof *out);
    out->pi = pi;
    out->pm = pm;
    out->pn = pn;
    out->busy = pi * pm * pn;
    out->share = share_of(p, out->busy);
    int64_t si[2], sm[2], sn[2];
    int ni[2], nm[2], nn[2];
    split1(q.indep, pi, si, ni);
    split1(q.m, pm, sm, nm);
    split1(q.n, pn, sn, nn);
    for (int s = 0; s < MAP_PART_SHAPES; s++) { /* bit 0: instances floor, bit 1: M floor, bit 2: N floor */
        const int a = s & 1, b = (s >> 1) & 1, d = (s >> 2) & 1, cores = ni[a] * nm[b] * nn[d];
        if (cores == 0)
            continue;
        out->count[out->nshape] = q.serial * si[a];
        out->m[out->nshape] = sm[b];
        out->n[out->nshape] = sn[d];
        out->ncores[out->nshape] = cores;
        out->nshape++;
    }
    estimate(p, &q, pi, pm, pn, &out->est_cycles, &out->est_bits);
}

/* The next part count after p worth trying along a dimension of T units: the smallest one whose
 * ceil(T / p') is below ceil(T / p); 0 when ceil(T / p) is already 1. */
static int64_t next_parts(int64_t total, int64_t p)
{
    const int64_t c = cdiv(total, p);
    return c <= 1 ? 0 : cdiv(total, c - 1);
}

/* 1 if estimate a ranks before b (least time, less traffic, fewer busy cores; equal: no) */
static int ranks_before(double ca, double ba, int busy_a, double cb, double bb, int busy_b)
{
    return ca < cb || (ca == cb && (ba < bb || (ba == bb && busy_a < busy_b)));
}

void map_partition(const MapPartProblem *p, MapPart *out)
{
    const Norm q = norm(p);
    const int C = q.cores;
    const int64_t mmax = q.masked ? 1 : q.m, nmax = q.masked && p->g.causal != MAP_CAUSAL_K ? 1 : q.n;
    int bi = 1, bm = 1, bn = 1, have = 0;
    double bc = 0, bb = 0;
    for (int64_t pi = 1; pi && pi <= C && pi <= q.indep; pi = next_parts(q.indep, pi)) {
        const int64_t lm = C / pi;
        for (int64_t pm = 1; pm && pm <= lm && pm <= mmax; pm = next_parts(q.m, pm)) {
            const int64_t ln = lm / pm;
            for (int64_t pn = 1; pn && pn <= ln && pn <= nmax; pn = next_parts(q.n, pn)) {
                double cyc, bits;
                estimate(p, &q, (int)pi, (int)pm, (int)pn, &cyc, &bits);
                if (!have || ranks_before(cyc, bits, (int)(pi * pm * pn), bc, bb, bi * bm * bn)) {
                    have = 1;
                    bc = cyc;
                    bb = bits;
                    bi = (int)pi;
                    bm = (int)pm;
                    bn = (int)pn;
                }
            }
        }
    }
    map_part_grid(p, bi, bm, bn, out);
}

void map_part_describe(const MapPart *mp, int cores, char *buf, int cap)
{
    snprintf(buf, (size_t)cap, "%dx%dx%d of %d cores", mp->pi, mp->pm, mp->pn, cores > 1 ? cores : 1);
}
