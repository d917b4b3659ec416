/*
 * grow.h — room in an array that grows as it is filled, by doubling: the one way such buffers (a queue of
 * decisions, purchases still to come, rows read back) get bigger.
 */
#ifndef DSIM_CORE_GROW_H
#define DSIM_CORE_GROW_H

#include <stddef.h>
#include <stdlib.h>

/**
 * @return `items` with room for at least `need` elements of `size` bytes: itself when *cap is enough, else
 * reallocated to `first` elements (on the first call) doubled until enough, with *cap updated; NULL when
 * out of memory, `items` and *cap then unchanged (the caller reports the error and still owns `items`).
 */
static inline void *dsim__grown(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return items;
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    void *p = realloc(items, n * size);
    if (p)
        *cap = n;
    return p;
}

#endif
