/* rtl/harness/rtl_feed.h — what rtl/mp_array.sv's inputs carry for a tile, read from the packed
 * matrices of models/pack.h: the tile configuration (cfg_*), the per-token / per-channel fp32 scales,
 * and the operand bundles the array asks for, step by step, on feed_v / feed_step (docs/rtl.md §2
 * and §4). Shared by the Verilator harness (rtl/harness/rtl_tb.cpp) and the SystemC co-simulation
 * (systemc/rtl_tile.h), so both feed the RTL the same bytes the simulator and the CUDA kernels use.
 *
 * Header-only (static inline), C and C++. Bundles, LSB first (rtl/mp_kinds.vh kind_xfw / kind_wfw):
 *
 *   kind                  x_in (a token, per step)             w_in (an output channel, per step)
 *   fp16, int8            the code (16 / 8 bits)               the code (16 / 8 bits)
 *   w4a16-dq, mixpe-*     the code (fp16 or int8)              [3:0] code, [7:4] zero, [23:8] fp16 scale
 *   bitmod                lane l in [16l+15:16l] (fp16)        lane l in [4l+3:4l], [16] EA meta, [32:17] scale
 *   olive                 [7:0] pair byte, [8] parity of k     [7:0] pair byte, [8] parity of k
 *   ant                   the 4-bit code                       the 4-bit code
 *   olive-w4a16           the fp16 code                        [7:0] pair byte, [8] parity of k
 *   ant-w4a16             the fp16 code                        the 4-bit code
 *
 * BitMoD lanes at or past the tile's end k1 are 0.
 */
#ifndef MP_RTL_HARNESS_RTL_FEED_H
#define MP_RTL_HARNESS_RTL_FEED_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif
#include "models/pack.h"
#include "models/pekind.h"
#include "sim/config.h"
#include "sim/petime.h"
#ifdef __cplusplus
}
#endif

/* The kinds whose 32-bit partial sums and output scalings are integer (int32 accumulators). */
static inline int rtl_is_int_kind(PeKindId kind) { return pe_kinds[kind].int_acc; }
/* The kinds with per-group state in the PE (group end signalled on gend_in). */
static inline int rtl_has_group_state(PeKindId kind) { return pe_kinds[kind].timing.group_dequant; }
/* The kinds whose weights come in groups (per-group state, or per-group dequantization at the edge). */
static inline int rtl_uses_groups(PeKindId kind)
{
    return pe_kinds[kind].timing.group_dequant || pe_kinds[kind].timing.weight_dequant;
}

/* The cfg_* values of a tile that are not taken directly from it (docs/rtl.md §2). */
typedef struct RtlTileCfg {
    int steps; /* cfg_steps = ceil(tk / lanes)                                               */
    int se;    /* cfg_se: effective cycles per step, pe_tile_step()                           */
    int ric;   /* cfg_ric: cycles per partial-sum row in, ceil(tile_cols * acc_bits / bw)     */
    int roc;   /* cfg_roc: cycles per result row out, ceil(tile_cols * (out|acc)_bits / bw)   */
} RtlTileCfg;

static inline RtlTileCfg rtl_tile_cfg(const ArchConfig *c, const PeTiming *pt, const Tile *t)
{
    const int64_t bw = (int64_t)c->sram_banks * c->sram_port_bits;
    RtlTileCfg r;
    r.steps = (int)((t->tk + pt->lanes - 1) / pt->lanes);
    r.se = pe_tile_step(c, pt, t);
    const int64_t cols = tile_cols(t); /* an array row holds tile_cols values (tn, or tm when trans) */
    r.ric = (int)((cols * pt->acc_bits + bw - 1) / bw);
    r.roc = (int)((cols * (t->last_k ? pt->out_bits : pt->acc_bits) + bw - 1) / bw);
    return r;
}

/* Four lanes of `bits`-bit codes from k, lane l at bit `stride` * l; lanes at or past k1 are 0. */
static inline uint64_t rtl_lanes(const uint8_t *row, int64_t k, int64_t k1, int bits, int stride)
{
    uint64_t v = 0;
    for (int l = 0; l < 4; l++)
        if (k + l < k1) v |= (uint64_t)pack_get_bits(row, (int)(k + l), bits) << (stride * l);
    return v;
}

/* The bundle of X row m at the step starting at k (k1: end of the tile's K range). */
static inline uint64_t rtl_x_bundle(PeKindId kind, const PackedMat *px, int m, int64_t k, int64_t k1)
{
    const uint8_t *row = px->codes + (size_t)m * px->row_bytes;
    switch (pe_kinds[kind].rtl.xfeed) {
    case PE_FEED_LANES16: return rtl_lanes(row, k, k1, 16, 16);
    case PE_FEED_PAIR: return ((uint64_t)(k & 1) << 8) | row[k >> 1];
    default: return pack_get_bits(row, (int)k, px->bits);
    }
}

/* The bundle of W row n (output column n) at the step starting at k. */
static inline uint64_t rtl_w_bundle(PeKindId kind, const PackedMat *pw, int n, int64_t k, int64_t k1)
{
    const uint8_t *row = pw->codes + (size_t)n * pw->row_bytes;
    const int g = (int)(k / pw->group);
    switch (pe_kinds[kind].rtl.wfeed) {
    case PE_FEED_GROUP_U4: {
        uint64_t z = pack_get_bits(pw->zero4 + (size_t)n * pw->zero_row_bytes, g, 4);
        uint64_t s = pw->scale16[(size_t)n * pw->ngroups + g];
        return (s << 8) | (z << 4) | pack_get_bits(row, (int)k, 4);
    }
    case PE_FEED_LANES_GRP: {
        uint64_t v = rtl_lanes(row, k, k1, pw->bits, 4);
        v |= (uint64_t)(pw->meta[(size_t)n * pw->ngroups + g] & 1) << 16;
        v |= (uint64_t)pw->scale16[(size_t)n * pw->ngroups + g] << 17;
        return v;
    }
    case PE_FEED_PAIR: return ((uint64_t)(k & 1) << 8) | row[k >> 1];
    default: return pack_get_bits(row, (int)k, pw->bits);
    }
}

/* gend_in of the step starting at k: its last k ends a weight group (models/golden.c group_end). */
static inline int rtl_step_gend(PeKindId kind, int lanes, const PackedMat *pw, int64_t k, int64_t k1)
{
    if (!rtl_has_group_state(kind)) return 0;
    int64_t last = k + lanes - 1;
    if (last > k1 - 1) last = k1 - 1;
    return (last + 1) % pw->group == 0 || last + 1 == pw->cols;
}

/* x_scale of X row m (token m): its fp32 scale bits (per row or per tensor) when X has fp32 scales;
 * *valid = 0 when the array does not use it (fp16 activations). */
static inline uint32_t rtl_row_scale(const PackedMat *px, int m, int *valid)
{
    uint32_t b = 0;
    *valid = px->scale32 != NULL;
    if (*valid) memcpy(&b, &px->scale32[px->per_tensor ? 0 : m], 4);
    return b;
}

/* w_scale of W row n (output channel n): its fp32 scale bits when W has fp32 scales (per row or per
 * tensor: int8/int4, OliVe and ANT weights, which the finish of the integer kinds and of olive-w4a16 /
 * ant-w4a16 multiplies by); *valid = 0 otherwise (group scales travel with the weights). */
static inline uint32_t rtl_col_scale(PeKindId kind, const PackedMat *pw, int n, int *valid)
{
    uint32_t b = 0;
    (void)kind;
    *valid = pw->scale32 != NULL;
    if (*valid) memcpy(&b, &pw->scale32[pw->per_tensor ? 0 : n], 4);
    return b;
}

#endif
