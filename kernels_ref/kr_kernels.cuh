/* kernels_ref/kr_kernels.cuh — the kernel templates; one kr_k_<kind>.cu instantiates each kind.
 *
 * Both paths use the tensor cores through mma.sync (sm_80+ instructions, built for sm_90):
 * m16n8k16 fp16 x fp16 -> fp32 for the fp16-activation kinds and OliVe (whose grid values are
 * integers <= 192, exact in fp16), m16n8k32 s8 x s8 -> s32 for MixPE W4A8. The A operand is a
 * 16-row strip of W, decoded in registers from the packed bytes (kr_decode.h); B is 8 tokens of X.
 *
 * Fragment mapping (docs/gpu.md): lane (g = lane/4, t = lane%4) owns weight rows g and g+8 of its
 * strip and token g of each 8-token tile, and for every group of 128 weights the 32 consecutive
 * k values [32t, 32t+32): 16 bytes of 4-bit codes per row (12 of FP3), taken one word (8 codes)
 * at a time. Word j feeds two k16 steps (P0,P1 then P2,P3) or one k32 step (int8). The tensor
 * core sums over the four lanes t, so one group's sum completes in the accumulator: per group,
 * the accumulators restart from 0 and the group's dequantization follows, as in docs/pe.md.
 *
 * GEMV (M <= 16): a block owns 16R rows; its R x S warps take S consecutive groups at a time
 * (a chunk); each warp writes its group sums to shared memory and, after one barrier, one thread
 * per output applies them in ascending group order (acc = fmaf(D_g, s_g, acc)): the order of
 * docs/pe.md, with no split of K across blocks and no atomics. Weights stream straight from
 * DRAM into registers one chunk ahead.
 * GEMM (M > 16): a block owns BN rows x BM tokens, stages 128-wide K slices of W and X through
 * shared memory with cp.async (STAGES deep), walks the groups in ascending order and applies the
 * per-group dequantization to its own accumulators.
 */
#ifndef MP_KERNELS_REF_KR_KERNELS_CUH
#define MP_KERNELS_REF_KR_KERNELS_CUH

#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "kr_api.h"
#include "kr_decode.h"

namespace kr {

enum Kind { K_MIXPE16 = 0, K_DQ = 1, K_W4A8 = 2, K_FP4 = 3, K_FP3 = 4, K_OLIVE = 5 };
/* per-group epilogue */
enum Epi { EPI_ADD = 0, EPI_FMA = 1, EPI_INT = 2, EPI_S32FMA = 3 };

template <int KIND> struct Tr {
    static constexpr bool FP3 = KIND == K_FP3;
    static constexpr bool OLIVE = KIND == K_OLIVE;
    static constexpr bool INT8 = KIND == K_W4A8;
    static constexpr bool U4 = KIND == K_MIXPE16 || KIND == K_DQ || KIND == K_W4A8;
    static constexpr int WB = FP3 ? 48 : 64;                  /* W bytes per row per group   */
    static constexpr int XB = INT8 ? 128 : OLIVE ? 64 : 256;  /* X bytes per token per group */
    static constexpr int XW = XB / 16;                        /* X words per lane per group  */
    static constexpr int EPI = KIND == K_DQ ? EPI_ADD : OLIVE ? EPI_INT : INT8 ? EPI_S32FMA : EPI_FMA;
};

/* Per row and group: a = decode constant (1024+z, z*0x01010101, BitMoD table word); b = the
 * fp16x2 scale (w4a16-dq, used in the decode) or the bits of the fp32 group scale applied after
 * the group sum (the other kinds). */
struct RP {
    uint32_t a, b;
};
__device__ __forceinline__ float rp_s(const RP &p) { return __uint_as_float(p.b); }

/* ---------------------------------------------------------------- primitives */

__device__ __forceinline__ uint32_t hsub2(uint32_t a, uint32_t b)
{
    uint32_t d;
    asm("sub.rn.f16x2 %0, %1, %2;" : "=r"(d) : "r"(a), "r"(b));
    return d;
}
__device__ __forceinline__ uint32_t hmul2(uint32_t a, uint32_t b)
{
    uint32_t d;
    asm("mul.rn.f16x2 %0, %1, %2;" : "=r"(d) : "r"(a), "r"(b));
    return d;
}

__device__ __forceinline__ void mma_f16(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                        uint32_t b0, uint32_t b1)
{
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
/* the same with C = 0: the first step of a group */
__device__ __forceinline__ void mma_f16_z(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                          uint32_t b0, uint32_t b1)
{
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%10,%10,%10,%10};"
        : "=f"(c[0]), "=f"(c[1]), "=f"(c[2]), "=f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1), "f"(0.0f));
}
__device__ __forceinline__ void mma_s8(int (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                       uint32_t b0, uint32_t b1)
{
    asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};"
        : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
__device__ __forceinline__ void mma_s8_z(int (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                         uint32_t b0, uint32_t b1)
{
    asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%10,%10,%10,%10};"
        : "=r"(c[0]), "=r"(c[1]), "=r"(c[2]), "=r"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1), "r"(0));
}

__device__ __forceinline__ void cp_async16(void *dst, const void *src, bool valid)
{
    unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async8(void *dst, const void *src, bool valid)
{
    unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 8 : 0));
}
__device__ __forceinline__ void cp_async4(void *dst, const void *src, bool valid)
{
    unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(src), "r"(valid ? 4 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory"); }

__device__ __forceinline__ float h2f(uint16_t h) { return __half2float(__ushort_as_half(h)); }

/* ---------------------------------------------------------------- per-kind pieces */

template <int KIND> __device__ __forceinline__ RP load_rp(const KrWeights &W, int row, int gi)
{
    RP p = {0u, 0x3f800000u};
    if constexpr (Tr<KIND>::U4) {
        uint32_t zb = __ldg(W.zero4 + (size_t)row * W.zero_row_bytes + (gi >> 1));
        uint32_t z = (zb >> ((gi & 1) * 4)) & 15u;
        uint32_t s16 = __ldg(W.scale16 + (size_t)row * W.ngroups + gi);
        if constexpr (KIND == K_W4A8)
            p.a = z * 0x01010101u;
        else
            p.a = kr_u4_bias(z);
        p.b = KIND == K_DQ ? s16 | (s16 << 16) : __float_as_uint(h2f((uint16_t)s16));
    } else if constexpr (KIND == K_FP4 || KIND == K_FP3) {
        size_t gidx = (size_t)row * W.ngroups + gi;
        int ea = __ldg(W.meta + gidx) & 1;
        p.a = KIND == K_FP4 ? kr_fp4_tn_lo(ea) : kr_fp3_t_hi(ea);
        /* grid units: FP4 in halves of the native scale (exact) */
        p.b = __float_as_uint(h2f(__ldg(W.scale16 + gidx)) * (KIND == K_FP4 ? 0.5f : 1.0f));
    }
    return p;
}

/* One word (or FP3 chunk) of one row -> four fp16x2 A-fragment registers. */
template <int KIND>
__device__ __forceinline__ void dec_w(uint32_t w, const RP &p, const uint32_t *lut, uint32_t (&h)[4])
{
#pragma unroll
    for (int i = 0; i < 4; i++) {
        if constexpr (KIND == K_MIXPE16)
            h[i] = hsub2(kr_u4_magic(w, i), p.a);
        else if constexpr (KIND == K_DQ)
            h[i] = hmul2(hsub2(kr_u4_magic(w, i), p.a), p.b); /* fp16(fp16(u - z) * s): golden's dq16 */
        else if constexpr (KIND == K_FP4)
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

/* ---------------------------------------------------------------- GEMV */

/* Activations and group parameters of one chunk, in registers (one chunk ahead). */
template <int KIND, int NT> struct GvBuf {
    uint32_t x[NT][Tr<KIND>::XW];
    RP pa, pb;
};

/* Weights stream through a per-lane ring in shared memory, DEPTH chunks deep (cp.async): each lane
 * copies and later reads back only its own 2 x 16 bytes, so cp.async.wait_group orders them and
 * no barrier is needed for the ring. */
template <int KIND, int NT, int R, int S, int DEPTH>
__global__ void __launch_bounds__(32 * R * S) gemv_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut,
                                                          float *__restrict__ Y)
{
    using T = Tr<KIND>;
    constexpr int NW = R * S, NTH = 32 * NW, ROWS = 16 * R, TOKS = 8 * NT;
    constexpr int NO = (ROWS * TOKS + NTH - 1) / NTH;
    __shared__ __align__(16) uint4 ring[DEPTH][NW][2][32];
    __shared__ float Dsm[2][S][ROWS][TOKS];
    __shared__ float Ssm[2][S][ROWS];
    __shared__ uint32_t lut[T::OLIVE ? 512 : 1];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int r = warp / S, s = warp % S, g = lane >> 2, t = lane & 3;
    const int N = W.n, M = X.m, G = W.ngroups;
    const int rowA = blockIdx.x * ROWS + 16 * r + g, rowB = rowA + 8;
    const int rA = rowA < N ? rowA : N - 1, rB = rowB < N ? rowB : N - 1;
    const uint8_t *wpa = W.codes + (size_t)rA * W.row_bytes + t * (T::WB / 4);
    const uint8_t *wpb = W.codes + (size_t)rB * W.row_bytes + t * (T::WB / 4);
    const uint8_t *xp[NT];
    bool xv[NT];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        int tok = g + 8 * nt;
        xv[nt] = tok < M;
        xp[nt] = (const uint8_t *)X.codes + (size_t)(xv[nt] ? tok : 0) * X.row_bytes + t * (T::XB / 4);
    }
    if constexpr (T::OLIVE) {
        for (int i = threadIdx.x; i < 512; i += NTH)
            lut[i] = olut[i];
        __syncthreads();
    }
    const uint32_t *lutw = lut, *lutx = lut + 256;
    const int nch = (G + S - 1) / S;

    float acc[NO];
    int iacc[NO];
#pragma unroll
    for (int i = 0; i < NO; i++) {
        acc[i] = 0.0f;
        iacc[i] = 0;
    }

    auto issue_w = [&](int c) {
        const int gi = c * S + s;
        if (c < nch && gi < G) {
            uint4 *da = &ring[c % DEPTH][warp][0][lane], *db = &ring[c % DEPTH][warp][1][lane];
            if constexpr (T::FP3) {
#pragma unroll
                for (int i = 0; i < 3; i++) {
                    cp_async4((uint32_t *)da + i, wpa + (size_t)gi * 48 + 4 * i, true);
                    cp_async4((uint32_t *)db + i, wpb + (size_t)gi * 48 + 4 * i, true);
                }
            } else {
                cp_async16(da, wpa + (size_t)gi * 64, true);
                cp_async16(db, wpb + (size_t)gi * 64, true);
            }
        }
        cp_async_commit(); /* possibly empty: keeps the group count uniform */
    };

    auto load = [&](GvBuf<KIND, NT> &b, int c) {
        int gi = c * S + s;
        if (gi >= G)
            return;
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            const uint4 *px = (const uint4 *)(xp[nt] + (size_t)gi * T::XB);
#pragma unroll
            for (int q = 0; q < T::XW / 4; q++) {
                uint4 v = xv[nt] ? __ldg(px + q) : make_uint4(0, 0, 0, 0);
                b.x[nt][4 * q] = v.x, b.x[nt][4 * q + 1] = v.y, b.x[nt][4 * q + 2] = v.z, b.x[nt][4 * q + 3] = v.w;
            }
        }
        b.pa = load_rp<KIND>(W, rA, gi);
        b.pb = load_rp<KIND>(W, rB, gi);
    };

    auto process = [&](const GvBuf<KIND, NT> &b, int c) {
        const int buf = c & 1, gi = c * S + s;
        issue_w(c + DEPTH - 1);
        cp_async_wait<DEPTH - 1>(); /* this lane's copies of chunk c have landed */
        if (gi < G) {
            const uint4 va = ring[c % DEPTH][warp][0][lane], vb = ring[c % DEPTH][warp][1][lane];
            const uint32_t wa4[4] = {va.x, va.y, va.z, va.w}, wb4[4] = {vb.x, vb.y, vb.z, vb.w};
            float C[NT][4];
            if constexpr (T::INT8) {
                int I[NT][4];
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        I[nt][e] = 0;
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    uint32_t al = kr_s8_uz(wa4[j], 0, b.pa.a), ah = kr_s8_uz(wa4[j], 1, b.pa.a);
                    uint32_t bl = kr_s8_uz(wb4[j], 0, b.pb.a), bh = kr_s8_uz(wb4[j], 1, b.pb.a);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++) {
                        uint32_t x0 = b.x[nt][2 * j], x1 = b.x[nt][2 * j + 1];
                        mma_s8(I[nt], al, bl, ah, bh, kr_xpair_s8(x0, x1, 0), kr_xpair_s8(x0, x1, 1));
                    }
                }
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        C[nt][e] = (float)I[nt][e]; /* |D| < 2^21: exact */
            } else {
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        C[nt][e] = 0.0f;
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    uint32_t wa = T::FP3 ? kr_fp3_chunk(wa4[0], wa4[1], wa4[2], j) : wa4[j];
                    uint32_t wb = T::FP3 ? kr_fp3_chunk(wb4[0], wb4[1], wb4[2], j) : wb4[j];
                    uint32_t hA[4], hB[4];
                    dec_w<KIND>(wa, b.pa, lutw, hA);
                    dec_w<KIND>(wb, b.pb, lutw, hB);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++) {
                        uint32_t q[4];
                        dec_x<KIND>(&b.x[nt][T::OLIVE ? j : 4 * j], lutx, q);
                        mma_f16(C[nt], hA[0], hB[0], hA[1], hB[1], q[0], q[1]);
                        mma_f16(C[nt], hA[2], hB[2], hA[3], hB[3], q[2], q[3]);
                    }
                }
            }
            const int rl = 16 * r + g;
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                const int tk = 8 * nt + 2 * t;
                Dsm[buf][s][rl][tk] = C[nt][0];
                Dsm[buf][s][rl][tk + 1] = C[nt][1];
                Dsm[buf][s][rl + 8][tk] = C[nt][2];
                Dsm[buf][s][rl + 8][tk + 1] = C[nt][3];
            }
            if (t == 0) {
                Ssm[buf][s][rl] = rp_s(b.pa);
                Ssm[buf][s][rl + 8] = rp_s(b.pb);
            }
        }
        __syncthreads();
        /* one thread per output: the groups of this chunk in ascending order */
#pragma unroll
        for (int i = 0; i < NO; i++) {
            const int o = threadIdx.x + i * NTH;
            if (o < ROWS * TOKS) {
                const int rl = o % ROWS, tk = o / ROWS;
#pragma unroll
                for (int sl = 0; sl < S; sl++) {
                    if (c * S + sl < G) {
                        float d = Dsm[buf][sl][rl][tk];
                        if constexpr (T::EPI == EPI_ADD)
                            acc[i] = __fadd_rn(acc[i], d);
                        else if constexpr (T::EPI == EPI_INT)
                            iacc[i] += __float2int_rn(d); /* an integer below 2^24 */
                        else
                            acc[i] = __fmaf_rn(d, Ssm[buf][sl][rl], acc[i]);
                    }
                }
            }
        }
    };

#pragma unroll
    for (int d = 0; d < DEPTH - 1; d++)
        issue_w(d);
    GvBuf<KIND, NT> b0, b1;
    load(b0, 0);
    for (int c = 0; c < nch; c += 2) {
        if (c + 1 < nch)
            load(b1, c + 1);
        process(b0, c);
        if (c + 1 >= nch)
            break;
        if (c + 2 < nch)
            load(b0, c + 2);
        process(b1, c + 1);
    }
    cp_async_wait<0>();

#pragma unroll
    for (int i = 0; i < NO; i++) {
        const int o = threadIdx.x + i * NTH;
        if (o < ROWS * TOKS) {
            const int rl = o % ROWS, tk = o / ROWS, row = blockIdx.x * ROWS + rl;
            if (tk < M && row < N) {
                float y;
                if constexpr (T::EPI == EPI_INT)
                    y = __fmul_rn(__fmul_rn((float)iacc[i], W.scale32[row]), X.scale32[0]);
                else if constexpr (T::EPI == EPI_S32FMA)
                    y = __fmul_rn(acc[i], X.scale32[tk]);
                else
                    y = acc[i];
                Y[(size_t)tk * N + row] = y;
            }
        }
    }
}

/* ---------------------------------------------------------------- GEMM */

template <int KIND, int BM, int BN, int WM, int WN, int STAGES> struct GemmCfg {
    using T = Tr<KIND>;
    static constexpr int NWN = BN / WN, NWM = BM / WM, NTH = 32 * NWN * NWM, RT = WN / 16, NT = WM / 8;
    /* per stage: W slice, X slice, the BN rows' group parameters (RP) */
    static constexpr int WT = BN * T::WB, XT = BM * T::XB, PT = BN * 8, ST = WT + XT + PT;
    static constexpr int SMEM = STAGES * ST + (T::OLIVE ? 2048 : 0);
    static_assert(BN <= NTH, "one thread per row loads the group parameters");
};

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
    RP p = {0u, 0x3f800000u};
    if constexpr (Tr<KIND>::U4) {
        uint32_t z = (r.z >> ((gi & 1) * 4)) & 15u;
        p.a = KIND == K_W4A8 ? z * 0x01010101u : kr_u4_bias(z);
        p.b = KIND == K_DQ ? r.s16 | (r.s16 << 16) : __float_as_uint(h2f((uint16_t)r.s16));
    } else if constexpr (KIND == K_FP4 || KIND == K_FP3) {
        p.a = KIND == K_FP4 ? kr_fp4_tn_lo(r.meta & 1) : kr_fp3_t_hi(r.meta & 1);
        p.b = __float_as_uint(h2f((uint16_t)r.s16) * (KIND == K_FP4 ? 0.5f : 1.0f));
    }
    return p;
}

template <int KIND, int BM, int BN, int WM, int WN, int STAGES>
__global__ void __launch_bounds__(GemmCfg<KIND, BM, BN, WM, WN, STAGES>::NTH, 1)
    gemm_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = GemmCfg<KIND, BM, BN, WM, WN, STAGES>;
    constexpr int NWN = Cf::NWN, NTH = Cf::NTH, RT = Cf::RT, NT = Cf::NT, WT = Cf::WT, XT = Cf::XT, ST = Cf::ST;
    extern __shared__ __align__(16) uint8_t smem[];
    uint32_t *lut = (uint32_t *)(smem + STAGES * ST);

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, t = lane & 3, wn = warp % NWN, wm = warp / NWN;
    const int N = W.n, M = X.m, G = W.ngroups;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    const int prow = n0 + (int)threadIdx.x < N ? n0 + (int)threadIdx.x : N - 1; /* this thread's parameter row */

    if constexpr (T::OLIVE) {
        for (int i = threadIdx.x; i < 512; i += NTH)
            lut[i] = olut[i];
        /* the first __syncthreads of the main loop orders these stores before any use */
    }
    const uint32_t *lutw = lut, *lutx = lut + 256;

    auto load_stage = [&](int st, int gi) {
        uint8_t *ws = smem + st * ST, *xs = ws + WT;
        constexpr int WCH = T::WB / 16;
        for (int i = threadIdx.x; i < BN * WCH; i += NTH) {
            int rr = i / WCH, c = i % WCH, row = n0 + rr;
            const uint8_t *src = W.codes + (size_t)(row < N ? row : N - 1) * W.row_bytes + (size_t)gi * T::WB + c * 16;
            int pos = T::FP3 ? c : kr_swz_w(rr, c);
            cp_async16(ws + rr * T::WB + pos * 16, src, row < N);
        }
        if constexpr (T::INT8) {
            for (int i = threadIdx.x; i < BM * 16; i += NTH) {
                int tk = i >> 4, u = i & 15, tok = m0 + tk;
                const uint8_t *src = (const uint8_t *)X.codes + (size_t)(tok < M ? tok : M - 1) * X.row_bytes +
                                     (size_t)gi * 128 + u * 8;
                cp_async8(xs + tk * 128 + kr_swz_x8(tk, u) * 8, src, tok < M);
            }
        } else if constexpr (T::OLIVE) {
            for (int i = threadIdx.x; i < BM * 16; i += NTH) {
                int tk = i >> 4, q = i & 15, tok = m0 + tk;
                const uint8_t *src = (const uint8_t *)X.codes + (size_t)(tok < M ? tok : M - 1) * X.row_bytes +
                                     (size_t)gi * 64 + q * 4;
                cp_async4(xs + tk * 64 + kr_swz_x4(tk, q) * 4, src, tok < M);
            }
        } else {
            for (int i = threadIdx.x; i < BM * 16; i += NTH) {
                int tk = i >> 4, c = i & 15, tok = m0 + tk;
                const uint8_t *src = (const uint8_t *)X.codes + (size_t)(tok < M ? tok : M - 1) * X.row_bytes +
                                     (size_t)gi * 256 + c * 16;
                cp_async16(xs + tk * 256 + kr_swz_x16(tk, c) * 16, src, tok < M);
            }
        }
    };
    auto store_params = [&](int st, const RawP &r, int gi) {
        if (threadIdx.x < BN)
            ((RP *)(smem + st * ST + WT + XT))[threadIdx.x] = make_rp<KIND>(r, gi);
    };

    float acc[RT][NT][4], out[RT][NT][4];
    int iacc[RT][NT][4], iout[RT][NT][4];
#pragma unroll
    for (int rt = 0; rt < RT; rt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                acc[rt][nt][e] = out[rt][nt][e] = 0.0f;
                iacc[rt][nt][e] = iout[rt][nt][e] = 0;
            }

#pragma unroll
    for (int st = 0; st < STAGES - 1; st++) {
        if (st < G) {
            load_stage(st, st);
            if (threadIdx.x < BN)
                store_params(st, load_raw<KIND>(W, prow, st), st);
        }
        cp_async_commit();
    }

    for (int gi = 0; gi < G; gi++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        const int nx = gi + STAGES - 1;
        RawP raw = {0u, 0u, 0u};
        if (nx < G) {
            load_stage(nx % STAGES, nx);
            if (threadIdx.x < BN)
                raw = load_raw<KIND>(W, prow, nx);
        }
        cp_async_commit();

        const uint8_t *ws = smem + (gi % STAGES) * ST, *xs = ws + WT;
        const RP *ps = (const RP *)(xs + XT);
        /* activations of this warp for the whole group are re-read per word from shared memory */
#pragma unroll
        for (int it = 0; it < 4; it++) {
            const int j = T::FP3 ? it : ((it + t) & 3);
            if constexpr (T::INT8) {
                uint32_t b[NT][2];
#pragma unroll
                for (int nt = 0; nt < NT; nt++) {
                    const int tk = wm * WM + nt * 8 + g;
                    uint2 xv = *(const uint2 *)(xs + tk * 128 + kr_swz_x8(tk, 4 * t + j) * 8);
                    b[nt][0] = kr_xpair_s8(xv.x, xv.y, 0);
                    b[nt][1] = kr_xpair_s8(xv.x, xv.y, 1);
                }
#pragma unroll
                for (int rt = 0; rt < RT; rt++) {
                    const int ra = wn * WN + rt * 16 + g, rb = ra + 8;
                    const uint32_t za = ps[ra].a, zb = ps[rb].a;
                    uint32_t wA = *(const uint32_t *)(ws + ra * 64 + kr_swz_w(ra, t) * 16 + 4 * j);
                    uint32_t wB = *(const uint32_t *)(ws + rb * 64 + kr_swz_w(rb, t) * 16 + 4 * j);
                    uint32_t a0 = kr_s8_uz(wA, 0, za), a1 = kr_s8_uz(wB, 0, zb);
                    uint32_t a2 = kr_s8_uz(wA, 1, za), a3 = kr_s8_uz(wB, 1, zb);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++) {
                        if (it == 0)
                            mma_s8_z(iacc[rt][nt], a0, a1, a2, a3, b[nt][0], b[nt][1]);
                        else
                            mma_s8(iacc[rt][nt], a0, a1, a2, a3, b[nt][0], b[nt][1]);
                    }
                }
            } else {
                uint32_t q[NT][4];
#pragma unroll
                for (int nt = 0; nt < NT; nt++) {
                    const int tk = wm * WM + nt * 8 + g;
                    if constexpr (T::OLIVE) {
                        uint32_t xw = *(const uint32_t *)(xs + tk * 64 + kr_swz_x4(tk, 4 * t + j) * 4);
                        dec_x<KIND>(&xw, lutx, q[nt]);
                    } else {
                        uint4 xv = *(const uint4 *)(xs + tk * 256 + kr_swz_x16(tk, 4 * t + j) * 16);
                        uint32_t xr[4] = {xv.x, xv.y, xv.z, xv.w};
                        dec_x<KIND>(xr, lutx, q[nt]);
                    }
                }
#pragma unroll
                for (int rt = 0; rt < RT; rt++) {
                    const int ra = wn * WN + rt * 16 + g, rb = ra + 8;
                    uint32_t wA, wB;
                    if constexpr (T::FP3) {
                        const uint32_t *pa = (const uint32_t *)(ws + ra * 48 + 12 * t);
                        const uint32_t *pb = (const uint32_t *)(ws + rb * 48 + 12 * t);
                        wA = kr_fp3_chunk(pa[0], pa[1], pa[2], it);
                        wB = kr_fp3_chunk(pb[0], pb[1], pb[2], it);
                    } else {
                        wA = *(const uint32_t *)(ws + ra * 64 + kr_swz_w(ra, t) * 16 + 4 * j);
                        wB = *(const uint32_t *)(ws + rb * 64 + kr_swz_w(rb, t) * 16 + 4 * j);
                    }
                    uint32_t hA[4], hB[4];
                    dec_w<KIND>(wA, ps[ra], lutw, hA);
                    dec_w<KIND>(wB, ps[rb], lutw, hB);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++) {
                        if constexpr (T::EPI == EPI_ADD) {
                            mma_f16(out[rt][nt], hA[0], hB[0], hA[1], hB[1], q[nt][0], q[nt][1]);
                            mma_f16(out[rt][nt], hA[2], hB[2], hA[3], hB[3], q[nt][2], q[nt][3]);
                        } else {
                            if (it == 0)
                                mma_f16_z(acc[rt][nt], hA[0], hB[0], hA[1], hB[1], q[nt][0], q[nt][1]);
                            else
                                mma_f16(acc[rt][nt], hA[0], hB[0], hA[1], hB[1], q[nt][0], q[nt][1]);
                            mma_f16(acc[rt][nt], hA[2], hB[2], hA[3], hB[3], q[nt][2], q[nt][3]);
                        }
                    }
                }
            }
        }
        /* the group's dequantization, groups in ascending order */
        if constexpr (T::EPI != EPI_ADD) {
#pragma unroll
            for (int rt = 0; rt < RT; rt++) {
                const int ra = wn * WN + rt * 16 + g;
                const float sa = rp_s(ps[ra]), sb = rp_s(ps[ra + 8]);
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const float sc = e < 2 ? sa : sb;
                        if constexpr (T::EPI == EPI_FMA)
                            out[rt][nt][e] = __fmaf_rn(acc[rt][nt][e], sc, out[rt][nt][e]);
                        else if constexpr (T::EPI == EPI_S32FMA)
                            out[rt][nt][e] = __fmaf_rn((float)iacc[rt][nt][e], sc, out[rt][nt][e]);
                        else
                            iout[rt][nt][e] += __float2int_rn(acc[rt][nt][e]);
                    }
            }
        }
        /* the parameters of group nx: loaded at the top, stored now (the stage was freed by the barrier) */
        if (nx < G)
            store_params(nx % STAGES, raw, nx);
    }
    cp_async_wait<0>();

#pragma unroll
    for (int rt = 0; rt < RT; rt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int row = n0 + wn * WN + rt * 16 + g + 8 * (e >> 1);
                const int tok = m0 + wm * WM + nt * 8 + 2 * t + (e & 1);
                if (row < N && tok < M) {
                    float y;
                    if constexpr (T::EPI == EPI_INT)
                        y = __fmul_rn(__fmul_rn((float)iout[rt][nt][e], W.scale32[row]), X.scale32[0]);
                    else if constexpr (T::EPI == EPI_S32FMA)
                        y = __fmul_rn(out[rt][nt][e], X.scale32[tok]);
                    else
                        y = out[rt][nt][e];
                    Y[(size_t)tok * N + row] = y;
                }
            }
}

/* ---------------------------------------------------------------- GEMV v2
 * No barrier in the main loop: a warp owns a 16-row strip and a contiguous range of groups (part
 * p of P), streams its weights and activations through a private cp.async ring DEPTH groups deep,
 * loads the group parameters PD groups ahead, and folds each group into its accumulators right
 * after the group's tensor-core sum (out = fmaf(D_g, s_g, out), groups ascending). The P parts of
 * a strip are added in part order at the end (integers for OliVe; P = 1 for MixPE W4A8, whose
 * chain of FMAs must run over all groups in order). */
template <int KIND, int NT, int P>
__global__ void __launch_bounds__(128) gemv2_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut,
                                                    float *__restrict__ Y)
{
    using T = Tr<KIND>;
    constexpr int R = 4 / P, DEPTH = NT == 1 ? 8 : 4, XQ = T::XB / 64, TOKS = 8 * NT, PD = 4, ROWS = 16 * R;
    extern __shared__ __align__(16) uint8_t smem[];
    __shared__ uint32_t lut[T::OLIVE ? 512 : 1];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int r = warp / P, p = warp % P, g = lane >> 2, t = lane & 3;
    const int N = W.n, M = X.m, G = W.ngroups, MX = M < TOKS ? M : TOKS;
    uint4 *wring = (uint4 *)smem;                          /* [4][DEPTH][2][32]      */
    uint4 *xring = wring + 4 * DEPTH * 64;                 /* [4][DEPTH][XQ][MX][4]  */
    float *red = (float *)(xring + 4 * DEPTH * XQ * MX * 4); /* [P][ROWS][TOKS]        */
    const int rowA = blockIdx.x * ROWS + 16 * r + g, rowB = rowA + 8;
    const int rA = rowA < N ? rowA : N - 1, rB = rowB < N ? rowB : N - 1;
    const int ga = (G * p) / P, gb = (G * (p + 1)) / P;
    const uint8_t *wpa = W.codes + (size_t)rA * W.row_bytes + t * (T::WB / 4);
    const uint8_t *wpb = W.codes + (size_t)rB * W.row_bytes + t * (T::WB / 4);
    const uint8_t *xp[NT];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        int tok = g + 8 * nt;
        xp[nt] = (const uint8_t *)X.codes + (size_t)(tok < M ? tok : 0) * X.row_bytes + t * (T::XB / 4);
    }
    if constexpr (T::OLIVE) {
        for (int i = threadIdx.x; i < 512; i += 128)
            lut[i] = olut[i];
        __syncthreads();
    }
    const uint32_t *lutw = lut, *lutx = lut + 256;

    auto issue = [&](int gi) {
        if (gi < gb) {
            const int slot = (gi - ga) & (DEPTH - 1);
            uint4 *dw = wring + (warp * DEPTH + slot) * 64 + lane;
            if constexpr (T::FP3) {
#pragma unroll
                for (int i = 0; i < 3; i++) {
                    cp_async4((uint32_t *)dw + i, wpa + (size_t)gi * 48 + 4 * i, true);
                    cp_async4((uint32_t *)(dw + 32) + i, wpb + (size_t)gi * 48 + 4 * i, true);
                }
            } else {
                cp_async16(dw, wpa + (size_t)gi * 64, true);
                cp_async16(dw + 32, wpb + (size_t)gi * 64, true);
            }
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                const int tok = g + 8 * nt;
                if (tok < M) {
#pragma unroll
                    for (int q = 0; q < XQ; q++)
                        cp_async16(xring + ((((warp * DEPTH + slot) * XQ + q) * MX + tok) * 4 + t),
                                   xp[nt] + (size_t)gi * T::XB + q * 16, true);
                }
            }
        }
        cp_async_commit(); /* possibly empty: keeps the group count uniform */
    };

#pragma unroll
    for (int d = 0; d < DEPTH - 1; d++)
        issue(ga + d);
    RawP rawA[PD], rawB[PD];
#pragma unroll
    for (int u = 0; u < PD; u++)
        if (ga + u < gb) {
            rawA[u] = load_raw<KIND>(W, rA, ga + u);
            rawB[u] = load_raw<KIND>(W, rB, ga + u);
        }
    float out[NT][4];
    int iout[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            out[nt][e] = 0.0f;
            iout[nt][e] = 0;
        }

    for (int g0 = ga; g0 < gb; g0 += PD) {
#pragma unroll
        for (int u = 0; u < PD; u++) {
            const int gi = g0 + u;
            if (gi >= gb)
                break;
            issue(gi + DEPTH - 1);
            const RP pa = make_rp<KIND>(rawA[u], gi), pb = make_rp<KIND>(rawB[u], gi);
            if (gi + PD < gb) {
                rawA[u] = load_raw<KIND>(W, rA, gi + PD);
                rawB[u] = load_raw<KIND>(W, rB, gi + PD);
            }
            cp_async_wait<DEPTH - 1>(); /* this lane's copies of group gi have landed */
            const int slot = (gi - ga) & (DEPTH - 1);
            const uint4 va = wring[(warp * DEPTH + slot) * 64 + lane], vb = wring[(warp * DEPTH + slot) * 64 + 32 + lane];
            const uint32_t wa4[4] = {va.x, va.y, va.z, va.w}, wb4[4] = {vb.x, vb.y, vb.z, vb.w};
            uint32_t xr[NT][T::XW];
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                const int tok = g + 8 * nt;
#pragma unroll
                for (int q = 0; q < XQ; q++) {
                    uint4 v = tok < M ? xring[(((warp * DEPTH + slot) * XQ + q) * MX + tok) * 4 + t] : make_uint4(0, 0, 0, 0);
                    xr[nt][4 * q] = v.x, xr[nt][4 * q + 1] = v.y, xr[nt][4 * q + 2] = v.z, xr[nt][4 * q + 3] = v.w;
                }
            }
            if constexpr (T::INT8) {
                int I[NT][4];
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        I[nt][e] = 0;
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    uint32_t al = kr_s8_uz(wa4[j], 0, pa.a), ah = kr_s8_uz(wa4[j], 1, pa.a);
                    uint32_t bl = kr_s8_uz(wb4[j], 0, pb.a), bh = kr_s8_uz(wb4[j], 1, pb.a);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++)
                        mma_s8(I[nt], al, bl, ah, bh, kr_xpair_s8(xr[nt][2 * j], xr[nt][2 * j + 1], 0),
                               kr_xpair_s8(xr[nt][2 * j], xr[nt][2 * j + 1], 1));
                }
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        out[nt][e] = __fmaf_rn((float)I[nt][e], e < 2 ? rp_s(pa) : rp_s(pb), out[nt][e]);
            } else {
                float C[NT][4];
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        C[nt][e] = 0.0f;
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    uint32_t wa = T::FP3 ? kr_fp3_chunk(wa4[0], wa4[1], wa4[2], j) : wa4[j];
                    uint32_t wb = T::FP3 ? kr_fp3_chunk(wb4[0], wb4[1], wb4[2], j) : wb4[j];
                    uint32_t hA[4], hB[4];
                    dec_w<KIND>(wa, pa, lutw, hA);
                    dec_w<KIND>(wb, pb, lutw, hB);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++) {
                        uint32_t q[4];
                        dec_x<KIND>(&xr[nt][T::OLIVE ? j : 4 * j], lutx, q);
                        mma_f16(C[nt], hA[0], hB[0], hA[1], hB[1], q[0], q[1]);
                        mma_f16(C[nt], hA[2], hB[2], hA[3], hB[3], q[2], q[3]);
                    }
                }
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        if constexpr (T::EPI == EPI_INT)
                            iout[nt][e] += __float2int_rn(C[nt][e]); /* an integer below 2^24 */
                        else if constexpr (T::EPI == EPI_ADD)
                            out[nt][e] = __fadd_rn(out[nt][e], C[nt][e]);
                        else
                            out[nt][e] = __fmaf_rn(C[nt][e], e < 2 ? rp_s(pa) : rp_s(pb), out[nt][e]);
                    }
            }
        }
    }
    cp_async_wait<0>();

    auto finish = [&](float v, int iv, int row, int tk) -> float {
        if constexpr (T::EPI == EPI_INT)
            return __fmul_rn(__fmul_rn((float)iv, W.scale32[row]), X.scale32[0]);
        else if constexpr (T::EPI == EPI_S32FMA)
            return __fmul_rn(v, X.scale32[tk]);
        else
            return v;
    };
    if constexpr (P == 1) {
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int row = (e < 2 ? rowA : rowB), tk = 8 * nt + 2 * t + (e & 1);
                if (row < N && tk < M)
                    Y[(size_t)tk * N + row] = finish(out[nt][e], iout[nt][e], row, tk);
            }
    } else {
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int rl = 16 * r + g + 8 * (e >> 1), tk = 8 * nt + 2 * t + (e & 1);
                red[(p * ROWS + rl) * TOKS + tk] = T::EPI == EPI_INT ? __int_as_float(iout[nt][e]) : out[nt][e];
            }
        __syncthreads();
        for (int o = threadIdx.x; o < ROWS * TOKS; o += 128) {
            const int rl = o % ROWS, tk = o / ROWS, row = blockIdx.x * ROWS + rl;
            if (row < N && tk < M) {
                float v = 0.0f;
                int iv = 0;
#pragma unroll
                for (int q = 0; q < P; q++) { /* parts in order */
                    float d = red[(q * ROWS + rl) * TOKS + tk];
                    if constexpr (T::EPI == EPI_INT)
                        iv += __float_as_int(d);
                    else
                        v = q == 0 ? d : __fadd_rn(v, d);
                }
                Y[(size_t)tk * N + row] = finish(v, iv, row, tk);
            }
        }
    }
}

template <int KIND, int NT, int P> static size_t gemv2_smem(int m)
{
    constexpr int DEPTH = NT == 1 ? 8 : 4, XQ = Tr<KIND>::XB / 64, TOKS = 8 * NT;
    const int mx = m < TOKS ? m : TOKS;
    return (size_t)4 * DEPTH * 1024 + (size_t)4 * DEPTH * XQ * mx * 64 + (size_t)(P > 1 ? P * (64 / P) * TOKS * 4 : 0);
}

/* ---------------------------------------------------------------- GEMV v3
 * As v2 (a warp per strip and K part, no barrier, groups folded in ascending order), but the warp
 * copies its weights in coalesced runs: GS = 8 groups of one row at a time (512 contiguous bytes,
 * 384 for FP3) per warp instruction, into a two-step ring in shared memory (16-byte chunk c of ring
 * row rr stored at c ^ ((rr & 7) << 2), conflict-free for the fragment reads). Activations come
 * one group ahead through the L1 (__ldg), group parameters PD groups ahead. */
template <int KIND, int NT, int P>
__global__ void __launch_bounds__(128) gemv3_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut,
                                                    float *__restrict__ Y)
{
    using T = Tr<KIND>;
    constexpr int R = 4 / P, GS = 8, TOKS = 8 * NT, ROWS = 16 * R, PD = 4, XQ = T::XB / 64;
    constexpr int RB = T::FP3 ? GS * 48 + 16 : GS * 64; /* ring row stride, bytes */
    extern __shared__ __align__(16) uint8_t smem[];
    __shared__ uint32_t lut[T::OLIVE ? 512 : 1];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int r = warp / P, p = warp % P, g = lane >> 2, t = lane & 3;
    const int N = W.n, M = X.m, G = W.ngroups;
    uint8_t *ring = smem + warp * 2 * 16 * RB;
    float *red = (float *)(smem + 4 * 2 * 16 * RB); /* [P][ROWS][TOKS] */
    const int row0 = blockIdx.x * ROWS + 16 * r;
    const int rowA = row0 + g, rowB = rowA + 8;
    const int rA = rowA < N ? rowA : N - 1, rB = rowB < N ? rowB : N - 1;
    const int ga = (G * p) / P, gb = (G * (p + 1)) / P, nst = (gb - ga + GS - 1) / GS;
    const uint8_t *xp[NT];
    bool xv[NT];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        int tok = g + 8 * nt;
        xv[nt] = tok < M;
        xp[nt] = (const uint8_t *)X.codes + (size_t)(xv[nt] ? tok : 0) * X.row_bytes + t * (T::XB / 4);
    }
    if constexpr (T::OLIVE) {
        for (int i = threadIdx.x; i < 512; i += 128)
            lut[i] = olut[i];
        __syncthreads();
    }
    const uint32_t *lutw = lut, *lutx = lut + 256;

    auto issue = [&](int st) {
        if (st < nst) {
            const int gs0 = ga + st * GS, ng = gb - gs0 < GS ? gb - gs0 : GS, nch = ng * T::WB / 16;
            uint8_t *dst = ring + (st & 1) * 16 * RB;
            if (lane < nch) {
#pragma unroll
                for (int rr = 0; rr < 16; rr++) {
                    const int row = row0 + rr < N ? row0 + rr : N - 1;
                    const uint8_t *src = W.codes + (size_t)row * W.row_bytes + (size_t)gs0 * T::WB + lane * 16;
                    const int pos = T::FP3 ? lane : (lane ^ ((rr & 7) << 2));
                    cp_async16(dst + rr * RB + pos * 16, src, true);
                }
            }
        }
        cp_async_commit();
    };
    auto load_x = [&](uint32_t (&xr)[NT][T::XW], int gi) {
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            const uint4 *px = (const uint4 *)(xp[nt] + (size_t)gi * T::XB);
#pragma unroll
            for (int q = 0; q < XQ; q++) {
                uint4 v = xv[nt] ? __ldg(px + q) : make_uint4(0, 0, 0, 0);
                xr[nt][4 * q] = v.x, xr[nt][4 * q + 1] = v.y, xr[nt][4 * q + 2] = v.z, xr[nt][4 * q + 3] = v.w;
            }
        }
    };

    issue(0);
    RawP rawA[PD], rawB[PD];
#pragma unroll
    for (int u = 0; u < PD; u++)
        if (ga + u < gb) {
            rawA[u] = load_raw<KIND>(W, rA, ga + u);
            rawB[u] = load_raw<KIND>(W, rB, ga + u);
        }
    uint32_t xb[2][NT][T::XW];
    if (ga < gb)
        load_x(xb[0], ga);
    float out[NT][4];
    int iout[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            out[nt][e] = 0.0f;
            iout[nt][e] = 0;
        }

    for (int st = 0; st < nst; st++) {
        issue(st + 1);
        cp_async_wait<1>();
        __syncwarp(); /* every lane's copies of step st are visible to the warp */
        const uint8_t *buf = ring + (st & 1) * 16 * RB;
        const int gs0 = ga + st * GS;
#pragma unroll
        for (int u = 0; u < GS; u++) {
            const int gi = gs0 + u;
            if (gi >= gb)
                break;
            if (gi + 1 < gb)
                load_x(xb[(u + 1) & 1], gi + 1);
            const RP pa = make_rp<KIND>(rawA[u % PD], gi), pb = make_rp<KIND>(rawB[u % PD], gi);
            if (gi + PD < gb) {
                rawA[u % PD] = load_raw<KIND>(W, rA, gi + PD);
                rawB[u % PD] = load_raw<KIND>(W, rB, gi + PD);
            }
            uint32_t wa4[4], wb4[4];
            if constexpr (T::FP3) {
                const uint32_t *pa3 = (const uint32_t *)(buf + g * RB + u * 48 + 12 * t);
                const uint32_t *pb3 = (const uint32_t *)(buf + (g + 8) * RB + u * 48 + 12 * t);
#pragma unroll
                for (int i = 0; i < 3; i++)
                    wa4[i] = pa3[i], wb4[i] = pb3[i];
                wa4[3] = wb4[3] = 0;
            } else {
                const int pos = (4 * u + t) ^ ((g & 7) << 2);
                const uint4 va = *(const uint4 *)(buf + g * RB + pos * 16), vb = *(const uint4 *)(buf + (g + 8) * RB + pos * 16);
                wa4[0] = va.x, wa4[1] = va.y, wa4[2] = va.z, wa4[3] = va.w;
                wb4[0] = vb.x, wb4[1] = vb.y, wb4[2] = vb.z, wb4[3] = vb.w;
            }
            const uint32_t(&xr)[NT][T::XW] = xb[u & 1];
            if constexpr (T::INT8) {
                int I[NT][4];
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        I[nt][e] = 0;
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    uint32_t al = kr_s8_uz(wa4[j], 0, pa.a), ah = kr_s8_uz(wa4[j], 1, pa.a);
                    uint32_t bl = kr_s8_uz(wb4[j], 0, pb.a), bh = kr_s8_uz(wb4[j], 1, pb.a);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++)
                        mma_s8(I[nt], al, bl, ah, bh, kr_xpair_s8(xr[nt][2 * j], xr[nt][2 * j + 1], 0),
                               kr_xpair_s8(xr[nt][2 * j], xr[nt][2 * j + 1], 1));
                }
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        out[nt][e] = __fmaf_rn((float)I[nt][e], e < 2 ? rp_s(pa) : rp_s(pb), out[nt][e]);
            } else {
                float C[NT][4];
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++)
                        C[nt][e] = 0.0f;
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    uint32_t wa = T::FP3 ? kr_fp3_chunk(wa4[0], wa4[1], wa4[2], j) : wa4[j];
                    uint32_t wb = T::FP3 ? kr_fp3_chunk(wb4[0], wb4[1], wb4[2], j) : wb4[j];
                    uint32_t hA[4], hB[4];
                    dec_w<KIND>(wa, pa, lutw, hA);
                    dec_w<KIND>(wb, pb, lutw, hB);
#pragma unroll
                    for (int nt = 0; nt < NT; nt++) {
                        uint32_t q[4];
                        dec_x<KIND>(&xr[nt][T::OLIVE ? j : 4 * j], lutx, q);
                        mma_f16(C[nt], hA[0], hB[0], hA[1], hB[1], q[0], q[1]);
                        mma_f16(C[nt], hA[2], hB[2], hA[3], hB[3], q[2], q[3]);
                    }
                }
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        if constexpr (T::EPI == EPI_INT)
                            iout[nt][e] += __float2int_rn(C[nt][e]); /* an integer below 2^24 */
                        else if constexpr (T::EPI == EPI_ADD)
                            out[nt][e] = __fadd_rn(out[nt][e], C[nt][e]);
                        else
                            out[nt][e] = __fmaf_rn(C[nt][e], e < 2 ? rp_s(pa) : rp_s(pb), out[nt][e]);
                    }
            }
        }
        __syncwarp(); /* the ring slot of step st is free for step st + 2 */
    }
    cp_async_wait<0>();

    auto finish = [&](float v, int iv, int row, int tk) -> float {
        if constexpr (T::EPI == EPI_INT)
            return __fmul_rn(__fmul_rn((float)iv, W.scale32[row]), X.scale32[0]);
        else if constexpr (T::EPI == EPI_S32FMA)
            return __fmul_rn(v, X.scale32[tk]);
        else
            return v;
    };
    if constexpr (P == 1) {
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int row = (e < 2 ? rowA : rowB), tk = 8 * nt + 2 * t + (e & 1);
                if (row < N && tk < M)
                    Y[(size_t)tk * N + row] = finish(out[nt][e], iout[nt][e], row, tk);
            }
    } else {
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int rl = 16 * r + g + 8 * (e >> 1), tk = 8 * nt + 2 * t + (e & 1);
                red[(p * ROWS + rl) * TOKS + tk] = T::EPI == EPI_INT ? __int_as_float(iout[nt][e]) : out[nt][e];
            }
        __syncthreads();
        for (int o = threadIdx.x; o < ROWS * TOKS; o += 128) {
            const int rl = o % ROWS, tk = o / ROWS, row = blockIdx.x * ROWS + rl;
            if (row < N && tk < M) {
                float v = 0.0f;
                int iv = 0;
#pragma unroll
                for (int q = 0; q < P; q++) { /* parts in order */
                    float d = red[(q * ROWS + rl) * TOKS + tk];
                    if constexpr (T::EPI == EPI_INT)
                        iv += __float_as_int(d);
                    else
                        v = q == 0 ? d : __fadd_rn(v, d);
                }
                Y[(size_t)tk * N + row] = finish(v, iv, row, tk);
            }
        }
    }
}

template <int KIND, int NT, int P> static size_t gemv3_smem()
{
    constexpr int RB = Tr<KIND>::FP3 ? 8 * 48 + 16 : 8 * 64;
    return (size_t)4 * 2 * 16 * RB + (size_t)(P > 1 ? 256 * 8 * NT : 0);
}

/* ---------------------------------------------------------------- GEMM v2
 * Decode once per block: each group's weights (and OliVe's activations) are decoded by the whole
 * block into shared memory, in natural k order (fp16 pairs or int8), then the warps run a plain
 * ldmatrix + mma.sync loop over them; the per-group dequantization and the ascending group order
 * are as in v1. */
template <int KIND, int BM, int BN, int WM, int WN, int STAGES> struct Gm2Cfg {
    using T = Tr<KIND>;
    static constexpr int NWN = BN / WN, NWM = BM / WM, NTH = 32 * NWN * NWM, RT = WN / 16, NT = WM / 8;
    static constexpr int KB = T::INT8 ? 128 : 256;            /* decoded bytes per row per group */
    static constexpr int XR = T::INT8 ? 128 : 256;            /* bytes per activation row fed to ldmatrix */
    static constexpr int WT = BN * T::WB, XT = BM * T::XB, PT = BN * 8, ST = WT + XT + PT;
    static constexpr int WD = BN * KB, XD = T::OLIVE ? BM * 256 : 0;
    static constexpr int SMEM = STAGES * ST + WD + XD + (T::OLIVE ? 2048 : 0);
    static constexpr int KSTEPS = T::INT8 ? 4 : 8;
    static_assert(BN <= NTH && 2 * BN % NTH == 0 && NT % 2 == 0, "GEMM v2 tile");
};

__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], const void *p)
{
    unsigned a = (unsigned)__cvta_generic_to_shared(p);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(a)
                 : "memory");
}

template <int KIND, int BM, int BN, int WM, int WN, int STAGES>
__global__ void __launch_bounds__(Gm2Cfg<KIND, BM, BN, WM, WN, STAGES>::NTH, 1)
    gemm2_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gm2Cfg<KIND, BM, BN, WM, WN, STAGES>;
    constexpr int NWN = Cf::NWN, NTH = Cf::NTH, RT = Cf::RT, NT = Cf::NT, WT = Cf::WT, XT = Cf::XT, ST = Cf::ST;
    constexpr int KB = Cf::KB, XR = Cf::XR;
    constexpr int PAIR = KIND == K_FP4 ? KR_PAIR_FP4 : KIND == K_OLIVE ? KR_PAIR_SEQ : KR_PAIR_U4;
    extern __shared__ __align__(16) uint8_t smem[];
    uint8_t *wd = smem + STAGES * ST, *xd = wd + Cf::WD;
    uint32_t *lut = (uint32_t *)(xd + Cf::XD);

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, t = lane & 3, wn = warp % NWN, wm = warp / NWN;
    const int N = W.n, M = X.m, G = W.ngroups;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    const int prow = n0 + (int)threadIdx.x < N ? n0 + (int)threadIdx.x : N - 1;

    if constexpr (T::OLIVE) {
        for (int i = threadIdx.x; i < 512; i += NTH)
            lut[i] = olut[i];
    }
    const uint32_t *lutw = lut, *lutx = lut + 256;

    auto load_stage = [&](int st, int gi) {
        uint8_t *ws = smem + st * ST, *xs = ws + WT;
        constexpr int WCH = T::WB / 16, NW = (BN * WCH + NTH - 1) / NTH;
#pragma unroll
        for (int it = 0; it < NW; it++) {
            const int i = threadIdx.x + it * NTH;
            if (BN * WCH % NTH == 0 || i < BN * WCH) {
                const int rr = i / WCH, c = i % WCH, row = n0 + rr;
                const uint8_t *src = W.codes + (size_t)(row < N ? row : N - 1) * W.row_bytes + (size_t)gi * T::WB + c * 16;
                cp_async16(ws + rr * T::WB + (T::FP3 ? c : kr_swz_w(rr, c)) * 16, src, row < N);
            }
        }
        constexpr int XCH = T::XB / 16, NX = (BM * XCH + NTH - 1) / NTH;
#pragma unroll
        for (int it = 0; it < NX; it++) {
            const int i = threadIdx.x + it * NTH;
            if (BM * XCH % NTH == 0 || i < BM * XCH) {
                const int tk = i / XCH, c = i % XCH, tok = m0 + tk;
                const uint8_t *src = (const uint8_t *)X.codes + (size_t)(tok < M ? tok : M - 1) * X.row_bytes +
                                     (size_t)gi * T::XB + c * 16;
                cp_async16(xs + tk * T::XB + (T::OLIVE ? kr_swz_w(tk, c) : kr_swz_ld(tk, c)) * 16, src, tok < M);
            }
        }
    };
    auto store_params = [&](int st, const RawP &r, int gi) {
        if (threadIdx.x < BN)
            ((RP *)(smem + st * ST + WT + XT))[threadIdx.x] = make_rp<KIND>(r, gi);
    };

    float acc[RT][NT][4], out[RT][NT][4];
    int iacc[RT][NT][4], iout[RT][NT][4];
#pragma unroll
    for (int rt = 0; rt < RT; rt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                acc[rt][nt][e] = out[rt][nt][e] = 0.0f;
                iacc[rt][nt][e] = iout[rt][nt][e] = 0;
            }

#pragma unroll
    for (int st = 0; st < STAGES - 1; st++) {
        if (st < G) {
            load_stage(st, st);
            if (threadIdx.x < BN)
                store_params(st, load_raw<KIND>(W, prow, st), st);
        }
        cp_async_commit();
    }

    for (int gi = 0; gi < G; gi++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads(); /* stage gi has landed; every warp is done with the decoded buffers */
        const int nx = gi + STAGES - 1;
        RawP raw = {0u, 0u, 0u};
        if (nx < G) {
            load_stage(nx % STAGES, nx);
            if (threadIdx.x < BN)
                raw = load_raw<KIND>(W, prow, nx);
        }
        cp_async_commit();

        const uint8_t *ws = smem + (gi % STAGES) * ST, *xs = ws + WT;
        const RP *ps = (const RP *)(xs + XT);
        /* decode: thread -> (row, half of the group's 128 weights) */
#pragma unroll
        for (int it = 0; it < 2 * BN / NTH; it++) {
            const int i = threadIdx.x + it * NTH, rr = i % BN, h = i / BN;
            const RP rp = ps[rr];
            uint8_t *drow = wd + rr * KB;
            if constexpr (T::FP3) {
                uint32_t w6[6];
                const uint2 *src = (const uint2 *)(ws + rr * 48 + 24 * h);
#pragma unroll
                for (int q = 0; q < 3; q++) {
                    uint2 v = src[q];
                    w6[2 * q] = v.x, w6[2 * q + 1] = v.y;
                }
#pragma unroll
                for (int jj = 0; jj < 8; jj++) {
                    uint32_t hh[4], nat[4];
                    dec_w<KIND>(kr_fp3_chunk_at(w6, jj), rp, lutw, hh);
                    kr_nat_pairs(PAIR, hh, nat);
                    *(uint4 *)(drow + kr_swz_ld(rr, 8 * h + jj) * 16) = make_uint4(nat[0], nat[1], nat[2], nat[3]);
                }
            } else {
                uint32_t w8[8];
#pragma unroll
                for (int c = 0; c < 2; c++) {
                    uint4 v = *(const uint4 *)(ws + rr * 64 + kr_swz_w(rr, 2 * h + c) * 16);
                    w8[4 * c] = v.x, w8[4 * c + 1] = v.y, w8[4 * c + 2] = v.z, w8[4 * c + 3] = v.w;
                }
#pragma unroll
                for (int q = 0; q < 8; q++) {
                    if constexpr (T::INT8) {
                        uint32_t lo = kr_s8_uz(w8[q], 0, rp.a), hi = kr_s8_uz(w8[q], 1, rp.a);
                        *(uint2 *)(drow + kr_swz_ld(rr, 4 * h + q / 2) * 16 + (q & 1) * 8) =
                            make_uint2(kr_nat_s8(lo, hi, 0), kr_nat_s8(lo, hi, 1));
                    } else {
                        uint32_t hh[4], nat[4];
                        dec_w<KIND>(w8[q], rp, lutw, hh);
                        kr_nat_pairs(PAIR, hh, nat);
                        *(uint4 *)(drow + kr_swz_ld(rr, 8 * h + q) * 16) = make_uint4(nat[0], nat[1], nat[2], nat[3]);
                    }
                }
            }
        }
        if constexpr (T::OLIVE) { /* activations too: thread -> (token, half) */
#pragma unroll
            for (int it = 0; it < (2 * BM + NTH - 1) / NTH; it++) {
                const int i = threadIdx.x + it * NTH, tk = i % BM, h = i / BM;
                if (2 * BM % NTH == 0 || i < 2 * BM) {
                    uint8_t *drow = xd + tk * 256;
#pragma unroll
                    for (int c = 0; c < 2; c++) {
                        uint4 v = *(const uint4 *)(xs + tk * 64 + kr_swz_w(tk, 2 * h + c) * 16);
                        const uint32_t w4[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
                        for (int q = 0; q < 4; q++) {
                            uint32_t hh[4];
                            dec_x<KIND>(&w4[q], lutx, hh);
                            *(uint4 *)(drow + kr_swz_ld(tk, 8 * h + 4 * c + q) * 16) = make_uint4(hh[0], hh[1], hh[2], hh[3]);
                        }
                    }
                }
            }
        }
        __syncthreads(); /* decoded group ready */

        const uint8_t *xsrc = T::OLIVE ? xd : xs;
#pragma unroll
        for (int ks = 0; ks < Cf::KSTEPS; ks++) {
            const int m = lane >> 3;
            uint32_t a[RT][4], b[NT / 2][4];
#pragma unroll
            for (int rt = 0; rt < RT; rt++) {
                const int row = wn * WN + rt * 16 + (lane & 7) + 8 * (m & 1);
                ldsm_x4(a[rt], wd + row * KB + kr_swz_ld(row, 2 * ks + (m >> 1)) * 16);
            }
#pragma unroll
            for (int np = 0; np < NT / 2; np++) {
                const int tk = wm * WM + np * 16 + (lane & 7) + 8 * (m >> 1);
                ldsm_x4(b[np], xsrc + tk * XR + kr_swz_ld(tk, 2 * ks + (m & 1)) * 16);
            }
#pragma unroll
            for (int rt = 0; rt < RT; rt++)
#pragma unroll
                for (int nt = 0; nt < NT; nt++) {
                    const uint32_t b0 = b[nt >> 1][(nt & 1) * 2], b1 = b[nt >> 1][(nt & 1) * 2 + 1];
                    if constexpr (T::INT8) {
                        if (ks == 0)
                            mma_s8_z(iacc[rt][nt], a[rt][0], a[rt][1], a[rt][2], a[rt][3], b0, b1);
                        else
                            mma_s8(iacc[rt][nt], a[rt][0], a[rt][1], a[rt][2], a[rt][3], b0, b1);
                    } else if constexpr (T::EPI == EPI_ADD) {
                        mma_f16(out[rt][nt], a[rt][0], a[rt][1], a[rt][2], a[rt][3], b0, b1);
                    } else {
                        if (ks == 0)
                            mma_f16_z(acc[rt][nt], a[rt][0], a[rt][1], a[rt][2], a[rt][3], b0, b1);
                        else
                            mma_f16(acc[rt][nt], a[rt][0], a[rt][1], a[rt][2], a[rt][3], b0, b1);
                    }
                }
        }
        if constexpr (T::EPI != EPI_ADD) {
#pragma unroll
            for (int rt = 0; rt < RT; rt++) {
                const int ra = wn * WN + rt * 16 + g;
                const float sa = rp_s(ps[ra]), sb = rp_s(ps[ra + 8]);
#pragma unroll
                for (int nt = 0; nt < NT; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const float sc = e < 2 ? sa : sb;
                        if constexpr (T::EPI == EPI_FMA)
                            out[rt][nt][e] = __fmaf_rn(acc[rt][nt][e], sc, out[rt][nt][e]);
                        else if constexpr (T::EPI == EPI_S32FMA)
                            out[rt][nt][e] = __fmaf_rn((float)iacc[rt][nt][e], sc, out[rt][nt][e]);
                        else
                            iout[rt][nt][e] += __float2int_rn(acc[rt][nt][e]);
                    }
            }
        }
        if (nx < G)
            store_params(nx % STAGES, raw, nx);
    }
    cp_async_wait<0>();

#pragma unroll
    for (int rt = 0; rt < RT; rt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const int row = n0 + wn * WN + rt * 16 + g + 8 * (e >> 1);
                const int tok = m0 + wm * WM + nt * 8 + 2 * t + (e & 1);
                if (row < N && tok < M) {
                    float y;
                    if constexpr (T::EPI == EPI_INT)
                        y = __fmul_rn(__fmul_rn((float)iout[rt][nt][e], W.scale32[row]), X.scale32[0]);
                    else if constexpr (T::EPI == EPI_S32FMA)
                        y = __fmul_rn(out[rt][nt][e], X.scale32[tok]);
                    else
                        y = out[rt][nt][e];
                    Y[(size_t)tok * N + row] = y;
                }
            }
}

/* ---------------------------------------------------------------- launch */

template <int KIND, int NT, int R, int S>
static int launch_gemv(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    dim3 grid((w->n + 16 * R - 1) / (16 * R));
    gemv_kernel<KIND, NT, R, S, 3><<<grid, 32 * R * S, 0, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int BM, int BN, int WM, int WN, int STAGES>
static int launch_gemm(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = GemmCfg<KIND, BM, BN, WM, WN, STAGES>;
    auto *f = gemm_kernel<KIND, BM, BN, WM, WN, STAGES>;
    static bool smem_set = false; /* one flag per instantiation */
    if (!smem_set) {
        cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, Cf::SMEM);
        if (e != cudaSuccess)
            return (int)e;
        smem_set = true;
    }
    dim3 grid((w->n + BN - 1) / BN, (x->m + BM - 1) / BM);
    f<<<grid, Cf::NTH, Cf::SMEM, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int NT, int P>
static int launch_gemv2(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    auto *f = gemv2_kernel<KIND, NT, P>;
    const size_t smem = gemv2_smem<KIND, NT, P>(x->m);
    static size_t smem_set = 0; /* one per instantiation */
    if (smem > 48 * 1024 && smem > smem_set) {
        cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess)
            return (int)e;
        smem_set = smem;
    }
    dim3 grid((w->n + 64 / P - 1) / (64 / P));
    f<<<grid, 128, smem, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int BM, int BN, int WM, int WN, int STAGES>
static int launch_gemm2(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gm2Cfg<KIND, BM, BN, WM, WN, STAGES>;
    auto *f = gemm2_kernel<KIND, BM, BN, WM, WN, STAGES>;
    static bool smem_set = false;
    if (!smem_set) {
        cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, Cf::SMEM);
        if (e != cudaSuccess)
            return (int)e;
        smem_set = true;
    }
    dim3 grid((w->n + BN - 1) / BN, (x->m + BM - 1) / BM);
    f<<<grid, Cf::NTH, Cf::SMEM, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int NT, int P>
static int launch_gemv3(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    auto *f = gemv3_kernel<KIND, NT, P>;
    const size_t smem = gemv3_smem<KIND, NT, P>();
    static bool smem_set = false;
    if (!smem_set) {
        cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
        if (e != cudaSuccess)
            return (int)e;
        smem_set = true;
    }
    dim3 grid((w->n + 64 / P - 1) / (64 / P));
    f<<<grid, 128, smem, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}
template <int KIND, int NT>
static int launch_gemv3_p(int P, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    switch (P) {
    case 1: return launch_gemv3<KIND, NT, 1>(w, x, lut, y, st);
    case 2: return launch_gemv3<KIND, NT, 2>(w, x, lut, y, st);
    case 4: return launch_gemv3<KIND, NT, 4>(w, x, lut, y, st);
    default: return -1;
    }
}
/* Parts of K per 16-row strip for GEMV v3: enough warps for one wave of blocks. */
static inline int gemv3_parts(int kind, int n)
{
    if (kind == K_W4A8)
        return 1;
    return n <= 6144 ? 4 : n <= 12288 ? 2 : 1;
}

/* Parts of K per 16-row strip for GEMV v2: about 1000 warps in flight, whole K for MixPE W4A8. */
static inline int gemv2_parts(int kind, int n)
{
    if (kind == K_W4A8)
        return 1;
    return n <= 6144 ? 4 : n <= 16384 ? 2 : 1;
}

template <int KIND, int NT>
static int launch_gemv2_p(int P, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    switch (P) {
    case 1: return launch_gemv2<KIND, NT, 1>(w, x, lut, y, st);
    case 2: return launch_gemv2<KIND, NT, 2>(w, x, lut, y, st);
    case 4: return launch_gemv2<KIND, NT, 4>(w, x, lut, y, st);
    default: return -1;
    }
}

template <int KIND>
static int launch_kind(KrVariant var, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y,
                       cudaStream_t st)
{
    const bool two = x->m > 8;
    switch (var) {
    case KR_VAR_GEMV_R1S8:
        return two ? launch_gemv<KIND, 2, 1, 8>(w, x, lut, y, st) : launch_gemv<KIND, 1, 1, 8>(w, x, lut, y, st);
    case KR_VAR_GEMV_R2S4:
        return two ? launch_gemv<KIND, 2, 2, 4>(w, x, lut, y, st) : launch_gemv<KIND, 1, 2, 4>(w, x, lut, y, st);
    case KR_VAR_GEMV_R4S2:
        return two ? launch_gemv<KIND, 2, 4, 2>(w, x, lut, y, st) : launch_gemv<KIND, 1, 4, 2>(w, x, lut, y, st);
    case KR_VAR_GEMV_R1S4:
        return two ? launch_gemv<KIND, 2, 1, 4>(w, x, lut, y, st) : launch_gemv<KIND, 1, 1, 4>(w, x, lut, y, st);
    case KR_VAR_GEMV2:
    case KR_VAR_GEMV2_P1:
    case KR_VAR_GEMV2_P2:
    case KR_VAR_GEMV2_P4: {
        int P = var == KR_VAR_GEMV2 ? gemv2_parts(KIND, w->n) : var == KR_VAR_GEMV2_P1 ? 1 : var == KR_VAR_GEMV2_P2 ? 2 : 4;
        if (KIND == K_W4A8 && P != 1)
            return -1; /* the exact chain of FMAs runs over all groups in one warp */
        return two ? launch_gemv2_p<KIND, 2>(P, w, x, lut, y, st) : launch_gemv2_p<KIND, 1>(P, w, x, lut, y, st);
    }
    case KR_VAR_GEMV3:
    case KR_VAR_GEMV3_P1:
    case KR_VAR_GEMV3_P2:
    case KR_VAR_GEMV3_P4: {
        int P = var == KR_VAR_GEMV3 ? gemv3_parts(KIND, w->n) : var == KR_VAR_GEMV3_P1 ? 1 : var == KR_VAR_GEMV3_P2 ? 2 : 4;
        if (KIND == K_W4A8 && P != 1)
            return -1;
        return two ? launch_gemv3_p<KIND, 2>(P, w, x, lut, y, st) : launch_gemv3_p<KIND, 1>(P, w, x, lut, y, st);
    }
    case KR_VAR_GEMM2_64: return launch_gemm2<KIND, 64, 64, 32, 32, 3>(w, x, lut, y, st);
    case KR_VAR_GEMM2_128: return launch_gemm2<KIND, 128, 128, 32, 64, 3>(w, x, lut, y, st);
    case KR_VAR_GEMM_64: return launch_gemm<KIND, 64, 64, 32, 32, 4>(w, x, lut, y, st);
    case KR_VAR_GEMM_128: return launch_gemm<KIND, 128, 128, 32, 64, 4>(w, x, lut, y, st);
    default: return -1;
    }
}

} // namespace kr

/* Each kr_k_<kind>.cu defines its entry point with this macro. */
#define KR_DEFINE_KIND(NAME, KIND)                                                                               \
    extern "C" int NAME(KrVariant var, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y,      \
                        void *st)                                                                                \
    {                                                                                                            \
        return kr::launch_kind<KIND>(var, w, x, lut, y, (cudaStream_t)st);                                       \
    }

#endif
