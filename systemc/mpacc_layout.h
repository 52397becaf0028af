/* systemc/mpacc_layout.h — how a GEMM's packed operands and its outputs lie in the accelerator's
 * memory: the byte image of each array of a packed matrix (models/pack.h), shared by the model
 * (systemc/mpacc.cpp, reading) and host software (systemc/mpacc_drv.cpp, writing).
 *
 * A packed matrix is up to four arrays, each at its own address (the descriptor registers W_CODES,
 * W_SCALES, W_ZEROS, W_META, X_CODES, X_SCALES of mpacc_regs.h). Little-endian images:
 *
 *   array    present for                  bytes                          element          align
 *   codes    every scheme                 rows * row_bytes               pack.h bit stream  1
 *                                         (row r at r * row_bytes, row_bytes = ceil(K * bits / 8))
 *   scales   uint4-group, BitMoD          rows * ngroups * 2             fp16 bits          2
 *            int8/int4, OliVe, ANT        (per_tensor ? 1 : rows) * 4    fp32               4
 *   zeros    uint4-group                  rows * zero_row_bytes          nibbles (pack.h)   1
 *   meta     BitMoD                       rows * ngroups                 byte (pack.h)      1
 *   Y        (outputs)                    M * N * 4                      fp32, row-major    4
 *
 * (ngroups = ceil(K / group); X of a fp16 kind has codes only; no X has zeros or meta.)
 */
#ifndef MP_SYSTEMC_MPACC_LAYOUT_H
#define MP_SYSTEMC_MPACC_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "models/pack.h"

typedef enum { MPL_CODES, MPL_SCALES, MPL_ZEROS, MPL_META, MPL_ARRAYS } MplArray;

/* Bytes of array a of p; 0 when p has no such array. */
size_t mpl_bytes(const PackedMat *p, MplArray a);
/* Alignment its address must have: 1, 2 or 4 bytes. */
unsigned mpl_align(const PackedMat *p, MplArray a);
/* Write the little-endian image of array a (mpl_bytes(p, a) bytes) to dst / read it from src into p
 * (allocated by pack_alloc or pack_matrix). */
void mpl_store(const PackedMat *p, MplArray a, uint8_t *dst);
void mpl_load(PackedMat *p, MplArray a, const uint8_t *src);
/* The name of an array for messages: "codes", "scales", "zeros", "meta". */
const char *mpl_name(MplArray a);

#endif
