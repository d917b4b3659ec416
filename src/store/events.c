/*
 * events.c — logged feedback in the result database: one `events` row per decision of a run made with
 * --log-events, written inside the run's transaction, and read back row by row; and the `ope` rows of
 * the evaluations made on such logs, and the live changes of a dashboard's snapshot.
 *
 * The context and the distribution are blobs of float64 in the machine's byte order, little-endian on every
 * platform dsim builds on (checked at compile time), so numpy.frombuffer(blob, "<f8") reads them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "store/store_impl.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the events table stores little-endian float64 blobs"
#endif

enum { BATCH_ROWS = 8192 }; /* logged decisions per short transaction (a few milliseconds of writing) */

static int insert_event(dsim_store *st, const dsim_log_event *e);

int dsim_store_event_add(dsim_store *st, const dsim_log_event *e)
{
    if (!st->open_run)
        return dsim_error_set(DSIM_EINVAL, "%s: no open run", st->path);
    pthread_mutex_lock(&st->lock);
    int rc = dsim__store_batch_begin(st);
    if (!rc)
        rc = insert_event(st, e);
    if (!rc && ++st->batch_rows >= BATCH_ROWS)
        rc = dsim__store_batch_commit(st);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static int insert_event(dsim_store *st, const dsim_log_event *e)
{
    if (!st->insert_event &&
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO events (run_id, visit, shopper, action, propensity, reward, purchased, "
                           "position, context, distribution, item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st->insert_event, NULL) != SQLITE_OK)
        return dsim__store_error(st, "preparing the events insert");
    sqlite3_stmt *s = st->insert_event;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, st->open_run);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)e->visit);
    sqlite3_bind_int64(s, 3, e->shopper);
    sqlite3_bind_int(s, 4, e->action);
    sqlite3_bind_double(s, 5, e->propensity);
    sqlite3_bind_double(s, 6, e->reward);
    sqlite3_bind_int(s, 7, e->purchased);
    if (e->position >= 0)
        sqlite3_bind_int(s, 8, e->position);
    else
        sqlite3_bind_null(s, 8);
    sqlite3_bind_blob(s, 9, e->context, (int)sizeof e->context, SQLITE_STATIC);
    if (e->n_actions > 0)
        sqlite3_bind_blob(s, 10, e->distribution, (int)(sizeof(double) * (size_t)e->n_actions), SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 10);
    sqlite3_bind_int(s, 11, e->item);
    if (sqlite3_step(s) != SQLITE_DONE)
        return dsim__store_error(st, "logging a decision");
    return DSIM_OK;
}

int dsim_store_events_each(dsim_store *st, int64_t run_id, int (*each)(const dsim_log_event *e, void *data),
                           void *data)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT visit, shopper, action, propensity, reward, purchased, position, context, "
                           "distribution, item FROM events WHERE run_id = ? ORDER BY visit, item",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading the events");
    sqlite3_bind_int64(s, 1, run_id);
    int rc = DSIM_OK, step;
    size_t rows = 0;
    dsim_log_event e;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&e, 0, sizeof e);
        e.visit = (uint64_t)sqlite3_column_int64(s, 0);
        e.shopper = (uint32_t)sqlite3_column_int64(s, 1);
        e.action = sqlite3_column_int(s, 2);
        e.propensity = sqlite3_column_double(s, 3);
        e.reward = sqlite3_column_double(s, 4);
        e.purchased = sqlite3_column_int(s, 5) != 0;
        e.position = sqlite3_column_type(s, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 6);
        /* Contexts logged before the item columns have the first 15: a visit's decision. */
        int context_bytes = sqlite3_column_bytes(s, 7);
        if (context_bytes != (int)sizeof e.context && context_bytes != DSIM_LOG_CONTEXT_COLUMNS_V1 * (int)sizeof(double)) {
            rc = dsim_error_set(DSIM_ESTORE, "%s: run %lld, visit %llu: a context of %d bytes, expected %zu",
                                st->path, (long long)run_id, (unsigned long long)e.visit, context_bytes,
                                sizeof e.context);
            break;
        }
        memcpy(e.context, sqlite3_column_blob(s, 7), (size_t)context_bytes);
        /* shorter: the item columns stay 0 (item_position 0: a visit's decision) */
        e.item = sqlite3_column_int(s, 9);
        int bytes = sqlite3_column_bytes(s, 8);
        if (bytes > 0 && bytes <= (int)sizeof e.distribution && bytes % (int)sizeof(double) == 0) {
            e.n_actions = bytes / (int)sizeof(double);
            memcpy(e.distribution, sqlite3_column_blob(s, 8), (size_t)bytes);
        }
        rows++;
        rc = each(&e, data);
    }
    if (!rc && step != SQLITE_DONE)
        rc = dsim__store_error(st, "reading the events");
    if (!rc && rows == 0)
        rc = dsim_error_set(DSIM_ENOTFOUND, "%s: run %lld has no logged events (run it with --log-events)", st->path,
                            (long long)run_id);
    sqlite3_finalize(s);
    return rc;
}

int dsim_store_ope_add(dsim_store *st, const dsim_ope_row *row)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO ope (created, log, rows, policy, estimator, estimate, normal_lo, normal_hi, "
                           "bootstrap_lo, bootstrap_hi, bootstrap, ess, max_weight, mean_weight, support_violation, "
                           "truth, evaluation, truth_logged) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ?, "
                           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "recording an evaluation");
    const double reals[] = {row->estimate, row->normal_lo, row->normal_hi, row->bootstrap_lo, row->bootstrap_hi};
    sqlite3_bind_text(s, 1, row->log, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)row->rows);
    sqlite3_bind_text(s, 3, row->policy, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, row->estimator, -1, SQLITE_STATIC);
    for (int k = 0; k < 5; k++)
        if (!isnan(reals[k]))
            sqlite3_bind_double(s, 5 + k, reals[k]);
    sqlite3_bind_int(s, 10, row->bootstrap);
    sqlite3_bind_double(s, 11, row->ess);
    sqlite3_bind_double(s, 12, row->max_weight);
    sqlite3_bind_double(s, 13, row->mean_weight);
    sqlite3_bind_double(s, 14, row->support_violation);
    if (!isnan(row->truth))
        sqlite3_bind_double(s, 15, row->truth);
    if (row->evaluation > 0)
        sqlite3_bind_int64(s, 16, row->evaluation);
    if (!isnan(row->truth_logged))
        sqlite3_bind_double(s, 17, row->truth_logged);
    int rc = sqlite3_step(s) == SQLITE_DONE ? DSIM_OK : dsim__store_error(st, "recording an evaluation");
    sqlite3_finalize(s);
    return rc;
}

int dsim_store_evaluation_begin(dsim_store *st, const char *log, size_t rows, double logged_value, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO evaluations (created, log, rows, logged_value) VALUES "
                           "(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?, ?, ?) RETURNING id",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "recording an evaluation");
    sqlite3_bind_text(s, 1, log, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)rows);
    if (!isnan(logged_value))
        sqlite3_bind_double(s, 3, logged_value);
    int rc = DSIM_OK;
    if (sqlite3_step(s) == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    else
        rc = dsim__store_error(st, "recording an evaluation");
    sqlite3_finalize(s);
    return rc;
}

static double column_or_nan(sqlite3_stmt *s, int c)
{
    return sqlite3_column_type(s, c) == SQLITE_NULL ? NAN : sqlite3_column_double(s, c);
}

int dsim_store_evaluation_each(dsim_store *st, int64_t id, char *log, size_t log_size, double *logged_value,
                               int (*each)(const dsim_ope_row *row, void *data), void *data)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT log, logged_value FROM evaluations WHERE id = ?", -1, &s, NULL) !=
        SQLITE_OK)
        return dsim__store_error(st, "reading an evaluation");
    sqlite3_bind_int64(s, 1, id);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        snprintf(log, log_size, "%s", (const char *)sqlite3_column_text(s, 0));
        *logged_value = column_or_nan(s, 1);
    }
    sqlite3_finalize(s);
    if (step == SQLITE_DONE)
        return dsim_error_set(DSIM_ENOTFOUND, "%s: no evaluation %lld (dsim ope prints the number of each)",
                              st->path, (long long)id);
    if (step != SQLITE_ROW)
        return dsim__store_error(st, "reading an evaluation");
    if (sqlite3_prepare_v2(st->db,
                           "SELECT policy, estimator, rows, estimate, normal_lo, normal_hi, bootstrap_lo, "
                           "bootstrap_hi, bootstrap, ess, max_weight, mean_weight, support_violation, truth, "
                           "truth_logged FROM ope WHERE evaluation = ? ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading an evaluation");
    sqlite3_bind_int64(s, 1, id);
    int rc = DSIM_OK;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        dsim_ope_row row = {
            .evaluation = id, .log = log,
            .policy = (const char *)sqlite3_column_text(s, 0),
            .estimator = (const char *)sqlite3_column_text(s, 1),
            .rows = (size_t)sqlite3_column_int64(s, 2),
            .estimate = column_or_nan(s, 3), .normal_lo = column_or_nan(s, 4), .normal_hi = column_or_nan(s, 5),
            .bootstrap_lo = column_or_nan(s, 6), .bootstrap_hi = column_or_nan(s, 7),
            .bootstrap = sqlite3_column_int(s, 8), .ess = column_or_nan(s, 9), .max_weight = column_or_nan(s, 10),
            .mean_weight = column_or_nan(s, 11), .support_violation = column_or_nan(s, 12),
            .truth = column_or_nan(s, 13), .truth_logged = column_or_nan(s, 14),
        };
        rc = each(&row, data);
    }
    if (!rc && step != SQLITE_DONE)
        rc = dsim__store_error(st, "reading an evaluation");
    sqlite3_finalize(s);
    return rc;
}

int dsim_store_change_add(dsim_store *st, int seq, uint64_t visit, const char *change)
{
    if (!st->open_run)
        return dsim_error_set(DSIM_EINVAL, "%s: no open run", st->path);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "INSERT INTO changes (run_id, seq, visit, change) VALUES (?, ?, ?, ?)", -1, &s,
                           NULL) != SQLITE_OK)
        return dsim__store_error(st, "recording a live change");
    sqlite3_bind_int64(s, 1, st->open_run);
    sqlite3_bind_int(s, 2, seq);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)visit);
    sqlite3_bind_text(s, 4, change, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_DONE ? DSIM_OK : dsim__store_error(st, "recording a live change");
    sqlite3_finalize(s);
    return rc;
}
