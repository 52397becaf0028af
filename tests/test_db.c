/* tests/test_db.c — the sweep database (dse/db.c): schema and version, writing and reading rows,
 * accuracy rows, keys, files that are not ours or whose tables differ from ours (refused, not a byte
 * changed), values that are not finite numbers (refused on load), and merging
 * (identical duplicates fine, a differing duplicate an error that leaves the output untouched). */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/alloc.h"
#include "dse/db.h"
#include "testutil.h"

static char dir[] = "/tmp/mpsim_db_XXXXXX";

static const char *path(const char *name)
{
    static char p[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void rm_db(const char *name)
{
    char p[600];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path(name), suffix[i]);
        remove(p);
    }
}

/* Run SQL on a file directly (not through db.c), as another program would. */
static void sql_exec(const char *file, const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(file, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* The first row of a query run directly on a file: its first n columns as ints. */
static void sql_ints(const char *file, const char *query, int *out, int n)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(file, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, query, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    for (int i = 0; i < n; i++)
        out[i] = sqlite3_column_int(st, i);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* db_open refuses the file with MP_EINPUT (and a message containing `needle` where given). */
static void expect_refused(const char *file, int mode, const char *needle)
{
    Db *d = NULL;
    MpErr e = {0};
    assert_int_equal(db_open(file, mode, &d, &e), MP_EINPUT);
    assert_null(d);
    if (needle)
        assert_non_null(strstr(e.msg, needle));
}

/* The accuracy row of `key`, found (want_found 1) or not (0). */
static DbAcc get_acc(Db *d, const char *key, int want_found)
{
    DbAcc a;
    memset(&a, 0, sizeof a);
    snprintf(a.key, sizeof a.key, "%s", key);
    int found = -1;
    MpErr e = {0};
    assert_int_equal(db_get_accuracy(d, &a, &found, &e), MP_OK);
    assert_int_equal(found, want_found);
    return a;
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.db", "b.db", "c.db", "m.db", "junk.db", "foreign.db", "foreign2.db", "old.db", "q.db", "v1.db"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        rm_db(names[i]);
    return rmdir(dir);
}

/* A row with recognisable numbers derived from i. */
static void make_row(DbRow *r, ArchConfig *c, char *keybuf, int i)
{
    memset(r, 0, sizeof *r);
    MpErr e = {0};
    assert_int_equal(config_load("iso/olive", c, NULL, NULL, 0, &e), MP_OK);
    c->rows = 8 + i;
    snprintf(keybuf, 17, "%016x", 0x1000 + i);
    memcpy(r->key, keybuf, 17);
    r->arch = "iso/olive{rows=...}";
    r->base = "iso/olive";
    r->params = "arch.rows=...";
    r->config_text = "[arch]\npe_kind = olive\n";
    r->cfg = c;
    r->workload = i % 2 ? "tiny decode kv=16 batch=1" : "tiny prefill seq=16 batch=1";
    r->model = "tiny";
    r->phase = i % 2 ? "decode" : "prefill";
    r->seq = i % 2 ? 0 : 16;
    r->kv = i % 2 ? 16 : 0;
    r->batch = 1;
    r->fidelity = "fast";
    r->total.cycles = 1000 + i;
    r->total.macs = 5000 + i;
    r->total.dram_read_bits = 800;
    r->total.dram_write_bits = 80;
    r->seconds = (1000.0 + i) / 1e9;
    r->utilization = 0.25;
    r->area_mm2 = 4.25;
    r->energy.total = 123.5 + i;
    r->energy.dram = 100;
    r->acc_format = "olive-w4a4";
    r->acc_key = "format=olive-w4a4 group=0 model=tiny";
    r->has_accuracy = 1;
    r->accuracy_db = 13.5;
}

static void write_rows(const char *name, int from, int to)
{
    Db *d = NULL;
    MpErr e = {0};
    assert_int_equal(db_open(path(name), DB_WRITE, &d, &e), MP_OK);
    assert_int_equal(db_begin(d, &e), MP_OK);
    for (int i = from; i < to; i++) {
        DbRow r;
        ArchConfig c;
        char k[17];
        make_row(&r, &c, k, i);
        assert_int_equal(db_put_result(d, &r, &e), MP_OK);
    }
    DbAcc a;
    memset(&a, 0, sizeof a);
    snprintf(a.key, sizeof a.key, "format=olive-w4a4 group=0 model=tiny");
    snprintf(a.format, sizeof a.format, "olive-w4a4");
    snprintf(a.model, sizeof a.model, "tiny");
    a.layers = 1;
    a.rows = 8;
    a.tokens = 4;
    a.seed = 1;
    a.ok = 1;
    a.sqnr_db = 13.5;
    a.gemms = 7;
    assert_int_equal(db_put_accuracy(d, &a, &e), MP_OK);
    assert_int_equal(db_put_spec(d, "t", "[sweep]\n", &e), MP_OK);
    assert_int_equal(db_commit(d, &e), MP_OK);
    assert_int_equal(db_close(d, &e), MP_OK);
}

static void count_key(void *ctx, uint64_t k)
{
    (void)k;
    (*(int *)ctx)++;
}

static void round_trip(void **state)
{
    (void)state;
    rm_db("a.db");
    write_rows("a.db", 0, 6);
    Db *d = NULL;
    MpErr e = {0};
    assert_int_equal(db_open(path("a.db"), DB_READ, &d, &e), MP_OK);
    int64_t n = 0;
    assert_int_equal(db_count(d, "results", &n, &e), MP_OK);
    assert_int_equal(n, 6);
    int nk = 0;
    assert_int_equal(db_each_key(d, "results", count_key, &nk, &e), MP_OK);
    assert_int_equal(nk, 6);
    DbPoint *pts = NULL;
    int np = 0;
    assert_int_equal(db_load_points(d, &pts, &np, &e), MP_OK);
    assert_int_equal(np, 6);
    /* prefill rows first (phase order), then by arch and key */
    assert_string_equal(pts[0].phase, "prefill");
    assert_string_equal(pts[5].phase, "decode");
    assert_int_equal(pts[0].rows, 8);
    assert_string_equal(pts[0].pe_kind, "olive");
    assert_int_equal(pts[0].cycles, 1000);
    assert_true(pts[0].dram_bytes == 110);
    assert_true(pts[0].energy_pj == 123.5);
    assert_true(pts[0].has_accuracy && pts[0].accuracy_db == 13.5);
    assert_int_equal(pts[0].seq, 16);
    assert_int_equal(pts[0].kv, 0);
    assert_string_equal(pts[0].config, "[arch]\npe_kind = olive\n");
    db_points_free(pts, np);
    DbAcc a = get_acc(d, "format=olive-w4a4 group=0 model=tiny", 1);
    assert_true(a.ok && a.sqnr_db == 13.5 && a.gemms == 7);
    get_acc(d, "format=none", 0);
    assert_int_equal(db_check_integrity(d, &e), MP_OK);
    assert_int_equal(db_close(d, &e), MP_OK);
    /* writing the same key again changes nothing (a re-run never duplicates) */
    write_rows("a.db", 0, 3);
    assert_int_equal(db_open(path("a.db"), DB_READ, &d, &e), MP_OK);
    assert_int_equal(db_count(d, "results", &n, &e), MP_OK);
    assert_int_equal(n, 6);
    db_close(d, NULL);
}

static void acc_equal(const DbAcc *a, const DbAcc *b)
{
    assert_string_equal(a->key, b->key);
    assert_string_equal(a->format, b->format);
    assert_string_equal(a->model, b->model);
    assert_int_equal(a->group_size, b->group_size);
    assert_int_equal(a->layers, b->layers);
    assert_int_equal(a->rows, b->rows);
    assert_int_equal(a->tokens, b->tokens);
    assert_true(a->seed == b->seed);
    assert_int_equal(a->ok, b->ok);
    assert_true(a->sqnr_db == b->sqnr_db && a->ideal_db == b->ideal_db && a->weight_db == b->weight_db &&
                a->hw_vs_ideal_db == b->hw_vs_ideal_db);
    assert_int_equal(a->gemms, b->gemms);
    assert_string_equal(a->message, b->message);
}

/* Every field of DbPoint and DbAcc comes back as written (reading goes through the column table
 * writing uses: a field that is not read back would stay zero). */
static void every_field_read_back(void **state)
{
    (void)state;
    rm_db("b.db");
    DbRow r;
    ArchConfig c;
    char k[17];
    make_row(&r, &c, k, 3);
    c.cols = 24;
    c.clock_mhz = 812.5;
    c.weight_bits = 4;
    c.group_size = 96;
    c.dram_bits_per_cycle = 192;
    r.total.cycles = ((int64_t)1 << 40) + 7; /* past 32 bits */
    r.total.macs = ((int64_t)1 << 41) + 9;
    r.energy = (EnergyBreakdown){.pe = 1, .sram = 2, .dram = 3, .decoder = 4, .dequant = 5, .leakage = 6, .other = 7,
                                 .total = 28};
    r.seq = 0;
    r.kv = 77;
    r.batch = 5;
    DbAcc ok = {.key = "k-ok", .format = "bitmod-w3", .model = "tiny", .group_size = 128, .layers = 2, .rows = 9,
                .tokens = 3, .seed = ((int64_t)1 << 35) + 1, .ok = 1, .sqnr_db = 11.25, .ideal_db = 12.5,
                .weight_db = 13.75, .hw_vs_ideal_db = 40.5, .gemms = 14};
    DbAcc bad = {.key = "k-bad", .format = "mixpe-w4a8", .model = "tiny", .group_size = 2048, .layers = 1, .rows = 1,
                 .tokens = 1, .seed = 2, .ok = 0, .gemms = 0, .message = "no study: group too large"};
    Db *d = NULL;
    MpErr e = {0};
    assert_int_equal(db_open(path("b.db"), DB_WRITE, &d, &e), MP_OK);
    assert_int_equal(db_put_result(d, &r, &e), MP_OK);
    assert_int_equal(db_put_accuracy(d, &ok, &e), MP_OK);
    assert_int_equal(db_put_accuracy(d, &bad, &e), MP_OK);
    assert_int_equal(db_close(d, &e), MP_OK);

    assert_int_equal(db_open(path("b.db"), DB_READ, &d, &e), MP_OK);
    DbPoint *pts = NULL;
    int np = 0;
    assert_int_equal(db_load_points(d, &pts, &np, &e), MP_OK);
    assert_int_equal(np, 1);
    const DbPoint *p = &pts[0];
    assert_string_equal(p->key, r.key);
    assert_string_equal(p->arch, r.arch);
    assert_string_equal(p->base, r.base);
    assert_string_equal(p->params, r.params);
    assert_string_equal(p->config, r.config_text);
    assert_string_equal(p->pe_kind, "olive");
    assert_string_equal(p->dataflow, c.dataflow ? "ws" : "os");
    assert_string_equal(p->dram_tech, "lpddr5");
    assert_string_equal(p->workload, r.workload);
    assert_string_equal(p->model, r.model);
    assert_string_equal(p->phase, r.phase);
    assert_int_equal(p->seq, 0);
    assert_int_equal(p->kv, 77);
    assert_int_equal(p->batch, 5);
    assert_int_equal(p->rows, 11);
    assert_int_equal(p->cols, 24);
    assert_int_equal(p->weight_bits, 4);
    assert_int_equal(p->group_size, 96);
    assert_int_equal(p->dram_bits_per_cycle, 192);
    assert_true(p->clock_mhz == 812.5);
    assert_true(p->cycles == r.total.cycles);
    assert_true(p->macs == r.total.macs);
    assert_true(p->seconds == r.seconds);
    assert_true(p->dram_bytes == 110);
    assert_true(p->utilization == 0.25);
    assert_true(p->area_mm2 == 4.25);
    assert_true(p->energy_pj == 28);
    const double comp[] = {p->e_pe, p->e_sram, p->e_dram, p->e_decoder, p->e_dequant, p->e_leakage, p->e_other};
    for (int i = 0; i < 7; i++)
        assert_true(comp[i] == i + 1);
    assert_true(p->has_accuracy && p->accuracy_db == 13.5);
    assert_string_equal(p->acc_format, "olive-w4a4");
    assert_false(p->has_request); /* a decode row: the request columns are NULL */
    assert_int_equal(p->prompt, 0);
    assert_int_equal(p->gen, 0);
    db_points_free(pts, np);

    DbAcc *acc = NULL;
    int na = 0;
    assert_int_equal(db_load_accuracy(d, &acc, &na, &e), MP_OK);
    assert_int_equal(na, 2);
    /* ordered by model, format, group: bitmod-w3 first */
    acc_equal(&acc[0], &ok);
    acc_equal(&acc[1], &bad);
    mp_free(acc);
    DbAcc got = get_acc(d, "k-bad", 1);
    acc_equal(&got, &bad);
    assert_int_equal(db_close(d, &e), MP_OK);
}


/* A request row: its prompt, gen and four figures round-trip exactly; seq and kv stay NULL. */
static void request_row_read_back(void **state)
{
    (void)state;
    rm_db("q.db");
    DbRow r;
    ArchConfig c;
    char k[17];
    make_row(&r, &c, k, 4);
    r.workload = "tiny request prompt=16 gen=4 batch=2";
    r.phase = "request";
    r.seq = r.kv = 0;
    r.prompt = 16;
    r.gen = 4;
    r.batch = 2;
    r.request = 1;
    r.ttft_s = 7.0224999999999999e-05;
    r.tpot_s = 1.0 / 3.0 * 1e-4;
    r.tokens_per_s = 15257.683197094937;
    r.j_per_token = 8.3732157078326668e-05;
    Db *d = NULL;
    MpErr e = {0};
    assert_int_equal(db_open(path("q.db"), DB_WRITE, &d, &e), MP_OK);
    assert_int_equal(db_put_result(d, &r, &e), MP_OK);
    assert_int_equal(db_close(d, &e), MP_OK);
    assert_int_equal(db_open(path("q.db"), DB_READ, &d, &e), MP_OK);
    assert_int_equal(db_check_values(d, &e), MP_OK);
    DbPoint *pts = NULL;
    int np = 0;
    assert_int_equal(db_load_points(d, &pts, &np, &e), MP_OK);
    assert_int_equal(np, 1);
    const DbPoint *p = &pts[0];
    assert_string_equal(p->phase, "request");
    assert_true(p->has_request);
    assert_int_equal(p->prompt, 16);
    assert_int_equal(p->gen, 4);
    assert_int_equal(p->seq, 0);
    assert_int_equal(p->kv, 0);
    assert_int_equal(p->batch, 2);
    assert_true(p->ttft_s == r.ttft_s && p->tpot_s == r.tpot_s);
    assert_true(p->tokens_per_s == r.tokens_per_s && p->j_per_token == r.j_per_token);
    db_points_free(pts, np);
    assert_int_equal(db_close(d, &e), MP_OK);
    int n[2];
    sql_ints(path("q.db"), "SELECT seq IS NULL, kv IS NULL FROM results", n, 2);
    assert_int_equal(n[0], 1);
    assert_int_equal(n[1], 1);
}

/* db_open refuses the file in both modes (the message naming the file and containing `needle`)
 * and leaves every byte of it as it was, and no -wal or -journal file behind. */
static void expect_refused_untouched(const char *name, const char *needle)
{
    size_t n0, n1;
    unsigned char *before = tu_file_bytes(path(name), &n0);
    expect_refused(path(name), DB_WRITE, needle);
    expect_refused(path(name), DB_WRITE, path(name));
    expect_refused(path(name), DB_READ, needle);
    unsigned char *after = tu_file_bytes(path(name), &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    char p[600];
    snprintf(p, sizeof p, "%s-journal", path(name));
    assert_int_not_equal(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s-wal", path(name));
    struct stat sb;
    assert_true(stat(p, &sb) != 0 || sb.st_size == 0);
}

static void not_ours(void **state)
{
    (void)state;
    FILE *f = fopen(path("junk.db"), "wb");
    assert_non_null(f);
    fputs("this is not a database, it is text that is long enough to have a header ............................",
          f);
    fclose(f);
    expect_refused(path("junk.db"), DB_READ, "junk.db");
    /* an SQLite file of someone else */
    sql_exec(path("foreign.db"), "CREATE TABLE t(x)");
    expect_refused(path("foreign.db"), DB_READ, "not an mpsim sweep database");
    /* and it is not changed by an attempt to write into it */
    expect_refused(path("foreign.db"), DB_WRITE, "not an mpsim sweep database");
    int tables;
    sql_ints(path("foreign.db"), "SELECT count(*) FROM sqlite_master", &tables, 1);
    assert_int_equal(tables, 1);
    /* nor in any byte (its journal mode, too, stays as it was) */
    rm_db("foreign2.db");
    sql_exec(path("foreign2.db"), "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
    expect_refused_untouched("foreign2.db", "not an mpsim sweep database");
    expect_refused(path("missing.db"), DB_READ, NULL);
    /* a newer schema version */
    rm_db("old.db");
    write_rows("old.db", 0, 1);
    sql_exec(path("old.db"), "UPDATE meta SET value = '99' WHERE name = 'schema_version'");
    expect_refused(path("old.db"), DB_WRITE, "schema version 99");
    expect_refused(path("old.db"), DB_READ, NULL);
    /* a database of the previous version (1: no request columns) is refused, untouched, saying why */
    rm_db("v1.db");
    write_rows("v1.db", 0, 2);
    sql_exec(path("v1.db"), "ALTER TABLE results DROP COLUMN prompt; ALTER TABLE results DROP COLUMN gen; "
                            "ALTER TABLE results DROP COLUMN ttft_s; ALTER TABLE results DROP COLUMN tpot_s; "
                            "ALTER TABLE results DROP COLUMN tokens_per_s; ALTER TABLE results DROP COLUMN j_per_token; "
                            "UPDATE results SET schema_version = 1; UPDATE meta SET value = '1' WHERE name = "
                            "'schema_version'");
    expect_refused_untouched("v1.db", "database schema version 1; this mpsim reads version 2 (version 2 added the "
                                      "request columns");
}

static void schema_differs_refused(void **state)
{
    (void)state;
    /* a file whose tables are not exactly ours is refused, never repaired or altered */
    static const struct {
        const char *sql, *needle;
    } bad[] = {
        {"ALTER TABLE results DROP COLUMN energy_pj", "energy_pj"},
        {"ALTER TABLE results DROP COLUMN sram_out_kib", "sram_out_kib"},
        {"ALTER TABLE results ADD COLUMN extra REAL", "extra"},
        {"ALTER TABLE results DROP COLUMN energy_pj; ALTER TABLE results ADD COLUMN energy_pj TEXT", "energy_pj"},
        {"ALTER TABLE accuracy DROP COLUMN sqnr_db", "sqnr_db"},
        {"DROP TABLE results", "results"},
        {"DROP TABLE accuracy", "accuracy"},
        {"DROP TABLE specs", "specs"},
        {"DROP TABLE infeasible", "infeasible"},
        {"CREATE TABLE mine(x)", "mine"},
        {"ALTER TABLE specs RENAME COLUMN text TO body", "specs"},
        {"DROP TABLE meta", "meta"},
        /* schema_version not a whole number (fuzz_db found a NULL reaching atoi) */
        {"UPDATE meta SET value = x'' WHERE name = 'schema_version'", "schema_version is not a whole number"}, /* text: NULL */
        {"UPDATE meta SET value = '2x' WHERE name = 'schema_version'", "schema_version is not a whole number"},
        {"UPDATE meta SET value = '7' WHERE name = 'schema_version'", "schema version 7"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rm_db("c.db");
        write_rows("c.db", 0, 2);
        sql_exec(path("c.db"), bad[i].sql);
        expect_refused_untouched("c.db", bad[i].needle);
    }
}

/* A stored value that is not a finite number in a numeric column: loading refuses the file,
 * naming it, the row's key and the column. */
static void bad_values_refused(void **state)
{
    (void)state;
    static const struct {
        const char *sql, *key, *column;
        int acc;
    } bad[] = {
        {"UPDATE results SET energy_pj = 9e999 WHERE key = '0000000000001001'", "0000000000001001", "energy_pj", 0},
        {"UPDATE results SET seconds = -9e999 WHERE key = '0000000000001002'", "0000000000001002", "seconds", 0},
        {"UPDATE results SET area_mm2 = 'big' WHERE key = '0000000000001000'", "0000000000001000", "area_mm2", 0},
        {"UPDATE results SET cycles = 'many' WHERE key = '0000000000001002'", "0000000000001002", "cycles", 0},
        {"UPDATE results SET cycles = 1.5 WHERE key = '0000000000001002'", "0000000000001002", "cycles", 0},
        {"UPDATE results SET macs = x'00' WHERE key = '0000000000001001'", "0000000000001001", "macs", 0},
        {"UPDATE results SET accuracy_db = 9e999 WHERE key = '0000000000001001'", "0000000000001001", "accuracy_db",
         0},
        {"UPDATE results SET stall_cycles = 'x' WHERE key = '0000000000001001'", "0000000000001001", "stall_cycles",
         0},
        {"UPDATE results SET clock_mhz = 'fast' WHERE key = '0000000000001001'", "0000000000001001", "clock_mhz", 0},
        {"UPDATE accuracy SET sqnr_db = 'x'", "format=olive-w4a4 group=0 model=tiny", "sqnr_db", 1},
        {"UPDATE accuracy SET ideal_sqnr_db = -9e999", "format=olive-w4a4 group=0 model=tiny", "ideal_sqnr_db", 1},
        {"UPDATE accuracy SET seed = 'x'", "format=olive-w4a4 group=0 model=tiny", "seed", 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rm_db("c.db");
        write_rows("c.db", 0, 3);
        sql_exec(path("c.db"), bad[i].sql);
        Db *d = NULL;
        MpErr e = {0};
        assert_int_equal(db_open(path("c.db"), DB_READ, &d, &e), MP_OK);
        int rc, n = -1;
        if (bad[i].acc) {
            DbAcc *a = NULL;
            rc = db_load_accuracy(d, &a, &n, &e);
            assert_null(a);
        } else {
            DbPoint *p = NULL;
            rc = db_load_points(d, &p, &n, &e);
            assert_null(p);
        }
        assert_int_equal(n, 0);
        if (rc != MP_EINPUT || !strstr(e.msg, bad[i].key) || !strstr(e.msg, bad[i].column) ||
            !strstr(e.msg, path("c.db")))
            fail_msg("%s: rc %d, '%s'", bad[i].sql, rc, e.msg);
        if (bad[i].acc) { /* and the sweep's cache look-up */
            DbAcc a;
            memset(&a, 0, sizeof a);
            snprintf(a.key, sizeof a.key, "%s", bad[i].key);
            int found = -1;
            MpErr e2 = {0};
            assert_int_equal(db_get_accuracy(d, &a, &found, &e2), MP_EINPUT);
            assert_non_null(strstr(e2.msg, bad[i].column));
        }
        db_close(d, NULL);
    }
    /* a key that is not 16 lowercase hex digits would be read as another row's key */
    static const char *const keys[] = {"zz", "00000000000010010", "000000000000100G", "000000000000100A"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        rm_db("c.db");
        write_rows("c.db", 0, 3);
        char sql[160];
        snprintf(sql, sizeof sql, "UPDATE results SET key = '%s' WHERE key = '0000000000001001'", keys[i]);
        sql_exec(path("c.db"), sql);
        Db *d = NULL;
        MpErr e = {0};
        int n = 0;
        assert_int_equal(db_open(path("c.db"), DB_READ, &d, &e), MP_OK);
        assert_int_equal(db_each_key(d, "results", count_key, &n, &e), MP_EINPUT);
        assert_non_null(strstr(e.msg, keys[i]));
        db_close(d, NULL);
    }
    /* NULL where the column allows it is fine */
    rm_db("c.db");
    write_rows("c.db", 0, 3);
    sql_exec(path("c.db"), "UPDATE results SET accuracy_db = NULL, seq = NULL, kv = NULL, clock_mhz = NULL");
    Db *d = NULL;
    MpErr e = {0};
    DbPoint *p = NULL;
    int n = 0;
    assert_int_equal(db_open(path("c.db"), DB_READ, &d, &e), MP_OK);
    assert_int_equal(db_load_points(d, &p, &n, &e), MP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(p[0].has_accuracy, 0);
    db_points_free(p, n);
    db_close(d, NULL);
}

static void merge(void **state)
{
    (void)state;
    rm_db("a.db");
    rm_db("b.db");
    rm_db("m.db");
    write_rows("a.db", 0, 5);
    write_rows("b.db", 3, 9); /* rows 3 and 4 in both, identical */
    char *in[] = {(char *)path("a.db"), (char *)path("b.db")};
    char a_copy[512], b_copy[512];
    snprintf(a_copy, sizeof a_copy, "%s", in[0]);
    snprintf(b_copy, sizeof b_copy, "%s", in[1]);
    char *ins[] = {a_copy, b_copy};
    DbMergeStats st;
    MpErr e = {0};
    assert_int_equal(db_merge(path("m.db"), ins, 2, &st, &e), MP_OK);
    assert_int_equal(st.added, 9);
    assert_int_equal(st.same, 2);
    assert_int_equal(st.acc_added, 1);
    /* merging again adds nothing */
    assert_int_equal(db_merge(path("m.db"), ins, 1, &st, &e), MP_OK);
    assert_int_equal(st.added, 0);
    assert_int_equal(st.same, 5);
    /* a differing duplicate: error, and m.db keeps its 9 rows */
    sql_exec(b_copy, "UPDATE results SET energy_pj = energy_pj * 2 WHERE key = '0000000000001003';"
                     "INSERT INTO results SELECT * FROM results WHERE 0;");
    rm_db("c.db");
    write_rows("c.db", 20, 22);
    char c_copy[512];
    snprintf(c_copy, sizeof c_copy, "%s", path("c.db"));
    char *bad[] = {c_copy, b_copy};
    MpErr e2 = {0};
    assert_int_equal(db_merge(path("m.db"), bad, 2, &st, &e2), MP_ECHECK);
    assert_non_null(strstr(e2.msg, "0000000000001003"));
    assert_non_null(strstr(e2.msg, "energy_pj"));
    Db *d = NULL;
    int64_t n = 0;
    assert_int_equal(db_open(path("m.db"), DB_READ, &d, &e), MP_OK);
    assert_int_equal(db_count(d, "results", &n, &e), MP_OK);
    assert_int_equal(n, 9); /* c.db's rows were not merged either: all or nothing */
    assert_int_equal(db_check_integrity(d, &e), MP_OK);
    db_close(d, NULL);
    /* no temporary left behind */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path("m.db"), (long)getpid());
    assert_int_not_equal(access(tmp, F_OK), 0);
    MpErr e3 = {0};
    char missing[512];
    snprintf(missing, sizeof missing, "%s", path("missing.db"));
    char *mi[] = {missing};
    assert_int_equal(db_merge(path("m.db"), mi, 1, &st, &e3), MP_EINPUT);
}

/* The fuzz harness's main seed has the schema of this build (else every fuzz input would stop at
 * the schema check): tests/fuzz/gen_db_seeds.sh rewrites the seeds when a column is added. */
static void fuzz_seed_current(void **state)
{
    (void)state;
    Db *d;
    MpErr e = {0};
    if (db_open(MPSIM_DATADIR "/tests/fuzz/corpus/db/sweep-2pt.db", DB_READ, &d, &e) != MP_OK)
        fail_msg("the db fuzz seed is stale (rerun tests/fuzz/gen_db_seeds.sh): %s", e.msg);
    assert_int_equal(db_close(d, &e), MP_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fuzz_seed_current),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(every_field_read_back),
        cmocka_unit_test(request_row_read_back),
        cmocka_unit_test(not_ours),
        cmocka_unit_test(schema_differs_refused),
        cmocka_unit_test(bad_values_refused),
        cmocka_unit_test(merge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
