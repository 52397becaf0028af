/* models/fpx.h — binary floating-point formats of any small width, one implementation.
 *
 * A FpxFmt names the field widths of a sign/exponent/mantissa format; conversion
 * from double rounds to nearest, ties to even, in a single step (no double rounding):
 *
 *   bits:  [ sign | exponent (ebits) | mantissa (mbits) ]      bias = 2^(ebits-1) - 1
 *   normal:    (-1)^s * 2^(e - bias) * (1 + m / 2^mbits)      1 <= e <= emax_code
 *   subnormal: (-1)^s * 2^(1 - bias) * (m / 2^mbits)          e == 0
 *
 * ieee = 1: the all-ones exponent encodes Inf (m == 0) and NaN (m != 0); overflow
 * rounds to Inf as IEEE 754 requires. ieee = 0: every exponent code is a number and
 * overflow saturates to the largest finite value (used for small accumulators).
 * fp16 = {5,10,1}, bf16 = {8,7,1}; BitMoD's group accumulator is {6,15,0}.
 */
#ifndef MP_MODELS_FPX_H
#define MP_MODELS_FPX_H

#include <stdint.h>

typedef struct FpxFmt {
    int ebits, mbits;
    int ieee;
} FpxFmt;

extern const FpxFmt FPX_FP16, FPX_BF16;

uint32_t fpx_from_f64(const FpxFmt *f, double x);  /* RNE; NaN -> canonical quiet NaN */
double fpx_to_f64(const FpxFmt *f, uint32_t bits); /* exact                           */
double fpx_max_finite(const FpxFmt *f);
/* Round x to the nearest value of format f (RNE), returned as a double. */
double fpx_round(const FpxFmt *f, double x);

/* Exact 2^e as a double for -1022 <= e <= 1023 (no libm call). */
static inline double fpx_pow2(int e)
{
    union {
        uint64_t u;
        double d;
    } v;
    v.u = (uint64_t)(e + 1023) << 52;
    return v.d;
}

/* fp16 and bf16 fast paths (table-driven decode). All exact or correctly rounded. */
uint16_t fp16_from_f64_slow(double x);
/* Round a double to fp16 (RNE). Fast path on the double's bits: RNE of the 52-bit mantissa to 10
 * bits for normal results, the exact add-2^52 rounding for subnormal ones; the rest (zero, double
 * subnormals, overflow, Inf, NaN) goes to the generic routine. Inline: the quantizers call it
 * hundreds of millions of times. */
static inline uint16_t fp16_from_f64(double x)
{
    union {
        double d;
        uint64_t u;
    } v = {x};
    const uint64_t b = v.u;
    const uint16_t sign = (uint16_t)((b >> 48) & 0x8000);
    const int e = (int)((b >> 52) & 0x7ff) - 1023;
    if (e >= -14 && e <= 15) {
        const uint64_t m = b & 0xfffffffffffffull;
        uint32_t keep = (uint32_t)(m >> 42);
        const uint64_t rem = m & ((1ull << 42) - 1), half = 1ull << 41;
        keep += (uint32_t)((rem > half) | ((rem == half) & keep)); /* RNE without a branch */
        /* a mantissa carry moves into the exponent; 2^16 becomes 0x7c00 = Inf as RNE requires */
        return (uint16_t)(sign | (((uint32_t)(e + 15) << 10) + keep));
    }
    if (e < -14 && e >= -1022) {
        /* subnormal result in units of 2^-24; a*2^24 < 2^10, so adding 2^52 rounds it exactly */
        double a = (x < 0 ? -x : x) * 0x1p24;
        uint32_t q = (uint32_t)((a + 0x1p52) - 0x1p52); /* 1024 encodes the smallest normal */
        return (uint16_t)(sign | q);
    }
    return fp16_from_f64_slow(x);
}
/* A float widens to double exactly, so this is RNE of the float itself. */
static inline uint16_t fp16_from_f32(float x) { return fp16_from_f64((double)x); }
/* Exact decode by bit manipulation (inline: it sits in every golden inner loop). */
static inline float fp16_to_f32(uint16_t h)
{
    union {
        uint32_t u;
        float f;
    } v;
    uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0) { /* zero or subnormal: m * 2^-24, exact in float */
        v.f = (float)m * 0x1p-24f;
        v.u |= s;
    } else if (e == 31)
        v.u = s | 0x7f800000u | (m << 13);
    else
        v.u = s | ((e + 112) << 23) | (m << 13);
    return v.f;
}
static inline double fp16_to_f64(uint16_t h) { return (double)fp16_to_f32(h); }
uint16_t bf16_from_f64(double x);
uint16_t bf16_from_f32(float x);
float bf16_to_f32(uint16_t h);
static inline int fp16_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x03ff); }
static inline int fp16_is_inf(uint16_t h) { return (h & 0x7fff) == 0x7c00; }

/* fp16 arithmetic as an fp16 unit does it: exact result rounded once (RNE).
 * Sums and products of two fp16 values are exact in double, so this is correct. */
static inline uint16_t fp16_add(uint16_t a, uint16_t b) { return fp16_from_f64(fp16_to_f64(a) + fp16_to_f64(b)); }
static inline uint16_t fp16_sub(uint16_t a, uint16_t b) { return fp16_from_f64(fp16_to_f64(a) - fp16_to_f64(b)); }
static inline uint16_t fp16_mul(uint16_t a, uint16_t b) { return fp16_from_f64(fp16_to_f64(a) * fp16_to_f64(b)); }
/* A double quotient rounded again to fp16 is correctly rounded: 53 >= 2*11 + 2 (the classic
 * innocuous double-rounding condition for division). */
static inline uint16_t fp16_div(uint16_t a, uint16_t b) { return fp16_from_f64(fp16_to_f64(a) / fp16_to_f64(b)); }

#endif
