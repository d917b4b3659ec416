/*
 * cmd_sweep.c — `dsim sweep FILE [-j N] [--shard I/N] [--db FILE] [--summary] [--csv FILE] [-q]`: every cell ×
 * policy × seed of a sweep, computed by worker processes (or MPI ranks) and written by this one into one
 * database. Run again, it finds the sweep by its definition and skips the runs already done, so an
 * interrupted sweep resumes. Then, per cell, each policy's mean objective with its 95 % interval and the
 * best policy.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sweep/pool.h"
#include "dsim/error.h"
#include "dsim/store.h"
#include "dsim/sweep.h"

static const char sweep_usage[] =
    "usage: dsim sweep FILE [-j N] [--shard I/N] [--db FILE] [--summary] [--csv FILE] [--format F] [--plot OUT]\n"
    "                  [--quiet]\n\n"
    "Runs every cell x policy x seed of the sweep FILE (a base scenario, policies, seeds, visits and axes that\n"
    "set scenario keys to lists or FROM:TO:STEP ranges; see docs/sweeps.md), skipping the runs a previous,\n"
    "interrupted call already finished, then prints each cell's policies with their mean objective and\n"
    "95 % interval, and the best.\n\n"
    "  -j, --jobs N    worker processes computing runs (default: one per core); this process writes\n"
    "  --shard I/N     run only the I-th (0 ... N-1) of N deterministic slices of the runs, e.g. one per\n"
    "                  job of a Slurm array; combine the shards' databases with dsim merge\n"
    "  --db FILE       the result database (default " DEFAULT_DB ")\n"
    "  --summary       print the summary of what is stored, without running anything\n"
    "  --csv FILE      also write the summary as CSV: cell, one column per axis, policy, seeds, every\n"
    "                  summary metric and its 95 % half-width (METRIC, METRIC_ci95), the paired Δ of the\n"
    "                  objective to the first policy (delta_vs_FIRST, _ci95, delta_pairs), best,\n"
    "                  significantly_best\n"
    "  --format F      the summary on stdout as table (default), csv (as --csv) or json (docs/output.md)\n"
    "  --plot OUT      also draw the sweep's chart (as dsim plot sweep): .png, .svg, .pdf or .csv\n"
    "  -q, --quiet     no progress on stderr\n\n"
    "Under mpirun (a build with -DDSIM_WITH_MPI=ON), rank 0 writes the database and the other ranks\n"
    "compute the runs.\n\n"
    "examples:\n"
    "  dsim sweep scenarios/sweeps/elasticity.ini --db sweep.db -j 2\n"
    "  dsim sweep scenarios/sweeps/elasticity.ini --db shard1.db --shard 1/4\n";

/* ---- the summary (the statistics: src/sweep/sweep_summary.c) ------------------------------------------ */

/* One summary row (a cell's policy) for --csv FILE and --format csv|json: the axes' values, every metric's
   mean and 95 % half-width, the paired Δ to the first policy, and whether it is the cell's best. */
static void out_row(cli_out *out, const dsim_sweep *sw, const dsim_sweep_cell_summary *c, int p,
                    const char *const *names)
{
    const dsim_sweep_policy_summary *ps = &c->policies[p];
    char key[DSIM_NAME_MAX * 4];
    cli_out_row_begin(out);
    cli_out_int(out, "cell", (long long)c->cell);
    double values[DSIM_SWEEP_MAX_AXES];
    dsim_sweep_cell_values(sw, c->cell, values);
    for (int i = 0; i < sw->n_axes; i++) {
        char v[DSIM_SWEEP_WORD_MAX];
        dsim_sweep_cell_value_text(sw, c->cell, i, v, sizeof v);
        snprintf(key, sizeof key, "%s.%s", sw->axes[i].section, sw->axes[i].key);
        if (isnan(values[i])) /* a word */
            cli_out_str(out, key, v);
        else
            cli_out_num(out, key, values[i]);
    }
    cli_out_str(out, "policy", names[p]);
    cli_out_int(out, "seeds", ps->runs);
    cli_out_estimates(out, ps->metrics);
    snprintf(key, sizeof key, "delta_vs_%s", names[0]);
    cli_out_num(out, key, ps->delta.mean);
    snprintf(key, sizeof key, "delta_vs_%s_ci95", names[0]);
    cli_out_num(out, key, ps->delta.half_width);
    cli_out_int(out, "delta_pairs", (long long)ps->delta.n);
    cli_out_int(out, "best", p == c->best);
    cli_out_int(out, "significantly_best", p == c->best && c->significant == 1);
    cli_out_row_end(out);
}

typedef struct {
    const dsim_sweep *sw;
    const char *const *names;
    cli_out *csv;     /* --csv FILE */
    cli_out *machine; /* --format csv|json on stdout; NULL: the table */
    size_t reward;
} summary_out;

static int print_cell(const dsim_sweep_cell_summary *c, void *user)
{
    const summary_out *o = user;
    const dsim_sweep *sw = o->sw;
    for (int p = 0; o->csv && p < sw->n_policies; p++)
        out_row(o->csv, sw, c, p, o->names);
    for (int p = 0; o->machine && p < sw->n_policies; p++)
        out_row(o->machine, sw, c, p, o->names);
    if (o->machine)
        return DSIM_OK;
    char cell[512];
    dsim_sweep_describe_cell(sw, c->cell, cell, sizeof cell);
    printf("cell %llu: %s\n", (unsigned long long)c->cell, cell[0] ? cell : "(no axes)");
    for (int p = 0; p < sw->n_policies; p++) {
        const dsim_sweep_policy_summary *ps = &c->policies[p];
        dsim_estimate est = ps->metrics[o->reward];
        char delta_text[64] = "";
        if (p > 0 && ps->delta.n >= 2)
            snprintf(delta_text, sizeof delta_text, "Δ %+.1f ± %.1f", ps->delta.mean, ps->delta.half_width);
        else if (p > 0 && ps->delta.n == 1)
            snprintf(delta_text, sizeof delta_text, "Δ %+.1f (1 pair: no interval)", ps->delta.mean);
        if (ps->runs >= 2)
            printf("  %-20s %14.1f ± %-12.1f (%d of %d seeds)  %s\n", o->names[p], est.mean, est.half_width, ps->runs,
                   sw->seeds, delta_text);
        else if (ps->runs == 1)
            printf("  %-20s %14.1f   %-12s (1 of %d seeds: no interval)  %s\n", o->names[p], est.mean, "", sw->seeds,
                   delta_text);
        else
            printf("  %-20s %29s (0 of %d seeds)\n", o->names[p], "not run yet", sw->seeds);
    }
    if (c->best >= 0)
        printf("  best: %s%s\n", o->names[c->best],
               c->significant < 0   ? " (fewer than 2 seeds shared with some policy: no interval to judge significance)"
               : c->significant > 0 ? " (significantly: paired Δ to every other policy above 0)"
                                    : " (not significantly: some paired Δ interval reaches 0)");
    return DSIM_OK;
}

/* Each cell's policies with their mean objective, the paired Δ to the first and the best (see
   sweep_summary.c for what "significantly" means), on stdout and, given one, as CSV. */
static int print_summary(dsim_store *store, const dsim_sweep *sw, int64_t id, const char *const *names, FILE *csv,
                         cli_format format)
{
    summary_out o = {sw, names, csv ? cli_out_begin(CLI_CSV, csv, "sweep") : NULL,
                     format != CLI_TABLE ? cli_out_begin(format, stdout, "sweep") : NULL,
                     (size_t)(dsim_metrics_find("reward") - dsim_metrics_defs)};
    if (o.csv)
        cli_out_rows_begin(o.csv, "rows", true);
    if (o.machine) {
        cli_out_str(o.machine, "sweep", sw->path);
        cli_out_int(o.machine, "cells", (long long)sw->n_cells);
        cli_out_int(o.machine, "seeds", sw->seeds);
        cli_out_rows_begin(o.machine, "rows", true);
        int rc = dsim_sweep_summarize(store, sw, id, print_cell, &o);
        cli_out_end(o.machine);
        cli_out_end(o.csv);
        return rc;
    }
    printf("objective: mean ± 95 %% interval across seeds; Δ: minus %s's on the same seeds (paired);\n"
           "best: the highest mean, significantly so when its paired differences to every other policy are all\n"
           "above 0 with 95 %% family-wise confidence (Bonferroni over the comparisons)\n\n",
           names[0]);
    int rc = dsim_sweep_summarize(store, sw, id, print_cell, &o);
    cli_out_end(o.csv);
    return rc;
}

/* ---- loading the sweep ------------------------------------------------------------------------------------ */

typedef struct {
    const char *file, *db, *csv_path, *plot;
    bool summary_only, quiet;
    cli_format format;
    int jobs;                   /* worker processes; 0: one per core */
    unsigned shard, n_shards;   /* run only the tasks t with t mod n_shards = shard */
} sweep_options;

/* ---- progress on stderr ---------------------------------------------------------------------------------- */

typedef struct {
    bool shown, tty;
    size_t total, done; /* runs of this sweep (or shard), and of those done, before or now */
    size_t run_now;     /* of those done, by this call (its rate) */
    double started, last_shown;
} progress;

static void format_duration(double s, char *out, size_t n)
{
    if (!isfinite(s))
        snprintf(out, n, "--");
    else if (s < 60)
        snprintf(out, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(out, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* A bar redrawn in place on a terminal; elsewhere (a batch job's log) a plain line every 10 s. */
static void progress_show(progress *p, bool last)
{
    if (!p->shown)
        return;
    double now = cli_now_seconds();
    if (!last && now - p->last_shown < (p->tty ? 0.1 : 10.0))
        return;
    p->last_shown = now;
    double rate = p->run_now ? (double)p->run_now / (now - p->started) : NAN;
    char eta[32];
    format_duration((double)(p->total - p->done) / rate, eta, sizeof eta);
    if (p->tty) {
        char bar[31];
        int filled = p->total ? (int)(30 * p->done / p->total) : 30;
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r\033[K[%s] %zu/%zu runs  %.2f runs/s  ETA %s", bar, p->done, p->total, rate, eta);
        if (last)
            fputs("\r\033[K", stderr);
    } else if (!last) {
        fprintf(stderr, "sweep: %zu/%zu runs done, %.2f runs/s, ETA %s\n", p->done, p->total, rate, eta);
    }
    fflush(stderr);
}

/* ---- the writer ------------------------------------------------------------------------------------------- */

/* The writer's news, told on stderr. */
typedef struct {
    const dsim_sweep_job *job;
    progress *prog;
} writer_news;

static void report_failure(void *user, const dsim_study_result *res)
{
    const dsim_sweep_job *f = ((writer_news *)user)->job;
    dsim_sweep_task t = dsim_sweep_task_of(&f->sw, res->head.task);
    char cell[512];
    dsim_sweep_describe_cell(&f->sw, t.cell, cell, sizeof cell);
    cli_error("sweep: run %llu (cell %zu%s%s, %s, seed %d of %d) failed: %s", (unsigned long long)res->head.task,
              t.cell, cell[0] ? ": " : "", cell, f->names[t.policy], t.seed_index + 1, f->sw.seeds, res->head.error);
}

static void report_stored(void *user, const dsim_study_result *res)
{
    (void)res;
    progress *prog = ((writer_news *)user)->prog;
    prog->run_now++;
    prog->done++;
    progress_show(prog, false);
}

/* ---- the command ---------------------------------------------------------------------------------------- */

static int parse_shard(const char *spec, sweep_options *o)
{
    char *end;
    unsigned long i = strtoul(spec, &end, 10), n = 0;
    bool ok = end != spec && *end == '/' && isdigit((unsigned char)end[1]);
    if (ok) {
        n = strtoul(end + 1, &end, 10);
        ok = *end == '\0' && n >= 1 && n <= 1000000 && i < n;
    }
    if (!ok) {
        cli_error("sweep: --shard %s: expected I/N with N >= 1 and 0 <= I < N (e.g. --shard 0/4 ... --shard 3/4)",
                  spec);
        return EXIT_USAGE;
    }
    o->shard = (unsigned)i;
    o->n_shards = (unsigned)n;
    return EXIT_OK;
}

/* --plot OUT: the chart of what the database holds of the sweep (dsim plot sweep). */
static int plot_sweep(dsim_store *store, const dsim_sweep_job *f, int64_t id, const char *out, bool say)
{
    dsim_figure *fig = calloc(1, sizeof *fig);
    int rc = fig ? dsim_chart_from_sweep(store, &f->sw, f->names, id, fig) : DSIM_ENOMEM;
    int status = EXIT_OK;
    if (rc) {
        cli_error("sweep: --plot: %s", fig ? dsim_errmsg() : "out of memory");
        status = cli_exit_status(rc);
    } else {
        status = cli_write_figure("sweep", fig, out);
    }
    if (!status && say)
        printf("wrote %s (dsim plot sweep)\n", out);
    dsim_figure_clear(fig);
    free(fig);
    return status;
}

/* @return EXIT_OK, -1 (help shown) or EXIT_USAGE. */
static int parse_options(int argc, char **argv, sweep_options *o)
{
    static const struct option longopts[] = {{"db", required_argument, NULL, 'd'},
                                             {"csv", required_argument, NULL, 'c'},
                                             {"jobs", required_argument, NULL, 'j'},
                                             {"shard", required_argument, NULL, 'S'},
                                             {"summary", no_argument, NULL, 's'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"plot", required_argument, NULL, 'P'},
                                             {NULL, 0, NULL, 0}};
    *o = (sweep_options){.db = DEFAULT_DB, .n_shards = 1};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:qh", longopts, NULL)) != -1) {
        char *end;
        if (c == 'd') {
            o->db = optarg;
        } else if (c == 'c') {
            o->csv_path = optarg;
        } else if (c == 'P') {
            if (cli_parse_plot("sweep", optarg, &o->plot))
                return EXIT_USAGE;
        } else if (c == 'j') {
            long j = strtol(optarg, &end, 10);
            if (end == optarg || *end || j < 1 || j > 256) {
                cli_error("sweep: -j %s: expected a number of workers from 1 to 256", optarg);
                return EXIT_USAGE;
            }
            o->jobs = (int)j;
        } else if (c == 'S') {
            if (parse_shard(optarg, o))
                return EXIT_USAGE;
        } else if (c == 'f') {
            if (cli_parse_format("sweep", optarg, &o->format))
                return EXIT_USAGE;
        } else if (c == 's') {
            o->summary_only = true;
        } else if (c == 'q') {
            o->quiet = true;
        } else if (c == 'h') {
            fputs(sweep_usage, stdout);
            return -1;
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
    o->file = argv[optind];
    if (o->jobs == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        o->jobs = cores > 0 ? (int)cores : 1;
    }
    return EXIT_OK;
}

/* Run what is left of the sweep (or shard) and report it. @return an exit status. */
static int run_sweep(const sweep_options *o, const dsim_sweep_job *f, const dsim_sweep_pool_type *type, dsim_sweep_pool *pool,
                     dsim_store *store, int64_t id)
{
    dsim_sweep_runner writer = DSIM_SWEEP_RUNNER_INIT(&f->sw, f->base, f->configs);
    size_t *tasks = NULL, n_pending = 0, n_in_shard = 0;
    if (dsim_sweep_pending(store, &writer, id, o->shard, o->n_shards, &tasks, &n_pending, &n_in_shard)) {
        cli_error("%s", dsim_errmsg());
        dsim_sweep_runner_clear(&writer);
        return EXIT_RUNTIME;
    }
    int workers = type->n_workers(pool);
    progress prog = {.shown = !o->quiet, .tty = isatty(STDERR_FILENO), .total = n_in_shard,
                     .done = n_in_shard - n_pending, .started = cli_now_seconds()};
    prog.last_shown = prog.started;
    if (prog.shown && !prog.tty)
        fprintf(stderr, "sweep: %zu runs to do, %zu done before; %d worker%s\n", n_pending, prog.done, workers,
                workers == 1 ? "" : "s");
    writer_news news = {f, &prog};
    dsim_sweep_writer w = {.stored = report_stored, .failed = report_failure, .user = &news};
    int rc = dsim_sweep_write(type, pool, store, &writer, id, tasks, n_pending, &w), status = EXIT_OK;
    if (rc && rc != DSIM_EINTERRUPTED)
        cli_error("%s", dsim_errmsg());
    status = rc == DSIM_EINTERRUPTED ? EXIT_INTERRUPTED : rc || w.n_failed ? EXIT_RUNTIME : EXIT_OK;
    progress_show(&prog, true);
    double writer_seconds = w.busy_seconds;
    double seconds = cli_now_seconds() - prog.started;
    char shard[64] = "";
    if (o->n_shards > 1)
        snprintf(shard, sizeof shard, "shard %u/%u has %zu: ", o->shard, o->n_shards, n_in_shard);
    /* stdout holds only the document with --format csv|json */
    fprintf(o->format == CLI_TABLE ? stdout : stderr,
            "sweep %s: %zu cells x %d policies x %d seeds = %zu runs; %s%zu run now, %zu done before\n\n", o->file,
           f->sw.n_cells, f->sw.n_policies, f->sw.seeds, dsim_sweep_n_tasks(&f->sw), shard, prog.run_now,
           n_in_shard - n_pending);
    if (!o->quiet && prog.run_now)
        fprintf(stderr, "sweep: %zu runs in %.2f s with %d %s worker%s: %.2f runs/s; the writer was busy %.1f %% "
                "of that time\n",
                prog.run_now, seconds, workers, type->name, workers == 1 ? "" : "s", (double)prog.run_now / seconds,
                100 * writer_seconds / seconds);
    if (status == EXIT_INTERRUPTED)
        cli_error("sweep interrupted: %zu of %zu runs are done; the same command goes on from there", prog.done,
                  n_in_shard);
    free(tasks);
    dsim_sweep_runner_clear(&writer);
    return status;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_sweep_job f;
    int rc = dsim_sweep_job_load(&f, o.file);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        dsim_sweep_job_clear(&f);
        return cli_exit_status(rc);
    }
    dsim_sweep_runner runner = DSIM_SWEEP_RUNNER_INIT(&f.sw, f.base, f.configs);
    runner.stop = &cli_interrupted;
    /* No more workers than runs in this shard: each costs a process and two pipes. */
    size_t n_in_shard = (dsim_sweep_n_tasks(&f.sw) - o.shard + o.n_shards - 1) / o.n_shards;
    int jobs = n_in_shard < (size_t)o.jobs ? (int)n_in_shard + (n_in_shard == 0) : o.jobs;
    const dsim_sweep_pool_type *type = jobs == 1 || o.summary_only ? &dsim_sweep_pool_inline : &dsim_sweep_pool_fork;
#ifdef DSIM_WITH_MPI
    int rank = 0, n_ranks = dsim_sweep_mpi_init(&rank);
    if (n_ranks < 0) {
        cli_error("sweep: MPI_Init failed");
        dsim_sweep_job_clear(&f);
        return EXIT_RUNTIME;
    }
    if (rank != 0) { /* a worker rank: compute what rank 0 hands out */
        status = dsim_sweep_mpi_work(&runner) ? EXIT_RUNTIME : EXIT_OK;
        dsim_sweep_runner_clear(&runner);
        dsim_sweep_job_clear(&f);
        dsim_sweep_mpi_finalize();
        return status;
    }
    if (n_ranks > 0) /* no fork after MPI_Init: one rank computes inline */
        type = n_ranks == 1 ? &dsim_sweep_pool_inline : &dsim_sweep_pool_mpi;
#endif
    /* Workers first, so that they are forked before the database is open (SQLite forbids sharing it). */
    dsim_sweep_pool *pool = NULL;
    dsim_store *store = NULL;
    int64_t id = 0;
    cli_catch_interrupts();
    /* The CSV first, so that a path that cannot be written stops the sweep before it runs. */
    FILE *csv = NULL;
    if (o.csv_path && !(csv = fopen(o.csv_path, "w"))) {
        cli_error("sweep: cannot write %s: %s", o.csv_path, strerror(errno));
        status = EXIT_USAGE;
    } else if (type->start(&pool, &runner, jobs)) {
        cli_error("sweep: %s", dsim_errmsg());
        status = EXIT_RUNTIME;
    } else if (o.summary_only && access(o.db, F_OK) != 0) {
        /* Nothing run yet, and no database to create for it: the plan, every run "not run yet". */
    } else if ((rc = dsim_store_open(&store, o.db))) {
        cli_error("%s", dsim_errmsg());
        status = cli_exit_status(rc); /* a path that cannot be a database is bad input */
    } else if ((rc = dsim_store_sweep_open(store, o.file, f.definition, &id))) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_RUNTIME;
    } else if (!o.summary_only) {
        dsim_store_set_whole_runs(store, true); /* a run is stored whole or not at all */
        status = run_sweep(&o, &f, type, pool, store, id);
    }
    type->stop(pool, status); /* the workers are done (or, under MPI after a failure, every rank ends here) */
    if (status == EXIT_OK && print_summary(store, &f.sw, id, f.names, csv, o.format)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_RUNTIME;
    }
    if (status == EXIT_OK && o.plot && store)
        status = plot_sweep(store, &f, id, o.plot, o.format == CLI_TABLE);
    if (csv && fclose(csv) != 0 && status == EXIT_OK) {
        cli_error("sweep: writing %s failed", o.csv_path);
        status = EXIT_RUNTIME;
    }
    if (csv && status != EXIT_OK)
        remove(o.csv_path); /* no summary half-written or left empty */
    dsim_store_close(store);
    dsim_sweep_runner_clear(&runner);
    dsim_sweep_job_clear(&f);
#ifdef DSIM_WITH_MPI
    dsim_sweep_mpi_finalize();
#endif
    return status;
}
