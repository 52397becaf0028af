/* kernels_ref/kr_run_opts.c — the runner's command-line options (usage below; docs/gpu.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels_ref/kr_run.h"

int kr_parse_ints(const char *s, int *out, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0 || v > 1 << 20 || n >= max)
            return -1;
        out[n++] = (int)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: kr_runner [--kernels LIST] [--shapes NxK,...] [--ms 1,16,...] [--seed N]\n"
               "                 [--energy none|subset|all] [--variants auto|all|LIST] [--out-dir DIR | --out FILE]\n"
               "                 [--commit STR] [--check-budget N] [--base-rows N] [--quick] [--check-only]\n"
               "                 [--skip-variants LIST]\n"
               "kernels: mixpe-w4a16 w4a16-dq mixpe-w4a8 bitmod-w4 bitmod-w3 olive-w4a4 cublas-fp16 (default all)\n");
}

/* Sets flag[v] for every variant named in the comma-separated list s; -1 for an unknown name. */
static int variant_list(const char *s, int flag[KR_VAR_COUNT])
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int found = 0;
        for (int k = 1; k < KR_VAR_COUNT; k++)
            if (!strcmp(tok, kr_variant_names[k]))
                flag[k] = found = 1;
        if (!found) {
            fprintf(stderr, "kr_runner: unknown variant '%s'\n", tok);
            return -1;
        }
    }
    return 0;
}

int kr_opts_parse(int argc, char **argv, Opt *o)
{
    memset(o, 0, sizeof *o);
    for (int k = 0; k <= KR_KERNEL_COUNT; k++)
        o->kern[o->nkern++] = k;
    static const int dn[] = {4096, 11008, 4096, 14336, 4096, 28672}, dk[] = {4096, 4096, 11008, 4096, 14336, 8192};
    for (int i = 0; i < 6; i++) {
        o->shn[i] = dn[i];
        o->shk[i] = dk[i];
    }
    o->nsh = 6;
    o->ms[0] = 1, o->ms[1] = 16, o->ms[2] = 64, o->ms[3] = 2048;
    o->nm = 4;
    o->seed = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 32);
    o->energy = 2; /* every kernel, shape and M (docs/gpu.md) */
    o->out_dir = "kernels_ref/results";
    o->commit = getenv("KR_COMMIT") ? getenv("KR_COMMIT") : "unknown";
    o->check_budget = 2.5e8;
    o->base_rows = 2048;
    o->base_toks = 64;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--quick"))
            o->quick = 1;
        else if (!strcmp(a, "--check-only"))
            o->check_only = 1;
        else if (!v) {
            fprintf(stderr, "kr_runner: %s needs a value\n", a);
            return -1;
        } else if (!strcmp(a, "--kernels")) {
            o->nkern = 0;
            char buf[512];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
                int found = -1;
                for (int k = 0; k <= KR_KERNEL_COUNT; k++)
                    if (!strcmp(tok, kr_kname(k)))
                        found = k;
                if (found < 0) {
                    fprintf(stderr, "kr_runner: unknown kernel '%s'\n", tok);
                    return -1;
                }
                o->kern[o->nkern++] = found;
            }
            i++;
        } else if (!strcmp(a, "--shapes")) {
            o->nsh = 0;
            const char *s = v;
            while (*s) {
                char *end;
                long n = strtol(s, &end, 10);
                if (end == s || *end != 'x' || o->nsh >= KR_MAXSH)
                    goto bad;
                s = end + 1;
                long k = strtol(s, &end, 10);
                if (end == s || n <= 0 || k <= 0 || k % 128 || n > 1 << 20 || k > 1 << 20)
                    goto bad;
                o->shn[o->nsh] = (int)n, o->shk[o->nsh++] = (int)k;
                s = end;
                if (*s == ',')
                    s++;
                else if (*s)
                    goto bad;
            }
            i++;
        } else if (!strcmp(a, "--ms")) {
            if ((o->nm = kr_parse_ints(v, o->ms, KR_MAXM)) <= 0)
                goto bad;
            i++;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            o->seed = strtoull(v, &end, 0);
            if (*end)
                goto bad;
            i++;
        } else if (!strcmp(a, "--energy")) {
            o->energy = !strcmp(v, "none") ? 0 : !strcmp(v, "subset") ? 1 : !strcmp(v, "all") ? 2 : -1;
            if (o->energy < 0)
                goto bad;
            i++;
        } else if (!strcmp(a, "--variants")) {
            o->all_variants = !strcmp(v, "all") ? 1 : !strcmp(v, "auto") ? 0 : 2;
            if (o->all_variants == 2) { /* a list: every other variant skipped */
                int want[KR_VAR_COUNT] = {0};
                if (variant_list(v, want))
                    return -1;
                for (int k = 1; k < KR_VAR_COUNT; k++)
                    o->skip[k] |= !want[k];
            }
            i++;
        } else if (!strcmp(a, "--skip-variants")) {
            if (variant_list(v, o->skip))
                return -1;
            i++;
        } else if (!strcmp(a, "--out-dir")) {
            o->out_dir = v;
            i++;
        } else if (!strcmp(a, "--out")) {
            o->out_file = v;
            i++;
        } else if (!strcmp(a, "--commit")) {
            o->commit = v;
            i++;
        } else if (!strcmp(a, "--check-budget")) {
            o->check_budget = atof(v);
            if (!(o->check_budget > 0))
                goto bad;
            i++;
        } else if (!strcmp(a, "--base-rows")) {
            o->base_rows = atoi(v);
            if (o->base_rows < 16)
                goto bad;
            i++;
        } else {
            fprintf(stderr, "kr_runner: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        continue;
    bad:
        fprintf(stderr, "kr_runner: bad value for %s: '%s'\n", a, v);
        return -1;
    }
    return 0;
}
