/* sim/petime.h — timing of a PE kind on a config and of one array tile.
 *
 * Each kind's timing row (PeTiming) is in its PeKind row (models/pekind.h): a PE consumes `lanes`
 * consecutive k per *step* and a step occupies it `step_cycles` cycles (fp16/int8/MixPE/OliVe/ANT:
 * 1 k per cycle; MixPE bit-serial: 1 k per 4 cycles; BitMoD: 4 lanes, 2 cycles per 4 weights — one
 * power-of-two term per cycle). docs/pe.md and docs/simulator.md give each row's reasons.
 */
#ifndef MP_SIM_PETIME_H
#define MP_SIM_PETIME_H

#include <stdint.h>

#include "models/pekind.h"
#include "sim/config.h"

/* The kind's row, with weight_bits applied (BitMoD 3 or 4). */
PeTiming pe_timing(const ArchConfig *c);
/* Row for activation x activation GEMMs (attention QK^T and PV): both operands are activations
 * in the kind's activation format, one k per cycle, no weight dequant, no in-group sums. */
PeTiming pe_timing_act_act(const ArchConfig *c);
/* K alignment the mapping must keep: a whole number of weight groups for group kinds (so
 * partial sums never split a group), else the lanes. */
int pe_k_align(const ArchConfig *c);
/* Stored bits per weight incl. metadata (weight_bits_eff if the config sets it). */
double pe_weight_bits_stored(const ArchConfig *c);

/* One array tile: the PE array computes outputs [m0, m0+tm) x [n0, n0+tn) over [k0, k0+tk).
 * OS: tm <= rows, tn <= cols. WS: tn <= cols, ceil(tk / lanes) <= rows, any tm. */
typedef struct Tile {
    int64_t m0, n0, k0;
    int tm, tn, tk;
    int first_k, last_k; /* preload partial sums unless first_k; final outputs if last_k */
} Tile;

/* Effective cycles per step of a tile: the PE's own step time, or longer when the SRAM ports
 * cannot feed the array (every buffer has banks * port_bits bits per cycle). */
int pe_tile_step(const ArchConfig *c, const PeTiming *t, const Tile *tile);
/* Closed-form cycles of a tile (fast fidelity); the cycle engine must produce the same.
 * Requires (as the mapper guarantees) k0 to be a multiple of the group size for dq_busy kinds. */
int64_t pe_tile_cycles(const ArchConfig *c, const PeTiming *t, const Tile *tile);

#endif
