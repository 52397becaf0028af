/* base/fileio.c — see fileio.h. */
#include "base/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

int mp_read_file(const char *path, size_t max_bytes, char **data, size_t *len, MpErr *e)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mp_errf(e, MP_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = mp_malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes) {
                mp_free(buf);
                fclose(f);
                return mp_errf(e, MP_EINPUT, "%s: file larger than %zu bytes", path, max_bytes);
            }
            size_t ncap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            char *nb = mp_realloc(buf, ncap + 1);
            if (!nb) {
                mp_free(buf);
                fclose(f);
                return mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        mp_free(buf);
        return mp_errf(e, MP_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return MP_OK;
}

int mp_out_open(MpOut *o, const char *path, MpErr *e)
{
    memset(o, 0, sizeof *o);
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return MP_OK;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device, FIFO or the like (/dev/stdout, /dev/null): renaming over it would replace it,
         * so write to it directly; there is no half-written result file to protect */
        if (S_ISDIR(st.st_mode))
            return mp_errf(e, MP_EIO, "%s: is a directory", path);
        o->f = fopen(path, "wb");
        if (!o->f)
            return mp_errf(e, MP_EIO, "%s: cannot write: %s", path, strerror(errno));
        o->direct = 1;
        return MP_OK;
    }
    size_t n = strlen(path) + 32;
    o->path = mp_strdup(path);
    o->tmp = mp_malloc(n);
    if (!o->path || !o->tmp) {
        mp_free(o->path);
        mp_free(o->tmp);
        memset(o, 0, sizeof *o);
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    }
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        int err = errno;
        mp_free(o->path);
        mp_free(o->tmp);
        memset(o, 0, sizeof *o);
        return mp_errf(e, MP_EIO, "%s: cannot write: %s", path, strerror(err));
    }
    return MP_OK;
}

int mp_out_commit(MpOut *o, MpErr *e)
{
    int rc = MP_OK;
    if (o->direct) {
        if (fclose(o->f) != 0)
            rc = mp_errf(e, MP_EIO, "write error");
        memset(o, 0, sizeof *o);
        return rc;
    }
    if (!o->tmp) { /* stdout */
        if (fflush(o->f) != 0)
            rc = mp_errf(e, MP_EIO, "stdout: write error");
        return rc;
    }
    int bad = ferror(o->f);
    if (fclose(o->f) != 0)
        bad = 1;
    o->f = NULL;
    if (bad)
        rc = mp_errf(e, MP_EIO, "%s: write error", o->path);
    else if (rename(o->tmp, o->path) != 0)
        rc = mp_errf(e, MP_EIO, "%s: cannot rename temporary into place: %s", o->path, strerror(errno));
    if (rc != MP_OK)
        remove(o->tmp);
    mp_free(o->path);
    mp_free(o->tmp);
    memset(o, 0, sizeof *o);
    return rc;
}

void mp_out_abort(MpOut *o)
{
    if (o->direct && o->f)
        fclose(o->f);
    else if (o->tmp) {
        if (o->f)
            fclose(o->f);
        remove(o->tmp);
    }
    mp_free(o->path);
    mp_free(o->tmp);
    memset(o, 0, sizeof *o);
}

int mp_write_file(const char *path, const void *data, size_t len, MpErr *e)
{
    MpOut o;
    int rc = mp_out_open(&o, path, e);
    if (rc)
        return rc;
    if (len && fwrite(data, 1, len, o.f) != len) {
        mp_out_abort(&o);
        return mp_errf(e, MP_EIO, "%s: write error", path);
    }
    return mp_out_commit(&o, e);
}
