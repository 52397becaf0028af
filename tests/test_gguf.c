/* tests/test_gguf.c — the strict GGUF reader (traces/gguf.h) on files built byte by byte here.
 *
 * Oracles: the GGUF layout (gguf.h), values chosen so that every dequantized element is known in
 * closed form, and the reader's rule list: every hostile file below must be refused with MP_EINPUT
 * and a message naming the file and the problem, never a crash (run under ASan/UBSan by san-test).
 * The comparison with the reference Python package on random blocks of every type and on the real
 * SmolLM2 model is tests/model_smollm2.c (the model-test suite). */
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
#include <cJSON.h>

#include "cliutil.h"
#include "testutil.h"
#include "ggufbuf.h"

#include "base/alloc.h"
#include "base/rng.h"
#include "models/fpx.h"
#include "traces/gguf.h"

static char tmpdir[] = "/tmp/mpsim_gguf_XXXXXX";
static int setup_dir(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown_dir(void **state) { (void)state; return tu_rm_tree(tmpdir); }
static const char *tpath(const char *name) { return tu_path(tmpdir, name); }

/* ---- the tiny GGUF writer of these tests (bytes: tests/ggufbuf.h) ------------------ */

static void put_f32(Buf *b, float x) { put_u32(b, tu_f32_bits(x)); }

/* Metadata entry headers: key and type; the caller appends the value. */
static void kv(Buf *b, const char *key, GgufValType t) { put_str(b, key); put_u32(b, (uint32_t)t); }

typedef struct TT {
    const char *name;
    int nd;
    uint64_t ne[8];   /* room for the n_dims > 4 cases */
    uint32_t type;
    const void *data; /* bytes of the tensor (NULL: zeros) */
    uint64_t bytes;
    uint64_t offset;  /* UINT64_MAX: placed after the previous one, aligned */
} TT;

/* A whole file: header, nkv entries (raw bytes in kvs), tensor infos, padding to align, data. */
static void build(Buf *out, uint32_t version, uint64_t nkv, const Buf *kvs, TT *t, int nt, uint64_t align)
{
    out->n = 0;
    put(out, "GGUF", 4);
    put_u32(out, version);
    put_u64(out, (uint64_t)nt);
    put_u64(out, nkv);
    if (kvs)
        put(out, kvs->b, kvs->n);
    uint64_t off = 0, end = 0;
    for (int i = 0; i < nt; i++) {
        if (t[i].offset == UINT64_MAX) {
            t[i].offset = (off + align - 1) / align * align;
        }
        off = t[i].offset + t[i].bytes;
        put_str(out, t[i].name);
        put_u32(out, (uint32_t)t[i].nd);
        for (int d = 0; d < t[i].nd; d++)
            put_u64(out, t[i].ne[d]);
        put_u32(out, t[i].type);
        put_u64(out, t[i].offset);
    }
    pad_to(out, align);
    size_t base = out->n;
    for (int i = 0; i < nt; i++) {
        if (base + t[i].offset + t[i].bytes > out->n) {
            size_t need = base + t[i].offset + t[i].bytes;
            while (out->n < need)
                put_u8(out, 0);
        }
        if (t[i].data)
            memcpy(out->b + base + t[i].offset, t[i].data, t[i].bytes);
        if (t[i].offset + t[i].bytes > end)
            end = t[i].offset + t[i].bytes;
    }
}

static const char *write_buf(const char *name, const Buf *b)
{
    const char *p = tpath(name);
    tu_write(p, b->b, b->n);
    return p;
}

/* The file must be refused with MP_EINPUT, naming the file and containing `needle`. */
static void expect_bad(const char *path, const char *needle)
{
    GgufFile *f = NULL;
    MpErr e = {0};
    int rc = gguf_open(path, &f, &e);
    if (rc != MP_EINPUT || !strstr(e.msg, path) || (needle && !strstr(e.msg, needle)))
        print_error("expected MP_EINPUT with '%s', got rc %d: %s\n", needle ? needle : "", rc, e.msg);
    assert_int_equal(rc, MP_EINPUT);
    assert_null(f);
    assert_non_null(strstr(e.msg, path));
    if (needle)
        assert_non_null(strstr(e.msg, needle));
}

static GgufFile *open_ok(const char *path)
{
    GgufFile *f = NULL;
    MpErr e = {0};
    int rc = gguf_open(path, &f, &e);
    if (rc)
        print_error("open failed: %s\n", e.msg);
    assert_int_equal(rc, MP_OK);
    return f;
}

/* ---- blocks with known values ------------------------------------------------------ */

static void f16le(unsigned char *p, float x)
{
    uint16_t h = fp16_from_f32(x);
    p[0] = (unsigned char)(h & 255);
    p[1] = (unsigned char)(h >> 8);
}

/* A Q4_1 block: d = 0.5, m = -2, element i has code i % 16. Value: 0.5*(i%16) - 2. */
static void q4_1_block(unsigned char *b)
{
    f16le(b, 0.5f);
    f16le(b + 2, -2.0f);
    for (int i = 0; i < 16; i++)
        b[4 + i] = (unsigned char)((i % 16) | ((i + 16) % 16) << 4);
}

/* A Q8_0 block: d = 0.25, element i = i - 16. */
static void q8_0_block(unsigned char *b)
{
    f16le(b, 0.25f);
    for (int i = 0; i < 32; i++)
        b[2 + i] = (unsigned char)(int8_t)(i - 16);
}

/* The standard valid file: metadata of every type, tensors F32 (3x2), F16 (4), Q4_1 (32x2),
 * Q8_0 (64), BF16 (2). Returns the number of metadata entries. */
static uint64_t standard_kvs(Buf *k)
{
    kv(k, "general.architecture", GGUF_VAL_STRING); put_str(k, "llama");
    kv(k, "u8", GGUF_VAL_U8); put_u8(k, 200);
    kv(k, "i8", GGUF_VAL_I8); put_u8(k, 0x80);
    kv(k, "u16", GGUF_VAL_U16); put_u16(k, 65535);
    kv(k, "i16", GGUF_VAL_I16); put_u16(k, 0xfffe);
    kv(k, "u32", GGUF_VAL_U32); put_u32(k, 4000000000u);
    kv(k, "i32", GGUF_VAL_I32); put_u32(k, (uint32_t)-7);
    kv(k, "f32", GGUF_VAL_F32); put_f32(k, 1e-5f);
    kv(k, "bool", GGUF_VAL_BOOL); put_u8(k, 1);
    kv(k, "u64", GGUF_VAL_U64); put_u64(k, UINT64_MAX);
    kv(k, "i64", GGUF_VAL_I64); put_u64(k, (uint64_t)INT64_MIN);
    kv(k, "f64", GGUF_VAL_F64); { double d = 0.1; uint64_t u; memcpy(&u, &d, 8); put_u64(k, u); }
    kv(k, "utf8", GGUF_VAL_STRING); put_str(k, "h\xc3\xa9llo \xe2\x82\xac");
    kv(k, "strs", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_STRING); put_u64(k, 3);
    put_str(k, "a"); put_str(k, ""); put_str(k, "\xc4\xa0the");
    kv(k, "i32s", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_I32); put_u64(k, 3);
    put_u32(k, 1); put_u32(k, (uint32_t)-2); put_u32(k, 3);
    kv(k, "f32s", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_F32); put_u64(k, 2); put_f32(k, 0.5f); put_f32(k, -1.5f);
    kv(k, "nested", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_ARRAY); put_u64(k, 2);
    put_u32(k, GGUF_VAL_U16); put_u64(k, 2); put_u16(k, 7); put_u16(k, 9);
    put_u32(k, GGUF_VAL_STRING); put_u64(k, 1); put_str(k, "x");
    kv(k, "empty", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_U64); put_u64(k, 0);
    kv(k, "general.alignment", GGUF_VAL_U32); put_u32(k, 32);
    return 19;
}

static unsigned char q41[2 * 20], q80[2 * 34], f16d[8], bf16d[4];
static float f32d[6] = {1.5f, -2.0f, 0.0f, 3.25f, -0.125f, 1e30f};

static int standard_tensors(TT *t)
{
    q4_1_block(q41);
    q4_1_block(q41 + 20);
    q8_0_block(q80);
    q8_0_block(q80 + 34);
    f16le(f16d, 1.0f); f16le(f16d + 2, -0.5f); f16le(f16d + 4, 65504.0f); f16le(f16d + 6, 5.9604645e-8f);
    bf16d[0] = 0x80; bf16d[1] = 0x3f;  /* 1.0 */
    bf16d[2] = 0x40; bf16d[3] = 0xc0;  /* -3.0 */
    TT s[] = {
        {"emb", 2, {3, 2}, GGML_F32, f32d, 24, UINT64_MAX},
        {"h", 1, {4}, GGML_F16, f16d, 8, UINT64_MAX},
        {"w.q41", 2, {32, 2}, GGML_Q4_1, q41, 40, UINT64_MAX},
        {"w.q80", 1, {64}, GGML_Q8_0, q80, 68, UINT64_MAX},
        {"bf", 3, {2, 1, 1}, GGML_BF16, bf16d, 4, UINT64_MAX},
    };
    memcpy(t, s, sizeof s);
    return 5;
}

static void standard_file(Buf *out)
{
    Buf k = {0};
    TT t[8];
    uint64_t nkv = standard_kvs(&k);
    int nt = standard_tensors(t);
    build(out, 3, nkv, &k, t, nt, 32);
    free(k.b);
}

/* ---- valid files ------------------------------------------------------------------- */

static void reads_standard_file(void **state)
{
    (void)state;
    Buf b = {0};
    standard_file(&b);
    GgufFile *f = open_ok(write_buf("std.gguf", &b));
    MpErr e = {0};
    assert_int_equal(gguf_version(f), 3);
    assert_int_equal(gguf_alignment(f), 32);
    assert_int_equal(gguf_kv_count(f), 19);
    assert_int_equal(gguf_tensor_count(f), 5);
    assert_int_equal(gguf_data_offset(f) % 32, 0);
    assert_int_equal(gguf_data_offset(f) + gguf_data_bytes(f), b.n);
    assert_string_equal(gguf_kv_key(f, 0), "general.architecture");

    const char *s;
    assert_int_equal(gguf_get_str(f, "general.architecture", &s, &e), MP_OK);
    assert_string_equal(s, "llama");
    assert_int_equal(gguf_get_str(f, "utf8", &s, &e), MP_OK);
    assert_string_equal(s, "h\xc3\xa9llo \xe2\x82\xac");
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    float f32;
    int bl;
    assert_int_equal(gguf_get_u32(f, "u8", &u32, &e), MP_OK);
    assert_int_equal(u32, 200);
    assert_int_equal(gguf_get_u32(f, "u32", &u32, &e), MP_OK);
    assert_int_equal(u32, 4000000000u);
    assert_int_equal(gguf_get_i32(f, "i8", &i32, &e), MP_OK);
    assert_int_equal(i32, -128);
    assert_int_equal(gguf_get_i32(f, "i16", &i32, &e), MP_OK);
    assert_int_equal(i32, -2);
    assert_int_equal(gguf_get_i32(f, "i32", &i32, &e), MP_OK);
    assert_int_equal(i32, -7);
    assert_int_equal(gguf_get_u64(f, "u64", &u64, &e), MP_OK);
    assert_true(u64 == UINT64_MAX);
    assert_int_equal(gguf_get_u32(f, "u16", &u32, &e), MP_OK);
    assert_int_equal(u32, 65535);
    assert_int_equal(gguf_get_f32(f, "f32", &f32, &e), MP_OK);
    assert_true(f32 == 1e-5f);
    assert_int_equal(gguf_get_bool(f, "bool", &bl, &e), MP_OK);
    assert_int_equal(bl, 1);
    const GgufValue *v = gguf_get(f, "i64");
    assert_non_null(v);
    assert_int_equal(v->type, GGUF_VAL_I64);
    assert_true(v->v.i == INT64_MIN);
    v = gguf_get(f, "f64");
    assert_true(v->v.f == 0.1);

    const char *const *strs;
    uint64_t n;
    assert_int_equal(gguf_get_arr_str(f, "strs", &strs, &n, &e), MP_OK);
    assert_int_equal(n, 3);
    assert_string_equal(strs[0], "a");
    assert_string_equal(strs[1], "");
    assert_string_equal(strs[2], "\xc4\xa0the");
    const int32_t *iv;
    assert_int_equal(gguf_get_arr_i32(f, "i32s", &iv, &n, &e), MP_OK);
    assert_int_equal(n, 3);
    assert_int_equal(iv[1], -2);
    const float *fv;
    assert_int_equal(gguf_get_arr_f32(f, "f32s", &fv, &n, &e), MP_OK);
    assert_true(fv[0] == 0.5f && fv[1] == -1.5f);
    v = gguf_get(f, "nested");
    assert_int_equal(v->type, GGUF_VAL_ARRAY);
    assert_int_equal(v->v.arr.type, GGUF_VAL_ARRAY);
    assert_int_equal(v->v.arr.n, 2);
    const GgufValue *inner = v->v.arr.data;
    assert_int_equal(inner[0].v.arr.type, GGUF_VAL_U16);
    assert_int_equal(((const uint16_t *)inner[0].v.arr.data)[1], 9);
    assert_string_equal(((const char *const *)inner[1].v.arr.data)[0], "x");
    const void *d;
    assert_int_equal(gguf_get_arr(f, "empty", GGUF_VAL_U64, &n, &d, &e), MP_OK);
    assert_int_equal(n, 0);

    /* Tensors: find, info, values. */
    assert_int_equal(gguf_tensor_find(f, "w.q41"), 2);
    assert_int_equal(gguf_tensor_find(f, "nope"), -1);
    const GgufTensor *t = gguf_tensor(f, 2);
    assert_string_equal(t->name, "w.q41");
    assert_int_equal(t->type, GGML_Q4_1);
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[0], 32);
    assert_int_equal(t->ne[1], 2);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->numel, 64);
    assert_int_equal(t->bytes, 40);
    float x[64];
    assert_int_equal(gguf_tensor_read_f32(f, 2, x, 64, &e), MP_OK);
    for (int i = 0; i < 64; i++)
        assert_true(x[i] == 0.5f * (float)(i % 16) - 2.0f);
    assert_int_equal(gguf_tensor_read_rows_f32(f, 2, 1, 1, x, 32, &e), MP_OK);
    for (int i = 0; i < 32; i++)
        assert_true(x[i] == 0.5f * (float)(i % 16) - 2.0f);
    assert_int_equal(gguf_tensor_read_f32(f, 3, x, 64, &e), MP_OK);
    for (int i = 0; i < 64; i++)
        assert_true(x[i] == 0.25f * (float)(i % 32 - 16));
    assert_int_equal(gguf_tensor_read_f32(f, 0, x, 6, &e), MP_OK);
    assert_memory_equal(x, f32d, sizeof f32d);
    assert_int_equal(gguf_tensor_read_f32(f, 1, x, 4, &e), MP_OK);
    assert_true(x[0] == 1.0f && x[1] == -0.5f && x[2] == 65504.0f && x[3] == 0x1p-24f);
    assert_int_equal(gguf_tensor_read_f32(f, 4, x, 2, &e), MP_OK);
    assert_true(x[0] == 1.0f && x[1] == -3.0f);
    float *xa = NULL;
    assert_int_equal(gguf_tensor_read_f32_alloc(f, 3, &xa, &e), MP_OK);
    assert_true(xa[63] == 0.25f * 15);
    mp_free(xa);
    unsigned char raw[68];
    assert_int_equal(gguf_tensor_read_raw(f, 3, raw, sizeof raw, &e), MP_OK);
    assert_memory_equal(raw, q80, 68);

    /* Misuse of the readers: rows out of range, buffer too small. */
    e = (MpErr){0};
    assert_int_equal(gguf_tensor_read_rows_f32(f, 2, 1, 2, x, 64, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "out of range"));
    e = (MpErr){0};
    assert_int_equal(gguf_tensor_read_f32(f, 2, x, 63, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "buffer holds 63"));
    gguf_close(f);
    free(b.b);
}

/* Getters name the key and the problem. */
static void getters_refuse_wrong_types(void **state)
{
    (void)state;
    Buf b = {0};
    standard_file(&b);
    GgufFile *f = open_ok(write_buf("get.gguf", &b));
    struct {
        int which;
        const char *key, *needle;
    } cases[] = {
        {0, "missing.key", "key 'missing.key': missing"},
        {0, "general.architecture", "key 'general.architecture': is a string, expected u32"},
        {0, "u64", "out of range for u32"},
        {0, "i8", "-128 is out of range for u32"},
        {1, "u32", "4000000000 is out of range for i32"},
        {1, "bool", "is a bool, expected i32"},
        {2, "u32", "is a u32, expected f32"},
        {3, "u8", "is a u8, expected bool"},
        {4, "strs", "is an array of string, expected string"},
        {5, "i32s", "is an array of i32, expected an array of string"},
        {5, "u32", "is a u32, expected an array of string"},
        {6, "f32s", "expected an array of i32"},
        {7, "i32s", "expected an array of f32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        MpErr e = {0};
        uint32_t u;
        int32_t s;
        float x;
        int bl;
        const char *str;
        const char *const *strs;
        const int32_t *iv;
        const float *fv;
        uint64_t n;
        int rc = -1;
        switch (cases[i].which) {
        case 0: rc = gguf_get_u32(f, cases[i].key, &u, &e); break;
        case 1: rc = gguf_get_i32(f, cases[i].key, &s, &e); break;
        case 2: rc = gguf_get_f32(f, cases[i].key, &x, &e); break;
        case 3: rc = gguf_get_bool(f, cases[i].key, &bl, &e); break;
        case 4: rc = gguf_get_str(f, cases[i].key, &str, &e); break;
        case 5: rc = gguf_get_arr_str(f, cases[i].key, &strs, &n, &e); break;
        case 6: rc = gguf_get_arr_i32(f, cases[i].key, &iv, &n, &e); break;
        case 7: rc = gguf_get_arr_f32(f, cases[i].key, &fv, &n, &e); break;
        }
        if (rc != MP_EINPUT || !strstr(e.msg, cases[i].needle))
            print_error("case %zu: rc %d: %s\n", i, rc, e.msg);
        assert_int_equal(rc, MP_EINPUT);
        assert_non_null(strstr(e.msg, cases[i].needle));
        assert_non_null(strstr(e.msg, gguf_path(f)));
    }
    gguf_close(f);
    free(b.b);
}

/* Version 2 has the same layout; default alignment 32 when the key is absent; another
 * alignment is honoured; a file with no tensors and no metadata is fine. */
static void versions_and_alignment(void **state)
{
    (void)state;
    Buf b = {0}, k = {0};
    TT t[8];
    int nt = standard_tensors(t);
    build(&b, 2, 0, NULL, t, nt, 32);
    GgufFile *f = open_ok(write_buf("v2.gguf", &b));
    assert_int_equal(gguf_version(f), 2);
    assert_int_equal(gguf_alignment(f), 32);
    gguf_close(f);

    kv(&k, "general.alignment", GGUF_VAL_U32);
    put_u32(&k, 64);
    nt = standard_tensors(t);
    build(&b, 3, 1, &k, t, nt, 64);
    f = open_ok(write_buf("a64.gguf", &b));
    assert_int_equal(gguf_alignment(f), 64);
    assert_int_equal(gguf_tensor(f, 1)->offset, 64);
    float x[4];
    MpErr e = {0};
    assert_int_equal(gguf_tensor_read_f32(f, 1, x, 4, &e), MP_OK);
    assert_true(x[1] == -0.5f);
    gguf_close(f);

    build(&b, 3, 0, NULL, NULL, 0, 32);
    f = open_ok(write_buf("empty.gguf", &b));
    assert_int_equal(gguf_tensor_count(f), 0);
    assert_int_equal(gguf_data_bytes(f), 0);
    gguf_close(f);
    free(b.b);
    free(k.b);
}

/* A type the reader knows but cannot convert is listed by name. */
static void unsupported_type_named(void **state)
{
    (void)state;
    Buf b = {0};
    TT t[] = {{"iq", 1, {256}, GGML_IQ2_XXS, NULL, 66, UINT64_MAX}};
    build(&b, 3, 0, NULL, t, 1, 32);
    GgufFile *f = open_ok(write_buf("iq.gguf", &b));
    MpErr e = {0};
    float x[256];
    assert_int_equal(gguf_tensor_read_f32(f, 0, x, 256, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "tensor 'iq': type IQ2_XXS is not supported"));
    assert_non_null(strstr(e.msg, "Q4_1"));
    gguf_close(f);
    free(b.b);
}

/* Names, geometry and the dequantizers' closed forms on hand-made blocks of every type. */
static void types_and_blocks(void **state)
{
    (void)state;
    unsigned be, bb;
    assert_int_equal(ggml_type_block(GGML_Q4_1, &be, &bb), 0);
    assert_true(be == 32 && bb == 20);
    assert_int_equal(ggml_type_block(GGML_Q6_K, &be, &bb), 0);
    assert_true(be == 256 && bb == 210);
    assert_int_equal(ggml_type_block(4, &be, &bb), -1);  /* retired code */
    assert_int_equal(ggml_type_block(GGML_TYPE_CODES, &be, &bb), -1);
    assert_null(ggml_type_name(5));
    assert_string_equal(ggml_type_name(GGML_BF16), "BF16");
    assert_int_equal(ggml_type_can_dequant(GGML_Q8_1), 0);
    assert_int_equal(ggml_type_can_dequant(GGML_Q4_K), 1);
    float x[256];
    unsigned char blk[256];
    assert_int_equal(gguf_dequant(GGML_IQ1_S, blk, 1, x), -1);

    /* Q4_0: d = 2, nibble k -> 2*(k-8). Element i < 16 is byte i's low nibble. */
    memset(blk, 0, sizeof blk);
    f16le(blk, 2.0f);
    for (int i = 0; i < 16; i++)
        blk[2 + i] = (unsigned char)(i | (15 - i) << 4);
    assert_int_equal(gguf_dequant(GGML_Q4_0, blk, 1, x), 0);
    for (int i = 0; i < 16; i++) {
        assert_true(x[i] == 2.0f * (float)(i - 8));
        assert_true(x[16 + i] == 2.0f * (float)(15 - i - 8));
    }
    /* Q5_0: qh bit i is element i's fifth bit. */
    memset(blk, 0, sizeof blk);
    f16le(blk, 1.0f);
    blk[2] = 0x01; blk[5] = 0x80;  /* elements 0 and 31 get +16 */
    for (int i = 0; i < 16; i++)
        blk[6 + i] = 0x33;
    assert_int_equal(gguf_dequant(GGML_Q5_0, blk, 1, x), 0);
    assert_true(x[0] == 3.0f && x[1] == -13.0f && x[31] == 3.0f && x[30] == -13.0f);
    /* Q5_1: d*q + m with m = 0.5. */
    memset(blk, 0, sizeof blk);
    f16le(blk, 1.0f);
    f16le(blk + 2, 0.5f);
    blk[4] = 0x02;  /* element 1 gets +16 */
    blk[8] = 0x21;  /* element 0: 1, element 16: 2 */
    assert_int_equal(gguf_dequant(GGML_Q5_1, blk, 1, x), 0);
    assert_true(x[0] == 1.5f && x[16] == 2.5f && x[1] == 16.5f && x[2] == 0.5f);
    /* Q6_K: d = 1, scale s for sub-block s (16 each) = s - 8; code 32 + (i % 3) - 1 -> values
     * (s-8) * ((i%3) - 1). Packing per the layout in gguf_quant.c. */
    memset(blk, 0, sizeof blk);
    unsigned char q6[256];
    for (int i = 0; i < 256; i++)
        q6[i] = (unsigned char)(32 + i % 3 - 1);
    unsigned char *ql = blk, *qh = blk + 128;
    for (int i = 0; i < 256; i++) {
        ql[64 * (i / 128) + i % 64] |= (unsigned char)((q6[i] & 15) << 4 * ((i / 64) % 2));
        qh[32 * (i / 128) + i % 32] |= (unsigned char)((q6[i] >> 4) << 2 * ((i / 32) % 4));
    }
    unsigned char q6b[210];
    memcpy(q6b, blk, 192);
    for (int s = 0; s < 16; s++)
        q6b[192 + s] = (unsigned char)(int8_t)(s - 8);
    f16le(q6b + 208, 1.0f);
    assert_int_equal(gguf_dequant(GGML_Q6_K, q6b, 1, x), 0);
    for (int i = 0; i < 256; i++)
        assert_true(x[i] == (float)(i / 16 - 8) * (float)(i % 3 - 1));
}

/* ---- hostile files ----------------------------------------------------------------- */

typedef struct Bad {
    const char *name, *needle;
    void (*make)(Buf *b);
} Bad;

static void mk_magic(Buf *b) { standard_file(b); b->b[0] = 'X'; }
static void mk_v1(Buf *b) { standard_file(b); b->b[4] = 1; }
static void mk_v4(Buf *b) { standard_file(b); b->b[4] = 4; }
static void mk_bigendian(Buf *b) { standard_file(b); b->b[4] = 0; b->b[7] = 3; }
static void mk_huge_nt(Buf *b) { build(b, 3, 0, NULL, NULL, 0, 32); b->b[15] = 0x7f; put_u64(b, 0); }
static void mk_huge_nkv(Buf *b) { build(b, 3, 0, NULL, NULL, 0, 32); b->b[23] = 0x10; put_u64(b, 0); }
static void one_kv(Buf *b, void (*val)(Buf *k))
{
    Buf k = {0};
    val(&k);
    TT t[8];
    int nt = standard_tensors(t);
    build(b, 3, 1, &k, t, nt, 32);
    free(k.b);
}
static void v_long_key(Buf *k) { put_u64(k, UINT64_MAX); }
static void v_empty_key(Buf *k) { kv(k, "", GGUF_VAL_U8); put_u8(k, 1); }
static void v_bad_type(Buf *k) { kv(k, "k", (GgufValType)13); put_u8(k, 1); }
static void v_bad_utf8_key(Buf *k) { kv(k, "k\xc3\x28", GGUF_VAL_U8); put_u8(k, 1); }
static void v_nul_key(Buf *k) { put_strn(k, "a\0b", 3); put_u32(k, GGUF_VAL_U8); put_u8(k, 1); }
static void v_bad_utf8_val(Buf *k) { kv(k, "k", GGUF_VAL_STRING); put_str(k, "\xed\xa0\x80"); }  /* surrogate */
static void v_overlong(Buf *k) { kv(k, "k", GGUF_VAL_STRING); put_str(k, "\xc0\xaf"); }
static void v_bad_utf8_arr(Buf *k)
{
    kv(k, "k", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_STRING); put_u64(k, 2); put_str(k, "ok"); put_str(k, "\xff");
}
static void v_long_str(Buf *k) { kv(k, "k", GGUF_VAL_STRING); put_u64(k, (uint64_t)1 << 40); }
static void v_huge_arr(Buf *k) { kv(k, "k", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_U32); put_u64(k, (uint64_t)1 << 61); }
static void v_huge_str_arr(Buf *k)
{
    kv(k, "k", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_STRING); put_u64(k, 100000000);
}
static void v_bad_elem_type(Buf *k) { kv(k, "k", GGUF_VAL_ARRAY); put_u32(k, 99); put_u64(k, 1); }
static void v_deep(Buf *k)
{
    kv(k, "k", GGUF_VAL_ARRAY);
    for (int i = 0; i < GGUF_NEST_MAX + 1; i++) {
        put_u32(k, GGUF_VAL_ARRAY);
        put_u64(k, 1);
    }
    put_u32(k, GGUF_VAL_U8);
    put_u64(k, 0);
}
static void v_bool2(Buf *k) { kv(k, "k", GGUF_VAL_BOOL); put_u8(k, 2); }
static void v_bool_arr2(Buf *k) { kv(k, "k", GGUF_VAL_ARRAY); put_u32(k, GGUF_VAL_BOOL); put_u64(k, 2); put_u8(k, 0); put_u8(k, 7); }
static void v_align_type(Buf *k) { kv(k, "general.alignment", GGUF_VAL_U64); put_u64(k, 32); }
static void v_align_pow2(Buf *k) { kv(k, "general.alignment", GGUF_VAL_U32); put_u32(k, 48); }
static void v_align_zero(Buf *k) { kv(k, "general.alignment", GGUF_VAL_U32); put_u32(k, 0); }
static void mk_long_key(Buf *b) { one_kv(b, v_long_key); }
static void mk_empty_key(Buf *b) { one_kv(b, v_empty_key); }
static void mk_bad_type(Buf *b) { one_kv(b, v_bad_type); }
static void mk_bad_utf8_key(Buf *b) { one_kv(b, v_bad_utf8_key); }
static void mk_nul_key(Buf *b) { one_kv(b, v_nul_key); }
static void mk_bad_utf8_val(Buf *b) { one_kv(b, v_bad_utf8_val); }
static void mk_overlong(Buf *b) { one_kv(b, v_overlong); }
static void mk_bad_utf8_arr(Buf *b) { one_kv(b, v_bad_utf8_arr); }
static void mk_long_str(Buf *b) { one_kv(b, v_long_str); }
static void mk_huge_arr(Buf *b) { one_kv(b, v_huge_arr); }
static void mk_huge_str_arr(Buf *b) { one_kv(b, v_huge_str_arr); }
static void mk_bad_elem_type(Buf *b) { one_kv(b, v_bad_elem_type); }
static void mk_deep(Buf *b) { one_kv(b, v_deep); }
static void mk_bool2(Buf *b) { one_kv(b, v_bool2); }
static void mk_bool_arr2(Buf *b) { one_kv(b, v_bool_arr2); }
static void mk_align_type(Buf *b) { one_kv(b, v_align_type); }
static void mk_align_pow2(Buf *b) { one_kv(b, v_align_pow2); }
static void mk_align_zero(Buf *b) { one_kv(b, v_align_zero); }
static void mk_dup_key(Buf *b)
{
    Buf k = {0};
    kv(&k, "a.b", GGUF_VAL_U8); put_u8(&k, 1);
    kv(&k, "z", GGUF_VAL_U8); put_u8(&k, 1);
    kv(&k, "a.b", GGUF_VAL_STRING); put_str(&k, "x");
    build(b, 3, 3, &k, NULL, 0, 32);
    free(k.b);
}
/* Tensor table cases: start from the standard tensors and change one thing. */
static void tensors_with(Buf *b, void (*edit)(TT *t, int *nt))
{
    TT t[8];
    int nt = standard_tensors(t);
    edit(t, &nt);
    build(b, 3, 0, NULL, t, nt, 32);
}
static void e_ndims0(TT *t, int *nt) { (void)nt; t[1].nd = 0; }
static void e_ndims5(TT *t, int *nt) { (void)nt; t[1].nd = 5; t[1].ne[3] = 1; }
static void e_dim0(TT *t, int *nt) { (void)nt; t[0].ne[1] = 0; t[0].bytes = 0; }
static void e_overflow(TT *t, int *nt)
{
    (void)nt;
    t[4].nd = 4;
    t[4].ne[0] = 2; t[4].ne[1] = (uint64_t)1 << 31; t[4].ne[2] = (uint64_t)1 << 31; t[4].ne[3] = 4;
}
static void e_bytes_overflow(TT *t, int *nt) { (void)nt; t[4].type = GGML_F64; t[4].nd = 1; t[4].ne[0] = (uint64_t)1 << 61; }
static void e_block(TT *t, int *nt) { (void)nt; t[2].ne[0] = 16; t[2].ne[1] = 4; }
static void e_type(TT *t, int *nt) { (void)nt; t[1].type = 4; }
static void e_type_big(TT *t, int *nt) { (void)nt; t[1].type = 0xffffffffu; }
static void e_misaligned(TT *t, int *nt) { (void)nt; t[1].offset = 40; }
static void e_past_eof(TT *t, int *nt) { (void)nt; t[4].offset = 1u << 20; t[4].data = NULL; t[4].bytes = 0; }
static void e_overlap(TT *t, int *nt) { (void)nt; t[1].offset = 0; }
static void e_overlap_partial(TT *t, int *nt) { (void)nt; t[3].offset = 64; }  /* w.q41 at [64,104) */
static void e_dup_name(TT *t, int *nt) { (void)nt; t[3].name = "emb"; }
static void e_long_name(TT *t, int *nt) { (void)nt; t[0].name = "0123456789012345678901234567890123456789012345678901234567890123"; }
static void e_empty_name(TT *t, int *nt) { (void)nt; t[0].name = ""; }
static void e_utf8_name(TT *t, int *nt) { (void)nt; t[0].name = "w\xe2\x82"; }
static void e_hole(TT *t, int *nt) { (void)nt; t[1].offset = 64; t[2].offset = 96; t[3].offset = 160; t[4].offset = 256; }
static void e_first_hole(TT *t, int *nt)
{
    (void)nt;
    for (int i = 0; i < 5; i++)
        t[i].offset = 32 + 32 * (uint64_t)(i == 0 ? 0 : i == 1 ? 1 : i == 2 ? 2 : i == 3 ? 4 : 7);
}
static void e_offset_huge(TT *t, int *nt) { (void)nt; t[1].offset = UINT64_MAX - 31; t[1].data = NULL; t[1].bytes = 0; }
static void mk_ndims0(Buf *b) { tensors_with(b, e_ndims0); }
static void mk_ndims5(Buf *b) { tensors_with(b, e_ndims5); }
static void mk_dim0(Buf *b) { tensors_with(b, e_dim0); }
static void mk_overflow(Buf *b) { tensors_with(b, e_overflow); }
static void mk_bytes_overflow(Buf *b) { tensors_with(b, e_bytes_overflow); }
static void mk_block(Buf *b) { tensors_with(b, e_block); }
static void mk_type(Buf *b) { tensors_with(b, e_type); }
static void mk_type_big(Buf *b) { tensors_with(b, e_type_big); }
static void mk_misaligned(Buf *b) { tensors_with(b, e_misaligned); }
static void mk_past_eof(Buf *b) { tensors_with(b, e_past_eof); }
static void mk_overlap(Buf *b) { tensors_with(b, e_overlap); }
static void mk_overlap_partial(Buf *b) { tensors_with(b, e_overlap_partial); }
static void mk_dup_name(Buf *b) { tensors_with(b, e_dup_name); }
static void mk_long_name(Buf *b) { tensors_with(b, e_long_name); }
static void mk_empty_name(Buf *b) { tensors_with(b, e_empty_name); }
static void mk_utf8_name(Buf *b) { tensors_with(b, e_utf8_name); }
static void mk_hole(Buf *b) { tensors_with(b, e_hole); }
static void mk_first_hole(Buf *b) { tensors_with(b, e_first_hole); }
static void mk_offset_huge(Buf *b) { tensors_with(b, e_offset_huge); }
static void mk_trailing(Buf *b) { standard_file(b); for (int i = 0; i < 32; i++) put_u8(b, 0); }
static void mk_no_tensor_trailing(Buf *b) { build(b, 3, 0, NULL, NULL, 0, 32); for (int i = 0; i < 40; i++) put_u8(b, 0); }
static void mk_data_past_eof(Buf *b)
{
    /* The header ends mid-way through an alignment unit and the file ends there too. */
    TT t[] = {{"x", 1, {1}, GGML_F32, NULL, 4, 0}};
    build(b, 3, 0, NULL, t, 1, 32);
    size_t hdr = 24 + 8 + 1 + 4 + 8 + 4 + 8;
    b->n = hdr;
}

static const Bad bad_cases[] = {
    {"magic", "not a GGUF file", mk_magic},
    {"v1", "version 1 is not supported", mk_v1},
    {"v4", "version 4 is not supported", mk_v4},
    {"bigendian", "big-endian", mk_bigendian},
    {"huge_nt", "tensor count", mk_huge_nt},
    {"huge_nkv", "metadata count", mk_huge_nkv},
    {"long_key", "key length", mk_long_key},
    {"empty_key", "empty key", mk_empty_key},
    {"bad_type", "unknown value type 13", mk_bad_type},
    {"bad_utf8_key", "key is not valid UTF-8", mk_bad_utf8_key},
    {"nul_key", "key contains a NUL byte", mk_nul_key},
    {"bad_utf8_val", "key 'k': string value is not valid UTF-8", mk_bad_utf8_val},
    {"overlong", "string value is not valid UTF-8", mk_overlong},
    {"bad_utf8_arr", "string element is not valid UTF-8", mk_bad_utf8_arr},
    {"long_str", "string value length 1099511627776 runs past the end", mk_long_str},
    {"huge_arr", "does not fit", mk_huge_arr},
    {"huge_str_arr", "array of 100000000 string elements does not fit", mk_huge_str_arr},
    {"bad_elem_type", "unknown array element type 99", mk_bad_elem_type},
    {"deep", "nested more than", mk_deep},
    {"bool2", "bool value is 2", mk_bool2},
    {"bool_arr2", "bool array element 1 is 7", mk_bool_arr2},
    {"align_type", "key 'general.alignment': is a u64, expected u32", mk_align_type},
    {"align_pow2", "48 is not a power of two", mk_align_pow2},
    {"align_zero", "0 is not a power of two", mk_align_zero},
    {"dup_key", "key 'a.b': duplicate metadata key", mk_dup_key},
    {"ndims0", "n_dims is 0", mk_ndims0},
    {"ndims5", "n_dims is 5", mk_ndims5},
    {"dim0", "dimension 1 is 0", mk_dim0},
    {"overflow", "shape overflows", mk_overflow},
    {"bytes_overflow", "size in bytes overflows", mk_bytes_overflow},
    {"block", "ne[0] = 16 is not a multiple of the Q4_1 block size 32", mk_block},
    {"type", "tensor 'h': unknown ggml type 4", mk_type},
    {"type_big", "unknown ggml type 4294967295", mk_type_big},
    {"misaligned", "tensor 'h': offset 40 is not a multiple of the alignment 32", mk_misaligned},
    {"past_eof", "tensor 'bf': bytes [1048576, 1048580) of the data section lie past its end", mk_past_eof},
    {"overlap", "overlap tensor", mk_overlap},
    {"overlap_partial", "overlap tensor 'w.q41'", mk_overlap_partial},
    {"dup_name", "tensor 'emb': duplicate tensor name", mk_dup_name},
    {"long_name", "more than 63", mk_long_name},
    {"empty_name", "empty tensor name", mk_empty_name},
    {"utf8_name", "tensor name is not valid UTF-8", mk_utf8_name},
    {"hole", "unused bytes before it", mk_hole},
    {"first_hole", "tensor 'emb': 32 unused bytes before it", mk_first_hole},
    {"offset_huge", "lie past its end", mk_offset_huge},
    {"trailing", "unused bytes after the last tensor", mk_trailing},
    {"no_tensor_trailing", "bytes after the header of a file with no tensors", mk_no_tensor_trailing},
    {"data_past_eof", "starts past the end of the file", mk_data_past_eof},
};
#define NBAD (sizeof bad_cases / sizeof bad_cases[0])

static void bad_file(void **state)
{
    const Bad *c = *state;
    Buf b = {0};
    c->make(&b);
    char name[64];
    snprintf(name, sizeof name, "bad_%s.gguf", c->name);
    expect_bad(write_buf(name, &b), c->needle);
    free(b.b);
}

/* Every proper prefix of a valid file is refused (the last tensor ends at the end of the file). */
static void truncated_everywhere(void **state)
{
    (void)state;
    Buf b = {0};
    standard_file(&b);
    const char *p = tpath("trunc.gguf");
    for (size_t len = 0; len < b.n; len++) {
        tu_write(p, b.b, len);
        GgufFile *f = NULL;
        MpErr e = {0};
        int rc = gguf_open(p, &f, &e);
        if (rc != MP_EINPUT)
            print_error("prefix %zu of %zu: rc %d %s\n", len, b.n, rc, e.msg);
        assert_int_equal(rc, MP_EINPUT);
        assert_non_null(strstr(e.msg, p));
    }
    free(b.b);
}

/* Random byte corruption: refused cleanly or read fine, never a crash (ASan/UBSan in san-test). */
static void corrupted_bytes(void **state)
{
    (void)state;
    Buf b = {0};
    standard_file(&b);
    MpRng r;
    mp_rng_seed(&r, tu_seed("corrupted_bytes", 17));
    unsigned char *copy = malloc(b.n);
    const char *p = tpath("corrupt.gguf");
    int ok = 0, bad = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(copy, b.b, b.n);
        int flips = 1 + (int)mp_rng_below(&r, 4);
        for (int k = 0; k < flips; k++)
            copy[mp_rng_below(&r, b.n)] = (unsigned char)mp_rng_below(&r, 256);
        tu_write(p, copy, b.n);
        GgufFile *f = NULL;
        MpErr e = {0};
        int rc = gguf_open(p, &f, &e);
        assert_true(rc == MP_OK || rc == MP_EINPUT);
        if (rc == MP_OK) {
            ok++;
            for (size_t i = 0; i < gguf_tensor_count(f); i++) {
                float *x = NULL;
                MpErr e2 = {0};
                int rc2 = gguf_tensor_read_f32_alloc(f, i, &x, &e2);
                assert_true(rc2 == MP_OK || rc2 == MP_EINPUT);
                mp_free(x);
            }
            gguf_close(f);
        } else {
            bad++;
            assert_non_null(strstr(e.msg, p));
        }
    }
    printf("# corrupted_bytes: %d opened, %d refused\n", ok, bad);
    assert_true(ok > 0 && bad > 0);
    free(copy);
    free(b.b);
}

/* Reading after the file shrank is an I/O error, not a crash. */
static void file_shrinks_after_open(void **state)
{
    (void)state;
    Buf b = {0};
    standard_file(&b);
    const char *p = write_buf("shrink.gguf", &b);
    GgufFile *f = open_ok(p);
    assert_int_equal(truncate(p, (off_t)gguf_data_offset(f)), 0);
    float x[64];
    MpErr e = {0};
    assert_int_equal(gguf_tensor_read_f32(f, 2, x, 64, &e), MP_EIO);
    assert_non_null(strstr(e.msg, "w.q41"));
    gguf_close(f);
    free(b.b);
}

/* Every allocation failure is reported as MP_ENOMEM and leaks nothing (LSan in san-test). */
static void alloc_failure(void **state)
{
    (void)state;
    Buf b = {0};
    standard_file(&b);
    const char *p = write_buf("oom.gguf", &b);
    int done = 0;
    long i;
    for (i = 0; !done && i < 1000; i++) {
        mp_alloc_fail_after(i);
        GgufFile *f = NULL;
        MpErr e = {0};
        int rc = gguf_open(p, &f, &e);
        if (rc == MP_OK) {
            float *x = NULL;
            rc = gguf_tensor_read_f32_alloc(f, 2, &x, &e);
            mp_free(x);
            gguf_close(f);
            done = rc == MP_OK;
        }
        mp_alloc_fail_after(-1);
        if (rc != MP_OK)
            assert_int_equal(rc, MP_ENOMEM);
    }
    assert_true(done);
    assert_true(i > 3);
    free(b.b);
}

/* Not a regular file, missing file. */
static void not_a_file(void **state)
{
    (void)state;
    GgufFile *f = NULL;
    MpErr e = {0};
    assert_int_equal(gguf_open(tmpdir, &f, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "not a regular file"));
    e = (MpErr){0};
    assert_int_not_equal(gguf_open(tpath("missing.gguf"), &f, &e), MP_OK);
    assert_null(f);
}

/* Files written by the reference package's writer (gguf 0.19.0, tests/fuzz/gen_gguf_seeds.py, the
 * fuzz seeds): accepted, and read as that script wrote them. */
static void reads_reference_writer_files(void **state)
{
    (void)state;
    GgufFile *f = open_ok(MPSIM_DATADIR "/tests/fuzz/corpus/gguf/types.gguf");
    MpErr e = {0};
    uint32_t u;
    const char *s;
    int b;
    float x;
    assert_int_equal(gguf_get_u32(f, "llama.block_count", &u, &e), MP_OK);
    assert_int_equal(u, 2);
    assert_int_equal(gguf_get_f32(f, "llama.rope.freq_base", &x, &e), MP_OK);
    assert_true(x == 10000.0f);
    assert_int_equal(gguf_get_bool(f, "flag", &b, &e), MP_OK);
    assert_int_equal(b, 1);
    assert_int_equal(gguf_get_str(f, "general.name", &s, &e), MP_OK);
    assert_string_equal(s, "seed caf\xc3\xa9");
    const int32_t *iv;
    uint64_t n;
    assert_int_equal(gguf_get_arr_i32(f, "ints", &iv, &n, &e), MP_OK);
    assert_true(n == 3 && iv[0] == 1 && iv[2] == 3);
    static const struct {
        const char *name;
        GgmlType type;
        uint64_t ne0, ne1, offset;
    } want[] = {{"f32", GGML_F32, 8, 2, 0}, {"f16", GGML_F16, 8, 1, 64}, {"q41", GGML_Q4_1, 32, 2, 96},
                {"q80", GGML_Q8_0, 64, 1, 160}, {"q6k", GGML_Q6_K, 256, 1, 256}};
    assert_int_equal(gguf_tensor_count(f), 5);
    for (size_t i = 0; i < 5; i++) {
        const GgufTensor *t = gguf_tensor(f, i);
        assert_string_equal(t->name, want[i].name);
        assert_int_equal(t->type, want[i].type);
        assert_int_equal(t->ne[0], want[i].ne0);
        assert_int_equal(t->ne[1], want[i].ne1);
        assert_int_equal(t->offset, want[i].offset);
        float *v = NULL;
        assert_int_equal(gguf_tensor_read_f32_alloc(f, i, &v, &e), MP_OK);
        for (uint64_t k = 0; k < t->numel; k++)
            assert_true(isfinite(v[k]));
        mp_free(v);
    }
    gguf_close(f);
    f = open_ok(MPSIM_DATADIR "/tests/fuzz/corpus/gguf/empty-a64.gguf");
    assert_int_equal(gguf_alignment(f), 64);
    assert_int_equal(gguf_tensor_count(f), 0);
    gguf_close(f);
    f = open_ok(MPSIM_DATADIR "/tests/fuzz/corpus/gguf/tokenizer.gguf");
    const char *const *toks;
    assert_int_equal(gguf_get_arr_str(f, "tokenizer.ggml.tokens", &toks, &n, &e), MP_OK);
    assert_int_equal(n, 264);
    assert_string_equal(toks[0], "<|endoftext|>");
    gguf_close(f);
    expect_bad(MPSIM_DATADIR "/tests/fuzz/corpus/gguf/overlap.gguf", "tensor 'b': bytes [0, 32) overlap tensor 'a'");
}

/* `mpsim trace info` recognises a GGUF file by its magic (whatever its name), describes it, writes
 * JSON, and refuses a bad one with "FILE: problem" and exit status 2. */
static void cli_trace_info(void **state)
{
    (void)state;
    Buf b = {0};
    standard_file(&b);
    const char *p = write_buf("model.bin", &b);
    char args[2048], jpath[1024];
    snprintf(jpath, sizeof jpath, "%s", tpath("info.json"));
    snprintf(args, sizeof args, "trace info --json '%s' '%s'", jpath, p);
    CLI_EXPECT(args, CLI_ERR_APART, 0);
    CLI_CONTAINS(cli_out, "GGUF v3, 5 tensors, 19 metadata entries, alignment 32");
    CLI_CONTAINS(cli_out, "architecture: llama");
    CLI_CONTAINS(cli_out, "  Q4_1        1 tensors            64 elements            40 bytes   5.000 bits/element");
    CLI_CONTAINS(cli_out, "  strs = [string x 3] \"a\", \"\", \"\xc4\xa0the\"");
    CLI_CONTAINS(cli_out, "w.q41");
    cJSON *j = cli_json_file(jpath);
    assert_string_equal(cli_str(j, "format"), "gguf");
    assert_int_equal(cJSON_GetArraySize(cli_arr(j, "tensors")), 5);
    assert_true(cli_num(cli_obj(cli_obj(j, "types"), "Q8_0"), "numel") == 64);
    cJSON_Delete(j);

    Buf bad = {0};
    mk_overlap(&bad);
    p = write_buf("bad.gguf", &bad);
    snprintf(args, sizeof args, "trace info '%s'", p);
    CLI_EXPECT(args, CLI_ERR_APART, 2);
    char want[1024];
    snprintf(want, sizeof want, "%s: tensor 'h': bytes [0, 8) overlap tensor 'emb'", p);
    CLI_CONTAINS(cli_err, want);
    free(b.b);
    free(bad.b);
}

int main(void)
{
    static struct CMUnitTest tests[64 + NBAD];
    size_t n = 0;
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(reads_standard_file),
        cmocka_unit_test(getters_refuse_wrong_types),
        cmocka_unit_test(versions_and_alignment),
        cmocka_unit_test(unsupported_type_named),
        cmocka_unit_test(types_and_blocks),
        cmocka_unit_test(truncated_everywhere),
        cmocka_unit_test(corrupted_bytes),
        cmocka_unit_test(file_shrinks_after_open),
        cmocka_unit_test(alloc_failure),
        cmocka_unit_test(not_a_file),
        cmocka_unit_test(reads_reference_writer_files),
        cmocka_unit_test(cli_trace_info),
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < NBAD; i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(bad_file, (void *)&bad_cases[i]);
        t.name = bad_cases[i].name;
        tests[n++] = t;
    }
    return _cmocka_run_group_tests("gguf", tests, n, setup_dir, teardown_dir);
}
