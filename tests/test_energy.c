/* tests/test_energy.c — the technology table (sim/energy.c): the shipped 28 nm table loads by name and
 * by path, its schema has one section per PE kind, it prints and reloads; bad tables fail with
 * MP_EINPUT and "FILE:LINE: message" (unknown key/section, missing key, bad or out-of-range value,
 * wrong version); energy of hand-made events equals sums computed by hand, at the table's node and at
 * 7 nm ([energy] node_nm, sim/techscale.h); docs/energy.md lists every table key. */
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

#include "models/pekind.h"
#include "sim/config.h"
#include "sim/energy.h"

#define TECH_PATH MPSIM_DATADIR "/configs/tech/28nm.ini"
#define DOC_PATH MPSIM_DATADIR "/docs/energy.md"

static char tmpdir[] = "/tmp/mpsim_energy_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }

/* Write text to tmpdir/name; returns the path (a tu_path buffer). */
static const char *put(const char *name, const char *text) { return tu_put(tmpdir, name, text); }

/* The text of a file (the caller frees it). */
static char *slurp(const char *path)
{
    static char buf[1 << 17];
    if (tu_slurp(path, buf, sizeof buf) < 0)
        fail_msg("cannot open %s", path);
    char *s = strdup(buf);
    assert_non_null(s);
    return s;
}

static void close_to(double got, double want, const char *what)
{
    double tol = 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
    if (fabs(got - want) > tol)
        fail_msg("%s: got %.12g, want %.12g", what, got, want);
}

/* ---- the shipped table ---- */

static void tech_28nm_loads(void **state)
{
    (void)state;
    TechTable t;
    MpErr e = {0};
    char path[1024];
    if (energy_tech_load("28nm", &t, path, sizeof path, &e) != MP_OK)
        fail_msg("28nm: %s", e.msg);
    assert_string_equal(path, TECH_PATH);
    assert_int_equal(t.version, 1);
    assert_string_equal(t.name, "28nm");
    assert_true(t.node_nm == 28);
    /* the published anchors, unchanged (BitMoD's synthesis sheet: docs/sources.md, "PE synthesis figures") */
    assert_true(t.pe[PE_FP16].busy_pj == 0.77 && t.pe[PE_FP16].area_um2 == 1968.7);
    assert_true(t.pe[PE_OLIVE_W4A16].busy_pj == 0.613 && t.pe[PE_OLIVE_W4A16].area_um2 == 1318.6);
    /* BitMoD's simulator charges its ANT baseline 0.56 pJ per PE-cycle on the same PE */
    assert_true(t.pe[PE_ANT_W4A16].busy_pj == 0.56 && t.pe[PE_ANT_W4A16].area_um2 == 1318.6);
    assert_true(t.pe[PE_BITMOD].area_um2 == 1793.7);
    close_to(t.pe[PE_BITMOD].busy_pj + t.pe[PE_BITMOD].dequant_pj / 8, 0.586, "BitMoD PE 0.586 mW at 1 GHz");
    /* MixPE's figures keep their ratios to MixPE's FP16 PE (0.27996, 0.544982 vs 0.839982 mW) */
    assert_true(fabs(t.pe[PE_INT8].busy_pj / t.pe[PE_FP16].busy_pj - 0.27996 / 0.839982) < 1e-3);
    assert_true(fabs(t.pe[PE_MIXPE_W4A16].busy_pj / t.pe[PE_FP16].busy_pj - 0.544982 / 0.839982) < 1e-3);
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        if (!(t.pe[k].busy_pj > 0 && t.pe[k].leak_mw > 0 && t.pe[k].area_um2 > 0))
            fail_msg("kind %s: busy, leakage and area must be > 0", pe_kind_names[k]);
        /* leakage is a small share of a busy cycle at 1 GHz, as in MixPE's split (~11%) */
        double share = energy_leak_pj_per_pe_cycle(&t, k, 1000) / t.pe[k].busy_pj;
        if (share < 0.05 || share > 0.2)
            fail_msg("kind %s: leakage/busy %.3f outside 5-20%%", pe_kind_names[k], share);
    }
    /* a dequant price exactly for the kinds that dequantize inside the array (the output rescale of
     * the others is [rescale], charged per PeTiming.out_muls) */
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        const PeTiming *pt = &pe_kinds[k].timing;
        if ((pt->group_dequant || pt->weight_dequant) != (t.pe[k].dequant_pj > 0))
            fail_msg("kind %s: dequant_pj %g, but the kind %s", pe_kind_names[k], t.pe[k].dequant_pj,
                     pt->group_dequant || pt->weight_dequant ? "dequantizes" : "has no dequantizer");
    }
    assert_true(t.rescale_pj > 0);
    for (int d = DRAM_DDR4; d <= DRAM_HBM3; d++)
        assert_true(t.dram_bg_mw_per_gbps[d] > 0);
    assert_true(t.dram_pj_per_bit[DRAM_DDR4] > t.dram_pj_per_bit[DRAM_LPDDR5]);
    assert_true(t.dram_pj_per_bit[DRAM_LPDDR5] > t.dram_pj_per_bit[DRAM_HBM3]);
    /* DDR5 between LPDDR5 and DDR4 per bit; every technology's channel no faster than an HBM3 stack */
    assert_true(t.dram_pj_per_bit[DRAM_DDR4] > t.dram_pj_per_bit[DRAM_DDR5] &&
                t.dram_pj_per_bit[DRAM_DDR5] > t.dram_pj_per_bit[DRAM_LPDDR5]);
    for (int d = 0; d < DRAM_TECHS; d++)
        assert_true(t.dram_channel_gbps[d] > 0 && t.dram_channel_gbps[d] <= t.dram_channel_gbps[DRAM_HBM3]);
    assert_true(t.dram_pj_per_bit[DRAM_DDR4] >= 15 && t.dram_pj_per_bit[DRAM_DDR4] <= 20);
    assert_true(t.dram_pj_per_bit[DRAM_LPDDR5] >= 4 && t.dram_pj_per_bit[DRAM_LPDDR5] <= 8);
    assert_true(t.dram_pj_per_bit[DRAM_HBM3] >= 3 && t.dram_pj_per_bit[DRAM_HBM3] <= 4);
    /* by path: the same table, named by its stem */
    TechTable t2;
    assert_int_equal(energy_tech_load_file(TECH_PATH, &t2, &e), MP_OK);
    assert_string_equal(t2.name, "28nm");
    assert_memory_equal(&t, &t2, sizeof t);
}

/* The schema has exactly the four rows of every kind, in sections named after pe_kind_names. */
static void schema_has_every_kind(void **state)
{
    (void)state;
    static const char *const keys[] = {"busy_pj", "leak_mw", "area_um2", "dequant_pj"};
    int tech_schema_len;
    const IniKey *tech_schema = energy_tech_schema(&tech_schema_len);
    int pe_rows = 0;
    for (int i = 0; i < tech_schema_len; i++)
        if (!strncmp(tech_schema[i].section, "pe.", 3))
            pe_rows++;
    assert_int_equal(pe_rows, 4 * PE_KIND_COUNT);
    assert_true(tech_schema_len <= INI_SCHEMA_MAX);
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        char sec[64];
        snprintf(sec, sizeof sec, "pe.%s", pe_kind_names[k]);
        for (int j = 0; j < 4; j++) {
            int found = -1;
            for (int i = 0; i < tech_schema_len; i++)
                if (!strcmp(tech_schema[i].section, sec) && !strcmp(tech_schema[i].key, keys[j]))
                    found = i;
            if (found < 0)
                fail_msg("no schema row [%s] %s", sec, keys[j]);
            /* and it writes the field of this kind */
            TechTable t;
            memset(&t, 0, sizeof t);
            char msg[256];
            assert_int_equal(ini_schema_set(&tech_schema[found], &t, "1.25", msg, sizeof msg), 0);
            const double *f = j == 0 ? &t.pe[k].busy_pj : j == 1 ? &t.pe[k].leak_mw : j == 2 ? &t.pe[k].area_um2
                                                                                            : &t.pe[k].dequant_pj;
            assert_true(*f == 1.25);
        }
    }
}

static void tech_prints_and_reloads(void **state)
{
    (void)state;
    TechTable t, again;
    MpErr e = {0};
    assert_int_equal(energy_tech_load("28nm", &t, NULL, 0, &e), MP_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    energy_tech_print(f, &t);
    assert_int_equal(fclose(f), 0);
    const char *p = put("printed.ini", buf);
    if (energy_tech_load_file(p, &again, &e) != MP_OK)
        fail_msg("printed table does not load: %s", e.msg);
    assert_memory_equal(&t, &again, sizeof t);
    free(buf);
}

/* ---- faults: MP_EINPUT (exit status 2) and "PATH:LINE: ...detail..." ---- */

static void expect_fault(const char *path, int line, const char *detail)
{
    TechTable t;
    MpErr e = {0};
    int rc = energy_tech_load_file(path, &t, &e);
    tu_expect_line_error(rc, e.msg, path, line, detail);
    assert_int_equal(mp_err_exit_status(rc), 2);
}

/* 1-based number of the first line of text that starts with `start`. */
static int line_of(const char *text, const char *start)
{
    int line = 1;
    for (const char *p = text; *p; line++) {
        if (!strncmp(p, start, strlen(start)))
            return line;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    fail_msg("no line starts with '%s'", start);
    return 0;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* text with the whole line starting with `start` replaced by `repl` (repl "" deletes the line). */
static char *replace_line(const char *text, const char *start, const char *repl)
{
    int line = line_of(text, start);
    const char *p = text;
    for (int i = 1; i < line; i++)
        p = strchr(p, '\n') + 1;
    const char *end = strchr(p, '\n');
    end = end ? end + 1 : p + strlen(p);
    size_t head = (size_t)(p - text);
    char *out = malloc(strlen(text) + strlen(repl) + 2);
    assert_non_null(out);
    memcpy(out, text, head);
    out[head] = '\0';
    if (*repl)
        strcat(strcat(out, repl), "\n");
    strcat(out, end);
    return out;
}

/* Edits of the shipped table, each refused at the line it changed. */
#define AT_LAST_LINE (-1) /* line_delta: the file's last line */
typedef struct TechEdit {
    const char *start, *repl; /* the line starting with `start` becomes `repl` ("" deletes it) */
    int line_delta;           /* the fault's line: the edited line's + line_delta, or AT_LAST_LINE */
    const char *detail;
} TechEdit;

static const TechEdit tech_edits[] = {
    /* an unknown key, in a known section */
    {"[pe.int8]", "[pe.int8]\nbusy_pJ = 0.3", 1, "unknown key 'busy_pJ' in [pe.int8]"},
    /* an unknown section (a kind that does not exist) */
    {"[pe.ant]", "[pe.int4]\nbusy_pj = 0.1\n[pe.ant]", 0, "unknown section [pe.int4]"},
    /* a missing key is reported at the last line */
    {"hbm3_pj_per_bit", "", AT_LAST_LINE, "missing required key 'hbm3_pj_per_bit' in [dram]"},
    /* a value that is not a number, and one out of range */
    {"busy_pj = 0.77", "busy_pj = fast", 0, "[pe.fp16] busy_pj: 'fast' is not a number"},
    {"leak_mw_per_kib", "leak_mw_per_kib = -0.01", 0, "[sram] leak_mw_per_kib: -0.01 is out of range"},
    {"area_um2 = 1968.7", "area_um2 = 0", 0, "[pe.fp16] area_um2: 0 is out of range"},
    /* a future format version */
    {"tech_version", "tech_version = 2", 0, "[mpsim] tech_version: 2 is out of range [1, 1]"},
    /* a key set twice */
    {"ref_kib", "ref_kib = 8\nref_kib = 16", 1, "duplicate key 'ref_kib' in [sram]"},
};

static void tech_faults(void **state)
{
    (void)state;
    char *base = slurp(TECH_PATH);
    for (size_t i = 0; i < sizeof tech_edits / sizeof tech_edits[0]; i++) {
        const TechEdit *c = &tech_edits[i];
        char *s = replace_line(base, c->start, c->repl), name[32];
        snprintf(name, sizeof name, "edit%zu.ini", i);
        int line = c->line_delta == AT_LAST_LINE ? count_lines(s) : line_of(base, c->start) + c->line_delta;
        expect_fault(put(name, s), line, c->detail);
        free(s);
    }
    /* an empty file misses the first required key */
    expect_fault(put("empty.ini", "; nothing\n"), 1, "missing required key");
    free(base);

    /* no such table, by name and by path */
    TechTable t;
    MpErr e = {0};
    assert_int_equal(energy_tech_load("3nm", &t, NULL, 0, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "3nm: no such technology table"));
    mp_err_clear(&e);
    assert_int_equal(energy_tech_load_file("/nonexistent/t.ini", &t, &e), MP_EINPUT);
    mp_err_clear(&e);
    assert_int_equal(energy_tech_load("", &t, NULL, 0, &e), MP_EINPUT);
}

/* A table name names a table (issue 20: "../../../../etc/passwd" or "/etc/passwd" was read as a
 * path and its first key echoed): only [A-Za-z0-9._-], not starting with '.', no '/'; it resolves
 * to DATADIR/configs/tech/<name>.ini and nowhere else. */
static void tech_names_not_paths(void **state)
{
    (void)state;
    static const char *const bad[] = {"../../../../etc/passwd", "/etc/passwd", "./28nm", "tech/28nm", ".28nm",
                                      "..", ".", "28nm.ini/..", "a b", "28nm;", TECH_PATH, "configs/tech/28nm.ini"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        TechTable t;
        MpErr e = {0};
        char path[1024];
        assert_false(energy_tech_name_ok(bad[i]));
        assert_int_equal(energy_tech_resolve(bad[i], path, sizeof path), -1);
        if (energy_tech_load(bad[i], &t, NULL, 0, &e) != MP_EINPUT || !strstr(e.msg, "not a technology table name"))
            fail_msg("tech '%s': expected 'not a technology table name', got '%s'", bad[i], e.msg);
        if (strstr(e.msg, "root") || strstr(e.msg, "[mpsim]") || strstr(e.msg, "version"))
            fail_msg("tech '%s': the message echoes the file: '%s'", bad[i], e.msg);
    }
    static const char *const good[] = {"28nm", "28nm-lp", "tsmc_28.v2", "A9"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(energy_tech_name_ok(good[i]));
    char path[1024];
    assert_int_equal(energy_tech_resolve("28nm", path, sizeof path), 0);
    assert_string_equal(path, TECH_PATH);
}

/* ---- energy = events x prices, by hand ---- */

/* A table with round numbers, so that every expected sum below is exact. */
static void toy_table(TechTable *t)
{
    memset(t, 0, sizeof *t);
    t->version = 1;
    snprintf(t->name, sizeof t->name, "toy");
    t->node_nm = 28;
    for (int k = 0; k < PE_KIND_COUNT; k++)
        t->pe[k] = (TechPe){.busy_pj = 2.0 + k, .leak_mw = 0.25 * (k + 1), .area_um2 = 100.0 * (k + 1),
                            .dequant_pj = 0.5 * k};
    t->decoder_pj = 0.125;
    t->xsum_pj = 0.0625;
    t->sram_ref_kib = 8;
    t->sram_read_pj_per_bit = 0.5;
    t->sram_write_pj_per_bit = 0.75;
    t->sram_leak_mw_per_kib = 0.001;
    t->dram_pj_per_bit[DRAM_DDR4] = 20;
    t->dram_pj_per_bit[DRAM_LPDDR5] = 4;
    t->dram_pj_per_bit[DRAM_HBM3] = 3;
    t->dram_pj_per_bit[DRAM_DDR5] = 14;
    t->dram_bg_mw_per_gbps[DRAM_LPDDR5] = 0.25;
    t->dram_bg_mw_per_gbps[DRAM_DDR5] = 0.5;
    t->dram_channel_gbps[DRAM_HBM3] = 800;
    t->rescale_pj = 0.5;
}

/* The events both hand computations price (energy_by_hand's config: buffers of 32, 128, 8 KiB in one
 * bank each and an 8 KiB vector buffer). */
static void toy_events(SimEvents *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->cycles = 1000;
    ev->pe_busy = 20000;
    ev->pe_total = 32000;
    ev->sram_read_bits[BUF_W] = 4096; /* bank 32 KiB: sqrt(32/8) = 2 -> 1.0 pJ/bit read, 1.5 write */
    ev->sram_write_bits[BUF_W] = 1024;
    ev->sram_read_bits[BUF_X] = 2048; /* bank 128 KiB: x4 -> 2.0 read, 3.0 write */
    ev->sram_write_bits[BUF_X] = 512;
    ev->sram_read_bits[BUF_Y] = 256;  /* bank 8 KiB: x1 -> 0.5 read, 0.75 write */
    ev->sram_write_bits[BUF_Y] = 4096;
    ev->sram_read_bits[BUF_V] = 64;   /* bank 8 KiB: x1 -> 0.5 read, 0.75 write */
    ev->sram_write_bits[BUF_V] = 128;
    ev->dram_read_bits = 10000;
    ev->dram_write_bits = 2500;
    ev->decoder_ops = 800;
    ev->dequant_ops = 32;
    ev->xsum_ops = 64;
    ev->rescale_ops = 10;
    ev->vec_ops[VC_FMA] = 100;
    ev->vec_ops[VC_EXP] = 7;
}

static void load_cfg(const char *text, ArchConfig *c)
{
    MpErr e = {0};
    if (config_load(put("cfg.ini", text), c, NULL, NULL, 0, &e) != MP_OK)
        fail_msg("config: %s", e.msg);
}

static void energy_by_hand(void **state)
{
    (void)state;
    TechTable t;
    toy_table(&t);
    ArchConfig c;
    /* olive (id 7): busy 9 pJ, leakage 2 mW, dequant 3.5 pJ; 500 MHz -> 2 pJ per mW-cycle */
    load_cfg("[arch]\npe_kind = olive\nrows = 4\ncols = 8\nclock_mhz = 500\n"
             "[sram]\nweight_kib = 32\nact_kib = 128\nout_kib = 8\nbanks = 1\n"
             "[dram]\ntech = lpddr5\n[energy]\npe_energy_scale = 1.5\n[vector]\nlanes = 4\nbuf_kib = 8\n",
             &c);
    assert_int_equal(c.pe_kind, PE_OLIVE);
    /* vector unit: fma 2 pJ, exp 10 pJ, 0.5 mW per lane */
    t.vec_pj[VC_FMA] = 2;
    t.vec_pj[VC_EXP] = 10;
    t.vec_leak_mw_per_lane = 0.5;
    SimEvents ev;
    toy_events(&ev);
    EnergyBreakdown b;
    MpErr e = {0};
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_OK);
    close_to(b.pe, 20000 * 9.0 * 1.5, "pe");
    close_to(b.sram_buf[BUF_W], 4096 * 1.0 + 1024 * 1.5, "sram W");
    close_to(b.sram_buf[BUF_X], 2048 * 2.0 + 512 * 3.0, "sram X");
    close_to(b.sram_buf[BUF_Y], 256 * 0.5 + 4096 * 0.75, "sram Y");
    close_to(b.sram_buf[BUF_V], 64 * 0.5 + 128 * 0.75, "sram vector buffer");
    close_to(b.sram, 5632 + 5632 + 3200 + 128, "sram");
    /* background: 0.25 mW per GB/s x 16 GB/s (256 bits x 500 MHz) = 4 mW = 8 pJ per cycle */
    close_to(b.dram_bg, 1000 * 8.0, "DRAM background over 1000 cycles");
    close_to(b.dram, 12500 * 4.0 + 8000, "dram (lpddr5 from the table) + background");
    close_to(b.decoder, 800 * 0.125, "decoder");
    close_to(b.dequant, 32 * 3.5, "dequant");
    close_to(b.rescale, 10 * 0.5, "rescale");
    close_to(b.other, 64 * 0.0625 + 5, "xsum + rescale");
    close_to(b.leakage_pe, 32000 * 2.0 * 2.0, "PE leakage: 2 mW x 1000 / 500 MHz = 4 pJ per PE-cycle");
    close_to(b.leakage_sram, 1000 * 176 * 0.001 * 2.0, "SRAM leakage: 168 + 8 (vector) KiB x 0.001 mW x 2");
    close_to(b.leakage_vec, 1000 * 4 * 0.5 * 2.0, "vector leakage: 4 lanes x 0.5 mW x 2 pJ per mW-cycle");
    close_to(b.leakage, b.leakage_pe + b.leakage_sram + b.leakage_vec, "leakage");
    close_to(b.vector, 100 * 2.0 + 7 * 10.0, "vector ops");
    close_to(b.total, 270000 + 14464 + 128 + 50000 + 8000 + 100 + 112 + 4 + 5 + 128000 + 352 + 4000 + 270, "total");

    /* banks split a buffer: 128 KiB in 4 banks of 32 KiB costs what one 32 KiB bank does */
    close_to(energy_sram_pj_per_bit(&t, 128, 4, 0), 1.0, "bank of 32 KiB");
    close_to(energy_sram_pj_per_bit(&t, 128, 4, 1), 1.5, "bank of 32 KiB, write");
    close_to(energy_sram_pj_per_access(&t, 128, 4, 256, 0), 256.0, "256-bit access");
    close_to(energy_leak_pj_per_pe_cycle(&t, PE_OLIVE, 1000), 2.0, "2 mW at 1 GHz");

    /* [dram] pj_per_bit overrides the table; custom needs it */
    load_cfg("[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n[dram]\ntech = hbm3\npj_per_bit = 18.75\n", &c);
    close_to(energy_dram_pj_per_bit(&t, &c), 18.75, "override");
    c.dram_pj_per_bit = 0;
    close_to(energy_dram_pj_per_bit(&t, &c), 3.0, "hbm3");
    c.dram_tech = DRAM_DDR4;
    close_to(energy_dram_pj_per_bit(&t, &c), 20.0, "ddr4");
    c.dram_tech = DRAM_DDR5;
    close_to(energy_dram_pj_per_bit(&t, &c), 14.0, "ddr5");
    c.clock_mhz = 1000;
    c.dram_bits_per_cycle = 256;
    c.dram_channels = 3;
    close_to(energy_dram_bg_mw(&t, &c), 0.5 * 3 * 32, "ddr5 background: 3 channels of 32 GB/s");
    /* a channel faster than its technology's: a note (HBM3 here: 800 GB/s per stack) */
    char note[256];
    c.dram_tech = DRAM_HBM3;
    c.dram_bits_per_cycle = 6400; /* exactly 800 GB/s at 1 GHz */
    assert_int_equal(energy_dram_note(&t, &c, note, sizeof note), 0);
    c.dram_bits_per_cycle = 6408;
    assert_int_equal(energy_dram_note(&t, &c, note, sizeof note), 1);
    assert_non_null(strstr(note, "801.0 GB/s is above what one hbm3 channel gives (800.0 GB/s"));
    c.dram_tech = DRAM_DDR4;
    c.dram_tech = DRAM_CUSTOM;
    assert_true(energy_dram_pj_per_bit(&t, &c) < 0);
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "custom needs pj_per_bit"));
    assert_true(b.total == 0);
    mp_err_clear(&e);
    c.dram_tech = DRAM_DDR4;
    c.pe_kind = PE_KIND_COUNT;
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_EINPUT);
    mp_err_clear(&e);

    /* no events, no energy */
    c.pe_kind = PE_FP16;
    memset(&ev, 0, sizeof ev);
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_OK);
    assert_true(b.total == 0);
}

/* The same toy config and events at 7 nm: every on-chip component times the 7 nm row's factor
 * (dynamic energy 0.1376, leakage 0.1745, relative to the toy table's 28 nm), DRAM and its background
 * as at 28 nm. The expected values are the 28 nm sums of energy_by_hand times those two numbers. */
static void energy_by_hand_at_7nm(void **state)
{
    (void)state;
    TechTable t;
    toy_table(&t);
    t.vec_pj[VC_FMA] = 2;
    t.vec_pj[VC_EXP] = 10;
    t.vec_leak_mw_per_lane = 0.5;
    ArchConfig c;
    load_cfg("[arch]\npe_kind = olive\nrows = 4\ncols = 8\nclock_mhz = 500\n"
             "[sram]\nweight_kib = 32\nact_kib = 128\nout_kib = 8\nbanks = 1\n"
             "[dram]\ntech = lpddr5\n[energy]\npe_energy_scale = 1.5\nnode_nm = 7\n[vector]\nlanes = 4\nbuf_kib = 8\n",
             &c);
    assert_int_equal(c.node_nm, 7);
    assert_true(c.clock_mhz == 500); /* the clock is not scaled */
    SimEvents ev;
    toy_events(&ev);
    ev.requant_ops = 4;
    t.requant_scale_pj = 0.25;
    EnergyBreakdown b;
    MpErr e = {0};
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_OK);
    const double E = 0.1376, L = 0.1745; /* sim/techscale.c, the 7 nm row (28 nm = 1) */
    close_to(b.pe, 270000 * E, "pe: 20000 x 9 pJ x 1.5 at 28 nm");
    close_to(b.sram_buf[BUF_W], 5632 * E, "sram W");
    close_to(b.sram_buf[BUF_X], 5632 * E, "sram X");
    close_to(b.sram_buf[BUF_Y], 3200 * E, "sram Y");
    close_to(b.sram_buf[BUF_V], 128 * E, "sram V");
    close_to(b.sram, 14592 * E, "sram");
    close_to(b.dram_bg, 8000, "DRAM background: not scaled");
    close_to(b.dram, 50000 + 8000, "DRAM: 12500 bits x 4 pJ, not scaled");
    close_to(b.decoder, 100 * E, "decoder");
    close_to(b.dequant, 112 * E, "dequant");
    close_to(b.rescale, 5 * E, "rescale");
    close_to(b.requant, 1 * E, "requant: 4 x 0.25 pJ");
    close_to(b.other, (4 + 5 + 1) * E, "xsum 64 x 0.0625 + rescale + requant");
    close_to(b.leakage_pe, 128000 * L, "PE leakage");
    close_to(b.leakage_sram, 352 * L, "SRAM leakage");
    close_to(b.leakage_vec, 4000 * L, "vector leakage");
    close_to(b.vector, 270 * E, "vector ops");
    close_to(b.total, (270000 + 14592 + 100 + 112 + 10 + 270) * E + 58000 + (128000 + 352 + 4000) * L, "total");
}

/* The shipped table on a preset: each component is its event count times the table's price. */
static void energy_with_28nm(void **state)
{
    (void)state;
    TechTable t;
    ArchConfig c;
    MpErr e = {0};
    assert_int_equal(config_load("iso/mixpe-w4a8", &c, NULL, NULL, 0, &e), MP_OK);
    assert_int_equal(energy_tech_load(c.tech, &t, NULL, 0, &e), MP_OK);
    SimEvents ev;
    memset(&ev, 0, sizeof ev);
    ev.cycles = 100;
    ev.pe_busy = 3072 * 90;
    ev.pe_total = 3072 * 100;
    ev.sram_read_bits[BUF_X] = 1 << 20;
    ev.dram_read_bits = 1 << 20;
    ev.dequant_ops = 3072;
    ev.xsum_ops = 64 * 127;
    ev.rescale_ops = 4096;
    EnergyBreakdown b;
    assert_int_equal(energy_compute(&t, &c, &ev, &b, &e), MP_OK);
    const TechPe *pe = &t.pe[PE_MIXPE_W4A8];
    close_to(b.pe, 3072.0 * 90 * pe->busy_pj, "pe");
    close_to(b.leakage_pe, 3072.0 * 100 * pe->leak_mw, "PE leakage at 1 GHz: mW = pJ per cycle");
    close_to(b.sram, (double)(1 << 20) * t.sram_read_pj_per_bit * sqrt(512.0 / 8 / 8), "512 KiB in 8 banks");
    /* background: the table's mW per GB/s x 256 bits/cycle at 1 GHz (32 GB/s), over 100 cycles */
    close_to(b.dram_bg, 100 * t.dram_bg_mw_per_gbps[DRAM_LPDDR5] * 32.0, "lpddr5 background at 32 GB/s");
    close_to(b.dram, (double)(1 << 20) * t.dram_pj_per_bit[DRAM_LPDDR5] + b.dram_bg, "lpddr5");
    close_to(b.dequant, 3072 * pe->dequant_pj, "dequant");
    close_to(b.rescale, 4096 * t.rescale_pj, "rescale");
    close_to(b.other, 64.0 * 127 * t.xsum_pj + b.rescale, "xsum + rescale");
    close_to(b.total, b.pe + b.sram + b.dram + b.decoder + b.dequant + b.leakage + b.other, "total");
    /* the printed table names every component */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    energy_print(f, &b);
    fclose(f);
    assert_non_null(strstr(buf, "PE dynamic"));
    assert_non_null(strstr(buf, "total"));
    free(buf);
}

/* ---- docs/energy.md names every key of the table ---- */

static void doc_lists_every_key(void **state)
{
    (void)state;
    char *doc = slurp(DOC_PATH);
    int tech_schema_len;
    const IniKey *tech_schema = energy_tech_schema(&tech_schema_len);
    for (int i = 0; i < tech_schema_len; i++) {
        char want[160];
        snprintf(want, sizeof want, "`[%s] %s`", tech_schema[i].section, tech_schema[i].key);
        /* the per-kind rows are documented once, as [pe.<kind>] */
        if (!strncmp(tech_schema[i].section, "pe.", 3))
            snprintf(want, sizeof want, "`[pe.<kind>] %s`", tech_schema[i].key);
        if (!strstr(doc, want))
            fail_msg("%s does not document %s", DOC_PATH, want);
    }
    for (int k = 0; k < PE_KIND_COUNT; k++) {
        char want[64];
        snprintf(want, sizeof want, "| `%s` |", pe_kind_names[k]);
        if (!strstr(doc, want))
            fail_msg("%s has no table row for kind %s", DOC_PATH, pe_kind_names[k]);
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tech_28nm_loads),
        cmocka_unit_test(schema_has_every_kind),
        cmocka_unit_test(tech_prints_and_reloads),
        cmocka_unit_test(tech_faults),
        cmocka_unit_test(energy_by_hand),
        cmocka_unit_test(energy_by_hand_at_7nm),
        cmocka_unit_test(energy_with_28nm),
        cmocka_unit_test(doc_lists_every_key),
        cmocka_unit_test(tech_names_not_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
