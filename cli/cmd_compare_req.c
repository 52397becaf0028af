/* cli/cmd_compare_req.c — `mpsim compare-gpu --phase request`: a whole request (prefill, then decode
 * steps) measured on the GPU (whole steps of a kernels_ref results file, dse/gpureq.h) beside the
 * simulated accelerator (sim/infer.h) under each normalisation of sim/isonorm.h, per token and per
 * unit of area and energy. docs/gpu.md, "Whole requests against the GPU". */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "base/cli.h"
#include "base/jsonout.h"
#include "cli/cmds.h"
#include "dse/gpureq.h"
#include "models/opfmt.h"
#include "models/pekind.h"
#include "sim/infer.h"
#include "sim/isonorm.h"

/* One column of the comparison: the GPU running a format, or the accelerator under a normalisation. */
typedef struct Side {
    char label[32], design[200];
    double area_mm2, ttft_s, tpot_s, total_s, total_j, static_j;
    int have_j, capped, norm; /* norm: the accelerator's IsoNorm (-1 for the GPU) */
    double step_bytes;        /* the accelerator's DRAM bytes per decode step (mean over the steps) */
    double step_dram_s;       /* those bytes at its own bandwidth                                  */
    ArchConfig cfg; /* the accelerator's */
} Side;

static double tokens_of(const CgReqArgs *a) { return (double)(a->batch * a->gen); }
static double side_j(const Side *s, int sub) { return s->total_j - (sub ? s->static_j : 0); }
static double side_tps(const Side *s, const CgReqArgs *a) { return tokens_of(a) / s->total_s; }
static double side_jpt(const Side *s, const CgReqArgs *a) { return s->have_j ? side_j(s, a->subtract_idle) / tokens_of(a) : NAN; }
static double side_power(const Side *s) { return s->have_j ? s->total_j / s->total_s : NAN; }

typedef struct PowerCtx {
    const TechTable *t;
    const InferReq *q;
    const InferOpts *o;
} PowerCtx;

/* IsoEvalFn: the request on c: average power (everything drawn) and tokens/s */
static int accel_eval(const ArchConfig *c, void *vctx, double *watts, double *tokens_per_s, MpErr *e)
{
    const PowerCtx *x = vctx;
    InferResult r;
    int rc = infer_run(c, x->t, x->q, x->o, &r, e);
    if (rc == MP_OK) {
        *watts = r.total_energy.total * 1e-12 / (r.ttft_s + r.tpot_mean_s * (double)r.steps);
        *tokens_per_s = r.tokens_per_s;
    }
    return rc;
}

static int accel_side(const ArchConfig *c, const TechTable *t, const InferReq *q, const InferOpts *o, int norm,
                      int capped, Side *s, MpErr *e)
{
    InferResult r;
    int rc = infer_run(c, t, q, o, &r, e);
    if (rc)
        return rc;
    memset(s, 0, sizeof *s);
    snprintf(s->label, sizeof s->label, "%s", iso_norm_names[norm]);
    const double gbps = (double)c->dram_channels * c->dram_bits_per_cycle * c->clock_mhz / 8000.0;
    snprintf(s->design, sizeof s->design, "%d x %dx%d PEs, %d nm, %.0f MHz, %d x %s = %.0f GB/s%s", c->cores, c->rows,
             c->cols, c->node_nm, c->clock_mhz, c->dram_channels,
             arch_schema_enum_name("dram", "tech", c->dram_tech), gbps, capped ? " (capped)" : "");
    char dn[256];
    if (energy_dram_note(t, c, dn, sizeof dn))
        fprintf(stderr, "compare-gpu: %s: %s\n", iso_norm_names[norm], dn);
    s->cfg = *c;
    s->norm = norm;
    s->capped = capped;
    s->area_mm2 = r.area_mm2;
    s->ttft_s = r.ttft_s;
    s->tpot_s = r.tpot_mean_s;
    s->total_s = r.ttft_s + r.tpot_mean_s * (double)r.steps;
    s->total_j = r.total_energy.total * 1e-12;
    s->static_j = (r.total_energy.leakage + r.total_energy.dram_bg) * 1e-12;
    s->have_j = 1;
    if (r.steps > 0) {
        s->step_bytes = (double)(r.decode_ev.dram_read_bits + r.decode_ev.dram_write_bits) / 8.0 / (double)r.steps;
        s->step_dram_s = s->step_bytes / (gbps * 1e9);
    }
    return MP_OK;
}

static void gpu_side(const GpuFile *g, const GpuFacts *f, const char *format, const GpuReq *r, Side *s)
{
    memset(s, 0, sizeof *s);
    s->norm = -1;
    snprintf(s->label, sizeof s->label, "GPU %s", format);
    snprintf(s->design, sizeof s->design, "%s, %.0f mm2, %d nm class, %d x %s, copy %.0f GB/s", f->name, f->die_mm2,
             f->node_nm, f->mem_stacks, f->mem, g->copy_gbps);
    s->area_mm2 = f->die_mm2;
    s->ttft_s = r->ttft_s;
    s->tpot_s = r->tpot_mean_s;
    s->total_s = r->total_s;
    s->total_j = r->total_j;
    s->have_j = isfinite(r->total_j);
    s->static_j = isfinite(g->idle_w) ? g->idle_w * r->total_s : NAN;
}

static void print_row(const Side *s, const CgReqArgs *a)
{
    double tps = side_tps(s, a), jpt = side_jpt(s, a);
    printf("%-20s %9.4f %9.3f %10.2f %9.4f %11.4f %9.2f %8.1f %9.1f  %s\n", s->label, s->ttft_s, s->tpot_s * 1e3, tps,
           jpt, tps / s->area_mm2, 1.0 / jpt, side_power(s), s->area_mm2, s->design);
}

static cJSON *side_json(const Side *s, const CgReqArgs *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "label", s->label);
    cJSON_AddStringToObject(o, "design", s->design);
    cJSON_AddNumberToObject(o, "area_mm2", s->area_mm2);
    cJSON_AddNumberToObject(o, "ttft_s", s->ttft_s);
    cJSON_AddNumberToObject(o, "tpot_mean_s", s->tpot_s);
    cJSON_AddNumberToObject(o, "seconds", s->total_s);
    cJSON_AddNumberToObject(o, "tokens_per_s", side_tps(s, a));
    cJSON_AddNumberToObject(o, "tokens_per_s_per_mm2", side_tps(s, a) / s->area_mm2);
    double jpt = side_jpt(s, a);
    if (isfinite(jpt)) {
        cJSON_AddNumberToObject(o, "joules", side_j(s, a->subtract_idle));
        cJSON_AddNumberToObject(o, "j_per_token", jpt);
        cJSON_AddNumberToObject(o, "tokens_per_j", 1.0 / jpt);
        cJSON_AddNumberToObject(o, "power_w", side_power(s));
    } else {
        cJSON_AddNullToObject(o, "j_per_token");
    }
    if (s->cfg.name[0]) {
        cJSON_AddNumberToObject(o, "cores", s->cfg.cores);
        cJSON_AddNumberToObject(o, "node_nm", s->cfg.node_nm);
        cJSON_AddNumberToObject(o, "dram_channels", s->cfg.dram_channels);
        cJSON_AddNumberToObject(o, "dram_bits_per_cycle", s->cfg.dram_bits_per_cycle);
        cJSON_AddNumberToObject(o, "vector_lanes", s->cfg.vec_lanes);
        cJSON_AddBoolToObject(o, "capped", s->capped);
    }
    return o;
}

/* The decode floor of an accelerator side: its DRAM bytes per decode step at the GPU's measured copy
 * bandwidth, in seconds: no GPU kernel that moves those bytes (the same packed weights, the KV cache,
 * the activations) takes less per step. How far the measured GPU steps are from it says how much of
 * a speed-up is the GPU kernels' inefficiency rather than the design's. */
static double floor_tpot(const Side *s, const GpuFile *g) { return s->step_bytes / (g->copy_gbps * 1e9); }

/* accelerator over GPU: speed-up (tokens/s), energy gain (GPU J/token over the accelerator's), and
 * the same per mm² */
static void ratios(const Side *acc, const Side *gpu, const CgReqArgs *a, double r[3])
{
    r[0] = side_tps(acc, a) / side_tps(gpu, a);
    r[1] = side_jpt(gpu, a) / side_jpt(acc, a);
    r[2] = (side_tps(acc, a) / acc->area_mm2) / (side_tps(gpu, a) / gpu->area_mm2);
}

/* "as-configured,iso-area" -> want[]; MP_EINPUT naming a bad entry. */
static int parse_norms(const char *list, int want[ISO_COUNT], MpErr *e)
{
    for (int i = 0; i < ISO_COUNT; i++)
        want[i] = !list;
    if (!list)
        return MP_OK;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        int hit = -1;
        for (int i = 0; i < ISO_COUNT; i++)
            if (strlen(iso_norm_names[i]) == n && !strncmp(p, iso_norm_names[i], n))
                hit = i;
        if (hit < 0)
            return mp_errf(e, MP_EINPUT, "--norm: '%.*s' is not one of as-configured, iso-bandwidth, iso-area, iso-power",
                           (int)n, p);
        want[hit] = 1;
        p += n + (p[n] == ',');
    }
    return MP_OK;
}

int cmd_compare_gpu_request(const CgReqArgs *a)
{
    MpErr e = {0};
    int want[ISO_COUNT];
    int rc = parse_norms(a->norms, want, &e);
    if (rc == MP_OK && (a->prompt < 1 || a->gen < 1))
        rc = mp_errf(&e, MP_EINPUT, "--prompt and --gen must be >= 1 tokens");
    InferReq q = {NULL, a->prompt, a->gen, a->batch};
    if (rc == MP_OK && !(q.model = wl_model_find(a->model, &e)))
        rc = MP_EINPUT;
    GpuFile g;
    memset(&g, 0, sizeof g);
    if (rc == MP_OK)
        rc = gpu_load(a->gpu, &g, &e);
    const GpuFacts *f = NULL;
    if (rc == MP_OK && !(f = gpu_facts_for(g.device))) {
        char list[256];
        gpu_facts_list(list, sizeof list);
        rc = mp_errf(&e, MP_EINPUT, "%s: no die, node and memory facts for device '%s' (known: %s; dse/gpureq.c)",
                     a->gpu, g.device, list);
    }
    if (rc == MP_OK && a->subtract_idle && !isfinite(g.idle_w))
        rc = mp_errf(&e, MP_EINPUT, "%s: --subtract-idle needs the file's idle_power_w", a->gpu);
    ArchConfig cfg;
    TechTable tech;
    if (rc == MP_OK)
        rc = point_load_arch(a->arch, a->set, &cfg, &tech, &e);
    const char *why = NULL, *fmt = rc == MP_OK ? gpu_format_for(&cfg, &why) : NULL;
    /* the GPU moves the design's bytes only with its weight format and an fp16 KV cache (kr_step's) */
    const int like = rc == MP_OK && fmt && config_kv_fmt(&cfg) == OPF_FP16;
    /* the GPU running the design's format (when kernels_ref has one), then cuBLAS fp16 */
    const char *gfmt[2] = {fmt, "cublas-fp16"};
    int ng = 0;
    Side gs[2];
    GpuReq gr[2];
    for (int i = 0; i < 2 && rc == MP_OK; i++) {
        if (!gfmt[i] || (i == 1 && fmt && !strcmp(fmt, gfmt[1])))
            continue;
        rc = gpu_request(&g, q.model->name, gfmt[i], a->prompt, a->gen, a->batch, &gr[ng], &e);
        if (rc)
            mp_err_prefix(&e, "%s", a->gpu);
        else
            gpu_side(&g, f, gfmt[i], &gr[ng], &gs[ng]), ng++;
    }
    InferOpts o;
    memset(&o, 0, sizeof o);
    o.run.fid = FID_FAST;
    o.run.seed = 1;
    IsoGpu ig = {0};
    if (rc == MP_OK) {
        ig.die_mm2 = a->area_mm2 > 0 ? a->area_mm2 : f->die_mm2;
        ig.node_nm = f->node_nm;
        ig.mem_tech = arch_schema_enum_index("dram", "tech", f->mem);
        ig.mem_channels = f->mem_stacks;
        ig.mem_gbps = g.copy_gbps;
    }
    Side as[ISO_COUNT];
    int na = 0;
    PowerCtx pc = {&tech, &q, &o};
    for (int n = 0; n < ISO_COUNT && rc == MP_OK; n++) {
        if (!want[n])
            continue;
        if (!a->quiet && isatty(2))
            fprintf(stderr, "compare-gpu: %s ...\n", iso_norm_names[n]);
        ArchConfig c;
        int capped = 0;
        if (n == ISO_POWER && !a->norms && !isfinite(side_power(&gs[0]))) {
            if (!a->quiet)
                fprintf(stderr, "compare-gpu: iso-power skipped: the GPU's steps have no energy\n");
            continue;
        }
        rc = iso_normalise(&cfg, &tech, &ig, n, accel_eval, &pc, side_power(&gs[0]), &c, &capped, &e);
        if (rc == MP_OK)
            rc = accel_side(&c, &tech, &q, &o, n, capped, &as[na++], &e);
    }
    if (rc) {
        gpu_free(&g);
        return cli_fail(&e);
    }
    int text = !a->json || strcmp(a->json, "-") != 0;
    if (text) {
        printf("request: %s, prompt %lld, %lld generated tokens, batch %lld; arch %s (%s)\n", q.model->name,
               (long long)a->prompt, (long long)a->gen, (long long)a->batch, cfg.name, pe_kind_names[cfg.pe_kind]);
        printf("GPU: %s (%s), copy %.1f GB/s, idle %.1f W; facts: %s\n", g.device, a->gpu, g.copy_gbps, g.idle_w,
               f->source);
        printf("GPU request from measured whole steps: prefill at prompt %lld", (long long)a->prompt);
        if (gr[0].prefill_reps > 1)
            printf(" (batch 1, %lld sequences one after another)", (long long)gr[0].prefill_reps);
        printf("; decode at kv %lld..%lld (%d rows), linear in kv between them", (long long)gr[0].kv_lo,
               (long long)gr[0].kv_hi, gr[0].ndecode);
        if (gr[0].steps_by_power)
            printf("; the energy of %lld of %lld steps from the nearest measured step's power",
                   (long long)gr[0].steps_by_power, (long long)gr[0].steps);
        printf("\n");
        if (!fmt)
            printf("GPU format: none of the design's arithmetic (%s); cuBLAS fp16 only\n", why);
        printf("energy: %s\n\n", a->subtract_idle ? "idle subtracted (GPU: idle_power_w x time; accelerator: leakage "
                                                    "and DRAM background)"
                                                  : "everything drawn (GPU: board energy incl. idle)");
        printf("%-20s %9s %9s %10s %9s %11s %9s %8s %9s  %s\n", "", "TTFT s", "TPOT ms", "tokens/s", "J/token",
               "tok/s/mm2", "tokens/J", "power W", "area mm2", "design");
        for (int i = 0; i < ng; i++)
            print_row(&gs[i], a);
        for (int i = 0; i < na; i++)
            print_row(&as[i], a);
        printf("\naccelerator / %s: speed-up (tokens/s), energy gain (GPU J/token / accelerator J/token), speed-up "
               "per mm2; > 1: the accelerator wins\n", gs[0].label);
        for (int i = 0; i < na; i++) {
            double r[3];
            ratios(&as[i], &gs[0], a, r);
            printf("  %-15s speed-up %8.3f   energy gain %8.3f   per mm2 %8.3f", as[i].label, r[0], r[1], r[2]);
            if (as[i].norm == ISO_POWER)
                printf("   (draws %.1f W of the GPU's %.1f W%s)", side_power(&as[i]), side_power(&gs[0]),
                       as[i].capped ? "; capped: the target is out of the core range's reach" : "");
            else if (as[i].capped)
                printf("   (capped: the core search hit a bound)");
            printf("\n");
        }
        printf("(power W: everything drawn, also with --subtract-idle; the GPU's is board power, voltage regulators "
               "and fans included, the accelerator's chip and DRAM power)\n");
        if (a->gen > 1) {
            printf("\ndecode floor: the design's DRAM traffic per step at the GPU's copy bandwidth (%.1f GB/s), the "
                   "least TPOT of any GPU kernel moving those bytes; the measured %s and the design against it\n",
                   g.copy_gbps, gs[0].label);
            if (!like)
                printf("  (not like for like: the GPU %s, so its ratio counts the bytes of its own format too)\n",
                       !fmt ? "runs cuBLAS fp16 weights and an fp16 KV cache"
                            : "keeps an fp16 KV cache where the design keeps a narrower one");
            for (int i = 0; i < na; i++) {
                const double fl = floor_tpot(&as[i], &g);
                printf("  %-15s %7.3f GB/step   floor TPOT %7.3f ms   %s %5.2fx the floor   design %5.2fx the floor "
                       "(%5.2fx its own DRAM time)\n",
                       as[i].label, as[i].step_bytes / 1e9, fl * 1e3, gs[0].label, gs[0].tpot_s / fl,
                       as[i].tpot_s / fl, as[i].tpot_s / as[i].step_dram_s);
            }
        }
    }
    if (a->json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "gpu_file", a->gpu);
        cJSON_AddStringToObject(root, "device", g.device);
        cJSON_AddNumberToObject(root, "copy_gbps", g.copy_gbps);
        if (isfinite(g.idle_w))
            cJSON_AddNumberToObject(root, "idle_power_w", g.idle_w);
        cJSON_AddStringToObject(root, "gpu_facts", f->source);
        cJSON_AddStringToObject(root, "arch", cfg.name);
        cJSON_AddStringToObject(root, "pe_kind", pe_kind_names[cfg.pe_kind]);
        cJSON *rq = cJSON_AddObjectToObject(root, "request");
        cJSON_AddStringToObject(rq, "model", q.model->name);
        cJSON_AddNumberToObject(rq, "prompt", (double)a->prompt);
        cJSON_AddNumberToObject(rq, "gen", (double)a->gen);
        cJSON_AddNumberToObject(rq, "batch", (double)a->batch);
        cJSON_AddBoolToObject(root, "subtract_idle", a->subtract_idle);
        cJSON_AddNumberToObject(root, "gpu_prefill_reps", (double)gr[0].prefill_reps);
        cJSON *ja = cJSON_AddArrayToObject(root, "gpu");
        for (int i = 0; i < ng; i++)
            cJSON_AddItemToArray(ja, side_json(&gs[i], a));
        cJSON *jb = cJSON_AddArrayToObject(root, "accel");
        for (int i = 0; i < na; i++) {
            cJSON *x = side_json(&as[i], a);
            double r[3];
            ratios(&as[i], &gs[0], a, r);
            cJSON *v = cJSON_AddObjectToObject(x, "vs_gpu");
            cJSON_AddNumberToObject(v, "speedup", r[0]);
            if (isfinite(r[1]))
                cJSON_AddNumberToObject(v, "energy_gain", r[1]);
            cJSON_AddNumberToObject(v, "speedup_per_mm2", r[2]);
            cJSON_AddBoolToObject(v, "capped", as[i].capped);
            if (a->gen > 1) {
                cJSON *fo = cJSON_AddObjectToObject(x, "decode_floor");
                cJSON_AddNumberToObject(fo, "bytes_per_step", as[i].step_bytes);
                cJSON_AddNumberToObject(fo, "tpot_s", floor_tpot(&as[i], &g));
                cJSON_AddNumberToObject(fo, "gpu_tpot_over_floor", gs[0].tpot_s / floor_tpot(&as[i], &g));
                cJSON_AddNumberToObject(fo, "accel_tpot_over_floor", as[i].tpot_s / floor_tpot(&as[i], &g));
                cJSON_AddBoolToObject(fo, "same_bytes", like);
            }
            cJSON_AddItemToArray(jb, x);
        }
        rc = json_write(a->json, root, &e);
        cJSON_Delete(root);
    }
    gpu_free(&g);
    return rc ? cli_fail(&e) : 0;
}
