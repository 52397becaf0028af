/* traces/tokenizer.c — see tokenizer.h: byte-level BPE from a GGUF file's vocabulary and merges.
 *
 * Pre-tokenizers (the rule for each tokenizer.ggml.pre value, as llama.cpp defines them):
 *   "gpt2", "default": the GPT-2 split, applied to the whole text;
 *   "smollm": first every \p{N} code point is cut out as a piece of its own, then the GPT-2 split
 *             runs on each stretch between them (so whitespace before a digit ends its stretch).
 * The GPT-2 split, written out here as a scanner instead of a regex, takes at position i the first
 * of these alternatives that matches (longest run each), then continues after it:
 *   1. an apostrophe followed by s, t, m or d, or by re, ve or ll (lower case only);
 *   2. an optional space (U+0020) followed by one or more letters (\p{L});
 *   3. an optional space followed by one or more numbers (\p{N});
 *   4. an optional space followed by one or more code points that are none of \s, \p{L}, \p{N};
 *   5. a run of white space (\s: Unicode White_Space) up to the end of the stretch, or, when a
 *      non-space follows the run, the run minus its last code point if that leaves at least one
 *      (regex "\s+(?!\S)");
 *   6. a run of white space (the one-code-point run before a non-space).
 * Every code point starts exactly one of these, so the pieces tile the stretch.
 *
 * BPE on one piece: the piece's bytes become symbols (one byte-level code point each), and the
 * adjacent pair of lowest merge rank, leftmost among equals, is merged until no pair has a rank.
 * A min-heap of (rank, position) holds the candidate pairs; entries made stale by a merge are
 * skipped when popped, so a piece of n bytes costs O(n log n).
 */
#include "traces/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/utf8.h"
#include "traces/unicode_tab.h"

enum { TOK_NORMAL = 1, TOK_UNKNOWN = 2, TOK_CONTROL = 3, TOK_USER = 4, TOK_UNUSED = 5, TOK_BYTE = 6 };
enum { PRE_GPT2, PRE_SMOLLM };

typedef struct PairSlot {
    uint64_t key;     /* left id << 32 | right id, UINT64_MAX when empty */
    int32_t rank;     /* merge rank (index in tokenizer.ggml.merges)     */
    int32_t merged;   /* id of left+right                                */
} PairSlot;

struct Tokenizer {
    size_t nvocab;
    const char **piece;   /* nvocab strings (copies) */
    size_t *piece_len;
    unsigned char *type;  /* token type per id (TOK_*), TOK_NORMAL when the file has none */
    char *pool;           /* storage of the strings */
    int32_t *vocab_slot;  /* open-addressing table of ids by string, size vmask+1, -1 empty */
    size_t vmask;
    PairSlot *pairs;      /* open-addressing table of merges, size pmask+1 */
    size_t pmask;
    int32_t byte_tok[256];   /* id of the one-symbol token of each byte, -1 if the vocabulary has
                              * none (SmolLM2 lacks 21: six control bytes and 15 that never occur
                              * in UTF-8 or only for code points >= U+40000) */
    uint32_t byte_cp[256];   /* byte -> byte-level code point */
    int16_t cp_byte[324];    /* byte-level code point -> byte, -1 for none (code points < 324) */
    int pre;
    char pre_name[16];
    int32_t bos, eos;
};

size_t tok_vocab_size(const Tokenizer *t) { return t->nvocab; }
const char *tok_piece(const Tokenizer *t, int32_t id)
{
    return id >= 0 && (size_t)id < t->nvocab ? t->piece[id] : NULL;
}
int32_t tok_bos(const Tokenizer *t) { return t->bos; }
int32_t tok_eos(const Tokenizer *t) { return t->eos; }
const char *tok_pre_name(const Tokenizer *t) { return t->pre_name; }

void tok_free(Tokenizer *t)
{
    if (!t)
        return;
    mp_free(t->piece);
    mp_free(t->piece_len);
    mp_free(t->type);
    mp_free(t->pool);
    mp_free(t->vocab_slot);
    mp_free(t->pairs);
    mp_free(t);
}

/* ---- hashing ---------------------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static int32_t vocab_find(const Tokenizer *t, const char *s, size_t n)
{
    for (size_t i = hash_bytes(s, n) & t->vmask;; i = (i + 1) & t->vmask) {
        int32_t id = t->vocab_slot[i];
        if (id < 0)
            return -1;
        if (t->piece_len[id] == n && !memcmp(t->piece[id], s, n))
            return id;
    }
}

static const PairSlot *pair_find(const Tokenizer *t, int32_t a, int32_t b)
{
    const uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
    for (size_t i = hash_u64(key) & t->pmask;; i = (i + 1) & t->pmask) {
        if (t->pairs[i].key == UINT64_MAX)
            return NULL;
        if (t->pairs[i].key == key)
            return &t->pairs[i];
    }
}

static size_t table_size(size_t n)
{
    size_t s = 16;
    while (s < 2 * n)
        s *= 2;
    return s;
}

/* UTF-8 encode cp (< 0x110000, no surrogate) into out; returns the length. */
static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 63));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 63));
        out[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 63));
    out[2] = (char)(0x80 | ((cp >> 6) & 63));
    out[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* Decode the well-formed sequence at s (n >= 1 bytes, k = its length). */
static uint32_t utf8_get(const unsigned char *s, size_t k)
{
    if (k == 1)
        return s[0];
    uint32_t cp = s[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++)
        cp = cp << 6 | (s[i] & 63);
    return cp;
}

/* ---- character classes ------------------------------------------------------------ */

enum { CL_OTHER, CL_LETTER, CL_NUMBER, CL_SPACE };

static int in_ranges(const uint32_t (*r)[2], size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid][0])
            hi = mid;
        else if (cp > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static int char_class(uint32_t cp)
{
    /* \s is Unicode White_Space: U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A,
     * U+2028, U+2029, U+202F, U+205F, U+3000. */
    if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
        (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000)
        return CL_SPACE;
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return CL_LETTER;
        return cp >= '0' && cp <= '9' ? CL_NUMBER : CL_OTHER;
    }
    if (in_ranges(uni_letter, uni_letter_count, cp))
        return CL_LETTER;
    return in_ranges(uni_number, uni_number_count, cp) ? CL_NUMBER : CL_OTHER;
}

/* ---- building --------------------------------------------------------------------- */

static int build_fail(Tokenizer *t, int rc)
{
    tok_free(t);
    return rc;
}

int tok_from_gguf(const GgufFile *f, Tokenizer **out, MpErr *e)
{
    *out = NULL;
    const char *path = gguf_path(f), *model, *pre = "default";
    const char *const *toks, *const *merges;
    uint64_t ntok, nmerge, ntype = 0;
    const int32_t *types = NULL;
    int rc;
    if ((rc = gguf_get_str(f, "tokenizer.ggml.model", &model, e)))
        return rc;
    if (strcmp(model, "gpt2"))
        return mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.model': '%.40s' is not supported (only 'gpt2', byte-level BPE)",
                       path, model);
    if (gguf_get(f, "tokenizer.ggml.pre") && (rc = gguf_get_str(f, "tokenizer.ggml.pre", &pre, e)))
        return rc;
    int pre_kind;
    if (!strcmp(pre, "smollm"))
        pre_kind = PRE_SMOLLM;
    else if (!strcmp(pre, "gpt2") || !strcmp(pre, "default"))
        pre_kind = PRE_GPT2;
    else
        return mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.pre': pre-tokenizer '%.40s' is not supported (known: smollm, gpt2, default)",
                       path, pre);
    if ((rc = gguf_get_arr_str(f, "tokenizer.ggml.tokens", &toks, &ntok, e)) ||
        (rc = gguf_get_arr_str(f, "tokenizer.ggml.merges", &merges, &nmerge, e)))
        return rc;
    if (ntok == 0 || ntok > INT32_MAX / 2)
        return mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.tokens': %llu tokens, expected 1..%d", path,
                       (unsigned long long)ntok, INT32_MAX / 2);
    if (nmerge > INT32_MAX / 2)
        return mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.merges': %llu merges, more than %d", path,
                       (unsigned long long)nmerge, INT32_MAX / 2);
    if (gguf_get(f, "tokenizer.ggml.token_type")) {
        if ((rc = gguf_get_arr_i32(f, "tokenizer.ggml.token_type", &types, &ntype, e)))
            return rc;
        if (ntype != ntok)
            return mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.token_type': %llu entries for %llu tokens", path,
                           (unsigned long long)ntype, (unsigned long long)ntok);
    }

    Tokenizer *t = mp_calloc(1, sizeof *t);
    if (!t)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    t->pre = pre_kind;
    snprintf(t->pre_name, sizeof t->pre_name, "%s", pre);
    t->nvocab = (size_t)ntok;
    size_t pool_bytes = 0;
    for (size_t i = 0; i < t->nvocab; i++)
        pool_bytes += strlen(toks[i]) + 1;
    t->piece = mp_malloc(t->nvocab * sizeof *t->piece);
    t->piece_len = mp_malloc(t->nvocab * sizeof *t->piece_len);
    t->type = mp_malloc(t->nvocab);
    t->pool = mp_malloc(pool_bytes);
    t->vmask = table_size(t->nvocab) - 1;
    t->vocab_slot = mp_malloc((t->vmask + 1) * sizeof *t->vocab_slot);
    t->pmask = table_size((size_t)nmerge) - 1;
    t->pairs = mp_malloc((t->pmask + 1) * sizeof *t->pairs);
    if (!t->piece || !t->piece_len || !t->type || !t->pool || !t->vocab_slot || !t->pairs)
        return build_fail(t, mp_errf(e, MP_ENOMEM, "%s: out of memory", path));
    memset(t->vocab_slot, 0xff, (t->vmask + 1) * sizeof *t->vocab_slot);
    for (size_t i = 0; i <= t->pmask; i++)
        t->pairs[i].key = UINT64_MAX;

    /* Vocabulary: copies, types, the string -> id table (duplicates refused). */
    char *p = t->pool;
    for (size_t i = 0; i < t->nvocab; i++) {
        size_t n = strlen(toks[i]);
        if (n == 0)
            return build_fail(t, mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.tokens': token %zu is empty", path, i));
        memcpy(p, toks[i], n + 1);
        t->piece[i] = p;
        t->piece_len[i] = n;
        p += n + 1;
        int ty = types ? types[i] : TOK_NORMAL;
        if (ty < TOK_NORMAL || ty > TOK_BYTE)
            return build_fail(t, mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.token_type': token %zu has type %d (known: 1..6)",
                                         path, i, ty));
        t->type[i] = (unsigned char)ty;
        size_t s = hash_bytes(t->piece[i], n) & t->vmask;
        while (t->vocab_slot[s] >= 0) {
            int32_t o = t->vocab_slot[s];
            if (t->piece_len[o] == n && !memcmp(t->piece[o], t->piece[i], n))
                return build_fail(t, mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.tokens': token %zu duplicates token %d",
                                             path, i, (int)o));
            s = (s + 1) & t->vmask;
        }
        t->vocab_slot[s] = (int32_t)i;
    }

    /* The byte-level alphabet: the printable bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for
     * themselves; the other 68 bytes, in increasing order, take U+0100, U+0101, ... */
    for (int i = 0; i < 324; i++)
        t->cp_byte[i] = -1;
    for (int b = 0, extra = 0; b < 256; b++) {
        int self = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        t->byte_cp[b] = self ? (uint32_t)b : (uint32_t)(0x100 + extra++);
        t->cp_byte[t->byte_cp[b]] = (int16_t)b;
        char u[4];
        size_t n = utf8_put(t->byte_cp[b], u);
        t->byte_tok[b] = vocab_find(t, u, n);  /* -1: encoding a text with this byte fails */
    }

    /* Merges: "left right", both tokens, and left+right a token too. */
    char buf[1024];
    for (size_t r = 0; r < (size_t)nmerge; r++) {
        const char *m = merges[r], *sp = strchr(m, ' ');
        size_t n = strlen(m);
        if (!sp || sp == m || !sp[1] || strchr(sp + 1, ' '))
            return build_fail(t, mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.merges': merge %zu is not 'left right'", path, r));
        if (n >= sizeof buf)
            return build_fail(t, mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.merges': merge %zu is %zu bytes long, more than %zu",
                                         path, r, n, sizeof buf - 1));
        size_t ln = (size_t)(sp - m), rn = n - ln - 1;
        int32_t a = vocab_find(t, m, ln), b = vocab_find(t, sp + 1, rn);
        memcpy(buf, m, ln);
        memcpy(buf + ln, sp + 1, rn);
        int32_t c = vocab_find(t, buf, ln + rn);
        if (a < 0 || b < 0 || c < 0)
            return build_fail(t, mp_errf(e, MP_EINPUT, "%s: key 'tokenizer.ggml.merges': merge %zu names a token that is not in the vocabulary",
                                         path, r));
        const uint64_t key = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
        size_t s = hash_u64(key) & t->pmask;
        while (t->pairs[s].key != UINT64_MAX && t->pairs[s].key != key)
            s = (s + 1) & t->pmask;
        if (t->pairs[s].key == key)
            continue; /* a repeated merge keeps its first (lowest) rank */
        t->pairs[s] = (PairSlot){key, (int32_t)r, c};
    }

    t->bos = t->eos = -1;
    uint32_t id;
    if (gguf_get(f, "tokenizer.ggml.bos_token_id")) {
        if ((rc = gguf_get_u32(f, "tokenizer.ggml.bos_token_id", &id, e)))
            return build_fail(t, rc);
        t->bos = id < t->nvocab ? (int32_t)id : -1;
    }
    if (gguf_get(f, "tokenizer.ggml.eos_token_id")) {
        if ((rc = gguf_get_u32(f, "tokenizer.ggml.eos_token_id", &id, e)))
            return build_fail(t, rc);
        t->eos = id < t->nvocab ? (int32_t)id : -1;
    }
    *out = t;
    return MP_OK;
}

/* ---- encoding --------------------------------------------------------------------- */

typedef struct Sym {
    int32_t id;
    int32_t prev, next;  /* neighbours in the piece, -1 at the ends */
    uint32_t pos;        /* byte offset of the symbol in the piece: the heap's tie-break */
} Sym;

typedef struct Cand {
    int32_t rank;
    uint32_t pos;
    int32_t left, right; /* symbol indices */
    int32_t lid, rid;    /* their ids when pushed: stale if they changed */
} Cand;

static int cand_less(const Cand *a, const Cand *b)
{
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void heap_push(Cand *h, size_t *n, Cand c)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!cand_less(&c, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = c;
}

static Cand heap_pop(Cand *h, size_t *n)
{
    Cand top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const Cand *best = &last;
        if (l < *n && cand_less(&h[l], best)) {
            m = l;
            best = &h[l];
        }
        if (r < *n && cand_less(&h[r], best))
            m = r;
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    if (*n)
        h[i] = last;
    return top;
}

typedef struct Out {
    int32_t *ids;
    size_t n, cap;
} Out;

static int out_push(Out *o, int32_t id)
{
    if (o->n == o->cap) {
        size_t nc = o->cap ? 2 * o->cap : 256;
        int32_t *v = mp_realloc(o->ids, nc * sizeof *v);
        if (!v)
            return -1;
        o->ids = v;
        o->cap = nc;
    }
    o->ids[o->n++] = id;
    return 0;
}

/* Scratch space for one piece, grown as needed. */
typedef struct Work {
    Sym *sym;
    Cand *heap;
    size_t cap;  /* symbols; the heap holds up to 2*cap candidates */
} Work;

static void try_pair(const Tokenizer *t, const Sym *s, int32_t l, Cand *h, size_t *nh)
{
    if (l < 0 || s[l].next < 0)
        return;
    const int32_t r = s[l].next;
    const PairSlot *p = pair_find(t, s[l].id, s[r].id);
    if (p)
        heap_push(h, nh, (Cand){p->rank, s[l].pos, l, r, s[l].id, s[r].id});
}

/* BPE on the n bytes at b; ids appended to o. */
static int bpe_piece(const Tokenizer *t, const unsigned char *b, size_t n, Work *w, Out *o)
{
    if (n > w->cap) {
        size_t nc = n > 2 * w->cap ? n : 2 * w->cap;
        Sym *s = mp_realloc(w->sym, nc * sizeof *s);
        if (!s)
            return -1;
        w->sym = s;
        Cand *h = mp_realloc(w->heap, 2 * nc * sizeof *h);
        if (!h)
            return -1;
        w->heap = h;
        w->cap = nc;
    }
    Sym *s = w->sym;
    size_t nh = 0;
    for (size_t i = 0; i < n; i++)
        s[i] = (Sym){t->byte_tok[b[i]], (int32_t)i - 1, i + 1 < n ? (int32_t)i + 1 : -1, (uint32_t)i};
    /* Heap bound: n - 1 initial candidates, then each of the m <= n - 1 merges pops at least one
     * entry and pushes at most two, so at most n - 1 + m <= 2(n - 1) entries are ever held. */
    for (size_t i = 0; i + 1 < n; i++)
        try_pair(t, s, (int32_t)i, w->heap, &nh);
    while (nh) {
        Cand c = heap_pop(w->heap, &nh);
        if (s[c.left].id != c.lid || s[c.left].next != c.right || s[c.right].id != c.rid)
            continue; /* stale: one side was merged away or changed */
        const PairSlot *p = pair_find(t, c.lid, c.rid);
        s[c.left].id = p->merged;
        s[c.left].next = s[c.right].next;
        if (s[c.right].next >= 0)
            s[s[c.right].next].prev = c.left;
        s[c.right].id = -1; /* dead */
        try_pair(t, s, s[c.left].prev, w->heap, &nh);
        try_pair(t, s, c.left, w->heap, &nh);
    }
    for (int32_t i = 0; i >= 0; i = s[i].next)
        if (out_push(o, s[i].id))
            return -1;
    return 0;
}

/* The length in code points of the GPT-2 piece that starts at cp[i], in the stretch ending at to
 * (the alternatives 1-6 of the file comment). */
static size_t gpt2_match(const uint32_t *cp, const unsigned char *cl, size_t i, size_t to)
{
    /* 1. contractions */
    if (cp[i] == '\'' && i + 1 < to) {
        uint32_t a = cp[i + 1], b = i + 2 < to ? cp[i + 2] : 0;
        if (a == 's' || a == 't' || a == 'm' || a == 'd')
            return 2;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 3;
    }
    /* 2.-4. optional space, then a run of one class */
    size_t j = i + (cp[i] == ' ' && i + 1 < to && cl[i + 1] != CL_SPACE);
    const int k = cl[j];
    if (k != CL_SPACE) {
        size_t e = j + 1;
        while (e < to && cl[e] == k)
            e++;
        return e - i;
    }
    /* 5.-6. white space */
    size_t e = i + 1;
    while (e < to && cl[e] == CL_SPACE)
        e++;
    if (e == to || e - i == 1)
        return e - i;
    return e - i - 1;
}

int tok_encode(const Tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n, MpErr *e)
{
    *ids = NULL;
    *n = 0;
    const unsigned char *s = (const unsigned char *)text;
    size_t bad = mp_utf8_bad_at(s, len);
    if (bad != len)
        return mp_errf(e, MP_EINPUT, "text: byte %zu: not valid UTF-8", bad);
    /* Code points, their classes and byte offsets (off[i] = start of cp i; off[ncp] = len). */
    uint32_t *cp = mp_malloc((len + 1) * sizeof *cp);
    size_t *off = mp_malloc((len + 1) * sizeof *off);
    unsigned char *cl = mp_malloc(len + 1);
    Work w = {0};
    Out o = {0};
    int rc = MP_OK;
    if (!cp || !off || !cl) {
        rc = mp_errf(e, MP_ENOMEM, "tokenizer: out of memory");
        goto done;
    }
    size_t ncp = 0;
    for (size_t i = 0; i < len;) {
        size_t k = mp_utf8_seq_len(s + i, len - i);
        off[ncp] = i;
        cp[ncp] = utf8_get(s + i, k);
        cl[ncp] = (unsigned char)char_class(cp[ncp]);
        ncp++;
        i += k;
    }
    off[ncp] = len;
    for (size_t i = 0; i < len; i++)
        if (t->byte_tok[s[i]] < 0) {
            rc = mp_errf(e, MP_EINPUT, "text: byte %zu: byte 0x%02X has no token in this vocabulary", i, s[i]);
            goto done;
        }
    for (size_t from = 0; from < ncp && !rc;) {
        /* A stretch: up to the next number (smollm: each number is a stretch of its own). */
        size_t to = ncp;
        if (t->pre == PRE_SMOLLM) {
            if (cl[from] == CL_NUMBER)
                to = from + 1;
            else
                for (to = from; to < ncp && cl[to] != CL_NUMBER; to++)
                    ;
        }
        for (size_t i = from; i < to && !rc;) {
            size_t m = gpt2_match(cp, cl, i, to);
            if (bpe_piece(t, s + off[i], off[i + m] - off[i], &w, &o))
                rc = mp_errf(e, MP_ENOMEM, "tokenizer: out of memory");
            i += m;
        }
        from = to;
    }
done:
    mp_free(cp);
    mp_free(off);
    mp_free(cl);
    mp_free(w.sym);
    mp_free(w.heap);
    if (rc) {
        mp_free(o.ids);
        return rc;
    }
    *ids = o.ids;
    *n = o.n;
    return MP_OK;
}

/* ---- decoding --------------------------------------------------------------------- */

int tok_decode(const Tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len, MpErr *e)
{
    *text = NULL;
    *len = 0;
    size_t cap = 1;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= t->nvocab)
            return mp_errf(e, MP_EINPUT, "token %zu: id %d is not in the vocabulary (0..%zu)", i, (int)ids[i],
                           t->nvocab - 1);
        cap += t->piece_len[ids[i]];  /* a piece never decodes to more bytes than it has */
    }
    char *out = mp_malloc(cap);
    if (!out)
        return mp_errf(e, MP_ENOMEM, "tokenizer: out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)t->piece[ids[i]];
        const size_t pl = t->piece_len[ids[i]];
        if (t->type[ids[i]] == TOK_CONTROL || t->type[ids[i]] == TOK_USER) {
            memcpy(out + k, p, pl);
            k += pl;
            continue;
        }
        for (size_t j = 0; j < pl;) {
            size_t q = mp_utf8_seq_len(p + j, pl - j);  /* the pieces are valid UTF-8 (gguf.h) */
            uint32_t c = utf8_get(p + j, q);
            if (c < 324 && t->cp_byte[c] >= 0)
                out[k++] = (char)t->cp_byte[c];
            else {
                memcpy(out + k, p + j, q);  /* not a byte-level code point: kept as it is */
                k += q;
            }
            j += q;
        }
    }
    out[k] = '\0';
    *text = out;
    *len = k;
    return MP_OK;
}
