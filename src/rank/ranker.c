/*
 * ranker.c — the ranker's life: built from the scenario's embedding source, fed the shop's feedback,
 * refreshed between batches, freed; and the helpers the sources share.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "dsim/error.h"
#include "dsim/rng.h"
#include "rank/engine.h"
#include "rank/ranker_impl.h"
#include "rank/vectors_file.h"


/* Weight of the newest visit in the shop's running mean of the discount it shows. */
#define MEAN_DISCOUNT_RATE 0.001
/* Step of the online logistic model of purchase on score, and its start: P = 5 % at score 0, slope 1. */
#define PURCHASE_MODEL_STEP 0.01
#define PURCHASE_MODEL_START_INTERCEPT (-2.944)

void dsim__normalise(float *v, int d)
{
    double norm2 = 0;
    for (int j = 0; j < d; j++)
        norm2 += (double)v[j] * v[j];
    if (norm2 > 0)
        for (int j = 0; j < d; j++)
            v[j] = (float)(v[j] / sqrt(norm2));
}

void dsim__noisy_copy(float *dst, const float *src, int d, double noise, uint64_t seed, uint64_t index,
                      gsl_rng *rng)
{
    dsim_rng_key(rng, seed, DSIM_STREAM_RANKING, index);
    double scale = noise / sqrt((double)d);
    for (int j = 0; j < d; j++)
        dst[j] = src[j] + (float)(scale * dsim_rng_gaussian(rng));
}

void dsim__cold_start(float *dst, int d, double norm, uint64_t seed, uint64_t index, gsl_rng *rng)
{
    dsim_rng_key(rng, seed, DSIM_STREAM_COLD_START, index);
    for (int j = 0; j < d; j++)
        dst[j] = (float)dsim_rng_gaussian(rng);
    dsim__normalise(dst, d);
    for (int j = 0; j < d; j++)
        dst[j] = (float)(dst[j] * norm);
}

void dsim__set_item(dsim_ranker *r, uint32_t item, const float *v)
{
    float unit[DSIM_MAX_DIM];
    if (r->sc->ranking.score == DSIM_SCORE_COSINE) {
        memcpy(unit, v, sizeof(float) * (size_t)r->dim);
        dsim__normalise(unit, r->dim);
        v = unit;
    }
    for (int j = 0; j < r->dim; j++)
        r->item[(size_t)j * r->n_items + item] = v[j];
}

int dsim_ranker_check(const dsim_scenario *sc)
{
    const dsim__embedding_source *source = dsim__embedding_sources[sc->ranking.embeddings];
    return source->check_files
               ? source->check_files(sc, dsim__strategy_config(sc, STRATEGY_EMBEDDINGS, (size_t)sc->ranking.embeddings))
               : DSIM_OK;
}

static bool selection_on(const dsim_scenario *sc)
{
    return sc->ranking.exclude_bought_days > 0 || sc->ranking.category_quota > 0 ||
           sc->ranking.popularity_weight > 0 || sc->ranking.rerank != DSIM_RERANK_RELEVANCE;
}

int dsim_ranker_alloc(dsim_ranker **out, const dsim_world *w, uint64_t seed)
{
    const dsim_scenario *sc = dsim_world_scenario(w);
    dsim_ranker *r = calloc(1, sizeof *r);
    if (!r)
        return dsim_error_set(DSIM_ENOMEM, "out of memory allocating the ranker");
    r->sc = sc;
    r->world = w;
    r->seed = seed;
    r->threads = 1;
    dsim__blas_single_thread(); /* a batch's tiles must each be one single-threaded product (batch.c) */
    r->n_items = dsim_world_n_items(w);
    r->n_shoppers = dsim_world_n_shoppers(w);
    r->dim = dsim_world_dim(w);
    r->source = dsim__embedding_sources[sc->ranking.embeddings];
    r->source_config = dsim__strategy_config(sc, STRATEGY_EMBEDDINGS, (size_t)sc->ranking.embeddings);
    r->unit_users = sc->ranking.score == DSIM_SCORE_COSINE;
    int k = sc->behaviour.slate_size, c = sc->ranking.candidates;
    r->candidates = c > 0 ? c : selection_on(sc) ? (4 * k < (int)r->n_items ? 4 * k : (int)r->n_items) : k;
    if (r->candidates > DSIM_MAX_CANDIDATES)
        r->candidates = DSIM_MAX_CANDIDATES;
    r->purchase_logit[0] = PURCHASE_MODEL_START_INTERCEPT;
    r->purchase_logit[1] = 1.0;
    size_t d = (size_t)r->dim;
    r->item = malloc(sizeof(float) * r->n_items * d);
    r->user = malloc(sizeof(float) * r->n_shoppers * d);
    r->scratch = malloc(sizeof(float) * r->n_items);
    bool ok = r->item && r->user && r->scratch;
    if (ok && sc->ranking.popularity_weight > 0)
        ok = (r->purchases = calloc(r->n_items, sizeof(uint32_t))) != NULL;
    if (ok && sc->ranking.exclude_bought_days > 0) {
        r->last_bought = malloc(sizeof(uint32_t) * r->n_shoppers);
        r->last_bought_day = malloc(sizeof(float) * r->n_shoppers);
        ok = r->last_bought && r->last_bought_day;
        for (uint32_t u = 0; ok && u < r->n_shoppers; u++)
            r->last_bought[u] = UINT32_MAX;
    }
    if (ok && r->source->state_size) /* the source's own state, zeroed; its init fills it */
        ok = (r->source_state = calloc(1, r->source->state_size)) != NULL;
    if (!ok) {
        dsim_ranker_free(r);
        return dsim_error_set(DSIM_ENOMEM, "out of memory allocating the ranker");
    }
    int rc = r->source->init(r);
    if (rc) {
        dsim_ranker_free(r);
        return rc;
    }
    *out = r;
    return DSIM_OK;
}

void dsim_ranker_free(dsim_ranker *r)
{
    if (!r)
        return;
    if (r->source && r->source->free && r->source_state)
        r->source->free(r);
    free(r->source_state);
    free(r->item);
    free(r->user);
    free(r->scratch);
    free(r->purchases);
    free(r->last_bought);
    free(r->last_bought_day);
    free(r->batch_users);
    free(r->batch_scores);
    free(r->list_items);
    free(r->list_scores);
    free(r->list_filled);
    free(r);
}

int dsim_ranker_candidates(const dsim_ranker *r)
{
    return r->candidates;
}

/* One step of logistic regression of "bought" on the shown item's score, for each position shown. */
static void learn_purchase_model(dsim_ranker *r, const dsim_rank_feedback *fb)
{
    for (int j = 0; j < fb->k; j++) {
        double s = fb->scores[j], p = 1.0 / (1.0 + exp(-(r->purchase_logit[0] + r->purchase_logit[1] * s)));
        double residual = (fb->bought == j) - p;
        r->purchase_logit[0] += PURCHASE_MODEL_STEP * residual;
        r->purchase_logit[1] += PURCHASE_MODEL_STEP * residual * s;
    }
}

void dsim_ranker_observe(dsim_ranker *r, const dsim_rank_feedback *fb)
{
    if (r->source->observe)
        r->source->observe(r, fb);
    r->mean_discount += MEAN_DISCOUNT_RATE * (fb->discount - r->mean_discount);
    if (r->sc->ranking.rerank != DSIM_RERANK_RELEVANCE)
        learn_purchase_model(r, fb);
    if (fb->bought < 0)
        return;
    uint32_t item = fb->items[fb->bought];
    if (r->purchases)
        r->purchases[item]++;
    if (r->last_bought) {
        r->last_bought[fb->shopper] = item;
        r->last_bought_day[fb->shopper] = (float)fb->day;
    }
}

int dsim_ranker_refresh(dsim_ranker *r, uint64_t visit)
{
    return r->source->refresh ? r->source->refresh(r, visit) : DSIM_OK;
}

void dsim__ranker_prefetch(const dsim_ranker *r, uint32_t shopper)
{
    const float *u = r->user + (size_t)shopper * r->dim;
    for (int j = 0; j < r->dim; j += 16)
        __builtin_prefetch(u + j);
}
