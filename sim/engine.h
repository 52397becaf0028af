/* sim/engine.h — simulate one GEMM on a configured accelerator, at either fidelity.
 *
 * The schedule (dataflow/map.h) is a sequence of steps; each step loads the W and X blocks it
 * needs from DRAM, computes its array tiles, and (at the last K block of an output block) stores
 * the outputs. The array runs the tiles back to back (sim/petime.h, pe_pipe_tile). DRAM is one
 * channel serving transfers in issue order, each taking latency + ceil(bits / bits_per_cycle)
 * cycles; the DMA queue is in program order. Double buffering issues the loads of step s+1 when
 * step s starts computing (not before step s-1's store is queued) and lets an output block be
 * stored while the next one computes; without it everything is sequential. A GEMM's count
 * instances run as one schedule, back to back. docs/simulator.md has the full timing model.
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
    int act_act;    /* 1: both operands are activations (attention); 0: weight x activation */
    int64_t count;  /* instances run back to back (a layer's heads or repeats); 0 or 1: one.
                     * Each instance has its own operands (no block stays resident across them);
                     * the next one's first loads overlap this one's last compute. The result
                     * covers every instance; the mapping is chosen for one. */
    int y_store;    /* SimStore: how the outputs are stored: at out_format (the next GEMM's input),
                     * at kv_format (KV-cache entries: the k/v projections) or fp16 (for the vector
                     * unit: attention scores, outputs added into the residual stream). An
                     * act_act GEMM's second operand is read at kv_format. */
    int causal;     /* MapCausal (dataflow/map.h): attention under the causal mask. Query row i of
                     * an instance sees key j only when j <= i + (keys - m); schedule steps whose
                     * block lies wholly above that diagonal are skipped (not computed, not loaded,
                     * not stored); blocks that cross it are computed whole (masked in the vector
                     * unit), as FlashAttention-style kernels do. MAP_CAUSAL_NONE: every block. */
    int x_onchip;   /* 1: the X operand is already on chip (fused attention: P = softmax(S) left in
                     * SRAM by the QK^T phase): its blocks are written into the activation buffer
                     * without a DRAM load or DMA-path conversion */
    int y_onchip;   /* 1: the outputs stay on chip (fused attention: S for the softmax and PV):
                     * no DRAM store, no DMA-path conversion */
    int x_store;    /* SimStore of the X operand as it was stored: SIM_STORE_OUT (a layer's output)
                     * or SIM_STORE_FP16 (attention probabilities P from the softmax) */
    int64_t serial; /* of the count instances, how many depend on each other (the layers, Gemm.serial);
                     * count / serial are independent. Read only by the split across cores
                     * (sim/cores.h, dataflow/part.h): 0 or 1 = all independent; one that does not
                     * divide count = all dependent. The engine runs all count back to back. */
} SimGemm;

/* Stored formats of a GEMM's operands and outputs (SimGemm.y_store, x_store). */
typedef enum { SIM_STORE_OUT, SIM_STORE_KV, SIM_STORE_FP16 } SimStore;
/* The OpFmtId a SimStore means on config c. */
int sim_store_fmt(const ArchConfig *c, int store);

/* What a GEMM's time is made of: each resource's own cycles, the cycles it would need if nothing
 * else held the GEMM back (docs/simulator.md §4, "What binds a layer"). The largest is the
 * layer's bound; a GEMM takes at least that long, and the difference is what overlap leaves.
 *   compute      MACs at the whole array's peak (macs x step_cycles / (rows x cols x lanes))
 *   dram         the channel's busy cycles: latency + ceil(bits / bits_per_cycle) per transfer
 *   w_ingest     the weight edge at full width: OS sum(tn x steps x sc) / its length; WS the preloads
 *   x_ingest     the activation edge at full width: sum(tm x steps x sc) / its length
 *   sram_port    cycles in which the SRAM ports, not the PEs, set the pace of a step
 *   fill_drain   the array's busy cycles not spent streaming steps: skew, pipeline latency, psum
 *                loads and drains not hidden behind another tile
 *   vector       a vector row's lane cycles (sim/vecunit.h); 0 for a GEMM */
typedef enum {
    SIM_RES_COMPUTE,
    SIM_RES_DRAM,
    SIM_RES_W_INGEST,
    SIM_RES_X_INGEST,
    SIM_RES_SRAM_PORT,
    SIM_RES_FILL_DRAIN,
    SIM_RES_VECTOR, /* the vector unit's lanes (sim/vecunit.h): a vector row's compute cycles */
    SIM_RES_COUNT
} SimResource;
extern const char *const sim_resource_names[SIM_RES_COUNT]; /* "compute", "dram", ... (JSON keys) */

typedef struct SimResult {
    SimEvents ev;
    Mapping map;
    int64_t tiles;
    int64_t res[SIM_RES_COUNT]; /* own cycles of each resource, one instance                  */
    int64_t stream;             /* cycles the array spent streaming steps (sum over tiles)      */
} SimResult;
/* The binding resource: the first in SimResource order whose own cycles are within 2% of the
 * largest (on a full array compute and both edges need nearly the same cycles, and partial tiles
 * make the edges' figures slightly larger: that is still a compute-bound layer). */
#define SIM_BOUND_TIE_NUM 49
#define SIM_BOUND_TIE_DEN 50
SimResource sim_bound(const SimResult *r);

/* Work limits: what one GEMM may cost before it is simulated, so that no valid input keeps a
 * command (or a sweep worker) busy for hours. A GEMM above a limit is refused with MP_EINPUT (exit 2;
 * a sweep records the design point as infeasible) and a message naming the knob to raise, the
 * environment variable (a whole number >= 1; docs/simulator.md, "Work limits"):
 *   MPSIM_MAX_STEPS      schedule steps of one GEMM's mapping (both fidelities)    default 2^24
 *                        (fast mode runs ~1 µs per step: the default is ~20 s at most)
 *   MPSIM_MAX_PE_CYCLES  PE-cycles one GEMM may simulate at cycle fidelity        default 2^33
 *                        (cycles x rows x cols; 45-160 M PE-cycles/s: 1-3 minutes at most)
 * Limits only refuse; they never change a result. */
#define SIM_MAX_STEPS_DEFAULT ((int64_t)1 << 24)
#define SIM_MAX_PE_CYCLES_DEFAULT ((int64_t)1 << 33)
typedef struct SimLimits {
    int64_t max_steps, max_pe_cycles;
} SimLimits;
/* The limits in force: the defaults, or the environment's values (MP_EINPUT for a bad one). */
int sim_limits(SimLimits *l, MpErr *e) MP_MUST_CHECK;

/* data (cycle fidelity only, may be NULL): quantized operands and output/psum storage; with data
 * the outputs are checked against the golden GEMM and a difference is MP_ECHECK. */
int sim_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const MapForce *force, ArrayData *data,
             SimResult *r, MpErr *e) MP_MUST_CHECK;
/* The same with the mapping given (a candidate of map_enumerate); no work limits are applied. */
int sim_gemm_mapped(const ArchConfig *c, const SimGemm *g, const Mapping *mp, Fidelity fid, ArrayData *data,
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
