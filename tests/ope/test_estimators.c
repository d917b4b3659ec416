/*
 * test_estimators.c — offline evaluation's arithmetic: every estimator on a tiny hand-made set of terms
 * against a hand computation (1e-12), the contract every listed estimator keeps, the terms of a target on a tiny log, the cross-fitted reward model on
 * rewards that are exactly linear in the context, the bootstrap's interval around its estimate, and the
 * Open Bandit Dataset's real random logs.
 *
 * Pass rate of the bootstrap-width check on fresh seeds (DSIM_SEED_OFFSET = k · 10^6, k = 1…50): 50 of 50
 * (ratios 0.87–1.04); the other checks are exact.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/ope.h"
#include "helpers.h"

/* Four rows: w, r, q̂(x, a_i), Σ_a π q̂. */
static double w[4] = {2.0, 0.5, 0.0, 4.0}, r[4] = {1.0, 0.0, 3.0, 2.0};
static double q_taken[4] = {0.5, 0.25, 1.0, 1.5}, q_pi[4] = {0.75, 0.5, 0.25, 1.0};

static dsim_ope_terms hand_terms(void)
{
    return (dsim_ope_terms){.n = 4, .w = w, .r = r, .q_taken = q_taken, .q_pi = q_pi};
}

static void test_estimators__every_estimator_matches_a_hand_computation(void **state)
{
    (void)state;
    dsim_ope_terms t = hand_terms();
    dsim_ope_tuning tuning = {.clip = 3.0, .switch_tau = 3.0, .shrink = 2.0};
    double mean_w = (2 + 0.5 + 0 + 4) / 4.0; /* 1.625 */
    double ips = (2 * 1 + 0.5 * 0 + 0 * 3 + 4 * 2) / 4.0;
    double cips = (2 * 1 + 0.5 * 0 + 0 * 3 + 3 * 2) / 4.0;
    double snips = ips / mean_w;
    double dm = (0.75 + 0.5 + 0.25 + 1.0) / 4.0;
    double residual[4] = {1 - 0.5, 0 - 0.25, 3 - 1.0, 2 - 1.5};
    double correction = (2 * residual[0] + 0.5 * residual[1] + 0 * residual[2] + 4 * residual[3]) / 4.0;
    double dr = dm + correction, sndr = dm + correction / mean_w;
    double switch_dr = dm + (2 * residual[0] + 0.5 * residual[1] + 0 * residual[2]) / 4.0; /* w = 4 > τ = 3 */
    double shrunk[4];
    for (int i = 0; i < 4; i++)
        shrunk[i] = 2.0 * w[i] / (w[i] * w[i] + 2.0);
    double dros = dm + (shrunk[0] * residual[0] + shrunk[1] * residual[1] + shrunk[2] * residual[2] +
                        shrunk[3] * residual[3]) / 4.0;
    const double expected[DSIM_OPE_MAX_ESTIMATORS] = {dm, ips, cips, snips, dr, sndr, switch_dr, dros};
    for (int e = 0; e <= DSIM_OPE_DROS; e++) {
        double got = dsim_ope_estimate((dsim_ope_estimator)e, &t, &tuning, NULL, 4);
        printf("# %-9s %.15f (hand %.15f)\n", dsim_ope_estimator_name((dsim_ope_estimator)e), got, expected[e]);
        assert_true(fabs(got - expected[e]) < 1e-12);
    }
    /* The normal interval is the mean ± 1.96 × the terms' standard error: for IPS, terms 2, 0, 0, 8. */
    dsim_ope_result res;
    ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_IPS, &t, &tuning, 0, 1, &res));
    double sd = sqrt(((2 - 2.5) * (2 - 2.5) + 2.5 * 2.5 + 2.5 * 2.5 + 5.5 * 5.5) / 3.0);
    assert_true(fabs(res.value - 2.5) < 1e-12);
    assert_true(fabs(res.normal_hi - (2.5 + 1.959963984540054 * sd / 2.0)) < 1e-9);
    assert_true(isnan(res.bootstrap_lo));
    dsim_ope_diagnostics d;
    dsim_ope_diagnose(&t, &d);
    assert_true(fabs(d.ess - 6.5 * 6.5 / (4 + 0.25 + 16)) < 1e-12);
    assert_true(d.max_weight == 4.0 && fabs(d.mean_weight - mean_w) < 1e-12);
}

/* A log of six rows, two actions; the uniform target's weights are (1/2) / p, the deterministic target's
   1/p on its action and 0 elsewhere; the table target reads its probabilities per position; a per-row
   target (long or wide CSV) gives each row its own. */
static dsim_ope_log tiny_log(void)
{
    dsim_ope_log log = {.n_context = 1};
    snprintf(log.origin, sizeof log.origin, "tiny");
    const int action[6] = {0, 1, 1, 0, 1, 0}, position[6] = {0, 1, 0, 1, 0, 1};
    const double p[6] = {0.5, 0.25, 0.75, 0.5, 0.5, 0.2}, reward[6] = {1, 0, 1, 1, 0, 0};
    for (int i = 0; i < 6; i++) {
        float x = (float)i;
        ASSERT_OK(dsim_ope_log_push(&log, &x, action[i], position[i], p[i], reward[i]));
    }
    return log;
}

/* A target file with `text` reads, and its terms on `log` are refused with `message`. */
static void refused_target(const dsim_ope_log *log, const char *path, const char *text, const char *message)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    dsim_ope_target *t = NULL;
    dsim_ope_terms terms;
    ASSERT_OK(dsim_ope_target_table(&t, path, log));
    assert_int_equal(dsim_ope_terms_build(&terms, log, t, NULL), DSIM_ECONFIG);
    if (!strstr(dsim_errmsg(), message))
        fail_msg("expected '%s', got '%s'", message, dsim_errmsg());
    dsim_ope_target_free(t);
}

static void test_estimators__terms_of_uniform_deterministic_and_table_targets(void **state)
{
    (void)state;
    dsim_ope_log log = tiny_log();
    assert_int_equal(log.n_actions, 2);
    assert_int_equal(log.n_positions, 2);
    dsim_ope_target *uniform = NULL, *always1 = NULL, *table = NULL;
    ASSERT_OK(dsim_ope_target_uniform(&uniform));
    ASSERT_OK(dsim_ope_target_deterministic(&always1, 1));
    char path[] = "/tmp/dsim_table_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "position,action,probability\n1,0,0.9\n1,1,0.1\n2,0,0.3\n2,1,0.7\n"); /* numbered from 1 */
    fclose(f);
    ASSERT_OK(dsim_ope_target_table(&table, path, &log));
    unlink(path);
    dsim_ope_terms t;
    ASSERT_OK(dsim_ope_terms_build(&t, &log, uniform, NULL));
    for (size_t i = 0; i < 6; i++)
        assert_true(fabs(t.w[i] - 0.5 / log.propensity[i]) < 1e-15);
    dsim_ope_terms_clear(&t);
    ASSERT_OK(dsim_ope_terms_build(&t, &log, always1, NULL));
    for (size_t i = 0; i < 6; i++)
        assert_true(t.w[i] == (log.action[i] == 1 ? 1.0 / log.propensity[i] : 0.0));
    /* IPS of "always 1": rows 1, 2, 4 (rewards 0, 1, 0) weighted 4, 4/3, 2 → (4/3) / 6. */
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    assert_true(fabs(dsim_ope_estimate(DSIM_OPE_IPS, &t, &tuning, NULL, 6) - (4.0 / 3.0) / 6.0) < 1e-12);
    dsim_ope_terms_clear(&t);
    ASSERT_OK(dsim_ope_terms_build(&t, &log, table, NULL));
    const double pi_taken[6] = {0.9, 0.7, 0.1, 0.3, 0.1, 0.3};
    for (size_t i = 0; i < 6; i++)
        assert_true(fabs(t.w[i] - pi_taken[i] / log.propensity[i]) < 1e-15);
    dsim_ope_terms_clear(&t);
    /* A table that leaves out a position the log has is refused, naming it (never a silent 0). */
    refused_target(&log, path, "position,action,probability\n1,0,0.5\n1,1,0.5\n",
                   "no probabilities for position 2, which row 3 of tiny has");

    /* A per-row target, long and wide: row i's own probabilities (row i: P(action 1) = i / 10). */
    const char *forms[2] = {"row,action,probability\n", "row,pi_0,pi_1\n"};
    for (int form = 0; form < 2; form++) {
        dsim_ope_target *rows = NULL;
        f = fopen(path, "w");
        fputs(forms[form], f);
        for (int i = 5; i >= 0; i--) /* any order */
            if (form == 0)
                fprintf(f, "%d,0,%.17g\n%d,1,%.17g\n", i, 1 - i / 10.0, i, i / 10.0);
            else
                fprintf(f, "%d,%.17g,%.17g\n", i, 1 - i / 10.0, i / 10.0);
        fclose(f);
        ASSERT_OK(dsim_ope_target_table(&rows, path, &log));
        ASSERT_OK(dsim_ope_terms_build(&t, &log, rows, NULL));
        for (size_t i = 0; i < 6; i++) {
            double pi = log.action[i] == 1 ? (double)i / 10.0 : 1 - (double)i / 10.0;
            assert_true(fabs(t.w[i] - pi / log.propensity[i]) < 1e-15);
        }
        dsim_ope_terms_clear(&t);
        dsim_ope_target_free(rows);
    }
    /* A row given twice is refused: in wide form a second line, in long form a second run of lines or the
       same action again. */
    const char *twice[3][2] = {
        {"row,pi_0,pi_1\n0,1,0\n0,0,1\n", "row 3: row 0 is given again (line 2 had it)"},
        {"row,action,probability\n0,0,1\n1,0,1\n0,1,0\n", "row 4: row 0 of the log is given again"},
        {"row,action,probability\n0,0,0.5\n0,0,0.5\n", "row 3: row 0, action 0 is given again"},
    };
    for (int i = 0; i < 3; i++) {
        dsim_ope_target *dup = NULL;
        f = fopen(path, "w");
        fputs(twice[i][0], f);
        fclose(f);
        assert_int_equal(dsim_ope_target_table(&dup, path, &log), DSIM_ECONFIG);
        if (!strstr(dsim_errmsg(), twice[i][1]))
            fail_msg("expected '%s', got '%s'", twice[i][1], dsim_errmsg());
    }
    /* A row left out is refused, naming it. */
    refused_target(&log, path, "row,pi_0,pi_1\n0,1,0\n1,1,0\n2,1,0\n4,1,0\n5,1,0\n",
                   "gives no probabilities for row 3 of the log");
    unlink(path);
    dsim_ope_target_free(uniform);
    dsim_ope_target_free(always1);
    dsim_ope_target_free(table);
    dsim_ope_log_clear(&log);
}

/* Rewards exactly linear in the context, per action: r = 1 + 2x (action 0), 3 − x (action 1). The
   cross-fitted ridge model with a negligible penalty predicts them for every row, from other folds only. */
static void test_estimators__the_reward_model_recovers_linear_rewards(void **state)
{
    (void)state;
    dsim_ope_log log = {.n_context = 1};
    for (int i = 0; i < 200; i++) {
        float x = (float)(i % 17) / 4.0f;
        int a = i % 3 == 0;
        ASSERT_OK(dsim_ope_log_push(&log, &x, a, -1, 0.5, a ? 3 - x : 1 + 2 * x));
    }
    dsim_ope_reward_model *m = NULL;
    ASSERT_OK(dsim_ope_model_fit(&m, &log, 5, 1e-9));
    dsim_ope_target *uniform = NULL;
    ASSERT_OK(dsim_ope_target_uniform(&uniform));
    dsim_ope_terms t;
    ASSERT_OK(dsim_ope_terms_build(&t, &log, uniform, m));
    for (size_t i = 0; i < log.n; i++) {
        double x = log.context[i];
        assert_true(fabs(t.q_taken[i] - log.reward[i]) < 1e-6);
        assert_true(fabs(t.q_pi[i] - 0.5 * ((1 + 2 * x) + (3 - x))) < 1e-6);
    }
    dsim_ope_terms_clear(&t);
    dsim_ope_target_free(uniform);
    dsim_ope_model_free(m);
    dsim_ope_log_clear(&log);
}

/* The bootstrap interval brackets the estimate and is reproducible from its seed. */
/*
 * SNIPS and SNDR are ratios of two means; their normal interval uses the delta method: the standard error
 * of the influence terms φ_i = a_i + (b_i − β w_i) / w̄, β = Σb / Σw. Against a hand computation on the
 * four rows (1e-12), and on 4,000 rows of spread weights and mostly-1 rewards, where treating w̄ as a
 * constant is 1.58x too wide (the Open Bandit sample showed 1.6-1.9x): the delta method's width is within
 * a fifth of the bootstrap's (1.003 here). Deterministic: fixed rows and bootstrap seed.
 */
static void test_estimators__self_normalised_intervals_use_the_delta_method(void **state)
{
    (void)state;
    dsim_ope_terms t = hand_terms();
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    double mean_w = 1.625, snips = (2 * 1 + 0.5 * 0 + 0 * 3 + 4 * 2) / 4.0 / mean_w, phi[4], mean_phi = 0;
    for (int i = 0; i < 4; i++)
        mean_phi += (phi[i] = w[i] * (r[i] - snips) / mean_w) / 4;
    double ss = 0;
    for (int i = 0; i < 4; i++)
        ss += (phi[i] - mean_phi) * (phi[i] - mean_phi);
    double se = sqrt(ss / 3 / 4);
    dsim_ope_result res;
    ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_SNIPS, &t, &tuning, 0, 1, &res));
    printf("# snips %.12f, normal half-width %.12f (delta method by hand %.12f)\n", res.value,
           res.normal_hi - res.value, 1.959963984540054 * se);
    assert_true(fabs(res.value - snips) < 1e-12);
    assert_true(fabs((res.normal_hi - res.value) - 1.959963984540054 * se) < 1e-12);

    /* SNDR: φ_i = q̂_π,i + w_i (e_i − B) / w̄, e the residuals, B = Σ w e / Σ w. */
    double e[4], b_sum = 0;
    for (int i = 0; i < 4; i++)
        b_sum += w[i] * (e[i] = r[i] - q_taken[i]);
    double big_b = b_sum / (4 * mean_w), mean2 = 0;
    for (int i = 0; i < 4; i++)
        mean2 += (phi[i] = q_pi[i] + w[i] * (e[i] - big_b) / mean_w) / 4;
    ss = 0;
    for (int i = 0; i < 4; i++)
        ss += (phi[i] - mean2) * (phi[i] - mean2);
    ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_SNDR, &t, &tuning, 0, 1, &res));
    assert_true(fabs((res.normal_hi - res.value) - 1.959963984540054 * sqrt(ss / 3 / 4)) < 1e-12);

    enum { N = 4000 };
    static double ww[N], rr[N], zero[N];
    for (int i = 0; i < N; i++) {
        ww[i] = 0.25 + (i % 8) * 0.25;
        rr[i] = (i * 7919) % 17 < 9 + (i % 8); /* mostly rewarded, more so with larger weights */
    }
    dsim_ope_terms big = {.n = N, .w = ww, .r = rr, .q_taken = zero, .q_pi = zero};
    ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_SNIPS, &big, &tuning, 1000, 3, &res));
    double ratio = (res.normal_hi - res.normal_lo) / (res.bootstrap_hi - res.bootstrap_lo);
    double sum_w = 0, sum_wr = 0;
    for (int i = 0; i < N; i++)
        sum_w += ww[i], sum_wr += ww[i] * rr[i];
    double naive_mean = sum_wr / sum_w, naive_ss = 0; /* the terms w r / w̄, w̄ held fixed */
    for (int i = 0; i < N; i++)
        naive_ss += pow(ww[i] * rr[i] / (sum_w / N) - naive_mean, 2);
    double naive = 2 * 1.959963984540054 * sqrt(naive_ss / (N - 1) / N) / (res.bootstrap_hi - res.bootstrap_lo);
    printf("# 4000 rows: delta-method / bootstrap width %.3f; w-bar-fixed / bootstrap %.3f\n", ratio, naive);
    assert_true(ratio > 0.8 && ratio < 1.25);
    assert_true(naive > 1.25); /* the old interval would fail here */
}

/* Sums of the hand rows, added paired with a base target's. */
static dsim_ope_sums *paired_sums(const dsim_ope_terms *t, const dsim_ope_terms *base)
{
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_sums *s = NULL;
    ASSERT_OK(dsim_ope_sums_alloc(&s, &tuning, t->n, 5));
    dsim_ope_sums_add_paired(s, t, base, 0);
    return s;
}

/*
 * A target against another on the same rows (paired): the difference of the estimates, with the normal
 * interval of the difference of the two influence terms row by row: for IPS w r − w' r, for SNIPS
 * w (r − V) / w̄ − w' (r − V') / w̄' (by hand, 1e-12). A target against itself: 0 with intervals [0, 0].
 */
static void test_estimators__differences_of_targets_are_paired(void **state)
{
    (void)state;
    dsim_ope_terms t = hand_terms();
    static double w_base[4] = {1.0, 1.5, 0.5, 1.0};
    dsim_ope_terms base = {.n = 4, .w = w_base, .r = r, .q_taken = q_taken, .q_pi = q_pi};
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_sums *s = paired_sums(&t, &base), *sb = NULL;
    ASSERT_OK(dsim_ope_sums_alloc(&sb, &tuning, 4, 5));
    dsim_ope_sums_add(sb, &base, 0);
    for (int e = DSIM_OPE_IPS; e <= DSIM_OPE_SNIPS; e += DSIM_OPE_SNIPS - DSIM_OPE_IPS) {
        double sw = 0, swr = 0, sbw = 0, sbwr = 0;
        for (int i = 0; i < 4; i++)
            sw += w[i], swr += w[i] * r[i], sbw += w_base[i], sbwr += w_base[i] * r[i];
        double d[4], mean = 0, ss = 0;
        for (int i = 0; i < 4; i++) {
            d[i] = e == DSIM_OPE_IPS ? w[i] * r[i] - w_base[i] * r[i]
                                     : w[i] * (r[i] - swr / sw) / (sw / 4) - w_base[i] * (r[i] - sbwr / sbw) / (sbw / 4);
            mean += d[i] / 4;
        }
        for (int i = 0; i < 4; i++)
            ss += (d[i] - mean) * (d[i] - mean);
        double delta = e == DSIM_OPE_IPS ? (swr - sbwr) / 4 : swr / sw - sbwr / sbw;
        dsim_ope_result res;
        ASSERT_OK(dsim_ope_sums_difference(s, sb, (dsim_ope_estimator)e, 100, 5, &res));
        printf("# %s difference %.12f (hand %.12f), half-width %.12f (hand %.12f)\n",
               dsim_ope_estimator_name((dsim_ope_estimator)e), res.value, delta, res.normal_hi - res.value,
               1.959963984540054 * sqrt(ss / 3 / 4));
        assert_true(fabs(res.value - delta) < 1e-12);
        assert_true(fabs((res.normal_hi - res.value) - 1.959963984540054 * sqrt(ss / 3 / 4)) < 1e-12);
        assert_true(res.bootstrap_lo <= res.value + 1e-12 && res.value - 1e-12 <= res.bootstrap_hi);
    }
    dsim_ope_sums *self = paired_sums(&t, &t), *alone = NULL;
    ASSERT_OK(dsim_ope_sums_alloc(&alone, &tuning, 4, 5));
    dsim_ope_sums_add(alone, &t, 0);
    for (int e = 0; e < dsim_ope_estimator_count(); e++) {
        dsim_ope_result res;
        ASSERT_OK(dsim_ope_sums_difference(self, alone, (dsim_ope_estimator)e, 50, 5, &res));
        /* gᵀΣg cancels to rounding: its square root is of order 1e-8 at most */
        assert_true(res.value == 0 && fabs(res.normal_lo) < 1e-6 && fabs(res.normal_hi) < 1e-6);
        assert_true(res.bootstrap_lo == 0 && res.bootstrap_hi == 0);
    }
    dsim_ope_result res; /* sums not added paired cannot give a difference */
    assert_int_equal(dsim_ope_sums_difference(alone, s, DSIM_OPE_IPS, 0, 5, &res), DSIM_EINVAL);
    dsim_ope_sums_free(s);
    dsim_ope_sums_free(sb);
    dsim_ope_sums_free(self);
    dsim_ope_sums_free(alone);
}

static void test_estimators__the_bootstrap_is_seeded(void **state)
{
    (void)state;
    enum { N = 2000 };
    static double ww[N], rr[N], zero[N];
    for (int i = 0; i < N; i++) {
        ww[i] = 0.5 + (i % 5) * 0.25;
        rr[i] = (i * 7919) % 13 < 4;
    }
    dsim_ope_terms t = {.n = N, .w = ww, .r = rr, .q_taken = zero, .q_pi = zero};
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_result a, b;
    ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_SNIPS, &t, &tuning, 400, test_seed(9), &a));
    ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_SNIPS, &t, &tuning, 400, test_seed(9), &b));
    assert_true(a.bootstrap_lo < a.value && a.value < a.bootstrap_hi);
    assert_true(a.bootstrap_lo == b.bootstrap_lo && a.bootstrap_hi == b.bootstrap_hi);
    /* Its width agrees with the normal one within a fifth. */
    double ratio = (a.bootstrap_hi - a.bootstrap_lo) / (a.normal_hi - a.normal_lo);
    printf("# bootstrap / normal interval width: %.3f\n", ratio);
    assert_true(ratio > 0.8 && ratio < 1.2);
}

/* The first 1,000 rows of the Open Bandit Dataset's random logs (men, women): the logging policy is
   uniform over the items, so the uniform target's IPS is the logs' mean click exactly; a deterministic
   target's IPS is Σ over its item's rows of click / propensity, over n. */
static void test_estimators__open_bandit_logs(void **state)
{
    (void)state;
    const char *campaigns[2] = {"men", "women"};
    const int items[2] = {34, 46};
    for (int k = 0; k < 2; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/obd/random/%s/%s.csv", DSIM_TEST_DATA, campaigns[k], campaigns[k]);
        dsim_ope_log log;
        ASSERT_OK(dsim_ope_log_read_obd(&log, path));
        assert_int_equal(log.n, 1000);
        assert_int_equal(log.n_positions, 3);
        assert_true(log.n_actions <= items[k]);
        log.n_actions = items[k]; /* the campaign's items, whether the sample shows them all or not */
        dsim_ope_target *uniform = NULL, *one = NULL;
        ASSERT_OK(dsim_ope_target_uniform(&uniform));
        ASSERT_OK(dsim_ope_target_deterministic(&one, 3));
        dsim_ope_terms t;
        dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
        double mean_click = 0, by_hand = 0;
        for (size_t i = 0; i < log.n; i++) {
            mean_click += log.reward[i] / (double)log.n;
            by_hand += log.action[i] == 3 ? log.reward[i] / log.propensity[i] / (double)log.n : 0.0;
        }
        ASSERT_OK(dsim_ope_terms_build(&t, &log, uniform, NULL));
        double ips = dsim_ope_estimate(DSIM_OPE_IPS, &t, &tuning, NULL, t.n);
        printf("# %s: IPS of uniform %.6f, mean click %.6f\n", campaigns[k], ips, mean_click);
        assert_true(fabs(ips - mean_click) < 1e-15);
        dsim_ope_terms_clear(&t);
        ASSERT_OK(dsim_ope_terms_build(&t, &log, one, NULL));
        assert_true(fabs(dsim_ope_estimate(DSIM_OPE_IPS, &t, &tuning, NULL, t.n) - by_hand) < 1e-12);
        dsim_ope_terms_clear(&t);
        dsim_ope_target_free(uniform);
        dsim_ope_target_free(one);
        dsim_ope_log_clear(&log);
    }
}

/* The contract of every estimator in the list (a new one included): found by its name; with the target
   the logger (every weight 1) and a perfect reward model, its value is the mean reward; its running sums
   give what it gives on the terms held whole. */
static void test_estimators__every_estimator_keeps_the_contract(void **state)
{
    (void)state;
    double ones[5] = {1, 1, 1, 1, 1}, reward[5] = {0.5, 2, 0, 1.25, 3}, q[5] = {0.5, 2, 0, 1.25, 3};
    dsim_ope_terms t = {.n = 5, .w = ones, .r = reward, .q_taken = q, .q_pi = q};
    double mean = (0.5 + 2 + 0 + 1.25 + 3) / 5;
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_sums *sums = NULL;
    ASSERT_OK(dsim_ope_sums_alloc(&sums, &tuning, 5, 1));
    dsim_ope_sums_add(sums, &t, 0);
    assert_true(dsim_ope_estimator_count() >= 8 && dsim_ope_estimator_count() <= DSIM_OPE_MAX_ESTIMATORS);
    for (int e = 0; e < dsim_ope_estimator_count(); e++) {
        const char *name = dsim_ope_estimator_name((dsim_ope_estimator)e);
        assert_non_null(name);
        assert_int_equal(dsim_ope_estimator_find(name), e);
        double v = dsim_ope_estimate((dsim_ope_estimator)e, &t, &tuning, NULL, 5);
        if (fabs(v - mean) > 1e-12)
            fail_msg("%s: %.17g with the logger as target and a perfect model, not the mean reward %.17g", name, v,
                     mean);
        dsim_ope_result res;
        ASSERT_OK(dsim_ope_sums_evaluate(sums, (dsim_ope_estimator)e, 0, 1, &res));
        assert_true(fabs(res.value - v) < 1e-12);
    }
    assert_null(dsim_ope_estimator_name((dsim_ope_estimator)dsim_ope_estimator_count()));
    assert_int_equal(dsim_ope_estimator_find("no such estimator"), -1);
    dsim_ope_sums_free(sums);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimators__every_estimator_matches_a_hand_computation),
        cmocka_unit_test(test_estimators__every_estimator_keeps_the_contract),
        cmocka_unit_test(test_estimators__terms_of_uniform_deterministic_and_table_targets),
        cmocka_unit_test(test_estimators__the_reward_model_recovers_linear_rewards),
        cmocka_unit_test(test_estimators__self_normalised_intervals_use_the_delta_method),
        cmocka_unit_test(test_estimators__differences_of_targets_are_paired),
        cmocka_unit_test(test_estimators__the_bootstrap_is_seeded),
        cmocka_unit_test(test_estimators__open_bandit_logs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
