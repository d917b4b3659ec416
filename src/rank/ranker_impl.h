/*
 * ranker_impl.h — the ranker's layout and its top-K merge, shared by the files of src/rank/ only.
 */
#ifndef DSIM_RANK_RANKER_IMPL_H
#define DSIM_RANK_RANKER_IMPL_H

#include "dsim/rank.h"

struct dsim_ranker {
    uint32_t n_items, n_shoppers;
    int dim;
    float *item;    /* (d, n_items) estimated item vectors, dimension-major */
    float *user;    /* (n_shoppers, d) estimated shopper vectors */
    float *scratch; /* (n_items,) scores of the current visit */
    /* batch workspace, grown by dsim_ranker_reserve() */
    int capacity;        /* visits it holds */
    float *batch_users;  /* (capacity, d) */
    float *batch_scores; /* (capacity, block) */
    int *batch_filled;   /* (capacity,) */
};

enum { DSIM__RANK_BLOCK = 4096 }; /* items per GEMM: a 256-visit batch's scores for one block are 4 MB */

/**
 * Merge the scores of items first … first+m−1 into a top-k list kept sorted by descending score, of which
 * `filled` entries are in use; equal scores keep the earlier (lower) index first.
 * @return the entries in use afterwards.
 */
int dsim__ranker_merge(const float *row, uint32_t first, uint32_t m, int k, int filled, uint32_t *items,
                       float *scores);

#endif
