/* dse/sbatch.c — see sbatch.h. */
#include "dse/sbatch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int sbatch_submit(const char *script, const char *after, char *jobid, size_t cap, MpErr *e)
{
    char dep[128];
    char *argv[5];
    int k = 0;
    argv[k++] = (char *)"sbatch";
    argv[k++] = (char *)"--parsable";
    if (after) {
        snprintf(dep, sizeof dep, "--dependency=afterok:%s", after);
        argv[k++] = dep;
    }
    argv[k++] = (char *)script;
    argv[k] = NULL;
    /* exec status pipe: the child writes errno there when execvp fails (close-on-exec otherwise) */
    int out[2], st[2];
    if (pipe(out) != 0)
        return mp_errf(e, MP_EIO, "sbatch: cannot make a pipe: %s", strerror(errno));
    if (pipe(st) != 0) {
        close(out[0]);
        close(out[1]);
        return mp_errf(e, MP_EIO, "sbatch: cannot make a pipe: %s", strerror(errno));
    }
    if (fcntl(st[1], F_SETFD, FD_CLOEXEC) != 0) {
        int err = errno;
        close(out[0]);
        close(out[1]);
        close(st[0]);
        close(st[1]);
        return mp_errf(e, MP_EIO, "sbatch: cannot set close-on-exec: %s", strerror(err));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        close(st[0]);
        close(st[1]);
        return mp_errf(e, MP_EIO, "sbatch: cannot fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(out[0]);
        close(st[0]);
        if (dup2(out[1], 1) >= 0) {
            close(out[1]);
            execvp(argv[0], argv);
        }
        int err = errno;
        ssize_t w = write(st[1], &err, sizeof err);
        (void)w;
        _exit(127);
    }
    close(out[1]);
    close(st[1]);
    char buf[512];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(out[0], buf + n, sizeof buf - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof buf - 1) { /* more than any job id: drain the rest */
            char sink[256];
            while (read(out[0], sink, sizeof sink) > 0) {
            }
            break;
        }
    }
    buf[n] = '\0';
    close(out[0]);
    int exec_err = 0;
    ssize_t r;
    do
        r = read(st[0], &exec_err, sizeof exec_err);
    while (r < 0 && errno == EINTR);
    close(st[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (r == (ssize_t)sizeof exec_err)
        return mp_errf(e, MP_EINPUT, "sbatch: cannot run it (%s): --submit needs Slurm's sbatch on PATH",
                       strerror(exec_err));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return mp_errf(e, MP_ECHECK, "sbatch %s: failed (exit %d); nothing more was submitted", script,
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    /* "ID" or "ID;CLUSTER", then a newline */
    size_t d = 0;
    while (buf[d] >= '0' && buf[d] <= '9')
        d++;
    if (d == 0 || d >= cap || d > 20 || (buf[d] != '\n' && buf[d] != ';' && buf[d] != '\0'))
        return mp_errf(e, MP_ECHECK, "sbatch %s: expected a job id on its output, got '%.100s'", script, buf);
    memcpy(jobid, buf, d);
    jobid[d] = '\0';
    return MP_OK;
}
