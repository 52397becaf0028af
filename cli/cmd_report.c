/* cli/cmd_report.c — `mpsim pareto`, `mpsim summary` and `mpsim report`: what a sweep database
 * says (dse/report.h). */
#include <stdio.h>
#include <string.h>

#include "base/cli.h"
#include "cli/cmds.h"
#include "dse/db.h"
#include "dse/pareto.h"
#include "dse/report.h"

/* Open the database read-only and load every row. */
static int load(const char *db, RepData *r, MpErr *e)
{
    Db *d = NULL;
    int rc = db_open(db, DB_READ, &d, e);
    if (rc == MP_OK)
        rc = report_load(d, r, e);
    int rc2 = db_close(d, e);
    return rc ? rc : rc2;
}

int cmd_pareto(int argc, char **argv)
{
    const char *db = NULL, *x = "latency,energy,area,accuracy", *wl = NULL;
    const CliOpt opts[] = {
        {"db", CLI_STR, &db, "FILE", "sweep database (mpsim sweep --db)"},
        {"x", CLI_STR, &x, "LIST", "objectives, comma-separated: latency, energy, area, accuracy (default all four)"},
        {"workload", CLI_STR, &wl, "TEXT", "only workloads whose description contains TEXT (e.g. 'decode kv=2048')"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {"mpsim pareto", "--db FILE [--x latency,energy,...] [--workload TEXT]",
                          "Print the Pareto front of each workload: the designs no other design beats in every "
                          "objective (latency, energy and area minimised; accuracy, the output SQNR, maximised).",
                          "Example: mpsim pareto --db build/main.db --x latency,energy", opts, 0, 0};
    MpErr e = {0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL, &e);
    if (rc == CLI_HELP_SHOWN)
        return 0;
    int objs[PARETO_NOBJ], nobj = 0;
    if (rc == MP_OK && !db)
        rc = mp_errf(&e, MP_EINPUT, "mpsim pareto: --db FILE is required");
    if (rc == MP_OK)
        rc = pareto_parse_objectives(x, objs, &nobj, &e);
    RepData r;
    memset(&r, 0, sizeof r);
    if (rc == MP_OK)
        rc = load(db, &r, &e);
    if (rc == MP_OK)
        rc = report_print_pareto(stdout, &r, objs, nobj, wl, &e);
    report_free(&r);
    return rc ? cli_fail(&e) : 0;
}

int cmd_summary(int argc, char **argv)
{
    const char *db = NULL, *base = NULL;
    int64_t limit = 40;
    const CliOpt opts[] = {
        {"db", CLI_STR, &db, "FILE", "sweep database (mpsim sweep --db)"},
        {"baseline", CLI_STR, &base, "NAME", "design label or PE kind to compare with (default fp16; the fastest match)"},
        {"limit", CLI_INT, &limit, "N", "show only the Pareto front of workloads with more than N designs (default 40)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {"mpsim summary", "--db FILE [--baseline NAME]",
                          "Per workload, every design's latency, speed-up, energy, energy saving, area and accuracy "
                          "against a baseline, then the accuracy of every format studied.",
                          "Example: mpsim summary --db build/main.db --baseline iso/fp16", opts, 0, 0};
    MpErr e = {0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL, &e);
    if (rc == CLI_HELP_SHOWN)
        return 0;
    if (rc == MP_OK && !db)
        rc = mp_errf(&e, MP_EINPUT, "mpsim summary: --db FILE is required");
    if (rc == MP_OK && limit < 0)
        rc = mp_errf(&e, MP_EINPUT, "mpsim summary: --limit must be >= 0 (0: no limit)");
    RepData r;
    memset(&r, 0, sizeof r);
    if (rc == MP_OK)
        rc = load(db, &r, &e);
    if (rc == MP_OK && !r.npt)
        rc = mp_errf(&e, MP_EINPUT, "%s: no results yet", db);
    if (rc == MP_OK) {
        report_print_summary(stdout, &r, base, (int)limit);
        report_print_accuracy(stdout, &r);
    }
    report_free(&r);
    return rc ? cli_fail(&e) : 0;
}

int cmd_report(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *base = NULL, *gnuplot = NULL;
    int64_t top = 12;
    const CliOpt opts[] = {
        {"db", CLI_STR, &db, "FILE", "sweep database (mpsim sweep --db)"},
        {"out", CLI_STR, &out, "DIR", "report folder (replaced whole; must be new, empty or an earlier report)"},
        {"baseline", CLI_STR, &base, "NAME", "design label or PE kind to compare with (default fp16)"},
        {"top", CLI_INT, &top, "N", "designs per workload plotted in detail: the Pareto front by energy x delay (12)"},
        {"gnuplot", CLI_STR, &gnuplot, "PROG", "gnuplot program (default gnuplot)"},
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
    MpErr e = {0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL, &e);
    if (rc == CLI_HELP_SHOWN)
        return 0;
    if (rc == MP_OK && (!db || !out))
        rc = mp_errf(&e, MP_EINPUT, "mpsim report: --db FILE and --out DIR are required");
    char outb[1024];
    if (rc == MP_OK) { /* "report/" is the folder "report" */
        snprintf(outb, sizeof outb, "%s", out);
        for (size_t n = strlen(outb); n > 1 && outb[n - 1] == '/'; n--)
            outb[n - 1] = '\0';
        out = outb;
    }
    if (rc == MP_OK && (top < 1 || top > 100))
        rc = mp_errf(&e, MP_EINPUT, "mpsim report: --top takes 1..100");
    RepData r;
    memset(&r, 0, sizeof r);
    if (rc == MP_OK)
        rc = load(db, &r, &e);
    ReportInfo info;
    memset(&info, 0, sizeof info);
    if (rc == MP_OK) {
        ReportOpts ro = {base, (int)top, gnuplot};
        rc = report_write(&r, db, out, &ro, &info, &e);
    }
    if (rc == MP_OK) {
        printf("report: %s/index.html (%d rows, %d workloads, %d plots", out, r.npt, r.ngroup, info.plots);
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
    }
    report_free(&r);
    return rc ? cli_fail(&e) : 0;
}
