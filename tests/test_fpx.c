/* tests/test_fpx.c — fp16/bf16/minifloat conversion and fp16 arithmetic.
 * Oracles: GCC's _Float16 (libgcc soft-float, independent of our code) for fp16,
 * and the float bit-pattern RNE trick for bf16. Exhaustive over all 65536 codes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "base/rng.h"
#include "models/fpx.h"

/* A _Float16's code and the _Float16 of a code. */
static uint16_t f16_bits(_Float16 h) { uint16_t u; memcpy(&u, &h, sizeof u); return u; }
static _Float16 f16_of_bits(uint16_t u) { _Float16 h; memcpy(&h, &u, sizeof h); return h; }

static uint16_t ref_fp16_from_f64(double x) { return f16_bits((_Float16)x); }
static double ref_fp16_to_f64(uint16_t u) { return (double)f16_of_bits(u); }

static uint16_t ref_bf16_from_f32(float x)
{
    uint32_t u = tu_f32_bits(x);
    if ((u & 0x7fffffff) > 0x7f800000)
        return 0x7fc0;
    u += 0x7fff + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

/* Every code decodes exactly as the oracle does, and re-encodes to itself. */
static void fp16_roundtrip_all_codes(void **state)
{
    (void)state;
    for (uint32_t c = 0; c < 65536; c++) {
        double v = fp16_to_f64((uint16_t)c), r = ref_fp16_to_f64((uint16_t)c);
        if (isnan(r)) {
            assert_true(isnan(v));
            assert_true(fp16_is_nan((uint16_t)c));
            continue;
        }
        assert_true(v == r && signbit(v) == signbit(r));
        assert_int_equal(fp16_from_f64(v), c);
        assert_int_equal(fpx_from_f64(&FPX_FP16, v), c);
    }
}

/* Midpoints between neighbouring codes (exact ties) and points just off them. */
static void fp16_ties_and_neighbours(void **state)
{
    (void)state;
    for (uint32_t c = 0; c < 0x7c00; c++) {
        double a = fp16_to_f64((uint16_t)c), b = fpx_to_f64(&FPX_FP16, c + 1); /* c+1 may be Inf */
        double mid = isinf(b) ? 65520.0 : (a + b) / 2;
        for (int sgn = 0; sgn < 2; sgn++) {
            double s = sgn ? -1.0 : 1.0;
            assert_int_equal(fp16_from_f64(s * mid), ref_fp16_from_f64(s * mid));
            assert_int_equal(fp16_from_f64(s * nextafter(mid, 0)), ref_fp16_from_f64(s * nextafter(mid, 0)));
            assert_int_equal(fp16_from_f64(s * nextafter(mid, INFINITY)),
                             ref_fp16_from_f64(s * nextafter(mid, INFINITY)));
        }
        /* ties go to the even code */
        if (!isinf(b))
            assert_int_equal(fp16_from_f64(mid) & 1, 0);
    }
    assert_int_equal(fp16_from_f64(65519.99), 0x7bff);
    assert_int_equal(fp16_from_f64(65520.0), 0x7c00);
    assert_int_equal(fp16_from_f64(1e300), 0x7c00);
    assert_int_equal(fp16_from_f64(-INFINITY), 0xfc00);
    assert_int_equal(fp16_from_f64(0x1p-25), 0);        /* half the smallest subnormal: tie to 0 */
    assert_int_equal(fp16_from_f64(0x1.8p-25), 1);      /* 0.75 of it rounds up */
    assert_true(fp16_is_nan(fp16_from_f64(NAN)));
}

static void fp16_random_doubles(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, 12345);
    for (int i = 0; i < 2000000; i++) {
        double x = ldexp(mp_rng_uniform(&r) * 2 - 1, (int)mp_rng_below(&r, 50) - 30);
        assert_int_equal(fp16_from_f64(x), ref_fp16_from_f64(x));
        assert_int_equal(fp16_from_f32((float)x), ref_fp16_from_f64((double)(float)x));
    }
}

/* fp16 arithmetic equals the _Float16 oracle on random operand pairs, incl. subnormals and overflow. */
static void fp16_arith_random(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, 777);
    for (int i = 0; i < 1000000; i++) {
        uint16_t a = (uint16_t)mp_rng_below(&r, 65536), b = (uint16_t)mp_rng_below(&r, 65536);
        if (fp16_is_nan(a) || fp16_is_nan(b))
            continue;
        _Float16 ha = f16_of_bits(a), hb = f16_of_bits(b), s = ha + hb, p = ha * hb;
        uint16_t us = f16_bits(s), up = f16_bits(p);
        if (!fp16_is_nan(us))
            assert_int_equal(fp16_add(a, b), us);
        if (!fp16_is_nan(up))
            assert_int_equal(fp16_mul(a, b), up);
    }
}

static void bf16_all_codes_and_random(void **state)
{
    (void)state;
    for (uint32_t c = 0; c < 65536; c++) {
        float v = bf16_to_f32((uint16_t)c);
        if (isnan(v))
            continue;
        assert_int_equal(bf16_from_f32(v), c);
        assert_true((double)v == fpx_to_f64(&FPX_BF16, c));
    }
    MpRng r;
    mp_rng_seed(&r, 99);
    for (int i = 0; i < 2000000; i++) {
        float x = tu_f32_of_bits((uint32_t)mp_rng_u64(&r));
        if (isnan(x))
            continue;
        assert_int_equal(bf16_from_f32(x), ref_bf16_from_f32(x));
    }
}

/* A non-IEEE minifloat saturates and has no Inf: BitMoD's {6,15} accumulator and E2M1. */
static void minifloat_saturates(void **state)
{
    (void)state;
    const FpxFmt e2m1 = {2, 1, 0};
    const double grid[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    for (uint32_t c = 0; c < 8; c++)
        assert_true(fpx_to_f64(&e2m1, c) == grid[c]);
    assert_true(fpx_max_finite(&e2m1) == 6.0);
    assert_true(fpx_round(&e2m1, 100.0) == 6.0);
    assert_true(fpx_round(&e2m1, 2.5) == 2.0);  /* tie to even code (2 = 0b100) */
    assert_true(fpx_round(&e2m1, 5.0) == 4.0);  /* tie between 4 (0b110) and 6 (0b111) -> even */
    assert_true(fpx_round(&e2m1, 0.25) == 0.0); /* tie between 0 and 0.5 -> even */
    const FpxFmt acc = {6, 15, 0};
    for (uint32_t c = 0; c < (1u << 22); c += 997)
        assert_int_equal(fpx_from_f64(&acc, fpx_to_f64(&acc, c)), c);
}

/* fpx_round's fast path equals the generic encode/decode for several formats over random
 * doubles spanning each format's whole range, its overflow edge and its subnormals. */
static void round_fast_equals_generic(void **state)
{
    (void)state;
    const FpxFmt fmts[5] = {{5, 10, 1}, {8, 7, 1}, {6, 15, 0}, {2, 1, 0}, {4, 3, 1}};
    MpRng r;
    mp_rng_seed(&r, 31);
    for (int f = 0; f < 5; f++) {
        double top = fpx_max_finite(&fmts[f]);
        for (int i = 0; i < 300000; i++) {
            double x = ldexp(mp_rng_uniform(&r) + 0.5, (int)mp_rng_below(&r, 80) - 50);
            if (i % 7 == 0)
                x = top * (0.999 + 0.002 * mp_rng_uniform(&r));
            if (i & 1)
                x = -x;
            double a = fpx_round(&fmts[f], x), b = fpx_to_f64(&fmts[f], fpx_from_f64(&fmts[f], x));
            assert_true(a == b || (isnan(a) && isnan(b)));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fp16_roundtrip_all_codes), cmocka_unit_test(fp16_ties_and_neighbours),
        cmocka_unit_test(fp16_random_doubles),      cmocka_unit_test(fp16_arith_random),
        cmocka_unit_test(bf16_all_codes_and_random), cmocka_unit_test(minifloat_saturates),
        cmocka_unit_test(round_fast_equals_generic),
    };
    return cmocka_run_group_tests_name("fpx", tests, NULL, NULL);
}
