/* tests/testutil.h — shared helpers for tests (header-only, static). */
#ifndef MP_TESTS_TESTUTIL_H
#define MP_TESTS_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

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

/* Every accelerator preset under root (configs/): each .ini file by preset name ("iso/fp16"),
 * except configs/tech/ (energy tables) and configs/sweeps/ (sweep specs), which use other schemas.
 * * Needs <cmocka.h> included before this header. */
typedef struct TuNames {
    char v[256][256];
    int n;
} TuNames;

static inline void tu_collect_presets(const char *root, const char *rel, TuNames *out)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        const char *nm = ent->d_name;
        if (nm[0] == '.')
            continue;
        char sub[512], full[1024];
        struct stat st;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", nm);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        assert_int_equal(stat(full, &st), 0);
        size_t len = strlen(sub);
        if (S_ISDIR(st.st_mode)) {
            if (!(*rel == '\0' && (!strcmp(nm, "tech") || !strcmp(nm, "sweeps"))))
                tu_collect_presets(root, sub, out);
        } else if (len > 4 && !strcmp(sub + len - 4, ".ini")) {
            assert_true(out->n < 256);
            sub[len - 4] = '\0';
            snprintf(out->v[out->n++], sizeof out->v[0], "%s", sub);
        }
    }
    closedir(d);
}

#endif
