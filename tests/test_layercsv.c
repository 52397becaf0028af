/* tests/test_layercsv.c — CSV layer lists: both formats read right, every malformed input refused
 * with MP_EINPUT and "FILE:LINE: message". Good inputs are fixtures in tests/data/layers/; bad ones
 * are written to a temporary folder from the table below (some hold NUL bytes). */
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

#include "base/alloc.h"
#include "traces/layercsv.h"
#include "traces/workload.h"

#define FIXTURES MPSIM_DATADIR "/tests/data/layers/"

static char tmpdir[] = "/tmp/mpsim_lcsv_XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(tmpdir); /* every test removes its files, so the folder must be empty */
}

static Workload *load_ok(const char *path, LcsvFormat want_fmt)
{
    Workload *w = NULL;
    LcsvFormat fmt = (LcsvFormat)-1;
    MpErr e = {0};
    if (lcsv_load(path, &w, &fmt, &e) != MP_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(fmt, want_fmt);
    assert_string_equal(w->model, path);
    assert_int_equal(w->phase, WL_LAYERS);
    return w;
}

static void check_gemm(const Gemm *g, const char *name, int64_t m, int64_t n, int64_t k, int64_t count,
                       GemmRole role)
{
    assert_string_equal(g->name, name);
    assert_true(g->m == m && g->n == n && g->k == k && g->count == count);
    assert_true(g->serial == count); /* a file's row: every instance taken as dependent */
    assert_int_equal(g->role, role);
}

/* Our format with comments and blank lines: one block of the tiny model, equal to its expansion. */
static void ours_full(void **state)
{
    (void)state;
    Workload *w = load_ok(FIXTURES "ours.csv", LCSV_OURS);
    assert_int_equal(w->ngemm, 10);
    check_gemm(&w->gemms[0], "q_proj", 16, 256, 256, 2, WL_WEIGHT_ACT);
    check_gemm(&w->gemms[3], "attn_qk", 16, 16, 64, 8, WL_ACT_ACT);
    check_gemm(&w->gemms[9], "lm_head", 1, 1000, 256, 1, WL_WEIGHT_ACT);
    Workload *b;
    MpErr e = {0};
    assert_int_equal(wl_create(wl_model_find("tiny", NULL), WL_PREFILL, 16, 1, &b, &e), MP_OK);
    assert_true(w->weight_params == b->weight_params && w->macs == b->macs && w->runs == b->runs);
    for (int i = 0; i < b->ngemm; i++)
        check_gemm(&w->gemms[i], b->gemms[i].name, b->gemms[i].m, b->gemms[i].n, b->gemms[i].k, b->gemms[i].count,
                   b->gemms[i].role);
    wl_destroy(b);
    wl_destroy(w);
}

/* Columns in any order, header in any case, count and role defaulted. */
static void ours_reordered_defaults(void **state)
{
    (void)state;
    Workload *w = load_ok(FIXTURES "ours_reordered.csv", LCSV_OURS);
    assert_int_equal(w->ngemm, 2);
    check_gemm(&w->gemms[0], "proj_a", 1, 4096, 4096, 1, WL_WEIGHT_ACT);
    check_gemm(&w->gemms[1], "proj_b", 1, 4096, 11008, 1, WL_WEIGHT_ACT);
    wl_destroy(w);
}

/* The documented example equals the built-in model's decode step. */
static void llama_example_matches_builtin(void **state)
{
    (void)state;
    Workload *w = load_ok(FIXTURES "llama2-7b-decode.csv", LCSV_OURS), *b;
    MpErr e = {0};
    assert_int_equal(wl_create(wl_model_find("llama2-7b", NULL), WL_DECODE, 2048, 1, &b, &e), MP_OK);
    assert_int_equal(w->ngemm, b->ngemm);
    assert_true(w->weight_params == 6607077376LL && w->macs == b->macs && w->runs == b->runs);
    wl_destroy(b);
    wl_destroy(w);
}

/* SCALE-Sim: spaces after commas, a trailing comma on every line, a trailing blank line; and the
 * "Layer Name" header with CRLF ends, names with spaces and no final newline. */
static void scalesim_formats(void **state)
{
    (void)state;
    Workload *w = load_ok(FIXTURES "scalesim.csv", LCSV_SCALESIM);
    assert_int_equal(w->ngemm, 4);
    check_gemm(&w->gemms[0], "qk", 64, 64, 32, 1, WL_WEIGHT_ACT);
    check_gemm(&w->gemms[3], "ffn_down", 64, 256, 1024, 1, WL_WEIGHT_ACT);
    assert_true(w->weight_params == 64 * 32 + 32 * 64 + 1024 * 256 * 2);
    wl_destroy(w);
    w = load_ok(FIXTURES "scalesim_crlf.csv", LCSV_SCALESIM);
    assert_int_equal(w->ngemm, 2);
    check_gemm(&w->gemms[0], "Test 1", 256, 128, 256, 1, WL_WEIGHT_ACT);
    check_gemm(&w->gemms[1], "Test 2", 8, 16, 32, 1, WL_WEIGHT_ACT);
    assert_string_equal(lcsv_format_name(LCSV_SCALESIM), "scale-sim");
    wl_destroy(w);
}

/* Decision: repeated layer names are allowed; every row is its own GEMM. A UTF-8 BOM is skipped. */
static void duplicates_and_bom(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBFname,m,n,k,count\nq,1,2,3,4\nq,1,2,3,4\n";
    Workload *w;
    MpErr e = {0};
    assert_int_equal(lcsv_load_text("mem", text, sizeof text - 1, &w, NULL, &e), MP_OK);
    assert_int_equal(w->ngemm, 2);
    assert_true(w->weight_params == 2 * 2 * 3 * 4);
    wl_destroy(w);
}

typedef struct Bad {
    const char *text;
    size_t len;        /* 0: strlen(text) */
    int line;          /* expected line in "FILE:LINE: " */
    const char *why;   /* expected in the message */
} Bad;

#define T(s) s, sizeof(s) - 1

static const Bad bad_cases[] = {
    {T(""), 1, "empty file"},
    {T("# only a comment\n\n"), 2, "empty file"},
    {T("q_proj,1,2,3\n"), 1, "missing header"},
    {T("name,m,n,k,bias\nq,1,2,3,4\n"), 1, "unknown column 'bias'"},
    {T("name,,m,n,k\n"), 1, "empty column name"},
    {T("name,m,n,M\n"), 1, "column 'm' appears twice"},
    {T("name,m,n\nq,1,2\n"), 1, "lacks column 'k'"},
    {T("Layer name, IFMAP Height, IFMAP Width, Filter Height,\n"), 1, "SCALE-Sim header"},
    {T("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n"), 1, "more than 16 fields"},
    {T("name,m,n,k\nq,1,2\n"), 2, "expected 4 fields"},
    {T("name,m,n,k\nq,1,2,3,4\n"), 2, "expected 4 fields"},
    {T("Layer,M,N,K,\nL0,1,2,\n"), 2, "expected 4 fields"},
    {T("name,m,n,k\n\n# c\nq,1,2x,3\n"), 4, "'2x' is not an integer"},
    {T("name,m,n,k\nq,1,2.5,3\n"), 2, "'2.5' is not an integer"},
    {T("name,m,n,k\nq,1,0x10,3\n"), 2, "not an integer"},
    {T("name,m,n,k\nq,1,,3\n"), 2, "column 'n' is empty"},
    {T("name,m,n,k\n,1,2,3\n"), 2, "empty layer name"},
    {T("name,m,n,k\nq,0,2,3\n"), 2, "m = 0 is out of range"},
    {T("name,m,n,k\nq,1,-2,3\n"), 2, "n = -2 is out of range"},
    {T("name,m,n,k,count\nq,1,2,3,0\n"), 2, "count = 0 is out of range"},
    {T("name,m,n,k\nq,1,2,2000000000000\n"), 2, "k = 2000000000000 is out of range"},
    {T("name,m,n,k\nq,1,2,99999999999999999999\n"), 2, "'99999999999999999999' is out of range"},
    {T("name,m,n,k\nq,1099511627776,1099511627776,16\n"), 2, "overflows 64 bits"},
    {T("name,m,n,k\na,1099511627776,1048576,4\nb,1,1,1\nc,1099511627776,1048576,4\n"), 4, "totals overflow"},
    {T("name,m,n,k,role\nq,1,2,3,both\n"), 2, "'both' is not 'weight' or 'act'"},
    {T("name,m,n,k\n# nothing else\n"), 2, "no layers after the header (line 1)"},
    {T("name,m,n,k\nq,1,2,3\nv,1\0,2,3\n"), 3, "NUL byte"},
    {T("name,m,n,k\n\"q\",1,2,3\n"), 2, "quoted fields"},
    {T("name,m,n,k\nq\x01,1,2,3\n"), 2, "control byte 0x01"},
    {T("name,m,n,k\nq\xc3\xa9,1,2,3\n"), 2, "non-ASCII byte 0xc3"},
    {T("name,m,n,k\nthis_name_is_much_longer_than_sixty_three_bytes_which_is_the_limit_x,1,2,3\n"), 2,
     "longer than 63 bytes"},
};

/* Every malformed input: MP_EINPUT, no workload, and a message "PATH:LINE: ...why...". */
static void malformed_inputs(void **state)
{
    (void)state;
    char path[256], prefix[300];
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const Bad *b = &bad_cases[i];
        snprintf(path, sizeof path, "%s/bad%zu.csv", tmpdir, i);
        tu_write(path, b->text, b->len);
        Workload *w = (Workload *)path;
        MpErr e = {0};
        int rc = lcsv_load(path, &w, NULL, &e);
        remove(path);
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, b->line);
        if (rc != MP_EINPUT || w != NULL || strncmp(e.msg, prefix, strlen(prefix)) != 0 || !strstr(e.msg, b->why))
            fail_msg("bad case %zu: rc %d, message '%s'; wanted MP_EINPUT, '%s...%s'", i, rc, e.msg, prefix, b->why);
    }
}

/* A line over LCSV_LINE_MAX bytes is refused (with its number); one at the limit is read. */
static void long_lines(void **state)
{
    (void)state;
    size_t cap = LCSV_LINE_MAX + 64;
    char *text = malloc(cap * 2);
    assert_non_null(text);
    int n = snprintf(text, cap, "name,m,n,k\nq,1,2,3\n");
    /* line 3: a name cell padded with spaces to exactly LCSV_LINE_MAX bytes: accepted */
    int start = n;
    n += snprintf(text + n, cap, "r,1,2,3");
    memset(text + n, ' ', (size_t)(LCSV_LINE_MAX - (n - start)));
    n = start + LCSV_LINE_MAX;
    text[n++] = '\n';
    Workload *w;
    MpErr e = {0};
    assert_int_equal(lcsv_load_text("long.csv", text, (size_t)n, &w, NULL, &e), MP_OK);
    assert_int_equal(w->ngemm, 2);
    wl_destroy(w);
    /* one byte more on line 4 */
    start = n;
    memset(text + n, ' ', LCSV_LINE_MAX + 1);
    n += LCSV_LINE_MAX + 1;
    assert_int_equal(lcsv_load_text("long.csv", text, (size_t)n, &w, NULL, &e), MP_EINPUT);
    assert_null(w);
    assert_non_null(strstr(e.msg, "long.csv:4: line longer than"));
    free(text);
}

static void missing_file(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/does-not-exist.csv", tmpdir);
    Workload *w;
    MpErr e = {0};
    assert_int_equal(lcsv_load(path, &w, NULL, &e), MP_EINPUT);
    assert_null(w);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "cannot open"));
}

/* Out of memory at every allocation: MP_ENOMEM, nothing leaked (ASan build), then success. */
static int load_llama_decode(const void *ctx, void **obj, MpErr *e)
{
    (void)ctx;
    Workload *w = NULL;
    int rc = lcsv_load(FIXTURES "llama2-7b-decode.csv", &w, NULL, e);
    *obj = w;
    return rc;
}

static void out_of_memory(void **state)
{
    (void)state;
    Workload *w = tu_oom_until_success(load_llama_decode, NULL, 64);
    assert_int_equal(w->ngemm, 10);
    wl_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ours_full),          cmocka_unit_test(ours_reordered_defaults),
        cmocka_unit_test(llama_example_matches_builtin), cmocka_unit_test(scalesim_formats),
        cmocka_unit_test(duplicates_and_bom), cmocka_unit_test(malformed_inputs),
        cmocka_unit_test(long_lines),         cmocka_unit_test(missing_file),
        cmocka_unit_test(out_of_memory),
    };
    return cmocka_run_group_tests_name("layercsv", tests, setup, teardown);
}
