/*
 * choice.c — what a shopper does with a slate, whatever the demand model: the parts every model shares
 * (what a sale is worth, the shopper's memory and churn after the visit) and the dispatch to the scenario's
 * demand model (demand_mnl.c, demand_scan.c).
 */
#include <math.h>
#include <string.h>

#include "world/world_impl.h"


/* What a sale of the item brings at each level: scale · (1 − d_l) + offset; lanes past the scenario's
   levels are zero. */
static void objective_values(const dsim_world *w, uint32_t item, double *value)
{
    int n_levels = w->sc->discounts.n_levels;
    const double *levels = w->sc->discounts.levels;
    double scale = w->price[item], offset = 0.0; /* revenue: the price paid */
    if (w->sc->discounts.objective == DSIM_OBJECTIVE_PROFIT)
        offset = -w->cost[item];
    else if (w->sc->discounts.objective == DSIM_OBJECTIVE_CONVERSIONS)
        scale = 0.0, offset = 1.0;
    for (int l = 0; l < DSIM_LANES; l++) {
        double v = scale * (1.0 - levels[l]) + offset;
        value[l] = l < n_levels ? v : 0.0;
    }
}

void dsim__world_slate_model(const dsim_world *w, uint32_t u, const uint32_t *slate, int k, dsim__slate_model *out)
{
    int n_levels = w->sc->discounts.n_levels;
    out->shopper = u;
    out->k = k;
    out->n_levels = n_levels;
    out->demand = w->sc->behaviour.demand;
    out->spread = 0.0; /* a model with a perturbation sets it */
    for (int j = 0; j < k; j++) {
        out->items[j] = slate[j];
        out->examine[j] = w->examine[j];
        objective_values(w, slate[j], out->value[j]);
    }
    dsim__demand_types[out->demand]->slate_model(w, u, slate, k, out);
}

void dsim__slate_expected_rewards(const dsim__slate_model *m, double *out)
{
    dsim__demand_types[m->demand]->expected_rewards(m, out);
}

void dsim__slate_expected_rewards_mixed(const dsim__slate_model *m, const int *levels, int vary, double *out)
{
    dsim__demand_types[m->demand]->expected_rewards_mixed(m, levels, vary, out);
}

void dsim__slate_purchase_probabilities(const dsim__slate_model *m, int level, double *p)
{
    dsim__demand_types[m->demand]->purchase_probabilities(m, level, p);
}

/*
 * The demand model's draws come first, then one churn uniform, whatever happens: two policies facing the
 * same shopper at the same visit use the same uniforms for the same decisions.
 */
void dsim__world_visit_items(dsim_world *w, const dsim__slate_model *m, const int *levels, gsl_rng *rng,
                            dsim_outcome *out)
{
    const dsim_scenario *sc = w->sc;
    uint32_t u = m->shopper;
    const dsim_segment_config *seg = &sc->segments[w->segment[u]];
    memset(out, 0, sizeof *out);
    out->position = -1;
    dsim__demand_types[m->demand]->choose(m, levels, rng, out);
    if (out->position >= 0) {
        int j = out->position;
        uint32_t i = m->items[j];
        double d = sc->discounts.levels[levels[j]];
        out->item = i;
        out->price_paid = w->price[i] * (1.0 - d);
        out->revenue = out->price_paid;
        out->profit = out->price_paid - w->cost[i];
        out->discount_spend = w->price[i] * d;
        out->reward = m->value[j][levels[j]];
    }

    /* Shopper state: r ← λ r + (1 − λ) d̄ with d̄ the slate's mean discount; churn rises after a visit without
       purchase, recovers after one. */
    double shown = 0;
    bool uniform = true;
    for (int j = 0; j < m->k; j++) {
        shown += sc->discounts.levels[levels[j]];
        uniform &= levels[j] == levels[0];
    }
    shown = uniform ? sc->discounts.levels[levels[0]] : shown / m->k; /* exact for one level */
    out->discount_shown = shown;
    w->reference[u] = (float)(seg->memory * w->reference[u] + (1.0 - seg->memory) * shown);
    double h = w->churn[u];
    if (out->position >= 0)
        h = seg->churn_base + (h - seg->churn_base) * seg->churn_recovery;
    else
        h = fmin(1.0, h + seg->churn_unhappy);
    out->churned = gsl_rng_uniform(rng) < h;
    w->churn[u] = out->churned ? -1.0f : (float)h;
}

void dsim__world_visit(dsim_world *w, const dsim__slate_model *m, int level, gsl_rng *rng, dsim_outcome *out)
{
    int levels[DSIM_MAX_SLATE];
    for (int j = 0; j < m->k; j++)
        levels[j] = level;
    dsim__world_visit_items(w, m, levels, rng, out);
}
