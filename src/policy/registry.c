/*
 * registry.c — the list of policy types, policy files, and the wrappers through which the engine calls a
 * policy (where its contract is asserted).
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "core/ini.h"
#include "core/text.h"
#include "dsim/features.h"
#include "dsim/rng.h"
#include "policy/policy_impl.h"

/* Every registered type, in the order `dsim policies` lists them. */
#define DSIM_POLICY_TYPE_LIST(X)                                                                              \
    X(none) X(fixed) X(random) X(tiered) X(epsilon_greedy) X(ucb1) X(ucb_pi) X(thompson) X(exp3) X(linucb) X(lin_ts)    \
    X(logistic_ts) X(greedy_regression) X(q_learning) X(sarsa) X(linear_q) X(oracle)

#define DSIM_POLICY_DECLARE(name) extern const dsim_policy_type dsim_policy_##name;
DSIM_POLICY_TYPE_LIST(DSIM_POLICY_DECLARE)
#undef DSIM_POLICY_DECLARE

/* The parameter a type's init named as the cause of its failure (dsim__policy_blame), or NULL. */
static _Thread_local const char *param_at_fault;

void dsim__policy_blame(const char *param)
{
    param_at_fault = param;
}

const dsim_policy_type *const *dsim_policy_types(void)
{
#define DSIM_POLICY_ADDRESS(name) &dsim_policy_##name,
    static const dsim_policy_type *const types[] = {DSIM_POLICY_TYPE_LIST(DSIM_POLICY_ADDRESS) NULL};
#undef DSIM_POLICY_ADDRESS
    return types;
}

const dsim_policy_type *dsim_policy_type_find(const char *name)
{
    for (const dsim_policy_type *const *t = dsim_policy_types(); *t; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

/* ---- policy files ---------------------------------------------------------------------------------- */

typedef struct {
    dsim_policy_config *cfg;
    const char *origin;
    bool name_set;
    int type_line;
    int param_line[DSIM_POLICY_MAX_PARAMS];
    /* Parameters may come before `type`; they are kept as text until the type is known. */
    struct {
        char key[64], value[128];
        int line;
    } pending[DSIM_POLICY_MAX_PARAMS * 2];
    int n_pending;
} policy_parse;

static const char *const delayed_names[DSIM_DELAYED_COUNT] = {"naive", "wait"};

const char *dsim_delayed_feedback_name(dsim_delayed_feedback d)
{
    return d >= 0 && d < DSIM_DELAYED_COUNT ? delayed_names[d] : "?";
}

/*
 * Set parameter `key` (or `features`, or `delayed`) of cfg's type to `value`, checked: a number within the
 * parameter's range, a feature list for a contextual type, naive or wait for a type that learns. `where` begins
 * each message ("FILE:LINE" or "-p SPEC").
 */
int dsim__policy_set_param(dsim_policy_config *cfg, const char *key, const char *value, const char *where)
{
    const dsim_policy_type *t = cfg->type;
    if (strcmp(key, "delayed") == 0) {
        if (!t->learn)
            return dsim_error_set(DSIM_ECONFIG, "%s: [policy] delayed: type %s does not learn", where, t->name);
        for (int d = 0; d < DSIM_DELAYED_COUNT; d++)
            if (strcmp(value, delayed_names[d]) == 0) {
                cfg->delayed = (dsim_delayed_feedback)d;
                return DSIM_OK;
            }
        return dsim_error_set(DSIM_ECONFIG, "%s: [policy] delayed: expected naive or wait, got '%s'", where, value);
    }
    if (strcmp(key, "features") == 0) {
        if (!(t->flags & DSIM_POLICY_CONTEXTUAL))
            return dsim_error_set(DSIM_ECONFIG, "%s: [policy] features: type %s uses no context features", where,
                                  t->name);
        if (dsim_features_parse(value, &cfg->features))
            return dsim_error_prefix(DSIM_ECONFIG, "%s: [policy] ", where);
        return DSIM_OK;
    }
    const char *names[DSIM_POLICY_MAX_PARAMS + 2];
    for (int i = 0; i < t->n_params; i++) {
        const dsim_param_spec *p = &t->params[i];
        names[i] = p->name;
        if (strcmp(p->name, key) != 0)
            continue;
        double v;
        if (!dsim__parse_double(value, &v))
            return dsim_error_set(DSIM_ECONFIG, "%s: [policy] %s: expected a number, got '%s'", where, key, value);
        if (v < p->min || v > p->max)
            return dsim_error_set(DSIM_ECONFIG, "%s: [policy] %s: %s is out of range [%g, %g]", where, key, value,
                                  p->min, p->max);
        cfg->params[i] = v;
        return DSIM_OK;
    }
    size_t n = (size_t)t->n_params;
    if (t->flags & DSIM_POLICY_CONTEXTUAL)
        names[n++] = "features";
    if (t->learn)
        names[n++] = "delayed";
    const char *near = dsim__nearest(key, names, n);
    return dsim_error_set(DSIM_ECONFIG, "%s: [policy] unknown parameter '%s' for type %s%s%s%s (see `dsim policies`)",
                          where, key, t->name, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
}

/* A parameter line of a policy file: set once, then as any parameter. */
static int set_param(policy_parse *pp, const char *key, const char *value, int line)
{
    dsim_policy_config *cfg = pp->cfg;
    int first = 0, index = -1;
    for (int i = 0; i < cfg->type->n_params; i++)
        if (strcmp(cfg->type->params[i].name, key) == 0)
            index = i, first = pp->param_line[i];
    if (strcmp(key, "features") == 0)
        first = cfg->features_line;
    if (strcmp(key, "delayed") == 0)
        first = cfg->delayed_line;
    if (first)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [policy] %s: set twice (first on line %d)", pp->origin, line, key,
                              first);
    char where[DSIM_PATH_MAX + 16];
    snprintf(where, sizeof where, "%s:%d", pp->origin, line);
    int rc = dsim__policy_set_param(cfg, key, value, where);
    if (rc)
        return rc;
    if (index >= 0)
        pp->param_line[index] = cfg->param_line[index] = line;
    else if (strcmp(key, "delayed") == 0)
        cfg->delayed_line = line;
    else
        cfg->features_line = line;
    return DSIM_OK;
}

static int set_type(policy_parse *pp, const char *value, int line)
{
    const dsim_policy_type *t = dsim_policy_type_find(value);
    if (!t) {
        const char *names[32];
        size_t n = 0;
        for (const dsim_policy_type *const *it = dsim_policy_types(); *it; it++)
            names[n++] = (*it)->name;
        const char *near = dsim__nearest(value, names, n);
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [policy] type: unknown policy type '%s'%s%s%s (see `dsim policies`)",
                              pp->origin, line, value, near ? "; did you mean '" : "", near ? near : "",
                              near ? "'?" : "");
    }
    pp->cfg->type = t;
    pp->cfg->features = t->default_features ? t->default_features : DSIM_FEATURES_ALL;
    pp->type_line = line;
    for (int i = 0; i < t->n_params; i++)
        pp->cfg->params[i] = t->params[i].fallback;
    return DSIM_OK;
}

static int on_policy_key(void *user, const char *section, const char *key, const char *value, int line)
{
    policy_parse *pp = user;
    if (strcmp(section, "policy") != 0) {
        const char *candidates[] = {"policy"};
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: unknown section [%s]; expected [policy]%s", pp->origin, line,
                              section, dsim__nearest(section, candidates, 1) ? " (check the spelling)" : "");
    }
    if (strcmp(key, "type") == 0) {
        if (pp->type_line)
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: [policy] type: set twice (first on line %d)", pp->origin, line,
                                  pp->type_line);
        return set_type(pp, value, line);
    }
    if (strcmp(key, "name") == 0) {
        if (*value == '\0' || strlen(value) >= DSIM_NAME_MAX)
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: [policy] name: expected 1 to %d characters", pp->origin, line,
                                  DSIM_NAME_MAX - 1);
        dsim__strlcpy(pp->cfg->name, value, DSIM_NAME_MAX);
        pp->name_set = true;
        return DSIM_OK;
    }
    if (pp->n_pending == (int)(sizeof pp->pending / sizeof pp->pending[0]) || strlen(key) >= 64 ||
        strlen(value) >= 128)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [policy] %s: too many or too long parameters", pp->origin, line,
                              key);
    dsim__strlcpy(pp->pending[pp->n_pending].key, key, 64);
    dsim__strlcpy(pp->pending[pp->n_pending].value, value, 128);
    pp->pending[pp->n_pending++].line = line;
    return DSIM_OK;
}

/* "policies/fixed10.ini" → "fixed10" */
static void file_stem(char *out, size_t n, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    dsim__strlcpy(out, base, n);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

int dsim_policy_config_parse(dsim_policy_config **out, const char *text, const char *origin)
{
    int rc = DSIM_OK;
    policy_parse *pp = calloc(1, sizeof *pp);
    dsim_policy_config *cfg = calloc(1, sizeof *cfg);
    if (!pp || !cfg) {
        rc = dsim_error_set(DSIM_ENOMEM, "%s: out of memory", origin);
        goto done;
    }
    pp->cfg = cfg;
    pp->origin = origin;
    if ((rc = dsim__ini_parse(text, origin, on_policy_key, pp)))
        goto done;
    if (!cfg->type) {
        rc = dsim_error_set(DSIM_ECONFIG, "%s: [policy] type: missing; expected one of the types of `dsim policies`",
                            origin);
        goto done;
    }
    for (int i = 0; i < pp->n_pending; i++)
        if ((rc = set_param(pp, pp->pending[i].key, pp->pending[i].value, pp->pending[i].line)))
            goto done;
    if (!pp->name_set)
        file_stem(cfg->name, sizeof cfg->name, origin);
    dsim__strlcpy(cfg->path, origin, sizeof cfg->path);
    if (!(cfg->text = strdup(text))) {
        rc = dsim_error_set(DSIM_ENOMEM, "%s: out of memory", origin);
        goto done;
    }
    *out = cfg;
    cfg = NULL;
done:
    free(pp);
    dsim_policy_config_free(cfg);
    return rc;
}

int dsim_policy_config_load(dsim_policy_config **out, const char *path)
{
    char *text = NULL;
    int rc = dsim__read_file(path, &text);
    if (rc == DSIM_OK)
        rc = dsim_policy_config_parse(out, text, path);
    free(text);
    return rc;
}

int dsim_policy_config_default(dsim_policy_config **out, const dsim_policy_type *type)
{
    dsim_policy_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    cfg->type = type;
    cfg->features = type->default_features ? type->default_features : DSIM_FEATURES_ALL;
    dsim__strlcpy(cfg->name, type->name, sizeof cfg->name);
    for (int i = 0; i < type->n_params; i++)
        cfg->params[i] = type->params[i].fallback;
    *out = cfg;
    return DSIM_OK;
}

void dsim_policy_config_free(dsim_policy_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->text);
    free(cfg);
}

double dsim_policy_config_param(const dsim_policy_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->type->n_params; i++)
        if (strcmp(cfg->type->params[i].name, name) == 0)
            return cfg->params[i];
    return NAN;
}

/* ---- instances ------------------------------------------------------------------------------------- */

struct dsim_policy {
    const dsim_policy_config *cfg;
    const dsim_policy_type *type;
    dsim_policy_env env;
    double levels[DSIM_MAX_LEVELS];
    void *state;
    gsl_rng *propensity_rng; /* owned, for types with a propensity() of their own */
};

double dsim_policy_knob(const dsim_policy *p, const char **name)
{
    *name = NULL;
    if (!p->type->knob)
        return NAN;
    return *p->type->knob(p->state, name);
}

int dsim_policy_set_knob(dsim_policy *p, double value)
{
    const char *name;
    if (!p->type->knob)
        return dsim_error_set(DSIM_ENOTFOUND, "policy type %s has no parameter to change while it runs",
                              p->type->name);
    *p->type->knob(p->state, &name) = value > 0 ? value : 0.0;
    return DSIM_OK;
}

int dsim_policy_n_levels(const dsim_policy *p)
{
    return p->env.n_levels;
}

int dsim_policy_alloc(dsim_policy **out, const dsim_policy_config *cfg, const dsim_policy_env *env)
{
    /* Policies check GSL's return codes themselves; its default handler would abort the whole process. */
    gsl_set_error_handler_off();
    const dsim_policy_type *t = cfg->type;
    if (t->version != DSIM_POLICY_TYPE_VERSION)
        return dsim_error_set(DSIM_EINVAL, "policy type %s: table version %d, expected %d", t->name, t->version,
                              DSIM_POLICY_TYPE_VERSION);
    dsim_policy *p = calloc(1, sizeof *p);
    if (!p || !(p->state = calloc(1, t->state_size ? t->state_size : 1)) ||
        (t->propensity && !(p->propensity_rng = dsim_rng_alloc()))) {
        if (p)
            free(p->state);
        free(p);
        return dsim_error_set(DSIM_ENOMEM, "out of memory allocating policy %s", cfg->name);
    }
    p->cfg = cfg;
    p->type = t;
    p->env = *env;
    /* The policy keeps its own copy of the levels, so the env it was given may be temporary. */
    for (int l = 0; l < env->n_levels; l++)
        p->levels[l] = env->levels[l];
    p->env.levels = p->levels;
    p->env.features = cfg->features;
    /* Types divide by reward_scale; an env made by hand may leave it 0. */
    if (!(p->env.reward_scale > 0))
        p->env.reward_scale = 1.0;
    param_at_fault = NULL;
    int rc = t->init(p->state, &p->env, cfg->params);
    if (rc) {
        /* A type that blames one of its parameters (dsim__policy_blame) gets the error at that parameter's line. */
        int line = 0;
        for (int i = 0; i < t->n_params && param_at_fault; i++)
            if (strcmp(t->params[i].name, param_at_fault) == 0)
                line = cfg->param_line[i];
        if (line)
            dsim_error_prefix(rc, "%s:%d: [policy] ", cfg->path, line);
        else
            dsim_error_prefix(rc, "%s: ", *cfg->path ? cfg->path : cfg->name);
        dsim_policy_free(p);
        return rc;
    }
    *out = p;
    return DSIM_OK;
}

int dsim_policy_scope_check(const dsim_policy_config *cfg, const dsim_scenario *sc)
{
    if (!(cfg->type->flags & DSIM_POLICY_PER_VISIT) || sc->discounts.scope == DSIM_SCOPE_VISIT)
        return DSIM_OK;
    return dsim_error_set(DSIM_ECONFIG,
                          "%s: [policy] type = %s learns from a shopper's successive visits, one decision each; "
                          "with discount scope item the items of one visit would pass for visits (use scope visit)",
                          *cfg->path ? cfg->path : cfg->name, cfg->type->name);
}

int dsim_policy_config_check(const dsim_policy_config *cfg, const dsim_scenario *sc)
{
    int scope_rc = dsim_policy_scope_check(cfg, sc);
    if (scope_rc)
        return scope_rc;
    /* Instantiate against the scenario's levels; catalog facts do not affect whether a policy fits. */
    dsim_policy_env env = {
        .n_levels = sc->discounts.n_levels,
        .levels = sc->discounts.levels,
        .objective = sc->discounts.objective,
        .reward_scale = 1.0,
        .mean_price = sc->catalog.price_median,
        .mean_cost = sc->catalog.price_median / 2,
        .n_categories = sc->catalog.categories,
        .n_customers = sc->shoppers,
    };
    dsim_policy *p = NULL;
    int rc = dsim_policy_alloc(&p, cfg, &env);
    dsim_policy_free(p);
    return rc;
}

void dsim_policy_free(dsim_policy *p)
{
    if (!p)
        return;
    if (p->type->free && p->state)
        p->type->free(p->state);
    free(p->state);
    gsl_rng_free(p->propensity_rng);
    free(p);
}

const dsim_policy_config *dsim_policy_config_of(const dsim_policy *p)
{
    return p->cfg;
}

bool dsim_policy_is_clairvoyant(const dsim_policy *p)
{
    return (p->type->flags & DSIM_POLICY_CLAIRVOYANT) != 0;
}

void dsim_policy_act(dsim_policy *p, const dsim_context *ctx, const double *truth, gsl_rng *rng, bool want_propensity,
                     dsim_action *out)
{
    assert(!dsim_policy_is_clairvoyant(p) || truth);
    bool apart = want_propensity && p->type->propensity;
    p->type->act(p->state, ctx, dsim_policy_is_clairvoyant(p) ? truth : NULL, rng, want_propensity && !apart, out);
    if (apart)
        out->propensity = dsim_policy_propensity(p, ctx, out->level, NULL);
    assert(out->level >= 0 && out->level < p->env.n_levels);
    assert(!want_propensity || (out->propensity > 0 && out->propensity <= 1 + 1e-12));
}

void dsim_policy_distribution(const dsim_policy *p, const dsim_context *ctx, const double *truth, double *probs)
{
    p->type->distribution(p->state, ctx, dsim_policy_is_clairvoyant(p) ? truth : NULL, probs);
}

bool dsim_policy_samples_propensity(const dsim_policy *p)
{
    return p->type->propensity != NULL;
}

double dsim_policy_propensity(const dsim_policy *p, const dsim_context *ctx, int level, const double *distribution)
{
    assert(p->type->propensity && level >= 0 && level < p->env.n_levels);
    dsim_rng_key(p->propensity_rng, p->env.seed, DSIM_STREAM_POLICY_PROPENSITY, dsim__decision_index(ctx));
    double q = p->type->propensity(p->state, ctx, level, distribution, p->propensity_rng);
    assert(q > 0 && q <= 1);
    return q;
}

int dsim_policy_learn(dsim_policy *p, const dsim_context *ctx, const dsim_feedback *fb)
{
    if (!p->type->learn)
        return DSIM_OK;
    int rc = p->type->learn(p->state, ctx, fb);
    if (rc)
        return dsim_error_prefix(rc, "policy %s at visit %llu: ", p->cfg->name, (unsigned long long)ctx->visit);
    return DSIM_OK;
}

int dsim_policy_values(const dsim_policy *p, const dsim_context *ctx, double *out)
{
    if (!p->type->values)
        return dsim_error_set(DSIM_ENOTFOUND, "policy type %s keeps no value estimates", p->type->name);
    p->type->values(p->state, ctx, out);
    return DSIM_OK;
}
