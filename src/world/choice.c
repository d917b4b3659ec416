/*
 * choice.c — what a shopper does with a slate: utilities, exact expected outcomes, and the visit's draws.
 *
 * The model (see dsim/world.h for the formulas): examine position k with probability η_k, click an
 * examined item with probability σ(V − V0 + click_bias), buy at most one clicked item by multinomial logit
 * against the outside option. The expected purchase of every item is a sum over the 2^K possible click
 * sets; K ≤ DSIM_MAX_SLATE keeps that exact sum cheap enough to run on every visit, for every level, which
 * is what gives each visit its pseudo-regret against the myopic oracle (design.md §2).
 */
#include <math.h>
#include <string.h>

#include "dsim/rng.h"
#include "world/world_impl.h"

/* ---- utilities ----------------------------------------------------------------------------------- */

static double dot(const float *a, const float *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += (double)a[j] * b[j];
    return s;
}

/* Per-visit inputs that do not depend on the level. */
typedef struct {
    double taste[DSIM_MAX_SLATE];  /* a ⟨e_u, e_i⟩ − position_penalty · k */
    double log_ratio[DSIM_MAX_SLATE]; /* ln(p_i / p̄) − ln(1 − r_u) */
    double beta, kappa, gamma;
} visit_terms;

static void visit_terms_init(const dsim_world *w, uint32_t u, const uint32_t *slate, int k, visit_terms *t)
{
    const dsim_scenario *sc = w->sc;
    int s = w->segment[u];
    const float *eu = w->shopper_taste + (size_t)u * w->dim;
    double log_keep_ref = log1p(-(double)w->reference[u]);
    for (int j = 0; j < k; j++) {
        uint32_t i = slate[j];
        t->taste[j] = sc->behaviour.taste_weight * dot(eu, w->item_taste + (size_t)i * w->dim, w->dim) -
                      sc->behaviour.position_penalty * j;
        t->log_ratio[j] = w->log_price_ratio[i] - log_keep_ref;
    }
    t->beta = w->beta[u] * w->beta_scale[s];
    t->kappa = sc->segments[s].loss_aversion;
    t->gamma = w->gamma[u];
}

/*
 * V_ui − V0 at level l, for position j:
 *   x = ln(p_i (1 − d) / (p̄ (1 − r_u)));   V = a⟨e_u,e_i⟩ − β (x ≤ 0 ? x : κ x) + γ [d > 0] − pos·j
 * Utilities are kept relative to V0, so the outside option's weight is e^0 = 1.
 */
static double relative_utility(const dsim_world *w, const visit_terms *t, int j, int level)
{
    double d = w->sc->discounts.levels[level];
    double x = t->log_ratio[j] + w->log_keep[level];
    double price_term = x <= 0 ? x : t->kappa * x;
    return t->taste[j] - t->beta * price_term + (d > 0 ? t->gamma : 0.0) - w->outside_utility;
}

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* ---- exact expectation over click sets -------------------------------------------------------------- */

/*
 * E[ Σ_{i∈C} a_i w_i / (1 + Σ_{i∈C} w_i) ] over click sets C, items clicked independently with
 * probability q_i, computed for `lanes` independent problems at once ((k, lanes) arrays). Depth-first over
 * the items: each node carries the probability of the choices so far, and the partial sums of w and a·w.
 */
typedef struct {
    int k, lanes;
    const double *q, *w, *a; /* (k, lanes) */
    double *acc;             /* (lanes,) */
} click_sets;

static void click_sets_walk(const click_sets *cs, int depth, const double *p, const double *sw, const double *saw)
{
    int L = cs->lanes;
    if (depth == cs->k) {
        for (int l = 0; l < L; l++)
            cs->acc[l] += p[l] * saw[l] / (1.0 + sw[l]);
        return;
    }
    double p_in[DSIM_MAX_LEVELS + DSIM_MAX_SLATE], p_out[DSIM_MAX_LEVELS + DSIM_MAX_SLATE];
    double sw_in[DSIM_MAX_LEVELS + DSIM_MAX_SLATE], saw_in[DSIM_MAX_LEVELS + DSIM_MAX_SLATE];
    const double *q = cs->q + depth * L, *w = cs->w + depth * L, *a = cs->a + depth * L;
    for (int l = 0; l < L; l++) {
        p_in[l] = p[l] * q[l];
        p_out[l] = p[l] - p_in[l];
        sw_in[l] = sw[l] + w[l];
        saw_in[l] = saw[l] + a[l] * w[l];
    }
    click_sets_walk(cs, depth + 1, p_in, sw_in, saw_in);
    click_sets_walk(cs, depth + 1, p_out, sw, saw);
}

static void click_sets_expect(const click_sets *cs)
{
    double one[DSIM_MAX_LEVELS + DSIM_MAX_SLATE], zero[DSIM_MAX_LEVELS + DSIM_MAX_SLATE] = {0};
    for (int l = 0; l < cs->lanes; l++) {
        one[l] = 1.0;
        cs->acc[l] = 0.0;
    }
    click_sets_walk(cs, 0, one, zero, zero);
}

/* Click probability and MNL weight of position j at level l. */
static void click_and_weight(const dsim_world *w, const visit_terms *t, int j, int level, double *q, double *wt)
{
    double v = relative_utility(w, t, j, level);
    *q = w->examine[j] * sigmoid(v + w->sc->behaviour.click_bias);
    *wt = exp(v);
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

void dsim_world_purchase_probabilities(const dsim_world *w, uint32_t shopper, const uint32_t *slate, int k,
                                       int level, double *p)
{
    /* One lane per item: lane m values only item m. */
    double q[DSIM_MAX_SLATE * DSIM_MAX_SLATE], wt[DSIM_MAX_SLATE * DSIM_MAX_SLATE], a[DSIM_MAX_SLATE * DSIM_MAX_SLATE];
    visit_terms t;
    visit_terms_init(w, shopper, slate, k, &t);
    for (int j = 0; j < k; j++) {
        double qj, wj;
        click_and_weight(w, &t, j, level, &qj, &wj);
        for (int m = 0; m < k; m++) {
            q[j * k + m] = qj;
            wt[j * k + m] = wj;
            a[j * k + m] = m == j ? 1.0 : 0.0;
        }
    }
    click_sets cs = {.k = k, .lanes = k, .q = q, .w = wt, .a = a, .acc = p};
    click_sets_expect(&cs);
    double bought = 0;
    for (int j = 0; j < k; j++)
        bought += p[j];
    p[k] = 1.0 - bought;
}

void dsim_world_expected_rewards(const dsim_world *w, uint32_t shopper, const uint32_t *slate, int k, double *out)
{
    int L = w->sc->discounts.n_levels;
    double q[DSIM_MAX_SLATE * DSIM_MAX_LEVELS], wt[DSIM_MAX_SLATE * DSIM_MAX_LEVELS], a[DSIM_MAX_SLATE * DSIM_MAX_LEVELS];
    visit_terms t;
    visit_terms_init(w, shopper, slate, k, &t);
    for (int j = 0; j < k; j++)
        for (int l = 0; l < L; l++) {
            click_and_weight(w, &t, j, l, &q[j * L + l], &wt[j * L + l]);
            a[j * L + l] = objective_value(w, slate[j], l);
        }
    click_sets cs = {.k = k, .lanes = L, .q = q, .w = wt, .a = a, .acc = out};
    click_sets_expect(&cs);
}

/* ---- one visit ------------------------------------------------------------------------------------- */

/*
 * The draws, always 2K + 2 uniforms in this order whatever the outcome, so that two policies facing the
 * same shopper at the same visit use the same uniforms for the same decisions: per position an examine
 * and a click uniform, then the purchase uniform, then the churn uniform.
 */
void dsim_world_visit(dsim_world *w, uint32_t u, const uint32_t *slate, int k, int level, gsl_rng *rng,
                      dsim_outcome *out)
{
    const dsim_scenario *sc = w->sc;
    const dsim_segment_config *seg = &sc->segments[w->segment[u]];
    double d = sc->discounts.levels[level];
    visit_terms t;
    visit_terms_init(w, u, slate, k, &t);
    memset(out, 0, sizeof *out);
    out->position = -1;

    double weight[DSIM_MAX_SLATE], total = 1.0; /* the outside option's weight is 1 */
    for (int j = 0; j < k; j++) {
        double q_click, wt;
        click_and_weight(w, &t, j, level, &q_click, &wt);
        double u_examine = gsl_rng_uniform(rng), u_click = gsl_rng_uniform(rng);
        /* q_click = η_j σ(·): examined with η_j, then clicked with σ(·) */
        bool examined = u_examine < w->examine[j];
        bool clicked = examined && u_click < q_click / w->examine[j];
        out->n_examined += examined;
        weight[j] = clicked ? wt : 0.0;
        if (clicked) {
            out->clicked |= 1u << j;
            out->n_clicks++;
            total += wt;
        }
    }
    double target = gsl_rng_uniform(rng) * total;
    if (target >= 1.0) {
        double cum = 1.0;
        for (int j = 0; j < k; j++) {
            cum += weight[j];
            if (target < cum && weight[j] > 0) {
                out->position = j;
                break;
            }
        }
        if (out->position < 0) /* rounding at the top end: the last clicked item */
            for (int j = k - 1; j >= 0 && out->position < 0; j--)
                if (weight[j] > 0)
                    out->position = j;
    }
    if (out->position >= 0) {
        uint32_t i = slate[out->position];
        out->item = i;
        out->price_paid = w->price[i] * (1.0 - d);
        out->revenue = out->price_paid;
        out->profit = out->price_paid - w->cost[i];
        out->discount_spend = w->price[i] * d;
        out->reward = objective_value(w, i, level);
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
