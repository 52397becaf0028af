/* systemc/mpacc_layout.c — see mpacc_layout.h. */
#include "mpacc_layout.h"

#include <string.h>

static size_t nscales(const PackedMat *p) { return p->per_tensor ? 1 : (size_t)p->rows * (size_t)p->ngroups; }

size_t mpl_bytes(const PackedMat *p, MplArray a)
{
    switch (a) {
    case MPL_CODES: return (size_t)p->rows * p->row_bytes;
    case MPL_SCALES:
        if (p->scale16)
            return nscales(p) * 2;
        return p->scale32 ? (p->per_tensor ? 1 : (size_t)p->rows) * 4 : 0;
    case MPL_ZEROS: return p->zero4 ? (size_t)p->rows * p->zero_row_bytes : 0;
    case MPL_META: return p->meta ? nscales(p) : 0;
    default: return 0;
    }
}

unsigned mpl_align(const PackedMat *p, MplArray a)
{
    if (a == MPL_SCALES)
        return p->scale16 ? 2 : p->scale32 ? 4 : 1;
    return 1;
}

const char *mpl_name(MplArray a)
{
    static const char *const names[MPL_ARRAYS] = {"codes", "scales", "zeros", "meta"};
    return a < MPL_ARRAYS ? names[a] : "?";
}

void mpl_store(const PackedMat *p, MplArray a, uint8_t *dst)
{
    size_t n = mpl_bytes(p, a);
    switch (a) {
    case MPL_CODES: memcpy(dst, p->codes, n); break;
    case MPL_ZEROS: memcpy(dst, p->zero4, n); break;
    case MPL_META: memcpy(dst, p->meta, n); break;
    case MPL_SCALES:
        if (p->scale16)
            for (size_t i = 0; i < n / 2; i++) {
                dst[2 * i] = (uint8_t)p->scale16[i];
                dst[2 * i + 1] = (uint8_t)(p->scale16[i] >> 8);
            }
        else
            for (size_t i = 0; i < n / 4; i++) {
                uint32_t u;
                memcpy(&u, &p->scale32[i], 4);
                for (int b = 0; b < 4; b++)
                    dst[4 * i + b] = (uint8_t)(u >> (8 * b));
            }
        break;
    default: break;
    }
}

void mpl_load(PackedMat *p, MplArray a, const uint8_t *src)
{
    size_t n = mpl_bytes(p, a);
    switch (a) {
    case MPL_CODES: memcpy(p->codes, src, n); break;
    case MPL_ZEROS: memcpy(p->zero4, src, n); break;
    case MPL_META: memcpy(p->meta, src, n); break;
    case MPL_SCALES:
        if (p->scale16)
            for (size_t i = 0; i < n / 2; i++)
                p->scale16[i] = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        else
            for (size_t i = 0; i < n / 4; i++) {
                uint32_t u = 0;
                for (int b = 0; b < 4; b++)
                    u |= (uint32_t)src[4 * i + b] << (8 * b);
                memcpy(&p->scale32[i], &u, 4);
            }
        break;
    default: break;
    }
}
