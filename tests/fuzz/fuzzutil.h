/* tests/fuzz/fuzzutil.h — what every libFuzzer harness shares (tests/fuzz/README.md).
 *
 * A harness is one LLVMFuzzerTestOneInput that hands the input bytes to one reader of the
 * library and frees whatever it got back. Rules for every harness: never exit, reset the
 * allocator hook before each input (a previous input must not leave failure injection on), free
 * everything (libFuzzer runs with -detect_leaks=1), and accept any return status: a reader
 * refusing bad input with MP_EINPUT is the expected outcome, only a crash, a sanitizer report,
 * a leak or a timeout is a finding.
 *
 * Readers that take a path get the bytes through a temporary file: fuzz_tmp_path() names one file
 * per process under $TMPDIR (default /tmp), fuzz_tmp_write() fills it. The name ends with the
 * suffix given, so a reader that looks at extensions sees the usual one.
 */
#ifndef MP_TESTS_FUZZUTIL_H
#define MP_TESTS_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "$TMPDIR/mpsim-fuzz-<tag>-<pid><suffix>", made once per process. */
static inline const char *fuzz_tmp_path(const char *tag, const char *suffix)
{
    static char path[512];
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/mpsim-fuzz-%s-%ld%s", dir && *dir ? dir : "/tmp", tag, (long)getpid(),
                 suffix);
    }
    return path;
}

/* Write the input to path (truncating). 0 on success; on failure the harness skips the input
 * (a full disk is not a finding). */
static inline int fuzz_tmp_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, size, f) == size;
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

/* A NUL-terminated copy of the input (for readers of C strings); NULL when out of memory.
 * Bytes after an embedded NUL are unreachable by such a reader, as they are in real use. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = 0;
    }
    return s;
}

/* Start of every input: failure injection off. */
static inline void fuzz_reset(void)
{
    mp_alloc_fail_after(-1);
}

#endif
