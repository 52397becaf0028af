/* dse/sweep.c — see sweep.h. The parallel runner that writes the database is dse/sweeprun.c. */
#include "dse/sweep.h"

#include <dirent.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dse/accuracy.h"
#include "base/alloc.h"
#include "base/fileio.h"
#include "base/parse.h"
#include "sim/infer.h"
#include "sim/point.h"
#include "traces/layercsv.h"
#include "traces/synth.h"

/* ------------------------------------------------------------------ the spec schema */

#define SPEC_STR 200 /* a value fits one INI line (at most 198 characters) */

typedef struct SpecRaw {
    int version;
    char name[64];
    char description[SPEC_STR];
    char base[SPEC_STR];
    int fidelity;
    int seed;
    char param[INI_SCHEMA_MAX][SPEC_STR]; /* [params]: indexed like spec_param_row[] */
    char models[SPEC_STR], phases[SPEC_STR], seq[SPEC_STR], kv[SPEC_STR], batch[SPEC_STR];
    char prompt[SPEC_STR], gen[SPEC_STR];
    int acc_enabled, acc_layers, acc_rows, acc_tokens, acc_seed;
} SpecRaw;

static const char *const fidelity_names[] = {"fast", "cycle", NULL};
static const char *const phase_names[] = {"prefill", "decode", "request", NULL};

#define R(field) offsetof(SpecRaw, field)
#define SKEY(sec, key, type, field, lo, hi, def, names, cap, doc) {sec, key, type, R(field), lo, hi, def, names, cap, "", doc}
#define SSTR(sec, key, field, def, doc) SKEY(sec, key, INI_STR, field, 0, 0, def, NULL, sizeof(((SpecRaw *)0)->field), doc)

/* Fixed rows; the [params] rows (one per arch_schema key) are inserted after them on first use. */
static const IniKey spec_fixed[] = {
    SKEY("mpsim", "sweep_version", INI_INT, version, 1, 1, "1", NULL, 0, "sweep spec format version"),
    SSTR("sweep", "name", name, "", "sweep name (default: the file stem)"),
    SSTR("sweep", "description", description, "", "one line shown in reports"),
    SSTR("sweep", "base", base, NULL, "presets or config files every design point starts from (a list; dir/* = a folder)"),
    SKEY("sweep", "fidelity", INI_ENUM, fidelity, 0, 0, "fast", fidelity_names, 0, "fast or cycle (--fidelity overrides)"),
    SKEY("sweep", "seed", INI_INT, seed, 0, 2147483647, "1", NULL, 0, "cycle-fidelity operand seed"),
    SSTR("workload", "models", models, NULL, "built-in models (mpsim list models) or layer CSV files"),
    SSTR("workload", "phases", phases, "prefill", "prefill, decode, request (a whole request), or several"),
    SSTR("workload", "seq", seq, "2048", "prefill sequence lengths"),
    SSTR("workload", "kv", kv, "2048", "decode KV lengths"),
    SSTR("workload", "batch", batch, "1", "batches"),
    SSTR("workload", "prompt", prompt, "2048", "a request's prompt tokens"),
    SSTR("workload", "gen", gen, "128", "a request's generated tokens (decode steps)"),
    SKEY("accuracy", "enabled", INI_BOOL, acc_enabled, 0, 1, "true", NULL, 0, "study each format's accuracy"),
    SKEY("accuracy", "layers", INI_INT, acc_layers, 1, 8, "1", NULL, 0, "transformer layers studied"),
    SKEY("accuracy", "rows", INI_INT, acc_rows, 1, 65536, "64", NULL, 0, "weight rows sampled per GEMM"),
    SKEY("accuracy", "tokens", INI_INT, acc_tokens, 1, 4096, "16", NULL, 0, "activation rows per GEMM"),
    SKEY("accuracy", "seed", INI_INT, acc_seed, 0, 2147483647, "1", NULL, 0, "synthetic tensor seed"),
};
#define NFIXED ((int)(sizeof spec_fixed / sizeof spec_fixed[0]))

/* The shape axes: [params] keys that are no config key; together they set arch.rows and arch.cols
 * (sweep_shape). Their values are checked against these rows (offset 0 of a scratch int or double). */
#define SHAPE_PES_MAX 16777216 /* 4096 x 4096, the largest array of arch_schema's bounds */
static const IniKey shape_rows[] = {
    {"arch", "pes", INI_INT, 0, 1, SHAPE_PES_MAX, "", NULL, 0, "PEs",
     "array shape: PE count, rows x cols exactly (default: the base's rows x cols)"},
    {"arch", "aspect", INI_F64, 0, 1.0 / 4096, 4096, "", NULL, 0, "rows per column",
     "array shape: rows / cols at a fixed PE count (default: the base's)"},
};
static const SweepAxis shape_axes[] = {SWEEP_AXIS_PES, SWEEP_AXIS_ASPECT};
#define NSHAPE ((int)(sizeof shape_rows / sizeof shape_rows[0]))

static IniKey spec_rows[NFIXED + INI_SCHEMA_MAX];
static int spec_nrows;
static int spec_param_arch[INI_SCHEMA_MAX]; /* [params] row i -> arch_schema row, -1 - j for shape_rows[j] */
static int spec_nparam;
static char spec_param_names[INI_SCHEMA_MAX][64];

static int arch_row_swept(int i)
{
    return strcmp(arch_schema[i].key, "config_version") != 0 && strcmp(arch_schema[i].key, "name") != 0;
}

const IniKey *sweep_spec_schema(int *nrows)
{
    if (!spec_nrows) {
        int n = 0;
        for (int i = 0; i < NFIXED; i++)
            spec_rows[n++] = spec_fixed[i];
        spec_nparam = 0;
        for (int i = 0; i < arch_schema_len && spec_nparam < INI_SCHEMA_MAX; i++) {
            if (!arch_row_swept(i))
                continue;
            int k = spec_nparam++;
            snprintf(spec_param_names[k], sizeof spec_param_names[k], "%s.%s", arch_schema[i].section,
                     arch_schema[i].key);
            spec_param_arch[k] = i;
            IniKey r = {"params", spec_param_names[k], INI_STR, R(param) + (size_t)k * SPEC_STR, 0, 0, "", NULL,
                        SPEC_STR, "", arch_schema[i].doc};
            spec_rows[n++] = r;
        }
        for (int j = 0; j < NSHAPE && spec_nparam < INI_SCHEMA_MAX; j++) {
            int k = spec_nparam++;
            snprintf(spec_param_names[k], sizeof spec_param_names[k], "%s.%s", shape_rows[j].section,
                     shape_rows[j].key);
            spec_param_arch[k] = -1 - j;
            IniKey r = {"params", spec_param_names[k], INI_STR, R(param) + (size_t)k * SPEC_STR, 0, 0, "", NULL,
                        SPEC_STR, "", shape_rows[j].doc};
            spec_rows[n++] = r;
        }
        spec_nrows = n;
    }
    *nrows = spec_nrows;
    return spec_rows;
}

static int spec_row(const char *section, const char *key)
{
    for (int i = 0; i < spec_nrows; i++)
        if (!strcmp(spec_rows[i].section, section) && !strcmp(spec_rows[i].key, key))
            return i;
    return -1;
}

/* ------------------------------------------------------------------ hashing */

uint64_t sweep_fnv1a64(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static size_t schema_text(const IniKey *rows, int nrows, const void *target, const char *skip_section,
                          char *buf, size_t cap)
{
    size_t n = 0;
    if (cap)
        buf[0] = '\0';
    for (int i = 0; i < nrows; i++) {
        if (!strcmp(rows[i].key, "name") && !strcmp(rows[i].section, skip_section))
            continue;
        char v[512];
        ini_schema_format(&rows[i], target, v, sizeof v);
        int k = snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, "%s.%s=%s\n", rows[i].section,
                         rows[i].key, v);
        n += (size_t)(k > 0 ? k : 0);
    }
    return n;
}

void sweep_config_text(const ArchConfig *c, char *buf, size_t cap)
{
    schema_text(arch_schema, arch_schema_len, c, "arch", buf, cap);
}

static const char key_prefix[] = "mpsim sweep key v1\n";

size_t sweep_key_text(const ArchConfig *c, const SweepTech *t, const SweepWorkload *w, char *buf, size_t cap)
{
    char cfg[8192];
    sweep_config_text(c, cfg, sizeof cfg);
    int k = snprintf(buf, cap, "%s%senergy\n%s%s", key_prefix, cfg, t->ktext, w->ktext);
    return (size_t)(k > 0 ? k : 0);
}

uint64_t sweep_key_design(const ArchConfig *c, const SweepTech *t)
{
    char cfg[8192];
    sweep_config_text(c, cfg, sizeof cfg);
    uint64_t h = sweep_fnv1a64(SWEEP_FNV_BASIS, key_prefix, sizeof key_prefix - 1);
    h = sweep_fnv1a64(h, cfg, strlen(cfg));
    h = sweep_fnv1a64(h, "energy\n", 7);
    return sweep_fnv1a64(h, t->ktext, strlen(t->ktext));
}

uint64_t sweep_key_row(uint64_t design_hash, const SweepWorkload *w)
{
    return sweep_fnv1a64(design_hash, w->ktext, strlen(w->ktext));
}

uint64_t sweep_key(const ArchConfig *c, const SweepTech *t, const SweepWorkload *w)
{
    return sweep_key_row(sweep_key_design(c, t), w);
}

void sweep_key_hex(uint64_t key, char out[17]) { snprintf(out, 17, "%016llx", (unsigned long long)key); }

/* ------------------------------------------------------------------ value lists */

typedef struct StrList {
    int n, cap;
    char **v;
} StrList;

static void strlist_free(StrList *l)
{
    for (int i = 0; i < l->n; i++)
        mp_free(l->v[i]);
    mp_free(l->v);
    memset(l, 0, sizeof *l);
}

static int strlist_add(StrList *l, const char *s, MpErr *e)
{
    char **nv = mp_grow(l->v, l->n, &l->cap, sizeof *nv, 8);
    if (!nv)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    l->v = nv;
    if (!(l->v[l->n] = mp_strdup(s)))
        return mp_errf(e, MP_ENOMEM, "out of memory");
    l->n++;
    return MP_OK;
}

/* Where a list comes from, for messages: "FILE:LINE: [section] key". */
typedef struct ListCtx {
    const char *file;
    int line;
    const char *section, *key;
} ListCtx;

#define LERR(ctx, e, ...) list_err(ctx, e, __VA_ARGS__)
static int list_err(const ListCtx *x, MpErr *e, const char *fmt, ...) MP_PRINTF(3, 4);
static int list_err(const ListCtx *x, MpErr *e, const char *fmt, ...)
{
    if (!e || e->code != MP_OK) /* the first error stays */
        return MP_EINPUT;
    va_list ap;
    va_start(ap, fmt);
    mp_verrf(e, MP_EINPUT, fmt, ap);
    va_end(ap);
    mp_err_prefix(e, "%s:%d: [%s] %s", x->file, x->line, x->section, x->key);
    return MP_EINPUT;
}

/* MP_EINPUT when item i of l repeats an earlier one. */
static int list_unique(const ListCtx *x, const StrList *l, int i, MpErr *e)
{
    for (int j = 0; j < i; j++)
        if (!strcmp(l->v[j], l->v[i]))
            return LERR(x, e, "'%s' is listed twice", l->v[i]);
    return MP_OK;
}

/* Split "a, b ,c" into trimmed items; an empty item is an error. */
static int split_items(const ListCtx *x, const char *text, StrList *out, MpErr *e)
{
    char buf[SPEC_STR + 8];
    snprintf(buf, sizeof buf, "%s", text);
    if (!*mp_trim(buf))
        return LERR(x, e, "empty list");
    char *s = buf;
    for (int idx = 1;; idx++) {
        char *comma = strchr(s, ',');
        if (comma)
            *comma = '\0';
        char *item = mp_trim(s);
        if (!*item)
            return LERR(x, e, "item %d is empty", idx);
        int rc = strlist_add(out, item, e);
        if (rc)
            return rc;
        if (!comma)
            break;
        s = comma + 1;
    }
    return MP_OK;
}

static int add_value(const ListCtx *x, const IniKey *row, void *scratch, const char *text, StrList *out,
                     MpErr *e)
{
    char msg[512], canon[512];
    if (ini_schema_set(row, scratch, text, msg, sizeof msg) != 0)
        return LERR(x, e, "'%s': %s", text, msg);
    ini_schema_format(row, scratch, canon, sizeof canon);
    for (int i = 0; i < out->n; i++)
        if (!strcmp(out->v[i], canon))
            return LERR(x, e, "value %s is listed twice", canon);
    if (out->n >= SWEEP_MAX_VALUES)
        return LERR(x, e, "more than %d values", SWEEP_MAX_VALUES);
    return strlist_add(out, canon, e);
}

/* "A..B", "A..B +S" or "A..B *F" (numbers only). */
static int add_range(const ListCtx *x, const IniKey *row, void *scratch, const char *item, const char *dots,
                     StrList *out, MpErr *e)
{
    if (row->type != INI_INT && row->type != INI_F64)
        return LERR(x, e, "'%s': ranges (A..B) apply to numbers only", item);
    char a[SPEC_STR], b[SPEC_STR], st[SPEC_STR] = "";
    snprintf(a, sizeof a, "%.*s", (int)(dots - item), item);
    snprintf(b, sizeof b, "%s", dots + 2);
    /* the step starts at the first '+' or '*' after B's first character */
    char *bt = mp_trim(b), op = 0;
    for (char *q = bt + (*bt ? 1 : 0); *q; q++)
        if (*q == '+' || *q == '*') {
            op = *q;
            snprintf(st, sizeof st, "%s", q + 1);
            *q = '\0';
            break;
        }
    char *at = mp_trim(a), *s = mp_trim(st);
    bt = mp_trim(bt);
    char msg[512];
    if (ini_schema_set(row, scratch, at, msg, sizeof msg) != 0)
        return LERR(x, e, "range '%s': start: %s", item, msg);
    double lo = row->type == INI_INT ? *(int *)((char *)scratch + row->offset) : *(double *)((char *)scratch + row->offset);
    if (ini_schema_set(row, scratch, bt, msg, sizeof msg) != 0)
        return LERR(x, e, "range '%s': end: %s", item, msg);
    double hi = row->type == INI_INT ? *(int *)((char *)scratch + row->offset) : *(double *)((char *)scratch + row->offset);
    if (lo > hi)
        return LERR(x, e, "range '%s' is empty (start > end)", item);
    double step = 1;
    if (op) {
        int64_t iv;
        if (row->type == INI_INT ? mp_parse_i64(s, &iv) != 0 : mp_parse_f64(s, &step) != 0)
            return LERR(x, e, "range '%s': step '%c%s' is not a%s", item, op, s,
                        row->type == INI_INT ? "n integer" : " number");
        if (row->type == INI_INT)
            step = (double)iv;
        if (op == '+' && !(step > 0))
            return LERR(x, e, "range '%s': step must be > 0", item);
        if (op == '*' && !(step > 1))
            return LERR(x, e, "range '%s': factor must be > 1", item);
        if (op == '*' && lo <= 0)
            return LERR(x, e, "range '%s': a factor needs a start > 0", item);
    } else if (row->type == INI_F64)
        return LERR(x, e, "range '%s' of a number needs a step (A..B +S or A..B *F)", item);
    else
        op = '+';
    double tol = fabs(hi) * 1e-12;
    for (int i = 0;; i++) {
        double v = op == '+' ? lo + i * step : lo * pow(step, i);
        if (v > hi + tol)
            break;
        if (i >= SWEEP_MAX_VALUES)
            return LERR(x, e, "range '%s' has more than %d values", item, SWEEP_MAX_VALUES);
        char t[64];
        if (row->type == INI_INT)
            snprintf(t, sizeof t, "%lld", (long long)llround(v));
        else
            snprintf(t, sizeof t, "%.12g", v);
        int rc = add_value(x, row, scratch, t, out, e);
        if (rc)
            return rc;
    }
    return MP_OK;
}

/* Parse a list of values of one schema row into canonical texts. `*` lists every enum name or
 * both booleans. */
static int parse_list(const ListCtx *x, const IniKey *row, void *scratch, const char *text, StrList *out,
                      MpErr *e)
{
    StrList items = {0};
    int rc = split_items(x, text, &items, e);
    for (int i = 0; rc == MP_OK && i < items.n; i++) {
        const char *it = items.v[i], *dots = strstr(it, "..");
        if (!strcmp(it, "*")) {
            if (row->type == INI_ENUM)
                for (int k = 0; rc == MP_OK && row->names[k]; k++)
                    rc = add_value(x, row, scratch, row->names[k], out, e);
            else if (row->type == INI_BOOL) {
                rc = add_value(x, row, scratch, "false", out, e);
                if (rc == MP_OK)
                    rc = add_value(x, row, scratch, "true", out, e);
            } else
                rc = LERR(x, e, "'*' (every value) applies to names and booleans only");
        } else if (dots)
            rc = add_range(x, row, scratch, it, dots, out, e);
        else
            rc = add_value(x, row, scratch, it, out, e);
    }
    strlist_free(&items);
    return rc;
}

/* ------------------------------------------------------------------ plan loading */

static void path_join(const char *dir, const char *p, char *out, size_t cap)
{
    if (p[0] == '/' || !dir || !*dir)
        snprintf(out, cap, "%s", p);
    else
        snprintf(out, cap, "%s/%s", dir, p);
}

/* A file a spec may name: relative to the spec's folder and staying in it (no leading '/', no ".."
 * component), and of its kind by its name (ext ".ini" or ".csv"). */
static int spec_file_ok(const char *nm, const char *ext)
{
    size_t n = strlen(nm);
    if (nm[0] == '/' || n <= 4 || strcmp(nm + n - 4, ext) != 0)
        return 0;
    for (const char *p = nm; *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p))
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
            return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every preset of folder configs/<dir>/ (not recursive), sorted: iso/ + "*" -> iso/ant, iso/bitmod-w3, ... */
static int glob_presets(const ListCtx *x, const char *item, StrList *out, MpErr *e)
{
    char pre[256], dir[1400];
    snprintf(pre, sizeof pre, "%.*s", (int)(strlen(item) - 2), item);
    if (!config_preset_name_ok(pre))
        return LERR(x, e, "'%s': not a preset folder (a name such as iso/*)", item);
    snprintf(dir, sizeof dir, "%s/configs/%s", config_datadir(), pre);
    DIR *d = opendir(dir);
    if (!d)
        return LERR(x, e, "'%s': no preset folder %s", item, dir);
    StrList names = {0};
    int rc = MP_OK;
    struct dirent *de;
    while (rc == MP_OK && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 4 && !strcmp(de->d_name + n - 4, ".ini") && de->d_name[0] != '.') {
            char nm[512];
            snprintf(nm, sizeof nm, "%s/%.*s", pre, (int)(n - 4), de->d_name);
            rc = strlist_add(&names, nm, e);
        }
    }
    closedir(d);
    if (rc == MP_OK && names.n == 0)
        rc = LERR(x, e, "'%s': no presets in %s", item, dir);
    if (rc == MP_OK) {
        qsort(names.v, (size_t)names.n, sizeof *names.v, cmp_str);
        for (int i = 0; rc == MP_OK && i < names.n; i++)
            rc = strlist_add(out, names.v[i], e);
    }
    strlist_free(&names);
    return rc;
}

static int load_bases(SweepPlan *p, const ListCtx *x, const char *text, const char *dir, MpErr *e)
{
    StrList items = {0}, names = {0};
    int rc = split_items(x, text, &items, e);
    for (int i = 0; rc == MP_OK && i < items.n; i++) {
        size_t n = strlen(items.v[i]);
        if (n > 2 && !strcmp(items.v[i] + n - 2, "/*"))
            rc = glob_presets(x, items.v[i], &names, e);
        else
            rc = strlist_add(&names, items.v[i], e);
    }
    if (rc == MP_OK && names.n > SWEEP_MAX_BASES)
        rc = LERR(x, e, "more than %d base designs", SWEEP_MAX_BASES);
    if (rc == MP_OK) {
        p->base = mp_calloc((size_t)names.n, sizeof *p->base);
        p->base_name = mp_calloc((size_t)names.n, sizeof *p->base_name);
        if (!p->base || !p->base_name)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
    }
    for (int i = 0; rc == MP_OK && i < names.n; i++) {
        const char *nm = names.v[i];
        if ((rc = list_unique(x, &names, i, e)) != MP_OK)
            break;
        char path[1400];
        MpErr le = {0};
        int lrc;
        if (config_preset_name_ok(nm))
            lrc = config_load_preset(nm, &p->base[i], NULL, &le);
        else if (spec_file_ok(nm, ".ini")) {
            path_join(dir, nm, path, sizeof path);
            lrc = config_load(path, &p->base[i], NULL, NULL, 0, &le);
        } else {
            rc = LERR(x, e,
                      "'%s': not a preset or a config file (a preset name such as iso/fp16, or a .ini file in or "
                      "below the spec's folder: no leading '/', no '..')",
                      nm);
            break;
        }
        if (lrc != MP_OK) {
            rc = LERR(x, e, "%s", le.msg);
            break;
        }
        snprintf(p->base_name[i], sizeof p->base_name[i], "%s", p->base[i].name);
        p->nbase++;
    }
    strlist_free(&items);
    strlist_free(&names);
    return rc;
}

/* A request (request = 1): w is its prefill, seq its prompt and kv its generated tokens. */
static int add_workload(SweepPlan *p, const ListCtx *x, Workload *w, const char *model, WlPhase ph, int request,
                        int64_t seq, int64_t kv, int64_t batch, MpErr *e)
{
    if (p->nwl >= SWEEP_MAX_WORKLOADS) {
        wl_destroy(w);
        return LERR(x, e, "more than %d workloads", SWEEP_MAX_WORKLOADS);
    }
    SweepWorkload *s = &p->wl[p->nwl];
    memset(s, 0, sizeof *s);
    s->wl = w;
    snprintf(s->model, sizeof s->model, "%s", model);
    s->phase = ph;
    s->seq = seq;
    s->kv = kv;
    s->batch = batch;
    if (request) {
        s->request = 1;
        s->prompt = seq;
        s->gen = kv;
        s->seq = s->kv = 0;
        snprintf(s->desc, sizeof s->desc, "%s request prompt=%lld gen=%lld batch=%lld", model, (long long)seq,
                 (long long)kv, (long long)batch);
    } else if (ph == WL_PREFILL)
        snprintf(s->desc, sizeof s->desc, "%s prefill seq=%lld batch=%lld", model, (long long)seq, (long long)batch);
    else if (ph == WL_DECODE)
        snprintf(s->desc, sizeof s->desc, "%s decode kv=%lld batch=%lld", model, (long long)kv, (long long)batch);
    else
        snprintf(s->desc, sizeof s->desc, "layers %s", model);
    size_t cap = strlen(s->desc) + 16 + (size_t)w->ngemm * (WL_NAME_CAP + 96), n = 0;
    s->ktext = mp_malloc(cap);
    if (!s->ktext) {
        wl_destroy(w);
        s->wl = NULL;
        return mp_errf(e, MP_ENOMEM, "out of memory");
    }
    n += (size_t)snprintf(s->ktext, cap, "workload %s\n", s->desc);
    for (int i = 0; i < w->ngemm; i++) {
        const Gemm *g = &w->gemms[i];
        n += (size_t)snprintf(s->ktext + n, cap - n, "%s %lld %lld %lld %lld %s\n", g->name, (long long)g->m,
                              (long long)g->n, (long long)g->k, (long long)g->count, wl_role_name(g->role));
    }
    /* its accuracy shape set: one per model name (or CSV) */
    s->acc_model = -1;
    for (int i = 0; i < p->nacc_model; i++)
        if (!strcmp(p->wl[p->acc_models[i]].model, model))
            s->acc_model = i;
    if (s->acc_model < 0) {
        s->acc_model = p->nacc_model;
        p->acc_models[p->nacc_model++] = p->nwl;
    }
    p->nwl++;
    return MP_OK;
}

static int parse_int_list(const ListCtx *x, const char *text, int64_t lo, int64_t hi, const char *unit,
                          StrList *out, MpErr *e)
{
    struct {
        int v;
    } scratch;
    IniKey row = {x->section, x->key, INI_INT, 0, (double)lo, (double)hi, NULL, NULL, 0, unit, ""};
    return parse_list(x, &row, &scratch, text, out, e);
}

static int load_workloads(SweepPlan *p, const SpecRaw *raw, const IniLoad *where, const char *dir, MpErr *e)
{
    ListCtx xm = {p->path, where->line[spec_row("workload", "models")], "workload", "models"};
    ListCtx xp = {p->path, where->line[spec_row("workload", "phases")], "workload", "phases"};
    ListCtx xs = {p->path, where->line[spec_row("workload", "seq")], "workload", "seq"};
    ListCtx xk = {p->path, where->line[spec_row("workload", "kv")], "workload", "kv"};
    ListCtx xb = {p->path, where->line[spec_row("workload", "batch")], "workload", "batch"};
    ListCtx xq = {p->path, where->line[spec_row("workload", "prompt")], "workload", "prompt"};
    ListCtx xg = {p->path, where->line[spec_row("workload", "gen")], "workload", "gen"};
    ListCtx *all[] = {&xp, &xs, &xk, &xb, &xq, &xg};
    for (int i = 0; i < 6; i++)
        if (!all[i]->line)
            all[i]->line = xm.line; /* defaults: blame the models line */
    StrList models = {0}, phases = {0}, seqs = {0}, kvs = {0}, batches = {0}, prompts = {0}, gens = {0};
    int rc = split_items(&xm, raw->models, &models, e);
    struct {
        int v;
    } ph;
    IniKey phrow = {"workload", "phases", INI_ENUM, 0, 0, 0, NULL, phase_names, 0, "", ""};
    if (rc == MP_OK)
        rc = parse_list(&xp, &phrow, &ph, raw->phases, &phases, e);
    if (rc == MP_OK)
        rc = parse_int_list(&xs, raw->seq, 1, WL_LEN_MAX, "tokens", &seqs, e);
    if (rc == MP_OK)
        rc = parse_int_list(&xk, raw->kv, 1, WL_LEN_MAX, "positions", &kvs, e);
    if (rc == MP_OK)
        rc = parse_int_list(&xb, raw->batch, 1, WL_LEN_MAX, "sequences", &batches, e);
    if (rc == MP_OK)
        rc = parse_int_list(&xq, raw->prompt, 1, WL_LEN_MAX, "tokens", &prompts, e);
    if (rc == MP_OK)
        rc = parse_int_list(&xg, raw->gen, 1, WL_LEN_MAX, "tokens", &gens, e);
    int has_request = 0;
    for (int i = 0; i < phases.n; i++)
        has_request |= !strcmp(phases.v[i], "request");
    /* the KV cache of a request reaches prompt + gen - 1 positions (sim/infer.h) */
    for (int i = 0; rc == MP_OK && has_request && i < prompts.n; i++)
        for (int j = 0; rc == MP_OK && j < gens.n; j++)
            if (atoll(prompts.v[i]) + atoll(gens.v[j]) - 1 > WL_LEN_MAX)
                rc = LERR(&xg, e, "prompt %s + gen %s - 1 is more than %d KV positions", prompts.v[i], gens.v[j],
                          WL_LEN_MAX);
    if (rc == MP_OK) {
        p->wl = mp_calloc(SWEEP_MAX_WORKLOADS, sizeof *p->wl);
        p->acc_models = mp_calloc(SWEEP_MAX_WORKLOADS, sizeof *p->acc_models);
        if (!p->wl || !p->acc_models)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
    }
    for (int mi = 0; rc == MP_OK && mi < models.n; mi++) {
        const char *m = models.v[mi];
        if ((rc = list_unique(&xm, &models, mi, e)) != MP_OK)
            break;
        size_t n = strlen(m);
        if (n > 4 && !strcmp(m + n - 4, ".csv")) {
            if (has_request) {
                rc = LERR(&xm, e, "'%s': a layer CSV has no request (phases = request needs a built-in model)", m);
                break;
            }
            if (!spec_file_ok(m, ".csv")) {
                rc = LERR(&xm, e, "'%s': a layer CSV must be in or below the spec's folder (no leading '/', no '..')",
                          m);
                break;
            }
            char path[1400];
            path_join(dir, m, path, sizeof path);
            Workload *w = NULL;
            MpErr le = {0};
            if (lcsv_load(path, &w, NULL, &le) != MP_OK) {
                rc = LERR(&xm, e, "%s", le.msg);
                break;
            }
            rc = add_workload(p, &xm, w, m, WL_LAYERS, 0, 0, 0, 1, e);
            continue;
        }
        MpErr le = {0};
        const WlModel *wm = wl_model_find(m, &le);
        if (!wm) {
            rc = LERR(&xm, e, "%s", le.msg);
            break;
        }
        for (int pi = 0; rc == MP_OK && pi < phases.n; pi++) {
            if (!strcmp(phases.v[pi], "request")) {
                /* requests: prompt x gen x batch, each keyed by its prefill's GEMMs and its description */
                for (int qi = 0; rc == MP_OK && qi < prompts.n; qi++)
                    for (int gi = 0; rc == MP_OK && gi < gens.n; gi++)
                        for (int bi = 0; rc == MP_OK && bi < batches.n; bi++) {
                            int64_t P = atoll(prompts.v[qi]), G = atoll(gens.v[gi]), b = atoll(batches.v[bi]);
                            Workload *w = NULL;
                            if (wl_create(wm, WL_PREFILL, P, b, &w, &le) != MP_OK) {
                                rc = LERR(&xm, e, "%s: %s", m, le.msg);
                                break;
                            }
                            rc = add_workload(p, &xm, w, m, WL_PREFILL, 1, P, G, b, e);
                        }
                continue;
            }
            WlPhase phase = !strcmp(phases.v[pi], "prefill") ? WL_PREFILL : WL_DECODE;
            const StrList *lens = phase == WL_PREFILL ? &seqs : &kvs;
            for (int li = 0; rc == MP_OK && li < lens->n; li++)
                for (int bi = 0; rc == MP_OK && bi < batches.n; bi++) {
                    int64_t len = atoll(lens->v[li]), b = atoll(batches.v[bi]);
                    Workload *w = NULL;
                    if (wl_create(wm, phase, len, b, &w, &le) != MP_OK) {
                        rc = LERR(&xm, e, "%s: %s", m, le.msg);
                        break;
                    }
                    rc = add_workload(p, &xm, w, m, phase, 0, phase == WL_PREFILL ? len : 0,
                                      phase == WL_DECODE ? len : 0, b, e);
                }
        }
    }
    strlist_free(&models);
    strlist_free(&phases);
    strlist_free(&seqs);
    strlist_free(&kvs);
    strlist_free(&batches);
    strlist_free(&prompts);
    strlist_free(&gens);
    return rc;
}

static int load_params(SweepPlan *p, const SpecRaw *raw, const IniLoad *where, MpErr *e)
{
    p->param = mp_calloc((size_t)spec_nparam + 1, sizeof *p->param);
    if (!p->param)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    /* in the order of the file, so the last key written varies fastest */
    int order[INI_SCHEMA_MAX], n = 0;
    for (int k = 0; k < spec_nparam; k++)
        if (where->line[NFIXED + k])
            order[n++] = k;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && where->line[NFIXED + order[j]] < where->line[NFIXED + order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    p->ndesign = p->nbase;
    int shape_line = 0, shape_k = -1, edge_line = 0, edge_k = -1; /* a shape axis, arch.rows or arch.cols */
    for (int i = 0; i < n; i++) {
        int k = order[i], ar = spec_param_arch[k];
        SweepParam *sp = &p->param[p->nparam];
        sp->row = ar >= 0 ? ar : -1;
        sp->axis = ar >= 0 ? SWEEP_AXIS_KEY : shape_axes[-1 - ar];
        sp->name = spec_param_names[k];
        sp->line = where->line[NFIXED + k];
        if (ar < 0 && !shape_line)
            shape_line = sp->line, shape_k = k;
        if (ar >= 0 && !strcmp(arch_schema[ar].section, "arch") &&
            (!strcmp(arch_schema[ar].key, "rows") || !strcmp(arch_schema[ar].key, "cols")) && !edge_line)
            edge_line = sp->line, edge_k = k;
        ListCtx x = {p->path, sp->line, "params", sp->name};
        if (shape_line && edge_line) /* this key is the later of the two (file order) */
            return LERR(&x, e,
                        "arch.pes and arch.aspect set arch.rows and arch.cols: sweep the shape or the edges, not "
                        "both (%s is on line %d)",
                        spec_param_names[k == shape_k ? edge_k : shape_k], k == shape_k ? edge_line : shape_line);
        /* "rows", unless another section has the same key ("dram.tech" vs "energy.tech") */
        const IniKey *row = ar >= 0 ? &arch_schema[ar] : &shape_rows[-1 - ar];
        sp->label = row->key;
        for (int j = 0; ar >= 0 && j < arch_schema_len; j++)
            if (j != ar && !strcmp(arch_schema[j].key, arch_schema[ar].key))
                sp->label = spec_param_names[k];
        ArchConfig scratch = p->base[0];
        union {
            int i;
            double d;
        } shape_scratch;
        StrList vals = {0};
        int rc = parse_list(&x, row, ar >= 0 ? (void *)&scratch : (void *)&shape_scratch, raw->param[k], &vals, e);
        if (rc) {
            strlist_free(&vals);
            return rc;
        }
        sp->values = vals.v;
        sp->nvalues = vals.n;
        p->nparam++;
        /* a table name that is not one, or names no table, is no design to skip: a spec error */
        for (int v = 0; !strcmp(sp->name, "energy.tech") && v < sp->nvalues; v++) {
            TechTable t;
            MpErr te = {0};
            if (energy_tech_load(sp->values[v], &t, NULL, 0, &te) != MP_OK)
                return LERR(&x, e, "%s", te.msg);
        }
        if (p->ndesign > SWEEP_MAX_ROWS / sp->nvalues)
            return LERR(&x, e, "the cross product has more than %lld design points", (long long)SWEEP_MAX_ROWS);
        p->ndesign *= sp->nvalues;
    }
    return MP_OK;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash)
        *(slash == out ? slash + 1 : slash) = '\0';
    else
        snprintf(out, cap, ".");
}

static int plan_build(SweepPlan *p, const char *name, const char *text, const char *dir, MpErr *e)
{
    int nrows;
    const IniKey *rows = sweep_spec_schema(&nrows);
    SpecRaw *raw = mp_calloc(1, sizeof *raw);
    IniLoad where;
    if (!raw)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    snprintf(p->path, sizeof p->path, "%s", name);
    int rc = ini_schema_load_string(name, text, rows, nrows, raw, &where, e);
    if (rc == MP_OK) {
        /* a [params] key set to nothing is a mistake, not "not swept" */
        for (int k = 0; k < spec_nparam && rc == MP_OK; k++)
            if (where.line[NFIXED + k] && !raw->param[k][0])
                rc = mp_errf(e, MP_EINPUT, "%s:%d: [params] %s: empty list", name, where.line[NFIXED + k],
                             spec_param_names[k]);
    }
    if (rc == MP_OK) {
        if (raw->name[0])
            snprintf(p->name, sizeof p->name, "%s", raw->name);
        else {
            const char *b = strrchr(name, '/');
            snprintf(p->name, sizeof p->name, "%s", b ? b + 1 : name);
            char *dot = strrchr(p->name, '.');
            if (dot && dot != p->name)
                *dot = '\0';
        }
        p->fid = raw->fidelity == 1 ? FID_CYCLE : FID_FAST;
        p->seed = raw->seed;
        p->acc.enabled = raw->acc_enabled;
        p->acc.layers = raw->acc_layers;
        p->acc.rows = raw->acc_rows;
        p->acc.tokens = raw->acc_tokens;
        p->acc.seed = raw->acc_seed;
        ListCtx xb = {name, where.line[spec_row("sweep", "base")], "sweep", "base"};
        rc = load_bases(p, &xb, raw->base, dir, e);
    }
    if (rc == MP_OK)
        rc = load_params(p, raw, &where, e);
    if (rc == MP_OK)
        rc = load_workloads(p, raw, &where, dir, e);
    if (rc == MP_OK) {
        if (p->ndesign > SWEEP_MAX_ROWS / p->nwl)
            rc = mp_errf(e, MP_EINPUT, "%s: %lld design points x %d workloads is more than %lld rows", name,
                         (long long)p->ndesign, p->nwl, (long long)SWEEP_MAX_ROWS);
        p->nrows = p->ndesign * p->nwl;
    }
    if (rc == MP_OK && !(p->text = mp_strdup(text)))
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
    mp_free(raw);
    return rc;
}

int sweep_plan_load_string(const char *name, const char *text, const char *dir, SweepPlan **out, MpErr *e)
{
    *out = NULL;
    SweepPlan *p = mp_calloc(1, sizeof *p);
    if (!p)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    int rc = plan_build(p, name, text, dir, e);
    if (rc) {
        sweep_plan_free(p);
        return rc;
    }
    *out = p;
    return MP_OK;
}

int sweep_plan_load(const char *path, SweepPlan **out, MpErr *e)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = mp_read_file(path, 1 << 20, &text, &len, e);
    if (rc)
        return rc;
    size_t nul = strlen(text);
    if (nul != len) { /* the string reader would stop there silently */
        int line = 1;
        for (size_t i = 0; i < nul; i++)
            line += text[i] == '\n';
        mp_free(text);
        return mp_errf(e, MP_EINPUT, "%s:%d: control byte 0x00 (not a text file?)", path, line);
    }
    char dir[1024];
    dir_of(path, dir, sizeof dir);
    rc = sweep_plan_load_string(path, text, dir, out, e);
    mp_free(text);
    return rc;
}

void sweep_plan_free(SweepPlan *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nparam; i++) {
        for (int k = 0; k < p->param[i].nvalues; k++)
            mp_free(p->param[i].values[k]);
        mp_free(p->param[i].values);
    }
    mp_free(p->param);
    for (int i = 0; i < p->nwl; i++) {
        wl_destroy(p->wl[i].wl);
        mp_free(p->wl[i].ktext);
    }
    mp_free(p->wl);
    mp_free(p->acc_models);
    mp_free(p->base);
    mp_free(p->base_name);
    mp_free(p->text);
    mp_free(p);
}

/* ------------------------------------------------------------------ array shapes */

static const IniKey *arch_row(const char *key)
{
    for (int i = 0; i < arch_schema_len; i++)
        if (!strcmp(arch_schema[i].section, "arch") && !strcmp(arch_schema[i].key, key))
            return &arch_schema[i];
    return NULL;
}

int sweep_shape(int64_t pes, double aspect, int *rows, int *cols, MpErr *e)
{
    const IniKey *rr = arch_row("rows"), *cr = arch_row("cols");
    if (!rr || !cr)
        return mp_errf(e, MP_EINTERNAL, "no arch.rows or arch.cols in the config schema");
    if (pes < 1 || !(aspect > 0) || !isfinite(aspect))
        return mp_errf(e, MP_EINPUT, "no array of %lld PEs at aspect %g", (long long)pes, aspect);
    /* distances are |ln(rows / cols / aspect)|; ties within 1e-9 (40x28 and 56x20 around 2) go to the
     * squarer shape, then to fewer rows (the first found) */
    const double tie = 1e-9;
    int64_t best_r = 0;
    double best_d = 0, best_sq = 0;
    for (int64_t r = (int64_t)rr->min; r <= (int64_t)rr->max && r <= pes; r++) {
        if (pes % r)
            continue;
        int64_t c = pes / r;
        if (c < (int64_t)cr->min || c > (int64_t)cr->max)
            continue;
        double sq = fabs(log((double)r / (double)c)), d = fabs(log((double)r / (double)c / aspect));
        if (!best_r || d < best_d - tie || (d <= best_d + tie && sq < best_sq - tie)) {
            best_r = r;
            best_d = d;
            best_sq = sq;
        }
    }
    if (!best_r)
        return mp_errf(e, MP_EINPUT, "no rows x cols = %lld PEs with rows and cols in [%.0f, %.0f]", (long long)pes,
                       rr->min, rr->max);
    int64_t best_c = pes / best_r;
    if (best_d >= log(2.0) - tie)
        return mp_errf(e, MP_EINPUT,
                       "no array of %lld PEs within 2x of aspect %g (the nearest: %lldx%lld, aspect %.3g)",
                       (long long)pes, aspect, (long long)best_r, (long long)best_c,
                       (double)best_r / (double)best_c);
    *rows = (int)best_r;
    *cols = (int)best_c;
    return MP_OK;
}

/* ------------------------------------------------------------------ design points */

static const SweepTech *tech_get(SweepPlan *p, const char *name)
{
    for (int i = 0; i < p->ntech; i++)
        if (!strcmp(p->tech[i].name, name))
            return &p->tech[i];
    if (p->ntech == SWEEP_MAX_TECH)
        return NULL;
    SweepTech *t = &p->tech[p->ntech++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    MpErr le = {0};
    t->status = energy_tech_load(name, &t->t, NULL, 0, &le);
    snprintf(t->msg, sizeof t->msg, "%s", le.msg);
    if (t->status == MP_OK) {
        int nkeys;
        const IniKey *schema = energy_tech_schema(&nkeys);
        schema_text(schema, nkeys, &t->t, "tech", t->ktext, sizeof t->ktext);
    }
    return t;
}

int sweep_design(SweepPlan *p, int64_t d, ArchConfig *c, char *label, size_t label_cap, char *params,
                 size_t params_cap, const SweepTech **tech, MpErr *e)
{
    if (d < 0 || d >= p->ndesign)
        return mp_errf(e, MP_EINTERNAL, "design %lld out of range", (long long)d);
    int idx[INI_SCHEMA_MAX];
    int64_t rest = d;
    for (int i = p->nparam - 1; i >= 0; i--) {
        idx[i] = (int)(rest % p->param[i].nvalues);
        rest /= p->param[i].nvalues;
    }
    *c = p->base[rest];
    /* the shape axes: rows x cols from the PE count and the aspect, each the base's where not swept */
    int64_t pes = (int64_t)c->rows * c->cols;
    double aspect = (double)c->rows / (double)c->cols;
    int shape_at = -1, rows = 0, cols = 0;
    for (int i = 0; i < p->nparam; i++) {
        if (p->param[i].axis == SWEEP_AXIS_PES)
            pes = atoll(p->param[i].values[idx[i]]);
        else if (p->param[i].axis == SWEEP_AXIS_ASPECT)
            aspect = strtod(p->param[i].values[idx[i]], NULL);
        if (p->param[i].axis != SWEEP_AXIS_KEY)
            shape_at = i;
    }
    MpErr shape_err = {0};
    int shape_rc = shape_at >= 0 ? sweep_shape(pes, aspect, &rows, &cols, &shape_err) : MP_OK;
    if (shape_rc != MP_OK && shape_rc != MP_EINPUT)
        return mp_errf(e, shape_rc, "%s", shape_err.msg);
    char sets[4096], lab[1024];
    size_t ns = 0, nl = 0, np = 0;
    sets[0] = '\0';
    nl = (size_t)snprintf(lab, sizeof lab, "%s", p->base_name[rest]);
    if (params && params_cap)
        params[0] = '\0';
    for (int i = 0; i < p->nparam; i++) {
        const SweepParam *sp = &p->param[i];
        const char *v = sp->values[idx[i]];
        if (sp->axis == SWEEP_AXIS_KEY)
            ns += (size_t)snprintf(sets + ns, ns < sizeof sets ? sizeof sets - ns : 0, "%s%s=%s", ns ? "," : "",
                                   sp->name, v);
        nl += (size_t)snprintf(lab + nl, nl < sizeof lab ? sizeof lab - nl : 0, "%s%s=%s", i ? "," : "{", sp->label, v);
        /* the last shape axis's value is followed by the shape it gives: aspect=4:70x16 */
        if (i == shape_at && shape_rc == MP_OK)
            nl += (size_t)snprintf(lab + nl, nl < sizeof lab ? sizeof lab - nl : 0, ":%dx%d", rows, cols);
        if (params && np < params_cap)
            np += (size_t)snprintf(params + np, params_cap - np, "%s%s=%s", i ? " " : "", sp->name, v);
    }
    if (p->nparam && nl < sizeof lab)
        snprintf(lab + nl, sizeof lab - nl, "}");
    if (label && label_cap)
        snprintf(label, label_cap, "%s", lab);
    if (shape_rc != MP_OK)
        return mp_errf(e, MP_EINPUT, "%s", shape_err.msg);
    if (shape_at >= 0)
        ns += (size_t)snprintf(sets + ns, ns < sizeof sets ? sizeof sets - ns : 0, "%sarch.rows=%d,arch.cols=%d",
                               ns ? "," : "", rows, cols);
    if (ns) {
        MpErr le = {0};
        if (config_apply_sets(c, sets, &le) != MP_OK) {
            /* config_apply_sets names the place "--set" ("--set: ...", "--set:0: ...", "--set K: ...") */
            const char *m = le.msg;
            if (!strncmp(m, "--set", 5)) {
                m += 5;
                if (!strncmp(m, ":0", 2))
                    m += 2;
                if (*m == ':')
                    m++;
                while (*m == ' ')
                    m++;
            }
            return mp_errf(e, MP_EINPUT, "%s", m);
        }
    }
    snprintf(c->name, sizeof c->name, "%s", lab);
    const SweepTech *t = tech_get(p, c->tech);
    if (!t)
        return mp_errf(e, MP_EINPUT, "more than %d energy tables in one sweep", SWEEP_MAX_TECH);
    if (t->status != MP_OK)
        return mp_errf(e, MP_EINPUT, "%s", t->msg);
    if (tech)
        *tech = t;
    return MP_OK;
}

int sweep_eval(SweepPlan *p, int64_t d, int w, Fidelity fid, SweepOutcome *out, MpErr *e)
{
    memset(out, 0, sizeof *out);
    ArchConfig c;
    const SweepTech *t = NULL;
    int rc = sweep_design(p, d, &c, NULL, 0, NULL, 0, &t, e);
    if (rc)
        return rc;
    const SweepWorkload *sw = &p->wl[w];
    if (sw->request) {
        /* a whole request, as `mpsim infer` runs it (fast fidelity, seed 1) */
        InferReq q = {NULL, sw->prompt, sw->gen, sw->batch};
        if (!(q.model = wl_model_find(sw->model, e)))
            return MP_EINPUT;
        InferOpts io;
        memset(&io, 0, sizeof io);
        io.run.fid = FID_FAST;
        io.run.seed = 1;
        InferResult *ir = mp_malloc(sizeof *ir);
        if (!ir)
            return mp_errf(e, MP_ENOMEM, "out of memory");
        rc = infer_run(&c, &t->t, &q, &io, ir, e);
        if (rc == MP_OK) {
            out->total = ir->prefill_ev;
            sim_events_add(&out->total, &ir->decode_ev, 1);
            out->energy = ir->total_energy;
            out->area_mm2 = ir->area_mm2;
            out->seconds = (double)out->total.cycles / (c.clock_mhz * 1e6);
            out->utilization = out->total.mac_capacity ? (double)out->total.macs / (double)out->total.mac_capacity : 0;
            out->request = 1;
            out->ttft_s = ir->ttft_s;
            out->tpot_s = ir->tpot_mean_s;
            out->tokens_per_s = ir->tokens_per_s;
            out->j_per_token = ir->j_per_token;
        }
        mp_free(ir);
        return rc;
    }
    RunOpts o = {fid, NULL, (uint64_t)p->seed, 0, MAP_OBJ_TIME, NULL, NULL};
    Point pt;
    rc = point_eval(&c, &t->t, p->wl[w].wl, &o, 0, &pt, e);
    if (rc == MP_OK) {
        out->total = pt.res.total;
        out->energy = pt.energy;
        out->area_mm2 = pt.area_mm2;
        out->seconds = pt.seconds;
        out->utilization = pt.utilization;
    }
    point_free(&pt);
    return rc;
}

int sweep_eval_rows(SweepPlan *p, int64_t first, int64_t count, int64_t *evaluated, MpErr *e)
{
    *evaluated = 0;
    for (int64_t i = 0; i < count; i++) {
        int64_t r = (first + i) % p->nrows;
        SweepOutcome o;
        MpErr le = {0};
        int rc = sweep_eval(p, r / p->nwl, (int)(r % p->nwl), FID_FAST, &o, &le);
        if (rc == MP_OK)
            (*evaluated)++;
        else if (rc != MP_EINPUT)
            return mp_errf(e, rc, "%s", le.msg);
    }
    return MP_OK;
}

/* ------------------------------------------------------------------ accuracy */

int sweep_acc_group(const NumFormat *nf, const ArchConfig *c)
{
    return nf->wq.scheme == QS_ASYM_GROUP || nf->wq.scheme == QS_BITMOD ? c->group_size : 0;
}

int sweep_accuracy(const SweepPlan *p, const NumFormat *nf, int group, int wi, SweepAccuracy *out, MpErr *e)
{
    memset(out, 0, sizeof *out);
    const SweepWorkload *sw = &p->wl[wi];
    Workload *shapes = NULL;
    int layers = 1, rc = MP_OK;
    if (sw->phase == WL_LAYERS)
        shapes = sw->wl;
    else {
        /* the shapes and GEMM indices `mpsim accuracy --model` uses (its seeds depend on them) */
        const WlModel *m = wl_model_find(sw->model, e);
        if (!m)
            return MP_EINPUT;
        rc = wl_create(m, WL_DECODE, 1, 1, &shapes, e);
        if (rc)
            return rc;
        layers = p->acc.layers < m->layers ? p->acc.layers : m->layers;
    }
    AccStudy s;
    acc_study_init(&s);
    rc = acc_study_add_format(&s, nf->name, BM_ERR_FP16, e);
    if (rc == MP_OK && group > 0)
        s.fmt[0].nf.wq.group = group;
    SynParams sp;
    syn_params_default(&sp);
    if (rc == MP_OK)
        rc = acc_study_synthetic(&s, shapes, layers, p->acc.rows, p->acc.tokens, p->acc.seed, &sp, 0, e);
    if (rc == MP_OK && s.nlayer == 0)
        rc = mp_errf(e, MP_EINPUT, "%s: no weight GEMMs to study", sw->model);
    if (rc == MP_OK) {
        const AccFormat *f = &s.fmt[0];
        out->sqnr_db = metric_summary(&f->out_hw).sqnr_db;
        out->ideal_db = metric_summary(&f->out_ideal).sqnr_db;
        out->weight_db = metric_summary(&f->weight).sqnr_db;
        out->hw_vs_ideal_db = metric_summary(&f->hw_vs_ideal).sqnr_db;
        out->gemms = s.nlayer;
    }
    acc_study_free(&s);
    if (shapes != sw->wl)
        wl_destroy(shapes);
    return rc;
}
