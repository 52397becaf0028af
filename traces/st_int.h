/* traces/st_int.h — what the safetensors reader (safetensors.c) and writer (safetensors_write.c)
 * share; not for use outside these two files. */
#ifndef MP_TRACES_ST_INT_H
#define MP_TRACES_ST_INT_H

#include <stddef.h>
#include <string.h>

#include "base/utf8.h"

/* One metadata entry: "key": "value", both NUL-terminated UTF-8. */
typedef struct StMeta {
    char *key, *value;
} StMeta;

/* 1 when s is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). */
int st_utf8_valid(const char *s);
/* qsort order of StMeta by key (strcmp). */
int st_by_meta_key(const void *a, const void *b);

/* A printable copy of the untrusted NUL-terminated text s for messages (base/utf8.h). */
#define SAFE(s, buf) mp_utf8_printable((s), strlen(s), (buf))

#endif
