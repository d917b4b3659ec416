/*
 * demand_logit.c — the `logit` demand model: the visit-level latent-class logit that `dsim fit` estimates
 * (dsim/fit.h), so that a log of a logit world is a correctly specified test of the fit.
 *
 * The shopper considers one item of the slate, position j with probability
 *     q_j = η_j e^{a⟨e_u, e_i⟩ − position_penalty·j} / Σ_m η_m e^{a⟨e_u, e_m⟩ − position_penalty·m},
 * and buys it at discount d with probability σ(α + β·d + ρ·(d − r)), r the shopper's reference discount and
 * (α, β, ρ) the segment's logit_base, logit_discount and logit_reference. With one level on the whole slate
 * the visit's purchase probability is exactly σ(α + β·d + ρ·(d − r)), whatever the tastes: tastes choose
 * what is bought, the discount and the shopper's memory whether.
 */
#include <math.h>
#include <stddef.h>

#include "world/world_impl.h"

typedef struct {
    double base, discount, reference; /* α, β, ρ */
} logit_segment;

static const scenario_key logit_keys[] = {
    {SECTION_SEGMENT, "logit_base", KEY_DOUBLE, offsetof(logit_segment, base), 0, "-2", -50, 50, "log-odds",
     "demand = logit: α, the log-odds of a purchase at full price from a shopper expecting none", NULL, 0},
    {SECTION_SEGMENT, "logit_discount", KEY_DOUBLE, offsetof(logit_segment, discount), 0, "3", -100, 100,
     "log-odds per unit discount",
     "demand = logit: β, the log-odds a discount adds per unit (0.1 for 10 % adds β/10)", NULL, 0},
    {SECTION_SEGMENT, "logit_reference", KEY_DOUBLE, offsetof(logit_segment, reference), 0, "0", -100, 100,
     "log-odds per unit discount",
     "demand = logit: ρ, the log-odds per unit of discount above the shopper's reference r (d − r); "
     "a discount below what they expect costs as much",
     NULL, 0},
};

/* buy[j][l] = q_j σ(α + β d_l + ρ (d_l − r)). */
static void logit_slate_model(const dsim_world *w, uint32_t u, const uint32_t *slate, int k, dsim__slate_model *out)
{
    const dsim_scenario *sc = w->sc;
    const logit_segment *seg = w->demand_segment[w->segment[u]];
    const float *eu = w->shopper_taste + (size_t)u * w->dim;
    double utility[DSIM_MAX_SLATE], top = -INFINITY, total = 0, r = w->reference[u];
    for (int j = 0; j < k; j++) {
        utility[j] = sc->behaviour.taste_weight * dsim__taste_dot(eu, w->item_taste + (size_t)slate[j] * w->dim,
                                                                   w->dim) -
                     sc->behaviour.position_penalty * j;
        top = fmax(top, utility[j]);
    }
    for (int j = 0; j < k; j++)
        total += utility[j] = out->examine[j] * exp(utility[j] - top);
    for (int l = 0; l < DSIM_LANES; l++) {
        double d = l < out->n_levels ? sc->discounts.levels[l] : 0.0;
        double buy = l < out->n_levels ? 1 / (1 + exp(-(seg->base + seg->discount * d + seg->reference * (d - r))))
                                       : 0.0;
        for (int j = 0; j < k; j++) {
            out->hazard[j][l] = utility[j] / total; /* q_j, the same at every level */
            out->buy[j][l] = out->hazard[j][l] * buy;
        }
    }
}

/* Positions are exclusive (one item is considered), so each adds its own q_j σ_j at its own level. */
static void logit_expected_rewards_mixed(const dsim__slate_model *m, const int *levels, int vary, double *out)
{
    for (int l = 0; l < (vary < 0 ? 1 : m->n_levels); l++) {
        out[l] = 0.0;
        for (int j = 0; j < m->k; j++) {
            int at = j == vary ? l : levels[j];
            out[l] += m->buy[j][at] * m->value[j][at];
        }
    }
}

/* Two uniforms: which position is considered, then whether it is bought. */
static void logit_choose(const dsim__slate_model *m, const int *levels, gsl_rng *rng, dsim_outcome *out)
{
    double u = gsl_rng_uniform(rng), bought = gsl_rng_uniform(rng), reach = 0;
    int j = 0;
    while (j < m->k - 1 && u >= reach + m->hazard[j][0])
        reach += m->hazard[j++][0];
    out->n_examined = j + 1;
    out->clicked = 1u << j;
    out->n_clicks = 1;
    if (bought * m->hazard[j][0] < m->buy[j][levels[j]])
        out->position = j;
}

const dsim__demand_type dsim__demand_logit = {
    .strategy = {"logit", "buy the item considered with probability σ(α + β·d + ρ·(d − r)), the family dsim fit estimates",
                 logit_keys, sizeof logit_keys / sizeof logit_keys[0], 0, sizeof(logit_segment), NULL},
    .slate_model = logit_slate_model,
    .expected_rewards = dsim__buy_expected_rewards,
    .purchase_probabilities = dsim__buy_purchase_probabilities,
    .expected_rewards_mixed = logit_expected_rewards_mixed,
    .choose = logit_choose,
};
