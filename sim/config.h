/* sim/config.h — one accelerator configuration, validated by one schema table.
 *
 * Files are INI (see configs/ and docs/config.md); every key is a row of the schema
 * in config.c with its type, bounds, default, unit and doc. Presets are addressed
 * by name: "iso/fp16" is configs/iso/fp16.ini under the data directory.
 */
#ifndef MP_SIM_CONFIG_H
#define MP_SIM_CONFIG_H

#include <stdio.h>

#include "base/err.h"
#include "base/inischema.h"
#include "traces/vecop.h"

typedef enum { DATAFLOW_OS, DATAFLOW_WS } Dataflow;
/* Which orientations the array supports (dataflow/map.h): both (the mapper chooses per GEMM, edge
 * units on both edges), or one: tokens on the rows (mxn) or output channels on the rows (nxm). */
typedef enum { ORIENT_AUTO, ORIENT_MXN, ORIENT_NXM } Orientation;
/* DRAM technologies with a row in the energy table ([dram] <name>_*), then custom (pj_per_bit and
 * bg_mw given in the config). DRAM_TECHS counts the table's. */
typedef enum { DRAM_DDR4, DRAM_LPDDR5, DRAM_HBM3, DRAM_DDR5, DRAM_CUSTOM, DRAM_TECHS = DRAM_CUSTOM } DramTech;

typedef struct ArchConfig {
    int version;              /* [mpsim] config_version: file format version, 1          */
    char name[64];            /* [arch] name; defaults to the preset name or file stem    */
    int pe_kind;              /* PeKindId                                                 */
    int rows, cols;           /* PE array shape                                           */
    double clock_mhz;
    int dataflow;             /* Dataflow                                                 */
    int orientation;          /* Orientation                                              */
    int cores;                /* identical PE arrays, each with its own weight, activation and
                               * output buffers of the sizes below (sim/cores.h); >= 1        */
    int weight_bits;          /* bits per weight code (BitMoD: 3 or 4)                    */
    int group_size;           /* weights per quantization group along K                  */
    double weight_bits_eff;   /* stored bits per weight incl. metadata; 0 = from format   */
    /* operand formats, as written: 0 = auto, else 1 + OpFmtId (config_fmt_names) */
    int weight_format, act_format, kv_format, out_format;
    int sram_weight_kib, sram_act_kib, sram_out_kib;
    int sram_banks;           /* banks per buffer                                         */
    int sram_port_bits;       /* bits per bank per cycle                                  */
    int double_buffer;        /* bool                                                     */
    int dram_bits_per_cycle;  /* channel width per accelerator clock                     */
    int dram_channels;        /* channels of that width (sim/cores.h: how cores share them) */
    int dram_latency_cycles;
    int dram_tech;            /* DramTech; picks dram_pj_per_bit unless custom            */
    double dram_pj_per_bit;   /* 0 = from dram_tech                                       */
    double dram_bg_mw;        /* background + refresh power with dram_tech = custom, mW   */
    char tech[64];            /* energy table: configs/tech/<tech>.ini                    */
    double pe_energy_scale;   /* multiplies PE energy (e.g. 1.5 for place-and-route)      */
    int node_nm;              /* [energy] node_nm: process node energy and area are scaled to
                               * from the table's own (sim/techscale.h); a row of that table */
    /* the vector unit (sim/vecunit.h): lanes, its double-buffered SRAM, and per operation class
     * (VecClass) the cycles between issues on one lane and the pipeline latency */
    int vec_lanes, vec_buf_kib;
    int vec_ii[VC_COUNT], vec_lat[VC_COUNT];
    int attn_fused;           /* [attention] fused: S never leaves the chip (sim/run.h)    */
} ArchConfig;

/* "auto", then op_fmts[] names in OpFmtId order (index = 1 + OpFmtId); NULL-terminated. */
extern const char *const config_fmt_names[];

extern const IniKey arch_schema[];
/* The schema row of [section] key, or NULL. */
const IniKey *arch_schema_find(const char *section, const char *key);
/* Enum value v of [section] key by name ("?" when out of range), and a name's index (-1: none). */
const char *arch_schema_enum_name(const char *section, const char *key, int v);
int arch_schema_enum_index(const char *section, const char *key, const char *name);
extern const int arch_schema_len;

/* The operand formats in force (OpFmtId), from the fields as written (auto resolved; the config
 * checks have refused the combinations the kind does not take): the PE's activation operand (auto:
 * the kind's first), the KV cache and the layer outputs as stored (auto: the activation format). */
int config_act_fmt(const ArchConfig *c);
int config_kv_fmt(const ArchConfig *c);
int config_out_fmt(const ArchConfig *c);

/* Load a preset name or an .ini path. The resolved path is written to path_out (may be NULL). */
int config_load(const char *name_or_path, ArchConfig *c, IniLoad *where, char *path_out, size_t path_cap,
                MpErr *e) MP_MUST_CHECK;
/* Resolve a preset name to a path under the data directory; 0 if the file exists. */
int config_resolve(const char *name_or_path, char *path, size_t cap);
/* 1 if name can only be a preset: segments of [A-Za-z0-9_-] joined by single '/' ("iso/fp16"; no
 * '.', no leading or trailing '/'), so that it stays below DATADIR/configs/. */
int config_preset_name_ok(const char *name);
/* config_load for a preset name alone, never a file path (a name read from a sweep spec):
 * DATADIR/configs/<name>.ini. */
int config_load_preset(const char *name, ArchConfig *c, IniLoad *where, MpErr *e) MP_MUST_CHECK;
/* Data directory: $MPSIM_DATADIR, else the source tree the binary was built from. */
const char *config_datadir(void);
void config_print(FILE *f, const ArchConfig *c, const IniLoad *where);
/* Apply "section.key=value,..." overrides (validated like the file; cross-field rules re-checked,
 * errors name "--set"; an empty item is an error); the design's name gets a '*'. *c changes only on success. */
int config_apply_sets(ArchConfig *c, const char *list, MpErr *e) MP_MUST_CHECK;

#endif
