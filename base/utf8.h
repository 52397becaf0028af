/* base/utf8.h — well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. The one validator of every reader that takes text from a file (safetensors headers,
 * GPU results JSON). */
#ifndef MP_BASE_UTF8_H
#define MP_BASE_UTF8_H

#include <stddef.h>

/* Length (1..4) of the well-formed sequence at p, n >= 1 bytes available; 0 if it is not one. */
size_t mp_utf8_seq_len(const unsigned char *p, size_t n);
/* Offset of the first byte of s[0, len) that does not begin a well-formed sequence; len when all is. */
size_t mp_utf8_bad_at(const unsigned char *s, size_t len);

/* A printable copy of untrusted text for messages, in out: at most 64 bytes of s[0, len), control
 * bytes and bytes that begin no well-formed sequence as '?', cut on a character boundary and marked
 * "..." when cut. Returns out. */
#define MP_UTF8_PRINTABLE_CAP 80
const char *mp_utf8_printable(const char *s, size_t len, char out[MP_UTF8_PRINTABLE_CAP]);

#endif
