/*
 * log_csv.c — logs from CSV files: dsim's log format (README, "Logged feedback") from any source, and the
 * Open Bandit Dataset's layout. Both are streamed row by row (core/csv_rows.c) and checked as they go.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_rows.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/ope.h"
#include "ope/log_impl.h"

typedef struct {
    dsim_ope_log *log;
    const char *path;
    bool obd, skip_bad_rows;
    size_t skipped;
    int width;                    /* columns of the header */
    int action, propensity, reward, position, visit, shopper; /* column indices, −1 when absent */
    int purchased, bought_position, discount_percent;        /* read and ignored (dsim's export) */
    int context[DSIM_OPE_MAX_CONTEXT]; /* column of each context feature */
} csv_log;

static int read_header(csv_log *c, char **fields, int n)
{
    c->width = n;
    int rc = dsim__csv_header_check(c->path, fields, n);
    if (rc)
        return rc;
    const char *action = c->obd ? "item_id" : "action", *propensity = c->obd ? "propensity_score" : "propensity";
    const char *reward = c->obd ? "click" : "reward";
    c->action = dsim__csv_column(fields, n, action);
    c->propensity = dsim__csv_column(fields, n, propensity);
    c->reward = dsim__csv_column(fields, n, reward);
    c->position = dsim__csv_column(fields, n, "position");
    c->visit = c->obd ? -1 : dsim__csv_column(fields, n, "visit");
    c->shopper = c->obd ? -1 : dsim__csv_column(fields, n, "shopper");
    c->purchased = c->obd ? -1 : dsim__csv_column(fields, n, "purchased");
    c->discount_percent = c->obd ? -1 : dsim__csv_column(fields, n, "discount_percent");
    c->bought_position = c->obd ? -1 : dsim__csv_column(fields, n, "bought_position");
    const char *required[3] = {action, propensity, reward};
    int at[3] = {c->action, c->propensity, c->reward};
    char needs[200];
    snprintf(needs, sizeof needs, "a log needs %s, %s and %s%s", action, propensity, reward,
             c->obd ? "" : "; optional: position, visit, shopper, then context features");
    for (int k = 0; k < 3; k++)
        if (at[k] < 0)
            return dsim__csv_missing_column(c->path, required[k], needs);
    dsim_ope_log *log = c->log;
    for (int i = 0; i < n; i++) {
        bool context = c->obd ? strncmp(fields[i], "user-item_affinity_", 19) == 0
                              : i != c->action && i != c->propensity && i != c->reward && i != c->position &&
                                    i != c->visit && i != c->shopper && i != c->purchased &&
                                    i != c->bought_position && i != c->discount_percent && fields[i][0];
        if (!context)
            continue;
        if (log->n_context == DSIM_OPE_MAX_CONTEXT)
            return dsim_error_set(DSIM_ECONFIG, "%s: row 1: more than %d context columns", c->path,
                                  DSIM_OPE_MAX_CONTEXT);
        c->context[log->n_context] = i;
        dsim__strlcpy(log->context_names[log->n_context++], fields[i], sizeof log->context_names[0]);
    }
    /* dsim's own columns, all of them and in order: policies can read the context. */
    /* dsim's own columns: all of them, or the first 15 of a log written before the item columns */
    log->dsim_context = !c->obd && (log->n_context == DSIM_LOG_CONTEXT_COLUMNS ||
                                    log->n_context == DSIM_LOG_CONTEXT_COLUMNS_V1);
    for (int j = 0; j < log->n_context && log->dsim_context; j++)
        log->dsim_context = strcmp(log->context_names[j], dsim_log_context_names[j]) == 0;
    if (c->visit >= 0 && !(log->visit = malloc(sizeof(uint64_t))))
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", c->path);
    if (c->shopper >= 0 && !(log->shopper = malloc(sizeof(uint32_t))))
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", c->path);
    return DSIM_OK;
}

/* A problem with one row: an error, or a count with --skip-bad-rows. */
static int bad_row(csv_log *c, size_t row, const char *column, const char *value, const char *why)
{
    if (c->skip_bad_rows) {
        c->skipped++;
        return 1;
    }
    return dsim__csv_bad_value(c->path, row, column, value, why);
}

/* Bounds that keep weights, rewards and their squared sums over 10^9 rows finite in double precision. */
#define MIN_PROPENSITY 1e-50
#define MAX_REWARD 1e50

static bool parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && errno != ERANGE;
}

static int read_row(char **fields, int n, size_t row, void *data)
{
    csv_log *c = data;
    if (row == 1)
        return read_header(c, fields, n);
    if (n != c->width) {
        if (c->skip_bad_rows) {
            c->skipped++;
            return DSIM_OK;
        }
        return dsim__csv_bad_width(c->path, row, n, c->width);
    }
    double action = 0, propensity = 0, reward = 0, position = -1, v;
    const char *a = fields[c->action], *p = fields[c->propensity], *r = fields[c->reward];
    int rc = 0;
    if (!parse_number(a, &action) || action != floor(action) || action < 0 || action >= DSIM_OPE_MAX_ACTIONS)
        rc = bad_row(c, row, c->obd ? "item_id" : "action", a, "is not an action (a whole number 0 … 255)");
    else if (!parse_number(p, &propensity) || !(propensity > 0 && propensity <= 1))
        rc = bad_row(c, row, c->obd ? "propensity_score" : "propensity", p, "is not a propensity in (0, 1]");
    else if (propensity < MIN_PROPENSITY)
        rc = bad_row(c, row, c->obd ? "propensity_score" : "propensity", p,
                     "is below 1e-50: its importance weight would swamp every estimate");
    else if (!parse_number(r, &reward) || !(fabs(reward) <= MAX_REWARD))
        rc = bad_row(c, row, c->obd ? "click" : "reward", r, "is not a finite reward within ±1e50");
    else if (c->position >= 0 && fields[c->position][0] &&
             (!parse_number(fields[c->position], &position) || position != floor(position) || position < 1 ||
              position > 100))
        rc = bad_row(c, row, "position", fields[c->position],
                     "is not a position (a whole number 1 … 100: positions are numbered from 1)");
    if (rc)
        return rc > 0 ? DSIM_OK : rc;
    if (position > 0)
        position -= 1; /* files number positions from 1, as the Open Bandit Dataset does; dsim from 0 */
    dsim_ope_log *log = c->log;
    float context[DSIM_OPE_MAX_CONTEXT];
    for (int j = 0; j < log->n_context; j++) {
        const char *s = fields[c->context[j]];
        if (!parse_number(s, &v) || !isfinite((float)v)) {
            rc = bad_row(c, row, log->context_names[j], s, "is not a finite number within ±3.4e38 (single precision)");
            return rc > 0 ? DSIM_OK : rc;
        }
        context[j] = (float)v;
    }
    if ((rc = dsim_ope_log_push(log, context, (int)action, (int)position, propensity, reward)))
        return rc;
    size_t i = log->n - 1; /* after the push: it may have handed a chunk on */
    unsigned long long u = 0;
    if (log->visit)
        log->visit[i] = dsim__parse_u64(fields[c->visit], &u) ? u : log->first_row + i;
    if (log->shopper)
        log->shopper[i] = dsim__parse_u64(fields[c->shopper], &u) ? (uint32_t)u : 0;
    return DSIM_OK;
}

int dsim__ope_read_csv(dsim_ope_log *log, const char *path, bool obd, bool skip_bad_rows, size_t *skipped)
{
    dsim__ope_log_reset(log);
    dsim__strlcpy(log->origin, path, sizeof log->origin);
    csv_log c = {.log = log, .path = path, .obd = obd, .skip_bad_rows = skip_bad_rows};
    int rc = dsim__csv_each(path, read_row, &c);
    if (!rc)
        rc = dsim__ope_log_flush(log);
    if (!rc && dsim_ope_log_rows(log) == 0)
        rc = dsim_error_set(DSIM_ECONFIG, "%s: no rows%s", path, c.skipped ? " (every row was skipped)" : "");
    if (skipped)
        *skipped = c.skipped;
    if (rc)
        dsim_ope_log_clear(log);
    return rc;
}

int dsim_ope_log_read_csv(dsim_ope_log *log, const char *path, bool skip_bad_rows, size_t *skipped)
{
    memset(log, 0, sizeof *log);
    return dsim__ope_read_csv(log, path, false, skip_bad_rows, skipped);
}

int dsim_ope_log_read_obd(dsim_ope_log *log, const char *path)
{
    memset(log, 0, sizeof *log);
    return dsim__ope_read_csv(log, path, true, false, NULL);
}
