/* tests/test_sweep_shape.c — the sweep spec's shape axes (dse/sweep.c: arch.pes, arch.aspect):
 * sweep_shape's exact shapes, ties and refusals, the PE count kept (the base's by default), labels
 * and params, invalid design points with their reason, and bad values rejected at FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dse/sweep.h"
#include "dse/sweeprun.h"

static SweepPlan *load_ok(const char *text)
{
    SweepPlan *p = NULL;
    MpErr e = {0};
    int rc = sweep_plan_load_string("t.ini", text, ".", &p, &e);
    if (rc != MP_OK)
        fail_msg("spec rejected: %s\n%s", e.msg, text);
    return p;
}

static void expect_shape(int64_t pes, double aspect, int rows, int cols)
{
    int r = 0, c = 0;
    MpErr e = {0};
    if (sweep_shape(pes, aspect, &r, &c, &e) != MP_OK)
        fail_msg("%lld PEs at aspect %g: %s", (long long)pes, aspect, e.msg);
    if (r != rows || c != cols)
        fail_msg("%lld PEs at aspect %g: %dx%d, wanted %dx%d", (long long)pes, aspect, r, c, rows, cols);
}

static void expect_no_shape(int64_t pes, double aspect, const char *detail)
{
    int r = -1, c = -1;
    MpErr e = {0};
    assert_int_equal(sweep_shape(pes, aspect, &r, &c, &e), MP_EINPUT);
    assert_int_equal(r, -1); /* untouched */
    if (!strstr(e.msg, detail))
        fail_msg("%lld PEs at aspect %g: '%s' lacks '%s'", (long long)pes, aspect, e.msg, detail);
}

static void exact_shapes(void **state)
{
    (void)state;
    /* 1024 = 2^10: the even powers of two are exact */
    expect_shape(1024, 1, 32, 32);
    expect_shape(1024, 4, 64, 16);
    expect_shape(1024, 16, 128, 8);
    expect_shape(1024, 0.25, 16, 64); /* wide: rows < cols */
    expect_shape(1024, 3, 64, 16);    /* 64x16 is 4/3x away, 32x32 3x */
    /* iso/bitmod-w4's 32x35 = 1120 PEs: the nearest divisor pair by ratio */
    expect_shape(1120, 1, 32, 35);    /* 35x32 is as near: fewer rows */
    expect_shape(1120, 2, 40, 28);    /* 40x28 = 1.43 and 56x20 = 2.8 are both 1.4x away: the squarer */
    expect_shape(1120, 4, 70, 16);    /* 4.375 */
    expect_shape(1120, 8, 80, 14);    /* 5.71 (1.4x) beats 140x8 = 17.5 (2.19x) */
    expect_shape(1120, 16, 140, 8);
    /* iso/olive's 32x48 = 1536 PEs (3 x 2^9): no square, 1.5x away either way */
    expect_shape(1536, 1, 32, 48);
    expect_shape(1536, 2, 48, 32);
    expect_shape(1536, 16, 128, 12);  /* 10.7 and 192x8 = 24 are both 1.5x away: the squarer */
    /* iso/int8's 64x48 = 3072 PEs */
    expect_shape(3072, 8, 128, 24);
    /* the schema's bounds: 4096 x 4096 is the largest array; 1 x N and N x 1 are arrays */
    expect_shape(16777216, 1, 4096, 4096);
    expect_shape(4096, 4096, 4096, 1);
    expect_shape(4096, 1.0 / 4096, 1, 4096);
    expect_shape(1, 1, 1, 1);
    expect_shape(7, 7, 7, 1);
}

static void refused_shapes(void **state)
{
    (void)state;
    /* 2x or more away: 1024 PEs have no aspect 2 or 8 (32x32 / 64x16 and 64x16 / 128x8 are 2x away) */
    expect_no_shape(1024, 2, "no array of 1024 PEs within 2x of aspect 2 (the nearest: 32x32, aspect 1)");
    expect_no_shape(1024, 8, "the nearest: 64x16, aspect 4");
    /* a prime: 1021x1 and 1x1021 only */
    expect_no_shape(1021, 4, "the nearest: 1021x1");
    expect_no_shape(1021, 1, "within 2x of aspect 1");
    /* a prime above 4096: no edge fits [1, 4096] */
    expect_no_shape(4099, 1, "no rows x cols = 4099 PEs with rows and cols in [1, 4096]");
    expect_no_shape(16777217, 1, "with rows and cols in [1, 4096]");
    expect_no_shape(0, 1, "no array of 0 PEs");
    expect_no_shape(1024, 0, "at aspect 0");
}

/* Every shape it gives has exactly the PE count asked, within the bounds, within 2x of the aspect. */
static void pe_count_kept(void **state)
{
    (void)state;
    static const double aspects[] = {1.0 / 64, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 16, 32, 100};
    int shapes = 0;
    for (int64_t pes = 1; pes <= 5000; pes += pes < 64 ? 1 : 37)
        for (size_t i = 0; i < sizeof aspects / sizeof aspects[0]; i++) {
            int r = 0, c = 0;
            MpErr e = {0};
            if (sweep_shape(pes, aspects[i], &r, &c, &e) != MP_OK)
                continue;
            shapes++;
            assert_true((int64_t)r * c == pes);
            assert_true(r >= 1 && r <= 4096 && c >= 1 && c <= 4096);
            double got = (double)r / c, off = got > aspects[i] ? got / aspects[i] : aspects[i] / got;
            assert_true(off < 2);
        }
    assert_true(shapes > 500);
}

static void aspect_axis(void **state)
{
    (void)state;
    /* arch.aspect alone: each base at its own rows x cols */
    SweepPlan *p = load_ok("[sweep]\nbase = iso/fp16, iso/bitmod-w4\n[params]\narch.aspect = 1, 4, 16\n"
                           "[workload]\nmodels = tiny\nphases = decode\n");
    assert_int_equal(p->ndesign, 6);
    assert_int_equal(p->nparam, 1);
    assert_int_equal(p->param[0].axis, SWEEP_AXIS_ASPECT);
    assert_int_equal(p->param[0].row, -1);
    assert_string_equal(p->param[0].name, "arch.aspect");
    static const int want[6][2] = {{32, 32}, {64, 16}, {128, 8}, {32, 35}, {70, 16}, {140, 8}};
    for (int d = 0; d < 6; d++) {
        ArchConfig c;
        char label[256], params[256];
        MpErr e = {0};
        assert_int_equal(sweep_design(p, d, &c, label, sizeof label, params, sizeof params, NULL, &e), MP_OK);
        assert_int_equal(c.rows, want[d][0]);
        assert_int_equal(c.cols, want[d][1]);
        const ArchConfig *b = &p->base[d / 3];
        assert_int_equal(c.rows * c.cols, b->rows * b->cols); /* the base's PE count */
        if (d == 4) {
            assert_string_equal(label, "iso/bitmod-w4{aspect=4:70x16}");
            assert_string_equal(params, "arch.aspect=4");
            assert_string_equal(c.name, label);
        }
    }
    sweep_plan_free(p);
}

static void pes_and_other_keys(void **state)
{
    (void)state;
    /* arch.pes and arch.aspect with another key between them: file order, the last varies fastest */
    SweepPlan *p = load_ok("[sweep]\nbase = iso/fp16\n[params]\narch.pes = 512, 4096\n"
                           "sram.weight_kib = 256, 512\narch.aspect = 0.5..8 *2\n"
                           "[workload]\nmodels = tiny\nphases = decode\n");
    assert_int_equal(p->nparam, 3);
    assert_int_equal(p->param[2].nvalues, 5);
    assert_string_equal(p->param[2].values[0], "0.5");
    assert_int_equal(p->ndesign, 2 * 2 * 5);
    ArchConfig c;
    char label[256], params[256];
    MpErr e = {0};
    /* design 1: pes 512, 256 KiB, aspect 1 -> 512 = 2^9 has no square: 2x away */
    assert_int_equal(sweep_design(p, 1, &c, label, sizeof label, params, sizeof params, NULL, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "no array of 512 PEs within 2x of aspect 1"));
    assert_string_equal(label, "iso/fp16{pes=512,weight_kib=256,aspect=1}"); /* no shape: none given */
    /* design 2: aspect 2 -> 32x16 */
    mp_err_clear(&e);
    assert_int_equal(sweep_design(p, 2, &c, label, sizeof label, params, sizeof params, NULL, &e), MP_OK);
    assert_int_equal(c.rows, 32);
    assert_int_equal(c.cols, 16);
    assert_string_equal(label, "iso/fp16{pes=512,weight_kib=256,aspect=2:32x16}");
    assert_string_equal(params, "arch.pes=512 sram.weight_kib=256 arch.aspect=2");
    /* the last design: pes 4096, 512 KiB, aspect 8 -> 4096 = 2^12 has no aspect 8 */
    mp_err_clear(&e);
    assert_int_equal(sweep_design(p, p->ndesign - 1, &c, NULL, 0, NULL, 0, NULL, &e), MP_EINPUT);
    /* pes 4096, 512 KiB, aspect 4 -> 128x32 */
    mp_err_clear(&e);
    assert_int_equal(sweep_design(p, p->ndesign - 2, &c, NULL, 0, NULL, 0, NULL, &e), MP_OK);
    assert_int_equal(c.rows, 128);
    assert_int_equal(c.cols, 32);
    assert_int_equal(c.sram_weight_kib, 512);
    sweep_plan_free(p);

    /* arch.pes alone: the base's aspect (iso/fp16 is 64x16, aspect 4) */
    p = load_ok("[sweep]\nbase = iso/fp16\n[params]\narch.pes = 256, 4096\n[workload]\nmodels = tiny\n");
    mp_err_clear(&e);
    assert_int_equal(sweep_design(p, 1, &c, label, sizeof label, NULL, 0, NULL, &e), MP_OK);
    assert_int_equal(c.rows, 128);
    assert_int_equal(c.cols, 32);
    assert_string_equal(label, "iso/fp16{pes=4096:128x32}");
    sweep_plan_free(p);

    /* a dry run counts the invalid points and the duplicates: aspect 1 and 1.2 are both 32x32 */
    p = load_ok("[sweep]\nbase = iso/fp16\n[params]\narch.aspect = 1, 1.2, 2, 4\n[workload]\nmodels = tiny\n");
    SweepRunOpts o = {1, 0, 1, -1, 0, 1};
    SweepStats st;
    mp_err_clear(&e);
    assert_int_equal(sweep_run(p, "/nonexistent/dir/x.db", &o, &st, &e), MP_OK);
    assert_int_equal(st.rows, 4);
    assert_int_equal(st.invalid, 1); /* aspect 2 */
    assert_int_equal(st.duplicate, 1);
    assert_int_equal(st.todo, 2);
    sweep_plan_free(p);
}

/* A spec that must fail with "t.ini:LINE: " and a detail. */
static void expect_bad(const char *text, int line, const char *detail)
{
    SweepPlan *p = NULL;
    MpErr e = {0};
    int rc = sweep_plan_load_string("t.ini", text, ".", &p, &e);
    if (rc != MP_EINPUT)
        fail_msg("wanted MP_EINPUT, got %d (%s) for:\n%s", rc, e.msg, text);
    assert_null(p);
    char want[32];
    snprintf(want, sizeof want, "t.ini:%d: ", line);
    if (strncmp(e.msg, want, strlen(want)) != 0 || !strstr(e.msg, detail))
        fail_msg("message '%s' lacks '%s' ... '%s' for:\n%s", e.msg, want, detail, text);
}

#define HEAD "[sweep]\nbase = iso/fp16\n[params]\n" /* lines 1-3 */
#define WL "[workload]\nmodels = tiny\n"

static void bad_values(void **state)
{
    (void)state;
    expect_bad(HEAD "arch.aspect = 1, 0\n" WL, 4, "[params] arch.aspect: '0': 0 is out of range");
    expect_bad(HEAD "arch.aspect = -4\n" WL, 4, "-4 is out of range");
    expect_bad(HEAD "arch.aspect = 1, 5000\n" WL, 4, "5000 is out of range [0.000244141, 4096] rows per column");
    expect_bad(HEAD "arch.aspect = tall\n" WL, 4, "'tall' is not a number");
    expect_bad(HEAD "arch.aspect = 1:4\n" WL, 4, "'1:4' is not a number");
    expect_bad(HEAD "arch.aspect = nan\n" WL, 4, "'nan' is not a number");
    expect_bad(HEAD "arch.aspect = 2, 2.0\n" WL, 4, "value 2 is listed twice");
    expect_bad(HEAD "arch.aspect = 1..16\n" WL, 4, "needs a step");
    expect_bad(HEAD "arch.aspect = 16..1 *2\n" WL, 4, "is empty (start > end)");
    expect_bad(HEAD "arch.aspect = *\n" WL, 4, "applies to names and booleans only");
    expect_bad(HEAD "arch.aspect =\n" WL, 4, "[params] arch.aspect: empty list");
    expect_bad(HEAD "arch.aspect = 1\narch.aspect = 2\n" WL, 5, "duplicate key 'arch.aspect'");
    expect_bad(HEAD "arch.pes = 0\n" WL, 4, "[params] arch.pes: '0': 0 is out of range [1, 16777216] PEs");
    expect_bad(HEAD "arch.pes = 16777217\n" WL, 4, "out of range [1, 16777216] PEs");
    expect_bad(HEAD "arch.pes = 1024.5\n" WL, 4, "'1024.5' is not an integer");
    expect_bad(HEAD "arch.pes = 1024, 1024\n" WL, 4, "value 1024 is listed twice");
    expect_bad(HEAD "arch.pes = 512..2048 *1\n" WL, 4, "factor must be > 1");
    expect_bad(HEAD "arch.shape = 32x32\n" WL, 4, "unknown key 'arch.shape' in [params]");
    /* the shape axes set rows and cols: not with arch.rows / arch.cols, whichever comes first */
    expect_bad(HEAD "arch.rows = 16, 32\narch.aspect = 1, 4\n" WL, 5,
               "[params] arch.aspect: arch.pes and arch.aspect set arch.rows and arch.cols: sweep the shape or "
               "the edges, not both (arch.rows is on line 4)");
    expect_bad(HEAD "arch.pes = 1024\nsram.banks = 4\narch.cols = 16\n" WL, 6,
               "[params] arch.cols: arch.pes and arch.aspect set arch.rows and arch.cols");
    expect_bad(HEAD "arch.cols = 16\narch.rows = 16\narch.pes = 256\n" WL, 6, "(arch.cols is on line 4)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_shapes),      cmocka_unit_test(refused_shapes), cmocka_unit_test(pe_count_kept),
        cmocka_unit_test(aspect_axis),       cmocka_unit_test(pes_and_other_keys), cmocka_unit_test(bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
