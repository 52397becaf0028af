/* base/alloc.c — see alloc.h. */
#include "base/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* <0: never fail. Atomic because quantizers allocate from OpenMP threads; injection itself is
 * meant for single-threaded tests. */
static _Atomic long fail_countdown = -1;

static int should_fail(void)
{
    long v = atomic_load(&fail_countdown);
    while (v > 0 && !atomic_compare_exchange_weak(&fail_countdown, &v, v - 1))
        ;
    return v == 0;
}

void mp_alloc_fail_after(long n) { atomic_store(&fail_countdown, n); }

void *mp_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *mp_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *mp_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void mp_free(void *p) { free(p); }

char *mp_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mp_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
