/* bench/bench_infer.c — whole requests (targets: docs/bench.md):
 *   infer/llama2-7b/<kind>   one Llama-2-7B request on one design point: prefill 2048, then 127
 *                            decode steps attending to 2049..2175 positions (128 tokens), batch 1, vector
 *                            work and mapper search included, fast fidelity (sim/infer.h);
 *                            target: well under a second (0.5 s)
 */
#include <string.h>

#include "base/alloc.h"
#include "bench.h"
#include "sim/infer.h"

static const char *const presets[] = {"iso/fp16", "iso/mixpe-w4a8", "iso/bitmod-w4", "iso/olive"};

typedef struct InferCtx {
    ArchConfig c;
    TechTable t;
    InferResult r;
} InferCtx;

static int infer_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    InferCtx *x = mp_calloc(1, sizeof *x);
    *ctx = x;
    if (!x)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    return point_load_arch(presets[b->arg], NULL, &x->c, &x->t, e);
}

static int infer_bench_run(void *ctx, long iters, MpErr *e)
{
    InferCtx *x = ctx;
    InferReq q = {wl_model_find("llama2-7b", e), 2048, 128, 1};
    if (!q.model)
        return MP_EINPUT;
    InferOpts o;
    memset(&o, 0, sizeof o);
    o.run.fid = FID_FAST;
    for (long i = 0; i < iters; i++) {
        int rc = infer_run(&x->c, &x->t, &q, &o, &x->r, e);
        if (rc)
            return rc;
    }
    return MP_OK;
}

static void infer_teardown(void *ctx) { mp_free(ctx); }

#define REQ(i, name)                                                                                              \
    {"infer/llama2-7b/" name, "request", 1,                                                                       \
     "llama2-7b request: prefill 2048, 128 tokens (127 decode steps), batch 1, fast, " name, infer_setup,     \
     infer_bench_run, infer_teardown, i, BT_MAX_S, 0.5}

static const BenchDef rows[] = {REQ(0, "fp16"), REQ(1, "mixpe-w4a8"), REQ(2, "bitmod-w4"), REQ(3, "olive")};

const BenchSuite bench_suite_infer = {"infer", rows, (int)(sizeof rows / sizeof rows[0]), NULL};
