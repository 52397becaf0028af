/* sim/run.h — simulate a whole workload (a model's GEMMs for one phase) on one configuration.
 *
 * Each distinct GEMM is mapped once (for one instance) and its `count` instances are simulated
 * back to back: the next instance's first loads overlap the last compute of the one before, as
 * consecutive GEMMs do (sim/engine.h; the fast engine extrapolates once the instances repeat). Cycle fidelity generates seeded synthetic operands per GEMM
 * (traces/synth.h), quantizes them for the PE kind, runs the array on real data and checks every
 * output against the golden GEMM: a difference is MP_ECHECK.
 *
 * The workload's vector rows run on the vector unit (sim/vecunit.h) in execution order between the
 * GEMMs, each after the GEMM rows before it; nothing overlaps (the stated policy). The total is the
 * sum of every GEMM's and every vector row's cycles and events.
 *
 * Fused attention ([attention] fused = true): when one query tile against one key tile fits the
 * buffers (dataflow/map.h, map_fused_attn_need_bits, against weight + activation + output
 * capacity), attn_qk keeps S on chip (SimGemm.y_onchip), attn_pv takes P from SRAM (x_onchip), the
 * softmax becomes the online softmax per key block (its blocks from attn_qk's mapping) and an
 * attn_rescale row is added; otherwise attention runs unfused and RunResult.note says why.
 */
#ifndef MP_SIM_RUN_H
#define MP_SIM_RUN_H

#include <stdint.h>

#include "dataflow/part.h"
#include "sim/energy.h"
#include "sim/mapper.h"
#include "sim/vecunit.h"
#include "traces/workload.h"

typedef struct RunLayer {
    Gemm g;                 /* name, m, n, k, count, role                                          */
    SimResult r;            /* one instance on its own (its mapping is the layer's); with several
                             * cores, one instance of the first core's part (sim/cores.h)      */
    SimResult all;          /* every instance, back to back (sim/engine.h, SimGemm.count), on every
                             * core (sim/cores.h): the layer's cycles, events and resources; = r
                             * when count is 1 on one core                                     */
    MapPart part;           /* its split across the cores (dataflow/part.h; 1x1x1 on one core)   */
} RunLayer;

typedef struct RunVec {
    VecRow v;               /* the workload's row (name, kernel, shape, where it runs)            */
    VecJob j;               /* as resolved on the design (formats, fused, key blocks)             */
    SimResult r;            /* every row of every instance                                        */
} RunVec;

/* Results of GEMMs and vector jobs already simulated on one design with one set of options, reused
 * by run_workload when the same one comes again (a request's decode steps differ only in their
 * attention; sim/infer.h). Fast fidelity only; the key is every input of the simulation, compared
 * as bytes (keys are zeroed before they are filled, padding included). */
typedef struct RunMemoEntry {
    int is_vec;                               /* which member of key and val        */
    union { SimGemm gemm; VecJob vec; } key;  /* a GEMM (count included) or a job   */
    union { RunLayer gemm; SimResult vec; } val;
} RunMemoEntry;
typedef struct RunMemo {
    RunMemoEntry *e;
    int n, cap;
    int64_t hits, misses;
} RunMemo;
void run_memo_free(RunMemo *m);

typedef struct RunOpts {
    Fidelity fid;
    const MapForce *force;  /* NULL = let the mapper choose */
    uint64_t seed;          /* cycle fidelity: synthetic operand seed */
    int progress;           /* print progress to stderr */
    int objective;          /* the mapper's objective (sim/mapper.h); 0 = time */
    const TechTable *tech;  /* prices for the energy objective (point_eval sets it) */
    RunMemo *memo;          /* NULL: simulate everything; else reuse (fast fidelity only)  */
} RunOpts;

typedef struct RunResult {
    int nlayer;
    RunLayer *layer;
    int nvec;
    RunVec *vec;            /* in execution order; vec[i].v.after GEMM rows run before it        */
    int fused;              /* attention ran fused                                                 */
    int64_t fused_need_bits, fused_have_bits; /* asked for fused attention: the SRAM one query tile x
                             * key tile needs (map_fused_attn_need_bits) and what the buffers hold */
    char note[256];         /* why fused attention was not used, or ""                             */
    SimEvents total;        /* all instances (events x count) */
    int64_t checked_outputs;/* cycle fidelity: outputs compared with the golden GEMM */
} RunResult;

int run_workload(const ArchConfig *c, const Workload *w, const RunOpts *o, RunResult *r, MpErr *e) MP_MUST_CHECK;
void run_free(RunResult *r);

#endif
