/*
 * dsim/rank.h — the shop's ranking: which K items a shopper is shown.
 *
 * The shop ranks with its own *estimates* of the taste vectors, never the hidden ones. Where they come from
 * is the scenario's choice ([ranking] embeddings): the truth plus noise, a factorisation learned from the
 * shop's clicks and purchases, a shopper's history of clicked items, or vectors imported from a file.
 *
 * Ranking has two stages. Retrieval scores shoppers against the whole catalog and keeps the top C by
 * score: one visit at a time (dsim_ranker_top_k), or a batch of visits with one GEMM per catalog block
 * (dsim_ranker_top_k_batch, what the engine uses). Selection (dsim_ranker_select) then applies the
 * optional filters, popularity prior and value re-ranking to those C candidates and picks the K shown.
 * Without filters or re-ranking C = K and selection is the identity.
 *
 * Feedback (dsim_ranker_observe) is what the shop saw of a visit; sources that learn use it, and a retrain
 * happens between batches (dsim_ranker_refresh), so feedback reaches the rankings of the next batch.
 */
#ifndef DSIM_RANK_H
#define DSIM_RANK_H

#include <stdint.h>

#include "dsim/world.h"

typedef struct dsim_ranker dsim_ranker;

/** What the shop saw of one visit, for the sources and the selection stage to learn from. */
typedef struct {
    uint32_t shopper;
    double day;
    const uint32_t *items; /* (k,) the slate shown, best first */
    const float *scores;   /* (k,) the shop's scores of those items */
    int k;
    uint32_t clicked; /* bit j set: position j was clicked */
    int bought;       /* position bought from, or -1 */
    double discount;  /* the mean discount shown */
} dsim_rank_feedback;

/**
 * Check what the scenario's ranking reads from outside (embedding files): that each file exists, parses,
 * has the catalog's (or population's) rows or ids and the scenario's dimension, and holds finite numbers.
 * @return 0, or DSIM_ECONFIG with "FILE: ..." (row, column or id where it applies) in dsim_errmsg().
 */
int dsim_ranker_check(const dsim_scenario *sc);

/**
 * Build the shop's embedding estimates for a world, as its scenario's [ranking] section says.
 * @param out  receives the ranker, owned by the caller; `w` must outlive it (the ranker reads the prices,
 *             costs and categories the shop knows).
 * @return 0, DSIM_ENOMEM or DSIM_ECONFIG (an embedding file).
 */
int dsim_ranker_alloc(dsim_ranker **out, const dsim_world *w, uint64_t seed);
/** Free a ranker and its source's state; NULL is a no-op (the world stays the caller's). */
void dsim_ranker_free(dsim_ranker *r);

/** @return C, the candidates retrieved per visit (the slate size unless filters or re-ranking are on). */
int dsim_ranker_candidates(const dsim_ranker *r);

/**
 * The top k items for a shopper, best first; ties go to the lower item index. Uses the ranker's scratch
 * buffer, so one ranker serves one thread.
 * @param items   (k,) out
 * @param scores  (k,) out: estimated ⟨ê_u, ê_i⟩
 */
void dsim_ranker_top_k(dsim_ranker *r, uint32_t shopper, int k, uint32_t *items, float *scores);

/**
 * The top k items for each of n shoppers at once (best first, ties to the lower item index): one
 * cblas_sgemm of the shoppers' estimated vectors (n × d) against a block of the catalog (d × block) at a
 * time, then a partial top-K per row (no sort of the catalog). Scores equal the per-visit ranker's up to
 * float rounding (the BLAS sums in its own order), so items whose scores tie within rounding may swap.
 * Requires 1 ≤ k ≤ DSIM_MAX_CANDIDATES.
 * @param shoppers  (n,)
 * @param items     (n, k) out, row-major
 * @param scores    (n, k) out
 * @return 0 or DSIM_ENOMEM.
 */
int dsim_ranker_top_k_batch(dsim_ranker *r, const uint32_t *shoppers, int n, int k, uint32_t *items,
                            float *scores);

/**
 * The slate of k items from n ≥ k retrieved candidates (best first by score): drop the item the shopper
 * bought recently, add the popularity prior, order by relevance or expected value, and keep at most
 * category_quota items of a category. If the filters leave fewer than k, the best of the filtered-out
 * candidates fill the slate (quota breaches first, the recent purchase last).
 * @param scores  (k,) out: the relevance scores (with the prior) of the items chosen
 */
void dsim_ranker_select(const dsim_ranker *r, uint32_t shopper, double day, const uint32_t *candidates,
                        const float *candidate_scores, int n, int k, uint32_t *items, float *scores);

/** Learn from one visit's feedback (sources that learn, purchase counts, the purchase model). */
void dsim_ranker_observe(dsim_ranker *r, const dsim_rank_feedback *fb);

/** Between batches, at visit `visit`: a learned source retrains when it is due. @return 0 or an error. */
int dsim_ranker_refresh(dsim_ranker *r, uint64_t visit);

/**
 * Threads that rank a batch (default 1). A batch is cut into tiles (up to 256 visits × 4,096 items) the
 * same way whatever the count, and each tile is one single-threaded sgemm of its own shape, so the
 * slates and scores are the same bits for any count; dsim runs OpenBLAS itself on one thread. More
 * threads help only when a batch has several tiles (a catalog over 4,096 items, or a batch over 256).
 * @return 0 or DSIM_ENOMEM (the threads' workspace).
 */
int dsim_ranker_set_threads(dsim_ranker *r, int n);


#endif
