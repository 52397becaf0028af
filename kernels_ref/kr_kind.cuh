/* kernels_ref/kr_kind.cuh — what differs between the kernels' kinds, as templates on KIND.
 *
 * Each family (kr_gemv.cuh, kr_gemv6.cuh, kr_gemm.cuh) is one template over the kind; the code
 * below is the only per-kind code: the byte widths of a group (Tr), the group parameters of a row
 * (RawP loaded early, RP ready to use), the weight and activation decoders (built on the bit-level
 * decoders of kr_decode.h), the per-group dequantization and the output scaling (docs/pe.md).
 */
#ifndef MP_KERNELS_REF_KR_KIND_CUH
#define MP_KERNELS_REF_KR_KIND_CUH

#include <type_traits>

#include "kr_api.h"
#include "kr_decode.h"
#include "kr_ptx.cuh"

namespace kr {

enum Kind { K_MIXPE16 = 0, K_DQ = 1, K_W4A8 = 2, K_FP4 = 3, K_FP3 = 4, K_OLIVE = 5 };
/* per-group epilogue (epi_group) */
enum Epi { EPI_ADD = 0, EPI_FMA = 1, EPI_INT = 2, EPI_S32FMA = 3 };


template <int KIND> struct Tr {
    static constexpr bool FP3 = KIND == K_FP3;
    static constexpr bool OLIVE = KIND == K_OLIVE;
    static constexpr bool INT8 = KIND == K_W4A8;
    static constexpr bool U4 = KIND == K_MIXPE16 || KIND == K_DQ || KIND == K_W4A8;
    static constexpr int WB = FP3 ? 48 : 64;                  /* W bytes per row per group   */
    static constexpr int XB = INT8 ? 128 : OLIVE ? 64 : 256;  /* X bytes per token per group */
    static constexpr int XW = XB / 16;                        /* X words per lane per group  */
    static constexpr int WV = FP3 ? 3 : 4;                    /* W words per lane, row, group */
    static constexpr int EPI = KIND == K_DQ ? EPI_ADD : OLIVE ? EPI_INT : INT8 ? EPI_S32FMA : EPI_FMA;
};

/* Per row and group: a = decode constant (1024+z, z*0x01010101, BitMoD table word); b = the
 * fp16x2 scale (w4a16-dq, used in the decode) or the bits of the fp32 group scale applied after
 * the group sum (the other kinds). */
struct RP {
    uint32_t a, b, c; /* c: kr_u4_nbias(z) for the fp16 uint4 decode */
};
__device__ __forceinline__ float rp_s(const RP &p) { return __uint_as_float(p.b); }

__device__ __forceinline__ float h2f(uint16_t h) { return __half2float(__ushort_as_half(h)); }

/* ---------------------------------------------------------------- group parameters */

/* The raw group parameters of one row, loaded early and turned into an RP late. */
struct RawP {
    uint32_t z, s16, meta;
};
template <int KIND> __device__ __forceinline__ RawP load_raw(const KrWeights &W, int row, int gi)
{
    RawP r = {0u, 0u, 0u};
    if constexpr (Tr<KIND>::U4) {
        r.z = __ldg(W.zero4 + (size_t)row * W.zero_row_bytes + (gi >> 1));
        r.s16 = __ldg(W.scale16 + (size_t)row * W.ngroups + gi);
    } else if constexpr (KIND == K_FP4 || KIND == K_FP3) {
        r.s16 = __ldg(W.scale16 + (size_t)row * W.ngroups + gi);
        r.meta = __ldg(W.meta + (size_t)row * W.ngroups + gi);
    }
    return r;
}
template <int KIND> __device__ __forceinline__ RP make_rp(const RawP &r, int gi)
{
    RP p = {0u, 0x3f800000u, 0u};
    if constexpr (Tr<KIND>::U4) {
        uint32_t z = (r.z >> ((gi & 1) * 4)) & 15u;
        p.a = KIND == K_W4A8 ? z * 0x01010101u : kr_u4_bias(z);
        p.c = KIND == K_W4A8 ? 0u : kr_u4_nbias(z);
        p.b = KIND == K_DQ ? r.s16 | (r.s16 << 16) : __float_as_uint(h2f((uint16_t)r.s16));
    } else if constexpr (KIND == K_FP4 || KIND == K_FP3) {
        p.a = KIND == K_FP4 ? kr_fp4_tn_lo(r.meta & 1) : kr_fp3_t_hi(r.meta & 1);
        p.b = __float_as_uint(h2f((uint16_t)r.s16) * (KIND == K_FP4 ? 0.5f : 1.0f));
    }
    return p;
}

/* ---------------------------------------------------------------- decoders */

/* One word (or FP3 chunk) of one row -> four fp16x2 A-fragment registers. */
template <int KIND>
__device__ __forceinline__ void dec_w(uint32_t w, const RP &p, const uint32_t *lut, uint32_t (&h)[4])
{
#pragma unroll
    for (int i = 0; i < 4; i++) {
        if constexpr (KIND == K_MIXPE16 || KIND == K_DQ) { /* u - z, exact (kr_u4_lop) */
            const uint32_t l = kr_u4_lop(w, i);
            h[i] = (i & 1) ? hfma2(l, KR_U4_SIXTEENTH, p.c) : hsub2(l, p.a);
            if constexpr (KIND == K_DQ)
                h[i] = hmul2(h[i], p.b); /* fp16(fp16(u - z) * s): golden's dq16 */
        } else if constexpr (KIND == K_FP4)
            h[i] = kr_fp4_decode(w, i, p.a);
        else if constexpr (KIND == K_FP3)
            h[i] = kr_fp3_decode(w, i, p.a);
        else
            h[i] = lut[kr_byte(w, i)];
    }
}

/* Activations of one word: fp16 (4 registers) or OliVe (1 register) -> paired B registers. */
template <int KIND>
__device__ __forceinline__ void dec_x(const uint32_t *xr, const uint32_t *lutx, uint32_t (&p)[4])
{
    if constexpr (KIND == K_FP4)
        kr_xpair_fp4(xr, p);
    else if constexpr (KIND == K_OLIVE) {
#pragma unroll
        for (int i = 0; i < 4; i++)
            p[i] = lutx[kr_byte(xr[0], i)];
    } else
        kr_xpair_u4(xr, p);
}

/* ---------------------------------------------------------------- per-group dequantization, output
 * Every kernel folds a row's groups into its output in ascending group order (docs/pe.md):
 * w4a16-dq adds the group's sum c (its weights are scaled in the decode), MixPE and BitMoD apply the
 * group scale s in one FMA, MixPE W4A8 the same on its exact int32 sum (|c| < 2^21: the conversion
 * is exact), OliVe adds c as an integer (< 2^24: exact in fp32 and as int32). */
template <int KIND> __device__ __forceinline__ void epi_group(float c, float s, float &out, int &iout)
{
    if constexpr (Tr<KIND>::EPI == EPI_ADD)
        out = __fadd_rn(out, c);
    else if constexpr (Tr<KIND>::EPI == EPI_INT)
        iout += __float2int_rn(c);
    else
        out = __fmaf_rn(c, s, out);
}

/* y[tok][row] from a row's finished sum (v, or iv for OliVe): OliVe's row and tensor scales, MixPE
 * W4A8's token scale, in golden's order of roundings. */
template <int KIND>
__device__ __forceinline__ float epi_finish(float v, int iv, const KrWeights &W, const KrActs &X, int row, int tok)
{
    if constexpr (Tr<KIND>::EPI == EPI_INT)
        return __fmul_rn(__fmul_rn((float)iv, W.scale32[row]), X.scale32[0]);
    else if constexpr (Tr<KIND>::EPI == EPI_S32FMA)
        return __fmul_rn(v, X.scale32[tok]);
    else
        return v;
}

/* ---------------------------------------------------------------- launch helpers (host) */

/* Raise kernel f's dynamic shared-memory limit to `bytes` when a launch needs more than the limit
 * set so far (*set: the caller's static, one per kernel instantiation, starting at 48 KB). */
static inline int smem_limit(const void *f, int bytes, int *set)
{
    if (bytes <= *set)
        return 0;
    const cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
    if (e != cudaSuccess)
        return (int)e;
    *set = bytes;
    return 0;
}

/* f(std::integral_constant<int, P>()) for P = 1, 2, 4 or 8 (K parts of a GEMV); -1 for other P. */
template <typename F> static int with_parts(int P, F f)
{
    switch (P) {
    case 1: return f(std::integral_constant<int, 1>());
    case 2: return f(std::integral_constant<int, 2>());
    case 4: return f(std::integral_constant<int, 4>());
    case 8: return f(std::integral_constant<int, 8>());
    default: return -1;
    }
}

/* f(std::integral_constant<int, NT>()) with NT = 1 tile of 8 tokens for m <= 8, else 2 (GEMV). */
template <typename F> static int with_tiles(int m, F f)
{
    return m > 8 ? f(std::integral_constant<int, 2>()) : f(std::integral_constant<int, 1>());
}

} // namespace kr

#endif
