/* traces/workload.h — the built-in LLM model library and its expansion into GEMMs.
 *
 * Every GEMM is  Y[M×N] = X[M×K] · W^T  (docs/workloads.md):
 *   M = tokens (rows of X and Y), N = output features (rows of W), K = input features (the reduction).
 * For an activation × activation GEMM (attention) "W" is the second activation (K or V of one head).
 *
 * A Workload is an ordered array of Gemm rows plus the totals over them. Its invariants, kept by
 * wl_add_gemm() (the only way rows get in):
 *   - every m, n, k, count is in 1..WL_DIM_MAX and m·n·k·count fits in int64;
 *   - weight_params = Σ n·k·count over WL_WEIGHT_ACT rows, macs = Σ m·n·k·count and runs = Σ count
 *     over all rows, and all three fit in int64 (the add is refused otherwise, so readers never
 *     overflow).
 * For a WL_WEIGHT_ACT row, count is the number of distinct weight matrices of that shape (layers for
 * a projection, 1 for lm_head): tokens always go into M, never into count. That is why weight_params
 * is n·k·count for every weight row, in every phase.
 * serial (1 <= serial, dividing count) says how many of the count instances depend on each other:
 * the layers. A weight row's instances are all layers (serial = count); an attention row's count is
 * layers x batch x heads (x KV heads in GQA decode) with serial = layers.
 *
 * A built-in model's workload is its whole forward pass (docs/workloads.md, "The decoder layer"):
 * the GEMMs and, between them, the vector rows (norms, RoPE, softmax under the causal mask, the
 * FFN nonlinearity, residual adds) in execution order. Prefill runs lm_head on the last position of
 * each sequence only (the logits that choose the first generated token), as a serving system does.
 */
#ifndef MP_TRACES_WORKLOAD_H
#define MP_TRACES_WORKLOAD_H

#include <stdint.h>

#include "base/err.h"
#include "traces/vecop.h"

#define WL_NAME_CAP 64                    /* bytes of a Gemm name, NUL included          */
#define WL_LEN_MAX (1 << 20)              /* largest seq, kv and batch                   */
#define WL_DIM_MAX ((int64_t)1 << 40)     /* largest m, n, k and count of one Gemm       */
#define WL_GEMM_MAX (1 << 24)             /* most rows in one Workload                   */

typedef enum GemmRole {
    WL_WEIGHT_ACT, /* weight × activation: a linear layer; the weight is the N×K operand */
    WL_ACT_ACT     /* activation × activation: attention QK^T and PV                      */
} GemmRole;

/* Where a GEMM's outputs go (Gemm.y_to), and where its X operand comes from (Gemm.x_from): the
 * consumer decides the stored format (sim/engine.h, SimStore). */
enum { WL_Y_NEXT, WL_Y_KV, WL_Y_RESID, WL_Y_SCORE }; /* a GEMM (or RoPE) / the KV cache / the
                                                      * residual add / the softmax */
enum { WL_X_ACT, WL_X_PROB };                        /* a layer's output / the softmax's P  */

/* The causal mask of an attention row: where its keys lie (the values of dataflow/map.h's MapCausal). */
enum { WL_CAUSAL_NONE, WL_CAUSAL_N, WL_CAUSAL_K };

typedef struct Gemm {
    char name[WL_NAME_CAP]; /* "q_proj", "attn_qk", ... or a CSV layer name              */
    int64_t m;              /* rows of X and Y: tokens (attention: query rows of one head) */
    int64_t n;              /* output features                                             */
    int64_t k;              /* input features: the reduction length                        */
    int64_t count;          /* times it runs in one forward pass                           */
    int64_t serial;         /* of those, how many depend on each other and run one after another
                             * (the layers: layer l + 1 needs layer l's output); count / serial
                             * instances are independent of each other (a layer's batch x heads of
                             * attention) and may run side by side on several cores (sim/cores.h).
                             * Divides count. wl_add_gemm sets count (every instance dependent: the
                             * conservative reading of a layer list's row); the model expansion
                             * sets the layers for attention                                   */
    GemmRole role;
    int causal;             /* WL_CAUSAL_*: prefill attention under the causal mask: QK^T has
                             * the keys on N, PV on K; a query row sees keys up to its own
                             * position (sim/engine.h, SimGemm.causal)                         */
    int y_to, x_from;       /* WL_Y_*, WL_X_*: the outputs' consumer, the X operand's producer  */
} Gemm;

typedef enum WlFfnKind {
    WL_FFN_GATED, /* gate_proj, up_proj (hidden -> ffn), down_proj (ffn -> hidden): Llama, Mistral, Yi */
    WL_FFN_PLAIN  /* fc1 (hidden -> ffn), fc2 (ffn -> hidden): OPT, Phi-2                              */
} WlFfnKind;

typedef enum WlPhase {
    WL_PREFILL, /* seq tokens per sequence at once                   */
    WL_DECODE,  /* one new token per sequence against kv positions   */
    WL_LAYERS   /* a layer list read from a file: shapes as given    */
} WlPhase;

/* One row of the model table (published shapes: docs/sources.md, "LLM layer shapes"). */
typedef struct WlModel {
    const char *name;   /* command-line name: "llama2-7b"                         */
    int layers;         /* decoder blocks                                          */
    int hidden;         /* model width d                                           */
    int heads;          /* query heads                                             */
    int kv_heads;       /* key/value heads; < heads means grouped-query attention */
    int head_dim;       /* features per head                                       */
    int ffn;            /* FFN inner width                                         */
    int vocab;          /* lm_head output features                                 */
    WlFfnKind ffn_kind;
    int norm;           /* VecKindId of its norms: VK_RMSNORM or VK_LAYERNORM            */
    int act;            /* VecKindId of its FFN nonlinearity: VK_SILU_MUL, VK_GELU, VK_RELU */
    int rope_dims;      /* rotated features per head (RoPE); 0: learned absolute positions,
                         * added to the embeddings once before the first layer            */
    int parallel;       /* 1: attention and MLP read the same normed input and add into the
                         * residual together (one norm per layer, Phi-2)                   */
    const char *notes;  /* one line: source and what is special                    */
} WlModel;

/* One row of vector work (traces/vecop.h): kernel `kind` over `rows` rows of `width` elements,
 * `count` times (layers, or layers x batch x heads), between the GEMMs of a forward pass. */
typedef struct VecRow {
    char name[WL_NAME_CAP]; /* "attn_norm", "rope_q", "softmax", ...                          */
    int kind;               /* VecKindId                                                      */
    int64_t rows, width, count;
    int causal;             /* 1: row i (0-based) of an instance holds min(width, width - rows +
                             * i + 1) elements: the scores a causal query row really has        */
    int on_kv;              /* 1: its VT_ACT tensors are KV-cache entries (RoPE on K)          */
    int64_t serial;         /* runs apart, one after another (the layers: other work comes between
                             * them); count / serial instances run together in each. Divides count */
    int after;              /* Gemm rows that run before it (0..ngemm): the execution order     */
} VecRow;

typedef struct Workload {
    char *model;           /* model name, or the file a layer list came from (owned)          */
    WlPhase phase;
    int64_t seq;           /* WL_PREFILL: tokens per sequence; 0 otherwise                    */
    int64_t kv;            /* WL_DECODE: positions each new token attends to, itself included; 0 otherwise */
    int64_t batch;         /* sequences; 1 for WL_LAYERS                                      */
    int ngemm;             /* rows in gemms                                                   */
    int cap;               /* allocated rows                                                  */
    Gemm *gemms;
    int64_t weight_params; /* Σ n·k·count over WL_WEIGHT_ACT rows (parameters, not bytes)     */
    int64_t macs;          /* Σ m·n·k·count over all rows                                     */
    int64_t runs;          /* Σ count over all rows: GEMM executions in one forward pass      */
    int nvec, vcap;        /* vector rows (the work between the GEMMs); 0 for a layer list    */
    VecRow *vecs;
} Workload;

/* The model table, in display order; wl_model_count rows. */
extern const WlModel wl_models[];
extern const int wl_model_count;

/* The row named `name`, or NULL with MP_EINPUT and a message listing the known names. */
const WlModel *wl_model_find(const char *name, MpErr *e);

/* Names: "prefill"/"decode"/"layers" and "weight"/"act". from_name: 0 ok, -1 unknown. */
const char *wl_phase_name(WlPhase p);
int wl_phase_from_name(const char *s, WlPhase *out);
const char *wl_role_name(GemmRole r);
int wl_role_from_name(const char *s, GemmRole *out);

/* Expand model m for one phase: len is seq (WL_PREFILL) or kv (WL_DECODE), both and batch in
 * 1..WL_LEN_MAX. MP_EINPUT for a bad argument or totals beyond int64, MP_ENOMEM. */
int wl_create(const WlModel *m, WlPhase phase, int64_t len, int64_t batch, Workload **out,
              MpErr *e) MP_MUST_CHECK;
/* An empty WL_LAYERS workload named `name` (batch 1), to be filled with wl_add_gemm(). */
int wl_create_empty(const char *name, Workload **out, MpErr *e) MP_MUST_CHECK;
/* Append one row after checking it and the new totals (see the invariants above), with serial =
 * count (its instances taken as dependent; a caller that knows better sets serial after). On
 * failure w is unchanged; messages start with "gemm 'NAME': " (callers add the file and line). */
int wl_add_gemm(Workload *w, const char *name, int64_t m, int64_t n, int64_t k, int64_t count,
                GemmRole role, MpErr *e) MP_MUST_CHECK;
/* Append one vector row after the GEMM rows so far (VecRow.after = ngemm). rows, width, count in
 * 1..WL_DIM_MAX with rows x width x count in int64, serial >= 1 dividing count; messages as
 * wl_add_gemm's. */
int wl_add_vec(Workload *w, const char *name, int kind, int64_t rows, int64_t width, int64_t count, int64_t serial,
               int causal, int on_kv, MpErr *e) MP_MUST_CHECK;
/* Elements of one instance of a vector row (the causal triangle counted exactly). */
int64_t wl_vec_elems(const VecRow *v);
void wl_destroy(Workload *w); /* NULL is fine */

/* m·n·k·count of a row of a Workload (cannot overflow, by the invariant). */
int64_t wl_gemm_macs(const Gemm *g);

#endif
