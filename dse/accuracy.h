/* dse/accuracy.h — accuracy studies: quantize (W, X) pairs in many formats, run the golden GEMMs
 * at both levels, and accumulate metrics against the unquantized fp64 GEMM.
 *
 * For each GEMM and format: weights W[N x K] and activations X[T x K] (fp32) are quantized
 * as the format says; Y_hw (hardware-exact), Y_ideal (dequantized values in fp64) and
 * Y_ref (unquantized, fp64) are compared: output metrics of Y_hw and of Y_ideal against
 * Y_ref, and weight metrics of dequantized W against W.
 */
#ifndef MP_SIM_ACCURACY_H
#define MP_SIM_ACCURACY_H

#include <stdint.h>

#include "base/err.h"
#include "models/golden.h"
#include "models/metrics.h"
#include "traces/synth.h"
#include "traces/workload.h"

#define ACC_MAX_FORMATS 32

typedef struct AccFormat {
    char name[48];
    NumFormat nf;           /* quantization and datapath (a copy: variants may change wq) */
    MetricAcc out_hw, out_ideal, weight;
    MetricAcc hw_vs_ideal;  /* the datapath's own arithmetic error: Y_hw against Y_ideal */
    long long bitmod_disagree, bitmod_groups;
    long long olive_w_outlier_pairs, olive_w_pairs, olive_x_outlier_pairs, olive_x_pairs; /* weights / activations */
    int types_seen;         /* bit mask of FmtId the per-tensor choices picked */
    /* ANT's 8-bit fallback: tensors seen and stored at ant-int8 (after pairing: with both operands
     * ANT, a GEMM runs both at 8 bits when either falls back), those whose own 4-bit MSNR fell below
     * the threshold, and the weight code bits stored (4 or 8 per weight) over the weights seen */
    long long ant_w_tensors, ant_w_int8, ant_w_own, ant_x_tensors, ant_x_int8, ant_x_own;
    long long ant_w_elems, ant_w_code_bits;
} AccFormat;

typedef struct AccLayer {   /* one GEMM of the study, per format: SQNR of Y_hw, Y_ideal, W */
    char name[96];
    int n, k, t;
    double sqnr_hw[ACC_MAX_FORMATS], sqnr_ideal[ACC_MAX_FORMATS], sqnr_w[ACC_MAX_FORMATS];
    int8_t wtype[ACC_MAX_FORMATS], xtype[ACC_MAX_FORMATS]; /* OliVe/ANT: FmtId chosen; -1: none */
    double ant_w_msnr4[ACC_MAX_FORMATS], ant_x_msnr4[ACC_MAX_FORMATS]; /* ANT: 4-bit MSNR (dB); NAN: none */
    double ant_w_mse4[ACC_MAX_FORMATS], ant_x_mse4[ACC_MAX_FORMATS];   /* ANT: 4-bit MSE; NAN: none      */
} AccLayer;

typedef struct AccStudy {
    int nfmt;
    long long tokens_min, tokens_max; /* activation rows seen over all GEMMs */
    AccFormat fmt[ACC_MAX_FORMATS];
    int nlayer, cap;
    AccLayer *layer;
} AccStudy;

void acc_study_init(AccStudy *s);
void acc_study_free(AccStudy *s);
/* Add a format by name ("mixpe-w4a8"), or a BitMoD single-variant row ("bitmod-w4:er_pos").
 * bm_err picks BitMoD's error mode. MP_EINPUT for an unknown name. */
int acc_study_add_format(AccStudy *s, const char *name, BitmodErrMode bm_err, MpErr *e) MP_MUST_CHECK;
/* Set the MSNR threshold (dB) of every format whose ANT operands fall back to 8 bits by MSNR
 * (ant-w4a4-mp, ant-w4a16-mp; default ANT_FB_DB_DEFAULT). */
void acc_study_set_ant_fb_db(AccStudy *s, double db);
/* Run every format on one GEMM. */
int acc_study_gemm(AccStudy *s, const char *name, const float *w, int n, int k, const float *x, int t,
                   MpErr *e) MP_MUST_CHECK;
/* Run every format on the weight GEMMs (lm_head left out) of the first `layers` repeats of a
 * workload's GEMM list (`shapes`: a model's decode step, or a layer CSV with layers = 1), on
 * synthetic tensors from sp: per GEMM, `rows` weight rows (all when rows <= 0 or rows >= N) and
 * `tokens` activation rows, both seeded with seed * 1000003 + layer * 64 + the GEMM's index in
 * `shapes` (the seeds `mpsim accuracy --model` and the sweeps' studies share). progress: the GEMM
 * being studied on stderr. */
int acc_study_synthetic(AccStudy *s, const Workload *shapes, int layers, int rows, int tokens, int64_t seed,
                        const SynParams *sp, int progress, MpErr *e) MP_MUST_CHECK;

#endif
