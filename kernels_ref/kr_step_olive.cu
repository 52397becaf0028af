/* kernels_ref/kr_step_olive.cu — OliVe's per-tensor activation quantizer on the GPU, the four steps
 * of kr_step_olive.h as five kernels:
 *   stats   128 blocks: partial sums of x and x^2 in double (x_max from them, in order);
 *   err     grid (2 x 88 candidates, P parts): each block the squared error of its part of the pairs
 *           at its candidate's scale -> part[type][c][P];
 *   pick    one thread per type: the parts summed in order, the first least error, its scale
 *           rounded to fp32 (deterministic for any timing);
 *   err2    grid (2, P): each type's error at its fp32 scale, in parts;
 *   encode  the type, every pair byte; block 0 also writes scale32 and the activation half of the LUTs.
 * The whole tensor is read 2 x 88 + 4 times: at M = 2048 the search dominates OliVe's vector work.
 */
#include <cuda_runtime.h>

#include "kr_step_olive.h"

#define OT 256

__device__ static double block_sum_d(double v)
{
    __shared__ double red[32];
    for (int o = 16; o; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = 0;
    for (int i = 0; i < (int)(blockDim.x >> 5); i++)
        v += red[i];
    return v;
}

/* Step 1, part: block b sums elements b, b + SB * blockDim, ... (fixed order: deterministic). */
__global__ void __launch_bounds__(OT) olive_stats_kernel(const float *x, long n, KsOliveState *st)
{
    double s = 0, s2 = 0;
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long)gridDim.x * blockDim.x)
        s += x[i], s2 += (double)x[i] * x[i];
    s = block_sum_d(s);
    s2 = block_sum_d(s2);
    if (threadIdx.x == 0)
        st->ps[blockIdx.x][0] = s, st->ps[blockIdx.x][1] = s2;
}

/* Step 1, whole: x_max from the parts, summed in order. */
__device__ static double olive_xmax(const KsOliveState *st, long n)
{
    double s = 0, s2 = 0;
    for (int b = 0; b < KS_OLIVE_SB; b++)
        s += st->ps[b][0], s2 += st->ps[b][1];
    const double mu = s / (double)n, sd = sqrt(fmax(s2 / (double)n - mu * mu, 0.0));
    return fmax(fabs(mu + 3 * sd), fabs(mu - 3 * sd));
}

/* Squared error of pairs [j0, j1) at scale s of type ty (the block's sum, in thread 0). */
__device__ static double pairs_err(const KsOliveTab *t, int ty, double s, const float2 *x2, long j0, long j1)
{
    __shared__ float th[KS_OLIVE_MAXMAG];
    if (threadIdx.x == 0)
        ks_olive_thresholds(t, ty, s, th);
    __syncthreads();
    double e = 0;
    for (long j = j0 + threadIdx.x; j < j1; j += blockDim.x) {
        const float2 v = x2[j];
        e += ks_olive_pair_err(t, ty, th, s, v.x, v.y);
    }
    return block_sum_d(e);
}

/* Step 2: grid (2 x 88, P); block (ty, c), part p -> part[(ty * 88 + c) * P + p]. */
__global__ void __launch_bounds__(OT) olive_err_kernel(const float2 *x2, long npairs, const KsOliveTab *t,
                                                       const KsOliveState *st, double *part)
{
    const int ty = blockIdx.x / KS_OLIVE_NCAND, c = blockIdx.x % KS_OLIVE_NCAND, P = gridDim.y;
    const long per = (npairs + P - 1) / P, j0 = blockIdx.y * per, j1 = j0 + per < npairs ? j0 + per : npairs;
    const double xmax = olive_xmax(st, 2 * npairs);
    if (xmax == 0 && c > 0)
        return; /* one candidate, s = 1 */
    const double e = pairs_err(t, ty, ks_olive_cand(t, ty, xmax, c), x2, j0, j1);
    if (threadIdx.x == 0)
        part[(size_t)blockIdx.x * P + blockIdx.y] = e;
}

/* Step 3, choice: one thread per type, the first least summed error; its scale rounded to fp32. */
__global__ void olive_pick_kernel(long npairs, const KsOliveTab *t, KsOliveState *st, const double *part, int P)
{
    const int ty = threadIdx.x;
    if (ty >= 2)
        return;
    const double xmax = olive_xmax(st, 2 * npairs);
    int best = 0;
    double be = 0;
    for (int c = 0; c < (xmax == 0 ? 1 : KS_OLIVE_NCAND); c++) {
        double e = 0;
        for (int p = 0; p < P; p++)
            e += part[((size_t)ty * KS_OLIVE_NCAND + c) * P + p];
        if (c == 0 || e < be)
            be = e, best = c;
    }
    st->s[ty] = (double)(float)ks_olive_cand(t, ty, xmax, best);
}

/* Step 3, re-score: grid (2, P), the error of each type at its fp32 scale -> part2[ty * P + p]. */
__global__ void __launch_bounds__(OT) olive_err2_kernel(const float2 *x2, long npairs, const KsOliveTab *t,
                                                        const KsOliveState *st, double *part2)
{
    const int ty = blockIdx.x, P = gridDim.y;
    const long per = (npairs + P - 1) / P, j0 = blockIdx.y * per, j1 = j0 + per < npairs ? j0 + per : npairs;
    const double e = pairs_err(t, ty, st->s[ty], x2, j0, j1);
    if (threadIdx.x == 0)
        part2[ty * P + blockIdx.y] = e;
}

/* Step 4: the type (flint4 if its summed error is strictly lower), every pair byte; block 0 also
 * writes scale32 and the activation half of the LUTs. */
__global__ void __launch_bounds__(OT) olive_encode_kernel(const float2 *x2, long npairs, const KsOliveTab *t,
                                                          const KsOliveState *st, const double *part2, int P,
                                                          uint8_t *codes, float *scale32, uint32_t *lut_live,
                                                          const uint32_t *lut_all)
{
    __shared__ float th[KS_OLIVE_MAXMAG];
    __shared__ int s_ty;
    if (threadIdx.x == 0) {
        double e[2] = {0, 0};
        for (int ty = 0; ty < 2; ty++)
            for (int p = 0; p < P; p++)
                e[ty] += part2[ty * P + p];
        s_ty = e[1] < e[0] ? 1 : 0;
        ks_olive_thresholds(t, s_ty, st->s[s_ty], th);
    }
    __syncthreads();
    const int ty = s_ty;
    for (long j = (long)blockIdx.x * blockDim.x + threadIdx.x; j < npairs; j += (long)gridDim.x * blockDim.x) {
        const float2 v = x2[j];
        codes[j] = ks_olive_pair_byte(t, ty, th, v.x, v.y);
    }
    if (blockIdx.x == 0) {
        if (threadIdx.x == 0)
            scale32[0] = (float)st->s[ty];
        for (int i = threadIdx.x; i < 256; i += blockDim.x)
            for (int w = 0; w < 2; w++)
                lut_live[w * 512 + 256 + i] = lut_all[(w * 2 + ty) * 512 + 256 + i];
    }
}

static int parts_for(long npairs)
{
    long p = (npairs + 4095) / 4096;
    return p < 1 ? 1 : p > 64 ? 64 : (int)p;
}

extern "C" {
long ks_olive_part_doubles(int rows, int cols) { return (2L * KS_OLIVE_NCAND + 2) * parts_for((long)rows * cols / 2); }

int ks_olive_quant(const float *x, int rows, int cols, const KsOliveTab *tab, KsOliveState *st, double *part,
                   uint8_t *codes, float *scale32, uint32_t *lut_live, const uint32_t *lut_all, void *stream)
{
    if (cols % 2)
        return -1;
    const cudaStream_t s = (cudaStream_t)stream;
    const long n = (long)rows * cols, np = n / 2;
    const int P = parts_for(np);
    const float2 *x2 = (const float2 *)x;
    double *part2 = part + 2L * KS_OLIVE_NCAND * P;
    olive_stats_kernel<<<KS_OLIVE_SB, OT, 0, s>>>(x, n, st);
    olive_err_kernel<<<dim3(2 * KS_OLIVE_NCAND, P), OT, 0, s>>>(x2, np, tab, st, part);
    olive_pick_kernel<<<1, 32, 0, s>>>(np, tab, st, part, P);
    olive_err2_kernel<<<dim3(2, P), OT, 0, s>>>(x2, np, tab, st, part2);
    long g = (np + OT - 1) / OT;
    olive_encode_kernel<<<g > 1024 ? 1024 : (int)g, OT, 0, s>>>(x2, np, tab, st, part2, P, codes, scale32, lut_live,
                                                                lut_all);
    return (int)cudaGetLastError();
}
}
