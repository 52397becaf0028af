/* sim/mapper.h — choosing a GEMM's mapping: the candidate with the best objective.
 *
 * The space is dataflow/map.h's (orientation, loop order, blocking; map_enumerate). Each candidate
 * gets a cheap estimate (per-class tile phases against DRAM beats, both from closed forms); the best
 * SIM_MAP_EXACT by estimate are then simulated exactly (fast fidelity, sim_gemm_mapped) and ranked
 * by the objective:
 *   MAP_OBJ_TIME   cycles, then DRAM bits, then energy           (the default)
 *   MAP_OBJ_DRAM   DRAM bits, then cycles, then energy
 *   MAP_OBJ_ENERGY energy (needs a technology table), then cycles, then DRAM bits
 * Remaining ties go to the first candidate in map_enumerate's order. With `exhaustive` every
 * candidate is simulated (tests/test_mapper.c checks the pruned search against it).
 */
#ifndef MP_SIM_MAPPER_H
#define MP_SIM_MAPPER_H

#include "sim/energy.h"
#include "sim/engine.h"

typedef enum { MAP_OBJ_TIME, MAP_OBJ_DRAM, MAP_OBJ_ENERGY, MAP_OBJ_COUNT } MapObjective;
extern const char *const map_objective_names[MAP_OBJ_COUNT]; /* "time", "dram", "energy" */
/* The objective named `name` (a --objective value): MP_OK and *out, or MP_EINPUT with a message. */
int map_objective_from_name(const char *name, int *out, MpErr *e) MP_MUST_CHECK;

/* Candidates simulated exactly after the estimate. */
#define SIM_MAP_EXACT 8

typedef struct SimMapOpts {
    const MapForce *force;  /* NULL: free                                   */
    int objective;          /* MapObjective                                 */
    const TechTable *tech;  /* prices for MAP_OBJ_ENERGY; NULL otherwise     */
    int exhaustive;         /* 1: simulate every candidate                  */
    int64_t max_steps;      /* candidates with more steps are left out (the work limit, sim/engine.h); 0: none */
} SimMapOpts;

/* Choose the mapping of GEMM g on config c; *fast gets its fast-fidelity result. */
int sim_map_search(const ArchConfig *c, const SimGemm *g, const SimMapOpts *o, Mapping *out, SimResult *fast,
                   MpErr *e) MP_MUST_CHECK;

/* sim_gemm (sim/engine.h) with the mapper's options: work limits, then the search, then the
 * chosen mapping at the asked fidelity. */
int sim_gemm_opts(const ArchConfig *c, const SimGemm *g, Fidelity fid, const SimMapOpts *o, ArrayData *data,
                  SimResult *r, MpErr *e) MP_MUST_CHECK;

#endif
