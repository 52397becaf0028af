/* tests/fuzz/fuzz_config.c — INI accelerator configs through sim/config.c's loader.
 *
 * The input is written to a temporary .ini file and loaded with config_load (inih, the schema
 * table, the cross-field rules, the name taken from the file stem); a loaded config is printed to
 * /dev/null (config_print walks every field). */
#include "tests/fuzz/fuzzutil.h"

#include "sim/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    const char *path = fuzz_tmp_path("config", ".ini");
    if (fuzz_tmp_write(path, data, size))
        return 0;
    ArchConfig c;
    IniLoad where;
    MpErr e = {0};
    if (config_load(path, &c, &where, NULL, 0, &e) == MP_OK) {
        static FILE *null;
        if (!null)
            null = fopen("/dev/null", "w");
        if (null)
            config_print(null, &c, &where);
    }
    unlink(path);
    return 0;
}
