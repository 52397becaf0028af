/* bench/harness.c — warm-up, repetitions and robust statistics; see bench.h. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"

void bench_opts_default(BenchOpts *o)
{
    *o = (BenchOpts){.min_time_s = 0.5, .min_reps = 3, .max_reps = 1000, .rep_min_s = 0.1, .warmup_s = 0.2,
                     .max_time_s = 6.0};
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, long n)
{
    if (n <= 0)
        return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* CPU time of the process, all threads (seconds). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall time of one call of run(ctx, iters), its CPU time in *cpu; *rc gets its status. */
static double timed_call(const BenchDef *b, void *ctx, long iters, double *cpu, int *rc, MpErr *e)
{
    double c0 = cpu_now(), t0 = bench_now();
    *rc = b->run(ctx, iters, e);
    double t = bench_now() - t0;
    *cpu = cpu_now() - c0;
    return t;
}

#define BENCH_MAX_ITERS 1000000000L

int bench_run(const BenchDef *b, const BenchOpts *o, BenchResult *r, MpErr *e)
{
    memset(r, 0, sizeof *r);
    r->def = b;
    r->meets_target = -1;
    if (o->min_reps < 1 || o->max_reps < o->min_reps || !(o->min_time_s >= 0) || !(o->rep_min_s >= 0) ||
        !(o->warmup_s >= 0) || !(o->max_time_s >= 0))
        return mp_errf(e, MP_EINPUT, "bench: bad options (min_reps %ld, max_reps %ld)", o->min_reps, o->max_reps);
    double *times = mp_malloc((size_t)o->max_reps * sizeof *times);
    double *cpus = mp_malloc((size_t)o->max_reps * sizeof *cpus);
    if (!times || !cpus) {
        mp_free(times);
        mp_free(cpus);
        return mp_errf(e, MP_ENOMEM, "bench: out of memory");
    }
    void *ctx = NULL;
    const double t_setup = bench_now();
    int rc = b->setup ? b->setup(b, &ctx, e) : MP_OK;
    if (rc) {
        mp_free(times);
        mp_free(cpus);
        mp_err_prefix(e, "%s: setup", b->name);
        return rc;
    }
    const double start = bench_now();
    r->setup_s = start - t_setup;

    /* warm-up and calibration: iters grows until one call lasts rep_min_s */
    long iters = 1;
    double t = 0, cpu; /* the last call's wall and CPU time */
    for (;;) {
        t = timed_call(b, ctx, iters, &cpu, &rc, e);
        if (rc)
            break;
        if (t < o->rep_min_s && iters < BENCH_MAX_ITERS) {
            double f = t > 0 ? 1.25 * o->rep_min_s / t : 100.0;
            f = f < 2 ? 2 : f > 100 ? 100 : f;
            double next = ceil((double)iters * f);
            iters = next > (double)BENCH_MAX_ITERS ? BENCH_MAX_ITERS : (long)next;
            continue;
        }
        if (bench_now() - start >= o->warmup_s)
            break;
    }

    /* repetitions: at least min_reps and min_time_s of measured time */
    long n = 0;
    double measured = 0;
    while (rc == MP_OK && n < o->max_reps && (n < o->min_reps || measured < o->min_time_s)) {
        if (n >= 1 && o->max_time_s > 0 && bench_now() - start + t > o->max_time_s) {
            r->capped = 1; /* the next repetition (about as long as the last) would overrun */
            break;
        }
        t = timed_call(b, ctx, iters, &cpu, &rc, e);
        cpus[n] = cpu / (double)iters;
        times[n++] = t / (double)iters;
        measured += t;
    }
    r->total_s = bench_now() - start;
    if (b->teardown)
        b->teardown(ctx);
    if (rc) {
        mp_free(times);
        mp_free(cpus);
        mp_err_prefix(e, "%s", b->name);
        return rc;
    }

    r->reps = n;
    r->iters = iters;
    r->min_s = r->max_s = times[0];
    for (long i = 1; i < n; i++) {
        r->min_s = fmin(r->min_s, times[i]);
        r->max_s = fmax(r->max_s, times[i]);
    }
    r->median_s = bench_median(times, n);
    r->cpu_median_s = bench_median(cpus, n);
    r->throughput = r->median_s > 0 ? b->work / r->median_s : INFINITY;
    switch (b->target) {
    case BT_MAX_S: r->meets_target = r->median_s <= b->target_value; break;
    case BT_MIN_THROUGHPUT: r->meets_target = r->throughput >= b->target_value; break;
    case BT_NONE: break;
    }
    mp_free(times);
    mp_free(cpus);
    return MP_OK;
}

void bench_si(double v, char *buf, int cap)
{
    static const char *const pre[] = {"p", "n", "u", "m", "", "k", "M", "G", "T", "P"};
    int i = 4;
    double a = fabs(v);
    if (!isfinite(v) || a == 0) {
        snprintf(buf, (size_t)cap, "%g ", v);
        return;
    }
    while (a >= 999.5 && i < 9) {
        a /= 1000;
        v /= 1000;
        i++;
    }
    while (a < 0.9995 && i > 0) {
        a *= 1000;
        v *= 1000;
        i--;
    }
    snprintf(buf, (size_t)cap, "%.*f %s", a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2, v, pre[i]);
}

void bench_target_text(const BenchDef *b, char *buf, int cap)
{
    char v[32];
    switch (b->target) {
    case BT_MAX_S:
        bench_si(b->target_value, v, sizeof v);
        snprintf(buf, (size_t)cap, "<= %ss", v);
        break;
    case BT_MIN_THROUGHPUT:
        bench_si(b->target_value, v, sizeof v);
        snprintf(buf, (size_t)cap, ">= %s%s/s", v, b->unit);
        break;
    default: snprintf(buf, (size_t)cap, "-"); break;
    }
}
