/* dse/perplexity.h — perplexity of a language model (dse/lmfwd.h) through every number format.
 *
 * Method: the token stream is cut into non-overlapping windows of ctx tokens (only whole windows;
 * the first max_tokens tokens of the stream at most), each window is one forward pass from an
 * empty KV cache with no BOS token, and each position i = 0..ctx-2 predicts token i+1: ctx - 1
 * predictions per window. Perplexity = exp(sum of NLL / predictions), natural log, NLL summed in
 * double in window and position order (deterministic, independent of the thread count).
 *
 * Row 0 is always the baseline: the model with no number format (its fp32 weights, i.e. for
 * SmolLM2-135M the Q4_1 file dequantized: there is no fp16 original), fp32 activations.
 * Every format's row gives its perplexity and its difference from the baseline.
 */
#ifndef MP_DSE_PERPLEXITY_H
#define MP_DSE_PERPLEXITY_H

#include <stdint.h>

#include "base/err.h"
#include "dse/lmfwd.h"

#define PPL_MAX_FORMATS 32

typedef struct PplRow {
    char name[48];             /* "baseline" for row 0, else the format's name          */
    const NumFormat *nf;       /* NULL for the baseline                                  */
    double nll;                /* summed NLL, nats                                       */
    long long predictions;     /* scored positions                                       */
    double ppl;                /* exp(nll / predictions)                                 */
    long long olive_outlier_pairs, olive_pairs; /* OliVe activations (0 otherwise)        */
} PplRow;

typedef struct PplStudy {
    const LmModel *m;
    LmDatapath dp;
    LmKvQuant kv;
    int threads;
    int ctx;                   /* tokens per window                                      */
    int windows;               /* windows evaluated                                      */
    int nrow;
    PplRow row[PPL_MAX_FORMATS + 1];
    LmRunner *base;            /* the baseline's runner, kept for its statistics         */
} PplStudy;

void ppl_init(PplStudy *s, const LmModel *m, LmDatapath dp, LmKvQuant kv, int threads, int ctx);
void ppl_free(PplStudy *s);
/* Add a format of models/pekind.h by name; MP_EINPUT for an unknown or repeated name. */
int ppl_add_format(PplStudy *s, const char *name, MpErr *e) MP_MUST_CHECK;
/* Evaluate every row on the whole windows of tok[0 .. min(ntok, max_tokens)). MP_EINPUT when that
 * holds no whole window. stats: record the baseline's activation statistics. progress: one line
 * per window on stderr. */
int ppl_run(PplStudy *s, const int32_t *tok, long long ntok, long long max_tokens, int stats, int progress,
            MpErr *e) MP_MUST_CHECK;

#endif
