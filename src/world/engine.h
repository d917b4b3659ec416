/*
 * engine.h — the world's calls that only the engine makes (src/sim): performance hints, not the library's API.
 */
#ifndef DSIM_WORLD_ENGINE_H
#define DSIM_WORLD_ENGINE_H

#include <stdint.h>

#include "dsim/world.h"

/** A performance hint: start loading a shopper's hidden state into cache (e.g. the next visit's). */
void dsim__world_prefetch_shopper(const dsim_world *w, uint32_t shopper);

#endif
