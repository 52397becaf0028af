/* dse/lmfwd.h — the forward pass of a Llama-architecture language model (SmolLM2-135M from its
 * GGUF file, or a small seeded random model for tests), with every linear layer run through a
 * number format's golden path.
 *
 * The model (per layer l of L; x is [T x D], one row per token of the window):
 *
 *     h  = rmsnorm(x) * attn_norm                   eps from the file
 *     q  = h Wq^T  [T x H*hd]   k = h Wk^T  [T x HK*hd]   v = h Wv^T  [T x HK*hd]
 *     q, k rotated by RoPE (base from the file) over adjacent pairs (2i, 2i+1) of each head:
 *          the GGUF's Wq/Wk rows are llama.cpp's permutation of the Hugging Face rows, for
 *          which adjacent-pair rotation is the right one (scripts/smollm2_ref.py un-permutes
 *          and rotates halves instead; both give the same logits)
 *     k, v stored in the KV cache through the kv format (LmKvFormat; none by default)
 *     a  = softmax(q_h k_g^T / sqrt(hd) + causal mask) v_g   query head h uses KV head
 *          g = h / (H / HK) (GQA); fp32, not through a number format
 *     x += a Wo^T
 *     h  = rmsnorm(x) * ffn_norm
 *     x += (silu(h Wgate^T) * (h Wup^T)) Wdown^T    (SwiGLU)
 * then logits = rmsnorm(x) * output_norm  E^T with E the token embedding (tied lm_head).
 *
 * Linear layers (q, k, v, o, gate, up, down) and the number format (models/pekind.h NumFormat):
 *   - weights: the GGUF tensors dequantized to fp32 (the file is Q4_1: that fp32 model is the
 *     baseline, not an fp16 original), then quantized once by the format's wq, on the weight's
 *     first use (so a runner that uses one layer quantizes only that one);
 *   - activations: quantized by the format's xq on every call (per token or per tensor, as the
 *     format says; the tensor is the whole window's T x K input of that layer);
 *   - ideal datapath (LM_DP_IDEAL): the exactly dequantized values, rounded to fp32 (relative
 *     error <= 2^-24 each), multiplied and summed by OpenBLAS sgemm in fp32. Bound against
 *     golden_gemm_ideal (double): |y - y_ideal| <= (K + 2) * 2^-24 * sum_k |w_k x_k| (the
 *     classic gamma_K bound of a K-term fp32 dot product, plus the two input roundings);
 *     tests/test_lmfwd.c checks it on real layers;
 *   - hardware-exact datapath (LM_DP_HW): golden_gemm_hw (models/golden.h), bit-exact but slow
 *     (~0.1-0.3 G MAC/s): for slices only;
 *   - no format (nf NULL): fp32 weights and activations through sgemm (the baseline).
 * lm_head always stays fp32 (no format), as does attention's act x act arithmetic.
 *
 * Threads: work is cut into tasks of fixed size that do not depend on the thread count (output
 * column blocks of LM_NBLK rows of W, attention heads, token rows), each computed whole by one
 * thread (pthreads) with single-threaded BLAS, so results are bit-identical for any thread count. The
 * quantizers' own OpenMP loops are independent of the thread count too (models/quant.c).
 */
#ifndef MP_DSE_LMFWD_H
#define MP_DSE_LMFWD_H

#include <stdint.h>

#include "base/err.h"
#include "models/pekind.h"

#define LM_NBLK 64 /* output columns per task of a linear layer (fixed: determinism) */

typedef struct LmConfig {
    int layers;    /* L                                  */
    int dim;       /* D = H * hd                         */
    int ffn;       /* FFN hidden width                   */
    int heads;     /* H query heads                      */
    int kv_heads;  /* HK KV heads, H % HK == 0           */
    int head_dim;  /* hd, even                           */
    int vocab;     /* V                                  */
    float eps;     /* RMSNorm epsilon                    */
    float rope_base;
} LmConfig;

/* The seven linear layers of a transformer layer, in the order of the forward pass. */
typedef enum LmLin { LM_Q, LM_K, LM_V, LM_O, LM_GATE, LM_UP, LM_DOWN, LM_NLIN } LmLin;
extern const char *const lm_lin_names[LM_NLIN]; /* "attn_q", ... (the GGUF names) */

/* The four distinct linear inputs of a layer (q/k/v share one, gate/up share one). */
typedef enum LmAct { LM_ACT_QKV, LM_ACT_O, LM_ACT_GATEUP, LM_ACT_DOWN, LM_NACT } LmAct;
extern const char *const lm_act_names[LM_NACT]; /* "attn_in", "attn_out", "ffn_in", "ffn_mid" */

typedef struct LmModel LmModel; /* fp32 weights; read-only once made */

/* SmolLM2-style GGUF (general.architecture llama). MP_EINPUT naming the file and the problem
 * (missing tensor or key, shapes that disagree). */
int lm_load_gguf(const char *path, LmModel **out, MpErr *e) MP_MUST_CHECK;
/* A random model of config c (seeded; weights ~ N(0, 1/K) scaled, norms near 1, a few larger
 * input channels so that activation outliers exist): for tests. */
int lm_create_random(const LmConfig *c, uint64_t seed, LmModel **out, MpErr *e) MP_MUST_CHECK;
void lm_free(LmModel *m);
const LmConfig *lm_config(const LmModel *m);
/* Layer l's linear weight [n x k] in fp32, row-major (tests). */
const float *lm_weight(const LmModel *m, int l, LmLin which, int *n, int *k);

typedef enum LmDatapath { LM_DP_IDEAL, LM_DP_HW } LmDatapath;

/* The KV-cache hook: quantize-dequantize n values (one token's one KV head) in place. NULL = none.
 * Issue 15 adds per-operand kv formats to configs; this stays a plain function pointer. */
typedef void (*LmKvQuant)(float *v, int n);
/* "none" (NULL), "fp16" (round to fp16), "int8" (symmetric int8, one fp32 scale = max|v|/127 per
 * token and KV head). 0 and *out, or -1 for an unknown name. */
int lm_kv_find(const char *name, LmKvQuant *out);
extern const char *const lm_kv_names[]; /* NULL-terminated */

/* Per-input activation statistics, accumulated over every call of a runner that has them on.
 * |x| goes into a log2 histogram of LM_HIST_BINS bins of 1/8 octave from 2^LM_HIST_LO (values
 * below land in bin 0), so medians are within 9% (one bin). */
#define LM_HIST_BINS 256
#define LM_HIST_LO (-24)
typedef struct LmActStats {
    int k;                   /* channels                                            */
    long long n;             /* elements seen                                       */
    double sumsq;            /* sum of x^2                                          */
    float maxabs;            /* max |x|                                             */
    float *chan_max;         /* [k] max |x| per channel                             */
    long long hist[LM_HIST_BINS];
} LmActStats;

typedef struct LmRunner LmRunner; /* a model prepared for one format and datapath */

/* Prepare m for format nf (NULL: none, the fp32 baseline) on datapath dp; every linear weight
 * is quantized once, when first used. threads >= 1. kv may be NULL. The runner keeps m (do not free it first). */
int lm_prepare(const LmModel *m, const NumFormat *nf, LmDatapath dp, LmKvQuant kv, int threads, LmRunner **out,
               MpErr *e) MP_MUST_CHECK;
void lm_runner_free(LmRunner *r);
/* Quantize every linear weight now, one task per weight in parallel (the same results as on first
 * use). */
int lm_runner_quantize_all(LmRunner *r, MpErr *e) MP_MUST_CHECK;
/* Start recording activation statistics (per layer and LmAct) from now on. */
int lm_runner_stats_on(LmRunner *r, MpErr *e) MP_MUST_CHECK;
/* Layer l's statistics of input a (NULL unless stats are on). */
const LmActStats *lm_runner_stats(const LmRunner *r, int l, LmAct a);
/* On the next forward pass, copy the first min(rows, tokens) rows of layer l's input a into buf
 * (rows x K floats; K of that input); once. For tests that need real activations. */
void lm_runner_capture(LmRunner *r, int l, LmAct a, float *buf, int rows);
/* Outlier-pair counts of the OliVe activation quantizer so far (0 for other formats). */
void lm_runner_olive_pairs(const LmRunner *r, long long *outlier_pairs, long long *pairs);

/* Forward pass of one window of n tokens (positions 0..n-1, fresh KV cache) into logits
 * [n x vocab] (row-major). MP_EINPUT for a token out of range. */
int lm_forward(LmRunner *r, const int32_t *tok, int n, float *logits, MpErr *e) MP_MUST_CHECK;

/* Forward pass of one window and its negative log-likelihood: *nll = sum over positions
 * i = 0..n-2 of -log softmax(logits_i)[tok[i+1]] (natural log, double; n - 1 predictions),
 * summed in position order. */
int lm_window_nll(LmRunner *r, const int32_t *tok, int n, double *nll, MpErr *e) MP_MUST_CHECK;

/* One linear layer of the runner on x [t x k] into y [t x n] (tests; stats are not recorded). */
int lm_linear(LmRunner *r, int l, LmLin which, const float *x, int t, float *y, MpErr *e) MP_MUST_CHECK;

/* Median |x| of a statistics histogram (bin centre), and the count of channels whose max |x| is at
 * least `ratio` times the median over channels of the channel max. */
double lm_stats_median(const LmActStats *s);
int lm_stats_outlier_channels(const LmActStats *s, double ratio, int *top, int ntop);

#endif
