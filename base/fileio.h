/* base/fileio.h — whole-file reads with a size cap, and all-or-nothing writes.
 *
 * Output files are written to "PATH.tmp.PID" and renamed over PATH only on
 * success (mp_out_commit); mp_out_abort removes the temporary, so an error or a
 * crash never leaves a half-written result under the real name. PATH "-" means
 * standard output; a PATH that exists and is not a regular file (/dev/stdout, a FIFO), or any PATH
 * under /dev/ or /proc/ (/dev/stdout redirected to a file), is written directly, since renaming over
 * it would replace the device or the link.
 *
 * While an output is open its temporary name sits in a small registry; SIGTERM, SIGINT and SIGHUP
 * (where their action was the default one) unlink every registered temporary of this process and
 * then die of the same signal, so a killed writer leaves neither a partial file nor a "*.tmp.PID".
 */
#ifndef MP_BASE_FILEIO_H
#define MP_BASE_FILEIO_H

#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

/* Open PATH for reading, refusing anything but a regular file ("PATH: not a regular file",
 * MP_EINPUT) without ever blocking on a FIFO: every reader of an input file goes through here. */
int mp_open_regular(const char *path, FILE **out, MpErr *e) MP_MUST_CHECK;
/* PATH, where it exists, must be a regular file: for readers that open by name themselves (SQLite),
 * called before they open it. A missing PATH is not an error here. */
int mp_check_regular(const char *path, MpErr *e) MP_MUST_CHECK;

/* Read the whole of PATH (a regular file, mp_open_regular) into a NUL-terminated buffer (mp_free it).
 * Files larger than max_bytes are refused with MP_EINPUT. */
int mp_read_file(const char *path, size_t max_bytes, char **data, size_t *len, MpErr *e) MP_MUST_CHECK;

typedef struct MpOut {
    FILE *f;
    char *path;  /* final name */
    char *tmp;   /* temporary name, NULL for stdout */
    int direct;  /* 1: PATH is not a regular file (a device or FIFO) and is written directly */
} MpOut;

int mp_out_open(MpOut *o, const char *path, MpErr *e) MP_MUST_CHECK;
int mp_out_commit(MpOut *o, MpErr *e) MP_MUST_CHECK;  /* flush, close, rename */
void mp_out_abort(MpOut *o);                           /* close, remove temporary */
/* Write a whole buffer atomically. */
int mp_write_file(const char *path, const void *data, size_t len, MpErr *e) MP_MUST_CHECK;

#endif
