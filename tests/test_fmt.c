/* tests/test_fmt.c — the element format table and generic grid rounding, exhaustively. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grids_as_documented),
        cmocka_unit_test(nearest_is_nearest),
        cmocka_unit_test(saturates_beyond_grid),
    };
    return cmocka_run_group_tests_name("fmt", tests, NULL, NULL);
}
