/*
 * source_truth.c — the `truth` embedding source: the shop's estimates are the true taste vectors, exactly.
 * No shop has them; it is the ceiling of ranking quality, against which noisy, learned or imported estimates
 * are measured (the discount policies still see only the slate and its scores).
 *
 * It is also the smallest complete embedding source, the template for a new one: init fills the estimates,
 * plus one line in source_types.c.
 */
#include "dsim/error.h"
#include "rank/ranker_impl.h"

static int truth_init(dsim_ranker *r)
{
    for (uint32_t i = 0; i < r->n_items; i++)
        dsim__set_item(r, i, dsim_world_item_taste(r->world, i));
    for (uint32_t u = 0; u < r->n_shoppers; u++) {
        float *row = r->user + (size_t)u * (size_t)r->dim;
        const float *taste = dsim_world_shopper_taste(r->world, u);
        for (int j = 0; j < r->dim; j++)
            row[j] = taste[j];
    }
    return DSIM_OK;
}

const dsim__embedding_source dsim__source_truth = {
    .strategy = {"truth", "the true taste vectors, the ceiling of ranking quality that no shop reaches", NULL, 0, 0, 0,
                 NULL},
    .init = truth_init,
};
