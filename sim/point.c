/* sim/point.c — see point.h. */
#include "sim/point.h"

#include <string.h>

#include "base/alloc.h"
#include "sim/petime.h"
#include "traces/layercsv.h"

double point_peak_macs_per_pe_cycle(const ArchConfig *c)
{
    PeTiming pt = pe_timing(c);
    return (double)pt.lanes / pt.step_cycles;
}

const char *point_bound(const SimResult *r) { return sim_resource_names[sim_bound(r)]; }

int point_eval(const ArchConfig *c, const TechTable *t, const Workload *w, const RunOpts *o, int per_layer,
               Point *p, MpErr *e)
{
    memset(p, 0, sizeof *p);
    p->cfg = *c;
    p->tech = *t;
    RunOpts ro = *o;
    ro.tech = &p->tech; /* the energy objective prices candidates with the point's table */
    int rc = run_workload(&p->cfg, w, &ro, &p->res, e);
    if (rc != MP_OK)
        mp_err_prefix(e, "%s", p->cfg.name); /* which design: compare and sweeps run several */
    if (rc == MP_OK)
        rc = energy_compute(&p->tech, &p->cfg, &p->res.total, &p->energy, e);
    if (rc == MP_OK && per_layer) {
        p->layer_energy = mp_calloc((size_t)(p->res.nlayer ? p->res.nlayer : 1), sizeof *p->layer_energy);
        if (!p->layer_energy)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
        p->vec_energy = mp_calloc((size_t)(p->res.nvec ? p->res.nvec : 1), sizeof *p->vec_energy);
        if (rc == MP_OK && !p->vec_energy)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
        for (int i = 0; rc == MP_OK && i < p->res.nlayer; i++)
            rc = energy_compute(&p->tech, &p->cfg, &p->res.layer[i].all.ev, &p->layer_energy[i], e);
        for (int i = 0; rc == MP_OK && i < p->res.nvec; i++)
            rc = energy_compute(&p->tech, &p->cfg, &p->res.vec[i].r.ev, &p->vec_energy[i], e);
    }
    AreaBreakdown ab;
    if (rc == MP_OK)
        rc = area_compute(&p->tech, &p->cfg, &ab, e);
    if (rc != MP_OK)
        return rc;
    p->area_mm2 = ab.total_mm2;
    p->seconds = (double)p->res.total.cycles / (p->cfg.clock_mhz * 1e6);
    const SimEvents *tot = &p->res.total; /* each GEMM at its own peak (attention runs 1 k per cycle) */
    p->utilization = tot->mac_capacity ? (double)tot->macs / (double)tot->mac_capacity : 0;
    return MP_OK;
}

void point_free(Point *p)
{
    run_free(&p->res);
    mp_free(p->layer_energy);
    mp_free(p->vec_energy);
    p->layer_energy = NULL;
    p->vec_energy = NULL;
}

int point_workload(const char *model, const char *phase, int64_t seq, int64_t kv, int64_t batch, Workload **w,
                   MpErr *e)
{
    if ((seq != POINT_LEN_DEFAULT && seq < 1) || (kv != POINT_LEN_DEFAULT && kv < 1))
        return mp_errf(e, MP_EINPUT, "--seq/--kv must be >= 1");
    int has_seq = seq != POINT_LEN_DEFAULT, has_kv = kv != POINT_LEN_DEFAULT;
    size_t n = strlen(model);
    if (n > 4 && !strcmp(model + n - 4, ".csv")) {
        if (has_seq || has_kv || batch != 1 || phase)
            return mp_errf(e, MP_EINPUT, "--model FILE.csv fixes the shapes: --phase, --seq, --kv, --batch do not apply");
        LcsvFormat f;
        return lcsv_load(model, w, &f, e);
    }
    const WlModel *m = wl_model_find(model, e);
    if (!m)
        return MP_EINPUT;
    WlPhase ph;
    if (!phase)
        phase = "prefill";
    if (wl_phase_from_name(phase, &ph) != 0 || ph == WL_LAYERS)
        return mp_errf(e, MP_EINPUT, "--phase '%s': expected prefill or decode", phase);
    if (ph == WL_PREFILL && has_kv)
        return mp_errf(e, MP_EINPUT, "--kv applies to --phase decode; prefill takes --seq");
    if (ph == WL_DECODE && has_seq)
        return mp_errf(e, MP_EINPUT, "--seq applies to --phase prefill; decode takes --kv");
    int64_t len = ph == WL_PREFILL ? (has_seq ? seq : 2048) : (has_kv ? kv : 2048);
    return wl_create(m, ph, len, batch, w, e);
}

int point_load_arch(const char *arch, const char *set, ArchConfig *cfg, TechTable *tech, MpErr *e)
{
    int rc = config_load(arch, cfg, NULL, NULL, 0, e);
    if (rc == MP_OK && set)
        rc = config_apply_sets(cfg, set, e);
    if (rc == MP_OK)
        rc = energy_tech_load(cfg->tech, tech, NULL, 0, e);
    return rc;
}
