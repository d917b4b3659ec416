/*
 * bandit_config.c — reading and checking bandit files (dsim/bandit.h): one [bandit] section of keys, each
 * with its range; errors name the file, line and key and suggest the nearest key for a misspelt one.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/ini.h"
#include "core/text.h"
#include "dsim/bandit.h"
#include "dsim/error.h"

typedef enum { B_STRING, B_KIND, B_U64, B_INT, B_DOUBLE, B_LIST } bandit_key_kind;

typedef struct {
    const char *name;
    bandit_key_kind kind;
    size_t offset, size; /* size: of a string buffer */
    const char *fallback;
    double min, max;
    const char *doc;
} bandit_key;

#define F(field) offsetof(dsim_bandit_config, field)

/* Indices of the keys the cross-key checks name, in table order. */
enum { K_TYPE = 2, K_MEANS = 6, K_PRICES = 7 };

static const bandit_key keys[] = {
    {"name", B_STRING, F(name), DSIM_NAME_MAX, "unnamed", 0, 0, "short name, shown in tables"},
    {"description", B_STRING, F(description), 256, "", 0, 0, "one line on what it reproduces"},
    {"type", B_KIND, F(kind), 0, "bernoulli", 0, 0, "bernoulli, linear or valuation"},
    {"seed", B_U64, F(seed), 0, "1", 0, 1.8e19, "base seed; --seeds K runs seed … seed+K−1"},
    {"rounds", B_U64, F(rounds), 0, "10000", 1, 1e12, "rounds per run"},
    {"checkpoints", B_INT, F(checkpoints), 0, "50", 1, DSIM_BANDIT_MAX_CHECKPOINTS, "regret checkpoints"},
    {"means", B_LIST, F(means), 0, "", 0, 1, "bernoulli: success probability of each arm"},
    {"prices", B_LIST, F(prices), 0, "", 1e-9, 1e9, "linear, valuation: the price grid, ascending"},
    {"intercept", B_DOUBLE, F(intercept), 0, "3", -1e9, 1e9, "linear: a in demand a − b·p"},
    {"slope", B_DOUBLE, F(slope), 0, "3", 0, 1e9, "linear: b in demand a − b·p"},
    {"noise_sd", B_DOUBLE, F(noise_sd), 0, "0", 0, 1e9, "linear: standard deviation of the profit noise"},
    {"consumers", B_INT, F(consumers), 0, "10", 1, DSIM_BANDIT_MAX_CONSUMERS, "valuation: consumers per round"},
    {"segments", B_INT, F(segments), 0, "1", 1, DSIM_BANDIT_MAX_SEGMENTS, "valuation: consumer segments"},
    {"share_concentration", B_DOUBLE, F(share_concentration), 0, "0", 0, 1e6,
     "valuation: segment shares ~ Dirichlet(this); 0: equal shares"},
    {"valuation_a", B_DOUBLE, F(valuation_a), 0, "2", 1e-3, 1e3, "valuation: segment valuations ~ Beta(a, b)"},
    {"valuation_b", B_DOUBLE, F(valuation_b), 0, "9", 1e-3, 1e3, "valuation: Beta shape b"},
    {"perturbation", B_DOUBLE, F(perturbation), 0, "0.1", 0, 1e9,
     "valuation: a consumer's valuation is the segment's ± U[−δ, δ] with this δ"},
    {"update_every", B_INT, F(update_every), 0, "1", 1, 100000000,
     "rounds between the policy's updates (the delay of Chapelle & Li 2011); 1: it learns after every round"},
};
enum { N_KEYS = sizeof keys / sizeof keys[0] };

static const char *const kind_names[] = {"bernoulli", "linear", "valuation"};

const char *dsim_bandit_kind_name(dsim_bandit_kind kind)
{
    return kind_names[kind];
}

typedef struct {
    dsim_bandit_config *cfg;
    const char *origin;
    int line[N_KEYS];
    int n_list[N_KEYS];
} parse_state;

static int store(parse_state *ps, int k, const char *value, const char *where, bool from_file)
{
    const bandit_key *key = &keys[k];
    char *field = (char *)ps->cfg + key->offset;
    double v;
    unsigned long long u;
    char why[256];
    switch (key->kind) {
    case B_STRING:
        if (strlen(value) >= key->size)
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: too long (at most %zu characters)", where, key->name,
                                  key->size - 1);
        dsim__strlcpy(field, value, key->size);
        return DSIM_OK;
    case B_KIND:
        for (int i = 0; i < 3; i++)
            if (strcmp(value, kind_names[i]) == 0) {
                *(dsim_bandit_kind *)field = (dsim_bandit_kind)i;
                return DSIM_OK;
            }
        return dsim_error_set(DSIM_ECONFIG, "%s: type: expected bernoulli, linear or valuation, got '%s'", where,
                              value);
    case B_U64:
        if (!dsim__parse_u64(value, &u) || (from_file && (u < key->min || u > key->max)))
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: expected a whole number in [%g, %g], got '%s'", where,
                                  key->name, key->min, key->max, value);
        *(uint64_t *)field = u;
        return DSIM_OK;
    case B_INT:
    case B_DOUBLE:
        if (!dsim__parse_double(value, &v) || (key->kind == B_INT && v != floor(v)))
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: expected a %s, got '%s'", where, key->name,
                                  key->kind == B_INT ? "whole number" : "number", value);
        if (from_file && (v < key->min || v > key->max))
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: %s is out of range [%g, %g]", where, key->name, value,
                                  key->min, key->max);
        if (key->kind == B_INT)
            *(int *)field = (int)v;
        else
            *(double *)field = v;
        return DSIM_OK;
    case B_LIST:
        if (!from_file)
            return DSIM_OK;
        int n = dsim__parse_number_list(value, (double *)field, DSIM_MAX_LEVELS, why, sizeof why);
        if (n < 0)
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: %s", where, key->name, why);
        for (int i = 0; i < n; i++)
            if (((double *)field)[i] < key->min || ((double *)field)[i] > key->max)
                return dsim_error_set(DSIM_ECONFIG, "%s: %s: %g is out of range [%g, %g]", where, key->name,
                                      ((double *)field)[i], key->min, key->max);
        ps->n_list[k] = n;
        return DSIM_OK;
    }
    return DSIM_EINVAL;
}

static int key_index(const char *name)
{
    for (int k = 0; k < N_KEYS; k++)
        if (strcmp(keys[k].name, name) == 0)
            return k;
    return -1;
}

static int on_key(void *user, const char *section, const char *key, const char *value, int line)
{
    parse_state *ps = user;
    if (strcmp(section, "bandit") != 0)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: unknown section [%s]; a bandit file has one [bandit] section",
                              ps->origin, line, section);
    int k = key_index(key);
    if (k < 0) {
        const char *names[N_KEYS];
        for (int i = 0; i < N_KEYS; i++)
            names[i] = keys[i].name;
        const char *near = dsim__nearest(key, names, N_KEYS);
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [bandit]: unknown key '%s'%s%s%s", ps->origin, line, key,
                              near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    }
    char where[600];
    snprintf(where, sizeof where, "%s:%d: [bandit]", ps->origin, line);
    ps->line[k] = line;
    return store(ps, k, value, where, true);
}

/* The rules between keys: the arm list the type needs, ascending prices. */
static int check(parse_state *ps)
{
    dsim_bandit_config *c = ps->cfg;
    bool bernoulli = c->kind == DSIM_BANDIT_BERNOULLI;
    int list = bernoulli ? K_MEANS : K_PRICES, type_line = ps->line[K_TYPE];
    c->n_arms = ps->n_list[list];
    int line = ps->line[list] ? ps->line[list] : type_line;
    char where[600];
    if (line)
        snprintf(where, sizeof where, "%s:%d", ps->origin, line);
    else
        snprintf(where, sizeof where, "%s", ps->origin);
    if (c->n_arms < 2)
        return dsim_error_set(DSIM_ECONFIG, "%s: [bandit]: type = %s needs `%s` with at least 2 arms", where,
                              dsim_bandit_kind_name(c->kind), keys[list].name);
    if (bernoulli)
        return DSIM_OK;
    for (int k = 1; k < c->n_arms; k++)
        if (!(c->prices[k] > c->prices[k - 1]))
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: [bandit]: prices: expected ascending prices, got %g after %g",
                                  ps->origin, ps->line[list], c->prices[k], c->prices[k - 1]);
    return DSIM_OK;
}

int dsim_bandit_config_parse(dsim_bandit_config **out, const char *text, const char *origin)
{
    *out = NULL;
    dsim_bandit_config *c = calloc(1, sizeof *c);
    parse_state *ps = calloc(1, sizeof *ps);
    if (!c || !ps) {
        free(c);
        free(ps);
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", origin);
    }
    ps->cfg = c;
    ps->origin = origin;
    for (int k = 0; k < N_KEYS; k++)
        store(ps, k, keys[k].fallback, "default", false);
    int rc = dsim__ini_parse(text, origin, on_key, ps);
    if (!rc)
        rc = check(ps);
    if (!rc && !(c->text = strdup(text)))
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", origin);
    free(ps);
    if (rc) {
        dsim_bandit_config_free(c);
        return rc;
    }
    dsim__strlcpy(c->path, origin, sizeof c->path);
    *out = c;
    return DSIM_OK;
}

int dsim_bandit_config_load(dsim_bandit_config **out, const char *path)
{
    char *text = NULL;
    int rc = dsim__read_file(path, &text);
    if (rc)
        return rc;
    rc = dsim_bandit_config_parse(out, text, path);
    free(text);
    return rc;
}

void dsim_bandit_config_free(dsim_bandit_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->text);
    free(cfg);
}
