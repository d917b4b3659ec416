/*
 * cmd_list.c — `dsim list`: the runs in a result database, one line each.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/store.h"

int cli_parse_db_options(int argc, char **argv, const char *usage, const char **db, cli_format *format, char **args,
                         int max_args, int *n_args)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"format", required_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    *db = DEFAULT_DB;
    if (format)
        *format = CLI_TABLE;
    *n_args = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'd') {
            *db = optarg;
        } else if (c == 'f' && format) {
            if (cli_parse_format(argv[0], optarg, format))
                return EXIT_USAGE;
        } else if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        } else if (c == '?' && isdigit((unsigned char)argv[optind - 1][1])) { /* `show -1`: a number, not an option */
            cli_error("%s: expected a run number (a whole number from dsim list), got '%s'", argv[0],
                      argv[optind - 1]);
            return EXIT_USAGE;
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

int cli_open_existing(const char *db, dsim_store **store)
{
    int rc = dsim_store_open_readonly(store, db);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        return cli_exit_status(rc); /* no database, or not a database: bad input */
    }
    return EXIT_OK;
}

static const char list_usage[] =
    "usage: dsim list [--scenario NAME] [--policy NAME] [--source run|sweep|dash] [--status STATUS] [--db FILE]\n"
    "                 [--format table|csv|json]\n\n"
    "Lists the runs stored in the result database (default " DEFAULT_DB "), oldest first, with where each came\n"
    "from: `run` (dsim run), `sweep` (a sweep's cell) or `dash` (a dashboard snapshot); `live` marks a run\n"
    "whose market or parameters were changed while it ran, and a snapshot shows its visits of those planned.\n\n"
    "  --scenario NAME   only runs of this scenario\n"
    "  --policy NAME     only runs of this policy\n"
    "  --source SOURCE   only runs from run, sweep or dash\n"
    "  --status STATUS   only runs that are running, done, failed or interrupted\n"
    "  --format F        table (default); csv or json: every field of each run and its summary's metrics,\n"
    "                    numbers in full (docs/output.md)\n\n"
    "example:\n  dsim list --scenario default --source run --status done\n";

/* Is `value` one of `words`? If not, say so, with the nearest word. */
static bool one_of(const char *option, const char *value, const char *const *words, size_t n, const char *expected)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(value, words[i]) == 0)
            return true;
    const char *near = dsim__nearest(value, words, n);
    cli_error("list: --%s: expected %s, got '%s'%s%s%s", option, expected, value, near ? " (did you mean '" : "",
              near ? near : "", near ? "'?)" : "");
    return false;
}

static int parse_list_options(int argc, char **argv, const char **db, dsim_run_filter *filter, cli_format *format)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"scenario", required_argument, NULL, 'c'},
                                             {"policy", required_argument, NULL, 'p'},
                                             {"source", required_argument, NULL, 's'},
                                             {"status", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"format", required_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    static const char *const statuses[] = {"running", "done", "failed", "interrupted"};
    const char *sources[DSIM_SOURCE_COUNT];
    for (int i = 0; i < DSIM_SOURCE_COUNT; i++)
        sources[i] = dsim_store_source_name((dsim_run_source)i);
    *db = DEFAULT_DB;
    *filter = (dsim_run_filter){0};
    *format = CLI_TABLE;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': *db = optarg; break;
        case 'c': filter->scenario = optarg; break;
        case 'p': filter->policy = optarg; break;
        case 's':
            if (!one_of("source", optarg, sources, DSIM_SOURCE_COUNT, "run, sweep or dash"))
                return EXIT_USAGE;
            filter->source = optarg;
            break;
        case 't':
            if (!one_of("status", optarg, statuses, 4, "running, done, failed or interrupted"))
                return EXIT_USAGE;
            filter->status = optarg;
            break;
        case 'f':
            if (cli_parse_format("list", optarg, format))
                return EXIT_USAGE;
            break;
        case 'h': fputs(list_usage, stdout); return -1;
        default:
            cli_error("list: %s '%s'", c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
            fputs(list_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        cli_error("list: unexpected argument '%s'", argv[optind]);
        fputs(list_usage, stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

void cli_out_run(cli_out *o, const dsim_run_row *r)
{
    cli_out_int(o, "run", r->id);
    cli_out_str(o, "scenario", r->scenario_name);
    cli_out_str(o, "policy", r->policy_name);
    cli_out_str(o, "policy_type", r->policy_type);
    cli_out_int(o, "seed", (long long)r->seed);
    cli_out_int(o, "horizon", (long long)r->visits);
    cli_out_int(o, "planned_visits", (long long)r->planned_visits);
    cli_out_str(o, "objective", r->objective);
    cli_out_str(o, "status", r->status);
    cli_out_str(o, "source", r->source);
    cli_out_bool(o, "changed_live", r->changed_live);
    cli_out_str(o, "created", r->created);
    cli_out_str(o, "finished", *r->finished ? r->finished : NULL);
    cli_out_str(o, "dsim_version", r->dsim_version);
}

static void list_machine(cli_format format, const char *db, const dsim_run_row *rows, size_t n)
{
    cli_out *o = cli_out_begin(format, stdout, "list");
    if (!o)
        return;
    cli_out_str(o, "db", db);
    cli_out_rows_begin(o, "runs", true);
    for (size_t i = 0; i < n; i++) {
        const dsim_run_row *r = &rows[i];
        cli_out_row_begin(o);
        cli_out_run(o, r);
        double none[32];
        for (size_t m = 0; m < dsim_metrics_n_defs; m++)
            none[m] = NAN;
        cli_out_metrics(o, r->has_summary ? r->summary : none);
        cli_out_row_end(o);
    }
    cli_out_rows_end(o);
    cli_out_end(o);
}

int cmd_list(int argc, char **argv)
{
    const char *db;
    dsim_run_filter filter;
    cli_format format;
    int status = parse_list_options(argc, argv, &db, &filter, &format);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_store *store = NULL;
    if ((status = cli_open_existing(db, &store)))
        return status;
    dsim_run_row *rows = NULL;
    size_t n = 0;
    if (dsim_store_runs(store, &filter, &rows, &n)) {
        cli_error("%s", dsim_errmsg());
        dsim_store_close(store);
        return EXIT_RUNTIME;
    }
    if (format != CLI_TABLE) {
        list_machine(format, db, rows, n);
        dsim_store_rows_free(rows, n);
        dsim_store_close(store);
        return EXIT_OK;
    }
    size_t reward = 0;
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        if (strcmp(dsim_metrics_defs[i].name, "reward") == 0)
            reward = i;
    printf("%5s  %-20s  %-11s  %-10s  %-16s  %-16s  %8s  %17s  %-11s  %14s\n", "run", "created", "status", "source",
           "scenario", "policy", "seed", "visits", "objective", "total");
    for (size_t i = 0; i < n; i++) {
        const dsim_run_row *r = &rows[i];
        char total[32] = "-";
        if (r->has_summary)
            snprintf(total, sizeof total, "%.2f", r->summary[reward]);
        char source[16], visits[48];
        snprintf(source, sizeof source, "%s%s", r->source, r->changed_live ? " live" : "");
        if (r->planned_visits && r->planned_visits != r->visits)
            snprintf(visits, sizeof visits, "%llu/%llu", (unsigned long long)r->visits,
                     (unsigned long long)r->planned_visits);
        else
            snprintf(visits, sizeof visits, "%llu", (unsigned long long)r->visits);
        printf("%5lld  %-20s  %-11s  %-10s  %-16s  %-16s  %8llu  %17s  %-11s  %14s\n", (long long)r->id, r->created,
               r->status, source, r->scenario_name, r->policy_name, (unsigned long long)r->seed, visits, r->objective,
               total);
    }
    if (n == 0)
        printf(filter.scenario || filter.policy || filter.source || filter.status ? "(no runs match)\n" : "(no runs)\n");
    dsim_store_rows_free(rows, n);
    dsim_store_close(store);
    return EXIT_OK;
}
