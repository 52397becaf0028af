/* sim/techscale.h — technology scaling: area, energy, leakage and delay factors between process nodes.
 *
 * One table, one row per node the simulator can scale to (28, 16, 7, 5, 4 nm), every factor relative
 * to 28 nm (the 28 nm row is 1, 1, 1, 1). A config picks its node with [energy] node_nm; energy_compute()
 * and area_compute() multiply the technology table's prices by the factors of that node relative to
 * the table's own node ([tech] node_nm), techscale_between():
 *
 *   dynamic energy (PE, SRAM access, decoders, dequant, xsum, rescale, requant, vector ops) x energy
 *   leakage power (PEs, SRAM, vector lanes)                                               x leak
 *   logic area (PEs, edge units, vector lanes)                                            x area
 *   SRAM area (every buffer)                                                              x sram_area
 *   DRAM energy per bit and DRAM background power                                         not scaled (off chip)
 *   the clock ([arch] clock_mhz)                                                          not scaled: the delay
 *                                                                                         factor is reported only
 *
 * Derivation, sources and which rows are extrapolations: docs/energy.md, "Technology scaling";
 * tests/test_techscale.c re-derives every factor from the published coefficients.
 */
#ifndef MP_SIM_TECHSCALE_H
#define MP_SIM_TECHSCALE_H

#include <stddef.h>

typedef struct TechScaleRow {
    int node_nm;        /* process node, nm                                                        */
    double area;        /* area of the same circuit, relative to 28 nm                             */
    double energy;      /* dynamic energy per operation, relative to 28 nm                         */
    double leak;        /* leakage (static) power, relative to 28 nm                               */
    double delay;       /* gate delay, relative to 28 nm (a clock could be clock / delay)          */
    double sram_area;   /* SRAM area per bit, relative to 28 nm: the foundries' high-density 6T
                         * bitcells (SRAM has scaled less than logic since 16 nm)                 */
    int extrapolated;   /* 1: the node lies beyond the sources; the factors follow a stated rule   */
    const char *source; /* where the factors come from (one line)                                  */
} TechScaleRow;

/* The rows, largest node first (28 nm first); factors fall monotonically with the node. */
extern const TechScaleRow techscale_rows[];
extern const int techscale_nrows;
/* The nodes as a list for messages ("28, 16, 7, 5, 4"), into buf. */
void techscale_node_list(char *buf, size_t cap);

/* The row of a node, or NULL if the table has none. */
const TechScaleRow *techscale_find(int node_nm);
/* The factors of node `to_nm` relative to node `from_nm` (row to / row from, field by field; node_nm =
 * to_nm, extrapolated = either row's, source = the to row's). 0 on success; -1 (and *out the identity)
 * if either node has no row. Equal nodes give the identity, whether or not they have a row. */
int techscale_between(int from_nm, int to_nm, TechScaleRow *out);

#endif
