/* dse/slurm.c — see slurm.h. */
#include "dse/slurm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/parse.h"

/* ------------------------------------------------------------------ checks of values */

int slurm_parse_shards(const char *s, int *n, MpErr *e)
{
    int64_t v;
    if (!s || mp_parse_i64(s, &v) != 0 || v < 1 || v > SLURM_MAX_SHARDS)
        return mp_errf(e, MP_EINPUT, "--shards '%s': expected an integer in [1, %d]", s ? s : "",
                       SLURM_MAX_SHARDS);
    *n = (int)v;
    return MP_OK;
}

/* Fields of digits separated by ':' (at most 3); fields[] gets their values. -1: not that form. */
static int colon_fields(const char *s, long *fields)
{
    int n = 0;
    for (;;) {
        if (n == 3 || *s < '0' || *s > '9')
            return -1;
        long v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (++digits > 9)
                return -1;
            v = 10 * v + (*s++ - '0');
        }
        fields[n++] = v;
        if (*s == '\0')
            return n;
        if (*s++ != ':')
            return -1;
    }
}

int slurm_check_time(const char *t, MpErr *e)
{
    long f[3], days = 0, total = 0;
    const char *rest = t ? t : "";
    const char *dash = strchr(rest, '-');
    int ok = 1, n;
    if (dash) {
        /* D-H, D-H:M, D-H:M:S */
        char d[16];
        size_t dl = (size_t)(dash - rest);
        ok = dl >= 1 && dl < sizeof d;
        if (ok) {
            memcpy(d, rest, dl);
            d[dl] = '\0';
            ok = colon_fields(d, f) == 1;
            days = f[0];
        }
        n = ok ? colon_fields(dash + 1, f) : -1;
        ok = ok && n >= 1 && f[0] < 24 && (n < 2 || f[1] < 60) && (n < 3 || f[2] < 60);
        if (ok)
            total = days + f[0] + (n > 1 ? f[1] : 0) + (n > 2 ? f[2] : 0);
    } else {
        /* M, M:S, H:M:S */
        n = colon_fields(rest, f);
        ok = n >= 1 && (n < 2 || f[1] < 60) && (n < 3 || f[2] < 60);
        if (ok)
            total = f[0] + (n > 1 ? f[1] : 0) + (n > 2 ? f[2] : 0);
    }
    if (!ok || total == 0)
        return mp_errf(e, MP_EINPUT,
                       "--time '%s': expected a Slurm time limit above zero: MINUTES, MINUTES:SECONDS, "
                       "HOURS:MINUTES:SECONDS, DAYS-HOURS, DAYS-HOURS:MINUTES or DAYS-HOURS:MINUTES:SECONDS "
                       "(e.g. 30, 2:00:00, 1-12)",
                       t ? t : "");
    return MP_OK;
}

int slurm_check_partition(const char *p, MpErr *e)
{
    size_t n = p ? strlen(p) : 0;
    int ok = n >= 1 && n <= 128 && p[0] != ',' && p[n - 1] != ',' && !strstr(p, ",,");
    for (size_t i = 0; ok && i < n; i++) {
        char c = p[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
             c == '.' || c == ',';
    }
    if (!ok)
        return mp_errf(e, MP_EINPUT,
                       "--partition '%s': expected partition names of letters, digits, '_', '-' and '.', "
                       "comma-separated (at most 128 bytes)",
                       p ? p : "");
    return MP_OK;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int check_path(const char *what, const char *p, MpErr *e)
{
    if (!p || p[0] != '/')
        return mp_errf(e, MP_EINPUT, "slurm job: the %s '%s' is not an absolute path", what, p ? p : "(none)");
    if (has_control(p))
        return mp_errf(e, MP_EINPUT, "slurm job: the %s path holds a control character (a newline, a tab, ...)",
                       what);
    if (strlen(p) > 3000)
        return mp_errf(e, MP_EINPUT, "slurm job: the %s path is longer than 3000 bytes", what);
    return MP_OK;
}

int slurm_check_job(const SlurmJob *j, MpErr *e)
{
    int rc = check_path("mpsim binary", j->mpsim, e);
    if (rc == MP_OK)
        rc = check_path("sweep spec", j->spec, e);
    if (rc == MP_OK)
        rc = check_path("database", j->db, e);
    if (rc == MP_OK)
        rc = check_path("folder", j->dir, e);
    if (rc == MP_OK && strpbrk(j->dir, "%\"\\"))
        rc = mp_errf(e, MP_EINPUT,
                     "slurm job: the folder '%s' holds '%%', '\"' or '\\', which an #SBATCH --output line cannot "
                     "carry (Slurm expands '%%', sbatch reads quotes and backslashes): choose a --db path "
                     "without them",
                     j->dir);
    if (rc == MP_OK && (!j->name || !j->name[0] || has_control(j->name)))
        rc = mp_errf(e, MP_EINPUT, "slurm job: the sweep has no usable name");
    if (rc == MP_OK && (j->nshards < 1 || j->nshards > SLURM_MAX_SHARDS))
        rc = mp_errf(e, MP_EINPUT, "slurm job: %d shards: expected 1 to %d", j->nshards, SLURM_MAX_SHARDS);
    if (rc == MP_OK && (j->cpus < 1 || j->cpus > 1024))
        rc = mp_errf(e, MP_EINPUT, "slurm job: %d CPUs per task: expected 1 to 1024", j->cpus);
    if (rc == MP_OK && j->partition)
        rc = slurm_check_partition(j->partition, e);
    if (rc == MP_OK && j->time)
        rc = slurm_check_time(j->time, e);
    if (rc == MP_OK && j->fidelity && strcmp(j->fidelity, "fast") && strcmp(j->fidelity, "cycle"))
        rc = mp_errf(e, MP_EINPUT, "slurm job: fidelity '%s': expected fast or cycle", j->fidelity);
    return rc;
}

/* ------------------------------------------------------------------ text */

void slurm_dir(const char *db, char *buf, size_t cap)
{
    size_t n = strlen(db);
    if (n > 3 && !strcmp(db + n - 3, ".db") && db[n - 4] != '/') /* "dir/.db" keeps its name */
        n -= 3;
    snprintf(buf, cap, "%.*s.slurm", (int)n, db);
}

size_t slurm_shell_quote(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
#define PUT(c)                                                                                              \
    do {                                                                                                    \
        if (n + 1 < cap)                                                                                    \
            buf[n] = (c);                                                                                   \
        n++;                                                                                                \
    } while (0)
    PUT('\'');
    for (; *s; s++) {
        if (*s == '\'') {
            PUT('\'');
            PUT('\\');
            PUT('\'');
            PUT('\'');
        } else
            PUT(*s);
    }
    PUT('\'');
#undef PUT
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}

/* A growing NUL-terminated text; oom is sticky and every append after it does nothing. */
typedef struct Text {
    char *s;
    size_t n, cap;
    int oom;
} Text;

static void text_put(Text *t, const char *s, size_t len)
{
    if (t->oom)
        return;
    if (t->n + len + 1 > t->cap) {
        size_t nc = t->cap ? t->cap : 4096;
        while (nc < t->n + len + 1)
            nc *= 2;
        char *ns = mp_realloc(t->s, nc);
        if (!ns) {
            t->oom = 1;
            return;
        }
        t->s = ns;
        t->cap = nc;
    }
    memcpy(t->s + t->n, s, len);
    t->n += len;
    t->s[t->n] = '\0';
}

static void text_printf(Text *t, const char *fmt, ...) MP_PRINTF(2, 3);
static void text_printf(Text *t, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->oom = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        text_put(t, small, (size_t)n);
        return;
    }
    char *big = mp_malloc((size_t)n + 1);
    if (!big) {
        t->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    text_put(t, big, (size_t)n);
    mp_free(big);
}

/* s, shell-quoted */
static void text_quoted(Text *t, const char *s)
{
    size_t n = slurm_shell_quote(s, NULL, 0);
    char *q = mp_malloc(n + 1);
    if (!q) {
        t->oom = 1;
        return;
    }
    slurm_shell_quote(s, q, n + 1);
    text_put(t, q, n);
    mp_free(q);
}

/* VAR='value'\n */
static void text_assign(Text *t, const char *var, const char *value)
{
    text_printf(t, "%s=", var);
    text_quoted(t, value);
    text_put(t, "\n", 1);
}

/* The job name: "mpsim-" and the sweep's name with every byte but [A-Za-z0-9_.-] made '_', at most
 * 64 bytes of it (it goes into an #SBATCH line unquoted). */
static void job_name(const char *name, const char *suffix, char *buf, size_t cap)
{
    char clean[65];
    size_t i = 0;
    for (; name[i] && i < 64; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                 c == '-' || c == '.';
        clean[i] = ok ? c : '_';
    }
    clean[i] = '\0';
    snprintf(buf, cap, "mpsim-%s%s", clean, suffix);
}

/* The #SBATCH lines both scripts share: name, partition, time, CPUs, output. */
static void sbatch_lines(Text *t, const SlurmJob *j, const char *suffix, const char *log)
{
    char jn[96];
    job_name(j->name, suffix, jn, sizeof jn);
    text_printf(t, "#SBATCH --job-name=%s\n", jn);
    if (j->partition)
        text_printf(t, "#SBATCH --partition=%s\n", j->partition);
    if (j->time)
        text_printf(t, "#SBATCH --time=%s\n", j->time);
    /* the folder holds no '"', '\' or '%' (slurm_check_job): inside double quotes sbatch takes it
     * as it is, white space included, and Slurm expands only the patterns we write */
    text_printf(t, "#SBATCH --output=\"%s/logs/%s\"\n", j->dir, log);
}

static void common_vars(Text *t, const SlurmJob *j)
{
    char shards[4096];
    snprintf(shards, sizeof shards, "%s/shards", j->dir);
    text_assign(t, "MPSIM", j->mpsim);
    text_assign(t, "SPEC", j->spec);
    text_assign(t, "OUT", j->db);
    text_assign(t, "SHARDS", shards);
    text_printf(t, "N=%d\n", j->nshards);
}

static int text_done(Text *t, char **text, MpErr *e)
{
    if (t->oom) {
        mp_free(t->s);
        return mp_errf(e, MP_ENOMEM, "slurm job: out of memory");
    }
    *text = t->s;
    return MP_OK;
}

int slurm_array_script(const SlurmJob *j, char **text, MpErr *e)
{
    int rc = slurm_check_job(j, e);
    if (rc != MP_OK)
        return rc;
    Text t = {0};
    text_put(&t, "#!/bin/bash\n", 12);
    text_printf(&t,
                "# mpsim sweep --slurm: the array job of sweep %s, %d shard%s; task I runs shard I/N.\n"
                "# Written by mpsim (run `mpsim sweep ... --slurm` again rather than editing it).\n"
                "#   submit:            jid=$(sbatch --parsable array.sh) && sbatch --dependency=afterok:$jid "
                "merge.sh\n"
                "#   re-run task K:     sbatch --array=K array.sh   (its shard resumes), then sbatch merge.sh\n",
                j->name, j->nshards, j->nshards > 1 ? "s" : "");
    sbatch_lines(&t, j, "", "sweep-%A_%a.out");
    text_printf(&t, "#SBATCH --array=0-%d\n", j->nshards - 1);
    text_printf(&t, "#SBATCH --cpus-per-task=%d\n", j->cpus);
    text_put(&t, "set -euo pipefail\n", 18);
    common_vars(&t, j);
    text_printf(&t, "FIDELITY=(%s%s)\n", j->fidelity ? "--fidelity " : "", j->fidelity ? j->fidelity : "");
    static const char body[] =
        "I=${SLURM_ARRAY_TASK_ID:-}\n"
        "case $I in\n"
        "  '' | *[!0-9]*) echo \"array.sh: SLURM_ARRAY_TASK_ID='$I': run this script as a Slurm array task "
        "(sbatch)\" >&2; exit 2 ;;\n"
        "esac\n"
        "if [ \"$I\" -ge \"$N\" ]; then\n"
        "  echo \"array.sh: task $I: the sweep has $N shards (tasks 0 to $((N - 1)))\" >&2; exit 2\n"
        "fi\n"
        "FINAL=$SHARDS/shard-$I-of-$N.db\n"
        "PARTIAL=$SHARDS/shard-$I-of-$N.partial.db\n"
        "JOB=${SLURM_JOB_ID:-$$}\n"
        "# SQLite's WAL wants a local disk: sweep on the node, publish the finished file.\n"
        "LOCAL=$(mktemp -d \"${TMPDIR:-/tmp}/mpsim-shard-$I-XXXXXX\")\n"
        "published=0\n"
        "# Stopped before the end (a failed row, a time limit, pre-emption, scancel: Slurm's SIGTERM reaches\n"
        "# mpsim too, which keeps every committed row): keep the rows done in PARTIAL for the re-run.\n"
        "finish() {\n"
        "  local rc=$?\n"
        "  if [ \"$published\" = 0 ] && [ -f \"$LOCAL/shard.db\" ] &&\n"
        "     \"$MPSIM\" merge \"$LOCAL/partial.db\" \"$LOCAL/shard.db\" >/dev/null &&\n"
        "     cp \"$LOCAL/partial.db\" \"$PARTIAL.tmp.$JOB\" && mv -f \"$PARTIAL.tmp.$JOB\" \"$PARTIAL\"; then\n"
        "    echo \"array.sh: task $I stopped (exit $rc): its rows so far are in $PARTIAL; a re-run goes on from there\" >&2\n"
        "  fi\n"
        "  rm -rf \"$LOCAL\"\n"
        "  exit \"$rc\"\n"
        "}\n"
        "trap finish EXIT\n"
        "trap 'exit 143' TERM\n"
        "trap 'exit 130' INT\n"
        "# a re-run resumes: from the finished shard, else from the rows a stopped run kept\n"
        "if [ -f \"$FINAL\" ]; then cp \"$FINAL\" \"$LOCAL/shard.db\"\n"
        "elif [ -f \"$PARTIAL\" ]; then cp \"$PARTIAL\" \"$LOCAL/shard.db\"; fi\n"
        "\"$MPSIM\" sweep \"$SPEC\" --db \"$LOCAL/shard.db\" --shard \"$I/$N\" --jobs "
        "\"${SLURM_CPUS_PER_TASK:-1}\" --quiet \"${FIDELITY[@]}\"\n"
        "# the shard file appears whole, never half-copied\n"
        "cp \"$LOCAL/shard.db\" \"$FINAL.tmp.$JOB\"\n"
        "mv -f \"$FINAL.tmp.$JOB\" \"$FINAL\"\n"
        "published=1\n"
        "rm -f \"$PARTIAL\" \"$PARTIAL-wal\" \"$PARTIAL-shm\"\n"
        "echo \"array.sh: shard $I/$N done: $FINAL\"\n";
    text_put(&t, body, sizeof body - 1);
    return text_done(&t, text, e);
}

int slurm_merge_script(const SlurmJob *j, char **text, MpErr *e)
{
    int rc = slurm_check_job(j, e);
    if (rc != MP_OK)
        return rc;
    Text t = {0};
    char array[4096];
    snprintf(array, sizeof array, "%s/array.sh", j->dir);
    text_put(&t, "#!/bin/bash\n", 12);
    text_printf(&t,
                "# mpsim sweep --slurm: the merge job of sweep %s: every shard's database into OUT, once all\n"
                "# %d exist (submitted with --dependency=afterok:ARRAY_JOB; may be submitted again at any time:\n"
                "# rows OUT already holds are skipped). Written by mpsim.\n",
                j->name, j->nshards);
    sbatch_lines(&t, j, "-merge", "merge-%j.out");
    text_put(&t, "#SBATCH --cpus-per-task=1\n", 26);
    text_put(&t, "set -euo pipefail\n", 18);
    common_vars(&t, j);
    text_assign(&t, "ARRAY", array);
    snprintf(array, sizeof array, "%s/merge.sh", j->dir);
    text_assign(&t, "MERGE", array); /* not $0: sbatch runs a copy of the script */
    static const char body[] =
        "shards=() missing=()\n"
        "for ((i = 0; i < N; i++)); do\n"
        "  f=$SHARDS/shard-$i-of-$N.db\n"
        "  if [ -f \"$f\" ]; then shards+=(\"$f\"); else missing+=(\"$i\"); fi\n"
        "done\n"
        "if [ ${#missing[@]} -gt 0 ]; then\n"
        "  list=$(IFS=,; echo \"${missing[*]}\")\n"
        "  echo \"merge.sh: ${#missing[@]} of $N shards not finished (tasks $list): nothing merged\" >&2\n"
        "  printf 'merge.sh: re-run them, then this merge: jid=$(sbatch --parsable --array=%s %q) && "
        "sbatch --dependency=afterok:$jid %q\\n' \"$list\" \"$ARRAY\" \"$MERGE\" >&2\n"
        "  exit 1\n"
        "fi\n"
        "\"$MPSIM\" merge \"$OUT\" \"${shards[@]}\"\n";
    text_put(&t, body, sizeof body - 1);
    return text_done(&t, text, e);
}

/* mkdir path unless it is a folder already */
static int make_dir(const char *path, MpErr *e)
{
    struct stat st;
    if (mkdir(path, 0755) == 0)
        return MP_OK;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return MP_OK;
    return mp_errf(e, MP_EIO, "%s: cannot make the folder: %s", path, strerror(errno == EEXIST ? ENOTDIR : errno));
}

static int write_script(const char *path, const char *text, MpErr *e)
{
    MpOut o;
    int rc = mp_out_open(&o, path, e);
    if (rc != MP_OK)
        return rc;
    /* executable before it has its name: the file under PATH is whole and runnable, or absent */
    if (fputs(text, o.f) == EOF || (!o.direct && fchmod(fileno(o.f), 0755) != 0)) {
        mp_out_abort(&o);
        return mp_errf(e, MP_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    return mp_out_commit(&o, e);
}

int slurm_write(const SlurmJob *j, char *array_path, char *merge_path, size_t cap, MpErr *e)
{
    char *a = NULL, *m = NULL, path[4096];
    int rc = slurm_array_script(j, &a, e);
    if (rc == MP_OK)
        rc = slurm_merge_script(j, &m, e);
    if (rc == MP_OK)
        rc = make_dir(j->dir, e);
    snprintf(path, sizeof path, "%s/shards", j->dir);
    if (rc == MP_OK)
        rc = make_dir(path, e);
    snprintf(path, sizeof path, "%s/logs", j->dir);
    if (rc == MP_OK)
        rc = make_dir(path, e);
    snprintf(path, sizeof path, "%s/array.sh", j->dir);
    if (rc == MP_OK)
        rc = write_script(path, a, e);
    if (rc == MP_OK && array_path)
        snprintf(array_path, cap, "%s", path);
    snprintf(path, sizeof path, "%s/merge.sh", j->dir);
    if (rc == MP_OK)
        rc = write_script(path, m, e);
    if (rc == MP_OK && merge_path)
        snprintf(merge_path, cap, "%s", path);
    mp_free(a);
    mp_free(m);
    return rc;
}

/* ------------------------------------------------------------------ a task's shard */

/* Variable name of get, parsed as an integer >= 0 (*v = dflt when unset). */
static int env_int(SlurmGetenv get, const char *name, int required, int64_t dflt, int64_t *v, MpErr *e)
{
    const char *s = get(name);
    if (!s) {
        if (required)
            return mp_errf(e, MP_EINPUT, "%s is not set though SLURM_ARRAY_TASK_ID is: pass --shard I/N", name);
        *v = dflt;
        return MP_OK;
    }
    if (mp_parse_i64(s, v) != 0 || *v < 0 || *v > INT32_MAX)
        return mp_errf(e, MP_EINPUT, "%s='%s': expected an array task index (an integer >= 0); pass --shard I/N",
                       name, s);
    return MP_OK;
}

int slurm_env_shard(SlurmGetenv get, int *found, int *shard, int *nshards, MpErr *e)
{
    *found = 0;
    if (!get("SLURM_ARRAY_TASK_ID"))
        return MP_OK;
    *found = 1;
    int64_t id, count, min, step, max;
    int rc = env_int(get, "SLURM_ARRAY_TASK_ID", 1, 0, &id, e);
    if (rc == MP_OK)
        rc = env_int(get, "SLURM_ARRAY_TASK_COUNT", 1, 0, &count, e);
    if (rc == MP_OK)
        rc = env_int(get, "SLURM_ARRAY_TASK_MIN", 0, 0, &min, e);
    if (rc == MP_OK)
        rc = env_int(get, "SLURM_ARRAY_TASK_STEP", 0, 1, &step, e);
    if (rc != MP_OK)
        return rc;
    if (count < 1 || count > SLURM_MAX_SHARDS)
        return mp_errf(e, MP_EINPUT, "SLURM_ARRAY_TASK_COUNT=%lld: expected 1 to %d tasks; pass --shard I/N",
                       (long long)count, SLURM_MAX_SHARDS);
    if (step < 1)
        return mp_errf(e, MP_EINPUT, "SLURM_ARRAY_TASK_STEP=%lld: expected a step >= 1; pass --shard I/N",
                       (long long)step);
    rc = env_int(get, "SLURM_ARRAY_TASK_MAX", 0, min + (count - 1) * step, &max, e);
    if (rc != MP_OK)
        return rc;
    if (id < min || id > max)
        return mp_errf(e, MP_EINPUT,
                       "SLURM_ARRAY_TASK_ID=%lld is outside SLURM_ARRAY_TASK_MIN=%lld .. SLURM_ARRAY_TASK_MAX=%lld; "
                       "pass --shard I/N",
                       (long long)id, (long long)min, (long long)max);
    if ((id - min) % step != 0 || max != min + (count - 1) * step)
        return mp_errf(e, MP_EINPUT,
                       "the array's indices are not %lld .. %lld every %lld (SLURM_ARRAY_TASK_ID=%lld, _MIN=%lld, "
                       "_MAX=%lld, _STEP=%lld, _COUNT=%lld): a re-run of some tasks of a bigger array must pass "
                       "--shard I/N",
                       (long long)min, (long long)max, (long long)step, (long long)id, (long long)min, (long long)max,
                       (long long)step, (long long)count);
    *shard = (int)((id - min) / step);
    *nshards = (int)count;
    return MP_OK;
}
