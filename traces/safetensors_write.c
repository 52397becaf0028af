/* traces/safetensors_write.c — the safetensors writer (see safetensors.h): tensors converted
 * from float32 to their dtype, metadata, and one file written whole (temp + rename) with the
 * header in byte order of the names, padded to a multiple of 8. */
#include "traces/safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "models/fpx.h"
#include "traces/st_int.h"

/* ---- writer ------------------------------------------------------------------------ */

typedef struct StWTensor {
    char *name;
    StDtype dtype;
    int rank;
    uint64_t shape[ST_RANK_MAX];
    unsigned char *bytes; /* numel * dtype size bytes, little-endian */
    size_t nbytes;
} StWTensor;

struct StWriter {
    StWTensor *t;
    size_t n, cap;
    StMeta *meta;
    size_t nmeta, capmeta;
};

int st_writer_new(StWriter **out, MpErr *e)
{
    *out = mp_calloc(1, sizeof **out);
    if (!*out)
        return mp_errf(e, MP_ENOMEM, "safetensors writer: out of memory");
    return MP_OK;
}

void st_writer_free(StWriter *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        mp_free(w->t[i].name);
        mp_free(w->t[i].bytes);
    }
    for (size_t i = 0; i < w->nmeta; i++) {
        mp_free(w->meta[i].key);
        mp_free(w->meta[i].value);
    }
    mp_free(w->t);
    mp_free(w->meta);
    mp_free(w);
}

static void encode_one(StDtype d, float x, unsigned char *p)
{
    uint32_t u;
    switch (d) {
    case ST_F32: memcpy(&u, &x, 4); break;
    case ST_F16: u = fp16_from_f32(x); break;
    default: u = bf16_from_f32(x); break;
    }
    for (size_t k = 0; k < st_dtype_size(d); k++)
        p[k] = (unsigned char)(u >> (8 * k));
}

int st_writer_add(StWriter *w, const char *name, StDtype dtype, int rank, const uint64_t *shape, const float *data,
                  MpErr *e)
{
    char nm[80];
    if (!st_utf8_valid(name) || !strcmp(name, "__metadata__"))
        return mp_errf(e, MP_EINPUT, "safetensors writer: bad tensor name '%s'", SAFE(name, nm));
    if ((unsigned)dtype >= ST_DTYPE_COUNT || !st_dtype_is_float(dtype))
        return mp_errf(e, MP_EINPUT, "safetensors writer: tensor '%s': writes F32, F16 and BF16 only", SAFE(name, nm));
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->t[i].name, name))
            return mp_errf(e, MP_EINPUT, "safetensors writer: tensor '%s' added twice", SAFE(name, nm));
    if (rank < 0 || rank > ST_RANK_MAX)
        return mp_errf(e, MP_EINPUT, "safetensors writer: tensor '%s': rank %d not in 0..%d", SAFE(name, nm), rank,
                       ST_RANK_MAX);
    uint64_t numel = 1;
    int has_zero = 0;
    for (int k = 0; k < rank; k++) {
        if (shape[k] > ST_DIM_MAX)
            return mp_errf(e, MP_EINPUT, "safetensors writer: tensor '%s': dimension larger than 2^53", SAFE(name, nm));
        has_zero |= shape[k] == 0;
    }
    if (has_zero)
        numel = 0;
    else
        for (int k = 0; k < rank; k++) {
            if (numel > ST_DIM_MAX / shape[k])
                return mp_errf(e, MP_EINPUT, "safetensors writer: tensor '%s': too many elements", SAFE(name, nm));
            numel *= shape[k];
        }
    size_t esz = st_dtype_size(dtype);
    if (numel > ST_DIM_MAX / esz || numel * esz > SIZE_MAX)
        return mp_errf(e, MP_EINPUT, "safetensors writer: tensor '%s': too many bytes", SAFE(name, nm));
    if (numel && !data)
        return mp_errf(e, MP_EINPUT, "safetensors writer: tensor '%s': no data", SAFE(name, nm));
    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 8;
        StWTensor *nt = mp_realloc(w->t, nc * sizeof *nt);
        if (!nt)
            return mp_errf(e, MP_ENOMEM, "safetensors writer: out of memory");
        w->t = nt;
        w->cap = nc;
    }
    StWTensor t = {0};
    t.dtype = dtype;
    t.rank = rank;
    for (int k = 0; k < rank; k++)
        t.shape[k] = shape[k];
    t.nbytes = (size_t)(numel * esz);
    t.name = mp_strdup(name);
    t.bytes = mp_malloc(t.nbytes);
    if (!t.name || !t.bytes) {
        mp_free(t.name);
        mp_free(t.bytes);
        return mp_errf(e, MP_ENOMEM, "safetensors writer: out of memory");
    }
    for (size_t j = 0; j < (size_t)numel; j++)
        encode_one(dtype, data[j], t.bytes + j * esz);
    w->t[w->n++] = t;
    return MP_OK;
}

int st_writer_set_meta(StWriter *w, const char *key, const char *value, MpErr *e)
{
    char nm[80];
    if (!st_utf8_valid(key) || !st_utf8_valid(value))
        return mp_errf(e, MP_EINPUT, "safetensors writer: metadata '%s': not valid UTF-8", SAFE(key, nm));
    char *v = mp_strdup(value);
    if (!v)
        return mp_errf(e, MP_ENOMEM, "safetensors writer: out of memory");
    for (size_t i = 0; i < w->nmeta; i++)
        if (!strcmp(w->meta[i].key, key)) {
            mp_free(w->meta[i].value);
            w->meta[i].value = v;
            return MP_OK;
        }
    if (w->nmeta == w->capmeta) {
        size_t nc = w->capmeta ? 2 * w->capmeta : 8;
        StMeta *nm2 = mp_realloc(w->meta, nc * sizeof *nm2);
        if (!nm2) {
            mp_free(v);
            return mp_errf(e, MP_ENOMEM, "safetensors writer: out of memory");
        }
        w->meta = nm2;
        w->capmeta = nc;
    }
    char *k = mp_strdup(key);
    if (!k) {
        mp_free(v);
        return mp_errf(e, MP_ENOMEM, "safetensors writer: out of memory");
    }
    w->meta[w->nmeta++] = (StMeta){k, v};
    return MP_OK;
}

/* A growable byte buffer for the header text. */
typedef struct StrBuf {
    char *p;
    size_t n, cap;
    int oom;
} StrBuf;

static void sb_put(StrBuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1)
            nc *= 2;
        char *np = mp_realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(StrBuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_u64(StrBuf *b, uint64_t v)
{
    char t[24];
    sb_put(b, t, (size_t)snprintf(t, sizeof t, "%llu", (unsigned long long)v));
}

/* A JSON string literal: quotes, backslashes and control bytes escaped, UTF-8 as is. */
static void sb_json_str(StrBuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char t[2] = {'\\', (char)c};
            sb_put(b, t, 2);
        } else if (c < 0x20) {
            char t[8];
            sb_put(b, t, (size_t)snprintf(t, sizeof t, "\\u%04x", c));
        } else
            sb_put(b, (const char *)&c, 1);
    }
    sb_put(b, "\"", 1);
}

static int by_wname(const void *a, const void *b)
{
    return strcmp((*(const StWTensor *const *)a)->name, (*(const StWTensor *const *)b)->name);
}

int st_writer_write(StWriter *w, const char *path, MpErr *e)
{
    const StWTensor **ord = mp_calloc(w->n ? w->n : 1, sizeof *ord);
    StMeta *meta = mp_calloc(w->nmeta ? w->nmeta : 1, sizeof *meta);
    StrBuf b = {0};
    int rc = MP_OK;
    if (!ord || !meta) {
        rc = mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    /* names are unique, so the order is total */
    for (size_t i = 0; i < w->n; i++)
        ord[i] = &w->t[i];
    qsort(ord, w->n, sizeof *ord, by_wname);
    if (w->nmeta)
        memcpy(meta, w->meta, w->nmeta * sizeof *meta);
    qsort(meta, w->nmeta, sizeof *meta, st_by_meta_key);

    sb_str(&b, "{");
    if (w->nmeta) {
        sb_str(&b, "\"__metadata__\":{");
        for (size_t i = 0; i < w->nmeta; i++) {
            if (i)
                sb_str(&b, ",");
            sb_json_str(&b, meta[i].key);
            sb_str(&b, ":");
            sb_json_str(&b, meta[i].value);
        }
        sb_str(&b, "}");
    }
    uint64_t pos = 0;
    for (size_t j = 0; j < w->n; j++) {
        const StWTensor *t = ord[j];
        if (j || w->nmeta)
            sb_str(&b, ",");
        sb_json_str(&b, t->name);
        sb_str(&b, ":{\"dtype\":\"");
        sb_str(&b, st_dtype_name(t->dtype));
        sb_str(&b, "\",\"shape\":[");
        for (int k = 0; k < t->rank; k++) {
            if (k)
                sb_str(&b, ",");
            sb_u64(&b, t->shape[k]);
        }
        sb_str(&b, "],\"data_offsets\":[");
        sb_u64(&b, pos);
        sb_str(&b, ",");
        if (t->nbytes > ST_DIM_MAX - pos) {
            rc = mp_errf(e, MP_EINPUT, "%s: data buffer larger than 2^53 bytes", path);
            goto out;
        }
        pos += t->nbytes;
        sb_u64(&b, pos);
        sb_str(&b, "]}");
    }
    sb_str(&b, "}");
    while (!b.oom && b.n % 8)
        sb_str(&b, " "); /* pad to 8 bytes with spaces, as the reference writer does */
    if (b.oom) {
        rc = mp_errf(e, MP_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if ((uint64_t)b.n > ST_HEADER_CAP) {
        rc = mp_errf(e, MP_EINPUT, "%s: header of %zu bytes is larger than the 100 MiB cap", path, b.n);
        goto out;
    }

    MpOut o;
    if ((rc = mp_out_open(&o, path, e)) != MP_OK)
        goto out;
    unsigned char lenb[8];
    for (int k = 0; k < 8; k++)
        lenb[k] = (unsigned char)((uint64_t)b.n >> (8 * k));
    int bad = fwrite(lenb, 1, 8, o.f) != 8 || fwrite(b.p, 1, b.n, o.f) != b.n;
    for (size_t j = 0; j < w->n && !bad; j++) {
        const StWTensor *t = ord[j];
        bad = t->nbytes && fwrite(t->bytes, 1, t->nbytes, o.f) != t->nbytes;
    }
    if (bad) {
        int err = errno;
        mp_out_abort(&o);
        rc = mp_errf(e, MP_EIO, "%s: write error: %s", path, strerror(err));
        goto out;
    }
    rc = mp_out_commit(&o, e);
out:
    mp_free(b.p);
    mp_free(ord);
    mp_free(meta);
    return rc;
}
