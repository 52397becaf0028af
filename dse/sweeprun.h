/* dse/sweeprun.h — run a sweep plan (dse/sweep.h) into a results database (dse/db.h).
 *
 * The parent process enumerates the rows of its shard, skips invalid design points, duplicate
 * keys and keys already in the database, and forks `jobs` worker processes. Workers get row
 * indices over a pipe each, evaluate them (sweep_eval, sweep_accuracy) and send the numbers back;
 * the parent is the only database writer: each poll round's results go in one transaction. An
 * accuracy study runs once per (format, group size, model) and is cached in its own table; a
 * row waits in memory for its study before it is written, so every written row is complete.
 * Killed at any moment, the database keeps every committed row and no partial one; a re-run
 * does only what is missing. A worker that dies fails its rows (not written: retried next run)
 * and is replaced.
 */
#ifndef MP_SIM_SWEEPRUN_H
#define MP_SIM_SWEEPRUN_H

#include <stdint.h>

#include "dse/sweep.h"

typedef struct SweepRunOpts {
    int jobs;             /* worker processes, >= 1                                     */
    int shard, nshards;   /* rows r with r % nshards == shard (0 of 1: every row)       */
    int fid;              /* -1: the spec's [sweep] fidelity, else a Fidelity           */
    int progress;         /* progress bar with ETA on stderr                            */
    int dry_run;          /* count only: no workers, no writes                          */
} SweepRunOpts;

#define SWEEP_REASONS 6

typedef struct SweepStats {
    int64_t rows;         /* rows of the plan: design points x workloads                */
    int64_t in_shard;     /* rows of this shard                                         */
    int64_t invalid;      /* rows of invalid design points: skipped                     */
    int64_t duplicate;    /* rows whose key an earlier row of the sweep has: skipped    */
    int64_t present;      /* rows already in the database (results or infeasible)       */
    int64_t todo;         /* rows to evaluate                                           */
    int64_t run;          /* evaluated and written to results                           */
    int64_t infeasible;   /* evaluated: the design cannot run the workload (recorded)   */
    int64_t failed;       /* errors: not written, a re-run retries them                 */
    int64_t acc_run;      /* accuracy studies run                                       */
    int64_t acc_failed;   /* accuracy studies that failed (rows get no accuracy)        */
    int jobs;             /* workers started                                            */
    double wall_s;        /* elapsed time: for display only, never stored               */
    /* the first distinct reasons a design point was invalid, and the first failure */
    int nreason;
    char reason[SWEEP_REASONS][256];
    int64_t reason_count[SWEEP_REASONS];
    int64_t reason_other;  /* rows skipped for reasons beyond the first SWEEP_REASONS  */
    char first_failed[1024], first_infeasible[1024];
} SweepStats;

int sweep_run(SweepPlan *p, const char *db_path, const SweepRunOpts *o, SweepStats *st, MpErr *e) MP_MUST_CHECK;

/* Online CPUs (the default --jobs). */
int sweep_default_jobs(void);

#endif
