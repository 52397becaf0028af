/* base/alloc.h — the one allocator hook (after Lua's lua_Alloc).
 *
 * Every allocation in the library goes through mp_malloc/mp_calloc/mp_realloc,
 * so tests can make the N-th allocation fail (mp_alloc_fail_after) and check that
 * every reader cleans up and reports MP_ENOMEM instead of crashing.
 */
#ifndef MP_BASE_ALLOC_H
#define MP_BASE_ALLOC_H

#include <stddef.h>

void *mp_malloc(size_t n);
void *mp_calloc(size_t count, size_t size);  /* fails (NULL) on count*size overflow */
void *mp_realloc(void *p, size_t n);
void mp_free(void *p);
char *mp_strdup(const char *s);

/* Arrays that double when full. The array v holds *cap elements of `size` bytes, n of them in use.
 * Returns an array with room for n + 1: v itself while n < *cap, else v reallocated to twice its
 * capacity (`first` elements when it had none) with *cap updated; NULL when out of memory, and
 * then v and *cap are as they were. */
static inline void *mp_grow(void *v, int n, int *cap, size_t size, int first)
{
    if (n < *cap)
        return v;
    int nc = *cap ? 2 * *cap : first;
    void *nv = mp_realloc(v, (size_t)nc * size);
    if (nv)
        *cap = nc;
    return nv;
}

/* Test hook: after n more successful allocations, every allocation fails.
 * n < 0 switches failure injection off (the default). */
void mp_alloc_fail_after(long n);

#endif
