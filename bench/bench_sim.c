/* bench/bench_sim.c — simulator benchmarks (targets: docs/sources.md, "Performance targets"; docs/bench.md):
 *   sim/fast-llama2-7b/<kind>   one design point, llama2-7b prefill 2048 + one decode step
 *                               (KV 2048), fast fidelity; target under 1 s
 *   sim/cycle/<kind>            cycle fidelity with real data on one GEMM, in PE-cycles per
 *                               second (rows x cols x cycles); target >= 20 M PE-cycles/s
 *   sim/cycle-nodata/<kind>     the same GEMM ticked without computing values (timing only)
 *   dse/decode-points           design points of a llama2-7b decode sweep per second (a fixed 12)
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "bench.h"
#include "models/golden.h"
#include "sim/config.h"
#include "sim/run.h"
#include "dse/sweep.h"
#include "traces/synth.h"

static const char *const fast_presets[] = {"iso/fp16", "iso/mixpe-w4a8", "iso/bitmod-w4", "iso/olive"};
static const char *const cycle_presets[] = {"iso/int8", "iso/fp16", "iso/bitmod-w4"};

typedef struct FastCtx {
    ArchConfig c;
    Workload *pre, *dec;
} FastCtx;

static int fast_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    FastCtx *x = mp_calloc(1, sizeof *x);
    if (!x)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    const WlModel *m = wl_model_find("llama2-7b", e);
    int rc = m ? config_load(fast_presets[b->arg], &x->c, NULL, NULL, 0, e) : MP_EINPUT;
    if (rc == MP_OK)
        rc = wl_create(m, WL_PREFILL, 2048, 1, &x->pre, e);
    if (rc == MP_OK)
        rc = wl_create(m, WL_DECODE, 2048, 1, &x->dec, e);
    *ctx = x;
    return rc;
}

static int fast_run(void *ctx, long iters, MpErr *e)
{
    FastCtx *x = ctx;
    RunOpts o = {FID_FAST, NULL, 1, 0, MAP_OBJ_TIME, NULL, NULL}; /* no memo: every GEMM simulated */
    for (long i = 0; i < iters; i++) {
        RunResult a, b;
        int rc = run_workload(&x->c, x->pre, &o, &a, e);
        if (rc)
            return rc;
        rc = run_workload(&x->c, x->dec, &o, &b, e);
        run_free(&a);
        if (rc)
            return rc;
        run_free(&b);
    }
    return MP_OK;
}

static void fast_teardown(void *ctx)
{
    FastCtx *x = ctx;
    if (!x)
        return;
    wl_destroy(x->pre);
    wl_destroy(x->dec);
    mp_free(x);
}

/* The cycle benchmark's GEMM: 64 x 256 x 1024 on a 16 x 16 array (many tiles, several K
 * blocks with the preset's buffers shrunk to 64/64/32 KiB). */
enum { CM = 64, CN = 256, CK = 1024, CARR = 16 };

typedef struct CycleCtx {
    ArchConfig c;
    QMat qw, qx;
    GoldenAcc *ps;
    float *y;
    int with_data;
} CycleCtx;

static void cycle_teardown(void *ctx)
{
    CycleCtx *x = ctx;
    if (!x)
        return;
    quant_free(&x->qw);
    quant_free(&x->qx);
    mp_free(x->ps);
    mp_free(x->y);
    mp_free(x);
}

static int cycle_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    CycleCtx *x = mp_calloc(1, sizeof *x);
    if (!x)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    *ctx = x;
    x->with_data = b->arg < 16;
    int rc = config_load(cycle_presets[b->arg % 16], &x->c, NULL, NULL, 0, e);
    if (rc == MP_OK)
        rc = config_apply_sets(&x->c, "arch.rows=16,arch.cols=16,sram.weight_kib=64,sram.act_kib=64,sram.out_kib=32", e);
    if (rc)
        return rc;
    float *w = mp_malloc((size_t)CN * CK * sizeof *w), *a = mp_malloc((size_t)CM * CK * sizeof *a);
    x->ps = mp_calloc((size_t)CM * CN, sizeof *x->ps);
    x->y = mp_calloc((size_t)CM * CN, sizeof *x->y);
    SynParams sp;
    syn_params_default(&sp);
    QParams wq, xq;
    sim_operand_params(&x->c, 0, &wq, &xq);
    if (!w || !a || !x->ps || !x->y)
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
    if (rc == MP_OK)
        rc = syn_weights(&sp, BENCH_SEED, CN, CK, w, e);
    if (rc == MP_OK)
        rc = syn_acts(&sp, BENCH_SEED, CM, CK, a, NULL, e);
    if (rc == MP_OK)
        rc = quant_matrix(&wq, w, CN, CK, &x->qw, e);
    if (rc == MP_OK)
        rc = quant_matrix(&xq, a, CM, CK, &x->qx, e);
    mp_free(w);
    mp_free(a);
    return rc;
}

static int cycle_run(void *ctx, long iters, MpErr *e)
{
    CycleCtx *x = ctx;
    SimGemm g = {.m = CM, .n = CN, .k = CK, .count = 1};
    for (long i = 0; i < iters; i++) {
        ArrayData d = {&x->qw, &x->qx, x->ps, x->y};
        SimResult r;
        int rc = sim_gemm(&x->c, &g, FID_CYCLE, NULL, x->with_data ? &d : NULL, &r, e);
        if (rc)
            return rc;
    }
    return MP_OK;
}

/* PE-cycles of the cycle GEMM for a preset: the work of one iteration (fast fidelity gives the
 * same count as cycle fidelity, tests/test_engine.c). Computed once, at table build time. */
static double pe_cycles_of(int idx)
{
    ArchConfig c;
    MpErr e = {0};
    if (config_load(cycle_presets[idx], &c, NULL, NULL, 0, &e) ||
        config_apply_sets(&c, "arch.rows=16,arch.cols=16,sram.weight_kib=64,sram.act_kib=64,sram.out_kib=32", &e))
        return 0;
    SimGemm g = {.m = CM, .n = CN, .k = CK, .count = 1};
    SimResult r;
    if (sim_gemm(&c, &g, FID_FAST, NULL, NULL, &r, &e))
        return 0;
    return (double)r.ev.pe_total;
}

#define FAST(i, name)                                                                                             \
    {"sim/fast-llama2-7b/" name, "run", 1, "llama2-7b prefill 2048 + decode KV 2048, fast fidelity, " name,      \
     fast_setup, fast_run, fast_teardown, i, BT_MAX_S, 1.0}
#define CYCLE(i, name, data)                                                                                       \
    {data ? "sim/cycle/" name : "sim/cycle-nodata/" name, "PE-cycle", 0,                                           \
     "64x256x1024 GEMM on a 16x16 array, cycle fidelity" #data, cycle_setup, cycle_run, cycle_teardown,            \
     (data ? 0 : 16) + i, data ? BT_MIN_THROUGHPUT : BT_NONE, 20e6}

static BenchDef rows[] = {
    FAST(0, "fp16"),         FAST(1, "mixpe-w4a8"),        FAST(2, "bitmod-w4"),      FAST(3, "olive"),
    CYCLE(0, "int8", 1),     CYCLE(1, "fp16", 1),          CYCLE(2, "bitmod-w4", 1),  CYCLE(0, "int8", 0),
    CYCLE(2, "bitmod-w4", 0),
};

/* The PE-cycle counts are filled in before the first run. */
void bench_sim_prepare(void)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].setup == cycle_setup)
            rows[i].work = pe_cycles_of(rows[i].arg % 16);
}

const BenchSuite bench_suite_sim = {"sim", rows, (int)(sizeof rows / sizeof rows[0]), NULL};

/* ---- design-space exploration: design points per second, one process, fast fidelity ---------
 * configs/sweeps/decode-dse.ini (llama2-7b decode design points); each iteration evaluates one
 * design point (no database, no accuracy study: those are per-sweep costs, docs/dse.md). The
 * issue's target, 1000 points per minute on 2 cores, is >= 8.3 points/s on one. */

typedef struct DseCtx {
    SweepPlan *p;
} DseCtx;

static int dse_setup(const BenchDef *b, void **ctx, MpErr *e)
{
    (void)b;
    DseCtx *x = mp_calloc(1, sizeof *x);
    if (!x)
        return mp_errf(e, MP_ENOMEM, "out of memory");
    *ctx = x;
    return sweep_plan_load(MPSIM_DATADIR "/configs/sweeps/decode-dse.ini", &x->p, e);
}

/* One iteration = the same DSE_POINTS rows, spread evenly over the plan (rows k * nrows / DSE_POINTS):
 * the points of decode-dse.ini differ by ~20x in cost (the aspect ratio changes the mapper's search),
 * so every repetition must time the same mix for the median to mean points per second. */
#define DSE_POINTS 12

static int dse_run(void *ctx, long iters, MpErr *e)
{
    DseCtx *x = ctx;
    int rc = MP_OK;
    for (long i = 0; i < iters && rc == MP_OK; i++)
        for (int64_t k = 0; k < DSE_POINTS && rc == MP_OK; k++) {
            int64_t done = 0;
            rc = sweep_eval_rows(x->p, k * x->p->nrows / DSE_POINTS, 1, &done, e);
        }
    return rc;
}

static void dse_teardown(void *ctx)
{
    DseCtx *x = ctx;
    if (!x)
        return;
    sweep_plan_free(x->p);
    mp_free(x);
}

static const BenchDef dse_rows[] = {
    {"dse/decode-points", "point", DSE_POINTS, "12 llama2-7b decode design points spread over configs/sweeps/decode-dse.ini, fast",
     dse_setup, dse_run, dse_teardown, 0, BT_MIN_THROUGHPUT, 1000.0 / 60.0 / 2.0},
};

const BenchSuite bench_suite_dse = {"dse", dse_rows, (int)(sizeof dse_rows / sizeof dse_rows[0]), NULL};
