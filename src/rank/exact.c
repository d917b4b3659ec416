/*
 * exact.c — top-K selection: the partial merge every ranking path uses, and the per-visit exact ranker.
 *
 * The per-visit ranker scores the whole catalog, then merges: O(n_items · d) per visit.
 * Item vectors are stored dimension-major (d, n_items), so scoring is d passes of s += u_j · item_j over
 * contiguous floats, which the compiler vectorises without reordering any sum (results do not depend on
 * the instruction set). A BLAS call is not worth it for one visit: OpenBLAS would wake its threads for a
 * 1000 × 16 product; batch.c ranks many visits with one GEMM.
 */
#include "core/clones.h"
#include "rank/engine.h"
#include "rank/ranker_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>



/* all ← Σ_j u_j · item_j over the catalog; elementwise, so the AVX2 clone gives the same bits. */
DSIM_CLONES("avx2", "default") static void score_all(float *restrict all, const float *items,
                                                                        const float *u, int d, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        all[i] = 0.0f;
    for (int j = 0; j < d; j++) {
        const float *column = items + (size_t)j * n;
        float uj = u[j];
        for (uint32_t i = 0; i < n; i++)
            all[i] += uj * column[i];
    }
}

/*
 * Two passes over the scores, both on 16-float GCC vectors (one AVX-512 register, two AVX2 ones). The first
 * takes the maximum of every 16th score (16 disjoint subsets): the k-th largest of those maxima belongs to
 * k different items, so no item below it can be in the top k. The second compares 16 scores at a time
 * against that floor and inserts only the few that pass, typically k to 2k of a row, so the branchy
 * insertion runs rarely.
 */
typedef float floats16 __attribute__((vector_size(16 * sizeof(float))));
typedef int32_t ints16 __attribute__((vector_size(16 * sizeof(float))));
enum { LANES = 16 };

int dsim__ranker_insert(float s, uint32_t item, int k, int filled, uint32_t *items, float *scores)
{
    if (filled == k && s <= scores[k - 1])
        return filled;
    /* Keep scores descending; equal scores keep the earlier (lower) index first. */
    int pos = filled < k ? filled++ : k - 1;
    while (pos > 0 && scores[pos - 1] < s) {
        scores[pos] = scores[pos - 1];
        items[pos] = items[pos - 1];
        pos--;
    }
    scores[pos] = s;
    items[pos] = item;
    return filled;
}

/* By pointer: a 64-byte vector passed by value has another ABI without AVX-512, which clang refuses. */
static inline __attribute__((always_inline)) bool any_lane(const ints16 *mask)
{
    uint64_t part[8], any = 0;
    memcpy(part, mask, sizeof part);
    for (int i = 0; i < 8; i++)
        any |= part[i];
    return any != 0;
}

/* The k-th largest of the 16 lanes (1 ≤ k ≤ 16), without branches: every lane's rank counts the lanes
   ahead of it (larger, or equal and earlier), and exactly one lane has rank k − 1. */
static inline __attribute__((always_inline)) float kth_largest(const floats16 *v, int k)
{
    const ints16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    float value[LANES];
    memcpy(value, v, sizeof value);
    ints16 rank = {0};
    for (int i = 0; i < LANES; i++) {
        floats16 other = (floats16){0} + value[i];
        rank -= (other > *v) | ((other == *v) & (i < lane)); /* a true lane is −1 */
    }
    int32_t ranks[LANES];
    memcpy(ranks, &rank, sizeof ranks);
    for (int i = 0; i < LANES; i++)
        if (ranks[i] == k - 1)
            return value[i];
    return -INFINITY; /* not reached */
}

/* A score no member of the final top k lies below: the list's own last entry when full, or better. */
static inline __attribute__((always_inline)) float floor_of(const float *row, size_t m, int k, int filled,
                                                            const float *scores)
{
    float floor = filled == k ? scores[k - 1] : -INFINITY;
    if (m < 2 * LANES || k > LANES)
        return floor;
    floats16 stripe_max, chunk;
    memcpy(&stripe_max, row, sizeof stripe_max);
    for (size_t c = LANES; c + LANES <= m; c += LANES) {
        memcpy(&chunk, row + c, sizeof chunk);
        ints16 larger = chunk > stripe_max;
        stripe_max = (floats16)(((ints16)chunk & larger) | ((ints16)stripe_max & ~larger));
    }
    float bound = kth_largest(&stripe_max, k);
    return bound > floor ? bound : floor;
}

DSIM_CLONES("arch=x86-64-v4", "avx2", "default") int dsim__ranker_merge(
    const float *row, uint32_t first, uint32_t m, int k, int filled, uint32_t *items, float *scores)
{
    float floor = floor_of(row, m, k, filled, scores);
    size_t c = 0;
    for (; c + LANES <= m; c += LANES) {
        floats16 chunk;
        memcpy(&chunk, row + c, sizeof chunk);
        ints16 above = chunk >= floor;
        if (!any_lane(&above))
            continue;
        for (size_t l = 0; l < LANES; l++)
            if (row[c + l] >= floor)
                filled = dsim__ranker_insert(row[c + l], first + (uint32_t)(c + l), k, filled, items, scores);
    }
    for (; c < m; c++)
        if (row[c] >= floor)
            filled = dsim__ranker_insert(row[c], first + (uint32_t)c, k, filled, items, scores);
    return filled;
}

void dsim_ranker_top_k(dsim_ranker *r, uint32_t shopper, int k, uint32_t *items, float *scores)
{
    float u[DSIM_MAX_DIM];
    memcpy(u, r->user + (size_t)shopper * (size_t)r->dim, sizeof(float) * (size_t)r->dim);
    if (r->unit_users)
        dsim__normalise(u, r->dim);
    score_all(r->scratch, r->item, u, r->dim, r->n_items);
    dsim__ranker_merge(r->scratch, 0, r->n_items, k, 0, items, scores);
}

int dsim__top_k_of(const float *scores, uint32_t n, int k, uint32_t *items, float *top)
{
    return dsim__ranker_merge(scores, 0, n, k, 0, items, top);
}
