/* dse/grow.h — arrays that double when full: room for one more element.
 *
 * Header-only; used across dse/. (A candidate for base/alloc.h, where traces/ and base/ could use
 * it too.)
 */
#ifndef MP_DSE_GROW_H
#define MP_DSE_GROW_H

#include <stddef.h>

#include "base/alloc.h"

/* The array v holds *cap elements of `size` bytes, n of them in use. Returns an array with room for
 * n + 1: v itself while n < *cap, else v reallocated to twice its capacity (`first` elements when it
 * had none) with *cap updated; NULL when out of memory, and then v and *cap are as they were. */
static inline void *dse_grow(void *v, int n, int *cap, size_t size, int first)
{
    if (n < *cap)
        return v;
    int nc = *cap ? 2 * *cap : first;
    void *nv = mp_realloc(v, (size_t)nc * size);
    if (nv)
        *cap = nc;
    return nv;
}

#endif
