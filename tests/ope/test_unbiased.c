/*
 * test_unbiased.c — offline evaluation checked against the simulator's ground truth. An ε-greedy logger
 * (ε = 0.4 over 4 levels: the greedy level 0.7, the others 0.1, the greedy one moving as it learns) runs a
 * market whose shoppers do not remember discounts (so what a policy does cannot change later contexts);
 * for three target policies the truth on the very same visits is exact: the mean over visits of
 * Σ_a π(a | x) E[reward | visit, a], from the world's closed-form expectations. Over 200 seeds:
 *   - IPS, SNIPS and DR cover it with their normal 95 % intervals in at least 176 of 200 seeds, and their
 *     bootstrap intervals (100 resamples) in at least 172 (a calibrated 95 % interval covers 190 ± 3.1;
 *     percentile intervals cover a little less, 187 on average);
 *   - the intervals are neither too narrow nor too wide: the mean of z² = ((estimate − truth) / SE)² lies in
 *     [0.6, 1.6] (1 for a calibrated interval; an interval three times too wide gives 0.11, one three times
 *     too narrow 9), SE the normal interval's half-width / 1.96;
 *   - the logged propensities matter: IPS with the propensities taken as uniform (1/4) covers the truth of
 *     "always 30 %" in fewer than half the seeds;
 *   - SNIPS is not IPS: doubling every weight (halving the propensities) doubles IPS and leaves SNIPS as it
 *     was (1e-12);
 *   - DR errs no more than IPS on average, and DM with an action-blind reward model is visibly biased (while
 *     DR with that same bad model stays unbiased: it is doubly robust).
 *
 * Pass rate on fresh seeds: 20 of 20 disjoint sets of 200 seeds (DSIM_SEED_OFFSET = k · 1000, k = 1…20):
 * normal coverage 179–198 of 200 (mean 190), bootstrap 180–195 (mean 187), mean z² 0.72–1.32. (With the
 * thresholds 180 / 176, 19 of 20: one SNIPS count of 179.)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dsim/error.h"
#include "dsim/ope.h"
#include "dsim/sim.h"
#include "dsim/store.h"
#include "dsim/study.h"
#include "helpers.h"

enum { SEEDS = 200, VISITS = 4000, TARGETS = 3, LEVELS = 4, BOOTSTRAP = 100 };

static const char market[] = "[scenario]\nvisits = 4000\nshoppers = 3000\n"
                             "[catalog]\nitems = 200\nembedding_dim = 8\n"
                             "[behaviour]\nslate_size = 4\n"
                             "[discounts]\nlevels = 0, 10, 20, 30\nobjective = revenue\n"
                             "[segment.a]\nshare = 1\nmemory = 1\nelasticity_mean = 3\n";

/* Target policies as tables over the 4 levels: always 10 %, always 30 %, and half 0 % / half 20 %. */
static const double target_pi[TARGETS][LEVELS] = {{0, 1, 0, 0}, {0, 0, 0, 1}, {0.5, 0, 0.5, 0}};

typedef struct {
    dsim_ope_log log;
    double truth[TARGETS];
    double second_half[TARGETS]; /* the truth over the log's rows n/2 … n − 1 */
} logged_run;

static void log_run(const dsim_scenario *sc, const dsim_policy_config *random, uint64_t seed, logged_run *out)
{
    memset(out, 0, sizeof *out);
    out->log.n_context = DSIM_LOG_CONTEXT_COLUMNS;
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.log_decisions = true;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, random, seed, &options));
    double truth_sum[TARGETS] = {0}, *row_truth = calloc((size_t)VISITS * TARGETS, sizeof *row_truth);
    assert_non_null(row_truth);
    dsim_visit_record r;
    for (int t = 0; t < VISITS; t++) {
        ASSERT_OK(dsim_sim_advance(sim, 1));
        dsim_sim_last_visit(sim, &r);
        if (r.lost)
            continue;
        double x[DSIM_LOG_CONTEXT_COLUMNS];
        float xf[DSIM_LOG_CONTEXT_COLUMNS];
        dsim_log_context_encode(&r.context, x);
        for (int j = 0; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
            xf[j] = (float)x[j];
        ASSERT_OK(dsim_ope_log_push(&out->log, xf, r.action.level, -1, r.action.propensity, r.outcome.reward));
        for (int k = 0; k < TARGETS; k++)
            for (int l = 0; l < LEVELS; l++) {
                truth_sum[k] += target_pi[k][l] * r.expected[l];
                row_truth[(out->log.n - 1) * TARGETS + (size_t)k] += target_pi[k][l] * r.expected[l];
            }
    }
    out->log.n_actions = LEVELS;
    size_t n = out->log.n, half = n / 2;
    for (int k = 0; k < TARGETS; k++) {
        out->truth[k] = truth_sum[k] / (double)n;
        double sum = 0;
        for (size_t i = half; i < n; i++)
            sum += row_truth[i * TARGETS + (size_t)k];
        out->second_half[k] = sum / (double)(n - half);
    }
    free(row_truth);
    dsim_sim_free(sim);
}

static dsim_ope_target *table_target(int k)
{
    char path[] = "/tmp/dsim_target_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "action,probability\n");
    for (int l = 0; l < LEVELS; l++)
        fprintf(f, "%d,%.17g\n", l, target_pi[k][l]);
    fclose(f);
    dsim_ope_target *t = NULL;
    ASSERT_OK(dsim_ope_target_table(&t, path, NULL));
    remove(path);
    return t;
}

/* The normal interval's standard error. */
static double se_of(const dsim_ope_result *r)
{
    return (r->normal_hi - r->normal_lo) / (2 * 1.959963984540054);
}

static void test_unbiased__ips_snips_and_dr_cover_the_truth(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, market, "ope_market.ini"));
    dsim_policy_config *logger = NULL;
    ASSERT_OK(dsim_policy_config_parse(&logger, "[policy]\ntype = epsilon_greedy\nepsilon = 0.4\n", "logger.ini"));
    dsim_ope_target *targets[TARGETS];
    for (int k = 0; k < TARGETS; k++)
        targets[k] = table_target(k);
    const dsim_ope_estimator checked[3] = {DSIM_OPE_IPS, DSIM_OPE_SNIPS, DSIM_OPE_DR};
    int covered[TARGETS][3] = {{0}}, boot_covered[TARGETS][3] = {{0}}, uniform_covered = 0;
    double z2[TARGETS][3] = {{0}};
    double abs_error_ips = 0, abs_error_dr = 0, dm_blind_error[TARGETS] = {0}, dm_blind_error2[TARGETS] = {0};
    double dr_blind_error[TARGETS] = {0};
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        logged_run run;
        log_run(sc, logger, test_seed(seed), &run);
        dsim_ope_reward_model *model = NULL;
        ASSERT_OK(dsim_ope_model_fit(&model, &run.log, 5, 1.0));
        double mean_reward = 0;
        for (size_t i = 0; i < run.log.n; i++)
            mean_reward += run.log.reward[i] / (double)run.log.n;
        for (int k = 0; k < TARGETS; k++) {
            dsim_ope_terms terms;
            ASSERT_OK(dsim_ope_terms_build(&terms, &run.log, targets[k], model));
            for (int e = 0; e < 3; e++) {
                dsim_ope_result res;
                ASSERT_OK(dsim_ope_evaluate(checked[e], &terms, &tuning, BOOTSTRAP, test_seed(seed), &res));
                covered[k][e] += res.normal_lo <= run.truth[k] && run.truth[k] <= res.normal_hi;
                boot_covered[k][e] += res.bootstrap_lo <= run.truth[k] && run.truth[k] <= res.bootstrap_hi;
                z2[k][e] += pow((res.value - run.truth[k]) / se_of(&res), 2) / SEEDS;
                if (checked[e] == DSIM_OPE_IPS)
                    abs_error_ips += fabs(res.value - run.truth[k]);
                if (checked[e] == DSIM_OPE_DR)
                    abs_error_dr += fabs(res.value - run.truth[k]);
            }
            if (k == 1) { /* "always 30 %" with the propensities ignored (taken as uniform) */
                dsim_ope_terms blind = terms;
                double w[VISITS];
                for (size_t i = 0; i < terms.n; i++)
                    w[i] = terms.w[i] * run.log.propensity[i] * LEVELS;
                blind.w = w;
                dsim_ope_result res;
                ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_IPS, &blind, &tuning, 0, 1, &res));
                uniform_covered += res.normal_lo <= run.truth[k] && run.truth[k] <= res.normal_hi;
            }
            if (seed == 1) { /* doubled weights: IPS doubles, SNIPS does not move */
                dsim_ope_terms doubled = terms;
                double w[VISITS];
                for (size_t i = 0; i < terms.n; i++)
                    w[i] = 2 * terms.w[i];
                doubled.w = w;
                double ips = dsim_ope_estimate(DSIM_OPE_IPS, &terms, &tuning, NULL, terms.n);
                double snips = dsim_ope_estimate(DSIM_OPE_SNIPS, &terms, &tuning, NULL, terms.n);
                assert_true(fabs(dsim_ope_estimate(DSIM_OPE_IPS, &doubled, &tuning, NULL, terms.n) - 2 * ips) <=
                            1e-12 * fabs(ips));
                assert_true(fabs(dsim_ope_estimate(DSIM_OPE_SNIPS, &doubled, &tuning, NULL, terms.n) - snips) <=
                            1e-12 * fabs(snips));
            }
            /* An action-blind reward model: q̂(x, a) = the log's mean reward, whatever a. */
            for (size_t i = 0; i < terms.n; i++)
                terms.q_taken[i] = terms.q_pi[i] = mean_reward;
            double dm = dsim_ope_estimate(DSIM_OPE_DM, &terms, &tuning, NULL, terms.n) - run.truth[k];
            dm_blind_error[k] += dm;
            dm_blind_error2[k] += dm * dm;
            dr_blind_error[k] += dsim_ope_estimate(DSIM_OPE_DR, &terms, &tuning, NULL, terms.n) - run.truth[k];
            dsim_ope_terms_clear(&terms);
        }
        dsim_ope_model_free(model);
        dsim_ope_log_clear(&run.log);
    }
    for (int k = 0; k < TARGETS; k++) {
        double mean = dm_blind_error[k] / SEEDS, sd = sqrt(dm_blind_error2[k] / SEEDS - mean * mean);
        printf("# target %d: normal intervals cover the truth in %d (IPS), %d (SNIPS), %d (DR) of %d seeds, "
               "bootstrap in %d, %d, %d; mean z² %.2f, %.2f, %.2f; action-blind DM error %+.4f ± %.4f "
               "(mean ± SE), DR with it %+.4f\n",
               k, covered[k][0], covered[k][1], covered[k][2], SEEDS, boot_covered[k][0], boot_covered[k][1],
               boot_covered[k][2], z2[k][0], z2[k][1], z2[k][2], mean, sd / sqrt(SEEDS), dr_blind_error[k] / SEEDS);
        for (int e = 0; e < 3; e++) {
            assert_true(covered[k][e] >= 176);
            assert_true(boot_covered[k][e] >= 172);
            assert_true(z2[k][e] >= 0.6 && z2[k][e] <= 1.6);
        }
    }
    printf("# IPS of always 30 %% with uniform propensities covers the truth in %d of %d seeds\n", uniform_covered,
           SEEDS);
    assert_true(uniform_covered < SEEDS / 2);
    printf("# mean |error|: IPS %.4f, DR %.4f\n", abs_error_ips / (SEEDS * TARGETS), abs_error_dr / (SEEDS * TARGETS));
    assert_true(abs_error_dr <= abs_error_ips);
    /* The action-blind DM is biased: for "always 30 %" (revenue falls with the price cut on buyers who would
       buy anyway) its mean error is many standard errors from 0. */
    double mean = dm_blind_error[1] / SEEDS, sd = sqrt(dm_blind_error2[1] / SEEDS - mean * mean);
    assert_true(fabs(mean) > 5 * sd / sqrt(SEEDS));
    for (int k = 0; k < TARGETS; k++)
        dsim_ope_target_free(targets[k]);
    dsim_policy_config_free(logger);
    dsim_scenario_free(sc);
}

/*
 * dsim_ope_logged_states_value replays the logging run beside its stored log: for a learning logger in a
 * market whose shoppers remember (so a target's on-policy value is another quantity), it gives the truth on
 * the logged visits that a fresh simulation of the same run gives (log_run above, the specification), over
 * the whole log and from its middle row on; it gives none once the log is altered (DSIM_ECONFIG, naming the
 * row where the replay departs), and none for a log that is not a run's (DSIM_ENOTFOUND).
 */
static void test_unbiased__the_truth_on_the_logged_visits_replays_the_logging_run(void **state)
{
    (void)state;
    static const char remembering[] = "[scenario]\nvisits = 4000\nshoppers = 500\n"
                                      "[catalog]\nitems = 200\nembedding_dim = 8\n"
                                      "[behaviour]\nslate_size = 4\n"
                                      "[discounts]\nlevels = 0, 10, 20, 30\nobjective = revenue\n"
                                      "[segment.a]\nshare = 1\nmemory = 0.5\nelasticity_mean = 3\n";
    char db[] = "/tmp/dsim_logged_truth_XXXXXX", spec[64];
    close(mkstemp(db));
    dsim_scenario *sc = NULL;
    dsim_policy_config *logger = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, remembering, "remembering.ini"));
    ASSERT_OK(dsim_policy_config_parse(&logger, "[policy]\ntype = epsilon_greedy\nepsilon = 0.4\n", "logger.ini"));
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, db));
    dsim_study_run run = DSIM_STUDY_RUN_INIT;
    run.scenario = sc, run.policy = logger, run.seed = test_seed(7), run.sim.log_decisions = true;
    dsim_study_result res = {0};
    int64_t id;
    ASSERT_OK(dsim_study_run_one(st, &run, &res, &id));
    dsim_study_result_clear(&res);
    dsim_store_close(st);

    logged_run spec_run;
    log_run(sc, logger, test_seed(7), &spec_run);
    dsim_ope_target *targets[TARGETS];
    for (int k = 0; k < TARGETS; k++)
        targets[k] = table_target(k);
    snprintf(spec, sizeof spec, "%s:%lld", db, (long long)id);
    dsim_ope_source src;
    ASSERT_OK(dsim_ope_source_open(&src, spec, false));
    assert_int_equal(src.n, spec_run.log.n);
    double whole[TARGETS], half[TARGETS];
    ASSERT_OK(dsim_ope_logged_states_value(&src, 0, targets, TARGETS, NULL, whole));
    ASSERT_OK(dsim_ope_logged_states_value(&src, src.n / 2, targets, TARGETS, NULL, half));
    for (int k = 0; k < TARGETS; k++) {
        assert_true(fabs(whole[k] - spec_run.truth[k]) <= 1e-12 * fabs(spec_run.truth[k]));
        assert_true(fabs(half[k] - spec_run.second_half[k]) <= 1e-12 * fabs(spec_run.second_half[k]));
    }
    /* The targets differ, so the check above tells them apart. */
    assert_true(fabs(whole[0] - whole[1]) > 0.01 * fabs(whole[0]));
    dsim_ope_source_clear(&src);

    /* A log whose 101st decision is not what its run did: the replay departs there. */
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "UPDATE events SET action = (action + 1) % 4 WHERE visit = "
                                     "(SELECT visit FROM events ORDER BY visit LIMIT 1 OFFSET 100)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    ASSERT_OK(dsim_ope_source_open(&src, spec, false));
    assert_int_equal(dsim_ope_logged_states_value(&src, 0, targets, TARGETS, NULL, whole), DSIM_ECONFIG);
    for (int k = 0; k < TARGETS; k++)
        assert_true(isnan(whole[k]));
    assert_non_null(strstr(dsim_errmsg(), "departs from"));
    assert_non_null(strstr(dsim_errmsg(), "row 102"));
    dsim_ope_source_clear(&src);

    /* The same visits as a CSV log: no run to replay. */
    char csv[] = "/tmp/dsim_logged_truth_csv_XXXXXX";
    close(mkstemp(csv));
    FILE *f = fopen(csv, "w");
    fputs("action,propensity,reward\n", f);
    for (size_t i = 0; i < spec_run.log.n; i++)
        fprintf(f, "%d,%.17g,%.17g\n", spec_run.log.action[i], spec_run.log.propensity[i], spec_run.log.reward[i]);
    fclose(f);
    ASSERT_OK(dsim_ope_source_open(&src, csv, false));
    assert_int_equal(dsim_ope_logged_states_value(&src, 0, targets, TARGETS, NULL, whole), DSIM_ENOTFOUND);
    assert_true(isnan(whole[0]));
    dsim_ope_source_clear(&src);
    unlink(csv);

    for (int k = 0; k < TARGETS; k++)
        dsim_ope_target_free(targets[k]);
    dsim_ope_log_clear(&spec_run.log);
    dsim_policy_config_free(logger);
    dsim_scenario_free(sc);
    unlink(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unbiased__ips_snips_and_dr_cover_the_truth),
        cmocka_unit_test(test_unbiased__the_truth_on_the_logged_visits_replays_the_logging_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
