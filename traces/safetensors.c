/* traces/safetensors.c — see safetensors.h: the reader (the writer is traces/safetensors_write.c).
 *
 * Reading is four passes over the header, each refusing what the next cannot handle:
 *   1. sizes: the 8-byte length N against the file size and ST_HEADER_CAP;
 *   2. hdr_scan(): a byte-level pass over the N header bytes — UTF-8, no control bytes,
 *      nesting <= 3 levels, arrays <= ST_RANK_MAX elements, every number a plain
 *      integer of magnitude at most 2^53 (no fraction, no exponent, no leading zero),
 *      no \u0000 in strings. It bounds what cJSON will allocate (no deep nesting, no
 *      long arrays) and catches what cJSON cannot report (cJSON reads 2.0 as 2);
 *   3. cJSON parses the header; trailing bytes must be JSON white space (the padding);
 *   4. the tree is checked entry by entry (dtype, shape, data_offsets, metadata), names
 *      are sorted and checked for duplicates, and the data layout is checked to tile the
 *      buffer exactly.
 */
#include "traces/safetensors.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/utf8.h"
#include "models/fpx.h"
#include "traces/st_int.h"

typedef struct StTensor {
    char *name;
    StDtype dtype;
    int rank;
    uint64_t shape[ST_RANK_MAX];
    uint64_t numel;
    uint64_t begin, end; /* bytes, relative to the data buffer */
} StTensor;

struct StFile {
    char *path;
    FILE *fp;
    uint64_t file_bytes;  /* size at open                         */
    uint64_t data_start;  /* 8 + N: file offset of the data buffer */
    uint64_t data_bytes;  /* D                                     */
    size_t ntensor;
    StTensor *t;          /* sorted by name                        */
    size_t nmeta;
    StMeta *meta;         /* sorted by key                         */
};

/* ---- dtypes ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    unsigned bits;
} dtype_tab[ST_DTYPE_COUNT] = {
    [ST_F32] = {"F32", 32},         [ST_F16] = {"F16", 16},         [ST_BF16] = {"BF16", 16},
    [ST_F64] = {"F64", 64},         [ST_I64] = {"I64", 64},         [ST_U64] = {"U64", 64},
    [ST_I32] = {"I32", 32},         [ST_U32] = {"U32", 32},         [ST_I16] = {"I16", 16},
    [ST_U16] = {"U16", 16},         [ST_I8] = {"I8", 8},            [ST_U8] = {"U8", 8},
    [ST_BOOL] = {"BOOL", 8},        [ST_F8_E5M2] = {"F8_E5M2", 8},  [ST_F8_E4M3] = {"F8_E4M3", 8},
    [ST_F8_E8M0] = {"F8_E8M0", 8},  [ST_E8M0] = {"E8M0", 8},        [ST_F6_E2M3] = {"F6_E2M3", 6},
    [ST_F6_E3M2] = {"F6_E3M2", 6},  [ST_F4] = {"F4", 4},            [ST_C64] = {"C64", 64},
};

const char *st_dtype_name(StDtype d) { return dtype_tab[d].name; }
unsigned st_dtype_bits(StDtype d) { return dtype_tab[d].bits; }
size_t st_dtype_size(StDtype d) { return dtype_tab[d].bits % 8 ? 0 : dtype_tab[d].bits / 8; }
int st_dtype_is_float(StDtype d) { return d == ST_F32 || d == ST_F16 || d == ST_BF16; }

int st_dtype_parse(const char *s, StDtype *out)
{
    for (int d = 0; d < ST_DTYPE_COUNT; d++)
        if (!strcmp(s, dtype_tab[d].name)) {
            *out = (StDtype)d;
            return 0;
        }
    static const char *const lower[] = {"f32", "f16", "bf16"};
    for (int d = 0; d < 3; d++)
        if (!strcmp(s, lower[d])) {
            *out = (StDtype)d;
            return 0;
        }
    return -1;
}

/* ---- small helpers ----------------------------------------------------------------- */

int st_utf8_valid(const char *s)
{
    const size_t n = strlen(s);
    return mp_utf8_bad_at((const unsigned char *)s, n) == n;
}


static void fmt_shape(const uint64_t *shape, int rank, char *buf, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

static uint64_t le64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static int by_tensor_name(const void *a, const void *b)
{
    return strcmp(((const StTensor *)a)->name, ((const StTensor *)b)->name);
}

int st_by_meta_key(const void *a, const void *b) { return strcmp(((const StMeta *)a)->key, ((const StMeta *)b)->key); }

/* ---- pass 2: byte-level header scan ------------------------------------------------ */

#define SCAN_DEPTH_MAX 3 /* { name: { key: [ ... ] } } */

static int scan_fail(const char *path, size_t at, const unsigned char *ctx, size_t ctxlen, MpErr *e, const char *fmt,
                     ...) MP_PRINTF(6, 7);

static int scan_fail(const char *path, size_t at, const unsigned char *ctx, size_t ctxlen, MpErr *e, const char *fmt,
                     ...)
{
    char what[512], name[80];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (ctx)
        return mp_errf(e, MP_EINPUT, "%s: header byte %zu: in entry '%s': %s", path, at,
                       mp_utf8_printable((const char *)ctx, ctxlen, name), what);
    return mp_errf(e, MP_EINPUT, "%s: header byte %zu: %s", path, at, what);
}

static int hexval(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    return -1;
}

static int hdr_scan(const char *path, const unsigned char *h, size_t n, MpErr *e)
{
    char kind[SCAN_DEPTH_MAX + 1];  /* '{' or '[' per open container */
    unsigned elems[SCAN_DEPTH_MAX + 1];
    int depth = 0;
    const unsigned char *ctx = NULL; /* raw text of the current top-level key */
    size_t ctxlen = 0, i = 0;

    while (i < n) {
        unsigned c = h[i];
        if (c == '"') {
            size_t start = i++;
            for (;;) {
                if (i >= n)
                    return scan_fail(path, start, ctx, ctxlen, e, "string never ends");
                c = h[i];
                if (c == '"')
                    break;
                if (c < 0x20)
                    return scan_fail(path, i, ctx, ctxlen, e, "raw control byte 0x%02x inside a string", c);
                if (c == '\\') {
                    if (i + 1 >= n)
                        return scan_fail(path, start, ctx, ctxlen, e, "string never ends");
                    if (h[i + 1] == 'u') {
                        int v = 0;
                        for (int k = 0; k < 4; k++) {
                            int d = i + 2 + (size_t)k < n ? hexval(h[i + 2 + (size_t)k]) : -1;
                            if (d < 0)
                                return scan_fail(path, i, ctx, ctxlen, e, "bad \\u escape");
                            v = v * 16 + d;
                        }
                        if (v == 0)
                            return scan_fail(path, i, ctx, ctxlen, e, "\\u0000 inside a string");
                        i += 6;
                    } else
                        i += 2; /* cJSON checks the other escapes */
                    continue;
                }
                if (c >= 0x80) {
                    size_t k = mp_utf8_seq_len(h + i, n - i);
                    if (!k)
                        return scan_fail(path, i, ctx, ctxlen, e, "invalid UTF-8");
                    i += k;
                    continue;
                }
                i++;
            }
            if (depth == 1) { /* a top-level key: remember it for messages */
                ctx = h + start + 1;
                ctxlen = i - start - 1;
            }
            i++; /* closing quote */
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            char tok[80];
            if (c == '-')
                i++;
            size_t d0 = i;
            uint64_t v = 0;
            int big = 0;
            while (i < n && h[i] >= '0' && h[i] <= '9') {
                if (v > (ST_DIM_MAX - (h[i] - '0')) / 10)
                    big = 1;
                else
                    v = v * 10 + (h[i] - '0');
                i++;
            }
            while (i < n && (h[i] == '.' || h[i] == 'e' || h[i] == 'E' || h[i] == '+' || h[i] == '-' ||
                             (h[i] >= '0' && h[i] <= '9')))
                i++;
            size_t tl = i - start;
            mp_utf8_printable((const char *)h + start, tl, tok);
            if (i == d0 || memchr(h + start, '.', tl) || memchr(h + start, 'e', tl) || memchr(h + start, 'E', tl) ||
                memchr(h + d0, '-', i - d0) || memchr(h + start, '+', tl))
                return scan_fail(path, start, ctx, ctxlen, e,
                                 "number %s is not an integer (shape and data_offsets hold integers only)", tok);
            if (i - d0 > 1 && h[d0] == '0')
                return scan_fail(path, start, ctx, ctxlen, e, "number %s has a leading zero", tok);
            if (big)
                return scan_fail(path, start, ctx, ctxlen, e, "integer %s is larger than 2^53", tok);
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth == SCAN_DEPTH_MAX)
                return scan_fail(path, i, ctx, ctxlen, e,
                                 "nested deeper than %d levels (a header is {name: {key: [integers]}})",
                                 SCAN_DEPTH_MAX);
            depth++;
            kind[depth] = (char)c;
            elems[depth] = 1;
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--; /* mismatched brackets are left to cJSON */
        } else if (c == ',') {
            if (depth > 0 && kind[depth] == '[' && ++elems[depth] > ST_RANK_MAX)
                return scan_fail(path, i, ctx, ctxlen, e,
                                 "array of more than %d elements (shape rank is at most %d, data_offsets has 2)",
                                 ST_RANK_MAX, ST_RANK_MAX);
        } else if (c >= 0x80) {
            return scan_fail(path, i, ctx, ctxlen, e, "byte 0x%02x outside a string", c);
        } else if (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return scan_fail(path, i, ctx, ctxlen, e, "control byte 0x%02x outside a string", c);
        } else if (c == 0x7f) {
            return scan_fail(path, i, ctx, ctxlen, e, "byte 0x7f outside a string");
        }
        i++;
    }
    return MP_OK;
}

/* ---- pass 4: the tree -------------------------------------------------------------- */

/* A JSON number that is an integer in [0, ST_DIM_MAX] (the scan already refused
 * fractions, exponents and magnitudes above 2^53). 0 ok, -1 not a number, -2 negative. */
static int json_uint(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return -1;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d > (double)ST_DIM_MAX)
        return -1;
    if (d < 0 || signbit(d))
        return -2;
    *out = (uint64_t)d;
    return 0;
}

static int tensor_parse(const char *path, const cJSON *item, StTensor *t, uint64_t data_bytes, MpErr *e)
{
    char nm[80], tmp[80];
    const char *name = SAFE(item->string, nm);
    if (!cJSON_IsObject(item))
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': entry is not a JSON object", path, name);
    const cJSON *dt = NULL, *sh = NULL, *off = NULL;
    for (const cJSON *c = item->child; c; c = c->next) {
        const cJSON **slot = !strcmp(c->string, "dtype")          ? &dt
                             : !strcmp(c->string, "shape")        ? &sh
                             : !strcmp(c->string, "data_offsets") ? &off
                                                                  : NULL;
        if (!slot)
            return mp_errf(e, MP_EINPUT,
                           "%s: tensor '%s': unknown key '%s' (a tensor has dtype, shape and data_offsets)", path,
                           name, SAFE(c->string, tmp));
        if (*slot)
            return mp_errf(e, MP_EINPUT, "%s: tensor '%s': key '%s' appears twice", path, name, c->string);
        *slot = c;
    }
    if (!dt || !sh || !off)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': missing '%s'", path, name,
                       !dt ? "dtype" : !sh ? "shape" : "data_offsets");

    /* dtype */
    if (!cJSON_IsString(dt))
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': dtype is not a string", path, name);
    if (st_dtype_parse(dt->valuestring, &t->dtype) != 0 || strcmp(dt->valuestring, st_dtype_name(t->dtype)) != 0)
        return mp_errf(e, MP_EINPUT,
                       "%s: tensor '%s': unknown dtype '%s' (safetensors dtypes: F32, F16, BF16, F64, I64, ...)",
                       path, name, SAFE(dt->valuestring, tmp));

    /* shape */
    if (!cJSON_IsArray(sh))
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': shape is not an array", path, name);
    int rank = cJSON_GetArraySize(sh);
    if (rank > ST_RANK_MAX)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': shape has rank %d, more than %d", path, name, rank,
                       ST_RANK_MAX);
    t->rank = 0;
    int has_zero = 0;
    for (const cJSON *d = sh->child; d; d = d->next) {
        int r = json_uint(d, &t->shape[t->rank]);
        if (r)
            return mp_errf(e, MP_EINPUT, "%s: tensor '%s': shape[%d] is %s, not a non-negative integer", path, name,
                           t->rank, r == -2 ? "negative" : "not a number");
        has_zero |= t->shape[t->rank] == 0;
        t->rank++;
    }
    char shp[256];
    fmt_shape(t->shape, t->rank, shp, sizeof shp);
    t->numel = 1;
    if (has_zero)
        t->numel = 0;
    else
        for (int k = 0; k < t->rank; k++) {
            if (t->numel > UINT64_MAX / t->shape[k])
                return mp_errf(e, MP_EINPUT, "%s: tensor '%s': shape %s has more than 2^64 elements", path, name, shp);
            t->numel *= t->shape[k];
        }
    unsigned bits = st_dtype_bits(t->dtype);
    if (t->numel > UINT64_MAX / bits)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': shape %s of %s needs more than 2^64 bits", path, name, shp,
                       st_dtype_name(t->dtype));
    if (t->numel * bits % 8)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': shape %s of %s is %llu bits, not a whole number of bytes", path,
                       name, shp, st_dtype_name(t->dtype), (unsigned long long)(t->numel * bits));
    uint64_t need = t->numel * bits / 8;

    /* data_offsets */
    if (!cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': data_offsets is not an array of two integers", path, name);
    if (json_uint(off->child, &t->begin) || json_uint(off->child->next, &t->end))
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': data_offsets is not an array of two non-negative integers",
                       path, name);
    if (t->begin > t->end)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': data_offsets [%llu, %llu] end before they begin (begin must be <= end)", path, name,
                       (unsigned long long)t->begin, (unsigned long long)t->end);
    if (t->end - t->begin != need)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu bytes but shape %s of %s needs %llu",
                       path, name, (unsigned long long)t->begin, (unsigned long long)t->end,
                       (unsigned long long)(t->end - t->begin), shp, st_dtype_name(t->dtype), (unsigned long long)need);
    if (t->end > data_bytes)
        return mp_errf(e, MP_EINPUT,
                       "%s: tensor '%s': data_offsets [%llu, %llu] reach past the data buffer of %llu bytes (truncated file?)",
                       path, name, (unsigned long long)t->begin, (unsigned long long)t->end,
                       (unsigned long long)data_bytes);
    return MP_OK;
}

static int meta_parse(StFile *f, const cJSON *md, MpErr *e)
{
    char tmp[80];
    if (!cJSON_IsObject(md))
        return mp_errf(e, MP_EINPUT, "%s: __metadata__ is not a JSON object", f->path);
    size_t n = 0;
    for (const cJSON *c = md->child; c; c = c->next) {
        if (!cJSON_IsString(c))
            return mp_errf(e, MP_EINPUT, "%s: __metadata__: value of '%s' is not a string", f->path,
                           SAFE(c->string, tmp));
        n++;
    }
    if (!n)
        return MP_OK;
    f->meta = mp_calloc(n, sizeof *f->meta);
    if (!f->meta)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    for (const cJSON *c = md->child; c; c = c->next) {
        StMeta *m = &f->meta[f->nmeta++];
        m->key = mp_strdup(c->string);
        m->value = mp_strdup(c->valuestring);
        if (!m->key || !m->value)
            return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    }
    qsort(f->meta, f->nmeta, sizeof *f->meta, st_by_meta_key);
    for (size_t i = 1; i < f->nmeta; i++)
        if (!strcmp(f->meta[i - 1].key, f->meta[i].key))
            return mp_errf(e, MP_EINPUT, "%s: __metadata__: key '%s' appears twice", f->path,
                           SAFE(f->meta[i].key, tmp));
    return MP_OK;
}

typedef struct LayoutKey {
    uint64_t begin, end;
    size_t idx;
} LayoutKey;

static int by_layout(const void *a, const void *b)
{
    const LayoutKey *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The tensors must tile [0, data_bytes) exactly, in some order. */
static int layout_check(StFile *f, MpErr *e)
{
    char a[80], b[80];
    if (f->ntensor == 0) {
        if (f->data_bytes)
            return mp_errf(e, MP_EINPUT, "%s: data buffer of %llu bytes but the header lists no tensor", f->path,
                           (unsigned long long)f->data_bytes);
        return MP_OK;
    }
    LayoutKey *k = mp_calloc(f->ntensor, sizeof *k);
    if (!k)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    for (size_t i = 0; i < f->ntensor; i++)
        k[i] = (LayoutKey){f->t[i].begin, f->t[i].end, i};
    qsort(k, f->ntensor, sizeof *k, by_layout);
    uint64_t pos = 0;
    const StTensor *prev = NULL;
    int rc = MP_OK;
    for (size_t i = 0; i < f->ntensor && rc == MP_OK; i++) {
        const StTensor *t = &f->t[k[i].idx];
        if (t->begin > pos)
            rc = mp_errf(e, MP_EINPUT,
                         "%s: bytes [%llu, %llu) of the data buffer belong to no tensor (a hole before tensor '%s')",
                         f->path, (unsigned long long)pos, (unsigned long long)t->begin, SAFE(t->name, a));
        else if (t->begin < pos)
            rc = mp_errf(e, MP_EINPUT, "%s: tensor '%s': data_offsets [%llu, %llu] overlap tensor '%s' [%llu, %llu]",
                         f->path, SAFE(t->name, a), (unsigned long long)t->begin, (unsigned long long)t->end,
                         SAFE(prev->name, b), (unsigned long long)prev->begin, (unsigned long long)prev->end);
        pos = t->end;
        prev = t;
    }
    if (rc == MP_OK && pos != f->data_bytes)
        rc = mp_errf(e, MP_EINPUT,
                     "%s: bytes [%llu, %llu) at the end of the data buffer belong to no tensor (the buffer must be fully indexed)",
                     f->path, (unsigned long long)pos, (unsigned long long)f->data_bytes);
    mp_free(k);
    return rc;
}

static int header_parse(StFile *f, const char *hdr, size_t n, MpErr *e)
{
    int rc = hdr_scan(f->path, (const unsigned char *)hdr, n, e);
    if (rc)
        return rc;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(hdr, n, &end, 0);
    if (!root) {
        size_t at = end && end >= hdr && end <= hdr + n ? (size_t)(end - hdr) : 0;
        return mp_errf(e, MP_EINPUT, "%s: header byte %zu: not valid JSON", f->path, at);
    }
    for (const char *p = end; p < hdr + n; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            rc = mp_errf(e, MP_EINPUT, "%s: header byte %zu: unexpected data after the JSON object", f->path,
                         (size_t)(p - hdr));
            goto out;
        }
    if (!cJSON_IsObject(root)) {
        rc = mp_errf(e, MP_EINPUT, "%s: header is JSON but not an object", f->path);
        goto out;
    }
    const cJSON *md = NULL;
    size_t nt = 0;
    for (const cJSON *c = root->child; c; c = c->next) {
        if (!strcmp(c->string, "__metadata__")) {
            if (md) {
                rc = mp_errf(e, MP_EINPUT, "%s: __metadata__ appears twice", f->path);
                goto out;
            }
            md = c;
        } else
            nt++;
    }
    if (md && (rc = meta_parse(f, md, e)) != MP_OK)
        goto out;
    if (nt) {
        f->t = mp_calloc(nt, sizeof *f->t);
        if (!f->t) {
            rc = mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
            goto out;
        }
    }
    for (const cJSON *c = root->child; c; c = c->next) {
        if (c == md)
            continue;
        StTensor *t = &f->t[f->ntensor];
        if ((rc = tensor_parse(f->path, c, t, f->data_bytes, e)) != MP_OK)
            goto out;
        if (!(t->name = mp_strdup(c->string))) {
            rc = mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
            goto out;
        }
        f->ntensor++;
    }
    if (f->ntensor)
        qsort(f->t, f->ntensor, sizeof *f->t, by_tensor_name);
    for (size_t i = 1; i < f->ntensor; i++)
        if (!strcmp(f->t[i - 1].name, f->t[i].name)) {
            char nm[80];
            rc = mp_errf(e, MP_EINPUT, "%s: tensor '%s' appears twice in the header", f->path, SAFE(f->t[i].name, nm));
            goto out;
        }
    rc = layout_check(f, e);
out:
    cJSON_Delete(root);
    return rc;
}

/* ---- pass 1 and the public reader -------------------------------------------------- */

int st_open(const char *path, StFile **out, MpErr *e)
{
    *out = NULL;
    StFile *f = mp_calloc(1, sizeof *f);
    char *hdr = NULL;
    int rc = MP_OK;
    if (!f || !(f->path = mp_strdup(path))) {
        mp_free(f);
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
    }
    if ((rc = mp_open_regular(path, &f->fp, e)) != MP_OK) /* refuses a FIFO without waiting on it */
        goto fail;
    struct stat sb;
    if (fstat(fileno(f->fp), &sb) != 0) {
        rc = mp_errf(e, MP_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    f->file_bytes = (uint64_t)sb.st_size;
    unsigned char lenb[8];
    if (f->file_bytes < 8) {
        rc = mp_errf(e, MP_EINPUT, "%s: file of %llu bytes is too short for the 8-byte header length", path,
                     (unsigned long long)f->file_bytes);
        goto fail;
    }
    if (fread(lenb, 1, 8, f->fp) != 8) {
        rc = mp_errf(e, MP_EIO, "%s: read error at byte 0", path);
        goto fail;
    }
    uint64_t n = le64(lenb);
    if (n == 0) {
        rc = mp_errf(e, MP_EINPUT, "%s: byte 0: header length is 0", path);
        goto fail;
    }
    if (n > ST_HEADER_CAP) {
        rc = mp_errf(e, MP_EINPUT, "%s: byte 0: header length %llu is larger than the cap of %llu bytes (100 MiB)",
                     path, (unsigned long long)n, (unsigned long long)ST_HEADER_CAP);
        goto fail;
    }
    if (n > f->file_bytes - 8) {
        rc = mp_errf(e, MP_EINPUT, "%s: byte 0: header length %llu but only %llu bytes follow (truncated file?)", path,
                     (unsigned long long)n, (unsigned long long)(f->file_bytes - 8));
        goto fail;
    }
    f->data_start = 8 + n;
    f->data_bytes = f->file_bytes - 8 - n;
    if (!(hdr = mp_malloc((size_t)n + 1))) {
        rc = mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (fread(hdr, 1, (size_t)n, f->fp) != (size_t)n) {
        rc = mp_errf(e, MP_EIO, "%s: read error in the header (file changed while read?)", path);
        goto fail;
    }
    hdr[n] = '\0';
    if ((rc = header_parse(f, hdr, (size_t)n, e)) != MP_OK)
        goto fail;
    mp_free(hdr);
    *out = f;
    return MP_OK;
fail:
    mp_free(hdr);
    st_close(f);
    return rc;
}

void st_close(StFile *f)
{
    if (!f)
        return;
    if (f->fp)
        fclose(f->fp);
    for (size_t i = 0; i < f->ntensor; i++)
        mp_free(f->t[i].name);
    for (size_t i = 0; i < f->nmeta; i++) {
        mp_free(f->meta[i].key);
        mp_free(f->meta[i].value);
    }
    mp_free(f->t);
    mp_free(f->meta);
    mp_free(f->path);
    mp_free(f);
}

const char *st_path(const StFile *f) { return f->path; }
size_t st_count(const StFile *f) { return f->ntensor; }
uint64_t st_data_bytes(const StFile *f) { return f->data_bytes; }
const char *st_name(const StFile *f, size_t i) { return f->t[i].name; }
StDtype st_dtype(const StFile *f, size_t i) { return f->t[i].dtype; }
int st_rank(const StFile *f, size_t i) { return f->t[i].rank; }
const uint64_t *st_shape(const StFile *f, size_t i) { return f->t[i].shape; }
uint64_t st_numel(const StFile *f, size_t i) { return f->t[i].numel; }

void st_offsets(const StFile *f, size_t i, uint64_t *begin, uint64_t *end)
{
    *begin = f->t[i].begin;
    *end = f->t[i].end;
}

long st_find(const StFile *f, const char *name)
{
    size_t lo = 0, hi = f->ntensor;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->t[mid].name, name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

size_t st_meta_count(const StFile *f) { return f->nmeta; }
const char *st_meta_key(const StFile *f, size_t i) { return f->meta[i].key; }
const char *st_meta_value(const StFile *f, size_t i) { return f->meta[i].value; }

const char *st_meta_get(const StFile *f, const char *key)
{
    for (size_t i = 0; i < f->nmeta; i++)
        if (!strcmp(f->meta[i].key, key))
            return f->meta[i].value;
    return NULL;
}

static float decode_one(StDtype d, const unsigned char *p)
{
    switch (d) {
    case ST_F32: {
        uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        float x;
        memcpy(&x, &u, 4);
        return x;
    }
    case ST_F16: return fp16_to_f32((uint16_t)(p[0] | p[1] << 8));
    default: return bf16_to_f32((uint16_t)(p[0] | p[1] << 8));
    }
}

int st_read_f32(StFile *f, size_t i, float *dst, size_t cap, MpErr *e)
{
    const StTensor *t = &f->t[i];
    char nm[80];
    if (!st_dtype_is_float(t->dtype))
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': unsupported dtype '%s' (this reader converts F32, F16 and BF16)",
                       f->path, SAFE(t->name, nm), st_dtype_name(t->dtype));
    if (t->numel > cap)
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': %llu elements do not fit a buffer of %zu", f->path,
                       SAFE(t->name, nm), (unsigned long long)t->numel, cap);
    if (t->numel == 0)
        return MP_OK;
    if (fseeko(f->fp, (off_t)(f->data_start + t->begin), SEEK_SET) != 0)
        return mp_errf(e, MP_EIO, "%s: tensor '%s': cannot seek: %s", f->path, SAFE(t->name, nm), strerror(errno));
    size_t esz = st_dtype_size(t->dtype), per = 65536 / esz;
    unsigned char buf[65536];
    for (uint64_t done = 0; done < t->numel;) {
        size_t k = t->numel - done < per ? (size_t)(t->numel - done) : per;
        if (fread(buf, esz, k, f->fp) != k)
            return mp_errf(e, MP_EIO, "%s: tensor '%s': file ended early at element %llu (changed since it was opened?)",
                           f->path, SAFE(t->name, nm), (unsigned long long)done);
        for (size_t j = 0; j < k; j++)
            dst[done + j] = decode_one(t->dtype, buf + j * esz);
        done += k;
    }
    return MP_OK;
}

int st_read_f32_alloc(StFile *f, size_t i, float **out, MpErr *e)
{
    *out = NULL;
    const StTensor *t = &f->t[i];
    char nm[80];
    if (!st_dtype_is_float(t->dtype))
        return mp_errf(e, MP_EINPUT, "%s: tensor '%s': unsupported dtype '%s' (this reader converts F32, F16 and BF16)",
                       f->path, SAFE(t->name, nm), st_dtype_name(t->dtype));
    /* numel * dtype size <= data_bytes <= file size, so this is bounded by the file */
    if (t->numel > SIZE_MAX / sizeof(float))
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    float *x = mp_malloc((size_t)t->numel * sizeof(float));
    if (!x)
        return mp_errf(e, MP_ENOMEM, "%s: out of memory", f->path);
    int rc = st_read_f32(f, i, x, (size_t)t->numel, e);
    if (rc) {
        mp_free(x);
        return rc;
    }
    *out = x;
    return MP_OK;
}

