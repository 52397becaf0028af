/* dse/pareto.h — Pareto fronts: the points no other point beats in every objective.
 *
 * Pure computation on a matrix of objective values, every one to be minimised (callers negate
 * what they maximise, e.g. accuracy). Point a dominates b when a <= b in every objective and
 * a < b in at least one; the front is the set of points nobody dominates. Equal points do not
 * dominate each other, so both stay on the front. NaN counts as the worst value.
 *
 * Method: sort the points lexicographically; a point can only be dominated by one before it,
 * and if it is, it is dominated by a point already on the front (transitivity), so each point is
 * compared with the front so far: O(n log n + n x front).
 */
#ifndef MP_SIM_PARETO_H
#define MP_SIM_PARETO_H

#include "base/err.h"

/* The first four apply to every row; the last four to request rows only (sim/infer.h: TTFT, mean
 * TPOT, tokens/s, J/token), NaN (worst) on the others. Callers negate accuracy and tokens_per_s. */
typedef enum {
    PARETO_LATENCY, PARETO_ENERGY, PARETO_AREA, PARETO_ACCURACY,
    PARETO_TTFT, PARETO_TPOT, PARETO_TOKENS_PER_S, PARETO_J_PER_TOKEN,
    PARETO_NOBJ
} ParetoObj;
#define PARETO_NBASIC 4 /* latency, energy, area, accuracy: the report's front */

/* "latency", "energy", "area", "accuracy", "ttft", "tpot", "tokens_per_s", "j_per_token",
 * indexed by ParetoObj. */
extern const char *const pareto_obj_names[PARETO_NOBJ];

/* Parse a comma-separated list of objective names (at least one, no repeats) into objs. */
int pareto_parse_objectives(const char *list, int objs[PARETO_NOBJ], int *nobj, MpErr *e) MP_MUST_CHECK;

/* v[i * nobj + j] = objective j of point i (minimised). on_front[i] = 1 when point i is on the
 * front, else 0. Returns the size of the front, or -1 when out of memory. */
int pareto_front(const double *v, int n, int nobj, unsigned char *on_front);

/* 1 when a dominates b (nobj objectives, minimised, NaN worst). */
int pareto_dominates(const double *a, const double *b, int nobj);

#endif
