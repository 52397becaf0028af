/* dse/report_plot.c — the report's plots: gnuplot as a process, the one preamble every plot starts
 * with, and the four plot kinds (latency vs energy by PE kind, energy by component, latency per
 * layer, a roofline per design). Each plot is a data file STEM.dat and commands in plots.gp that
 * draw STEM.svg and, when gnuplot has a PNG terminal, STEM.png. */
#include "dse/report_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "dse/pareto.h"
#include "models/pekind.h"

/* ------------------------------------------------------------------ the gnuplot process */

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

int rep_gnuplot_probe(const char *gnuplot, const char *dir, char png[16])
{
    const char *const ver[] = {gnuplot, "--version", NULL};
    int have = run_in(dir, ver, "gnuplot.log") == 0, kind = 0;
    if (have) {
        const char *const a1[] = {gnuplot, "-e", "set terminal pngcairo", NULL};
        const char *const a2[] = {gnuplot, "-e", "set terminal png", NULL};
        kind = run_in(dir, a1, "gnuplot.log") == 0 ? 1 : run_in(dir, a2, "gnuplot.log") == 0 ? 2 : 0;
    }
    snprintf(png, 16, "%s", kind == 1 ? "pngcairo" : kind == 2 ? "png" : "");
    return have;
}

int rep_gnuplot_run(const char *gnuplot, const char *dir, MpErr *e)
{
    const char *const argv[] = {gnuplot, "plots.gp", NULL};
    int st = run_in(dir, argv, "gnuplot.log");
    if (st == 0)
        return MP_OK;
    char logp[1400];
    snprintf(logp, sizeof logp, "%s/gnuplot.log", dir);
    FILE *lf = fopen(logp, "r");
    char line[512] = "";
    if (lf) {
        while (fgets(line, sizeof line, lf))
            if (strstr(line, "line") || strstr(line, "rror"))
                break;
        fclose(lf);
    }
    line[strcspn(line, "\n")] = '\0';
    return mp_errf(e, MP_EINTERNAL, "gnuplot failed (exit %d) on the report's plots.gp: %s", st, line);
}

/* ------------------------------------------------------------------ quoting, colours */

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

/* Colours: one per PE kind, one per energy component, a palette for designs. Kind k (pekind.h
 * order) plots in kind_color[k], "other" in the entry after the last kind; the palette is longer
 * than the kind table so that a new kind has its own colour at once. */
static const char *const kind_color[] = {"#404040", "#1f77b4", "#8c564b", "#2ca02c", "#8fce6a", "#17becf",
                                         "#d62728", "#9467bd", "#ff7f0e", "#c5b0d5", "#ffbb78", "#bcbd22",
                                         "#98df8a", "#aec7e8", "#f7b6d2", "#c49c94"};
_Static_assert(sizeof kind_color / sizeof kind_color[0] >= PE_KIND_COUNT + 1, "a colour for every PE kind and other");
static const char *kind_colour(int k) { return kind_color[k < PE_KIND_COUNT ? k : PE_KIND_COUNT]; }
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

/* ------------------------------------------------------------------ one plot */

void rep_plot_stem(char *buf, size_t cap, RepPlotKind kind, const char *slug, int k)
{
    static const char *const prefix[] = {"pareto", "energy", "layers", "roofline"};
    if (kind == PLOT_ROOFLINE)
        snprintf(buf, cap, "%s_%s_d%d", prefix[kind], slug, k + 1);
    else
        snprintf(buf, cap, "%s_%s", prefix[kind], slug);
}

typedef struct Plot {
    char stem[400], dat[512]; /* STEM (of .svg, .png) and STEM.dat */
    int w, h;                 /* pixels                            */
} Plot;

/* Name a plot, set its size and open its data file; NULL after a failure (recorded in c->o). */
static FILE *plot_open(RepPlots *c, Plot *p, RepPlotKind kind, const RepWork *w, int k, int width, int height)
{
    rep_plot_stem(p->stem, sizeof p->stem, kind, w->slug, k);
    snprintf(p->dat, sizeof p->dat, "%s.dat", p->stem);
    p->w = width;
    p->h = height;
    return rep_file(c->o, p->dat);
}

/* Close the plot's data file and start its commands with the preamble of every plot: SVG terminal
 * and output, grid, border, title. The PNG copy comes after the plot command (plot_end). Returns
 * plots.gp. */
static FILE *plot_begin(RepPlots *c, const Plot *p, FILE *dat, const char *title)
{
    rep_file_close(c->o, dat, p->dat);
    fprintf(c->gp, "\nreset\nset terminal svg size %d,%d dynamic noenhanced font 'Sans,11' background "
                   "'#ffffff'\nset output '%s.svg'\nset grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n",
            p->w, p->h, p->stem);
    fprintf(c->gp, "set title ");
    gp_str(c->gp, title);
    fprintf(c->gp, "\n");
    return c->gp;
}

static void plot_end(RepPlots *c, const Plot *p)
{
    c->nplots++;
    if (c->png) {
        fprintf(c->gp, "set terminal %s size %d,%d noenhanced font 'Sans,10' background '#ffffff'\nset output "
                       "'%s.png'\nreplot\n",
                c->png, p->w, p->h, p->stem);
        c->nplots++;
    }
    fprintf(c->gp, "unset output\n");
}

void rep_plots_start(RepPlots *c)
{
    fprintf(c->gp, "# gnuplot script of this report (run 'gnuplot plots.gp' in this folder to redraw)\n");
}

/* ------------------------------------------------------------------ the four plot kinds */

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

/* The pareto plot's axes: latency (ms) and energy (mJ); for a request, TPOT (ms) and J/token (as mJ/token). */
static double px(const DbPoint *p) { return p->has_request ? p->tpot_s * 1e3 : p->seconds * 1e3; }
static double py(const DbPoint *p) { return p->has_request ? p->j_per_token * 1e3 : p->energy_pj / 1e9; }

/* Latency vs energy of every design of the workload (a request: TPOT vs J/token), coloured by PE
 * kind, the front over the two circled and joined; labels when there are at most 24 designs. */
static void plot_pareto(RepPlots *c, const RepData *r, const RepWork *w)
{
    const RepGroup *G = &r->group[w->g];
    const int req = r->pt[G->first].has_request;
    const char *xn = req ? "TPOT ms" : "latency ms", *yn = req ? "mJ/token" : "energy mJ";
    Plot pl;
    FILE *f = plot_open(c, &pl, PLOT_PARETO, w, 0, 900, 600);
    if (!f)
        return;
    /* one block per PE kind present, then the (latency, energy) front as a last block */
    int present[PE_KIND_COUNT + 1] = {0}, nblock = 0, blk[PE_KIND_COUNT + 1];
    for (int i = 0; i < G->n; i++)
        present[rep_kind_index(r->pt[G->first + i].pe_kind)] = 1;
    double *xs = mp_malloc((size_t)G->n * 2 * sizeof *xs);
    if (!xs) {
        rep_file_close(c->o, f, pl.dat);
        c->o->rc = mp_errf(c->o->e, MP_ENOMEM, "out of memory");
        return;
    }
    for (int k = 0; k <= PE_KIND_COUNT; k++) {
        if (!present[k])
            continue;
        blk[nblock++] = k;
        fprintf(f, "# kind %s: design, %s, %s\n", k < PE_KIND_COUNT ? pe_kind_names[k] : "other", xn, yn);
        for (int i = 0; i < G->n; i++) {
            const DbPoint *p = &r->pt[G->first + i];
            if (rep_kind_index(p->pe_kind) != k)
                continue;
            dat_str(f, p->arch);
            fprintf(f, " %.9g %.9g\n", px(p), py(p));
        }
        fprintf(f, "\n\n");
    }
    for (int i = 0; i < G->n; i++) {
        xs[i] = px(&r->pt[G->first + i]);
        xs[G->n + i] = py(&r->pt[G->first + i]);
    }
    static const int two_lat[2] = {PARETO_LATENCY, PARETO_ENERGY}, two_req[2] = {PARETO_TPOT, PARETO_J_PER_TOKEN};
    const int *two = req ? two_req : two_lat;
    unsigned char *on = mp_malloc((size_t)G->n);
    int *idx = mp_malloc((size_t)G->n * sizeof *idx), nf = 0;
    if (on && idx && report_group_front(r, w->g, two, 2, on) >= 0) {
        for (int i = 0; i < G->n; i++)
            if (on[i])
                idx[nf++] = G->first + i;
        rep_sort(r, idx, nf, REP_BY_SECONDS);
        /* the front's step line runs along x: sort by it (latency already is; TPOT need not be) */
        for (int i = 1; i < nf; i++)
            for (int j = i; j > 0 && px(&r->pt[idx[j]]) < px(&r->pt[idx[j - 1]]); j--) {
                int t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
    }
    fprintf(f, "# Pareto front over %s and %s\n", xn, yn);
    for (int i = 0; i < nf; i++)
        fprintf(f, "%.9g %.9g\n", px(&r->pt[idx[i]]), py(&r->pt[idx[i]]));
    /* labels: designs at the same point share one */
    fprintf(f, "\n\n# labels: %s, %s, designs\n", xn, yn);
    for (int i = 0; i < G->n && G->n <= 24; i++) {
        const DbPoint *p = &r->pt[G->first + i];
        int first = 1;
        for (int j = 0; j < i && first; j++)
            first = !(px(&r->pt[G->first + j]) == px(p) && py(&r->pt[G->first + j]) == py(p));
        if (!first)
            continue;
        char lab[1024];
        size_t n = 0;
        lab[0] = '\0';
        for (int j = i; j < G->n; j++) {
            const DbPoint *q = &r->pt[G->first + j];
            if (px(q) == px(p) && py(q) == py(p) && n < sizeof lab)
                n += (size_t)snprintf(lab + n, sizeof lab - n, "%s%s", n ? ", " : "", q->arch);
        }
        fprintf(f, "%.9g %.9g ", px(p), py(p));
        dat_str(f, lab);
        fprintf(f, "\n");
    }
    if (G->n > 24)
        fprintf(f, "nan nan \"\"\n");
    mp_free(on);
    mp_free(idx);
    double xlo, xhi, ylo, yhi;
    range_of(xs, G->n, &xlo, &xhi);
    range_of(xs + G->n, G->n, &ylo, &yhi);
    mp_free(xs);
    int logx = xhi > 20 * xlo, logy = yhi > 20 * ylo;
    FILE *gp = plot_begin(c, &pl, f, w->name);
    fprintf(gp, "set xlabel '%s'\nset ylabel '%s'\nset key outside right top\n",
            req ? "TPOT, mean decode step (ms)" : "latency (ms)", req ? "energy per token (mJ)" : "energy (mJ)");
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
        fprintf(gp, "'%s' index %d using 2:3 with points pt 7 ps 1.3 lc rgb '%s' title '%s', \\\n     ", pl.dat, b,
                kind_colour(k), k < PE_KIND_COUNT ? pe_kind_names[k] : "other");
    }
    fprintf(gp, "'%s' index %d using 1:2 with steps dt 2 lw 1.5 lc rgb '#555555' notitle, \\\n     "
                "'%s' index %d using 1:2 with points pt 6 ps 2.4 lw 1.5 lc rgb '#555555' title 'front (%s)'",
            pl.dat, nblock, pl.dat, nblock, req ? "TPOT, J/token" : "latency, energy");
    if (G->n <= 24)
        fprintf(gp, ", \\\n     '%s' index %d using 1:2:3 with labels offset char 1.2,0.6 left font ',8' "
                    "tc rgb '#333333' notitle",
                pl.dat, nblock + 1);
    fprintf(gp, "\n");
    plot_end(c, &pl);
}

/* Stacked energy bars of the designs shown, one segment per component. */
static void plot_energy(RepPlots *c, const RepData *r, const RepWork *w)
{
    const int *rows = w->shown, n = w->nshown;
    Plot pl;
    FILE *f = plot_open(c, &pl, PLOT_ENERGY, w, 0, 900, 620);
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
    FILE *gp = plot_begin(c, &pl, f, w->name);
    fprintf(gp, "set ylabel 'energy (mJ)'\nset style data histograms\nset style histogram rowstacked\n"
                "set style fill solid 0.9 border rgb '#333333'\nset boxwidth 0.7\nset key outside right top\n"
                "set xtics rotate by -35 left nomirror font ',9'\nset yrange [0:*]\nset bmargin 9\nset rmargin 16\n"
                "set grid noxtics ytics\nplot ");
    for (int k = 0; k < 7; k++)
        fprintf(gp, "%s'%s' using %d%s title '%s' lc rgb '%s'", k ? ", \\\n     " : "", pl.dat, k + 2,
                k == 0 ? ":xtic(1)" : "", comp_name[k], comp_color[k]);
    fprintf(gp, "\n");
    plot_end(c, &pl);
}

/* Per-layer latency bars: layers on x, one bar per design. */
static void plot_layers(RepPlots *c, const RepData *r, const RepWork *w)
{
    const RepDetail *dt = w->dt, *ref = NULL;
    int n = w->nshown;
    for (int i = 0; i < n && !ref; i++)
        if (dt[i].ok)
            ref = &dt[i];
    if (!ref)
        return;
    Plot pl;
    FILE *f = plot_open(c, &pl, PLOT_LAYERS, w, 0, 1000, 600);
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
            double ms = (double)L->all.ev.cycles / (dt[i].pt.cfg.clock_mhz * 1e6) * 1e3;
            fprintf(f, " %.9g", ms);
            if (ms > 0 && ms < lo)
                lo = ms;
            if (ms > hi)
                hi = ms;
        }
        fprintf(f, "\n");
    }
    FILE *gp = plot_begin(c, &pl, f, w->name);
    fprintf(gp, "set ylabel 'latency per layer kind, all instances (ms)'\nset style data histograms\n"
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
        fprintf(gp, "%s'%s' using %d%s title ", k ? ", \\\n     " : "", pl.dat, col++, k == 0 ? ":xtic(1)" : "");
        gp_str(gp, r->pt[dt[i].row].arch);
        fprintf(gp, " lc rgb '%s'", design_color[k % NDCOLOR]);
        k++;
    }
    fprintf(gp, "\n");
    plot_end(c, &pl);
}

/* Roofline of one design: peak MAC/s, DRAM bandwidth, each layer at (MACs / DRAM byte, MAC/s). */
static void plot_roofline(RepPlots *c, const RepData *r, const RepWork *w, int dk)
{
    const RepDetail *d = &w->dt[dk];
    const DbPoint *p = &r->pt[d->row];
    const ArchConfig *cfg = &d->pt.cfg;
    double hz = cfg->clock_mhz * 1e6;
    /* every core's PEs and every channel: the design's roofs */
    double peak = (double)cfg->cores * cfg->rows * cfg->cols * point_peak_macs_per_pe_cycle(cfg) * hz / 1e9; /* GMAC/s */
    double bw = (double)cfg->dram_channels * cfg->dram_bits_per_cycle / 8.0 * hz / 1e9;              /* GB/s   */
    Plot pl;
    FILE *f = plot_open(c, &pl, PLOT_ROOFLINE, w, dk, 900, 600);
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
        rep_file_close(c->o, f, pl.dat);
        c->o->rc = mp_errf(c->o->e, MP_ENOMEM, "out of memory");
        return;
    }
    /* layers whose points are within 4% in both coordinates share a marker and a legend line */
    for (int l = 0; l < nl; l++) {
        const SimEvents *ev = &res->layer[l].all.ev;
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
                fprintf(f, "%.9g %.9g %s\n", ai[l], perf[l], point_bound(&res->layer[l].all));
        fprintf(f, "\n\n");
    }
    char t[800];
    snprintf(t, sizeof t, "%s on %s (%s, %dx%d PEs)", p->workload, p->arch, p->pe_kind, p->rows, p->cols);
    FILE *gp = plot_begin(c, &pl, f, t);
    fprintf(gp, "set logscale xy\nset xlabel 'arithmetic intensity (MACs per DRAM byte)'\n"
                "set ylabel 'performance (GMAC/s)'\nset samples 500\n"
                "P = %.9g\nB = %.9g\nroof(x) = x * B < P ? x * B : P\n",
            peak, bw);
    fprintf(gp, "set xrange [%.9g:%.9g]\nset yrange [%.9g:%.9g]\n", xlo / 4, xhi * 8, ylo / 4, peak * 3);
    fprintf(gp, "set key left top font ',9'\nplot roof(x) with lines lw 2 lc rgb '#333333' title sprintf('roof: peak "
                "%%.0f GMAC/s, DRAM %%.1f GB/s', P, B)");
    static const int ptype[] = {7, 5, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14};
    for (int q = 0; q < ng; q++) {
        fprintf(gp, ", \\\n     '%s' index %d using 1:2 with points pt %d ps 1.6 lc rgb '%s' title ", pl.dat, q,
                ptype[q % 12], design_color[q % NDCOLOR]);
        gp_str(gp, names[q]);
    }
    fprintf(gp, "\n");
    mp_free(ai);
    mp_free(perf);
    mp_free(grp);
    mp_free(names);
    plot_end(c, &pl);
}


void rep_plots_workload(RepPlots *c, const RepData *r, const RepWork *w)
{
    plot_pareto(c, r, w);
    plot_energy(c, r, w);
    plot_layers(c, r, w);
    for (int i = 0; i < w->nshown; i++)
        if (w->dt[i].ok)
            plot_roofline(c, r, w, i);
}
