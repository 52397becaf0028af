/* kernels_ref/kr_step_model.c — a model's step on the device: its dimensions (traces/workload.c),
 * the synthetic weights of one format and the seeded tables.
 *
 * Weights (docs/gpu.md "Whole decode steps", "inputs" of the results file): per matrix, base_rows
 * distinct rows of traces/synth weights rescaled to rms 1 / sqrt(K) (so that every projection keeps
 * unit-scale outputs and the residual stream stays finite over all layers), quantized and packed by
 * models/ once, the N rows a seeded pick of them (kr_row_map); the same packed matrix for every
 * layer, in a distinct device allocation per layer, so a step streams all L copies from DRAM.
 * Tables: embedding fp16 uniform [-1, 1); RMSNorm gains 1 + 0.25 u; KV cache ks_kv_value. */
#include <math.h>
#include <string.h>

#include "kernels_ref/kr_host.h"
#include "kernels_ref/kr_step_host.h"
#include "traces/workload.h"

int ks_model_get(const char *name, KsModel *m)
{
    MpErr e = {0};
    const WlModel *w = wl_model_find(name, &e);
    if (!w || w->ffn_kind != WL_FFN_GATED || w->norm != VK_RMSNORM || w->rope_dims != w->head_dim || w->parallel)
        return -1; /* only Llama-like blocks: RMSNorm, full RoPE, SwiGLU */
    m->name = w->name;
    m->L = w->layers, m->H = w->hidden, m->nh = w->heads, m->nkv = w->kv_heads, m->hd = w->head_dim;
    m->F = w->ffn, m->V = w->vocab;
    return m->L <= KS_MAXL ? 0 : -1;
}

void ks_gains(const KsModel *m, uint64_t seed, float *g)
{
    for (int r = 0; r < 2 * m->L + 1; r++)
        for (int i = 0; i < m->H; i++)
            g[(size_t)r * m->H + i] = 1.0f + 0.25f * ks_unif(seed ^ KS_SEED_GAIN, (uint64_t)r, (uint64_t)i, 0);
}

int ks_token(uint64_t seed, int b, int V) { return (int)(ks_mix(seed ^ (0x544f4bull + (uint64_t)b)) % (uint64_t)V); }

void ks_rope_cs(int hd, int pos, float *cs)
{
    for (int i = 0; i < hd / 2; i++) {
        const double a = (double)pos * pow(KS_ROPE_THETA, -2.0 * i / hd);
        cs[2 * i] = (float)cos(a), cs[2 * i + 1] = (float)sin(a);
    }
}

int ks_xpt_k(const KsModel *m, int p)
{
    return p == KS_XPT_ATTN ? m->nh * m->hd : p == KS_XPT_SILU ? m->F : m->H;
}

static void *dmalloc(size_t n)
{
    void *p;
    CK(cudaMalloc(&p, n ? n : 16));
    return p;
}

void ks_dev_open(const KsModel *m, int bmax, int smax, int pmax, int pcheck, uint64_t seed, KsDev *d)
{
    memset(d, 0, sizeof *d);
    d->bmax = bmax, d->smax = smax, d->pmax = pmax;
    d->rmax = bmax > pmax ? bmax : pmax;
    d->crows = bmax > pcheck ? bmax : pcheck;
    const size_t cache = (size_t)m->L * bmax * m->nkv * smax * m->hd;
    d->kc = dmalloc(cache * 2);
    d->vc = dmalloc(cache * 2);
    d->emb = dmalloc((size_t)m->V * m->H * 2);
    CK(ks_fill_table(d->emb, seed ^ KS_SEED_EMB, m->V, m->H, 1.0f, kr_st));
    const size_t ng = (size_t)(2 * m->L + 1) * m->H;
    float *g = kr_xmalloc(ng * sizeof *g);
    ks_gains(m, seed, g);
    d->gain = dmalloc(ng * 4);
    CK(cudaMemcpy(d->gain, g, ng * 4, cudaMemcpyHostToDevice));
    free(g);
    int *tok = kr_xmalloc((size_t)d->rmax * sizeof(int));
    for (int b = 0; b < d->rmax; b++)
        tok[b] = ks_token(seed, b, m->V);
    d->tok = dmalloc((size_t)d->rmax * sizeof(int));
    CK(cudaMemcpy(d->tok, tok, (size_t)d->rmax * sizeof(int), cudaMemcpyHostToDevice));
    free(tok);
    d->cs = dmalloc((size_t)d->rmax * m->hd * 4);
    if (pmax) {
        d->S = dmalloc((size_t)m->nh * pmax * pmax * 4);
        d->Pm = dmalloc((size_t)m->nh * pmax * pmax * 2);
        d->pptr = dmalloc((size_t)m->L * 6 * m->nh * sizeof(void *));
    }
    const size_t B = (size_t)d->rmax, QD = (size_t)m->nh * m->hd, KD = (size_t)m->nkv * m->hd;
    const size_t kmax = (size_t)(m->F > m->H ? m->F : m->H) > QD ? (size_t)(m->F > m->H ? m->F : m->H) : QD;
    d->h = dmalloc(B * m->H * 4);
    d->yq = dmalloc(B * QD * 4);
    d->yk = dmalloc(B * KD * 4);
    d->yv = dmalloc(B * KD * 4);
    d->yo = dmalloc(B * m->H * 4);
    d->yg = dmalloc(B * m->F * 4);
    d->yu = dmalloc(B * m->F * 4);
    d->yd = dmalloc(B * m->H * 4);
    d->logits = dmalloc(B * m->V * 4);
    d->xf = dmalloc(B * kmax * 4);
    d->qh = dmalloc(B * QD * 2);
    d->act = dmalloc(B * kmax * 2);
    d->act_scale = dmalloc(B * 4);
    d->part = dmalloc((size_t)ks_attn_part_floats(bmax, m->nh, m->hd, smax) * 4);
    KsOliveTab tab;
    memset(&tab, 0, sizeof tab);
    ks_olive_tab_init(&tab);
    d->otab = dmalloc(sizeof tab);
    CK(cudaMemcpy(d->otab, &tab, sizeof tab, cudaMemcpyHostToDevice));
    d->ost = dmalloc(sizeof(KsOliveState));
    d->opart = dmalloc((size_t)ks_olive_part_doubles(d->rmax, (int)kmax) * 8);
    uint32_t lut[2][2][512];
    static const FmtId ty[2] = {FMT_OLIVE_INT4, FMT_OLIVE_FLINT4};
    for (int w = 0; w < 2; w++)
        for (int x = 0; x < 2; x++)
            kr_olive_lut(ty[w], ty[x], lut[w][x]);
    d->lut_all = dmalloc(sizeof lut);
    CK(cudaMemcpy(d->lut_all, lut, sizeof lut, cudaMemcpyHostToDevice));
    d->lut_live = dmalloc(2 * 512 * 4);
    for (int w = 0; w < 2; w++)
        CK(cudaMemcpy(d->lut_live + w * 512, lut[w][0], 512 * 4, cudaMemcpyHostToDevice));
    d->dump = dmalloc((size_t)(m->L + 1) * B * m->H * 4);
    d->xslot = (size_t)d->crows * kmax * 4;
    d->xdump = dmalloc((size_t)(m->L + 1) * KS_XPTS * d->xslot);
    CB(cublasCreate(&d->cb));
    CB(cublasSetStream(d->cb, kr_st));
    d->cb_ws = dmalloc((size_t)64 << 20);
    CB(cublasSetWorkspace(d->cb, d->cb_ws, (size_t)64 << 20));
    CK(cudaStreamSynchronize(kr_st));
}

void ks_dev_fill_kv(const KsModel *m, KsDev *d, uint64_t seed, int p0, int p1)
{
    CK(ks_fill_kv(d->kc, seed ^ KS_SEED_KV, 0, m->L, d->bmax, m->nkv, d->smax, m->hd, p0, p1, kr_st));
    CK(ks_fill_kv(d->vc, seed ^ KS_SEED_KV, 1, m->L, d->bmax, m->nkv, d->smax, m->hd, p0, p1, kr_st));
    CK(cudaStreamSynchronize(kr_st));
}

void ks_dev_prefill_setup(const KsModel *m, KsDev *d, int P, int mode)
{
    float *cs = kr_xmalloc((size_t)P * m->hd * 4);
    for (int i = 0; i < P; i++)
        ks_rope_cs(m->hd, i, cs + (size_t)i * m->hd);
    CK(cudaMemcpy(d->cs, cs, (size_t)P * m->hd * 4, cudaMemcpyHostToDevice));
    free(cs);
    const size_t lstride = (size_t)d->bmax * m->nkv * d->smax * m->hd;
    void *out = mode == KS_OUT_F16 ? d->act : (void *)d->xf;
    for (int l = 0; l < m->L; l++)
        CK(ks_attn_prefill_ptrs(d->qh, d->kc + l * lstride, d->vc + l * lstride, d->S, d->Pm, out, mode, P, m->nh, m->nkv,
                                m->hd, d->smax, d->pptr + (size_t)l * 6 * m->nh));
}

void ks_dev_close(KsDev *d)
{
    void *p[] = {d->S, d->Pm, (void *)d->pptr, d->kc,      d->vc,   d->emb,  d->gain,     d->tok,  d->cs,      d->h,         d->yq,
                 d->yk,      d->yv,   d->yo,   d->yg,       d->yu,   d->yd,      d->logits,    d->xf,
                 d->qh,      d->act,  d->act_scale, d->part, d->otab, d->ost,    d->opart,     d->lut_all,
                 d->lut_live, d->dump, d->xdump, d->cb_ws};
    CB(cublasDestroy(d->cb));
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        CK(cudaFree(p[i]));
    memset(d, 0, sizeof *d);
}

/* Rows x K synthetic weights, rescaled to rms 1 / sqrt(K). */
static float *weights_f32(uint64_t seed, int rows, int K)
{
    float *w = kr_xmalloc((size_t)rows * K * sizeof *w);
    kr_in_weights(seed, rows, K, w);
    double ss = 0;
    for (size_t i = 0; i < (size_t)rows * K; i++)
        ss += (double)w[i] * w[i];
    const double f = 1.0 / sqrt((double)K) / sqrt(ss / ((double)rows * K));
    for (size_t i = 0; i < (size_t)rows * K; i++)
        w[i] = (float)(w[i] * f);
    return w;
}

void ks_weights_make(const KsModel *m, int kern, uint64_t seed, int base_rows, KsWeights *w)
{
    memset(w, 0, sizeof *w);
    w->kern = kern;
    const int QD = m->nh * m->hd, KD = m->nkv * m->hd;
    const int n[KS_NMAT] = {QD, KD, KD, m->H, m->F, m->F, m->H, m->V};
    const int k[KS_NMAT] = {m->H, m->H, m->H, QD, m->H, m->H, m->F, m->H};
    for (int i = 0; i < KS_NMAT; i++) {
        const uint64_t sm = seed ^ (0x57000000ull + 7919ull * (uint64_t)i);
        const int nb = n[i] < base_rows ? n[i] : base_rows;
        w->n[i] = n[i], w->k[i] = k[i], w->nb[i] = nb;
        float *wf = weights_f32(sm, nb, k[i]);
        kr_in_quantize(kr_in_wparams(kern), wf, nb, k[i], &w->q[i]);
        free(wf);
        w->map[i] = kr_xmalloc((size_t)n[i] * sizeof(int));
        kr_row_map(sm, n[i], nb, w->map[i]);
        PackedMat base, full;
        kr_in_pack(&w->q[i], &base);
        kr_in_expand(&base, n[i], w->map[i], &full);
        kr_in_free(&base);
        w->type[i] = full.type;
        const int copies = i == KS_LM ? 1 : m->L;
        kr_in_upload(&full, &w->dev[0][i]);
        for (int l = 1; l < copies; l++)
            kr_in_clone(&w->dev[0][i], &w->dev[l][i]);
        for (int l = 0; l < copies; l++) {
            const DevPack *dp = &w->dev[l][i];
            KrWeights *kw = &w->kw[l][i];
            kw->codes = dp->codes, kw->scale16 = dp->scale16, kw->zero4 = dp->zero4, kw->meta = dp->meta;
            kw->scale32 = dp->scale32;
            kw->n = n[i], kw->k = k[i], kw->ngroups = full.scheme == QS_OLIVE ? k[i] / 128 : full.ngroups;
            kw->row_bytes = full.row_bytes, kw->zero_row_bytes = full.zero_row_bytes;
            w->bytes += (double)pack_bytes(&full);
        }
        kr_in_free(&full);
    }
}

void ks_weights_free(const KsModel *m, KsWeights *w)
{
    for (int i = 0; i < KS_NMAT; i++) {
        for (int l = 0; l < (i == KS_LM ? 1 : m->L); l++)
            CK(cudaFree(w->dev[l][i].blob));
        quant_free(&w->q[i]);
        free(w->map[i]);
    }
    memset(w, 0, sizeof *w);
}
