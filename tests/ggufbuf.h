/* tests/ggufbuf.h — the byte builder the GGUF tests write their files with (test_gguf.c,
 * test_tokenizer.c): a growing buffer and little-endian puts in GGUF's encodings (strings are a
 * u64 length then the bytes, no NUL). Allocation failure fails the test. */
#ifndef MP_TESTS_GGUFBUF_H
#define MP_TESTS_GGUFBUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Buf {
    unsigned char *b;
    size_t n, cap;
} Buf;

static inline void put(Buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->b = realloc(b->b, b->cap);
        assert_non_null(b->b);
    }
    if (n)
        memcpy(b->b + b->n, p, n);
    b->n += n;
}
static inline void put_u8(Buf *b, unsigned v) { unsigned char c = (unsigned char)v; put(b, &c, 1); }
static inline void put_u16(Buf *b, unsigned v) { put_u8(b, v & 255); put_u8(b, (v >> 8) & 255); }
static inline void put_u32(Buf *b, uint32_t v) { for (int i = 0; i < 4; i++) put_u8(b, (v >> 8 * i) & 255); }
static inline void put_u64(Buf *b, uint64_t v) { for (int i = 0; i < 8; i++) put_u8(b, (unsigned)(v >> 8 * i) & 255); }
static inline void put_strn(Buf *b, const char *s, size_t n) { put_u64(b, n); put(b, s, n); }
static inline void put_str(Buf *b, const char *s) { put_strn(b, s, strlen(s)); }
static inline void pad_to(Buf *b, size_t a) { while (b->n % a) put_u8(b, 0); }

#endif
