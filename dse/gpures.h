/* dse/gpures.h — GPU results files (kernels_ref/results/<gpu>/DATE-SEED.json, written by the CUDA
 * runner, docs/gpu.md): a strict reader and lookups, for `mpsim compare-gpu` and the main job.
 *
 * The file is one JSON object {"device": str, "copy_gbps": number > 0, "results": [ {kernel, m, n,
 * k, us, check, energy_uj?, variant?, best?}, ... ], ...}. The reader refuses, with "FILE: message"
 * (a byte offset and line where there is one) and MP_EINPUT: a NUL byte, invalid UTF-8, anything
 * after the object, a key twice in one object at any depth, and missing or mistyped fields of the
 * ones above. Rows whose check is not "bound", "bit-exact" or "pass" are kept but never reported.
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

typedef struct GpuFile {
    cJSON *root;
    const char *device;
    double copy_gbps;
    GpuRow *rows;
    int nrow, nfail;
} GpuFile;

/* Read and validate path into g (free with gpu_free, also after a failure). */
int gpu_load(const char *path, GpuFile *g, MpErr *e) MP_MUST_CHECK;
void gpu_free(GpuFile *g);
/* 1 when any row measured `kernel`. */
int gpu_has_kernel(const GpuFile *g, const char *kernel);
/* The reported row for kernel at m, n, k: the passing row marked best, else the fastest passing; NULL if none. */
const GpuRow *gpu_find(const GpuFile *g, const char *kernel, int64_t m, int64_t n, int64_t k);

#endif
