/* base/rng.h — the project's one seeded random generator.
 *
 * xoshiro256** seeded through splitmix64: the same seed gives the same stream on
 * every machine (no libc rand(), no wall clock). Callers print the seed they use.
 */
#ifndef MP_BASE_RNG_H
#define MP_BASE_RNG_H

#include <stdint.h>

typedef struct MpRng {
    uint64_t s[4];
    int has_spare;  /* Box-Muller produces normals in pairs */
    double spare;
} MpRng;

void mp_rng_seed(MpRng *r, uint64_t seed);
uint64_t mp_rng_u64(MpRng *r);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t mp_rng_below(MpRng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double mp_rng_uniform(MpRng *r);
/* Standard normal (Box-Muller). */
double mp_rng_normal(MpRng *r);
/* Student-t with nu (>= 1) degrees of freedom: heavy tails for nu small. */
double mp_rng_student_t(MpRng *r, int nu);

#endif
