/* tests/model_smollm2.c — the GGUF reader and the tokenizer against independent references, on
 * the real SmolLM2-135M model (the model-test suite, scripts/model-test.sh; not a unit test: it
 * needs the model and the Python packages that `make deps` fetches, and the suite SKIPs without
 * them).
 *
 * Inputs (environment, set by scripts/model-test.sh):
 *   MODEL_GGUF   the SmolLM2-135M-Instruct.Q4_1.gguf file
 *   MODEL_REF    a folder written by tests/ref/gguf_ref.py: blocks/<TYPE>.{raw,f32} (random blocks
 *                and the gguf package's dequantization), tensors/index.txt + rows (the gguf
 *                package's dequantization of rows of every tensor of the model), tok/<name>.ids
 *                (Hugging Face tokenizers' ids of the texts named in tok/list.txt)
 * Oracles: bit-for-bit equality with gguf.quants.dequantize; token-for-token equality with a
 * tokenizers BPE built from the same vocabulary and merges; the model's published shape
 * (reference/data.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "base/alloc.h"
#include "base/fileio.h"
#include "traces/gguf.h"
#include "traces/workload.h"
#include "traces/tokenizer.h"

static const char *model, *ref;

static const char *refpath(const char *rel)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", ref, rel);
    return buf[k];
}

static void *slurp(const char *path, size_t *n)
{
    char *d = NULL;
    MpErr e = {0};
    if (mp_read_file(path, (size_t)1 << 30, &d, n, &e))
        print_error("%s\n", e.msg);
    assert_non_null(d);
    return d;
}

static GgufFile *open_model(void)
{
    GgufFile *f = NULL;
    MpErr e = {0};
    if (gguf_open(model, &f, &e))
        print_error("%s\n", e.msg);
    assert_non_null(f);
    return f;
}

/* The published shape of the model (reference/data.md). */
static void model_metadata(void **state)
{
    (void)state;
    GgufFile *f = open_model();
    MpErr e = {0};
    const char *arch;
    uint32_t u;
    float x;
    assert_int_equal(gguf_get_str(f, "general.architecture", &arch, &e), MP_OK);
    assert_string_equal(arch, "llama");
    struct {
        const char *key;
        uint32_t v;
    } want[] = {{"llama.block_count", 30}, {"llama.embedding_length", 576}, {"llama.feed_forward_length", 1536},
                {"llama.attention.head_count", 9}, {"llama.attention.head_count_kv", 3}, {"llama.vocab_size", 49152}};
    /* the workload library's row (what `mpsim run --model smollm2-135m` simulates) is this file's model */
    const WlModel *m = wl_model_find("smollm2-135m", &e);
    assert_non_null(m);
    assert_true(m->layers == 30 && m->hidden == 576 && m->ffn == 1536 && m->heads == 9 && m->kv_heads == 3 &&
                m->head_dim == 576 / 9 && m->vocab == 49152 && m->ffn_kind == WL_FFN_GATED);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(gguf_get_u32(f, want[i].key, &u, &e), MP_OK);
        assert_int_equal(u, want[i].v);
    }
    assert_int_equal(gguf_get_f32(f, "llama.rope.freq_base", &x, &e), MP_OK);
    assert_true(x == 100000.0f);
    assert_int_equal(gguf_tensor_count(f), 272);
    int n41 = 0, n80 = 0, n32 = 0;
    for (size_t i = 0; i < gguf_tensor_count(f); i++) {
        GgmlType t = gguf_tensor(f, i)->type;
        n41 += t == GGML_Q4_1;
        n80 += t == GGML_Q8_0;
        n32 += t == GGML_F32;
    }
    assert_int_equal(n41, 210);
    assert_int_equal(n80, 1);
    assert_int_equal(n32, 61);
    const GgufTensor *emb = gguf_tensor(f, (size_t)gguf_tensor_find(f, "token_embd.weight"));
    assert_true(emb->ne[0] == 576 && emb->ne[1] == 49152);
    gguf_close(f);
}

/* Random blocks of every type: gguf_dequant == gguf.quants.dequantize, bit for bit. */
static void blocks_match_reference(void **state)
{
    (void)state;
    static const char *types[] = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                                  "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        int code = -1;
        for (int c = 0; c < GGML_TYPE_CODES; c++)
            if (ggml_type_name(c) && !strcmp(ggml_type_name(c), types[k]))
                code = c;
        assert_true(code >= 0);
        unsigned be, bb;
        assert_int_equal(ggml_type_block(code, &be, &bb), 0);
        char rel[64];
        size_t nraw, nref;
        snprintf(rel, sizeof rel, "blocks/%s.raw", types[k]);
        unsigned char *raw = slurp(refpath(rel), &nraw);
        snprintf(rel, sizeof rel, "blocks/%s.f32", types[k]);
        float *want = slurp(refpath(rel), &nref);
        assert_int_equal(nraw % bb, 0);
        const uint64_t nblocks = nraw / bb;
        assert_int_equal(nref, nblocks * be * sizeof(float));
        float *got = malloc(nref);
        assert_int_equal(gguf_dequant(code, raw, nblocks, got), 0);
        size_t bad = 0, first = 0;
        for (size_t i = 0; i < nblocks * be; i++)
            if (tu_f32_bits(got[i]) != tu_f32_bits(want[i]) && !bad++)
                first = i;
        if (bad)
            print_error("%s: %zu of %zu values differ, first at %zu: %a vs %a\n", types[k], bad,
                        (size_t)(nblocks * be), first, (double)got[first], (double)want[first]);
        assert_int_equal(bad, 0);
        printf("# %-5s %llu blocks, %llu values bit-identical\n", types[k], (unsigned long long)nblocks,
               (unsigned long long)(nblocks * be));
        free(got);
        mp_free(raw);
        mp_free(want);
    }
}

/* Rows of every tensor of the model, read through the reader, equal the reference bit for bit. */
static void tensors_match_reference(void **state)
{
    (void)state;
    GgufFile *f = open_model();
    size_t n;
    char *idx = slurp(refpath("tensors/index.txt"), &n);
    char *save = NULL;
    size_t rows = 0, values = 0;
    unsigned char *seen = calloc(gguf_tensor_count(f), 1);
    int per_type[GGML_TYPE_CODES] = {0};
    for (char *line = strtok_r(idx, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[128], type[16], file[64];
        unsigned long long r0, nr;
        assert_int_equal(sscanf(line, "%127s %15s %llu %llu %63s", name, type, &r0, &nr, file), 5);
        long i = gguf_tensor_find(f, name);
        assert_true(i >= 0);
        const GgufTensor *t = gguf_tensor(f, (size_t)i);
        assert_string_equal(ggml_type_name((int)t->type), type);
        char rel[128];
        size_t nref;
        snprintf(rel, sizeof rel, "tensors/%s", file);
        float *want = slurp(refpath(rel), &nref);
        assert_int_equal(nref, nr * t->ne[0] * sizeof(float));
        float *got = malloc(nref);
        MpErr e = {0};
        assert_int_equal(gguf_tensor_read_rows_f32(f, (size_t)i, r0, nr, got, nr * t->ne[0], &e), MP_OK);
        for (size_t k = 0; k < nr * t->ne[0]; k++)
            if (tu_f32_bits(got[k]) != tu_f32_bits(want[k])) {
                print_error("%s row %llu element %zu: %a vs %a\n", name, r0, k, (double)got[k], (double)want[k]);
                fail();
            }
        if (!seen[i])
            per_type[t->type]++;
        seen[i] = 1;
        rows += nr;
        values += nr * t->ne[0];
        free(got);
        mp_free(want);
    }
    for (size_t i = 0; i < gguf_tensor_count(f); i++)
        assert_true(seen[i]);  /* every tensor was compared */
    printf("# %zu tensors (Q4_1 %d, Q8_0 %d, F32 %d), %zu rows, %zu values bit-identical\n", gguf_tensor_count(f),
           per_type[GGML_Q4_1], per_type[GGML_Q8_0], per_type[GGML_F32], rows, values);
    free(seen);
    mp_free(idx);
    gguf_close(f);
}

/* Token for token against the independent tokenizer on each listed text; decode(encode(s)) == s. */
static void tokenizer_matches_reference(void **state)
{
    (void)state;
    GgufFile *f = open_model();
    Tokenizer *t = NULL;
    MpErr e = {0};
    if (tok_from_gguf(f, &t, &e))
        print_error("%s\n", e.msg);
    assert_non_null(t);
    gguf_close(f);  /* the tokenizer keeps its own copies */
    assert_int_equal(tok_vocab_size(t), 49152);
    assert_string_equal(tok_pre_name(t), "smollm");
    assert_int_equal(tok_bos(t), 1);
    assert_int_equal(tok_eos(t), 2);
    size_t n;
    char *list = slurp(refpath("tok/list.txt"), &n);
    char *save = NULL;
    size_t total = 0;
    int texts = 0;
    for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char text[512], ids_file[256];
        assert_int_equal(sscanf(line, "%255s %511s", ids_file, text), 2);
        size_t len, nref;
        char *s = slurp(text, &len);
        char *r = slurp(refpath(ids_file), &nref);
        int32_t *ids = NULL;
        size_t nids;
        e = (MpErr){0};
        assert_int_equal(tok_encode(t, s, len, &ids, &nids, &e), MP_OK);
        size_t k = 0;
        char *save2 = NULL;
        for (char *tok = strtok_r(r, "\n", &save2); tok; tok = strtok_r(NULL, "\n", &save2), k++) {
            long want = strtol(tok, NULL, 10);
            if (k >= nids || ids[k] != want) {
                print_error("%s: token %zu: got %d (%s), reference %ld (%s)\n", text, k, k < nids ? ids[k] : -1,
                            k < nids ? tok_piece(t, ids[k]) : "-", want, tok_piece(t, (int32_t)want));
                fail();
            }
        }
        assert_int_equal(k, nids);
        char *back = NULL;
        size_t blen;
        assert_int_equal(tok_decode(t, ids, nids, &back, &blen, &e), MP_OK);
        assert_int_equal(blen, len);
        assert_memory_equal(back, s, len);
        printf("# %s: %zu bytes, %zu tokens identical to the reference, decode(encode) exact\n", text, len, nids);
        total += nids;
        texts++;
        mp_free(back);
        mp_free(ids);
        mp_free(s);
        mp_free(r);
    }
    assert_true(texts >= 2);
    printf("# tokenizer: %zu tokens over %d texts identical\n", total, texts);
    mp_free(list);
    tok_free(t);
}

int main(void)
{
    model = getenv("MODEL_GGUF");
    ref = getenv("MODEL_REF");
    if (!model || !ref) {
        fprintf(stderr, "model_smollm2: set MODEL_GGUF and MODEL_REF (scripts/model-test.sh does)\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_metadata),
        cmocka_unit_test(blocks_match_reference),
        cmocka_unit_test(tensors_match_reference),
        cmocka_unit_test(tokenizer_matches_reference),
    };
    return cmocka_run_group_tests_name("model_smollm2", tests, NULL, NULL);
}
