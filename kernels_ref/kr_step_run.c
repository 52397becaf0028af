/* kernels_ref/kr_step_run.c — one decode step's launches (kr_step.h), in stream order:
 *
 *   embed                                   h = table[tok]
 *   per layer l:
 *     add_norm(h, yd of l-1, attn gain) -> x      (x: the format's activations, see emit())
 *     q, k, v = x W^T                              (kr_launch, or cuBLAS fp16 with fp32 C)
 *     rope_append                                  q -> qh fp16; k, v -> cache position kv - 1
 *     attention over kv positions -> x
 *     yo = x Wo^T
 *     add_norm(h, yo, ffn gain) -> x
 *     yg, yu = x Wg^T, x Wu^T;  silu(yg) * yu -> x;  yd = x Wd^T
 *   add_norm(h, yd of the last layer, final gain) -> x;  logits = x Wlm^T
 *
 * Prefill (prompt P): the same with B = P rows, token i at position i of sequence 0 (RoPE row i, the
 * cache's positions 0..P-1), attention through ks_attn_prefill (cuBLAS + causal softmax), and the
 * final norm and lm_head on the last token only.
 *
 * emit(): formats with fp16 activations (and cuBLAS) take the vector kernel's fp16 output directly;
 * mixpe-w4a8 takes it in fp32 and quantizes it per token to int8 (ks_act_i8); olive-w4a4 in fp32
 * through OliVe's per-tensor quantizer (ks_olive_quant).
 *
 * The step is idempotent (it rewrites h from the embedding and the same cache position), so its
 * graph can be launched again and again. */
#include <math.h>
#include <string.h>

#include "kernels_ref/kr_step_host.h"

#define R(x)                                                                                                   \
    do {                                                                                                       \
        int r_ = (x);                                                                                          \
        if (r_ != 0) {                                                                                         \
            fprintf(stderr, "kr_step: %s:%d: %s failed: %d\n", __FILE__, __LINE__, #x, r_);                    \
            return r_;                                                                                         \
        }                                                                                                      \
    } while (0)

static int a16(int kern) { return kern != KR_MIXPE_W4A8 && kern != KR_OLIVE_W4A4; }

/* The vector kernel wrote x (fp16 into d->act, or fp32 into d->xf): quantize where the format needs. */
static int emit(const KsWeights *w, KsDev *d, int B, int K, cudaStream_t st)
{
    if (a16(w->kern))
        return 0;
    if (w->kern == KR_MIXPE_W4A8)
        return ks_act_i8(d->xf, d->act, d->act_scale, B, K, st);
    return ks_olive_quant(d->xf, B, K, d->otab, d->ost, d->opart, d->act, d->act_scale, d->lut_live, d->lut_all, st);
}
/* Where the vector kernel writes x, and in which mode. */
static void *xout(const KsWeights *w, KsDev *d) { return a16(w->kern) ? d->act : (void *)d->xf; }
static int xmode(const KsWeights *w) { return a16(w->kern) ? KS_OUT_F16 : KS_OUT_F32; }

/* A checked step (dump): x of point p of layer l, rows x K as the vector kernel wrote it, to its
 * xdump slot (before emit() quantizes it; emit leaves xf as it was). */
static int xsave(const KsWeights *w, KsDev *d, int dump, int l, int p, int rows, int K, cudaStream_t st)
{
    if (!dump)
        return 0;
    const size_t bytes = (size_t)rows * K * (a16(w->kern) ? 2 : 4);
    if (rows > d->crows)
        return -1;
    return (int)cudaMemcpyAsync((char *)d->xdump + ((size_t)l * KS_XPTS + p) * d->xslot, xout(w, d), bytes,
                                cudaMemcpyDeviceToDevice, st);
}

/* y [B][N] fp32 = x W^T for matrix i of layer l. */
static int gemm(const KsWeights *w, KsDev *d, int l, int i, int B, float *y, cudaStream_t st)
{
    const KrWeights *kw = &w->kw[l][i];
    const int K = kw->k;
    if (w->kern == KR_CUBLAS) {
        const float one = 1.0f, zero = 0.0f;
        cublasStatus_t s = cublasGemmEx(d->cb, CUBLAS_OP_T, CUBLAS_OP_N, kw->n, B, K, &one, kw->codes, CUDA_R_16F, K,
                                        d->act, CUDA_R_16F, K, &zero, y, CUDA_R_32F, kw->n, CUBLAS_COMPUTE_32F,
                                        CUBLAS_GEMM_DEFAULT);
        return s != CUBLAS_STATUS_SUCCESS ? -1 : (int)cudaGetLastError();
    }
    KrActs x;
    x.codes = d->act, x.m = B, x.k = K;
    x.scale32 = w->kern == KR_MIXPE_W4A8 || w->kern == KR_OLIVE_W4A4 ? d->act_scale : NULL;
    x.row_bytes = w->kern == KR_OLIVE_W4A4 ? (size_t)K / 2 : w->kern == KR_MIXPE_W4A8 ? (size_t)K : (size_t)K * 2;
    const uint32_t *lut = w->kern == KR_OLIVE_W4A4 ? d->lut_live + 512 * w->type[i] : NULL;
    return kr_launch((KrKernel)w->kern, KR_VAR_AUTO, kw, &x, lut, y, st);
}

int ks_act_mode(int kern) { return a16(kern) ? KS_OUT_F16 : KS_OUT_F32; }

int ks_step_launch(const KsModel *m, const KsWeights *w, KsDev *d, int B, int kv, int prompt, int dump,
                   cudaStream_t st)
{
    const int H = m->H, QD = m->nh * m->hd, pos = kv - 1;
    const size_t lstride = (size_t)d->bmax * m->nkv * d->smax * m->hd; /* one layer of a cache */
    if (prompt)
        B = prompt; /* rows: the prompt's tokens */
    R(ks_embed(d->h, d->emb, d->tok, B, H, st));
    for (int l = 0; l <= m->L; l++) {
        const float *gain = d->gain + (size_t)(2 * l) * H;
        float *hc = dump ? d->dump + (size_t)l * B * H : NULL;
        if (l == m->L && prompt) { /* the final norm and lm_head on the prompt's last token only */
            const size_t last = (size_t)(B - 1) * H;
            if (hc) /* the rows before the last, for the check only (their norm output is discarded) */
                R(ks_add_norm(d->h, d->yd, gain, d->xf, KS_OUT_F32, hc, B - 1, H, st));
            R(ks_add_norm(d->h + last, d->yd + last, gain, xout(w, d), xmode(w), hc ? hc + last : NULL, 1, H, st));
            R(xsave(w, d, dump, l, KS_XPT_ATTN_NORM, 1, H, st));
            R(emit(w, d, 1, H, st));
            break;
        }
        R(ks_add_norm(d->h, l ? d->yd : NULL, gain, xout(w, d), xmode(w), hc, B, H, st));
        R(xsave(w, d, dump, l, KS_XPT_ATTN_NORM, B, H, st));
        R(emit(w, d, B, H, st));
        if (l == m->L)
            break; /* the final norm: then lm_head */
        R(gemm(w, d, l, KS_Q, B, d->yq, st));
        R(gemm(w, d, l, KS_K, B, d->yk, st));
        R(gemm(w, d, l, KS_V, B, d->yv, st));
        uint16_t *kc = d->kc + (size_t)l * lstride, *vc = d->vc + (size_t)l * lstride;
        R(ks_rope_append(d->yq, d->yk, d->yv, d->cs, d->qh, kc, vc, B, m->nh, m->nkv, m->hd, pos, prompt > 0, d->smax,
                         st));
        if (prompt)
            R(ks_attn_prefill(d->cb, d->pptr + (size_t)l * 6 * m->nh, d->S, d->Pm, xmode(w), B, m->nh, m->hd, st));
        else
            R(ks_attention(d->qh, kc, vc, d->part, xout(w, d), xmode(w), B, m->nh, m->nkv, m->hd, kv, d->smax, st));
        R(xsave(w, d, dump, l, KS_XPT_ATTN, B, QD, st));
        R(emit(w, d, B, QD, st));
        R(gemm(w, d, l, KS_O, B, d->yo, st));
        R(ks_add_norm(d->h, d->yo, gain + H, xout(w, d), xmode(w), NULL, B, H, st));
        R(xsave(w, d, dump, l, KS_XPT_FFN_NORM, B, H, st));
        R(emit(w, d, B, H, st));
        R(gemm(w, d, l, KS_GATE, B, d->yg, st));
        R(gemm(w, d, l, KS_UP, B, d->yu, st));
        R(ks_silu_mul(d->yg, d->yu, xout(w, d), xmode(w), B, m->F, st));
        R(xsave(w, d, dump, l, KS_XPT_SILU, B, m->F, st));
        R(emit(w, d, B, m->F, st));
        R(gemm(w, d, l, KS_DOWN, B, d->yd, st));
    }
    R(gemm(w, d, 0, KS_LM, prompt ? 1 : B, d->logits, st));
    return 0;
}

typedef struct GCtx {
    cudaGraphExec_t ex;
} GCtx;
static int launch_graph(void *c, int copy, cudaStream_t st)
{
    (void)copy;
    return (int)cudaGraphLaunch(((GCtx *)c)->ex, st);
}

void ks_step_time(const KsModel *m, const KsWeights *w, KsDev *d, int B, int kv, int prompt, int energy, double *ms,
                  double *j)
{
    cudaGraph_t g;
    GCtx gc;
    CK(cudaStreamBeginCapture(kr_st, cudaStreamCaptureModeThreadLocal));
    if (ks_step_launch(m, w, d, B, kv, prompt, 0, kr_st) != 0) {
        fprintf(stderr, "kr_step: launch failed during graph capture\n");
        exit(3);
    }
    CK(cudaStreamEndCapture(kr_st, &g));
    CK(cudaGraphInstantiate(&gc.ex, g, 0));
    CK(cudaGraphDestroy(g));
    cudaEvent_t e0, e1;
    CK(cudaEventCreate(&e0));
    CK(cudaEventCreate(&e1));
    for (int i = 0; i < 3; i++)
        CK(cudaGraphLaunch(gc.ex, kr_st));
    CK(cudaStreamSynchronize(kr_st));
    /* launches timed one by one: at least 10, then on until 0.5 s (at most NMAX) */
    enum { NMAX = 400 };
    double v[NMAX];
    int n = 0;
    double t0 = kr_time_now_s();
    while (n < NMAX && (n < 10 || kr_time_now_s() - t0 < 0.5)) {
        float f;
        CK(cudaEventRecord(e0, kr_st));
        CK(cudaGraphLaunch(gc.ex, kr_st));
        CK(cudaEventRecord(e1, kr_st));
        CK(cudaEventSynchronize(e1));
        CK(cudaEventElapsedTime(&f, e0, e1));
        v[n++] = f;
    }
    *ms = kr_time_median(v, n);
    *j = NAN;
    if (energy) {
        Timing T = {*ms * 1e3, NULL, 1};
        Res r;
        memset(&r, 0, sizeof r);
        r.energy_uj = NAN;
        kr_time_energy(launch_graph, &gc, 1, &T, &r);
        *j = r.energy_uj * 1e-6;
        if (isfinite(*j))
            printf("    energy %.4f J per step (%.1f W over %.2f s)\n", *j, r.power_w, r.window_s);
    }
    CK(cudaGetLastError());
    CK(cudaEventDestroy(e0));
    CK(cudaEventDestroy(e1));
    CK(cudaGraphExecDestroy(gc.ex));
}
