/* sim/isonorm.h — a design put on a GPU's footing, for `mpsim compare-gpu --phase request`
 * (docs/gpu.md, "Whole requests against the GPU").
 *
 * The GPU side is described by IsoGpu: its die, node, memory technology and stack count (facts,
 * dse/gpureq.c) and the copy bandwidth measured on it (the results file). Each normalisation is
 * a config derived from the design's:
 *
 *   ISO_CONF    the design as configured.
 *   ISO_BW      iso-bandwidth: the design with the GPU's memory system. dram.tech = the GPU's,
 *               channels = its stacks, bits_per_cycle = copy_gbps x 8 / (clock GHz x channels),
 *               rounded: the bandwidth a streaming kernel measured on the GPU, not the datasheet
 *               peak, since the accelerator's DRAM model streams at its full width. pJ/bit and
 *               background power come from the energy table for that technology (pj_per_bit = 0).
 *   ISO_AREA    iso-area: ISO_BW at the GPU's node ([energy] node_nm) with the largest number of
 *               cores C whose modelled area (sim/area.h: PE arrays, edge units, buffers, vector
 *               lanes) is <= the GPU's die area. Each added core is the design's core with its
 *               share of the vector unit: lanes / cores and buffer KiB / cores of the design (at
 *               least 1 each), so the one vector unit grows with the cores.
 *               The GPU's die also holds its I/O, NVLink, HBM PHYs, caches and control, none of
 *               which the accelerator's area model has: iso-area favours the accelerator.
 *   ISO_POWER   iso-power: ISO_BW at the GPU's node with the largest C (as for ISO_AREA) whose
 *               average power over the request, as the caller measures it, is <= a target (the
 *               GPU's average board power over the same request).
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

/* A core count's average power over the workload, W, into *watts (the caller simulates). */
typedef int (*IsoPowerFn)(const ArchConfig *c, void *ctx, double *watts, MpErr *e);

/* Derive normalisation `norm` of design `base` into *out. ISO_POWER needs power (else NULL) and
 * target_w. *capped is set to 1 when the search hit a bound: ISO_AREA/ISO_POWER with even one core
 * above the target (out keeps 1 core) or the most cores [arch] cores allows still below it. MP_EINPUT
 * when the GPU's node has no scaling row or a derived value is out of a key's range. */
int iso_normalise(const ArchConfig *base, const TechTable *t, const IsoGpu *gpu, int norm, IsoPowerFn power,
                  void *ctx, double target_w, ArchConfig *out, int *capped, MpErr *e) MP_MUST_CHECK;

#endif
