/* models/fmt.c — the element format table and generic grid rounding. */
#include "models/fmt.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

static FmtDesc table[FMT_COUNT];
/* Set (release) once table[] is complete. The first fmt_get may come from several OpenMP threads at
 * once (a quantizer's parallel loop): one of them builds the table inside a critical section, the
 * others wait there, and every later call reads the flag (acquire) without locking. */
static atomic_int table_ready;

int32_t fmt_abfloat_value(int e, int m, int bias) { return (2 + m) << (e + bias); }

/* Sign-magnitude 4-bit code: bit 3 sign, bits 2:0 index into mag[]. */
static void fill_signmag(FmtDesc *f, int bits, const int32_t *mag)
{
    int half = 1 << (bits - 1);
    for (int c = 0; c < f->ncodes; c++) {
        int s = c >> (bits - 1), i = c & (half - 1);
        f->value[c] = s ? -mag[i] : mag[i];
        f->valid[c] = !(s && i == 0); /* -0 is never a plain grid point */
    }
}

static void fill_twos(FmtDesc *f, int lo, int hi)
{
    for (int c = 0; c < f->ncodes; c++) {
        int v = c >= f->ncodes / 2 ? c - f->ncodes : c;
        f->value[c] = v;
        f->valid[c] = v >= lo && v <= hi;
    }
}

/* OliVe 4-bit normals plus the 8 abfloat outlier codes. Outlier codes live in a
 * separate code space (nibble values 0..15 again), so we number them 16..31 here:
 * code 16 + (s<<3 | e<<1 | m). Code 1000 of the normal space is the victim marker. */
static void fill_olive(FmtDesc *f, int flint)
{
    static const int32_t flint_mag[8] = {0, 1, 2, 3, 4, 6, 8, 16};
    if (flint)
        fill_signmag(f, 4, flint_mag);
    else
        fill_twos(f, -7, 7);
    f->valid[8] = 0; /* 1000: victim marker (int4 -8 / flint -0) */
    int bias = flint ? 3 : 2;
    for (int o = 0; o < 16; o++) {
        int s = o >> 3, e = (o >> 1) & 3, m = o & 1;
        int32_t v = fmt_abfloat_value(e, m, bias);
        f->value[16 + o] = s ? -v : v;
        f->valid[16 + o] = !(e == 0 && m == 0); /* (0,0) would overlap the normal range */
    }
    f->ncodes = 32;
}

static void derive(FmtDesc *f)
{
    /* insertion sort of distinct valid values; the first code seen for a value wins */
    f->nsorted = 0;
    f->max_abs = 0;
    for (int c = 0; c < f->ncodes; c++) {
        if (!f->valid[c])
            continue;
        int32_t v = f->value[c];
        int i = 0;
        while (i < f->nsorted && f->sorted[i] < v)
            i++;
        if (i < f->nsorted && f->sorted[i] == v)
            continue;
        memmove(&f->sorted[i + 1], &f->sorted[i], (size_t)(f->nsorted - i) * sizeof f->sorted[0]);
        memmove(&f->sorted_code[i + 1], &f->sorted_code[i], (size_t)(f->nsorted - i));
        f->sorted[i] = v;
        f->sorted_code[i] = (uint8_t)c;
        f->nsorted++;
        if (v > f->max_abs)
            f->max_abs = v;
        if (-v > f->max_abs)
            f->max_abs = -v;
    }
    f->uniform = f->tie == TIE_EVEN && f->nsorted == f->sorted[f->nsorted - 1] - f->sorted[0] + 1 &&
                 f->nsorted <= FMT_MAX_CODES;
    f->lo = f->sorted[0];
    f->hi = f->sorted[f->nsorted - 1];
    if (f->uniform)
        for (int i = 0; i < f->nsorted; i++)
            f->code_of[f->sorted[i] - f->lo] = f->sorted_code[i];
    f->has_lut = !f->uniform && fmt_lut_build(&f->lut, f->sorted, f->nsorted, f->tie) == 0;
}

int fmt_lut_build(FmtLut *l, const int32_t *sorted, int n, TieRule tie)
{
    /* cover one unit beyond each end; outside, the search saturates to the end values */
    int lo2 = 2 * (sorted[0] - 1), hi2 = 2 * (sorted[n - 1] + 1);
    if (hi2 - lo2 > FMT_LUT_MAX)
        return -1;
    l->lo2 = lo2;
    l->n = hi2 - lo2;
    for (int k = 0; k < l->n; k++) {
        double at = (lo2 + k) / 2.0;
        l->idx[k][1] = (int16_t)fmt_nearest_in(sorted, n, tie, at);
        l->idx[k][0] = (int16_t)fmt_nearest_in(sorted, n, tie, at + 0.25); /* any point inside */
    }
    l->first = 0;
    l->last = n - 1;
    return 0;
}

static void table_init(void)
{
    static const int32_t flint_mag[8] = {0, 1, 2, 3, 4, 6, 8, 16};
    static const int32_t pot_mag[8] = {0, 1, 2, 4, 8, 16, 32, 64};
    static const int32_t fp4_mag[8] = {0, 1, 2, 3, 4, 6, 8, 12}; /* E2M1 x 2 */
    static const int32_t fp3_mag[4] = {0, 1, 2, 4};
    static const struct {
        FmtId id;
        const char *name;
        int bits, special;
        TieRule tie;
    } rows[FMT_COUNT] = {
        {FMT_INT8, "int8", 8, -1, TIE_EVEN},
        {FMT_INT4, "int4", 4, -1, TIE_EVEN},
        {FMT_UINT4, "uint4", 4, -1, TIE_EVEN},
        {FMT_ANT_INT4, "ant-int4", 4, -1, TIE_EVEN},
        {FMT_FLINT4, "flint4", 4, -1, TIE_EVEN},
        {FMT_POT4, "pot4", 4, -1, TIE_EVEN},
        {FMT_BITMOD_FP4, "bitmod-fp4", 4, 8, TIE_DOWN},
        {FMT_BITMOD_FP3, "bitmod-fp3", 3, 4, TIE_DOWN},
        {FMT_OLIVE_INT4, "olive-int4", 4, -1, TIE_AWAY},
        {FMT_OLIVE_FLINT4, "olive-flint4", 4, -1, TIE_AWAY},
        {FMT_ANT_INT8, "ant-int8", 8, -1, TIE_EVEN},
    };
    for (int r = 0; r < FMT_COUNT; r++) {
        FmtDesc *f = &table[rows[r].id];
        memset(f, 0, sizeof *f);
        f->name = rows[r].name;
        f->bits = rows[r].bits;
        f->special_code = rows[r].special;
        f->tie = rows[r].tie;
        f->ncodes = 1 << f->bits;
        switch (rows[r].id) {
        case FMT_INT8: fill_twos(f, -127, 127); break;
        case FMT_INT4: fill_twos(f, -7, 7); break;
        case FMT_UINT4:
            for (int c = 0; c < 16; c++) {
                f->value[c] = c;
                f->valid[c] = 1;
            }
            break;
        case FMT_ANT_INT4: fill_twos(f, -8, 7); break;
        case FMT_FLINT4: fill_signmag(f, 4, flint_mag); break;
        case FMT_POT4: fill_signmag(f, 4, pot_mag); break;
        case FMT_BITMOD_FP4: fill_signmag(f, 4, fp4_mag); break;
        case FMT_BITMOD_FP3: fill_signmag(f, 3, fp3_mag); break;
        case FMT_OLIVE_INT4: fill_olive(f, 0); break;
        case FMT_OLIVE_FLINT4: fill_olive(f, 1); break;
        case FMT_ANT_INT8: fill_twos(f, -128, 127); break;
        default: break;
        }
        derive(f);
    }
    atomic_store_explicit(&table_ready, 1, memory_order_release);
}

const FmtDesc *fmt_get(FmtId id)
{
    if (!atomic_load_explicit(&table_ready, memory_order_acquire)) {
#pragma omp critical(mp_fmt_table)
        if (!atomic_load_explicit(&table_ready, memory_order_relaxed))
            table_init();
    }
    return &table[id];
}

int fmt_nearest_in(const int32_t *s, int n, TieRule tie, double x)
{
    /* index of the first value >= x (binary search), then compare with its neighbour */
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if ((double)s[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    if (lo == n)
        return n - 1;
    double dlo = x - (double)s[lo - 1], dhi = (double)s[lo] - x;
    if (dlo < dhi)
        return lo - 1;
    if (dhi < dlo)
        return lo;
    switch (tie) { /* exact tie */
    case TIE_DOWN: return lo - 1;
    case TIE_AWAY: return x < 0 ? lo - 1 : lo;
    case TIE_EVEN:
    default: return (s[lo - 1] & 1) == 0 ? lo - 1 : lo;
    }
}
