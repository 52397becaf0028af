/* tests/test_cli_tensors.c — `mpsim trace gen` and `mpsim trace info`, run as a user
 * runs them: the binary named by env MPSIM_BIN (make unit-test sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>

#include "testutil.h"
#include "cliutil.h"

#include "base/alloc.h"
#include "models/fpx.h"
#include "traces/safetensors.h"
#include "traces/synth.h"

static char tmpdir[] = "/tmp/mpsim_clit_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }
static const char *tpath(const char *name) { return tu_path(tmpdir, name); }

/* Run MPSIM_BIN with args (NULL-terminated), no shell; stdout/stderr land in cli_out/cli_err.
 * fsize_limit > 0 caps the size of files the child may write (see cli_exec). */
static int run_mpsim(long fsize_limit, ...)
{
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)cli_bin();
    va_list ap;
    va_start(ap, fsize_limit);
    for (const char *a; n < 31 && (a = va_arg(ap, const char *));)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return cli_exec(argv, CLI_ERR_APART, fsize_limit);
}

#define NEED_BIN()                                                                                                     \
    do {                                                                                                               \
        if (!getenv("MPSIM_BIN")) {                                                                                    \
            print_message("MPSIM_BIN not set: run through make unit-test\n");                                         \
            skip();                                                                                                    \
        }                                                                                                              \
    } while (0)

/* gen -> info round trip; the file holds exactly the generator's values rounded to BF16. */
static void gen_then_info(void **state)
{
    (void)state;
    NEED_BIN();
    const char *f = tpath("g.safetensors");
    int rc = run_mpsim(0, "trace", "gen", "--out", f, "--m", "8", "--n", "16", "--k", "64", "--seed", "3", "--dtype",
                       "bf16", NULL);
    if (rc)
        print_error("%s", cli_err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(cli_out, "seed 3"));

    rc = run_mpsim(0, "trace", "info", f, "--json", tpath("info.json"), NULL);
    if (rc)
        print_error("%s", cli_err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(cli_out, "2 tensors"));
    assert_non_null(strstr(cli_out, "weight"));
    assert_non_null(strstr(cli_out, "act"));
    assert_non_null(strstr(cli_out, "BF16"));
    assert_non_null(strstr(cli_out, "[16, 64]"));
    assert_non_null(strstr(cli_out, "[8, 64]"));
    assert_non_null(strstr(cli_out, "seed = 3"));
    assert_non_null(strstr(cli_out, "syn.w_nu = 6"));
    assert_non_null(strstr(cli_out, "max|x|/med|x|"));

    cJSON *root = cli_json_file(tpath("info.json"));
    const cJSON *ts = cJSON_GetObjectItem(root, "tensors");
    assert_int_equal(cJSON_GetArraySize(ts), 2);
    const cJSON *act = cJSON_GetArrayItem(ts, 0);
    assert_string_equal(cJSON_GetObjectItem(act, "name")->valuestring, "act");
    assert_true(cJSON_GetObjectItem(act, "numel")->valuedouble == 512);
    assert_true(cJSON_GetObjectItem(act, "max_abs_over_median_abs")->valuedouble > 10);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "metadata"), "seed")->valuestring, "3");
    cJSON_Delete(root);

    /* the values: exactly the generator's, rounded to bf16 */
    SynParams p;
    syn_params_default(&p);
    float w[16 * 64], x[8 * 64], got[16 * 64];
    MpErr e = {0};
    assert_int_equal(syn_weights(&p, 3, 16, 64, w, &e), MP_OK);
    assert_int_equal(syn_acts(&p, 3, 8, 64, x, NULL, &e), MP_OK);
    StFile *sf = NULL;
    assert_int_equal(st_open(f, &sf, &e), MP_OK);
    assert_int_equal(st_read_f32(sf, (size_t)st_find(sf, "weight"), got, 16 * 64, &e), MP_OK);
    for (int i = 0; i < 16 * 64; i++)
        assert_true(got[i] == bf16_to_f32(bf16_from_f32(w[i])));
    assert_int_equal(st_read_f32(sf, (size_t)st_find(sf, "act"), got, 8 * 64, &e), MP_OK);
    for (int i = 0; i < 8 * 64; i++)
        assert_true(got[i] == bf16_to_f32(bf16_from_f32(x[i])));
    st_close(sf);
}

/* Same command, same bytes; --params reaches the generator and the metadata. */
static void gen_is_deterministic(void **state)
{
    (void)state;
    NEED_BIN();
    char a[1 << 14], b[1 << 14];
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("d1.st"), "--k", "32", "--n", "8", "--m", "4", NULL), 0);
    assert_non_null(strstr(cli_out, "seed 1")); /* the default seed is printed too */
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("d2.st"), "--k", "32", "--n", "8", "--m", "4", NULL), 0);
    FILE *f1 = fopen(tpath("d1.st"), "rb"), *f2 = fopen(tpath("d2.st"), "rb");
    size_t n1 = fread(a, 1, sizeof a, f1), n2 = fread(b, 1, sizeof b, f2);
    fclose(f1), fclose(f2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("d3.st"), "--k", "32", "--n", "8", "--m", "4",
                               "--params", "x_outlier_frac=0.25,w_nu=4", "--dtype", "f32", NULL),
                     0);
    assert_non_null(strstr(cli_out, "8 outlier channels"));
    assert_int_equal(run_mpsim(0, "trace", "info", tpath("d3.st"), NULL), 0);
    assert_non_null(strstr(cli_out, "syn.x_outlier_frac = 0.25"));
    assert_non_null(strstr(cli_out, "F32"));
}

/* Bad files: exit status 2 and the reader's message, naming the file, on stderr. */
static void info_bad_files(void **state)
{
    (void)state;
    NEED_BIN();
    const char *f = tpath("bad.safetensors");
    tu_write(f, "garbage!garbage!", 16);
    assert_int_equal(run_mpsim(0, "trace", "info", f, NULL), 2);
    assert_non_null(strstr(cli_err, f));
    assert_non_null(strstr(cli_err, "larger than the cap"));
    assert_string_equal(cli_out, "");

    /* a valid file cut short */
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", f, "--k", "16", "--n", "4", "--m", "2", NULL), 0);
    assert_int_equal(truncate(f, 200), 0);
    assert_int_equal(run_mpsim(0, "trace", "info", f, NULL), 2);
    assert_non_null(strstr(cli_err, f));
    assert_non_null(strstr(cli_err, "truncated"));

    const char hdr[] = "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,10]}}";
    unsigned char buf[128] = {0};
    buf[0] = (unsigned char)(sizeof hdr - 1);
    memcpy(buf + 8, hdr, sizeof hdr - 1);
    tu_write(f, buf, 8 + sizeof hdr - 1 + 10);
    assert_int_equal(run_mpsim(0, "trace", "info", f, NULL), 2);
    assert_non_null(strstr(cli_err, "tensor 'w': data_offsets [0, 10] hold 10 bytes but shape [2, 3] of F16 needs 12"));

    assert_int_equal(run_mpsim(0, "trace", "info", tpath("missing.safetensors"), NULL), 2);
    assert_non_null(strstr(cli_err, "missing.safetensors"));
}

/* A write that fails halfway (file size limit) leaves neither a partial file nor a
 * temporary, and does not touch an existing file of the same name. */
static void failed_write_leaves_nothing(void **state)
{
    (void)state;
    NEED_BIN();
    const char *f = tpath("big.safetensors");
    int rc = run_mpsim(4096, "trace", "gen", "--out", f, "--n", "256", "--k", "256", NULL);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(cli_err, f));
    assert_int_equal(access(f, F_OK), -1);
    assert_int_equal(tu_dir_count(tmpdir, "*.tmp.*"), 0);

    tu_write(f, "precious", 8);
    rc = run_mpsim(4096, "trace", "gen", "--out", f, "--n", "256", "--k", "256", NULL);
    assert_int_equal(rc, 2);
    char buf[64];
    tu_slurp(f, buf, sizeof buf);
    assert_string_equal(buf, "precious");
    assert_int_equal(tu_dir_count(tmpdir, "*.tmp.*"), 0);

    /* --json of info failing the same way */
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("ok.st"), "--n", "4", "--k", "8", "--m", "2", NULL), 0);
    assert_int_equal(run_mpsim(0, "trace", "info", tpath("ok.st"), "--json", "/nonexistent-dir/x.json", NULL), 2);
    assert_non_null(strstr(cli_err, "/nonexistent-dir/x.json"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", "/nonexistent-dir/x.st", NULL), 2);
    assert_non_null(strstr(cli_err, "/nonexistent-dir/x.st"));
}

static void usage_errors_and_help(void **state)
{
    (void)state;
    NEED_BIN();
    assert_int_equal(run_mpsim(0, "trace", "gen", "--help", NULL), 0);
    assert_non_null(strstr(cli_out, "--out FILE"));
    assert_non_null(strstr(cli_out, "x_outlier_frac"));
    assert_int_equal(run_mpsim(0, "trace", "info", "--help", NULL), 0);
    assert_non_null(strstr(cli_out, "--json FILE"));
    assert_int_equal(run_mpsim(0, "trace", "gen", NULL), 2);
    assert_non_null(strstr(cli_err, "--out"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--dtype", "f8", NULL), 2);
    assert_non_null(strstr(cli_err, "f8"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--k", "0", NULL), 2);
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--seed", "-1", NULL), 2);
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--params", "nope=1", NULL), 2);
    assert_non_null(strstr(cli_err, "nope"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--params", "w_nu=1", NULL), 2);
    assert_non_null(strstr(cli_err, "w_nu"));
    assert_int_equal(access(tpath("u.st"), F_OK), -1);
    assert_int_equal(run_mpsim(0, "trace", "info", NULL), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_then_info),
        cmocka_unit_test(gen_is_deterministic),
        cmocka_unit_test(info_bad_files),
        cmocka_unit_test(failed_write_leaves_nothing),
        cmocka_unit_test(usage_errors_and_help),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
