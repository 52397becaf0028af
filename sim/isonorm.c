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
    const ArchConfig *node; /* ISO_BW: the GPU's memory and node, the design's cores */
    const TechTable *t;
    VecShare vec;           /* each core's share of the vector unit */
    double limit;           /* mm², W or tokens/s */
    IsoEvalFn eval;
    void *eval_ctx;
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

static int eval_at(const FitCtx *x, int cores, double *w, double *tps, MpErr *e)
{
    ArchConfig c;
    int rc = with_cores(x->node, cores, x->vec, &c, e);
    return rc ? rc : x->eval(&c, x->eval_ctx, w, tps, e);
}

static int fits_power(int cores, void *vctx, MpErr *e)
{
    double w = 0, tps = 0;
    int rc = eval_at(vctx, cores, &w, &tps, e);
    return rc ? -rc : w <= ((const FitCtx *)vctx)->limit;
}

/* "not yet as fast as the limit": the predicate whose largest true point is one below the fewest cores
 * reaching the limit's tokens/s */
static int slower_than(int cores, void *vctx, MpErr *e)
{
    double w = 0, tps = 0;
    int rc = eval_at(vctx, cores, &w, &tps, e);
    return rc ? -rc : tps < ((const FitCtx *)vctx)->limit;
}

/* The most cores to try: [arch] cores' maximum, and no more than keep the vector unit's keys in range. */
static int most_cores(VecShare v)
{
    const IniKey *ck = arch_schema_find("arch", "cores"), *lk = arch_schema_find("vector", "lanes"),
                 *bk = arch_schema_find("vector", "buf_kib");
    int max = ck ? (int)ck->max : 1;
    if (lk && max > (int)(lk->max / v.lanes))
        max = (int)(lk->max / v.lanes);
    if (bk && max > (int)(bk->max / v.buf_kib))
        max = (int)(bk->max / v.buf_kib);
    return max > 1 ? max : 1;
}

int iso_normalise(const ArchConfig *base, const TechTable *t, const IsoGpu *gpu, int norm, IsoEvalFn eval,
                  void *ctx, double target_w, ArchConfig *out, int *capped, MpErr *e)
{
    *out = *base;
    *capped = 0;
    if (norm == ISO_CONF)
        return MP_OK;
    if (!techscale_find(gpu->node_nm))
        return mp_errf(e, MP_EINPUT, "the GPU's node, %d nm, has no technology scaling row (sim/techscale.c)",
                       gpu->node_nm);
    int rc = with_gpu_memory(out, gpu, e);
    char set[64];
    snprintf(set, sizeof set, "energy.node_nm=%d", gpu->node_nm);
    if (rc == MP_OK)
        rc = config_apply_sets(out, set, e);
    if (rc || norm == ISO_BW)
        return rc;
    FitCtx x = {out, t, vec_share(base), 0, eval, ctx};
    const int max = most_cores(x.vec);
    int best = 1;
    if (norm == ISO_AREA) {
        x.limit = gpu->die_mm2;
        rc = largest_fitting(max, fits_area, &x, &best, capped, e);
    } else {
        if (!eval)
            return mp_errf(e, MP_EINTERNAL, "iso_normalise: iso-power needs an evaluation function");
        if (!(target_w > 0) || !isfinite(target_w))
            return mp_errf(e, MP_EINPUT, "iso-power needs the GPU's power over the request (its steps' energy)");
        x.limit = target_w;
        rc = largest_fitting(max, fits_power, &x, &best, capped, e);
        double w = 0, tps = 0;
        if (rc == MP_OK && best > 1)
            rc = eval_at(&x, best, &w, &tps, e);
        if (rc == MP_OK && best > 1) { /* the fewest cores within 1% of that speed */
            x.limit = 0.99 * tps;
            int below = 1, cap2 = 0;
            rc = largest_fitting(best, slower_than, &x, &below, &cap2, e);
            /* slower_than(1) false: one core is already as fast; else below + 1 reaches the limit */
            if (rc == MP_OK)
                best = cap2 && below == 1 ? 1 : below + 1; /* below < best: best is not slower than itself */
        }
    }
    if (rc)
        return rc;
    ArchConfig node = *out;
    return with_cores(&node, best, x.vec, out, e);
}
