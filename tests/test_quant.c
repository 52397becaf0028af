/* tests/test_quant.c — quantizers: error bounds, grids, the BitMoD and OliVe rules, and the fast
 * paths (quant_matrix) against the reference implementations (quant_matrix_ref), bit for bit. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/alloc.h"
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
        QParams p = {QS_SYM_ROW, f ? FMT_INT4 : FMT_INT8, 0, 0, 0, 0, ANT_FB_OFF, 0};
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
    QParams p = {QS_ASYM_GROUP, FMT_UINT4, 64, 0, 0, 0, ANT_FB_OFF, 0};
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
    QParams p = {QS_FP16, 0, 0, 0, 0, 0, ANT_FB_OFF, 0};
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
    QParams p = {QS_BITMOD, FMT_BITMOD_FP4, 8, 0, BM_ERR_FP16, 0, ANT_FB_OFF, 0};
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
        QParams p = {QS_BITMOD, f, 128, 0, BM_ERR_F64, 0, ANT_FB_OFF, 0};
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
    QParams p = {QS_BITMOD, FMT_BITMOD_FP4, 128, 0, BM_ERR_FP16, 0, ANT_FB_OFF, 0};
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
    QParams po = {QS_OLIVE, 0, 0, 1, 0, 0, ANT_FB_OFF, 0}, pi = {QS_SYM_ROW, FMT_INT4, 0, 0, 0, 0, ANT_FB_OFF, 0};
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
    QParams p = {QS_ANT, 0, 0, 1, 0, 0, ANT_FB_OFF, 0};
    QMat a = quant_ok(p, pot, 1, 16), b = quant_ok(p, uni, 1, 16);
    assert_int_equal(a.fmt, FMT_POT4);
    assert_int_equal(b.fmt, FMT_ANT_INT4);
    assert_true(mse(&a, pot) == 0);
    assert_true(mse(&b, uni) == 0);
    quant_free(&a);
    quant_free(&b);
}

/* ANT's 8-bit fallback by the tensor's 4-bit SQNR. A Gaussian tensor keeps its 4-bit type; one with
 * 1% of its elements 50x larger falls back to ant-int8 (and is then far more accurate); off, the
 * result is bit for bit the 4-bit one; the threshold edge is strict; an exact tensor never falls
 * back; forced 8 bits always does; the 8-bit grid is two's complement -128..127 with the scale of the
 * 4-bit types (max|.| / 128), so a set's negative extreme is -128 and its positive one saturates to
 * 127; bad options are input errors. */
static void ant_fallback(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("ant_fallback", 17));
    enum { R = 8, C = 512 };
    float *g = malloc(R * C * sizeof *g), *o = malloc(R * C * sizeof *o);
    for (int i = 0; i < R * C; i++) {
        g[i] = (float)mp_rng_normal(&r);
        o[i] = (float)mp_rng_normal(&r) * (i % 100 == 37 ? 50.0f : 1.0f);
    }
    for (int pt = 0; pt < 2; pt++) { /* per-row scales (weights) and one per tensor (activations) */
        QParams off = {QS_ANT, 0, 0, pt, BM_ERR_FP16, 0, ANT_FB_OFF, 0};
        QParams on = off, force = off;
        on.ant_fb = ANT_FB_MSNR;
        on.ant_fb_db = ANT_FB_DB_DEFAULT;
        force.ant_fb = ANT_FB_INT8;
        QMat g0 = quant_ok(off, g, R, C), g1 = quant_ok(on, g, R, C), o0 = quant_ok(off, o, R, C),
             o1 = quant_ok(on, o, R, C), gf = quant_ok(force, g, R, C);
        /* Gaussian: ~17 dB at 4 bits, kept */
        if (!(g0.ant_msnr4_db > ANT_FB_DB_DEFAULT + 2))
            fail_msg("Gaussian 4-bit SQNR %.2f dB", g0.ant_msnr4_db);
        assert_true(g1.fmt != FMT_ANT_INT8 && g1.fmt == g0.fmt);
        assert_memory_equal(g1.u, g0.u, R * C * sizeof *g0.u);
        assert_memory_equal(g1.code, g0.code, R * C);
        assert_memory_equal(g1.scale, g0.scale, (pt ? 1 : R) * sizeof *g0.scale);
        assert_true(g1.ant_msnr4_db == g0.ant_msnr4_db);
        /* outliers: below the threshold at 4 bits, 8 bits when on; the off result stays 4-bit */
        if (!(o0.ant_msnr4_db < ANT_FB_DB_DEFAULT))
            fail_msg("outlier tensor 4-bit SQNR %.2f dB", o0.ant_msnr4_db);
        assert_true(o0.fmt != FMT_ANT_INT8);
        assert_int_equal(o1.fmt, FMT_ANT_INT8);
        assert_true(o1.ant_msnr4_db == o0.ant_msnr4_db);
        assert_true(o1.ant_mse4 == o0.ant_mse4); /* the 4-bit type's MSE, kept when it falls back */
        assert_true(fabs(o0.ant_mse4 - mse(&o0, o)) <= 1e-9 * o0.ant_mse4);
        printf("# per %s: Gaussian 4-bit MSNR %.2f dB, outliers %.2f dB; outliers' mse 4-bit %.4f, 8-bit %.4f\n",
               pt ? "tensor" : "row", g0.ant_msnr4_db, o0.ant_msnr4_db, mse(&o0, o), mse(&o1, o));
        assert_true(mse(&o1, o) < mse(&o0, o) / 8);
        /* forced: 8 bits whatever the SQNR, and the same as a fallback would give */
        assert_int_equal(gf.fmt, FMT_ANT_INT8);
        assert_true(mse(&gf, g) < mse(&g0, g) / 100);
        /* the 8-bit grid and scale: max|set| / 128; every element within half a step, except a
         * positive extreme which saturates at 127 */
        const FmtDesc *f8 = fmt_get(FMT_ANT_INT8);
        assert_int_equal(f8->bits, 8);
        assert_int_equal(f8->max_abs, 128);
        for (int t = 0; t < (pt ? 1 : R); t++) {
            int r0 = pt ? 0 : t, r1 = pt ? R : t + 1;
            double amax = 0, vmin = 0;
            for (int i = r0 * C; i < r1 * C; i++) {
                amax = fmax(amax, fabs((double)o[i]));
                vmin = fmin(vmin, (double)o[i]);
            }
            assert_true(o1.scale[t] == (float)(amax / 128));
            for (int i = r0 * C; i < r1 * C; i++) {
                assert_true(o1.u[i] >= -128 && o1.u[i] <= 127);
                assert_true(f8->value[o1.code[i]] == o1.u[i]);
                double d = fabs((double)o[i] - o1.u[i] * (double)o1.scale[t]);
                assert_true(d <= 0.5 * o1.scale[t] * (1 + 1e-6) || (o[i] > 0 && o1.u[i] == 127));
                if ((double)o[i] == -amax)
                    assert_int_equal(o1.u[i], -128);
            }
            (void)vmin;
        }
        /* the threshold edge: strictly below falls back */
        QParams at = on;
        at.ant_fb_db = o0.ant_msnr4_db;
        QMat ea = quant_ok(at, o, R, C);
        assert_true(ea.fmt == o0.fmt);
        at.ant_fb_db = nextafter(o0.ant_msnr4_db, INFINITY);
        QMat eb = quant_ok(at, o, R, C);
        assert_int_equal(eb.fmt, FMT_ANT_INT8);
        quant_free(&ea);
        quant_free(&eb);
        quant_free(&g0);
        quant_free(&g1);
        quant_free(&o0);
        quant_free(&o1);
        quant_free(&gf);
    }
    /* exact at 4 bits (+inf dB): never falls back, whatever the threshold */
    float uni[16];
    for (int i = 0; i < 16; i++)
        uni[i] = (float)(i - 8);
    QParams hi = {QS_ANT, 0, 0, 1, BM_ERR_FP16, 0, ANT_FB_MSNR, 1e300};
    QMat u = quant_ok(hi, uni, 1, 16);
    assert_true(isinf(u.ant_msnr4_db) && u.ant_msnr4_db > 0);
    assert_int_equal(u.fmt, FMT_ANT_INT4);
    quant_free(&u);
    /* bad options */
    QMat q;
    MpErr e = {0};
    QParams bad = hi;
    bad.ant_fb_db = NAN;
    assert_int_equal(quant_matrix(&bad, uni, 1, 16, &q, &e), MP_EINPUT);
    bad.ant_fb = (AntFallback)7;
    assert_int_equal(quant_matrix(&bad, uni, 1, 16, &q, &e), MP_EINPUT);
    assert_int_equal(quant_matrix_ref(&bad, uni, 1, 16, &q, &e), MP_EINPUT);
    free(g);
    free(o);
}

/* ---------------------------------------------------------------- fast path == reference */

/* Every scheme and option the fast paths specialise. */
static const QParams all_schemes[] = {
    {QS_FP16, 0, 0, 0, 0, 0, ANT_FB_OFF, 0},
    {QS_SYM_ROW, FMT_INT8, 0, 0, 0, 0, ANT_FB_OFF, 0},
    {QS_SYM_ROW, FMT_INT4, 0, 0, 0, 0, ANT_FB_OFF, 0},
    {QS_ASYM_GROUP, FMT_UINT4, 128, 0, 0, 0, ANT_FB_OFF, 0},
    {QS_ASYM_GROUP, FMT_UINT4, 7, 0, 0, 0, ANT_FB_OFF, 0},
    {QS_BITMOD, FMT_BITMOD_FP4, 128, 0, BM_ERR_FP16, 0, ANT_FB_OFF, 0},
    {QS_BITMOD, FMT_BITMOD_FP3, 128, 0, BM_ERR_FP16, 0, ANT_FB_OFF, 0},
    {QS_BITMOD, FMT_BITMOD_FP4, 32, 0, BM_ERR_F64, 0, ANT_FB_OFF, 0},
    {QS_BITMOD, FMT_BITMOD_FP3, 5, 0, BM_ERR_F64, 0, ANT_FB_OFF, 0},
    {QS_BITMOD, FMT_BITMOD_FP4, 128, 0, BM_ERR_FP16, 2, ANT_FB_OFF, 0},
    {QS_BITMOD, FMT_BITMOD_FP3, 64, 0, BM_ERR_F64, 4, ANT_FB_OFF, 0},
    {QS_OLIVE, 0, 0, 0, 0, 0, ANT_FB_OFF, 0},
    {QS_OLIVE, 0, 0, 1, 0, 0, ANT_FB_OFF, 0},
    {QS_ANT, 0, 0, 0, 0, 0, ANT_FB_OFF, 0},
    {QS_ANT, 0, 0, 1, 0, 0, ANT_FB_OFF, 0},
    /* ANT with the 8-bit fallback: thresholds around the 4-bit SQNRs of these data, and forced */
    {QS_ANT, 0, 0, 0, 0, 0, ANT_FB_MSNR, ANT_FB_DB_DEFAULT},
    {QS_ANT, 0, 0, 1, 0, 0, ANT_FB_MSNR, ANT_FB_DB_DEFAULT},
    {QS_ANT, 0, 0, 0, 0, 0, ANT_FB_MSNR, 16},
    {QS_ANT, 0, 0, 1, 0, 0, ANT_FB_MSNR, 9},
    {QS_ANT, 0, 0, 0, 0, 0, ANT_FB_INT8, 0},
    {QS_ANT, 0, 0, 1, 0, 0, ANT_FB_INT8, 0},
};
#define NSCHEMES ((int)(sizeof all_schemes / sizeof all_schemes[0]))

/* ANT schemes with the fallback by MSNR: tensors that fell back / kept 4 bits in fast_vs_ref */
static long ant_fb_seen[2];

static int same_bytes(const void *a, const void *b, size_t n) { return (!a && !b) || (a && b && !memcmp(a, b, n)); }

/* quant_matrix and quant_matrix_ref give the same status and message, or the same bits in every
 * field of the QMat. */
static void fast_vs_ref(const float *x, int rows, int cols, const char *what)
{
    for (int k = 0; k < NSCHEMES; k++) {
        QMat a, b;
        MpErr ea = {0}, eb = {0};
        int ra = quant_matrix(&all_schemes[k], x, rows, cols, &a, &ea);
        int rb = quant_matrix_ref(&all_schemes[k], x, rows, cols, &b, &eb);
        if (ra != rb || (ra && strcmp(ea.msg, eb.msg)))
            fail_msg("%s, scheme %d: status %d '%s' vs reference %d '%s'", what, k, ra, ea.msg, rb, eb.msg);
        if (ra)
            continue;
        if (all_schemes[k].scheme == QS_ANT && all_schemes[k].ant_fb == ANT_FB_MSNR)
            ant_fb_seen[a.fmt == FMT_ANT_INT8]++;
        const size_t n = (size_t)rows * cols, ns = a.per_tensor ? 1 : (size_t)rows * a.ngroups;
        int same = a.scheme == b.scheme && a.fmt == b.fmt && a.rows == b.rows && a.cols == b.cols &&
                   a.group == b.group && a.ngroups == b.ngroups && a.per_tensor == b.per_tensor &&
                   a.n_outlier_pairs == b.n_outlier_pairs && a.n_bitmod_disagree == b.n_bitmod_disagree &&
                   same_bytes(&a.olive_alpha_sum, &b.olive_alpha_sum, sizeof a.olive_alpha_sum) &&
                   same_bytes(&a.ant_msnr4_db, &b.ant_msnr4_db, sizeof a.ant_msnr4_db) &&
                   same_bytes(&a.ant_mse4, &b.ant_mse4, sizeof a.ant_mse4);
        same = same && same_bytes(a.code, b.code, n) && same_bytes(a.u, b.u, n * sizeof *a.u) &&
               same_bytes(a.scale, b.scale, ns * sizeof *a.scale) &&
               same_bytes(a.zero, b.zero, a.zero ? ns * sizeof *a.zero : 0) &&
               same_bytes(a.variant, b.variant, a.variant ? ns : 0) &&
               same_bytes(a.dq16, b.dq16, a.dq16 ? n * sizeof *a.dq16 : 0);
        if (!same) {
            size_t i = 0;
            while (i < n && a.code[i] == b.code[i] && a.u[i] == b.u[i])
                i++;
            fail_msg("%s (%d x %d), scheme %d (%d, fmt %d): fast path differs from the reference "
                     "(first element %zu: code %d/%d, u %d/%d; disagree %lld/%lld)",
                     what, rows, cols, k, (int)all_schemes[k].scheme, (int)all_schemes[k].fmt, i,
                     i < n ? a.code[i] : -1, i < n ? b.code[i] : -1, i < n ? a.u[i] : 0, i < n ? b.u[i] : 0,
                     a.n_bitmod_disagree, b.n_bitmod_disagree);
        }
        quant_free(&a);
        quant_free(&b);
    }
}

static void fast_equals_reference_random(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("fast_equals_reference_random", 11));
    static const struct {
        int rows, cols, outliers;
        double gain;
    } shapes[] = {{9, 1000, 3, 40}, {7, 301, 2, 1e3}, {3, 4096, 16, 60}, {5, 129, 0, 1}, {1, 1, 0, 1},
                  {6, 1, 0, 1},     {2, 3, 1, 1e4},    {4, 640, 5, 1e6}, {48, 1024, 0, 1}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        float *x = tu_matrix(&r, shapes[i].rows, shapes[i].cols, shapes[i].outliers, shapes[i].gain);
        fast_vs_ref(x, shapes[i].rows, shapes[i].cols, "random");
        for (int j = 0; j < shapes[i].rows * shapes[i].cols; j++) /* the same, tiny (fp16 subnormals) */
            x[j] *= 1e-4f;
        fast_vs_ref(x, shapes[i].rows, shapes[i].cols, "random, tiny");
        free(x);
    }
    /* the ANT fallback rows compared both outcomes */
    printf("# ANT with the fallback: %ld tensors fell back, %ld kept 4 bits\n", ant_fb_seen[1], ant_fb_seen[0]);
    assert_true(ant_fb_seen[0] > 0 && ant_fb_seen[1] > 0);
}

/* Inputs chosen to sit on every rounding boundary: scales that are powers of two with values on
 * quarter steps (exact ties of every grid), fp16 ties and their float neighbours, zeros of both
 * signs, fp16 and fp32 subnormals, values that round to fp16 Inf or lie far beyond it. */
static void fast_equals_reference_adversarial(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("fast_equals_reference_adversarial", 12));
    const int R = 12, C = 260;
    float *x = malloc((size_t)R * C * sizeof *x);
    for (int kind = 0; kind < 10; kind++) {
        for (int i = 0; i < R; i++)
            for (int c = 0; c < C; c++) {
                double v = 0, sgn = mp_rng_below(&r, 2) ? -1 : 1;
                const int k = (int)mp_rng_below(&r, 65);
                switch (kind) {
                case 0: /* zeros of both signs, a few tiny values */
                    v = mp_rng_below(&r, 20) ? sgn * 0.0 : sgn * 1e-30;
                    break;
                case 1: /* quarter steps; each row's max is 6, 7, 8, 12, 16, 127 or 64 times 2^e */
                    v = c == 0 ? ldexp((double)(int[]){6, 7, 8, 12, 16, 127, 64}[i % 7], i % 5 - 2)
                               : sgn * ldexp((k - 32) / 4.0, i % 5 - 2) / 8;
                    break;
                case 2: /* halfway between neighbouring fp16 values, and one float either side */
                {
                    uint16_t h = (uint16_t)mp_rng_below(&r, 0x7bff);
                    double mid = 0.5 * (fp16_to_f64(h) + fp16_to_f64((uint16_t)(h + 1)));
                    float f = (float)mid;
                    v = sgn * (k % 3 == 0 ? f : k % 3 == 1 ? nextafterf(f, 0) : nextafterf(f, INFINITY));
                    break;
                }
                case 3: /* fp16 subnormals and the normal boundary */
                    v = sgn * ldexp((double)mp_rng_below(&r, 2048), -24 - (int)mp_rng_below(&r, 3));
                    break;
                case 4: v = sgn * 1e-40 * (double)(k + 1); break; /* fp32 subnormals */
                case 5: /* around the fp16 maximum and Inf, in an otherwise ordinary row */
                    v = c % 37 == 0 ? sgn * (double)(float[]){65504, 65519.99f, 65520, 70000, 1e5f}[k % 5]
                                    : sgn * 0.01 * k;
                    break;
                case 6: v = c % 50 == 0 ? sgn * 1e30 : sgn * 1e-3 * k; break; /* far beyond fp16 */
                case 7: v = i % 2 ? 0.25 : -3.0; break;                     /* constant rows */
                case 8: v = sgn * ldexp(1.0, k - 32); break;                  /* powers of two */
                default: v = (c & 1) ? -ldexp((double)k, -6) : ldexp(mp_rng_normal(&r), -20); break;
                }
                x[(size_t)i * C + c] = (float)v;
            }
        char what[32];
        snprintf(what, sizeof what, "adversarial %d", kind);
        fast_vs_ref(x, R, C, what);
        fast_vs_ref(x, 1, 3, what);
        fast_vs_ref(x, R * C / 7, 7, what);
    }
    free(x);
}

/* Every finite fp16 value, in order and shuffled, as rows of 128 (BitMoD groups). */
static void fast_equals_reference_every_fp16(void **state)
{
    (void)state;
    const int C = 128, R = 0xf800 / C; /* 63488 finite fp16 values */
    float *x = malloc((size_t)R * C * sizeof *x);
    int n = 0;
    for (uint32_t h = 0; h < 0x10000; h++)
        if ((h & 0x7c00) != 0x7c00)
            x[n++] = fp16_to_f32((uint16_t)h);
    assert_int_equal(n, R * C);
    fast_vs_ref(x, R, C, "every fp16");
    MpRng r;
    mp_rng_seed(&r, tu_seed("fast_equals_reference_every_fp16", 13));
    for (int i = n - 1; i > 0; i--) {
        int j = (int)mp_rng_below(&r, (uint64_t)i + 1);
        float t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
    fast_vs_ref(x, R, C, "every fp16, shuffled");
    free(x);
}

/* OliVe's rounding boundaries: probes on (and one float either side of) every threshold
 * s * (M_i + M_{i+1}) / 2 of the chosen type and scale, up to the normal/outlier one. The data lie
 * on a flint grid, so one alpha candidate fits far better than its neighbours and the probes
 * cannot flip the choice; they do move the statistics the scale comes from, so they are placed
 * again at the new scale until it stays put. */
static void fast_equals_reference_olive_thresholds(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("fast_equals_reference_olive_thresholds", 15));
    static const int mags[8] = {0, 1, 2, 3, 4, 6, 8, 16};
    const int R = 256, C = 1024;
    float *x = malloc((size_t)R * C * sizeof *x);
    for (int i = 0; i < R * C; i++)
        x[i] = (float)ldexp((mp_rng_below(&r, 2) ? -1 : 1) * mags[mp_rng_below(&r, 8)], -6);
    const QParams p = {QS_OLIVE, 0, 0, 1, 0, 0, ANT_FB_OFF, 0};
    int stable = 0;
    for (int round = 0; round < 20 && !stable; round++) {
        QMat q = quant_ok(p, x, R, C);
        const float s = q.scale[0];
        const FmtDesc *f = fmt_get(q.fmt);
        quant_free(&q);
        int k = 0, moved = 0;
        for (int i = 0; i + 1 < f->nsorted; i++) {
            if (f->sorted[i] < 0 || f->sorted_code[i] >= 16) /* magnitudes, up to the first outlier */
                continue;
            const float t = (float)((double)s * (f->sorted[i] + f->sorted[i + 1]) * 0.5);
            const float probe[6] = {t, nextafterf(t, 0), nextafterf(t, INFINITY), -t, -nextafterf(t, 0), 0.0f};
            for (int j = 0; j < 6; j++, k += 3) { /* an even column, its partner, and an odd column */
                moved |= x[2 * k] != probe[j];
                x[2 * k] = x[2 * k + 1 + 2 * (j % 2)] = probe[j];
            }
        }
        stable = !moved;
    }
    assert_true(stable); /* else the probes missed the thresholds */
    fast_vs_ref(x, R, C, "olive thresholds");
    free(x);
}

/* The rule the BitMoD fast path relies on: with ties to the lower value, the grid index of x is
 * the number of grid midpoints strictly below x, for every fp16 x and every variant's grid. */
static void bitmod_midpoint_rule(void **state)
{
    (void)state;
    for (int fp4 = 0; fp4 < 2; fp4++) {
        FmtId id = fp4 ? FMT_BITMOD_FP4 : FMT_BITMOD_FP3;
        const FmtDesc *f = fmt_get(id);
        const double inv_unit = 1.0 / quant_bitmod_unit(id);
        for (int v = 0; v < 4; v++) {
            int32_t grid[FMT_MAX_CODES + 1], sp = quant_bitmod_special(id, (BitmodVariant)v);
            int n = 0;
            for (int i = 0; i < f->nsorted; i++) { /* the format's values plus the special value */
                if (n == i && sp < f->sorted[i])
                    grid[n++] = sp;
                grid[n++] = f->sorted[i];
            }
            if (n == f->nsorted)
                grid[n++] = sp;
            FmtLut lut;
            assert_int_equal(fmt_lut_build(&lut, grid, n, TIE_DOWN), 0);
            for (uint32_t h = 0; h < 0x10000; h++) {
                if (fp16_is_nan((uint16_t)h))
                    continue;
                double x = fp16_to_f64((uint16_t)h) * inv_unit;
                int below = 0;
                for (int k = 1; k < n; k++)
                    below += 0.5 * (grid[k - 1] + grid[k]) < x;
                assert_int_equal(fmt_lut_find(&lut, x), below);
            }
        }
    }
}

/* Out of memory anywhere in a fast path: MP_ENOMEM and nothing leaked (the sanitizer build checks
 * the leaks), or success with the reference's result. */
static void fast_paths_out_of_memory(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("fast_paths_out_of_memory", 14));
    const int R = 6, C = 300;
    float *x = tu_matrix(&r, R, C, 2, 50);
    for (int k = 0; k < NSCHEMES; k++)
        for (long fail = 0;; fail++) {
            QMat q;
            MpErr e = {0};
            mp_alloc_fail_after(fail);
            int rc = quant_matrix(&all_schemes[k], x, R, C, &q, &e);
            mp_alloc_fail_after(-1);
            if (rc == MP_OK) {
                quant_free(&q);
                break;
            }
            assert_int_equal(rc, MP_ENOMEM);
        }
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integer_schemes_half_step),   cmocka_unit_test(fp16_scheme_and_range),
        cmocka_unit_test(bitmod_picks_variant),        cmocka_unit_test(bitmod_mixture_beats_single),
        cmocka_unit_test(bitmod_fp16_vs_fp64_disagree), cmocka_unit_test(olive_pairs),
        cmocka_unit_test(ant_type_choice),             cmocka_unit_test(ant_fallback),
        cmocka_unit_test(fast_equals_reference_random),
        cmocka_unit_test(fast_equals_reference_adversarial), cmocka_unit_test(fast_equals_reference_every_fp16),
        cmocka_unit_test(fast_equals_reference_olive_thresholds),
        cmocka_unit_test(bitmod_midpoint_rule),        cmocka_unit_test(fast_paths_out_of_memory),
    };
    return cmocka_run_group_tests_name("quant", tests, NULL, NULL);
}
