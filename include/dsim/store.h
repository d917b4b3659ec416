/*
 * dsim/store.h — the SQLite result store: every run with its configuration, time series and summary.
 *
 * One file per study (default results/dsim.db), WAL mode, schema version in PRAGMA user_version, upgraded
 * in place by migrations. The tables are plain and documented in README.md, so the sqlite3 shell, Python
 * or R read them without dsim. A run's series and summary are written in one transaction that commits
 * with its final status: a run is never left looking complete when it was not.
 */
#ifndef DSIM_STORE_H
#define DSIM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "dsim/log.h"
#include "dsim/metrics.h"
#include "dsim/policy.h"
#include "dsim/scenario.h"

#define DSIM_STORE_SCHEMA_VERSION 13

typedef struct dsim_store dsim_store;

/**
 * Open (creating if needed, with its parent directory) and migrate a result database.
 * @return 0, DSIM_ESTORE (with the path and SQLite's message) or DSIM_ENOMEM.
 */
int dsim_store_open(dsim_store **out, const char *path);
/**
 * Open a database that exists, to read it (never creates one, never writes: it reads from a read-only mount or
 * directory). @return 0, DSIM_ENOTFOUND (no file), DSIM_EINVAL (not a database), or DSIM_ESTORE (unreadable;
 * a schema this dsim does not read as it is).
 */
int dsim_store_open_readonly(dsim_store **out, const char *path);
/** "DB:RUN" → the database path (into `db`, `n` bytes) and the run id; false if `spec` is not of that form. */
bool dsim_store_split_run(const char *spec, char *db, size_t n, long long *run);
/** Close; a run still open is marked failed. NULL is a no-op. */
void dsim_store_close(dsim_store *st);

/** Where a run came from: `runs.source` ('run', 'sweep', 'dash'). */
typedef enum { DSIM_SOURCE_RUN, DSIM_SOURCE_SWEEP, DSIM_SOURCE_DASH, DSIM_SOURCE_COUNT } dsim_run_source;
/** @return "run", "sweep" or "dash" (static), "?" for another value. */
const char *dsim_store_source_name(dsim_run_source source);

/** A run's provenance, so that incomparable runs can be told apart (a dashboard snapshot of 1,940 visits,
 *  a run whose market was changed live, a sweep's cell). */
typedef struct {
    dsim_run_source source;
    uint64_t planned_visits; /* the horizon it was started for (a snapshot stores fewer visits) */
    bool changed_live;       /* its market or a policy parameter was changed while it ran (dsim dash) */
} dsim_run_origin;

/**
 * Record a new run of `visits` visits as 'running' (committed at once, unless whole runs are set) and open its
 * transaction. `origin` NULL: a plain `dsim run` that planned exactly `visits`.
 */
int dsim_store_run_begin(dsim_store *st, const dsim_scenario *sc, const dsim_policy_config *policy, uint64_t seed,
                         uint64_t visits, const dsim_run_origin *origin, int64_t *run_id);
/**
 * Write each run in one transaction from dsim_store_run_begin() to dsim_store_run_end(), its 'running' row
 * included: for runs computed before they are written (sweeps, snapshots), which a crash must not leave
 * half-there. Otherwise (the default, for runs simulated as they are written) the 'running' row is committed
 * at once and the run's rows in short transactions — a checkpoint's worth at a time — so that other
 * processes writing the same database wait milliseconds, never a whole run. @return the previous setting.
 */
bool dsim_store_set_whole_runs(dsim_store *st, bool whole);

/** Add a checkpoint of the cumulative metrics at `visit` to the open run. */
int dsim_store_series_add(dsim_store *st, uint64_t visit, const dsim_metrics *m);

/** Record the open run's seq-th live change (dsim dash), made at `visit`. */
int dsim_store_change_add(dsim_store *st, int seq, uint64_t visit, const char *change);

/** Log one decision of the open run (`events`; committed with the run). */
int dsim_store_event_add(dsim_store *st, const dsim_log_event *e);

/**
 * Call `each` on every logged decision of a run, in visit order; a non-zero return stops and is returned.
 * @return 0, DSIM_ENOTFOUND (no events), DSIM_ESTORE or what `each` returned.
 */
int dsim_store_events_each(dsim_store *st, int64_t run_id, int (*each)(const dsim_log_event *e, void *data),
                           void *data);

/**
 * Record the start of an evaluation (`evaluations` table): one `dsim ope` command's log, its rows and the
 * logging policy's own value (the mean logged reward on those rows). @param id out: its number.
 */
int dsim_store_evaluation_begin(dsim_store *st, const char *log, size_t rows, double logged_value, int64_t *id);

/** One evaluation of one target policy by one estimator (`ope` table). */
typedef struct {
    int64_t evaluation; /* from dsim_store_evaluation_begin(); 0: none */
    const char *log, *policy, *estimator;
    size_t rows;
    double estimate, normal_lo, normal_hi, bootstrap_lo, bootstrap_hi; /* NAN: not computed */
    int bootstrap;                                                    /* resamples */
    double ess, max_weight, mean_weight, support_violation;
    double truth;        /* the on-policy value, NAN when unknown */
    double truth_logged; /* the value on the logged visits (dsim_ope_logged_states_value), NAN when unknown */
} dsim_ope_row;

/** Record an evaluation (its own statement, committed at once). */
int dsim_store_ope_add(dsim_store *st, const dsim_ope_row *row);

/** An evaluation as stored: its log, rows and logging value, and `each` called on its rows in order (the
 *  row's strings borrowed for the call). @return 0, DSIM_ENOTFOUND, DSIM_ESTORE or what `each` returned. */
int dsim_store_evaluation_each(dsim_store *st, int64_t id, char *log, size_t log_size, double *logged_value,
                               int (*each)(const dsim_ope_row *row, void *data), void *data);

/** The sweep with this definition (its files' texts), recorded now if new. @param id out */
int dsim_store_sweep_open(dsim_store *st, const char *path, const char *definition, int64_t *id);
/** The id of the sweep with this definition, without recording it. @return 0, DSIM_ENOTFOUND or DSIM_ESTORE. */
int dsim_store_sweep_find(dsim_store *st, const char *definition, int64_t *id);
/** @return 1 if the sweep's run (cell, policy, seed) is done, 0 if not, or a negative error. */
int dsim_store_sweep_has(dsim_store *st, int64_t sweep, uint64_t cell, int policy, uint64_t seed);
/** Mark the open run as the sweep's run (cell, policy, seed); committed with the run, so a run is done for
 *  the sweep exactly when it is finished. `axes` describes the cell ("catalog.items=100 ..."). */
int dsim_store_sweep_link(dsim_store *st, int64_t sweep, uint64_t cell, int policy, uint64_t seed,
                          const char *axes);

/** Call `each` with the summary of every finished run of the sweep (`metrics` in dsim_metrics_defs order),
 *  by cell, policy and seed. */
int dsim_store_sweep_results(dsim_store *st, int64_t sweep,
                             int (*each)(uint64_t cell, int policy, uint64_t seed, const double *metrics, void *data),
                             void *data);

/** What dsim_store_merge() did. */
typedef struct {
    size_t inputs;                 /* merged */
    size_t runs_added;             /* finished sweep runs copied into the output */
    size_t runs_present;           /* finished sweep runs of the inputs the output already had */
    char sweep_path[DSIM_PATH_MAX]; /* the sweep file, as its first input recorded it */
} dsim_store_merge_stats;

/**
 * Combine the databases of one sweep's shards into `out_path` (created if needed): each input's finished
 * sweep runs, with everything stored about them, under new run ids; runs the output has already are
 * skipped, so merging is idempotent. Every input is checked before anything is written: it must be a dsim
 * database of this schema version holding exactly one sweep, the same in all inputs. Each input is then
 * copied in its own transaction. @return 0, DSIM_EINVAL (bad input, nothing written) or DSIM_ESTORE.
 */
int dsim_store_merge(const char *out_path, const char *const *in_paths, size_t n_in, dsim_store_merge_stats *stats);

typedef enum { DSIM_RUN_DONE, DSIM_RUN_FAILED, DSIM_RUN_INTERRUPTED } dsim_run_status;

/**
 * Close the open run: write the summary and the totals of each segment (when done), the per-level counts and
 * the status, and commit. `segments` may be NULL (no per-segment rows); `error` is stored for a failed run
 * (may be NULL).
 */
int dsim_store_run_end(dsim_store *st, dsim_run_status status, const dsim_metrics *final,
                       const dsim_segment_metrics *segments, const char *error);

/**
 * A finished run of `dsim run` (source run, not changed live, with its per-segment totals) made of exactly these
 * inputs: scenario name and text, policy name and text, seed, planned visits, this dsim version, and events
 * logged or not. Such a run is what running it again would give, so `dsim run` reuses it rather than redo it.
 * @param run_id out: its id (the newest such), or 0 when there is none. @return 0 or DSIM_ESTORE.
 */
int dsim_store_find_done_run(dsim_store *st, const dsim_scenario *sc, const dsim_policy_config *policy,
                             uint64_t seed, uint64_t visits, bool logged, int64_t *run_id);

/** One row of `runs`, with its summary when it has one. */
typedef struct {
    int64_t id;
    char created[32], finished[32], status[16];
    char scenario_name[DSIM_NAME_MAX], policy_name[DSIM_NAME_MAX], policy_type[DSIM_NAME_MAX];
    char objective[16], dsim_version[16];
    uint64_t seed, visits;
    char source[8];          /* 'run', 'sweep' or 'dash' */
    uint64_t planned_visits; /* 0 when unknown (a dashboard snapshot stored before schema version 8) */
    bool changed_live;
    bool has_summary;
    double summary[32];   /* in dsim_metrics_defs order */
    char *scenario_text;  /* owned; only from dsim_store_run_get() */
    char *policy_text;    /* owned; only from dsim_store_run_get(), may be NULL */
    char *error;          /* owned; may be NULL */
    int n_levels;         /* level counts: only from dsim_store_run_get() */
    double level_percent[DSIM_MAX_LEVELS];
    uint64_t level_visits[DSIM_MAX_LEVELS];
} dsim_run_row;

/** Which runs dsim_store_runs() lists: each field NULL for any, else the exact value. */
typedef struct {
    const char *scenario, *policy, *source, *status;
} dsim_run_filter;

/** The runs that pass `filter` (NULL: all), oldest first. @param rows out: array owned by the caller, free
 *  with dsim_store_rows_free(). */
int dsim_store_runs(dsim_store *st, const dsim_run_filter *filter, dsim_run_row **rows, size_t *n_rows);
/** Call `each` on every live change recorded with a run (dsim dash), in order. */
int dsim_store_changes_each(dsim_store *st, int64_t run_id,
                            int (*each)(int seq, uint64_t visit, const char *change, void *data), void *data);
/** One run with its texts and level counts. @return 0, DSIM_ENOTFOUND or DSIM_ESTORE. Release with dsim_store_row_clear(). */
int dsim_store_run_get(dsim_store *st, int64_t run_id, dsim_run_row *row);
/** Free the rows of dsim_store_runs() with their texts; NULL is a no-op. */
void dsim_store_rows_free(dsim_run_row *rows, size_t n_rows);
/** Call `each` on every checkpoint of a run, in visit order, with the metrics in dsim_metrics_defs order. */
int dsim_store_series_each(dsim_store *st, int64_t run_id,
                           int (*each)(uint64_t visit, const double *values, void *data), void *data);
/**
 * A finished run's totals by the shoppers' (hidden) segment, as `segments` and `segment_levels` hold them:
 * the summary's figures per segment and the decisions each segment was given at each level.
 */
typedef struct {
    int n;                                  /* segments; 0: none stored (the run did not finish, or older) */
    char name[DSIM_MAX_SEGMENTS][DSIM_NAME_MAX];
    double share[DSIM_MAX_SEGMENTS];        /* of the population, as the world used it (dsim_scenario_segment_share) */
    double summary[DSIM_MAX_SEGMENTS][32];  /* in dsim_metrics_defs order */
    int n_levels;
    double level_percent[DSIM_MAX_LEVELS];
    uint64_t level_visits[DSIM_MAX_SEGMENTS][DSIM_MAX_LEVELS];
} dsim_run_segments;

/** Read run `run_id`'s per-segment totals into `out` (out->n 0 when it has none). @return 0 or DSIM_ESTORE. */
int dsim_store_run_segments(dsim_store *st, int64_t run_id, dsim_run_segments *out);

/** Release the texts of one row (from dsim_store_run_get()) without freeing the row itself. */
void dsim_store_row_clear(dsim_run_row *row);

#endif
