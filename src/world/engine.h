/*
 * engine.h — the world's calls that only the engine makes (src/sim): the per-visit choice model with its exact
 * expectations and draws (laid out in lanes for the vectorised expectation), and performance hints. Not the
 * library's API: a program drives visits through dsim_sim.
 */
#ifndef DSIM_WORLD_ENGINE_H
#define DSIM_WORLD_ENGINE_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "dsim/world.h"

/**
 * The choice model of one visit, for every level at once: computed once per visit from the hidden truth,
 * then read by the exact expectations (oracle, regret) and by the visit's draws. Plain data; lanes beyond
 * n_levels are zero so the expectation can run on a fixed lane count. What the per-position arrays hold
 * depends on the scenario's demand model (dsim/scenario.h, `demand`).
 */
#define DSIM_LANES DSIM_MAX_MARKET_LEVELS
typedef struct {
    uint32_t shopper;
    int k, n_levels;
    int demand; /* the scenario's demand model (dsim_scenario_demand_name) */
    uint32_t items[DSIM_MAX_SLATE];
    double examine[DSIM_MAX_SLATE]; /* η_j */
    double spread;                  /* valuation: the visit's perturbation is U[−spread, spread] (currency) */
    union {
        double click[DSIM_MAX_SLATE][DSIM_LANES]; /* mnl: P(examined and clicked) = η_j σ(V − V0 + click_bias) */
        double buy[DSIM_MAX_SLATE][DSIM_LANES];   /* valuation, linear: P(buy position j), exact */
    };
    union {
        double weight[DSIM_MAX_SLATE][DSIM_LANES]; /* mnl: weight e^{V − V0} (the outside option's is 1) */
        double hazard[DSIM_MAX_SLATE][DSIM_LANES]; /* linear: P(buy j | examined); valuation: the perturbation
                                                      the shopper needs to afford j (currency) */
    };
    double value[DSIM_MAX_SLATE][DSIM_LANES]; /* the objective if this item is bought at this level */
} dsim__slate_model;

/** Fill the choice model of shopper `shopper` shown `slate` (k items, best first). */
void dsim__world_slate_model(const dsim_world *w, uint32_t shopper, const uint32_t *slate, int k,
                            dsim__slate_model *out);

/** Expected objective of every level, exact (mnl: summed over all 2^k click sets). @param out (n_levels,) */
void dsim__slate_expected_rewards(const dsim__slate_model *m, double *out);

/**
 * Expected objective when each position j gets its own level, levels[j] (discount scope `item`): out[l] is
 * the expectation with position `vary` at level l and the others as given, for every level l; with
 * vary = −1, out[0] is the expectation of `levels` as given.
 */
void dsim__slate_expected_rewards_mixed(const dsim__slate_model *m, const int *levels, int vary, double *out);

/** Exact purchase probabilities at one level. @param p (k + 1,) out: P(buy slate[j]), then P(buy nothing). */
void dsim__slate_purchase_probabilities(const dsim__slate_model *m, int level, double *p);

/**
 * Play one visit: draw examinations, clicks and the purchase from `rng` (always the same number of draws,
 * whatever happens, for a given demand model), then update the shopper's reference discount and churn.
 */
void dsim__world_visit(dsim_world *w, const dsim__slate_model *m, int level, gsl_rng *rng, dsim_outcome *out);

/**
 * The same with a level per position (discount scope `item`). The shopper's reference discount moves
 * toward the mean discount of the slate shown.
 */
void dsim__world_visit_items(dsim_world *w, const dsim__slate_model *m, const int *levels, gsl_rng *rng,
                            dsim_outcome *out);


/** A performance hint: start loading a shopper's hidden state into cache (e.g. the next visit's). */
void dsim__world_prefetch_shopper(const dsim_world *w, uint32_t shopper);

#endif
