/*
 * cmd_list.c — `dsim list`: the runs in a result database, one line each.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/store.h"

int cli_parse_db_options(int argc, char **argv, const char *usage, const char **db, char **args, int max_args,
                         int *n_args)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    *db = DEFAULT_DB;
    *n_args = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'd') {
            *db = optarg;
        } else if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        } else {
            cli_error("%s: %s '%s'", argv[0], c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    for (; optind < argc; optind++) {
        if (*n_args == max_args) {
            cli_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
        args[(*n_args)++] = argv[optind];
    }
    return EXIT_OK;
}

/* Opening for reading must not create a database where there was none. */
int cli_open_existing(const char *db, dsim_store **store)
{
    if (access(db, F_OK) != 0) {
        cli_error("no result database at %s (run `dsim run` first, or give --db FILE)", db);
        return EXIT_USAGE;
    }
    int rc = dsim_store_open(store, db);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        return cli_exit_status(rc); /* not a database: bad input */
    }
    return EXIT_OK;
}

bool cli_split_run(const char *spec, char *db, size_t n, long long *run)
{
    const char *colon = strrchr(spec, ':');
    unsigned long long id;
    if (!colon || colon == spec || !dsim__parse_u64(colon + 1, &id))
        return false;
    snprintf(db, n, "%.*s", (int)(colon - spec), spec);
    *run = (long long)id;
    return true;
}

static const char list_usage[] = "usage: dsim list [--db FILE]\n\n"
                                 "Lists the runs stored in the result database (default " DEFAULT_DB ").\n\n"
                                 "example:\n  dsim list --db results/study.db\n";

int cmd_list(int argc, char **argv)
{
    const char *db;
    int n_args;
    int status = cli_parse_db_options(argc, argv, list_usage, &db, NULL, 0, &n_args);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_store *store = NULL;
    if ((status = cli_open_existing(db, &store)))
        return status;
    dsim_run_row *rows = NULL;
    size_t n = 0;
    if (dsim_store_runs(store, &rows, &n)) {
        cli_error("%s", dsim_errmsg());
        dsim_store_close(store);
        return EXIT_RUNTIME;
    }
    size_t reward = 0;
    for (size_t i = 0; i < dsim_n_metric_defs; i++)
        if (strcmp(dsim_metric_defs[i].name, "reward") == 0)
            reward = i;
    printf("%5s  %-20s  %-11s  %-16s  %-16s  %8s  %10s  %-11s  %14s\n", "run", "created", "status", "scenario", "policy",
           "seed", "visits", "objective", "total");
    for (size_t i = 0; i < n; i++) {
        const dsim_run_row *r = &rows[i];
        char total[32] = "-";
        if (r->has_summary)
            snprintf(total, sizeof total, "%.2f", r->summary[reward]);
        printf("%5lld  %-20s  %-11s  %-16s  %-16s  %8llu  %10llu  %-11s  %14s\n", (long long)r->id, r->created, r->status,
               r->scenario_name, r->policy_name, (unsigned long long)r->seed, (unsigned long long)r->visits,
               r->objective, total);
    }
    if (n == 0)
        printf("(no runs)\n");
    dsim_store_rows_free(rows, n);
    dsim_store_close(store);
    return EXIT_OK;
}
