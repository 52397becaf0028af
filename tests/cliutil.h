/* tests/cliutil.h — running the built binary as a user runs it, and reading what it prints
 * (header-only, static; for the tests/test_cli_*.c programs).
 *
 * The binary is $MPSIM_BIN, which `make unit-test` points at build/mpsim; without it every run
 * fails the test and says so. A run's stdout lands in cli_out and, when it is captured apart, its
 * stderr in cli_err: both hold the last run's output until the next run.
 *
 * Needs <cmocka.h> and <cJSON.h> included before this header. */
#ifndef MP_TESTS_CLIUTIL_H
#define MP_TESTS_CLIUTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLI_CAP (1 << 22) /* bytes kept of each stream of a run, its NUL included */

static char cli_out[CLI_CAP]; /* stdout of the last run (with its stderr when merged), NUL-terminated */
static char cli_err[CLI_CAP]; /* stderr of the last run when captured apart, else "" */

/* Where a run's stderr goes. */
typedef enum CliErr {
    CLI_ERR_DROP,  /* to /dev/null: cli_out holds stdout alone */
    CLI_ERR_MERGE, /* into stdout (2>&1): cli_out holds both, in the order written */
    CLI_ERR_APART, /* into cli_err */
} CliErr;

/* $MPSIM_BIN, checked: set, free of single quotes (runs quote it for the shell) and executable;
 * otherwise fails the test, saying how to set it. */
static inline const char *cli_bin(void)
{
    const char *bin = getenv("MPSIM_BIN");
    if (!bin || !*bin)
        fail_msg("MPSIM_BIN is not set: run this test through 'make unit-test' (it points it at build/mpsim)");
    if (strchr(bin, '\''))
        fail_msg("MPSIM_BIN must not contain a single quote: %s", bin);
    if (access(bin, X_OK) != 0)
        fail_msg("MPSIM_BIN=%s is not an executable file", bin);
    return bin;
}

/* The first cap - 1 bytes of the unnamed file f, from its start, into buf with a NUL; closes f. */
static inline void cli_take(FILE *f, char *buf, size_t cap)
{
    size_t n = 0;
    if (f) {
        rewind(f);
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

/* Run argv (argv[0] the program's path, NULL-terminated) with no shell and wait for it: stdout into
 * cli_out, stderr as `how` says (cli_err is "" unless CLI_ERR_APART). The streams go to unnamed
 * temporary files, so a run leaves nothing in any folder and never blocks on a full pipe.
 * fsize_limit > 0 caps the size of every file the child writes (RLIMIT_FSIZE, bytes), with SIGXFSZ
 * ignored so that a write past it fails with EFBIG instead of killing the child.
 * Returns the exit status, or -1 when the child did not exit normally. */
static inline int cli_exec(char *const argv[], CliErr how, long fsize_limit)
{
    FILE *fo = tmpfile(), *fe = how == CLI_ERR_APART ? tmpfile() : NULL;
    assert_non_null(fo);
    if (how == CLI_ERR_APART)
        assert_non_null(fe);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int err = how == CLI_ERR_APART ? fileno(fe) : how == CLI_ERR_MERGE ? fileno(fo) : open("/dev/null", O_WRONLY);
        if (err < 0 || dup2(fileno(fo), 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        if (fsize_limit > 0) {
            struct rlimit rl = {(rlim_t)fsize_limit, (rlim_t)fsize_limit};
            signal(SIGXFSZ, SIG_IGN);
            setrlimit(RLIMIT_FSIZE, &rl);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    cli_take(fo, cli_out, sizeof cli_out);
    cli_take(fe, cli_err, sizeof cli_err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run "ENV '$MPSIM_BIN' ARGS" through sh -c: env (NULL for none) sets variables for this run
 * ("OMP_NUM_THREADS=1"); args are quoted as for the shell. See cli_exec for how and the result. */
static inline int cli_run_env(const char *env, const char *args, CliErr how)
{
    static char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "%s%s'%s' %s", env ? env : "", env ? " " : "", cli_bin(), args);
    if (n < 0 || (size_t)n >= sizeof cmd)
        fail_msg("command too long: mpsim %.200s", args);
    char *const argv[] = {(char *)"/bin/sh", (char *)"-c", cmd, NULL};
    return cli_exec(argv, how, 0);
}

static inline int cli_run(const char *args, CliErr how) { return cli_run_env(NULL, args, how); }

/* Run `mpsim ARGS` (cli_run) and fail, at the caller's line, unless it exits with status. The
 * message names the command, the status it got and the one wanted, and shows the output (stdout
 * and stderr apart when they were captured apart), each cut at 4000 bytes. */
#define CLI_EXPECT(args, how, status)                                                                       \
    do {                                                                                                    \
        const char *a_ = (args);                                                                            \
        int h_ = (how), want_ = (status), rc_ = cli_run(a_, h_);                                            \
        if (rc_ != want_ && h_ == CLI_ERR_APART)                                                            \
            fail_msg("mpsim %s: exit %d, wanted %d; stdout:\n%.4000s\nstderr:\n%.4000s", a_, rc_, want_,   \
                     cli_out, cli_err);                                                                     \
        if (rc_ != want_)                                                                                   \
            fail_msg("mpsim %s: exit %d, wanted %d; output:\n%.4000s", a_, rc_, want_, cli_out);            \
    } while (0)

/* Fail, at the caller's line, unless the text buf (cli_out, cli_err, ...) holds s; the message
 * names buf and shows it, cut at 4000 bytes. */
#define CLI_CONTAINS(buf, s)                                                                                \
    do {                                                                                                    \
        const char *s_ = (s);                                                                               \
        if (!strstr(buf, s_))                                                                               \
            fail_msg(#buf " lacks '%s':\n%.4000s", s_, buf);                                                \
    } while (0)

/* A command that must be refused, and what its message must hold. */
typedef struct CliCase {
    const char *args; /* what follows the binary's name on the command line */
    const char *msg;  /* text the message must hold */
} CliCase;

/* Run every case of the array `cases` (CLI_EXPECT with stderr `how`): each must exit with status,
 * and what it printed (cli_err when captured apart, else cli_out) hold its msg. */
#define CLI_EXPECT_CASES(cases, how, status)                                                                \
    do {                                                                                                    \
        for (size_t c_ = 0; c_ < sizeof(cases) / sizeof((cases)[0]); c_++) {                                \
            CLI_EXPECT((cases)[c_].args, how, status);                                                      \
            if ((how) == CLI_ERR_APART)                                                                     \
                CLI_CONTAINS(cli_err, (cases)[c_].msg);                                                     \
            else                                                                                            \
                CLI_CONTAINS(cli_out, (cases)[c_].msg);                                                     \
        }                                                                                                   \
    } while (0)

/* ---- JSON: each accessor fails the test, naming the key, when the key is missing or of another type */

/* text parsed (the caller deletes it); what names the text in the failure message. */
static inline cJSON *cli_json(const char *text, const char *what)
{
    cJSON *j = cJSON_Parse(text);
    if (!j)
        fail_msg("%s is not JSON:\n%.4000s", what, text);
    return j;
}

/* The last run's stdout, parsed. */
static inline cJSON *cli_json_out(void) { return cli_json(cli_out, "output"); }

/* The file at path, parsed (at most CLI_CAP - 1 bytes of it). */
static inline cJSON *cli_json_file(const char *path)
{
    static char buf[CLI_CAP];
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: cannot open", path);
    buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
    fclose(f);
    return cli_json(buf, path);
}

static inline const cJSON *cli_item(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        fail_msg("JSON lacks '%s'", key);
    return v;
}

static inline double cli_num(const cJSON *o, const char *key)
{
    const cJSON *v = cli_item(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("JSON '%s' is not a number", key);
    return v->valuedouble;
}

static inline const char *cli_str(const cJSON *o, const char *key)
{
    const cJSON *v = cli_item(o, key);
    if (!cJSON_IsString(v))
        fail_msg("JSON '%s' is not a string", key);
    return v->valuestring;
}

static inline const cJSON *cli_arr(const cJSON *o, const char *key)
{
    const cJSON *v = cli_item(o, key);
    if (!cJSON_IsArray(v))
        fail_msg("JSON '%s' is not an array", key);
    return v;
}

static inline const cJSON *cli_obj(const cJSON *o, const char *key)
{
    const cJSON *v = cli_item(o, key);
    if (!cJSON_IsObject(v))
        fail_msg("JSON '%s' is not an object", key);
    return v;
}

#endif
