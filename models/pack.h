/* models/pack.h — the packed bit layouts shared by the simulator, the RTL and the CUDA kernels.
 *
 * docs/formats.md draws every layout as a table; the short form:
 *
 *   codes    row-major, row r starts at byte r * row_bytes, row_bytes = ceil(cols * bits / 8).
 *            Within a row, element c occupies bits [c*bits, c*bits + bits) of a little-endian
 *            bit stream: for 4-bit codes element 2i is the LOW nibble of byte i, 2i+1 the HIGH.
 *            3-bit codes: 8 elements in 3 bytes, element 0 in bits 2:0 of byte 0.
 *            Unused trailing bits of a row are 0.
 *   OliVe    the pair (2i, 2i+1) is byte i; a nibble 1000 marks the victim and makes its
 *            partner's nibble an abfloat outlier code (s e1 e0 m). Both nibbles 1000 is illegal.
 *   scales   fp16 (uint16 bits) per group for uint4-group and BitMoD (BitMoD: the sign is the
 *            POS/NEG choice, the value is in native E2M1/FP3 units); fp32 per row or per tensor
 *            for int8/int4, OliVe and ANT.
 *   zeros    uint4 per group, nibble-packed per row like codes (ngroups along the row).
 *   meta     BitMoD: one byte per group, bit 0 = 1 for EA (extra asymmetry), 0 for ER; bits 7:1 = 0.
 *   type     OliVe: 0 int4, 1 flint4; ANT: 0 int, 1 flint, 2 PoT, 3 int8 (the 8-bit fallback;
 *            8-bit codes) (one per matrix).
 */
#ifndef MP_MODELS_PACK_H
#define MP_MODELS_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "models/quant.h"

typedef struct PackedMat {
    QScheme scheme;
    FmtId fmt;
    int rows, cols, group, ngroups, per_tensor;
    int bits;             /* code width: 16 fp16, 8 int8, 4, 3                      */
    size_t row_bytes;     /* bytes per row of codes                                 */
    uint8_t *codes;       /* rows * row_bytes                                       */
    uint16_t *scale16;    /* rows * ngroups fp16 scales (uint4-group, BitMoD)       */
    float *scale32;       /* rows (or 1) fp32 scales (int, OliVe, ANT)              */
    uint8_t *zero4;       /* rows * zero_row_bytes, nibble-packed (uint4-group)     */
    size_t zero_row_bytes;
    uint8_t *meta;        /* rows * ngroups (BitMoD)                                */
    uint8_t type;         /* OliVe / ANT element type                              */
} PackedMat;

int pack_matrix(const QMat *q, PackedMat *p, MpErr *e) MP_MUST_CHECK;
/* An all-zero packed matrix of rows x cols quantized with qp, with exactly the geometry pack_matrix
 * gives the QMat quant_matrix(qp, ...) would make (bits, group, ngroups, per_tensor, row_bytes,
 * which of scale16/scale32/zero4/meta exist); type is the OliVe (0..1) or ANT (0..3) element type
 * and must be 0 for other schemes. For filling from packed bytes held elsewhere (a device's memory,
 * systemc/), then unpack_matrix. MP_EINPUT for a bad shape or type, MP_ENOMEM. */
int pack_alloc(const QParams *qp, int rows, int cols, uint8_t type, PackedMat *p, MpErr *e) MP_MUST_CHECK;
/* Rebuild a QMat from packed bytes; rejects illegal codes (e.g. a 1000/1000 OliVe byte). */
int unpack_matrix(const PackedMat *p, QMat *q, MpErr *e) MP_MUST_CHECK;
void pack_free(PackedMat *p);
/* Bytes the packed matrix occupies in memory (codes + scales + zeros + meta). */
size_t pack_bytes(const PackedMat *p);

/* The bit stream primitives (LSB first), for any width 1..16. */
void pack_put_bits(uint8_t *row, int index, int bits, uint32_t value);
uint32_t pack_get_bits(const uint8_t *row, int index, int bits);

/* OliVe pair byte <-> the two element codes of quant.h (0..15 normal, 8 victim, 16..31 outlier).
 * olive_byte_decode returns -1 for an illegal byte. */
uint8_t pack_olive_byte(uint8_t code_lo, uint8_t code_hi);
int pack_olive_byte_decode(FmtId fmt, uint8_t byte, uint8_t *code_lo, uint8_t *code_hi);

#endif
