/*
 * test_agents.c — learning agents against problems with known answers, driven through the policy
 * interface with hand-made contexts:
 *
 *  - a three-state, two-level MDP whose Q* is computed here by value iteration: tabular Q-learning (run
 *    off-policy under uniform exploration) must reach Q* within 1 %, and SARSA the uniform policy's Q^π;
 *  - a synthetic problem with rewards exactly linear in the features, where every level has the same
 *    average reward (so no non-contextual policy can beat 0.5 a visit) but the best level depends on the
 *    context: LinUCB and linear TS must earn far more than UCB1 and their regret must grow sublinearly.
 *
 * Pass rate on fresh seeds (DSIM_SEED_OFFSET = k · 10^6, k = 1…50): 49 of 50; the one failure was SARSA's
 * Q(1, 1) off by 1.05 % against the 1 % tolerance (its worst error per run: 95th percentile 0.82 %).
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "dsim/features.h"
#include "dsim/rng.h"
#include "helpers.h"

/* ---- a tiny MDP -------------------------------------------------------------------------------------- */

enum { MDP_STATES = 3, MDP_LEVELS = 2 };
static const double mdp_reward[MDP_STATES][MDP_LEVELS] = {{1.0, 0.2}, {0.0, 0.7}, {0.5, 2.0}};
/* P(s' | s, a) */
static const double mdp_next[MDP_STATES][MDP_LEVELS][MDP_STATES] = {
    {{0.8, 0.2, 0.0}, {0.1, 0.1, 0.8}},
    {{0.5, 0.5, 0.0}, {0.0, 0.3, 0.7}},
    {{0.9, 0.0, 0.1}, {0.6, 0.2, 0.2}},
};
static const double mdp_gamma = 0.8;

/* MDP state s is a tabular state with its own taught-discount bucket (first visit, never bought). */
static dsim_context mdp_context(int s, uint64_t t)
{
    static const double taught[MDP_STATES] = {0.0, 0.02, 0.08}; /* of the top level 0.1: buckets 0, 3, 5 */
    return (dsim_context){.visit = t, .shopper = 0, .days_since_visit = -1, .days_since_purchase = -1,
                          .recent_discount_level = taught[s]};
}

static int sample_state(const double *p, double u)
{
    double cumulative = 0;
    for (int s = 0; s < MDP_STATES - 1; s++)
        if (u < (cumulative += p[s]))
            return s;
    return MDP_STATES - 1;
}

/* Q ← the fixed point of Q(s,a) = R(s,a) + γ Σ P(s'|s,a) V(s'), V(s') = max_b Q or Σ_b π(b) Q (uniform π). */
static void mdp_solve(bool uniform_policy, double q[MDP_STATES][MDP_LEVELS])
{
    memset(q, 0, sizeof(double) * MDP_STATES * MDP_LEVELS);
    for (int iter = 0; iter < 2000; iter++) {
        double v[MDP_STATES];
        for (int s = 0; s < MDP_STATES; s++)
            v[s] = uniform_policy ? (q[s][0] + q[s][1]) / 2 : fmax(q[s][0], q[s][1]);
        for (int s = 0; s < MDP_STATES; s++)
            for (int a = 0; a < MDP_LEVELS; a++) {
                double next = 0;
                for (int s2 = 0; s2 < MDP_STATES; s2++)
                    next += mdp_next[s][a][s2] * v[s2];
                q[s][a] = mdp_reward[s][a] + mdp_gamma * next;
            }
    }
}

static void learn_mdp(const char *type, double learned[MDP_STATES][MDP_LEVELS])
{
    static const double levels[MDP_LEVELS] = {0, 0.1};
    dsim_policy_env env = {.n_levels = MDP_LEVELS, .levels = levels, .reward_scale = 1, .n_customers = 1,
                           .n_categories = 1, .features = DSIM_FEATURES_ALL};
    char text[256];
    snprintf(text, sizeof text, "[policy]\ntype = %s\nepsilon = 1\nalpha = 0.5\nalpha_decay = 0.001\ngamma = %g\n",
             type, mdp_gamma);
    dsim_policy_config *cfg = NULL;
    dsim_policy *p = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, text, "mdp.ini"));
    ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
    gsl_rng *rng = dsim_rng_alloc(), *world = dsim_rng_alloc();
    dsim_rng_key(world, test_seed(5), 0, 0);
    int s = 0;
    for (uint64_t t = 0; t < 5000000; t++) {
        dsim_context ctx = mdp_context(s, t);
        dsim_action act;
        dsim_rng_key(rng, test_seed(5), DSIM_STREAM_POLICY, t);
        dsim_policy_act(p, &ctx, NULL, rng, false, &act);
        dsim_feedback fb = {.level = act.level, .reward = mdp_reward[s][act.level], .position = -1};
        ASSERT_OK(dsim_policy_learn(p, &ctx, &fb));
        s = sample_state(mdp_next[s][act.level], gsl_rng_uniform(world));
    }
    for (int st = 0; st < MDP_STATES; st++) {
        dsim_context ctx = mdp_context(st, 0);
        double v[DSIM_MAX_LEVELS];
        ASSERT_OK(dsim_policy_values(p, &ctx, v));
        for (int a = 0; a < MDP_LEVELS; a++)
            learned[st][a] = v[a];
    }
    gsl_rng_free(rng);
    gsl_rng_free(world);
    dsim_policy_free(p);
    dsim_policy_config_free(cfg);
}

static void assert_q_close(const char *type, double learned[MDP_STATES][MDP_LEVELS],
                           double truth[MDP_STATES][MDP_LEVELS])
{
    for (int s = 0; s < MDP_STATES; s++)
        for (int a = 0; a < MDP_LEVELS; a++) {
            printf("# %s Q(%d,%d) = %.4f, exact %.4f\n", type, s, a, learned[s][a], truth[s][a]);
            if (fabs(learned[s][a] - truth[s][a]) > 0.01 * fabs(truth[s][a]))
                fail_msg("%s: Q(%d,%d) = %.5f, exact %.5f: off by more than 1 %%", type, s, a, learned[s][a],
                         truth[s][a]);
        }
}

static void test_agents__q_learning_finds_q_star_and_sarsa_q_pi(void **state)
{
    (void)state;
    double truth[MDP_STATES][MDP_LEVELS], learned[MDP_STATES][MDP_LEVELS];
    mdp_solve(false, truth);
    learn_mdp("q_learning", learned);
    assert_q_close("q_learning", learned, truth);
    mdp_solve(true, truth);
    learn_mdp("sarsa", learned);
    assert_q_close("sarsa", learned, truth);
}

/* ---- rewards linear in the features ------------------------------------------------------------------- */

enum { LIN_LEVELS = 3, LIN_DIM = 3, LIN_STEPS = 20000 };
/* Features (bias, conversion c, recent discount d), c and d uniform on [0, 1]. Every level averages 0.5,
 * but level 1 is best for high c and level 2 for high d, and E[max] ≈ 0.666. */
static const double lin_theta[LIN_LEVELS][LIN_DIM] = {{0.5, 0, 0}, {0.1, 0.8, 0}, {0.1, 0, 0.8}};

typedef struct {
    double reward, regret_first_half, regret_second_half;
} linear_result;

static linear_result run_linear(const char *type, uint64_t seed)
{
    static const double levels[LIN_LEVELS] = {0, 0.1, 0.2};
    dsim_policy_env env = {.n_levels = LIN_LEVELS, .levels = levels, .reward_scale = 1, .n_customers = 1,
                           .n_categories = 1, .seed = seed};
    char text[256];
    snprintf(text, sizeof text, "[policy]\ntype = %s\n%s", type,
             strcmp(type, "ucb1") ? "features = bias, conversion, recent_discount\n" : "");
    dsim_policy_config *cfg = NULL;
    dsim_policy *p = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, text, "linear.ini"));
    env.features = cfg->features;
    ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
    gsl_rng *rng = dsim_rng_alloc(), *world = dsim_rng_alloc();
    linear_result r = {0};
    for (uint64_t t = 0; t < LIN_STEPS; t++) {
        dsim_rng_key(world, seed, DSIM_STREAM_CHOICE, t);
        double x[LIN_DIM] = {1, gsl_rng_uniform(world), gsl_rng_uniform(world)}, mean[LIN_LEVELS];
        for (int l = 0; l < LIN_LEVELS; l++)
            mean[l] = lin_theta[l][0] * x[0] + lin_theta[l][1] * x[1] + lin_theta[l][2] * x[2];
        dsim_context ctx = {.visit = t, .purchase_rate = x[1], .recent_discount_rate = x[2]};
        dsim_action act;
        dsim_rng_key(rng, seed, DSIM_STREAM_POLICY, t);
        dsim_policy_act(p, &ctx, NULL, rng, false, &act);
        dsim_feedback fb = {.level = act.level, .reward = mean[act.level] + gsl_ran_gaussian(world, 0.1)};
        ASSERT_OK(dsim_policy_learn(p, &ctx, &fb));
        double best = fmax(mean[0], fmax(mean[1], mean[2]));
        r.reward += mean[act.level];
        *(t < LIN_STEPS / 2 ? &r.regret_first_half : &r.regret_second_half) += best - mean[act.level];
    }
    r.reward /= LIN_STEPS;
    printf("# %-7s seed %llu: mean reward %.4f, regret %.1f then %.1f\n", type, (unsigned long long)seed, r.reward,
           r.regret_first_half, r.regret_second_half);
    gsl_rng_free(rng);
    gsl_rng_free(world);
    dsim_policy_free(p);
    dsim_policy_config_free(cfg);
    return r;
}

/*
 * Over 5 seeds: the contextual agents earn at least 0.1 a visit more than UCB1 (the best a non-contextual
 * policy can do is 0.5; the contextual optimum ≈ 0.666), and their summed second-half regret is below
 * 0.6 × the first half's (√T regret gives √2 − 1 ≈ 0.41, linear regret 1).
 */
static void test_agents__contextual_agents_learn_linear_rewards(void **state)
{
    (void)state;
    const char *types[] = {"linucb", "lin_ts"};
    for (int i = 0; i < 2; i++) {
        double first = 0, second = 0;
        for (uint64_t seed = 1; seed <= 5; seed++) {
            linear_result contextual = run_linear(types[i], test_seed(seed)), plain = run_linear("ucb1", test_seed(seed));
            if (contextual.reward < plain.reward + 0.1)
                fail_msg("%s seed %llu: %.4f a visit, ucb1 %.4f", types[i], (unsigned long long)seed,
                         contextual.reward, plain.reward);
            assert_true(plain.reward <= 0.5 + 0.01);
            first += contextual.regret_first_half;
            second += contextual.regret_second_half;
        }
        if (second > 0.6 * first)
            fail_msg("%s: regret %.1f in the first half, %.1f in the second", types[i], first, second);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agents__q_learning_finds_q_star_and_sarsa_q_pi),
        cmocka_unit_test(test_agents__contextual_agents_learn_linear_rewards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
