/* sim/array.h — the PE array, cycle by cycle (cycle fidelity).
 *
 * One call simulates one tile (sim/petime.h) tick by tick: operands enter the array edges with
 * the systolic skew and move one PE per cycle through registers that carry the (row, k) or
 * (col, k) index of the element they hold; a PE whose two operand registers meet starts a step
 * (and checks that both carry the same k — a dataflow bug is an MP_EINTERNAL error), running the
 * hardware-exact golden accumulator on the real quantized data. Partial sums enter and leave
 * through the output buffer. The phases returned must equal pe_tile_phases() (tested).
 */
#ifndef MP_SIM_ARRAY_H
#define MP_SIM_ARRAY_H

#include <stdint.h>

#include "base/err.h"
#include "sim/config.h"
#include "models/golden.h"
#include "sim/petime.h"

typedef struct Array Array;

/* Data of the GEMM being simulated; psum holds one GoldenAcc per output (M x N), the output
 * buffer's partial-sum contents; y receives final outputs (M x N). */
typedef struct ArrayData {
    const QMat *w, *x;
    GoldenAcc *psum;
    float *y;
} ArrayData;

int array_create(const ArchConfig *c, Array **out, MpErr *e) MP_MUST_CHECK;
void array_destroy(Array *a);
/* Simulate one tile with timing row pt and datapath kind; *ph gets the ticks each phase took (they
 * must equal pe_tile_phases(), tested; the caller overlaps phases of consecutive tiles, sim/petime.h
 * ArrayPipe), *pe_busy the PE-cycles spent on steps. d may be NULL: indices still move and are
 * checked. */
int array_run_tile(Array *a, const PeTiming *pt, PeKindId kind, const Tile *t, ArrayData *d, TilePhases *ph,
                   int64_t *pe_busy, MpErr *e) MP_MUST_CHECK;

#endif
