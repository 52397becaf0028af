/* sim/cores.c — see cores.h. */
#include "sim/cores.h"

#include <string.h>

#include "sim/petime.h"

int cores_dram_bits(const ArchConfig *c)
{
    const int cores = c->cores > 1 ? c->cores : 1, ch = c->dram_channels > 1 ? c->dram_channels : 1;
    const int64_t share = (int64_t)ch * c->dram_bits_per_cycle / cores;
    return share > 1 ? (int)share : 1;
}

void cores_core_config(const ArchConfig *c, ArchConfig *core)
{
    *core = *c;
    core->dram_bits_per_cycle = cores_dram_bits(c);
    core->cores = 1;
    core->dram_channels = 1;
}

void cores_partition(const ArchConfig *c, const SimGemm *g, MapPart *p)
{
    map_partition(g->count, g->m, g->n, g->causal, c->cores, c->rows, c->cols, p);
}

void cores_part_gemm(const SimGemm *g, const MapPart *p, int s, SimGemm *part)
{
    *part = *g;
    part->m = p->m[s];
    part->n = p->n[s];
    part->count = 1;
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

/* The combination of cores.h from each shape's result (part[s], run by p->ncores[s] cores). */
static void combine(const ArchConfig *c, int act_act, const MapPart *p, const SimResult part[2], const int run[2],
                    SimResult *out)
{
    memset(out, 0, sizeof *out);
    int64_t cycles = 0;
    for (int s = 0; s < 2; s++) {
        if (!run[s])
            continue;
        sim_events_add(&out->ev, &part[s].ev, p->ncores[s]);
        cycles = part[s].ev.cycles > cycles ? part[s].ev.cycles : cycles;
        for (int q = 0; q < SIM_RES_COUNT; q++)
            out->res[q] = part[s].res[q] > out->res[q] ? part[s].res[q] : out->res[q];
        out->tiles += part[s].tiles * p->ncores[s];
        out->stream += part[s].stream * p->ncores[s];
    }
    out->map = part[0].map;
    const PeTiming pt = act_act ? pe_timing_act_act(c) : pe_timing(c);
    const int64_t cores = c->cores > 1 ? c->cores : 1;
    out->ev.cycles = cycles;
    out->ev.pe_total = cores * c->rows * c->cols * cycles;
    out->ev.mac_capacity = out->ev.pe_total * pt.lanes / pt.step_cycles;
    out->ev.stall_cycles = cores * cycles - out->ev.compute_cycles;
}

int cores_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const SimMapOpts *o, const SimResult *first,
               SimResult *one, SimResult *all, MpErr *e)
{
    MapPart p;
    ArchConfig cc;
    cores_partition(c, g, &p);
    cores_core_config(c, &cc);
    SimResult r1[2], part[2];
    int run[2] = {0, 0}, rc = MP_OK;
    memset(r1, 0, sizeof r1);
    memset(part, 0, sizeof part);
    for (int s = 0; s < 2 && rc == MP_OK; s++) {
        if (p.ncores[s] == 0 || p.count[s] == 0 || p.m[s] == 0 || p.n[s] == 0)
            continue; /* an empty share: its cores idle */
        SimGemm pg;
        cores_part_gemm(g, &p, s, &pg);
        if (s == 0 && first)
            r1[0] = *first;
        else if (s == 1 && run[0] && p.m[1] == p.m[0] && p.n[1] == p.n[0])
            r1[1] = r1[0]; /* the same GEMM on the same core: only the instance count differs */
        else
            rc = sim_gemm_opts(&cc, &pg, fid, o, NULL, &r1[s], e);
        if (rc == MP_OK)
            rc = part_instances(&cc, &pg, p.count[s], fid, &r1[s], &part[s], e);
        run[s] = 1;
    }
    if (rc)
        return rc;
    if (one)
        *one = r1[0];
    combine(c, g->act_act, &p, part, run, all);
    return MP_OK;
}
