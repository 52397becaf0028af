/* traces/safetensors.h — a strict reader and a writer of safetensors files (F32, F16, BF16).
 *
 * File layout (all integers little-endian; docs/data.md has the full rule list):
 *
 *   OFFSET   SIZE   CONTENT
 *   0        8      N: u64, length of the header in bytes (1 <= N <= ST_HEADER_CAP)
 *   8        N      header: UTF-8 JSON object
 *                     { "__metadata__": {"key": "value", ...},          (optional, strings only)
 *                       "name": {"dtype": "F16", "shape": [d0, ...],
 *                                "data_offsets": [begin, end]}, ... }
 *                   padded with trailing spaces (the writer pads N to a multiple of 8)
 *   8+N      D      data buffer: every tensor's bytes, row-major, little-endian, at
 *                   [begin, end) relative to 8+N. D = file size - 8 - N.
 *
 * Reader invariants (anything else is refused with MP_EINPUT and "FILE: place: problem"):
 *   - every dtype is one of the format's (StDtype); numel * dtype bits is a whole number
 *     of bytes and equals 8 * (end - begin), numel = Π shape (1 for rank 0);
 *   - the tensors, sorted by data_offsets, tile [0, D) exactly: no overlap, no hole,
 *     nothing past D and no bytes left over at the end;
 *   - nothing is allocated before its size has been checked against the file: the header
 *     buffer is N+1 bytes with N <= file size - 8, the tensor table is bounded by the
 *     header, and a tensor read allocates numel floats with numel * size <= D.
 * Tensors are indexed 0..count-1 in byte order of their names (strcmp), whatever the
 * header's order; st_find() is a binary search over that order.
 *
 * Allocations go through base/alloc.h, except cJSON's parse tree, which cJSON takes
 * from libc malloc (its allocator hook is process-global, so it is left alone).
 */
#ifndef MP_TRACES_SAFETENSORS_H
#define MP_TRACES_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ST_HEADER_CAP ((uint64_t)100 << 20) /* largest header accepted, bytes (100 MiB) */
#define ST_RANK_MAX 8                       /* largest rank accepted                     */
#define ST_DIM_MAX ((uint64_t)1 << 53)      /* largest integer in shape/data_offsets     */

/* Every dtype of the safetensors format. The reader validates the layout of all of
 * them; only the first three (st_dtype_is_float) convert to float32 and can be written. */
typedef enum StDtype {
    ST_F32,      /* IEEE binary32, 4 bytes                     */
    ST_F16,      /* IEEE binary16, 2 bytes                     */
    ST_BF16,     /* bfloat16 (top half of a binary32), 2 bytes */
    ST_F64, ST_I64, ST_U64, ST_I32, ST_U32, ST_I16, ST_U16, ST_I8, ST_U8, ST_BOOL,
    ST_F8_E5M2, ST_F8_E4M3, ST_F8_E8M0, ST_E8M0, ST_F6_E2M3, ST_F6_E3M2, ST_F4, ST_C64,
    ST_DTYPE_COUNT
} StDtype;

const char *st_dtype_name(StDtype d);  /* the file's spelling: "F32", "BF16", "I64", ...   */
unsigned st_dtype_bits(StDtype d);     /* bits per element: 32, 16, ..., 6 (F6_*), 4 (F4)  */
size_t st_dtype_size(StDtype d);       /* bytes per element; 0 for the sub-byte F6_* and F4 */
int st_dtype_is_float(StDtype d);      /* 1 for F32, F16, BF16: readable as float32        */
/* Parse a file spelling ("F32", "I64", ...) or "f32"/"f16"/"bf16"; 0 ok, -1 otherwise. */
int st_dtype_parse(const char *s, StDtype *out);

/* ---- reader ---------------------------------------------------------------------- */

typedef struct StFile StFile;

/* Open and validate PATH completely (header and layout; tensor values are read later).
 * MP_EINPUT for a bad file, MP_EIO for a read error, MP_ENOMEM; *out is NULL on error. */
int st_open(const char *path, StFile **out, MpErr *e) MP_MUST_CHECK;
void st_close(StFile *f);  /* NULL is fine */

const char *st_path(const StFile *f);
size_t st_count(const StFile *f);            /* number of tensors                        */
uint64_t st_data_bytes(const StFile *f);     /* D, the data buffer's size                */
long st_find(const StFile *f, const char *name); /* index, or -1 if there is no such tensor */
const char *st_name(const StFile *f, size_t i);
StDtype st_dtype(const StFile *f, size_t i);
int st_rank(const StFile *f, size_t i);      /* 0..ST_RANK_MAX                            */
const uint64_t *st_shape(const StFile *f, size_t i); /* st_rank() entries                 */
uint64_t st_numel(const StFile *f, size_t i);
/* Byte range [begin, end) of tensor i in the data buffer. */
void st_offsets(const StFile *f, size_t i, uint64_t *begin, uint64_t *end);

/* Tensor i converted to float32 (exactly: every F16/BF16 value is a float) into dst,
 * which holds cap floats. MP_EINPUT for a dtype other than F32/F16/BF16 ("unsupported
 * dtype 'I64'") or cap < numel; MP_EIO if the file shrank since st_open. */
int st_read_f32(StFile *f, size_t i, float *dst, size_t cap, MpErr *e) MP_MUST_CHECK;
/* The same into a new mp_malloc'ed array of st_numel() floats (at least 1). */
int st_read_f32_alloc(StFile *f, size_t i, float **out, MpErr *e) MP_MUST_CHECK;

/* __metadata__, in byte order of the keys. */
size_t st_meta_count(const StFile *f);
const char *st_meta_key(const StFile *f, size_t i);
const char *st_meta_value(const StFile *f, size_t i);
const char *st_meta_get(const StFile *f, const char *key);  /* NULL if absent */

/* ---- writer ---------------------------------------------------------------------- */

/* Collects tensors (converted to their dtype at add time, so the caller's float data
 * may be freed right after st_writer_add) and metadata, then writes the file in one go.
 * Layout written: header lists "__metadata__" first (if any), then the tensors sorted by
 * name (strcmp); the data buffer holds them in the same order, back to back from 0; the
 * header is padded with spaces to a multiple of 8 bytes, as the reference writer does. */
typedef struct StWriter StWriter;

int st_writer_new(StWriter **out, MpErr *e) MP_MUST_CHECK;
void st_writer_free(StWriter *w);  /* NULL is fine */
/* Add tensor `name` (valid UTF-8, not "__metadata__", not added before) of the given
 * rank (<= ST_RANK_MAX) and shape; dtype F32, F16 or BF16; data holds Π shape floats,
 * rounded to dtype with RNE. */
int st_writer_add(StWriter *w, const char *name, StDtype dtype, int rank, const uint64_t *shape,
                  const float *data, MpErr *e) MP_MUST_CHECK;
/* Set a metadata string (valid UTF-8); setting a key again replaces its value. */
int st_writer_set_meta(StWriter *w, const char *key, const char *value, MpErr *e) MP_MUST_CHECK;
/* Write everything to path atomically (temporary file + rename; "-" is stdout). The
 * writer stays usable (it can be written again). */
int st_writer_write(StWriter *w, const char *path, MpErr *e) MP_MUST_CHECK;

#endif
