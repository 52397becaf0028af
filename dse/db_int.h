/* dse/db_int.h — inside the sweep database (dse/db.c): the column tables of `results` and
 * `accuracy` (dse/db_columns.c), from which db.c makes every CREATE TABLE, INSERT and SELECT and
 * through which it binds the values of a row written and fills the fields of a row read back, so
 * that writing and reading cannot drift apart; and what db.c shares with db_merge.c. Not for use
 * outside db*.c.
 */
#ifndef MP_DSE_DB_INT_H
#define MP_DSE_DB_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/err.h"
#include "dse/db.h"

/* An open database (db.h's handle). */
struct Db {
    sqlite3 *h;
    char *path;
    int mode;
    sqlite3_stmt *put_result, *put_infeasible, *put_acc, *get_acc, *put_spec;
};

/* A growing SQL text; oom is set (and the text left as it was) when an append cannot allocate. */
typedef struct SqlBuf {
    char *s;
    size_t n, cap;
    int oom;
    int ncol;
} SqlBuf;

/* Shared by db.c and db_merge.c (SQLite errors become MpErr with the file's name). */
void dbi_sb_add(SqlBuf *b, const char *fmt, ...) MP_PRINTF(2, 3);
int dbi_sql_err(Db *d, MpErr *e, const char *what);
int dbi_exec(Db *d, const char *sql, MpErr *e);
int dbi_prepare(Db *d, const char *sql, sqlite3_stmt **st, MpErr *e);
const char *dbi_col_text(sqlite3_stmt *st, int i);
/* Columns the table has, as one ",name,name,...," string; has_col looks one up. */
int dbi_table_columns(Db *d, const char *schema, const char *table, SqlBuf *cols, MpErr *e);
int dbi_has_col(const SqlBuf *cols, const char *name);
/* The schema version of `schema` (main or an attached name) is ours, or MP_EINPUT naming `name`. */
int dbi_check_version(Db *d, const char *schema, const char *name, MpErr *e);

/* A value to write. */
typedef enum { V_NULL, V_INT, V_REAL, V_TEXT } VType;
typedef struct DbVal {
    VType t;
    int64_t i;
    double d;
    const char *s;
} DbVal;

/* Where a column lands when a row is read back into a struct (DbPoint, DbAcc): the field's type,
 * offset and size, and `set`, the offset of an int field made 1 when the value is not NULL (NO_SET:
 * none). R_DUP: an owned copy (mp_strdup) in a char * field. R_NONE: the column is written, never
 * read back. */
typedef enum { R_NONE, R_TEXT, R_DUP, R_INT, R_I64, R_REAL } RType;
typedef struct DbRead {
    RType t;
    size_t off, size, set;
} DbRead;
#define NO_SET ((size_t)-1)

/* emit(ctx, column, declaration, value, read) once per column, in table order. */
typedef void (*DbEmitFn)(void *ctx, const char *name, const char *decl, DbVal v, DbRead rd);
/* A table's columns; row: the values to write (NULL: zeros, when only the names are wanted). */
typedef void (*DbColumnsFn)(const void *row, DbEmitFn emit, void *ctx);

/* `results`: one column per config key (arch.X -> X, other sections -> section_X; arch.name and
 * mpsim.config_version left out) among the workload, totals, energy and accuracy columns; written
 * from a DbRow, read back into a DbPoint. */
void db_result_columns(const void *row, DbEmitFn emit, void *ctx);
/* `accuracy`: written from and read back into a DbAcc. */
void db_acc_columns(const void *row, DbEmitFn emit, void *ctx);

#endif
