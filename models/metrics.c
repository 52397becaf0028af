/* models/metrics.c — see metrics.h. */
#include "models/metrics.h"

#include <math.h>
#include <string.h>

void metric_reset(MetricAcc *a) { memset(a, 0, sizeof *a); }

void metric_add(MetricAcc *a, double ref, double test)
{
    double d = test - ref;
    a->sref2 += ref * ref;
    a->serr2 += d * d;
    a->sdot += ref * test;
    a->stest2 += test * test;
    if (fabs(d) > a->max_abs)
        a->max_abs = fabs(d);
    a->n++;
}

void metric_merge(MetricAcc *into, const MetricAcc *f)
{
    into->sref2 += f->sref2;
    into->serr2 += f->serr2;
    into->sdot += f->sdot;
    into->stest2 += f->stest2;
    into->max_abs = fmax(into->max_abs, f->max_abs);
    into->n += f->n;
}

Metrics metric_summary(const MetricAcc *a)
{
    Metrics m;
    m.sqnr_db = a->serr2 > 0 ? 10 * log10(a->sref2 / a->serr2) : INFINITY;
    m.rel_err = a->sref2 > 0 ? sqrt(a->serr2 / a->sref2) : (a->serr2 > 0 ? INFINITY : 0);
    m.cosine = a->sref2 > 0 && a->stest2 > 0 ? a->sdot / sqrt(a->sref2 * a->stest2) : (a->serr2 == 0 ? 1 : 0);
    m.max_abs_err = a->max_abs;
    return m;
}
