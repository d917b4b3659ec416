/*
 * fit_scenario.c — a fitted mixture as a scenario file (dsim/fit.h): the base scenario's text with its story
 * comment, its segments and its demand model replaced by the fit's, every other key kept as the base has it.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "dsim/fit.h"

/* The section a header line opens ("segment.loyal" of "[segment.loyal]"), or NULL for any other line. */
static bool section_of(const char *line, size_t len, char *name, size_t n)
{
    while (len && isspace((unsigned char)*line))
        line++, len--;
    while (len && isspace((unsigned char)line[len - 1]))
        len--;
    if (len < 2 || line[0] != '[' || line[len - 1] != ']')
        return false;
    snprintf(name, n, "%.*s", (int)(len - 2), line + 1);
    return true;
}

/* The key a line sets ("demand" of "demand = mnl"), or "" for comments and blanks. */
static void key_of(const char *line, size_t len, char *key, size_t n)
{
    size_t i = 0, k = 0;
    while (i < len && isspace((unsigned char)line[i]))
        i++;
    if (i < len && (line[i] == ';' || line[i] == '#'))
        len = i;
    while (i < len && line[i] != '=' && !isspace((unsigned char)line[i]) && k + 1 < n)
        key[k++] = line[i++];
    key[k] = '\0';
}

static bool is_comment_or_blank(const char *line, size_t len)
{
    char key[8];
    key_of(line, len, key, sizeof key);
    return key[0] == '\0';
}

int dsim_fit_scenario_text(const char *base, const dsim_fit_model *m, const char *comment, double memory,
                           double reference0, char **out)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (const char *c = comment; *c;) { /* the fit's own story first */
        size_t len = strcspn(c, "\n");
        fprintf(f, "; %.*s\n", (int)len, c);
        c += len + (c[len] == '\n');
    }
    char section[128] = "", key[64];
    bool story = true, behaviour = false;
    const char *held = NULL; /* comment lines held back: they belong to the next section */
    for (const char *line = base; *line;) {
        size_t len = strcspn(line, "\n"), next = len + (line[len] == '\n');
        if (story && len && line[0] == ';') { /* the base's story: replaced by the fit's */
            line += next;
            continue;
        }
        story = false;
        if (is_comment_or_blank(line, len)) {
            held = held ? held : line;
            line += next;
            continue;
        }
        bool header = section_of(line, len, section, sizeof section);
        bool segment = strncmp(section, "segment.", 8) == 0;
        if (held && !segment) /* comments above a kept line stay */
            fwrite(held, 1, (size_t)(line - held), f);
        else if (held && *held == '\n') /* a dropped section's comments go, the blank line before them stays */
            fputc('\n', f);
        held = NULL;
        key_of(line, len, key, sizeof key);
        bool drop = segment || (!header && strcmp(section, "behaviour") == 0 && strcmp(key, "demand") == 0) ||
                    (!header && strcmp(section, "scenario") == 0 &&
                     (strcmp(key, "name") == 0 || strcmp(key, "description") == 0));
        if (!drop)
            fprintf(f, "%.*s\n", (int)len, line);
        if (header && strcmp(section, "behaviour") == 0) {
            fputs("demand = logit\n", f);
            behaviour = true;
        }
        if (header && strcmp(section, "scenario") == 0)
            fputs("name = fitted\ndescription = fitted by dsim fit: a logit market of the segments below\n", f);
        line += next;
    }
    if (!behaviour)
        fputs("\n[behaviour]\ndemand = logit\n", f);
    double share[DSIM_FIT_MAX_SEGMENTS], rest = 1; /* to 9 places, summing to 1 as a scenario's must */
    for (int c = 0; c < m->k; c++)
        rest -= share[c] = c < m->k - 1 ? round(m->share[c] * 1e9) / 1e9 : 0;
    share[m->k - 1] = rest;
    for (int c = 0; c < m->k; c++)
        fprintf(f,
                "\n; standard errors: share ±%.3g, logit_base ±%.3g, logit_discount ±%.3g, logit_reference ±%.3g\n"
                "[segment.fitted%d]\nshare = %.9g\n"
                "logit_base = %.6g\nlogit_discount = %.6g\nlogit_reference = %.6g\nmemory = %.6g\n"
                "initial_reference = %.6g\n",
                m->share_se[c], m->theta_se[c][0], m->theta_se[c][1], m->theta_se[c][2], c + 1, share[c],
                m->theta[c][0], m->theta[c][1], m->theta[c][2], memory, reference0);
    if (fclose(f) != 0) {
        free(text);
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    *out = text;
    return DSIM_OK;
}
