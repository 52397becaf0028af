/* dse/gpureq.h — the GPU side of a whole-request comparison (`mpsim compare-gpu --phase request`,
 * docs/gpu.md "Whole requests against the GPU"): the GPU's published facts, and a request composed
 * from the whole steps a results file measured (dse/gpures.h, GpuStep).
 *
 * A request (model, prompt P, G generated tokens, batch B) is counted as sim/infer.h counts it:
 *   TTFT      the prefill row of (model, format, B, prompt P): its ms. Without one at batch B, B
 *             prefills of the batch-1 row back to back (B x its ms and J; prefill_reps = B): a prefill
 *             of P = 2048 tokens already fills the GPU (its GEMMs run at M = 2048), so B sequences at
 *             once take about B times as long; kr_step measures prefill at batch 1 only
 *   step j    j = 1 .. G-1 attends to P + j positions: the decode rows of (model, format, B) at
 *             kv = P + j, or linear between the two nearest measured kv on either side (ms and J:
 *             a step's attention work is linear in kv and the rest of it does not depend on kv);
 *             a kv outside the measured range is refused, never extrapolated. Where a bracketing
 *             row has no energy, the step's J is the average power (j / ms) of the measured row
 *             nearest in kv times the step's time (counted in steps_by_power)
 *   tokens/s  B x G / (TTFT + Σ steps)
 *   J/token   (prefill J + Σ steps J) / (B x G); NAN when a row used has no energy
 *   idle      the file's idle_power_w x seconds: what the board draws doing nothing in that time
 */
#ifndef MP_DSE_GPUREQ_H
#define MP_DSE_GPUREQ_H

#include <stdint.h>

#include "dse/gpures.h"
#include "sim/config.h"

/* Published facts of a GPU (one row per GPU the project measures; the source in gpureq.c). */
typedef struct GpuFacts {
    const char *match;   /* ends "device", or stands before a " (" note there */
    const char *name;
    double die_mm2;      /* die area                                         */
    int node_nm;         /* the process node class (sim/techscale.h row)     */
    const char *mem;     /* memory technology: a [dram] tech name            */
    int mem_stacks;      /* memory stacks (channels of the comparison)       */
    double mem_peak_gbps;/* datasheet peak bandwidth                         */
    double tdp_w;        /* board power limit                                */
    const char *source;
} GpuFacts;

/* The facts row whose match ends device (or precedes a " (" note in it), or NULL. */
const GpuFacts *gpu_facts_for(const char *device);
/* "NVIDIA H100 ..." names of every row, comma-separated, for messages. */
void gpu_facts_list(char *buf, size_t cap);

/* The GPU kernel (and step format) doing the same arithmetic as c's PE kind: a kernels_ref kernel
 * name or "cublas-fp16"; NULL with the reason in *why when there is none (int8, ANT). */
const char *gpu_format_for(const ArchConfig *c, const char **why);

typedef struct GpuReq {
    int64_t prompt, gen, batch, steps; /* steps = G - 1                                       */
    double ttft_s, decode_s;           /* prefill seconds; Σ decode steps' seconds              */
    double tpot_mean_s;                /* decode_s / steps (0 without steps)                    */
    double prefill_j, decode_j;        /* board joules; NAN when not measured                   */
    double total_s, total_j;
    double tokens_per_s, j_per_token;
    int64_t kv_lo, kv_hi;              /* the measured decode kv the steps were taken from       */
    int ndecode;                       /* decode rows measured for this model, format and batch  */
    int64_t steps_by_power;            /* steps whose J came from a measured step's power         */
    int64_t prefill_reps;              /* 1: the prefill row at batch B; B: B x the batch-1 row   */
} GpuReq;

/* Compose the request from g's passing steps of model and format. MP_EINPUT, with a message naming
 * what is missing (the prefill row, or decode rows covering kv P+1 .. P+G-1). */
int gpu_request(const GpuFile *g, const char *model, const char *format, int64_t prompt, int64_t gen, int64_t batch,
                GpuReq *out, MpErr *e) MP_MUST_CHECK;

#endif
