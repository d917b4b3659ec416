/*
 * world.c — generating a world from a scenario and a seed, and changing it by shocks.
 *
 * Every item and shopper is drawn from its own keyed stream (catalog/population, index), so the world does
 * not depend on the order of generation and a larger population keeps its first shoppers unchanged.
 */
#include "world/world_impl.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/rng.h"
#include "world/engine.h"

#define CENTRE_INDEX(i) ((1ull << 63) | (uint64_t)(i)) /* stream index of a centre, apart from items/shoppers */

/* v ← normalise(centre + spread/√d · N(0, I)); no centre gives a uniformly random direction. */
static void draw_taste(float *v, const float *centre, double spread, int d, gsl_rng *rng)
{
    double norm2 = 0, scale = spread / sqrt((double)d);
    for (int j = 0; j < d; j++) {
        double x = (centre ? centre[j] : 0.0) + scale * gsl_ran_gaussian_ziggurat(rng, 1.0);
        v[j] = (float)x;
        norm2 += x * x;
    }
    double inv = norm2 > 0 ? 1.0 / sqrt(norm2) : 0.0;
    for (int j = 0; j < d; j++)
        v[j] = (float)(v[j] * inv);
}

/* Taste centres: one per category, and one per segment (its favourite category's, or its own). */
static void draw_centres(const dsim_world *w, float *category_centre, float *segment_centre, gsl_rng *rng)
{
    const dsim_scenario *sc = w->sc;
    int d = w->dim;
    for (int c = 0; c < sc->catalog.categories; c++) {
        dsim_rng_key(rng, w->seed, DSIM_STREAM_CATALOG, CENTRE_INDEX(c));
        draw_taste(category_centre + (size_t)c * d, NULL, 1.0, d, rng);
    }
    for (int s = 0; s < sc->n_segments; s++) {
        int fav = sc->segments[s].favourite_category;
        if (fav >= 0) {
            memcpy(segment_centre + (size_t)s * d, category_centre + (size_t)fav * d, sizeof(float) * (size_t)d);
        } else {
            dsim_rng_key(rng, w->seed, DSIM_STREAM_POPULATION, CENTRE_INDEX(s));
            draw_taste(segment_centre + (size_t)s * d, NULL, 1.0, d, rng);
        }
    }
}

static void generate_catalog(dsim_world *w, const float *category_centre, gsl_rng *rng)
{
    const dsim_scenario *sc = w->sc;
    int d = w->dim;
    double margin[10000];
    for (int c = 0; c < sc->catalog.categories; c++) {
        dsim_rng_key(rng, w->seed, DSIM_STREAM_CATALOG, CENTRE_INDEX(c) | (1ull << 62));
        margin[c] = sc->catalog.margin_min + (sc->catalog.margin_max - sc->catalog.margin_min) * gsl_rng_uniform(rng);
    }
    double log_median = log(sc->catalog.price_median);
    for (uint32_t i = 0; i < w->n_items; i++) {
        dsim_rng_key(rng, w->seed, DSIM_STREAM_CATALOG, i);
        int c = (int)gsl_rng_uniform_int(rng, (unsigned long)sc->catalog.categories);
        double log_price = log_median + sc->catalog.price_sigma * gsl_ran_gaussian_ziggurat(rng, 1.0);
        w->category[i] = (uint16_t)c;
        w->price[i] = (float)exp(log_price);
        w->cost[i] = (float)(w->price[i] * (1.0 - margin[c]));
        w->log_price_ratio[i] = (float)(log((double)w->price[i]) - log_median);
        draw_taste(w->item_taste + (size_t)i * d, category_centre + (size_t)c * d, sc->catalog.category_spread, d,
                   rng);
    }
}

/* A log-normal with the given mean and standard deviation (not the log's). */
static double draw_lognormal_mean_sd(double mean, double sd, gsl_rng *rng)
{
    if (sd <= 0)
        return mean;
    double sigma2 = log1p(sd * sd / (mean * mean));
    return gsl_ran_lognormal(rng, log(mean) - 0.5 * sigma2, sqrt(sigma2));
}

static void generate_population(dsim_world *w, const float *segment_centre, gsl_rng *rng)
{
    const dsim_scenario *sc = w->sc;
    int d = w->dim;
    /* Segments get contiguous blocks of shoppers, sized by share; the last one switched on takes the rounding
       rest, and a segment switched off (share 0) gets none. */
    int last_on = 0;
    for (int s = 0; s < sc->n_segments; s++)
        if (sc->segments[s].share > 0)
            last_on = s;
    uint32_t start = 0;
    for (int s = 0; s < sc->n_segments; s++) {
        w->segment_start[s] = start;
        uint32_t n = s == last_on ? w->n_shoppers - start
                                  : (uint32_t)llround(dsim_scenario_segment_share(sc, s) * w->n_shoppers);
        if (start + n > w->n_shoppers)
            n = w->n_shoppers - start;
        start += n;
    }
    w->segment_start[sc->n_segments] = w->n_shoppers;

    for (int s = 0; s < sc->n_segments; s++) {
        const dsim_segment_config *seg = &sc->segments[s];
        for (uint32_t u = w->segment_start[s]; u < w->segment_start[s + 1]; u++) {
            dsim_rng_key(rng, w->seed, DSIM_STREAM_POPULATION, u);
            w->segment[u] = (uint8_t)s;
            w->beta[u] = (float)draw_lognormal_mean_sd(seg->elasticity_mean, seg->elasticity_sd, rng);
            w->gamma[u] = (float)fmax(0.0, seg->deal_proneness_mean + gsl_ran_gaussian_ziggurat(rng, seg->deal_proneness_sd));
            w->reference[u] = (float)seg->initial_reference;
            w->churn[u] = (float)seg->churn_base;
            draw_taste(w->shopper_taste + (size_t)u * d, segment_centre + (size_t)s * d, seg->taste_spread, d, rng);
            if (w->demand->init_shopper) /* last, so the other demand models' worlds do not depend on it */
                w->demand->init_shopper(w, w->demand_state, w->demand_segment[s], rng,
                                        w->shopper_demand + (size_t)u * w->demand->shopper_size);
        }
    }
}

static int build_arrival_table(dsim_world *w)
{
    gsl_ran_discrete_free(w->arrival_table);
    w->arrival_table = gsl_ran_discrete_preproc((size_t)w->sc->n_segments, w->arrival_weight);
    return w->arrival_table ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory building the arrival table");
}

int dsim_world_alloc(dsim_world **out, const dsim_scenario *sc, uint64_t seed)
{
    int rc = DSIM_OK;
    float *category_centre = NULL, *segment_centre = NULL;
    gsl_rng *rng = NULL;
    dsim_world *w = calloc(1, sizeof *w);
    if (!w)
        return dsim_error_set(DSIM_ENOMEM, "out of memory allocating the world");
    dsim__blas_single_thread(); /* the true utilities' sgemv */
    w->sc = sc;
    w->seed = seed;
    w->n_items = (uint32_t)sc->catalog.items;
    w->n_shoppers = (uint32_t)sc->shoppers;
    w->dim = sc->catalog.embedding_dim;
    size_t d = (size_t)w->dim;

    w->price = malloc(sizeof(float) * w->n_items);
    w->cost = malloc(sizeof(float) * w->n_items);
    w->log_price_ratio = malloc(sizeof(float) * w->n_items);
    w->category = malloc(sizeof(uint16_t) * w->n_items);
    w->item_taste = malloc(sizeof(float) * w->n_items * d);
    w->beta = malloc(sizeof(float) * w->n_shoppers);
    w->gamma = malloc(sizeof(float) * w->n_shoppers);
    w->reference = malloc(sizeof(float) * w->n_shoppers);
    w->churn = malloc(sizeof(float) * w->n_shoppers);
    w->segment = malloc(w->n_shoppers);
    w->shopper_taste = malloc(sizeof(float) * w->n_shoppers * d);
    w->demand = dsim__demand_types[sc->behaviour.demand];
    for (int s = 0; s < sc->n_segments; s++)
        w->demand_segment[s] = dsim__strategy_segment_config(&sc->segments[s], STRATEGY_DEMAND, (size_t)sc->behaviour.demand);
    assert(w->demand->state_size <= sizeof w->demand_state);
    if (w->demand->shopper_size)
        w->shopper_demand = malloc(w->demand->shopper_size * w->n_shoppers);
    category_centre = malloc(sizeof(float) * (size_t)sc->catalog.categories * d);
    segment_centre = malloc(sizeof(float) * DSIM_MAX_SEGMENTS * d);
    rng = dsim_rng_alloc();
    if (!w->price || !w->cost || !w->log_price_ratio || !w->category || !w->item_taste || !w->beta || !w->gamma ||
        !w->reference || !w->churn || !w->segment || !w->shopper_taste || !category_centre || !segment_centre || !rng || (w->demand->shopper_size && !w->shopper_demand)) {
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory allocating a world of %u items and %u shoppers", w->n_items,
                            w->n_shoppers);
        goto done;
    }

    draw_centres(w, category_centre, segment_centre, rng);
    generate_catalog(w, category_centre, rng);
    if (w->demand->init)
        w->demand->init(w, dsim__strategy_config(sc, STRATEGY_DEMAND, (size_t)sc->behaviour.demand), w->demand_state);
    generate_population(w, segment_centre, rng);

    w->outside_utility = sc->behaviour.outside_utility;
    w->arrivals_per_day = dsim_scenario_arrivals_per_day(sc);
    for (int s = 0; s < sc->n_segments; s++) {
        w->beta_scale[s] = 1.0;
        w->arrival_weight[s] = (double)(w->segment_start[s + 1] - w->segment_start[s]) * sc->segments[s].visit_rate;
    }
    for (int l = 0; l < sc->discounts.n_levels; l++)
        w->log_keep[l] = log1p(-sc->discounts.levels[l]);
    for (int k = 0; k < sc->behaviour.slate_size; k++)
        w->examine[k] = sc->behaviour.examine_top * pow(sc->behaviour.examine_decay, k);
    w->click_odds_scale = exp(sc->behaviour.click_bias);
    rc = build_arrival_table(w);
done:
    free(category_centre);
    free(segment_centre);
    gsl_rng_free(rng);
    if (rc) {
        dsim_world_free(w);
        return rc;
    }
    *out = w;
    return DSIM_OK;
}

void dsim_world_free(dsim_world *w)
{
    if (!w)
        return;
    free(w->price);
    free(w->cost);
    free(w->log_price_ratio);
    free(w->category);
    free(w->item_taste);
    free(w->beta);
    free(w->gamma);
    free(w->reference);
    free(w->churn);
    free(w->segment);
    free(w->shopper_taste);
    free(w->shopper_demand);
    gsl_ran_discrete_free(w->arrival_table);
    free(w);
}

/* ---- accessors ------------------------------------------------------------------------------------ */

const dsim_scenario *dsim_world_scenario(const dsim_world *w) { return w->sc; }
uint64_t dsim_world_seed(const dsim_world *w) { return w->seed; }
uint32_t dsim_world_n_items(const dsim_world *w) { return w->n_items; }
uint32_t dsim_world_n_shoppers(const dsim_world *w) { return w->n_shoppers; }
int dsim_world_dim(const dsim_world *w) { return w->dim; }
double dsim_world_item_price(const dsim_world *w, uint32_t item) { return w->price[item]; }
double dsim_world_item_cost(const dsim_world *w, uint32_t item) { return w->cost[item]; }
int dsim_world_item_category(const dsim_world *w, uint32_t item) { return w->category[item]; }
const float *dsim_world_item_taste(const dsim_world *w, uint32_t item) { return w->item_taste + (size_t)item * w->dim; }
const float *dsim_world_shopper_taste(const dsim_world *w, uint32_t shopper)
{
    return w->shopper_taste + (size_t)shopper * w->dim;
}
int dsim_world_shopper_segment(const dsim_world *w, uint32_t shopper) { return w->segment[shopper]; }
double dsim_world_shopper_elasticity(const dsim_world *w, uint32_t shopper)
{
    return w->beta[shopper] * w->beta_scale[w->segment[shopper]];
}
double dsim_world_shopper_deal_proneness(const dsim_world *w, uint32_t shopper) { return w->gamma[shopper]; }
double dsim_world_reference_discount(const dsim_world *w, uint32_t shopper) { return w->reference[shopper]; }
bool dsim_world_shopper_active(const dsim_world *w, uint32_t shopper) { return w->churn[shopper] >= 0; }

double dsim_world_day(const dsim_world *w, uint64_t visit)
{
    return (double)visit / w->arrivals_per_day;
}

uint32_t dsim_world_arrival(const dsim_world *w, uint64_t visit, gsl_rng *rng)
{
    dsim_rng_key(rng, w->seed, DSIM_STREAM_ARRIVAL, visit);
    size_t s = gsl_ran_discrete(rng, w->arrival_table);
    uint32_t n = w->segment_start[s + 1] - w->segment_start[s];
    return w->segment_start[s] + (uint32_t)gsl_rng_uniform_int(rng, n);
}

void dsim__world_prefetch_shopper(const dsim_world *w, uint32_t u)
{
    __builtin_prefetch(&w->beta[u]);
    __builtin_prefetch(&w->gamma[u]);
    __builtin_prefetch(&w->reference[u]);
    __builtin_prefetch(&w->churn[u]);
    __builtin_prefetch(&w->segment[u]);
    if (w->shopper_demand)
        __builtin_prefetch(dsim__shopper_demand(w, u));
    const float *taste = w->shopper_taste + (size_t)u * w->dim;
    for (int j = 0; j < w->dim; j += 16) /* 16 floats a cache line */
        __builtin_prefetch(taste + j);
}

/* ---- shocks --------------------------------------------------------------------------------------- */

static int segment_index(const dsim_world *w, const char *name)
{
    for (int s = 0; s < w->sc->n_segments; s++)
        if (strcmp(w->sc->segments[s].name, name) == 0)
            return s;
    return -1;
}

int dsim_world_apply_shock(dsim_world *w, const dsim_shock_config *shock)
{
    bool all = strcmp(shock->segment, "all") == 0;
    int target = all ? -1 : segment_index(w, shock->segment);
    if (!all && target < 0)
        return dsim_error_set(DSIM_EINVAL, "shock %s: no segment named '%s'", shock->name, shock->segment);
    if (shock->share > 0 && target >= 0 && w->segment_start[target] == w->segment_start[target + 1])
        return dsim_error_set(DSIM_EINVAL, "shock %s: segment %s is switched off (share 0): it has no shopper to arrive",
                              shock->name, shock->segment);
    for (int s = 0; s < w->sc->n_segments; s++)
        if (all || s == target)
            w->beta_scale[s] *= shock->elasticity_factor;
    if (!isnan(shock->outside_utility))
        w->outside_utility = shock->outside_utility;
    if (shock->share >= 0 && target >= 0) {
        /* The segment takes `share` of all arrivals; the others keep their proportions in the rest. */
        double others = 0, total = 0;
        for (int s = 0; s < w->sc->n_segments; s++) {
            total += w->arrival_weight[s];
            if (s != target)
                others += w->arrival_weight[s];
        }
        for (int s = 0; s < w->sc->n_segments; s++) {
            if (s == target)
                w->arrival_weight[s] = shock->share * total;
            else if (others > 0)
                w->arrival_weight[s] *= (1.0 - shock->share) * total / others;
        }
        return build_arrival_table(w);
    }
    return DSIM_OK;
}
