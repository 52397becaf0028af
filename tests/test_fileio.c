/* tests/test_fileio.c — base/fileio: readers refuse anything but a regular file (a FIFO is refused
 * at once, never waited on), and a writer killed by SIGTERM, SIGINT or SIGHUP while its output is
 * open leaves neither the real name nor a "*.tmp.PID" temporary behind; it still dies of that signal. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fileio.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/mpsim_fileio_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rm_tree(tmpdir); }

static void fifo_refused_not_waited_on(void **state)
{
    (void)state;
    const char *p = tu_path(tmpdir, "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    alarm(20); /* a reader that blocks on the FIFO kills the test program instead of hanging it */
    MpErr e = {0};
    char *data = NULL;
    size_t len = 0;
    FILE *f = NULL;
    assert_int_equal(mp_read_file(p, 1 << 20, &data, &len, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "fifo: not a regular file"));
    assert_int_equal(mp_open_regular(p, &f, &e), MP_EINPUT);
    assert_null(f);
    assert_int_equal(mp_check_regular(p, &e), MP_EINPUT);
    assert_int_equal(mp_open_regular(tmpdir, &f, &e), MP_EINPUT); /* a folder */
    assert_int_equal(mp_check_regular(tu_path(tmpdir, "missing"), &e), MP_OK);
    alarm(0);
    remove(p);
    /* a regular file still reads */
    tu_write_text(tu_path(tmpdir, "r.txt"), "abc");
    assert_int_equal(mp_read_file(tu_path(tmpdir, "r.txt"), 1 << 20, &data, &len, &e), MP_OK);
    assert_int_equal(len, 3);
    assert_string_equal(data, "abc");
    free(data);
    remove(tu_path(tmpdir, "r.txt"));
}

/* A child opens out.json, writes 1 MiB into it, tells the parent through a pipe and waits; the
 * parent sends sig. The child must die of sig with nothing left in the folder. */
static void killed_writer_leaves_nothing(int sig)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/out.json", tmpdir);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        signal(sig, SIG_DFL); /* a background job inherits SIGINT ignored; the handler leaves SIG_IGN alone */
        alarm(30);            /* never outlive a parent that failed */
        MpOut o;
        MpErr e = {0};
        if (mp_out_open(&o, path, &e) != MP_OK)
            _exit(10);
        static char buf[1 << 20];
        memset(buf, ' ', sizeof buf);
        if (fwrite(buf, 1, sizeof buf, o.f) != sizeof buf || fflush(o.f) != 0)
            _exit(11);
        if (write(fds[1], "w", 1) != 1)
            _exit(12);
        for (;;)
            pause(); /* the signal ends it */
    }
    close(fds[1]);
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    int during = tu_dir_count(tmpdir, "out.json.tmp.*"); /* it was there while writing */
    assert_int_equal(kill(pid, sig), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), sig);
    assert_int_equal(during, 1);
    int left = tu_dir_count(tmpdir, "*.tmp.*");
    if (left)
        tu_rm_tree(tmpdir), mkdir(tmpdir, 0700); /* the next tests start from an empty folder */
    assert_int_equal(left, 0);
    assert_int_equal(tu_dir_count(tmpdir, "out.json"), 0);
}

static void sigterm_removes_temporary(void **state) { (void)state; killed_writer_leaves_nothing(SIGTERM); }
static void sigint_removes_temporary(void **state) { (void)state; killed_writer_leaves_nothing(SIGINT); }
static void sighup_removes_temporary(void **state) { (void)state; killed_writer_leaves_nothing(SIGHUP); }

/* Committed and aborted outputs leave their registry slots free: many in a row still work, and a
 * signal after them removes nothing that was committed. */
static void many_outputs_then_signal(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        alarm(30);
        MpErr e = {0};
        for (int i = 0; i < 200; i++) {
            MpOut o;
            if (mp_out_open(&o, tu_path(tmpdir, i % 2 ? "kept.json" : "dropped.json"), &e) != MP_OK)
                _exit(10);
            fputs("{}\n", o.f);
            if (i % 2) {
                if (mp_out_commit(&o, &e) != MP_OK)
                    _exit(11);
            } else
                mp_out_abort(&o);
        }
        raise(SIGTERM);
        _exit(12);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    assert_int_equal(tu_dir_count(tmpdir, "*.tmp.*"), 0);
    assert_int_equal(tu_dir_count(tmpdir, "dropped.json"), 0);
    assert_int_equal(tu_dir_count(tmpdir, "kept.json"), 1);
    remove(tu_path(tmpdir, "kept.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_refused_not_waited_on),
        cmocka_unit_test(sigterm_removes_temporary),
        cmocka_unit_test(sigint_removes_temporary),
        cmocka_unit_test(sighup_removes_temporary),
        cmocka_unit_test(many_outputs_then_signal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
