/*
 * policy_impl.h — helpers shared by the policy types in src/policy/: per-level reward statistics,
 * deterministic argmax, one-hot distributions and level lookup.
 */
#ifndef DSIM_POLICY_IMPL_H
#define DSIM_POLICY_IMPL_H

#include <gsl/gsl_integration.h>

#include "dsim/error.h"
#include "dsim/features.h"
#include "dsim/policy.h"
#include "policy/ridge.h"

/*
 * Count and mean reward of each level, over every visit or over a sliding window of the last `window`
 * visits (Garivier & Moulines 2011), which lets UCB and ε-greedy follow a market that shifts.
 */
typedef struct {
    int n_levels;
    uint64_t total; /* visits counted: all of them, or at most `window` */
    uint64_t count[DSIM_MAX_LEVELS];
    double mean[DSIM_MAX_LEVELS];
    double sum[DSIM_MAX_LEVELS]; /* in the window (window mode only) */
    uint32_t window; /* 0: no window */
    uint64_t pushed; /* visits seen in all */
    uint8_t *ring_level;
    double *ring_reward;
} dsim__arms;

/** @param window 0 for all visits, else the length of the sliding window. @return 0 or DSIM_ENOMEM. */
int dsim__arms_init(dsim__arms *arms, int n_levels, uint32_t window);
void dsim__arms_free(dsim__arms *arms);
void dsim__arms_update(dsim__arms *arms, int level, double reward);

/** @return the index of the largest value; ties go to the lowest index (so results are deterministic). */
int dsim__argmax(const double *values, int n);

/** out ← a level drawn from probs with one uniform of rng (the first whose cumulative probability exceeds
 *  it), and its probability as the propensity. */
void dsim__draw_action(const double *probs, int n, gsl_rng *rng, dsim_action *out);

/** @return the objective of an average sale at this level: the catalog's mean price after the discount,
 *  minus its mean cost for profit, 1 for conversions (the prior of the agents that model sales). */
double dsim__sale_value(const dsim_policy_env *env, int level);

/**
 * @return the reward of a typical sale: the objective of the catalog's mean item sold at level 0 (the
 * env's reward_scale if that is not positive). Regression agents measure rewards in this unit, so that a
 * visit's reward has a spread of order 1 and one exploration weight suits every scenario; the largest
 * reward (reward_scale) is set by the dearest item and would shrink rewards to a few thousandths.
 */
double dsim__reward_unit(const dsim_policy_env *env);

/*
 * The propensity of a level chosen by a randomised argmax with no closed form (Thompson sampling's):
 * inverse binomial sampling. Draw until `level` has won DSIM__PROPENSITY_WINS times; after N draws,
 * WINS / N estimates p, never 0, and N / WINS is exactly unbiased for 1 / p (N is negative binomial, with
 * mean WINS / p), so an IPS weight π / p̂ is unbiased, with relative SD √((1 − p) / WINS) ≈ 18 %.
 * Expected cost: WINS / p draws, so WINS × (levels) draws averaged over the levels a policy chooses
 * (a level is chosen with probability p). Past DSIM__PROPENSITY_MAX_DRAWS draws (p below about 3e-5,
 * a level chosen that rarely) it returns (wins + 1) / (draws + 1).
 */
enum { DSIM__PROPENSITY_WINS = 32, DSIM__PROPENSITY_MAX_DRAWS = 1 << 20 };
/** @return the index of a decision for keying its random stream: the visit, or in scope item the visit's
 *  item decision (so the items of one visit get independent streams). */
uint64_t dsim__decision_index(const dsim_context *ctx);
typedef int (*dsim__draw_fn)(const void *state, const void *arg, gsl_rng *rng);
double dsim__sampled_propensity(dsim__draw_fn draw, const void *state, const void *arg, int level, gsl_rng *rng);

/** probs ← the distribution that puts all mass on `level`. */
void dsim__one_hot(double *probs, int n, int level);

/** @return the level whose fraction equals percent / 100, or -1 with an error message set and `param` blamed. */
int dsim__level_from_percent(const dsim_policy_env *env, double percent, const char *param);

/** From a type's init that fails because of one of its parameters (by name): the error is then reported at the
 *  line of the policy file that set it. */
void dsim__policy_blame(const char *param);

/* The features a contextual agent uses, and the facts (env) some of them need. */
typedef struct {
    uint32_t mask;
    int dim;
    dsim_policy_env env;
} dsim__feature_map;

/** @return 0, or DSIM_ECONFIG when the mask gives no column or more than max_dim. */
int dsim__feature_map_init(dsim__feature_map *m, const dsim_policy_env *env, int max_dim);
/** x ← the context's features. @param x (DSIM_MAX_FEATURE_DIM,) */
void dsim__feature_map_build(const dsim__feature_map *m, const dsim_context *ctx, double *x);

#define DSIM__WIDE_LANES 8

/*
 * One ridge model per level on the context features (disjoint arms, Li et al. 2010): the common part of
 * linucb, lin_ts and logistic_ts. Rewards are measured in typical sales (dsim__reward_unit).
 */
typedef struct {
    int n_levels;
    dsim__feature_map map;
    dsim__ridge model[DSIM_MAX_LEVELS];
    /* What the last act computed, for the learn that follows it: the context's key, its features, and each
       level's forward solve z_l = L_l⁻¹ x with the update count it was made at. */
    struct {
        bool valid;
        uint64_t visit;
        uint32_t shopper;
        int item;              /* item position in scope item, −1 for a visit decision */
        double x[DSIM_MAX_FEATURE_DIM];
        double *z;             /* (n_levels, dim) */
        uint64_t *made_at;     /* (n_levels,) model[l].n when z_l was made */
    } memo;
    /* With at most DSIM__WIDE_LANES levels, a copy of every factor interleaved level by level, so that the
       act's solves run as one vector operation across levels; a level's copy is refreshed when its model
       has been updated since (synced_at). NULL with more levels. */
    struct {
        double *factor;    /* (d, d, lanes): L_l(i, k) at ((k d) + i) lanes + l */
        double *inv_diag;  /* (d, lanes) */
        uint64_t *synced_at; /* (n_levels,) model[l].n the copy is of, UINT64_MAX before the first */
    } wide;
} dsim__linear_arms;

int dsim__linear_arms_init(dsim__linear_arms *a, const dsim_policy_env *env, double lambda);
void dsim__linear_arms_free(dsim__linear_arms *a);
/** mean[l] ← θ_l·x(ctx) for every level: each level's predicted reward (in reward units). */
void dsim__linear_arms_means(const dsim__linear_arms *a, const dsim_context *ctx, double *mean);
/** mean[l] ← θ_l·x and width2[l] ← xᵀA_l⁻¹x for every level (the same values as the per-model calls). */
void dsim__linear_arms_scores(const dsim__linear_arms *a, const double *x, double *mean, double *width2);
/**
 * mean and width2 for a context, as dsim__linear_arms_scores, remembering the features and solves so that
 * a learn on the same context (the engine's act → learn) skips rebuilding them.
 */
void dsim__linear_arms_scores_for(dsim__linear_arms *a, const dsim_context *ctx, double *mean, double *width2);
/** Update the model of the level given with the scaled reward. @return 0 or DSIM_ENUMERIC. */
int dsim__linear_arms_learn(dsim__linear_arms *a, const dsim_context *ctx, const dsim_feedback *fb);

/** The quadrature workspace of dsim__gaussian_argmax_probabilities (NULL when out of memory). */
gsl_integration_workspace *dsim__gaussian_argmax_workspace(void);
/** probs[l] ← P(l has the largest of independent N(mean_l, sd_l²) draws; ties to the lowest l). */
void dsim__gaussian_argmax_probabilities(gsl_integration_workspace *ws, const double *mean, const double *sd, int n,
                                         double *probs);

/*
 * Exploration of the value-based agents (q_learning, sarsa, linear_q): ε-greedy with
 * ε_t = ε / (1 + decay · t), or softmax over values / τ_t with τ_t = τ / (1 + decay · t) when τ > 0.
 */
typedef struct {
    double epsilon, temperature, decay;
} dsim__exploration;

/** probs ← ε/n on every level plus 1 − ε on the greedy one. */
void dsim__epsilon_greedy_distribution(double epsilon, int greedy, int n, double *probs);
/** probs ← the exploration distribution over levels with these values after t updates. */
void dsim__explore_distribution(const dsim__exploration *e, uint64_t t, const double *values, int n, double *probs);

/*
 * The transition of a value-based agent is a shopper's next visit: each customer's last (state, level,
 * reward) waits here until they come back. Tabular agents keep the state index, linear ones the features.
 */
typedef struct {
    uint32_t n_customers;
    int dim;          /* features kept per customer (0 for tabular agents) */
    uint8_t *level;   /* (n_customers,) 0 = nothing pending, else level + 1 */
    uint8_t *state;   /* (n_customers,) tabular state (tabular agents only) */
    float *reward;    /* (n_customers,) */
    float *features;  /* (n_customers, dim) */
} dsim__pending;

int dsim__pending_init(dsim__pending *p, uint32_t n_customers, int dim);
/** @return 0, or DSIM_EINVAL when customer u is beyond the ids the memory was made for. */
int dsim__pending_check(const dsim__pending *p, uint32_t u);
void dsim__pending_free(dsim__pending *p);

/**
 * Set parameter `key` (a parameter of cfg's type, or `features`) to `value`, checked against its range, with
 * "did you mean" for an unknown name. `where` begins each message ("FILE:LINE", "-p SPEC"). @return 0 or
 * DSIM_ECONFIG.
 */
int dsim__policy_set_param(dsim_policy_config *cfg, const char *key, const char *value, const char *where);

#endif
