/*
 * engine.h — the ranker's calls that only the engine makes (src/sim): performance hints and workspace, not the
 * library's API.
 */
#ifndef DSIM_RANK_ENGINE_H
#define DSIM_RANK_ENGINE_H

#include <stdint.h>

#include "dsim/rank.h"

/** Make room for batches of up to n visits now, so that ranking them allocates nothing. @return 0 or
 *  DSIM_ENOMEM. */
int dsim__ranker_reserve(dsim_ranker *r, int n);

/** A performance hint: start loading a shopper's estimated vector into cache. */
void dsim__ranker_prefetch(const dsim_ranker *r, uint32_t shopper);

/**
 * The k highest of n scores, best first, ties to the lower index, by the rankers' partial merge.
 * @return min(k, n), the entries filled.
 */
int dsim__top_k_of(const float *scores, uint32_t n, int k, uint32_t *items, float *top);

#endif
