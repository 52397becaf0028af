/* dse/report_csv.c — the report's CSV files: every row (results.csv), the accuracy table
 * (accuracy.csv), the 4-objective fronts (pareto.csv) and the per-layer results of the designs shown
 * in detail (layers.csv). RFC 4180 quoting; numbers with 17 significant digits; an empty field for
 * a value that does not apply. */
#include "dse/report_int.h"

#include <math.h>
#include <string.h>

void rep_csv_str(FILE *f, const char *s)
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

void rep_csv_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
}

/* ",prompt,gen,ttft_s,tpot_s,tokens_per_s,j_per_token" of a request row; empty fields for the others. */
static void rep_csv_request(FILE *f, const DbPoint *p)
{
    if (!p->has_request) {
        fputs(",,,,,,", f);
        return;
    }
    fprintf(f, ",%lld,%lld", (long long)p->prompt, (long long)p->gen);
    const double v[] = {p->ttft_s, p->tpot_s, p->tokens_per_s, p->j_per_token};
    for (int k = 0; k < 4; k++) {
        fputc(',', f);
        rep_csv_num(f, v[k]);
    }
}

void rep_csv_results(RepOut *o, const RepData *r)
{
    FILE *f = rep_file(o, "results.csv");
    if (!f)
        return;
    fputs("key,arch,base,params,pe_kind,rows,cols,pes,dataflow,weight_bits,group_size,dram_bits_per_cycle,dram_tech,"
          "clock_mhz,workload,model,phase,seq,kv,batch,cycles,seconds,macs,dram_bytes,utilization,area_mm2,energy_pj,"
          "energy_pe_pj,energy_sram_pj,energy_dram_pj,energy_decoder_pj,energy_dequant_pj,energy_leakage_pj,"
          "energy_other_pj,acc_format,accuracy_db,prompt,gen,ttft_s,tpot_s,tokens_per_s,j_per_token\n",
          f);
    for (int i = 0; i < r->npt; i++) {
        const DbPoint *p = &r->pt[i];
        const char *s[] = {p->key, p->arch, p->base, p->params, p->pe_kind};
        for (int k = 0; k < 5; k++) {
            rep_csv_str(f, s[k]);
            fputc(',', f);
        }
        fprintf(f, "%d,%d,%d,%s,%d,%d,%d,%s,", p->rows, p->cols, p->rows * p->cols, p->dataflow, p->weight_bits,
                p->group_size, p->dram_bits_per_cycle, p->dram_tech);
        rep_csv_num(f, p->clock_mhz);
        fputc(',', f);
        rep_csv_str(f, p->workload);
        fputc(',', f);
        rep_csv_str(f, p->model);
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
                rep_csv_num(f, v[k]);
            fputc(',', f);
        }
        rep_csv_str(f, p->acc_format);
        fputc(',', f);
        if (p->has_accuracy)
            rep_csv_num(f, p->accuracy_db);
        rep_csv_request(f, p);
        fputc('\n', f);
    }
    rep_file_close(o, f, "results.csv");
}

void rep_csv_accuracy(RepOut *o, const RepData *r)
{
    FILE *f = rep_file(o, "accuracy.csv");
    if (!f)
        return;
    fputs("model,format,group_size,layers,rows,tokens,seed,sqnr_db,ideal_sqnr_db,weight_sqnr_db,hw_vs_ideal_db,gemms,"
          "message\n",
          f);
    for (int i = 0; i < r->nacc; i++) {
        const DbAcc *a = &r->acc[i];
        rep_csv_str(f, a->model);
        fprintf(f, ",%s,%d,%d,%d,%d,%lld,", a->format, a->group_size, a->layers, a->rows, a->tokens,
                (long long)a->seed);
        const double v[] = {a->sqnr_db, a->ideal_db, a->weight_db, a->hw_vs_ideal_db};
        for (int k = 0; k < 4; k++) {
            if (a->ok)
                rep_csv_num(f, v[k]);
            fputc(',', f);
        }
        fprintf(f, "%d,", a->gemms);
        rep_csv_str(f, a->ok ? "" : a->message);
        fputc('\n', f);
    }
    rep_file_close(o, f, "accuracy.csv");
}

void rep_csv_pareto_header(FILE *f)
{
    fputs("workload,key,arch,pe_kind,seconds,energy_pj,area_mm2,accuracy_db,prompt,gen,ttft_s,tpot_s,tokens_per_s,"
          "j_per_token\n",
          f);
}

/* The 4-objective front of one workload. */
void rep_csv_pareto_rows(FILE *f, const RepData *r, const RepWork *w)
{
    const RepGroup *G = &r->group[w->g];
    for (int i = 0; i < G->n; i++) {
        if (!w->front[i])
            continue;
        const DbPoint *p = &r->pt[G->first + i];
        rep_csv_str(f, w->name);
        fprintf(f, ",%s,", p->key);
        rep_csv_str(f, p->arch);
        fprintf(f, ",%s,", p->pe_kind);
        const double v[] = {p->seconds, p->energy_pj, p->area_mm2};
        for (int k = 0; k < 3; k++) {
            rep_csv_num(f, v[k]);
            fputc(',', f);
        }
        if (p->has_accuracy)
            rep_csv_num(f, p->accuracy_db);
        rep_csv_request(f, p);
        fputc('\n', f);
    }
}

void rep_csv_layers_header(FILE *f)
{
    fputs("workload,arch,layer,m,n,k,count,cycles,seconds,macs,dram_bytes,energy_pj,macs_per_dram_byte,"
          "gmac_per_s,bound\n",
          f);
}

/* Every layer of each design shown in detail that could be re-simulated. */
void rep_csv_layers_rows(FILE *f, const RepData *r, const RepWork *w)
{
    for (int i = 0; i < w->nshown; i++) {
        if (!w->dt[i].ok)
            continue;
        const Point *pt = &w->dt[i].pt;
        double hz = pt->cfg.clock_mhz * 1e6;
        for (int l = 0; l < pt->res.nlayer; l++) {
            const RunLayer *L = &pt->res.layer[l];
            const SimEvents *ev = &L->all.ev; /* every instance, back to back */
            double bytes = (double)(ev->dram_read_bits + ev->dram_write_bits) / 8;
            rep_csv_str(f, w->name);
            fputc(',', f);
            rep_csv_str(f, r->pt[w->shown[i]].arch);
            fputc(',', f);
            rep_csv_str(f, L->g.name);
            fprintf(f, ",%lld,%lld,%lld,%lld,%lld,", (long long)L->g.m, (long long)L->g.n, (long long)L->g.k,
                    (long long)L->g.count, (long long)ev->cycles);
            rep_csv_num(f, (double)ev->cycles / hz);
            fprintf(f, ",%lld,", (long long)ev->macs);
            rep_csv_num(f, bytes);
            fputc(',', f);
            rep_csv_num(f, pt->layer_energy[l].total);
            fputc(',', f);
            rep_csv_num(f, bytes > 0 ? ev->macs / bytes : NAN);
            fputc(',', f);
            rep_csv_num(f, ev->cycles > 0 ? ev->macs / ((double)ev->cycles / hz) / 1e9 : NAN);
            fprintf(f, ",%s\n", point_bound(&L->all));
        }
    }
}
