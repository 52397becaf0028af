/* kernels_ref/kr_run.h — what the files of the runner (kr_runner, docs/gpu.md) share; not an
 * interface of the kernels (that is kr_api.h).
 *
 *   kr_runner.c       main: device and provenance, the loop over shapes, M and kernels, the summary
 *   kr_run_opts.c     command-line options
 *   kr_run_inputs.c   synthetic inputs: quantized, packed, row-replicated, uploaded
 *   kr_run_check.c    golden outputs and stated bounds; the check of a GPU output against them
 *   kr_run_time.c     timing (CUDA events, graphs), energy over NVML, copy bandwidth, cuBLAS peaks
 *   kr_run_json.c     the results and their JSON file
 *   kr_run_dev.c      allocation, names, the device's provenance and idle power (shared with kr_step)
 *
 * The runner is a program, not a library: on a CUDA, cuBLAS or allocation failure it prints the
 * place and exits with status 3.
 */
#ifndef MP_KERNELS_REF_KR_RUN_H
#define MP_KERNELS_REF_KR_RUN_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels_ref/kr_api.h"
#include "models/golden.h"
#include "models/pack.h"

#define CK(x)                                                                                                  \
    do {                                                                                                       \
        cudaError_t e_ = (x);                                                                                  \
        if (e_ != cudaSuccess) {                                                                               \
            fprintf(stderr, "kr_runner: %s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));     \
            exit(3);                                                                                           \
        }                                                                                                      \
    } while (0)
#define CB(x)                                                                                                  \
    do {                                                                                                       \
        cublasStatus_t s_ = (x);                                                                               \
        if (s_ != CUBLAS_STATUS_SUCCESS) {                                                                     \
            fprintf(stderr, "kr_runner: %s:%d: %s: cuBLAS status %d\n", __FILE__, __LINE__, #x, (int)s_);      \
            exit(3);                                                                                           \
        }                                                                                                      \
    } while (0)

#define KR_CUBLAS KR_KERNEL_COUNT /* pseudo kernel: cuBLAS fp16 */
#define KR_MAXSH 16               /* shapes per run */
#define KR_MAXM 16                /* token counts per run */
#define KR_MAXCOPIES 64           /* weight copies rotated while timing */

/* malloc / calloc that exit with status 3 when memory runs out. */
void *kr_xmalloc(size_t n);
void *kr_xcalloc(size_t n, size_t s);
/* "cublas-fp16" for KR_CUBLAS, else kr_kernel_names[k]. */
const char *kr_kname(int k);

typedef struct Prov Prov;
/* Device 0: name, SMs, L2, CUDA versions, driver, clocks and power limit as found (NVML, when it
 * loads), the date; printed. Exits 3 without a device. */
void kr_dev_open(Prov *pv);
/* Idle power over 2 s after a second's rest (NAN without NVML). */
double kr_dev_idle_w(void);
/* out_dir/<gpu slug>/<prefix><date>-<seed>.json (':' of the date as '-'); makes the folders. */
void kr_dev_result_path(const char *out_dir, const Prov *pv, const char *prefix, unsigned long long seed, char *path,
                        size_t len);

/* ------------------------------------------------------------------ options (kr_run_opts.c) */

typedef struct Opt {
    int kern[KR_KERNEL_COUNT + 1], nkern; /* kernels to run, KR_CUBLAS included               */
    int shn[KR_MAXSH], shk[KR_MAXSH], nsh; /* N x K of each shape                              */
    int ms[KR_MAXM], nm;                  /* token counts M                                    */
    unsigned long long seed;
    int energy;                           /* 0 none, 1 subset (M = 1 and 2048), 2 all          */
    int all_variants;                     /* 0: kr_auto_variant only; else every one not skipped */
    int skip[KR_VAR_COUNT];               /* variants left out (--variants LIST, --skip-variants) */
    const char *out_dir, *out_file, *commit;
    double check_budget;                  /* golden k-steps per check (M <= 16; / 2.5 above)   */
    int base_rows, base_toks, quick, check_only;
} Opt;

/* Defaults, then argv. 0, or -1 after printing why (exit status 2); --help prints and exits 0. */
int kr_opts_parse(int argc, char **argv, Opt *o);

/* ------------------------------------------------------------------ inputs (kr_run_inputs.c) */

/* A packed matrix on the device, in one allocation. */
typedef struct DevPack {
    void *blob;
    uint8_t *codes, *zero4, *meta;
    uint16_t *scale16;
    float *scale32;
    size_t bytes;
} DevPack;

/* Seeded synthetic weights (traces/synth.h), rows x K. */
void kr_in_weights(uint64_t seed, int rows, int K, float *w);
void kr_in_quantize(const QParams *qp, const float *src, int rows, int cols, QMat *q);
/* pack_matrix over row blocks in parallel. */
void kr_in_pack(const QMat *q, PackedMat *out);
/* o = `rows` rows, row r a copy of base row map[r] of b (kr_row_map). */
void kr_in_expand(const PackedMat *b, int rows, const int *map, PackedMat *o);
/* frees what kr_in_pack / kr_in_expand allocated */
void kr_in_free(PackedMat *p);
void kr_in_upload(const PackedMat *p, DevPack *d);
void kr_in_clone(const DevPack *s, DevPack *d);
/* copies of `bytes` that keep > 160 MB in rotation (2 .. KR_MAXCOPIES): beyond the 50 MB L2 */
int kr_in_copies(size_t bytes);
/* Weight scheme slot (0 uint4: MixPE, DQ, W4A8; 1 FP4; 2 FP3; 3 OliVe; 4 fp16 for cuBLAS) and
 * activation scheme slot (0 fp16, 1 int8, 2 OliVe) of a kernel; their quantizer parameters. */
int kr_in_wslot(int kern);
int kr_in_xslot(int kern);
const QParams *kr_in_wparams(int kern);
const QParams *kr_in_xparams(int kern);

/* ------------------------------------------------------------------ checks (kr_run_check.c) */

typedef struct Golden {
    int tb, rb;       /* checked base tokens x base rows */
    float *y;         /* tb x rb golden_hw outputs */
    double *S, *B;    /* sum |w x| and the stated bound */
} Golden;

typedef struct Res Res;
void kr_chk_golden(int kern, const QMat *qw, const QMat *qx, int tb, int rb, Golden *gd);
void kr_chk_free(Golden *g);
/* A GPU output (float, or fp16 bits for cuBLAS), M x N, against the golden values of its base
 * rows/tokens (mapx, mapw): fills r's check, checked, mismatches, nonfinite, max_rel, bound_use. */
void kr_chk_output(int kern, const void *h, int M, int N, const int *mapx, const int *mapw, const Golden *gd, Res *r);

/* ------------------------------------------------------------------ timing (kr_run_time.c) */

/* One launch of the measured code on weight copy `copy`; 0 or a cudaError_t / -1. */
typedef int (*LaunchFn)(void *ctx, int copy, cudaStream_t st);

typedef struct Timing {
    double us;            /* median per launch */
    cudaGraphExec_t ex;   /* graph of `per` launches (short kernels) or NULL */
    int per;
} Timing;

/* The stream every measurement runs on; kr_time_init creates it and the timing events. */
extern cudaStream_t kr_st;
void kr_time_init(void);
void kr_time_launch(LaunchFn fn, void *ctx, int copy); /* one launch; exits 3 if it fails */
Timing kr_time_it(LaunchFn fn, void *ctx, int ncopies, int quick);
/* Energy per launch into r (energy_uj, window_s, power_w) over >= 2 s of launches; unchanged
 * where NVML is unavailable. */
void kr_time_energy(LaunchFn fn, void *ctx, int ncopies, const Timing *T, Res *r);
double kr_time_copy_gbps(void);   /* device-to-device copy, bytes read + written */
double kr_time_peak(cublasHandle_t h, int int8); /* cuBLAS 8192^3: fp16 TFLOP/s or int8 TOPS */
double kr_time_now_s(void);
/* Median of v[0..n) (sorts v). */
double kr_time_median(double *v, int n);

/* ------------------------------------------------------------------ results (kr_run_json.c) */

struct Res {
    char kernel[32], variant[24], check[24];
    int m, n, k;
    double us, gbps, tflops, pct, bytes;
    double max_rel, bound_use, energy_uj, window_s, power_w;
    long long checked, mismatches, nonfinite;
    int best; /* the fastest variant of its (kernel, m, n, k) that passed its check */
};

/* The read-stream ceiling of one shape (kr_stream_read over its uint4 weight bytes). */
typedef struct Stream {
    int n, k;
    double bytes, us, gbps, pct;
} Stream;

struct Prov {
    char device[256], driver[96], cuda[64], date[32], command[2048], slug[64], clocks[256], nvml_note[256];
    double copy_gbps, idle_w, peak_fp16, peak_int8;
    int sms;
    size_t l2;
};

extern Res *kr_res;    /* kr_nres results, in run order */
extern int kr_nres;
extern Stream kr_streams[KR_MAXSH];
extern int kr_nstreams;
Res *kr_res_new(void); /* a zeroed result (NaN where not measured) at the end of kr_res */
/* JSON pieces: a string (escaped), a number (null unless finite); with sep, then "key": before. */
void kr_json_str(FILE *f, const char *s);
void kr_json_num(FILE *f, double v, const char *fmt);
void kr_json_kstr(FILE *f, const char *sep, const char *key, const char *v);
void kr_json_knum(FILE *f, const char *sep, const char *key, double v, const char *fmt);
/* Writes the run to path (temp file, then rename); 0, or -1 after printing why. */
int kr_json_write(const char *path, const Opt *o, const Prov *p);
/* A results file of `tool` (kr_runner, kr_step) begun: path's temporary path.tmp.PID opened (its name
 * in tmp) and the provenance keys every results file opens with written — device, driver, cuda,
 * commit, date, command, copy_gbps, clocks, sms, l2_bytes (when l2), seed, idle_power_w — with no
 * separator after the last. NULL after printing why. kr_json_finish closes it and renames it to path
 * (0), or removes it (-1 after printing why). */
FILE *kr_json_begin(const char *path, const char *tool, const char *commit, unsigned long long seed, const Prov *p,
                    int l2, char *tmp, size_t cap);
int kr_json_finish(FILE *f, const char *tool, const char *tmp, const char *path);
/* "1,16,..." into out (at most max values, each 1 .. 2^20): how many, or -1 for anything else. */
int kr_parse_ints(const char *s, int *out, int max);

#endif
