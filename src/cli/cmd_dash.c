/*
 * cmd_dash.c — `dsim dash SCENARIO [-p POLICY]... [--visits N] [--db FILE]`: parse, load and check
 * everything, refuse anything but a terminal, then hand over to the dashboard (src/dash/).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dash/dash.h"
#include "dsim/error.h"
#include "dsim/rank.h"

static const char *const default_policies[] = {"none", "fixed10", "thompson", "linucb", NULL};

static void dash_usage(FILE *out)
{
    fprintf(out,
            "usage: dsim dash SCENARIO [-p POLICY]... [--visits N] [--db FILE]\n\n"
            "Runs the policies live on one seed of SCENARIO (common random numbers) and shows them compete: a\n"
            "table, a chart of the cumulative objective, the state of the run; keys pause, step, change the\n"
            "speed and trigger the scenario's shocks (press ? for all). On quit the runs so far are stored.\n"
            "Needs a terminal; for batch work use dsim run.\n\n"
            "  -p, --policy P    a policy file or NAME (repeatable, up to %d); default: none, fixed10,\n"
            "                    thompson, linucb\n"
            "  --visits N        horizon (default: the scenario's)\n"
            "  --db FILE         where the snapshot is stored (default " DEFAULT_DB ")\n\n"
            "example:\n  dsim dash competitor_sale -p fixed10 -p thompson\n",
            DASH_MAX_POLICIES);
}

int cmd_dash(int argc, char **argv)
{
    static const cli_study_spec spec = {
        .command = "dash", .missing = "a SCENARIO", .one = "one SCENARIO", .horizon = "visits", .output = "db",
        .max_seeds = 1, .default_policies = default_policies, .usage = dash_usage,
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
    char path[1024];
    dsim_scenario *sc = NULL;
    if ((status = cli_find_file("scenarios", o.file, path, sizeof path)))
        return status;
    if (dsim_scenario_load(&sc, path) || dsim_ranker_check(sc)) {
        cli_error("%s", dsim_errmsg());
        dsim_scenario_free(sc);
        return EXIT_USAGE;
    }
    dash_shared s = {.sc = sc, .n_policies = o.n_policies, .seed = sc->seed, .speed = 100, .shock = -1, .every = 1};
    s.horizon = o.horizon ? o.horizon : dsim_scenario_horizon(sc);
    s.outside_utility = sc->behaviour.outside_utility;
    s.every = s.horizon / 400 ? s.horizon / 400 : 1;
    dsim_policy_config *configs[DASH_MAX_POLICIES] = {0};
    for (int p = 0; p < o.n_policies && !status; p++) {
        if ((status = cli_find_file("policies", o.policies[p], path, sizeof path)))
            break;
        if (dsim_policy_config_load(&configs[p], path) || dsim_policy_config_check(configs[p], sc)) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_USAGE;
        }
        s.configs[p] = configs[p];
    }
    if (!status) {
        pthread_mutex_init(&s.lock, NULL);
        status = dash_run(&s, o.output ? o.output : DEFAULT_DB);
        pthread_mutex_destroy(&s.lock);
    }
    for (int p = 0; p < o.n_policies; p++)
        dsim_policy_config_free(configs[p]);
    dsim_scenario_free(sc);
    return status;
}
