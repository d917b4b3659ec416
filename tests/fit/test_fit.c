/*
 * test_fit.c — the latent-class logit of dsim/fit.h on data drawn from the model itself (a correctly specified
 * test): the reference discount is each shopper's own memory, exactly; EM reaches the maximum likelihood and
 * recovers two segments' shares and (α, β, ρ); BIC prefers two segments to one and to three; bad data is refused
 * with a reason. Pass rate: in the header of test_fit__recovers_two_segments.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "dsim/fit.h"
#include "dsim/scenario.h"
#include "dsim/study.h"
#include "helpers.h"

/* The reference each visit sees is r ← λ r + (1 − λ) d over the shopper's own visits, in log order. */
static void test_fit__reference_is_each_shoppers_memory(void **state)
{
    (void)state;
    const uint64_t shopper[] = {7, 3, 7, 7, 3};
    const double discount[] = {0.2, 0.1, 0.0, 0.3, 0.1};
    const unsigned char bought[] = {1, 0, 0, 1, 1};
    dsim_fit_data d;
    ASSERT_OK(dsim_fit_data_build(&d, shopper, discount, bought, NULL, NULL, 5, 0.5, 0.05));
    assert_int_equal(d.n_shoppers, 2);
    assert_int_equal(d.first[0], 0);
    assert_int_equal(d.first[1], 2);
    assert_int_equal(d.first[2], 5);
    /* shopper 3: visits 2 and 5; shopper 7: visits 1, 3, 4 */
    const double want[5][3] = {{1, 0.1, 0.1 - 0.05}, {1, 0.1, 0.1 - 0.075},
                               {1, 0.2, 0.2 - 0.05}, {1, 0.0, 0.0 - 0.125}, {1, 0.3, 0.3 - 0.0625}};
    const unsigned char want_y[] = {0, 1, 1, 0, 1};
    for (int t = 0; t < 5; t++) {
        for (int j = 0; j < 3; j++)
            assert_true(fabs(d.x[t * 3 + j] - want[t][j]) < 1e-15);
        assert_int_equal(d.y[t], want_y[t]);
    }
    dsim_fit_data_clear(&d);
    const double bad[] = {0.1, 1.5};
    assert_int_equal(dsim_fit_data_build(&d, shopper, bad, bought, NULL, NULL, 2, 0.5, 0), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "visit 2: a discount of 1.5"));
}

enum { SHOPPERS = 1500, VISITS = 8 };
static const double truth_share[2] = {0.4, 0.6};
static const double truth_theta[2][3] = {{-2.5, 6.0, 3.0}, {-0.5, 1.0, 0.5}}; /* bargain hunters, regulars */

/* A log from the model: each shopper's segment, then visits with a uniform random discount level. */
static void draw(uint64_t seed, dsim_fit_data *d)
{
    static uint64_t shopper[SHOPPERS * VISITS];
    static double discount[SHOPPERS * VISITS];
    static unsigned char bought[SHOPPERS * VISITS];
    static const double levels[] = {0, 0.05, 0.1, 0.15, 0.2, 0.3};
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    int segment[SHOPPERS];
    double reference[SHOPPERS];
    for (int i = 0; i < SHOPPERS; i++) {
        segment[i] = gsl_rng_uniform(rng) < truth_share[0] ? 0 : 1;
        reference[i] = 0;
    }
    for (int t = 0; t < SHOPPERS * VISITS; t++) { /* visits interleaved, as arrivals are */
        int i = (int)gsl_rng_uniform_int(rng, SHOPPERS);
        double dd = levels[gsl_rng_uniform_int(rng, 6)];
        const double *th = truth_theta[segment[i]];
        double z = th[0] + th[1] * dd + th[2] * (dd - reference[i]);
        shopper[t] = (uint64_t)i;
        discount[t] = dd;
        bought[t] = gsl_rng_uniform(rng) < 1 / (1 + exp(-z));
        reference[i] = 0.8 * reference[i] + 0.2 * dd;
    }
    gsl_rng_free(rng);
    ASSERT_OK(dsim_fit_data_build(d, shopper, discount, bought, NULL, NULL, SHOPPERS * VISITS, 0.8, 0));
}

/*
 * On one log of 1500 shoppers × 8 visits: EM reaches a log-likelihood at least the truth's (the maximum-likelihood
 * estimate's defining property, so a premature stop fails it); every estimate lies within 4 standard errors of
 * the truth; BIC picks K = 2 among 1, 2, 3. Pass rate: 20 of 20 disjoint seed sets (DSIM_SEED_OFFSET = 0, 100, …,
 * 1900). At this size the nominal 95 % intervals cover less often than 95 % (2 misses of 8 in 5 of those 20);
 * the coverage study over 20 seeds of 200,000 visits belongs to issue 20's recovery test.
 */
static void test_fit__recovers_two_segments(void **state)
{
    (void)state;
    dsim_fit_data d;
    draw(test_seed(11), &d);
    dsim_fit_options o = DSIM_FIT_OPTIONS_INIT;
    o.seed = test_seed(5);
    o.starts = 3;
    o.tolerance = 1e-7;
    dsim_fit_model m1, m2, m3;
    ASSERT_OK(dsim_fit_em(&d, 2, &o, &m2));
    assert_true(m2.converged);
    dsim_fit_model truth = m2;
    for (int c = 0; c < 2; c++) {
        truth.share[c] = truth_share[c];
        memcpy(truth.theta[c], truth_theta[c], sizeof truth.theta[c]);
    }
    double at_truth = dsim_fit_loglik(&d, &truth);
    if (!(m2.loglik >= at_truth - 1e-6))
        fail_msg("EM stopped at log-likelihood %.6f, below the truth's %.6f", m2.loglik, at_truth);
    for (int c = 0; c < 2; c++) {
        if (!(fabs(m2.share[c] - truth_share[c]) <= 4 * m2.share_se[c]))
            fail_msg("share %d: %.4f ± %.4f, truth %.2f", c, m2.share[c], m2.share_se[c], truth_share[c]);
        for (int j = 0; j < 3; j++)
            if (!(m2.theta_se[c][j] > 0 && fabs(m2.theta[c][j] - truth_theta[c][j]) <= 4 * m2.theta_se[c][j]))
                fail_msg("theta %d.%d: %.4f ± %.4f, truth %.2f", c, j, m2.theta[c][j], m2.theta_se[c][j],
                         truth_theta[c][j]);
    }
    /* The bootstrap over shoppers agrees with the sandwich to within a factor 2 (with 40 resamples a standard
       deviation is itself uncertain by about 11 %; at 1500 shoppers the bootstrap's can be half again as wide
       as the sandwich's where a segment is weakly identified, one parameter in 1 of 20 seed sets). */
    dsim_fit_model boot = m2;
    dsim_fit_options bo = DSIM_FIT_OPTIONS_INIT;
    bo.seed = test_seed(6);
    ASSERT_OK(dsim_fit_bootstrap(&d, &boot, 40, &bo));
    assert_true(boot.share[0] == m2.share[0] && boot.theta[1][2] == m2.theta[1][2]);
    for (int c = 0; c < 2; c++)
        for (int j = 0; j < 3; j++)
            if (!(boot.theta_se[c][j] > m2.theta_se[c][j] / 2 && boot.theta_se[c][j] < m2.theta_se[c][j] * 2))
                fail_msg("theta %d.%d: bootstrap SE %.4f, sandwich %.4f", c, j, boot.theta_se[c][j],
                         m2.theta_se[c][j]);
    /* Each keeps the covariance its standard errors come from (free parameters π_1, then θ_1, θ_2). */
    assert_true(m2.cov_known && boot.cov_known);
    for (int c = 0; c < 2; c++)
        for (int j = 0; j < 3; j++) {
            assert_true(fabs(sqrt(m2.cov[1 + c * 3 + j][1 + c * 3 + j]) - m2.theta_se[c][j]) <= 1e-12 * m2.theta_se[c][j]);
            assert_true(fabs(sqrt(boot.cov[1 + c * 3 + j][1 + c * 3 + j]) - boot.theta_se[c][j]) <=
                        1e-9 * boot.theta_se[c][j]);
        }
    assert_true(fabs(sqrt(m2.cov[0][0]) - m2.share_se[0]) <= 1e-12 * m2.share_se[0]);
    assert_int_equal(dsim_fit_bootstrap(&d, &boot, 1, &bo), DSIM_EINVAL);
    volatile sig_atomic_t stop = 1; /* a stop already set: the fit ends at once, interrupted */
    bo.stop = &stop;
    dsim_fit_model stopped;
    assert_int_equal(dsim_fit_em(&d, 2, &bo, &stopped), DSIM_EINTERRUPTED);
    assert_int_equal(dsim_fit_bootstrap(&d, &boot, 5, &bo), DSIM_EINTERRUPTED);
    o.starts = 2;
    o.max_iterations = 150; /* a third segment splits one of two: a flat likelihood, slow to converge */
    ASSERT_OK(dsim_fit_em(&d, 1, &o, &m1));
    ASSERT_OK(dsim_fit_em(&d, 3, &o, &m3));
    assert_true(m2.bic < m1.bic);
    assert_true(m2.bic < m3.bic);
    dsim_fit_data_clear(&d);
}

/* A run logged with --log-events: a visit per decision, each shopper's, its level's discount and the purchase. */
/*
 * Markets drawn from a fit's uncertainty (dsim_fit_draw) follow the normal of its estimate and covariance:
 * over 4000 draws each free parameter's mean lies within 4 standard errors of the estimate and its variance
 * within 12 % of the covariance's (the sample variance's own SE is √(2/4000) = 2.2 %), and the correlation of
 * two correlated parameters within 0.05 of its value (SE 0.008); every draw's shares are a distribution; a
 * draw is a function of (seed, draw); a fit without a covariance cannot be drawn from.
 * Pass rate on fresh seeds (DSIM_SEED_OFFSET = k · 1000, k = 1…20): 20 of 20.
 */
static void test_fit__draws_markets_from_the_fit(void **state)
{
    (void)state;
    dsim_fit_model m = {.k = 2, .share = {0.3, 0.7}, .theta = {{-3, 10, 2}, {-1, 2, 0.5}}, .cov_known = true};
    const double sd[7] = {0.03, 0.2, 1.5, 0.8, 0.1, 0.5, 0.4};
    for (int a = 0; a < 7; a++)
        m.cov[a][a] = sd[a] * sd[a];
    m.cov[2][3] = m.cov[3][2] = -0.8 * sd[2] * sd[3]; /* β and ρ of the first segment, as in a real fit */
    enum { DRAWS = 4000 };
    double sum[7] = {0}, square[7] = {0}, cross = 0;
    for (int b = 0; b < DRAWS; b++) {
        dsim_fit_model x;
        ASSERT_OK(dsim_fit_draw(&m, test_seed(21), (uint64_t)b, &x));
        assert_true(x.share[0] > 0 && x.share[1] > 0 && fabs(x.share[0] + x.share[1] - 1) < 1e-15);
        const double v[7] = {x.share[0], x.theta[0][0], x.theta[0][1], x.theta[0][2],
                             x.theta[1][0], x.theta[1][1], x.theta[1][2]};
        for (int a = 0; a < 7; a++) {
            sum[a] += v[a];
            square[a] += v[a] * v[a];
        }
        cross += (v[2] - m.theta[0][1]) * (v[3] - m.theta[0][2]);
    }
    const double mean[7] = {0.3, -3, 10, 2, -1, 2, 0.5};
    for (int a = 0; a < 7; a++) {
        double average = sum[a] / DRAWS, variance = square[a] / DRAWS - average * average;
        if (!(fabs(average - mean[a]) <= 4 * sd[a] / sqrt(DRAWS) && fabs(variance / (sd[a] * sd[a]) - 1) <= 0.12))
            fail_msg("parameter %d: mean %.4f (want %.4f), sd %.4f (want %.4f)", a, average, mean[a], sqrt(variance),
                     sd[a]);
    }
    assert_true(fabs(cross / DRAWS / (sd[2] * sd[3]) + 0.8) <= 0.05);
    dsim_fit_model x, y;
    ASSERT_OK(dsim_fit_draw(&m, 5, 9, &x));
    ASSERT_OK(dsim_fit_draw(&m, 5, 9, &y));
    assert_true(memcmp(x.theta, y.theta, sizeof x.theta) == 0 && x.share[0] == y.share[0]);
    ASSERT_OK(dsim_fit_draw(&m, 5, 10, &y));
    assert_true(x.theta[0][0] != y.theta[0][0]);
    m.cov_known = false;
    assert_int_equal(dsim_fit_draw(&m, 5, 9, &x), DSIM_EINVAL);
}

static void test_fit__reads_a_logged_run(void **state)
{
    (void)state;
    char db[] = "/tmp/dsim_fit_XXXXXX";
    close(mkstemp(db));
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, db));
    const char *names[] = {"random"};
    dsim_scenario *sc = NULL;
    dsim_policy_config *random = NULL;
    ASSERT_OK(dsim_study_load(DSIM_TEST_DATA "/small.ini", names, 1, &sc, &random));
    dsim_study_run run = DSIM_STUDY_RUN_INIT;
    run.scenario = sc, run.policy = random, run.seed = 3, run.sim.visits = 2000, run.sim.log_decisions = true;
    dsim_study_result res = {0};
    int64_t id;
    ASSERT_OK(dsim_study_run_one(st, &run, &res, &id));
    dsim_fit_data d;
    ASSERT_OK(dsim_fit_data_from_run(st, id, 0.8, 0, &d));
    assert_int_equal(d.n_visits, res.head.final.visits);
    size_t bought = 0;
    for (size_t t = 0; t < d.n_visits; t++) {
        bool a_level = false;
        for (int l = 0; l < sc->discounts.n_levels; l++)
            a_level |= fabs(d.x[t * 3 + 1] - sc->discounts.levels[l]) < 1e-12;
        assert_true(a_level);
        bought += d.y[t];
    }
    assert_true(bought > 0 && bought <= res.head.final.purchases);
    dsim_fit_data_clear(&d);
    assert_int_equal(dsim_fit_data_from_run(st, id + 1, 0.8, 0, &d), DSIM_ENOTFOUND);
    dsim_study_result_clear(&res);
    dsim_policy_config_free(random);
    dsim_scenario_free(sc);
    dsim_store_close(st);
    unlink(db);
}

static void test_fit__refuses_what_cannot_be_fitted(void **state)
{
    (void)state;
    const uint64_t shopper[] = {1, 2, 3};
    const double discount[] = {0.1, 0.1, 0.1};
    const unsigned char bought[] = {1, 0, 1};
    dsim_fit_data d;
    ASSERT_OK(dsim_fit_data_build(&d, shopper, discount, bought, NULL, NULL, 3, 0.8, 0));
    dsim_fit_options o = DSIM_FIT_OPTIONS_INIT;
    dsim_fit_model m;
    assert_int_equal(dsim_fit_em(&d, 2, &o, &m), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "3 shoppers are too few to fit 2 segments: a mixture of K segments has "
                                          "4K − 1 parameters and needs at least ten shoppers per parameter (70 for 2)"));
    assert_int_equal(dsim_fit_shoppers_needed(1), 30);
    assert_int_equal(dsim_fit_check_shoppers(&d, 1), DSIM_EINVAL); /* the same rule dsim fit applies */
    assert_int_equal(dsim_fit_em(&d, 9, &o, &m), DSIM_EINVAL);
    dsim_fit_data_clear(&d);
    assert_int_equal(dsim_fit_data_build(&d, shopper, discount, bought, NULL, NULL, 0, 0.8, 0), DSIM_EINVAL);
}

/* The fitted scenario: the base's story, segments and demand key replaced, its other keys kept, the shares
   summing to 1 as written, and the text loads as a scenario. */
static void test_fit__writes_a_scenario(void **state)
{
    (void)state;
    const char *base = "; base — a story\n; more story\n[scenario]\nname = base\nvisits = 1000\n\n[behaviour]\n"
                       "demand = mnl\nslate_size = 3\n\n; a segment's comment\n[segment.a]\nshare = 1\n"
                       "[discounts]\nlevels = 0, 10\n";
    dsim_fit_model m = {.k = 2, .share = {1.0 / 3, 2.0 / 3}, .share_se = {0.01, 0.01},
                        .theta = {{-2, 5, 1}, {-1, 1, 0}}, .theta_se = {{0.1, 0.2, 0.3}, {0.1, 0.2, 0.3}}};
    char *text = NULL;
    ASSERT_OK(dsim_fit_scenario_text(base, &m, "fitted — a test\nsecond line", 0.9, 0.05, &text));
    const char *want = "; fitted — a test\n; second line\n[scenario]\nname = fitted\ndescription = fitted by dsim fit: "
                       "a logit market of the segments below\nvisits = 1000\n\n[behaviour]\ndemand = logit\n"
                       "slate_size = 3\n\n[discounts]\nlevels = 0, 10\n\n"
                       "; standard errors: share ±0.01, logit_base ±0.1, logit_discount ±0.2, logit_reference ±0.3\n"
                       "[segment.fitted1]\nshare = 0.333333333\nlogit_base = -2\nlogit_discount = 5\n"
                       "logit_reference = 1\nmemory = 0.9\ninitial_reference = 0.05\n\n"
                       "; standard errors: share ±0.01, logit_base ±0.1, logit_discount ±0.2, logit_reference ±0.3\n"
                       "[segment.fitted2]\nshare = 0.666666667\nlogit_base = -1\nlogit_discount = 1\n"
                       "logit_reference = 0\nmemory = 0.9\ninitial_reference = 0.05\n";
    assert_string_equal(text, want);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, text, "fitted.ini"));
    assert_int_equal(sc->n_segments, 2);
    dsim_scenario_free(sc);
    free(text);
}

/* Each parameter the log cannot identify is named, with the reason. */
static void test_fit__names_what_cannot_be_identified(void **state)
{
    (void)state;
    const uint64_t shopper[] = {1, 1, 2, 2, 3, 3};
    const double same[] = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, varied[] = {0, 0.2, 0.1, 0.3, 0.2, 0};
    const unsigned char none[6] = {0}, some[] = {1, 0, 0, 1, 0, 1};
    dsim_fit_data d;
    ASSERT_OK(dsim_fit_data_build(&d, shopper, varied, none, NULL, NULL, 6, 0.8, 0));
    assert_int_equal(dsim_fit_check_identified(&d), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "every one of the 6 visits ended without a purchase: logit_base (α)"));
    dsim_fit_data_clear(&d);
    ASSERT_OK(dsim_fit_data_build(&d, shopper, same, some, NULL, NULL, 6, 0.8, 0));
    assert_int_equal(dsim_fit_check_identified(&d), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "every visit was offered the same discount (10 %): logit_discount (β)"));
    dsim_fit_data_clear(&d);
    const uint64_t once[] = {1, 2, 3, 4, 5, 6};
    ASSERT_OK(dsim_fit_data_build(&d, once, varied, some, NULL, NULL, 6, 0.8, 0));
    assert_int_equal(dsim_fit_check_identified(&d), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "every shopper has one visit"));
    assert_non_null(strstr(dsim_errmsg(), "logit_reference (ρ) cannot be identified"));
    dsim_fit_data_clear(&d);
    ASSERT_OK(dsim_fit_data_build(&d, shopper, varied, some, NULL, NULL, 6, 0.8, 0));
    ASSERT_OK(dsim_fit_check_identified(&d));
    dsim_fit_data_clear(&d);
}

/* A CSV log reads as the same data as the arrays it holds: shoppers by id or any text, percent to fractions,
   prices kept; its errors name the row and column. */
static void test_fit__reads_a_csv_log(void **state)
{
    (void)state;
    char path[] = "/tmp/dsim_fit_csv_XXXXXX";
    int fd = mkstemp(path);
    const char csv[] = "time,shopper,discount_percent,purchased,price,other\n1,ann,10,1,20,x\n2,7,0,0,30,y\n"
                       "2,ann,30,0,25,z\n";
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    dsim_fit_data d;
    ASSERT_OK(dsim_fit_data_read_csv(path, 0.5, 0, &d));
    assert_int_equal(d.n_visits, 3);
    assert_int_equal(d.n_shoppers, 2);
    assert_non_null(d.price);
    /* shopper 7 sorts first (its id is 7; "ann" is hashed, far above it) */
    assert_true(d.x[1] == 0 && d.price[0] == 30 && d.y[0] == 0);
    assert_true(d.x[4] == 0.1 && d.x[5] == 0.1 && d.price[1] == 20 && d.y[1] == 1);
    assert_true(fabs(d.x[7] - 0.3) < 1e-15 && fabs(d.x[8] - (0.3 - 0.05)) < 1e-15 && d.price[2] == 25);
    dsim_fit_data_clear(&d);
    FILE *f = fopen(path, "w");
    fputs("shopper,discount_percent,purchased,price\n1,10,1,-4\n", f);
    fclose(f);
    assert_int_equal(dsim_fit_data_read_csv(path, 0.5, 0, &d), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), ": row 2, column price: '-4' is not a price"));

    /* The discount as a level of the scenario's levels reads as the same data as its percent. */
    static const double levels[] = {0, 0.1, 0.3};
    f = fopen(path, "w");
    fputs("time,shopper,discount_level,purchased,price,other\n1,ann,1,1,20,x\n2,7,0,0,30,y\n2,ann,2,0,25,z\n", f);
    fclose(f);
    dsim_fit_data by_level;
    ASSERT_OK(dsim_fit_data_read_csv_levels(path, levels, 3, 0.5, 0, &by_level));
    f = fopen(path, "w");
    fputs(csv, f);
    fclose(f);
    ASSERT_OK(dsim_fit_data_read_csv_levels(path, levels, 3, 0.5, 0, &d)); /* percent, with levels at hand */
    assert_int_equal(by_level.n_visits, d.n_visits);
    assert_memory_equal(by_level.x, d.x, d.n_visits * DSIM_FIT_PARAMS * sizeof *d.x);
    assert_memory_equal(by_level.y, d.y, d.n_visits * sizeof *d.y);
    dsim_fit_data_clear(&by_level);
    dsim_fit_data_clear(&d);
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"shopper,discount_level,purchased\n1,3,0\n", ": row 2, column discount_level: '3' is not a level of the base "
                                                      "scenario (0 … 2)"},
        {"shopper,discount_level,purchased\n1,0.5,0\n", "column discount_level: '0.5' is not a level"},
        {"shopper,discount_level,discount_percent,purchased\n1,1,10,0\n", "both discount_percent and discount_level"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen(path, "w");
        fputs(bad[i].text, f);
        fclose(f);
        assert_int_equal(dsim_fit_data_read_csv_levels(path, levels, 3, 0.5, 0, &d), DSIM_ECONFIG);
        if (!strstr(dsim_errmsg(), bad[i].message))
            fail_msg("case %zu: '%s' lacks '%s'", i, dsim_errmsg(), bad[i].message);
    }
    f = fopen(path, "w");
    fputs("shopper,discount_level,purchased\n1,1,0\n", f);
    fclose(f);
    assert_int_equal(dsim_fit_data_read_csv(path, 0.5, 0, &d), DSIM_ECONFIG); /* no levels to index */
    assert_non_null(strstr(dsim_errmsg(), "column discount_level: a level needs the levels it indexes"));
    unlink(path);
}

/*
 * The calibration check on a log of the model itself passes: cross-fitted predictions match what shoppers did
 * by discount, by decile and given their history (p > 0.001 each, as the model is right: each fails by chance
 * in 1 of 1000), and prices without an effect raise no alarm. Pass rate: 20 of 20 seed sets (DSIM_SEED_OFFSET
 * = 0, 100, …, 1900).
 */
static void test_fit__calibration_passes_the_right_model(void **state)
{
    (void)state;
    dsim_fit_data d;
    draw(test_seed(21), &d);
    d.price = malloc(d.n_visits * sizeof *d.price);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, test_seed(22));
    for (size_t t = 0; t < d.n_visits; t++)
        d.price[t] = 40 * exp(gsl_ran_gaussian(rng, 0.3));
    gsl_rng_free(rng);
    dsim_fit_options o = DSIM_FIT_OPTIONS_INIT;
    o.seed = test_seed(23);
    o.starts = 3;
    dsim_fit_model m;
    ASSERT_OK(dsim_fit_em(&d, 2, &o, &m));
    dsim_fit_calibration cal;
    ASSERT_OK(dsim_fit_calibrate(&d, &m, 5, 1, &cal));
    assert_int_equal(cal.folds, 5);
    assert_int_equal(cal.n_levels, 6);
    size_t visits = 0;
    for (int g = 0; g < cal.n_levels; g++)
        visits += cal.level[g].visits;
    assert_int_equal(visits, d.n_visits);
    if (!(cal.level_p > 1e-3 && cal.decile_p > 1e-3 && cal.returning_p > 1e-3))
        fail_msg("calibration p = %g by discount, %g by decile, %g given history", cal.level_p, cal.decile_p,
                 cal.returning_p);
    assert_true(cal.price_tested);
    if (!(cal.price_p > 1e-3))
        fail_msg("a price effect found where there is none: z = %g", cal.price_z);
    dsim_fit_data_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit__reference_is_each_shoppers_memory),
        cmocka_unit_test(test_fit__recovers_two_segments),
        cmocka_unit_test(test_fit__draws_markets_from_the_fit),
        cmocka_unit_test(test_fit__reads_a_logged_run),
        cmocka_unit_test(test_fit__refuses_what_cannot_be_fitted),
        cmocka_unit_test(test_fit__writes_a_scenario),
        cmocka_unit_test(test_fit__names_what_cannot_be_identified),
        cmocka_unit_test(test_fit__reads_a_csv_log),
        cmocka_unit_test(test_fit__calibration_passes_the_right_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
