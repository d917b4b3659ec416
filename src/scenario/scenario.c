/*
 * scenario.c — reading, checking and describing scenario files.
 *
 * A scenario starts from the defaults in the key table; each `key = value` of the file then overwrites one
 * field. Errors name the file, the line and the key, say what was expected, and suggest the nearest valid
 * name for a misspelt section or key.
 */
#include "dsim/scenario.h"

#include <stdio.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/ini.h"
#include "core/text.h"
#include "dsim/error.h"
#include "scenario/scenario_keys.h"
#include "scenario/strategy.h"

enum { MAX_KEYS = 160 }; /* more than the whole key table (a key's line is kept at its index in the table) */

/* Where each key was set, for messages about values that are wrong only together. */
typedef struct {
    dsim_scenario *sc;
    const char *origin;
    int global_line[MAX_KEYS];
    int segment_line[DSIM_MAX_SEGMENTS][MAX_KEYS];
    int shock_line[DSIM_MAX_SHOCKS][MAX_KEYS];
} parse_state;

const char *dsim_scenario_objective_name(dsim_objective objective)
{
    return objective >= 0 && objective <= DSIM_OBJECTIVE_CONVERSIONS ? dsim__objective_names[objective] : "?";
}

static int strategy_find(strategy_family family, const char *name)
{
    const dsim__strategy *m;
    for (size_t i = 0; (m = dsim__strategy_of(family, i)); i++)
        if (strcmp(m->name, name) == 0)
            return (int)i;
    return -1;
}

static const char *strategy_name(strategy_family family, int i)
{
    const dsim__strategy *m = i >= 0 ? dsim__strategy_of(family, (size_t)i) : NULL;
    return m ? m->name : NULL;
}

const char *dsim_scenario_demand_name(int demand)
{
    return strategy_name(STRATEGY_DEMAND, demand);
}

int dsim_scenario_demand_find(const char *name)
{
    return strategy_find(STRATEGY_DEMAND, name);
}

const char *dsim_scenario_embeddings_name(int embeddings)
{
    return strategy_name(STRATEGY_EMBEDDINGS, embeddings);
}

int dsim_scenario_embeddings_find(const char *name)
{
    return strategy_find(STRATEGY_EMBEDDINGS, name);
}

const char *dsim_scenario_scope_name(dsim_scope scope)
{
    return scope >= 0 && scope < DSIM_SCOPE_COUNT ? dsim__scope_names[scope] : "?";
}

/* ---- storing one value ---------------------------------------------------------------------------- */

/* "a, b or c" for the names of an enum key. */
static void list_names(const char *const *names, char *out, size_t n)
{
    out[0] = '\0';
    for (int i = 0; names[i]; i++) {
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ", names[i]);
    }
}

/* Levels are written in percent, stored as fractions. */
static int parse_levels(const char *value, dsim_scenario *sc, const char *where, const scenario_key *k)
{
    char buf[512];
    dsim__strlcpy(buf, value, sizeof buf);
    int n = 0;
    char *save = NULL;
    if (*value && dsim__list_has_empty_item(value))
        return dsim_error_set(DSIM_ECONFIG, "%s: levels: an empty item in '%s' (a doubled or trailing comma?)", where,
                              value);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double pct;
        if (!dsim__parse_double(tok, &pct))
            return dsim_error_set(DSIM_ECONFIG, "%s: levels: expected a number in percent, got '%s'", where, tok);
        if (pct < k->min || pct > k->max)
            return dsim_error_set(DSIM_ECONFIG, "%s: levels: %g%% is out of range [0, 100)", where, pct);
        if (n == DSIM_MAX_MARKET_LEVELS)
            return dsim_error_set(DSIM_ECONFIG, "%s: levels: at most %d levels", where, DSIM_MAX_MARKET_LEVELS);
        sc->discounts.levels[n++] = pct / 100.0;
    }
    if (n == 0)
        return dsim_error_set(DSIM_ECONFIG,
                              "%s: levels: expected a comma-separated list of percentages, got an empty list",
                              where);
    sc->discounts.n_levels = n;
    return DSIM_OK;
}

/* Store `value` at base + k->offset. `where` is "FILE:LINE" (or "default"). Range checks apply to values
   from files only: some defaults (-1, nan) mean "unset". */
static int store_value(const scenario_key *k, void *base, const char *value, const char *where, bool check_range,
                       dsim_scenario *sc)
{
    char *field = (char *)base + k->offset;
    double v = 0;
    unsigned long long u = 0;
    switch (k->kind) {
    case KEY_STRING:
        if (strlen(value) >= k->size)
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: too long (at most %zu characters)", where, k->name,
                                  k->size - 1);
        dsim__strlcpy(field, value, k->size);
        return DSIM_OK;
    case KEY_LEVELS:
        return parse_levels(value, sc, where, k);
    case KEY_ENUM:
        for (int i = 0; k->names[i]; i++)
            if (strcmp(value, k->names[i]) == 0) {
                *(int *)field = i; /* the enums are int-sized, and their values are the name's index */
                return DSIM_OK;
            }
        char expected[128];
        list_names(k->names, expected, sizeof expected);
        return dsim_error_set(DSIM_ECONFIG, "%s: %s: expected %s, got '%s'", where, k->name, expected, value);
    case KEY_U64:
        if (!dsim__parse_u64(value, &u))
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: expected a non-negative integer, got '%s'", where,
                                  k->name, value);
        *(uint64_t *)field = u;
        return DSIM_OK;
    case KEY_INT:
    case KEY_DOUBLE:
        if (!check_range) {
            v = strtod(value, NULL); /* defaults may be "nan" */
        } else if (!dsim__parse_double(value, &v)) {
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: expected a number, got '%s'", where, k->name, value);
        }
        if (k->kind == KEY_INT && check_range && v != floor(v))
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: expected a whole number, got '%s'", where, k->name, value);
        if (check_range && (v < k->min || v > k->max))
            return dsim_error_set(DSIM_ECONFIG, "%s: %s: %s is out of range [%g, %g]%s%s", where, k->name, value,
                                  k->min, k->max, *k->unit ? " " : "", k->unit);
        if (k->kind == KEY_INT)
            *(int *)field = (int)v;
        else
            *(double *)field = v;
        return DSIM_OK;
    }
    return DSIM_EINVAL;
}

static void apply_defaults(scenario_section section, void *base, dsim_scenario *sc)
{
    for (size_t i = 0; i < dsim__scenario_key_count(); i++) {
        const scenario_key *k = dsim__scenario_key(i);
        if (k->section == section)
            store_value(k, base, k->fallback, "default", false, sc);
    }
}

/* ---- dispatching keys to sections ------------------------------------------------------------------ */

static const char *const plain_sections[] = {"scenario", "catalog", "behaviour", "ranking", "discounts", "learning"};

/* Section text → kind and, for [segment.X] / [shock.X], the element (created on first sight). */
static int resolve_section(parse_state *ps, const char *section, int line, scenario_section *kind, void **base,
                           int *index)
{
    dsim_scenario *sc = ps->sc;
    for (int s = 0; s < SECTION_SEGMENT; s++) {
        if (strcmp(section, plain_sections[s]) == 0) {
            *kind = (scenario_section)s;
            *base = sc;
            *index = -1;
            return DSIM_OK;
        }
    }
    const char *name = NULL;
    if (strncmp(section, "segment.", 8) == 0) {
        *kind = SECTION_SEGMENT;
        name = section + 8;
    } else if (strncmp(section, "shock.", 6) == 0) {
        *kind = SECTION_SHOCK;
        name = section + 6;
    } else {
        const char *candidates[] = {"scenario",  "catalog",  "behaviour", "ranking",
                                    "discounts", "learning", "segment",   "shock"};
        const char *near = dsim__nearest(section, candidates, 8);
        if (*section == '\0')
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: key outside any section; expected a [section] first",
                                  ps->origin, line);
        return dsim_error_set(DSIM_ECONFIG,
                              "%s:%d: unknown section [%s]%s%s%s; expected scenario, catalog, behaviour, ranking, "
                              "discounts, learning, segment.NAME or shock.NAME",
                              ps->origin, line, section, near ? " (did you mean [" : "", near ? near : "",
                              near ? "])" : "");
    }
    if (*name == '\0' || strlen(name) >= DSIM_NAME_MAX)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [%s]: expected a name of 1 to %d characters after the dot",
                              ps->origin, line, section, DSIM_NAME_MAX - 1);
    bool segment = *kind == SECTION_SEGMENT;
    int n = segment ? sc->n_segments : sc->n_shocks;
    for (int i = 0; i < n; i++) {
        const char *existing = segment ? sc->segments[i].name : sc->shocks[i].name;
        if (strcmp(existing, name) == 0) {
            *index = i;
            *base = segment ? (void *)&sc->segments[i] : (void *)&sc->shocks[i];
            return DSIM_OK;
        }
    }
    if (n == (segment ? DSIM_MAX_SEGMENTS : DSIM_MAX_SHOCKS))
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: too many %s sections (at most %d)", ps->origin, line,
                              segment ? "segment" : "shock", segment ? DSIM_MAX_SEGMENTS : DSIM_MAX_SHOCKS);
    *index = n;
    if (segment) {
        *base = &sc->segments[n];
        sc->n_segments++;
    } else {
        *base = &sc->shocks[n];
        sc->n_shocks++;
    }
    apply_defaults(*kind, *base, sc);
    dsim__strlcpy(segment ? sc->segments[n].name : sc->shocks[n].name, name, DSIM_NAME_MAX);
    return DSIM_OK;
}

static int *line_slot(parse_state *ps, scenario_section kind, int index, size_t key)
{
    if (kind == SECTION_SEGMENT)
        return &ps->segment_line[index][key];
    if (kind == SECTION_SHOCK)
        return &ps->shock_line[index][key];
    return &ps->global_line[key];
}

static int on_key(void *user, const char *section, const char *name, const char *value, int line)
{
    parse_state *ps = user;
    scenario_section kind = SECTION_SCENARIO;
    void *base = NULL;
    int index = -1;
    int rc = resolve_section(ps, section, line, &kind, &base, &index);
    if (rc)
        return rc;

    const char *candidates[MAX_KEYS];
    size_t n_candidates = 0;
    for (size_t i = 0; i < dsim__scenario_key_count(); i++) {
        const scenario_key *k = dsim__scenario_key(i);
        if (k->section != kind)
            continue;
        candidates[n_candidates++] = k->name;
        if (strcmp(k->name, name) != 0)
            continue;
        int *slot = line_slot(ps, kind, index, i);
        if (*slot)
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: [%s] %s: set twice (first on line %d)", ps->origin, line,
                                  section, name, *slot);
        *slot = line;
        char where[600];
        snprintf(where, sizeof where, "%s:%d: [%s]", ps->origin, line, section);
        return store_value(k, base, value, where, true, ps->sc);
    }
    const char *near = dsim__nearest(name, candidates, n_candidates);
    return dsim_error_set(DSIM_ECONFIG, "%s:%d: [%s]: unknown key '%s'%s%s%s (see `dsim scenario-keys`)",
                          ps->origin, line, section, name, near ? "; did you mean '" : "", near ? near : "",
                          near ? "'?" : "");
}

/* ---- rules across keys --------------------------------------------------------------------------- */

static size_t key_index(scenario_section section, const char *name)
{
    for (size_t i = 0; i < dsim__scenario_key_count(); i++)
        if (dsim__scenario_key(i)->section == section && strcmp(dsim__scenario_key(i)->name, name) == 0)
            return i;
    return 0;
}

/* "FILE:LINE: " of a key when it was read from a file, else "" (or "FILE: " when it was left default). */
static const char *where(const parse_state *ps, char *buf, size_t n, scenario_section section, int index,
                         const char *key)
{
    if (!ps)
        return "";
    int line = *line_slot((parse_state *)ps, section, index, key_index(section, key));
    if (line)
        snprintf(buf, n, "%s:%d: ", ps->origin, line);
    else
        snprintf(buf, n, "%s: ", ps->origin);
    return buf;
}

/* Every model's own rules across its keys, chosen or not (a file set for an unchosen source is a mistake). */
static int check_models(const dsim_scenario *sc, const parse_state *ps, strategy_family family,
                        scenario_section section, int chosen)
{
    const dsim__strategy *m;
    char w[600], msg[512];
    for (size_t i = 0; (m = dsim__strategy_of(family, i)); i++) {
        const char *key = m->check ? m->check(sc, dsim__strategy_config(sc, family, i), (int)i == chosen, msg,
                                              sizeof msg)
                                   : NULL;
        if (key)
            return dsim_error_set(DSIM_ECONFIG, "%s%s", where(ps, w, sizeof w, section, -1, key), msg);
    }
    return DSIM_OK;
}

static int check(const dsim_scenario *sc, const parse_state *ps)
{
    char w[600];
    if (sc->visits > 0 && sc->days > 0)
        return dsim_error_set(DSIM_ECONFIG, "%s[scenario] days: set visits or days, not both",
                              where(ps, w, sizeof w, SECTION_SCENARIO, -1, "days"));
    if (sc->visits <= 0 && sc->days <= 0)
        return dsim_error_set(DSIM_ECONFIG, "%s[scenario] visits: the horizon must be > 0 visits or days",
                              where(ps, w, sizeof w, SECTION_SCENARIO, -1, "visits"));
    if (sc->catalog.margin_min > sc->catalog.margin_max)
        return dsim_error_set(DSIM_ECONFIG, "%s[catalog] margin_min: %g is above margin_max %g",
                              where(ps, w, sizeof w, SECTION_CATALOG, -1, "margin_min"), sc->catalog.margin_min,
                              sc->catalog.margin_max);
    if (sc->behaviour.slate_size > sc->catalog.items)
        return dsim_error_set(DSIM_ECONFIG, "%s[behaviour] slate_size: %d is more than the catalog's %d items",
                              where(ps, w, sizeof w, SECTION_BEHAVIOUR, -1, "slate_size"), sc->behaviour.slate_size,
                              sc->catalog.items);
    if (sc->ranking.candidates > 0 && sc->ranking.candidates < sc->behaviour.slate_size)
        return dsim_error_set(DSIM_ECONFIG, "%s[ranking] candidates: %d is fewer than the slate's %d items",
                              where(ps, w, sizeof w, SECTION_RANKING, -1, "candidates"), sc->ranking.candidates,
                              sc->behaviour.slate_size);
    int rc = check_models(sc, ps, STRATEGY_DEMAND, SECTION_BEHAVIOUR, sc->behaviour.demand);
    if (rc || (rc = check_models(sc, ps, STRATEGY_EMBEDDINGS, SECTION_RANKING, sc->ranking.embeddings)))
        return rc;
    if (sc->discounts.n_levels < 1)
        return dsim_error_set(DSIM_ECONFIG, "%s[discounts] levels: expected at least one level",
                              where(ps, w, sizeof w, SECTION_DISCOUNTS, -1, "levels"));
    for (int l = 1; l < sc->discounts.n_levels; l++)
        if (sc->discounts.levels[l] <= sc->discounts.levels[l - 1])
            return dsim_error_set(DSIM_ECONFIG, "%s[discounts] levels: expected ascending, distinct levels, got %g%% "
                                  "after %g%%",
                                  where(ps, w, sizeof w, SECTION_DISCOUNTS, -1, "levels"),
                                  100 * sc->discounts.levels[l], 100 * sc->discounts.levels[l - 1]);
    if (sc->learning.update != DSIM_UPDATE_VISITS && sc->learning.update_every != 1)
        return dsim_error_set(DSIM_ECONFIG, "%s[learning] update_every: %d visits, but update = %s sets the updates "
                              "by the clock; set one of the two",
                              where(ps, w, sizeof w, SECTION_LEARNING, -1, "update_every"), sc->learning.update_every,
                              dsim__update_names[sc->learning.update]);
    if (sc->n_segments == 0)
        return dsim_error_set(DSIM_ECONFIG, "%s%sexpected at least one [segment.NAME] section", ps ? ps->origin : "", ps ? ": " : "");

    /* share = 0 switches a segment off (e.g. along a sweep axis): it gets no shopper, and the other shares are
       scaled to fill its place; otherwise the shares must sum to 1. */
    double total_share = 0;
    int n_off = 0;
    for (int s = 0; s < sc->n_segments; s++) {
        const dsim_segment_config *seg = &sc->segments[s];
        total_share += seg->share;
        if (seg->share == 0) {
            n_off++;
            continue;
        }
        if (seg->share * sc->shoppers < 0.5)
            return dsim_error_set(DSIM_ECONFIG, "%s[segment.%s] share: %g of %d shoppers gives the segment no shopper "
                                  "(0 switches it off)",
                                  where(ps, w, sizeof w, SECTION_SEGMENT, s, "share"), seg->name, seg->share,
                                  sc->shoppers);
        if (seg->delay_immediate < 1 && !(seg->delay_mean_days > 0))
            return dsim_error_set(DSIM_ECONFIG, "%s[segment.%s] delay_mean_days: expected a mean delay > 0 days, "
                                  "since delay_immediate = %g leaves some purchases for later",
                                  where(ps, w, sizeof w, SECTION_SEGMENT, s, "delay_immediate"), seg->name,
                                  seg->delay_immediate);
        if (seg->favourite_category >= sc->catalog.categories)
            return dsim_error_set(DSIM_ECONFIG, "%s[segment.%s] favourite_category: %d, but the catalog has "
                                  "categories 0..%d",
                                  where(ps, w, sizeof w, SECTION_SEGMENT, s, "favourite_category"), seg->name,
                                  seg->favourite_category, sc->catalog.categories - 1);
    }
    if (n_off == sc->n_segments)
        return dsim_error_set(DSIM_ECONFIG, "%s[segment.%s] share: every segment is switched off (share 0)",
                              where(ps, w, sizeof w, SECTION_SEGMENT, 0, "share"), sc->segments[0].name);
    if ((n_off == 0 && fabs(total_share - 1.0) > 1e-6) || (n_off > 0 && total_share > 1.0 + 1e-6)) {
        int last = sc->n_segments - 1;
        return dsim_error_set(DSIM_ECONFIG, "%s[segment.%s] share: segment shares sum to %g, expected 1%s",
                              where(ps, w, sizeof w, SECTION_SEGMENT, last, "share"), sc->segments[last].name,
                              total_share, n_off ? " (at most 1 with segments switched off)" : "");
    }
    for (int h = 0; h < sc->n_shocks; h++) {
        const dsim_shock_config *sh = &sc->shocks[h];
        if ((sh->at_visit >= 0) == (sh->at_day >= 0))
            return dsim_error_set(DSIM_ECONFIG, "%s[shock.%s] at_visit: set exactly one of at_visit and at_day",
                                  where(ps, w, sizeof w, SECTION_SHOCK, h, "at_visit"), sh->name);
        bool known = strcmp(sh->segment, "all") == 0;
        for (int s = 0; s < sc->n_segments && !known; s++)
            known = strcmp(sh->segment, sc->segments[s].name) == 0;
        if (!known)
            return dsim_error_set(DSIM_ECONFIG, "%s[shock.%s] segment: no segment named '%s' (expected all or a "
                                  "[segment.NAME] of this file)",
                                  where(ps, w, sizeof w, SECTION_SHOCK, h, "segment"), sh->name, sh->segment);
        if (sh->share >= 0 && strcmp(sh->segment, "all") == 0)
            return dsim_error_set(DSIM_ECONFIG, "%s[shock.%s] share: a share change needs one segment, not all",
                                  where(ps, w, sizeof w, SECTION_SHOCK, h, "share"), sh->name);
        for (int s = 0; s < sc->n_segments; s++)
            if (sh->share > 0 && sc->segments[s].share == 0 && strcmp(sh->segment, sc->segments[s].name) == 0)
                return dsim_error_set(DSIM_ECONFIG, "%s[shock.%s] share: segment %s is switched off (share 0)",
                                      where(ps, w, sizeof w, SECTION_SHOCK, h, "share"), sh->name, sh->segment);
        if (sh->elasticity_factor == 1.0 && sh->share < 0 && isnan(sh->outside_utility))
            return dsim_error_set(DSIM_ECONFIG, "%s[shock.%s]: changes nothing; set elasticity_factor, share or "
                                  "outside_utility",
                                  where(ps, w, sizeof w, SECTION_SHOCK, h, "at_visit"), sh->name);
    }
    return DSIM_OK;
}

double dsim_scenario_segment_share(const dsim_scenario *sc, int segment)
{
    double total = 0;
    for (int s = 0; s < sc->n_segments; s++)
        total += sc->segments[s].share;
    return total > 0 ? sc->segments[segment].share / total : 0.0;
}

int dsim_scenario_check(const dsim_scenario *sc)
{
    return check(sc, NULL);
}

/* ---- loading ------------------------------------------------------------------------------------- */

static void set_defaults(dsim_scenario *sc)
{
    for (int s = SECTION_SCENARIO; s < SECTION_SEGMENT; s++)
        apply_defaults((scenario_section)s, sc, sc);
}

int dsim_scenario_parse(dsim_scenario **out, const char *text, const char *origin)
{
    int rc = DSIM_OK;
    dsim_scenario *sc = calloc(1, sizeof *sc);
    parse_state *ps = calloc(1, sizeof *ps);
    if (!sc || !ps) {
        rc = dsim_error_set(DSIM_ENOMEM, "%s: out of memory", origin);
        goto done;
    }
    if (dsim__scenario_key_count() > MAX_KEYS) { /* a table grown past the parser's room: a build mistake */
        rc = dsim_error_set(DSIM_EINVAL, "%s: %zu scenario keys, more than the parser's %d", origin,
                            dsim__scenario_key_count(), MAX_KEYS);
        goto done;
    }
    set_defaults(sc);
    ps->sc = sc;
    ps->origin = origin;
    if ((rc = dsim__ini_parse(text, origin, on_key, ps)))
        goto done;
    /* A horizon in days replaces the default horizon in visits. */
    if (ps->global_line[key_index(SECTION_SCENARIO, "days")] && !ps->global_line[key_index(SECTION_SCENARIO, "visits")])
        sc->visits = 0;
    if ((rc = check(sc, ps)))
        goto done;
    dsim__strlcpy(sc->path, origin, sizeof sc->path);
    if (!(sc->text = strdup(text))) {
        rc = dsim_error_set(DSIM_ENOMEM, "%s: out of memory", origin);
        goto done;
    }
    *out = sc;
    sc = NULL;
done:
    free(ps);
    dsim_scenario_free(sc);
    return rc;
}

int dsim_scenario_load(dsim_scenario **out, const char *path)
{
    char *text = NULL;
    int rc = dsim__read_file(path, &text);
    if (rc == DSIM_OK)
        rc = dsim_scenario_parse(out, text, path);
    free(text);
    return rc;
}

void dsim_scenario_free(dsim_scenario *sc)
{
    if (!sc)
        return;
    free(sc->text);
    free(sc);
}

/* ---- derived quantities -------------------------------------------------------------------------- */

double dsim_scenario_arrivals_per_day(const dsim_scenario *sc)
{
    double rate = 0;
    for (int s = 0; s < sc->n_segments; s++)
        rate += sc->segments[s].share * sc->shoppers * sc->segments[s].visit_rate;
    return rate;
}

bool dsim_scenario_has_memory(const dsim_scenario *sc)
{
    for (int s = 0; s < sc->n_segments; s++) {
        const dsim_segment_config *g = &sc->segments[s];
        if (g->share > 0 && (g->memory < 1 || g->churn_base > 0 || g->churn_unhappy > 0))
            return true;
    }
    return false;
}

bool dsim_scenario_has_delays(const dsim_scenario *sc)
{
    for (int s = 0; s < sc->n_segments; s++)
        if (sc->segments[s].share > 0 && sc->segments[s].delay_immediate < 1)
            return true;
    return false;
}

uint64_t dsim_scenario_horizon(const dsim_scenario *sc)
{
    if (sc->visits > 0)
        return (uint64_t)llround(sc->visits);
    return (uint64_t)llround(sc->days * dsim_scenario_arrivals_per_day(sc));
}

int dsim_scenario_level_index(const dsim_scenario *sc, double fraction)
{
    for (int l = 0; l < sc->discounts.n_levels; l++)
        if (fabs(sc->discounts.levels[l] - fraction) < 1e-9)
            return l;
    return -1;
}

const char *dsim_scenario_section_at(int i)
{
    return i >= 0 && i < SECTION_COUNT ? dsim__scenario_section_name((scenario_section)i) : NULL;
}

bool dsim_scenario_key_doc_at(size_t i, dsim_scenario_key_doc *out)
{
    const scenario_key *k = dsim__scenario_key(i);
    if (!k)
        return false;
    *out = (dsim_scenario_key_doc){.section = dsim__scenario_section_name(k->section), .name = k->name,
                                   .fallback = k->fallback, .unit = k->unit, .doc = k->doc};
    if (k->kind == KEY_DOUBLE || k->kind == KEY_INT || k->kind == KEY_LEVELS)
        snprintf(out->range, sizeof out->range, "%g … %g", k->min, k->max);
    else if (k->kind == KEY_ENUM)
        list_names(k->names, out->range, sizeof out->range);
    return true;
}
