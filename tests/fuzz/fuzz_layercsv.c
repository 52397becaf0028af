/* tests/fuzz/fuzz_layercsv.c — layer lists and SCALE-Sim topology CSV (traces/layercsv.c).
 *
 * The bytes go to lcsv_load_text as they are (NULs included), and every eighth input also through
 * lcsv_load on a temporary file, so the file path (size cap, read) is covered too. A loaded
 * workload is destroyed. */
#include "tests/fuzz/fuzzutil.h"

#include "traces/layercsv.h"
#include "traces/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    Workload *w = NULL;
    LcsvFormat fmt;
    MpErr e = {0};
    if (lcsv_load_text("fuzz.csv", (const char *)data, size, &w, &fmt, &e) == MP_OK)
        wl_destroy(w);
    if (size && data[0] % 8 == 0) {
        const char *path = fuzz_tmp_path("layercsv", ".csv");
        if (fuzz_tmp_write(path, data, size) == 0) {
            MpErr e2 = {0};
            w = NULL;
            if (lcsv_load(path, &w, &fmt, &e2) == MP_OK)
                wl_destroy(w);
            unlink(path);
        }
    }
    return 0;
}
