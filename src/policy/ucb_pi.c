/*
 * ucb_pi.c — UCB with partial identification (Misra, Schwartz & Abernethy 2019, "Dynamic Online Pricing with
 * Incomplete Information Using Multiarmed Bandit Experiments", Marketing Science 38(2), §3).
 *
 * A pricing agent: the levels are prices p_l = mean list price × (1 − d_l), and demand falls with price.
 * Consumers come in observable segments s, each with valuations v_s ± δ. From the purchases seen so far:
 *   p̲_s  the highest price at which every consumer of s bought (0 until one is seen),
 *   p̄_s  the lowest price at which none bought (the highest price until one is seen),
 *   v̂_s = (p̲_s + p̄_s) / 2,
 *   δ̂_s  the smallest spread that explains s's data: half the excess of the highest price anyone of s bought
 *        at over the lowest price anyone of s declined (0 while they do not cross),
 *   δ̂    = max_s δ̂_s + (max_s δ̂_s − Σ_s c_s δ̂_s): the largest spread plus a boundary correction for a
 *        maximum seen from below (the paper's discrete Hall & Park estimator, whose exact form did not
 *        survive in any copy we could read; this is our reading of it), c_s the segments' observed shares.
 * Demand at p then lies between Σ_s c_s [v̂_s − δ̂ ≥ p] and Σ_s c_s [v̂_s + δ̂ ≥ p], so profit between
 *   LB(p) = p Σ_s c_s [v̂_s − δ̂ ≥ p]   and   UB(p) = p Σ_s c_s [v̂_s + δ̂ ≥ p].
 * A price whose UB is below another price's LB is dominated and never tried again (partial
 * identification). Among the rest it plays the highest index, π̄ the mean profit per consumer:
 *   untuned (their eq. 7): π̄_l + p_l √(2 ln t / n_l),
 *   tuned:                 π̄_l + 2 δ̂ p_l √(ln t / n_l · min(1/4, V_l)),  V_l = var(π) + √(2 ln t / n_l)
 *                          (UCB-tuned's variance bound, Auer et al. 2002),
 * trying each surviving price once first.
 *
 * Consumers come with their segment in bandit rounds (dsim/bandit.h); in a shop visit the shopper is one
 * consumer of a single segment who bought or not at the level's mean price. That makes the agent weak in a
 * shop: with one segment, once every level has seen both purchases and declines the bounds span all prices
 * and nothing is pruned (it is then UCB1 with a price-scaled bonus), and the bounds are on revenue
 * (price × demand) whatever the scenario's objective. It is built for the pricing problems of the paper. When the feedback reports no
 * purchases at all (env.n_groups = 0, e.g. noisy profits), nothing prunes and δ̂ stays at half the top
 * price (valuations known only to lie in [0, top]). The bounds are refreshed when an observation moves
 * one, and otherwise as the shares drift, at rounds growing by 1 % (the shares converge, so this saves an
 * O(segments) pass per round at no visible cost).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_impl.h"

enum { P_TUNED, N_PARAMS };

static const dsim_param_spec ucb_pi_params[N_PARAMS] = {
    {"tuned", 0, 0, 1, "1: the variance-tuned index (UCB-PI-tuned), 0: the untuned one"},
};

enum { SEEN_BUY = 1, SEEN_DECLINE = 2 };

typedef struct {
    int n_levels;
    bool tuned;
    bool identifies;                  /* feedback reports purchases (env.n_groups > 0) */
    double price[DSIM_MAX_LEVELS];
    int by_price[DSIM_MAX_LEVELS];    /* levels from the cheapest price up */
    double top;                       /* the highest price */
    uint64_t t;
    uint64_t count[DSIM_MAX_LEVELS];
    double mean[DSIM_MAX_LEVELS];     /* reward */
    double mean_sq[DSIM_MAX_LEVELS];  /* reward² */
    bool dominated[DSIM_MAX_LEVELS];
    double delta;                     /* δ̂ */
    uint32_t n_groups;
    uint8_t *seen;                    /* (n_groups, n_levels) SEEN_* flags */
    double *low, *high;               /* (n_groups,) p̲_s, p̄_s */
    double *spread;                   /* (n_groups,) δ̂_s */
    uint64_t *consumers;              /* (n_groups,) consumers seen */
    uint64_t total_consumers;
    bool stale;
    uint64_t next_refresh;
} ucb_pi_state;

static int ucb_pi_init(void *state, const dsim_policy_env *env, const double *params)
{
    ucb_pi_state *s = state;
    s->n_levels = env->n_levels;
    s->tuned = params[P_TUNED] > 0.5;
    double top = 0;
    for (int l = 0; l < env->n_levels; l++)
        top = fmax(top, s->price[l] = env->mean_price * (1 - env->levels[l]));
    s->top = top;
    for (int i = 0; i < env->n_levels; i++) /* insertion sort: a few hundred levels at most */
        for (int j = i; j >= 0; j--) {
            if (j == 0 || s->price[s->by_price[j - 1]] <= s->price[i]) {
                memmove(&s->by_price[j + 1], &s->by_price[j], sizeof(int) * (size_t)(i - j));
                s->by_price[j] = i;
                break;
            }
        }
    s->identifies = env->n_groups > 0;
    s->n_groups = env->n_groups ? env->n_groups : 1;
    s->seen = calloc((size_t)s->n_groups * (size_t)s->n_levels, 1);
    s->low = calloc(s->n_groups, sizeof(double));
    s->high = malloc(sizeof(double) * s->n_groups);
    s->consumers = calloc(s->n_groups, sizeof(uint64_t));
    s->spread = calloc(s->n_groups, sizeof(double));
    if (!s->seen || !s->low || !s->high || !s->consumers || !s->spread)
        return dsim_error_set(DSIM_ENOMEM, "ucb_pi: out of memory for %u segments", s->n_groups);
    for (uint32_t g = 0; g < s->n_groups; g++)
        s->high[g] = top;
    s->delta = 0.5 * top; /* valuations in [0, top]: the half-width of total ignorance */
    return DSIM_OK;
}

static void ucb_pi_free(void *state)
{
    ucb_pi_state *s = state;
    free(s->seen);
    free(s->low);
    free(s->high);
    free(s->consumers);
    free(s->spread);
}

/* p̲_g, p̄_g and δ̂_g from the flags of group g. */
static void bound_group(ucb_pi_state *s, uint32_t g)
{
    const uint8_t *seen = s->seen + (size_t)g * (size_t)s->n_levels;
    double all_bought = 0, none_bought = s->top, highest_buy = -INFINITY, lowest_decline = INFINITY;
    for (int l = 0; l < s->n_levels; l++) {
        double p = s->price[l];
        if (seen[l] == SEEN_BUY)
            all_bought = fmax(all_bought, p);
        else if (seen[l] == SEEN_DECLINE)
            none_bought = fmin(none_bought, p);
        if (seen[l] & SEEN_BUY)
            highest_buy = fmax(highest_buy, p);
        if (seen[l] & SEEN_DECLINE)
            lowest_decline = fmin(lowest_decline, p);
    }
    /* With spread, "all bought" can sit above "none bought"; the interval is then taken either way round. */
    s->low[g] = fmin(all_bought, none_bought);
    s->high[g] = fmax(all_bought, none_bought);
    s->spread[g] = highest_buy > lowest_decline ? 0.5 * (highest_buy - lowest_decline) : 0.0;
}

/* @return how many prices are ≤ x (binary search in the ascending prices). */
static int prices_up_to(const ucb_pi_state *s, double x)
{
    int lo = 0, hi = s->n_levels;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->price[s->by_price[mid]] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* δ̂ and the dominated prices, from every group's bounds and share. */
static void refresh(ucb_pi_state *s)
{
    double widest = 0, mean_width = 0;
    double n = (double)s->total_consumers;
    for (uint32_t g = 0; g < s->n_groups; g++) {
        if (!s->consumers[g])
            continue;
        widest = fmax(widest, s->spread[g]);
        mean_width += (double)s->consumers[g] / n * s->spread[g];
    }
    s->delta = fmax(0.0, 2 * widest - mean_width);
    /* A group adds its share to the bounds at every price up to v̂ ∓ δ̂: bucket it by how many prices that
       is, then sum the buckets from the top price down. */
    double lb_bucket[DSIM_MAX_LEVELS + 1] = {0}, ub_bucket[DSIM_MAX_LEVELS + 1] = {0};
    for (uint32_t g = 0; g < s->n_groups; g++) {
        if (!s->consumers[g])
            continue;
        double share = (double)s->consumers[g] / n, centre = 0.5 * (s->low[g] + s->high[g]);
        lb_bucket[prices_up_to(s, centre - s->delta)] += share;
        ub_bucket[prices_up_to(s, centre + s->delta)] += share;
    }
    double lb[DSIM_MAX_LEVELS], ub[DSIM_MAX_LEVELS], lb_sum = 0, ub_sum = 0;
    for (int i = s->n_levels - 1; i >= 0; i--) { /* i-th cheapest price */
        lb_sum += lb_bucket[i + 1];
        ub_sum += ub_bucket[i + 1];
        lb[s->by_price[i]] = lb_sum;
        ub[s->by_price[i]] = ub_sum;
    }
    double best_lb = -INFINITY, second_lb = -INFINITY;
    int best = -1;
    for (int l = 0; l < s->n_levels; l++) {
        lb[l] *= s->price[l];
        ub[l] *= s->price[l];
        if (lb[l] > best_lb) {
            second_lb = best_lb;
            best_lb = lb[l];
            best = l;
        } else if (lb[l] > second_lb) {
            second_lb = lb[l];
        }
    }
    for (int l = 0; l < s->n_levels; l++)
        s->dominated[l] = ub[l] < (l == best ? second_lb : best_lb);
    s->stale = false;
    s->next_refresh = s->t + s->t / 100 + 1;
}

static double index_of(const ucb_pi_state *s, int l)
{
    double n = (double)s->count[l], log_t = log((double)s->t);
    if (!s->tuned)
        return s->mean[l] + s->price[l] * sqrt(2 * log_t / n);
    /* The paper's prices and profits lie in [0, 1]: δ̂ and the variance are taken in units of the top price,
       so that the index does not depend on the currency. */
    double variance = (s->mean_sq[l] - s->mean[l] * s->mean[l]) / (s->top * s->top) + sqrt(2 * log_t / n);
    return s->mean[l] + 2 * s->price[l] * (s->delta / s->top) * sqrt(log_t / n * fmin(0.25, variance));
}

static int ucb_pi_choose(const ucb_pi_state *s)
{
    double index[DSIM_MAX_LEVELS];
    for (int l = 0; l < s->n_levels; l++) {
        if (s->dominated[l]) {
            index[l] = -INFINITY;
            continue;
        }
        if (s->count[l] == 0)
            return l;
        index[l] = index_of(s, l);
    }
    return dsim__argmax(index, s->n_levels);
}

static void ucb_pi_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng,
                       bool want_propensity, dsim_action *out)
{
    (void)ctx, (void)truth, (void)rng, (void)want_propensity;
    out->level = ucb_pi_choose(state);
    out->propensity = 1.0;
}

static void ucb_pi_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)ctx, (void)truth;
    const ucb_pi_state *s = state;
    dsim__one_hot(probs, s->n_levels, ucb_pi_choose(s));
}

static void observe(ucb_pi_state *s, uint32_t group, int level, bool bought)
{
    uint8_t *seen = &s->seen[(size_t)group * (size_t)s->n_levels + (size_t)level];
    uint8_t now = *seen | (bought ? SEEN_BUY : SEEN_DECLINE);
    s->consumers[group]++;
    s->total_consumers++;
    if (now != *seen) {
        *seen = now;
        bound_group(s, group);
        s->stale = true;
    }
}

static int ucb_pi_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    (void)ctx;
    ucb_pi_state *s = state;
    int l = fb->level;
    if (!s->identifies) {
        /* rewards alone carry no purchase information: nothing to identify, δ̂ stays at its start */
    } else if (fb->n_units == 0) {
        observe(s, 0, l, fb->purchased);
    } else {
        for (int i = 0; i < fb->n_units; i++) {
            if (fb->units[i].group >= s->n_groups)
                return dsim_error_set(DSIM_EINVAL, "ucb_pi: consumer segment %u beyond the %u announced",
                                      fb->units[i].group, s->n_groups);
            observe(s, fb->units[i].group, l, fb->units[i].bought);
        }
    }
    double n = (double)++s->count[l];
    s->mean[l] += (fb->reward - s->mean[l]) / n;
    s->mean_sq[l] += (fb->reward * fb->reward - s->mean_sq[l]) / n;
    s->t++;
    if (s->identifies && (s->stale || s->t >= s->next_refresh))
        refresh(s);
    return DSIM_OK;
}

const dsim_policy_type dsim_policy_ucb_pi = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "ucb_pi",
    .summary = "UCB with partial identification: prices that demand's monotonicity proves dominated are "
               "dropped (Misra, Schwartz & Abernethy 2019)",
    .params = ucb_pi_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(ucb_pi_state),
    .free = ucb_pi_free,
    .init = ucb_pi_init,
    .act = ucb_pi_act,
    .distribution = ucb_pi_distribution,
    .learn = ucb_pi_learn,
};
