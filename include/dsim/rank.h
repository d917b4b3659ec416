/*
 * dsim/rank.h — the shop's ranking: which K items a shopper is shown.
 *
 * The shop ranks with its own *estimates* of the taste vectors, never the hidden ones. In this version the
 * estimates are the true vectors plus Gaussian noise (σ = embedding_noise, per coordinate × 1/√d), and a
 * visit's slate is the exact top-K by estimated dot product: one visit at a time (dsim_ranker_top_k), or a
 * batch of visits with one GEMM per catalog block (dsim_ranker_top_k_batch, what the engine uses).
 */
#ifndef DSIM_RANK_H
#define DSIM_RANK_H

#include <stdint.h>

#include "dsim/world.h"

typedef struct dsim_ranker dsim_ranker;

/**
 * Build the shop's embedding estimates for a world; with DSIM_SCORE_COSINE they are normalised to unit
 * length, so that their dot product is the cosine.
 * @param out  receives the ranker, owned by the caller; `w` is only read during the call.
 * @return 0 or DSIM_ENOMEM.
 */
int dsim_ranker_alloc(dsim_ranker **out, const dsim_world *w, double noise, dsim_score score, uint64_t seed);
void dsim_ranker_free(dsim_ranker *r);

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
 * @param shoppers  (n,)
 * @param items     (n, k) out, row-major
 * @param scores    (n, k) out
 * @return 0 or DSIM_ENOMEM.
 */
int dsim_ranker_top_k_batch(dsim_ranker *r, const uint32_t *shoppers, int n, int k, uint32_t *items,
                            float *scores);

/** Make room for batches of up to n visits now, so that ranking them allocates nothing. @return 0 or
 *  DSIM_ENOMEM. */
int dsim_ranker_reserve(dsim_ranker *r, int n);

/**
 * Threads the ranking GEMM may use (OpenBLAS's setting is process-wide). The `dsim` command uses 1: a run is
 * one thread, and many runs go in parallel instead. A GEMM computes every score on one thread whatever the
 * count, so the slates do not depend on it.
 */
void dsim_ranker_set_threads(int n);

/** A performance hint: start loading a shopper's estimated vector into cache. */
void dsim_ranker_prefetch(const dsim_ranker *r, uint32_t shopper);

#endif
