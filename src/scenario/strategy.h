/*
 * strategy.h — what the scenario ring knows of a pluggable model chosen by a scenario key (a demand model,
 * `[behaviour] demand`; an embedding source, `[ranking] embeddings`): its name, its own key rows stored in its
 * own config structs, and the checks across them. The models themselves live in the rings that run them
 * (src/world/demand_*.c, src/rank/source_*.c), each a type table whose first member is this descriptor; their
 * lists (src/world/demand_types.c, src/rank/source_types.c) hand the descriptors to the scenario loader, which
 * thus reads every model's keys without knowing the world or the ranker.
 */
#ifndef DSIM_SCENARIO_STRATEGY_H
#define DSIM_SCENARIO_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>

#include "dsim/scenario.h"
#include "scenario/scenario_keys.h"

typedef struct {
    const char *name;    /* the word that chooses it */
    const char *summary; /* one line, for the docs */
    /* Its keys: in the family's own section (offsets into its config struct) or in [segment.NAME] (offsets
       into its per-segment config struct). Read in every scenario, chosen or not, so that a sweep may vary the
       choice with the model's keys set once. */
    const scenario_key *keys;
    size_t n_keys;
    size_t config_size, segment_config_size; /* of its config structs (0: none) */
    /* Rules across its keys, once the scenario is read (`chosen`: it is the scenario's choice). @return NULL,
       or the key at fault (in the family's section) with the message after its location in `msg`. */
    const char *(*check)(const dsim_scenario *sc, const void *config, bool chosen, char *msg, size_t n);
} dsim__strategy;

/* The i-th model of a family (its list's order, the index a scenario stores), NULL past the last. Defined by
   the lists in src/world and src/rank. */
const dsim__strategy *dsim__demand_strategy(size_t i);
const dsim__strategy *dsim__embeddings_strategy(size_t i);
const dsim__strategy *dsim__strategy_of(strategy_family family, size_t i);

/* A model's config in a scenario, and in one of its segments (all zero bytes for a model without). */
const void *dsim__strategy_config(const dsim_scenario *sc, strategy_family family, size_t i);
const void *dsim__strategy_segment_config(const dsim_segment_config *seg, strategy_family family, size_t i);

#endif
