/* dataflow/part.h — how a GEMM of `count` instances, each M x N x K, is split across C identical
 * cores (docs/simulator.md, "Cores and channels"). No clocks here: the choice is made on an estimate
 * from MAC counts, the array's edges and DRAM bits; sim/cores.h simulates what it chooses.
 *
 * The instances are serial x independent (count = serial x (count / serial)): the `serial` ones
 * depend on each other (the layers) and run one after another on the same split; the independent
 * ones (a layer's batch x heads) may run side by side. A split is a grid of
 *
 *     pi  groups of independent instances   1 <= pi <= count / serial
 *     pm  token parts (rows of X and Y)     1 <= pm <= M
 *     pn  channel parts (rows of W)         1 <= pn <= N          pi x pm x pn <= C
 *
 * and a busy core runs serial x (its group's instances), back to back, on its M part x N part x the
 * whole K: K is never split (no core needs another's partial sums: no inter-core reduction). A part
 * of a masked GEMM (causal, M > 1) must be the masked GEMM of its own shape, so such a GEMM splits
 * its instances and, with the keys on K (PV, MAP_CAUSAL_K), its output channels: row i of a part sees
 * key j when j <= i + K - M, which involves neither N nor where the channel part starts, so a
 * channel part's mask is the whole GEMM's. Its tokens never (rows from m0 would need an offset
 * m0 the mask has not), nor QK^T's channels (they are its keys). Along each dimension the T units go ceil(T / p) to T % p parts (all p when p divides
 * T) and floor(T / p) to the rest, so there are at most 2 x 2 x 2 = 8 part shapes.
 *
 * The memory system is channel-interleaved: the busy cores share it, each seeing
 *     share = max(1, channels x bits_per_cycle / busy)   bits per cycle (rounded down)
 * (no per-core port limit; idle cores take no share).
 *
 * The choice (map_partition): over every grid, the estimate of the busiest core (shape 0: ceil in
 * every dimension; ci = serial x ceil(indep / pi) instances of mc = ceil(M / pm) x nc = ceil(N / pn))
 *     compute = ci x min(ceil(mc / rows) ceil(nc / cols), ceil(mc / cols) ceil(nc / rows))
 *                  x ceil(K / lanes) x step_cycles               (whole tiles, the better orientation)
 *     dram    = ci x (ops x latency + bits(mc, nc) / share)      (ops: how many of W, X, Y move
 *                                                                 through DRAM, one transfer each)
 *     time    = max(compute, dram)
 * where bits(mc, nc) is the least DRAM traffic of one instance of the part over output blocks
 * Bm x Bn that fit the output buffer (Bm a power of two or mc, Bn the most that fits, at most nc;
 * capacities halved when double-buffered):
 *     X rn + W rm + Y                         K streamed in blocks (rm = ceil(mc / Bm), rn = ceil(nc / Bn))
 *     X + W rm  or  W + X rn' + Y             the whole K in one block, when a Bm x K block of X and a
 *                                             Bn' x K block of W fit their buffers (the X or W block
 *                                             stays resident across the other loop)
 * with X = mc K xb, W = nc K wb, Y = mc nc yb (0 for an operand on chip). It stands for the mapper's
 * blocking of the part (dataflow/map.h), whose re-reads dominate when a core's part is much larger
 * than its buffers. The DRAM traffic of all cores, the first tie-break, is the simpler
 *     serial x indep x (M K xb pn + N K wb pm + M N yb)
 * (every token part reads all of its W, every channel part all of its X). The least time wins; ties
 * go to less traffic, then fewer busy cores, then the first in (pi, pm, pn) order. Only the smallest
 * p giving each distinct ceil(T / p) is tried per dimension (a larger p with the same ceil has the
 * same busiest core, a smaller share and no less traffic: never better), so a search is at most
 * O(sqrt(count/serial) x sqrt(M) x sqrt(N)) grids: 8678 for 2048 x 11008 on C = 4096.
 */
#ifndef MP_DATAFLOW_PART_H
#define MP_DATAFLOW_PART_H

#include <stdint.h>

#include "dataflow/map.h"

#define MAP_PART_SHAPES 8 /* ceil / floor in each of the three split dimensions */
#define MAP_PART_SHARE_MAX ((int64_t)1 << 30) /* a core's share is capped here (fits an int) */

typedef struct MapPartProblem {
    MapProblem g;               /* the whole GEMM as one core would map it (dataflow/map.h): M, N,
                                 * K, the mask (g.causal, above), the operands'
                                 * bits in SRAM and DRAM, on-chip operands, one core's array and
                                 * buffers                                                        */
    int64_t count;              /* instances (< 1: 1)                                            */
    int64_t serial;             /* of them dependent (1..count, dividing it; else: count)        */
    int cores;                  /* C (< 1: 1)                                                    */
    int lanes, step_cycles;     /* a PE's K elements per step and cycles per step                */
    int64_t dram_bits_per_cycle;/* the whole memory system: channels x bits_per_cycle            */
    int64_t latency;            /* cycles of one DRAM transfer beyond its bits (latency_cycles)  */
} MapPartProblem;

typedef struct MapPart {
    int pi, pm, pn;             /* the grid                                                      */
    int busy;                   /* pi x pm x pn cores have work; C - busy idle                  */
    int64_t share;              /* a busy core's DRAM bits per cycle (above)                    */
    int nshape;                 /* shapes 0..nshape-1; shape 0 is ceil in every dimension       */
    int64_t count[MAP_PART_SHAPES], m[MAP_PART_SHAPES], n[MAP_PART_SHAPES]; /* one core of shape
                                 * s: instances (serial x its independent ones), M, N           */
    int ncores[MAP_PART_SHAPES];/* cores of shape s (>= 1); they sum to busy                     */
    double est_cycles, est_bits;/* the estimate of the chosen grid (above)                      */
} MapPart;

/* The grid with the least estimate, in the order above. Deterministic; C = 1 gives 1 x 1 x 1. */
void map_partition(const MapPartProblem *p, MapPart *out);
/* The shapes of a given grid (pi, pm, pn within the bounds above), its share and its estimate. */
void map_part_grid(const MapPartProblem *p, int pi, int pm, int pn, MapPart *out);
/* "1x8x8 of 64 cores" (instances x tokens x channels, busy of C). */
void map_part_describe(const MapPart *mp, int cores, char *buf, int cap);

#endif
