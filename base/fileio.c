/* base/fileio.c — see fileio.h. */
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

int mp_open_regular(const char *path, FILE **out, MpErr *e)
{
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return mp_errf(e, MP_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return mp_errf(e, MP_EINPUT, "%s: not a regular file", path);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1)
        fl = fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fl == -1 ? NULL : fdopen(fd, "rb");
    if (!f) {
        int err = errno;
        close(fd);
        return mp_errf(e, MP_EIO, "%s: cannot open: %s", path, strerror(err));
    }
    *out = f;
    return MP_OK;
}

int mp_check_regular(const char *path, MpErr *e)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return mp_errf(e, MP_EINPUT, "%s: not a regular file", path);
    return MP_OK;
}

/* ---- the registry of live temporaries, emptied by a fatal signal --------------------------
 * Slots hold the temporary's path (owned by its MpOut) and the pid that made it, so a forked
 * child that inherits the table never unlinks its parent's files. The handler uses only
 * async-signal-safe calls (unlink, getpid, sigaction, raise) and lock-free atomics. */
#define TMP_SLOTS 64
static _Atomic(char *) tmp_path[TMP_SLOTS];
static _Atomic long tmp_pid[TMP_SLOTS];
static atomic_flag tmp_installed = ATOMIC_FLAG_INIT;
static const int tmp_signals[] = {SIGTERM, SIGINT, SIGHUP};

static void tmp_on_signal(int sig)
{
    int saved = errno;
    long me = (long)getpid();
    for (int i = 0; i < TMP_SLOTS; i++) {
        char *p = atomic_load(&tmp_path[i]);
        if (p && atomic_load(&tmp_pid[i]) == me)
            unlink(p);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    errno = saved;
    raise(sig); /* delivered on return: the process dies of sig, as it would have */
}

/* Install the handler once, on signals whose action is still the default (a caller's own handler,
 * or SIG_IGN under nohup, is left alone). */
static void tmp_install(void)
{
    if (atomic_flag_test_and_set(&tmp_installed))
        return;
    for (size_t i = 0; i < sizeof tmp_signals / sizeof tmp_signals[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(tmp_signals[i], NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = tmp_on_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t j = 0; j < sizeof tmp_signals / sizeof tmp_signals[0]; j++)
            sigaddset(&sa.sa_mask, tmp_signals[j]);
        sa.sa_flags = SA_RESETHAND;
        sigaction(tmp_signals[i], &sa, NULL);
    }
}

/* Register path (before the file is created). With every slot taken the output is written
 * unprotected: a signal may then leave its temporary behind. Between the exchange and the pid
 * store the slot may carry a stale pid; the file does not exist yet, so skipping it is harmless. */
static void tmp_register(char *path)
{
    tmp_install();
    for (int i = 0; i < TMP_SLOTS; i++) {
        char *none = NULL;
        if (atomic_compare_exchange_strong(&tmp_path[i], &none, path)) {
            atomic_store(&tmp_pid[i], (long)getpid());
            return;
        }
    }
}

static void tmp_unregister(const char *path)
{
    for (int i = 0; i < TMP_SLOTS; i++) {
        char *p = (char *)path;
        if (atomic_compare_exchange_strong(&tmp_path[i], &p, NULL))
            return;
    }
}

int mp_read_file(const char *path, size_t max_bytes, char **data, size_t *len, MpErr *e)
{
    *data = NULL;
    *len = 0;
    FILE *f;
    int rc = mp_open_regular(path, &f, e);
    if (rc)
        return rc;
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
    /* the standard streams by any of their names: written through the process's own stream, since
     * reopening /dev/stdout on a redirected regular file would truncate it and write from byte 0 */
    if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/fd/1") ||
        !strcmp(path, "/proc/self/fd/1")) {
        o->f = stdout;
        return MP_OK;
    }
    if (!strcmp(path, "/dev/stderr") || !strcmp(path, "/dev/fd/2") || !strcmp(path, "/proc/self/fd/2")) {
        o->f = stderr;
        return MP_OK;
    }
    struct stat st;
    /* /dev/stdout with stdout redirected to a file stats as a regular file, but renaming over it
     * would replace the /dev/stdout link itself: names under /dev/ and /proc/ are always devices */
    int dev = !strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6);
    if (stat(path, &st) == 0 && (dev || !S_ISREG(st.st_mode))) {
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
    tmp_register(o->tmp); /* before the file exists: a signal between the two unlinks nothing */
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        int err = errno;
        tmp_unregister(o->tmp);
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
    if (!o->tmp) { /* stdout or stderr */
        if (fflush(o->f) != 0)
            rc = mp_errf(e, MP_EIO, "%s: write error", o->f == stderr ? "stderr" : "stdout");
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
    tmp_unregister(o->tmp); /* after the rename: a signal in between unlinks a name already gone */
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
        tmp_unregister(o->tmp);
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
