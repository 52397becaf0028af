/* sim/engine.h — simulate one GEMM on a configured accelerator, at either fidelity.
 *
 * The schedule (dataflow/map.h) is a sequence of steps; each step loads the W and X blocks it
 * needs from DRAM, computes its array tiles, and (at the last K block of an output block) stores
 * the outputs. DRAM is one channel serving transfers in issue order, each taking
 * latency + ceil(bits / bits_per_cycle) cycles. Double buffering issues the loads of step s+1
 * when step s starts computing and lets an output block be stored while the next one computes;
 * without it everything is sequential. docs/simulator.md has the full timing model.
 *
 *   FID_CYCLE: ticks every cycle — the array tile by tile, register by register (sim/array.h),
 *              the DRAM channel bit count by bit count — and, with data, computes every output
 *              through the hardware-exact golden datapath and checks it against golden_gemm_hw.
 *   FID_FAST:  closed forms per tile and per transfer composed by a recurrence; the same cycle
 *              and event counts as FID_CYCLE, by construction of the tests (tests/test_engine.c).
 */
#ifndef MP_SIM_ENGINE_H
#define MP_SIM_ENGINE_H

#include <stdint.h>

#include "sim/array.h"
#include "base/err.h"
#include "sim/config.h"
#include "dataflow/map.h"
#include "sim/events.h"

typedef enum { FID_FAST, FID_CYCLE } Fidelity;

typedef struct SimGemm {
    int64_t m, n, k;
    int act_act;  /* 1: both operands are activations (attention); 0: weight x activation */
} SimGemm;

typedef struct SimResult {
    SimEvents ev;
    Mapping map;
    int64_t tiles;
} SimResult;

/* data (cycle fidelity only, may be NULL): quantized operands and output/psum storage; with data
 * the outputs are checked against the golden GEMM and a difference is MP_ECHECK. */
int sim_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const MapForce *force, ArrayData *data,
             SimResult *r, MpErr *e) MP_MUST_CHECK;

/* The golden datapath and the operand quantization a GEMM runs with: weight x activation GEMMs use
 * the kind's own; activation x activation GEMMs (attention) quantize both operands as the kind's
 * activations and run the matching datapath: fp16 activations -> fp16, int8 -> int8, OliVe and
 * ANT -> their own with per-tensor scales on both sides. */
PeKindId sim_datapath_kind(const ArchConfig *c, int act_act);
void sim_operand_params(const ArchConfig *c, int act_act, QParams *wq, QParams *xq);

/* The mapping problem of a GEMM under a config (exposed for reports and tests). */
void sim_map_problem(const ArchConfig *c, const SimGemm *g, MapProblem *p);

#endif
