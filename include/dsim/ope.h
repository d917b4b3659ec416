/*
 * dsim/ope.h — offline policy evaluation: what a target policy would earn, estimated from a log of another
 * (the logging) policy's decisions.
 *
 * A log (dsim_ope_log) is read from a dsim run's events, a CSV file in dsim's log format, or an Open Bandit
 * Dataset file. A target policy is turned into one number per row pair: its importance weight
 * w_i = π(a_i | x_i) / p_i and, with a reward model q̂ fitted on the log by cross-fitting, its
 * model-predicted value Σ_a π(a | x_i) q̂(x_i, a). Every estimator is then a function of the per-row
 * (w_i, r_i, q̂(x_i, a_i), Σ_a π q̂) (dsim_ope_terms). A log of any length streams through in chunks: running
 * sums of the terms (dsim_ope_sums) give every estimate, its intervals and the diagnostics.
 */
#ifndef DSIM_OPE_H
#define DSIM_OPE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsim/log.h"

#define DSIM_OPE_MAX_ACTIONS 256
#define DSIM_OPE_MAX_CONTEXT 128

/** A log held by columns. */
typedef struct dsim_ope_log {
    size_t n;                /* rows */
    int n_actions;           /* actions are 0 … n_actions − 1 */
    int n_positions;         /* positions are 0 … n_positions − 1; 0: the log has none */
    int n_context;           /* numeric context columns */
    char context_names[DSIM_OPE_MAX_CONTEXT][64];
    bool dsim_context;       /* the columns are dsim_log_context_names: dsim policies can read them */
    float *context;          /* (n, n_context) */
    int16_t *action;         /* (n) */
    int8_t *position;        /* (n), −1 when none */
    double *propensity;      /* (n) */
    double *reward;          /* (n) */
    uint32_t *shopper;       /* (n), or NULL */
    uint64_t *visit;         /* (n), or NULL */
    double *logged_dist;     /* (n, dist_width) the logging policy's distribution, or NULL */
    int dist_width;          /* its levels: the logging policy's, fixed by the first row */
    bool dist_estimated;     /* the logged distribution is computed numerically (loggers with a propensity()
                                of their own: Monte Carlo, quadrature): a level it gives no mass may still be
                                taken, so support falls back on the actions seen */
    size_t capacity;
    char origin[600];        /* where it came from, for messages */
    bool action_seen[DSIM_OPE_MAX_ACTIONS]; /* actions the logger took anywhere in the log */
    size_t first_row;        /* in a chunk of a streamed log (dsim_ope_stream_each): its row 0 in the whole log */
    struct dsim__ope_chunking *chunking; /* a stream's reading a chunk at a time (src/ope/log_impl.h); NULL */
} dsim_ope_log;

/** Append one row (grows the columns). @return 0 or DSIM_ENOMEM. */
int dsim_ope_log_push(dsim_ope_log *log, const float *context, int action, int position, double propensity,
                      double reward);
/** Rows read so far (in chunked reading, those handed on included). */
size_t dsim_ope_log_rows(const dsim_ope_log *log);
/** Free the columns of a caller-owned log and zero it (the struct itself stays the caller's). */
void dsim_ope_log_clear(dsim_ope_log *log);


struct dsim_store;

/**
 * Read a CSV log (streaming, libcsv): a header naming the columns, then one row per decision. Required:
 * `action` (0 … A−1), `propensity` (in (0, 1]), `reward` (finite); optional: `position`, `visit`, `shopper`;
 * every other column is a numeric context feature. With `skip_bad_rows`, rows that break a rule are
 * counted in *skipped instead of stopping the read.
 * @return 0, or DSIM_ECONFIG with "FILE: row R, column NAME: ..." in dsim_errmsg().
 */
int dsim_ope_log_read_csv(dsim_ope_log *log, const char *path, bool skip_bad_rows, size_t *skipped);

/**
 * Read an Open Bandit Dataset file (`item_id` the action, `position` 1…3, `click` the reward,
 * `propensity_score`, the numeric `user-item_affinity_*` columns as context; the hashed user features are
 * not numeric and are left out).
 */
int dsim_ope_log_read_obd(dsim_ope_log *log, const char *path);

/**
 * A log of any length in bounded memory: read once, in chunks, into an unlinked file under $TMPDIR (or
 * /tmp), then read back a chunk at a time, as often as an evaluation needs. Read it with one of
 * dsim_ope_stream_read_*() (the same formats and errors as dsim_ope_log_read_*()), then pass over it with
 * dsim_ope_stream_each().
 */
typedef struct dsim_ope_stream dsim_ope_stream;
/** A stream holding `chunk_rows` rows in memory at a time; the caller's (dsim_ope_stream_free). @return 0,
 *  DSIM_ENOMEM or DSIM_EIO (no temporary file). */
int dsim_ope_stream_alloc(dsim_ope_stream **out, size_t chunk_rows);
/** Free a stream and remove its temporary file; NULL is a no-op. */
void dsim_ope_stream_free(dsim_ope_stream *s);
/** Read a CSV or Open Bandit log into the stream, once (as dsim_ope_log_read_csv/obd). */
int dsim_ope_stream_read_csv(dsim_ope_stream *s, const char *path, bool skip_bad_rows, size_t *skipped);
int dsim_ope_stream_read_obd(dsim_ope_stream *s, const char *path);
/** The events of run `run_id` of an open result database (`db` names it in messages). @return 0,
 *  DSIM_ENOTFOUND, DSIM_ESTORE, DSIM_ENOMEM or DSIM_EIO. */
int dsim_ope_stream_read_db(dsim_ope_stream *s, struct dsim_store *st, const char *db, int64_t run_id);
/** The whole log's header — columns, actions, positions, origin, actions seen — with no rows held;
 *  dsim_ope_log_rows() of it is the log's length. */
const dsim_ope_log *dsim_ope_stream_header(const dsim_ope_stream *s);
/** Call `each` on rows [from, to) of the log, in order, a chunk at a time (chunk->first_row numbers them).
 *  @return 0, DSIM_EIO, or what `each` returned. */
int dsim_ope_stream_each(dsim_ope_stream *s, size_t from, size_t to,
                         int (*each)(const dsim_ope_log *chunk, void *data), void *data);

/** A target policy to evaluate (src/ope/targets.c). */
typedef struct dsim_ope_target dsim_ope_target;

/** Uniform over the log's actions. */
int dsim_ope_target_uniform(dsim_ope_target **out);
/** Always `action`. */
int dsim_ope_target_deterministic(dsim_ope_target **out, int action);
/**
 * Probabilities from a CSV file: a table (columns action, probability and optionally position, numbered
 * from 1) or, when the header names a `row` column, a per-row target: for each logged row (its number from
 * 0 in the log's order) the probability of each action, long (row, action, probability) or wide (row,
 * pi_0 … pi_K). `log` is the log's header (dsim_ope_stream_header), needed for a per-row target.
 * @return 0 or DSIM_ECONFIG naming the file, row and column.
 */
int dsim_ope_target_table(dsim_ope_target **out, const char *path, const dsim_ope_log *log);
/** A dsim policy (owned from now on), asked for its distribution on each row's context. */
int dsim_ope_target_policy(dsim_ope_target **out, dsim_policy *policy, const char *name);
/** Let a dsim policy target learn from the log's first `rows` rows (its logged action, reward, and a sale
 *  when the reward is not 0); other targets do not learn. @return 0 or DSIM_ECONFIG. */
int dsim_ope_target_train(dsim_ope_target *t, const dsim_ope_log *log, size_t rows);
/** @return the target's name, as tables show it (borrowed, valid until dsim_ope_target_free). */
const char *dsim_ope_target_name(const dsim_ope_target *t);
/** @return true for a per-row target that names rows by their number in the log (a `row` column). */
bool dsim_ope_target_numbers_rows(const dsim_ope_target *t);
/** π(· | row i) of the target over the log's actions, into pi (log->n_actions). @return 0 or DSIM_ECONFIG (the
 *  target cannot read this log: a dsim policy on a log without dsim's context, an action it lacks). */
int dsim_ope_target_probabilities(const dsim_ope_target *t, const dsim_ope_log *log, size_t i, double *pi);
/** @return the dsim policy a target asks (borrowed; as trained so far), or NULL for other kinds. */
dsim_policy *dsim_ope_target_policy_of(const dsim_ope_target *t);
/** Free a target (and the dsim policy it owns); NULL is a no-op. */
void dsim_ope_target_free(dsim_ope_target *t);

/** The direct method's reward model, fitted on a log by K-fold cross-fitting (src/ope/reward_model.c). */
typedef struct dsim_ope_reward_model dsim_ope_reward_model;

/** Fit one ridge model (penalty `ridge`) per action and fold. @return 0, DSIM_ENOMEM or DSIM_ENUMERIC. */
int dsim_ope_model_fit(dsim_ope_reward_model **out, const dsim_ope_log *log, int folds, double ridge);
/** Free a reward model; NULL is a no-op. */
void dsim_ope_model_free(dsim_ope_reward_model *m);
/** The same, fed a chunk at a time (row r of the whole log goes to fold r mod K): begin, add, finish. */
int dsim_ope_model_begin(dsim_ope_reward_model **out, int n_context, int folds, double ridge);
int dsim_ope_model_add(dsim_ope_reward_model *m, const dsim_ope_log *chunk);
/** Solve every fold's and action's model (actions 0 … n_actions − 1). */
int dsim_ope_model_finish(dsim_ope_reward_model *m, int n_actions);

/** The per-row quantities every estimator is made of, for one target policy. */
typedef struct {
    size_t n;
    double *w;       /* π(a_i | x_i) / p_i */
    double *r;       /* the logged reward */
    double *q_taken; /* q̂(x_i, a_i), cross-fitted */
    double *q_pi;    /* Σ_a π(a | x_i) q̂(x_i, a), cross-fitted */
    double support_violation; /* share of rows where π puts mass on actions the logger never takes */
} dsim_ope_terms;

/** Free the arrays of caller-owned terms and zero them. */
void dsim_ope_terms_clear(dsim_ope_terms *t);

/** The terms of `target` on `log`; `model` may be NULL (then q̂ = 0, and DM and the DR family degrade).
 *  @return 0, DSIM_ENOMEM or DSIM_ECONFIG (the target cannot read this log). */
int dsim_ope_terms_build(dsim_ope_terms *out, const dsim_ope_log *log, const dsim_ope_target *target,
                         const dsim_ope_reward_model *model);

/**
 * The offline estimators are a plug-in list (src/ope/estimator_types.c); an estimator is its index in it. The
 * shipped ones keep these names; dsim_ope_estimator_count() counts them all.
 */
#define DSIM_OPE_MAX_ESTIMATORS 16
typedef enum {
    DSIM_OPE_DM,    /* direct method */
    DSIM_OPE_IPS,   /* inverse propensity scoring */
    DSIM_OPE_CIPS,  /* IPS with weights clipped at λ */
    DSIM_OPE_SNIPS, /* self-normalised IPS */
    DSIM_OPE_DR,    /* doubly robust */
    DSIM_OPE_SNDR,  /* self-normalised DR */
    DSIM_OPE_SWITCH_DR, /* DR where w ≤ τ, DM elsewhere */
    DSIM_OPE_DROS,  /* DR with optimistic shrinkage of the weights */
} dsim_ope_estimator;

/** @return how many estimators there are (at most DSIM_OPE_MAX_ESTIMATORS). */
int dsim_ope_estimator_count(void);
/** @return "dm", "ips", "cips", "snips", "dr", "sndr", "switch-dr", "dr-os", …; NULL past the last. */
const char *dsim_ope_estimator_name(dsim_ope_estimator e);
/** @return the estimator of that name, or -1. */
int dsim_ope_estimator_find(const char *name);

/** Tuning of the estimators that have one (OBP's names): λ of clipped IPS and DR-os, τ of Switch-DR. */
typedef struct {
    double clip;        /* clipped IPS: w ← min(w, clip) */
    double switch_tau;  /* Switch-DR: the importance-weighted correction only where w ≤ τ */
    double shrink;      /* DR-os: w ← λ w / (w² + λ) */
} dsim_ope_tuning;

#define DSIM_OPE_TUNING_INIT {100.0, 100.0, 100.0}

/** The estimate of one estimator on the rows `index` (n of them; NULL: all rows in order). */
double dsim_ope_estimate(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning,
                         const size_t *index, size_t n);

/** An estimate with its 95 % intervals and the weights' diagnostics. */
typedef struct {
    double value;
    double normal_lo, normal_hi;       /* value ± 1.96 × the per-row terms' standard error */
    double bootstrap_lo, bootstrap_hi; /* percentile interval of `bootstrap` resamples (NAN without) */
} dsim_ope_result;

typedef struct {
    double ess;          /* (Σw)² / Σw² */
    double max_weight, mean_weight;
    double support_violation;
    double logged_value; /* the mean logged reward: the logging policy's own value on these rows */
} dsim_ope_diagnostics;

/** The importance weights' diagnostics of terms held whole. */
void dsim_ope_diagnose(const dsim_ope_terms *t, dsim_ope_diagnostics *out);

/** Estimate with both intervals; `bootstrap` resamples drawn from a generator keyed by `seed`. */
int dsim_ope_evaluate(dsim_ope_estimator e, const dsim_ope_terms *t, const dsim_ope_tuning *tuning, int bootstrap,
                      uint64_t seed, dsim_ope_result *out);

/* ---- a log streamed through in chunks (bounded memory) ---- */

/** Past this many rows the bootstrap resamples this many random blocks of rows instead of the rows. */
#define DSIM_OPE_BLOCKS 4096

/** Running sums of one target's terms: every estimator, its intervals and the diagnostics, in O(1) rows. */
typedef struct dsim_ope_sums dsim_ope_sums;

/** @param n_rows the rows that will be added (they decide the bootstrap's blocks) @param seed of the blocks */
int dsim_ope_sums_alloc(dsim_ope_sums **out, const dsim_ope_tuning *tuning, size_t n_rows, uint64_t seed);
/** Free running sums; NULL is a no-op. */
void dsim_ope_sums_free(dsim_ope_sums *s);
/** Add a chunk's terms; `first_row` numbers its first row in the whole log (rows 0 … n_rows − 1 of the sums
 *  are first_row mod n_rows for a short log). */
void dsim_ope_sums_add(dsim_ope_sums *s, const dsim_ope_terms *t, size_t first_row);
/** The rows added so far, and the weights' diagnostics over them. */
size_t dsim_ope_sums_rows(const dsim_ope_sums *s);
void dsim_ope_sums_diagnose(const dsim_ope_sums *s, dsim_ope_diagnostics *out);
/** The estimate with both intervals, as dsim_ope_evaluate() on the same rows. */
int dsim_ope_sums_evaluate(const dsim_ope_sums *s, dsim_ope_estimator e, int bootstrap, uint64_t seed,
                           dsim_ope_result *out);

/**
 * Add a chunk's terms paired with those of a base target on the same rows (`base` row for row): as
 * dsim_ope_sums_add(), and also the cross moments that dsim_ope_sums_difference() needs. A sums is paired
 * for all its rows or for none.
 */
void dsim_ope_sums_add_paired(dsim_ope_sums *s, const dsim_ope_terms *t, const dsim_ope_terms *base, size_t first_row);
/**
 * This target's estimate minus the base target's, on the same rows: the normal interval from the
 * difference of the two influence terms row by row (the delta method for the self-normalised estimators),
 * the bootstrap from the same resamples of both (paired). `base` is the base target's own sums, allocated
 * with the same rows and seed. @return 0, DSIM_EINVAL (not added paired) or DSIM_ENOMEM.
 */
int dsim_ope_sums_difference(const dsim_ope_sums *s, const dsim_ope_sums *base, dsim_ope_estimator e, int bootstrap,
                             uint64_t seed, dsim_ope_result *out);

/* ---- evaluating targets on a log (src/ope/evaluate.c) ---- */

/** How an evaluation treats its log. */
typedef struct {
    size_t train; /* the log's first rows, from which dsim policy targets learn; the rest are judged */
    int folds;    /* cross-fitting folds of the reward model */
    uint64_t seed; /* of the sums' bootstrap blocks */
    const volatile sig_atomic_t *stop; /* once set, the evaluation ends DSIM_EINTERRUPTED at its next chunk; may
                                          be NULL */
} dsim_ope_plan;

/**
 * Evaluate `targets` on the streamed log, a chunk at a time: dsim policy targets learn from the first
 * plan->train rows, the reward model is fitted on the rest, and each target's terms on the rest go into
 * sums[t] (caller-owned on success, dsim_ope_sums_free() each), every one paired with the first target's.
 * @return 0; DSIM_EINVAL (nothing left to judge), DSIM_ECONFIG (a target cannot read this log),
 *         DSIM_ENOMEM, DSIM_EIO, DSIM_ENUMERIC or DSIM_EINTERRUPTED (then no sums are left).
 */
int dsim_ope_evaluate_log(dsim_ope_stream *stream, dsim_ope_target *const *targets, int n_targets,
                          const dsim_ope_plan *plan, dsim_ope_sums **sums);

/**
 * A target that asks the dsim policy `config` describes, set up in the scenario's world of `seed` (so it sees
 * what the logging run's policy saw). `config` is borrowed. @return 0, DSIM_ENOMEM or DSIM_ECONFIG.
 */
int dsim_ope_target_from_config(dsim_ope_target **out, const dsim_policy_config *config, const dsim_scenario *sc,
                                uint64_t seed);

/**
 * The simulator's truth for a target: its reward per decision run on-policy and frozen in the scenario, seed
 * and visits of the logging run (common random numbers). `trained` (borrowed, may be NULL): run that policy
 * object as it was evaluated (as trained on the log's first rows); else a fresh one from `config`.
 * @return the value, or NAN when it cannot be run.
 */
double dsim_ope_true_value(const dsim_scenario *sc, uint64_t seed, uint64_t visits, const dsim_policy_config *config,
                           dsim_policy *trained);

/* ---- a log opened by its name (src/ope/log_source.c) ---- */

typedef struct {
    dsim_ope_stream *stream; /* owned: the log, streamed */
    const dsim_ope_log *log; /* the stream's header: columns, actions, origin */
    size_t n;                /* rows */
    dsim_scenario *sc;       /* owned: a run's scenario (DB:RUN), or one the caller sets for a CSV log; may be NULL */
    uint64_t seed, visits;   /* a run's seed and visits (the truth runs' common random numbers) */
    dsim_policy_config *logger; /* owned: a run's logging policy (to replay it), or NULL */
    bool from_run;           /* the log is a dsim run's */
    size_t skipped;          /* malformed CSV rows left out (skip_bad_rows) */
} dsim_ope_source;

/**
 * Open a log by name: "DB:RUN" (a run stored with --log-events, with its scenario, seed and visits), a
 * directory of the Open Bandit Dataset, or a CSV log in dsim's format (malformed rows skipped and counted
 * when `skip_bad_rows`). @return 0, DSIM_ENOTFOUND (no database, no run, no events), DSIM_ECONFIG (a malformed
 * log, naming its file, row and column), DSIM_EIO, DSIM_ESTORE or DSIM_ENOMEM. Clear `src` either way.
 */
int dsim_ope_source_open(dsim_ope_source *src, const char *spec, bool skip_bad_rows);
/** Free what a caller-owned source holds and zero it. */
void dsim_ope_source_clear(dsim_ope_source *src);

/**
 * The simulator's truth for targets on the logged visits themselves, the quantity every estimator here
 * estimates: the expected reward per decision of each target's choices at rows [from, n) of `src`'s log, each
 * visit's shopper in the state the logging policy left them (their memory of its discounts, their history).
 * The logging run is replayed beside the log (its scenario, seed, visits and policy: common random numbers)
 * and row i counts Σ_a π(a | x_i) E[reward | visit i, a]. It differs from dsim_ope_true_value() where a target
 * would have left the shoppers in other states. out[t] is NAN for every target unless it returns 0.
 * @return 0; DSIM_ENOTFOUND when there is no such truth here (not a dsim run's log, its policy unknown, discount
 * scope item, actions that are not its run's levels); DSIM_ECONFIG when the replay departs from the log (another
 * shopper, action or propensity: the message names the row) or a target cannot read it; DSIM_ENOMEM, DSIM_EIO or DSIM_EINTERRUPTED (`stop` was set).
 */
int dsim_ope_logged_states_value(const dsim_ope_source *src, size_t from, dsim_ope_target *const *targets,
                                 int n_targets, const volatile sig_atomic_t *stop, double *out);

/**
 * A target by name, for the log `src`: "uniform", "action=K", a CSV table of probabilities (.csv), or a dsim
 * policy file or NAME (a log with dsim's context and a scenario). On a run's log, `config` gets the dsim policy
 * whose on-policy run is the target's truth (the random policy for uniform, fixed level K for action=K), else
 * NULL; both out values are the caller's to free. @return 0, DSIM_ECONFIG / DSIM_ENOTFOUND naming the target,
 * or DSIM_ENOMEM.
 */
int dsim_ope_target_named(dsim_ope_target **out, dsim_policy_config **config, const char *spec,
                          const dsim_ope_source *src);

#endif
