/* sim/cores.h — a GEMM on several cores and DRAM channels: split, each part simulated, combined.
 *
 * A design has `cores` identical PE arrays ([arch] cores), each with its own weight, activation and
 * output buffers of the configured sizes, and `channels` DRAM channels ([dram] channels), each
 * bits_per_cycle wide with latency_cycles. One vector unit serves all cores (sim/vecunit.h; it
 * keeps one channel's width). docs/simulator.md, "Cores and channels", states the model:
 *
 *   split     dataflow/part.h, map_partition: a grid of independent-instance groups x token parts x
 *             channel parts x K parts (pi x pm x pn x pk <= cores), chosen on an estimate of the
 *             busiest core's time (reduction tail included); near-ties (within MAP_PART_NEAR) go
 *             to more busy cores, then less time, then less traffic; serial instances (the layers)
 *             run back to back on the same split; a masked GEMM (M > 1) by instances (and PV's
 *             channels) only, never by K. Up to 24 part shapes (part.h).
 *   K split   each K part is the engine's GEMM of its M part x N part x K slice; the owner (K part
 *             0) stores the outputs as the whole GEMM would; the others keep their partial sums
 *             (y_onchip) and the reduction tail (part.h: partials through DRAM, adds on the
 *             owner's PEs, no network on chip) follows the slowest part, in closed form at both
 *             fidelities: cycles += shape 0's instances x map_part_tail; events: the partials'
 *             DRAM writes and reads, output-buffer reads and writes, one PE-cycle (pe_busy) per add;
 *             res[]: one instance's tail adds its adds to compute and the rest to dram.
 *   memory    channel-interleaved, shared by the busy cores: each busy core sees one channel of
 *                 share = max(1, channels x bits_per_cycle / busy)   bits per cycle (rounded down)
 *             with latency_cycles; idle cores take none. Our assumption: no per-core port limit,
 *             no channel or bank conflicts.
 *   each part the existing engine (sim/engine.h) at the asked fidelity, on the core's config
 *             (cores_core_config), mapped for itself by the mapper; every core loads its own
 *             operands (a channel part's X is read by every channel part, a token part's W by
 *             every token part).
 *   combined  cycles = the slowest core's (+ the tail); events = the sum over cores; pe_total = every core's
 *             PEs over those cycles (idle cores leak); mac_capacity from pe_total as for one core;
 *             compute_cycles summed over cores (core-cycles), stall_cycles = cores x cycles -
 *             compute_cycles; res[] = each resource's largest figure over the cores; tiles and
 *             stream summed; map = shape 0's (sim/cores.c).
 * Fast == cycle holds per part, hence for the combination (tests/test_cores.c). With one core and
 * one channel the result is the single-array engine's, bit for bit.
 */
#ifndef MP_SIM_CORES_H
#define MP_SIM_CORES_H

#include "dataflow/part.h"
#include "sim/mapper.h"

/* The split problem of g (g->count instances, g->serial of them dependent) on c's cores: the array's
 * shape, the PE timing, the operands' DRAM bits (0 on chip) and channels x bits_per_cycle. */
void cores_part_problem(const ArchConfig *c, const SimGemm *g, MapPartProblem *q);
/* Its split: map_partition of cores_part_problem (the estimate alone; docs/simulator.md §4d says
 * why no grid is simulated to choose). */
void cores_partition(const ArchConfig *c, const SimGemm *g, MapPart *p);
/* The config one core of split p is simulated on: cores = 1, channels = 1, bits_per_cycle = p's
 * share. */
void cores_core_config(const ArchConfig *c, const MapPart *p, ArchConfig *core);
/* One instance of shape s of the split: g with M, N and K of that shape and count 1; a non-owner K
 * part keeps its outputs on chip (y_onchip: partial sums for the reduction tail). */
void cores_part_gemm(const SimGemm *g, const MapPart *p, int s, SimGemm *part);

/* GEMM g (g->count instances) on every core at fidelity fid: *all gets the combined result.
 * first (may be NULL): one instance of shape 0 already simulated on cores_core_config at fid (run.c's
 * data-checked instance), reused as is; one (may be NULL) gets one instance of shape 0; split (may
 * be NULL) gets the split. MP_EINPUT
 * beyond the work limits (each part is checked on its own). */
int cores_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const SimMapOpts *o, const SimResult *first,
               SimResult *one, SimResult *all, MapPart *split, MpErr *e) MP_MUST_CHECK;
/* The same on a given split p of g (map_partition's, or map_part_grid's for a chosen grid). */
int cores_gemm_split(const ArchConfig *c, const SimGemm *g, const MapPart *p, Fidelity fid, const SimMapOpts *o,
                     const SimResult *first, SimResult *one, SimResult *all, MpErr *e) MP_MUST_CHECK;

#endif
