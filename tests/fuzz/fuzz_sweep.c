/* tests/fuzz/fuzz_sweep.c — sweep specs (dse/sweep.c).
 *
 * The input is written to a temporary .ini file and loaded with sweep_plan_load (the NUL check,
 * the spec schema, [params] ranges and lists, bases and their presets, techs, workloads, CSV
 * layer lists relative to the spec's folder). For an accepted plan the first and the last
 * design are resolved with sweep_design. */
#include "tests/fuzz/fuzzutil.h"

#include "dse/sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    const char *path = fuzz_tmp_path("sweep", ".ini");
    if (fuzz_tmp_write(path, data, size))
        return 0;
    SweepPlan *p = NULL;
    MpErr e = {0};
    if (sweep_plan_load(path, &p, &e) == MP_OK) {
        int64_t ds[2] = {0, p->ndesign - 1};
        for (int i = 0; i < 2 && ds[i] >= 0; i++) {
            ArchConfig c;
            char label[512], params[1024];
            const SweepTech *t = NULL;
            MpErr e2 = {0};
            (void)sweep_design(p, ds[i], &c, label, sizeof label, params, sizeof params, &t, &e2);
        }
        sweep_plan_free(p);
    }
    unlink(path);
    return 0;
}
