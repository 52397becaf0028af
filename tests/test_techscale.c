/* tests/test_techscale.c — the technology scaling table (sim/techscale.c): the 28 nm row is the
 * identity, every row has a source and says whether it is an extrapolation, factors fall with the
 * node, every factor is what the stated rule gives from the published Stillmaker & Baas coefficients,
 * factors between two nodes are ratios of rows, [energy] node_nm is validated with FILE:LINE messages,
 * and docs/energy.md holds the code's table row for row.
 *
 * `build/tests/test_techscale --print-doc-table` prints the table of docs/energy.md, "Technology
 * scaling"; the test doc_has_the_table fails when the doc and the code disagree. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "sim/config.h"
#include "sim/energy.h"
#include "sim/techscale.h"

#define DOC_PATH MPSIM_DATADIR "/docs/energy.md"

static char tmpdir[] = "/tmp/mpsim_techscale_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }

static const char *put(const char *name, const char *text) { return tu_put(tmpdir, name, text); }

/* ---- the table itself ---- */

static void reference_row_is_identity(void **state)
{
    (void)state;
    const TechScaleRow *r = techscale_find(28);
    assert_non_null(r);
    assert_ptr_equal(r, &techscale_rows[0]);
    assert_true(r->area == 1 && r->energy == 1 && r->leak == 1 && r->delay == 1);
    assert_false(r->extrapolated);
    assert_null(techscale_find(10)); /* only the nodes of the table */
    assert_null(techscale_find(0));
}

static void rows_have_sources_and_fall_with_the_node(void **state)
{
    (void)state;
    assert_int_equal(techscale_nrows, 5);
    static const int nodes[] = {28, 16, 7, 5, 4};
    for (int i = 0; i < techscale_nrows; i++) {
        const TechScaleRow *r = &techscale_rows[i];
        assert_int_equal(r->node_nm, nodes[i]);
        if (!r->source || strlen(r->source) < 10)
            fail_msg("%d nm: no source", r->node_nm);
        /* beyond 7 nm no source reaches: those rows and only those are extrapolations, and say so */
        if (r->extrapolated != (r->node_nm < 7))
            fail_msg("%d nm: extrapolated = %d", r->node_nm, r->extrapolated);
        if (r->extrapolated != (strstr(r->source, "extrapolation") != NULL))
            fail_msg("%d nm: the source line must name an extrapolation as one: %s", r->node_nm, r->source);
        if (i == 0)
            continue;
        const TechScaleRow *p = &techscale_rows[i - 1];
        if (!(r->area < p->area && r->energy < p->energy && r->leak < p->leak && r->delay < p->delay))
            fail_msg("%d nm: a factor does not fall below %d nm's", r->node_nm, p->node_nm);
        if (!(r->area > 0 && r->energy > 0 && r->leak > 0 && r->delay > 0))
            fail_msg("%d nm: factors must be > 0", r->node_nm);
        /* SRAM: no larger than the node before, and scaled less than logic (the bitcell has shrunk
         * slower than the logic gates since 16 nm) */
        if (!(r->sram_area <= p->sram_area && r->sram_area >= r->area))
            fail_msg("%d nm: sram_area %.4f against %d nm's %.4f and logic %.4f", r->node_nm, r->sram_area,
                     p->node_nm, p->sram_area, r->area);
    }
    /* the bitcells of sim/techscale.c over 28 nm's 0.127 um2 */
    static const struct {
        int nm;
        double cell_um2;
    } cells[] = {{28, 0.127}, {16, 0.070}, {7, 0.027}, {5, 0.021}, {4, 0.021}};
    for (int i = 0; i < 5; i++)
        assert_true(fabs(techscale_find(cells[i].nm)->sram_area - cells[i].cell_um2 / 0.127) < 1e-12);
}

/* Stillmaker & Baas (Integration 58, 2017), high-performance fits: delay = a3 V^3 + a2 V^2 + a1 V + a0,
 * energy = b2 V^2 + b1 V + b0, power = c2 V^2 + c1 V + c0 (coefficients as tabulated in the paper and in
 * UCLA NanoCAD's nodeScale), and their area factors from 32 nm. Evaluated at each node's nominal Vdd. */
typedef struct {
    int nm;
    double vdd, area_from_32, d[4], en[3], p[3];
} SbNode;
static const SbNode SB[] = {
    {32, 0.90, 1.00, {-1047, 2982, -2797, 873.5}, {0.8367, -0.4341, 0.1701}, {4001, -1733, 533.6}},
    {20, 0.90, 0.46, {0, 34.63, -66.37, 41.15}, {0.373, -0.1582, 0.04104}, {2922, -1286, 299.9}},
    {16, 0.85, 0.41, {0, 24.8, -47.52, 28.87}, {0.2958, -0.1241, 0.03024}, {2133, -882.6, 197.7}},
    {10, 0.75, 0.22, {-34.95, 93.65, -85.99, 30.4}, {0.2068, -0.09311, 0.02375}, {1456, -621.6, 143.8}},
    {7, 0.70, 0.13, {-28.58, 76.6, -70.26, 24.69}, {0.1776, -0.09097, 0.02447}, {1179, -515.7, 123.4}},
};

/* area, energy, power, delay of a node */
static void sb_eval(const SbNode *n, double out[4])
{
    const double v = n->vdd;
    out[0] = n->area_from_32;
    out[1] = n->en[0] * v * v + n->en[1] * v + n->en[2];
    out[2] = n->p[0] * v * v + n->p[1] * v + n->p[2];
    out[3] = n->d[0] * v * v * v + n->d[1] * v * v + n->d[2] * v + n->d[3];
}

static const SbNode *sb_node(int nm)
{
    for (size_t i = 0; i < sizeof SB / sizeof SB[0]; i++)
        if (SB[i].nm == nm)
            return &SB[i];
    return NULL;
}

/* The rule of docs/energy.md: 28 nm = 32 nm x (20 nm / 32 nm)^(4/12); a node's factor = its value / 28 nm's;
 * 5 and 4 nm continue the 10 -> 7 nm trend: f(n) = f(7) x (f(7) / f(10))^((7 - n) / 3). */
static void derive(int nm, double f[4])
{
    double v32[4], v20[4], r28[4];
    sb_eval(sb_node(32), v32);
    sb_eval(sb_node(20), v20);
    for (int k = 0; k < 4; k++)
        r28[k] = v32[k] * pow(v20[k] / v32[k], 4.0 / 12.0);
    if (nm == 28) {
        for (int k = 0; k < 4; k++)
            f[k] = 1;
        return;
    }
    if (nm < 7) {
        double f7[4], f10[4];
        derive(7, f7);
        derive(10, f10);
        for (int k = 0; k < 4; k++)
            f[k] = f7[k] * pow(f7[k] / f10[k], (7.0 - nm) / 3.0);
        return;
    }
    double v[4];
    sb_eval(sb_node(nm), v);
    for (int k = 0; k < 4; k++)
        f[k] = v[k] / r28[k];
}

static void factors_follow_the_published_coefficients(void **state)
{
    (void)state;
    /* the fits reproduce the paper's erratum example: 32 nm at 0.9 V, energy factor 0.4571 */
    double v32[4];
    sb_eval(sb_node(32), v32);
    assert_true(fabs(v32[1] - 0.4571) < 5e-5);
    for (int i = 0; i < techscale_nrows; i++) {
        const TechScaleRow *r = &techscale_rows[i];
        double f[4];
        derive(r->node_nm, f);
        const double got[4] = {r->area, r->energy, r->leak, r->delay};
        static const char *const what[4] = {"area", "energy", "leakage", "delay"};
        for (int k = 0; k < 4; k++)
            if (fabs(got[k] - f[k]) > 5e-5 + 1e-12) /* the table keeps 4 decimals */
                fail_msg("%d nm %s: table %.4f, the rule gives %.6f", r->node_nm, what[k], got[k], f[k]);
    }
}

static void factors_between_nodes(void **state)
{
    (void)state;
    TechScaleRow f;
    assert_int_equal(techscale_between(28, 7, &f), 0);
    const TechScaleRow *r7 = techscale_find(7), *r16 = techscale_find(16);
    assert_true(f.area == r7->area && f.energy == r7->energy && f.leak == r7->leak && f.delay == r7->delay);
    assert_int_equal(f.node_nm, 7);
    assert_int_equal(techscale_between(16, 7, &f), 0);
    assert_true(fabs(f.area - r7->area / r16->area) < 1e-15);
    assert_true(fabs(f.energy - r7->energy / r16->energy) < 1e-15);
    assert_int_equal(techscale_between(28, 4, &f), 0);
    assert_true(f.extrapolated);
    /* the same node: identity, with or without a row */
    assert_int_equal(techscale_between(22, 22, &f), 0);
    assert_true(f.area == 1 && f.energy == 1 && f.leak == 1 && f.delay == 1);
    assert_int_equal(techscale_between(22, 7, &f), -1);
    assert_true(f.area == 1 && f.energy == 1);
    assert_int_equal(techscale_between(28, 10, &f), -1);
    char list[64];
    techscale_node_list(list, sizeof list);
    assert_string_equal(list, "28, 16, 7, 5, 4");
}

/* ---- [energy] node_nm in a config ---- */

static void expect_fault(const char *path, int line, const char *detail)
{
    ArchConfig c;
    MpErr e = {0};
    int rc = config_load(path, &c, NULL, NULL, 0, &e);
    tu_expect_line_error(rc, e.msg, path, line, detail);
}

static void config_key(void **state)
{
    (void)state;
    ArchConfig c;
    MpErr e = {0};
    assert_int_equal(config_load(put("n0.ini", "[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n"), &c, NULL, NULL, 0, &e),
                     MP_OK);
    assert_int_equal(c.node_nm, 28); /* the default: the 28 nm table's own node */
    assert_int_equal(config_load(put("n7.ini", "[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n[energy]\nnode_nm = 7\n"),
                                 &c, NULL, NULL, 0, &e),
                     MP_OK);
    assert_int_equal(c.node_nm, 7);
    /* a node without a row: FILE:LINE on the key's line */
    expect_fault(put("n10.ini", "[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n[energy]\nnode_nm = 10\n\n"), 6,
                 "[energy] node_nm = 10: no technology scaling row for it (nodes: 28, 16, 7, 5, 4 nm)");
    expect_fault(put("n3.ini", "[energy]\nnode_nm = 3\n[arch]\npe_kind = int8\nrows = 2\ncols = 2\n"), 2,
                 "[energy] node_nm = 3: no technology scaling row");
    expect_fault(put("nx.ini", "[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n[energy]\nnode_nm = 7nm\n"), 6,
                 "[energy] node_nm");
    expect_fault(put("nneg.ini", "[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n[energy]\nnode_nm = 0\n"), 6,
                 "[energy] node_nm: 0 is out of range");
    /* --set: the same check, naming --set; the config is unchanged on failure */
    assert_int_equal(config_load("iso/fp16", &c, NULL, NULL, 0, &e), MP_OK);
    assert_int_equal(config_apply_sets(&c, "energy.node_nm=12", &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "--set: [energy] node_nm = 12: no technology scaling row"));
    assert_int_equal(c.node_nm, 28);
    mp_err_clear(&e);
    assert_int_equal(config_apply_sets(&c, "energy.node_nm=5", &e), MP_OK);
    assert_int_equal(c.node_nm, 5);
}

/* A hand-made table for another node: scaling from it needs a row for it. */
static void energy_needs_a_row_for_the_table(void **state)
{
    (void)state;
    TechTable t;
    ArchConfig c;
    MpErr e = {0};
    assert_int_equal(config_load("iso/fp16", &c, NULL, NULL, 0, &e), MP_OK);
    assert_int_equal(energy_tech_load(c.tech, &t, NULL, 0, &e), MP_OK);
    TechScaleRow f;
    c.node_nm = 16;
    assert_int_equal(energy_node_factors(&t, &c, &f, &e), MP_OK);
    assert_true(f.energy == techscale_find(16)->energy);
    t.node_nm = 22; /* no row for 22 nm */
    assert_int_equal(energy_node_factors(&t, &c, &f, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "no technology scaling from 22 nm"));
    mp_err_clear(&e);
    SimEvents ev;
    memset(&ev, 0, sizeof ev);
    EnergyBreakdown b;
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_EINPUT);
    mp_err_clear(&e);
    c.node_nm = 22; /* its own node: nothing to scale */
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_OK);
}

/* ---- docs/energy.md ---- */

static void doc_row(int i, char *out, size_t cap)
{
    const TechScaleRow *r = &techscale_rows[i];
    snprintf(out, cap, "| %d nm | %.4f | %.4f | %.4f | %.4f | %.3f | %.4f | %s | %s |", r->node_nm, r->area,
             r->energy, r->leak, r->delay, 1 / r->delay, r->sram_area, r->extrapolated ? "**yes**" : "no", r->source);
}

static void doc_has_the_table(void **state)
{
    (void)state;
    static char doc[1 << 17];
    if (tu_slurp(DOC_PATH, doc, sizeof doc) < 0)
        fail_msg("%s is missing", DOC_PATH);
    tu_table_in_doc(doc, DOC_PATH, doc_row, techscale_nrows, "build/tests/test_techscale --print-doc-table");
    /* and no row the code lacks */
    int rows = 0;
    for (const char *p = strstr(doc, "\n| "); p; p = strstr(p + 1, "\n| ")) {
        int nm;
        double a;
        if (sscanf(p, "\n| %d nm | %lf |", &nm, &a) == 2) {
            if (!techscale_find(nm))
                fail_msg("%s: a scaling row for %d nm, which the code does not have", DOC_PATH, nm);
            rows++;
        }
    }
    assert_int_equal(rows, techscale_nrows);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--print-doc-table")) {
        tu_table_print("| node | area | dynamic energy | leakage power | delay | max. clock | SRAM area | extrapolation "
                       "| source |\n"
                       "|---|---|---|---|---|---|---|---|---|\n",
                       doc_row, techscale_nrows);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_row_is_identity),
        cmocka_unit_test(rows_have_sources_and_fall_with_the_node),
        cmocka_unit_test(factors_follow_the_published_coefficients),
        cmocka_unit_test(factors_between_nodes),
        cmocka_unit_test(config_key),
        cmocka_unit_test(energy_needs_a_row_for_the_table),
        cmocka_unit_test(doc_has_the_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
