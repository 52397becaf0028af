/* kernels_ref/kr_kernels.cuh — the kernel templates; one kr_k_<kind>.cu instantiates each kind.
 *
 * Families (docs/gpu.md, "Kernels"): GEMV v1 (below), v2, v3, v4 (register ring), v5 (bulk-copy ring),
 * GEMM v1, v2 (decode once per block) and v3 (GEMM v2 with wgmma, sm_90a). The kind is a template
 * parameter of each family; the decode steps (kr_decode.h, dec_w / dec_x) are the only per-kind code.
 *
 * All but GEMM v3 use the tensor cores through mma.sync (sm_80+ instructions; the build is sm_90a):
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
    uint32_t a, b, c; /* c: kr_u4_nbias(z) for the fp16 uint4 decode */
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
__device__ __forceinline__ uint32_t hfma2(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t d;
    asm("fma.rn.f16x2 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
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
    RP p = {0u, 0x3f800000u, 0u};
    if constexpr (Tr<KIND>::U4) {
        uint32_t zb = __ldg(W.zero4 + (size_t)row * W.zero_row_bytes + (gi >> 1));
        uint32_t z = (zb >> ((gi & 1) * 4)) & 15u;
        uint32_t s16 = __ldg(W.scale16 + (size_t)row * W.ngroups + gi);
        if constexpr (KIND == K_W4A8)
            p.a = z * 0x01010101u;
        else {
            p.a = kr_u4_bias(z);
            p.c = kr_u4_nbias(z);
        }
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
    static constexpr int WT = BN * T::WB, XT = BM * T::XB, PT = BN * (int)sizeof(RP), ST = WT + XT + PT;
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

/* ---------------------------------------------------------------- GEMV v4 and v5: shared pieces
 * Both keep GEMV v1's fragment mapping, decoders and per-group dequantization, and differ only in
 * how the weights reach the lanes (docs/gpu.md, "GEMV v4, v5"):
 *  - a warp owns a 16-row strip and part p of P contiguous ranges of groups (split-K); a block of
 *    NWARP = max(4, P) warps holds the P parts of NWARP / P strips and adds the parts in part order
 *    at the end (integers for OliVe; MixPE W4A8 takes P = 1 only: its FMA chain runs over all
 *    groups in one thread);
 *  - the activations are read through L1 one group ahead (__ldg; every warp of the SM reads the
 *    same X, so all but the first read hit L1), the group parameters a few groups ahead;
 *  - a group's eight m16n8k16 steps (four m16n8k32 for int8) form two independent chains of half
 *    the length (words 0-1 and 2-3), added once before the group's dequantization: still inside
 *    the stated bound (2 x 4 steps from C = 0 plus one fp32 addition <= 8 steps of KR_TC_STEP),
 *    exact for the integer kinds;
 *  - OliVe's weight table is replicated once per lane in shared memory (entry e of lane l at word
 *    32e + l), so the 32 lookups of a warp hit 32 different banks whatever the bytes are. */
__device__ __forceinline__ uint4 ldg_stream16(const void *p)
{
    uint4 v;
    asm volatile("ld.global.nc.L1::no_allocate.L2::256B.v4.u32 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
                 : "l"(p));
    return v;
}
__device__ __forceinline__ uint32_t ldg_stream4(const void *p)
{
    uint32_t v;
    asm volatile("ld.global.nc.L1::no_allocate.L2::256B.u32 %0, [%1];\n" : "=r"(v) : "l"(p));
    return v;
}

/* OliVe's tables in shared memory: the weights' table replicated per lane (256 x 32 words), then
 * the activations' (256 words). Filled by the whole block; the caller synchronizes. */
__device__ __forceinline__ void gv_fill_lut(uint32_t *lut, const uint32_t *__restrict__ olut, int nth)
{
    for (int i = threadIdx.x; i < 256 * 8; i += nth) {
        const uint32_t v = __ldg(olut + (i >> 3));
        ((uint4 *)lut)[i] = make_uint4(v, v, v, v);
    }
    for (int i = threadIdx.x; i < 256; i += nth)
        lut[256 * 32 + i] = __ldg(olut + 256 + i);
}

/* One word of one row -> four fp16x2 A registers; OliVe through the per-lane replicated table
 * (lrep = table + lane). */
template <int KIND>
__device__ __forceinline__ void dec_w_rep(uint32_t w, const RP &p, const uint32_t *lrep, uint32_t (&h)[4])
{
    if constexpr (KIND == K_OLIVE) {
#pragma unroll
        for (int i = 0; i < 4; i++)
            h[i] = lrep[kr_byte(w, i) << 5];
    } else
        dec_w<KIND>(w, p, lrep, h);
}

/* This lane's activation pointers: token g + 8 nt, or token M - 1 where that is >= M. A token >= M
 * only feeds the B column (= output column) of that token, which is never stored, so its stand-in
 * values need no zeroing: the loads stay unconditional (no branches in the main loop). */
template <int KIND, int NT>
__device__ __forceinline__ void gv_x_ptrs(const KrActs &X, const uint8_t *(&xp)[NT])
{
    const int g = (threadIdx.x & 31) >> 2, t = threadIdx.x & 3;
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        const int tok = g + 8 * nt < X.m ? g + 8 * nt : X.m - 1;
        xp[nt] = (const uint8_t *)X.codes + (size_t)tok * X.row_bytes + t * (Tr<KIND>::XB / 4);
    }
}
/* The activations of group gi for this lane's NT tokens. */
template <int KIND, int NT>
__device__ __forceinline__ void gv_load_x(uint32_t (&xr)[NT][Tr<KIND>::XW], const uint8_t *const (&xp)[NT], int gi)
{
    using T = Tr<KIND>;
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        const uint4 *px = (const uint4 *)(xp[nt] + (size_t)gi * T::XB);
#pragma unroll
        for (int q = 0; q < T::XB / 64; q++) {
            const uint4 v = __ldg(px + q);
            xr[nt][4 * q] = v.x, xr[nt][4 * q + 1] = v.y, xr[nt][4 * q + 2] = v.z, xr[nt][4 * q + 3] = v.w;
        }
    }
}

/* One group of one warp: the lane's words of rows g (wa) and g + 8 (wb), the rows' parameters and
 * the activations -> the group's sum (two half-length chains) -> the per-group dequantization
 * into out / iout. Groups must come in ascending order per thread. */
template <int KIND, int NT>
__device__ __forceinline__ void gv_group(const uint32_t *wa, const uint32_t *wb, const RP &pa, const RP &pb,
                                         const uint32_t (&xr)[NT][Tr<KIND>::XW], const uint32_t *lrep,
                                         const uint32_t *lutx, float (&out)[NT][4], int (&iout)[NT][4])
{
    using T = Tr<KIND>;
    if constexpr (T::INT8) {
        int I[2][NT][4];
#pragma unroll
        for (int c = 0; c < 2; c++)
#pragma unroll
            for (int nt = 0; nt < NT; nt++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                    I[c][nt][e] = 0;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const uint32_t al = kr_s8_uz(wa[j], 0, pa.a), ah = kr_s8_uz(wa[j], 1, pa.a);
            const uint32_t bl = kr_s8_uz(wb[j], 0, pb.a), bh = kr_s8_uz(wb[j], 1, pb.a);
#pragma unroll
            for (int nt = 0; nt < NT; nt++)
                mma_s8(I[j >> 1][nt], al, bl, ah, bh, kr_xpair_s8(xr[nt][2 * j], xr[nt][2 * j + 1], 0),
                       kr_xpair_s8(xr[nt][2 * j], xr[nt][2 * j + 1], 1));
        }
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) /* |D| < 2^21: the int sum and its conversion are exact */
                out[nt][e] = __fmaf_rn((float)(I[0][nt][e] + I[1][nt][e]), e < 2 ? rp_s(pa) : rp_s(pb), out[nt][e]);
    } else {
        float C[2][NT][4];
#pragma unroll
        for (int c = 0; c < 2; c++)
#pragma unroll
            for (int nt = 0; nt < NT; nt++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                    C[c][nt][e] = 0.0f;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            uint32_t wA, wB;
            if constexpr (T::FP3) {
                wA = kr_fp3_chunk(wa[0], wa[1], wa[2], j);
                wB = kr_fp3_chunk(wb[0], wb[1], wb[2], j);
            } else {
                wA = wa[j];
                wB = wb[j];
            }
            uint32_t hA[4], hB[4];
            dec_w_rep<KIND>(wA, pa, lrep, hA);
            dec_w_rep<KIND>(wB, pb, lrep, hB);
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                uint32_t q[4];
                dec_x<KIND>(&xr[nt][T::OLIVE ? j : 4 * j], lutx, q);
                mma_f16(C[j >> 1][nt], hA[0], hB[0], hA[1], hB[1], q[0], q[1]);
                mma_f16(C[j >> 1][nt], hA[2], hB[2], hA[3], hB[3], q[2], q[3]);
            }
        }
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                const float c = __fadd_rn(C[0][nt][e], C[1][nt][e]); /* OliVe: integers < 2^24, exact */
                if constexpr (T::EPI == EPI_INT)
                    iout[nt][e] += __float2int_rn(c);
                else if constexpr (T::EPI == EPI_ADD)
                    out[nt][e] = __fadd_rn(out[nt][e], c);
                else
                    out[nt][e] = __fmaf_rn(c, e < 2 ? rp_s(pa) : rp_s(pb), out[nt][e]);
            }
    }
}

/* The end of GEMV v4/v5: P = 1 stores the lane's outputs; otherwise the P parts of each strip go
 * through shared memory (red: P x ROWS x TOKS words) and one thread per output adds them in part
 * order. Every thread of the block must call it. */
template <int KIND, int NT, int P, int ROWS, int NTH>
__device__ __forceinline__ void gv_store(const KrWeights &W, const KrActs &X, float *__restrict__ Y,
                                         const float (&out)[NT][4], const int (&iout)[NT][4], float *red, int r,
                                         int p, int rowA, int rowB)
{
    using T = Tr<KIND>;
    constexpr int TOKS = 8 * NT;
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3, N = W.n, M = X.m;
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
        for (int o = threadIdx.x; o < ROWS * TOKS; o += NTH) {
            const int rl = o % ROWS, tk = o / ROWS, row = blockIdx.x * ROWS + rl;
            if (row < N && tk < M) {
                float v = 0.0f;
                int iv = 0;
#pragma unroll
                for (int q = 0; q < P; q++) { /* parts in order */
                    const float d = red[(q * ROWS + rl) * TOKS + tk];
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

/* ---------------------------------------------------------------- GEMV v4
 * The weights go straight from DRAM into registers: lane (g, t) keeps, per row (g and g + 8) and
 * group, its 16 bytes (12 for FP3) in a register ring of U slots (slot u: groups ga + u mod U);
 * the loads of group gi + U are issued as soon as group gi is read (ld.global.nc.L1::no_allocate
 * .L2::256B), so U groups (U KB per warp) are in flight; 16 warps per SM for M <= 8 (the register
 * cap of __launch_bounds__: 128). */
template <int KIND, int NT, int P, int U> struct Gv4Cfg {
    static constexpr int NWARP = P < 4 ? 4 : P, RS = NWARP / P, ROWS = 16 * RS, TOKS = 8 * NT, NTH = 32 * NWARP;
    static constexpr int LUT = Tr<KIND>::OLIVE ? 256 * 32 + 256 : 4; /* replicated W table + X table, words */
    static constexpr int MINB = NT == 1 && 512 >= NTH ? 512 / NTH : 1;
    static_assert((P == 1 || P == 2 || P == 4 || P == 8) && U % 2 == 0, "GEMV v4 shape");
};

template <int KIND, int NT, int P, int U>
__global__ void __launch_bounds__(Gv4Cfg<KIND, NT, P, U>::NTH, Gv4Cfg<KIND, NT, P, U>::MINB)
    gemv4_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gv4Cfg<KIND, NT, P, U>;
    constexpr int WV = T::FP3 ? 3 : 4; /* 32-bit words per row, group and lane */
    __shared__ __align__(16) uint32_t lut[Cf::LUT];
    __shared__ float red[P > 1 ? P * Cf::ROWS * Cf::TOKS : 1];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int r = warp / P, p = warp % P, g = lane >> 2, t = lane & 3;
    const int N = W.n, G = W.ngroups;
    const int rowA = blockIdx.x * Cf::ROWS + 16 * r + g, rowB = rowA + 8;
    const int rA = rowA < N ? rowA : N - 1, rB = rowB < N ? rowB : N - 1;
    const int ga = (G * p) / P, ng = (G * (p + 1)) / P - ga;
    const uint8_t *wpa = W.codes + (size_t)rA * W.row_bytes + t * (T::WB / 4);
    const uint8_t *wpb = W.codes + (size_t)rB * W.row_bytes + t * (T::WB / 4);
    const uint8_t *xp[NT];
    gv_x_ptrs<KIND, NT>(X, xp);

    uint32_t wr[U][2][WV]; /* the register ring: slot u holds group ga + u + U i */
    RawP rawA[U], rawB[U];
    auto issue = [&](uint32_t(&dst)[2][WV], RawP &ra, RawP &rb, int gi) {
        const uint8_t *pa = wpa + (size_t)gi * T::WB, *pb = wpb + (size_t)gi * T::WB;
        if constexpr (T::FP3) {
#pragma unroll
            for (int i = 0; i < 3; i++) {
                dst[0][i] = ldg_stream4(pa + 4 * i);
                dst[1][i] = ldg_stream4(pb + 4 * i);
            }
        } else {
            const uint4 a = ldg_stream16(pa), b = ldg_stream16(pb);
            dst[0][0] = a.x, dst[0][1] = a.y, dst[0][2] = a.z, dst[0][3] = a.w;
            dst[1][0] = b.x, dst[1][1] = b.y, dst[1][2] = b.z, dst[1][3] = b.w;
        }
        ra = load_raw<KIND>(W, rA, gi);
        rb = load_raw<KIND>(W, rB, gi);
    };

#pragma unroll
    for (int u = 0; u < U; u++)
        if (u < ng)
            issue(wr[u], rawA[u], rawB[u], ga + u);
    if constexpr (T::OLIVE) { /* after the first loads are in flight */
        gv_fill_lut(lut, olut, Cf::NTH);
        __syncthreads();
    }
    const uint32_t *lrep = lut + lane, *lutx = T::OLIVE ? lut + 256 * 32 : lut;

    float out[NT][4];
    int iout[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            out[nt][e] = 0.0f;
            iout[nt][e] = 0;
        }
    uint32_t xb[2][NT][T::XW]; /* activations one group ahead: group ga + i in xb[i & 1] */
    if (ng > 0)
        gv_load_x<KIND, NT>(xb[0], xp, ga);
    for (int b = 0; b < ng; b += U) {
#pragma unroll
        for (int u = 0; u < U; u++) {
            if (b + u >= ng)
                break;
            const int gi = ga + b + u;
            if (b + u + 1 < ng)
                gv_load_x<KIND, NT>(xb[(u + 1) & 1], xp, gi + 1);
            const RP pa = make_rp<KIND>(rawA[u], gi), pb = make_rp<KIND>(rawB[u], gi);
            uint32_t wa[WV], wb[WV];
#pragma unroll
            for (int i = 0; i < WV; i++)
                wa[i] = wr[u][0][i], wb[i] = wr[u][1][i];
            if (b + u + U < ng)
                issue(wr[u], rawA[u], rawB[u], gi + U);
            gv_group<KIND, NT>(wa, wb, pa, pb, xb[u & 1], lrep, lutx, out, iout);
        }
    }
    gv_store<KIND, NT, P, Cf::ROWS, Cf::NTH>(W, X, Y, out, iout, red, r, p, rowA, rowB);
}

/* ---------------------------------------------------------------- GEMV v6 (M = 1)
 * GEMV v4 cut down to the instructions a group needs when there is one token:
 *  - the token's activations are decoded and paired once per block into shared memory, in fragment
 *    order: xs[16 gi + 4 j + t] holds the four B registers of word j of lane t's 32 k of group gi.
 *    A warp's read of entry (gi, j) touches 64 consecutive bytes (lanes t; the 8 lanes g
 *    broadcast): conflict-free. The main loop has no activation loads from L1/L2, no pairing PRMT,
 *    no OliVe activation lookups and no activation registers;
 *  - uint4 weights are decoded in registers (dec_w: kr_u4_lop); BitMoD and OliVe weights a pair of
 *    codes at a time through a table in shared memory (kr_decode.h, "pair tables": one shift, one
 *    LOP3 and one conflict-free LDS per pair, against five or six integer instructions of the PRMT
 *    decoders); their activations are then paired KR_PAIR_SEQ, i.e. taken as they are;
 *  - a warp owns S strips of 16 rows: lane (g, t) holds NR = 2S rows, row0 + 8q (q = 2s + h: strip
 *    s, half h), and each xs read feeds all of them; per row and group the lane's 16 bytes (12 for
 *    FP3) sit in a register ring of U slots (slot u = group ga + b + u of batch b, refilled right
 *    after its group is consumed, so U groups of NR rows are in flight per lane);
 *  - every address in the unrolled batch is a per-row base computed once per batch plus an
 *    immediate (32-bit row offsets: the launcher refuses n x row_bytes >= 2^31);
 *  - K is split into P parts of whole groups (part p from group G p / P; uint4 kinds round the
 *    boundaries down to even groups, see ALIGN);
 *  - per group only token 0's outputs (accumulator elements 0 and 2: rows g and g + 8) are finished.
 *    Every B column holds token 0, so every lane's elements are equal; lane t = 0 stores.
 * Numerics are GEMV v4's: 2 chains of 4 k16 steps from C = 0 per group, one fp32 addition, the
 * group's dequantization in ascending group order per part, parts added in order. */
/* ring depths (groups) of the one- and two-strip variants: the most that fit the 128-register cap */
#ifndef KR_GV6_U1
#define KR_GV6_U1 4
#endif
#ifndef KR_GV6_U2
#define KR_GV6_U2 2
#endif
/* The pair table of a kind (none for the uint4 kinds): NB index bits, TYPES tables, R replicas
 * (32 where the table fits 32 KB or the block has 8 warps, else 16), S0 = log2(4 R). */
template <int KIND, int NWARP> struct Gv6Tab {
    static constexpr int NB = KIND == K_FP3 ? 6 : 8;
    static constexpr int TYPES = (KIND == K_FP4 || KIND == K_FP3) ? 2 : KIND == K_OLIVE ? 1 : 0;
    static constexpr int E = TYPES << NB; /* entries */
    static constexpr int R = E * 32 * 4 <= 32768 || NWARP >= 8 ? 32 : 16, S0 = R == 32 ? 7 : 6;
    static constexpr int BYTES = E * R * 4;
};
template <int KIND, int P, int S, int U> struct Gv6Cfg {
    using T = Tr<KIND>;
    static constexpr int NWARP = P < 4 ? 4 : P, RS = NWARP / P, ROWS = 16 * S * RS, NTH = 32 * NWARP;
    static constexpr int MINB = 512 / NTH;                                 /* 16 warps per SM */
    using Tab = Gv6Tab<KIND, NWARP>;
    static constexpr int REDB = P > 1 ? P * ROWS * 4 : 0;                  /* part sums, bytes */
    static int smem(int ngroups) { return Tab::BYTES + REDB + ngroups * 256; } /* + xs: 16 x 16 bytes per group */
    static_assert(!T::INT8 && U % 2 == 0 && (P == 1 || P == 2 || P == 4 || P == 8), "GEMV v6 shape");
};

/* The pair table (entry e of replica r at word R e + r), filled by the whole block: BitMoD's from
 * kr_fp4_pair / kr_fp3_pair (index e mod 2^NB, type e >> NB), OliVe's weight table from olut. */
template <int KIND, int NWARP>
__device__ __forceinline__ void gv6_fill_tab(uint32_t *tab, const uint32_t *__restrict__ olut, int nth)
{
    using Tb = Gv6Tab<KIND, NWARP>;
    constexpr int Q = Tb::R / 4; /* uint4 stores per entry */
    for (int i = threadIdx.x; i < Tb::E * Q; i += nth) {
        const uint32_t e = (uint32_t)i / Q;
        uint32_t v;
        if constexpr (KIND == K_OLIVE)
            v = __ldg(olut + e);
        else if constexpr (KIND == K_FP4)
            v = kr_fp4_pair(e & 255u, (int)(e >> 8));
        else
            v = kr_fp3_pair(e & 63u, (int)(e >> 6));
        ((uint4 *)tab)[i] = make_uint4(v, v, v, v);
    }
}

/* The token's activations -> xs (layout above). Every thread of the block calls it. */
template <int KIND>
__device__ __forceinline__ void gv6_fill_x(uint4 *xs, const KrActs &X, const uint32_t *__restrict__ olut, int G,
                                           int nth)
{
    using T = Tr<KIND>;
#pragma unroll 4
    for (int i = threadIdx.x; i < 16 * G; i += nth) {
        const int gi = i >> 4, j = (i >> 2) & 3, t = i & 3;
        const uint8_t *src = (const uint8_t *)X.codes + (size_t)gi * T::XB + t * (T::XB / 4) + j * (T::XB / 16);
        uint32_t r[4] = {0u, 0u, 0u, 0u}, q[4];
        if constexpr (T::OLIVE)
            r[0] = __ldg((const uint32_t *)src);
        else {
            const uint4 v = __ldg((const uint4 *)src);
            r[0] = v.x, r[1] = v.y, r[2] = v.z, r[3] = v.w;
        }
        if constexpr (KIND == K_FP4 || KIND == K_FP3) /* KR_PAIR_SEQ: word i = (x 2i, x 2i+1) */
            xs[i] = make_uint4(r[0], r[1], r[2], r[3]);
        else {
            dec_x<KIND>(r, olut + 256, q);
            xs[i] = make_uint4(q[0], q[1], q[2], q[3]);
        }
    }
}

/* Word (4-bit kinds) or chunk (FP3) j of one row -> four fp16x2 A registers. w: the row's lane
 * words; tb: its table base (type and lane fields of kr_tab_addr). */
template <int KIND, int NWARP>
__device__ __forceinline__ void gv6_dec(const uint32_t (&w)[Tr<KIND>::FP3 ? 3 : 4], int j, const RP &p, uint32_t tb,
                                        const uint32_t *tab, uint32_t (&h)[4])
{
    using Tb = Gv6Tab<KIND, NWARP>;
    if constexpr (Tb::TYPES == 0)
        dec_w<KIND>(w[j], p, tab, h);
    else {
#pragma unroll
        for (int i = 0; i < 4; i++) /* pair 4j + i of the lane's stream */
            h[i] = *(const uint32_t *)((const uint8_t *)tab + kr_tab_pair_addr(w, Tb::NB, 4 * j + i, Tb::S0, tb));
    }
}

/* One group of one warp: the lane's words of its NR rows, their parameters and table bases, the
 * group's xs entries (xq = xs + 16 gi + t) -> token 0's sums of the NR rows -> the per-group
 * dequantization. */
template <int KIND, int NWARP, int S>
__device__ __forceinline__ void gv6_group(const uint32_t (&w)[2 * S][Tr<KIND>::FP3 ? 3 : 4], const RP (&pr)[2 * S],
                                          const uint32_t (&tb)[2 * S], const uint4 *xq, const uint32_t *tab,
                                          float (&out)[2 * S], int (&iout)[2 * S])
{
    using T = Tr<KIND>;
    float C[2][S][4];
#pragma unroll
    for (int j = 0; j < 4; j++) {
        const uint4 xv = xq[4 * j];
#pragma unroll
        for (int s = 0; s < S; s++) {
            uint32_t hA[4], hB[4];
            gv6_dec<KIND, NWARP>(w[2 * s], j, pr[2 * s], tb[2 * s], tab, hA);
            gv6_dec<KIND, NWARP>(w[2 * s + 1], j, pr[2 * s + 1], tb[2 * s + 1], tab, hB);
            if (j & 1) /* chain j >> 1 goes on */
                mma_f16(C[j >> 1][s], hA[0], hB[0], hA[1], hB[1], xv.x, xv.y);
            else /* chain j >> 1 starts from C = 0 */
                mma_f16_z(C[j >> 1][s], hA[0], hB[0], hA[1], hB[1], xv.x, xv.y);
            mma_f16(C[j >> 1][s], hA[2], hB[2], hA[3], hB[3], xv.z, xv.w);
        }
    }
#pragma unroll
    for (int q = 0; q < 2 * S; q++) {
        const int s = q >> 1, e = 2 * (q & 1);
        const float c = __fadd_rn(C[0][s][e], C[1][s][e]); /* OliVe: integers < 2^24, exact */
        if constexpr (T::EPI == EPI_INT)
            iout[q] += __float2int_rn(c);
        else if constexpr (T::EPI == EPI_ADD)
            out[q] = __fadd_rn(out[q], c);
        else
            out[q] = __fmaf_rn(c, rp_s(pr[q]), out[q]);
    }
}

template <int KIND, int P, int S, int U>
__global__ void __launch_bounds__(Gv6Cfg<KIND, P, S, U>::NTH, Gv6Cfg<KIND, P, S, U>::MINB)
    gemv6_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gv6Cfg<KIND, P, S, U>;
    using Tb = typename Cf::Tab;
    constexpr int WV = T::FP3 ? 3 : 4, NR = 2 * S;
    extern __shared__ __align__(16) uint8_t gv6_smem[];
    uint32_t *tab = (uint32_t *)gv6_smem;                              /* the pair table */
    float *red = (float *)(gv6_smem + Tb::BYTES);                      /* P x ROWS part sums */
    uint4 *xs = (uint4 *)(gv6_smem + Tb::BYTES + Cf::REDB);           /* 16 entries per group */

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int r = warp / P, p = warp % P, g = lane >> 2, t = lane & 3;
    const int N = W.n, G = W.ngroups;
    const int rl0 = 16 * S * r + g, row0 = blockIdx.x * Cf::ROWS + rl0;
    /* uint4 kinds: parts start at even groups, so slot u's zero nibble is nibble (u & 1) of its byte,
     * known at compile time (balanced parts with a runtime nibble: MixPE 6% slower on 4096 x 11008,
     * 12.28 against 11.55 us at P = 8); the table kinds need no parity: parts differ by <= 1 group */
    constexpr int ALIGN = T::U4 ? 2 : 1;
    const int ga = (G * p) / P / ALIGN * ALIGN, ng = (p == P - 1 ? G : (G * (p + 1)) / P / ALIGN * ALIGN) - ga;
    uint32_t wofs[NR], pofs[NR], zofs[NR]; /* at group ga: the lane's code bytes, parameter index; zero row */
#pragma unroll
    for (int q = 0; q < NR; q++) {
        const uint32_t row = row0 + 8 * q < N ? row0 + 8 * q : N - 1;
        wofs[q] = row * (uint32_t)W.row_bytes + t * (T::WB / 4) + ga * T::WB;
        pofs[q] = row * G + ga;
        zofs[q] = row * (uint32_t)W.zero_row_bytes;
    }

    uint32_t wr[U][NR][WV]; /* the register ring */
    RawP raw[U][NR];
    /* slot u <- group ga + bb + u (bb: a multiple of U, so even) */
    auto issue = [&](int u, int bb) {
#pragma unroll
        for (int q = 0; q < NR; q++) {
            const uint8_t *pw = W.codes + (wofs[q] + (uint32_t)bb * T::WB) + u * T::WB;
            if constexpr (T::FP3) {
#pragma unroll
                for (int i = 0; i < 3; i++)
                    wr[u][q][i] = ldg_stream4(pw + 4 * i);
            } else {
                const uint4 v = ldg_stream16(pw);
                wr[u][q][0] = v.x, wr[u][q][1] = v.y, wr[u][q][2] = v.z, wr[u][q][3] = v.w;
            }
            if constexpr (T::U4) {
                raw[u][q].z = __ldg(W.zero4 + (zofs[q] + (uint32_t)bb / 2) + (uint32_t)((ga + u) >> 1));
                raw[u][q].s16 = __ldg(W.scale16 + (pofs[q] + (uint32_t)bb) + u);
            } else if constexpr (KIND == K_FP4 || KIND == K_FP3) {
                raw[u][q].s16 = __ldg(W.scale16 + (pofs[q] + (uint32_t)bb) + u);
                raw[u][q].meta = __ldg(W.meta + (pofs[q] + (uint32_t)bb) + u);
            }
        }
    };
#pragma unroll
    for (int u = 0; u < U; u++)
        if (u < ng)
            issue(u, 0);
    /* with the first loads in flight: the table and the activations */
    if constexpr (Tb::TYPES > 0)
        gv6_fill_tab<KIND, Cf::NWARP>(tab, olut, Cf::NTH);
    gv6_fill_x<KIND>(xs, X, olut, G, Cf::NTH);
    __syncthreads();
    const uint4 *xq = xs + 16 * ga + t;
    const uint32_t lanebase = (uint32_t)(lane & (Tb::R - 1)) << 2;

    float out[NR];
    int iout[NR];
#pragma unroll
    for (int q = 0; q < NR; q++)
        out[q] = 0.0f, iout[q] = 0;
    for (int b = 0; b < ng; b += U) {
#pragma unroll
        for (int u = 0; u < U; u++) {
            if (b + u >= ng)
                break;
            RP pr[NR];
            uint32_t tb[NR];
#pragma unroll
            for (int q = 0; q < NR; q++) {
                pr[q] = make_rp<KIND>(raw[u][q], ALIGN == 2 ? u : ga + u); /* the group's parity */
                tb[q] = Tb::TYPES == 2 ? lanebase | (raw[u][q].meta & 1u) << (Tb::NB + Tb::S0) : lanebase;
            }
            gv6_group<KIND, Cf::NWARP, S>(wr[u], pr, tb, xq + 16 * (b + u), tab, out, iout);
            if (b + u + U < ng)
                issue(u, b + U);
        }
    }

    auto finish = [&](float v, int iv, int row) -> float {
        if constexpr (T::EPI == EPI_INT)
            return __fmul_rn(__fmul_rn((float)iv, W.scale32[row]), X.scale32[0]);
        else
            return v;
    };
    if constexpr (P == 1) {
        if (t == 0)
#pragma unroll
            for (int q = 0; q < NR; q++)
                if (row0 + 8 * q < N)
                    Y[row0 + 8 * q] = finish(out[q], iout[q], row0 + 8 * q);
    } else {
        if (t == 0)
#pragma unroll
            for (int q = 0; q < NR; q++)
                red[p * Cf::ROWS + rl0 + 8 * q] = T::EPI == EPI_INT ? __int_as_float(iout[q]) : out[q];
        __syncthreads();
        for (int o = threadIdx.x; o < Cf::ROWS; o += Cf::NTH) {
            const int row = blockIdx.x * Cf::ROWS + o;
            if (row < N) {
                float v = 0.0f;
                int iv = 0;
#pragma unroll
                for (int q = 0; q < P; q++) { /* parts in order */
                    const float d = red[q * Cf::ROWS + o];
                    if constexpr (T::EPI == EPI_INT)
                        iv += __float_as_int(d);
                    else
                        v = q == 0 ? d : __fadd_rn(v, d);
                }
                Y[row] = finish(v, iv, row);
            }
        }
    }
}

/* ---------------------------------------------------------------- GEMV v5
 * The weights go from DRAM to a per-warp ring in shared memory through the bulk-copy engine
 * (cp.async.bulk, completion on an mbarrier per slot), so the bytes in flight cost no registers:
 *  - a batch is B consecutive groups of the warp's 16 rows; lanes 0..15 each copy one row's run
 *    of B x 64 bytes (B x 48 for FP3) into slot s = batch mod S at row stride RSTR bytes;
 *    RSTR = 64 (FP3: 48) mod 128, which makes the fragment reads (lane (g, t): 16 bytes of row g
 *    at 64u + 16t, or three words at 48u + 12t) free of bank conflicts;
 *  - slot s's mbarrier (arrival count 1: lane 0's arrive.expect_tx of the batch's bytes, issued
 *    before the copies) completes phase k when the k-th batch of that slot has landed; the warp
 *    waits on parity k & 1, reads the batch, and after __syncwarp refills the slot with batch
 *    + S, so S batches (S x B KB per warp) are in flight;
 *  - the group parameters of a batch are loaded before its wait; the rest is GEMV v4's.
 * Shared memory per block: the mbarriers, NWARP rings of S x 16 x RSTR bytes, OliVe's tables, the
 * part reduction. */
template <int KIND, int NT, int P, int B, int S> struct Gv5Cfg {
    using T = Tr<KIND>;
    static constexpr int NWARP = P < 4 ? 4 : P, RS = NWARP / P, ROWS = 16 * RS, TOKS = 8 * NT, NTH = 32 * NWARP;
    static constexpr int RUN = B * T::WB;                                   /* bytes of one row per batch */
    static constexpr int RSTR = RUN + ((T::FP3 ? 48 : 64) - RUN % 128 + 128) % 128;
    static constexpr int SLOT = 16 * RSTR, RING = S * SLOT;                 /* bytes per slot, per warp   */
    static constexpr int BARB = (NWARP * S * 8 + 127) / 128 * 128;          /* mbarriers, padded          */
    static constexpr int LUTB = T::OLIVE ? (256 * 32 + 256) * 4 : 0;
    static constexpr int SMEM = BARB + NWARP * RING + LUTB + (P > 1 ? P * ROWS * TOKS * 4 : 0);
    /* blocks per SM the register cap aims at (M <= 8): as many as shared memory holds, <= 16 warps */
    static constexpr int MINB_S = 227 * 1024 / SMEM, MINB_W = 512 / NTH > 0 ? 512 / NTH : 1;
    static constexpr int MINB = NT > 1 || MINB_S < 1 ? 1 : MINB_S < MINB_W ? MINB_S : MINB_W;
    static_assert((P == 1 || P == 2 || P == 4 || P == 8) && B % 2 == 0, "GEMV v5 shape");
    static_assert(RUN % 16 == 0 && RSTR % 16 == 0, "bulk copies move multiples of 16 bytes to 16-byte aligned addresses");
};

__device__ __forceinline__ uint32_t smem_u32(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_fence_init() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes)
{
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity)
{
    asm volatile("{\n"
                 ".reg .pred P1;\n"
                 "LAB_WAIT:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 P1, [%0], %1;\n"
                 "@P1 bra DONE;\n"
                 "bra LAB_WAIT;\n"
                 "DONE:\n"
                 "}\n" ::"r"(bar),
                 "r"(parity)
                 : "memory");
}
__device__ __forceinline__ void bulk_g2s(uint32_t dst, const void *src, uint32_t bytes, uint32_t bar)
{
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(dst),
                 "l"(src), "r"(bytes), "r"(bar)
                 : "memory");
}
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

template <int KIND, int NT, int P, int B, int S>
__global__ void __launch_bounds__(Gv5Cfg<KIND, NT, P, B, S>::NTH, Gv5Cfg<KIND, NT, P, B, S>::MINB)
    gemv5_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gv5Cfg<KIND, NT, P, B, S>;
    constexpr int RSTR = Cf::RSTR, SLOT = Cf::SLOT, WB = T::WB;
    extern __shared__ __align__(16) uint8_t smem[];
    uint8_t *rings = smem + Cf::BARB;
    uint32_t *lut = (uint32_t *)(rings + Cf::NWARP * Cf::RING);
    float *red = (float *)((uint8_t *)lut + Cf::LUTB);

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int r = warp / P, p = warp % P, g = lane >> 2, t = lane & 3;
    const int N = W.n, G = W.ngroups;
    const int row0 = blockIdx.x * Cf::ROWS + 16 * r, rowA = row0 + g, rowB = rowA + 8;
    const int rA = rowA < N ? rowA : N - 1, rB = rowB < N ? rowB : N - 1;
    const int ga = (G * p) / P, ng = (G * (p + 1)) / P - ga, nb = (ng + B - 1) / B;
    const uint8_t *ring = rings + warp * Cf::RING;
    const uint32_t bar0 = smem_u32(smem) + 8 * warp * S, ring0 = smem_u32(ring);
    const int prow = row0 + (lane & 15) < N ? row0 + (lane & 15) : N - 1; /* the row lane l < 16 copies */
    const uint8_t *wrow = W.codes + (size_t)prow * W.row_bytes;
    const uint8_t *xp[NT];
    gv_x_ptrs<KIND, NT>(X, xp);

    if (lane == 0) {
        for (int s = 0; s < S; s++)
            mbar_init(bar0 + 8 * s, 1);
        mbar_fence_init();
    }
    __syncwarp();
    auto fill = [&](int bi) { /* batch bi of this warp's part -> slot bi % S */
        const int s = bi % S, nbg = ng - bi * B < B ? ng - bi * B : B;
        const uint32_t bar = bar0 + 8 * s;
        if (lane == 0)
            mbar_arrive_expect_tx(bar, 16u * nbg * WB);
        __syncwarp();
        if (lane < 16)
            bulk_g2s(ring0 + s * SLOT + lane * RSTR, wrow + (size_t)(ga + bi * B) * WB, nbg * WB, bar);
    };
    for (int bi = 0; bi < S && bi < nb; bi++)
        fill(bi);
    if constexpr (T::OLIVE) { /* after the first copies are in flight */
        gv_fill_lut(lut, olut, Cf::NTH);
        __syncthreads();
    }
    const uint32_t *lrep = lut + lane, *lutx = T::OLIVE ? lut + 256 * 32 : lut;

    float out[NT][4];
    int iout[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            out[nt][e] = 0.0f;
            iout[nt][e] = 0;
        }
    uint32_t xb[2][NT][T::XW]; /* activations one group ahead: group ga + i in xb[i & 1] */
    if (ng > 0)
        gv_load_x<KIND, NT>(xb[0], xp, ga);
    for (int bi = 0; bi < nb; bi++) {
        const int s = bi % S, g0 = ga + bi * B;
        RawP ra[B], rb[B]; /* parameters first: their latency overlaps the wait */
#pragma unroll
        for (int u = 0; u < B; u++)
            if (bi * B + u < ng) {
                ra[u] = load_raw<KIND>(W, rA, g0 + u);
                rb[u] = load_raw<KIND>(W, rB, g0 + u);
            }
        mbar_wait(bar0 + 8 * s, (uint32_t)(bi / S) & 1u);
        const uint8_t *sa = ring + s * SLOT + g * RSTR, *sb = sa + 8 * RSTR;
#pragma unroll
        for (int u = 0; u < B; u++) {
            if (bi * B + u >= ng)
                break;
            const int gi = g0 + u;
            uint32_t wa[4], wb[4];
            if constexpr (T::FP3) {
#pragma unroll
                for (int i = 0; i < 3; i++) {
                    wa[i] = *(const uint32_t *)(sa + u * WB + 12 * t + 4 * i);
                    wb[i] = *(const uint32_t *)(sb + u * WB + 12 * t + 4 * i);
                }
                wa[3] = wb[3] = 0;
            } else {
                const uint4 va = *(const uint4 *)(sa + u * WB + 16 * t), vb = *(const uint4 *)(sb + u * WB + 16 * t);
                wa[0] = va.x, wa[1] = va.y, wa[2] = va.z, wa[3] = va.w;
                wb[0] = vb.x, wb[1] = vb.y, wb[2] = vb.z, wb[3] = vb.w;
            }
            if (bi * B + u + 1 < ng)
                gv_load_x<KIND, NT>(xb[(u + 1) & 1], xp, gi + 1);
            gv_group<KIND, NT>(wa, wb, make_rp<KIND>(ra[u], gi), make_rp<KIND>(rb[u], gi), xb[u & 1], lrep, lutx, out,
                               iout);
        }
        __syncwarp(); /* every lane has read slot s */
        if (bi + S < nb) {
            fence_proxy_async(); /* our generic reads of the slot before the bulk copy's writes */
            fill(bi + S);
        }
    }
    gv_store<KIND, NT, P, Cf::ROWS, Cf::NTH>(W, X, Y, out, iout, red, r, p, rowA, rowB);
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
    static constexpr int WT = BN * T::WB, XT = BM * T::XB, PT = BN * (int)sizeof(RP), ST = WT + XT + PT;
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

/* ---------------------------------------------------------------- GEMM v3 (wgmma, sm_90a)
 * GEMM v2's decode-once-per-block, with the tensor-core work issued as asynchronous warpgroup MMAs
 * (wgmma) so that the decode of group gi + 1 runs on the CUDA cores while the tensor cores work
 * on group gi (docs/gpu.md, "GEMM v3"):
 *  - block: 128 weight rows x 128 tokens, two warpgroups (256 threads); warpgroup w owns rows
 *    64w..64w+63 and all 128 tokens: one m64n128k16 (f16 -> f32) or m64n128k32 (s8 -> s32) per
 *    k step, A = the decoded weights, B = the activations, both K-major in shared memory;
 *  - shared-memory operand layout (the wgmma 128-byte swizzle): a tile of R rows is stored as
 *    k-halves of 64 fp16 (128 int8); 16-byte chunk c of row r at half (c >> 3), byte
 *    r * 128 + (((c & 7) ^ (r & 7)) << 4) of the half, each half R x 128 bytes, 1024-aligned
 *    (kr_swz128 below). Descriptor: start >> 4, stride between 8-row atoms 1024 bytes, swizzle
 *    mode 1; k step s of a half starts 32 s bytes further;
 *  - per group gi: one barrier (raw stage gi + 1 landed, decoded tile gi complete, group gi - 1's
 *    MMAs retired), cp.async of raw stage gi + STAGES - 1, wgmma x 8 (x 4) on tile gi & 1 from a
 *    zero accumulator, decode of group gi + 1 into tile (gi + 1) & 1 (weights; OliVe's activations
 *    too) followed by fence.proxy.async, wgmma.wait_group 0, then the group's dequantization into
 *    the second set of accumulators, groups ascending (the numerics of GEMM v2);
 *  - accumulator fragment of m64nN: thread (warp w of the warpgroup, lane g = lane / 4, t = lane %
 *    4) holds d[4j + e] = D[16w + g + 8 (e >> 1)][8j + 2t + (e & 1)]. */
__device__ __forceinline__ int kr_swz128(int rows, int r, int c)
{
    return (c >> 3) * rows * 128 + r * 128 + (((c & 7) ^ (r & 7)) << 4);
}
__device__ __forceinline__ uint64_t wg_desc(uint32_t saddr)
{
    return (uint64_t)((saddr >> 4) & 0x3fffu) | ((uint64_t)1 << 16) | ((uint64_t)(1024 >> 4) << 32) | ((uint64_t)1 << 62);
}
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
__device__ __forceinline__ void wg_fence_operand(float (&d)[64])
{
#pragma unroll
    for (int i = 0; i < 64; i++)
        asm volatile("" : "+f"(d[i])::"memory");
}
__device__ __forceinline__ void wg_fence_operand(int (&d)[64])
{
#pragma unroll
    for (int i = 0; i < 64; i++)
        asm volatile("" : "+r"(d[i])::"memory");
}
/* D (+)= A B, m64n128k16, f16 inputs, f32 accumulators; scale_d = 0: D = A B */
__device__ __forceinline__ void wgmma_f16(float (&d)[64], uint64_t da, uint64_t db, int scale_d)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
                 : "l"(da), "l"(db), "r"(scale_d));
}
/* D (+)= A B, m64n128k32, s8 inputs, s32 accumulators */
__device__ __forceinline__ void wgmma_s8(int (&d)[64], uint64_t da, uint64_t db, int scale_d)
{
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p;\n}\n"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]), "+r"(d[7]), "+r"(d[8]), "+r"(d[9]), "+r"(d[10]), "+r"(d[11]), "+r"(d[12]), "+r"(d[13]), "+r"(d[14]), "+r"(d[15]), "+r"(d[16]), "+r"(d[17]), "+r"(d[18]), "+r"(d[19]), "+r"(d[20]), "+r"(d[21]), "+r"(d[22]), "+r"(d[23]), "+r"(d[24]), "+r"(d[25]), "+r"(d[26]), "+r"(d[27]), "+r"(d[28]), "+r"(d[29]), "+r"(d[30]), "+r"(d[31]), "+r"(d[32]), "+r"(d[33]), "+r"(d[34]), "+r"(d[35]), "+r"(d[36]), "+r"(d[37]), "+r"(d[38]), "+r"(d[39]), "+r"(d[40]), "+r"(d[41]), "+r"(d[42]), "+r"(d[43]), "+r"(d[44]), "+r"(d[45]), "+r"(d[46]), "+r"(d[47]), "+r"(d[48]), "+r"(d[49]), "+r"(d[50]), "+r"(d[51]), "+r"(d[52]), "+r"(d[53]), "+r"(d[54]), "+r"(d[55]), "+r"(d[56]), "+r"(d[57]), "+r"(d[58]), "+r"(d[59]), "+r"(d[60]), "+r"(d[61]), "+r"(d[62]), "+r"(d[63])
                 : "l"(da), "l"(db), "r"(scale_d));
}

template <int KIND, int STAGES> struct Gm3Cfg {
    using T = Tr<KIND>;
    static constexpr int BN = 128, BM = 128, NTH = 256;
    static constexpr int KB = T::INT8 ? 128 : 256;                                 /* decoded bytes per row and group */
    static constexpr int XS = T::OLIVE ? BM * 64 : BM * (T::INT8 ? 128 : 256);    /* raw activations per stage      */
    static constexpr int WS = BN * T::WB, PS = BN * (int)sizeof(RP);
    static constexpr int ST = (XS + WS + PS + 1023) / 1024 * 1024;                 /* stage: X, W, parameters        */
    static constexpr int WD = BN * KB, XD = T::OLIVE ? BM * 256 : 0;               /* decoded tiles, one buffer      */
    static constexpr int SMEM = 1024 + STAGES * ST + 2 * WD + 2 * XD + 2 * BN * 4 + (T::OLIVE ? 2048 : 0);
    static constexpr int KSTEPS = T::INT8 ? 4 : 8;
    static_assert(STAGES >= 3 && SMEM <= 227 * 1024, "GEMM v3 shared memory");
};

template <int KIND, int STAGES>
__global__ void __launch_bounds__(256, 1)
    gemm3_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gm3Cfg<KIND, STAGES>;
    constexpr int BN = Cf::BN, BM = Cf::BM, NTH = Cf::NTH, ST = Cf::ST;
    constexpr int PAIR = KIND == K_FP4 ? KR_PAIR_FP4 : KIND == K_OLIVE ? KR_PAIR_SEQ : KR_PAIR_U4;
    extern __shared__ __align__(16) uint8_t smem_raw[];
    uint8_t *smem = smem_raw + ((1024u - (smem_u32(smem_raw) & 1023u)) & 1023u); /* 1024-aligned operand tiles */
    uint8_t *wd = smem + STAGES * ST, *xd = wd + 2 * Cf::WD;
    float *scl = (float *)(xd + 2 * Cf::XD);
    uint32_t *lut = (uint32_t *)(scl + 2 * BN);

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wg = warp >> 2, w4 = warp & 3;
    const int g = lane >> 2, t = lane & 3;
    const int N = W.n, M = X.m, G = W.ngroups;
    const int n0 = blockIdx.x * BN, m0 = blockIdx.y * BM;
    const int prow = n0 + tid < N ? n0 + tid : N - 1; /* this thread's parameter row (tid < BN) */

    if constexpr (T::OLIVE) { /* ordered before any use by the prologue's barrier */
        for (int i = tid; i < 512; i += NTH)
            lut[i] = olut[i];
    }
    const uint32_t *lutw = lut, *lutx = lut + 256;

    auto load_stage = [&](int st, int gi) {
        uint8_t *xs = smem + st * ST, *ws = xs + Cf::XS;
        constexpr int WCH = T::WB / 16;
#pragma unroll
        for (int it = 0; it < (BN * WCH + NTH - 1) / NTH; it++) {
            const int i = tid + it * NTH;
            if (BN * WCH % NTH == 0 || i < BN * WCH) {
                const int rr = i / WCH, c = i % WCH, row = n0 + rr;
                const uint8_t *src = W.codes + (size_t)(row < N ? row : N - 1) * W.row_bytes + (size_t)gi * T::WB + c * 16;
                cp_async16(ws + rr * T::WB + (T::FP3 ? c : kr_swz_w(rr, c)) * 16, src, row < N);
            }
        }
        constexpr int XCH = T::XB / 16;
#pragma unroll
        for (int it = 0; it < BM * XCH / NTH; it++) {
            const int i = tid + it * NTH, tk = i / XCH, c = i % XCH, tok = m0 + tk;
            const uint8_t *src = (const uint8_t *)X.codes + (size_t)(tok < M ? tok : M - 1) * X.row_bytes +
                                 (size_t)gi * T::XB + c * 16;
            cp_async16(xs + (T::OLIVE ? tk * 64 + kr_swz_w(tk, c) * 16 : kr_swz128(BM, tk, c)), src, tok < M);
        }
    };
    auto store_params = [&](int st, const RawP &r, int gi) {
        if (tid < BN)
            ((RP *)(smem + st * ST + Cf::XS + Cf::WS))[tid] = make_rp<KIND>(r, gi);
    };
    /* group gi's raw stage -> decoded tile buf (weights; OliVe's activations), its scales -> scl[buf] */
    auto decode = [&](int gi, int buf) {
        const uint8_t *xs = smem + (gi % STAGES) * ST, *ws = xs + Cf::XS;
        const RP *ps = (const RP *)(ws + Cf::WS);
        const int rr = tid % BN, h = tid / BN; /* row, half of the group */
        const RP rp = ps[rr];
        if (h == 0)
            scl[buf * BN + rr] = rp_s(rp);
        uint8_t *dt = wd + buf * Cf::WD;
        if constexpr (T::FP3) {
            uint32_t w6[6];
            const uint2 *src = (const uint2 *)(ws + rr * 48 + 24 * h);
#pragma unroll
            for (int q = 0; q < 3; q++) {
                const uint2 v = src[q];
                w6[2 * q] = v.x, w6[2 * q + 1] = v.y;
            }
#pragma unroll
            for (int jj = 0; jj < 8; jj++) {
                uint32_t hh[4], nat[4];
                dec_w<KIND>(kr_fp3_chunk_at(w6, jj), rp, lutw, hh);
                kr_nat_pairs(PAIR, hh, nat);
                *(uint4 *)(dt + kr_swz128(BN, rr, 8 * h + jj)) = make_uint4(nat[0], nat[1], nat[2], nat[3]);
            }
        } else {
            uint32_t w8[8];
#pragma unroll
            for (int c = 0; c < 2; c++) {
                const uint4 v = *(const uint4 *)(ws + rr * 64 + kr_swz_w(rr, 2 * h + c) * 16);
                w8[4 * c] = v.x, w8[4 * c + 1] = v.y, w8[4 * c + 2] = v.z, w8[4 * c + 3] = v.w;
            }
#pragma unroll
            for (int q = 0; q < 8; q++) {
                if constexpr (T::INT8) {
                    const uint32_t lo = kr_s8_uz(w8[q], 0, rp.a), hi = kr_s8_uz(w8[q], 1, rp.a);
                    *(uint2 *)(dt + kr_swz128(BN, rr, 4 * h + q / 2) + (q & 1) * 8) =
                        make_uint2(kr_nat_s8(lo, hi, 0), kr_nat_s8(lo, hi, 1));
                } else {
                    uint32_t hh[4], nat[4];
                    dec_w<KIND>(w8[q], rp, lutw, hh);
                    kr_nat_pairs(PAIR, hh, nat);
                    *(uint4 *)(dt + kr_swz128(BN, rr, 8 * h + q)) = make_uint4(nat[0], nat[1], nat[2], nat[3]);
                }
            }
        }
        if constexpr (T::OLIVE) { /* activations: thread -> (token, half) */
            const int tk = tid % BM;
            uint8_t *xt = xd + buf * Cf::XD;
#pragma unroll
            for (int c = 0; c < 2; c++) {
                const uint4 v = *(const uint4 *)(xs + tk * 64 + kr_swz_w(tk, 2 * h + c) * 16);
                const uint32_t w4x[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
                for (int q = 0; q < 4; q++) {
                    uint32_t hh[4];
                    dec_x<KIND>(&w4x[q], lutx, hh);
                    *(uint4 *)(xt + kr_swz128(BM, tk, 8 * h + 4 * c + q)) = make_uint4(hh[0], hh[1], hh[2], hh[3]);
                }
            }
        }
        fence_proxy_async(); /* these generic stores are read next by the tensor cores (async proxy) */
    };

    float acc[64], out[64];
    int iacc[64], iout[64];
#pragma unroll
    for (int i = 0; i < 64; i++) {
        acc[i] = out[i] = 0.0f;
        iacc[i] = iout[i] = 0;
    }

#pragma unroll
    for (int st = 0; st < STAGES - 1; st++) {
        if (st < G) {
            load_stage(st, st);
            if (tid < BN)
                store_params(st, load_raw<KIND>(W, prow, st), st);
        }
        cp_async_commit();
    }
    cp_async_wait<STAGES - 2>(); /* group 0 */
    __syncthreads();
    decode(0, 0);

    for (int gi = 0; gi < G; gi++) {
        /* groups 0 .. gi + STAGES - 2 committed; gi + 1 must have landed */
        cp_async_wait<STAGES - 3>();
        fence_proxy_async(); /* this thread's cp.async data is read by the tensor cores */
        __syncthreads();     /* tile gi decoded, stage gi + 1 landed, group gi - 1's MMAs retired */
        const int nx = gi + STAGES - 1;
        RawP raw = {0u, 0u, 0u};
        if (nx < G) {
            load_stage(nx % STAGES, nx);
            if (tid < BN)
                raw = load_raw<KIND>(W, prow, nx);
        }
        cp_async_commit();

        const uint32_t wsrc = smem_u32(wd + (gi & 1) * Cf::WD) + wg * 64 * 128;
        const uint32_t xsrc = T::OLIVE ? smem_u32(xd + (gi & 1) * Cf::XD) : smem_u32(smem + (gi % STAGES) * ST);
        if constexpr (T::INT8)
            wg_fence_operand(iacc);
        else
            wg_fence_operand(acc);
        wg_fence();
#pragma unroll
        for (int ks = 0; ks < Cf::KSTEPS; ks++) {
            const int half = T::INT8 ? 0 : ks >> 2, kk = T::INT8 ? ks : ks & 3;
            const uint64_t da = wg_desc(wsrc + half * BN * 128 + kk * 32), db = wg_desc(xsrc + half * BM * 128 + kk * 32);
            if constexpr (T::INT8)
                wgmma_s8(iacc, da, db, ks > 0);
            else
                wgmma_f16(acc, da, db, ks > 0);
        }
        wg_commit();
        if (gi + 1 < G)
            decode(gi + 1, (gi + 1) & 1); /* on the CUDA cores while the tensor cores work */
        wg_wait0();
        if constexpr (T::INT8)
            wg_fence_operand(iacc);
        else
            wg_fence_operand(acc);
        /* the group's dequantization, groups in ascending order */
        const int ra = wg * 64 + 16 * w4 + g;
        const float sa = scl[(gi & 1) * BN + ra], sb = scl[(gi & 1) * BN + ra + 8];
#pragma unroll
        for (int i = 0; i < 64; i++) {
            const float sc = (i & 2) ? sb : sa;
            if constexpr (T::EPI == EPI_ADD)
                out[i] = __fadd_rn(out[i], acc[i]);
            else if constexpr (T::EPI == EPI_FMA)
                out[i] = __fmaf_rn(acc[i], sc, out[i]);
            else if constexpr (T::EPI == EPI_S32FMA)
                out[i] = __fmaf_rn((float)iacc[i], sc, out[i]); /* |D| < 2^21: exact */
            else
                iout[i] += __float2int_rn(acc[i]); /* an integer below 2^24 */
        }
        if (nx < G)
            store_params(nx % STAGES, raw, nx);
    }
    cp_async_wait<0>();

#pragma unroll
    for (int i = 0; i < 64; i++) {
        const int row = n0 + wg * 64 + 16 * w4 + g + 8 * ((i >> 1) & 1);
        const int tok = m0 + 8 * (i >> 2) + 2 * t + (i & 1);
        if (row < N && tok < M) {
            float y;
            if constexpr (T::EPI == EPI_INT)
                y = __fmul_rn(__fmul_rn((float)iout[i], W.scale32[row]), X.scale32[0]);
            else if constexpr (T::EPI == EPI_S32FMA)
                y = __fmul_rn(out[i], X.scale32[tok]);
            else
                y = out[i];
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

template <int KIND, int NT, int P, int U>
static int launch_gemv4(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gv4Cfg<KIND, NT, P, U>;
    dim3 grid((w->n + Cf::ROWS - 1) / Cf::ROWS);
    gemv4_kernel<KIND, NT, P, U><<<grid, Cf::NTH, 0, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}
template <int KIND, int NT, int U>
static int launch_gemv4_p(int P, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    switch (P) {
    case 1: return launch_gemv4<KIND, NT, 1, U>(w, x, lut, y, st);
    case 2: return launch_gemv4<KIND, NT, 2, U>(w, x, lut, y, st);
    case 4: return launch_gemv4<KIND, NT, 4, U>(w, x, lut, y, st);
    case 8: return launch_gemv4<KIND, NT, 8, U>(w, x, lut, y, st);
    default: return -1;
    }
}
template <int KIND, int STAGES>
static int launch_gemm3(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gm3Cfg<KIND, STAGES>;
    auto *f = gemm3_kernel<KIND, STAGES>;
    static bool smem_set = false; /* one flag per instantiation */
    if (!smem_set) {
        cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, Cf::SMEM);
        if (e != cudaSuccess)
            return (int)e;
        smem_set = true;
    }
    dim3 grid((w->n + Cf::BN - 1) / Cf::BN, (x->m + Cf::BM - 1) / Cf::BM);
    f<<<grid, Cf::NTH, Cf::SMEM, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int NT, int P, int B, int S>
static int launch_gemv5(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gv5Cfg<KIND, NT, P, B, S>;
    auto *f = gemv5_kernel<KIND, NT, P, B, S>;
    static bool smem_set = false; /* one flag per instantiation */
    if (!smem_set) {
        cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, Cf::SMEM);
        if (e != cudaSuccess)
            return (int)e;
        smem_set = true;
    }
    dim3 grid((w->n + Cf::ROWS - 1) / Cf::ROWS);
    f<<<grid, Cf::NTH, Cf::SMEM, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}
template <int KIND, int NT, int B, int S>
static int launch_gemv5_p(int P, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    switch (P) {
    case 1: return launch_gemv5<KIND, NT, 1, B, S>(w, x, lut, y, st);
    case 2: return launch_gemv5<KIND, NT, 2, B, S>(w, x, lut, y, st);
    case 4: return launch_gemv5<KIND, NT, 4, B, S>(w, x, lut, y, st);
    case 8: return launch_gemv5<KIND, NT, 8, B, S>(w, x, lut, y, st);
    default: return -1;
    }
}
template <int KIND, int P, int S, int U>
static int launch_gemv6(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    if constexpr (Tr<KIND>::INT8)
        return -1; /* W4A8's exact FMA chain: GEMV v1/v4 */
    else {
        using Cf = Gv6Cfg<KIND, P, S, U>;
        auto *f = gemv6_kernel<KIND, P, S, U>;
        if (x->m != 1 || (size_t)w->n * w->row_bytes >= (1u << 31) || (size_t)w->n * w->ngroups >= (1u << 31))
            return -1;
        const int smem = Cf::smem(w->ngroups);
        static int smem_set = 48 * 1024; /* the largest dynamic size set so far, per instantiation */
        if (smem > smem_set) {
            cudaError_t e = cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, smem);
            if (e != cudaSuccess)
                return (int)e;
            smem_set = smem;
        }
        dim3 grid((w->n + Cf::ROWS - 1) / Cf::ROWS);
        f<<<grid, Cf::NTH, smem, st>>>(*w, *x, lut, y);
        return (int)cudaGetLastError();
    }
}
template <int KIND, int S, int U>
static int launch_gemv6_p(int P, const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    switch (P) {
    case 1: return launch_gemv6<KIND, 1, S, U>(w, x, lut, y, st);
    case 2: return launch_gemv6<KIND, 2, S, U>(w, x, lut, y, st);
    case 4: return launch_gemv6<KIND, 4, S, U>(w, x, lut, y, st);
    case 8: return launch_gemv6<KIND, 8, S, U>(w, x, lut, y, st);
    default: return -1;
    }
}

/* Parts of K per strip for GEMV v4: at least ~2000 warps (16 per SM on 132 SMs) in flight. */
static inline int gemv4_parts(int kind, int n)
{
    if (kind == K_W4A8)
        return 1;
    const int strips = (n + 15) / 16;
    return strips >= 2048 ? 1 : strips >= 1024 ? 2 : strips >= 512 ? 4 : 8;
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
    case KR_VAR_GEMV4:
    case KR_VAR_GEMV4_P1:
    case KR_VAR_GEMV4_P2:
    case KR_VAR_GEMV4_P4:
    case KR_VAR_GEMV4_P8: {
        const int P = var == KR_VAR_GEMV4 ? gemv4_parts(KIND, w->n) : 1 << (var - KR_VAR_GEMV4_P1);
        if (KIND == K_W4A8 && P != 1)
            return -1; /* the exact chain of FMAs runs over all groups in one warp */
        return two ? launch_gemv4_p<KIND, 2, 4>(P, w, x, lut, y, st) : launch_gemv4_p<KIND, 1, 4>(P, w, x, lut, y, st);
    }
    case KR_VAR_GEMV5:
    case KR_VAR_GEMV5_P1:
    case KR_VAR_GEMV5_P2:
    case KR_VAR_GEMV5_P4:
    case KR_VAR_GEMV5_P8: {
        const int P = var == KR_VAR_GEMV5 ? gemv4_parts(KIND, w->n) : 1 << (var - KR_VAR_GEMV5_P1);
        if (KIND == K_W4A8 && P != 1)
            return -1;
        return two ? launch_gemv5_p<KIND, 2, 4, 2>(P, w, x, lut, y, st) : launch_gemv5_p<KIND, 1, 4, 2>(P, w, x, lut, y, st);
    }
    case KR_VAR_GEMV6_P1:
    case KR_VAR_GEMV6_P2:
    case KR_VAR_GEMV6_P4:
    case KR_VAR_GEMV6_P8: return launch_gemv6_p<KIND, 1, KR_GV6_U1>(1 << (var - KR_VAR_GEMV6_P1), w, x, lut, y, st);
    case KR_VAR_GEMV6S2_P1:
    case KR_VAR_GEMV6S2_P2:
    case KR_VAR_GEMV6S2_P4:
    case KR_VAR_GEMV6S2_P8: return launch_gemv6_p<KIND, 2, KR_GV6_U2>(1 << (var - KR_VAR_GEMV6S2_P1), w, x, lut, y, st);
    case KR_VAR_GEMM3: return launch_gemm3<KIND, Tr<KIND>::INT8 || Tr<KIND>::OLIVE ? 4 : 3>(w, x, lut, y, st);
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
