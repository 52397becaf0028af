/* dse/db_merge.c — merging sweep databases (shards) into one: each input checked like any
 * database we open, copied into a temporary output, then renamed over the output (db.h). */
#include "dse/db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "dse/db_int.h"

static void remove_db_files(const char *path)
{
    char p[1200];
    remove(path);
    snprintf(p, sizeof p, "%s-wal", path);
    remove(p);
    snprintf(p, sizeof p, "%s-shm", path);
    remove(p);
    snprintf(p, sizeof p, "%s-journal", path);
    remove(p);
}

/* Copy src (an existing database; its WAL is folded in) to a new file dst with the backup API. */
static int copy_db(const char *src, const char *dst, MpErr *e)
{
    Db *s = NULL;
    int rc = db_open(src, DB_WRITE, &s, e); /* a writer: recovers and checkpoints src's WAL */
    sqlite3 *dh = NULL;
    if (rc == MP_OK && sqlite3_open_v2(dst, &dh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        rc = mp_errf(e, MP_EIO, "%s: cannot create", dst);
    if (rc == MP_OK) {
        sqlite3_backup *b = sqlite3_backup_init(dh, "main", s->h, "main");
        if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE)
            rc = mp_errf(e, MP_EIO, "%s: cannot copy into %s: %s", src, dst, sqlite3_errmsg(dh));
        if (b)
            sqlite3_backup_finish(b);
    }
    if (dh)
        sqlite3_close(dh);
    int rc2 = db_close(s, e);
    return rc ? rc : rc2;
}

typedef struct MergeCols {
    SqlBuf out, in; /* ",a,b,..." */
} MergeCols;

/* For every key of in.T also in main.T: the first column whose value differs, or MP_OK. */
static int merge_table(Db *d, const char *table, const char *pk, const char *src, int64_t *added, int64_t *same,
                       MpErr *e)
{
    SqlBuf have = {0}, inc = {0}, cmp = {0}, sel = {0}, names = {0};
    int rc = dbi_table_columns(d, "main", table, &have, e);
    if (rc == MP_OK)
        rc = dbi_table_columns(d, "src", table, &inc, e);
    if (rc == MP_OK && (!inc.s || strlen(inc.s) < 3))
        rc = mp_errf(e, MP_EINPUT, "%s: no table %s (not an mpsim sweep database?)", src, table);
    /* columns of main: compare and copy those the input has, NULL for the others (db_open has
     * checked that both have exactly our columns, so today that is all of them) */
    int ncmp = 0;
    for (char *p = have.s ? have.s + 1 : NULL; rc == MP_OK && p && *p;) {
        char *q = strchr(p, ',');
        if (!q)
            break;
        *q = '\0';
        int in_has = dbi_has_col(&inc, p);
        *q = ',';
        char col[128];
        snprintf(col, sizeof col, "%.*s", (int)(q - p), p);
        dbi_sb_add(&names, "%s%s", names.ncol++ ? ", " : "", col);
        dbi_sb_add(&sel, "%s%s", sel.ncol++ ? ", " : "", in_has ? col : "NULL");
        if (strcmp(col, pk) != 0) {
            dbi_sb_add(&cmp, "%sWHEN m.%s IS NOT %s%s THEN '%s'", ncmp++ ? " " : "", col, in_has ? "i." : "", in_has ? col : "NULL", col);
        }
        p = q + 1;
    }
    if (rc == MP_OK && (names.oom || sel.oom || cmp.oom))
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
    if (rc == MP_OK && ncmp) {
        size_t cap = strlen(cmp.s) + 512;
        char *sql = mp_malloc(cap);
        if (!sql)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
        else {
            snprintf(sql, cap,
                     "SELECT m.%s, CASE %s ELSE NULL END AS diff FROM main.%s m JOIN src.%s i ON m.%s = i.%s "
                     "WHERE diff IS NOT NULL LIMIT 1",
                     pk, cmp.s, table, table, pk, pk);
            sqlite3_stmt *st;
            rc = dbi_prepare(d, sql, &st, e);
            if (rc == MP_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                    rc = mp_errf(e, MP_ECHECK, "%s: %s row '%s' differs from the one already merged in column %s",
                                 src, table, dbi_col_text(st, 0), dbi_col_text(st, 1));
                sqlite3_finalize(st);
            }
            mp_free(sql);
        }
    }
    if (rc == MP_OK) {
        int64_t before = 0, after = 0, nin = 0;
        char cnt[160];
        snprintf(cnt, sizeof cnt, "src.%s", table);
        rc = db_count(d, table, &before, e);
        if (rc == MP_OK)
            rc = db_count(d, cnt, &nin, e);
        size_t cap = strlen(names.s) + strlen(sel.s) + 256;
        char *sql = rc == MP_OK ? mp_malloc(cap) : NULL;
        if (rc == MP_OK && !sql)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
        if (rc == MP_OK) {
            snprintf(sql, cap, "INSERT OR IGNORE INTO main.%s(%s) SELECT %s FROM src.%s", table, names.s, sel.s,
                     table);
            rc = dbi_exec(d, sql, e);
        }
        mp_free(sql);
        if (rc == MP_OK)
            rc = db_count(d, table, &after, e);
        if (rc == MP_OK) {
            if (added)
                *added += after - before;
            if (same)
                *same += nin - (after - before);
        }
    }
    mp_free(have.s);
    mp_free(inc.s);
    mp_free(cmp.s);
    mp_free(sel.s);
    mp_free(names.s);
    return rc;
}

static int merge_one(Db *d, const char *src, DbMergeStats *st, MpErr *e)
{
    struct stat sb;
    if (stat(src, &sb) != 0)
        return mp_errf(e, MP_EINPUT, "%s: no such database", src);
    /* open it once on its own: checks it is one of ours, and every value it holds (as a report
     * would read it), so that nothing a report would refuse is merged */
    Db *in = NULL;
    int rc = db_open(src, DB_READ, &in, e);
    if (rc == MP_OK)
        rc = db_check_values(in, e);
    db_close(in, NULL);
    if (rc)
        return rc;
    sqlite3_stmt *at;
    rc = dbi_prepare(d, "ATTACH DATABASE ? AS src", &at, e);
    if (rc)
        return rc;
    sqlite3_bind_text(at, 1, src, -1, SQLITE_STATIC);
    int s = sqlite3_step(at);
    sqlite3_finalize(at);
    if (s != SQLITE_DONE)
        return dbi_sql_err(d, e, "attach");
    rc = dbi_check_version(d, "src", src, e);
    if (rc == MP_OK)
        rc = db_begin(d, e);
    if (rc == MP_OK) {
        rc = merge_table(d, "results", "key", src, &st->added, &st->same, e);
        if (rc == MP_OK)
            rc = merge_table(d, "accuracy", "acc_key", src, &st->acc_added, NULL, e);
        if (rc == MP_OK)
            rc = dbi_exec(d, "INSERT OR IGNORE INTO main.infeasible SELECT * FROM src.infeasible", e);
        if (rc == MP_OK)
            rc = dbi_exec(d, "INSERT OR IGNORE INTO main.specs SELECT * FROM src.specs", e);
        if (rc == MP_OK)
            rc = db_commit(d, e);
        else
            db_rollback(d);
    }
    sqlite3_exec(d->h, "DETACH DATABASE src", NULL, NULL, NULL);
    return rc;
}

int db_merge(const char *out, char *const *in, int nin, DbMergeStats *st, MpErr *e)
{
    memset(st, 0, sizeof *st);
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    remove_db_files(tmp);
    struct stat sb;
    int rc = MP_OK;
    if (stat(out, &sb) == 0)
        rc = copy_db(out, tmp, e);
    Db *d = NULL;
    if (rc == MP_OK)
        rc = db_open(tmp, DB_WRITE, &d, e);
    for (int i = 0; rc == MP_OK && i < nin; i++)
        rc = merge_one(d, in[i], st, e);
    if (rc == MP_OK)
        rc = db_check_integrity(d, e);
    int rc2 = db_close(d, e);
    if (rc == MP_OK)
        rc = rc2;
    if (rc == MP_OK && rename(tmp, out) != 0)
        rc = mp_errf(e, MP_EIO, "%s: cannot rename the merged database into place: %s", out, strerror(errno));
    if (rc != MP_OK)
        remove_db_files(tmp);
    return rc;
}
