/*
 * demand_mnl.c — the default demand model: examine, click, then buy by multinomial logit; its exact
 * expected outcomes and the visit's draws.
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

/*
 * e^{V−V0} factorises: in the gain region (x ≤ 0) it is e^{base − β lr} · e^{−β ln(1−d) + γ[d>0]}, in the
 * loss region the same with β κ, where lr = ln(p_i/p̄) − ln(1 − r_u). That is 2K + 2L exponentials a visit
 * instead of K·L. A factor that overflows or underflows (extreme β κ) sends its row to the direct e^{V−V0}.
 */
static void mnl_slate_model(const dsim_world *w, uint32_t u, const uint32_t *slate, int k, dsim_slate_model *out)
{
    const dsim_scenario *sc = w->sc;
    int s = w->segment[u], n_levels = sc->discounts.n_levels, lanes = padded_lanes(n_levels);
    const float *eu = w->shopper_taste + (size_t)u * w->dim;
    double beta = w->beta[u] * w->beta_scale[s], kappa = sc->segments[s].loss_aversion, gamma = w->gamma[u];
    double log_keep_ref = log1p(-(double)w->reference[u]), exp_bias = exp(sc->behaviour.click_bias);
    double level_gain[DSIM_MAX_LEVELS], level_loss[DSIM_MAX_LEVELS], deal[DSIM_MAX_LEVELS];
    bool levels_finite = true;
    for (int l = 0; l < n_levels; l++) {
        deal[l] = sc->discounts.levels[l] > 0 ? gamma : 0.0;
        level_gain[l] = exp(-beta * w->log_keep[l] + deal[l]);
        level_loss[l] = exp(-beta * kappa * w->log_keep[l] + deal[l]);
        levels_finite &= isnormal(level_gain[l]) && isnormal(level_loss[l]);
    }
    for (int j = 0; j < k; j++) {
        uint32_t i = slate[j];
        double base = sc->behaviour.taste_weight * dot(eu, w->item_taste + (size_t)i * w->dim, w->dim) +
                      sc->segments[s].affinity - sc->behaviour.position_penalty * j - w->outside_utility;
        double log_ratio = w->log_price_ratio[i] - log_keep_ref;
        double item_gain = exp(base - beta * log_ratio), item_loss = exp(base - beta * kappa * log_ratio);
        bool factorised = levels_finite && isnormal(item_gain) && isnormal(item_loss);
        for (int l = 0; l < n_levels; l++) {
            double x = log_ratio + w->log_keep[l], weight;
            if (factorised)
                weight = x <= 0 ? item_gain * level_gain[l] : item_loss * level_loss[l];
            else
                weight = exp(base - beta * (x <= 0 ? x : kappa * x) + deal[l]);
            double odds = weight * exp_bias;
            out->weight[j][l] = weight;
            out->click[j][l] = isinf(odds) ? w->examine[j] : w->examine[j] * odds / (1.0 + odds);
        }
        for (int l = n_levels; l < lanes; l++)
            out->weight[j][l] = out->click[j][l] = 0.0;
    }
}

/* ---- exact expectation over click sets ----------------------------------------------------------------- */

/*
 * E[ Σ_{j∈C} a_j w_j / (1 + Σ_{j∈C} w_j) ] over click sets C (position j clicked independently with
 * probability q_j), for LANES independent problems at once. Meet in the middle: the positions are split in
 * two halves, each half's 2^h click sets are tabulated (probability, Σw, Σaw) by doubling, and every pair of
 * half-sets is one click set: p = p_A p_B, and the ratio (Σaw_A + Σaw_B) / (1 + Σw_A + Σw_B). LANES is a
 * compile-time constant so the lane loops vectorise; an AVX2 clone is chosen at load time where the
 * processor has it. Lanes never mix and C17 forbids contracting a*b+c into an FMA, so every instruction
 * set gives the same bits.
 */
#define HALF_SETS (1 << ((DSIM_MAX_SLATE + 1) / 2))

#define DEFINE_CLICK_SET_EXPECTATION(LANES)                                                                   \
    static inline __attribute__((always_inline)) int half_sets_##LANES(                                       \
        int from, int to, const double (*q)[DSIM_LANES], const double (*w)[DSIM_LANES],                       \
        const double (*a)[DSIM_LANES], double (*p)[LANES], double (*sw)[LANES], double (*saw)[LANES])         \
    {                                                                                                         \
        int n = 1;                                                                                            \
        for (int l = 0; l < LANES; l++) {                                                                     \
            p[0][l] = 1.0;                                                                                    \
            sw[0][l] = saw[0][l] = 0.0;                                                                       \
        }                                                                                                     \
        for (int j = from; j < to; j++, n *= 2)                                                               \
            for (int m = 0; m < n; m++)                                                                       \
                for (int l = 0; l < LANES; l++) {                                                             \
                    p[m + n][l] = p[m][l] * q[j][l];                                                          \
                    p[m][l] *= 1.0 - q[j][l];                                                                 \
                    sw[m + n][l] = sw[m][l] + w[j][l];                                                        \
                    saw[m + n][l] = saw[m][l] + a[j][l] * w[j][l];                                            \
                }                                                                                             \
        return n;                                                                                             \
    }                                                                                                         \
                                                                                                              \
    __attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) static void expect_##LANES(           \
        int k, const double (*q)[DSIM_LANES], const double (*w)[DSIM_LANES], const double (*a)[DSIM_LANES],   \
        double *acc)                                                                                          \
    {                                                                                                         \
        double pa[HALF_SETS][LANES], swa[HALF_SETS][LANES], sawa[HALF_SETS][LANES];                           \
        double pb[HALF_SETS][LANES], swb[HALF_SETS][LANES], sawb[HALF_SETS][LANES];                           \
        int h = k / 2;                                                                                        \
        int na = half_sets_##LANES(0, h, q, w, a, pa, swa, sawa);                                             \
        int nb = half_sets_##LANES(h, k, q, w, a, pb, swb, sawb);                                             \
        for (int l = 0; l < LANES; l++)                                                                       \
            acc[l] = 0.0;                                                                                     \
        for (int x = 0; x < na; x++) {                                                                        \
            for (int l = 0; l < LANES; l++)                                                                   \
                swa[x][l] += 1.0; /* the outside option's weight */                                           \
            for (int y = 0; y < nb; y++)                                                                      \
                for (int l = 0; l < LANES; l++)                                                               \
                    acc[l] += pa[x][l] * pb[y][l] * (sawa[x][l] + sawb[y][l]) / (swa[x][l] + swb[y][l]);      \
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

static void mnl_expected_rewards(const dsim_slate_model *m, double *out)
{
    expect(m->k, m->n_levels, m->click, m->weight, m->value, out);
}

static void mnl_purchase_probabilities(const dsim_slate_model *m, int level, double *p)
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

/* Each row j holds position j's values at levels[j] in every lane, except row `vary`, which holds its values
   at each level, lane by lane. */
static void mnl_expected_rewards_mixed(const dsim_slate_model *m, const int *levels, int vary, double *out)
{
    double q[DSIM_MAX_SLATE][DSIM_LANES], w[DSIM_MAX_SLATE][DSIM_LANES], a[DSIM_MAX_SLATE][DSIM_LANES];
    int lanes = vary >= 0 ? m->n_levels : 1;
    for (int j = 0; j < m->k; j++)
        for (int l = 0; l < DSIM_LANES; l++) {
            int level = j == vary ? l : levels[j];
            bool used = j != vary || l < m->n_levels;
            q[j][l] = used ? m->click[j][level] : 0.0;
            w[j][l] = used ? m->weight[j][level] : 0.0;
            a[j][l] = used ? m->value[j][level] : 0.0;
        }
    expect(m->k, lanes, (const double(*)[DSIM_LANES])q, (const double(*)[DSIM_LANES])w,
           (const double(*)[DSIM_LANES])a, out);
}

/* ---- one visit ------------------------------------------------------------------------------------------- */

/*
 * The draws, always 2K + 1 uniforms in this order whatever the outcome, so that two policies facing the
 * same shopper at the same visit use the same uniforms for the same decisions: per position an examine
 * and a click uniform, then the purchase uniform.
 */
static void mnl_choose(const dsim_slate_model *m, const int *levels, gsl_rng *rng, dsim_outcome *out)
{
    double weight[DSIM_MAX_SLATE], total = 1.0; /* the outside option's weight is 1 */
    for (int j = 0; j < m->k; j++) {
        double u_examine = gsl_rng_uniform(rng), u_click = gsl_rng_uniform(rng);
        /* click = η_j σ(·): examined with probability η_j, then clicked with σ(·) = click / η_j */
        bool examined = u_examine < m->examine[j];
        bool clicked = examined && u_click < m->click[j][levels[j]] / m->examine[j];
        out->n_examined += examined;
        weight[j] = clicked ? m->weight[j][levels[j]] : 0.0;
        if (clicked) {
            out->clicked |= 1u << j;
            out->n_clicks++;
            total += weight[j];
        }
    }
    double target = gsl_rng_uniform(rng) * total;
    if (target < 1.0)
        return;
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

const dsim__demand_type dsim__demand_mnl = {
    .slate_model = mnl_slate_model,
    .expected_rewards = mnl_expected_rewards,
    .purchase_probabilities = mnl_purchase_probabilities,
    .expected_rewards_mixed = mnl_expected_rewards_mixed,
    .choose = mnl_choose,
};
