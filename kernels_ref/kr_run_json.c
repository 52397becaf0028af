/* kernels_ref/kr_run_json.c — the runner's results and their file, kernels_ref/results/<gpu>/
 * <date>-<seed>.json (docs/gpu.md, "Provenance"): device, driver, clocks as found, ceilings, seed,
 * commit and command, then one object per kernel, shape, M and variant. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "kernels_ref/kr_run.h"

Res *kr_res;
int kr_nres;
static int capres;
Stream kr_streams[KR_MAXSH];
int kr_nstreams;

Res *kr_res_new(void)
{
    if (kr_nres == capres) {
        capres = capres ? 2 * capres : 64;
        Res *r = realloc(kr_res, (size_t)capres * sizeof *r);
        if (!r) {
            fprintf(stderr, "kr_runner: out of memory\n");
            exit(3);
        }
        kr_res = r;
    }
    Res *r = &kr_res[kr_nres++];
    memset(r, 0, sizeof *r);
    r->energy_uj = NAN;
    r->max_rel = NAN;
    r->bound_use = NAN;
    return r;
}

void kr_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}
void kr_json_num(FILE *f, double v, const char *fmt)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fputs("null", f);
}

void kr_json_kstr(FILE *f, const char *sep, const char *key, const char *v)
{
    fprintf(f, "%s\"%s\": ", sep, key);
    kr_json_str(f, v);
}
void kr_json_knum(FILE *f, const char *sep, const char *key, double v, const char *fmt)
{
    fprintf(f, "%s\"%s\": ", sep, key);
    kr_json_num(f, v, fmt);
}

FILE *kr_json_begin(const char *path, const char *tool, const char *commit, unsigned long long seed, const Prov *p,
                    int l2, char *tmp, size_t cap)
{
    static const char *const top = ",\n  ";
    snprintf(tmp, cap, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "%s: cannot write %s\n", tool, tmp);
        return NULL;
    }
    kr_json_kstr(f, "{\n  ", "device", p->device);
    kr_json_kstr(f, top, "driver", p->driver);
    kr_json_kstr(f, top, "cuda", p->cuda);
    kr_json_kstr(f, top, "commit", commit);
    kr_json_kstr(f, top, "date", p->date);
    kr_json_kstr(f, top, "command", p->command);
    kr_json_knum(f, top, "copy_gbps", p->copy_gbps, "%.1f");
    kr_json_kstr(f, top, "clocks", p->clocks);
    fprintf(f, ",\n  \"sms\": %d", p->sms);
    if (l2)
        fprintf(f, ",\n  \"l2_bytes\": %zu", p->l2);
    fprintf(f, ",\n  \"seed\": %llu", seed);
    kr_json_knum(f, top, "idle_power_w", p->idle_w, "%.1f");
    return f;
}

int kr_json_finish(FILE *f, const char *tool, const char *tmp, const char *path)
{
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "%s: cannot write %s\n", tool, path);
        remove(tmp);
        return -1;
    }
    return 0;
}

int kr_json_write(const char *path, const Opt *o, const Prov *p)
{
    static const char *const top = ",\n  ", *const in = ", ";
    char tmp[4200];
    FILE *f = kr_json_begin(path, "kr_runner", o->commit, o->seed, p, 1, tmp, sizeof tmp);
    if (!f)
        return -1;
    kr_json_kstr(f, top, "energy", p->nvml_note);
    kr_json_knum(f, top, "peak_fp16_tflops", p->peak_fp16, "%.1f");
    kr_json_knum(f, top, "peak_int8_tops", p->peak_int8, "%.1f");
    kr_json_kstr(f, top, "peak_note",
          "cublasGemmEx 8192x8192x8192 on random data, median of 5: fp16 in, fp32 compute (TFLOP/s); int8 in, "
          "int32 compute (TOPS); the compute roofline of the kernels' tensor-core datatype");
    fprintf(f, ",\n  \"streams\": [");
    for (int i = 0; i < kr_nstreams; i++) {
        const Stream *st = &kr_streams[i];
        fprintf(f, "%s\n    {\"n\": %d, \"k\": %d, \"bytes\": %.0f, \"us\": %.3f, \"gbps\": %.1f, \"pct_copy_bw\": %.1f}",
                i ? "," : "", st->n, st->k, st->bytes, st->us, st->gbps, st->pct);
    }
    kr_json_kstr(f, "\n  ],\n  ", "streams_note",
          "kr_stream_read over the uint4-group weight bytes of the shape (codes, fp16 scales, uint4 zeros), copies "
          "rotated as for the kernels, timed like them: the ceiling of a kernel that only streams its weights");
    char note[512];
    snprintf(note, sizeof note,
             "traces/synth defaults; %d distinct weight rows and %d distinct tokens per matrix, further rows a "
             "seeded random pick of them; outputs checked against golden_hw: see checked per result",
             o->base_rows, o->base_toks);
    kr_json_kstr(f, top, "inputs", note);
    fprintf(f, ",\n  \"results\": [\n");
    for (int i = 0; i < kr_nres; i++) {
        const Res *r = &kr_res[i];
        const int e = isfinite(r->energy_uj);
        kr_json_kstr(f, "    {", "kernel", r->kernel);
        kr_json_kstr(f, in, "variant", r->variant);
        fprintf(f, ", \"best\": %s, \"m\": %d, \"n\": %d, \"k\": %d", r->best ? "true" : "false", r->m, r->n, r->k);
        kr_json_knum(f, in, "us", r->us, "%.3f");
        kr_json_knum(f, in, "gbps", r->gbps, "%.1f");
        kr_json_knum(f, in, "tflops", r->tflops, "%.2f");
        kr_json_knum(f, in, "pct_copy_bw", r->pct, "%.1f");
        kr_json_kstr(f, in, "check", r->check);
        kr_json_knum(f, in, "max_rel_err", r->max_rel, "%.3e");
        kr_json_knum(f, in, "bound_use", r->bound_use, "%.3e");
        fprintf(f, ", \"checked\": %lld, \"mismatches\": %lld, \"nonfinite\": %lld, \"bytes\": %.0f", r->checked,
                r->mismatches, r->nonfinite, r->bytes);
        kr_json_knum(f, in, "energy_uj", r->energy_uj, "%.2f");
        kr_json_knum(f, in, "energy_window_s", e ? r->window_s : NAN, "%.2f");
        kr_json_knum(f, in, "avg_power_w", e ? r->power_w : NAN, "%.1f");
        fprintf(f, "}%s\n", i + 1 < kr_nres ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return kr_json_finish(f, "kr_runner", tmp, path);
}
