/*
 * targets.c — the policies offline evaluation can judge, each as "its action probabilities on a logged
 * row", and the per-row terms (weight, reward, model predictions) every estimator is made of.
 *
 * Kinds: uniform over the log's actions; deterministic (always one action); a table of probabilities from
 * a CSV file (columns `action`, `probability`, optionally `position`, numbered from 1 as in the logs: the
 * form in which other tools hand over a policy's action distribution); and any dsim policy, asked for its
 * distribution() on the row's context (the log must carry dsim's context columns).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_rows.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/ope.h"
#include "ope/reward_model.h"
#include "ope/target_rows.h"

typedef enum { TARGET_UNIFORM, TARGET_DETERMINISTIC, TARGET_TABLE, TARGET_ROWS, TARGET_POLICY } target_kind;

#define TABLE_POSITIONS 16

struct dsim_ope_target {
    target_kind kind;
    char name[DSIM_NAME_MAX];
    int action;                                          /* deterministic */
    int n_actions;                                       /* table: actions it covers */
    bool by_position;                                    /* table: a row per (action, position) */
    double table[TABLE_POSITIONS][DSIM_OPE_MAX_ACTIONS]; /* table: P(action | position), position 0 if none */
    bool position_given[TABLE_POSITIONS];                /* table: the positions it gives a distribution for */
    char path[DSIM_PATH_MAX];                            /* table: its file, for messages */
    dsim__row_target *rows;                              /* rows: owned */
    dsim_policy *policy;                                 /* policy: owned */
};

static dsim_ope_target *target_new(target_kind kind, const char *name)
{
    dsim_ope_target *t = calloc(1, sizeof *t);
    if (t) {
        t->kind = kind;
        dsim__strlcpy(t->name, name, sizeof t->name);
    }
    return t;
}

int dsim_ope_target_uniform(dsim_ope_target **out)
{
    return (*out = target_new(TARGET_UNIFORM, "uniform")) ? DSIM_OK
                                                          : dsim_error_set(DSIM_ENOMEM, "out of memory");
}

int dsim_ope_target_deterministic(dsim_ope_target **out, int action)
{
    char name[32];
    snprintf(name, sizeof name, "action=%d", action);
    if (!(*out = target_new(TARGET_DETERMINISTIC, name)))
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    (*out)->action = action;
    return DSIM_OK;
}

int dsim_ope_target_policy(dsim_ope_target **out, dsim_policy *policy, const char *name)
{
    if (dsim_policy_config_of(policy)->type->flags & DSIM_POLICY_CLAIRVOYANT) {
        int rc = dsim_error_set(DSIM_ECONFIG, "%s: a clairvoyant policy (type %s) reads each visit's hidden expected "
                                "rewards, which a log does not carry: it cannot be judged offline",
                                name, dsim_policy_config_of(policy)->type->name);
        dsim_policy_free(policy);
        return rc;
    }
    if (!(*out = target_new(TARGET_POLICY, name)))
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    (*out)->policy = policy;
    return DSIM_OK;
}

/* ---- a table from CSV ----------------------------------------------------------------------------------- */

typedef struct {
    dsim_ope_target *t;
    const char *path;
    int action, probability, position;
} table_reader;

static int table_row(char **fields, int n, size_t row, void *data)
{
    table_reader *r = data;
    if (row == 1) {
        r->action = r->probability = r->position = -1;
        for (int i = 0; i < n; i++) {
            if (strcmp(fields[i], "action") == 0)
                r->action = i;
            else if (strcmp(fields[i], "probability") == 0)
                r->probability = i;
            else if (strcmp(fields[i], "position") == 0)
                r->position = i;
        }
        if (r->action < 0 || r->probability < 0)
            return dsim_error_set(DSIM_ECONFIG, "%s: row 1: a policy table needs the columns action and probability "
                                  "(and optionally position)", r->path);
        r->t->by_position = r->position >= 0;
        return DSIM_OK;
    }
    unsigned long long a = 0, pos = 0;
    double p = 0;
    int need = r->action > r->probability ? r->action : r->probability;
    if (r->position > need)
        need = r->position;
    if (n <= need)
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: %d columns; the header has more", r->path, row, n);
    if (!dsim__parse_u64(fields[r->action], &a) || a >= DSIM_OPE_MAX_ACTIONS)
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu, column action: '%s' is not an action (0 … %d)", r->path,
                              row, fields[r->action], DSIM_OPE_MAX_ACTIONS - 1);
    if (!dsim__parse_double(fields[r->probability], &p) || p < 0 || p > 1)
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu, column probability: '%s' is not a probability in [0, 1]",
                              r->path, row, fields[r->probability]);
    if (r->position >= 0 && (!dsim__parse_u64(fields[r->position], &pos) || pos < 1 || pos > TABLE_POSITIONS))
        return dsim_error_set(DSIM_ECONFIG,
                              "%s: row %zu, column position: '%s' is not a position (1 … %d: positions are numbered "
                              "from 1, as in the logs)",
                              r->path, row, fields[r->position], TABLE_POSITIONS);
    if (r->position >= 0)
        pos -= 1;
    r->t->table[pos][a] = p;
    if ((int)a >= r->t->n_actions)
        r->t->n_actions = (int)a + 1;
    return DSIM_OK;
}

int dsim_ope_target_table(dsim_ope_target **out, const char *path, const dsim_ope_log *log)
{
    const char *slash = strrchr(path, '/');
    bool per_row = dsim__is_row_target(path);
    dsim_ope_target *t = target_new(per_row ? TARGET_ROWS : TARGET_TABLE, slash ? slash + 1 : path);
    if (!t)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (per_row) {
        int rc = log ? dsim__row_target_read(&t->rows, path, dsim_ope_log_rows(log), log->n_actions)
                     : dsim_error_set(DSIM_EINVAL, "%s: a per-row target needs its log", path);
        if (rc) {
            free(t);
            return rc;
        }
        *out = t;
        return DSIM_OK;
    }
    table_reader r = {.t = t, .path = path};
    dsim__strlcpy(t->path, path, sizeof t->path);
    int rc = dsim__csv_each(path, table_row, &r);
    for (int pos = 0; !rc && pos < (t->by_position ? TABLE_POSITIONS : 1); pos++) {
        double sum = 0;
        for (int a = 0; a < t->n_actions; a++)
            sum += t->table[pos][a];
        t->position_given[pos] = sum > 0;
        if (sum > 0 && fabs(sum - 1) > 1e-6)
            rc = t->by_position ? dsim_error_set(DSIM_ECONFIG, "%s: the probabilities of position %d sum to %.9g, "
                                                 "expected 1", path, pos + 1, sum)
                                : dsim_error_set(DSIM_ECONFIG, "%s: the probabilities sum to %.9g, expected 1", path, sum);
    }
    if (rc) {
        free(t);
        return rc;
    }
    *out = t;
    return DSIM_OK;
}

/* The logged row's context, as the dsim policy reads it. */
static void row_context(const dsim_ope_log *log, size_t i, dsim_context *ctx)
{
    double x[DSIM_LOG_CONTEXT_COLUMNS];
    for (int j = 0; j < log->n_context && j < DSIM_LOG_CONTEXT_COLUMNS; j++)
        x[j] = log->context[i * (size_t)log->n_context + (size_t)j];
    dsim_log_context_decode(x, log->n_context, ctx);
    ctx->visit = log->visit ? log->visit[i] : log->first_row + i;
    ctx->shopper = log->shopper ? log->shopper[i] : 0;
}

int dsim_ope_target_train(dsim_ope_target *t, const dsim_ope_log *log, size_t rows)
{
    if (t->kind != TARGET_POLICY)
        return DSIM_OK;
    if (!log->dsim_context)
        return dsim_error_set(DSIM_ECONFIG, "%s: training reads dsim's context columns, which %s lacks", t->name,
                              log->origin);
    int levels = dsim_policy_n_levels(t->policy);
    for (size_t i = 0; i < rows && i < log->n; i++) {
        if (log->action[i] >= levels)
            return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: action %d is not a level of %s (0 … %d)", log->origin,
                                  log->first_row + i + 2, log->action[i], t->name, levels - 1);
        dsim_context ctx;
        row_context(log, i, &ctx);
        /* What the log tells of the visit: the level, the reward, whether it sold (a reward other than 0). */
        dsim_feedback fb = {.level = log->action[i], .purchased = log->reward[i] != 0, .position = -1,
                            .reward = log->reward[i]};
        int rc = dsim_policy_learn(t->policy, &ctx, &fb);
        if (rc)
            return rc;
    }
    return DSIM_OK;
}

const char *dsim_ope_target_name(const dsim_ope_target *t)
{
    return t->name;
}

bool dsim_ope_target_numbers_rows(const dsim_ope_target *t)
{
    return t->kind == TARGET_ROWS && !dsim__row_target_by_visit(t->rows);
}

dsim_policy *dsim_ope_target_policy_of(const dsim_ope_target *t)
{
    return t->kind == TARGET_POLICY ? t->policy : NULL;
}

void dsim_ope_target_free(dsim_ope_target *t)
{
    if (t) {
        dsim_policy_free(t->policy);
        dsim__row_target_free(t->rows);
    }
    free(t);
}

/* ---- the per-row terms ---------------------------------------------------------------------------------- */

int dsim_ope_target_probabilities(const dsim_ope_target *t, const dsim_ope_log *log, size_t i, double *pi)
{
    int A = log->n_actions;
    memset(pi, 0, sizeof(double) * (size_t)A);
    switch (t->kind) {
    case TARGET_UNIFORM:
        for (int a = 0; a < A; a++)
            pi[a] = 1.0 / A;
        return DSIM_OK;
    case TARGET_DETERMINISTIC:
        if (t->action >= A)
            return dsim_error_set(DSIM_ECONFIG, "%s: action %d, but the log has actions 0 … %d", t->name, t->action,
                                  A - 1);
        pi[t->action] = 1.0;
        return DSIM_OK;
    case TARGET_TABLE: {
        int pos = t->by_position && log->position[i] >= 0 ? log->position[i] : 0;
        if (pos >= TABLE_POSITIONS || !t->position_given[pos])
            return dsim_error_set(DSIM_ECONFIG, "%s: no probabilities for position %d, which row %zu of %s has "
                                  "(positions are numbered from 1)",
                                  t->path, pos + 1, log->first_row + i + 2, log->origin);
        for (int a = 0; a < A && a < t->n_actions; a++)
            pi[a] = t->table[pos][a];
        return DSIM_OK;
    }
    case TARGET_ROWS:
        /* A log of discount scope item has a row per item decision, several per visit: a visit id names none. */
        if (dsim__row_target_by_visit(t->rows) && log->dsim_context && log->n_context == DSIM_LOG_CONTEXT_COLUMNS &&
            log->context[i * (size_t)log->n_context + DSIM_LOG_CONTEXT_COLUMNS_V1] >= 1)
            return dsim_error_set(DSIM_ECONFIG, "%s names rows by visit, and %s has a row per item decision (discount "
                                  "scope item): name them by row", t->name, log->origin);
        return dsim__row_target_probabilities(t->rows, log->first_row + i, log->visit ? &log->visit[i] : NULL, pi, A);
    case TARGET_POLICY: {
        if (!log->dsim_context)
            return dsim_error_set(DSIM_ECONFIG, "%s: a dsim policy reads dsim's context columns, which the log %s "
                                  "lacks (evaluate a table, uniform or action=K instead)",
                                  t->name, log->origin);
        int levels = dsim_policy_n_levels(t->policy);
        if (log->action[i] >= levels)
            return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: action %d is not a level of %s (0 … %d)", log->origin,
                                  log->first_row + i + 2, log->action[i], t->name, levels - 1);
        if (A > levels) /* levels beyond the policy's: probability 0 */
            memset(pi, 0, sizeof(double) * (size_t)A);
        dsim_context ctx;
        row_context(log, i, &ctx);
        dsim_policy_distribution(t->policy, &ctx, NULL, pi);
        return DSIM_OK;
    }
    }
    return DSIM_OK;
}

/* The actions the logger never takes in row i: from its logged distribution when exact, else the log's
   never-seen ones. */
static bool logger_never_takes(const dsim_ope_log *log, size_t i, int a)
{
    if (log->logged_dist && !log->dist_estimated)
        return a >= log->dist_width || log->logged_dist[i * (size_t)log->dist_width + (size_t)a] <= 0;
    return !log->action_seen[a];
}

int dsim_ope_terms_build(dsim_ope_terms *out, const dsim_ope_log *log, const dsim_ope_target *target,
                         const dsim_ope_reward_model *model)
{
    size_t n = log->n;
    int A = log->n_actions;
    memset(out, 0, sizeof *out);
    out->n = n;
    out->w = malloc(sizeof(double) * n);
    out->r = malloc(sizeof(double) * n);
    out->q_taken = malloc(sizeof(double) * n);
    out->q_pi = malloc(sizeof(double) * n);
    if (!out->w || !out->r || !out->q_taken || !out->q_pi) {
        dsim_ope_terms_clear(out);
        return dsim_error_set(DSIM_ENOMEM, "out of memory evaluating %s on %zu rows", target->name, n);
    }
    double pi[DSIM_OPE_MAX_ACTIONS];
    size_t violations = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = dsim_ope_target_probabilities(target, log, i, pi);
        if (rc) {
            dsim_ope_terms_clear(out);
            return rc;
        }
        int a = log->action[i];
        out->w[i] = pi[a] / log->propensity[i];
        out->r[i] = log->reward[i];
        double q_pi = 0, unsupported = 0;
        for (int b = 0; b < A; b++) {
            if (pi[b] > 0 && model)
                q_pi += pi[b] * dsim_ope_reward_model_predict(model, log, i, b);
            if (logger_never_takes(log, i, b))
                unsupported += pi[b];
        }
        out->q_taken[i] = model ? dsim_ope_reward_model_predict(model, log, i, a) : 0.0;
        out->q_pi[i] = q_pi;
        violations += unsupported > 0;
    }
    out->support_violation = n ? (double)violations / (double)n : 0.0;
    return DSIM_OK;
}
