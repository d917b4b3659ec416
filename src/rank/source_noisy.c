/*
 * source_noisy.c — the shop's estimates as the true vectors plus Gaussian noise: "how good is our
 * representation?" as one number, σ = embedding_noise, that a sweep can vary.
 */
#include "dsim/error.h"
#include "dsim/rng.h"
#include "rank/ranker_impl.h"

/* Item estimates on even stream indices, shopper estimates on odd ones. For cosine scores both are stored
   at unit length, so the shoppers need no scaling when scored. */
static int noisy_init(dsim_ranker *r)
{
    gsl_rng *rng = dsim_rng_alloc();
    if (!rng)
        return dsim_error_set(DSIM_ENOMEM, "out of memory building the shop's estimates");
    double noise = r->sc->ranking.embedding_noise;
    bool unit = r->sc->ranking.score == DSIM_SCORE_COSINE;
    float v[DSIM_MAX_DIM];
    for (uint32_t i = 0; i < r->n_items; i++) {
        dsim__noisy_copy(v, dsim_world_item_taste(r->world, i), r->dim, noise, r->seed, 2 * (uint64_t)i, rng);
        dsim__set_item(r, i, v);
    }
    for (uint32_t u = 0; u < r->n_shoppers; u++) {
        float *row = r->user + (size_t)u * (size_t)r->dim;
        dsim__noisy_copy(row, dsim_world_shopper_taste(r->world, u), r->dim, noise, r->seed, 2 * (uint64_t)u + 1,
                         rng);
        if (unit)
            dsim__normalise(row, r->dim);
    }
    r->unit_users = false;
    gsl_rng_free(rng);
    return DSIM_OK;
}

const dsim__embedding_source dsim__source_noisy = {
    .strategy = {"noisy", "the true vectors plus Gaussian noise", NULL, 0, 0, 0, NULL},
    .init = noisy_init,
};
