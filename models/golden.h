/* models/golden.h — the golden arithmetic of every PE kind, at two levels.
 *
 *   ideal:          sum over k of dequantized w * dequantized x, in double
 *                   (quantization error only);
 *   hardware-exact: the PE's own datapath, bit for bit — integer widths, the order
 *                   of accumulation (k ascending), where dequantization happens and
 *                   how each step rounds. docs/pe.md states every kind's datapath.
 *
 * Y[M x N] = X[M x K] * W[N x K]^T: output (m, n) reduces row m of X with row n of W.
 * The hardware-exact dot product is exposed as an accumulator the simulator can drive
 * in pieces (golden_acc_run over [k0, k1), then golden_acc_finish), which is how a PE
 * sees a K-tiled GEMM; pieces must start on the kind's k-granularity (golden_k_align).
 */
#ifndef MP_MODELS_GOLDEN_H
#define MP_MODELS_GOLDEN_H

#include <stdint.h>

#include "base/err.h"
#include "models/pekind.h"
#include "models/quant.h"

/* Check that w and x fit the kind (schemes, shapes, pe_kind_check_group). */
int golden_check(PeKindId kind, const QMat *w, const QMat *x, MpErr *e) MP_MUST_CHECK;
int golden_k_align(PeKindId kind);  /* 4 for BitMoD (lanes), else 1 */

void golden_acc_reset(GoldenAcc *a);
void golden_acc_run(PeKindId kind, GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1);
float golden_acc_finish(PeKindId kind, const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m);

/* Whole GEMMs: y[m * N + n]. */
int golden_gemm_hw(PeKindId kind, const QMat *w, const QMat *x, float *y, MpErr *e) MP_MUST_CHECK;
int golden_gemm_ideal(const QMat *w, const QMat *x, double *y, MpErr *e) MP_MUST_CHECK;
/* Reference: the unquantized GEMM in double, y[m * N + n]. */
void golden_gemm_ref(const float *w, const float *x, int m, int n, int k, double *y);

/* Bound on |hardware-exact - ideal| for output (m, n), derived per kind in docs/pe.md. */
double golden_error_bound(PeKindId kind, const QMat *w, int n, const QMat *x, int m);

#endif
