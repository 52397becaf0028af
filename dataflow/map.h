/* dataflow/map.h — mapping one GEMM onto an array and its buffers (no clocks here).
 *
 * Y[M x N] = X[M x K] * W[N x K]^T is cut into SRAM blocks Bm x Bn x Bk. Loop nest, outermost
 * first (order MN; NM swaps the first two loops):
 *
 *     for mb in M by Bm:  for nb in N by Bn:          -- the output block lives in the output buffer
 *         for kb in K by Bk:                          -- one *step*: load the W and X blocks it
 *             for each array tile (R rows of Bm, C cols of Bn) -- needs unless already resident
 *                 the PE array computes the tile over kb's K range
 *         store the output block (M_b x N_b outputs) to DRAM
 *
 * A block stays resident when the next step uses the same block (e.g. the X block across nb when
 * Bk = K and order MN).
 *
 * Orientation (trans) says which GEMM dimension lies along the array's rows (sim/petime.h, Tile):
 * 0 = tokens (M) on the rows and output channels (N) on the columns, 1 = the reverse. It sets the
 * units of the candidate blocks (Bm a multiple of the token edge, Bn of the channel edge) and the
 * array tiles; it moves no DRAM byte.
 *
 * The space (map_enumerate): both orientations, both orders, Bm, Bn, Bk doubling from their units
 * plus the whole extent, every blocking that fits the buffer capacities (halved when
 * double-buffered). Which one runs is the simulator's choice (sim/mapper.h: least time by default);
 * map_choose here ranks by DRAM bits alone (ties: fewer K blocks, fewer steps, the first in order).
 */
#ifndef MP_DATAFLOW_MAP_H
#define MP_DATAFLOW_MAP_H

#include <stdint.h>

#include "base/err.h"

typedef enum { ORDER_MN, ORDER_NM } LoopOrder;

/* Largest GEMM dimension the mapper accepts: keeps tile extents in int and bit counts
 * (products of two dimensions times 64 bits) in int64. */
#define MAP_DIM_MAX ((int64_t)1 << 30)
/* Largest product of two GEMM dimensions (elements of one operand or of the output). */
#define MAP_ELEMS_MAX ((int64_t)1 << 50)

/* The causal mask of an attention GEMM (sim/engine.h, SimGemm.causal): along which dimension the
 * keys lie. Query row i (of M) sees key j only when j <= i + causal_off. At the block level, with
 * lim = m0 + mb - 1 + causal_off the last key the block's last row sees:
 *   MAP_CAUSAL_N  (QK^T, keys on N)  block (m0, n0) is skipped, all its K steps, no store, when
 *                                    n0 > lim;
 *   MAP_CAUSAL_K  (PV, keys on K)    K step k0 of an M block is skipped when k0 > lim; the executed
 *                                    K steps of an output block are a prefix: first_k / last_k mark
 *                                    its first and last executed one (the store follows the last);
 *                                    an output block with none executed is not stored.
 * A skipped step is not computed, loads nothing and is not counted in Mapping.steps; residency is
 * against the previous *executed* step. Blocks crossing the diagonal run whole. */
typedef enum { MAP_CAUSAL_NONE, MAP_CAUSAL_N, MAP_CAUSAL_K } MapCausal;

typedef struct MapProblem {
    int64_t m, n, k;
    int causal;                /* MapCausal: QK^T has the keys on N, PV on K                   */
    int64_t causal_off;        /* keys - m: a decode row (m = 1) sees every key                */
    int x_onchip, y_onchip;    /* X arrives from / Y stays in SRAM: no DRAM transfer (fused
                                * attention; sim/engine.h)                                     */
    int rows, cols;            /* PE array                                                    */
    int k_align;               /* Bk must be a multiple (group size, lanes), unless Bk = K    */
    double w_bits, x_bits;     /* bits per weight / activation element in SRAM (incl. metadata) */
    int acc_bits, out_bits;    /* partial-sum and final output element bits in the output buffer */
    double w_dram_bits, x_dram_bits, y_dram_bits; /* bits per element as stored in DRAM: the
                                * operand formats (converted on the DMA path, docs/simulator.md) */
    int64_t wbuf_bits, xbuf_bits, ybuf_bits;  /* capacities                                     */
    int double_buffer;
} MapProblem;

typedef struct Mapping {
    int64_t bm, bn, bk;
    LoopOrder order;
    int trans;                                      /* orientation, as above                    */
    int64_t dram_w_bits, dram_x_bits, dram_y_bits;  /* analytic DRAM traffic                   */
    int64_t steps;                                  /* kb iterations in all                     */
} Mapping;

/* Forced choices: 0 (or order -1, trans -1) = free; an extent larger than the GEMM's means all of
 * it; a forced Bk must be a multiple of k_align or all of K. */
typedef struct MapForce {
    int64_t bm, bn, bk;
    int order;
    int trans;
} MapForce;
#define MAP_FORCE_NONE ((MapForce){0, 0, 0, -1, -1})

/* Every candidate of the space that fits, traffic filled, in a fixed order (trans, order, Bm, Bn,
 * Bk outermost first); *out is allocated (mp_free it). MP_EINPUT when none fits or a forced value is
 * bad, with a message naming the smallest blocking or the forced one. */
int map_enumerate(const MapProblem *p, const MapForce *force, Mapping **out, int *n, MpErr *e) MP_MUST_CHECK;
/* The candidate with the least DRAM bits (ties as above). */
int map_choose(const MapProblem *p, const MapForce *force, Mapping *out, MpErr *e) MP_MUST_CHECK;
/* Units of the candidate blocks in an orientation: the token edge (Bm) and the channel edge (Bn). */
int map_m_unit(const MapProblem *p, int trans);
int map_n_unit(const MapProblem *p, int trans);
/* Analytic DRAM traffic of a given blocking (fills the dram_* fields and steps): closed forms
 * without a mask, a loop over the M blocks under one (O(M / Bm)); an on-chip X or Y moves 0 bits. */
void map_traffic(const MapProblem *p, Mapping *mp);
void map_describe(const Mapping *mp, char *buf, int cap);
/* Its orientation in words: "MxN" (tokens on the rows) or "NxM" (channels on the rows). */
const char *map_orient_name(int trans);

/* SRAM bits a FlashAttention-style fused block needs for one query tile against one key tile.
 * Our assumption: both tile edges are the array's larger edge, clipped to the problem:
 * Br = min(m, max(rows, cols)) queries, Bc = min(keys, max(rows, cols)) keys; it holds
 *     Br x Bc x s_bits                the S / P tile
 *   + Br x head_dim x acc_bits        the O accumulator
 *   + Br x head_dim x q_bits          the Q tile
 *   + 2 x Bc x head_dim x kv_bits     the K and V tiles
 *   + 2 x Br x 32                     the running max and sum (fp32)
 * each term rounded up to whole bits on its own. */
int64_t map_fused_attn_need_bits(int64_t m, int64_t keys, int head_dim, int rows, int cols, double s_bits,
                                 double q_bits, double kv_bits, int acc_bits);

/* Bits of one rows x cols block of elements of bits_per_elem bits (rounded up to whole bits). */
int64_t map_block_bits(double bits_per_elem, int64_t rows, int64_t cols);

/* One step of the schedule: which block it computes and what it must load / store. */
typedef struct MapStep {
    int64_t m0, n0, k0, mb, nb, kb;  /* block origin and extent                 */
    int load_w, load_x;              /* 1 if the previous executed step used another block */
    int first_k, last_k;             /* first / last executed K block of its output block  */
} MapStep;

/* Iterate the executed steps in schedule order (a causal mask's skipped ones are passed over): *it
 * starts at 0 and is opaque (a position in the unmasked grid); returns 0 when done. */
int map_next_step(const MapProblem *p, const Mapping *mp, int64_t *it, MapStep *st);

#endif
