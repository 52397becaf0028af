/* kernels_ref/kr_run_check.c — the runner's numerics check (docs/gpu.md, "Numerics contract"):
 * golden_gemm_hw's datapath (golden_acc_run / golden_acc_finish) on the checked outputs, their
 * S = sum |w x| and stated bound (kr_bound), and the comparison of a GPU output with them: bit for
 * bit for the exact kernels, within the bound for the others, every output finite. */
#include <math.h>
#include <string.h>

#include "kernels_ref/kr_host.h"
#include "kernels_ref/kr_run.h"

void kr_chk_golden(int kern, const QMat *qw, const QMat *qx, int tb, int rb, Golden *gd)
{
    const int K = qw->cols;
    /* cuBLAS computes the fp16 format's GEMM */
    PeKindId kind = (kern == KR_CUBLAS ? num_format_find("fp16") : kr_format((KrKernel)kern))->kind;
    gd->tb = tb, gd->rb = rb;
    gd->y = kr_xmalloc((size_t)tb * rb * sizeof *gd->y);
    gd->S = kr_xmalloc((size_t)tb * rb * sizeof *gd->S);
    gd->B = kr_xmalloc((size_t)tb * rb * sizeof *gd->B);
    double *xd = kr_xmalloc((size_t)tb * K * sizeof *xd);
    for (int m = 0; m < tb; m++)
        for (int k = 0; k < K; k++)
            xd[(size_t)m * K + k] = quant_value(qx, m, k);
#pragma omp parallel
    {
        double *wd = kr_xmalloc((size_t)K * sizeof *wd);
#pragma omp for schedule(dynamic, 4)
        for (int n = 0; n < rb; n++) {
            for (int k = 0; k < K; k++)
                wd[k] = quant_value(qw, n, k);
            for (int m = 0; m < tb; m++) {
                GoldenAcc a;
                golden_acc_reset(&a);
                golden_acc_run(kind, &a, qw, n, qx, m, 0, K);
                float yg = golden_acc_finish(kind, &a, qw, n, qx, m);
                double S = 0;
                const double *xr = xd + (size_t)m * K;
                for (int k = 0; k < K; k++)
                    S += fabs(wd[k] * xr[k]);
                double B;
                const double u = 0x1p-24;
                if (kern == KR_CUBLAS) /* fp32 compute in any order, fp16 output */
                    B = 1.02 * ((KR_TC_STEP / 16.0) * K + K + 2) * u * S + 0x1p-11 * fabs((double)yg) + 0x1p-24;
                else if (kr_is_exact((KrKernel)kern))
                    B = 0;
                else if (kern == KR_W4A16_DQ)
                    B = kr_bound((KrKernel)kern, K, K / 128, S, 0.0);
                else
                    B = kr_bound((KrKernel)kern, K, K / 128, S, golden_error_bound(kind, qw, n, qx, m));
                size_t i = (size_t)m * rb + n;
                gd->y[i] = yg, gd->S[i] = S, gd->B[i] = B;
            }
        }
        free(wd);
    }
    free(xd);
}

void kr_chk_free(Golden *g)
{
    free(g->y);
    free(g->S);
    free(g->B);
    memset(g, 0, sizeof *g);
}

void kr_chk_output(int kern, const void *h, int M, int N, const int *mapx, const int *mapw, const Golden *gd, Res *r)
{
    size_t n = (size_t)M * N;
    int half = kern == KR_CUBLAS;
    long long nonfinite = 0, checked = 0, bad = 0;
    double mrel = 0, muse = 0;
    for (size_t i = 0; i < n; i++) {
        float v = half ? fp16_to_f32(((uint16_t *)h)[i]) : ((float *)h)[i];
        if (!isfinite(v))
            nonfinite++;
    }
    const int exact = kern != KR_CUBLAS && kr_is_exact((KrKernel)kern);
    for (int m = 0; m < M; m++) {
        int mb = mapx[m];
        if (mb >= gd->tb)
            continue;
        for (int c = 0; c < N; c++) {
            int nb = mapw[c];
            if (nb >= gd->rb)
                continue;
            size_t gi = (size_t)mb * gd->rb + nb;
            float v = half ? fp16_to_f32(((uint16_t *)h)[(size_t)m * N + c]) : ((float *)h)[(size_t)m * N + c];
            float yg = gd->y[gi];
            double d = fabs((double)v - (double)yg);
            checked++;
            if (exact) {
                if (memcmp(&v, &yg, 4) != 0) {
                    if (bad < 5)
                        fprintf(stderr, "  MISMATCH %s m=%d n=%d: gpu %.9g golden %.9g\n", kr_kname(kern), m, c, (double)v,
                                (double)yg);
                    bad++;
                }
            } else if (!(d <= gd->B[gi])) {
                if (bad < 5)
                    fprintf(stderr, "  OUT OF BOUND %s m=%d n=%d: gpu %.9g golden %.9g |d| %.3g bound %.3g\n",
                            kr_kname(kern), m, c, (double)v, (double)yg, d, gd->B[gi]);
                bad++;
            }
            if (isfinite(d) && gd->S[gi] > 0 && d / gd->S[gi] > mrel)
                mrel = d / gd->S[gi];
            if (!exact && gd->B[gi] > 0 && d / gd->B[gi] > muse)
                muse = d / gd->B[gi];
        }
    }
    r->checked = checked, r->mismatches = bad, r->nonfinite = nonfinite;
    r->max_rel = mrel;
    r->bound_use = exact ? 0 : muse;
    if (bad || nonfinite || !checked)
        snprintf(r->check, sizeof r->check, "FAIL");
    else
        snprintf(r->check, sizeof r->check, "%s", exact ? "bit-exact" : "bound");
}
