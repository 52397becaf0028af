/* base/err.c — see err.h. */
#include "base/err.h"

#include <stdio.h>
#include <string.h>

int mp_verrf(MpErr *e, int code, const char *fmt, va_list ap)
{
    if (e && e->code == MP_OK) {
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    }
    return code;
}

int mp_errf(MpErr *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mp_verrf(e, code, fmt, ap);
    va_end(ap);
    return code;
}

void mp_err_prefix(MpErr *e, const char *fmt, ...)
{
    char pre[512], old[sizeof e->msg];
    va_list ap;
    if (!e || e->code == MP_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    snprintf(e->msg, sizeof e->msg, "%s: %s", pre, old);
}

void mp_err_clear(MpErr *e)
{
    e->code = MP_OK;
    e->msg[0] = '\0';
}

int mp_err_exit_status(int code)
{
    switch (code) {
    case MP_OK: return 0;
    case MP_ECHECK: return 1;
    case MP_EINPUT:
    case MP_EIO: return 2;
    default: return 3;
    }
}
