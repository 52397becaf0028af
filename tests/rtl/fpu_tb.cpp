// tests/rtl/fpu_tb.cpp — the RTL fp units (rtl/fp/) against the C library, on random and special
// operands: fp32 FMA vs fmaf, fp16 multiply vs fp16_mul, the BitMoD {6,15} accumulator add vs
// fpx_round, int64 -> fp32 (times 2^e) vs the C conversion; and, exhaustively (all 128 inputs), the
// <e,i> -> fp16 converter (rtl/edge/mp_expint_fp16.v) vs fp16_from_f64(i << e), which must also be
// exact. Prints "rtl-fpu: N passed, N failed" (N units).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "Vfpu_top.h"
#include "verilated.h"

extern "C" {
#include "base/rng.h"
#include "models/fpx.h"
}

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static int isnan32(uint32_t u) { return (u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu); }

/* random fp32 with every class likely: zeros, subnormals, normals near each other, Inf/NaN */
static uint32_t rand32(MpRng *r, uint32_t near)
{
    uint32_t k = (uint32_t)mp_rng_below(r, 16), u = (uint32_t)mp_rng_u64(r);
    switch (k) {
    case 0: return u & 0x80000000u;                           /* +-0 */
    case 1: return (u & 0x807fffffu);                         /* subnormal */
    case 2: return (u & 0x80000000u) | 0x7f800000u | (k & 1); /* inf (nan rarely) */
    case 3: return near ^ (u & 0x8000000fu);                  /* near another operand */
    case 4: return near ^ 0x80000000u;                        /* its negation */
    case 5: return (u & 0x807fffffu) | ((uint32_t)(1 + mp_rng_below(r, 40)) << 23); /* tiny normal */
    case 6: return (u & 0x807fffffu) | ((uint32_t)(215 + mp_rng_below(r, 40)) << 23); /* huge */
    default: return (u & 0x807fffffu) | ((uint32_t)(100 + mp_rng_below(r, 56)) << 23);
    }
}

int main(int argc, char **argv)
{
    Verilated::commandArgs(argc, argv);
    unsigned long long seed = 1;
    long n = 200000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) n = strtol(argv[++i], NULL, 0);
    }
    printf("# fpu: seed %llu, %ld vectors per unit (--seed N to replay)\n", seed, n);
    MpRng r;
    mp_rng_seed(&r, seed);
    Vfpu_top *t = new Vfpu_top;
    long pass = 0, fail = 0, ufail[5] = {0, 0, 0, 0, 0};
    const FpxFmt acc = {6, 15, 0};
    for (long i = 0; i < n; i++) {
        /* fp32 FMA */
        uint32_t a = rand32(&r, 0x3f800000u), b = rand32(&r, a);
        uint32_t c = mp_rng_below(&r, 2) ? f2u(u2f(a) * u2f(b)) : rand32(&r, a);
        if (mp_rng_below(&r, 4) == 0) c ^= (uint32_t)mp_rng_below(&r, 4) | 0x80000000u; /* cancellation */
        /* fp16 multiply */
        uint16_t h1 = (uint16_t)mp_rng_u64(&r), h2 = (uint16_t)mp_rng_u64(&r);
        if (mp_rng_below(&r, 2)) h1 = (uint16_t)((h1 & 0x83ff) | (mp_rng_below(&r, 8) << 10)); /* small */
        /* {6,15} accumulator + S * 2^e, S a 17-bit signed lane sum */
        uint32_t A = (uint32_t)mp_rng_u64(&r) & 0x3fffffu;
        int32_t S = (int32_t)mp_rng_below(&r, 1u << 17) - (1 << 16);
        if (S == -(1 << 16)) S = 0;
        int e = (int)mp_rng_below(&r, 64) - 40;
        if (mp_rng_below(&r, 3) == 0) { /* near A: cancellation and carries */
            double av = fpx_to_f64(&acc, A);
            int ex; (void)frexp(av, &ex);
            e = ex - 17 + (int)mp_rng_below(&r, 5) - 2;
            if (e < -100) e = -40;
            if (e > 60) e = 30;
        }
        /* int64 -> fp32 * 2^ie */
        int64_t iv = (int64_t)mp_rng_u64(&r) >> mp_rng_below(&r, 64);
        int ie = (int)mp_rng_below(&r, 60) - 40;

        t->a32 = a; t->b32 = b; t->c32 = c;
        t->a16 = h1; t->b16 = h2;
        t->acc = A; t->s17 = (uint32_t)S & 0x1ffffu; t->e8 = (uint8_t)(int8_t)e;
        t->i64 = (uint64_t)iv; t->ie = (uint8_t)(int8_t)ie;
        t->eval();

        uint32_t want = f2u(fmaf(u2f(a), u2f(b), u2f(c)));
        if (want == t->fma32 || (isnan32(want) && isnan32(t->fma32))) pass++;
        else if (ufail[0]++, fail++ < 10) printf("FAIL fma32(%08x, %08x, %08x): want %08x got %08x\n", a, b, c, want, t->fma32);

        uint16_t w16 = fp16_mul(h1, h2);
        int n16 = fp16_is_nan(w16) && fp16_is_nan((uint16_t)t->mul16);
        if (w16 == t->mul16 || n16) pass++;
        else if (ufail[1]++, fail++ < 10) printf("FAIL mul16(%04x, %04x): want %04x got %04x\n", h1, h2, w16, t->mul16);

        /* reference: exact in double when the two addends overlap enough; skip the others */
        double av = fpx_to_f64(&acc, A), sv = (double)S * ldexp(1.0, e), s = av + sv;
        double bb = s - av, err = (av - (s - bb)) + (sv - bb); /* TwoSum error */
        if (err == 0) {
            uint32_t wa = fpx_from_f64(&acc, fpx_round(&acc, s));
            if (wa == t->acc_out) pass++;
            else if (ufail[2]++, fail++ < 10)
                printf("FAIL acc(%06x + %d*2^%d): want %06x got %06x\n", A, S, e, wa, t->acc_out);
        }

        uint32_t wi = f2u(ldexpf((float)iv, ie)); /* (float) rounds once; ldexpf exact unless tiny */
        float fv = (float)iv;
        if (fabsf(ldexpf(fv, ie)) >= 0x1p-126f || fv == 0) {
            if (wi == t->i2f) pass++;
            else if (ufail[3]++, fail++ < 10) printf("FAIL i2f(%lld * 2^%d): want %08x got %08x\n", (long long)iv, ie, wi, t->i2f);
        }
    }
    /* <e,i> -> fp16, every input: i a 4-bit signed integer, e 0..7 */
    for (int v = 0; v < 128; v++) {
        const int i4 = (v & 8) ? (v & 15) - 16 : (v & 15), e = v >> 4;
        const double want_v = (double)i4 * (double)(1 << e);
        const uint16_t want = fp16_from_f64(want_v);
        t->ei = (uint8_t)v;
        t->eval();
        if (want == t->ei16 && fp16_to_f64(want) == want_v) pass++;
        else if (ufail[4]++, fail++ < 10) printf("FAIL ei16(e %d, i %d): want %04x got %04x\n", e, i4, want, t->ei16);
    }
    t->final();
    delete t;
    int ubad = 0;
    for (int u = 0; u < 5; u++) ubad += ufail[u] != 0;
    printf("# fpu: %ld vectors passed, %ld failed (fma32, mul16, bitmod accumulator, int->fp32; <e,i>->fp16 "
           "exhaustive)\n", pass, fail);
    printf("rtl-fpu: %d passed, %d failed\n", 5 - ubad, ubad);
    return fail ? 1 : 0;
}
