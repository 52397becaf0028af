/* tests/test_cli_trace.c — the built binary's `trace show` and `list`: exit statuses 0/2, the key
 * output, JSON that parses, and no output file left behind by a failing run.
 * The binary is $MPSIM_BIN (set by `make unit-test`); without it every test fails and says so. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#define FIXTURES MPSIM_DATADIR "/tests/data/layers/"
#define OUT_CAP (1 << 20)

static char tmpdir[] = "/tmp/mpsim_cli_XXXXXX";
static char out[OUT_CAP]; /* output of the last run */

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    /* a failed test may leave its file; the folder must be empty after that */
    static const char *const files[] = {"bad.csv", "out.json", "a.json"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        remove(path);
    }
    return rmdir(tmpdir);
}

/* Run "$MPSIM_BIN ARGS" through the shell; stdout (and stderr when with_err) into out[].
 * Returns the exit status, or -1 if the process did not exit normally. */
static int run(const char *args, int with_err)
{
    const char *bin = getenv("MPSIM_BIN");
    if (!bin || !*bin)
        fail_msg("MPSIM_BIN is not set: run this test through 'make unit-test' (it points it at build/mpsim)");
    if (strchr(bin, '\''))
        fail_msg("MPSIM_BIN must not contain a single quote: %s", bin);
    if (access(bin, X_OK) != 0)
        fail_msg("MPSIM_BIN=%s is not an executable file", bin);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s %s", bin, args, with_err ? "2>&1" : "2>/dev/null");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = 0, got;
    while ((got = fread(out + n, 1, OUT_CAP - 1 - n, p)) > 0)
        n += got;
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define EXPECT(args, with_err, status)                                                                      \
    do {                                                                                                    \
        int rc_ = run(args, with_err);                                                                      \
        if (rc_ != (status))                                                                                \
            fail_msg("mpsim %s: exit %d, wanted %d; output:\n%s", args, rc_, status, out);                  \
    } while (0)
#define CONTAINS(s)                                                                                         \
    do {                                                                                                    \
        if (!strstr(out, s))                                                                                \
            fail_msg("output lacks '%s':\n%s", s, out);                                                     \
    } while (0)

/* Entries in tmpdir other than . and .. */
static int tmp_entries(void)
{
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void show_llama2_7b(void **state)
{
    (void)state;
    EXPECT("trace show --model llama2-7b", 1, 0);
    CONTAINS("phase prefill  seq 2048  batch 1");
    CONTAINS("6607077376");
    CONTAINS("(6.61 B)");
    for (const char *const *g = (const char *const[]){"q_proj", "k_proj", "v_proj", "attn_qk", "attn_pv", "o_proj",
                                                       "gate_proj", "up_proj", "down_proj", "lm_head", NULL};
         *g; g++)
        CONTAINS(*g);
    EXPECT("trace show --model opt-1.3b --phase decode --kv 512 --batch 4", 1, 0);
    CONTAINS("kv 512  batch 4");
    CONTAINS("fc1");
    EXPECT("trace show --help", 1, 0);
    CONTAINS("usage: mpsim trace show");
}

static cJSON *parse_out(void)
{
    cJSON *j = cJSON_Parse(out);
    if (!j)
        fail_msg("output is not JSON:\n%s", out);
    return j;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("JSON lacks number '%s'", key);
    return v->valuedouble;
}

static void json_stdout(void **state)
{
    (void)state;
    EXPECT("trace show --model llama2-7b --phase decode --kv 128 --batch 2 --json -", 0, 0);
    cJSON *j = parse_out();
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "model")), "llama2-7b");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "phase")), "decode");
    assert_true(num(j, "kv") == 128 && num(j, "batch") == 2);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "seq"));
    assert_true(num(j, "weight_params") == 6607077376.0);
    assert_true(num(j, "macs") == 2 * 6607077376.0 + 2.0 * 32 * 2 * 32 * 128 * 128);
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "gemms");
    assert_true(cJSON_IsArray(g));
    assert_int_equal(cJSON_GetArraySize(g), 10);
    double sum = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, g)
    {
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "name")));
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "role")));
        double m = num(it, "m"), n = num(it, "n"), k = num(it, "k"), c = num(it, "count");
        assert_true(num(it, "macs") == m * n * k * c);
        sum += num(it, "macs");
    }
    assert_true(sum == num(j, "macs"));
    cJSON_Delete(j);

    EXPECT("trace show --model tiny --json -", 0, 0);
    j = parse_out();
    assert_true(num(j, "seq") == 2048 && num(j, "batch") == 1);
    assert_null(cJSON_GetObjectItemCaseSensitive(j, "kv"));
    cJSON_Delete(j);
}

static void json_file_and_layers(void **state)
{
    (void)state;
    char args[1024], path[512];
    snprintf(path, sizeof path, "%s/out.json", tmpdir);
    snprintf(args, sizeof args, "trace show --layers '%sscalesim.csv' --json '%s'", FIXTURES, path);
    EXPECT(args, 1, 0);
    CONTAINS("phase layers");
    CONTAINS("ffn_down");
    assert_int_equal(tmp_entries(), 1); /* out.json and no temporary */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, OUT_CAP - 1, f);
    out[n] = '\0';
    fclose(f);
    remove(path);
    cJSON *j = parse_out();
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "phase")), "layers");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "gemms")), 4);
    cJSON_Delete(j);
}

static void list_commands(void **state)
{
    (void)state;
    EXPECT("list models", 1, 0);
    for (const char *const *m = (const char *const[]){"llama2-7b", "llama2-13b", "llama2-70b", "llama3-8b",
                                                       "llama3-70b", "opt-1.3b", "opt-6.7b", "phi-2", "yi-6b",
                                                       "mistral-7b", "tiny", "6607077376", NULL};
         *m; m++)
        CONTAINS(*m);
    EXPECT("list kinds", 1, 0);
    CONTAINS("fp16\nint8\n");
    CONTAINS("mixpe-w4a8");
    CONTAINS("bitmod");
    CONTAINS("olive");
    EXPECT("list presets", 1, 0);
    EXPECT("list --help", 1, 0);
    CONTAINS("presets");
    EXPECT("list models --help", 1, 0);
    EXPECT("list", 1, 2);
    CONTAINS("usage");
    EXPECT("list bogus", 1, 2);
    EXPECT("list models extra", 1, 2);
}

/* Bad flags and values: exit 2 with a message naming the problem. */
static void usage_errors(void **state)
{
    (void)state;
    static const struct { const char *args, *msg; } cases[] = {
        {"trace show --model nosuch", "unknown model 'nosuch'"},
        {"trace show --model llama2-7b --bogus", "unknown option '--bogus'"},
        {"trace show --model llama2-7b --phase decode --seq 128", "--seq"},
        {"trace show --model llama2-7b --kv 128", "--kv"},
        {"trace show --model llama2-7b --phase sideways", "--phase"},
        {"trace show --model llama2-7b --seq 0", "seq = 0"},
        {"trace show --model llama2-7b --seq 2x", "not an integer"},
        {"trace show --model llama2-7b --batch 2000000", "batch"},
        {"trace show", "exactly one of"},
        {"trace show --model tiny --layers x.csv", "exactly one of"},
        {"trace show --layers " FIXTURES "scalesim.csv --batch 2", "--model only"},
        {"trace show --layers /nonexistent/layers.csv", "cannot open"},
        {"trace show --model", "needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EXPECT(cases[i].args, 1, 2);
        CONTAINS(cases[i].msg);
    }
}

/* A bad layer list: exit 2, "FILE:LINE: message" on stderr. */
static void bad_layer_list(void **state)
{
    (void)state;
    char path[512], args[1024], want[600];
    snprintf(path, sizeof path, "%s/bad.csv", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("name,m,n,k\nq,1,2,3\nv,1,-2,3\n", f);
    fclose(f);
    snprintf(args, sizeof args, "trace show --layers '%s'", path);
    EXPECT(args, 1, 2);
    remove(path);
    snprintf(want, sizeof want, "%s:3: ", path);
    CONTAINS(want);
}

/* A run that fails leaves no file behind, neither the output nor its temporary. */
static void failing_json_leaves_nothing(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "trace show --model nosuch --json '%s/a.json'", tmpdir);
    EXPECT(args, 1, 2);
    assert_int_equal(tmp_entries(), 0);
    snprintf(args, sizeof args, "trace show --model tiny --seq 0 --json '%s/a.json'", tmpdir);
    EXPECT(args, 1, 2);
    assert_int_equal(tmp_entries(), 0);
    snprintf(args, sizeof args, "trace show --model tiny --json '%s/no/such/dir/a.json'", tmpdir);
    EXPECT(args, 1, 2);
    CONTAINS("cannot write");
    assert_int_equal(tmp_entries(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(show_llama2_7b), cmocka_unit_test(json_stdout),
        cmocka_unit_test(json_file_and_layers), cmocka_unit_test(list_commands),
        cmocka_unit_test(usage_errors), cmocka_unit_test(bad_layer_list),
        cmocka_unit_test(failing_json_leaves_nothing),
    };
    return cmocka_run_group_tests_name("cli_trace", tests, setup, teardown);
}
