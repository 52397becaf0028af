/* kernels_ref/kr_run_time.c — how the runner measures (docs/gpu.md, "Inputs, checks and
 * measurement"): CUDA events around CUDA graphs of >= 1.5 ms of launches for kernels under
 * ~300 us, single launches above, medians, weight copies rotated by the caller's LaunchFn; energy
 * from NVML's counter over >= 2 s; the copy-bandwidth and cuBLAS-rate ceilings. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "kernels_ref/kr_nvml.h"
#include "kernels_ref/kr_run.h"
#include "models/fpx.h"

double kr_time_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
double kr_time_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

cudaStream_t kr_st;
static cudaEvent_t g_ev0, g_ev1;

void kr_time_init(void)
{
    CK(cudaStreamCreateWithFlags(&kr_st, cudaStreamNonBlocking));
    CK(cudaEventCreate(&g_ev0));
    CK(cudaEventCreate(&g_ev1));
}

/* One launch per copy, `reps` times; returns the whole graph (or NULL). */
static cudaGraphExec_t make_graph(LaunchFn fn, void *ctx, int ncopies, int reps)
{
    cudaGraph_t gr;
    CK(cudaStreamBeginCapture(kr_st, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < reps; i++)
        if (fn(ctx, i % ncopies, kr_st) != 0) {
            fprintf(stderr, "kr_runner: launch failed during graph capture\n");
            exit(3);
        }
    CK(cudaStreamEndCapture(kr_st, &gr));
    cudaGraphExec_t ex;
    CK(cudaGraphInstantiate(&ex, gr, 0));
    CK(cudaGraphDestroy(gr));
    return ex;
}

void kr_time_launch(LaunchFn fn, void *ctx, int copy)
{
    int rc = fn(ctx, copy, kr_st);
    if (rc != 0) {
        fprintf(stderr, "kr_runner: kernel launch failed: %d (%s)\n", rc,
                rc > 0 ? cudaGetErrorString((cudaError_t)rc) : "bad arguments");
        exit(3);
    }
}

Timing kr_time_it(LaunchFn fn, void *ctx, int ncopies, int quick)
{
    Timing T = {0, NULL, 1};
    for (int i = 0; i < 3; i++)
        kr_time_launch(fn, ctx, i % ncopies);
    CK(cudaStreamSynchronize(kr_st));
    /* estimate */
    CK(cudaEventRecord(g_ev0, kr_st));
    for (int i = 0; i < ncopies; i++)
        kr_time_launch(fn, ctx, i);
    CK(cudaEventRecord(g_ev1, kr_st));
    CK(cudaEventSynchronize(g_ev1));
    float ms;
    CK(cudaEventElapsedTime(&ms, g_ev0, g_ev1));
    double est = 1e3 * ms / ncopies;
    const int reps = quick ? 7 : 21;
    double v[64];
    if (est < 300.0) {
        int per = (int)ceil(1500.0 / est);
        per = ((per + ncopies - 1) / ncopies) * ncopies;
        if (per > 4096)
            per = 4096;
        T.per = per;
        T.ex = make_graph(fn, ctx, ncopies, per);
        for (int i = 0; i < 2; i++)
            CK(cudaGraphLaunch(T.ex, kr_st));
        for (int r = 0; r < reps; r++) {
            CK(cudaEventRecord(g_ev0, kr_st));
            CK(cudaGraphLaunch(T.ex, kr_st));
            CK(cudaEventRecord(g_ev1, kr_st));
            CK(cudaEventSynchronize(g_ev1));
            CK(cudaEventElapsedTime(&ms, g_ev0, g_ev1));
            v[r] = 1e3 * ms / per;
        }
        T.us = kr_time_median(v, reps);
    } else {
        int n = est > 2000 ? (quick ? 5 : 9) : reps;
        for (int r = 0; r < n; r++) {
            CK(cudaEventRecord(g_ev0, kr_st));
            kr_time_launch(fn, ctx, r % ncopies);
            CK(cudaEventRecord(g_ev1, kr_st));
            CK(cudaEventSynchronize(g_ev1));
            CK(cudaEventElapsedTime(&ms, g_ev0, g_ev1));
            v[r] = 1e3 * ms;
        }
        T.us = kr_time_median(v, n);
    }
    CK(cudaGetLastError());
    return T;
}

/* Energy per launch (uJ) over a window of at least 2 s of back-to-back launches. */
void kr_time_energy(LaunchFn fn, void *ctx, int ncopies, const Timing *T, Res *r)
{
    if (!kr_nvml_ok())
        return;
    double per_s = T->ex ? T->us * T->per * 1e-6 : T->us * 1e-6;
    long n = (long)ceil(2.2 / per_s);
    unsigned long long e0, e1;
    CK(cudaStreamSynchronize(kr_st));
    if (kr_nvml_energy_mj(&e0))
        return;
    double t0 = kr_time_now_s();
    for (long i = 0; i < n; i++) {
        if (T->ex)
            CK(cudaGraphLaunch(T->ex, kr_st));
        else
            kr_time_launch(fn, ctx, (int)(i % ncopies));
    }
    CK(cudaStreamSynchronize(kr_st));
    double t1 = kr_time_now_s();
    if (kr_nvml_energy_mj(&e1))
        return;
    long launches = T->ex ? n * T->per : n;
    r->energy_uj = 1e3 * (double)(e1 - e0) / (double)launches;
    r->window_s = t1 - t0;
    r->power_w = 1e-3 * (double)(e1 - e0) / (t1 - t0);
}

/* Dense tensor-core rate through cuBLAS (8192^3, random data, median of 5): fp16 (int8 = 0) in
 * TFLOP/s, int8 (int8 = 1) in TOPS. NAN if cuBLAS refuses. */
double kr_time_peak(cublasHandle_t h, int int8)
{
    const int n = 8192;
    const size_t ne = (size_t)n * n, eb = int8 ? 1 : 2;
    void *a, *b, *c;
    CK(cudaMalloc(&a, ne * eb));
    CK(cudaMalloc(&b, ne * eb));
    CK(cudaMalloc(&c, ne * 4));
    const size_t blk = (size_t)1 << 20; /* a random block of 1 M elements, repeated */
    uint8_t *hbuf = kr_xmalloc(blk * eb);
    uint64_t st = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < blk; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(st >> 33);
        if (int8)
            hbuf[i] = (uint8_t)(int8_t)((int)(r % 255u) - 127);
        else {
            uint16_t hv = fp16_from_f64(((double)(r % 2001u) - 1000.0) / 1000.0);
            memcpy(hbuf + 2 * i, &hv, 2);
        }
    }
    for (size_t off = 0; off < ne; off += blk) {
        CK(cudaMemcpy((uint8_t *)a + off * eb, hbuf, blk * eb, cudaMemcpyHostToDevice));
        CK(cudaMemcpy((uint8_t *)b + off * eb, hbuf, blk * eb, cudaMemcpyHostToDevice));
    }
    free(hbuf);
    double v[5], rate = NAN;
    int ok = 1;
    for (int r = 0; r < 7 && ok; r++) {
        const float onef = 1.0f, zerof = 0.0f;
        const int onei = 1, zeroi = 0;
        CK(cudaEventRecord(g_ev0, kr_st));
        cublasStatus_t s = int8 ? cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &onei, a, CUDA_R_8I, n, b, CUDA_R_8I,
                                               n, &zeroi, c, CUDA_R_32I, n, CUBLAS_COMPUTE_32I, CUBLAS_GEMM_DEFAULT)
                                : cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &onef, a, CUDA_R_16F, n, b, CUDA_R_16F,
                                               n, &zerof, c, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        CK(cudaEventRecord(g_ev1, kr_st));
        CK(cudaEventSynchronize(g_ev1));
        if (s != CUBLAS_STATUS_SUCCESS) {
            fprintf(stderr, "kr_runner: peak %s: cuBLAS status %d\n", int8 ? "int8" : "fp16", (int)s);
            ok = 0;
            break;
        }
        float ms;
        CK(cudaEventElapsedTime(&ms, g_ev0, g_ev1));
        if (r >= 2)
            v[r - 2] = 2.0 * n * (double)n * n / (ms * 1e-3) / 1e12;
    }
    if (ok)
        rate = kr_time_median(v, 5);
    CK(cudaGetLastError());
    CK(cudaFree(a));
    CK(cudaFree(b));
    CK(cudaFree(c));
    return rate;
}

double kr_time_copy_gbps(void)
{
    size_t bytes = (size_t)1 << 30;
    void *a, *b;
    CK(cudaMalloc(&a, bytes));
    CK(cudaMalloc(&b, bytes));
    CK(cudaMemset(a, 1, bytes));
    double v[15];
    for (int i = 0; i < 3; i++)
        CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, kr_st));
    for (int i = 0; i < 15; i++) {
        float ms;
        CK(cudaEventRecord(g_ev0, kr_st));
        CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, kr_st));
        CK(cudaEventRecord(g_ev1, kr_st));
        CK(cudaEventSynchronize(g_ev1));
        CK(cudaEventElapsedTime(&ms, g_ev0, g_ev1));
        v[i] = 2.0 * (double)bytes / (1e-3 * ms) / 1e9; /* bytes read + written */
    }
    CK(cudaFree(a));
    CK(cudaFree(b));
    return kr_time_median(v, 15);
}
