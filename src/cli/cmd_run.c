/*
 * cmd_run.c — `dsim run`: run each policy on the same seeds of a scenario (in -j processes, reusing the runs the
 * database has already finished), and print a comparison table with 95 % confidence intervals across seeds —
 * for the whole market or by hidden segment — or the same figures as CSV or JSON.
 *
 * Everything the command reads is checked before the database is opened, so bad input writes nothing. The
 * table is read back from the database, so it is the same however the runs were made (-j 1 or -j N, now or
 * before an interruption).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/rank.h"
#include "dsim/sim.h"
#include "dsim/store.h"
#include "dsim/study.h"

#define MAX_POLICIES CLI_MAX_POLICIES
#define MAX_SEEDS 1000
#define MAX_COLUMNS 32

static const char *const default_policies[] = {"none", "fixed10", "thompson", "oracle", NULL};

/* The columns --columns may name; the default set is marked. */
static const struct {
    const char *name, *metric, *head, *format;
    double scale; /* shown value = metric × scale */
    int kind;
    bool shown;   /* in the default table */
} known_columns[] = {
    {"visits", "visits", "visits", "%.0f", 1, CLI_PLAIN, false},
    {"conversion", "conversion", "conv. %", "%.3f", 100, CLI_PLAIN, true},
    {"ctr", "ctr", "CTR %", "%.3f", 100, CLI_PLAIN, true},
    {"cvr", "conversion_per_click", "CVR %", "%.2f", 100, CLI_PLAIN, true},
    {"revenue", "revenue", "revenue", "%.0f", 1, CLI_PLAIN, true},
    {"profit", "profit", "profit", "%.0f", 1, CLI_PLAIN, true},
    {"spend", "discount_spend", "disc. spend", "%.0f", 1, CLI_PLAIN, true},
    {"avg_discount", "avg_discount", "avg disc. %", "%.2f", 100, CLI_PLAIN, false},
    {"discounted", "discounted_share", "disc. visits %", "%.1f", 100, CLI_PLAIN, false},
    {"churned", "churned", "churned", "%.0f", 1, CLI_PLAIN, false},
    {"objective", "reward", "objective", "%.0f", 1, CLI_PLAIN, false},
    {"lift", "reward", "lift %", "%+.2f", 100, CLI_LIFT, true},
    {"regret", "regret", "myopic regret", "%.0f", 1, CLI_PLAIN, true},
    {"delta", "reward", "Δ objective", "%+.0f", 1, CLI_DELTA, true},
};
#define N_KNOWN (sizeof known_columns / sizeof known_columns[0])

typedef struct {
    cli_study_options o;
    uint64_t horizon;           /* visits per run: --visits, or the scenario's */
    int n_columns;
    size_t known[MAX_COLUMNS];  /* each column's index in known_columns */
    cli_column columns[MAX_COLUMNS];
    size_t metric[MAX_COLUMNS]; /* each column's index in dsim_metrics_defs */
} run_options;

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: dsim run SCENARIO [-p POLICY]... [--visits N] [--seeds K] [-j N] [--db FILE] [--by segment]\n"
            "                [--columns LIST] [--format table|csv|json] [--log-events] [--fresh] [--plot OUT]\n"
            "                [--threads N] [--quiet]\n\n"
            "Runs each policy on seeds seed..seed+K-1 of SCENARIO (common random numbers: every policy meets the\n"
            "same shoppers in the same order), stores every run in the database and prints a comparison table\n"
            "with 95 %% confidence intervals across seeds. Runs the database has already finished with the same\n"
            "inputs are reused, so after Ctrl-C the same command resumes.\n\n"
            "  SCENARIO          a scenario file, or the NAME of scenarios/NAME.ini\n"
            "  -p, --policy P    a policy (repeatable; default: none, fixed10, thompson, oracle):\n"
            "                    NAME (policies/NAME.ini) or FILE; a TYPE of `dsim policies`; and parameters set\n"
            "                    inline: fixed:15, linucb:alpha=1,features=bias,conversion, thompson:name=ts\n"
            "  --visits N        horizon in visits (default: the scenario's; 1e5 is accepted)\n"
            "  --seeds K         number of seeds (default 1)\n"
            "  -j, --jobs N      runs at once, each in its own process (default: the cores, %ld here); the\n"
            "                    results are the same for any N\n"
            "  --db FILE         result database (default %s)\n"
            "  --by segment      the table split by the shoppers' segment (the simulator's hidden truth: no\n"
            "                    policy is told a shopper's segment)\n"
            "  --columns LIST    the table's columns, comma-separated, from: visits, conversion, ctr, cvr,\n"
            "                    revenue, profit, spend, avg_discount, discounted, churned, objective, lift,\n"
            "                    regret, delta (default: conversion,ctr,cvr,revenue,profit,spend,lift,regret,delta)\n"
            "  --format F        table (default), csv or json: every metric's mean and 95 %% half-width per\n"
            "                    policy (and segment), numbers in full (docs/output.md)\n"
            "  --log-events      store every decision (context, level, propensity, the policy's distribution,\n"
            "                    reward) in the events table, for offline evaluation (dsim ope, export-log)\n"
            "  --fresh           run again even what the database has already finished\n"
            "  --plot OUT        also draw these runs' delta chart (as dsim plot delta): .png, .svg, .pdf, .csv\n"
            "  --threads N       threads ranking each batch (default 1; the same bits for any N)\n"
            "  -q, --quiet       no progress line\n\n"
            "examples:\n  dsim run default -p none -p thompson --seeds 5 --visits 1e5\n"
            "  dsim run default -p fixed10 -p fixed:15 -p linucb --seeds 5 --by segment\n",
            sysconf(_SC_NPROCESSORS_ONLN), DEFAULT_DB);
}

static size_t metric_index(const char *name)
{
    return (size_t)(dsim_metrics_find(name) - dsim_metrics_defs);
}

static int add_column(run_options *r, size_t k)
{
    if (r->n_columns == MAX_COLUMNS) {
        cli_error("run: --columns: at most %d columns", MAX_COLUMNS);
        return EXIT_USAGE;
    }
    r->known[r->n_columns] = k;
    r->columns[r->n_columns] =
        (cli_column){known_columns[k].head, known_columns[k].format, known_columns[k].scale, known_columns[k].kind};
    r->metric[r->n_columns++] = metric_index(known_columns[k].metric);
    return EXIT_OK;
}

/* --columns: each name one of known_columns, with "did you mean" for a misspelt one. */
int cli_run_default_columns(cli_column *columns, size_t *metric, int max)
{
    int n = 0;
    for (size_t k = 0; k < N_KNOWN && n < max; k++)
        if (known_columns[k].shown) {
            columns[n] = (cli_column){known_columns[k].head, known_columns[k].format, known_columns[k].scale,
                                      known_columns[k].kind};
            metric[n++] = metric_index(known_columns[k].metric);
        }
    return n;
}

static int parse_columns(run_options *r)
{
    const char *names[N_KNOWN];
    for (size_t k = 0; k < N_KNOWN; k++)
        names[k] = known_columns[k].name;
    r->n_columns = 0;
    for (size_t k = 0; k < N_KNOWN && !r->o.columns; k++)
        if (known_columns[k].shown)
            add_column(r, k);
    char list[512];
    dsim__strlcpy(list, r->o.columns ? r->o.columns : "", sizeof list);
    for (char *save = NULL, *item = strtok_r(list, ", ", &save); item; item = strtok_r(NULL, ", ", &save)) {
        size_t k = 0;
        while (k < N_KNOWN && strcmp(known_columns[k].name, item) != 0)
            k++;
        if (k == N_KNOWN) {
            const char *near = dsim__nearest(item, names, N_KNOWN);
            cli_error("run: --columns: unknown column '%s'%s%s%s (see dsim run --help)", item,
                      near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
            return EXIT_USAGE;
        }
        if (add_column(r, k))
            return EXIT_USAGE;
    }
    if (r->n_columns == 0) {
        cli_error("run: --columns: expected at least one column");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int parse_options(int argc, char **argv, run_options *r)
{
    static const cli_study_spec spec = {
        .command = "run", .missing = "a SCENARIO", .one = "one SCENARIO", .horizon = "visits", .output = "db",
        .max_seeds = MAX_SEEDS, .default_policies = default_policies, .threads = 1, .log_events = 1,
        .run_options = 1, .usage = run_usage,
    };
    int status = cli_parse_study_options(argc, argv, &spec, &r->o);
    if (status)
        return status;
    if (!r->o.output)
        r->o.output = DEFAULT_DB;
    return parse_columns(r);
}

/* ---- the figures, read back from the database -------------------------------------------------------- */

/* Every run's summary (n_policies, seeds, metrics) and, when asked, each segment's (segments, …). */
typedef struct {
    size_t n_policies, n_seeds, n_metrics;
    double *all;      /* (n_policies, n_seeds, n_metrics) */
    int n_segments;
    char names[DSIM_MAX_SEGMENTS][DSIM_NAME_MAX];
    double shares[DSIM_MAX_SEGMENTS];
    double *segments; /* (n_segments, n_policies, n_seeds, n_metrics) */
} figures;

static void figures_clear(figures *f)
{
    free(f->all);
    free(f->segments);
}

static int read_figures(const char *db, const cli_run_slot *slots, size_t n_policies, size_t n_seeds, bool by_segment,
                        figures *f)
{
    *f = (figures){.n_policies = n_policies, .n_seeds = n_seeds, .n_metrics = dsim_metrics_n_defs};
    size_t per_run = f->n_metrics, n_runs = n_policies * n_seeds;
    f->all = calloc(n_runs * per_run, sizeof *f->all);
    f->segments = by_segment ? calloc((size_t)DSIM_MAX_SEGMENTS * n_runs * per_run, sizeof *f->segments) : NULL;
    dsim_run_segments *g = by_segment ? malloc(sizeof *g) : NULL;
    dsim_store *store = NULL;
    int rc = !f->all || (by_segment && (!f->segments || !g)) ? dsim_error_set(DSIM_ENOMEM, "out of memory")
                                                             : dsim_store_open_readonly(&store, db);
    for (size_t t = 0; t < n_runs && !rc; t++) {
        dsim_run_row row;
        if ((rc = dsim_store_run_get(store, slots[t].run_id, &row)))
            break;
        memcpy(&f->all[t * per_run], row.summary, per_run * sizeof(double));
        dsim_store_row_clear(&row);
        if (!by_segment || (rc = dsim_store_run_segments(store, slots[t].run_id, g)))
            continue;
        f->n_segments = g->n;
        for (int s = 0; s < g->n; s++) {
            dsim__strlcpy(f->names[s], g->name[s], sizeof f->names[s]);
            f->shares[s] = g->share[s];
            memcpy(&f->segments[((size_t)s * n_runs + t) * per_run], g->summary[s], per_run * sizeof(double));
        }
    }
    free(g);
    dsim_store_close(store);
    return rc;
}

/* ---- printing ------------------------------------------------------------------------------------------- */

/* The table's columns of one block of figures: (n_policies, n_seeds, n_columns) from (…, n_metrics). */
static void print_block(const run_options *r, dsim_policy_config **configs, const figures *f, const double *block)
{
    const char *names[MAX_POLICIES];
    double *values = cli_column_values(block, f->n_policies * f->n_seeds, f->n_metrics, r->metric, r->n_columns);
    if (!values)
        return;
    for (size_t p = 0; p < f->n_policies; p++)
        names[p] = configs[p]->name;
    cli_print_comparison(stdout, names, (int)f->n_policies, r->columns, r->n_columns, values, f->n_seeds);
    free(values);
}

static int by_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* "runs 1–8", "runs 3, 5–9": the ids sorted, so the line does not depend on the order the runs were made in. */
static void print_ids(const cli_run_slot *slots, size_t n, const char *db, int reused)
{
    int64_t *ids = malloc(n * sizeof *ids);
    if (!ids)
        return;
    for (size_t i = 0; i < n; i++)
        ids[i] = slots[i].run_id;
    qsort(ids, n, sizeof *ids, by_id);
    printf("stored as run%s ", n > 1 ? "s" : "");
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && ids[j + 1] == ids[j] + 1)
            j++;
        printf("%s%lld", i ? ", " : "", (long long)ids[i]);
        if (j > i)
            printf("–%lld", (long long)ids[j]);
        i = j + 1;
    }
    printf(" in %s", db);
    if (reused)
        printf(" (%d of them finished before and reused; --fresh runs them again)", reused);
    printf("\n");
    free(ids);
}

/* Does the table show the column named `name` (of known_columns)? */
static bool shows(const run_options *r, const char *name)
{
    for (int c = 0; c < r->n_columns; c++)
        if (strcmp(known_columns[r->known[c]].name, name) == 0)
            return true;
    return false;
}

static void print_table(const run_options *r, const dsim_scenario *sc, dsim_policy_config **configs, const figures *f)
{
    const char *objective = dsim_scenario_objective_name(sc->discounts.objective);
    const cli_study_options *o = &r->o;
    printf("scenario %s: %llu visits × %llu seed%s, objective %s%s\n\n", sc->name, (unsigned long long)r->horizon,
           o->seeds,
           o->seeds > 1 ? "s" : "", objective, o->seeds > 1 ? ", mean ± 95 % CI across seeds" : "");
    print_block(r, configs, f, f->all);
    size_t per_segment = f->n_policies * f->n_seeds * f->n_metrics;
    for (int s = 0; s < f->n_segments && o->by_segment; s++) {
        printf("\nsegment %s (%.1f %% of shoppers)\n", f->names[s], 100 * f->shares[s]);
        print_block(r, configs, f, f->segments + (size_t)s * per_segment);
    }
    if (o->by_segment)
        printf("\nsegments are the simulator's hidden truth: a shop cannot see them and no policy is told one.\n");
    /* what the shown columns mean, each said once */
    bool conv = shows(r, "conversion"), cvr = shows(r, "cvr"), regret = shows(r, "regret");
    printf("\n");
    if (conv || cvr)
        printf("%s%s%s\n", conv ? "conv.: purchases per visit" : "", conv && cvr ? "; " : "",
               cvr ? "CVR: purchases per click" : "");
    if (regret)
        printf("myopic regret: expected %s lost against the myopic oracle (the best level for each visit alone),\n"
               "summed over visits.\n",
               objective);
    if (shows(r, "lift") || shows(r, "delta"))
        printf("Δ objective: %s minus %s's on the same seeds (paired, common random numbers); lift: that Δ over\n"
               "%s's %s.\n",
               objective, configs[0]->name, configs[0]->name, objective);
    if (o->seeds < 5)
        printf("note: with %llu seed%s the intervals are wide (or absent); read the paired Δ column.\n", o->seeds,
               o->seeds > 1 ? "s" : "");
    if (dsim_scenario_has_memory(sc) && regret)
        printf("note: shoppers here remember (reference discounts move, or they churn): a policy that plans can\n"
               "beat the myopic oracle, so low myopic regret need not mean a high %s; judge by Δ objective.\n",
               objective);
}

/* One row per policy (and segment): every metric's mean and 95 % half-width, the paired Δ and lift. */
static void out_rows(cli_out *out, dsim_policy_config **configs, const figures *f, const char *segment,
                     const double *block /* (n_policies, n_seeds, n_metrics) */)
{
    int n_metrics = (int)f->n_metrics, reward = (int)metric_index("reward");
    for (size_t p = 0; p < f->n_policies; p++) {
        dsim_estimate e[f->n_metrics];
        for (int m = 0; m < n_metrics; m++)
            e[m] = cli_column_estimate(CLI_PLAIN, block, n_metrics, m, (int)p, f->n_seeds);
        dsim_estimate delta = cli_column_estimate(CLI_DELTA, block, n_metrics, reward, (int)p, f->n_seeds);
        dsim_estimate lift = cli_column_estimate(CLI_LIFT, block, n_metrics, reward, (int)p, f->n_seeds);
        cli_out_row_begin(out);
        cli_out_str(out, "segment", segment);
        cli_out_str(out, "policy", configs[p]->name);
        cli_out_int(out, "seeds", (long long)f->n_seeds);
        cli_out_estimates(out, e);
        cli_out_num(out, "delta_objective", delta.mean);
        cli_out_num(out, "delta_objective_ci95", delta.half_width);
        cli_out_num(out, "lift", lift.mean);
        cli_out_num(out, "lift_ci95", lift.half_width);
        cli_out_row_end(out);
    }
}

static void print_machine(const run_options *r, const dsim_scenario *sc, dsim_policy_config **configs,
                          const figures *f, const cli_run_slot *slots, int reused)
{
    cli_out *out = cli_out_begin(r->o.format, stdout, "run");
    if (!out)
        return;
    cli_out_str(out, "scenario", sc->name);
    cli_out_str(out, "objective", dsim_scenario_objective_name(sc->discounts.objective));
    cli_out_int(out, "visits", (long long)r->horizon);
    cli_out_int(out, "seeds", (long long)r->o.seeds);
    cli_out_int(out, "first_seed", (long long)sc->seed);
    cli_out_str(out, "db", r->o.output);
    cli_out_int(out, "reused", reused);
    if (r->o.by_segment)
        cli_out_str(out, "segments_note",
                    "segments are the simulator's hidden truth: a shop cannot see them, no policy is told one");
    cli_out_rows_begin(out, "runs", false);
    for (size_t t = 0; t < f->n_policies * f->n_seeds; t++) {
        cli_out_row_begin(out);
        cli_out_str(out, "policy", configs[t / f->n_seeds]->name);
        cli_out_int(out, "seed", (long long)(sc->seed + t % f->n_seeds));
        cli_out_int(out, "run", slots[t].run_id);
        cli_out_row_end(out);
    }
    cli_out_rows_end(out);
    cli_out_rows_begin(out, "rows", true);
    out_rows(out, configs, f, "all", f->all);
    size_t per_segment = f->n_policies * f->n_seeds * f->n_metrics;
    for (int s = 0; s < f->n_segments && r->o.by_segment; s++)
        out_rows(out, configs, f, f->names[s], f->segments + (size_t)s * per_segment);
    cli_out_rows_end(out);
    cli_out_end(out);
}

/* ---- the command ---------------------------------------------------------------------------------------- */

/* --plot OUT: the delta chart of the runs just made (the first policy the baseline). */
static int plot_runs(const char *db, const cli_run_slot *slots, size_t n, const char *out, bool say)
{
    int64_t *ids = malloc(n * sizeof *ids);
    dsim_figure *fig = calloc(1, sizeof *fig);
    dsim_store *store = NULL;
    int status = ids && fig ? cli_open_existing(db, &store) : EXIT_RUNTIME;
    for (size_t t = 0; ids && t < n; t++)
        ids[t] = slots[t].run_id;
    int rc = status ? DSIM_OK : dsim_chart_from_runs(store, ids, n, DSIM_PLOT_DELTA, fig);
    if (rc) {
        cli_error("run: --plot: %s", dsim_errmsg());
        status = EXIT_RUNTIME;
    }
    if (!status)
        status = cli_write_figure("run", fig, out);
    if (!status && say)
        printf("wrote %s (dsim plot delta)\n", out);
    dsim_store_close(store);
    dsim_figure_clear(fig);
    free(fig);
    free(ids);
    return status;
}

static void print_interrupted(const cli_run_slot *slots, size_t n, const char *db)
{
    size_t done = 0;
    for (size_t t = 0; t < n; t++)
        done += slots[t].state == CLI_RUN_DONE || slots[t].state == CLI_RUN_REUSED;
    for (size_t t = 0; t < n; t++)
        if (slots[t].state == CLI_RUN_INTERRUPTED)
            cli_error("interrupted; run %lld is marked interrupted in %s", (long long)slots[t].run_id, db);
    cli_error("%zu of %zu runs are done; the same command resumes (finished runs are reused)", done, n);
}

int cmd_run(int argc, char **argv)
{
    run_options r;
    int status = parse_options(argc, argv, &r);
    if (status)
        return status < 0 ? EXIT_OK : status;
    const cli_study_options *o = &r.o;
    dsim_scenario *sc = NULL;
    dsim_policy_config *configs[MAX_POLICIES] = {0};
    cli_run_slot *slots = NULL;
    figures f = {0};
    if (dsim_study_load(o->file, o->policies, o->n_policies, &sc, configs)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_USAGE;
        goto done;
    }
    dsim_store *store = NULL; /* made (or upgraded) here: a path that cannot be a database is bad input */
    int rc = dsim_store_open(&store, o->output);
    dsim_store_close(store);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        status = cli_exit_status(rc);
        goto done;
    }
    r.horizon = o->horizon ? o->horizon : dsim_scenario_horizon(sc);
    cli_run_plan plan = {
        .sc = sc, .configs = configs, .n_seeds = o->seeds, .n_tasks = (size_t)o->n_policies * o->seeds,
        .horizon = r.horizon, .options = DSIM_SIM_OPTIONS_INIT,
        .db = o->output, .jobs = o->jobs, .fresh = o->fresh, .progress = !o->quiet && isatty(STDERR_FILENO),
    };
    plan.options.visits = plan.horizon;
    plan.options.log_decisions = o->log_events;
    plan.options.ranking_threads = o->threads;
    slots = calloc(plan.n_tasks, sizeof *slots);
    if (!slots) {
        cli_error("out of memory");
        status = EXIT_RUNTIME;
        goto done;
    }
    int reused = 0;
    char error[600];
    status = cli_run_pool(&plan, slots, &reused, error, sizeof error);
    if (status == EXIT_INTERRUPTED) {
        print_interrupted(slots, plan.n_tasks, o->output);
        goto done;
    }
    if (status) {
        cli_error("%s", error);
        goto done;
    }
    if (read_figures(o->output, slots, (size_t)o->n_policies, o->seeds, o->by_segment, &f)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_RUNTIME;
        goto done;
    }
    if (o->format == CLI_TABLE) {
        print_table(&r, sc, configs, &f);
        print_ids(slots, plan.n_tasks, o->output, reused);
    } else {
        print_machine(&r, sc, configs, &f, slots, reused);
    }
    if (o->plot)
        status = plot_runs(o->output, slots, plan.n_tasks, o->plot, o->format == CLI_TABLE);
done:
    figures_clear(&f);
    free(slots);
    for (int p = 0; p < MAX_POLICIES; p++)
        dsim_policy_config_free(configs[p]);
    dsim_scenario_free(sc);
    return status;
}
