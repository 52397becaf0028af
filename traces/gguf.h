/* traces/gguf.h — a strict reader of GGUF files (llama.cpp's model format), versions 2 and 3,
 * little-endian, with dequantization of its block types to float32.
 *
 * File layout (all integers little-endian; strings are u64 length + bytes, no NUL):
 *
 *   OFFSET   SIZE   CONTENT
 *   0        4      magic "GGUF"
 *   4        4      version: u32, 2 or 3 (a byte-swapped version means a big-endian file: refused)
 *   8        8      n_tensors: u64
 *   16       8      n_kv: u64
 *   24       ...    n_kv metadata entries:  key (string) | value type (u32, GgufValType) | value
 *                     value of a scalar type: its bytes (bool: 1 byte, 0 or 1)
 *                     STRING: u64 length + bytes;
 *                     ARRAY: element type (u32) | count (u64) | count values (arrays may nest)
 *   ...      ...    n_tensors tensor infos: name (string) | n_dims (u32) | ne[n_dims] (u64 each) |
 *                     ggml type (u32, GgmlType) | offset (u64, relative to the data section)
 *   P        ...    zero padding up to P = the next multiple of the alignment A
 *   P        D      data section: each tensor's bytes at P + offset, D = file size - P.
 *
 * A = metadata "general.alignment" (u32, a power of two) or 32 when absent.
 * ne[0] is the innermost (contiguous) dimension: a tensor is ne[1]*ne[2]*ne[3] rows of ne[0]
 * elements. A block type packs B consecutive elements of a row into S bytes (ggml_type_block());
 * ne[0] must be a multiple of B; the tensor's size is numel / B * S bytes.
 *
 * Reader invariants (anything else is refused with MP_EINPUT and "FILE: place: problem"):
 *   - every length and count is checked against the bytes left in the file before anything is
 *     allocated, so the reader never allocates more than a small multiple of the file size;
 *     arrays nest at most GGUF_NEST_MAX deep;
 *   - keys and tensor names are non-empty, unique, valid UTF-8 without NUL bytes; tensor names are
 *     at most GGUF_NAME_MAX bytes; every string value is valid UTF-8 without NUL bytes;
 *   - a tensor has 1..GGUF_DIMS_MAX dimensions, each >= 1, whose product (numel) and byte size do
 *     not overflow 63 bits; its type is a known ggml type (unknown codes are refused by number,
 *     known but unsupported-for-dequantization types are accepted and named by gguf_read_f32 errors);
 *   - every offset is a multiple of A; every tensor lies inside the data section; no two tensors
 *     overlap; the gaps between tensors (in offset order) and after the last one are padding
 *     only (shorter than A bytes), so every byte of the data section belongs to one tensor or to
 *     the padding after one.
 * Tensors keep the file's order (index 0..count-1); metadata entries too.
 *
 * Allocations go through base/alloc.h. Library code never exits.
 * Threads: everything but the tensor readers only reads the in-memory tables and may be called
 * from several threads at once; the tensor readers share the file's one stdio position, so a
 * GgufFile must not be read by two threads at a time (read under a lock, or open one per thread).
 * Whole model as f32: the 135 M values of SmolLM2-135M take about 1.5 s on one core.
 */
#ifndef MP_TRACES_GGUF_H
#define MP_TRACES_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define GGUF_DIMS_MAX 4      /* largest n_dims accepted (ggml's GGML_MAX_DIMS)       */
#define GGUF_NAME_MAX 63     /* longest tensor name accepted, bytes (ggml: 64 - NUL) */
#define GGUF_NEST_MAX 8      /* deepest array nesting accepted                        */
#define GGUF_DEFAULT_ALIGNMENT 32

/* Metadata value types, as coded in the file. */
typedef enum GgufValType {
    GGUF_VAL_U8 = 0, GGUF_VAL_I8 = 1, GGUF_VAL_U16 = 2, GGUF_VAL_I16 = 3, GGUF_VAL_U32 = 4,
    GGUF_VAL_I32 = 5, GGUF_VAL_F32 = 6, GGUF_VAL_BOOL = 7, GGUF_VAL_STRING = 8, GGUF_VAL_ARRAY = 9,
    GGUF_VAL_U64 = 10, GGUF_VAL_I64 = 11, GGUF_VAL_F64 = 12,
    GGUF_VAL_COUNT
} GgufValType;

/* Tensor element types, as coded in the file (ggml's enum ggml_type; gaps are retired codes). */
typedef enum GgmlType {
    GGML_F32 = 0, GGML_F16 = 1, GGML_Q4_0 = 2, GGML_Q4_1 = 3, GGML_Q5_0 = 6, GGML_Q5_1 = 7,
    GGML_Q8_0 = 8, GGML_Q8_1 = 9, GGML_Q2_K = 10, GGML_Q3_K = 11, GGML_Q4_K = 12, GGML_Q5_K = 13,
    GGML_Q6_K = 14, GGML_Q8_K = 15, GGML_IQ2_XXS = 16, GGML_IQ2_XS = 17, GGML_IQ3_XXS = 18,
    GGML_IQ1_S = 19, GGML_IQ4_NL = 20, GGML_IQ3_S = 21, GGML_IQ2_S = 22, GGML_IQ4_XS = 23,
    GGML_I8 = 24, GGML_I16 = 25, GGML_I32 = 26, GGML_I64 = 27, GGML_F64 = 28, GGML_IQ1_M = 29,
    GGML_BF16 = 30, GGML_TQ1_0 = 34, GGML_TQ2_0 = 35, GGML_MXFP4 = 39, GGML_NVFP4 = 40,
    GGML_Q1_0 = 41,
    GGML_TYPE_CODES = 42  /* codes are < this */
} GgmlType;

const char *gguf_val_type_name(GgufValType t);  /* "u32", "string", "array", ...; "?" if unknown */
/* "Q4_1", "F32", ...; NULL for a code that is no ggml type. */
const char *ggml_type_name(int code);
/* Block geometry: *elems elements in *bytes bytes (1 and the element size for plain types).
 * 0 ok, -1 for a code that is no ggml type. */
int ggml_type_block(int code, unsigned *elems, unsigned *bytes);
/* 1 when gguf_dequant() converts the type (F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K
 * Q5_K Q6_K: the types the reference package dequantizes, minus its I-quants, TQ and FP4 types;
 * block layouts in gguf_quant.c), 0 otherwise. */
int ggml_type_can_dequant(int code);
/* Dequantize nblocks blocks of type `code` at src (nblocks * block bytes) into dst
 * (nblocks * block elements floats), exactly as the reference `gguf` Python package
 * (gguf.quants.dequantize, float32 arithmetic) does. -1 for a type it cannot convert. */
int gguf_dequant(int code, const void *src, uint64_t nblocks, float *dst);

/* A metadata value. Scalars are widened (u8..u64 and bool into u, i8..i64 into i, f32/f64 into
 * f; an f32 widens exactly). Array elements are stored packed in their C type: uint8_t, int8_t,
 * uint16_t, int16_t, uint32_t, int32_t, float, uint8_t (bool: 0/1), const char * (string),
 * GgufValue (nested array), uint64_t, int64_t, double. Read-only; owned by the GgufFile. */
typedef struct GgufValue {
    GgufValType type;
    union {
        uint64_t u;
        int64_t i;
        double f;
        struct {
            const char *s;   /* NUL-terminated UTF-8 */
            uint64_t len;    /* bytes, without the NUL */
        } str;
        struct {
            GgufValType type; /* element type */
            uint64_t n;       /* element count */
            const void *data; /* n elements, see above */
        } arr;
    } v;
} GgufValue;

typedef struct GgufTensor {
    const char *name;            /* NUL-terminated UTF-8, <= GGUF_NAME_MAX bytes             */
    int n_dims;                  /* 1..GGUF_DIMS_MAX                                          */
    uint64_t ne[GGUF_DIMS_MAX];  /* ne[0] innermost; entries past n_dims are 1                */
    GgmlType type;
    uint64_t offset;             /* bytes, relative to the data section; a multiple of A      */
    uint64_t numel;              /* Π ne                                                      */
    uint64_t bytes;              /* numel / block elems * block bytes                         */
} GgufTensor;

typedef struct GgufFile GgufFile;

/* Open and validate PATH completely (header, metadata, tensor table and layout; tensor data is
 * read later). MP_EINPUT for a bad file, MP_EIO for a read error, MP_ENOMEM; *out is NULL on
 * error. */
int gguf_open(const char *path, GgufFile **out, MpErr *e) MP_MUST_CHECK;
void gguf_close(GgufFile *f);  /* NULL is fine */

const char *gguf_path(const GgufFile *f);
uint32_t gguf_version(const GgufFile *f);
uint32_t gguf_alignment(const GgufFile *f);    /* A                                         */
uint64_t gguf_data_offset(const GgufFile *f);  /* P: file offset of the data section        */
uint64_t gguf_data_bytes(const GgufFile *f);   /* D                                         */

/* ---- metadata -------------------------------------------------------------------- */

size_t gguf_kv_count(const GgufFile *f);
const char *gguf_kv_key(const GgufFile *f, size_t i);
const GgufValue *gguf_kv_value(const GgufFile *f, size_t i);
long gguf_kv_find(const GgufFile *f, const char *key);       /* index, or -1 if absent     */
const GgufValue *gguf_get(const GgufFile *f, const char *key); /* NULL if absent            */

/* Typed getters: MP_OK and *out, or MP_EINPUT with "FILE: key 'K': missing" or
 * "FILE: key 'K': is a TYPE, expected ...". Integer getters accept any integer type (not bool)
 * whose value is in the target's range; gguf_get_f32 accepts f32 only; gguf_get_bool bool only. */
int gguf_get_u32(const GgufFile *f, const char *key, uint32_t *out, MpErr *e) MP_MUST_CHECK;
int gguf_get_i32(const GgufFile *f, const char *key, int32_t *out, MpErr *e) MP_MUST_CHECK;
int gguf_get_u64(const GgufFile *f, const char *key, uint64_t *out, MpErr *e) MP_MUST_CHECK;
int gguf_get_f32(const GgufFile *f, const char *key, float *out, MpErr *e) MP_MUST_CHECK;
int gguf_get_bool(const GgufFile *f, const char *key, int *out, MpErr *e) MP_MUST_CHECK;
int gguf_get_str(const GgufFile *f, const char *key, const char **out, MpErr *e) MP_MUST_CHECK;
/* An array whose elements are of type `elem`: its count and its packed elements (see
 * GgufValue). MP_EINPUT if missing, not an array, or of another element type. */
int gguf_get_arr(const GgufFile *f, const char *key, GgufValType elem, uint64_t *count,
                 const void **data, MpErr *e) MP_MUST_CHECK;
/* Shorthands of gguf_get_arr for string, i32 and f32 arrays. */
int gguf_get_arr_str(const GgufFile *f, const char *key, const char *const **strs, uint64_t *count,
                     MpErr *e) MP_MUST_CHECK;
int gguf_get_arr_i32(const GgufFile *f, const char *key, const int32_t **vals, uint64_t *count,
                     MpErr *e) MP_MUST_CHECK;
int gguf_get_arr_f32(const GgufFile *f, const char *key, const float **vals, uint64_t *count,
                     MpErr *e) MP_MUST_CHECK;

/* ---- tensors --------------------------------------------------------------------- */

size_t gguf_tensor_count(const GgufFile *f);
const GgufTensor *gguf_tensor(const GgufFile *f, size_t i);
long gguf_tensor_find(const GgufFile *f, const char *name);  /* index, or -1 if absent */

/* Rows [row0, row0 + nrows) of tensor i (a row = ne[0] elements; rows = numel / ne[0]) as
 * float32 into dst, which holds cap floats (nrows * ne[0] needed). MP_EINPUT for a type
 * gguf_dequant cannot convert ("tensor 'x': type IQ2_XXS is not supported; supported: ..."),
 * rows out of range or cap too small; MP_EIO if the file shrank since gguf_open. */
int gguf_tensor_read_rows_f32(GgufFile *f, size_t i, uint64_t row0, uint64_t nrows, float *dst, size_t cap,
                              MpErr *e) MP_MUST_CHECK;
/* The whole tensor (numel floats). */
int gguf_tensor_read_f32(GgufFile *f, size_t i, float *dst, size_t cap, MpErr *e) MP_MUST_CHECK;
/* The same into a new mp_malloc'ed array of numel floats (at least 1). */
int gguf_tensor_read_f32_alloc(GgufFile *f, size_t i, float **out, MpErr *e) MP_MUST_CHECK;
/* The tensor's raw bytes (cap >= bytes). */
int gguf_tensor_read_raw(GgufFile *f, size_t i, void *dst, size_t cap, MpErr *e) MP_MUST_CHECK;

#endif
