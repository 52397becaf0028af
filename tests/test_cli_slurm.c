/* tests/test_cli_slurm.c — the built binary's `sweep --slurm` and its Slurm options: bad flags and
 * bad SLURM_ARRAY_TASK_* values refused with exit 2 and nothing written; the shard of an array task
 * from Slurm's variables; --submit against a stand-in sbatch on PATH (the array first, then the merge
 * with afterok on the array's id; sbatch failing, missing or printing no id); and the generated
 * scripts run here by bash, task by task, then the merge: the merged database equals one run row for
 * row; a task killed with SIGTERM midway (as Slurm stops one) keeps its committed rows, and its re-run
 * goes on from them. (make slurm-test runs the scripts on a real Slurm cluster.) The binary is $MPSIM_BIN. */
#include <cJSON.h>
#include <glob.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "cliutil.h"

static char tmpdir[] = "/tmp/mpsim_clislurm_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }
static const char *tmp(const char *name) { return tu_path(tmpdir, name); }

/* 3 bases x 2 row counts x (tiny prefill + tiny decode) = 12 rows (as tests/test_cli_sweep.c). */
static const char small_spec[] = "[sweep]\nname = small\nbase = iso/fp16, iso/olive, iso/mixpe-w4a8\n"
                                 "[params]\narch.rows = 8, 16\n"
                                 "[workload]\nmodels = tiny\nphases = prefill, decode\nseq = 32\nkv = 64\n"
                                 "[accuracy]\nrows = 8\ntokens = 4\n";

static int64_t count_rows(const char *db)
{
    sqlite3 *h = NULL;
    int64_t v = -1;
    sqlite3_stmt *st;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT count(*) FROM results", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return v;
}

/* Every column of every row of a table, ordered by its first column, as one text (free it). */
static char *dump(const char *db, const char *table)
{
    sqlite3 *h = NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap), sql[128];
    s[0] = '\0';
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1", table);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            size_t need = (t ? strlen(t) : 4) + 4;
            if (n + need >= cap)
                s = realloc(s, cap = 2 * (cap + need));
            n += (size_t)snprintf(s + n, cap - n, "%s%c", t ? t : "NULL", c + 1 == sqlite3_column_count(st) ? '\n' : '|');
        }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return s;
}

static void same_db(const char *a, const char *b)
{
    static const char *const tables[] = {"results", "accuracy", "infeasible"};
    for (int t = 0; t < 3; t++) {
        char *x = dump(a, tables[t]), *y = dump(b, tables[t]);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
}

/* ---------------------------------------------------------------- refused */

static void bad_flags(void **state)
{
    (void)state;
    char spec[512], d[512], pct[512];
    snprintf(spec, sizeof spec, "%s", tmp("small.ini"));
    tu_write_text(spec, small_spec);
    snprintf(d, sizeof d, "%s", tmp("b.db"));
    snprintf(pct, sizeof pct, "%s", tmp("100%"));
    assert_int_equal(mkdir(pct, 0755), 0);
    char a[32][1400];
    CliCase cases[32];
    int n = 0;
#define CASE(text, ...)                                                                                      \
    do {                                                                                                    \
        snprintf(a[n], sizeof a[n], __VA_ARGS__);                                                           \
        cases[n].args = a[n];                                                                               \
        cases[n].msg = text;                                                                                 \
        n++;                                                                                                \
    } while (0)
    CASE("--shards '0': expected an integer in [1, 1000000]", "sweep '%s' --db '%s' --slurm --shards 0", spec, d);
    CASE("--shards 'x'", "sweep '%s' --db '%s' --slurm --shards x", spec, d);
    CASE("--shards '1000001'", "sweep '%s' --db '%s' --slurm --shards 1000001", spec, d);
    CASE("--time '1:99': expected a Slurm time limit", "sweep '%s' --db '%s' --slurm --time 1:99", spec, d);
    CASE("--time '0'", "sweep '%s' --db '%s' --slurm --time 0", spec, d);
    CASE("--partition 'a b'", "sweep '%s' --db '%s' --slurm --partition 'a b'", spec, d);
    CASE("--shards needs --slurm", "sweep '%s' --db '%s' --shards 4", spec, d);
    CASE("--time needs --slurm", "sweep '%s' --db '%s' --time 10", spec, d);
    CASE("--partition needs --slurm", "sweep '%s' --db '%s' --partition p", spec, d);
    CASE("--submit needs --slurm", "sweep '%s' --db '%s' --submit", spec, d);
    CASE("it takes no --shard", "sweep '%s' --db '%s' --slurm --shard 0/2", spec, d);
    CASE("it takes no --dry-run", "sweep '%s' --db '%s' --slurm --dry-run", spec, d);
    CASE("--db FILE is required", "sweep '%s' --slurm", spec);
    CASE("--jobs takes 1..1024", "sweep '%s' --db '%s' --slurm --jobs 0", spec, d);
    CASE("its folder", "sweep '%s' --db '%s/no/such/dir/x.db' --slurm", spec, tmpdir);
    CASE("which an #SBATCH --output line cannot carry", "sweep '%s' --db '%s/x.db' --slurm", spec, pct);
    CASE("unknown option '--slurm-dir'", "sweep '%s' --db '%s' --slurm --slurm-dir x", spec, d);
    for (int c = 0; c < n; c++) {
        CLI_EXPECT(cases[c].args, CLI_ERR_APART, 2);
        CLI_CONTAINS(cli_err, cases[c].msg);
    }
    /* a bad spec: FILE:LINE, and no job folder made */
    const char *bad = tmp("bad.ini");
    tu_write_text(bad, "[sweep]\nname = b\nbase = iso/fp16\nbogus = 1\n[workload]\nmodels = tiny\n");
    snprintf(a[0], sizeof a[0], "sweep '%s' --db '%s' --slurm", bad, d);
    CLI_EXPECT(a[0], CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "bad.ini:4:");
    /* OUT exists and is no mpsim database: refused before anything is written */
    const char *junk = tmp("junk.db");
    tu_write_text(junk, "not sqlite");
    snprintf(a[0], sizeof a[0], "sweep '%s' --db '%s' --slurm", spec, junk);
    CLI_EXPECT(a[0], CLI_ERR_APART, 2);
    assert_int_equal(access(tmp("junk.slurm"), F_OK), -1);
    remove(junk);
    rmdir(pct);
    /* nothing was written by any of them */
    assert_int_equal(tu_dir_count(tmpdir, "*"), 2); /* small.ini, bad.ini */
    remove(bad);
    /* --help tells of the options */
    CLI_EXPECT("sweep --help", CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "--slurm");
    CLI_CONTAINS(cli_out, "--shards N");
    CLI_CONTAINS(cli_out, "--partition P");
    CLI_CONTAINS(cli_out, "--time T");
    CLI_CONTAINS(cli_out, "--submit");
    CLI_CONTAINS(cli_out, "SLURM_ARRAY_TASK_ID");
#undef CASE
}

/* ---------------------------------------------------------------- the shard of an array task */

static void env_shard(void **state)
{
    (void)state;
    char args[2048], spec[512], d[512];
    snprintf(spec, sizeof spec, "%s", tmp("small.ini"));
    tu_write_text(spec, small_spec);
    snprintf(d, sizeof d, "%s", tmp("env.db"));
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 1 --quiet", spec, d);
    static const struct {
        const char *env, *msg;
    } bad[] = {
        {"SLURM_ARRAY_TASK_ID=x SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_ID='x': expected an array task index"},
        {"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT is not set though SLURM_ARRAY_TASK_ID is"},
        {"SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=2", "is outside"},
        {"SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=7",
         "must pass --shard I/N"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = cli_run_env(bad[i].env, args, CLI_ERR_APART);
        if (rc != 2)
            fail_msg("%s mpsim %s: exit %d, wanted 2\n%s", bad[i].env, args, rc, cli_err);
        CLI_CONTAINS(cli_err, bad[i].msg);
        assert_int_equal(access(d, F_OK), -1); /* no database made */
    }
    /* 1-based array 1-3, task 3: shard 2/3, a third of the rows */
    const char *env = "SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=3";
    assert_int_equal(cli_run_env(env, args, CLI_ERR_APART), 0);
    CLI_CONTAINS(cli_out, "shard 2/3 from SLURM_ARRAY_TASK_ID=3 (SLURM_ARRAY_TASK_MIN=1, _COUNT=3)");
    CLI_CONTAINS(cli_out, "shard 2/3: 4 rows");
    assert_int_equal(count_rows(d), 4);
    /* --shard given: Slurm's variables are not read, even bad ones */
    remove(d);
    assert_int_equal(cli_run_env("SLURM_ARRAY_TASK_ID=x", strcat(args, " --shard 0/2"), CLI_ERR_APART), 0);
    CLI_CONTAINS(cli_out, "shard 0/2: 6 rows");
    assert_int_equal(count_rows(d), 6);
    remove(d);
    remove(spec);
}

/* ---------------------------------------------------------------- --submit, a stand-in sbatch */

/* Appends its arguments (one line each, then "--") to $SB_LOG; prints the next id of $SB_IDS
 * (a file of lines, consumed one per call); exits with $SB_RC (default 0). */
static const char fake_sbatch[] = "#!/bin/bash\n"
                                  "for a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$SB_LOG\"; done; echo -- >> \"$SB_LOG\"\n"
                                  "head -n 1 \"$SB_IDS\"; sed -i 1d \"$SB_IDS\"\n"
                                  "exit ${SB_RC:-0}\n";

static void submit(void **state)
{
    (void)state;
    char bin[512], spec[512], d[512], log[512], ids[512], env[2048], args[2048];
    snprintf(bin, sizeof bin, "%s", tmp("bin"));
    assert_int_equal(mkdir(bin, 0755), 0);
    const char *sb = tu_path(bin, "sbatch");
    tu_write_text(sb, fake_sbatch);
    assert_int_equal(chmod(sb, 0755), 0);
    snprintf(spec, sizeof spec, "%s", tmp("small.ini"));
    tu_write_text(spec, small_spec);
    snprintf(d, sizeof d, "%s", tmp("sub.db"));
    snprintf(log, sizeof log, "%s", tmp("sb.log"));
    snprintf(ids, sizeof ids, "%s", tmp("ids"));
    snprintf(env, sizeof env, "PATH='%s':\"$PATH\" SB_LOG='%s' SB_IDS='%s'", bin, log, ids);
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --slurm --shards 3 --jobs 2 --time 30 --submit", spec, d);

    tu_write_text(ids, "101\n102;cluster\n");
    assert_int_equal(cli_run_env(env, args, CLI_ERR_APART), 0);
    CLI_CONTAINS(cli_out, "in 3 shards (Slurm array tasks 0-2)");
    CLI_CONTAINS(cli_out, "submitted array job 101 (tasks 0-2)");
    CLI_CONTAINS(cli_out, "submitted merge job 102 (after array job 101 succeeds)");
    char got[8192], want[8192], dir[512];
    snprintf(dir, sizeof dir, "%s", tmp("sub.slurm"));
    assert_true(tu_slurp(log, got, sizeof got) > 0);
    snprintf(want, sizeof want, "--parsable\n%s/array.sh\n--\n--parsable\n--dependency=afterok:101\n%s/merge.sh\n--\n",
             dir, dir);
    assert_string_equal(got, want);
    /* the scripts as asked */
    assert_true(tu_slurp(tu_path(dir, "array.sh"), got, sizeof got) > 0);
    CLI_CONTAINS(got, "\n#SBATCH --array=0-2\n");
    CLI_CONTAINS(got, "\n#SBATCH --cpus-per-task=2\n");
    CLI_CONTAINS(got, "\n#SBATCH --time=30\n");
    assert_int_equal(access(d, F_OK), -1); /* nothing ran here */

    /* sbatch fails at the array: exit 1, no merge submitted */
    remove(log);
    tu_write_text(ids, "\n");
    char env2[2200];
    snprintf(env2, sizeof env2, "%s SB_RC=1", env);
    assert_int_equal(cli_run_env(env2, args, CLI_ERR_APART), 1);
    CLI_CONTAINS(cli_err, "array.sh: failed (exit 1); nothing more was submitted");
    assert_true(tu_slurp(log, got, sizeof got) > 0);
    assert_null(strstr(got, "--dependency"));
    /* a merge that sbatch refuses: exit 1, the array's id and how to submit the merge by hand */
    remove(log);
    tu_write_text(ids, "201\nsbatch: error: Batch job submission failed\n");
    assert_int_equal(cli_run_env(env, args, CLI_ERR_APART), 1);
    CLI_CONTAINS(cli_out, "submitted array job 201");
    CLI_CONTAINS(cli_err, "array job 201 was submitted, its merge was not (submit it: sbatch --dependency=afterok:201 ");
    CLI_CONTAINS(cli_err, "expected a job id on its output, got 'sbatch: error");
    /* no sbatch on PATH: exit 2 */
    snprintf(env2, sizeof env2, "PATH='%s'", bin);
    remove(sb);
    assert_int_equal(cli_run_env(env2, args, CLI_ERR_APART), 2);
    CLI_CONTAINS(cli_err, "--submit needs Slurm's sbatch on PATH");
    remove(log);
    remove(ids);
    rmdir(bin);
    tu_rm_tree(dir);
    remove(spec);
}

/* ---------------------------------------------------------------- the scripts, run here */

static void scripts_equal_one_run(void **state)
{
    (void)state;
    char spec[512], one[512], d[512], dir[512], cmd[4096];
    snprintf(spec, sizeof spec, "%s", tmp("small.ini"));
    tu_write_text(spec, small_spec);
    snprintf(one, sizeof one, "%s", tmp("one.db"));
    snprintf(d, sizeof d, "%s", tmp("job.db"));
    snprintf(dir, sizeof dir, "%s", tmp("job.slurm"));
    snprintf(cmd, sizeof cmd, "sweep '%s' --db '%s' --jobs 1 --quiet", spec, one);
    CLI_EXPECT(cmd, CLI_ERR_APART, 0);
    snprintf(cmd, sizeof cmd, "sweep '%s' --db '%s' --slurm --shards 4", spec, d);
    CLI_EXPECT(cmd, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "re-run task K alone: jid=$(sbatch --parsable --array=K '");
    for (int i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "SLURM_ARRAY_TASK_ID=%d TMPDIR='%s' bash '%s/array.sh' >/dev/null 2>&1", i, tmpdir,
                 dir);
        assert_int_equal(system(cmd), 0);
        if (i == 2) { /* before the last shard: the merge refuses and writes nothing */
            snprintf(cmd, sizeof cmd, "bash '%s/merge.sh' >/dev/null 2>&1", dir);
            assert_int_not_equal(system(cmd), 0);
            assert_int_equal(access(d, F_OK), -1);
        }
    }
    snprintf(cmd, sizeof cmd, "bash '%s/merge.sh' >/dev/null 2>&1", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(count_rows(d), 12);
    same_db(one, d);
    /* the merge again: nothing changes */
    assert_int_equal(system(cmd), 0);
    same_db(one, d);
    char shards[600];
    snprintf(shards, sizeof shards, "%s/shards", dir);
    assert_int_equal(tu_dir_count(shards, "*"), 4);
    assert_int_equal(tu_dir_count(shards, "*.tmp.*"), 0);
    assert_int_equal(tu_dir_count(tmpdir, "mpsim-shard-*"), 0);
    tu_rm_tree(dir);
    remove(d);
    remove(one);
    remove(spec);
}

/* ---------------------------------------------------------------- a task killed midway */

/* 8 x 4 shapes x 2 bases = 64 rows, slow enough to be killed midway */
static const char kill_spec[] = "[sweep]\nname = killme\nbase = iso/fp16, iso/olive\n"
                                "[params]\narch.rows = 8..64 +8\narch.cols = 8..32 +8\n"
                                "[workload]\nmodels = opt-1.3b\nphases = decode\nkv = 256\n"
                                "[accuracy]\nrows = 8\ntokens = 4\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void task_killed_keeps_rows(void **state)
{
    (void)state;
    char spec[512], d[512], dir[512], node[512], cmd[4096], array[600];
    snprintf(spec, sizeof spec, "%s", tmp("kill.ini"));
    tu_write_text(spec, kill_spec);
    snprintf(d, sizeof d, "%s", tmp("kill.db"));
    snprintf(dir, sizeof dir, "%s", tmp("kill.slurm"));
    snprintf(node, sizeof node, "%s", tmp("node"));
    assert_int_equal(mkdir(node, 0755), 0);
    snprintf(cmd, sizeof cmd, "sweep '%s' --db '%s' --slurm --shards 2", spec, d);
    CLI_EXPECT(cmd, CLI_ERR_APART, 0);
    snprintf(array, sizeof array, "%s/array.sh", dir);
    /* task 0 (32 rows) in its own process group, which gets SIGTERM as Slurm's would */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("SLURM_ARRAY_TASK_ID", "0", 1);
        setenv("TMPDIR", node, 1);
        execl("/bin/bash", "bash", array, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    char pattern[600];
    snprintf(pattern, sizeof pattern, "%s/mpsim-shard-0-*/shard.db", node);
    int killed = 0;
    double t0 = now_s();
    while (!killed && now_s() - t0 < 120) {
        glob_t g;
        if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1 && count_rows(g.gl_pathv[0]) >= 3) {
            kill(-pid, SIGTERM);
            killed = 1;
        }
        globfree(&g);
        int st;
        if (!killed && waitpid(pid, &st, WNOHANG) == pid)
            fail_msg("task 0 ended before it could be killed: make kill_spec bigger");
        usleep(2000);
    }
    assert_true(killed);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 143);
    char partial[700], final[700];
    snprintf(partial, sizeof partial, "%s/shards/shard-0-of-2.partial.db", dir);
    snprintf(final, sizeof final, "%s/shards/shard-0-of-2.db", dir);
    int64_t kept = count_rows(partial);
    printf("# killed with %lld of 32 rows kept\n", (long long)kept);
    assert_true(kept >= 3 && kept < 32);
    assert_int_equal(access(final, F_OK), -1);
    assert_int_equal(tu_dir_count(node, "*"), 0);
    char sdir[600];
    snprintf(sdir, sizeof sdir, "%s/shards", dir);
    assert_int_equal(tu_dir_count(sdir, "*.db"), 1);      /* (reading it made its -wal and -shm) */
    assert_int_equal(tu_dir_count(sdir, "*.tmp.*"), 0);
    /* the re-run goes on from the kept rows and publishes the whole shard */
    snprintf(cmd, sizeof cmd, "SLURM_ARRAY_TASK_ID=0 TMPDIR='%s' bash '%s' 2>&1", node, array);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[8192];
    out[fread(out, 1, sizeof out - 1, p)] = '\0';
    assert_int_equal(pclose(p), 0);
    char want[64];
    snprintf(want, sizeof want, "%lld already in", (long long)kept);
    CLI_CONTAINS(out, want);
    assert_int_equal(count_rows(final), 32);
    assert_int_equal(access(partial, F_OK), -1);
    assert_int_equal(tu_dir_count(node, "*"), 0);
    tu_rm_tree(dir);
    rmdir(node);
    remove(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_flags),
        cmocka_unit_test(env_shard),
        cmocka_unit_test(submit),
        cmocka_unit_test(scripts_equal_one_run),
        cmocka_unit_test(task_killed_keeps_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
