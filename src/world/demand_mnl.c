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
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/clones.h"
#include "dsim/rng.h"
#include "world/world_impl.h" /* its GSL headers declare the CBLAS calls (OpenBLAS implements them) */

/* Eight lanes of doubles (levels, or independent problems) as one GCC vector, and its comparison mask:
   every instruction set runs the same operations in the same order, so they all give the same bits. */
typedef double lanes8 __attribute__((vector_size(8 * sizeof(double))));
typedef long long mask8 __attribute__((vector_size(8 * sizeof(double))));

/* m ? if_true : if_false, lane by lane (a macro: a function returning a vector would change the ABI). */
#define SELECT8(m, if_true, if_false) ((lanes8)(((mask8)(if_true) & (m)) | ((mask8)(if_false) & ~(m))))

/* ---- the visit's choice model ------------------------------------------------------------------------ */

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

/* a ⟨e_u, e_i⟩ + affinity − position_penalty · j − V0: the utility before its price term. */
static inline __attribute__((always_inline)) double utility_base(const dsim_world *w, int segment, const float *eu,
                                                                 uint32_t item, int position)
{
    const dsim_scenario *sc = w->sc;
    return sc->behaviour.taste_weight * dsim__taste_dot(eu, w->item_taste + (size_t)item * w->dim, w->dim) +
           sc->segments[segment].affinity - sc->behaviour.position_penalty * position - w->outside_utility;
}

/* The taste part of every item at once, a ⟨e_u, e_i⟩, by one BLAS matrix–vector product (in float: the
   truth ranking is a measurement, it needs no more), then the price part item by item. */
void dsim_world_true_utilities(const dsim_world *w, uint32_t u, float *out)
{
    const dsim_scenario *sc = w->sc;
    int s = w->segment[u];
    const float *eu = w->shopper_taste + (size_t)u * w->dim;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)w->n_items, w->dim, (float)sc->behaviour.taste_weight,
                w->item_taste, w->dim, eu, 1, 0.0f, out, 1);
    double beta = w->beta[u] * w->beta_scale[s], kappa = sc->segments[s].loss_aversion;
    double constant = sc->segments[s].affinity - w->outside_utility, log_keep_ref = log1p(-(double)w->reference[u]);
    for (uint32_t i = 0; i < w->n_items; i++) {
        double x = w->log_price_ratio[i] - log_keep_ref;
        out[i] = (float)(out[i] + constant - beta * (x <= 0 ? x : kappa * x));
    }
}

/* The largest utility V − V0 the model exponentiates: e^600 ≈ 4e260 leaves room for sums and products
   of a slate's weights and prices within a double. */
#define MAX_UTILITY 600.0
#define MAX_WEIGHT 3.7730203009299397e260 /* e^MAX_UTILITY */

/* e^x, skipping the call where x is exactly 0 (level 0 has no discount and no deal bonus). */
static double exp_or_one(double x)
{
    return x == 0.0 ? 1.0 : exp(x);
}

/*
 * e^{V−V0} factorises: in the gain region (x ≤ 0) it is e^{base − β lr} · e^{−β ln(1−d) + γ[d>0]}, in the
 * loss region the same with β κ, where lr = ln(p_i/p̄) − ln(1 − r_u). Only the factors of regions some
 * item of the slate reaches at some level are computed: at most 2K + 2L exponentials a visit instead of
 * K·L. A factor that overflows or underflows (extreme β κ) sends its row to the direct e^{V−V0}.
 */
DSIM_CLONES("arch=x86-64-v4", "avx2", "default") static void mnl_slate_model(
    const dsim_world *w, uint32_t u, const uint32_t *slate, int k, dsim__slate_model *out)
{
    const dsim_scenario *sc = w->sc;
    int s = w->segment[u], n_levels = sc->discounts.n_levels, lanes = padded_lanes(n_levels);
    const float *eu = w->shopper_taste + (size_t)u * w->dim;
    double beta = w->beta[u] * w->beta_scale[s], kappa = sc->segments[s].loss_aversion, gamma = w->gamma[u];
    double log_keep_ref = log1p(-(double)w->reference[u]);
    double log_ratio[DSIM_MAX_SLATE], lr_min = INFINITY, lr_max = -INFINITY;
    for (int j = 0; j < k; j++) {
        log_ratio[j] = w->log_price_ratio[slate[j]] - log_keep_ref;
        lr_min = log_ratio[j] < lr_min ? log_ratio[j] : lr_min;
        lr_max = log_ratio[j] > lr_max ? log_ratio[j] : lr_max;
    }
    double level_gain[DSIM_LANES] = {0}, level_loss[DSIM_LANES] = {0}, deal[DSIM_LANES] = {0};
    bool levels_finite = true;
    double max_gain = 0, max_loss = 0; /* the largest level factors: bound every product below */
    for (int l = 0; l < n_levels; l++) {
        deal[l] = sc->discounts.levels[l] > 0 ? gamma : 0.0;
        if (lr_min + w->log_keep[l] <= 0) {
            level_gain[l] = exp_or_one(-beta * w->log_keep[l] + deal[l]);
            levels_finite &= isnormal(level_gain[l]);
            max_gain = fmax(max_gain, level_gain[l]);
        }
        if (lr_max + w->log_keep[l] > 0) {
            level_loss[l] = exp_or_one(-beta * kappa * w->log_keep[l] + deal[l]);
            levels_finite &= isnormal(level_loss[l]);
            max_loss = fmax(max_loss, level_loss[l]);
        }
    }
    double min_log_keep = INFINITY, max_log_keep = -INFINITY, exp_bias = w->click_odds_scale;
    for (int l = 0; l < n_levels; l++) {
        min_log_keep = w->log_keep[l] < min_log_keep ? w->log_keep[l] : min_log_keep;
        max_log_keep = w->log_keep[l] > max_log_keep ? w->log_keep[l] : max_log_keep;
    }
    for (int j = 0; j < k; j++) {
        double base = utility_base(w, s, eu, slate[j], j), lr = log_ratio[j];
        bool gains = lr + min_log_keep <= 0, losses = lr + max_log_keep > 0;
        double item_gain = gains ? exp(base - beta * lr) : 1.0;
        double item_loss = losses ? exp(base - beta * kappa * lr) : 1.0;
        double examine = w->examine[j];
        /* Lanes past n_levels have zero level factors, so zero weight and zero click. A row whose factors
           are not normal, or whose products could pass e^MAX_UTILITY, is computed directly, capped. */
        bool factorised = levels_finite && isnormal(item_gain) && isnormal(item_loss) &&
                          item_gain * max_gain <= MAX_WEIGHT && item_loss * max_loss <= MAX_WEIGHT;
        for (int l0 = 0; l0 < lanes; l0 += 8) {
            lanes8 keep, gain, loss, weight;
            memcpy(&keep, w->log_keep + l0, sizeof keep);
            memcpy(&gain, level_gain + l0, sizeof gain);
            memcpy(&loss, level_loss + l0, sizeof loss);
            if (factorised) {
                mask8 in_gain = lr + keep <= 0;
                weight = SELECT8(in_gain, item_gain * gain, item_loss * loss);
            } else {
                /* Utilities are capped at MAX_UTILITY: e^V stays finite (a sale that certain is certain
                   either way), so extreme price sensitivities give no inf/inf downstream. */
                for (int l = l0; l < l0 + 8; l++) {
                    double x = lr + w->log_keep[l];
                    weight[l - l0] =
                        l < n_levels ? exp(fmin(base - beta * (x <= 0 ? x : kappa * x) + deal[l], MAX_UTILITY)) : 0.0;
                }
            }
            lanes8 odds = weight * exp_bias, logistic = examine * odds / (1.0 + odds);
            mask8 saturated = odds == INFINITY;
            lanes8 click = SELECT8(saturated, (lanes8){0} + examine, logistic);
            memcpy(out->weight[j] + l0, &weight, sizeof weight);
            memcpy(out->click[j] + l0, &click, sizeof click);
        }
    }
}

/* ---- exact expectation over click sets ----------------------------------------------------------------- */

/*
 * E[ Σ_{j∈C} a_j w_j / (1 + Σ_{j∈C} w_j) ] over click sets C (position j clicked independently with
 * probability q_j), for eight independent problems (lanes) at once. Meet in the middle: the positions are
 * split in two halves, each half's 2^h click sets are tabulated (probability, Σw, Σaw) by doubling, and
 * every pair of half-sets is one click set: p = p_A p_B, and the ratio (Σaw_A + Σaw_B) / (1 + Σw_A + Σw_B).
 * The lanes are GCC vector types, so every instruction set runs the same operations in the same order;
 * C17 forbids contracting a*b+c into an FMA, so they all give the same bits. An AVX-512 or AVX2 clone is
 * chosen at load time where the processor has it.
 */
#define HALF_SETS (1 << ((DSIM_MAX_SLATE + 1) / 2))
#define INVERT_GROUP 8

static inline __attribute__((always_inline)) int half_sets(int from, int to, int lane0,
                                                           const double (*q)[DSIM_LANES],
                                                           const double (*w)[DSIM_LANES],
                                                           const double (*a)[DSIM_LANES], lanes8 *p, lanes8 *sw,
                                                           lanes8 *saw)
{
    int n = 1;
    p[0] = (lanes8){1, 1, 1, 1, 1, 1, 1, 1};
    sw[0] = saw[0] = (lanes8){0};
    for (int j = from; j < to; j++, n *= 2) {
        lanes8 qj, wj, aj;
        memcpy(&qj, q[j] + lane0, sizeof qj);
        memcpy(&wj, w[j] + lane0, sizeof wj);
        memcpy(&aj, a[j] + lane0, sizeof aj);
        lanes8 awj = aj * wj;
        for (int m = 0; m < n; m++) {
            p[m + n] = p[m] * qj;
            p[m] *= 1.0 - qj;
            sw[m + n] = sw[m] + wj;
            saw[m + n] = saw[m] + awj;
        }
    }
    return n;
}

/*
 * Σ_y p_A p_B,y (Σaw_A + Σaw_B,y) / D_y with D_y = Σw_A + Σw_B,y over g half-sets B. Montgomery's batch
 * inversion: one division for the group and three products per member instead of g divisions (a vector
 * division costs as much as ten products). D_y ≥ 1, so the running products only grow; if one overflows,
 * the group is divided directly. Either way the result is within a few ulps of direct division.
 */
static inline __attribute__((always_inline)) void pair_group(int g, const lanes8 *pa, const lanes8 *swa,
                                                             const lanes8 *sawa, const lanes8 *pb,
                                                             const lanes8 *swb, const lanes8 *sawb, lanes8 *sum)
{
    lanes8 prefix[INVERT_GROUP];
    prefix[0] = *swa + swb[0];
    for (int y = 1; y < g; y++)
        prefix[y] = prefix[y - 1] * (*swa + swb[y]);
    long overflow = 0;
    for (int l = 0; l < 8; l++)
        overflow |= !(prefix[g - 1][l] <= DBL_MAX);
    if (overflow) {
        for (int y = 0; y < g; y++)
            *sum += *pa * pb[y] * (*sawa + sawb[y]) / (*swa + swb[y]);
        return;
    }
    lanes8 inverse = 1.0 / prefix[g - 1];
    for (int y = g - 1; y > 0; y--) {
        lanes8 reciprocal = inverse * prefix[y - 1];
        inverse *= *swa + swb[y];
        *sum += *pa * pb[y] * (*sawa + sawb[y]) * reciprocal;
    }
    *sum += *pa * pb[0] * (*sawa + sawb[0]) * inverse;
}

/* Lanes lane0 … lane0+7 of the expectation, into out[lane0 …]. */
DSIM_CLONES("arch=x86-64-v4", "avx2", "default") static void expect_lanes8(
    int k, int lane0, const double (*q)[DSIM_LANES], const double (*w)[DSIM_LANES], const double (*a)[DSIM_LANES],
    double *out)
{
    lanes8 pa[HALF_SETS], swa[HALF_SETS], sawa[HALF_SETS], pb[HALF_SETS], swb[HALF_SETS], sawb[HALF_SETS];
    int h = k / 2;
    int na = half_sets(0, h, lane0, q, w, a, pa, swa, sawa);
    int nb = half_sets(h, k, lane0, q, w, a, pb, swb, sawb);
    lanes8 acc = {0};
    for (int x = 0; x < na; x++) {
        lanes8 with_outside = swa[x] + 1.0; /* the outside option's weight is 1 */
        for (int y0 = 0; y0 < nb; y0 += INVERT_GROUP)
            pair_group(nb - y0 < INVERT_GROUP ? nb - y0 : INVERT_GROUP, &pa[x], &with_outside, &sawa[x], pb + y0,
                       swb + y0, sawb + y0, &acc);
    }
    memcpy(out + lane0, &acc, sizeof acc);
}

static void expect(int k, int lanes, const double (*q)[DSIM_LANES], const double (*w)[DSIM_LANES],
                   const double (*a)[DSIM_LANES], double *out)
{
    double acc[DSIM_LANES];
    for (int lane0 = 0; lane0 < lanes; lane0 += 8)
        expect_lanes8(k, lane0, q, w, a, acc);
    memcpy(out, acc, sizeof(double) * (size_t)lanes);
}

static void mnl_expected_rewards(const dsim__slate_model *m, double *out)
{
    expect(m->k, m->n_levels, m->click, m->weight, m->value, out);
}

static void mnl_purchase_probabilities(const dsim__slate_model *m, int level, double *p)
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
static void mnl_expected_rewards_mixed(const dsim__slate_model *m, const int *levels, int vary, double *out)
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
static void mnl_choose(const dsim__slate_model *m, const int *levels, gsl_rng *rng, dsim_outcome *out)
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
    .strategy = {"mnl", "multinomial logit among clicked items, with reference prices (the default)", NULL, 0, 0, 0,
                 NULL},
    .slate_model = mnl_slate_model,
    .expected_rewards = mnl_expected_rewards,
    .purchase_probabilities = mnl_purchase_probabilities,
    .expected_rewards_mixed = mnl_expected_rewards_mixed,
    .choose = mnl_choose,
};
