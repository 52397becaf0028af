/* dse/db_columns.c — the columns of the sweep database's `results` and `accuracy` tables; see
 * db_int.h. A new column is one emit() line here: its name, its SQL declaration, the value written
 * and the field it is read back into. */
#include "dse/db_int.h"

#include <stdio.h>
#include <string.h>

#include "base/inischema.h"
#include "sim/config.h"

#define RD_(T, S, m, set) {T, offsetof(S, m), sizeof(((S *)0)->m), set}
#define RD(T, S, m) ((DbRead)RD_(T, S, m, NO_SET))
#define NOT_READ ((DbRead){R_NONE, 0, 0, NO_SET})

static DbVal vi(int64_t i) { return (DbVal){V_INT, i, 0, NULL}; }
static DbVal vd(double d) { return (DbVal){V_REAL, 0, d, NULL}; }
static DbVal vs(const char *s) { return s ? (DbVal){V_TEXT, 0, 0, s} : (DbVal){V_NULL, 0, 0, NULL}; }
static DbVal vnull(void) { return (DbVal){V_NULL, 0, 0, NULL}; }
static DbVal vi0(int64_t i) { return i ? vi(i) : vnull(); } /* 0 -> NULL */

/* Column of a config key: arch.X -> X, other sections -> section_X. */
static void config_column(const IniKey *k, char *buf, size_t cap)
{
    if (!strcmp(k->section, "arch"))
        snprintf(buf, cap, "%s", k->key);
    else
        snprintf(buf, cap, "%s_%s", k->section, k->key);
}

static int config_column_kept(const IniKey *k)
{
    return strcmp(k->key, "name") != 0 && strcmp(k->key, "config_version") != 0;
}

#define PT(T, m) RD(T, DbPoint, m)

/* The config columns a DbPoint keeps (the whole config is in its `config` text). */
static DbRead point_config_field(const char *column)
{
    static const struct {
        const char *column;
        DbRead rd;
    } f[] = {
        {"pe_kind", RD_(R_TEXT, DbPoint, pe_kind, NO_SET)},
        {"rows", RD_(R_INT, DbPoint, rows, NO_SET)},
        {"cols", RD_(R_INT, DbPoint, cols, NO_SET)},
        {"clock_mhz", RD_(R_REAL, DbPoint, clock_mhz, NO_SET)},
        {"dataflow", RD_(R_TEXT, DbPoint, dataflow, NO_SET)},
        {"quant_weight_bits", RD_(R_INT, DbPoint, weight_bits, NO_SET)},
        {"quant_group_size", RD_(R_INT, DbPoint, group_size, NO_SET)},
        {"dram_bits_per_cycle", RD_(R_INT, DbPoint, dram_bits_per_cycle, NO_SET)},
        {"dram_tech", RD_(R_TEXT, DbPoint, dram_tech, NO_SET)},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!strcmp(f[i].column, column))
            return f[i].rd;
    return NOT_READ;
}

void db_result_columns(const void *row, DbEmitFn emit, void *ctx)
{
    static const DbRow zero;
    static const ArchConfig zcfg;
    const DbRow *r = row ? row : &zero;
    const ArchConfig *c = r->cfg ? r->cfg : &zcfg;
    const SimEvents *t = &r->total;
    const EnergyBreakdown *en = &r->energy;
    emit(ctx, "key", "TEXT PRIMARY KEY NOT NULL", vs(r->key), PT(R_TEXT, key));
    emit(ctx, "schema_version", "INTEGER NOT NULL", vi(DB_SCHEMA_VERSION), NOT_READ);
    emit(ctx, "arch", "TEXT NOT NULL", vs(r->arch ? r->arch : ""), PT(R_TEXT, arch));
    emit(ctx, "base", "TEXT NOT NULL", vs(r->base ? r->base : ""), PT(R_TEXT, base));
    emit(ctx, "params", "TEXT NOT NULL", vs(r->params ? r->params : ""), PT(R_DUP, params));
    for (int i = 0; i < arch_schema_len; i++) {
        const IniKey *k = &arch_schema[i];
        if (!config_column_kept(k))
            continue;
        char name[96];
        config_column(k, name, sizeof name);
        const char *f = (const char *)c + k->offset;
        DbRead rd = point_config_field(name);
        switch (k->type) {
        case INI_INT:
        case INI_BOOL: emit(ctx, name, "INTEGER", vi(*(const int *)f), rd); break;
        case INI_F64: emit(ctx, name, "REAL", vd(*(const double *)f), rd); break;
        case INI_ENUM: emit(ctx, name, "TEXT", vs(k->names[*(const int *)f]), rd); break;
        case INI_STR: emit(ctx, name, "TEXT", vs(f), rd); break;
        }
    }
    emit(ctx, "pes", "INTEGER", vi((int64_t)c->cores * c->rows * c->cols), NOT_READ); /* every core's */
    emit(ctx, "workload", "TEXT NOT NULL", vs(r->workload ? r->workload : ""), PT(R_TEXT, workload));
    emit(ctx, "model", "TEXT NOT NULL", vs(r->model ? r->model : ""), PT(R_TEXT, model));
    emit(ctx, "phase", "TEXT NOT NULL", vs(r->phase ? r->phase : ""), PT(R_TEXT, phase));
    emit(ctx, "seq", "INTEGER", vi0(r->seq), PT(R_I64, seq));
    emit(ctx, "kv", "INTEGER", vi0(r->kv), PT(R_I64, kv));
    emit(ctx, "batch", "INTEGER", vi(r->batch), PT(R_I64, batch));
    emit(ctx, "prompt", "INTEGER", vi0(r->prompt), PT(R_I64, prompt));
    emit(ctx, "gen", "INTEGER", vi0(r->gen), PT(R_I64, gen));
    emit(ctx, "fidelity", "TEXT NOT NULL", vs(r->fidelity ? r->fidelity : ""), NOT_READ);
    emit(ctx, "cycles", "INTEGER NOT NULL", vi(t->cycles), PT(R_I64, cycles));
    emit(ctx, "seconds", "REAL NOT NULL", vd(r->seconds), PT(R_REAL, seconds));
    emit(ctx, "macs", "INTEGER NOT NULL", vi(t->macs), PT(R_I64, macs));
    emit(ctx, "dram_bytes", "REAL NOT NULL", vd((double)(t->dram_read_bits + t->dram_write_bits) / 8),
         PT(R_REAL, dram_bytes));
    emit(ctx, "utilization", "REAL NOT NULL", vd(r->utilization), PT(R_REAL, utilization));
    emit(ctx, "area_mm2", "REAL NOT NULL", vd(r->area_mm2), PT(R_REAL, area_mm2));
    emit(ctx, "energy_pj", "REAL NOT NULL", vd(en->total), PT(R_REAL, energy_pj));
    emit(ctx, "energy_pe_pj", "REAL NOT NULL", vd(en->pe), PT(R_REAL, e_pe));
    emit(ctx, "energy_sram_pj", "REAL NOT NULL", vd(en->sram), PT(R_REAL, e_sram));
    emit(ctx, "energy_dram_pj", "REAL NOT NULL", vd(en->dram), PT(R_REAL, e_dram));
    emit(ctx, "energy_decoder_pj", "REAL NOT NULL", vd(en->decoder), PT(R_REAL, e_decoder));
    emit(ctx, "energy_dequant_pj", "REAL NOT NULL", vd(en->dequant), PT(R_REAL, e_dequant));
    emit(ctx, "energy_leakage_pj", "REAL NOT NULL", vd(en->leakage), PT(R_REAL, e_leakage));
    emit(ctx, "energy_other_pj", "REAL NOT NULL", vd(en->other), PT(R_REAL, e_other));
    emit(ctx, "accuracy_db", "REAL", r->has_accuracy ? vd(r->accuracy_db) : vnull(),
         (DbRead)RD_(R_REAL, DbPoint, accuracy_db, offsetof(DbPoint, has_accuracy)));
    emit(ctx, "acc_format", "TEXT", vs(r->acc_format), PT(R_TEXT, acc_format));
    /* a request's figures (sim/infer.h); NULL on prefill, decode and layers rows */
    emit(ctx, "ttft_s", "REAL", r->request ? vd(r->ttft_s) : vnull(),
         (DbRead)RD_(R_REAL, DbPoint, ttft_s, offsetof(DbPoint, has_request)));
    emit(ctx, "tpot_s", "REAL", r->request ? vd(r->tpot_s) : vnull(), PT(R_REAL, tpot_s));
    emit(ctx, "tokens_per_s", "REAL", r->request ? vd(r->tokens_per_s) : vnull(), PT(R_REAL, tokens_per_s));
    emit(ctx, "j_per_token", "REAL", r->request ? vd(r->j_per_token) : vnull(), PT(R_REAL, j_per_token));
    emit(ctx, "acc_key", "TEXT", vs(r->acc_key), NOT_READ);
    emit(ctx, "compute_cycles", "INTEGER NOT NULL", vi(t->compute_cycles), NOT_READ);
    emit(ctx, "stall_cycles", "INTEGER NOT NULL", vi(t->stall_cycles), NOT_READ);
    emit(ctx, "dram_read_bits", "INTEGER NOT NULL", vi(t->dram_read_bits), NOT_READ);
    emit(ctx, "dram_write_bits", "INTEGER NOT NULL", vi(t->dram_write_bits), NOT_READ);
    emit(ctx, "pe_busy", "INTEGER NOT NULL", vi(t->pe_busy), NOT_READ);
    emit(ctx, "pe_total", "INTEGER NOT NULL", vi(t->pe_total), NOT_READ);
    emit(ctx, "decoder_ops", "INTEGER NOT NULL", vi(t->decoder_ops), NOT_READ);
    emit(ctx, "dequant_ops", "INTEGER NOT NULL", vi(t->dequant_ops), NOT_READ);
    emit(ctx, "xsum_ops", "INTEGER NOT NULL", vi(t->xsum_ops), NOT_READ);
    emit(ctx, "config", "TEXT NOT NULL", vs(r->config_text ? r->config_text : ""), PT(R_DUP, config));
}

/* A column of `accuracy`: DbAcc is both the row written and the row read back, so one field
 * descriptor serves both ways. A failed study (ok = 0) has NULL values and a message; a study that
 * ran, values and a NULL message. */
enum { NEVER_NULL, NULL_UNLESS_OK, NULL_IF_OK };
typedef struct AccColumn {
    const char *name, *decl;
    DbRead f;
    int null;
} AccColumn;
#define ACC(name, decl, T, m, null) {name, decl, RD_(T, DbAcc, m, NO_SET), null}

static const AccColumn acc_table[] = {
    ACC("acc_key", "TEXT PRIMARY KEY NOT NULL", R_TEXT, key, NEVER_NULL),
    ACC("format", "TEXT NOT NULL", R_TEXT, format, NEVER_NULL),
    ACC("group_size", "INTEGER NOT NULL", R_INT, group_size, NEVER_NULL),
    ACC("model", "TEXT NOT NULL", R_TEXT, model, NEVER_NULL),
    ACC("layers", "INTEGER NOT NULL", R_INT, layers, NEVER_NULL),
    ACC("rows", "INTEGER NOT NULL", R_INT, rows, NEVER_NULL),
    ACC("tokens", "INTEGER NOT NULL", R_INT, tokens, NEVER_NULL),
    ACC("seed", "INTEGER NOT NULL", R_I64, seed, NEVER_NULL),
    {"sqnr_db", "REAL", RD_(R_REAL, DbAcc, sqnr_db, offsetof(DbAcc, ok)), NULL_UNLESS_OK}, /* ok: sqnr_db not NULL */
    ACC("ideal_sqnr_db", "REAL", R_REAL, ideal_db, NULL_UNLESS_OK),
    ACC("weight_sqnr_db", "REAL", R_REAL, weight_db, NULL_UNLESS_OK),
    ACC("hw_vs_ideal_db", "REAL", R_REAL, hw_vs_ideal_db, NULL_UNLESS_OK),
    ACC("gemms", "INTEGER", R_INT, gemms, NEVER_NULL),
    ACC("message", "TEXT", R_TEXT, message, NULL_IF_OK),
};

void db_acc_columns(const void *row, DbEmitFn emit, void *ctx)
{
    static const DbAcc zero;
    const DbAcc *a = row ? row : &zero;
    for (size_t i = 0; i < sizeof acc_table / sizeof acc_table[0]; i++) {
        const AccColumn *c = &acc_table[i];
        const char *f = (const char *)a + c->f.off;
        DbVal v = c->f.t == R_TEXT  ? vs(f)
                  : c->f.t == R_INT ? vi(*(const int *)f)
                  : c->f.t == R_I64 ? vi(*(const int64_t *)f)
                                    : vd(*(const double *)f);
        if ((c->null == NULL_UNLESS_OK && !a->ok) || (c->null == NULL_IF_OK && a->ok))
            v = vnull();
        emit(ctx, c->name, c->decl, v, c->f);
    }
}
