/*
 * test_core.c — keyed random streams, strict parsing, suggestions and confidence intervals.
 *
 * Pass rate on fresh keys (DSIM_SEED_OFFSET = k · 10^6, k = 1…50): 50 of 50.
 */
#include <math.h>
#include <string.h>

#include "core/text.h"
#include "dsim/metrics.h"
#include "dsim/rng.h"
#include "helpers.h"

static void test_rng__same_key_gives_same_sequence(void **state)
{
    (void)state;
    gsl_rng *a = dsim_rng_alloc(), *b = dsim_rng_alloc();
    dsim_rng_key(a, 42, DSIM_STREAM_CHOICE, 1000);
    gsl_rng_uniform(b); /* b's history must not matter once keyed */
    dsim_rng_key(b, 42, DSIM_STREAM_CHOICE, 1000);
    for (int i = 0; i < 100; i++)
        assert_int_equal(gsl_rng_get(a), gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
}

static void test_rng__different_keys_give_different_sequences(void **state)
{
    (void)state;
    gsl_rng *r = dsim_rng_alloc();
    unsigned long first[4];
    uint64_t keys[4][3] = {{1, DSIM_STREAM_CHOICE, 5}, {2, DSIM_STREAM_CHOICE, 5}, {1, DSIM_STREAM_ARRIVAL, 5},
                           {1, DSIM_STREAM_CHOICE, 6}};
    for (int k = 0; k < 4; k++) {
        dsim_rng_key(r, keys[k][0], (uint32_t)keys[k][1], keys[k][2]);
        first[k] = gsl_rng_get(r);
    }
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_true(first[i] != first[j]);
    gsl_rng_free(r);
}

/* Uniforms drawn across many consecutive keys (one per visit, as the engine uses them) have mean 1/2 and
   variance 1/12; with n = 10^6 the mean's standard error is 2.9e-4, so 5 SE is 1.5e-3. The lag-1
   correlation between the first draws of neighbouring keys has SE 1/√n = 1e-3. */
static void test_rng__keyed_uniforms_are_uniform_and_uncorrelated(void **state)
{
    (void)state;
    gsl_rng *r = dsim_rng_alloc();
    const int n = 1000000;
    double sum = 0, sum2 = 0, prev = 0.5, cross = 0;
    for (int i = 0; i < n; i++) {
        dsim_rng_key(r, test_seed(9), DSIM_STREAM_ARRIVAL, (uint64_t)i);
        double u = gsl_rng_uniform(r);
        sum += u;
        sum2 += u * u;
        cross += (u - 0.5) * (prev - 0.5);
        prev = u;
    }
    double mean = sum / n, var = sum2 / n - mean * mean, corr = (cross / n) / (1.0 / 12);
    assert_true(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / n));
    assert_true(fabs(var - 1.0 / 12) < 0.001);
    assert_true(fabs(corr) < 5.0 / sqrt(n));
    gsl_rng_free(r);
}

static void test_text__numbers_parse_strictly(void **state)
{
    (void)state;
    double d;
    unsigned long long u;
    assert_true(dsim__parse_double(" 2.5 ", &d) && d == 2.5);
    assert_true(dsim__parse_double("1e3", &d) && d == 1000);
    assert_false(dsim__parse_double("1O", &d));
    assert_false(dsim__parse_double("", &d));
    assert_false(dsim__parse_double("nan", &d));
    assert_false(dsim__parse_double("inf", &d));
    assert_true(dsim__parse_u64("18446744073709551615", &u) && u == 18446744073709551615ull);
    assert_false(dsim__parse_u64("-1", &u));
    assert_false(dsim__parse_u64("3.5", &u));
    /* counts also in scientific notation, when whole */
    assert_true(dsim__parse_count("1e5", &u) && u == 100000);
    assert_true(dsim__parse_count("2.5e6", &u) && u == 2500000);
    assert_true(dsim__parse_count("1.5e3", &u) && u == 1500);
    assert_true(dsim__parse_count("42", &u) && u == 42);
    assert_false(dsim__parse_count("2.5e0", &u));
    assert_false(dsim__parse_count("1.5", &u));
    assert_false(dsim__parse_count("1e300", &u));
    assert_false(dsim__parse_count("-1e3", &u));
    assert_false(dsim__parse_count("1e5x", &u));
    assert_false(dsim__parse_u64("18446744073709551616", &u));
}

static void test_text__nearest_suggests_close_names_only(void **state)
{
    (void)state;
    const char *names[] = {"elasticity_mean", "elasticity_sd", "memory", "share"};
    assert_string_equal(dsim__nearest("elasticity_maen", names, 4), "elasticity_mean");
    assert_string_equal(dsim__nearest("SHARE", names, 4), "share");
    assert_null(dsim__nearest("completely_different", names, 4));
}

/* Known answer: x = 1, 2, 3, 4: mean 2.5, s = 1.2909944, t(0.975, 3) = 3.1824463, half-width 2.0542. */
static void test_estimate__student_t_interval_known_answer(void **state)
{
    (void)state;
    double x[] = {1, 2, 3, 4};
    dsim_estimate e = dsim_metrics_estimate_mean(x, 4);
    assert_true(fabs(e.mean - 2.5) < 1e-12);
    assert_true(fabs(e.half_width - 3.1824463052842638 * 1.2909944487358056 / 2.0) < 1e-9);
    dsim_estimate one = dsim_metrics_estimate_mean(x, 1);
    assert_true(one.mean == 1.0 && isnan(one.half_width));
}

static void test_error__strerror_names_every_code(void **state)
{
    (void)state;
    assert_string_equal(dsim_strerror(DSIM_ECONFIG), "invalid configuration");
    assert_string_equal(dsim_strerror(DSIM_OK), "success");
    assert_int_equal(dsim_error_set(DSIM_EIO, "file %s", "x"), DSIM_EIO);
    assert_string_equal(dsim_errmsg(), "file x");
}

/* dsim_error_prefix puts where it happened before the message, and a message too long loses its end, never
   the prefix. */
static void test_error__prefix_keeps_the_message(void **state)
{
    (void)state;
    assert_int_equal(dsim_error_set(DSIM_ECONFIG, "level = 12: no such level"), DSIM_ECONFIG);
    assert_int_equal(dsim_error_prefix(DSIM_ECONFIG, "%s:%d: [policy] ", "fixed.ini", 3), DSIM_ECONFIG);
    assert_string_equal(dsim_errmsg(), "fixed.ini:3: [policy] level = 12: no such level");
    char long_message[2000];
    memset(long_message, 'x', sizeof long_message - 1);
    long_message[sizeof long_message - 1] = '\0';
    dsim_error_set(DSIM_EIO, "%s", long_message);
    dsim_error_prefix(DSIM_EIO, "sweep: ");
    assert_int_equal(strncmp(dsim_errmsg(), "sweep: xxx", 10), 0);
    assert_int_equal(strlen(dsim_errmsg()), 1023);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng__same_key_gives_same_sequence),
        cmocka_unit_test(test_rng__different_keys_give_different_sequences),
        cmocka_unit_test(test_rng__keyed_uniforms_are_uniform_and_uncorrelated),
        cmocka_unit_test(test_text__numbers_parse_strictly),
        cmocka_unit_test(test_text__nearest_suggests_close_names_only),
        cmocka_unit_test(test_estimate__student_t_interval_known_answer),
        cmocka_unit_test(test_error__strerror_names_every_code),
        cmocka_unit_test(test_error__prefix_keeps_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
