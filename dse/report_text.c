/* dse/report_text.c — the text tables of a sweep database: the summary against a baseline, the
 * accuracy table and the Pareto fronts (mpsim summary, mpsim pareto, the report's summary.txt). */
#include "dse/report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "dse/pareto.h"

const char *rep_num(char *buf, size_t cap, double v)
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

/* "1.23x" = num / den, "-" without a baseline or a value. */
static const char *ratio(char *buf, size_t cap, int ok, double num, double den)
{
    if (ok && den != 0 && isfinite(num / den))
        snprintf(buf, cap, "%.2fx", num / den);
    else
        snprintf(buf, cap, "-");
    return buf;
}

/* The table of a request workload: TTFT, TPOT, tokens/s and J/token, each with its ratio against
 * the baseline (higher is better: baseline TTFT / TTFT, baseline TPOT / TPOT, tokens/s / baseline
 * tokens/s, baseline J/token / J/token), then area and SQNR. */
static void print_request_rows(FILE *f, const RepData *r, const int *idx, int n, const DbPoint *B, int w)
{
    fprintf(f, "%-*s %-13s %6s %10s %7s %10s %7s %10s %7s %10s %7s %8s %7s %8s %7s\n", w, "design", "kind", "PEs",
            "TTFT ms", "x", "TPOT ms", "x", "tokens/s", "x", "mJ/token", "x", "area mm2", "area", "SQNR dB", "dSQNR");
    for (int i = 0; i < n; i++) {
        const DbPoint *p = &r->pt[idx[i]];
        const int ok = B && B->has_request && p->has_request;
        char q[4][16], a[4][32], ar[16], acc[16] = "-", dacc[16] = "-";
        ratio(q[0], 16, ok, B ? B->ttft_s : 0, p->ttft_s);
        ratio(q[1], 16, ok, B ? B->tpot_s : 0, p->tpot_s);
        ratio(q[2], 16, ok, p->tokens_per_s, B ? B->tokens_per_s : 0);
        ratio(q[3], 16, ok, B ? B->j_per_token : 0, p->j_per_token);
        ratio(ar, sizeof ar, B != NULL, p->area_mm2, B ? B->area_mm2 : 0);
        if (p->has_accuracy)
            snprintf(acc, sizeof acc, "%.2f", p->accuracy_db);
        if (p->has_accuracy && B && B->has_accuracy)
            snprintf(dacc, sizeof dacc, "%+.2f", p->accuracy_db - B->accuracy_db);
        fprintf(f, "%-*.*s %-13s %6d %10s %7s %10s %7s %10s %7s %10s %7s %8.3f %7s %8s %7s\n", w, w, p->arch,
                p->pe_kind, p->rows * p->cols, rep_num(a[0], 32, p->ttft_s * 1e3), q[0],
                rep_num(a[1], 32, p->tpot_s * 1e3), q[1], rep_num(a[2], 32, p->tokens_per_s), q[2],
                rep_num(a[3], 32, p->j_per_token * 1e3), q[3], p->area_mm2, ar, acc, dacc);
    }
}

void report_print_summary(FILE *f, const RepData *r, const char *baseline, int limit)
{
    int requests = 0, others = 0;
    int *idx = mp_malloc((size_t)(r->npt ? r->npt : 1) * sizeof *idx);
    if (!idx)
        return;
    for (int g = 0; g < r->ngroup; g++) {
        const RepGroup *G = &r->group[g];
        int front_only = limit > 0 && G->n > limit;
        int n = rep_group_rows(r, g, front_only, REP_BY_DISPLAY, idx);
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
        if (r->pt[G->first].has_request) {
            requests = 1;
            print_request_rows(f, r, idx, n, B, w);
            continue;
        }
        others = 1;
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
                    p->rows * p->cols, rep_num(lat, sizeof lat, p->seconds * 1e3), sp,
                    rep_num(en, sizeof en, p->energy_pj / 1e9), sv, p->area_mm2, ar, acc, dacc);
        }
    }
    if (requests)
        fprintf(f, "\nrequests: TTFT = prefill time (first token); TPOT = mean time per decode step; tokens/s = "
                   "batch x generated / (TTFT + all steps);\nmJ/token = request energy / (batch x generated); "
                   "x = the ratio against the baseline, higher is better (baseline TTFT / TTFT, baseline TPOT / TPOT,\n"
                   "tokens/s / baseline tokens/s, baseline J/token / J/token)%s",
                others ? "\n" : ";\narea = area / baseline area; SQNR = output SQNR of the kind's number format "
                                "against fp64 (accuracy table below); dSQNR = SQNR - baseline SQNR\n");
    if (others)
        fprintf(f, "\nspeed-up = baseline latency / latency; saving = baseline energy / energy; area = area / baseline "
                   "area;\nSQNR = output SQNR of the kind's number format against fp64 (accuracy table below); "
                   "dSQNR = SQNR - baseline SQNR\n");
    mp_free(idx);
}

void rep_fmt_db(char *buf, size_t cap, int ok, double v)
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
        rep_fmt_db(s1, sizeof s1, a->ok, a->sqnr_db);
        rep_fmt_db(s2, sizeof s2, a->ok, a->ideal_db);
        rep_fmt_db(s3, sizeof s3, a->ok, a->weight_db);
        rep_fmt_db(s4, sizeof s4, a->ok, a->hw_vs_ideal_db);
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
        int w = label_width(r, idx, n), req = r->pt[G->first].has_request;
        fprintf(f, "%-*s %-13s %6s %12s %11s", w, "design", "kind", "PEs", "latency ms", "energy mJ");
        if (req)
            fprintf(f, " %10s %10s %10s %10s", "TTFT ms", "TPOT ms", "tokens/s", "mJ/token");
        fprintf(f, " %9s %8s  %s\n", "area mm2", "SQNR dB", "key");
        for (int i = 0; i < n; i++) {
            const DbPoint *p = &r->pt[idx[i]];
            char acc[16];
            rep_fmt_db(acc, sizeof acc, p->has_accuracy, p->accuracy_db);
            char lat[32], en[32];
            if (req) {
                char a[4][32];
                fprintf(f, "%-*.*s %-13s %6d %12s %11s %10s %10s %10s %10s %9.3f %8s  %s\n", w, w, p->arch, p->pe_kind,
                        p->rows * p->cols, rep_num(lat, sizeof lat, p->seconds * 1e3),
                        rep_num(en, sizeof en, p->energy_pj / 1e9), rep_num(a[0], 32, p->ttft_s * 1e3),
                        rep_num(a[1], 32, p->tpot_s * 1e3), rep_num(a[2], 32, p->tokens_per_s),
                        rep_num(a[3], 32, p->j_per_token * 1e3), p->area_mm2, acc, p->key);
                continue;
            }
            fprintf(f, "%-*.*s %-13s %6d %12s %11s %9.3f %8s  %s\n", w, w, p->arch, p->pe_kind, p->rows * p->cols,
                    rep_num(lat, sizeof lat, p->seconds * 1e3), rep_num(en, sizeof en, p->energy_pj / 1e9), p->area_mm2,
                    acc, p->key);
        }
    }
    if (rc == MP_OK && !shown)
        rc = mp_errf(e, MP_EINPUT, "no workload %s%s%s in the database", filter ? "matches '" : "",
                     filter ? filter : "", filter ? "'" : "(the database has no results)");
    mp_free(idx);
    mp_free(on);
    return rc;
}
