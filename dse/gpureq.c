/* dse/gpureq.c — see gpureq.h. */
#include "dse/gpureq.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/pekind.h"

/* H100 SXM: ../shared/reference/gpu.md "H100 SXM public facts" (TSMC 4N, 814 mm², 80 GB HBM3 at
 * 3.35 TB/s, 700 W) and NVIDIA's Hopper architecture material (five active HBM3 stacks of six
 * sites, ten 512-bit controllers). The match is the SXM card's device name: the PCIe card (HBM2e) and
 * the NVL card (six stacks) are other rows, not this one. 4N is TSMC's N4-class process: the 4 nm row of sim/techscale.c,
 * itself an extrapolation (docs/energy.md).
 * H200 SXM: NVIDIA's H200 datasheet (141 GB HBM3e at 4.8 TB/s, up to 700 W) on the same GH100 die
 * (814 mm², TSMC 4N) with six HBM3e stacks. HBM3e is costed with the hbm3 row of the energy table
 * (its pJ/bit and per-stack rate; our assumption: no HBM3e row is sourced yet, docs/gpu.md).
 * A row's match ends the results file's "device" (nvidia-smi's name) or stands before a " (" note
 * there: "NVIDIA H200 NVL", the 600 W PCIe card, is not the SXM card. */
static const GpuFacts facts[] = {
    {"H100 80GB HBM3", "NVIDIA H100 SXM", 814, 4, "hbm3", 5, 3350, 700,
     "gpu.md: TSMC 4N, 814 mm2, HBM3 3.35 TB/s in 5 stacks, 700 W"},
    {"NVIDIA H200", "NVIDIA H200 SXM", 814, 4, "hbm3", 6, 4800, 700,
     "H200 datasheet: GH100 (TSMC 4N, 814 mm2), HBM3e 4.8 TB/s in 6 stacks (costed as hbm3), 700 W"},
};

const GpuFacts *gpu_facts_for(const char *device)
{
    for (size_t i = 0; device && i < sizeof facts / sizeof facts[0]; i++) {
        const char *at = strstr(device, facts[i].match);
        const char *end = at ? at + strlen(facts[i].match) : NULL;
        if (end && (!*end || !strncmp(end, " (", 2)))
            return &facts[i];
    }
    return NULL;
}

void gpu_facts_list(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof facts / sizeof facts[0] && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", facts[i].name);
}

const char *gpu_format_for(const ArchConfig *c, const char **why)
{
    *why = NULL;
    const PeVariant *v = pe_kind_variant((PeKindId)c->pe_kind, c->weight_bits);
    if (v && v->gpu_kernel)
        return v->gpu_kernel;
    *why = v ? "kernels_ref has no GPU kernel for this PE kind" : "no GPU kernel for this PE kind at this weight width";
    return NULL;
}

/* The nearest passing decode rows of (model, format, batch) at kv <= want (*lo) and >= want (*hi). */
static void bracket(const GpuFile *g, const char *model, const char *format, int64_t batch, int64_t want,
                    const GpuStep **lo, const GpuStep **hi)
{
    *lo = *hi = NULL;
    for (int i = 0; i < g->nstep; i++) {
        const GpuStep *r = &g->steps[i];
        if (!r->pass || r->phase != GPU_DECODE || r->batch != batch || strcmp(r->model, model) ||
            strcmp(r->format, format))
            continue;
        const GpuStep *x = gpu_step_find(g, model, format, GPU_DECODE, batch, r->len); /* the fastest at r->len */
        if (x->len <= want && (!*lo || x->len > (*lo)->len))
            *lo = x;
        if (x->len >= want && (!*hi || x->len < (*hi)->len))
            *hi = x;
    }
}

/* The passing decode row of (model, format, batch) with energy nearest to kv (the lower on a tie). */
static const GpuStep *nearest_with_energy(const GpuFile *g, const char *model, const char *format, int64_t batch,
                                          int64_t kv)
{
    const GpuStep *best = NULL;
    for (int i = 0; i < g->nstep; i++) {
        const GpuStep *r = &g->steps[i];
        if (!r->pass || r->phase != GPU_DECODE || r->batch != batch || !isfinite(r->j) || strcmp(r->model, model) ||
            strcmp(r->format, format))
            continue;
        const int64_t d = r->len > kv ? r->len - kv : kv - r->len, bd = best ? (best->len > kv ? best->len - kv : kv - best->len) : 0;
        if (!best || d < bd || (d == bd && r->len < best->len))
            best = r;
    }
    return best;
}

int gpu_request(const GpuFile *g, const char *model, const char *format, int64_t prompt, int64_t gen, int64_t batch,
                GpuReq *out, MpErr *e)
{
    memset(out, 0, sizeof *out);
    out->prompt = prompt;
    out->gen = gen;
    out->batch = batch;
    out->steps = gen - 1;
    const GpuStep *pf = gpu_step_find(g, model, format, GPU_PREFILL, batch, prompt);
    out->prefill_reps = 1;
    if (!pf && batch > 1 && (pf = gpu_step_find(g, model, format, GPU_PREFILL, 1, prompt)))
        out->prefill_reps = batch; /* gpureq.h: B prefills of one sequence, back to back */
    if (!pf)
        return mp_errf(e, MP_EINPUT, "no passing prefill step of %s in %s at batch %lld%s, prompt %lld", model,
                       format, (long long)batch, batch > 1 ? " or 1" : "", (long long)prompt);
    out->ttft_s = (double)out->prefill_reps * pf->ms / 1e3;
    out->prefill_j = (double)out->prefill_reps * pf->j;
    out->kv_lo = INT64_MAX;
    for (int i = 0; i < g->nstep; i++) {
        const GpuStep *r = &g->steps[i];
        out->ndecode += r->pass && r->phase == GPU_DECODE && r->batch == batch && !strcmp(r->model, model) &&
                        !strcmp(r->format, format);
    }
    for (int64_t j = 1; j < gen; j++) {
        const int64_t kv = prompt + j;
        const GpuStep *lo, *hi;
        bracket(g, model, format, batch, kv, &lo, &hi);
        if (!lo || !hi)
            return mp_errf(e, MP_EINPUT,
                           "no passing decode steps of %s in %s at batch %lld around kv %lld (the request's steps "
                           "attend to %lld..%lld positions; measured kv must cover them)",
                           model, format, (long long)batch, (long long)kv, (long long)(prompt + 1),
                           (long long)(prompt + gen - 1));
        double f = hi->len == lo->len ? 0 : (double)(kv - lo->len) / (double)(hi->len - lo->len);
        const double ms = lo->ms + f * (hi->ms - lo->ms);
        out->decode_s += ms / 1e3;
        if (isfinite(lo->j) && isfinite(hi->j)) {
            out->decode_j += lo->j + f * (hi->j - lo->j);
        } else { /* the nearest measured step's average power over this step's time; NAN when none */
            const GpuStep *p = nearest_with_energy(g, model, format, batch, kv);
            out->decode_j += p ? p->j / p->ms * ms : NAN;
            out->steps_by_power++;
        }
        out->kv_lo = lo->len < out->kv_lo ? lo->len : out->kv_lo;
        out->kv_hi = hi->len > out->kv_hi ? hi->len : out->kv_hi;
    }
    if (gen <= 1)
        out->kv_lo = out->kv_hi = 0;
    out->tpot_mean_s = out->steps ? out->decode_s / (double)out->steps : 0;
    out->total_s = out->ttft_s + out->decode_s;
    out->total_j = out->prefill_j + out->decode_j;
    const double tokens = (double)(batch * gen);
    out->tokens_per_s = tokens / out->total_s;
    out->j_per_token = out->total_j / tokens;
    return MP_OK;
}
