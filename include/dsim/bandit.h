/*
 * dsim/bandit.h — plain K-armed problems, for checking agents against published results.
 *
 * A bandit file (an .ini under scenarios/bandits/, one [bandit] section) describes one of three problems, with no
 * shoppers, slates or memory: each round the policy picks an arm, the problem pays a reward drawn from
 * the arm's distribution, and the policy learns from it.
 *
 *   bernoulli  arm k pays 1 with probability means[k] (Chapelle & Li 2011, §4.1);
 *   linear     arm k posts price p_k and earns p_k (a − b p_k) + N(0, noise_sd²) (Misra, Schwartz &
 *              Abernethy 2019, §1.1: D(p) = 3(1 − p));
 *   valuation  arm k posts price p_k to `consumers` consumers; each belongs to one of `segments` segments
 *              (shares ~ Dirichlet(share_concentration), valuation v_s ~ Beta(a, b) per segment) and buys
 *              when v_s + U[−δ, δ] ≥ p_k; the round earns p_k × buyers / consumers (Misra et al. §4.1).
 *              Consumers' segments are observable (the firm knows a consumer's market), valuations not.
 *
 * Prices reach policies as discount levels off the highest price, d_k = 1 − p_k / p_max, so that every
 * policy type runs unchanged; level 0 is the highest price. Draws come from streams keyed by (seed, round)
 * and independent of the arm pulled: policies on one seed face the same consumers (common random numbers).
 */
#ifndef DSIM_BANDIT_H
#define DSIM_BANDIT_H

#include <stdint.h>

#include "dsim/policy.h"

typedef enum { DSIM_BANDIT_BERNOULLI = 0, DSIM_BANDIT_LINEAR, DSIM_BANDIT_VALUATION } dsim_bandit_kind;

#define DSIM_BANDIT_MAX_SEGMENTS 100000
#define DSIM_BANDIT_MAX_CONSUMERS 10000
#define DSIM_BANDIT_MAX_CHECKPOINTS 200

typedef struct {
    char name[DSIM_NAME_MAX];
    char description[256];
    dsim_bandit_kind kind;
    uint64_t seed;
    uint64_t rounds;
    int checkpoints; /* regret recorded at this many rounds, spaced evenly in ln t */
    int update_every; /* rounds between the policy's updates: it acts on a frozen state in between and then
                         learns from the batch in order (1: after every round) */
    int n_arms;
    double means[DSIM_MAX_LEVELS];  /* bernoulli: success probability per arm */
    double prices[DSIM_MAX_LEVELS]; /* linear, valuation: ascending */
    double intercept, slope, noise_sd; /* linear */
    int consumers, segments;           /* valuation */
    double share_concentration, valuation_a, valuation_b, perturbation;
    char path[512];
    char *text; /* the file's text, owned (NULL when built in code) */
} dsim_bandit_config;

/** Read a bandit file. @return 0, DSIM_EIO, or DSIM_ECONFIG with "FILE:LINE: ..." in dsim_errmsg(). */
int dsim_bandit_config_load(dsim_bandit_config **out, const char *path);
/** The same from text in memory; `origin` names it in messages. `out` is the caller's (dsim_bandit_config_free). */
int dsim_bandit_config_parse(dsim_bandit_config **out, const char *text, const char *origin);
/** Free a configuration; NULL is a no-op. */
void dsim_bandit_config_free(dsim_bandit_config *cfg);
/** @return "bernoulli", "linear" or "valuation". */
const char *dsim_bandit_kind_name(dsim_bandit_kind kind);

/** One problem drawn from a configuration and a seed (the valuation problem's segments are drawn). */
typedef struct dsim_bandit dsim_bandit;

/** @param cfg borrowed, must outlive the problem. @return 0 or DSIM_ENOMEM; `out` is the caller's. */
int dsim_bandit_alloc(dsim_bandit **out, const dsim_bandit_config *cfg, uint64_t seed);
/** Free a problem; NULL is a no-op. */
void dsim_bandit_free(dsim_bandit *b);
/** The env every policy on this problem is set up with. */
void dsim_bandit_policy_env(const dsim_bandit *b, dsim_policy_env *env);
/** @return the expected reward of every arm, in level order (level 0 = highest price). */
const double *dsim_bandit_arm_means(const dsim_bandit *b);
/** @return the arm with the highest expected reward. */
int dsim_bandit_best_arm(const dsim_bandit *b);

/** What one policy earned on one problem. */
typedef struct {
    uint64_t rounds;
    double reward;          /* Σ rewards drawn */
    double expected_reward; /* Σ expected reward of the arms pulled */
    double optimum;         /* expected reward per round of the best arm */
    double regret;          /* pseudo-regret Σ (optimum − expected reward of the arm pulled) */
    int n_checkpoints;
    uint64_t checkpoint_round[DSIM_BANDIT_MAX_CHECKPOINTS];
    double checkpoint_regret[DSIM_BANDIT_MAX_CHECKPOINTS];
    uint64_t pulls[DSIM_MAX_LEVELS];
} dsim_bandit_result;

/**
 * Run `policy` (set up with dsim_bandit_policy_env()) for `rounds` rounds (0: the file's).
 * @return 0, or the policy's learning error (DSIM_ENUMERIC).
 */
int dsim_bandit_run(dsim_bandit *b, dsim_policy *policy, uint64_t rounds, dsim_bandit_result *out);

/**
 * Lai & Robbins' constant of a Bernoulli problem, C = Σ_{i ≠ *} Δ_i / KL(μ_i ‖ μ*): an optimal policy's
 * regret grows like C ln T. @return C, or NAN for a pricing problem.
 */
double dsim_bandit_lai_robbins(const dsim_bandit *b);

/**
 * Slope of regret against ln t, fitted by least squares to the checkpoints at t ≥ T^from (from in [0, 1):
 * 0.5 fits the second half of the run on a log scale). @return the slope, or NAN with fewer than 3 points.
 */
double dsim_bandit_regret_slope(const dsim_bandit_result *r, double from);

/** @return 100 × expected reward earned / (rounds × optimum): the share of the best arm's earnings. */
double dsim_bandit_percent_of_optimum(const dsim_bandit_result *r);

#endif
