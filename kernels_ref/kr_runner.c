/* kernels_ref/kr_runner.c — checks, times and measures the energy of the CUDA reference kernels
 * and cuBLAS fp16 on LLM layer shapes; writes one JSON file per run (docs/gpu.md).
 *
 *   kr_runner [--kernels LIST] [--shapes NxK,...] [--ms 1,16,...] [--seed N] [--energy none|subset|all]
 *             [--variants auto|all|LIST] [--out-dir DIR | --out FILE] [--commit STR] [--check-budget N]
 *             [--base-rows N] [--quick] [--check-only] [--skip-variants LIST]
 *
 * --variants all (or a comma-separated list of variant names) times every (listed) kernel variant
 * (kr_api.h) that the kernel takes at that M and marks the fastest that passed its check
 * ("best": true; its energy is the one measured); --check-only skips timing and energy.
 * For every shape and M: fresh seeded synthetic W and X (traces/synth.h), quantized and packed by
 * models/ (the bytes the kernels read), the GPU result checked against golden_gemm_hw's datapath
 * (golden_acc_run) on a deterministic set of outputs, then timed with CUDA events (median of many
 * repetitions, CUDA graphs for short kernels, weight copies rotated over > 150 MB) and, where asked,
 * its energy read from NVML's counter over >= 2 s (default --energy all: every kernel, shape and M;
 * subset: M = 1 and 2048 only). Exit status 0 when every check passed, 1 when
 * one failed, 2 for bad arguments, 3 for a CUDA or allocation failure.
 *
 * This file holds main and the loop over shapes, M, kernels and variants; the pieces it calls are
 * the kr_run_*.c files (kr_run.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kernels_ref/kr_host.h"
#include "kernels_ref/kr_nvml.h"
#include "kernels_ref/kr_run.h"
#include "traces/synth.h"

/* ------------------------------------------------------------------ what is launched */

typedef struct KCtx { /* a kernel of kr_api.h */
    KrKernel k;
    KrVariant v;
    KrWeights w[KR_MAXCOPIES];
    KrActs x;
    const uint32_t *lut;
    float *y;
} KCtx;

static int launch_kernel(void *c, int copy, cudaStream_t st)
{
    KCtx *k = c;
    return kr_launch(k->k, k->v, &k->w[copy], &k->x, k->lut, k->y, st);
}

typedef struct BCtx { /* cuBLAS fp16 */
    cublasHandle_t h;
    const void *w[KR_MAXCOPIES];
    const void *x;
    void *y;
    int m, n, k;
} BCtx;

static int launch_cublas(void *c, int copy, cudaStream_t st)
{
    BCtx *b = c;
    const float one = 1.0f, zero = 0.0f;
    /* column-major view: Y^T (N x M) = W (K x N)^T * X^T (K x M) */
    cublasStatus_t s = cublasGemmEx(b->h, CUBLAS_OP_T, CUBLAS_OP_N, b->n, b->m, b->k, &one, b->w[copy], CUDA_R_16F,
                                    b->k, b->x, CUDA_R_16F, b->k, &zero, b->y, CUDA_R_16F, b->n, CUBLAS_COMPUTE_32F,
                                    CUBLAS_GEMM_DEFAULT);
    (void)st;
    if (s != CUBLAS_STATUS_SUCCESS)
        return -1;
    return (int)cudaGetLastError();
}

/* Read-stream reference (kr_stream_read) over `bytes` per launch, copies rotated like the weights. */
typedef struct SCtx {
    void *buf[KR_MAXCOPIES];
    size_t bytes;
    uint32_t *sink;
} SCtx;

static int launch_stream(void *c, int copy, cudaStream_t st)
{
    SCtx *s = c;
    return kr_stream_read(s->buf[copy], s->bytes, s->sink, st);
}

/* ------------------------------------------------------------------ one shape */

/* The read-stream ceiling of an N x K shape's uint4 weight bytes (codes, fp16 scales, uint4 zeros). */
static void measure_stream(int N, int K, const Opt *o, const Prov *pv)
{
    const int G = K / 128;
    static SCtx sc;
    memset(&sc, 0, sizeof sc);
    sc.bytes = (((size_t)N * K / 2 + (size_t)N * G * 2 + (size_t)N * ((G + 1) / 2)) + 15) & ~(size_t)15;
    const int nsc = kr_in_copies(sc.bytes);
    uint8_t *hr = kr_xmalloc(sc.bytes);
    uint64_t st = o->seed ^ 0x5354524541ull;
    for (size_t i = 0; i < sc.bytes; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        hr[i] = (uint8_t)(st >> 56);
    }
    for (int c = 0; c < nsc; c++) {
        CK(cudaMalloc(&sc.buf[c], sc.bytes));
        CK(cudaMemcpy(sc.buf[c], hr, sc.bytes, cudaMemcpyHostToDevice));
    }
    free(hr);
    CK(cudaMalloc((void **)&sc.sink, 4));
    Timing T = kr_time_it(launch_stream, &sc, nsc, o->quick);
    if (T.ex)
        CK(cudaGraphExecDestroy(T.ex));
    Stream *sr = &kr_streams[kr_nstreams++];
    sr->n = N, sr->k = K, sr->bytes = (double)sc.bytes, sr->us = T.us;
    sr->gbps = sr->bytes / (T.us * 1e3), sr->pct = 100.0 * sr->gbps / pv->copy_gbps;
    printf("%-12s %-10s %6d %6d %6d %10.2f %8.1f %7.1f\n", "read-stream", "ld.nc.v4", 0, N, K, T.us, sr->gbps, sr->pct);
    for (int c = 0; c < nsc; c++)
        CK(cudaFree(sc.buf[c]));
    CK(cudaFree(sc.sink));
}

static int energy_wanted(const Opt *o, int m) { return o->energy == 2 || (o->energy == 1 && (m == 1 || m == 2048)); }

/* One kernel (or cuBLAS) at one shape and M: W (N rows, quantized qw, packed pw) and X (M tokens,
 * qx, px) on the device, the golden outputs of the checked rows and tokens, then every variant
 * asked for: checked, timed, and the fastest passing one marked best and its energy measured.
 * Returns 1 if a check failed. */
static int run_kernel(const Opt *o, const Prov *pv, cublasHandle_t hb, int kern, const QMat *qw, const PackedMat *W,
                      const QMat *qx, const PackedMat *X, const int *mapw, const int *mapx, int tb, int rb, float *ydev,
                      float *yhost)
{
    const int N = W->rows, K = W->cols, M = X->rows, G = K / 128;
    int any_fail = 0;
    Golden gd;
    kr_chk_golden(kern, qw, qx, tb, rb, &gd);

    /* device inputs: weight copies rotated beyond L2, one activation buffer */
    size_t wbytes = pack_bytes(W), xbytes = pack_bytes(X);
    int nc;
    DevPack dw[KR_MAXCOPIES], dx;
    void *w16[KR_MAXCOPIES];
    memset(dw, 0, sizeof dw);
    uint32_t *dlut = NULL;
    if (kern == KR_CUBLAS) {
        size_t b = (size_t)N * K * 2;
        nc = kr_in_copies(b);
        for (int c = 0; c < nc; c++) {
            CK(cudaMalloc(&w16[c], b));
            CK(cudaMemcpy(w16[c], W->codes, b, cudaMemcpyHostToDevice));
        }
    } else {
        nc = kr_in_copies(wbytes);
        kr_in_upload(W, &dw[0]);
        for (int c = 1; c < nc; c++)
            kr_in_clone(&dw[0], &dw[c]);
    }
    kr_in_upload(X, &dx);
    if (kern == KR_OLIVE_W4A4) {
        uint32_t lut[512];
        kr_olive_lut(W->type ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4, X->type ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4, lut);
        CK(cudaMalloc((void **)&dlut, sizeof lut));
        CK(cudaMemcpy(dlut, lut, sizeof lut, cudaMemcpyHostToDevice));
    }

    KrVariant vars[KR_VAR_COUNT];
    int nv = 0;
    if (kern == KR_CUBLAS)
        vars[nv++] = KR_VAR_AUTO;
    else if (o->all_variants) {
        for (int v = 1; v < KR_VAR_COUNT; v++)
            if (kr_variant_ok((KrKernel)kern, (KrVariant)v, M) && !o->skip[v])
                vars[nv++] = (KrVariant)v;
    } else
        vars[nv++] = kr_auto_variant((KrKernel)kern, M);

    static KCtx kc;
    static BCtx bc;
    if (kern == KR_CUBLAS) {
        memset(&bc, 0, sizeof bc);
        bc.h = hb, bc.m = M, bc.n = N, bc.k = K, bc.x = dx.codes, bc.y = ydev;
        for (int c = 0; c < nc; c++)
            bc.w[c] = w16[c];
    } else {
        memset(&kc, 0, sizeof kc);
        kc.k = (KrKernel)kern, kc.lut = dlut, kc.y = ydev;
        for (int c = 0; c < nc; c++) {
            KrWeights *kw = &kc.w[c];
            kw->codes = dw[c].codes, kw->scale16 = dw[c].scale16, kw->zero4 = dw[c].zero4;
            kw->meta = dw[c].meta, kw->scale32 = dw[c].scale32;
            kw->n = N, kw->k = K, kw->ngroups = W->scheme == QS_OLIVE ? G : W->ngroups;
            kw->row_bytes = W->row_bytes, kw->zero_row_bytes = W->zero_row_bytes;
        }
        kc.x.codes = dx.codes, kc.x.scale32 = dx.scale32, kc.x.m = M, kc.x.k = K, kc.x.row_bytes = X->row_bytes;
    }
    const LaunchFn fn = kern == KR_CUBLAS ? launch_cublas : launch_kernel;
    void *ctx = kern == KR_CUBLAS ? (void *)&bc : (void *)&kc;
    Timing Tv[KR_VAR_COUNT];
    int ri[KR_VAR_COUNT];
    for (int vi = 0; vi < nv; vi++) {
        Tv[vi].ex = NULL;
        ri[vi] = kr_nres;
        Res *r = kr_res_new();
        const char *vname = kern == KR_CUBLAS ? "cublasGemmEx" : kr_variant_names[vars[vi]];
        snprintf(r->kernel, sizeof r->kernel, "%s", kr_kname(kern));
        snprintf(r->variant, sizeof r->variant, "%s", vname);
        r->m = M, r->n = N, r->k = K;
        kc.v = vars[vi];
        /* numerics: poisoned output, one launch, every output finite, sampled outputs vs golden */
        CK(cudaMemset(ydev, 0xff, (size_t)M * N * 4));
        kr_time_launch(fn, ctx, 0);
        CK(cudaStreamSynchronize(kr_st));
        CK(cudaGetLastError());
        CK(cudaMemcpy(yhost, ydev, (size_t)M * N * (kern == KR_CUBLAS ? 2 : 4), cudaMemcpyDeviceToHost));
        kr_chk_output(kern, yhost, M, N, mapx, mapw, &gd, r);
        if (!strcmp(r->check, "FAIL"))
            any_fail = 1;
        if (kern == KR_CUBLAS)
            vname = "cublas";
        if (o->check_only) {
            printf("%-12s %-10s %6d %6d %6d %10s %8s %7s %8s %-9s %9.2e\n", r->kernel, vname, M, N, K, "-", "-", "-", "-",
                   r->check, r->max_rel);
            r->us = r->gbps = r->tflops = r->pct = NAN;
            continue;
        }
        Tv[vi] = kr_time_it(fn, ctx, nc, o->quick);
        r->us = Tv[vi].us;
        r->bytes = kern == KR_CUBLAS ? (double)N * K * 2 + (double)M * K * 2 + (double)M * N * 2
                                     : (double)wbytes + (double)xbytes + (double)M * N * 4;
        r->gbps = r->bytes / (r->us * 1e3);
        r->tflops = 2.0 * M * (double)N * K / (r->us * 1e6);
        r->pct = 100.0 * r->gbps / pv->copy_gbps;
        printf("%-12s %-10s %6d %6d %6d %10.2f %8.1f %7.1f %8.2f %-9s %9.2e %9.1f\n", r->kernel, vname, M, N, K, r->us,
               r->gbps, r->pct, r->tflops, r->check, r->max_rel, r->energy_uj);
        fflush(stdout);
    }
    if (!o->check_only) { /* the fastest passing variant; its energy */
        int b = -1;
        for (int vi = 0; vi < nv; vi++) {
            const Res *r = &kr_res[ri[vi]];
            if (strcmp(r->check, "FAIL") && (b < 0 || r->us < kr_res[ri[b]].us))
                b = vi;
        }
        if (b >= 0) {
            Res *r = &kr_res[ri[b]];
            r->best = 1;
            kc.v = vars[b];
            if (energy_wanted(o, M)) {
                kr_time_energy(fn, ctx, nc, &Tv[b], r);
                printf("%-12s %-10s %6d %6d %6d energy %.1f uJ per launch (%.1f W over %.2f s)\n", r->kernel, r->variant,
                       M, N, K, r->energy_uj, r->power_w, r->window_s);
            }
        }
        for (int vi = 0; vi < nv; vi++)
            if (Tv[vi].ex)
                CK(cudaGraphExecDestroy(Tv[vi].ex));
    }
    kr_chk_free(&gd);
    for (int c = 0; c < nc; c++)
        CK(cudaFree(kern == KR_CUBLAS ? w16[c] : dw[c].blob));
    CK(cudaFree(dx.blob));
    if (dlut)
        CK(cudaFree(dlut));
    return any_fail;
}

/* src's nbase distinct rows quantized (q) and packed, then replicated to `rows` rows by map (p). */
static void prepare(const QParams *qp, const float *src, int nbase, int K, int rows, const int *map, QMat *q,
                    PackedMat *p)
{
    PackedMat base;
    kr_in_quantize(qp, src, nbase, K, q);
    kr_in_pack(q, &base);
    kr_in_expand(&base, rows, map, p);
    kr_in_free(&base);
}

/* Frees the prepared slots s < n with have[s] set. */
static void release(QMat *q, PackedMat *p, const int *have, int n)
{
    for (int s = 0; s < n; s++)
        if (have[s]) {
            quant_free(&q[s]);
            kr_in_free(&p[s]);
        }
}

/* Every M and kernel of one N x K shape. Returns 1 if a check failed. */
static int run_shape(const Opt *o, const Prov *pv, cublasHandle_t hb, int N, int K)
{
    const int NB = N < o->base_rows ? N : o->base_rows;
    const uint64_t sw = o->seed ^ (0x57000000ull + (uint64_t)N * 131 + (uint64_t)K);
    int any_fail = 0;
    double t0 = kr_time_now_s();
    float *wf = kr_xmalloc((size_t)NB * K * sizeof *wf);
    kr_in_weights(sw, NB, K, wf);
    int *mapw = kr_xmalloc((size_t)N * sizeof *mapw);
    kr_row_map(sw, N, NB, mapw);
    /* quantize and pack each weight scheme the selected kernels need */
    QMat qw[5];
    PackedMat pw[5]; /* full N rows */
    int have[5] = {0};
    memset(qw, 0, sizeof qw);
    for (int ki = 0; ki < o->nkern; ki++) {
        const int s = kr_in_wslot(o->kern[ki]);
        if (!have[s])
            prepare(kr_in_wparams(o->kern[ki]), wf, NB, K, N, mapw, &qw[s], &pw[s]);
        have[s] = 1;
    }
    free(wf);
    printf("# shape %dx%d: inputs %.1f s\n", N, K, kr_time_now_s() - t0);
    if (!o->check_only && kr_nstreams < KR_MAXSH)
        measure_stream(N, K, o, pv);

    for (int mi = 0; mi < o->nm; mi++) {
        const int M = o->ms[mi], MB = M < o->base_toks ? M : o->base_toks;
        const uint64_t sx = o->seed ^ (0x58000000ull + (uint64_t)M * 7919 + (uint64_t)K * 31 + (uint64_t)N);
        float *xf = kr_xmalloc((size_t)MB * K * sizeof *xf);
        SynParams sp;
        syn_params_default(&sp);
        MpErr e = {0};
        if (syn_acts(&sp, sx, (size_t)MB, (size_t)K, xf, NULL, &e)) {
            fprintf(stderr, "kr_runner: %s\n", e.msg);
            exit(3);
        }
        int *mapx = kr_xmalloc((size_t)M * sizeof *mapx);
        kr_row_map(sx, M, MB, mapx);
        QMat qx[3];
        PackedMat px[3];
        int hx[3] = {0};
        memset(qx, 0, sizeof qx);
        const int tb = MB < 16 ? MB : 16;
        double rbd = (M <= 16 ? o->check_budget : o->check_budget / 2.5) / ((double)tb * K);
        const int rb = rbd >= NB ? NB : rbd < 16 ? 16 : (int)rbd;

        float *ydev, *yhost = kr_xmalloc((size_t)M * N * 4);
        CK(cudaMalloc((void **)&ydev, (size_t)M * N * 4));
        for (int ki = 0; ki < o->nkern; ki++) {
            const int kern = o->kern[ki], ws = kr_in_wslot(kern), xs = kr_in_xslot(kern);
            if (!hx[xs])
                prepare(kr_in_xparams(kern), xf, MB, K, M, mapx, &qx[xs], &px[xs]);
            hx[xs] = 1;
            any_fail |= run_kernel(o, pv, hb, kern, &qw[ws], &pw[ws], &qx[xs], &px[xs], mapw, mapx, tb, rb, ydev, yhost);
        }
        CK(cudaFree(ydev));
        free(yhost);
        release(qx, px, hx, 3);
        free(mapx);
        free(xf);
    }
    release(qw, pw, have, 5);
    free(mapw);
    return any_fail;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    Opt o;
    if (kr_opts_parse(argc, argv, &o))
        return 2;
    Prov pv;
    memset(&pv, 0, sizeof pv);
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(pv.command);
        snprintf(pv.command + l, sizeof pv.command - l, "%s%s", i ? " " : "", argv[i]);
    }
    printf("kr_runner: seed %llu (replay with --seed %llu)\n", o.seed, o.seed);
    kr_dev_open(&pv);

    kr_time_init();
    pv.copy_gbps = kr_time_copy_gbps();
    printf("device-to-device copy: %.1f GB/s (bytes read + written)\n", pv.copy_gbps);
    pv.idle_w = o.energy ? kr_dev_idle_w() : NAN;
    if (isfinite(pv.idle_w))
        printf("idle power: %.1f W\n", pv.idle_w);

    cublasHandle_t hb;
    CB(cublasCreate(&hb));
    CB(cublasSetStream(hb, kr_st));
    void *cb_ws;
    size_t cb_ws_bytes = (size_t)64 << 20;
    CK(cudaMalloc(&cb_ws, cb_ws_bytes));
    CB(cublasSetWorkspace(hb, cb_ws, cb_ws_bytes));
    pv.peak_fp16 = kr_time_peak(hb, 0);
    pv.peak_int8 = kr_time_peak(hb, 1);
    printf("tensor-core peaks (cuBLAS 8192^3): fp16 %.1f TFLOP/s, int8 %.1f TOPS\n", pv.peak_fp16, pv.peak_int8);

    int any_fail = 0;
    printf("\n%-12s %-10s %6s %6s %6s %10s %8s %7s %8s %-9s %9s %9s\n", "kernel", "variant", "M", "N", "K", "us", "GB/s",
           "%copy", "TFLOP/s", "check", "max_rel", "uJ");
    for (int si = 0; si < o.nsh; si++)
        any_fail |= run_shape(&o, &pv, hb, o.shn[si], o.shk[si]);
    CB(cublasDestroy(hb));
    CK(cudaFree(cb_ws));

    printf("\nbest passing variant per kernel and shape:\n%-12s %-12s %6s %6s %6s %10s %7s %8s %-9s %9s\n", "kernel",
           "variant", "M", "N", "K", "us", "%copy", "TFLOP/s", "check", "uJ");
    for (int i = 0; i < kr_nres; i++) {
        const Res *r = &kr_res[i];
        if (r->best || !strcmp(r->check, "FAIL"))
            printf("%-12s %-12s %6d %6d %6d %10.2f %7.1f %8.2f %-9s %9.1f\n", r->kernel, r->variant, r->m, r->n, r->k,
                   r->us, r->pct, r->tflops, r->check, r->energy_uj);
    }
    char path[4096];
    if (o.out_file)
        snprintf(path, sizeof path, "%s", o.out_file);
    else
        kr_dev_result_path(o.out_dir, &pv, "", o.seed, path, sizeof path);
    if (kr_json_write(path, &o, &pv))
        return 3;
    printf("\nresults: %s\n%s\n", path, any_fail ? "SOME CHECKS FAILED" : "all checks passed");
    kr_nvml_close();
    return any_fail ? 1 : 0;
}
