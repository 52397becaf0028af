/* dse/pareto.c — see pareto.h. */
#include "dse/pareto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

const char *const pareto_obj_names[PARETO_NOBJ] = {"latency", "energy", "area",         "accuracy",
                                                   "ttft",    "tpot",   "tokens_per_s", "j_per_token"};

int pareto_parse_objectives(const char *list, int objs[PARETO_NOBJ], int *nobj, MpErr *e)
{
    char buf[256];
    if (strlen(list) >= sizeof buf)
        return mp_errf(e, MP_EINPUT, "objectives '%s': too long", list);
    snprintf(buf, sizeof buf, "%s", list);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int k = -1;
        for (int j = 0; j < PARETO_NOBJ; j++)
            if (!strcmp(tok, pareto_obj_names[j]))
                k = j;
        if (k < 0)
            return mp_errf(e, MP_EINPUT,
                           "objective '%s': expected latency, energy, area, accuracy, ttft, tpot, tokens_per_s or "
                           "j_per_token",
                           tok);
        for (int j = 0; j < n; j++)
            if (objs[j] == k)
                return mp_errf(e, MP_EINPUT, "objective '%s' is listed twice", tok);
        objs[n++] = k;
    }
    if (!n)
        return mp_errf(e, MP_EINPUT,
                       "no objectives given (latency, energy, area, accuracy, ttft, tpot, tokens_per_s, j_per_token)");
    *nobj = n;
    return MP_OK;
}

static double val(double x) { return isnan(x) ? INFINITY : x; }

int pareto_dominates(const double *a, const double *b, int nobj)
{
    int better = 0;
    for (int j = 0; j < nobj; j++) {
        double x = val(a[j]), y = val(b[j]);
        if (x > y)
            return 0;
        better |= x < y;
    }
    return better;
}

/* qsort has no context argument: the matrix being sorted is passed through these. */
static const double *sort_v;
static int sort_nobj;

static int lex_cmp(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    for (int j = 0; j < sort_nobj; j++) {
        double x = val(sort_v[(size_t)a * sort_nobj + j]), y = val(sort_v[(size_t)b * sort_nobj + j]);
        if (x < y)
            return -1;
        if (x > y)
            return 1;
    }
    return a < b ? -1 : a > b; /* stable: equal points keep their order */
}

int pareto_front(const double *v, int n, int nobj, unsigned char *on_front)
{
    if (n <= 0)
        return 0;
    int *order = mp_malloc((size_t)n * sizeof *order), *front = mp_malloc((size_t)n * sizeof *front);
    if (!order || !front) {
        mp_free(order);
        mp_free(front);
        return -1;
    }
    for (int i = 0; i < n; i++)
        order[i] = i;
    sort_v = v;
    sort_nobj = nobj;
    qsort(order, (size_t)n, sizeof *order, lex_cmp);
    memset(on_front, 0, (size_t)n);
    int nf = 0;
    for (int s = 0; s < n; s++) {
        int i = order[s], dom = 0;
        for (int f = 0; f < nf && !dom; f++)
            dom = pareto_dominates(v + (size_t)front[f] * nobj, v + (size_t)i * nobj, nobj);
        if (!dom) {
            front[nf++] = i;
            on_front[i] = 1;
        }
    }
    mp_free(order);
    mp_free(front);
    return nf;
}
