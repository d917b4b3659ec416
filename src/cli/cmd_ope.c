/*
 * cmd_ope.c — `dsim ope`: estimate what target policies would earn from a log of another policy's
 * decisions, with intervals and the weights' diagnostics; store the estimates; with --truth, run each
 * target on-policy in the log's own scenario and seed (common random numbers) to say how far off each
 * estimator was.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/ope.h"
#include "dsim/store.h"

#define MAX_TARGETS 16

static const char ope_usage[] =
    "usage: dsim ope --log LOG [-p POLICY]... [--estimators LIST] [--bootstrap N] [--folds K] [--truth]\n"
    "                [--train-frac F] [--scenario FILE] [--skip-bad-rows] [--seed S] [--db FILE]\n"
    "                [--format table|csv|json] [--plot OUT]\n\n"
    "Estimates, from the log of one policy's decisions, what each target POLICY would earn per decision, with\n"
    "a 95 %% normal interval, a bootstrap interval and diagnostics of the importance weights; stores the\n"
    "estimates in the database as one evaluation (tables evaluations and ope).\n\n"
    "  --log LOG          DB:RUN (a run made with --log-events), a CSV log in dsim's format, or a directory of\n"
    "                     the Open Bandit Dataset (e.g. obd/random/men)\n"
    "  -p, --policy P     uniform, action=K (always action K), a CSV table of probabilities (columns action,\n"
    "                     probability, optionally position), or a policy file / NAME of policies/NAME.ini\n"
    "                     (logs with dsim's context only); default: uniform\n"
    "  --estimators LIST  comma-separated, from %s (default: all)\n"
    "  --bootstrap N      bootstrap resamples (default 200; 0: none); past 4096 rows they resample 4096\n"
    "                     random blocks of rows, so they cost no pass over the log\n"
    "  --folds K          cross-fitting folds of the reward model (default 5)\n"
    "  --train-frac F     dsim policy targets first learn from the log's first F of rows (their logged\n"
    "                     actions and rewards); every target is then judged on the rest\n"
    "  --truth            for a DB:RUN log: also run each target on-policy, frozen, in the run's scenario and\n"
    "                     seed, and value it on the logged visits (the run replayed: what the estimators\n"
    "                     estimate); report both truths and each estimator's relative error to each\n"
    "  --scenario FILE    the scenario dsim policies are set up in, for a CSV log\n"
    "  --skip-bad-rows    skip (and count) malformed CSV rows instead of stopping\n"
    "  --seed S           seed of the bootstrap (default 1)\n"
    "  --db FILE          result database (default " DEFAULT_DB ")\n"
    "  --format F         table (default); csv or json: a row per target and estimator (and per difference to\n"
    "                     the first target), numbers in full (docs/output.md)\n"
    "  --plot OUT         also draw the evaluation's forest plot (as dsim plot ope): .png, .svg, .pdf, .csv\n\n"
    "example:\n  dsim run default -p random --visits 50000 --log-events --db study.db\n"
    "  dsim ope --log study.db:1 -p fixed10 -p fixed20 -p uniform --truth --db study.db\n";

typedef struct {
    const char *log, *db, *scenario;
    const char *plot; /* --plot OUT, or NULL */
    const char *policies[MAX_TARGETS];
    int n_policies;
    bool estimators[DSIM_OPE_MAX_ESTIMATORS];
    int bootstrap, folds;
    double train_frac; /* the log's first share trains dsim policy targets; the rest is evaluated */
    unsigned long long seed;
    bool truth, skip_bad_rows;
    cli_format format;
    cli_out *out; /* the rows, for --format csv|json */
} ope_options;

/* "dm, ips, …": every estimator's name, from the list. */
typedef struct {
    char text[512];
} name_list;

static name_list estimator_names(void)
{
    name_list names;
    size_t used = 0;
    names.text[0] = '\0';
    for (int e = 0; e < dsim_ope_estimator_count() && used < sizeof names.text; e++)
        used += (size_t)snprintf(names.text + used, sizeof names.text - used, "%s%s", e ? ", " : "",
                                 dsim_ope_estimator_name((dsim_ope_estimator)e));
    return names;
}

static int parse_estimators(const char *list, bool *use)
{
    char buf[256];
    dsim__strlcpy(buf, list, sizeof buf);
    memset(use, 0, sizeof(bool) * DSIM_OPE_MAX_ESTIMATORS);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        int found = dsim_ope_estimator_find(tok);
        if (found < 0) {
            cli_error("ope: --estimators: unknown estimator '%s' (known: %s)", tok, estimator_names().text);
            return EXIT_USAGE;
        }
        use[found] = true;
    }
    for (int e = 0; e < dsim_ope_estimator_count(); e++)
        if (use[e])
            return EXIT_OK;
    cli_error("ope: --estimators: expected at least one of %s", estimator_names().text);
    return EXIT_USAGE;
}

static int parse_options(int argc, char **argv, ope_options *o)
{
    static const struct option longopts[] = {
        {"log", required_argument, NULL, 'L'},       {"policy", required_argument, NULL, 'p'},
        {"estimators", required_argument, NULL, 'e'}, {"bootstrap", required_argument, NULL, 'b'},
        {"folds", required_argument, NULL, 'k'},     {"truth", no_argument, NULL, 't'},
        {"scenario", required_argument, NULL, 's'},  {"skip-bad-rows", no_argument, NULL, 'x'},
        {"seed", required_argument, NULL, 'S'},      {"db", required_argument, NULL, 'd'},
        {"train-frac", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, 'F'},    {"plot", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    *o = (ope_options){.db = DEFAULT_DB, .bootstrap = 200, .folds = 5, .seed = 1};
    for (int e = 0; e < dsim_ope_estimator_count(); e++)
        o->estimators[e] = true;
    unsigned long long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'L':
            o->log = optarg;
            break;
        case 'p':
            if (o->n_policies == MAX_TARGETS) {
                cli_error("ope: at most %d policies", MAX_TARGETS);
                return EXIT_USAGE;
            }
            o->policies[o->n_policies++] = optarg;
            break;
        case 'e':
            if (parse_estimators(optarg, o->estimators))
                return EXIT_USAGE;
            break;
        case 'b':
        case 'k':
            if (!dsim__parse_u64(optarg, &v) || v > 100000 || (c == 'k' && (v < 2 || v > 100))) {
                cli_error("ope: --%s: expected a whole number %s, got '%s'", c == 'b' ? "bootstrap" : "folds",
                          c == 'b' ? "from 0 to 100000" : "from 2 to 100", optarg);
                return EXIT_USAGE;
            }
            *(c == 'b' ? &o->bootstrap : &o->folds) = (int)v;
            break;
        case 't':
            o->truth = true;
            break;
        case 'f':
            if (!dsim__parse_double(optarg, &o->train_frac) || o->train_frac < 0 || o->train_frac >= 1) {
                cli_error("ope: --train-frac: expected a fraction in [0, 1), got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case 's':
            o->scenario = optarg;
            break;
        case 'x':
            o->skip_bad_rows = true;
            break;
        case 'S':
            if (!dsim__parse_u64(optarg, &o->seed)) {
                cli_error("ope: --seed: expected a whole number, got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'd':
            o->db = optarg;
            break;
        case 'F':
            if (cli_parse_format("ope", optarg, &o->format))
                return EXIT_USAGE;
            break;
        case 'P':
            if (cli_parse_plot("ope", optarg, &o->plot))
                return EXIT_USAGE;
            break;
        case 'h':
            printf(ope_usage, estimator_names().text);
            return -1;
        case ':':
            cli_error("ope: option %s needs a value", argv[optind - 1]);
            return EXIT_USAGE;
        default:
            cli_error("ope: unknown option '%s' (see dsim ope --help)", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("ope: unexpected argument '%s' (see dsim ope --help)", argv[optind]);
        return EXIT_USAGE;
    }
    if (!o->log) {
        cli_error("ope: expected --log LOG (see dsim ope --help)");
        return EXIT_USAGE;
    }
    if (o->n_policies == 0)
        o->policies[o->n_policies++] = "uniform";
    return EXIT_OK;
}

/* ---- the log and the scenario its policies live in ------------------------------------------------------ */

typedef dsim_ope_source source;

/* The log, and for a CSV log the scenario dsim policies are set up in (--scenario). */
static int load_source(const ope_options *o, source *src)
{
    int rc = dsim_ope_source_open(src, o->log, o->skip_bad_rows);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        return rc == DSIM_ENOMEM || rc == DSIM_EIO || rc == DSIM_ESTORE ? EXIT_RUNTIME : EXIT_USAGE;
    }
    if (src->skipped)
        fprintf(stderr, "dsim: ope: skipped %zu malformed rows of %s\n", src->skipped, o->log);
    if (o->scenario && !src->from_run) {
        char path[1024];
        int status = cli_find_file("scenarios", o->scenario, path, sizeof path);
        if (status)
            return status;
        if (dsim_scenario_load(&src->sc, path)) {
            cli_error("%s", dsim_errmsg());
            return EXIT_USAGE;
        }
        src->seed = src->sc->seed;
    }
    return EXIT_OK;
}

/* ---- targets ------------------------------------------------------------------------------------------- */

typedef struct {
    dsim_ope_target *target;
    dsim_policy_config *config; /* a dsim policy's, for --truth; NULL otherwise */
} target_slot;

static int make_target(const char *spec, const source *src, target_slot *slot)
{
    memset(slot, 0, sizeof *slot);
    int rc = dsim_ope_target_named(&slot->target, &slot->config, spec, src);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        return rc == DSIM_ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
    }
    return EXIT_OK;
}

/* The target's truth (dsim_ope_true_value): a dsim policy target runs as it was evaluated — the same object,
   trained on the log's first rows when --train-frac says so — the others from their configuration. */
static double true_value(const source *src, const target_slot *slot)
{
    if (!slot->config || !src->from_run)
        return NAN;
    return dsim_ope_true_value(src->sc, src->seed, src->visits, slot->config,
                               dsim_ope_target_policy_of(slot->target));
}

/* ---- the command ----------------------------------------------------------------------------------------- */

static void print_diagnostics(const dsim_ope_diagnostics *d, size_t n)
{
    printf("  weights: ESS %.0f of %zu rows (%.1f %%), max %.3g, mean %.4f; support violated on %.1f %% of rows\n",
           d->ess, n, 100.0 * d->ess / (double)n, d->max_weight, d->mean_weight, 100.0 * d->support_violation);
    if (d->support_violation > 0)
        printf("  warning: the target takes actions the logger never takes: IPS-type estimates are biased low\n");
    if (d->ess < 0.01 * (double)n)
        printf("  warning: fewer than 1 %% effective rows: the importance-weighted estimates are unreliable\n");
    if (fabs(d->mean_weight - 1.0) > 0.1)
        printf("  warning: mean weight %.3f, not 1: propensities or support may be wrong\n", d->mean_weight);
}

/* The normal and the bootstrap interval, as two columns of the tables ("-" for no bootstrap). */
static void print_intervals(const dsim_ope_result *r)
{
    char normal[64], boot[64];
    snprintf(normal, sizeof normal, "[%.6g, %.6g]", r->normal_lo, r->normal_hi);
    snprintf(boot, sizeof boot, isnan(r->bootstrap_lo) ? "-" : "[%.6g, %.6g]", r->bootstrap_lo, r->bootstrap_hi);
    printf("%-27s %-27s", normal, boot);
}

/* A target's two truths (--truth on a DB:RUN log; NAN when unknown): run on-policy, and on the logged visits,
   each shopper as the logger left them (what the estimators estimate). */
typedef struct {
    double on_policy, logged;
} truths;

static double relative_error(double value, double truth)
{
    return isnan(truth) ? NAN : fabs(value - truth) / fabs(truth);
}

/* One row of --format csv|json: an estimate (kind "estimate") or a paired difference to the first target. */
static void out_result(cli_out *out, const char *target, const char *kind, const char *estimator,
                       const dsim_ope_result *r, const truths *truth, const dsim_ope_diagnostics *d, size_t rows,
                       double lift)
{
    cli_out_row_begin(out);
    cli_out_str(out, "target", target);
    cli_out_str(out, "kind", kind);
    cli_out_str(out, "estimator", estimator);
    cli_out_num(out, "value", r->value);
    cli_out_num(out, "normal_lo", r->normal_lo);
    cli_out_num(out, "normal_hi", r->normal_hi);
    cli_out_num(out, "bootstrap_lo", r->bootstrap_lo);
    cli_out_num(out, "bootstrap_hi", r->bootstrap_hi);
    cli_out_num(out, "lift", lift);
    cli_out_num(out, "truth", truth->on_policy);
    cli_out_num(out, "relative_error", relative_error(r->value, truth->on_policy));
    cli_out_num(out, "truth_logged", truth->logged);
    cli_out_num(out, "relative_error_logged", relative_error(r->value, truth->logged));
    cli_out_int(out, "rows", (long long)rows);
    cli_out_num(out, "ess", d ? d->ess : NAN);
    cli_out_num(out, "max_weight", d ? d->max_weight : NAN);
    cli_out_num(out, "mean_weight", d ? d->mean_weight : NAN);
    cli_out_num(out, "support_violation", d ? d->support_violation : NAN);
    cli_out_row_end(out);
}

/* One target's table: every chosen estimator with its intervals (and error against the truth), stored. */
static int report(const ope_options *o, const source *src, const target_slot *slot, size_t train,
                  const dsim_ope_sums *sums, const truths *truth, dsim_store *store, int64_t evaluation)
{
    const char *name = dsim_ope_target_name(slot->target);
    char how[96] = "";
    if (dsim_ope_target_policy_of(slot->target) && train)
        snprintf(how, sizeof how, " (trained on the log's first %zu rows, then frozen)", train);
    else if (dsim_ope_target_policy_of(slot->target))
        snprintf(how, sizeof how, " (as built: untrained, frozen)");
    bool table = !o->out;
    if (table) {
        printf("\npolicy %s%s%s\n", name, how,
               !o->truth || !isnan(truth->on_policy) ? "" : " (no on-policy truth: not a dsim policy, or not a DB:RUN log)");
        printf("  %-10s %12s   %-27s %-27s", "estimator", "estimate", "95 % normal", "95 % bootstrap");
        if (!isnan(truth->on_policy))
            printf(isnan(truth->logged) ? "  %s" : "  %-16s", "|error| / truth");
        if (!isnan(truth->logged))
            printf("  / logged");
        printf("\n");
    }
    dsim_ope_diagnostics d;
    dsim_ope_sums_diagnose(sums, &d);
    size_t rows = dsim_ope_sums_rows(sums);
    for (int e = 0; e < dsim_ope_estimator_count(); e++) {
        if (!o->estimators[e])
            continue;
        dsim_ope_result r;
        if (dsim_ope_sums_evaluate(sums, (dsim_ope_estimator)e, o->bootstrap, o->seed, &r)) {
            cli_error("%s", dsim_errmsg());
            return EXIT_RUNTIME;
        }
        if (table) {
            printf("  %-10s %12.6g   ", dsim_ope_estimator_name((dsim_ope_estimator)e), r.value);
            print_intervals(&r);
            if (!isnan(truth->on_policy))
                printf(isnan(truth->logged) ? "  %.4f" : "  %-16.4f", relative_error(r.value, truth->on_policy));
            if (!isnan(truth->logged))
                printf("  %.4f", relative_error(r.value, truth->logged));
            printf("\n");
        } else {
            out_result(o->out, name, "estimate", dsim_ope_estimator_name((dsim_ope_estimator)e), &r, truth, &d, rows,
                       NAN);
        }
        dsim_ope_row row = {evaluation, src->log->origin, name, dsim_ope_estimator_name((dsim_ope_estimator)e), rows,
                            r.value, r.normal_lo, r.normal_hi, r.bootstrap_lo, r.bootstrap_hi, o->bootstrap, d.ess,
                            d.max_weight, d.mean_weight, d.support_violation, truth->on_policy, truth->logged};
        if (dsim_store_ope_add(store, &row)) {
            cli_error("%s", dsim_errmsg());
            return EXIT_RUNTIME;
        }
    }
    if (!table)
        return EXIT_OK;
    if (o->estimators[DSIM_OPE_DM])
        printf("  dm: its intervals are conditional on the fitted reward model (they leave out the model's own\n"
               "      error, so they can miss the truth by the model's bias)\n");
    if (!isnan(truth->on_policy))
        printf("  truth (on-policy, frozen%s, same scenario, seed and visits): %.6g\n",
               dsim_ope_target_policy_of(slot->target) && train ? ", as trained" : "", truth->on_policy);
    if (!isnan(truth->logged))
        printf("  truth on the logged visits (each shopper as the logger left them; what the estimators "
               "estimate): %.6g\n", truth->logged);
    print_diagnostics(&d, rows);
    return EXIT_OK;
}

/* Each target against the first, on the same rows: the paired difference of every estimator, and the lift. */
static int report_differences(const ope_options *o, const target_slot *targets, dsim_ope_sums *const *sums,
                              int n_targets)
{
    const char *first = dsim_ope_target_name(targets[0].target);
    bool table = !o->out;
    if (table) {
        printf("\ndifferences to %s (paired: each target minus %s on the same rows; lift: the difference over\n"
           "%s's estimate)\n",
           first, first, first);
        printf("  %-16s %-10s %12s   %-27s %-27s %9s\n", "policy", "estimator", "difference", "95 % normal",
               "95 % bootstrap", "lift");
    }
    char kind[DSIM_NAME_MAX + 32];
    snprintf(kind, sizeof kind, "difference to %s", first);
    for (int t = 1; t < n_targets; t++)
        for (int e = 0; e < dsim_ope_estimator_count(); e++) {
            if (!o->estimators[e])
                continue;
            dsim_ope_result d, base;
            if (dsim_ope_sums_difference(sums[t], sums[0], (dsim_ope_estimator)e, o->bootstrap, o->seed, &d) ||
                dsim_ope_sums_evaluate(sums[0], (dsim_ope_estimator)e, 0, o->seed, &base)) {
                cli_error("%s", dsim_errmsg());
                return EXIT_RUNTIME;
            }
            char lift[32] = "-";
            if (base.value != 0)
                snprintf(lift, sizeof lift, "%+.2f %%", 100 * d.value / fabs(base.value));
            if (!table) {
                out_result(o->out, dsim_ope_target_name(targets[t].target), kind,
                           dsim_ope_estimator_name((dsim_ope_estimator)e), &d, &(truths){NAN, NAN}, NULL,
                           dsim_ope_sums_rows(sums[t]), base.value != 0 ? d.value / fabs(base.value) : NAN);
                continue;
            }
            printf("  %-16s %-10s %12.6g   ", dsim_ope_target_name(targets[t].target),
                   dsim_ope_estimator_name((dsim_ope_estimator)e), d.value);
            print_intervals(&d);
            printf(" %9s\n", lift);
        }
    return EXIT_OK;
}

/* A pass's failure: the input's (a target that cannot read it: 2) or the machine's (memory, disk: 1); or Ctrl-C
   (130), before anything was stored. */
static int pass_status(int rc)
{
    if (rc == DSIM_EINTERRUPTED) {
        cli_error("ope: interrupted; nothing was stored");
        return EXIT_INTERRUPTED;
    }
    cli_error("%s", dsim_errmsg());
    return rc == DSIM_EIO || rc == DSIM_ENOMEM ? EXIT_RUNTIME : cli_exit_status(rc);
}

/* --plot OUT: the forest plot of the evaluation just stored (dsim plot ope). */
static int plot_evaluation(dsim_store *store, int64_t evaluation, const char *out, bool say)
{
    dsim_figure *fig = calloc(1, sizeof *fig);
    int rc = fig ? dsim_chart_from_ope(store, evaluation, fig) : DSIM_ENOMEM;
    int status = rc ? EXIT_RUNTIME : cli_write_figure("ope", fig, out);
    if (rc)
        cli_error("ope: --plot: %s", fig ? dsim_errmsg() : "out of memory");
    if (!status && say)
        printf("wrote %s (dsim plot ope --ope %lld)\n", out, (long long)evaluation);
    dsim_figure_clear(fig);
    free(fig);
    return status;
}

int cmd_ope(int argc, char **argv)
{
    ope_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    cli_catch_interrupts(); /* SIGINT, SIGTERM: the evaluation stops at its next chunk, exit 130 */
    source src;
    target_slot targets[MAX_TARGETS] = {0};
    dsim_ope_target *judged[MAX_TARGETS];
    dsim_ope_sums *sums[MAX_TARGETS] = {0};
    truths truth[MAX_TARGETS];
    dsim_store *store = NULL;
    status = load_source(&o, &src);
    for (int t = 0; t < o.n_policies && !status; t++)
        status = make_target(o.policies[t], &src, &targets[t]);
    size_t train = (size_t)(o.train_frac * (double)src.n);
    if (!status && src.n - train < 2) {
        cli_error("ope: %s: fewer than 2 rows to evaluate", src.log->origin);
        status = EXIT_USAGE;
    }
    /* Everything that can fail on the input is done before the database is opened. */
    for (int t = 0; t < o.n_policies && !status; t++)
        judged[t] = targets[t].target;
    int rc = status ? DSIM_OK
                    : dsim_ope_evaluate_log(src.stream, judged, o.n_policies,
                                            &(dsim_ope_plan){train, o.folds, o.seed, &cli_interrupted}, sums);
    if (rc)
        status = pass_status(rc);
    if (!status && train && o.format == CLI_TABLE)
        printf("targets trained on the first %zu rows; judged on the remaining %zu\n", train, src.n - train);
    double logged[MAX_TARGETS];
    rc = status || !o.truth ? DSIM_OK
                            : dsim_ope_logged_states_value(&src, train, judged, o.n_policies, &cli_interrupted, logged);
    if (rc == DSIM_ECONFIG) /* the estimates stand; only this truth is missing */
        fprintf(stderr, "dsim: ope: warning: no truth on the logged visits: %s\n", dsim_errmsg());
    else if (rc == DSIM_ENOTFOUND && src.from_run)
        fprintf(stderr, "dsim: ope: no truth on the logged visits: %s\n", dsim_errmsg());
    else if (rc && rc != DSIM_ENOTFOUND)
        status = pass_status(rc);
    for (int t = 0; t < o.n_policies && !status; t++) {
        truth[t].on_policy = o.truth && !cli_interrupted ? true_value(&src, &targets[t]) : NAN;
        truth[t].logged = o.truth ? logged[t] : NAN;
    }
    if (!status && cli_interrupted) /* Ctrl-C: stop before anything is stored */
        status = pass_status(dsim_error_set(DSIM_EINTERRUPTED, "interrupted"));
    rc = status ? DSIM_OK : dsim_store_open(&store, o.db);
    if (rc) {
        cli_error("%s", dsim_errmsg());
        status = cli_exit_status(rc); /* a path that cannot be a database is bad input */
    }
    if (!status && o.format == CLI_TABLE)
        printf("log %s: %zu decisions, %d actions%s\n", src.log->origin, src.n, src.log->n_actions,
               src.log->n_positions ? ", with positions" : "");
    if (!status && o.format != CLI_TABLE && (o.out = cli_out_begin(o.format, stdout, "ope"))) {
        cli_out_str(o.out, "log", src.log->origin);
        cli_out_int(o.out, "decisions", (long long)src.n);
        cli_out_int(o.out, "actions", src.log->n_actions);
        cli_out_int(o.out, "trained_on", (long long)train);
        cli_out_str(o.out, "db", o.db);
    }
    int64_t evaluation = 0;
    if (!status) {
        dsim_ope_diagnostics d;
        dsim_ope_sums_diagnose(sums[0], &d);
        if (dsim_store_evaluation_begin(store, src.log->origin, dsim_ope_sums_rows(sums[0]), d.logged_value,
                                        &evaluation)) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_RUNTIME;
        } else if (o.out) {
            cli_out_int(o.out, "evaluation", evaluation);
            cli_out_num(o.out, "logged_value", d.logged_value);
        } else {
            printf("logging policy's value (mean logged reward on the judged rows): %.6g\n", d.logged_value);
        }
    }
    if (!status && o.out)
        cli_out_rows_begin(o.out, "rows", true);
    for (int t = 0; t < o.n_policies && !status; t++)
        status = report(&o, &src, &targets[t], train, sums[t], &truth[t], store, evaluation);
    if (!status && o.n_policies > 1)
        status = report_differences(&o, targets, sums, o.n_policies);
    if (!status && o.format == CLI_TABLE)
        printf("\nestimates are per decision; stored in %s as evaluation %lld (tables evaluations, ope):\n"
               "  dsim plot ope --ope %lld --db %s -o ope.png\n",
               o.db, (long long)evaluation, (long long)evaluation, o.db);
    cli_out_end(o.out); /* closes the rows, even after a failure: the document stays well formed */
    if (!status && o.plot)
        status = plot_evaluation(store, evaluation, o.plot, o.format == CLI_TABLE);
    dsim_store_close(store);
    for (int t = 0; t < o.n_policies; t++) {
        dsim_ope_sums_free(sums[t]);
        dsim_ope_target_free(targets[t].target);
        dsim_policy_config_free(targets[t].config);
    }
    dsim_ope_source_clear(&src);
    return status;
}
