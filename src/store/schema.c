/*
 * schema.c — the result database's schema and its migrations.
 *
 * Migration i takes a database from user_version i to i + 1. Never edit a released migration: add the next
 * one. The metric columns of `series` and `summary` are named as in dsim_metrics_defs, in order (a test checks
 * it): a new metric is appended to the table and added by a migration.
 */
#include <sqlite3.h>

#include "dsim/error.h"
#include "dsim/store.h"
#include "store/store_impl.h"

#define METRIC_COLUMNS                                                                                           \
    "visits REAL, lost_visits REAL, clicks REAL, purchases REAL, ctr REAL, conversion REAL, "                   \
    "conversion_per_click REAL, revenue REAL, profit REAL, discount_spend REAL, avg_discount REAL, "            \
    "discounted_share REAL, revenue_per_visit REAL, reward REAL, regret REAL, churned REAL"

static const char *const migrations[] = {
    /* 0 → 1 */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  created TEXT NOT NULL,"                      /* ISO 8601, UTC */
    "  finished TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),"
    "  error TEXT,"
    "  scenario_name TEXT NOT NULL, scenario_path TEXT, scenario_text TEXT NOT NULL,"
    "  policy_name TEXT NOT NULL, policy_type TEXT NOT NULL, policy_path TEXT, policy_text TEXT,"
    "  seed INTEGER NOT NULL, visits INTEGER NOT NULL, objective TEXT NOT NULL,"
    "  dsim_version TEXT NOT NULL, pid INTEGER);"
    "CREATE TABLE series (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  visit INTEGER NOT NULL, " METRIC_COLUMNS ", PRIMARY KEY (run_id, visit)) WITHOUT ROWID;"
    "CREATE TABLE summary (run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE, " METRIC_COLUMNS ");"
    "CREATE TABLE levels (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  level INTEGER NOT NULL, percent REAL NOT NULL, visits INTEGER NOT NULL, PRIMARY KEY (run_id, level))"
    "  WITHOUT ROWID;",
    /* 1 → 2: the share of purchases made from the top three positions (ranking quality) */
    "ALTER TABLE series ADD COLUMN top3_purchase_share REAL;"
    "ALTER TABLE summary ADD COLUMN top3_purchase_share REAL;",
    /* 2 → 3: ranking quality against the truth */
    "ALTER TABLE series ADD COLUMN precision_at_k REAL;"
    "ALTER TABLE series ADD COLUMN recall_at_k REAL;"
    "ALTER TABLE series ADD COLUMN ndcg_at_k REAL;"
    "ALTER TABLE summary ADD COLUMN precision_at_k REAL;"
    "ALTER TABLE summary ADD COLUMN recall_at_k REAL;"
    "ALTER TABLE summary ADD COLUMN ndcg_at_k REAL;",
    /* 3 → 4: logged feedback, one row per decision of runs made with --log-events (dsim/log.h) */
    "CREATE TABLE events (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  visit INTEGER NOT NULL, shopper INTEGER NOT NULL, action INTEGER NOT NULL, propensity REAL NOT NULL,"
    "  reward REAL NOT NULL, purchased INTEGER NOT NULL, position INTEGER,"
    "  context BLOB NOT NULL," /* little-endian float64 × DSIM_LOG_CONTEXT_COLUMNS, in dsim_log_context_names order */
    "  distribution BLOB,"     /* little-endian float64 × levels: the logging policy's probabilities */
    "  PRIMARY KEY (run_id, visit)) WITHOUT ROWID;",
    /* 4 → 5: offline evaluations (dsim ope), one row per target policy and estimator */
    "CREATE TABLE ope (id INTEGER PRIMARY KEY, created TEXT NOT NULL, log TEXT NOT NULL, rows INTEGER NOT NULL,"
    "  policy TEXT NOT NULL, estimator TEXT NOT NULL, estimate REAL,"
    "  normal_lo REAL, normal_hi REAL, bootstrap_lo REAL, bootstrap_hi REAL, bootstrap INTEGER,"
    "  ess REAL, max_weight REAL, mean_weight REAL, support_violation REAL,"
    "  truth REAL);", /* the on-policy value when --truth could run it, else NULL */
    /* 5 → 6: the live changes made in `dsim dash`, in order, with each run of its snapshot */
    "CREATE TABLE changes (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL, visit INTEGER NOT NULL, change TEXT NOT NULL, PRIMARY KEY (run_id, seq))"
    "  WITHOUT ROWID;",
    /* 6 → 7: sweeps (dsim sweep): a definition, and which of its runs are done */
    "CREATE TABLE sweeps (id INTEGER PRIMARY KEY, created TEXT NOT NULL, path TEXT NOT NULL,"
    "  definition TEXT NOT NULL UNIQUE);" /* the sweep file, base scenario and policy files, as read */
    "CREATE TABLE sweep_runs (sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
    "  cell INTEGER NOT NULL, policy INTEGER NOT NULL, seed INTEGER NOT NULL,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, axes TEXT NOT NULL,"
    "  PRIMARY KEY (sweep_id, cell, policy, seed)) WITHOUT ROWID;",
    /* 7 → 8: where each run came from. Older runs: a sweep's are known by their sweep_runs link, a dashboard
       snapshot with live changes by its changes rows; a snapshot without changes cannot be told from a run
       (its planned_visits stays NULL only when it is known to be a snapshot). */
    "ALTER TABLE runs ADD COLUMN source TEXT NOT NULL DEFAULT 'run';"
    "ALTER TABLE runs ADD COLUMN planned_visits INTEGER;"
    "ALTER TABLE runs ADD COLUMN changed_live INTEGER NOT NULL DEFAULT 0;"
    "UPDATE runs SET source = 'sweep' WHERE id IN (SELECT run_id FROM sweep_runs);"
    "UPDATE runs SET source = 'dash', changed_live = 1 WHERE id IN (SELECT run_id FROM changes);"
    "UPDATE runs SET planned_visits = visits WHERE source <> 'dash';",
    /* 8 → 9: a decision of discount scope item per shown item: events are keyed by (run, visit, item), item
       the slate position (−1: a visit's decision); their context has four item columns (older rows keep
       their 15, read as a visit's). */
    "CREATE TABLE events_v9 (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  visit INTEGER NOT NULL, item INTEGER NOT NULL DEFAULT -1, shopper INTEGER NOT NULL, action INTEGER NOT NULL,"
    "  propensity REAL NOT NULL, reward REAL NOT NULL, purchased INTEGER NOT NULL, position INTEGER,"
    "  context BLOB NOT NULL, distribution BLOB, PRIMARY KEY (run_id, visit, item)) WITHOUT ROWID;"
    "INSERT INTO events_v9 (run_id, visit, item, shopper, action, propensity, reward, purchased, position, context,"
    "  distribution) SELECT run_id, visit, -1, shopper, action, propensity, reward, purchased, position, context,"
    "  distribution FROM events;"
    "DROP TABLE events;"
    "ALTER TABLE events_v9 RENAME TO events;",
    /* 9 → 10: the identity of the process writing a run ("HOST BOOT START"), so that a run left `running` by a
       process that is gone reads as interrupted (older runs: NULL, not judged) */
    "ALTER TABLE runs ADD COLUMN writer TEXT;",
    /* 10 → 11: each finished run's totals by the shoppers' (hidden) segment: the summary's figures and the
       decisions given each level (a new metric is appended here as to `summary`); an index of runs by their
       inputs. */
    "CREATE TABLE segments (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  segment INTEGER NOT NULL, name TEXT NOT NULL, share REAL NOT NULL, " METRIC_COLUMNS ","
    "  top3_purchase_share REAL, precision_at_k REAL, recall_at_k REAL, ndcg_at_k REAL,"
    "  PRIMARY KEY (run_id, segment)) WITHOUT ROWID;"
    "CREATE TABLE segment_levels (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  segment INTEGER NOT NULL, level INTEGER NOT NULL, percent REAL NOT NULL, visits INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, segment, level)) WITHOUT ROWID;"
    /* `dsim run` finds the finished runs it can reuse by their inputs (dsim_store_find_done_run) */
    "CREATE INDEX runs_by_inputs ON runs (scenario_name, policy_name, seed);",
    /* 11 → 12: each `dsim ope` command is an evaluation with a number (dsim plot ope --ope ID), its log and the
       logging policy's own value; older rows have none */
    "CREATE TABLE evaluations (id INTEGER PRIMARY KEY, created TEXT NOT NULL, log TEXT NOT NULL,"
    "  rows INTEGER NOT NULL, logged_value REAL);"
    "ALTER TABLE ope ADD COLUMN evaluation INTEGER REFERENCES evaluations(id);"
    "CREATE INDEX ope_by_evaluation ON ope (evaluation);",
    /* 12 → 13: a target's truth on the logged visits themselves (the shoppers as the logger left them), what
       the estimators estimate, beside the on-policy one; older rows have none */
    "ALTER TABLE ope ADD COLUMN truth_logged REAL;",
};

_Static_assert(sizeof migrations / sizeof migrations[0] == DSIM_STORE_SCHEMA_VERSION,
               "one migration per schema version");

int dsim__store_migrate(sqlite3 *db, const char *path)
{
    return dsim__store_migrate_to(db, path, (int)(sizeof migrations / sizeof migrations[0]));
}

int dsim__store_schema_version(sqlite3 *db)
{
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return version;
}

/* The database's schema version, refused when it cannot be read or is newer than `known`. */
static int known_version(sqlite3 *db, const char *path, int known, int *version)
{
    *version = dsim__store_schema_version(db);
    if (*version < 0)
        return dsim_error_set(DSIM_ESTORE, "%s: %s", path, sqlite3_errmsg(db));
    if (*version > known)
        return dsim_error_set(DSIM_ESTORE, "%s: schema version %d is newer than this dsim knows (%d); upgrade dsim",
                              path, *version, known);
    return DSIM_OK;
}

int dsim__store_check_version(sqlite3 *db, const char *path)
{
    int version, rc = known_version(db, path, DSIM_STORE_SCHEMA_VERSION, &version);
    if (rc)
        return rc;
    if (version < DSIM_STORE_SCHEMA_VERSION)
        return dsim_error_set(DSIM_ESTORE,
                              "%s: schema version %d, older than this dsim's %d, and it is opened to be read only: "
                              "open it once with a command that writes (e.g. dsim run) to upgrade it",
                              path, version, DSIM_STORE_SCHEMA_VERSION);
    return DSIM_OK;
}

/* Step `version` → version + 1 in one write transaction, unless another process made it meanwhile. */
static int migrate_step(sqlite3 *db, const char *path, int version)
{
    char set_version[64], *err = NULL;
    snprintf(set_version, sizeof set_version, "PRAGMA user_version = %d;", version + 1);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE;", NULL, NULL, &err) == SQLITE_OK) {
        if (dsim__store_schema_version(db) != version) { /* made meanwhile */
            sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL);
            return DSIM_OK;
        }
        if (sqlite3_exec(db, migrations[version], NULL, NULL, &err) == SQLITE_OK &&
            sqlite3_exec(db, set_version, NULL, NULL, &err) == SQLITE_OK &&
            sqlite3_exec(db, "COMMIT;", NULL, NULL, &err) == SQLITE_OK)
            return DSIM_OK;
    }
    int rc = dsim_error_set(DSIM_ESTORE, "%s: migrating the schema to version %d: %s", path, version + 1,
                            err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
    return rc;
}

/*
 * One step at a time, each in its own write transaction that reads the version again: several processes may
 * open a new (or old) database at once, and each step is made by exactly one of them — the others wait for
 * the lock, then find it done.
 */
int dsim__store_migrate_to(sqlite3 *db, const char *path, int latest)
{
    for (;;) {
        int version, rc = known_version(db, path, latest, &version);
        if (rc || version == latest || (rc = migrate_step(db, path, version)))
            return rc;
    }
}
