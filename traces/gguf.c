/* traces/gguf.c — see gguf.h: the strict GGUF reader (types and dequantization: gguf_quant.c).
 *
 * The header is read front to back through a cursor that knows the file size: every read of
 * n bytes is first checked to fit in what is left, and every count is checked against what is
 * left divided by the smallest size one element can have, before the element table is allocated.
 * So a hostile count can never make the reader allocate more than a small multiple of the file.
 * Strings, arrays and names live in one arena freed at close. After the metadata and tensor
 * infos: duplicate keys and names (sorted index, adjacent compare), general.alignment, then the
 * layout (offsets aligned, extents inside the data section, sorted by offset: no overlap, gaps
 * only padding).
 */
#include "traces/gguf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/utf8.h"

/* ---- arena ---------------------------------------------------------------------- */

typedef struct Chunk {
    struct Chunk *next;
    size_t used, cap;
    max_align_t data[];
} Chunk;

typedef struct Arena {
    Chunk *head;
} Arena;

static void *arena_alloc(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > ((size_t)1 << 16) ? n : ((size_t)1 << 16);
        Chunk *c = mp_malloc(sizeof(Chunk) + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (char *)a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static void arena_free(Arena *a)
{
    while (a->head) {
        Chunk *n = a->head->next;
        mp_free(a->head);
        a->head = n;
    }
}

/* ---- the file ------------------------------------------------------------------- */

typedef struct GgufKv {
    const char *key;
    GgufValue val;
} GgufKv;

struct GgufFile {
    char *path;
    FILE *fp;
    uint32_t version;
    uint32_t alignment;
    uint64_t file_bytes;  /* size at open                          */
    uint64_t data_start;  /* P                                     */
    uint64_t data_bytes;  /* D                                     */
    size_t nkv;
    GgufKv *kv;           /* file order                            */
    size_t *kv_sorted;    /* indices of kv sorted by key           */
    size_t ntensor;
    GgufTensor *t;        /* file order                            */
    size_t *t_sorted;     /* indices of t sorted by name           */
    Arena arena;
};

const char *gguf_path(const GgufFile *f) { return f->path; }
uint32_t gguf_version(const GgufFile *f) { return f->version; }
uint32_t gguf_alignment(const GgufFile *f) { return f->alignment; }
uint64_t gguf_data_offset(const GgufFile *f) { return f->data_start; }
uint64_t gguf_data_bytes(const GgufFile *f) { return f->data_bytes; }
size_t gguf_kv_count(const GgufFile *f) { return f->nkv; }
const char *gguf_kv_key(const GgufFile *f, size_t i) { return f->kv[i].key; }
const GgufValue *gguf_kv_value(const GgufFile *f, size_t i) { return &f->kv[i].val; }
size_t gguf_tensor_count(const GgufFile *f) { return f->ntensor; }
const GgufTensor *gguf_tensor(const GgufFile *f, size_t i) { return &f->t[i]; }

static const char *const val_names[GGUF_VAL_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
};
static const unsigned val_size[GGUF_VAL_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *gguf_val_type_name(GgufValType t)
{
    return (unsigned)t < GGUF_VAL_COUNT ? val_names[t] : "?";
}


/* ---- cursor --------------------------------------------------------------------- */

typedef struct Cur {
    GgufFile *f;
    uint64_t pos;       /* file offset of the next byte */
    MpErr *e;
    char where[160];    /* "key 'K'" or "tensor 'x'" while inside one; "" otherwise */
} Cur;

static int cfail(Cur *c, uint64_t at, const char *fmt, ...) MP_PRINTF(3, 4);
static int cfail(Cur *c, uint64_t at, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return mp_errf(c->e, MP_EINPUT, "%s: byte %" PRIu64 ": %s%s%s", c->f->path, at, c->where,
                   c->where[0] ? ": " : "", what);
}

static uint64_t left(const Cur *c) { return c->f->file_bytes - c->pos; }

static int rd(Cur *c, void *dst, uint64_t n, const char *what)
{
    if (n > left(c))
        return cfail(c, c->pos, "truncated: %s needs %" PRIu64 " bytes, %" PRIu64 " left in the file", what, n,
                     left(c));
    if (n && fread(dst, 1, (size_t)n, c->f->fp) != (size_t)n)
        return mp_errf(c->e, ferror(c->f->fp) ? MP_EIO : MP_EINPUT, "%s: byte %" PRIu64 ": read failed%s%s",
                       c->f->path, c->pos, ferror(c->f->fp) ? ": " : " (the file shrank)",
                       ferror(c->f->fp) ? strerror(errno) : "");
    c->pos += n;
    return MP_OK;
}

static int rd_u32(Cur *c, uint32_t *v, const char *what)
{
    unsigned char b[4];
    int rc = rd(c, b, 4, what);
    if (rc)
        return rc;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return MP_OK;
}

static int rd_u64(Cur *c, uint64_t *v, const char *what)
{
    unsigned char b[8];
    int rc = rd(c, b, 8, what);
    if (rc)
        return rc;
    *v = 0;
    for (int i = 7; i >= 0; i--)
        *v = (*v << 8) | b[i];
    return MP_OK;
}

/* A string: u64 length, bytes. Checked against the file, copied NUL-terminated into the
 * arena; must be valid UTF-8 without NUL bytes. max: the longest accepted (0: no cap). */
static int rd_str(Cur *c, const char **out, uint64_t *len_out, uint64_t max, const char *what)
{
    uint64_t at = c->pos, n;
    int rc = rd_u64(c, &n, what);
    if (rc)
        return rc;
    if (n > left(c))
        return cfail(c, at, "%s length %" PRIu64 " runs past the end of the file (%" PRIu64 " bytes left)", what, n,
                     left(c));
    if (max && n > max)
        return cfail(c, at, "%s is %" PRIu64 " bytes long, more than %" PRIu64, what, n, max);
    char *s = arena_alloc(&c->f->arena, (size_t)n + 1);
    if (!s)
        return mp_errf(c->e, MP_ENOMEM, "%s: out of memory", c->f->path);
    if ((rc = rd(c, s, n, what)))
        return rc;
    s[n] = '\0';
    if (memchr(s, 0, (size_t)n))
        return cfail(c, at + 8 + (uint64_t)((char *)memchr(s, 0, (size_t)n) - s), "%s contains a NUL byte", what);
    size_t bad = mp_utf8_bad_at((const unsigned char *)s, (size_t)n);
    if (bad != n)
        return cfail(c, at + 8 + bad, "%s is not valid UTF-8", what);
    *out = s;
    if (len_out)
        *len_out = n;
    return MP_OK;
}

static int rd_val_type(Cur *c, GgufValType *t, const char *what)
{
    uint64_t at = c->pos;
    uint32_t v;
    int rc = rd_u32(c, &v, what);
    if (rc)
        return rc;
    if (v >= GGUF_VAL_COUNT)
        return cfail(c, at, "unknown %s %" PRIu32 " (known: 0..%d)", what, v, GGUF_VAL_COUNT - 1);
    *t = (GgufValType)v;
    return MP_OK;
}

static int rd_val(Cur *c, GgufValType t, GgufValue *v, int depth);

/* Smallest number of bytes one array element of type t can take in the file. */
static uint64_t min_elem_bytes(GgufValType t)
{
    if (t == GGUF_VAL_STRING)
        return 8;   /* length only */
    if (t == GGUF_VAL_ARRAY)
        return 12;  /* element type + count */
    return val_size[t];
}

static size_t c_elem_size(GgufValType t)
{
    switch (t) {
    case GGUF_VAL_STRING: return sizeof(const char *);
    case GGUF_VAL_ARRAY: return sizeof(GgufValue);
    case GGUF_VAL_F32: return sizeof(float);
    case GGUF_VAL_F64: return sizeof(double);
    default: return val_size[t];
    }
}

static int rd_arr(Cur *c, GgufValue *v, int depth)
{
    uint64_t at = c->pos, n;
    GgufValType et = GGUF_VAL_U8;
    int rc;
    if (depth >= GGUF_NEST_MAX)
        return cfail(c, at, "arrays nested more than %d deep", GGUF_NEST_MAX);
    if ((rc = rd_val_type(c, &et, "array element type")) || (rc = rd_u64(c, &n, "array count")))
        return rc;
    if (n > left(c) / min_elem_bytes(et))
        return cfail(c, at + 4, "array of %" PRIu64 " %s elements does not fit in the %" PRIu64 " bytes left", n,
                     val_names[et], left(c));
    v->type = GGUF_VAL_ARRAY;
    v->v.arr.type = et;
    v->v.arr.n = n;
    void *data = arena_alloc(&c->f->arena, n ? (size_t)n * c_elem_size(et) : 1);
    if (!data)
        return mp_errf(c->e, MP_ENOMEM, "%s: out of memory", c->f->path);
    v->v.arr.data = data;
    if (et == GGUF_VAL_STRING) {
        const char **s = data;
        for (uint64_t i = 0; i < n; i++)
            if ((rc = rd_str(c, &s[i], NULL, 0, "string element")))
                return rc;
    } else if (et == GGUF_VAL_ARRAY) {
        GgufValue *a = data;
        for (uint64_t i = 0; i < n; i++)
            if ((rc = rd_arr(c, &a[i], depth + 1)))
                return rc;
    } else {
        /* Scalars: read the packed little-endian bytes, then convert in place where the host
         * differs (it does not on little-endian hosts; bool is checked to be 0 or 1). */
        const uint64_t bytes = n * val_size[et];
        if ((rc = rd(c, data, bytes, "array elements")))
            return rc;
        if (et == GGUF_VAL_BOOL)
            for (uint64_t i = 0; i < n; i++)
                if (((unsigned char *)data)[i] > 1)
                    return cfail(c, c->pos - bytes + i, "bool array element %" PRIu64 " is %u, not 0 or 1", i,
                                 ((unsigned char *)data)[i]);
    }
    return MP_OK;
}

static int rd_val(Cur *c, GgufValType t, GgufValue *v, int depth)
{
    unsigned char b[8];
    uint64_t at = c->pos;
    int rc;
    v->type = t;
    switch (t) {
    case GGUF_VAL_STRING:
        return rd_str(c, &v->v.str.s, &v->v.str.len, 0, "string value");
    case GGUF_VAL_ARRAY:
        return rd_arr(c, v, depth);
    default:
        break;
    }
    if ((rc = rd(c, b, val_size[t], "value")))
        return rc;
    uint64_t u = 0;
    for (int i = (int)val_size[t] - 1; i >= 0; i--)
        u = (u << 8) | b[i];
    switch (t) {
    case GGUF_VAL_U8: case GGUF_VAL_U16: case GGUF_VAL_U32: case GGUF_VAL_U64: v->v.u = u; break;
    case GGUF_VAL_I8: v->v.i = (int8_t)u; break;
    case GGUF_VAL_I16: v->v.i = (int16_t)u; break;
    case GGUF_VAL_I32: v->v.i = (int32_t)(uint32_t)u; break;
    case GGUF_VAL_I64: v->v.i = (int64_t)u; break;
    case GGUF_VAL_BOOL:
        if (u > 1)
            return cfail(c, at, "bool value is %u, not 0 or 1", (unsigned)u);
        v->v.u = u;
        break;
    case GGUF_VAL_F32: {
        uint32_t w = (uint32_t)u;
        float x;
        memcpy(&x, &w, 4);
        v->v.f = x;
        break;
    }
    case GGUF_VAL_F64: memcpy(&v->v.f, &u, 8); break;
    default: break;
    }
    return MP_OK;
}

/* ---- lookups -------------------------------------------------------------------- */

/* Sort idx (n entries, 0..n-1) by the strings get(i) with a small merge sort: no global state. */
typedef const char *(*KeyOf)(const GgufFile *f, size_t i);
static const char *kv_key_of(const GgufFile *f, size_t i) { return f->kv[i].key; }
static const char *t_name_of(const GgufFile *f, size_t i) { return f->t[i].name; }

static void msort(const GgufFile *f, KeyOf key, size_t *idx, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    msort(f, key, idx, tmp, h);
    msort(f, key, idx + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = strcmp(key(f, idx[j]), key(f, idx[i])) < 0 ? idx[j++] : idx[i++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

static long bsearch_idx(const GgufFile *f, KeyOf key, const size_t *idx, size_t n, const char *s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key(f, idx[mid]), s);
        if (!c)
            return (long)idx[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

long gguf_kv_find(const GgufFile *f, const char *key) { return bsearch_idx(f, kv_key_of, f->kv_sorted, f->nkv, key); }
long gguf_tensor_find(const GgufFile *f, const char *name)
{
    return bsearch_idx(f, t_name_of, f->t_sorted, f->ntensor, name);
}

const GgufValue *gguf_get(const GgufFile *f, const char *key)
{
    long i = gguf_kv_find(f, key);
    return i < 0 ? NULL : &f->kv[i].val;
}

/* ---- open ----------------------------------------------------------------------- */

static int open_fail_oom(GgufFile *f, MpErr *e) { return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path); }

static int rd_tensor(Cur *c, GgufTensor *t, size_t index)
{
    uint64_t at = c->pos;
    uint32_t nd, type;
    int rc;
    snprintf(c->where, sizeof c->where, "tensor %zu", index);
    if ((rc = rd_str(c, &t->name, NULL, 0, "tensor name")))
        return rc;
    char nb[MP_UTF8_PRINTABLE_CAP];
    snprintf(c->where, sizeof c->where, "tensor '%s'", mp_utf8_printable(t->name, strlen(t->name), nb));
    if (!t->name[0])
        return cfail(c, at, "empty tensor name");
    if (strlen(t->name) > GGUF_NAME_MAX)
        return cfail(c, at, "name is %zu bytes long, more than %d", strlen(t->name), GGUF_NAME_MAX);
    at = c->pos;
    if ((rc = rd_u32(c, &nd, "n_dims")))
        return rc;
    if (nd < 1 || nd > GGUF_DIMS_MAX)
        return cfail(c, at, "n_dims is %" PRIu32 ", expected 1..%d", nd, GGUF_DIMS_MAX);
    t->n_dims = (int)nd;
    t->numel = 1;
    for (int d = 0; d < GGUF_DIMS_MAX; d++)
        t->ne[d] = 1;
    for (int d = 0; d < (int)nd; d++) {
        at = c->pos;
        if ((rc = rd_u64(c, &t->ne[d], "dimension")))
            return rc;
        if (t->ne[d] == 0)
            return cfail(c, at, "dimension %d is 0", d);
        if (t->ne[d] > (uint64_t)INT64_MAX / t->numel)
            return cfail(c, at, "shape overflows: the product of the dimensions exceeds 2^63-1");
        t->numel *= t->ne[d];
    }
    at = c->pos;
    if ((rc = rd_u32(c, &type, "type")))
        return rc;
    unsigned be, bb;
    if (ggml_type_block((int)type, &be, &bb) != 0)
        return cfail(c, at, "unknown ggml type %" PRIu32, type);
    t->type = (GgmlType)type;
    if (t->ne[0] % be)
        return cfail(c, at, "ne[0] = %" PRIu64 " is not a multiple of the %s block size %u", t->ne[0],
                     ggml_type_name((int)type), be);
    if (t->numel / be > (uint64_t)INT64_MAX / bb)
        return cfail(c, at, "size in bytes overflows");
    t->bytes = t->numel / be * bb;
    if ((rc = rd_u64(c, &t->offset, "offset")))
        return rc;
    c->where[0] = '\0';
    return MP_OK;
}

static int by_offset_f(const GgufFile *f, size_t a, size_t b)
{
    return f->t[a].offset < f->t[b].offset ? -1 : f->t[a].offset > f->t[b].offset;
}

/* Layout checks once the data section is known (see gguf.h). */
static int check_layout(GgufFile *f, MpErr *e)
{
    char nb[MP_UTF8_PRINTABLE_CAP], nb2[MP_UTF8_PRINTABLE_CAP];
    const uint64_t A = f->alignment, D = f->data_bytes;
    for (size_t i = 0; i < f->ntensor; i++) {
        const GgufTensor *t = &f->t[i];
        if (t->offset % A)
            return mp_errf(e, MP_EINPUT, "%s: tensor '%s': offset %" PRIu64 " is not a multiple of the alignment %" PRIu64,
                           f->path, mp_utf8_printable(t->name, strlen(t->name), nb), t->offset, A);
        if (t->offset > D || t->bytes > D - t->offset)
            return mp_errf(e, MP_EINPUT,
                           "%s: tensor '%s': bytes [%" PRIu64 ", %" PRIu64 ") of the data section lie past its end (%" PRIu64
                           " bytes)", f->path, mp_utf8_printable(t->name, strlen(t->name), nb), t->offset,
                           t->offset + (t->bytes < UINT64_MAX - t->offset ? t->bytes : 0), D);
    }
    if (!f->ntensor)
        return MP_OK;
    /* The tensors in offset order (bottom-up merge sort: hostile files may hold many). */
    size_t *idx = mp_malloc(f->ntensor * sizeof *idx), *tmp = mp_malloc(f->ntensor * sizeof *tmp);
    if (!idx || !tmp) {
        mp_free(idx);
        mp_free(tmp);
        return open_fail_oom(f, e);
    }
    for (size_t i = 0; i < f->ntensor; i++)
        idx[i] = i;
    for (size_t w = 1; w < f->ntensor; w *= 2) {
        for (size_t lo = 0; lo < f->ntensor; lo += 2 * w) {
            size_t mid = lo + w < f->ntensor ? lo + w : f->ntensor;
            size_t hi = lo + 2 * w < f->ntensor ? lo + 2 * w : f->ntensor;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = by_offset_f(f, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
            while (i < mid)
                tmp[k++] = idx[i++];
            while (j < hi)
                tmp[k++] = idx[j++];
        }
        memcpy(idx, tmp, f->ntensor * sizeof *idx);
    }
    int rc = MP_OK;
    uint64_t end = 0; /* end of the previous tensor */
    for (size_t k = 0; k < f->ntensor && !rc; k++) {
        const GgufTensor *t = &f->t[idx[k]];
        if (k && t->offset < end)
            rc = mp_errf(e, MP_EINPUT, "%s: tensor '%s': bytes [%" PRIu64 ", %" PRIu64 ") overlap tensor '%s' ([%" PRIu64
                                       ", %" PRIu64 "))",
                         f->path, mp_utf8_printable(t->name, strlen(t->name), nb), t->offset, t->offset + t->bytes,
                         mp_utf8_printable(f->t[idx[k - 1]].name, strlen(f->t[idx[k - 1]].name), nb2),
                         f->t[idx[k - 1]].offset, end);
        else if (t->offset - end >= A)
            rc = mp_errf(e, MP_EINPUT,
                         "%s: tensor '%s': %" PRIu64 " unused bytes before it in the data section (padding is < %" PRIu64 ")",
                         f->path, mp_utf8_printable(t->name, strlen(t->name), nb), t->offset - end, A);
        end = t->offset + t->bytes;
    }
    if (!rc && D - end >= A)
        rc = mp_errf(e, MP_EINPUT, "%s: %" PRIu64 " unused bytes after the last tensor (padding is < %" PRIu64 ")",
                     f->path, D - end, A);
    mp_free(idx);
    mp_free(tmp);
    return rc;
}

static int open_body(GgufFile *f, MpErr *e)
{
    Cur c = {.f = f, .pos = 0, .e = e};
    unsigned char magic[4];
    uint32_t ver;
    uint64_t nt, nkv;
    int rc;
    if ((rc = rd(&c, magic, 4, "magic")))
        return rc;
    if (memcmp(magic, "GGUF", 4))
        return cfail(&c, 0, "not a GGUF file (magic is not \"GGUF\")");
    if ((rc = rd_u32(&c, &ver, "version")))
        return rc;
    if (ver == 0x02000000u || ver == 0x03000000u)
        return cfail(&c, 4, "big-endian GGUF files are not supported");
    if (ver != 2 && ver != 3)
        return cfail(&c, 4, "GGUF version %" PRIu32 " is not supported (2 and 3 are)", ver);
    f->version = ver;
    if ((rc = rd_u64(&c, &nt, "tensor count")) || (rc = rd_u64(&c, &nkv, "metadata count")))
        return rc;
    /* Bound both counts by the file: a metadata entry takes at least 8+1+4+1 bytes, a tensor info
     * at least 8+1+4+8+4+8. */
    if (nkv > left(&c) / 14)
        return cfail(&c, 16, "metadata count %" PRIu64 " cannot fit in the %" PRIu64 " bytes left", nkv, left(&c));
    if (nt > left(&c) / 33)
        return cfail(&c, 8, "tensor count %" PRIu64 " cannot fit in the %" PRIu64 " bytes left", nt, left(&c));
    f->kv = mp_calloc(nkv ? (size_t)nkv : 1, sizeof *f->kv);
    f->kv_sorted = mp_malloc((nkv ? (size_t)nkv : 1) * sizeof(size_t));
    if (!f->kv || !f->kv_sorted)
        return open_fail_oom(f, e);
    for (size_t i = 0; i < (size_t)nkv; i++) {
        uint64_t at = c.pos;
        GgufValType t = GGUF_VAL_U8;
        snprintf(c.where, sizeof c.where, "metadata entry %zu", i);
        if ((rc = rd_str(&c, &f->kv[i].key, NULL, 0, "key")))
            return rc;
        char kb[MP_UTF8_PRINTABLE_CAP];
        snprintf(c.where, sizeof c.where, "key '%s'", mp_utf8_printable(f->kv[i].key, strlen(f->kv[i].key), kb));
        if (!f->kv[i].key[0])
            return cfail(&c, at, "empty key");
        if ((rc = rd_val_type(&c, &t, "value type")) || (rc = rd_val(&c, t, &f->kv[i].val, 0)))
            return rc;
        f->nkv = i + 1;
    }
    c.where[0] = '\0';
    f->t = mp_calloc(nt ? (size_t)nt : 1, sizeof *f->t);
    f->t_sorted = mp_malloc((nt ? (size_t)nt : 1) * sizeof(size_t));
    if (!f->t || !f->t_sorted)
        return open_fail_oom(f, e);
    for (size_t i = 0; i < (size_t)nt; i++) {
        if ((rc = rd_tensor(&c, &f->t[i], i)))
            return rc;
        f->ntensor = i + 1;
    }
    const uint64_t header_end = c.pos;

    /* Duplicates: sort the indices, compare neighbours. */
    size_t *tmp = mp_malloc((f->nkv > f->ntensor ? f->nkv : f->ntensor) * sizeof *tmp + 1);
    if (!tmp)
        return open_fail_oom(f, e);
    for (size_t i = 0; i < f->nkv; i++)
        f->kv_sorted[i] = i;
    for (size_t i = 0; i < f->ntensor; i++)
        f->t_sorted[i] = i;
    msort(f, kv_key_of, f->kv_sorted, tmp, f->nkv);
    msort(f, t_name_of, f->t_sorted, tmp, f->ntensor);
    mp_free(tmp);
    char nb[MP_UTF8_PRINTABLE_CAP];
    for (size_t i = 1; i < f->nkv; i++)
        if (!strcmp(f->kv[f->kv_sorted[i]].key, f->kv[f->kv_sorted[i - 1]].key))
            return mp_errf(e, MP_EINPUT, "%s: key '%s': duplicate metadata key", f->path,
                           mp_utf8_printable(f->kv[f->kv_sorted[i]].key, strlen(f->kv[f->kv_sorted[i]].key), nb));
    for (size_t i = 1; i < f->ntensor; i++)
        if (!strcmp(f->t[f->t_sorted[i]].name, f->t[f->t_sorted[i - 1]].name))
            return mp_errf(e, MP_EINPUT, "%s: tensor '%s': duplicate tensor name", f->path,
                           mp_utf8_printable(f->t[f->t_sorted[i]].name, strlen(f->t[f->t_sorted[i]].name), nb));

    /* Alignment. */
    f->alignment = GGUF_DEFAULT_ALIGNMENT;
    const GgufValue *av = gguf_get(f, "general.alignment");
    if (av) {
        if (av->type != GGUF_VAL_U32)
            return mp_errf(e, MP_EINPUT, "%s: key 'general.alignment': is a %s, expected u32", f->path,
                           val_names[av->type]);
        if (av->v.u == 0 || (av->v.u & (av->v.u - 1)))
            return mp_errf(e, MP_EINPUT, "%s: key 'general.alignment': %" PRIu64 " is not a power of two", f->path,
                           av->v.u);
        f->alignment = (uint32_t)av->v.u;
    }
    const uint64_t A = f->alignment;
    const uint64_t P = header_end + (A - header_end % A) % A;
    if (f->ntensor == 0) {
        /* Nothing but padding may follow the header. */
        if (f->file_bytes - header_end >= A)
            return mp_errf(e, MP_EINPUT, "%s: byte %" PRIu64 ": %" PRIu64 " bytes after the header of a file with no tensors",
                           f->path, header_end, f->file_bytes - header_end);
        f->data_start = f->file_bytes < P ? f->file_bytes : P;
        f->data_bytes = 0;
        return MP_OK;
    }
    if (P > f->file_bytes)
        return mp_errf(e, MP_EINPUT, "%s: byte %" PRIu64 ": the data section (at byte %" PRIu64 ") starts past the end of the file",
                       f->path, header_end, P);
    f->data_start = P;
    f->data_bytes = f->file_bytes - P;
    return check_layout(f, e);
}

int gguf_open(const char *path, GgufFile **out, MpErr *e)
{
    *out = NULL;
    GgufFile *f = mp_calloc(1, sizeof *f);
    if (!f)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    f->path = mp_strdup(path);
    if (!f->path) {
        mp_free(f);
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    }
    int rc = mp_open_regular(path, &f->fp, e);
    if (rc) {
        gguf_close(f);
        return rc;
    }
    struct stat sb;
    if (fstat(fileno(f->fp), &sb) != 0) {
        rc = mp_errf(e, MP_EIO, "%s: %s", path, strerror(errno));
        gguf_close(f);
        return rc;
    }
    f->file_bytes = (uint64_t)sb.st_size;
    rc = open_body(f, e);
    if (rc) {
        gguf_close(f);
        return rc;
    }
    *out = f;
    return MP_OK;
}

void gguf_close(GgufFile *f)
{
    if (!f)
        return;
    if (f->fp)
        fclose(f->fp);
    arena_free(&f->arena);
    mp_free(f->kv);
    mp_free(f->kv_sorted);
    mp_free(f->t);
    mp_free(f->t_sorted);
    mp_free(f->path);
    mp_free(f);
}

/* ---- typed getters -------------------------------------------------------------- */

static const GgufValue *need(const GgufFile *f, const char *key, MpErr *e)
{
    const GgufValue *v = gguf_get(f, key);
    if (!v)
        mp_errf(e, MP_EINPUT, "%s: key '%s': missing", f->path, key);
    return v;
}

static int wrong(const GgufFile *f, const char *key, const GgufValue *v, const char *want, MpErr *e)
{
    if (v->type == GGUF_VAL_ARRAY)
        return mp_errf(e, MP_EINPUT, "%s: key '%s': is an array of %s, expected %s", f->path, key,
                       val_names[v->v.arr.type], want);
    return mp_errf(e, MP_EINPUT, "%s: key '%s': is a %s, expected %s", f->path, key, val_names[v->type], want);
}

static int is_uint(GgufValType t)
{
    return t == GGUF_VAL_U8 || t == GGUF_VAL_U16 || t == GGUF_VAL_U32 || t == GGUF_VAL_U64;
}
static int is_sint(GgufValType t)
{
    return t == GGUF_VAL_I8 || t == GGUF_VAL_I16 || t == GGUF_VAL_I32 || t == GGUF_VAL_I64;
}

/* The integer value of v within [lo, hi] (lo <= 0), as a signed/unsigned pair. */
static int get_int(const GgufFile *f, const char *key, int64_t lo, uint64_t hi, const char *want, uint64_t *u,
                   int64_t *s, MpErr *e)
{
    const GgufValue *v = need(f, key, e);
    if (!v)
        return MP_EINPUT;
    if (is_uint(v->type)) {
        if (v->v.u > hi)
            return mp_errf(e, MP_EINPUT, "%s: key '%s': %" PRIu64 " is out of range for %s", f->path, key, v->v.u, want);
        *u = v->v.u;
        *s = (int64_t)v->v.u;
        return MP_OK;
    }
    if (is_sint(v->type)) {
        if (v->v.i < lo || (v->v.i > 0 && (uint64_t)v->v.i > hi))
            return mp_errf(e, MP_EINPUT, "%s: key '%s': %" PRId64 " is out of range for %s", f->path, key, v->v.i, want);
        *u = (uint64_t)v->v.i;
        *s = v->v.i;
        return MP_OK;
    }
    return wrong(f, key, v, want, e);
}

int gguf_get_u32(const GgufFile *f, const char *key, uint32_t *out, MpErr *e)
{
    uint64_t u;
    int64_t s;
    int rc = get_int(f, key, 0, UINT32_MAX, "u32", &u, &s, e);
    if (!rc)
        *out = (uint32_t)u;
    return rc;
}

int gguf_get_i32(const GgufFile *f, const char *key, int32_t *out, MpErr *e)
{
    uint64_t u;
    int64_t s;
    int rc = get_int(f, key, INT32_MIN, INT32_MAX, "i32", &u, &s, e);
    if (!rc)
        *out = (int32_t)s;
    return rc;
}

int gguf_get_u64(const GgufFile *f, const char *key, uint64_t *out, MpErr *e)
{
    uint64_t u;
    int64_t s;
    int rc = get_int(f, key, 0, UINT64_MAX, "u64", &u, &s, e);
    if (!rc)
        *out = u;
    return rc;
}

int gguf_get_f32(const GgufFile *f, const char *key, float *out, MpErr *e)
{
    const GgufValue *v = need(f, key, e);
    if (!v)
        return MP_EINPUT;
    if (v->type != GGUF_VAL_F32)
        return wrong(f, key, v, "f32", e);
    *out = (float)v->v.f;
    return MP_OK;
}

int gguf_get_bool(const GgufFile *f, const char *key, int *out, MpErr *e)
{
    const GgufValue *v = need(f, key, e);
    if (!v)
        return MP_EINPUT;
    if (v->type != GGUF_VAL_BOOL)
        return wrong(f, key, v, "bool", e);
    *out = (int)v->v.u;
    return MP_OK;
}

int gguf_get_str(const GgufFile *f, const char *key, const char **out, MpErr *e)
{
    const GgufValue *v = need(f, key, e);
    if (!v)
        return MP_EINPUT;
    if (v->type != GGUF_VAL_STRING)
        return wrong(f, key, v, "string", e);
    *out = v->v.str.s;
    return MP_OK;
}

int gguf_get_arr(const GgufFile *f, const char *key, GgufValType elem, uint64_t *count, const void **data, MpErr *e)
{
    const GgufValue *v = need(f, key, e);
    if (!v)
        return MP_EINPUT;
    if (v->type != GGUF_VAL_ARRAY || v->v.arr.type != elem) {
        char want[40];
        snprintf(want, sizeof want, "an array of %s", gguf_val_type_name(elem));
        return wrong(f, key, v, want, e);
    }
    *count = v->v.arr.n;
    *data = v->v.arr.data;
    return MP_OK;
}

int gguf_get_arr_str(const GgufFile *f, const char *key, const char *const **strs, uint64_t *count, MpErr *e)
{
    const void *d;
    int rc = gguf_get_arr(f, key, GGUF_VAL_STRING, count, &d, e);
    if (!rc)
        *strs = d;
    return rc;
}

int gguf_get_arr_i32(const GgufFile *f, const char *key, const int32_t **vals, uint64_t *count, MpErr *e)
{
    const void *d;
    int rc = gguf_get_arr(f, key, GGUF_VAL_I32, count, &d, e);
    if (!rc)
        *vals = d;
    return rc;
}

int gguf_get_arr_f32(const GgufFile *f, const char *key, const float **vals, uint64_t *count, MpErr *e)
{
    const void *d;
    int rc = gguf_get_arr(f, key, GGUF_VAL_F32, count, &d, e);
    if (!rc)
        *vals = d;
    return rc;
}

/* ---- tensor data ---------------------------------------------------------------- */

static int read_at(GgufFile *f, uint64_t off, void *dst, size_t n, const char *name, MpErr *e)
{
    char nb[MP_UTF8_PRINTABLE_CAP];
    if (fseeko(f->fp, (off_t)off, SEEK_SET) != 0 || fread(dst, 1, n, f->fp) != n)
        return mp_errf(e, MP_EIO, "%s: tensor '%s': read failed at byte %" PRIu64 "%s", f->path,
                       mp_utf8_printable(name, strlen(name), nb), off, ferror(f->fp) ? "" : " (the file shrank)");
    return MP_OK;
}

static int unsupported(const GgufFile *f, const GgufTensor *t, MpErr *e)
{
    char list[400], nb[MP_UTF8_PRINTABLE_CAP];
    size_t n = 0;
    list[0] = '\0';
    for (int c = 0; c < GGML_TYPE_CODES; c++)
        if (ggml_type_can_dequant(c))
            n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", ggml_type_name(c));
    return mp_errf(e, MP_EINPUT, "%s: tensor '%s': type %s is not supported for conversion to f32 (supported: %s)",
                   f->path, mp_utf8_printable(t->name, strlen(t->name), nb), ggml_type_name((int)t->type), list);
}

int gguf_tensor_read_rows_f32(GgufFile *f, size_t i, uint64_t row0, uint64_t nrows, float *dst, size_t cap,
                              MpErr *e)
{
    char nb[MP_UTF8_PRINTABLE_CAP];
    const GgufTensor *t = &f->t[i];
    if (!ggml_type_can_dequant((int)t->type))
        return unsupported(f, t, e);
    const uint64_t rows = t->numel / t->ne[0];
    if (row0 > rows || nrows > rows - row0)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': rows [%" PRIu64 ", %" PRIu64 ") out of range (%" PRIu64 " rows)",
                       f->path, mp_utf8_printable(t->name, strlen(t->name), nb), row0, row0 + nrows, rows);
    if (nrows && (uint64_t)cap / nrows < t->ne[0])
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': %" PRIu64 " rows need %" PRIu64 " floats, the buffer holds %zu",
                       f->path, mp_utf8_printable(t->name, strlen(t->name), nb), nrows, nrows * t->ne[0], cap);
    unsigned be, bb;
    (void)ggml_type_block((int)t->type, &be, &bb);
    const uint64_t row_bytes = t->ne[0] / be * bb;
    /* Read in slabs of whole rows of at most ~4 MiB (at least one row). */
    uint64_t per = ((uint64_t)4 << 20) / row_bytes;
    if (per < 1)
        per = 1;
    if (per > nrows)
        per = nrows ? nrows : 1;
    unsigned char *buf = mp_malloc((size_t)(per * row_bytes));
    if (!buf)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    int rc = MP_OK;
    for (uint64_t r = 0; r < nrows && !rc; r += per) {
        uint64_t k = nrows - r < per ? nrows - r : per;
        rc = read_at(f, f->data_start + t->offset + (row0 + r) * row_bytes, buf, (size_t)(k * row_bytes), t->name, e);
        if (!rc)
            (void)gguf_dequant((int)t->type, buf, k * row_bytes / bb, dst + r * t->ne[0]);
    }
    mp_free(buf);
    return rc;
}

int gguf_tensor_read_f32(GgufFile *f, size_t i, float *dst, size_t cap, MpErr *e)
{
    const GgufTensor *t = &f->t[i];
    return gguf_tensor_read_rows_f32(f, i, 0, t->numel / t->ne[0], dst, cap, e);
}

int gguf_tensor_read_f32_alloc(GgufFile *f, size_t i, float **out, MpErr *e)
{
    const GgufTensor *t = &f->t[i];
    *out = NULL;
    if (!ggml_type_can_dequant((int)t->type))
        return unsupported(f, t, e);
    if (t->numel > SIZE_MAX / sizeof(float))
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    float *x = mp_malloc((size_t)t->numel * sizeof *x);
    if (!x)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    int rc = gguf_tensor_read_f32(f, i, x, (size_t)t->numel, e);
    if (rc) {
        mp_free(x);
        return rc;
    }
    *out = x;
    return MP_OK;
}

int gguf_tensor_read_raw(GgufFile *f, size_t i, void *dst, size_t cap, MpErr *e)
{
    char nb[MP_UTF8_PRINTABLE_CAP];
    const GgufTensor *t = &f->t[i];
    if (cap < t->bytes)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': needs %" PRIu64 " bytes, the buffer holds %zu", f->path,
                       mp_utf8_printable(t->name, strlen(t->name), nb), t->bytes, cap);
    return read_at(f, f->data_start + t->offset, dst, (size_t)t->bytes, t->name, e);
}
