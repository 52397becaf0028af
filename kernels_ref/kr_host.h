/* kernels_ref/kr_host.h — host-side pieces of the CUDA reference kernels, plain C11 (no CUDA):
 * the OliVe decode table, the numerics contract (which kernels are bit-exact, the stated bound of
 * the others), a bit-level CPU emulation of GEMV v1 (warp by warp, register by register, with
 * the tensor-core instruction emulated from its PTX fragment layout), the shared-memory bank of an
 * address, and the row-replication map the runner uses.
 *
 * tests/test_kernels_cpu.c runs all of it in `make test` on machines without a GPU; the runner
 * (kr_runner.c, kr_run_*.c) uses the table, the bounds and the map on the GPU machine.
 */
#ifndef MP_KERNELS_REF_KR_HOST_H
#define MP_KERNELS_REF_KR_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "kernels_ref/kr_api.h"
#include "models/golden.h"
#include "models/pack.h"

/* The project's format (models/golden.c num_formats) and PE datapath of each kernel. */
const NumFormat *kr_format(KrKernel k);
/* 1 for the integer paths, checked bit for bit against golden_gemm_hw: mixpe-w4a8, olive-w4a4. */
int kr_is_exact(KrKernel k);

/* OliVe: 256 fp16x2 entries per type, byte b -> (value of element 2i, value of element 2i+1) in
 * grid units, lower element in the low half; out[0..255] for the weights' type, out[256..511] for
 * the activations'. Illegal bytes (never packed) decode to 0. */
void kr_olive_lut(FmtId wfmt, FmtId xfmt, uint32_t out[512]);

/* The stated bound on |gpu - golden_hw| for one output, docs/gpu.md "Numerics contract":
 * S = sum_k |w_k x_k| of the dequantized values (quant_value), golden_bound =
 * golden_error_bound(kind, ...) (the golden datapath's own distance from the ideal result).
 * 0 for the bit-exact kernels. */
double kr_bound(KrKernel k, int K, int G, double S, double golden_bound);
/* Tensor-core accumulation model behind the bound: one m16n8k16 step (C + 16 exact products)
 * errs by at most KR_TC_STEP * u32 * (|C| + sum |products|), u32 = 2^-24. */
#define KR_TC_STEP 36.0

/* Bit-level CPU emulation of GEMV v1 (kr_gemv.cuh, gemv_kernel): the same decoders, the same
 * registers in the same fragment slots, mma.sync emulated from the PTX fragment layout (exact
 * products; the sum rounded once to fp32), the same per-group dequantization in the same order.
 * w, x: packed as for the GPU (full matrices). y[m * N + n]. */
int kr_emu(KrKernel k, const PackedMat *w, const PackedMat *x, float *y, MpErr *e) MP_MUST_CHECK;

/* Shared-memory bank of a 4-byte access at byte offset `off` (32 banks of 4 bytes). */
static inline int kr_bank(size_t off) { return (int)((off >> 2) & 31); }

/* Row replication (docs/gpu.md, "Inputs"): rows [0, nbase) are the distinct base rows; row
 * r >= nbase repeats base row map[r], drawn uniformly from the seeded stream. map[r] = r below
 * nbase. */
void kr_row_map(uint64_t seed, int rows, int nbase, int *map);

#endif
