/*
 * dsim/sweep.h — a scenario sweep: a base scenario, axes that override scenario keys with lists or ranges of
 * values, policies and seeds. The cells are the product of the axes; each cell × policy × seed is one run.
 *
 *   [sweep]
 *   scenario = default                 ; a scenario file or NAME
 *   policies = none, fixed10, thompson ; policy files or NAMEs
 *   seeds = 5
 *   visits = 50000                     ; per run; 0: the scenario's horizon
 *   [axes]
 *   segment.bargain.elasticity_mean = 1.5:4.5:0.5   ; SECTION.KEY = list or FROM:TO:STEP
 *   catalog.items = 1000, 10000
 *   ranking.embeddings = noisy, history                ; words, for keys that take one
 *
 * An axis names a scenario key as SECTION.KEY ([segment.NAME] and [shock.NAME] sections as segment.NAME.KEY),
 * or a parameter of one of the sweep's policies as policy.NAME.PARAM (NAME as the policy is named or written
 * in `policies`):
 *   policy.linucb.alpha = 0.1, 0.3, 1  ; each cell runs linucb with that alpha (the policy keeps its name)
 * The last axis varies fastest.
 */
#ifndef DSIM_SWEEP_H
#define DSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <signal.h>

#include "dsim/metrics.h"
#include "dsim/policy.h"
#include "dsim/scenario.h"
#include "dsim/store.h"
#include "dsim/study.h"

#define DSIM_SWEEP_MAX_AXES 8
#define DSIM_SWEEP_MAX_VALUES 256
#define DSIM_SWEEP_MAX_POLICIES 32
#define DSIM_SWEEP_WORD_MAX 32
#define DSIM_SWEEP_MAX_CELLS 100000   /* checked one by one before a sweep runs: about 20 s at most */
#define DSIM_SWEEP_MAX_RUNS 100000000 /* cells × policies × seeds */

typedef struct {
    char section[DSIM_NAME_MAX * 2]; /* "segment.bargain" */
    char key[DSIM_NAME_MAX];         /* "elasticity_mean" */
    int line;                        /* in the sweep file */
    int n_values;
    double values[DSIM_SWEEP_MAX_VALUES];                 /* NAN where the value is a word */
    char words[DSIM_SWEEP_MAX_VALUES][DSIM_SWEEP_WORD_MAX]; /* "" where the value is a number */
} dsim_sweep_axis;

typedef struct {
    char path[DSIM_PATH_MAX];
    char scenario[DSIM_PATH_MAX]; /* as written: a file or a NAME */
    char policies[DSIM_SWEEP_MAX_POLICIES][DSIM_PATH_MAX];
    int n_policies;
    int seeds;
    uint64_t visits;
    dsim_sweep_axis axes[DSIM_SWEEP_MAX_AXES];
    int n_axes;
    size_t n_cells; /* product of the axes' lengths (1 without axes) */
} dsim_sweep;

/**
 * Read a sweep file. Names of scenarios and policies are kept as written (the caller finds the files).
 * @return 0, DSIM_EIO, or DSIM_ECONFIG with "FILE:LINE: ..." (unknown section or key, empty or malformed
 *         range, no policies, too many values).
 */
int dsim_sweep_load(dsim_sweep *out, const char *path);

/** The axes' values of cell `cell` (0 … n_cells − 1), last axis fastest; NAN for a word. @param values (n_axes,) out */
void dsim_sweep_cell_values(const dsim_sweep *sw, size_t cell, double *values);

/**
 * Axis `axis`'s value in cell `cell` as text: a word as written, a number in the fewest digits that read
 * back as the same double (as the cell's scenario, its description and the CSV summary get it). A range's
 * values are the doubles nearest FROM + i·STEP written in decimal (0.1:0.5:0.1 has 0.3).
 */
void dsim_sweep_cell_value_text(const dsim_sweep *sw, size_t cell, int axis, char *out, size_t n);

/**
 * The scenario of one cell: the base scenario's text with every axis key set to the cell's value, parsed
 * and checked. An axis naming an unknown key, or a value out of its range, is reported against the sweep
 * file's line. @param base_text the base scenario file's text @param out a new scenario (caller frees)
 * @return 0 or DSIM_ECONFIG.
 */
int dsim_sweep_cell_scenario(const dsim_sweep *sw, const char *base_text, size_t cell, dsim_scenario **out);

/** @return whether an axis sets a policy's parameter (policy.NAME.PARAM) rather than a scenario key. */
bool dsim_sweep_axis_is_policy(const dsim_sweep_axis *a);

/**
 * Policy p's configuration in cell `cell`: a new one (caller frees) with the cell's policy.NAME.PARAM values set,
 * or *out NULL when no axis sets its parameters (use policies[p]). @return 0 or DSIM_ECONFIG naming the axis.
 */
int dsim_sweep_cell_policy(const dsim_sweep *sw, dsim_policy_config *const *policies, size_t cell, int p,
                           dsim_policy_config **out);

/** Check the policy axes: each names a policy of the sweep, and each cell's values fit it and the scenario. */
int dsim_sweep_check_policy_axes(const dsim_sweep *sw, dsim_policy_config *const *policies,
                                 const dsim_scenario *first);

/** Check every cell's scenario (as dsim_sweep_cell_scenario), so a bad axis stops the sweep before any run. */
int dsim_sweep_check(const dsim_sweep *sw, const char *base_text);

/* ---- a sweep ready to run ------------------------------------------------------------------------------ */

/**
 * A sweep made ready to run: the sweep file, its base scenario's text and its policies, each found (dsim/files.h),
 * read and checked; and its definition, the texts (and dsim version) by which a database finds the sweep again,
 * so that running it again resumes it.
 */
typedef struct {
    dsim_sweep sw;
    char *sweep_text, *base;                               /* owned */
    dsim_policy_config *configs[DSIM_SWEEP_MAX_POLICIES];  /* owned */
    const char *names[DSIM_SWEEP_MAX_POLICIES];            /* the policies' names, borrowed from configs */
    char *definition;                                      /* owned */
} dsim_sweep_job;

/**
 * Load and check a sweep file with everything it names: every cell's scenario and every policy against the
 * first cell. @return 0, or DSIM_ECONFIG / DSIM_EIO / DSIM_ENOTFOUND with the file and line at fault.
 * Clear the job with dsim_sweep_job_clear() either way.
 */
int dsim_sweep_job_load(dsim_sweep_job *job, const char *file);
/** Free what a caller-owned job holds and zero it. */
void dsim_sweep_job_clear(dsim_sweep_job *job);

/* ---- running a sweep: its runs, computed by workers and stored by one writer ---------------------------- */

/**
 * A sweep's runs are numbered task = (cell · n_policies + policy) · seeds + k, the run of `policy` in `cell`
 * on seed (the cell scenario's seed + k). Shards and workers divide the sweep by these numbers.
 */
typedef struct {
    size_t cell;
    int policy;
    int seed_index; /* k */
} dsim_sweep_task;

/** @return the number of runs in the sweep (cells × policies × seeds). */
size_t dsim_sweep_n_tasks(const dsim_sweep *sw);
dsim_sweep_task dsim_sweep_task_of(const dsim_sweep *sw, size_t task);

/** "segment.bargain.elasticity_mean=2 catalog.items=100": the cell's axis values, for people. */
void dsim_sweep_describe_cell(const dsim_sweep *sw, size_t cell, char *out, size_t n);

/**
 * What running a sweep's tasks needs, loaded once by whoever runs them (a worker process, an MPI rank, the
 * writer): the sweep, the base scenario's text and the policies, all borrowed; and the scenario of the last
 * cell used, kept because consecutive tasks share their cell.
 */
typedef struct {
    const dsim_sweep *sw;
    const char *base_text;
    dsim_policy_config *const *policies; /* (sw->n_policies,) */
    const volatile sig_atomic_t *stop;   /* when set, a run in progress ends DSIM_EINTERRUPTED (may be NULL) */
    size_t cell;                         /* of `scenario` */
    dsim_scenario *scenario;             /* owned; NULL until a task needs it */
    dsim_policy_config *cell_policies[DSIM_SWEEP_MAX_POLICIES]; /* owned: the cell's, where policy axes set them */
} dsim_sweep_runner;

#define DSIM_SWEEP_RUNNER_INIT(sw, base_text, policies) {(sw), (base_text), (policies), NULL, 0, NULL, {NULL}}

/** Release the runner's cached scenario and cell policies (the borrowed parts stay the caller's). */
void dsim_sweep_runner_clear(dsim_sweep_runner *r);

/** The scenario of a task's cell (borrowed from the runner, valid until its next call) and the task's seed. */
int dsim_sweep_runner_task(dsim_sweep_runner *r, size_t task, const dsim_scenario **sc, uint64_t *seed);

/**
 * Simulate one task of the sweep into `out` (its points reused; out->head.task is the task). A run that fails,
 * or whose cell has no valid scenario, is still a result: its status and message say why, for the writer to
 * record or report.
 * @return 0, or DSIM_EINTERRUPTED when `stop` was set (then there is no result).
 */
int dsim_sweep_run_task(dsim_sweep_runner *r, size_t task, dsim_study_result *out);

/**
 * Write a computed run into the store as one of sweep `sweep_id`'s runs: the run, its series and summary,
 * and its link to the sweep, committed together (or, for a failed run, the run marked failed with its
 * message). @return 0, DSIM_ESTORE, or the result's own error when its cell has no scenario to record.
 */
int dsim_sweep_store_result(dsim_sweep_runner *r, dsim_store *st, int64_t sweep_id, const dsim_study_result *res);

/**
 * The runs of shard `shard` of `n_shards` (tasks t with t mod n_shards = shard) that sweep `sweep_id` has not
 * stored yet, in task order. @param tasks out: owned by the caller (free()) @param n_in_shard out: the shard's
 * runs, done or not. @return 0, DSIM_ENOMEM or DSIM_ESTORE.
 */
int dsim_sweep_pending(dsim_store *store, dsim_sweep_runner *runner, int64_t sweep_id, unsigned shard,
                       unsigned n_shards, size_t **tasks, size_t *n_pending, size_t *n_in_shard);

/* ---- what a sweep's stored runs say ---------------------------------------------------------------------- */

#define DSIM_SWEEP_MAX_METRICS 32

/** One policy in one cell: its stored runs, each metric's mean ± 95 % across them, and the paired Δ of the
 *  objective to the first policy on the seeds both ran (the first policy's own: 0 ± 0 over its runs). */
typedef struct {
    int runs;
    dsim_estimate metrics[DSIM_SWEEP_MAX_METRICS]; /* in dsim_metrics_defs order */
    dsim_estimate delta;
} dsim_sweep_policy_summary;

typedef struct {
    size_t cell;
    int best;        /* the policy with the highest mean objective; -1 when nothing ran */
    int significant; /* 1: paired Δ to every other policy above 0 (Bonferroni, 95 % family-wise); 0: not;
                        -1: some comparison has fewer than 2 pairs */
    dsim_sweep_policy_summary policies[DSIM_SWEEP_MAX_POLICIES];
} dsim_sweep_cell_summary;

/**
 * Summarize what `store` holds of sweep `sweep_id`, calling `each` per cell in order (the summary is borrowed
 * for the call). `store` NULL: nothing run yet (every policy with 0 runs). A non-zero return of `each` stops
 * and is returned. @return 0, DSIM_ENOMEM, DSIM_ESTORE or what `each` returned.
 */
int dsim_sweep_summarize(dsim_store *store, const dsim_sweep *sw, int64_t sweep_id,
                         int (*each)(const dsim_sweep_cell_summary *cell, void *user), void *user);

#endif
