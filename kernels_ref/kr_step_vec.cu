/* kernels_ref/kr_step_vec.cu — the vector work of a decode step (kr_step.h): seeded tables, the
 * embedding gather, residual add + RMSNorm, RoPE + KV-cache append, SiLU * mul and int8 per-token
 * quantization. One block per token row where a row reduction is needed (256 threads); all
 * arithmetic in fp32, fp16 only where a value is stored as fp16. */
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "kr_step.h"

#define VT 256 /* threads per row block */

/* Sum (op 0) or max (op 1) of v over the block; every thread gets the result. */
__device__ static float block_reduce(float v, int op)
{
    __shared__ float red[VT / 32];
    for (int o = 16; o; o >>= 1) {
        float w = __shfl_xor_sync(0xffffffffu, v, o);
        v = op ? fmaxf(v, w) : v + w;
    }
    __syncthreads(); /* red[] may still be read by a previous call */
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = red[0];
    for (int i = 1; i < VT / 32; i++)
        v = op ? fmaxf(v, red[i]) : v + red[i];
    return v;
}

__device__ static void put(void *out, int mode, size_t i, float v)
{
    if (mode == KS_OUT_F16)
        ((__half *)out)[i] = __float2half_rn(v);
    else
        ((float *)out)[i] = v;
}

/* Positions [p0, p1) of every (layer, sequence, kv head): one row of hd features per (blockDim / hd)
 * threads. */
__global__ void fill_kv_kernel(uint16_t *c, uint64_t seed, int which, int layers, int bmax, int kvh, int smax, int hd,
                               int p0, int p1)
{
    const unsigned np = (unsigned)(p1 - p0), nrows = (unsigned)layers * bmax * kvh * np, rpb = blockDim.x / hd;
    const int d = threadIdx.x % hd;
    for (unsigned row = blockIdx.x * rpb + threadIdx.x / hd; row < nrows; row += gridDim.x * rpb) {
        const int p = p0 + (int)(row % np);
        unsigned t = row / np;
        const int h = (int)(t % kvh);
        t /= kvh;
        const int b = (int)(t % bmax), l = (int)(t / bmax);
        __half v = __float2half_rn(ks_kv_value(seed, l, b, h, p, d, which));
        c[((((size_t)l * bmax + b) * kvh + h) * smax + p) * hd + d] = *(uint16_t *)&v;
    }
}

__global__ void fill_table_kernel(uint16_t *t, uint64_t seed, long rows, int cols, float amp)
{
    const size_t n = (size_t)rows * cols;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        __half v = __float2half_rn(amp * ks_unif(seed, i / cols, i % cols, 0));
        t[i] = *(uint16_t *)&v;
    }
}

__global__ void embed_kernel(float *h, const __half *table, const int *tok, int H)
{
    const __half *row = table + (size_t)tok[blockIdx.x] * H;
    for (int i = threadIdx.x; i < H; i += blockDim.x)
        h[(size_t)blockIdx.x * H + i] = __half2float(row[i]);
}

__global__ void __launch_bounds__(VT) add_norm_kernel(float *h, const float *y, const float *gain, void *out, int mode,
                                                      float *h_copy, int H)
{
    float *hr = h + (size_t)blockIdx.x * H;
    const float *yr = y ? y + (size_t)blockIdx.x * H : NULL;
    float ss = 0;
    for (int i = threadIdx.x; i < H; i += VT) {
        float v = hr[i];
        if (yr)
            v += yr[i], hr[i] = v;
        if (h_copy)
            h_copy[(size_t)blockIdx.x * H + i] = v;
        ss += v * v;
    }
    const float r = rsqrtf(block_reduce(ss, 0) / (float)H + KS_RMS_EPS);
    for (int i = threadIdx.x; i < H; i += VT)
        put(out, mode, (size_t)blockIdx.x * H + i, hr[i] * r * gain[i]);
}

/* One thread per (head, i < hd/2) pair of q or k; v copied alongside k. */
__global__ void rope_append_kernel(const float *yq, const float *yk, const float *yv, const float2 *cs, __half *qh,
                                   __half *kc, __half *vc, int nh, int nkv, int hd, int pos, int prefill, int smax)
{
    const int b = blockIdx.y, half = hd / 2, nq = nh * half, nk = nkv * half;
    const int seq = prefill ? 0 : b, p = prefill ? b : pos;
    cs += prefill ? (size_t)b * half : 0;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < nq + nk; t += gridDim.x * blockDim.x) {
        const int isk = t >= nq, u = isk ? t - nq : t, hh = u / half, i = u % half;
        const float *src = (isk ? yk + (size_t)b * nkv * hd : yq + (size_t)b * nh * hd) + (size_t)hh * hd;
        const float2 c = cs[i];
        const float a = src[i], bb = src[i + half];
        const float r0 = a * c.x - bb * c.y, r1 = bb * c.x + a * c.y;
        if (!isk) {
            __half *q = qh + ((size_t)b * nh + hh) * hd;
            q[i] = __float2half_rn(r0);
            q[i + half] = __float2half_rn(r1);
        } else {
            const size_t o = (((size_t)seq * nkv + hh) * smax + p) * hd;
            kc[o + i] = __float2half_rn(r0);
            kc[o + i + half] = __float2half_rn(r1);
            const float *vs = yv + (size_t)b * nkv * hd + (size_t)hh * hd;
            vc[o + i] = __float2half_rn(vs[i]);
            vc[o + i + half] = __float2half_rn(vs[i + half]);
        }
    }
}

__global__ void silu_mul_kernel(const float *g, const float *u, void *out, int mode, size_t n)
{
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        const float a = g[i];
        put(out, mode, i, a / (1.0f + expf(-a)) * u[i]);
    }
}

__global__ void __launch_bounds__(VT) act_i8_kernel(const float *x, int8_t *codes, float *scale, int K)
{
    const float *xr = x + (size_t)blockIdx.x * K;
    float m = 0;
    for (int i = threadIdx.x; i < K; i += VT)
        m = fmaxf(m, fabsf(xr[i]));
    m = block_reduce(m, 1);
    const float s = m > 0 ? (float)((double)m / 127.0) : 1.0f;
    if (threadIdx.x == 0)
        scale[blockIdx.x] = s;
    for (int i = threadIdx.x; i < K; i += VT) {
        double c = rint((double)xr[i] / (double)s); /* ties to even, as fmt_nearest on int8 */
        c = c > 127 ? 127 : c < -127 ? -127 : c;
        codes[(size_t)blockIdx.x * K + i] = (int8_t)c;
    }
}

static int grid_for(size_t n) { size_t g = (n + 255) / 256; return g > 65536 ? 65536 : (int)(g ? g : 1); }

extern "C" {
int ks_fill_kv(uint16_t *cache, uint64_t seed, int which, int layers, int bmax, int kvh, int smax, int hd, int p0,
               int p1, void *st)
{
    if (hd > 256 || 256 % hd || p0 < 0 || p1 > smax || p0 >= p1)
        return -1;
    fill_kv_kernel<<<16384, 256, 0, (cudaStream_t)st>>>(cache, seed, which, layers, bmax, kvh, smax, hd, p0, p1);
    return (int)cudaGetLastError();
}
int ks_fill_table(uint16_t *t, uint64_t seed, long rows, int cols, float amp, void *st)
{
    fill_table_kernel<<<grid_for((size_t)rows * cols), 256, 0, (cudaStream_t)st>>>(t, seed, rows, cols, amp);
    return (int)cudaGetLastError();
}
int ks_embed(float *h, const uint16_t *table, const int *tok, int B, int H, void *st)
{
    embed_kernel<<<B, 256, 0, (cudaStream_t)st>>>(h, (const __half *)table, tok, H);
    return (int)cudaGetLastError();
}
int ks_add_norm(float *h, const float *y, const float *gain, void *out, int mode, float *h_copy, int B, int H, void *st)
{
    add_norm_kernel<<<B, VT, 0, (cudaStream_t)st>>>(h, y, gain, out, mode, h_copy, H);
    return (int)cudaGetLastError();
}
int ks_rope_append(const float *yq, const float *yk, const float *yv, const float *cs, uint16_t *qh, uint16_t *kc,
                   uint16_t *vc, int B, int nh, int nkv, int hd, int pos, int prefill, int smax, void *st)
{
    const int n = (nh + nkv) * hd / 2;
    dim3 grid((n + 255) / 256, B);
    rope_append_kernel<<<grid, 256, 0, (cudaStream_t)st>>>(yq, yk, yv, (const float2 *)cs, (__half *)qh, (__half *)kc,
                                                          (__half *)vc, nh, nkv, hd, pos, prefill, smax);
    return (int)cudaGetLastError();
}
int ks_silu_mul(const float *g, const float *u, void *out, int mode, int B, int F, void *st)
{
    const size_t n = (size_t)B * F;
    silu_mul_kernel<<<grid_for(n), 256, 0, (cudaStream_t)st>>>(g, u, out, mode, n);
    return (int)cudaGetLastError();
}
int ks_act_i8(const float *x, int8_t *codes, float *scale, int B, int K, void *st)
{
    act_i8_kernel<<<B, VT, 0, (cudaStream_t)st>>>(x, codes, scale, K);
    return (int)cudaGetLastError();
}
}
