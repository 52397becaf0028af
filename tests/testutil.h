/* tests/testutil.h — shared helpers for tests (header-only, static). */
#ifndef MP_TESTS_TESTUTIL_H
#define MP_TESTS_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/rng.h"

/* LLM-like random matrix: Student-t(5) entries, per-column (K) scales spread log-normally,
 * and `outlier_cols` columns scaled up by `outlier_gain`. rows x cols, row-major. */
static inline float *tu_matrix(MpRng *r, int rows, int cols, int outlier_cols, double outlier_gain)
{
    float *m = malloc((size_t)rows * cols * sizeof *m);
    double *cs = malloc((size_t)cols * sizeof *cs);
    for (int c = 0; c < cols; c++)
        cs[c] = exp(0.5 * mp_rng_normal(r));
    for (int i = 0; i < outlier_cols && cols > 0; i++)
        cs[mp_rng_below(r, (uint64_t)cols)] *= outlier_gain;
    for (int rr = 0; rr < rows; rr++)
        for (int c = 0; c < cols; c++)
            m[(size_t)rr * cols + c] = (float)(0.05 * cs[c] * mp_rng_student_t(r, 5));
    free(cs);
    return m;
}

/* Print the seed once so any failure can be replayed. */
static inline unsigned long long tu_seed(const char *test, unsigned long long seed)
{
    const char *s = getenv("MPSIM_TEST_SEED");
    if (s && *s)
        seed = strtoull(s, NULL, 0);
    printf("# %s: seed %llu (set MPSIM_TEST_SEED to replay)\n", test, seed);
    return seed;
}

#endif
