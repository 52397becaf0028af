/* cli/cmd_compare_gpu.c — `mpsim compare-gpu`: a workload's weight GEMMs, measured on a GPU
 * (a results file of kernels_ref/results/<gpu>/, docs/gpu.md) beside the simulated accelerator, per layer and in total.
 *
 * GPU rows: the kernel measuring the accelerator's arithmetic (gpu_kernel_for) and cuBLAS fp16, at the
 * layer's exact M, N, K; of several variants the one marked "best" among those that passed their check,
 * else the fastest that passed; rows whose check is not "bound", "bit-exact" or "pass" are never used.
 * No row for the shape: "-" (no interpolation). Attention (activation x activation) has no GPU row.
 * The accelerator runs twice: as configured, and with dram.bits_per_cycle set to the GPU's measured
 * copy bandwidth (copy_gbps x 8 / clock in GHz), everything else unchanged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/cli.h"
#include "cli/cmds.h"
#include "base/jsonout.h"
#include "dse/gpures.h"
#include "dse/gpureq.h"
#include "sim/point.h"

enum { REF_KERNEL, REF_CUBLAS, NREF };
enum { ACC_CONF, ACC_BW, NACC };
static const char *const acc_key[NACC] = {"accel", "accel_copy_bw"};

typedef struct Totals {
    int nt, ne;                     /* layers summed for time / for energy */
    double gpu_us, gpu_uj, acc_us[NACC], acc_uj[NACC];
} Totals;

static void fmtv(char *b, size_t cap, double v, int prec)
{
    if (isnan(v))
        snprintf(b, cap, "-");
    else if (prec < 0)
        snprintf(b, cap, "%.3g", v); /* ratios: three significant digits */
    else
        snprintf(b, cap, "%.*f", prec, v);
}

static void add_num_or_null(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

static double ratio(double a, double b) { return isnan(a) || isnan(b) || !(b > 0) ? NAN : a / b; }

static cJSON *gpu_json(const GpuRow *r, int64_t count)
{
    if (!r)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kernel", r->kernel);
    cJSON_AddStringToObject(o, "variant", r->variant);
    cJSON_AddNumberToObject(o, "us_per_run", r->us);
    add_num_or_null(o, "energy_uj_per_run", r->energy_uj);
    cJSON_AddNumberToObject(o, "us", r->us * (double)count);
    add_num_or_null(o, "energy_uj", r->energy_uj * (double)count);
    return o;
}

static cJSON *ratios_json(double gus, double guj, const double aus[NACC], const double auj[NACC])
{
    cJSON *o = cJSON_CreateObject();
    add_num_or_null(o, "speedup", ratio(gus, aus[ACC_CONF]));
    add_num_or_null(o, "speedup_copy_bw", ratio(gus, aus[ACC_BW]));
    add_num_or_null(o, "energy_ratio", ratio(guj, auj[ACC_CONF]));
    add_num_or_null(o, "energy_ratio_copy_bw", ratio(guj, auj[ACC_BW]));
    return o;
}

typedef struct CgArgs {
    const char *gpu, *arch, *model, *phase, *json, *set, *norms;
    const char *seq_text, *kv_text, *prompt_text, *gen_text; /* NULL: not given */
    int64_t seq, kv, batch, prompt, gen;
    double area_mm2;
    int subtract_idle, quiet;
} CgArgs;

int cmd_compare_gpu(int argc, char **argv)
{
    CgArgs a = {.batch = 1, .area_mm2 = NAN}; /* NAN: not given */
    const CliOpt opts[] = {
        {"gpu", CLI_STR, &a.gpu, "FILE", "GPU results file of kernels_ref (kernels_ref/results/<gpu>/*.json)"},
        {"arch", CLI_STR, &a.arch, "NAME|FILE", "accelerator preset (mpsim list presets) or config file"},
        {"model", CLI_STR, &a.model, "NAME|FILE", "built-in model (mpsim list models) or a layer CSV"},
        {"phase", CLI_STR, &a.phase, "PHASE",
         "prefill (default) or decode: the weight GEMMs; request: a whole request (whole GPU steps)"},
        {"seq", CLI_STR, &a.seq_text, "N", "prefill sequence length (default 2048)"},
        {"kv", CLI_STR, &a.kv_text, "N", "decode KV length (default 2048)"},
        {"batch", CLI_INT, &a.batch, "B", "batch (default 1)"},
        {"prompt", CLI_STR, &a.prompt_text, "P", "request: prompt tokens per sequence (default 2048)"},
        {"gen", CLI_STR, &a.gen_text, "G", "request: generated tokens per sequence (default 128)"},
        {"norm", CLI_STR, &a.norms, "LIST",
         "request: as-configured,iso-bandwidth,iso-area,iso-power (default all; docs/gpu.md)"},
        {"area-mm2", CLI_F64, &a.area_mm2, "A", "request: iso-area budget in mm^2 (default: the GPU's die)"},
        {"subtract-idle", CLI_FLAG, &a.subtract_idle, "",
         "request: leave out idle energy (GPU idle_power_w x time; accelerator leakage and DRAM background)"},
        {"quiet", CLI_FLAG, &a.quiet, "", "request: no progress on stderr"},
        {"set", CLI_STR, &a.set, "S.K=V,...", "override accelerator config keys"},
        {"json", CLI_STR, &a.json, "FILE", "write the comparison as JSON ('-' for stdout)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {
        "mpsim compare-gpu", "--gpu FILE --arch NAME|FILE --model NAME|FILE [options]",
        "Measured GPU time and energy of a workload's weight GEMMs beside the simulated accelerator's, per layer "
        "and in total.",
        "GPU rows must match M, N and K exactly (else '-'); only rows that passed their check are used.\n"
        "The accelerator is shown as configured and with its DRAM bandwidth set to the GPU's measured copy "
        "bandwidth.\nExample: mpsim compare-gpu --gpu kernels_ref/results/h100/FILE.json --arch iso/mixpe-w4a16 "
        "--model llama2-7b --phase decode\nDetails: docs/gpu.md.",
        opts, 0, 0};
    int st = cmd_parse(&spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    int rc = MP_OK;
    if (!a.gpu || !a.arch || !a.model)
        rc = mp_errf(&e, MP_EINPUT, "mpsim compare-gpu: --gpu, --arch and --model are required (see --help)");
    if (rc == MP_OK && a.batch < 1)
        rc = mp_errf(&e, MP_EINPUT, "--batch must be >= 1");
    if (rc == MP_OK && !isnan(a.area_mm2) && !(a.area_mm2 > 0 && isfinite(a.area_mm2)))
        rc = mp_errf(&e, MP_EINPUT, "--area-mm2 must be > 0");
    const int request = a.phase && !strcmp(a.phase, "request");
    if (rc == MP_OK && !request &&
        (a.prompt_text || a.gen_text || a.norms || !isnan(a.area_mm2) || a.subtract_idle || a.quiet))
        rc = mp_errf(&e, MP_EINPUT,
                     "--prompt, --gen, --norm, --area-mm2, --subtract-idle and --quiet are for --phase request");
    if (rc == MP_OK && request)
        rc = cmd_parse_len("prompt", a.prompt_text, &a.prompt, &e);
    if (rc == MP_OK && request)
        rc = cmd_parse_len("gen", a.gen_text, &a.gen, &e);
    if (rc == MP_OK && request) {
        if (a.seq_text || a.kv_text) {
            mp_errf(&e, MP_EINPUT, "--seq and --kv are for --phase prefill|decode; a request takes --prompt and --gen");
            return cli_fail(&e);
        }
        CgReqArgs r = {a.gpu,   a.arch, a.model, a.set, a.json, a.norms, a.prompt_text ? a.prompt : 2048,
                       a.gen_text ? a.gen : 128, a.batch, isnan(a.area_mm2) ? 0 : a.area_mm2, a.subtract_idle,
                       a.quiet};
        return cmd_compare_gpu_request(&r);
    }
    if (rc == MP_OK)
        rc = cmd_parse_len("seq", a.seq_text, &a.seq, &e);
    if (rc == MP_OK)
        rc = cmd_parse_len("kv", a.kv_text, &a.kv, &e);
    GpuFile g;
    memset(&g, 0, sizeof g);
    if (rc == MP_OK)
        rc = gpu_load(a.gpu, &g, &e);
    Workload *w = NULL;
    if (rc == MP_OK)
        rc = point_workload(a.model, a.phase, a.seq, a.kv, a.batch, &w, &e);
    ArchConfig cfg[NACC];
    TechTable tech;
    Point pt[NACC];
    memset(pt, 0, sizeof pt);
    long long bw_bits = 0;
    if (rc == MP_OK)
        rc = point_load_arch(a.arch, a.set, &cfg[ACC_CONF], &tech, &e);
    if (rc == MP_OK) {
        /* the GPU's copy bandwidth over the design's channels, each as wide as its share */
        double b = g.copy_gbps * 8.0 / (cfg[ACC_CONF].clock_mhz / 1000.0) / cfg[ACC_CONF].dram_channels;
        bw_bits = b < 1 ? 1 : llround(b);
        char set[64];
        snprintf(set, sizeof set, "dram.bits_per_cycle=%lld", bw_bits);
        cfg[ACC_BW] = cfg[ACC_CONF];
        rc = config_apply_sets(&cfg[ACC_BW], set, &e);
    }
    RunOpts ro = {FID_FAST, NULL, 1, 0, MAP_OBJ_TIME, NULL, NULL};
    for (int i = 0; rc == MP_OK && i < NACC; i++)
        rc = point_eval(&cfg[i], &tech, w, &ro, 1, &pt[i], &e);
    if (rc != MP_OK) {
        for (int i = 0; i < NACC; i++)
            point_free(&pt[i]);
        wl_destroy(w);
        gpu_free(&g);
        return cli_fail(&e);
    }

    const ArchConfig *c = &pt[ACC_CONF].cfg;
    const char *why = NULL, *kname = gpu_format_for(c, &why);
    const char *knote = why;
    if (kname && !gpu_has_kernel(&g, kname))
        knote = "the results file has no row for this kernel";
    const char *ref_name[NREF] = {kname, "cublas-fp16"};
    int rref = kname ? REF_KERNEL : REF_CUBLAS; /* the ratio columns of the text table */
    const int nch = cfg[ACC_CONF].dram_channels;
    double gbps[NACC] = {(double)nch * cfg[ACC_CONF].dram_bits_per_cycle * cfg[ACC_CONF].clock_mhz / 8000.0,
                         (double)nch * bw_bits * cfg[ACC_CONF].clock_mhz / 8000.0};
    char norm[640], chans[64] = "";
    if (nch > 1)
        snprintf(chans, sizeof chans, " x %d channels", nch);
    snprintf(norm, sizeof norm,
             "accel = as configured (DRAM %d bits/cycle%s = %.1f GB/s at %.0f MHz); accel@copyBW = the same design "
             "with dram.bits_per_cycle = copy_gbps x 8 / clock GHz%s = %lld (%.1f GB/s, the GPU's measured copy "
             "bandwidth), everything else (DRAM pJ/bit included) unchanged",
             cfg[ACC_CONF].dram_bits_per_cycle, chans, gbps[ACC_CONF], c->clock_mhz, nch > 1 ? " / channels" : "",
             bw_bits, gbps[ACC_BW]);
    int text = !a.json || strcmp(a.json, "-") != 0;
    cJSON *root = a.json ? cJSON_CreateObject() : NULL, *jl = NULL;
    if (root) {
        cJSON_AddStringToObject(root, "gpu_file", a.gpu);
        cJSON_AddStringToObject(root, "device", g.device);
        cJSON_AddNumberToObject(root, "copy_gbps", g.copy_gbps);
        cJSON_AddStringToObject(root, "arch", c->name);
        cJSON_AddStringToObject(root, "pe_kind", pe_kind_names[c->pe_kind]);
        cJSON_AddStringToObject(root, "model", w->model);
        cJSON_AddStringToObject(root, "phase", wl_phase_name(w->phase));
        cJSON_AddNumberToObject(root, "batch", (double)w->batch);
        if (w->phase == WL_PREFILL)
            cJSON_AddNumberToObject(root, "seq", (double)w->seq);
        if (w->phase == WL_DECODE)
            cJSON_AddNumberToObject(root, "kv", (double)w->kv);
        if (kname)
            cJSON_AddStringToObject(root, "gpu_kernel", kname);
        else
            cJSON_AddNullToObject(root, "gpu_kernel");
        if (knote)
            cJSON_AddStringToObject(root, "gpu_kernel_note", knote);
        cJSON_AddStringToObject(root, "gpu_reference", "cublas-fp16");
        cJSON_AddNumberToObject(root, "gpu_rows_failing_check_ignored", g.nfail);
        cJSON *nj = cJSON_AddObjectToObject(root, "normalisation");
        cJSON_AddStringToObject(nj, "text", norm);
        cJSON_AddNumberToObject(nj, "clock_mhz", c->clock_mhz);
        cJSON_AddNumberToObject(nj, "dram_bits_per_cycle", cfg[ACC_CONF].dram_bits_per_cycle);
        cJSON_AddNumberToObject(nj, "dram_gbps", gbps[ACC_CONF]);
        cJSON_AddNumberToObject(nj, "copy_bw_dram_bits_per_cycle", (double)bw_bits);
        cJSON_AddNumberToObject(nj, "copy_bw_dram_gbps", gbps[ACC_BW]);
        cJSON_AddStringToObject(nj, "ratios", "speedup = GPU us / accelerator us; energy_ratio = GPU uJ / "
                                              "accelerator uJ (> 1: the accelerator wins)");
        jl = cJSON_AddArrayToObject(root, "layers");
    }
    if (text) {
        printf("GPU %s (%s), copy %.1f GB/s   arch %s (%s, %dx%d PEs, %.0f MHz)   model %s %s", g.device, a.gpu,
               g.copy_gbps, c->name, pe_kind_names[c->pe_kind], c->rows, c->cols, c->clock_mhz, w->model,
               wl_phase_name(w->phase));
        if (w->phase == WL_PREFILL)
            printf(" seq %lld", (long long)w->seq);
        else if (w->phase == WL_DECODE)
            printf(" kv %lld", (long long)w->kv);
        printf(" batch %lld\n", (long long)w->batch);
        printf("GPU kernel of the same arithmetic: %s%s%s; reference: cublas-fp16\n", kname ? kname : "none",
               knote ? " -- " : "", knote ? knote : "");
        printf("%s\n\n", norm);
        printf("%-10s %5s %6s %6s %5s | %10s %10s | %10s %10s | %10s %10s | %10s %10s | %7s %7s %7s %7s\n", "gemm",
               "M", "N", "K", "count", "GPU us", "GPU uJ", "cuBLAS us", "cuBLAS uJ", "accel us", "accel uJ",
               "@copyBW us", "@copyBW uJ", "speedup", "@copyBW", "energyx", "@copyBW");
    }
    Totals tot[NREF];
    memset(tot, 0, sizeof tot);
    for (int i = 0; i < pt[0].res.nlayer; i++) {
        const Gemm *G = &pt[0].res.layer[i].g;
        double cnt = (double)G->count, aus[NACC], auj[NACC];
        for (int j = 0; j < NACC; j++) {
            aus[j] = (double)pt[j].res.layer[i].all.ev.cycles / pt[j].cfg.clock_mhz; /* every instance */
            auj[j] = pt[j].layer_energy[i].total / 1e6;
        }
        const GpuRow *r[NREF] = {NULL, NULL};
        double gus[NREF], guj[NREF];
        for (int q = 0; q < NREF; q++) {
            if (G->role == WL_WEIGHT_ACT && ref_name[q])
                r[q] = gpu_find(&g, ref_name[q], G->m, G->n, G->k);
            gus[q] = r[q] ? r[q]->us * cnt : NAN;
            guj[q] = r[q] ? r[q]->energy_uj * cnt : NAN;
            if (r[q]) {
                tot[q].nt++;
                tot[q].gpu_us += gus[q];
                for (int j = 0; j < NACC; j++)
                    tot[q].acc_us[j] += aus[j];
            }
            if (!isnan(guj[q])) {
                tot[q].ne++;
                tot[q].gpu_uj += guj[q];
                for (int j = 0; j < NACC; j++)
                    tot[q].acc_uj[j] += auj[j];
            }
        }
        if (text) {
            char b[8][32], rt[4][32];
            fmtv(b[0], 32, gus[REF_KERNEL], 1);
            fmtv(b[1], 32, guj[REF_KERNEL], 0);
            fmtv(b[2], 32, gus[REF_CUBLAS], 1);
            fmtv(b[3], 32, guj[REF_CUBLAS], 0);
            fmtv(rt[0], 32, ratio(gus[rref], aus[ACC_CONF]), -1);
            fmtv(rt[1], 32, ratio(gus[rref], aus[ACC_BW]), -1);
            fmtv(rt[2], 32, ratio(guj[rref], auj[ACC_CONF]), -1);
            fmtv(rt[3], 32, ratio(guj[rref], auj[ACC_BW]), -1);
            printf("%-10s %5lld %6lld %6lld %5lld | %10s %10s | %10s %10s | %10.1f %10.0f | %10.1f %10.0f | %7s %7s "
                   "%7s %7s\n",
                   G->name, (long long)G->m, (long long)G->n, (long long)G->k, (long long)G->count, b[0], b[1], b[2],
                   b[3], aus[ACC_CONF], auj[ACC_CONF], aus[ACC_BW], auj[ACC_BW], rt[0], rt[1], rt[2], rt[3]);
        }
        if (jl) {
            cJSON *l = cJSON_CreateObject();
            cJSON_AddStringToObject(l, "name", G->name);
            cJSON_AddStringToObject(l, "role", wl_role_name(G->role));
            cJSON_AddNumberToObject(l, "m", (double)G->m);
            cJSON_AddNumberToObject(l, "n", (double)G->n);
            cJSON_AddNumberToObject(l, "k", (double)G->k);
            cJSON_AddNumberToObject(l, "count", cnt);
            if (G->role != WL_WEIGHT_ACT)
                cJSON_AddStringToObject(l, "gpu_note", "attention (activation x activation): no GPU measurement");
            cJSON_AddItemToObject(l, "gpu", gpu_json(kname ? r[REF_KERNEL] : NULL, G->count));
            cJSON_AddItemToObject(l, "cublas", gpu_json(r[REF_CUBLAS], G->count));
            for (int j = 0; j < NACC; j++) {
                cJSON *x = cJSON_AddObjectToObject(l, acc_key[j]);
                cJSON_AddNumberToObject(x, "us", aus[j]);
                cJSON_AddNumberToObject(x, "energy_uj", auj[j]);
                cJSON_AddStringToObject(x, "bound", point_bound(&pt[j].res.layer[i].all));
            }
            cJSON_AddItemToObject(l, "vs_gpu", ratios_json(gus[REF_KERNEL], guj[REF_KERNEL], aus, auj));
            cJSON_AddItemToObject(l, "vs_cublas", ratios_json(gus[REF_CUBLAS], guj[REF_CUBLAS], aus, auj));
            cJSON_AddItemToArray(jl, l);
        }
    }
    cJSON *jt = root ? cJSON_AddObjectToObject(root, "totals") : NULL;
    if (text)
        printf("\ntotals over the layers with a GPU row (time) / with GPU energy (energy); speedup = GPU us / accel "
               "us, energyx = GPU uJ / accel uJ (> 1: the accelerator wins)\n");
    for (int q = 0; q < NREF; q++) {
        const Totals *t = &tot[q];
        double gu = t->nt ? t->gpu_us : NAN, ge = t->ne ? t->gpu_uj : NAN;
        double au[NACC], ae[NACC];
        for (int j = 0; j < NACC; j++) {
            au[j] = t->nt ? t->acc_us[j] : NAN;
            ae[j] = t->ne ? t->acc_uj[j] : NAN;
        }
        if (text) {
            char s[8][32];
            fmtv(s[0], 32, gu, 1);
            fmtv(s[1], 32, ge, 0);
            fmtv(s[2], 32, ratio(gu, au[ACC_CONF]), -1);
            fmtv(s[3], 32, ratio(gu, au[ACC_BW]), -1);
            fmtv(s[4], 32, ratio(ge, ae[ACC_CONF]), -1);
            fmtv(s[5], 32, ratio(ge, ae[ACC_BW]), -1);
            printf("  %-12s %2d layers: GPU %s us, %s uJ; speedup %s (@copyBW %s); energyx over %d layers %s "
                   "(@copyBW %s)\n",
                   ref_name[q] ? ref_name[q] : "(no kernel)", t->nt, s[0], s[1], s[2], s[3], t->ne, s[4], s[5]);
        }
        if (jt) {
            cJSON *o = cJSON_AddObjectToObject(jt, q == REF_KERNEL ? "vs_gpu" : "vs_cublas");
            if (ref_name[q])
                cJSON_AddStringToObject(o, "kernel", ref_name[q]);
            else
                cJSON_AddNullToObject(o, "kernel");
            cJSON_AddNumberToObject(o, "layers_time", t->nt);
            cJSON_AddNumberToObject(o, "layers_energy", t->ne);
            add_num_or_null(o, "gpu_us", gu);
            add_num_or_null(o, "gpu_energy_uj", ge);
            for (int j = 0; j < NACC; j++) {
                cJSON *x = cJSON_AddObjectToObject(o, acc_key[j]);
                add_num_or_null(x, "us", au[j]);
                add_num_or_null(x, "energy_uj", ae[j]);
            }
            cJSON *rr = ratios_json(gu, ge, au, ae);
            cJSON_AddItemToObject(o, "ratios", rr);
        }
    }
    if (text)
        printf("whole workload on the accelerator (attention and vector work included): %.1f us, %.0f uJ; @copyBW %.1f us, %.0f uJ\n",
               pt[ACC_CONF].seconds * 1e6, pt[ACC_CONF].energy.total / 1e6, pt[ACC_BW].seconds * 1e6,
               pt[ACC_BW].energy.total / 1e6);
    if (root) {
        rc = json_write(a.json, root, &e);
        cJSON_Delete(root);
    }
    for (int i = 0; i < NACC; i++)
        point_free(&pt[i]);
    wl_destroy(w);
    gpu_free(&g);
    return rc ? cli_fail(&e) : 0;
}
