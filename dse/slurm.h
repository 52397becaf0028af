/* dse/slurm.h — a sweep as a Slurm job array: the two sbatch scripts, and a task's shard.
 *
 * `mpsim sweep SPEC --db OUT --slurm --shards N` writes a folder DIR (OUT without a trailing ".db",
 * plus ".slurm"; slurm_dir), on the file system the nodes share:
 *
 *   DIR/array.sh                  the array job, tasks 0 .. N-1: task I runs
 *                                 `mpsim sweep SPEC --shard I/N` into a database on the node's own
 *                                 disk (SQLite's WAL wants a local disk), starting from its shard
 *                                 file, else its partial file, when there is one (a re-run does only
 *                                 what is missing), then publishes it: copy to "FILE.tmp.JOBID",
 *                                 rename to FILE
 *   DIR/shards/shard-I-of-N.db    task I's database: exists only once task I has finished
 *   DIR/shards/shard-I-of-N.partial.db   the rows of a task I that stopped before the end (a failed
 *                                 row, SIGTERM from a time limit, pre-emption or scancel), published
 *                                 the same way on its way out; a re-run starts from it, and removes it
 *                                 once the shard is published
 *   DIR/merge.sh                  the merge job (submitted with --dependency=afterok:ARRAY): refuses
 *                                 (exit 1, naming the missing shards and the command that re-runs
 *                                 them) unless all N shard files exist, then `mpsim merge OUT
 *                                 shards...`, which skips rows OUT already holds
 *   DIR/logs/sweep-%A_%a.out      each task's output (%A array job id, %a task index)
 *   DIR/logs/merge-%j.out         the merge's output
 *
 * No database is ever written over the network by two writers: one file per shard, one writer each.
 * Scripts are written whole or not at all (temporary name, rename). Every path and argument in a
 * script body is shell-quoted; the #SBATCH lines hold only checked values (slurm_check_job).
 */
#ifndef MP_DSE_SLURM_H
#define MP_DSE_SLURM_H

#include <stddef.h>

#include "base/err.h"

#define SLURM_MAX_SHARDS 1000000  /* also --shard's bound; a cluster's MaxArraySize may be lower */

typedef struct SlurmJob {
    const char *mpsim;     /* absolute path of the mpsim binary the tasks run                      */
    const char *spec;      /* absolute path of the sweep spec                                      */
    const char *db;        /* absolute path of the merged database (OUT)                           */
    const char *dir;       /* absolute path of the job's folder (slurm_dir)                        */
    const char *name;      /* the sweep's name: job names "mpsim-NAME", "mpsim-NAME-merge"         */
    int nshards;           /* array tasks 0 .. nshards - 1, in [1, SLURM_MAX_SHARDS]               */
    int cpus;              /* #SBATCH --cpus-per-task and each task's --jobs, in [1, 1024]         */
    const char *partition; /* NULL: the cluster's default partition                                */
    const char *time;      /* NULL: the partition's default time limit; else slurm_check_time      */
    const char *fidelity;  /* NULL: the spec's; else "fast" or "cycle"                             */
} SlurmJob;

/* --shards N: an integer in [1, SLURM_MAX_SHARDS], else MP_EINPUT naming the flag. */
int slurm_parse_shards(const char *s, int *n, MpErr *e) MP_MUST_CHECK;
/* --time T in one of Slurm's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S (digits only; minutes and
 * seconds after the first field < 60, hours after a day < 24), not all zero; else MP_EINPUT. */
int slurm_check_time(const char *t, MpErr *e) MP_MUST_CHECK;
/* --partition P: names of letters, digits, '_', '-', '.', comma-separated, at most 128 bytes. */
int slurm_check_partition(const char *p, MpErr *e) MP_MUST_CHECK;
/* Every field as documented above; paths absolute and free of control characters; the folder also
 * free of '%', '"' and '\' (it goes into #SBATCH --output, where sbatch reads quotes and
 * backslashes and Slurm expands '%'). MP_EINPUT naming what is wrong. */
int slurm_check_job(const SlurmJob *j, MpErr *e) MP_MUST_CHECK;

/* The job's folder for database path db: db without a trailing ".db" (unless that is its whole
 * name), then ".slurm". */
void slurm_dir(const char *db, char *buf, size_t cap);
/* s quoted for a POSIX shell: between single quotes, each ' written '\''. Returns the length of the
 * full quoted text (the output is cut to cap - 1 bytes, NUL-terminated, like snprintf). */
size_t slurm_shell_quote(const char *s, char *buf, size_t cap);

/* The scripts' text (mp_free it); MP_EINPUT when slurm_check_job refuses j. */
int slurm_array_script(const SlurmJob *j, char **text, MpErr *e) MP_MUST_CHECK;
int slurm_merge_script(const SlurmJob *j, char **text, MpErr *e) MP_MUST_CHECK;
/* Make DIR, DIR/shards and DIR/logs (those that are missing) and write DIR/array.sh and DIR/merge.sh
 * (mode 0755), each atomically. The two scripts' paths go to array_path and merge_path (cap bytes
 * each; may be NULL). */
int slurm_write(const SlurmJob *j, char *array_path, char *merge_path, size_t cap, MpErr *e) MP_MUST_CHECK;

/* The shard of an array task, from Slurm's variables, read through get (getenv in mpsim):
 * SLURM_ARRAY_TASK_ID unset: *found = 0, MP_OK. Otherwise *found = 1 and, with MIN, MAX, STEP and
 * COUNT the SLURM_ARRAY_TASK_* variables (MIN default 0, STEP default 1, MAX default MIN + (COUNT -
 * 1) x STEP), *shard = (ID - MIN) / STEP and *nshards = COUNT, which needs every value an integer,
 * MIN <= ID <= MAX, ID - MIN a multiple of STEP and MAX = MIN + (COUNT - 1) x STEP (indices evenly
 * spaced, none left out: a re-run of some tasks of a bigger array must pass --shard I/N itself, as
 * DIR/array.sh does); else MP_EINPUT naming the variable and its value. */
typedef const char *(*SlurmGetenv)(const char *name);
int slurm_env_shard(SlurmGetenv get, int *found, int *shard, int *nshards, MpErr *e) MP_MUST_CHECK;

#endif
