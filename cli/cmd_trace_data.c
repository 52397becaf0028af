/* cli/cmd_trace_data.c — `mpsim trace gen` (synthetic tensors into a safetensors file)
 * and `mpsim trace info` (list a safetensors file's tensors with statistics). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/cli.h"
#include "cli/cmd_trace_gguf.h"
#include "cli/cmds.h"
#include "base/jsonout.h"
#include "traces/safetensors.h"
#include "traces/synth.h"

#define GEN_DIM_MAX ((int64_t)1 << 24)   /* largest --m, --n, --k                 */
#define GEN_NUMEL_MAX ((int64_t)1 << 28) /* largest m·k or n·k (1 GiB of float32) */

/* ---- trace gen --------------------------------------------------------------------- */

/* "3,17,402": the indices of the outlier channels (mp_free it). */
static char *outlier_list(const unsigned char *mask, size_t k)
{
    size_t cnt = 0;
    for (size_t j = 0; j < k; j++)
        cnt += mask[j];
    size_t cap = cnt * 21 + 1, n = 0;
    char *s = mp_malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t j = 0; j < k; j++)
        if (mask[j])
            n += (size_t)snprintf(s + n, cap - n, "%s%zu", n ? "," : "", j);
    return s;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double. */
static void fmt_shortest(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

int cmd_trace_gen(int argc, char **argv)
{
    const char *out = NULL, *dtype_s = "f16", *params_s = "";
    int64_t m = 64, n = 256, k = 256, seed = 1;
    const CliOpt opts[] = {
        {"out", CLI_STR, &out, "FILE", "output safetensors file (required; written atomically)"},
        {"m", CLI_INT, &m, "M", "activation rows (tokens), default 64"},
        {"n", CLI_INT, &n, "N", "weight rows (output features), default 256"},
        {"k", CLI_INT, &k, "K", "reduction length (input features, channels), default 256"},
        {"seed", CLI_INT, &seed, "S", "random seed, 0..2^63-1, default 1 (printed)"},
        {"dtype", CLI_STR, &dtype_s, "T", "stored dtype: f32, f16 or bf16, default f16"},
        {"params", CLI_STR, &params_s, "LIST", "generator parameters NAME=VALUE,... (see below)"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {
        "mpsim trace gen",
        "--out FILE [options]",
        "Generate a synthetic weight W[N,K] ('weight') and activation X[M,K] ('act') with LLM-like statistics\n"
        "(heavy-tailed weights with per-channel scales, activation outlier channels) into a safetensors file.",
        "Generator parameters (--params, defaults in brackets; docs/data.md explains them):\n"
        "  w_sigma [0.02] w_chan_logsd [0.3] w_nu [6] w_big_frac [0.001] w_big_mult [6]\n"
        "  x_sigma [1] x_chan_logsd [0.4] x_token_logsd [0.2] x_nu [0] x_outlier_frac [0.004]\n"
        "  x_outlier_min [20] x_outlier_max [100]\n"
        "The seed and every parameter are stored in the file's __metadata__.\n"
        "Example: mpsim trace gen --out /tmp/t.safetensors --m 16 --n 64 --k 512 --seed 7",
        opts,
        0,
        0,
    };
    int st = cmd_parse(&spec, argc, argv, NULL, NULL);
    if (st != CMD_GO_ON)
        return st;
    MpErr e = {0};
    StDtype dt;
    SynParams p;
    syn_params_default(&p);
    if (!out)
        mp_errf(&e, MP_EINPUT, "mpsim trace gen: --out FILE is required");
    else if (m < 1 || m > GEN_DIM_MAX || n < 1 || n > GEN_DIM_MAX || k < 1 || k > GEN_DIM_MAX)
        mp_errf(&e, MP_EINPUT, "mpsim trace gen: --m, --n and --k must be in 1..%lld", (long long)GEN_DIM_MAX);
    else if (m * k > GEN_NUMEL_MAX || n * k > GEN_NUMEL_MAX)
        mp_errf(&e, MP_EINPUT, "mpsim trace gen: M*K and N*K must be at most %lld elements", (long long)GEN_NUMEL_MAX);
    else if (seed < 0)
        mp_errf(&e, MP_EINPUT, "mpsim trace gen: --seed must be >= 0");
    else if (st_dtype_parse(dtype_s, &dt) != 0)
        mp_errf(&e, MP_EINPUT, "mpsim trace gen: --dtype '%s': use f32, f16 or bf16", dtype_s);
    else if (syn_params_parse(&p, params_s, &e) != MP_OK || syn_params_check(&p, &e) != MP_OK)
        return cli_fail(&e);
    if (e.code)
        return cli_fail(&e);

    printf("seed %lld\n", (long long)seed);
    float *w = mp_malloc((size_t)(n * k) * sizeof *w), *x = mp_malloc((size_t)(m * k) * sizeof *x);
    unsigned char *mask = mp_malloc((size_t)k);
    char *olist = NULL;
    StWriter *wr = NULL;
    if (!w || !x || !mask) {
        mp_errf(&e, MP_ENOMEM, "mpsim trace gen: out of memory");
        goto out;
    }
    if (syn_weights(&p, (uint64_t)seed, (size_t)n, (size_t)k, w, &e) ||
        syn_acts(&p, (uint64_t)seed, (size_t)m, (size_t)k, x, mask, &e))
        goto out;
    if (!(olist = outlier_list(mask, (size_t)k))) {
        mp_errf(&e, MP_ENOMEM, "mpsim trace gen: out of memory");
        goto out;
    }
    const uint64_t wshape[2] = {(uint64_t)n, (uint64_t)k}, xshape[2] = {(uint64_t)m, (uint64_t)k};
    char num[64];
    if (st_writer_new(&wr, &e) || st_writer_add(wr, "weight", dt, 2, wshape, w, &e) ||
        st_writer_add(wr, "act", dt, 2, xshape, x, &e) || st_writer_set_meta(wr, "format", "mpsim-synth/1", &e) ||
        st_writer_set_meta(wr, "generator", "mpsim trace gen (traces/synth.c)", &e) ||
        st_writer_set_meta(wr, "seed", (snprintf(num, sizeof num, "%lld", (long long)seed), num), &e) ||
        st_writer_set_meta(wr, "act.outlier_channels", olist, &e))
        goto out;
    for (size_t i = 0; i < syn_param_count(); i++) {
        char key[64];
        snprintf(key, sizeof key, "syn.%s", syn_param_name(i));
        fmt_shortest(syn_param_get(&p, i), num, sizeof num);
        if (st_writer_set_meta(wr, key, num, &e))
            goto out;
    }
    if (st_writer_write(wr, out, &e))
        goto out;
    size_t nout = syn_outlier_count(&p, (size_t)k);
    printf("wrote %s: weight [%lld, %lld] %s, act [%lld, %lld] %s, %zu outlier channel%s\n", out, (long long)n,
           (long long)k, st_dtype_name(dt), (long long)m, (long long)k, st_dtype_name(dt), nout, nout == 1 ? "" : "s");
out:
    st_writer_free(wr);
    mp_free(olist);
    mp_free(w);
    mp_free(x);
    mp_free(mask);
    return e.code ? cli_fail(&e) : 0;
}

/* ---- trace info -------------------------------------------------------------------- */

typedef struct TensorStats {
    uint64_t finite, nonfinite;
    double min, max, mean, std;
    double max_abs, med_abs; /* med_abs: lower median of |x| over finite values */
} TensorStats;

/* The k-th smallest of a[0..n) (k < n, no NaN); reorders a. Wirth's selection
 * algorithm (N. Wirth, Algorithms + Data Structures = Programs, 1976). */
static float select_kth(float *a, size_t n, size_t kk)
{
    long l = 0, m = (long)n - 1, k = (long)kk;
    while (l < m) {
        float x = a[k];
        long i = l, j = m;
        do {
            while (a[i] < x)
                i++;
            while (x < a[j])
                j--;
            if (i <= j) {
                float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k)
            l = i;
        if (k < i)
            m = j;
    }
    return a[k];
}

/* Statistics of x[0..n); scratch holds n floats. */
static void stats_compute(const float *x, size_t n, float *scratch, TensorStats *s)
{
    memset(s, 0, sizeof *s);
    double sum = 0;
    size_t f = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            s->nonfinite++;
            continue;
        }
        if (f == 0 || x[i] < s->min)
            s->min = x[i];
        if (f == 0 || x[i] > s->max)
            s->max = x[i];
        sum += x[i];
        scratch[f++] = fabsf(x[i]);
    }
    s->finite = f;
    if (!f)
        return;
    s->mean = sum / (double)f;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            ss += (x[i] - s->mean) * (x[i] - s->mean);
    s->std = sqrt(ss / (double)f);
    s->max_abs = fmax(fabs(s->min), fabs(s->max));
    s->med_abs = select_kth(scratch, f, (f - 1) / 2);
}

static void fmt_dims(const uint64_t *shape, int rank, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

static void fmt_ratio(const TensorStats *s, char *buf, size_t cap)
{
    if (!s->finite || (s->max_abs == 0 && s->med_abs == 0))
        snprintf(buf, cap, "-");
    else if (s->med_abs == 0)
        snprintf(buf, cap, "inf");
    else
        snprintf(buf, cap, "%.4g", s->max_abs / s->med_abs);
}

/* cJSON calls return NULL on allocation failure; remember any. */
static cJSON *jchk(cJSON *v, int *oom)
{
    if (!v)
        *oom = 1;
    return v;
}

static cJSON *stats_json(const StFile *f, size_t i, const TensorStats *s, int *oom)
{
    cJSON *o = jchk(cJSON_CreateObject(), oom);
    if (!o)
        return NULL;
    jchk(cJSON_AddStringToObject(o, "name", st_name(f, i)), oom);
    jchk(cJSON_AddStringToObject(o, "dtype", st_dtype_name(st_dtype(f, i))), oom);
    cJSON *sh = jchk(cJSON_AddArrayToObject(o, "shape"), oom);
    for (int d = 0; sh && d < st_rank(f, i); d++) {
        cJSON *v = jchk(cJSON_CreateNumber((double)st_shape(f, i)[d]), oom);
        if (v)
            cJSON_AddItemToArray(sh, v);
    }
    jchk(cJSON_AddNumberToObject(o, "numel", (double)st_numel(f, i)), oom);
    if (s->finite) {
        jchk(cJSON_AddNumberToObject(o, "min", s->min), oom);
        jchk(cJSON_AddNumberToObject(o, "max", s->max), oom);
        jchk(cJSON_AddNumberToObject(o, "mean", s->mean), oom);
        jchk(cJSON_AddNumberToObject(o, "std", s->std), oom);
        jchk(cJSON_AddNumberToObject(o, "median_abs", s->med_abs), oom);
    }
    if (s->finite && s->med_abs > 0)
        jchk(cJSON_AddNumberToObject(o, "max_abs_over_median_abs", s->max_abs / s->med_abs), oom);
    else
        jchk(cJSON_AddNullToObject(o, "max_abs_over_median_abs"), oom);
    jchk(cJSON_AddNumberToObject(o, "nonfinite", (double)s->nonfinite), oom);
    return o;
}

int cmd_trace_info(int argc, char **argv)
{
    const char *json = NULL;
    const CliOpt opts[] = {
        {"json", CLI_STR, &json, "FILE", "also write the listing as JSON to FILE ('-' for stdout), atomically"},
        {NULL, 0, NULL, NULL, NULL},
    };
    const CliSpec spec = {
        "mpsim trace info",
        "[--json FILE] FILE.safetensors|FILE.gguf",
        "Validate a safetensors file and list its tensors, one line each, with statistics over the finite\n"
        "values of F32/F16/BF16 tensors: min, max, mean, std (population) and max|x| / median|x|; then the\n"
        "metadata. Tensors of other dtypes (I64, U8, ...) are validated and listed without statistics.\n"
        "A GGUF file (recognised by its magic \"GGUF\", whatever its name) is validated and described:\n"
        "version, alignment, the architecture's key numbers, per-type totals, every metadata entry (long\n"
        "arrays summarised) and every tensor with its type, shape (ne0 first), size and offset.",
        "A bad file is refused with 'FILE: place: problem' and exit status 2 (rules: docs/data.md).\n"
        "Example: mpsim trace info /tmp/t.safetensors\n"
        "         mpsim trace info build/cache/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        opts,
        1,
        1,
    };
    char *pos[CLI_MAX_POS];
    int status = cmd_parse(&spec, argc, argv, pos, NULL);
    if (status != CMD_GO_ON)
        return status;
    if (trace_is_gguf(pos[0]))
        return trace_info_gguf(pos[0], json);
    MpErr e = {0};
    StFile *f = NULL;
    if (st_open(pos[0], &f, &e))
        return cli_fail(&e);

    size_t nt = st_count(f), wname = 4;
    TensorStats *st = mp_calloc(nt ? nt : 1, sizeof *st);
    cJSON *root = NULL;
    if (!st) {
        mp_errf(&e, MP_ENOMEM, "%s: out of memory", pos[0]);
        goto out;
    }
    for (size_t i = 0; i < nt; i++) {
        float *x = NULL, *scratch = NULL;
        if (strlen(st_name(f, i)) > wname)
            wname = strlen(st_name(f, i));
        if (!st_dtype_is_float(st_dtype(f, i)))
            continue; /* listed without statistics */
        if (st_read_f32_alloc(f, i, &x, &e))
            goto out;
        scratch = mp_malloc((size_t)st_numel(f, i) * sizeof *scratch);
        if (!scratch) {
            mp_free(x);
            mp_errf(&e, MP_ENOMEM, "%s: out of memory", pos[0]);
            goto out;
        }
        stats_compute(x, (size_t)st_numel(f, i), scratch, &st[i]);
        mp_free(x);
        mp_free(scratch);
    }

    printf("%s: %zu tensor%s, data buffer %llu bytes\n", pos[0], nt, nt == 1 ? "" : "s",
           (unsigned long long)st_data_bytes(f));
    if (nt)
        printf("%-*s  %-5s %-20s %12s %12s %12s %12s %12s %13s\n", (int)wname, "name", "dtype", "shape", "numel", "min",
               "max", "mean", "std", "max|x|/med|x|");
    for (size_t i = 0; i < nt; i++) {
        char shp[256], ratio[32];
        fmt_dims(st_shape(f, i), st_rank(f, i), shp, sizeof shp);
        fmt_ratio(&st[i], ratio, sizeof ratio);
        printf("%-*s  %-5s %-20s %12llu", (int)wname, st_name(f, i), st_dtype_name(st_dtype(f, i)), shp,
               (unsigned long long)st_numel(f, i));
        if (st[i].finite)
            printf(" %12.5g %12.5g %12.5g %12.5g %13s", st[i].min, st[i].max, st[i].mean, st[i].std, ratio);
        else
            printf(" %12s %12s %12s %12s %13s", "-", "-", "-", "-", ratio);
        if (st[i].nonfinite)
            printf("  (%llu non-finite values left out)", (unsigned long long)st[i].nonfinite);
        if (!st_dtype_is_float(st_dtype(f, i)))
            printf("  (not a float dtype: no statistics)");
        printf("\n");
    }
    if (st_meta_count(f)) {
        printf("metadata:\n");
        for (size_t i = 0; i < st_meta_count(f); i++)
            printf("  %s = %s\n", st_meta_key(f, i), st_meta_value(f, i));
    }

    if (json) {
        int oom = 0;
        root = jchk(cJSON_CreateObject(), &oom);
        if (root) {
            jchk(cJSON_AddStringToObject(root, "file", pos[0]), &oom);
            jchk(cJSON_AddNumberToObject(root, "data_bytes", (double)st_data_bytes(f)), &oom);
            cJSON *arr = jchk(cJSON_AddArrayToObject(root, "tensors"), &oom);
            for (size_t i = 0; arr && i < nt; i++) {
                cJSON *o = stats_json(f, i, &st[i], &oom);
                if (o)
                    cJSON_AddItemToArray(arr, o);
            }
            cJSON *md = jchk(cJSON_AddObjectToObject(root, "metadata"), &oom);
            for (size_t i = 0; md && i < st_meta_count(f); i++)
                jchk(cJSON_AddStringToObject(md, st_meta_key(f, i), st_meta_value(f, i)), &oom);
        }
        if (oom)
            mp_errf(&e, MP_ENOMEM, "%s: out of memory building JSON", json);
        else if (json_write(json, root, &e) != MP_OK)
            goto out;
    }
out:
    cJSON_Delete(root);
    mp_free(st);
    st_close(f);
    return e.code ? cli_fail(&e) : 0;
}
