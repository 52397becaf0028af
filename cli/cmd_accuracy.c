/* cli/cmd_accuracy.c — `mpsim accuracy`: quantization and datapath accuracy of every format on a
 * model's layer shapes (synthetic tensors) or on real tensors from safetensors files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "dse/accuracy.h"
#include "base/alloc.h"
#include "base/cli.h"
#include "cli/cmds.h"
#include "base/jsonout.h"
#include "traces/safetensors.h"
#include "traces/synth.h"
#include "traces/workload.h"

typedef struct AccOpts {
    const char *model, *formats, *weights, *acts, *json, *bm_err, *params;
    int64_t layers, tokens, rows, seed;
    int bitmod_single;
    double ant_fb_db;
} AccOpts;

static void fmt_db(char *buf, size_t cap, double db)
{
    if (isinf(db))
        snprintf(buf, cap, "exact");
    else
        snprintf(buf, cap, "%.2f", db);
}

/* Strided sample of `rows` rows of a [n x k] matrix (all rows if rows == 0 or rows >= n). */
static int sample_rows(const float *src, int n, int k, int rows, float **out, int *nout, MpErr *e)
{
    int r = rows <= 0 || rows >= n ? n : rows;
    float *d = mp_malloc((size_t)r * k * sizeof *d);
    if (!d)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    for (int i = 0; i < r; i++) {
        size_t from = (size_t)((long long)i * n / r);
        memcpy(d + (size_t)i * k, src + from * k, (size_t)k * sizeof *d);
    }
    *out = d;
    *nout = r;
    return MP_OK;
}

/* The synthetic generator's parameters: the defaults with --params applied. */
static int syn_params(const AccOpts *o, SynParams *sp, MpErr *e)
{
    syn_params_default(sp);
    int rc = o->params ? syn_params_parse(sp, o->params, e) : MP_OK;
    return rc == MP_OK ? syn_params_check(sp, e) : rc;
}

static int run_synthetic(const AccOpts *o, AccStudy *s, MpErr *e)
{
    const WlModel *m = wl_model_find(o->model, e);
    if (!m)
        return MP_EINPUT;
    if (o->layers < 1 || o->layers > m->layers)
        return mp_errf(e, MP_EINPUT, "--layers %lld: %s has %d layers", (long long)o->layers, m->name, m->layers);
    SynParams sp;
    int rc = syn_params(o, &sp, e);
    Workload *wl;
    if (rc == MP_OK)
        rc = wl_create(m, WL_DECODE, 1, 1, &wl, e);
    if (rc)
        return rc;
    rc = acc_study_synthetic(s, wl, (int)o->layers, (int)o->rows, (int)o->tokens, o->seed, &sp, isatty(2), e);
    wl_destroy(wl);
    return rc;
}

static int run_files(const AccOpts *o, AccStudy *s, MpErr *e)
{
    StFile *fw = NULL, *fx = NULL;
    SynParams sp;
    int rc = syn_params(o, &sp, e);
    if (rc == MP_OK)
        rc = st_open(o->weights, &fw, e);
    if (rc == MP_OK && o->acts)
        rc = st_open(o->acts, &fx, e);
    int used = 0;
    for (size_t i = 0; rc == MP_OK && i < st_count(fw); i++) {
        if (st_rank(fw, i) != 2 || !st_dtype_is_float(st_dtype(fw, i)))
            continue;
        const uint64_t *sh = st_shape(fw, i);
        if (sh[0] < 1 || sh[1] < 1 || sh[0] > (1u << 20) || sh[1] > (1u << 20))
            continue;
        int n = (int)sh[0], k = (int)sh[1], t = (int)o->tokens, r = 0;
        float *wall = NULL, *w = NULL, *x = NULL;
        rc = st_read_f32_alloc(fw, i, &wall, e);
        if (rc == MP_OK)
            rc = sample_rows(wall, n, k, (int)o->rows, &w, &r, e);
        mp_free(wall);
        if (rc == MP_OK && fx) {
            size_t j = 0;
            while (j < st_count(fx) && strcmp(st_name(fx, j), st_name(fw, i)) != 0)
                j++;
            if (j == st_count(fx) || st_rank(fx, j) != 2 || st_shape(fx, j)[1] != sh[1])
                rc = mp_errf(e, MP_EINPUT, "%s: no 2-D tensor '%s' with %d columns to pair with the weights",
                             o->acts, st_name(fw, i), k);
            else {
                t = (int)st_shape(fx, j)[0];
                rc = st_read_f32_alloc(fx, j, &x, e);
            }
        } else if (rc == MP_OK) {
            x = mp_malloc((size_t)t * k * sizeof *x);
            rc = x ? syn_acts(&sp, (uint64_t)o->seed * 1000003u + i, (size_t)t, (size_t)k, x, NULL, e)
                   : mp_errf(e, MP_ENOMEM, "out of memory");
        }
        if (rc == MP_OK)
            rc = acc_study_gemm(s, st_name(fw, i), w, r, k, x, t, e);
        mp_free(w);
        mp_free(x);
        used++;
        if (o->layers > 0 && used >= o->layers)
            break;
    }
    if (rc == MP_OK && used == 0)
        rc = mp_errf(e, MP_EINPUT, "%s: no 2-D float tensors to study", o->weights);
    st_close(fw);
    st_close(fx);
    return rc;
}

static const char *type_names(int mask, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int f = 0; f < FMT_COUNT; f++)
        if (mask & (1 << f))
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", fmt_get((FmtId)f)->name);
    return buf;
}

static void print_tables(const AccOpts *o, const AccStudy *s)
{
    char a[32], b[32], c[32];
    printf("per layer: SQNR of the hardware-exact outputs (dB) against the unquantized fp64 GEMM\n");
    int wname = 4;
    for (int l = 0; l < s->nlayer; l++)
        if ((int)strlen(s->layer[l].name) > wname)
            wname = (int)strlen(s->layer[l].name);
    printf("%-*s %6s %6s", wname, "gemm", "N", "K");
    for (int f = 0; f < s->nfmt; f++)
        printf(" %11.11s", s->fmt[f].name);
    printf("\n");
    for (int l = 0; l < s->nlayer; l++) {
        printf("%-*s %6d %6d", wname, s->layer[l].name, s->layer[l].n, s->layer[l].k);
        for (int f = 0; f < s->nfmt; f++) {
            fmt_db(a, sizeof a, s->layer[l].sqnr_hw[f]);
            printf(" %11s", a);
        }
        printf("\n");
    }
    char tok[64];
    if (s->tokens_min == s->tokens_max)
        snprintf(tok, sizeof tok, "%lld tokens", s->tokens_min);
    else
        snprintf(tok, sizeof tok, "%lld..%lld tokens", s->tokens_min, s->tokens_max);
    printf("\nsummary over %d GEMMs (%s; %s; seed %lld)\n", s->nlayer,
           o->weights ? o->weights : "synthetic tensors, docs/data.md", tok, (long long)o->seed);
    printf("%-18s %9s %9s %9s %9s %10s %9s %10s  %s\n", "format", "sqnr_db", "ideal_db", "weight_db", "hw_err_db",
           "rel_err", "cosine", "max_abs", "notes");
    for (int fi = 0; fi < s->nfmt; fi++) {
        const AccFormat *f = &s->fmt[fi];
        Metrics hw = metric_summary(&f->out_hw), id = metric_summary(&f->out_ideal), wt = metric_summary(&f->weight);
        char d[32];
        fmt_db(a, sizeof a, hw.sqnr_db);
        fmt_db(b, sizeof b, id.sqnr_db);
        fmt_db(c, sizeof c, wt.sqnr_db);
        fmt_db(d, sizeof d, metric_summary(&f->hw_vs_ideal).sqnr_db);
        char notes[256] = "", types[64];
        if (f->bitmod_groups)
            snprintf(notes, sizeof notes, "fp16/fp64 error pick differently in %lld of %lld groups", f->bitmod_disagree,
                     f->bitmod_groups);
        if (f->olive_w_pairs && f->olive_x_pairs)
            snprintf(notes, sizeof notes, "outlier pairs: weights %.3f%%, activations %.3f%%; types %s",
                     100.0 * f->olive_w_outlier_pairs / f->olive_w_pairs,
                     100.0 * f->olive_x_outlier_pairs / f->olive_x_pairs, type_names(f->types_seen, types, sizeof types));
        else if (f->olive_w_pairs)
            snprintf(notes, sizeof notes, "outlier pairs: weights %.3f%% (fp16 activations); types %s",
                     100.0 * f->olive_w_outlier_pairs / f->olive_w_pairs, type_names(f->types_seen, types, sizeof types));
        else if (f->ant_w_int8 || f->ant_x_int8 || f->nf.wq.ant_fb != ANT_FB_OFF)
            snprintf(notes, sizeof notes,
                     "8-bit (MSNR4 < %g dB): weights %lld/%lld (own %lld), activations %lld/%lld (own %lld); "
                     "%.3f code bits/weight; types %s",
                     f->nf.wq.ant_fb_db, f->ant_w_int8, f->ant_w_tensors, f->ant_w_own, f->ant_x_int8, f->ant_x_tensors,
                     f->ant_x_own, f->ant_w_elems ? (double)f->ant_w_code_bits / f->ant_w_elems : 0.0,
                     type_names(f->types_seen, types, sizeof types));
        else if (f->types_seen)
            snprintf(notes, sizeof notes, "types %s", type_names(f->types_seen, types, sizeof types));
        printf("%-18s %9s %9s %9s %9s %10.3e %9.6f %10.3e  %s\n", f->name, a, b, c, d, hw.rel_err, hw.cosine,
               hw.max_abs_err, notes);
    }
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *metrics_json(const AccFormat *f)
{
    Metrics hw = metric_summary(&f->out_hw), id = metric_summary(&f->out_ideal), wt = metric_summary(&f->weight);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddItemToObject(m, "sqnr_db", num(hw.sqnr_db));
    cJSON_AddItemToObject(m, "weight_sqnr_db", num(wt.sqnr_db));
    cJSON_AddItemToObject(m, "rel_err", num(hw.rel_err));
    cJSON_AddItemToObject(m, "cosine", num(hw.cosine));
    cJSON_AddItemToObject(m, "max_abs_err", num(hw.max_abs_err));
    cJSON_AddItemToObject(m, "ideal_sqnr_db", num(id.sqnr_db));
    cJSON_AddItemToObject(m, "ideal_rel_err", num(id.rel_err));
    cJSON_AddItemToObject(m, "hw_vs_ideal_sqnr_db", num(metric_summary(&f->hw_vs_ideal).sqnr_db));
    if (f->bitmod_groups) {
        cJSON_AddNumberToObject(m, "bitmod_groups", (double)f->bitmod_groups);
        cJSON_AddNumberToObject(m, "bitmod_fp16_fp64_disagree", (double)f->bitmod_disagree);
    }
    if (f->olive_w_pairs) {
        cJSON_AddNumberToObject(m, "olive_weight_outlier_pair_frac", (double)f->olive_w_outlier_pairs / f->olive_w_pairs);
        if (f->olive_x_pairs)
            cJSON_AddNumberToObject(m, "olive_act_outlier_pair_frac",
                                    (double)f->olive_x_outlier_pairs / f->olive_x_pairs);
    }
    if (f->nf.wq.scheme == QS_ANT) { /* ANT's 8-bit fallback (counts are 0 with it off) */
        cJSON_AddBoolToObject(m, "ant_fallback", f->nf.wq.ant_fb != ANT_FB_OFF);
        if (f->nf.wq.ant_fb == ANT_FB_MSNR)
            cJSON_AddNumberToObject(m, "ant_fallback_msnr_db", f->nf.wq.ant_fb_db);
        cJSON_AddNumberToObject(m, "ant_weight_tensors", (double)f->ant_w_tensors);
        cJSON_AddNumberToObject(m, "ant_weight_int8", (double)f->ant_w_int8);
        cJSON_AddNumberToObject(m, "ant_weight_int8_own", (double)f->ant_w_own);
        cJSON_AddNumberToObject(m, "ant_weight_int8_frac", f->ant_w_tensors ? (double)f->ant_w_int8 / f->ant_w_tensors : 0.0);
        cJSON_AddNumberToObject(m, "ant_act_tensors", (double)f->ant_x_tensors);
        cJSON_AddNumberToObject(m, "ant_act_int8", (double)f->ant_x_int8);
        cJSON_AddNumberToObject(m, "ant_act_int8_own", (double)f->ant_x_own);
        cJSON_AddNumberToObject(m, "ant_act_int8_frac", f->ant_x_tensors ? (double)f->ant_x_int8 / f->ant_x_tensors : 0.0);
        cJSON_AddItemToObject(m, "ant_weight_code_bits",
                              num(f->ant_w_elems ? (double)f->ant_w_code_bits / f->ant_w_elems : NAN));
    }
    return m;
}

static int write_json(const AccOpts *o, const AccStudy *s, MpErr *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "source", o->weights ? "safetensors" : "synthetic");
    if (o->weights)
        cJSON_AddStringToObject(root, "weights", o->weights);
    else
        cJSON_AddStringToObject(root, "model", o->model);
    /* tokens actually used: --tokens for synthetic activations, the files' rows with --acts */
    cJSON_AddNumberToObject(root, "tokens", (double)s->tokens_max);
    if (s->tokens_min != s->tokens_max)
        cJSON_AddNumberToObject(root, "tokens_min", (double)s->tokens_min);
    cJSON_AddNumberToObject(root, "rows", (double)o->rows);
    cJSON_AddNumberToObject(root, "seed", (double)o->seed);
    cJSON_AddStringToObject(root, "bitmod_err", o->bm_err);
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    for (int f = 0; f < s->nfmt; f++)
        cJSON_AddItemToObject(sum, s->fmt[f].name, metrics_json(&s->fmt[f]));
    cJSON *layers = cJSON_AddArrayToObject(root, "layers");
    for (int l = 0; l < s->nlayer; l++) {
        cJSON *L = cJSON_CreateObject();
        cJSON_AddStringToObject(L, "name", s->layer[l].name);
        cJSON_AddNumberToObject(L, "n", s->layer[l].n);
        cJSON_AddNumberToObject(L, "k", s->layer[l].k);
        cJSON_AddNumberToObject(L, "tokens", s->layer[l].t);
        cJSON *fm = cJSON_AddObjectToObject(L, "formats");
        for (int f = 0; f < s->nfmt; f++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddItemToObject(x, "sqnr_db", num(s->layer[l].sqnr_hw[f]));
            cJSON_AddItemToObject(x, "ideal_sqnr_db", num(s->layer[l].sqnr_ideal[f]));
            cJSON_AddItemToObject(x, "weight_sqnr_db", num(s->layer[l].sqnr_w[f]));
            if (s->layer[l].wtype[f] >= 0)
                cJSON_AddStringToObject(x, "weight_type", fmt_get((FmtId)s->layer[l].wtype[f])->name);
            if (s->layer[l].xtype[f] >= 0)
                cJSON_AddStringToObject(x, "act_type", fmt_get((FmtId)s->layer[l].xtype[f])->name);
            if (!isnan(s->layer[l].ant_w_msnr4[f])) /* +inf (exact) is written as null */
                cJSON_AddItemToObject(x, "ant_weight_msnr4_db", num(s->layer[l].ant_w_msnr4[f]));
            if (!isnan(s->layer[l].ant_x_msnr4[f]))
                cJSON_AddItemToObject(x, "ant_act_msnr4_db", num(s->layer[l].ant_x_msnr4[f]));
            if (!isnan(s->layer[l].ant_w_mse4[f])) /* ANT's own ranking key (docs/sources.md) */
                cJSON_AddItemToObject(x, "ant_weight_mse4", num(s->layer[l].ant_w_mse4[f]));
            if (!isnan(s->layer[l].ant_x_mse4[f]))
                cJSON_AddItemToObject(x, "ant_act_mse4", num(s->layer[l].ant_x_mse4[f]));
            cJSON_AddItemToObject(fm, s->fmt[f].name, x);
        }
        cJSON_AddItemToArray(layers, L);
    }
    int rc = json_write(o->json, root, e);
    cJSON_Delete(root);
    return rc;
}

static int add_formats(const AccOpts *o, AccStudy *s, BitmodErrMode bm, MpErr *e)
{
    int rc = MP_OK;
    if (!strcmp(o->formats, "all")) {
        for (int i = 0; i < num_formats_count && rc == MP_OK; i++)
            rc = acc_study_add_format(s, num_formats[i].name, bm, e);
    } else {
        char buf[1024];
        if (strlen(o->formats) >= sizeof buf)
            return mp_errf(e, MP_EINPUT, "--formats: list longer than %zu characters", sizeof buf - 1);
        snprintf(buf, sizeof buf, "%s", o->formats);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && rc == MP_OK; tok = strtok_r(NULL, ",", &save))
            rc = acc_study_add_format(s, tok, bm, e);
    }
    if (rc == MP_OK && s->nfmt == 0 && !o->bitmod_single)
        rc = mp_errf(e, MP_EINPUT, "--formats '%s' names no format", o->formats);
    if (rc == MP_OK && o->bitmod_single) {
        static const char *const single[] = {"bitmod-w4:er_pos", "bitmod-w4:er_neg", "bitmod-w4:ea_pos",
                                             "bitmod-w4:ea_neg", "bitmod-w3:er_pos", "bitmod-w3:er_neg",
                                             "bitmod-w3:ea_pos", "bitmod-w3:ea_neg"};
        for (int i = 0; i < 8 && rc == MP_OK; i++)
            rc = acc_study_add_format(s, single[i], bm, e);
    }
    return rc;
}

int cmd_accuracy(int argc, char **argv)
{
    AccOpts o = {NULL, "all", NULL, NULL, NULL, "fp16", NULL, 1, 16, 128, 1, 0, ANT_FB_DB_DEFAULT};
    const CliOpt opts[] = {
        {"model", CLI_STR, &o.model, "NAME", "built-in model whose layer shapes to study (mpsim list models)"},
        {"layers", CLI_INT, &o.layers, "N", "first N transformer layers (with --weights: first N tensors); default 1"},
        {"tokens", CLI_INT, &o.tokens, "T", "activation rows (tokens) per GEMM; default 16"},
        {"rows", CLI_INT, &o.rows, "R", "weight rows (output channels) sampled per GEMM, 0 = all; default 128"},
        {"formats", CLI_STR, &o.formats, "LIST", "comma-separated formats or 'all' (default); bitmod-w4:er_pos = one variant"},
        {"bitmod-single", CLI_FLAG, &o.bitmod_single, "", "also run each BitMoD variant alone (mixture vs single)"},
        {"bitmod-err", CLI_STR, &o.bm_err, "fp16|f64", "BitMoD type choice: the authors' fp16 error (default) or fp64"},
        {"weights", CLI_STR, &o.weights, "FILE", "safetensors file: every 2-D float tensor is a weight [N x K]"},
        {"acts", CLI_STR, &o.acts, "FILE", "safetensors file with an activation [T x K] of the same name per weight"},
        {"ant-fb-db", CLI_F64, &o.ant_fb_db, "DB",
         "ANT 8-bit fallback of ant-w4a4-mp / ant-w4a16-mp: a tensor whose 4-bit MSNR (mean|x|^2 / mean err^2) is below DB dB falls back"},
        {"seed", CLI_INT, &o.seed, "S", "seed of the synthetic tensors (default 1)"},
        {"params", CLI_STR, &o.params, "N=V,...", "synthetic generator parameters (docs/data.md), e.g. x_outlier_frac=0"},
        {"json", CLI_STR, &o.json, "FILE", "write results as JSON ('-' for stdout)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {"mpsim accuracy", "(--model NAME | --weights FILE) [options]",
                          "Accuracy of every number format and PE datapath: output SQNR of the hardware-exact and the "
                          "ideal GEMM against fp64, weight SQNR, the datapath's own error (hw_err_db: hardware-exact "
                          "against ideal), relative error, cosine, max error.",
                          "Synthetic tensors follow docs/data.md (seeded). Formats: fp16 int8 int4 w4a16-dq mixpe-w4a8 "
                          "mixpe-w4a16 bitmod-w4 bitmod-w3 olive-w4a4 ant-w4a4 olive-w4a16 ant-w4a16 ant-w4a4-mp ant-w4a16-mp.\nExample: mpsim accuracy --model "
                          "llama2-7b --layers 2 --formats all",
                          opts, 0, 0};
    int st = cmd_parse(&spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    if (!o.model == !o.weights)
        return mp_errf(&e, MP_EINPUT, "mpsim accuracy: give exactly one of --model or --weights"), cli_fail(&e);
    if (o.acts && !o.weights)
        return mp_errf(&e, MP_EINPUT, "mpsim accuracy: --acts goes with --weights"), cli_fail(&e);
    if (o.tokens < 1 || o.tokens > 65536 || o.rows < 0 || o.rows > (1 << 20) || o.layers < 0 || o.seed < 0)
        return mp_errf(&e, MP_EINPUT, "mpsim accuracy: --tokens 1..65536, --rows 0..2^20, --layers >= 0, --seed >= 0"),
               cli_fail(&e);
    BitmodErrMode bm;
    if (!strcmp(o.bm_err, "fp16"))
        bm = BM_ERR_FP16;
    else if (!strcmp(o.bm_err, "f64"))
        bm = BM_ERR_F64;
    else
        return mp_errf(&e, MP_EINPUT, "mpsim accuracy: --bitmod-err takes fp16 or f64"), cli_fail(&e);
    AccStudy s;
    acc_study_init(&s);
    int rc = isfinite(o.ant_fb_db) ? add_formats(&o, &s, bm, &e)
                                   : mp_errf(&e, MP_EINPUT, "mpsim accuracy: --ant-fb-db takes a finite number of dB");
    if (rc == MP_OK)
        acc_study_set_ant_fb_db(&s, o.ant_fb_db);
    if (rc == MP_OK)
        rc = o.weights ? run_files(&o, &s, &e) : run_synthetic(&o, &s, &e);
    if (rc == MP_OK) {
        if (!o.json || strcmp(o.json, "-") != 0)
            print_tables(&o, &s);
        if (o.json)
            rc = write_json(&o, &s, &e);
    }
    acc_study_free(&s);
    return rc ? cli_fail(&e) : 0;
}
