/*
 * exact.c — per-visit exact top-K ranking over the shop's noisy embedding estimates.
 *
 * One dot product per catalog item and an insertion into a K-long sorted list: O(n_items · d) per visit.
 * Kept deliberately simple; the batched BLAS ranker replaces it behind the same interface.
 */
#include "dsim/rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "dsim/error.h"
#include "dsim/rng.h"

struct dsim_ranker {
    uint32_t n_items, n_shoppers;
    int dim;
    float *item; /* (n_items, d) estimated item vectors */
    float *user; /* (n_shoppers, d) estimated shopper vectors */
};

static void noisy_copy(float *dst, const float *src, int d, double noise, gsl_rng *rng)
{
    double scale = noise / sqrt((double)d);
    for (int j = 0; j < d; j++)
        dst[j] = src[j] + (float)(scale * gsl_ran_gaussian_ziggurat(rng, 1.0));
}

int dsim_ranker_alloc(dsim_ranker **out, const dsim_world *w, double noise, uint64_t seed)
{
    dsim_ranker *r = calloc(1, sizeof *r);
    gsl_rng *rng = dsim_rng_alloc();
    if (!r || !rng)
        goto oom;
    r->n_items = dsim_world_n_items(w);
    r->n_shoppers = dsim_world_n_shoppers(w);
    r->dim = dsim_world_dim(w);
    size_t d = (size_t)r->dim;
    r->item = malloc(sizeof(float) * r->n_items * d);
    r->user = malloc(sizeof(float) * r->n_shoppers * d);
    if (!r->item || !r->user)
        goto oom;
    /* Item estimates on even stream indices, shopper estimates on odd ones. */
    for (uint32_t i = 0; i < r->n_items; i++) {
        dsim_rng_key(rng, seed, DSIM_STREAM_RANKING, 2 * (uint64_t)i);
        noisy_copy(r->item + i * d, dsim_world_item_taste(w, i), r->dim, noise, rng);
    }
    for (uint32_t u = 0; u < r->n_shoppers; u++) {
        dsim_rng_key(rng, seed, DSIM_STREAM_RANKING, 2 * (uint64_t)u + 1);
        noisy_copy(r->user + u * d, dsim_world_shopper_taste(w, u), r->dim, noise, rng);
    }
    gsl_rng_free(rng);
    *out = r;
    return DSIM_OK;
oom:
    gsl_rng_free(rng);
    dsim_ranker_free(r);
    return dsim_error_set(DSIM_ENOMEM, "out of memory allocating the ranker");
}

void dsim_ranker_free(dsim_ranker *r)
{
    if (!r)
        return;
    free(r->item);
    free(r->user);
    free(r);
}

void dsim_ranker_top_k(const dsim_ranker *r, uint32_t shopper, int k, uint32_t *items, float *scores)
{
    int d = r->dim, filled = 0;
    const float *u = r->user + (size_t)shopper * d;
    for (uint32_t i = 0; i < r->n_items; i++) {
        const float *v = r->item + (size_t)i * d;
        float s = 0;
        for (int j = 0; j < d; j++)
            s += u[j] * v[j];
        if (filled == k && s <= scores[k - 1])
            continue;
        /* Insert, keeping scores descending; equal scores keep the earlier (lower) index first. */
        int pos = filled < k ? filled++ : k - 1;
        while (pos > 0 && scores[pos - 1] < s) {
            scores[pos] = scores[pos - 1];
            items[pos] = items[pos - 1];
            pos--;
        }
        scores[pos] = s;
        items[pos] = i;
    }
}

size_t dsim_ranker_bytes_per_shopper(const dsim_ranker *r)
{
    return sizeof(float) * (size_t)r->dim;
}
