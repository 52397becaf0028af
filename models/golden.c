/* models/golden.c — see golden.h; the datapaths are specified in docs/pe.md. */
#include "models/golden.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"

int golden_k_align(PeKindId kind) { return pe_kinds[kind].k_align; }

int golden_check(PeKindId kind, const QMat *w, const QMat *x, MpErr *e)
{
    const PeKind *g = &pe_kinds[kind];
    if (w->scheme != g->wscheme || x->scheme != g->xscheme)
        return mp_errf(e, MP_EINPUT, "%s datapath: weights or activations quantized with the wrong scheme",
                       pe_kind_names[kind]);
    if (w->cols != x->cols)
        return mp_errf(e, MP_EINPUT, "GEMM: K of weights (%d) and activations (%d) differ", w->cols, x->cols);
    if (w->group > 0)
        return pe_kind_check_group(kind, w->group, e);
    return MP_OK;
}

double golden_error_bound(PeKindId kind, const QMat *w, int n, const QMat *x, int m)
{
    const int K = w->cols, G = w->ngroups;
    double S = 0, smax = 0; /* S = sum |w_k x_k| of dequantized values */
    for (int k = 0; k < K; k++)
        S += fabs(quant_value(w, n, k) * quant_value(x, m, k));
    for (int g = 0; g < (w->per_tensor ? 1 : G); g++)
        smax = fmax(smax, fabs((double)w->scale[n * (w->per_tensor ? 0 : G) + g]));
    const double slack = 1.01; /* second-order terms (products of roundoffs) */
    return slack * pe_kinds[kind].bound(w, x, S, smax);
}

void golden_acc_reset(GoldenAcc *a) { memset(a, 0, sizeof *a); }

void golden_acc_run(PeKindId kind, GoldenAcc *a, const QMat *w, int n, const QMat *x, int m, int k0, int k1)
{
    pe_kinds[kind].run(a, w, n, x, m, k0, k1);
}

float golden_acc_finish(PeKindId kind, const GoldenAcc *a, const QMat *w, int n, const QMat *x, int m)
{
    return pe_kinds[kind].finish(a, w, n, x, m);
}

int golden_gemm_hw(PeKindId kind, const QMat *w, const QMat *x, float *y, MpErr *e)
{
    int rc = golden_check(kind, w, x, e);
    if (rc)
        return rc;
    const PeKind *g = &pe_kinds[kind];
    /* every output is independent: rows of W in parallel, bit-identical to a serial run */
#pragma omp parallel for schedule(dynamic, 4)
    for (int n = 0; n < w->rows; n++)
        for (int m = 0; m < x->rows; m++) {
            GoldenAcc a;
            golden_acc_reset(&a);
            g->run(&a, w, n, x, m, 0, w->cols);
            y[(size_t)m * w->rows + n] = g->finish(&a, w, n, x, m);
        }
    return MP_OK;
}

int golden_gemm_ideal(const QMat *w, const QMat *x, double *y, MpErr *e)
{
    const int K = w->cols, M = x->rows, N = w->rows;
    double *xd = mp_calloc((size_t)M * K, sizeof *xd), *wd = mp_calloc((size_t)N * K, sizeof *wd);
    if (!xd || !wd) {
        mp_free(xd);
        mp_free(wd);
        return mp_errf(e, MP_ENOMEM, "out of memory in the ideal GEMM");
    }
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++)
            xd[(size_t)m * K + k] = quant_value(x, m, k);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        double *wr = wd + (size_t)n * K;
        for (int k = 0; k < K; k++)
            wr[k] = quant_value(w, n, k);
        for (int m = 0; m < M; m++) {
            const double *xr = xd + (size_t)m * K;
            double s = 0;
            for (int k = 0; k < K; k++)
                s += wr[k] * xr[k];
            y[(size_t)m * N + n] = s;
        }
    }
    mp_free(xd);
    mp_free(wd);
    return MP_OK;
}

void golden_gemm_ref(const float *w, const float *x, int M, int N, int K, double *y)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int m = 0; m < M; m++) {
            double s = 0;
            for (int k = 0; k < K; k++)
                s += (double)w[(size_t)n * K + k] * (double)x[(size_t)m * K + k];
            y[(size_t)m * N + n] = s;
        }
}
