/* sim/point.h — one design point on one workload: simulate, price the events, size the silicon.
 *
 * Shared by `mpsim run` / `mpsim compare` (cli/cmd_run.c), sweeps (dse/sweep.c) and reports
 * (dse/report_load.c), so every command reports the same numbers for the same config and workload:
 *
 *   seconds      = cycles / (clock_mhz x 1e6)
 *   utilization  = macs / mac_capacity (PE-cycles x each GEMM's peak MACs per PE-cycle, sim/events.h)
 *   energy       = energy_compute(tech, config, events of all instances)      (sim/energy.h)
 *   area_mm2     = area_compute(tech, config).total_mm2                      (sim/area.h)
 */
#ifndef MP_SIM_POINT_H
#define MP_SIM_POINT_H

#include "sim/area.h"
#include "sim/config.h"
#include "sim/energy.h"
#include "sim/run.h"

typedef struct Point {
    ArchConfig cfg;
    TechTable tech;
    RunResult res;
    EnergyBreakdown energy;        /* the whole workload, pJ                          */
    double area_mm2, seconds, utilization;
    EnergyBreakdown *layer_energy; /* per layer, all instances; NULL unless asked for */
    EnergyBreakdown *vec_energy;   /* per vector row (RunResult.vec); NULL unless asked for */
} Point;

/* Evaluate config c (priced with table t) on workload w. per_layer: also fill layer_energy.
 * p is zeroed first and may be given to point_free() whatever the result. */
int point_eval(const ArchConfig *c, const TechTable *t, const Workload *w, const RunOpts *o, int per_layer,
               Point *p, MpErr *e) MP_MUST_CHECK;
void point_free(Point *p);

/* MACs one PE completes per cycle at full speed (lanes / step_cycles of the kind's timing row). */
double point_peak_macs_per_pe_cycle(const ArchConfig *c);
/* The resource that binds a layer (sim/engine.h, sim_bound): "compute", "dram", "weight_ingest",
 * "act_ingest", "sram_port" or "fill_drain". */
const char *point_bound(const SimResult *r);

/* seq or kv not given on the command line: the phase's default length (2048) applies. A value no
 * caller may pass on from a user (the command line parses --seq/--kv apart and rejects < 1). */
#define POINT_LEN_DEFAULT (-1)

/* The workload of the run-like commands (--model NAME|FILE.csv, --phase, --seq, --kv, --batch): a layer CSV,
 * or a built-in model expanded for the phase (default prefill; seq and kv POINT_LEN_DEFAULT or >= 1). */
int point_workload(const char *model, const char *phase, int64_t seq, int64_t kv, int64_t batch, Workload **w,
                   MpErr *e) MP_MUST_CHECK;
/* Load a preset or config file, apply "--set" overrides (set may be NULL) and load its energy table. */
int point_load_arch(const char *arch, const char *set, ArchConfig *cfg, TechTable *tech, MpErr *e) MP_MUST_CHECK;

#endif
