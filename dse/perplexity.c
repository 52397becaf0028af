/* dse/perplexity.c — see perplexity.h. */
#include "dse/perplexity.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void ppl_init(PplStudy *s, const LmModel *m, LmDatapath dp, LmKvQuant kv, int threads, int ctx)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->dp = dp;
    s->kv = kv;
    s->threads = threads;
    s->ctx = ctx;
    s->nrow = 1;
    snprintf(s->row[0].name, sizeof s->row[0].name, "baseline");
}

void ppl_free(PplStudy *s)
{
    lm_runner_free(s->base);
    s->base = NULL;
}

int ppl_add_format(PplStudy *s, const char *name, MpErr *e)
{
    const NumFormat *nf = num_format_lookup(name, e);
    if (!nf)
        return MP_EINPUT;
    for (int i = 1; i < s->nrow; i++)
        if (s->row[i].nf == nf)
            return mp_errf(e, MP_EINPUT, "format '%s' is listed twice", name);
    if (s->nrow > PPL_MAX_FORMATS)
        return mp_errf(e, MP_EINPUT, "too many formats (at most %d)", PPL_MAX_FORMATS);
    PplRow *r = &s->row[s->nrow++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->nf = nf;
    return MP_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int ppl_run(PplStudy *s, const int32_t *tok, long long ntok, long long max_tokens, int stats, int progress, MpErr *e)
{
    long long use = ntok < max_tokens ? ntok : max_tokens;
    if (s->ctx < 2)
        return mp_errf(e, MP_EINPUT, "--ctx %d: a window needs at least 2 tokens", s->ctx);
    s->windows = (int)(use / s->ctx);
    if (s->windows < 1)
        return mp_errf(e, MP_EINPUT, "%lld tokens hold no whole window of %d tokens", use, s->ctx);
    const char *dpname = s->dp == LM_DP_HW ? "hw" : "ideal";
    for (int ri = 0; ri < s->nrow; ri++) {
        PplRow *r = &s->row[ri];
        double t0 = now_s();
        if (progress)
            fprintf(stderr, "perplexity: %-12s quantizing weights ...\n", r->name);
        LmRunner *run = NULL;
        /* the baseline runs the plain fp32 model (its datapath is sgemm either way) */
        int rc = lm_prepare(s->m, r->nf, s->dp, s->kv, s->threads, &run, e);
        if (rc == MP_OK)
            rc = lm_runner_quantize_all(run, e);
        if (rc == MP_OK && ri == 0 && stats)
            rc = lm_runner_stats_on(run, e);
        r->nll = 0;
        r->predictions = 0;
        for (int w = 0; rc == MP_OK && w < s->windows; w++) {
            double nll;
            rc = lm_window_nll(run, tok + (size_t)w * s->ctx, s->ctx, &nll, e);
            if (rc)
                break;
            r->nll += nll;
            r->predictions += s->ctx - 1;
            if (progress)
                fprintf(stderr, "perplexity: %-12s %s window %d/%d  ppl %.4f  (%.1f s)\n", r->name,
                        ri ? dpname : "fp32", w + 1, s->windows, exp(r->nll / r->predictions), now_s() - t0);
        }
        if (rc) {
            lm_runner_free(run);
            mp_err_prefix(e, "%s", r->name);
            return rc;
        }
        r->ppl = exp(r->nll / r->predictions);
        lm_runner_olive_pairs(run, &r->olive_outlier_pairs, &r->olive_pairs);
        if (ri == 0)
            s->base = run;
        else
            lm_runner_free(run);
    }
    return MP_OK;
}
