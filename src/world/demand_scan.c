/*
 * demand_scan.c — the two demand models that scan the slate from the top and buy the first examined item
 * they accept: `valuation` (accept what is priced within the shopper's perturbed valuation) and `linear`
 * (accept with a probability falling linearly in the price). Formulas in dsim/world.h.
 *
 * Both are exact in closed form, so the slate model holds P(buy position j) for every level and the
 * expectation is a dot product. Their draws are K + 1 uniforms, always: the visit's valuation perturbation,
 * then one per position, which decides both "examined" (u < η_j) and, for `linear`, "accepted"
 * (u < η_j h_j, a sub-event of the first).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "world/world_impl.h"

extern const dsim__demand_type dsim__demand_valuation; /* below; its draws and probabilities differ from linear's */

/* ---- the models' own keys --------------------------------------------------------------------------- */

typedef struct {
    double scale; /* currency a valuation of 1 is worth; 0: the catalog's highest list price */
    double noise; /* per-visit perturbation of the valuation, uniform ± this fraction of the scale */
} valuation_config;

typedef struct {
    double a, b; /* a shopper's valuation ~ Beta(a, b) × scale */
} valuation_segment;

typedef struct {
    double scale, spread; /* the scale in currency, and the perturbation's half-width D = noise · scale */
} valuation_state;

static const scenario_key valuation_keys[] = {
    {SECTION_BEHAVIOUR, "valuation_scale", KEY_DOUBLE, offsetof(valuation_config, scale), 0, "0", 0, 1e9, "currency",
     "demand = valuation: the price a valuation of 1 is worth; 0: the catalog's highest list price", NULL, 0},
    {SECTION_BEHAVIOUR, "valuation_noise", KEY_DOUBLE, offsetof(valuation_config, noise), 0, "0.1", 0, 10,
     "fraction",
     "demand = valuation: each visit perturbs the valuation by U[−δ, δ], δ this fraction of valuation_scale", NULL,
     0},
    {SECTION_SEGMENT, "valuation_a", KEY_DOUBLE, offsetof(valuation_segment, a), 0, "2", 1e-3, 1e3, "",
     "demand = valuation: shape a of the Beta(a, b) valuations of the segment's shoppers", NULL, 0},
    {SECTION_SEGMENT, "valuation_b", KEY_DOUBLE, offsetof(valuation_segment, b), 0, "9", 1e-3, 1e3, "",
     "demand = valuation: shape b of the Beta(a, b) valuations", NULL, 0},
};

typedef struct {
    double intercept, slope; /* P(buy an examined item) = intercept − slope · price paid / median price */
} linear_segment;

static const scenario_key linear_keys[] = {
    {SECTION_SEGMENT, "linear_intercept", KEY_DOUBLE, offsetof(linear_segment, intercept), 0, "1", -100, 100,
     "probability",
     "demand = linear: a in P(buy an examined item) = a − b · price paid / median price (clamped to [0, 1])", NULL,
     0},
    {SECTION_SEGMENT, "linear_slope", KEY_DOUBLE, offsetof(linear_segment, slope), 0, "0.5", 0, 100, "probability",
     "demand = linear: b, the purchase probability lost per median price of price paid", NULL, 0},
};

static void valuation_init(const dsim_world *w, const void *config, void *state)
{
    const valuation_config *c = config;
    valuation_state *s = state;
    s->scale = c->scale;
    if (!(s->scale > 0)) /* a valuation of 1 affords every item */
        for (uint32_t i = 0; i < w->n_items; i++)
            s->scale = fmax(s->scale, w->price[i]);
    s->spread = c->noise * s->scale;
}

double dsim_world_shopper_valuation(const dsim_world *w, uint32_t shopper)
{
    return w->demand == &dsim__demand_valuation ? *(const float *)dsim__shopper_demand(w, shopper) : NAN;
}

static void valuation_init_shopper(const dsim_world *w, const void *state, const void *segment_config, gsl_rng *rng,
                                   void *shopper)
{
    (void)w;
    const valuation_segment *seg = segment_config;
    *(float *)shopper = (float)(((const valuation_state *)state)->scale * gsl_ran_beta(rng, seg->a, seg->b));
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* buy[j] ← P(buy position j) when each position j is accepted, once examined, with probability accept[j]. */
static void scan(const double *examine, const double *accept, int k, double *buy)
{
    double reach = 1.0; /* P(nothing bought above position j) */
    for (int j = 0; j < k; j++) {
        double p = examine[j] * accept[j];
        buy[j] = reach * p;
        reach *= 1.0 - p;
    }
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * valuation: position j is affordable when the visit's perturbation δ ~ U[−D, D] reaches need_j =
 * p_j (1 − d) − W_u. Between consecutive needs the set of affordable positions is fixed, so P(buy j) is a
 * sum over those intervals of (length / 2D) × the scan with 0/1 acceptances.
 */
static void valuation_buy(const double *examine, const double *need, int k, double spread, double *buy)
{
    double accept[DSIM_MAX_SLATE], at[DSIM_MAX_SLATE];
    for (int j = 0; j < k; j++)
        buy[j] = 0.0;
    if (spread <= 0) { /* no perturbation: δ = 0 */
        for (int j = 0; j < k; j++)
            accept[j] = need[j] <= 0;
        scan(examine, accept, k, buy);
        return;
    }
    double cut[DSIM_MAX_SLATE + 2];
    int n = 0;
    cut[n++] = -spread;
    cut[n++] = spread;
    for (int j = 0; j < k; j++)
        if (need[j] > -spread && need[j] < spread)
            cut[n++] = need[j];
    qsort(cut, (size_t)n, sizeof *cut, compare_double);
    for (int c = 0; c + 1 < n; c++) {
        double length = cut[c + 1] - cut[c], mid = 0.5 * (cut[c] + cut[c + 1]);
        if (length <= 0)
            continue;
        for (int j = 0; j < k; j++)
            accept[j] = mid >= need[j];
        scan(examine, accept, k, at);
        for (int j = 0; j < k; j++)
            buy[j] += at[j] * length / (2.0 * spread);
    }
}

/* P(buy position j) for every j when position j is at levels[j]. */
static void scan_buy(const dsim__slate_model *m, const int *levels, double *buy)
{
    double hazard[DSIM_MAX_SLATE];
    for (int j = 0; j < m->k; j++)
        hazard[j] = m->hazard[j][levels[j]];
    if (dsim__demand_types[m->demand] == &dsim__demand_valuation)
        valuation_buy(m->examine, hazard, m->k, m->spread, buy);
    else
        scan(m->examine, hazard, m->k, buy);
}

/* buy[j][l] for every level, once the hazards are in place. */
static void fill_buy(dsim__slate_model *m)
{
    int levels[DSIM_MAX_SLATE];
    double buy[DSIM_MAX_SLATE];
    for (int l = 0; l < m->n_levels; l++) {
        for (int j = 0; j < m->k; j++)
            levels[j] = l;
        scan_buy(m, levels, buy);
        for (int j = 0; j < m->k; j++)
            m->buy[j][l] = buy[j];
    }
}

static void valuation_slate_model(const dsim_world *w, uint32_t u, const uint32_t *slate, int k,
                                  dsim__slate_model *out)
{
    const dsim_scenario *sc = w->sc;
    double valuation = *(const float *)dsim__shopper_demand(w, u);
    out->spread = ((const valuation_state *)w->demand_state)->spread;
    for (int l = 0; l < sc->discounts.n_levels; l++)
        for (int j = 0; j < k; j++)
            out->hazard[j][l] = w->price[slate[j]] * (1.0 - sc->discounts.levels[l]) - valuation;
    fill_buy(out);
}

static void linear_slate_model(const dsim_world *w, uint32_t u, const uint32_t *slate, int k,
                               dsim__slate_model *out)
{
    const dsim_scenario *sc = w->sc;
    const linear_segment *seg = w->demand_segment[w->segment[u]];
    for (int l = 0; l < sc->discounts.n_levels; l++)
        for (int j = 0; j < k; j++) {
            double relative_price = w->price[slate[j]] * (1.0 - sc->discounts.levels[l]) / sc->catalog.price_median;
            out->hazard[j][l] = clamp01(seg->intercept - seg->slope * relative_price);
        }
    fill_buy(out);
}

void dsim__buy_expected_rewards(const dsim__slate_model *m, double *out)
{
    for (int l = 0; l < m->n_levels; l++) {
        out[l] = 0.0;
        for (int j = 0; j < m->k; j++)
            out[l] += m->buy[j][l] * m->value[j][l];
    }
}

void dsim__buy_purchase_probabilities(const dsim__slate_model *m, int level, double *p)
{
    double bought = 0;
    for (int j = 0; j < m->k; j++)
        bought += p[j] = m->buy[j][level];
    p[m->k] = 1.0 - bought;
}

static void scan_expected_rewards_mixed(const dsim__slate_model *m, const int *levels, int vary, double *out)
{
    int at[DSIM_MAX_SLATE];
    double buy[DSIM_MAX_SLATE];
    for (int j = 0; j < m->k; j++)
        at[j] = levels[j];
    for (int l = 0; l < (vary >= 0 ? m->n_levels : 1); l++) {
        if (vary >= 0)
            at[vary] = l;
        scan_buy(m, at, buy);
        out[l] = 0.0;
        for (int j = 0; j < m->k; j++)
            out[l] += buy[j] * m->value[j][at[j]];
    }
}

static void scan_choose(const dsim__slate_model *m, const int *levels, gsl_rng *rng, dsim_outcome *out)
{
    double perturbation = m->spread * (2.0 * gsl_rng_uniform(rng) - 1.0);
    for (int j = 0; j < m->k; j++) {
        double u = gsl_rng_uniform(rng), hazard = m->hazard[j][levels[j]];
        if (out->position >= 0 || u >= m->examine[j])
            continue;
        out->n_examined++;
        bool accepted = dsim__demand_types[m->demand] == &dsim__demand_valuation ? perturbation >= hazard
                                                                                : u < m->examine[j] * hazard;
        if (accepted) {
            out->position = j;
            out->clicked = 1u << j;
            out->n_clicks = 1;
        }
    }
}

const dsim__demand_type dsim__demand_valuation = {
    .strategy = {"valuation",
                 "buy the first examined item priced within the shopper's valuation (Misra et al. 2019 §5)",
                 valuation_keys, sizeof valuation_keys / sizeof valuation_keys[0], sizeof(valuation_config),
                 sizeof(valuation_segment), NULL},
    .state_size = sizeof(valuation_state),
    .shopper_size = sizeof(float),
    .init = valuation_init,
    .init_shopper = valuation_init_shopper,
    .slate_model = valuation_slate_model,
    .expected_rewards = dsim__buy_expected_rewards,
    .purchase_probabilities = dsim__buy_purchase_probabilities,
    .expected_rewards_mixed = scan_expected_rewards_mixed,
    .choose = scan_choose,
};

const dsim__demand_type dsim__demand_linear = {
    .strategy = {"linear", "buy an examined item with probability a − b · price paid / median price", linear_keys,
                 sizeof linear_keys / sizeof linear_keys[0], 0, sizeof(linear_segment), NULL},
    .slate_model = linear_slate_model,
    .expected_rewards = dsim__buy_expected_rewards,
    .purchase_probabilities = dsim__buy_purchase_probabilities,
    .expected_rewards_mixed = scan_expected_rewards_mixed,
    .choose = scan_choose,
};
