/*
 * spec.c — a policy from one line (`-p fixed:15`, `-p linucb:alpha=1`, `-p FILE:alpha=0.5`): a base file or
 * type, then parameters set as in a file, with the text rewritten so that it reads back as what ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dsim/error.h"
#include "dsim/files.h"
#include "policy/policy_impl.h"

#define MAX_SETTINGS 32

typedef struct {
    char key[64];
    char value[256];
} setting;

/* "alpha=1,features=price,recency" → (alpha, 1), (features, "price,recency"); "15" → (first parameter, 15).
   `spec` ("-p SPEC") begins the messages. */
static int split_settings(const char *spec, const char *list, const dsim_policy_type *type, setting *out, int *n)
{
    *n = 0;
    const char *item = list;
    while (*item) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        const char *eq = memchr(item, '=', len);
        if (!eq && item == list) { /* BASE:VALUE, the type's first parameter */
            if (type->n_params == 0)
                return dsim_error_set(DSIM_ECONFIG, "%s: type %s has no parameter to set", spec, type->name);
            if (len >= sizeof out[0].value)
                return dsim_error_set(DSIM_ECONFIG, "%s: the value '%.*s' is too long", spec, (int)len, item);
            dsim__strlcpy(out[0].key, type->params[0].name, sizeof out[0].key);
            snprintf(out[0].value, sizeof out[0].value, "%.*s", (int)len, item);
            *n = 1;
        } else if (!eq) { /* a comma inside the previous value (a feature list) */
            size_t used = strlen(out[*n - 1].value);
            snprintf(out[*n - 1].value + used, sizeof out[0].value - used, ",%.*s", (int)len, item);
        } else {
            if (*n == MAX_SETTINGS)
                return dsim_error_set(DSIM_ECONFIG, "%s: more than %d settings", spec, MAX_SETTINGS);
            size_t key_len = (size_t)(eq - item);
            if (key_len == 0 || key_len >= sizeof out[0].key || len - key_len - 1 >= sizeof out[0].value ||
                len == key_len + 1)
                return dsim_error_set(DSIM_ECONFIG, "%s: expected KEY=VALUE, got '%.*s'", spec, (int)len, item);
            snprintf(out[*n].key, sizeof out[0].key, "%.*s", (int)key_len, item);
            snprintf(out[*n].value, sizeof out[0].value, "%.*s", (int)(len - key_len - 1), eq + 1);
            for (int i = 0; i < *n; i++)
                if (strcmp(out[i].key, out[*n].key) == 0)
                    return dsim_error_set(DSIM_ECONFIG, "%s: %s: set twice", spec, out[i].key);
            (*n)++;
        }
        item += len + (comma != NULL);
    }
    return DSIM_OK;
}

/* Is line `line` (of a policy file's text) the start of key `key`'s value? */
static bool sets_key(const char *line, const char *key)
{
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0)
        return false;
    line += n;
    while (*line == ' ' || *line == '\t')
        line++;
    return *line == '=' || *line == ':';
}

/* The base text with every line setting one of the keys (and its indented continuation lines) commented out,
   then the settings, so that the text parses to exactly the configuration that ran. */
static const char commented[] = "; set on the command line instead: ";

static char *rewrite_text(const char *base, const setting *settings, int n)
{
    /* the base, a prefix on each of its lines at most, a closing newline, then "key = value\n" per setting */
    size_t cap = strlen(base) + (sizeof commented - 1) + 2;
    for (const char *c = base; *c; c++)
        cap += *c == '\n' ? sizeof commented - 1 : 0;
    for (int i = 0; i < n; i++)
        cap += strlen(settings[i].key) + strlen(settings[i].value) + 4;
    char *out = malloc(cap), *w = out;
    if (!out)
        return NULL;
    bool commenting = false;
    for (const char *line = base; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        bool continuation = len > 0 && (line[0] == ' ' || line[0] == '\t') && commenting;
        commenting = continuation;
        for (int i = 0; i < n && !commenting; i++)
            commenting = sets_key(line, settings[i].key);
        if (commenting)
            w += sprintf(w, "%s", commented);
        memcpy(w, line, len);
        w += len;
        line += len;
    }
    if (w > out && w[-1] != '\n')
        *w++ = '\n';
    for (int i = 0; i < n; i++)
        w += sprintf(w, "%s = %s\n", settings[i].key, settings[i].value);
    *w = '\0';
    return out;
}

/* Nothing named `base`: the nearest shipped policy or type in the message, which `where` begins. */
static int not_found(const char *where, const char *base)
{
    char *names[256];
    const char *candidates[300];
    size_t n_files = dsim_files_list("policies", names, 200), n = 0;
    for (size_t i = 0; i < n_files; i++)
        candidates[n++] = names[i];
    for (const dsim_policy_type *const *t = dsim_policy_types(); *t && n < 300; t++)
        candidates[n++] = (*t)->name;
    const char *near = dsim__nearest(base, candidates, n);
    int rc = dsim_error_set(DSIM_ENOTFOUND,
                            "%s: no policy named '%s' (a file, a NAME of %s/policies or a TYPE of `dsim policies`)"
                            "%s%s%s",
                            where, base, dsim_files_dir("policies"), near ? "; did you mean '" : "", near ? near : "",
                            near ? "'?" : "");
    for (size_t i = 0; i < n_files; i++)
        free(names[i]);
    return rc;
}

/* The base of a spec: a file when one is found by that name, else a type with its defaults. */
static int load_base(const char *where, const char *base, dsim_policy_config **out)
{
    char path[DSIM_PATH_MAX];
    if (dsim_files_find("policies", base, path, sizeof path) == DSIM_OK) /* a path as given, or a NAME found */
        return dsim_policy_config_load(out, path);
    const dsim_policy_type *type = dsim_policy_type_find(base);
    if (!type)
        return not_found(where, base);
    char text[128];
    snprintf(text, sizeof text, "[policy]\ntype = %s\n", type->name);
    return dsim_policy_config_parse(out, text, base);
}

int dsim_policy_config_override(dsim_policy_config **out, const dsim_policy_config *base, const char *settings_text,
                                const char *where, const char *rename)
{
    *out = NULL;
    setting settings[MAX_SETTINGS];
    int n = 0, rc;
    if (!*settings_text)
        return dsim_error_set(DSIM_ECONFIG, "%s: expected a value or KEY=VALUE after ':'", where);
    if (!base->text)
        return dsim_error_set(DSIM_EINVAL, "%s: policy %s has no text to set parameters in", where, base->name);
    if ((rc = split_settings(where, settings_text, base->type, settings, &n)))
        return rc;
    dsim_policy_config *cfg = NULL; /* a copy of the base, then each setting checked and set on it */
    if ((rc = dsim_policy_config_parse(&cfg, base->text, base->path)))
        return rc;
    const char *name = rename ? rename : base->name;
    for (int i = 0; i < n && !rc; i++) {
        const char *key = settings[i].key;
        if (strcmp(key, "type") == 0) {
            rc = dsim_error_set(DSIM_ECONFIG, "%s: type: the type is the base's (%s)", where, base->type->name);
        } else if (strcmp(key, "name") == 0) {
            name = settings[i].value;
        } else if (!(rc = dsim__policy_set_param(cfg, key, settings[i].value, where))) {
            /* its messages now point at `where`, not at a line of the base */
            for (int j = 0; j < cfg->type->n_params; j++)
                if (strcmp(cfg->type->params[j].name, key) == 0)
                    cfg->param_line[j] = 0;
            if (strcmp(key, "features") == 0)
                cfg->features_line = 0;
        }
    }
    if (!rc && strlen(name) >= sizeof cfg->name)
        rc = dsim_error_set(DSIM_ECONFIG, "%s: longer than a policy name may be (%d characters); add name=…", where,
                            DSIM_NAME_MAX - 1);
    char *text = rc ? NULL : rewrite_text(base->text, settings, n);
    if (!rc && !text)
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (rc) {
        dsim_policy_config_free(cfg);
        return rc;
    }
    free(cfg->text); /* the text that reads back as what runs */
    cfg->text = text;
    dsim__strlcpy(cfg->name, name, sizeof cfg->name);
    dsim__strlcpy(cfg->path, where, sizeof cfg->path);
    *out = cfg;
    return DSIM_OK;
}

int dsim_policy_config_resolve(dsim_policy_config **out, const char *spec)
{
    char where[DSIM_PATH_MAX + 8];
    snprintf(where, sizeof where, "-p %s", spec);
    return dsim_policy_config_resolve_at(out, spec, where);
}

int dsim_policy_config_resolve_at(dsim_policy_config **out, const char *spec, const char *where)
{
    *out = NULL;
    const char *colon = strchr(spec, ':');
    char base_name[DSIM_PATH_MAX];
    snprintf(base_name, sizeof base_name, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
    if (!*base_name)
        return dsim_error_set(DSIM_ECONFIG, "%s: expected a policy NAME, FILE or TYPE before ':'", where);
    dsim_policy_config *base = NULL;
    int rc = load_base(where, base_name, &base);
    if (rc || !colon) {
        *out = base; /* NULL after a failure */
        return rc;
    }
    /* named by its spec: a file's own name would pass for the file as it is */
    rc = dsim_policy_config_override(out, base, colon + 1, where, spec);
    dsim_policy_config_free(base);
    return rc;
}
