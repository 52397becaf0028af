/* dse/db.c — see db.h. The SQLite side: statements made from the column tables of db_int.h,
 * the read-only schema check, schema creation, writes, reads (merging: db_merge.c). */
#include "dse/db.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/parse.h"
#include "dse/db_int.h"

/* ------------------------------------------------------------------ SQL text from the column tables */


void dbi_sb_add(SqlBuf *b, const char *fmt, ...) MP_PRINTF(2, 3);
void dbi_sb_add(SqlBuf *b, const char *fmt, ...)
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
    dbi_sb_add(b, "%s\n  %s %s", b->ncol++ ? "," : "", name, decl);
}

static void emit_names(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    (void)decl;
    (void)v;
    (void)rd;
    SqlBuf *b = ctx;
    dbi_sb_add(b, "%s%s", b->ncol++ ? ", " : "", name);
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

const char *dbi_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

typedef struct ReadCtx {
    sqlite3_stmt *st;
    char *row;        /* the struct read into                                  */
    int col;          /* next result column                                    */
    int oom;
    char bad[320];    /* the first value that is not of its column's type, or "" */
} ReadCtx;

/* Whether the value of result column c fits the column's declaration: an INTEGER column holds an
 * integer, a REAL column a finite number (an integer is fine), a TEXT column text; NULL only where
 * the declaration allows it. SQLite's type affinity alone lets a REAL column hold text or
 * infinity. Else a description of the value into bad. */
static int value_ok(sqlite3_stmt *st, int c, const char *name, const char *decl, char *bad, size_t cap)
{
    int type = sqlite3_column_type(st, c);
    int is_int = !strncmp(decl, "INTEGER", 7), is_real = !strncmp(decl, "REAL", 4);
    const char *want = is_int ? "an integer" : is_real ? "a finite number" : "text";
    int ok;
    if (type == SQLITE_NULL)
        ok = strstr(decl, "NOT NULL") == NULL;
    else if (is_int)
        ok = type == SQLITE_INTEGER;
    else if (is_real)
        ok = type == SQLITE_INTEGER || (type == SQLITE_FLOAT && isfinite(sqlite3_column_double(st, c)));
    else
        ok = type == SQLITE_TEXT;
    if (ok)
        return 1;
    char val[48];
    if (type == SQLITE_NULL)
        snprintf(val, sizeof val, "NULL");
    else if (type == SQLITE_BLOB)
        snprintf(val, sizeof val, "a blob");
    else if (type == SQLITE_TEXT)
        snprintf(val, sizeof val, "'%.32s'%s", dbi_col_text(st, c), strlen(dbi_col_text(st, c)) > 32 ? "..." : "");
    else
        snprintf(val, sizeof val, "%g", sqlite3_column_double(st, c));
    snprintf(bad, cap, "column %s holds %s, not %s", name, val, want);
    return 0;
}

/* Check the next result column against its declaration, then read it into its field when it is
 * read back (the SELECT lists every column, as emit_names names them). */
static void emit_read(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd)
{
    (void)v;
    ReadCtx *x = ctx;
    int c = x->col++;
    if (!x->bad[0] && !value_ok(x->st, c, name, decl, x->bad, sizeof x->bad))
        return;
    if (rd.t == R_NONE || x->bad[0])
        return;
    char *f = x->row + rd.off;
    if (rd.set != NO_SET) /* before the value is read: a conversion would change the type */
        *(int *)(x->row + rd.set) = sqlite3_column_type(x->st, c) != SQLITE_NULL;
    switch (rd.t) {
    case R_TEXT: snprintf(f, rd.size, "%s", dbi_col_text(x->st, c)); break;
    case R_DUP:
        if (!(*(char **)f = mp_strdup(dbi_col_text(x->st, c))))
            x->oom = 1;
        break;
    case R_INT: {
        int64_t i = sqlite3_column_int64(x->st, c);
        if (i < INT_MIN || i > INT_MAX)
            snprintf(x->bad, sizeof x->bad, "column %s holds %lld, out of range", name, (long long)i);
        else
            *(int *)f = (int)i;
        break;
    }
    case R_I64: *(int64_t *)f = sqlite3_column_int64(x->st, c); break;
    case R_REAL: *(double *)f = sqlite3_column_double(x->st, c); break;
    case R_NONE: break;
    }
}

/* "CREATE TABLE IF NOT EXISTS table(...);\n" */
static void sql_create(SqlBuf *b, const char *table, DbColumnsFn cols)
{
    dbi_sb_add(b, "CREATE TABLE IF NOT EXISTS %s(", table);
    b->ncol = 0;
    cols(NULL, emit_create, b);
    dbi_sb_add(b, ");\n");
}

/* "INSERT OR IGNORE INTO table(every column) VALUES(?, ...)" */
static void sql_insert(SqlBuf *b, const char *table, DbColumnsFn cols)
{
    dbi_sb_add(b, "INSERT OR IGNORE INTO %s(", table);
    b->ncol = 0;
    cols(NULL, emit_names, b);
    dbi_sb_add(b, ") VALUES(");
    for (int i = 0; i < b->ncol; i++)
        dbi_sb_add(b, "%s?", i ? "," : "");
    dbi_sb_add(b, ")");
}

/* "SELECT (every column) FROM table tail" */
static void sql_select(SqlBuf *b, const char *table, DbColumnsFn cols, const char *tail)
{
    dbi_sb_add(b, "SELECT ");
    b->ncol = 0;
    cols(NULL, emit_names, b);
    dbi_sb_add(b, " FROM %s%s", table, tail);
}

/* ------------------------------------------------------------------ helpers */

int dbi_sql_err(Db *d, MpErr *e, const char *what)
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

int dbi_exec(Db *d, const char *sql, MpErr *e)
{
    char *msg = NULL;
    if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = dbi_sql_err(d, e, msg ? msg : "SQL error");
        sqlite3_free(msg);
        return rc;
    }
    return MP_OK;
}

int dbi_prepare(Db *d, const char *sql, sqlite3_stmt **st, MpErr *e)
{
    if (sqlite3_prepare_v2(d->h, sql, -1, st, NULL) != SQLITE_OK)
        return dbi_sql_err(d, e, "prepare");
    return MP_OK;
}

/* Prepare the statement a SqlBuf holds, and free the buffer. */
static int prepare_buf(Db *d, SqlBuf *b, sqlite3_stmt **st, MpErr *e)
{
    int rc = b->oom ? mp_errf(e, MP_ENOMEM, "out of memory") : dbi_prepare(d, b->s, st, e);
    mp_free(b->s);
    memset(b, 0, sizeof *b);
    return rc;
}

/* Read the current result row of a SELECT made by sql_select from `table` into `row`: MP_ENOMEM
 * (the fields read so far are set, the others NULL or zero as they were), or MP_EINPUT naming the
 * file, the row's key (the first column) and a value that does not fit its column. */
static int read_row(Db *d, const char *table, sqlite3_stmt *st, DbColumnsFn cols, void *row, MpErr *e)
{
    ReadCtx x = {st, row, 0, 0, ""};
    cols(NULL, emit_read, &x);
    if (x.bad[0])
        return mp_errf(e, MP_EINPUT, "%s: %s row '%.64s': %s", d->path, table, dbi_col_text(st, 0), x.bad);
    return x.oom ? mp_errf(e, MP_ENOMEM, "out of memory") : MP_OK;
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
        rc = read_row(d, table, st, cols, row, e);
    }
    if (rc == MP_OK && s != SQLITE_DONE)
        rc = dbi_sql_err(d, e, what);
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
int dbi_table_columns(Db *d, const char *schema, const char *table, SqlBuf *cols, MpErr *e)
{
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA %s.table_info(%s)", schema, table);
    sqlite3_stmt *st;
    int rc = dbi_prepare(d, sql, &st, e);
    if (rc)
        return rc;
    dbi_sb_add(cols, ",");
    while (sqlite3_step(st) == SQLITE_ROW)
        dbi_sb_add(cols, "%s,", (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    return cols->oom ? mp_errf(e, MP_ENOMEM, "out of memory") : MP_OK;
}

int dbi_has_col(const SqlBuf *cols, const char *name)
{
    char k[128];
    snprintf(k, sizeof k, ",%s,", name);
    return cols->s && strstr(cols->s, k) != NULL;
}


/* The CREATE statements of our tables (the schema_version row aside). */
static int schema_create_sql(SqlBuf *b, MpErr *e)
{
    dbi_sb_add(b, "%s", schema_sql);
    sql_create(b, "accuracy", db_acc_columns);
    sql_create(b, "results", db_result_columns);
    return b->oom ? mp_errf(e, MP_ENOMEM, "out of memory") : MP_OK;
}

/* One column as PRAGMA table_info describes it. */
typedef struct SchemaCol {
    char name[64], type[32];
    int notnull, pk;
} SchemaCol;

/* The columns of schema.table on h (at most cap); -1 when more, or the query fails. */
static int schema_cols(sqlite3 *h, const char *schema, const char *table, SchemaCol *c, int cap)
{
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA \"%s\".table_info(\"%s\")", schema, table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int n = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            n = -1;
            break;
        }
        const unsigned char *nm = sqlite3_column_text(st, 1), *ty = sqlite3_column_text(st, 2);
        snprintf(c[n].name, sizeof c[n].name, "%s", nm ? (const char *)nm : "");
        snprintf(c[n].type, sizeof c[n].type, "%s", ty ? (const char *)ty : "");
        c[n].notnull = sqlite3_column_int(st, 3);
        c[n].pk = sqlite3_column_int(st, 5);
        n++;
    }
    if (n >= 0 && s != SQLITE_DONE)
        n = -1;
    sqlite3_finalize(st);
    return n;
}

static int schema_col_find(const SchemaCol *c, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(c[i].name, name))
            return i;
    return -1;
}

static void schema_col_decl(const SchemaCol *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", c->type, c->pk ? " PRIMARY KEY" : "", c->notnull ? " NOT NULL" : "");
}

/* Compare `table` of the file (schema of d) with the reference made from our CREATE statements: the
 * same columns in the same order with the same type, NOT NULL and primary key. */
static int schema_table_check(Db *d, sqlite3 *ref, const char *schema, const char *name, const char *table,
                              SchemaCol *want, SchemaCol *have, int cap, MpErr *e)
{
    int nw = schema_cols(ref, "main", table, want, cap);
    int nh = schema_cols(d->h, schema, table, have, cap);
    if (nw < 0)
        return mp_errf(e, MP_EINTERNAL, "reference schema: cannot read table %s", table);
    if (nh < 0)
        return dbi_sql_err(d, e, "read the schema");
    if (nh == 0)
        return mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database of this version: no table %s", name, table);
    for (int i = 0; i < nw; i++)
        if (schema_col_find(have, nh, want[i].name) < 0)
            return mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database of this version: table %s has no column %s",
                           name, table, want[i].name);
    for (int i = 0; i < nh; i++)
        if (schema_col_find(want, nw, have[i].name) < 0)
            return mp_errf(e, MP_EINPUT,
                           "%s: not an mpsim sweep database of this version: table %s has a column %s that mpsim "
                           "does not write",
                           name, table, have[i].name);
    for (int i = 0; i < nw; i++) {
        char a[96], b[96];
        schema_col_decl(&want[i], a, sizeof a);
        schema_col_decl(&have[i], b, sizeof b);
        if (strcmp(want[i].name, have[i].name) != 0)
            return mp_errf(e, MP_EINPUT,
                           "%s: not an mpsim sweep database of this version: table %s has column %s where %s belongs",
                           name, table, have[i].name, want[i].name);
        if (strcmp(a, b) != 0)
            return mp_errf(e, MP_EINPUT,
                           "%s: not an mpsim sweep database of this version: column %s.%s is declared '%s', not '%s'",
                           name, table, want[i].name, b, a);
    }
    return MP_OK;
}

/* Check, reading only, that the database `schema` of d (the file `name`) is exactly ours: the
 * schema version, our tables and nothing else but indexes (no other table, view or trigger), each
 * table's columns as we make them. *empty = 1 (and MP_OK) when the file has nothing in it yet.
 * Else MP_EINPUT naming the file and the first difference. */
static int check_schema(Db *d, const char *schema, const char *name, int *empty, MpErr *e)
{
    static const char *const ours[] = {"meta", "infeasible", "specs", "accuracy", "results"};
    enum { NOURS = sizeof ours / sizeof ours[0], CAP = 512 };
    *empty = 0;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT type, name FROM \"%s\".sqlite_master WHERE type != 'index' AND name NOT LIKE 'sqlite\\_%%' "
             "ESCAPE '\\' ORDER BY name",
             schema);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK)
        return dbi_sql_err(d, e, "read the schema");
    int n = 0, has_meta = 0, s, rc = MP_OK;
    char other[160] = "";
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = dbi_col_text(st, 0), *tn = dbi_col_text(st, 1);
        n++;
        int k = 0;
        while (k < NOURS && strcmp(ours[k], tn) != 0)
            k++;
        if (!strcmp(tn, "meta"))
            has_meta = 1;
        if ((k == NOURS || strcmp(type, "table") != 0) && !other[0])
            snprintf(other, sizeof other, "%s %.128s", type, tn);
    }
    if (s != SQLITE_DONE)
        rc = dbi_sql_err(d, e, "read the schema");
    sqlite3_finalize(st);
    if (rc)
        return rc;
    if (n == 0) {
        *empty = 1;
        return MP_OK;
    }
    if (!has_meta)
        return mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (no meta table)", name);
    rc = dbi_check_version(d, schema, name, e);
    if (rc)
        return rc;
    if (other[0])
        return mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database of this version: it holds %s, which mpsim "
                       "does not make", name, other);
    /* the reference: our CREATE statements run on an empty database in memory */
    sqlite3 *ref = NULL;
    SqlBuf b = {0};
    SchemaCol *want = mp_malloc(2 * CAP * sizeof *want);
    if (!want)
        rc = mp_errf(e, MP_ENOMEM, "out of memory");
    if (rc == MP_OK)
        rc = schema_create_sql(&b, e);
    if (rc == MP_OK && sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        rc = mp_errf(e, MP_ENOMEM, "reference schema: out of memory");
    if (rc == MP_OK && sqlite3_exec(ref, b.s, NULL, NULL, NULL) != SQLITE_OK)
        rc = mp_errf(e, MP_EINTERNAL, "reference schema: %s", sqlite3_errmsg(ref));
    for (int k = 0; rc == MP_OK && k < NOURS; k++)
        rc = schema_table_check(d, ref, schema, name, ours[k], want, want + CAP, CAP, e);
    sqlite3_close(ref);
    mp_free(b.s);
    mp_free(want);
    return rc;
}

/* Make our tables in a file that has nothing in it yet. */
static int create_schema(Db *d, MpErr *e)
{
    int rc = dbi_exec(d, "BEGIN IMMEDIATE", e), empty = 0;
    if (rc)
        return rc;
    /* another process may have written into the file since it was checked */
    rc = check_schema(d, "main", d->path, &empty, e);
    SqlBuf b = {0};
    if (rc == MP_OK && empty) {
        rc = schema_create_sql(&b, e);
        dbi_sb_add(&b, "CREATE INDEX IF NOT EXISTS results_workload ON results(workload);\n");
        if (rc == MP_OK)
            rc = b.oom ? mp_errf(e, MP_ENOMEM, "out of memory") : dbi_exec(d, b.s, e);
    }
    mp_free(b.s);
    if (rc == MP_OK)
        rc = dbi_exec(d, "COMMIT", e);
    else
        db_rollback(d);
    return rc;
}

int dbi_check_version(Db *d, const char *schema, const char *name, MpErr *e)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT value FROM %s.meta WHERE name = 'schema_version'", schema);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->h, sql, -1, &st, NULL) != SQLITE_OK) {
        int code = sqlite3_errcode(d->h);
        if (code == SQLITE_ERROR) /* no meta table */
            return mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (no meta table)", name);
        return dbi_sql_err(d, e, "read schema version");
    }
    int rc = MP_OK;
    int64_t v = -1;
    const char *txt = NULL;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (no schema_version)", name);
    else if (!(txt = (const char *)sqlite3_column_text(st, 0)) || mp_parse_i64(txt, &v) != 0)
        /* NULL, a blob or text that is no integer: found by fuzz_db (a NULL reached atoi) */
        rc = mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (schema_version is not a whole number)", name);
    else if (v != DB_SCHEMA_VERSION)
        rc = mp_errf(e, MP_EINPUT,
                     "%s: database schema version %lld; this mpsim reads version %d (version 2 added the request "
                     "columns; a database is never migrated: sweep into a new file)",
                     name, (long long)v, DB_SCHEMA_VERSION);
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
        rc = d->h ? dbi_sql_err(d, e, "cannot open") : mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    if (rc == MP_OK) {
        sqlite3_busy_timeout(d->h, 10000);
        sqlite3_extended_result_codes(d->h, 0);
    }
    /* the file is checked reading only: nothing is changed in a file that is refused */
    int empty = 0;
    if (rc == MP_OK)
        rc = check_schema(d, "main", d->path, &empty, e);
    if (rc == MP_OK && empty && mode == DB_READ)
        rc = mp_errf(e, MP_EINPUT, "%s: not an mpsim sweep database (no tables)", path);
    if (rc == MP_OK && mode == DB_WRITE) {
        /* WAL: a commit is one append to the log; NORMAL: no fsync per commit. A killed process
         * loses nothing committed; a power cut may lose the last commits but never corrupts. */
        rc = dbi_exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", e);
        if (rc == MP_OK && empty)
            rc = create_schema(d, e);
    }
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

int db_begin(Db *d, MpErr *e) { return dbi_exec(d, "BEGIN IMMEDIATE", e); }
int db_commit(Db *d, MpErr *e) { return dbi_exec(d, "COMMIT", e); }
void db_rollback(Db *d) { sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL); }

/* ------------------------------------------------------------------ writes */

static int step_done(Db *d, sqlite3_stmt *st, const char *what, MpErr *e)
{
    int s = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return s == SQLITE_DONE ? MP_OK : dbi_sql_err(d, e, what);
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
        return dbi_sql_err(d, e, "bind");
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
        (rc = dbi_prepare(d, "INSERT OR IGNORE INTO infeasible VALUES(?,?,?,?,?)", &d->put_infeasible, e)) != MP_OK)
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
    if (!d->put_spec && (rc = dbi_prepare(d, "INSERT OR IGNORE INTO specs VALUES(?,?)", &d->put_spec, e)) != MP_OK)
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
    int s = sqlite3_step(d->get_acc), rc = MP_OK;
    if (s == SQLITE_ROW) {
        memset(a, 0, sizeof *a);
        rc = read_row(d, "accuracy", d->get_acc, db_acc_columns, a, e);
        *found = rc == MP_OK;
    } else if (s != SQLITE_DONE)
        rc = dbi_sql_err(d, e, "read accuracy");
    sqlite3_reset(d->get_acc);
    sqlite3_clear_bindings(d->get_acc);
    return rc;
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
    int rc = dbi_prepare(d, sql, &st, e), s;
    if (rc)
        return rc;
    while (rc == MP_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        /* a key is 16 lowercase hex digits (docs/dse.md §2); any other text would read as some
         * other row's key and make the sweep skip it */
        const char *k = dbi_col_text(st, 0);
        if (sqlite3_column_type(st, 0) != SQLITE_TEXT || strlen(k) != 16 || strspn(k, "0123456789abcdef") != 16)
            rc = mp_errf(e, MP_EINPUT, "%s: %s row '%.64s': the key is not 16 lowercase hex digits", d->path,
                         table, k);
        else
            fn(ctx, strtoull(k, NULL, 16));
    }
    sqlite3_finalize(st);
    return rc ? rc : s == SQLITE_DONE ? MP_OK : dbi_sql_err(d, e, "read keys");
}

int db_count(Db *d, const char *table, int64_t *n, MpErr *e)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    int rc = dbi_prepare(d, sql, &st, e);
    if (rc)
        return rc;
    *n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return MP_OK;
}

int db_check_integrity(Db *d, MpErr *e)
{
    sqlite3_stmt *st;
    int rc = dbi_prepare(d, "PRAGMA integrity_check", &st, e);
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = dbi_sql_err(d, e, "integrity_check");
    else if (strcmp(dbi_col_text(st, 0), "ok") != 0)
        rc = mp_errf(e, MP_ECHECK, "%s: integrity_check: %s", d->path, dbi_col_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

int db_load_points(Db *d, DbPoint **pts, int *n, MpErr *e)
{
    void *v = NULL;
    int rc = load_rows(d, "results", db_result_columns,
                       " ORDER BY model, phase = 'decode', phase, seq, kv, prompt, gen, batch, arch, key", sizeof **pts, 64, &v, n,
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

static void key_ignored(void *ctx, uint64_t key)
{
    (void)ctx;
    (void)key;
}

int db_check_values(Db *d, MpErr *e)
{
    DbPoint *p = NULL;
    DbAcc *a = NULL;
    int n = 0, na = 0;
    int rc = db_load_points(d, &p, &n, e);
    db_points_free(p, n);
    if (rc == MP_OK)
        rc = db_load_accuracy(d, &a, &na, e);
    mp_free(a);
    if (rc == MP_OK)
        rc = db_each_key(d, "results", key_ignored, NULL, e);
    if (rc == MP_OK)
        rc = db_each_key(d, "infeasible", key_ignored, NULL, e);
    return rc;
}

