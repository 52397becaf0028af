/* models/datapath.h — the hardware-exact datapaths of the PE kinds, one set of functions per
 * arithmetic idea (docs/pe.md states each bit for bit). Callers reach them through the PeKind
 * table (models/pekind.h) or golden.h, never by name; this header is for models/ itself.
 *
 *   run:    accumulate the products of W row n and X row m over k in [k0, k1) into the PE state
 *           (pieces start on the kind's k_align; a group ends where (k + 1) % group == 0 or at K)
 *   finish: the fp32 output from the state after the last piece
 *   bound:  |hardware-exact - ideal| for one output, from S = sum |w_k x_k| (dequantized values)
 *           and smax, the largest group scale of the weight row
 */
#ifndef MP_MODELS_DATAPATH_H
#define MP_MODELS_DATAPATH_H

#include <stdint.h>

#include "models/fpx.h"
#include "models/quant.h"

/* PE accumulator state. Which fields are live depends on the datapath. */
typedef struct GoldenAcc {
    float out;    /* fp32 output accumulator (float kinds, per-group dequant)    */
    int64_t iacc; /* integer accumulator (int kinds) / in-group sum (MixPE)       */
    int64_t xsum; /* MixPE: in-group sum of activations (shared across columns)   */
    double gacc;  /* BitMoD: group accumulator, a value of the {6,15} minifloat    */
} GoldenAcc;

typedef void (*DpRun)(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
typedef float (*DpFinish)(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m);
typedef double (*DpBound)(const QMat *w, const QMat *x, double S, double smax);

/* BitMoD group accumulator format: 6-bit exponent, 15-bit mantissa, no Inf/NaN. */
extern const FpxFmt GOLDEN_BITMOD_ACC;

void dp_fp16_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
void dp_int_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
void dp_w4a16_dq_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
void dp_mixpe_w4a8_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
void dp_mixpe_w4a16_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
void dp_bitmod_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
void dp_fpxint_run(GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);

float dp_out_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m);        /* fp32 acc */
float dp_int_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m);        /* int x scales */
float dp_scaled_by_x_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m); /* acc x s_x */
float dp_row_scaled_finish(const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m);  /* acc x s_w */

double dp_fp16_bound(const QMat *w, const QMat *x, double S, double smax);
double dp_int_bound(const QMat *w, const QMat *x, double S, double smax);
double dp_w4a16_dq_bound(const QMat *w, const QMat *x, double S, double smax);
double dp_mixpe_w4a8_bound(const QMat *w, const QMat *x, double S, double smax);
double dp_mixpe_w4a16_bound(const QMat *w, const QMat *x, double S, double smax);
double dp_bitmod_bound(const QMat *w, const QMat *x, double S, double smax);
double dp_fpxint_bound(const QMat *w, const QMat *x, double S, double smax);

#endif
