/* tests/test_golden.c — golden GEMMs of every PE kind: hand-checked cases, hardware-exact within
 * the bound of docs/pe.md of ideal, integer kinds exact, and K-split runs equal whole runs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/fpx.h"
#include "models/golden.h"
#include "testutil.h"

/* A hand-built QMat: caller fills u/scale/zero. */
static QMat hand(QScheme s, FmtId f, int rows, int cols, int group, int per_tensor)
{
    QMat q;
    memset(&q, 0, sizeof q);
    q.scheme = s;
    q.fmt = f;
    q.rows = rows;
    q.cols = cols;
    q.group = group;
    q.per_tensor = per_tensor;
    q.ngroups = per_tensor ? 1 : (cols + group - 1) / group;
    q.u = calloc((size_t)rows * cols, sizeof *q.u);
    q.code = calloc((size_t)rows * cols, 1);
    q.scale = calloc((size_t)rows * q.ngroups, sizeof *q.scale);
    q.zero = calloc((size_t)rows * q.ngroups, sizeof *q.zero);
    q.dq16 = calloc((size_t)rows * cols, sizeof *q.dq16);
    return q;
}

static void hand_free(QMat *q)
{
    free(q->u);
    free(q->code);
    free(q->scale);
    free(q->zero);
    free(q->dq16);
}

static float dot1(PeKindId kind, const QMat *w, const QMat *x)
{
    float y;
    MpErr e = {0};
    if (golden_gemm_hw(kind, w, x, &y, &e))
        fail_msg("%s", e.msg);
    return y;
}

/* MixPE W4A8 with g = 2: D0 = 3*1 + 5*(-2) - 1*(1-2) = -6, D1 = 0*3 + 15*4 - 2*(3+4) = 46,
 * y = (-6*0.5 + 46*0.25) * 2 = 17. The same weights through MixPE W4A16 with x = 1,-2,3,4 as fp16. */
static void hand_mixpe(void **state)
{
    (void)state;
    QMat w = hand(QS_ASYM_GROUP, FMT_UINT4, 1, 4, 2, 0), x = hand(QS_SYM_ROW, FMT_INT8, 1, 4, 4, 0);
    int32_t wu[4] = {3, 5, 0, 15}, xu[4] = {1, -2, 3, 4};
    memcpy(w.u, wu, sizeof wu);
    memcpy(x.u, xu, sizeof xu);
    w.zero[0] = 1;
    w.zero[1] = 2;
    w.scale[0] = 0.5f;
    w.scale[1] = 0.25f;
    x.scale[0] = 2.0f;
    quant_fill_dq16(&w);
    assert_true(dot1(PE_MIXPE_W4A8, &w, &x) == 17.0f);
    assert_true(dot1(PE_MIXPE_W4A8_BS, &w, &x) == 17.0f);
    QMat xh = hand(QS_FP16, 0, 1, 4, 4, 1);
    for (int k = 0; k < 4; k++)
        xh.u[k] = fp16_from_f64(xu[k]);
    xh.scale[0] = 1;
    assert_true(dot1(PE_MIXPE_W4A16, &w, &xh) == 8.5f);
    /* w4a16-dq: (3-1)*.5*1 + (5-1)*.5*-2 + (0-2)*.25*3 + (15-2)*.25*4 = 1 - 4 - 1.5 + 13 = 8.5 */
    assert_true(dot1(PE_W4A16_DQ, &w, &xh) == 8.5f);
    hand_free(&w);
    hand_free(&x);
    hand_free(&xh);
}

/* BitMoD lanes: u = 3, -12, 16, 1 (FP4 units) times x = 1, .5, 2, -.25 is 28.75 exactly (no
 * alignment loss); with scale .5 -> 14.375. Then a lane 14 exponents below the largest is
 * truncated away entirely: 16 * 1024 + 1 * (1 + 2^-10) gives 16384, not 16385.0009765625. */
static void hand_bitmod(void **state)
{
    (void)state;
    QMat w = hand(QS_BITMOD, FMT_BITMOD_FP4, 1, 4, 4, 0), x = hand(QS_FP16, 0, 1, 4, 4, 1);
    int32_t wu[4] = {3, -12, 16, 1};
    double xv[4] = {1, 0.5, 2, -0.25};
    memcpy(w.u, wu, sizeof wu);
    for (int k = 0; k < 4; k++)
        x.u[k] = fp16_from_f64(xv[k]);
    w.scale[0] = 0.5f;
    x.scale[0] = 1;
    assert_true(dot1(PE_BITMOD, &w, &x) == 14.375f);
    int32_t wu2[4] = {16, 1, 0, 0};
    double xv2[4] = {1024, 1 + 0x1p-10, 0, 0};
    memcpy(w.u, wu2, sizeof wu2);
    for (int k = 0; k < 4; k++)
        x.u[k] = fp16_from_f64(xv2[k]);
    w.scale[0] = 1;
    assert_true(dot1(PE_BITMOD, &w, &x) == 16384.0f);
    hand_free(&w);
    hand_free(&x);
}

/* fp16: 1*3 + 2*4 = 11; an fp32 accumulation visibly different from double: 2^24 + 1 + 1. */
static void hand_fp16_int(void **state)
{
    (void)state;
    QMat w = hand(QS_FP16, 0, 1, 3, 3, 1), x = hand(QS_FP16, 0, 1, 3, 3, 1);
    double wv[3] = {2048, 1, 1}, xv[3] = {8192, 1, 1}; /* 2^24, then +1 twice: each +1 is lost in fp32 */
    for (int k = 0; k < 3; k++) {
        w.u[k] = fp16_from_f64(wv[k]);
        x.u[k] = fp16_from_f64(xv[k]);
    }
    assert_true(dot1(PE_FP16, &w, &x) == 16777216.0f);
    QMat wi = hand(QS_SYM_ROW, FMT_INT8, 1, 3, 3, 0), xi = hand(QS_SYM_ROW, FMT_INT8, 1, 3, 3, 0);
    int32_t a[3] = {127, -127, 5}, b[3] = {100, 99, -3};
    memcpy(wi.u, a, sizeof a);
    memcpy(xi.u, b, sizeof b);
    wi.scale[0] = 0.5f;
    xi.scale[0] = 0.25f;
    assert_true(dot1(PE_INT8, &wi, &xi) == (float)((127 * 100 - 127 * 99 - 15) * 0.125));
    hand_free(&w);
    hand_free(&x);
    hand_free(&wi);
    hand_free(&xi);
}

static const struct {
    const char *fmt;
} cases[] = {{"fp16"},      {"int8"},      {"int4"},      {"w4a16-dq"},  {"mixpe-w4a8"},
             {"mixpe-w4a16"}, {"bitmod-w4"}, {"bitmod-w3"}, {"olive-w4a4"}, {"ant-w4a4"},
             {"olive-w4a16"}, {"ant-w4a16"}, {"ant-w4a4-mp"}, {"ant-w4a16-mp"}};

/* Every format on random LLM-like data: hardware-exact within the derived bound of ideal; integer
 * kinds' accumulators equal an independent int64 sum; K split at random aligned points gives the
 * same bits as one run (what the simulator relies on). */
static void random_gemms(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("random_gemms", 5));
    long checked = 0;
    double worst = 0;
    for (size_t f = 0; f < sizeof cases / sizeof cases[0]; f++) {
        const NumFormat *nf = num_format_find(cases[f].fmt);
        assert_non_null(nf);
        for (int trial = 0; trial < 40; trial++) {
            int M = 1 + (int)mp_rng_below(&r, 4), N = 1 + (int)mp_rng_below(&r, 5);
            int K = 1 + (int)mp_rng_below(&r, 400);
            QParams wq = nf->wq, xq = nf->xq;
            if (wq.scheme == QS_ASYM_GROUP || wq.scheme == QS_BITMOD)
                wq.group = 4 * (1 + (int)mp_rng_below(&r, 40)); /* 4..160, K often not a multiple */
            float *w = tu_matrix(&r, N, K, 0, 1), *x = tu_matrix(&r, M, K, K > 8 ? 2 : 0, 30);
            QMat qw, qx;
            MpErr e = {0};
            if (quant_matrix(&wq, w, N, K, &qw, &e) || quant_matrix(&xq, x, M, K, &qx, &e))
                fail_msg("%s: %s", nf->name, e.msg);
            float *yh = malloc((size_t)M * N * sizeof *yh);
            double *yi = malloc((size_t)M * N * sizeof *yi);
            if (golden_gemm_hw(nf->kind, &qw, &qx, yh, &e) || golden_gemm_ideal(&qw, &qx, yi, &e))
                fail_msg("%s: %s", nf->name, e.msg);
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) {
                    double d = fabs((double)yh[m * N + n] - yi[m * N + n]);
                    double b = golden_error_bound(nf->kind, &qw, n, &qx, m);
                    if (d > b)
                        fail_msg("%s M=%d N=%d K=%d g=%d (%d,%d): |hw - ideal| = %g > bound %g", nf->name, M, N, K,
                                 qw.group, m, n, d, b);
                    if (b > 0)
                        worst = fmax(worst, d / b);
                    /* split K at aligned random points: same bits */
                    GoldenAcc a;
                    golden_acc_reset(&a);
                    int al = golden_k_align(nf->kind), k0 = 0;
                    while (k0 < K) {
                        int k1 = k0 + al * (1 + (int)mp_rng_below(&r, 8));
                        k1 = k1 > K ? K : k1;
                        golden_acc_run(nf->kind, &a, &qw, n, &qx, m, k0, k1);
                        k0 = k1;
                    }
                    float ys = golden_acc_finish(nf->kind, &a, &qw, n, &qx, m);
                    assert_memory_equal(&ys, &yh[m * N + n], sizeof ys);
                    if (nf->kind == PE_INT8 || nf->kind == PE_OLIVE || nf->kind == PE_ANT) {
                        int64_t s = 0;
                        for (int k = 0; k < K; k++)
                            s += (int64_t)qw.u[n * K + k] * qx.u[m * K + k];
                        assert_true(a.iacc == s);
                    }
                    checked++;
                }
            free(yh);
            free(yi);
            free(w);
            free(x);
            quant_free(&qw);
            quant_free(&qx);
        }
    }
    printf("# %ld outputs checked; worst |hw - ideal| / bound = %.3f\n", checked, worst);
}

/* ANT's 8-bit fallback on the two ANT datapaths (docs/pe.md): ant-int8 codes (|u| <= 128) times
 * ant-int8 or 4-bit codes accumulate exactly in int64 (and fit the RTL's int32 for K <= 2^17); in the
 * FP16 x INT8 datapath u x fp16 is exact in fp32 (<= 8 + 11 significant bits). Hardware-exact stays
 * within the bound of ideal, weights forced to 8 bits, activations 8 or 4 bits (W4A4), K up to 4096. */
static void ant_int8_datapaths(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("ant_int8_datapaths", 21));
    long checked = 0;
    int minus128 = 0;
    for (int trial = 0; trial < 48; trial++) {
        const int wo = trial % 3 == 2;                /* weight-only: ant-w4a16 */
        const PeKindId kind = wo ? PE_ANT_W4A16 : PE_ANT;
        int M = 1 + (int)mp_rng_below(&r, 3), N = 1 + (int)mp_rng_below(&r, 4);
        int K = trial % 8 == 0 ? 4096 : 1 + (int)mp_rng_below(&r, 600);
        QParams wq = {QS_ANT, 0, 0, 0, BM_ERR_FP16, 0, ANT_FB_INT8, 0};
        QParams xq = wo ? (QParams){QS_FP16, 0, 0, 0, BM_ERR_FP16, 0, ANT_FB_OFF, 0}
                        : (QParams){QS_ANT, 0, 0, 1, BM_ERR_FP16, 0, trial % 2 ? ANT_FB_INT8 : ANT_FB_OFF, 0};
        float *w = tu_matrix(&r, N, K, K > 8 ? 2 : 0, 30), *x = tu_matrix(&r, M, K, K > 8 ? 3 : 0, 50);
        QMat qw, qx;
        MpErr e = {0};
        if (quant_matrix(&wq, w, N, K, &qw, &e) || quant_matrix(&xq, x, M, K, &qx, &e))
            fail_msg("%s", e.msg);
        assert_int_equal(qw.fmt, FMT_ANT_INT8);
        float *yh = malloc((size_t)M * N * sizeof *yh);
        double *yi = malloc((size_t)M * N * sizeof *yi);
        if (golden_gemm_hw(kind, &qw, &qx, yh, &e) || golden_gemm_ideal(&qw, &qx, yi, &e))
            fail_msg("%s", e.msg);
        for (int i = 0; i < N * K; i++) {
            assert_true(qw.u[i] >= -128 && qw.u[i] <= 127);
            minus128 += qw.u[i] == -128;
        }
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double d = fabs((double)yh[m * N + n] - yi[m * N + n]);
                double b = golden_error_bound(kind, &qw, n, &qx, m);
                if (d > b)
                    fail_msg("%s K=%d (%d,%d): |hw - ideal| = %g > bound %g", pe_kind_names[kind], K, m, n, d, b);
                GoldenAcc a;
                golden_acc_reset(&a);
                golden_acc_run(kind, &a, &qw, n, &qx, m, 0, K);
                if (!wo) {
                    int64_t s = 0, bound = 0;
                    for (int k = 0; k < K; k++) {
                        s += (int64_t)qw.u[n * K + k] * qx.u[m * K + k];
                        bound += 128 * (int64_t)llabs(qx.u[m * K + k]);
                    }
                    assert_true(a.iacc == s);
                    assert_true(bound < ((int64_t)1 << 31)); /* |sum| <= 128 * 128 * K < 2^31 */
                } else
                    for (int k = 0; k < K; k++) { /* each product exact in fp32 */
                        double xv = (double)fp16_to_f32((uint16_t)qx.u[m * K + k]);
                        float p = (float)qw.u[n * K + k] * (float)xv;
                        assert_true((double)p == (double)qw.u[n * K + k] * xv);
                    }
                checked++;
            }
        free(yh);
        free(yi);
        free(w);
        free(x);
        quant_free(&qw);
        quant_free(&qx);
    }
    assert_true(minus128 > 0); /* the row minimum of a row with a negative extreme is -128 */
    printf("# %ld outputs checked\n", checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_mixpe),
        cmocka_unit_test(hand_bitmod),
        cmocka_unit_test(hand_fp16_int),
        cmocka_unit_test(random_gemms),
        cmocka_unit_test(ant_int8_datapaths),
    };
    return cmocka_run_group_tests_name("golden", tests, NULL, NULL);
}
