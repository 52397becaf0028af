/* cli/cmd_list.c — `mpsim list models|presets|kinds|formats`. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/cli.h"
#include "cli/cmds.h"
#include "sim/config.h"
#include "models/opfmt.h"
#include "models/pekind.h"
#include "traces/workload.h"

#define PRESET_DEPTH_MAX 8 /* folders below configs/ that are searched */

/* Parse a list subcommand that takes no options: CMD_GO_ON, or its exit status (cmd_parse). */
static int parse_plain(const char *cmd, const char *summary, int argc, char **argv)
{
    const CliSpec spec = {cmd, "", summary, NULL, (const CliOpt[]){{NULL, 0, NULL, NULL, NULL}}, 0, 0};
    return cmd_parse(&spec, argc, argv, NULL, NULL);
}

static int list_models(int argc, char **argv)
{
    int status = parse_plain("mpsim list models", "Built-in LLM models (for 'mpsim trace show --model NAME').", argc,
                             argv);
    if (status != CMD_GO_ON)
        return status;
    printf("%-12s %6s %6s %9s %8s %6s %-6s %7s %14s\n", "model", "layers", "hidden", "heads/kv", "head_dim", "ffn",
           "ffn", "vocab", "weight_params");
    for (int i = 0; i < wl_model_count; i++) {
        const WlModel *m = &wl_models[i];
        Workload *w;
        MpErr e = {0};
        /* weight parameters do not depend on the phase: expand the smallest decode step */
        if (wl_create(m, WL_DECODE, 1, 1, &w, &e) != MP_OK)
            return cli_fail(&e);
        char hk[24];
        snprintf(hk, sizeof hk, "%d/%d", m->heads, m->kv_heads);
        printf("%-12s %6d %6d %9s %8d %6d %-6s %7d %14" PRId64 "\n", m->name, m->layers, m->hidden, hk, m->head_dim,
               m->ffn, m->ffn_kind == WL_FFN_GATED ? "gated" : "plain", m->vocab, w->weight_params);
        wl_destroy(w);
    }
    return 0;
}

static int list_kinds(int argc, char **argv)
{
    int status = parse_plain("mpsim list kinds", "PE kinds (config key [arch] pe_kind).", argc, argv);
    if (status != CMD_GO_ON)
        return status;
    for (int i = 0; i < PE_KIND_COUNT; i++)
        printf("%s\n", pe_kind_names[i]);
    return 0;
}

/* The operand formats ([quant] *_format), then which of them each kind takes. */
static int list_formats(int argc, char **argv)
{
    int status = parse_plain("mpsim list formats",
                             "Operand formats (config keys [quant] weight_format, act_format, kv_format, out_format) "
                             "and the formats each PE kind takes.",
                             argc, argv);
    if (status != CMD_GO_ON)
        return status;
    static const char *const per[] = {"-", "group", "row", "tensor"};
    printf("%-11s %4s %5s %-7s %-7s %-7s %s\n", "format", "bits", "meta", "scale/w", "scale/x", "x-scale", "description");
    for (int f = 0; f < OPF_COUNT; f++) {
        const OpFmt *o = &op_fmts[f];
        printf("%-11s %4d %5d %-7s %-7s %-7s %s\n", o->name, o->bits, o->meta_bits, per[o->per_w], per[o->per_x],
               o->dynamic ? "dynamic" : o->meta_bits ? "static" : "-", o->desc);
    }
    printf("\n%-14s %-24s %s\n", "kind", "weight_format", "act_format (kv_format, out_format: fp32, fp16, int8, int4 "
           "or the act_format)");
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        char w[64] = "", x[64] = "";
        for (int i = 0; i < pe_kind_nvariants((PeKindId)k); i++)
            snprintf(w + strlen(w), sizeof w - strlen(w), "%s%s", i ? ", " : "", op_fmts[pe_kinds[k].var[i].wfmt].name);
        for (int f = 0; f < OPF_COUNT; f++)
            if (pe_kinds[k].xfmts >> f & 1)
                snprintf(x + strlen(x), sizeof x - strlen(x), "%s%s", x[0] ? ", " : "", op_fmts[f].name);
        printf("%-14s %-24s %s\n", pe_kind_names[k], w, x);
    }
    return 0;
}

typedef struct Names {
    char **v;
    size_t n, cap;
} Names;

static int names_add(Names *s, const char *name, MpErr *e)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 32;
        char **nv = mp_realloc(s->v, ncap * sizeof *nv);
        if (!nv)
            return mp_errf(e, MP_ENOMEM, "out of memory listing presets");
        s->v = nv;
        s->cap = ncap;
    }
    if (!(s->v[s->n] = mp_strdup(name)))
        return mp_errf(e, MP_ENOMEM, "out of memory listing presets");
    s->n++;
    return MP_OK;
}

static void names_free(Names *s)
{
    for (size_t i = 0; i < s->n; i++)
        mp_free(s->v[i]);
    mp_free(s->v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Collect every *.ini under root/rel (rel "" = root itself) as "rel/stem". Hidden entries and
 * configs/tech/ (energy tables) and configs/sweeps/ (sweep specs) are not accelerator presets. */
static int collect_presets(const char *root, const char *rel, int depth, Names *out, MpErr *e)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d)
        return mp_errf(e, MP_EINPUT, "%s: cannot list presets: %s", dir, strerror(errno));
    int rc = MP_OK;
    struct dirent *ent;
    while (rc == MP_OK && (ent = readdir(d)) != NULL) {
        const char *nm = ent->d_name;
        if (nm[0] == '.')
            continue;
        char full[4096], sub[4096];
        snprintf(full, sizeof full, "%s/%s", dir, nm);
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", nm);
        struct stat st;
        if (stat(full, &st) != 0)
            continue;
        size_t len = strlen(sub);
        if (S_ISDIR(st.st_mode) && depth == 0 && (!strcmp(nm, "tech") || !strcmp(nm, "sweeps")))
            continue;
        if (S_ISDIR(st.st_mode) && depth < PRESET_DEPTH_MAX) {
            rc = collect_presets(root, sub, depth + 1, out, e);
        } else if (S_ISREG(st.st_mode) && len > 4 && strcmp(sub + len - 4, ".ini") == 0) {
            sub[len - 4] = '\0';
            rc = names_add(out, sub, e);
        }
    }
    closedir(d);
    return rc;
}

static int list_presets(int argc, char **argv)
{
    int status = parse_plain("mpsim list presets",
                             "Accelerator presets: every configs/**/*.ini under the data directory, by preset name "
                             "(for 'mpsim config show NAME').",
                             argc, argv);
    if (status != CMD_GO_ON)
        return status;
    char root[4096];
    snprintf(root, sizeof root, "%s/configs", config_datadir());
    Names names = {0};
    MpErr e = {0};
    int rc = collect_presets(root, "", 0, &names, &e);
    if (rc == MP_OK) {
        if (names.n > 1)
            qsort(names.v, names.n, sizeof *names.v, cmp_str);
        for (size_t i = 0; i < names.n; i++)
            printf("%s\n", names.v[i]);
        if (names.n == 0)
            fprintf(stderr, "mpsim list presets: no presets (*.ini) under %s\n", root);
    }
    names_free(&names);
    return rc ? cli_fail(&e) : 0;
}

int cmd_list(int argc, char **argv)
{
    static const CliCmd sub[] = {
        {"models", list_models, "built-in LLM models with their shapes and weight parameters"},
        {"presets", list_presets, "accelerator presets under configs/, by name"},
        {"kinds", list_kinds, "PE kinds"},
        {"formats", list_formats, "operand formats and the ones each PE kind takes"},
        {NULL, NULL, NULL},
    };
    return cli_dispatch("mpsim list", sub, argc, argv);
}
