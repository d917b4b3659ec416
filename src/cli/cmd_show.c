/*
 * cmd_show.c — `dsim show RUN`: one run's summary, the discount levels it gave, and its configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/store.h"


static const char show_usage[] = "usage: dsim show RUN [--db FILE]\n\n"
                                 "Shows run RUN (a number from `dsim list`): its final metrics, how often each\n"
                                 "discount level was given, and the scenario and policy files it ran with.\n\n"
                                 "example:\n  dsim show 3\n";

/* Money and counts in fixed notation (1527870.42, not 1.52787e+06); ratios to six significant digits. */
static const char *format_metric(const dsim_metric_def *def, double value, char *text, size_t n)
{
    static const char *const counts[] = {"visits", "clicks", "purchases", "shoppers"};
    const char *format = "%.6g";
    if (strcmp(def->unit, "currency") == 0 || strncmp(def->unit, "objective", 9) == 0)
        format = "%.2f";
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (strcmp(def->unit, counts[i]) == 0)
            format = "%.0f";
    snprintf(text, n, format, value);
    return text;
}

static int print_change(int seq, uint64_t visit, const char *change, void *data)
{
    (void)seq, (void)data;
    printf("  at visit %llu: %s\n", (unsigned long long)visit, change);
    return 0;
}

/* Where the run came from, so that a snapshot or a run changed live is not taken for an ordinary run. */
static void print_origin(dsim_store *store, const dsim_run_row *r)
{
    printf("source %s", r->source);
    if (strcmp(r->source, "dash") == 0 && r->planned_visits)
        printf(" (a dashboard snapshot after %llu of %llu planned visits)", (unsigned long long)r->visits,
               (unsigned long long)r->planned_visits);
    else if (strcmp(r->source, "dash") == 0)
        printf(" (a dashboard snapshot; the visits planned were not recorded)");
    else if (r->planned_visits && r->planned_visits != r->visits)
        printf("; planned %llu visits", (unsigned long long)r->planned_visits);
    printf("\n");
    if (r->changed_live) {
        printf("changed live (its figures mix markets or parameters):\n");
        dsim_store_changes_each(store, r->id, print_change, NULL);
    }
}

int cmd_show(int argc, char **argv)
{
    const char *db;
    char *args[1];
    int n_args;
    int status = cli_parse_db_options(argc, argv, show_usage, &db, args, 1, &n_args);
    if (status)
        return status < 0 ? EXIT_OK : status;
    unsigned long long id;
    if (n_args != 1 || !dsim__parse_u64(args[0], &id)) {
        cli_error("show: expected a run number (see dsim list), got '%s'", n_args ? args[0] : "");
        return EXIT_USAGE;
    }
    dsim_store *store = NULL;
    if ((status = cli_open_existing(db, &store)))
        return status;
    dsim_run_row r;
    int rc = dsim_store_run_get(store, (int64_t)id, &r);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        dsim_store_close(store);
        return rc == DSIM_ENOTFOUND ? EXIT_USAGE : EXIT_RUNTIME;
    }
    printf("run %lld: %s on %s, seed %llu, %llu visits, objective %s\n", (long long)r.id, r.policy_name,
           r.scenario_name, (unsigned long long)r.seed, (unsigned long long)r.visits, r.objective);
    printf("status %s; created %s, finished %s; dsim %s\n", r.status, r.created, *r.finished ? r.finished : "-",
           r.dsim_version);
    print_origin(store, &r);
    if (r.error)
        printf("error: %s\n", r.error);
    if (r.has_summary) {
        printf("\nsummary\n");
        char value[64];
        for (size_t i = 0; i < dsim_metrics_n_defs; i++)
            printf("  %-22s %16s  %s\n", dsim_metrics_defs[i].name,
                   format_metric(&dsim_metrics_defs[i], r.summary[i], value, sizeof value), dsim_metrics_defs[i].unit);
    }
    if (r.n_levels) {
        uint64_t total = 0;
        for (int l = 0; l < r.n_levels; l++)
            total += r.level_visits[l];
        printf("\ndiscount levels given\n");
        for (int l = 0; l < r.n_levels; l++)
            printf("  %5.1f %%  %10llu visits  %5.1f %%\n", r.level_percent[l], (unsigned long long)r.level_visits[l],
                   total ? 100.0 * (double)r.level_visits[l] / (double)total : 0.0);
    }
    printf("\npolicy %s (type %s)\n%s\n", r.policy_name, r.policy_type, r.policy_text ? r.policy_text : "(defaults)");
    printf("scenario %s\n%s\n", r.scenario_name, r.scenario_text ? r.scenario_text : "");
    dsim_store_row_clear(&r);
    dsim_store_close(store);
    return EXIT_OK;
}
