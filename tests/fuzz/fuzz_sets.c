/* tests/fuzz/fuzz_sets.c — `--set section.key=value,...` strings (config_apply_sets).
 *
 * The input, as a C string, is applied to a fresh copy of the iso/int8 preset (loaded once), then
 * to the copy it produced a second time (applying a list twice must be as safe as once). */
#include "tests/fuzz/fuzzutil.h"

#include "sim/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ArchConfig base;
    static int loaded = -1;
    fuzz_reset();
    if (loaded < 0) {
        MpErr e = {0};
        loaded = config_load("iso/int8", &base, NULL, NULL, 0, &e) == MP_OK;
        if (!loaded)
            fprintf(stderr, "fuzz_sets: cannot load iso/int8: %s\n", e.msg);
    }
    if (!loaded)
        return 0;
    char *list = fuzz_cstr(data, size);
    if (!list)
        return 0;
    ArchConfig c = base;
    MpErr e = {0};
    if (config_apply_sets(&c, list, &e) == MP_OK) {
        MpErr e2 = {0};
        (void)config_apply_sets(&c, list, &e2);
    }
    free(list);
    return 0;
}
