/* bench/bench_main.c — build/bench: run the benchmark suites, print a table, write JSON.
 *
 *   build/bench [--filter SUBSTRING] [--min-time S] [--min-reps N] [--max-time S] [--json FILE] [--list]
 *
 * The JSON (version 1) records provenance next to the numbers: UTC date, host (CPUs, CPU
 * model, OpenMP threads, load average), commit (MPSIM_COMMIT, set by `make bench`, else `git rev-parse`),
 * the seed of the synthetic inputs and the harness options. docs/bench.md describes it.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "bench.h"
#include "base/cli.h"
#include "base/jsonout.h"

static const BenchSuite *const suites[] = {&bench_suite_models, &bench_suite_sim, &bench_suite_infer, &bench_suite_dse};
#define NSUITES ((int)(sizeof suites / sizeof suites[0]))

typedef struct HostInfo {
    char date[32];       /* UTC, ISO 8601 */
    long cpus;
    char cpu_model[128];
    int omp_threads;
    double loadavg;      /* 1-minute load average at the start (-1: unknown): others' work skews timings */
    char commit[96];
} HostInfo;

static void trim_nl(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static void host_info(HostInfo *h)
{
    time_t now = time(NULL); /* provenance only: never part of a result */
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(h->date, sizeof h->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    h->cpus = sysconf(_SC_NPROCESSORS_ONLN);
    h->omp_threads = omp_get_max_threads();
    snprintf(h->cpu_model, sizeof h->cpu_model, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f)) {
            char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) != 0 || !colon)
                continue;
            colon++;
            while (*colon == ' ' || *colon == '\t')
                colon++;
            snprintf(h->cpu_model, sizeof h->cpu_model, "%s", colon);
            trim_nl(h->cpu_model);
            break;
        }
        fclose(f);
    }
    h->loadavg = -1;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &h->loadavg) != 1)
            h->loadavg = -1;
        fclose(la);
    }
    const char *c = getenv("MPSIM_COMMIT");
    snprintf(h->commit, sizeof h->commit, "%s", c && *c ? c : "unknown");
    if (!(c && *c)) {
        FILE *p = popen("git rev-parse HEAD 2>/dev/null", "r");
        if (p) {
            char line[96];
            if (fgets(line, sizeof line, p)) {
                trim_nl(line);
                if (*line)
                    snprintf(h->commit, sizeof h->commit, "%s", line);
            }
            pclose(p);
        }
    }
}

static void fmt_time(double s, char *buf, int cap)
{
    char v[32];
    bench_si(s, v, sizeof v);
    snprintf(buf, (size_t)cap, "%ss", v);
}

static void print_header(void)
{
    printf("%-30s %9s %9s %9s %9s %4s %14s %10s %s\n", "benchmark", "median", "min", "max", "reps x it", "cpu",
           "throughput", "target", "ok");
}

static void print_row(const BenchResult *r)
{
    char med[32], mn[32], mx[32], tp[48], tg[48], v[32], reps[32];
    fmt_time(r->median_s, med, sizeof med);
    fmt_time(r->min_s, mn, sizeof mn);
    fmt_time(r->max_s, mx, sizeof mx);
    bench_si(r->throughput, v, sizeof v);
    snprintf(tp, sizeof tp, "%s%s/s", v, r->def->unit);
    bench_target_text(r->def, tg, sizeof tg);
    snprintf(reps, sizeof reps, "%ld x %ld%s", r->reps, r->iters, r->capped ? "*" : "");
    printf("%-30s %9s %9s %9s %9s %4.1f %14s %10s %s\n", r->def->name, med, mn, mx, reps,
           r->median_s > 0 ? r->cpu_median_s / r->median_s : 0.0, tp, tg,
           r->meets_target < 0 ? "" : r->meets_target ? "yes" : "MISSED");
    fflush(stdout);
}

/* Named numbers, added to a JSON object in order. */
typedef struct JsonNum {
    const char *key;
    double v;
} JsonNum;
#define NNUM(a) (sizeof(a) / sizeof((a)[0]))

static void add_numbers(cJSON *o, const JsonNum *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_AddNumberToObject(o, f[i].key, f[i].v);
}

static cJSON *result_json(const BenchResult *r)
{
    const BenchDef *b = r->def;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", b->name);
    cJSON_AddStringToObject(o, "unit", b->unit);
    cJSON_AddStringToObject(o, "desc", b->desc);
    const JsonNum times[] = {
        {"median_s", r->median_s}, {"min_s", r->min_s}, {"max_s", r->max_s}, {"cpu_median_s", r->cpu_median_s},
        {"reps", (double)r->reps}, {"iters_per_rep", (double)r->iters},
    };
    add_numbers(o, times, NNUM(times));
    cJSON_AddBoolToObject(o, "capped", r->capped);
    const JsonNum rate[] = {{"setup_s", r->setup_s}, {"work", b->work}, {"throughput", r->throughput}};
    add_numbers(o, rate, NNUM(rate));
    if (b->target == BT_NONE) {
        cJSON_AddNullToObject(o, "target");
        cJSON_AddNullToObject(o, "meets_target");
    } else {
        cJSON *t = cJSON_AddObjectToObject(o, "target");
        char text[48];
        bench_target_text(b, text, sizeof text);
        cJSON_AddStringToObject(t, "metric", b->target == BT_MAX_S ? "median_s" : "throughput");
        cJSON_AddStringToObject(t, "op", b->target == BT_MAX_S ? "<=" : ">=");
        cJSON_AddNumberToObject(t, "value", b->target_value);
        cJSON_AddStringToObject(t, "text", text);
        cJSON_AddBoolToObject(o, "meets_target", r->meets_target == 1);
    }
    return o;
}

static int write_json(const char *path, const HostInfo *h, const BenchOpts *o, const BenchResult *res, int n,
                      MpErr *e)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "date", h->date);
    cJSON *host = cJSON_AddObjectToObject(root, "host");
    cJSON_AddNumberToObject(host, "cpus", (double)h->cpus);
    cJSON_AddStringToObject(host, "cpu_model", h->cpu_model);
    cJSON_AddNumberToObject(host, "omp_threads", h->omp_threads);
    cJSON_AddNumberToObject(host, "loadavg_1m", h->loadavg);
    cJSON_AddStringToObject(root, "commit", h->commit);
    cJSON_AddNumberToObject(root, "seed", BENCH_SEED);
    const JsonNum opt[] = {
        {"min_time_s", o->min_time_s}, {"min_reps", (double)o->min_reps}, {"max_reps", (double)o->max_reps},
        {"rep_min_s", o->rep_min_s},   {"warmup_s", o->warmup_s},         {"max_time_s", o->max_time_s},
    };
    add_numbers(cJSON_AddObjectToObject(root, "options"), opt, NNUM(opt));
    cJSON *arr = cJSON_AddArrayToObject(root, "benchmarks");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, result_json(&res[i]));
    int rc = json_write(path, root, e);
    cJSON_Delete(root);
    return rc;
}

static int matches(const BenchDef *b, const char *filter) { return !filter || strstr(b->name, filter); }

int main(int argc, char **argv)
{
    BenchOpts o;
    bench_opts_default(&o);
    bench_sim_prepare();
    const char *filter = NULL, *json = NULL;
    int64_t min_reps = o.min_reps, max_reps = o.max_reps;
    int list = 0;
    const CliOpt opts[] = {
        {"filter", CLI_STR, &filter, "SUBSTRING", "run only benchmarks whose name contains SUBSTRING"},
        {"min-time", CLI_F64, &o.min_time_s, "S", "measured seconds to reach per benchmark (default 0.5)"},
        {"min-reps", CLI_INT, &min_reps, "N", "repetitions to reach per benchmark (default 3)"},
        {"max-reps", CLI_INT, &max_reps, "N", "at most N repetitions (default 1000)"},
        {"max-time", CLI_F64, &o.max_time_s, "S",
         "budget per benchmark: no repetition starts that would end past S seconds, once one is done "
         "(default 6; 0: none)"},
        {"json", CLI_STR, &json, "FILE", "also write the results as JSON to FILE ('-': stdout)"},
        {"list", CLI_FLAG, &list, NULL, "list the benchmarks and exit"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {
        "bench", "[options]", "Micro-benchmarks of mpsim (docs/bench.md).",
        "Each benchmark is warmed up, then repeated until both --min-reps repetitions and --min-time\n"
        "seconds are reached; the table gives the median, min and max time per iteration and the\n"
        "throughput at the median. Inputs are synthetic (traces/synth.h defaults; the seed is printed).",
        opts, 0, 0,
    };
    MpErr e = {0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL, &e);
    if (rc == CLI_HELP_SHOWN)
        return 0;
    if (rc)
        return cli_fail(&e);
    if (min_reps < 1 || max_reps < min_reps || max_reps > 100000000 || !(o.min_time_s >= 0) ||
        !(o.max_time_s >= 0)) {
        mp_errf(&e, MP_EINPUT, "bench: need 1 <= --min-reps <= --max-reps <= 1e8, --min-time >= 0, --max-time >= 0");
        return cli_fail(&e);
    }
    o.min_reps = (long)min_reps;
    o.max_reps = (long)max_reps;

    int total = 0, selected = 0;
    for (int s = 0; s < NSUITES; s++)
        for (int i = 0; i < suites[s]->count; i++) {
            total++;
            if (matches(&suites[s]->rows[i], filter)) {
                selected++;
                if (list)
                    printf("%-30s %s\n", suites[s]->rows[i].name, suites[s]->rows[i].desc);
            }
        }
    if (list)
        return 0;
    if (!selected) {
        mp_errf(&e, MP_EINPUT, "bench: no benchmark name contains '%s' (see --list)", filter ? filter : "");
        return cli_fail(&e);
    }

    HostInfo h;
    host_info(&h);
    printf("mpsim bench  %s  commit %s\n", h.date, h.commit);
    printf("host: %ld CPUs (%s), %d OpenMP threads, load %.2f; seed %u\n", h.cpus, h.cpu_model, h.omp_threads,
           h.loadavg, BENCH_SEED);
    printf("each: warm-up, then >= %ld reps and >= %g s measured, within %g s (* = capped by it);\n", o.min_reps,
           o.min_time_s, o.max_time_s);
    printf("times are wall time per iteration; cpu = CPU time / wall time (threads actually busy)\n\n");
    print_header();

    BenchResult *res = calloc((size_t)selected, sizeof *res);
    if (!res) {
        mp_errf(&e, MP_ENOMEM, "bench: out of memory");
        return cli_fail(&e);
    }
    int n = 0, missed = 0;
    double t0 = bench_now();
    for (int s = 0; s < NSUITES && rc == MP_OK; s++) {
        int ran = 0;
        for (int i = 0; i < suites[s]->count && rc == MP_OK; i++) {
            const BenchDef *b = &suites[s]->rows[i];
            if (!matches(b, filter))
                continue;
            ran = 1;
            rc = bench_run(b, &o, &res[n], &e);
            if (rc == MP_OK) {
                print_row(&res[n]);
                missed += res[n].meets_target == 0;
                n++;
            }
        }
        if (ran && suites[s]->cleanup)
            suites[s]->cleanup();
    }
    if (rc == MP_OK) {
        int capped = 0;
        for (int i = 0; i < n; i++)
            capped += res[i].capped;
        printf("\n%d benchmarks in %.1f s; %d missed their target; %d capped by --max-time\n", n, bench_now() - t0,
               missed, capped);
        if (json) {
            rc = write_json(json, &h, &o, res, n, &e);
            if (rc == MP_OK && strcmp(json, "-") != 0)
                printf("wrote %s\n", json);
        }
    }
    free(res);
    return rc ? cli_fail(&e) : 0;
}
