/*
 * world_impl.h — the world's layout, shared by the files of src/world/ only.
 *
 * Shoppers are stored as a structure of arrays of floats: 17 bytes of hidden state per shopper plus the
 * d-float taste vector, so that a population of millions stays within memory budget.
 */
#ifndef DSIM_WORLD_IMPL_H
#define DSIM_WORLD_IMPL_H

#include <gsl/gsl_randist.h>

#include "dsim/world.h"
#include "world/engine.h"
#include "scenario/strategy.h"

struct dsim_world {
    const dsim_scenario *sc;
    uint64_t seed;
    uint32_t n_items, n_shoppers;
    int dim;

    /* catalog */
    float *price;           /* (n_items,) list price, currency */
    float *cost;            /* (n_items,) unit cost, currency */
    float *log_price_ratio; /* (n_items,) ln(price / median price) */
    uint16_t *category;     /* (n_items,) */
    float *item_taste;      /* (n_items, d) */

    /* shoppers (hidden) */
    float *beta;          /* (n_shoppers,) price sensitivity */
    float *gamma;         /* (n_shoppers,) deal-proneness */
    float *reference;     /* (n_shoppers,) reference discount r */
    float *churn;         /* (n_shoppers,) per-visit churn probability; < 0 once churned */
    const struct dsim__demand_type *demand; /* the scenario's demand model */
    unsigned char *shopper_demand;          /* (n_shoppers, demand->shopper_size) its hidden state per shopper */
    _Alignas(8) unsigned char demand_state[64]; /* its world-level settings (demand->state_size bytes) */
    const void *demand_segment[DSIM_MAX_SEGMENTS]; /* its config of each segment (the scenario's) */
    uint8_t *segment;     /* (n_shoppers,) */
    float *shopper_taste; /* (n_shoppers, d) */

    /* segments */
    uint32_t segment_start[DSIM_MAX_SEGMENTS + 1]; /* shoppers of segment s: [start[s], start[s+1]) */
    double beta_scale[DSIM_MAX_SEGMENTS];          /* elasticity shocks multiply this */
    double arrival_weight[DSIM_MAX_SEGMENTS];
    gsl_ran_discrete_t *arrival_table;
    double arrivals_per_day;
    double outside_utility;

    /* per level, precomputed */
    double log_keep[DSIM_MAX_LEVELS]; /* ln(1 − d_l) */
    double examine[DSIM_MAX_SLATE];   /* η_k */
    double click_odds_scale;          /* e^{click_bias} */
};

/*
 * A demand model (`[behaviour] demand`): how a shopper decides to buy from a slate. A plug-in table like a
 * policy's: its descriptor (name, its own keys and config structs, src/scenario/strategy.h) first, then
 *   init          once per world, after the catalog: its world-level settings into `state` (state_size bytes);
 *   init_shopper  per shopper, last of the shopper's draws (so the other models' worlds do not depend on it):
 *                 its hidden state (shopper_size bytes);
 *   slate_model   the per-position arrays of the model (dsim__slate_model) except what every model shares
 *                 (shopper, items, value), which dsim__world_slate_model fills;
 *   choose        the visit's examinations, clicks and purchase position into `out` (zeroed, position −1),
 *                 drawn with a fixed number of uniforms.
 * init and init_shopper may be NULL. Add one: a file and a line in demand_types.c.
 */
typedef struct dsim__demand_type {
    dsim__strategy strategy;
    size_t state_size, shopper_size;
    void (*init)(const dsim_world *w, const void *config, void *state);
    void (*init_shopper)(const dsim_world *w, const void *state, const void *segment_config, gsl_rng *rng,
                         void *shopper);
    void (*slate_model)(const dsim_world *w, uint32_t shopper, const uint32_t *slate, int k, dsim__slate_model *out);
    void (*expected_rewards)(const dsim__slate_model *m, double *out);
    void (*purchase_probabilities)(const dsim__slate_model *m, int level, double *p);
    void (*expected_rewards_mixed)(const dsim__slate_model *m, const int *levels, int vary, double *out);
    /* levels: one per position */
    void (*choose)(const dsim__slate_model *m, const int *levels, gsl_rng *rng, dsim_outcome *out);
} dsim__demand_type;

/* The demand models, NULL-terminated, in the order a scenario's index counts them (demand_types.c). */
extern const dsim__demand_type *const dsim__demand_types[];

/* For models whose slate model holds P(buy position j) at every level (m->buy): the expectation per level,
   and the purchase probabilities at one level (demand_scan.c). */
void dsim__buy_expected_rewards(const dsim__slate_model *m, double *out);
void dsim__buy_purchase_probabilities(const dsim__slate_model *m, int level, double *p);

/* A shopper's state of the world's demand model. */
static inline const void *dsim__shopper_demand(const dsim_world *w, uint32_t u)
{
    return w->shopper_demand + (size_t)u * w->demand->shopper_size;
}

/* ⟨a, b⟩ in double with eight partial sums combined in a fixed order: the lanes vectorise and cut the
   add chain eightfold, and the bits are the same on every instruction set. */
static inline __attribute__((always_inline)) double dsim__taste_dot(const float *a, const float *b, int d)
{
    double part[8] = {0};
    int j = 0;
    for (; j + 8 <= d; j += 8)
        for (int l = 0; l < 8; l++)
            part[l] += (double)a[j + l] * b[j + l];
    for (; j < d; j++)
        part[j % 8] += (double)a[j] * b[j];
    return ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
}

#endif
