/* kernels_ref/kr_step.c — whole decode steps on the GPU, checked against the CPU reference, timed
 * as CUDA graphs and their energy measured (docs/gpu.md "Whole decode steps"; files: kr_step.h).
 *
 *   kr_step [--models LIST] [--formats LIST] [--batch 1,16] [--kv 2049,2175] [--seed N] [--energy 0|1]
 *           [--base-rows N] [--e2e-max-b7 N] [--prompt P] [--prompt-check P] [--corrupt]
 *           [--out-dir DIR | --out FILE] [--commit STR]
 *
 * For every model, format, batch and kv: the KV cache refilled with its seeded contents, one eager
 * step with the residual stream copied out at every layer, the CPU reference of every layer from
 * the GPU's own layer input (llama2-7b above --e2e-max-b7: layers 0, L/2 and L-1) and of the head from
 * the GPU's final hidden state (held to step_bound: the results file's err) and, for decode on smollm2-135m and on llama2-7b at batch <=
 * --e2e-max-b7, of the whole step from the embedding; then (only when all of that passed) the step captured in a CUDA
 * graph, timed and its energy measured (--energy 1; 2: at the first kv of the list and prefill only;
 * 0: none). Then (--prompt P, default 2048; 0: none) the prefill of one
 * sequence of P tokens, checked the same way at --prompt-check tokens (default 80: the GEMMs take
 * kr_launch's M > 64 variant, as at P) and timed at P. --corrupt multiplies one fp16 scale of lm_head (cuBLAS: the
 * 128 weights it would scale) by 16 on the GPU only, to show that the check fails. Exit status 0 when every check
 * passed, 1 when one failed, 2 for bad arguments, 3 for a CUDA or allocation failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_ref/kr_nvml.h"
#include "kernels_ref/kr_step_host.h"
#include "models/fpx.h"

static int format_id(const char *s)
{
    for (int k = 0; k <= KR_KERNEL_COUNT; k++)
        if (!strcmp(s, kr_kname(k)))
            return k;
    return -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: kr_step [--models LIST] [--formats LIST] [--batch 1,16] [--kv 2049,2175] [--seed N]\n"
               "               [--energy 0|1] [--base-rows N] [--e2e-max-b7 N] [--prompt P] [--prompt-check P]\n"
               "               [--corrupt]\n"
               "               [--out-dir DIR | --out FILE] [--commit STR]\n"
               "models: smollm2-135m llama2-7b; formats: cublas-fp16 mixpe-w4a16 w4a16-dq mixpe-w4a8 bitmod-w4\n"
               "bitmod-w3 olive-w4a4 (default all)\n");
}

static int opts(int argc, char **argv, KsOpt *o)
{
    static char mbuf[512], fbuf[512];
    memset(o, 0, sizeof *o);
    o->models[0] = "smollm2-135m", o->models[1] = "llama2-7b", o->nmodels = 2;
    static const int order[] = {KR_CUBLAS, KR_MIXPE_W4A16, KR_BITMOD_W4, KR_OLIVE_W4A4, KR_W4A16_DQ, KR_MIXPE_W4A8,
                                KR_BITMOD_W3};
    for (int i = 0; i < 7; i++)
        o->kern[o->nkern++] = order[i];
    o->batch[0] = 1, o->batch[1] = 16, o->nbatch = 2;
    o->kv[0] = 2049, o->kv[1] = 2175, o->nkv = 2;
    o->seed = 1, o->energy = 1, o->base_rows = 128, o->e2e_max_b7 = 1;
    o->prompt = 2048, o->prompt_check = 80;
    o->out_dir = "kernels_ref/results";
    o->commit = getenv("KR_COMMIT") ? getenv("KR_COMMIT") : "unknown";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--corrupt")) {
            o->corrupt = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "kr_step: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--models")) {
            snprintf(mbuf, sizeof mbuf, "%s", v);
            o->nmodels = 0;
            for (char *t = strtok(mbuf, ","); t && o->nmodels < KS_MAXLIST; t = strtok(NULL, ","))
                o->models[o->nmodels++] = t;
        } else if (!strcmp(a, "--formats")) {
            snprintf(fbuf, sizeof fbuf, "%s", v);
            o->nkern = 0;
            for (char *t = strtok(fbuf, ","); t; t = strtok(NULL, ",")) {
                const int k = format_id(t);
                if (k < 0 || o->nkern > KR_KERNEL_COUNT) {
                    fprintf(stderr, "kr_step: unknown format '%s'\n", t);
                    return -1;
                }
                o->kern[o->nkern++] = k;
            }
        } else if (!strcmp(a, "--batch"))
            bad = (o->nbatch = kr_parse_ints(v, o->batch, KS_MAXLIST)) <= 0;
        else if (!strcmp(a, "--kv"))
            bad = (o->nkv = kr_parse_ints(v, o->kv, KS_MAXLIST)) <= 0;
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--energy"))
            o->energy = atoi(v);
        else if (!strcmp(a, "--base-rows"))
            bad = (o->base_rows = atoi(v)) < 16;
        else if (!strcmp(a, "--prompt"))
            bad = (o->prompt = atoi(v)) < 0;
        else if (!strcmp(a, "--prompt-check"))
            bad = (o->prompt_check = atoi(v)) < 2;
        else if (!strcmp(a, "--e2e-max-b7"))
            o->e2e_max_b7 = atoi(v);
        else if (!strcmp(a, "--out-dir"))
            o->out_dir = v;
        else if (!strcmp(a, "--out"))
            o->out_file = v;
        else if (!strcmp(a, "--commit"))
            o->commit = v;
        else {
            fprintf(stderr, "kr_step: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        if (bad) {
            fprintf(stderr, "kr_step: bad value for %s: %s\n", a, v);
            return -1;
        }
    }
    return 0;
}

/* The stated bounds on err = max |gpu - ref| / rms(ref) (docs/gpu.md "Whole decode steps", "The
 * check"). Per stretch and at the head (the reference recomputes from the GPU's own input to each
 * point, ks_ref_layer). Measured on the H100 (2026-12-07, docs/gpu.md): the formats whose x is fp16
 * stay below 1.3e-2 (fp16 outputs compared with float ones), the two whose x stays fp32 until their
 * quantizer (mixpe-w4a8, olive-w4a4) below 3.7e-3 (prefill; 4.7e-4 at decode). The bounds leave
 * 1.5x and 2.7x of that: a wrong kernel, attention or scale moves a stretch's output by a part of
 * its own size (--corrupt: 0.5 and 2.2). The GPU's quantizers are checked only through the stretch
 * after them (the reference quantizes the GPU's x itself), hence the tighter bound for those two;
 * comparing their codes and scales exactly is not done yet.
 * End to end: a 32-layer random network amplifies input perturbations (on the CPU: 1e-6 relative on
 * the embedding moves the logits by err 5e-3..5e-2, 1e-4 by up to 0.28 for mixpe-w4a8 and 1.55 for
 * OliVe), and the formats that quantize activations turn a last-bit difference into a whole
 * quantization step (one int8 rounding at .5, one OliVe alpha or type choice), which the next layers
 * amplify: the GPU's mixpe-w4a8 step at kv 2049 landed 0.49 from the CPU's with every stretch within
 * 4.7e-4. So the end-to-end bound (0.3) holds only the fp16-activation formats, where it separates
 * "rounding" from "a different network" (the formats differ from each other by err 2..4); for
 * mixpe-w4a8 and olive-w4a4 it is printed, not held. */
static int x_quantized(int kern) { return ks_act_mode(kern) == KS_OUT_F32; } /* mixpe-w4a8, olive-w4a4 */
static double step_bound(int kern) { return x_quantized(kern) ? 1e-2 : 2e-2; }
static double step_bound_e2e(int kern) { return x_quantized(kern) ? INFINITY : 0.3; }

/* --corrupt, on the GPU only: lm_head's first fp16 scale x 16 (OliVe: row 0's fp32 scale), i.e. the
 * first KR_GROUP weights of row 0 scaled; cuBLAS, which has no scales: those KR_GROUP fp16 weights
 * themselves x 16 (one weight alone can be too small to show: weight 0 of smollm2-135m's lm_head moved
 * the logits by err 5.8e-3, 2026-12-07). */
static void corrupt(const KsWeights *w)
{
    const DevPack *d = &w->dev[0][KS_LM];
    if (d->scale16 || w->kern == KR_CUBLAS) {
        const int n = d->scale16 ? 1 : KR_GROUP;
        uint16_t *p = d->scale16 ? d->scale16 : (uint16_t *)d->codes, v[KR_GROUP];
        CK(cudaMemcpy(v, p, (size_t)n * 2, cudaMemcpyDeviceToHost));
        for (int i = 0; i < n; i++)
            v[i] = fp16_from_f32(16.0f * fp16_to_f32(v[i]));
        CK(cudaMemcpy(p, v, (size_t)n * 2, cudaMemcpyHostToDevice));
    } else {
        float v;
        CK(cudaMemcpy(&v, d->scale32, 4, cudaMemcpyDeviceToHost));
        v *= 16.0f;
        CK(cudaMemcpy(d->scale32, &v, 4, cudaMemcpyHostToDevice));
    }
}

/* The GPU's x of point p of layer l (rows x ks_xpt_k values) from the checked step's xdump, as float
 * into out. */
static void gpu_x(const KsModel *m, const KsWeights *w, const KsDev *d, int l, int p, int rows, float *out)
{
    const size_t n = (size_t)rows * ks_xpt_k(m, p);
    const char *src = (const char *)d->xdump + ((size_t)l * KS_XPTS + p) * d->xslot;
    if (ks_act_mode(w->kern) == KS_OUT_F32) {
        CK(cudaMemcpy(out, src, n * 4, cudaMemcpyDeviceToHost));
        return;
    }
    uint16_t *t = kr_xmalloc(n * 2);
    CK(cudaMemcpy(t, src, n * 2, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < n; i++)
        out[i] = fp16_to_f32(t[i]);
    free(t);
}

/* The cache row at position pos of layer l (c = 0: K, 1: V) of sequences 0..B-1, [B][nkv x hd] as
 * float (the cache layout of kr_step_host.h: [L][bmax][nkv][smax][hd] fp16). */
static void gpu_kv_row(const KsModel *m, const KsDev *d, int l, int c, int B, int pos, float *out)
{
    const size_t lstride = (size_t)d->bmax * m->nkv * d->smax * m->hd;
    const uint16_t *base = (c ? d->vc : d->kc) + (size_t)l * lstride;
    uint16_t t[1024];
    for (int b = 0; b < B; b++)
        for (int hh = 0; hh < m->nkv; hh++) {
            CK(cudaMemcpy(t, base + (((size_t)b * m->nkv + hh) * d->smax + pos) * m->hd, (size_t)m->hd * 2,
                          cudaMemcpyDeviceToHost));
            for (int i = 0; i < m->hd; i++)
                out[((size_t)b * m->nkv + hh) * m->hd + i] = fp16_to_f32(t[i]);
        }
}

/* Runs the check of one step (decode of B sequences at kv, or prefill of `prompt` tokens); fills r
 * (check, err, bound). */
static void check_step(const KsOpt *o, const KsModel *m, const KsWeights *w, KsDev *d, const float *gain, int B, int kv,
                       int prompt, KsRes *r)
{
    const int H = m->H, L = m->L, R = prompt ? prompt : B, NL = prompt ? 1 : B;
    const size_t nh = (size_t)R * H, nl = (size_t)NL * m->V;
    float *dump = kr_xmalloc((L + 1) * nh * 4), *lg = kr_xmalloc(nl * 4), *ref = kr_xmalloc(nl * 4);
    const int KD = m->nkv * m->hd;
    float *h = kr_xmalloc(nh * 4), *gx[KS_XPTS], *kn = kr_xmalloc((size_t)B * KD * 4),
          *vn = kr_xmalloc((size_t)B * KD * 4), *gk = kr_xmalloc((size_t)B * KD * 4);
    for (int p = 0; p < KS_XPTS; p++)
        gx[p] = kr_xmalloc((size_t)R * ks_xpt_k(m, p) * 4);
    CK(cudaMemset(d->logits, 0xff, nl * 4)); /* poisoned: NaN unless written */
    if (ks_step_launch(m, w, d, B, kv, prompt, 1, kr_st) != 0) {
        fprintf(stderr, "kr_step: step launch failed\n");
        exit(3);
    }
    CK(cudaStreamSynchronize(kr_st));
    CK(cudaGetLastError());
    CK(cudaMemcpy(dump, d->dump, (L + 1) * nh * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(lg, d->logits, nl * 4, cudaMemcpyDeviceToHost));
    const KsRef rf = {m, w, gain, o->seed, R, kv, prompt > 0};
    KsRef rh = rf; /* the head: the prompt's last token only */
    rh.B = NL;
    const int small = !strcmp(m->name, "smollm2-135m");
    const int e2e = !prompt && (small || B <= o->e2e_max_b7), all_layers = small || e2e;
    double el = 0;
    int nchk = 0;
    for (int l = 0; l < L; l++) {
        if (!all_layers && l != 0 && l != L / 2 && l != L - 1)
            continue;
        memcpy(h, dump + (size_t)l * nh, nh * 4);
        for (int p = 0; p < KS_XPTS; p++)
            gpu_x(m, w, d, l, p, R, gx[p]);
        ks_ref_layer(&rf, l, h, (const float *const *)gx, &el, prompt ? NULL : kn, prompt ? NULL : vn);
        if (!prompt) /* the row this decode step appended to the cache, against the reference's k, v */
            for (int c = 0; c < 2; c++) {
                gpu_kv_row(m, d, l, c, B, kv - 1, gk);
                const double e = ks_ref_err(gk, c ? vn : kn, (long)B * KD);
                el = e > el || !isfinite(e) ? e : el;
            }
        const double e = ks_ref_err(dump + (size_t)(l + 1) * nh, h, (long)nh);
        el = e > el || !isfinite(e) ? e : el;
        nchk++;
    }
    gpu_x(m, w, d, L, KS_XPT_ATTN_NORM, NL, gx[0]);
    double eh = 0;
    ks_ref_head(&rh, dump + (size_t)L * nh + (nh - (size_t)NL * H), gx[0], ref, &eh);
    {
        const double e = ks_ref_err(lg, ref, (long)nl);
        eh = e > eh || !isfinite(e) ? e : eh;
    }
    double ee = NAN;
    if (e2e) {
        ks_ref_embed(&rf, h);
        for (int l = 0; l < L; l++)
            ks_ref_layer(&rf, l, h, NULL, NULL, NULL, NULL);
        ks_ref_head(&rh, h + (nh - (size_t)NL * H), NULL, ref, NULL);
        ee = ks_ref_err(lg, ref, (long)nl);
    }
    const double bound = step_bound(w->kern), be = step_bound_e2e(w->kern);
    r->e2e = e2e, r->layers_checked = nchk;
    r->err = el > eh || !isfinite(el) ? el : eh, r->bound = bound; /* the results file's err: layers and head */
    r->err_layer = ee, r->bound_layer = be;                          /* end to end (NAN where not run) */
    const int pass = isfinite(r->err) && r->err <= bound && (!e2e || isfinite(ee)) && (!e2e || !(ee > be));
    snprintf(r->check, sizeof r->check, "%s", pass ? "pass" : "fail");
    printf("  %-12s %-12s %s B=%-3d %s=%-5d check %s: err %.3e (%d layers and the head), bound %.1e; end to end %.3e, "
           "bound %.1e\n",
           m->name, r->format, prompt ? "prefill" : "decode", B, prompt ? "prompt" : "kv", prompt ? prompt : kv, r->check,
           r->err, nchk, bound, ee, be);
    fflush(stdout);
    free(dump), free(lg), free(ref), free(h), free(kn), free(vn), free(gk);
    for (int p = 0; p < KS_XPTS; p++)
        free(gx[p]);
}

int main(int argc, char **argv)
{
    KsOpt o;
    if (opts(argc, argv, &o))
        return 2;
    static Prov pv;
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(pv.command);
        snprintf(pv.command + l, sizeof pv.command - l, "%s%s", i ? " " : "", argv[i]);
    }
    printf("kr_step: seed %llu (replay with --seed %llu)\n", o.seed, o.seed);
    kr_dev_open(&pv);
    kr_time_init();
    char path[4096]; /* rewritten after every step, so a run cut short keeps what it measured */
    if (o.out_file)
        snprintf(path, sizeof path, "%s", o.out_file);
    else
        kr_dev_result_path(o.out_dir, &pv, "steps-", o.seed, path, sizeof path);
    pv.copy_gbps = kr_time_copy_gbps();
    pv.idle_w = o.energy ? kr_dev_idle_w() : NAN;
    printf("device-to-device copy: %.1f GB/s; idle power %.1f W\n", pv.copy_gbps, pv.idle_w);
    int bmax = 1, smax = o.prompt > o.prompt_check ? o.prompt : o.prompt_check, any_fail = 0;
    if (!o.prompt)
        smax = 1;
    for (int i = 0; i < o.nbatch; i++)
        bmax = o.batch[i] > bmax ? o.batch[i] : bmax;
    for (int i = 0; i < o.nkv; i++)
        smax = o.kv[i] > smax ? o.kv[i] : smax;
    static KsWeights w;
    for (int mi = 0; mi < o.nmodels; mi++) {
        KsModel m;
        if (ks_model_get(o.models[mi], &m)) {
            fprintf(stderr, "kr_step: model '%s' is not a Llama-like model of traces/workload.c\n", o.models[mi]);
            return 2;
        }
        KsDev d;
        ks_dev_open(&m, bmax, smax, o.prompt ? (o.prompt > o.prompt_check ? o.prompt : o.prompt_check) : 0,
                    o.prompt ? o.prompt_check : 0, o.seed, &d);
        ks_dev_fill_kv(&m, &d, o.seed, 0, smax);
        int kvmin = smax;
        for (int i = 0; i < o.nkv; i++)
            kvmin = o.kv[i] < kvmin ? o.kv[i] : kvmin;
        float *gain = kr_xmalloc((size_t)(2 * m.L + 1) * m.H * 4);
        ks_gains(&m, o.seed, gain);
        for (int fi = 0; fi < o.nkern; fi++) {
            const int qd = m.nh * m.hd;
            if (o.kern[fi] != KR_CUBLAS && (m.H % KR_GROUP || qd % KR_GROUP || m.F % KR_GROUP)) {
                printf("# %s %s: skipped: the kernels take K in multiples of %d (hidden %d, attention %d, FFN %d)\n",
                       m.name, kr_kname(o.kern[fi]), KR_GROUP, m.H, qd, m.F);
                continue;
            }
            const double t0 = kr_time_now_s();
            ks_weights_make(&m, o.kern[fi], o.seed, o.base_rows, &w);
            if (o.corrupt)
                corrupt(&w);
            printf("# %s %s: weights %.2f GB on the device (%.1f s)\n", m.name, kr_kname(o.kern[fi]), w.bytes / 1e9,
                   kr_time_now_s() - t0);
            for (int bi = 0; bi < o.nbatch; bi++)
                for (int ki = 0; ki < o.nkv; ki++) {
                    const int B = o.batch[bi], kv = o.kv[ki];
                    KsRes *r = ks_res_new();
                    snprintf(r->model, sizeof r->model, "%s", m.name);
                    snprintf(r->format, sizeof r->format, "%s", kr_kname(o.kern[fi]));
                    snprintf(r->phase, sizeof r->phase, "decode");
                    r->batch = B, r->kv = kv;
                    ks_dev_fill_kv(&m, &d, o.seed, kvmin - 1, smax); /* what earlier steps appended */
                    float cs[256];
                    ks_rope_cs(m.hd, kv - 1, cs);
                    CK(cudaMemcpy(d.cs, cs, (size_t)m.hd * 4, cudaMemcpyHostToDevice));
                    const double tc = kr_time_now_s();
                    check_step(&o, &m, &w, &d, gain, B, kv, 0, r);
                    printf("    check %.1f s\n", kr_time_now_s() - tc);
                    if (strcmp(r->check, "pass")) {
                        any_fail = 1;
                        if (ks_json_write(path, &o, &pv))
                            return 3;
                        continue;
                    }
                    ks_step_time(&m, &w, &d, B, kv, 0, o.energy == 1 || (o.energy == 2 && ki == 0), &r->ms, &r->j);
                    printf("  %-12s %-12s B=%-3d kv=%-5d %9.4f ms/step %8.1f tok/s %9.4f J/step %8.5f J/token\n",
                           m.name, r->format, B, kv, r->ms, 1e3 * B / r->ms, r->j, r->j / B);
                    fflush(stdout);
                    if (ks_json_write(path, &o, &pv))
                        return 3;
                }
            if (o.prompt) { /* prefill, batch 1: checked at prompt_check tokens, timed at prompt */
                KsRes *r = ks_res_new();
                snprintf(r->model, sizeof r->model, "%s", m.name);
                snprintf(r->format, sizeof r->format, "%s", kr_kname(o.kern[fi]));
                snprintf(r->phase, sizeof r->phase, "prefill");
                r->batch = 1, r->prompt = o.prompt;
                const double tc = kr_time_now_s();
                ks_dev_prefill_setup(&m, &d, o.prompt_check, ks_act_mode(o.kern[fi]));
                check_step(&o, &m, &w, &d, gain, 1, 0, o.prompt_check, r);
                printf("    check %.1f s\n", kr_time_now_s() - tc);
                if (strcmp(r->check, "pass"))
                    any_fail = 1;
                else {
                    ks_dev_prefill_setup(&m, &d, o.prompt, ks_act_mode(o.kern[fi]));
                    ks_step_time(&m, &w, &d, 1, 0, o.prompt, o.energy, &r->ms, &r->j);
                    printf("  %-12s %-12s prefill P=%-5d %9.3f ms %9.1f tok/s %9.4f J %9.6f J/token\n", m.name, r->format,
                           o.prompt, r->ms, 1e3 * o.prompt / r->ms, r->j, r->j / o.prompt);
                    fflush(stdout);
                }
                ks_dev_fill_kv(&m, &d, o.seed, 0, o.prompt > o.prompt_check ? o.prompt : o.prompt_check);
                if (ks_json_write(path, &o, &pv))
                    return 3;
            }
            ks_weights_free(&m, &w);
        }
        free(gain);
        ks_dev_close(&d);
    }
    if (ks_json_write(path, &o, &pv))
        return 3;
    printf("\nresults: %s\n%s\n", path, any_fail ? "SOME CHECKS FAILED" : "all checks passed");
    kr_nvml_close();
    return any_fail ? 1 : 0;
}
