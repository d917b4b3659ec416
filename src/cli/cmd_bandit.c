/*
 * cmd_bandit.c — `dsim bandit`: run policies on a plain K-armed problem (dsim/bandit.h) over several seeds and
 * print what share of the best arm's earnings each one made, its regret and, for Bernoulli arms, the
 * growth of its regret against Lai & Robbins' bound. Optionally writes every regret curve as CSV.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dsim/bandit.h"
#include "dsim/error.h"
#include "dsim/metrics.h"

#define MAX_POLICIES CLI_MAX_POLICIES
#define MAX_SEEDS 10000

static const char *const default_policies[] = {"ucb1", "thompson", "ucb_pi", NULL};

typedef cli_study_options bandit_options; /* horizon: rounds, output: the CSV file */

static void bandit_usage(FILE *out)
{
    fprintf(out,
            "usage: dsim bandit FILE [-p POLICY]... [--seeds K] [--rounds N] [--update-every N] [--csv FILE]\n"
            "                   [--quiet]\n\n"
            "Runs each policy on seeds seed..seed+K-1 of a K-armed problem (Bernoulli arms, or posted prices with\n"
            "linear or valuation demand; format in scenarios/bandits/README.md) and prints, with 95 %% confidence\n"
            "intervals across seeds, the share of the best arm's expected earnings each policy made and its\n"
            "pseudo-regret. Nothing is stored; --csv writes every regret curve.\n\n"
            "  FILE              a bandit file, or the NAME of scenarios/bandits/NAME.ini\n"
            "  -p, --policy P    a policy file or NAME (repeatable); default: ucb1, thompson, ucb_pi\n"
            "  --seeds K         number of seeds (default 1)\n"
            "  --rounds N        rounds per run (default: the file's)\n"
            "  --update-every N  the policies learn every N rounds, from the batch in order, and act on a\n"
            "                    frozen state in between (default: the file's update_every, 1)\n"
            "  --csv FILE        write policy,seed,round,regret rows at the file's checkpoints\n"
            "  -q, --quiet       no progress line\n\n"
            "example:\n  dsim bandit misra_intro -p ucb1 -p thompson -p ucb_pi_tuned --seeds 100\n");
}

static int parse_options(int argc, char **argv, bandit_options *o)
{
    static const cli_study_spec spec = {
        .command = "bandit", .missing = "a bandit FILE", .one = "one FILE", .horizon = "rounds", .output = "csv",
        .max_seeds = MAX_SEEDS, .default_policies = default_policies, .usage = bandit_usage, .update_every = 1,
    };
    return cli_parse_study_options(argc, argv, &spec, o);
}

/* Check every input before running anything; each policy is also set up once on the first seed. */
static int load_inputs(const bandit_options *o, dsim_bandit_config **cfg, dsim_policy_config **configs)
{
    char path[1024];
    int status = cli_find_file("scenarios/bandits", o->file, path, sizeof path);
    if (status)
        return status;
    if (dsim_bandit_config_load(cfg, path)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_USAGE;
    }
    if (o->update_every)
        (*cfg)->update_every = (int)o->update_every;
    dsim_bandit *b = NULL;
    if (dsim_bandit_alloc(&b, *cfg, (*cfg)->seed)) {
        cli_error("%s", dsim_errmsg());
        return EXIT_RUNTIME;
    }
    dsim_policy_env env;
    dsim_bandit_policy_env(b, &env);
    for (int p = 0; p < o->n_policies && !status; p++) {
        dsim_policy *policy = NULL;
        if (dsim_policy_config_resolve(&configs[p], o->policies[p]) || dsim_policy_alloc(&policy, configs[p], &env)) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_USAGE;
        }
        dsim_policy_free(policy);
    }
    dsim_bandit_free(b);
    return status;
}

enum { COL_PERCENT, COL_REGRET, COL_REWARD, COL_SLOPE, N_COLUMNS };

static int run_all(const bandit_options *o, const dsim_bandit_config *cfg, dsim_policy_config **configs,
                   double *values, FILE *csv, double *lai_robbins)
{
    int n_runs = o->n_policies * (int)o->seeds, done = 0;
    bool progress = !o->quiet && isatty(STDERR_FILENO);
    double started = cli_now_seconds();
    dsim_bandit_result *r = malloc(sizeof *r);
    if (!r)
        return EXIT_RUNTIME;
    int status = EXIT_OK;
    for (unsigned long long s = 0; s < o->seeds && !status; s++) {
        dsim_bandit *b = NULL;
        if (dsim_bandit_alloc(&b, cfg, cfg->seed + s)) {
            cli_error("%s", dsim_errmsg());
            status = EXIT_RUNTIME;
            break;
        }
        *lai_robbins = dsim_bandit_lai_robbins(b);
        dsim_policy_env env;
        dsim_bandit_policy_env(b, &env);
        for (int p = 0; p < o->n_policies && !status; p++) {
            dsim_policy *policy = NULL;
            if (dsim_policy_alloc(&policy, configs[p], &env) || dsim_bandit_run(b, policy, o->horizon, r)) {
                cli_error("%s (policy %s, seed %llu)", dsim_errmsg(), configs[p]->name, cfg->seed + s);
                status = EXIT_RUNTIME;
            }
            dsim_policy_free(policy);
            if (status)
                break;
            double *v = &values[((size_t)p * o->seeds + s) * N_COLUMNS];
            v[COL_PERCENT] = dsim_bandit_percent_of_optimum(r);
            v[COL_REGRET] = r->regret;
            v[COL_REWARD] = r->reward / (double)r->rounds;
            v[COL_SLOPE] = dsim_bandit_regret_slope(r, 0.5);
            for (int i = 0; csv && i < r->n_checkpoints; i++)
                fprintf(csv, "%s,%llu,%llu,%.6g\n", configs[p]->name, cfg->seed + s,
                        (unsigned long long)r->checkpoint_round[i], r->checkpoint_regret[i]);
            if (progress) {
                double elapsed = cli_now_seconds() - started;
                done++;
                fprintf(stderr, "\r\033[Krun %d/%d  %.1f s elapsed, about %.0f s to go", done, n_runs, elapsed,
                        elapsed / done * (n_runs - done));
                fflush(stderr);
            }
        }
        dsim_bandit_free(b);
    }
    if (progress)
        fprintf(stderr, "\r\033[K");
    free(r);
    return status;
}

static void print_header(const bandit_options *o, const dsim_bandit_config *cfg)
{
    dsim_bandit *b = NULL;
    if (dsim_bandit_alloc(&b, cfg, cfg->seed))
        return;
    const double *mean = dsim_bandit_arm_means(b);
    int best = dsim_bandit_best_arm(b);
    printf("bandit %s (%s, %d arms): %llu rounds × %llu seed%s%s\n", cfg->name, dsim_bandit_kind_name(cfg->kind),
           cfg->n_arms, o->horizon ? o->horizon : (unsigned long long)cfg->rounds, o->seeds, o->seeds > 1 ? "s" : "",
           o->seeds > 1 ? ", mean ± 95 % CI across seeds" : "");
    if (cfg->kind == DSIM_BANDIT_BERNOULLI) {
        printf("best arm %d pays %.4g per round; Lai–Robbins C = %.1f\n\n", best, mean[best],
               dsim_bandit_lai_robbins(b));
    } else {
        dsim_policy_env env;
        dsim_bandit_policy_env(b, &env);
        printf("best price %.4g earns %.4g per round (seed %llu)\n\n", env.mean_price * (1 - env.levels[best]),
               mean[best], (unsigned long long)cfg->seed);
    }
    dsim_bandit_free(b);
}

int cmd_bandit(int argc, char **argv)
{
    bandit_options o;
    int status = parse_options(argc, argv, &o);
    if (status)
        return status < 0 ? EXIT_OK : status;
    dsim_bandit_config *cfg = NULL;
    dsim_policy_config *configs[MAX_POLICIES] = {0};
    double *values = NULL, lai_robbins = NAN;
    FILE *csv = NULL;
    if ((status = load_inputs(&o, &cfg, configs)))
        goto done;
    values = calloc((size_t)o.n_policies * o.seeds * N_COLUMNS, sizeof *values);
    if (!values) {
        cli_error("out of memory");
        status = EXIT_RUNTIME;
        goto done;
    }
    if (o.output) {
        if (!(csv = fopen(o.output, "w"))) {
            cli_error("bandit: --csv %s: cannot write it", o.output);
            status = EXIT_USAGE;
            goto done;
        }
        fprintf(csv, "policy,seed,round,regret\n");
    }
    if ((status = run_all(&o, cfg, configs, values, csv, &lai_robbins)))
        goto done;

    print_header(&o, cfg);
    const char *names[MAX_POLICIES];
    for (int p = 0; p < o.n_policies; p++)
        names[p] = configs[p]->name;
    const cli_column columns[N_COLUMNS] = {
        {"% of optimum", "%.2f", 1, 0},
        {"regret", "%.1f", 1, 0},
        {"reward/round", "%.4f", 1, 0},
        {"regret / ln t", "%.1f", 1, 0},
    };
    cli_print_comparison(stdout, names, o.n_policies, columns, N_COLUMNS, values, o.seeds);
    printf("\n%% of optimum: expected reward of the arms pulled ÷ (rounds × the best arm's); regret: the "
           "difference, summed.\nregret / ln t: slope of regret against ln t over the run's second half (log "
           "scale)");
    if (cfg->kind == DSIM_BANDIT_BERNOULLI)
        printf("; an optimal policy's tends to Lai–Robbins' C = %.1f", lai_robbins);
    printf(".\n");
done:
    if (csv && fclose(csv) && !status) {
        cli_error("bandit: --csv %s: write failed", o.output);
        status = EXIT_RUNTIME;
    }
    free(values);
    for (int p = 0; p < MAX_POLICIES; p++)
        dsim_policy_config_free(configs[p]);
    dsim_bandit_config_free(cfg);
    return status;
}
