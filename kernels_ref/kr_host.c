/* kernels_ref/kr_host.c — see kr_host.h. */
#include "kernels_ref/kr_host.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "kernels_ref/kr_decode.h"
#include "models/fpx.h"

static const char *const fmt_names[KR_KERNEL_COUNT] = {"mixpe-w4a16", "w4a16-dq",  "mixpe-w4a8",
                                                       "bitmod-w4",   "bitmod-w3", "olive-w4a4"};

const NumFormat *kr_format(KrKernel k) { return (int)k >= 0 && k < KR_KERNEL_COUNT ? num_format_find(fmt_names[k]) : NULL; }

int kr_is_exact(KrKernel k) { return k == KR_MIXPE_W4A8 || k == KR_OLIVE_W4A4; }

/* ---------------------------------------------------------------- OliVe table */

static void olive_lut1(FmtId fmt, uint32_t *out)
{
    const FmtDesc *f = fmt_get(fmt);
    for (int b = 0; b < 256; b++) {
        uint8_t lo, hi;
        uint32_t v = 0;
        if (pack_olive_byte_decode(fmt, (uint8_t)b, &lo, &hi) == 0) {
            int32_t a = lo == 8 ? 0 : f->value[lo], c = hi == 8 ? 0 : f->value[hi];
            v = (uint32_t)fp16_from_f64((double)a) | (uint32_t)fp16_from_f64((double)c) << 16; /* |v| <= 192: exact */
        }
        out[b] = v;
    }
}

void kr_olive_lut(FmtId wfmt, FmtId xfmt, uint32_t out[512])
{
    olive_lut1(wfmt, out);
    olive_lut1(xfmt, out + 256);
}

/* ---------------------------------------------------------------- bounds */

double kr_bound(KrKernel k, int K, int G, double S, double golden_bound)
{
    const double u = 0x1p-24, grp = 8 * KR_TC_STEP; /* 8 k16 steps per group of 128 */
    switch (k) {
    case KR_MIXPE_W4A16:
    case KR_BITMOD_W4:
    case KR_BITMOD_W3:
        /* kernel vs ideal: each group sum from 8 tensor-core steps starting at 0 (grp u S_g), one
         * fp32 FMA per group (u S each), up to 8 additions of K parts; plus the golden datapath's
         * own distance from ideal */
        return 1.01 * (grp + G + 10) * u * S + golden_bound;
    case KR_W4A16_DQ:
        /* the same fp16 weights as golden; only the fp32 summation differs: golden's K FMAs
         * (K u S), the kernel's GEMV (grp u S + G additions) or GEMM (K/16 chained steps) */
        return 1.02 * ((KR_TC_STEP / 16.0) * K + K + grp + G + 10) * u * S;
    default: return 0.0;
    }
}

/* ---------------------------------------------------------------- warp emulation */

typedef struct EmuP {
    uint32_t a, b;
    float s;
} EmuP;

static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static EmuP emu_rp(KrKernel k, const PackedMat *w, int row, int gi)
{
    EmuP p = {0, 0, 1.0f};
    size_t gidx = (size_t)row * w->ngroups + gi;
    if (k == KR_MIXPE_W4A16 || k == KR_W4A16_DQ || k == KR_MIXPE_W4A8) {
        uint32_t z = (w->zero4[(size_t)row * w->zero_row_bytes + gi / 2] >> ((gi & 1) * 4)) & 15u;
        uint32_t s16 = w->scale16[gidx];
        p.a = k == KR_MIXPE_W4A8 ? z * 0x01010101u : kr_u4_bias(z);
        p.b = s16 | s16 << 16;
        p.s = fp16_to_f32((uint16_t)s16);
    } else if (k == KR_BITMOD_W4 || k == KR_BITMOD_W3) {
        int ea = w->meta[gidx] & 1;
        p.a = k == KR_BITMOD_W4 ? kr_fp4_tn_lo(ea) : kr_fp3_t_hi(ea);
        p.s = fp16_to_f32(w->scale16[gidx]) * (k == KR_BITMOD_W4 ? 0.5f : 1.0f);
    }
    return p;
}

static uint32_t h2_op(uint32_t a, uint32_t b, int mul)
{
    uint16_t lo = mul ? fp16_mul((uint16_t)a, (uint16_t)b) : fp16_sub((uint16_t)a, (uint16_t)b);
    uint16_t hi = mul ? fp16_mul((uint16_t)(a >> 16), (uint16_t)(b >> 16)) : fp16_sub((uint16_t)(a >> 16), (uint16_t)(b >> 16));
    return (uint32_t)lo | (uint32_t)hi << 16;
}

static void emu_dec_w(KrKernel k, uint32_t w, const EmuP *p, const uint32_t *lut, uint32_t h[4])
{
    for (int i = 0; i < 4; i++) {
        switch (k) {
        case KR_MIXPE_W4A16: h[i] = h2_op(kr_u4_magic(w, i), p->a, 0); break;
        case KR_W4A16_DQ: h[i] = h2_op(h2_op(kr_u4_magic(w, i), p->a, 0), p->b, 1); break;
        case KR_BITMOD_W4: h[i] = kr_fp4_decode(w, i, p->a); break;
        case KR_BITMOD_W3: h[i] = kr_fp3_decode(w, i, p->a); break;
        default: h[i] = lut[kr_byte(w, i)]; break;
        }
    }
}

static void emu_dec_x(KrKernel k, const uint32_t *xr, const uint32_t *lutx, uint32_t q[4])
{
    if (k == KR_BITMOD_W4)
        kr_xpair_fp4(xr, q);
    else if (k == KR_OLIVE_W4A4)
        for (int i = 0; i < 4; i++)
            q[i] = lutx[kr_byte(xr[0], i)];
    else
        kr_xpair_u4(xr, q);
}

/* mma.sync over a warp, from the PTX ISA fragment layout: m16n8k16 f32.f16.f16.f32 (s8 = 0, E = 2
 * fp16 per register) or m16n8k32 s32.s8.s8.s32 (s8 = 1, E = 4 int8 per register), lane (g, t):
 * A reg r: row g + 8 (r & 1), k E t .. E t + E - 1, + 4E for r >= 2;
 * B reg r: k E t .. E t + E - 1 (+ 4E r), column g;  C: c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1).
 * Products are exact; C and the 8E products are summed in double, then rounded once to fp32 (f16)
 * or kept (s8: an exact integer). */
static double emu_elem(int s8, uint32_t r, int i)
{
    return s8 ? (double)(int8_t)(r >> (8 * i)) : fp16_to_f64((uint16_t)(r >> (16 * i)));
}
static void emu_mma(int s8, const uint32_t a[32][4], const uint32_t b[32][2], double c[32][4])
{
    const int E = s8 ? 4 : 2;
    double A[16][32], B[32][8];
    for (int l = 0; l < 32; l++) {
        int g = l >> 2, t = l & 3;
        for (int r = 0; r < 4; r++)
            for (int i = 0; i < E; i++)
                A[g + 8 * (r & 1)][E * t + i + 4 * E * (r >> 1)] = emu_elem(s8, a[l][r], i);
        for (int r = 0; r < 2; r++)
            for (int i = 0; i < E; i++)
                B[E * t + i + 4 * E * r][g] = emu_elem(s8, b[l][r], i);
    }
    for (int l = 0; l < 32; l++) {
        int g = l >> 2, t = l & 3;
        for (int e = 0; e < 4; e++) {
            int row = g + 8 * (e >> 1), col = 2 * t + (e & 1);
            double s = c[l][e];
            for (int kk = 0; kk < 8 * E; kk++)
                s += A[row][kk] * B[kk][col];
            c[l][e] = s8 ? s : (double)(float)s;
        }
    }
}

static int check_shapes(KrKernel k, const PackedMat *w, const PackedMat *x, MpErr *e)
{
    const NumFormat *f = kr_format(k);
    if (!f || w->scheme != f->wq.scheme || x->scheme != f->xq.scheme)
        return mp_errf(e, MP_EINPUT, "kr_emu: matrices do not match kernel %s", f ? f->name : "?");
    if (w->cols != x->cols || w->cols % 128 || (w->ngroups != w->cols / 128 && w->scheme != QS_OLIVE))
        return mp_errf(e, MP_EINPUT, "kr_emu: K must be a multiple of 128 and equal for W and X");
    return MP_OK;
}

int kr_emu(KrKernel k, const PackedMat *w, const PackedMat *x, float *y, MpErr *e)
{
    int rc = check_shapes(k, w, x, e);
    if (rc)
        return rc;
    const int N = w->rows, M = x->rows, K = w->cols, G = K / 128;
    const int wb = k == KR_BITMOD_W3 ? 48 : 64, xb = k == KR_MIXPE_W4A8 ? 128 : k == KR_OLIVE_W4A4 ? 64 : 256;
    uint32_t lut[512];
    memset(lut, 0, sizeof lut);
    if (k == KR_OLIVE_W4A4)
        kr_olive_lut(w->type ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4, x->type ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4, lut);
    float *D = mp_calloc((size_t)G * 16 * 8, sizeof *D); /* group sums of one strip x tile */
    float *Sg = mp_calloc((size_t)G * 16, sizeof *Sg);
    if (!D || !Sg) {
        mp_free(D);
        mp_free(Sg);
        return mp_errf(e, MP_ENOMEM, "kr_emu: out of memory");
    }
    for (int n0 = 0; n0 < N; n0 += 16)
        for (int m0 = 0; m0 < M; m0 += 8) {
            for (int gi = 0; gi < G; gi++) {
                uint32_t wa[32][4], wbb[32][4], xr[32][16];
                EmuP pa[32], pb[32];
                for (int l = 0; l < 32; l++) {
                    int g = l >> 2, t = l & 3, ra = n0 + g, rb = ra + 8, tok = m0 + g;
                    ra = ra < N ? ra : N - 1;
                    rb = rb < N ? rb : N - 1;
                    const uint8_t *pwa = w->codes + (size_t)ra * w->row_bytes + (size_t)gi * wb + t * (wb / 4);
                    const uint8_t *pwb = w->codes + (size_t)rb * w->row_bytes + (size_t)gi * wb + t * (wb / 4);
                    for (int i = 0; i < 4; i++) {
                        wa[l][i] = i < wb / 16 ? ld32(pwa + 4 * i) : 0;
                        wbb[l][i] = i < wb / 16 ? ld32(pwb + 4 * i) : 0;
                    }
                    for (int i = 0; i < 16; i++)
                        xr[l][i] = tok < M && i < xb / 16 ? ld32(x->codes + (size_t)tok * x->row_bytes + (size_t)gi * xb +
                                                                  t * (xb / 4) + 4 * i)
                                                          : 0;
                    pa[l] = emu_rp(k, w, ra, gi);
                    pb[l] = emu_rp(k, w, rb, gi);
                }
                double C[32][4]; /* the accumulators: fp32 values, or int32 for W4A8 */
                memset(C, 0, sizeof C);
                for (int j = 0; j < 4; j++) { /* word j of every lane */
                    uint32_t A[32][4], B[32][2], A2[32][4], B2[32][2];
                    for (int l = 0; l < 32; l++) {
                        if (k == KR_MIXPE_W4A8) {
                            A[l][0] = kr_s8_uz(wa[l][j], 0, pa[l].a);
                            A[l][1] = kr_s8_uz(wbb[l][j], 0, pb[l].a);
                            A[l][2] = kr_s8_uz(wa[l][j], 1, pa[l].a);
                            A[l][3] = kr_s8_uz(wbb[l][j], 1, pb[l].a);
                            B[l][0] = kr_xpair_s8(xr[l][2 * j], xr[l][2 * j + 1], 0);
                            B[l][1] = kr_xpair_s8(xr[l][2 * j], xr[l][2 * j + 1], 1);
                            continue;
                        }
                        uint32_t ww = k == KR_BITMOD_W3 ? kr_fp3_chunk(wa[l][0], wa[l][1], wa[l][2], j) : wa[l][j];
                        uint32_t wv = k == KR_BITMOD_W3 ? kr_fp3_chunk(wbb[l][0], wbb[l][1], wbb[l][2], j) : wbb[l][j];
                        uint32_t hA[4], hB[4], q[4];
                        emu_dec_w(k, ww, &pa[l], lut, hA);
                        emu_dec_w(k, wv, &pb[l], lut, hB);
                        emu_dec_x(k, &xr[l][k == KR_OLIVE_W4A4 ? j : 4 * j], lut + 256, q);
                        /* the kernel's operand order: mma(C, hA[0], hB[0], hA[1], hB[1], q0, q1), then 2, 3 */
                        A[l][0] = hA[0], A[l][1] = hB[0], A[l][2] = hA[1], A[l][3] = hB[1];
                        B[l][0] = q[0], B[l][1] = q[1];
                        A2[l][0] = hA[2], A2[l][1] = hB[2], A2[l][2] = hA[3], A2[l][3] = hB[3];
                        B2[l][0] = q[2], B2[l][1] = q[3];
                    }
                    emu_mma(k == KR_MIXPE_W4A8, (const uint32_t(*)[4])A, (const uint32_t(*)[2])B, C);
                    if (k != KR_MIXPE_W4A8)
                        emu_mma(0, (const uint32_t(*)[4])A2, (const uint32_t(*)[2])B2, C);
                }
                for (int l = 0; l < 32; l++) {
                    int g = l >> 2, t = l & 3;
                    for (int ee = 0; ee < 4; ee++) {
                        int row = g + 8 * (ee >> 1), col = 2 * t + (ee & 1);
                        D[((size_t)gi * 16 + row) * 8 + col] = (float)C[l][ee]; /* int: |D| < 2^21, exact */
                    }
                    if (t == 0) {
                        Sg[gi * 16 + g] = pa[l].s;
                        Sg[gi * 16 + g + 8] = pb[l].s;
                    }
                }
            }
            /* the chain: one output at a time, groups in ascending order */
            for (int row = 0; row < 16 && n0 + row < N; row++)
                for (int col = 0; col < 8 && m0 + col < M; col++) {
                    float acc = 0.0f;
                    int64_t iacc = 0;
                    for (int gi = 0; gi < G; gi++) {
                        float d = D[((size_t)gi * 16 + row) * 8 + col];
                        if (k == KR_W4A16_DQ)
                            acc = acc + d;
                        else if (k == KR_OLIVE_W4A4)
                            iacc += (int64_t)d;
                        else
                            acc = fmaf(d, Sg[gi * 16 + row], acc);
                    }
                    int n = n0 + row, m = m0 + col;
                    float v = acc;
                    if (k == KR_OLIVE_W4A4) {
                        v = (float)iacc;
                        v = v * w->scale32[n];
                        v = v * x->scale32[0];
                    } else if (k == KR_MIXPE_W4A8)
                        v = acc * x->scale32[m];
                    y[(size_t)m * N + n] = v;
                }
        }
    mp_free(D);
    mp_free(Sg);
    return MP_OK;
}

/* ---------------------------------------------------------------- row map */

void kr_row_map(uint64_t seed, int rows, int nbase, int *map)
{
    MpRng r;
    mp_rng_seed(&r, seed ^ 0x524f574d41505321ull); /* "ROWMAPS!" */
    for (int i = 0; i < rows; i++)
        map[i] = i < nbase ? i : (int)mp_rng_below(&r, (uint64_t)nbase);
}
