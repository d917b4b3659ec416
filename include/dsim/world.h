/*
 * dsim/world.h — the simulated market: catalog, shoppers and their hidden behaviour.
 *
 * A world is generated from a scenario and a seed, reproducibly. It holds the hidden truth (tastes, price
 * sensitivity, deal-proneness, reference discounts, churn) and answers three questions for the engine: who
 * arrives at visit t, what a shopper does when shown a slate at a discount level, and — for the oracle and
 * regret only — what each level would be expected to earn.
 *
 * Choice model (design.md §1). For shopper u shown item i at position k (0-based) with discount d:
 *
 *   x_ui = ln( p_i (1 − d) / (p̄ (1 − r_u)) )          price paid vs the price the shopper expects
 *   V_ui = a ⟨e_u, e_i⟩ + α_s − β_u · (x_ui ≤ 0 ? x_ui : κ x_ui) + γ_u [d > 0] − position_penalty · k
 *
 * α_s is the segment's affinity for the shop, p̄ the catalog's median list price, r_u the shopper's reference discount (what they have come to
 * expect). The shopper examines position k with probability η_k = examine_top · examine_decay^k, clicks an
 * examined item with probability σ(V_ui − V0 + click_bias), and buys at most one clicked item by
 * multinomial logit with the outside option: P(i | clicked set C) = e^{V_ui} / (e^{V0} + Σ_{j∈C} e^{V_uj}).
 * After the visit r_u ← λ r_u + (1 − λ) d, and the shopper may churn (leave for good).
 *
 * That is the default demand model, `mnl`. Two others reproduce pricing papers; both scan the slate from the
 * top, examine position k with probability η_k and buy the first examined item they accept:
 *   valuation  accept if p_i (1 − d) ≤ W_u + δ: W_u = valuation_scale · Beta(a_s, b_s) drawn per shopper,
 *              δ ~ U[−D, D] drawn per visit (Misra, Schwartz & Abernethy 2019, §5);
 *   linear     accept with probability clamp(a_s − b_s · p_i (1 − d) / p̄, 0, 1) (their D(p) = 3(1 − p)).
 * Neither reads tastes, reference prices or deal-proneness; the reference discount still moves.
 */
#ifndef DSIM_WORLD_H
#define DSIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "dsim/scenario.h"

typedef struct dsim_world dsim_world;

/** What happened in one visit: all of it the shop can see, except `churned`. */
typedef struct {
    int n_examined;    /* positions the shopper looked at (hidden; for diagnostics) */
    int n_clicks;      /* clicked items */
    uint32_t clicked;  /* bit k set: position k was clicked */
    int position;      /* position bought from, or -1 */
    uint32_t item;     /* item bought (valid when position >= 0) */
    double price_paid; /* currency */
    double revenue, profit, discount_spend, reward; /* reward: the scenario's objective */
    double discount_shown; /* mean discount over the slate's positions (the visit's level in scope visit) */
    bool churned;      /* the shopper left after this visit (hidden) */
} dsim_outcome;

/**
 * Generate a world.
 * @param out  receives the world, owned by the caller (dsim_world_free()).
 * @param sc   borrowed; must outlive the world.
 * @return 0, DSIM_ENOMEM or DSIM_ECONFIG.
 */
int dsim_world_alloc(dsim_world **out, const dsim_scenario *sc, uint64_t seed);
/** Free a world; NULL is a no-op (its scenario stays the caller's). */
void dsim_world_free(dsim_world *w);

/** The world's make-up. dsim_world_scenario() is the scenario it was made from (borrowed). */
const dsim_scenario *dsim_world_scenario(const dsim_world *w);
uint64_t dsim_world_seed(const dsim_world *w);
uint32_t dsim_world_n_items(const dsim_world *w);
uint32_t dsim_world_n_shoppers(const dsim_world *w);
int dsim_world_dim(const dsim_world *w);

/* Observable facts about items: the shop knows its own prices, costs and categories. */
double dsim_world_item_price(const dsim_world *w, uint32_t item);
double dsim_world_item_cost(const dsim_world *w, uint32_t item);
int dsim_world_item_category(const dsim_world *w, uint32_t item);

/* Hidden truth: for the oracle, the shop's noisy embedding source and tests. */
const float *dsim_world_item_taste(const dsim_world *w, uint32_t item);       /* (d,) unit norm */
const float *dsim_world_shopper_taste(const dsim_world *w, uint32_t shopper); /* (d,) unit norm */
int dsim_world_shopper_segment(const dsim_world *w, uint32_t shopper);
double dsim_world_shopper_elasticity(const dsim_world *w, uint32_t shopper);
double dsim_world_shopper_deal_proneness(const dsim_world *w, uint32_t shopper);
double dsim_world_reference_discount(const dsim_world *w, uint32_t shopper);
/** @return the shopper's willingness to pay W_u (demand = valuation), else NAN. */
double dsim_world_shopper_valuation(const dsim_world *w, uint32_t shopper);

/**
 * The truth ranking quality is measured against: every item's utility for the shopper relative to the
 * outside option, at no discount and without a position effect (the MNL utility of the formulas above,
 * with the shopper's current reference discount):
 *   a ⟨e_u, e_i⟩ + affinity − β_u (x ≤ 0 ? x : κ x) − V0,   x = ln( p_i / (p̄ (1 − r_u)) )
 * @param out  (n_items,)
 */
void dsim_world_true_utilities(const dsim_world *w, uint32_t shopper, float *out);
bool dsim_world_shopper_active(const dsim_world *w, uint32_t shopper);

/** @return the simulated day at which visit t happens (t / total arrival rate per day). */
double dsim_world_day(const dsim_world *w, uint64_t visit);

/**
 * Who arrives at visit t: a segment by its share of arrivals, then a shopper of it uniformly. The draw
 * uses only the arrival stream of visit t, so it does not depend on anything a policy did. The shopper
 * may have churned; the caller counts such an arrival as a lost visit.
 */
uint32_t dsim_world_arrival(const dsim_world *w, uint64_t visit, gsl_rng *rng);

/** Apply a market change (a scheduled shock, or one made live). @return 0 or DSIM_EINVAL. */
int dsim_world_apply_shock(dsim_world *w, const dsim_shock_config *shock);

#endif
