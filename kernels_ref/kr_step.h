/* kernels_ref/kr_step.h — whole decode steps on the GPU (kr_step, docs/gpu.md "Whole decode steps"):
 * one decoder forward pass of a model of traces/workload.c at batch B and KV length kv, every
 * linear layer through kr_launch (or cuBLAS for fp16), the vector work through the kernels of
 * kr_step_vec.cu, kr_step_attn.cu and kr_step_olive.cu, captured in a CUDA graph.
 *
 *   kr_step.c        main: options, device, the loop over models, formats, batches, kv
 *   kr_step_model.c  the model's dimensions, its synthetic weights per format (one layer quantized
 *                    and packed on the host, copied to distinct device allocations per layer),
 *                    the seeded tables (embedding, norm gains, KV cache contents)
 *   kr_step_vec.cu   embedding, residual add + RMSNorm, RoPE + KV append, SiLU * mul, int8 rows
 *   kr_step_attn.cu  split-KV decode attention (GQA), its combine
 *   kr_step_olive.cu OliVe's per-tensor activation quantizer (kr_step_olive.h)
 *   kr_step_run.c    the step's launch sequence, its graph, timing and energy
 *   kr_step_ref.c    the CPU reference step (models/golden GEMMs, float vector ops)
 *   kr_step_json.c   the results file steps-<date>-<seed>.json
 *
 * Layouts (row-major, device):
 *   h       fp32 [B][hidden]             the residual stream
 *   y*      fp32 [B][N]                  GEMM outputs (kr_launch, cuBLAS with fp32 C)
 *   act     the format's activation codes [B][K] (fp16, int8 + fp32 scale per row, OliVe pair
 *           bytes + one fp32 scale); xf fp32 [B][K] before int8/OliVe quantization
 *   q       fp16 [B][heads][head_dim]    after RoPE
 *   cache   fp16 [layers][Bmax][kv_heads][smax][head_dim], K and V apart
 */
#ifndef MP_KERNELS_REF_KR_STEP_H
#define MP_KERNELS_REF_KR_STEP_H

#include <stdint.h>

#include "kernels_ref/kr_api.h"

#ifdef __CUDACC__
#define KR_HD __host__ __device__ static inline
#else
#define KR_HD static inline
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The linear layers of one decoder block, then lm_head. */
enum { KS_Q, KS_K, KS_V, KS_O, KS_GATE, KS_UP, KS_DOWN, KS_LM, KS_NMAT };

/* How a vector kernel writes the activations of the next linear layer. */
enum { KS_OUT_F16 = 0, KS_OUT_F32 = 1 };

#define KS_ROPE_THETA 10000.0
#define KS_RMS_EPS 1e-5f
#define KS_CHUNK 64 /* KV positions per attention block (kr_step_attn.cu) */

/* Seeded values shared by the GPU tables and the CPU reference: a 64-bit mix of (seed, a, b, c)
 * mapped to a float in [-1, 1) with 24 random bits. */
KR_HD uint64_t ks_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}
KR_HD float ks_unif(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = ks_mix(seed ^ ks_mix(a + 0x9e3779b97f4a7c15ull * (b + 1) + 0xd1b54a32d192ed03ull * (c + 1)));
    return (float)((double)(h >> 40) * 0x1p-23 - 1.0);
}
/* The KV cache element (layer l, sequence b, kv head h, position p, feature d; which 0 K, 1 V)
 * before the step appends its own at p = kv - 1: uniform in [-KS_KV_AMP, KS_KV_AMP), then fp16
 * (the caller rounds). K's spread makes the softmax peaked enough for attention to matter. */
#define KS_KV_AMP_K 3.0f
#define KS_KV_AMP_V 1.0f
KR_HD float ks_kv_value(uint64_t seed, int l, int b, int h, int p, int d, int which)
{
    float u = ks_unif(seed ^ (which ? 0x5656ull : 0x4b4bull), (uint64_t)l * 4096 + (uint64_t)b, (uint64_t)h * 65536 + (uint64_t)p,
                      (uint64_t)d);
    return u * (which ? KS_KV_AMP_V : KS_KV_AMP_K);
}

/* ------------------------------------------------------------------ device kernels (extern "C") */

/* Returns cudaGetLastError after the launch. stream: a cudaStream_t. */
/* cache positions [p0, p1) of every layer, sequence and kv head: ks_kv_value rounded to fp16 */
int ks_fill_kv(uint16_t *cache, uint64_t seed, int which, int layers, int bmax, int kvh, int smax, int hd, int p0,
               int p1, void *stream);
int ks_fill_table(uint16_t *t, uint64_t seed, long rows, int cols, float amp, void *stream);
/* h[b][:] = table[tok[b]][:] (fp16 -> fp32) */
int ks_embed(float *h, const uint16_t *table, const int *tok, int B, int H, void *stream);
/* if y: h += y; then out[b][:] = h * rsqrt(mean(h^2) + eps) * gain (fp16 or fp32 per mode); h_copy (if
 * not NULL) gets h after the add. */
int ks_add_norm(float *h, const float *y, const float *gain, void *out, int mode, float *h_copy, int B, int H,
                void *stream);
/* q, k: RoPE with the (cos, sin) pairs cs[row][0..hd/2) (feature i pairs with i + hd/2); q -> qh fp16;
 * k, v -> the caches (fp16). Decode (prefill = 0): row b is sequence b at position pos, cs row 0.
 * Prefill: row b is token b of sequence 0 at position b, cs row b. */
int ks_rope_append(const float *yq, const float *yk, const float *yv, const float *cs, uint16_t *qh, uint16_t *kc,
                   uint16_t *vc, int B, int nh, int nkv, int hd, int pos, int prefill, int smax, void *stream);
/* out[b][i] = silu(g) * u (fp16 or fp32 per mode) */
int ks_silu_mul(const float *g, const float *u, void *out, int mode, int B, int F, void *stream);
/* int8 per-token quantization as models/ QS_SYM_ROW: scale = fp32(max|x| / 127), code = rne(x / scale) */
int ks_act_i8(const float *x, int8_t *codes, float *scale, int B, int K, void *stream);
/* Decode attention over kv positions of the cache (layer slice kc, vc: [bmax][nkv][smax][hd]) for the
 * B queries qh; out [B][nh * hd] fp16 or fp32 per mode. part: workspace of ks_attn_part_floats. */
long ks_attn_part_floats(int B, int nh, int hd, int smax);
int ks_attention(const uint16_t *qh, const uint16_t *kc, const uint16_t *vc, float *part, void *out, int mode, int B,
                 int nh, int nkv, int hd, int kv, int smax, void *stream);

/* Prefill attention (kr_step_attn.cu): the per-head pointer arrays (6 nh device pointers at ptrs) of one
 * layer's cache slice, then the two cuBLAS batched GEMMs around the causal softmax. S: fp32 [nh][P][P],
 * Pm: fp16 [nh][P][P]; out [P][nh hd] fp16 or fp32 per mode. cb: a cublasHandle_t on `stream`. */
int ks_attn_prefill_ptrs(const uint16_t *qh, const uint16_t *kc, const uint16_t *vc, float *S, uint16_t *Pm, void *out,
                         int mode, int P, int nh, int nkv, int hd, int smax, const void **ptrs);
int ks_attn_prefill(void *cb, const void **ptrs, float *S, uint16_t *Pm, int mode, int P, int nh, int hd, void *stream);

#ifdef __cplusplus
}
#endif

#endif
