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
    const char *bad[] = {"", "speed", "latency,latency", ","};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        MpErr e2 = {0};
        assert_int_equal(pareto_parse_objectives(bad[i], objs, &n, &e2), MP_EINPUT);
        assert_true(e2.msg[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_made_2d),   cmocka_unit_test(ties_stay),
        cmocka_unit_test(nan_is_worst),   cmocka_unit_test(one_objective),
        cmocka_unit_test(random_vs_brute_force), cmocka_unit_test(parse_objectives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
