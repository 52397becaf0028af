/* tests/test_cli_accuracy.c — the built binary's `mpsim accuracy`: JSON that parses and holds every
 * format's metrics, sane orderings, determinism (seed, thread count), tensors from safetensors files
 * (weights alone, weights paired with activations by name), BitMoD single variants, and exit status 2
 * with a message for bad input. Small problems only (the tiny model, a few rows and tokens).
 * The binary is $MPSIM_BIN (set by `make unit-test`); without it every test fails and says so. */
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

#include "traces/safetensors.h"
#include "traces/synth.h"

static char tmpdir[] = "/tmp/mpsim_cliacc_XXXXXX";

/* The formats of `--formats all`, in the table's order. */
static const char *const all_formats[] = {"fp16",        "int8",        "int8-a4",     "int4",       "w4a16-dq",
                                          "mixpe-w4a8",  "mixpe-w4a16", "bitmod-w4",   "bitmod-w3",  "olive-w4a4",
                                          "ant-w4a4",    "olive-w4a16", "ant-w4a16",   "ant-w4a4-mp", "ant-w4a16-mp"};
#define NFMT ((int)(sizeof all_formats / sizeof all_formats[0]))

/* A small synthetic study: the tiny model's first layer, 16 weight rows, 4 tokens. */
#define SMALL "accuracy --model tiny --layers 1 --rows 16 --tokens 4"

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }
static const char *tpath(const char *name) { return tu_path(tmpdir, name); }

/* The summary's metrics of one format: every documented key is a finite number. */
static const cJSON *fmt_metrics(const cJSON *root, const char *name)
{
    const cJSON *m = cli_obj(cli_obj(root, "summary"), name);
    static const char *const keys[] = {"sqnr_db",       "weight_sqnr_db", "rel_err",
                                       "cosine",        "max_abs_err",    "ideal_sqnr_db",
                                       "ideal_rel_err", "hw_vs_ideal_sqnr_db"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!isfinite(cli_num(m, keys[i])))
            fail_msg("format %s: %s is not finite", name, keys[i]);
    return m;
}

/* `--formats all --json -`: every format with its metrics, per-layer entries, and sane values. */
static void json_all_formats(void **state)
{
    (void)state;
    CLI_EXPECT(SMALL " --formats all --json -", CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    assert_string_equal(cli_str(j, "source"), "synthetic");
    assert_string_equal(cli_str(j, "model"), "tiny");
    assert_string_equal(cli_str(j, "bitmod_err"), "fp16");
    assert_true(cli_num(j, "tokens") == 4 && cli_num(j, "rows") == 16 && cli_num(j, "seed") == 1);
    const cJSON *sum = cli_obj(j, "summary");
    assert_int_equal(cJSON_GetArraySize(sum), NFMT);
    for (int f = 0; f < NFMT; f++) {
        const cJSON *m = fmt_metrics(j, all_formats[f]);
        double sq = cli_num(m, "sqnr_db"), rel = cli_num(m, "rel_err"), cs = cli_num(m, "cosine");
        /* rel_err and sqnr_db are two views of one ratio */
        assert_true(fabs(sq - (-20 * log10(rel))) < 1e-6 * (1 + fabs(sq)));
        assert_true(cs > 0 && cs <= 1 + 1e-12);
        assert_true(cli_num(m, "max_abs_err") > 0);
        /* the datapath's own error is far below the quantization error (docs/pe.md bounds) */
        if (!(cli_num(m, "hw_vs_ideal_sqnr_db") > sq + 20))
            fail_msg("%s: hw_vs_ideal_sqnr_db %.2f is not far above sqnr_db %.2f", all_formats[f],
                     cli_num(m, "hw_vs_ideal_sqnr_db"), sq);
        int bm = !strncmp(all_formats[f], "bitmod", 6), ol = !strcmp(all_formats[f], "olive-w4a4"),
            an = !strncmp(all_formats[f], "ant", 3), mp = an && strstr(all_formats[f], "-mp") != NULL;
        int olw = ol || !strcmp(all_formats[f], "olive-w4a16"); /* weight-only OliVe: no activation pairs */
        assert_int_equal(cJSON_HasObjectItem(m, "bitmod_groups"), bm);
        assert_int_equal(cJSON_HasObjectItem(m, "bitmod_fp16_fp64_disagree"), bm);
        assert_int_equal(cJSON_HasObjectItem(m, "olive_weight_outlier_pair_frac"), olw);
        assert_int_equal(cJSON_HasObjectItem(m, "olive_act_outlier_pair_frac"), ol);
        /* ANT: the 8-bit fallback's counts (on in the -mp rows only); 7 weight tensors, activations
         * only where they are ANT too (W4A4) */
        assert_int_equal(cJSON_HasObjectItem(m, "ant_weight_int8_frac"), an);
        if (an) {
            assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ant_fallback")), mp);
            assert_int_equal(cJSON_HasObjectItem(m, "ant_fallback_msnr_db"), mp);
            assert_true(cli_num(m, "ant_weight_tensors") == 7);
            assert_true(cli_num(m, "ant_act_tensors") == (strstr(all_formats[f], "w4a4") ? 7 : 0));
            double w8 = cli_num(m, "ant_weight_int8"), bits = cli_num(m, "ant_weight_code_bits");
            if (!mp)
                assert_true(w8 == 0 && cli_num(m, "ant_act_int8") == 0 && bits == 4);
            assert_true(bits >= 4 && bits <= 8 && cli_num(m, "ant_weight_int8_own") <= w8);
        }
        if (bm) /* 7 GEMMs x 16 rows x K/128 groups */
            assert_true(cli_num(m, "bitmod_groups") == 16.0 * (2 + 2 + 2 + 2 + 2 + 2 + 4));
    }
    double fp16 = cli_num(fmt_metrics(j, "fp16"), "sqnr_db"), int8 = cli_num(fmt_metrics(j, "int8"), "sqnr_db"),
           int4 = cli_num(fmt_metrics(j, "int4"), "sqnr_db");
    if (!(fp16 > int8 && int8 > int4))
        fail_msg("SQNR order fp16 %.2f > int8 %.2f > int4 %.2f does not hold", fp16, int8, int4);
    assert_true(cli_num(fmt_metrics(j, "fp16"), "cosine") > 0.9999);
    assert_true(cli_num(fmt_metrics(j, "bitmod-w4"), "weight_sqnr_db") >
                cli_num(fmt_metrics(j, "bitmod-w3"), "weight_sqnr_db"));

    /* tiny: the 7 weight GEMMs of layer 0 (lm_head is left out) */
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
    assert_true(cJSON_IsArray(layers));
    assert_int_equal(cJSON_GetArraySize(layers), 7);
    const cJSON *L;
    cJSON_ArrayForEach(L, layers)
    {
        assert_true(!strncmp(cli_str(L, "name"), "layers.0.", 9));
        assert_true(cli_num(L, "n") == 16 && cli_num(L, "tokens") == 4);
        const cJSON *fm = cli_obj(L, "formats");
        assert_int_equal(cJSON_GetArraySize(fm), NFMT);
        for (int f = 0; f < NFMT; f++) {
            const cJSON *x = cli_obj(fm, all_formats[f]);
            assert_true(isfinite(cli_num(x, "sqnr_db")) && isfinite(cli_num(x, "ideal_sqnr_db")) &&
                        isfinite(cli_num(x, "weight_sqnr_db")));
        }
    }
    assert_string_equal(cli_str(cJSON_GetArrayItem(layers, 0), "name"), "layers.0.q_proj");
    cJSON_Delete(j);

    /* the human tables name every format and the seed */
    CLI_EXPECT(SMALL, CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "summary over 7 GEMMs");
    CLI_CONTAINS(cli_out, "seed 1");
    CLI_CONTAINS(cli_out, "hw_err_db");
    for (int f = 0; f < NFMT; f++)
        CLI_CONTAINS(cli_out, all_formats[f]);
}

/* The "summary" object printed without formatting (caller frees). */
static char *summary_of_out(void)
{
    cJSON *j = cli_json_out();
    char *s = cJSON_PrintUnformatted(cli_obj(j, "summary"));
    cJSON_Delete(j);
    assert_non_null(s);
    return s;
}

/* Same seed: the same bytes, whatever the thread count; another seed: other numbers. */
static void deterministic(void **state)
{
    (void)state;
    static char first[CLI_CAP];
    const char *args = SMALL " --formats all --json -";
    assert_int_equal(cli_run(args, CLI_ERR_DROP), 0);
    memcpy(first, cli_out, strlen(cli_out) + 1);
    assert_int_equal(cli_run(args, CLI_ERR_DROP), 0);
    assert_string_equal(cli_out, first);
    assert_int_equal(cli_run_env("OMP_NUM_THREADS=1", args, CLI_ERR_DROP), 0);
    assert_string_equal(cli_out, first);
    assert_int_equal(cli_run_env("OMP_NUM_THREADS=3", args, CLI_ERR_DROP), 0);
    assert_string_equal(cli_out, first);

    char *s1 = summary_of_out();
    assert_int_equal(cli_run(SMALL " --formats all --seed 2 --json -", CLI_ERR_DROP), 0);
    char *s2 = summary_of_out();
    assert_string_not_equal(s1, s2);
    cJSON *j = cli_json_out();
    assert_true(cli_num(j, "seed") == 2);
    cJSON_Delete(j);
    free(s1);
    free(s2);
}

/* --weights with a file from `mpsim trace gen`: every 2-D tensor is a weight, activations synthetic. */
static void weights_from_trace_gen(void **state)
{
    (void)state;
    char args[1024];
    const char *g = tpath("g.safetensors");
    snprintf(args, sizeof args, "trace gen --out '%s' --m 8 --n 48 --k 256 --seed 5", g);
    CLI_EXPECT(args, CLI_ERR_MERGE, 0);
    snprintf(args, sizeof args, "accuracy --weights '%s' --layers 0 --rows 0 --tokens 4 --formats fp16,int8,bitmod-w4 --json -", g);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    assert_string_equal(cli_str(j, "source"), "safetensors");
    assert_string_equal(cli_str(j, "weights"), g);
    assert_int_equal(cJSON_GetArraySize(cli_obj(j, "summary")), 3);
    /* trace gen stores F16 by default: the fp16 format leaves the weights exact (null = +inf dB) */
    const cJSON *fp16 = cli_obj(cli_obj(j, "summary"), "fp16");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp16, "weight_sqnr_db")));
    assert_true(cli_num(fp16, "sqnr_db") > 60);
    assert_true(cli_num(fp16, "sqnr_db") > cli_num(fmt_metrics(j, "int8"), "sqnr_db"));
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
    assert_int_equal(cJSON_GetArraySize(layers), 2); /* 'act' [8, 256] and 'weight' [48, 256], name order */
    const cJSON *a = cJSON_GetArrayItem(layers, 0), *w = cJSON_GetArrayItem(layers, 1);
    assert_string_equal(cli_str(a, "name"), "act");
    assert_string_equal(cli_str(w, "name"), "weight");
    assert_true(cli_num(a, "n") == 8 && cli_num(a, "k") == 256 && cli_num(a, "tokens") == 4);
    assert_true(cli_num(w, "n") == 48 && cli_num(w, "k") == 256 && cli_num(w, "tokens") == 4);
    cJSON_Delete(j);

    /* --layers N takes the first N tensors; --rows samples weight rows */
    snprintf(args, sizeof args, "accuracy --weights '%s' --layers 1 --rows 16 --tokens 4 --formats fp16 --json -", g);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    j = cli_json_out();
    layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
    assert_int_equal(cJSON_GetArraySize(layers), 1);
    assert_string_equal(cli_str(cJSON_GetArrayItem(layers, 0), "name"), "act");
    assert_true(cli_num(cJSON_GetArrayItem(layers, 0), "n") == 8); /* fewer rows than asked: all of them */
    cJSON_Delete(j);
    snprintf(args, sizeof args, "accuracy --weights '%s' --layers 0 --rows 16 --tokens 4 --formats fp16 --json -", g);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    j = cli_json_out();
    assert_true(cli_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "layers"), 1), "n") == 16);
    cJSON_Delete(j);
}

/* Write a safetensors file of F16 tensors: names[i] is rows[i] x cols[i] of synthetic data. */
static void write_st(const char *path, int count, const char *const *names, const int *rows, const int *cols, int acts)
{
    StWriter *w = NULL;
    MpErr e = {0};
    SynParams p;
    syn_params_default(&p);
    assert_int_equal(st_writer_new(&w, &e), MP_OK);
    for (int i = 0; i < count; i++) {
        float *d = malloc((size_t)rows[i] * cols[i] * sizeof *d);
        assert_non_null(d);
        int rc = acts ? syn_acts(&p, 100 + i, (size_t)rows[i], (size_t)cols[i], d, NULL, &e)
                      : syn_weights(&p, 200 + i, (size_t)rows[i], (size_t)cols[i], d, &e);
        assert_int_equal(rc, MP_OK);
        uint64_t shape[2] = {(uint64_t)rows[i], (uint64_t)cols[i]};
        assert_int_equal(st_writer_add(w, names[i], ST_F16, 2, shape, d, &e), MP_OK);
        free(d);
    }
    if (st_writer_write(w, path, &e) != MP_OK)
        fail_msg("writing %s: %s", path, e.msg);
    st_writer_free(w);
}

/* --acts pairs each weight with the activation of the same name; T comes from the file. */
static void acts_pairing(void **state)
{
    (void)state;
    static const char *const names[] = {"blk.a", "blk.b"};
    const char *wp = tpath("w.safetensors"), *xp = tpath("x.safetensors");
    write_st(wp, 2, names, (const int[]){24, 16}, (const int[]){128, 256}, 0);
    write_st(xp, 2, (const char *const[]){"blk.b", "blk.a"}, (const int[]){3, 5}, (const int[]){256, 128}, 1);
    char args[1200];
    snprintf(args, sizeof args, "accuracy --weights '%s' --acts '%s' --layers 0 --rows 0 --json -", wp, xp);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
    assert_int_equal(cJSON_GetArraySize(layers), 2);
    const cJSON *a = cJSON_GetArrayItem(layers, 0), *b = cJSON_GetArrayItem(layers, 1);
    assert_string_equal(cli_str(a, "name"), "blk.a");
    assert_true(cli_num(a, "n") == 24 && cli_num(a, "k") == 128 && cli_num(a, "tokens") == 5);
    assert_string_equal(cli_str(b, "name"), "blk.b");
    assert_true(cli_num(b, "n") == 16 && cli_num(b, "k") == 256 && cli_num(b, "tokens") == 3);
    /* F16 tensors are fp16 values already: the fp16 format quantizes nothing, so its ideal GEMM and
     * its weights are exact (null = +inf dB), and what is left is the fp32 accumulation's error */
    const cJSON *fp16 = cli_obj(cli_obj(j, "summary"), "fp16");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp16, "ideal_sqnr_db")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp16, "weight_sqnr_db")));
    assert_true(cli_num(fp16, "ideal_rel_err") == 0);
    assert_true(cli_num(fp16, "sqnr_db") > 100);
    for (int f = 1; f < NFMT; f++) /* every other format does quantize */
        assert_true(isfinite(cli_num(fmt_metrics(j, all_formats[f]), "sqnr_db")));
    cJSON_Delete(j);

    /* a weight without its activation: exit 2 naming the activation file and the tensor */
    const char *x1 = tpath("x1.safetensors");
    write_st(x1, 1, names, (const int[]){5}, (const int[]){128}, 1);
    snprintf(args, sizeof args, "accuracy --weights '%s' --acts '%s' --layers 0", wp, x1);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, x1);
    CLI_CONTAINS(cli_out, "'blk.b'");
    /* an activation with the wrong K: the same */
    const char *x2 = tpath("x2.safetensors");
    write_st(x2, 2, names, (const int[]){5, 3}, (const int[]){128, 128}, 1);
    snprintf(args, sizeof args, "accuracy --weights '%s' --acts '%s' --layers 0", wp, x2);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, x2);
    CLI_CONTAINS(cli_out, "256 columns");
    /* --layers 1 stops before the unpaired tensor */
    snprintf(args, sizeof args, "accuracy --weights '%s' --acts '%s' --layers 1 --formats fp16 --json -", wp, x1);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    /* an activation file that is not safetensors */
    const char *bad = tpath("bad.safetensors");
    tu_write_text(bad, "not a safetensors file");
    snprintf(args, sizeof args, "accuracy --weights '%s' --acts '%s'", wp, bad);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, bad);
}

/* Single BitMoD variants, --bitmod-single and the two error modes. */
static void bitmod_variants(void **state)
{
    (void)state;
    CLI_EXPECT(SMALL " --formats bitmod-w4:er_pos --json -", CLI_ERR_DROP, 0);
    cJSON *j = cli_json_out();
    assert_int_equal(cJSON_GetArraySize(cli_obj(j, "summary")), 1);
    /* one variant everywhere: the two error modes cannot pick differently */
    assert_true(cli_num(fmt_metrics(j, "bitmod-w4:er_pos"), "bitmod_fp16_fp64_disagree") == 0);
    cJSON_Delete(j);

    static const char *const variants[] = {"er_pos", "er_neg", "ea_pos", "ea_neg"};
    double disagree[2][2];
    for (int mode = 0; mode < 2; mode++) {
        char args[512];
        snprintf(args, sizeof args, SMALL " --formats bitmod-w4,bitmod-w3 --bitmod-single --bitmod-err %s --json -",
                 mode ? "f64" : "fp16");
        CLI_EXPECT(args, CLI_ERR_DROP, 0);
        j = cli_json_out();
        assert_string_equal(cli_str(j, "bitmod_err"), mode ? "f64" : "fp16");
        assert_int_equal(cJSON_GetArraySize(cli_obj(j, "summary")), 2 + 8);
        for (int b = 0; b < 2; b++) {
            char name[48];
            const char *base = b ? "bitmod-w3" : "bitmod-w4";
            double mix = cli_num(fmt_metrics(j, base), "weight_sqnr_db");
            disagree[mode][b] = cli_num(fmt_metrics(j, base), "bitmod_fp16_fp64_disagree");
            for (int v = 0; v < 4; v++) {
                snprintf(name, sizeof name, "%s:%s", base, variants[v]);
                double one = cli_num(fmt_metrics(j, name), "weight_sqnr_db");
                /* with the fp64 error the per-group choice minimizes each group's squared error over the
                 * same candidates, so the mixture's weight error is at most any single variant's (the
                 * choice is made on fp16-rounded weights; the metric uses the fp32 ones: a small slack) */
                if (mode == 1 && !(mix >= one - 0.01))
                    fail_msg("--bitmod-err f64: %s weight SQNR %.3f below %s's %.3f", base, mix, name, one);
            }
        }
        cJSON_Delete(j);
    }
    /* the disagreement count compares the two modes' picks: the same whichever mode is used */
    assert_true(disagree[0][0] == disagree[1][0] && disagree[0][1] == disagree[1][1]);
}

/* --ant-fb-db moves ANT's 8-bit fallback: at 100 dB every ANT tensor falls back (8 code bits per
 * weight, both operands of W4A4 at ant-int8, per layer too), at -100 dB none does; a threshold that
 * is not a finite number is exit 2. */
static void ant_fallback_threshold(void **state)
{
    (void)state;
    double sq[2];
    for (int hi = 0; hi < 2; hi++) {
        char args[256];
        snprintf(args, sizeof args, SMALL " --formats ant-w4a4-mp,ant-w4a16-mp --ant-fb-db %s --json -",
                 hi ? "100" : "-100");
        CLI_EXPECT(args, CLI_ERR_DROP, 0);
        cJSON *j = cli_json_out();
        for (int f = 0; f < 2; f++) {
            const cJSON *m = fmt_metrics(j, f ? "ant-w4a16-mp" : "ant-w4a4-mp");
            assert_true(cli_num(m, "ant_fallback_msnr_db") == (hi ? 100 : -100));
            assert_true(cli_num(m, "ant_weight_int8") == (hi ? 7 : 0));
            assert_true(cli_num(m, "ant_weight_int8_own") == (hi ? 7 : 0));
            assert_true(cli_num(m, "ant_weight_int8_frac") == (hi ? 1 : 0));
            assert_true(cli_num(m, "ant_weight_code_bits") == (hi ? 8 : 4));
            assert_true(cli_num(m, "ant_act_int8") == (hi && !f ? 7 : 0));
            if (!f)
                sq[hi] = cli_num(m, "sqnr_db");
        }
        const cJSON *L0 = cli_obj(cli_obj(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "layers"), 0),
                                          "formats"), "ant-w4a4-mp");
        if (hi) {
            assert_string_equal(cli_str(L0, "weight_type"), "ant-int8");
            assert_string_equal(cli_str(L0, "act_type"), "ant-int8");
        } else
            assert_true(strcmp(cli_str(L0, "weight_type"), "ant-int8") != 0);
        assert_true(isfinite(cli_num(L0, "ant_weight_msnr4_db")) && isfinite(cli_num(L0, "ant_act_msnr4_db")));
        assert_true(cli_num(L0, "ant_weight_mse4") > 0 && cli_num(L0, "ant_act_mse4") > 0);
        cJSON_Delete(j);
    }
    if (!(sq[1] > sq[0] + 10)) /* 8 bits instead of 4: far better outputs */
        fail_msg("ant-w4a4-mp: all 8-bit %.2f dB vs all 4-bit %.2f dB", sq[1], sq[0]);
    CLI_EXPECT(SMALL " --formats ant-w4a4-mp --ant-fb-db 100", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "8-bit (MSNR4 < 100 dB): weights 7/7 (own 7), activations 7/7 (own 7); 8.000 code bits/weight");
    CLI_EXPECT(SMALL " --formats ant-w4a4-mp --ant-fb-db nan", CLI_ERR_MERGE, 2);
    CLI_CONTAINS(cli_out, "--ant-fb-db");
}

/* Bad flags and values: exit 2 with a message naming the problem. */
static void usage_errors(void **state)
{
    (void)state;
    static const CliCase cases[] = {
        {"accuracy --model tiny --formats int3", "unknown format 'int3'"},
        {"accuracy --model tiny --formats fp16,nosuch", "unknown format 'nosuch'"},
        {"accuracy --model tiny --bitmod-err bad", "--bitmod-err takes fp16 or f64"},
        {"accuracy --model tiny --weights /nonexistent.safetensors", "exactly one of --model or --weights"},
        {"accuracy", "exactly one of --model or --weights"},
        {"accuracy --model tiny --tokens 0", "--tokens 1..65536"},
        {"accuracy --model tiny --tokens 65537", "--tokens 1..65536"},
        {"accuracy --model tiny --rows -1", "--rows"},
        {"accuracy --model tiny --seed -1", "--seed"},
        {"accuracy --model tiny --layers 3", "tiny has 2 layers"},
        {"accuracy --model tiny --layers 0", "tiny has 2 layers"},
        {"accuracy --model nosuch", "unknown model 'nosuch'"},
        {"accuracy --model tiny --formats int8:er_pos", "applies only to bitmod formats"},
        {"accuracy --model tiny --formats bitmod-w4:bogus", "unknown BitMoD variant"},
        {"accuracy --model tiny --acts /tmp/x.safetensors", "--acts goes with --weights"},
        {"accuracy --weights /nonexistent/w.safetensors", "/nonexistent/w.safetensors: cannot open"},
        {"accuracy --model tiny --bogus", "unknown option '--bogus'"},
        {"accuracy --model tiny --tokens 2x", "not an integer"},
        {"accuracy --model", "needs a value"},
    };
    CLI_EXPECT_CASES(cases, CLI_ERR_MERGE, 2);
    CLI_EXPECT("accuracy --help", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "usage: mpsim accuracy");
    CLI_EXPECT(SMALL " --formats bitmod-w4:er_pos,bitmod-w3:ea_neg,int8", CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "bitmod-w3:ea_neg");
}

/* --json FILE: the file holds the JSON and the table still goes to stdout; a failing run leaves
 * no file behind. */
static void json_file(void **state)
{
    (void)state;
    char args[1024];
    const char *p = tpath("acc.json");
    snprintf(args, sizeof args, SMALL " --formats fp16,int4 --json '%s'", p);
    CLI_EXPECT(args, CLI_ERR_DROP, 0);
    CLI_CONTAINS(cli_out, "summary over 7 GEMMs");
    cJSON *j = cli_json_file(p);
    remove(p);
    assert_int_equal(cJSON_GetArraySize(cli_obj(j, "summary")), 2);
    cJSON_Delete(j);
    snprintf(args, sizeof args, SMALL " --formats int3 --json '%s'", p);
    CLI_EXPECT(args, CLI_ERR_MERGE, 2);
    assert_int_equal(access(p, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_all_formats), cmocka_unit_test(deterministic),
        cmocka_unit_test(weights_from_trace_gen), cmocka_unit_test(acts_pairing),
        cmocka_unit_test(bitmod_variants), cmocka_unit_test(usage_errors), cmocka_unit_test(ant_fallback_threshold),
        cmocka_unit_test(json_file),
    };
    return cmocka_run_group_tests_name("cli_accuracy", tests, setup, teardown);
}
