/*
 * source_history.c — a shopper is what they clicked and bought: their vector is the recency-weighted mean
 * of those items' vectors, scaled to unit length when scored (the classic "user vector = aggregate of item
 * vectors" recipe). Items are the true vectors plus noise, as in source_noisy.c.
 *
 * A click moves the mean toward the item with weight ρ = history_rate; a purchase counts as
 * purchase_weight clicks: v ← (1 − a) v + a ê_i with a = 1 − (1 − ρ)^w. A shopper without history starts
 * from a random direction of length cold_start_noise (seeded by the shopper), which the first clicks wash
 * out, so new shoppers see varied slates rather than all the same K items.
 */
#include <math.h>

#include "dsim/error.h"
#include "dsim/rng.h"
#include "rank/ranker_impl.h"

void dsim__history_observe(dsim_ranker *r, const dsim_rank_feedback *fb)
{
    double keep = 1.0 - r->sc->ranking.history_rate;
    float *v = r->user + (size_t)fb->shopper * (size_t)r->dim;
    for (int j = 0; j < fb->k; j++) {
        double weight = ((fb->clicked >> j) & 1) + (fb->bought == j ? r->sc->ranking.purchase_weight : 0.0);
        if (weight <= 0)
            continue;
        double a = 1.0 - pow(keep, weight);
        const float *column = r->item + fb->items[j];
        for (int c = 0; c < r->dim; c++)
            v[c] = (float)((1.0 - a) * v[c] + a * column[(size_t)c * r->n_items]);
    }
}

/* Every shopper's random starting direction. */
int dsim__cold_start_all(dsim_ranker *r)
{
    gsl_rng *rng = dsim_rng_alloc();
    if (!rng)
        return dsim_error_set(DSIM_ENOMEM, "out of memory building the shop's estimates");
    for (uint32_t u = 0; u < r->n_shoppers; u++)
        dsim__cold_start(r->user + (size_t)u * (size_t)r->dim, r->dim, r->sc->ranking.cold_start_noise, r->seed, u,
                         rng);
    gsl_rng_free(rng);
    r->unit_users = true;
    return DSIM_OK;
}

static int history_init(dsim_ranker *r)
{
    gsl_rng *rng = dsim_rng_alloc();
    if (!rng)
        return dsim_error_set(DSIM_ENOMEM, "out of memory building the shop's estimates");
    float v[DSIM_MAX_DIM];
    for (uint32_t i = 0; i < r->n_items; i++) {
        dsim__noisy_copy(v, dsim_world_item_taste(r->world, i), r->dim, r->sc->ranking.embedding_noise, r->seed,
                         2 * (uint64_t)i, rng);
        dsim__set_item(r, i, v);
    }
    gsl_rng_free(rng);
    return dsim__cold_start_all(r);
}

const dsim__embedding_source dsim__source_history = {
    .strategy = {"history", "items noisy; a shopper is the recency-weighted mean of what they clicked or bought",
                 NULL, 0, 0, 0, NULL},
    .init = history_init,
    .observe = dsim__history_observe,
};
