/* sim/isonorm.c — see isonorm.h. Every derived value goes through config_apply_sets, so the keys'
 * ranges hold for a normalised design as for a typed --set. */
#include "sim/isonorm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/area.h"
#include "sim/techscale.h"

const char *const iso_norm_names[ISO_COUNT] = {"as-configured", "iso-bandwidth", "iso-area", "iso-power"};

/* The GPU's memory system on c (ISO_BW). */
static int with_gpu_memory(ArchConfig *c, const IsoGpu *gpu, MpErr *e)
{
    const IniKey *tech = arch_schema_find("dram", "tech");
    if (!tech || gpu->mem_tech < 0 || gpu->mem_tech >= DRAM_CUSTOM || gpu->mem_channels < 1 || !(gpu->mem_gbps > 0))
        return mp_errf(e, MP_EINTERNAL, "iso_normalise: bad GPU memory description");
    /* GB/s x 8 = Gbit/s; / GHz = bits per accelerator cycle, over the channels */
    double bits = gpu->mem_gbps * 8.0 / (c->clock_mhz / 1000.0) / gpu->mem_channels;
    char set[256];
    snprintf(set, sizeof set, "dram.tech=%s,dram.channels=%d,dram.bits_per_cycle=%lld,dram.pj_per_bit=0",
             tech->names[gpu->mem_tech], gpu->mem_channels, bits < 1 ? 1LL : llround(bits));
    return config_apply_sets(c, set, e);
}

/* Each core's share of the one vector unit: lanes and buffer KiB (at least 1 of each). */
typedef struct VecShare {
    int lanes, buf_kib;
} VecShare;

static VecShare vec_share(const ArchConfig *c)
{
    const int cores = c->cores > 1 ? c->cores : 1;
    VecShare s = {c->vec_lanes / cores, c->vec_buf_kib / cores};
    s.lanes = s.lanes > 1 ? s.lanes : 1;
    s.buf_kib = s.buf_kib > 1 ? s.buf_kib : 1;
    return s;
}

/* c with `cores` cores, each with its vector share, into *out. */
static int with_cores(const ArchConfig *c, int cores, VecShare v, ArchConfig *out, MpErr *e)
{
    *out = *c;
    char set[160];
    snprintf(set, sizeof set, "arch.cores=%d,vector.lanes=%lld,vector.buf_kib=%lld", cores, (long long)cores * v.lanes,
             (long long)cores * v.buf_kib);
    return config_apply_sets(out, set, e);
}

/* The largest core count in [1, max] for which fits() holds, fits() assumed monotone (true below,
 * false above); *capped when even 1 fails (then 1) or max fits. fits returns 1, 0 or a negative
 * MpErr code. */
typedef int (*FitsFn)(int cores, void *ctx, MpErr *e);
static int largest_fitting(int max, FitsFn fits, void *ctx, int *best, int *capped, MpErr *e)
{
    int f = fits(1, ctx, e);
    if (f < 0)
        return -f;
    if (!f) {
        *best = 1;
        *capped = 1;
        return MP_OK;
    }
    if ((f = fits(max, ctx, e)) < 0)
        return -f;
    if (f) {
        *best = max;
        *capped = 1;
        return MP_OK;
    }
    int lo = 1, hi = max; /* fits(lo), !fits(hi) */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if ((f = fits(mid, ctx, e)) < 0)
            return -f;
        if (f)
            lo = mid;
        else
            hi = mid;
    }
    *best = lo;
    return MP_OK;
}

typedef struct FitCtx {
    const ArchConfig *node; /* ISO_BW at the GPU's node, the design's cores */
    const TechTable *t;
    VecShare vec;           /* each core's share of the vector unit */
    double limit;           /* mm² or W */
    IsoPowerFn power;
    void *power_ctx;
} FitCtx;

static int fits_area(int cores, void *vctx, MpErr *e)
{
    const FitCtx *x = vctx;
    ArchConfig c;
    AreaBreakdown a;
    int rc = with_cores(x->node, cores, x->vec, &c, e);
    if (rc == MP_OK)
        rc = area_compute(x->t, &c, &a, e);
    return rc ? -rc : a.total_mm2 <= x->limit;
}

static int fits_power(int cores, void *vctx, MpErr *e)
{
    const FitCtx *x = vctx;
    ArchConfig c;
    double w = 0;
    int rc = with_cores(x->node, cores, x->vec, &c, e);
    if (rc == MP_OK)
        rc = x->power(&c, x->power_ctx, &w, e);
    return rc ? -rc : w <= x->limit;
}

int iso_normalise(const ArchConfig *base, const TechTable *t, const IsoGpu *gpu, int norm, IsoPowerFn power,
                  void *ctx, double target_w, ArchConfig *out, int *capped, MpErr *e)
{
    *out = *base;
    *capped = 0;
    if (norm == ISO_CONF)
        return MP_OK;
    int rc = with_gpu_memory(out, gpu, e);
    if (rc || norm == ISO_BW)
        return rc;
    if (!techscale_find(gpu->node_nm))
        return mp_errf(e, MP_EINPUT, "the GPU's node, %d nm, has no technology scaling row (sim/techscale.c)",
                       gpu->node_nm);
    char set[64];
    snprintf(set, sizeof set, "energy.node_nm=%d", gpu->node_nm);
    if ((rc = config_apply_sets(out, set, e)) != MP_OK)
        return rc;
    const IniKey *ck = arch_schema_find("arch", "cores");
    const int max = ck ? (int)ck->max : 1;
    FitCtx x = {out, t, vec_share(base), 0, power, ctx};
    int best = 1;
    if (norm == ISO_AREA) {
        x.limit = gpu->die_mm2;
        rc = largest_fitting(max, fits_area, &x, &best, capped, e);
    } else {
        if (!power)
            return mp_errf(e, MP_EINTERNAL, "iso_normalise: iso-power needs a power function");
        x.limit = target_w;
        rc = largest_fitting(max, fits_power, &x, &best, capped, e);
    }
    if (rc)
        return rc;
    ArchConfig node = *out;
    return with_cores(&node, best, x.vec, out, e);
}
