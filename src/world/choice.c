/*
 * choice.c — what a shopper does with a slate: the visit's choice model, exact expected outcomes, and the
 * visit's draws.
 *
 * The model (formulas in dsim/world.h): examine position j with probability η_j, click an examined item
 * with probability σ(V − V0 + click_bias), buy at most one clicked item by multinomial logit against the
 * outside option. The expected purchase of every item is a sum over the 2^K possible click sets;
 * K ≤ DSIM_MAX_SLATE keeps that exact sum cheap enough to run on every visit for every level, which gives
 * each visit its pseudo-regret against the myopic oracle (design.md §2).
 */
#include <math.h>
#include <string.h>

#include "dsim/rng.h"
#include "world/world_impl.h"

/* ---- the visit's choice model ------------------------------------------------------------------------ */

static double dot(const float *a, const float *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += (double)a[j] * b[j];
    return s;
}

static double objective_value(const dsim_world *w, uint32_t item, int level)
{
    double paid = w->price[item] * (1.0 - w->sc->discounts.levels[level]);
    switch (w->sc->discounts.objective) {
    case DSIM_OBJECTIVE_REVENUE:
        return paid;
    case DSIM_OBJECTIVE_PROFIT:
        return paid - w->cost[item];
    case DSIM_OBJECTIVE_CONVERSIONS:
        return 1.0;
    }
    return 0.0;
}

/*
 * For shopper u, item i at position j and discount d (utilities relative to V0, so the outside option's
 * MNL weight is e^0 = 1):
 *   x = ln( p_i (1 − d) / (p̄ (1 − r_u)) )
 *   V − V0 = a ⟨e_u, e_i⟩ − position_penalty · j − β_u (x ≤ 0 ? x : κ x) + γ_u [d > 0] − V0
 *   weight = e^{V − V0},   click = η_j σ(V − V0 + click_bias) = η_j · weight e^b / (1 + weight e^b)
 */
/* Lanes the expectation runs on: n_levels rounded up to a fixed width (the rest are zero). */
static int padded_lanes(int n_levels)
{
    return n_levels <= 8 ? 8 : DSIM_LANES;
}

void dsim_world_slate_model(const dsim_world *w, uint32_t u, const uint32_t *slate, int k, dsim_slate_model *out)
{
    const dsim_scenario *sc = w->sc;
    int s = w->segment[u], n_levels = sc->discounts.n_levels, lanes = padded_lanes(n_levels);
    const float *eu = w->shopper_taste + (size_t)u * w->dim;
    double beta = w->beta[u] * w->beta_scale[s], kappa = sc->segments[s].loss_aversion, gamma = w->gamma[u];
    double log_keep_ref = log1p(-(double)w->reference[u]), exp_bias = exp(sc->behaviour.click_bias);
    out->shopper = u;
    out->k = k;
    out->n_levels = n_levels;
    for (int j = 0; j < k; j++) {
        uint32_t i = slate[j];
        out->items[j] = i;
        double base = sc->behaviour.taste_weight * dot(eu, w->item_taste + (size_t)i * w->dim, w->dim) -
                      sc->behaviour.position_penalty * j - w->outside_utility;
        double log_ratio = w->log_price_ratio[i] - log_keep_ref;
        for (int l = 0; l < n_levels; l++) {
            double x = log_ratio + w->log_keep[l];
            double v = base - beta * (x <= 0 ? x : kappa * x) + (sc->discounts.levels[l] > 0 ? gamma : 0.0);
            double weight = exp(v), odds = weight * exp_bias;
            out->weight[j][l] = weight;
            out->click[j][l] = isinf(odds) ? w->examine[j] : w->examine[j] * odds / (1.0 + odds);
            out->value[j][l] = objective_value(w, i, l);
        }
        for (int l = n_levels; l < lanes; l++)
            out->weight[j][l] = out->click[j][l] = out->value[j][l] = 0.0;
    }
}

/* ---- exact expectation over click sets ----------------------------------------------------------------- */

/*
 * E[ Σ_{j∈C} a_j w_j / (1 + Σ_{j∈C} w_j) ] over click sets C (position j clicked independently with
 * probability q_j), for LANES independent problems at once. Masks are visited in counting order with bit
 * (k−1−j) standing for position j, so consecutive masks share all but their last positions: partial[d] holds
 * the probability, Σw and Σaw of the choices for positions 0..d−1, and only the changed tail is recomputed
 * (two steps per mask on average). LANES is a compile-time constant so the lane loops vectorise; an AVX2
 * clone is chosen at load time where the processor has it. Lanes never mix and C17 forbids contracting
 * a*b+c into an FMA, so every instruction set gives the same bits.
 */
#define DEFINE_CLICK_SET_EXPECTATION(LANES)                                                                   \
    __attribute__((target_clones("avx2", "default"))) static void expect_##LANES(                             \
        int k, const double (*q)[DSIM_LANES], const double (*w)[DSIM_LANES], const double (*a)[DSIM_LANES],   \
        double *acc)                                                                                          \
    {                                                                                                         \
        /* step[d][c]: factor, Σw and Σaw increments of position d not clicked (c = 0) or clicked (c = 1) */  \
        double factor[DSIM_MAX_SLATE][2][LANES], add_w[DSIM_MAX_SLATE][2][LANES];                             \
        double add_aw[DSIM_MAX_SLATE][2][LANES];                                                              \
        double p[DSIM_MAX_SLATE + 1][LANES], sw[DSIM_MAX_SLATE + 1][LANES], saw[DSIM_MAX_SLATE + 1][LANES];   \
        for (int d = 0; d < k; d++)                                                                           \
            for (int l = 0; l < LANES; l++) {                                                                 \
                factor[d][0][l] = 1.0 - q[d][l];                                                              \
                factor[d][1][l] = q[d][l];                                                                    \
                add_w[d][0][l] = add_aw[d][0][l] = 0.0;                                                       \
                add_w[d][1][l] = w[d][l];                                                                     \
                add_aw[d][1][l] = a[d][l] * w[d][l];                                                          \
            }                                                                                                 \
        for (int l = 0; l < LANES; l++) {                                                                     \
            p[0][l] = 1.0;                                                                                    \
            sw[0][l] = saw[0][l] = acc[l] = 0.0;                                                              \
        }                                                                                                     \
        for (uint32_t mask = 0; mask < (1u << k); mask++) {                                                   \
            int first = mask ? k - 1 - __builtin_ctz(mask) : 0;                                               \
            for (int d = first; d < k; d++) {                                                                 \
                int c = (int)(mask >> (k - 1 - d) & 1u);                                                      \
                for (int l = 0; l < LANES; l++) {                                                             \
                    p[d + 1][l] = p[d][l] * factor[d][c][l];                                                  \
                    sw[d + 1][l] = sw[d][l] + add_w[d][c][l];                                                 \
                    saw[d + 1][l] = saw[d][l] + add_aw[d][c][l];                                              \
                }                                                                                             \
            }                                                                                                 \
            /* mask 0 (nothing clicked) adds p · 0 / 1 = 0 */                                                 \
            for (int l = 0; l < LANES; l++)                                                                   \
                acc[l] += p[k][l] * saw[k][l] / (1.0 + sw[k][l]);                                             \
        }                                                                                                     \
    }

DEFINE_CLICK_SET_EXPECTATION(8)
DEFINE_CLICK_SET_EXPECTATION(16)

static void expect(int k, int lanes, const double (*q)[DSIM_LANES], const double (*w)[DSIM_LANES],
                   const double (*a)[DSIM_LANES], double *out)
{
    double acc[DSIM_LANES];
    if (padded_lanes(lanes) == 8)
        expect_8(k, q, w, a, acc);
    else
        expect_16(k, q, w, a, acc);
    memcpy(out, acc, sizeof(double) * (size_t)lanes);
}

void dsim_slate_expected_rewards(const dsim_slate_model *m, double *out)
{
    expect(m->k, m->n_levels, m->click, m->weight, m->value, out);
}

void dsim_slate_purchase_probabilities(const dsim_slate_model *m, int level, double *p)
{
    /* Lane j values only position j: its expectation is P(buy position j). */
    double q[DSIM_MAX_SLATE][DSIM_LANES] = {{0}}, w[DSIM_MAX_SLATE][DSIM_LANES] = {{0}};
    double a[DSIM_MAX_SLATE][DSIM_LANES] = {{0}};
    for (int j = 0; j < m->k; j++)
        for (int lane = 0; lane < m->k; lane++) {
            q[j][lane] = m->click[j][level];
            w[j][lane] = m->weight[j][level];
            a[j][lane] = lane == j;
        }
    expect(m->k, m->k, (const double(*)[DSIM_LANES])q, (const double(*)[DSIM_LANES])w,
           (const double(*)[DSIM_LANES])a, p);
    double bought = 0;
    for (int j = 0; j < m->k; j++)
        bought += p[j];
    p[m->k] = 1.0 - bought;
}

/* ---- one visit ------------------------------------------------------------------------------------------- */

/*
 * The draws, always 2K + 2 uniforms in this order whatever the outcome, so that two policies facing the
 * same shopper at the same visit use the same uniforms for the same decisions: per position an examine
 * and a click uniform, then the purchase uniform, then the churn uniform.
 */
void dsim_world_visit(dsim_world *w, const dsim_slate_model *m, int level, gsl_rng *rng, dsim_outcome *out)
{
    const dsim_scenario *sc = w->sc;
    uint32_t u = m->shopper;
    const dsim_segment_config *seg = &sc->segments[w->segment[u]];
    double d = sc->discounts.levels[level];
    memset(out, 0, sizeof *out);
    out->position = -1;

    double weight[DSIM_MAX_SLATE], total = 1.0; /* the outside option's weight is 1 */
    for (int j = 0; j < m->k; j++) {
        double u_examine = gsl_rng_uniform(rng), u_click = gsl_rng_uniform(rng);
        /* click = η_j σ(·): examined with probability η_j, then clicked with σ(·) = click / η_j */
        bool examined = u_examine < w->examine[j];
        bool clicked = examined && u_click < m->click[j][level] / w->examine[j];
        out->n_examined += examined;
        weight[j] = clicked ? m->weight[j][level] : 0.0;
        if (clicked) {
            out->clicked |= 1u << j;
            out->n_clicks++;
            total += weight[j];
        }
    }
    double target = gsl_rng_uniform(rng) * total;
    if (target >= 1.0) {
        double cum = 1.0;
        int last_clicked = -1;
        for (int j = 0; j < m->k && out->position < 0; j++) {
            if (weight[j] <= 0)
                continue;
            last_clicked = j;
            cum += weight[j];
            if (target < cum)
                out->position = j;
        }
        if (out->position < 0) /* rounding at the top end */
            out->position = last_clicked;
    }
    if (out->position >= 0) {
        uint32_t i = m->items[out->position];
        out->item = i;
        out->price_paid = w->price[i] * (1.0 - d);
        out->revenue = out->price_paid;
        out->profit = out->price_paid - w->cost[i];
        out->discount_spend = w->price[i] * d;
        out->reward = m->value[out->position][level];
    }

    /* Shopper state: r ← λ r + (1 − λ) d; churn rises after a visit without purchase, recovers after one. */
    w->reference[u] = (float)(seg->memory * w->reference[u] + (1.0 - seg->memory) * d);
    double h = w->churn[u];
    if (out->position >= 0)
        h = seg->churn_base + (h - seg->churn_base) * seg->churn_recovery;
    else
        h = fmin(1.0, h + seg->churn_unhappy);
    out->churned = gsl_rng_uniform(rng) < h;
    w->churn[u] = out->churned ? -1.0f : (float)h;
}
