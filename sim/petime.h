/* sim/petime.h — timing of each PE kind (one table row per kind) and of one array tile.
 *
 * A PE consumes `lanes` consecutive k per *step* and a step occupies it `step_cycles` cycles
 * (fp16/int8/MixPE/OliVe/ANT: 1 k per cycle; MixPE bit-serial: 1 k per 4 cycles; BitMoD: 4 lanes,
 * 2 cycles per 4 weights — one power-of-two term per cycle). `latency` is the cycles from a
 * PE's last step to its result (pipeline + exposed dequant). docs/pe.md and docs/simulator.md
 * give each row's reasons.
 */
#ifndef MP_SIM_PETIME_H
#define MP_SIM_PETIME_H

#include <stdint.h>

#include "sim/config.h"

typedef struct PeTiming {
    int lanes;          /* k per step                                                   */
    int step_cycles;    /* cycles per step                                              */
    int latency;        /* cycles from the last step to the result                      */
    int w_bits, x_bits; /* code bits streamed from SRAM per weight / activation element  */
    int w_meta_bits;    /* metadata bits per weight group (scale, zero, type)            */
    int acc_bits;       /* partial-sum bits kept in the output buffer between K blocks   */
    int out_bits;       /* final output bits (fp32)                                      */
    int group_dequant;  /* 1: one dequant per output per weight group (MixPE, BitMoD)    */
    int weight_dequant; /* 1: every weight dequantized as it enters the array (w4a16-dq) */
    int edge_decoders;  /* 1: edge decoders on both operands (OliVe, ANT)                */
    int xsum;           /* 1: in-group activation sums per row (MixPE)                   */
    int dq_busy;        /* cycles a PE's group dequantizer is occupied per group; 0 = fully
                         * pipelined. A group that ends sooner than dq_busy after the one before
                         * waits for it (BitMoD's bit-serial dequantizer; see pe_tile_cycles)   */
} PeTiming;

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
