/* tests/test_cli_tensors.c — `mpsim trace gen` and `mpsim trace info`, run as a user
 * runs them: the binary named by env MPSIM_BIN (make unit-test sets it). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>

#include "base/alloc.h"
#include "models/fpx.h"
#include "traces/safetensors.h"
#include "traces/synth.h"

static char tmpdir[256];
static char out_txt[1 << 16], err_txt[1 << 16];

static const char *tpath(const char *name)
{
    static char p[8][512]; /* a few live at once */
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Run MPSIM_BIN with args (NULL-terminated); stdout/stderr land in out_txt/err_txt.
 * fsize_limit > 0 caps the size of files the child may write (RLIMIT_FSIZE), with
 * SIGXFSZ ignored so that writes fail with EFBIG instead of killing it. */
static int run_mpsim(long fsize_limit, ...)
{
    const char *bin = getenv("MPSIM_BIN");
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)bin;
    va_list ap;
    va_start(ap, fsize_limit);
    for (const char *a; n < 31 && (a = va_arg(ap, const char *));)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    char o[512], e[512];
    snprintf(o, sizeof o, "%s/stdout.txt", tmpdir);
    snprintf(e, sizeof e, "%s/stderr.txt", tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0)
            _exit(127);
        dup2(fo, 1);
        dup2(fe, 2);
        if (fsize_limit > 0) {
            struct rlimit rl = {(rlim_t)fsize_limit, (rlim_t)fsize_limit};
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        execv(bin, argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    slurp(o, out_txt, sizeof out_txt);
    slurp(e, err_txt, sizeof err_txt);
    remove(o);
    remove(e);
    if (!WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mpsim_clit_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(d)))
            if (de->d_name[0] != '.') {
                snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
                remove(p);
            }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

#define NEED_BIN()                                                                                                     \
    do {                                                                                                               \
        if (!getenv("MPSIM_BIN")) {                                                                                    \
            print_message("MPSIM_BIN not set: run through make unit-test\n");                                         \
            skip();                                                                                                    \
        }                                                                                                              \
    } while (0)

/* Names in tmpdir other than the given one that look like temporaries. */
static int leftovers(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strstr(de->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

/* gen -> info round trip; the file holds exactly the generator's values rounded to BF16. */
static void gen_then_info(void **state)
{
    (void)state;
    NEED_BIN();
    const char *f = tpath("g.safetensors");
    int rc = run_mpsim(0, "trace", "gen", "--out", f, "--m", "8", "--n", "16", "--k", "64", "--seed", "3", "--dtype",
                       "bf16", NULL);
    if (rc)
        print_error("%s", err_txt);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out_txt, "seed 3"));

    rc = run_mpsim(0, "trace", "info", f, "--json", tpath("info.json"), NULL);
    if (rc)
        print_error("%s", err_txt);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out_txt, "2 tensors"));
    assert_non_null(strstr(out_txt, "weight"));
    assert_non_null(strstr(out_txt, "act"));
    assert_non_null(strstr(out_txt, "BF16"));
    assert_non_null(strstr(out_txt, "[16, 64]"));
    assert_non_null(strstr(out_txt, "[8, 64]"));
    assert_non_null(strstr(out_txt, "seed = 3"));
    assert_non_null(strstr(out_txt, "syn.w_nu = 6"));
    assert_non_null(strstr(out_txt, "max|x|/med|x|"));

    char json[1 << 15];
    slurp(tpath("info.json"), json, sizeof json);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
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
    assert_non_null(strstr(out_txt, "seed 1")); /* the default seed is printed too */
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("d2.st"), "--k", "32", "--n", "8", "--m", "4", NULL), 0);
    FILE *f1 = fopen(tpath("d1.st"), "rb"), *f2 = fopen(tpath("d2.st"), "rb");
    size_t n1 = fread(a, 1, sizeof a, f1), n2 = fread(b, 1, sizeof b, f2);
    fclose(f1), fclose(f2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("d3.st"), "--k", "32", "--n", "8", "--m", "4",
                               "--params", "x_outlier_frac=0.25,w_nu=4", "--dtype", "f32", NULL),
                     0);
    assert_non_null(strstr(out_txt, "8 outlier channels"));
    assert_int_equal(run_mpsim(0, "trace", "info", tpath("d3.st"), NULL), 0);
    assert_non_null(strstr(out_txt, "syn.x_outlier_frac = 0.25"));
    assert_non_null(strstr(out_txt, "F32"));
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Bad files: exit status 2 and the reader's message, naming the file, on stderr. */
static void info_bad_files(void **state)
{
    (void)state;
    NEED_BIN();
    const char *f = tpath("bad.safetensors");
    write_bytes(f, "garbage!garbage!", 16);
    assert_int_equal(run_mpsim(0, "trace", "info", f, NULL), 2);
    assert_non_null(strstr(err_txt, f));
    assert_non_null(strstr(err_txt, "larger than the cap"));
    assert_string_equal(out_txt, "");

    /* a valid file cut short */
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", f, "--k", "16", "--n", "4", "--m", "2", NULL), 0);
    assert_int_equal(truncate(f, 200), 0);
    assert_int_equal(run_mpsim(0, "trace", "info", f, NULL), 2);
    assert_non_null(strstr(err_txt, f));
    assert_non_null(strstr(err_txt, "truncated"));

    const char hdr[] = "{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,10]}}";
    unsigned char buf[128] = {0};
    buf[0] = (unsigned char)(sizeof hdr - 1);
    memcpy(buf + 8, hdr, sizeof hdr - 1);
    write_bytes(f, buf, 8 + sizeof hdr - 1 + 10);
    assert_int_equal(run_mpsim(0, "trace", "info", f, NULL), 2);
    assert_non_null(strstr(err_txt, "tensor 'w': data_offsets [0, 10] hold 10 bytes but shape [2, 3] of F16 needs 12"));

    assert_int_equal(run_mpsim(0, "trace", "info", tpath("missing.safetensors"), NULL), 2);
    assert_non_null(strstr(err_txt, "missing.safetensors"));
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
    assert_non_null(strstr(err_txt, f));
    assert_int_equal(access(f, F_OK), -1);
    assert_int_equal(leftovers(), 0);

    write_bytes(f, "precious", 8);
    rc = run_mpsim(4096, "trace", "gen", "--out", f, "--n", "256", "--k", "256", NULL);
    assert_int_equal(rc, 2);
    char buf[64];
    slurp(f, buf, sizeof buf);
    assert_string_equal(buf, "precious");
    assert_int_equal(leftovers(), 0);

    /* --json of info failing the same way */
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("ok.st"), "--n", "4", "--k", "8", "--m", "2", NULL), 0);
    assert_int_equal(run_mpsim(0, "trace", "info", tpath("ok.st"), "--json", "/nonexistent-dir/x.json", NULL), 2);
    assert_non_null(strstr(err_txt, "/nonexistent-dir/x.json"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", "/nonexistent-dir/x.st", NULL), 2);
    assert_non_null(strstr(err_txt, "/nonexistent-dir/x.st"));
}

static void usage_errors_and_help(void **state)
{
    (void)state;
    NEED_BIN();
    assert_int_equal(run_mpsim(0, "trace", "gen", "--help", NULL), 0);
    assert_non_null(strstr(out_txt, "--out FILE"));
    assert_non_null(strstr(out_txt, "x_outlier_frac"));
    assert_int_equal(run_mpsim(0, "trace", "info", "--help", NULL), 0);
    assert_non_null(strstr(out_txt, "--json FILE"));
    assert_int_equal(run_mpsim(0, "trace", "gen", NULL), 2);
    assert_non_null(strstr(err_txt, "--out"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--dtype", "f8", NULL), 2);
    assert_non_null(strstr(err_txt, "f8"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--k", "0", NULL), 2);
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--seed", "-1", NULL), 2);
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--params", "nope=1", NULL), 2);
    assert_non_null(strstr(err_txt, "nope"));
    assert_int_equal(run_mpsim(0, "trace", "gen", "--out", tpath("u.st"), "--params", "w_nu=1", NULL), 2);
    assert_non_null(strstr(err_txt, "w_nu"));
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
