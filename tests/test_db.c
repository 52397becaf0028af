/* tests/test_db.c — the sweep database (dse/db.c): schema and version, writing and reading rows,
 * accuracy rows, keys, files that are not ours, columns added for new config keys, and merging
 * (identical duplicates fine, a differing duplicate an error that leaves the output untouched). */
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dse/db.h"

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

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.db", "b.db", "c.db", "m.db", "junk.db", "foreign.db", "old.db"};
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
    DbAcc a;
    memset(&a, 0, sizeof a);
    snprintf(a.key, sizeof a.key, "format=olive-w4a4 group=0 model=tiny");
    int found = 0;
    assert_int_equal(db_get_accuracy(d, &a, &found, &e), MP_OK);
    assert_int_equal(found, 1);
    assert_true(a.ok && a.sqnr_db == 13.5 && a.gemms == 7);
    snprintf(a.key, sizeof a.key, "format=none");
    assert_int_equal(db_get_accuracy(d, &a, &found, &e), MP_OK);
    assert_int_equal(found, 0);
    assert_int_equal(db_check_integrity(d, &e), MP_OK);
    assert_int_equal(db_close(d, &e), MP_OK);
    /* writing the same key again changes nothing (a re-run never duplicates) */
    write_rows("a.db", 0, 3);
    assert_int_equal(db_open(path("a.db"), DB_READ, &d, &e), MP_OK);
    assert_int_equal(db_count(d, "results", &n, &e), MP_OK);
    assert_int_equal(n, 6);
    db_close(d, NULL);
}

static void not_ours(void **state)
{
    (void)state;
    Db *d = NULL;
    MpErr e = {0};
    FILE *f = fopen(path("junk.db"), "wb");
    assert_non_null(f);
    fputs("this is not a database, it is text that is long enough to have a header ............................",
          f);
    fclose(f);
    assert_int_equal(db_open(path("junk.db"), DB_READ, &d, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "junk.db"));
    assert_null(d);
    /* an SQLite file of someone else */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path("foreign.db"), &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    MpErr e2 = {0};
    assert_int_equal(db_open(path("foreign.db"), DB_READ, &d, &e2), MP_EINPUT);
    assert_non_null(strstr(e2.msg, "not an mpsim sweep database"));
    /* and it is not changed by an attempt to write into it */
    MpErr e2w = {0};
    assert_int_equal(db_open(path("foreign.db"), DB_WRITE, &d, &e2w), MP_EINPUT);
    assert_non_null(strstr(e2w.msg, "not an mpsim sweep database"));
    assert_int_equal(sqlite3_open(path("foreign.db"), &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM sqlite_master", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(h);
    MpErr e3 = {0};
    assert_int_equal(db_open(path("missing.db"), DB_READ, &d, &e3), MP_EINPUT);
    /* a newer schema version */
    rm_db("old.db");
    write_rows("old.db", 0, 1);
    assert_int_equal(sqlite3_open(path("old.db"), &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE meta SET value = '99' WHERE name = 'schema_version'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    MpErr e4 = {0};
    assert_int_equal(db_open(path("old.db"), DB_WRITE, &d, &e4), MP_EINPUT);
    assert_non_null(strstr(e4.msg, "schema version 99"));
    MpErr e5 = {0};
    assert_int_equal(db_open(path("old.db"), DB_READ, &d, &e5), MP_EINPUT);
}

static void new_columns_added(void **state)
{
    (void)state;
    /* a file made before a column existed gets it on the next write open */
    rm_db("c.db");
    write_rows("c.db", 0, 2);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(path("c.db"), &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "ALTER TABLE results DROP COLUMN sram_out_kib", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    write_rows("c.db", 2, 4);
    assert_int_equal(sqlite3_open(path("c.db"), &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(sram_out_kib), count(*) FROM results", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2); /* the old rows have NULL there */
    assert_int_equal(sqlite3_column_int(st, 1), 4);
    sqlite3_finalize(st);
    sqlite3_close(h);
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
    sqlite3 *h;
    assert_int_equal(sqlite3_open(b_copy, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE results SET energy_pj = energy_pj * 2 WHERE key = '0000000000001003';"
                                     "INSERT INTO results SELECT * FROM results WHERE 0;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(not_ours),
        cmocka_unit_test(new_columns_added),
        cmocka_unit_test(merge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
