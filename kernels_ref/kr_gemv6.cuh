/* kernels_ref/kr_gemv6.cuh — GEMV v6: one token (M = 1), every kind but MixPE W4A8.
 *
 * GEMV v4 (kr_gemv.cuh) cut down to the instructions a group needs when there is one token; the
 * fragment mapping, decoders and numerics are those of kr_gemv.cuh.
 */
#ifndef MP_KERNELS_REF_KR_GEMV6_CUH
#define MP_KERNELS_REF_KR_GEMV6_CUH

#include "kr_gemv.cuh"

namespace kr {

/* ---------------------------------------------------------------- GEMV v6 (M = 1)
 * Against GEMV v4:
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
__device__ __forceinline__ void gv6_dec(const uint32_t (&w)[Tr<KIND>::WV], int j, const RP &p, uint32_t tb,
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
__device__ __forceinline__ void gv6_group(const uint32_t (&w)[2 * S][Tr<KIND>::WV], const RP (&pr)[2 * S],
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
        /* OliVe: integers < 2^24, exact */
        epi_group<KIND>(__fadd_rn(C[0][s][e], C[1][s][e]), rp_s(pr[q]), out[q], iout[q]);
    }
}

template <int KIND, int P, int S, int U>
__global__ void __launch_bounds__(Gv6Cfg<KIND, P, S, U>::NTH, Gv6Cfg<KIND, P, S, U>::MINB)
    gemv6_kernel(KrWeights W, KrActs X, const uint32_t *__restrict__ olut, float *__restrict__ Y)
{
    using T = Tr<KIND>;
    using Cf = Gv6Cfg<KIND, P, S, U>;
    using Tb = typename Cf::Tab;
    constexpr int WV = T::WV, NR = 2 * S;
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
            gv_ldg_words<KIND>(W.codes + (wofs[q] + (uint32_t)bb * T::WB) + u * T::WB, wr[u][q]);
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

    float out[NR] = {};
    int iout[NR] = {};
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

    if constexpr (P == 1) {
        if (t == 0)
#pragma unroll
            for (int q = 0; q < NR; q++)
                if (row0 + 8 * q < N)
                    Y[row0 + 8 * q] = epi_finish<KIND>(out[q], iout[q], W, X, row0 + 8 * q, 0);
    } else {
        if (t == 0)
#pragma unroll
            for (int q = 0; q < NR; q++)
                red[p * Cf::ROWS + rl0 + 8 * q] = T::EPI == EPI_INT ? __int_as_float(iout[q]) : out[q];
        __syncthreads();
        gv_add_parts<KIND, P, Cf::ROWS, 1, Cf::NTH>(W, X, Y, red);
    }
}

/* ---------------------------------------------------------------- launcher */

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
        if (const int e = smem_limit((const void *)f, smem, &smem_set))
            return e;
        dim3 grid((w->n + Cf::ROWS - 1) / Cf::ROWS);
        f<<<grid, Cf::NTH, smem, st>>>(*w, *x, lut, y);
        return (int)cudaGetLastError();
    }
}

} // namespace kr

#endif
