/* traces/synth.c — see synth.h. */
#include "traces/synth.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/parse.h"
#include "base/rng.h"

typedef enum { SP_F64, SP_INT } SynType;

/* One row per SynParams field: name, type, where, range, default, help. */
static const struct {
    const char *name;
    SynType type;
    size_t off;
    double lo, hi, def;
    const char *help;
} ptab[] = {
    {"w_sigma", SP_F64, offsetof(SynParams, w_sigma), 1e-30, 1e30, 0.02, "median per-output-channel std of W"},
    {"w_chan_logsd", SP_F64, offsetof(SynParams, w_chan_logsd), 0, 5, 0.3,
     "std of ln(output-channel scale) of W (log-normal spread)"},
    {"w_nu", SP_INT, offsetof(SynParams, w_nu), 3, 1000, 6, "Student-t degrees of freedom of W's entries"},
    {"w_big_frac", SP_F64, offsetof(SynParams, w_big_frac), 0, 1, 0.001, "fraction of W's entries that are larger"},
    {"w_big_mult", SP_F64, offsetof(SynParams, w_big_mult), 1, 1e6, 6, "magnitude multiplier of the larger entries"},
    {"x_sigma", SP_F64, offsetof(SynParams, x_sigma), 1e-30, 1e30, 1, "median per-channel std of X"},
    {"x_chan_logsd", SP_F64, offsetof(SynParams, x_chan_logsd), 0, 5, 0.4,
     "std of ln(channel scale) over X's normal channels"},
    {"x_token_logsd", SP_F64, offsetof(SynParams, x_token_logsd), 0, 5, 0.2, "std of ln(token scale) over X's rows"},
    {"x_nu", SP_INT, offsetof(SynParams, x_nu), 0, 1000, 0, "0: normal X entries; >= 3: Student-t degrees of freedom"},
    {"x_outlier_frac", SP_F64, offsetof(SynParams, x_outlier_frac), 0, 0.5, 0.004,
     "fraction of X's channels that are outlier channels"},
    {"x_outlier_min", SP_F64, offsetof(SynParams, x_outlier_min), 1, 1e6, 20,
     "outlier channel scale / median channel scale, low end"},
    {"x_outlier_max", SP_F64, offsetof(SynParams, x_outlier_max), 1, 1e6, 100,
     "outlier channel scale / median channel scale, high end"},
};
#define NPARAM (sizeof ptab / sizeof ptab[0])

size_t syn_param_count(void) { return NPARAM; }
const char *syn_param_name(size_t i) { return ptab[i].name; }
const char *syn_param_help(size_t i) { return ptab[i].help; }

double syn_param_get(const SynParams *p, size_t i)
{
    const char *base = (const char *)p + ptab[i].off;
    if (ptab[i].type == SP_INT) {
        int v;
        memcpy(&v, base, sizeof v);
        return v;
    }
    double d;
    memcpy(&d, base, sizeof d);
    return d;
}

void syn_params_default(SynParams *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < NPARAM; i++) {
        char *base = (char *)p + ptab[i].off;
        if (ptab[i].type == SP_INT) {
            int v = (int)ptab[i].def;
            memcpy(base, &v, sizeof v);
        } else
            memcpy(base, &ptab[i].def, sizeof(double));
    }
}

int syn_params_check(const SynParams *p, MpErr *e)
{
    for (size_t i = 0; i < NPARAM; i++) {
        double v = syn_param_get(p, i);
        if (!(v >= ptab[i].lo && v <= ptab[i].hi)) /* also refuses NaN */
            return mp_errf(e, MP_EINPUT, "synthetic parameter %s = %g is outside [%g, %g]", ptab[i].name, v,
                           ptab[i].lo, ptab[i].hi);
    }
    if (p->x_nu != 0 && p->x_nu < 3)
        return mp_errf(e, MP_EINPUT, "synthetic parameter x_nu = %d: use 0 (normal) or >= 3 (finite variance)",
                       p->x_nu);
    if (p->x_outlier_max < p->x_outlier_min)
        return mp_errf(e, MP_EINPUT, "synthetic parameters: x_outlier_max = %g is below x_outlier_min = %g",
                       p->x_outlier_max, p->x_outlier_min);
    return MP_OK;
}

int syn_param_set(SynParams *p, const char *name, const char *value, MpErr *e)
{
    for (size_t i = 0; i < NPARAM; i++) {
        if (strcmp(ptab[i].name, name) != 0)
            continue;
        char *base = (char *)p + ptab[i].off;
        if (ptab[i].type == SP_INT) {
            int64_t v;
            if (mp_parse_i64(value, &v) != 0 || v < -1000000 || v > 1000000)
                return mp_errf(e, MP_EINPUT, "synthetic parameter %s: '%s' is not an integer", name, value);
            int iv = (int)v;
            memcpy(base, &iv, sizeof iv);
        } else {
            double v;
            if (mp_parse_f64(value, &v) != 0)
                return mp_errf(e, MP_EINPUT, "synthetic parameter %s: '%s' is not a number", name, value);
            memcpy(base, &v, sizeof v);
        }
        return MP_OK;
    }
    return mp_errf(e, MP_EINPUT, "unknown synthetic parameter '%s' (known: w_sigma, w_chan_logsd, w_nu, w_big_frac, "
                                 "w_big_mult, x_sigma, x_chan_logsd, x_token_logsd, x_nu, x_outlier_frac, "
                                 "x_outlier_min, x_outlier_max)",
                   name);
}

int syn_params_parse(SynParams *p, const char *list, MpErr *e)
{
    char item[256];
    const char *s = list;
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len >= sizeof item)
            return mp_errf(e, MP_EINPUT, "synthetic parameters: item too long in '%s'", list);
        memcpy(item, s, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (!eq)
            return mp_errf(e, MP_EINPUT, "synthetic parameters: '%s' is not NAME=VALUE", item);
        *eq = '\0';
        int rc = syn_param_set(p, item, eq + 1, e);
        if (rc)
            return rc;
        s += len;
        if (*s == ',')
            s++;
    }
    return MP_OK;
}

size_t syn_outlier_count(const SynParams *p, size_t k)
{
    if (k == 0 || !(p->x_outlier_frac > 0))
        return 0;
    double c = floor(p->x_outlier_frac * (double)k + 0.5);
    if (c < 1)
        c = 1;
    return c > (double)k ? k : (size_t)c;
}

/* Unit-variance Student-t(nu), nu >= 3. */
static double unit_t(MpRng *r, int nu) { return mp_rng_student_t(r, nu) / sqrt((double)nu / (nu - 2)); }

int syn_weights(const SynParams *p, uint64_t seed, size_t n, size_t k, float *w, MpErr *e)
{
    int rc = syn_params_check(p, e);
    if (rc)
        return rc;
    if (k && n > SIZE_MAX / k)
        return mp_errf(e, MP_EINPUT, "synthetic weights: %zu x %zu elements overflow", n, k);
    MpRng r;
    mp_rng_seed(&r, seed ^ SYN_STREAM_W);
    for (size_t i = 0; i < n; i++) {
        double c = p->w_sigma * exp(p->w_chan_logsd * mp_rng_normal(&r));
        for (size_t j = 0; j < k; j++) {
            double t = unit_t(&r, p->w_nu);
            double u = mp_rng_uniform(&r);
            w[i * k + j] = (float)(c * t * (u < p->w_big_frac ? p->w_big_mult : 1.0));
        }
    }
    return MP_OK;
}

int syn_acts(const SynParams *p, uint64_t seed, size_t m, size_t k, float *x, unsigned char *outlier, MpErr *e)
{
    int rc = syn_params_check(p, e);
    if (rc)
        return rc;
    if (k && m > SIZE_MAX / k)
        return mp_errf(e, MP_EINPUT, "synthetic activations: %zu x %zu elements overflow", m, k);
    double *s = mp_calloc(k ? k : 1, sizeof *s);
    if (!s)
        return mp_errf(e, MP_ENOMEM, "synthetic activations: out of memory");
    MpRng r;
    mp_rng_seed(&r, seed ^ SYN_STREAM_X);
    /* channel pass: normal scale, outlier choice (selection sampling: exactly `need`
     * of the k channels, each subset equally likely), outlier scale */
    size_t need = syn_outlier_count(p, k);
    double lmin = log(p->x_outlier_min), lmax = log(p->x_outlier_max);
    for (size_t j = 0; j < k; j++) {
        double normal = exp(p->x_chan_logsd * mp_rng_normal(&r));
        double u = mp_rng_uniform(&r);
        double big = exp(lmin + (lmax - lmin) * mp_rng_uniform(&r));
        int is_out = (double)(k - j) * u < (double)need;
        if (is_out)
            need--;
        s[j] = p->x_sigma * (is_out ? big : normal);
        if (outlier)
            outlier[j] = (unsigned char)is_out;
    }
    /* token pass */
    for (size_t i = 0; i < m; i++) {
        double rt = exp(p->x_token_logsd * mp_rng_normal(&r));
        for (size_t j = 0; j < k; j++) {
            double g = p->x_nu ? unit_t(&r, p->x_nu) : mp_rng_normal(&r);
            x[i * k + j] = (float)(rt * s[j] * g);
        }
    }
    mp_free(s);
    return MP_OK;
}
