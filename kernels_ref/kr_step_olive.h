/* kernels_ref/kr_step_olive.h — OliVe's per-tensor activation quantizer (models/quant_olive.c,
 * quant_olive_run with per_tensor = 1), in pieces that compile for the host (tests, kr_step_olive_host.c)
 * and the device (kr_step_olive.cu):
 *
 *   1. x_max = max|mu +- 3 sigma| over the whole tensor (double sums in element order on the host);
 *   2. for each type (0 int4, 1 flint4) and candidate c = 0..87: s_c = x_max (0.75 + 0.02 c) / normal
 *      max, squared error of the pair quantization at s_c; the first least error wins (s = 1 when
 *      x_max = 0);
 *   3. each type's winner rounded to fp32, its error again at that scale; flint4 if strictly lower;
 *   4. every pair (2i, 2i+1) encoded at that scale: pair byte (lo | hi << 4), scale32 = the scale.
 *
 * Magnitude index: |x| rounds to magnitude i where t_{i-1} <= |x| < t_i, t_i = s (M_i + M_{i+1}) / 2
 * computed in double (models/). Here t_i is held as the least float >= t_i, so that for a float |x|
 * the float compare |x| >= t_i decides exactly as the double one: same index for every input.
 * Pair rule: an element whose index reaches the type's first outlier magnitude keeps its outlier
 * code and its partner becomes the victim (code 8, value 0); two outliers: the larger keeps it (tie:
 * the first element). Squared error of a pair: victims x^2, the others (|x| - M_i s)^2.
 */
#ifndef MP_KERNELS_REF_KR_STEP_OLIVE_H
#define MP_KERNELS_REF_KR_STEP_OLIVE_H

#include <math.h>
#include <stdint.h>

#include "kernels_ref/kr_step.h"

#define KS_OLIVE_NCAND 88
#define KS_OLIVE_MAXMAG 16

typedef struct KsOliveTab {
    int n[2];                          /* magnitudes per type: normals then outliers        */
    int first_out[2];                  /* index of the first outlier magnitude              */
    double mag[2][KS_OLIVE_MAXMAG];    /* grid units                                        */
    uint8_t code[2][2][KS_OLIVE_MAXMAG]; /* [type][negative][index]: codes as quant.h (16+ outliers) */
    double nmax[2];                    /* normal-range maximum: 7 int4, 16 flint4           */
} KsOliveTab;

/* Scratch the device quantizer keeps between its kernels (one per activation tensor in flight). */
#define KS_OLIVE_SB 128 /* blocks of the device's step 1 */
typedef struct KsOliveState {
    double ps[KS_OLIVE_SB][2];     /* step 1: per-block sums of x and x^2                      */
    double s[2];                   /* step 3: each type's winner rounded to fp32              */
} KsOliveState;

/* Step 2's scale of candidate c of type ty. */
KR_HD double ks_olive_cand(const KsOliveTab *t, int ty, double xmax, int c)
{
    return xmax == 0 ? 1.0 : xmax * (0.75 + 0.02 * c) / t->nmax[ty];
}

/* The float thresholds of scale s (n - 1 of them), as described above. */
KR_HD void ks_olive_thresholds(const KsOliveTab *t, int ty, double s, float *th)
{
    for (int i = 0; i + 1 < t->n[ty]; i++) {
        const double d = s * (t->mag[ty][i] + t->mag[ty][i + 1]) * 0.5;
        float f = (float)d;
        if ((double)f < d)
            f = nextafterf(f, INFINITY);
        th[i] = f;
    }
}

KR_HD int ks_olive_index(int nth, const float *th, float ax)
{
    int i = 0;
    for (int j = 0; j < nth; j++)
        i += ax >= th[j];
    return i;
}

/* Squared error of the pair (a, b) at scale s (step 2). */
KR_HD double ks_olive_pair_err(const KsOliveTab *t, int ty, const float *th, double s, float a, float b)
{
    const float aa = fabsf(a), ab = fabsf(b);
    const int ia = ks_olive_index(t->n[ty] - 1, th, aa), ib = ks_olive_index(t->n[ty] - 1, th, ab);
    int oa = ia >= t->first_out[ty], ob = ib >= t->first_out[ty];
    if (oa && ob) {
        if (ab > aa)
            oa = 0;
        else
            ob = 0;
    }
    const double da = (double)aa - t->mag[ty][ia] * s, db = (double)ab - t->mag[ty][ib] * s;
    const double ea = ob && !oa ? (double)a * a : da * da, eb = oa && !ob ? (double)b * b : db * db;
    return ea + eb;
}

/* The pair byte of (a, b) (step 4). */
KR_HD uint8_t ks_olive_pair_byte(const KsOliveTab *t, int ty, const float *th, float a, float b)
{
    const float aa = fabsf(a), ab = fabsf(b);
    const int ia = ks_olive_index(t->n[ty] - 1, th, aa), ib = ks_olive_index(t->n[ty] - 1, th, ab);
    int oa = ia >= t->first_out[ty], ob = ib >= t->first_out[ty];
    if (oa && ob) {
        if (ab > aa)
            oa = 0;
        else
            ob = 0;
    }
    const uint8_t ca = oa || !ob ? t->code[ty][a < 0 && ia][ia] : 8;
    const uint8_t cb = ob || !oa ? t->code[ty][b < 0 && ib][ib] : 8;
    return (uint8_t)((ca & 15) | (cb & 15) << 4);
}

#ifndef __CUDACC__
/* The table from models/fmt (kr_step_olive_host.c). */
void ks_olive_tab_init(KsOliveTab *t);
/* Steps 1-4 on the host, sequentially: x [rows][cols] (cols even) -> bytes [rows][cols / 2], the
 * scale and the type (0 int4, 1 flint4). The same functions the device kernels call. */
void ks_olive_quant_host(const KsOliveTab *t, const float *x, int rows, int cols, uint8_t *bytes, float *scale,
                         int *type);
#endif

#ifdef __cplusplus
extern "C" {
#endif
/* The device quantizer: x fp32 [rows][cols] -> codes (pair bytes), scale32[0]; then the activation
 * half (entries 256..511) of lut_live[w] (w = weights' type 0, 1) copied from lut_all[w][type]
 * ([2][2][512], kr_olive_lut). tab, st: device copies; part: ks_olive_part_doubles(rows, cols). */
long ks_olive_part_doubles(int rows, int cols);
int ks_olive_quant(const float *x, int rows, int cols, const KsOliveTab *tab, KsOliveState *st, double *part,
                   uint8_t *codes, float *scale32, uint32_t *lut_live, const uint32_t *lut_all, void *stream);
#ifdef __cplusplus
}
#endif

#endif
