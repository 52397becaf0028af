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

/* Test hook: after n more successful allocations, every allocation fails.
 * n < 0 switches failure injection off (the default). */
void mp_alloc_fail_after(long n);

#endif
