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
 * Orientation (trans): which GEMM dimension lies along the array's rows.
 *   trans = 0: OS rows = tokens (m), columns = output channels (n); activations enter the left
 *              edge, weights the top. WS: rows = K (krows = ceil(tk / lanes)), columns = n.
 *   trans = 1: OS rows = output channels (n), columns = tokens (m); weights enter the left edge,
 *              activations the top (BitMoD's decode arrays). WS: rows = n, columns = K.
 * OS: the n and m extents fit the edges they lie on; WS: n and krows do, any tm streams. */
typedef struct Tile {
    int64_t m0, n0, k0;
    int tm, tn, tk;
    int first_k, last_k; /* preload partial sums unless first_k; final outputs if last_k */
    int trans;           /* orientation, as above */
} Tile;

/* The array rows / columns a tile occupies (OS: the m and n extents in its orientation). */
static inline int tile_rows(const Tile *t) { return t->trans ? t->tn : t->tm; }
static inline int tile_cols(const Tile *t) { return t->trans ? t->tm : t->tn; }

/* Effective cycles per step of a tile: the PE's own step time, or longer when the SRAM ports
 * cannot feed the array (every buffer has banks * port_bits bits per cycle). */
int pe_tile_step(const ArchConfig *c, const PeTiming *t, const Tile *tile);
/* The three phases of a tile, in cycles (docs/simulator.md §3):
 *   OS: load  = partial-sum rows shifted into the preload registers (0 on the first K block),
 *       run   = the skewed stream: first operand in to last result out of the PE pipelines,
 *       drain = result rows shifted out to the output buffer through the drain registers.
 *   WS: load  = the weight preload, run = the activation stream with its psums, drain = 0.
 * Requires (as the mapper guarantees) k0 to be a multiple of the group size for dq_busy kinds. */
typedef struct TilePhases {
    int64_t load, run, drain;
} TilePhases;
TilePhases pe_tile_phases(const ArchConfig *c, const PeTiming *t, const Tile *tile);
/* Closed-form cycles of one tile on an idle array: load + run + drain (fast fidelity); the cycle
 * engine (sim/array.c) and the RTL array must produce the same. */
int64_t pe_tile_cycles(const ArchConfig *c, const PeTiming *t, const Tile *tile);

/* Back-to-back tiles (docs/simulator.md §3, "Overlapped tiles"). The array's timeline:
 *   OS: every PE has, besides its accumulator, a drain register and a preload register. The output
 *       buffer has a read port (psum rows into the preload registers) and a write port (result rows
 *       out of the drain registers), each one row per rowcyc cycles.
 *       - A tile starts when the array is free (the previous capture), its data are in, and its
 *         partial sums (if any) are in the preload registers; the start copies them into the
 *         accumulators. Its run follows; when the run ends its results move to the drain registers
 *         (capture) as soon as the previous drain is over, and the drain shifts them out.
 *       - The next tile's preload starts when this tile starts (the preload registers are free),
 *         but reads never pass earlier writes: not before the previous tile's drain has ended, nor
 *         before this tile's drain has ended if the next tile reads the outputs this one writes.
 *         start = max(ready, acc_free, load ? pre_end : 0)
 *         cap   = max(start + run, drain_free);  acc_free = cap;  drain_free = cap + drain
 *         next preload: pstart = max(start, previous drain_free, same ? drain_free : 0),
 *                       pre_end = pstart + next load
 *       A sequence's first tile with partial sums preloads from cycle 0.
 *   WS: with double_buffer every PE has a shadow weight register: the next tile's preload runs
 *       behind the current tile's stream (preload may start once the previous tile's weights moved
 *       to the active registers, i.e. at its stream start).
 *         pstart = max(ready, shadow_free);  sstart = max(pstart + load, acc_free)
 *         shadow_free = sstart; acc_free = drain_free = sstart + run
 *       without double_buffer the preload waits for the stream: shadow_free = acc_free.
 * A tile's outputs are in the output buffer at drain_free (after it). */
typedef struct ArrayPipe {
    int64_t acc_free;    /* the accumulators (OS) / the active weights (WS) are free from here   */
    int64_t drain_free;  /* the drain registers are free; every earlier tile's outputs are stored */
    int64_t shadow_free; /* WS: the shadow weight registers are free from here                  */
    int64_t pre_end;     /* OS: the next tile's psums are in the preload registers; -1: none yet */
} ArrayPipe;
#define ARRAY_PIPE_IDLE ((ArrayPipe){0, 0, 0, -1})
/* The tile after the one being placed, as its preload needs it: its load phase and whether it
 * reads the outputs the placed tile writes (same output tile). */
typedef struct NextTile {
    int64_t load;
    int same;
} NextTile;
/* Place the next tile (phases ph) whose operands are in the buffers from cycle `ready`; nx: the
 * tile after it (NULL: none). Returns the cycle its first phase starts and advances *p. */
int64_t pe_pipe_tile(const ArchConfig *c, ArrayPipe *p, const TilePhases *ph, int64_t ready, const NextTile *nx);

#endif
