/* cli/cmd_report.c — `mpsim pareto`, `mpsim summary` and `mpsim report`: what a sweep database
 * says (dse/report.h). */
#include <stdio.h>
#include <string.h>

#include "base/cli.h"
#include "cli/cmds.h"
#include "dse/db.h"
#include "dse/pareto.h"
#include "dse/report.h"

/* The options of the three commands (each uses some). */
typedef struct DbArgs {
    const char *db, *x, *workload, *baseline, *out, *gnuplot;
    int64_t limit, top;
    int objs[PARETO_NOBJ], nobj; /* --x, parsed */
} DbArgs;

/* The --db option they share. */
#define DB_OPT(a) {"db", CLI_STR, &(a).db, "FILE", "sweep database (mpsim sweep --db)"}

/* One database command: parse, its checks (--db required among them), every row of the database
 * loaded read-only, its output; the exit status. */
static int db_command(const CliSpec *spec, DbArgs *a, int argc, char **argv, int (*check)(DbArgs *a, MpErr *e),
                      int (*out)(const DbArgs *a, const RepData *r, MpErr *e))
{
    int st = cmd_parse(spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    RepData r = {0};
    int rc = check(a, &e);
    if (rc == MP_OK) {
        Db *d = NULL;
        rc = db_open(a->db, DB_READ, &d, &e);
        if (rc == MP_OK)
            rc = report_load(d, &r, &e);
        int rc2 = db_close(d, &e);
        rc = rc ? rc : rc2;
    }
    if (rc == MP_OK)
        rc = out(a, &r, &e);
    report_free(&r);
    return rc ? cli_fail(&e) : 0;
}

static int pareto_check(DbArgs *a, MpErr *e)
{
    if (!a->db)
        return mp_errf(e, MP_EINPUT, "mpsim pareto: --db FILE is required");
    return pareto_parse_objectives(a->x, a->objs, &a->nobj, e);
}

static int pareto_out(const DbArgs *a, const RepData *r, MpErr *e)
{
    return report_print_pareto(stdout, r, a->objs, a->nobj, a->workload, e);
}

int cmd_pareto(int argc, char **argv)
{
    DbArgs a = {.x = "latency,energy,area,accuracy"};
    const CliOpt opts[] = {
        DB_OPT(a),
        {"x", CLI_STR, &a.x, "LIST",
         "objectives, comma-separated: latency, energy, area, accuracy (default these four); for requests also "
         "ttft, tpot, tokens_per_s (maximised), j_per_token"},
        {"objectives", CLI_STR, &a.x, "LIST", "the same as --x"},
        {"workload", CLI_STR, &a.workload, "TEXT",
         "only workloads whose description contains TEXT (e.g. 'decode kv=2048')"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {"mpsim pareto", "--db FILE [--x latency,energy,...] [--workload TEXT]",
                          "Print the Pareto front of each workload: the designs no other design beats in every "
                          "objective (latency, energy, area, TTFT, TPOT and J/token minimised; accuracy, the output "
                          "SQNR, and tokens/s maximised). TTFT, TPOT, tokens/s and J/token are those of request "
                          "workloads (phases = request); other rows count as worst in them.",
                          "Example: mpsim pareto --db build/main.db --x latency,energy\n"
                          "         mpsim pareto --db build/run/main.db --objectives tpot,j_per_token",
                          opts, 0, 0};
    return db_command(&spec, &a, argc, argv, pareto_check, pareto_out);
}

static int summary_check(DbArgs *a, MpErr *e)
{
    if (!a->db)
        return mp_errf(e, MP_EINPUT, "mpsim summary: --db FILE is required");
    if (a->limit < 0)
        return mp_errf(e, MP_EINPUT, "mpsim summary: --limit must be >= 0 (0: no limit)");
    return MP_OK;
}

static int summary_out(const DbArgs *a, const RepData *r, MpErr *e)
{
    if (!r->npt)
        return mp_errf(e, MP_EINPUT, "%s: no results yet", a->db);
    int rc = report_check_baseline(r, a->baseline, e);
    if (rc)
        return rc;
    report_print_summary(stdout, r, a->baseline, (int)a->limit);
    report_print_accuracy(stdout, r);
    return MP_OK;
}

int cmd_summary(int argc, char **argv)
{
    DbArgs a = {.limit = 40};
    const CliOpt opts[] = {
        DB_OPT(a),
        {"baseline", CLI_STR, &a.baseline, "NAME",
         "design label or PE kind to compare with (default fp16; the fastest match)"},
        {"limit", CLI_INT, &a.limit, "N",
         "show only the Pareto front of workloads with more than N designs (default 40)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {"mpsim summary", "--db FILE [--baseline NAME]",
                          "Per workload, every design's latency, speed-up, energy, energy saving, area and accuracy "
                          "against a baseline (for requests: TTFT, TPOT, tokens/s and J/token, each with its ratio), "
                          "then the accuracy of every format studied.",
                          "Example: mpsim summary --db build/main.db --baseline iso/fp16", opts, 0, 0};
    return db_command(&spec, &a, argc, argv, summary_check, summary_out);
}

static int report_check(DbArgs *a, MpErr *e)
{
    if (!a->db || !a->out)
        return mp_errf(e, MP_EINPUT, "mpsim report: --db FILE and --out DIR are required");
    if (a->top < 1 || a->top > 100)
        return mp_errf(e, MP_EINPUT, "mpsim report: --top takes 1..100");
    return MP_OK;
}

static int report_out(const DbArgs *a, const RepData *r, MpErr *e)
{
    ReportOpts ro = {a->baseline, (int)a->top, a->gnuplot};
    ReportInfo info;
    int rc = report_check_baseline(r, a->baseline, e);
    if (rc)
        return rc;
    rc = report_write(r, a->db, a->out, &ro, &info, e);
    if (rc)
        return rc;
    printf("report: %s/index.html (%d rows, %d workloads, %d plots", info.dir, r->npt, r->ngroup, info.plots);
    if (info.plots)
        printf(": SVG%s%s", info.png_terminal[0] ? " and PNG via gnuplot's " : "; no PNG terminal in gnuplot",
               info.png_terminal);
    printf(")\n");
    if (info.gnuplot_missing)
        fprintf(stderr, "mpsim report: gnuplot could not be run: the report has tables and CSV files only "
                        "(install gnuplot-nox)\n");
    if (info.stale)
        fprintf(stderr, "mpsim report: %d designs re-simulate to other cycle counts than the database holds: the "
                        "simulator changed since the sweep\n",
                info.stale);
    return MP_OK;
}

int cmd_report(int argc, char **argv)
{
    DbArgs a = {.top = 12};
    const CliOpt opts[] = {
        DB_OPT(a),
        {"out", CLI_STR, &a.out, "DIR", "report folder (replaced whole; must be new, empty or an earlier report)"},
        {"baseline", CLI_STR, &a.baseline, "NAME", "design label or PE kind to compare with (default fp16)"},
        {"top", CLI_INT, &a.top, "N", "designs per workload plotted in detail: the Pareto front by energy x delay (12)"},
        {"gnuplot", CLI_STR, &a.gnuplot, "PROG", "gnuplot program (default gnuplot)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {"mpsim report", "--db FILE --out DIR [options]",
                          "Write a report folder: index.html with the summary and Pareto tables; gnuplot plots in SVG "
                          "and PNG (Pareto scatter by PE kind, energy breakdown bars, per-layer latency bars, a "
                          "roofline per design with every layer placed); CSV exports of every row, the fronts, the "
                          "per-layer results and the accuracy table.",
                          "Example: mpsim report --db build/main.db --out build/report\n"
                          "The folder appears whole or not at all. docs/dse.md describes every file.",
                          opts, 0, 0};
    return db_command(&spec, &a, argc, argv, report_check, report_out);
}
