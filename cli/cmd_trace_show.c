/* cli/cmd_trace_show.c — `mpsim trace show`: a model's (or a layer list's) GEMMs with totals. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/cli.h"
#include "cli/cmds.h"
#include "sim/point.h"
#include "base/jsonout.h"
#include "traces/layercsv.h"
#include "traces/workload.h"


/* "6.61 B": 3 significant digits with a K/M/B/T/P suffix (B = 1e9), for people. */
static void fmt_scaled(char *buf, size_t cap, int64_t v)
{
    static const char *const suf[] = {"", "K", "M", "B", "T", "P", "E"};
    double x = (double)v;
    int i = 0;
    while (x >= 999.5 && i < 6) {
        x /= 1000.0;
        i++;
    }
    if (i == 0)
        snprintf(buf, cap, "%" PRId64, v);
    else
        snprintf(buf, cap, "%.*f %s", x >= 99.95 ? 0 : x >= 9.995 ? 1 : 2, x, suf[i]);
}

/* fmt: the layer list's format name, NULL for a built-in model. */
static void print_table(const Workload *w, const char *fmt)
{
    char a[32], b[32];
    printf("model %s  phase %s", w->model, wl_phase_name(w->phase));
    if (w->phase == WL_PREFILL)
        printf("  seq %" PRId64 "  batch %" PRId64, w->seq, w->batch);
    else if (w->phase == WL_DECODE)
        printf("  kv %" PRId64 "  batch %" PRId64, w->kv, w->batch);
    else if (fmt)
        printf("  format %s", fmt);
    printf("\n\n%-16s %10s %10s %10s %10s  %-6s %20s\n", "name", "M", "N", "K", "count", "role", "MACs");
    for (int i = 0; i < w->ngemm; i++) {
        const Gemm *g = &w->gemms[i];
        printf("%-16s %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64 "  %-6s %20" PRId64 "\n", g->name, g->m,
               g->n, g->k, g->count, wl_role_name(g->role), wl_gemm_macs(g));
    }
    if (w->nvec) {
        printf("\n%-16s %-15s %10s %10s %10s  %-6s %s\n", "vector row", "kernel", "rows", "width", "count", "causal",
               "after GEMM row");
        for (int i = 0; i < w->nvec; i++) {
            const VecRow *v = &w->vecs[i];
            printf("%-16s %-15s %10" PRId64 " %10" PRId64 " %10" PRId64 "  %-6s %s\n", v->name, vec_kinds[v->kind].name,
                   v->rows, v->width, v->count, v->causal ? "yes" : "no", v->after ? w->gemms[v->after - 1].name : "-");
        }
    }
    fmt_scaled(a, sizeof a, w->weight_params);
    fmt_scaled(b, sizeof b, w->macs);
    printf("\nweight params  %20" PRId64 "  (%s)\n", w->weight_params, a);
    printf("MACs           %20" PRId64 "  (%s)\n", w->macs, b);
    printf("GEMMs          %20d  shapes, %" PRId64 " runs per forward pass\n", w->ngemm, w->runs);
}

/* Exact integers: cJSON stores doubles, which lose int64 digits above 2^53 and print exponents. */
static cJSON *add_int(cJSON *obj, const char *key, int64_t v)
{
    char s[32];
    snprintf(s, sizeof s, "%" PRId64, v);
    return cJSON_AddRawToObject(obj, key, s);
}

static cJSON *build_json(const Workload *w, const char *fmt)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "model", w->model) &&
             cJSON_AddStringToObject(root, "phase", wl_phase_name(w->phase));
    if (ok && w->phase == WL_PREFILL)
        ok = add_int(root, "seq", w->seq) != NULL;
    if (ok && w->phase == WL_DECODE)
        ok = add_int(root, "kv", w->kv) != NULL;
    if (ok && w->phase != WL_LAYERS)
        ok = add_int(root, "batch", w->batch) != NULL;
    if (ok && fmt)
        ok = cJSON_AddStringToObject(root, "format", fmt) != NULL;
    ok = ok && add_int(root, "weight_params", w->weight_params) && add_int(root, "macs", w->macs) &&
         add_int(root, "runs", w->runs);
    cJSON *arr = ok ? cJSON_AddArrayToObject(root, "gemms") : NULL;
    for (int i = 0; arr && i < w->ngemm; i++) {
        const Gemm *g = &w->gemms[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            arr = NULL;
            break;
        }
        if (!cJSON_AddStringToObject(o, "name", g->name) || !add_int(o, "m", g->m) || !add_int(o, "n", g->n) ||
            !add_int(o, "k", g->k) || !add_int(o, "count", g->count) ||
            !cJSON_AddStringToObject(o, "role", wl_role_name(g->role)) || !add_int(o, "macs", wl_gemm_macs(g)))
            arr = NULL;
    }
    cJSON *vec = arr ? cJSON_AddArrayToObject(root, "vector") : NULL;
    for (int i = 0; vec && i < w->nvec; i++) {
        const VecRow *v = &w->vecs[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(vec, o)) {
            cJSON_Delete(o);
            vec = NULL;
            break;
        }
        if (!cJSON_AddStringToObject(o, "name", v->name) || !cJSON_AddStringToObject(o, "kernel", vec_kinds[v->kind].name) ||
            !add_int(o, "rows", v->rows) || !add_int(o, "width", v->width) || !add_int(o, "count", v->count) ||
            !cJSON_AddBoolToObject(o, "causal", v->causal) || !add_int(o, "after", v->after) ||
            !add_int(o, "elements", wl_vec_elems(v)))
            vec = NULL;
    }
    if (!arr || !vec) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int cmd_trace_show(int argc, char **argv)
{
    const char *model = NULL, *layers = NULL, *phase_s = NULL, *json = NULL;
    /* the length flags as typed (NULL: not given), so that no integer value can stand for "absent" */
    const char *seq_s = NULL, *kv_s = NULL, *batch_s = NULL;
    const CliOpt opts[] = {
        {"model", CLI_STR, &model, "NAME", "built-in model ('mpsim list models')"},
        {"layers", CLI_STR, &layers, "FILE", "CSV layer list: name,m,n,k[,count][,role] or SCALE-Sim Layer,M,N,K"},
        {"phase", CLI_STR, &phase_s, "PHASE", "prefill (default) or decode; --model only"},
        {"seq", CLI_STR, &seq_s, "N", "prefill: tokens per sequence (default 2048)"},
        {"kv", CLI_STR, &kv_s, "N", "decode: KV positions attended to, new token included (default 2048)"},
        {"batch", CLI_STR, &batch_s, "B", "sequences (default 1); --model only"},
        {"json", CLI_STR, &json, "FILE", "also write JSON to FILE ('-' = stdout, then no table)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {
        "mpsim trace show",
        "(--model NAME | --layers FILE.csv) [--phase prefill|decode] [--seq N] [--kv N] [--batch B] [--json FILE]",
        "List the GEMMs of one forward pass (Y[MxN] = X[MxK]·W^T, count = repeats) with weight parameters and MACs.",
        "Embeddings, norms, softmax, rotary and activation functions are not GEMMs and are not listed;\n"
        "causal attention is counted over the full square. Conventions: docs/workloads.md.",
        opts,
        0,
        0,
    };
    int st = cmd_parse(&spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    int rc = MP_OK;
    if (!model == !layers) {
        mp_errf(&e, MP_EINPUT, "%s: give exactly one of --model NAME or --layers FILE (see --help)", spec.cmd);
        return cli_fail(&e);
    }
    Workload *w = NULL;
    const char *fmt = NULL;
    if (layers) {
        if (phase_s || seq_s || kv_s || batch_s) {
            mp_errf(&e, MP_EINPUT, "%s: --phase, --seq, --kv and --batch apply to --model only (a layer list fixes "
                    "its shapes)", spec.cmd);
            return cli_fail(&e);
        }
        LcsvFormat f;
        if ((rc = lcsv_load(layers, &w, &f, &e)) != MP_OK)
            return cli_fail(&e);
        fmt = lcsv_format_name(f);
    } else {
        WlPhase phase = WL_PREFILL;
        if (phase_s && (wl_phase_from_name(phase_s, &phase) != 0 || phase == WL_LAYERS)) {
            mp_errf(&e, MP_EINPUT, "%s: --phase must be prefill or decode, not '%s'", spec.cmd, phase_s);
            return cli_fail(&e);
        }
        if (phase == WL_DECODE && seq_s) {
            mp_errf(&e, MP_EINPUT, "%s: --seq applies to prefill; decode takes --kv", spec.cmd);
            return cli_fail(&e);
        }
        if (phase == WL_PREFILL && kv_s) {
            mp_errf(&e, MP_EINPUT, "%s: --kv applies to decode (--phase decode); prefill takes --seq", spec.cmd);
            return cli_fail(&e);
        }
        int64_t len, batch = 1;
        if ((rc = cmd_parse_len(phase == WL_PREFILL ? "seq" : "kv", phase == WL_PREFILL ? seq_s : kv_s, &len, &e)) ||
            (rc = cmd_parse_len("batch", batch_s, &batch, &e))) {
            mp_err_prefix(&e, "%s", spec.cmd);
            return cli_fail(&e);
        }
        len = len == POINT_LEN_DEFAULT ? 2048 : len;
        batch = batch == POINT_LEN_DEFAULT ? 1 : batch;
        const WlModel *md = wl_model_find(model, &e);
        if (!md || (rc = wl_create(md, phase, len, batch, &w, &e)) != MP_OK) {
            mp_err_prefix(&e, "%s", spec.cmd);
            return cli_fail(&e);
        }
    }
    if (!json || strcmp(json, "-") != 0)
        print_table(w, fmt);
    if (json) {
        cJSON *root = build_json(w, fmt);
        rc = json_write(json, root, &e);
        cJSON_Delete(root);
    }
    wl_destroy(w);
    return rc ? cli_fail(&e) : 0;
}
