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
#include "cli/event_writer.h"
#include "dsim/error.h"
#include "dsim/rank.h"
#include "dsim/sim.h"
#include "dsim/store.h"

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
    {"avg_discount", "avg disc. %", 100, "%.2f"}, {"regret", "regret", 1, "%.0f"},
    {"reward", "Δ objective", 1, "%+.0f"}, /* paired difference to the first policy, same seeds */
};
#define DELTA_COLUMN (N_COLUMNS - 1)
#define N_COLUMNS (sizeof table_columns / sizeof table_columns[0])

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

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
            "  --threads N       threads of the ranking GEMM (default 1; the results do not depend on it)\n"
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

/* ---- progress ---------------------------------------------------------------------------------------- */

typedef struct {
    int enabled;
    int run, n_runs;
    double started, last_shown;
} progress;

static void progress_show(progress *p, const char *policy, uint64_t seed, uint64_t done, uint64_t total, int force)
{
    if (!p->enabled)
        return;
    double t = cli_now_seconds();
    if (!force && t - p->last_shown < 0.1)
        return;
    p->last_shown = t;
    double rate = done / fmax(t - p->started, 1e-9);
    fprintf(stderr, "\r\033[Krun %d/%d  %-16s seed %-6llu %5.1f%%  %.2f M visits/s", p->run, p->n_runs, policy,
            (unsigned long long)seed, 100.0 * (double)done / (double)total, rate / 1e6);
    fflush(stderr);
}

/* ---- one run ------------------------------------------------------------------------------------------ */

/* Simulate and store one (policy, seed) run. @return EXIT_OK, EXIT_RUNTIME or EXIT_INTERRUPTED. */
/* Advance n visits one at a time, logging each decision (a visit of a churned shopper decides nothing). */
static int advance_logging(dsim_sim *sim, cli_event_writer *writer, uint64_t n)
{
    dsim_visit_record r;
    int rc = DSIM_OK;
    for (uint64_t i = 0; i < n && rc == DSIM_OK; i++) {
        if ((rc = dsim_sim_advance(sim, 1)))
            return rc;
        dsim_sim_last_visit(sim, &r);
        if (r.lost || r.n_actions == 0)
            continue;
        dsim_log_event e = {.visit = r.visit,
                            .shopper = r.shopper,
                            .action = r.action.level,
                            .propensity = r.action.propensity,
                            .reward = r.outcome.reward,
                            .purchased = r.outcome.position >= 0,
                            .position = r.outcome.position,
                            .n_actions = r.n_actions};
        dsim_log_context_encode(&r.context, e.context);
        memcpy(e.distribution, r.distribution, sizeof(double) * (size_t)r.n_actions);
        rc = cli_event_writer_push(writer, &e);
    }
    return rc;
}

static int run_one(dsim_store *store, const dsim_scenario *sc, const dsim_policy_config *cfg, uint64_t seed,
                   uint64_t visits, bool log_events, progress *prog, dsim_metrics *final, int64_t *run_id)
{
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = visits;
    options.log_decisions = log_events;
    uint64_t horizon = visits ? visits : dsim_scenario_horizon(sc);
    int rc = dsim_store_run_begin(store, sc, cfg, seed, horizon, run_id);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        return EXIT_RUNTIME;
    }
    dsim_sim *sim = NULL;
    cli_event_writer *writer = NULL;
    if ((rc = dsim_sim_create(&sim, sc, cfg, seed, &options)) ||
        (log_events && (rc = cli_event_writer_start(&writer, store)))) {
        dsim_sim_free(sim);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", dsim_errmsg());
        dsim_store_run_end(store, DSIM_RUN_FAILED, NULL, msg);
        cli_error("%s", msg);
        return EXIT_RUNTIME;
    }
    uint64_t every = horizon / (uint64_t)sc->checkpoints;
    if (every == 0)
        every = 1;
    prog->started = cli_now_seconds();
    while (!interrupted &&
           (rc = log_events ? advance_logging(sim, writer, every) : dsim_sim_advance(sim, every)) == DSIM_OK) {
        dsim_sim_metrics(sim, final);
        if ((rc = dsim_store_series_add(store, dsim_sim_visits_done(sim), final)))
            break;
        progress_show(prog, cfg->name, seed, dsim_sim_visits_done(sim), horizon, 0);
    }
    dsim_sim_metrics(sim, final);
    dsim_sim_free(sim);
    int written = cli_event_writer_finish(writer); /* every queued event is in before the run ends */
    if (written && rc == DSIM_DONE)
        rc = written;
    if (interrupted) {
        dsim_store_run_end(store, DSIM_RUN_INTERRUPTED, final, "interrupted by a signal");
        return EXIT_INTERRUPTED;
    }
    if (rc != DSIM_DONE) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", dsim_errmsg());
        dsim_store_run_end(store, DSIM_RUN_FAILED, final, msg);
        cli_error("%s", msg);
        return EXIT_RUNTIME;
    }
    if (dsim_store_run_end(store, DSIM_RUN_DONE, final, NULL)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
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

static int load_inputs(const run_options *o, dsim_scenario **sc, dsim_policy_config **configs)
{
    char path[1024];
    int status = cli_find_file("scenarios", o->file, path, sizeof path);
    if (status)
        return status;
    if (dsim_scenario_load(sc, path) || dsim_ranker_check(*sc)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_USAGE;
    }
    for (int p = 0; p < o->n_policies; p++) {
        if ((status = cli_find_file("policies", o->policies[p], path, sizeof path)))
            return status;
        if (dsim_policy_config_load(&configs[p], path) || dsim_policy_config_check(configs[p], *sc)) {
            cli_error("%s", dsim_errmsg());
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    run_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_ranker_set_threads(o.threads);

    dsim_scenario *sc = NULL;
    dsim_policy_config *configs[MAX_POLICIES] = {0};
    dsim_store *store = NULL;
    double *values = NULL;
    int64_t first_run = 0, last_run = 0;
    if ((status = load_inputs(&o, &sc, configs)))
        goto done;
    values = calloc((size_t)o.n_policies * o.seeds * N_COLUMNS, sizeof *values);
    if (!values) {
        cli_error("out of memory");
        status = EXIT_RUNTIME;
        goto done;
    }
    if (dsim_store_open(&store, o.output)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_RUNTIME;
        goto done;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    progress prog = {.enabled = !o.quiet && isatty(STDERR_FILENO), .n_runs = o.n_policies * (int)o.seeds};
    for (int p = 0; p < o.n_policies && !status; p++) {
        for (uint64_t s = 0; s < o.seeds && !status; s++) {
            uint64_t seed = sc->seed + s;
            dsim_metrics m;
            int64_t run_id;
            prog.run++;
            status = run_one(store, sc, configs[p], seed, o.horizon, o.log_events, &prog, &m, &run_id);
            if (!first_run)
                first_run = run_id;
            last_run = run_id;
            for (size_t c = 0; c < N_COLUMNS; c++)
                values[((size_t)p * o.seeds + s) * N_COLUMNS + c] = dsim_metric_find(table_columns[c].metric)->value(&m);
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
           o.seeds, o.seeds > 1 ? "s" : "", dsim_objective_name(sc->discounts.objective),
           o.seeds > 1 ? ", mean ± 95 % CI across seeds" : "");
    print_table(&o, configs, values);
    printf("\nregret: expected %s lost against the myopic oracle, summed over visits.\n"
           "Δ objective: %s minus %s's on the same seeds (paired, common random numbers).\n",
           dsim_objective_name(sc->discounts.objective), dsim_objective_name(sc->discounts.objective), configs[0]->name);
    printf("stored as runs %lld–%lld in %s\n", (long long)first_run, (long long)last_run, o.output);
done:
    dsim_store_close(store);
    free(values);
    for (int p = 0; p < MAX_POLICIES; p++)
        dsim_policy_config_free(configs[p]);
    dsim_scenario_free(sc);
    return status;
}
