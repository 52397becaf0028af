/* dse/report_write.c — the report folder (report_write): built as DIR.tmp.PID, one workload after
 * another (CSV rows, per-layer re-simulation, plots, its part of index.html), gnuplot run over the
 * whole script at the end, then renamed into place; an error leaves no half-written report. */
#include "dse/report_int.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "dse/pareto.h"

/* ------------------------------------------------------------------ the folder */

FILE *rep_file(RepOut *o, const char *name)
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

void rep_file_close(RepOut *o, FILE *f, const char *name)
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

/* ------------------------------------------------------------------ the report */

/* A workload's part of file names: "w3-" and its description with '=' dropped, spaces as '-' and
 * anything but letters, digits, '.' and '-' as '_'. */
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

/* Choose the designs of group g shown in detail: all when there are at most `top`, else the front,
 * lowest energy x delay first, at most `top`; the baseline always. Their count (-1: out of memory). */
static int choose_shown(const RepData *r, int g, int top, int base, int *shown)
{
    const RepGroup *G = &r->group[g];
    int few = G->n <= top, ns = rep_group_rows(r, g, !few, few ? REP_BY_DISPLAY : REP_BY_EDP, shown);
    if (ns > top)
        ns = top;
    int has_b = 0;
    for (int i = 0; i < ns; i++)
        has_b |= shown[i] == base;
    if (base >= 0 && !has_b && ns > 0) {
        if (ns == top)
            ns--;
        memmove(shown + 1, shown, (size_t)ns * sizeof *shown);
        shown[0] = base;
        ns++;
    }
    return ns;
}

int report_write(const RepData *r, const char *db_path, const char *out, const ReportOpts *ro, ReportInfo *info,
                 MpErr *e)
{
    memset(info, 0, sizeof *info);
    snprintf(info->dir, sizeof info->dir, "%s", out);
    for (size_t n = strlen(info->dir); n > 1 && info->dir[n - 1] == '/'; n--) /* "report/" is the folder "report" */
        info->dir[n - 1] = '\0';
    out = info->dir;
    if (!out[0] || !strcmp(out, "/") || !strcmp(out, ".") || !strcmp(out, ".."))
        return mp_errf(e, MP_EINPUT, "--out '%s': name a folder of its own for the report", out);
    int exists = 0;
    int rc = check_out(out, &exists, e);
    if (rc)
        return rc;
    if (!r->npt)
        return mp_errf(e, MP_EINPUT, "%s: no results to report", db_path);
    RepOut o = {{0}, e, MP_OK};
    snprintf(o.dir, sizeof o.dir, "%s.tmp.%ld", out, (long)getpid());
    remove_flat_dir(o.dir);
    if (mkdir(o.dir, 0755) != 0)
        return mp_errf(e, MP_EIO, "%s: cannot create: %s", o.dir, strerror(errno));
    const char *gnuplot = ro->gnuplot ? ro->gnuplot : "gnuplot";
    int top = ro->top > 0 ? ro->top : 12;

    int have_gp = rep_gnuplot_probe(gnuplot, o.dir, info->png_terminal);
    info->gnuplot_missing = !have_gp;
    RepPlots pc = {&o, NULL, info->png_terminal[0] ? info->png_terminal : NULL, 0};

    rep_csv_results(&o, r);
    rep_csv_accuracy(&o, r);
    FILE *sum = rep_file(&o, "summary.txt");
    if (sum) {
        report_print_summary(sum, r, ro->baseline, 40);
        report_print_accuracy(sum, r);
        rep_file_close(&o, sum, "summary.txt");
    }
    FILE *pcsv = rep_file(&o, "pareto.csv"), *lcsv = rep_file(&o, "layers.csv");
    pc.gp = rep_file(&o, "plots.gp");
    FILE *h = rep_file(&o, "index.html");
    if (pcsv)
        rep_csv_pareto_header(pcsv);
    if (lcsv)
        rep_csv_layers_header(lcsv);
    if (pc.gp)
        rep_plots_start(&pc);
    int *idx = mp_malloc((size_t)r->npt * sizeof *idx), *shown = mp_malloc((size_t)r->npt * sizeof *shown);
    unsigned char *front = mp_malloc((size_t)r->npt);
    if (!idx || !shown || !front)
        o.rc = mp_errf(e, MP_ENOMEM, "out of memory");
    if (h && !o.rc)
        rep_html_start(h, r, db_path, have_gp);
    for (int g = 0; g < r->ngroup && !o.rc; g++) {
        RepWork w = {g, r->pt[r->group[g].first].workload, "", front, 0, -1, shown, 0, NULL};
        slug(g, w.name, w.slug, sizeof w.slug);
        static const int all[PARETO_NBASIC] = {PARETO_LATENCY, PARETO_ENERGY, PARETO_AREA, PARETO_ACCURACY};
        w.nfront = report_group_front(r, g, all, PARETO_NBASIC, front);
        w.base = report_baseline(r, g, ro->baseline);
        w.nshown = w.nfront < 0 ? -1 : choose_shown(r, g, top, w.base, shown);
        RepDetail *dt = w.nshown < 0 ? NULL : mp_calloc((size_t)(w.nshown ? w.nshown : 1), sizeof *dt);
        if (!dt) {
            o.rc = mp_errf(e, MP_ENOMEM, "out of memory");
            break;
        }
        for (int i = 0; i < w.nshown; i++) {
            MpErr le = {0};
            dt[i].row = shown[i];
            if (rep_resimulate(&r->pt[shown[i]], &dt[i], &le) != MP_OK)
                snprintf(dt[i].why, sizeof dt[i].why, "%s", le.msg);
            info->stale += dt[i].stale;
        }
        w.dt = dt;
        if (pcsv)
            rep_csv_pareto_rows(pcsv, r, &w);
        if (lcsv)
            rep_csv_layers_rows(lcsv, r, &w);
        if (have_gp && pc.gp)
            rep_plots_workload(&pc, r, &w);
        if (h && !o.rc)
            rep_html_workload(h, r, &w, ro->baseline, pc.png, have_gp, idx);
        for (int i = 0; i < w.nshown; i++)
            point_free(&dt[i].pt);
        mp_free(dt);
    }
    if (h && !o.rc)
        rep_html_end(h, r);
    rep_file_close(&o, pcsv, "pareto.csv");
    rep_file_close(&o, lcsv, "layers.csv");
    rep_file_close(&o, pc.gp, "plots.gp");
    rep_file_close(&o, h, "index.html");
    mp_free(idx);
    mp_free(shown);
    mp_free(front);
    if (o.rc == MP_OK && have_gp) {
        o.rc = rep_gnuplot_run(gnuplot, o.dir, e);
        info->plots = pc.nplots;
    }
    if (o.rc == MP_OK) {
        FILE *m = rep_file(&o, MARKER);
        if (m)
            fputs("This folder was written by mpsim report; mpsim report may replace it whole.\n", m);
        rep_file_close(&o, m, MARKER);
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
