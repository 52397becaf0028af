/* tests/fuzz/fuzz_gpujson.c — GPU results JSON (kernels_ref/results/<gpu>/DATE-SEED.json), read by
 * `mpsim compare-gpu --gpu FILE`.
 *
 * The reader, gpu_load, is a static function of cli/cmd_compare_gpu.c, which belongs to the
 * binary, not to the library. This file includes no cli/ header or source: the Makefile
 * (tests/fuzz/fuzz.mk) compiles it with `-include cli/cmd_compare_gpu.c` and links the other cli/
 * objects but main.o, so gpu_load and its helpers are visible here. That is the one place where a
 * program under tests/ reaches into cli/ (scripts/check-layers.sh forbids an #include of it); it
 * lasts until the reader moves into the library. The input is written to a temporary .json file;
 * an accepted file is queried with gpu_has_kernel and gpu_find; gpu_free runs either way. */
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
    }
    gpu_free(&g);
    unlink(path);
    return 0;
}
