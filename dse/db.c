/* dse/db.c — see db.h. The SQLite side: statements made from the column tables of db_int.h,
 * schema creation and upgrade, writes, reads, merging. */
#include "dse/db.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "dse/db_int.h"

struct Db {
    sqlite3 *h;
    char *path;
    int mode;
    sqlite3_stmt *put_result, *put_infeasible, *put_acc, *get_acc, *put_spec;
};

/* ------------------------------------------------------------------ SQL text from the column tables */

typedef struct SqlBuf {
    char *s;
    size_t n, cap;
    int oom;
    int ncol;
} SqlBuf;

static void sb_add(SqlBuf *b, const char *fmt, ...) MP_PRINTF(2, 3);
static void sb_add(SqlBuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = (b->cap + (size_t)k + 64) * 2;
        char *ns = mp_realloc(b->s, nc);
        if (!ns) {
            b->oom = 1;
            return;
        }
        if (!b->s)
            ns[0] = '\0';
        b->s = ns;
        b->cap = nc;
    }
}

static void emit_create(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    (void)v;
    (void)rd;
    SqlBuf *b = ctx;
    sb_add(b, "%s\n  %s %s", b->ncol++ ? "," : "", name, decl);
}

static void emit_names(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    (void)decl;
    (void)v;
    (void)rd;
    SqlBuf *b = ctx;
    sb_add(b, "%s%s", b->ncol++ ? ", " : "", name);
}

/* The names of the columns that are read back. */
static void emit_read_names(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    if (rd.t != R_NONE)
        emit_names(ctx, name, decl, v, rd);
}

typedef struct BindCtx {
    sqlite3_stmt *st;
    int i, rc;
} BindCtx;

static void emit_bind(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    (void)name;
    (void)decl;
    (void)rd;
    BindCtx *b = ctx;
    int i = ++b->i, rc;
    switch (v.t) {
    case V_INT: rc = sqlite3_bind_int64(b->st, i, v.i); break;
    case V_REAL: rc = sqlite3_bind_double(b->st, i, v.d); break;
    case V_TEXT: rc = sqlite3_bind_text(b->st, i, v.s, -1, SQLITE_STATIC); break;
    default: rc = sqlite3_bind_null(b->st, i); break;
    }
    if (rc != SQLITE_OK && b->rc == SQLITE_OK)
        b->rc = rc;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

typedef struct ReadCtx {
    sqlite3_stmt *st;
    char *row;  /* the struct read into */
    int col;    /* next result column   */
    int oom;
} ReadCtx;

/* Read the next result column into its field (the SELECT lists the columns emit_read_names names). */
static void emit_read(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    (void)name;
    (void)decl;
    (void)v;
    ReadCtx *x = ctx;
    if (rd.t == R_NONE)
        return;
    int c = x->col++;
    char *f = x->row + rd.off;
    if (rd.set != NO_SET) /* before the value is read: a conversion would change the type */
        *(int *)(x->row + rd.set) = sqlite3_column_type(x->st, c) != SQLITE_NULL;
    switch (rd.t) {
    case R_TEXT: snprintf(f, rd.size, "%s", col_text(x->st, c)); break;
    case R_DUP:
        if (!(*(char **)f = mp_strdup(col_text(x->st, c))))
            x->oom = 1;
        break;
    case R_INT: *(int *)f = sqlite3_column_int(x->st, c); break;
    case R_I64: *(int64_t *)f = sqlite3_column_int64(x->st, c); break;
    case R_REAL: *(double *)f = sqlite3_column_double(x->st, c); break;
    case R_NONE: break;
    }
}

/* "CREATE TABLE IF NOT EXISTS table(...);\n" */
static void sql_create(SqlBuf *b, const char *table, DbColumnsFn cols)
{
    sb_add(b, "CREATE TABLE IF NOT EXISTS %s(", table);
    b->ncol = 0;
    cols(NULL, emit_create, b);
    sb_add(b, ");\n");
}

/* "INSERT OR IGNORE INTO table(every column) VALUES(?, ...)" */
static void sql_insert(SqlBuf *b, const char *table, DbColumnsFn cols)
{
    sb_add(b, "INSERT OR IGNORE INTO %s(", table);
    b->ncol = 0;
    cols(NULL, emit_names, b);
    sb_add(b, ") VALUES(");
    for (int i = 0; i < b->ncol; i++)
        sb_add(b, "%s?", i ? "," : "");
    sb_add(b, ")");
}

/* "SELECT (the columns read back) FROM table tail" */
static void sql_select(SqlBuf *b, const char *table, DbColumnsFn cols, const char *tail)
{
    sb_add(b, "SELECT ");
    b->ncol = 0;
    cols(NULL, emit_read_names, b);
    sb_add(b, " FROM %s%s", table, tail);
}

/* ------------------------------------------------------------------ helpers */

static int sql_err(Db *d, MpErr *e, const char *what)
{
    int code = sqlite3_errcode(d->h);
    int mp = code == SQLITE_NOTADB || code == SQLITE_CORRUPT || code == SQLITE_CANTOPEN ? MP_EINPUT
             : code == SQLITE_NOMEM                                                     ? MP_ENOMEM
             : code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_READONLY ||
                     code == SQLITE_BUSY || code == SQLITE_LOCKED
                 ? MP_EIO
                 : MP_EINTERNAL;
    return mp_errf(e, mp, "%s: %s: %s", d->path, what, sqlite3_errmsg(d->h));
}

static int exec(Db *d, const char *sql, MpErr *e)
{
    char *msg = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = sql_err(d, e, msg ? msg : "SQL error");
        sqlite3_free(msg);
        return rc;
    }
    return MP_OK;
}

static int prepare(Db *d, const char *sql, sqlite3_stmt **st, MpErr *e)
{
    if (sqlite3_prepare_v2(d->h, sql, -1, st, NULL) != SQLITE_OK)
        return sql_err(d, e, "prepare");
    return MP_OK;
}

/* Prepare the statement a SqlBuf holds, and free the buffer. */
static int prepare_buf(Db *d, SqlBuf *b, sqlite3_stmt **st, MpErr *e)
{
    int rc = b->oom ? mp_errf(e, MP_ENOMEM, "out of memory") : prepare(d, b->s, st, e);
    mp_free(b->s);
    memset(b, 0, sizeof *b);
    return rc;
}

/* Read the current result row of a SELECT made by sql_select into `row`; -1: out of memory (the
 * fields read so far are set, the others NULL or zero as they were). */
static int read_row(sqlite3_stmt *st, DbColumnsFn cols, void *row)
{
    ReadCtx x = {st, row, 0, 0};
    cols(NULL, emit_read, &x);
    return x.oom ? -1 : 0;
}

/* Every row of `table` (sql_select with `tail`) into a new array of *n rows of `size` bytes, zeroed
 * before each is read; on an error the rows read so far stay in *rows for the caller to free. */
static int load_rows(Db *d, const char *table, DbColumnsFn cols, const char *tail, size_t size, int cap0, void **rows,
                     int *n, const char *what, MpErr *e)
{
    *rows = NULL;
    *n = 0;
    SqlBuf q = {0};
    sql_select(&q, table, cols, tail);
    sqlite3_stmt *st = NULL;
    int rc = prepare_buf(d, &q, &st, e), cap = 0, s = SQLITE_DONE;
    while (rc == MP_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        void *nr = mp_grow(*rows, *n, &cap, size, cap0);
        if (!nr) {
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
            break;
        }
        *rows = nr;
        char *row = (char *)*rows + (size_t)*n * size;
        memset(row, 0, size);
        (*n)++;
        if (read_row(st, cols, row) != 0)
            rc = mp_errf(e, MP_ENOMEM, "out of memory");
    }
    if (rc == MP_OK && s != SQLITE_DONE)
        rc = sql_err(d, e, what);
    sqlite3_finalize(st);
    return rc;
}

#define DB_STR_(x) #x
#define DB_STR(x) DB_STR_(x)

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);\n"
    "INSERT OR IGNORE INTO meta VALUES('schema_version', '" DB_STR(DB_SCHEMA_VERSION) "');\n"
    "CREATE TABLE IF NOT EXISTS infeasible(key TEXT PRIMARY KEY NOT NULL, arch TEXT NOT NULL,\n"
    "  workload TEXT NOT NULL, config TEXT NOT NULL, message TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS specs(name TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY(name, text));\n";

/* Columns the table has, as one "\n,name,name,...,\n" string for lookups. */
static int table_columns(Db *d, const char *schema, const char *table, SqlBuf *cols, MpErr *e)
{
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA %s.table_info(%s)", schema, table);
    sqlite3_stmt *st;
    int rc = prepare(d, sql, &st, e);
    if (rc)
        return rc;
    sb_add(cols, ",");
    while (sqlite3_step(st) == SQLITE_ROW)
        sb_add(cols, "%s,", (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    return cols->oom ? mp_errf(e, MP_ENOMEM, "out of memory") : MP_OK;
}

static int has_col(const SqlBuf *cols, const char *name)
{
    char k[128];
    snprintf(k, sizeof k, ",%s,", name);
    return cols->s && strstr(cols->s, k) != NULL;
}

typedef struct AlterCtx {
    Db *d;
    SqlBuf *have;
    MpErr *e;
    int rc;
} AlterCtx;

static void emit_alter(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    (void)v;
    (void)rd;
    AlterCtx *a = ctx;
    if (a->rc || has_col(a->have, name))
        return;
    char sql[256], type[32];
    snprintf(type, sizeof type, "%s", decl);
    char *sp = strchr(type, ' ');
    if (sp)
        *sp = '\0'; /* ADD COLUMN cannot add NOT NULL without a default */
    snprintf(sql, sizeof sql, "ALTER TABLE results ADD COLUMN %s %s", name, type);
    a->rc = exec(a->d, sql, a->e);
}

static int check_version(Db *d, const char *schema, const char *name, MpErr *e);

/* 1 when the file has tables but no meta table: someone else's database. */
static int foreign(Db *d)
{
    sqlite3_stmt *st;
    int r = 0;
    if (sqlite3_prepare_v2(d->h,
                           "SELECT count(*), sum(name = 'meta') FROM sqlite_master WHERE type = 'table'", -1, &st,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            r = sqlite3_column_int(st, 0) > 0 && sqlite3_column_int(st, 1) == 0;
        sqlite3_finalize(st);
    }
    return r;
}

static int create_schema(Db *d, MpErr *e)
{
    int rc = exec(d, "BEGIN IMMEDIATE", e);
    if (rc)
        return rc;
    /* never add our tables to someone else's file, nor touch a file of another schema version */
    if (foreign(d))
        rc = mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (no meta table)", d->path);
    if (rc == MP_OK)
        rc = exec(d, schema_sql, e);
    if (rc == MP_OK)
        rc = check_version(d, "main", d->path, e);
    SqlBuf b = {0};
    sql_create(&b, "accuracy", db_acc_columns);
    sql_create(&b, "results", db_result_columns);
    sb_add(&b, "CREATE INDEX IF NOT EXISTS results_workload ON results(workload);\n");
    if (rc == MP_OK)
        rc = b.oom ? mp_errf(e, MP_ENOMEM, "out of memory") : exec(d, b.s, e);
    mp_free(b.s);
    /* config keys added to the schema since the file was made get their column */
    SqlBuf have = {0};
    if (rc == MP_OK)
        rc = table_columns(d, "main", "results", &have, e);
    AlterCtx a = {d, &have, e, rc};
    if (rc == MP_OK)
        db_result_columns(NULL, emit_alter, &a);
    rc = a.rc;
    mp_free(have.s);
    if (rc == MP_OK)
        rc = exec(d, "COMMIT", e);
    else
        db_rollback(d);
    return rc;
}

static int check_version(Db *d, const char *schema, const char *name, MpErr *e)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT value FROM %s.meta WHERE name = 'schema_version'", schema);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        int code = sqlite3_errcode(d->h);
        if (code == SQLITE_ERROR) /* no meta table */
            return mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (no meta table)", name);
        return sql_err(d, e, "read schema version");
    }
    int rc = MP_OK;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (no schema_version)", name);
    else if (atoi((const char *)sqlite3_column_text(st, 0)) != DB_SCHEMA_VERSION)
        rc = mp_errf(e, MP_EINPUT, "%s: database schema version %s; this mpsim reads version %d", name,
                     (const char *)sqlite3_column_text(st, 0), DB_SCHEMA_VERSION);
    sqlite3_finalize(st);
    return rc;
}

/* ------------------------------------------------------------------ open / close */

int db_open(const char *path, int mode, Db **out, MpErr *e)
{
    *out = NULL;
    struct stat sb;
    if (mode == DB_READ && stat(path, &sb) != 0)
        return mp_errf(e, MP_EINPUT, "%s: no such database", path);
    int rc = mp_check_regular(path, e); /* before SQLite opens it: a FIFO would block the open */
    if (rc)
        return rc;
    Db *d = mp_calloc(1, sizeof *d);
    if (!d || !(d->path = mp_strdup(path))) {
        mp_free(d);
        return mp_errf(e, MP_ENOMEM, "out of memory");
    }
    d->mode = mode;
    int flags = mode == DB_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &d->h, flags, NULL) != SQLITE_OK)
        rc = d->h ? sql_err(d, e, "cannot open") : mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    if (rc == MP_OK) {
        sqlite3_busy_timeout(d->h, 10000);
        sqlite3_extended_result_codes(d->h, 0);
    }
    if (rc == MP_OK && mode == DB_WRITE) {
        /* WAL: a commit is one append to the log; NORMAL: no fsync per commit. A killed process
         * loses nothing committed; a power cut may lose the last commits but never corrupts. */
        rc = exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", e);
        if (rc == MP_OK)
            rc = create_schema(d, e);
    }
    if (rc == MP_OK)
        rc = check_version(d, "main", d->path, e);
    if (rc) {
        if (rc == MP_EINTERNAL && sqlite3_errcode(d->h) == SQLITE_NOTADB)
            rc = MP_EINPUT;
        db_close(d, NULL);
        return rc;
    }
    *out = d;
    return MP_OK;
}

int db_close(Db *d, MpErr *e)
{
    if (!d)
        return MP_OK;
    int rc = MP_OK;
    sqlite3_finalize(d->put_result);
    sqlite3_finalize(d->put_infeasible);
    sqlite3_finalize(d->put_acc);
    sqlite3_finalize(d->get_acc);
    sqlite3_finalize(d->put_spec);
    if (d->h && d->mode == DB_WRITE)
        sqlite3_exec(d->h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    if (d->h && sqlite3_close(d->h) != SQLITE_OK)
        rc = mp_errf(e, MP_EIO, "%s: cannot close", d->path);
    mp_free(d->path);
    mp_free(d);
    return rc;
}

sqlite3 *db_sqlite(Db *d) { return d->h; }

int db_begin(Db *d, MpErr *e) { return exec(d, "BEGIN IMMEDIATE", e); }
int db_commit(Db *d, MpErr *e) { return exec(d, "COMMIT", e); }
void db_rollback(Db *d) { sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL); }

/* ------------------------------------------------------------------ writes */

static int step_done(Db *d, sqlite3_stmt *st, const char *what, MpErr *e)
{
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return s == SQLITE_DONE ? MP_OK : sql_err(d, e, what);
}

/* Insert one row into `table` through its column table; the statement is made and prepared once,
 * into *stp. */
static int put_row(Db *d, sqlite3_stmt **stp, const char *table, DbColumnsFn cols, const void *row, const char *what,
                   MpErr *e)
{
    if (!*stp) {
        SqlBuf b = {0};
        sql_insert(&b, table, cols);
        int rc = prepare_buf(d, &b, stp, e);
        if (rc)
            return rc;
    }
    sqlite3_stmt *st = *stp;
    BindCtx bc = {st, 0, SQLITE_OK};
    cols(row, emit_bind, &bc);
    if (bc.rc != SQLITE_OK) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return sql_err(d, e, "bind");
    }
    return step_done(d, st, what, e);
}

int db_put_result(Db *d, const DbRow *r, MpErr *e)
{
    return put_row(d, &d->put_result, "results", db_result_columns, r, "insert result", e);
}

int db_put_infeasible(Db *d, const char *key, const char *arch, const char *workload, const char *config,
                      const char *message, MpErr *e)
{
    int rc;
    if (!d->put_infeasible &&
        (rc = prepare(d, "INSERT OR IGNORE INTO infeasible VALUES(?,?,?,?,?)", &d->put_infeasible, e)) != MP_OK)
        return rc;
    sqlite3_stmt *st = d->put_infeasible;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, arch, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, workload, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, config, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, message, -1, SQLITE_STATIC);
    return step_done(d, st, "insert infeasible", e);
}

int db_put_spec(Db *d, const char *name, const char *text, MpErr *e)
{
    int rc;
    if (!d->put_spec && (rc = prepare(d, "INSERT OR IGNORE INTO specs VALUES(?,?)", &d->put_spec, e)) != MP_OK)
        return rc;
    sqlite3_bind_text(d->put_spec, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(d->put_spec, 2, text, -1, SQLITE_STATIC);
    return step_done(d, d->put_spec, "insert spec", e);
}

int db_put_accuracy(Db *d, const DbAcc *a, MpErr *e)
{
    return put_row(d, &d->put_acc, "accuracy", db_acc_columns, a, "insert accuracy", e);
}

int db_get_accuracy(Db *d, DbAcc *a, int *found, MpErr *e)
{
    *found = 0;
    if (!d->get_acc) {
        SqlBuf b = {0};
        sql_select(&b, "accuracy", db_acc_columns, " WHERE acc_key = ?");
        int rc = prepare_buf(d, &b, &d->get_acc, e);
        if (rc)
            return rc;
    }
    char key[sizeof a->key];
    snprintf(key, sizeof key, "%s", a->key);
    sqlite3_bind_text(d->get_acc, 1, key, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(d->get_acc);
    if (s == SQLITE_ROW) {
        memset(a, 0, sizeof *a);
        read_row(d->get_acc, db_acc_columns, a); /* no owned fields: cannot run out of memory */
        *found = 1;
    }
    sqlite3_reset(d->get_acc);
    sqlite3_clear_bindings(d->get_acc);
    return s == SQLITE_ROW || s == SQLITE_DONE ? MP_OK : sql_err(d, e, "read accuracy");
}

int db_load_accuracy(Db *d, DbAcc **rows, int *n, MpErr *e)
{
    void *v = NULL;
    int rc = load_rows(d, "accuracy", db_acc_columns, " ORDER BY model, format, group_size", sizeof **rows, 16, &v, n,
                       "read accuracy", e);
    *rows = v;
    if (rc) {
        mp_free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

/* ------------------------------------------------------------------ reads */

int db_each_key(Db *d, const char *table, void (*fn)(void *ctx, uint64_t key), void *ctx, MpErr *e)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT key FROM %s", table);
    sqlite3_stmt *st;
    int rc = prepare(d, sql, &st, e), s;
    if (rc)
        return rc;
    while ((s = sqlite3_step(st)) == SQLITE_ROW)
        fn(ctx, strtoull(col_text(st, 0), NULL, 16));
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? MP_OK : sql_err(d, e, "read keys");
}

int db_count(Db *d, const char *table, int64_t *n, MpErr *e)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    int rc = prepare(d, sql, &st, e);
    if (rc)
        return rc;
    *n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return MP_OK;
}

int db_check_integrity(Db *d, MpErr *e)
{
    sqlite3_stmt *st;
    int rc = prepare(d, "PRAGMA integrity_check", &st, e);
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = sql_err(d, e, "integrity_check");
    else if (strcmp(col_text(st, 0), "ok") != 0)
        rc = mp_errf(e, MP_ECHECK, "%s: integrity_check: %s", d->path, col_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

int db_load_points(Db *d, DbPoint **pts, int *n, MpErr *e)
{
    void *v = NULL;
    int rc = load_rows(d, "results", db_result_columns,
                       " ORDER BY model, phase = 'decode', phase, seq, kv, batch, arch, key", sizeof **pts, 64, &v, n,
                       "read results", e);
    *pts = v;
    if (rc) {
        db_points_free(*pts, *n);
        *pts = NULL;
        *n = 0;
    }
    return rc;
}

void db_points_free(DbPoint *pts, int n)
{
    for (int i = 0; i < n; i++) {
        mp_free(pts[i].params);
        mp_free(pts[i].config);
    }
    mp_free(pts);
}

/* ------------------------------------------------------------------ merge */

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
    int rc = table_columns(d, "main", table, &have, e);
    if (rc == MP_OK)
        rc = table_columns(d, "src", table, &inc, e);
    if (rc == MP_OK && (!inc.s || strlen(inc.s) < 3))
        rc = mp_errf(e, MP_EINPUT, "%s: no table %s (not an mpsim sweep database?)", src, table);
    /* columns of main: compare and copy those the input has, NULL for the others */
    int ncmp = 0;
    for (char *p = have.s ? have.s + 1 : NULL; rc == MP_OK && p && *p;) {
        char *q = strchr(p, ',');
        if (!q)
            break;
        *q = '\0';
        int in_has = has_col(&inc, p);
        *q = ',';
        char col[128];
        snprintf(col, sizeof col, "%.*s", (int)(q - p), p);
        sb_add(&names, "%s%s", names.ncol++ ? ", " : "", col);
        sb_add(&sel, "%s%s", sel.ncol++ ? ", " : "", in_has ? col : "NULL");
        if (strcmp(col, pk) != 0) {
            sb_add(&cmp, "%sWHEN m.%s IS NOT %s%s THEN '%s'", ncmp++ ? " " : "", col, in_has ? "i." : "", in_has ? col : "NULL", col);
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
            rc = prepare(d, sql, &st, e);
            if (rc == MP_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                    rc = mp_errf(e, MP_ECHECK, "%s: %s row '%s' differs from the one already merged in column %s",
                                 src, table, col_text(st, 0), col_text(st, 1));
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
            rc = exec(d, sql, e);
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
    /* open it once on its own: recovers its WAL and checks it is one of ours */
    Db *in = NULL;
    int rc = db_open(src, DB_READ, &in, e);
    db_close(in, NULL);
    if (rc)
        return rc;
    sqlite3_stmt *at;
    rc = prepare(d, "ATTACH DATABASE ? AS src", &at, e);
    if (rc)
        return rc;
    sqlite3_bind_text(at, 1, src, -1, SQLITE_STATIC);
    int s = sqlite3_step(at);
    sqlite3_finalize(at);
    if (s != SQLITE_DONE)
        return sql_err(d, e, "attach");
    rc = check_version(d, "src", src, e);
    if (rc == MP_OK)
        rc = db_begin(d, e);
    if (rc == MP_OK) {
        rc = merge_table(d, "results", "key", src, &st->added, &st->same, e);
        if (rc == MP_OK)
            rc = merge_table(d, "accuracy", "acc_key", src, &st->acc_added, NULL, e);
        if (rc == MP_OK)
            rc = exec(d, "INSERT OR IGNORE INTO main.infeasible SELECT * FROM src.infeasible", e);
        if (rc == MP_OK)
            rc = exec(d, "INSERT OR IGNORE INTO main.specs SELECT * FROM src.specs", e);
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
