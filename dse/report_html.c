/* dse/report_html.c — the report's index.html: per workload the summary table against the baseline
 * with the Pareto front marked, the plots and notes; then the accuracy table. */
#include "dse/report_int.h"

#include <stdarg.h>
#include <string.h>

void rep_html_esc(FILE *f, const char *s)
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

static void html_head(FILE *h, const char *db)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mpsim report: ", h);
    rep_html_esc(h, db);
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
    rep_html_esc(h, buf);
    fputs("</td>", h);
}

static void html_figure(FILE *h, const char *stem, const char *caption, const char *png)
{
    fprintf(h, "<figure><a href=\"%s.svg\"><img src=\"%s.svg\" alt=\"", stem, stem);
    rep_html_esc(h, caption);
    fputs("\"></a><figcaption>", h);
    rep_html_esc(h, caption);
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
    const int req = r->pt[r->group[g].first].has_request;
    fputs("<table>\n<tr><th class=\"l\">design</th><th class=\"l\">kind</th><th>PEs</th><th>latency ms</th>"
          "<th>speed-up</th><th>energy mJ</th><th>saving</th>",
          h);
    if (req)
        fputs("<th>TTFT ms</th><th>×</th><th>TPOT ms</th><th>×</th><th>tokens/s</th><th>×</th><th>mJ/token</th>"
              "<th>×</th>",
              h);
    fputs("<th>area mm²</th><th>area</th><th>SQNR dB</th><th>ΔSQNR</th><th>util %</th><th>front</th></tr>\n", h);
    for (int i = 0; i < n; i++) {
        const DbPoint *p = &r->pt[idx[i]];
        fprintf(h, "<tr%s>", idx[i] == b ? " class=\"base\"" : "");
        html_td(h, "l", "%s", p->arch);
        html_td(h, "l", "%s", p->pe_kind);
        html_td(h, NULL, "%d", p->rows * p->cols);
        char t1[32], t2[32];
        html_td(h, NULL, "%s", rep_num(t1, sizeof t1, p->seconds * 1e3));
        html_td(h, NULL, B ? "%.2fx" : "-", B ? B->seconds / p->seconds : 0);
        html_td(h, NULL, "%s", rep_num(t2, sizeof t2, p->energy_pj / 1e9));
        html_td(h, NULL, B ? "%.2fx" : "-", B ? B->energy_pj / p->energy_pj : 0);
        if (req) {
            /* each ratio: higher is better (as speed-up and saving) */
            const int ok = B && B->has_request && p->has_request;
            char t3[32], t4[32], t5[32], t6[32];
            html_td(h, NULL, "%s", rep_num(t3, sizeof t3, p->ttft_s * 1e3));
            html_td(h, NULL, ok ? "%.2fx" : "-", ok ? B->ttft_s / p->ttft_s : 0);
            html_td(h, NULL, "%s", rep_num(t4, sizeof t4, p->tpot_s * 1e3));
            html_td(h, NULL, ok ? "%.2fx" : "-", ok ? B->tpot_s / p->tpot_s : 0);
            html_td(h, NULL, "%s", rep_num(t5, sizeof t5, p->tokens_per_s));
            html_td(h, NULL, ok ? "%.2fx" : "-", ok ? p->tokens_per_s / B->tokens_per_s : 0);
            html_td(h, NULL, "%s", rep_num(t6, sizeof t6, p->j_per_token * 1e3));
            html_td(h, NULL, ok ? "%.2fx" : "-", ok ? B->j_per_token / p->j_per_token : 0);
        }
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

void rep_html_start(FILE *h, const RepData *r, const char *db_path, int have_gp)
{
    html_head(h, db_path);
    fputs("<h1>mpsim design-space report</h1>\n<p>Database <code>", h);
    rep_html_esc(h, db_path);
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
        rep_html_esc(h, r->pt[r->group[g].first].workload);
        fputs("</a> ", h);
    }
    fputs("<a href=\"#accuracy\">accuracy</a></nav>\n", h);
}

void rep_html_workload(FILE *h, const RepData *r, const RepWork *w, const char *baseline, const char *png,
                       int have_gp, int *scratch)
{
    const RepGroup *G = &r->group[w->g];
    fprintf(h, "<h2 id=\"w%d\">", w->g + 1);
    rep_html_esc(h, w->name);
    fprintf(h, "</h2>\n<p>%d designs, %d on the Pareto front over latency, energy, area and accuracy.", G->n,
            w->nfront);
    if (w->base >= 0) {
        fputs(" Baseline: ", h);
        rep_html_esc(h, r->pt[w->base].arch);
        fputs(".", h);
    }
    fputs("</p>\n", h);
    const int req = r->pt[G->first].has_request;
    if (req)
        fputs("<p>A whole request (prefill, then one decode step per generated token as the KV cache grows): "
              "latency and energy cover all of it; TTFT = the prefill's time, TPOT = the mean decode step, "
              "tokens/s = batch × generated / latency, mJ/token = energy / (batch × generated); × = the ratio "
              "against the baseline, higher is better. The per-layer plots and rooflines show the request's "
              "prefill (<code>mpsim infer</code> splits the decode steps by layer).</p>\n",
              h);
    int nrow = rep_group_rows(r, w->g, G->n > 40, REP_BY_DISPLAY, scratch);
    if (nrow >= 0) {
        if (G->n > 40)
            fputs("<p>The Pareto front (every row is in <a href=\"results.csv\">results.csv</a>):</p>\n", h);
        html_summary_table(h, r, w->g, scratch, nrow, baseline, w->front);
    }
    if (have_gp) {
        static const struct {
            RepPlotKind kind;
            const char *caption;
        } fig[] = {{PLOT_PARETO, "latency vs energy, by PE kind"},
                   {PLOT_ENERGY, "energy by component"},
                   {PLOT_LAYERS, "latency per layer"}};
        char stem[400];
        for (int k = 0; k < 3; k++) {
            rep_plot_stem(stem, sizeof stem, fig[k].kind, w->slug, 0);
            const char *cap = !req ? fig[k].caption
                              : k == 0 ? "TPOT vs J/token, by PE kind"
                              : k == 2 ? "latency per layer of the prefill"
                                       : fig[k].caption;
            html_figure(h, stem, cap, png);
        }
        fputs("<h3>Rooflines</h3>\n<p>Each layer at its arithmetic intensity (MACs per DRAM byte) and the "
              "MAC rate it reaches; the roof is min(peak, intensity x DRAM bandwidth), peak = PEs x MACs per "
              "PE-cycle x clock, bandwidth = DRAM bits per cycle / 8 x clock.</p>\n",
              h);
        for (int i = 0; i < w->nshown; i++) {
            if (!w->dt[i].ok)
                continue;
            char cap[400];
            rep_plot_stem(stem, sizeof stem, PLOT_ROOFLINE, w->slug, i);
            snprintf(cap, sizeof cap, "roofline of %s", r->pt[w->dt[i].row].arch);
            html_figure(h, stem, cap, png);
        }
    }
    for (int i = 0; i < w->nshown; i++) {
        const RepDetail *d = &w->dt[i];
        if (d->ok && !d->stale)
            continue;
        fputs("<p><b>Note:</b> ", h);
        rep_html_esc(h, r->pt[d->row].arch);
        if (!d->ok) {
            fputs(" could not be re-simulated: ", h);
            rep_html_esc(h, d->why);
        } else
            fputs(" re-simulates to a different cycle count than the database holds: the simulator changed "
                  "since the sweep; run it again into a new database.",
                  h);
        fputs("</p>\n", h);
    }
}

void rep_html_end(FILE *h, const RepData *r)
{
    fputs("<h2 id=\"accuracy\">Accuracy</h2>\n<p>Output SQNR of each number format against the unquantized fp64 "
          "GEMM on synthetic LLM-like tensors with the model's layer shapes (hardware-exact datapath; ideal = "
          "dequantized values in fp64; weight = the weights alone; datapath = hardware-exact against ideal).</p>\n"
          "<table>\n<tr><th class=\"l\">model</th><th class=\"l\">format</th><th>group</th><th>SQNR dB</th>"
          "<th>ideal dB</th><th>weight dB</th><th>datapath dB</th><th>GEMMs</th><th class=\"l\">study</th></tr>\n",
          h);
    for (int i = 0; i < r->nacc; i++) {
        const DbAcc *a = &r->acc[i];
        char s[4][16];
        rep_fmt_db(s[0], 16, a->ok, a->sqnr_db);
        rep_fmt_db(s[1], 16, a->ok, a->ideal_db);
        rep_fmt_db(s[2], 16, a->ok, a->weight_db);
        rep_fmt_db(s[3], 16, a->ok, a->hw_vs_ideal_db);
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
