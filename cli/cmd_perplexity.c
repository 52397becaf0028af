/* cli/cmd_perplexity.c — `mpsim perplexity`: perplexity of the real SmolLM2-135M (its GGUF file)
 * on a text, through every number format's quantizers and datapath (dse/perplexity.h), plus the
 * activation statistics of its linear inputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "base/alloc.h"
#include "base/cli.h"
#include "base/fileio.h"
#include "base/jsonout.h"
#include "cli/cmds.h"
#include "dse/perplexity.h"
#include "models/opfmt.h"
#include "models/pekind.h"
#include "sim/config.h"
#include "traces/gguf.h"
#include "traces/tokenizer.h"

/* Where `make deps` (scripts/fetch-model.sh) puts the model; MPSIM_SMOLLM2_GGUF or --gguf override. */
#define PPL_DEFAULT_GGUF MPSIM_DATADIR "/build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
/* A text every Debian machine has (package base-files). */
#define PPL_DEFAULT_TEXT "/usr/share/common-licenses/GPL-3"
#define PPL_TEXT_MAX (64u << 20)
#define PPL_OUTLIER_RATIO 10.0 /* an outlier channel: max |x| >= 10x the median channel's max |x| */
#define PPL_TOP 4

typedef struct PplOpts {
    const char *model, *gguf, *formats, *text, *datapath, *kv, *json, *arch, *set;
    int64_t ctx, tokens, threads;
    int stats, quiet;
} PplOpts;

static int add_formats(PplStudy *s, const char *list, MpErr *e)
{
    if (!strcmp(list, "all")) {
        for (int i = 0; i < num_formats_count; i++) {
            int rc = ppl_add_format(s, num_formats[i].name, e);
            if (rc)
                return rc;
        }
        return MP_OK;
    }
    char buf[1024];
    if (strlen(list) >= sizeof buf)
        return mp_errf(e, MP_EINPUT, "--formats: list longer than %zu characters", sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", list);
    int rc = MP_OK;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && rc == MP_OK; t = strtok_r(NULL, ",", &save))
        rc = ppl_add_format(s, t, e);
    if (rc == MP_OK && s->nrow == 1)
        rc = mp_errf(e, MP_EINPUT, "--formats '%s' names no format", list);
    return rc;
}

/* Tokens of the text file, with the GGUF's own tokenizer. */
static int tokenize(const char *gguf_path, const char *text_path, int32_t **ids, size_t *n, MpErr *e)
{
    char *text = NULL;
    size_t len = 0;
    int rc = mp_read_file(text_path, PPL_TEXT_MAX, &text, &len, e);
    GgufFile *f = NULL;
    Tokenizer *t = NULL;
    if (rc == MP_OK)
        rc = gguf_open(gguf_path, &f, e);
    if (rc == MP_OK)
        rc = tok_from_gguf(f, &t, e);
    if (rc == MP_OK) {
        rc = tok_encode(t, text, len, ids, n, e);
        if (rc)
            mp_err_prefix(e, "%s", text_path);
    }
    tok_free(t);
    gguf_close(f);
    mp_free(text);
    return rc;
}

typedef struct ActSummary {
    double maxabs, median, rms;
    int outliers, top[PPL_TOP];
} ActSummary;

static int summarize(const LmActStats *st, ActSummary *a, MpErr *e)
{
    a->maxabs = st->maxabs;
    a->median = lm_stats_median(st);
    a->rms = st->n ? sqrt(st->sumsq / (double)st->n) : 0;
    a->outliers = lm_stats_outlier_channels(st, PPL_OUTLIER_RATIO, a->top, PPL_TOP);
    return a->outliers < 0 ? mp_errf(e, MP_ENOMEM, "out of memory") : MP_OK;
}

static int print_stats(const PplStudy *s, MpErr *e)
{
    const LmConfig *c = lm_config(s->m);
    printf("\nactivation statistics of the baseline's linear inputs (all evaluated tokens; median from a 1/8-octave "
           "histogram, within 9%%;\noutlier channel: max |x| >= %.0fx the median channel's max |x|)\n",
           PPL_OUTLIER_RATIO);
    printf("%-5s %-9s %5s %10s %10s %10s %10s %8s  %s\n", "layer", "input", "K", "max|x|", "median|x|", "max/med",
           "rms", "outl_ch", "largest channels");
    for (int l = 0; l < c->layers; l++)
        for (int a = 0; a < LM_NACT; a++) {
            const LmActStats *st = lm_runner_stats(s->base, l, (LmAct)a);
            ActSummary as;
            int rc = summarize(st, &as, e);
            if (rc)
                return rc;
            printf("%-5d %-9s %5d %10.4g %10.4g %10.1f %10.4g %8d ", l, lm_act_names[a], st->k, as.maxabs, as.median,
                   as.median > 0 ? as.maxabs / as.median : 0, as.rms, as.outliers);
            for (int i = 0; i < PPL_TOP; i++)
                printf(" %d", as.top[i]);
            printf("\n");
        }
    return MP_OK;
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static int write_json(const PplOpts *o, const char *gguf, const PplStudy *s, size_t ntok, MpErr *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", o->model);
    cJSON_AddStringToObject(root, "gguf", gguf);
    cJSON_AddStringToObject(root, "baseline",
                            "the GGUF's weights (Q4_1 linears, Q8_0 embedding) dequantized to fp32, fp32 activations; "
                            "no fp16 original exists");
    cJSON_AddStringToObject(root, "text", o->text);
    cJSON_AddNumberToObject(root, "text_tokens", (double)ntok);
    cJSON_AddNumberToObject(root, "ctx", s->ctx);
    cJSON_AddNumberToObject(root, "windows", s->windows);
    cJSON_AddNumberToObject(root, "tokens_evaluated", (double)s->windows * s->ctx);
    cJSON_AddNumberToObject(root, "predictions", (double)s->row[0].predictions);
    cJSON_AddStringToObject(root, "datapath", o->datapath);
    cJSON_AddStringToObject(root, "kv_format", o->kv);
    cJSON_AddStringToObject(root, "lm_head", "fp32 (no format)");
    cJSON *fm = cJSON_AddArrayToObject(root, "formats");
    for (int i = 0; i < s->nrow; i++) {
        const PplRow *r = &s->row[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", r->name);
        cJSON_AddItemToObject(x, "ppl", num(r->ppl));
        cJSON_AddItemToObject(x, "nll_per_token", num(r->nll / (double)r->predictions));
        cJSON_AddItemToObject(x, "d_ppl", num(r->ppl - s->row[0].ppl));
        cJSON_AddItemToObject(x, "ppl_ratio", num(r->ppl / s->row[0].ppl));
        if (r->olive_pairs)
            cJSON_AddNumberToObject(x, "olive_act_outlier_pair_frac", (double)r->olive_outlier_pairs / r->olive_pairs);
        cJSON_AddItemToArray(fm, x);
    }
    int rc = MP_OK;
    if (o->stats) {
        const LmConfig *c = lm_config(s->m);
        cJSON *sa = cJSON_AddArrayToObject(root, "activation_stats");
        cJSON_AddNumberToObject(root, "outlier_channel_ratio", PPL_OUTLIER_RATIO);
        for (int l = 0; l < c->layers && rc == MP_OK; l++)
            for (int a = 0; a < LM_NACT && rc == MP_OK; a++) {
                const LmActStats *st = lm_runner_stats(s->base, l, (LmAct)a);
                ActSummary as;
                if ((rc = summarize(st, &as, e)))
                    break;
                cJSON *x = cJSON_CreateObject();
                cJSON_AddNumberToObject(x, "layer", l);
                cJSON_AddStringToObject(x, "input", lm_act_names[a]);
                cJSON_AddNumberToObject(x, "k", st->k);
                cJSON_AddItemToObject(x, "max_abs", num(as.maxabs));
                cJSON_AddItemToObject(x, "median_abs", num(as.median));
                cJSON_AddItemToObject(x, "max_over_median", num(as.median > 0 ? as.maxabs / as.median : 0));
                cJSON_AddItemToObject(x, "rms", num(as.rms));
                cJSON_AddNumberToObject(x, "outlier_channels", as.outliers);
                cJSON *top = cJSON_AddArrayToObject(x, "largest_channels");
                for (int i = 0; i < PPL_TOP; i++)
                    cJSON_AddItemToArray(top, cJSON_CreateNumber(as.top[i]));
                cJSON_AddItemToArray(sa, x);
            }
    }
    if (rc == MP_OK)
        rc = json_write(o->json, root, e);
    cJSON_Delete(root);
    return rc;
}

/* The operands of a design (--arch, --set): the format row its simulation runs with
 * (num_format_for_operands) and its KV cache as the forward pass's KV hook names it. Its stored
 * outputs change no number here unless they are narrower than its activations, which is refused. */
static int design_operands(const char *arch, const char *set, char *fmt, size_t cap, const char **kv, MpErr *e)
{
    ArchConfig c;
    int rc = config_load(arch, &c, NULL, NULL, 0, e);
    if (rc == MP_OK && set)
        rc = config_apply_sets(&c, set, e);
    if (rc)
        return rc;
    const int act = config_act_fmt(&c), kvf = config_kv_fmt(&c), out = config_out_fmt(&c);
    const NumFormat *nf = num_format_for_operands((PeKindId)c.pe_kind, c.weight_bits, act);
    if (!nf)
        return mp_errf(e, MP_EINPUT, "%s: no accuracy format runs pe_kind %s with %s activations", c.name,
                       pe_kind_names[c.pe_kind], op_fmts[act].name);
    if (out != act && !opfmt_is_float((OpFmtId)out))
        return mp_errf(e, MP_EINPUT, "%s: outputs stored as %s and requantized to its %s activations: the forward "
                                     "pass quantizes once, to the activation format (--set quant.out_format=%s)",
                       c.name, op_fmts[out].name, op_fmts[act].name, op_fmts[act].name);
    static const struct { int fmt; const char *hook; } kvs[] = {{OPF_FP32, "none"}, {OPF_FP16, "fp16"}, {OPF_INT8, "int8"}};
    *kv = NULL;
    for (size_t i = 0; i < sizeof kvs / sizeof kvs[0]; i++)
        if (kvs[i].fmt == kvf)
            *kv = kvs[i].hook;
    if (!*kv)
        return mp_errf(e, MP_EINPUT, "%s: KV cache stored as %s: the forward pass keeps it as fp32, fp16 or int8 "
                                     "(--set quant.kv_format=fp16 or int8)", c.name, op_fmts[kvf].name);
    snprintf(fmt, cap, "%s", nf->name);
    return MP_OK;
}

int cmd_perplexity(int argc, char **argv)
{
    PplOpts o = {"smollm2-135m", NULL, NULL, PPL_DEFAULT_TEXT, "ideal", NULL, NULL, NULL, NULL, 256, 8192, 2, 0, 0};
    const CliOpt opts[] = {
        {"model", CLI_STR, &o.model, "NAME", "the model: smollm2-135m (the only real model here; default)"},
        {"gguf", CLI_STR, &o.gguf, "FILE", "its GGUF file (default: $MPSIM_SMOLLM2_GGUF, else make deps' cache)"},
        {"formats", CLI_STR, &o.formats, "LIST", "comma-separated formats or 'all' (default); see mpsim accuracy"},
        {"ctx", CLI_INT, &o.ctx, "N", "tokens per window (non-overlapping; default 256)"},
        {"tokens", CLI_INT, &o.tokens, "N", "evaluate the whole windows within the first N tokens (default 8192)"},
        {"text", CLI_STR, &o.text, "FILE", "UTF-8 text (default " PPL_DEFAULT_TEXT ")"},
        {"datapath", CLI_STR, &o.datapath, "ideal|hw", "ideal: dequantized values, fp32 sgemm (default); hw: the "
                                                       "hardware-exact golden datapath (slow: slices only)"},
        {"kv", CLI_STR, &o.kv, "none|fp16|int8", "KV-cache format of every row, the baseline too (int8: per token and KV head); default none"},
        {"arch", CLI_STR, &o.arch, "NAME|FILE", "a design (preset or config): its PE kind's format with its weights and "
                                                "activations, and its KV cache, instead of --formats and --kv"},
        {"set", CLI_STR, &o.set, "S.K=V,...", "with --arch: override its keys, e.g. quant.kv_format=int8"},
        {"threads", CLI_INT, &o.threads, "N", "worker threads (results do not depend on it); default 2"},
        {"stats", CLI_FLAG, &o.stats, "", "print the baseline's activation statistics per layer (and put them in the JSON)"},
        {"json", CLI_STR, &o.json, "FILE", "write results as JSON ('-' for stdout), atomically"},
        {"quiet", CLI_FLAG, &o.quiet, "", "no progress on stderr"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {
        "mpsim perplexity", "[options]",
        "Perplexity of the real SmolLM2-135M on a text, with every linear layer through each number format's "
        "quantizers and datapath, against the baseline.",
        "The baseline is the GGUF's model dequantized to fp32 (its linears are Q4_1: there is no fp16 original), so "
        "every difference is relative to that 4-bit model. lm_head and attention's act x act products stay fp32.\n"
        "Windows: non-overlapping, ctx tokens each, no BOS, ctx-1 predictions each; only whole windows count.\n"
        "Progress goes to stderr. docs/accuracy.md describes the method and the measured table.\n"
        "Example: mpsim perplexity --formats all --ctx 256 --tokens 8192\n"
        "         mpsim perplexity --arch iso/fp16 --set quant.kv_format=int8 --ctx 64 --tokens 512",
        opts, 0, 0};
    int st = cmd_parse(&spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    if (strcmp(o.model, "smollm2-135m") != 0)
        return mp_errf(&e, MP_EINPUT, "mpsim perplexity: --model '%s': only smollm2-135m has real weights here",
                       o.model),
               cli_fail(&e);
    if (o.ctx < 2 || o.ctx > 8192 || o.tokens < 2 || o.tokens > (1 << 24) || o.threads < 1 || o.threads > 64)
        return mp_errf(&e, MP_EINPUT, "mpsim perplexity: --ctx 2..8192, --tokens 2..16777216, --threads 1..64"),
               cli_fail(&e);
    LmDatapath dp;
    if (!strcmp(o.datapath, "ideal"))
        dp = LM_DP_IDEAL;
    else if (!strcmp(o.datapath, "hw"))
        dp = LM_DP_HW;
    else
        return mp_errf(&e, MP_EINPUT, "mpsim perplexity: --datapath takes ideal or hw, not '%s'", o.datapath),
               cli_fail(&e);
    char arch_fmt[64];
    if ((o.set && !o.arch) || (o.arch && (o.formats || o.kv)))
        return mp_errf(&e, MP_EINPUT, "mpsim perplexity: --arch takes the place of --formats and --kv; --set needs --arch"),
               cli_fail(&e);
    if (o.arch && design_operands(o.arch, o.set, arch_fmt, sizeof arch_fmt, &o.kv, &e) != MP_OK)
        return cli_fail(&e);
    if (o.arch)
        o.formats = arch_fmt;
    if (!o.formats)
        o.formats = "all";
    if (!o.kv)
        o.kv = "none";
    LmKvQuant kv;
    if (lm_kv_find(o.kv, &kv) != 0)
        return mp_errf(&e, MP_EINPUT, "mpsim perplexity: --kv takes none, fp16 or int8, not '%s'", o.kv), cli_fail(&e);
    const char *gguf = o.gguf ? o.gguf : getenv("MPSIM_SMOLLM2_GGUF") ? getenv("MPSIM_SMOLLM2_GGUF") : PPL_DEFAULT_GGUF;
    if (!o.gguf && access(gguf, F_OK) != 0)
        return mp_errf(&e, MP_EINPUT, "%s: the SmolLM2-135M model is missing; 'make deps' fetches it (or give --gguf)",
                       gguf),
               cli_fail(&e);
    PplStudy s;
    ppl_init(&s, NULL, dp, kv, (int)o.threads, (int)o.ctx);
    int rc = add_formats(&s, o.formats, &e);
    int32_t *ids = NULL;
    size_t ntok = 0;
    LmModel *m = NULL;
    if (rc == MP_OK)
        rc = tokenize(gguf, o.text, &ids, &ntok, &e);
    if (rc == MP_OK)
        rc = lm_load_gguf(gguf, &m, &e);
    if (rc == MP_OK) {
        s.m = m;
        if (!o.quiet)
            fprintf(stderr, "perplexity: %s: %zu tokens; %d formats + baseline, datapath %s, %lld threads\n", o.text, ntok,
                    s.nrow - 1, o.datapath, (long long)o.threads);
        rc = ppl_run(&s, ids, (long long)ntok, o.tokens, o.stats, !o.quiet, &e);
        if (rc == MP_EINPUT && s.windows < 1)
            mp_err_prefix(&e, "%s", o.text);
    }
    if (rc == MP_OK && (!o.json || strcmp(o.json, "-") != 0)) {
        printf("perplexity of %s on %s: %d windows x %d tokens = %lld tokens evaluated (%lld predictions; text has "
               "%zu tokens)\n",
               o.model, o.text, s.windows, s.ctx, (long long)s.windows * s.ctx, s.row[0].predictions, ntok);
        printf("datapath %s, KV cache %s, lm_head fp32. baseline: the GGUF's Q4_1 model dequantized to fp32 (no fp16 "
               "original exists)\n",
               o.datapath, o.kv);
        printf("%-12s %12s %12s %9s  %s\n", "format", "ppl", "d_ppl", "ratio", "notes");
        for (int i = 0; i < s.nrow; i++) {
            const PplRow *r = &s.row[i];
            char notes[96] = "";
            if (r->olive_pairs)
                snprintf(notes, sizeof notes, "activation outlier pairs %.3f%%",
                         100.0 * r->olive_outlier_pairs / r->olive_pairs);
            if (i == 0)
                printf("%-12s %12.4f %12s %9s  %s\n", r->name, r->ppl, "-", "-", "Q4_1 dequantized, fp32");
            else
                printf("%-12s %12.4f %+12.4f %9.4f  %s\n", r->name, r->ppl, r->ppl - s.row[0].ppl,
                       r->ppl / s.row[0].ppl, notes);
        }
        if (o.stats)
            rc = print_stats(&s, &e);
    }
    if (rc == MP_OK && o.json)
        rc = write_json(&o, gguf, &s, ntok, &e);
    ppl_free(&s);
    lm_free(m);
    mp_free(ids);
    return rc ? cli_fail(&e) : 0;
}
