/*
 * source_file.c — the shop's estimates imported from files made outside dsim (say, a sentence encoder's
 * vectors of the item descriptions): items from item_file; shoppers from user_file, or, without one, built
 * from their history of clicks and purchases exactly as in source_history.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "dsim/error.h"
#include "rank/ranker_impl.h"
#include "rank/vectors_file.h"

typedef struct {
    char item_file[DSIM_PATH_MAX], user_file[DSIM_PATH_MAX]; /* relative to the scenario's folder */
} file_config;

static const scenario_key file_keys[] = {
    {SECTION_RANKING, "item_file", KEY_STRING, offsetof(file_config, item_file), DSIM_PATH_MAX, "", 0, 0, "path",
     "embeddings = file: the items' vectors, a 2-D .npy (float32 or float64, one row per item in catalog "
     "order) or a CSV file with a header and an `id` column (the item's index) then one column per dimension",
     NULL, 0},
    {SECTION_RANKING, "user_file", KEY_STRING, offsetof(file_config, user_file), DSIM_PATH_MAX, "", 0, 0, "path",
     "embeddings = file: the shoppers' vectors in the same formats; empty: built from history as in "
     "embeddings = history",
     NULL, 0},
};

/* Chosen, it needs an item file; not chosen, its files would be ignored, so they are refused. */
static const char *file_check(const dsim_scenario *sc, const void *config, bool chosen, char *msg, size_t n)
{
    (void)sc;
    const file_config *c = config;
    if (chosen && !c->item_file[0]) {
        snprintf(msg, n, "[ranking] item_file: embeddings = file needs an item_file");
        return "embeddings";
    }
    if (!chosen && (c->item_file[0] || c->user_file[0])) {
        const char *key = c->item_file[0] ? "item_file" : "user_file";
        snprintf(msg, n, "[ranking] %s: embedding files are read only with embeddings = file", key);
        return key;
    }
    return NULL;
}

static int file_check_files(const dsim_scenario *sc, const void *config)
{
    const file_config *c = config;
    int rc = dsim__vectors_read(sc, c->item_file, "item", (uint32_t)sc->catalog.items, NULL);
    if (!rc && c->user_file[0])
        rc = dsim__vectors_read(sc, c->user_file, "shopper", (uint32_t)sc->shoppers, NULL);
    return rc;
}

static int file_init(dsim_ranker *r)
{
    const dsim_scenario *sc = r->sc;
    const file_config *c = r->source_config;
    float *items = malloc(sizeof(float) * r->n_items * (size_t)r->dim);
    if (!items)
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", c->item_file);
    int rc = dsim__vectors_read(sc, c->item_file, "item", r->n_items, items);
    for (uint32_t i = 0; !rc && i < r->n_items; i++)
        dsim__set_item(r, i, items + (size_t)i * (size_t)r->dim);
    free(items);
    if (rc)
        return rc;
    if (!c->user_file[0])
        return dsim__cold_start_all(r);
    return dsim__vectors_read(sc, c->user_file, "shopper", r->n_shoppers, r->user);
}

static void file_observe(dsim_ranker *r, const dsim_rank_feedback *fb)
{
    if (!((const file_config *)r->source_config)->user_file[0])
        dsim__history_observe(r, fb);
}

const dsim__embedding_source dsim__source_file = {
    .strategy = {"file", "items, and optionally shoppers, read from a .npy or CSV file (item_file, user_file)", file_keys,
                 sizeof file_keys / sizeof file_keys[0], sizeof(file_config), 0, file_check},
    .check_files = file_check_files,
    .init = file_init,
    .observe = file_observe,
};
