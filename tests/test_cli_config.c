/* tests/test_cli_config.c — the built binary's `config check|show`: exit statuses 0/2, "FILE:LINE:" on stderr
 * for bad files, `show` output that is itself a valid config and re-shows identically, usage errors, --help,
 * and the example of docs/config.md.
 * The binary is $MPSIM_BIN (set by `make unit-test`); without it every test fails and says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define DOC_PATH MPSIM_DATADIR "/docs/config.md"
#define CAP (1 << 18)

static const char *const presets[] = {
    "mixpe-paper/fp16",       "mixpe-paper/int8",        "mixpe-paper/ant",
    "mixpe-paper/mixpe-w4a8", "mixpe-paper/mixpe-w4a16", "bitmod-paper/fp16",
    "bitmod-paper/ant",       "bitmod-paper/olive",      "bitmod-paper/bitmod-w4",
    "bitmod-paper/bitmod-w3", "bitmod-paper/decode/fp16", "bitmod-paper/decode/ant",
    "bitmod-paper/decode/olive", "bitmod-paper/decode/bitmod-w4", "bitmod-paper/decode/bitmod-w3",
};
#define NPRESETS (sizeof presets / sizeof presets[0])

static char tmpdir[] = "/tmp/mpsim_clicfg_XXXXXX";
static char out[CAP], err[CAP]; /* stdout and stderr of the last run */

/* tmpdir/name, in one of 8 rotating buffers: copy it before making 8 more. */
static const char *tmp(const char *name)
{
    static char paths[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(paths[k], sizeof paths[k], "%s/%s", tmpdir, name);
    return paths[k];
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    static const char *const files[] = {"stdout", "stderr", "bad.ini", "a.ini", "b.ini", "my.ini"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        remove(tmp(files[i]));
    return rmdir(tmpdir);
}

static void slurp(const char *path, char *buf)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    if (f) {
        n = fread(buf, 1, CAP - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Run "$MPSIM_BIN ARGS" through the shell, stdout and stderr into out[] and err[].
 * Returns the exit status, or -1 if the process did not exit normally. */
static int run(const char *args)
{
    const char *bin = getenv("MPSIM_BIN");
    if (!bin || !*bin)
        fail_msg("MPSIM_BIN is not set: run this test through 'make unit-test' (it points it at build/mpsim)");
    if (strchr(bin, '\''))
        fail_msg("MPSIM_BIN must not contain a single quote: %s", bin);
    if (access(bin, X_OK) != 0)
        fail_msg("MPSIM_BIN=%s is not an executable file", bin);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", bin, args, tmp("stdout"), tmp("stderr"));
    int st = system(cmd);
    slurp(tmp("stdout"), out);
    slurp(tmp("stderr"), err);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define EXPECT(args, status)                                                                                \
    do {                                                                                                    \
        int rc_ = run(args);                                                                                \
        if (rc_ != (status))                                                                                \
            fail_msg("mpsim %s: exit %d, wanted %d; stdout:\n%s\nstderr:\n%s", args, rc_, status, out, err); \
    } while (0)
#define CONTAINS(buf, s)                                                                                    \
    do {                                                                                                    \
        if (!strstr(buf, s))                                                                                \
            fail_msg(#buf " lacks '%s':\n%s", s, buf);                                                      \
    } while (0)

static void check_good_presets(void **state)
{
    (void)state;
    char args[512], want[512];
    for (size_t k = 0; k < NPRESETS; k++) {
        snprintf(args, sizeof args, "config check %s", presets[k]);
        EXPECT(args, 0);
        snprintf(want, sizeof want, "configs/%s.ini: ok (%s)\n", presets[k], presets[k]);
        CONTAINS(out, want);
        assert_string_equal(err, "");
    }
    /* a preset file by its path */
    EXPECT("config check " MPSIM_DATADIR "/configs/mixpe-paper/int8.ini", 0);
    CONTAINS(out, ": ok (int8)");
}

/* `config check` on a bad file: exit 2, nothing on stdout, "FILE:LINE: detail" on stderr. */
static void expect_bad(const char *data, size_t len, int line, const char *detail)
{
    char p[512], args[1024], want[1024];
    snprintf(p, sizeof p, "%s", tmp("bad.ini"));
    write_file(p, data, len);
    snprintf(args, sizeof args, "config check '%s'", p);
    EXPECT(args, 2);
    snprintf(want, sizeof want, "%s:%d: ", p, line);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("stderr should start with '%s':\n%s", want, err);
    CONTAINS(err, detail);
    assert_string_equal(out, "");
    /* show refuses it the same way */
    snprintf(args, sizeof args, "config show '%s'", p);
    EXPECT(args, 2);
    assert_string_equal(out, "");
    assert_int_equal(strncmp(err, want, strlen(want)), 0);
}

static void check_bad_files(void **state)
{
    (void)state;
    static const struct { const char *text; int line; const char *detail; } bad[] = {
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\nbanks = 2\n", 5, "unknown key 'banks' in [arch]"},
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[srma]\n", 5, "unknown section [srma]"},
        {"[arch]\npe_kind = fp17\nrows = 4\ncols = 4\n", 2, "'fp17' is not one of"},
        {"[arch]\npe_kind = fp16\nrows = four\ncols = 4\n", 3, "'four' is not an integer"},
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\nclock_mhz = 0\n", 5, "out of range [1, 100000] MHz"},
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\nrows = 8\n", 5, "(first set on line 3)"},
        {"[arch]\npe_kind = fp16\nrows 4\ncols = 4\n", 3, "syntax error"},
        {"[arch]\npe_kind = fp16\nrows = 4\n", 3, "missing required key 'cols' in [arch]"},
        {"", 1, "missing required key"},
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[quant]\nweight_bits = 4\n", 6,
         "weight_bits = 4 is not supported by pe_kind fp16"},
        {"[arch]\npe_kind = bitmod\nrows = 4\ncols = 4\n[dram]\ntech = custom\n[energy]\n", 6,
         "tech = custom needs pj_per_bit > 0"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        expect_bad(bad[k].text, strlen(bad[k].text), bad[k].line, bad[k].detail);
    static const char nul[] = "[arch]\npe_kind = fp16\nrows = 4\0\ncols = 4\n";
    expect_bad(nul, sizeof nul - 1, 3, "control byte 0x00");
    /* a file that does not exist */
    char args[600];
    snprintf(args, sizeof args, "config check '%s'", tmp("none.ini"));
    EXPECT(args, 2);
    CONTAINS(err, "none.ini: no such config file or preset");
    EXPECT("config check no-such/preset", 2);
    CONTAINS(err, "no-such/preset: no such config file or preset");
}

/* Drop the "; resolved from" line and the "(default)" marks: the rest of two shows must be equal. */
static void normalize(char *s)
{
    assert_int_equal(strncmp(s, "; resolved from ", 16), 0);
    char *nl = strchr(s, '\n');
    assert_non_null(nl);
    memmove(s, nl + 1, strlen(nl + 1) + 1);
    for (char *p; (p = strstr(s, " (default)\n")) != NULL;)
        memmove(p, p + 10, strlen(p + 10) + 1);
}

static void show_round_trip(void **state)
{
    (void)state;
    static char first[CAP];
    char args[1024];
    for (size_t k = 0; k < NPRESETS; k++) {
        snprintf(args, sizeof args, "config show %s", presets[k]);
        EXPECT(args, 0);
        assert_string_equal(err, "");
        CONTAINS(out, "[arch]\n");
        write_file(tmp("a.ini"), out, strlen(out));
        memcpy(first, out, strlen(out) + 1);
        snprintf(args, sizeof args, "config check '%s'", tmp("a.ini"));
        EXPECT(args, 0);
        snprintf(args, sizeof args, "ok (%s)", presets[k]); /* the name is written out */
        CONTAINS(out, args);
        snprintf(args, sizeof args, "config show '%s'", tmp("a.ini"));
        EXPECT(args, 0);
        write_file(tmp("b.ini"), out, strlen(out));
        normalize(first);
        normalize(out);
        if (strcmp(first, out) != 0)
            fail_msg("%s: show of the shown file differs:\n%s\n----\n%s", presets[k], first, out);
    }
    /* a minimal file: defaults are filled in and marked */
    static const char minimal[] = "[arch]\npe_kind = olive\nrows = 3\ncols = 5\n";
    write_file(tmp("my.ini"), minimal, sizeof minimal - 1);
    snprintf(args, sizeof args, "config show '%s'", tmp("my.ini"));
    EXPECT(args, 0);
    CONTAINS(out, "(default)\nclock_mhz = 1000\n");
    CONTAINS(out, "name = my\n");
    CONTAINS(out, "weight_bits = 4\n");
    CONTAINS(out, "\n[dram]\n");
}

static void usage_errors(void **state)
{
    (void)state;
    EXPECT("config frob mixpe-paper/fp16", 2);
    CONTAINS(err, "unknown command 'frob'");
    EXPECT("config", 2);
    CONTAINS(err, "usage: mpsim config");
    EXPECT("config check --bogus mixpe-paper/fp16", 2);
    CONTAINS(err, "unknown option '--bogus'");
    EXPECT("config show mixpe-paper/fp16 --json=x", 2);
    CONTAINS(err, "unknown option '--json'");
    EXPECT("config show -x mixpe-paper/fp16", 2);
    CONTAINS(err, "unknown option '-x'");
    EXPECT("config check", 2);
    CONTAINS(err, "missing argument");
    EXPECT("config check mixpe-paper/fp16 mixpe-paper/int8", 2);
    CONTAINS(err, "unexpected argument 'mixpe-paper/int8'");
    assert_string_equal(out, "");
}

static void help(void **state)
{
    (void)state;
    EXPECT("config --help", 0);
    CONTAINS(out, "usage: mpsim config");
    CONTAINS(out, "check");
    CONTAINS(out, "show");
    EXPECT("config check --help", 0);
    CONTAINS(out, "usage: mpsim config check FILE|PRESET");
    CONTAINS(out, "mixpe-paper/fp16");
    EXPECT("config show -h", 0);
    CONTAINS(out, "usage: mpsim config show FILE|PRESET");
    EXPECT("--help", 0);
    CONTAINS(out, "config");
}

/* The ```ini example of docs/config.md passes `config check`. */
static void doc_example_checks(void **state)
{
    (void)state;
    static char doc[CAP];
    slurp(DOC_PATH, doc);
    char *a = strstr(doc, "\n```ini\n");
    if (!a)
        fail_msg("%s has no ```ini example", DOC_PATH);
    a += 8;
    char *b = strstr(a, "\n```\n");
    assert_non_null(b);
    write_file(tmp("my.ini"), a, (size_t)(b - a) + 1);
    char args[600];
    snprintf(args, sizeof args, "config check '%s'", tmp("my.ini"));
    EXPECT(args, 0);
    CONTAINS(out, "my.ini: ok (my)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_good_presets),
        cmocka_unit_test(check_bad_files),
        cmocka_unit_test(show_round_trip),
        cmocka_unit_test(usage_errors),
        cmocka_unit_test(help),
        cmocka_unit_test(doc_example_checks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
