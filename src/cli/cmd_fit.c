/*
 * cmd_fit.c — `dsim fit LOG`: a market's segments estimated from a visit log (src/fit), the number of segments
 * chosen by BIC, a calibration check on held-out shoppers, the fit written as a scenario file, and with
 * --value what policies earn in markets drawn from the fit's uncertainty.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "cli/cli.h"
#include "core/file.h"
#include "core/ini.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/files.h"
#include "dsim/fit.h"
#include "dsim/scenario.h"
#include "dsim/store.h"
#include "dsim/study.h"

static const char fit_usage[] =
    "usage: dsim fit LOG [-o FILE] [--base SCENARIO] [--segments K|A..B] [--memory M] [--reference R]\n"
    "                [--folds K] [--bootstrap B] [--starts N] [--seed S] [--value POLICY]... [--draws N]\n"
    "                [--format table|json]\n\n"
    "Estimates a market's shopper segments from a log of visits by maximum likelihood: a latent-class logit in\n"
    "which a shopper of segment k buys at discount d with probability σ(α_k + β_k·d + ρ_k·(d − r)), r the\n"
    "discount the shopper has come to expect from their own earlier visits (docs/fit.md). Prints each estimate\n"
    "with its standard error, the BIC of each number of segments, and a calibration check on held-out shoppers;\n"
    "a DB:RUN log's own policy is also replayed in the fitted world and its earnings compared with the log's.\n"
    "A check that fails gives a warning. With -o, writes the fit as a scenario (demand = logit) to compare\n"
    "policies on.\n\n"
    "  LOG              DB:RUN (a run made with --log-events), or a CSV file with columns shopper,\n"
    "                   discount_percent (or discount_level, a level of the base scenario) and purchased,\n"
    "                   optionally time or visit (docs/fit.md)\n"
    "  -o, --output F   write the fitted scenario to F\n"
    "  --base S         the scenario whose other keys (catalog, ranking, levels, horizon) the fitted one\n"
    "                   keeps; default: the logged run's own scenario, or default for a CSV log\n"
    "  --segments K     fit K segments, or choose K in A..B by BIC (default 1..6; the search ends when\n"
    "                   BIC has risen twice in a row past its lowest)\n"
    "  --memory M       λ in the reference update r ← λ·r + (1 − λ)·d (default: the base scenario's, when\n"
    "                   all its segments share one, else 0.8)\n"
    "  --reference R    every shopper's reference discount before their first visit, in percent (default:\n"
    "                   the base scenario's initial_reference, when shared, else 0)\n"
    "  --folds K        the calibration check predicts each of K folds of shoppers from the fit to the\n"
    "                   others (default 5; 0: no check)\n"
    "  --bootstrap B    standard errors of the chosen K from B resamples of the shoppers (default 0: the\n"
    "                   sandwich of the observed information)\n"
    "  --starts N       random starts per number of segments (default 8)\n"
    "  --seed S         seed of the starts, the held-out shoppers and the drawn markets (default 1)\n"
    "  --value POLICY   run POLICY (a name, file or NAME:key=value; repeatable, up to 8) in markets drawn\n"
    "                   from the estimates' uncertainty, and print what it earns a visit with a 95 %\n"
    "                   interval, and each policy against the first, paired on the same markets\n"
    "  --draws N        markets drawn for --value (default 20; 2 … 1000)\n"
    "  --format F       table (default) or json (docs/output.md)\n\n"
    "example:\n"
    "  dsim run calibration -p random --log-events --db study.db\n"
    "  dsim fit study.db:1 -o fitted.ini\n"
    "  dsim run fitted.ini -p none -p fixed10 -p thompson --seeds 3\n"
    "  dsim fit study.db:1 --value none --value fixed10 --value thompson\n";

#define MAX_VALUED 8

typedef struct {
    const char *log, *output, *base;
    int k_min, k_max;
    double memory, reference;
    int folds, bootstrap;
    int starts;
    unsigned long long seed;
    const char *value[MAX_VALUED]; /* --value: policies to run in drawn markets */
    int n_value, draws;
    cli_format format;
} fit_options;

static int usage_error(const char *what, const char *value)
{
    cli_error("fit: %s%s%s (see dsim fit --help)", what, value ? " " : "", value ? value : "");
    return EXIT_USAGE;
}

static int parse_segments(const char *text, fit_options *o)
{
    char *end;
    long a = strtol(text, &end, 10), b = a;
    if (end != text && strncmp(end, "..", 2) == 0) {
        const char *rest = end + 2;
        b = strtol(rest, &end, 10);
        if (end == rest)
            b = -1;
    }
    if (end == text || *end || a < 1 || b < a || b > DSIM_FIT_MAX_SEGMENTS) {
        cli_error("fit: --segments %s: expected K or A..B with 1 ≤ A ≤ B ≤ %d", text, DSIM_FIT_MAX_SEGMENTS);
        return EXIT_USAGE;
    }
    o->k_min = (int)a, o->k_max = (int)b;
    return EXIT_OK;
}

static int parse_options(int argc, char **argv, fit_options *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},   {"base", required_argument, NULL, 'b'},
        {"segments", required_argument, NULL, 'k'}, {"memory", required_argument, NULL, 'm'},
        {"reference", required_argument, NULL, 'r'}, {"folds", required_argument, NULL, 'F'}, {"bootstrap", required_argument, NULL, 'B'},
        {"starts", required_argument, NULL, 'n'},   {"seed", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},   {"help", no_argument, NULL, 'h'},
        {"value", required_argument, NULL, 'V'},    {"draws", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0}};
    *o = (fit_options){.k_min = 1, .k_max = 6, .memory = NAN, .reference = NAN, .folds = 5, .starts = 8,
                       .seed = 1, .draws = 20, .format = CLI_TABLE};
    int c;
    double v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(fit_usage, stdout);
            return -1;
        case 'o':
            o->output = optarg;
            break;
        case 'b':
            o->base = optarg;
            break;
        case 'k':
            if (parse_segments(optarg, o))
                return EXIT_USAGE;
            break;
        case 'm':
            if (!dsim__parse_double(optarg, &o->memory) || o->memory < 0 || o->memory >= 1)
                return usage_error("--memory: expected λ in [0, 1), got", optarg);
            break;
        case 'r':
            if (!dsim__parse_double(optarg, &v) || v < 0 || v > 100)
                return usage_error("--reference: expected a discount in percent (0 … 100), got", optarg);
            o->reference = v / 100;
            break;
        case 'F':
            if (!dsim__parse_double(optarg, &v) || v != floor(v) || v < 0 || v == 1 || v > 100)
                return usage_error("--folds: expected 0 (no check) or a whole number 2 … 100, got", optarg);
            o->folds = (int)v;
            break;
        case 'B':
            if (!dsim__parse_double(optarg, &v) || v != floor(v) || v < 0 || v == 1 || v > 100000)
                return usage_error("--bootstrap: expected 0 (none) or a whole number 2 … 100000, got", optarg);
            o->bootstrap = (int)v;
            break;
        case 'n':
            if (!dsim__parse_double(optarg, &v) || v != floor(v) || v < 1 || v > 1000)
                return usage_error("--starts: expected a whole number 1 … 1000, got", optarg);
            o->starts = (int)v;
            break;
        case 'V':
            if (o->n_value == MAX_VALUED)
                return usage_error("--value: at most 8 policies, got another:", optarg);
            o->value[o->n_value++] = optarg;
            break;
        case 'D':
            if (!dsim__parse_double(optarg, &v) || v != floor(v) || v < 2 || v > 1000)
                return usage_error("--draws: expected a whole number 2 … 1000, got", optarg);
            o->draws = (int)v;
            break;
        case 's':
            if (!dsim__parse_u64(optarg, &o->seed))
                return usage_error("--seed: expected a whole number, got", optarg);
            break;
        case 'f':
            if (cli_parse_format("fit", optarg, &o->format))
                return EXIT_USAGE;
            if (o->format == CLI_CSV)
                return usage_error("--format: table or json, got", optarg);
            break;
        case ':':
            return usage_error("option needs a value:", argv[optind - 1]);
        default:
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return usage_error(optind < argc ? "one LOG, got more:" : "which log? give DB:RUN or a CSV file",
                           optind < argc ? argv[optind + 1] : NULL);
    o->log = argv[optind];
    if (o->output && cli_check_output("fit", o->output))
        return EXIT_USAGE;
    return EXIT_OK;
}

/* ---- the log and the base scenario ---------------------------------------------------------------------- */

/* A logged run's own policy, seed and length: what the replay check runs again in the fitted world. */
typedef struct {
    bool known;
    char *policy_text, policy_name[64];
    uint64_t seed, visits;
} logged_run;

/* The base scenario's text: --base, else the logged run's, else default. */
static int base_text(const fit_options *o, const char *run_text, char **text, char *origin, size_t n)
{
    if (!o->base && run_text) {
        snprintf(origin, n, "%s (the logged run's scenario)", o->log);
        return (*text = strdup(run_text)) ? EXIT_OK : EXIT_RUNTIME;
    }
    char path[4096];
    if (cli_find_file("scenarios", o->base ? o->base : "default", path, sizeof path))
        return EXIT_USAGE;
    snprintf(origin, n, "%s", path);
    if (dsim__read_file(path, text)) {
        cli_error("fit: %s", dsim_errmsg());
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* λ and r₀ from the base scenario when every segment shares them and the options did not set them. */
static void assumptions_from(const dsim_scenario *sc, fit_options *o)
{
    bool shared = true;
    for (int s = 1; s < sc->n_segments; s++)
        shared &= sc->segments[s].memory == sc->segments[0].memory &&
                  sc->segments[s].initial_reference == sc->segments[0].initial_reference;
    if (isnan(o->memory))
        o->memory = shared ? sc->segments[0].memory : 0.8;
    if (isnan(o->reference))
        o->reference = shared ? sc->segments[0].initial_reference : 0;
    if (o->memory >= 1)
        o->memory = 0.8; /* memory 1 never moves the reference: ρ would be unidentifiable */
}

static int load_log(fit_options *o, dsim_fit_data *data, char **base, char *origin, size_t n, logged_run *logged)
{
    char db[4096];
    long long run;
    char *run_text = NULL;
    int rc = DSIM_OK;
    dsim_store *st = NULL;
    dsim_run_row row = {0};
    bool from_run = dsim_store_split_run(o->log, db, sizeof db, &run);
    if (from_run) {
        if (cli_open_existing(db, &st))
            return EXIT_USAGE;
        if ((rc = dsim_store_run_get(st, run, &row))) {
            cli_error("fit: %s", dsim_errmsg());
            dsim_store_close(st);
            return cli_exit_status(rc);
        }
        run_text = row.scenario_text;
    }
    int status = base_text(o, run_text, base, origin, n);
    dsim_scenario *sc = NULL;
    if (!status && dsim_scenario_parse(&sc, *base, origin)) {
        cli_error("fit: --base: %s", dsim_errmsg());
        status = EXIT_USAGE;
    }
    if (!status && from_run && dsim_scenario_has_delays(sc))
        fprintf(stderr, "dsim: fit: warning: %s's purchases came days after some visits (delay_immediate < 1): its "
                        "log credits a purchase only within the attribution window and before the run ended, so the "
                        "fit sees fewer purchases than were made; the fitted scenario has no delays "
                        "(docs/learning.md)\n", o->log);
    if (!status) {
        assumptions_from(sc, o);
        rc = from_run ? dsim_fit_data_from_run(st, run, o->memory, o->reference, data)
                      : dsim_fit_data_read_csv_levels(o->log, sc->discounts.levels, sc->discounts.n_levels,
                                                      o->memory, o->reference, data);
        if (!rc && from_run) {
            logged->known = true;
            logged->policy_text = row.policy_text ? strdup(row.policy_text) : NULL;
            snprintf(logged->policy_name, sizeof logged->policy_name, "%s", row.policy_name);
            logged->seed = row.seed;
            logged->visits = row.visits;
        }
        if (rc) {
            cli_error("fit: %s", dsim_errmsg());
            status = rc == DSIM_ENOMEM || rc == DSIM_ESTORE ? EXIT_RUNTIME : EXIT_USAGE;
        }
    }
    dsim_scenario_free(sc);
    if (from_run) {
        dsim_store_row_clear(&row);
        dsim_store_close(st);
    }
    return status;
}

/* ---- fitting ---------------------------------------------------------------------------------------------- */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static int fit_range(const fit_options *o, const dsim_fit_data *d, dsim_fit_model *models, int *best)
{
    dsim_fit_options fo = DSIM_FIT_OPTIONS_INIT;
    fo.starts = o->starts;
    fo.seed = o->seed;
    fo.stop = &cli_interrupted;
    int k_max = o->k_max;
    while (k_max >= o->k_min && d->n_shoppers < dsim_fit_shoppers_needed(k_max))
        k_max--;
    if (k_max < o->k_min) {
        dsim_fit_check_shoppers(d, o->k_min);
        cli_error("fit: %s: %s", o->log, dsim_errmsg());
        return EXIT_USAGE;
    }
    if (k_max < o->k_max)
        fprintf(stderr, "fit: %zu shoppers: fitting at most %d segments (ten shoppers per parameter)\n",
                d->n_shoppers, k_max);
    *best = -1;
    for (int k = o->k_min; k <= k_max; k++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        dsim_fit_model *m = &models[k - 1];
        int rc = dsim_fit_em(d, k, &fo, m);
        if (rc == DSIM_EINTERRUPTED)
            return EXIT_INTERRUPTED; /* nothing written */
        if (rc) {
            cli_error("fit: %d segments: %s", k, dsim_errmsg());
            return cli_exit_status(rc);
        }
        fprintf(stderr, "fit: %d segment%s: log-likelihood %.1f, BIC %.1f%s (%.1f s)\n", k, k > 1 ? "s" : " ",
                m->loglik, m->bic, m->converged ? "" : ", not converged", seconds_since(&t0));
        if (*best < 0 || m->bic < models[*best - 1].bic)
            *best = k;
        if (cli_interrupted)
            return EXIT_INTERRUPTED;
        /* BIC rises past its lowest as segments split real ones: two rises in a row end the search (each larger
           K costs more than the last, for a worse fit). */
        if (k - *best == 2 && k < k_max) {
            char skipped[32];
            snprintf(skipped, sizeof skipped, k + 1 < k_max ? "%d … %d" : "%d", k + 1, k_max);
            fprintf(stderr, "fit: BIC rose at %d and %d segments: not fitting %s (--segments K fits any one K)\n",
                    k - 1, k, skipped);
            break;
        }
    }
    return EXIT_OK;
}

static int calibration(const fit_options *o, const dsim_fit_data *d, const dsim_fit_model *m,
                       dsim_fit_calibration *cal)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = dsim_fit_calibrate(d, m, o->folds, o->seed, cal);
    if (rc) {
        cli_error("fit: calibration check: %s (--folds 0 skips it)", dsim_errmsg());
        return cli_exit_status(rc);
    }
    fprintf(stderr, "fit: calibration check in %d folds (%.1f s)\n", o->folds, seconds_since(&t0));
    return EXIT_OK;
}

static int bootstrap(const fit_options *o, const dsim_fit_data *d, dsim_fit_model *m)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dsim_fit_options fo = DSIM_FIT_OPTIONS_INIT;
    fo.seed = o->seed;
    fo.stop = &cli_interrupted;
    int rc = dsim_fit_bootstrap(d, m, o->bootstrap, &fo);
    if (rc == DSIM_EINTERRUPTED)
        return EXIT_INTERRUPTED;
    if (rc) {
        cli_error("fit: the bootstrap: %s", dsim_errmsg());
        return cli_exit_status(rc);
    }
    fprintf(stderr, "fit: standard errors from %d bootstrap resamples of the shoppers (%.1f s)\n", o->bootstrap,
            seconds_since(&t0));
    return EXIT_OK;
}

/*
 * What `policy` earns a visit in the market `m` (the base scenario's other keys): with the logged run's seed and
 * length when the log is a run fitted on its own scenario (its catalog, visitors and visits), else with the
 * scenario's own. Both the replay check and --value run policies so. `seed` and `visits` (may be NULL) get what
 * was run.
 */
static int earns_in(const fit_options *o, const logged_run *logged, const dsim_fit_model *m, const char *base,
                    const dsim_policy_config *policy, double *per_visit, uint64_t *seed, uint64_t *visits)
{
    char *text = NULL;
    dsim_scenario *sc = NULL;
    dsim_study_result res = {0};
    bool as_logged = logged->known && !o->base;
    int rc = dsim_fit_scenario_text(base, m, "fitted", o->memory, o->reference, &text);
    if (!rc)
        rc = dsim_scenario_parse(&sc, text, "the fitted scenario");
    if (!rc) {
        dsim_study_run run = DSIM_STUDY_RUN_INIT;
        run.scenario = sc, run.policy = policy, run.stop = &cli_interrupted;
        run.seed = as_logged ? logged->seed : sc->seed;
        run.sim.visits = as_logged ? logged->visits : 0; /* 0: the scenario's horizon */
        rc = dsim_study_simulate(&run, &res);
        if (!rc && res.head.status)
            rc = dsim_error_set(res.head.status, "%s", res.head.error);
        if (!rc && !res.head.final.visits)
            rc = dsim_error_set(DSIM_EINVAL, "the fitted market saw no visits");
        if (!rc) {
            *per_visit = res.head.final.reward / (double)res.head.final.visits;
            if (seed)
                *seed = run.seed;
            if (visits)
                *visits = res.head.final.visits;
        }
    }
    dsim_study_result_clear(&res);
    dsim_scenario_free(sc);
    free(text);
    return rc;
}

/* ---- policies valued in markets drawn from the fit --------------------------------------------------------- */

/*
 * A fitted world is one market; the log is consistent with others near it. Each --value policy runs in
 * o->draws markets drawn from the estimates' uncertainty (dsim_fit_draw), all with one seed and length: the
 * logged run's (its catalog, its visitors, its visits), or the base scenario's for a CSV log. What a policy
 * earns then varies with the fit's uncertainty alone, not with another catalog, and every policy meets the
 * same markets and random numbers, so a difference between two is paired draw by draw.
 */
typedef struct {
    int n, draws;
    bool made; /* the values were computed */
    dsim_policy_config *config[MAX_VALUED];
    double *value; /* (n, draws): the objective a visit of policy p in market b */
    double mean[MAX_VALUED], lo[MAX_VALUED], hi[MAX_VALUED];
    double diff_mean[MAX_VALUED], diff_lo[MAX_VALUED], diff_hi[MAX_VALUED]; /* minus the first policy's */
    uint64_t visits, seed;
} valuation;

static void valuation_clear(valuation *v)
{
    for (int p = 0; p < v->n; p++)
        dsim_policy_config_free(v->config[p]);
    free(v->value);
    memset(v, 0, sizeof *v);
}

/* The --value policies, resolved and checked against the base scenario before any fitting. */
static int load_valued(const fit_options *o, const char *base, valuation *out)
{
    dsim_scenario *sc = NULL;
    int rc = o->n_value ? dsim_scenario_parse(&sc, base, "the base scenario") : DSIM_OK;
    for (int p = 0; p < o->n_value && !rc; p++) {
        char where[300];
        snprintf(where, sizeof where, "--value %s", o->value[p]);
        rc = dsim_policy_config_resolve_at(&out->config[p], o->value[p], where);
        out->n += !rc;
        if (!rc)
            rc = dsim_policy_config_check(out->config[p], sc);
    }
    dsim_scenario_free(sc);
    if (rc)
        cli_error("fit: %s", dsim_errmsg());
    out->draws = o->draws;
    return rc ? EXIT_USAGE : EXIT_OK;
}

/*
 * The mean of `n` draws and a 95 % prediction interval for one more: mean ± t(n − 1) · s · √(1 + 1/n). The
 * draws' own 2.5 and 97.5 % quantiles would be an interval that covers about 86 % at n = 20 (the expected
 * share below the k-th of n sorted draws is k / (n + 1)).
 */
static void interval_of(const double *x, int n, double *mean, double *lo, double *hi)
{
    *mean = gsl_stats_mean(x, 1, (size_t)n);
    double half = gsl_cdf_tdist_Pinv(0.975, n - 1) * gsl_stats_sd_m(x, 1, (size_t)n, *mean) * sqrt(1 + 1.0 / n);
    *lo = *mean - half;
    *hi = *mean + half;
}

static int value_policies(const fit_options *o, const dsim_fit_model *m, const char *base, const logged_run *logged,
                          valuation *v)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    v->value = calloc((size_t)v->n * (size_t)v->draws, sizeof *v->value);
    double *column = malloc((size_t)v->draws * sizeof *column);
    int rc = v->value && column ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (int b = 0; b < v->draws && !rc; b++) {
        dsim_fit_model drawn;
        rc = dsim_fit_draw(m, o->seed, (uint64_t)b, &drawn);
        for (int p = 0; p < v->n && !rc; p++)
            rc = earns_in(o, logged, &drawn, base, v->config[p], &v->value[p * v->draws + b], &v->seed, &v->visits);
        if (!rc)
            fprintf(stderr, "\rfit: valuing %d polic%s in drawn markets: %d of %d", v->n, v->n > 1 ? "ies" : "y",
                    b + 1, v->draws);
    }
    fprintf(stderr, rc ? "\n" : " (%.1f s)\n", seconds_since(&t0));
    for (int p = 0; p < v->n && !rc; p++) {
        interval_of(&v->value[p * v->draws], v->draws, &v->mean[p], &v->lo[p], &v->hi[p]);
        for (int b = 0; b < v->draws; b++)
            column[b] = v->value[p * v->draws + b] - v->value[b];
        interval_of(column, v->draws, &v->diff_mean[p], &v->diff_lo[p], &v->diff_hi[p]);
    }
    free(column);
    v->made = !rc;
    if (rc == DSIM_EINTERRUPTED)
        return EXIT_INTERRUPTED;
    if (rc == DSIM_EINVAL) { /* no covariance to draw from: the fit stands, without the values */
        fprintf(stderr, "dsim: fit: warning: --value: %s%s; the fit is reported without the values\n", dsim_errmsg(),
                o->bootstrap ? " (a bootstrap needs more resamples than the 4K − 1 parameters to estimate their "
                               "covariance)"
                             : "");
        return EXIT_OK;
    }
    if (rc)
        cli_error("fit: --value: %s", dsim_errmsg());
    return rc ? cli_exit_status(rc) : EXIT_OK;
}

static void print_values(const fit_options *o, const valuation *v)
{
    printf("\nvalue in the fitted world: the objective a visit over %d markets drawn from the estimates' "
           "uncertainty\n(each run for %llu visits with seed %llu, so that they differ by the fit's uncertainty "
           "alone;\ndifferences are paired, market by market)\n",
           v->draws, (unsigned long long)v->visits, (unsigned long long)v->seed);
    printf("  %-16s %10s   %-23s %s\n", "policy", "a visit", "95 % interval", v->n > 1 ? "minus the first (95 %)" : "");
    for (int p = 0; p < v->n; p++) {
        printf("  %-16s %10.4f   %9.4f … %-9.4f", o->value[p], v->mean[p], v->lo[p], v->hi[p]);
        if (p > 0)
            printf("   %+.4f (%+.4f … %+.4f)", v->diff_mean[p], v->diff_lo[p], v->diff_hi[p]);
        printf("\n");
    }
}

static void json_values(cli_out *out, const fit_options *o, const valuation *v)
{
    cli_out_object_begin(out, "value");
    cli_out_int(out, "draws", v->draws);
    cli_out_int(out, "visits", (long long)v->visits);
    cli_out_int(out, "seed", (long long)v->seed);
    cli_out_rows_begin(out, "policies", false);
    for (int p = 0; p < v->n; p++) {
        cli_out_row_begin(out);
        cli_out_str(out, "policy", o->value[p]);
        cli_out_num(out, "mean", v->mean[p]);
        cli_out_num(out, "lo", v->lo[p]);
        cli_out_num(out, "hi", v->hi[p]);
        cli_out_num(out, "difference", p ? v->diff_mean[p] : NAN);
        cli_out_num(out, "difference_lo", p ? v->diff_lo[p] : NAN);
        cli_out_num(out, "difference_hi", p ? v->diff_hi[p] : NAN);
        cli_out_row_end(out);
    }
    cli_out_rows_end(out);
    cli_out_object_end(out);
}

static bool misfit(const dsim_fit_calibration *cal)
{
    return cal->level_p < 1e-3 || cal->decile_p < 1e-3 || cal->returning_p < 1e-3 ||
           (cal->price_tested && cal->price_p < 1e-3);
}

/* ---- the replay check ------------------------------------------------------------------------------------ */

typedef struct {
    bool made;
    double logged, replayed, z; /* the objective per visit: the log's, the replay's, and their difference's z */
} replay_check;

/*
 * The logged run's own policy, seed and length replayed in the fitted world (a DB:RUN log whose own scenario is
 * the base, so that the catalog is the one logged). Purchase probabilities alone can fit a log well and still
 * make a world that earns differently: where what a shopper buys depends on its price, which the family
 * ignores. z compares the replay's objective per visit with the log's, the log's variance counted twice (the
 * replay has noise of its own, of the same size).
 */
/* The log's objective per visit m and the variance of that mean over shoppers i: Σ_i (R_i − n_i·m)² / n². */
static void log_objective(const dsim_fit_data *d, double *mean, double *variance)
{
    double sum = 0, n = (double)d->n_visits;
    for (size_t t = 0; t < d->n_visits; t++)
        sum += d->reward[t];
    *mean = sum / n, *variance = 0;
    for (size_t i = 0; i < d->n_shoppers; i++) {
        double residual = 0;
        for (size_t t = d->first[i]; t < d->first[i + 1]; t++)
            residual += d->reward[t] - *mean;
        *variance += residual * residual / (n * n);
    }
}

static int replay_in_fit(const fit_options *o, const logged_run *logged, const dsim_fit_data *d,
                         const dsim_fit_model *m, const char *base, replay_check *out)
{
    dsim_policy_config *policy = NULL;
    int rc = logged->policy_text ? dsim_policy_config_parse(&policy, logged->policy_text, logged->policy_name)
                                 : dsim_policy_config_resolve(&policy, logged->policy_name);
    double replayed = NAN, variance;
    if (!rc)
        rc = earns_in(o, logged, m, base, policy, &replayed, NULL, NULL);
    log_objective(d, &out->logged, &variance);
    if (!rc && variance > 0) {
        out->made = true;
        out->replayed = replayed;
        out->z = (out->replayed - out->logged) / sqrt(2 * variance);
    }
    if (rc)
        cli_error("fit: the replay of the logged policy in the fitted world: %s", dsim_errmsg());
    dsim_policy_config_free(policy);
    return rc == DSIM_EINTERRUPTED ? EXIT_INTERRUPTED : rc ? cli_exit_status(rc) : EXIT_OK;
}

static bool replay_misfit(const replay_check *r)
{
    return r->made && fabs(r->z) > 4;
}

/* ---- output ------------------------------------------------------------------------------------------------ */

static const char *const param_names[DSIM_FIT_PARAMS] = {"logit_base", "logit_discount", "logit_reference"};

static void print_groups(const char *what, const dsim_fit_group *g, int n, double chi2, double p, bool percent)
{
    printf("  %-22s %8s %9s %9s\n", what, "visits", "observed", "predicted");
    for (int i = 0; i < n; i++) {
        char key[64];
        if (percent && g[i].low == g[i].high)
            snprintf(key, sizeof key, "%g %%", 100 * g[i].low);
        else if (percent)
            snprintf(key, sizeof key, "%g–%g %%", 100 * g[i].low, 100 * g[i].high);
        else
            snprintf(key, sizeof key, "%.3f–%.3f", g[i].low, g[i].high);
        printf("  %-22s %8zu %9.4f %9.4f\n", key, g[i].visits, g[i].observed, g[i].predicted);
    }
    printf("  Wald test of observed = predicted: χ²(%d) = %.2f, p = %.3g\n\n", n, chi2, p);
}

static void print_table(const fit_options *o, const dsim_fit_data *d, const dsim_fit_model *models, int best,
                        const dsim_fit_calibration *cal, const replay_check *replay, const logged_run *logged)
{
    printf("dsim fit %s: %zu visits by %zu shoppers; reference r ← %g·r + %g·d from %g %%\n\n", o->log, d->n_visits,
           d->n_shoppers, o->memory, 1 - o->memory, 100 * o->reference);
    printf("  %-9s %16s %14s\n", "segments", "log-likelihood", "BIC");
    for (int k = o->k_min; k <= o->k_max && models[k - 1].k; k++)
        printf("  %-9d %16.1f %14.1f%s\n", k, models[k - 1].loglik, models[k - 1].bic,
               k == best ? "   ← lowest BIC" : "");
    const dsim_fit_model *m = &models[best - 1];
    /* the Greek letters are two bytes each and one column wide: each header is padded by hand */
    printf("\n  segment   share             α logit_base      β logit_discount  ρ logit_reference\n");
    for (int c = 0; c < m->k; c++) {
        char cell[4][40];
        snprintf(cell[0], sizeof cell[0], "%.3f ± %.3f", m->share[c], m->share_se[c]);
        for (int j = 0; j < DSIM_FIT_PARAMS; j++)
            snprintf(cell[j + 1], sizeof cell[j + 1], "%.3f ± %.3f", m->theta[c][j], m->theta_se[c][j]);
        printf("  fitted%-3d %-17s %-17s %-17s %s\n", c + 1, cell[0], cell[1], cell[2], cell[3]);
    }
    if (o->bootstrap)
        printf("  (estimate ± one standard error: the spread of %d bootstrap resamples of the shoppers)\n\n",
               o->bootstrap);
    else
        printf("  (estimate ± one standard error: the sandwich H⁻¹JH⁻¹ of the observed information, docs/fit.md)\n\n");
    if (cal->visits) {
        printf("calibration: each of %d folds of shoppers predicted by the model refitted on the others\n",
               cal->folds);
        print_groups("discount offered", cal->level, cal->n_levels, cal->level_chi2, cal->level_p, true);
        print_groups("predicted, new shopper", cal->decile, cal->n_deciles, cal->decile_chi2, cal->decile_p, false);
        print_groups("predicted from history", cal->returning, cal->n_returning, cal->returning_chi2,
                     cal->returning_p, false);
        if (cal->price_tested)
            printf("  the price shown, which the model ignores: purchases %s with it (%+.3f log-odds per unit of log "
                   "price above the shopper's mean); score test z = %.2f, p = %.3g\n\n",
                   cal->price_effect < 0 ? "fall" : "rise", cal->price_effect, cal->price_z, cal->price_p);
        else if (!isnan(cal->price_spread))
            printf("  the price shown: not tested, it hardly varies within shoppers (%.2g in log price)\n\n",
                   cal->price_spread);
    }
    if (replay->made)
        printf("replay: the logged policy (%s, seed %llu, %llu visits) in the fitted world earns %.4f a visit; the "
               "log %.4f (z = %.2f)\n\n",
               logged->policy_name, (unsigned long long)logged->seed, (unsigned long long)logged->visits,
               replay->replayed, replay->logged, replay->z);
}

static void json_groups(cli_out *out, const char *key, const dsim_fit_group *g, int n)
{
    cli_out_rows_begin(out, key, false);
    for (int i = 0; i < n; i++) {
        cli_out_row_begin(out);
        cli_out_num(out, "low", g[i].low);
        cli_out_num(out, "high", g[i].high);
        cli_out_int(out, "visits", (long long)g[i].visits);
        cli_out_num(out, "observed", g[i].observed);
        cli_out_num(out, "predicted", g[i].predicted);
        cli_out_row_end(out);
    }
    cli_out_rows_end(out);
}

static void print_json(const fit_options *o, const dsim_fit_data *d, const dsim_fit_model *models, int best,
                       const dsim_fit_calibration *cal, const replay_check *replay, const valuation *valued)
{
    cli_out *out = cli_out_begin(CLI_JSON, stdout, "fit");
    cli_out_str(out, "log", o->log);
    cli_out_int(out, "visits", (long long)d->n_visits);
    cli_out_int(out, "shoppers", (long long)d->n_shoppers);
    cli_out_num(out, "memory", o->memory);
    cli_out_num(out, "reference", o->reference);
    cli_out_int(out, "segments", best);
    cli_out_str(out, "standard_errors", o->bootstrap ? "bootstrap" : "sandwich");
    cli_out_int(out, "bootstrap", o->bootstrap);
    cli_out_rows_begin(out, "models", false);
    for (int k = o->k_min; k <= o->k_max && models[k - 1].k; k++) {
        const dsim_fit_model *m = &models[k - 1];
        cli_out_row_begin(out);
        cli_out_int(out, "segments", k);
        cli_out_num(out, "loglik", m->loglik);
        cli_out_num(out, "bic", m->bic);
        cli_out_bool(out, "converged", m->converged);
        cli_out_rows_begin(out, "estimates", false);
        for (int c = 0; c < m->k; c++) {
            cli_out_row_begin(out);
            cli_out_num(out, "share", m->share[c]);
            cli_out_num(out, "share_se", m->share_se[c]);
            for (int j = 0; j < DSIM_FIT_PARAMS; j++) {
                char se[40];
                snprintf(se, sizeof se, "%s_se", param_names[j]);
                cli_out_num(out, param_names[j], m->theta[c][j]);
                cli_out_num(out, se, m->theta_se[c][j]);
            }
            cli_out_row_end(out);
        }
        cli_out_rows_end(out);
        cli_out_row_end(out);
    }
    cli_out_rows_end(out);
    if (cal->visits) {
        cli_out_object_begin(out, "calibration");
        cli_out_int(out, "shoppers", (long long)cal->shoppers);
        cli_out_int(out, "visits", (long long)cal->visits);
        json_groups(out, "by_discount", cal->level, cal->n_levels);
        cli_out_num(out, "by_discount_chi2", cal->level_chi2);
        cli_out_num(out, "by_discount_p", cal->level_p);
        json_groups(out, "by_decile", cal->decile, cal->n_deciles);
        cli_out_num(out, "by_decile_chi2", cal->decile_chi2);
        cli_out_num(out, "by_decile_p", cal->decile_p);
        json_groups(out, "by_history_decile", cal->returning, cal->n_returning);
        cli_out_num(out, "by_history_decile_chi2", cal->returning_chi2);
        cli_out_num(out, "by_history_decile_p", cal->returning_p);
        if (cal->price_tested) {
            cli_out_num(out, "price_effect", cal->price_effect);
            cli_out_num(out, "price_z", cal->price_z);
            cli_out_num(out, "price_p", cal->price_p);
        }
        cli_out_bool(out, "misfit", misfit(cal));
        cli_out_object_end(out);
    }
    if (replay->made) {
        cli_out_object_begin(out, "replay");
        cli_out_num(out, "logged", replay->logged);
        cli_out_num(out, "replayed", replay->replayed);
        cli_out_num(out, "z", replay->z);
        cli_out_bool(out, "misfit", replay_misfit(replay));
        cli_out_object_end(out);
    }
    if (valued->made)
        json_values(out, o, valued);
    cli_out_str(out, "output", o->output);
    cli_out_end(out);
}

/* The fitted scenario: its comment block says what made it and how sure each number is. */
static int write_scenario(const fit_options *o, int argc, char **argv, const dsim_fit_data *d,
                          const dsim_fit_model *models, int best, const dsim_fit_calibration *cal,
                          const replay_check *replay, const char *base, const char *origin)
{
    char *comment = NULL, *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&comment, &size);
    if (!f)
        return EXIT_RUNTIME;
    const dsim_fit_model *m = &models[best - 1];
    fprintf(f, "fitted — %d segments estimated by dsim fit from %zu visits of %zu shoppers.\n\nmade by: dsim", m->k,
            d->n_visits, d->n_shoppers);
    for (int i = 0; i < argc; i++)
        fprintf(f, " %s", argv[i]);
    fprintf(f, "\nother keys from %s\n", origin);
    fprintf(f, "assumed: reference r ← %g·r + %g·d after each visit, from %g %%\n\n", o->memory, 1 - o->memory,
            100 * o->reference);
    fprintf(f, "segment   share          α logit_base      β logit_discount   ρ logit_reference\n");
    for (int c = 0; c < m->k; c++)
        fprintf(f, "fitted%-3d %.4f ± %.4f %8.4f ± %.4f %8.4f ± %.4f %8.4f ± %.4f\n", c + 1, m->share[c],
                m->share_se[c], m->theta[c][0], m->theta_se[c][0], m->theta[c][1], m->theta_se[c][1], m->theta[c][2],
                m->theta_se[c][2]);
    fprintf(f, "(estimate ± one standard error%s)\n\nsegments  log-likelihood  BIC\n",
            o->bootstrap ? ", by the bootstrap over shoppers" : "");
    for (int k = o->k_min; k <= o->k_max && models[k - 1].k; k++)
        fprintf(f, "%-9d %14.2f  %.2f%s\n", k, models[k - 1].loglik, models[k - 1].bic, k == best ? "  (chosen)" : "");
    if (cal->visits)
        fprintf(f, "\ncalibration on held-out shoppers (%d folds): p = %.3g by discount, %.3g by decile, %.3g by "
                   "decile given history%s\n",
                cal->folds, cal->level_p, cal->decile_p, cal->returning_p,
                misfit(cal) ? " — THE MODEL MISFITS THIS LOG" : "");
    if (replay->made)
        fprintf(f, "replay of the logged policy: %.4f a visit here, %.4f in the log (z = %.2f)%s\n", replay->replayed,
                replay->logged, replay->z, replay_misfit(replay) ? " — THIS WORLD EARNS DIFFERENTLY" : "");
    fputs("\nshares are of the shoppers in the log; memory and initial_reference are the assumptions above", f);
    if (fclose(f))
        return EXIT_RUNTIME;
    int rc = dsim_fit_scenario_text(base, m, comment, o->memory, o->reference, &text);
    free(comment);
    dsim_scenario *check = NULL;
    if (!rc && (rc = dsim_scenario_parse(&check, text, o->output)))
        cli_error("fit: the fitted scenario does not load: %s", dsim_errmsg());
    dsim_scenario_free(check);
    char tmp[4200];
    FILE *out = rc ? NULL : dsim__open_beside(o->output, tmp, sizeof tmp);
    if (!rc && !out)
        cli_error("fit: cannot write %s: %s", o->output, strerror(errno));
    if (out) {
        bool ok = fputs(text, out) >= 0;
        ok = fclose(out) == 0 && ok && rename(tmp, o->output) == 0;
        if (!ok) {
            cli_error("fit: writing %s failed: %s", o->output, strerror(errno));
            remove(tmp);
            rc = DSIM_EIO;
        }
    }
    free(text);
    return rc || !out ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_fit(int argc, char **argv)
{
    fit_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    cli_catch_interrupts();
    dsim_fit_data d = {0};
    char *base = NULL, origin[4200];
    dsim_fit_model models[DSIM_FIT_MAX_SEGMENTS] = {{0}};
    dsim_fit_calibration cal = {0};
    logged_run logged = {0};
    replay_check replay = {0};
    valuation valued = {0};
    int best = 0;
    status = load_log(&o, &d, &base, origin, sizeof origin, &logged);
    if (!status)
        status = load_valued(&o, base, &valued);
    if (!status && dsim_fit_check_identified(&d)) {
        cli_error("fit: %s: %s", o.log, dsim_errmsg());
        status = EXIT_USAGE;
    }
    if (!status)
        status = fit_range(&o, &d, models, &best);
    if (!status && o.bootstrap > 0)
        status = bootstrap(&o, &d, &models[best - 1]);
    if (!status && o.folds > 0)
        status = calibration(&o, &d, &models[best - 1], &cal);
    if (!status && cli_interrupted) /* the calibration check's refits do not stop midway */
        status = EXIT_INTERRUPTED;
    if (!status && logged.known && d.reward && !o.base) /* the run's own catalog, or earnings are not comparable */
        status = replay_in_fit(&o, &logged, &d, &models[best - 1], base, &replay);
    if (!status && valued.n)
        status = value_policies(&o, &models[best - 1], base, &logged, &valued);
    if (!status) {
        if (o.format == CLI_JSON)
            print_json(&o, &d, models, best, &cal, &replay, &valued);
        else
            print_table(&o, &d, models, best, &cal, &replay, &logged);
        if (o.format != CLI_JSON && valued.made)
            print_values(&o, &valued);
        if (cal.visits && misfit(&cal)) {
            char price[64] = "";
            if (cal.price_tested)
                snprintf(price, sizeof price, ", %.3g by price shown", cal.price_p);
            fprintf(stderr,
                    "dsim: fit: warning: the fitted model mispredicts held-out shoppers (calibration p = %.3g by "
                    "discount, %.3g by decile, %.3g by decile given history%s): these shoppers respond to discounts "
                    "or prices in a way the latent-class logit cannot express; do not trust policy comparisons on "
                    "the fitted scenario\n",
                    cal.level_p, cal.decile_p, cal.returning_p, price);
        }
        if (replay_misfit(&replay))
            fprintf(stderr,
                    "dsim: fit: warning: the fitted world earns %.4f a visit under the logged policy (%s), the log "
                    "%.4f (z = %.1f): it predicts whether shoppers buy but not what they buy, as when their choice "
                    "of item depends on its price; do not trust policy comparisons on the fitted scenario\n",
                    replay.replayed, logged.policy_name, replay.logged, replay.z);
    }
    if (!status && o.output) {
        status = write_scenario(&o, argc, argv, &d, models, best, &cal, &replay, base, origin);
        if (!status && o.format != CLI_JSON)
            printf("wrote %s (%d segments); compare policies on it:\n  dsim run %s -p none -p fixed10 -p thompson "
                   "-p oracle --seeds 3\n",
                   o.output, best, o.output);
    }
    free(base);
    free(logged.policy_text);
    valuation_clear(&valued);
    dsim_fit_data_clear(&d);
    return status;
}
