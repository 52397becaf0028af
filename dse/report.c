/* dse/report.c — see report.h. */
#include "dse/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/inischema.h"
#include "sim/config.h"
#include "sim/energy.h"
#include "models/pekind.h"
#include "dse/pareto.h"
#include "sim/point.h"
#include "traces/layercsv.h"

/* ------------------------------------------------------------------ loading and grouping */

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

static int kind_index(const char *name)
{
    PeKindId k;
    return pe_kind_from_name(name, &k) == 0 ? (int)k : PE_KIND_COUNT;
}

/* Rows of group g in display order: PE kind (as pekind.h lists them), then label. */
static const RepData *sort_r;
static int cmp_display(const void *a, const void *b)
{
    const DbPoint *x = &sort_r->pt[*(const int *)a], *y = &sort_r->pt[*(const int *)b];
    int kx = kind_index(x->pe_kind), ky = kind_index(y->pe_kind);
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

/* Indices of the rows of group g to show: all of them (front_only 0) or its 4-objective front. */
static int group_rows(const RepData *r, int g, int front_only, int (*cmp)(const void *, const void *), int *idx)
{
    const RepGroup *G = &r->group[g];
    int n = 0;
    unsigned char *on = NULL;
    if (front_only) {
        static const int all[PARETO_NOBJ] = {PARETO_LATENCY, PARETO_ENERGY, PARETO_AREA, PARETO_ACCURACY};
        on = mp_malloc((size_t)G->n);
        if (!on || report_group_front(r, g, all, PARETO_NOBJ, on) < 0) {
            mp_free(on);
            return -1;
        }
    }
    for (int i = 0; i < G->n; i++)
        if (!on || on[i])
            idx[n++] = G->first + i;
    mp_free(on);
    sort_r = r;
    qsort(idx, (size_t)n, sizeof *idx, cmp);
    return n;
}

/* ------------------------------------------------------------------ text tables */

/* 3 decimals from 1 up, 4 significant digits below (small workloads have sub-unit values). */
static const char *num(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, fabs(v) >= 1 || v == 0 ? "%.3f" : "%.4g", v);
    return buf;
}

static int label_width(const RepData *r, const int *idx, int n)
{
    int w = 6;
    for (int i = 0; i < n; i++) {
        int l = (int)strlen(r->pt[idx[i]].arch);
        if (l > w)
            w = l;
    }
    return w > 72 ? 72 : w;
}

void report_print_summary(FILE *f, const RepData *r, const char *baseline, int limit)
{
    int *idx = mp_malloc((size_t)(r->npt ? r->npt : 1) * sizeof *idx);
    if (!idx)
        return;
    for (int g = 0; g < r->ngroup; g++) {
        const RepGroup *G = &r->group[g];
        int front_only = limit > 0 && G->n > limit;
        int n = group_rows(r, g, front_only, cmp_display, idx);
        if (n < 0)
            break;
        int b = report_baseline(r, g, baseline);
        const DbPoint *B = b >= 0 ? &r->pt[b] : NULL;
        fprintf(f, "%s== %s: %d design%s", g ? "\n" : "", r->pt[G->first].workload, G->n, G->n == 1 ? "" : "s");
        if (front_only)
            fprintf(f, ", the %d on the Pareto front shown", n);
        if (B)
            fprintf(f, "; baseline %s ==\n", B->arch);
        else
            fprintf(f, "; no %s design to compare with ==\n", baseline ? baseline : "fp16");
        int w = label_width(r, idx, n);
        fprintf(f, "%-*s %-13s %6s %12s %9s %11s %8s %9s %7s %8s %7s\n", w, "design", "kind", "PEs", "latency ms",
                "speed-up", "energy mJ", "saving", "area mm2", "area", "SQNR dB", "dSQNR");
        for (int i = 0; i < n; i++) {
            const DbPoint *p = &r->pt[idx[i]];
            char sp[16] = "-", sv[16] = "-", ar[16] = "-", acc[16] = "-", dacc[16] = "-";
            if (B) {
                snprintf(sp, sizeof sp, "%.2fx", B->seconds / p->seconds);
                snprintf(sv, sizeof sv, "%.2fx", B->energy_pj / p->energy_pj);
                snprintf(ar, sizeof ar, "%.2fx", p->area_mm2 / B->area_mm2);
            }
            if (p->has_accuracy)
                snprintf(acc, sizeof acc, "%.2f", p->accuracy_db);
            if (p->has_accuracy && B && B->has_accuracy)
                snprintf(dacc, sizeof dacc, "%+.2f", p->accuracy_db - B->accuracy_db);
            char lat[32], en[32];
            fprintf(f, "%-*.*s %-13s %6d %12s %9s %11s %8s %9.3f %7s %8s %7s\n", w, w, p->arch, p->pe_kind,
                    p->rows * p->cols, num(lat, sizeof lat, p->seconds * 1e3), sp, num(en, sizeof en, p->energy_pj / 1e9),
                    sv, p->area_mm2, ar, acc, dacc);
        }
    }
    if (r->ngroup)
        fprintf(f, "\nspeed-up = baseline latency / latency; saving = baseline energy / energy; area = area / baseline "
                   "area;\nSQNR = output SQNR of the kind's number format against fp64 (accuracy table below); "
                   "dSQNR = SQNR - baseline SQNR\n");
    mp_free(idx);
}

static void fmt_db(char *buf, size_t cap, int ok, double v)
{
    if (!ok)
        snprintf(buf, cap, "-");
    else if (isinf(v))
        snprintf(buf, cap, "exact");
    else
        snprintf(buf, cap, "%.2f", v);
}

void report_print_accuracy(FILE *f, const RepData *r)
{
    if (!r->nacc)
        return;
    fprintf(f, "\n== accuracy: output SQNR of each format against the fp64 GEMM (synthetic LLM-like tensors) ==\n");
    fprintf(f, "%-14s %-12s %6s %9s %9s %9s %11s %6s  %s\n", "model", "format", "group", "SQNR dB", "ideal dB",
            "weight dB", "datapath dB", "GEMMs", "study");
    for (int i = 0; i < r->nacc; i++) {
        const DbAcc *a = &r->acc[i];
        char s1[16], s2[16], s3[16], s4[16];
        fmt_db(s1, sizeof s1, a->ok, a->sqnr_db);
        fmt_db(s2, sizeof s2, a->ok, a->ideal_db);
        fmt_db(s3, sizeof s3, a->ok, a->weight_db);
        fmt_db(s4, sizeof s4, a->ok, a->hw_vs_ideal_db);
        char grp[16];
        snprintf(grp, sizeof grp, a->group_size ? "%d" : "-", a->group_size);
        fprintf(f, "%-14s %-12s %6s %9s %9s %9s %11s %6d  %d layer%s, %d rows x %d tokens, seed %lld%s%s\n", a->model,
                a->format, grp, s1, s2, s3, s4, a->gemms, a->layers, a->layers == 1 ? "" : "s", a->rows, a->tokens,
                (long long)a->seed, a->ok ? "" : "; failed: ", a->ok ? "" : a->message);
    }
    fprintf(f, "SQNR: hardware-exact datapath; ideal: dequantized values in fp64; weight: the weights alone; "
               "datapath: hardware-exact against ideal (docs/accuracy.md)\n");
}

int report_print_pareto(FILE *f, const RepData *r, const int *objs, int nobj, const char *filter, MpErr *e)
{
    int *idx = mp_malloc((size_t)(r->npt ? r->npt : 1) * sizeof *idx);
    unsigned char *on = mp_malloc((size_t)(r->npt ? r->npt : 1));
    int rc = idx && on ? MP_OK : mp_errf(e, MP_ENOMEM, "out of memory"), shown = 0;
    for (int g = 0; rc == MP_OK && g < r->ngroup; g++) {
        const RepGroup *G = &r->group[g];
        if (filter && !strstr(r->pt[G->first].workload, filter))
            continue;
        int nf = report_group_front(r, g, objs, nobj, on);
        if (nf < 0) {
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
            break;
        }
        int n = 0;
        for (int i = 0; i < G->n; i++)
            if (on[i])
                idx[n++] = G->first + i;
        /* sort by the first objective */
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0; j--) {
                double a[1], b[1];
                report_objectives(&r->pt[idx[j]], objs, 1, a);
                report_objectives(&r->pt[idx[j - 1]], objs, 1, b);
                if (!(a[0] < b[0] || (isnan(b[0]) && !isnan(a[0]))))
                    break;
                int t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        fprintf(f, "%s== %s: Pareto front over", shown++ ? "\n" : "", r->pt[G->first].workload);
        for (int j = 0; j < nobj; j++)
            fprintf(f, "%s %s", j ? "," : "", pareto_obj_names[objs[j]]);
        fprintf(f, ": %d of %d designs ==\n", nf, G->n);
        int w = label_width(r, idx, n);
        fprintf(f, "%-*s %-13s %6s %12s %11s %9s %8s  %s\n", w, "design", "kind", "PEs", "latency ms", "energy mJ",
                "area mm2", "SQNR dB", "key");
        for (int i = 0; i < n; i++) {
            const DbPoint *p = &r->pt[idx[i]];
            char acc[16];
            fmt_db(acc, sizeof acc, p->has_accuracy, p->accuracy_db);
            char lat[32], en[32];
            fprintf(f, "%-*.*s %-13s %6d %12s %11s %9.3f %8s  %s\n", w, w, p->arch, p->pe_kind, p->rows * p->cols,
                    num(lat, sizeof lat, p->seconds * 1e3), num(en, sizeof en, p->energy_pj / 1e9), p->area_mm2, acc,
                    p->key);
        }
    }
    if (rc == MP_OK && !shown)
        rc = mp_errf(e, MP_EINPUT, "no workload %s%s%s in the database", filter ? "matches '" : "",
                     filter ? filter : "", filter ? "'" : "(the database has no results)");
    mp_free(idx);
    mp_free(on);
    return rc;
}

/* ------------------------------------------------------------------ report folder helpers */

typedef struct Out {
    char dir[1100];
    MpErr *e;
    int rc;
} Out;

static FILE *ofile(Out *o, const char *name)
{
    if (o->rc)
        return NULL;
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", o->dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        o->rc = mp_errf(o->e, MP_EIO, "%s: cannot write: %s", p, strerror(errno));
    return f;
}

static void oclose(Out *o, FILE *f, const char *name)
{
    if (!f)
        return;
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        if (!o->rc)
            o->rc = mp_errf(o->e, MP_EIO, "%s/%s: write error", o->dir, name);
}

/* Remove the regular files of a flat folder, then the folder. */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            char p[1400];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

#define MARKER ".mpsim-report"

/* 0: out may be written (missing, empty, or an earlier report); else MP_EINPUT. */
static int check_out(const char *out, int *exists, MpErr *e)
{
    struct stat sb;
    *exists = 0;
    if (stat(out, &sb) != 0)
        return MP_OK;
    if (!S_ISDIR(sb.st_mode))
        return mp_errf(e, MP_EINPUT, "--out %s: exists and is not a folder", out);
    *exists = 1;
    char m[1200];
    snprintf(m, sizeof m, "%s/%s", out, MARKER);
    if (stat(m, &sb) == 0)
        return MP_OK;
    DIR *d = opendir(out);
    int empty = 1;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            empty = 0;
    if (d)
        closedir(d);
    return empty ? MP_OK
                 : mp_errf(e, MP_EINPUT, "--out %s: folder exists and holds something other than an mpsim report; "
                                         "choose another folder",
                           out);
}

/* Run argv[0] in dir with stdout and stderr into dir/log; the exit status (127: cannot run). */
static int run_in(const char *dir, const char *const argv[], const char *log)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void slug(int g, const char *desc, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "w%d-", g + 1);
    for (const char *s = desc; *s && n + 1 < cap; s++) {
        char c = *s;
        if (c == '=')
            continue;
        out[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
                       ? c
                       : (c == ' ' ? '-' : '_');
    }
    out[n] = '\0';
}

static void html_esc(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

/* A string for a data file: double-quoted, with '"' replaced. */
static void dat_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fputc(*s == '"' ? '\'' : *s, f);
    fputc('"', f);
}

/* A string inside a gnuplot single-quoted literal: ' doubled. */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
}

/* Colours: one per PE kind (pekind.h order), one per energy component, a palette for designs. */
static const char *const kind_color[PE_KIND_COUNT + 1] = {"#404040", "#1f77b4", "#8c564b", "#2ca02c", "#8fce6a",
                                                          "#17becf", "#d62728", "#9467bd", "#ff7f0e", "#bcbd22"};
static const char *const design_color[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"};
#define NDCOLOR ((int)(sizeof design_color / sizeof design_color[0]))
static const char *const comp_name[] = {"PE", "SRAM", "DRAM", "decoders", "dequant", "leakage", "other"};
static const char *const comp_color[] = {"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#7f7f7f", "#17becf"};

static double comp_value(const DbPoint *p, int c)
{
    const double v[] = {p->e_pe, p->e_sram, p->e_dram, p->e_decoder, p->e_dequant, p->e_leakage, p->e_other};
    return v[c];
}

/* ------------------------------------------------------------------ per-layer re-simulation */

typedef struct Detail {
    int row;          /* index into RepData.pt */
    int ok;           /* re-simulated */
    int stale;        /* total cycles differ from the database row */
    char why[256];
    Point pt;
} Detail;

static int resimulate(const DbPoint *p, Detail *d, MpErr *e)
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
        if (wl_phase_from_name(p->phase, &ph) != 0)
            rc = mp_errf(e, MP_EINPUT, "unknown phase '%s'", p->phase);
        else if (ph == WL_LAYERS)
            rc = lcsv_load(p->model, &wl, NULL, e);
        else {
            const WlModel *m = wl_model_find(p->model, e);
            rc = m ? wl_create(m, ph, ph == WL_PREFILL ? p->seq : p->kv, p->batch, &wl, e) : MP_EINPUT;
        }
    }
    if (rc == MP_OK) {
        RunOpts o = {FID_FAST, NULL, 1, 0};
        rc = point_eval(&c, &t, wl, &o, 1, &d->pt, e);
    }
    wl_destroy(wl);
    if (rc == MP_OK) {
        d->ok = 1;
        d->stale = d->pt.res.total.cycles != p->cycles;
    }
    return rc;
}

/* ------------------------------------------------------------------ plots */

typedef struct PlotCtx {
    Out *o;
    FILE *gp;
    const char *png;      /* terminal name or NULL */
    int nplots;
} PlotCtx;

/* Set the terminals for one plot: SVG now, PNG via replot after the plot command (plot_end). */
static void plot_begin(PlotCtx *c, const char *stem, int w, int h)
{
    fprintf(c->gp, "\nreset\nset terminal svg size %d,%d dynamic noenhanced font 'Sans,11' background "
                   "'#ffffff'\nset output '%s.svg'\nset grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n",
            w, h, stem);
}

static void plot_end(PlotCtx *c, const char *stem, int w, int h)
{
    c->nplots++;
    if (c->png) {
        fprintf(c->gp, "set terminal %s size %d,%d noenhanced font 'Sans,10' background '#ffffff'\nset output "
                       "'%s.png'\nreplot\n",
                c->png, w, h, stem);
        c->nplots++;
    }
    fprintf(c->gp, "unset output\n");
}

static void range_of(const double *v, int n, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > 0) {
            if (v[i] < *lo)
                *lo = v[i];
            if (v[i] > *hi)
                *hi = v[i];
        }
}

static void plot_pareto(PlotCtx *c, const RepData *r, int g, const char *sl)
{
    const RepGroup *G = &r->group[g];
    char name[512], stem[400];
    snprintf(stem, sizeof stem, "pareto_%s", sl);
    snprintf(name, sizeof name, "%s.dat", stem);
    FILE *f = ofile(c->o, name);
    if (!f)
        return;
    /* one block per PE kind present, then the (latency, energy) front as a last block */
    int present[PE_KIND_COUNT + 1] = {0}, nblock = 0, blk[PE_KIND_COUNT + 1];
    for (int i = 0; i < G->n; i++)
        present[kind_index(r->pt[G->first + i].pe_kind)] = 1;
    double *xs = mp_malloc((size_t)G->n * 2 * sizeof *xs);
    if (!xs) {
        oclose(c->o, f, name);
        c->o->rc = mp_errf(c->o->e, MP_ENOMEM, "out of memory");
        return;
    }
    for (int k = 0; k <= PE_KIND_COUNT; k++) {
        if (!present[k])
            continue;
        blk[nblock++] = k;
        fprintf(f, "# kind %s: design, latency ms, energy mJ\n", k < PE_KIND_COUNT ? pe_kind_names[k] : "other");
        for (int i = 0; i < G->n; i++) {
            const DbPoint *p = &r->pt[G->first + i];
            if (kind_index(p->pe_kind) != k)
                continue;
            dat_str(f, p->arch);
            fprintf(f, " %.9g %.9g\n", p->seconds * 1e3, p->energy_pj / 1e9);
        }
        fprintf(f, "\n\n");
    }
    for (int i = 0; i < G->n; i++) {
        xs[i] = r->pt[G->first + i].seconds * 1e3;
        xs[G->n + i] = r->pt[G->first + i].energy_pj / 1e9;
    }
    static const int two[2] = {PARETO_LATENCY, PARETO_ENERGY};
    unsigned char *on = mp_malloc((size_t)G->n);
    int *idx = mp_malloc((size_t)G->n * sizeof *idx), nf = 0;
    if (on && idx && report_group_front(r, g, two, 2, on) >= 0) {
        for (int i = 0; i < G->n; i++)
            if (on[i])
                idx[nf++] = G->first + i;
        sort_r = r;
        qsort(idx, (size_t)nf, sizeof *idx, cmp_seconds);
    }
    fprintf(f, "# Pareto front over latency and energy\n");
    for (int i = 0; i < nf; i++)
        fprintf(f, "%.9g %.9g\n", r->pt[idx[i]].seconds * 1e3, r->pt[idx[i]].energy_pj / 1e9);
    /* labels: designs at the same point share one */
    fprintf(f, "\n\n# labels: latency ms, energy mJ, designs\n");
    for (int i = 0; i < G->n && G->n <= 24; i++) {
        const DbPoint *p = &r->pt[G->first + i];
        int first = 1;
        for (int j = 0; j < i && first; j++)
            first = !(r->pt[G->first + j].seconds == p->seconds && r->pt[G->first + j].energy_pj == p->energy_pj);
        if (!first)
            continue;
        char lab[1024];
        size_t n = 0;
        lab[0] = '\0';
        for (int j = i; j < G->n; j++) {
            const DbPoint *q = &r->pt[G->first + j];
            if (q->seconds == p->seconds && q->energy_pj == p->energy_pj && n < sizeof lab)
                n += (size_t)snprintf(lab + n, sizeof lab - n, "%s%s", n ? ", " : "", q->arch);
        }
        fprintf(f, "%.9g %.9g ", p->seconds * 1e3, p->energy_pj / 1e9);
        dat_str(f, lab);
        fprintf(f, "\n");
    }
    if (G->n > 24)
        fprintf(f, "nan nan \"\"\n");
    mp_free(on);
    mp_free(idx);
    oclose(c->o, f, name);
    double xlo, xhi, ylo, yhi;
    range_of(xs, G->n, &xlo, &xhi);
    range_of(xs + G->n, G->n, &ylo, &yhi);
    mp_free(xs);
    int logx = xhi > 20 * xlo, logy = yhi > 20 * ylo;
    FILE *gp = c->gp;
    plot_begin(c, stem, 900, 600);
    fprintf(gp, "set title ");
    gp_str(gp, r->pt[G->first].workload);
    fprintf(gp, "\nset xlabel 'latency (ms)'\nset ylabel 'energy (mJ)'\nset key outside right top\n");
    fprintf(gp, "%s\n%s\n", logx ? "set logscale x" : "", logy ? "set logscale y" : "");
    /* a margin around the points so that labels and markers stay inside */
    if (logx)
        fprintf(gp, "set xrange [%.9g:%.9g]\n", xlo / 1.3, xhi * 1.3);
    else
        fprintf(gp, "set xrange [%.9g:%.9g]\n", xlo - 0.08 * (xhi - xlo + xhi * 0.05), xhi + 0.2 * (xhi - xlo + xhi * 0.05));
    if (logy)
        fprintf(gp, "set yrange [%.9g:%.9g]\n", ylo / 1.3, yhi * 1.3);
    else
        fprintf(gp, "set yrange [%.9g:%.9g]\n", ylo - 0.08 * (yhi - ylo + yhi * 0.05), yhi + 0.08 * (yhi - ylo + yhi * 0.05));
    fprintf(gp, "plot ");
    for (int b = 0; b < nblock; b++) {
        int k = blk[b];
        fprintf(gp, "'%s' index %d using 2:3 with points pt 7 ps 1.3 lc rgb '%s' title '%s', \\\n     ", name, b,
                kind_color[k], k < PE_KIND_COUNT ? pe_kind_names[k] : "other");
    }
    fprintf(gp, "'%s' index %d using 1:2 with steps dt 2 lw 1.5 lc rgb '#555555' notitle, \\\n     "
                "'%s' index %d using 1:2 with points pt 6 ps 2.4 lw 1.5 lc rgb '#555555' title 'front (latency, "
                "energy)'",
            name, nblock, name, nblock);
    if (G->n <= 24)
        fprintf(gp, ", \\\n     '%s' index %d using 1:2:3 with labels offset char 1.2,0.6 left font ',8' "
                    "tc rgb '#333333' notitle",
                name, nblock + 1);
    fprintf(gp, "\n");
    plot_end(c, stem, 900, 600);
}

static void plot_energy(PlotCtx *c, const RepData *r, int g, const int *rows, int n, const char *sl)
{
    char name[512], stem[400];
    snprintf(stem, sizeof stem, "energy_%s", sl);
    snprintf(name, sizeof name, "%s.dat", stem);
    FILE *f = ofile(c->o, name);
    if (!f)
        return;
    fprintf(f, "# design, energy in mJ by component:");
    for (int k = 0; k < 7; k++)
        fprintf(f, " %s", comp_name[k]);
    fprintf(f, "\n");
    for (int i = 0; i < n; i++) {
        dat_str(f, r->pt[rows[i]].arch);
        for (int k = 0; k < 7; k++)
            fprintf(f, " %.9g", comp_value(&r->pt[rows[i]], k) / 1e9);
        fprintf(f, "\n");
    }
    oclose(c->o, f, name);
    FILE *gp = c->gp;
    int w = 900, h = 620;
    plot_begin(c, stem, w, h);
    fprintf(gp, "set title ");
    gp_str(gp, r->pt[r->group[g].first].workload);
    fprintf(gp, "\nset ylabel 'energy (mJ)'\nset style data histograms\nset style histogram rowstacked\n"
                "set style fill solid 0.9 border rgb '#333333'\nset boxwidth 0.7\nset key outside right top\n"
                "set xtics rotate by -35 left nomirror font ',9'\nset yrange [0:*]\nset bmargin 9\nset rmargin 16\n"
                "set grid noxtics ytics\nplot ");
    for (int k = 0; k < 7; k++)
        fprintf(gp, "%s'%s' using %d%s title '%s' lc rgb '%s'", k ? ", \\\n     " : "", name, k + 2,
                k == 0 ? ":xtic(1)" : "", comp_name[k], comp_color[k]);
    fprintf(gp, "\n");
    plot_end(c, stem, w, h);
}

/* Per-layer latency bars: layers on x, one bar per design. */
static void plot_layers(PlotCtx *c, const RepData *r, int g, const Detail *dt, int n, const char *sl)
{
    const Detail *ref = NULL;
    int nd = 0;
    for (int i = 0; i < n; i++)
        if (dt[i].ok) {
            ref = ref ? ref : &dt[i];
            nd++;
        }
    if (!ref)
        return;
    char name[512], stem[400];
    snprintf(stem, sizeof stem, "layers_%s", sl);
    snprintf(name, sizeof name, "%s.dat", stem);
    FILE *f = ofile(c->o, name);
    if (!f)
        return;
    fprintf(f, "# layer, then latency in ms (all instances) per design:");
    for (int i = 0; i < n; i++)
        if (dt[i].ok)
            fprintf(f, " [%s]", r->pt[dt[i].row].arch);
    fprintf(f, "\n");
    double lo = INFINITY, hi = 0;
    for (int l = 0; l < ref->pt.res.nlayer; l++) {
        dat_str(f, ref->pt.res.layer[l].g.name);
        for (int i = 0; i < n; i++) {
            if (!dt[i].ok)
                continue;
            const RunLayer *L = &dt[i].pt.res.layer[l < dt[i].pt.res.nlayer ? l : 0];
            double ms = (double)L->r.ev.cycles * L->g.count / (dt[i].pt.cfg.clock_mhz * 1e6) * 1e3;
            fprintf(f, " %.9g", ms);
            if (ms > 0 && ms < lo)
                lo = ms;
            if (ms > hi)
                hi = ms;
        }
        fprintf(f, "\n");
    }
    oclose(c->o, f, name);
    FILE *gp = c->gp;
    int w = 1000, h = 600;
    plot_begin(c, stem, w, h);
    fprintf(gp, "set title ");
    gp_str(gp, r->pt[r->group[g].first].workload);
    fprintf(gp, "\nset ylabel 'latency per layer kind, all instances (ms)'\nset style data histograms\n"
                "set style histogram clustered gap 1\nset style fill solid 0.9 border rgb '#333333'\n"
                "set key outside right top font ',9'\nset xtics nomirror rotate by -30 left\nset grid noxtics ytics\n"
                "set bmargin 6\n");
    if (hi > 50 * lo)
        fprintf(gp, "set logscale y\nset yrange [%.9g:%.9g]\n", lo / 2, hi * 2);
    else
        fprintf(gp, "set yrange [0:*]\n");
    fprintf(gp, "plot ");
    int col = 2, k = 0;
    for (int i = 0; i < n; i++) {
        if (!dt[i].ok)
            continue;
        fprintf(gp, "%s'%s' using %d%s title ", k ? ", \\\n     " : "", name, col++, k == 0 ? ":xtic(1)" : "");
        gp_str(gp, r->pt[dt[i].row].arch);
        fprintf(gp, " lc rgb '%s'", design_color[k % NDCOLOR]);
        k++;
    }
    fprintf(gp, "\n");
    plot_end(c, stem, w, h);
}

/* Roofline of one design: peak MAC/s, DRAM bandwidth, each layer at (MACs / DRAM byte, MAC/s). */
static void plot_roofline(PlotCtx *c, const RepData *r, const Detail *d, int dk, const char *sl)
{
    const DbPoint *p = &r->pt[d->row];
    const ArchConfig *cfg = &d->pt.cfg;
    double hz = cfg->clock_mhz * 1e6;
    double peak = (double)cfg->rows * cfg->cols * point_peak_macs_per_pe_cycle(cfg) * hz / 1e9; /* GMAC/s */
    double bw = cfg->dram_bits_per_cycle / 8.0 * hz / 1e9;                                        /* GB/s   */
    char name[512], stem[400];
    snprintf(stem, sizeof stem, "roofline_%s_d%d", sl, dk + 1);
    snprintf(name, sizeof name, "%s.dat", stem);
    FILE *f = ofile(c->o, name);
    if (!f)
        return;
    fprintf(f, "# one block per group of layers at (nearly) the same point: MACs per DRAM byte, GMAC/s, bound\n");
    double xlo = peak / bw, xhi = peak / bw, ylo = peak;
    const RunResult *res = &d->pt.res;
    int nl = res->nlayer, ng = 0;
    double *ai = mp_calloc((size_t)(nl ? nl : 1), sizeof *ai), *perf = mp_calloc((size_t)(nl ? nl : 1), sizeof *perf);
    int *grp = mp_calloc((size_t)(nl ? nl : 1), sizeof *grp);
    char (*names)[512] = mp_calloc((size_t)(nl ? nl : 1), sizeof *names);
    if (!ai || !perf || !grp || !names) {
        mp_free(ai);
        mp_free(perf);
        mp_free(grp);
        mp_free(names);
        oclose(c->o, f, name);
        c->o->rc = mp_errf(c->o->e, MP_ENOMEM, "out of memory");
        return;
    }
    /* layers whose points are within 4% in both coordinates share a marker and a legend line */
    for (int l = 0; l < nl; l++) {
        const SimEvents *ev = &res->layer[l].r.ev;
        double bytes = (double)(ev->dram_read_bits + ev->dram_write_bits) / 8;
        grp[l] = -1;
        if (bytes <= 0 || ev->cycles <= 0)
            continue;
        ai[l] = (double)ev->macs / bytes;
        perf[l] = (double)ev->macs / ((double)ev->cycles / hz) / 1e9;
        for (int m = 0; m < l && grp[l] < 0; m++)
            if (grp[m] >= 0 && fabs(log(ai[m] / ai[l])) < 0.04 && fabs(log(perf[m] / perf[l])) < 0.04)
                grp[l] = grp[m];
        if (grp[l] < 0) {
            grp[l] = ng++;
            snprintf(names[grp[l]], sizeof names[0], "%s", res->layer[l].g.name);
        } else {
            size_t len = strlen(names[grp[l]]);
            snprintf(names[grp[l]] + len, sizeof names[0] - len, ", %s", res->layer[l].g.name);
        }
        xlo = ai[l] < xlo ? ai[l] : xlo;
        xhi = ai[l] > xhi ? ai[l] : xhi;
        ylo = perf[l] < ylo ? perf[l] : ylo;
    }
    for (int q = 0; q < ng; q++) {
        fprintf(f, "# %s\n", names[q]);
        for (int l = 0; l < nl; l++)
            if (grp[l] == q)
                fprintf(f, "%.9g %.9g %s\n", ai[l], perf[l], point_bound(cfg, &res->layer[l].r.ev));
        fprintf(f, "\n\n");
    }
    oclose(c->o, f, name);
    FILE *gp = c->gp;
    int w = 900, h = 600;
    plot_begin(c, stem, w, h);
    fprintf(gp, "set title ");
    char t[800];
    snprintf(t, sizeof t, "%s on %s (%s, %dx%d PEs)", p->workload, p->arch, p->pe_kind, p->rows, p->cols);
    gp_str(gp, t);
    fprintf(gp, "\nset logscale xy\nset xlabel 'arithmetic intensity (MACs per DRAM byte)'\n"
                "set ylabel 'performance (GMAC/s)'\nset samples 500\n"
                "P = %.9g\nB = %.9g\nroof(x) = x * B < P ? x * B : P\n",
            peak, bw);
    fprintf(gp, "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n", xlo / 4, xhi * 8, ylo / 4, peak * 3);
    fprintf(gp, "set key left top font ',9'\nplot roof(x) with lines lw 2 lc rgb '#333333' title sprintf('roof: peak "
                "%%.0f GMAC/s, DRAM %%.1f GB/s', P, B)");
    static const int ptype[] = {7, 5, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14};
    for (int q = 0; q < ng; q++) {
        fprintf(gp, ", \\\n     '%s' index %d using 1:2 with points pt %d ps 1.6 lc rgb '%s' title ", name, q,
                ptype[q % 12], design_color[q % NDCOLOR]);
        gp_str(gp, names[q]);
    }
    fprintf(gp, "\n");
    mp_free(ai);
    mp_free(perf);
    mp_free(grp);
    mp_free(names);
    plot_end(c, stem, w, h);
}

/* ------------------------------------------------------------------ CSV */

static void write_results_csv(Out *o, const RepData *r)
{
    FILE *f = ofile(o, "results.csv");
    if (!f)
        return;
    fputs("key,arch,base,params,pe_kind,rows,cols,pes,dataflow,weight_bits,group_size,dram_bits_per_cycle,dram_tech,"
          "clock_mhz,workload,model,phase,seq,kv,batch,cycles,seconds,macs,dram_bytes,utilization,area_mm2,energy_pj,"
          "energy_pe_pj,energy_sram_pj,energy_dram_pj,energy_decoder_pj,energy_dequant_pj,energy_leakage_pj,"
          "energy_other_pj,acc_format,accuracy_db\n",
          f);
    for (int i = 0; i < r->npt; i++) {
        const DbPoint *p = &r->pt[i];
        const char *s[] = {p->key, p->arch, p->base, p->params, p->pe_kind};
        for (int k = 0; k < 5; k++) {
            csv_str(f, s[k]);
            fputc(',', f);
        }
        fprintf(f, "%d,%d,%d,%s,%d,%d,%d,%s,", p->rows, p->cols, p->rows * p->cols, p->dataflow, p->weight_bits,
                p->group_size, p->dram_bits_per_cycle, p->dram_tech);
        csv_num(f, p->clock_mhz);
        fputc(',', f);
        csv_str(f, p->workload);
        fputc(',', f);
        csv_str(f, p->model);
        fprintf(f, ",%s,", p->phase);
        if (p->seq)
            fprintf(f, "%lld", (long long)p->seq);
        fputc(',', f);
        if (p->kv)
            fprintf(f, "%lld", (long long)p->kv);
        fprintf(f, ",%lld,%lld,", (long long)p->batch, (long long)p->cycles);
        const double v[] = {p->seconds, (double)p->macs, p->dram_bytes, p->utilization, p->area_mm2, p->energy_pj,
                            p->e_pe, p->e_sram, p->e_dram, p->e_decoder, p->e_dequant, p->e_leakage, p->e_other};
        for (int k = 0; k < 13; k++) {
            if (k == 1)
                fprintf(f, "%lld", (long long)p->macs);
            else
                csv_num(f, v[k]);
            fputc(',', f);
        }
        csv_str(f, p->acc_format);
        fputc(',', f);
        if (p->has_accuracy)
            csv_num(f, p->accuracy_db);
        fputc('\n', f);
    }
    oclose(o, f, "results.csv");
}

static void write_accuracy_csv(Out *o, const RepData *r)
{
    FILE *f = ofile(o, "accuracy.csv");
    if (!f)
        return;
    fputs("model,format,group_size,layers,rows,tokens,seed,sqnr_db,ideal_sqnr_db,weight_sqnr_db,hw_vs_ideal_db,gemms,"
          "message\n",
          f);
    for (int i = 0; i < r->nacc; i++) {
        const DbAcc *a = &r->acc[i];
        csv_str(f, a->model);
        fprintf(f, ",%s,%d,%d,%d,%d,%lld,", a->format, a->group_size, a->layers, a->rows, a->tokens,
                (long long)a->seed);
        const double v[] = {a->sqnr_db, a->ideal_db, a->weight_db, a->hw_vs_ideal_db};
        for (int k = 0; k < 4; k++) {
            if (a->ok)
                csv_num(f, v[k]);
            fputc(',', f);
        }
        fprintf(f, "%d,", a->gemms);
        csv_str(f, a->ok ? "" : a->message);
        fputc('\n', f);
    }
    oclose(o, f, "accuracy.csv");
}

/* ------------------------------------------------------------------ HTML */

static void html_head(FILE *h, const char *db)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mpsim report: ", h);
    html_esc(h, db);
    fputs("</title>\n<style>\n"
          "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\n"
          "table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}\n"
          "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
          "th{background:#f0f0f0}td.l,th.l{text-align:left}\n"
          "tr.base td{background:#fff8dc}\n"
          "figure{display:inline-block;margin:0.5em}figure img{max-width:100%;border:1px solid #ddd}\n"
          "figcaption{font-size:0.85em;color:#555}\n"
          "nav a{margin-right:1em}\n"
          "</style>\n</head>\n<body>\n",
          h);
}

static void html_td(FILE *h, const char *cls, const char *fmt, ...) MP_PRINTF(3, 4);
static void html_td(FILE *h, const char *cls, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(h, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    html_esc(h, buf);
    fputs("</td>", h);
}

static void html_figure(FILE *h, const char *stem, const char *caption, const char *png)
{
    fprintf(h, "<figure><a href=\"%s.svg\"><img src=\"%s.svg\" alt=\"", stem, stem);
    html_esc(h, caption);
    fputs("\"></a><figcaption>", h);
    html_esc(h, caption);
    fprintf(h, " (<a href=\"%s.svg\">SVG</a>", stem);
    if (png)
        fprintf(h, ", <a href=\"%s.png\">PNG</a>", stem);
    fprintf(h, ", <a href=\"%s.dat\">data</a>)</figcaption></figure>\n", stem);
}

static void html_summary_table(FILE *h, const RepData *r, int g, const int *idx, int n, const char *baseline,
                               const unsigned char *front)
{
    int b = report_baseline(r, g, baseline);
    const DbPoint *B = b >= 0 ? &r->pt[b] : NULL;
    fputs("<table>\n<tr><th class=\"l\">design</th><th class=\"l\">kind</th><th>PEs</th><th>latency ms</th>"
          "<th>speed-up</th><th>energy mJ</th><th>saving</th><th>area mm²</th><th>area</th><th>SQNR dB</th>"
          "<th>ΔSQNR</th><th>util %</th><th>front</th></tr>\n",
          h);
    for (int i = 0; i < n; i++) {
        const DbPoint *p = &r->pt[idx[i]];
        fprintf(h, "<tr%s>", idx[i] == b ? " class=\"base\"" : "");
        html_td(h, "l", "%s", p->arch);
        html_td(h, "l", "%s", p->pe_kind);
        html_td(h, NULL, "%d", p->rows * p->cols);
        char t1[32], t2[32];
        html_td(h, NULL, "%s", num(t1, sizeof t1, p->seconds * 1e3));
        html_td(h, NULL, B ? "%.2fx" : "-", B ? B->seconds / p->seconds : 0);
        html_td(h, NULL, "%s", num(t2, sizeof t2, p->energy_pj / 1e9));
        html_td(h, NULL, B ? "%.2fx" : "-", B ? B->energy_pj / p->energy_pj : 0);
        html_td(h, NULL, "%.3f", p->area_mm2);
        html_td(h, NULL, B ? "%.2fx" : "-", B ? p->area_mm2 / B->area_mm2 : 0);
        html_td(h, NULL, p->has_accuracy ? "%.2f" : "-", p->accuracy_db);
        html_td(h, NULL, p->has_accuracy && B && B->has_accuracy ? "%+.2f" : "-",
                B ? p->accuracy_db - B->accuracy_db : 0);
        html_td(h, NULL, "%.1f", 100 * p->utilization);
        html_td(h, NULL, "%s", front && front[idx[i] - r->group[g].first] ? "yes" : "");
        fputs("</tr>\n", h);
    }
    fputs("</table>\n", h);
}

/* ------------------------------------------------------------------ the report */

static int pick_png(const char *gnuplot, const char *dir)
{
    const char *const a1[] = {gnuplot, "-e", "set terminal pngcairo", NULL};
    if (run_in(dir, a1, "gnuplot.log") == 0)
        return 1;
    const char *const a2[] = {gnuplot, "-e", "set terminal png", NULL};
    return run_in(dir, a2, "gnuplot.log") == 0 ? 2 : 0;
}

int report_write(const RepData *r, const char *db_path, const char *out, const ReportOpts *ro, ReportInfo *info,
                 MpErr *e)
{
    memset(info, 0, sizeof *info);
    char outb[1024];
    snprintf(outb, sizeof outb, "%s", out);
    for (size_t n = strlen(outb); n > 1 && outb[n - 1] == '/'; n--) /* "report/" is the folder "report" */
        outb[n - 1] = '\0';
    if (!outb[0] || !strcmp(outb, "/") || !strcmp(outb, ".") || !strcmp(outb, ".."))
        return mp_errf(e, MP_EINPUT, "--out '%s': name a folder of its own for the report", out);
    out = outb;
    int exists = 0;
    int rc = check_out(out, &exists, e);
    if (rc)
        return rc;
    if (!r->npt)
        return mp_errf(e, MP_EINPUT, "%s: no results to report", db_path);
    Out o = {{0}, e, MP_OK};
    snprintf(o.dir, sizeof o.dir, "%s.tmp.%ld", out, (long)getpid());
    remove_flat_dir(o.dir);
    if (mkdir(o.dir, 0755) != 0)
        return mp_errf(e, MP_EIO, "%s: cannot create: %s", o.dir, strerror(errno));
    const char *gnuplot = ro->gnuplot ? ro->gnuplot : "gnuplot";
    int top = ro->top > 0 ? ro->top : 12;

    /* gnuplot and its PNG terminal */
    const char *const ver[] = {gnuplot, "--version", NULL};
    int have_gp = run_in(o.dir, ver, "gnuplot.log") == 0;
    int png = have_gp ? pick_png(gnuplot, o.dir) : 0;
    info->gnuplot_missing = !have_gp;
    snprintf(info->png_terminal, sizeof info->png_terminal, "%s", png == 1 ? "pngcairo" : png == 2 ? "png" : "");
    PlotCtx pc = {&o, NULL, png ? info->png_terminal : NULL, 0};

    write_results_csv(&o, r);
    write_accuracy_csv(&o, r);
    FILE *sum = ofile(&o, "summary.txt");
    if (sum) {
        report_print_summary(sum, r, ro->baseline, 40);
        report_print_accuracy(sum, r);
        oclose(&o, sum, "summary.txt");
    }
    FILE *pcsv = ofile(&o, "pareto.csv"), *lcsv = ofile(&o, "layers.csv");
    pc.gp = ofile(&o, "plots.gp");
    FILE *h = ofile(&o, "index.html");
    if (pcsv)
        fputs("workload,key,arch,pe_kind,seconds,energy_pj,area_mm2,accuracy_db\n", pcsv);
    if (lcsv)
        fputs("workload,arch,layer,m,n,k,count,cycles,seconds,macs,dram_bytes,energy_pj,macs_per_dram_byte,"
              "gmac_per_s,bound\n",
              lcsv);
    if (pc.gp)
        fprintf(pc.gp, "# gnuplot script of this report (run 'gnuplot plots.gp' in this folder to redraw)\n");
    int *idx = mp_malloc((size_t)r->npt * sizeof *idx), *shown = mp_malloc((size_t)r->npt * sizeof *shown);
    unsigned char *front = mp_malloc((size_t)r->npt);
    if (!idx || !shown || !front)
        o.rc = mp_errf(e, MP_ENOMEM, "out of memory");
    if (h && !o.rc) {
        html_head(h, db_path);
        fputs("<h1>mpsim design-space report</h1>\n<p>Database <code>", h);
        html_esc(h, db_path);
        fprintf(h, "</code>: %d results in %d workload%s. Objectives: latency, energy, area (minimised) and output "
                   "SQNR (maximised). Files: <a href=\"results.csv\">results.csv</a>, "
                   "<a href=\"pareto.csv\">pareto.csv</a>, <a href=\"layers.csv\">layers.csv</a>, "
                   "<a href=\"accuracy.csv\">accuracy.csv</a>, <a href=\"summary.txt\">summary.txt</a>, "
                   "<a href=\"plots.gp\">plots.gp</a>.</p>\n",
                r->npt, r->ngroup, r->ngroup == 1 ? "" : "s");
        if (!have_gp)
            fputs("<p><b>gnuplot could not be run: this report has tables and CSV files but no plots.</b></p>\n", h);
        fputs("<nav>", h);
        for (int g = 0; g < r->ngroup; g++) {
            fprintf(h, "<a href=\"#w%d\">", g + 1);
            html_esc(h, r->pt[r->group[g].first].workload);
            fputs("</a> ", h);
        }
        fputs("<a href=\"#accuracy\">accuracy</a></nav>\n", h);
    }
    for (int g = 0; g < r->ngroup && !o.rc; g++) {
        const RepGroup *G = &r->group[g];
        const char *wname = r->pt[G->first].workload;
        char sl[300];
        slug(g, wname, sl, sizeof sl);
        static const int all[PARETO_NOBJ] = {PARETO_LATENCY, PARETO_ENERGY, PARETO_AREA, PARETO_ACCURACY};
        int nf = report_group_front(r, g, all, PARETO_NOBJ, front);
        if (nf < 0) {
            o.rc = mp_errf(e, MP_ENOMEM, "out of memory");
            break;
        }
        /* designs shown in detail: all when there are at most `top`, else the front, lowest energy x delay
         * first, at most `top`; the baseline always */
        int few = G->n <= top, ns = group_rows(r, g, !few, few ? cmp_display : cmp_edp, shown);
        if (ns > top)
            ns = top;
        int b = report_baseline(r, g, ro->baseline);
        int has_b = 0;
        for (int i = 0; i < ns; i++)
            has_b |= shown[i] == b;
        if (b >= 0 && !has_b && ns > 0) {
            if (ns == top)
                ns--;
            memmove(shown + 1, shown, (size_t)ns * sizeof *shown);
            shown[0] = b;
            ns++;
        }
        for (int i = 0; i < G->n && pcsv; i++) {
            if (!front[i])
                continue;
            const DbPoint *p = &r->pt[G->first + i];
            csv_str(pcsv, wname);
            fprintf(pcsv, ",%s,", p->key);
            csv_str(pcsv, p->arch);
            fprintf(pcsv, ",%s,", p->pe_kind);
            const double v[] = {p->seconds, p->energy_pj, p->area_mm2};
            for (int k = 0; k < 3; k++) {
                csv_num(pcsv, v[k]);
                fputc(',', pcsv);
            }
            if (p->has_accuracy)
                csv_num(pcsv, p->accuracy_db);
            fputc('\n', pcsv);
        }
        Detail *dt = mp_calloc((size_t)(ns ? ns : 1), sizeof *dt);
        if (!dt) {
            o.rc = mp_errf(e, MP_ENOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < ns; i++) {
            MpErr le = {0};
            dt[i].row = shown[i];
            if (resimulate(&r->pt[shown[i]], &dt[i], &le) != MP_OK)
                snprintf(dt[i].why, sizeof dt[i].why, "%s", le.msg);
            info->stale += dt[i].stale;
            if (!dt[i].ok || !lcsv)
                continue;
            const Point *pt = &dt[i].pt;
            double hz = pt->cfg.clock_mhz * 1e6;
            for (int l = 0; l < pt->res.nlayer; l++) {
                const RunLayer *L = &pt->res.layer[l];
                const SimEvents *ev = &L->r.ev;
                double bytes = (double)(ev->dram_read_bits + ev->dram_write_bits) / 8;
                csv_str(lcsv, wname);
                fputc(',', lcsv);
                csv_str(lcsv, r->pt[shown[i]].arch);
                fputc(',', lcsv);
                csv_str(lcsv, L->g.name);
                fprintf(lcsv, ",%lld,%lld,%lld,%lld,%lld,", (long long)L->g.m, (long long)L->g.n, (long long)L->g.k,
                        (long long)L->g.count, (long long)(ev->cycles * L->g.count));
                csv_num(lcsv, (double)ev->cycles * L->g.count / hz);
                fprintf(lcsv, ",%lld,", (long long)(ev->macs * L->g.count));
                csv_num(lcsv, bytes * L->g.count);
                fputc(',', lcsv);
                csv_num(lcsv, pt->layer_energy[l].total);
                fputc(',', lcsv);
                csv_num(lcsv, bytes > 0 ? ev->macs / bytes : NAN);
                fputc(',', lcsv);
                csv_num(lcsv, ev->cycles > 0 ? ev->macs / ((double)ev->cycles / hz) / 1e9 : NAN);
                fprintf(lcsv, ",%s\n", point_bound(&pt->cfg, ev));
            }
        }
        if (have_gp && pc.gp) {
            plot_pareto(&pc, r, g, sl);
            plot_energy(&pc, r, g, shown, ns, sl);
            plot_layers(&pc, r, g, dt, ns, sl);
            for (int i = 0; i < ns; i++)
                if (dt[i].ok)
                    plot_roofline(&pc, r, &dt[i], i, sl);
        }
        if (h && !o.rc) {
            fprintf(h, "<h2 id=\"w%d\">", g + 1);
            html_esc(h, wname);
            fprintf(h, "</h2>\n<p>%d designs, %d on the Pareto front over latency, energy, area and accuracy.", G->n,
                    nf);
            if (b >= 0) {
                fputs(" Baseline: ", h);
                html_esc(h, r->pt[b].arch);
                fputs(".", h);
            }
            fputs("</p>\n", h);
            int nrow = group_rows(r, g, G->n > 40, cmp_display, idx);
            if (nrow >= 0) {
                if (G->n > 40)
                    fputs("<p>The Pareto front (every row is in <a href=\"results.csv\">results.csv</a>):</p>\n", h);
                html_summary_table(h, r, g, idx, nrow, ro->baseline, front);
            }
            if (have_gp) {
                char stem[400];
                snprintf(stem, sizeof stem, "pareto_%s", sl);
                html_figure(h, stem, "latency vs energy, by PE kind", pc.png);
                snprintf(stem, sizeof stem, "energy_%s", sl);
                html_figure(h, stem, "energy by component", pc.png);
                snprintf(stem, sizeof stem, "layers_%s", sl);
                html_figure(h, stem, "latency per layer", pc.png);
                fputs("<h3>Rooflines</h3>\n<p>Each layer at its arithmetic intensity (MACs per DRAM byte) and the "
                      "MAC rate it reaches; the roof is min(peak, intensity x DRAM bandwidth), peak = PEs x MACs per "
                      "PE-cycle x clock, bandwidth = DRAM bits per cycle / 8 x clock.</p>\n",
                      h);
                for (int i = 0; i < ns; i++) {
                    if (!dt[i].ok)
                        continue;
                    char cap[400];
                    snprintf(stem, sizeof stem, "roofline_%s_d%d", sl, i + 1);
                    snprintf(cap, sizeof cap, "roofline of %s", r->pt[dt[i].row].arch);
                    html_figure(h, stem, cap, pc.png);
                }
            }
            for (int i = 0; i < ns; i++) {
                if (dt[i].ok && !dt[i].stale)
                    continue;
                fputs("<p><b>Note:</b> ", h);
                html_esc(h, r->pt[dt[i].row].arch);
                if (!dt[i].ok) {
                    fputs(" could not be re-simulated: ", h);
                    html_esc(h, dt[i].why);
                } else
                    fputs(" re-simulates to a different cycle count than the database holds: the simulator changed "
                          "since the sweep; run it again into a new database.",
                          h);
                fputs("</p>\n", h);
            }
        }
        for (int i = 0; i < ns; i++)
            point_free(&dt[i].pt);
        mp_free(dt);
    }
    if (h && !o.rc) {
        fputs("<h2 id=\"accuracy\">Accuracy</h2>\n<p>Output SQNR of each number format against the unquantized fp64 "
              "GEMM on synthetic LLM-like tensors with the model's layer shapes (hardware-exact datapath; ideal = "
              "dequantized values in fp64; weight = the weights alone; datapath = hardware-exact against ideal).</p>\n"
              "<table>\n<tr><th class=\"l\">model</th><th class=\"l\">format</th><th>group</th><th>SQNR dB</th>"
              "<th>ideal dB</th><th>weight dB</th><th>datapath dB</th><th>GEMMs</th><th class=\"l\">study</th></tr>\n",
              h);
        for (int i = 0; i < r->nacc; i++) {
            const DbAcc *a = &r->acc[i];
            char s[4][16];
            fmt_db(s[0], 16, a->ok, a->sqnr_db);
            fmt_db(s[1], 16, a->ok, a->ideal_db);
            fmt_db(s[2], 16, a->ok, a->weight_db);
            fmt_db(s[3], 16, a->ok, a->hw_vs_ideal_db);
            fputs("<tr>", h);
            html_td(h, "l", "%s", a->model);
            html_td(h, "l", "%s", a->format);
            html_td(h, NULL, a->group_size ? "%d" : "-", a->group_size);
            for (int k = 0; k < 4; k++)
                html_td(h, NULL, "%s", s[k]);
            html_td(h, NULL, "%d", a->gemms);
            html_td(h, "l", "%d layer(s), %d rows x %d tokens, seed %lld%s%s", a->layers, a->rows, a->tokens,
                    (long long)a->seed, a->ok ? "" : "; failed: ", a->ok ? "" : a->message);
            fputs("</tr>\n", h);
        }
        fputs("</table>\n<p>Generated by <code>mpsim report</code>; the tables are in summary.txt as text.</p>\n"
              "</body>\n</html>\n",
              h);
    }
    oclose(&o, pcsv, "pareto.csv");
    oclose(&o, lcsv, "layers.csv");
    oclose(&o, pc.gp, "plots.gp");
    oclose(&o, h, "index.html");
    mp_free(idx);
    mp_free(shown);
    mp_free(front);
    if (o.rc == MP_OK && have_gp) {
        const char *const argv[] = {gnuplot, "plots.gp", NULL};
        int st = run_in(o.dir, argv, "gnuplot.log");
        if (st != 0) {
            char logp[1400];
            snprintf(logp, sizeof logp, "%s/gnuplot.log", o.dir);
            FILE *lf = fopen(logp, "r");
            char line[512] = "";
            if (lf) {
                while (fgets(line, sizeof line, lf))
                    if (strstr(line, "line") || strstr(line, "rror"))
                        break;
                fclose(lf);
            }
            line[strcspn(line, "\n")] = '\0';
            o.rc = mp_errf(e, MP_EINTERNAL, "gnuplot failed (exit %d) on the report's plots.gp: %s", st, line);
        }
        info->plots = pc.nplots;
    }
    if (o.rc == MP_OK) {
        FILE *m = ofile(&o, MARKER);
        if (m)
            fputs("This folder was written by mpsim report; mpsim report may replace it whole.\n", m);
        oclose(&o, m, MARKER);
    }
    if (o.rc == MP_OK) {
        char old[1200];
        snprintf(old, sizeof old, "%s.old.%ld", out, (long)getpid());
        if (exists && rename(out, old) != 0)
            o.rc = mp_errf(e, MP_EIO, "%s: cannot move the earlier report aside: %s", out, strerror(errno));
        else if (rename(o.dir, out) != 0) {
            o.rc = mp_errf(e, MP_EIO, "%s: cannot rename the new report into place: %s", out, strerror(errno));
            if (exists)
                rename(old, out);
        } else if (exists)
            remove_flat_dir(old);
    }
    if (o.rc)
        remove_flat_dir(o.dir);
    return o.rc;
}
