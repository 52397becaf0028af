/* traces/vecop.h — the work between the GEMMs of a decoder layer, as the vector unit sees it.
 *
 * A vector kernel (VecKind, one row of vec_kinds[]) is what one row of a tensor costs: how many
 * operations of each class every element takes, how many scalar operations the row takes once
 * (a reciprocal square root, a reciprocal), how many times the row is read (passes) and how many
 * row-wide reductions must finish before the next pass may start (syncs). The classes are those a
 * vector unit prices and times separately (sim/vecunit.h; ONNXim's vector-unit latencies have the
 * same split: add/mul, exp, gelu, add tree, sqrt).
 *
 * A VecRow (traces/workload.h) applies a kernel to `rows` rows of `width` elements, `count` times,
 * reading and writing tensors of the kinds below; their bits per element come from the design's
 * operand formats (sim/vecunit.c), not from the workload.
 */
#ifndef MP_TRACES_VECOP_H
#define MP_TRACES_VECOP_H

typedef enum VecClass {
    VC_FMA,    /* fp32 add, multiply or multiply-add                   */
    VC_CMP,    /* compare / max (also ReLU)                            */
    VC_EXP,    /* exponential (softmax)                                */
    VC_RCP,    /* reciprocal or reciprocal square root (norms, softmax) */
    VC_ACT,    /* SiLU or GELU                                          */
    VC_ROPE,   /* one rotary-embedding rotation of an element of a pair */
    VC_REDUCE, /* one add into a row-wide reduction tree                */
    VC_COUNT
} VecClass;
extern const char *const vec_class_names[VC_COUNT]; /* "fma", "cmp", ... (config keys, JSON) */

typedef enum VecKindId {
    VK_RMSNORM,   /* x / sqrt(mean(x^2) + eps) * g                                    */
    VK_LAYERNORM, /* (x - mean) / sqrt(var + eps) * g + b                             */
    VK_ROPE,      /* rotate (x_2i, x_2i+1) pairs by the position's angle              */
    VK_SOFTMAX,   /* exp(s/sqrt(d) - max) / sum over a row of attention scores        */
    VK_SOFTMAX_ONLINE, /* the same inside fused attention: running max and sum per key
                        * block (the rescale of the output per block is its own row)  */
    VK_ATTN_RESCALE,   /* fused attention: O *= exp(m_old - m_new) per key block, and
                        * the final O /= l                                            */
    VK_SILU_MUL,  /* silu(gate) * up                                                  */
    VK_GELU,      /* gelu(x)                                                          */
    VK_RELU,      /* max(x, 0)                                                        */
    VK_ADD,       /* residual add: x + y                                              */
    VK_ADD3,      /* parallel block's residual: x + attn + mlp                        */
    VK_COUNT
} VecKindId;

/* Tensors a vector row reads and writes; bits per element from the design (sim/vecunit.c). */
typedef enum VecTensor {
    VT_RESID, /* fp16: the residual stream (our assumption, docs/workloads.md) and the projection
               * outputs added into it                                                        */
    VT_ACT,   /* a layer output / next layer input, at out_format                           */
    VT_KV,    /* a KV-cache entry, at kv_format                                              */
    VT_SCORE, /* attention scores S or probabilities P: fp16, in DRAM or on chip when fused    */
    VT_COUNT
} VecTensor;

typedef struct VecKind {
    const char *name;
    unsigned char per_elem[VC_COUNT]; /* operations of each class per element               */
    unsigned char per_row[VC_COUNT];  /* scalar operations per row (one lane)               */
    unsigned char passes;             /* reads of the row from the vector buffer            */
    unsigned char syncs;              /* row-wide reductions a later pass waits for          */
    unsigned char reads[VT_COUNT];    /* input tensors of each kind, one element each per element */
    unsigned char writes[VT_COUNT];   /* output tensors of each kind                         */
    const char *what;                 /* one line for docs and `mpsim list`                  */
} VecKind;

extern const VecKind vec_kinds[VK_COUNT];

#endif
