/* traces/workload.c — see workload.h; conventions in docs/workloads.md. */
#include "traces/workload.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

/* Published shapes (docs/sources.md, "LLM layer shapes"); head_dim = hidden/heads
 * for all of them. Parameter counts are checked against the published totals in tests/test_workload.c. */
const WlModel wl_models[] = {
    /* name         layers hidden heads kv  hdim  ffn    vocab   ffn kind      norm          act          rope par */
    {"llama2-7b",   32,    4096,  32,   32, 128,  11008, 32000,  WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 128, 0,
     "Llama-2-7B: multi-head attention, SwiGLU FFN, untied lm_head"},
    {"llama2-13b",  40,    5120,  40,   40, 128,  13824, 32000,  WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 128, 0,
     "Llama-2-13B: multi-head attention, SwiGLU FFN"},
    {"llama2-70b",  80,    8192,  64,   8,  128,  28672, 32000,  WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 128, 0,
     "Llama-2-70B: GQA with 8 KV heads, SwiGLU FFN"},
    {"llama3-8b",   32,    4096,  32,   8,  128,  14336, 128256, WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 128, 0,
     "Llama-3-8B: GQA with 8 KV heads, 128K vocabulary"},
    {"llama3-70b",  80,    8192,  64,   8,  128,  28672, 128256, WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 128, 0,
     "Llama-3-70B: GQA with 8 KV heads, 128K vocabulary"},
    {"opt-1.3b",    24,    2048,  32,   32, 64,   8192,  50272,  WL_FFN_PLAIN, VK_LAYERNORM, VK_RELU,     0,   0,
     "OPT-1.3B: pre-LayerNorm, ReLU fc1/fc2, learned positions; lm_head shares the embedding's weights but is still a GEMM"},
    {"opt-6.7b",    32,    4096,  32,   32, 128,  16384, 50272,  WL_FFN_PLAIN, VK_LAYERNORM, VK_RELU,     0,   0,
     "OPT-6.7B: pre-LayerNorm, ReLU fc1/fc2, learned positions; lm_head shares the embedding's weights but is still a GEMM"},
    {"phi-2",       32,    2560,  32,   32, 80,   10240, 51200,  WL_FFN_PLAIN, VK_LAYERNORM, VK_GELU,     32,  1,
     "Phi-2: attention and GELU fc1/fc2 in parallel on one LayerNorm, RoPE on 32 of 80 head features"},
    {"yi-6b",       32,    4096,  32,   4,  128,  11008, 64000,  WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 128, 0,
     "Yi-6B: Llama architecture, GQA with 4 KV heads"},
    {"mistral-7b",  32,    4096,  32,   8,  128,  14336, 32000,  WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 128, 0,
     "Mistral-7B v0.1: GQA with 8 KV heads; its 4096-token sliding window is not modelled"},
    {"smollm2-135m", 30,   576,   9,    3,  64,   1536,  49152,  WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 64,  0,
     "SmolLM2-135M: the real model of `mpsim perplexity` (GGUF metadata); tied embeddings: lm_head is the token matrix"},
    {"tiny",        2,     256,   4,    2,  64,   512,   1000,   WL_FFN_GATED, VK_RMSNORM,   VK_SILU_MUL, 64,  0,
     "test model: small enough for cycle mode, GQA 4/2, gated FFN"},
};
const int wl_model_count = (int)(sizeof wl_models / sizeof wl_models[0]);

const WlModel *wl_model_find(const char *name, MpErr *e)
{
    for (int i = 0; i < wl_model_count; i++)
        if (name && strcmp(wl_models[i].name, name) == 0)
            return &wl_models[i];
    char known[512];
    size_t used = 0;
    known[0] = '\0';
    for (int i = 0; i < wl_model_count && used < sizeof known; i++)
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", wl_models[i].name);
    mp_errf(e, MP_EINPUT, "unknown model '%s' (known: %s)", name ? name : "(null)", known);
    return NULL;
}

static const char *const phase_names[] = {[WL_PREFILL] = "prefill", [WL_DECODE] = "decode", [WL_LAYERS] = "layers"};
static const char *const role_names[] = {[WL_WEIGHT_ACT] = "weight", [WL_ACT_ACT] = "act"};

const char *wl_phase_name(WlPhase p) { return (unsigned)p <= WL_LAYERS ? phase_names[p] : "?"; }
const char *wl_role_name(GemmRole r) { return (unsigned)r <= WL_ACT_ACT ? role_names[r] : "?"; }

int wl_phase_from_name(const char *s, WlPhase *out)
{
    for (int i = 0; i <= WL_LAYERS; i++)
        if (strcmp(s, phase_names[i]) == 0) {
            *out = (WlPhase)i;
            return 0;
        }
    return -1;
}

int wl_role_from_name(const char *s, GemmRole *out)
{
    for (int i = 0; i <= WL_ACT_ACT; i++)
        if (strcmp(s, role_names[i]) == 0) {
            *out = (GemmRole)i;
            return 0;
        }
    return -1;
}

/* Checked arithmetic on non-negative int64: 0 ok, -1 the result would exceed INT64_MAX. */
static int mul_ok(int64_t a, int64_t b, int64_t *r)
{
    if (a != 0 && b > INT64_MAX / a)
        return -1;
    *r = a * b;
    return 0;
}

static int add_ok(int64_t a, int64_t b, int64_t *r)
{
    if (b > INT64_MAX - a)
        return -1;
    *r = a + b;
    return 0;
}

int64_t wl_gemm_macs(const Gemm *g) { return g->m * g->n * g->k * g->count; }

int wl_create_empty(const char *name, Workload **out, MpErr *e)
{
    *out = NULL;
    Workload *w = mp_calloc(1, sizeof *w);
    if (!w)
        return mp_errf(e, MP_ENOMEM, "out of memory creating a workload");
    w->model = mp_strdup(name ? name : "");
    if (!w->model) {
        mp_free(w);
        return mp_errf(e, MP_ENOMEM, "out of memory creating a workload");
    }
    w->phase = WL_LAYERS;
    w->batch = 1;
    *out = w;
    return MP_OK;
}

void wl_destroy(Workload *w)
{
    if (!w)
        return;
    mp_free(w->vecs);
    mp_free(w->gemms);
    mp_free(w->model);
    mp_free(w);
}

static int check_dim(const char *name, const char *what, int64_t v, MpErr *e)
{
    if (v < 1 || v > WL_DIM_MAX)
        return mp_errf(e, MP_EINPUT, "gemm '%s': %s = %lld is out of range 1..%lld", name, what, (long long)v,
                       (long long)WL_DIM_MAX);
    return MP_OK;
}

int wl_add_gemm(Workload *w, const char *name, int64_t m, int64_t n, int64_t k, int64_t count, GemmRole role,
                MpErr *e)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0)
        return mp_errf(e, MP_EINPUT, "gemm with an empty name");
    if (len >= WL_NAME_CAP)
        return mp_errf(e, MP_EINPUT, "gemm '%.20s...': name longer than %d bytes", name, WL_NAME_CAP - 1);
    if (role != WL_WEIGHT_ACT && role != WL_ACT_ACT)
        return mp_errf(e, MP_EINTERNAL, "gemm '%s': bad role %d", name, (int)role);
    int rc;
    if ((rc = check_dim(name, "m", m, e)) || (rc = check_dim(name, "n", n, e)) || (rc = check_dim(name, "k", k, e)) ||
        (rc = check_dim(name, "count", count, e)))
        return rc;
    int64_t mn, mnk, macs, nk, wp = 0, tot_macs, tot_wp = w->weight_params, runs;
    if (mul_ok(m, n, &mn) || mul_ok(mn, k, &mnk) || mul_ok(mnk, count, &macs))
        return mp_errf(e, MP_EINPUT, "gemm '%s': m*n*k*count (%lld*%lld*%lld*%lld) overflows 64 bits", name,
                       (long long)m, (long long)n, (long long)k, (long long)count);
    if (role == WL_WEIGHT_ACT && (mul_ok(n, k, &nk) || mul_ok(nk, count, &wp)))
        return mp_errf(e, MP_EINPUT, "gemm '%s': n*k*count overflows 64 bits", name);
    if (add_ok(w->macs, macs, &tot_macs) || add_ok(w->weight_params, wp, &tot_wp) || add_ok(w->runs, count, &runs))
        return mp_errf(e, MP_EINPUT, "gemm '%s': workload totals overflow 64 bits", name);
    if (w->ngemm >= WL_GEMM_MAX)
        return mp_errf(e, MP_EINPUT, "gemm '%s': more than %d GEMMs in one workload", name, WL_GEMM_MAX);
    Gemm *grown = mp_grow(w->gemms, w->ngemm, &w->cap, sizeof *grown, 16);
    if (!grown)
        return mp_errf(e, MP_ENOMEM, "out of memory adding gemm '%s'", name);
    w->gemms = grown;
    Gemm *g = &w->gemms[w->ngemm++];
    memset(g, 0, sizeof *g);
    memcpy(g->name, name, len + 1);
    g->m = m;
    g->n = n;
    g->k = k;
    g->count = count;
    g->serial = count; /* every instance dependent: the conservative reading */
    g->role = role;
    w->macs = tot_macs;
    w->weight_params = tot_wp;
    w->runs = runs;
    return MP_OK;
}

int64_t wl_vec_elems(const VecRow *v)
{
    if (!v->causal)
        return v->rows * v->width;
    /* row i holds min(W, W - R + i + 1): the first R - (W - R) ... rows grow by one, the rest are
     * full (W >= R for attention: a query sees itself and every earlier key) */
    const int64_t R = v->rows, W = v->width, off = W - R;
    if (off >= 0) /* every row i holds off + i + 1 <= W */
        return R * off + R * (R + 1) / 2;
    return R * W; /* cannot happen for attention (W >= R); counted as full */
}

int wl_add_vec(Workload *w, const char *name, int kind, int64_t rows, int64_t width, int64_t count, int64_t serial,
               int causal, int on_kv, MpErr *e)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len >= WL_NAME_CAP)
        return mp_errf(e, MP_EINPUT, "vector row with an empty or over-long name");
    if (kind < 0 || kind >= VK_COUNT)
        return mp_errf(e, MP_EINTERNAL, "vector row '%s': bad kind %d", name, kind);
    int rc;
    if ((rc = check_dim(name, "rows", rows, e)) || (rc = check_dim(name, "width", width, e)) ||
        (rc = check_dim(name, "count", count, e)))
        return rc;
    if (serial < 1 || count % serial != 0)
        return mp_errf(e, MP_EINTERNAL, "vector row '%s': serial %lld does not divide count %lld", name,
                       (long long)serial, (long long)count);
    int64_t rw, all;
    if (mul_ok(rows, width, &rw) || mul_ok(rw, count, &all))
        return mp_errf(e, MP_EINPUT, "vector row '%s': rows*width*count overflows 64 bits", name);
    VecRow *grown = mp_grow(w->vecs, w->nvec, &w->vcap, sizeof *grown, 16);
    if (!grown)
        return mp_errf(e, MP_ENOMEM, "out of memory adding vector row '%s'", name);
    w->vecs = grown;
    VecRow *v = &w->vecs[w->nvec++];
    memset(v, 0, sizeof *v);
    memcpy(v->name, name, len + 1);
    v->kind = kind;
    v->rows = rows;
    v->width = width;
    v->count = count;
    v->serial = serial;
    v->causal = causal;
    v->on_kv = on_kv;
    v->after = w->ngemm;
    return MP_OK;
}

/* The rows of one forward pass, in execution order. T = tokens through the linear layers, (qm,
 * kvlen) = query rows and key positions of one head's attention, causal = prefill's mask, last =
 * tokens lm_head runs on. Vector rows count layers (x batch x heads for attention's); their tensors:
 * traces/vecop.c. */
static int expand(Workload *w, const WlModel *md, int64_t T, int64_t qm, int64_t kvlen, int causal, int64_t last,
                  MpErr *e)
{
    const int64_t L = md->layers, hd = md->head_dim, q_out = (int64_t)md->heads * hd,
                  kv_out = (int64_t)md->kv_heads * hd, h = md->hidden;
    /* Attention instances. Prefill: one per query head (layers × batch × heads), each under the
     * causal mask of its own positions. Decode: one per KV head, the group's heads/kv_heads query
     * rows stacked into M, so that a grouped-query (GQA) KV cache is read once per KV head, as GQA
     * decode kernels do; with heads = kv_heads the two are the same. */
    const int64_t group = causal ? 1 : md->heads / md->kv_heads;
    int64_t attn_count;
    if (mul_ok(L, w->batch, &attn_count) || mul_ok(attn_count, causal ? md->heads : md->kv_heads, &attn_count))
        return mp_errf(e, MP_EINPUT, "attention count overflows 64 bits");
    qm *= group;
    int rc = MP_OK;
    if (md->rope_dims == 0) /* learned absolute positions, added to the token embeddings once */
        rc = wl_add_vec(w, "pos_add", VK_ADD, T, h, 1, 1, 0, 0, e);
    if (rc || (rc = wl_add_vec(w, "attn_norm", md->norm, T, h, L, L, 0, 0, e)) ||
        (rc = wl_add_gemm(w, "q_proj", T, q_out, h, L, WL_WEIGHT_ACT, e)) ||
        (rc = wl_add_gemm(w, "k_proj", T, kv_out, h, L, WL_WEIGHT_ACT, e)) ||
        (rc = wl_add_gemm(w, "v_proj", T, kv_out, h, L, WL_WEIGHT_ACT, e)))
        return rc;
    w->gemms[w->ngemm - 2].y_to = w->gemms[w->ngemm - 1].y_to = WL_Y_KV; /* the KV-cache append */
    if (md->rope_dims > 0 &&
        ((rc = wl_add_vec(w, "rope_q", VK_ROPE, T * md->heads, md->rope_dims, L, L, 0, 0, e)) ||
         (rc = wl_add_vec(w, "rope_k", VK_ROPE, T * md->kv_heads, md->rope_dims, L, L, 0, 1, e))))
        return rc;
    if ((rc = wl_add_gemm(w, "attn_qk", qm, kvlen, hd, attn_count, WL_ACT_ACT, e)))
        return rc;
    w->gemms[w->ngemm - 1].causal = causal ? WL_CAUSAL_N : WL_CAUSAL_NONE;
    w->gemms[w->ngemm - 1].y_to = WL_Y_SCORE;
    w->gemms[w->ngemm - 1].serial = L; /* the layers; batch x heads of each are independent */
    if ((rc = wl_add_vec(w, "softmax", VK_SOFTMAX, qm, kvlen, attn_count, L, causal, 0, e)) ||
        (rc = wl_add_gemm(w, "attn_pv", qm, hd, kvlen, attn_count, WL_ACT_ACT, e)))
        return rc;
    w->gemms[w->ngemm - 1].causal = causal ? WL_CAUSAL_K : WL_CAUSAL_NONE;
    w->gemms[w->ngemm - 1].x_from = WL_X_PROB;
    w->gemms[w->ngemm - 1].serial = L;
    if ((rc = wl_add_gemm(w, "o_proj", T, h, q_out, L, WL_WEIGHT_ACT, e)))
        return rc;
    w->gemms[w->ngemm - 1].y_to = WL_Y_RESID; /* added into the residual stream */
    if (!md->parallel &&
        ((rc = wl_add_vec(w, "attn_add", VK_ADD, T, h, L, L, 0, 0, e)) ||
         (rc = wl_add_vec(w, "mlp_norm", md->norm, T, h, L, L, 0, 0, e))))
        return rc;
    if (md->ffn_kind == WL_FFN_GATED) {
        if ((rc = wl_add_gemm(w, "gate_proj", T, md->ffn, h, L, WL_WEIGHT_ACT, e)) ||
            (rc = wl_add_gemm(w, "up_proj", T, md->ffn, h, L, WL_WEIGHT_ACT, e)) ||
            (rc = wl_add_vec(w, "act", md->act, T, md->ffn, L, L, 0, 0, e)) ||
            (rc = wl_add_gemm(w, "down_proj", T, h, md->ffn, L, WL_WEIGHT_ACT, e)))
            return rc;
        w->gemms[w->ngemm - 1].y_to = WL_Y_RESID;
    } else {
        if ((rc = wl_add_gemm(w, "fc1", T, md->ffn, h, L, WL_WEIGHT_ACT, e)) ||
            (rc = wl_add_vec(w, "act", md->act, T, md->ffn, L, L, 0, 0, e)) ||
            (rc = wl_add_gemm(w, "fc2", T, h, md->ffn, L, WL_WEIGHT_ACT, e)))
            return rc;
        w->gemms[w->ngemm - 1].y_to = WL_Y_RESID;
    }
    if ((rc = wl_add_vec(w, md->parallel ? "block_add" : "mlp_add", md->parallel ? VK_ADD3 : VK_ADD, T, h, L, L, 0, 0,
                         e)) ||
        (rc = wl_add_vec(w, "final_norm", md->norm, last, h, 1, 1, 0, 0, e)))
        return rc;
    /* lm_head on the positions whose logits are used: prefill the last of each sequence, decode
     * every new token */
    return wl_add_gemm(w, "lm_head", last, md->vocab, h, 1, WL_WEIGHT_ACT, e);
}

int wl_create(const WlModel *md, WlPhase phase, int64_t len, int64_t batch, Workload **out, MpErr *e)
{
    *out = NULL;
    if (!md)
        return mp_errf(e, MP_EINPUT, "no model given");
    if (phase != WL_PREFILL && phase != WL_DECODE)
        return mp_errf(e, MP_EINPUT, "%s: phase must be prefill or decode", md->name);
    const char *lname = phase == WL_PREFILL ? "seq" : "kv";
    if (len < 1 || len > WL_LEN_MAX)
        return mp_errf(e, MP_EINPUT, "%s: %s = %lld is out of range 1..%d", md->name, lname, (long long)len,
                       WL_LEN_MAX);
    if (batch < 1 || batch > WL_LEN_MAX)
        return mp_errf(e, MP_EINPUT, "%s: batch = %lld is out of range 1..%d", md->name, (long long)batch,
                       WL_LEN_MAX);
    if (md->layers < 1 || md->hidden < 1 || md->heads < 1 || md->kv_heads < 1 || md->head_dim < 1 || md->ffn < 1 ||
        md->vocab < 1 || md->heads % md->kv_heads != 0 || md->rope_dims < 0 || md->rope_dims > md->head_dim)
        return mp_errf(e, MP_EINTERNAL, "%s: inconsistent model descriptor", md->name);
    Workload *w;
    int rc = wl_create_empty(md->name, &w, e);
    if (rc)
        return rc;
    w->phase = phase;
    w->batch = batch;
    if (phase == WL_PREFILL) {
        w->seq = len;
        /* each ≤ 2^20, so batch*len ≤ 2^40 = WL_DIM_MAX: no overflow */
        rc = expand(w, md, batch * len, len, len, 1, batch, e);
    } else {
        w->kv = len;
        rc = expand(w, md, batch, 1, len, 0, batch, e);
    }
    if (rc) {
        mp_err_prefix(e, "%s %s %s=%lld batch=%lld", md->name, wl_phase_name(phase), lname, (long long)len,
                      (long long)batch);
        wl_destroy(w);
        return rc;
    }
    *out = w;
    return MP_OK;
}
