/* cli/cmd_infer.c — `mpsim infer`: a whole request (prefill, then decode steps as the KV cache grows)
 * on one design: TTFT, TPOT, tokens/s, J/token, and the time and energy by class and by layer. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "base/cli.h"
#include "base/jsonout.h"
#include "cli/cmds.h"
#include "models/opfmt.h"
#include "models/pekind.h"
#include "sim/infer.h"

typedef struct InferArgs {
    const char *arch, *model, *set, *json, *objective;
    int64_t prompt, gen, batch;
    int quiet, step_all;
} InferArgs;

static void print_infer(const InferResult *r)
{
    const ArchConfig *c = &r->cfg;
    const InferReq *q = &r->req;
    printf("request: %s on %s (%s, %d core%s of %dx%d PEs, %d DRAM channel%s, %.0f MHz, %.3f mm^2, technology %s at %d "
           "nm)\n",
           q->model->name, c->name, pe_kind_names[c->pe_kind], c->cores, c->cores == 1 ? "" : "s", c->rows, c->cols,
           c->dram_channels, c->dram_channels == 1 ? "" : "s", c->clock_mhz, r->area_mm2, c->tech, c->node_nm);
    printf("         prompt %lld, %lld generated tokens (the prefill's and %lld decode steps attending to %lld..%lld "
           "positions), batch %lld; attention %s\n",
           (long long)q->prompt, (long long)q->gen, (long long)r->steps, (long long)(q->prompt + 1),
           (long long)(q->prompt + q->gen - 1), (long long)q->batch, r->fused ? "fused" : "unfused");
    if (r->note[0])
        printf("note: %s\n", r->note);
    else if (r->fused)
        printf("         fused attention: one query tile x key tile needs %.1f KiB of the %.1f KiB of buffers\n",
               (double)r->fused_need_bits / 8192, (double)r->fused_have_bits / 8192);
    printf("\nTTFT        %12.6f s    (prefill of %lld x %lld tokens)\n", r->ttft_s, (long long)q->batch,
           (long long)q->prompt);
    if (r->steps)
        printf("TPOT        %12.6f s    mean over %lld steps; last %.6f s\n", r->tpot_mean_s, (long long)r->steps,
               r->tpot_last_s);
    else
        printf("TPOT                   -      (--gen 1: the prefill's token only, no decode step)\n");
    printf("tokens/s    %12.3f      (%lld tokens / (TTFT + all steps))\n", r->tokens_per_s,
           (long long)(q->batch * q->gen));
    printf("J/token     %12.6f      (%.3f J prefill + %.3f J decode)\n", r->j_per_token,
           r->prefill_energy.total * 1e-12, r->decode_energy.total * 1e-12);
    const double hz = c->clock_mhz * 1e6;
    printf("\n%-22s %12s %7s %12s %7s\n", "time by class", "prefill s", "share", "decode s", "share");
    for (int k = 0; k < IC_COUNT; k++)
        printf("%-22s %12.6f %6.1f%% %12.6f %6.1f%%\n", infer_class_names[k], (double)r->cls_cycles[0][k] / hz,
               r->prefill_cycles ? 100.0 * (double)r->cls_cycles[0][k] / (double)r->prefill_cycles : 0,
               (double)r->cls_cycles[1][k] / hz,
               r->decode_cycles ? 100.0 * (double)r->cls_cycles[1][k] / (double)r->decode_cycles : 0);
    printf("\n%-22s %12s %7s %12s %7s\n", "energy by class", "prefill mJ", "share", "decode mJ", "share");
    for (int k = 0; k < IE_COUNT; k++)
        printf("%-22s %12.3f %6.1f%% %12.3f %6.1f%%\n", infer_energy_names[k], r->cls_pj[0][k] / 1e9,
               100.0 * r->cls_pj[0][k] / (r->prefill_energy.total > 0 ? r->prefill_energy.total : 1),
               r->cls_pj[1][k] / 1e9,
               100.0 * r->cls_pj[1][k] / (r->decode_energy.total > 0 ? r->decode_energy.total : 1));
    printf("\n%-14s %-9s %12s %12s %12s %12s\n", "layer", "class", "prefill s", "decode s", "prefill mJ",
           "decode mJ");
    for (int i = 0; i < r->nrow; i++) {
        const InferRow *w = &r->rows[i];
        printf("%-14s %-9s %12.6f %12.6f %12.3f %12.3f\n", w->name, infer_class_names[w->cls],
               (double)w->prefill_cycles / hz, (double)w->decode_cycles / hz, w->prefill_pj / 1e9,
               w->decode_pj / 1e9);
    }
    printf("\n(decode: all %lld steps together; every layer row covers all layers of the model)\n", (long long)r->steps);
}

static cJSON *infer_json(const InferResult *r)
{
    const InferReq *q = &r->req;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", r->cfg.name);
    cJSON_AddStringToObject(o, "pe_kind", pe_kind_names[r->cfg.pe_kind]);
    cJSON_AddStringToObject(o, "model", q->model->name);
    cJSON_AddNumberToObject(o, "prompt", (double)q->prompt);
    cJSON_AddNumberToObject(o, "gen", (double)q->gen);
    cJSON_AddNumberToObject(o, "decode_steps", (double)r->steps);
    cJSON_AddNumberToObject(o, "batch", (double)q->batch);
    cJSON_AddBoolToObject(o, "attention_fused", r->fused);
    if (r->note[0])
        cJSON_AddStringToObject(o, "note", r->note);
    cJSON_AddNumberToObject(o, "area_mm2", r->area_mm2);
    cJSON_AddNumberToObject(o, "node_nm", r->cfg.node_nm);
    cJSON_AddNumberToObject(o, "cores", r->cfg.cores);
    cJSON_AddNumberToObject(o, "dram_channels", r->cfg.dram_channels);
    cJSON_AddNumberToObject(o, "ttft_s", r->ttft_s);
    cJSON_AddNumberToObject(o, "tpot_mean_s", r->tpot_mean_s);
    cJSON_AddNumberToObject(o, "tpot_last_s", r->tpot_last_s);
    cJSON_AddNumberToObject(o, "tokens_per_s", r->tokens_per_s);
    cJSON_AddNumberToObject(o, "j_per_token", r->j_per_token);
    cJSON_AddNumberToObject(o, "prefill_cycles", (double)r->prefill_cycles);
    cJSON_AddNumberToObject(o, "decode_cycles", (double)r->decode_cycles);
    cJSON_AddNumberToObject(o, "prefill_energy_pj", r->prefill_energy.total);
    cJSON_AddNumberToObject(o, "decode_energy_pj", r->decode_energy.total);
    static const char *const ph[2] = {"prefill", "decode"};
    cJSON *cl = cJSON_AddObjectToObject(o, "classes");
    for (int p = 0; p < 2; p++) {
        cJSON *x = cJSON_AddObjectToObject(cl, ph[p]);
        cJSON *cy = cJSON_AddObjectToObject(x, "cycles"), *pj = cJSON_AddObjectToObject(x, "energy_pj");
        for (int k = 0; k < IC_COUNT; k++)
            cJSON_AddNumberToObject(cy, infer_class_names[k], (double)r->cls_cycles[p][k]);
        for (int k = 0; k < IE_COUNT; k++)
            cJSON_AddNumberToObject(pj, infer_energy_names[k], r->cls_pj[p][k]);
    }
    cJSON *ls = cJSON_AddArrayToObject(o, "layers");
    for (int i = 0; i < r->nrow; i++) {
        const InferRow *w = &r->rows[i];
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", w->name);
        cJSON_AddStringToObject(l, "class", infer_class_names[w->cls]);
        cJSON_AddNumberToObject(l, "prefill_cycles", (double)w->prefill_cycles);
        cJSON_AddNumberToObject(l, "decode_cycles", (double)w->decode_cycles);
        cJSON_AddNumberToObject(l, "prefill_energy_pj", w->prefill_pj);
        cJSON_AddNumberToObject(l, "decode_energy_pj", w->decode_pj);
        cJSON_AddItemToArray(ls, l);
    }
    return o;
}

int cmd_infer(int argc, char **argv)
{
    InferArgs a = {.prompt = 2048, .gen = 128, .batch = 1};
    const CliOpt opts[] = {
        {"arch", CLI_STR, &a.arch, "NAME|FILE", "preset (mpsim list presets) or config file"},
        {"model", CLI_STR, &a.model, "NAME", "built-in model (mpsim list models)"},
        {"prompt", CLI_INT, &a.prompt, "P", "prompt tokens per sequence (default 2048)"},
        {"gen", CLI_INT, &a.gen, "G", "generated tokens per sequence: the prefill's, then G-1 decode steps (default 128)"},
        {"batch", CLI_INT, &a.batch, "B", "sequences served together (default 1)"},
        {"objective", CLI_STR, &a.objective, "time|dram|energy",
         "what the mapper minimises first (default time, then DRAM bits, then energy)"},
        {"set", CLI_STR, &a.set, "S.K=V,...", "override config keys, e.g. attention.fused=true"},
        {"json", CLI_STR, &a.json, "FILE", "write results as JSON ('-' for stdout)"},
        {"step-all", CLI_FLAG, &a.step_all, "",
         "simulate every decode step in full instead of reusing the layers that do not change (same numbers)"},
        {"quiet", CLI_FLAG, &a.quiet, "", "no progress on stderr"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {
        "mpsim infer", "--arch NAME|FILE --model NAME [--prompt P] [--gen G] [--batch B] [options]",
        "Simulate a whole request: the prefill of the prompt (it yields the first token), then G-1 decode steps "
        "attending to P+1..P+G-1 positions; prints TTFT, TPOT (mean and last), tokens/s, J/token, and time and "
        "energy by class and layer.",
        "Example: mpsim infer --arch iso/bitmod-w4 --model llama2-7b --prompt 2048 --gen 128\n"
        "Fast fidelity; the vector unit and fused attention: docs/simulator.md.",
        opts, 0, 0};
    int st = cmd_parse(&spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    int rc = MP_OK;
    if (!a.arch || !a.model)
        rc = mp_errf(&e, MP_EINPUT, "mpsim infer: --arch and --model are required (see 'mpsim infer --help')");
    if (rc == MP_OK && a.prompt < 1)
        rc = mp_errf(&e, MP_EINPUT, "--prompt %lld: expected >= 1 tokens", (long long)a.prompt);
    if (rc == MP_OK && a.gen < 1)
        rc = mp_errf(&e, MP_EINPUT, "--gen %lld: expected >= 1 tokens", (long long)a.gen);
    if (rc == MP_OK && a.batch < 1)
        rc = mp_errf(&e, MP_EINPUT, "--batch %lld: expected >= 1 sequences", (long long)a.batch);
    InferReq q = {NULL, a.prompt, a.gen, a.batch};
    if (rc == MP_OK && !(q.model = wl_model_find(a.model, &e)))
        rc = MP_EINPUT;
    InferOpts o;
    memset(&o, 0, sizeof o);
    o.run.fid = FID_FAST;
    o.run.seed = 1;
    o.step_all = a.step_all;
    o.progress = !a.quiet && isatty(2);
    if (rc == MP_OK && a.objective)
        rc = map_objective_from_name(a.objective, &o.run.objective, &e);
    ArchConfig cfg;
    TechTable tech;
    if (rc == MP_OK)
        rc = point_load_arch(a.arch, a.set, &cfg, &tech, &e);
    InferResult r;
    if (rc == MP_OK)
        rc = infer_run(&cfg, &tech, &q, &o, &r, &e);
    if (rc == MP_OK) {
        char dn[256];
        if (!a.json || strcmp(a.json, "-") != 0) {
            print_infer(&r);
            if (energy_dram_note(&tech, &cfg, dn, sizeof dn))
                printf("note: %s\n", dn);
        }
        if (a.json) {
            cJSON *j = infer_json(&r);
            rc = json_write(a.json, j, &e);
            cJSON_Delete(j);
        }
    }
    return rc ? cli_fail(&e) : 0;
}
