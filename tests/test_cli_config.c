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
#include <unistd.h>
#include <cJSON.h>
#include <cmocka.h>

#include "testutil.h"
#include "cliutil.h"

#define DOC_PATH MPSIM_DATADIR "/docs/config.md"

static const char *const presets[] = {
    "mixpe-paper/fp16",       "mixpe-paper/int8",        "mixpe-paper/ant",
    "mixpe-paper/mixpe-w4a8", "mixpe-paper/mixpe-w4a16", "bitmod-paper/fp16",
    "bitmod-paper/ant",       "bitmod-paper/olive",      "bitmod-paper/bitmod-w4",
    "bitmod-paper/bitmod-w3", "bitmod-paper/decode/fp16", "bitmod-paper/decode/ant",
    "bitmod-paper/decode/olive", "bitmod-paper/decode/bitmod-w4", "bitmod-paper/decode/bitmod-w3",
};
#define NPRESETS (sizeof presets / sizeof presets[0])

static char tmpdir[] = "/tmp/mpsim_clicfg_XXXXXX";
static const char *const tmp_files[] = {"bad.ini", "a.ini", "b.ini", "my.ini", "passwd.ini", "nosuch.ini", NULL};

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, tmp_files); }
static const char *tmp(const char *name) { return tu_path(tmpdir, name); }

static void check_good_presets(void **state)
{
    (void)state;
    char args[512], want[512];
    for (size_t k = 0; k < NPRESETS; k++) {
        snprintf(args, sizeof args, "config check %s", presets[k]);
        CLI_EXPECT(args, CLI_ERR_APART, 0);
        snprintf(want, sizeof want, "configs/%s.ini: ok (%s)\n", presets[k], presets[k]);
        CLI_CONTAINS(cli_out, want);
        assert_string_equal(cli_err, "");
    }
    /* a preset file by its path */
    CLI_EXPECT("config check " MPSIM_DATADIR "/configs/mixpe-paper/int8.ini", CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, ": ok (int8)");
}

/* `config check` on a bad file: exit 2, nothing on stdout, "FILE:LINE: detail" on stderr. */
static void expect_bad(const char *data, size_t len, int line, const char *detail)
{
    char p[512], args[1024], want[1024];
    snprintf(p, sizeof p, "%s", tmp("bad.ini"));
    tu_write(p, data, len);
    snprintf(args, sizeof args, "config check '%s'", p);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    snprintf(want, sizeof want, "%s:%d: ", p, line);
    if (strncmp(cli_err, want, strlen(want)) != 0)
        fail_msg("stderr should start with '%s':\n%s", want, cli_err);
    CLI_CONTAINS(cli_err, detail);
    assert_string_equal(cli_out, "");
    /* show refuses it the same way */
    snprintf(args, sizeof args, "config show '%s'", p);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    assert_string_equal(cli_out, "");
    assert_int_equal(strncmp(cli_err, want, strlen(want)), 0);
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
        /* issue 20: the energy table is part of the config: it must name a table that loads */
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[energy]\ntech = nosuchtech\n", 6,
         "[energy] tech = nosuchtech: no such technology table"},
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[energy]\ntech = ../../../../etc/passwd\n", 6,
         "not a technology table name"},
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[energy]\ntech = /etc/passwd\n", 6,
         "not a technology table name"},
        {"[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[energy]\ntech = 28nm.ini\n\n", 6,
         "no such technology table"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        expect_bad(bad[k].text, strlen(bad[k].text), bad[k].line, bad[k].detail);
    static const char nul[] = "[arch]\npe_kind = fp16\nrows = 4\0\ncols = 4\n";
    expect_bad(nul, sizeof nul - 1, 3, "control byte 0x00");
    /* a file that does not exist */
    char args[600];
    snprintf(args, sizeof args, "config check '%s'", tmp("none.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "none.ini: no such config file or preset");
    /* a file of another kind: its line is named, nothing of it is quoted (issue 20) */
    tu_write_text(tmp("passwd.ini"), "root:x:0:0:root:/root:/bin/bash\n[secret]\n");
    snprintf(args, sizeof args, "config check '%s'", tmp("passwd.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "passwd.ini:1: a key outside any [section]");
    assert_null(strstr(cli_err, "root"));
    tu_write_text(tmp("passwd.ini"), "[secret]\nroot = x\n");
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "passwd.ini:1: unknown section (expected one of: [mpsim] [arch]");
    assert_null(strstr(cli_err, "secret"));
    /* run fails the same way, FILE:LINE first, and echoes nothing of the file named */
    tu_write_text(tmp("passwd.ini"), "[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[energy]\ntech = ../../../../etc/passwd\n");
    snprintf(args, sizeof args, "run --arch '%s' --model tiny", tmp("passwd.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, ":6: [energy] tech");
    assert_null(strstr(cli_err, "root"));
    tu_write_text(tmp("nosuch.ini"), "[arch]\npe_kind = fp16\nrows = 4\ncols = 4\n[energy]\ntech = nosuchtech\n");
    snprintf(args, sizeof args, "run --arch '%s' --model tiny", tmp("nosuch.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "nosuch.ini:6: [energy] tech = nosuchtech: no such technology table");
    CLI_EXPECT("run --arch iso/fp16 --model tiny --set energy.tech=nosuchtech", CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "--set: [energy] tech = nosuchtech: no such technology table");
    CLI_EXPECT("run --arch iso/fp16 --model tiny --set energy.tech=../../../../etc/passwd", CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "not a technology table name");
    assert_null(strstr(cli_err, "root"));
    CLI_EXPECT("config check no-such/preset", CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "no-such/preset: no such config file or preset");
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
    static char first[CLI_CAP];
    char args[1024];
    for (size_t k = 0; k < NPRESETS; k++) {
        snprintf(args, sizeof args, "config show %s", presets[k]);
        CLI_EXPECT(args, CLI_ERR_APART, 0);
        assert_string_equal(cli_err, "");
        CLI_CONTAINS(cli_out, "[arch]\n");
        tu_write(tmp("a.ini"), cli_out, strlen(cli_out));
        memcpy(first, cli_out, strlen(cli_out) + 1);
        snprintf(args, sizeof args, "config check '%s'", tmp("a.ini"));
        CLI_EXPECT(args, CLI_ERR_APART, 0);
        snprintf(args, sizeof args, "ok (%s)", presets[k]); /* the name is written out */
        CLI_CONTAINS(cli_out, args);
        snprintf(args, sizeof args, "config show '%s'", tmp("a.ini"));
        CLI_EXPECT(args, CLI_ERR_APART, 0);
        tu_write(tmp("b.ini"), cli_out, strlen(cli_out));
        normalize(first);
        normalize(cli_out);
        if (strcmp(first, cli_out) != 0)
            fail_msg("%s: show of the shown file differs:\n%s\n----\n%s", presets[k], first, cli_out);
    }
    /* a minimal file: defaults are filled in and marked */
    static const char minimal[] = "[arch]\npe_kind = olive\nrows = 3\ncols = 5\n";
    tu_write(tmp("my.ini"), minimal, sizeof minimal - 1);
    snprintf(args, sizeof args, "config show '%s'", tmp("my.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "(default)\nclock_mhz = 1000\n");
    CLI_CONTAINS(cli_out, "name = my\n");
    CLI_CONTAINS(cli_out, "weight_bits = 4\n");
    CLI_CONTAINS(cli_out, "\n[dram]\n");
}

static void usage_errors(void **state)
{
    (void)state;
    static const CliCase cases[] = {
        {"config frob mixpe-paper/fp16", "unknown command 'frob'"},
        {"config", "usage: mpsim config"},
        {"config check --bogus mixpe-paper/fp16", "unknown option '--bogus'"},
        {"config show mixpe-paper/fp16 --json=x", "unknown option '--json'"},
        {"config show -x mixpe-paper/fp16", "unknown option '-x'"},
        {"config check", "missing argument"},
        {"config check mixpe-paper/fp16 mixpe-paper/int8", "unexpected argument 'mixpe-paper/int8'"},
    };
    CLI_EXPECT_CASES(cases, CLI_ERR_APART, 2);
    assert_string_equal(cli_out, "");
}

static void help(void **state)
{
    (void)state;
    CLI_EXPECT("config --help", CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "usage: mpsim config");
    CLI_CONTAINS(cli_out, "check");
    CLI_CONTAINS(cli_out, "show");
    CLI_EXPECT("config check --help", CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "usage: mpsim config check FILE|PRESET");
    CLI_CONTAINS(cli_out, "mixpe-paper/fp16");
    CLI_EXPECT("config show -h", CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "usage: mpsim config show FILE|PRESET");
    CLI_EXPECT("--help", CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "config");
}

/* The ```ini example of docs/config.md passes `config check`. */
static void doc_example_checks(void **state)
{
    (void)state;
    static char doc[1 << 18];
    tu_slurp(DOC_PATH, doc, sizeof doc);
    char *a = strstr(doc, "\n```ini\n");
    if (!a)
        fail_msg("%s has no ```ini example", DOC_PATH);
    a += 8;
    char *b = strstr(a, "\n```\n");
    assert_non_null(b);
    tu_write(tmp("my.ini"), a, (size_t)(b - a) + 1);
    char args[600];
    snprintf(args, sizeof args, "config check '%s'", tmp("my.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "my.ini: ok (my)");
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
