/* sim/isonorm.h — a design put on a GPU's footing, for `mpsim compare-gpu --phase request`
 * (docs/gpu.md, "Whole requests against the GPU").
 *
 * The GPU side is described by IsoGpu: its die, node, memory technology and stack count (facts,
 * dse/gpureq.c) and the copy bandwidth measured on it (the results file). Each normalisation is
 * a config derived from the design's:
 *
 *   ISO_CONF    the design as configured.
 *   ISO_BW      iso-bandwidth: the design as sized (its cores) at the GPU's node ([energy]
 *               node_nm, so that energy compares one process with one process) with the GPU's
 *               memory system. dram.tech = the GPU's, channels = its stacks, bits_per_cycle =
 *               copy_gbps x 8 / (clock GHz x channels), rounded: the bandwidth a streaming kernel
 *               measured on the GPU, not the datasheet peak, since the accelerator's DRAM model
 *               streams at its full width. pJ/bit and background power come from the energy table
 *               for that technology (pj_per_bit = 0).
 *   ISO_AREA    iso-area: ISO_BW with the largest number of cores C whose modelled area
 *               (sim/area.h: PE arrays, edge units, buffers, vector lanes) is <= the GPU's die area. Each added core is the design's core with its
 *               share of the vector unit: lanes / cores and buffer KiB / cores of the design (at
 *               least 1 each), so the one vector unit grows with the cores.
 *               The GPU's die also holds its I/O, NVLink, HBM PHYs, caches and control, none of
 *               which the accelerator's area model has: iso-area favours the accelerator.
 *   ISO_POWER   iso-power: the fastest design of ISO_BW's kind within a power target (the GPU's
 *               average board power over the same request): C_pow = the largest C (cores added as
 *               for ISO_AREA) whose average power over the request, as the caller measures it, is
 *               <= the target; then the fewest cores whose tokens/s is within 1% of C_pow's (more
 *               cores past that point only add leakage). tokens/s and power are taken as monotone
 *               in C (binary searches). A design that cannot draw the target even at the most cores
 *               [arch] cores allows is reported as capped.
 *
 * The clock is never changed (sim/techscale.h reports what the node would allow).
 */
#ifndef MP_SIM_ISONORM_H
#define MP_SIM_ISONORM_H

#include "sim/config.h"
#include "sim/energy.h"

typedef enum { ISO_CONF, ISO_BW, ISO_AREA, ISO_POWER, ISO_COUNT } IsoNorm;
extern const char *const iso_norm_names[ISO_COUNT]; /* "as-configured", "iso-bandwidth", "iso-area", "iso-power" */

typedef struct IsoGpu {
    double die_mm2;   /* die area, mm²                                    */
    int node_nm;      /* its process node (a row of sim/techscale.h)      */
    int mem_tech;     /* DramTech of its memory                           */
    int mem_channels; /* memory stacks / channels                         */
    double mem_gbps;  /* measured copy bandwidth, GB/s                    */
} IsoGpu;

/* A design's average power over the workload, W, and its throughput, tokens/s (the caller simulates). */
typedef int (*IsoEvalFn)(const ArchConfig *c, void *ctx, double *watts, double *tokens_per_s, MpErr *e);

/* Derive normalisation `norm` of design `base` into *out. ISO_POWER needs eval (else NULL) and a finite
 * target_w > 0 (MP_EINPUT otherwise). *capped is set to 1 when a search hit a bound: even one core above
 * the target (out keeps 1 core) or the most cores allowed still below it. The most cores tried is
 * [arch] cores' maximum, lowered so that the vector unit's lanes and buffer stay within their keys'
 * ranges. MP_EINPUT when the GPU's node has no scaling row or a derived value is out of a key's range. */
int iso_normalise(const ArchConfig *base, const TechTable *t, const IsoGpu *gpu, int norm, IsoEvalFn eval,
                  void *ctx, double target_w, ArchConfig *out, int *capped, MpErr *e) MP_MUST_CHECK;

#endif
