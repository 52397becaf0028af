/* tests/fuzz/fuzz_gguf.c — the strict GGUF reader (traces/gguf.c) and the tokenizer built from it
 * (traces/tokenizer.c).
 *
 * The input is written to a temporary .gguf file and opened with gguf_open; for an accepted file
 * every metadata value is walked (nested arrays included) and looked up again by key, the typed
 * getters are called on every key, every tensor is found by name, and every tensor of a type
 * gguf_dequant converts, of at most 1 Mi elements, is read as f32 (first whole, then its last
 * row). When the file carries tokenizer metadata, a tokenizer is built and a fixed text (letters,
 * digits, spaces, contractions, multi-byte characters) is encoded and decoded. */
#include "tests/fuzz/fuzzutil.h"

#include "traces/gguf.h"
#include "traces/tokenizer.h"

static uint64_t walk(const GgufValue *v, int depth)
{
    uint64_t s = (uint64_t)v->type;
    if (v->type == GGUF_VAL_STRING)
        return s + strlen(v->v.str.s) + v->v.str.len;
    if (v->type != GGUF_VAL_ARRAY)
        return s + v->v.u;
    s += v->v.arr.n + (uint64_t)v->v.arr.type;
    for (uint64_t i = 0; i < v->v.arr.n; i++) {
        if (v->v.arr.type == GGUF_VAL_ARRAY)
            s += walk((const GgufValue *)v->v.arr.data + i, depth + 1);
        else if (v->v.arr.type == GGUF_VAL_STRING)
            s += strlen(((const char *const *)v->v.arr.data)[i]);
        else if (v->v.arr.type == GGUF_VAL_U8 || v->v.arr.type == GGUF_VAL_BOOL)
            s += ((const uint8_t *)v->v.arr.data)[i];
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    const char *path = fuzz_tmp_path("gguf", ".gguf");
    if (fuzz_tmp_write(path, data, size))
        return 0;
    GgufFile *f = NULL;
    MpErr e = {0};
    if (gguf_open(path, &f, &e) == MP_OK) {
        volatile uint64_t sink = gguf_version(f) + gguf_alignment(f) + gguf_data_offset(f) + gguf_data_bytes(f);
        for (size_t i = 0; i < gguf_kv_count(f); i++) {
            const char *key = gguf_kv_key(f, i);
            sink += walk(gguf_kv_value(f, i), 0) + (uint64_t)gguf_kv_find(f, key);
            MpErr e2 = {0};
            uint32_t u32;
            int32_t i32;
            uint64_t u64, n;
            float x;
            int b;
            const char *s;
            const void *d;
            sink += (uint64_t)gguf_get_u32(f, key, &u32, &e2) + (uint64_t)gguf_get_i32(f, key, &i32, &e2) +
                    (uint64_t)gguf_get_u64(f, key, &u64, &e2) + (uint64_t)gguf_get_f32(f, key, &x, &e2) +
                    (uint64_t)gguf_get_bool(f, key, &b, &e2) + (uint64_t)gguf_get_str(f, key, &s, &e2) +
                    (uint64_t)gguf_get_arr(f, key, GGUF_VAL_STRING, &n, &d, &e2);
        }
        for (size_t i = 0; i < gguf_tensor_count(f); i++) {
            const GgufTensor *t = gguf_tensor(f, i);
            sink += (uint64_t)gguf_tensor_find(f, t->name) + t->numel + t->bytes + t->offset;
            if (ggml_type_can_dequant((int)t->type) && t->numel <= (1u << 20)) {
                float *v = NULL;
                MpErr e2 = {0};
                if (gguf_tensor_read_f32_alloc(f, i, &v, &e2) == MP_OK) {
                    const uint64_t rows = t->numel / t->ne[0];
                    (void)gguf_tensor_read_rows_f32(f, i, rows - 1, 1, v, (size_t)t->numel, &e2);
                    mp_free(v);
                }
            }
        }
        Tokenizer *tk = NULL;
        MpErr e3 = {0};
        if (gguf_get(f, "tokenizer.ggml.tokens") && tok_from_gguf(f, &tk, &e3) == MP_OK) {
            static const char text[] = "Hello, world! It's 2026: 42 caf\xc3\xa9s\n\n  0. \xe4\xb8\xad\xe6\x96\x87 don't";
            int32_t *ids = NULL;
            size_t nids = 0;
            if (tok_encode(tk, text, sizeof text - 1, &ids, &nids, &e3) == MP_OK) {
                char *back = NULL;
                size_t blen = 0;
                if (tok_decode(tk, ids, nids, &back, &blen, &e3) == MP_OK)
                    mp_free(back);
                mp_free(ids);
            }
            tok_free(tk);
        }
        (void)sink;
        gguf_close(f);
    }
    unlink(path);
    return 0;
}
