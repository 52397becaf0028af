/* tests/test_inischema.c — the generic schema-driven INI loader (base/inischema.c) on a small schema
 * built here: every type good and bad, defaults, every fault with its exact "NAME:LINE:" prefix (from a
 * string and from a file), comments, white space, CRLF, indentation, and print -> load round trips. */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/inischema.h"
#include "base/rng.h"
#include "testutil.h"

/* ---- the schema under test ---- */

typedef struct T {
    int i;        /* [a] i: int in [-5, 100], default 7      */
    double d;     /* [a] d: f64 in [0.5, 2.5], default 1.5   */
    int b;        /* [a] b: bool, default false              */
    int color;    /* [b] color: enum red/green/blue, green   */
    char s[16];   /* [b] s: string of at most 15, "hello"    */
    int req;      /* [b] req: int in [0, 10], required       */
} T;

static const char *const colors[] = {"red", "green", "blue", NULL};

enum { R_I, R_D, R_B, R_COLOR, R_S, R_REQ, NROWS };
static const IniKey rows[NROWS] = {
    {"a", "i", INI_INT, offsetof(T, i), -5, 100, "7", NULL, 0, "cycles", "an int"},
    {"a", "d", INI_F64, offsetof(T, d), 0.5, 2.5, "1.5", NULL, 0, "MHz", "a double"},
    {"a", "b", INI_BOOL, offsetof(T, b), 0, 1, "false", NULL, 0, "", "a bool"},
    {"b", "color", INI_ENUM, offsetof(T, color), 0, 0, "green", colors, 0, "", "an enum"},
    {"b", "s", INI_STR, offsetof(T, s), 0, 0, "hello", NULL, sizeof(((T *)0)->s), "", "a string"},
    {"b", "req", INI_INT, offsetof(T, req), 0, 10, NULL, NULL, 0, "", "a required int"},
};

#define LIMIT (INI_MAX_LINE - 2) /* longest line inih's buffer holds (reader reserves '\n' and '\0') */

static char tmpdir[] = "/tmp/mpsim_ini_XXXXXX";
static char tmpfile_path[600];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(tmpfile_path, sizeof tmpfile_path, "%s/t.ini", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove(tmpfile_path);
    return rmdir(tmpdir);
}

/* Field by field (the struct has padding). */
static int t_equal(const T *x, const T *y)
{
    return x->i == y->i && memcmp(&x->d, &y->d, sizeof x->d) == 0 && x->b == y->b && x->color == y->color &&
           strcmp(x->s, y->s) == 0 && x->req == y->req;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Load text of len bytes from a string (when it holds no NUL) and from a file; both must agree. */
static int load_both(const char *data, size_t len, T *t, IniLoad *w, MpErr *e_str, MpErr *e_file)
{
    T t2;
    IniLoad w2;
    int rc_str = -1;
    memset(e_str, 0, sizeof *e_str);
    memset(e_file, 0, sizeof *e_file);
    if (!memchr(data, '\0', len)) {
        char *s = malloc(len + 1);
        assert_non_null(s);
        memcpy(s, data, len);
        s[len] = '\0';
        rc_str = ini_schema_load_string("t.ini", s, rows, NROWS, &t2, &w2, e_str);
        free(s);
    }
    write_file(tmpfile_path, data, len);
    int rc = ini_schema_load(tmpfile_path, rows, NROWS, t, w, e_file);
    if (rc_str != -1) {
        assert_int_equal(rc_str, rc);
        if (rc == MP_OK) {
            assert_true(t_equal(&t2, t));
            assert_memory_equal(&w2, w, sizeof w2);
        }
    }
    return rc;
}

static int load_ok(const char *text, T *t, IniLoad *w)
{
    MpErr es, ef;
    IniLoad local;
    int rc = load_both(text, strlen(text), t, w ? w : &local, &es, &ef);
    if (rc != MP_OK)
        fail_msg("expected success for:\n%s\ngot: %s", text, ef.msg);
    return rc;
}

/* The load fails with MP_EINPUT and the message is exactly "NAME:LINE: ..." containing `detail`,
 * for the string version (NAME = t.ini) and the file version (NAME = the path). */
static void expect_fault_n(const char *data, size_t len, int line, const char *detail)
{
    T t;
    IniLoad w;
    MpErr es, ef;
    int rc = load_both(data, len, &t, &w, &es, &ef);
    if (rc != MP_EINPUT)
        fail_msg("expected MP_EINPUT (line %d, '%s'), got %d: %s", line, detail, rc, ef.msg);
    char want[1024];
    snprintf(want, sizeof want, "%s:%d: ", tmpfile_path, line);
    if (strncmp(ef.msg, want, strlen(want)) != 0)
        fail_msg("message should start with '%s': %s", want, ef.msg);
    if (!strstr(ef.msg, detail))
        fail_msg("message should contain '%s': %s", detail, ef.msg);
    assert_int_equal(ef.code, MP_EINPUT);
    if (!memchr(data, '\0', len)) {
        snprintf(want, sizeof want, "t.ini:%d: ", line);
        if (strncmp(es.msg, want, strlen(want)) != 0)
            fail_msg("message should start with '%s': %s", want, es.msg);
        assert_true(strstr(es.msg, detail) != NULL);
        assert_int_equal(es.code, MP_EINPUT);
    }
}

static void expect_fault(const char *text, int line, const char *detail)
{
    expect_fault_n(text, strlen(text), line, detail);
}

/* ---- values of every type ---- */

/* The text `fmt` with its one %s replaced by v loads (into t). */
static void load_value(const char *fmt, const char *v, T *t)
{
    char text[128];
    snprintf(text, sizeof text, fmt, v);
    load_ok(text, t, NULL);
}

/* Each of the n values in `fmt` is refused at `line`, the message containing `detail` with its
 * one %s replaced by the value. */
static void expect_bad_values(const char *fmt, int line, const char *detail, const char *const *v, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char text[128], want[128];
        snprintf(text, sizeof text, fmt, v[k]);
        snprintf(want, sizeof want, detail, v[k]);
        expect_fault(text, line, want);
    }
}

static void defaults_filled(void **state)
{
    (void)state;
    T t;
    IniLoad w;
    load_ok("[b]\nreq = 3\n", &t, &w);
    assert_int_equal(t.i, 7);
    assert_true(t.d == 1.5);
    assert_int_equal(t.b, 0);
    assert_int_equal(t.color, 1);
    assert_string_equal(t.s, "hello");
    assert_int_equal(t.req, 3);
    for (int r = 0; r < NROWS; r++)
        assert_int_equal(w.line[r], r == R_REQ ? 2 : 0);
    assert_int_equal(w.nlines, 2);

    MpErr e = {0};
    T d;
    assert_int_equal(ini_schema_defaults(rows, NROWS, &d, &e), MP_OK);
    assert_int_equal(d.i, 7);
    assert_string_equal(d.s, "hello");
    assert_int_equal(d.req, 0); /* required: zero until the file sets it */
}

static void bad_default_is_internal(void **state)
{
    (void)state;
    IniKey bad[1] = {rows[R_I]};
    bad[0].def = "1000"; /* outside [-5, 100] */
    T t;
    MpErr e = {0};
    assert_int_equal(ini_schema_defaults(bad, 1, &t, &e), MP_EINTERNAL);
    assert_non_null(strstr(e.msg, "[a] i"));
    mp_err_clear(&e);
    assert_int_equal(ini_schema_load_string("x", "", bad, 1, &t, NULL, &e), MP_EINTERNAL);
}

static void int_values(void **state)
{
    (void)state;
    static const struct { const char *v; int want; } good[] = {
        {"-5", -5}, {"100", 100}, {"0", 0}, {"+3", 3}, {"-0", 0}, {"007", 7}, {"42", 42},
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        T t;
        load_value("[a]\ni = %s\n[b]\nreq = 0\n", good[k].v, &t);
        assert_int_equal(t.i, good[k].want);
    }
    static const char *const notint[] = {"abc", "1.5", "12abc", "0x10", "1e2", "99999999999999999999", "- 3", "''"};
    expect_bad_values("[b]\nreq = 1\n[a]\ni = %s\n", 4, "[a] i: '%s' is not an integer", notint,
                      sizeof notint / sizeof notint[0]);
    expect_fault("[a]\ni =\n[b]\nreq = 1\n", 2, "'' is not an integer");
    /* out of range: the message names the bounds and the unit */
    expect_fault("[b]\nreq = 1\n[a]\ni = 101\n", 4, "[a] i: 101 is out of range [-5, 100] cycles");
    expect_fault("[a]\ni = -6\n[b]\nreq = 1\n", 2, "-6 is out of range [-5, 100] cycles");
    expect_fault("[b]\nreq = 11\n", 2, "[b] req: 11 is out of range [0, 10]");
    expect_fault("[a]\ni = 4294967297\n", 2, "4294967297 is out of range [-5, 100] cycles"); /* 2^32+1: no wrap */
}

static void f64_values(void **state)
{
    (void)state;
    static const struct { const char *v; double want; } good[] = {
        {"0.5", 0.5}, {"2.5", 2.5}, {"1", 1.0}, {"1e0", 1.0}, {"1.25", 1.25}, {"+2", 2.0}, {"0x1p1", 2.0},
        {"0.7", 0.7},
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        T t;
        load_value("[a]\nd = %s\n[b]\nreq = 0\n", good[k].v, &t);
        assert_true(t.d == good[k].want);
    }
    static const char *const bad[] = {"x", "1.5x", "nan", "inf", "-inf", "1e999", "1,5", "1.5.0"};
    expect_bad_values("[a]\n\nd = %s\n[b]\nreq = 1\n", 3, "[a] d: '%s' is not a number", bad,
                      sizeof bad / sizeof bad[0]);
    expect_fault("[a]\nd = 2.6\n[b]\nreq = 1\n", 2, "[a] d: 2.6 is out of range [0.5, 2.5] MHz");
    expect_fault("[a]\nd = 0.49\n[b]\nreq = 1\n", 2, "0.49 is out of range [0.5, 2.5] MHz");
}

static void bool_values(void **state)
{
    (void)state;
    static const struct { const char *v; int want; } good[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"on", 1}, {"off", 0}, {"1", 1}, {"0", 0},
        {"TRUE", 1}, {"Off", 0},
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        T t;
        load_value("[a]\nb = %s\n[b]\nreq = 0\n", good[k].v, &t);
        assert_int_equal(t.b, good[k].want);
    }
    static const char *const bad[] = {"maybe", "2", "t", "y", "truee", "-1"};
    expect_bad_values("[b]\nreq = 1\n[a]\nb = %s\n", 4, "[a] b: '%s' is not a boolean (true/false/yes/no/on/off/1/0)",
                      bad, sizeof bad / sizeof bad[0]);
}

static void enum_values(void **state)
{
    (void)state;
    for (int k = 0; colors[k]; k++) {
        T t;
        load_value("[b]\ncolor = %s\nreq = 0\n", colors[k], &t);
        assert_int_equal(t.color, k);
    }
    /* the message lists every choice; names are case-sensitive */
    expect_fault("[b]\nreq = 1\ncolor = purple\n", 3, "[b] color: 'purple' is not one of: red green blue");
    expect_fault("[b]\ncolor = Red\nreq = 1\n", 2, "'Red' is not one of: red green blue");
    expect_fault("[b]\ncolor =\nreq = 1\n", 2, "'' is not one of: red green blue");
}

static void str_values(void **state)
{
    (void)state;
    static const char *const good[] = {"", "x", "a b  c", "123456789012345", "a=b", "[x]", "#x", "a;b", "x # y",
                                       "caf\xc3\xa9"};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        T t;
        load_value("[b]\ns = %s\nreq = 0\n", good[k], &t);
        assert_string_equal(t.s, good[k]);
    }
    expect_fault("[b]\nreq = 1\ns = 1234567890123456\n", 3, "[b] s: value is longer than 15 characters");
}

/* ---- faults, each at its exact line ---- */

static void fault_unknown_section(void **state)
{
    (void)state;
    expect_fault("[a]\ni = 1\n[b]\nreq = 1\n[zz]\nx = 1\n", 5, "unknown section [zz]");
    expect_fault("[b]\nreq = 1\n\n[zz]\n", 4, "unknown section [zz]"); /* even with no key in it */
    expect_fault("[b]\nreq = 1\n[zz] ; c\n", 3, "unknown section [zz]");
    expect_fault("[b]\nreq = 1\n[ b ]\n", 3, "unknown section [ b ]");
    /* before any section of the schema, the file may be of another kind: nothing of it is quoted
     * (issue 20: "/etc/passwd:1: key 'root' ..."), the sections it may have are listed */
    expect_fault("[]\ni = 1\n", 1, "unknown section (expected one of: [a] [b])");
    expect_fault("; x\n[secret-name]\ni = 1\n[a]\n", 2, "unknown section (expected one of: [a] [b])");
}

static void fault_unknown_key(void **state)
{
    (void)state;
    expect_fault("[a]\ni = 1\nj = 2\n[b]\nreq = 1\n", 3, "unknown key 'j' in [a]");
    expect_fault("[b]\nreq = 1\ni = 2\n", 3, "unknown key 'i' in [b]"); /* a key of another section */
    expect_fault("[b]\nREQ = 1\n", 2, "unknown key 'REQ' in [b]");  /* case-sensitive */
    expect_fault("[b]\n= 1\n", 2, "unknown key '' in [b]");
}

static void fault_key_outside_section(void **state)
{
    (void)state;
    expect_fault("; a comment\n\ni = 1\n[a]\n", 3, "a key outside any [section] (expected a section first: [a] [b])");
    expect_fault("root:x:0:0:root:/root:/bin/sh\n", 1, "a key outside any [section]");
}

static void fault_duplicate_key(void **state)
{
    (void)state;
    /* the message names both lines; a section may be reopened, but a key not set twice */
    expect_fault("[a]\ni = 1\n\n[b]\nreq = 1\n[a]\ni = 2\n", 7, "duplicate key 'i' in [a] (first set on line 2)");
    expect_fault("[b]\nreq = 1\nreq = 1\n", 3, "duplicate key 'req' in [b] (first set on line 2)");
}

static void fault_syntax(void **state)
{
    (void)state;
    expect_fault("[a]\ni = 1\njunk line\n[b]\nreq = 1\n", 3, "syntax error");
    expect_fault("[b]\nreq = 1\n[a\ni = 1\n", 3, "syntax error");
    expect_fault("[a] i = 1\n", 1, "syntax error (text after ']')");
    expect_fault("[b]\nreq = 1\n[a]]\n", 3, "syntax error (text after ']')");
    /* the first error wins, whether a syntax error or a bad value comes first */
    expect_fault("[a]\nnot a pair\ni = 999\n[b]\nreq = 1\n", 2, "syntax error");
    expect_fault("[a]\ni = 999\nnot a pair\n[b]\nreq = 1\n", 2, "out of range");
}

static void fault_long_line(void **state)
{
    (void)state;
    char text[1024], body[600];
    /* a comment line of exactly LIMIT characters is fine; one more is not */
    memset(body, 'x', sizeof body);
    body[0] = ';';
    snprintf(text, sizeof text, "[b]\n%.*s\nreq = 1\n", LIMIT, body);
    T t;
    load_ok(text, &t, NULL);
    snprintf(text, sizeof text, "[b]\n%.*s\r\nreq = 1\n", LIMIT, body); /* CR is not counted */
    load_ok(text, &t, NULL);
    char detail[64];
    snprintf(detail, sizeof detail, "line longer than %d characters", LIMIT);
    snprintf(text, sizeof text, "[b]\n%.*s\nreq = 1\n", LIMIT + 1, body);
    expect_fault(text, 2, detail);
    snprintf(text, sizeof text, "[b]\nreq = 1\n\n%.*s", 500, body); /* last line, no newline */
    expect_fault(text, 4, detail);
    /* a long value is reported as a long line, not as a truncated value */
    memset(body, '1', sizeof body);
    snprintf(text, sizeof text, "[b]\nreq = 1\n[a]\ni = %.*s\n", 400, body);
    expect_fault(text, 4, detail);
    /* the rest of a long line is not read as a line of its own */
    snprintf(text, sizeof text, "[b]\nreq = 1\n;%.*s[a]\n", 400, body);
    expect_fault(text, 3, detail);
}

static void fault_missing_required(void **state)
{
    (void)state;
    expect_fault("[a]\ni = 1\n\n", 3, "missing required key 'req' in [b]");
    expect_fault("[a]\ni = 1", 2, "missing required key 'req' in [b]");
    expect_fault("", 1, "missing required key 'req' in [b]");              /* empty file */
    expect_fault("; only a comment\n", 1, "missing required key 'req' in [b]");
}

static void fault_binary(void **state)
{
    (void)state;
    static const char nul[] = "[b]\nreq = 1\n[a]\ni = 1\0junk\n";
    expect_fault_n(nul, sizeof nul - 1, 4, "control byte 0x00 at column 6");
    static const char nul1[] = "\0\0\0\0";
    expect_fault_n(nul1, sizeof nul1 - 1, 1, "control byte 0x00 at column 1");
    expect_fault("[b]\nreq = 1\n\x01\x02\xff\xfe\n", 3, "control byte 0x01");
    expect_fault("[b]\ns = a\x1b[0mb\nreq = 1\n", 2, "control byte 0x1b at column 6"); /* ESC in a value */
    expect_fault("[b]\nreq = 1\rs = x\n", 2, "control byte 0x0d at column 8");       /* lone CR */
    expect_fault("[b]\nreq = 1\x7f\n", 2, "control byte 0x7f");

    /* random junk, and junk after valid lines: never a crash, always MP_EINPUT with NAME:LINE: */
    MpRng rng;
    mp_rng_seed(&rng, tu_seed("fault_binary", 20240611));
    char buf[700];
    for (int it = 0; it < 300; it++) {
        size_t n = 0;
        if (it & 1)
            n += (size_t)snprintf(buf, sizeof buf, "[b]\nreq = 1\n[a]\n");
        size_t junk = 1 + mp_rng_below(&rng, 400);
        for (size_t k = 0; k < junk && n < sizeof buf; k++)
            buf[n++] = (char)mp_rng_below(&rng, 256);
        T t;
        IniLoad w;
        MpErr es, ef;
        int rc = load_both(buf, n, &t, &w, &es, &ef);
        if (rc == MP_OK)
            continue; /* junk that happens to be valid (very unlikely) */
        assert_int_equal(rc, MP_EINPUT);
        size_t pl = strlen(tmpfile_path);
        assert_memory_equal(ef.msg, tmpfile_path, pl);
        char *end;
        assert_int_equal(ef.msg[pl], ':');
        long line = strtol(ef.msg + pl + 1, &end, 10);
        assert_true(line >= 1 && end[0] == ':' && end[1] == ' ');
    }
}

static void fault_no_file(void **state)
{
    (void)state;
    T t;
    MpErr e = {0};
    char path[700];
    snprintf(path, sizeof path, "%s/does-not-exist.ini", tmpdir);
    assert_int_equal(ini_schema_load(path, rows, NROWS, &t, NULL, &e), MP_EINPUT);
    char want[800];
    snprintf(want, sizeof want, "%s: cannot open: ", path);
    assert_memory_equal(e.msg, want, strlen(want));
    /* a directory opens but cannot be read: an error, never an empty config */
    mp_err_clear(&e);
    assert_int_not_equal(ini_schema_load(tmpdir, rows, NROWS, &t, NULL, &e), MP_OK);
    assert_memory_equal(e.msg, tmpdir, strlen(tmpdir));
}

/* ---- what is fine ---- */

static void comments_and_blanks_ok(void **state)
{
    (void)state;
    T t;
    IniLoad w;
    load_ok("; comment\n"
            "# comment\n"
            "\n"
            "   \n"
            "\t\n"
            "[a] ; section comment\n"
            "# i = 50\n"
            "; i = 60\n"
            "i = 5 ; inline comment\n"
            "d=2\n"
            "   b   =   on   \n"
            "[b] # another\n"
            "\ts = two  words\t; trailing comment\n"
            "req\t=\t9\n",
            &t, &w);
    assert_int_equal(t.i, 5);
    assert_int_equal(w.line[R_I], 9);
    assert_true(t.d == 2.0);
    assert_int_equal(t.b, 1);
    assert_int_equal(w.line[R_B], 11);
    assert_string_equal(t.s, "two  words");
    assert_int_equal(t.req, 9);
    assert_int_equal(w.line[R_REQ], 14);
    assert_int_equal(w.nlines, 14);
    /* ';' starts an inline comment only after white space; '#' only at the start of a line */
    expect_fault("[b]\nreq = 1;x\n", 2, "'1;x' is not an integer");
    load_ok("[b]\nreq = 1\ns = a # b\n", &t, NULL);
    assert_string_equal(t.s, "a # b");
}

/* An indented line is an ordinary line (inih would take it as a continuation of the value above). */
static void indented_lines(void **state)
{
    (void)state;
    T t;
    IniLoad w;
    load_ok("[a]\n  i = 3\n    b = yes\n  [b]\n\treq = 2\n      s = x\n", &t, &w);
    assert_int_equal(t.i, 3);
    assert_int_equal(t.b, 1);
    assert_int_equal(t.req, 2);
    assert_string_equal(t.s, "x");
    assert_int_equal(w.line[R_S], 6);
    expect_fault("[a]\ni = 3\n   junk\n[b]\nreq = 1\n", 3, "syntax error");
}

/* CRLF line endings are accepted: same values and lines as LF. */
static void crlf(void **state)
{
    (void)state;
    T t, u;
    IniLoad w, v;
    load_ok("[a]\r\ni = 4 ; c\r\n\r\nd = 0.75\r\n[b]\r\ns = x y\r\nreq = 3\r\n", &t, &w);
    load_ok("[a]\ni = 4 ; c\n\nd = 0.75\n[b]\ns = x y\nreq = 3\n", &u, &v);
    assert_true(t_equal(&t, &u));
    assert_memory_equal(&w, &v, sizeof w);
    assert_string_equal(t.s, "x y");
    load_ok("[b]\r\nreq = 3\r", &t, &w); /* last line ends in a bare CR */
    assert_int_equal(t.req, 3);
    expect_fault("[b]\r\nreq = 3\r\nbad\r\n", 3, "syntax error");
    expect_fault("[b]\r\nreq = 11\r\n", 2, "11 is out of range");
}

static void utf8_bom(void **state)
{
    (void)state;
    T t;
    load_ok("\xef\xbb\xbf[b]\nreq = 4\n", &t, NULL);
    assert_int_equal(t.req, 4);
}

/* ---- print -> load round trip ---- */

static char *print_to_string(const T *t, const IniLoad *w)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    ini_schema_print(f, rows, NROWS, t, w);
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* A random string that a file can hold: printable, no white space at the ends, no ' ;' inside. */
static void random_str(MpRng *r, char *s, size_t cap)
{
    static const char alphabet[] = "abcXYZ019 _-+./:=[]#;,'\"";
    size_t n = mp_rng_below(r, cap);
    for (;;) {
        for (size_t k = 0; k < n; k++)
            s[k] = alphabet[mp_rng_below(r, sizeof alphabet - 1)];
        s[n] = '\0';
        if (n && (s[0] == ' ' || s[n - 1] == ' '))
            continue;
        if (strstr(s, " ;"))
            continue;
        return;
    }
}

static void print_round_trip(void **state)
{
    (void)state;
    MpRng rng;
    mp_rng_seed(&rng, tu_seed("print_round_trip", 7));
    for (int it = 0; it < 500; it++) {
        T t;
        memset(&t, 0, sizeof t);
        t.i = -5 + (int)mp_rng_below(&rng, 106);
        switch (it % 4) {
        case 0: t.d = 0.5; break;
        case 1: t.d = 2.5; break;
        default: t.d = 0.5 + 2.0 * mp_rng_uniform(&rng); break;
        }
        t.b = (int)mp_rng_below(&rng, 2);
        t.color = (int)mp_rng_below(&rng, 3);
        random_str(&rng, t.s, sizeof t.s);
        if (it == 1)
            strcpy(t.s, ";lead"); /* a value that starts like a comment */
        t.req = (int)mp_rng_below(&rng, 11);

        char *text = print_to_string(&t, NULL);
        T u;
        memset(&u, 0xa5, sizeof u);
        IniLoad w;
        MpErr e = {0};
        if (ini_schema_load_string("printed", text, rows, NROWS, &u, &w, &e) != MP_OK)
            fail_msg("printed file does not load: %s\n%s", e.msg, text);
        if (!t_equal(&t, &u))
            fail_msg("round trip changed the values (d %.17g -> %.17g, s '%s' -> '%s'):\n%s", t.d, u.d, t.s, u.s,
                     text);
        for (int r = 0; r < NROWS; r++)
            assert_int_not_equal(w.line[r], 0); /* every key is written */
        char *again = print_to_string(&u, NULL);
        assert_string_equal(text, again);
        free(text);
        free(again);
    }
}

/* print marks keys left at their default; the output is itself a valid file. */
static void print_marks_defaults(void **state)
{
    (void)state;
    T t;
    IniLoad w;
    load_ok("[b]\nreq = 3\n", &t, &w);
    char *text = print_to_string(&t, &w);
    assert_non_null(strstr(text, "[a]\n; an int [cycles] (default)\ni = 7\n"));
    assert_non_null(strstr(text, "; a double [MHz] (default)\nd = 1.5\n"));
    assert_non_null(strstr(text, "; a required int\nreq = 3\n"));
    assert_non_null(strstr(text, "color = green\n"));
    assert_non_null(strstr(text, "b = false\n"));
    free(text);
}

static void format_and_set(void **state)
{
    (void)state;
    T t;
    char buf[64], msg[256];
    memset(&t, 0, sizeof t);
    assert_int_equal(ini_schema_set(&rows[R_D], &t, "0.7", msg, sizeof msg), 0);
    ini_schema_format(&rows[R_D], &t, buf, sizeof buf);
    assert_string_equal(buf, "0.7"); /* the shortest form that reads back exactly, not 0.69999999999999996 */
    assert_int_equal(ini_schema_set(&rows[R_COLOR], &t, "blue", msg, sizeof msg), 0);
    ini_schema_format(&rows[R_COLOR], &t, buf, sizeof buf);
    assert_string_equal(buf, "blue");
    assert_int_equal(ini_schema_set(&rows[R_B], &t, "on", msg, sizeof msg), 0);
    ini_schema_format(&rows[R_B], &t, buf, sizeof buf);
    assert_string_equal(buf, "true");
    assert_int_equal(ini_schema_set(&rows[R_I], &t, "-5", msg, sizeof msg), 0);
    ini_schema_format(&rows[R_I], &t, buf, sizeof buf);
    assert_string_equal(buf, "-5");
    /* doubles: the shortest text that reads back exactly, integers without an exponent */
    IniKey wide = rows[R_D];
    wide.min = -1e308;
    wide.max = 1e308;
    static const struct { double v; const char *text; } fmt[] = {
        {500, "500"}, {1e6, "1000000"}, {1048576, "1048576"}, {123456.789, "123456.789"}, {18.75, "18.75"},
        {-42, "-42"}, {0.001, "0.001"}, {1e20, "1e+20"}, {0, "0"}, {4.0625, "4.0625"},
        {999999999999999, "999999999999999"},
    };
    for (size_t k = 0; k < sizeof fmt / sizeof fmt[0]; k++) {
        t.d = fmt[k].v;
        ini_schema_format(&wide, &t, buf, sizeof buf);
        assert_string_equal(buf, fmt[k].text);
    }
    MpRng rng;
    mp_rng_seed(&rng, tu_seed("format_and_set", 99));
    for (int it = 0; it < 20000; it++) {
        uint64_t u = mp_rng_u64(&rng);
        if (it % 3 == 0) /* also plain magnitudes around 1..1e15 */
            u = (u & 0x800fffffffffffffULL) | ((uint64_t)(1023 + mp_rng_below(&rng, 50)) << 52);
        double v;
        memcpy(&v, &u, sizeof v);
        if (!isnormal(v) || fabs(v) > 1e308)
            continue; /* subnormals cannot be loaded (strtod reports underflow), so need not print */
        t.d = v;
        ini_schema_format(&wide, &t, buf, sizeof buf);
        T back;
        if (ini_schema_set(&wide, &back, buf, msg, sizeof msg) != 0)
            fail_msg("%.17g formats as %s: %s", v, buf, msg);
        if (memcmp(&back.d, &v, sizeof v) != 0)
            fail_msg("%.17g formats as %s, which reads back as %.17g", v, buf, back.d);
    }
    /* a bad value leaves the field alone */
    assert_int_equal(ini_schema_set(&rows[R_I], &t, "500", msg, sizeof msg), -1);
    assert_int_equal(t.i, -5);
    /* a small message buffer truncates the choice list safely */
    char tiny[12];
    assert_int_equal(ini_schema_set(&rows[R_COLOR], &t, "purple", tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_filled),
        cmocka_unit_test(bad_default_is_internal),
        cmocka_unit_test(int_values),
        cmocka_unit_test(f64_values),
        cmocka_unit_test(bool_values),
        cmocka_unit_test(enum_values),
        cmocka_unit_test(str_values),
        cmocka_unit_test(fault_unknown_section),
        cmocka_unit_test(fault_unknown_key),
        cmocka_unit_test(fault_key_outside_section),
        cmocka_unit_test(fault_duplicate_key),
        cmocka_unit_test(fault_syntax),
        cmocka_unit_test(fault_long_line),
        cmocka_unit_test(fault_missing_required),
        cmocka_unit_test(fault_binary),
        cmocka_unit_test(fault_no_file),
        cmocka_unit_test(comments_and_blanks_ok),
        cmocka_unit_test(indented_lines),
        cmocka_unit_test(crlf),
        cmocka_unit_test(utf8_bom),
        cmocka_unit_test(print_round_trip),
        cmocka_unit_test(print_marks_defaults),
        cmocka_unit_test(format_and_set),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
