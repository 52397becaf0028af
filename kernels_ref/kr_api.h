/* kernels_ref/kr_api.h — C interface of the CUDA reference kernels (kr_launch.cu, kr_k_<kind>.cu).
 *
 * Y[M x N] = X[M x K] * W[N x K]^T, Y fp32 row-major (y[m * N + n]). W and X are the packed
 * matrices of models/pack.h, copied byte for byte to the device (PackedMat fields of the same
 * names). Groups of KR_GROUP = 128 along K; K must be a multiple of it (every layer shape of the GEMM
 * benchmarks is; SmolLM2-135M's hidden size 576 is not, so kr_step runs that model with cuBLAS only).
 *
 *   kernel        W (PackedMat)                          X (PackedMat)               datapath (docs/pe.md)
 *   mixpe-w4a16   uint4 codes, scale16, zero4            fp16 codes                  mixpe-w4a16
 *   w4a16-dq      uint4 codes, scale16, zero4            fp16 codes                  w4a16-dq
 *   mixpe-w4a8    uint4 codes, scale16, zero4            int8 codes, scale32/row     mixpe-w4a8
 *   bitmod-w4     FP4 codes, scale16 (signed), meta      fp16 codes                  bitmod
 *   bitmod-w3     FP3 codes (3-bit stream), scale16, meta fp16 codes                 bitmod
 *   olive-w4a4    pair bytes, scale32/row, type          pair bytes, scale32, type   olive
 *
 * Every launch is asynchronous on `stream`; the return value is the cudaError_t of the launch
 * (cudaGetLastError right after it), 0 on success, or -1 for arguments the kernels do not take.
 */
#ifndef MP_KERNELS_REF_KR_API_H
#define MP_KERNELS_REF_KR_API_H

#define KR_GROUP 128 /* weights per scale group along K */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum KrKernel {
    KR_MIXPE_W4A16,
    KR_W4A16_DQ,
    KR_MIXPE_W4A8,
    KR_BITMOD_W4,
    KR_BITMOD_W3,
    KR_OLIVE_W4A4,
    KR_KERNEL_COUNT
} KrKernel;

extern const char *const kr_kernel_names[KR_KERNEL_COUNT];

typedef struct KrWeights {   /* device pointers */
    const uint8_t *codes;    /* n * row_bytes                                  */
    const uint16_t *scale16; /* n * ngroups fp16 (uint4 groups, BitMoD)        */
    const uint8_t *zero4;    /* n * zero_row_bytes (uint4 groups)              */
    const uint8_t *meta;     /* n * ngroups (BitMoD)                           */
    const float *scale32;    /* n (OliVe)                                      */
    int n, k, ngroups;
    size_t row_bytes, zero_row_bytes;
} KrWeights;

typedef struct KrActs {      /* device pointers */
    const void *codes;       /* m * row_bytes: fp16, int8 or OliVe pair bytes   */
    const float *scale32;    /* int8: m per-token scales; OliVe: 1 per tensor   */
    int m, k;
    size_t row_bytes;
} KrActs;

/* Kernel shapes (docs/gpu.md, "Variants"). KR_VAR_AUTO picks by kernel and M (kr_auto_variant); the
 * others force one (for tuning): a GEMV variant needs M <= 16, a GEMV v6 variant M = 1 and a kind
 * other than MixPE W4A8; a split-K variant (K in 2 or more parts) is refused for MixPE W4A8, whose
 * exact FMA chain must run over all groups in one warp. */
typedef enum KrVariant {
    KR_VAR_AUTO = 0,
    KR_VAR_GEMV_R1S8,  /* GEMV v1: 16 rows per block, 8 warps over K (kr_gemv.cuh)   */
    KR_VAR_GEMV_R1S4,  /* GEMV v1: 16 rows per block, 4 warps over K                 */
    KR_VAR_GEMV4,      /* GEMV v4: register ring of 4 groups, K parts chosen by N     */
    KR_VAR_GEMV4_P1,   /* GEMV v4, whole K per warp                                   */
    KR_VAR_GEMV4_P2,   /* GEMV v4, K in 2 parts                                       */
    KR_VAR_GEMV4_P4,   /* GEMV v4, K in 4 parts                                       */
    KR_VAR_GEMV4_P8,   /* GEMV v4, K in 8 parts                                       */
    KR_VAR_GEMV5,      /* GEMV v5: bulk-copy ring, 2 batches of 4 groups per warp, parts by N */
    KR_VAR_GEMV5_P1,   /* GEMV v5, whole K per warp                                   */
    KR_VAR_GEMV5_P2,   /* GEMV v5, K in 2 parts                                       */
    KR_VAR_GEMV5_P4,   /* GEMV v5, K in 4 parts                                       */
    KR_VAR_GEMV5_P8,   /* GEMV v5, K in 8 parts                                       */
    KR_VAR_GEMV6_P1,   /* GEMV v6 (M = 1, kr_gemv6.cuh): activations paired once per block in */
    KR_VAR_GEMV6_P2,   /*   shared memory, one strip per warp, K in 1, 2, 4, 8 parts  */
    KR_VAR_GEMV6_P4,
    KR_VAR_GEMV6_P8,
    KR_VAR_GEMV6S2_P1, /* GEMV v6 with two strips (32 rows) per warp, K in 1, 2, 4, 8 parts */
    KR_VAR_GEMV6S2_P2,
    KR_VAR_GEMV6S2_P4,
    KR_VAR_GEMV6S2_P8,
    KR_VAR_GEMM2_64,   /* GEMM v2 (decode once per block, kr_gemm.cuh): 64 tokens x 64 rows */
    KR_VAR_GEMM2_128,  /* GEMM v2: 128 tokens x 128 rows                              */
    KR_VAR_GEMM3,      /* GEMM v3 (sm_90a wgmma): 128 tokens x 128 rows, decode overlapped */
    KR_VAR_COUNT
} KrVariant;

extern const char *const kr_variant_names[KR_VAR_COUNT];

/* olive_lut: device array of 512 fp16x2 entries (kr_olive_lut: weights' type, then activations'
 * type); NULL for the other kernels. */
int kr_launch(KrKernel kern, KrVariant var, const KrWeights *w, const KrActs *x, const uint32_t *olive_lut,
              float *y, void *stream);
/* The read-stream reference: reads `bytes` (a multiple of 16, 16-byte aligned) once with 16-byte
 * loads, 4 in flight per thread, 2048 threads per SM; the ceiling a weight-streaming kernel of that
 * size can reach (docs/gpu.md). sink: one device word it never writes in practice. */
int kr_stream_read(const void *p, size_t bytes, uint32_t *sink, void *stream);
/* The variant KR_VAR_AUTO resolves to for m tokens. */
KrVariant kr_auto_variant(KrKernel kern, int m);
/* 1 for the GEMV variants (M <= 16 only): KR_VAR_GEMV_R1S8 .. KR_VAR_GEMV6S2_P8. */
int kr_variant_is_gemv(KrVariant v);
/* 1 if kr_launch takes variant v of kernel kern for m tokens (the rules above KrVariant). */
int kr_variant_ok(KrKernel kern, KrVariant v, int m);

#ifdef __cplusplus
}
#endif

#endif
