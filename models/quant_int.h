/* models/quant_int.h — internals shared by the quantizer files (not part of the library's API):
 * models/quant.c (allocation, thresholds, fp16, per-row, per-group, the entry points),
 * quant_bitmod.c, quant_olive.c, quant_ant.c (one scheme each, reference and fast path). */
#ifndef MP_MODELS_QUANT_INT_H
#define MP_MODELS_QUANT_INT_H

#include <stdint.h>
#include <string.h>

#include "models/quant.h"

/* fp16 value of a positive scale, kept away from 0 and Inf (smallest subnormal .. max). */
float quant_fp16_scale(double s);
/* ---------------------------------------------------------------- thresholds
 *
 * The fast paths replace per-element rounding by comparisons. Every rounding here (to a grid, to
 * fp16, the reference's chains of both) is a monotone function of its input, so the index it
 * returns is the number of thresholds <= the input, threshold k being the least input whose index
 * is >= k. Inputs are ordered by an integer key (float and fp16 bits, negatives mirrored, so that
 * -0 and +0 share key 0), and each threshold is found by evaluating the reference's own rounding:
 * exact by construction, whatever the arithmetic inside. */

typedef int (*KeyPred)(int32_t key, const void *ctx); /* monotone in key: false..., then true... */

/* A reference's rounding of the float x under scale s on `grid`, as an index that never decreases
 * as x grows (ANT: the grid value; OliVe: the magnitude index). */
typedef int (*GridIndex)(const void *grid, double x, double s);


#define FKEY_MAX 0x7f7fffff /* key of FLT_MAX */

/* Order keys of floats: non-negative floats order like their bits. */
static inline int32_t fkey(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b >> 31 ? -(int32_t)(b & 0x7fffffffu) : (int32_t)b;
}

static inline float fkey_float(int32_t k)
{
    uint32_t b = k >= 0 ? (uint32_t)k : 0x80000000u | (uint32_t)-k;
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* Blocks of 8 elements: 8 x 32 bits are two SSE vectors, which compilers keep in registers
 * across a loop over thresholds (wider blocks stay in memory). */
#define KBLK 8

/* fkey of x[0..n), n <= KBLK, padded with key 0 (branch-free: compilers vectorize it). */
static inline void fkey_block(const float *x, int n, int32_t k[KBLK])
{
    uint32_t b[KBLK];
    if (n == KBLK)
        memcpy(b, x, sizeof b);
    else {
        memset(b, 0, sizeof b);
        memcpy(b, x, (size_t)n * sizeof *x);
    }
    for (int i = 0; i < KBLK; i++) {
        uint32_t neg = b[i] >> 31, mag = b[i] & 0x7fffffffu;
        k[i] = (int32_t)((mag ^ (0u - neg)) + neg);
    }
}

/* p[l] = #{i < nt : k[l] >= t[i]}: the index of each key among sorted thresholds. */
static inline void count_block(const int32_t *t, int nt, const int32_t k[KBLK], int32_t p[KBLK])
{
    int32_t kk[KBLK], pp[KBLK] = {0};
    memcpy(kk, k, sizeof kk);
    for (int i = 0; i < nt; i++) {
        const int32_t ti = t[i];
        for (int l = 0; l < KBLK; l++)
            pp[l] += kk[l] >= ti;
    }
    memcpy(p, pp, sizeof pp);
}

/* The least key in [lo, hi] where pred holds, hi + 1 if none. Gallops away from guess (which a
 * caller puts at or next to the answer: then two evaluations), then bisects the bracket. */
int32_t quant_key_first_true(int32_t lo, int32_t hi, int32_t guess, KeyPred pred, const void *ctx);
/* The threshold where index(grid, x, s) reaches `at`: the least float key in [lo, hi] whose float
 * has an index >= at, hi + 1 if none (quant_key_first_true on that test, guess as there). */
int32_t quant_key_index_reaches(int32_t lo, int32_t hi, int32_t guess, GridIndex index, const void *grid, double s,
                                int at);
/* max |x[i]| over n finite floats: non-negative floats order like their bits, so an integer max
 * (which compilers vectorize) gives fmax's answer. */
float quant_absmax(const float *x, size_t n);

/* One scheme each (ref: the reference implementation instead of the fast path); q is allocated
 * by them. */
int quant_bitmod_run(const float *src, QMat *q, BitmodErrMode mode, int only, int ref, MpErr *e);
int quant_olive_run(const float *src, QMat *q, int ref, MpErr *e);
int quant_ant_run(const float *src, QMat *q, AntFallback fb, double fb_db, int ref, MpErr *e);

#endif
