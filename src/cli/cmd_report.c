/*
 * cmd_report.c — `dsim report`: one file a strategist can take to a meeting. HTML: self-contained (charts
 * inline as SVG, styles inline, no scripts, no outside files); PDF: the same content as pages. It holds the
 * question (scenario, its story, policies, seeds, visits), the comparison table `dsim run` prints, the charts
 * `dsim plot` draws, the per-segment results, the full texts that ran, the dsim version and the commands that
 * reproduce it. Of stored runs (RUN… or --scenario NAME) or of a stored sweep (--sweep FILE).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/file.h"
#include "core/text.h"
#include "dsim/chart.h"
#include "dsim/error.h"
#include "dsim/sweep.h"

#ifndef DSIM_VERSION
#define DSIM_VERSION "0"
#endif

static const char report_usage[] =
    "usage: dsim report [RUN... | --scenario NAME | --sweep FILE] [--db FILE] -o OUT.{html,pdf}\n\n"
    "Writes one report of stored results: the question (scenario and its story, policies, seeds, visits), the\n"
    "comparison table of dsim run, the charts of dsim plot (delta, cumulative, conversion, regret, levels,\n"
    "segments; or the sweep's), the results by segment, the full scenario and policy texts that ran, the dsim\n"
    "version and the commands that reproduce it. .html is one self-contained file (no scripts, nothing\n"
    "fetched); .pdf has the same content as pages.\n\n"
    "  RUN...            run numbers or ranges as 4-9 (dsim list); the first policy is the baseline\n"
    "  --scenario NAME   the newest finished runs of dsim run on scenario NAME (one per policy and seed, of\n"
    "                    the newest run's horizon)\n"
    "  --sweep FILE      the sweep of this file, as stored in the database\n"
    "  -o, --output OUT  the file to write (required)\n"
    "  --db FILE         result database (default " DEFAULT_DB ")\n\n"
    "example:\n  dsim run default -p fixed10 -p none -p linucb --seeds 5\n  dsim report --scenario default -o report.html\n";

typedef struct {
    const char *db, *out, *scenario, *sweep;
    char *args[CLI_MAX_RUN_ARGS];
    int n_args;
    char command[1024]; /* how this report was asked for, for its "reproduce" section */
} report_options;

/* ---- what the report is of: runs grouped by policy, paired by seed ------------------------------------- */

typedef struct {
    dsim_store *store;
    int n_policies;
    size_t n_seeds;
    const char *names[CLI_MAX_POLICIES];
    dsim_run_row *rows;     /* (n_policies, n_seeds): each policy's runs by ascending seed */
    int64_t ids[CLI_MAX_RUNS]; /* in that order */
    double *values;         /* (n_policies, n_seeds, metrics) */
    dsim_run_segments *segs; /* (n_policies, n_seeds) */
} run_set;

static void run_set_clear(run_set *r)
{
    for (size_t i = 0; r->rows && i < (size_t)r->n_policies * r->n_seeds; i++)
        dsim_store_row_clear(&r->rows[i]);
    free(r->rows);
    free(r->values);
    free(r->segs);
}

static int by_seed(const void *a, const void *b)
{
    const dsim_run_row *x = a, *y = b;
    return (x->seed > y->seed) - (x->seed < y->seed);
}

/* Read the runs and arrange them (policy, seed); every policy must have run on the same seeds. */
static int run_set_load(dsim_store *store, const int64_t *ids, int n, run_set *r)
{
    memset(r, 0, sizeof *r);
    r->store = store;
    dsim_run_row *rows = calloc((size_t)n, sizeof *rows);
    int *policy = calloc((size_t)n, sizeof *policy);
    size_t counts[CLI_MAX_POLICIES] = {0};
    int rc = rows && policy ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
    int loaded = 0;
    for (int i = 0; i < n && !rc; i++) {
        if ((rc = dsim_store_run_get(store, ids[i], &rows[i])) == DSIM_ENOTFOUND)
            rc = dsim_error_set(DSIM_ENOTFOUND, "run %lld is not in the database (dsim list shows the runs)",
                                (long long)ids[i]);
        if (rc)
            break;
        loaded = i + 1;
        if (strcmp(rows[i].status, "done")) {
            rc = dsim_error_set(DSIM_EINVAL, "run %lld is %s, not finished", (long long)ids[i], rows[i].status);
            break;
        }
        int p = 0;
        while (p < r->n_policies && strcmp(rows[i].policy_name, r->names[p]))
            p++;
        if (p == CLI_MAX_POLICIES) {
            rc = dsim_error_set(DSIM_EINVAL, "a report compares at most %d policies", CLI_MAX_POLICIES);
            break;
        }
        if (p == r->n_policies)
            r->names[r->n_policies++] = rows[i].policy_name;
        for (int j = 0; j < i && !rc; j++)
            if (policy[j] == p && rows[j].seed == rows[i].seed)
                rc = dsim_error_set(DSIM_EINVAL, "runs %lld and %lld are both %s on seed %llu: give one of them",
                                    (long long)rows[j].id, (long long)rows[i].id, rows[i].policy_name,
                                    (unsigned long long)rows[i].seed);
        if (rc)
            break;
        policy[i] = p;
        counts[p]++;
    }
    r->n_seeds = r->n_policies ? counts[0] : 0;
    for (int p = 1; p < r->n_policies && !rc; p++)
        if (counts[p] != r->n_seeds)
            rc = dsim_error_set(DSIM_EINVAL, "%s has %zu runs and %s %zu: a report compares policies on the same seeds",
                                r->names[0], r->n_seeds, r->names[p], counts[p]);
    if (!rc && !(r->rows = calloc((size_t)n, sizeof *r->rows)))
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (!rc) { /* (policy, seed) order; rows[] moves into r->rows, names re-pointed at its copies */
        size_t filled[CLI_MAX_POLICIES] = {0};
        for (int i = 0; i < n; i++)
            r->rows[(size_t)policy[i] * r->n_seeds + filled[policy[i]]++] = rows[i];
        for (int p = 0; p < r->n_policies; p++) {
            qsort(&r->rows[(size_t)p * r->n_seeds], r->n_seeds, sizeof *r->rows, by_seed);
            r->names[p] = r->rows[(size_t)p * r->n_seeds].policy_name;
        }
        memset(rows, 0, (size_t)n * sizeof *rows);
    }
    for (int i = 0; i < loaded && rows; i++)
        dsim_store_row_clear(&rows[i]);
    free(rows);
    free(policy);
    for (int p = 1; p < r->n_policies && !rc; p++)
        for (size_t s = 0; s < r->n_seeds && !rc; s++)
            if (r->rows[(size_t)p * r->n_seeds + s].seed != r->rows[s].seed)
                rc = dsim_error_set(DSIM_EINVAL, "%s and %s ran on different seeds: a report pairs them seed by seed",
                                    r->names[0], r->names[p]);
    for (int p = 0; p < r->n_policies && !rc; p++)
        if (strcmp(r->rows[(size_t)p * r->n_seeds].scenario_name, r->rows[0].scenario_name))
            rc = dsim_error_set(DSIM_EINVAL, "runs of scenarios %s and %s: a report is of one scenario",
                                r->rows[0].scenario_name, r->rows[(size_t)p * r->n_seeds].scenario_name);
    size_t n_runs = (size_t)r->n_policies * r->n_seeds;
    if (!rc && (!(r->values = calloc(n_runs * dsim_metrics_n_defs, sizeof *r->values)) ||
                !(r->segs = calloc(n_runs, sizeof *r->segs))))
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (size_t t = 0; t < n_runs && !rc; t++) {
        r->ids[t] = r->rows[t].id;
        memcpy(&r->values[t * dsim_metrics_n_defs], r->rows[t].summary, dsim_metrics_n_defs * sizeof(double));
        rc = dsim_store_run_segments(store, r->rows[t].id, &r->segs[t]);
    }
    if (rc && !r->rows)
        r->n_policies = 0;
    return rc;
}

/* --scenario NAME: the newest finished `dsim run` runs of it, one per policy and seed, of the newest horizon. */
static int scenario_runs(dsim_store *store, const char *name, int64_t *ids, int *n)
{
    dsim_run_row *rows = NULL;
    size_t n_rows = 0;
    *n = 0;
    int rc = dsim_store_runs(store, &(dsim_run_filter){name, NULL, "run", "done"}, &rows, &n_rows);
    if (!rc && n_rows == 0)
        rc = dsim_error_set(DSIM_ENOTFOUND, "no finished run of scenario %s in the database (dsim list shows them)",
                            name);
    uint64_t horizon = n_rows ? rows[n_rows - 1].planned_visits : 0;
    for (size_t i = n_rows; i-- > 0 && !rc;) { /* newest first */
        if (rows[i].planned_visits != horizon)
            continue;
        bool seen = false;
        for (size_t j = i + 1; j < n_rows && !seen; j++)
            seen = rows[j].planned_visits == horizon && rows[j].seed == rows[i].seed &&
                   !strcmp(rows[j].policy_name, rows[i].policy_name);
        if (!seen && *n < CLI_MAX_RUNS)
            ids[(*n)++] = rows[i].id;
    }
    for (int a = 0, b = *n - 1; a < b; a++, b--) { /* oldest first: the first policy run is the baseline */
        int64_t t = ids[a];
        ids[a] = ids[b];
        ids[b] = t;
    }
    dsim_store_rows_free(rows, n_rows);
    return rc;
}

static bool is_pdf(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && !strcmp(path + n - 4, ".pdf");
}

/* An HTML file written beside OUT under a unique temporary name, renamed to OUT when complete. */
typedef struct {
    FILE *fp;
    char tmp[4096];
} html_out;

static int html_open(html_out *h, const char *out)
{
    if (!(h->fp = dsim__open_beside(out, h->tmp, sizeof h->tmp)))
        return dsim_error_set(DSIM_EIO, "%s: cannot write: %s", out, strerror(errno));
    return DSIM_OK;
}

/* Close it: renamed to OUT when everything went well (rc 0), removed otherwise. @return rc or the write's error. */
static int html_close(html_out *h, const char *out, int rc)
{
    if (fclose(h->fp) != 0 && !rc)
        rc = dsim_error_set(DSIM_EIO, "%s: write failed", out);
    if (!rc && rename(h->tmp, out) != 0)
        rc = dsim_error_set(DSIM_EIO, "%s: cannot write: %s", out, strerror(errno));
    if (rc)
        remove(h->tmp);
    return rc;
}

/* ---- writing HTML ---------------------------------------------------------------------------------------- */

static void html_text(FILE *fp, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '&': fputs("&amp;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*s, fp);
        }
}

/* The story: a scenario file's opening comment, its markers taken off. */
static void story_of(const char *text, FILE *fp)
{
    for (const char *line = text; line && (*line == ';' || *line == '#');) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        size_t skip = len > 1 && line[1] == ' ' ? 2 : 1;
        fprintf(fp, "%.*s\n", (int)(len - (len >= skip ? skip : len)), line + (len >= skip ? skip : len));
        line = end ? end + 1 : NULL;
    }
}

/* The comparison table's cells of one block (policy, seed, metric), as `dsim run` makes them. */
static void table_cells(const run_set *r, const double *block, char (*cells)[96], cli_column *columns, int *n_columns)
{
    size_t metric[16];
    *n_columns = cli_run_default_columns(columns, metric, 16);
    double *values = cli_column_values(block, (size_t)r->n_policies * r->n_seeds, dsim_metrics_n_defs, metric,
                                       *n_columns);
    if (!values)
        return;
    for (int p = 0; p < r->n_policies; p++)
        for (int c = 0; c < *n_columns; c++)
            cli_format_cell(cells[p * *n_columns + c], 96, columns[c].format,
                            cli_column_estimate(columns[c].kind, values, *n_columns, c, p, r->n_seeds),
                            columns[c].scale);
    free(values);
}

static void html_table(FILE *fp, const run_set *r, const double *block)
{
    cli_column columns[16];
    int n_columns = 0;
    char(*cells)[96] = calloc((size_t)r->n_policies * 16, sizeof *cells);
    if (!cells)
        return;
    table_cells(r, block, cells, columns, &n_columns);
    fputs("<div class=\"wide\"><table>\n<tr><th>policy</th>", fp);
    for (int c = 0; c < n_columns; c++) {
        fputs("<th>", fp);
        html_text(fp, columns[c].head);
        fputs("</th>", fp);
    }
    fputs("</tr>\n", fp);
    for (int p = 0; p < r->n_policies; p++) {
        fprintf(fp, "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:#%06X\"></span>",
                dsim_chart_palette(p));
        html_text(fp, r->names[p]);
        fputs("</td>", fp);
        for (int c = 0; c < n_columns; c++) {
            fputs("<td>", fp);
            html_text(fp, cells[p * n_columns + c]);
            fputs("</td>", fp);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</table></div>\n", fp);
    free(cells);
}

/* A figure inline: PLplot's SVG from its <svg> element on (its XML prologue dropped). */
static int html_figure(FILE *fp, const dsim_figure *f, const char *caption)
{
    char *svg = NULL;
    int rc = dsim_chart_svg(f, 0, 0, &svg);
    if (rc)
        return rc;
    const char *start = strstr(svg, "<svg");
    fputs("<figure>\n", fp);
    fputs(start ? start : svg, fp);
    fputs("<figcaption>", fp);
    html_text(fp, caption);
    fputs("</figcaption>\n</figure>\n", fp);
    free(svg);
    return DSIM_OK;
}

static const char style[] =
    "<style>\n"
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.45}\n"
    "h1{font-size:1.7rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}\n"
    ".meta{color:#666;font-size:.9rem}\n"
    "table{border-collapse:collapse;font-size:.88rem;margin:.6rem 0}\n"
    "th,td{padding:.25rem .6rem;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}\n"
    "th:first-child,td.name{text-align:left}th{background:#f4f4f4}\n"
    ".swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.4rem;vertical-align:-.05rem}\n"
    "figure{margin:1.2rem 0}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.9rem}\n"
    "pre{background:#f7f7f7;padding:.7rem;overflow-x:auto;font-size:.82rem}\n"
    ".story{background:#fbf8ef;border-left:3px solid #E69F00;white-space:pre-wrap}\n"
    ".note{color:#555;font-size:.88rem}.wide{overflow-x:auto}\n"
    "</style>\n";

static void html_begin(FILE *fp, const char *title, const char *db)
{
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", fp);
    html_text(fp, title);
    fprintf(fp, "</title>\n%s</head>\n<body>\n<h1>", style);
    html_text(fp, title);
    fprintf(fp, "</h1>\n<p class=\"meta\">dsim %s &middot; written %s &middot; database ", DSIM_VERSION, when);
    html_text(fp, db);
    fputs("</p>\n", fp);
}

/* The page's head, its title and the question: the story told by the opening comment of the file (`what`). */
static void html_question(FILE *fp, const char *title, const char *db, const char *text, const char *what)
{
    html_begin(fp, title, db);
    fputs("<h2 id=\"question\">The question</h2>\n<pre class=\"story\">", fp);
    char *story = NULL;
    size_t story_len = 0;
    FILE *ms = open_memstream(&story, &story_len);
    if (ms) {
        story_of(text, ms);
        fclose(ms);
    }
    if (story && *story)
        html_text(fp, story);
    else
        fprintf(fp, "(the %s file has no opening comment)", what);
    free(story);
    fputs("</pre>\n", fp);
}

static void html_pre(FILE *fp, const char *heading, const char *name, const char *text)
{
    fprintf(fp, "<h3>%s ", heading);
    html_text(fp, name);
    fputs("</h3>\n<pre>", fp);
    html_text(fp, text ? text : "(not stored)");
    fputs("</pre>\n", fp);
}

/* ---- the report of runs ---------------------------------------------------------------------------------- */

static const dsim_plot_kind run_charts[] = {DSIM_PLOT_DELTA,  DSIM_PLOT_CUMULATIVE, DSIM_PLOT_CONVERSION,
                                            DSIM_PLOT_REGRET, DSIM_PLOT_LEVELS,     DSIM_PLOT_SEGMENTS};
#define N_RUN_CHARTS (sizeof run_charts / sizeof run_charts[0])

static const char *const run_captions[] = {
    ("Cumulative objective minus the first policy's, seed by seed; the band is the 95 % interval of that paired "
     "difference. Above zero: better than the baseline."),
    "Cumulative objective, mean across seeds with a 95 % band.",
    "Purchases per visit between checkpoints: how conversion moves as policies learn and shoppers adapt.",
    "Cumulative myopic regret: objective lost against the oracle that picks the best level for each visit alone.",
    "The share of each policy's decisions at each discount level.",
    "The same per hidden segment (the simulator's truth: no policy sees it), and each segment's profit."};

/* The commands that make these runs again and this report. `dsim run` makes seeds seed … seed + K − 1 of the
   scenario's `seed`: when the runs' seeds are not that, the command says which seeds to run instead. */
static void commands_of(const run_set *r, const report_options *o, char *out, size_t n)
{
    const dsim_run_row *first = &r->rows[0];
    dsim_scenario *sc = NULL;
    bool from_scenario_seed = dsim_scenario_parse(&sc, first->scenario_text, first->scenario_name) == DSIM_OK &&
                              sc->seed == first->seed;
    dsim_scenario_free(sc);
    for (size_t s = 1; s < r->n_seeds; s++)
        from_scenario_seed &= r->rows[s].seed == first->seed + s;
    size_t len = (size_t)snprintf(out, n, "dsim run %s", first->scenario_name);
    for (int p = 0; p < r->n_policies && len < n; p++)
        len += (size_t)snprintf(out + len, n - len, " -p %s", r->names[p]);
    if (len < n)
        len += (size_t)snprintf(out + len, n - len, " --seeds %zu --visits %llu --db %s", r->n_seeds,
                                (unsigned long long)(first->planned_visits ? first->planned_visits : first->visits),
                                o->db);
    if (len < n && !from_scenario_seed) {
        len += (size_t)snprintf(out + len, n - len, "\n    (these runs are on seeds");
        for (size_t s = 0; s < r->n_seeds && len < n; s++)
            len += (size_t)snprintf(out + len, n - len, " %llu", (unsigned long long)r->rows[s].seed);
        if (len < n)
            len += (size_t)snprintf(out + len, n - len, ": set the scenario's seed, one run per seed)");
    }
    if (len < n)
        snprintf(out + len, n - len, "\n%s", o->command);
}

/* The figures of the runs' charts; a kind the runs cannot give (segments of old runs) is left empty. */
static int run_figures(const run_set *r, dsim_figure *figs)
{
    size_t n = (size_t)r->n_policies * r->n_seeds;
    for (size_t k = 0; k < N_RUN_CHARTS; k++) {
        int rc = dsim_chart_from_runs(r->store, r->ids, n, run_charts[k], &figs[k]);
        if (rc == DSIM_EINVAL && k > 0) /* a chart these runs cannot give: said in its place */
            snprintf(figs[k].title, sizeof figs[k].title, "%s", dsim_errmsg());
        else if (rc)
            return rc;
    }
    return DSIM_OK;
}

/* Do all the runs have per-segment results, of the same segments? */
static bool segments_alike(const run_set *r)
{
    for (size_t t = 0; t < (size_t)r->n_policies * r->n_seeds; t++) {
        if (r->segs[t].n == 0 || r->segs[t].n != r->segs[0].n)
            return false;
        for (int g = 0; g < r->segs[0].n; g++)
            if (strcmp(r->segs[t].name[g], r->segs[0].name[g]))
                return false;
    }
    return true;
}

static void segment_tables_html(FILE *fp, const run_set *r)
{
    const dsim_run_segments *s0 = &r->segs[0];
    if (!segments_alike(r)) {
        fputs("<p class=\"note\">Not every run has per-segment results of the same segments (runs stored by an "
              "older dsim, or dashboard snapshots): no table by segment.</p>\n", fp);
        return;
    }
    size_t n = (size_t)r->n_policies * r->n_seeds;
    double *block = malloc(n * dsim_metrics_n_defs * sizeof *block);
    if (!block)
        return;
    for (int g = 0; g < s0->n; g++) {
        for (size_t t = 0; t < n; t++)
            memcpy(&block[t * dsim_metrics_n_defs], r->segs[t].summary[g], dsim_metrics_n_defs * sizeof(double));
        fputs("<h3>", fp);
        html_text(fp, s0->name[g]);
        fprintf(fp, " (%.1f %% of shoppers)</h3>\n", 100 * s0->share[g]);
        html_table(fp, r, block);
    }
    fputs("<p class=\"note\">Segments are the simulator's hidden truth: a shop cannot see them and no policy is told "
          "one.</p>\n", fp);
    free(block);
}

static int runs_html(FILE *fp, const run_set *r, const report_options *o, const dsim_figure *figs)
{
    const dsim_run_row *first = &r->rows[0];
    char title[160];
    snprintf(title, sizeof title, "Which discount policy? Scenario %.60s", first->scenario_name);
    html_question(fp, title, o->db, first->scenario_text, "scenario");
    fputs("<ul>\n<li>scenario <b>", fp);
    html_text(fp, first->scenario_name);
    fprintf(fp, "</b>, objective <b>%s</b></li>\n<li>policies: ", first->objective);
    for (int p = 0; p < r->n_policies; p++) {
        fputs(p ? ", " : "", fp);
        html_text(fp, r->names[p]);
    }
    fprintf(fp, " (the first, %s, is the baseline of &Delta; and lift)</li>\n", r->names[0]);
    fprintf(fp, "<li>%zu seed%s (%llu to %llu), the same for every policy (common random numbers)</li>\n",
            r->n_seeds, r->n_seeds == 1 ? "" : "s", (unsigned long long)r->rows[0].seed,
            (unsigned long long)r->rows[r->n_seeds - 1].seed);
    fprintf(fp, "<li>%llu visits per run; runs ", (unsigned long long)first->visits);
    for (size_t t = 0; t < (size_t)r->n_policies * r->n_seeds; t++)
        fprintf(fp, "%s%lld", t ? ", " : "", (long long)r->ids[t]);
    fputs("</li>\n</ul>\n", fp);
    fprintf(fp, "<h2 id=\"comparison\">Comparison</h2>\n<p class=\"note\">Mean &plusmn; 95 %% interval across "
                "seeds. &Delta; objective: %s minus %s's on the same seeds; lift: that &Delta; over %s's.</p>\n",
            first->objective, r->names[0], r->names[0]);
    html_table(fp, r, r->values);
    fputs("<h2 id=\"charts\">Charts</h2>\n", fp);
    for (size_t k = 0; k < N_RUN_CHARTS; k++)
        if (figs[k].n_panels) {
            int rc = html_figure(fp, &figs[k], run_captions[k]);
            if (rc)
                return rc;
        } else {
            fprintf(fp, "<p class=\"note\">No %s chart: ", dsim_plot_kind_name(run_charts[k]));
            html_text(fp, figs[k].title);
            fputs("</p>\n", fp);
        }
    fputs("<h2 id=\"segments\">By segment</h2>\n", fp);
    segment_tables_html(fp, r);
    fputs("<h2 id=\"inputs\">What ran</h2>\n", fp);
    html_pre(fp, "Scenario", first->scenario_name, first->scenario_text);
    for (int p = 0; p < r->n_policies; p++)
        html_pre(fp, "Policy", r->names[p], r->rows[(size_t)p * r->n_seeds].policy_text);
    char commands[4096];
    commands_of(r, o, commands, sizeof commands);
    fputs("<h2 id=\"reproduce\">Reproduce</h2>\n<p class=\"note\">With the files above (a name is found as "
          "scenarios/NAME.ini or policies/NAME.ini), the first command makes the same runs, bit for bit; the second "
          "writes this report.</p>\n<pre>", fp);
    html_text(fp, commands);
    fprintf(fp, "</pre>\n<p class=\"meta\">dsim %s</p>\n</body>\n</html>\n", DSIM_VERSION);
    return DSIM_OK;
}

/* ---- the PDF: the same content, as pages ----------------------------------------------------------------- */

/* A document's pages, grown as they are added. */
typedef struct {
    dsim_chart_page *page;
    int n, cap;
} page_list;

static int add_page(page_list *l, const dsim_figure *figure, const char *text)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 32;
        dsim_chart_page *p = realloc(l->page, (size_t)cap * sizeof *p);
        if (!p)
            return dsim_error_set(DSIM_ENOMEM, "out of memory");
        l->page = p;
        l->cap = cap;
    }
    l->page[l->n++] = (dsim_chart_page){figure, text};
    return DSIM_OK;
}

/* `text` as pages of at most `lines` lines each (the text is cut in place at each page's end). */
static int text_pages(char *text, page_list *l, int lines)
{
    for (char *line = text; line && *line;) {
        int rc = add_page(l, NULL, line);
        if (rc)
            return rc;
        char *end = line;
        for (int k = 0; k < lines && (end = strchr(end, '\n')); k++)
            end++;
        if (!end || !*end)
            break;
        end[-1] = '\0';
        line = end;
    }
    return DSIM_OK;
}

static void table_text(FILE *fp, const run_set *r, const double *block)
{
    size_t metric[16];
    cli_column columns[16];
    int n_columns = cli_run_default_columns(columns, metric, 16);
    double *values = cli_column_values(block, (size_t)r->n_policies * r->n_seeds, dsim_metrics_n_defs, metric,
                                       n_columns);
    if (!values)
        return;
    cli_print_comparison(fp, r->names, r->n_policies, columns, n_columns, values, r->n_seeds);
    free(values);
}

static int runs_pdf(const run_set *r, const report_options *o, const dsim_figure *figs)
{
    const dsim_run_row *first = &r->rows[0];
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    if (!fp)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    fprintf(fp, "Which discount policy? Scenario %s (dsim %s)\n\n", first->scenario_name, DSIM_VERSION);
    story_of(first->scenario_text, fp);
    fprintf(fp, "\n%d policies, %zu seeds, %llu visits per run; objective %s; baseline %s\n\n", r->n_policies,
            r->n_seeds, (unsigned long long)first->visits, first->objective, r->names[0]);
    table_text(fp, r, r->values);
    fputs("\x01", fp); /* page break */
    size_t n = (size_t)r->n_policies * r->n_seeds;
    double *block = malloc(n * dsim_metrics_n_defs * sizeof *block);
    for (int g = 0; block && segments_alike(r) && g < r->segs[0].n; g++) {
        for (size_t t = 0; t < n; t++)
            memcpy(&block[t * dsim_metrics_n_defs], r->segs[t].summary[g], dsim_metrics_n_defs * sizeof(double));
        fprintf(fp, "%sSegment %s (%.1f %% of shoppers; hidden truth)\n", g ? "\n" : "", r->segs[0].name[g],
                100 * r->segs[0].share[g]);
        table_text(fp, r, block);
    }
    free(block);
    fputs("\x01", fp);
    fprintf(fp, "Scenario %s\n\n%s\n", first->scenario_name, first->scenario_text);
    for (int p = 0; p < r->n_policies; p++)
        fprintf(fp, "\nPolicy %s\n\n%s\n", r->names[p], r->rows[(size_t)p * r->n_seeds].policy_text
                                                                ? r->rows[(size_t)p * r->n_seeds].policy_text
                                                                : "(not stored)");
    char commands[4096];
    commands_of(r, o, commands, sizeof commands);
    fprintf(fp, "\nReproduce:\n%s\n", commands);
    fclose(fp);
    /* Pages: the question and table, the charts, the segments' tables, then the texts. */
    page_list pages = {0};
    char *part[3] = {text, NULL, NULL};
    for (int k = 1; k < 3; k++)
        if (part[k - 1] && (part[k] = strchr(part[k - 1], '\x01')))
            *part[k]++ = '\0';
    int rc = text_pages(part[0], &pages, 60);
    for (size_t k = 0; k < N_RUN_CHARTS && !rc; k++)
        if (figs[k].n_panels)
            rc = add_page(&pages, &figs[k], NULL);
    for (int k = 1; k < 3 && !rc; k++)
        if (part[k] && *part[k])
            rc = text_pages(part[k], &pages, 60);
    if (!rc)
        rc = dsim_chart_write(pages.page, pages.n, o->out, 842, 595);
    free(pages.page);
    free(text);
    return rc;
}

/* ---- the report of a sweep ------------------------------------------------------------------------------- */

typedef struct {
    FILE *fp;
    const dsim_sweep_job *job;
    int objective;
} sweep_table;

static int sweep_row(const dsim_sweep_cell_summary *cell, void *user)
{
    sweep_table *t = user;
    char where[512], cell_text[96];
    dsim_sweep_describe_cell(&t->job->sw, cell->cell, where, sizeof where);
    for (int p = 0; p < t->job->sw.n_policies; p++) {
        const dsim_sweep_policy_summary *ps = &cell->policies[p];
        fputs("<tr><td class=\"name\">", t->fp);
        html_text(t->fp, p ? "" : where);
        fprintf(t->fp, "</td><td class=\"name\"><span class=\"swatch\" style=\"background:#%06X\"></span>",
                dsim_chart_palette(p));
        html_text(t->fp, t->job->names[p]);
        fprintf(t->fp, "%s</td><td>%d</td><td>", p == cell->best ? (cell->significant == 1 ? " ★" : " ☆") : "",
                ps->runs);
        cli_format_cell(cell_text, sizeof cell_text, "%.0f", ps->metrics[t->objective], 1);
        html_text(t->fp, ps->runs ? cell_text : "not run");
        fputs("</td><td>", t->fp);
        cli_format_cell(cell_text, sizeof cell_text, "%+.0f", ps->delta, 1);
        html_text(t->fp, ps->runs ? cell_text : "-");
        fputs("</td></tr>\n", t->fp);
    }
    return 0;
}

static int sweep_html(FILE *fp, dsim_store *store, const report_options *o, const dsim_sweep_job *job, int64_t id,
                      const dsim_figure *fig)
{
    char title[160];
    snprintf(title, sizeof title, "Sweep %.100s", job->sw.path);
    html_question(fp, title, o->db, job->sweep_text, "sweep");
    fprintf(fp, "<p>%zu cells &times; %d policies &times; %d seeds, %llu visits per run.</p>\n",
            job->sw.n_cells, job->sw.n_policies, job->sw.seeds, (unsigned long long)job->sw.visits);
    fputs("<h2 id=\"chart\">Chart</h2>\n", fp);
    int rc = html_figure(fp, fig, job->sw.n_axes == 1 ? "Each policy's paired difference to the first, by the axis "
                                                        "value, with 95 % intervals."
                                                      : "The best policy in each cell and its margin over the "
                                                        "runner-up; strong colour and * where it is significantly best.");
    fputs("<h2 id=\"summary\">Summary</h2>\n<p class=\"note\">Objective per run, mean &plusmn; 95 % across seeds; "
          "&Delta;: paired difference to the first policy; ★ best and significantly so, ☆ best but not "
          "significantly.</p>\n<div class=\"wide\"><table>\n<tr><th>cell</th><th>policy</th><th>runs</th>"
          "<th>objective</th><th>&Delta; objective</th></tr>\n", fp);
    sweep_table t = {fp, job, (int)(dsim_metrics_find("reward") - dsim_metrics_defs)};
    if (!rc)
        rc = dsim_sweep_summarize(store, &job->sw, id, sweep_row, &t);
    fputs("</table></div>\n<h2 id=\"inputs\">What ran</h2>\n", fp);
    html_pre(fp, "Sweep", o->sweep, job->sweep_text);
    html_pre(fp, "Base scenario", job->sw.scenario, job->base);
    for (int p = 0; p < job->sw.n_policies; p++)
        html_pre(fp, "Policy", job->names[p], job->configs[p]->text);
    fputs("<h2 id=\"reproduce\">Reproduce</h2>\n<pre>dsim sweep ", fp);
    html_text(fp, o->sweep);
    fputs(" --db ", fp);
    html_text(fp, o->db);
    fputs("\n", fp);
    html_text(fp, o->command);
    fprintf(fp, "</pre>\n<p class=\"meta\">dsim %s</p>\n</body>\n</html>\n", DSIM_VERSION);
    return rc;
}

static int sweep_report(dsim_store *store, const report_options *o)
{
    dsim_sweep_job job;
    int rc = dsim_sweep_job_load(&job, o->sweep);
    int64_t id = 0;
    if (!rc && (rc = dsim_store_sweep_find(store, job.definition, &id)) == DSIM_ENOTFOUND)
        rc = dsim_error_set(DSIM_ENOTFOUND, "%s: the sweep %s is not in this database (run it with dsim sweep %s "
                            "--db %s)", o->db, o->sweep, o->sweep, o->db);
    dsim_figure *fig = rc ? NULL : calloc(1, sizeof *fig);
    if (!rc && !fig)
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (!rc)
        rc = dsim_chart_from_sweep(store, &job.sw, job.names, id, fig);
    if (!rc && is_pdf(o->out)) {
        char *text = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&text, &len);
        if (!fp)
            rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
        page_list pages = {0};
        if (fp) {
            fprintf(fp, "Sweep %s (dsim %s)\n\n%s\n\nReproduce:\ndsim sweep %s --db %s\n%s\n", o->sweep, DSIM_VERSION,
                    job.sweep_text, o->sweep, o->db, o->command);
            fclose(fp);
            rc = add_page(&pages, fig, NULL);
            if (!rc)
                rc = text_pages(text, &pages, 60);
            if (!rc)
                rc = dsim_chart_write(pages.page, pages.n, o->out, 842, 595);
        }
        free(pages.page);
        free(text);
    } else if (!rc) {
        html_out h;
        rc = html_open(&h, o->out);
        if (!rc)
            rc = html_close(&h, o->out, sweep_html(h.fp, store, o, &job, id, fig));
    }
    dsim_figure_clear(fig);
    free(fig);
    dsim_sweep_job_clear(&job);
    return rc;
}

/* ---- the command ----------------------------------------------------------------------------------------- */

static int parse_options(int argc, char **argv, report_options *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},       {"output", required_argument, NULL, 'o'},
        {"sweep", required_argument, NULL, 's'},    {"scenario", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->db = DEFAULT_DB;
    size_t len = (size_t)snprintf(o->command, sizeof o->command, "dsim");
    for (int i = 0; i < argc && len < sizeof o->command; i++)
        len += (size_t)snprintf(o->command + len, sizeof o->command - len, " %s", argv[i]);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'o': o->out = optarg; break;
        case 's': o->sweep = optarg; break;
        case 'c': o->scenario = optarg; break;
        case 'h': fputs(report_usage, stdout); return -1;
        default:
            cli_error("report: %s '%s'", c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
            fputs(report_usage, stderr);
            return EXIT_USAGE;
        }
    }
    for (; optind < argc; optind++) {
        if (o->n_args == CLI_MAX_RUN_ARGS) {
            cli_error("report: too many arguments");
            return EXIT_USAGE;
        }
        o->args[o->n_args++] = argv[optind];
    }
    int given = (o->n_args > 0) + (o->scenario != NULL) + (o->sweep != NULL);
    if (given != 1) {
        cli_error("report: %s", given ? "give one of RUN..., --scenario NAME or --sweep FILE"
                                      : "of what? give run numbers, --scenario NAME or --sweep FILE");
        return EXIT_USAGE;
    }
    if (!o->out) {
        cli_error("report: -o OUT is required (OUT ending .html or .pdf)");
        return EXIT_USAGE;
    }
    const char *dot = strrchr(o->out, '.');
    if (!dot || (strcmp(dot, ".html") && strcmp(dot, ".pdf"))) {
        cli_error("report: %s: expected a name ending .html or .pdf", o->out);
        return EXIT_USAGE;
    }
    return cli_check_output("report", o->out);
}

static int runs_report(dsim_store *store, const report_options *o, const int64_t *ids, int n)
{
    int rc = DSIM_OK;
    run_set r;
    memset(&r, 0, sizeof r);
    dsim_figure *figs = calloc(N_RUN_CHARTS, sizeof *figs);
    if (!figs)
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    if (!rc)
        rc = run_set_load(store, ids, n, &r);
    if (!rc)
        rc = run_figures(&r, figs);
    if (!rc && is_pdf(o->out)) {
        rc = runs_pdf(&r, o, figs);
    } else if (!rc) {
        html_out h;
        rc = html_open(&h, o->out);
        if (!rc)
            rc = html_close(&h, o->out, runs_html(h.fp, &r, o, figs));
    }
    for (size_t k = 0; figs && k < N_RUN_CHARTS; k++)
        dsim_figure_clear(&figs[k]);
    free(figs);
    run_set_clear(&r);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    report_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_store *store = NULL;
    if ((status = cli_open_existing(o.db, &store)))
        return status;
    int rc = DSIM_OK;
    int64_t *ids = malloc(CLI_MAX_RUNS * sizeof *ids);
    int n = 0;
    if (!ids)
        rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    else if (o.sweep)
        rc = sweep_report(store, &o);
    else if (o.n_args && !(status = cli_parse_runs("report", o.args, o.n_args, ids, CLI_MAX_RUNS, &n)))
        rc = runs_report(store, &o, ids, n);
    else if (!o.n_args && !(rc = scenario_runs(store, o.scenario, ids, &n)))
        rc = runs_report(store, &o, ids, n);
    free(ids);
    if (rc) {
        cli_error("report: %s", dsim_errmsg());
        status = rc == DSIM_EIO ? EXIT_RUNTIME : cli_exit_status(rc); /* EIO: writing it failed */
    }
    dsim_store_close(store);
    if (!status)
        printf("wrote %s\n", o.out);
    return status;
}
