/*
 * cli.h — shared by the `dsim` sub-commands: exit statuses, the command table, finding shipped files,
 * and printing errors.
 */
#ifndef DSIM_CLI_H
#define DSIM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>

#include "dsim/chart.h"
#include "dsim/metrics.h"
#include "dsim/policy.h"
#include "dsim/scenario.h"
#include "dsim/sim.h"
#include "dsim/store.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

#define DEFAULT_DB "results/dsim.db"

/** How a command prints its results: a table for people, CSV or JSON for machines (output.c). */
typedef enum { CLI_TABLE, CLI_CSV, CLI_JSON } cli_format;

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

int cmd_run(int argc, char **argv);
int cmd_bandit(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_ope(int argc, char **argv);
int cmd_dash(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_export_log(int argc, char **argv);
int cmd_policies(int argc, char **argv);
int cmd_scenario_keys(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_scenarios(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_fit(int argc, char **argv);

/**
 * dsim_files_find(), printing its error. @return 0 or EXIT_USAGE.
 */
int cli_find_file(const char *kind, const char *name, char *out, size_t n);

/** Parse `[--db FILE]`, `[--format F]` when `format` is not NULL, plus up to `max_args` positional arguments.
 *  @return 0, -1 (help shown) or EXIT_USAGE. */
int cli_parse_db_options(int argc, char **argv, const char *usage, const char **db, cli_format *format, char **args,
                         int max_args, int *n_args);

struct dsim_store;
/** Open an existing result database (never creates one). @return 0, EXIT_USAGE or EXIT_RUNTIME. */
int cli_open_existing(const char *db, struct dsim_store **store);


#define CLI_MAX_POLICIES 32

/** What a command comparing policies over seeds accepts, and how it names things in messages. */
typedef struct {
    const char *command;                 /* "run" */
    const char *missing, *one;           /* "a SCENARIO", "one SCENARIO": the input in messages */
    const char *horizon;                 /* long option of the horizon: "visits" */
    const char *output;                  /* long option of the output file: "db" */
    unsigned long long max_seeds;
    const char *const *default_policies; /* NULL-terminated; used when no -p is given */
    int threads;                         /* accepts --threads N (the ranking GEMM's threads) */
    int log_events;                      /* accepts --log-events */
    int run_options;                     /* accepts -j N, --by segment, --columns, --format, --fresh (dsim run) */
    int update_every;                    /* accepts --update-every N (dsim bandit) */
    void (*usage)(FILE *out);
} cli_study_spec;

typedef struct {
    const char *file;
    const char *policies[CLI_MAX_POLICIES];
    int n_policies;
    unsigned long long horizon; /* 0: the input's own */
    unsigned long long seeds;
    const char *output;         /* NULL: not given */
    int quiet;
    int threads;                /* ranking GEMM threads, 1 unless --threads */
    int log_events;             /* --log-events given */
    int jobs;                   /* -j N: worker processes (default: the cores online) */
    bool by_segment;            /* --by segment */
    const char *columns;        /* --columns LIST, NULL: the default */
    cli_format format;          /* --format */
    bool fresh;                 /* --fresh: run again what the database has finished */
    const char *plot;           /* --plot OUT: the default chart of what ran, NULL: none */
    unsigned long long update_every; /* --update-every N; 0: the input's own */
} cli_study_options;

/** Parse FILE [-p POLICY]... [--HORIZON N] [--seeds K] [--OUTPUT FILE] [--threads N] [-q]. @return 0, -1
 *  (help shown) or EXIT_USAGE with the message printed. */
int cli_parse_study_options(int argc, char **argv, const cli_study_spec *spec, cli_study_options *o);

/* ---- the runs of `dsim run`, in this process or N workers (run_pool.c) ---- */

/** Set by SIGINT / SIGTERM once cli_catch_interrupts() is called: the run in progress ends interrupted. */
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_interrupts(void);

#define CLI_MAX_JOBS 256

enum { CLI_RUN_PENDING, CLI_RUN_RUNNING, CLI_RUN_DONE, CLI_RUN_FAILED, CLI_RUN_INTERRUPTED, CLI_RUN_REUSED };

/** One run's place on the board: its state, its id in the database, and the visits it has done. */
typedef struct {
    int state;
    int64_t run_id;
    uint64_t done_visits;
} cli_run_slot;

/** The runs to make: task t is policy t / n_seeds on seed sc->seed + t % n_seeds. Everything borrowed. */
typedef struct {
    const dsim_scenario *sc;
    dsim_policy_config *const *configs;
    size_t n_seeds, n_tasks;
    uint64_t horizon;         /* visits per run */
    dsim_sim_options options; /* .visits = horizon; .log_decisions for --log-events */
    const char *db;
    int jobs;                 /* worker processes (1: this one) */
    bool fresh;               /* run again what the database has finished */
    bool progress;            /* draw the progress line on stderr */
} cli_run_plan;

/**
 * Make the plan's runs: the ones the database already has finished (dsim_store_find_done_run) are reused unless
 * plan->fresh, the others run in plan->jobs processes, each storing its own. `slots` (n_tasks,) gets every run's
 * final state and id, `reused` the count reused. @return EXIT_OK, EXIT_INTERRUPTED (Ctrl-C: the runs in progress
 * are marked interrupted), or EXIT_RUNTIME with the first failure in `error`.
 */
int cli_run_pool(const cli_run_plan *plan, cli_run_slot *slots, int *reused, char *error, size_t error_size);

/** @return a monotonic clock in seconds (for rates and progress lines). */
double cli_now_seconds(void);

enum { CLI_PLAIN, CLI_DELTA, CLI_LIFT };

/** A column of a comparison table: its head, printf format and scale of the shown value. */
typedef struct {
    const char *head, *format;
    double scale;
    int kind; /* CLI_PLAIN: the value; CLI_DELTA: minus the first row's on the same seed (common random numbers);
                 CLI_LIFT: that difference over the first row's value */
} cli_column;

/** The table's columns out of every run's metrics: (n_runs, n_columns) from `block` (n_runs, n_metrics), column c
 *  being metric[c]. @return an array the caller frees, or NULL (memory). */
double *cli_column_values(const double *block, size_t n_runs, size_t n_metrics, const size_t *metric, int n_columns);
/** Column c of row `row` as a mean ± 95 % across seeds; for CLI_DELTA and CLI_LIFT (`kind`) paired with row 0
 *  seed by seed. @param values (n_rows, n_seeds, n_columns) */
dsim_estimate cli_column_estimate(int kind, const double *values, int n_columns, int c, int row, size_t n_seeds);

/** @return the display width of UTF-8 text (each code point one column). */
int cli_text_width(const char *s);

/**
 * Print a comparison table to fp: one row per name, each cell the mean ± 95 % CI across seeds.
 * @param values (n_rows, n_seeds, n_columns)
 */
void cli_print_comparison(FILE *fp, const char *const *names, int n_rows, const cli_column *columns, int n_columns,
                          const double *values, size_t n_seeds);
/** One cell of a comparison table: "mean ± half-width" in `format` × `scale` ("-" for NaN). */
void cli_format_cell(char *buf, size_t n, const char *format, dsim_estimate e, double scale);
/** The columns `dsim run` shows by default, with each one's index in dsim_metrics_defs. @return how many. */
int cli_run_default_columns(cli_column *columns, size_t *metric, int max);

/* ---- output for machines (output.c; the fields of each command in docs/output.md) ---- */


/** Parse a --format value (table, csv or json) for command `cmd`. @return EXIT_OK or EXIT_USAGE (said). */
int cli_parse_format(const char *cmd, const char *value, cli_format *out);

/**
 * A document being written as CSV or JSON. JSON: one object, {"command": COMMAND, …}, its members in the order
 * written, rows as arrays of flat objects. CSV: only the rows of the section begun with `in_csv`, a header
 * line from the first row's names. Numbers are written in the fewest digits that read back as the same
 * double; NaN and infinities as null (JSON) or an empty field (CSV).
 */
typedef struct cli_out cli_out;
cli_out *cli_out_begin(cli_format format, FILE *fp, const char *command);
void cli_out_end(cli_out *o); /* closes what is open and frees `o` */
void cli_out_rows_begin(cli_out *o, const char *key, bool in_csv);
void cli_out_rows_end(cli_out *o);
void cli_out_row_begin(cli_out *o);
void cli_out_row_end(cli_out *o);
void cli_out_object_begin(cli_out *o, const char *key); /* a nested object (JSON only) */
void cli_out_object_end(cli_out *o);
void cli_out_str(cli_out *o, const char *key, const char *value); /* NULL: null */
void cli_out_num(cli_out *o, const char *key, double value);
void cli_out_int(cli_out *o, const char *key, long long value);
void cli_out_bool(cli_out *o, const char *key, bool value);
/** A stored run's own fields (cmd_list.c): run, scenario, policy, policy_type, seed, horizon, planned_visits,
 *  objective, status, source, changed_live, created, finished, dsim_version. */
void cli_out_run(cli_out *o, const dsim_run_row *r);
/** Every metric of dsim_metrics_defs by its name. @param values in dsim_metrics_defs order */
void cli_out_metrics(cli_out *o, const double *values);
/** Every metric's mean (its name) and 95 % half-width (NAME_ci95). @param e in dsim_metrics_defs order */
void cli_out_estimates(cli_out *o, const dsim_estimate *e);

/* ---- charts (cmd_plot.c; drawn by src/report) ---- */

#define CLI_MAX_RUNS 4096    /* runs in one chart or report */
#define CLI_MAX_RUN_ARGS 256 /* arguments naming them */

/** Run numbers and ranges ("4-9") into ids. @return EXIT_OK or EXIT_USAGE (said). */
int cli_parse_runs(const char *cmd, char *const *args, int n_args, int64_t *ids, int max, int *n_ids);
/** Refuse, before any work, an output whose directory cannot be written (EXIT_USAGE, said). */
int cli_check_output(const char *cmd, const char *path);
/** --plot VALUE: a chart's file name (.png, .svg, .pdf, .csv) in a writable directory. @return EXIT_OK or
 *  EXIT_USAGE (said). */
int cli_parse_plot(const char *cmd, const char *value, const char **out);
/** Write a figure (dsim_chart_write) to `path`, saying what failed. @return EXIT_OK, EXIT_USAGE or EXIT_RUNTIME. */
int cli_write_figure(const char *cmd, const dsim_figure *f, const char *path);
/** The figure of the sweep file `file` as stored in database `db`. @return EXIT_OK or an exit status (said). */
int cli_sweep_figure(const char *cmd, const char *db, const char *file, dsim_figure *fig);

/** Print "dsim: MESSAGE" to stderr (printf-style). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Map a library error code to the command's exit status: configuration errors are bad input (2). */
int cli_exit_status(int dsim_rc);

#endif
