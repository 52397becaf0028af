/* kernels_ref/kr_step_attn.cu — decode attention over an fp16 KV cache, split-KV ("flash decoding"),
 * GQA-aware: one block per (KS_CHUNK positions, kv head, sequence) serves all G = nh / nkv query
 * heads of its kv head, so each K and V byte is read once per step. fp32 scores and softmax.
 *
 *   pass 1 (attn_part_kernel), 256 threads, HD = 64 or 128:
 *     K phase   thread t: position t / 4 of the chunk, quarter t % 4 of its features (HD/4 fp16 in
 *               16-byte loads), G dot products, reduced over the 4 threads with shuffles;
 *     softmax   warp g: the chunk's max m_g and l_g = sum exp(s - m_g) of head g;
 *     V phase   thread t: 8 features (one 16-byte load) of every (256 / (HD/8))-th position,
 *               then the position groups summed in shared memory;
 *     writes    part: o[B][nh][nsplit][HD] (unnormalized, relative to m), m[..][nsplit], l[..][nsplit].
 *   pass 2 (attn_combine_kernel), HD threads per (head, sequence): the splits rescaled to the global
 *     max and summed, divided by the global l; out fp16 or fp32 [B][nh * HD].
 */
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>

#include "kr_step.h"

#define AT 256
#define GMAX 4 /* query heads per kv head handled (GQA group) */

template <int HD>
__global__ void __launch_bounds__(AT) attn_part_kernel(const __half *qh, const __half *kc, const __half *vc, float *po,
                                                       float *pm, float *pl, int nh, int nkv, int kv, int smax,
                                                       int nsplit, float sm_scale)
{
    constexpr int Q4 = HD / 4;        /* features per thread in the K phase */
    constexpr int CH = HD / 8;        /* 16-byte chunks per row */
    constexpr int NPG = AT / CH;      /* position groups in the V phase */
    const int split = blockIdx.x, hk = blockIdx.y, b = blockIdx.z, G = nh / nkv;
    const int p0 = split * KS_CHUNK;
    __shared__ float qs[GMAX][HD];
    __shared__ float sc[GMAX][KS_CHUNK];
    __shared__ float red[NPG][HD]; /* per head in turn */
    const size_t kvbase = ((size_t)b * nkv + hk) * smax * HD;
    for (int i = threadIdx.x; i < G * HD; i += AT)
        qs[i / HD][i % HD] = __half2float(qh[((size_t)b * nh + hk * G + i / HD) * HD + i % HD]);
    __syncthreads();

    { /* K phase */
        const int p = threadIdx.x >> 2, part = threadIdx.x & 3, pos = p0 + p;
        float dot[GMAX];
#pragma unroll
        for (int g = 0; g < GMAX; g++)
            dot[g] = 0;
        if (pos < kv) {
            const uint4 *src = (const uint4 *)(kc + kvbase + (size_t)pos * HD + part * Q4);
            uint4 r[Q4 / 8];
#pragma unroll
            for (int j = 0; j < Q4 / 8; j++)
                r[j] = __ldg(src + j);
#pragma unroll
            for (int j = 0; j < Q4 / 8; j++) {
                const __half2 *h2 = (const __half2 *)&r[j];
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const float2 f = __half22float2(h2[e]);
                    const int d = part * Q4 + j * 8 + 2 * e;
#pragma unroll
                    for (int g = 0; g < GMAX; g++)
                        if (g < G)
                            dot[g] += f.x * qs[g][d] + f.y * qs[g][d + 1];
                }
            }
        }
#pragma unroll
        for (int g = 0; g < GMAX; g++) {
            if (g >= G)
                break;
            float v = dot[g];
            v += __shfl_xor_sync(0xffffffffu, v, 1);
            v += __shfl_xor_sync(0xffffffffu, v, 2);
            if (part == 0)
                sc[g][p] = pos < kv ? v * sm_scale : -INFINITY;
        }
    }
    __syncthreads();
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const size_t prow = ((size_t)b * nh + hk * G) * nsplit + split; /* + g * nsplit */
    for (int g = warp; g < G; g += AT / 32) { /* softmax pieces: p = exp(s - m) in place */
        float a = sc[g][lane], c = sc[g][lane + 32];
        float m = fmaxf(a, c);
        for (int o = 16; o; o >>= 1)
            m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
        a = expf(a - m), c = expf(c - m); /* m is finite: position p0 < kv always */
        sc[g][lane] = a, sc[g][lane + 32] = c;
        float l = a + c;
        for (int o = 16; o; o >>= 1)
            l += __shfl_xor_sync(0xffffffffu, l, o);
        if (lane == 0)
            pm[prow + (size_t)g * nsplit] = m, pl[prow + (size_t)g * nsplit] = l;
    }
    __syncthreads();

    /* V phase */
    const int c = threadIdx.x % CH, pg = threadIdx.x / CH;
    float acc[GMAX][8];
#pragma unroll
    for (int g = 0; g < GMAX; g++)
#pragma unroll
        for (int e = 0; e < 8; e++)
            acc[g][e] = 0;
#pragma unroll
    for (int i = 0; i < KS_CHUNK / NPG; i++) {
        const int p = pg + i * NPG;
        if (p0 + p >= kv)
            break;
        const uint4 r = __ldg((const uint4 *)(vc + kvbase + (size_t)(p0 + p) * HD) + c);
        const __half2 *h2 = (const __half2 *)&r;
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const float2 f = __half22float2(h2[e]);
#pragma unroll
            for (int g = 0; g < GMAX; g++)
                if (g < G) {
                    const float w = sc[g][p];
                    acc[g][2 * e] += w * f.x;
                    acc[g][2 * e + 1] += w * f.y;
                }
        }
    }
    for (int g = 0; g < G; g++) {
#pragma unroll
        for (int e = 0; e < 8; e++)
            red[pg][c * 8 + e] = acc[g][e];
        __syncthreads();
        for (int d = threadIdx.x; d < HD; d += AT) {
            float s = 0;
            for (int q = 0; q < NPG; q++)
                s += red[q][d];
            po[(prow + (size_t)g * nsplit) * HD + d] = s;
        }
        __syncthreads();
    }
}

template <int HD>
__global__ void attn_combine_kernel(const float *po, const float *pm, const float *pl, void *out, int mode, int nh,
                                    int nsplit)
{
    const int h = blockIdx.x, b = blockIdx.y, d = threadIdx.x;
    const size_t row = ((size_t)b * nh + h) * nsplit;
    float m = -INFINITY;
    for (int s = 0; s < nsplit; s++)
        m = fmaxf(m, pm[row + s]);
    float l = 0, o = 0;
    for (int s = 0; s < nsplit; s++) {
        const float w = expf(pm[row + s] - m);
        l += w * pl[row + s];
        o += w * po[(row + s) * HD + d];
    }
    const float v = o / l;
    const size_t i = ((size_t)b * nh + h) * HD + d;
    if (mode == KS_OUT_F16)
        ((__half *)out)[i] = __float2half_rn(v);
    else
        ((float *)out)[i] = v;
}

extern "C" {
long ks_attn_part_floats(int B, int nh, int hd, int smax)
{
    const long ns = (smax + KS_CHUNK - 1) / KS_CHUNK;
    return (long)B * nh * ns * (hd + 2);
}

int ks_attention(const uint16_t *qh, const uint16_t *kc, const uint16_t *vc, float *part, void *out, int mode, int B,
                 int nh, int nkv, int hd, int kv, int smax, void *stream)
{
    if (nh % nkv != 0 || nh / nkv > GMAX || (hd != 64 && hd != 128) || kv < 1 || kv > smax)
        return -1;
    const int ns = (kv + KS_CHUNK - 1) / KS_CHUNK;
    float *po = part, *pm = po + (size_t)B * nh * ns * hd, *pl = pm + (size_t)B * nh * ns;
    const cudaStream_t st = (cudaStream_t)stream;
    const dim3 g1(ns, nkv, B), g2(nh, B);
    const float sc = 1.0f / sqrtf((float)hd);
    if (hd == 128) {
        attn_part_kernel<128><<<g1, AT, 0, st>>>((const __half *)qh, (const __half *)kc, (const __half *)vc, po, pm,
                                                 pl, nh, nkv, kv, smax, ns, sc);
        attn_combine_kernel<128><<<g2, 128, 0, st>>>(po, pm, pl, out, mode, nh, ns);
    } else {
        attn_part_kernel<64><<<g1, AT, 0, st>>>((const __half *)qh, (const __half *)kc, (const __half *)vc, po, pm, pl,
                                                nh, nkv, kv, smax, ns, sc);
        attn_combine_kernel<64><<<g2, 64, 0, st>>>(po, pm, pl, out, mode, nh, ns);
    }
    return (int)cudaGetLastError();
}
}

/* ---------------------------------------------------------------- prefill
 *
 * One sequence of P tokens at positions 0..P-1, its K and V already in the cache (sequence 0):
 *   S_h = Q_h K_{h/G}^T / sqrt(hd)      cuBLAS batched GEMM over heads, fp32 [nh][P][P]
 *   P_h = causal softmax of S_h's rows   (ours: row i keeps columns <= i), fp16 [nh][P][P]
 *   O_h = P_h V_{h/G}                   cuBLAS batched GEMM, written at column h * hd of out [P][nh hd]
 * The pointer arrays (per head: K, Q, S; V, P, O) are built once per layout (ks_attn_prefill_ptrs). */

__global__ void __launch_bounds__(256) causal_softmax_kernel(const float *S, __half *Pm, int P)
{
    const int i = blockIdx.x, h = blockIdx.y;
    const float *s = S + ((size_t)h * P + i) * P;
    __half *p = Pm + ((size_t)h * P + i) * P;
    __shared__ float red[8];
    float m = -INFINITY;
    for (int j = threadIdx.x; j <= i; j += blockDim.x)
        m = fmaxf(m, s[j]);
    for (int o = 16; o; o >>= 1)
        m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x >> 5] = m;
    __syncthreads();
    m = red[0];
    for (int w = 1; w < 8; w++)
        m = fmaxf(m, red[w]);
    __syncthreads();
    float l = 0;
    for (int j = threadIdx.x; j <= i; j += blockDim.x)
        l += expf(s[j] - m);
    for (int o = 16; o; o >>= 1)
        l += __shfl_xor_sync(0xffffffffu, l, o);
    if ((threadIdx.x & 31) == 0)
        red[threadIdx.x >> 5] = l;
    __syncthreads();
    l = 0;
    for (int w = 0; w < 8; w++)
        l += red[w];
    const float inv = 1.0f / l;
    for (int j = threadIdx.x; j < P; j += blockDim.x)
        p[j] = __float2half_rn(j <= i ? expf(s[j] - m) * inv : 0.0f);
}

extern "C" {
int ks_attn_prefill_ptrs(const uint16_t *qh, const uint16_t *kc, const uint16_t *vc, float *S, uint16_t *Pm, void *out,
                         int mode, int P, int nh, int nkv, int hd, int smax, const void **ptrs)
{
    const int G = nh / nkv;
    const size_t eb = mode == KS_OUT_F16 ? 2 : 4;
    const void **hp = (const void **)malloc(6 * (size_t)nh * sizeof *hp);
    if (!hp)
        return -1;
    for (int h = 0; h < nh; h++) {
        const size_t kvo = (size_t)(h / G) * smax * hd; /* sequence 0 of the layer slice */
        hp[0 * nh + h] = kc + kvo;
        hp[1 * nh + h] = qh + (size_t)h * hd;
        hp[2 * nh + h] = S + (size_t)h * P * P;
        hp[3 * nh + h] = vc + kvo;
        hp[4 * nh + h] = Pm + (size_t)h * P * P;
        hp[5 * nh + h] = (const uint8_t *)out + (size_t)h * hd * eb;
    }
    cudaError_t e = cudaMemcpy(ptrs, hp, 6 * (size_t)nh * sizeof *hp, cudaMemcpyHostToDevice);
    free(hp);
    return (int)e;
}

int ks_attn_prefill(void *cbv, const void **ptrs, float *S, uint16_t *Pm, int mode, int P, int nh, int hd,
                    void *stream)
{
    const cublasHandle_t cb = (cublasHandle_t)cbv;
    const float scale = 1.0f / sqrtf((float)hd), one = 1.0f, zero = 0.0f;
    /* col-major: S_h^T (P_k x P_q, ld P) = K'^T (K' = hd x P_k, ld hd) * Q' (hd x P_q, ld nh hd) */
    cublasStatus_t s = cublasGemmBatchedEx(cb, CUBLAS_OP_T, CUBLAS_OP_N, P, P, hd, &scale, ptrs, CUDA_R_16F, hd,
                                           ptrs + nh, CUDA_R_16F, nh * hd, &zero, (void *const *)(ptrs + 2 * nh),
                                           CUDA_R_32F, P, nh, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
    if (s != CUBLAS_STATUS_SUCCESS)
        return -1;
    causal_softmax_kernel<<<dim3(P, nh), 256, 0, (cudaStream_t)stream>>>(S, (__half *)Pm, P);
    /* col-major: O' (hd x P_q, ld nh hd) = V' (hd x P_k, ld hd) * P' (P_k x P_q, ld P) */
    s = cublasGemmBatchedEx(cb, CUBLAS_OP_N, CUBLAS_OP_N, hd, P, P, &one, ptrs + 3 * nh, CUDA_R_16F, hd, ptrs + 4 * nh,
                            CUDA_R_16F, P, &zero, (void *const *)(ptrs + 5 * nh),
                            mode == KS_OUT_F16 ? CUDA_R_16F : CUDA_R_32F, nh * hd, nh, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT);
    if (s != CUBLAS_STATUS_SUCCESS)
        return -1;
    return (int)cudaGetLastError();
}
}
