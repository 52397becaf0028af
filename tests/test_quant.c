/* tests/test_quant.c — quantizers: error bounds, grids, the BitMoD and OliVe rules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/fpx.h"
#include "models/quant.h"
#include "testutil.h"

static QMat quant_ok(QParams p, const float *src, int rows, int cols)
{
    QMat q;
    MpErr e = {0};
    int rc = quant_matrix(&p, src, rows, cols, &q, &e);
    if (rc)
        fail_msg("quant_matrix: %s", e.msg);
    return q;
}

static double mse(const QMat *q, const float *src)
{
    double s = 0;
    for (int r = 0; r < q->rows; r++)
        for (int c = 0; c < q->cols; c++) {
            double d = quant_value(q, r, c) - src[(size_t)r * q->cols + c];
            s += d * d;
        }
    return s / ((double)q->rows * q->cols);
}

/* Symmetric and asymmetric integer schemes: every element within half a step of its source. */
static void integer_schemes_half_step(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("integer_schemes_half_step", 1));
    const int R = 7, C = 300;
    float *x = tu_matrix(&r, R, C, 3, 40);
    for (int f = 0; f < 2; f++) {
        QParams p = {QS_SYM_ROW, f ? FMT_INT4 : FMT_INT8, 0, 0, 0, 0};
        QMat q = quant_ok(p, x, R, C);
        for (int i = 0; i < R; i++) {
            double amax = 0;
            for (int c = 0; c < C; c++)
                amax = fmax(amax, fabs(x[i * C + c]));
            assert_float_equal(q.scale[i], (float)(amax / (f ? 7 : 127)), 0);
            for (int c = 0; c < C; c++)
                assert_true(fabs(quant_value(&q, i, c) - x[i * C + c]) <= q.scale[i] * 0.5000001);
        }
        quant_free(&q);
    }
    QParams p = {QS_ASYM_GROUP, FMT_UINT4, 64, 0, 0, 0};
    QMat q = quant_ok(p, x, R, C);
    assert_int_equal(q.ngroups, 5); /* 300 = 4 * 64 + 44: a partial last group */
    for (int i = 0; i < R; i++)
        for (int c = 0; c < C; c++) {
            int g = quant_gidx(&q, i, c);
            assert_true(q.zero[g] >= 0 && q.zero[g] <= 15);
            assert_true(q.u[i * C + c] >= 0 && q.u[i * C + c] <= 15);
            assert_true(fp16_to_f64(fp16_from_f64(q.scale[g])) == q.scale[g]); /* an fp16 value */
            assert_true(fabs(quant_value(&q, i, c) - x[i * C + c]) <= q.scale[g] * 0.5000001);
        }
    quant_free(&q);
    free(x);
}

static void fp16_scheme_and_range(void **state)
{
    (void)state;
    float x[4] = {1.0f, -2.5f, 65504.0f, 1e-8f};
    QParams p = {QS_FP16, 0, 0, 0, 0, 0};
    QMat q = quant_ok(p, x, 1, 4);
    assert_true(quant_value(&q, 0, 1) == -2.5);
    assert_true(quant_value(&q, 0, 2) == 65504.0);
    quant_free(&q);
    float big[1] = {70000.0f};
    MpErr e = {0};
    assert_int_equal(quant_matrix(&p, big, 1, 1, &q, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "fp16 range"));
    float nan[2] = {1.0f, NAN};
    mp_err_clear(&e);
    assert_int_equal(quant_matrix(&p, nan, 1, 2, &q, &e), MP_EINPUT);
}

/* BitMoD: a group whose large values are positive and sit at +5 (native) prefers ER_POS; the
 * mirrored group prefers ER_NEG; values lie on the chosen grid; the special code is used. */
static void bitmod_picks_variant(void **state)
{
    (void)state;
    float g[2][8];
    static const float base[8] = {6, 5, 5, 5, 1, 0.5f, -1, 0};
    for (int j = 0; j < 8; j++) {
        g[0][j] = base[j];
        g[1][j] = -base[j];
    }
    QParams p = {QS_BITMOD, FMT_BITMOD_FP4, 8, 0, BM_ERR_FP16, 0};
    QMat q = quant_ok(p, &g[0][0], 2, 8);
    assert_int_equal(q.variant[0], BM_ER_POS);
    assert_int_equal(q.variant[1], BM_ER_NEG);
    for (int r = 0; r < 2; r++)
        for (int j = 0; j < 8; j++)
            assert_true(fabs(quant_value(&q, r, j) - g[r][j]) < 1e-6); /* exactly representable */
    assert_int_equal(q.code[1], 8); /* +5 is the special value */
    assert_int_equal(q.code[8 + 1], 8);
    assert_true(q.scale[1] < 0); /* NEG variants carry their sign in the scale */
    quant_free(&q);
}

/* The per-group mixture is never worse (fp64-error mode) than any single variant on every group,
 * so its total error is at most each single variant's. */
static void bitmod_mixture_beats_single(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("bitmod_mixture_beats_single", 2));
    const int R = 16, C = 512;
    float *w = tu_matrix(&r, R, C, 0, 1);
    for (int bits = 3; bits <= 4; bits++) {
        FmtId f = bits == 4 ? FMT_BITMOD_FP4 : FMT_BITMOD_FP3;
        QParams p = {QS_BITMOD, f, 128, 0, BM_ERR_F64, 0};
        QMat mix = quant_ok(p, w, R, C);
        double emix = mse(&mix, w);
        for (int v = 1; v <= 4; v++) {
            p.bm_only = v;
            QMat one = quant_ok(p, w, R, C);
            /* mse() uses exact products; the quantizer's error uses fp16 wq: allow that rounding */
            assert_true(emix <= mse(&one, w) * (1 + 1e-3));
            quant_free(&one);
        }
        quant_free(&mix);
    }
    free(w);
}

/* Tiny weights make fp16 squared errors subnormal: the fp16 reference mode then sees ties that
 * the fp64 mode does not, and the two disagree on some groups. */
static void bitmod_fp16_vs_fp64_disagree(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("bitmod_fp16_vs_fp64_disagree", 3));
    const int R = 8, C = 1024;
    float *w = tu_matrix(&r, R, C, 0, 1);
    for (int i = 0; i < R * C; i++)
        w[i] *= 0.01f;
    QParams p = {QS_BITMOD, FMT_BITMOD_FP4, 128, 0, BM_ERR_FP16, 0};
    QMat a = quant_ok(p, w, R, C);
    p.bm_err = BM_ERR_F64;
    QMat b = quant_ok(p, w, R, C);
    assert_true(a.n_bitmod_disagree > 0);
    assert_int_equal(a.n_bitmod_disagree, b.n_bitmod_disagree);
    assert_true(mse(&b, w) <= mse(&a, w) * (1 + 1e-3));
    quant_free(&a);
    quant_free(&b);
    free(w);
}

/* OliVe pairs: never two outliers in a pair, the victim is 0 with code 1000, and on activations
 * with outlier channels OliVe beats plain int4 (the paper's point). */
static void olive_pairs(void **state)
{
    (void)state;
    uint8_t ca, cb;
    /* both outliers: the larger magnitude wins (paper's rule), the other becomes the victim */
    assert_int_equal(quant_olive_pair(FMT_OLIVE_INT4, 20.0, -50.0, &ca, &cb), 1);
    assert_int_equal(ca, 8);
    assert_int_equal(fmt_get(FMT_OLIVE_INT4)->value[cb], -48);
    assert_int_equal(quant_olive_pair(FMT_OLIVE_INT4, 3.2, -6.6, &ca, &cb), 0);
    assert_int_equal(fmt_get(FMT_OLIVE_INT4)->value[ca], 3);
    assert_int_equal(fmt_get(FMT_OLIVE_INT4)->value[cb], -7);
    MpRng r;
    mp_rng_seed(&r, tu_seed("olive_pairs", 4));
    const int R = 32, C = 256;
    float *x = tu_matrix(&r, R, C, 3, 60);
    QParams po = {QS_OLIVE, 0, 0, 1, 0, 0}, pi = {QS_SYM_ROW, FMT_INT4, 0, 0, 0, 0};
    QMat o = quant_ok(po, x, R, C), i4 = quant_ok(pi, x, R, C);
    for (int rr = 0; rr < R; rr++)
        for (int c = 0; c < C; c += 2) {
            uint8_t a = o.code[rr * C + c], b = o.code[rr * C + c + 1];
            assert_false(a >= 16 && b >= 16);
            if (a >= 16)
                assert_int_equal(b, 8);
            if (b >= 16)
                assert_int_equal(a, 8);
            if (a == 8)
                assert_true(quant_value(&o, rr, c) == 0);
        }
    assert_true(o.n_outlier_pairs > 0);
    printf("# olive mse %.3g vs int4 mse %.3g, outlier pairs %lld of %d\n", mse(&o, x), mse(&i4, x),
           o.n_outlier_pairs, R * C / 2);
    assert_true(mse(&o, x) < mse(&i4, x));
    quant_free(&o);
    quant_free(&i4);
    free(x);
}

/* ANT picks the type that fits: powers of two -> PoT, uniform integers -> int. */
static void ant_type_choice(void **state)
{
    (void)state;
    float pot[16], uni[16];
    for (int i = 0; i < 16; i++) {
        pot[i] = (float)((i & 1 ? -1 : 1) * ldexp(1.0, i % 7));
        uni[i] = (float)(i - 8);
    }
    QParams p = {QS_ANT, 0, 0, 1, 0, 0};
    QMat a = quant_ok(p, pot, 1, 16), b = quant_ok(p, uni, 1, 16);
    assert_int_equal(a.fmt, FMT_POT4);
    assert_int_equal(b.fmt, FMT_ANT_INT4);
    assert_true(mse(&a, pot) == 0);
    assert_true(mse(&b, uni) == 0);
    quant_free(&a);
    quant_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integer_schemes_half_step),   cmocka_unit_test(fp16_scheme_and_range),
        cmocka_unit_test(bitmod_picks_variant),        cmocka_unit_test(bitmod_mixture_beats_single),
        cmocka_unit_test(bitmod_fp16_vs_fp64_disagree), cmocka_unit_test(olive_pairs),
        cmocka_unit_test(ant_type_choice),
    };
    return cmocka_run_group_tests_name("quant", tests, NULL, NULL);
}
