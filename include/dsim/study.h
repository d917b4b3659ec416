/*
 * dsim/study.h — one run of a study (a scenario, a policy, a seed) simulated checkpoint by checkpoint and kept
 * as one run of the result database. The one way runs are made and stored: `dsim run` simulates straight into
 * the store, a sweep's workers simulate into memory and its writer stores the result, and the dashboard stores
 * what it has simulated so far.
 *
 * A run in the store is always finished one way or another: done, failed (with its message) or interrupted.
 */
#ifndef DSIM_STUDY_H
#define DSIM_STUDY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "dsim/metrics.h"
#include "dsim/policy.h"
#include "dsim/scenario.h"
#include "dsim/sim.h"
#include "dsim/store.h"

/** One checkpoint of a run: the cumulative metrics after `visit` visits. */
typedef struct {
    uint64_t visit;
    dsim_metrics metrics;
} dsim_study_point;

/**
 * A computed run: a fixed-size head, then `n_points` checkpoints. Plain data, so a worker process or MPI rank
 * of the same build can send it as bytes.
 */
typedef struct {
    uint64_t task;    /* the caller's number for the run (a sweep's task); the study never reads it */
    int32_t status;   /* DSIM_OK, or the error that ended the run (then `error` says why) */
    uint32_t n_points;
    uint64_t horizon; /* visits the run was set up for (a dashboard snapshot: the visits done) */
    dsim_metrics final;
    dsim_segment_metrics segments; /* final's totals by hidden segment */
    char error[512];
} dsim_study_result_head;

typedef struct {
    dsim_study_result_head head;
    dsim_study_point *points; /* (n_points,), owned by the result */
    size_t capacity;
} dsim_study_result;

/** Make room for n points (the head untouched; the points' contents not kept). @return 0 or DSIM_ENOMEM. */
int dsim_study_result_reserve(dsim_study_result *res, size_t n);
/** Free the points of a caller-owned result and zero it. */
void dsim_study_result_clear(dsim_study_result *res);

/** What to run and how it is kept. Every pointer is borrowed for the duration of the call. */
typedef struct {
    const dsim_scenario *scenario;
    const dsim_policy_config *policy;
    uint64_t seed;
    dsim_sim_options sim;              /* .visits 0: the scenario's horizon; .log_decisions: each decision
                                          into the store's events (dsim_study_run_one only) */
    dsim_run_origin origin;            /* what the stored run says it came from; planned_visits 0: its visits */
    const volatile sig_atomic_t *stop; /* once set, the run ends interrupted at its next checkpoint; may be NULL */
    /** After each checkpoint (a progress line); may be NULL. */
    void (*progress)(void *user, uint64_t done, uint64_t horizon);
    /** Inside the run's transaction, before a run that went well is ended done (a sweep's link, the
     *  dashboard's live changes); an error fails the run. May be NULL. */
    int (*before_end)(dsim_store *st, void *user);
    void *user;
} dsim_study_run;

#define DSIM_STUDY_RUN_INIT {NULL, NULL, 0, DSIM_SIM_OPTIONS_INIT, {DSIM_SOURCE_RUN, 0, false}, NULL, NULL, NULL, NULL}

/** @return the visits the run is set up for: sim.visits, or the scenario's horizon. */
uint64_t dsim_study_horizon(const dsim_study_run *run);

/** @return the visits between two checkpoints: the horizon over the scenario's `checkpoints`, at least 1. */
uint64_t dsim_study_checkpoint_every(const dsim_scenario *sc, uint64_t horizon);

/**
 * Simulate a run into `out` (its points reused), without a store. A run that fails is still a result: its
 * head's status and error say why. @return 0, or DSIM_EINTERRUPTED when `stop` was set (then no result).
 */
int dsim_study_simulate(const dsim_study_run *run, dsim_study_result *out);

/**
 * Simulate a run straight into the store: recorded 'running' at once, its checkpoints and (sim.log_decisions)
 * decisions written as it goes, then ended done, failed or interrupted. `out` (may be NULL) gets the head and
 * the checkpoints. @return 0 (done), DSIM_EINTERRUPTED (stored as interrupted), or the error that failed it
 * (stored as failed, when it got as far as the store; dsim_errmsg() says why).
 */
int dsim_study_run_one(dsim_store *st, const dsim_study_run *run, dsim_study_result *out, int64_t *run_id);

/**
 * Store a computed run (dsim_study_simulate's, or a dashboard's so far) as one transaction: the run, its
 * checkpoints, the before_end hook, and its end — done, or failed with the result's message. `res->head.horizon`
 * is the visits it records. @return 0 when it is stored (whatever its status), or the store's error.
 */
int dsim_study_store(dsim_store *st, const dsim_study_run *run, const dsim_study_result *res, int64_t *run_id);

/**
 * A study's inputs by the names a user gives them: the scenario (a file or a shipped NAME, dsim/files.h; the
 * embedding files it names read and checked) and each policy (a spec of dsim_policy_config_resolve(), checked
 * against the scenario). `sc` and
 * `configs` (n_policies,) get what was loaded, the caller's to free whether or not it all succeeded.
 * @return 0, or DSIM_ENOTFOUND / DSIM_EIO / DSIM_ECONFIG naming the file (and line) at fault.
 */
int dsim_study_load(const char *scenario, const char *const *policies, int n_policies, dsim_scenario **sc,
                    dsim_policy_config **configs);

#endif
