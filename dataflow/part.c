/* dataflow/part.c — see part.h. */
#include "dataflow/part.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The problem's numbers as map_partition reads them (part.h's fallbacks applied). */
typedef struct Norm {
    int64_t count, serial, indep, m, n, k;
    int cores;
} Norm;

static Norm norm(const MapPartProblem *p)
{
    Norm q;
    q.count = p->count > 1 ? p->count : 1;
    q.serial = p->serial >= 1 && p->serial <= q.count && q.count % p->serial == 0 ? p->serial : q.count;
    q.indep = q.count / q.serial;
    q.m = p->m > 1 ? p->m : 1;
    q.n = p->n > 1 ? p->n : 1;
    q.k = p->k > 1 ? p->k : 1;
    q.cores = p->cores > 1 ? p->cores : 1;
    return q;
}

/* a busy core's share of the memory system: max(1, D / busy), capped at MAP_PART_SHARE_MAX */
static int64_t share_of(const MapPartProblem *p, int busy)
{
    const int64_t s = p->dram_bits_per_cycle / busy;
    return s < 1 ? 1 : s > MAP_PART_SHARE_MAX ? MAP_PART_SHARE_MAX : s;
}

/* part.h's estimate of grid (pi, pm, pn): the busiest core's cycles and all cores' DRAM bits */
static void estimate(const MapPartProblem *p, const Norm *q, int pi, int pm, int pn, double *cycles, double *bits)
{
    const double ci = (double)q->serial * (double)cdiv(q->indep, pi);
    const int64_t mc = cdiv(q->m, pm), nc = cdiv(q->n, pn), r = p->rows > 1 ? p->rows : 1,
                  c = p->cols > 1 ? p->cols : 1, lanes = p->lanes > 1 ? p->lanes : 1;
    const int64_t t0 = cdiv(mc, r) * cdiv(nc, c), t1 = cdiv(mc, c) * cdiv(nc, r);
    const double steps = (double)cdiv(q->k, lanes) * (p->step_cycles > 1 ? p->step_cycles : 1);
    const double compute = ci * (double)(t0 < t1 ? t0 : t1) * steps;
    const double kd = (double)q->k, core_bits = ci * ((double)mc * kd * p->x_bits + (double)nc * kd * p->w_bits +
                                                      (double)mc * (double)nc * p->y_bits);
    const double dram = ceil(core_bits / (double)share_of(p, pi * pm * pn));
    *cycles = compute > dram ? compute : dram;
    *bits = (double)q->serial * (double)q->indep *
            ((double)q->m * kd * p->x_bits * pn + (double)q->n * kd * p->w_bits * pm +
             (double)q->m * (double)q->n * p->y_bits);
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

void map_partition(const MapPartProblem *p, MapPart *out)
{
    const Norm q = norm(p);
    const int C = q.cores;
    const int64_t mmax = p->masked ? 1 : q.m, nmax = p->masked ? 1 : q.n;
    int bi = 1, bm = 1, bn = 1;
    double bc = 0, bb = 0;
    int have = 0;
    for (int64_t pi = 1; pi && pi <= C && pi <= q.indep; pi = next_parts(q.indep, pi)) {
        const int64_t lm = C / pi;
        for (int64_t pm = 1; pm && pm <= lm && pm <= mmax; pm = next_parts(q.m, pm)) {
            const int64_t ln = lm / pm;
            for (int64_t pn = 1; pn && pn <= ln && pn <= nmax; pn = next_parts(q.n, pn)) {
                double cyc, bits;
                estimate(p, &q, (int)pi, (int)pm, (int)pn, &cyc, &bits);
                const int busy = (int)(pi * pm * pn);
                if (!have || cyc < bc || (cyc == bc && (bits < bb || (bits == bb && busy < bi * bm * bn)))) {
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
