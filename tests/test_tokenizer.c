/* tests/test_tokenizer.c — the byte-level BPE tokenizer (traces/tokenizer.h) on small vocabularies
 * written into GGUF files here.
 *
 * Oracles: a naive O(n^2) BPE written in this file (always merge the lowest-rank adjacent pair,
 * leftmost first) on random texts of one piece; pre-tokenizer cases worked out by hand from the
 * rule list in traces/tokenizer.c (each case uses merges that would cross the expected piece
 * boundary, so a wrong split shows); decode(encode(s)) == s. The comparison with Hugging Face
 * tokenizers on the real SmolLM2 vocabulary is tests/model_smollm2.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "ggufbuf.h"

#include "base/alloc.h"
#include "base/rng.h"
#include "traces/gguf.h"
#include "traces/tokenizer.h"

static char tmpdir[] = "/tmp/mpsim_tok_XXXXXX";
static int setup_dir(void **state) { (void)state; return mkdtemp(tmpdir) ? 0 : -1; }
static int teardown_dir(void **state) { (void)state; return tu_rm_tree(tmpdir); }

/* ---- a GGUF with tokenizer metadata ------------------------------------------------ */


/* The 256 byte-level symbols in byte order (GPT-2's mapping), as UTF-8 strings. */
static void byte_symbols(char sym[256][4])
{
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        int self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        unsigned cp = self ? (unsigned)b : 0x100u + (unsigned)extra++;
        memset(sym[b], 0, 4);
        if (cp < 0x80)
            sym[b][0] = (char)cp;
        else {
            sym[b][0] = (char)(0xC0 | cp >> 6);
            sym[b][1] = (char)(0x80 | (cp & 63));
        }
    }
}

typedef struct Vocab {
    char **tok;
    int ntok;
    char **merge;
    int nmerge;
} Vocab;

static int vocab_add(Vocab *v, const char *s)
{
    for (int i = 0; i < v->ntok; i++)
        if (!strcmp(v->tok[i], s))
            return i;
    v->tok = realloc(v->tok, (size_t)(v->ntok + 1) * sizeof *v->tok);
    v->tok[v->ntok] = strdup(s);
    return v->ntok++;
}

/* A merge "l r" (both tokens must exist) and its result as a token. */
static void vocab_merge(Vocab *v, const char *l, const char *r)
{
    char m[600], c[600];
    snprintf(m, sizeof m, "%s %s", l, r);
    snprintf(c, sizeof c, "%s%s", l, r);
    v->merge = realloc(v->merge, (size_t)(v->nmerge + 1) * sizeof *v->merge);
    v->merge[v->nmerge++] = strdup(m);
    vocab_add(v, c);
}

static void vocab_bytes(Vocab *v)
{
    char sym[256][4];
    byte_symbols(sym);
    vocab_add(v, "<|endoftext|>");
    for (int b = 0; b < 256; b++)
        vocab_add(v, sym[b]);
}

static void vocab_free(Vocab *v)
{
    for (int i = 0; i < v->ntok; i++)
        free(v->tok[i]);
    for (int i = 0; i < v->nmerge; i++)
        free(v->merge[i]);
    free(v->tok);
    free(v->merge);
    memset(v, 0, sizeof *v);
}

/* Write a GGUF (no tensors) with the vocabulary; model/pre NULL leaves the key out. */
static const char *write_tok_file(const char *name, const Vocab *v, const char *model, const char *pre,
                                  int with_types, int types_len_delta)
{
    Buf k = {0}, b = {0};
    int nkv = 0;
    if (model) {
        put_str(&k, "tokenizer.ggml.model"); put_u32(&k, GGUF_VAL_STRING); put_str(&k, model); nkv++;
    }
    if (pre) {
        put_str(&k, "tokenizer.ggml.pre"); put_u32(&k, GGUF_VAL_STRING); put_str(&k, pre); nkv++;
    }
    put_str(&k, "tokenizer.ggml.tokens"); put_u32(&k, GGUF_VAL_ARRAY); put_u32(&k, GGUF_VAL_STRING);
    put_u64(&k, (uint64_t)v->ntok);
    for (int i = 0; i < v->ntok; i++)
        put_str(&k, v->tok[i]);
    nkv++;
    put_str(&k, "tokenizer.ggml.merges"); put_u32(&k, GGUF_VAL_ARRAY); put_u32(&k, GGUF_VAL_STRING);
    put_u64(&k, (uint64_t)v->nmerge);
    for (int i = 0; i < v->nmerge; i++)
        put_str(&k, v->merge[i]);
    nkv++;
    if (with_types) {
        int n = v->ntok + types_len_delta;
        put_str(&k, "tokenizer.ggml.token_type"); put_u32(&k, GGUF_VAL_ARRAY); put_u32(&k, GGUF_VAL_I32);
        put_u64(&k, (uint64_t)n);
        for (int i = 0; i < n; i++)
            put_u32(&k, i == 0 ? 3 : 1);  /* <|endoftext|> is a control token */
        nkv++;
    }
    put_str(&k, "tokenizer.ggml.bos_token_id"); put_u32(&k, GGUF_VAL_U32); put_u32(&k, 0); nkv++;
    put(&b, "GGUF", 4);
    put_u32(&b, 3);
    put_u64(&b, 0);
    put_u64(&b, (uint64_t)nkv);
    put(&b, k.b, k.n);
    const char *p = tu_path(tmpdir, name);
    tu_write(p, b.b, b.n);
    free(k.b);
    free(b.b);
    return p;
}

static Tokenizer *load(const char *path)
{
    GgufFile *f = NULL;
    Tokenizer *t = NULL;
    MpErr e = {0};
    if (gguf_open(path, &f, &e) || tok_from_gguf(f, &t, &e))
        print_error("%s\n", e.msg);
    assert_non_null(t);
    gguf_close(f);
    return t;
}

static int load_err(const char *path, MpErr *e)
{
    GgufFile *f = NULL;
    Tokenizer *t = NULL;
    int rc = gguf_open(path, &f, e);
    assert_int_equal(rc, MP_OK);
    rc = tok_from_gguf(f, &t, e);
    assert_null(t);
    gguf_close(f);
    return rc;
}

/* Encode s and compare with the expected pieces (tokens as strings). */
static void expect_pieces(const Tokenizer *t, const char *s, const char *const *want, size_t nwant)
{
    int32_t *ids = NULL;
    size_t n = 0;
    MpErr e = {0};
    assert_int_equal(tok_encode(t, s, strlen(s), &ids, &n, &e), MP_OK);
    int ok = n == nwant;
    for (size_t i = 0; ok && i < n; i++)
        ok = !strcmp(tok_piece(t, ids[i]), want[i]);
    if (!ok) {
        print_error("'%s': got", s);
        for (size_t i = 0; i < n; i++)
            print_error(" [%s]", tok_piece(t, ids[i]));
        print_error("\n");
    }
    assert_true(ok);
    char *back = NULL;
    size_t blen;
    assert_int_equal(tok_decode(t, ids, n, &back, &blen, &e), MP_OK);
    assert_int_equal(blen, strlen(s));
    assert_memory_equal(back, s, blen);
    mp_free(back);
    mp_free(ids);
}

#define PIECES(t, s, ...)                                                                  \
    do {                                                                                   \
        static const char *const w_[] = {__VA_ARGS__};                                     \
        expect_pieces((t), (s), w_, sizeof w_ / sizeof w_[0]);                             \
    } while (0)

/* Merges that would cross every boundary the split must keep. "Ġ" is the space, "Ċ" newline. */
static void split_vocab(Vocab *v)
{
    vocab_bytes(v);
    vocab_merge(v, "\xc4\xa0", "1");        /* Ġ 1   */
    vocab_merge(v, "1", "2");               /* 1 2   */
    vocab_merge(v, "\xc4\xa0", "\xc4\xa0"); /* Ġ Ġ   */
    vocab_merge(v, "\xc4\xa0", "b");        /* Ġ b   */
    vocab_merge(v, "t", "'");               /* t '   */
    vocab_merge(v, "'", "s");               /* ' s   */
    vocab_merge(v, "\xc4\x8a", "\xc4\x8a"); /* Ċ Ċ   */
    vocab_merge(v, "a", "1");               /* a 1   */
    vocab_merge(v, "\xc4\xa0", "(");        /* Ġ (   */
    vocab_merge(v, "(", "(");               /* ( (   */
    vocab_merge(v, "\xc4\x8a", "y");        /* Ċ y   */
    vocab_merge(v, "'", "r");               /* ' r   */
    vocab_merge(v, "'r", "e");              /* 'r e  */
    vocab_merge(v, "\xc4\xa0", "0");        /* Ġ 0   */
}

static void pretokenizer_smollm(void **state)
{
    (void)state;
    Vocab v = {0};
    split_vocab(&v);
    Tokenizer *t = load(write_tok_file("smollm.gguf", &v, "gpt2", "smollm", 1, 0));
    assert_string_equal(tok_pre_name(t), "smollm");
    assert_int_equal(tok_bos(t), 0);
    assert_int_equal(tok_eos(t), -1);
    PIECES(t, " 12", "\xc4\xa0", "1", "2");               /* each digit alone, the space before it too */
    PIECES(t, "a1", "a", "1");
    PIECES(t, "a  b", "a", "\xc4\xa0", "\xc4\xa0" "b");   /* run minus its last, then " b" */
    PIECES(t, "a   ", "a", "\xc4\xa0\xc4\xa0", "\xc4\xa0"); /* trailing run whole; Ġ Ġ merges leftmost first */
    vocab_free(&v);
    tok_free(t);
}

static void pretokenizer_cases(void **state)
{
    (void)state;
    Vocab v = {0};
    split_vocab(&v);
    vocab_merge(&v, "\xc4\xa0\xc4\xa0", "\xc4\xa0"); /* ĠĠ Ġ, so a whole 3-space run is one token */
    Tokenizer *s = load(write_tok_file("smollm2.gguf", &v, "gpt2", "smollm", 1, 0));
    Tokenizer *g = load(write_tok_file("gpt2.gguf", &v, "gpt2", "gpt2", 0, 0));
    /* gpt2: " 12" is one piece (optional space + numbers) */
    PIECES(g, " 12", "\xc4\xa0" "1", "2");
    PIECES(s, " 12", "\xc4\xa0", "1", "2");
    /* a 3-space run at the end stays whole; before a letter it gives up its last space */
    PIECES(s, "a   ", "a", "\xc4\xa0\xc4\xa0\xc4\xa0");
    PIECES(s, "a   b", "a", "\xc4\xa0\xc4\xa0", "\xc4\xa0" "b");
    /* contractions: "'s" is a piece, so "t'" never merges */
    PIECES(s, "it's", "i", "t", "'s");
    PIECES(s, "they're", "t", "h", "e", "y", "'re");
    PIECES(s, "IT'S", "I", "T", "'", "S");  /* upper case: not a contraction ("'" then "S") */
    /* newlines: before a non-space a run keeps all but its last code point, and that last one,
     * alone before "y", is a run of one (only a space, not a newline, joins the next word) */
    PIECES(s, "x\n\ny", "x", "\xc4\x8a", "\xc4\x8a", "y");
    PIECES(s, "x\n\n", "x", "\xc4\x8a\xc4\x8a");
    /* punctuation: optional space + run of "other" */
    PIECES(s, "a ((b", "a", "\xc4\xa0(", "(", "b");
    /* smollm: white space before a digit ends its stretch, so the run is whole ("\n\n  ", then
     * "0"); gpt2: the run gives up its last space to " 0" (reference/data.md's example) */
    PIECES(s, "\n\n  0", "\xc4\x8a\xc4\x8a", "\xc4\xa0\xc4\xa0", "0");
    PIECES(g, "\n\n  0", "\xc4\x8a\xc4\x8a", "\xc4\xa0", "\xc4\xa0" "0");
    /* a multi-byte letter: its two bytes are two byte-level symbols ("Ã", "©") */
    PIECES(s, "caf\xc3\xa9!", "c", "a", "f", "\xc3\x83", "\xc2\xa9", "!");
    vocab_free(&v);
    tok_free(s);
    tok_free(g);
}

/* ---- the naive oracle ------------------------------------------------------------- */

/* Lowest-rank adjacent pair, leftmost among equals, until none: O(n^2) on token strings. */
static int naive_bpe(const Vocab *v, const char *text, char out[][64], int cap)
{
    int n = 0;
    for (const char *p = text; *p; p++) {
        out[n][0] = *p;
        out[n][1] = '\0';
        n++;
        assert_true(n < cap);
    }
    for (;;) {
        int best = -1, at = -1;
        for (int i = 0; i + 1 < n; i++) {
            char m[160];
            snprintf(m, sizeof m, "%s %s", out[i], out[i + 1]);
            for (int r = 0; r < v->nmerge; r++)
                if (!strcmp(v->merge[r], m)) {
                    if (best < 0 || r < best) {
                        best = r;
                        at = i;
                    }
                    break;
                }
        }
        if (best < 0)
            return n;
        char joined[64];
        snprintf(joined, sizeof joined, "%s%s", out[at], out[at + 1]);
        memcpy(out[at], joined, sizeof joined);
        memmove(out[at + 1], out[at + 2], (size_t)(n - at - 2) * sizeof out[0]);
        n--;
    }
}

/* Random merges over {a, b, c}, random words: the heap-based BPE equals the naive one. */
static void bpe_matches_naive(void **state)
{
    (void)state;
    MpRng r;
    mp_rng_seed(&r, tu_seed("bpe_matches_naive", 5));
    for (int round = 0; round < 20; round++) {
        Vocab v = {0};
        vocab_bytes(&v);
        const char *letters[] = {"a", "b", "c"};
        char made[64][32];
        int nmade = 0;
        for (int i = 0; i < 3; i++)
            strcpy(made[nmade++], letters[i]);
        for (int m = 0; m < 40; m++) {
            const char *l = made[mp_rng_below(&r, (uint64_t)nmade)], *rr = made[mp_rng_below(&r, (uint64_t)nmade)];
            if (strlen(l) + strlen(rr) >= 16)
                continue;
            char mm[64], cat[40];
            snprintf(mm, sizeof mm, "%s %s", l, rr);
            int dup = 0;
            for (int k = 0; k < v.nmerge; k++)
                dup |= !strcmp(v.merge[k], mm);
            if (dup)
                continue;
            vocab_merge(&v, l, rr);
            snprintf(cat, sizeof cat, "%s%s", l, rr);
            int have = 0;
            for (int k = 0; k < nmade; k++)
                have |= !strcmp(made[k], cat);
            if (!have && nmade < 64)
                strcpy(made[nmade++], cat);
        }
        char name[64];
        snprintf(name, sizeof name, "rand%d.gguf", round);
        Tokenizer *t = load(write_tok_file(name, &v, "gpt2", "smollm", 1, 0));
        for (int w = 0; w < 30; w++) {
            char text[200];
            int len = 1 + (int)mp_rng_below(&r, 150);
            for (int i = 0; i < len; i++)
                text[i] = "abc"[mp_rng_below(&r, 3)];
            text[len] = '\0';
            static char want[256][64];
            int nw = naive_bpe(&v, text, want, 256);
            int32_t *ids = NULL;
            size_t n;
            MpErr e = {0};
            assert_int_equal(tok_encode(t, text, (size_t)len, &ids, &n, &e), MP_OK);
            int ok = (int)n == nw;
            for (int i = 0; ok && i < nw; i++)
                ok = !strcmp(tok_piece(t, ids[i]), want[i]);
            if (!ok)
                print_error("round %d text %s: %zu tokens vs naive %d\n", round, text, n, nw);
            assert_true(ok);
            mp_free(ids);
        }
        tok_free(t);
        vocab_free(&v);
    }
}

/* A long single piece is O(n log n): 1 MiB of one letter with merges a a, aa aa, ... finishes. */
static void long_piece(void **state)
{
    (void)state;
    Vocab v = {0};
    vocab_bytes(&v);
    char l[300] = "a", r[300];
    for (int k = 0; k < 8; k++) {
        strcpy(r, l);
        vocab_merge(&v, l, r);
        strcat(l, r);
    }
    Tokenizer *t = load(write_tok_file("long.gguf", &v, "gpt2", "smollm", 1, 0));
    size_t len = (size_t)1 << 20;
    char *text = malloc(len);
    memset(text, 'a', len);
    int32_t *ids = NULL;
    size_t n;
    MpErr e = {0};
    assert_int_equal(tok_encode(t, text, len, &ids, &n, &e), MP_OK);
    assert_int_equal(n, len / 256);  /* every token is a^256 */
    assert_int_equal(strlen(tok_piece(t, ids[0])), 256);
    mp_free(ids);
    free(text);
    tok_free(t);
    vocab_free(&v);
}

/* Every byte round-trips; control tokens decode as their text. */
static void decode_bytes_and_control(void **state)
{
    (void)state;
    Vocab v = {0};
    vocab_bytes(&v);
    Tokenizer *t = load(write_tok_file("bytes.gguf", &v, "gpt2", "gpt2", 1, 0));
    char text[256];
    for (int b = 1; b < 128; b++)
        text[b - 1] = (char)b;  /* every ASCII byte (valid UTF-8) */
    int32_t *ids = NULL;
    size_t n;
    MpErr e = {0};
    assert_int_equal(tok_encode(t, text, 127, &ids, &n, &e), MP_OK);
    char *back;
    size_t blen;
    assert_int_equal(tok_decode(t, ids, n, &back, &blen, &e), MP_OK);
    assert_int_equal(blen, 127);
    assert_memory_equal(back, text, 127);
    mp_free(back);
    mp_free(ids);
    int32_t ctl[2] = {0, 1 + 'h'};  /* <|endoftext|>, then the token of byte 'h' */
    assert_int_equal(tok_decode(t, ctl, 2, &back, &blen, &e), MP_OK);
    assert_string_equal(back, "<|endoftext|>h");
    mp_free(back);
    tok_free(t);
    vocab_free(&v);
}

/* Bad metadata and bad input, each refused with MP_EINPUT and a message naming the problem. */
static void refusals(void **state)
{
    (void)state;
    Vocab v = {0};
    vocab_bytes(&v);
    MpErr e = {0};
    const char *p = write_tok_file("nomodel.gguf", &v, NULL, "smollm", 1, 0);
    assert_int_equal(load_err(p, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "key 'tokenizer.ggml.model': missing"));
    e = (MpErr){0};
    assert_int_equal(load_err(write_tok_file("spm.gguf", &v, "llama", NULL, 1, 0), &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "'llama' is not supported"));
    e = (MpErr){0};
    assert_int_equal(load_err(write_tok_file("qwen.gguf", &v, "gpt2", "qwen2", 1, 0), &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "pre-tokenizer 'qwen2' is not supported"));
    e = (MpErr){0};
    assert_int_equal(load_err(write_tok_file("types.gguf", &v, "gpt2", "smollm", 1, -1), &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "256 entries for 257 tokens"));

    Vocab d = {0};
    vocab_bytes(&d);
    d.tok = realloc(d.tok, (size_t)(d.ntok + 1) * sizeof *d.tok);
    d.tok[d.ntok++] = strdup("a");  /* a second "a" */
    e = (MpErr){0};
    assert_int_equal(load_err(write_tok_file("dup.gguf", &d, "gpt2", "smollm", 0, 0), &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "duplicates token"));
    vocab_free(&d);

    Vocab m = {0};
    vocab_bytes(&m);
    m.merge = malloc(sizeof *m.merge);
    m.merge[0] = strdup("ab");
    m.nmerge = 1;
    e = (MpErr){0};
    assert_int_equal(load_err(write_tok_file("merge1.gguf", &m, "gpt2", "smollm", 1, 0), &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "merge 0 is not 'left right'"));
    free(m.merge[0]);
    m.merge[0] = strdup("a b");  /* "ab" is not a token */
    e = (MpErr){0};
    assert_int_equal(load_err(write_tok_file("merge2.gguf", &m, "gpt2", "smollm", 1, 0), &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "merge 0 names a token that is not in the vocabulary"));
    vocab_free(&m);

    /* input: invalid UTF-8; a byte without a token; decode of an id out of range */
    Vocab s = {0};
    vocab_add(&s, "<|endoftext|>");
    char sym[256][4];
    byte_symbols(sym);
    for (int b = 0; b < 256; b++)
        if (b != 0x04)
            vocab_add(&s, sym[b]);
    Tokenizer *t = load(write_tok_file("no04.gguf", &s, "gpt2", "smollm", 1, 0));
    int32_t *ids = NULL;
    size_t n;
    e = (MpErr){0};
    assert_int_equal(tok_encode(t, "ab\xc3", 3, &ids, &n, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "byte 2: not valid UTF-8"));
    e = (MpErr){0};
    assert_int_equal(tok_encode(t, "ab\x04", 3, &ids, &n, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "byte 2: byte 0x04 has no token"));
    assert_null(ids);
    e = (MpErr){0};
    assert_int_equal(tok_encode(t, "", 0, &ids, &n, &e), MP_OK);
    assert_int_equal(n, 0);
    mp_free(ids);
    int32_t bad[1] = {256};
    char *back = NULL;
    size_t blen;
    e = (MpErr){0};
    assert_int_equal(tok_decode(t, bad, 1, &back, &blen, &e), MP_EINPUT);
    assert_non_null(strstr(e.msg, "id 256 is not in the vocabulary"));
    tok_free(t);
    vocab_free(&s);
    vocab_free(&v);
}

/* Allocation failures while building and encoding are MP_ENOMEM, without leaks (LSan). */
static void alloc_failure(void **state)
{
    (void)state;
    Vocab v = {0};
    split_vocab(&v);
    const char *p = write_tok_file("oom.gguf", &v, "gpt2", "smollm", 1, 0);
    GgufFile *f = NULL;
    MpErr e = {0};
    assert_int_equal(gguf_open(p, &f, &e), MP_OK);
    int done = 0;
    long i;
    for (i = 0; !done && i < 200; i++) {
        Tokenizer *t = NULL;
        e = (MpErr){0};
        mp_alloc_fail_after(i);
        int rc = tok_from_gguf(f, &t, &e);
        if (rc == MP_OK) {
            int32_t *ids = NULL;
            size_t n;
            rc = tok_encode(t, "it's 12 a  b", 12, &ids, &n, &e);
            mp_free(ids);
            tok_free(t);
            done = rc == MP_OK;
        }
        mp_alloc_fail_after(-1);
        if (rc != MP_OK)
            assert_int_equal(rc, MP_ENOMEM);
    }
    assert_true(done && i > 3);
    gguf_close(f);
    vocab_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pretokenizer_smollm),
        cmocka_unit_test(pretokenizer_cases),
        cmocka_unit_test(bpe_matches_naive),
        cmocka_unit_test(long_piece),
        cmocka_unit_test(decode_bytes_and_control),
        cmocka_unit_test(refusals),
        cmocka_unit_test(alloc_failure),
    };
    return cmocka_run_group_tests_name("tokenizer", tests, setup_dir, teardown_dir);
}
