/* dse/db.h — the sweep results database (SQLite): schema, writes, reads, merging shards.
 *
 * Tables (docs/dse.md has every column):
 *   meta        name -> value; schema_version = DB_SCHEMA_VERSION
 *   results     one row per (design point, workload), primary key `key` (dse/sweep.h): the
 *               design (arch label, base, swept params, one column per config key, the resolved
 *               config text), the workload, the simulated totals, area, energy by component and
 *               the accuracy of the kind's format on the model
 *   accuracy    one row per (format, group size, model, study settings): SQNRs in dB
 *   infeasible  rows that cannot run (e.g. no mapping fits the buffers), so re-runs skip them
 *   specs       the text of every sweep spec that wrote into the file
 *
 * Writes: the file is in WAL mode with synchronous = NORMAL and one writer; a row is written by
 * one INSERT inside a transaction, so a killed writer loses only the uncommitted transaction and
 * never leaves a partial row.
 */
#ifndef MP_SIM_DB_H
#define MP_SIM_DB_H

#include <stdint.h>

#include "base/err.h"
#include "sim/config.h"
#include "sim/energy.h"
#include "sim/events.h"

/* 2: the request columns (prompt, gen, ttft_s, tpot_s, tokens_per_s, j_per_token); a version-1
 * file is refused (docs/dse.md §3: never migrated). */
#define DB_SCHEMA_VERSION 2

typedef struct Db Db;

enum { DB_READ, DB_WRITE };

/* Both modes first check the file, reading only: it must hold exactly the tables and columns this
 * build makes (docs/dse.md §3), else MP_EINPUT naming the file and the first difference, and the file
 * is not changed. DB_WRITE then switches it to WAL and, when it is empty or new, makes the tables;
 * DB_READ needs an existing mpsim database. A file is never repaired or migrated. */
int db_open(const char *path, int mode, Db **out, MpErr *e) MP_MUST_CHECK;
/* Close (a writer checkpoints the WAL into the main file first). NULL is fine. */
int db_close(Db *d, MpErr *e);
struct sqlite3 *db_sqlite(Db *d);

int db_begin(Db *d, MpErr *e) MP_MUST_CHECK;
int db_commit(Db *d, MpErr *e) MP_MUST_CHECK;
void db_rollback(Db *d);

/* Call fn for the key of every row of `table` ("results" or "infeasible"), parsed from hex. */
int db_each_key(Db *d, const char *table, void (*fn)(void *ctx, uint64_t key), void *ctx, MpErr *e) MP_MUST_CHECK;

/* One results row to write. */
typedef struct DbRow {
    char key[17];
    const char *arch, *base, *params, *config_text;
    const ArchConfig *cfg;
    const char *workload, *model, *phase; /* phase: "prefill", "decode", "request", "layers" */
    int64_t seq, kv, batch;               /* 0 = does not apply (stored as NULL)             */
    int64_t prompt, gen;                  /* a request's; 0 otherwise (NULL)                 */
    int request;                          /* 1: the four request figures below are stored    */
    double ttft_s, tpot_s, tokens_per_s, j_per_token; /* else NULL                           */
    const char *fidelity;
    SimEvents total;
    double seconds, utilization, area_mm2;
    EnergyBreakdown energy;
    const char *acc_format, *acc_key;     /* NULL: no accuracy                               */
    double accuracy_db;
    int has_accuracy;
} DbRow;
int db_put_result(Db *d, const DbRow *r, MpErr *e) MP_MUST_CHECK;
int db_put_infeasible(Db *d, const char *key, const char *arch, const char *workload, const char *config,
                      const char *message, MpErr *e) MP_MUST_CHECK;
int db_put_spec(Db *d, const char *name, const char *text, MpErr *e) MP_MUST_CHECK;

/* One accuracy row. */
typedef struct DbAcc {
    char key[320];            /* "format=F group=G model=M layers=L rows=R tokens=T seed=S"     */
    char format[48], model[256];
    int group_size, layers, rows, tokens;
    int64_t seed;
    int ok;                   /* 0: the study failed (message says why), values are NULL        */
    double sqnr_db, ideal_db, weight_db, hw_vs_ideal_db;
    int gemms;
    char message[512];
} DbAcc;
int db_put_accuracy(Db *d, const DbAcc *a, MpErr *e) MP_MUST_CHECK;
/* *found = 0 when there is no row with a->key; otherwise *a is filled. */
int db_get_accuracy(Db *d, DbAcc *a, int *found, MpErr *e) MP_MUST_CHECK;
/* Every accuracy row, ordered by model, format, group. */
int db_load_accuracy(Db *d, DbAcc **rows, int *n, MpErr *e) MP_MUST_CHECK;

/* One results row as read back for reports. */
typedef struct DbPoint {
    char key[17];
    char arch[256], base[128], pe_kind[32], dataflow[8], dram_tech[16];
    char workload[320], model[256], phase[16];
    char *params, *config;    /* owned */
    int64_t seq, kv, batch, prompt, gen;
    int has_request;          /* a request row: the four figures below are set              */
    double ttft_s, tpot_s, tokens_per_s, j_per_token;
    int rows, cols, weight_bits, group_size, dram_bits_per_cycle;
    double clock_mhz;
    int64_t cycles, macs;
    double seconds, dram_bytes, utilization, area_mm2;
    double energy_pj, e_pe, e_sram, e_dram, e_decoder, e_dequant, e_leakage, e_other;
    int has_accuracy;
    double accuracy_db;
    char acc_format[48];
} DbPoint;
/* Every results row, ordered by model, phase (prefill first), seq, kv, batch, then arch. */
int db_load_points(Db *d, DbPoint **pts, int *n, MpErr *e) MP_MUST_CHECK;
void db_points_free(DbPoint *pts, int n);

/* Every value of `results` and `accuracy` fits its column (db_load_points, db_load_accuracy) and
 * every key of `results` and `infeasible` is 16 lowercase hex digits (db_each_key); else MP_EINPUT
 * naming the file, the row and the column. */
int db_check_values(Db *d, MpErr *e) MP_MUST_CHECK;

int db_count(Db *d, const char *table, int64_t *n, MpErr *e) MP_MUST_CHECK;
/* PRAGMA integrity_check: MP_ECHECK with its first message unless it says "ok". */
int db_check_integrity(Db *d, MpErr *e) MP_MUST_CHECK;

typedef struct DbMergeStats {
    int64_t added, same;              /* results rows copied / already there and identical    */
    int64_t acc_added, infeasible_added;
} DbMergeStats;
/* Merge databases into out (created if missing): rows whose key is already there must be equal
 * in every column, else MP_ECHECK naming the key and column. All or nothing: the merged file is
 * built beside out and renamed over it at the end. Each input is checked first (db_open,
 * db_check_values): a bad input is MP_EINPUT naming it. */
int db_merge(const char *out, char *const *in, int nin, DbMergeStats *st, MpErr *e) MP_MUST_CHECK;

#endif
