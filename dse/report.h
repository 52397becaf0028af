/* dse/report.h — what a sweep database says: summary tables against a baseline, Pareto fronts,
 * and a report folder (gnuplot plots in SVG and PNG, CSV exports, one HTML page).
 *
 * Rows are grouped by workload (model, phase, length, batch). Objectives: latency = seconds,
 * energy = total pJ, area = mm², accuracy = output SQNR (dB, maximised; a row without one is
 * worst). The designs a report plots in detail for a workload are its Pareto front over all four
 * objectives, lowest energy x delay first, at most ReportOpts.top; their per-layer results are
 * recomputed (sim/point.h) from the config text stored in each row.
 *
 * Implemented by dse/report_*.c, one concept each (dse/report_int.h lists them).
 */
#ifndef MP_SIM_REPORT_H
#define MP_SIM_REPORT_H

#include <stdio.h>

#include "base/err.h"
#include "dse/db.h"

typedef struct RepGroup {
    int first, n;          /* rows [first, first + n) of RepData.pt share one workload */
} RepGroup;

typedef struct RepData {
    DbPoint *pt;
    int npt;
    RepGroup *group;
    int ngroup;
    DbAcc *acc;
    int nacc;
} RepData;

int report_load(Db *d, RepData *r, MpErr *e) MP_MUST_CHECK;
void report_free(RepData *r);

/* Minimised objective values of a row (accuracy and tokens/s negated, NaN when missing: a request
 * objective of a row that is no request). */
void report_objectives(const DbPoint *p, const int *objs, int nobj, double *out);
/* Front of group g over objs: on_front[i] for rows first..first+n-1 (indexed from 0). -1: ENOMEM. */
int report_group_front(const RepData *r, int g, const int *objs, int nobj, unsigned char *on_front);

/* The baseline row of group g: `name` matches an arch label or a PE kind (default "fp16"); among
 * several matches the fastest. -1 when none. */
int report_baseline(const RepData *r, int g, const char *name);
/* A --baseline the user named (NULL: the default, fp16, which a workload may lack): MP_OK when it
 * matches an arch label or a PE kind of some row, else MP_EINPUT naming it and what the rows hold. */
int report_check_baseline(const RepData *r, const char *name, MpErr *e) MP_MUST_CHECK;

/* Per workload: each design's latency, speed-up, energy, energy saving, area and relative area,
 * accuracy and its difference against the baseline. Groups with more than `limit` rows show only
 * their Pareto front. Then the accuracy table. */
void report_print_summary(FILE *f, const RepData *r, const char *baseline, int limit);
void report_print_accuracy(FILE *f, const RepData *r);
/* Per workload whose description contains `filter` (NULL: all): the front over objs. */
int report_print_pareto(FILE *f, const RepData *r, const int *objs, int nobj, const char *filter,
                        MpErr *e) MP_MUST_CHECK;

typedef struct ReportOpts {
    const char *baseline;  /* as report_baseline; NULL = fp16 */
    int top;               /* designs plotted in detail per workload */
    const char *gnuplot;   /* program; NULL = "gnuplot" */
} ReportOpts;

typedef struct ReportInfo {
    char dir[1024];        /* the folder, as written: "report/" is the folder "report" */
    int plots;             /* plot files written (SVG + PNG)                        */
    char png_terminal[16]; /* "pngcairo", "png" or "" (no PNG)                      */
    int gnuplot_missing;   /* 1: gnuplot could not be run: tables and CSV only      */
    int stale;             /* designs whose re-simulation disagreed with the database */
} ReportInfo;

/* Write the report folder `out` (replaced whole at the end; an existing folder is replaced only
 * if it is empty or an earlier report). */
int report_write(const RepData *r, const char *db_path, const char *out, const ReportOpts *o, ReportInfo *info,
                 MpErr *e) MP_MUST_CHECK;

#endif
