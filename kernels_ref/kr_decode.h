/* kernels_ref/kr_decode.h — the bit-level decoders of the CUDA reference kernels, shared with the CPU.
 *
 * Every function here is plain integer arithmetic on 32-bit words and compiles as C11 (host, tests)
 * and as CUDA (device). The kernels (kr_kind.cuh and the families) call exactly these functions, so
 * tests/test_kernels_cpu.c checks the very decoders the GPU runs, code by code.
 *
 * The kernels read the canonical packed layouts of models/pack.h (docs/formats.md) without any
 * re-layout. A lane of a warp holds, for one weight row and one group of 128 weights, 32
 * consecutive codes: 16 bytes (4-bit codes: words w0..w3, word j = codes 8j..8j+7) or 12 bytes
 * (BitMoD FP3: three words, chunk j = bits 24j..24j+23). Each word/chunk j is turned into four
 * fp16x2 registers P0..P3 (or two int8x4 registers for the int8 tensor-core path); which two of the
 * 8 codes sit in P_i is given by the pairing of the decoder (KR_PAIR_*), and the activations are
 * paired the same way (kr_xpair_*), so every tensor-core product multiplies a weight with its own
 * activation. See docs/gpu.md, "Fragment mapping".
 *
 * fp16 values are produced as bit patterns (uint32_t holding two halves, element with the lower
 * k in the low 16 bits); the fp16 arithmetic that follows (HSUB2, HMUL2) is done by the caller.
 */
#ifndef MP_KERNELS_REF_KR_DECODE_H
#define MP_KERNELS_REF_KR_DECODE_H

#include <stdint.h>

#if defined(__CUDACC__)
#define KR_FN static inline __host__ __device__
#else
#define KR_FN static inline
#endif
#if defined(__CUDA_ARCH__)
/* Device code: return the result of one PTX instruction on three 32-bit registers. */
#define KR_RETURN_PTX3(INSN, a, b, c)                                                                                 \
    do {                                                                                                              \
        uint32_t d_;                                                                                                  \
        asm(INSN : "=r"(d_) : "r"(a), "r"(b), "r"(c));                                                                \
        return d_;                                                                                                    \
    } while (0)
#endif

/* ---------------------------------------------------------------- PRMT (byte permute)
 * PTX prmt.b32, default mode: result byte i is byte (c >> 4i) & 7 of the 8-byte value {b:a};
 * if bit 3 of that selector nibble is set, the selected byte's sign bit is replicated into all
 * 8 bits instead. (CUDA's __byte_perm documents only the 3 index bits, so the kernels use the
 * PTX instruction itself.) */
KR_FN uint32_t kr_prmt(uint32_t a, uint32_t b, uint32_t c)
{
#if defined(__CUDA_ARCH__)
    KR_RETURN_PTX3("prmt.b32 %0, %1, %2, %3;", a, b, c);
#else
    uint64_t v = ((uint64_t)b << 32) | a;
    uint32_t d = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t s = (c >> (4 * i)) & 15u;
        uint32_t byte = (uint32_t)(v >> (8 * (s & 7u))) & 0xffu;
        if (s & 8u)
            byte = (byte & 0x80u) ? 0xffu : 0u;
        d |= byte << (8 * i);
    }
    return d;
#endif
}

/* (a & m) | c as one LOP3. With two constants (m, c) the compiler emits an AND and an OR, since a
 * SASS LOP3 encodes one immediate; the PTX instruction keeps it to one LOP3 (the other constant
 * lives in a register set up once). */
KR_FN uint32_t kr_andor(uint32_t a, uint32_t m, uint32_t c)
{
#if defined(__CUDA_ARCH__)
    KR_RETURN_PTX3("lop3.b32 %0, %1, %2, %3, 0xea;", a, m, c);
#else
    return (a & m) | c;
#endif
}

/* Funnel shift right: the low 32 bits of ({hi:lo} >> s), 0 <= s < 32. */
KR_FN uint32_t kr_shf_r(uint32_t lo, uint32_t hi, int s)
{
#if defined(__CUDA_ARCH__)
    return __funnelshift_r(lo, hi, (unsigned)s);
#else
    return s == 0 ? lo : (lo >> s) | (hi << (32 - s));
#endif
}

/* ---------------------------------------------------------------- pairings
 * P_i holds codes (kr_pair_lo[p][i], kr_pair_hi[p][i]) of the 8 codes of a word, lo in bits 15:0. */
enum { KR_PAIR_U4 = 0,   /* (i, i+4): uint4 magic-number decode, BitMoD FP3 */
       KR_PAIR_FP4 = 1,  /* (0,2) (1,3) (4,6) (5,7): BitMoD FP4 byte-permute decode */
       KR_PAIR_SEQ = 2,  /* (0,1) (2,3) (4,5) (6,7): OliVe pair bytes */
       KR_PAIR_COUNT = 3 };
static const int kr_pair_lo[KR_PAIR_COUNT][4] = {{0, 1, 2, 3}, {0, 1, 4, 5}, {0, 2, 4, 6}};
static const int kr_pair_hi[KR_PAIR_COUNT][4] = {{4, 5, 6, 7}, {2, 3, 6, 7}, {1, 3, 5, 7}};

/* Activations, fp16: r[0..3] hold the 8 halves x0..x7 of a word (x0 in the low half of r[0]).
 * Out: the four fp16x2 registers paired like the weights. */
KR_FN void kr_xpair_u4(const uint32_t r[4], uint32_t p[4])
{
    p[0] = kr_prmt(r[0], r[2], 0x5410); /* (x0, x4) */
    p[1] = kr_prmt(r[0], r[2], 0x7632); /* (x1, x5) */
    p[2] = kr_prmt(r[1], r[3], 0x5410); /* (x2, x6) */
    p[3] = kr_prmt(r[1], r[3], 0x7632); /* (x3, x7) */
}
KR_FN void kr_xpair_fp4(const uint32_t r[4], uint32_t p[4])
{
    p[0] = kr_prmt(r[0], r[1], 0x5410); /* (x0, x2) */
    p[1] = kr_prmt(r[0], r[1], 0x7632); /* (x1, x3) */
    p[2] = kr_prmt(r[2], r[3], 0x5410); /* (x4, x6) */
    p[3] = kr_prmt(r[2], r[3], 0x7632); /* (x5, x7) */
}

/* ---------------------------------------------------------------- uint4 (MixPE, w4a16-dq)
 * (w >> 4i) & 0x000F000F puts codes i and i+4 in the low bits of the two halves; OR-ing the
 * exponent of 1024 (0x6400) makes the halves exactly 1024 + u (fp16 has unit spacing in
 * [1024, 2048)). The caller subtracts 1024 + z with one HSUB2: exact, u - z in [-15, 15]. */
KR_FN uint32_t kr_u4_magic(uint32_t w, int i) { return ((w >> (4 * i)) & 0x000f000fu) | 0x64006400u; }
/* fp16x2 of 1024 + z, both halves. */
KR_FN uint32_t kr_u4_bias(uint32_t z) { return (0x6400u | (z & 15u)) * 0x00010001u; }
/* The same four registers with one LOP3 each (what every kernel uses, kr_kind.cuh dec_w): P_i for even i is kr_u4_magic
 * (halves 1024 + u, from w or w >> 8); for odd i the codes stay 4 bits higher, halves 1024 + 16u,
 * and one HFMA2 by 1/16 (KR_U4_SIXTEENTH) plus kr_u4_nbias(z) = -(64 + z) gives u - z. Every
 * intermediate is an integer below 2048 or a power-of-two multiple of one: exact. */
KR_FN uint32_t kr_u4_lop(uint32_t w, int i)
{
    const uint32_t v = i < 2 ? w : w >> 8;
    return kr_andor(v, (i & 1) ? 0x00f000f0u : 0x000f000fu, 0x64006400u);
}
#define KR_U4_SIXTEENTH 0x2c002c00u /* fp16x2 of 1/16 */
/* fp16x2 of -(64 + z): exponent of 64 (0x5400), unit 1/16 of the mantissa step there is 16. */
KR_FN uint32_t kr_u4_nbias(uint32_t z) { return (0xd400u | ((z & 15u) << 4)) * 0x00010001u; }

/* int8 tensor-core path (MixPE W4A8): bytes (n0,n2,n4,n6) (hi = 0) or (n1,n3,n5,n7) (hi = 1) of a
 * word as signed int8 u - z. Per byte: (u | 0x80) - z never borrows (u + 128 > z), and XOR 0x80
 * turns u + 128 - z into the two's complement of u - z. zz = z * 0x01010101. */
KR_FN uint32_t kr_s8_uz(uint32_t w, int hi, uint32_t zz)
{
    uint32_t v = ((hi ? w >> 4 : w) & 0x0f0f0f0fu) | 0x80808080u;
    return (v - zz) ^ 0x80808080u;
}
/* Activations, int8: x0..x7 in r0 (x0..x3) and r1 (x4..x7) -> (x0,x2,x4,x6) and (x1,x3,x5,x7). */
KR_FN uint32_t kr_xpair_s8(uint32_t r0, uint32_t r1, int hi) { return kr_prmt(r0, r1, hi ? 0x7531u : 0x6420u); }

/* ---------------------------------------------------------------- BitMoD FP4
 * Values in grid units (halves of E2M1): code c = s|i, magnitude {0,1,2,3,4,6,8,12}[i], code 1000
 * is the group's special value (+10 ER, +16 EA). Every value is an fp16 whose low byte is 0, so a
 * code needs one byte: the high byte of its fp16, looked up with PRMT in an 8-byte table.
 * Positive codes index KR_FP4_TP, negative ones KR_FP4_TN (entry 0 = the special value), and a
 * sign mask made by PRMT's sign replication picks between them. The selector's low-byte nibbles
 * are 8 (replicate the sign of table byte 0, which is 0x00 / the positive special): zero low bytes. */
#define KR_FP4_TP_LO 0x42403c00u /* 0, 1, 2, 3         */
#define KR_FP4_TP_HI 0x4a484644u /* 4, 6, 8, 12        */
#define KR_FP4_TN_LO 0xc2c0bc00u /* special, -1, -2, -3 (byte 0 = special, per group) */
#define KR_FP4_TN_HI 0xcac8c6c4u /* -4, -6, -8, -12    */
#define KR_FP4_SP_ER 0x49u       /* fp16 10 = 0x4900   */
#define KR_FP4_SP_EA 0x4cu       /* fp16 16 = 0x4c00   */
KR_FN uint32_t kr_fp4_tn_lo(int ea) { return KR_FP4_TN_LO | (ea ? KR_FP4_SP_EA : KR_FP4_SP_ER); }
KR_FN uint32_t kr_fp4_decode(uint32_t w, int i, uint32_t tn_lo)
{
    /* bring the pair's codes to bits 7:4 and 15:12 */
    uint32_t ws = i == 0 ? w << 4 : i == 1 ? w : i == 2 ? w >> 12 : w >> 16;
    uint32_t sel = kr_andor(ws, 0x7070u, 0x0808u);
    uint32_t rp = kr_prmt(KR_FP4_TP_LO, KR_FP4_TP_HI, sel);
    uint32_t rn = kr_prmt(tn_lo, KR_FP4_TN_HI, sel);
    uint32_t neg = kr_prmt(ws, 0, 0x9988u); /* 0xffff in a half whose code has bit 3 set */
    return (rp & ~neg) | (rn & neg);
}

/* ---------------------------------------------------------------- BitMoD FP3
 * Code c = s|i (3 bits), magnitude {0,1,2,4}[i], code 100 = special (+3 ER, +6 EA): one 8-entry
 * table, one PRMT per pair. A lane's 12 bytes are three words; chunk j = its codes 8j..8j+7. */
#define KR_FP3_T_LO 0x44403c00u /* 0, 1, 2, 4 */
#define KR_FP3_T_HI 0xc4c0bc00u /* special, -1, -2, -4 (byte 0 = special, per group) */
#define KR_FP3_SP_ER 0x42u      /* fp16 3 */
#define KR_FP3_SP_EA 0x46u      /* fp16 6 */
KR_FN uint32_t kr_fp3_t_hi(int ea) { return KR_FP3_T_HI | (ea ? KR_FP3_SP_EA : KR_FP3_SP_ER); }
KR_FN uint32_t kr_fp3_chunk(uint32_t w0, uint32_t w1, uint32_t w2, int j)
{
    /* bits above 23 are ignored by kr_fp3_decode */
    return j == 0 ? w0 : j == 1 ? kr_shf_r(w0, w1, 24) : j == 2 ? kr_shf_r(w1, w2, 16) : w2 >> 8;
}
KR_FN uint32_t kr_fp3_decode(uint32_t c24, int i, uint32_t t_hi)
{
    /* code i to bits 6:4, code i+4 (12 bits higher) to bits 18:16, then 14:12 */
    uint32_t t = i == 0 ? c24 << 4 : i == 1 ? c24 << 1 : i == 2 ? c24 >> 2 : c24 >> 5;
    uint32_t sel = (t & 0x0070u) | ((t >> 4) & 0x7000u) | 0x0808u;
    return kr_prmt(KR_FP3_T_LO, t_hi, sel);
}

/* ---------------------------------------------------------------- OliVe
 * A pair byte decodes (victim, outlier, normals) through a 256-entry table of fp16x2 grid values
 * built from models/ (kr_olive_lut in kr_host.c); byte i of a word is pair (2i, 2i+1). */
KR_FN uint32_t kr_byte(uint32_t w, int i) { return (w >> (8 * i)) & 0xffu; }

/* ---------------------------------------------------------------- pair tables (GEMV v6)
 * GEMV v6 decodes BitMoD and OliVe weights a pair of codes at a time through a table in shared
 * memory: the index is the pair's bits as they sit in the stream (a byte of 4-bit codes 2i, 2i+1,
 * code 2i in the low nibble; 6 bits of the FP3 stream, code 2i in the low 3 bits), the entry the
 * fp16x2 of the two values (code 2i in the low half): pairing KR_PAIR_SEQ, so the activations
 * need no re-pairing. BitMoD has one table per group type (ER, EA) whose type is part of the index.
 *
 * Replicated R times (R = 16 or 32): entry e of replica r is word R*e + r and lane l reads replica
 * l % R, so lanes only meet in a bank when their entries differ in a multiple of 32/R (none for
 * R = 32; at most two lanes per bank for R = 16). The byte address of the lane's entry is
 *     (type << (NB + S0)) | (index << S0) | (l % R) << 2,      S0 = log2(4 R), NB = index bits,
 * three disjoint bit fields, so one shift of the stream word and one LOP3 (kr_andor: mask the
 * index field, OR the per-row base of type and lane) give it: kr_tab_addr, with the index's lowest
 * bit at bit `lo` of x. */
KR_FN uint32_t kr_tab_addr(uint32_t x, int lo, int nb, int s0, uint32_t base)
{
    const uint32_t v = lo >= s0 ? x >> (lo - s0) : x << (s0 - lo);
    return kr_andor(v, ((1u << nb) - 1u) << s0, base);
}
/* The address of pair `pair` of a lane's code stream w[] (pair p = index bits nb p .. nb p + nb - 1
 * of the little-endian stream: byte p of 4-bit codes, 6-bit field p of the FP3 stream): one shift
 * (a funnel shift where the field straddles two words) and one LOP3. */
KR_FN uint32_t kr_tab_pair_addr(const uint32_t *w, int nb, int pair, int s0, uint32_t base)
{
    const int bit = nb * pair, q = bit >> 5, off = bit & 31;
    return off <= 32 - nb ? kr_tab_addr(w[q], off, nb, s0, base)
                          : kr_tab_addr(kr_shf_r(w[q], w[q + 1], off), 0, nb, s0, base);
}
/* fp16 bits of one BitMoD code in grid units (halves of E2M1 for FP4), from the PRMT tables
 * above: FP4 codes 0..7 positive, 8..15 negative with 8 the special value; FP3 0..3 and 4..7. */
KR_FN uint32_t kr_fp4_half(uint32_t c, int ea)
{
    const uint32_t t = c < 4 ? KR_FP4_TP_LO : c < 8 ? KR_FP4_TP_HI : c < 12 ? kr_fp4_tn_lo(ea) : KR_FP4_TN_HI;
    return ((t >> (8 * (c & 3u))) & 0xffu) << 8;
}
KR_FN uint32_t kr_fp3_half(uint32_t c, int ea)
{
    const uint32_t t = c < 4 ? KR_FP3_T_LO : kr_fp3_t_hi(ea);
    return ((t >> (8 * (c & 3u))) & 0xffu) << 8;
}
/* Table entries: index b of type ea (0 = ER, 1 = EA). */
KR_FN uint32_t kr_fp4_pair(uint32_t b, int ea) { return kr_fp4_half(b & 15u, ea) | kr_fp4_half((b >> 4) & 15u, ea) << 16; }
KR_FN uint32_t kr_fp3_pair(uint32_t b, int ea) { return kr_fp3_half(b & 7u, ea) | kr_fp3_half((b >> 3) & 7u, ea) << 16; }

/* ---------------------------------------------------------------- raw-slice swizzle (GEMM v2, v3)
 * 16-byte chunk t of a 64-byte row r of a group's raw slice in shared memory (4-bit weights; OliVe
 * activations) is stored at chunk t ^ ((r >> 1) & 3). The copies (thread i: row i / 4, chunk i % 4)
 * and the decode's reads (thread i: row i, one chunk) then put the 8 accesses of every phase of a
 * warp in 8 different 16-byte bank groups. */
KR_FN int kr_swz_w(int r, int t) { return t ^ ((r >> 1) & 3); }

/* ---------------------------------------------------------------- natural order (GEMM v2, v3)
 * GEMM v2 and v3 decode a block's weights once into shared memory in natural k order, as fp16 pairs
 * (k, k+1) or int8 quads, and feeds the tensor cores with ldmatrix. Decoder outputs P0..P3 are
 * re-paired with PRMT: out[i] holds codes (2i, 2i+1) of the word. */
KR_FN void kr_nat_pairs(int pairing, const uint32_t p[4], uint32_t out[4])
{
    if (pairing == KR_PAIR_U4) { /* P_i = (i, i+4) */
        out[0] = kr_prmt(p[0], p[1], 0x5410); /* (0,1) */
        out[1] = kr_prmt(p[2], p[3], 0x5410); /* (2,3) */
        out[2] = kr_prmt(p[0], p[1], 0x7632); /* (4,5) */
        out[3] = kr_prmt(p[2], p[3], 0x7632); /* (6,7) */
    } else if (pairing == KR_PAIR_FP4) { /* (0,2) (1,3) (4,6) (5,7) */
        out[0] = kr_prmt(p[0], p[1], 0x5410);
        out[1] = kr_prmt(p[0], p[1], 0x7632);
        out[2] = kr_prmt(p[2], p[3], 0x5410);
        out[3] = kr_prmt(p[2], p[3], 0x7632);
    } else {
        for (int i = 0; i < 4; i++)
            out[i] = p[i];
    }
}
/* int8: lo = (n0,n2,n4,n6), hi = (n1,n3,n5,n7) -> (n0..n3) (half 0) or (n4..n7) (half 1). */
KR_FN uint32_t kr_nat_s8(uint32_t lo, uint32_t hi, int half) { return kr_prmt(lo, hi, half ? 0x7362u : 0x5140u); }
/* FP3: codes 8j..8j+7 of a row whose 3-bit stream is in words w[] (j = 0..15 per group). */
KR_FN uint32_t kr_fp3_chunk_at(const uint32_t *w, int j)
{
    int bit = 24 * j, q = bit >> 5, s = bit & 31;
    return s <= 8 ? w[q] >> s : kr_shf_r(w[q], w[q + 1], s);
}
/* ldmatrix swizzle: 16-byte chunk c of row r (rows of 8 or 16 chunks) is stored at c ^ (r & 7). */
KR_FN int kr_swz_ld(int r, int c) { return c ^ (r & 7); }

#endif
