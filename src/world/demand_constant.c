/*
 * demand_constant.c — the `constant` demand model: a shopper scans the slate from the top and buys the first
 * examined item with a fixed probability, whatever its price. A market where a discount never wins a sale,
 * only gives margin away: the null case a discount policy should learn to leave alone.
 *
 * It is also the smallest complete demand model, the template for a new one: its own key (with its config
 * struct), the slate model, the exact expectations and the draws, plus one line in demand_types.c.
 */
#include <stddef.h>

#include "world/world_impl.h"

typedef struct {
    double buy_probability; /* P(buy an examined item) */
} constant_segment;

static const scenario_key constant_keys[] = {
    {SECTION_SEGMENT, "buy_probability", KEY_DOUBLE, offsetof(constant_segment, buy_probability), 0, "0.1", 0, 1,
     "probability", "demand = constant: P(buy an examined item), whatever its price or discount", NULL, 0},
};

/* buy[j] = P(nothing bought above j) · η_j · p: the same at every level. */
static void constant_slate_model(const dsim_world *w, uint32_t u, const uint32_t *slate, int k,
                                 dsim__slate_model *out)
{
    (void)slate;
    double p = ((const constant_segment *)w->demand_segment[w->segment[u]])->buy_probability, reach = 1.0;
    for (int j = 0; j < k; j++) {
        double buy = reach * out->examine[j] * p;
        reach *= 1.0 - out->examine[j] * p;
        for (int l = 0; l < DSIM_LANES; l++) {
            out->hazard[j][l] = l < out->n_levels ? p : 0.0;
            out->buy[j][l] = l < out->n_levels ? buy : 0.0;
        }
    }
}

/* With vary = −1, out[0] is the expectation of `levels` as given. */
static void constant_expected_rewards_mixed(const dsim__slate_model *m, const int *levels, int vary, double *out)
{
    for (int l = 0; l < (vary < 0 ? 1 : m->n_levels); l++) {
        out[l] = 0.0;
        for (int j = 0; j < m->k; j++)
            out[l] += m->buy[j][0] * m->value[j][j == vary ? l : levels[j]];
    }
}

/* K uniforms, one per position: examined (u < η_j) and, within that, bought (u < η_j p). */
static void constant_choose(const dsim__slate_model *m, const int *levels, gsl_rng *rng, dsim_outcome *out)
{
    (void)levels;
    for (int j = 0; j < m->k; j++) {
        double u = gsl_rng_uniform(rng);
        if (out->position >= 0 || u >= m->examine[j])
            continue;
        out->n_examined++;
        if (u < m->examine[j] * m->hazard[j][0]) {
            out->position = j;
            out->clicked = 1u << j;
            out->n_clicks = 1;
        }
    }
}

const dsim__demand_type dsim__demand_constant = {
    .strategy = {"constant", "buy an examined item with a fixed probability whatever its price, so discounts never pay",
                 constant_keys, sizeof constant_keys / sizeof constant_keys[0], 0, sizeof(constant_segment), NULL},
    .slate_model = constant_slate_model,
    .expected_rewards = dsim__buy_expected_rewards,
    .purchase_probabilities = dsim__buy_purchase_probabilities,
    .expected_rewards_mixed = constant_expected_rewards_mixed,
    .choose = constant_choose,
};
