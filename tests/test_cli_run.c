/* tests/test_cli_run.c — the built binary's `run` and `compare`: exit statuses 0/1/2, JSON that
 * parses and whose totals agree with its layers and with `trace show`, every preset running, cycle
 * fidelity equal to fast fidelity and to the golden GEMM, forced blockings honoured, clear messages
 * for bad input, and no output file left behind by a failing run.
 * The binary is $MPSIM_BIN (set by `make unit-test`); without it every test fails and says so.
 *
 * Bugs found in review have their own regression tests (bug_*, at the end); all are fixed and run
 * by default (-DMPSIM_TEST_KNOWN_BUGS=0 skips them, for bisecting). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"
#include "cliutil.h"

#define EXAMPLE_CSV MPSIM_DATADIR "/docs/examples/gemm-32x32x256.csv"

static char tmpdir[] = "/tmp/mpsim_run_XXXXXX";

/* a failed test may leave its files; the folder must be empty after that */
static const char *const tmp_files[] = {"bad.ini", "bad2.ini", "bad3.ini", "out.json",
                                        "a.json",  "c.json",   "big.csv",  NULL};

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, tmp_files); }

/* |a - b| <= rel * max(|a|, |b|) */
static void assert_close(double a, double b, double rel, const char *what)
{
    if (fabs(a - b) > rel * fmax(fabs(a), fabs(b)))
        fail_msg("%s: %.17g vs %.17g", what, a, b);
}

/* The presets `mpsim list presets` prints, one per line; those starting with prefix ("" = all). */
static int list_presets(const char *prefix, char names[][96], int cap)
{
    CLI_EXPECT("list presets", CLI_ERR_DROP, 0);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(cli_out, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
        if (strncmp(tok, prefix, strlen(prefix)) != 0)
            continue;
        if (n == cap)
            fail_msg("more than %d presets", cap);
        snprintf(names[n++], 96, "%s", tok);
    }
    return n;
}

/* ------------------------------------------------------------------ run --json: fields and sums */

/* One point's JSON: every field present and typed, and the relations that hold between them:
 * layer cycles, DRAM bytes and energy are each layer's per-instance value x count, and the total is
 * their sum (cycles and DRAM exactly: integers; energy to rounding); macs = sum m*n*k*count. */
static void check_point(const cJSON *j, const cJSON *trace, const char *arch)
{
    assert_string_equal(cli_str(j, "arch"), arch);
    assert_string_equal(cli_str(j, "model"), "tiny");
    assert_string_equal(cli_str(j, "phase"), "decode");
    assert_true(cli_num(j, "batch") == 1);
    assert_true(cli_num(j, "kv") == 64);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "seq"));
    double cycles = cli_num(j, "cycles"), seconds = cli_num(j, "seconds"), macs = cli_num(j, "macs"),
           dram = cli_num(j, "dram_bytes"), util = cli_num(j, "utilization"), area = cli_num(j, "area_mm2");
    assert_true(cycles > 0 && cycles == floor(cycles));
    assert_true(seconds > 0);
    assert_close(seconds, cycles / 1e9, 1e-12, "seconds at the iso presets' 1 GHz");
    assert_true(dram > 0);
    assert_true(util > 0 && util <= 1);
    assert_true(area > 0);
    const cJSON *en = cli_item(j, "energy_pj");
    double total = cli_num(en, "total"), parts = cli_num(en, "pe") + cli_num(en, "sram") + cli_num(en, "dram") +
                                                 cli_num(en, "other") + cli_num(en, "decoder") +
                                                 cli_num(en, "dequant") + cli_num(en, "leakage") +
                                                 cli_num(en, "vector");
    assert_true(total > 0 && cli_num(en, "pe") > 0 && cli_num(en, "sram") > 0 && cli_num(en, "dram") > 0 &&
                cli_num(en, "other") >= 0);
    assert_close(total, parts, 1e-12, "energy total = sum of its parts");

    /* the workload: macs and the layer list equal `trace show` for the same model and phase */
    assert_true(macs == cli_num(trace, "macs"));
    const cJSON *layers = cli_arr(j, "layers"), *gemms = cli_arr(trace, "gemms");
    assert_int_equal(cJSON_GetArraySize(layers), cJSON_GetArraySize(gemms));
    double sum_cycles = 0, sum_dram = 0, sum_energy = 0, sum_macs = 0;
    for (int i = 0; i < cJSON_GetArraySize(layers); i++) {
        const cJSON *l = cJSON_GetArrayItem(layers, i), *g = cJSON_GetArrayItem(gemms, i);
        assert_string_equal(cli_str(l, "name"), cli_str(g, "name"));
        double m = cli_num(l, "m"), n = cli_num(l, "n"), k = cli_num(l, "k"), count = cli_num(l, "count");
        assert_true(m == cli_num(g, "m") && n == cli_num(g, "n") && k == cli_num(g, "k") &&
                    count == cli_num(g, "count"));
        double lc = cli_num(l, "cycles");
        assert_true(lc > 0 && lc == floor(lc));
        /* the instances run back to back: no longer than count instances each on its own, no shorter
         * than the next one's overlap allows (at least one instance's own time) */
        const double one = cli_num(l, "instance_cycles");
        assert_true(one > 0 && lc <= one * count && lc >= one);
        sum_cycles += lc;
        sum_dram += cli_num(l, "dram_bytes");
        sum_energy += cli_num(l, "energy_pj");
        sum_macs += m * n * k * count;
        /* the bound is the first resource (in the documented order) within 2% of the largest own
         * cycles, and no layer takes less than the largest */
        const char *b = cli_str(l, "bound");
        const cJSON *rs = cli_item(l, "resource_cycles");
        double most = -1;
        for (const cJSON *r = rs->child; r; r = r->next)
            most = r->valuedouble > most ? r->valuedouble : most;
        const char *first_near = NULL;
        for (const cJSON *r = rs->child; r && !first_near; r = r->next)
            if (r->valuedouble * 50 >= most * 49)
                first_near = r->string;
        assert_non_null(first_near);
        assert_string_equal(b, first_near);
        assert_true(lc >= most);
        const cJSON *mp = cli_item(l, "mapping");
        assert_true(!strcmp(cli_str(mp, "orient"), "MxN") || !strcmp(cli_str(mp, "orient"), "NxM"));
        assert_true(cli_num(mp, "bm") >= 1 && cli_num(mp, "bn") >= 1 && cli_num(mp, "bk") >= 1);
        assert_true(!strcmp(cli_str(mp, "order"), "mn") || !strcmp(cli_str(mp, "order"), "nm"));
    }
    /* the vector rows (norms, RoPE, softmax, SwiGLU, residuals) between them, each with its work */
    const cJSON *vec = cli_arr(j, "vector");
    assert_true(cJSON_GetArraySize(vec) >= 8);
    for (int i = 0; i < cJSON_GetArraySize(vec); i++) {
        const cJSON *v = cJSON_GetArrayItem(vec, i);
        const double vc = cli_num(v, "cycles");
        assert_true(vc > 0 && vc == floor(vc));
        assert_true(cli_num(v, "after") >= 0 && cli_num(v, "after") <= cJSON_GetArraySize(layers));
        sum_cycles += vc;
        sum_dram += cli_num(v, "dram_bytes");
        sum_energy += cli_num(v, "energy_pj");
    }
    /* total cycles = sum over layers of (cycles of one instance x count) and over the vector rows:
     * nothing overlaps (the JSON's layer cycles already carry the count) */
    assert_true(sum_cycles == cycles);
    assert_true(sum_dram == dram);
    assert_true(sum_macs == macs);
    assert_close(sum_energy, total, 1e-9, "energy: sum of layers = total");
}

static void iso_presets_decode_json(void **state)
{
    (void)state;
    char names[64][96];
    int n = list_presets("iso/", names, 64);
    assert_true(n >= 9);
    CLI_EXPECT("trace show --model tiny --phase decode --kv 64 --json -", CLI_ERR_DROP, 0);
    cJSON *trace = cli_json_out();
    for (int i = 0; i < n; i++) {
        char args[512];
        snprintf(args, sizeof args, "run --arch %s --model tiny --phase decode --kv 64 --json -", names[i]);
        CLI_EXPECT(args, CLI_ERR_DROP, 0);
        cJSON *j = cli_json_out();
        check_point(j, trace, names[i]);
        cJSON_Delete(j);
    }
    cJSON_Delete(trace);
}

/* Every preset runs the tiny model in both phases. */
static void all_presets_both_phases(void **state)
{
    (void)state;
    char names[128][96];
    int n = list_presets("", names, 128);
    assert_true(n >= 20);
    for (int i = 0; i < n; i++)
        for (int ph = 0; ph < 2; ph++) {
            char args[512];
            snprintf(args, sizeof args, "run --arch %s --model tiny --phase %s --json -", names[i],
                     ph ? "decode" : "prefill");
            CLI_EXPECT(args, CLI_ERR_MERGE, 0);
            cJSON *j = cli_json_out();
            assert_string_equal(cli_str(j, "phase"), ph ? "decode" : "prefill");
            assert_true(cli_num(j, "cycles") > 0);
            cJSON_Delete(j);
        }
}

/* The human table: every layer, the totals and the mapping. */
static void table_output(void **state)
{
    (void)state;
    CLI_EXPECT("run --arch iso/mixpe-w4a8 --model tiny --phase decode --kv 64", CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "arch iso/mixpe-w4a8");
    CLI_CONTAINS(cli_out, "model tiny  decode kv 64  batch 1");
    for (const char *const *g = (const char *const[]){"q_proj", "k_proj", "v_proj", "attn_qk", "attn_pv", "o_proj",
                                                       "gate_proj", "up_proj", "down_proj", "lm_head", NULL};
         *g; g++)
        CLI_CONTAINS(cli_out, *g);
    CLI_CONTAINS(cli_out, "total: ");
    CLI_CONTAINS(cli_out, "energy: ");
    CLI_CONTAINS(cli_out, "area: ");
    CLI_CONTAINS(cli_out, "technology 28nm at 28 nm (clock up to 1000 MHz there; runs at 1000)");
    CLI_CONTAINS(cli_out, "order MN");
    /* [energy] node_nm: the node in the text and the JSON; logic area x 0.1684 at 7 nm and SRAM (512 + 512 +
     * 256 KiB of buffers and the 64 KiB vector buffer, 1734 um2 per KiB) x 0.027 / 0.127, the clock as
     * written */
    CLI_EXPECT("run --arch iso/mixpe-w4a8 --model tiny --phase decode --kv 64 --json -", CLI_ERR_DROP, 0);
    cJSON *j28 = cli_json_out();
    CLI_EXPECT("run --arch iso/mixpe-w4a8 --model tiny --phase decode --kv 64 --set energy.node_nm=7 --json -",
               CLI_ERR_DROP, 0);
    cJSON *j7 = cli_json_out();
    assert_true(cli_num(j28, "node_nm") == 28 && cli_num(j7, "node_nm") == 7);
    const double sram28 = 1344 * 1734e-6;
    assert_close(cli_num(j7, "area_mm2"), (cli_num(j28, "area_mm2") - sram28) * 0.1684 + sram28 * 0.027 / 0.127, 1e-9,
                 "area at 7 nm");
    assert_true(cli_num(j7, "cycles") == cli_num(j28, "cycles") && cli_num(j7, "seconds") == cli_num(j28, "seconds"));
    assert_true(cli_num(cli_item(j7, "energy_pj"), "dram") == cli_num(cli_item(j28, "energy_pj"), "dram"));
    cJSON_Delete(j28);
    cJSON_Delete(j7);
    CLI_EXPECT("run --arch iso/mixpe-w4a8 --model tiny --phase decode --kv 64 --set energy.node_nm=7", CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "technology 28nm at 7 nm (clock up to 2690 MHz there; runs at 1000)");
    CLI_EXPECT("run --arch iso/mixpe-w4a8 --model tiny --phase decode --kv 64 --set energy.node_nm=6", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "[energy] node_nm = 6: no technology scaling row");
    CLI_EXPECT("run --help", CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "usage: mpsim run");
    CLI_EXPECT("compare --help", CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "usage: mpsim compare");
}

/* docs/simulator.md section 7: the worked example's totals, one per kind. */
static void docs_worked_examples(void **state)
{
    (void)state;
    static const struct { const char *kind; double cycles; } rows[] = {
        {"fp16", 5732},        {"int8", 5196},      {"w4a16-dq", 5369},  {"mixpe-w4a8", 5089}, {"mixpe-w4a16", 5369},
        {"bitmod-w4", 3482},   {"bitmod-w3", 3450}, {"olive", 4932},     {"ant", 4932},
        {"olive-w4a16", 5364}, {"ant-w4a16", 5364},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char args[1024];
        snprintf(args, sizeof args,
                 "run --arch iso/%s --set arch.rows=8,arch.cols=8 --model '%s' --blocks 32x32x256 --orient mxn --json -",
                 rows[i].kind, EXAMPLE_CSV);
        CLI_EXPECT(args, CLI_ERR_DROP, 0);
        cJSON *j = cli_json_out();
        if (cli_num(j, "cycles") != rows[i].cycles)
            fail_msg("%s: %.0f cycles, docs/simulator.md says %.0f", rows[i].kind, cli_num(j, "cycles"),
                     rows[i].cycles);
        assert_string_equal(cli_str(j, "phase"), "layers");
        const cJSON *mp = cli_item(cJSON_GetArrayItem(cli_arr(j, "layers"), 0), "mapping");
        assert_true(cli_num(mp, "bm") == 32 && cli_num(mp, "bn") == 32 && cli_num(mp, "bk") == 256); /* one block */
        cJSON_Delete(j);
    }
}

/* docs/simulator.md's vector-unit worked example: scripts/vector_example.py recomputes it from the
 * documented formulas and compares with mpsim (exit 0 only when every row agrees), and each row it
 * prints is in the doc as printed. */
static void docs_vector_example(void **state)
{
    (void)state;
    char cmd[2048], out[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && python3 scripts/vector_example.py '%s' 2>&1", MPSIM_DATADIR,
             getenv("MPSIM_BIN") ? getenv("MPSIM_BIN") : "build/mpsim");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    const int st = pclose(p);
    if (st != 0)
        fail_msg("scripts/vector_example.py failed (status %d):\n%s", st, out);
    static char doc[1 << 17];
    if (tu_slurp(MPSIM_DATADIR "/docs/simulator.md", doc, sizeof doc) < 0)
        fail_msg("cannot read docs/simulator.md");
    int rows = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(doc, line))
            fail_msg("docs/simulator.md lacks the worked-example row '%s'", line);
        rows++;
    }
    assert_int_equal(rows, 2 + 5);
}

/* ------------------------------------------------------------------ cycle fidelity == fast */

/* Cycle fidelity checks every output against the golden GEMM and gives exactly the fast result:
 * the whole JSON (cycles, DRAM, energy, utilization, mappings) is identical. */
static void cycle_equals_fast(void **state)
{
    (void)state;
    static const char *const designs[] = {
        "iso/fp16",
        "iso/int8",
        "iso/mixpe-w4a8",
        "iso/bitmod-w4",
        "iso/olive",
        "iso/w4a16-dq --set arch.dataflow=ws",
        "iso/bitmod-w3 --set arch.dataflow=ws,arch.rows=16,arch.cols=16",
        /* several K blocks: partial sums leave and re-enter the array through the output buffer */
        "iso/fp16 --blocks 1x32x64",
        "iso/mixpe-w4a16 --set sram.double_buffer=false,arch.rows=8,arch.cols=12 --blocks 0x0x128",
    };
    char path[512];
    snprintf(path, sizeof path, "%s/c.json", tmpdir);
    for (size_t i = 0; i < sizeof designs / sizeof designs[0]; i++) {
        char args[1024];
        snprintf(args, sizeof args, "run --arch %s --model tiny --phase decode --kv 32 --fidelity cycle --json '%s'",
                 designs[i], path);
        CLI_EXPECT(args, CLI_ERR_MERGE, 0);
        CLI_CONTAINS(cli_out, "outputs equal the golden GEMM");
        cJSON *c = cli_json_file(path);
        remove(path);
        snprintf(args, sizeof args, "run --arch %s --model tiny --phase decode --kv 32 --fidelity fast --json -",
                 designs[i]);
        CLI_EXPECT(args, CLI_ERR_DROP, 0);
        cJSON *f = cli_json_out();
        if (cli_num(c, "cycles") != cli_num(f, "cycles"))
            fail_msg("%s: cycle fidelity %.0f cycles, fast %.0f", designs[i], cli_num(c, "cycles"),
                     cli_num(f, "cycles"));
        if (!cJSON_Compare(c, f, 1)) {
            char *a = cJSON_PrintUnformatted(c), *b = cJSON_PrintUnformatted(f);
            fail_msg("%s: cycle and fast JSON differ:\n%.3000s\n%.3000s", designs[i], a, b);
        }
        cJSON_Delete(c);
        cJSON_Delete(f);
    }
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
}

/* Cycle fidelity refuses a layer whose operands it cannot hold, naming the layer. */
static void cycle_too_large(void **state)
{
    (void)state;
    char path[512], args[1024];
    snprintf(path, sizeof path, "%s/big.csv", tmpdir);
    tu_write_text(path, "name,m,n,k\nwide,1,70000,1000\n");
    snprintf(args, sizeof args, "run --arch iso/int8 --model '%s' --fidelity cycle", path);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "wide: 1x70000x1000 is too large");
    CLI_CONTAINS(cli_out, "--fidelity fast");
    snprintf(args, sizeof args, "run --arch iso/int8 --model '%s' --json -", path);
    CLI_EXPECT(args, CLI_ERR_DROP, 0); /* fast fidelity runs it */
    remove(path);
}

/* Work limits (sim/engine.h): valid inputs whose work would take hours are refused at once with
 * exit 2, naming the knob; the knob raises the limit; a bad knob value is bad input. Each of these
 * ran for minutes to hours before the limits (issue 20). */
static void work_limits(void **state)
{
    (void)state;
    char path[512], args[1024];
    CLI_EXPECT("run --arch iso/int8 --model tiny --blocks 1x1x1", CLI_ERR_MERGE, 2); /* 134 M steps: 176 s */
    CLI_CONTAINS(cli_out, "the fewest: 134217728");
    CLI_CONTAINS(cli_out, "MPSIM_MAX_STEPS");
    snprintf(path, sizeof path, "%s/big.csv", tmpdir);
    tu_write_text(path, "name,m,n,k\nx,1000000,1000000,1000000\n");
    snprintf(args, sizeof args, "run --arch iso/int8 --model '%s'", path); /* cubic: hours */
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "MPSIM_MAX_STEPS");
    remove(path);
    /* a million PEs in cycle fidelity on tiny */
    CLI_EXPECT("run --arch iso/int8 --model tiny --fidelity cycle --set arch.rows=1024,arch.cols=1024,"
               "sram.weight_kib=65536,sram.act_kib=65536,sram.out_kib=65536",
               CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "MPSIM_MAX_PE_CYCLES");
    /* the knobs: lower limits refuse what the defaults run; raising one lets it through */
    setenv("MPSIM_MAX_PE_CYCLES", "1000", 1);
    CLI_EXPECT("run --arch iso/int8 --model tiny --fidelity cycle --set arch.rows=8,arch.cols=8", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "above the cycle-fidelity work limit of 1000 PE-cycles");
    unsetenv("MPSIM_MAX_PE_CYCLES");
    setenv("MPSIM_MAX_STEPS", "1000", 1); /* decode with 1x1x1 blocks: 65536 steps per projection */
    CLI_EXPECT("run --arch iso/int8 --model tiny --phase decode --blocks 1x1x1", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "more steps than the work limit of 1000 ");
    setenv("MPSIM_MAX_STEPS", "1000000", 1);
    CLI_EXPECT("run --arch iso/int8 --model tiny --phase decode --blocks 1x1x1", CLI_ERR_DROP, 0);
    setenv("MPSIM_MAX_STEPS", "0", 1);
    CLI_EXPECT("run --arch iso/int8 --model tiny", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "MPSIM_MAX_STEPS='0': expected a whole number >= 1");
    unsetenv("MPSIM_MAX_STEPS");
}

/* ------------------------------------------------------------------ forced mappings */

static void check_mapping(const char *args, double bm, double bn, double bk, const char *order)
{
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    const cJSON *l;
    cJSON_ArrayForEach(l, cli_arr(j, "layers"))
    {
        const cJSON *mp = cli_item(l, "mapping");
        /* a forced extent larger than the GEMM's means all of it (lm_head: one token per sequence) */
        const double m = cli_num(l, "m"), n = cli_num(l, "n"), k = cli_num(l, "k");
        if ((bm && cli_num(mp, "bm") != fmin(bm, m)) || (bn && cli_num(mp, "bn") != fmin(bn, n)) ||
            (bk && cli_num(mp, "bk") != fmin(bk, k)) ||
            (order && strcmp(cli_str(mp, "order"), order)))
            fail_msg("mpsim %s: layer %s mapped %.0fx%.0fx%.0f %s", args, cli_str(l, "name"), cli_num(mp, "bm"),
                     cli_num(mp, "bn"), cli_num(mp, "bk"), cli_str(mp, "order"));
    }
    cJSON_Delete(j);
}

static void forced_mappings(void **state)
{
    (void)state;
    /* tiny decode kv 64: M = 1, N >= 64, K >= 64 in every layer; prefill seq 128: M >= 64 too */
    check_mapping("run --arch iso/fp16 --model tiny --phase decode --kv 64 --blocks 1x64x64 --order nm --json -", 1,
                  64, 64, "nm");
    check_mapping("run --arch iso/fp16 --model tiny --phase decode --kv 64 --order mn --json -", 0, 0, 0, "mn");
    check_mapping("run --arch iso/int8 --model tiny --phase decode --kv 64 --blocks 0x32x0 --json -", 0, 32, 0, NULL);
    check_mapping("run --arch iso/bitmod-w4 --model tiny --seq 128 --blocks 64x64x0 --order mn --json -", 64, 64, 0,
                  "mn");
    check_mapping("run --arch iso/olive --model tiny --seq 128 --blocks 32x0x0 --order nm --json -", 32, 0, 0, "nm");
    /* the forced blocking changes the result, the free one is the least DRAM traffic */
    CLI_EXPECT("run --arch iso/fp16 --model tiny --phase decode --kv 64 --json -", CLI_ERR_DROP, 0);
    cJSON *free_ = cli_json_out();
    CLI_EXPECT("run --arch iso/fp16 --model tiny --phase decode --kv 64 --blocks 1x32x64 --json -", CLI_ERR_DROP, 0);
    cJSON *forced = cli_json_out();
    assert_true(cli_num(forced, "dram_bytes") >= cli_num(free_, "dram_bytes"));
    assert_true(cli_num(forced, "cycles") != cli_num(free_, "cycles"));
    cJSON_Delete(free_);
    cJSON_Delete(forced);
    /* a blocking that does not fit: exit 2, naming the layer (forced extents are clamped to each
     * GEMM's own, so the first layer that cannot hold its clamped blocks is named: lm_head) */
    CLI_EXPECT("run --arch iso/fp16 --model tiny --phase decode --kv 64 --blocks 1x1000000x1000000", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "lm_head: mapping:");
    CLI_CONTAINS(cli_out, "fit");
}

/* ------------------------------------------------------------------ compare */

static void compare_json(void **state)
{
    (void)state;
    static const char *const archs[] = {"iso/fp16", "iso/mixpe-w4a8", "iso/bitmod-w4"};
    CLI_EXPECT("compare --archs iso/fp16,iso/mixpe-w4a8,iso/bitmod-w4 --model tiny --phase decode --json -",
               CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    const cJSON *pts = cli_arr(j, "points");
    assert_int_equal(cJSON_GetArraySize(pts), 3);
    const cJSON *p0 = cJSON_GetArrayItem(pts, 0);
    assert_true(cli_num(p0, "speedup") == 1);
    assert_true(cli_num(p0, "energy_reduction") == 1);
    for (int i = 0; i < 3; i++) {
        const cJSON *p = cJSON_GetArrayItem(pts, i);
        assert_string_equal(cli_str(p, "arch"), archs[i]);
        /* cJSON prints 15 significant digits when they read back within an ulp or so: compare to
         * rounding, not bit for bit */
        assert_close(cli_num(p, "speedup"), cli_num(p0, "seconds") / cli_num(p, "seconds"), 1e-13,
                     "speedup = seconds ratio");
        assert_close(cli_num(p, "energy_reduction"),
                     cli_num(cli_item(p0, "energy_pj"), "total") / cli_num(cli_item(p, "energy_pj"), "total"), 1e-13,
                     "energy_reduction = energy ratio");
        /* each point is what `run` says of the same design */
        char args[512];
        snprintf(args, sizeof args, "run --arch %s --model tiny --phase decode --json -", archs[i]);
        CLI_EXPECT(args, CLI_ERR_DROP, 0);
        cJSON *r = cli_json_out(), *pc = cJSON_Duplicate(p, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(pc, "speedup");
        cJSON_DeleteItemFromObjectCaseSensitive(pc, "energy_reduction");
        if (!cJSON_Compare(r, pc, 1))
            fail_msg("compare's point %d differs from 'mpsim %s'", i, args);
        cJSON_Delete(r);
        cJSON_Delete(pc);
    }
    /* the low-bit designs are faster and cheaper than fp16 on a memory-bound decode */
    for (int i = 1; i < 3; i++) {
        assert_true(cli_num(cJSON_GetArrayItem(pts, i), "speedup") > 1);
        assert_true(cli_num(cJSON_GetArrayItem(pts, i), "energy_reduction") > 1);
    }
    cJSON_Delete(j);
    CLI_EXPECT("compare --archs iso/fp16,iso/mixpe-w4a8 --model tiny --phase decode", CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "baseline iso/fp16");
    CLI_CONTAINS(cli_out, "1.00x");
}

/* ------------------------------------------------------------------ bad input */

static void bad_input(void **state)
{
    (void)state;
    static const CliCase cases[] = {
        {"run --model tiny", "--arch is required"},
        {"run --arch iso/fp16", "--model is required"},
        {"run --arch iso/nosuch --model tiny", "iso/nosuch: no such config file or preset"},
        {"run --arch iso/fp16 --model nosuch", "unknown model 'nosuch'"},
        {"run --arch iso/fp16 --model tiny --phase bogus", "--phase 'bogus'"},
        {"run --arch iso/fp16 --model tiny --phase decode --seq 128", "--seq applies to --phase prefill"},
        {"run --arch iso/fp16 --model tiny --phase prefill --kv 128", "--kv applies to --phase decode"},
        {"run --arch iso/fp16 --model tiny --kv 128", "--kv applies to --phase decode"},
        {"run --arch iso/fp16 --model tiny --batch 0", "--batch >= 1"},
        {"run --arch iso/fp16 --model tiny --seq -5", "--seq -5: must be >= 1"},
        {"run --arch iso/fp16 --model tiny --seed -1", "--seed >= 0"},
        {"run --arch iso/fp16 --model tiny --batch 2x", "not an integer"},
        {"run --arch iso/fp16 --model tiny --fidelity bogus", "--fidelity 'bogus': expected fast or cycle"},
        {"run --arch iso/fp16 --model tiny --blocks 32x32", "--blocks '32x32': expected BMxBNxBK"},
        {"run --arch iso/fp16 --model tiny --blocks 32x32x32x", "--blocks '32x32x32x'"},
        {"run --arch iso/fp16 --model tiny --blocks axbxc", "--blocks 'axbxc'"},
        {"run --arch iso/fp16 --model tiny --blocks -32x0x0", "--blocks '-32x0x0'"},
        {"run --arch iso/fp16 --model tiny --blocks 1000000x1000000x1000000", "fit"},
        {"run --arch iso/fp16 --model tiny --order bogus", "--order 'bogus': expected mn or nm"},
        {"run --arch iso/fp16 --model tiny --set arch.bogus=1", "unknown key 'arch.bogus'"},
        {"run --arch iso/fp16 --model tiny --set arch.rows=abc", "--set arch.rows: 'abc' is not an integer"},
        {"run --arch iso/fp16 --model tiny --set arch.rows=0", "--set arch.rows: 0 is out of range"},
        {"run --arch iso/fp16 --model tiny --set arch.dataflow=diagonal", "--set arch.dataflow"},
        {"run --arch iso/fp16 --model tiny --set rows=4", "--set 'rows=4': expected section.key=value"},
        {"run --arch iso/fp16 --model tiny --set arch.rows", "--set 'arch.rows': expected section.key=value"},
        {"run --arch iso/fp16 --model tiny --set quant.weight_bits=5", "weight_bits = 5 is not supported"},
        {"run --arch iso/bitmod-w4 --model tiny --set quant.group_size=20", "group_size = 20"},
        {"run --arch iso/fp16 --model tiny --bogus", "unknown option '--bogus'"},
        {"run --arch iso/fp16 --model tiny --blocks", "needs a value"},
        {"run --arch iso/fp16 --model " EXAMPLE_CSV " --phase decode", "fixes the shapes"},
        {"run --arch iso/fp16 --model " EXAMPLE_CSV " --seq 64", "fixes the shapes"},
        {"run --arch iso/fp16 --model " EXAMPLE_CSV " --batch 2", "fixes the shapes"},
        {"run --arch iso/fp16 --model /nonexistent/layers.csv", "/nonexistent/layers.csv"},
        {"run --arch /nonexistent/arch.ini --model tiny", "/nonexistent/arch.ini: no such config file"},
        {"compare --model tiny", "--archs is required"},
        {"compare --archs , --model tiny", "lists nothing"},
        {"compare --archs iso/fp16,iso/nosuch --model tiny", "iso/nosuch: no such config file or preset"},
        {"compare --archs iso/fp16 --model tiny --fidelity bogus", "--fidelity 'bogus'"},
        {"compare --archs iso/fp16 --model tiny --phase decode --seq 8", "--seq applies to --phase prefill"},
    };
    CLI_EXPECT_CASES(cases, CLI_ERR_MERGE, 2);
}

/* A config file with an error: exit 2 and "FILE:LINE: message". */
static void bad_config_file(void **state)
{
    (void)state;
    static const struct { const char *file, *text; int line; const char *msg; } cases[] = {
        {"bad.ini", "[mpsim]\nconfig_version = 1\n\n[arch]\npe_kind = fp16\nrows = 0\ncols = 8\n", 6, "rows"},
        {"bad2.ini", "[mpsim]\nconfig_version = 1\n[arch]\npe_kind = int8\nrows = 8\ncols = 8\ncolz = 8\n", 7, "colz"},
        {"bad3.ini", "[arch]\npe_kind = fp16\nrows = 8\ncols = 8\n[quant]\nweight_bits = 4\n", 6, "weight_bits"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], args[1024], want[600];
        snprintf(path, sizeof path, "%s/%s", tmpdir, cases[i].file);
        tu_write_text(path, cases[i].text);
        snprintf(args, sizeof args, "run --arch '%s' --model tiny --phase decode", path);
        CLI_EXPECT(args, CLI_ERR_MERGE, 2);
        snprintf(want, sizeof want, "%s:%d: ", path, cases[i].line);
        CLI_CONTAINS(cli_out, want);
        CLI_CONTAINS(cli_out, cases[i].msg);
        snprintf(args, sizeof args, "compare --archs 'iso/fp16,%s' --model tiny --phase decode", path);
        CLI_EXPECT(args, CLI_ERR_MERGE, 2);
        CLI_CONTAINS(cli_out, want);
        remove(path);
    }
    /* the same file, fixed, runs */
    char path[512], args[1024];
    snprintf(path, sizeof path, "%s/bad.ini", tmpdir);
    tu_write_text(path, "[mpsim]\nconfig_version = 1\n\n[arch]\npe_kind = fp16\nrows = 4\ncols = 8\n");
    snprintf(args, sizeof args, "run --arch '%s' --model tiny --phase decode --json -", path);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    remove(path);
    cJSON *j = cli_json_out();
    assert_string_equal(cli_str(j, "arch"), "bad");
    cJSON_Delete(j);
}

/* ------------------------------------------------------------------ output files */

/* A run that fails leaves no file behind, neither the output nor its temporary; one that succeeds
 * leaves exactly its file. */
static void json_files(void **state)
{
    (void)state;
    char args[1024], path[512];
    snprintf(args, sizeof args, "run --arch iso/fp16 --model tiny --phase decode --json '%s/no/such/dir/out.json'",
             tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "cannot write");
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
    snprintf(args, sizeof args,
             "compare --archs iso/fp16,iso/int8 --model tiny --phase decode --json '%s/no/such/dir/out.json'", tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "cannot write");
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
    snprintf(args, sizeof args, "run --arch iso/nosuch --model tiny --json '%s/a.json'", tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
    snprintf(args, sizeof args, "run --arch iso/fp16 --model tiny --blocks 1x1000000x1000000 --json '%s/a.json'",
             tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);
    snprintf(args, sizeof args, "compare --archs iso/fp16,iso/nosuch --model tiny --json '%s/a.json'", tmpdir);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    assert_int_equal(tu_dir_count(tmpdir, "*"), 0);

    /* success: the table on stdout, the JSON in the file, nothing else in the folder */
    snprintf(path, sizeof path, "%s/out.json", tmpdir);
    snprintf(args, sizeof args, "run --arch iso/int8 --model tiny --phase decode --json '%s'", path);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "total: ");
    assert_int_equal(tu_dir_count(tmpdir, "*"), 1);
    cJSON *j = cli_json_file(path);
    remove(path);
    assert_string_equal(cli_str(j, "arch"), "iso/int8");
    cJSON_Delete(j);
    snprintf(args, sizeof args, "compare --archs iso/fp16,iso/int8 --model tiny --phase decode --json '%s'", path);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "baseline iso/fp16");
    assert_int_equal(tu_dir_count(tmpdir, "*"), 1);
    j = cli_json_file(path);
    remove(path);
    assert_int_equal(cJSON_GetArraySize(cli_arr(j, "points")), 2);
    cJSON_Delete(j);
}

/* --seq/--kv: a value typed is a value (issue 20: -1 ran as "not given", with 2048); "not given" is
 * the flag's absence. Every value < 1 exits 2 naming the flag; explicit 2048 equals the default. */
static void seq_kv_typed_values(void **state)
{
    (void)state;
    static const CliCase cases[] = {
        {"run --arch iso/fp16 --model tiny --seq -1", "--seq -1: must be >= 1"},
        {"run --arch iso/fp16 --model tiny --phase decode --kv -1", "--kv -1: must be >= 1"},
        {"run --arch iso/fp16 --model tiny --seq 0", "--seq 0: must be >= 1"},
        {"run --arch iso/fp16 --model tiny --phase decode --kv 0", "--kv 0: must be >= 1"},
        {"run --arch iso/fp16 --model tiny --seq -2", "--seq -2: must be >= 1"},
        {"run --arch iso/fp16 --model tiny --seq=-1", "--seq -1: must be >= 1"},
        {"run --arch iso/fp16 --model tiny --seq 1x", "'1x' is not an integer"},
        {"compare --archs iso/fp16,iso/int8 --model tiny --phase decode --kv -1", "--kv -1: must be >= 1"},
        {"run --arch iso/fp16 --model " EXAMPLE_CSV " --seq -1", "--seq -1: must be >= 1"},
    };
    CLI_EXPECT_CASES(cases, CLI_ERR_MERGE, 2);
    CLI_EXPECT("run --arch iso/fp16 --model tiny --phase decode --json -", CLI_ERR_DROP, 0);
    cJSON *dflt = cli_json_out();
    CLI_EXPECT("run --arch iso/fp16 --model tiny --phase decode --kv 2048 --json -", CLI_ERR_DROP, 0);
    cJSON *given = cli_json_out();
    assert_true(cli_num(dflt, "cycles") > 0);
    assert_true(cli_num(dflt, "cycles") == cli_num(given, "cycles"));
    cJSON_Delete(dflt);
    cJSON_Delete(given);
}

/* ------------------------------------------------------------------ reported, not fixed yet */

/* Each test below checks a bug reported with its reproduction; each begins with TU_KNOWN_BUG()
 * (tests/testutil.h: -DMPSIM_TEST_KNOWN_BUGS=0 skips them). */

/* BUG: --seq 0 / --kv 0 are taken as "the default" (2048), although the message says ">= 1" and
 * `trace show --seq 0` rejects them. */
static void bug_seq_zero_accepted(void **state)
{
    TU_KNOWN_BUG();
    CLI_EXPECT("run --arch iso/fp16 --model tiny --seq 0", CLI_ERR_MERGE, 2);
    CLI_EXPECT("run --arch iso/fp16 --model tiny --phase decode --kv 0", CLI_ERR_MERGE, 2);
}

/* Exit 2, or exit 0 with a sane result: positive cycles and every forced extent within the layer. */
static void rejected_or_sane(const char *args)
{
    int rc = cli_run(args, CLI_ERR_MERGE);
    if (rc == 2)
        return;
    if (rc != 0)
        fail_msg("mpsim %s: exit %d; output:\n%.4000s", args, rc, cli_out);
    cJSON *j = cli_json_out();
    const cJSON *l;
    if (!(cli_num(j, "cycles") > 0) || !(cli_num(j, "macs") > 0))
        fail_msg("mpsim %s: %.0f cycles, %.0f MACs", args, cli_num(j, "cycles"), cli_num(j, "macs"));
    cJSON_ArrayForEach(l, cli_arr(j, "layers"))
    {
        const cJSON *mp = cli_item(l, "mapping");
        if (cli_num(mp, "bm") > cli_num(l, "m") || cli_num(mp, "bn") > cli_num(l, "n") ||
            cli_num(mp, "bk") > cli_num(l, "k") || !(cli_num(l, "cycles") > 0))
            fail_msg("mpsim %s: layer %s mapped %.0fx%.0fx%.0f, %.0f cycles", args, cli_str(l, "name"),
                     cli_num(mp, "bm"), cli_num(mp, "bn"), cli_num(mp, "bk"), cli_num(l, "cycles"));
    }
    cJSON_Delete(j);
}

/* BUG: a forced block near INT64_MAX overflows the block counts in map.c (cdiv): 0 steps, 0
 * cycles, 0 MACs, exit 0. Forced blocks whose products wrap int64 (2^32 x 2^32) pass the capacity
 * check in fits(). */
static void bug_forced_block_overflow(void **state)
{
    TU_KNOWN_BUG();
    rejected_or_sane("run --arch iso/fp16 --model tiny --blocks 9223372036854775807x0x0 --json -");
    rejected_or_sane("run --arch iso/fp16 --model tiny --blocks 4294967296x4294967296x4294967296 --json -");
}

/* BUG: a forced BK that is not a multiple of BitMoD's 4 lanes is accepted; the cycle run then
 * differs from the golden GEMM (exit 1, "simulated output ... differs"). Bad input: exit 2 (or a
 * correct run). */
static void bug_forced_bk_unaligned(void **state)
{
    TU_KNOWN_BUG();
    char args[1024];
    snprintf(args, sizeof args, "run --arch iso/bitmod-w4 --model '%s' --fidelity cycle --blocks 0x0x6", EXAMPLE_CSV);
    int rc = cli_run(args, CLI_ERR_MERGE);
    if (rc != 0 && rc != 2)
        fail_msg("mpsim %s: exit %d; output:\n%.4000s", args, rc, cli_out);
}

/* BUG: a forced blocking that does not fit is reported as "no blocking ... fits" with a hint about
 * a minimal array tile, not as the forced blocking being too large. */
static void bug_forced_misfit_message(void **state)
{
    TU_KNOWN_BUG();
    CLI_EXPECT("run --arch iso/fp16 --model tiny --blocks 1x1000000x1000000", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "forced");
}

/* BUG: a cross-field --set error names "--set:0:" (a line number that does not exist). */
static void bug_set_line_zero(void **state)
{
    TU_KNOWN_BUG();
    CLI_EXPECT("run --arch iso/fp16 --model tiny --set quant.weight_bits=5", CLI_ERR_MERGE, 2);
    if (strstr(cli_out, "--set:0:"))
        fail_msg("the message names line 0 of --set: %s", cli_out);
}

/* BUG: compare does not say which design failed when one of its layers cannot be mapped. */
static void bug_compare_names_design(void **state)
{
    TU_KNOWN_BUG();
    CLI_EXPECT("compare --archs iso/fp16,iso/int8 --model tiny --set sram.out_kib=1,arch.rows=4096", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "iso/fp16");
}

/* BUG (fixed): at cycle fidelity an error of sim_gemm (e.g. a mapping that does not fit) was not
 * prefixed with the layer's name. Forced extents are clamped per GEMM, so lm_head is the one. */
static void bug_cycle_error_names_layer(void **state)
{
    TU_KNOWN_BUG();
    CLI_EXPECT("run --arch iso/fp16 --model tiny --phase decode --kv 32 --fidelity cycle --blocks 1x1000000x1000000",
               CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "lm_head: mapping:");
}

/* BUG: array tiles keep their extents in int (sim/petime.h Tile.tm/tn/tk; engine.c tile_next casts
 * the block's int64 extents): a K block of 2^31 (OS) or an M block of 2^31 (WS, after the
 * capacity product in map.c wraps) turns negative: negative MACs and utilization, exit 0. */
static void bug_tile_extent_truncation(void **state)
{
    TU_KNOWN_BUG();
    static const struct { const char *csv, *set; double macs; } cases[] = {
        {"name,m,n,k\nbig,1,1,2147483648\n",
         "arch.rows=1,arch.cols=1,sram.double_buffer=false,sram.weight_kib=1048576,sram.act_kib=1048576",
         2147483648.0},
        {"name,m,n,k\nhuge,2147483648,268435456,1\n",
         "arch.dataflow=ws,arch.rows=1,arch.cols=4096,sram.weight_kib=1048576,sram.act_kib=1048576,"
         "sram.out_kib=1048576,sram.double_buffer=false",
         2147483648.0 * 268435456.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], args[2048];
        snprintf(path, sizeof path, "%s/big.csv", tmpdir);
        tu_write_text(path, cases[i].csv);
        snprintf(args, sizeof args, "run --arch iso/olive --model '%s' --set %s --json -", path, cases[i].set);
        int rc = cli_run(args, CLI_ERR_DROP);
        remove(path);
        if (rc == 2)
            continue;
        assert_int_equal(rc, 0);
        cJSON *j = cli_json_out();
        if (cli_num(j, "macs") != cases[i].macs || !(cli_num(j, "utilization") > 0 && cli_num(j, "utilization") <= 1))
            fail_msg("mpsim %s: %.0f MACs (want %.0f), utilization %g", args, cli_num(j, "macs"), cases[i].macs,
                     cli_num(j, "utilization"));
        cJSON_Delete(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iso_presets_decode_json), cmocka_unit_test(all_presets_both_phases),
        cmocka_unit_test(table_output),            cmocka_unit_test(docs_worked_examples),
        cmocka_unit_test(docs_vector_example),
        cmocka_unit_test(cycle_equals_fast),       cmocka_unit_test(cycle_too_large),
        cmocka_unit_test(forced_mappings),         cmocka_unit_test(seq_kv_typed_values),
        cmocka_unit_test(compare_json),            cmocka_unit_test(bad_input),
        cmocka_unit_test(bad_config_file),         cmocka_unit_test(json_files),
        cmocka_unit_test(bug_seq_zero_accepted),   cmocka_unit_test(bug_forced_block_overflow),
        cmocka_unit_test(bug_forced_bk_unaligned), cmocka_unit_test(bug_forced_misfit_message),
        cmocka_unit_test(bug_set_line_zero),       cmocka_unit_test(bug_compare_names_design),
        cmocka_unit_test(bug_tile_extent_truncation), cmocka_unit_test(bug_cycle_error_names_layer),
        cmocka_unit_test(work_limits),
    };
    return cmocka_run_group_tests_name("cli_run", tests, setup, teardown);
}
