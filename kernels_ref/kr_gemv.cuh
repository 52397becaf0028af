/* kernels_ref/kr_gemv.cuh — the GEMVs for M <= 16 tokens: v1 (shared-memory reduction), v4
 * (register ring) and v5 (bulk-copy ring). GEMV v6, for one token, is kr_gemv6.cuh.
 *
 * All of them use the tensor cores through mma.sync: m16n8k16 fp16 x fp16 -> fp32 for the
 * fp16-activation kinds and OliVe (whose grid values are integers <= 192, exact in fp16), m16n8k32
 * s8 x s8 -> s32 for MixPE W4A8. The A operand is a 16-row strip of W, decoded in registers from the
 * packed bytes (kr_kind.cuh, kr_decode.h); B is 8 tokens of X (NT tiles of 8 tokens).
 *
 * Fragment mapping (docs/gpu.md): lane (g = lane/4, t = lane%4) owns weight rows g and g+8 of its
 * strip and token g of each 8-token tile, and for every group of 128 weights the 32 consecutive
 * k values [32t, 32t+32): 16 bytes of 4-bit codes per row (12 of FP3), taken one word (8 codes)
 * at a time. Word j feeds two k16 steps (P0,P1 then P2,P3) or one k32 step (int8). The tensor
 * core sums over the four lanes t, so one group's sum completes in the accumulator: per group,
 * the accumulators restart from 0 and the group's dequantization follows (epi_group).
 */
#ifndef MP_KERNELS_REF_KR_GEMV_CUH
#define MP_KERNELS_REF_KR_GEMV_CUH

#include "kr_kind.cuh"

namespace kr {

/* ---------------------------------------------------------------- one word of one group
 * OliVe's weight table is either plain (GEMV v1: lut[byte]) or replicated once per lane (GEMV
 * v4/v5, REP: entry e of lane l at word 32e + l, lrep = table + lane), so that the 32 lookups of a
 * warp hit 32 different banks whatever the bytes are. */
template <int KIND, bool REP>
__device__ __forceinline__ void dec_w_rep(uint32_t w, const RP &p, const uint32_t *lw, uint32_t (&h)[4])
{
    if constexpr (KIND == K_OLIVE && REP) {
#pragma unroll
        for (int i = 0; i < 4; i++)
            h[i] = lw[kr_byte(w, i) << 5];
    } else
        dec_w<KIND>(w, p, lw, h);
}

/* Word j of one group for one lane: rows g (wa: the lane's words of the group) and g + 8 (wb), the
 * rows' parameters, NT tiles of activations (x[nt]: the lane's XW words of the group) ->
 * C[nt] += the products of word j: two m16n8k16 steps (fp16 -> fp32) or one m16n8k32 (W4A8,
 * s8 -> s32, C of int). */
template <int KIND, int NT, bool REP, typename A>
__device__ __forceinline__ void gv_word(const uint32_t *wa, const uint32_t *wb, const RP &pa, const RP &pb,
                                        const uint32_t (&x)[NT][Tr<KIND>::XW], const uint32_t *lw,
                                        const uint32_t *lutx, int j, A (&C)[NT][4])
{
    using T = Tr<KIND>;
    if constexpr (T::INT8) {
        const uint32_t al = kr_s8_uz(wa[j], 0, pa.a), ah = kr_s8_uz(wa[j], 1, pa.a);
        const uint32_t bl = kr_s8_uz(wb[j], 0, pb.a), bh = kr_s8_uz(wb[j], 1, pb.a);
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
            mma_s8(C[nt], al, bl, ah, bh, kr_xpair_s8(x[nt][2 * j], x[nt][2 * j + 1], 0),
                   kr_xpair_s8(x[nt][2 * j], x[nt][2 * j + 1], 1));
    } else {
        const uint32_t wA = T::FP3 ? kr_fp3_chunk(wa[0], wa[1], wa[2], j) : wa[j];
        const uint32_t wB = T::FP3 ? kr_fp3_chunk(wb[0], wb[1], wb[2], j) : wb[j];
        uint32_t hA[4], hB[4];
        dec_w_rep<KIND, REP>(wA, pa, lw, hA);
        dec_w_rep<KIND, REP>(wB, pb, lw, hB);
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            uint32_t q[4];
            dec_x<KIND>(&x[nt][T::OLIVE ? j : 4 * j], lutx, q);
            mma_f16(C[nt], hA[0], hB[0], hA[1], hB[1], q[0], q[1]);
            mma_f16(C[nt], hA[2], hB[2], hA[3], hB[3], q[2], q[3]);
        }
    }
}

/* ---------------------------------------------------------------- GEMV v1
 * A block owns 16R rows; its R x S warps take S consecutive groups at a time (a chunk); each warp
 * writes its group sums to shared memory and, after one barrier, one thread per output applies
 * them in ascending group order: the order of docs/pe.md, with no split of K across blocks and no
 * atomics. Weights stream through a per-lane ring in shared memory, DEPTH chunks deep (cp.async):
 * each lane copies and later reads back only its own 2 x 16 bytes, so cp.async.wait_group orders
 * them and no barrier is needed for the ring. Activations and group parameters of the next chunk
 * wait in registers (GvBuf). */
template <int KIND, int NT> struct GvBuf {
    uint32_t x[NT][Tr<KIND>::XW];
    RP pa, pb;
};

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

    float acc[NO] = {};
    int iacc[NO] = {};

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
        b.pa = make_rp<KIND>(load_raw<KIND>(W, rA, gi), gi);
        b.pb = make_rp<KIND>(load_raw<KIND>(W, rB, gi), gi);
    };

    auto process = [&](const GvBuf<KIND, NT> &b, int c) {
        const int buf = c & 1, gi = c * S + s;
        issue_w(c + DEPTH - 1);
        cp_async_wait<DEPTH - 1>(); /* this lane's copies of chunk c have landed */
        if (gi < G) {
            const uint4 va = ring[c % DEPTH][warp][0][lane], vb = ring[c % DEPTH][warp][1][lane];
            const uint32_t wa4[4] = {va.x, va.y, va.z, va.w}, wb4[4] = {vb.x, vb.y, vb.z, vb.w};
            typename std::conditional<T::INT8, int, float>::type C[NT][4] = {};
#pragma unroll
            for (int j = 0; j < 4; j++)
                gv_word<KIND, NT, false>(wa4, wb4, b.pa, b.pb, b.x, lutw, lutx, j, C);
            const int rl = 16 * r + g;
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                const int tk = 8 * nt + 2 * t; /* int sums: |D| < 2^21, exact in fp32 */
                Dsm[buf][s][rl][tk] = (float)C[nt][0];
                Dsm[buf][s][rl][tk + 1] = (float)C[nt][1];
                Dsm[buf][s][rl + 8][tk] = (float)C[nt][2];
                Dsm[buf][s][rl + 8][tk + 1] = (float)C[nt][3];
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
                for (int sl = 0; sl < S; sl++)
                    if (c * S + sl < G)
                        epi_group<KIND>(Dsm[buf][sl][rl][tk], Ssm[buf][sl][rl], acc[i], iacc[i]);
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
            if (tk < M && row < N)
                Y[(size_t)tk * N + row] = epi_finish<KIND>(acc[i], iacc[i], W, X, row, tk);
        }
    }
}

/* ---------------------------------------------------------------- GEMV v4 and v5: shared pieces
 * Both keep GEMV v1's fragment mapping, decoders and per-group dequantization, and differ only in
 * how the weights reach the lanes (docs/gpu.md, "Variants"):
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
 *  - OliVe's weight table is replicated once per lane (dec_w_rep). */

/* OliVe's tables in shared memory, filled by the whole block and followed by a barrier: the
 * weights' table replicated per lane (256 x 32 words; lrep = this lane's replica), then the
 * activations' (256 words; lutx). The other kinds have no table and skip the barrier. */
template <int KIND>
__device__ __forceinline__ void gv_tables(uint32_t *lut, const uint32_t *__restrict__ olut, int nth,
                                          const uint32_t *&lrep, const uint32_t *&lutx)
{
    if constexpr (Tr<KIND>::OLIVE) {
        for (int i = threadIdx.x; i < 256 * 8; i += nth) {
            const uint32_t v = __ldg(olut + (i >> 3));
            ((uint4 *)lut)[i] = make_uint4(v, v, v, v);
        }
        for (int i = threadIdx.x; i < 256; i += nth)
            lut[256 * 32 + i] = __ldg(olut + 256 + i);
        __syncthreads();
    }
    lrep = lut + (threadIdx.x & 31);
    lutx = Tr<KIND>::OLIVE ? lut + 256 * 32 : lut;
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
    typename std::conditional<T::INT8, int, float>::type C[2][NT][4] = {};
#pragma unroll
    for (int j = 0; j < 4; j++)
        gv_word<KIND, NT, true>(wa, wb, pa, pb, xr, lrep, lutx, j, C[j >> 1]);
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) { /* int: |D| < 2^21, exact; OliVe: integers < 2^24, exact */
            const float c = T::INT8 ? (float)(C[0][nt][e] + C[1][nt][e]) : __fadd_rn(C[0][nt][e], C[1][nt][e]);
            epi_group<KIND>(c, e < 2 ? rp_s(pa) : rp_s(pb), out[nt][e], iout[nt][e]);
        }
}

/* The P > 1 end of the split-K GEMVs (v4, v5, v6), after a barrier that follows every part's
 * store: one thread per output adds the P parts red[(q ROWS + rl) TOKS + tk] in part order
 * (integers for OliVe) and stores y. */
template <int KIND, int P, int ROWS, int TOKS, int NTH>
__device__ __forceinline__ void gv_add_parts(const KrWeights &W, const KrActs &X, float *__restrict__ Y,
                                             const float *red)
{
    const int N = W.n, M = X.m;
    for (int o = threadIdx.x; o < ROWS * TOKS; o += NTH) {
        const int rl = TOKS == 1 ? o : o % ROWS, tk = TOKS == 1 ? 0 : o / ROWS, row = blockIdx.x * ROWS + rl;
        if (row < N && (TOKS == 1 || tk < M)) {
            float v = 0.0f;
            int iv = 0;
#pragma unroll
            for (int q = 0; q < P; q++) { /* parts in order */
                const float d = red[(q * ROWS + rl) * TOKS + tk];
                if constexpr (Tr<KIND>::EPI == EPI_INT)
                    iv += __float_as_int(d);
                else
                    v = q == 0 ? d : __fadd_rn(v, d);
            }
            Y[(size_t)tk * N + row] = epi_finish<KIND>(v, iv, W, X, row, tk);
        }
    }
}

/* The end of GEMV v4/v5: P = 1 stores the lane's outputs; otherwise the P parts of each strip go
 * through shared memory (red: P x ROWS x TOKS words) to gv_add_parts. Every thread of the block
 * must call it. */
template <int KIND, int NT, int P, int ROWS, int NTH>
__device__ __forceinline__ void gv_store(const KrWeights &W, const KrActs &X, float *__restrict__ Y,
                                         const float (&out)[NT][4], const int (&iout)[NT][4], float *red, int r,
                                         int p, int rowA, int rowB)
{
    constexpr int TOKS = 8 * NT;
    const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3, N = W.n, M = X.m;
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const int row = (e < 2 ? rowA : rowB), rl = 16 * r + g + 8 * (e >> 1), tk = 8 * nt + 2 * t + (e & 1);
            if constexpr (P == 1) {
                if (row < N && tk < M)
                    Y[(size_t)tk * N + row] = epi_finish<KIND>(out[nt][e], iout[nt][e], W, X, row, tk);
            } else
                red[(p * ROWS + rl) * TOKS + tk] = Tr<KIND>::EPI == EPI_INT ? __int_as_float(iout[nt][e]) : out[nt][e];
        }
    if constexpr (P > 1) {
        __syncthreads();
        gv_add_parts<KIND, P, ROWS, TOKS, NTH>(W, X, Y, red);
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

/* The lane's words of one row and group, streamed past L1. */
template <int KIND> __device__ __forceinline__ void gv_ldg_words(const uint8_t *p, uint32_t (&w)[Tr<KIND>::WV])
{
    if constexpr (Tr<KIND>::FP3) {
#pragma unroll
        for (int i = 0; i < 3; i++)
            w[i] = ldg_stream4(p + 4 * i);
    } else {
        const uint4 v = ldg_stream16(p);
        w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
    }
}

template <int KIND, int NT, int P, int U>
__global__ void __launch_bounds__(Gv4Cfg<KIND, NT, P, U>::NTH, Gv4Cfg<KIND, NT, P, U>::MINB)
    gemv4_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gv4Cfg<KIND, NT, P, U>;
    constexpr int WV = T::WV;
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

    float out[NT][4] = {};
    int iout[NT][4] = {};
    uint32_t wr[U][2][WV]; /* the register ring: slot u holds group ga + u + U i */
    RawP rawA[U], rawB[U];
    auto issue = [&](uint32_t(&dst)[2][WV], RawP &ra, RawP &rb, int gi) {
        gv_ldg_words<KIND>(wpa + (size_t)gi * T::WB, dst[0]);
        gv_ldg_words<KIND>(wpb + (size_t)gi * T::WB, dst[1]);
        ra = load_raw<KIND>(W, rA, gi);
        rb = load_raw<KIND>(W, rB, gi);
    };

#pragma unroll
    for (int u = 0; u < U; u++)
        if (u < ng)
            issue(wr[u], rawA[u], rawB[u], ga + u);
    const uint32_t *lrep, *lutx;
    gv_tables<KIND>(lut, olut, Cf::NTH, lrep, lutx); /* after the first loads are in flight */

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
    const uint32_t *lrep, *lutx;
    gv_tables<KIND>(lut, olut, Cf::NTH, lrep, lutx); /* after the first copies are in flight */

    float out[NT][4] = {};
    int iout[NT][4] = {};
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

/* ---------------------------------------------------------------- launchers */

template <int KIND, int NT, int R, int S>
static int launch_gemv(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    dim3 grid((w->n + 16 * R - 1) / (16 * R));
    gemv_kernel<KIND, NT, R, S, 3><<<grid, 32 * R * S, 0, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int NT, int P, int U>
static int launch_gemv4(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gv4Cfg<KIND, NT, P, U>;
    dim3 grid((w->n + Cf::ROWS - 1) / Cf::ROWS);
    gemv4_kernel<KIND, NT, P, U><<<grid, Cf::NTH, 0, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int NT, int P, int B, int S>
static int launch_gemv5(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gv5Cfg<KIND, NT, P, B, S>;
    auto *f = gemv5_kernel<KIND, NT, P, B, S>;
    static int smem_set = 48 * 1024; /* one per instantiation */
    if (const int e = smem_limit((const void *)f, Cf::SMEM, &smem_set))
        return e;
    dim3 grid((w->n + Cf::ROWS - 1) / Cf::ROWS);
    f<<<grid, Cf::NTH, Cf::SMEM, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

/* Parts of K per strip for GEMV v4 and v5 (variants gemv4, gemv5): at least ~2000 warps (16 per SM
 * on 132 SMs) in flight; whole K for MixPE W4A8. */
static inline int gemv4_parts(int kind, int n)
{
    if (kind == K_W4A8)
        return 1;
    const int strips = (n + 15) / 16;
    return strips >= 2048 ? 1 : strips >= 1024 ? 2 : strips >= 512 ? 4 : 8;
}

} // namespace kr

#endif
