/*
 * dsim/policy.h — discount policies as plug-ins.
 *
 * A policy type is a table of functions in the manner of gsl_rng_type: a name, the size of its state, its
 * parameters, and init / act / distribution / learn / free. One file per family in src/policy/ exports
 * `const dsim_policy_type *dsim_policy_NAME`; dsim_policy_types() lists them all. A policy file
 * (policies/NAME.ini) chooses a type and sets its parameters:
 *
 *     [policy]
 *     type = epsilon_greedy
 *     epsilon = 0.05
 *
 * Policies see only what a shop can observe (dsim_context). The one exception is a type flagged
 * DSIM_POLICY_CLAIRVOYANT (the oracle), which is also handed the hidden expected reward of every level.
 */
#ifndef DSIM_POLICY_H
#define DSIM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "dsim/scenario.h"

/** What the shop knows when a shopper arrives and the slate has been ranked. */
typedef struct {
    uint64_t visit;                 /* index of this visit in the run */
    double day;                     /* simulated day */
    uint32_t shopper;               /* the shop's customer id */
    uint32_t n_visits;              /* earlier visits of this shopper */
    uint32_t n_purchases;           /* earlier purchases */
    uint32_t n_discounted;          /* earlier visits that got a discount */
    uint32_t n_discounted_purchases; /* earlier purchases made with a discount */
    double days_since_visit;        /* since the previous visit; -1 on a first visit */
    double days_since_purchase;     /* since the last purchase; -1 if never bought */
    double purchase_rate;           /* n_purchases / n_visits (0 on a first visit) */
    double discount_rate;           /* n_discounted / n_visits */
    double recent_discount_rate;    /* exponentially weighted share of recent visits with a discount */
    double recent_discount_level;   /* exponentially weighted mean of the discount (fraction) given */
    int slate_size;
    const uint32_t *slate;          /* (slate_size,) items shown, best first */
    const float *scores;            /* (slate_size,) the shop's similarity scores */
    double mean_price;              /* mean list price of the slate */
    double mean_score;              /* mean similarity score of the slate */
    int top_category;               /* category of the first item */
    double budget_left;             /* fraction of the discount budget left (1 when unlimited) */
    /* Discount scope `item`: the decision prices one shown item (for_item), described by the rest. */
    bool for_item;
    int item_position;              /* its position in the slate (0 = top) */
    uint32_t item;
    double item_price;              /* its list price */
    double item_score;              /* its similarity score */
    int item_category;
} dsim_context;

/** A policy's decision: a level index and the probability with which it was chosen. */
typedef struct {
    int level;
    double propensity; /* set when asked for (want_propensity), else NAN */
} dsim_action;

/** One consumer behind a reward that several consumers earned together (a pricing bandit's round). */
typedef struct {
    uint32_t group; /* the consumer's observable segment, < env.n_groups */
    bool bought;
} dsim_unit_outcome;

/** What the shop sees after the visit. */
typedef struct {
    int level;        /* the level actually given */
    bool purchased;
    int n_clicks;
    int position;     /* bought from, or -1 */
    uint32_t item;
    double reward;    /* the scenario's objective for this visit */
    double revenue, profit;
    int n_units;                    /* consumers behind the reward (a bandit round); 0: this visit's shopper */
    const dsim_unit_outcome *units; /* (n_units,) */
    double propensity; /* the probability the level was chosen with, when the engine kept it (> 0), else 0: a
                          batch is learned after the state it was chosen in has moved on, so an
                          importance-weighted learner (exp3) must not recompute it then */
} dsim_feedback;

/** Facts a policy may use to set itself up: the levels, the objective, observable catalog facts. */
typedef struct {
    int n_levels;
    const double *levels;  /* (n_levels,) fractions */
    dsim_objective objective;
    double reward_scale;   /* largest reward one visit can bring (for rewards scaled to [0, 1]); > 0 in init */
    double mean_price;     /* catalog's mean list price */
    double mean_cost;      /* catalog's mean unit cost */
    int n_categories;      /* catalog's categories */
    uint32_t n_customers;  /* the shop's customer ids run from 0 to n_customers − 1 */
    uint64_t seed;         /* the run's seed, for a policy's own keyed streams */
    uint32_t features;     /* the policy file's feature mask (dsim/features.h) */
    uint32_t n_groups;     /* observable consumer segments whose purchases feedback reports (a shop: 1, its
                              visits; 0: rewards carry no purchase information) */
} dsim_policy_env;

/** One numeric parameter of a policy type. */
typedef struct {
    const char *name;
    double fallback; /* default */
    double min, max; /* inclusive */
    const char *doc;
} dsim_param_spec;

#define DSIM_POLICY_MAX_PARAMS 16
#define DSIM_POLICY_TYPE_VERSION 1

enum {
    DSIM_POLICY_CLAIRVOYANT = 1u << 0, /* sees the hidden expected reward of every level */
    DSIM_POLICY_CONTEXTUAL = 1u << 1,  /* uses context features: its files may set `features = ...` */
    DSIM_POLICY_PER_VISIT = 1u << 2,   /* learns from one shopper's successive decisions as successive visits:
                                          needs one decision per visit (discount scope visit) */
    DSIM_POLICY_IMPORTANCE_WEIGHTED = 1u << 3, /* learns from reward / propensity: when it learns later than it
                                                  chose (batched updates), the engine hands it the propensity it
                                                  chose with (dsim_feedback.propensity) */
};

typedef struct dsim_policy_type {
    int version; /* DSIM_POLICY_TYPE_VERSION */
    const char *name;
    const char *summary;
    const dsim_param_spec *params; /* n_params entries */
    int n_params;
    size_t state_size;
    unsigned flags;
    uint32_t default_features; /* feature mask when the policy file sets none (0: all) */
    /** Set up `state` (zeroed, state_size bytes). @return 0 or DSIM_ECONFIG with a message. */
    int (*init)(void *state, const dsim_policy_env *env, const double *params);
    /** Choose a level; `truth` is the expected reward per level for clairvoyant types, else NULL. */
    void (*act)(void *state, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                dsim_action *out);
    /** Every level's probability of being chosen for this context. @param probs (n_levels,) out */
    void (*distribution)(const void *state, const dsim_context *ctx, const double *truth, double *probs);
    /** Learn from one visit's feedback. May be NULL. @return 0, or DSIM_ENUMERIC with a message. */
    int (*learn)(void *state, const dsim_context *ctx, const dsim_feedback *fb);
    /** Release what init allocated. May be NULL. */
    void (*free)(void *state);
    /** The agent's current value estimate of each level for this context (scaled reward). May be NULL. */
    void (*values)(const void *state, const dsim_context *ctx, double *out);
    /** The one parameter that may change while the policy runs (ε, α, a learning rate): its name in the
        policy file and where it lives in the state. May be NULL. */
    double *(*knob)(void *state, const char **name);
    /** For types whose distribution is computed numerically (a Monte Carlo estimate, or a quadrature whose
        error can exceed a rare level's probability) and may give the chosen level no mass: the propensity
        of the chosen `level`, never 0 (sampled where it has no closed form, so that its inverse is
        unbiased for 1 / P(level), which keeps IPS-type estimators unbiased). `distribution` is this
        decision's distribution() when the caller has it, else NULL; `rng` is keyed per decision by the
        wrapper, which also reports this value as act()'s propensity (act() is then never asked for one).
        May be NULL: the propensity is distribution()'s entry, from act(). */
    double (*propensity)(const void *state, const dsim_context *ctx, int level, const double *distribution,
                         gsl_rng *rng);
} dsim_policy_type;

/** @return the NULL-terminated list of all registered policy types. */
const dsim_policy_type *const *dsim_policy_types(void);

/** @return the type with this name, or NULL. */
const dsim_policy_type *dsim_policy_type_find(const char *name);

/**
 * How a learner treats a visit whose purchase may still come (`delayed = ` in any learning policy's file,
 * docs/policies.md): the shop's two textbook answers to censored conversions (Chapelle 2014).
 */
typedef enum {
    DSIM_DELAYED_NAIVE = 0, /* learn each visit at the first update after it, with what is known then: a purchase
                               still to come is a "no" (and is never learned) */
    DSIM_DELAYED_WAIT,      /* learn a visit only once its attribution window has closed, with every purchase
                               credited to it: unbiased, at the cost of learning `window` days late */
    DSIM_DELAYED_COUNT
} dsim_delayed_feedback;

/** @return "naive" or "wait". */
const char *dsim_delayed_feedback_name(dsim_delayed_feedback d);

/** A policy file, read and checked against its type's parameters. */
typedef struct {
    char name[DSIM_NAME_MAX];  /* display name: `name = ` in the file, or the file's stem */
    const dsim_policy_type *type;
    double params[DSIM_POLICY_MAX_PARAMS]; /* in the type's parameter order */
    int param_line[DSIM_POLICY_MAX_PARAMS]; /* line each was set on, 0 for a default */
    uint32_t features;         /* feature mask of a contextual type (default: all) */
    int features_line;
    dsim_delayed_feedback delayed; /* of a type that learns */
    int delayed_line;
    char path[512];
    char *text;                /* the file's full text, owned (NULL when built in code) */
} dsim_policy_config;

/**
 * Read a policy file. @param out a new configuration, owned by the caller (dsim_policy_config_free()).
 * @return 0, DSIM_EIO, or DSIM_ECONFIG with "FILE:LINE: ..." in dsim_errmsg().
 */
int dsim_policy_config_load(dsim_policy_config **out, const char *path);
/** The same from text in memory (copied); `origin` names it in messages and becomes its path. */
int dsim_policy_config_parse(dsim_policy_config **out, const char *text, const char *origin);
/**
 * A policy from a one-line spec, as `dsim run -p` takes it:
 *   NAME | FILE              a policy file: NAME is policies/NAME.ini (dsim/files.h)
 *   TYPE                     a type of `dsim policies` with its defaults, where no file of that name exists
 *   BASE:VALUE               BASE with its type's first parameter set: fixed:15
 *   BASE:KEY=V,KEY=V…        BASE with these parameters set: linucb:alpha=1,features=price,recency
 * (BASE is NAME, FILE or TYPE; a value may hold commas, up to the next KEY=). Parameters are checked as in a file,
 * with "did you mean" for misspelt types, names and parameters. The configuration is named by the spec when it
 * sets parameters, and its text is the base's with each overridden line commented out and the new value added,
 * so that the text reads back as what ran. @return 0, DSIM_ENOTFOUND, DSIM_EIO or DSIM_ECONFIG.
 */
int dsim_policy_config_resolve(dsim_policy_config **out, const char *spec);
/** The same, its messages begun by `where` (a sweep file's "sweep.ini: [sweep] policies: SPEC") rather than
 *  "-p SPEC"; `where` also becomes the path of a configuration that sets parameters. */
int dsim_policy_config_resolve_at(dsim_policy_config **out, const char *spec, const char *where);
/**
 * A copy of `base` with parameters set from "KEY=V,KEY=V…" (or one VALUE for its type's first parameter),
 * checked as in a file. It is named name=… if that is set, else `rename` (NULL: base's name); `where`
 * ("-p SPEC", "sweep.ini:12") becomes its path and begins its messages. @return 0 or DSIM_ECONFIG.
 */
int dsim_policy_config_override(dsim_policy_config **out, const dsim_policy_config *base, const char *settings,
                                const char *where, const char *rename);
/** A configuration of a type with its default parameters (no file), owned by the caller. */
int dsim_policy_config_default(dsim_policy_config **out, const dsim_policy_type *type);
/** Free a configuration and its text; NULL is a no-op. */
void dsim_policy_config_free(dsim_policy_config *cfg);
/** Check that a policy fits a scenario (e.g. a fixed level the scenario offers). @return 0 or DSIM_ECONFIG. */
int dsim_policy_config_check(const dsim_policy_config *cfg, const dsim_scenario *sc);
/** @return 0, or DSIM_ECONFIG when the type needs one decision per visit (DSIM_POLICY_PER_VISIT) and the
 *  scenario's discount scope makes one per item. Part of dsim_policy_config_check(). */
int dsim_policy_scope_check(const dsim_policy_config *cfg, const dsim_scenario *sc);

/** @return a parameter's value by name (NAN if the type has no such parameter). */
double dsim_policy_config_param(const dsim_policy_config *cfg, const char *name);

typedef struct dsim_policy dsim_policy;

/**
 * Instantiate a policy. @param cfg borrowed, must outlive the policy.
 * @return 0, DSIM_ENOMEM or DSIM_ECONFIG (e.g. a fixed level the scenario does not offer).
 */
int dsim_policy_alloc(dsim_policy **out, const dsim_policy_config *cfg, const dsim_policy_env *env);
/** Free a policy and its state; NULL is a no-op (its configuration stays the caller's). */
void dsim_policy_free(dsim_policy *p);

/** @return the configuration it was made from (borrowed from the caller of dsim_policy_alloc). */
const dsim_policy_config *dsim_policy_config_of(const dsim_policy *p);
/** @return true for a type that may read the hidden truth (the oracle): the engine then passes `truth`. */
bool dsim_policy_is_clairvoyant(const dsim_policy *p);

/*
 * Thin wrappers through which the engine calls every policy (and where invariants are asserted). `ctx` and
 * `truth` are borrowed for the call; `truth` (the expected reward of each level, or NULL) is read only by
 * clairvoyant types.
 */
/** Choose a level from `rng` into `out` (its propensity too, when asked or cheap). */
void dsim_policy_act(dsim_policy *p, const dsim_context *ctx, const double *truth, gsl_rng *rng,
                     bool want_propensity, dsim_action *out);
/** probs (n_levels,) ← the probability of each level on this context, summing to 1. */
void dsim_policy_distribution(const dsim_policy *p, const dsim_context *ctx, const double *truth, double *probs);
/** @return true when the type computes its propensities apart, with its own `propensity` function. */
bool dsim_policy_samples_propensity(const dsim_policy *p);
/** The propensity of `level` for such types (dsim_policy_samples_propensity), from a stream keyed by the
 *  decision (DSIM_STREAM_POLICY_PROPENSITY: the visit, or the item decision in scope item);
 *  `distribution` this decision's distribution() when the caller has it, else NULL. */
double dsim_policy_propensity(const dsim_policy *p, const dsim_context *ctx, int level, const double *distribution);

/**
 * The parameter a running policy lets one change (ε of ε-greedy, c of UCB1, α of LinUCB, v of linear TS, the
 * learning rate of Q-learning). @param name out: its name. @return its current value, or NAN when the type
 * has none.
 */
double dsim_policy_knob(const dsim_policy *p, const char **name);

/** Set that parameter (clamped at 0). @return 0, or DSIM_ENOTFOUND when the type has none. */
int dsim_policy_set_knob(dsim_policy *p, double value);

/** @return the levels (actions) the policy chooses among. */
int dsim_policy_n_levels(const dsim_policy *p);
/**
 * Learn from the feedback of a decision made on `ctx` (both borrowed for the call): the level given and what
 * the shop saw. @return 0, or DSIM_ENUMERIC when the type's model failed (the run cannot go on).
 */
int dsim_policy_learn(dsim_policy *p, const dsim_context *ctx, const dsim_feedback *fb);

/** out ← the policy's value estimate per level. @return 0, or DSIM_ENOTFOUND if the type keeps none. */
int dsim_policy_values(const dsim_policy *p, const dsim_context *ctx, double *out);


#endif
