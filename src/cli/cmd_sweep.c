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
#include "cli/sweep_pool.h"
#include "core/ini.h"
#include "dsim/error.h"
#include "dsim/store.h"
#include "dsim/sweep.h"

static const char sweep_usage[] =
    "usage: dsim sweep FILE [-j N] [--shard I/N] [--db FILE] [--summary] [--csv FILE] [--quiet]\n\n"
    "Runs every cell x policy x seed of the sweep FILE (a base scenario, policies, seeds, visits and axes that\n"
    "set scenario keys to lists or FROM:TO:STEP ranges; see the README), skipping the runs a previous,\n"
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
    "  -q, --quiet     no progress on stderr\n\n"
    "Under mpirun (a build with -DDSIM_WITH_MPI=ON), rank 0 writes the database and the other ranks\n"
    "compute the runs.\n\n"
    "examples:\n"
    "  dsim sweep scenarios/sweeps/elasticity.ini --db sweep.db -j 2\n"
    "  dsim sweep scenarios/sweeps/elasticity.ini --db shard1.db --shard 1/4\n";

/* ---- the summary -------------------------------------------------------------------------------------- */

/*
 * Policies are compared on common random numbers: in a cell, every policy runs on the same seeds, so the
 * question "is B better than A here" is answered by the differences B − A seed by seed (paired), whose
 * spread leaves out what the seeds share (the world drawn, the shoppers' order). Intervals of each policy's
 * own total overlap long after the paired differences are clear of zero.
 *
 * Best: the highest mean objective. Significantly best: its paired differences to every other policy are
 * all above zero with 95 % family-wise confidence: each of the P − 1 comparisons a Student t interval at
 * 1 − 0.05 / (P − 1) (Bonferroni), on the seeds both policies have.
 */
typedef struct {
    const dsim_sweep *sw;
    double *metrics; /* (cells, policies, seeds, n_metric_defs) in seed order */
    uint64_t *seeds; /* (cells, policies, seeds): each stored run's seed, ascending */
    int *counts;     /* (cells, policies) */
} results;

static size_t slot(const dsim_sweep *sw, uint64_t cell, int policy)
{
    return cell * (size_t)sw->n_policies + (size_t)policy;
}

static int collect(uint64_t cell, int policy, uint64_t seed, const double *metrics, void *data)
{
    results *r = data;
    if (cell >= r->sw->n_cells || policy < 0 || policy >= r->sw->n_policies)
        return DSIM_OK;
    size_t at = slot(r->sw, cell, policy);
    if (r->counts[at] == r->sw->seeds)
        return DSIM_OK;
    size_t k = at * (size_t)r->sw->seeds + (size_t)r->counts[at]++;
    r->seeds[k] = seed;
    memcpy(r->metrics + k * dsim_n_metric_defs, metrics, sizeof(double) * dsim_n_metric_defs);
    return DSIM_OK;
}

/* Metric m of each stored run of (cell, policy), into out. @return the runs. */
static int metric_of(const results *r, uint64_t cell, int policy, size_t m, double *out)
{
    size_t at = slot(r->sw, cell, policy);
    for (int k = 0; k < r->counts[at]; k++)
        out[k] = r->metrics[(at * (size_t)r->sw->seeds + (size_t)k) * dsim_n_metric_defs + m];
    return r->counts[at];
}

/* Metric m of policy p minus policy q on the seeds both ran (a merge of the two ascending seed lists). */
static int paired(const results *r, uint64_t cell, int p, int q, size_t m, double *diff)
{
    size_t a = slot(r->sw, cell, p), b = slot(r->sw, cell, q), sa = a * (size_t)r->sw->seeds,
           sb = b * (size_t)r->sw->seeds;
    int i = 0, j = 0, n = 0;
    while (i < r->counts[a] && j < r->counts[b]) {
        if (r->seeds[sa + (size_t)i] < r->seeds[sb + (size_t)j]) {
            i++;
        } else if (r->seeds[sa + (size_t)i] > r->seeds[sb + (size_t)j]) {
            j++;
        } else {
            diff[n++] = r->metrics[(sa + (size_t)i) * dsim_n_metric_defs + m] -
                        r->metrics[(sb + (size_t)j) * dsim_n_metric_defs + m];
            i++, j++;
        }
    }
    return n;
}

/* Is `best` significantly best in the cell (see above)? -1 when some comparison has fewer than 2 pairs. */
static int significantly_best(const results *r, uint64_t cell, int best, size_t reward, double *diff)
{
    int others = 0;
    for (int q = 0; q < r->sw->n_policies; q++)
        others += q != best && r->counts[slot(r->sw, cell, q)] > 0;
    if (others == 0)
        return -1;
    bool above = true;
    for (int q = 0; q < r->sw->n_policies; q++) {
        if (q == best || r->counts[slot(r->sw, cell, q)] == 0)
            continue;
        int n = paired(r, cell, best, q, reward, diff);
        dsim_estimate d = dsim_estimate_mean_at(diff, (size_t)n, 1 - 0.05 / others);
        if (n < 2 || !isfinite(d.half_width))
            return -1;
        above &= d.mean - d.half_width > 0;
    }
    return above;
}

static void csv_header(FILE *csv, const dsim_sweep *sw, const char *first)
{
    fprintf(csv, "cell");
    for (int i = 0; i < sw->n_axes; i++)
        fprintf(csv, ",%s.%s", sw->axes[i].section, sw->axes[i].key);
    fprintf(csv, ",policy,seeds");
    for (size_t m = 0; m < dsim_n_metric_defs; m++)
        fprintf(csv, ",%s,%s_ci95", dsim_metric_defs[m].name, dsim_metric_defs[m].name);
    fprintf(csv, ",delta_vs_%s,delta_vs_%s_ci95,delta_pairs,best,significantly_best\n", first, first);
}

static void csv_row(FILE *csv, const results *r, uint64_t c, int p, const char *name, dsim_estimate delta, int best,
                    int significant, double *scratch)
{
    const dsim_sweep *sw = r->sw;
    fprintf(csv, "%llu", (unsigned long long)c);
    for (int i = 0; i < sw->n_axes; i++) {
        char v[DSIM_SWEEP_WORD_MAX];
        dsim_sweep_cell_value_text(sw, c, i, v, sizeof v);
        fprintf(csv, ",%s", v);
    }
    fprintf(csv, ",%s,%d", name, r->counts[slot(sw, c, p)]);
    for (size_t m = 0; m < dsim_n_metric_defs; m++) {
        dsim_estimate e = dsim_estimate_mean(scratch, (size_t)metric_of(r, c, p, m, scratch));
        fprintf(csv, ",%.17g,%.17g", e.mean, e.half_width);
    }
    fprintf(csv, ",%.17g,%.17g,%zu,%d,%d\n", delta.mean, delta.half_width, delta.n, p == best,
            p == best && significant == 1);
}

static int print_summary(dsim_store *store, const dsim_sweep *sw, int64_t id, const char *const *names, FILE *csv)
{
    size_t runs = sw->n_cells * (size_t)sw->n_policies * (size_t)sw->seeds;
    results r = {sw, calloc(runs * dsim_n_metric_defs, sizeof(double)), calloc(runs, sizeof(uint64_t)),
                 calloc(sw->n_cells * (size_t)sw->n_policies, sizeof(int))};
    double *scratch = malloc(sizeof(double) * (size_t)sw->seeds);
    size_t reward = (size_t)(dsim_metric_find("reward") - dsim_metric_defs);
    int rc = !r.metrics || !r.seeds || !r.counts || !scratch ? dsim_error_set(DSIM_ENOMEM, "out of memory")
             : store ? dsim_store_sweep_results(store, id, collect, &r)
                     : DSIM_OK; /* no database yet: nothing run */
    if (csv && !rc)
        csv_header(csv, sw, names[0]);
    if (!rc)
        printf("objective: mean ± 95 %% interval across seeds; Δ: minus %s's on the same seeds (paired);\n"
               "best: the highest mean, significantly so when its paired differences to every other policy are all\n"
               "above 0 with 95 %% family-wise confidence (Bonferroni over the comparisons)\n\n",
               names[0]);
    for (uint64_t c = 0; c < sw->n_cells && !rc; c++) {
        char cell[512];
        dsim_sweep_describe_cell(sw, c, cell, sizeof cell);
        printf("cell %llu: %s\n", (unsigned long long)c, cell[0] ? cell : "(no axes)");
        int best = -1;
        dsim_estimate est[DSIM_SWEEP_MAX_POLICIES], delta[DSIM_SWEEP_MAX_POLICIES];
        for (int p = 0; p < sw->n_policies; p++) {
            int n = r.counts[slot(sw, c, p)];
            est[p] = dsim_estimate_mean(scratch, (size_t)metric_of(&r, c, p, reward, scratch));
            delta[p] = dsim_estimate_mean(scratch, (size_t)paired(&r, c, p, 0, reward, scratch));
            if (n && (best < 0 || est[p].mean > est[best].mean))
                best = p;
            char delta_text[64] = "";
            if (p > 0 && delta[p].n >= 2)
                snprintf(delta_text, sizeof delta_text, "Δ %+.1f ± %.1f", delta[p].mean, delta[p].half_width);
            else if (p > 0 && delta[p].n == 1)
                snprintf(delta_text, sizeof delta_text, "Δ %+.1f (1 pair: no interval)", delta[p].mean);
            if (n >= 2)
                printf("  %-20s %14.1f ± %-12.1f (%d of %d seeds)  %s\n", names[p], est[p].mean, est[p].half_width, n,
                       sw->seeds, delta_text);
            else if (n == 1)
                printf("  %-20s %14.1f   %-12s (1 of %d seeds: no interval)  %s\n", names[p], est[p].mean, "",
                       sw->seeds, delta_text);
            else
                printf("  %-20s %29s (0 of %d seeds)\n", names[p], "not run yet", sw->seeds);
        }
        int significant = best >= 0 ? significantly_best(&r, c, best, reward, scratch) : -1;
        if (best >= 0)
            printf("  best: %s%s\n", names[best],
                   significant < 0   ? " (fewer than 2 seeds shared with some policy: no interval to judge significance)"
                   : significant > 0 ? " (significantly: paired Δ to every other policy above 0)"
                                     : " (not significantly: some paired Δ interval reaches 0)");
        for (int p = 0; csv && p < sw->n_policies; p++)
            csv_row(csv, &r, c, p, names[p], p > 0 ? delta[p] : (dsim_estimate){0, 0, (size_t)r.counts[slot(sw, c, 0)]},
                    best, significant, scratch);
    }
    free(r.metrics);
    free(r.seeds);
    free(r.counts);
    free(scratch);
    return rc;
}

/* ---- loading the sweep ------------------------------------------------------------------------------------ */

typedef struct {
    const char *file, *db, *csv_path;
    bool summary_only, quiet;
    int jobs;                   /* worker processes; 0: one per core */
    unsigned shard, n_shards;   /* run only the tasks t with t mod n_shards = shard */
} sweep_options;

/* The sweep file, base scenario and policies, read once by every process of the sweep. */
typedef struct {
    dsim_sweep sw;
    char *sweep_text, *base;
    dsim_policy_config *configs[DSIM_SWEEP_MAX_POLICIES];
    const char *names[DSIM_SWEEP_MAX_POLICIES];
    char *definition; /* the texts the sweep is found by in a database */
} sweep_files;

static void files_free(sweep_files *f)
{
    for (int p = 0; p < f->sw.n_policies; p++)
        dsim_policy_config_free(f->configs[p]);
    free(f->base);
    free(f->sweep_text);
    free(f->definition);
}

/* @return EXIT_OK or EXIT_USAGE (message printed). */
static int files_load(sweep_files *f, const char *file)
{
    char path[1024];
    dsim_scenario *first = NULL;
    int status = EXIT_OK;
    if (dsim_sweep_load(&f->sw, file) || dsim__read_file(file, &f->sweep_text)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_USAGE;
    }
    if ((status = cli_find_file("scenarios", f->sw.scenario, path, sizeof path)))
        return status;
    /* The base scenario alone first, so that its own mistakes are named by its own file and line. */
    if (dsim__read_file(path, &f->base) || dsim_scenario_parse(&first, f->base, path)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_USAGE;
    }
    dsim_scenario_free(first);
    first = NULL;
    if (dsim_sweep_check(&f->sw, f->base) || dsim_sweep_cell_scenario(&f->sw, f->base, 0, &first)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_USAGE;
    }
    size_t def_len = strlen("dsim " DSIM_VERSION) + strlen(f->sweep_text) + strlen(f->base) + 3;
    for (int p = 0; p < f->sw.n_policies && !status; p++) {
        if ((status = cli_find_file("policies", f->sw.policies[p], path, sizeof path)))
            break;
        if (dsim_policy_config_load(&f->configs[p], path) || dsim_policy_config_check(f->configs[p], first)) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_USAGE;
            break;
        }
        f->names[p] = f->configs[p]->name;
        def_len += (f->configs[p]->text ? strlen(f->configs[p]->text) : strlen(f->configs[p]->name)) + 1;
    }
    dsim_scenario_free(first);
    if (status)
        return status;
    /* The definition: the sweep file, the base scenario and the policies, as read, and the dsim that runs
       them (another version may simulate differently, so its runs are another sweep's). */
    if (!(f->definition = malloc(def_len + 1))) {
        cli_error("out of memory");
        return EXIT_RUNTIME;
    }
    size_t used = (size_t)snprintf(f->definition, def_len + 1, "dsim %s\f%s\f%s", DSIM_VERSION, f->sweep_text,
                                   f->base);
    for (int p = 0; p < f->sw.n_policies; p++)
        used += (size_t)snprintf(f->definition + used, def_len + 1 - used, "\f%s",
                                 f->configs[p]->text ? f->configs[p]->text : f->configs[p]->name);
    return EXIT_OK;
}

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

/* The runs of this shard not yet done for the sweep, in task order. */
static int pending_tasks(dsim_store *store, dsim_sweep_runner *runner, int64_t id, const sweep_options *o,
                         size_t **out, size_t *n_pending, size_t *n_in_shard)
{
    size_t n = dsim_sweep_n_tasks(runner->sw);
    size_t *tasks = malloc((n / o->n_shards + 1) * sizeof *tasks);
    if (!tasks)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    *n_pending = *n_in_shard = 0;
    for (size_t t = o->shard; t < n; t += o->n_shards) {
        const dsim_scenario *sc;
        uint64_t seed;
        dsim_sweep_task task = dsim_sweep_task_of(runner->sw, t);
        int rc = dsim_sweep_runner_task(runner, t, &sc, &seed), has = 0;
        if (rc || (has = dsim_store_sweep_has(store, id, task.cell, task.policy, seed)) < 0) {
            free(tasks);
            return rc ? rc : has;
        }
        ++*n_in_shard;
        if (!has)
            tasks[(*n_pending)++] = t;
    }
    *out = tasks;
    return DSIM_OK;
}

static void report_failure(const sweep_files *f, const dsim_study_result *res)
{
    dsim_sweep_task t = dsim_sweep_task_of(&f->sw, res->head.task);
    char cell[512];
    dsim_sweep_describe_cell(&f->sw, t.cell, cell, sizeof cell);
    cli_error("sweep: run %llu (cell %zu%s%s, %s, seed %d of %d) failed: %s", (unsigned long long)res->head.task,
              t.cell, cell[0] ? ": " : "", cell, f->names[t.policy], t.seed_index + 1, f->sw.seeds, res->head.error);
}

/*
 * Hand the pending runs to the workers, one at a time to whichever is idle, and store each result as it
 * comes. A failed run stops the handing out; the runs in flight are still stored. @return an exit status.
 */
static int write_runs(const sweep_pool_type *type, sweep_pool *pool, dsim_store *store, dsim_sweep_runner *writer,
                      const sweep_files *f, int64_t id, const size_t *tasks, size_t n, progress *prog,
                      double *writer_seconds)
{
    size_t next = 0;
    int busy = 0, status = EXIT_OK;
    for (int w = 0; w < type->n_workers(pool) && next < n; w++, busy++) {
        if (type->submit(pool, w, tasks[next++])) {
            cli_error("sweep: %s", dsim_errmsg());
            return EXIT_RUNTIME;
        }
    }
    dsim_study_result res = {0};
    while (busy > 0) {
        int w, rc = type->collect(pool, &w, &res);
        if (rc) {
            if (rc != DSIM_EINTERRUPTED)
                cli_error("sweep: %s", dsim_errmsg());
            status = rc == DSIM_EINTERRUPTED ? EXIT_INTERRUPTED : EXIT_RUNTIME;
            break;
        }
        busy--;
        double t0 = cli_now_seconds();
        rc = dsim_sweep_store_result(writer, store, id, &res);
        *writer_seconds += cli_now_seconds() - t0;
        if (rc) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_RUNTIME;
        } else if (res.head.status != DSIM_OK) {
            report_failure(f, &res);
            status = EXIT_RUNTIME;
        } else {
            prog->run_now++;
            prog->done++;
            progress_show(prog, false);
        }
        if (status == EXIT_OK && next < n) {
            if (type->submit(pool, w, tasks[next++])) {
                cli_error("sweep: %s", dsim_errmsg());
                status = EXIT_RUNTIME;
            } else {
                busy++;
            }
        }
    }
    dsim_study_result_clear(&res);
    progress_show(prog, true);
    return status;
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
static int run_sweep(const sweep_options *o, const sweep_files *f, const sweep_pool_type *type, sweep_pool *pool,
                     dsim_store *store, int64_t id)
{
    dsim_sweep_runner writer = DSIM_SWEEP_RUNNER_INIT(&f->sw, f->base, f->configs);
    size_t *tasks = NULL, n_pending = 0, n_in_shard = 0;
    if (pending_tasks(store, &writer, id, o, &tasks, &n_pending, &n_in_shard)) {
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
    double writer_seconds = 0;
    int status = write_runs(type, pool, store, &writer, f, id, tasks, n_pending, &prog, &writer_seconds);
    double seconds = cli_now_seconds() - prog.started;
    char shard[64] = "";
    if (o->n_shards > 1)
        snprintf(shard, sizeof shard, "shard %u/%u has %zu: ", o->shard, o->n_shards, n_in_shard);
    printf("sweep %s: %zu cells x %d policies x %d seeds = %zu runs; %s%zu run now, %zu done before\n\n", o->file,
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
    sweep_files f = {0};
    if ((status = files_load(&f, o.file))) {
        files_free(&f);
        return status;
    }
    dsim_sweep_runner runner = DSIM_SWEEP_RUNNER_INIT(&f.sw, f.base, f.configs);
    runner.stop = &cli_interrupted;
    /* No more workers than runs in this shard: each costs a process and two pipes. */
    size_t n_in_shard = (dsim_sweep_n_tasks(&f.sw) - o.shard + o.n_shards - 1) / o.n_shards;
    int jobs = n_in_shard < (size_t)o.jobs ? (int)n_in_shard + (n_in_shard == 0) : o.jobs;
    const sweep_pool_type *type = jobs == 1 || o.summary_only ? &sweep_pool_inline : &sweep_pool_fork;
#ifdef DSIM_WITH_MPI
    int rank = 0, n_ranks = sweep_mpi_init(&rank);
    if (n_ranks < 0) {
        cli_error("sweep: MPI_Init failed");
        files_free(&f);
        return EXIT_RUNTIME;
    }
    if (rank != 0) { /* a worker rank: compute what rank 0 hands out */
        status = sweep_mpi_work(&runner) ? EXIT_RUNTIME : EXIT_OK;
        dsim_sweep_runner_clear(&runner);
        files_free(&f);
        sweep_mpi_finalize();
        return status;
    }
    if (n_ranks > 0) /* no fork after MPI_Init: one rank computes inline */
        type = n_ranks == 1 ? &sweep_pool_inline : &sweep_pool_mpi;
#endif
    /* Workers first, so that they are forked before the database is open (SQLite forbids sharing it). */
    sweep_pool *pool = NULL;
    dsim_store *store = NULL;
    int64_t id = 0;
    cli_catch_interrupts();
    /* The CSV first, so that a path that cannot be written stops the sweep before it runs. */
    FILE *csv = NULL;
    int rc;
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
    if (status == EXIT_OK && print_summary(store, &f.sw, id, f.names, csv)) {
        cli_error("%s", dsim_errmsg());
        status = EXIT_RUNTIME;
    }
    if (csv && fclose(csv) != 0 && status == EXIT_OK) {
        cli_error("sweep: writing %s failed", o.csv_path);
        status = EXIT_RUNTIME;
    }
    if (csv && status != EXIT_OK)
        remove(o.csv_path); /* no summary half-written or left empty */
    dsim_store_close(store);
    dsim_sweep_runner_clear(&runner);
    files_free(&f);
#ifdef DSIM_WITH_MPI
    sweep_mpi_finalize();
#endif
    return status;
}
