/* dse/gpures.h — GPU results files (kernels_ref/results/<gpu>/ files, written by the CUDA runners,
 * docs/gpu.md): a strict reader and lookups, for `mpsim compare-gpu` and the main job.
 *
 * The file is one JSON object {"device": str, "copy_gbps": number > 0, "idle_power_w"?: number >= 0,
 * and at least one of
 *   "results": [ {kernel, m, n, k, us, check, energy_uj?, variant?, best?}, ... ]   one GEMM kernel
 *              launch per row (kr_runner)
 *   "steps":   [ {model, format, phase, batch, kv | prompt, ms, check, j?, err?, bound?}, ... ]
 *              one whole decode step or prefill per row (kr_step): phase "decode" has kv (positions
 *              attended), phase "prefill" has prompt (tokens per sequence); ms per step, j board
 *              joules per step (absent or null: not measured)
 * , ...}. The reader refuses, with "FILE: message" (a byte offset and line where there is one) and
 * MP_EINPUT: a NUL byte, invalid UTF-8, anything after the object, a key twice in one object at any
 * depth, and missing or mistyped fields of the ones above. Rows whose check is not "bound",
 * "bit-exact" or "pass" are kept but never reported.
 */
#ifndef MP_DSE_GPURES_H
#define MP_DSE_GPURES_H

#include <stdint.h>

#include <cJSON.h>

#include "base/err.h"

typedef struct GpuRow {
    const char *kernel, *variant; /* point into the parsed document */
    int64_t m, n, k;
    double us, energy_uj;         /* energy NAN when not measured   */
    int pass, best;
} GpuRow;

typedef enum { GPU_DECODE, GPU_PREFILL } GpuPhase;

typedef struct GpuStep {
    const char *model, *format; /* point into the parsed document                          */
    int phase;                  /* GpuPhase                                                 */
    int64_t batch, len;         /* len: kv positions attended (decode), prompt (prefill)    */
    double ms, j;               /* per step; j NAN when not measured                        */
    int pass;
} GpuStep;

typedef struct GpuFile {
    cJSON *root;
    const char *device;
    double copy_gbps;
    double idle_w;              /* idle board power, W; NAN when the file has none          */
    GpuRow *rows;
    int nrow, nfail;
    GpuStep *steps;
    int nstep, nstep_fail;
} GpuFile;

/* Read and validate path into g (free with gpu_free, also after a failure). */
int gpu_load(const char *path, GpuFile *g, MpErr *e) MP_MUST_CHECK;
void gpu_free(GpuFile *g);
/* 1 when any row measured `kernel`. */
int gpu_has_kernel(const GpuFile *g, const char *kernel);
/* The reported row for kernel at m, n, k: the passing row marked best, else the fastest passing; NULL if none. */
const GpuRow *gpu_find(const GpuFile *g, const char *kernel, int64_t m, int64_t n, int64_t k);
/* The passing step of model, format, phase and batch with length len (kv or prompt); of several,
 * the fastest. NULL if none. */
const GpuStep *gpu_step_find(const GpuFile *g, const char *model, const char *format, int phase, int64_t batch,
                             int64_t len);

#endif
