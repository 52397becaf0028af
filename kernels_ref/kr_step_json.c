/* kernels_ref/kr_step_json.c — kr_step's results file, kernels_ref/results/<gpu>/steps-<date>-<seed>.json:
 * the provenance keys of the kernel results files, "inputs" and "checked" sentences, then "steps",
 * one object per (model, format, phase, batch, kv) in run order. The simulator reads it: keys and
 * names are a contract (docs/gpu.md "Whole decode steps"). */
#include <math.h>
#include <string.h>

#include "kernels_ref/kr_step_host.h"

static KsRes *res;
static int nres, capres;

KsRes *ks_res_new(void)
{
    if (nres == capres) {
        capres = capres ? 2 * capres : 64;
        KsRes *r = realloc(res, (size_t)capres * sizeof *r);
        if (!r) {
            fprintf(stderr, "kr_step: out of memory\n");
            exit(3);
        }
        res = r;
    }
    KsRes *r = &res[nres++];
    memset(r, 0, sizeof *r);
    r->ms = r->j = r->err = r->bound = r->err_layer = r->bound_layer = NAN;
    return r;
}

int ks_json_write(const char *path, const KsOpt *o, const Prov *p)
{
    static const char *const top = ",\n  ", *const in = ", ";
    char tmp[4200];
    FILE *f = kr_json_begin(path, "kr_step", o->commit, o->seed, p, 0, tmp, sizeof tmp);
    if (!f)
        return -1;
    kr_json_kstr(f, top, "energy",
                 o->energy == 1 ? "NVML nvmlDeviceGetTotalEnergyConsumption over >= 2 s of back-to-back graph launches "
                                  "of the step; j = board joules per step (idle power included)"
                 : o->energy == 2 ? "NVML nvmlDeviceGetTotalEnergyConsumption over >= 2 s of back-to-back graph launches "
                                    "of the step, at the first kv of the run's list and for prefill (j absent elsewhere); "
                                    "j = board joules per step (idle power included)"
                                  : "not measured (--energy 0)");
    char s[2048];
    snprintf(s, sizeof s,
             "synthetic: per matrix %d distinct traces/synth weight rows rescaled to rms 1/sqrt(K), quantized and "
             "packed by models/ once, the other rows seeded copies of them; every layer has the same packed values "
             "in its own device allocation (the DRAM traffic of L distinct layers); embedding, RMSNorm gains and "
             "the fp16 KV cache (K uniform +-%.0f, V +-%.0f) from a seeded hash; RoPE theta %.0f; batch b's token "
             "a seeded pick",
             o->base_rows, (double)KS_KV_AMP_K, (double)KS_KV_AMP_V, KS_ROPE_THETA);
    kr_json_kstr(f, top, "inputs", s);
    snprintf(s, sizeof s,
             "against a CPU reference of the same step (models/golden GEMM of the format on the same packed weights, "
             "activations quantized by models/, float vector ops rounded to fp16 where the GPU stores fp16); err = "
             "max |gpu - ref| / rms(ref), max over the stretches of each checked layer (smollm2-135m all layers; "
             "llama2-7b all at decode batch <= %d, else layers 0, L/2, L-1): the reference starts each stretch "
             "from the GPU's own input (the layer's input, then the GPU's x after the attention norm, attention, "
             "the FFN norm and SiLU * up) and is compared at its end (the next point's x, the layer's output), and "
             "over the logits of the reference head from the GPU's final x; decode steps of smollm2-135m and of "
             "llama2-7b at batch <= %d were also run end to end from the embedding and their logits held to err <= "
             "0.3 for the fp16-activation formats (printed only for mixpe-w4a8 and olive-w4a4, whose activation "
             "quantizers turn last-bit differences into whole steps that 30 random layers amplify); prefill is "
             "checked at a %d-token prompt through the same code path and that result stands for the %d-token "
             "entry; \"check\": \"fail\" steps carry no timing",
             o->e2e_max_b7, o->e2e_max_b7, o->prompt_check, o->prompt);
    kr_json_kstr(f, top, "checked", s);
    fprintf(f, ",\n  \"steps\": [\n");
    for (int i = 0; i < nres; i++) {
        const KsRes *r = &res[i];
        kr_json_kstr(f, "    {", "model", r->model);
        kr_json_kstr(f, in, "format", r->format);
        kr_json_kstr(f, in, "phase", r->phase);
        fprintf(f, ", \"batch\": %d", r->batch);
        if (!strcmp(r->phase, "decode"))
            fprintf(f, ", \"kv\": %d", r->kv);
        else
            fprintf(f, ", \"prompt\": %d", r->prompt);
        const int pass = !strcmp(r->check, "pass");
        if (pass) {
            kr_json_knum(f, in, "ms", r->ms, "%.4f");
            if (isfinite(r->j))
                kr_json_knum(f, in, "j", r->j, "%.5f");
        }
        kr_json_kstr(f, in, "check", r->check);
        kr_json_knum(f, in, "err", r->err, "%.3e");
        kr_json_knum(f, in, "bound", r->bound, "%.3e");
        fprintf(f, "}%s\n", i + 1 < nres ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return kr_json_finish(f, "kr_step", tmp, path);
}
