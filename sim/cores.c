/* sim/cores.c — see cores.h. */
#include "sim/cores.h"

#include <string.h>

#include "sim/petime.h"

void cores_part_problem(const ArchConfig *c, const SimGemm *g, MapPartProblem *out)
{
    const PeTiming pt = g->act_act ? pe_timing_act_act(c) : pe_timing(c);
    MapPartProblem q;
    memset(&q, 0, sizeof q);
    sim_map_problem(c, g, &q.g); /* the operands' bits and the buffers, as the engine maps them */
    q.count = g->count;
    q.serial = g->serial > 1 ? g->serial : 1; /* SimGemm: 0 or 1 = every instance independent */
    q.cores = c->cores;
    q.lanes = pt.lanes;
    /* K parts start on multiples of the mapper's k_align (the group size for kinds that dequantize
     * per group along K, else the lanes) and of the lanes (an act_act GEMM's k_align is 1) */
    const int64_t ka = q.g.k_align > 1 ? q.g.k_align : 1, l = pt.lanes > 1 ? pt.lanes : 1;
    int64_t a = ka, b = l;
    while (b) {
        const int64_t t = a % b;
        a = b;
        b = t;
    }
    q.g.k_align = (int)(ka / a * l); /* lcm(k_align, lanes) */
    q.step_cycles = pt.step_cycles;
    q.dram_bits_per_cycle = (int64_t)(c->dram_channels > 1 ? c->dram_channels : 1) * c->dram_bits_per_cycle;
    q.latency = c->dram_latency_cycles;
    *out = q;
}

void cores_partition(const ArchConfig *c, const SimGemm *g, MapPart *p)
{
    MapPartProblem q;
    cores_part_problem(c, g, &q);
    map_partition(&q, p);
}

void cores_core_config(const ArchConfig *c, const MapPart *p, ArchConfig *core)
{
    *core = *c;
    core->dram_bits_per_cycle = (int)p->share;
    core->cores = 1;
    core->dram_channels = 1;
}

void cores_part_gemm(const SimGemm *g, const MapPart *p, int s, SimGemm *part)
{
    *part = *g;
    part->m = p->m[s];
    part->n = p->n[s];
    part->k = p->k[s];
    if (!p->owner[s])
        part->y_onchip = 1; /* partial sums: kept for the reduction tail, which writes them out */
    part->count = 1;
    part->serial = 0;
}

/* count instances of one part back to back with the mapping of its one instance (r1): fast
 * fidelity, then, at cycle fidelity, ticked within the cycle-fidelity work limit */
static int part_instances(const ArchConfig *cc, const SimGemm *pg, int64_t count, Fidelity fid, const SimResult *r1,
                          SimResult *all, MpErr *e)
{
    if (count <= 1) {
        *all = *r1;
        return MP_OK;
    }
    SimGemm sc = *pg;
    sc.count = count;
    int rc = sim_gemm_mapped(cc, &sc, &r1->map, FID_FAST, NULL, all, e);
    if (rc || fid == FID_FAST)
        return rc;
    SimLimits lim;
    if ((rc = sim_limits(&lim, e)) != MP_OK)
        return rc;
    const int64_t pes = (int64_t)cc->rows * cc->cols;
    if (all->ev.cycles > lim.max_pe_cycles / pes)
        return mp_errf(e, MP_EINPUT,
                       "%lld instances of GEMM %lldx%lldx%lld: %lld cycles on %lld PEs is above the cycle-fidelity work "
                       "limit of %lld PE-cycles (raise it with MPSIM_MAX_PE_CYCLES=N, or use --fidelity fast)",
                       (long long)count, (long long)pg->m, (long long)pg->n, (long long)pg->k,
                       (long long)all->ev.cycles, (long long)pes, (long long)lim.max_pe_cycles);
    return sim_gemm_mapped(cc, &sc, &r1->map, FID_CYCLE, NULL, all, e);
}

/* The reduction tail's events (part.h): per owner core and instance, pk - 1 partials of m x n x
 * MAP_PART_REDUCE_BITS written to DRAM by the non-owners (read out of their output buffers) and read
 * back by the owner (into its output buffer), and pk - 1 adds per output on the owner's PEs. */
static void tail_events(const MapPart *p, SimEvents *ev)
{
    for (int s = 0; s < p->nshape && p->pk > 1; s++) {
        if (!p->owner[s])
            continue;
        const int64_t adds = p->ncores[s] * p->count[s] * (p->pk - 1) * p->m[s] * p->n[s],
                      bits = adds * MAP_PART_REDUCE_BITS;
        ev->dram_write_bits += bits;
        ev->dram_read_bits += bits;
        ev->sram_read_bits[BUF_Y] += bits;
        ev->sram_write_bits[BUF_Y] += bits;
        ev->pe_busy += adds;
    }
}

/* The combination of cores.h from each shape's result (part[s], run by p->ncores[s] cores). */
static void combine(const ArchConfig *c, int act_act, const MapPart *p, const SimResult *part, SimResult *out)
{
    memset(out, 0, sizeof *out);
    int64_t cycles = 0;
    for (int s = 0; s < p->nshape; s++) {
        sim_events_add(&out->ev, &part[s].ev, p->ncores[s]);
        cycles = part[s].ev.cycles > cycles ? part[s].ev.cycles : cycles;
        for (int q = 0; q < SIM_RES_COUNT; q++)
            out->res[q] = part[s].res[q] > out->res[q] ? part[s].res[q] : out->res[q];
        out->tiles += part[s].tiles * p->ncores[s];
        out->stream += part[s].stream * p->ncores[s];
    }
    out->map = part[0].map;
    tail_events(p, &out->ev);
    cycles += p->count[0] * p->tail; /* shape 0's cell: the most instances, the largest M x N */
    out->res[SIM_RES_COMPUTE] += p->tail_adds; /* one instance's tail: its adds on the PEs, */
    out->res[SIM_RES_DRAM] += p->tail - p->tail_adds; /* the rest DRAM transfers (pk = 1: none) */
    const PeTiming pt = act_act ? pe_timing_act_act(c) : pe_timing(c);
    const int64_t cores = c->cores > 1 ? c->cores : 1;
    out->ev.cycles = cycles;
    out->ev.pe_total = cores * c->rows * c->cols * cycles;
    out->ev.mac_capacity = out->ev.pe_total * pt.lanes / pt.step_cycles;
    out->ev.stall_cycles = cores * cycles - out->ev.compute_cycles;
}

int cores_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const SimMapOpts *o, const SimResult *first,
               SimResult *one, SimResult *all, MapPart *split, MpErr *e)
{
    MapPart p;
    cores_partition(c, g, &p);
    if (split)
        *split = p;
    return cores_gemm_split(c, g, &p, fid, o, first, one, all, e);
}

int cores_gemm_split(const ArchConfig *c, const SimGemm *g, const MapPart *sp, Fidelity fid, const SimMapOpts *o,
                     const SimResult *first, SimResult *one, SimResult *all, MpErr *e)
{
    const MapPart p = *sp;
    ArchConfig cc;
    cores_core_config(c, &p, &cc);
    SimResult r1[MAP_PART_SHAPES], part[MAP_PART_SHAPES];
    int rc = MP_OK;
    memset(r1, 0, sizeof r1);
    memset(part, 0, sizeof part);
    for (int s = 0; s < p.nshape && rc == MP_OK; s++) {
        SimGemm pg;
        cores_part_gemm(g, &p, s, &pg);
        int same = -1; /* an earlier shape of the same M x N x K and role: the same GEMM on the same core */
        for (int t = 0; t < s && same < 0; t++)
            if (p.m[t] == p.m[s] && p.n[t] == p.n[s] && p.k[t] == p.k[s] && p.owner[t] == p.owner[s])
                same = t;
        if (same >= 0 && p.count[same] == p.count[s]) {
            r1[s] = r1[same];
            part[s] = part[same];
            continue;
        }
        if (same >= 0)
            r1[s] = r1[same]; /* only the instance count differs */
        else if (s == 0 && first)
            r1[0] = *first;
        else
            rc = sim_gemm_opts(&cc, &pg, fid, o, NULL, &r1[s], e);
        if (rc == MP_OK)
            rc = part_instances(&cc, &pg, p.count[s], fid, &r1[s], &part[s], e);
    }
    if (rc)
        return rc;
    if (one)
        *one = r1[0];
    combine(c, g->act_act, &p, part, all);
    return MP_OK;
}
