/* tests/test_safetensors.c — the strict safetensors reader and the writer.
 *
 * Oracles: a file written by the official safetensors library (tests/data/st/, see its
 * README), files built byte by byte here, models/fpx.h's conversions (tested exhaustively
 * in test_fpx.c) and, for hostile files, the rule list of docs/data.md: every case below
 * must be refused with MP_EINPUT and a message naming the file and the problem. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "base/alloc.h"
#include "base/rng.h"
#include "models/fpx.h"
#include "traces/safetensors.h"

static char tmpdir[] = "/tmp/mpsim_st_XXXXXX";

static int setup_dir(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown_dir(void **state) { (void)state; return tu_rmdir(tmpdir, NULL); }
static const char *tpath(const char *name) { return tu_path(tmpdir, name); }

static unsigned char *read_raw(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 20];
    *n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

/* 8-byte length + header text + data, into buf; returns the total length. */
static size_t build(unsigned char *buf, uint64_t hlen, const char *hdr, const void *data, size_t dlen)
{
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(hlen >> (8 * i));
    size_t n = strlen(hdr);
    memcpy(buf + 8, hdr, n);
    if (dlen)
        memcpy(buf + 8 + n, data, dlen);
    return 8 + n + dlen;
}

static size_t build_st(unsigned char *buf, const char *hdr, const void *data, size_t dlen)
{
    return build(buf, strlen(hdr), hdr, data, dlen);
}

/* The file must be refused with MP_EINPUT, naming the file and containing `needle`. */
static void expect_bad_file(const char *path, const char *needle)
{
    StFile *f = (StFile *)1;
    MpErr e = {0};
    int rc = st_open(path, &f, &e);
    if (rc != MP_EINPUT || !strstr(e.msg, path) || !strstr(e.msg, needle))
        print_error("rc=%d msg='%s' (wanted '%s')\n", rc, e.msg, needle);
    assert_int_equal(rc, MP_EINPUT);
    assert_null(f);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, needle));
}

/* The file opens (else the test fails, printing why). */
static StFile *open_ok(const char *path)
{
    StFile *f = NULL;
    MpErr e = {0};
    int rc = st_open(path, &f, &e);
    if (rc)
        print_error("%s\n", e.msg);
    assert_int_equal(rc, MP_OK);
    return f;
}

/* The header length of a file's bytes: the first 8, little-endian. */
static uint64_t header_len(const unsigned char *b)
{
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = hl << 8 | b[i];
    return hl;
}

static unsigned char zeros[64];

/* ---- round trips ------------------------------------------------------------------- */

static int same_float(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return tu_f32_bits(a) == tu_f32_bits(b);
}

static void write_one(const char *path, const char *name, StDtype dt, int rank, const uint64_t *shape,
                      const float *data)
{
    StWriter *w = NULL;
    MpErr e = {0};
    assert_int_equal(st_writer_new(&w, &e), MP_OK);
    assert_int_equal(st_writer_add(w, name, dt, rank, shape, data, &e), MP_OK);
    assert_int_equal(st_writer_write(w, path, &e), MP_OK);
    st_writer_free(w);
}

static float *read_one(const char *path, const char *name, StDtype dt, uint64_t numel)
{
    StFile *f = open_ok(path);
    MpErr e = {0};
    long i = st_find(f, name);
    assert_true(i >= 0);
    assert_int_equal(st_dtype(f, (size_t)i), dt);
    assert_int_equal(st_numel(f, (size_t)i), numel);
    float *x = NULL;
    assert_int_equal(st_read_f32_alloc(f, (size_t)i, &x, &e), MP_OK);
    st_close(f);
    return x;
}

/* F32: every bit pattern class survives (signed zeros, subnormals, extremes, inf, NaN). */
static void roundtrip_f32(void **state)
{
    (void)state;
    float v[4096];
    MpRng r;
    mp_rng_seed(&r, 11);
    for (int i = 0; i < 4096; i++)
        v[i] = tu_f32_of_bits((uint32_t)mp_rng_u64(&r));
    v[0] = 0.0f, v[1] = -0.0f, v[2] = 1.401298464e-45f, v[3] = 3.4028234663852886e38f, v[4] = INFINITY,
    v[5] = -INFINITY, v[6] = NAN, v[7] = 1.17549435e-38f;
    uint64_t shape[3] = {16, 16, 16};
    write_one(tpath("f32.st"), "x", ST_F32, 3, shape, v);
    float *x = read_one(tpath("f32.st"), "x", ST_F32, 4096);
    for (int i = 0; i < 4096; i++)
        assert_true(same_float(x[i], v[i]));
    mp_free(x);
}

/* F16 and BF16: all 65536 codes are read back exactly, and floats in between are
 * rounded as fpx.h rounds them (RNE). */
static void roundtrip_16(StDtype dt)
{
    static float v[65536 * 2], want[65536 * 2];
    MpRng r;
    mp_rng_seed(&r, 12);
    for (uint32_t c = 0; c < 65536; c++) {
        v[c] = dt == ST_F16 ? fp16_to_f32((uint16_t)c) : bf16_to_f32((uint16_t)c);
        want[c] = v[c];
        float y = (float)(mp_rng_normal(&r) * 100.0);
        v[65536 + c] = y;
        want[65536 + c] = dt == ST_F16 ? fp16_to_f32(fp16_from_f32(y)) : bf16_to_f32(bf16_from_f32(y));
    }
    uint64_t shape[2] = {2, 65536};
    write_one(tpath("h.st"), "t", dt, 2, shape, v);
    float *x = read_one(tpath("h.st"), "t", dt, 2 * 65536);
    for (uint32_t i = 0; i < 2 * 65536; i++)
        assert_true(same_float(x[i], want[i]));
    mp_free(x);
    /* the bytes on disk are the codes themselves, little-endian */
    size_t n;
    unsigned char *b = read_raw(tpath("h.st"), &n);
    uint64_t hl = header_len(b);
    assert_int_equal(n, 8 + hl + 4 * 65536);
    for (uint32_t c = 0; c < 65536; c++) {
        uint16_t got = (uint16_t)(b[8 + hl + 2 * c] | b[8 + hl + 2 * c + 1] << 8);
        if (dt == ST_F16 && fp16_is_nan((uint16_t)c))
            assert_true(fp16_is_nan(got));
        else if (dt == ST_BF16 && isnan(bf16_to_f32((uint16_t)c)))
            assert_true(isnan(bf16_to_f32(got)));
        else
            assert_int_equal(got, c);
    }
}
static void roundtrip_f16(void **state) { (void)state, roundtrip_16(ST_F16); }
static void roundtrip_bf16(void **state) { (void)state, roundtrip_16(ST_BF16); }

/* Several tensors, scalars, empty tensors, metadata; index order is name order. */
static void roundtrip_many(void **state)
{
    (void)state;
    StWriter *w = NULL;
    MpErr e = {0};
    float a[6] = {1, 2, 3, 4, 5, 6}, s = -7.5f;
    uint64_t sh23[2] = {2, 3}, sh0[2] = {0, 5};
    assert_int_equal(st_writer_new(&w, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "zeta", ST_BF16, 2, sh23, a, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "alpha", ST_F32, 0, NULL, &s, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "empty", ST_F16, 2, sh0, NULL, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "layers.0.q_proj.weight", ST_F16, 2, sh23, a, &e), MP_OK);
    assert_int_equal(st_writer_set_meta(w, "format", "pt", &e), MP_OK);
    assert_int_equal(st_writer_set_meta(w, "quote\"back\\slash\nnl", "v\x01", &e), MP_OK);
    assert_int_equal(st_writer_set_meta(w, "format", "mpsim", &e), MP_OK); /* replaces */
    assert_int_equal(st_writer_write(w, tpath("many.st"), &e), MP_OK);
    st_writer_free(w);

    StFile *f = open_ok(tpath("many.st"));
    assert_int_equal(st_count(f), 4);
    assert_string_equal(st_name(f, 0), "alpha");
    assert_string_equal(st_name(f, 1), "empty");
    assert_string_equal(st_name(f, 2), "layers.0.q_proj.weight");
    assert_string_equal(st_name(f, 3), "zeta");
    assert_int_equal(st_find(f, "zeta"), 3);
    assert_int_equal(st_find(f, "nope"), -1);
    assert_int_equal(st_rank(f, 0), 0);
    assert_int_equal(st_numel(f, 0), 1);
    assert_int_equal(st_numel(f, 1), 0);
    assert_int_equal(st_shape(f, 3)[1], 3);
    uint64_t b, en;
    st_offsets(f, 0, &b, &en); /* writer lays tensors out in name order */
    assert_int_equal(b, 0);
    assert_int_equal(en, 4);
    assert_int_equal(st_data_bytes(f), 4 + 0 + 12 + 12);
    float x[6];
    assert_int_equal(st_read_f32(f, 0, x, 1, &e), MP_OK);
    assert_true(x[0] == -7.5f);
    assert_int_equal(st_read_f32(f, 1, x, 0, &e), MP_OK);
    assert_int_equal(st_read_f32(f, 3, x, 6, &e), MP_OK);
    for (int i = 0; i < 6; i++)
        assert_true(x[i] == a[i]);
    assert_int_equal(st_read_f32(f, 3, x, 5, &e), MP_EINPUT); /* buffer too small */
    assert_int_equal(st_meta_count(f), 2);
    assert_string_equal(st_meta_get(f, "format"), "mpsim");
    assert_string_equal(st_meta_get(f, "quote\"back\\slash\nnl"), "v\x01");
    assert_null(st_meta_get(f, "absent"));
    st_close(f);

    /* header padded with spaces to a multiple of 8 */
    size_t n;
    unsigned char *raw = read_raw(tpath("many.st"), &n);
    uint64_t hl = header_len(raw);
    assert_int_equal(hl % 8, 0);
    assert_int_equal(raw[8 + hl - 1], ' ');
}

/* A file written by the official safetensors library 0.8.0 (Python, numpy backend). */
static void reads_reference_library_file(void **state)
{
    (void)state;
    StFile *f = open_ok(MPSIM_DATADIR "/tests/data/st/ref_python.safetensors");
    MpErr e = {0};
    assert_int_equal(st_count(f), 4);
    assert_string_equal(st_meta_get(f, "format"), "np");
    float x[6];
    long i = st_find(f, "b.weight");
    assert_int_equal(st_dtype(f, (size_t)i), ST_F16);
    assert_int_equal(st_rank(f, (size_t)i), 2);
    assert_int_equal(st_read_f32(f, (size_t)i, x, 6, &e), MP_OK);
    const float wb[6] = {1.0f, -2.5f, 0.333251953125f, 65504.0f, -0.0f, 6.103515625e-05f};
    for (int j = 0; j < 6; j++)
        assert_true(same_float(x[j], wb[j]));
    i = st_find(f, "a.bias");
    assert_int_equal(st_read_f32(f, (size_t)i, x, 6, &e), MP_OK);
    const float wa[4] = {1.0f, -2.5f, 3.4028234663852886e38f, 1.401298464324817e-45f};
    for (int j = 0; j < 4; j++)
        assert_true(same_float(x[j], wa[j]));
    i = st_find(f, "scalar");
    assert_int_equal(st_rank(f, (size_t)i), 0);
    assert_int_equal(st_read_f32(f, (size_t)i, x, 1, &e), MP_OK);
    assert_true(x[0] == 7.25f);
    i = st_find(f, "empty");
    assert_int_equal(st_numel(f, (size_t)i), 0);
    assert_int_equal(st_shape(f, (size_t)i)[1], 3);
    st_close(f);
}

/* A file built byte by byte (header order differs from name order and from data order),
 * with all three dtypes: proves we read the format, not just our own writer. */
static void reads_hand_built_file(void **state)
{
    (void)state;
    const char *hdr = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                      "\"__metadata__\":{\"format\":\"pt\"},"
                      "\"a\":{\"shape\":[1,2],\"dtype\":\"F32\",\"data_offsets\":[0,8]},"
                      "\"c\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[12,16]}}   ";
    const unsigned char data[16] = {
        0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, /* a: F32 1.0, -2.5 */
        0x80, 0x3f, 0x49, 0x40,                         /* b: BF16 0x3f80 = 1.0, 0x4049 = 3.140625 */
        0x00, 0x3c, 0x01, 0x80,                         /* c: F16 0x3c00 = 1.0, 0x8001 = -2^-24 */
    };
    unsigned char buf[512];
    size_t n = build_st(buf, hdr, data, sizeof data);
    tu_write(tpath("hand.st"), buf, n);
    StFile *f = open_ok(tpath("hand.st"));
    MpErr e = {0};
    assert_int_equal(st_count(f), 3);
    assert_string_equal(st_meta_get(f, "format"), "pt");
    float x[2];
    assert_int_equal(st_read_f32(f, 0, x, 2, &e), MP_OK);
    assert_true(x[0] == 1.0f && x[1] == -2.5f);
    assert_int_equal(st_read_f32(f, 1, x, 2, &e), MP_OK);
    assert_true(x[0] == 1.0f && x[1] == 3.140625f);
    assert_int_equal(st_read_f32(f, 2, x, 2, &e), MP_OK);
    assert_true(x[0] == 1.0f && x[1] == -0x1p-24f);
    st_close(f);
}

/* The writer's bytes for a small case, spelled out: what the reference writer produces. */
static void writer_bytes_exact(void **state)
{
    (void)state;
    float v[2] = {1.0f, -2.0f};
    uint64_t shape[1] = {2};
    StWriter *w = NULL;
    MpErr e = {0};
    assert_int_equal(st_writer_new(&w, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "x", ST_F16, 1, shape, v, &e), MP_OK);
    assert_int_equal(st_writer_set_meta(w, "k", "v", &e), MP_OK);
    assert_int_equal(st_writer_write(w, tpath("exact.st"), &e), MP_OK);
    st_writer_free(w);
    const char *hdr = "{\"__metadata__\":{\"k\":\"v\"},\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
    unsigned char want[256];
    char padded[200];
    size_t hl = strlen(hdr);
    memcpy(padded, hdr, hl);
    while (hl % 8)
        padded[hl++] = ' ';
    padded[hl] = '\0';
    const unsigned char d[4] = {0x00, 0x3c, 0x00, 0xc0};
    size_t wn = build_st(want, padded, d, 4);
    size_t n;
    unsigned char *got = read_raw(tpath("exact.st"), &n);
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, n);
}

/* ---- hostile files ----------------------------------------------------------------- */

typedef struct BadCase {
    const char *label;
    const char *hdr;     /* header text                                     */
    size_t dlen;         /* data bytes (zeros) after it                      */
    const char *needle;  /* must appear in the message                       */
} BadCase;

#define T(name, rest) "\"" name "\":{" rest "}"
#define F32x2(off) "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" off

static const BadCase bad_cases[] = {
    {"not JSON", "{\"a\":", 0, "not valid JSON"},
    {"not JSON 2", "{\"a\" 1}", 0, "not valid JSON"},
    {"not an object", "[]", 0, "not an object"},
    {"string root", "\"abc\"", 0, "not an object"},
    {"trailing junk", "{} {}", 0, "unexpected data after the JSON object"},
    {"duplicate tensor", "{" T("a", F32x2("[0,8]")) "," T("a", F32x2("[8,16]")) "}", 16, "'a' appears twice"},
    {"duplicate metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "__metadata__ appears twice"},
    {"duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "key 'k' appears twice"},
    {"duplicate key in tensor", "{" T("a", "\"dtype\":\"F32\"," F32x2("[0,8]")) "}", 8, "key 'dtype' appears twice"},
    {"unknown dtype", "{" T("a", "\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]") "}", 8,
     "unknown dtype 'Q7'"},
    {"lowercase dtype", "{" T("a", "\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]") "}", 8,
     "unknown dtype 'f32'"},
    {"F4 not whole bytes", "{" T("a", "\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]") "}", 2,
     "is 12 bits, not a whole number of bytes"},
    {"I8 size mismatch", "{" T("a", "\"dtype\":\"I8\",\"shape\":[8],\"data_offsets\":[0,4]") "}", 4,
     "hold 4 bytes but shape [8] of I8 needs 8"},
    {"dtype not string", "{" T("a", "\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]") "}", 8,
     "dtype is not a string"},
    {"shape float", "{" T("a", "\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]") "}", 8,
     "2.5 is not an integer"},
    {"shape float integral", "{" T("a", "\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]") "}", 8,
     "2.0 is not an integer"},
    {"shape exponent", "{" T("a", "\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]") "}", 8,
     "not an integer"},
    {"shape negative", "{" T("a", "\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]") "}", 8,
     "shape[0] is negative"},
    {"shape minus zero", "{" T("a", "\"dtype\":\"F32\",\"shape\":[-0],\"data_offsets\":[0,0]") "}", 0,
     "shape[0] is negative"},
    {"shape above 2^53", "{" T("a", "\"dtype\":\"F32\",\"shape\":[9007199254740993],\"data_offsets\":[0,8]") "}", 8,
     "larger than 2^53"},
    {"shape string", "{" T("a", "\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]") "}", 8,
     "shape[0] is not a number"},
    {"shape not array", "{" T("a", "\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]") "}", 8,
     "shape is not an array"},
    {"shape leading zero", "{" T("a", "\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]") "}", 8,
     "leading zero"},
    {"numel overflow",
     "{" T("a", "\"dtype\":\"F16\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]") "}", 8,
     "more than 2^64 elements"},
    {"bytes overflow",
     "{" T("a", "\"dtype\":\"F32\",\"shape\":[4294967296,2147483648],\"data_offsets\":[0,8]") "}", 8,
     "more than 2^64 bits"},
    {"rank 9", "{" T("a", "\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]") "}", 8,
     "rank is at most 8"},
    {"offsets one", "{" T("a", F32x2("[0]")) "}", 8, "data_offsets is not an array of two integers"},
    {"offsets three", "{" T("a", F32x2("[0,8,8]")) "}", 8, "data_offsets is not an array of two integers"},
    {"offsets string", "{" T("a", F32x2("[0,\"8\"]")) "}", 8, "not an array of two non-negative integers"},
    {"offsets negative", "{" T("a", F32x2("[-1,7]")) "}", 8, "not an array of two non-negative integers"},
    {"offsets float", "{" T("a", F32x2("[0,8.0]")) "}", 8, "8.0 is not an integer"},
    {"offsets reversed", "{" T("a", "\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]") "}", 8,
     "end before they begin"},
    {"size mismatch", "{" T("layers.0.q_proj.weight", "\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,10]") "}",
     10, "tensor 'layers.0.q_proj.weight': data_offsets [0, 10] hold 10 bytes but shape [2, 3] of F16 needs 12"},
    {"beyond buffer", "{" T("a", F32x2("[0,8]")) "," T("b", F32x2("[8,16]")) "}", 8,
     "reach past the data buffer of 8 bytes"},
    {"overlap", "{" T("a", F32x2("[0,8]")) "," T("b", F32x2("[4,12]")) "}", 12,
     "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]"},
    {"same range", "{" T("a", F32x2("[0,8]")) "," T("b", F32x2("[0,8]")) "}", 8, "overlap"},
    {"empty inside", "{" T("a", F32x2("[0,8]")) "," T("b", "\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]") "}",
     8, "overlap"},
    {"hole", "{" T("a", F32x2("[0,8]")) "," T("b", F32x2("[12,20]")) "}", 20,
     "bytes [8, 12) of the data buffer belong to no tensor"},
    {"hole at start", "{" T("a", F32x2("[4,12]")) "}", 12, "bytes [0, 4) of the data buffer belong to no tensor"},
    {"bytes left over", "{" T("a", F32x2("[0,8]")) "}", 12, "bytes [8, 12) at the end of the data buffer"},
    {"data but no tensor", "{}", 4, "lists no tensor"},
    {"metadata value number", "{\"__metadata__\":{\"a\":1}}", 0, "value of 'a' is not a string"},
    {"metadata value object", "{\"__metadata__\":{\"a\":{}}}", 0, "value of 'a' is not a string"},
    {"metadata not object", "{\"__metadata__\":\"x\"}", 0, "__metadata__ is not a JSON object"},
    {"entry not object", "{\"a\":5}", 0, "tensor 'a': entry is not a JSON object"},
    {"unknown key", "{" T("a", F32x2("[0,8]") ",\"offset\":0") "}", 8, "unknown key 'offset'"},
    {"missing key", "{" T("a", "\"dtype\":\"F32\",\"shape\":[2]") "}", 8, "missing 'data_offsets'"},
    {"bad utf8", "{\"\xc3\x28\":{}}", 0, "invalid UTF-8"},
    {"overlong utf8", "{\"\xc0\xaf\":{}}", 0, "invalid UTF-8"},
    {"surrogate utf8", "{\"\xed\xa0\x80\":{}}", 0, "invalid UTF-8"},
    {"nul escape", "{\"a\\u0000b\":{}}", 0, "\\u0000 inside a string"},
    {"raw control in string", "{\"a\tb\":{}}", 0, "raw control byte 0x09 inside a string"},
    {"control outside string", "{\x01}", 0, "control byte 0x01 outside a string"},
    {"byte outside string", "\xef\xbb\xbf{}", 0, "byte 0xef outside a string"},
    {"deep nesting", "{\"a\":{\"b\":[[1]]}}", 0, "nested deeper than 3 levels"},
    {"unterminated string", "{\"abc", 0, "string never ends"},
    {"huge number", "{" T("a", F32x2("[0,100000000000000000000000000000000]")) "}", 8, "larger than 2^53"},
};

static void bad_header(void **state)
{
    const BadCase *c = *state;
    unsigned char buf[1024];
    size_t n = build_st(buf, c->hdr, zeros, c->dlen);
    tu_write(tpath("bad.st"), buf, n);
    expect_bad_file(tpath("bad.st"), c->needle);
}

/* The 8-byte header length, wrong whatever the header says. */
typedef struct BadLength {
    const char *label;
    uint64_t hlen;      /* the length field                          */
    const char *hdr;    /* header text after it (no data follows)    */
    const char *needle; /* must appear in the message                */
} BadLength;

static const BadLength bad_lengths[] = {
    {"header length 0", 0, "{}", "header length is 0"},
    {"header length past the file", 40, "{}      ", "header length 40 but only 8 bytes follow"},
    /* a huge length must be refused before anything is allocated for it */
    {"header length 2^64 - 1", UINT64_MAX, "{}", "larger than the cap"},
    {"header length cap + 1", ST_HEADER_CAP + 1, "{}", "larger than the cap of 104857600 bytes"},
};

static void bad_length(void **state)
{
    const BadLength *c = *state;
    unsigned char buf[64];
    size_t n = build(buf, c->hlen, c->hdr, NULL, 0);
    tu_write(tpath("len.st"), buf, n);
    expect_bad_file(tpath("len.st"), c->needle);
}

/* Other dtypes of the format: the file opens (its layout is checked like any other),
 * the float tensors read, and reading an I8/F64/I64 tensor is a clear error. */
static void other_dtypes_open_but_do_not_convert(void **state)
{
    (void)state;
    const char *hdr = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                      "\"q\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[16,20]},"
                      "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[20,28]},"
                      "\"p\":{\"dtype\":\"F4\",\"shape\":[2,2],\"data_offsets\":[28,30]},"
                      "\"w\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[30,32]}}";
    unsigned char buf[1024], d[32] = {0};
    d[30] = 0x80, d[31] = 0x3f;
    size_t n = build_st(buf, hdr, d, sizeof d);
    tu_write(tpath("other.st"), buf, n);
    StFile *f = open_ok(tpath("other.st"));
    MpErr e = {0};
    assert_int_equal(st_count(f), 5);
    long i = st_find(f, "q");
    assert_int_equal(st_dtype(f, (size_t)i), ST_I8);
    assert_false(st_dtype_is_float(ST_I8));
    float x[4], *y = NULL;
    assert_int_equal(st_read_f32(f, (size_t)i, x, 4, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, tpath("other.st")));
    assert_non_null(strstr(e.msg, "unsupported dtype 'I8'"));
    mp_err_clear(&e);
    assert_int_equal(st_read_f32_alloc(f, (size_t)st_find(f, "d"), &y, &e), MP_EINPUT);
    assert_null(y);
    assert_non_null(strstr(e.msg, "unsupported dtype 'F64'"));
    mp_err_clear(&e);
    assert_int_equal(st_read_f32(f, (size_t)st_find(f, "w"), x, 1, &e), MP_OK);
    assert_true(x[0] == 1.0f);
    assert_int_equal(st_dtype_bits(ST_F4), 4);
    assert_int_equal(st_dtype_size(ST_F4), 0);
    st_close(f);
    /* and the writer refuses to write them */
    StWriter *w = NULL;
    uint64_t sh[1] = {1};
    assert_int_equal(st_writer_new(&w, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "i", ST_I64, 1, sh, x, &e), MP_EINPUT);
    st_writer_free(w);
}

/* A length within the cap but past the file is refused by size, before anything is allocated for
 * the header (the rows of bad_lengths above the cap are refused by value). */
static void header_length_at_cap(void **state)
{
    (void)state;
    unsigned char buf[64];
    size_t n = build(buf, ST_HEADER_CAP, "{}", NULL, 0);
    tu_write(tpath("huge.st"), buf, n);
    mp_alloc_fail_after(2); /* the handle and its path only */
    expect_bad_file(tpath("huge.st"), "but only 2 bytes follow");
    mp_alloc_fail_after(-1);
}

static void short_files(void **state)
{
    (void)state;
    tu_write(tpath("short.st"), "\x02\0\0", 3);
    expect_bad_file(tpath("short.st"), "too short for the 8-byte header length");
    tu_write(tpath("short.st"), "", 0);
    expect_bad_file(tpath("short.st"), "file of 0 bytes");
    expect_bad_file(tpath("does-not-exist.st"), "cannot open");
    expect_bad_file(tmpdir, "not a regular file");
    /* a FIFO with no writer: refused at once, not waited on */
    assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
    expect_bad_file(tpath("fifo"), "not a regular file");
    remove(tpath("fifo"));
}

/* A small valid file: two tensors of two dtypes and metadata. */
static size_t small_valid(unsigned char *buf)
{
    const char *hdr = "{\"__metadata__\":{\"m\":\"x\"},\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    const unsigned char d[12] = {0x00, 0x3c, 0x00, 0x40, 0x00, 0x42, 0x00, 0x44, 0x00, 0x00, 0x80, 0x3f};
    return build_st(buf, hdr, d, sizeof d);
}

/* Truncated at every byte: always refused, never a crash. */
static void truncated_everywhere(void **state)
{
    (void)state;
    unsigned char buf[512];
    size_t n = small_valid(buf);
    tu_write(tpath("full.st"), buf, n);
    st_close(open_ok(tpath("full.st")));
    StFile *f = NULL;
    MpErr e = {0};
    for (size_t len = 0; len < n; len++) {
        tu_write(tpath("trunc.st"), buf, len);
        mp_err_clear(&e);
        int rc = st_open(tpath("trunc.st"), &f, &e);
        if (rc != MP_EINPUT)
            print_error("length %zu: rc %d\n", len, rc);
        assert_int_equal(rc, MP_EINPUT);
        assert_non_null(strstr(e.msg, tpath("trunc.st")));
    }
}

/* Random corruption of a valid file: MP_OK or MP_EINPUT, never anything else, and a
 * file that opens reads back without error (run under ASan by make SAN=...). */
static void corrupted_bytes(void **state)
{
    (void)state;
    unsigned char buf[512], m[512];
    size_t n = small_valid(buf);
    MpRng r;
    mp_rng_seed(&r, 99);
    int opened = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(m, buf, n);
        int flips = 1 + (int)mp_rng_below(&r, 3);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)mp_rng_below(&r, n);
            static const unsigned char pick[] = {0, '"', '{', '}', '[', ']', ',', ':', '-', '9', '.', 'e', 0x80, 0xff};
            m[at] = mp_rng_below(&r, 2) ? (unsigned char)mp_rng_u64(&r) : pick[mp_rng_below(&r, sizeof pick)];
        }
        tu_write(tpath("fuzz.st"), m, n);
        StFile *f = NULL;
        MpErr e = {0};
        int rc = st_open(tpath("fuzz.st"), &f, &e);
        assert_true(rc == MP_OK || rc == MP_EINPUT);
        if (rc == MP_OK) {
            opened++;
            for (size_t i = 0; i < st_count(f); i++) {
                float *x = NULL;
                assert_int_equal(st_read_f32_alloc(f, i, &x, &e), MP_OK);
                mp_free(x);
            }
            st_close(f);
        } else
            assert_non_null(strstr(e.msg, tpath("fuzz.st")));
    }
    assert_true(opened > 0); /* some flips hit data bytes only */
}

/* The file shrinks between open and read: MP_EIO, not garbage. */
static void file_shrinks_after_open(void **state)
{
    (void)state;
    unsigned char buf[512];
    size_t n = small_valid(buf);
    tu_write(tpath("shrink.st"), buf, n);
    StFile *f = open_ok(tpath("shrink.st"));
    MpErr e = {0};
    assert_int_equal(truncate(tpath("shrink.st"), (off_t)(n - 2)), 0);
    float x[4];
    assert_int_equal(st_read_f32(f, (size_t)st_find(f, "b"), x, 4, &e), MP_EIO);
    assert_non_null(strstr(e.msg, "tensor 'b'"));
    st_close(f);
}

/* Allocation failure at every allocation of open + read: MP_ENOMEM or success, never a
 * crash or a leak (LeakSanitizer checks under make SAN=address). */
static void alloc_failure_reader(void **state)
{
    (void)state;
    StWriter *w = NULL;
    MpErr e = {0};
    float v[12] = {0};
    uint64_t s1[1] = {12}, s2[2] = {3, 4};
    assert_int_equal(st_writer_new(&w, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "a", ST_F16, 1, s1, v, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "b", ST_BF16, 2, s2, v, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "c", ST_F32, 2, s2, v, &e), MP_OK);
    assert_int_equal(st_writer_set_meta(w, "k1", "v1", &e), MP_OK);
    assert_int_equal(st_writer_set_meta(w, "k2", "v2", &e), MP_OK);
    assert_int_equal(st_writer_write(w, tpath("oom.st"), &e), MP_OK);
    st_writer_free(w);
    int done = 0;
    long i;
    for (i = 0; !done && i < 1000; i++) {
        mp_alloc_fail_after(i);
        StFile *f = NULL;
        mp_err_clear(&e);
        int rc = st_open(tpath("oom.st"), &f, &e);
        if (rc == MP_OK) {
            float *x = NULL;
            rc = st_read_f32_alloc(f, 2, &x, &e);
            mp_free(x);
            st_close(f);
            done = rc == MP_OK;
        }
        mp_alloc_fail_after(-1);
        if (rc != MP_OK) {
            assert_int_equal(rc, MP_ENOMEM);
            assert_non_null(strstr(e.msg, "out of memory"));
        }
    }
    assert_true(done);
    assert_true(i > 5); /* the loop did exercise failures */
}

static void alloc_failure_writer(void **state)
{
    (void)state;
    float v[6] = {1, 2, 3, 4, 5, 6};
    uint64_t sh[2] = {2, 3};
    int done = 0;
    for (long i = 0; !done && i < 1000; i++) {
        remove(tpath("woom.st"));
        mp_alloc_fail_after(i);
        StWriter *w = NULL;
        MpErr e = {0};
        int rc = st_writer_new(&w, &e);
        for (int t = 0; rc == MP_OK && t < 10; t++) {
            char name[16];
            snprintf(name, sizeof name, "t%d", 9 - t);
            rc = st_writer_add(w, name, (StDtype)(t % 3), 2, sh, v, &e);
        }
        for (int t = 0; rc == MP_OK && t < 10; t++) {
            char key[16];
            snprintf(key, sizeof key, "k%d", t);
            rc = st_writer_set_meta(w, key, "value", &e);
        }
        if (rc == MP_OK)
            rc = st_writer_write(w, tpath("woom.st"), &e);
        st_writer_free(w);
        mp_alloc_fail_after(-1);
        if (rc == MP_OK)
            done = 1;
        else {
            assert_int_equal(rc, MP_ENOMEM);
            assert_int_equal(access(tpath("woom.st"), F_OK), -1); /* no file on failure */
        }
        assert_int_equal(tu_dir_count(tmpdir, "*.tmp.*"), 0);
    }
    assert_true(done);
    StFile *f = open_ok(tpath("woom.st"));
    assert_int_equal(st_count(f), 10);
    assert_int_equal(st_meta_count(f), 10);
    st_close(f);
}

static void writer_refuses_bad_input(void **state)
{
    (void)state;
    StWriter *w = NULL;
    MpErr e = {0};
    float v[2] = {0};
    uint64_t sh[9] = {1, 1, 1, 1, 1, 1, 1, 1, 2}, big[2] = {ST_DIM_MAX + 1, 1};
    assert_int_equal(st_writer_new(&w, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "a", ST_F32, 1, sh + 8, v, &e), MP_OK);
    assert_int_equal(st_writer_add(w, "a", ST_F32, 1, sh + 8, v, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "added twice"));
    mp_err_clear(&e);
    assert_int_equal(st_writer_add(w, "__metadata__", ST_F32, 1, sh + 8, v, &e), MP_EINPUT);
    mp_err_clear(&e);
    assert_int_equal(st_writer_add(w, "bad\xff", ST_F32, 1, sh + 8, v, &e), MP_EINPUT);
    mp_err_clear(&e);
    assert_int_equal(st_writer_add(w, "r9", ST_F32, 9, sh, v, &e), MP_EINPUT);
    mp_err_clear(&e);
    assert_int_equal(st_writer_add(w, "big", ST_F32, 2, big, v, &e), MP_EINPUT);
    mp_err_clear(&e);
    assert_int_equal(st_writer_set_meta(w, "k", "\xc3", &e), MP_EINPUT);
    mp_err_clear(&e);
    /* an unwritable place: MP_EIO and nothing left behind */
    assert_int_equal(st_writer_write(w, "/nonexistent-dir/x.st", &e), MP_EIO);
    assert_non_null(strstr(e.msg, "/nonexistent-dir/x.st"));
    st_writer_free(w);
}

static void dtype_names(void **state)
{
    (void)state;
    StDtype d;
    assert_int_equal(st_dtype_parse("bf16", &d), 0);
    assert_int_equal(d, ST_BF16);
    assert_int_equal(st_dtype_parse("F32", &d), 0);
    assert_int_equal(d, ST_F32);
    assert_int_equal(st_dtype_parse("f8", &d), -1);
    assert_int_equal(st_dtype_parse("i64", &d), -1);
    assert_int_equal(st_dtype_parse("I64", &d), 0);
    assert_int_equal(d, ST_I64);
    assert_string_equal(st_dtype_name(ST_F16), "F16");
    assert_int_equal(st_dtype_size(ST_BF16), 2);
}

int main(void)
{
    enum { NBAD = sizeof bad_cases / sizeof bad_cases[0], NLEN = sizeof bad_lengths / sizeof bad_lengths[0] };
    struct CMUnitTest tests[NBAD + NLEN + 32];
    size_t n = 0;
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(dtype_names),
        cmocka_unit_test(roundtrip_f32),
        cmocka_unit_test(roundtrip_f16),
        cmocka_unit_test(roundtrip_bf16),
        cmocka_unit_test(roundtrip_many),
        cmocka_unit_test(reads_reference_library_file),
        cmocka_unit_test(reads_hand_built_file),
        cmocka_unit_test(writer_bytes_exact),
        cmocka_unit_test(other_dtypes_open_but_do_not_convert),
        cmocka_unit_test(header_length_at_cap),
        cmocka_unit_test(short_files),
        cmocka_unit_test(truncated_everywhere),
        cmocka_unit_test(corrupted_bytes),
        cmocka_unit_test(file_shrinks_after_open),
        cmocka_unit_test(alloc_failure_reader),
        cmocka_unit_test(alloc_failure_writer),
        cmocka_unit_test(writer_refuses_bad_input),
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < NBAD; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(bad_header, (void *)&bad_cases[i]);
        t.name = bad_cases[i].label;
        tests[n++] = t;
    }
    for (size_t i = 0; i < NLEN; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(bad_length, (void *)&bad_lengths[i]);
        t.name = bad_lengths[i].label;
        tests[n++] = t;
    }
    return _cmocka_run_group_tests("safetensors", tests, n, setup_dir, teardown_dir);
}
