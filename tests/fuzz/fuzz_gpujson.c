/* tests/fuzz/fuzz_gpujson.c — GPU results JSON (kernels_ref/results/<gpu>/DATE-SEED.json), read by
 * `mpsim compare-gpu --gpu FILE`.
 *
 * The reader is dse/gpures.c (gpu_load). The input is written to a temporary .json file;
 * an accepted file is queried with gpu_has_kernel and gpu_find for each kernel row, and for each
 * step row with gpu_step_find and a request composed from it (dse/gpureq.c, gpu_request: a prefill
 * at the row's length, or a decode row taken as the prompt + 1 .. + 3 steps); gpu_free runs either way. */
#include "dse/gpureq.h"
#include "tests/fuzz/fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    const char *path = fuzz_tmp_path("gpu", ".json");
    if (fuzz_tmp_write(path, data, size))
        return 0;
    GpuFile g;
    MpErr e = {0};
    if (gpu_load(path, &g, &e) == MP_OK) {
        for (int i = 0; i < g.nrow; i++) {
            (void)gpu_has_kernel(&g, g.rows[i].kernel);
            (void)gpu_find(&g, g.rows[i].kernel, g.rows[i].m, g.rows[i].n, g.rows[i].k);
        }
        for (int i = 0; i < g.nstep; i++) {
            const GpuStep *s = &g.steps[i];
            (void)gpu_step_find(&g, s->model, s->format, s->phase, s->batch, s->len);
            GpuReq r;
            MpErr e2 = {0};
            int64_t prompt = s->phase == GPU_PREFILL ? s->len : s->len - 1;
            if (prompt >= 1)
                (void)gpu_request(&g, s->model, s->format, prompt, 4, s->batch, &r, &e2);
        }
    }
    gpu_free(&g);
    unlink(path);
    return 0;
}
