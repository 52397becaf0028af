/* tests/test_cli_inputs.c — the built binary against hostile input files (docs/robustness.md):
 * a FIFO given where any input file goes (a layer CSV, a config, a sweep spec, a GPU results JSON,
 * a database) is refused at once with "FILE: not a regular file", exit 2, while output to a device
 * (--json /dev/stdout) still works; and the GPU results reader's strictness: trailing garbage, a NUL
 * byte, duplicate keys and invalid UTF-8 refused with "FILE: message" and exit 2, every committed
 * kernels_ref/results/ file still loading.
 * Each run goes through timeout(1), so a binary that blocks on a FIFO fails the test instead of hanging it.
 * The binary is $MPSIM_BIN (set by `make unit-test`). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"
#include "cliutil.h"

#define TIMEOUT "timeout -s KILL 20" /* a blocked open is killed: exit 137, never a hang */

static char tmpdir[] = "/tmp/mpsim_inputs_XXXXXX";
static const char *const tmp_files[] = {"layers.csv", "arch.ini", "spec.ini", "gpu.json", "fifo.db", "ok.json",
                                        "bad.json",   "out.db",   NULL};

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, tmp_files); }

/* Run `mpsim ARGS` under the timeout and expect exit 2 with "FILE: not a regular file". */
static void expect_not_regular(const char *args, const char *file)
{
    int rc = cli_run_env(TIMEOUT, args, CLI_ERR_APART);
    if (rc != 2)
        fail_msg("mpsim %s: exit %d, wanted 2 (137: killed after blocking on the FIFO); stderr:\n%.2000s", args, rc,
                 cli_err);
    char want[1200];
    snprintf(want, sizeof want, "%s: not a regular file", file);
    if (!strstr(cli_err, want))
        fail_msg("mpsim %s: stderr lacks '%s':\n%.2000s", args, want, cli_err);
}

static const char *fifo(const char *name)
{
    const char *p = tu_path(tmpdir, name);
    remove(p);
    assert_int_equal(mkfifo(p, 0600), 0);
    return p;
}

static void fifo_inputs_refused(void **state)
{
    (void)state;
    char args[2048];
    const char *p = fifo("layers.csv");
    snprintf(args, sizeof args, "run --arch iso/int8 --model '%s'", p);
    expect_not_regular(args, p);
    p = fifo("arch.ini"); /* sim/config.c finds no config file there: exit 2 without blocking is all we ask */
    snprintf(args, sizeof args, "run --arch '%s' --model tiny", p);
    assert_int_equal(cli_run_env(TIMEOUT, args, CLI_ERR_DROP), 2);
    p = fifo("spec.ini");
    snprintf(args, sizeof args, "sweep '%s' --db '%s/out.db'", p, tmpdir);
    expect_not_regular(args, p);
    p = fifo("gpu.json");
    snprintf(args, sizeof args, "compare-gpu --gpu '%s' --arch iso/mixpe-w4a16 --model tiny", p);
    expect_not_regular(args, p);
    p = fifo("fifo.db");
    snprintf(args, sizeof args, "pareto --db '%s'", p);
    expect_not_regular(args, p);
    snprintf(args, sizeof args, "summary --db '%s'", p);
    expect_not_regular(args, p);
    snprintf(args, sizeof args, "sweep configs/sweeps/main.ini --db '%s'", p);
    expect_not_regular(args, p);
    assert_int_equal(tu_dir_count(tmpdir, "*.tmp.*"), 0);
}

/* Output to a device is written directly, as before; with stdout a regular file (as here: cli_exec
 * sends it to a temporary file) /dev/stdout stats as that file, and writing it by temp + rename
 * replaced the /dev/stdout link itself. */
static void json_to_device_still_works(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(lstat("/dev/stdout", &st), 0);
    if (!S_ISLNK(st.st_mode))
        skip(); /* not the usual link to /proc/self/fd/1 here */
    int rc = cli_run_env(TIMEOUT, "run --arch iso/int8 --model tiny --phase decode --kv 64 --json /dev/stdout",
                         CLI_ERR_DROP);
    assert_int_equal(rc, 0);
    const char *at = cli_out[0] == '{' ? cli_out : strstr(cli_out, "\n{"); /* the table comes first */
    assert_non_null(at);
    cJSON *j = cJSON_Parse(at);
    assert_non_null(j);
    assert_non_null(cJSON_GetObjectItem(j, "cycles"));
    cJSON_Delete(j);
    assert_int_equal(lstat("/dev/stdout", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

/* ---- the GPU results reader ---- */

#define GPU_OK "{\"device\": \"t\", \"copy_gbps\": 1000, \"results\": []}"

static void gpu_expect(const char *path, int status, const char *needle)
{
    char args[2048];
    snprintf(args, sizeof args, "compare-gpu --gpu '%s' --arch iso/mixpe-w4a16 --model tiny --phase decode --json -",
             path);
    int rc = cli_run_env(TIMEOUT, args, CLI_ERR_APART);
    if (rc != status)
        fail_msg("mpsim %s: exit %d, wanted %d; stderr:\n%.2000s", args, rc, status, cli_err);
    if (needle) {
        char want[1200];
        snprintf(want, sizeof want, "%s: %s", path, needle);
        if (!strstr(cli_err, want))
            fail_msg("mpsim %s: stderr lacks '%s':\n%.2000s", args, want, cli_err);
    }
}

static void gpu_json_strict(void **state)
{
    (void)state;
    gpu_expect(tu_put(tmpdir, "ok.json", GPU_OK), 0, NULL);
    static const struct { const char *text; size_t len; const char *msg; } bad[] = {
        {GPU_OK " x", 0, "trailing garbage at byte 50"},
        {GPU_OK "\n{}\n", 0, "trailing garbage at byte 50 (line 2)"},
        {"{\"device\": \"t\", \"copy_gbps\": 1000, \"results\": [], \"device\": \"u\"}", 0,
         "duplicate key 'device'"},
        {"{\"device\": \"t\", \"copy_gbps\": 1000, \"results\": [{\"kernel\": \"a\", \"kernel\": \"b\"}]}", 0,
         "duplicate key 'kernel'"},
        {"{\"device\": \"t\0x\", \"copy_gbps\": 1000, \"results\": []}", 51, "NUL byte at byte 13"},
        {GPU_OK "\0", sizeof GPU_OK, "NUL byte at byte 49"},
        {"{\"device\": \"t\xff\", \"copy_gbps\": 1000, \"results\": []}", 0, "invalid UTF-8 at byte 13"},
        {"{\"device\": \"\xc0\xaf\", \"copy_gbps\": 1000, \"results\": []}", 0, "invalid UTF-8 at byte 12"},
        {"{\"device\": \"\xed\xa0\x80\", \"copy_gbps\": 1000, \"results\": []}", 0, "invalid UTF-8 at byte 12"},
        {"{\"device\": \"t\",\n \"copy_gbps\": 1000, \"results\": [}", 0, "not valid JSON at byte 48 (line 2)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = tu_path(tmpdir, "bad.json");
        tu_write(p, bad[i].text, bad[i].len ? bad[i].len : strlen(bad[i].text));
        gpu_expect(p, 2, bad[i].msg);
    }
}

/* Every committed results file loads (make run and scripts/main-job.sh use them). */
static void gpu_committed_results_load(void **state)
{
    (void)state;
    const char *root = MPSIM_DATADIR "/kernels_ref/results";
    DIR *top = opendir(root);
    assert_non_null(top);
    struct dirent *g;
    int n = 0;
    while ((g = readdir(top)) != NULL) {
        if (g->d_name[0] == '.')
            continue;
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", root, g->d_name);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *f;
        while ((f = readdir(d)) != NULL) {
            size_t l = strlen(f->d_name);
            if (l < 5 || strcmp(f->d_name + l - 5, ".json"))
                continue;
            char p[2048];
            snprintf(p, sizeof p, "%s/%s", dir, f->d_name);
            gpu_expect(p, 0, NULL);
            n++;
        }
        closedir(d);
    }
    closedir(top);
    assert_true(n >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_inputs_refused),
        cmocka_unit_test(json_to_device_still_works),
        cmocka_unit_test(gpu_json_strict),
        cmocka_unit_test(gpu_committed_results_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
