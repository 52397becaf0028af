/* base/err.h — status codes and error reports shared by every layer.
 *
 * Library code never exits: a function that can fail returns an int status
 * (MP_OK or one of the codes below) and fills an MpErr with a one-line message.
 * Messages about input name the place: "FILE:LINE: message" for text files,
 * "FILE: byte N: message" or "FILE: tensor 'x': message" for binary ones.
 * The CLI maps codes to exit statuses (see mp_err_exit_status).
 */
#ifndef MP_BASE_ERR_H
#define MP_BASE_ERR_H

#include <stdarg.h>

enum {
    MP_OK = 0,
    MP_ECHECK = 1,  /* a check failed (simulator vs golden, RTL mismatch, ...) */
    MP_EINPUT = 2,  /* bad input: file, flag, config, trace, spec              */
    MP_ENOMEM = 3,  /* allocation failed                                        */
    MP_EIO = 4,     /* a read or write of a file the user named failed          */
    MP_EINTERNAL = 5
};

typedef struct MpErr {
    int code;        /* MP_OK while nothing has failed */
    char msg[1024];  /* one line, no trailing newline  */
} MpErr;

#if defined(__GNUC__)
#define MP_MUST_CHECK __attribute__((warn_unused_result))
#define MP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MP_MUST_CHECK
#define MP_PRINTF(a, b)
#endif

/* Record an error (only the first one is kept) and return its code. */
int mp_errf(MpErr *e, int code, const char *fmt, ...) MP_PRINTF(3, 4);
int mp_verrf(MpErr *e, int code, const char *fmt, va_list ap);
/* Prefix an already recorded message with "prefix: ". */
void mp_err_prefix(MpErr *e, const char *fmt, ...) MP_PRINTF(2, 3);
void mp_err_clear(MpErr *e);
/* Process exit status for a code: 0 ok, 1 failed check, 2 bad input/usage/io, 3 internal/oom. */
int mp_err_exit_status(int code);

#endif
