/* kernels_ref/kr_gemm.cuh — the GEMMs for M > 16 tokens: v2 (decode once per block, ldmatrix +
 * mma.sync) and v3 (the same decode, the MMAs as sm_90a warpgroup MMAs overlapping it).
 *
 * A block owns BN weight rows x BM tokens and walks the groups of K in ascending order: it stages
 * the raw 128-wide K slices of W and X and the rows' group parameters through shared memory with
 * cp.async (STAGES deep), decodes each group's weights (and OliVe's activations) once, in natural
 * k order (fp16 pairs or int8), into a tile that the tensor cores read, and folds the group's sums
 * into a second set of accumulators with the group's dequantization (epi_group), as in docs/pe.md.
 */
#ifndef MP_KERNELS_REF_KR_GEMM_CUH
#define MP_KERNELS_REF_KR_GEMM_CUH

#include "kr_kind.cuh"

namespace kr {

/* ---------------------------------------------------------------- shared by GEMM v2 and v3 */

/* cp.async of a group's raw slice: ROWS rows (weights or tokens) r0 .. r0 + ROWS - 1 of CH 16-byte
 * chunks, by NTH threads (thread i: row i / CH, chunk i % CH). Row r reads src(r) + 16 c and lands at
 * dst(r - r0, c); rows >= n copy zeros (from row n - 1, a valid address). */
template <int ROWS, int CH, int NTH, typename Src, typename Dst>
__device__ __forceinline__ void gm_copy(int r0, int n, Src src, Dst dst)
{
#pragma unroll
    for (int it = 0; it < (ROWS * CH + NTH - 1) / NTH; it++) {
        const int i = threadIdx.x + it * NTH;
        if (ROWS * CH % NTH == 0 || i < ROWS * CH) {
            const int rr = i / CH, c = i % CH, row = r0 + rr;
            cp_async16(dst(rr, c), src(row < n ? row : n - 1) + c * 16, row < n);
        }
    }
}

/* Group gi's raw weights, rows n0 .. n0 + BN - 1, into ws (row stride WB; 16-byte chunk c of a
 * 4-bit row at kr_swz_w(row, c), FP3 rows as they are). */
template <int KIND, int BN, int NTH>
__device__ __forceinline__ void gm_load_w(uint8_t *ws, const KrWeights &W, int n0, int gi)
{
    using T = Tr<KIND>;
    gm_copy<BN, T::WB / 16, NTH>(
        n0, W.n, [&](int row) { return W.codes + (size_t)row * W.row_bytes + (size_t)gi * T::WB; },
        [&](int rr, int c) { return ws + rr * T::WB + (T::FP3 ? c : kr_swz_w(rr, c)) * 16; });
}

/* Group gi's raw activations, tokens m0 .. m0 + BM - 1, into xs: OliVe's 64-byte rows as the
 * weights' (kr_swz_w), the others' 16-byte chunk c of token tk at xs + at(tk, c). */
template <int KIND, int BM, int NTH, typename At>
__device__ __forceinline__ void gm_load_x(uint8_t *xs, const KrActs &X, int m0, int gi, At at)
{
    using T = Tr<KIND>;
    gm_copy<BM, T::XB / 16, NTH>(
        m0, X.m, [&](int tok) { return (const uint8_t *)X.codes + (size_t)tok * X.row_bytes + (size_t)gi * T::XB; },
        [&](int tk, int c) { return xs + (T::OLIVE ? tk * 64 + kr_swz_w(tk, c) * 16 : at(tk, c)); });
}

/* Half h (64 weights) of row rr of a raw group slice ws -> natural k order: 16-byte chunk c of the
 * decoded row (fp16: 8 weights; int8: 16 weights, written as two 8-byte halves) to at(c). rp by
 * value: read once from shared memory, not again after every store. */
template <int KIND, typename At>
__device__ __forceinline__ void gm_decode_w(const uint8_t *ws, int rr, int h, const RP rp, const uint32_t *lutw, At at)
{
    using T = Tr<KIND>;
    constexpr int PAIR = KIND == K_FP4 ? KR_PAIR_FP4 : KIND == K_OLIVE ? KR_PAIR_SEQ : KR_PAIR_U4;
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
            *(uint4 *)at(8 * h + jj) = make_uint4(nat[0], nat[1], nat[2], nat[3]);
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
                *(uint2 *)(at(4 * h + q / 2) + (q & 1) * 8) = make_uint2(kr_nat_s8(lo, hi, 0), kr_nat_s8(lo, hi, 1));
            } else {
                uint32_t hh[4], nat[4];
                dec_w<KIND>(w8[q], rp, lutw, hh);
                kr_nat_pairs(PAIR, hh, nat);
                *(uint4 *)at(8 * h + q) = make_uint4(nat[0], nat[1], nat[2], nat[3]);
            }
        }
    }
}

/* OliVe: half h (64 activations) of token tk of a raw group slice xs -> fp16 pairs in natural k
 * order, 16-byte chunk c to at(c). */
template <int KIND, typename At>
__device__ __forceinline__ void gm_decode_x(const uint8_t *xs, int tk, int h, const uint32_t *lutx, At at)
{
#pragma unroll
    for (int c = 0; c < 2; c++) {
        const uint4 v = *(const uint4 *)(xs + tk * 64 + kr_swz_w(tk, 2 * h + c) * 16);
        const uint32_t w4[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int q = 0; q < 4; q++) {
            uint32_t hh[4];
            dec_x<KIND>(&w4[q], lutx, hh);
            *(uint4 *)at(8 * h + 4 * c + q) = make_uint4(hh[0], hh[1], hh[2], hh[3]);
        }
    }
}

/* ---------------------------------------------------------------- GEMM v2
 * The whole block decodes each group into shared memory (thread -> row and half of the group),
 * then its warps (WN rows x WM tokens each) run a plain ldmatrix + mma.sync loop over the tiles.
 * Decoded rows are 256 (int8: 128) bytes with the ldmatrix swizzle kr_swz_ld. */
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

template <int KIND, int BM, int BN, int WM, int WN, int STAGES>
__global__ void __launch_bounds__(Gm2Cfg<KIND, BM, BN, WM, WN, STAGES>::NTH, 1)
    gemm2_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gm2Cfg<KIND, BM, BN, WM, WN, STAGES>;
    constexpr int NWN = Cf::NWN, NTH = Cf::NTH, RT = Cf::RT, NT = Cf::NT, WT = Cf::WT, XT = Cf::XT, ST = Cf::ST;
    constexpr int KB = Cf::KB, XR = Cf::XR;
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
        uint8_t *ws = smem + st * ST;
        gm_load_w<KIND, BN, NTH>(ws, W, n0, gi);
        gm_load_x<KIND, BM, NTH>(ws + WT, X, m0, gi, [&](int tk, int c) { return tk * T::XB + kr_swz_ld(tk, c) * 16; });
    };
    auto store_params = [&](int st, const RawP &r, int gi) {
        if (threadIdx.x < BN)
            ((RP *)(smem + st * ST + WT + XT))[threadIdx.x] = make_rp<KIND>(r, gi);
    };

    typename std::conditional<T::INT8, int, float>::type acc[RT][NT][4] = {};
    float out[RT][NT][4] = {};
    int iout[RT][NT][4] = {};

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
            uint8_t *drow = wd + rr * KB;
            gm_decode_w<KIND>(ws, rr, h, ps[rr], lutw, [&](int c) { return drow + kr_swz_ld(rr, c) * 16; });
        }
        if constexpr (T::OLIVE) { /* activations too: thread -> (token, half) */
#pragma unroll
            for (int it = 0; it < (2 * BM + NTH - 1) / NTH; it++) {
                const int i = threadIdx.x + it * NTH, tk = i % BM, h = i / BM;
                uint8_t *drow = xd + tk * 256;
                if (2 * BM % NTH == 0 || i < 2 * BM)
                    gm_decode_x<KIND>(xs, tk, h, lutx, [&](int c) { return drow + kr_swz_ld(tk, c) * 16; });
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
                            mma_s8_z(acc[rt][nt], a[rt][0], a[rt][1], a[rt][2], a[rt][3], b0, b1);
                        else
                            mma_s8(acc[rt][nt], a[rt][0], a[rt][1], a[rt][2], a[rt][3], b0, b1);
                    } else if constexpr (T::EPI == EPI_ADD) { /* w4a16-dq: one chain over all of K */
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
                    for (int e = 0; e < 4; e++) /* int sums: |D| < 2^21, exact */
                        epi_group<KIND>((float)acc[rt][nt][e], e < 2 ? sa : sb, out[rt][nt][e], iout[rt][nt][e]);
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
                if (row < N && tok < M)
                    Y[(size_t)tok * N + row] = epi_finish<KIND>(out[rt][nt][e], iout[rt][nt][e], W, X, row, tok);
            }
}

/* ---------------------------------------------------------------- GEMM v3 (wgmma, sm_90a)
 * GEMM v2's decode-once-per-block, with the tensor-core work issued as asynchronous warpgroup MMAs
 * (wgmma) so that the decode of group gi + 1 runs on the CUDA cores while the tensor cores work
 * on group gi (docs/gpu.md, "Variants"):
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
        uint8_t *xs = smem + st * ST;
        gm_load_w<KIND, BN, NTH>(xs + Cf::XS, W, n0, gi);
        gm_load_x<KIND, BM, NTH>(xs, X, m0, gi, [&](int tk, int c) { return kr_swz128(BM, tk, c); });
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
        gm_decode_w<KIND>(ws, rr, h, rp, lutw, [&](int c) { return dt + kr_swz128(BN, rr, c); });
        if constexpr (T::OLIVE) { /* activations: thread -> (token, half) */
            uint8_t *xt = xd + buf * Cf::XD;
            gm_decode_x<KIND>(xs, tid % BM, h, lutx, [&](int c) { return xt + kr_swz128(BM, tid % BM, c); });
        }
        fence_proxy_async(); /* these generic stores are read next by the tensor cores (async proxy) */
    };

    typename std::conditional<T::INT8, int, float>::type acc[64] = {};
    float out[64] = {};
    int iout[64] = {};

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
        wg_fence_operand(acc);
        wg_fence();
#pragma unroll
        for (int ks = 0; ks < Cf::KSTEPS; ks++) {
            const int half = T::INT8 ? 0 : ks >> 2, kk = T::INT8 ? ks : ks & 3;
            const uint64_t da = wg_desc(wsrc + half * BN * 128 + kk * 32), db = wg_desc(xsrc + half * BM * 128 + kk * 32);
            if constexpr (T::INT8)
                wgmma_s8(acc, da, db, ks > 0);
            else
                wgmma_f16(acc, da, db, ks > 0);
        }
        wg_commit();
        if (gi + 1 < G)
            decode(gi + 1, (gi + 1) & 1); /* on the CUDA cores while the tensor cores work */
        wg_wait0();
        wg_fence_operand(acc);
        /* the group's dequantization, groups in ascending order */
        const int ra = wg * 64 + 16 * w4 + g;
        const float sa = scl[(gi & 1) * BN + ra], sb = scl[(gi & 1) * BN + ra + 8];
#pragma unroll
        for (int i = 0; i < 64; i++) /* int sums: |D| < 2^21, exact */
            epi_group<KIND>((float)acc[i], (i & 2) ? sb : sa, out[i], iout[i]);
        if (nx < G)
            store_params(nx % STAGES, raw, nx);
    }
    cp_async_wait<0>();

#pragma unroll
    for (int i = 0; i < 64; i++) {
        const int row = n0 + wg * 64 + 16 * w4 + g + 8 * ((i >> 1) & 1);
        const int tok = m0 + 8 * (i >> 2) + 2 * t + (i & 1);
        if (row < N && tok < M)
            Y[(size_t)tok * N + row] = epi_finish<KIND>(out[i], iout[i], W, X, row, tok);
    }
}

/* ---------------------------------------------------------------- launchers */

template <int KIND, int BM, int BN, int WM, int WN, int STAGES>
static int launch_gemm2(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gm2Cfg<KIND, BM, BN, WM, WN, STAGES>;
    auto *f = gemm2_kernel<KIND, BM, BN, WM, WN, STAGES>;
    static int smem_set = 48 * 1024; /* one per instantiation */
    if (const int e = smem_limit((const void *)f, Cf::SMEM, &smem_set))
        return e;
    dim3 grid((w->n + BN - 1) / BN, (x->m + BM - 1) / BM);
    f<<<grid, Cf::NTH, Cf::SMEM, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

template <int KIND, int STAGES>
static int launch_gemm3(const KrWeights *w, const KrActs *x, const uint32_t *lut, float *y, cudaStream_t st)
{
    using Cf = Gm3Cfg<KIND, STAGES>;
    auto *f = gemm3_kernel<KIND, STAGES>;
    static int smem_set = 48 * 1024; /* one per instantiation */
    if (const int e = smem_limit((const void *)f, Cf::SMEM, &smem_set))
        return e;
    dim3 grid((w->n + Cf::BN - 1) / Cf::BN, (x->m + Cf::BM - 1) / Cf::BM);
    f<<<grid, Cf::NTH, Cf::SMEM, st>>>(*w, *x, lut, y);
    return (int)cudaGetLastError();
}

} // namespace kr

#endif
