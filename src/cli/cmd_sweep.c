/*
 * cmd_sweep.c — `dsim sweep FILE [--db FILE] [--summary] [-q]`: every cell × policy × seed of a sweep, one
 * run after another, into one database; run again, it finds the sweep by its definition and skips the runs
 * already done, so an interrupted sweep resumes. Then, per cell, each policy's mean objective with its 95 %
 * interval and the best policy.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/ini.h"
#include "dsim/error.h"
#include "dsim/store.h"
#include "dsim/sweep.h"

static const char sweep_usage[] =
    "usage: dsim sweep FILE [--db FILE] [--summary] [--csv FILE] [--quiet]\n\n"
    "Runs every cell x policy x seed of the sweep FILE (a base scenario, policies, seeds, visits and axes that\n"
    "set scenario keys to lists or FROM:TO:STEP ranges; see dsim/sweep.h and the README), skipping the runs\n"
    "a previous, interrupted call already finished, then prints each cell's policies with their mean\n"
    "objective and 95 % interval, and the best. --summary prints that without running; --csv FILE also\n"
    "writes it as CSV (cell, axis values, policy, seeds, mean, ci95_half_width, best, significantly_best).\n\n"
    "example:\n  dsim sweep scenarios/sweeps/elasticity.ini --db sweep.db\n";

typedef struct {
    const dsim_sweep *sw;
    int64_t id;
    uint64_t cell, seed;
    int policy;
    char axes[512];
} link_data;

static int link_run(dsim_store *store, void *data)
{
    link_data *l = data;
    return dsim_store_sweep_link(store, l->id, l->cell, l->policy, l->seed, l->axes);
}

static void describe_cell(const dsim_sweep *sw, uint64_t cell, char *out, size_t n)
{
    double v[DSIM_SWEEP_MAX_AXES];
    dsim_sweep_cell_values(sw, cell, v);
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < sw->n_axes && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s%s.%s=%g", i ? " " : "", sw->axes[i].section,
                                 sw->axes[i].key, v[i]);
}

/* ---- the summary -------------------------------------------------------------------------------------- */

typedef struct {
    const dsim_sweep *sw;
    double *rewards; /* (cells, policies, seeds) */
    int *counts;     /* (cells, policies) */
} results;

static int collect(uint64_t cell, int policy, double reward, void *data)
{
    results *r = data;
    size_t at = cell * (size_t)r->sw->n_policies + (size_t)policy;
    if (cell < r->sw->n_cells && policy < r->sw->n_policies && r->counts[at] < r->sw->seeds)
        r->rewards[at * (size_t)r->sw->seeds + (size_t)r->counts[at]++] = reward;
    return DSIM_OK;
}

static int print_summary(dsim_store *store, const dsim_sweep *sw, int64_t id, const char *const *names, FILE *csv)
{
    results r = {sw, calloc(sw->n_cells * (size_t)sw->n_policies * (size_t)sw->seeds, sizeof(double)),
                 calloc(sw->n_cells * (size_t)sw->n_policies, sizeof(int))};
    int rc = r.rewards && r.counts ? dsim_store_sweep_results(store, id, collect, &r)
                                   : dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (csv) {
        fprintf(csv, "cell");
        for (int i = 0; i < sw->n_axes; i++)
            fprintf(csv, ",%s.%s", sw->axes[i].section, sw->axes[i].key);
        fprintf(csv, ",policy,seeds,mean,ci95_half_width,best,significantly_best\n");
    }
    for (uint64_t c = 0; c < sw->n_cells && !rc; c++) {
        char cell[512];
        describe_cell(sw, c, cell, sizeof cell);
        printf("cell %llu: %s\n", (unsigned long long)c, cell[0] ? cell : "(no axes)");
        int best = -1;
        dsim_estimate est[DSIM_SWEEP_MAX_POLICIES];
        for (int p = 0; p < sw->n_policies; p++) {
            size_t at = c * (size_t)sw->n_policies + (size_t)p;
            est[p] = dsim_estimate_mean(r.rewards + at * (size_t)sw->seeds, (size_t)r.counts[at]);
            if (r.counts[at] && (best < 0 || est[p].mean > est[best].mean))
                best = p;
            if (r.counts[at])
                printf("  %-20s %14.1f ± %-12.1f (%d of %d seeds)\n", names[p], est[p].mean, est[p].half_width,
                       r.counts[at], sw->seeds);
            else
                printf("  %-20s %29s (0 of %d seeds)\n", names[p], "not run yet", sw->seeds);
        }
        /* Significantly best: its interval lies above every other policy's. */
        bool significant = best >= 0;
        for (int p = 0; p < sw->n_policies && significant; p++)
            significant = p == best || !(est[best].mean - est[best].half_width <= est[p].mean + est[p].half_width);
        if (best >= 0)
            printf("  best: %s%s\n", names[best], significant ? " (its 95 % interval is above every other's)"
                                                              : " (intervals overlap: not significantly best)");
        double v[DSIM_SWEEP_MAX_AXES];
        dsim_sweep_cell_values(sw, c, v);
        for (int p = 0; csv && p < sw->n_policies; p++) {
            fprintf(csv, "%llu", (unsigned long long)c);
            for (int i = 0; i < sw->n_axes; i++)
                fprintf(csv, ",%.17g", v[i]);
            size_t at = c * (size_t)sw->n_policies + (size_t)p;
            fprintf(csv, ",%s,%d,%.17g,%.17g,%d,%d\n", names[p], r.counts[at], est[p].mean, est[p].half_width,
                    p == best, p == best && significant);
        }
    }
    free(r.rewards);
    free(r.counts);
    return rc;
}

/* ---- the command ---------------------------------------------------------------------------------------- */

int cmd_sweep(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"csv", required_argument, NULL, 'c'},
                                             {"summary", no_argument, NULL, 's'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *db = DEFAULT_DB, *csv_path = NULL;
    bool summary_only = false, quiet = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'c')
            csv_path = optarg;
        else if (c == 's')
            summary_only = true;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            fputs(sweep_usage, stdout);
            return EXIT_OK;
        } else {
            cli_error("sweep: %s '%s' (see dsim sweep --help)", c == ':' ? "option needs a value:" : "unknown option",
                      argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("sweep: expected one sweep FILE (see dsim sweep --help)");
        return EXIT_USAGE;
    }
    dsim_sweep sw;
    char path[1024], *sweep_text = NULL, *base = NULL;
    int status = EXIT_OK;
    if (dsim_sweep_load(&sw, argv[optind]) || dsim__read_file(argv[optind], &sweep_text)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_USAGE;
    }
    dsim_policy_config *configs[DSIM_SWEEP_MAX_POLICIES] = {0};
    const char *names[DSIM_SWEEP_MAX_POLICIES];
    dsim_scenario *first = NULL;
    size_t def_len = strlen(sweep_text) + 2;
    if ((status = cli_find_file("scenarios", sw.scenario, path, sizeof path)))
        goto done;
    if (dsim__read_file(path, &base) || dsim_sweep_check(&sw, base) || dsim_sweep_cell_scenario(&sw, base, 0, &first)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_USAGE;
        goto done;
    }
    def_len += strlen(base) + 2;
    for (int p = 0; p < sw.n_policies; p++) {
        if ((status = cli_find_file("policies", sw.policies[p], path, sizeof path)))
            goto done;
        if (dsim_policy_config_load(&configs[p], path) || dsim_policy_config_check(configs[p], first)) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_USAGE;
            goto done;
        }
        names[p] = configs[p]->name;
        def_len += (configs[p]->text ? strlen(configs[p]->text) : strlen(configs[p]->name)) + 2;
    }
    /* The definition the sweep is found by: its file, the base scenario and the policies, as read. */
    char *definition = malloc(def_len + 1);
    if (!definition) {
        cli_error("out of memory");
        status = EXIT_RUNTIME;
        goto done;
    }
    size_t used = (size_t)snprintf(definition, def_len + 1, "%s\f%s", sweep_text, base);
    for (int p = 0; p < sw.n_policies; p++)
        used += (size_t)snprintf(definition + used, def_len + 1 - used, "\f%s",
                                 configs[p]->text ? configs[p]->text : configs[p]->name);
    dsim_store *store = NULL;
    int64_t id = 0;
    if (dsim_store_open(&store, db) || dsim_store_sweep_open(store, argv[optind], definition, &id)) {
        cli_error("%s", dsim_errmsg());
        free(definition);
        dsim_store_close(store);
        status = EXIT_RUNTIME;
        goto done;
    }
    free(definition);
    size_t total = sw.n_cells * (size_t)sw.n_policies * (size_t)sw.seeds, done_runs = 0, skipped = 0;
    cli_progress prog = {.enabled = !quiet && isatty(STDERR_FILENO), .n_runs = (int)total};
    cli_catch_interrupts();
    for (uint64_t cell = 0; cell < sw.n_cells && !status && !summary_only; cell++) {
        dsim_scenario *sc = NULL;
        if (dsim_sweep_cell_scenario(&sw, base, cell, &sc)) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_USAGE;
            break;
        }
        for (int p = 0; p < sw.n_policies && !status; p++)
            for (int k = 0; k < sw.seeds && !status; k++) {
                link_data l = {&sw, id, cell, sc->seed + (uint64_t)k, p, ""};
                describe_cell(&sw, cell, l.axes, sizeof l.axes);
                prog.run++;
                int has = dsim_store_sweep_has(store, id, cell, p, l.seed);
                if (has < 0) {
                    cli_error("%s", dsim_errmsg());
                    status = EXIT_RUNTIME;
                } else if (has) {
                    skipped++;
                } else {
                    dsim_metrics m;
                    int64_t run_id;
                    status = cli_run_one(store, sc, configs[p], l.seed, sw.visits, false, &prog, link_run, &l, &m,
                                         &run_id);
                    done_runs += status == EXIT_OK;
                }
            }
        dsim_scenario_free(sc);
    }
    if (prog.enabled)
        fprintf(stderr, "\r\033[K");
    if (!summary_only && status != EXIT_USAGE)
        printf("sweep %s: %zu cells x %d policies x %d seeds = %zu runs; %zu run now, %zu done before\n\n",
               argv[optind], sw.n_cells, sw.n_policies, sw.seeds, total, done_runs, skipped);
    FILE *csv = status == EXIT_OK && csv_path ? fopen(csv_path, "w") : NULL;
    if (status == EXIT_OK && csv_path && !csv) {
        cli_error("sweep: cannot write %s", csv_path);
        status = EXIT_USAGE;
    }
    if (status == EXIT_OK && print_summary(store, &sw, id, names, csv)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_RUNTIME;
    }
    if (csv && fclose(csv) != 0 && status == EXIT_OK) {
        cli_error("sweep: writing %s failed", csv_path);
        status = EXIT_RUNTIME;
    }
    dsim_store_close(store);
done:
    for (int p = 0; p < sw.n_policies; p++)
        dsim_policy_config_free(configs[p]);
    dsim_scenario_free(first);
    free(base);
    free(sweep_text);
    return status;
}
