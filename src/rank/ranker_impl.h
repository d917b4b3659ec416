/*
 * ranker_impl.h — the ranker's layout, its embedding sources and its top-K merge, shared by the files of
 * src/rank/ only.
 */
#ifndef DSIM_RANK_RANKER_IMPL_H
#define DSIM_RANK_RANKER_IMPL_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#include "dsim/rank.h"
#include "scenario/strategy.h"

typedef struct dsim__embedding_source dsim__embedding_source;

struct dsim_ranker {
    uint32_t n_items, n_shoppers;
    int dim;
    const dsim_scenario *sc; /* its [ranking] section; the scenario outlives the ranker */
    const dsim_world *world; /* read for what the shop observes only: prices, costs, categories */
    uint64_t seed;
    float *item;     /* (d, n_items) estimated item vectors, dimension-major */
    float *user;     /* (n_shoppers, d) estimated shopper vectors */
    bool unit_users; /* shopper vectors are scaled to unit length when scored (cosine, history means) */
    float *scratch;  /* (n_items,) scores of the current visit */

    const dsim__embedding_source *source;
    const void *source_config; /* its own keys' values in the scenario (strategy.h) */
    void *source_state;

    /* The re-ranking stage (rerank.c); NULL or zero when its options are off. */
    int candidates;          /* retrieved per visit */
    uint32_t *purchases;     /* (n_items) the shop's purchase counts: the popularity prior */
    uint32_t *last_bought;   /* (n_shoppers) item of the last purchase, UINT32_MAX for none */
    float *last_bought_day;  /* (n_shoppers) */
    double purchase_logit[2]; /* the shop's model P(buy | shown) = σ(θ0 + θ1 · score), fitted online */
    double mean_discount;    /* EWMA of the discount shown: what a price after discount assumes */

    /* batch workspace (batch.c), grown by dsim__ranker_reserve() and dsim_ranker_set_threads() */
    int threads;             /* threads ranking a batch's tiles, 1 unless set */
    int capacity;            /* visits it holds */
    int threads_capacity;    /* threads it holds score matrices for */
    float *batch_users;      /* (capacity, d) */
    float *batch_scores;     /* (threads_capacity, min(capacity, RANK_ROWS), block): a tile's scores per thread */
    int list_width;          /* k the lists hold: the candidates, or more if a caller asked */
    uint32_t *list_items;    /* (lists, list_width): each row's top k of one block, for a wave's tiles */
    float *list_scores;      /* (lists, list_width) */
    int *list_filled;        /* (lists,) */
};

/*
 * Where the estimates come from (`[ranking] embeddings`): a plug-in table, like the policies'. Its descriptor
 * (name, its own keys and config struct: src/scenario/strategy.h) first; state_size: bytes of its own state
 * (r->source_state, allocated zeroed by the ranker and freed by it); check_files reads what its keys name before
 * any run (may be NULL); init fills r->item and r->user (and may set r->unit_users) and its state; observe sees
 * one visit's feedback (what the shop saw); refresh runs between batches (a retrain); free releases what the
 * state points to. Any but init may be NULL. Add one: a file and a line in source_types.c.
 */
struct dsim__embedding_source {
    dsim__strategy strategy;
    size_t state_size;
    int (*check_files)(const dsim_scenario *sc, const void *config);
    int (*init)(dsim_ranker *r);
    void (*observe)(dsim_ranker *r, const dsim_rank_feedback *fb);
    int (*refresh)(dsim_ranker *r, uint64_t visit);
    void (*free)(dsim_ranker *r);
};

/* The embedding sources, NULL-terminated, in the order a scenario's index counts them (source_types.c). */
extern const dsim__embedding_source *const dsim__embedding_sources[];

/* dst ← src + N(0, (noise/√d)²) per coordinate, from the ranking stream at `index`. */
void dsim__noisy_copy(float *dst, const float *src, int d, double noise, uint64_t seed, uint64_t index,
                      gsl_rng *rng);

/* A random direction of length `norm`, from the cold-start stream at `index` (a shopper, or an item). */
void dsim__cold_start(float *dst, int d, double norm, uint64_t seed, uint64_t index, gsl_rng *rng);

/* Store an item's estimate (dimension-major), at unit length for cosine scores. */
void dsim__set_item(dsim_ranker *r, uint32_t item, const float *v);

/* history: the shopper's running mean moves toward the items clicked and bought (used by file, too). */
void dsim__history_observe(dsim_ranker *r, const dsim_rank_feedback *fb);

/* history: every shopper starts from a random direction, scaled to unit length when scored. */
int dsim__cold_start_all(dsim_ranker *r);

/* Scale to unit length (a zero vector stays zero). */
void dsim__normalise(float *v, int d);

/* One GEMM scores up to RANK_ROWS visits against up to RANK_BLOCK items: a score block of 4 MB at most,
   whatever the batch, between the product that writes it and the merge that reads it. */
enum { DSIM__RANK_BLOCK = 4096, DSIM__RANK_ROWS = 256 };

/**
 * Merge the scores of items first … first+m−1 into a top-k list kept sorted by descending score, of which
 * `filled` entries are in use; equal scores keep the earlier (lower) index first.
 * @return the entries in use afterwards.
 */
int dsim__ranker_merge(const float *row, uint32_t first, uint32_t m, int k, int filled, uint32_t *items,
                       float *scores);

/** Insert one scored item into such a list (after the entries of equal score). @return the entries in use. */
int dsim__ranker_insert(float s, uint32_t item, int k, int filled, uint32_t *items, float *scores);

#endif
