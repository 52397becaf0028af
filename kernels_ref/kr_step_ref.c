/* kernels_ref/kr_step_ref.c — the CPU reference of a decode step (kr_step_run.c's sequence): every
 * linear layer through the golden model of the format (kr_chk_golden: golden_acc_run /
 * golden_acc_finish on the base rows, the same functions the kernel runner's check uses), its
 * activations quantized by models/ (quant_matrix with the format's activation parameters: fp16
 * rounding, int8 per token, OliVe per tensor with its alpha search); the vector work in float,
 * rounded to fp16 where the GPU stores fp16 (q after RoPE, the cache, fp16 activations). The KV
 * cache is recomputed from ks_kv_value, except position kv - 1, which holds this step's own k, v.
 * Prefill: the rows are one sequence's tokens at positions 0..P-1, attending causally to their own
 * k, v.
 *
 * Given the GPU's x of each point (ks_xpt_k), the reference compares its own x there with the GPU's
 * and goes on from the GPU's: each stretch between two points is then checked from the same input on
 * both sides, so a decision that flips on the last bit of an input (an int8 rounding at .5, OliVe's
 * alpha or type where two candidates tie) cannot carry into the next stretch as a difference the
 * size of a quantization step; the quantizers themselves run on identical x. */
#include <math.h>
#include <string.h>

#include "kernels_ref/kr_host.h"
#include "kernels_ref/kr_step_host.h"
#include "models/fpx.h"

static float r16(float x) { return fp16_to_f32(fp16_from_f32(x)); }

/* y [B][N] = x [B][K] W_i^T through the golden model (outputs of the base rows, then the row map). */
static void ref_gemm(const KsRef *r, int i, const float *x, float *y)
{
    const KsWeights *w = r->w;
    const int K = w->k[i], N = w->n[i], nb = w->nb[i], B = r->B;
    QMat qx;
    kr_in_quantize(kr_in_xparams(w->kern), x, B, K, &qx);
    Golden gd;
    kr_chk_golden(w->kern, &w->q[i], &qx, B, nb, &gd);
    for (int b = 0; b < B; b++)
        for (int n = 0; n < N; n++)
            y[(size_t)b * N + n] = gd.y[(size_t)b * nb + w->map[i][n]];
    kr_chk_free(&gd);
    quant_free(&qx);
}

static void rmsnorm(const float *h, const float *gain, int B, int H, float *x)
{
    for (int b = 0; b < B; b++) {
        const float *hr = h + (size_t)b * H;
        double ss = 0;
        for (int i = 0; i < H; i++)
            ss += (double)hr[i] * hr[i];
        const float s = (float)(1.0 / sqrt(ss / H + KS_RMS_EPS));
        for (int i = 0; i < H; i++)
            x[(size_t)b * H + i] = hr[i] * s * gain[i];
    }
}

void ks_ref_embed(const KsRef *r, float *h)
{
    const int H = r->m->H;
    for (int b = 0; b < r->B; b++) {
        const int t = ks_token(r->seed, b, r->m->V);
        for (int i = 0; i < H; i++)
            h[(size_t)b * H + i] = r16(ks_unif(r->seed ^ KS_SEED_EMB, (uint64_t)t, (uint64_t)i, 0));
    }
}

/* RoPE of one head's hd features in place (pairs i, i + hd/2). */
static void rope(float *v, const float *cs, int hd)
{
    for (int i = 0; i < hd / 2; i++) {
        const float a = v[i], b = v[i + hd / 2], c = cs[2 * i], s = cs[2 * i + 1];
        v[i] = a * c - b * s;
        v[i + hd / 2] = b * c + a * s;
    }
}

/* Attention of layer l: q [B][nh][hd] (rope'd, fp16 values), knew, vnew [B][nkv][hd] (fp16 values)
 * at position kv - 1; out [B][nh * hd]. */
static void attention(const KsRef *r, int l, const float *q, const float *knew, const float *vnew, float *out)
{
    const KsModel *m = r->m;
    const int hd = m->hd, G = m->nh / m->nkv, kv = r->kv;
    const uint64_t sk = r->seed ^ KS_SEED_KV;
    const float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for collapse(2) schedule(dynamic, 1)
    for (int b = 0; b < r->B; b++)
        for (int hk = 0; hk < m->nkv; hk++) {
            float *s = kr_xmalloc((size_t)G * kv * sizeof *s), row[256];
            for (int p = 0; p < kv; p++) {
                for (int d = 0; d < hd; d++)
                    row[d] = p == kv - 1 ? knew[((size_t)b * m->nkv + hk) * hd + d]
                                         : r16(ks_kv_value(sk, l, b, hk, p, d, 0));
                for (int g = 0; g < G; g++) {
                    const float *qr = q + ((size_t)b * m->nh + hk * G + g) * hd;
                    float dot = 0;
                    for (int d = 0; d < hd; d++)
                        dot += qr[d] * row[d];
                    s[(size_t)g * kv + p] = dot * scale;
                }
            }
            double acc[4][256], lsum[4];
            for (int g = 0; g < G; g++) {
                float mx = -INFINITY;
                for (int p = 0; p < kv; p++)
                    mx = fmaxf(mx, s[(size_t)g * kv + p]);
                lsum[g] = 0;
                for (int p = 0; p < kv; p++) {
                    const float e = expf(s[(size_t)g * kv + p] - mx);
                    s[(size_t)g * kv + p] = e;
                    lsum[g] += e;
                }
                for (int d = 0; d < hd; d++)
                    acc[g][d] = 0;
            }
            for (int p = 0; p < kv; p++) {
                for (int d = 0; d < hd; d++)
                    row[d] = p == kv - 1 ? vnew[((size_t)b * m->nkv + hk) * hd + d]
                                         : r16(ks_kv_value(sk, l, b, hk, p, d, 1));
                for (int g = 0; g < G; g++)
                    for (int d = 0; d < hd; d++)
                        acc[g][d] += (double)s[(size_t)g * kv + p] * row[d];
            }
            for (int g = 0; g < G; g++)
                for (int d = 0; d < hd; d++)
                    out[(size_t)b * m->nh * hd + (size_t)(hk * G + g) * hd + d] = (float)(acc[g][d] / lsum[g]);
            free(s);
        }
}

/* Prefill attention: row i of sequence 0 attends rows 0..i (their own fp16 k, v); out [P][nh * hd]. */
static void attention_prefill(const KsRef *r, const float *q, const float *k, const float *v, float *out)
{
    const KsModel *m = r->m;
    const int hd = m->hd, G = m->nh / m->nkv, P = r->B;
    const float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for collapse(2) schedule(dynamic, 4)
    for (int i = 0; i < P; i++)
        for (int hh = 0; hh < m->nh; hh++) {
            const int hk = hh / G;
            const float *qr = q + ((size_t)i * m->nh + hh) * hd;
            float *s = kr_xmalloc((size_t)(i + 1) * sizeof *s), mx = -INFINITY;
            for (int j = 0; j <= i; j++) {
                const float *kr = k + ((size_t)j * m->nkv + hk) * hd;
                float dot = 0;
                for (int d = 0; d < hd; d++)
                    dot += qr[d] * kr[d];
                s[j] = dot * scale;
                mx = fmaxf(mx, s[j]);
            }
            double l = 0, acc[256] = {0};
            for (int j = 0; j <= i; j++) {
                const float e = expf(s[j] - mx);
                l += e;
                const float *vr = v + ((size_t)j * m->nkv + hk) * hd;
                for (int d = 0; d < hd; d++)
                    acc[d] += (double)e * vr[d];
            }
            for (int d = 0; d < hd; d++)
                out[(size_t)i * m->nh * hd + (size_t)hh * hd + d] = (float)(acc[d] / l);
            free(s);
        }
}

/* At a point: err = max(err, the GPU's x against the reference's), then go on from the GPU's. */
static void at_point(const float *gx, float *x, size_t n, double *err)
{
    if (!gx)
        return;
    const double e = ks_ref_err(gx, x, (long)n);
    *err = e > *err || !isfinite(e) ? e : *err;
    memcpy(x, gx, n * sizeof *x);
}

void ks_ref_layer(const KsRef *r, int l, float *h, const float *const *gx, double *err, float *knew, float *vnew)
{
    const KsModel *m = r->m;
    const int B = r->B, H = m->H, QD = m->nh * m->hd, KD = m->nkv * m->hd;
    const size_t big = (size_t)B * (m->F > QD ? (m->F > H ? m->F : H) : (QD > H ? QD : H));
    float *x = kr_xmalloc(big * 4), *q = kr_xmalloc((size_t)B * QD * 4), *k = kr_xmalloc((size_t)B * KD * 4);
    float *v = kr_xmalloc((size_t)B * KD * 4), *y = kr_xmalloc((size_t)B * m->F * 4), *u = kr_xmalloc((size_t)B * m->F * 4);
    float cs[256];
    if (!r->prefill)
        ks_rope_cs(m->hd, r->kv - 1, cs);
    rmsnorm(h, r->gain + (size_t)(2 * l) * H, B, H, x);
    at_point(gx ? gx[KS_XPT_ATTN_NORM] : NULL, x, (size_t)B * H, err);
    ref_gemm(r, KS_Q, x, q);
    ref_gemm(r, KS_K, x, k);
    ref_gemm(r, KS_V, x, v);
    for (int b = 0; b < B; b++) {
        if (r->prefill) /* row b at position b */
            ks_rope_cs(m->hd, b, cs);
        for (int hh = 0; hh < m->nh; hh++)
            rope(q + ((size_t)b * m->nh + hh) * m->hd, cs, m->hd);
        for (int hh = 0; hh < m->nkv; hh++)
            rope(k + ((size_t)b * m->nkv + hh) * m->hd, cs, m->hd);
    }
    for (size_t i = 0; i < (size_t)B * QD; i++)
        q[i] = r16(q[i]);
    for (size_t i = 0; i < (size_t)B * KD; i++)
        k[i] = r16(k[i]), v[i] = r16(v[i]);
    if (knew)
        memcpy(knew, k, (size_t)B * KD * sizeof *k);
    if (vnew)
        memcpy(vnew, v, (size_t)B * KD * sizeof *v);
    if (r->prefill)
        attention_prefill(r, q, k, v, x);
    else
        attention(r, l, q, k, v, x);
    at_point(gx ? gx[KS_XPT_ATTN] : NULL, x, (size_t)B * QD, err);
    ref_gemm(r, KS_O, x, y);
    for (size_t i = 0; i < (size_t)B * H; i++)
        h[i] += y[i];
    rmsnorm(h, r->gain + (size_t)(2 * l + 1) * H, B, H, x);
    at_point(gx ? gx[KS_XPT_FFN_NORM] : NULL, x, (size_t)B * H, err);
    ref_gemm(r, KS_GATE, x, y);
    ref_gemm(r, KS_UP, x, u);
    for (size_t i = 0; i < (size_t)B * m->F; i++)
        x[i] = y[i] / (1.0f + expf(-y[i])) * u[i];
    at_point(gx ? gx[KS_XPT_SILU] : NULL, x, (size_t)B * m->F, err);
    ref_gemm(r, KS_DOWN, x, y);
    for (size_t i = 0; i < (size_t)B * H; i++)
        h[i] += y[i];
    free(x), free(q), free(k), free(v), free(y), free(u);
}

void ks_ref_head(const KsRef *r, const float *h, const float *gx, float *logits, double *err)
{
    float *x = kr_xmalloc((size_t)r->B * r->m->H * 4);
    rmsnorm(h, r->gain + (size_t)(2 * r->m->L) * r->m->H, r->B, r->m->H, x);
    at_point(gx, x, (size_t)r->B * r->m->H, err);
    ref_gemm(r, KS_LM, x, logits);
    free(x);
}

double ks_ref_err(const float *a, const float *b, long n)
{
    double ss = 0, mx = 0;
    for (long i = 0; i < n; i++) {
        ss += (double)b[i] * b[i];
        const double d = fabs((double)a[i] - (double)b[i]);
        mx = d > mx || !isfinite(d) ? d : mx;
    }
    const double rms = sqrt(ss / (double)n);
    return rms > 0 ? mx / rms : mx;
}
