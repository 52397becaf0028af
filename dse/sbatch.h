/* dse/sbatch.h — submit a batch script to Slurm: `sbatch --parsable [--dependency=afterok:ID] SCRIPT`,
 * run without a shell (execvp: the first "sbatch" on PATH), its job id read from its standard output
 * ("ID" or "ID;CLUSTER"). Its standard error goes to ours. */
#ifndef MP_DSE_SBATCH_H
#define MP_DSE_SBATCH_H

#include <stddef.h>

#include "base/err.h"

/* after: NULL, or a job id the new job waits for with afterok (runs only if that job, every task of
 * an array, succeeded). jobid gets the new job's id (digits only). MP_EINPUT when sbatch cannot be
 * started (not on PATH); MP_ECHECK when it fails or prints no job id. */
int sbatch_submit(const char *script, const char *after, char *jobid, size_t cap, MpErr *e) MP_MUST_CHECK;

#endif
