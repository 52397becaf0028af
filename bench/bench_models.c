/* bench/bench_models.c — benchmarks of models/: quantizers, packing, golden GEMMs.
 *
 * One synthetic weight matrix (traces/synth.h defaults, seed BENCH_SEED) serves every row:
 *   big_w    4096 x 11008 fp32 (Llama-2-7B down_proj: N = 4096 output rows, K = 11008 along a row)
 *   gemm_x   1 x 11008 activations: the GEMMs are batch-1 decode GEMVs Y[1 x 4096] = X W^T
 * quant/<fmt> times quant_matrix on big_w; its untimed warm-up call leaves the result in
 * qcache[], which pack/<fmt> and the GEMMs then use (they quantize it themselves when run alone,
 * e.g. under --filter). Everything is freed by the suite's cleanup hook. Peak memory ~2.5 GB.
 */
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "bench.h"
#include "models/golden.h"
#include "models/pack.h"
#include "models/quant.h"
#include "traces/synth.h"

#define BIG_ROWS 4096
#define BIG_COLS 11008
#define BIG_ELEMS ((double)BIG_ROWS * BIG_COLS)

#define GEMM_M 1 /* batch-1 decode: the GEMM is a GEMV */
#define GEMM_N BIG_ROWS
#define GEMM_K BIG_COLS
#define GEMM_MACS ((double)GEMM_M * GEMM_N * GEMM_K)

/* The weight formats of num_formats[] (models/pekind.h), each once, named by the first format of the
 * table that quantizes weights that way. The row macros below take the index and a label. */
static const char *const weight_fmts[] = {
    "fp16",      /* 0 fp16                                   */
    "int8",      /* 1 int8, symmetric per row                */
    "int4",      /* 2 int4, symmetric per row                */
    "w4a16-dq",  /* 3 uint4-g128 (also mixpe-w4a8/w4a16)      */
    "bitmod-w4", /* 4 bitmod-fp4, g128                       */
    "bitmod-w3", /* 5 bitmod-fp3, g128                       */
    "olive-w4a4", /* 6 olive, per-row scale                  */
    "ant-w4a4",  /* 7 ant, per-row scale                     */
};
#define NWFMT ((int)(sizeof weight_fmts / sizeof weight_fmts[0]))

/* ---------------------------------------------------------------- shared inputs */

static float *big_w, *gemm_x;
static QMat qcache[NWFMT]; /* big_w quantized in weight_fmts[i], made on first use */
static int qcached[NWFMT];

static int synth(float **dst, int rows, int cols, int acts, MpErr *e)
{
    if (*dst)
        return MP_OK;
    SynParams sp;
    syn_params_default(&sp);
    float *p = mp_malloc((size_t)rows * cols * sizeof *p);
    if (!p)
        return mp_errf(e, MP_ENOMEM, "out of memory for a %d x %d synthetic matrix", rows, cols);
    int rc = acts ? syn_acts(&sp, BENCH_SEED, (size_t)rows, (size_t)cols, p, NULL, e)
                  : syn_weights(&sp, BENCH_SEED, (size_t)rows, (size_t)cols, p, e);
    if (rc) {
        mp_free(p);
        return rc;
    }
    *dst = p;
    return MP_OK;
}

static void models_cleanup(void)
{
    mp_free(big_w);
    mp_free(gemm_x);
    big_w = gemm_x = NULL;
    for (int i = 0; i < NWFMT; i++)
        if (qcached[i])
            quant_free(&qcache[i]);
    memset(qcached, 0, sizeof qcached);
}

static const NumFormat *weight_fmt(int i, MpErr *e)
{
    const NumFormat *f = num_format_find(weight_fmts[i]);
    if (!f)
        mp_errf(e, MP_EINTERNAL, "no format '%s' in num_formats[]", weight_fmts[i]);
    return f;
}

/* Index in weight_fmts of the weight quantization p, or -1. */
static int weight_fmt_index(const QParams *p)
{
    for (int i = 0; i < NWFMT; i++) {
        const NumFormat *f = num_format_find(weight_fmts[i]);
        const QParams *q = f ? &f->wq : NULL;
        if (q && q->scheme == p->scheme && q->fmt == p->fmt && q->group == p->group &&
            q->per_tensor == p->per_tensor && q->bm_err == p->bm_err && q->bm_only == p->bm_only)
            return i;
    }
    return -1;
}

/* big_w quantized in weight format i (kept until cleanup). */
static int cached_quant(int i, const QMat **q, MpErr *e)
{
    if (!qcached[i]) {
        const NumFormat *f = weight_fmt(i, e);
        if (!f)
            return MP_EINTERNAL;
        int rc = synth(&big_w, BIG_ROWS, BIG_COLS, 0, e);
        if (rc == MP_OK)
            rc = quant_matrix(&f->wq, big_w, BIG_ROWS, BIG_COLS, &qcache[i], e);
        if (rc)
            return rc;
        qcached[i] = 1;
    }
    *q = &qcache[i];
    return MP_OK;
}

/* ---------------------------------------------------------------- quant/<fmt> */

typedef struct QuantCtx {
    int fmt; /* index in weight_fmts */
    const NumFormat *f;
} QuantCtx;

static int quant_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    QuantCtx *c = mp_calloc(1, sizeof *c);
    if (!c)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    c->fmt = b->arg;
    int rc = (c->f = weight_fmt(b->arg, e)) ? synth(&big_w, BIG_ROWS, BIG_COLS, 0, e) : MP_EINTERNAL;
    if (rc) {
        mp_free(c);
        return rc;
    }
    *ctx = c;
    return MP_OK;
}

/* One iteration: quantize the whole matrix (allocation included) and free the result. The first
 * call of all is the harness's untimed warm-up: its result is kept for pack/ and gemm-*, so every
 * timed iteration includes the free. */
static int quant_run(void *ctx, long iters, MpErr *e)
{
    const QuantCtx *c = ctx;
    for (long i = 0; i < iters; i++) {
        QMat q;
        int rc = quant_matrix(&c->f->wq, big_w, BIG_ROWS, BIG_COLS, &q, e);
        if (rc)
            return rc;
        if (!qcached[c->fmt]) {
            qcache[c->fmt] = q;
            qcached[c->fmt] = 1;
        } else
            quant_free(&q);
    }
    return MP_OK;
}

static void free_ctx(void *ctx) { mp_free(ctx); }

/* ---------------------------------------------------------------- pack/<fmt> */

static int pack_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    const QMat *q;
    int rc = cached_quant(b->arg, &q, e);
    if (rc == MP_OK)
        *ctx = (void *)q;
    return rc;
}

static int pack_run(void *ctx, long iters, MpErr *e)
{
    const QMat *q = ctx;
    for (long i = 0; i < iters; i++) {
        PackedMat p;
        int rc = pack_matrix(q, &p, e);
        if (rc)
            return rc;
        pack_free(&p);
    }
    return MP_OK;
}

/* ---------------------------------------------------------------- gemm-hw/<kind>, gemm-ideal/<fmt> */

typedef struct GemmCtx {
    PeKindId kind;
    const QMat *w; /* cached */
    QMat x;
    float *y;
    double *yd;
} GemmCtx;

static void gemm_teardown(void *ctx)
{
    GemmCtx *c = ctx;
    quant_free(&c->x);
    mp_free(c->y);
    mp_free(c->yd);
    mp_free(c);
}

static int gemm_prepare(const NumFormat *f, GemmCtx **out, MpErr *e)
{
    int wi = weight_fmt_index(&f->wq);
    if (wi < 0)
        return mp_errf(e, MP_EINTERNAL, "format %s: its weight quantization is not in weight_fmts", f->name);
    GemmCtx *c = mp_calloc(1, sizeof *c);
    if (!c)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    c->kind = f->kind;
    int rc = cached_quant(wi, &c->w, e);
    if (rc == MP_OK)
        rc = synth(&gemm_x, GEMM_M, GEMM_K, 1, e);
    if (rc == MP_OK) {
        c->y = mp_calloc((size_t)GEMM_M * GEMM_N, sizeof *c->y);
        c->yd = mp_calloc((size_t)GEMM_M * GEMM_N, sizeof *c->yd);
        if (!c->y || !c->yd)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
    }
    if (rc == MP_OK)
        rc = quant_matrix(&f->xq, gemm_x, GEMM_M, GEMM_K, &c->x, e);
    if (rc) {
        gemm_teardown(c);
        return rc;
    }
    *out = c;
    return MP_OK;
}

/* The kind is named by the row ("gemm-hw/<kind>"); it runs its native variant's format (4-bit BitMoD). */
static int gemm_hw_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    PeKindId kind;
    if (pe_kind_from_name(strchr(b->name, '/') + 1, &kind) != 0)
        return mp_errf(e, MP_EINTERNAL, "%s: not a PE kind", b->name);
    const NumFormat *f = num_format_for_kind(kind, 0);
    if (!f)
        return mp_errf(e, MP_EINTERNAL, "no format for PE kind %s", pe_kind_names[kind]);
    GemmCtx *c;
    int rc = gemm_prepare(f, &c, e);
    if (rc)
        return rc;
    c->kind = kind;
    *ctx = c;
    return MP_OK;
}

static int gemm_hw_run(void *ctx, long iters, MpErr *e)
{
    GemmCtx *c = ctx;
    for (long i = 0; i < iters; i++) {
        int rc = golden_gemm_hw(c->kind, c->w, &c->x, c->y, e);
        if (rc)
            return rc;
    }
    return MP_OK;
}

/* arg: an index into weight_fmts (the ideal GEMM's cost does not depend on the datapath). */
static int gemm_ideal_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    const NumFormat *f = weight_fmt(b->arg, e);
    if (!f)
        return MP_EINTERNAL;
    GemmCtx *c;
    int rc = gemm_prepare(f, &c, e);
    if (rc)
        return rc;
    *ctx = c;
    return MP_OK;
}

static int gemm_ideal_run(void *ctx, long iters, MpErr *e)
{
    GemmCtx *c = ctx;
    for (long i = 0; i < iters; i++) {
        int rc = golden_gemm_ideal(c->w, &c->x, c->yd, e);
        if (rc)
            return rc;
    }
    return MP_OK;
}

/* ---------------------------------------------------------------- the table */

#define QUANT_DESC "quantize a 4096x11008 fp32 weight matrix (allocation and free included)"
#define QUANT(i, label)                                                                                      \
    {"quant/" label, "elem", BIG_ELEMS, QUANT_DESC, quant_setup, quant_run, free_ctx, i, BT_MAX_S, 1.0}
#define PACK_DESC "pack_matrix of the quantized 4096x11008 matrix (allocation and free included)"
#define PACK(i, label) {"pack/" label, "elem", BIG_ELEMS, PACK_DESC, pack_setup, pack_run, NULL, i, BT_NONE, 0}
#define GEMM_DESC "golden_gemm_hw, M=1 N=4096 K=11008 (the quant/ matrix), the kind's own formats"
#define GEMM(kind)                                                                                           \
    {"gemm-hw/" kind, "MAC", GEMM_MACS, GEMM_DESC, gemm_hw_setup, gemm_hw_run, gemm_teardown, 0, BT_NONE, 0}

static const BenchDef rows[] = {
    QUANT(0, "fp16"),
    QUANT(1, "int8"),
    QUANT(2, "int4"),
    QUANT(3, "uint4-g128"),
    QUANT(4, "bitmod-fp4"),
    QUANT(5, "bitmod-fp3"),
    QUANT(6, "olive"),
    QUANT(7, "ant"),
    PACK(0, "fp16"),
    PACK(1, "int8"),
    PACK(2, "int4"),
    PACK(3, "uint4-g128"),
    PACK(4, "bitmod-fp4"),
    PACK(5, "bitmod-fp3"),
    PACK(6, "olive"),
    PACK(7, "ant"),
    GEMM("fp16"),
    GEMM("int8"),
    GEMM("w4a16-dq"),
    GEMM("mixpe-w4a8"),
    GEMM("mixpe-w4a16"),
    GEMM("bitmod"),
    GEMM("olive"),
    GEMM("ant"),
    {"gemm-ideal/int8", "MAC", GEMM_MACS, "golden_gemm_ideal (double), M=1 N=4096 K=11008, int8 W and X",
     gemm_ideal_setup, gemm_ideal_run, gemm_teardown, 1, BT_NONE, 0},
};

const BenchSuite bench_suite_models = {"models", rows, (int)(sizeof rows / sizeof rows[0]), models_cleanup};
