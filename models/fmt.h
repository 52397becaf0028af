/* models/fmt.h — element formats: one descriptor row per format, generic code.
 *
 * An element format maps a b-bit code to a value in *grid units* (an integer for
 * every format here, so products and sums of codes are exact integers); the real
 * value is units * scale, with the scale chosen per tensor/row/group by a quantizer
 * (quant.h). Codes, values and bit layouts are tabulated in docs/formats.md.
 *
 * Rounding to the grid is one generic routine (fmt_nearest) over the sorted list of
 * valid values with an explicit tie rule; no format has its own copy.
 */
#ifndef MP_MODELS_FMT_H
#define MP_MODELS_FMT_H

#include <math.h>
#include <stdint.h>

typedef enum FmtId {
    FMT_INT8,          /* two's complement, symmetric -127..127 (-128 unused)       */
    FMT_INT4,          /* two's complement, symmetric -7..7 (1000 unused)           */
    FMT_UINT4,         /* unsigned 0..15, used with a zero point                    */
    FMT_ANT_INT4,      /* ANT int: two's complement -8..7                           */
    FMT_FLINT4,        /* sign + 3-bit magnitude {0,1,2,3,4,6,8,16}; -0 unused      */
    FMT_POT4,          /* sign + 3-bit k: 0 -> 0, k -> 2^(k-1) (1..64); -0 unused   */
    FMT_BITMOD_FP4,    /* E2M1 in units of 1/2: {0,1,2,3,4,6,8,12}; -0 = special    */
    FMT_BITMOD_FP3,    /* sign + 2-bit: {0,1,2,4}; -0 = special                     */
    FMT_OLIVE_INT4,    /* OliVe int4 normals -7..7 and abfloat outliers (bias 2)     */
    FMT_OLIVE_FLINT4,  /* OliVe flint4 normals and abfloat outliers (bias 3)         */
    FMT_ANT_INT8,      /* ANT's 8-bit int (its fallback type): two's complement -128..127 */
    FMT_COUNT
} FmtId;

typedef enum TieRule {
    TIE_EVEN,  /* to the value whose code is even... for integer grids: to the even integer */
    TIE_DOWN,  /* to the lower value (BitMoD's reference quantizer)                         */
    TIE_AWAY   /* away from zero (our OliVe rule; see docs/formats.md)                      */
} TieRule;

#define FMT_MAX_CODES 256

/* A lookup table equal to fmt_nearest_in over an integer grid: since grid values are integers,
 * every midpoint is a multiple of 1/2, so the nearest value is constant on each open interval
 * (k/2, (k+1)/2) and only x = k/2 exactly needs the tie rule. Built from fmt_nearest_in itself. */
#define FMT_LUT_MAX 1024
typedef struct FmtLut {
    int lo2, n;                  /* entries cover 2x in [lo2, lo2 + n)               */
    int16_t idx[FMT_LUT_MAX][2]; /* index into sorted[]: [k][0] for x in (k/2, (k+1)/2),
                                    [k][1] for x == k/2 (k counted from lo2)           */
    int first, last;             /* saturation: indices of the end values             */
} FmtLut;

/* 0, or -1 if the grid is too wide for the table. */
int fmt_lut_build(FmtLut *l, const int32_t *sorted, int n, TieRule tie);

typedef struct FmtDesc {
    const char *name;
    int bits;                  /* code width                                            */
    int special_code;          /* BitMoD: the -0 code carrying the special value; else -1 */
    TieRule tie;
    int ncodes;                /* 1 << bits                                             */
    int32_t value[FMT_MAX_CODES];  /* grid units per code                                */
    uint8_t valid[FMT_MAX_CODES];  /* 1 if the code is a plain grid point                */
    /* derived: sorted distinct valid values and the code of each */
    int nsorted;
    int32_t sorted[FMT_MAX_CODES];
    uint8_t sorted_code[FMT_MAX_CODES];
    int32_t max_abs;           /* largest |value| of a valid code                       */
    /* derived: uniform integer grids (every integer in [lo, hi] valid, ties to even) round in
     * O(1) with nearbyint; code_of[v - lo] is the code of value v */
    int uniform, lo, hi;
    uint8_t code_of[FMT_MAX_CODES];
    int has_lut;                   /* non-uniform grids: fmt_nearest uses lut */
    FmtLut lut;
} FmtDesc;

/* The table, built once, on the first call (safe when that call comes from several threads at once). */
const FmtDesc *fmt_get(FmtId id);
/* Same over an explicit sorted value list (for grids extended by a special value). */
int fmt_nearest_in(const int32_t *sorted, int n, TieRule tie, double x);

/* nearbyint(x) without the library call: for |x| < 2^52, adding and subtracting 2^52 rounds |x|
 * to an integer in the current rounding mode, which this program never changes from the default
 * (to nearest, ties to even), and copysign restores the sign (-0.3 -> -0, as nearbyint). Larger
 * |x| are integers already; NaN passes through. Needs strict IEEE double evaluation (no
 * -ffast-math), which the Makefile's flags give. */
static inline double fmt_rne(double x)
{
    double a = fabs(x);
    if (!(a < 0x1p52))
        return x;
    return copysign((a + 0x1p52) - 0x1p52, x);
}

/* Index into sorted[] of the value nearest x. */
static inline int fmt_lut_find(const FmtLut *l, double x)
{
    double t = 2.0 * x;
    if (!(t >= l->lo2)) /* also NaN */
        return l->first;
    if (t >= l->lo2 + l->n)
        return l->last;
    /* t >= lo2 > INT_MIN here: truncation, then floor by hand (no libm call); branch-free, since
     * the signs of x and its side of the tie points are unpredictable in a quantizer's loop */
    int k = (int)t;
    k -= (double)k > t;
    return l->idx[k - l->lo2][(double)k == t];
}

/* Code of the grid value nearest to x (x in grid units), ties by the format's rule;
 * x beyond the grid saturates to the end value. Inline: the quantizers' inner loops call it. */
static inline int fmt_nearest(const FmtDesc *f, double x)
{
    if (f->uniform) { /* round half to even, saturate: the same answer as fmt_nearest_in */
        double v = fmt_rne(x);
        v = v < f->lo ? f->lo : v > f->hi ? f->hi : v;
        return f->code_of[(int)v - f->lo];
    }
    if (f->has_lut)
        return f->sorted_code[fmt_lut_find(&f->lut, x)];
    return f->sorted_code[fmt_nearest_in(f->sorted, f->nsorted, f->tie, x)];
}

/* OliVe abfloat outlier magnitude: (2 + m) << (e + bias), e in 0..3, m in 0..1. */
int32_t fmt_abfloat_value(int e, int m, int bias);

#endif
