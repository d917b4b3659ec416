/*
 * sim.c — the engine loop: one visit at a time, data flowing one way.
 *
 *   arrival ─► ranking ─► context ─► policy ─► choice ─► feedback ─► learning ─► metrics
 *
 * Randomness comes only from keyed streams: arrival and choice draws are keyed by the visit, the policy's
 * own exploration by (POLICY, visit), so two policies on one seed meet the same shoppers in the same order
 * and face the same uniforms. The true expected reward of every level is computed for each visit's slate:
 * it gives the pseudo-regret (best level's expectation minus the chosen one's) and is the oracle's input.
 */
#include "dsim/sim.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "dsim/error.h"
#include "dsim/rank.h"
#include "dsim/rng.h"
#include "core/grow.h"
#include "rank/engine.h"
#include "sim/learning.h"
#include "world/engine.h"

/* What the shop remembers of a shopper: observable history only (32 bytes). */
typedef struct {
    uint32_t n_visits, n_purchases, n_discounted, n_discounted_purchases;
    float last_visit_day;    /* NAN before the first visit */
    float last_purchase_day; /* NAN before the first purchase */
    float recent_discount;   /* EWMA of "got a discount" over visits */
    float recent_level;      /* EWMA of the discount fraction given */
} shopper_history;


#define RECENT_DISCOUNT_WEIGHT 0.3f /* weight of the latest visit in recent_discount_rate and _level */

typedef struct {
    uint64_t visit;
    const dsim_shock_config *shock;
} scheduled_shock;

/* A purchase that happens after its visit, for the shop's history to hear of on its day. */
typedef struct {
    double day;
    uint32_t shopper;
    int segment; /* the shopper's (hidden) segment, for its count of purchases pending */
    bool discounted;
} delayed_purchase;

struct dsim_sim {
    dsim_world *world;
    dsim_policy *policy;
    bool owns_world_and_policy; /* made by dsim_sim_create() */
    const dsim_scenario *sc;
    dsim_ranker *ranker;
    shopper_history *history;
    dsim_sim_options options;
    uint64_t horizon, next_visit;
    int slate_size, n_levels;

    scheduled_shock shocks[DSIM_MAX_SHOCKS];
    int n_shocks, next_shock;

    gsl_rng *arrival_rng, *choice_rng, *policy_rng, *delay_rng;
    dsim_metrics metrics;
    dsim_segment_metrics segments; /* the same, by the shoppers' hidden segment */

    /* The candidates of the next visits, retrieved in one batch: who arrives does not depend on what a
       policy does, so the batch knows its shoppers. With fixed estimates (noisy) every visit gets the
       candidates it would get on arrival. With estimates that learn (history, learned), a batch uses them
       as they stood at its start: feedback within a batch reaches the rankings of the next one, the
       delayed update of Chapelle & Li (2011). Selection (filters, re-ranking) runs at the visit, on fresh
       state. A batch never runs past a shock, which may change who arrives. */
    uint64_t batch_first, batch_end;
    int batch;               /* visits per retrieval ([ranking] batch); 1: the per-visit exact ranker */
    int candidates;          /* retrieved per visit */
    uint32_t *batch_shopper; /* (batch,) */
    uint32_t *batch_items;   /* (batch, candidates) */
    float *batch_scores;     /* (batch, candidates) */

    /* ranking quality against the truth, every quality_every-th visit */
    float *true_utility;    /* (n_items,) */
    uint32_t *true_top;     /* (relevant,) */
    float *true_top_utility; /* (relevant,) */
    int relevant;

    /* Feedback as shops get it (learning.h): with per-visit updates and no delays the policy learns from each
       visit at once (deferred false); otherwise its decisions queue until an update. */
    bool deferred;
    bool keep_propensity; /* deferred, and the policy learns from reward / propensity: ask for it when acting */
    dsim__learning learning;
    int periods_per_day; /* updates by the clock: 24 (hourly) or 1 (daily); 0: every update_every visits */
    double end_day;     /* of the last visit: what a log written at the end of the run knows */
    delayed_purchase *coming; /* min-heap by day: purchases the shop has yet to hear of */
    size_t n_coming, coming_cap;

    /* per-visit buffers, sized once */
    uint32_t slate[DSIM_MAX_SLATE];
    float scores[DSIM_MAX_SLATE];
    double expected[DSIM_MAX_LEVELS];
    dsim__slate_model model;
    dsim_visit_record last;
};

static int compare_shocks(const void *a, const void *b)
{
    const scheduled_shock *x = a, *y = b;
    return (x->visit > y->visit) - (x->visit < y->visit);
}

static void schedule_shocks(dsim_sim *sim)
{
    double per_day = dsim_scenario_arrivals_per_day(sim->sc);
    for (int i = 0; i < sim->sc->n_shocks; i++) {
        const dsim_shock_config *sh = &sim->sc->shocks[i];
        double at = sh->at_visit >= 0 ? sh->at_visit : ceil(sh->at_day * per_day);
        sim->shocks[i] = (scheduled_shock){(uint64_t)at, sh};
    }
    sim->n_shocks = sim->sc->n_shocks;
    /* qsort is not stable; shocks at the same visit then apply in an unspecified but fixed order. */
    qsort(sim->shocks, (size_t)sim->n_shocks, sizeof sim->shocks[0], compare_shocks);
}

/* What a policy may know of the world: the scenario's levels and objective, and observable catalog facts. */
void dsim_sim_policy_env(dsim_policy_env *env, const dsim_world *w)
{
    const dsim_scenario *sc = dsim_world_scenario(w);
    uint32_t n = dsim_world_n_items(w);
    double price_sum = 0, cost_sum = 0, best = 0;
    for (uint32_t i = 0; i < n; i++) {
        double price = dsim_world_item_price(w, i), cost = dsim_world_item_cost(w, i);
        price_sum += price;
        cost_sum += cost;
        /* The largest reward one visit can bring: the best item bought at the lowest level. */
        double paid = price * (1 - sc->discounts.levels[0]);
        double value = sc->discounts.objective == DSIM_OBJECTIVE_REVENUE  ? paid
                       : sc->discounts.objective == DSIM_OBJECTIVE_PROFIT ? paid - cost
                                                                           : 1.0;
        best = fmax(best, value);
    }
    *env = (dsim_policy_env){
        .n_levels = sc->discounts.n_levels,
        .levels = sc->discounts.levels,
        .objective = sc->discounts.objective,
        .reward_scale = best > 0 ? best : 1.0,
        .mean_price = price_sum / n,
        .mean_cost = cost_sum / n,
        .n_categories = sc->catalog.categories,
        .n_customers = dsim_world_n_shoppers(w),
        .seed = dsim_world_seed(w),
        .n_groups = 1,
    };
}

int dsim_sim_alloc(dsim_sim **out, dsim_world *world, dsim_policy *policy, const dsim_sim_options *options)
{
    dsim_sim_options defaults = DSIM_SIM_OPTIONS_INIT;
    if (!options)
        options = &defaults;
    if (options->version != DSIM_SIM_OPTIONS_VERSION)
        return dsim_error_set(DSIM_EINVAL, "dsim_sim_options version %d, expected %d", options->version,
                              DSIM_SIM_OPTIONS_VERSION);
    int rc = dsim_policy_scope_check(dsim_policy_config_of(policy), dsim_world_scenario(world));
    if (rc)
        return rc;

    dsim_sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return dsim_error_set(DSIM_ENOMEM, "out of memory allocating the simulation");
    sim->world = world;
    sim->policy = policy;
    sim->sc = dsim_world_scenario(world);
    sim->options = *options;
    sim->horizon = options->visits ? options->visits : dsim_scenario_horizon(sim->sc);
    sim->slate_size = sim->sc->behaviour.slate_size;
    sim->n_levels = sim->sc->discounts.n_levels;
    sim->history = malloc(sizeof(shopper_history) * dsim_world_n_shoppers(world));
    sim->arrival_rng = dsim_rng_alloc();
    sim->choice_rng = dsim_rng_alloc();
    sim->policy_rng = dsim_rng_alloc();
    sim->delay_rng = dsim_rng_alloc();
    const dsim_scenario *sc = sim->sc;
    /* A policy that waits for the attribution window waits in every market, delays or not; one that does not
       learn has nothing to queue. */
    const dsim_policy_config *cfg = dsim_policy_config_of(policy);
    sim->deferred = cfg->type->learn &&
                    (sc->learning.update != DSIM_UPDATE_VISITS || sc->learning.update_every > 1 ||
                     dsim_scenario_has_delays(sc) || cfg->delayed == DSIM_DELAYED_WAIT);
    sim->keep_propensity = sim->deferred && (cfg->type->flags & DSIM_POLICY_IMPORTANCE_WEIGHTED);
    sim->periods_per_day = sc->learning.update == DSIM_UPDATE_HOURLY ? 24 : sc->learning.update == DSIM_UPDATE_DAILY ? 1 : 0;
    sim->end_day = dsim_world_day(world, sim->horizon ? sim->horizon - 1 : 0);
    dsim__learning_init(&sim->learning, cfg->delayed, sc->learning.attribution_window);
    if (!sim->history || !sim->arrival_rng || !sim->choice_rng || !sim->policy_rng || !sim->delay_rng) {
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory allocating the simulation");
        goto done;
    }
    for (uint32_t u = 0; u < dsim_world_n_shoppers(world); u++)
        sim->history[u] = (shopper_history){0, 0, 0, 0, NAN, NAN, 0.0f, 0.0f};
    rc = dsim_ranker_alloc(&sim->ranker, world, dsim_world_seed(world));
    sim->batch = sim->sc->ranking.batch;
    if (rc || (rc = dsim_ranker_set_threads(sim->ranker, options->ranking_threads)) ||
        (rc = dsim__ranker_reserve(sim->ranker, sim->batch)))
        goto done;
    sim->candidates = dsim_ranker_candidates(sim->ranker);
    size_t slots = (size_t)sim->batch * (size_t)sim->candidates;
    sim->batch_shopper = malloc(sizeof(uint32_t) * (size_t)sim->batch);
    sim->batch_items = malloc(sizeof(uint32_t) * slots);
    sim->batch_scores = malloc(sizeof(float) * slots);
    uint32_t n_items = dsim_world_n_items(world);
    sim->relevant = sim->sc->ranking.relevant_items < (int)n_items ? sim->sc->ranking.relevant_items : (int)n_items;
    sim->true_utility = malloc(sizeof(float) * n_items);
    sim->true_top = malloc(sizeof(uint32_t) * (size_t)sim->relevant);
    sim->true_top_utility = malloc(sizeof(float) * (size_t)sim->relevant);
    if (!sim->true_utility || !sim->true_top || !sim->true_top_utility || !sim->batch_shopper || !sim->batch_items ||
        !sim->batch_scores) {
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory allocating the simulation");
        goto done;
    }
    schedule_shocks(sim);
done:
    if (rc) {
        dsim_sim_free(sim);
        return rc;
    }
    *out = sim;
    return DSIM_OK;
}

int dsim_sim_policy_alloc(dsim_policy **out, const dsim_policy_config *cfg, const dsim_world *w)
{
    dsim_policy_env env;
    dsim_sim_policy_env(&env, w);
    return dsim_policy_alloc(out, cfg, &env);
}

int dsim_sim_create(dsim_sim **out, const dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t seed,
                    const dsim_sim_options *options)
{
    dsim_world *world = NULL;
    dsim_policy *policy = NULL;
    int rc = dsim_world_alloc(&world, sc, seed);
    if (rc)
        return rc;
    if ((rc = dsim_sim_policy_alloc(&policy, cfg, world)) || (rc = dsim_sim_alloc(out, world, policy, options))) {
        dsim_policy_free(policy);
        dsim_world_free(world);
        return rc;
    }
    (*out)->owns_world_and_policy = true;
    return DSIM_OK;
}

dsim_world *dsim_sim_world(const dsim_sim *sim)
{
    return sim->world;
}

dsim_policy *dsim_sim_policy(const dsim_sim *sim)
{
    return sim->policy;
}

void dsim_sim_free(dsim_sim *sim)
{
    if (!sim)
        return;
    if (sim->owns_world_and_policy) {
        dsim_policy_free(sim->policy);
        dsim_world_free(sim->world);
    }
    dsim_ranker_free(sim->ranker);
    free(sim->batch_shopper);
    free(sim->batch_items);
    free(sim->batch_scores);
    free(sim->true_utility);
    free(sim->true_top);
    free(sim->true_top_utility);
    free(sim->history);
    gsl_rng_free(sim->arrival_rng);
    gsl_rng_free(sim->choice_rng);
    gsl_rng_free(sim->policy_rng);
    gsl_rng_free(sim->delay_rng);
    dsim__learning_free(&sim->learning);
    free(sim->coming);
    free(sim);
}

/* ---- one visit ------------------------------------------------------------------------------------- */

static void build_context(const dsim_sim *sim, uint64_t visit, double day, uint32_t u, dsim_context *ctx)
{
    const shopper_history *h = &sim->history[u];
    const dsim_world *w = sim->world;
    double price_sum = 0, score_sum = 0;
    for (int j = 0; j < sim->slate_size; j++) {
        price_sum += dsim_world_item_price(w, sim->slate[j]);
        score_sum += sim->scores[j];
    }
    double budget = sim->sc->discounts.budget;
    *ctx = (dsim_context){
        .visit = visit,
        .day = day,
        .shopper = u,
        .n_visits = h->n_visits,
        .n_purchases = h->n_purchases,
        .n_discounted = h->n_discounted,
        .n_discounted_purchases = h->n_discounted_purchases,
        .days_since_visit = isnan(h->last_visit_day) ? -1.0 : day - h->last_visit_day,
        .days_since_purchase = isnan(h->last_purchase_day) ? -1.0 : day - h->last_purchase_day,
        .purchase_rate = h->n_visits ? (double)h->n_purchases / h->n_visits : 0.0,
        .discount_rate = h->n_visits ? (double)h->n_discounted / h->n_visits : 0.0,
        .recent_discount_rate = h->recent_discount,
        .recent_discount_level = h->recent_level,
        .slate_size = sim->slate_size,
        .slate = sim->slate,
        .scores = sim->scores,
        .mean_price = price_sum / sim->slate_size,
        .mean_score = score_sum / sim->slate_size,
        .top_category = dsim_world_item_category(w, sim->slate[0]),
        .budget_left = budget > 0 ? fmax(0.0, 1.0 - sim->metrics.discount_spend / budget) : 1.0,
    };
}

static void remember(shopper_history *h, double day, double discount, bool purchased)
{
    bool discounted = discount > 0;
    h->n_visits++;
    h->n_discounted += discounted;
    h->last_visit_day = (float)day;
    h->recent_discount = (1 - RECENT_DISCOUNT_WEIGHT) * h->recent_discount + RECENT_DISCOUNT_WEIGHT * discounted;
    h->recent_level = (float)((1 - RECENT_DISCOUNT_WEIGHT) * h->recent_level + RECENT_DISCOUNT_WEIGHT * discount);
    if (purchased) {
        h->n_purchases++;
        h->n_discounted_purchases += discounted;
        h->last_purchase_day = (float)day;
    }
}

/* A visit counts each decision it made: one in scope visit, one per shown item in scope item. */
static void account(dsim_metrics *m, const dsim_scenario *sc, const int *levels, int n_decisions,
                    const dsim_outcome *o, double regret)
{
    double d = o->discount_shown;
    m->visits++;
    m->impressions += (uint64_t)sc->behaviour.slate_size;
    m->clicks += (uint64_t)o->n_clicks;
    m->purchases += o->position >= 0;
    m->top3_purchases += o->position >= 0 && o->position < 3;
    m->discounted_visits += d > 0;
    m->churned += o->churned;
    m->revenue += o->revenue;
    m->profit += o->profit;
    m->discount_spend += o->discount_spend;
    m->discount_offered += d;
    m->reward += o->reward;
    m->regret += regret;
    for (int j = 0; j < n_decisions; j++)
        m->level_count[levels[j]]++;
}

/*
 * Arrivals do not depend on actions, so the batch ranked ahead already names the next visit's shopper:
 * start loading their state while this visit computes. Shoppers are spread over megabytes, and the misses
 * cost as much as the choice model. (The last visit of a batch prefetches nothing.)
 */
static void prefetch_next_shopper(const dsim_sim *sim, uint64_t t)
{
    if (t >= sim->batch_end)
        return;
    uint32_t next = sim->batch_shopper[t - sim->batch_first];
    dsim__world_prefetch_shopper(sim->world, next);
    dsim__ranker_prefetch(sim->ranker, next);
    __builtin_prefetch(&sim->history[next]);
}

static dsim_feedback feedback_of(int level, const dsim_outcome *o)
{
    return (dsim_feedback){
        .level = level,
        .purchased = o->position >= 0,
        .n_clicks = o->n_clicks,
        .position = o->position,
        .item = o->item,
        .reward = o->reward,
        .revenue = o->revenue,
        .profit = o->profit,
    };
}

static double best_of(const double *values, int n)
{
    double best = values[0];
    for (int l = 1; l < n; l++)
        best = fmax(best, values[l]);
    return best;
}

/*
 * One decision on `ctx` (level 0 once the budget is spent), from sim->policy_rng as the caller keyed it.
 * Logging (`distribution` given), the policy's whole distribution at decision time, before it learns, goes
 * there and the propensity is its entry, or, for types that compute it apart, computed with it at hand:
 * a logged decision asks for the distribution once, in either scope.
 */
static dsim_action decide(dsim_sim *sim, const dsim_context *ctx, const double *truth, bool budget_spent,
                          double *distribution)
{
    dsim_action action = {0, 1.0};
    bool want = sim->options.want_propensity || sim->keep_propensity;
    if (!budget_spent)
        dsim_policy_act(sim->policy, ctx, truth, sim->policy_rng, !distribution && want, &action);
    if (!distribution)
        return action;
    sim->last.n_actions = sim->n_levels;
    if (budget_spent) {
        memset(distribution, 0, sizeof(double) * (size_t)sim->n_levels);
        distribution[0] = 1.0;
    } else {
        dsim_policy_distribution(sim->policy, ctx, truth, distribution);
    }
    action.propensity = !budget_spent && dsim_policy_samples_propensity(sim->policy)
                            ? dsim_policy_propensity(sim->policy, ctx, action.level, distribution)
                            : distribution[action.level];
    return action;
}

/*
 * The myopic oracle of scope item: the best level per position, by coordinate ascent from the best single
 * level (each sweep sets every position to its best level given the others, until none moves). The K^L
 * combinations are too many to enumerate on every visit; a coordinate-wise optimum is at least as good as
 * the best single level, and regret against it is a lower bound on regret against the true optimum.
 */
static double item_oracle(const dsim_sim *sim, int *best)
{
    const dsim__slate_model *m = &sim->model;
    double values[DSIM_MAX_LEVELS], value;
    int start = 0;
    for (int l = 1; l < sim->n_levels; l++)
        if (sim->expected[l] > sim->expected[start])
            start = l;
    for (int j = 0; j < m->k; j++)
        best[j] = start;
    bool moved = true;
    for (int sweep = 0; sweep < 8 && moved; sweep++) {
        moved = false;
        for (int j = 0; j < m->k; j++) {
            dsim__slate_expected_rewards_mixed(m, best, j, values);
            int arg = best[j];
            for (int l = 0; l < sim->n_levels; l++)
                if (values[l] > values[arg] + 1e-12 * fabs(values[arg]) + 1e-300)
                    arg = l;
            moved |= arg != best[j];
            best[j] = arg;
        }
    }
    dsim__slate_expected_rewards_mixed(m, best, -1, &value);
    return value;
}

/* The context of one item decision: the visit's, plus what the shop knows of the item. */
static dsim_context item_context(const dsim_sim *sim, const dsim_context *visit, int j)
{
    dsim_context ctx = *visit;
    ctx.for_item = true;
    ctx.item_position = j;
    ctx.item = sim->slate[j];
    ctx.item_price = dsim_world_item_price(sim->world, sim->slate[j]);
    ctx.item_score = sim->scores[j];
    ctx.item_category = dsim_world_item_category(sim->world, sim->slate[j]);
    return ctx;
}

/* What decision j of the visit earned: the whole outcome in scope visit; in scope item, its own item's sale. */
static dsim_outcome share_of(const dsim_outcome *outcome, bool item_scope, int j)
{
    dsim_outcome mine = *outcome;
    if (item_scope && outcome->position != j) { /* this item was not bought: nothing earned on it */
        mine.position = -1;
        mine.reward = mine.revenue = mine.profit = 0;
    }
    return mine;
}

/* Days from visit t's purchase to when it happens: 0 at once (always, in a segment without delays: then no
   draw is made), else exponential (Chapelle 2014), from the visit's own stream. */
static double purchase_delay(dsim_sim *sim, uint64_t t, uint32_t u)
{
    const dsim_segment_config *g = &sim->sc->segments[dsim_world_shopper_segment(sim->world, u)];
    if (g->delay_immediate >= 1)
        return 0.0;
    dsim_rng_key(sim->delay_rng, dsim_world_seed(sim->world), DSIM_STREAM_PURCHASE_DELAY, t);
    if (gsl_rng_uniform(sim->delay_rng) < g->delay_immediate)
        return 0.0;
    return gsl_ran_exponential(sim->delay_rng, g->delay_mean_days);
}

/*
 * The visit's decisions, as the pipeline: build each decision's context, act (logging it when asked), let the
 * world respond, then let each decision learn from its share. Scope visit makes one decision on the visit's
 * context, one coupon for the whole slate; scope item one per shown item, top first, each with its item in the
 * context and learning from its own item's outcome (bought or not). A clairvoyant policy is told the expected
 * reward of each level: of the slate in scope visit, of its item with the others at the oracle's levels in
 * scope item. The visit's propensity is the product of its decisions'.
 */
static int decide_visit(dsim_sim *sim, uint64_t t, const dsim_context *visit, bool budget_spent, int *levels,
                        dsim_outcome *outcome, double *regret)
{
    dsim_world *w = sim->world;
    bool item_scope = sim->sc->discounts.scope == DSIM_SCOPE_ITEM, logging = sim->options.log_decisions;
    int n = item_scope ? sim->slate_size : 1, oracle[DSIM_MAX_SLATE];
    double best = item_scope ? item_oracle(sim, oracle) : best_of(sim->expected, sim->n_levels);
    double truth[DSIM_MAX_LEVELS], propensity = 1.0, chosen_with[DSIM_MAX_SLATE];
    /* The decisions' contexts: the visit's own in scope visit (not copied: this runs on every visit), each
       item's in scope item. */
    dsim_context items[DSIM_MAX_SLATE];
    const dsim_context *ctx[DSIM_MAX_SLATE];
    dsim_rng_key(sim->policy_rng, dsim_world_seed(w), DSIM_STREAM_POLICY, t);
    for (int j = 0; j < n; j++) {
        if (item_scope)
            items[j] = item_context(sim, visit, j);
        ctx[j] = item_scope ? &items[j] : visit;
        const double *given = sim->expected;
        if (item_scope) {
            given = NULL;
            if (!budget_spent && dsim_policy_is_clairvoyant(sim->policy)) {
                dsim__slate_expected_rewards_mixed(&sim->model, oracle, j, truth);
                given = truth;
            }
            if (logging)
                sim->last.item_context[j] = *ctx[j];
        } else if (logging) {
            sim->last.context = *visit;
        }
        double *distribution = !logging ? NULL : item_scope ? sim->last.item_distribution[j] : sim->last.distribution;
        dsim_action action = decide(sim, ctx[j], given, budget_spent, distribution);
        levels[j] = action.level;
        chosen_with[j] = sim->keep_propensity ? action.propensity : 0;
        if (item_scope)
            sim->last.item_propensity[j] = action.propensity;
        propensity *= action.propensity;
    }
    for (int j = n; j < sim->slate_size; j++) /* scope visit: the one level for every position */
        levels[j] = levels[0];

    dsim_rng_key(sim->choice_rng, dsim_world_seed(w), DSIM_STREAM_CHOICE, t);
    if (item_scope)
        dsim__world_visit_items(w, &sim->model, levels, sim->choice_rng, outcome);
    else
        dsim__world_visit(w, &sim->model, levels[0], sim->choice_rng, outcome);

    double delay = outcome->position >= 0 ? purchase_delay(sim, t, visit->shopper) : NAN;
    sim->last.purchase_delay = delay;
    for (int j = 0; j < n && !budget_spent && !sim->options.frozen; j++) {
        dsim_outcome mine = share_of(outcome, item_scope, j);
        dsim_feedback fb = feedback_of(levels[j], &mine);
        if (sim->deferred)
            fb.propensity = chosen_with[j];
        int rc = sim->deferred ? dsim__learning_push(&sim->learning, ctx[j], &fb, visit->day,
                                                     fb.purchased ? visit->day + delay : INFINITY)
                               : dsim_policy_learn(sim->policy, ctx[j], &fb);
        if (rc)
            return rc;
    }
    if (logging && item_scope)
        sim->last.n_item_decisions = n;
    double chosen = sim->expected[levels[0]];
    if (item_scope)
        dsim__slate_expected_rewards_mixed(&sim->model, levels, -1, &chosen);
    *regret = best - chosen;
    sim->last.action = (dsim_action){levels[0], propensity};
    return DSIM_OK;
}

/* Retrieve the candidates of the visits from t on, up to a batch, the horizon or the next shock, whichever
   comes first; a source that learns may retrain first. */
static int rank_ahead(dsim_sim *sim, uint64_t t)
{
    int rc = dsim_ranker_refresh(sim->ranker, t);
    if (rc)
        return rc;
    uint64_t end = t + (uint64_t)sim->batch;
    if (end > sim->horizon)
        end = sim->horizon;
    if (sim->next_shock < sim->n_shocks && sim->shocks[sim->next_shock].visit < end)
        end = sim->shocks[sim->next_shock].visit;
    for (uint64_t v = t; v < end; v++)
        sim->batch_shopper[v - t] = dsim_world_arrival(sim->world, v, sim->arrival_rng);
    sim->batch_first = t;
    sim->batch_end = end;
    if (sim->batch == 1) { /* the per-visit exact ranker: no BLAS call for a single row */
        dsim_ranker_top_k(sim->ranker, sim->batch_shopper[0], sim->candidates, sim->batch_items, sim->batch_scores);
        return DSIM_OK;
    }
    return dsim_ranker_top_k_batch(sim->ranker, sim->batch_shopper, (int)(end - t), sim->candidates,
                                   sim->batch_items, sim->batch_scores);
}

/* A fresh visit record; the logged context and distribution (a kilobyte) are only cleared, not zeroed, and
   the item levels are written at the visit's end (or zeroed for a lost visit). */
static void begin_record(dsim_visit_record *r, uint64_t t, uint32_t u, dsim_sim *sim)
{
    r->visit = t;
    r->shopper = u;
    r->lost = false;
    r->slate = sim->slate;
    r->slate_size = sim->slate_size;
    r->action = (dsim_action){0, 0.0};
    memset(r->item_propensity, 0, sizeof r->item_propensity);
    r->expected = sim->expected;
    r->outcome = (dsim_outcome){0};
    r->purchase_delay = NAN;
    r->purchase_known = false;
    r->n_actions = 0;
    r->n_item_decisions = 0;
}

/* The visit's slate from its retrieved candidates; on sampled visits, its quality against the truth, counted in
   the run's and the shopper's segment's totals. */
static void choose_slate(dsim_sim *sim, uint64_t t, uint32_t u, double day, dsim_metrics *segment)
{
    int k = sim->slate_size, c = sim->candidates;
    const uint32_t *candidates = sim->batch_items + (size_t)(t - sim->batch_first) * (size_t)c;
    const float *scores = sim->batch_scores + (size_t)(t - sim->batch_first) * (size_t)c;
    if (c == k) {
        memcpy(sim->slate, candidates, sizeof(uint32_t) * (size_t)k);
        memcpy(sim->scores, scores, sizeof(float) * (size_t)k);
    } else {
        dsim_ranker_select(sim->ranker, u, day, candidates, scores, c, k, sim->slate, sim->scores);
    }
    if (t % (uint64_t)sim->sc->ranking.quality_every != 0)
        return;
    dsim_world_true_utilities(sim->world, u, sim->true_utility);
    dsim__top_k_of(sim->true_utility, dsim_world_n_items(sim->world), sim->relevant, sim->true_top,
                  sim->true_top_utility);
    dsim_ranking_quality q = dsim_metrics_ranking_quality(sim->slate, k, sim->true_top, sim->relevant);
    dsim_metrics *totals[2] = {&sim->metrics, segment};
    for (int i = 0; i < 2; i++) {
        totals[i]->quality_visits++;
        totals[i]->precision_sum += q.precision;
        totals[i]->recall_sum += q.recall;
        totals[i]->ndcg_sum += q.ndcg;
    }
}

/* ---- purchases that come later ------------------------------------------------------------------- */

static int expect_purchase(dsim_sim *sim, double day, uint32_t u, int segment, bool discounted)
{
    delayed_purchase *coming = dsim__grown(sim->coming, &sim->coming_cap, sim->n_coming + 1, sizeof *coming, 1024);
    if (!coming)
        return dsim_error_set(DSIM_ENOMEM, "out of memory keeping the purchases still to come");
    sim->coming = coming;
    size_t i = sim->n_coming++;
    for (; i > 0 && sim->coming[(i - 1) / 2].day > day; i = (i - 1) / 2)
        sim->coming[i] = sim->coming[(i - 1) / 2];
    sim->coming[i] = (delayed_purchase){day, u, segment, discounted};
    sim->segments.segment[segment].pending_purchases++;
    return DSIM_OK;
}

/* The shop hears of every purchase that has happened by `day`: its shopper's history counts it then. */
static void hear_of_purchases(dsim_sim *sim, double day)
{
    while (sim->n_coming > 0 && sim->coming[0].day <= day) {
        delayed_purchase p = sim->coming[0];
        shopper_history *h = &sim->history[p.shopper];
        h->n_purchases++;
        h->n_discounted_purchases += p.discounted;
        h->last_purchase_day = (float)p.day;
        sim->segments.segment[p.segment].pending_purchases--;
        delayed_purchase last = sim->coming[--sim->n_coming];
        size_t i = 0;
        for (;;) { /* sift the last element down from the root */
            size_t c = 2 * i + 1;
            if (c >= sim->n_coming)
                break;
            if (c + 1 < sim->n_coming && sim->coming[c + 1].day < sim->coming[c].day)
                c++;
            if (sim->coming[c].day >= last.day)
                break;
            sim->coming[i] = sim->coming[c];
            i = c;
        }
        if (sim->n_coming > 0)
            sim->coming[i] = last;
    }
}

/* A purchase made on this visit that happens `delay` days later: counted now, heard of then. */
static int purchase_later(dsim_sim *sim, dsim_metrics *segment, double day, uint32_t u, double delay,
                          bool discounted)
{
    bool late = delay > sim->learning.window;
    sim->metrics.delayed_purchases++;
    segment->delayed_purchases++;
    sim->metrics.late_purchases += late;
    segment->late_purchases += late;
    return expect_purchase(sim, day + delay, u, dsim_world_shopper_segment(sim->world, u), discounted);
}

/*
 * An update is due after visit t: every update_every visits, or at every end of an hour or a day of the world's
 * clock before the next visit. The clock's periods are counted in whole numbers (floor of day × periods a day),
 * so each period ends once, whatever the rounding of its day. The first end after the visit learns what is
 * known then; a later one before the next visit has no new decision to learn, but may close windows (wait).
 */
static int update_if_due(dsim_sim *sim, uint64_t t)
{
    double day = dsim_world_day(sim->world, t);
    if (sim->periods_per_day == 0) {
        if ((t + 1) % (uint64_t)sim->sc->learning.update_every != 0)
            return DSIM_OK;
        return dsim__learning_update(&sim->learning, sim->policy, day);
    }
    double per_day = sim->periods_per_day, first = floor(day * per_day) + 1,
           last = floor(dsim_world_day(sim->world, t + 1) * per_day);
    if (last < first)
        return DSIM_OK;
    int rc = dsim__learning_update(&sim->learning, sim->policy, first / per_day);
    if (!rc && last > first && sim->learning.n > 0)
        rc = dsim__learning_update(&sim->learning, sim->policy, last / per_day);
    return rc;
}

static int simulate_visit(dsim_sim *sim, uint64_t t)
{
    dsim_world *w = sim->world;
    const dsim_scenario *sc = sim->sc;
    while (sim->next_shock < sim->n_shocks && sim->shocks[sim->next_shock].visit <= t)
        dsim_world_apply_shock(w, sim->shocks[sim->next_shock++].shock);
    if (t >= sim->batch_end) {
        int rc = rank_ahead(sim, t);
        if (rc)
            return rc;
    }

    uint32_t u = sim->batch_shopper[t - sim->batch_first];
    double day = dsim_world_day(w, t);
    prefetch_next_shopper(sim, t + 1);
    if (sim->n_coming)
        hear_of_purchases(sim, day);
    dsim_metrics *segment = &sim->segments.segment[dsim_world_shopper_segment(w, u)];
    sim->metrics.arrivals++;
    segment->arrivals++;
    begin_record(&sim->last, t, u, sim);
    if (!dsim_world_shopper_active(w, u)) {
        sim->metrics.lost_visits++;
        segment->lost_visits++;
        sim->last.lost = true;
        memset(sim->last.item_levels, 0, sizeof sim->last.item_levels);
        return DSIM_OK;
    }

    choose_slate(sim, t, u, day, segment);
    dsim_context ctx;
    build_context(sim, t, day, u, &ctx);
    dsim__world_slate_model(w, u, sim->slate, sim->slate_size, &sim->model);
    dsim__slate_expected_rewards(&sim->model, sim->expected);

    bool budget_spent = sc->discounts.budget > 0 && sim->metrics.discount_spend >= sc->discounts.budget;
    int levels[DSIM_MAX_SLATE] = {0};
    double regret;
    dsim_outcome outcome;
    int rc = decide_visit(sim, t, &ctx, budget_spent, levels, &outcome, &regret);
    if (rc)
        return rc;
    /* A purchase that comes later is counted with this visit; the shopper's history hears of it when it happens,
       the ranker never (it sees a visit without a purchase). */
    bool bought = outcome.position >= 0, at_once = bought && !(sim->last.purchase_delay > 0);
    if (bought && !at_once &&
        (rc = purchase_later(sim, segment, day, u, sim->last.purchase_delay, outcome.discount_shown > 0)))
        return rc;
    sim->last.purchase_known = bought && sim->last.purchase_delay <= sim->learning.window &&
                               day + sim->last.purchase_delay <= sim->end_day;
    remember(&sim->history[u], day, outcome.discount_shown, at_once);
    dsim_rank_feedback seen = {u,        day, sim->slate, sim->scores, sim->slate_size, outcome.clicked,
                               at_once ? outcome.position : -1, outcome.discount_shown};
    dsim_ranker_observe(sim->ranker, &seen);
    int n_decisions = sc->discounts.scope == DSIM_SCOPE_ITEM ? sim->slate_size : 1;
    account(&sim->metrics, sc, levels, n_decisions, &outcome, regret);
    account(segment, sc, levels, n_decisions, &outcome, regret);
    memcpy(sim->last.item_levels, levels, sizeof levels);
    sim->last.outcome = outcome;
    return DSIM_OK;
}

int dsim_sim_advance(dsim_sim *sim, uint64_t n_visits)
{
    if (sim->next_visit >= sim->horizon)
        return DSIM_DONE;
    uint64_t end = sim->next_visit + n_visits;
    if (end > sim->horizon || end < sim->next_visit)
        end = sim->horizon;
    for (uint64_t t = sim->next_visit; t < end; t++) {
        int rc = simulate_visit(sim, t);
        if (!rc && sim->deferred)
            rc = update_if_due(sim, t);
        if (rc) {
            /* The run cannot go on meaningfully: later advances return DSIM_DONE; the caller marks it failed. */
            sim->next_visit = sim->horizon;
            return rc;
        }
    }
    sim->next_visit = end;
    return DSIM_OK;
}

int dsim_sim_shock_now(dsim_sim *sim, const dsim_shock_config *shock)
{
    int rc = dsim_world_apply_shock(sim->world, shock);
    sim->batch_end = sim->next_visit; /* rank again from the next visit on */
    return rc;
}

void dsim_sim_metrics(const dsim_sim *sim, dsim_metrics *out)
{
    *out = sim->metrics;
    out->pending_purchases = sim->n_coming; /* a level, read off the heap of purchases still to come */
}

void dsim_sim_segment_metrics(const dsim_sim *sim, dsim_segment_metrics *out)
{
    *out = sim->segments;
}

uint64_t dsim_sim_visits_done(const dsim_sim *sim)
{
    return sim->next_visit;
}

uint64_t dsim_sim_horizon(const dsim_sim *sim)
{
    return sim->horizon;
}

void dsim_sim_last_visit(const dsim_sim *sim, dsim_visit_record *out)
{
    *out = sim->last;
}
