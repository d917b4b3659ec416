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


static const char show_usage[] =
    "usage: dsim show RUN [--db FILE] [--format table|csv|json]\n\n"
    "Shows run RUN (a number from `dsim list`): its final metrics, how often each discount level was given,\n"
    "the same by shopper segment (the simulator's hidden truth: no policy is told a shopper's segment), and the\n"
    "scenario and policy files it ran with.\n\n"
    "  --format F   table (default); csv: one row for the run and one per segment, every metric a column;\n"
    "               json: one document with everything above (docs/output.md)\n\n"
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

/* The run's figures by segment: one line of figures per segment, then the share of its decisions at each level. */
static void print_segments(const dsim_run_segments *g)
{
    static const char *const figures[] = {"visits", "conversion", "ctr", "revenue", "profit", "discount_spend",
                                          "regret"};
    enum { N_FIGURES = sizeof figures / sizeof figures[0] };
    printf("\nby segment (the simulator's hidden truth: a shop cannot see segments, no policy is told one)\n");
    printf("  %-16s %6s", "segment", "share");
    for (int f = 0; f < N_FIGURES; f++)
        printf(" %14s", dsim_metrics_find(figures[f])->label);
    printf("\n");
    for (int s = 0; s < g->n; s++) {
        printf("  %-16s %5.1f%%", g->name[s], 100 * g->share[s]);
        for (int f = 0; f < N_FIGURES; f++) {
            const dsim_metric_def *def = dsim_metrics_find(figures[f]);
            double v = g->summary[s][def - dsim_metrics_defs];
            char text[64];
            if (strcmp(def->unit, "purchases/visit") == 0 || strcmp(def->unit, "clicks/impression") == 0)
                snprintf(text, sizeof text, "%.3f %%", 100 * v);
            else
                format_metric(def, v, text, sizeof text);
            printf(" %14s", text);
        }
        printf("\n");
    }
    printf("\n  %-16s  discount levels given, %% of the segment's decisions\n  %-16s", "", "segment");
    for (int l = 0; l < g->n_levels; l++)
        printf(" %6.1f%%", g->level_percent[l]);
    printf("\n");
    for (int s = 0; s < g->n; s++) {
        uint64_t total = 0;
        for (int l = 0; l < g->n_levels; l++)
            total += g->level_visits[s][l];
        printf("  %-16s", g->name[s]);
        for (int l = 0; l < g->n_levels; l++)
            printf(" %6.1f%%", total ? 100.0 * (double)g->level_visits[s][l] / (double)total : 0.0);
        printf("\n");
    }
}

/* One row of levels: each level's percent, decisions and share of the decisions. */
static void out_levels(cli_out *o, int n_levels, const double *percent, const uint64_t *visits)
{
    uint64_t total = 0;
    for (int l = 0; l < n_levels; l++)
        total += visits[l];
    cli_out_rows_begin(o, "levels", false);
    for (int l = 0; l < n_levels; l++) {
        cli_out_row_begin(o);
        cli_out_num(o, "percent", percent[l]);
        cli_out_int(o, "decisions", (long long)visits[l]);
        cli_out_num(o, "share", total ? (double)visits[l] / (double)total : 0.0);
        cli_out_row_end(o);
    }
    cli_out_rows_end(o);
}

static void show_machine(cli_format format, const dsim_run_row *r, const dsim_run_segments *g)
{
    cli_out *o = cli_out_begin(format, stdout, "show");
    if (!o)
        return;
    cli_out_run(o, r);
    cli_out_str(o, "error", r->error);
    /* CSV: the run's row (segment "all") and one per segment, every metric a column */
    cli_out_str(o, "segments_note", "segments are the simulator's hidden truth: a shop cannot see them, no policy is told one");
    cli_out_rows_begin(o, "segments", true);
    if (r->has_summary) {
        cli_out_row_begin(o);
        cli_out_int(o, "run", r->id);
        cli_out_str(o, "segment", "all");
        cli_out_num(o, "share", 1);
        cli_out_metrics(o, r->summary);
        cli_out_row_end(o);
    }
    for (int s = 0; s < g->n; s++) {
        cli_out_row_begin(o);
        cli_out_int(o, "run", r->id);
        cli_out_str(o, "segment", g->name[s]);
        cli_out_num(o, "share", g->share[s]);
        cli_out_metrics(o, g->summary[s]);
        if (format == CLI_JSON)
            out_levels(o, g->n_levels, g->level_percent, g->level_visits[s]);
        cli_out_row_end(o);
    }
    cli_out_rows_end(o);
    if (format == CLI_JSON) {
        if (r->has_summary) {
            cli_out_object_begin(o, "summary");
            cli_out_metrics(o, r->summary);
            cli_out_object_end(o);
        }
        out_levels(o, r->n_levels, r->level_percent, r->level_visits);
        cli_out_str(o, "policy_text", r->policy_text);
        cli_out_str(o, "scenario_text", r->scenario_text);
    }
    cli_out_end(o);
}

int cmd_show(int argc, char **argv)
{
    const char *db;
    char *args[1];
    int n_args;
    cli_format format;
    int status = cli_parse_db_options(argc, argv, show_usage, &db, &format, args, 1, &n_args);
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
    dsim_run_segments *segments = calloc(1, sizeof *segments);
    if (!segments || dsim_store_run_segments(store, (int64_t)id, segments)) {
        cli_error("%s", segments ? dsim_errmsg() : "out of memory");
        free(segments);
        dsim_store_row_clear(&r);
        dsim_store_close(store);
        return EXIT_RUNTIME;
    }
    if (format != CLI_TABLE) {
        show_machine(format, &r, segments);
        free(segments);
        dsim_store_row_clear(&r);
        dsim_store_close(store);
        return EXIT_OK;
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
    if (segments->n)
        print_segments(segments);
    free(segments);
    printf("\npolicy %s (type %s)\n%s\n", r.policy_name, r.policy_type, r.policy_text ? r.policy_text : "(defaults)");
    printf("scenario %s\n%s\n", r.scenario_name, r.scenario_text ? r.scenario_text : "");
    dsim_store_row_clear(&r);
    dsim_store_close(store);
    return EXIT_OK;
}
