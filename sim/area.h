/* sim/area.h — silicon area of a configuration from the technology table (sim/energy.h).
 *
 *   pe      = rows x cols x area_um2[kind]
 *   decoder = (rows + cols) x decoder area        edge decoders: olive, ant (one per row and column input)
 *   dequant = cols x dequant_unit area             edge dequantizers: w4a16-dq (one per weight column)
 *   xsum    = rows x xsum area                     activation-sum adders: mixpe-* (one per activation row)
 *   sram    = (weight + act + out KiB) x area_um2_per_kib
 *
 * Every term is multiplied by the area factor of the config's [energy] node_nm relative to the table's
 * node, the SRAM's by the SRAM (bitcell) factor (sim/techscale.h; 1 at the table's own node). area_pe_array_mm2() is the table's, unscaled.
 * Every field is in mm². Dequant hardware of MixPE and BitMoD sits inside their PEs (BitMoD's
 * PE area includes its bit-serial dequantizer; MixPE publishes no area), so it has no line here.
 * docs/energy.md has the model, the sources and the iso-area presets built with it.
 */
#ifndef MP_SIM_AREA_H
#define MP_SIM_AREA_H

#include <stdio.h>

#include "sim/config.h"
#include "sim/energy.h"

typedef struct AreaBreakdown {
    double pe_mm2;      /* the PE array: rows x cols PEs                 */
    double decoder_mm2; /* edge decoders                                 */
    double dequant_mm2; /* edge dequantizers                             */
    double xsum_mm2;    /* activation-sum adders                         */
    double sram_mm2;    /* weight + activation + output + vector buffers */
    double vector_mm2;  /* the vector unit's lanes                       */
    double total_mm2;   /* sum of the above                              */
} AreaBreakdown;

/* Area of a PE array of `kind`, rows x cols, in mm² (PEs only: the quantity iso-area presets equalise). */
double area_pe_array_mm2(const TechTable *t, int kind, int rows, int cols);
/* Edge units of a kind: how many decoders, dequantizers and activation-sum adders an array has. */
void area_edge_units(int kind, int rows, int cols, int orientation, int *decoders, int *dequant_units,
                     int *xsum_units);
/* The whole breakdown of a configuration. MP_EINPUT if its kind has no row in the table. */
int area_compute(const TechTable *t, const ArchConfig *c, AreaBreakdown *out, MpErr *e) MP_MUST_CHECK;
/* A human table of the breakdown (mm² and shares). */
void area_print(FILE *f, const AreaBreakdown *a);

#endif
