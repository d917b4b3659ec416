/*
 * dsim/sim.h — the engine: one policy in one world, advanced by its caller.
 *
 * The caller drives:  while ((rc = dsim_sim_advance(sim, chunk)) == DSIM_OK) { read metrics; store; draw; }
 * Each visit reads as the pipeline of design.md §2: arrival → ranking → context → act → choice →
 * feedback → learning → metrics. The visit loop does not allocate.
 */
#ifndef DSIM_SIM_H
#define DSIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "dsim/metrics.h"
#include "dsim/policy.h"
#include "dsim/world.h"

typedef struct {
    int version;          /* DSIM_SIM_OPTIONS_VERSION */
    uint64_t visits;      /* horizon override; 0: the scenario's horizon */
    bool want_propensity; /* ask the policy for the propensity of each action (costly for some types) */
    bool log_decisions;   /* keep each decision's context and the policy's distribution in the visit record
                             (scope item: one per shown item), and its propensity */
    bool frozen;          /* the policy never learns: it acts as it was built (offline evaluation's truth) */
    int ranking_threads;  /* threads ranking a batch (dsim_ranker_set_threads); the results do not depend on it */
} dsim_sim_options;

#define DSIM_SIM_OPTIONS_VERSION 2
#define DSIM_SIM_OPTIONS_INIT {DSIM_SIM_OPTIONS_VERSION, 0, false, false, false, 1}

typedef struct dsim_sim dsim_sim;

/** Fill a policy's env from a world: its scenario's levels and objective, and observable catalog facts (the
 *  engine's job: policies never see the world). */
void dsim_sim_policy_env(dsim_policy_env *env, const dsim_world *w);

/** A policy of `cfg` set up for the world `w` (its env from dsim_sim_policy_env); owned by the caller. @return as
 *  dsim_policy_alloc(). */
int dsim_sim_policy_alloc(dsim_policy **out, const dsim_policy_config *cfg, const dsim_world *w);

/**
 * Set up a run of `policy` in `world`. Both are borrowed and must outlive the sim; the world is changed by
 * the run (shopper state, shocks), so give each run a freshly generated world.
 * @return 0, DSIM_ENOMEM or DSIM_EINVAL.
 */
int dsim_sim_alloc(dsim_sim **out, dsim_world *world, dsim_policy *policy, const dsim_sim_options *options);
/** Free a sim, and the world and policy it owns (dsim_sim_create); NULL is a no-op. */
void dsim_sim_free(dsim_sim *sim);

/**
 * Convenience: generate the world of (scenario, seed), instantiate the policy from its configuration, and
 * set up a sim that owns both. `sc` and `cfg` are borrowed and must outlive the sim.
 * @return 0, DSIM_ENOMEM, DSIM_EINVAL or DSIM_ECONFIG (the policy does not fit the scenario).
 */
int dsim_sim_create(dsim_sim **out, const dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t seed,
                    const dsim_sim_options *options);

/** The sim's world and policy (borrowed, valid until dsim_sim_free). */
dsim_world *dsim_sim_world(const dsim_sim *sim);
dsim_policy *dsim_sim_policy(const dsim_sim *sim);

/**
 * Simulate up to n_visits more visits. @return DSIM_OK, DSIM_DONE when the horizon was already reached, or
 * DSIM_ENUMERIC when a policy's model failed (message in dsim_errmsg(); the run cannot go on).
 */
int dsim_sim_advance(dsim_sim *sim, uint64_t n_visits);

/**
 * Change the market now, between visits (a live shock): applied to the world at once, and the slates
 * ranked ahead are dropped so that the next visits are ranked, and drawn, after it.
 * @return 0 or the world's error.
 */
int dsim_sim_shock_now(dsim_sim *sim, const dsim_shock_config *shock);

/** Copy the running totals. */
void dsim_sim_metrics(const dsim_sim *sim, dsim_metrics *out);
/** Copy the running totals of each (hidden) segment; their sum is dsim_sim_metrics()'s. */
void dsim_sim_segment_metrics(const dsim_sim *sim, dsim_segment_metrics *out);

/** Visits simulated so far, and the horizon the sim runs to. */
uint64_t dsim_sim_visits_done(const dsim_sim *sim);
uint64_t dsim_sim_horizon(const dsim_sim *sim);

/** Details of the most recent visit, for tests and observers (borrowed, valid until the next advance). */
typedef struct {
    uint64_t visit;
    uint32_t shopper;
    bool lost;                 /* the shopper had churned: nothing was shown */
    const uint32_t *slate;     /* (slate_size,) */
    int slate_size;
    dsim_action action;        /* scope item: the top item's level, and the product of the items' propensities */
    int item_levels[DSIM_MAX_SLATE];        /* the level of each position (all alike in scope visit) */
    double item_propensity[DSIM_MAX_SLATE]; /* scope item: each item decision's propensity */
    const double *expected;    /* (n_levels,) true expected reward of each level, given to the whole slate */
    dsim_outcome outcome;
    double purchase_delay;     /* days from the visit to its purchase: 0 at once, NAN without one */
    bool purchase_known;       /* the purchase is credited to the visit (within the attribution window) by the
                                  end of the run: what a log written then knows */
    /* With options.log_decisions, scope visit: what the policy saw and all it would have done. */
    dsim_context context;
    int n_actions;                        /* 0 when not recorded */
    double distribution[DSIM_MAX_LEVELS]; /* the policy's probability of each level, before it learned */
    /* With options.log_decisions, scope item: the same for each item decision, top first (n_actions set too). */
    int n_item_decisions;                 /* slate_size in scope item when recorded, else 0 */
    dsim_context item_context[DSIM_MAX_SLATE];
    double item_distribution[DSIM_MAX_SLATE][DSIM_MAX_LEVELS];
} dsim_visit_record;

/** Copy the record of the most recent visit into `out` (its pointers borrowed, valid until the next advance). */
void dsim_sim_last_visit(const dsim_sim *sim, dsim_visit_record *out);

#endif
