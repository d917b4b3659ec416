/*
 * sweeps.c — a sweep's record in the result database: its definition (so that running the same sweep again
 * finds it and skips what is done), and the link from each of its runs to the run's row, written in the
 * run's own transaction.
 */
#include "dsim/error.h"
#include "dsim/metrics.h"
#include "store/store_impl.h"

int dsim_store_sweep_open(dsim_store *st, const char *path, const char *definition, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    int rc = DSIM_OK;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO sweeps (created, path, definition) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', "
                           "'now'), ?, ?) ON CONFLICT (definition) DO UPDATE SET path = excluded.path RETURNING id",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "recording the sweep");
    sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, definition, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    else
        rc = dsim__store_error(st, "recording the sweep");
    sqlite3_finalize(s);
    return rc;
}

int dsim_store_sweep_find(dsim_store *st, const char *definition, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT id FROM sweeps WHERE definition = ?", -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading the sweeps");
    sqlite3_bind_text(s, 1, definition, -1, SQLITE_STATIC);
    int step = sqlite3_step(s), rc = DSIM_OK;
    if (step == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    else
        rc = step == SQLITE_DONE ? dsim_error_set(DSIM_ENOTFOUND, "%s: no such sweep", st->path)
                                 : dsim__store_error(st, "reading the sweeps");
    sqlite3_finalize(s);
    return rc;
}

int dsim_store_sweep_has(dsim_store *st, int64_t sweep, uint64_t cell, int policy, uint64_t seed)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT 1 FROM sweep_runs s JOIN runs r ON r.id = s.run_id WHERE s.sweep_id = ? AND "
                           "s.cell = ? AND s.policy = ? AND s.seed = ? AND r.status = 'done'",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading the sweep");
    sqlite3_bind_int64(s, 1, sweep);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)cell);
    sqlite3_bind_int(s, 3, policy);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)seed);
    int step = sqlite3_step(s);
    sqlite3_finalize(s);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : dsim__store_error(st, "reading the sweep");
}

int dsim_store_sweep_link(dsim_store *st, int64_t sweep, uint64_t cell, int policy, uint64_t seed,
                          const char *axes)
{
    if (!st->open_run)
        return dsim_error_set(DSIM_EINVAL, "%s: no open run", st->path);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO sweep_runs (sweep_id, cell, policy, seed, run_id, axes) VALUES "
                           "(?, ?, ?, ?, ?, ?)",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "linking a sweep run");
    sqlite3_bind_int64(s, 1, sweep);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)cell);
    sqlite3_bind_int(s, 3, policy);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)seed);
    sqlite3_bind_int64(s, 5, st->open_run);
    sqlite3_bind_text(s, 6, axes, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_DONE ? DSIM_OK : dsim__store_error(st, "linking a sweep run");
    sqlite3_finalize(s);
    return rc;
}

int dsim_store_sweep_results(dsim_store *st, int64_t sweep,
                             int (*each)(uint64_t cell, int policy, uint64_t seed, const double *metrics, void *data),
                             void *data)
{
    char sql[2048];
    size_t used = (size_t)snprintf(sql, sizeof sql, "SELECT sr.cell, sr.policy, sr.seed");
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        used += (size_t)snprintf(sql + used, sizeof sql - used, ", m.%s", dsim_metrics_defs[i].name);
    snprintf(sql + used, sizeof sql - used, " FROM sweep_runs sr JOIN summary m ON m.run_id = sr.run_id"
                                            " WHERE sr.sweep_id = ? ORDER BY sr.cell, sr.policy, sr.seed");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading the sweep's results");
    sqlite3_bind_int64(s, 1, sweep);
    int rc = DSIM_OK, step;
    double metrics[64];
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        for (size_t i = 0; i < dsim_metrics_n_defs; i++)
            metrics[i] = sqlite3_column_double(s, 3 + (int)i);
        rc = each((uint64_t)sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1), (uint64_t)sqlite3_column_int64(s, 2),
                  metrics, data);
    }
    if (!rc && step != SQLITE_DONE)
        rc = dsim__store_error(st, "reading the sweep's results");
    sqlite3_finalize(s);
    return rc;
}
