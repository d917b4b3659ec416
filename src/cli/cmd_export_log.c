/*
 * cmd_export_log.c — `dsim export-log DB:RUN --csv FILE`: a run's logged decisions in dsim's CSV log format
 * (README, "Logged feedback"), for other tools or for `dsim ope --log FILE`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/error.h"
#include "dsim/store.h"

static const char export_usage[] =
    "usage: dsim export-log DB:RUN --csv FILE\n\n"
    "Writes the decisions of run RUN of database DB (made with dsim run --log-events) as a CSV log: visit,\n"
    "shopper, the context columns, action (the level's index), discount_percent (the level), propensity,\n"
    "reward, purchased, bought_position (the slate position bought from, numbered from 1; empty: none).\n\n"
    "example:\n  dsim export-log results/dsim.db:3 --csv run3.csv\n";

typedef struct {
    FILE *f;
    const char *path;
    int n_levels;
    const double *level_percent;
} csv_out;

static int write_event(const dsim_log_event *e, void *data)
{
    const csv_out *out = data;
    FILE *f = out->f;
    fprintf(f, "%llu,%u", (unsigned long long)e->visit, e->shopper);
    for (int j = 0; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
        fprintf(f, ",%.17g", e->context[j]);
    fprintf(f, ",%d,", e->action);
    if (e->action >= 0 && e->action < out->n_levels)
        fprintf(f, "%.15g", out->level_percent[e->action]);
    fprintf(f, ",%.17g,%.17g,%d,", e->propensity, e->reward, e->purchased);
    if (e->position >= 0)
        fprintf(f, "%d", e->position + 1); /* numbered from 1, like every position in dsim's files */
    return fputc('\n', f) == EOF ? dsim_error_set(DSIM_EIO, "export-log: writing %s failed: %s", out->path, strerror(errno))
                                 : DSIM_OK;
}

int cmd_export_log(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"csv", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *csv = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(export_usage, stdout);
            return EXIT_OK;
        }
        if (c != 'c') {
            cli_error("export-log: %s '%s' (see dsim export-log --help)",
                      c == ':' ? "option needs a value:" : "unknown option", argv[optind - 1]);
            return EXIT_USAGE;
        }
        csv = optarg;
    }
    char db[1024];
    long long run;
    /* One parse of the argument: a run spec whose RUN is no number is named as such. */
    const char *spec = optind == argc - 1 ? argv[optind] : NULL, *colon = spec ? strrchr(spec, ':') : NULL;
    if (!spec || !csv || !dsim_store_split_run(spec, db, sizeof db, &run)) {
        if (spec && csv && colon)
            cli_error("export-log: %s: expected DB:RUN with RUN a run number (from dsim list), got '%s'", spec,
                      colon + 1);
        else
            cli_error("export-log: expected DB:RUN and --csv FILE (see dsim export-log --help)");
        return EXIT_USAGE;
    }
    dsim_store *store = NULL;
    int status = cli_open_existing(db, &store);
    if (status)
        return status;
    FILE *f = fopen(csv, "w");
    if (!f) {
        cli_error("export-log: cannot write %s: %s", csv, strerror(errno));
        dsim_store_close(store);
        return EXIT_USAGE;
    }
    dsim_run_row row = {0};
    int got = dsim_store_run_get(store, (int64_t)run, &row);
    dsim_store_row_clear(&row); /* only its level counts are kept: the levels' percents */
    if (got && got != DSIM_ENOTFOUND) { /* no such run: the events' reader says so below */
        cli_error("%s", dsim_errmsg());
        fclose(f);
        remove(csv);
        dsim_store_close(store);
        return EXIT_RUNTIME;
    }
    csv_out out = {f, csv, row.n_levels, row.level_percent};
    fprintf(f, "visit,shopper");
    for (int j = 0; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
        fprintf(f, ",%s", dsim_log_context_names[j]);
    fprintf(f, ",action,discount_percent,propensity,reward,purchased,bought_position\n");
    int rc = dsim_store_events_each(store, (int64_t)run, write_event, &out);
    if (fclose(f) != 0 && !rc)
        rc = dsim_error_set(DSIM_EIO, "export-log: writing %s failed: %s", csv, strerror(errno));
    dsim_store_close(store);
    if (rc) {
        remove(csv); /* never leave half a log */
        cli_error("%s", dsim_errmsg());
        return rc == DSIM_ENOTFOUND ? EXIT_USAGE : EXIT_RUNTIME;
    }
    return EXIT_OK;
}
