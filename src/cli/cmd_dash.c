/*
 * cmd_dash.c — `dsim dash SCENARIO [-p POLICY]... [--visits N] [--db FILE]` and `dsim dash --db FILE
 * [RUN...]`: parse, load and check everything, refuse anything but a terminal, then hand over to the
 * dashboard (src/cli/dash/), live or replaying stored runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/dash/dash.h"
#include "dsim/error.h"
#include "dsim/study.h"
#include "core/text.h"
#include "dsim/rank.h"
#include "dsim/store.h"

static const char *const default_policies[] = {"none", "fixed10", "thompson", "linucb", NULL};

static void dash_usage(FILE *out)
{
    fprintf(out,
            "usage: dsim dash SCENARIO [-p POLICY]... [--visits N] [--seeds K] [--db FILE]\n"
            "       dsim dash --db FILE [RUN]...      (stored runs, read only; default: every finished run)\n\n"
            "Runs the policies live on seeds of SCENARIO (common random numbers) and shows them compete: a\n"
            "table, a chart of the cumulative objective, the state of the run; keys pause, step, change the\n"
            "speed and trigger the scenario's shocks (press ? for all). On quit the runs so far are stored.\n"
            "Needs a terminal; for batch work use dsim run.\n\n"
            "  -p, --policy P    a policy file or NAME (repeatable, up to %d); default: none, fixed10,\n"
            "                    thompson, linucb\n"
            "  --visits N        horizon (default: the scenario's)\n"
            "  --seeds K         run seeds seed … seed+K−1 of every policy (up to %d): the table shows\n"
            "                    means with 95 %% intervals, the chart the means\n"
            "  --db FILE         where the snapshot is stored (default " DEFAULT_DB ")\n\n"
            "example:\n  dsim dash competitor_sale -p fixed10 -p thompson\n",
            DASH_MAX_POLICIES, DASH_MAX_SEEDS);
}

/* `dsim dash --db FILE [RUN...]`: every argument but --db's value a run number (or none at all). */
static bool replay_request(int argc, char **argv, const char **db, int64_t *runs, int *n_runs)
{
    *db = NULL;
    *n_runs = 0;
    for (int i = 1; i < argc; i++) {
        unsigned long long id;
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            *db = argv[++i];
        else if (dsim__parse_u64(argv[i], &id) && *n_runs < DASH_MAX_POLICIES)
            runs[(*n_runs)++] = (int64_t)id;
        else
            return false;
    }
    return *db != NULL;
}

static int replay(const char *db, int64_t *runs, int n_runs)
{
    dsim_store *store = NULL;
    int status = cli_open_existing(db, &store);
    if (status)
        return status;
    if (n_runs == 0) { /* every finished run, up to the dashboard's limit */
        dsim_run_row *rows = NULL;
        size_t n = 0;
        if (dsim_store_runs(store, NULL, &rows, &n) == DSIM_OK)
            for (size_t i = 0; i < n && n_runs < DASH_MAX_POLICIES; i++)
                if (rows[i].has_summary)
                    runs[n_runs++] = rows[i].id;
        dsim_store_rows_free(rows, n);
    }
    dash_view *v = malloc(sizeof *v); /* large (the series): not on the stack */
    dsim_scenario *sc = NULL;
    dsim_policy_config *configs[DASH_MAX_POLICIES] = {0};
    int rc = !v       ? dsim_error_set(DSIM_ENOMEM, "out of memory")
             : n_runs ? dash_replay(store, db, runs, n_runs, v, &sc, configs)
                      : dsim_error_set(DSIM_ENOTFOUND, "%s: no finished run to show", db);
    dsim_store_close(store);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        status = rc == DSIM_ENOTFOUND ? EXIT_USAGE : EXIT_RUNTIME;
    } else {
        status = dash_show(v, db);
    }
    free(v);
    for (int p = 0; p < DASH_MAX_POLICIES; p++)
        dsim_policy_config_free(configs[p]);
    dsim_scenario_free(sc);
    return status;
}

int cmd_dash(int argc, char **argv)
{
    const char *replay_db;
    int64_t runs[DASH_MAX_POLICIES];
    int n_runs;
    if (replay_request(argc, argv, &replay_db, runs, &n_runs)) {
        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
            cli_error("dash: needs a terminal (stdin and stdout); to read stored runs without one use dsim show");
            return EXIT_USAGE;
        }
        return replay(replay_db, runs, n_runs);
    }
    static const cli_study_spec spec = {
        .command = "dash", .missing = "a SCENARIO", .one = "one SCENARIO", .horizon = "visits", .output = "db",
        .max_seeds = DASH_MAX_SEEDS, .default_policies = default_policies, .usage = dash_usage,
    };
    cli_study_options o;
    int status = cli_parse_study_options(argc, argv, &spec, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        cli_error("dash: needs a terminal (stdin and stdout); for runs without one use dsim run");
        return EXIT_USAGE;
    }
    if (o.n_policies > DASH_MAX_POLICIES) {
        cli_error("dash: at most %d policies", DASH_MAX_POLICIES);
        return EXIT_USAGE;
    }
    dsim_scenario *sc = NULL;
    dsim_policy_config *configs[DASH_MAX_POLICIES] = {0};
    dash_shared *shared = NULL;
    if (dsim_study_load(o.file, o.policies, o.n_policies, &sc, configs)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_USAGE;
    } else if (!(shared = calloc(1, sizeof *shared))) { /* large (the series): not on the stack */
        cli_error("out of memory");
        status = EXIT_RUNTIME;
    } else {
        dash_view *v = &shared->view;
        v->sc = sc; /* the rest zero, from calloc */
        v->n_policies = o.n_policies;
        for (int p = 0; p < o.n_policies; p++)
            v->mark[p] = p;
        v->seed = sc->seed;
        v->n_seeds = (int)o.seeds;
        v->horizon = o.horizon ? o.horizon : dsim_scenario_horizon(sc);
        v->every = v->horizon / 400 ? v->horizon / 400 : 1;
        memcpy(v->configs, configs, sizeof configs);
        shared->controls = (dash_controls){.speed = 100, .selected = -1};
    }
    if (!status) {
        pthread_mutex_init(&shared->lock, NULL);
        status = dash_run(shared, o.output ? o.output : DEFAULT_DB);
        pthread_mutex_destroy(&shared->lock);
    }
    for (int p = 0; p < o.n_policies; p++)
        dsim_policy_config_free(configs[p]);
    free(shared);
    dsim_scenario_free(sc);
    return status;
}
