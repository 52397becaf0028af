/* models/metrics.h — accuracy metrics of a test tensor against a reference (fp64).
 *
 * Accumulated over any number of tensors (layers), then summarised:
 *   sqnr_db     = 10 log10( sum ref^2 / sum (test - ref)^2 )     (+inf when exact)
 *   rel_err     = sqrt( sum (test - ref)^2 / sum ref^2 )         (relative Frobenius)
 *   cosine      = sum ref*test / sqrt( sum ref^2 * sum test^2 )
 *   max_abs_err = max |test - ref|
 */
#ifndef MP_MODELS_METRICS_H
#define MP_MODELS_METRICS_H

#include <stddef.h>

typedef struct MetricAcc {
    double sref2, serr2, sdot, stest2, max_abs;
    size_t n;
} MetricAcc;

typedef struct Metrics {
    double sqnr_db, rel_err, cosine, max_abs_err;
} Metrics;

void metric_reset(MetricAcc *a);
void metric_add(MetricAcc *a, double ref, double test);
void metric_merge(MetricAcc *into, const MetricAcc *from);
Metrics metric_summary(const MetricAcc *a);

#endif
