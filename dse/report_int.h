/* dse/report_int.h — inside the report (dse/report.h): what its files share. Not for use outside
 * dse/report_*.c.
 *
 *   report_load.c   rows grouped by workload, fronts, baseline, display order; per-layer re-simulation
 *   report_text.c   the text tables (summary, accuracy, Pareto fronts) and their number formats
 *   report_plot.c   gnuplot: the process, the one plot preamble, the four plot kinds
 *   report_csv.c    CSV escaping and the CSV exports
 *   report_html.c   HTML escaping and index.html
 *   report_write.c  the report folder: its files, one workload after another, all or nothing
 */
#ifndef MP_DSE_REPORT_INT_H
#define MP_DSE_REPORT_INT_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "dse/report.h"
#include "sim/point.h"

/* ------------------------------------------------------------------ report_load.c */

/* Index of a PE kind name in pekind.h's order; PE_KIND_COUNT for a name it does not know. */
int rep_kind_index(const char *name);

typedef enum {
    REP_BY_DISPLAY, /* PE kind (pekind.h order), then label, then key */
    REP_BY_SECONDS, /* latency, then key                              */
    REP_BY_EDP      /* energy x delay, then key                       */
} RepOrder;

/* Sort row indices idx[0..n) of r. */
void rep_sort(const RepData *r, int *idx, int n, RepOrder by);
/* Indices (into r->pt) of the rows of group g, all of them (front_only 0) or its 4-objective front,
 * sorted; their count, or -1 when out of memory. idx holds the group's row count. */
int rep_group_rows(const RepData *r, int g, int front_only, RepOrder by, int *idx);

/* One design's per-layer results, recomputed (fast fidelity) from the config text of its row. */
typedef struct RepDetail {
    int row;          /* index into RepData.pt                        */
    int ok;           /* re-simulated                                 */
    int stale;        /* total cycles differ from the database row    */
    char why[256];    /* why not ok                                   */
    Point pt;
} RepDetail;
int rep_resimulate(const DbPoint *p, RepDetail *d, MpErr *e);

/* ------------------------------------------------------------------ report_text.c */

/* 3 decimals from 1 up, 4 significant digits below (small workloads have sub-unit values). */
const char *rep_num(char *buf, size_t cap, double v);
/* A dB value: "-" when !ok, "exact" when infinite, else 2 decimals. */
void rep_fmt_db(char *buf, size_t cap, int ok, double v);

/* ------------------------------------------------------------------ report_write.c */

/* The folder being written. The first failure is kept in rc (and *e); later writes do nothing. */
typedef struct RepOut {
    char dir[1100];
    MpErr *e;
    int rc;
} RepOut;

/* Open dir/name for writing (NULL after an earlier failure or when it cannot be opened). */
FILE *rep_file(RepOut *o, const char *name);
/* Close it, recording a write error; NULL is fine. */
void rep_file_close(RepOut *o, FILE *f, const char *name);

/* One workload as the report shows it. */
typedef struct RepWork {
    int g;                      /* the group (RepData.group)                             */
    const char *name;           /* its description                                       */
    char slug[300];             /* its part of file names: "w3-llama2-7b-decode-kv2048-batch1" */
    const unsigned char *front; /* 4-objective front, by row of the group                */
    int nfront;
    int base;                   /* the baseline row, -1 when none                        */
    const int *shown;           /* rows plotted in detail (the baseline among them)      */
    int nshown;
    const RepDetail *dt;        /* their per-layer results, nshown of them               */
} RepWork;

/* ------------------------------------------------------------------ report_plot.c */

typedef enum { PLOT_PARETO, PLOT_ENERGY, PLOT_LAYERS, PLOT_ROOFLINE } RepPlotKind;
/* File stem of a plot of workload `slug` ("pareto_SLUG", "roofline_SLUG_dK" for shown design k - 1). */
void rep_plot_stem(char *buf, size_t cap, RepPlotKind kind, const char *slug, int k);

typedef struct RepPlots {
    RepOut *o;
    FILE *gp;          /* plots.gp                         */
    const char *png;   /* PNG terminal, NULL: SVG only     */
    int nplots;        /* plot files the script writes     */
} RepPlots;

/* Whether `gnuplot` runs in dir (1) or not (0), and its PNG terminal into png: "pngcairo", "png"
 * or "" (none). Its output goes to dir/gnuplot.log. */
int rep_gnuplot_probe(const char *gnuplot, const char *dir, char png[16]);
/* The first line of plots.gp. */
void rep_plots_start(RepPlots *c);
/* Every plot of one workload: data files, and their commands into plots.gp. */
void rep_plots_workload(RepPlots *c, const RepData *r, const RepWork *w);
/* Run plots.gp in dir; MP_EINTERNAL with gnuplot's first error line when it fails. */
int rep_gnuplot_run(const char *gnuplot, const char *dir, MpErr *e);

/* ------------------------------------------------------------------ report_csv.c */

void rep_csv_str(FILE *f, const char *s);
void rep_csv_num(FILE *f, double v);
void rep_csv_results(RepOut *o, const RepData *r);      /* results.csv  */
void rep_csv_accuracy(RepOut *o, const RepData *r);     /* accuracy.csv */
/* pareto.csv and layers.csv: their header, then the rows of each workload. */
void rep_csv_pareto_header(FILE *f);
void rep_csv_pareto_rows(FILE *f, const RepData *r, const RepWork *w);
void rep_csv_layers_header(FILE *f);
void rep_csv_layers_rows(FILE *f, const RepData *r, const RepWork *w);

/* ------------------------------------------------------------------ report_html.c */

void rep_html_esc(FILE *h, const char *s);
/* head, title, links to the files, the workloads' navigation */
void rep_html_start(FILE *h, const RepData *r, const char *db_path, int have_gp);
/* One workload: its summary table with the front marked, its plots, notes on designs that could
 * not be re-simulated or re-simulate differently. scratch holds r->npt ints. */
void rep_html_workload(FILE *h, const RepData *r, const RepWork *w, const char *baseline, const char *png,
                       int have_gp, int *scratch);
/* The accuracy table and the end of the page. */
void rep_html_end(FILE *h, const RepData *r);

#endif
