/* tests/test_config.c — the accelerator config (sim/config.c): defaults of a minimal file, the cross-field
 * rules with FILE:LINE errors, preset resolution and naming, every preset under configs/ (loads, prints and
 * reloads, and holds the published facts of its paper), and docs/config.md listing every schema key.
 *
 * `build/tests/test_config --print-doc-table` prints the key table of docs/config.md from the schema;
 * the test doc_lists_every_key fails when the doc and the schema disagree. */
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
#include "sim/config.h"

#define DOC_PATH MPSIM_DATADIR "/docs/config.md"

static char tmpdir[] = "/tmp/mpsim_cfg_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }

/* Write text to tmpdir/name; returns the path (a tu_path buffer). */
static const char *put(const char *name, const char *text) { return tu_put(tmpdir, name, text); }

static int row_of(const char *section, const char *key)
{
    for (int i = 0; i < arch_schema_len; i++)
        if (!strcmp(arch_schema[i].section, section) && !strcmp(arch_schema[i].key, key))
            return i;
    fail_msg("no schema row [%s] %s", section, key);
    return -1;
}

static void load_ok(const char *name_or_path, ArchConfig *c, IniLoad *w)
{
    MpErr e = {0};
    IniLoad local;
    if (config_load(name_or_path, c, w ? w : &local, NULL, 0, &e) != MP_OK)
        fail_msg("%s: expected to load, got: %s", name_or_path, e.msg);
}

/* config_load fails with MP_EINPUT and "PATH:LINE: ...detail...". */
static void expect_fault(const char *path, int line, const char *detail)
{
    ArchConfig c;
    MpErr e = {0};
    int rc = config_load(path, &c, NULL, NULL, 0, &e);
    tu_expect_line_error(rc, e.msg, path, line, detail);
}

/* ---- a minimal file gets the documented defaults ---- */

static void minimal_file_defaults(void **state)
{
    (void)state;
    const char *p = put("minimal.ini", "[arch]\npe_kind = fp16\nrows = 4\ncols = 8\n");
    ArchConfig c;
    IniLoad w;
    char path[1024];
    MpErr e = {0};
    assert_int_equal(config_load(p, &c, &w, path, sizeof path, &e), MP_OK);
    assert_string_equal(path, p);
    /* the values docs/config.md documents */
    assert_int_equal(c.version, 1);
    assert_string_equal(c.name, "minimal"); /* the file stem */
    assert_int_equal(c.pe_kind, PE_FP16);
    assert_int_equal(c.rows, 4);
    assert_int_equal(c.cols, 8);
    assert_true(c.clock_mhz == 1000);
    assert_int_equal(c.dataflow, DATAFLOW_OS);
    assert_int_equal(c.weight_bits, 16); /* 0 = the kind's native width, resolved */
    assert_int_equal(c.group_size, 128);
    assert_true(c.weight_bits_eff == 0);
    assert_int_equal(c.sram_weight_kib, 512);
    assert_int_equal(c.sram_act_kib, 512);
    assert_int_equal(c.sram_out_kib, 256);
    assert_int_equal(c.sram_banks, 8);
    assert_int_equal(c.sram_port_bits, 256);
    assert_int_equal(c.double_buffer, 1);
    assert_int_equal(c.dram_bits_per_cycle, 256);
    assert_int_equal(c.dram_latency_cycles, 100);
    assert_int_equal(c.dram_tech, DRAM_DDR4);
    assert_true(c.dram_pj_per_bit == 0);
    assert_string_equal(c.tech, "28nm");
    assert_true(c.pe_energy_scale == 1);
    /* and every key left out holds exactly its schema default */
    for (int i = 0; i < arch_schema_len; i++) {
        const IniKey *r = &arch_schema[i];
        if (!r->def || !strcmp(r->key, "name") || !strcmp(r->key, "weight_bits"))
            continue;
        assert_int_equal(w.line[i], 0);
        ArchConfig d;
        char msg[256], a[128], b[128];
        memset(&d, 0, sizeof d);
        assert_int_equal(ini_schema_set(r, &d, r->def, msg, sizeof msg), 0);
        ini_schema_format(r, &d, a, sizeof a);
        ini_schema_format(r, &c, b, sizeof b);
        if (strcmp(a, b))
            fail_msg("[%s] %s: default %s, loaded %s", r->section, r->key, a, b);
    }
    assert_int_equal(w.line[row_of("arch", "pe_kind")], 2);
    assert_int_equal(w.nlines, 4);
}

static void required_keys(void **state)
{
    (void)state;
    expect_fault(put("r1.ini", "[arch]\nrows = 4\ncols = 8\n"), 3, "missing required key 'pe_kind' in [arch]");
    expect_fault(put("r2.ini", "[arch]\npe_kind = int8\ncols = 8\n\n"), 4, "missing required key 'rows' in [arch]");
    expect_fault(put("r3.ini", "[arch]\npe_kind = int8\nrows = 8\n"), 3, "missing required key 'cols' in [arch]");
    expect_fault(put("r4.ini", ""), 1, "missing required key");
    expect_fault(put("r5.ini", "[arch]\npe_kind = int9\nrows = 8\ncols = 8\n"), 2, "'int9' is not one of: fp16 int8");
    expect_fault(put("r6.ini", "[arch]\npe_kind = int8\nrows = 0\ncols = 8\n"), 3,
                 "[arch] rows: 0 is out of range [1, 4096] PEs");
    expect_fault(put("r7.ini", "[mpsim]\nconfig_version = 2\n[arch]\npe_kind = int8\nrows = 1\ncols = 8\n"), 2,
                 "[mpsim] config_version: 2 is out of range [1, 1]");
    expect_fault(put("r8.ini", "[arch]\npe_kind = int8\nrows = 8\ncols = 8\n[sram]\nwieght_kib = 1\n"), 6,
                 "unknown key 'wieght_kib' in [sram]");
}

/* ---- cross-field rules ---- */

static void weight_bits_vs_kind(void **state)
{
    (void)state;
    static const struct { const char *kind; int bits, ok, resolved_default; } cases[] = {
        {"fp16", 16, 1, 16},       {"fp16", 4, 0, 16},       {"fp16", 8, 0, 16},
        {"int8", 8, 1, 8},         {"int8", 4, 0, 8},        {"w4a16-dq", 4, 1, 4},
        {"w4a16-dq", 3, 0, 4},     {"mixpe-w4a8", 4, 1, 4},  {"mixpe-w4a8", 8, 0, 4},
        {"mixpe-w4a8-bs", 4, 1, 4}, {"mixpe-w4a16", 4, 1, 4}, {"mixpe-w4a16", 16, 0, 4},
        {"bitmod", 3, 1, 4},       {"bitmod", 4, 1, 4},      {"bitmod", 2, 0, 4},
        {"bitmod", 6, 0, 4},       {"olive", 4, 1, 4},       {"olive", 8, 0, 4},
        {"ant", 4, 1, 4},          {"ant", 5, 0, 4},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[512];
        /* weight_bits sits on line 7, with more lines after it */
        snprintf(text, sizeof text,
                 "[arch]\npe_kind = %s\nrows = 2\ncols = 2\n\n[quant]\nweight_bits = %d\ngroup_size = 64\n"
                 "[sram]\nbanks = 4\n",
                 cases[k].kind, cases[k].bits);
        const char *p = put("wb.ini", text);
        ArchConfig c;
        if (cases[k].ok) {
            load_ok(p, &c, NULL);
            assert_int_equal(c.weight_bits, cases[k].bits);
        } else {
            char detail[128];
            snprintf(detail, sizeof detail, "[quant] weight_bits = %d is not supported by pe_kind %s", cases[k].bits,
                     cases[k].kind);
            expect_fault(p, 7, detail);
        }
        /* left out (or 0), weight_bits becomes the kind's native width */
        snprintf(text, sizeof text, "[arch]\npe_kind = %s\nrows = 2\ncols = 2\n", cases[k].kind);
        load_ok(put("wb0.ini", text), &c, NULL);
        assert_int_equal(c.weight_bits, cases[k].resolved_default);
    }
    expect_fault(put("wb3.ini", "[quant]\nweight_bits = 3\n[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n"), 2,
                 "(leave it 0 for the native width)");
    expect_fault(put("wb5.ini", "[arch]\npe_kind = bitmod\nrows = 2\ncols = 2\n[quant]\nweight_bits = 5\n"), 6,
                 "(3 or 4)");
}

/* [quant] *_format: what each kind takes, resolved values, and FILE:LINE faults on the key's line. */
static void operand_formats(void **state)
{
    (void)state;
    ArchConfig c;
    /* auto: the kind's own */
    load_ok(put("f0.ini", "[arch]\npe_kind = mixpe-w4a8\nrows = 2\ncols = 2\n"), &c, NULL);
    assert_int_equal(config_act_fmt(&c), OPF_INT8);
    assert_int_equal(config_kv_fmt(&c), OPF_INT8);
    assert_int_equal(config_out_fmt(&c), OPF_INT8);
    /* the weight format picks the BitMoD variant */
    load_ok(put("f1.ini", "[arch]\npe_kind = bitmod\nrows = 2\ncols = 2\n[quant]\nweight_format = bitmod-fp3\n"), &c,
            NULL);
    assert_int_equal(c.weight_bits, 3);
    /* int8 runs int4 activations (the int8-a4 format); the KV cache and outputs may be stored wider */
    load_ok(put("f2.ini", "[arch]\npe_kind = int8\nrows = 2\ncols = 2\n[quant]\nact_format = int4\n"
                          "kv_format = fp16\nout_format = fp32\n"),
            &c, NULL);
    assert_int_equal(config_act_fmt(&c), OPF_INT4);
    assert_int_equal(config_kv_fmt(&c), OPF_FP16);
    assert_int_equal(config_out_fmt(&c), OPF_FP32);
    assert_string_equal(num_format_for_operands(PE_INT8, 8, OPF_INT4)->name, "int8-a4");
    /* an fp16 design may keep its KV cache in int8 or int4 */
    load_ok(put("f3.ini", "[arch]\npe_kind = fp16\nrows = 2\ncols = 2\n[quant]\nkv_format = int4\n"), &c, NULL);
    assert_int_equal(config_kv_fmt(&c), OPF_INT4);
    static const char head[] = "[arch]\npe_kind = %s\nrows = 2\ncols = 2\n[quant]\n%s\n";
    static const struct { const char *kind, *line, *why; } bad[] = {
        {"fp16", "weight_format = uint4", "[quant] weight_format = uint4: pe_kind fp16 takes fp16"},
        {"bitmod", "weight_format = olive4", "pe_kind bitmod takes bitmod-fp4, bitmod-fp3"},
        {"mixpe-w4a8", "act_format = fp16", "[quant] act_format = fp16: pe_kind mixpe-w4a8 takes int8"},
        {"olive-w4a16", "act_format = olive4", "pe_kind olive-w4a16 takes fp16"},
        {"fp16", "kv_format = uint4", "[quant] kv_format = uint4: stored operands are fp32, fp16, int8, int4"},
        {"bitmod", "out_format = bitmod-fp4", "[quant] out_format = bitmod-fp4"},
        {"fp16", "act_format = nosuch", "act_format"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, head, bad[i].kind, bad[i].line);
        expect_fault(put("fb.ini", text), 6, bad[i].why);
    }
    /* weight_format and an explicit weight_bits must agree */
    expect_fault(put("fw.ini", "[arch]\npe_kind = bitmod\nrows = 2\ncols = 2\n[quant]\nweight_bits = 4\n"
                               "weight_format = bitmod-fp3\n"),
                 7, "[quant] weight_format = bitmod-fp3 has 3-bit codes, weight_bits says 4");
}

static void dram_custom_needs_energy(void **state)
{
    (void)state;
    static const char head[] = "[arch]\npe_kind = bitmod\nrows = 2\ncols = 2\n";
    char text[512];
    snprintf(text, sizeof text, "%s[dram]\nbits_per_cycle = 256\ntech = custom\nlatency_cycles = 5\n", head);
    expect_fault(put("d1.ini", text), 7, "[dram] tech = custom needs pj_per_bit > 0");
    snprintf(text, sizeof text, "%s[dram]\npj_per_bit = 0\n\ntech = custom\n", head);
    expect_fault(put("d2.ini", text), 8, "[dram] tech = custom needs pj_per_bit > 0");
    ArchConfig c;
    snprintf(text, sizeof text, "%s[dram]\npj_per_bit = 18.75\ntech = custom\n", head);
    load_ok(put("d3.ini", text), &c, NULL);
    assert_int_equal(c.dram_tech, DRAM_CUSTOM);
    assert_true(c.dram_pj_per_bit == 18.75);
    snprintf(text, sizeof text, "%s[dram]\ntech = hbm3\n", head);
    load_ok(put("d4.ini", text), &c, NULL);
    assert_int_equal(c.dram_tech, DRAM_HBM3);
    assert_true(c.dram_pj_per_bit == 0);
    snprintf(text, sizeof text, "%s[dram]\ntech = gddr6\n", head);
    expect_fault(put("d5.ini", text), 6, "'gddr6' is not one of: ddr4 lpddr5 hbm3 ddr5 custom");
}

/* ---- presets and names ---- */

static void preset_by_name(void **state)
{
    (void)state;
    ArchConfig c;
    char path[1024], want[1024];
    MpErr e = {0};
    assert_int_equal(config_load("mixpe-paper/fp16", &c, NULL, path, sizeof path, &e), MP_OK);
    snprintf(want, sizeof want, "%s/configs/mixpe-paper/fp16.ini", config_datadir());
    assert_string_equal(path, want);
    assert_string_equal(c.name, "mixpe-paper/fp16");
    assert_int_equal(config_resolve("bitmod-paper/decode/ant", path, sizeof path), 0);
    load_ok("bitmod-paper/decode/ant", &c, NULL);
    assert_string_equal(c.name, "bitmod-paper/decode/ant");
    /* the same file by its path is named by its stem */
    load_ok(want, &c, NULL);
    assert_string_equal(c.name, "fp16");
    /* unknown presets and missing files */
    assert_int_equal(config_resolve("no-such/preset", path, sizeof path), -1);
    assert_int_equal(config_load("no-such/preset", &c, NULL, NULL, 0, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "no-such/preset: no such config file or preset"));
    mp_err_clear(&e);
    assert_int_equal(config_load("/nonexistent/x.ini", &c, NULL, NULL, 0, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "/nonexistent/x.ini: no such config file or preset"));
    mp_err_clear(&e);
    assert_int_equal(config_load("mixpe-paper", &c, NULL, NULL, 0, &e), MP_EINPUT); /* a folder, not a preset */
}

static void name_default_and_explicit(void **state)
{
    (void)state;
    ArchConfig c;
    load_ok(put("my.design-v2.ini", "[arch]\npe_kind = ant\nrows = 2\ncols = 2\n"), &c, NULL);
    assert_string_equal(c.name, "my.design-v2");
    load_ok(put("named.ini", "[arch]\nname = My design\npe_kind = ant\nrows = 2\ncols = 2\n"), &c, NULL);
    assert_string_equal(c.name, "My design");
}

/* $MPSIM_DATADIR moves the preset folder. */
static void datadir_from_env(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/configs", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(dir, sizeof dir, "%s/configs/lab", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    put("configs/lab/tiny.ini", "[arch]\npe_kind = olive\nrows = 3\ncols = 5\n");
    /* a data dir holds the energy tables its configs name (config_load checks [energy] tech) */
    snprintf(dir, sizeof dir, "%s/configs/tech", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    static char table[1 << 16];
    long n = tu_slurp(MPSIM_DATADIR "/configs/tech/28nm.ini", table, sizeof table);
    assert_true(n > 0 && (size_t)n < sizeof table - 1);
    put("configs/tech/28nm.ini", table);
    const char *was = getenv("MPSIM_DATADIR");
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", was ? was : "");
    assert_int_equal(setenv("MPSIM_DATADIR", tmpdir, 1), 0);
    assert_string_equal(config_datadir(), tmpdir);
    ArchConfig c;
    char path[1024], want[1024];
    MpErr e = {0};
    int rc = config_load("lab/tiny", &c, NULL, path, sizeof path, &e);
    int rc2 = config_resolve("mixpe-paper/fp16", want, sizeof want); /* not in this data dir */
    unsetenv("MPSIM_DATADIR");
    const char *dflt = config_datadir();
    if (was)
        setenv("MPSIM_DATADIR", saved, 1);
    assert_int_equal(rc, MP_OK);
    assert_int_equal(rc2, -1);
    snprintf(want, sizeof want, "%s/configs/lab/tiny.ini", tmpdir);
    assert_string_equal(path, want);
    assert_string_equal(c.name, "lab/tiny");
    assert_int_equal(c.cols, 5);
    assert_string_equal(dflt, MPSIM_DATADIR);
}

/* ---- every preset ---- */


static char *print_to_string(const ArchConfig *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    config_print(f, c, NULL);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void every_preset_loads(void **state)
{
    (void)state;
    static TuNames names;
    tu_all_presets(&names);
    assert_true(names.n >= 15);
    for (int k = 0; k < names.n; k++) {
        ArchConfig c, again;
        load_ok(names.v[k], &c, NULL);
        assert_string_equal(c.name, names.v[k]);
        /* config_print writes a file that loads to the same config */
        char *text = print_to_string(&c);
        const char *p = put("printed.ini", text);
        load_ok(p, &again, NULL);
        char *text2 = print_to_string(&again);
        assert_string_equal(text, text2);
        free(text);
        free(text2);
    }
}

/* The published evaluation setups (docs/sources.md, "MixPE evaluation setup" and "BitMoD evaluation setup"),
 * key by key. */
static void presets_hold_paper_facts(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int kind, rows, cols;
        double mhz;
        int wkib, akib, okib, banks, dram_bits, dram_tech;
        double pj, pe_scale;
        int wbits;
        double wbits_eff;
    } P[] = {
        /* MixPE: 500 MHz, OS, 128/256/128 KiB double-buffered, 1024 bits/cycle, g128, ddr4 (not their pJ/bit) */
        {"mixpe-paper/fp16", PE_FP16, 32, 28, 500, 128, 256, 128, 8, 1024, DRAM_DDR4, 0, 1, 16, 0},
        {"mixpe-paper/int8", PE_INT8, 32, 32, 500, 128, 256, 128, 8, 1024, DRAM_DDR4, 0, 1, 8, 0},
        {"mixpe-paper/ant", PE_ANT, 32, 32, 500, 128, 256, 128, 8, 1024, DRAM_DDR4, 0, 1, 4, 0},
        {"mixpe-paper/mixpe-w4a8", PE_MIXPE_W4A8, 64, 64, 500, 128, 256, 128, 8, 1024, DRAM_DDR4, 0, 1, 4, 0},
        {"mixpe-paper/mixpe-w4a16", PE_MIXPE_W4A16, 32, 32, 500, 128, 256, 128, 8, 1024, DRAM_DDR4, 0, 1, 4, 0},
        /* BitMoD: 1 GHz, 512 KB weight/act SRAM, 8 banks, 256 bits/cycle, 2400 pJ / 128 bit, PE energy x1.5 */
        {"bitmod-paper/fp16", PE_FP16, 32, 24, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 16, 0},
        {"bitmod-paper/ant", PE_ANT_W4A16, 32, 32, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 4, 5.5},
        {"bitmod-paper/olive", PE_OLIVE_W4A16, 36, 32, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 4, 4.5},
        {"bitmod-paper/bitmod-w4", PE_BITMOD, 32, 32, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 4,
         4.0625},
        {"bitmod-paper/bitmod-w3", PE_BITMOD, 32, 32, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 3,
         3.0625},
        {"bitmod-paper/decode/fp16", PE_FP16, 64, 12, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 16, 0},
        {"bitmod-paper/decode/ant", PE_ANT_W4A16, 64, 16, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 4,
         (4.5 + 5.25) / 2},
        {"bitmod-paper/decode/olive", PE_OLIVE_W4A16, 72, 16, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5, 4,
         (3.5 + 4.25) / 2},
        {"bitmod-paper/decode/bitmod-w4", PE_BITMOD, 64, 16, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5,
         4, 4.0625},
        {"bitmod-paper/decode/bitmod-w3", PE_BITMOD, 64, 16, 1000, 512, 512, 256, 8, 256, DRAM_CUSTOM, 18.75, 1.5,
         3, 3.0625},
    };
    for (size_t k = 0; k < sizeof P / sizeof P[0]; k++) {
        ArchConfig c;
        IniLoad w;
        load_ok(P[k].name, &c, &w);
        const char *n = P[k].name;
        if (c.pe_kind != P[k].kind || c.rows != P[k].rows || c.cols != P[k].cols || c.clock_mhz != P[k].mhz)
            fail_msg("%s: kind/shape/clock differ from the paper", n);
        if (c.sram_weight_kib != P[k].wkib || c.sram_act_kib != P[k].akib || c.sram_out_kib != P[k].okib ||
            c.sram_banks != P[k].banks || !c.double_buffer)
            fail_msg("%s: buffers differ from the paper", n);
        if (c.dram_bits_per_cycle != P[k].dram_bits || c.dram_tech != P[k].dram_tech || c.dram_pj_per_bit != P[k].pj)
            fail_msg("%s: DRAM differs from the paper", n);
        if (c.pe_energy_scale != P[k].pe_scale || c.weight_bits != P[k].wbits || c.weight_bits_eff != P[k].wbits_eff)
            fail_msg("%s: energy scale or weight bits differ from the paper", n);
        if (c.group_size != 128 || c.dataflow != DATAFLOW_OS || strcmp(c.tech, "28nm") != 0)
            fail_msg("%s: group size, dataflow or tech differ", n);
        /* presets spell out every key but the name: none silently rides on a default */
        for (int i = 0; i < arch_schema_len; i++)
            if (w.line[i] == 0 && strcmp(arch_schema[i].key, "name") != 0)
                fail_msg("%s: [%s] %s is not set in the preset", n, arch_schema[i].section, arch_schema[i].key);
    }
}

/* ---- docs/config.md ---- */

static const char *type_name(IniType t)
{
    switch (t) {
    case INI_INT: return "int";
    case INI_F64: return "number";
    case INI_BOOL: return "bool";
    case INI_ENUM: return "enum";
    case INI_STR: return "string";
    }
    return "?";
}

/* One Markdown table row for schema row k, as docs/config.md has it. */
static void doc_row(int k, char *out, size_t cap)
{
    const IniKey *r = &arch_schema[k];
    char def[128], allowed[512];
    if (!r->def)
        snprintf(def, sizeof def, "*required*");
    else if (!r->def[0])
        snprintf(def, sizeof def, "*empty*");
    else
        snprintf(def, sizeof def, "`%s`", r->def);
    switch (r->type) {
    case INI_INT: snprintf(allowed, sizeof allowed, "%.0f … %.0f", r->min, r->max); break;
    case INI_F64: snprintf(allowed, sizeof allowed, "%.15g … %.15g", r->min, r->max); break;
    case INI_BOOL: snprintf(allowed, sizeof allowed, "true/false, yes/no, on/off, 1/0"); break;
    case INI_STR: snprintf(allowed, sizeof allowed, "up to %zu characters", r->str_cap - 1); break;
    case INI_ENUM: {
        size_t n = 0;
        allowed[0] = '\0';
        for (int i = 0; r->names[i] && n < sizeof allowed; i++)
            n += (size_t)snprintf(allowed + n, sizeof allowed - n, "%s`%s`", i ? ", " : "", r->names[i]);
        break;
    }
    }
    char doc[512];
    size_t n = 0;
    for (const char *s = r->doc; *s && n + 8 < sizeof doc; s++) /* Markdown: no HTML tags, no cell breaks */
        n += (size_t)snprintf(doc + n, sizeof doc - n, "%s",
                              *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '|' ? "\\|" : (char[]){*s, 0});
    doc[n] = '\0';
    snprintf(out, cap, "| `[%s] %s` | %s | %s | %s | %s | %s |", r->section, r->key, type_name(r->type), def, allowed,
             r->unit, doc);
}

static void doc_lists_every_key(void **state)
{
    (void)state;
    static char doc[1 << 17];
    if (tu_slurp(DOC_PATH, doc, sizeof doc) < 0)
        fail_msg("%s is missing", DOC_PATH);
    tu_table_in_doc(doc, DOC_PATH, doc_row, arch_schema_len, "build/tests/test_config --print-doc-table");
    /* and lists no key the schema lacks */
    int rows = 0;
    for (const char *p = strstr(doc, "\n| `["); p; p = strstr(p + 1, "\n| `[")) {
        char sec[64], key[64];
        if (sscanf(p, "\n| `[%63[^]]] %63[^`]`", sec, key) != 2)
            fail_msg("%s: cannot read the table row at: %.60s", DOC_PATH, p + 1);
        row_of(sec, key);
        rows++;
    }
    assert_int_equal(rows, arch_schema_len);
}

/* ---- --set: every item names a key (issue 20: ",,," and "a,,b" passed as a silent no-op) ---- */

static void set_empty_items(void **state)
{
    (void)state;
    static const char *const bad[] = {",,,", ",", "", "arch.rows=16,,arch.cols=16", ",arch.rows=16", "arch.rows=16,",
                                      " ", "arch.rows=16, ,arch.cols=8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ArchConfig c;
        load_ok("iso/fp16", &c, NULL);
        ArchConfig before = c;
        MpErr e = {0};
        if (config_apply_sets(&c, bad[i], &e) != MP_EINPUT || !strstr(e.msg, "--set: empty item"))
            fail_msg("--set '%s': expected MP_EINPUT and '--set: empty item', got '%s'", bad[i], e.msg);
        assert_int_equal(before.rows, c.rows);
    }
    ArchConfig c;
    load_ok("iso/fp16", &c, NULL);
    MpErr e = {0};
    assert_int_equal(config_apply_sets(&c, "arch.rows=16,arch.cols=8", &e), MP_OK);
    assert_int_equal(c.rows, 16);
    assert_int_equal(c.cols, 8);
}

/* --set and the operand formats: the newer statement of the weights' width wins, a new kind brings
 * its own formats, and a weight_format given with a weight_bits that disagrees is refused. */
static void set_formats(void **state)
{
    (void)state;
    ArchConfig c;
    MpErr e = {0};
    load_ok("iso/bitmod-w4", &c, NULL); /* weight_bits = 4 and weight_format = bitmod-fp4, both written */
    assert_int_equal(config_apply_sets(&c, "quant.weight_bits=3", &e), MP_OK);
    assert_int_equal(c.weight_bits, 3);
    load_ok("iso/bitmod-w4", &c, NULL);
    assert_int_equal(config_apply_sets(&c, "quant.weight_format=bitmod-fp3", &e), MP_OK);
    assert_int_equal(c.weight_bits, 3);
    load_ok("iso/bitmod-w4", &c, NULL);
    assert_int_equal(config_apply_sets(&c, "quant.weight_format=bitmod-fp3,quant.weight_bits=4", &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "quant.weight_format = bitmod-fp3 has 3-bit codes, quant.weight_bits says 4"));
    assert_int_equal(c.weight_bits, 4); /* unchanged */
    /* iso/int8 writes int8 for every operand; as mixpe-w4a8 it takes that kind's own */
    load_ok("iso/int8", &c, NULL);
    assert_int_equal(config_apply_sets(&c, "arch.pe_kind=mixpe-w4a8", &e), MP_OK);
    assert_int_equal(c.weight_bits, 4);
    assert_int_equal(config_act_fmt(&c), OPF_INT8);
    /* ... unless the same --set names one */
    load_ok("iso/fp16", &c, NULL);
    assert_int_equal(config_apply_sets(&c, "arch.pe_kind=bitmod,quant.kv_format=int8", &e), MP_OK);
    assert_int_equal(config_kv_fmt(&c), OPF_INT8);
    assert_int_equal(config_out_fmt(&c), OPF_FP16);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--print-doc-table")) {
        tu_table_print("| key | type | default | allowed | unit | meaning |\n|---|---|---|---|---|---|\n", doc_row,
                       arch_schema_len);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minimal_file_defaults),
        cmocka_unit_test(required_keys),
        cmocka_unit_test(weight_bits_vs_kind),
        cmocka_unit_test(operand_formats),
        cmocka_unit_test(set_formats),
        cmocka_unit_test(dram_custom_needs_energy),
        cmocka_unit_test(preset_by_name),
        cmocka_unit_test(name_default_and_explicit),
        cmocka_unit_test(datadir_from_env),
        cmocka_unit_test(every_preset_loads),
        cmocka_unit_test(presets_hold_paper_facts),
        cmocka_unit_test(doc_lists_every_key),
        cmocka_unit_test(set_empty_items),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
