/* traces/synth.h — seeded synthetic weights and activations with LLM-like statistics.
 *
 * For a GEMM Y[M×N] = X[M×K] · W^T (docs/workloads.md), both row-major float32:
 *
 *   W[n][k] = w_sigma · c_n · t_nk · (b_nk ? w_big_mult : 1)
 *       c_n  = exp(w_chan_logsd · z)     per-output-channel scale, log-normal, median 1
 *       t_nk = Student-t(w_nu) / sqrt(w_nu / (w_nu - 2))       heavy tails, unit variance
 *       b_nk = (u < w_big_frac)          u uniform in [0,1): the rare larger weights
 *
 *   X[m][k] = x_sigma · r_m · s_k · g_mk
 *       r_m  = exp(x_token_logsd · z)    per-token (row) scale, log-normal, median 1
 *       s_k  = exp(x_chan_logsd · z)     per-channel scale of a normal channel, median 1
 *            = exp(U(ln x_outlier_min, ln x_outlier_max))   for an outlier channel
 *       g_mk = standard normal (x_nu == 0) or unit-variance Student-t(x_nu)
 *   Exactly syn_outlier_count(p, K) channels are outlier channels, chosen uniformly at
 *   random (selection sampling), so an outlier channel's typical |x| is x_outlier_min..
 *   x_outlier_max times that of the median channel.
 *
 * Deterministic: the output depends only on (params, seed, shape), through base/rng.h
 * and libm's exp/log/sqrt/sin/cos. W uses the stream seeded with seed ^ SYN_STREAM_W,
 * X the one seeded with seed ^ SYN_STREAM_X, so W and X of one seed are independent.
 * Every random number is drawn whatever the parameters' values (e.g. u above is drawn
 * even when w_big_frac is 0), so changing one parameter changes only what it controls.
 * Statistics, defaults and their sources: docs/data.md.
 */
#ifndef MP_TRACES_SYNTH_H
#define MP_TRACES_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SYN_STREAM_W 0x5745494748545321ull /* "WEIGHTS!" */
#define SYN_STREAM_X 0x414354495641544eull /* "ACTIVATN" */

typedef struct SynParams {
    /* weights */
    double w_sigma;        /* median per-output-channel std of W (default 0.02)                  */
    double w_chan_logsd;   /* std of ln(c_n), the channel scale spread (default 0.3)             */
    int w_nu;              /* Student-t degrees of freedom, >= 3 (default 6: kurtosis 6)         */
    double w_big_frac;     /* fraction of entries that are larger weights, 0..1 (default 0.001)  */
    double w_big_mult;     /* magnitude multiplier of those entries, >= 1 (default 6)            */
    /* activations */
    double x_sigma;        /* median per-channel std of X (default 1)                            */
    double x_chan_logsd;   /* std of ln(s_k) over normal channels (default 0.4)                  */
    double x_token_logsd;  /* std of ln(r_m) over tokens (default 0.2)                           */
    int x_nu;              /* 0: normal entries; >= 3: Student-t entries (default 0)             */
    double x_outlier_frac; /* fraction of channels that are outlier channels, 0..0.5 (default 0.004) */
    double x_outlier_min;  /* outlier channel scale / x_sigma, low end, >= 1 (default 20)         */
    double x_outlier_max;  /* ... high end, >= x_outlier_min (default 100)                        */
} SynParams;

void syn_params_default(SynParams *p);
/* MP_EINPUT with a message naming the parameter if a value is out of its range. */
int syn_params_check(const SynParams *p, MpErr *e) MP_MUST_CHECK;

/* The parameters as a table (for metadata, flags and docs): names are the field names. */
size_t syn_param_count(void);
const char *syn_param_name(size_t i);
const char *syn_param_help(size_t i);
double syn_param_get(const SynParams *p, size_t i);
/* Set parameter `name` from text ("w_nu", "5"); MP_EINPUT for an unknown name or a
 * malformed number (the range is checked by syn_params_check). */
int syn_param_set(SynParams *p, const char *name, const char *value, MpErr *e) MP_MUST_CHECK;
/* Apply "name=value,name=value,..." (an empty string is no change). */
int syn_params_parse(SynParams *p, const char *list, MpErr *e) MP_MUST_CHECK;

/* Outlier channels among k: round(x_outlier_frac · k), at least 1 when x_outlier_frac > 0. */
size_t syn_outlier_count(const SynParams *p, size_t k);

/* Fill w[n·k] (row n = output channel). MP_EINPUT for bad params or n·k overflow. */
int syn_weights(const SynParams *p, uint64_t seed, size_t n, size_t k, float *w, MpErr *e) MP_MUST_CHECK;
/* Fill x[m·k] (row m = token, column k = channel); outlier[k] (may be NULL) gets 1 for
 * outlier channels and 0 for the others. Allocates k doubles (MP_ENOMEM). */
int syn_acts(const SynParams *p, uint64_t seed, size_t m, size_t k, float *x, unsigned char *outlier,
             MpErr *e) MP_MUST_CHECK;

#endif
