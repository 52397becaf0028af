/* tests/test_area.c — area of a configuration (sim/area.c): hand-computed breakdowns per kind (edge
 * decoders, edge dequantizers, activation-sum adders, SRAM); the iso-area presets (configs/iso/) have
 * PE arrays within ISO_TOLERANCE of the reference iso/fp16, computed from the technology table, and
 * share one setup; every preset under configs/ (but configs/tech/) loads and its technology table
 * loads; docs/energy.md holds the current iso table.
 *
 * `build/tests/test_area --print-iso-table` prints the iso table of docs/energy.md. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "models/pekind.h"
#include "models/opfmt.h"
#include "sim/area.h"
#include "sim/config.h"
#include "sim/energy.h"

#define DOC_PATH MPSIM_DATADIR "/docs/energy.md"
#define ISO_REFERENCE "iso/fp16"
#define ISO_TOLERANCE 0.01 /* |PE-array area / reference - 1|, as docs/energy.md states */

/* The iso-area presets, in the order of docs/energy.md. */
static const char *const iso_names[] = {"iso/fp16",      "iso/int8",      "iso/w4a16-dq",
                                        "iso/mixpe-w4a8", "iso/mixpe-w4a16", "iso/bitmod-w4",
                                        "iso/bitmod-w3", "iso/olive",     "iso/ant",
                                        "iso/olive-w4a16", "iso/ant-w4a16"};
#define ISO_COUNT ((int)(sizeof iso_names / sizeof iso_names[0]))

static char tmpdir[] = "/tmp/mpsim_area_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }

static void close_to(double got, double want, const char *what)
{
    if (fabs(got - want) > 1e-12 * (fabs(want) > 1 ? fabs(want) : 1))
        fail_msg("%s: got %.15g, want %.15g", what, got, want);
}

static void load_cfg_text(const char *text, ArchConfig *c)
{
    MpErr e = {0};
    if (config_load(tu_put(tmpdir, "cfg.ini", text), c, NULL, NULL, 0, &e) != MP_OK)
        fail_msg("config: %s", e.msg);
}

static void load_both(const char *preset, ArchConfig *c, TechTable *t)
{
    MpErr e = {0};
    if (config_load(preset, c, NULL, NULL, 0, &e) != MP_OK)
        fail_msg("%s: %s", preset, e.msg);
    if (energy_tech_load(c->tech, t, NULL, 0, &e) != MP_OK)
        fail_msg("%s: technology table '%s': %s", preset, c->tech, e.msg);
}

/* ---- by hand ---- */

static void area_by_hand(void **state)
{
    (void)state;
    TechTable t;
    memset(&t, 0, sizeof t);
    t.node_nm = 28; /* every table states its node; the config's node_nm (default 28) scales from it */
    for (int k = 0; k < PE_KIND_COUNT; k++)
        t.pe[k].area_um2 = 1000.0 * (k + 1);
    t.decoder_area_um2 = 20;
    t.xsum_area_um2 = 100;
    t.dequant_unit_area_um2 = 1500;
    t.sram_area_um2_per_kib = 2000;
    t.vec_area_um2_per_lane = 300;
    static const char sram[] = "[sram]\nweight_kib = 100\nact_kib = 200\nout_kib = 50\n[vector]\nlanes = 8\nbuf_kib = 10\n";
    static const struct {
        const char *kind;
        double pe_um2, dec_um2, deq_um2, xsum_um2;
    } K[] = {
        /* 4 rows x 8 cols, orientation auto (weights and activations may enter either edge);
         * PE area 1000 x (id + 1) */
        {"fp16", 32 * 1000.0, 0, 0, 0},
        {"int8", 32 * 2000.0, 0, 0, 0},
        {"w4a16-dq", 32 * 3000.0, 0, 12 * 1500.0, 0},    /* one dequantizer per lane of both edges */
        {"mixpe-w4a8", 32 * 4000.0, 0, 0, 12 * 100.0},   /* one activation-sum adder per lane of both */
        {"mixpe-w4a8-bs", 32 * 5000.0, 0, 0, 12 * 100.0},
        {"mixpe-w4a16", 32 * 6000.0, 0, 0, 12 * 100.0},
        {"bitmod", 32 * 7000.0, 0, 0, 0},                /* dequantizer inside the PE */
        {"olive", 32 * 8000.0, 12 * 20.0, 0, 0},         /* rows + cols edge decoders */
        {"ant", 32 * 9000.0, 12 * 20.0, 0, 0},
        {"olive-w4a16", 32 * 10000.0, 12 * 20.0, 0, 0},  /* weight edge: both edges with auto */
        {"ant-w4a16", 32 * 11000.0, 12 * 20.0, 0, 0},
    };
    assert_int_equal((int)(sizeof K / sizeof K[0]), PE_KIND_COUNT);
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        char text[512];
        snprintf(text, sizeof text, "[arch]\npe_kind = %s\nrows = 4\ncols = 8\n%s", K[k].kind, sram);
        ArchConfig c;
        load_cfg_text(text, &c);
        AreaBreakdown a;
        MpErr e = {0};
        assert_int_equal(area_compute(&t, &c, &a, &e), MP_OK);
        close_to(a.pe_mm2, K[k].pe_um2 * 1e-6, K[k].kind);
        close_to(a.decoder_mm2, K[k].dec_um2 * 1e-6, K[k].kind);
        close_to(a.dequant_mm2, K[k].deq_um2 * 1e-6, K[k].kind);
        close_to(a.xsum_mm2, K[k].xsum_um2 * 1e-6, K[k].kind);
        close_to(a.sram_mm2, 360 * 2000.0 * 1e-6, "350 KiB + the vector unit's 10 KiB x 2000 um2");
        close_to(a.vector_mm2, 8 * 300.0 * 1e-6, "8 lanes x 300 um2");
        close_to(a.total_mm2, a.pe_mm2 + a.decoder_mm2 + a.dequant_mm2 + a.xsum_mm2 + a.sram_mm2 + a.vector_mm2,
                 "total");
        close_to(area_pe_array_mm2(&t, c.pe_kind, 4, 8), a.pe_mm2, "area_pe_array_mm2");
    }
    /* one orientation: the units on the edge its operand enters only */
    static const struct {
        const char *orient;
        int deq, xsum;
    } O[] = {{"mxn", 8, 4}, {"nxm", 4, 8}};
    for (int i = 0; i < 2; i++) {
        int dec, deq, xs;
        ArchConfig oc;
        char text[200];
        snprintf(text, sizeof text, "[arch]\npe_kind = w4a16-dq\nrows = 4\ncols = 8\norientation = %s\n", O[i].orient);
        load_cfg_text(text, &oc);
        area_edge_units(PE_W4A16_DQ, 4, 8, oc.orientation, &dec, &deq, &xs);
        assert_int_equal(deq, O[i].deq);
        area_edge_units(PE_MIXPE_W4A8, 4, 8, oc.orientation, &dec, &deq, &xs);
        assert_int_equal(xs, O[i].xsum);
        area_edge_units(PE_OLIVE, 4, 8, oc.orientation, &dec, &deq, &xs);
        assert_int_equal(dec, 12);
    }
    /* at 5 nm every logic term times the 5 nm row's area factor, 0.1186 (sim/techscale.c; an
     * extrapolation), the SRAM times its bitcell ratio 0.021 / 0.127 */
    {
        ArchConfig c5;
        char text[512];
        snprintf(text, sizeof text, "[arch]\npe_kind = olive\nrows = 4\ncols = 8\n[energy]\nnode_nm = 5\n%s", sram);
        load_cfg_text(text, &c5);
        AreaBreakdown a5;
        MpErr e = {0};
        assert_int_equal(area_compute(&t, &c5, &a5, &e), MP_OK);
        const double A = 0.1186;
        close_to(a5.pe_mm2, 32 * 8000.0 * 1e-6 * A, "5 nm PEs");
        close_to(a5.decoder_mm2, 12 * 20.0 * 1e-6 * A, "5 nm decoders");
        close_to(a5.sram_mm2, 360 * 2000.0 * 1e-6 * (0.021 / 0.127), "5 nm SRAM");
        close_to(a5.vector_mm2, 8 * 300.0 * 1e-6 * A, "5 nm vector lanes");
        close_to(a5.total_mm2, (256000.0 + 240 + 2400) * 1e-6 * A + 720000 * 1e-6 * (0.021 / 0.127), "5 nm total");
        close_to(area_pe_array_mm2(&t, c5.pe_kind, 4, 8), 32 * 8000.0 * 1e-6, "area_pe_array_mm2 stays the table's");
    }
    ArchConfig c;
    load_cfg_text("[arch]\npe_kind = olive\nrows = 4\ncols = 8\n", &c);
    c.pe_kind = -1;
    AreaBreakdown a;
    MpErr e = {0};
    assert_int_equal(area_compute(&t, &c, &a, &e), MP_EINPUT);
    assert_true(a.total_mm2 == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    c.pe_kind = PE_OLIVE;
    assert_int_equal(area_compute(&t, &c, &a, &e), MP_OK);
    area_print(f, &a);
    fclose(f);
    assert_non_null(strstr(buf, "edge decoders"));
    free(buf);
}

/* ---- the iso-area presets ---- */

static int is_pow2(int v) { return v > 0 && (v & (v - 1)) == 0; }

static void iso_presets_equal_area(void **state)
{
    (void)state;
    ArchConfig ref, c;
    TechTable t;
    load_both(ISO_REFERENCE, &ref, &t);
    double ref_mm2 = area_pe_array_mm2(&t, ref.pe_kind, ref.rows, ref.cols);
    assert_true(ref_mm2 > 0);
    for (int i = 0; i < ISO_COUNT; i++) {
        TechTable ti;
        load_both(iso_names[i], &c, &ti);
        double mm2 = area_pe_array_mm2(&ti, c.pe_kind, c.rows, c.cols);
        double dev = mm2 / ref_mm2 - 1;
        if (fabs(dev) > ISO_TOLERANCE)
            fail_msg("%s: PE array %d x %d = %.4f mm2 is %+.2f%% from %s (%.4f mm2), tolerance %.0f%%", iso_names[i],
                     c.rows, c.cols, mm2, 100 * dev, ISO_REFERENCE, ref_mm2, 100 * ISO_TOLERANCE);
        if (!(is_pow2(c.rows) || c.rows % 8 == 0))
            fail_msg("%s: rows = %d is neither a power of two nor a multiple of 8", iso_names[i], c.rows);
        /* no other shape with such rows is closer to the reference */
        for (int r = 8; r <= 256; r += 8)
            for (int cc = 1; cc <= 512; cc++) {
                if (2 * r < 5 * cc || r > 5 * cc) /* tall: rows / cols in [2.5, 5], as the presets */
                    continue;
                double d = area_pe_array_mm2(&ti, c.pe_kind, r, cc) / ref_mm2 - 1;
                if (fabs(d) < fabs(dev) - 1e-12)
                    fail_msg("%s: %d x %d (%+.3f%%) is closer than %d x %d (%+.3f%%)", iso_names[i], r, cc, 100 * d,
                             c.rows, c.cols, 100 * dev);
            }
        /* one common setup: only the kind, the array and the weight width differ */
        if (strcmp(c.tech, ref.tech) || c.clock_mhz != ref.clock_mhz || c.dataflow != ref.dataflow ||
            c.group_size != ref.group_size || c.weight_bits_eff != ref.weight_bits_eff ||
            c.sram_weight_kib != ref.sram_weight_kib || c.sram_act_kib != ref.sram_act_kib ||
            c.sram_out_kib != ref.sram_out_kib || c.sram_banks != ref.sram_banks ||
            c.sram_port_bits != ref.sram_port_bits || c.double_buffer != ref.double_buffer ||
            c.dram_bits_per_cycle != ref.dram_bits_per_cycle || c.dram_latency_cycles != ref.dram_latency_cycles ||
            c.dram_tech != ref.dram_tech || c.dram_pj_per_bit != ref.dram_pj_per_bit ||
            c.pe_energy_scale != ref.pe_energy_scale)
            fail_msg("%s: setup differs from %s beyond kind, array and weight bits", iso_names[i], ISO_REFERENCE);
    }
    /* bitmod-w3 is bitmod-w4 with 3-bit weights */
    ArchConfig w3, w4;
    load_both("iso/bitmod-w3", &w3, &t);
    load_both("iso/bitmod-w4", &w4, &t);
    assert_int_equal(w3.weight_bits, 3);
    assert_int_equal(w4.weight_bits, 4);
    assert_int_equal(w3.rows * w3.cols, w4.rows * w4.cols);
}

/* Every iso preset, every preset of the folder, and nothing else there. */
static void iso_folder_is_the_list(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/configs/iso", config_datadir());
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    int n = 0;
    while ((ent = readdir(d)) != NULL) {
        size_t len = strlen(ent->d_name);
        if (len < 5 || strcmp(ent->d_name + len - 4, ".ini"))
            continue;
        char name[300];
        snprintf(name, sizeof name, "iso/%.*s", (int)(len - 4), ent->d_name);
        int found = 0;
        for (int i = 0; i < ISO_COUNT; i++)
            found |= !strcmp(iso_names[i], name);
        if (!found)
            fail_msg("%s is not in the iso list of tests/test_area.c and docs/energy.md", name);
        n++;
    }
    closedir(d);
    assert_int_equal(n, ISO_COUNT);
}

/* ---- every preset and its table ---- */


static void every_preset_and_its_table(void **state)
{
    (void)state;
    static TuNames names;
    tu_all_presets(&names);
    assert_true(names.n >= 15 + ISO_COUNT);
    for (int k = 0; k < names.n; k++) {
        ArchConfig c;
        TechTable t;
        load_both(names.v[k], &c, &t);
        AreaBreakdown a;
        EnergyBreakdown b;
        SimEvents ev;
        MpErr e = {0};
        memset(&ev, 0, sizeof ev);
        ev.cycles = ev.pe_busy = ev.pe_total = 1;
        if (area_compute(&t, &c, &a, &e) != MP_OK || energy_compute(&t, &c, &ev, &b, &e) != MP_OK)
            fail_msg("%s: %s", names.v[k], e.msg);
        assert_true(a.pe_mm2 > 0 && a.sram_mm2 > 0 && b.total > 0);
    }
}

/* ---- docs/energy.md ---- */

/* Row i of the iso table: the preset iso_names[i]. */
static void iso_row(int i, char *out, size_t cap)
{
    ArchConfig ref, c;
    TechTable t;
    load_both(ISO_REFERENCE, &ref, &t);
    double ref_mm2 = area_pe_array_mm2(&t, ref.pe_kind, ref.rows, ref.cols);
    load_both(iso_names[i], &c, &t);
    double mm2 = area_pe_array_mm2(&t, c.pe_kind, c.rows, c.cols);
    const PeVariant *v = pe_kind_variant((PeKindId)c.pe_kind, c.weight_bits);
    snprintf(out, cap, "| `%s` | `%s` | %s / %s / %s / %s | %d × %d | %d | %g | %.4f | %+.2f%% |", iso_names[i],
             pe_kind_names[c.pe_kind], op_fmts[v->wfmt].name, op_fmts[config_act_fmt(&c)].name,
             op_fmts[config_kv_fmt(&c)].name, op_fmts[config_out_fmt(&c)].name, c.rows, c.cols, c.rows * c.cols,
             t.pe[c.pe_kind].area_um2, mm2, 100 * (mm2 / ref_mm2 - 1));
}

static void doc_has_iso_table(void **state)
{
    (void)state;
    static char doc[1 << 17];
    if (tu_slurp(DOC_PATH, doc, sizeof doc) < 0)
        fail_msg("%s is missing", DOC_PATH);
    tu_table_in_doc(doc, DOC_PATH, iso_row, ISO_COUNT, "build/tests/test_area --print-iso-table");
    char tol[64];
    snprintf(tol, sizeof tol, "within %.0f%%", 100 * ISO_TOLERANCE);
    if (!strstr(doc, tol))
        fail_msg("%s should state the tolerance as '%s'", DOC_PATH, tol);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--print-iso-table")) {
        tu_table_print("| preset | PE kind | weights / activations / KV / outputs | rows × cols | PEs | PE area (µm²) "
                       "| PE-array area (mm²) | vs. `" ISO_REFERENCE "` |\n"
                       "|---|---|---|---|---|---|---|---|\n",
                       iso_row, ISO_COUNT);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(area_by_hand),
        cmocka_unit_test(iso_presets_equal_area),
        cmocka_unit_test(iso_folder_is_the_list),
        cmocka_unit_test(every_preset_and_its_table),
        cmocka_unit_test(doc_has_iso_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
