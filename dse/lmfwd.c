/* dse/lmfwd.c — see lmfwd.h. */
#include "dse/lmfwd.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/rng.h"
#include "models/fmt.h"
#include "models/fpx.h"
#include "models/golden.h"
#include "traces/gguf.h"

const char *const lm_lin_names[LM_NLIN] = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up",
                                           "ffn_down"};
const char *const lm_act_names[LM_NACT] = {"attn_in", "attn_out", "ffn_in", "ffn_mid"};

typedef struct LmLayer {
    float *attn_norm, *ffn_norm; /* [D]                        */
    float *w[LM_NLIN];           /* [n x k] fp32, row-major    */
} LmLayer;

struct LmModel {
    LmConfig c;
    float *embd;     /* [V x D], also the lm_head (tied)  */
    float *out_norm; /* [D]                               */
    LmLayer *layer;  /* [L]                               */
};

/* n and k of a linear layer of config c. */
static void lin_shape(const LmConfig *c, LmLin which, int *n, int *k)
{
    int q = c->heads * c->head_dim, kv = c->kv_heads * c->head_dim;
    switch (which) {
    case LM_Q: *n = q; *k = c->dim; break;
    case LM_K: *n = kv; *k = c->dim; break;
    case LM_V: *n = kv; *k = c->dim; break;
    case LM_O: *n = c->dim; *k = q; break;
    case LM_GATE: case LM_UP: *n = c->ffn; *k = c->dim; break;
    default: *n = c->dim; *k = c->ffn; break;
    }
}

const LmConfig *lm_config(const LmModel *m) { return &m->c; }

const float *lm_weight(const LmModel *m, int l, LmLin which, int *n, int *k)
{
    lin_shape(&m->c, which, n, k);
    return m->layer[l].w[which];
}

void lm_free(LmModel *m)
{
    if (!m)
        return;
    for (int l = 0; m->layer && l < m->c.layers; l++) {
        mp_free(m->layer[l].attn_norm);
        mp_free(m->layer[l].ffn_norm);
        for (int i = 0; i < LM_NLIN; i++)
            mp_free(m->layer[l].w[i]);
    }
    mp_free(m->layer);
    mp_free(m->embd);
    mp_free(m->out_norm);
    mp_free(m);
}

static int check_config(const LmConfig *c, const char *where, MpErr *e)
{
    if (c->layers < 1 || c->layers > 1024 || c->dim < 2 || c->dim > 65536 || c->ffn < 1 || c->ffn > 262144 ||
        c->heads < 1 || c->kv_heads < 1 || c->heads % c->kv_heads || c->head_dim < 2 || c->head_dim % 2 ||
        c->heads * c->head_dim != c->dim || c->vocab < 2 || c->vocab > (1 << 24) || !(c->eps > 0) ||
        !(c->rope_base > 1))
        return mp_errf(e, MP_EINPUT,
                       "%s: unsupported model shape (layers %d, dim %d, ffn %d, heads %d/%d of %d, vocab %d, eps %g, "
                       "rope base %g)",
                       where, c->layers, c->dim, c->ffn, c->heads, c->kv_heads, c->head_dim, c->vocab, (double)c->eps,
                       (double)c->rope_base);
    return MP_OK;
}

static int alloc_model(const LmConfig *c, LmModel **out, MpErr *e)
{
    LmModel *m = mp_calloc(1, sizeof *m);
    if (!m)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    m->c = *c;
    m->layer = mp_calloc((size_t)c->layers, sizeof *m->layer);
    m->embd = mp_malloc((size_t)c->vocab * c->dim * sizeof(float));
    m->out_norm = mp_malloc((size_t)c->dim * sizeof(float));
    int ok = m->layer && m->embd && m->out_norm;
    for (int l = 0; ok && l < c->layers; l++) {
        LmLayer *L = &m->layer[l];
        L->attn_norm = mp_malloc((size_t)c->dim * sizeof(float));
        L->ffn_norm = mp_malloc((size_t)c->dim * sizeof(float));
        ok = L->attn_norm && L->ffn_norm;
        for (int i = 0; ok && i < LM_NLIN; i++) {
            int n, k;
            lin_shape(c, (LmLin)i, &n, &k);
            ok = (L->w[i] = mp_malloc((size_t)n * k * sizeof(float))) != NULL;
        }
    }
    if (!ok) {
        lm_free(m);
        return mp_errf(e, MP_ENOMEM, "out of memory (model of %d layers)", c->layers);
    }
    *out = m;
    return MP_OK;
}

/* ------------------------------------------------------------------ GGUF */

/* Read tensor `name` of exactly rows x cols (GGUF ne[0] = cols, ne[1] = rows) into dst. */
static int read_tensor(GgufFile *f, const char *name, int rows, int cols, float *dst, MpErr *e)
{
    long i = gguf_tensor_find(f, name);
    if (i < 0)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s' missing", gguf_path(f), name);
    const GgufTensor *t = gguf_tensor(f, (size_t)i);
    uint64_t r = t->numel / t->ne[0];
    if (t->ne[0] != (uint64_t)cols || r != (uint64_t)rows || (rows > 1 && t->n_dims != 2) ||
        (rows == 1 && t->n_dims != 1))
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': shape %llu x %llu, expected %d x %d (rows x cols)", gguf_path(f),
                       name, (unsigned long long)r, (unsigned long long)t->ne[0], rows, cols);
    return gguf_tensor_read_f32(f, (size_t)i, dst, (size_t)rows * cols, e);
}

static int get_int(GgufFile *f, const char *key, int *out, MpErr *e)
{
    uint32_t v;
    int rc = gguf_get_u32(f, key, &v, e);
    if (rc == MP_OK && v > (1u << 30))
        rc = mp_errf(e, MP_EINPUT, "%s: key '%s': %u is too large", gguf_path(f), key, v);
    if (rc == MP_OK)
        *out = (int)v;
    return rc;
}

int lm_load_gguf(const char *path, LmModel **out, MpErr *e)
{
    *out = NULL;
    GgufFile *f = NULL;
    int rc = gguf_open(path, &f, e);
    if (rc)
        return rc;
    const char *arch = NULL;
    LmConfig c = {0};
    int rope_dims = 0;
    rc = gguf_get_str(f, "general.architecture", &arch, e);
    if (rc == MP_OK && strcmp(arch, "llama") != 0)
        rc = mp_errf(e, MP_EINPUT, "%s: general.architecture is '%s', expected 'llama'", path, arch);
    if (rc == MP_OK)
        rc = get_int(f, "llama.block_count", &c.layers, e);
    if (rc == MP_OK)
        rc = get_int(f, "llama.embedding_length", &c.dim, e);
    if (rc == MP_OK)
        rc = get_int(f, "llama.feed_forward_length", &c.ffn, e);
    if (rc == MP_OK)
        rc = get_int(f, "llama.attention.head_count", &c.heads, e);
    if (rc == MP_OK)
        rc = get_int(f, "llama.attention.head_count_kv", &c.kv_heads, e);
    if (rc == MP_OK)
        rc = gguf_get_f32(f, "llama.attention.layer_norm_rms_epsilon", &c.eps, e);
    if (rc == MP_OK)
        rc = gguf_get_f32(f, "llama.rope.freq_base", &c.rope_base, e);
    long ti = rc == MP_OK ? gguf_tensor_find(f, "token_embd.weight") : -1;
    if (rc == MP_OK && ti < 0)
        rc = mp_errf(e, MP_EINPUT, "%s: tensor 'token_embd.weight' missing", path);
    if (rc == MP_OK) {
        const GgufTensor *t = gguf_tensor(f, (size_t)ti);
        c.vocab = t->n_dims == 2 && t->ne[1] <= (1u << 24) ? (int)t->ne[1] : -1;
        c.head_dim = c.heads > 0 ? c.dim / c.heads : 0;
        rc = check_config(&c, path, e);
    }
    if (rc == MP_OK && gguf_get(f, "llama.rope.dimension_count")) {
        rc = get_int(f, "llama.rope.dimension_count", &rope_dims, e);
        if (rc == MP_OK && rope_dims != c.head_dim)
            rc = mp_errf(e, MP_EINPUT, "%s: partial RoPE (%d of %d dims) is not supported", path, rope_dims, c.head_dim);
    }
    if (rc == MP_OK && gguf_tensor_find(f, "output.weight") >= 0)
        rc = mp_errf(e, MP_EINPUT, "%s: has an untied output.weight; only tied embeddings are supported", path);
    LmModel *m = NULL;
    if (rc == MP_OK)
        rc = alloc_model(&c, &m, e);
    if (rc == MP_OK)
        rc = read_tensor(f, "token_embd.weight", c.vocab, c.dim, m->embd, e);
    if (rc == MP_OK)
        rc = read_tensor(f, "output_norm.weight", 1, c.dim, m->out_norm, e);
    char name[96];
    for (int l = 0; rc == MP_OK && l < c.layers; l++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", l);
        rc = read_tensor(f, name, 1, c.dim, m->layer[l].attn_norm, e);
        snprintf(name, sizeof name, "blk.%d.ffn_norm.weight", l);
        if (rc == MP_OK)
            rc = read_tensor(f, name, 1, c.dim, m->layer[l].ffn_norm, e);
        for (int i = 0; rc == MP_OK && i < LM_NLIN; i++) {
            int n, k;
            lin_shape(&c, (LmLin)i, &n, &k);
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, lm_lin_names[i]);
            rc = read_tensor(f, name, n, k, m->layer[l].w[i], e);
        }
    }
    gguf_close(f);
    if (rc) {
        lm_free(m);
        return rc;
    }
    *out = m;
    return MP_OK;
}

/* ------------------------------------------------------------------ random model */

int lm_create_random(const LmConfig *c, uint64_t seed, LmModel **out, MpErr *e)
{
    *out = NULL;
    int rc = check_config(c, "random model", e);
    LmModel *m = NULL;
    if (rc == MP_OK)
        rc = alloc_model(c, &m, e);
    if (rc)
        return rc;
    MpRng g;
    mp_rng_seed(&g, seed);
    for (size_t i = 0; i < (size_t)c->vocab * c->dim; i++)
        m->embd[i] = (float)(0.1 * mp_rng_normal(&g)); /* logits of order 1 */
    /* norms near 1, with two channels 12x larger: the outlier channels real LLMs have */
    for (int l = 0; l <= c->layers; l++) {
        float *norms[2] = {l < c->layers ? m->layer[l].attn_norm : m->out_norm,
                           l < c->layers ? m->layer[l].ffn_norm : NULL};
        for (int j = 0; j < 2; j++)
            for (int d = 0; norms[j] && d < c->dim; d++)
                norms[j][d] = (float)((1.0 + 0.1 * mp_rng_normal(&g)) * (d % 37 == 5 ? 12.0 : 1.0));
    }
    for (int l = 0; l < c->layers; l++)
        for (int i = 0; i < LM_NLIN; i++) {
            int n, k;
            lin_shape(c, (LmLin)i, &n, &k);
            double s = 1.0 / sqrt((double)k);
            for (size_t j = 0; j < (size_t)n * k; j++)
                m->layer[l].w[i][j] = (float)(s * mp_rng_normal(&g));
        }
    *out = m;
    return MP_OK;
}

/* ------------------------------------------------------------------ KV formats */

static void kv_fp16(float *v, int n)
{
    for (int i = 0; i < n; i++)
        v[i] = fp16_to_f32(fp16_from_f32(v[i]));
}

static void kv_int8(float *v, int n)
{
    float mx = 0;
    for (int i = 0; i < n; i++)
        mx = fmaxf(mx, fabsf(v[i]));
    if (mx == 0)
        return;
    float s = mx / 127.0f;
    for (int i = 0; i < n; i++)
        v[i] = nearbyintf(v[i] / s) * s;
}

const char *const lm_kv_names[] = {"none", "fp16", "int8", NULL};

int lm_kv_find(const char *name, LmKvQuant *out)
{
    static const LmKvQuant fns[] = {NULL, kv_fp16, kv_int8};
    for (int i = 0; lm_kv_names[i]; i++)
        if (!strcmp(name, lm_kv_names[i])) {
            *out = fns[i];
            return 0;
        }
    return -1;
}

/* ------------------------------------------------------------------ threads */

/* Fork-join over ntasks tasks: `threads` workers (pthreads) take task indices in turn. Each task is
 * computed whole by one worker, so results never depend on the thread count or on which worker ran
 * what. (Not OpenMP: its idle workers spin after each loop and, on a loaded machine, take the cores
 * from the tasks; see lm_prepare.) */
typedef void (*TaskFn)(void *ctx, int task);
typedef struct Par {
    TaskFn fn;
    void *ctx;
    int ntasks;
    atomic_int next;
} Par;

static void *par_worker(void *arg)
{
    Par *p = arg;
    /* a task's own OpenMP loops (quantizers) stay in its thread: a new pthread would otherwise
     * start a team of the default size */
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    for (int t; (t = atomic_fetch_add(&p->next, 1)) < p->ntasks;)
        p->fn(p->ctx, t);
    omp_set_num_threads(saved);
    return NULL;
}

static void par_run(int threads, int ntasks, TaskFn fn, void *ctx)
{
    Par p = {fn, ctx, ntasks, 0};
    atomic_init(&p.next, 0);
    if (threads > ntasks)
        threads = ntasks;
    pthread_t tid[64];
    int started = 0;
    for (int i = 1; i < threads && i < 64; i++)
        if (pthread_create(&tid[started], NULL, par_worker, &p) == 0)
            started++;
    par_worker(&p); /* this thread works too; if no thread started, it does everything */
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

/* ------------------------------------------------------------------ runner */

typedef struct LinQ {
    int n, k;
    int ready;        /* the weight is quantized (done on first use) */
    const float *w32; /* the model's fp32 weight               */
    float *wdq;       /* dequantized quantized weight (ideal)   */
    QMat qw;          /* the quantized weight (hw datapath)     */
    int has_qw;
} LinQ;

struct LmRunner {
    const LmModel *m;
    int has_fmt;
    NumFormat nf;
    LmDatapath dp;
    LmKvQuant kv;
    int threads;
    LinQ *lin;            /* [L * LM_NLIN]                           */
    LmActStats *stats;    /* [L * LM_NACT] or NULL                   */
    long long olive_outlier_pairs, olive_pairs;
    float *rope_cos, *rope_sin; /* [npos x hd/2]                     */
    int npos;
    struct { int l, a, rows; float *buf; } cap; /* lm_runner_capture; buf NULL: off */
};

static void lin_free(LinQ *q)
{
    mp_free(q->wdq);
    if (q->has_qw)
        quant_free(&q->qw);
}

void lm_runner_free(LmRunner *r)
{
    if (!r)
        return;
    for (int i = 0; r->lin && i < r->m->c.layers * LM_NLIN; i++)
        lin_free(&r->lin[i]);
    mp_free(r->lin);
    for (int i = 0; r->stats && i < r->m->c.layers * LM_NACT; i++)
        mp_free(r->stats[i].chan_max);
    mp_free(r->stats);
    mp_free(r->rope_cos);
    mp_free(r->rope_sin);
    mp_free(r);
}

/* Dequantized values of q into dst (rows x cols floats): exactly (u - zero) * scale in double,
 * rounded once to fp32; fp16 elements exactly. Rows [r0, r1). */
static void dequant_rows(const QMat *q, float *dst, int r0, int r1)
{
    for (int r = r0; r < r1; r++) {
        const int32_t *u = q->u + (size_t)r * q->cols;
        float *d = dst + (size_t)r * q->cols;
        if (q->scheme == QS_FP16) {
            for (int c = 0; c < q->cols; c++)
                d[c] = fp16_to_f32((uint16_t)u[c]);
            continue;
        }
        for (int c = 0; c < q->cols; c++) {
            int g = quant_gidx(q, r, c);
            double z = q->zero ? (double)q->zero[g] : 0.0;
            d[c] = (float)(((double)u[c] - z) * (double)q->scale[g]);
        }
    }
}

typedef struct DqCtx {
    const QMat *q;
    float *dst;
    int rows_per_task;
} DqCtx;

static void dq_task(void *ctx, int t)
{
    DqCtx *c = ctx;
    int r0 = t * c->rows_per_task, r1 = r0 + c->rows_per_task;
    dequant_rows(c->q, c->dst, r0, r1 < c->q->rows ? r1 : c->q->rows);
}

static void dequant_par(const QMat *q, float *dst, int threads)
{
    DqCtx c = {q, dst, 16};
    par_run(threads, (q->rows + 15) / 16, dq_task, &c);
}

/* y[t x n] = x[t x k] w[n x k]^T in fp32 sgemm, one task per LM_NBLK columns of y (ldy = n). */
typedef struct GemmCtx {
    const float *x, *w;
    float *y;
    int t, n, k, nblk;
} GemmCtx;

static void gemm_task(void *ctx, int task)
{
    GemmCtx *g = ctx;
    int n0 = task * g->nblk, nb = g->n - n0 < g->nblk ? g->n - n0 : g->nblk;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->t, nb, g->k, 1.0f, g->x, g->k, g->w + (size_t)n0 * g->k,
                g->k, 0.0f, g->y + n0, g->n);
}

static void gemm_par(int threads, const float *x, const float *w, float *y, int t, int n, int k, int nblk)
{
    GemmCtx g = {x, w, y, t, n, k, nblk};
    par_run(threads, (n + nblk - 1) / nblk, gemm_task, &g);
}

int lm_prepare(const LmModel *m, const NumFormat *nf, LmDatapath dp, LmKvQuant kv, int threads, LmRunner **out,
               MpErr *e)
{
    *out = NULL;
    if (threads < 1 || threads > 64)
        return mp_errf(e, MP_EINPUT, "threads %d: must be 1..64", threads);
    /* the tasks call BLAS from several threads: BLAS itself stays single-threaded. The quantizers'
     * and golden GEMMs' OpenMP loops run in this thread between tasks; idle OpenMP workers spin
     * for a while after each loop and would take the cores from the tasks, so on the ideal path
     * OpenMP gets one thread (per-token activation quantizers run in row tasks instead, see
     * quant_x_ideal); the hw path, where the golden GEMM is the work, gives it all. Results
     * depend on neither (models/quant.c). */
    openblas_set_num_threads(1);
    omp_set_num_threads(dp == LM_DP_HW ? threads : 1);
    /* models/fmt.c fills its format table on first use without a lock; the quantizers run in
     * several threads at once here, so fill it now, from this one thread */
    (void)fmt_get(FMT_INT8);
    LmRunner *r = mp_calloc(1, sizeof *r);
    if (!r)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    r->m = m;
    r->has_fmt = nf != NULL;
    if (nf)
        r->nf = *nf;
    r->dp = dp;
    r->kv = kv;
    r->threads = threads;
    const LmConfig *c = &m->c;
    int nl = c->layers * LM_NLIN, rc = MP_OK;
    r->lin = mp_calloc((size_t)nl, sizeof *r->lin);
    if (!r->lin)
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
    for (int i = 0; rc == MP_OK && i < nl; i++) {
        LinQ *q = &r->lin[i];
        q->w32 = lm_weight(m, i / LM_NLIN, (LmLin)(i % LM_NLIN), &q->n, &q->k);
    }
    if (rc) {
        lm_runner_free(r);
        return rc;
    }
    *out = r;
    return MP_OK;
}

int lm_runner_stats_on(LmRunner *r, MpErr *e)
{
    if (r->stats)
        return MP_OK;
    const LmConfig *c = &r->m->c;
    int ns = c->layers * LM_NACT;
    r->stats = mp_calloc((size_t)ns, sizeof *r->stats);
    if (!r->stats)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    for (int i = 0; i < ns; i++) {
        int a = i % LM_NACT;
        r->stats[i].k = a == LM_ACT_O ? c->heads * c->head_dim : a == LM_ACT_DOWN ? c->ffn : c->dim;
        if (!(r->stats[i].chan_max = mp_calloc((size_t)r->stats[i].k, sizeof(float))))
            return mp_errf(e, MP_ENOMEM, "out of memory");
    }
    return MP_OK;
}

const LmActStats *lm_runner_stats(const LmRunner *r, int l, LmAct a)
{
    return r->stats ? &r->stats[l * LM_NACT + a] : NULL;
}

void lm_runner_olive_pairs(const LmRunner *r, long long *outlier_pairs, long long *pairs)
{
    *outlier_pairs = r->olive_outlier_pairs;
    *pairs = r->olive_pairs;
}

static int hist_bin(float a)
{
    if (!(a > 0))
        return 0;
    int ex;
    float fr = frexpf(a, &ex); /* a = fr * 2^ex, fr in [0.5, 1) */
    /* log2(a) = ex - 1 + log2(2 fr); 8 bins per octave */
    int b = (ex - 1 - LM_HIST_LO) * 8 + (int)(8.0f * log2f(2.0f * fr));
    return b < 0 ? 0 : b >= LM_HIST_BINS ? LM_HIST_BINS - 1 : b;
}

static void stats_add(LmActStats *s, const float *x, int t)
{
    for (int i = 0; i < t; i++)
        for (int c = 0; c < s->k; c++) {
            float v = x[(size_t)i * s->k + c], a = fabsf(v);
            s->sumsq += (double)v * v;
            if (a > s->chan_max[c])
                s->chan_max[c] = a;
            if (a > s->maxabs)
                s->maxabs = a;
            s->hist[hist_bin(a)]++;
        }
    s->n += (long long)t * s->k;
}

double lm_stats_median(const LmActStats *s)
{
    long long half = (s->n + 1) / 2, acc = 0;
    for (int b = 0; b < LM_HIST_BINS; b++) {
        acc += s->hist[b];
        if (acc >= half && s->n > 0)
            return exp2(LM_HIST_LO + (b + 0.5) / 8.0);
    }
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int lm_stats_outlier_channels(const LmActStats *s, double ratio, int *top, int ntop)
{
    float *sorted = mp_malloc((size_t)s->k * sizeof *sorted);
    if (!sorted)
        return -1;
    memcpy(sorted, s->chan_max, (size_t)s->k * sizeof *sorted);
    qsort(sorted, (size_t)s->k, sizeof *sorted, cmp_float);
    double med = sorted[s->k / 2];
    mp_free(sorted);
    int count = 0;
    for (int c = 0; c < s->k; c++)
        if (s->chan_max[c] >= ratio * med)
            count++;
    /* the ntop largest channels, largest first (ties: lower index first) */
    for (int i = 0; i < ntop; i++) {
        int best = -1;
        for (int c = 0; c < s->k; c++) {
            int used = 0;
            for (int j = 0; j < i; j++)
                used |= top[j] == c;
            if (!used && (best < 0 || s->chan_max[c] > s->chan_max[best]))
                best = c;
        }
        top[i] = best;
    }
    return count;
}

/* Activations of the ideal path: xd = dequantized xq(x), t x k. Per-token schemes (fp16, symmetric
 * per row) quantize each row alone, so row blocks are quantized in parallel tasks with the very same
 * results; per-tensor schemes (OliVe, ANT) quantize the whole t x k tensor at once. */
#define LM_XROWS 16
typedef struct XqCtx {
    const QParams *p;
    const float *x;
    float *xd;
    int t, k;
    int rc[1]; /* [ntasks], first error wins */
} XqCtx;

static void xq_task(void *ctx, int task)
{
    XqCtx *c = ctx;
    int r0 = task * LM_XROWS, nr = c->t - r0 < LM_XROWS ? c->t - r0 : LM_XROWS;
    QMat q;
    MpErr e = {0};
    c->rc[task] = quant_matrix(c->p, c->x + (size_t)r0 * c->k, nr, c->k, &q, &e);
    if (c->rc[task] == MP_OK) {
        dequant_rows(&q, c->xd + (size_t)r0 * c->k, 0, nr);
        quant_free(&q);
    }
}

static int quant_x_ideal(LmRunner *r, const float *x, int t, int k, float *xd, MpErr *e)
{
    const QParams *p = &r->nf.xq;
    if (p->scheme == QS_FP16 || p->scheme == QS_SYM_ROW) {
        int nt = (t + LM_XROWS - 1) / LM_XROWS;
        XqCtx *c = mp_malloc(sizeof *c + (size_t)nt * sizeof(int));
        if (!c)
            return mp_errf(e, MP_ENOMEM, "out of memory");
        *c = (XqCtx){p, x, xd, t, k, {0}};
        par_run(r->threads, nt, xq_task, c);
        int rc = MP_OK;
        for (int i = 0; i < nt && rc == MP_OK; i++)
            rc = c->rc[i];
        mp_free(c);
        /* the only failures are out of memory and non-finite input; redo serially for the message */
        if (rc) {
            QMat q;
            rc = quant_matrix(p, x, t, k, &q, e);
            if (rc == MP_OK) {
                quant_free(&q);
                rc = mp_errf(e, MP_ENOMEM, "out of memory");
            }
        }
        return rc;
    }
    QMat qx;
    int rc = quant_matrix(p, x, t, k, &qx, e);
    if (rc)
        return rc;
    if (qx.scheme == QS_OLIVE) {
        r->olive_outlier_pairs += qx.n_outlier_pairs;
        r->olive_pairs += (long long)qx.rows * ((qx.cols + 1) / 2);
    }
    dequant_par(&qx, xd, r->threads);
    quant_free(&qx);
    return MP_OK;
}

/* Quantize a weight by the format's wq (once, on its first use: the result does not depend on when),
 * and for the ideal datapath keep only its dequantized fp32 values. */
static int lin_ready(LmRunner *r, LinQ *q, int l, LmLin which, MpErr *e)
{
    int rc = quant_matrix(&r->nf.wq, q->w32, q->n, q->k, &q->qw, e);
    if (rc)
        return rc;
    q->has_qw = 1;
    if (r->dp == LM_DP_IDEAL) {
        q->wdq = mp_malloc((size_t)q->n * q->k * sizeof(float));
        if (!q->wdq)
            return mp_errf(e, MP_ENOMEM, "out of memory");
        dequant_par(&q->qw, q->wdq, r->threads);
        quant_free(&q->qw);
        q->has_qw = 0;
    }
    q->ready = 1;
    return MP_OK;
}

typedef struct ReadyCtx {
    LmRunner *r;
    int *rc;   /* [L * LM_NLIN] */
    MpErr *err; /* [L * LM_NLIN] */
} ReadyCtx;

static void ready_task(void *ctx, int i)
{
    ReadyCtx *c = ctx;
    LinQ *q = &c->r->lin[i];
    if (!q->ready)
        c->rc[i] = lin_ready(c->r, q, i / LM_NLIN, (LmLin)(i % LM_NLIN), &c->err[i]);
}

int lm_runner_quantize_all(LmRunner *r, MpErr *e)
{
    if (!r->has_fmt)
        return MP_OK;
    int nl = r->m->c.layers * LM_NLIN, rc = MP_OK;
    int *rcs = mp_calloc((size_t)nl, sizeof *rcs);
    MpErr *errs = mp_calloc((size_t)nl, sizeof *errs);
    if (!rcs || !errs)
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
    else {
        /* one task per linear; within it dequantization runs on one thread */
        int threads = r->threads;
        r->threads = 1;
        ReadyCtx c = {r, rcs, errs};
        par_run(threads, nl, ready_task, &c);
        r->threads = threads;
        for (int i = 0; i < nl && rc == MP_OK; i++)
            if ((rc = rcs[i])) {
                *e = errs[i];
                mp_err_prefix(e, "blk.%d.%s, format %s (weights)", i / LM_NLIN, lm_lin_names[i % LM_NLIN], r->nf.name);
            }
    }
    mp_free(rcs);
    mp_free(errs);
    return rc;
}

int lm_linear(LmRunner *r, int l, LmLin which, const float *x, int t, float *y, MpErr *e)
{
    LinQ *q = &r->lin[l * LM_NLIN + which];
    if (r->has_fmt && !q->ready) {
        int rc = lin_ready(r, q, l, which, e);
        if (rc) {
            mp_err_prefix(e, "blk.%d.%s, format %s (weights)", l, lm_lin_names[which], r->nf.name);
            return rc;
        }
    }
    if (!r->has_fmt) {
        gemm_par(r->threads, x, q->w32, y, t, q->n, q->k, LM_NBLK);
        return MP_OK;
    }
    int rc = MP_OK;
    if (r->dp == LM_DP_HW) {
        QMat qx;
        rc = quant_matrix(&r->nf.xq, x, t, q->k, &qx, e);
        if (rc == MP_OK) {
            if (qx.scheme == QS_OLIVE) {
                r->olive_outlier_pairs += qx.n_outlier_pairs;
                r->olive_pairs += (long long)qx.rows * ((qx.cols + 1) / 2);
            }
            rc = golden_gemm_hw(r->nf.kind, &q->qw, &qx, y, e);
            quant_free(&qx);
        }
    } else {
        float *xd = mp_malloc((size_t)t * q->k * sizeof *xd);
        rc = xd ? quant_x_ideal(r, x, t, q->k, xd, e) : mp_errf(e, MP_ENOMEM, "out of memory");
        if (rc == MP_OK)
            gemm_par(r->threads, xd, q->wdq, y, t, q->n, q->k, LM_NBLK);
        mp_free(xd);
    }
    if (rc)
        mp_err_prefix(e, "blk.%d.%s, format %s", l, lm_lin_names[which], r->nf.name);
    return rc;
}

/* ------------------------------------------------------------------ forward pass */

void lm_runner_capture(LmRunner *r, int l, LmAct a, float *buf, int rows)
{
    r->cap.l = l;
    r->cap.a = a;
    r->cap.rows = rows;
    r->cap.buf = buf;
}

/* A linear input x [t x k] of layer l: into the statistics (st: the layer's, or NULL) and the capture. */
static void observe(LmRunner *r, LmActStats *st, int l, LmAct a, const float *x, int t)
{
    if (st)
        stats_add(&st[a], x, t);
    if (r->cap.buf && r->cap.l == l && r->cap.a == (int)a) {
        const LmConfig *c = &r->m->c;
        int k = a == LM_ACT_O ? c->heads * c->head_dim : a == LM_ACT_DOWN ? c->ffn : c->dim;
        memcpy(r->cap.buf, x, (size_t)(t < r->cap.rows ? t : r->cap.rows) * k * sizeof *x);
        r->cap.buf = NULL;
    }
}

static void rmsnorm(const float *x, const float *g, float *y, int t, int d, float eps)
{
    for (int i = 0; i < t; i++) {
        const float *xi = x + (size_t)i * d;
        double ss = 0;
        for (int c = 0; c < d; c++)
            ss += (double)xi[c] * xi[c];
        float s = (float)(1.0 / sqrt(ss / d + (double)eps));
        for (int c = 0; c < d; c++)
            y[(size_t)i * d + c] = xi[c] * s * g[c];
    }
}

static int rope_table(LmRunner *r, int n, MpErr *e)
{
    if (n <= r->npos)
        return MP_OK;
    int h2 = r->m->c.head_dim / 2;
    mp_free(r->rope_cos);
    mp_free(r->rope_sin);
    r->rope_cos = mp_malloc((size_t)n * h2 * sizeof(float));
    r->rope_sin = mp_malloc((size_t)n * h2 * sizeof(float));
    r->npos = 0;
    if (!r->rope_cos || !r->rope_sin)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    for (int p = 0; p < n; p++)
        for (int i = 0; i < h2; i++) {
            /* theta_i = base^(-2i / hd), angle in radians, computed in double */
            double ang = p * pow((double)r->m->c.rope_base, -2.0 * i / r->m->c.head_dim);
            r->rope_cos[(size_t)p * h2 + i] = (float)cos(ang);
            r->rope_sin[(size_t)p * h2 + i] = (float)sin(ang);
        }
    r->npos = n;
    return MP_OK;
}

/* Rotate adjacent pairs (2i, 2i+1) of each of nh heads of every token row (row stride nh * hd). */
static void rope_apply(const LmRunner *r, float *x, int t, int nh)
{
    int hd = r->m->c.head_dim, h2 = hd / 2;
    for (int p = 0; p < t; p++)
        for (int h = 0; h < nh; h++) {
            float *v = x + (size_t)p * nh * hd + (size_t)h * hd;
            const float *cs = r->rope_cos + (size_t)p * h2, *sn = r->rope_sin + (size_t)p * h2;
            for (int i = 0; i < h2; i++) {
                float a = v[2 * i], b = v[2 * i + 1];
                v[2 * i] = a * cs[i] - b * sn[i];
                v[2 * i + 1] = a * sn[i] + b * cs[i];
            }
        }
}

typedef struct AttnCtx {
    const LmConfig *c;
    const float *q, *k, *v; /* [t x H*hd], [t x HK*hd], [t x HK*hd] */
    float *out;             /* [t x H*hd]                           */
    int t;
    atomic_int failed;
} AttnCtx;

static void attn_task(void *ctx, int h)
{
    AttnCtx *a = ctx;
    const LmConfig *c = a->c;
    int t = a->t, hd = c->head_dim, g = h / (c->heads / c->kv_heads);
    int qs = c->heads * hd, ks = c->kv_heads * hd;
    float *s = mp_malloc((size_t)t * t * sizeof *s);
    if (!s) {
        atomic_store(&a->failed, 1);
        return;
    }
    /* S = Q_h K_g^T / sqrt(hd) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, hd, 1.0f / sqrtf((float)hd), a->q + (size_t)h * hd, qs,
                a->k + (size_t)g * hd, ks, 0.0f, s, t);
    for (int i = 0; i < t; i++) { /* causal softmax of row i over j <= i; j > i get 0 */
        float *row = s + (size_t)i * t, mx = row[0], sum = 0;
        for (int j = 1; j <= i; j++)
            mx = row[j] > mx ? row[j] : mx;
        for (int j = 0; j <= i; j++)
            sum += (row[j] = expf(row[j] - mx));
        float inv = 1.0f / sum;
        for (int j = 0; j <= i; j++)
            row[j] *= inv;
        for (int j = i + 1; j < t; j++)
            row[j] = 0;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, hd, t, 1.0f, s, t, a->v + (size_t)g * hd, ks, 0.0f,
                a->out + (size_t)h * hd, qs);
    mp_free(s);
}

int lm_forward(LmRunner *r, const int32_t *tok, int n, float *logits, MpErr *e)
{
    const LmConfig *c = &r->m->c;
    const LmModel *m = r->m;
    if (n < 1)
        return mp_errf(e, MP_EINPUT, "forward pass of %d tokens", n);
    for (int i = 0; i < n; i++)
        if (tok[i] < 0 || tok[i] >= c->vocab)
            return mp_errf(e, MP_EINPUT, "token %d at position %d: outside the vocabulary 0..%d", tok[i], i,
                           c->vocab - 1);
    int rc = rope_table(r, n, e);
    if (rc)
        return rc;
    int D = c->dim, QD = c->heads * c->head_dim, KD = c->kv_heads * c->head_dim, F = c->ffn;
    size_t t = (size_t)n;
    float *x = mp_malloc(t * D * sizeof *x), *h = mp_malloc(t * D * sizeof *h);
    float *q = mp_malloc(t * QD * sizeof *q), *k = mp_malloc(t * KD * sizeof *k), *v = mp_malloc(t * KD * sizeof *v);
    float *a = mp_malloc(t * QD * sizeof *a), *o = mp_malloc(t * D * sizeof *o);
    float *g = mp_malloc(t * F * sizeof *g), *u = mp_malloc(t * F * sizeof *u);
    if (!x || !h || !q || !k || !v || !a || !o || !g || !u) {
        rc = mp_errf(e, MP_ENOMEM, "out of memory (window of %d tokens)", n);
        goto out;
    }
    for (int i = 0; i < n; i++)
        memcpy(x + (size_t)i * D, m->embd + (size_t)tok[i] * D, (size_t)D * sizeof *x);
    for (int l = 0; l < c->layers && rc == MP_OK; l++) {
        const LmLayer *L = &m->layer[l];
        LmActStats *st = r->stats ? &r->stats[l * LM_NACT] : NULL;
        rmsnorm(x, L->attn_norm, h, n, D, c->eps);
        observe(r, st, l, LM_ACT_QKV, h, n);
        if ((rc = lm_linear(r, l, LM_Q, h, n, q, e)) || (rc = lm_linear(r, l, LM_K, h, n, k, e)) ||
            (rc = lm_linear(r, l, LM_V, h, n, v, e)))
            break;
        rope_apply(r, q, n, c->heads);
        rope_apply(r, k, n, c->kv_heads);
        if (r->kv)
            for (size_t i = 0; i < t * c->kv_heads; i++) {
                r->kv(k + i * c->head_dim, c->head_dim);
                r->kv(v + i * c->head_dim, c->head_dim);
            }
        AttnCtx ac = {c, q, k, v, a, n, 0};
        atomic_init(&ac.failed, 0);
        par_run(r->threads, c->heads, attn_task, &ac);
        if (atomic_load(&ac.failed)) {
            rc = mp_errf(e, MP_ENOMEM, "out of memory (attention of %d tokens)", n);
            break;
        }
        observe(r, st, l, LM_ACT_O, a, n);
        if ((rc = lm_linear(r, l, LM_O, a, n, o, e)))
            break;
        for (size_t i = 0; i < t * D; i++)
            x[i] += o[i];
        rmsnorm(x, L->ffn_norm, h, n, D, c->eps);
        observe(r, st, l, LM_ACT_GATEUP, h, n);
        if ((rc = lm_linear(r, l, LM_GATE, h, n, g, e)) || (rc = lm_linear(r, l, LM_UP, h, n, u, e)))
            break;
        for (size_t i = 0; i < t * F; i++)
            g[i] = g[i] / (1.0f + expf(-g[i])) * u[i]; /* silu(gate) * up */
        observe(r, st, l, LM_ACT_DOWN, g, n);
        if ((rc = lm_linear(r, l, LM_DOWN, g, n, o, e)))
            break;
        for (size_t i = 0; i < t * D; i++)
            x[i] += o[i];
    }
    if (rc == MP_OK) {
        rmsnorm(x, m->out_norm, h, n, D, c->eps);
        /* tied lm_head in fp32: logits = h E^T, tasks of 16 * LM_NBLK vocabulary rows */
        gemm_par(r->threads, h, m->embd, logits, n, c->vocab, D, 16 * LM_NBLK);
    }
out:
    mp_free(x);
    mp_free(h);
    mp_free(q);
    mp_free(k);
    mp_free(v);
    mp_free(a);
    mp_free(o);
    mp_free(g);
    mp_free(u);
    return rc;
}

typedef struct NllCtx {
    const float *logits;
    const int32_t *tok;
    int vocab;
    double *row; /* [n - 1] per-position NLL */
} NllCtx;

static void nll_task(void *ctx, int i)
{
    NllCtx *c = ctx;
    const float *z = c->logits + (size_t)i * c->vocab;
    float mx = z[0];
    for (int v = 1; v < c->vocab; v++)
        mx = z[v] > mx ? z[v] : mx;
    double sum = 0;
    for (int v = 0; v < c->vocab; v++)
        sum += exp((double)z[v] - mx);
    c->row[i] = log(sum) + mx - (double)z[c->tok[i + 1]];
}

int lm_window_nll(LmRunner *r, const int32_t *tok, int n, double *nll, MpErr *e)
{
    if (n < 2)
        return mp_errf(e, MP_EINPUT, "a window of %d tokens predicts nothing", n);
    int V = r->m->c.vocab;
    float *logits = mp_malloc((size_t)n * V * sizeof *logits);
    double *row = mp_malloc((size_t)n * sizeof *row);
    int rc = logits && row ? lm_forward(r, tok, n, logits, e) : mp_errf(e, MP_ENOMEM, "out of memory");
    if (rc == MP_OK) {
        NllCtx c = {logits, tok, V, row};
        par_run(r->threads, n - 1, nll_task, &c);
        double s = 0;
        for (int i = 0; i < n - 1; i++)
            s += row[i];
        *nll = s;
    }
    mp_free(logits);
    mp_free(row);
    return rc;
}
