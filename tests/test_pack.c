/* tests/test_pack.c — packed layouts: exhaustive code and pair-byte round trips, documented bit
 * positions, and pack/unpack of quantized matrices of every scheme. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/golden.h"
#include "models/pack.h"
#include "testutil.h"

/* Every width 1..16, every value, at every position of a 3-element window: put/get round trip
 * and neighbours untouched. */
static void bitstream_roundtrip(void **state)
{
    (void)state;
    for (int bits = 1; bits <= 16; bits++) {
        uint8_t row[8];
        for (uint32_t v = 0; v < (1u << bits); v += bits > 10 ? 7 : 1)
            for (int idx = 0; idx < 3; idx++) {
                memset(row, 0xa5, sizeof row);
                uint32_t before[3];
                for (int j = 0; j < 3; j++)
                    before[j] = pack_get_bits(row, j, bits);
                pack_put_bits(row, idx, bits, v);
                for (int j = 0; j < 3; j++)
                    assert_int_equal(pack_get_bits(row, j, bits), j == idx ? v : before[j]);
            }
    }
}

/* The documented positions: 4-bit element 0 is the low nibble; 3-bit elements 0..7 in 3 bytes. */
static void documented_positions(void **state)
{
    (void)state;
    uint8_t row[3] = {0, 0, 0};
    pack_put_bits(row, 0, 4, 0x3);
    pack_put_bits(row, 1, 4, 0xc);
    assert_int_equal(row[0], 0xc3);
    memset(row, 0, 3);
    for (int i = 0; i < 8; i++)
        pack_put_bits(row, i, 3, (uint32_t)i);
    /* 0b111_110_101_100_011_010_001_000 little-endian: 0x88 0xc6 0xfa */
    assert_int_equal(row[0], 0x88);
    assert_int_equal(row[1], 0xc6);
    assert_int_equal(row[2], 0xfa);
}

/* All 256 OliVe pair bytes: legal ones decode and re-encode to themselves; the illegal ones are
 * exactly 1000/1000 and a 1000 beside an unused (e, m) = (0, 0) outlier nibble. */
static void olive_all_bytes(void **state)
{
    (void)state;
    int legal = 0;
    for (int fi = 0; fi < 2; fi++) {
        FmtId f = fi ? FMT_OLIVE_FLINT4 : FMT_OLIVE_INT4;
        legal = 0;
        for (int b = 0; b < 256; b++) {
            uint8_t lo, hi;
            int lo8 = (b & 15) == 8, hi8 = (b >> 4) == 8;
            int expect_bad = (lo8 && hi8) || (lo8 && ((b >> 4) & 7) == 0) || (hi8 && ((b & 15) & 7) == 0);
            int rc = pack_olive_byte_decode(f, (uint8_t)b, &lo, &hi);
            assert_int_equal(rc != 0, expect_bad);
            if (rc)
                continue;
            legal++;
            assert_int_equal(pack_olive_byte(lo, hi), b);
            assert_false(lo >= 16 && hi >= 16);
            if (lo >= 16 || hi >= 16)
                assert_true(lo == 8 || hi == 8);
        }
        /* 15 x 15 normal pairs + 2 x 14 outlier-victim pairs */
        assert_int_equal(legal, 15 * 15 + 2 * 14);
    }
}

/* Quantize, pack, unpack: identical units, codes, scales, zeros and variants for every format,
 * odd column counts and partial groups included; golden GEMM on the unpacked copy is identical. */
static void pack_unpack_all_formats(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("pack_unpack_all_formats", 6));
    for (int fi = 0; fi < num_formats_count; fi++) {
        const NumFormat *nf = &num_formats[fi];
        for (int t = 0; t < 6; t++) {
            int R = 1 + (int)mp_rng_below(&r, 5), C = 1 + (int)mp_rng_below(&r, 300);
            QParams p[2] = {nf->wq, nf->xq};
            for (int side = 0; side < 2; side++) {
                if (p[side].scheme == QS_ASYM_GROUP || p[side].scheme == QS_BITMOD)
                    p[side].group = 4 * (1 + (int)mp_rng_below(&r, 40));
                float *x = tu_matrix(&r, R, C, side ? 2 : 0, 50);
                QMat q, u;
                PackedMat pk;
                MpErr e = {0};
                if (quant_matrix(&p[side], x, R, C, &q, &e) || pack_matrix(&q, &pk, &e) || unpack_matrix(&pk, &u, &e))
                    fail_msg("%s: %s", nf->name, e.msg);
                assert_int_equal(u.fmt, q.fmt);
                assert_memory_equal(u.u, q.u, (size_t)R * C * sizeof *q.u);
                if (q.scheme != QS_FP16)
                    assert_memory_equal(u.code, q.code, (size_t)R * C);
                size_t ns = q.per_tensor ? 1 : (size_t)R * q.ngroups;
                assert_memory_equal(u.scale, q.scale, ns * sizeof *q.scale);
                if (q.zero)
                    assert_memory_equal(u.zero, q.zero, ns * sizeof *q.zero);
                if (q.variant)
                    assert_memory_equal(u.variant, q.variant, ns);
                assert_true(pack_bytes(&pk) >= pk.row_bytes * (size_t)R);
                quant_free(&q);
                quant_free(&u);
                pack_free(&pk);
                free(x);
            }
        }
    }
}

/* Every valid code of every element format, in a row of its own format and layout: pack then
 * unpack returns the same codes and grid values (OliVe types are covered by olive_all_bytes). */
static void every_code_every_format(void **state)
{
    (void)state;
    static const struct {
        QScheme scheme;
        FmtId fmt;
    } cases[] = {{QS_SYM_ROW, FMT_INT8}, {QS_SYM_ROW, FMT_INT4},    {QS_ASYM_GROUP, FMT_UINT4},
                 {QS_ANT, FMT_ANT_INT4}, {QS_ANT, FMT_FLINT4},      {QS_ANT, FMT_POT4},
                 {QS_BITMOD, FMT_BITMOD_FP4}, {QS_BITMOD, FMT_BITMOD_FP3}};
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const FmtDesc *f = fmt_get(cases[ci].fmt);
        int n = 0;
        uint8_t codes[FMT_MAX_CODES];
        for (int c = 0; c < f->ncodes; c++)
            if (f->valid[c] || c == f->special_code)
                codes[n++] = (uint8_t)c;
        /* a hand-built one-row matrix holding each valid code once */
        QMat q;
        memset(&q, 0, sizeof q);
        q.scheme = cases[ci].scheme;
        q.fmt = cases[ci].fmt;
        q.rows = 1;
        q.cols = n;
        q.group = cases[ci].scheme == QS_ASYM_GROUP || cases[ci].scheme == QS_BITMOD ? n : n;
        q.ngroups = 1;
        q.per_tensor = cases[ci].scheme == QS_ANT;
        q.code = codes;
        int32_t u[FMT_MAX_CODES];
        float scale = 0.5f;
        int32_t zero = 3;
        uint8_t variant = BM_EA_POS;
        for (int i = 0; i < n; i++)
            u[i] = codes[i] == f->special_code ? quant_bitmod_special(q.fmt, BM_EA_POS) : f->value[codes[i]];
        q.u = u;
        q.scale = &scale;
        q.zero = cases[ci].scheme == QS_ASYM_GROUP ? &zero : NULL;
        q.variant = cases[ci].scheme == QS_BITMOD ? &variant : NULL;
        PackedMat pk;
        QMat back;
        MpErr e = {0};
        if (pack_matrix(&q, &pk, &e) || unpack_matrix(&pk, &back, &e))
            fail_msg("%s: %s", f->name, e.msg);
        assert_int_equal(back.fmt, q.fmt);
        for (int i = 0; i < n; i++) {
            assert_int_equal(back.code[i], codes[i]);
            assert_int_equal(back.u[i], u[i]);
        }
        pack_free(&pk);
        quant_free(&back);
    }
}

/* pack_alloc gives the geometry pack_matrix gives a quantized matrix, for every format, both sides,
 * odd shapes and partial groups (it restates quant_matrix's rules: this is what keeps them equal);
 * the arrays it allocates are zero; bad types are refused. */
static void alloc_matches_pack(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("alloc_matches_pack", 8));
    for (int fi = 0; fi < num_formats_count; fi++) {
        const NumFormat *nf = &num_formats[fi];
        for (int t = 0; t < 4; t++) {
            int R = 1 + (int)mp_rng_below(&r, 5), C = 1 + (int)mp_rng_below(&r, 300);
            QParams p[2] = {nf->wq, nf->xq};
            for (int side = 0; side < 2; side++) {
                if (p[side].scheme == QS_ASYM_GROUP || p[side].scheme == QS_BITMOD)
                    p[side].group = t == 0 ? 0 : 4 * (1 + (int)mp_rng_below(&r, 40));
                float *x = tu_matrix(&r, R, C, side ? 2 : 0, 50);
                QMat q;
                PackedMat pk, pa;
                MpErr e = {0};
                if (quant_matrix(&p[side], x, R, C, &q, &e) || pack_matrix(&q, &pk, &e) ||
                    pack_alloc(&p[side], R, C, pk.type, &pa, &e))
                    fail_msg("%s: %s", nf->name, e.msg);
                assert_int_equal(pa.scheme, pk.scheme);
                assert_int_equal(pa.fmt, pk.fmt);
                assert_int_equal(pa.rows, pk.rows);
                assert_int_equal(pa.cols, pk.cols);
                assert_int_equal(pa.group, pk.group);
                assert_int_equal(pa.ngroups, pk.ngroups);
                assert_int_equal(pa.per_tensor, pk.per_tensor);
                assert_int_equal(pa.bits, pk.bits);
                assert_int_equal(pa.type, pk.type);
                assert_int_equal(pa.row_bytes, pk.row_bytes);
                assert_int_equal(pa.zero_row_bytes, pk.zero_row_bytes);
                assert_int_equal(pa.scale16 != NULL, pk.scale16 != NULL);
                assert_int_equal(pa.scale32 != NULL, pk.scale32 != NULL);
                assert_int_equal(pa.zero4 != NULL, pk.zero4 != NULL);
                assert_int_equal(pa.meta != NULL, pk.meta != NULL);
                assert_int_equal(pack_bytes(&pa), pack_bytes(&pk));
                for (size_t i = 0; i < (size_t)R * pa.row_bytes; i++)
                    assert_int_equal(pa.codes[i], 0);
                quant_free(&q);
                pack_free(&pk);
                pack_free(&pa);
                free(x);
            }
        }
    }
    PackedMat pa;
    MpErr e = {0};
    QParams olive = {QS_OLIVE, 0, 0, 0, 0, 0, ANT_FB_OFF, 0}, ant = {QS_ANT, 0, 0, 1, 0, 0, ANT_FB_OFF, 0},
            i8 = {QS_SYM_ROW, FMT_INT8, 0, 0, 0, 0, ANT_FB_OFF, 0};
    assert_int_equal(pack_alloc(&olive, 2, 8, 2, &pa, &e), MP_EINPUT);
    assert_int_equal(pack_alloc(&ant, 2, 8, 4, &pa, &e), MP_EINPUT);
    assert_int_equal(pack_alloc(&i8, 2, 8, 1, &pa, &e), MP_EINPUT);
    assert_int_equal(pack_alloc(&i8, 0, 8, 0, &pa, &e), MP_EINPUT);
    assert_int_equal(pack_alloc(&ant, 2, 8, 2, &pa, &e), MP_OK);
    assert_int_equal(pa.fmt, FMT_POT4);
    assert_int_equal(pa.per_tensor, 1);
    pack_free(&pa);
    assert_int_equal(pack_alloc(&ant, 2, 8, 3, &pa, &e), MP_OK); /* ANT's 8-bit fallback: 8-bit codes */
    assert_int_equal(pa.fmt, FMT_ANT_INT8);
    assert_int_equal(pa.bits, 8);
    assert_int_equal(pa.row_bytes, 8);
    pack_free(&pa);
}

static void rejects_illegal(void **state)
{
    (void)state;
    float x[4] = {1, 2, 3, 4};
    QParams p = {QS_OLIVE, 0, 0, 0, 0, 0, ANT_FB_OFF, 0};
    QMat q, u;
    PackedMat pk;
    MpErr e = {0};
    assert_int_equal(quant_matrix(&p, x, 1, 4, &q, &e), MP_OK);
    assert_int_equal(pack_matrix(&q, &pk, &e), MP_OK);
    pk.codes[1] = 0x88;
    assert_int_equal(unpack_matrix(&pk, &u, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "illegal pair byte 0x88"));
    quant_free(&q);
    pack_free(&pk);
    QParams pi = {QS_SYM_ROW, FMT_INT4, 0, 0, 0, 0, ANT_FB_OFF, 0};
    mp_err_clear(&e);
    assert_int_equal(quant_matrix(&pi, x, 1, 4, &q, &e), MP_OK);
    assert_int_equal(pack_matrix(&q, &pk, &e), MP_OK);
    pk.codes[0] = 0x08; /* int4 1000 is not a value of the symmetric format */
    assert_int_equal(unpack_matrix(&pk, &u, &e), MP_EINPUT);
    quant_free(&q);
    pack_free(&pk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bitstream_roundtrip),     cmocka_unit_test(documented_positions),
        cmocka_unit_test(olive_all_bytes),         cmocka_unit_test(pack_unpack_all_formats),
        cmocka_unit_test(every_code_every_format), cmocka_unit_test(rejects_illegal),
        cmocka_unit_test(alloc_matches_pack),
    };
    return cmocka_run_group_tests_name("pack", tests, NULL, NULL);
}
