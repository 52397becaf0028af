/* tests/test_kernels_cpu.c — the CPU side of the CUDA reference kernels (kernels_ref/), no GPU:
 * the decoders the kernels run (kr_decode.h) against the packed layouts of models/, code by code;
 * the pairing of weights with activations; shared-memory layouts (bijective and free of bank
 * conflicts); the OliVe and pair tables; and a register-level emulation of GEMV v1 against
 * the golden model: bit for bit for the integer kernels, within the stated bound (kr_bound) for
 * the float ones. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernels_ref/kr_decode.h"
#include "kernels_ref/kr_host.h"
#include "kernels_ref/kr_step_olive.h"
#include "models/fpx.h"
#include "testutil.h"
#include "traces/synth.h"

static double h16v(uint32_t r, int hi) { return fp16_to_f64((uint16_t)(hi ? r >> 16 : r)); }

/* PRMT: byte copy and sign replication, as the PTX ISA defines them. */
static void prmt_semantics(void **state)
{
    (void)state;
    assert_int_equal(kr_prmt(0x44332211u, 0x88776655u, 0x3210u), 0x44332211u);
    assert_int_equal(kr_prmt(0x44332211u, 0x88776655u, 0x7654u), 0x88776655u);
    assert_int_equal(kr_prmt(0x44332211u, 0x88776655u, 0x0404u), 0x11551155u);
    /* bit 3 of a selector nibble: replicate the sign of the selected byte */
    assert_int_equal(kr_prmt(0x000080ffu, 0, 0x8989u), 0xffffffffu);
    assert_int_equal(kr_prmt(0x00007f01u, 0, 0x8989u), 0x00000000u);
    assert_int_equal(kr_prmt(0x00008000u, 0, 0x9988u), 0xffff0000u);
    assert_int_equal(kr_shf_r(0x89abcdefu, 0x01234567u, 8), 0x6789abcdu);
    assert_int_equal(kr_shf_r(0x89abcdefu, 0x01234567u, 0), 0x89abcdefu);
    /* kr_andor (one LOP3 on the GPU): (a & m) | c for every 16-bit a, replicated in both halves,
     * with the constants the decoders use */
    static const uint32_t mc[3][2] = {{0x000f000fu, 0x64006400u}, {0x00f000f0u, 0x64006400u}, {0x7070u, 0x0808u}};
    for (int k = 0; k < 3; k++)
        for (uint32_t a = 0; a < 65536; a++) {
            const uint32_t w = a * 0x00010001u;
            assert_int_equal(kr_andor(w, mc[k][0], mc[k][1]), (w & mc[k][0]) | mc[k][1]);
        }
}

/* A word of 8 random codes and the pairing tables: the decoders put codes (lo[i], hi[i]) in P_i. */
static uint32_t nib(uint32_t w, int i) { return (w >> (4 * i)) & 15u; }

static void uint4_decode_all(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("uint4_decode_all", 11));
    for (int rep = 0; rep < 2000; rep++) {
        uint32_t w = (uint32_t)mp_rng_u64(&r), z = (uint32_t)mp_rng_below(&r, 16);
        uint16_t s = fp16_from_f64(0.001 + mp_rng_uniform(&r));
        for (int i = 0; i < 4; i++) {
            uint32_t h = kr_u4_magic(w, i), bias = kr_u4_bias(z);
            for (int hh = 0; hh < 2; hh++) {
                int code = (int)nib(w, hh ? kr_pair_hi[KR_PAIR_U4][i] : kr_pair_lo[KR_PAIR_U4][i]);
                assert_true(h16v(h, hh) == 1024.0 + code);
                uint16_t d = fp16_sub((uint16_t)(hh ? h >> 16 : h), (uint16_t)(hh ? bias >> 16 : bias));
                assert_true(fp16_to_f64(d) == (double)(code - (int)z)); /* exact */
                /* w4a16-dq: the kernel's HMUL of (u - z) by the scale is golden's dq16 */
                uint16_t dq = fp16_mul(d, s);
                uint16_t ref = fp16_mul(fp16_from_f64((double)(code - (int)z)), s);
                assert_int_equal(dq, ref);
                /* the LOP3 form: even i equal to the magic number, odd i 1024 + 16u then one
                 * fp16 FMA by 1/16 with -(64 + z); the FMA's exact result is an integer, so
                 * its one rounding is exact too */
                uint32_t l = kr_u4_lop(w, i), nb = kr_u4_nbias(z);
                double lv = h16v(l, hh), nbv = h16v(nb, hh), sx = h16v(KR_U4_SIXTEENTH, hh);
                if (i % 2 == 0)
                    assert_true(lv == 1024.0 + code);
                else {
                    assert_true(lv == 1024.0 + 16.0 * code && sx == 1.0 / 16 && nbv == -(64.0 + z));
                    assert_true(lv * sx + nbv == (double)(code - (int)z));
                }
            }
        }
        /* int8 path: bytes (n0,n2,n4,n6) and (n1,n3,n5,n7) as u - z */
        for (int hi = 0; hi < 2; hi++) {
            uint32_t v = kr_s8_uz(w, hi, z * 0x01010101u);
            for (int b = 0; b < 4; b++)
                assert_int_equal((int8_t)(v >> (8 * b)), (int)nib(w, 2 * b + hi) - (int)z);
        }
    }
}

/* A BitMoD code's value in grid units as unpack_matrix defines it (special code: the positive
 * special value of the group's type). */
static int32_t bitmod_want(FmtId fmt, uint32_t code, int ea)
{
    const FmtDesc *f = fmt_get(fmt);
    return (int)code == f->special_code ? quant_bitmod_special(fmt, ea ? BM_EA_POS : BM_ER_POS) : f->value[code];
}

/* Every FP4 code at every position, ER and EA: the decoded fp16 is the code's value in grid units
 * exactly as unpack_matrix defines it (special code: the positive special value). */
static void bitmod_fp4_decode_all(void **state)
{
    (void)state;
    for (int ea = 0; ea < 2; ea++)
        for (uint32_t a = 0; a < 16; a++)
            for (uint32_t b = 0; b < 16; b++)
                for (int i = 0; i < 4; i++) {
                    int lo = kr_pair_lo[KR_PAIR_FP4][i], hi = kr_pair_hi[KR_PAIR_FP4][i];
                    uint32_t w = (a << (4 * lo)) | (b << (4 * hi)) | 0x5u << (4 * ((lo + 1) % 8 == hi ? (hi + 1) % 8 : (lo + 1) % 8));
                    /* keep other nibbles arbitrary but not equal to the pair */
                    w = (w & ~(0xfu << (4 * lo)) & ~(0xfu << (4 * hi))) | (a << (4 * lo)) | (b << (4 * hi));
                    uint32_t h = kr_fp4_decode(w, i, kr_fp4_tn_lo(ea));
                    uint32_t codes[2] = {a, b};
                    for (int hh = 0; hh < 2; hh++)
                        assert_true(h16v(h, hh) == (double)bitmod_want(FMT_BITMOD_FP4, codes[hh], ea));
                }
}

static void bitmod_fp3_decode_all(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("bitmod_fp3_decode_all", 12));
    for (int rep = 0; rep < 3000; rep++) {
        uint8_t bytes[12];
        for (int i = 0; i < 12; i++)
            bytes[i] = (uint8_t)mp_rng_below(&r, 256);
        uint32_t w0, w1, w2;
        memcpy(&w0, bytes, 4);
        memcpy(&w1, bytes + 4, 4);
        memcpy(&w2, bytes + 8, 4);
        int ea = rep & 1;
        for (int j = 0; j < 4; j++) {
            uint32_t c24 = kr_fp3_chunk(w0, w1, w2, j);
            for (int i = 0; i < 4; i++) {
                uint32_t h = kr_fp3_decode(c24, i, kr_fp3_t_hi(ea));
                for (int hh = 0; hh < 2; hh++) {
                    int idx = 8 * j + (hh ? kr_pair_hi[KR_PAIR_U4][i] : kr_pair_lo[KR_PAIR_U4][i]);
                    uint32_t code = pack_get_bits(bytes, idx, 3);
                    assert_true(h16v(h, hh) == (double)bitmod_want(FMT_BITMOD_FP3, code, ea));
                }
            }
        }
    }
}

/* Every pair byte of both OliVe types: the table gives unpack_matrix's grid values. */
static void olive_lut_all(void **state)
{
    (void)state;
    uint32_t lut[512];
    kr_olive_lut(FMT_OLIVE_INT4, FMT_OLIVE_FLINT4, lut);
    for (int t = 0; t < 2; t++) {
        FmtId fmt = t ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4;
        const FmtDesc *f = fmt_get(fmt);
        for (int b = 0; b < 256; b++) {
            uint8_t lo, hi;
            uint32_t v = lut[256 * t + b];
            if (pack_olive_byte_decode(fmt, (uint8_t)b, &lo, &hi) != 0) {
                assert_int_equal(v, 0);
                continue;
            }
            assert_true(h16v(v, 0) == (lo == 8 ? 0.0 : (double)f->value[lo]));
            assert_true(h16v(v, 1) == (hi == 8 ? 0.0 : (double)f->value[hi]));
        }
    }
}

/* GEMV v6's pair tables: every entry of both BitMoD tables and both types is the pair of golden
 * values; and, through a table image laid out as the kernel fills it (entry e of replica r at word
 * R e + r), the address kr_tab_pair_addr computes for pair p of a random lane stream reads the
 * values of codes 2p and 2p + 1 of that stream (both replica counts, FP3's straddling fields too).
 * Lanes of one warp meet in a bank at most twice for R = 16 and never for R = 32. */
static void pair_tables_all(void **state)
{
    (void)state;
    for (int ea = 0; ea < 2; ea++) {
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t v = kr_fp4_pair(b, ea);
            assert_true(h16v(v, 0) == (double)bitmod_want(FMT_BITMOD_FP4, b & 15u, ea));
            assert_true(h16v(v, 1) == (double)bitmod_want(FMT_BITMOD_FP4, b >> 4, ea));
        }
        for (uint32_t b = 0; b < 64; b++) {
            uint32_t v = kr_fp3_pair(b, ea);
            assert_true(h16v(v, 0) == (double)bitmod_want(FMT_BITMOD_FP3, b & 7u, ea));
            assert_true(h16v(v, 1) == (double)bitmod_want(FMT_BITMOD_FP3, b >> 3, ea));
        }
    }
    MpRng r;
    mp_rng_seed(&r, tu_seed("pair_tables_all", 14));
    static uint32_t img[2 * 256 * 32];
    for (int fp3 = 0; fp3 < 2; fp3++)
        for (int R = 16; R <= 32; R *= 2) {
            const int nb = fp3 ? 6 : 8, s0 = R == 32 ? 7 : 6, nwords = fp3 ? 3 : 4, entries = 2 << nb;
            for (int e = 0; e < entries; e++)
                for (int rep = 0; rep < R; rep++)
                    img[R * e + rep] = fp3 ? kr_fp3_pair((uint32_t)e & 63u, e >> 6) : kr_fp4_pair((uint32_t)e & 255u, e >> 8);
            for (int trial = 0; trial < 400; trial++) {
                const int ea = (int)mp_rng_below(&r, 2);
                uint32_t w[32][4], addr[32];
                for (int lane = 0; lane < 32; lane++)
                    for (int q = 0; q < nwords; q++)
                        w[lane][q] = (uint32_t)mp_rng_u64(&r);
                for (int pair = 0; pair < 16; pair++) {
                    for (int lane = 0; lane < 32; lane++) {
                        const uint32_t base = (uint32_t)ea << (nb + s0) | (uint32_t)(lane & (R - 1)) << 2;
                        addr[lane] = kr_tab_pair_addr(w[lane], nb, pair, s0, base);
                        assert_int_equal(addr[lane] % 4, 0);
                        assert_true(addr[lane] / 4 < (uint32_t)(entries * R));
                        uint8_t bytes[16];
                        memcpy(bytes, w[lane], sizeof bytes);
                        const uint32_t v = img[addr[lane] / 4];
                        for (int hh = 0; hh < 2; hh++) {
                            const uint32_t code = pack_get_bits(bytes, 2 * pair + hh, fp3 ? 3 : 4);
                            assert_true(h16v(v, hh) ==
                                        (double)bitmod_want(fp3 ? FMT_BITMOD_FP3 : FMT_BITMOD_FP4, code, ea));
                        }
                    }
                    int worst = 0; /* distinct words per bank */
                    for (int bank = 0; bank < 32; bank++) {
                        uint32_t seen[32];
                        int n = 0;
                        for (int lane = 0; lane < 32; lane++) {
                            const uint32_t wd = addr[lane] / 4;
                            if ((int)(wd % 32) != bank)
                                continue;
                            int dup = 0;
                            for (int k = 0; k < n; k++)
                                dup |= seen[k] == wd;
                            if (!dup)
                                seen[n++] = wd;
                        }
                        worst = n > worst ? n : worst;
                    }
                    assert_true(worst <= (R == 32 ? 1 : 2));
                }
            }
        }
}

/* Activations are paired exactly like the weights of the same decoder. */
static void pairings_match(void **state)
{
    (void)state;
    uint32_t xr[4], q[4];
    for (int i = 0; i < 4; i++) /* x_e = fp16(e + 1) */
        xr[i] = (uint32_t)fp16_from_f64(2 * i + 1) | (uint32_t)fp16_from_f64(2 * i + 2) << 16;
    kr_xpair_u4(xr, q);
    for (int i = 0; i < 4; i++) {
        assert_true(h16v(q[i], 0) == kr_pair_lo[KR_PAIR_U4][i] + 1);
        assert_true(h16v(q[i], 1) == kr_pair_hi[KR_PAIR_U4][i] + 1);
    }
    kr_xpair_fp4(xr, q);
    for (int i = 0; i < 4; i++) {
        assert_true(h16v(q[i], 0) == kr_pair_lo[KR_PAIR_FP4][i] + 1);
        assert_true(h16v(q[i], 1) == kr_pair_hi[KR_PAIR_FP4][i] + 1);
    }
    uint32_t x0 = 0x03020100u, x1 = 0x07060504u; /* int8 x_e = e */
    for (int hi = 0; hi < 2; hi++) {
        uint32_t v = kr_xpair_s8(x0, x1, hi);
        for (int b = 0; b < 4; b++)
            assert_int_equal((v >> (8 * b)) & 255u, (uint32_t)(2 * b + hi));
    }
}

/* Shared-memory layouts free of bank conflicts. A warp-wide access of 16-byte (8-byte) words is
 * served in phases of 8 (16) lanes; each phase must hit distinct 16-byte (8-byte) bank groups. */
static void assert_phases_conflict_free(const size_t off[32], int bytes)
{
    const int per = 128 / bytes; /* lanes per phase */
    for (int ph = 0; ph < 32 / per; ph++) {
        unsigned seen = 0;
        for (int l = per * ph; l < per * ph + per; l++) {
            const int q = kr_bank(off[l]) / (bytes / 4);
            assert_false(seen & (1u << q));
            seen |= 1u << q;
        }
    }
}

/* GEMM v2/v3's raw slices (kr_swz_w): a permutation of each 64-byte row; the cp.async copies
 * (thread i: row i / 4, chunk i % 4) and the decode's reads (thread i: row i, chunk c of half h)
 * are conflict-free. GEMV v5's bulk-copy ring (row stride 320 bytes, FP3 304: 64 or 48 mod 128):
 * lane (g, t) reads 16 bytes of row g at 64u + 16t, or FP3 words at 48u + 12t + 4i. */
static void smem_layouts_conflict_free(void **state)
{
    (void)state;
    size_t off[32];
    for (int r = 0; r < 64; r++) {
        unsigned seen = 0; /* bit masks are unsigned: 1 << 31 on an int is undefined (UBSan) */
        for (int c = 0; c < 4; c++)
            seen |= 1u << kr_swz_w(r, c);
        assert_int_equal(seen, 15);
    }
    for (int base = 0; base < 256; base += 32) { /* a warp's 32 threads of a block */
        for (int l = 0; l < 32; l++) {
            const int i = base + l;
            off[l] = (size_t)(i / 4) * 64 + (size_t)kr_swz_w(i / 4, i % 4) * 16;
        }
        assert_phases_conflict_free(off, 16);
        for (int hc = 0; hc < 4; hc++) { /* chunk 2h + c of the decode */
            for (int l = 0; l < 32; l++)
                off[l] = (size_t)(base + l) * 64 + (size_t)kr_swz_w(base + l, hc) * 16;
            assert_phases_conflict_free(off, 16);
        }
    }
    for (int u = 0; u < 4; u++) {
        for (int h = 0; h < 2; h++) { /* rows g and g + 8 */
            for (int l = 0; l < 32; l++)
                off[l] = (size_t)((l >> 2) + 8 * h) * 320 + 64 * u + 16 * (l & 3);
            assert_phases_conflict_free(off, 16);
        }
        for (int i = 0; i < 3; i++) { /* FP3: 4-byte words, one phase of 32 lanes */
            unsigned b = 0;
            for (int l = 0; l < 32; l++)
                b |= 1u << kr_bank((size_t)(l >> 2) * 304 + 48 * u + 12 * (l & 3) + 4 * i);
            assert_int_equal(b, 0xffffffffu);
        }
    }
}

/* GEMM v2: decoder outputs re-paired into natural k order; FP3 chunks anywhere in a row; the
 * ldmatrix swizzle keeps the 8 rows of every 8x8 matrix in distinct bank groups. */
static void natural_order_helpers(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("natural_order_helpers", 13));
    for (int rep = 0; rep < 500; rep++) {
        uint32_t w = (uint32_t)mp_rng_u64(&r);
        for (int pr = 0; pr < KR_PAIR_COUNT; pr++) {
            uint32_t pp[4], nat[4];
            for (int i = 0; i < 4; i++) /* tag each half with its code index */
                pp[i] = (uint32_t)kr_pair_lo[pr][i] | (uint32_t)kr_pair_hi[pr][i] << 16;
            kr_nat_pairs(pr, pp, nat);
            for (int i = 0; i < 4; i++) {
                assert_int_equal(nat[i] & 0xffff, (uint32_t)(2 * i));
                assert_int_equal(nat[i] >> 16, (uint32_t)(2 * i + 1));
            }
        }
        uint32_t z = (uint32_t)mp_rng_below(&r, 16), zz = z * 0x01010101u;
        uint32_t lo = kr_s8_uz(w, 0, zz), hi = kr_s8_uz(w, 1, zz);
        for (int half = 0; half < 2; half++) {
            uint32_t v = kr_nat_s8(lo, hi, half);
            for (int b = 0; b < 4; b++)
                assert_int_equal((int8_t)(v >> (8 * b)), (int)nib(w, 4 * half + b) - (int)z);
        }
        uint8_t row[52];
        uint32_t words[13];
        for (int i = 0; i < 52; i++)
            row[i] = (uint8_t)mp_rng_below(&r, 256);
        memcpy(words, row, sizeof words);
        for (int j = 0; j < 16; j++) {
            uint32_t c24 = kr_fp3_chunk_at(words, j);
            for (int i = 0; i < 8; i++)
                assert_int_equal((c24 >> (3 * i)) & 7u, pack_get_bits(row, 8 * j + i, 3));
        }
        for (int h = 0; h < 2; h++) /* the kernel reads half a row: 6 words from 24 h bytes */
            for (int jj = 0; jj < 8; jj++) {
                uint32_t c24 = kr_fp3_chunk_at(words + 6 * h, jj);
                for (int i = 0; i < 8; i++)
                    assert_int_equal((c24 >> (3 * i)) & 7u, pack_get_bits(row, 64 * h + 8 * jj + i, 3));
            }
    }
    for (int r0 = 0; r0 < 64; r0 += 8)
        for (int c = 0; c < 16; c++) {
            unsigned seen = 0;
            for (int rr = r0; rr < r0 + 8; rr++)
                seen |= 1u << (kr_swz_ld(rr, c) & 7);
            assert_int_equal(seen, 0xff);
        }
}

static void row_map_props(void **state)
{
    (void)state;
    int a[500], b[500];
    kr_row_map(5, 500, 64, a);
    kr_row_map(5, 500, 64, b);
    assert_memory_equal(a, b, sizeof a);
    int hit[64] = {0};
    for (int i = 0; i < 500; i++) {
        assert_true(a[i] >= 0 && a[i] < 64);
        if (i < 64)
            assert_int_equal(a[i], i);
        hit[a[i]]++;
    }
    for (int i = 0; i < 64; i++)
        assert_true(hit[i] >= 1);
}

/* Quantize and pack random LLM-like W (n x k) and X (m x k) for kernel kk. */
static void make_inputs(KrKernel kk, uint64_t seed, int n, int m, int k, QMat *qw, QMat *qx, PackedMat *pw,
                        PackedMat *px)
{
    SynParams sp;
    syn_params_default(&sp);
    float *w = malloc((size_t)n * k * sizeof *w), *x = malloc((size_t)m * k * sizeof *x);
    MpErr e = {0};
    assert_int_equal(syn_weights(&sp, seed, (size_t)n, (size_t)k, w, &e), MP_OK);
    assert_int_equal(syn_acts(&sp, seed + 1, (size_t)m, (size_t)k, x, NULL, &e), MP_OK);
    const NumFormat *f = kr_format(kk);
    assert_non_null(f);
    assert_int_equal(quant_matrix(&f->wq, w, n, k, qw, &e), MP_OK);
    assert_int_equal(quant_matrix(&f->xq, x, m, k, qx, &e), MP_OK);
    assert_int_equal(pack_matrix(qw, pw, &e), MP_OK);
    assert_int_equal(pack_matrix(qx, px, &e), MP_OK);
    free(w);
    free(x);
}

/* The emulated kernel (GEMV v1) against golden_gemm_hw: integer kernels bit for bit, float kernels
 * within kr_bound of every output. */
static void emulation_vs_golden(void **state)
{
    (void)state;
    unsigned long long seed = tu_seed("emulation_vs_golden", 2024);
    const int N = 40, M = 11, K = 640; /* N, M not multiples of the tiles: clamped rows, zero tokens */
    for (int kk = 0; kk < KR_KERNEL_COUNT; kk++) {
        QMat qw, qx;
        PackedMat pw, px;
        make_inputs((KrKernel)kk, seed + 17 * kk, N, M, K, &qw, &qx, &pw, &px);
        const NumFormat *f = kr_format((KrKernel)kk);
        float *yg = malloc((size_t)M * N * sizeof *yg), *ye = malloc((size_t)M * N * sizeof *ye);
        MpErr e = {0};
        assert_int_equal(golden_gemm_hw(f->kind, &qw, &qx, yg, &e), MP_OK);
        memset(ye, 0xff, (size_t)M * N * sizeof *ye);
        assert_int_equal(kr_emu((KrKernel)kk, &pw, &px, ye, &e), MP_OK);
        double worst = 0;
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                float a = ye[(size_t)m * N + n], b = yg[(size_t)m * N + n];
                assert_true(isfinite(a));
                if (kr_is_exact((KrKernel)kk)) {
                    if (memcmp(&a, &b, 4) != 0)
                        fail_msg("%s m=%d n=%d: emulated %.9g golden %.9g", f->name, m, n, (double)a, (double)b);
                    continue;
                }
                double S = 0;
                for (int k = 0; k < K; k++)
                    S += fabs(quant_value(&qw, n, k) * quant_value(&qx, m, k));
                double bnd = kr_bound((KrKernel)kk, K, K / 128, S, golden_error_bound(f->kind, &qw, n, &qx, m));
                double d = fabs((double)a - (double)b);
                if (!(d <= bnd))
                    fail_msg("%s m=%d n=%d: |%.9g - %.9g| = %g > bound %g", f->name, m, n, (double)a, (double)b, d, bnd);
                if (bnd > 0 && d / bnd > worst)
                    worst = d / bnd;
            }
        printf("# %-12s %s (worst error / bound %.3g)\n", f->name,
               kr_is_exact((KrKernel)kk) ? "bit-exact" : "within bound", worst);
        free(yg);
        free(ye);
        quant_free(&qw);
        quant_free(&qx);
        pack_free(&pw);
        pack_free(&px);
    }
}

/* The bound is a bound on the float kernels' own arithmetic, not vacuous: for the MixPE W4A16
 * emulation the observed error stays far below it, and the bound stays below 1e-4 S for K = 4096. */
static void bound_is_tight_enough(void **state)
{
    (void)state;
    double b = kr_bound(KR_MIXPE_W4A16, 4096, 32, 1.0, 0.0);
    assert_true(b > 0 && b < 1e-4);
    b = kr_bound(KR_W4A16_DQ, 4096, 32, 1.0, 0.0);
    assert_true(b > 0 && b < 2e-3);
    assert_true(kr_bound(KR_MIXPE_W4A8, 4096, 32, 1.0, 1.0) == 0.0);
    assert_true(kr_bound(KR_OLIVE_W4A4, 4096, 32, 1.0, 1.0) == 0.0);
}

/* kr_step's OliVe activation quantizer (kr_step_olive.h, the functions its GPU kernels call) gives
 * the bytes, scale and type of models/ (quant_matrix with olive-w4a4's activation parameters,
 * pack_matrix) on synthetic activations with outliers and on a skewed tensor. */
static void step_olive_vs_models(void **state)
{
    (void)state;
    KsOliveTab t;
    memset(&t, 0, sizeof t);
    ks_olive_tab_init(&t);
    const QParams *xq = &kr_format(KR_OLIVE_W4A4)->xq;
    int types_seen[2] = {0, 0};
    for (int trial = 0; trial < 6; trial++) {
        const int m = 1 + 5 * trial, k = 256 + 128 * trial;
        float *x = malloc((size_t)m * k * sizeof *x);
        SynParams sp;
        syn_params_default(&sp);
        MpErr e = {0};
        assert_int_equal(syn_acts(&sp, 0x0711e + (uint64_t)trial, (size_t)m, (size_t)k, x, NULL, &e), MP_OK);
        if (trial % 2) /* skewed: all positive, a heavier tail */
            for (int i = 0; i < m * k; i++)
                x[i] = fabsf(x[i]) * (1.0f + (float)(i % 7));
        QMat q;
        PackedMat p;
        assert_int_equal(quant_matrix(xq, x, m, k, &q, &e), MP_OK);
        assert_int_equal(pack_matrix(&q, &p, &e), MP_OK);
        uint8_t *b = malloc((size_t)m * k / 2);
        float s;
        int ty;
        ks_olive_quant_host(&t, x, m, k, b, &s, &ty);
        types_seen[ty] = 1;
        assert_int_equal(ty, p.type);
        assert_true(memcmp(&s, &p.scale32[0], 4) == 0);
        for (int r = 0; r < m; r++)
            assert_memory_equal(b + (size_t)r * k / 2, p.codes + (size_t)r * p.row_bytes, (size_t)k / 2);
        free(b);
        free(x);
        quant_free(&q);
        pack_free(&p);
    }
    printf("# OliVe activation encoder: 6 tensors equal to models/ (types seen: int4 %d, flint4 %d)\n", types_seen[0],
           types_seen[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prmt_semantics),       cmocka_unit_test(uint4_decode_all),
        cmocka_unit_test(bitmod_fp4_decode_all), cmocka_unit_test(bitmod_fp3_decode_all),
        cmocka_unit_test(olive_lut_all),         cmocka_unit_test(pair_tables_all),         cmocka_unit_test(pairings_match),
        cmocka_unit_test(smem_layouts_conflict_free), cmocka_unit_test(natural_order_helpers),
        cmocka_unit_test(row_map_props),
        cmocka_unit_test(emulation_vs_golden),   cmocka_unit_test(bound_is_tight_enough),
        cmocka_unit_test(step_olive_vs_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
