/* tests/test_cli_sweep.c — the built binary's `sweep`, `merge`, `pareto`, `summary` and `report`:
 * bad specs (FILE:LINE, exit 2, no database made), a sweep and its re-run, a sweep killed with
 * SIGKILL mid-way and resumed (every row exactly once, integrity_check ok, nothing committed lost),
 * shards merged equal one run, a differing duplicate refused, databases that are not exactly ours
 * (tables, columns, values) refused with exit 2 and not a byte changed, accuracy equal to `mpsim accuracy`,
 * the report folder (valid SVG, PNG, HTML and CSV; replaced whole; never half-written), and request
 * rows (phases = request) equal to `mpsim infer --json`, with pareto, summary and report showing them.
 * The binary is $MPSIM_BIN (set by `make unit-test`). */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "cliutil.h"

static char tmpdir[] = "/tmp/mpsim_clisweep_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }
static const char *tmp(const char *name) { return tu_path(tmpdir, name); }

/* ---------------------------------------------------------------- database helpers */

static int64_t query_int(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    int64_t v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 2000);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(h);
    return v;
}

static char *query_text(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    char *r = NULL;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                r = strdup((const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(h);
    return r;
}

/* Every column of every row of a table, ordered by its key, as one text. */
static char *dump(const char *db, const char *table, const char *key)
{
    sqlite3 *h = NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY %s", table, key);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *t = (const char *)sqlite3_column_text(st, c);
            size_t need = (t ? strlen(t) : 4) + strlen(sqlite3_column_name(st, c)) + 8;
            if (n + need >= cap) {
                cap = 2 * (cap + need);
                s = realloc(s, cap);
            }
            n += (size_t)snprintf(s + n, cap - n, "%s=%s%c", sqlite3_column_name(st, c), t ? t : "NULL",
                                  c + 1 == sqlite3_column_count(st) ? '\n' : '|');
        }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return s;
}

static void integrity_ok(const char *db)
{
    char *r = query_text(db, "PRAGMA integrity_check");
    assert_non_null(r);
    assert_string_equal(r, "ok");
    free(r);
}

/* ---------------------------------------------------------------- specs */

/* 3 bases x 2 row counts x (tiny prefill + tiny decode) = 12 rows; a small accuracy study. */
static const char small_spec[] = "; a small sweep for tests\n"
                                 "[sweep]\nname = small\nbase = iso/fp16, iso/olive, iso/mixpe-w4a8\n"
                                 "[params]\narch.rows = 8, 16\n"
                                 "[workload]\nmodels = tiny\nphases = prefill, decode\nseq = 32\nkv = 64\n"
                                 "[accuracy]\nrows = 8\ntokens = 4\n";

static void bad_specs(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line;
        const char *detail;
    } cases[] = {
        {"[sweep]\nbase = iso/fp16\n[params]\narch.rowz = 16\n[workload]\nmodels = tiny\n", 4,
         "unknown key 'arch.rowz'"},
        {"[sweep]\nbase = iso/fp16\n[params]\narch.rows = 16, 99999\n[workload]\nmodels = tiny\n", 4,
         "out of range"},
        {"[sweep]\nbase = iso/fp16\n[params]\nsram.weight_kib = 1024..128 *2\n[workload]\nmodels = tiny\n", 4,
         "empty"},
        {"[sweep]\nbase = iso/fp16\n[params]\narch.aspect = 1, 0\n[workload]\nmodels = tiny\n", 4,
         "[params] arch.aspect: '0': 0 is out of range"},
        {"[sweep]\nbase = iso/fp16\n[params]\narch.rows = 16\narch.pes = 256\n[workload]\nmodels = tiny\n", 5,
         "sweep the shape or the edges, not both"},
        {"[sweep]\nbase = iso/fp16\n[workload]\nmodels = tiny\nphases = prefill, later\n", 5, "'later'"},
        {"[sweep]\nbase = iso/fp16\n[workload]\nmodels = tiny\nphases = request\nprompt = 0\n", 6,
         "[workload] prompt: '0': 0 is out of range"},
        {"[sweep]\nbase = iso/fp16\n[workload]\nmodels = tiny\nphases = request\ngen = -1\n", 6,
         "[workload] gen: '-1': -1 is out of range"},
        {"[sweep]\nbase = iso/fp16\n[workload]\nmodels = tiny, my.csv\nphases = prefill, request\n", 4,
         "'my.csv': a layer CSV has no request"},
        {"[sweep]\nbase = iso/fp16\n[workload]\nmodels = tiny\n[accuracy]\nrows = -1\n", 6, "out of range"},
        {"[sweep]\nbase = iso/fp16\n", 2, "missing required key 'models'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char spec[512], db[512], args[1200], want[600];
        snprintf(spec, sizeof spec, "%s", tmp("bad.ini"));
        snprintf(db, sizeof db, "%s", tmp("bad.db"));
        tu_write_text(spec, cases[i].text);
        snprintf(args, sizeof args, "sweep '%s' --db '%s'", spec, db);
        CLI_EXPECT(args, CLI_ERR_APART, 2);
        snprintf(want, sizeof want, "%s:%d: ", spec, cases[i].line);
        if (strncmp(cli_err, want, strlen(want)) != 0 || !strstr(cli_err, cases[i].detail))
            fail_msg("case %zu: stderr '%s' lacks '%s' ... '%s'", i, cli_err, want, cases[i].detail);
        assert_string_equal(cli_out, "");
        assert_int_not_equal(access(db, F_OK), 0); /* no database for a bad spec */
    }
    /* usage errors */
    char args[1200];
    tu_write_text(tmp("small.ini"), small_spec);
    snprintf(args, sizeof args, "sweep '%s'", tmp("small.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "--db FILE is required");
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --shard 3/3", tmp("small.ini"), tmp("x.db"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "--shard '3/3'");
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs -2", tmp("small.ini"), tmp("x.db"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    /* issue 20: --jobs 0 ran (with the CPU count) though the message says 1..1024 */
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 0", tmp("small.ini"), tmp("x.db"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "--jobs takes 1..1024");
    assert_int_not_equal(access(tmp("x.db"), F_OK), 0);
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --fidelity slow", tmp("small.ini"), tmp("x.db"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    snprintf(args, sizeof args, "sweep '%s' --db '%s'", tmp("nope.ini"), tmp("x.db"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "nope.ini: cannot open");
    /* a file that is not a database */
    tu_write_text(tmp("text.db"), "just some text, long enough to be read as a header by SQLite..................\n");
    snprintf(args, sizeof args, "sweep '%s' --db '%s'", tmp("small.ini"), tmp("text.db"));
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "text.db");
    const char *helps[] = {"sweep --help", "merge --help", "pareto --help", "report --help", "summary --help"};
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        CLI_EXPECT(helps[i], CLI_ERR_APART, 0);
        CLI_CONTAINS(cli_out, "usage: mpsim ");
    }
}

static void sweep_and_rerun(void **state)
{
    (void)state;
    char args[2048];
    const char *db = tmp("small.db");
    char dbp[512];
    snprintf(dbp, sizeof dbp, "%s", db);
    tu_write_text(tmp("small.ini"), small_spec);
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 2", tmp("small.ini"), dbp);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "sweep small: 6 design points x 2 workloads = 12 rows");
    CLI_CONTAINS(cli_out, "0 already in");
    CLI_CONTAINS(cli_out, "written: 12 rows; 3 accuracy studies");
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM results"), 12);
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM accuracy"), 3);
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM results WHERE accuracy_db IS NULL"), 0);
    assert_int_equal(query_int(dbp, "SELECT count(DISTINCT arch) FROM results"), 6);
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM results WHERE arch = 'iso/olive{rows=8}' AND rows = 8 "
                                    "AND pe_kind = 'olive' AND params = 'arch.rows=8' AND base = 'iso/olive'"),
                     2);
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM results WHERE schema_version = 2 AND length(key) = 16"), 12);
    integrity_ok(dbp);
    /* a re-run finds everything there */
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "12 already in");
    CLI_CONTAINS(cli_out, "0 to run");
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM results"), 12);
    /* the stored config text is a valid config that `mpsim run` takes */
    char *cfg = query_text(dbp, "SELECT config FROM results WHERE arch = 'iso/mixpe-w4a8{rows=16}' LIMIT 1");
    assert_non_null(cfg);
    tu_write_text(tmp("stored.ini"), cfg);
    free(cfg);
    snprintf(args, sizeof args, "run --arch '%s' --model tiny --phase decode --kv 64 --json -", tmp("stored.ini"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    int64_t cycles = query_int(dbp, "SELECT cycles FROM results WHERE arch = 'iso/mixpe-w4a8{rows=16}' AND "
                                    "phase = 'decode'");
    cJSON *j = cli_json_out();
    assert_true((int64_t)cJSON_GetObjectItem(j, "cycles")->valuedouble == cycles);
    cJSON_Delete(j);
    /* accuracy equals `mpsim accuracy` with the same settings */
    CLI_EXPECT("accuracy --model tiny --layers 1 --rows 8 --tokens 4 --formats olive-w4a4 --json -", CLI_ERR_APART, 0);
    j = cli_json_out();
    double want = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "olive-w4a4"),
                                      "sqnr_db")
                      ->valuedouble;
    cJSON_Delete(j);
    char *got = query_text(dbp, "SELECT sqnr_db FROM accuracy WHERE format = 'olive-w4a4'");
    assert_non_null(got);
    if (fabs(atof(got) - want) > 1e-9 * fabs(want))
        fail_msg("accuracy table %s, mpsim accuracy %.17g", got, want);
    free(got);
    /* summary and pareto */
    snprintf(args, sizeof args, "summary --db '%s'", dbp);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "== tiny prefill seq=32 batch=1: 6 designs; baseline iso/fp16{rows=16} ==");
    CLI_CONTAINS(cli_out, "== tiny decode kv=64 batch=1: 6 designs;");
    CLI_CONTAINS(cli_out, "olive-w4a4");
    /* issue 20: an unknown --baseline printed "no ... design to compare with" and exited 0 */
    snprintf(args, sizeof args, "summary --db '%s' --baseline iso/nosuch", dbp);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "--baseline 'iso/nosuch'");
    CLI_CONTAINS(cli_err, "iso/mixpe-w4a8"); /* what exists: the designs ... */
    CLI_CONTAINS(cli_err, "olive");              /* ... and the PE kinds */
    assert_string_equal(cli_out, "");
    snprintf(args, sizeof args, "summary --db '%s' --baseline olive", dbp); /* a PE kind */
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "baseline iso/olive{rows=");
    snprintf(args, sizeof args, "summary --db '%s' --baseline 'iso/fp16{rows=8}'", dbp); /* a design label */
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "baseline iso/fp16{rows=8}");
    snprintf(args, sizeof args, "pareto --db '%s' --x latency,energy --workload decode", dbp);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "== tiny decode kv=64 batch=1: Pareto front over latency, energy: ");
    assert_null(strstr(cli_out, "prefill"));
    snprintf(args, sizeof args, "pareto --db '%s' --x latency,speed", dbp);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    snprintf(args, sizeof args, "pareto --db '%s' --workload nothing-like-this", dbp);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
}

/* ---------------------------------------------------------------- kill and resume */

static const char kill_spec[] = "[sweep]\nname = killme\nbase = iso/fp16, iso/olive\n"
                                "[params]\narch.rows = 8..128 +8\narch.cols = 8..128 +8\n"
                                "[workload]\nmodels = opt-1.3b\nphases = decode\nkv = 256\n"
                                "[accuracy]\nrows = 8\ntokens = 4\n";
#define KILL_ROWS 512

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void resume_after_kill(void **state)
{
    (void)state;
    char spec[512], db[512];
    snprintf(spec, sizeof spec, "%s", tmp("kill.ini"));
    snprintf(db, sizeof db, "%s", tmp("kill.db"));
    tu_write_text(spec, kill_spec);
    const char *b = cli_bin();
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(b, b, "sweep", spec, "--db", db, "--jobs", "2", (char *)NULL);
        _exit(127);
    }
    /* wait until some rows are committed, then SIGKILL the sweep (its workers die with it) */
    int64_t at_kill = -1;
    double t0 = now_s();
    while (now_s() - t0 < 60) {
        int64_t n = access(db, F_OK) == 0 ? query_int(db, "SELECT count(*) FROM results") : -1;
        if (n >= 40) {
            kill(pid, SIGKILL);
            break;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            pid = -1;
            break;
        }
        usleep(2000);
    }
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    } else
        fail_msg("the sweep ended before it could be killed: make kill_spec bigger");
    at_kill = query_int(db, "SELECT count(*) FROM results");
    printf("# killed with %lld of %d rows committed\n", (long long)at_kill, KILL_ROWS);
    assert_true(at_kill >= 40 && at_kill < KILL_ROWS);
    integrity_ok(db);
    /* the re-run keeps every committed row and does the rest */
    char args[1200];
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 2", spec, db);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    char want[128];
    snprintf(want, sizeof want, "%lld already in", (long long)at_kill);
    CLI_CONTAINS(cli_out, want);
    assert_int_equal(query_int(db, "SELECT count(*) FROM results"), KILL_ROWS);
    assert_int_equal(query_int(db, "SELECT count(DISTINCT key) FROM results"), KILL_ROWS);
    assert_int_equal(query_int(db, "SELECT count(DISTINCT arch) FROM results"), KILL_ROWS);
    assert_int_equal(query_int(db, "SELECT count(*) FROM results WHERE accuracy_db IS NULL OR cycles <= 0"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM accuracy"), 2);
    integrity_ok(db);
}

/* ---------------------------------------------------------------- shards and merge */

static void shards_merge_equal_one_run(void **state)
{
    (void)state;
    char args[2048], spec[512], one[512], merged[512], s[3][512];
    snprintf(spec, sizeof spec, "%s", tmp("small.ini"));
    snprintf(one, sizeof one, "%s", tmp("one.db"));
    snprintf(merged, sizeof merged, "%s", tmp("merged.db"));
    tu_write_text(spec, small_spec);
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 2", spec, one);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "shard%d.db", i);
        snprintf(s[i], sizeof s[i], "%s", tmp(name));
        snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 1 --shard %d/3", spec, s[i], i);
        CLI_EXPECT(args, CLI_ERR_APART, 0);
        CLI_CONTAINS(cli_out, "shard ");
        assert_int_equal(query_int(s[i], "SELECT count(*) FROM results"), 4);
    }
    snprintf(args, sizeof args, "merge '%s' '%s' '%s' '%s'", merged, s[0], s[1], s[2]);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "merged 3 databases");
    CLI_CONTAINS(cli_out, "12 rows added");
    char *a = dump(one, "results", "key"), *m = dump(merged, "results", "key");
    assert_string_equal(a, m);
    free(a);
    free(m);
    a = dump(one, "accuracy", "acc_key");
    m = dump(merged, "accuracy", "acc_key");
    assert_string_equal(a, m);
    free(a);
    free(m);
    integrity_ok(merged);
    /* merging a shard again: identical rows, nothing added */
    snprintf(args, sizeof args, "merge '%s' '%s'", merged, s[1]);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "0 rows added, 4 identical");
    /* a shard whose row differs: refused, exit 1, the merged database unchanged */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(s[2], &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE results SET cycles = cycles + 1 WHERE rowid = 1", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    char *before = dump(merged, "results", "key");
    snprintf(args, sizeof args, "merge '%s' '%s'", merged, s[2]);
    CLI_EXPECT(args, CLI_ERR_APART, 1);
    CLI_CONTAINS(cli_err, "differs from the one already merged in column cycles");
    char *after = dump(merged, "results", "key");
    assert_string_equal(before, after);
    free(before);
    free(after);
    snprintf(args, sizeof args, "merge '%s'", merged);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
}

/* ---------------------------------------------------------------- bad databases */

static void sqlx(const char *db, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    sqlite3_close(h);
}


/* dst = a copy of the (closed, single-file) database src, then `sql` run on it. */
static void damaged_copy(const char *src, const char *dst, const char *sql)
{
    size_t n;
    unsigned char *b = tu_file_bytes(src, &n);
    char p[600];
    snprintf(p, sizeof p, "%s-wal", dst);
    remove(p);
    snprintf(p, sizeof p, "%s-shm", dst);
    remove(p);
    tu_write(dst, b, n);
    free(b);
    if (sql)
        sqlx(dst, sql);
}

/* `args` (with %s for the database) exits 2, its message naming the database and `needle`, and
 * leaves every byte of the database as it was. */
static void expect_db_refused(const char *fmt, const char *db, const char *needle)
{
    char args[2048];
    size_t n0, n1;
    unsigned char *before = tu_file_bytes(db, &n0);
    snprintf(args, sizeof args, fmt, db);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, db);
    CLI_CONTAINS(cli_err, needle);
    assert_null(strstr(cli_err, ".tmp."));
    unsigned char *after = tu_file_bytes(db, &n1);
    if (n0 != n1 || memcmp(before, after, n0) != 0)
        fail_msg("%s changed the database", args);
    free(before);
    free(after);
}

static void bad_databases(void **state)
{
    (void)state;
    char args[2048], spec[512], good[512], bad[512], rep[512], mdb[512];
    snprintf(spec, sizeof spec, "%s", tmp("small.ini"));
    snprintf(good, sizeof good, "%s", tmp("good.db"));
    snprintf(bad, sizeof bad, "%s", tmp("bad.db"));
    snprintf(rep, sizeof rep, "%s", tmp("badreport"));
    snprintf(mdb, sizeof mdb, "%s", tmp("badmerge.db"));
    tu_write_text(spec, small_spec);
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 2 --quiet", spec, good);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    char sweep_fmt[1024];
    snprintf(sweep_fmt, sizeof sweep_fmt, "sweep '%s' --db '%%s' --jobs 1", spec);
    static const char *const readers[] = {"pareto --db '%s'", "summary --db '%s'", NULL};
    char report_fmt[1024], merge_fmt[1024];
    snprintf(report_fmt, sizeof report_fmt, "report --db '%%s' --out '%s'", rep);
    snprintf(merge_fmt, sizeof merge_fmt, "merge '%s' '%%s'", mdb);

    /* a dropped column is not added back: the sweep refuses the file, and so does every reader */
    damaged_copy(good, bad, "ALTER TABLE results DROP COLUMN energy_pj");
    expect_db_refused(sweep_fmt, bad, "energy_pj");
    assert_int_equal(query_int(bad, "SELECT count(*) FROM pragma_table_info('results') WHERE name = 'energy_pj'"), 0);
    for (int i = 0; readers[i]; i++)
        expect_db_refused(readers[i], bad, "energy_pj");
    expect_db_refused(report_fmt, bad, "energy_pj");
    expect_db_refused(merge_fmt, bad, "energy_pj");
    /* an extra column, a mistyped column */
    damaged_copy(good, bad, "ALTER TABLE results ADD COLUMN mine REAL");
    expect_db_refused(sweep_fmt, bad, "mine");
    expect_db_refused("pareto --db '%s'", bad, "mine");
    damaged_copy(good, bad, "ALTER TABLE results DROP COLUMN cycles; ALTER TABLE results ADD COLUMN cycles TEXT");
    expect_db_refused(sweep_fmt, bad, "cycles");

    /* missing tables: exit 2 naming the input, in every command */
    static const char *const tables[] = {"results", "accuracy", "specs", "infeasible", "meta"};
    for (int t = 0; t < 5; t++) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP TABLE %s", tables[t]);
        damaged_copy(good, bad, sql);
        for (int i = 0; readers[i]; i++)
            expect_db_refused(readers[i], bad, tables[t]);
        expect_db_refused(report_fmt, bad, tables[t]);
        expect_db_refused(merge_fmt, bad, tables[t]);
        expect_db_refused(sweep_fmt, bad, tables[t]);
    }
    assert_int_not_equal(access(mdb, F_OK), 0); /* no merged file made */

    /* infinity or text in a numeric column: refused on load, naming the row's key and the column */
    char *key = query_text(good, "SELECT key FROM results ORDER BY key LIMIT 1");
    assert_non_null(key);
    static const char *const values[] = {"energy_pj = 9e999", "seconds = 'fast'", "cycles = -9e999",
                                         "area_mm2 = 'big'", "accuracy_db = 'x'"};
    for (int v = 0; v < 5; v++) {
        char sql[256], col[32];
        snprintf(sql, sizeof sql, "UPDATE results SET %s WHERE key = '%s'", values[v], key);
        snprintf(col, sizeof col, "%.*s", (int)strcspn(values[v], " "), values[v]);
        damaged_copy(good, bad, sql);
        for (int i = 0; readers[i]; i++) {
            expect_db_refused(readers[i], bad, key);
            CLI_CONTAINS(cli_err, col);
        }
        expect_db_refused(report_fmt, bad, key);
        CLI_CONTAINS(cli_err, col);
        expect_db_refused(merge_fmt, bad, key); /* not merged into a file that reports would then refuse */
        CLI_CONTAINS(cli_err, col);
    }
    assert_int_not_equal(access(mdb, F_OK), 0);
    free(key);
    damaged_copy(good, bad, "UPDATE accuracy SET sqnr_db = 'x'");
    expect_db_refused("summary --db '%s'", bad, "sqnr_db");
    expect_db_refused(report_fmt, bad, "sqnr_db");

    /* someone else's SQLite file: refused, not a byte changed (its journal mode neither) */
    damaged_copy(good, bad, NULL);
    remove(bad);
    sqlx(bad, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
    expect_db_refused(sweep_fmt, bad, "not an mpsim sweep database");
    expect_db_refused("pareto --db '%s'", bad, "not an mpsim sweep database");
    expect_db_refused(merge_fmt, bad, "not an mpsim sweep database");
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", bad);
    assert_int_not_equal(access(wal, F_OK), 0);
}

/* ---------------------------------------------------------------- the report */

static char file[1 << 20]; /* the last file that file_ok read */

/* dir/name into file[]; it must be there and not empty. */
static void file_ok(const char *dir, const char *name, size_t *len)
{
    const char *p = tu_path(dir, name);
    long n = tu_slurp(p, file, sizeof file);
    if (n <= 0)
        fail_msg("%s is missing or empty", p);
    *len = (size_t)n;
}

static void check_svg(const char *dir, const char *name)
{
    size_t n;
    file_ok(dir, name, &n);
    if (strncmp(file, "<?xml", 5) != 0 || !strstr(file, "<svg") || !strstr(file + (n > 64 ? n - 64 : 0), "</svg>"))
        fail_msg("%s/%s is not a whole SVG file", dir, name);
}

static void report_files(void **state)
{
    (void)state;
    char args[2048], db[512], rep[512];
    snprintf(db, sizeof db, "%s", tmp("rep.db"));
    snprintf(rep, sizeof rep, "%s", tmp("report"));
    tu_write_text(tmp("small.ini"), small_spec);
    snprintf(args, sizeof args, "sweep '%s' --db '%s'", tmp("small.ini"), db);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    snprintf(args, sizeof args, "report --db '%s' --out '%s'", db, rep);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "/index.html (12 rows, 2 workloads");
    size_t n;
    file_ok(rep, "index.html", &n);
    assert_true(strncmp(file, "<!DOCTYPE html>", 15) == 0);
    CLI_CONTAINS(file, "</html>");
    CLI_CONTAINS(file, "tiny decode kv=64 batch=1");
    CLI_CONTAINS(file, "pareto_w2-tiny-decode-kv64-batch1.svg");
    CLI_CONTAINS(file, "iso/olive{rows=16}");
    file_ok(rep, "results.csv", &n);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += file[i] == '\n';
    assert_int_equal(lines, 13);
    assert_true(strncmp(file, "key,arch,base,params,pe_kind,rows,cols", 38) == 0);
    file_ok(rep, "pareto.csv", &n);
    file_ok(rep, "layers.csv", &n);
    CLI_CONTAINS(file, "tiny decode kv=64 batch=1,iso/fp16{rows=8},q_proj,");
    file_ok(rep, "accuracy.csv", &n);
    file_ok(rep, "summary.txt", &n);
    CLI_CONTAINS(file, "baseline iso/fp16{rows=16}");
    file_ok(rep, "plots.gp", &n);
    check_svg(rep, "pareto_w1-tiny-prefill-seq32-batch1.svg");
    check_svg(rep, "energy_w1-tiny-prefill-seq32-batch1.svg");
    check_svg(rep, "layers_w2-tiny-decode-kv64-batch1.svg");
    check_svg(rep, "roofline_w2-tiny-decode-kv64-batch1_d1.svg");
    /* 6 designs per workload: a roofline each */
    assert_int_equal(tu_dir_count(rep, "roofline_*.svg"), 12);
    int png = tu_dir_count(rep, "*.png");
    if (png) {
        assert_int_equal(png, tu_dir_count(rep, "*.svg"));
        file_ok(rep, "pareto_w1-tiny-prefill-seq32-batch1.png", &n);
        assert_memory_equal(file, "\x89PNG\r\n\x1a\n", 8);
    }
    /* issue 20: an unknown --baseline is refused before anything is written */
    char nob[600];
    snprintf(nob, sizeof nob, "%s", tmp("report-nobase"));
    snprintf(args, sizeof args, "report --db '%s' --out '%s' --baseline nosuch", db, nob);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "--baseline 'nosuch'");
    assert_int_not_equal(access(nob, F_OK), 0);
    /* again into the same folder: replaced whole */
    snprintf(args, sizeof args, "report --db '%s' --out '%s' --top 2", db, rep);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    assert_int_equal(tu_dir_count(rep, "roofline_*.svg"), 4);
    /* a folder holding something else is refused and left alone */
    char other[512];
    snprintf(other, sizeof other, "%s", tmp("mine"));
    mkdir(other, 0755);
    char keep[600];
    snprintf(keep, sizeof keep, "%s/notes.txt", other);
    tu_write_text(keep, "mine\n");
    snprintf(args, sizeof args, "report --db '%s' --out '%s'", db, other);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "holds something other than an mpsim report");
    assert_int_equal(access(keep, F_OK), 0);
    /* gnuplot failing half-way: error, the earlier report stays as it was, no temporary folder */
    char fake[512];
    snprintf(fake, sizeof fake, "%s", tmp("fake-gnuplot"));
    tu_write_text(fake, "#!/bin/sh\ncase \"$1\" in --version|-e) exit 0;; esac\necho 'line 7: broken' >&2\nexit 1\n");
    chmod(fake, 0755);
    snprintf(args, sizeof args, "report --db '%s' --out '%s' --gnuplot '%s'", db, rep, fake);
    CLI_EXPECT(args, CLI_ERR_APART, 3);
    CLI_CONTAINS(cli_err, "gnuplot failed");
    assert_int_equal(tu_dir_count(rep, "roofline_*.svg"), 4);
    assert_int_equal(tu_dir_count(tmpdir, "report.*"), 0);
    /* no gnuplot at all: tables and CSV only */
    char nogp[512];
    snprintf(nogp, sizeof nogp, "%s", tmp("report-nogp"));
    snprintf(args, sizeof args, "report --db '%s' --out '%s' --gnuplot /nonexistent/gnuplot", db, nogp);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_err, "gnuplot could not be run");
    file_ok(nogp, "index.html", &n);
    assert_int_equal(tu_dir_count(nogp, "*.svg"), 0);
}

/* A number of the JSON object o equals v to 1e-12, relatively. */
static void json_near(const cJSON *o, const char *name, double v)
{
    const cJSON *x = cJSON_GetObjectItem(o, name);
    if (!cJSON_IsNumber(x))
        fail_msg("no number '%s' in mpsim infer --json", name);
    if (!(fabs(x->valuedouble - v) <= 1e-12 * fabs(v)))
        fail_msg("%s: mpsim infer says %.17g, the database %.17g", name, x->valuedouble, v);
}

/* Requests in a sweep: each row's TTFT, TPOT, tokens/s and J/token (and cycles, energy, area) are
 * what `mpsim infer --json` gives for the same design and request; the other rows have NULL there;
 * pareto on the request objectives, summary and report show them; a merge keeps them. */
static void request_rows(void **state)
{
    (void)state;
    char args[2048], db[512], rep[512];
    snprintf(db, sizeof db, "%s", tmp("req.db"));
    snprintf(rep, sizeof rep, "%s", tmp("req-report"));
    tu_write_text(tmp("req.ini"), "[sweep]\nname = req\nbase = iso/fp16, iso/bitmod-w4\n"
                                  "[workload]\nmodels = tiny\nphases = request, decode\nprompt = 16\ngen = 4\n"
                                  "kv = 64\nbatch = 1, 2\n[accuracy]\nrows = 8\ntokens = 4\n");
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 2", tmp("req.ini"), db);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "sweep req: 2 design points x 4 workloads = 8 rows");
    assert_int_equal(query_int(db, "SELECT count(*) FROM results WHERE phase = 'request' AND prompt = 16 AND gen = 4 "
                                   "AND seq IS NULL AND kv IS NULL AND fidelity = 'fast' AND ttft_s > 0 AND tpot_s > 0 "
                                   "AND tokens_per_s > 0 AND j_per_token > 0"),
                     4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM results WHERE phase = 'decode' AND prompt IS NULL AND gen IS "
                                   "NULL AND ttft_s IS NULL AND tpot_s IS NULL AND tokens_per_s IS NULL AND "
                                   "j_per_token IS NULL"),
                     4);
    static const char *const archs[] = {"iso/fp16", "iso/bitmod-w4"};
    for (int a = 0; a < 2; a++)
        for (int b = 1; b <= 2; b++) {
            snprintf(args, sizeof args, "infer --arch %s --model tiny --prompt 16 --gen 4 --batch %d --quiet --json -",
                     archs[a], b);
            CLI_EXPECT(args, CLI_ERR_APART, 0);
            cJSON *j = cJSON_Parse(cli_out);
            assert_non_null(j);
            sqlite3 *h = NULL;
            assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
            sqlite3_stmt *st;
            assert_int_equal(sqlite3_prepare_v2(h, "SELECT ttft_s, tpot_s, tokens_per_s, j_per_token, cycles, "
                                                   "energy_pj, area_mm2 FROM results WHERE arch = ?1 AND batch = ?2 "
                                                   "AND phase = 'request'",
                                                -1, &st, NULL),
                             SQLITE_OK);
            sqlite3_bind_text(st, 1, archs[a], -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, b);
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            json_near(j, "ttft_s", sqlite3_column_double(st, 0));
            json_near(j, "tpot_mean_s", sqlite3_column_double(st, 1));
            json_near(j, "tokens_per_s", sqlite3_column_double(st, 2));
            json_near(j, "j_per_token", sqlite3_column_double(st, 3));
            json_near(j, "area_mm2", sqlite3_column_double(st, 6));
            const double cyc = cJSON_GetObjectItem(j, "prefill_cycles")->valuedouble +
                               cJSON_GetObjectItem(j, "decode_cycles")->valuedouble;
            assert_true(cyc == (double)sqlite3_column_int64(st, 4));
            const double pj = cJSON_GetObjectItem(j, "prefill_energy_pj")->valuedouble +
                              cJSON_GetObjectItem(j, "decode_energy_pj")->valuedouble;
            assert_true(fabs(pj - sqlite3_column_double(st, 5)) <= 1e-9 * pj);
            sqlite3_finalize(st);
            sqlite3_close(h);
            cJSON_Delete(j);
        }
    /* pareto on the request objectives: bitmod-w4 is faster per token and cheaper per token here */
    snprintf(args, sizeof args, "pareto --db '%s' --objectives tpot,j_per_token --workload request", db);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "== tiny request prompt=16 gen=4 batch=1: Pareto front over tpot, j_per_token: 1 of 2 designs");
    CLI_CONTAINS(cli_out, "TPOT ms");
    CLI_CONTAINS(cli_out, "mJ/token");
    assert_null(strstr(cli_out, "iso/fp16 "));
    char *best = query_text(db, "SELECT arch FROM results WHERE phase = 'request' AND batch = 2 "
                                "ORDER BY tokens_per_s DESC LIMIT 1");
    assert_non_null(best);
    snprintf(args, sizeof args, "pareto --db '%s' --x tokens_per_s --workload 'request prompt=16 gen=4 batch=2'", db);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "Pareto front over tokens_per_s: 1 of 2 designs");
    CLI_CONTAINS(cli_out, best);
    free(best);
    snprintf(args, sizeof args, "pareto --db '%s' --x ttft,tpotx", db);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    CLI_CONTAINS(cli_err, "objective 'tpotx': expected latency, energy, area, accuracy, ttft, tpot");
    /* summary: the request table with its ratios against the baseline */
    snprintf(args, sizeof args, "summary --db '%s' --baseline iso/fp16", db);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "== tiny request prompt=16 gen=4 batch=2: 2 designs; baseline iso/fp16 ==");
    CLI_CONTAINS(cli_out, "TTFT ms");
    CLI_CONTAINS(cli_out, "TPOT ms");
    CLI_CONTAINS(cli_out, "tokens/s");
    CLI_CONTAINS(cli_out, "mJ/token");
    CLI_CONTAINS(cli_out, "latency ms"); /* the decode workloads' table */
    char want[256];
    char *tps = query_text(db, "SELECT printf('%.3f', tokens_per_s) FROM results WHERE phase = 'request' AND "
                               "batch = 1 AND arch = 'iso/fp16'");
    assert_non_null(tps);
    snprintf(want, sizeof want, " %s   1.00x", tps); /* the baseline's tokens/s, ratio 1 */
    CLI_CONTAINS(cli_out, want);
    free(tps);
    /* report: CSV columns, the HTML table, the TPOT vs J/token plot */
    snprintf(args, sizeof args, "report --db '%s' --out '%s' --baseline iso/fp16", db, rep);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    assert_null(strstr(cli_err, "re-simulate to other cycle counts"));
    size_t n;
    file_ok(rep, "results.csv", &n);
    CLI_CONTAINS(file, ",prompt,gen,ttft_s,tpot_s,tokens_per_s,j_per_token\n");
    CLI_CONTAINS(file, ",request,,,1,");
    file_ok(rep, "pareto.csv", &n);
    CLI_CONTAINS(file, "j_per_token\n");
    file_ok(rep, "summary.txt", &n);
    CLI_CONTAINS(file, "mJ/token");
    file_ok(rep, "index.html", &n);
    CLI_CONTAINS(file, "<th>TPOT ms</th>");
    CLI_CONTAINS(file, "TPOT vs J/token");
    file_ok(rep, "pareto_w1-tiny-request-prompt16-gen4-batch1.dat", &n);
    CLI_CONTAINS(file, "# kind fp16: design, TPOT ms, mJ/token");
    file_ok(rep, "plots.gp", &n);
    CLI_CONTAINS(file, "set xlabel 'TPOT, mean decode step (ms)'");
    CLI_CONTAINS(file, "set ylabel 'energy per token (mJ)'");
    if (tu_dir_count(rep, "*.svg"))
        check_svg(rep, "pareto_w1-tiny-request-prompt16-gen4-batch1.svg");
    /* merged into a new file: every column the same */
    char out[512];
    snprintf(out, sizeof out, "%s", tmp("req-merged.db"));
    snprintf(args, sizeof args, "merge '%s' '%s'", out, db);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    char *d1 = dump(db, "results", "key"), *d2 = dump(out, "results", "key");
    assert_string_equal(d1, d2);
    free(d1);
    free(d2);
}

/* The spec example of docs/dse.md is valid and expands as the doc says. */
static void doc_example(void **state)
{
    (void)state;
    static char doc[1 << 20];
    tu_slurp(MPSIM_DATADIR "/docs/dse.md", doc, sizeof doc);
    char *a = strstr(doc, "\n```ini\n");
    if (!a)
        fail_msg("docs/dse.md has no ```ini example");
    a += 8;
    char *b = strstr(a, "\n```\n");
    assert_non_null(b);
    b[1] = '\0';
    tu_write_text(tmp("my-sweep.ini"), a);
    char args[1200];
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --dry-run", tmp("my-sweep.ini"), tmp("doc.db"));
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "sweep my-sweep: 24 design points x 2 workloads = 48 rows");
    CLI_CONTAINS(cli_out, "skipped 12 rows of invalid design points:");
    CLI_CONTAINS(cli_out, "12 x [quant] weight_bits = 3 is not supported by pe_kind mixpe-w4a8");
    CLI_CONTAINS(cli_out, "0 already in");
    CLI_CONTAINS(cli_out, "36 to run");
    assert_int_not_equal(access(tmp("doc.db"), F_OK), 0); /* a dry run writes nothing */

    /* the second: the shape axis (arch.aspect), run without its accuracy study; the shapes, not the times */
    a = strstr(b + 2, "\n```ini\n");
    if (!a)
        fail_msg("docs/dse.md has no second ```ini example (the shape axis)");
    a += 8;
    b = strstr(a, "\n```\n");
    assert_non_null(b);
    b[1] = '\0';
    static char spec[1 << 16];
    snprintf(spec, sizeof spec, "%s[accuracy]\nenabled = false\n", a);
    tu_write_text(tmp("shapes.ini"), spec);
    char db[512];
    snprintf(db, sizeof db, "%s", tmp("shapes.db"));
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 2", tmp("shapes.ini"), db);
    CLI_EXPECT(args, CLI_ERR_MERGE, 0);
    CLI_CONTAINS(cli_out, "sweep shapes: 8 design points x 1 workloads = 8 rows");
    CLI_CONTAINS(cli_out, "1 x no array of 1024 PEs within 2x of aspect 2 (the nearest: 32x32, aspect 1)");
    CLI_CONTAINS(cli_out, "written: 7 rows");
    char *arch = query_text(db, "SELECT group_concat(arch || ' ' || pes, '; ') FROM "
                                "(SELECT arch, pes FROM results ORDER BY base DESC, rows)");
    assert_non_null(arch);
    assert_string_equal(arch, "iso/w4a16-dq{aspect=1:32x32} 1024; iso/w4a16-dq{aspect=4:64x16} 1024; "
                              "iso/w4a16-dq{aspect=16:128x8} 1024; iso/bitmod-w4{aspect=1:32x35} 1120; "
                              "iso/bitmod-w4{aspect=2:40x28} 1120; iso/bitmod-w4{aspect=4:70x16} 1120; "
                              "iso/bitmod-w4{aspect=16:140x8} 1120");
    free(arch);
}

/* A design point above a work limit (sim/engine.h) is recorded as infeasible, with the knob named,
 * instead of holding a worker: here every row, the limit lowered to one step. */
static void over_limit_infeasible(void **state)
{
    (void)state;
    char args[2048];
    const char *db = tmp("limit.db");
    char dbp[512];
    snprintf(dbp, sizeof dbp, "%s", db);
    tu_write_text(tmp("limit.ini"), "[sweep]\nname = limit\nbase = iso/fp16\n[workload]\nmodels = tiny\n"
                                    "phases = decode\n[accuracy]\nenabled = false\n");
    snprintf(args, sizeof args, "sweep '%s' --db '%s' --jobs 2", tmp("limit.ini"), dbp);
    setenv("MPSIM_MAX_STEPS", "1", 1);
    CLI_EXPECT(args, CLI_ERR_MERGE, 0);
    unsetenv("MPSIM_MAX_STEPS");
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM results"), 0);
    assert_int_equal(query_int(dbp, "SELECT count(*) FROM infeasible WHERE message LIKE '%MPSIM_MAX_STEPS%'"), 1);
    remove(tmp("limit.ini"));
    remove(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(over_limit_infeasible),
        cmocka_unit_test(bad_specs),
        cmocka_unit_test(sweep_and_rerun),
        cmocka_unit_test(resume_after_kill),
        cmocka_unit_test(shards_merge_equal_one_run),
        cmocka_unit_test(bad_databases),
        cmocka_unit_test(report_files),
        cmocka_unit_test(request_rows),
        cmocka_unit_test(doc_example),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
