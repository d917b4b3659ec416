/*
 * dsim/rng.h — keyed random streams for common random numbers.
 *
 * Every random draw in a simulation comes from a GSL generator of type dsim_rng_counter, a counter-based
 * generator whose whole state is (key, counter). Keying it with (seed, stream, index) is O(1), so each
 * visit, shopper or item gets its own independent stream: the shopper who arrives at visit t and the
 * uniforms of their choice at visit t do not depend on what any policy did before. That is what makes two
 * policies on one seed meet the same shoppers in the same order (common random numbers).
 *
 * Because it is a gsl_rng_type, all of GSL's distributions (gsl_ran_*) draw from it unchanged.
 */
#ifndef DSIM_RNG_H
#define DSIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/** Stream identifiers: one per purpose, so that no two purposes ever share draws. */
enum dsim_stream {
    DSIM_STREAM_CATALOG = 1,   /* index: item (and category centres at index n_items + c) */
    DSIM_STREAM_POPULATION,    /* index: shopper (and segment centres at index n_users + s) */
    DSIM_STREAM_ARRIVAL,       /* index: visit */
    DSIM_STREAM_CHOICE,        /* index: visit */
    DSIM_STREAM_POLICY,        /* index: visit — a policy's own exploration */
    DSIM_STREAM_POLICY_DIST,   /* index: policy update count — Monte Carlo action distributions */
    DSIM_STREAM_RANKING,       /* index: shopper or item — the shop's embedding noise */
    DSIM_STREAM_COLD_START,    /* index: shopper — a new shopper's random direction; item — a new item's */
    DSIM_STREAM_CATEGORY_PRIOR, /* index: category — the learned factors' starting point for a category */
    DSIM_STREAM_BOOTSTRAP,      /* index: resample — offline evaluation's bootstrap */
    DSIM_STREAM_POLICY_PROPENSITY, /* index: visit — the sampled propensity of a chosen level */
    DSIM_STREAM_PURCHASE_DELAY     /* index: visit — when a purchase made on the visit happens */
};

/** The counter-based generator type: 64-bit output mixed from (key, counter) by two SplitMix64 rounds. */
extern const gsl_rng_type *dsim_rng_counter;

/** @return a new generator of type dsim_rng_counter, or NULL when out of memory. Free with gsl_rng_free(). */
gsl_rng *dsim_rng_alloc(void);

/** Point r at the start of stream (seed, stream, index). r must be of type dsim_rng_counter. */
void dsim_rng_key(gsl_rng *r, uint64_t seed, uint32_t stream, uint64_t index);

/** @return a standard normal draw (GSL's ziggurat); for files that must not include gsl_randist.h, which
 *  pulls in GSL's own CBLAS declarations and clashes with OpenBLAS's cblas.h. */
double dsim_rng_gaussian(gsl_rng *r);

#endif
