/*
 * log_table.c — a log held by columns in memory (whole, or a chunk at a time), and reading one from a dsim
 * run's events.
 *
 * Per row it keeps the context as float32 and the rest compactly (about 4 × columns + 28 bytes), so a
 * 10^7-row log of dsim's 15 context columns takes under 1 GB.
 */
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dsim/error.h"
#include "dsim/ope.h"
#include "dsim/store.h"
#include "ope/log_impl.h"

/* Reallocate one column to `count` elements; on failure the old column stays (freed with the log). */
#define GROW_COLUMN(log, field, count, ok)                                                                    \
    do {                                                                                                       \
        void *grown_ = realloc((log)->field, sizeof *(log)->field * (count));                                  \
        if (grown_)                                                                                            \
            (log)->field = grown_;                                                                             \
        else                                                                                                   \
            (ok) = false;                                                                                      \
    } while (0)

static int grow(dsim_ope_log *log)
{
    size_t cap = log->capacity ? 2 * log->capacity : 4096, c = (size_t)log->n_context;
    bool ok = true;
    GROW_COLUMN(log, context, cap * (c ? c : 1), ok);
    GROW_COLUMN(log, action, cap, ok);
    GROW_COLUMN(log, position, cap, ok);
    GROW_COLUMN(log, propensity, cap, ok);
    GROW_COLUMN(log, reward, cap, ok);
    /* the optional columns exist only in logs that carry them */
    if (log->shopper)
        GROW_COLUMN(log, shopper, cap, ok);
    if (log->visit)
        GROW_COLUMN(log, visit, cap, ok);
    if (log->logged_dist)
        GROW_COLUMN(log, logged_dist, cap * (size_t)log->dist_width, ok);
    if (!ok)
        return dsim_error_set(DSIM_ENOMEM, "out of memory reading the log %s (%zu rows)", log->origin, log->n);
    log->capacity = cap;
    return DSIM_OK;
}

int dsim__ope_log_flush(dsim_ope_log *log)
{
    if (!log->chunking || log->n == 0)
        return DSIM_OK;
    int rc = log->chunking->on_chunk(log, log->chunking->data);
    log->first_row += log->n;
    log->n = 0;
    return rc;
}

size_t dsim_ope_log_rows(const dsim_ope_log *log)
{
    return log->first_row + log->n;
}

/* Empty a log for a reader, keeping a stream's chunked reading. */
void dsim__ope_log_reset(dsim_ope_log *log)
{
    struct dsim__ope_chunking *keep = log->chunking;
    memset(log, 0, sizeof *log);
    log->chunking = keep;
}

int dsim_ope_log_push(dsim_ope_log *log, const float *context, int action, int position, double propensity,
                      double reward)
{
    if (log->chunking && log->n == log->chunking->chunk_rows) {
        int rc = dsim__ope_log_flush(log);
        if (rc)
            return rc;
    }
    if (log->n == log->capacity) {
        int rc = grow(log);
        if (rc)
            return rc;
    }
    size_t i = log->n++, c = (size_t)log->n_context;
    if (c) /* a log without context columns may pass none */
        memcpy(log->context + i * c, context, sizeof(float) * c);
    log->action[i] = (int16_t)action;
    log->position[i] = (int8_t)position;
    log->propensity[i] = propensity;
    log->reward[i] = reward;
    log->action_seen[action] = true;
    if (action >= log->n_actions)
        log->n_actions = action + 1;
    if (position >= log->n_positions)
        log->n_positions = position + 1;
    return DSIM_OK;
}

void dsim_ope_log_clear(dsim_ope_log *log)
{
    free(log->context);
    free(log->action);
    free(log->position);
    free(log->propensity);
    free(log->reward);
    free(log->shopper);
    free(log->visit);
    free(log->logged_dist);
    memset(log, 0, sizeof *log);
}

/* ---- a dsim run's events ------------------------------------------------------------------------------ */

static int push_event(const dsim_log_event *e, void *data)
{
    dsim_ope_log *log = data;
    if (dsim_ope_log_rows(log) == 0) {
        log->n_actions = log->dist_width = e->n_actions; /* the distribution's width, when logged */
        log->shopper = malloc(sizeof(uint32_t));
        log->visit = malloc(sizeof(uint64_t));
        if (e->n_actions > 0)
            log->logged_dist = malloc(sizeof(double) * (size_t)e->n_actions);
        if (!log->shopper || !log->visit || (e->n_actions > 0 && !log->logged_dist))
            return dsim_error_set(DSIM_ENOMEM, "out of memory reading %s", log->origin);
    }
    float context[DSIM_LOG_CONTEXT_COLUMNS];
    for (int j = 0; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
        context[j] = (float)e->context[j];
    if (log->logged_dist && e->n_actions != log->dist_width)
        return dsim_error_set(DSIM_ECONFIG, "%s: visit %llu: a distribution over %d levels, earlier ones over %d",
                              log->origin, (unsigned long long)e->visit, e->n_actions, log->dist_width);
    int rc = dsim_ope_log_push(log, context, e->action, -1, e->propensity, e->reward);
    if (rc)
        return rc;
    size_t i = log->n - 1; /* after the push: it may have handed a chunk on */
    log->shopper[i] = e->shopper;
    log->visit[i] = e->visit;
    if (log->logged_dist)
        memcpy(log->logged_dist + i * (size_t)log->dist_width, e->distribution,
               sizeof(double) * (size_t)log->dist_width);
    return DSIM_OK;
}

int dsim__ope_read_db(dsim_ope_log *log, dsim_store *st, const char *db, int64_t run_id)
{
    dsim__ope_log_reset(log);
    snprintf(log->origin, sizeof log->origin, "%s:%lld", db, (long long)run_id);
    log->n_context = DSIM_LOG_CONTEXT_COLUMNS;
    log->dsim_context = true;
    /* A logger whose propensities are sampled logs a Monte Carlo distribution, whose zeros are not zeros. */
    dsim_run_row run;
    if (dsim_store_run_get(st, run_id, &run) == DSIM_OK) {
        const dsim_policy_type *type = dsim_policy_type_find(run.policy_type);
        log->dist_estimated = type && type->propensity;
        dsim_store_row_clear(&run);
    }
    for (int j = 0; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
        dsim__strlcpy(log->context_names[j], dsim_log_context_names[j], sizeof log->context_names[j]);
    int rc = dsim_store_events_each(st, run_id, push_event, log);
    if (!rc)
        rc = dsim__ope_log_flush(log);
    if (rc)
        dsim_ope_log_clear(log);
    return rc;
}
