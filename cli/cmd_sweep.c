/* cli/cmd_sweep.c — `mpsim sweep` (run a sweep spec into a database) and `mpsim merge` (combine
 * shard databases). docs/dse.md has the spec format, the database and the sharding recipes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/parse.h"
#include "cli/cmds.h"
#include "dse/db.h"
#include "dse/sbatch.h"
#include "dse/slurm.h"
#include "dse/sweep.h"
#include "dse/sweeprun.h"

static int parse_shard(const char *s, int *i, int *n, MpErr *e)
{
    long a, b;
    char tail;
    if (sscanf(s, "%ld/%ld%c", &a, &b, &tail) != 2 || b < 1 || b > 1000000 || a < 0 || a >= b)
        return mp_errf(e, MP_EINPUT, "--shard '%s': expected I/N with 0 <= I < N (e.g. 0/4)", s);
    *i = (int)a;
    *n = (int)b;
    return MP_OK;
}

static void print_stats(const SweepPlan *p, const SweepRunOpts *o, const SweepStats *st, const char *db)
{
    printf("sweep %s: %lld design points x %d workloads = %lld rows\n", p->name, (long long)p->ndesign, p->nwl,
           (long long)p->nrows);
    if (o->nshards > 1)
        printf("  shard %d/%d: %lld rows\n", o->shard, o->nshards, (long long)st->in_shard);
    if (st->invalid) {
        printf("  skipped %lld rows of invalid design points:\n", (long long)st->invalid);
        for (int i = 0; i < st->nreason; i++)
            printf("    %lld x %s\n", (long long)st->reason_count[i], st->reason[i]);
        if (st->reason_other)
            printf("    %lld x other reasons\n", (long long)st->reason_other);
    }
    if (st->duplicate)
        printf("  skipped %lld rows that repeat another row's key (same resolved config and workload)\n",
               (long long)st->duplicate);
    printf("  %lld already in %s, %lld to run\n", (long long)st->present, db, (long long)st->todo);
    if (o->dry_run)
        return;
    printf("  written: %lld rows", (long long)st->run);
    if (st->infeasible)
        printf(", %lld infeasible (recorded; e.g. %s)", (long long)st->infeasible, st->first_infeasible);
    if (st->acc_run)
        printf("; %lld accuracy studies%s", (long long)st->acc_run, st->acc_failed ? " (some failed)" : "");
    printf("\n");
}

static const char *env_get(const char *name) { return getenv(name); }

/* path made absolute without needing it to exist: its folder's real path, then its last name. */
static int abs_path(const char *what, const char *path, char *out, size_t cap, MpErr *e)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/'), *leaf = slash ? slash + 1 : path;
    if (!*leaf || !strcmp(leaf, ".") || !strcmp(leaf, ".."))
        return mp_errf(e, MP_EINPUT, "%s '%s': expected a file name", what, path);
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1, slash ? path : ".");
    if (!realpath(dir, real))
        return mp_errf(e, MP_EINPUT, "%s '%s': its folder %s: %s", what, path, dir, strerror(errno));
    if ((size_t)snprintf(out, cap, "%s%s%s", real, strcmp(real, "/") ? "/" : "", leaf) >= cap)
        return mp_errf(e, MP_EINPUT, "%s '%s': path too long", what, path);
    return MP_OK;
}

/* `--slurm`: write DIR/array.sh and DIR/merge.sh for the plan's sweep (dse/slurm.h); with --submit,
 * submit the array, then the merge with afterok on it, and print both job ids. */
static int sweep_slurm(const SweepPlan *p, const char *spec_path, const char *db, int nshards, int cpus,
                       const char *partition, const char *time, const char *fidelity, int submit, MpErr *e)
{
    char self[PATH_MAX], spec[PATH_MAX], out[PATH_MAX], dir[PATH_MAX + 16];
    char array[PATH_MAX + 64], merge[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return mp_errf(e, MP_EINTERNAL, "mpsim sweep --slurm: cannot find the mpsim binary's path: %s",
                       strerror(errno));
    self[n] = '\0';
    if (!realpath(spec_path, spec))
        return mp_errf(e, MP_EINPUT, "%s: %s", spec_path, strerror(errno));
    int rc = abs_path("--db", db, out, sizeof out, e);
    if (rc != MP_OK)
        return rc;
    if (access(out, F_OK) == 0) { /* merging into it must work: it must be an mpsim database */
        Db *d = NULL;
        rc = db_open(out, DB_READ, &d, e);
        db_close(d, NULL);
        if (rc != MP_OK)
            return rc;
    }
    slurm_dir(out, dir, sizeof dir);
    SlurmJob j = {self, spec, out, dir, p->name, nshards, cpus, partition, time, fidelity};
    rc = slurm_write(&j, array, merge, sizeof array, e);
    if (rc != MP_OK)
        return rc;
    char qa[2 * PATH_MAX], qm[2 * PATH_MAX];
    slurm_shell_quote(array, qa, sizeof qa);
    slurm_shell_quote(merge, qm, sizeof qm);
    printf("sweep %s: %lld design points x %d workloads = %lld rows, in %d shard%s (Slurm array tasks 0-%d)\n",
           p->name, (long long)p->ndesign, p->nwl, (long long)p->nrows, nshards, nshards > 1 ? "s" : "",
           nshards - 1);
    printf("  wrote %s (task I: shard I/%d into %s/shards/)\n", array, nshards, dir);
    printf("  wrote %s (all shards into %s, after every task succeeded)\n", merge, out);
    if (!submit) {
        printf("submit: jid=$(sbatch --parsable %s) && sbatch --dependency=afterok:$jid %s\n", qa, qm);
        printf("re-run task K alone: jid=$(sbatch --parsable --array=K %s) && sbatch --dependency=afterok:$jid %s\n",
               qa, qm);
        return MP_OK;
    }
    fflush(stdout);
    char ja[32], jm[32];
    rc = sbatch_submit(array, NULL, ja, sizeof ja, e);
    if (rc != MP_OK)
        return rc;
    printf("submitted array job %s (tasks 0-%d)\n", ja, nshards - 1);
    fflush(stdout);
    rc = sbatch_submit(merge, ja, jm, sizeof jm, e);
    if (rc != MP_OK) {
        mp_err_prefix(e, "array job %s was submitted, its merge was not (submit it: sbatch "
                         "--dependency=afterok:%s %s)", ja, ja, qm);
        return rc;
    }
    printf("submitted merge job %s (after array job %s succeeds)\n", jm, ja);
    printf("re-run task K alone: jid=$(sbatch --parsable --array=K %s) && sbatch --dependency=afterok:$jid %s\n", qa,
           qm);
    return MP_OK;
}

int cmd_sweep(int argc, char **argv)
{
    const char *db = NULL, *shard = NULL, *fidelity = NULL;
    const char *jobs_text = NULL; /* --jobs as typed; NULL: not given (the CPU count) */
    const char *shards_text = NULL, *partition = NULL, *time = NULL;
    int64_t jobs = 0;
    int quiet = 0, dry = 0, slurm = 0, submit = 0;
    const CliOpt opts[] = {
        {"db", CLI_STR, &db, "FILE", "SQLite results database (created if missing; rows already there are skipped)"},
        {"jobs", CLI_STR, &jobs_text, "N", "worker processes (default: the number of CPUs)"},
        {"shard", CLI_STR, &shard, "I/N", "run only the rows whose index % N == I (merge shards with mpsim merge)"},
        {"fidelity", CLI_STR, &fidelity, "fast|cycle", "override the spec's [sweep] fidelity"},
        {"dry-run", CLI_FLAG, &dry, "", "count the rows (and those already in the database); run nothing"},
        {"quiet", CLI_FLAG, &quiet, "", "no progress bar"},
        {"slurm", CLI_FLAG, &slurm, "",
         "run nothing here: write a Slurm array job (one task per shard) and its merge job into a folder beside the "
         "database (--db results/x.db: results/x.slurm/ with array.sh, merge.sh, shards/, logs/)"},
        {"shards", CLI_STR, &shards_text, "N", "with --slurm: array tasks, one shard each (default 4)"},
        {"partition", CLI_STR, &partition, "P", "with --slurm: #SBATCH --partition (default: the cluster's)"},
        {"time", CLI_STR, &time, "T", "with --slurm: #SBATCH --time of each task and of the merge, e.g. 2:00:00"},
        {"submit", CLI_FLAG, &submit, "",
         "with --slurm: submit the array, then the merge with --dependency=afterok on it; print both job ids"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {"mpsim sweep", "SPEC --db FILE [options]",
                          "Run a design-space sweep: every design point of SPEC (base x parameter values) on every "
                          "workload, in parallel worker processes, into an SQLite database keyed by a hash of the "
                          "resolved config and workload. Re-running skips what is there; a killed sweep loses "
                          "nothing committed.",
                          "Example: mpsim sweep configs/sweeps/main.ini --db build/main.db\n"
                          "On Slurm: mpsim sweep main.ini --db $PWD/main.db --slurm --shards 8 --jobs 4 --submit\n"
                          "  --jobs is each task's --cpus-per-task there (default 1). Re-run a failed task K alone with\n"
                          "  jid=$(sbatch --parsable --array=K DIR/array.sh) (its shard resumes), then\n"
                          "  sbatch --dependency=afterok:$jid DIR/merge.sh.\n"
                          "Inside a Slurm array task, --shard defaults to (SLURM_ARRAY_TASK_ID - _MIN) / _STEP\n"
                          "of SLURM_ARRAY_TASK_COUNT.\n"
                          "Spec format, database columns, sharding with Slurm or GNU parallel: docs/dse.md.",
                          opts, 1, 1};
    char *pos[CLI_MAX_POS];
    int status = cmd_parse(&spec, argc, argv, pos, NULL);
    if (status != CMD_GO_ON)
        return status;
    MpErr e = {0};
    SweepRunOpts o = {0, 0, 1, -1, 0, dry};
    int rc = db ? MP_OK : mp_errf(&e, MP_EINPUT, "mpsim sweep: --db FILE is required");
    if (rc == MP_OK && jobs_text && (mp_parse_i64(jobs_text, &jobs) != 0 || jobs < 1 || jobs > 1024))
        rc = mp_errf(&e, MP_EINPUT, "mpsim sweep: --jobs takes 1..1024 (got '%s')", jobs_text);
    o.jobs = jobs_text ? (int)jobs : sweep_default_jobs();
    int nshards = 4, env_shard = 0;
    if (rc == MP_OK && !slurm && (shards_text || partition || time || submit))
        rc = mp_errf(&e, MP_EINPUT, "mpsim sweep: --%s needs --slurm",
                     shards_text ? "shards" : partition ? "partition" : time ? "time" : "submit");
    if (rc == MP_OK && slurm && (shard || dry))
        rc = mp_errf(&e, MP_EINPUT, "mpsim sweep: --slurm makes one shard per array task: it takes no --%s",
                     shard ? "shard" : "dry-run");
    if (rc == MP_OK && shards_text)
        rc = slurm_parse_shards(shards_text, &nshards, &e);
    if (rc == MP_OK && partition)
        rc = slurm_check_partition(partition, &e);
    if (rc == MP_OK && time)
        rc = slurm_check_time(time, &e);
    if (rc == MP_OK && shard)
        rc = parse_shard(shard, &o.shard, &o.nshards, &e);
    else if (rc == MP_OK && !slurm) /* inside an array task: the shard from Slurm's variables */
        rc = slurm_env_shard(env_get, &env_shard, &o.shard, &o.nshards, &e);
    if (rc == MP_OK && fidelity) {
        if (!strcmp(fidelity, "fast"))
            o.fid = FID_FAST;
        else if (!strcmp(fidelity, "cycle"))
            o.fid = FID_CYCLE;
        else
            rc = mp_errf(&e, MP_EINPUT, "--fidelity '%s': expected fast or cycle", fidelity);
    }
    o.progress = !quiet && !dry && isatty(2);
    SweepPlan *p = NULL;
    if (rc == MP_OK)
        rc = sweep_plan_load(pos[0], &p, &e);
    if (rc == MP_OK && slurm) {
        rc = sweep_slurm(p, pos[0], db, nshards, jobs_text ? (int)jobs : 1, partition, time, fidelity, submit, &e);
        sweep_plan_free(p);
        return rc ? cli_fail(&e) : 0;
    }
    if (rc == MP_OK && env_shard)
        printf("shard %d/%d from SLURM_ARRAY_TASK_ID=%s (SLURM_ARRAY_TASK_MIN=%s, _COUNT=%s)\n", o.shard, o.nshards,
               getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_MIN") ? getenv("SLURM_ARRAY_TASK_MIN") : "unset",
               getenv("SLURM_ARRAY_TASK_COUNT"));
    SweepStats st;
    memset(&st, 0, sizeof st);
    if (rc == MP_OK)
        rc = sweep_run(p, db, &o, &st, &e);
    if (rc == MP_OK) {
        print_stats(p, &o, &st, db);
        fflush(stdout);
        if (!o.dry_run && st.run + st.infeasible > 0 && st.wall_s > 0)
            fprintf(stderr, "sweep %s: %lld rows in %.1f s on %d workers (%.0f rows per minute)\n", p->name,
                    (long long)(st.run + st.infeasible), st.wall_s, st.jobs, 60.0 * (st.run + st.infeasible) / st.wall_s);
        if (st.failed)
            rc = mp_errf(&e, MP_ECHECK, "sweep %s: %lld rows failed and were not written (first: %s); run the sweep "
                         "again to retry them", p->name, (long long)st.failed, st.first_failed);
    }
    sweep_plan_free(p);
    return rc ? cli_fail(&e) : 0;
}

int cmd_merge(int argc, char **argv)
{
    const CliOpt opts[] = {{NULL, 0, NULL, NULL, NULL}};
    const CliSpec spec = {"mpsim merge", "OUT.db IN.db [IN.db ...]",
                          "Merge sweep databases (e.g. one per shard) into OUT.db, which is created if missing. A key "
                          "present in several must have identical rows, else nothing is written and the exit status "
                          "is 1. OUT.db is replaced all at once at the end.",
                          "Example: mpsim merge all.db shard-*.db", opts, 2, 2};
    MpErr e = {0};
    /* any number of inputs (cli_parse keeps at most CLI_MAX_POS positionals) */
    int only_pos = 0, npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!only_pos && !strcmp(argv[i], "--")) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
            cli_print_help(&spec);
            return 0;
        }
        if (!only_pos && argv[i][0] == '-' && argv[i][1])
            return mp_errf(&e, MP_EINPUT, "mpsim merge: unknown option '%s' (see 'mpsim merge --help')", argv[i]),
                   cli_fail(&e);
        argv[++npos] = argv[i]; /* compact the file names into argv[1..npos] */
    }
    if (npos < 2)
        return mp_errf(&e, MP_EINPUT, "mpsim merge: missing argument (usage: mpsim merge %s)", spec.usage),
               cli_fail(&e);
    DbMergeStats st;
    int rc = db_merge(argv[1], argv + 2, npos - 1, &st, &e);
    if (rc == MP_OK)
        printf("merged %d database%s into %s: %lld rows added, %lld identical rows already there, %lld accuracy rows "
               "added\n",
               npos - 1, npos > 2 ? "s" : "", argv[1], (long long)st.added, (long long)st.same,
               (long long)st.acc_added);
    return rc ? cli_fail(&e) : 0;
}
