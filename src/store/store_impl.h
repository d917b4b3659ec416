/*
 * store_impl.h — shared inside src/store/: the store's layout, its error helper and the migration entry
 * point.
 */
#ifndef DSIM_STORE_IMPL_H
#define DSIM_STORE_IMPL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>

#include "dsim/store.h"

struct dsim_store {
    sqlite3 *db;
    char path[512];
    sqlite3_stmt *insert_series;
    sqlite3_stmt *insert_event; /* prepared on first use (events.c) */
    int64_t open_run;           /* 0 when no run is open */
    bool read_only;             /* opened with dsim_store_open_readonly */
    bool whole_runs;            /* a run is one transaction, its 'running' row included (dsim_store_set_whole_runs) */
    /* Otherwise a run's rows go in short transactions (batches), so that other writers wait milliseconds, not a
       run: a batch is opened by the first row after a commit and committed at each checkpoint, every
       BATCH_ROWS logged decisions and at the run's end. `lock` serialises the run's writers (the simulation
       thread and the event sink) around the one connection's transaction state. */
    pthread_mutex_t lock;
    bool in_batch;
    size_t batch_rows;
    int n_levels;               /* of the open run's scenario */
    double levels[DSIM_MAX_LEVELS];
    int n_segments;             /* of the open run's scenario */
    char segment_names[DSIM_MAX_SEGMENTS][DSIM_NAME_MAX];
    double segment_shares[DSIM_MAX_SEGMENTS];
};

/** Set DSIM_ESTORE with the path, what was being done and SQLite's message. @return DSIM_ESTORE. */
int dsim__store_error(const dsim_store *st, const char *what);

/** Run SQL statements; on failure DSIM_ESTORE with the path and SQLite's message. */
int dsim__store_exec(dsim_store *st, const char *sql);

/** Before writing a row of the open run (the caller holds st->lock): open a batch unless one is open or the
 *  run is one transaction. @return 0 or DSIM_ESTORE. */
int dsim__store_batch_begin(dsim_store *st);
/** Commit the open batch, if any (the caller holds st->lock). @return 0 or DSIM_ESTORE. */
int dsim__store_batch_commit(dsim_store *st);

/** The identity of process `pid` ("HOST BOOT START", writer.c), recorded with each run it writes. */
void dsim__writer_identity(long long pid, char *out, size_t n);
/** @return true when the process that wrote `identity` as `pid` is known to be gone (same host; rebooted, or no
 *  process with that pid and start time): its `running` run was interrupted. */
bool dsim__writer_gone(long long pid, const char *identity);

/** @return the database's schema version (PRAGMA user_version), or −1 when it cannot be read. */
int dsim__store_schema_version(sqlite3 *db);

/** A database to be read as it is: DSIM_ESTORE unless its schema version is this dsim's. */
int dsim__store_check_version(sqlite3 *db, const char *path);

/** Bring the database to the latest schema version. @return 0 or DSIM_ESTORE. */
int dsim__store_migrate(sqlite3 *db, const char *path);
/** Migrate only up to schema version `target` (tests build databases of every earlier version). */
int dsim__store_migrate_to(sqlite3 *db, const char *path, int target);

#endif
