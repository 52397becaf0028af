/* tests/test_fmt.c — the element format table and generic grid rounding, exhaustively. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "models/fmt.h"

/* Published grids (docs/formats.md): the decoded value of every valid code. */
static void grids_as_documented(void **state)
{
    (void)state;
    const FmtDesc *f = fmt_get(FMT_INT8);
    assert_int_equal(f->nsorted, 255);
    assert_int_equal(f->max_abs, 127);
    assert_false(f->valid[0x80]);
    f = fmt_get(FMT_INT4);
    assert_int_equal(f->nsorted, 15);
    assert_int_equal(f->value[0xf], -1);
    assert_false(f->valid[8]);
    f = fmt_get(FMT_ANT_INT4);
    assert_int_equal(f->nsorted, 16);
    assert_int_equal(f->value[8], -8);
    static const int32_t flint[] = {-16, -8, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 8, 16};
    f = fmt_get(FMT_FLINT4);
    assert_int_equal(f->nsorted, 15);
    for (int i = 0; i < 15; i++)
        assert_int_equal(f->sorted[i], flint[i]);
    static const int32_t pot[] = {-64, -32, -16, -8, -4, -2, -1, 0, 1, 2, 4, 8, 16, 32, 64};
    f = fmt_get(FMT_POT4);
    for (int i = 0; i < 15; i++)
        assert_int_equal(f->sorted[i], pot[i]);
    /* BitMoD FP4 (units of 1/2) and FP3: -0 is the special code and not a plain grid point */
    f = fmt_get(FMT_BITMOD_FP4);
    assert_int_equal(f->special_code, 8);
    assert_false(f->valid[8]);
    assert_int_equal(f->value[7], 12);
    assert_int_equal(f->value[0xf], -12);
    f = fmt_get(FMT_BITMOD_FP3);
    assert_int_equal(f->ncodes, 8);
    assert_int_equal(f->special_code, 4);
    assert_int_equal(f->value[3], 4);
    /* OliVe: normals, victim marker 1000, abfloat outliers (e, m) != (0, 0) */
    f = fmt_get(FMT_OLIVE_INT4);
    assert_false(f->valid[8]);
    static const int32_t out_int[] = {12, 16, 24, 32, 48, 64, 96};
    static const int32_t out_flint[] = {24, 32, 48, 64, 96, 128, 192};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(f->sorted[15 + 7 + i], out_int[i]); /* 7 negative outliers, 15 normals */
        assert_int_equal(fmt_get(FMT_OLIVE_FLINT4)->sorted[15 + 7 + i], out_flint[i]);
    }
    assert_int_equal(f->nsorted, 29);
    assert_int_equal(fmt_abfloat_value(3, 1, 2), 96);
}

/* For every format, at many points x (including every exact tie), fmt_nearest returns a grid
 * point at minimal distance, and on ties the one the format's rule names. */
static void nearest_is_nearest(void **state)
{
    (void)state;
    for (int id = 0; id < FMT_COUNT; id++) {
        const FmtDesc *f = fmt_get((FmtId)id);
        const double lo = f->sorted[0] - 3, hi = f->sorted[f->nsorted - 1] + 3;
        for (double x = lo; x <= hi; x += 0.125) { /* 1/8 steps hit every midpoint of these grids */
            int c = fmt_nearest(f, x);
            assert_true(f->valid[c]);
            double d = fabs(x - f->value[c]);
            int ties = 0;
            for (int i = 0; i < f->nsorted; i++) {
                double di = fabs(x - f->sorted[i]);
                assert_true(d <= di);
                ties += di == d;
            }
            if (ties == 2) {
                int32_t v = f->value[c], other = 0;
                for (int i = 0; i < f->nsorted; i++)
                    if (fabs(x - f->sorted[i]) == d && f->sorted[i] != v)
                        other = f->sorted[i];
                switch (f->tie) {
                case TIE_DOWN: assert_true(v < other); break;
                case TIE_AWAY: assert_true(fabs((double)v) > fabs((double)other)); break;
                case TIE_EVEN: assert_true((v & 1) == 0 || (other & 1) != 0); break;
                }
            }
        }
    }
}

static void saturates_beyond_grid(void **state)
{
    (void)state;
    assert_int_equal(fmt_get(FMT_INT8)->value[fmt_nearest(fmt_get(FMT_INT8), 1e9)], 127);
    assert_int_equal(fmt_get(FMT_INT8)->value[fmt_nearest(fmt_get(FMT_INT8), -1e9)], -127);
    assert_int_equal(fmt_get(FMT_OLIVE_INT4)->value[fmt_nearest(fmt_get(FMT_OLIVE_INT4), 500)], 96);
    assert_int_equal(fmt_get(FMT_UINT4)->value[fmt_nearest(fmt_get(FMT_UINT4), -3)], 0);
}

/* fmt_rne is nearbyint bit for bit (the sign of zero included): every tie and its neighbours
 * over a range of integers, both ends of the 2^52 cut-off, and random doubles of all magnitudes. */
static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void rne_is_nearbyint(void **state)
{
    (void)state;
    for (int k = -5000; k <= 5000; k++) {
        const double x = k / 4.0;
        const double xs[5] = {x, nextafter(x, -INFINITY), nextafter(x, INFINITY), -x, x * 0x1p40};
        for (int i = 0; i < 5; i++)
            assert_true(same_bits(fmt_rne(xs[i]), nearbyint(xs[i])));
    }
    static const double edge[] = {0.0, -0.0, 0.5, -0.5, 0x1p52, -0x1p52, 0x1p52 - 0.5, -(0x1p52 - 0.5),
                                  0x1p52 + 1, 0x1p53 + 2, 4503599627370495.5, -4503599627370495.5,
                                  1e300, -1e300, 0x1p-1074, -0x1p-1074, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        assert_true(same_bits(fmt_rne(edge[i]), nearbyint(edge[i])));
    assert_true(isnan(fmt_rne(NAN)));
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 1000000; i++) { /* xorshift: any bit pattern, NaN excluded */
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        double x;
        memcpy(&x, &r, sizeof x);
        if (x == x)
            assert_true(same_bits(fmt_rne(x), nearbyint(x)));
        double y = ldexp((double)(r >> 11), -(int)(r % 60)); /* values near the integers */
        assert_true(same_bits(fmt_rne(y), nearbyint(y)) && same_bits(fmt_rne(-y), nearbyint(-y)));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grids_as_documented),
        cmocka_unit_test(nearest_is_nearest),
        cmocka_unit_test(saturates_beyond_grid),
        cmocka_unit_test(rne_is_nearbyint),
    };
    return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
