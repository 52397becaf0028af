/* dse/gpures.c — see gpures.h: the strict reader of GPU results files. */
#include "dse/gpures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/utf8.h"

void gpu_free(GpuFile *g)
{
    cJSON_Delete(g->root);
    mp_free(g->rows);
    mp_free(g->steps);
    memset(g, 0, sizeof *g);
}

static int get_int(const cJSON *o, const char *key, int64_t *v)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(j) || j->valuedouble < 1 || j->valuedouble > 1e12 || j->valuedouble != floor(j->valuedouble))
        return -1;
    *v = (int64_t)j->valuedouble;
    return 0;
}

/* 1-based line of byte offset off of text. */
static long line_of(const char *text, size_t off)
{
    long line = 1;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}


static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuse an object anywhere under j that holds a key twice (cJSON keeps both and finds the first).
 * where: the item's place in the document, for the message. Sorting makes it O(n log n) per object. */
static int no_duplicate_keys(const cJSON *j, const char *path, const char *where, MpErr *e)
{
    int n = 0, rc = MP_OK;
    const cJSON *c;
    for (c = j ? j->child : NULL; c; c = c->next)
        n++;
    if (cJSON_IsObject(j) && n > 1) {
        const char **names = mp_malloc((size_t)n * sizeof *names);
        if (!names)
            return mp_errf(e, MP_ENOMEM, "out of memory");
        int i = 0;
        for (c = j->child; c; c = c->next)
            names[i++] = c->string ? c->string : "";
        qsort(names, (size_t)n, sizeof *names, name_cmp);
        for (i = 1; i < n && rc == MP_OK; i++)
            if (!strcmp(names[i - 1], names[i]))
                rc = mp_errf(e, MP_EINPUT, "%s: duplicate key '%.64s' in %s", path, names[i],
                             *where ? where : "the top-level object");
        mp_free(names);
    }
    int i = 0;
    for (c = j ? j->child : NULL; c && rc == MP_OK; c = c->next, i++) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
            continue;
        char sub[256];
        if (cJSON_IsArray(j))
            snprintf(sub, sizeof sub, "%s[%d]", where, i);
        else
            snprintf(sub, sizeof sub, "%s%s%.64s", where, *where ? "." : "", c->string ? c->string : "");
        rc = no_duplicate_keys(c, path, sub, e);
    }
    return rc;
}

/* Parse text[0, len) as one strict JSON document: no NUL byte, well-formed UTF-8, nothing but
 * white space after the value, no key twice in an object. Messages "FILE: what at byte N (line L)". */
static int json_parse_strict(const char *path, const char *text, size_t len, cJSON **out, MpErr *e)
{
    *out = NULL;
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return mp_errf(e, MP_EINPUT, "%s: NUL byte at byte %zu (line %ld)", path, (size_t)(nul - text),
                       line_of(text, (size_t)(nul - text)));
    size_t bad = mp_utf8_bad_at((const unsigned char *)text, len);
    if (bad < len)
        return mp_errf(e, MP_EINPUT, "%s: invalid UTF-8 at byte %zu (line %ld)", path, bad, line_of(text, bad));
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : len;
    if (!root)
        return mp_errf(e, MP_EINPUT, "%s: not valid JSON at byte %zu (line %ld)", path, off, line_of(text, off));
    while (off < len && strchr(" \t\r\n", text[off]))
        off++;
    if (off < len) {
        cJSON_Delete(root);
        return mp_errf(e, MP_EINPUT, "%s: trailing garbage at byte %zu (line %ld) after the JSON value", path, off,
                       line_of(text, off));
    }
    int rc = no_duplicate_keys(root, path, "", e);
    if (rc) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return MP_OK;
}

/* A check that lets a row be reported: "bound", "bit-exact" or "pass". */
static int check_passes(const char *check)
{
    return !strcmp(check, "bound") || !strcmp(check, "bit-exact") || !strcmp(check, "pass");
}

/* The "results" array (NULL: none) into g->rows. */
static int load_rows(const char *path, const cJSON *res, GpuFile *g, MpErr *e)
{
    int n = res ? cJSON_GetArraySize(res) : 0;
    g->rows = mp_calloc((size_t)(n ? n : 1), sizeof *g->rows);
    if (!g->rows)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    const cJSON *r;
    for (r = res ? res->child : NULL; r; r = r->next) {
        GpuRow *w = &g->rows[g->nrow];
        int i = g->nrow;
        const cJSON *kn = cJSON_GetObjectItemCaseSensitive(r, "kernel");
        const cJSON *us = cJSON_GetObjectItemCaseSensitive(r, "us");
        const cJSON *ck = cJSON_GetObjectItemCaseSensitive(r, "check");
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(r, "energy_uj");
        const cJSON *va = cJSON_GetObjectItemCaseSensitive(r, "variant");
        const cJSON *be = cJSON_GetObjectItemCaseSensitive(r, "best");
        if (!cJSON_IsObject(r))
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: not an object", path, i);
        if (!cJSON_IsString(kn) || !*kn->valuestring)
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: 'kernel' missing or not a string", path, i);
        if (get_int(r, "m", &w->m) || get_int(r, "n", &w->n) || get_int(r, "k", &w->k))
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: 'm', 'n', 'k' must be positive integers", path, i);
        if (!cJSON_IsNumber(us) || !(us->valuedouble > 0) || !isfinite(us->valuedouble))
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: 'us' missing or not a positive number", path, i);
        if (!cJSON_IsString(ck))
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: 'check' missing or not a string", path, i);
        if (en && !cJSON_IsNull(en) && (!cJSON_IsNumber(en) || !(en->valuedouble >= 0) || !isfinite(en->valuedouble)))
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: 'energy_uj' must be a number >= 0 or null", path, i);
        if (va && !cJSON_IsString(va))
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: 'variant' is not a string", path, i);
        if (be && !cJSON_IsBool(be))
            return mp_errf(e, MP_EINPUT, "%s: results[%d]: 'best' is not true/false", path, i);
        w->kernel = kn->valuestring;
        w->variant = va ? va->valuestring : "";
        w->us = us->valuedouble;
        w->energy_uj = cJSON_IsNumber(en) ? en->valuedouble : NAN;
        w->pass = check_passes(ck->valuestring);
        w->best = cJSON_IsTrue(be);
        g->nfail += !w->pass;
        g->nrow++;
    }
    return MP_OK;
}

/* The "steps" array (NULL: none) into g->steps. */
static int load_steps(const char *path, const cJSON *stp, GpuFile *g, MpErr *e)
{
    int n = stp ? cJSON_GetArraySize(stp) : 0;
    g->steps = mp_calloc((size_t)(n ? n : 1), sizeof *g->steps);
    if (!g->steps)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    const cJSON *r;
    for (r = stp ? stp->child : NULL; r; r = r->next) {
        GpuStep *w = &g->steps[g->nstep];
        int i = g->nstep;
        const cJSON *mo = cJSON_GetObjectItemCaseSensitive(r, "model");
        const cJSON *fm = cJSON_GetObjectItemCaseSensitive(r, "format");
        const cJSON *ph = cJSON_GetObjectItemCaseSensitive(r, "phase");
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(r, "ms");
        const cJSON *jj = cJSON_GetObjectItemCaseSensitive(r, "j");
        const cJSON *ck = cJSON_GetObjectItemCaseSensitive(r, "check");
        if (!cJSON_IsObject(r))
            return mp_errf(e, MP_EINPUT, "%s: steps[%d]: not an object", path, i);
        if (!cJSON_IsString(mo) || !*mo->valuestring || !cJSON_IsString(fm) || !*fm->valuestring)
            return mp_errf(e, MP_EINPUT, "%s: steps[%d]: 'model' and 'format' must be non-empty strings", path, i);
        if (!cJSON_IsString(ph) || (strcmp(ph->valuestring, "decode") && strcmp(ph->valuestring, "prefill")))
            return mp_errf(e, MP_EINPUT, "%s: steps[%d]: 'phase' must be \"decode\" or \"prefill\"", path, i);
        w->phase = strcmp(ph->valuestring, "decode") ? GPU_PREFILL : GPU_DECODE;
        const char *lk = w->phase == GPU_DECODE ? "kv" : "prompt";
        if (get_int(r, "batch", &w->batch) || get_int(r, lk, &w->len))
            return mp_errf(e, MP_EINPUT, "%s: steps[%d]: 'batch' and '%s' must be positive integers", path, i, lk);
        if (!cJSON_IsNumber(ms) || !(ms->valuedouble > 0) || !isfinite(ms->valuedouble))
            return mp_errf(e, MP_EINPUT, "%s: steps[%d]: 'ms' missing or not a positive number", path, i);
        if (jj && !cJSON_IsNull(jj) && (!cJSON_IsNumber(jj) || !(jj->valuedouble >= 0) || !isfinite(jj->valuedouble)))
            return mp_errf(e, MP_EINPUT, "%s: steps[%d]: 'j' must be a number >= 0 or null", path, i);
        if (!cJSON_IsString(ck))
            return mp_errf(e, MP_EINPUT, "%s: steps[%d]: 'check' missing or not a string", path, i);
        w->model = mo->valuestring;
        w->format = fm->valuestring;
        w->ms = ms->valuedouble;
        w->j = cJSON_IsNumber(jj) ? jj->valuedouble : NAN;
        w->pass = check_passes(ck->valuestring);
        g->nstep_fail += !w->pass;
        g->nstep++;
    }
    return MP_OK;
}

/* Read and validate the fields this command uses; messages are "FILE: ...". */
int gpu_load(const char *path, GpuFile *g, MpErr *e)
{
    memset(g, 0, sizeof *g);
    char *text = NULL;
    size_t len = 0;
    int rc = mp_read_file(path, (size_t)256 << 20, &text, &len, e);
    if (rc) {
        if (!strstr(e->msg, path))
            mp_err_prefix(e, "%s", path);
        return rc;
    }
    rc = json_parse_strict(path, text, len, &g->root, e);
    if (rc) {
        mp_free(text);
        return rc;
    }
    mp_free(text);
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(g->root, "device");
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(g->root, "copy_gbps");
    const cJSON *idle = cJSON_GetObjectItemCaseSensitive(g->root, "idle_power_w");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(g->root, "results");
    const cJSON *stp = cJSON_GetObjectItemCaseSensitive(g->root, "steps");
    if (!cJSON_IsObject(g->root))
        return mp_errf(e, MP_EINPUT, "%s: expected a JSON object (a kernels_ref results file)", path);
    if (!cJSON_IsString(dev))
        return mp_errf(e, MP_EINPUT, "%s: 'device' missing or not a string", path);
    if (!cJSON_IsNumber(cp) || !(cp->valuedouble > 0) || !isfinite(cp->valuedouble))
        return mp_errf(e, MP_EINPUT, "%s: 'copy_gbps' missing or not a positive number", path);
    if (idle && !cJSON_IsNull(idle) &&
        (!cJSON_IsNumber(idle) || !(idle->valuedouble >= 0) || !isfinite(idle->valuedouble)))
        return mp_errf(e, MP_EINPUT, "%s: 'idle_power_w' must be a number >= 0 or null", path);
    if (!res && !stp)
        return mp_errf(e, MP_EINPUT, "%s: neither 'results' nor 'steps': not a kernels_ref results file", path);
    if (res && !cJSON_IsArray(res))
        return mp_errf(e, MP_EINPUT, "%s: 'results' is not an array", path);
    if (stp && !cJSON_IsArray(stp))
        return mp_errf(e, MP_EINPUT, "%s: 'steps' is not an array", path);
    g->device = dev->valuestring;
    g->copy_gbps = cp->valuedouble;
    g->idle_w = cJSON_IsNumber(idle) ? idle->valuedouble : NAN;
    rc = load_rows(path, res, g, e);
    return rc ? rc : load_steps(path, stp, g, e);
}

int gpu_has_kernel(const GpuFile *g, const char *kernel)
{
    for (int i = 0; i < g->nrow; i++)
        if (!strcmp(g->rows[i].kernel, kernel))
            return 1;
    return 0;
}

/* The reported row for kernel at m, n, k: the passing row marked best, else the fastest passing; NULL if none. */
const GpuRow *gpu_find(const GpuFile *g, const char *kernel, int64_t m, int64_t n, int64_t k)
{
    const GpuRow *pick = NULL;
    for (int i = 0; i < g->nrow; i++) {
        const GpuRow *r = &g->rows[i];
        if (!r->pass || r->m != m || r->n != n || r->k != k || strcmp(r->kernel, kernel))
            continue;
        if (!pick || (r->best && !pick->best) || (r->best == pick->best && r->us < pick->us))
            pick = r;
    }
    return pick;
}


const GpuStep *gpu_step_find(const GpuFile *g, const char *model, const char *format, int phase, int64_t batch,
                             int64_t len)
{
    const GpuStep *pick = NULL;
    for (int i = 0; i < g->nstep; i++) {
        const GpuStep *r = &g->steps[i];
        if (!r->pass || r->phase != phase || r->batch != batch || r->len != len || strcmp(r->model, model) ||
            strcmp(r->format, format))
            continue;
        if (!pick || r->ms < pick->ms)
            pick = r;
    }
    return pick;
}
