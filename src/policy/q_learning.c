/*
 * q_learning.c — tabular temporal-difference agents over the discrete observable state (dsim/features.h):
 * `q_learning` (Watkins 1989) and `sarsa` (Rummery & Niranjan 1994), which differ only in their target.
 *
 * A transition is a shopper's visit and the same shopper's next visit, so the agents can learn that a
 * discount now changes what a shopper does later (their reference price, their habit of waiting). The
 * action value is kept in two parts, Q(s, a) = R(s, a) + γ C(s, a): the visit's expected reward R and the
 * expected value of the shopper's next visit C, each a stochastic approximation of its own,
 *
 *   R(s, a) ← R(s, a) + α_t [ r − R(s, a) ]                    at the visit, and
 *   C(s, a) ← C(s, a) + α_t [ target − C(s, a) ]               when the shopper comes back, with
 *   target = max_b Q(s', b)  (Q-learning)   or   Q(s', a')  (SARSA),
 *
 * which has the same fixed point as Q(s, a) ← Q(s, a) + α_t [ r + γ target − Q(s, a) ]. Splitting it lets the
 * reward, known at once, be learned at once: shoppers who come back after weeks, or never, still teach what
 * a discount earns today, instead of holding their reward until (unless) they return. A C(s, a) never
 * updated yet stands at the mean of every target seen so far rather than at 0, so that a level leading to a
 * rarely visited state does not look worthless merely because nobody has come back from there yet.
 *
 * r is the visit's objective scaled by the largest reward a visit can bring, and α_t = α / (1 + κ n) for the
 * n-th update of that part of that pair. A shopper who never returns leaves their last transition
 * unfinished: the shop cannot tell churn from a long absence.
 */
#include <math.h>
#include <stdlib.h>

#include "policy/policy_impl.h"

enum { P_ALPHA, P_ALPHA_DECAY, P_GAMMA, P_EPSILON, P_TEMPERATURE, P_EXPLORE_DECAY, N_PARAMS };

static const dsim_param_spec td_params[N_PARAMS] = {
    {"alpha", 0.05, 1e-6, 1, "learning rate α"},
    {"alpha_decay", 0, 0, 1e6, "α_t = α / (1 + alpha_decay · updates of that state and level)"},
    {"gamma", 0.9, 0, 0.9999, "discount factor γ per visit of the same shopper"},
    {"epsilon", 0.05, 0, 1, "ε-greedy exploration (when temperature = 0)"},
    {"temperature", 0, 0, 1e6, "softmax temperature τ over scaled values (0: ε-greedy)"},
    {"explore_decay", 0, 0, 1e6, "ε_t, τ_t = ε, τ / (1 + explore_decay · visits learned from)"},
};

_Static_assert(DSIM_N_STATES <= 256, "pending transitions keep the state in a byte");

typedef struct {
    int n_levels;
    bool sarsa;
    double alpha, alpha_decay, gamma, scale;
    dsim__exploration explore;
    double top_level; /* the highest discount level, for the state's taught-discount buckets */
    uint64_t updates, n_targets;
    double target_mean;                       /* mean of every continuation target so far */
    double r[DSIM_N_STATES][DSIM_MAX_LEVELS]; /* R(s, a): the visit's expected scaled reward */
    double c[DSIM_N_STATES][DSIM_MAX_LEVELS]; /* C(s, a): the expected value of the shopper's next visit */
    uint32_t n_r[DSIM_N_STATES][DSIM_MAX_LEVELS], n_c[DSIM_N_STATES][DSIM_MAX_LEVELS];
    dsim__pending pending;
} td_state;

static int td_init(td_state *s, const dsim_policy_env *env, const double *params, bool sarsa)
{
    s->n_levels = env->n_levels;
    s->top_level = env->levels[env->n_levels - 1];
    s->sarsa = sarsa;
    s->alpha = params[P_ALPHA];
    s->alpha_decay = params[P_ALPHA_DECAY];
    s->gamma = params[P_GAMMA];
    s->scale = env->reward_scale;
    s->explore = (dsim__exploration){params[P_EPSILON], params[P_TEMPERATURE], params[P_EXPLORE_DECAY]};
    return dsim__pending_init(&s->pending, env->n_customers, 0);
}

static int q_init(void *state, const dsim_policy_env *env, const double *params)
{
    return td_init(state, env, params, false);
}

static int sarsa_init(void *state, const dsim_policy_env *env, const double *params)
{
    return td_init(state, env, params, true);
}

static void td_free(void *state)
{
    dsim__pending_free(&((td_state *)state)->pending);
}

static int state_of(const td_state *s, const dsim_context *ctx)
{
    return dsim_features_state(ctx, s->top_level);
}

/* Q(s, ·) = R(s, ·) + γ C(s, ·), with the running mean of targets standing in for a C not learned yet. */
static void q_of(const td_state *s, int st, double *out)
{
    for (int l = 0; l < s->n_levels; l++)
        out[l] = s->r[st][l] + s->gamma * (s->n_c[st][l] ? s->c[st][l] : s->target_mean);
}

static void td_values(const void *state, const dsim_context *ctx, double *out)
{
    const td_state *s = state;
    q_of(s, state_of(s, ctx), out);
}

static void td_distribution(const void *state, const dsim_context *ctx, const double *truth, double *probs)
{
    (void)truth;
    const td_state *s = state;
    double q[DSIM_MAX_LEVELS];
    q_of(s, state_of(s, ctx), q);
    dsim__explore_distribution(&s->explore, s->updates, q, s->n_levels, probs);
}

static void td_act(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                   dsim_action *out)
{
    (void)want_propensity;
    double probs[DSIM_MAX_LEVELS];
    td_distribution(state, ctx, truth, probs);
    dsim__draw_action(probs, ((td_state *)state)->n_levels, rng, out);
}

static int td_learn(void *state, const dsim_context *ctx, const dsim_feedback *fb)
{
    td_state *s = state;
    uint32_t u = ctx->shopper;
    int rc = dsim__pending_check(&s->pending, u);
    if (rc)
        return rc;
    int next = state_of(s, ctx), level = fb->level;
    s->updates++;
    if (s->pending.level[u]) {
        int from = s->pending.state[u], a = s->pending.level[u] - 1;
        double q_next[DSIM_MAX_LEVELS] = {0};
        q_of(s, next, q_next);
        double target = q_next[level];
        if (!s->sarsa)
            for (int l = 0; l < s->n_levels; l++)
                target = fmax(target, q_next[l]);
        s->target_mean += (target - s->target_mean) / (double)++s->n_targets;
        double *c = &s->c[from][a];
        if (!s->n_c[from][a])
            *c = s->target_mean; /* start from the prior q_of showed */
        *c += s->alpha / (1.0 + s->alpha_decay * s->n_c[from][a]++) * (target - *c);
    }
    double *r = &s->r[next][level];
    *r += s->alpha / (1.0 + s->alpha_decay * s->n_r[next][level]++) * (fb->reward / s->scale - *r);
    s->pending.state[u] = (uint8_t)next;
    s->pending.level[u] = (uint8_t)(level + 1);
    return DSIM_OK;
}

static double *td_knob(void *state, const char **name)
{
    *name = "alpha";
    return &((td_state *)state)->alpha;
}

const dsim_policy_type dsim_policy_q_learning = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "q_learning",
    .summary = "tabular Q-learning over the observable state; a transition is a shopper's next visit",
    .params = td_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(td_state),
    .flags = DSIM_POLICY_PER_VISIT,
    .init = q_init,
    .act = td_act,
    .distribution = td_distribution,
    .learn = td_learn,
    .knob = td_knob,
    .free = td_free,
    .values = td_values,
};

const dsim_policy_type dsim_policy_sarsa = {
    .version = DSIM_POLICY_TYPE_VERSION,
    .name = "sarsa",
    .summary = "tabular SARSA (on-policy TD) over the observable state; a transition is a shopper's next visit",
    .params = td_params,
    .n_params = N_PARAMS,
    .state_size = sizeof(td_state),
    .flags = DSIM_POLICY_PER_VISIT,
    .init = sarsa_init,
    .act = td_act,
    .distribution = td_distribution,
    .learn = td_learn,
    .knob = td_knob,
    .free = td_free,
    .values = td_values,
};
