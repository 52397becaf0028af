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
 *     pk  K parts (slices of K)             1 <= pk <= K / k_align  pi x pm x pn x pk <= C
 *
 * and a busy core runs serial x (its group's instances), back to back, on its M part x N part x its
 * K slice. With pk = 1 every core owns whole outputs. With pk > 1 (K split) the pk cores of one
 * M part x N part cell each compute partial sums over their slice; K part 0 owns the outputs: the
 * others write their partials (REDUCE_BITS = 32 bits each, fp32 or int32) to DRAM, the owner reads
 * them back, adds them in its array and stores the outputs once, at their format (below: the
 * reduction tail). K is split on multiples of k_align (the PE's lanes and, for kinds quantized per
 * group along K, the group size: a slice never cuts a group), and only when k_align divides K; a
 * masked GEMM is never K-split. A part of a masked GEMM (causal, M > 1) must be the masked GEMM of
 * its own shape, so such a GEMM splits
 * its instances and, with the keys on K (PV, MAP_CAUSAL_K), its output channels: row i of a part sees
 * key j when j <= i + K - M, which involves neither N nor where the channel part starts, so a
 * channel part's mask is the whole GEMM's. Its tokens never (rows from m0 would need an offset
 * m0 the mask has not), nor QK^T's channels (they are its keys). Along each dimension the T units
 * go ceil(T / p) to T % p parts (all p when p divides T) and floor(T / p) to the rest (K in units of
 * k_align). A shape is one (instances, M, N) combination of ceil / floor (8) x one of: the owner
 * (K ceil), a non-owner of K ceil, a non-owner of K floor: at most 24 shapes (8 when pk = 1).
 *
 * The reduction tail of one instance of an mc x nc cell, after the slowest part (no network on
 * chip: partials go through DRAM; serial, nothing overlaps it):
 *     t(b)   = latency + ceil(b / share)                    (one DRAM transfer of b bits)
 *     tail   = t(P)                                         the non-owners write, side by side
 *            + (pk - 1) t(P)                                the owner reads each back
 *            + (pk - 1) ceil(mc nc / (rows cols))           the owner adds them: one add per PE per
 *                                                           cycle, outputs spread over its PEs
 *            + t(mc nc yb)                                  the owner's store, timed again here
 *     with P = mc nc REDUCE_BITS. The owner's part is simulated storing its outputs (its
 *     conversions and store counted there); its store's time counts once more in the tail.
 *     pk = 1: tail = 0.
 *
 * The memory system is channel-interleaved: the busy cores share it, each seeing
 *     share = max(1, channels x bits_per_cycle / busy)   bits per cycle (rounded down)
 * (no per-core port limit; idle cores take no share).
 *
 * The choice (map_partition): over every grid, the estimate of the busiest core (shape 0: ceil in
 * every dimension; ci = serial x ceil(indep / pi) instances of mc = ceil(M / pm) x nc = ceil(N / pn)
 * x kc = its K slice)
 *     compute = ci x min(ceil(mc / rows) ceil(nc / cols), ceil(mc / cols) ceil(nc / rows))
 *                  x ceil(kc / lanes) x step_cycles              (whole tiles, the better orientation)
 *     dram    = ci x (xfers(mc, nc) x latency + bits(mc, nc) / share)
 *     time    = max(compute, dram) + ci x tail
 * where bits(mc, nc) is the least DRAM traffic of one instance of the part over output blocks
 * Bm x Bn that fit the output buffer (Bm a power of two or mc, Bn the most that fits, at most nc;
 * capacities halved when double-buffered), and xfers(mc, nc) the DRAM transfers of that blocking
 * (one per block of each operand that moves through DRAM, and no fewer than its bits fill its
 * buffer: reads x SRAM bits / capacity); of these blockings, the least xfers x latency + bits / share:
 *     X rn + W rm + Y                         K streamed in blocks (rm = ceil(mc / Bm), rn = ceil(nc / Bn))
 *     X + W rm  or  W + X rn' + Y             the whole K in one block, when a Bm x K block of X and a
 *                                             Bn' x K block of W fit their buffers (the X or W block
 *                                             stays resident across the other loop)
 * with X = mc K xb, W = nc K wb, Y = mc nc yb (0 for an operand on chip). It stands for the mapper's
 * blocking of the part (dataflow/map.h), whose re-reads dominate when a core's part is much larger
 * than its buffers. The DRAM traffic of all cores, the first tie-break, is the simpler
 *     serial x indep x (M K xb pn + N K wb pm + M N yb)
 *     serial x indep x (M K xb pn + N K wb pm + M N yb + 2 (pk - 1) M N REDUCE_BITS)
 * (every token part reads all of its W, every channel part all of its X). The least time wins; ties
 * go to less traffic, then fewer busy cores, then the first in (pi, pm, pn, pk) order. Only the
 * smallest p giving each distinct ceil(T / p) is tried per dimension (a larger p with the same ceil
 * has the same busiest core, a smaller share and no less traffic). Among those grids, the ones
 * within MAP_PART_NEAR of the least time are near-ties: the most busy cores wins, then the least
 * time, less traffic, the first in (pi, pm, pn, pk) order (the estimate misses the pipeline's fill
 * and drain, which shrink with a core's share of the work). The search skips the DRAM time of a grid
 * whose compute + tail already exceed the bound and stops adding K parts once the tail alone does:
 * 28814 grids (15877 with their DRAM time) for 2048 x 11008 x 4096 at C = 4096 and k_align 1, in
 * 12-17 ms (docs/simulator.md §4d).
 */
#ifndef MP_DATAFLOW_PART_H
#define MP_DATAFLOW_PART_H

#include <stdint.h>

#include "dataflow/map.h"

#define MAP_PART_SHAPES 24 /* 8 (ceil / floor of instances, M, N) x (owner, non-owner K ceil, K floor) */
#define MAP_PART_NEAR 0.01 /* estimates within 3% of the least are near-ties (map_partition) */
#define MAP_PART_REDUCE_BITS 32 /* bits of one partial sum written to DRAM in a K split (fp32 / int32) */
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
    int pi, pm, pn, pk;         /* the grid                                                      */
    int busy;                   /* pi x pm x pn x pk cores have work; C - busy idle             */
    int64_t share;              /* a busy core's DRAM bits per cycle (above)                    */
    int nshape;                 /* shapes 0..nshape-1; shape 0 is ceil in every dimension       */
    int64_t count[MAP_PART_SHAPES], m[MAP_PART_SHAPES], n[MAP_PART_SHAPES], k[MAP_PART_SHAPES];
                                /* one core of shape s: instances (serial x its independent
                                 * ones), M, N, its K slice                                     */
    int owner[MAP_PART_SHAPES]; /* 1: shape s owns its outputs (stores them); 0: a non-owner K
                                 * part, its partials reduced by the tail (pk = 1: all own)     */
    int ncores[MAP_PART_SHAPES];/* cores of shape s (>= 1); they sum to busy                     */
    double est_cycles, est_bits;/* the estimate of the chosen grid (above), tail included       */
    int64_t tail;               /* the reduction tail of one instance of shape 0 (above; 0 when
                                 * pk = 1), cycles                                              */
    int64_t tail_adds;          /* of them, the owner's adds on its PEs; the rest are transfers */
} MapPart;

/* The grid with the least estimate, in the order above. Deterministic; C = 1 gives 1 x 1 x 1. */
void map_partition(const MapPartProblem *p, MapPart *out);
/* The shapes of a given grid (pi, pm, pn, pk within the bounds above; pk > 1 only where K may
 * split), its share and its estimate. */
void map_part_grid(const MapPartProblem *p, int pi, int pm, int pn, int pk, MapPart *out);
/* The reduction tail (above) of one instance of an mc x nc cell split pk ways along K. Cycles. */
int64_t map_part_tail(const MapPartProblem *p, int pk, int64_t share, int64_t mc, int64_t nc);
/* 1 if the problem's K may split (not masked, k_align divides K, K / k_align >= 2). */
int map_part_k_splits(const MapPartProblem *p);
/* "1x8x8 of 64 cores" (instances x tokens x channels, busy of C); "1x1x8x4 of 64 cores" with a
 * K split (x K parts). */
void map_part_describe(const MapPart *mp, int cores, char *buf, int cap);

#endif
