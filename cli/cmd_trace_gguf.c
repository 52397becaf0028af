/* cli/cmd_trace_gguf.c — `mpsim trace info FILE.gguf`: header facts, the architecture's key numbers,
 * every metadata entry (long arrays summarised), per-type totals and the tensor table. */
#include "cli/cmd_trace_gguf.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/fileio.h"
#include "base/jsonout.h"
#include "cli/cmds.h"
#include "traces/gguf.h"

int trace_is_gguf(const char *path)
{
    FILE *fp = NULL;
    MpErr e = {0};
    unsigned char m[4];
    if (mp_open_regular(path, &fp, &e))
        return 0;
    int yes = fread(m, 1, 4, fp) == 4 && !memcmp(m, "GGUF", 4);
    fclose(fp);
    return yes;
}

/* One scalar or string value as text into buf (strings quoted, cut at 60 bytes). */
static void fmt_scalar(GgufValType t, const void *p, char *buf, size_t cap)
{
    switch (t) {
    case GGUF_VAL_U8: snprintf(buf, cap, "%u", *(const uint8_t *)p); break;
    case GGUF_VAL_I8: snprintf(buf, cap, "%d", *(const int8_t *)p); break;
    case GGUF_VAL_U16: snprintf(buf, cap, "%u", *(const uint16_t *)p); break;
    case GGUF_VAL_I16: snprintf(buf, cap, "%d", *(const int16_t *)p); break;
    case GGUF_VAL_U32: snprintf(buf, cap, "%" PRIu32, *(const uint32_t *)p); break;
    case GGUF_VAL_I32: snprintf(buf, cap, "%" PRId32, *(const int32_t *)p); break;
    case GGUF_VAL_U64: snprintf(buf, cap, "%" PRIu64, *(const uint64_t *)p); break;
    case GGUF_VAL_I64: snprintf(buf, cap, "%" PRId64, *(const int64_t *)p); break;
    case GGUF_VAL_F32: snprintf(buf, cap, "%.9g", (double)*(const float *)p); break;
    case GGUF_VAL_F64: snprintf(buf, cap, "%.17g", *(const double *)p); break;
    case GGUF_VAL_BOOL: snprintf(buf, cap, "%s", *(const uint8_t *)p ? "true" : "false"); break;
    case GGUF_VAL_STRING: {
        const char *s = *(const char *const *)p;
        size_t n = strlen(s), k = 0, o = 0;
        buf[o++] = '"';
        for (; k < n && o + 8 < cap && k < 60; k++) {
            unsigned char c = (unsigned char)s[k];
            if (c == '\n') { buf[o++] = '\\'; buf[o++] = 'n'; }
            else if (c < 0x20 || c == 0x7f) buf[o++] = '?';
            else buf[o++] = (char)c;
        }
        /* do not cut inside a UTF-8 sequence */
        while (k < n && o > 1 && ((unsigned char)s[k] & 0xC0) == 0x80) {
            k--;
            o--;
        }
        if (k < n) { memcpy(buf + o, "...", 3); o += 3; }
        buf[o++] = '"';
        buf[o] = '\0';
        break;
    }
    default: snprintf(buf, cap, "?"); break;
    }
}

static size_t elem_size(GgufValType t)
{
    static const size_t sz[GGUF_VAL_COUNT] = {1, 1, 2, 2, 4, 4, sizeof(float), 1, sizeof(char *), sizeof(GgufValue),
                                              8, 8, sizeof(double)};
    return sz[t];
}

/* A value as one line of text: scalars as they are, arrays as "[TYPE x N] first, second, ...". */
static void fmt_value(const GgufValue *v, char *buf, size_t cap)
{
    if (v->type != GGUF_VAL_ARRAY) {
        uint8_t b = (uint8_t)v->v.u;
        const void *p = &v->v;
        switch (v->type) {
        case GGUF_VAL_STRING: p = &v->v.str.s; break;
        case GGUF_VAL_BOOL: p = &b; break;
        case GGUF_VAL_U8: case GGUF_VAL_U16: case GGUF_VAL_U32: case GGUF_VAL_U64:
            snprintf(buf, cap, "%" PRIu64, v->v.u);
            return;
        case GGUF_VAL_I8: case GGUF_VAL_I16: case GGUF_VAL_I32: case GGUF_VAL_I64:
            snprintf(buf, cap, "%" PRId64, v->v.i);
            return;
        case GGUF_VAL_F32: snprintf(buf, cap, "%.9g", v->v.f); return;
        case GGUF_VAL_F64: snprintf(buf, cap, "%.17g", v->v.f); return;
        default: break;
        }
        fmt_scalar(v->type, p, buf, cap);
        return;
    }
    size_t o = (size_t)snprintf(buf, cap, "[%s x %" PRIu64 "]", gguf_val_type_name(v->v.arr.type), v->v.arr.n);
    const uint64_t show = v->v.arr.n < 4 ? v->v.arr.n : 4;
    for (uint64_t i = 0; i < show && o + 80 < cap; i++) {
        char one[128];
        if (v->v.arr.type == GGUF_VAL_ARRAY)
            fmt_value((const GgufValue *)v->v.arr.data + i, one, sizeof one);
        else
            fmt_scalar(v->v.arr.type, (const char *)v->v.arr.data + i * elem_size(v->v.arr.type), one, sizeof one);
        o += (size_t)snprintf(buf + o, cap - o, "%s %s", i ? "," : "", one);
    }
    if (show < v->v.arr.n && o + 5 < cap)
        snprintf(buf + o, cap - o, ", ...");
}

static void fmt_shape(const GgufTensor *t, char *buf, size_t cap)
{
    size_t o = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < t->n_dims && o < cap; d++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%" PRIu64, d ? ", " : "", t->ne[d]);
    if (o < cap)
        snprintf(buf + o, cap - o, "]");
}

static cJSON *jchk(cJSON *v, int *oom)
{
    if (!v)
        *oom = 1;
    return v;
}

static cJSON *value_json(const GgufValue *v, int *oom)
{
    char buf[512];
    switch (v->type) {
    case GGUF_VAL_STRING: return jchk(cJSON_CreateString(v->v.str.s), oom);
    case GGUF_VAL_BOOL: return jchk(cJSON_CreateBool(v->v.u != 0), oom);
    case GGUF_VAL_U8: case GGUF_VAL_U16: case GGUF_VAL_U32: case GGUF_VAL_U64:
        return jchk(cJSON_CreateNumber((double)v->v.u), oom);
    case GGUF_VAL_I8: case GGUF_VAL_I16: case GGUF_VAL_I32: case GGUF_VAL_I64:
        return jchk(cJSON_CreateNumber((double)v->v.i), oom);
    case GGUF_VAL_F32: case GGUF_VAL_F64: return jchk(cJSON_CreateNumber(v->v.f), oom);
    default: {
        cJSON *o = jchk(cJSON_CreateObject(), oom);
        if (!o)
            return NULL;
        jchk(cJSON_AddStringToObject(o, "array_of", gguf_val_type_name(v->v.arr.type)), oom);
        jchk(cJSON_AddNumberToObject(o, "count", (double)v->v.arr.n), oom);
        fmt_value(v, buf, sizeof buf);
        jchk(cJSON_AddStringToObject(o, "summary", buf), oom);
        return o;
    }
    }
}

int trace_info_gguf(const char *path, const char *json_path)
{
    MpErr e = {0};
    GgufFile *f = NULL;
    if (gguf_open(path, &f, &e))
        return cli_fail(&e);
    const size_t nt = gguf_tensor_count(f), nkv = gguf_kv_count(f);
    printf("%s: GGUF v%u, %zu tensor%s, %zu metadata entr%s, alignment %u, data section %" PRIu64
           " bytes at byte %" PRIu64 "\n",
           path, gguf_version(f), nt, nt == 1 ? "" : "s", nkv, nkv == 1 ? "y" : "ies", gguf_alignment(f),
           gguf_data_bytes(f), gguf_data_offset(f));

    /* The architecture's key numbers, where present ("ARCH.block_count", ...). */
    const char *arch = NULL, *name = NULL;
    MpErr ign = {0};
    if (gguf_get_str(f, "general.architecture", &arch, &ign) != MP_OK)
        arch = NULL;
    if (gguf_get_str(f, "general.name", &name, &ign) != MP_OK)
        name = NULL;
    printf("architecture: %s%s%s%s\n", arch ? arch : "(not given)", name ? " (" : "", name ? name : "", name ? ")" : "");
    if (arch) {
        static const char *const keys[] = {"block_count", "context_length", "embedding_length",
                                           "feed_forward_length", "attention.head_count", "attention.head_count_kv",
                                           "rope.freq_base", "attention.layer_norm_rms_epsilon", "vocab_size"};
        printf(" ");
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            char k[256], val[128];
            snprintf(k, sizeof k, "%s.%s", arch, keys[i]);
            const GgufValue *v = gguf_get(f, k);
            if (v && v->type != GGUF_VAL_ARRAY) {
                fmt_value(v, val, sizeof val);
                printf(" %s=%s", keys[i], val);
            }
        }
        printf("\n");
    }

    /* Per-type totals. */
    uint64_t cnt[GGML_TYPE_CODES] = {0}, numel[GGML_TYPE_CODES] = {0}, bytes[GGML_TYPE_CODES] = {0};
    uint64_t all_numel = 0, all_bytes = 0;
    size_t wname = 4;
    for (size_t i = 0; i < nt; i++) {
        const GgufTensor *t = gguf_tensor(f, i);
        cnt[t->type]++;
        numel[t->type] += t->numel;
        bytes[t->type] += t->bytes;
        all_numel += t->numel;
        all_bytes += t->bytes;
        if (strlen(t->name) > wname)
            wname = strlen(t->name);
    }
    printf("types:\n");
    for (int c = 0; c < GGML_TYPE_CODES; c++)
        if (cnt[c])
            printf("  %-7s %5" PRIu64 " tensors %13" PRIu64 " elements %13" PRIu64 " bytes  %6.3f bits/element%s\n",
                   ggml_type_name(c), cnt[c], numel[c], bytes[c], 8.0 * (double)bytes[c] / (double)numel[c],
                   ggml_type_can_dequant(c) ? "" : "  (no conversion to f32)");
    printf("  %-7s %5zu tensors %13" PRIu64 " elements %13" PRIu64 " bytes\n", "total", nt, all_numel, all_bytes);

    printf("metadata:\n");
    for (size_t i = 0; i < nkv; i++) {
        char val[512];
        fmt_value(gguf_kv_value(f, i), val, sizeof val);
        printf("  %s = %s\n", gguf_kv_key(f, i), val);
    }
    if (nt) {
        printf("tensors:\n");
        printf("  %-*s  %-7s %-22s %12s %12s %12s\n", (int)wname, "name", "type", "shape [ne0, ne1, ...]", "numel",
               "bytes", "offset");
    }
    for (size_t i = 0; i < nt; i++) {
        const GgufTensor *t = gguf_tensor(f, i);
        char shp[128];
        fmt_shape(t, shp, sizeof shp);
        printf("  %-*s  %-7s %-22s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", (int)wname, t->name,
               ggml_type_name((int)t->type), shp, t->numel, t->bytes, t->offset);
    }

    cJSON *root = NULL;
    if (json_path) {
        int oom = 0;
        root = jchk(cJSON_CreateObject(), &oom);
        if (root) {
            jchk(cJSON_AddStringToObject(root, "file", path), &oom);
            jchk(cJSON_AddStringToObject(root, "format", "gguf"), &oom);
            jchk(cJSON_AddNumberToObject(root, "version", gguf_version(f)), &oom);
            jchk(cJSON_AddNumberToObject(root, "alignment", gguf_alignment(f)), &oom);
            jchk(cJSON_AddNumberToObject(root, "data_offset", (double)gguf_data_offset(f)), &oom);
            jchk(cJSON_AddNumberToObject(root, "data_bytes", (double)gguf_data_bytes(f)), &oom);
            cJSON *md = jchk(cJSON_AddObjectToObject(root, "metadata"), &oom);
            for (size_t i = 0; md && i < nkv; i++) {
                cJSON *v = value_json(gguf_kv_value(f, i), &oom);
                if (v)
                    cJSON_AddItemToObject(md, gguf_kv_key(f, i), v);
            }
            cJSON *ty = jchk(cJSON_AddObjectToObject(root, "types"), &oom);
            for (int c = 0; ty && c < GGML_TYPE_CODES; c++)
                if (cnt[c]) {
                    cJSON *o = jchk(cJSON_AddObjectToObject(ty, ggml_type_name(c)), &oom);
                    if (o) {
                        jchk(cJSON_AddNumberToObject(o, "tensors", (double)cnt[c]), &oom);
                        jchk(cJSON_AddNumberToObject(o, "numel", (double)numel[c]), &oom);
                        jchk(cJSON_AddNumberToObject(o, "bytes", (double)bytes[c]), &oom);
                    }
                }
            cJSON *arr = jchk(cJSON_AddArrayToObject(root, "tensors"), &oom);
            for (size_t i = 0; arr && i < nt; i++) {
                const GgufTensor *t = gguf_tensor(f, i);
                cJSON *o = jchk(cJSON_CreateObject(), &oom);
                if (!o)
                    break;
                cJSON_AddItemToArray(arr, o);
                jchk(cJSON_AddStringToObject(o, "name", t->name), &oom);
                jchk(cJSON_AddStringToObject(o, "type", ggml_type_name((int)t->type)), &oom);
                cJSON *sh = jchk(cJSON_AddArrayToObject(o, "shape"), &oom);
                for (int d = 0; sh && d < t->n_dims; d++) {
                    cJSON *n = jchk(cJSON_CreateNumber((double)t->ne[d]), &oom);
                    if (n)
                        cJSON_AddItemToArray(sh, n);
                }
                jchk(cJSON_AddNumberToObject(o, "numel", (double)t->numel), &oom);
                jchk(cJSON_AddNumberToObject(o, "bytes", (double)t->bytes), &oom);
                jchk(cJSON_AddNumberToObject(o, "offset", (double)t->offset), &oom);
            }
        }
        if (oom)
            mp_errf(&e, MP_ENOMEM, "%s: out of memory building JSON", json_path);
        else if (json_write(json_path, root, &e) != MP_OK) {
            /* e holds the error; reported below */
        }
    }
    cJSON_Delete(root);
    gguf_close(f);
    return e.code ? cli_fail(&e) : 0;
}
