/* tests/test_synth.c — the synthetic weight/activation generator: determinism and the
 * statistics docs/data.md promises, measured on generated tensors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "traces/synth.h"

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static float *gen_w(const SynParams *p, uint64_t seed, size_t n, size_t k)
{
    float *w = malloc(n * k * sizeof *w);
    MpErr e = {0};
    assert_non_null(w);
    assert_int_equal(syn_weights(p, seed, n, k, w, &e), MP_OK);
    return w;
}

static float *gen_x(const SynParams *p, uint64_t seed, size_t m, size_t k, unsigned char *mask)
{
    float *x = malloc(m * k * sizeof *x);
    MpErr e = {0};
    assert_non_null(x);
    assert_int_equal(syn_acts(p, seed, m, k, x, mask, &e), MP_OK);
    return x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Kurtosis E[(x-μ)^4] / σ^4 (3 for a normal distribution). */
static double kurtosis(const float *x, size_t n, size_t stride)
{
    double m = 0, m2 = 0, m4 = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i * stride];
    m /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = x[i * stride] - m;
        m2 += d * d;
        m4 += d * d * d * d;
    }
    m2 /= (double)n;
    m4 /= (double)n;
    return m4 / (m2 * m2);
}

/* Same seed, same bytes; another seed, other bytes; W and X streams differ. */
static void deterministic(void **state)
{
    (void)state;
    SynParams p;
    syn_params_default(&p);
    float *a = gen_w(&p, 42, 64, 128), *b = gen_w(&p, 42, 64, 128), *c = gen_w(&p, 43, 64, 128);
    assert_memory_equal(a, b, 64 * 128 * sizeof *a);
    assert_true(memcmp(a, c, 64 * 128 * sizeof *a) != 0);
    unsigned char ma[128], mb[128];
    float *x = gen_x(&p, 42, 32, 128, ma), *y = gen_x(&p, 42, 32, 128, mb), *z = gen_x(&p, 7, 32, 128, NULL);
    assert_memory_equal(x, y, 32 * 128 * sizeof *x);
    assert_memory_equal(ma, mb, sizeof ma);
    assert_true(memcmp(x, z, 32 * 128 * sizeof *x) != 0);
    free(a), free(b), free(c), free(x), free(y), free(z);
}

/* The same bytes on every machine: a fingerprint of small outputs for seed 1 with the
 * default parameters. It changes only if the generator, base/rng.c or the defaults change
 * (then docs/data.md and any stored results made from synthetic data need a look), or if
 * libm's exp/log/sin/cos/sqrt round differently here than where it was recorded. */
static void golden_fingerprint(void **state)
{
    (void)state;
    SynParams p;
    syn_params_default(&p);
    float *w = gen_w(&p, 1, 16, 64), *x = gen_x(&p, 1, 8, 64, NULL);
    uint64_t hw = fnv1a(w, 16 * 64 * sizeof *w), hx = fnv1a(x, 8 * 64 * sizeof *x);
    print_message("fingerprints: W %016llx X %016llx\n", (unsigned long long)hw, (unsigned long long)hx);
    assert_int_equal(hw, 0xd5e1f7f53d3ef96aull);
    assert_int_equal(hx, 0x328f5f6a73e7967aull);
    free(w), free(x);
}

/* Weights: heavy tails (kurtosis > 3, per channel too), log-normal channel scale spread
 * near w_chan_logsd, median channel std near w_sigma. */
static void weight_statistics(void **state)
{
    (void)state;
    SynParams p;
    syn_params_default(&p);
    p.w_big_frac = 0; /* the t tails alone */
    enum { N = 512, K = 2048 };
    float *w = gen_w(&p, 3, N, K);
    double pooled = kurtosis(w, (size_t)N * K, 1);
    static double kch[N], lsd[N], sd[N];
    for (size_t i = 0; i < N; i++) {
        kch[i] = kurtosis(w + i * K, K, 1);
        double s2 = 0;
        for (size_t j = 0; j < K; j++)
            s2 += (double)w[i * K + j] * w[i * K + j];
        sd[i] = sqrt(s2 / K);
        lsd[i] = log(sd[i]);
    }
    double lm = 0, lv = 0;
    for (size_t i = 0; i < N; i++)
        lm += lsd[i] / N;
    for (size_t i = 0; i < N; i++)
        lv += (lsd[i] - lm) * (lsd[i] - lm) / (N - 1);
    double kmed = median(kch, N), sdmed = median(sd, N);
    print_message("W: pooled kurtosis %.2f, median per-channel kurtosis %.2f, sd(ln channel std) %.3f, "
                  "median channel std %.4f\n",
                  pooled, kmed, sqrt(lv), sdmed);
    assert_true(pooled > 4.0);  /* t(6): 6; times exp(4 * 0.3^2) = 1.43 for the channel spread */
    assert_true(kmed > 3.5);    /* t(6) within a channel: 6 in theory, less in samples */
    assert_true(fabs(sqrt(lv) - p.w_chan_logsd) < 0.05);
    assert_true(sdmed > 0.8 * p.w_sigma && sdmed < 1.25 * p.w_sigma);
    free(w);
}

/* Larger weights: with every random number drawn regardless of the parameters, turning
 * w_big_frac on changes exactly the chosen entries, each by exactly w_big_mult. */
static void big_weights_exact(void **state)
{
    (void)state;
    SynParams p0, p1;
    syn_params_default(&p0);
    p0.w_big_frac = 0;
    p1 = p0;
    p1.w_big_frac = 0.01;
    p1.w_big_mult = 8; /* a power of two: the scaled float is exact */
    enum { N = 256, K = 1024 };
    float *a = gen_w(&p0, 9, N, K), *b = gen_w(&p1, 9, N, K);
    size_t diff = 0;
    for (size_t i = 0; i < (size_t)N * K; i++)
        if (a[i] != b[i]) {
            assert_true(b[i] == 8.0f * a[i]);
            diff++;
        }
    double frac = (double)diff / ((double)N * K), sd = sqrt(0.01 * 0.99 / ((double)N * K));
    print_message("W: larger-weight fraction %.5f (wanted 0.01 +- %.5f)\n", frac, 4 * sd);
    assert_true(fabs(frac - 0.01) < 4 * sd);
    /* and the default 0.1% x6 raises the pooled kurtosis */
    SynParams pd;
    syn_params_default(&pd);
    float *c = gen_w(&pd, 9, N, K);
    assert_true(kurtosis(c, (size_t)N * K, 1) > kurtosis(a, (size_t)N * K, 1));
    free(a), free(b), free(c);
}

/* Activations: exactly syn_outlier_count outlier channels; their typical |x| is
 * x_outlier_min..x_outlier_max times the median channel's; no normal channel comes near. */
static void activation_outlier_channels(void **state)
{
    (void)state;
    SynParams p;
    syn_params_default(&p);
    enum { M = 256, K = 4096 };
    static unsigned char mask[K];
    float *x = gen_x(&p, 5, M, K, mask);
    static double mag[K], sorted[K];
    size_t nout = 0;
    for (size_t j = 0; j < K; j++) {
        double s = 0;
        for (size_t i = 0; i < M; i++)
            s += fabs(x[i * K + j]);
        mag[j] = sorted[j] = s / M;
        nout += mask[j];
    }
    assert_int_equal(nout, syn_outlier_count(&p, K));
    assert_int_equal(nout, 16); /* round(0.004 * 4096) */
    double med = median(sorted, K), rmin = 1e300, rmax = 0, normal_max = 0;
    for (size_t j = 0; j < K; j++) {
        double r = mag[j] / med;
        if (mask[j]) {
            rmin = fmin(rmin, r);
            rmax = fmax(rmax, r);
        } else
            normal_max = fmax(normal_max, r);
    }
    print_message("X: %zu outlier channels, mean|x| / median channel %.1f..%.1f; normal channels up to %.2f\n", nout,
                  rmin, rmax, normal_max);
    assert_true(rmin > 0.8 * p.x_outlier_min && rmax < 1.25 * p.x_outlier_max);
    assert_true(normal_max < 10);
    /* OliVe's statistic over pairs of adjacent channels (2i, 2i+1): outlier-normal pairs
     * ~0.6-1.1%, outlier-outlier pairs <= 0.06% */
    size_t on = 0, oo = 0;
    for (size_t j = 0; j < K; j += 2) {
        on += mask[j] != mask[j + 1];
        oo += mask[j] && mask[j + 1];
    }
    double fon = on / (K / 2.0), foo = oo / (K / 2.0);
    print_message("X: outlier-normal pairs %.2f%%, outlier-outlier pairs %.3f%%\n", 100 * fon, 100 * foo);
    assert_true(fon >= 0.006 && fon <= 0.011);
    assert_true(foo <= 0.0006);
    /* tensor-level: max|x| is tens to hundreds of times the median |x| */
    static double ax[M * 64];
    double amax = 0;
    for (size_t i = 0; i < (size_t)M * K; i++)
        amax = fmax(amax, fabs(x[i]));
    for (size_t i = 0; i < (size_t)M * 64; i++)
        ax[i] = fabs(x[(i * 4099) % ((size_t)M * K)]); /* a spread sample for the median */
    double ratio = amax / median(ax, (size_t)M * 64);
    print_message("X: max|x| / median|x| = %.0f\n", ratio);
    assert_true(ratio > 50 && ratio < 2000);
    free(x);
}

/* Outlier count rule and the per-channel (normal) spread; Student-t activations. */
static void activation_options(void **state)
{
    (void)state;
    SynParams p;
    syn_params_default(&p);
    assert_int_equal(syn_outlier_count(&p, 64), 1); /* at least one */
    assert_int_equal(syn_outlier_count(&p, 0), 0);
    p.x_outlier_frac = 0;
    assert_int_equal(syn_outlier_count(&p, 4096), 0);
    p.x_outlier_frac = 0.5;
    assert_int_equal(syn_outlier_count(&p, 3), 2);
    syn_params_default(&p);
    p.x_outlier_frac = 0;
    p.x_token_logsd = 0;
    p.x_nu = 5;
    enum { M = 4096, K = 64 };
    float *x = gen_x(&p, 8, M, K, NULL);
    double kmed[K];
    for (size_t j = 0; j < K; j++)
        kmed[j] = kurtosis(x + j, M, K);
    double km = median(kmed, K);
    print_message("X with x_nu=5: median per-channel kurtosis %.2f\n", km);
    assert_true(km > 4);
    free(x);
}

static void params_table_and_checks(void **state)
{
    (void)state;
    SynParams p;
    MpErr e = {0};
    syn_params_default(&p);
    assert_int_equal(syn_params_check(&p, &e), MP_OK);
    assert_int_equal(syn_param_count(), 12);
    for (size_t i = 0; i < syn_param_count(); i++) {
        assert_non_null(syn_param_name(i));
        assert_non_null(syn_param_help(i));
    }
    assert_true(syn_param_get(&p, 2) == 6.0); /* w_nu */
    assert_int_equal(syn_params_parse(&p, "w_nu=9,x_outlier_frac=0.01", &e), MP_OK);
    assert_int_equal(p.w_nu, 9);
    assert_true(p.x_outlier_frac == 0.01);
    assert_int_equal(syn_params_parse(&p, "", &e), MP_OK);
    assert_int_equal(syn_params_parse(&p, "bogus=1", &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "unknown synthetic parameter 'bogus'"));
    mp_err_clear(&e);
    assert_int_equal(syn_params_parse(&p, "w_nu", &e), MP_EINPUT);
    mp_err_clear(&e);
    assert_int_equal(syn_params_parse(&p, "w_nu=2.5", &e), MP_EINPUT);
    mp_err_clear(&e);
    const char *bad[] = {"w_nu=2", "x_nu=1", "w_big_frac=1.5", "x_outlier_frac=-0.1", "w_sigma=0", "x_outlier_max=10",
                         "w_chan_logsd=nan"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        syn_params_default(&p);
        mp_err_clear(&e);
        if (syn_params_parse(&p, bad[i], &e) == MP_OK)
            assert_int_equal(syn_params_check(&p, &e), MP_EINPUT);
        assert_int_equal(e.code, MP_EINPUT);
        float w[4];
        if (!strncmp(bad[i], "w_", 2) && syn_params_parse(&p, bad[i], &e) == MP_OK) /* generators check too */
            assert_int_equal(syn_weights(&p, 1, 2, 2, w, &e), MP_EINPUT);
    }
}

static void acts_out_of_memory(void **state)
{
    (void)state;
    SynParams p;
    MpErr e = {0};
    float x[16];
    syn_params_default(&p);
    mp_alloc_fail_after(0);
    int rc = syn_acts(&p, 1, 4, 4, x, NULL, &e);
    mp_alloc_fail_after(-1);
    assert_int_equal(rc, MP_ENOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deterministic),
        cmocka_unit_test(golden_fingerprint),
        cmocka_unit_test(weight_statistics),
        cmocka_unit_test(big_weights_exact),
        cmocka_unit_test(activation_outlier_channels),
        cmocka_unit_test(activation_options),
        cmocka_unit_test(params_table_and_checks),
        cmocka_unit_test(acts_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
