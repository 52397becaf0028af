/* kernels_ref/kr_step_host.h — what the host files of kr_step share (kr_step.h lists them): the
 * model, one format's weights (host and device), the device buffers of a step, the options. */
#ifndef MP_KERNELS_REF_KR_STEP_HOST_H
#define MP_KERNELS_REF_KR_STEP_HOST_H

#include "kernels_ref/kr_run.h"
#include "kernels_ref/kr_step.h"
#include "kernels_ref/kr_step_olive.h"

#define KS_MAXL 64
/* seeds of the tables, xor-ed with the run's seed */
#define KS_SEED_EMB 0x454d42ull
#define KS_SEED_GAIN 0x4741494eull
#define KS_SEED_KV 0x4b56ull
#define KS_MAXLIST 8

typedef struct KsModel {
    const char *name;                  /* traces/workload.c name                              */
    int L, H, nh, nkv, hd, F, V;       /* layers, hidden, heads, kv heads, head dim, FFN, vocab */
} KsModel;

/* One format's weights: per matrix (KS_Q .. KS_LM) nb distinct rows quantized on the host (q, the
 * golden model's operand), row r of the full N-row matrix a copy of base row map[r]; on the device
 * a separate copy per layer (dev[l][m]; lm_head once, dev[0][KS_LM]). */
typedef struct KsWeights {
    int kern;                          /* KrKernel or KR_CUBLAS                                 */
    int n[KS_NMAT], k[KS_NMAT], nb[KS_NMAT];
    QMat q[KS_NMAT];
    int *map[KS_NMAT];
    uint8_t type[KS_NMAT];             /* OliVe weight type (0 int4, 1 flint4)                  */
    DevPack dev[KS_MAXL][KS_NMAT];
    KrWeights kw[KS_MAXL][KS_NMAT];
    double bytes;                      /* device bytes of all weights (what a step streams)     */
} KsWeights;

/* The device state of one model at up to bmax sequences and smax cached positions. */
typedef struct KsDev {
    int bmax, smax, pmax;              /* sequences, cached positions, prefill prompt (0: none) */
    int rmax;                          /* rows of the buffers: max(bmax, pmax)                  */
    uint16_t *kc, *vc;                 /* caches [L][bmax][nkv][smax][hd] fp16                  */
    uint16_t *emb;                     /* embedding table [V][H] fp16                           */
    float *gain;                       /* RMSNorm gains [2L + 1][H]: attn, ffn per layer, final */
    int *tok;                          /* token ids [rmax]: ks_token(seed, i)                   */
    float *cs;                         /* RoPE (cos, sin) [rmax][hd / 2]: decode row 0 = kv - 1,
                                          prefill row i = position i                           */
    float *S;                          /* prefill scores fp32 [nh][pmax][pmax]                  */
    uint16_t *Pm;                      /* prefill probabilities fp16 [nh][pmax][pmax]           */
    const void **pptr;                 /* prefill pointer arrays [L][6 nh] (ks_attn_prefill_ptrs) */
    float *h, *yq, *yk, *yv, *yo, *yg, *yu, *yd, *logits, *xf, *part;
    uint16_t *qh;
    void *act;                         /* activation codes [bmax][max K] (<= 2 bytes each)      */
    float *act_scale;                  /* int8 per-token scales [bmax]; OliVe: [0]               */
    KsOliveTab *otab;
    KsOliveState *ost;
    double *opart;
    uint32_t *lut_live, *lut_all;      /* [2][512], [2][2][512] (kr_step_olive.h)               */
    float *dump;                       /* [L + 1][rows][H]: h entering each layer, then the final */
    int crows;                         /* rows a checked step may have: max(bmax, checked prompt) */
    size_t xslot;                      /* bytes of one xdump slot: crows x max K x 4             */
    void *xdump;                       /* [L + 1][KS_XPTS] slots: the vector kernels' outputs x of
                                          a checked step, as written (fp16, or fp32 before the
                                          format's quantizer): ks_xpt_k() says which            */
    cublasHandle_t cb;
    void *cb_ws;
} KsDev;

typedef struct KsOpt {
    const char *models[KS_MAXLIST];
    int nmodels;
    int kern[KR_KERNEL_COUNT + 1], nkern;
    int batch[KS_MAXLIST], nbatch;
    int kv[KS_MAXLIST], nkv;
    unsigned long long seed;
    int energy, base_rows, e2e_max_b7, reps;
    int prompt, prompt_check;          /* prefill: timed prompt (0: none), checked prompt       */
    int corrupt;                       /* --corrupt: one lm_head scale (or fp16 weight) x16 on the GPU only */
    const char *out_dir, *out_file, *commit;
} KsOpt;

/* One step's result (kr_step_json.c). */
typedef struct KsRes {
    char model[32], format[32], phase[16], check[8];
    int batch, kv, prompt;
    double ms, j, err, bound;          /* err: max over the checked layers and the head          */
    double err_layer, bound_layer;     /* the end-to-end err and its bound (NAN: not run)        */
    int e2e, layers_checked;
} KsRes;

/* kr_step_model.c */
int ks_model_get(const char *name, KsModel *m); /* 0, or -1 for a name traces/workload.c lacks */
/* pmax: the largest prompt (0: no prefill); pcheck: the prompt a prefill check runs at. */
void ks_dev_open(const KsModel *m, int bmax, int smax, int pmax, int pcheck, uint64_t seed, KsDev *d);
/* Before a prefill of P tokens: its RoPE table and the pointer arrays of every layer for that P. */
void ks_dev_prefill_setup(const KsModel *m, KsDev *d, int P, int mode);
void ks_dev_close(KsDev *d);
void ks_gains(const KsModel *m, uint64_t seed, float *g); /* [2L + 1][H] */
int ks_token(uint64_t seed, int b, int V);
void ks_rope_cs(int hd, int pos, float *cs); /* [hd / 2] (cos, sin) pairs */
void ks_weights_make(const KsModel *m, int kern, uint64_t seed, int base_rows, KsWeights *w);
void ks_weights_free(const KsModel *m, KsWeights *w);
/* KV cache contents as ks_kv_value, positions [p0, p1) of every layer and sequence. */
void ks_dev_fill_kv(const KsModel *m, KsDev *d, uint64_t seed, int p0, int p1);

/* The points of a layer where a vector kernel hands x to a linear layer (the check compares them,
 * kr_step.c check_step): after the attention norm (K = H), after attention (QD), after the FFN norm
 * (H), after SiLU * up (F). Layer L has one: the final norm (H). */
enum { KS_XPT_ATTN_NORM, KS_XPT_ATTN, KS_XPT_FFN_NORM, KS_XPT_SILU, KS_XPTS };
int ks_xpt_k(const KsModel *m, int p); /* the width K of point p */

/* kr_step_run.c: the launches of one step (dump: copy h per layer to d->dump and every point's x to
 * d->xdump when not 0); decode (prompt = 0) of B sequences at kv positions, or prefill of one
 * sequence of `prompt` tokens. */
int ks_step_launch(const KsModel *m, const KsWeights *w, KsDev *d, int B, int kv, int prompt, int dump,
                   cudaStream_t st);
/* The activation mode (KS_OUT_F16 / KS_OUT_F32) the vector kernels write for format kern. */
int ks_act_mode(int kern);
/* Captured into a graph, timed (median of >= 10 launches over >= 0.5 s, ms) and its energy per launch (J, NAN
 * without NVML) over >= 2 s. */
void ks_step_time(const KsModel *m, const KsWeights *w, KsDev *d, int B, int kv, int prompt, int energy, double *ms,
                  double *j);

/* kr_step_ref.c: the CPU reference. h [B][H] fp32 in/out through layer l at kv positions; the head:
 * final norm and lm_head, logits [B][V]. gx (NULL: the reference's own values throughout): the
 * GPU's x at each of the layer's points ([KS_XPTS] arrays of B x ks_xpt_k floats; the head: one),
 * compared with the reference's into *err (max |gpu - ref| / rms(ref), the largest so far), then
 * used in its place. knew, vnew (NULL: not wanted): the step's own k and v as the cache stores them
 * ([B][nkv x hd], after RoPE, fp16-rounded). */
typedef struct KsRef {
    const KsModel *m;
    const KsWeights *w;
    const float *gain;
    uint64_t seed;
    int B, kv;                         /* decode; prefill: B = prompt tokens of sequence 0       */
    int prefill;
} KsRef;
void ks_ref_embed(const KsRef *r, float *h);
void ks_ref_layer(const KsRef *r, int l, float *h, const float *const *gx, double *err, float *knew, float *vnew);
void ks_ref_head(const KsRef *r, const float *h, const float *gx, float *logits, double *err);
/* max |a - b| / rms(b) over n values */
double ks_ref_err(const float *a, const float *b, long n);

/* kr_step_json.c */
KsRes *ks_res_new(void);
int ks_json_write(const char *path, const KsOpt *o, const Prov *p);

#endif
