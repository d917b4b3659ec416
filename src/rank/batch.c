/*
 * batch.c — the top-K of many visits at once: the shoppers' estimated vectors against the catalog by
 * cblas_sgemm, up to 256 visits against a block of up to 4,096 items at a time so the score matrix (4 MB at
 * most, whatever the batch) stays in cache, then a partial top-K per row (exact.c).
 *
 * The per-visit ranker (exact.c) passes over the catalog once per visit; here one GEMM call does the work
 * of a whole batch at BLAS speed. Items are visited in ascending order, block after block, so ties go to
 * the lower index as in exact.c.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "rank/ranker_impl.h"

void dsim_ranker_set_threads(int n)
{
    openblas_set_num_threads(n > 0 ? n : 1);
}

static uint32_t block_of(const dsim_ranker *r)
{
    return r->n_items < DSIM__RANK_BLOCK ? r->n_items : DSIM__RANK_BLOCK;
}

int dsim_ranker_reserve(dsim_ranker *r, int n)
{
    if (n <= r->capacity)
        return DSIM_OK;
    float *users = realloc(r->batch_users, sizeof(float) * (size_t)n * (size_t)r->dim);
    if (users)
        r->batch_users = users;
    size_t rows = n < DSIM__RANK_ROWS ? (size_t)n : DSIM__RANK_ROWS;
    float *scores = realloc(r->batch_scores, sizeof(float) * rows * block_of(r));
    if (scores)
        r->batch_scores = scores;
    int *filled = realloc(r->batch_filled, sizeof(int) * (size_t)n);
    if (filled)
        r->batch_filled = filled;
    if (!users || !scores || !filled)
        return dsim_error_set(DSIM_ENOMEM, "out of memory ranking a batch of %d visits", n);
    r->capacity = n;
    return DSIM_OK;
}

int dsim_ranker_top_k_batch(dsim_ranker *r, const uint32_t *shoppers, int n, int k, uint32_t *items,
                            float *scores)
{
    int d = r->dim, rc = dsim_ranker_reserve(r, n);
    if (rc)
        return rc;
    uint32_t block = block_of(r);
    float *users = r->batch_users, *block_scores = r->batch_scores;
    int *filled = r->batch_filled;
    for (int v = 0; v < n; v++) {
        memcpy(users + (size_t)v * (size_t)d, r->user + (size_t)shoppers[v] * (size_t)d, sizeof(float) * (size_t)d);
        if (r->unit_users)
            dsim__normalise(users + (size_t)v * (size_t)d, d);
        filled[v] = 0;
    }
    for (int v0 = 0; v0 < n; v0 += DSIM__RANK_ROWS) {
        int rows = n - v0 < DSIM__RANK_ROWS ? n - v0 : DSIM__RANK_ROWS;
        for (uint32_t first = 0; first < r->n_items; first += block) {
            uint32_t m = r->n_items - first < block ? r->n_items - first : block;
            /* (rows × d) · (d × m): the item matrix is dimension-major, so the block is columns first …
               first+m−1 of a d × n_items row-major matrix, leading dimension n_items. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)m, d, 1.0f,
                        users + (size_t)v0 * (size_t)d, d, r->item + first, (int)r->n_items, 0.0f, block_scores,
                        (int)m);
            for (int v = v0; v < v0 + rows; v++)
                filled[v] = dsim__ranker_merge(block_scores + (size_t)(v - v0) * m, first, m, k, filled[v],
                                               items + (size_t)v * (size_t)k, scores + (size_t)v * (size_t)k);
        }
    }
    return DSIM_OK;
}
