/*
 * dsim/features.h — the observable context as numbers: the feature vector of contextual agents and the
 * discrete state of tabular ones.
 *
 * Built only from dsim_context (what a shop observes), never from the hidden truth. Every feature is
 * scaled to roughly [0, 1] (or [-1, 1]) so that one ridge λ and one exploration α suit them all:
 *
 *   bias               1
 *   visits             ln(1 + earlier visits) / ln(101)                     (0 on a first visit, 1 at 100)
 *   visit_recency      ln(1 + days since last visit) / ln(366); 1 on a first visit
 *   purchase_recency   ln(1 + days since last purchase) / ln(366); 1 if never bought
 *   conversion         earlier purchases / earlier visits
 *   discount_use       earlier purchases made with a discount / earlier purchases
 *   recent_discount    exponentially weighted share of recent visits that got a discount
 *   recent_level       exponentially weighted mean discount given, ÷ the highest level (what the shopper
 *                      has been taught to expect, as far as the shop can tell)
 *   slate_score        mean similarity score of the slate shown (cosine, in [−1, 1])
 *   slate_price        ln(mean list price of the slate / catalog's mean list price)
 *   category           one-hot category of the top item (one column per category but the first)
 *   budget_left        fraction of the discount budget left (1 when there is no budget)
 *
 * In discount scope `item` each decision prices one shown item, and slate_score, slate_price and category
 * describe that item (its score, its price, its category) instead of the slate.
 *
 * A policy file chooses features with `features = bias, visits, conversion` (default: all).
 */
#ifndef DSIM_FEATURES_H
#define DSIM_FEATURES_H

#include <stdint.h>

#include "dsim/policy.h"

#define DSIM_FEATURE_LIST(X)                                                                                  \
    X(BIAS, "bias", "constant 1")                                                                             \
    X(VISITS, "visits", "ln(1 + earlier visits) / ln 101")                                                    \
    X(VISIT_RECENCY, "visit_recency", "ln(1 + days since last visit) / ln 366; 1 on a first visit")           \
    X(PURCHASE_RECENCY, "purchase_recency", "ln(1 + days since last purchase) / ln 366; 1 if never bought")   \
    X(CONVERSION, "conversion", "earlier purchases / earlier visits")                                         \
    X(DISCOUNT_USE, "discount_use", "share of earlier purchases made with a discount")                        \
    X(RECENT_DISCOUNT, "recent_discount", "weighted share of recent visits that got a discount")              \
    X(RECENT_LEVEL, "recent_level", "weighted mean discount given recently ÷ the highest level")              \
    X(SLATE_SCORE, "slate_score", "mean similarity score of the slate shown")                                 \
    X(SLATE_PRICE, "slate_price", "ln(slate's mean list price / catalog's mean list price)")                  \
    X(CATEGORY, "category", "one-hot category of the top item (categories − 1 columns)")                     \
    X(BUDGET_LEFT, "budget_left", "fraction of the discount budget left")

typedef enum {
#define DSIM_FEATURE_ENUM(id, name, doc) DSIM_FEATURE_##id,
    DSIM_FEATURE_LIST(DSIM_FEATURE_ENUM)
#undef DSIM_FEATURE_ENUM
        DSIM_N_FEATURES
} dsim_feature;

#define DSIM_FEATURES_ALL ((1u << DSIM_N_FEATURES) - 1u)
#define DSIM_MAX_FEATURE_DIM 64

/** @return a feature's name as written in policy files. */
const char *dsim_features_name(dsim_feature f);
/** @return its one-line description. */
const char *dsim_features_doc(dsim_feature f);
/** @return the feature with this name, or -1. */
int dsim_features_find(const char *name);

/**
 * Parse a comma-separated list of feature names ("all" for every one) into a mask.
 * @return 0, or DSIM_ECONFIG with "unknown feature 'x'; did you mean 'y'?" in dsim_errmsg().
 */
int dsim_features_parse(const char *list, uint32_t *mask);

/** @return the length of the vector the mask gives in this env (the category one-hot has n_categories − 1). */
int dsim_features_dim(uint32_t mask, const dsim_policy_env *env);

/** x ← the context's features under `mask`. @param x (dsim_features_dim(mask, env),) out */
void dsim_features_build(uint32_t mask, const dsim_policy_env *env, const dsim_context *ctx, double *x);

/**
 * The discrete observable state of tabular agents: recency × purchase history × taught discount,
 *
 *   recency            0 first visit, 1 back within 7 days, 2 within 30 days, 3 later
 *   purchase history   0 never bought, 1 last purchase within 30 days, 2 longer ago
 *   taught discount    recent_discount_level ÷ the highest level, in DSIM_DISCOUNT_BUCKETS buckets whose
 *                      edges double: 0 below 1/32, 1 below 1/16, 2 below 1/8, 3 below 1/4, 4 below 1/2,
 *                      5 from 1/2 up
 *
 * The taught discount is the shop's estimate of the reference discount a shopper has learned to expect
 * (an EWMA of the discounts given). A visit without a discount shrinks it by a constant factor (0.7), so
 * buckets spaced by a factor of 2 let every second undiscounted visit move the state down one bucket: the
 * table can see a shopper being weaned off discounts, and a single discount at any level moves a shopper
 * out of bucket 0.
 *
 * state = DSIM_DISCOUNT_BUCKETS · (3 · recency + history) + taught discount, one of DSIM_N_STATES.
 * @param top_level  the highest discount level (a fraction); 0 puts every context in discount bucket 0
 */
#define DSIM_DISCOUNT_BUCKETS 6
#define DSIM_N_STATES (4 * 3 * DSIM_DISCOUNT_BUCKETS)
int dsim_features_state(const dsim_context *ctx, double top_level);

#endif
