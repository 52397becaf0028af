/* tests/test_pareto.c — Pareto fronts (dse/pareto.c): hand-made points with known fronts, ties,
 * NaN, one objective, and random point sets against a brute-force O(n^2) front. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/rng.h"
#include "dse/pareto.h"
#include "dse/report.h"
#include "testutil.h"

static void front_of(const double *v, int n, int nobj, unsigned char *on, int want_n)
{
    int nf = pareto_front(v, n, nobj, on);
    assert_int_equal(nf, want_n);
}

static void hand_made_2d(void **state)
{
    (void)state;
    /* (latency, energy): A(1,9) B(2,5) C(3,6) dominated by B, D(4,2) E(5,2) dominated by D, F(9,1) */
    const double v[] = {1, 9, 2, 5, 3, 6, 4, 2, 5, 2, 9, 1};
    unsigned char on[6];
    front_of(v, 6, 2, on, 4);
    const unsigned char want[6] = {1, 1, 0, 1, 0, 1};
    assert_memory_equal(on, want, 6);
}

static void ties_stay(void **state)
{
    (void)state;
    /* two equal points are both on the front; a third equal in one objective and worse in the other is not */
    const double v[] = {2, 3, 2, 3, 2, 4, 1, 5};
    unsigned char on[4];
    front_of(v, 4, 2, on, 3);
    const unsigned char want[4] = {1, 1, 0, 1};
    assert_memory_equal(on, want, 4);
}

static void nan_is_worst(void **state)
{
    (void)state;
    /* accuracy missing (NaN) on point 1: point 0 equal elsewhere and with a value dominates it */
    const double v[] = {1, 1, -20, 1, 1, NAN, 2, 2, NAN};
    unsigned char on[3];
    front_of(v, 3, 3, on, 1);
    assert_int_equal(on[0], 1);
    assert_int_equal(on[1], 0);
    assert_int_equal(on[2], 0);
    assert_true(pareto_dominates(v, v + 3, 3));
    assert_false(pareto_dominates(v + 3, v, 3));
}

static void one_objective(void **state)
{
    (void)state;
    const double v[] = {3, 1, 2, 1, 5};
    unsigned char on[5];
    front_of(v, 5, 1, on, 2);
    const unsigned char want[5] = {0, 1, 0, 1, 0};
    assert_memory_equal(on, want, 5);
    assert_int_equal(pareto_front(v, 0, 1, on), 0);
}

static void random_vs_brute_force(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("random_vs_brute_force", 11));
    enum { N = 300 };
    double v[N * 4];
    unsigned char on[N];
    for (int trial = 0; trial < 40; trial++) {
        int nobj = 1 + trial % 4, n = 1 + (int)mp_rng_below(&r, N);
        for (int i = 0; i < n * nobj; i++) /* few distinct values: many ties */
            v[i] = (double)mp_rng_below(&r, 8) - (mp_rng_below(&r, 50) == 0 ? NAN : 0);
        int nf = pareto_front(v, n, nobj, on), count = 0;
        for (int i = 0; i < n; i++) {
            int dominated = 0;
            for (int j = 0; j < n && !dominated; j++)
                dominated = pareto_dominates(v + (size_t)j * nobj, v + (size_t)i * nobj, nobj);
            if (on[i] != !dominated)
                fail_msg("trial %d: point %d on_front %d, brute force says %d", trial, i, on[i], !dominated);
            count += !dominated;
        }
        assert_int_equal(nf, count);
    }
}

static void parse_objectives(void **state)
{
    (void)state;
    int objs[PARETO_NOBJ], n = 0;
    MpErr e = {0};
    assert_int_equal(pareto_parse_objectives("accuracy,latency", objs, &n, &e), MP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(objs[0], PARETO_ACCURACY);
    assert_int_equal(objs[1], PARETO_LATENCY);
    assert_int_equal(pareto_parse_objectives("latency,energy,area,accuracy", objs, &n, &e), MP_OK);
    assert_int_equal(n, 4);
    /* the request objectives */
    assert_int_equal(pareto_parse_objectives("ttft,tpot,tokens_per_s,j_per_token", objs, &n, &e), MP_OK);
    assert_int_equal(n, 4);
    assert_int_equal(objs[0], PARETO_TTFT);
    assert_int_equal(objs[1], PARETO_TPOT);
    assert_int_equal(objs[2], PARETO_TOKENS_PER_S);
    assert_int_equal(objs[3], PARETO_J_PER_TOKEN);
    assert_int_equal(pareto_parse_objectives("latency,energy,area,accuracy,ttft,tpot,tokens_per_s,j_per_token", objs,
                                             &n, &e),
                     MP_OK);
    assert_int_equal(n, PARETO_NOBJ);
    const char *bad[] = {"", "speed", "latency,latency", ",", "tpot,tpot", "j/token"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        MpErr e2 = {0};
        assert_int_equal(pareto_parse_objectives(bad[i], objs, &n, &e2), MP_EINPUT);
        assert_true(e2.msg[0] != '\0');
    }
}

/* Request rows' objectives: TTFT, TPOT, J/token minimised, tokens/s negated (maximised); NaN (worst)
 * for a row that is no request. A front over (tpot, j_per_token) and one over tokens/s alone. */
static void request_objectives(void **state)
{
    (void)state;
    DbPoint p[4];
    memset(p, 0, sizeof p);
    const double tpot[] = {2, 1, 3, 0}, jpt[] = {1, 2, 3, 0}, tps[] = {10, 20, 5, 0};
    for (int i = 0; i < 3; i++) {
        p[i].has_request = 1;
        p[i].ttft_s = 5 + i;
        p[i].tpot_s = tpot[i];
        p[i].j_per_token = jpt[i];
        p[i].tokens_per_s = tps[i];
    }
    p[3].seconds = 0.5; /* a decode row: no request figures */
    const int objs[] = {PARETO_TPOT, PARETO_J_PER_TOKEN, PARETO_TOKENS_PER_S, PARETO_TTFT};
    double v[4 * 4];
    for (int i = 0; i < 4; i++)
        report_objectives(&p[i], objs, 4, v + 4 * i);
    assert_true(v[0] == 2 && v[1] == 1 && v[2] == -10 && v[3] == 5);
    for (int j = 0; j < 4; j++)
        assert_true(isnan(v[12 + j]));
    double two[4 * 2];
    for (int i = 0; i < 4; i++)
        report_objectives(&p[i], objs, 2, two + 2 * i);
    unsigned char on[4];
    front_of(two, 4, 2, on, 2); /* (2,1) and (1,2); (3,3) and the NaN row dominated */
    const unsigned char want[4] = {1, 1, 0, 0};
    assert_memory_equal(on, want, 4);
    double one[4];
    for (int i = 0; i < 4; i++)
        report_objectives(&p[i], objs + 2, 1, one + i);
    front_of(one, 4, 1, on, 1); /* the most tokens/s */
    assert_int_equal(on[1], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_made_2d),   cmocka_unit_test(ties_stay),
        cmocka_unit_test(nan_is_worst),   cmocka_unit_test(one_objective),
        cmocka_unit_test(random_vs_brute_force), cmocka_unit_test(parse_objectives),
        cmocka_unit_test(request_objectives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
