/*
 * sweep_file.c — sweep files (dsim/sweep.h): reading them, numbering their cells, and writing each cell's
 * scenario as the base scenario's text with the axes' keys set, so that the scenario loader checks every
 * value exactly as it checks a file.
 */
#include "dsim/sweep.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ini.h"
#include "core/text.h"
#include "dsim/error.h"

typedef struct {
    dsim_sweep *sw;
    const char *origin;
    int key_line[4]; /* where [sweep]'s scenario, policies, seeds and visits were set (0: not yet) */
} reader;

/* A word an axis may set a key to (an enumerated value such as `history`): letters, digits, _ . / -. */
static bool is_word(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_./-", *s))
            return false;
    return true;
}

/* An axis' comma-separated values: numbers, FROM:TO:STEP ranges and words. @return n_values or -1. */
static int parse_values(const char *list, dsim_sweep_axis *a, char *why, size_t why_size)
{
    if (dsim__list_has_empty_item(list)) {
        snprintf(why, why_size, "an empty item in the list '%s' (a doubled or trailing comma?)", list);
        return -1;
    }
    char buf[4096];
    dsim__strlcpy(buf, list, sizeof buf);
    a->n_values = 0;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*item))
            item++;
        for (size_t len = strlen(item); len && isspace((unsigned char)item[len - 1]);)
            item[--len] = '\0';
        int room = DSIM_SWEEP_MAX_VALUES - a->n_values;
        int n = is_word(item) ? 0 : dsim__parse_number_list(item, a->values + a->n_values, room, why, why_size);
        if (n < 0)
            return -1;
        for (int i = a->n_values; i < a->n_values + n; i++)
            a->words[i][0] = '\0';
        if (n == 0) { /* a word */
            if (room == 0) {
                snprintf(why, why_size, "more than %d values", DSIM_SWEEP_MAX_VALUES);
                return -1;
            }
            if (strlen(item) >= DSIM_SWEEP_WORD_MAX) {
                snprintf(why, why_size, "'%s' is longer than %d characters", item, DSIM_SWEEP_WORD_MAX - 1);
                return -1;
            }
            dsim__strlcpy(a->words[a->n_values], item, DSIM_SWEEP_WORD_MAX);
            a->values[a->n_values] = NAN;
            n = 1;
        }
        a->n_values += n;
    }
    if (a->n_values == 0)
        snprintf(why, why_size, "expected a comma-separated list of values, got an empty list");
    return a->n_values ? a->n_values : -1;
}

static int on_key(void *user, const char *section, const char *key, const char *value, int line)
{
    reader *r = user;
    dsim_sweep *sw = r->sw;
    if (strcmp(section, "sweep") == 0) {
        static const char *const keys[4] = {"scenario", "policies", "seeds", "visits"};
        for (int k = 0; k < 4; k++)
            if (strcmp(key, keys[k]) == 0) {
                if (r->key_line[k])
                    return dsim_error_set(DSIM_ECONFIG, "%s:%d: [sweep] %s: set twice (first on line %d)", r->origin,
                                          line, key, r->key_line[k]);
                r->key_line[k] = line;
            }
        unsigned long long u;
        if (strcmp(key, "scenario") == 0) {
            dsim__strlcpy(sw->scenario, value, sizeof sw->scenario);
        } else if (strcmp(key, "policies") == 0) {
            char buf[4096];
            dsim__strlcpy(buf, value, sizeof buf);
            for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
                if (sw->n_policies == DSIM_SWEEP_MAX_POLICIES)
                    return dsim_error_set(DSIM_ECONFIG, "%s:%d: [sweep] policies: at most %d", r->origin, line,
                                          DSIM_SWEEP_MAX_POLICIES);
                dsim__strlcpy(sw->policies[sw->n_policies++], tok, sizeof sw->policies[0]);
            }
        } else if (strcmp(key, "seeds") == 0) {
            if (!dsim__parse_u64(value, &u) || u < 1 || u > 1000)
                return dsim_error_set(DSIM_ECONFIG, "%s:%d: [sweep] seeds: expected a whole number from 1 to 1000, "
                                      "got '%s'",
                                      r->origin, line, value);
            sw->seeds = (int)u;
        } else if (strcmp(key, "visits") == 0) {
            if (!dsim__parse_u64(value, &u))
                return dsim_error_set(DSIM_ECONFIG, "%s:%d: [sweep] visits: expected a whole number, got '%s'",
                                      r->origin, line, value);
            sw->visits = u;
        } else {
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: [sweep]: unknown key '%s' (expected scenario, policies, "
                                  "seeds or visits)",
                                  r->origin, line, key);
        }
        return DSIM_OK;
    }
    if (strcmp(section, "axes") != 0)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: unknown section [%s] (expected [sweep] and [axes])", r->origin,
                              line, section);
    if (sw->n_axes == DSIM_SWEEP_MAX_AXES)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [axes]: at most %d axes", r->origin, line, DSIM_SWEEP_MAX_AXES);
    dsim_sweep_axis *a = &sw->axes[sw->n_axes];
    const char *dot = strrchr(key, '.');
    if (!dot || dot == key || !dot[1])
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [axes] %s: expected SECTION.KEY (e.g. catalog.items or "
                              "segment.NAME.elasticity_mean)",
                              r->origin, line, key);
    snprintf(a->section, sizeof a->section, "%.*s", (int)(dot - key), key);
    dsim__strlcpy(a->key, dot + 1, sizeof a->key);
    for (int i = 0; i < sw->n_axes; i++)
        if (strcmp(sw->axes[i].section, a->section) == 0 && strcmp(sw->axes[i].key, a->key) == 0)
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: [axes] %s: set twice (first on line %d)", r->origin, line, key,
                                  sw->axes[i].line);
    a->line = line;
    char why[256];
    if (parse_values(value, a, why, sizeof why) < 0)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: [axes] %s: %s", r->origin, line, key, why);
    sw->n_axes++;
    return DSIM_OK;
}

int dsim_sweep_load(dsim_sweep *sw, const char *path)
{
    memset(sw, 0, sizeof *sw);
    dsim__strlcpy(sw->path, path, sizeof sw->path);
    sw->seeds = 1;
    char *text = NULL;
    int rc = dsim__read_file(path, &text);
    if (rc)
        return rc;
    reader r = {sw, path, {0}};
    rc = dsim__ini_parse(text, path, on_key, &r);
    free(text);
    if (rc)
        return rc;
    if (!sw->scenario[0])
        return dsim_error_set(DSIM_ECONFIG, "%s: [sweep] scenario: expected the base scenario", path);
    if (sw->n_policies == 0)
        return dsim_error_set(DSIM_ECONFIG, "%s: [sweep] policies: expected at least one policy", path);
    /* Bounded, so that the run numbers and the summary's tables cannot overflow. */
    double runs = (double)sw->n_policies * sw->seeds;
    sw->n_cells = 1;
    for (int i = 0; i < sw->n_axes; i++) {
        sw->n_cells *= (size_t)sw->axes[i].n_values;
        runs *= sw->axes[i].n_values;
    }
    if (runs / ((double)sw->n_policies * sw->seeds) > DSIM_SWEEP_MAX_CELLS)
        return dsim_error_set(DSIM_ECONFIG, "%s: %.0f cells (the product of the axes' lengths); at most %d in one "
                              "sweep (each cell's scenario is checked before the first run)",
                              path, runs / ((double)sw->n_policies * sw->seeds), DSIM_SWEEP_MAX_CELLS);
    if (runs > DSIM_SWEEP_MAX_RUNS)
        return dsim_error_set(DSIM_ECONFIG, "%s: %.0f runs (cells x policies x seeds); at most %.0f in one sweep",
                              path, runs, (double)DSIM_SWEEP_MAX_RUNS);
    return DSIM_OK;
}

/* The index of each axis' value in cell `cell`, last axis fastest. */
static void cell_indices(const dsim_sweep *sw, size_t cell, int *index)
{
    for (int i = sw->n_axes - 1; i >= 0; i--) {
        size_t n = (size_t)sw->axes[i].n_values;
        index[i] = (int)(cell % n);
        cell /= n;
    }
}

void dsim_sweep_cell_values(const dsim_sweep *sw, size_t cell, double *values)
{
    int index[DSIM_SWEEP_MAX_AXES];
    cell_indices(sw, cell, index);
    for (int i = 0; i < sw->n_axes; i++)
        values[i] = sw->axes[i].values[index[i]];
}

void dsim_sweep_cell_value_text(const dsim_sweep *sw, size_t cell, int axis, char *out, size_t n)
{
    int index[DSIM_SWEEP_MAX_AXES];
    cell_indices(sw, cell, index);
    const dsim_sweep_axis *a = &sw->axes[axis];
    if (a->words[index[axis]][0]) {
        snprintf(out, n, "%s", a->words[index[axis]]);
        return;
    }
    /* The fewest digits that read back as the same double: 0.3, not 0.29999999999999999. */
    double v = a->values[index[axis]];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(out, n, "%.*g", digits, v);
        if (strtod(out, NULL) == v)
            break;
    }
}

/* ---- the cell's scenario text ---------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} text;

static int append(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = 2 * (t->len + n + 1);
        char *buf = realloc(t->buf, cap);
        if (!buf)
            return dsim_error_set(DSIM_ENOMEM, "out of memory writing a sweep cell's scenario");
        t->buf = buf;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
    return DSIM_OK;
}

/* The section a line opens ("[segment.a]" → "segment.a"), or NULL. */
static bool section_of(const char *line, size_t n, char *out, size_t size)
{
    while (n && isspace((unsigned char)*line))
        line++, n--;
    if (!n || *line != '[')
        return false;
    const char *end = memchr(line, ']', n);
    if (!end)
        return false;
    snprintf(out, size, "%.*s", (int)(end - line - 1), line + 1);
    return true;
}

/* The key a line sets, if it is `key = value`. */
static bool key_of(const char *line, size_t n, char *out, size_t size)
{
    while (n && isspace((unsigned char)*line))
        line++, n--;
    if (!n || *line == ';' || *line == '#' || *line == '[')
        return false;
    const char *eq = memchr(line, '=', n);
    if (!eq)
        return false;
    size_t k = (size_t)(eq - line);
    while (k && isspace((unsigned char)line[k - 1]))
        k--;
    snprintf(out, size, "%.*s", (int)k, line);
    return true;
}

bool dsim_sweep_axis_is_policy(const dsim_sweep_axis *a)
{
    return strncmp(a->section, "policy.", 7) == 0;
}

/*
 * base with each scenario axis' key set (a policy's axes are not the scenario's): a line setting the key in its section is dropped, and `key = value` is
 * written at the end of the section (a missing section is added at the end).
 */
static int overridden(const dsim_sweep *sw, const char *base, size_t cell, int only_axis, char **out)
{
    char v[DSIM_SWEEP_MAX_AXES][DSIM_SWEEP_WORD_MAX];
    for (int i = 0; i < sw->n_axes; i++)
        dsim_sweep_cell_value_text(sw, cell, i, v[i], sizeof v[i]);
    text t = {0};
    bool written[DSIM_SWEEP_MAX_AXES] = {false};
    for (int i = 0; i < sw->n_axes; i++)
        written[i] = dsim_sweep_axis_is_policy(&sw->axes[i]);
    char section[DSIM_NAME_MAX * 2] = "", name[DSIM_NAME_MAX * 2 + 8], value[512];
    int rc = DSIM_OK;
    const char *p = base;
    while (*p && !rc) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        char opened[DSIM_NAME_MAX * 2];
        bool opens = section_of(p, n, opened, sizeof opened);
        /* Leaving a section: write its axes' keys before the next one starts. */
        for (int i = 0; opens && i < sw->n_axes && !rc; i++)
            if (!written[i] && (only_axis < 0 || only_axis == i) && strcmp(sw->axes[i].section, section) == 0) {
                snprintf(value, sizeof value, "%s = %s\n", sw->axes[i].key, v[i]);
                rc = append(&t, value, strlen(value));
                written[i] = true;
            }
        if (opens)
            dsim__strlcpy(section, opened, sizeof section);
        bool drop = false;
        if (!opens && key_of(p, n, name, sizeof name))
            for (int i = 0; i < sw->n_axes; i++)
                drop |= !written[i] && (only_axis < 0 || only_axis == i) && strcmp(sw->axes[i].section, section) == 0 &&
                        strcmp(sw->axes[i].key, name) == 0;
        if (!drop && !rc) {
            rc = append(&t, p, n);
            if (!rc && !nl)
                rc = append(&t, "\n", 1);
        }
        p += n;
    }
    for (int i = 0; i < sw->n_axes && !rc; i++) {
        if (written[i] || (only_axis >= 0 && only_axis != i))
            continue;
        if (strcmp(sw->axes[i].section, section) != 0) {
            snprintf(name, sizeof name, "[%s]\n", sw->axes[i].section);
            rc = append(&t, name, strlen(name));
            dsim__strlcpy(section, sw->axes[i].section, sizeof section);
        }
        snprintf(value, sizeof value, "%s = %s\n", sw->axes[i].key, v[i]);
        if (!rc)
            rc = append(&t, value, strlen(value));
        /* later axes of this same section follow it directly */
        for (int j = i + 1; j < sw->n_axes && !rc; j++)
            if (!written[j] && (only_axis < 0 || only_axis == j) && strcmp(sw->axes[j].section, section) == 0) {
                snprintf(value, sizeof value, "%s = %s\n", sw->axes[j].key, v[j]);
                rc = append(&t, value, strlen(value));
                written[j] = true;
            }
        written[i] = true;
    }
    if (rc) {
        free(t.buf);
        return rc;
    }
    *out = t.buf ? t.buf : strdup("");
    return *out ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
}

/* A segment or shock an axis names must be one of the base scenario's: a new one would change the market. */
static int check_section(const dsim_sweep *sw, const dsim_sweep_axis *a, const char *base_text)
{
    if (strncmp(a->section, "segment.", 8) != 0 && strncmp(a->section, "shock.", 6) != 0)
        return DSIM_OK;
    char header[DSIM_NAME_MAX * 2 + 4];
    snprintf(header, sizeof header, "[%s]", a->section);
    if (strstr(base_text, header))
        return DSIM_OK;
    return dsim_error_set(DSIM_ECONFIG, "%s:%d: [axes] %s.%s: the base scenario has no %s section", sw->path, a->line,
                          a->section, a->key, header);
}

int dsim_sweep_cell_scenario(const dsim_sweep *sw, const char *base_text, size_t cell, dsim_scenario **out)
{
    for (int i = 0; i < sw->n_axes; i++) {
        int rc = check_section(sw, &sw->axes[i], base_text);
        if (rc)
            return rc;
    }
    /* Each axis alone first, so that a bad key or value is reported against its own line. */
    for (int i = 0; i < sw->n_axes; i++) {
        if (dsim_sweep_axis_is_policy(&sw->axes[i]))
            continue;
        char *t = NULL, origin[64];
        int rc = overridden(sw, base_text, cell, i, &t);
        if (rc)
            return rc;
        snprintf(origin, sizeof origin, "cell %zu", cell);
        dsim_scenario *sc = NULL;
        rc = dsim_scenario_parse(&sc, t, origin);
        free(t);
        dsim_scenario_free(sc);
        if (rc) {
            char value[DSIM_SWEEP_WORD_MAX];
            dsim_sweep_cell_value_text(sw, cell, i, value, sizeof value);
            return dsim_error_prefix(DSIM_ECONFIG, "%s:%d: [axes] %s.%s = %s: ", sw->path, sw->axes[i].line,
                                     sw->axes[i].section, sw->axes[i].key, value);
        }
    }
    char *t = NULL, origin[DSIM_PATH_MAX + 32];
    int rc = overridden(sw, base_text, cell, -1, &t);
    if (rc)
        return rc;
    snprintf(origin, sizeof origin, "%s (cell %zu)", sw->path, cell);
    rc = dsim_scenario_parse(out, t, origin);
    free(t);
    return rc;
}

/* Does axis `a` set policy p's parameters? It names the policy as it is named or as the sweep file writes it. */
static bool sets_policy(const dsim_sweep *sw, const dsim_sweep_axis *a, dsim_policy_config *const *policies, int p)
{
    const char *name = a->section + strlen("policy.");
    return dsim_sweep_axis_is_policy(a) && (strcmp(name, policies[p]->name) == 0 || strcmp(name, sw->policies[p]) == 0);
}

/* Policy p's axes in this cell as "KEY=V,KEY=V" (empty: none). */
static void policy_settings(const dsim_sweep *sw, dsim_policy_config *const *policies, int p, size_t cell,
                            char *out, size_t n, int *first_line)
{
    size_t used = 0;
    out[0] = '\0';
    *first_line = 0;
    for (int i = 0; i < sw->n_axes; i++) {
        const dsim_sweep_axis *a = &sw->axes[i];
        if (!sets_policy(sw, a, policies, p))
            continue;
        char v[DSIM_SWEEP_WORD_MAX];
        dsim_sweep_cell_value_text(sw, cell, i, v, sizeof v);
        used += (size_t)snprintf(out + used, n > used ? n - used : 0, "%s%s=%s", used ? "," : "", a->key, v);
        if (!*first_line)
            *first_line = a->line;
    }
}

int dsim_sweep_cell_policy(const dsim_sweep *sw, dsim_policy_config *const *policies, size_t cell, int p,
                           dsim_policy_config **out)
{
    *out = NULL;
    char settings[1024], where[DSIM_PATH_MAX + 160];
    int line;
    policy_settings(sw, policies, p, cell, settings, sizeof settings, &line);
    if (!settings[0])
        return DSIM_OK;
    snprintf(where, sizeof where, "%s:%d: [axes] policy.%s (cell %zu)", sw->path, line, policies[p]->name, cell);
    return dsim_policy_config_override(out, policies[p], settings, where, NULL);
}

int dsim_sweep_check_policy_axes(const dsim_sweep *sw, dsim_policy_config *const *policies,
                                 const dsim_scenario *first)
{
    for (int i = 0; i < sw->n_axes; i++) {
        const dsim_sweep_axis *a = &sw->axes[i];
        if (!dsim_sweep_axis_is_policy(a))
            continue;
        bool found = false;
        for (int p = 0; p < sw->n_policies; p++)
            found |= sets_policy(sw, a, policies, p);
        if (!found) {
            const char *names[DSIM_SWEEP_MAX_POLICIES];
            for (int p = 0; p < sw->n_policies; p++)
                names[p] = policies[p]->name;
            const char *near = dsim__nearest(a->section + 7, names, (size_t)sw->n_policies);
            return dsim_error_set(DSIM_ECONFIG, "%s:%d: [axes] %s.%s: the sweep has no policy named '%s'%s%s%s",
                                  sw->path, a->line, a->section, a->key, a->section + 7,
                                  near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        }
    }
    for (size_t c = 0; c < sw->n_cells; c++)
        for (int p = 0; p < sw->n_policies; p++) {
            dsim_policy_config *cfg = NULL;
            int rc = dsim_sweep_cell_policy(sw, policies, c, p, &cfg);
            if (!rc && cfg)
                rc = dsim_policy_config_check(cfg, first);
            dsim_policy_config_free(cfg);
            if (rc)
                return rc;
        }
    return DSIM_OK;
}

int dsim_sweep_check(const dsim_sweep *sw, const char *base_text)
{
    for (size_t c = 0; c < sw->n_cells; c++) {
        dsim_scenario *sc = NULL;
        int rc = dsim_sweep_cell_scenario(sw, base_text, c, &sc);
        dsim_scenario_free(sc);
        if (rc)
            return rc;
    }
    return DSIM_OK;
}
