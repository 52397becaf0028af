/* tests/test_sweep.c — sweep specs (dse/sweep.c): value lists and ranges, FILE:LINE errors for bad
 * specs, the cross product and its invalid combinations, keys (FNV-1a 64, stable, name-blind), and
 * in-process evaluation against the shared design-point code (sim/point.c). */
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

#include "sim/infer.h"
#include "sim/point.h"
#include "dse/sweep.h"
#include "dse/sweeprun.h"
#include "sweeputil.h"

static SweepPlan *load_ok(const char *text)
{
    SweepPlan *p = NULL;
    MpErr e = {0};
    int rc = sweep_plan_load_string("t.ini", text, ".", &p, &e);
    if (rc != MP_OK)
        fail_msg("spec rejected: %s\n%s", e.msg, text);
    return p;
}

static void fnv_vectors(void **state)
{
    (void)state;
    /* reference values of FNV-1a 64 (isthe.com/chongo/tech/comp/fnv) */
    assert_true(sweep_fnv1a64(SWEEP_FNV_BASIS, "", 0) == 0xcbf29ce484222325ull);
    assert_true(sweep_fnv1a64(SWEEP_FNV_BASIS, "a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(sweep_fnv1a64(SWEEP_FNV_BASIS, "foobar", 6) == 0x85944171f73967e8ull);
    char hex[17];
    sweep_key_hex(0xaf63dc4c8601ec8cull, hex);
    assert_string_equal(hex, "af63dc4c8601ec8c");
}

static void values_and_ranges(void **state)
{
    (void)state;
    SweepPlan *p = load_ok("[sweep]\nbase = iso/fp16, iso/olive\n[params]\n"
                           "sram.weight_kib = 128..1024 *2\n"
                           "arch.clock_mhz = 500..1000 +250\n"
                           "arch.dataflow = *\n"
                           "arch.rows = +16, 32 ; a comment\n"
                           "[workload]\nmodels = tiny\nphases = prefill, decode\nseq = 16..64 *2\nkv = 8, 16\n"
                           "batch = 1..3\n");
    assert_int_equal(p->nbase, 2);
    assert_string_equal(p->base_name[1], "iso/olive");
    assert_int_equal(p->nparam, 4);
    /* in file order: the last key varies fastest */
    assert_string_equal(p->param[0].name, "sram.weight_kib");
    assert_int_equal(p->param[0].nvalues, 4);
    assert_string_equal(p->param[0].values[3], "1024");
    assert_int_equal(p->param[1].nvalues, 3);
    assert_string_equal(p->param[1].values[1], "750");
    assert_string_equal(p->param[2].values[0], "os");
    assert_string_equal(p->param[2].values[1], "ws");
    assert_string_equal(p->param[3].values[0], "16"); /* canonical: "+16" is 16 */
    assert_int_equal(p->ndesign, 2 * 4 * 3 * 2 * 2);
    /* prefill: 3 lengths x 3 batches; decode: 2 x 3 */
    assert_int_equal(p->nwl, 9 + 6);
    assert_string_equal(p->wl[0].desc, "tiny prefill seq=16 batch=1");
    assert_string_equal(p->wl[14].desc, "tiny decode kv=16 batch=3");
    assert_int_equal(p->nrows, p->ndesign * p->nwl);
    /* design 1 = base 0 with the last key's second value */
    ArchConfig c;
    char label[256], params[256];
    MpErr e = {0};
    assert_int_equal(sweep_design(p, 1, &c, label, sizeof label, params, sizeof params, NULL, &e), MP_OK);
    assert_string_equal(label, "iso/fp16{weight_kib=128,clock_mhz=500,dataflow=os,rows=32}");
    assert_string_equal(params, "sram.weight_kib=128 arch.clock_mhz=500 arch.dataflow=os arch.rows=32");
    assert_int_equal(c.rows, 32);
    assert_int_equal(c.sram_weight_kib, 128);
    assert_true(c.clock_mhz == 500);
    assert_int_equal(sweep_design(p, p->ndesign - 1, &c, label, sizeof label, NULL, 0, NULL, &e), MP_OK);
    assert_string_equal(label, "iso/olive{weight_kib=1024,clock_mhz=1000,dataflow=ws,rows=32}");
    assert_int_equal(c.dataflow, DATAFLOW_WS);
    sweep_plan_free(p);
}

#define HEAD "[sweep]\nbase = iso/fp16\n" /* lines 1-2 */
#define WL "[workload]\nmodels = tiny\n"

static void spec_errors(void **state)
{
    (void)state;
    expect_bad(HEAD "[params]\narch.rowz = 16\n" WL, 4, "unknown key 'arch.rowz' in [params]");
    expect_bad(HEAD "[param]\narch.rows = 16\n" WL, 3, "unknown section [param]");
    expect_bad(HEAD "[params]\narch.rows = 16, 5000\n" WL, 4, "5000 is out of range [1, 4096] PEs");
    expect_bad(HEAD "[params]\narch.rows = 16, x\n" WL, 4, "'x' is not an integer");
    expect_bad(HEAD "[params]\narch.rows = 16,,32\n" WL, 4, "item 2 is empty");
    expect_bad(HEAD "[params]\narch.rows =\n" WL, 4, "empty list");
    expect_bad(HEAD "[params]\narch.rows = 16, 16\n" WL, 4, "value 16 is listed twice");
    expect_bad(HEAD "[params]\nsram.weight_kib = 1024..128 *2\n" WL, 4, "is empty (start > end)");
    expect_bad(HEAD "[params]\nsram.weight_kib = 128..1024 *1\n" WL, 4, "factor must be > 1");
    expect_bad(HEAD "[params]\nsram.weight_kib = 128..1024 +0\n" WL, 4, "step must be > 0");
    expect_bad(HEAD "[params]\nsram.weight_kib = 128..1024 +x\n" WL, 4, "is not an integer");
    expect_bad(HEAD "[params]\nsram.weight_kib = 1..99999999\n" WL, 4, "out of range");
    expect_bad(HEAD "[params]\nsram.weight_kib = 1..5000\n" WL, 4, "more than 4096 values");
    expect_bad(HEAD "[params]\narch.clock_mhz = 500..1000\n" WL, 4, "needs a step");
    expect_bad(HEAD "[params]\narch.dataflow = os..ws\n" WL, 4, "ranges (A..B) apply to numbers only");
    expect_bad(HEAD "[params]\narch.rows = *\n" WL, 4, "applies to names and booleans only");
    expect_bad(HEAD "[params]\narch.pe_kind = fp16, tpu\n" WL, 4, "'tpu' is not one of");
    expect_bad(HEAD "[params]\narch.rows = 16\narch.rows = 32\n" WL, 5, "duplicate key 'arch.rows'");
    expect_bad(HEAD "[params]\narch.name = x\n" WL, 4, "unknown key 'arch.name'");
    expect_bad("[sweep]\nbase = iso/nope\n" WL, 2, "iso/nope: no such preset");
    expect_bad("[sweep]\nbase = iso/fp16, iso/fp16\n" WL, 2, "'iso/fp16' is listed twice");
    expect_bad("[sweep]\nbase = nope/*\n" WL, 2, "no preset folder");
    expect_bad("[sweep]\nbase = my.ini\n" WL, 2, "no such config file");
    /* issue 20: a base escaping the spec's folder read any file and echoed its first key */
    expect_bad("[sweep]\nbase = /etc/passwd\n" WL, 2, "'/etc/passwd': not a preset or a config file");
    expect_bad("[sweep]\nbase = ../../../../etc/passwd\n" WL, 2, "not a preset or a config file");
    expect_bad("[sweep]\nbase = ../x.ini\n" WL, 2, "not a preset or a config file");
    expect_bad("[sweep]\nbase = sub/../../x.ini\n" WL, 2, "not a preset or a config file");
    expect_bad("[sweep]\nbase = iso/fp16.txt\n" WL, 2, "not a preset or a config file");
    expect_bad("[sweep]\nbase = iso//fp16\n" WL, 2, "not a preset or a config file");
    expect_bad("[sweep]\nbase = etc/passwd\n" WL, 2, "etc/passwd: no such preset");
    expect_bad("[sweep]\nbase = iso/fp16\n[params]\nenergy.tech = 28nm, nosuchtech\n" WL, 4, "nosuchtech");
    expect_bad("[sweep]\nfidelity = fast\n" WL, 4, "missing required key 'base' in [sweep]");
    expect_bad("[sweep]\nfidelity = slow\nbase = iso/fp16\n" WL, 2, "'slow' is not one of: fast cycle");
    expect_bad("[mpsim]\nsweep_version = 2\n" HEAD WL, 2, "out of range [1, 1]");
    expect_bad(HEAD "[workload]\nmodels = tiny, gpt5\n", 4, "unknown model 'gpt5'");
    expect_bad(HEAD "[workload]\nmodels = tiny, tiny\n", 4, "'tiny' is listed twice");
    expect_bad(HEAD "[workload]\nmodels = nope.csv\n", 4, "nope.csv");
    expect_bad(HEAD "[workload]\nmodels = /etc/x.csv\n", 4, "'/etc/x.csv': a layer CSV must be in or below");
    expect_bad(HEAD "[workload]\nmodels = ../../x.csv\n", 4, "'../../x.csv': a layer CSV must be in or below");
    expect_bad(HEAD "[workload]\nmodels = tiny\nphases = prefill, decod\n", 5, "'decod' is not one of: prefill decode request");
    /* requests: prompt and gen are lists of tokens >= 1, the KV cache within bounds, built-in models only */
    expect_bad(HEAD "[workload]\nmodels = tiny\nphases = request\nprompt = 0\n", 6,
               "[workload] prompt: '0': 0 is out of range [1, 1048576] tokens");
    expect_bad(HEAD "[workload]\nmodels = tiny\nphases = request\nprompt = 16\ngen = 4, -1\n", 7,
               "[workload] gen: '-1': -1 is out of range [1, 1048576] tokens");
    expect_bad(HEAD "[workload]\nmodels = tiny\nphases = request\nprompt = 1048576\ngen = 2\n", 7,
               "prompt 1048576 + gen 2 - 1 is more than 1048576 KV positions");
    expect_bad(HEAD "[workload]\nmodels = layers.csv\nphases = request\n", 4,
               "'layers.csv': a layer CSV has no request (phases = request needs a built-in model)");
    expect_bad(HEAD "[workload]\nmodels = tiny\nphases = request, request\n", 5, "value request is listed twice");
    expect_bad(HEAD "[workload]\nmodels = tiny\nbatch = 0\n", 5, "0 is out of range [1, 1048576] sequences");
    expect_bad(HEAD "[workload]\nmodels = tiny\nkv = 4..2\n", 5, "is empty");
    expect_bad(HEAD "[workload]\nphases = decode\n", 4, "missing required key 'models' in [workload]");
    expect_bad(HEAD WL "[accuracy]\nrows = 0\n", 6, "0 is out of range");
    expect_bad(HEAD WL "rows = 4\n", 5, "unknown key 'rows' in [workload]");
    expect_bad("base = iso/fp16\n" WL, 1, "outside any [section]");
}

static void invalid_combinations(void **state)
{
    (void)state;
    /* fp16 takes no 3- or 4-bit weights; bitmod takes both: 2 of 4 design points are valid */
    SweepPlan *p = load_ok(HEAD "[params]\narch.pe_kind = fp16, bitmod\nquant.weight_bits = 3, 4\n" WL);
    assert_int_equal(p->ndesign, 4);
    int valid = 0;
    for (int64_t d = 0; d < p->ndesign; d++) {
        ArchConfig c;
        MpErr e = {0};
        int rc = sweep_design(p, d, &c, NULL, 0, NULL, 0, NULL, &e);
        if (rc == MP_OK) {
            valid++;
            assert_int_equal(c.pe_kind, PE_BITMOD);
        } else {
            assert_int_equal(rc, MP_EINPUT);
            assert_non_null(strstr(e.msg, "not supported by pe_kind fp16"));
            assert_null(strstr(e.msg, "--set")); /* the message names the problem, not the mechanism */
        }
    }
    assert_int_equal(valid, 2);
    /* a dry run counts them, and the duplicate: iso/fp16 is 32x32, so rows = 32 repeats the base */
    SweepPlan *q = load_ok(HEAD "[params]\narch.rows = 16, 32\narch.pe_kind = fp16, bitmod\n"
                                "quant.weight_bits = 0, 3, 4\n" WL);
    SweepRunOpts o = {1, 0, 1, -1, 0, 1};
    SweepStats st;
    MpErr e = {0};
    assert_int_equal(sweep_run(q, "/nonexistent/dir/x.db", &o, &st, &e), MP_OK);
    assert_int_equal(st.rows, 12);
    /* invalid: fp16 with 3 or 4 bits (2 per rows value); bitmod with 0 and 4 bits are one config */
    assert_int_equal(st.invalid, 4);
    assert_int_equal(st.duplicate, 2);
    assert_int_equal(st.todo, 6);
    /* sharding: 0/3, 1/3, 2/3 cover the rows once */
    int64_t total = 0;
    for (int i = 0; i < 3; i++) {
        SweepRunOpts os = {1, i, 3, -1, 0, 1};
        assert_int_equal(sweep_run(q, "/nonexistent/dir/x.db", &os, &st, &e), MP_OK);
        total += st.in_shard;
    }
    assert_int_equal(total, 12);
    sweep_plan_free(p);
    sweep_plan_free(q);
}

static void keys(void **state)
{
    (void)state;
    SweepPlan *p = load_ok("[sweep]\nbase = iso/fp16, iso/int8\n[params]\narch.rows = 16, 32\n"
                           "[workload]\nmodels = tiny\nphases = prefill, decode\n");
    ArchConfig a, b;
    const SweepTech *t = NULL;
    MpErr e = {0};
    assert_int_equal(sweep_design(p, 0, &a, NULL, 0, NULL, 0, &t, &e), MP_OK);
    uint64_t k = sweep_key(&a, t, &p->wl[0]);
    /* the key is FNV-1a 64 of the key text */
    static char text[1 << 16];
    size_t n = sweep_key_text(&a, t, &p->wl[0], text, sizeof text);
    assert_true(n < sizeof text);
    assert_true(sweep_fnv1a64(SWEEP_FNV_BASIS, text, n) == k);
    assert_true(sweep_key_row(sweep_key_design(&a, t), &p->wl[0]) == k);
    assert_non_null(strstr(text, "mpsim sweep key v1\nmpsim.config_version=1\narch.pe_kind=fp16\narch.rows=16\n"));
    assert_null(strstr(text, "arch.name"));
    assert_non_null(strstr(text, "\nworkload tiny prefill seq=2048 batch=1\nq_proj "));
    /* blind to the name, sensitive to every value and to the workload */
    b = a;
    snprintf(b.name, sizeof b.name, "another name");
    assert_true(sweep_key(&b, t, &p->wl[0]) == k);
    b.sram_out_kib++;
    assert_true(sweep_key(&b, t, &p->wl[0]) != k);
    assert_true(sweep_key(&a, t, &p->wl[1]) != k);
    /* stable across runs of the program: a change here means every database's keys changed,
     * which needs DB_SCHEMA_VERSION or the key text's "v1" bumped (docs/dse.md) */
    char hex[17];
    sweep_key_hex(k, hex);
    printf("# key of iso/fp16{rows=16} on tiny prefill: %s\n", hex);
    sweep_plan_free(p);
}

static void eval_matches_point(void **state)
{
    (void)state;
    SweepPlan *p = load_ok("[sweep]\nbase = iso/mixpe-w4a8\n[params]\narch.rows = 8\narch.cols = 16\n"
                           "[workload]\nmodels = tiny\nphases = decode\nkv = 64\nbatch = 2\n");
    SweepOutcome o;
    MpErr e = {0};
    assert_int_equal(sweep_eval(p, 0, 0, FID_FAST, &o, &e), MP_OK);
    /* the same through the code `mpsim run` uses */
    ArchConfig c;
    TechTable t;
    assert_int_equal(config_load("iso/mixpe-w4a8", &c, NULL, NULL, 0, &e), MP_OK);
    assert_int_equal(config_apply_sets(&c, "arch.rows=8,arch.cols=16", &e), MP_OK);
    assert_int_equal(energy_tech_load(c.tech, &t, NULL, 0, &e), MP_OK);
    RunOpts ro = {FID_FAST, NULL, 1, 0, MAP_OBJ_TIME, NULL, NULL};
    Point pt;
    assert_int_equal(point_eval(&c, &t, p->wl[0].wl, &ro, 1, &pt, &e), MP_OK);
    assert_memory_equal(&o.total, &pt.res.total, sizeof o.total);
    assert_true(o.energy.total == pt.energy.total);
    assert_true(o.area_mm2 == pt.area_mm2);
    assert_true(o.seconds == pt.seconds);
    point_free(&pt);
    /* cycle fidelity gives the same numbers (the engine's contract) */
    SweepOutcome oc;
    assert_int_equal(sweep_eval(p, 0, 0, FID_CYCLE, &oc, &e), MP_OK);
    assert_memory_equal(&oc.total, &o.total, sizeof o.total);
    int64_t done = 0;
    assert_int_equal(sweep_eval_rows(p, 0, 5, &done, &e), MP_OK);
    assert_int_equal(done, 5);
    sweep_plan_free(p);
}

/* A request row: its workload, key and evaluation are `mpsim infer`'s request (infer_run, fast). */
static void request_matches_infer(void **state)
{
    (void)state;
    SweepPlan *p = load_ok("[sweep]\nbase = iso/mixpe-w4a8\n[workload]\nmodels = tiny\nphases = request, prefill\n"
                           "prompt = 16, 8\ngen = 4\nseq = 16\nbatch = 2\n");
    assert_int_equal(p->nwl, 3); /* 2 requests (in prompt order), then the prefill */
    assert_true(p->wl[0].request && p->wl[1].request && !p->wl[2].request);
    assert_string_equal(p->wl[0].desc, "tiny request prompt=16 gen=4 batch=2");
    assert_string_equal(p->wl[1].desc, "tiny request prompt=8 gen=4 batch=2");
    assert_int_equal(p->wl[0].prompt, 16);
    assert_int_equal(p->wl[0].gen, 4);
    assert_int_equal(p->wl[0].seq, 0);
    assert_int_equal(p->wl[0].kv, 0);
    /* a request's key differs from its prefill's (same GEMMs, another description) */
    assert_true(sweep_key(&p->base[0], &p->tech[0], &p->wl[0]) != sweep_key(&p->base[0], &p->tech[0], &p->wl[2]));
    SweepOutcome o, oc;
    MpErr e = {0};
    assert_int_equal(sweep_eval(p, 0, 0, FID_FAST, &o, &e), MP_OK);
    InferReq q = {wl_model_find("tiny", &e), 16, 4, 2};
    InferOpts io;
    memset(&io, 0, sizeof io);
    io.run.fid = FID_FAST;
    io.run.seed = 1;
    InferResult *r = malloc(sizeof *r);
    assert_non_null(r);
    assert_int_equal(infer_run(&p->base[0], &p->tech[0].t, &q, &io, r, &e), MP_OK);
    assert_true(o.request);
    assert_true(o.ttft_s == r->ttft_s);
    assert_true(o.tpot_s == r->tpot_mean_s);
    assert_true(o.tokens_per_s == r->tokens_per_s);
    assert_true(o.j_per_token == r->j_per_token);
    assert_true(o.energy.total == r->total_energy.total);
    assert_true(o.area_mm2 == r->area_mm2);
    assert_true(o.total.cycles == r->prefill_cycles + r->decode_cycles);
    assert_true(o.seconds == (double)o.total.cycles / (p->base[0].clock_mhz * 1e6));
    assert_true(o.total.macs == r->prefill_ev.macs + r->decode_ev.macs);
    /* the request's prefill is the prefill row's workload: the same TTFT */
    SweepOutcome op;
    assert_int_equal(sweep_eval(p, 0, 2, FID_FAST, &op, &e), MP_OK);
    assert_false(op.request);
    assert_true(op.seconds == o.ttft_s);
    /* a request runs fast at any sweep fidelity */
    assert_int_equal(sweep_eval(p, 0, 0, FID_CYCLE, &oc, &e), MP_OK);
    assert_memory_equal(&oc, &o, sizeof o);
    free(r);
    sweep_plan_free(p);
}

static void accuracy_group(void **state)
{
    (void)state;
    SweepPlan *p = load_ok(HEAD WL "[accuracy]\nrows = 8\ntokens = 4\n");
    const NumFormat *fp = num_format_for_kind(PE_FP16, 16), *mx = num_format_for_kind(PE_MIXPE_W4A8, 4);
    ArchConfig c = p->base[0];
    c.group_size = 64;
    assert_int_equal(sweep_acc_group(fp, &c), 0);
    assert_int_equal(sweep_acc_group(mx, &c), 64);
    SweepAccuracy a128, a64, a0;
    MpErr e = {0};
    assert_int_equal(sweep_accuracy(p, mx, 128, 0, &a128, &e), MP_OK);
    assert_int_equal(sweep_accuracy(p, mx, 64, 0, &a64, &e), MP_OK);
    assert_int_equal(sweep_accuracy(p, mx, 0, 0, &a0, &e), MP_OK);
    assert_true(a0.sqnr_db == a128.sqnr_db); /* 0 = the format's own group of 128 */
    assert_true(a64.sqnr_db > a128.sqnr_db); /* smaller groups quantize more finely */
    assert_int_equal(a128.gemms, 7);          /* q, k, v, o, gate, up, down of layer 0 */
    sweep_plan_free(p);
}

/* A base may be a config file beside the spec, or below its folder (issue 20: not above it). */
static void base_file_beside_spec(void **state)
{
    (void)state;
    char dir[] = "/tmp/mpsim_sweepbase_XXXXXX", sub[64], cfg[96];
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(cfg, sizeof cfg, "%s/mine.ini", sub);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fputs("[arch]\npe_kind = int8\nrows = 4\ncols = 8\n", f);
    assert_int_equal(fclose(f), 0);
    SweepPlan *p = NULL;
    MpErr e = {0};
    if (sweep_plan_load_string("t.ini", "[sweep]\nbase = sub/mine.ini, iso/fp16\n[workload]\nmodels = tiny\n", dir, &p,
                               &e) != MP_OK)
        fail_msg("spec rejected: %s", e.msg);
    assert_int_equal(p->nbase, 2);
    assert_int_equal(p->base[0].cols, 8);
    assert_string_equal(p->base[1].name, "iso/fp16");
    sweep_plan_free(p);
    p = NULL;
    mp_err_clear(&e);
    assert_int_equal(sweep_plan_load_string("t.ini", "[sweep]\nbase = ../mine.ini\n[workload]\nmodels = tiny\n", sub,
                                            &p, &e),
                     MP_EINPUT);
    assert_null(p);
    assert_int_equal(unlink(cfg), 0);
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fnv_vectors),          cmocka_unit_test(values_and_ranges),
        cmocka_unit_test(spec_errors),          cmocka_unit_test(invalid_combinations),
        cmocka_unit_test(keys),                 cmocka_unit_test(eval_matches_point),
        cmocka_unit_test(accuracy_group),       cmocka_unit_test(base_file_beside_spec),
        cmocka_unit_test(request_matches_infer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
