/*
 * cmd_run.c — `dsim run`: run each policy on the same seeds of a scenario, store every run, and print a
 * comparison table with 95 % confidence intervals across seeds.
 *
 * Everything the command reads is checked before the database is opened, so bad input writes nothing.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dsim/error.h"
#include "dsim/rank.h"
#include "dsim/sim.h"
#include "dsim/store.h"
#include "dsim/study.h"

#define MAX_POLICIES CLI_MAX_POLICIES
#define MAX_SEEDS 1000

static const char *const default_policies[] = {"none", "fixed10", "thompson", "oracle", NULL};

/* Columns of the comparison table, by metric name. */
static const struct {
    const char *metric, *head;
    double scale; /* shown value = metric × scale */
    const char *format;
} table_columns[] = {
    {"conversion", "conversion %", 100, "%.3f"}, {"revenue", "revenue", 1, "%.0f"},
    {"profit", "profit", 1, "%.0f"},             {"discount_spend", "disc. spend", 1, "%.0f"},
    {"avg_discount", "avg disc. %", 100, "%.2f"}, {"regret", "myopic regret", 1, "%.0f"},
    {"reward", "Δ objective", 1, "%+.0f"}, /* paired difference to the first policy, same seeds */
};
#define DELTA_COLUMN (N_COLUMNS - 1)
#define N_COLUMNS (sizeof table_columns / sizeof table_columns[0])

typedef cli_study_options run_options; /* file: the scenario, horizon: visits, output: the database */

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: dsim run SCENARIO [-p POLICY]... [--visits N] [--seeds K] [--db FILE] [--log-events]\n"
            "                [--threads N] [--quiet]\n\n"
            "Runs each policy on seeds seed..seed+K-1 of SCENARIO (common random numbers: every policy meets the\n"
            "same shoppers in the same order), stores every run in the database and prints a comparison table\n"
            "with 95 %% confidence intervals across seeds.\n\n"
            "  SCENARIO          a scenario file, or the NAME of scenarios/NAME.ini\n"
            "  -p, --policy P    a policy file, or the NAME of policies/NAME.ini (repeatable);\n"
            "                    default: none, fixed10, thompson, oracle\n"
            "  --visits N        horizon in visits (default: the scenario's)\n"
            "  --seeds K         number of seeds (default 1)\n"
            "  --db FILE         result database (default %s)\n"
            "  --log-events      store every decision (context, level, propensity, the policy's distribution,\n"
            "                    reward) in the events table, for offline evaluation (dsim ope, export-log)\n"
            "  --threads N       threads ranking each batch (default 1; the same bits for any N: dsim splits the\n"
            "                    work into fixed tiles; it helps with catalogs over 4096 items)\n"
            "  -q, --quiet       no progress line\n\n"
            "example:\n  dsim run default -p none -p thompson --seeds 5 --visits 100000\n",
            DEFAULT_DB);
}

static int parse_options(int argc, char **argv, run_options *o)
{
    static const cli_study_spec spec = {
        .command = "run", .missing = "a SCENARIO", .one = "one SCENARIO", .horizon = "visits", .output = "db",
        .max_seeds = MAX_SEEDS, .default_policies = default_policies, .threads = 1, .log_events = 1,
        .usage = run_usage,
    };
    int status = cli_parse_study_options(argc, argv, &spec, o);
    if (!o->output)
        o->output = DEFAULT_DB;
    return status;
}


/* ---- the comparison table ------------------------------------------------------------------------------ */

static void print_table(const run_options *o, dsim_policy_config **configs, const double *values /* (p, seed, col) */)
{
    const char *names[MAX_POLICIES];
    cli_column columns[N_COLUMNS];
    for (int p = 0; p < o->n_policies; p++)
        names[p] = configs[p]->name;
    for (size_t c = 0; c < N_COLUMNS; c++)
        columns[c] = (cli_column){table_columns[c].head, table_columns[c].format, table_columns[c].scale,
                                  c == DELTA_COLUMN};
    cli_print_comparison(names, o->n_policies, columns, (int)N_COLUMNS, values, o->seeds);
}

/* ---- the command ---------------------------------------------------------------------------------------- */

int cmd_run(int argc, char **argv)
{
    run_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = o.horizon;
    options.log_decisions = o.log_events;
    options.ranking_threads = o.threads;

    dsim_scenario *sc = NULL;
    dsim_policy_config *configs[MAX_POLICIES] = {0};
    dsim_store *store = NULL;
    double *values = NULL;
    int64_t first_run = 0, last_run = 0;
    if (dsim_study_load(o.file, o.policies, o.n_policies, &sc, configs)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_USAGE;
        goto done;
    }
    values = calloc((size_t)o.n_policies * o.seeds * N_COLUMNS, sizeof *values);
    if (!values) {
        cli_error("out of memory");
        status = EXIT_RUNTIME;
        goto done;
    }
    int rc = dsim_store_open(&store, o.output);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        status = cli_exit_status(rc); /* a path that cannot be a database is bad input */
        goto done;
    }

    cli_catch_interrupts();
    cli_progress prog = {.enabled = !o.quiet && isatty(STDERR_FILENO), .n_runs = o.n_policies * (int)o.seeds};
    for (int p = 0; p < o.n_policies && !status; p++) {
        for (uint64_t s = 0; s < o.seeds && !status; s++) {
            uint64_t seed = sc->seed + s;
            dsim_metrics m;
            int64_t run_id;
            prog.run++;
            status = cli_run_one(store, sc, configs[p], seed, &options, &prog, &m, &run_id);
            if (!first_run)
                first_run = run_id;
            last_run = run_id;
            for (size_t c = 0; c < N_COLUMNS; c++)
                values[((size_t)p * o.seeds + s) * N_COLUMNS + c] = dsim_metrics_find(table_columns[c].metric)->value(&m);
        }
    }
    if (prog.enabled)
        fprintf(stderr, "\r\033[K");
    if (status == EXIT_INTERRUPTED) {
        cli_error("interrupted; run %lld is marked interrupted in %s", (long long)last_run, o.output);
        goto done;
    }
    if (status)
        goto done;

    uint64_t horizon = o.horizon ? o.horizon : dsim_scenario_horizon(sc);
    printf("scenario %s: %llu visits × %llu seed%s, objective %s%s\n\n", sc->name, (unsigned long long)horizon,
           o.seeds, o.seeds > 1 ? "s" : "", dsim_scenario_objective_name(sc->discounts.objective),
           o.seeds > 1 ? ", mean ± 95 % CI across seeds" : "");
    print_table(&o, configs, values);
    printf("\nmyopic regret: expected %s lost against the myopic oracle (the best level for each visit alone),\n"
           "summed over visits.\n"
           "Δ objective: %s minus %s's on the same seeds (paired, common random numbers).\n",
           dsim_scenario_objective_name(sc->discounts.objective), dsim_scenario_objective_name(sc->discounts.objective), configs[0]->name);
    if (dsim_scenario_has_memory(sc))
        printf("note: shoppers here remember (reference discounts move, or they churn): a policy that plans can\n"
               "beat the myopic oracle, so low myopic regret need not mean a high %s; judge by Δ objective.\n",
               dsim_scenario_objective_name(sc->discounts.objective));
    if (first_run == last_run)
        printf("stored as run %lld in %s\n", (long long)first_run, o.output);
    else
        printf("stored as runs %lld–%lld in %s\n", (long long)first_run, (long long)last_run, o.output);
done:
    dsim_store_close(store);
    free(values);
    for (int p = 0; p < MAX_POLICIES; p++)
        dsim_policy_config_free(configs[p]);
    dsim_scenario_free(sc);
    return status;
}
