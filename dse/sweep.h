/* dse/sweep.h — sweep specs: a base design, parameters as value lists, workloads; expanded into
 * design points, each keyed by a stable hash (docs/dse.md has the format and the key).
 *
 * A spec is an INI file validated by one schema table (base/inischema.h), like every config:
 *
 *   [sweep]    name, base (presets or config files, a list; "iso/" + "*" = every preset of a folder),
 *              fidelity, seed
 *   [params]   one optional key per accelerator config key, written section.key (arch.rows,
 *              sram.weight_kib, ...): a comma-separated list of values and ranges
 *                  arch.rows = 16, 32, 64        values
 *                  sram.weight_kib = 128..1024 *2   128, 256, 512, 1024 (factor)
 *                  arch.clock_mhz = 500..1000 +250  500, 750, 1000 (step)
 *                  arch.pe_kind = *              every name of an enum (or false, true)
 *              each value is checked against the config schema (type, bounds) at its line.
 *              Two shape axes set arch.rows and arch.cols together (sweep_shape):
 *                  arch.aspect = 1..16 *2        rows / cols, at the base's own rows x cols PEs
 *                  arch.pes = 1024, 2048         PEs (rows x cols exactly), at the base's aspect
 *              alone or together; not with arch.rows or arch.cols.
 *   [workload] models, phases, seq, kv, prompt, gen, batch (lists; ranges for the numbers); the
 *              phase `request` is a whole inference request (sim/infer.h): prefill of `prompt`
 *              tokens, then `gen` decode steps, with TTFT, TPOT, tokens/s and J/token
 *   [accuracy] enabled, layers, rows, tokens, seed: the synthetic accuracy study per format
 *
 * Design points are the cross product base x params (the last [params] key varies fastest);
 * rows are design points x workloads (models x phases x lengths x batches). Row r is design
 * r / nwl, workload r % nwl; --shard I/N takes the rows with r % N == I. A combination the
 * config rules reject (config_apply_sets: e.g. weight_bits 3 on fp16) is an invalid design
 * point: skipped and counted, never an error.
 *
 * Key of a row: FNV-1a 64 of its canonical text (sweep_key_text): the config and energy table
 * as "section.key=value" lines (names excluded), the workload and its GEMMs. 16 hex digits.
 */
#ifndef MP_SIM_SWEEP_H
#define MP_SIM_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "sim/config.h"
#include "sim/energy.h"
#include "sim/engine.h"
#include "models/golden.h"
#include "traces/workload.h"

#define SWEEP_VERSION 1          /* [mpsim] sweep_version                                 */
#define SWEEP_MAX_BASES 256      /* designs a [sweep] base list may name                  */
#define SWEEP_MAX_VALUES 4096    /* values of one [params] key or workload list           */
#define SWEEP_MAX_WORKLOADS 4096 /* workloads of one spec                                 */
#define SWEEP_MAX_ROWS ((int64_t)1 << 40)
#define SWEEP_MAX_TECH 16        /* distinct energy tables one spec may use               */

/* What a swept key sets: one config key, or the array's shape (arch.rows and arch.cols) from a PE
 * count and an aspect ratio (sweep_shape). */
typedef enum { SWEEP_AXIS_KEY, SWEEP_AXIS_PES, SWEEP_AXIS_ASPECT } SweepAxis;

/* One swept key: an arch_schema row and its values in canonical text (as config show prints). */
typedef struct SweepParam {
    SweepAxis axis;
    int row;                  /* index in arch_schema; -1 for the shape axes                */
    const char *name;         /* "arch.rows"                                                */
    const char *label;        /* "rows" (section dropped where the key is unique)          */
    int line;                 /* spec line                                                  */
    int nvalues;
    char **values;
} SweepParam;

typedef struct SweepWorkload {
    char desc[320];           /* "llama2-7b decode kv=2048 batch=16", "layers FILE.csv"     */
    char model[256];          /* model name or CSV path as written                          */
    WlPhase phase;            /* WL_LAYERS for a CSV; WL_PREFILL for a request (its prefill)  */
    int request;              /* 1: a whole request (infer_run), phase name "request"        */
    int64_t seq, kv, batch;   /* 0 where they do not apply                                  */
    int64_t prompt, gen;      /* a request's prompt and generated tokens; 0 otherwise       */
    Workload *wl;             /* a request: its prefill (the key hashes its GEMMs)          */
    char *ktext;              /* its part of the key text: "workload DESC\n" + one line per GEMM */
    int acc_model;            /* index of its accuracy shape set (SweepPlan.acc_models)     */
} SweepWorkload;

/* Accuracy study settings ([accuracy]); the study runs once per (format, group, shapes). */
typedef struct SweepAccSetup {
    int enabled, layers, rows, tokens;
    int64_t seed;
} SweepAccSetup;

typedef struct SweepTech {
    char name[64];
    TechTable t;
    int status;               /* MP_OK or the load error's code                             */
    char msg[256];
    char ktext[4096];         /* its part of the key text: "section.key=value\n" per row     */
} SweepTech;

typedef struct SweepPlan {
    char path[1024];          /* spec file (or the name given to sweep_plan_load_string)    */
    char name[64];
    char *text;               /* the spec's text (recorded in the database)                 */
    Fidelity fid;
    int64_t seed;             /* cycle-fidelity operand seed                                */
    int nbase;
    ArchConfig *base;         /* resolved configs                                           */
    char (*base_name)[128];   /* as listed ("iso/fp16", "my.ini")                           */
    int nparam;
    SweepParam *param;
    int nwl;
    SweepWorkload *wl;
    SweepAccSetup acc;
    int nacc_model;
    int *acc_models;          /* workload index whose shapes stand for each distinct model   */
    int64_t ndesign;          /* nbase x product of nvalues                                  */
    int64_t nrows;            /* ndesign x nwl                                               */
    int ntech;
    SweepTech tech[SWEEP_MAX_TECH];
} SweepPlan;

/* The spec schema (rows for [params] are made from arch_schema on first use). */
const IniKey *sweep_spec_schema(int *nrows);

/* Read and validate a spec, load its bases and expand its workloads. Bad input: MP_EINPUT with
 * "FILE:LINE: message". Relative config and CSV paths are relative to the spec's folder. */
int sweep_plan_load(const char *path, SweepPlan **out, MpErr *e) MP_MUST_CHECK;
/* The same on text; `name` stands for the file in messages, paths are relative to `dir`. */
int sweep_plan_load_string(const char *name, const char *text, const char *dir, SweepPlan **out,
                           MpErr *e) MP_MUST_CHECK;
void sweep_plan_free(SweepPlan *p);

/* Resolved config of design d (0 <= d < ndesign), its label ("iso/fp16{rows=16}") and the swept
 * values ("arch.rows=16 sram.weight_kib=128"). MP_EINPUT when the combination is invalid (the
 * message says why). tech (may be NULL) gets the design's energy table. */
int sweep_design(SweepPlan *p, int64_t d, ArchConfig *c, char *label, size_t label_cap, char *params,
                 size_t params_cap, const SweepTech **tech, MpErr *e) MP_MUST_CHECK;

/* The array shape of `pes` PEs nearest to aspect ratio `aspect` (rows / cols): rows x cols = pes
 * exactly, rows and cols within arch_schema's bounds, rows / cols nearest to aspect by ratio (the
 * larger of the two over the smaller); ties go to the squarer shape, then to fewer rows. MP_EINPUT
 * (the message names the nearest shape) when no shape fits the bounds or the nearest one's aspect
 * is 2x or more away from `aspect`: e.g. 1024 PEs at aspect 2 (32x32 and 64x16 are both 2x away). */
int sweep_shape(int64_t pes, double aspect, int *rows, int *cols, MpErr *e) MP_MUST_CHECK;

/* FNV-1a 64: offset basis 0xcbf29ce484222325, prime 0x100000001b3; h = SWEEP_FNV_BASIS to start. */
#define SWEEP_FNV_BASIS 0xcbf29ce484222325ull
uint64_t sweep_fnv1a64(uint64_t h, const void *data, size_t n);
/* Canonical text of a config: "section.key=value\n" per arch_schema row, arch.name excluded. */
void sweep_config_text(const ArchConfig *c, char *buf, size_t cap);
/* The whole text a row's key hashes (for docs and tests): "mpsim sweep key v1\n", the config
 * text, "energy\n" and the table's lines, "workload DESC\n" and one line per GEMM
 * "name m n k count role\n". Returns its length (truncated to cap like snprintf). */
size_t sweep_key_text(const ArchConfig *c, const SweepTech *t, const SweepWorkload *w, char *buf, size_t cap);
uint64_t sweep_key(const ArchConfig *c, const SweepTech *t, const SweepWorkload *w);
/* The same in two steps: the hash state after a design's part, then a row's key from it. */
uint64_t sweep_key_design(const ArchConfig *c, const SweepTech *t);
uint64_t sweep_key_row(uint64_t design_hash, const SweepWorkload *w);
void sweep_key_hex(uint64_t key, char out[17]);

/* What one row's evaluation gives. */
/* A request row (SweepWorkload.request): total and energy cover the prefill and every decode step,
 * seconds = TTFT + all steps; ttft_s .. j_per_token are InferResult's (tpot_s its tpot_mean_s). */
typedef struct SweepOutcome {
    SimEvents total;
    EnergyBreakdown energy;
    double area_mm2, seconds, utilization;
    int request;
    double ttft_s, tpot_s, tokens_per_s, j_per_token;
} SweepOutcome;

/* Evaluate row (design d, workload w) in this process at fidelity fid (a request: always fast, as
 * `mpsim infer`; its numbers are the same at either fidelity). MP_EINPUT for an invalid
 * design or a workload the design cannot run (e.g. no mapping fits the buffers). */
int sweep_eval(SweepPlan *p, int64_t d, int w, Fidelity fid, SweepOutcome *out, MpErr *e) MP_MUST_CHECK;

/* For benchmarks: evaluate rows [first, first + count) (wrapping around the plan) in this
 * process at fast fidelity, no database; *evaluated counts the valid ones. */
int sweep_eval_rows(SweepPlan *p, int64_t first, int64_t count, int64_t *evaluated, MpErr *e) MP_MUST_CHECK;

/* Accuracy of one format on one model's shapes (the plan's [accuracy] settings): the output
 * SQNR (dB) of the hardware-exact and of the ideal GEMM against fp64, the weight SQNR and the
 * datapath's own error, over layers x the model's weight GEMMs (lm_head excluded), rows x tokens
 * each — the same tensors and seeds as `mpsim accuracy --model M --layers L --rows R --tokens T
 * --seed S`. group: the weight group size for grouped formats (0 = the format's own). */
typedef struct SweepAccuracy {
    double sqnr_db, ideal_db, weight_db, hw_vs_ideal_db;
    int gemms;
} SweepAccuracy;
int sweep_accuracy(const SweepPlan *p, const NumFormat *nf, int group, int wl, SweepAccuracy *out,
                   MpErr *e) MP_MUST_CHECK;
/* The group size that matters for a format's accuracy: the config's for grouped weight schemes,
 * 0 for the others (so sweeping group_size does not repeat their study). */
int sweep_acc_group(const NumFormat *nf, const ArchConfig *c);

#endif
