/* kernels_ref/kr_step_olive.cu — OliVe's per-tensor activation quantizer on the GPU, the four steps
 * of kr_step_olive.h as four kernels:
 *   stats   one block: sum and sum of squares in double -> x_max;
 *   err     grid (2 x 88 candidates, P parts): each block the squared error of its part of the pairs
 *           at its candidate's scale -> part[type][c][P] (summed in order by the next kernel, so the
 *           choice is deterministic);
 *   pick    2 blocks (one per type): the first least error, its scale rounded to fp32, the error
 *           there over the whole tensor;
 *   encode  every pair byte; block 0 also writes scale32 and the activation half of the LUTs.
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

__global__ void __launch_bounds__(1024) olive_stats_kernel(const float *x, long n, KsOliveState *st)
{
    double s = 0, s2 = 0;
    for (long i = threadIdx.x; i < n; i += blockDim.x)
        s += x[i], s2 += (double)x[i] * x[i];
    s = block_sum_d(s);
    s2 = block_sum_d(s2);
    if (threadIdx.x == 0) {
        const double mu = s / (double)n, sd = sqrt(fmax(s2 / (double)n - mu * mu, 0.0));
        st->xmax = fmax(fabs(mu + 3 * sd), fabs(mu - 3 * sd));
    }
}

/* Squared error of pairs [j0, j1) at scale s of type ty. */
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

__global__ void __launch_bounds__(OT) olive_err_kernel(const float2 *x2, long npairs, const KsOliveTab *t,
                                                       const KsOliveState *st, double *part)
{
    const int ty = blockIdx.x / KS_OLIVE_NCAND, c = blockIdx.x % KS_OLIVE_NCAND, P = gridDim.y;
    const long per = (npairs + P - 1) / P, j0 = blockIdx.y * per, j1 = j0 + per < npairs ? j0 + per : npairs;
    const double e = pairs_err(t, ty, ks_olive_cand(t, ty, st->xmax, c), x2, j0, j1);
    if (threadIdx.x == 0)
        part[(size_t)blockIdx.x * P + blockIdx.y] = e;
}

__global__ void __launch_bounds__(OT) olive_pick_kernel(const float2 *x2, long npairs, const KsOliveTab *t,
                                                        KsOliveState *st, const double *part, int P)
{
    const int ty = blockIdx.x;
    __shared__ double s_best;
    if (threadIdx.x == 0) {
        int best = 0;
        double be = 0;
        const int nc = st->xmax == 0 ? 1 : KS_OLIVE_NCAND;
        for (int c = 0; c < nc; c++) {
            double e = 0;
            for (int p = 0; p < P; p++)
                e += part[((size_t)ty * KS_OLIVE_NCAND + c) * P + p];
            st->err[ty][c] = e;
            if (c == 0 || e < be)
                be = e, best = c;
        }
        s_best = (double)(float)ks_olive_cand(t, ty, st->xmax, best);
    }
    __syncthreads();
    const double s = s_best;
    const double e = pairs_err(t, ty, s, x2, 0, npairs);
    if (threadIdx.x == 0)
        st->s[ty] = s, st->e2[ty] = e;
}

__global__ void __launch_bounds__(OT) olive_encode_kernel(const float2 *x2, long npairs, const KsOliveTab *t,
                                                          const KsOliveState *st, uint8_t *codes, float *scale32,
                                                          uint32_t *lut_live, const uint32_t *lut_all)
{
    const int ty = st->e2[1] < st->e2[0] ? 1 : 0;
    const double s = st->s[ty];
    __shared__ float th[KS_OLIVE_MAXMAG];
    if (threadIdx.x == 0)
        ks_olive_thresholds(t, ty, s, th);
    __syncthreads();
    for (long j = (long)blockIdx.x * blockDim.x + threadIdx.x; j < npairs; j += (long)gridDim.x * blockDim.x) {
        const float2 v = x2[j];
        codes[j] = ks_olive_pair_byte(t, ty, th, v.x, v.y);
    }
    if (blockIdx.x == 0) {
        if (threadIdx.x == 0)
            scale32[0] = (float)s;
        for (int i = threadIdx.x; i < 256; i += blockDim.x)
            for (int w = 0; w < 2; w++)
                lut_live[w * 512 + 256 + i] = lut_all[(w * 2 + ty) * 512 + 256 + i];
    }
}

static int parts_for(long npairs)
{
    long p = (npairs + 4095) / 4096;
    return p < 1 ? 1 : p > 8 ? 8 : (int)p;
}

extern "C" {
long ks_olive_part_doubles(int rows, int cols) { return 2L * KS_OLIVE_NCAND * parts_for((long)rows * cols / 2); }

int ks_olive_quant(const float *x, int rows, int cols, const KsOliveTab *tab, KsOliveState *st, double *part,
                   uint8_t *codes, float *scale32, uint32_t *lut_live, const uint32_t *lut_all, void *stream)
{
    if (cols % 2)
        return -1;
    const cudaStream_t s = (cudaStream_t)stream;
    const long n = (long)rows * cols, np = n / 2;
    const int P = parts_for(np);
    const float2 *x2 = (const float2 *)x;
    olive_stats_kernel<<<1, 1024, 0, s>>>(x, n, st);
    olive_err_kernel<<<dim3(2 * KS_OLIVE_NCAND, P), OT, 0, s>>>(x2, np, tab, st, part);
    olive_pick_kernel<<<2, OT, 0, s>>>(x2, np, tab, st, part, P);
    long g = (np + OT - 1) / OT;
    olive_encode_kernel<<<g > 1024 ? 1024 : (int)g, OT, 0, s>>>(x2, np, tab, st, codes, scale32, lut_live, lut_all);
    return (int)cudaGetLastError();
}
}
