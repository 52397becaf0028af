/* sim/cores.h — a GEMM on several cores and DRAM channels: split, each part simulated, combined.
 *
 * A design has `cores` identical PE arrays ([arch] cores), each with its own weight, activation and
 * output buffers of the configured sizes, and `channels` DRAM channels ([dram] channels), each
 * bits_per_cycle wide with latency_cycles. One vector unit serves all cores (sim/vecunit.h; it
 * keeps one channel's width). docs/simulator.md, "Cores and channels", states the model:
 *
 *   split     dataflow/map.h, map_partition: by instances, else tokens (M) or output channels (N);
 *             never K (no inter-core reduction).
 *   memory    static shares: each core sees one channel of
 *                 max(1, channels x bits_per_cycle / cores)   bits per cycle (rounded down)
 *             with latency_cycles: whole channels (channels / cores of them, interleaved) when cores
 *             divide channels, a time-shared slice of them otherwise. No core borrows another's
 *             idle share.
 *   each part the existing engine (sim/engine.h) at the asked fidelity, on the core's config
 *             (cores_core_config), mapped for itself by the mapper; every core loads its own
 *             operands (a channel split's X is read by every core, its W once in all; a token
 *             split's W by every core).
 *   combined  cycles = the slowest core's; events = the sum over cores; pe_total = every core's
 *             PEs over those cycles (idle cores leak); mac_capacity from pe_total as for one core;
 *             compute_cycles summed over cores (core-cycles), stall_cycles = cores x cycles -
 *             compute_cycles; res[] = each resource's largest figure over the cores; tiles and
 *             stream summed; map = a core of shape 0's (sim/cores.c).
 * Fast == cycle holds per part, hence for the combination (tests/test_cores.c). With one core and
 * one channel the result is the single-array engine's, bit for bit.
 */
#ifndef MP_SIM_CORES_H
#define MP_SIM_CORES_H

#include "dataflow/map.h"
#include "sim/mapper.h"

/* One core's DRAM bits per cycle: max(1, channels x bits_per_cycle / cores). */
int cores_dram_bits(const ArchConfig *c);
/* The config one core's part is simulated on: cores = 1, channels = 1, bits_per_cycle = its share. */
void cores_core_config(const ArchConfig *c, ArchConfig *core);
/* The split of g (g->count instances) across c's cores (map_partition with the array's shape). */
void cores_partition(const ArchConfig *c, const SimGemm *g, MapPart *p);
/* One instance of shape s of the split: g with M and N of that shape and count 1. */
void cores_part_gemm(const SimGemm *g, const MapPart *p, int s, SimGemm *part);

/* GEMM g (g->count instances) on every core at fidelity fid: *all gets the combined result.
 * first (may be NULL): one instance of shape 0 already simulated on cores_core_config at fid (run.c's
 * data-checked instance), reused as is; one (may be NULL) gets one instance of shape 0. MP_EINPUT
 * beyond the work limits (each part is checked on its own). */
int cores_gemm(const ArchConfig *c, const SimGemm *g, Fidelity fid, const SimMapOpts *o, const SimResult *first,
               SimResult *one, SimResult *all, MpErr *e) MP_MUST_CHECK;

#endif
