/* traces/gguf_quant.c — ggml's tensor types: names, block geometry, and dequantization to
 * float32 bit-exact with the reference `gguf` Python package (gguf.quants, numpy float32).
 *
 * Exactness: every product and sum below is one float32 operation, in the order the reference
 * does them (so e.g. Q4_1 is fl(fl(d*q) + m), two roundings, never a fused multiply-add:
 * -std=c11 keeps -ffp-contract=off). fp16 fields widen to float32 exactly.
 *
 * Block layouts (all multi-byte fields little-endian; "f16" is IEEE binary16; element i of a
 * block is the i-th element of the row segment the block covers):
 *
 *   Q4_0  32 elems, 18 bytes   OFF SIZE: 0 2 d (f16) | 2 16 qs
 *         q[i] = low nibble of qs[i] (i < 16), high nibble of qs[i-16] (i >= 16)
 *         x[i] = d * (q[i] - 8)
 *   Q4_1  32 elems, 20 bytes   0 2 d (f16) | 2 2 m (f16) | 4 16 qs (nibbles as Q4_0)
 *         x[i] = d * q[i] + m
 *   Q5_0  32 elems, 22 bytes   0 2 d (f16) | 2 4 qh (u32) | 6 16 qs (nibbles as Q4_0)
 *         q[i] = nibble[i] | (bit i of qh) << 4;  x[i] = d * (q[i] - 16)
 *   Q5_1  32 elems, 24 bytes   0 2 d | 2 2 m | 4 4 qh | 8 16 qs;  x[i] = d * q[i] + m (q as Q5_0)
 *   Q8_0  32 elems, 34 bytes   0 2 d (f16) | 2 32 qs (i8);  x[i] = qs[i] * d
 *
 * The K-quants cover 256 elements in sub-blocks of 16 or 32, each with its own integer scale
 * (and min) that the block's f16 super-scale multiplies first (one rounding), then the code:
 *
 *   Q2_K  256, 84 bytes        0 16 scales | 16 64 qs | 80 2 d | 82 2 dmin
 *         sub-block s = i/16 (16 of them): sc = scales[s] & 15, mn = scales[s] >> 4
 *         q[i] = (qs[32*(i/128) + i%32] >> 2*((i/32)%4)) & 3
 *         x[i] = (d*sc) * q[i] - (dmin*mn)
 *   Q3_K  256, 110 bytes       0 32 hmask | 32 64 qs | 96 12 scales | 108 2 d
 *         6-bit scales: low 4 bits of scale s: scales[s] & 15 (s < 8), scales[s-8] >> 4 (s >= 8);
 *         high 2 bits: (scales[8 + s%4] >> 2*(s/4)) & 3;  scale = that 6-bit value - 32
 *         low 2 bits of q[i]: (qs[32*(i/128) + i%32] >> 2*((i/32)%4)) & 3
 *         high bit: h = (hmask[i%32] >> (i/32)) & 1; q[i] = low - 4*(1-h)  (set bit: no offset)
 *         x[i] = (d*scale[i/16]) * q[i]
 *   Q4_K  256, 144 bytes       0 2 d | 2 2 dmin | 4 12 scales | 16 128 qs
 *         8 sub-blocks of 32, 6-bit scale sc[s] and min mn[s] packed in the 12 bytes b:
 *           s < 4:  sc = b[s] & 63,                       mn = b[s+4] & 63
 *           s >= 4: sc = (b[s+4] & 15) | (b[s-4] >> 6) << 4, mn = (b[s+4] >> 4) | (b[s] >> 6) << 4
 *         q[i] = (qs[32*(i/64) + i%32] >> 4*((i/32)%2)) & 15
 *         x[i] = (d*sc[i/32]) * q[i] - (dmin*mn[i/32])
 *   Q5_K  256, 176 bytes       0 2 d | 2 2 dmin | 4 12 scales | 16 32 qh | 48 128 qs
 *         as Q4_K, with q[i] |= ((qh[i%32] >> (i/32)) & 1) << 4
 *   Q6_K  256, 210 bytes       0 128 ql | 128 64 qh | 192 16 scales (i8) | 208 2 d
 *         low 4 bits: (ql[64*(i/128) + i%64] >> 4*((i/64)%2)) & 15
 *         high 2 bits: (qh[32*(i/128) + i%32] >> 2*((i/32)%4)) & 3
 *         x[i] = (d*scales[i/16]) * (q[i] - 32)
 *   F32, F16, BF16: one element per "block"; BF16 is the top half of a binary32.
 */
#include <string.h>

#include "models/fpx.h"
#include "traces/gguf.h"

static const struct {
    const char *name;
    unsigned elems, bytes;
    int dequant;  /* gguf_dequant converts it */
} type_tab[GGML_TYPE_CODES] = {
    [GGML_F32] = {"F32", 1, 4, 1},          [GGML_F16] = {"F16", 1, 2, 1},
    [GGML_Q4_0] = {"Q4_0", 32, 18, 1},      [GGML_Q4_1] = {"Q4_1", 32, 20, 1},
    [GGML_Q5_0] = {"Q5_0", 32, 22, 1},      [GGML_Q5_1] = {"Q5_1", 32, 24, 1},
    [GGML_Q8_0] = {"Q8_0", 32, 34, 1},      [GGML_Q8_1] = {"Q8_1", 32, 36, 0},
    [GGML_Q2_K] = {"Q2_K", 256, 84, 1},     [GGML_Q3_K] = {"Q3_K", 256, 110, 1},
    [GGML_Q4_K] = {"Q4_K", 256, 144, 1},    [GGML_Q5_K] = {"Q5_K", 256, 176, 1},
    [GGML_Q6_K] = {"Q6_K", 256, 210, 1},    [GGML_Q8_K] = {"Q8_K", 256, 292, 0},
    [GGML_IQ2_XXS] = {"IQ2_XXS", 256, 66, 0}, [GGML_IQ2_XS] = {"IQ2_XS", 256, 74, 0},
    [GGML_IQ3_XXS] = {"IQ3_XXS", 256, 98, 0}, [GGML_IQ1_S] = {"IQ1_S", 256, 50, 0},
    [GGML_IQ4_NL] = {"IQ4_NL", 32, 18, 0},  [GGML_IQ3_S] = {"IQ3_S", 256, 110, 0},
    [GGML_IQ2_S] = {"IQ2_S", 256, 82, 0},   [GGML_IQ4_XS] = {"IQ4_XS", 256, 136, 0},
    [GGML_I8] = {"I8", 1, 1, 0},            [GGML_I16] = {"I16", 1, 2, 0},
    [GGML_I32] = {"I32", 1, 4, 0},          [GGML_I64] = {"I64", 1, 8, 0},
    [GGML_F64] = {"F64", 1, 8, 0},          [GGML_IQ1_M] = {"IQ1_M", 256, 56, 0},
    [GGML_BF16] = {"BF16", 1, 2, 1},        [GGML_TQ1_0] = {"TQ1_0", 256, 54, 0},
    [GGML_TQ2_0] = {"TQ2_0", 256, 66, 0},   [GGML_MXFP4] = {"MXFP4", 32, 17, 0},
    [GGML_NVFP4] = {"NVFP4", 64, 36, 0},    [GGML_Q1_0] = {"Q1_0", 128, 18, 0},
};
/* Q8_1 is 36 bytes as ggml lays it out (f16 d, f16 sum, 32 i8); the reference package's size
 * table says 40 and it has no dequantizer for it, so it is not converted here. */

const char *ggml_type_name(int code)
{
    if (code < 0 || code >= GGML_TYPE_CODES)
        return NULL;
    return type_tab[code].name;
}

int ggml_type_block(int code, unsigned *elems, unsigned *bytes)
{
    if (!ggml_type_name(code))
        return -1;
    *elems = type_tab[code].elems;
    *bytes = type_tab[code].bytes;
    return 0;
}

int ggml_type_can_dequant(int code) { return ggml_type_name(code) && type_tab[code].dequant; }

static inline float f16at(const unsigned char *p) { return fp16_to_f32((uint16_t)(p[0] | p[1] << 8)); }

static void deq_q4_0(const unsigned char *b, float *x)
{
    const float d = f16at(b);
    for (int i = 0; i < 16; i++) {
        x[i] = d * (float)((b[2 + i] & 15) - 8);
        x[i + 16] = d * (float)((b[2 + i] >> 4) - 8);
    }
}

static void deq_q4_1(const unsigned char *b, float *x)
{
    const float d = f16at(b), m = f16at(b + 2);
    for (int i = 0; i < 16; i++) {
        x[i] = d * (float)(b[4 + i] & 15) + m;
        x[i + 16] = d * (float)(b[4 + i] >> 4) + m;
    }
}

static void deq_q5(const unsigned char *b, float *x, int has_min)
{
    const float d = f16at(b), m = has_min ? f16at(b + 2) : 0.0f;
    const unsigned char *p = b + (has_min ? 4 : 2);
    const uint32_t qh = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    const unsigned char *qs = p + 4;
    for (int i = 0; i < 32; i++) {
        int q = (i < 16 ? qs[i] & 15 : qs[i - 16] >> 4) | (int)((qh >> i) & 1) << 4;
        if (has_min)
            x[i] = d * (float)q + m;
        else
            x[i] = d * (float)(q - 16);
    }
}

static void deq_q8_0(const unsigned char *b, float *x)
{
    const float d = f16at(b);
    for (int i = 0; i < 32; i++)
        x[i] = (float)(int8_t)b[2 + i] * d;
}

static void deq_q2_k(const unsigned char *b, float *x)
{
    const unsigned char *sc = b, *qs = b + 16;
    const float d = f16at(b + 80), dmin = f16at(b + 82);
    for (int i = 0; i < 256; i++) {
        const int s = i / 16;
        const float dl = d * (float)(sc[s] & 15), ml = dmin * (float)(sc[s] >> 4);
        const int q = (qs[32 * (i / 128) + i % 32] >> 2 * ((i / 32) % 4)) & 3;
        x[i] = dl * (float)q - ml;
    }
}

static void deq_q3_k(const unsigned char *b, float *x)
{
    const unsigned char *hm = b, *qs = b + 32, *sc = b + 96;
    const float d = f16at(b + 108);
    float dl[16];
    for (int s = 0; s < 16; s++) {
        int lo = s < 8 ? sc[s] & 15 : sc[s - 8] >> 4;
        int hi = (sc[8 + s % 4] >> 2 * (s / 4)) & 3;
        dl[s] = d * (float)((lo | hi << 4) - 32);
    }
    for (int i = 0; i < 256; i++) {
        const int lo = (qs[32 * (i / 128) + i % 32] >> 2 * ((i / 32) % 4)) & 3;
        const int h = (hm[i % 32] >> (i / 32)) & 1;
        x[i] = dl[i / 16] * (float)(lo - 4 * (1 - h));
    }
}

/* The 6-bit scales and mins of Q4_K and Q5_K (layout in the file comment). */
static void k_scale_min(const unsigned char *b, int s, int *sc, int *mn)
{
    if (s < 4) {
        *sc = b[s] & 63;
        *mn = b[s + 4] & 63;
    } else {
        *sc = (b[s + 4] & 15) | (b[s - 4] >> 6) << 4;
        *mn = (b[s + 4] >> 4) | (b[s] >> 6) << 4;
    }
}

static void deq_q45_k(const unsigned char *b, float *x, int five)
{
    const float d = f16at(b), dmin = f16at(b + 2);
    const unsigned char *qh = b + 16, *qs = b + (five ? 48 : 16);
    float dl[8], ml[8];
    for (int s = 0; s < 8; s++) {
        int sc, mn;
        k_scale_min(b + 4, s, &sc, &mn);
        dl[s] = d * (float)sc;
        ml[s] = dmin * (float)mn;
    }
    for (int i = 0; i < 256; i++) {
        int q = (qs[32 * (i / 64) + i % 32] >> 4 * ((i / 32) % 2)) & 15;
        if (five)
            q |= ((qh[i % 32] >> (i / 32)) & 1) << 4;
        x[i] = dl[i / 32] * (float)q - ml[i / 32];
    }
}

static void deq_q6_k(const unsigned char *b, float *x)
{
    const unsigned char *ql = b, *qh = b + 128;
    const float d = f16at(b + 208);
    float dl[16];
    for (int s = 0; s < 16; s++)
        dl[s] = d * (float)(int8_t)b[192 + s];
    for (int i = 0; i < 256; i++) {
        const int lo = (ql[64 * (i / 128) + i % 64] >> 4 * ((i / 64) % 2)) & 15;
        const int hi = (qh[32 * (i / 128) + i % 32] >> 2 * ((i / 32) % 4)) & 3;
        x[i] = dl[i / 16] * (float)((lo | hi << 4) - 32);
    }
}

int gguf_dequant(int code, const void *src, uint64_t nblocks, float *dst)
{
    const unsigned char *b = src;
    if (!ggml_type_can_dequant(code))
        return -1;
    const unsigned bs = type_tab[code].bytes, be = type_tab[code].elems;
    for (uint64_t k = 0; k < nblocks; k++, b += bs, dst += be) {
        switch (code) {
        case GGML_F32: memcpy(dst, b, 4); break;  /* little-endian host (x86-64, aarch64) */
        case GGML_F16: *dst = f16at(b); break;
        case GGML_BF16: *dst = bf16_to_f32((uint16_t)(b[0] | b[1] << 8)); break;
        case GGML_Q4_0: deq_q4_0(b, dst); break;
        case GGML_Q4_1: deq_q4_1(b, dst); break;
        case GGML_Q5_0: deq_q5(b, dst, 0); break;
        case GGML_Q5_1: deq_q5(b, dst, 1); break;
        case GGML_Q8_0: deq_q8_0(b, dst); break;
        case GGML_Q2_K: deq_q2_k(b, dst); break;
        case GGML_Q3_K: deq_q3_k(b, dst); break;
        case GGML_Q4_K: deq_q45_k(b, dst, 0); break;
        case GGML_Q5_K: deq_q45_k(b, dst, 1); break;
        case GGML_Q6_K: deq_q6_k(b, dst); break;
        default: return -1;
        }
    }
    return 0;
}
