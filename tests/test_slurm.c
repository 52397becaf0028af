/* tests/test_slurm.c — dse/slurm.c: the Slurm job of a sweep. Shell quoting of hostile strings
 * (through a real /bin/sh), the checks of --shards, --time, --partition and of the job's paths, the
 * #SBATCH lines (array range, output patterns, options), the shard of an array task from
 * SLURM_ARRAY_TASK_* (good and bad values), and the generated scripts run by bash in a folder with
 * hostile characters, with a stand-in mpsim that records its arguments: the task runs the right
 * shard and publishes it whole, a task that fails or is killed keeps its rows for the re-run, the
 * merge refuses while a shard is missing and then merges all. */
#include <setjmp.h>
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

#include "base/alloc.h"
#include "dse/slurm.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/mpsim_slurm_XXXXXX";

static int setup(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }

/* Run cmd through /bin/sh -c with stdout and stderr into out (cap bytes); returns its exit status. */
static int sh(const char *cmd, char *out, size_t cap)
{
    char *full = malloc(strlen(cmd) + 16);
    sprintf(full, "{ %s\n} 2>&1", cmd);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    free(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---------------------------------------------------------------- quoting */

static void quote_hostile(void **state)
{
    (void)state;
    static const char *const hostile[] = {
        "", "plain", "a b", "'", "''", "it's", "a'b'c", "$(touch /tmp/mpsim_slurm_pwned)", "`id`", "\"", "\\",
        "\\'", "*", "?[a]", ";ls", "a\nb", "tab\there", "~root", "-n", "$HOME", "${x:-y}", "!!", "é ü",
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        char q[512], cmd[1024], out[512];
        size_t n = slurm_shell_quote(hostile[i], q, sizeof q);
        assert_int_equal(n, strlen(q));
        assert_true(q[0] == '\'' && q[n - 1] == '\'');
        /* the shell gives back exactly the original, whatever it holds */
        snprintf(cmd, sizeof cmd, "printf '%%s|' %s", q);
        assert_int_equal(sh(cmd, out, sizeof out), 0);
        size_t len = strlen(out);
        assert_true(len >= 1 && out[len - 1] == '|');
        out[len - 1] = '\0';
        if (strcmp(out, hostile[i]))
            fail_msg("'%s' quoted as %s came back as '%s'", hostile[i], q, out);
    }
    assert_int_not_equal(access("/tmp/mpsim_slurm_pwned", F_OK), 0);
    /* the length is the full length even when cut, like snprintf */
    char small[4];
    assert_int_equal(slurm_shell_quote("abcdef", small, sizeof small), 8);
    assert_string_equal(small, "'ab");
    assert_int_equal(slurm_shell_quote("a'b", NULL, 0), 8); /* 'a'\''b' */
}

/* ---------------------------------------------------------------- values */

static void shards_values(void **state)
{
    (void)state;
    int n = -1;
    MpErr e = {0};
    assert_int_equal(slurm_parse_shards("1", &n, &e), MP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(slurm_parse_shards("64", &n, &e), MP_OK);
    assert_int_equal(n, 64);
    assert_int_equal(slurm_parse_shards("1000000", &n, &e), MP_OK);
    static const char *const bad[] = {"0", "-1", "1.5", "abc", "", " 4", "4 ", "1000001", "99999999999999999999", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mp_err_clear(&e);
        n = 7;
        assert_int_equal(slurm_parse_shards(bad[i], &n, &e), MP_EINPUT);
        assert_int_equal(n, 7);
        assert_non_null(strstr(e.msg, "--shards '"));
        assert_non_null(strstr(e.msg, "expected an integer in [1, 1000000]"));
    }
}

static void time_values(void **state)
{
    (void)state;
    MpErr e = {0};
    static const char *const good[] = {"30",      "5:00",  "0:30",     "2:00:00", "48:00:00", "1-0",
                                       "1-12",    "1-12:30", "1-0:0:1", "7-23:59:59", "1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (slurm_check_time(good[i], &e) != MP_OK)
            fail_msg("--time %s refused: %s", good[i], e.msg);
    static const char *const bad[] = {"",      "0",     "0:00",  "0-0",    "1:60",    "1:2:60", "1:60:00",
                                      "1-24",  "1-1:60", "abc",  "1:2:3:4", "-5",     "5-",     "1--2",
                                      "1-2-3", "1 :2",  "2h",    "1.5",    "1-",      ":5",     "5:",
                                      "9999999999", "UNLIMITED"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mp_err_clear(&e);
        if (slurm_check_time(bad[i], &e) != MP_EINPUT)
            fail_msg("--time '%s' accepted", bad[i]);
        assert_non_null(strstr(e.msg, "--time '"));
        assert_non_null(strstr(e.msg, "HOURS:MINUTES:SECONDS"));
    }
}

static void partition_values(void **state)
{
    (void)state;
    MpErr e = {0};
    assert_int_equal(slurm_check_partition("debug", &e), MP_OK);
    assert_int_equal(slurm_check_partition("gpu-a100_long.q,cpu", &e), MP_OK);
    static const char *const bad[] = {"", "a b", "x;y", ",a", "a,", "a,,b", "$(id)", "a'b", "p\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mp_err_clear(&e);
        assert_int_equal(slurm_check_partition(bad[i], &e), MP_EINPUT);
        assert_non_null(strstr(e.msg, "--partition '"));
    }
}

/* ---------------------------------------------------------------- the scripts' text */

static SlurmJob job(void)
{
    SlurmJob j = {"/opt/mpsim/bin/mpsim", "/home/u/spec.ini", "/scratch/u/out.db", "/scratch/u/out.slurm",
                  "my sweep", 4, 2, NULL, NULL, NULL};
    return j;
}

/* text has line (a whole line) */
static void has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return;
    fail_msg("no line '%s' in:\n%s", line, text);
}

static void script_lines(void **state)
{
    (void)state;
    MpErr e = {0};
    SlurmJob j = job();
    char *a = NULL, *m = NULL;
    assert_int_equal(slurm_array_script(&j, &a, &e), MP_OK);
    assert_int_equal(slurm_merge_script(&j, &m, &e), MP_OK);
    assert_memory_equal(a, "#!/bin/bash\n", 12);
    assert_memory_equal(m, "#!/bin/bash\n", 12);
    has_line(a, "#SBATCH --array=0-3");
    has_line(a, "#SBATCH --cpus-per-task=2");
    has_line(a, "#SBATCH --job-name=mpsim-my_sweep");
    has_line(a, "#SBATCH --output=\"/scratch/u/out.slurm/logs/sweep-%A_%a.out\"");
    has_line(a, "set -euo pipefail");
    has_line(a, "MPSIM='/opt/mpsim/bin/mpsim'");
    has_line(a, "SPEC='/home/u/spec.ini'");
    has_line(a, "N=4");
    has_line(a, "FIDELITY=()");
    has_line(m, "#SBATCH --job-name=mpsim-my_sweep-merge");
    has_line(m, "#SBATCH --output=\"/scratch/u/out.slurm/logs/merge-%j.out\"");
    has_line(m, "OUT='/scratch/u/out.db'");
    has_line(m, "set -euo pipefail");
    /* no partition or time unless asked; the merge is no array */
    assert_null(strstr(a, "--partition"));
    assert_null(strstr(a, "--time"));
    assert_null(strstr(m, "#SBATCH --array"));
    /* every #SBATCH line comes before the first command (sbatch stops reading them there) */
    const char *set = strstr(a, "set -euo");
    const char *last = a;
    for (const char *p = a; (p = strstr(p, "#SBATCH")) != NULL; p++)
        last = p;
    assert_true(last < set);
    mp_free(a);
    mp_free(m);

    j.nshards = 1;
    j.partition = "gpu,cpu";
    j.time = "1-12:00";
    j.fidelity = "cycle";
    assert_int_equal(slurm_array_script(&j, &a, &e), MP_OK);
    assert_int_equal(slurm_merge_script(&j, &m, &e), MP_OK);
    has_line(a, "#SBATCH --array=0-0");
    has_line(a, "#SBATCH --partition=gpu,cpu");
    has_line(a, "#SBATCH --time=1-12:00");
    has_line(m, "#SBATCH --partition=gpu,cpu");
    has_line(m, "#SBATCH --time=1-12:00");
    has_line(a, "FIDELITY=(--fidelity cycle)");
    mp_free(a);
    mp_free(m);

    j.nshards = 1000;
    assert_int_equal(slurm_array_script(&j, &a, &e), MP_OK);
    has_line(a, "#SBATCH --array=0-999");
    has_line(a, "N=1000");
    mp_free(a);

    char d[64];
    slurm_dir("/x/out.db", d, sizeof d);
    assert_string_equal(d, "/x/out.slurm");
    slurm_dir("/x/out.sqlite", d, sizeof d);
    assert_string_equal(d, "/x/out.sqlite.slurm");
    slurm_dir("/x/.db", d, sizeof d);
    assert_string_equal(d, "/x/.db.slurm");
}

static void job_refused(void **state)
{
    (void)state;
    struct {
        SlurmJob j;
        const char *msg;
    } c[] = {
        {job(), "not an absolute path"}, {job(), "not an absolute path"}, {job(), "control character"},
        {job(), "holds '%', '\"' or '\\'"}, {job(), "holds '%', '\"' or '\\'"}, {job(), "holds '%', '\"' or '\\'"},
        {job(), "shards"}, {job(), "shards"}, {job(), "CPUs per task"}, {job(), "--time '"}, {job(), "--partition '"},
        {job(), "fidelity 'exact'"}, {job(), "no usable name"},
    };
    c[0].j.spec = "spec.ini";
    c[1].j.mpsim = NULL;
    c[2].j.db = "/x/a\nb.db";
    c[3].j.dir = "/x/100%/out.slurm";
    c[4].j.dir = "/x/\"q\"/out.slurm";
    c[5].j.dir = "/x/back\\slash/out.slurm";
    c[6].j.nshards = 0;
    c[7].j.nshards = SLURM_MAX_SHARDS + 1;
    c[8].j.cpus = 0;
    c[9].j.time = "1:99";
    c[10].j.partition = "a b";
    c[11].j.fidelity = "exact";
    c[12].j.name = "";
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        MpErr e = {0};
        char *t = (char *)"untouched";
        assert_int_equal(slurm_array_script(&c[i].j, &t, &e), MP_EINPUT);
        assert_string_equal(t, "untouched");
        if (!strstr(e.msg, c[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, c[i].msg);
        mp_err_clear(&e);
        assert_int_equal(slurm_merge_script(&c[i].j, &t, &e), MP_EINPUT);
        assert_int_equal(slurm_write(&c[i].j, NULL, NULL, 0, &e), MP_EINPUT);
    }
    /* '%', '"' and '\' are fine in the other paths: they are only ever shell-quoted */
    SlurmJob j = job();
    j.spec = "/x/100% \"q\" \\s/spec.ini";
    j.mpsim = "/x/b\\in/mp%sim";
    char *t = NULL;
    MpErr e = {0};
    assert_int_equal(slurm_array_script(&j, &t, &e), MP_OK);
    has_line(t, "SPEC='/x/100% \"q\" \\s/spec.ini'");
    mp_free(t);
    /* out of memory: an error, never a crash or a half text */
    for (long k = 0; k < 8; k++) {
        mp_alloc_fail_after(k);
        mp_err_clear(&e);
        t = NULL;
        int rc = slurm_array_script(&j, &t, &e);
        mp_alloc_fail_after(-1);
        if (rc == MP_OK) {
            mp_free(t);
            break;
        }
        assert_int_equal(rc, MP_ENOMEM);
    }
}

/* ---------------------------------------------------------------- a task's shard */

static const char *const *env_table; /* NAME=VALUE strings, NULL-terminated */

static const char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *p = env_table; *p; p++)
        if (!strncmp(*p, name, n) && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

static void env_shard(void **state)
{
    (void)state;
    struct {
        const char *env[6];
        int found, shard, n;
    } good[] = {
        {{NULL}, 0, -1, -1},
        {{"SLURM_JOB_ID=5", NULL}, 0, -1, -1},
        {{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=3", NULL},
         1, 2, 4},
        {{"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=1", NULL}, 1, 0, 1},
        /* 1-based array 1-3: task 3 is shard 2 of 3 */
        {{"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=3", NULL},
         1, 2, 3},
        /* --array=10-16:2: 10, 12, 14, 16; task 14 is shard 2 of 4 */
        {{"SLURM_ARRAY_TASK_ID=14", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_MIN=10", "SLURM_ARRAY_TASK_MAX=16",
          "SLURM_ARRAY_TASK_STEP=2", NULL},
         1, 2, 4},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        env_table = good[i].env;
        int found = -1, shard = -1, n = -1;
        MpErr e = {0};
        if (slurm_env_shard(fake_getenv, &found, &shard, &n, &e) != MP_OK)
            fail_msg("case %zu refused: %s", i, e.msg);
        assert_int_equal(found, good[i].found);
        assert_int_equal(shard, good[i].shard);
        assert_int_equal(n, good[i].n);
    }
    struct {
        const char *env[6];
        const char *msg;
    } bad[] = {
        {{"SLURM_ARRAY_TASK_ID=abc", "SLURM_ARRAY_TASK_COUNT=4", NULL}, "SLURM_ARRAY_TASK_ID='abc': expected an array "
                                                                         "task index"},
        {{"SLURM_ARRAY_TASK_ID=", "SLURM_ARRAY_TASK_COUNT=4", NULL}, "SLURM_ARRAY_TASK_ID='': expected"},
        {{"SLURM_ARRAY_TASK_ID=-1", "SLURM_ARRAY_TASK_COUNT=4", NULL}, "SLURM_ARRAY_TASK_ID='-1'"},
        {{"SLURM_ARRAY_TASK_ID=1.0", "SLURM_ARRAY_TASK_COUNT=4", NULL}, "SLURM_ARRAY_TASK_ID='1.0'"},
        {{"SLURM_ARRAY_TASK_ID=99999999999", "SLURM_ARRAY_TASK_COUNT=4", NULL}, "SLURM_ARRAY_TASK_ID='99999999999'"},
        {{"SLURM_ARRAY_TASK_ID=1", NULL}, "SLURM_ARRAY_TASK_COUNT is not set"},
        {{"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT=x", NULL}, "SLURM_ARRAY_TASK_COUNT='x'"},
        {{"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=0", NULL}, "SLURM_ARRAY_TASK_COUNT=0"},
        {{"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=2", "SLURM_ARRAY_TASK_MIN=z", NULL}, "SLURM_ARRAY_TASK_MIN="
                                                                                                "'z'"},
        {{"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=2", "SLURM_ARRAY_TASK_STEP=0", NULL}, "SLURM_ARRAY_TASK_STEP="
                                                                                                 "0"},
        {{"SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=3", NULL},
         "SLURM_ARRAY_TASK_ID=4 is outside SLURM_ARRAY_TASK_MIN=0 .. SLURM_ARRAY_TASK_MAX=3"},
        {{"SLURM_ARRAY_TASK_ID=0", "SLURM_ARRAY_TASK_COUNT=2", "SLURM_ARRAY_TASK_MIN=1", NULL}, "is outside"},
        /* --array=0,2,5: three tasks that are not evenly spaced */
        {{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=0", "SLURM_ARRAY_TASK_MAX=5", NULL},
         "not 0 .. 5 every 1"},
        /* --array=1-5:2 re-run as 1,3 only: MAX says 5, COUNT says 2 */
        {{"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT=2", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=5",
          "SLURM_ARRAY_TASK_STEP=2", NULL},
         "must pass --shard I/N"},
        /* an index between two steps */
        {{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=5",
          "SLURM_ARRAY_TASK_STEP=2", NULL},
         "not 1 .. 5 every 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_table = bad[i].env;
        int found = -1, shard = -7, n = -7;
        MpErr e = {0};
        if (slurm_env_shard(fake_getenv, &found, &shard, &n, &e) != MP_EINPUT)
            fail_msg("bad case %zu accepted: shard %d/%d", i, shard, n);
        assert_int_equal(found, 1);
        assert_int_equal(shard, -7);
        assert_int_equal(n, -7);
        if (!strstr(e.msg, bad[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
        assert_non_null(strstr(e.msg, "--shard I/N"));
    }
}

/* ---------------------------------------------------------------- the scripts, run */

/* A stand-in for mpsim: appends one line per argument (then "--") to $LOG. `sweep` appends "shard I/N"
 * to its --db file, then sleeps $SLEEP seconds (if set) and exits 1 if $FAIL_SWEEP is set; `merge OUT
 * IN...` writes the inputs one after another into OUT and exits with $MERGE_RC (default 0). */
static const char fake_mpsim[] =
    "#!/bin/bash\n"
    "for a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$LOG\"; done; echo -- >> \"$LOG\"\n"
    "if [ \"$1\" = sweep ]; then\n"
    "  while [ $# -gt 0 ]; do case $1 in --db) db=$2; shift;; --shard) sh=$2; shift;; esac; shift; done\n"
    "  echo \"shard $sh\" >> \"$db\"\n"
    "  [ -z \"${SLEEP:-}\" ] || sleep \"$SLEEP\"\n"
    "  [ -z \"${FAIL_SWEEP:-}\" ] || exit 1\n"
    "  exit 0\n"
    "fi\n"
    "out=$2; shift 2; cat \"$@\" > \"$out\"\n"
    "exit ${MERGE_RC:-0}\n";

static void scripts_run(void **state)
{
    (void)state;
    /* the job's folder with every character a folder there may hold; spec and binary with the rest */
    char root[1024], dir[1200], bin[1200], spec[1200], db[1200], log[1200], tmp[1200];
    snprintf(root, sizeof root, "%s/d i r 'q' $(x) `y` ;z * ~", tmpdir);
    snprintf(bin, sizeof bin, "%s/b\"i\\n %%s", tmpdir);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(bin, 0755), 0);
    snprintf(spec, sizeof spec, "%s/s p'e\"c.ini", root);
    snprintf(db, sizeof db, "%s/out $1.db", root);
    snprintf(dir, sizeof dir, "%s/out $1.slurm", root);
    snprintf(log, sizeof log, "%s/log", tmpdir);
    snprintf(tmp, sizeof tmp, "%s/nodetmp", tmpdir);
    assert_int_equal(mkdir(tmp, 0755), 0);
    tu_write_text(spec, "[sweep]\n");
    strcat(bin, "/mpsim");
    tu_write_text(bin, fake_mpsim);
    assert_int_equal(chmod(bin, 0755), 0);

    SlurmJob j = {bin, spec, db, dir, "t", 3, 1, NULL, "10", NULL};
    char ap[2048], mp[2048];
    MpErr e = {0};
    assert_int_equal(slurm_write(&j, ap, mp, sizeof ap, &e), MP_OK);
    struct stat st;
    assert_int_equal(stat(ap, &st), 0);
    assert_true((st.st_mode & 0777) == 0755);
    assert_int_equal(tu_dir_count(dir, "*"), 4); /* array.sh merge.sh shards logs */
    assert_int_equal(tu_dir_count(dir, "*.tmp.*"), 0);
    char qa[4096], qm[4096], ql[4096], qt[4096], cmd[16384], out[8192];
    slurm_shell_quote(ap, qa, sizeof qa);
    slurm_shell_quote(mp, qm, sizeof qm);
    slurm_shell_quote(log, ql, sizeof ql);
    slurm_shell_quote(tmp, qt, sizeof qt);

    /* not in an array task, or past the last shard: exit 2, nothing run */
    snprintf(cmd, sizeof cmd, "unset SLURM_ARRAY_TASK_ID; LOG=%s bash %s", ql, qa);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "run this script as a Slurm array task"));
    snprintf(cmd, sizeof cmd, "SLURM_ARRAY_TASK_ID=3 LOG=%s bash %s", ql, qa);
    assert_int_equal(sh(cmd, out, sizeof out), 2);
    assert_non_null(strstr(out, "the sweep has 3 shards (tasks 0 to 2)"));
    assert_int_equal(access(log, F_OK), -1);

    /* task 1: the stand-in gets exactly these arguments, and the shard file appears */
    snprintf(cmd, sizeof cmd, "SLURM_ARRAY_TASK_ID=1 SLURM_JOB_ID=42 TMPDIR=%s LOG=%s bash %s", qt, ql, qa);
    if (sh(cmd, out, sizeof out) != 0)
        fail_msg("task 1: %s", out);
    char got[8192], want[8192];
    assert_true(tu_slurp(log, got, sizeof got) > 0);
    /* the local database is TMPDIR/mpsim-shard-1-XXXXXX/shard.db: compare around its random part */
    char *dbl = strstr(got, "\n--db\n");
    assert_non_null(dbl);
    char *local = dbl + 6, *eol = strchr(local, '\n');
    snprintf(want, sizeof want, "%s/mpsim-shard-1-", tmp);
    assert_memory_equal(local, want, strlen(want));
    assert_string_equal(eol - 9, "/shard.db\n--shard\n1/3\n--jobs\n1\n--quiet\n--\n");
    *dbl = '\0';
    snprintf(want, sizeof want, "sweep\n%s", spec);
    assert_string_equal(got, want);
    char shard[2048];
    snprintf(shard, sizeof shard, "%s/shards/shard-1-of-3.db", dir);
    assert_true(tu_slurp(shard, got, sizeof got) > 0);
    assert_string_equal(got, "shard 1/3\n");
    assert_int_equal(tu_dir_count(tmp, "*"), 0);  /* the node-local copy is gone */
    char shards[2048];
    snprintf(shards, sizeof shards, "%s/shards", dir);
    assert_int_equal(tu_dir_count(shards, "*"), 1); /* no temporary left beside it */

    /* a re-run of task 1 starts from its published shard (the stand-in appends to it) */
    remove(log);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_true(tu_slurp(shard, got, sizeof got) > 0);
    assert_string_equal(got, "shard 1/3\nshard 1/3\n");

    /* the merge with shards 0 and 2 missing: exit 1, names them and the re-run command; mpsim not run */
    remove(log);
    snprintf(cmd, sizeof cmd, "LOG=%s bash %s", ql, qm);
    assert_int_equal(sh(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "merge.sh: 2 of 3 shards not finished (tasks 0,2): nothing merged"));
    assert_non_null(strstr(out, "sbatch --parsable --array=0,2 "));
    assert_non_null(strstr(out, "sbatch --dependency=afterok:$jid "));
    assert_int_equal(access(log, F_OK), -1);
    /* the re-run command it prints works as printed (bash %q quoting): its paths are the scripts' */
    char *p = strstr(out, "--array=0,2 ");
    assert_non_null(p);
    char printed[4096];
    snprintf(printed, sizeof printed, "%s", p + 12);
    *strstr(printed, ") && sbatch") = '\0';
    snprintf(cmd, sizeof cmd, "for a in %s; do printf '%%s\\n' \"$a\"; done", printed);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    snprintf(want, sizeof want, "%s\n", ap);
    assert_string_equal(out, want);

    /* task 0 fails: its rows so far are kept as shard-0-of-3.partial.db, published whole; no shard file */
    char partial[2048], shard0[2048];
    snprintf(partial, sizeof partial, "%s/shards/shard-0-of-3.partial.db", dir);
    snprintf(shard0, sizeof shard0, "%s/shards/shard-0-of-3.db", dir);
    snprintf(cmd, sizeof cmd, "FAIL_SWEEP=1 SLURM_ARRAY_TASK_ID=0 TMPDIR=%s LOG=%s bash %s", qt, ql, qa);
    assert_int_equal(sh(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "array.sh: task 0 stopped (exit 1): its rows so far are in "));
    assert_true(tu_slurp(partial, got, sizeof got) > 0);
    assert_string_equal(got, "shard 0/3\n");
    assert_int_equal(access(shard0, F_OK), -1);
    assert_int_equal(tu_dir_count(tmp, "*"), 0);
    assert_int_equal(tu_dir_count(shards, "*.tmp.*"), 0);
    /* killed by SIGTERM (Slurm signals every process of the task) while mpsim runs: the same */
    snprintf(cmd, sizeof cmd, "SLEEP=30 SLURM_ARRAY_TASK_ID=0 TMPDIR=%s LOG=%s timeout -s TERM 1 bash %s", qt, ql, qa);
    assert_int_equal(sh(cmd, out, sizeof out), 124);
    assert_non_null(strstr(out, "array.sh: task 0 stopped (exit 143)"));
    assert_true(tu_slurp(partial, got, sizeof got) > 0);
    assert_string_equal(got, "shard 0/3\nshard 0/3\n"); /* it started from the kept rows */
    assert_int_equal(access(shard0, F_OK), -1);
    assert_int_equal(tu_dir_count(tmp, "*"), 0);

    /* tasks 0 and 2, then the merge: mpsim merge OUT and the three shards, in order */
    for (int i = 0; i < 3; i += 2) {
        snprintf(cmd, sizeof cmd, "SLURM_ARRAY_TASK_ID=%d TMPDIR=%s LOG=%s bash %s", i, qt, ql, qa);
        assert_int_equal(sh(cmd, out, sizeof out), 0);
    }
    /* task 0 went on from its kept rows, and the partial file is gone */
    assert_true(tu_slurp(shard0, got, sizeof got) > 0);
    assert_string_equal(got, "shard 0/3\nshard 0/3\nshard 0/3\n");
    assert_int_equal(access(partial, F_OK), -1);
    assert_int_equal(tu_dir_count(shards, "*"), 3);
    remove(log);
    snprintf(cmd, sizeof cmd, "LOG=%s bash %s", ql, qm);
    assert_int_equal(sh(cmd, out, sizeof out), 0);
    assert_true(tu_slurp(log, got, sizeof got) > 0);
    snprintf(want, sizeof want, "merge\n%s\n%s/shard-0-of-3.db\n%s/shard-1-of-3.db\n%s/shard-2-of-3.db\n--\n", db,
             shards, shards, shards);
    assert_string_equal(got, want);
    /* the merge's failure is the job's */
    snprintf(cmd, sizeof cmd, "MERGE_RC=1 LOG=%s bash %s", ql, qm);
    assert_int_equal(sh(cmd, out, sizeof out), 1);

    /* written again over the old ones: whole, no temporaries */
    assert_int_equal(slurm_write(&j, NULL, NULL, 0, &e), MP_OK);
    assert_int_equal(tu_dir_count(dir, "*.tmp.*"), 0);
    /* a file where the folder should be: MP_EIO naming it */
    char clash[1300];
    snprintf(clash, sizeof clash, "%s/clash.slurm", root);
    tu_write_text(clash, "x");
    j.dir = clash;
    assert_int_equal(slurm_write(&j, NULL, NULL, 0, &e), MP_EIO);
    assert_non_null(strstr(e.msg, "cannot make the folder"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quote_hostile),  cmocka_unit_test(shards_values), cmocka_unit_test(time_values),
        cmocka_unit_test(partition_values), cmocka_unit_test(script_lines), cmocka_unit_test(job_refused),
        cmocka_unit_test(env_shard),      cmocka_unit_test(scripts_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
