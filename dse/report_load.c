/* dse/report_load.c — the rows a report shows: loaded and grouped by workload, their Pareto fronts,
 * the baseline, the display orders; and a design's per-layer results recomputed from its config. */
#include "dse/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/inischema.h"
#include "dse/pareto.h"
#include "models/pekind.h"
#include "sim/config.h"
#include "sim/energy.h"
#include "traces/layercsv.h"

int report_load(Db *d, RepData *r, MpErr *e)
{
    memset(r, 0, sizeof *r);
    int rc = db_load_points(d, &r->pt, &r->npt, e);
    if (rc == MP_OK)
        rc = db_load_accuracy(d, &r->acc, &r->nacc, e);
    if (rc == MP_OK && r->npt) {
        r->group = mp_calloc((size_t)r->npt, sizeof *r->group);
        if (!r->group)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
        for (int i = 0; rc == MP_OK && i < r->npt; i++) {
            if (i == 0 || strcmp(r->pt[i].workload, r->pt[i - 1].workload) != 0)
                r->group[r->ngroup++] = (RepGroup){i, 0};
            r->group[r->ngroup - 1].n++;
        }
    }
    if (rc)
        report_free(r);
    return rc;
}

void report_free(RepData *r)
{
    db_points_free(r->pt, r->npt);
    mp_free(r->group);
    mp_free(r->acc);
    memset(r, 0, sizeof *r);
}

void report_objectives(const DbPoint *p, const int *objs, int nobj, double *out)
{
    for (int j = 0; j < nobj; j++)
        switch (objs[j]) {
        case PARETO_LATENCY: out[j] = p->seconds; break;
        case PARETO_ENERGY: out[j] = p->energy_pj; break;
        case PARETO_AREA: out[j] = p->area_mm2; break;
        case PARETO_TTFT: out[j] = p->has_request ? p->ttft_s : NAN; break;
        case PARETO_TPOT: out[j] = p->has_request ? p->tpot_s : NAN; break;
        case PARETO_TOKENS_PER_S: out[j] = p->has_request ? -p->tokens_per_s : NAN; break;
        case PARETO_J_PER_TOKEN: out[j] = p->has_request ? p->j_per_token : NAN; break;
        default: out[j] = p->has_accuracy ? -p->accuracy_db : NAN; break;
        }
}

int report_group_front(const RepData *r, int g, const int *objs, int nobj, unsigned char *on_front)
{
    const RepGroup *G = &r->group[g];
    double *v = mp_malloc((size_t)(G->n ? G->n : 1) * (size_t)nobj * sizeof *v);
    if (!v)
        return -1;
    for (int i = 0; i < G->n; i++)
        report_objectives(&r->pt[G->first + i], objs, nobj, v + (size_t)i * nobj);
    int nf = pareto_front(v, G->n, nobj, on_front);
    mp_free(v);
    return nf;
}

int report_baseline(const RepData *r, int g, const char *name)
{
    if (!name)
        name = "fp16";
    const RepGroup *G = &r->group[g];
    int best = -1;
    for (int i = G->first; i < G->first + G->n; i++) {
        const DbPoint *p = &r->pt[i];
        if ((!strcmp(p->arch, name) || !strcmp(p->pe_kind, name)) && (best < 0 || p->seconds < r->pt[best].seconds))
            best = i;
    }
    return best;
}

/* Append `item` to the list in buf (", " between items) unless it is there already; "..." once
 * the list is full. */
static void list_add(char *buf, size_t cap, const char *item)
{
    size_t n = strlen(buf), k = strlen(item);
    for (const char *p = buf; (p = strstr(p, item)) != NULL; p += k)
        if ((p == buf || p[-1] == ' ') && (p[k] == ',' || p[k] == '\0'))
            return;
    if (n >= 4 && !strcmp(buf + n - 3, "..."))
        return;
    if (n + k + 2 + 5 >= cap) {
        snprintf(buf + n, cap - n, "%s...", n ? ", " : "");
        return;
    }
    snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", item);
}

int report_check_baseline(const RepData *r, const char *name, MpErr *e)
{
    if (!name)
        return MP_OK;
    for (int i = 0; i < r->npt; i++)
        if (!strcmp(r->pt[i].arch, name) || !strcmp(r->pt[i].pe_kind, name))
            return MP_OK;
    char kinds[256] = "", bases[384] = "";
    for (int i = 0; i < r->npt; i++) {
        list_add(kinds, sizeof kinds, r->pt[i].pe_kind);
        list_add(bases, sizeof bases, r->pt[i].base);
    }
    if (!r->npt)
        return mp_errf(e, MP_EINPUT, "--baseline '%s': the database holds no designs", name);
    return mp_errf(e, MP_EINPUT,
                   "--baseline '%s': no design label or PE kind of that name in the database (PE kinds: %s; "
                   "designs from: %s; labels as 'mpsim summary' prints them, e.g. '%s')",
                   name, kinds, bases, r->pt[0].arch);
}

int rep_kind_index(const char *name)
{
    PeKindId k;
    return pe_kind_from_name(name, &k) == 0 ? (int)k : PE_KIND_COUNT;
}

/* ------------------------------------------------------------------ orders */

static const RepData *sort_r; /* the rows qsort's comparators see */

static int cmp_display(const void *a, const void *b)
{
    const DbPoint *x = &sort_r->pt[*(const int *)a], *y = &sort_r->pt[*(const int *)b];
    int kx = rep_kind_index(x->pe_kind), ky = rep_kind_index(y->pe_kind);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    int c = strcmp(x->arch, y->arch);
    return c ? c : strcmp(x->key, y->key);
}

static int cmp_seconds(const void *a, const void *b)
{
    const DbPoint *x = &sort_r->pt[*(const int *)a], *y = &sort_r->pt[*(const int *)b];
    if (x->seconds != y->seconds)
        return x->seconds < y->seconds ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int cmp_edp(const void *a, const void *b)
{
    const DbPoint *x = &sort_r->pt[*(const int *)a], *y = &sort_r->pt[*(const int *)b];
    double ex = x->seconds * x->energy_pj, ey = y->seconds * y->energy_pj;
    if (ex != ey)
        return ex < ey ? -1 : 1;
    return strcmp(x->key, y->key);
}

void rep_sort(const RepData *r, int *idx, int n, RepOrder by)
{
    sort_r = r;
    qsort(idx, (size_t)n, sizeof *idx,
          by == REP_BY_DISPLAY ? cmp_display : by == REP_BY_SECONDS ? cmp_seconds : cmp_edp);
}

int rep_group_rows(const RepData *r, int g, int front_only, RepOrder by, int *idx)
{
    const RepGroup *G = &r->group[g];
    int n = 0;
    unsigned char *on = NULL;
    if (front_only) {
        static const int all[PARETO_NBASIC] = {PARETO_LATENCY, PARETO_ENERGY, PARETO_AREA, PARETO_ACCURACY};
        on = mp_malloc((size_t)G->n);
        if (!on || report_group_front(r, g, all, PARETO_NBASIC, on) < 0) {
            mp_free(on);
            return -1;
        }
    }
    for (int i = 0; i < G->n; i++)
        if (!on || on[i])
            idx[n++] = G->first + i;
    mp_free(on);
    rep_sort(r, idx, n, by);
    return n;
}

/* ------------------------------------------------------------------ per-layer re-simulation */

int rep_resimulate(const DbPoint *p, RepDetail *d, MpErr *e)
{
    ArchConfig c;
    IniLoad w;
    TechTable t;
    Workload *wl = NULL;
    int rc = ini_schema_load_string(p->arch, p->config, arch_schema, arch_schema_len, &c, &w, e);
    if (rc == MP_OK)
        rc = energy_tech_load(c.tech, &t, NULL, 0, e);
    if (rc == MP_OK) {
        WlPhase ph;
        if (p->has_request) {
            /* a request's per-layer detail is its prefill (mpsim infer splits the decode steps) */
            const WlModel *m = wl_model_find(p->model, e);
            rc = m ? wl_create(m, WL_PREFILL, p->prompt, p->batch, &wl, e) : MP_EINPUT;
        } else if (wl_phase_from_name(p->phase, &ph) != 0)
            rc = mp_errf(e, MP_EINPUT, "unknown phase '%s'", p->phase);
        else if (ph == WL_LAYERS)
            rc = lcsv_load(p->model, &wl, NULL, e);
        else {
            const WlModel *m = wl_model_find(p->model, e);
            rc = m ? wl_create(m, ph, ph == WL_PREFILL ? p->seq : p->kv, p->batch, &wl, e) : MP_EINPUT;
        }
    }
    if (rc == MP_OK) {
        RunOpts o = {FID_FAST, NULL, 1, 0, MAP_OBJ_TIME, NULL, NULL};
        rc = point_eval(&c, &t, wl, &o, 1, &d->pt, e);
    }
    wl_destroy(wl);
    if (rc == MP_OK) {
        d->ok = 1;
        /* a request: its prefill's seconds are its TTFT (the same division, sim/infer.c) */
        d->stale = p->has_request ? d->pt.seconds != p->ttft_s : d->pt.res.total.cycles != p->cycles;
    }
    return rc;
}
