/* sim/infer.h — a whole inference request on one design: prefill, then decode steps as the KV cache
 * grows, and the figures an architect quotes.
 *
 * Request (model, prompt P, generated G, batch B), as a serving engine runs it:
 *   prefill        the workload (prefill, seq P, batch B): every layer of the prompt, lm_head on
 *                  the last position (traces/workload.h); its logits give generated token 1
 *   decode step j  j = 1 .. G-1: the workload (decode, kv P + j, batch B): token j enters at
 *                  position P + j - 1, the KV cache grows from P to P + G - 2 entries before the
 *                  steps (P + j after step j's append), the step attends to P + j positions, itself
 *                  included (`mpsim run --phase decode --kv P+j`), and yields token j + 1
 *   TTFT           prefill seconds
 *   TPOT           Σ steps / (G - 1), and the last step's seconds (0 when G = 1: no step)
 *   tokens/s       B x G / (TTFT + Σ steps)
 *   J/token        (prefill + Σ steps) energy / (B x G)
 *
 * Decode steps differ only in their attention (QK^T, softmax, PV over kv positions): every other
 * GEMM and vector row is simulated once and reused (RunMemo, sim/run.h), the attention of each
 * step simulated on its own: the same numbers as simulating every step in full (InferOpts.step_all;
 * tests/test_infer.c proves the equality).
 *
 * Classes of work: weight GEMMs (the linear layers and lm_head), attention (the QK^T and PV GEMMs),
 * vector (every vector row). Time splits over them exactly (nothing overlaps, sim/run.h); energy
 * splits into their dynamic parts (PE, SRAM, decoders, dequant, converters, vector ops) plus DRAM
 * (traffic and background) and leakage as classes of their own.
 */
#ifndef MP_SIM_INFER_H
#define MP_SIM_INFER_H

#include "sim/point.h"

enum { IC_WEIGHT, IC_ATTN, IC_VECTOR, IC_COUNT };            /* classes of work              */
enum { IE_WEIGHT, IE_ATTN, IE_VECTOR, IE_DRAM, IE_LEAK, IE_COUNT }; /* classes of energy     */
extern const char *const infer_class_names[IC_COUNT];    /* "weight", "attention", "vector"      */
extern const char *const infer_energy_names[IE_COUNT];   /* the three, then "dram", "leakage"    */

typedef struct InferReq {
    const WlModel *model;
    int64_t prompt, gen, batch; /* P >= 1, G >= 1, B >= 1; P + G - 1 and B in 1..WL_LEN_MAX    */
} InferReq;

typedef struct InferOpts {
    RunOpts run;     /* fast fidelity for whole requests; memo is the request's own            */
    int step_all;    /* 1: simulate every decode step in full (no memo): the reference          */
    int progress;    /* steps on stderr                                                         */
} InferOpts;

#define INFER_ROWS 64 /* distinct GEMM and vector rows a request may have */

/* One row of the per-layer split: a GEMM or vector row of the workload, over the whole request. */
typedef struct InferRow {
    char name[WL_NAME_CAP];
    int cls;                     /* IC_*                                                      */
    int64_t prefill_cycles, decode_cycles;
    double prefill_pj, decode_pj;
} InferRow;

typedef struct InferResult {
    InferReq req;
    ArchConfig cfg;
    double clock_mhz;
    int64_t prefill_cycles, decode_cycles, last_step_cycles;
    SimEvents prefill_ev, decode_ev;  /* decode: Σ over the G - 1 steps                     */
    EnergyBreakdown prefill_energy, decode_energy, total_energy;
    double ttft_s, tpot_mean_s, tpot_last_s, tokens_per_s, j_per_token;
    double area_mm2;
    int64_t steps;                    /* decode steps: G - 1                                 */
    int64_t cls_cycles[2][IC_COUNT];  /* [0] prefill, [1] decode (Σ steps), by class         */
    double cls_pj[2][IE_COUNT];       /* the same, energy by energy class                    */
    int nrow;
    InferRow rows[INFER_ROWS];        /* GEMM rows, then vector rows, first seen first        */
    int fused;                        /* attention ran fused                                 */
    int64_t fused_need_bits, fused_have_bits; /* as RunResult's (the prefill's tile)         */
    char note[256];                   /* why not, when asked for                             */
    int64_t memo_hits, memo_misses;   /* the decode memo's work                              */
} InferResult;

/* Simulate request q on config c priced by table t. MP_EINPUT for a bad request or workload. */
int infer_run(const ArchConfig *c, const TechTable *t, const InferReq *q, const InferOpts *o, InferResult *r,
              MpErr *e) MP_MUST_CHECK;

#endif
