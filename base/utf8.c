/* base/utf8.c — see utf8.h. */
#include "base/utf8.h"

#include <string.h>

size_t mp_utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < len)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if (p[k] < 0x80 || p[k] > 0xBF)
            return 0;
    return len;
}

size_t mp_utf8_bad_at(const unsigned char *s, size_t len)
{
    size_t i = 0, k;
    while (i < len && (k = mp_utf8_seq_len(s + i, len - i)) != 0)
        i += k;
    return i;
}

const char *mp_utf8_printable(const char *s, size_t len, char out[MP_UTF8_PRINTABLE_CAP])
{
    size_t n = 0, i = 0;
    while (i < len && n < 64) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t k = mp_utf8_seq_len((const unsigned char *)s + i, len - i);
            if (!k || n + k > 64) {
                if (!k) {
                    out[n++] = '?';
                    i++;
                    continue;
                }
                break;
            }
            memcpy(out + n, s + i, k);
            n += k;
            i += k;
            continue;
        }
        out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        i++;
    }
    if (i < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
    return out;
}
