/*
 * store_impl.h — shared inside src/store/: the store's layout, its error helper and the migration entry
 * point.
 */
#ifndef DSIM_STORE_IMPL_H
#define DSIM_STORE_IMPL_H

#include <sqlite3.h>
#include <stdio.h>

#include "dsim/store.h"

struct dsim_store {
    sqlite3 *db;
    char path[512];
    sqlite3_stmt *insert_series;
    sqlite3_stmt *insert_event; /* prepared on first use (events.c) */
    int64_t open_run;           /* 0 when no run is open */
    bool whole_runs;            /* the 'running' row is not committed first (dsim_store_set_whole_runs) */
    int n_levels;               /* of the open run's scenario */
    double levels[DSIM_MAX_LEVELS];
};

/** Set DSIM_ESTORE with the path, what was being done and SQLite's message. @return DSIM_ESTORE. */
int dsim__store_error(const dsim_store *st, const char *what);

/** Run SQL statements; on failure DSIM_ESTORE with the path and SQLite's message. */
int dsim__store_exec(dsim_store *st, const char *sql);

/** Bring the database to the latest schema version. @return 0 or DSIM_ESTORE. */
int dsim__store_migrate(sqlite3 *db, const char *path);
/** Migrate only up to schema version `target` (tests build databases of every earlier version). */
int dsim__store_migrate_to(sqlite3 *db, const char *path, int target);

#endif
