/* sim/energy.h — the technology table and the energy of a run: events x prices.
 *
 * A technology table is an INI file (configs/tech/<name>.ini) validated by its own schema,
 * energy_tech_schema() (base/inischema.h): per PE kind the dynamic energy of a busy PE-cycle, the
 * leakage power and area of one PE and the price of one dequant op; the edge decoder, the
 * MixPE activation-sum adder, the w4a16-dq edge dequantizer; an SRAM model; DRAM energy per
 * bit. Every value in the shipped tables carries its source (docs/energy.md).
 *
 * energy_compute() turns a SimEvents (sim/events.h) and an ArchConfig into an EnergyBreakdown:
 *
 *   pe       = pe_busy x busy_pj[kind] x pe_energy_scale
 *   leakage  = pe_total x leak_mw[kind] x 1000 / clock_mhz                 (PEs)
 *            + cycles x (weight+act+out+vector KiB) x sram leak_mw_per_kib x 1000 / clock_mhz
 *   sram     = sum over buffers of read_bits x read_pj_per_bit(bank) + write_bits x write_pj_per_bit(bank)
 *   dram     = (dram_read_bits + dram_write_bits) x pj_per_bit
 *            + cycles x dram_bg_mw x 1000 / clock_mhz                     (background, refresh)
 *   decoder  = decoder_ops x decoder pj_per_op
 *   dequant  = dequant_ops x dequant_pj[kind]
 *   other    = xsum_ops x xsum pj_per_op + rescale_ops x rescale pj_per_op
 *            + requant_ops x scale_pj + requant_max_ops x max_pj + ovp_ops x ovp_pj + round_ops x round_pj
 *   vector   = sum over classes of vec_ops[class] x [vector] <class>_pj
 *   leakage += cycles x lanes x [vector] leak_mw_per_lane x 1000 / clock_mhz     (the vector unit)
 *
 * Technology scaling ([energy] node_nm, sim/techscale.h): every dynamic energy above but DRAM's is
 * multiplied by the energy factor of the config's node relative to the table's ([tech] node_nm), every
 * leakage term by the leakage factor; DRAM energy per bit and DRAM background stay as they are (the
 * DRAM is off chip and is not made in the accelerator's process). clock_mhz is used as written.
 *
 * Units: energies in pJ, powers in mW, areas in µm², capacities in KiB. mW x 1000 / MHz = pJ per cycle.
 */
#ifndef MP_SIM_ENERGY_H
#define MP_SIM_ENERGY_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/inischema.h"
#include "models/pekind.h"
#include "sim/config.h"
#include "sim/events.h"
#include "sim/techscale.h"

/* One PE kind's row of the table. */
typedef struct TechPe {
    double busy_pj;    /* dynamic energy of one busy PE-cycle (a MAC step), pJ                   */
    double leak_mw;    /* leakage power of one PE, mW (charged on every PE-cycle, busy or idle)  */
    double area_um2;   /* area of one PE including its I/O registers, µm²                        */
    double dequant_pj; /* energy of one dequant op of this kind, pJ (0: the kind has none)       */
} TechPe;

typedef struct TechTable {
    int version;              /* [mpsim] tech_version: file format version, 1                      */
    char name[64];            /* [tech] name; defaults to the file stem                            */
    double node_nm;           /* [tech] node_nm: process node the numbers are for, nm              */
    TechPe pe[PE_KIND_COUNT]; /* [pe.<kind>], indexed by PeKindId                                  */
    double decoder_pj;        /* [decoder] pj_per_op: one element decoded at the array edge, pJ     */
    double decoder_area_um2;  /* [decoder] area_um2: one edge decoder, µm²                          */
    double xsum_pj;           /* [xsum] pj_per_op: one integer add of an activation group sum, pJ   */
    double xsum_area_um2;     /* [xsum] area_um2: one activation-sum adder + register, µm²          */
    double dequant_unit_area_um2; /* [dequant_unit] area_um2: one w4a16-dq edge dequantizer, µm²    */
    double sram_ref_kib;      /* [sram] ref_kib: bank size at which the per-bit energies hold, KiB  */
    double sram_read_pj_per_bit;  /* [sram] read_pj_per_bit at ref_kib, pJ/bit                      */
    double sram_write_pj_per_bit; /* [sram] write_pj_per_bit at ref_kib, pJ/bit                     */
    double sram_leak_mw_per_kib;  /* [sram] leak_mw_per_kib, mW per KiB of capacity                 */
    double sram_area_um2_per_kib; /* [sram] area_um2_per_kib, µm² per KiB of capacity               */
    double dram_pj_per_bit[DRAM_TECHS];    /* [dram] <tech>_pj_per_bit, indexed by DramTech, pJ/bit    */
    double dram_bg_mw_per_gbps[DRAM_TECHS]; /* [dram] <tech>_bg_mw_per_gbps: background (standby and
                                    * refresh) power per GB/s of peak bandwidth, indexed by DramTech */
    double dram_channel_gbps[DRAM_TECHS];  /* [dram] <tech>_channel_gbps: one channel's (device's,
                                    * stack's) datasheet peak, GB/s: what one channel of that
                                    * technology can give (energy_dram_note) */
    double rescale_pj;            /* [rescale] pj_per_op: one fp32 multiply of the output finish, pJ */
    double requant_scale_pj;      /* [requant] scale_pj: one element scaled and rounded (or scaled back) */
    double requant_max_pj;        /* [requant] max_pj: one compare of a per-token max reduction        */
    double requant_ovp_pj;        /* [requant] ovp_pj: one element through OliVe's pair encoder        */
    double requant_round_pj;      /* [requant] round_pj: one fp32 -> fp16 rounding                     */
    double vec_pj[VC_COUNT];      /* [vector] <class>_pj: one vector-unit operation of each class, pJ  */
    double vec_leak_mw_per_lane;  /* [vector] leak_mw_per_lane: leakage of one lane, mW               */
    double vec_area_um2_per_lane; /* [vector] area_um2_per_lane: one fp32 lane with its special-function
                                   * units, µm²                                                        */
} TechTable;

/* The table's schema: fixed sections, and [<tech_section>] busy_pj, leak_mw, area_um2, dequant_pj
 * for every PE kind (PeKind.tech_section, "pe.<kind>"). Built once, on the first call (pthread_once:
 * any thread may call it); read-only afterwards. */
const IniKey *energy_tech_schema(int *len);

/* Energy of one run, by component; every field in pJ. */
typedef struct EnergyBreakdown {
    double pe;                     /* PE dynamic energy of busy PE-cycles (x pe_energy_scale)   */
    double sram;                   /* SRAM reads and writes, all buffers                        */
    double sram_buf[BUF_COUNT];    /* the same per buffer (BUF_W, BUF_X, BUF_Y)                 */
    double dram;                   /* DRAM reads and writes, and dram_bg                        */
    double dram_bg;                /* DRAM background and refresh power over every cycle        */
    double decoder;                /* OliVe/ANT edge decodes                                    */
    double dequant;                /* dequant ops (per group, per weight or per output)         */
    double leakage;                /* leakage_pe + leakage_sram                                 */
    double leakage_pe;             /* PE leakage over every PE-cycle                            */
    double leakage_sram;           /* SRAM leakage over every cycle (the vector buffer's too)   */
    double leakage_vec;            /* vector-unit lanes' leakage over every cycle               */
    double other;                  /* MixPE activation-sum adds (xsum) and rescale              */
    double rescale;                /* fp32 multiplies of the output finish (rescale_ops)        */
    double requant;                /* operand-format conversions on the DMA path (requant_*,
                                    * ovp_ops, round_ops)                                       */
    double vector;                 /* vector-unit operations (vec_ops x [vector] prices)        */
    double total;                  /* sum of pe, sram, dram, decoder, dequant, leakage, other,
                                    * vector                                                    */
} EnergyBreakdown;

/* Technology tables are named, never addressed by path, wherever the name comes from (a config's
 * [energy] tech, --set, a sweep's parameters): a name is 1..63 of [A-Za-z0-9._-], not starting
 * with '.', so it cannot leave DATADIR/configs/tech/ (docs/config.md). 1 if `name` is one. */
int energy_tech_name_ok(const char *name);
/* Resolve a table name ("28nm" -> DATADIR/configs/tech/28nm.ini). 0 if it is a name and the file
 * exists, -1 otherwise. */
int energy_tech_resolve(const char *name, char *path, size_t cap);
/* Load and validate the table `name`. Not a name, or no such table: MP_EINPUT, quoting only the
 * name. Bad table: MP_EINPUT with "FILE:LINE: message". path_out may be NULL. */
int energy_tech_load(const char *name, TechTable *t, char *path_out, size_t path_cap, MpErr *e) MP_MUST_CHECK;
/* Load a table from an explicit file (a caller's own path, e.g. a test's; never one read from a
 * config). Errors as energy_tech_load's. */
int energy_tech_load_file(const char *path, TechTable *t, MpErr *e) MP_MUST_CHECK;
/* Print the table as a valid INI file (units and docs as comments). */
void energy_tech_print(FILE *f, const TechTable *t);

/* DRAM energy per bit for a config: [dram] pj_per_bit when > 0, else the table's value for
 * [dram] tech. Returns -1 for tech = custom without pj_per_bit (config_load rejects that). */
double energy_dram_pj_per_bit(const TechTable *t, const ArchConfig *c);
/* DRAM background and refresh power of a config, mW: [dram] bg_mw when tech = custom, else the
 * table's mW per GB/s for [dram] tech x the channel's peak GB/s (bits_per_cycle x clock). */
double energy_dram_bg_mw(const TechTable *t, const ArchConfig *c);
/* 1 and a note in buf when one of c's channels (bits_per_cycle at clock_mhz) is faster than a channel of
 * its technology can be ([dram] <tech>_channel_gbps); 0 otherwise (custom: never). */
int energy_dram_note(const TechTable *t, const ArchConfig *c, char *buf, size_t cap);
/* SRAM energy per bit read (write = 0) or written (write = 1) in a buffer of `kib` KiB split in
 * `banks` banks: ref x sqrt((kib / banks) / ref_kib). */
double energy_sram_pj_per_bit(const TechTable *t, double kib, int banks, int write);
/* Energy of one access of port_bits bits to such a buffer, pJ. */
double energy_sram_pj_per_access(const TechTable *t, double kib, int banks, int port_bits, int write);
/* Leakage energy of one PE of `kind` per cycle at clock_mhz, pJ. */
double energy_leak_pj_per_pe_cycle(const TechTable *t, int kind, double clock_mhz);

/* The scaling factors from the table's node to the config's [energy] node_nm (identity when they are
 * equal). MP_EINPUT (message in e) if either node has no row of the scaling table. */
int energy_node_factors(const TechTable *t, const ArchConfig *c, TechScaleRow *f, MpErr *e) MP_MUST_CHECK;

/* The clock the design could reach at the config's node, MHz: clock_mhz / the delay factor from the
 * table's node. Reported only: mpsim runs at clock_mhz as written (docs/energy.md, "Technology scaling").
 * clock_mhz itself when there is no scaling between the two nodes. */
double energy_node_clock_mhz(const TechTable *t, const ArchConfig *c);

/* Energy of the events of a run on config c. MP_EINPUT (message in e) if the config's kind or
 * DRAM energy cannot be priced; the breakdown is zeroed then. */
int energy_compute(const TechTable *t, const ArchConfig *c, const SimEvents *ev, EnergyBreakdown *out,
                   MpErr *e) MP_MUST_CHECK;
/* A human table of the breakdown (pJ, µJ and shares). */
void energy_print(FILE *f, const EnergyBreakdown *b);

/* A breakdown as a human table (energy_print, area_print): a header line of `title`, each column's
 * unit and "share"; then per part its label, its value in each column (v x scale, `digits` after
 * the point in `width` characters) and its share of `total` in percent (a total <= 0 counts as 1). */
typedef struct ShareCol {
    const char *unit;
    int width, digits;
    double scale;
} ShareCol;
typedef struct SharePart {
    const char *label;
    double v;
} SharePart;
void energy_print_shares(FILE *f, const char *title, const ShareCol *cols, int ncols, const SharePart *parts,
                         int nparts, double total);

#endif
