/* models/fpx.c — see fpx.h. */
#include "models/fpx.h"

#include <math.h>
#include <string.h>

const FpxFmt FPX_FP16 = {5, 10, 1};
const FpxFmt FPX_BF16 = {8, 7, 1};

static int bias_of(const FpxFmt *f) { return (1 << (f->ebits - 1)) - 1; }
/* Largest exponent code that encodes finite numbers. */
static int emax_code(const FpxFmt *f) { return (1 << f->ebits) - 1 - (f->ieee ? 1 : 0); }

double fpx_max_finite(const FpxFmt *f)
{
    return (2.0 - fpx_pow2(-f->mbits)) * fpx_pow2(emax_code(f) - bias_of(f));
}

uint32_t fpx_from_f64(const FpxFmt *f, double x)
{
    const uint32_t sign = signbit(x) ? 1u << (f->ebits + f->mbits) : 0u;
    const uint32_t inf = (uint32_t)((1u << f->ebits) - 1) << f->mbits;
    const uint32_t maxcode = (uint32_t)(emax_code(f) << f->mbits) | ((1u << f->mbits) - 1);
    if (isnan(x)) /* IEEE: canonical quiet NaN; otherwise no NaN exists and we saturate */
        return f->ieee ? inf | (1u << (f->mbits - 1)) : sign | maxcode;
    double a = fabs(x);
    const int bias = bias_of(f), emin = 1 - bias; /* smallest normal exponent */
    const double maxf = fpx_max_finite(f);
    if (a > maxf) {
        /* halfway between maxf and the next binade step rounds up (to Inf) under RNE */
        double ulp_top = fpx_pow2(emax_code(f) - bias - f->mbits);
        if (!f->ieee)
            return sign | maxcode;
        return a >= maxf + ulp_top / 2 ? sign | inf : sign | maxcode;
    }
    if (a < fpx_pow2(emin)) {
        /* subnormal: units of 2^(emin - mbits); the scaling is exact in double */
        double q = nearbyint(a * fpx_pow2(f->mbits - emin));
        return sign | (uint32_t)q; /* q == 2^mbits becomes the smallest normal, as encoded */
    }
    int ex;
    (void)frexp(a, &ex); /* a = fr * 2^ex, fr in [0.5, 1) */
    int e = ex - 1;      /* a = 1.m * 2^e */
    double r = nearbyint(a * fpx_pow2(f->mbits - e)); /* in [2^mbits, 2^(mbits+1)] */
    /* a carry out of the mantissa moves to the next exponent by plain addition */
    return sign | (uint32_t)(((uint32_t)(e + bias) << f->mbits) + (uint32_t)r - (1u << f->mbits));
}

double fpx_to_f64(const FpxFmt *f, uint32_t bits)
{
    const int bias = bias_of(f);
    const uint32_t m = bits & ((1u << f->mbits) - 1);
    const uint32_t e = (bits >> f->mbits) & ((1u << f->ebits) - 1);
    const int s = (bits >> (f->ebits + f->mbits)) & 1;
    double v;
    if (f->ieee && e == (1u << f->ebits) - 1)
        v = m ? NAN : INFINITY;
    else if (e == 0)
        v = ldexp((double)m, 1 - bias - f->mbits);
    else
        v = ldexp((double)(m | (1u << f->mbits)), (int)e - bias - f->mbits);
    return s ? -v : v;
}

/* Fast path: when x and the result are normal numbers of f, RNE on the double's magnitude bits
 * (exponent and mantissa together, so a mantissa carry bumps the exponent); else the generic. */
double fpx_round(const FpxFmt *f, double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    const int e = (int)((b >> 52) & 0x7ff) - 1023, bias = bias_of(f);
    if (e >= 1 - bias && e <= emax_code(f) - bias && f->mbits < 52) {
        const int sh = 52 - f->mbits;
        uint64_t mag = b & 0x7fffffffffffffffull;
        mag = (mag + (1ull << (sh - 1)) - 1 + ((mag >> sh) & 1)) & ~((1ull << sh) - 1);
        /* still finite in f when the rounded exponent stays in range (IEEE formats reserve the
         * top code, so their rounding to the top binade's end goes to the generic path) */
        if ((int)(mag >> 52) - 1023 <= emax_code(f) - bias) {
            double r;
            uint64_t rb = (b & 0x8000000000000000ull) | mag;
            memcpy(&r, &rb, sizeof r);
            return r;
        }
    }
    return fpx_to_f64(f, fpx_from_f64(f, x));
}

/* ---- fp16 / bf16 ---- */

/* The out-of-line slow path of fp16_from_f64 (fpx.h): zero, subnormals of double, overflow,
 * Inf and NaN. */
uint16_t fp16_from_f64_slow(double x) { return (uint16_t)fpx_from_f64(&FPX_FP16, x); }

float bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

uint16_t bf16_from_f64(double x) { return (uint16_t)fpx_from_f64(&FPX_BF16, x); }
uint16_t bf16_from_f32(float x) { return (uint16_t)fpx_from_f64(&FPX_BF16, (double)x); }
