/*
 * source_file.c — the shop's estimates imported from files made outside dsim (say, a sentence encoder's
 * vectors of the item descriptions): items from item_file; shoppers from user_file, or, without one, built
 * from their history of clicks and purchases exactly as in source_history.c.
 */
#include <stdlib.h>

#include "dsim/error.h"
#include "rank/ranker_impl.h"
#include "rank/vectors_file.h"

static int file_init(dsim_ranker *r)
{
    const dsim_scenario *sc = r->sc;
    float *items = malloc(sizeof(float) * r->n_items * (size_t)r->dim);
    if (!items)
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", sc->ranking.item_file);
    int rc = dsim__vectors_read(sc, sc->ranking.item_file, "item", r->n_items, items);
    for (uint32_t i = 0; !rc && i < r->n_items; i++)
        dsim__set_item(r, i, items + (size_t)i * (size_t)r->dim);
    free(items);
    if (rc)
        return rc;
    if (!sc->ranking.user_file[0])
        return dsim__cold_start_all(r);
    return dsim__vectors_read(sc, sc->ranking.user_file, "shopper", r->n_shoppers, r->user);
}

static void file_observe(dsim_ranker *r, const dsim_rank_feedback *fb)
{
    if (!r->sc->ranking.user_file[0])
        dsim__history_observe(r, fb);
}

const dsim__embedding_source dsim__source_file = {.name = "file", .init = file_init, .observe = file_observe};
