/*
 * cmd_plot.c — `dsim plot KIND …`: one chart of stored runs, a stored sweep, an offline evaluation or a bandit
 * CSV, as SVG, PNG, PDF or the plotted numbers as CSV (src/report draws it). Also the helpers every command
 * with --plot shares: run numbers and ranges, the output's check, and writing a figure.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/bandit.h"
#include "dsim/chart.h"
#include "dsim/error.h"
#include "dsim/sweep.h"

static const char plot_usage[] =
    "usage: dsim plot KIND [RUN...] [--sweep FILE] [--ope ID] [--db FILE] -o OUT.{png,svg,pdf,csv}\n"
    "       dsim plot bandit CSV [--problem FILE] -o OUT\n\n"
    "Draws one chart from the result database (default " DEFAULT_DB "): 800 x 500 per panel, colour-blind-safe\n"
    "colours, each policy one colour in every chart. OUT's ending picks the format; .csv writes the plotted\n"
    "numbers (panel, series, x, y, lo, hi) instead of a picture.\n\n"
    "kinds of runs (RUN: numbers from dsim list, or ranges as 4-9; the first policy is the baseline):\n"
    "  delta        cumulative objective minus the first policy's, mean across seeds, 95 % paired band\n"
    "  cumulative   cumulative objective, mean and 95 % band across seeds\n"
    "  conversion   purchases per visit between checkpoints\n"
    "  regret       cumulative myopic regret (objective lost against the myopic oracle)\n"
    "  levels       the share of each policy's decisions at each discount level\n"
    "  segments     the same per hidden segment, and each segment's profit\n"
    "other kinds:\n"
    "  sweep        --sweep FILE: one axis: each policy's paired delta to the first against the axis, with\n"
    "               95 % bars; two axes: a heatmap of the best policy's margin over the runner-up\n"
    "  ope          --ope ID: every target x estimator with its 95 % interval, the truth and the logging\n"
    "               policy's value (ID: the evaluation number dsim ope prints)\n"
    "  bandit       CSV from dsim bandit --csv: regret against rounds on a log axis; --problem FILE (the\n"
    "               bandit file) adds Lai & Robbins' C ln t for Bernoulli arms\n\n"
    "  -o, --output OUT   the file to write (required)\n"
    "  --db FILE          result database\n\n"
    "examples:\n  dsim plot delta 1-12 -o delta.png\n  dsim plot sweep --sweep scenarios/sweeps/deal_trap.ini -o sweep.svg\n";

static const char *const kinds[] = {"delta", "cumulative", "conversion", "regret", "levels", "segments",
                                    "sweep", "ope",        "bandit"};
enum { KIND_SWEEP = 6, KIND_OPE = 7, KIND_BANDIT = 8, N_KINDS = 9 };

int cli_parse_runs(const char *cmd, char *const *args, int n_args, int64_t *ids, int max, int *n_ids)
{
    *n_ids = 0;
    for (int i = 0; i < n_args; i++) {
        unsigned long long a, b;
        char first[32];
        const char *dash = strchr(args[i], '-');
        bool range = dash && dash != args[i] && (size_t)(dash - args[i]) < sizeof first;
        if (range)
            snprintf(first, sizeof first, "%.*s", (int)(dash - args[i]), args[i]);
        if (range ? !(dsim__parse_u64(first, &a) && dsim__parse_u64(dash + 1, &b) && a <= b)
                  : !dsim__parse_u64(args[i], &a)) {
            cli_error("%s: expected a run number or a range as 4-9 (see dsim list), got '%s'", cmd, args[i]);
            return EXIT_USAGE;
        }
        if (!range)
            b = a;
        for (unsigned long long id = a; id <= b; id++) {
            if (*n_ids == max) {
                cli_error("%s: at most %d runs", cmd, max);
                return EXIT_USAGE;
            }
            ids[(*n_ids)++] = (int64_t)id;
        }
    }
    return EXIT_OK;
}

int cli_check_output(const char *cmd, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_error("%s: %s is a directory: give a file name", cmd, path);
        return EXIT_USAGE;
    }
    char *copy = strdup(path);
    if (!copy)
        return EXIT_RUNTIME;
    const char *dir = dirname(copy);
    int ok = access(dir, W_OK) == 0;
    int err = errno;
    if (!ok)
        cli_error("%s: cannot write %s: %s: %s", cmd, path, dir, strerror(err));
    free(copy);
    return ok ? EXIT_OK : EXIT_USAGE;
}

int cli_parse_plot(const char *cmd, const char *value, const char **out)
{
    if (!dsim_chart_path_ok(value)) {
        cli_error("%s: --plot %s: end it with .png, .svg, .pdf or .csv", cmd, value);
        return EXIT_USAGE;
    }
    if (cli_check_output(cmd, value))
        return EXIT_USAGE;
    *out = value;
    return EXIT_OK;
}

int cli_write_figure(const char *cmd, const dsim_figure *f, const char *path)
{
    int rc = dsim_chart_write(&(dsim_chart_page){f, NULL}, 1, path, 0, 0);
    if (rc) {
        cli_error("%s: %s", cmd, dsim_errmsg());
        return rc == DSIM_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
    }
    return EXIT_OK;
}

typedef struct {
    int kind;
    const char *db, *out, *sweep, *problem;
    long long ope;
    char *args[CLI_MAX_RUN_ARGS];
    int n_args;
} plot_options;

static int parse_kind(const char *word)
{
    for (int k = 0; k < N_KINDS; k++)
        if (!strcmp(word, kinds[k]))
            return k;
    const char *near = dsim__nearest(word, kinds, N_KINDS);
    cli_error("plot: unknown kind '%s'%s%s%s; the kinds: delta, cumulative, conversion, regret, levels, segments, "
              "sweep, ope, bandit",
              word, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return -1;
}

static int parse_options(int argc, char **argv, plot_options *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},    {"output", required_argument, NULL, 'o'},
        {"sweep", required_argument, NULL, 's'}, {"ope", required_argument, NULL, 'e'},
        {"problem", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->db = DEFAULT_DB;
    o->ope = -1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        unsigned long long id;
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'o': o->out = optarg; break;
        case 's': o->sweep = optarg; break;
        case 'p': o->problem = optarg; break;
        case 'e':
            if (!dsim__parse_u64(optarg, &id)) {
                cli_error("plot: --ope: expected an evaluation number (dsim ope prints it), got '%s'", optarg);
                return EXIT_USAGE;
            }
            o->ope = (long long)id;
            break;
        case 'h': fputs(plot_usage, stdout); return -1;
        default:
            cli_error("plot: %s '%s'", c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
            fputs(plot_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("plot: which chart? give a KIND (delta, cumulative, conversion, regret, levels, segments, sweep, "
                  "ope, bandit)");
        return EXIT_USAGE;
    }
    if ((o->kind = parse_kind(argv[optind++])) < 0)
        return EXIT_USAGE;
    for (; optind < argc; optind++) {
        if (o->n_args == CLI_MAX_RUN_ARGS) {
            cli_error("plot: too many arguments");
            return EXIT_USAGE;
        }
        o->args[o->n_args++] = argv[optind];
    }
    const char *need = o->kind == KIND_SWEEP && !o->sweep       ? "plot sweep needs --sweep FILE"
                       : o->kind == KIND_OPE && o->ope < 0      ? "plot ope needs --ope ID (the number dsim ope printed)"
                       : o->kind == KIND_BANDIT && o->n_args != 1 ? "plot bandit needs one CSV from dsim bandit --csv"
                       : o->kind < KIND_SWEEP && !o->n_args     ? "which runs? give run numbers (see dsim list)"
                       : o->kind >= KIND_SWEEP && o->kind != KIND_BANDIT && o->n_args
                           ? "this kind takes no run numbers"
                       : !o->out ? "-o OUT is required (OUT ending .png, .svg, .pdf or .csv)"
                                 : NULL;
    if (need) {
        cli_error("plot: %s", need);
        return EXIT_USAGE;
    }
    if (!dsim_chart_path_ok(o->out)) {
        cli_error("plot: %s: cannot tell what to write: end it with .png, .svg, .pdf or .csv", o->out);
        return EXIT_USAGE;
    }
    return cli_check_output("plot", o->out);
}

/* The stored sweep of a sweep file (found by its texts, as dsim sweep finds it to resume). */
int cli_sweep_figure(const char *cmd, const char *db, const char *file, dsim_figure *fig)
{
    dsim_sweep_job job;
    int rc = dsim_sweep_job_load(&job, file);
    int status = EXIT_OK;
    dsim_store *store = NULL;
    int64_t id = 0;
    if (rc) {
        cli_error("%s: %s", cmd, dsim_errmsg());
        status = cli_exit_status(rc);
    } else if (!(status = cli_open_existing(db, &store))) {
        rc = dsim_store_sweep_find(store, job.definition, &id);
        if (rc == DSIM_ENOTFOUND) {
            cli_error("%s: %s: the sweep %s is not in this database (run it with dsim sweep %s --db %s)", cmd, db,
                      file, file, db);
            status = EXIT_USAGE;
        } else if (rc || (rc = dsim_chart_from_sweep(store, &job.sw, job.names, id, fig))) {
            cli_error("%s: %s", cmd, dsim_errmsg());
            status = cli_exit_status(rc);
        }
    }
    dsim_store_close(store);
    dsim_sweep_job_clear(&job);
    return status;
}

static int bandit_constant(const char *file, double *c)
{
    *c = 0;
    if (!file)
        return EXIT_OK;
    char path[1024];
    int status = cli_find_file("scenarios/bandits", file, path, sizeof path);
    if (status)
        return status;
    dsim_bandit_config *cfg = NULL;
    dsim_bandit *b = NULL;
    if (dsim_bandit_config_load(&cfg, path) || dsim_bandit_alloc(&b, cfg, cfg->seed)) {
        cli_error("plot: %s", dsim_errmsg());
        dsim_bandit_config_free(cfg);
        return EXIT_USAGE;
    }
    *c = dsim_bandit_lai_robbins(b);
    dsim_bandit_free(b);
    dsim_bandit_config_free(cfg);
    return EXIT_OK;
}

static int build(const plot_options *o, dsim_figure *fig)
{
    if (o->kind == KIND_SWEEP)
        return cli_sweep_figure("plot", o->db, o->sweep, fig);
    if (o->kind == KIND_BANDIT) {
        double c;
        int status = bandit_constant(o->problem, &c);
        int rc = status ? DSIM_OK : dsim_chart_from_bandit_csv(o->args[0], c, fig);
        if (rc)
            cli_error("plot: %s", dsim_errmsg());
        return status ? status : rc ? cli_exit_status(rc) : EXIT_OK;
    }
    dsim_store *store = NULL;
    int status = cli_open_existing(o->db, &store);
    int64_t ids[CLI_MAX_RUNS];
    int n = 0;
    if (!status && o->kind != KIND_OPE)
        status = cli_parse_runs("plot", o->args, o->n_args, ids, CLI_MAX_RUNS, &n);
    if (!status) {
        int rc = o->kind == KIND_OPE ? dsim_chart_from_ope(store, o->ope, fig)
                                     : dsim_chart_from_runs(store, ids, (size_t)n, (dsim_plot_kind)o->kind, fig);
        if (rc) {
            cli_error("plot: %s", dsim_errmsg());
            status = cli_exit_status(rc);
        }
    }
    dsim_store_close(store);
    return status;
}

int cmd_plot(int argc, char **argv)
{
    plot_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_figure *fig = calloc(1, sizeof *fig);
    if (!fig)
        return EXIT_RUNTIME;
    status = build(&o, fig);
    if (!status)
        status = cli_write_figure("plot", fig, o.out);
    if (!status)
        printf("wrote %s (%s)\n", o.out, kinds[o.kind]);
    dsim_figure_clear(fig);
    free(fig);
    return status;
}
