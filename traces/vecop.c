/* traces/vecop.c — see vecop.h. Operation counts are ours, from the textbook form of each kernel
 * (docs/simulator.md, "Vector unit", has the table and its reasoning). */
#include "traces/vecop.h"

const char *const vec_class_names[VC_COUNT] = {
    [VC_FMA] = "fma", [VC_CMP] = "cmp",   [VC_EXP] = "exp",      [VC_RCP] = "rcp",
    [VC_ACT] = "act", [VC_ROPE] = "rope", [VC_REDUCE] = "reduce",
};

/* Columns: per element {fma, cmp, exp, rcp, act, rope, reduce}, per row {same}, passes, syncs,
 * reads {resid, act, kv, score}, writes {same}. */
const VecKind vec_kinds[VK_COUNT] = {
    /* square, add into the tree; then x * rstd * g. Row: mean + eps, rsqrt. */
    [VK_RMSNORM] = {"rmsnorm", {3, 0, 0, 0, 0, 0, 1}, {1, 0, 0, 1, 0, 0, 0}, 2, 1, {1, 0, 0, 0}, {0, 1, 0, 0},
                    "RMSNorm: sum of squares (tree), rsqrt per row, scale by rstd and the gain"},
    /* pass 1 sum; pass 2 (x - mean), square, sum; pass 3 (x - mean) * rstd, * g + b. Row: mean, var + eps, rsqrt. */
    [VK_LAYERNORM] = {"layernorm", {4, 0, 0, 0, 0, 0, 2}, {2, 0, 0, 1, 0, 0, 0}, 3, 2, {1, 0, 0, 0}, {0, 1, 0, 0},
                      "LayerNorm: mean and variance (two tree passes), rsqrt per row, scale and shift"},
    [VK_ROPE] = {"rope", {0, 0, 0, 0, 0, 1, 0}, {0}, 1, 0, {0, 1, 0, 0}, {0, 1, 0, 0},
                 "rotary embedding of the rotated dimensions (x cos - y sin per element of a pair)"},
    /* pass 1 max; pass 2 s * scale - max, exp, sum; pass 3 times 1/sum. Row: the reciprocal. */
    [VK_SOFTMAX] = {"softmax", {2, 1, 1, 0, 0, 0, 1}, {0, 0, 0, 1, 0, 0, 0}, 3, 2, {0, 0, 0, 1}, {0, 0, 0, 1},
                    "softmax of a score row under the causal mask: max, exp and sum, normalize"},
    /* per key block of a row: max, s * scale - m, exp, sum; row (per block): exp(m_old - m), l update */
    [VK_SOFTMAX_ONLINE] = {"softmax-online", {1, 1, 1, 0, 0, 0, 1}, {2, 1, 1, 0, 0, 0, 0}, 2, 1, {0, 0, 0, 1}, {0, 0, 0, 1},
                           "fused attention: running max and sum over a key block of S (S stays on chip)"},
    [VK_ATTN_RESCALE] = {"attn-rescale", {1, 0, 0, 0, 0, 0, 0}, {0}, 1, 0, {0}, {0},
                         "fused attention: O times exp(m_old - m_new) per key block, O / l at the end"},
    [VK_SILU_MUL] = {"silu-mul", {1, 0, 0, 0, 1, 0, 0}, {0}, 1, 0, {0, 2, 0, 0}, {0, 1, 0, 0},
                     "SwiGLU: silu(gate) * up"},
    [VK_GELU] = {"gelu", {0, 0, 0, 0, 1, 0, 0}, {0}, 1, 0, {0, 1, 0, 0}, {0, 1, 0, 0}, "GELU (tanh form)"},
    [VK_RELU] = {"relu", {0, 1, 0, 0, 0, 0, 0}, {0}, 1, 0, {0, 1, 0, 0}, {0, 1, 0, 0}, "ReLU"},
    /* the projection outputs added in are fp16 too (o_proj, down_proj, fc2 store for the residual) */
    [VK_ADD] = {"add", {1, 0, 0, 0, 0, 0, 0}, {0}, 1, 0, {2, 0, 0, 0}, {1, 0, 0, 0},
                "residual add into the fp16 residual stream"},
    [VK_ADD3] = {"add3", {2, 0, 0, 0, 0, 0, 0}, {0}, 1, 0, {3, 0, 0, 0}, {1, 0, 0, 0},
                 "parallel block's residual: x + attention + MLP"},
};
