/* bench/bench.h — mpsim's own micro-benchmark harness (no benchmark library).
 *
 * A benchmark is one BenchDef row: a name, the unit of its work, the work one iteration
 * does, a setup/run/teardown triple and an optional target. The harness (harness.c)
 * times only run(); setup and teardown are untimed and happen once per benchmark.
 *
 *   setup(b, &ctx, e)     build the inputs (synthetic tensors, quantized matrices)
 *   run(ctx, iters, e)    do `iters` iterations of the measured work, back to back
 *   teardown(ctx)         free what setup made
 *
 * Timing (docs/bench.md): clock_gettime(CLOCK_MONOTONIC) around each call of run().
 *   1. warm-up: run(1), then grow iters until one call lasts at least rep_min_s, and
 *      keep warming until warmup_s has passed (always at least one call); discarded.
 *   2. repetitions: run(iters) until both min_reps calls and min_time_s of measured
 *      time are reached (max_reps caps fast benchmarks). A slow benchmark stops early,
 *      after at least one repetition, when the next one would end past max_time_s
 *      since the warm-up began; the result says so (capped) and gives its true reps.
 *      One repetition's time per iteration is its wall time / iters.
 *   3. report the median, min and max of those per-iteration times; throughput is
 *      work / median. Never a mean. The median CPU time per iteration (all threads,
 *      CLOCK_PROCESS_CPUTIME_ID) is reported too: cpu / wall is the parallelism the
 *      run got, which other processes on a shared machine reduce.
 *
 * The wall clock is read here and only here: it never enters a simulation result.
 */
#ifndef MP_BENCH_BENCH_H
#define MP_BENCH_BENCH_H

#include "base/err.h"

/* Seed of every synthetic input (traces/synth.h); printed with the results. */
#define BENCH_SEED 1u

typedef struct BenchDef BenchDef;

/* A target, when set, is one comparison of the median against a bound. */
typedef enum { BT_NONE, BT_MAX_S, BT_MIN_THROUGHPUT } BenchTargetKind;

struct BenchDef {
    const char *name;    /* "group/variant", e.g. "quant/int8"; --filter matches a substring */
    const char *unit;    /* unit of work: "elem", "MAC", ... (throughput is unit/s)          */
    double work;         /* units of work per iteration                                      */
    const char *desc;    /* one line: what an iteration does                                 */
    int (*setup)(const BenchDef *b, void **ctx, MpErr *e);  /* untimed; may leave ctx NULL   */
    int (*run)(void *ctx, long iters, MpErr *e);             /* timed                         */
    void (*teardown)(void *ctx);                             /* untimed; may be NULL          */
    int arg;             /* row parameter for setup (an index into the suite's own table)    */
    BenchTargetKind target;
    double target_value; /* seconds per iteration (BT_MAX_S) or unit/s (BT_MIN_THROUGHPUT)   */
};

/* A suite: the rows of one source file, and a hook to free fixtures its rows share. */
typedef struct BenchSuite {
    const char *name;
    const BenchDef *rows;
    int count;
    void (*cleanup)(void);  /* called once after the last benchmark run; may be NULL */
} BenchSuite;

typedef struct BenchOpts {
    double min_time_s;  /* measured time to reach, over all repetitions (default 0.5)   */
    long min_reps;      /* repetitions to reach (default 3)                             */
    long max_reps;      /* cap on repetitions (default 1000)                            */
    double rep_min_s;   /* one repetition lasts at least this long (default 0.1)        */
    double warmup_s;    /* warm-up time (default 0.2; always at least one call)         */
    double max_time_s;  /* budget per benchmark, warm-up included (default 6; 0: none)  */
} BenchOpts;

typedef struct BenchResult {
    const BenchDef *def;
    double median_s, min_s, max_s;  /* wall time per iteration                         */
    double cpu_median_s;            /* median CPU time per iteration, all threads: with
                                       median_s, the parallelism the run actually got  */
    long reps;                      /* timed repetitions                               */
    long iters;                     /* iterations per repetition                       */
    double throughput;              /* def->work / median_s, unit/s                    */
    int meets_target;               /* 1, 0, or -1 when the row has no target          */
    int capped;                     /* 1 if max_time_s stopped it before min_reps/min_time */
    double setup_s;                 /* wall time of setup (untimed work, for the budget) */
    double total_s;                 /* wall time of warm-up and repetitions            */
} BenchResult;

void bench_opts_default(BenchOpts *o);
/* Seconds from CLOCK_MONOTONIC (the only clock the harness uses for timing). */
double bench_now(void);
/* Set up, warm up, time and tear down one benchmark. */
int bench_run(const BenchDef *b, const BenchOpts *o, BenchResult *r, MpErr *e) MP_MUST_CHECK;
/* Median of n values (sorted in place); the mean of the middle two when n is even. */
double bench_median(double *v, long n);
/* "< 1 s", ">= 10 M MAC/s", or "-" for a row without a target. */
void bench_target_text(const BenchDef *b, char *buf, int cap);
/* 1.23 G, 456 k, ... : value scaled to an SI prefix, 3 significant digits. */
void bench_si(double v, char *buf, int cap);

/* The suites (one per bench/bench_*.c). */
extern const BenchSuite bench_suite_models;
extern const BenchSuite bench_suite_sim;
extern const BenchSuite bench_suite_infer;
extern const BenchSuite bench_suite_dse;
/* Fill in work figures the sim suite computes from the simulator itself (PE-cycles). */
void bench_sim_prepare(void);

#endif
