/*
 * test_stream.c — offline evaluation in bounded memory: a CSV log streamed in chunks through a temporary
 * file gives exactly (==) the reward model, estimates, intervals and diagnostics of the same log held
 * whole; a pass over rows [from, to) delivers exactly those rows, numbered; and the bootstrap over a short
 * log is the row bootstrap, resample for resample, while over a long one its blocks' spread matches the
 * normal interval's (within a fifth, 400 resamples: a 2.5 % quantile of 100 resamples is itself ±10 %); and
 * dsim_ope_evaluate_log() is those passes.
 *
 * Pass rate on fresh seeds (DSIM_SEED_OFFSET = k · 10^6, k = 1…25): 25 of 25; with 100
 * resamples it was 47 of 50.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "dsim/ope.h"
#include "dsim/rng.h"
#include "helpers.h"

enum { ROWS = 10000, CHUNK = 1000 };

/* A log of 3 context columns and 4 actions, logged uniformly; rewards linear in the context plus noise. */
static void write_log(char *path)
{
    strcpy(path, "/tmp/dsim_stream_XXXXXX");
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("x0,x1,x2,action,propensity,reward\n", f);
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, test_seed(3), 0, 0);
    for (int i = 0; i < ROWS; i++) {
        double x[3] = {gsl_rng_uniform(rng), 10 + gsl_rng_uniform(rng), 1000 * gsl_rng_uniform(rng)};
        int a = (int)gsl_rng_uniform_int(rng, 4);
        double r = 1 + a * x[0] + 0.1 * x[1] + 0.001 * x[2] + gsl_rng_uniform(rng);
        fprintf(f, "%.6f,%.6f,%.6f,%d,0.25,%.6f\n", x[0], x[1], x[2], a, r);
    }
    gsl_rng_free(rng);
    fclose(f);
}

typedef struct {
    dsim_ope_reward_model *model;
    dsim_ope_target *target;
    dsim_ope_sums *sums;
    size_t rows, next_row;
    const dsim_ope_log *whole;
} pass;

static int add_to_model(const dsim_ope_log *chunk, void *data)
{
    return dsim_ope_model_add(((pass *)data)->model, chunk);
}

static int add_terms(const dsim_ope_log *chunk, void *data)
{
    pass *p = data;
    dsim_ope_terms t;
    int rc = dsim_ope_terms_build(&t, chunk, p->target, p->model);
    if (!rc)
        dsim_ope_sums_add(p->sums, &t, chunk->first_row);
    dsim_ope_terms_clear(&t);
    return rc;
}

static int check_rows(const dsim_ope_log *chunk, void *data)
{
    pass *p = data;
    assert_int_equal(chunk->first_row, p->next_row);
    for (size_t i = 0; i < chunk->n; i++) {
        size_t row = chunk->first_row + i;
        assert_true(chunk->reward[i] == p->whole->reward[row] && chunk->action[i] == p->whole->action[row]);
        assert_memory_equal(chunk->context + i * 3, p->whole->context + row * 3, 3 * sizeof(float));
    }
    p->next_row += chunk->n;
    p->rows += chunk->n;
    return DSIM_OK;
}

/* The log of write_log(), held whole and streamed in chunks of CHUNK rows. */
static dsim_ope_stream *open_log(dsim_ope_log *whole)
{
    char path[64];
    write_log(path);
    ASSERT_OK(dsim_ope_log_read_csv(whole, path, false, NULL));
    dsim_ope_stream *stream = NULL;
    ASSERT_OK(dsim_ope_stream_alloc(&stream, CHUNK));
    ASSERT_OK(dsim_ope_stream_read_csv(stream, path, false, NULL));
    unlink(path);
    return stream;
}

static void test_stream__a_streamed_log_gives_exactly_the_whole_logs_results(void **state)
{
    (void)state;
    dsim_ope_log whole;
    dsim_ope_stream *stream = open_log(&whole);
    const dsim_ope_log *head = dsim_ope_stream_header(stream);
    assert_int_equal(dsim_ope_log_rows(head), ROWS);
    assert_int_equal(head->n, 0); /* no rows held */
    assert_int_equal(head->n_actions, 4);

    /* Rows [1500, 3700): exactly those, numbered, in three chunks' pieces. */
    pass rows = {.whole = &whole, .next_row = 1500};
    ASSERT_OK(dsim_ope_stream_each(stream, 1500, 3700, check_rows, &rows));
    assert_int_equal(rows.rows, 2200);

    /* The whole log's evaluation, and the streamed one. */
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_reward_model *model = NULL;
    dsim_ope_target *uniform = NULL;
    dsim_ope_terms terms;
    ASSERT_OK(dsim_ope_model_fit(&model, &whole, 5, 1.0));
    ASSERT_OK(dsim_ope_target_uniform(&uniform));
    ASSERT_OK(dsim_ope_terms_build(&terms, &whole, uniform, model));
    pass p = {.target = uniform};
    ASSERT_OK(dsim_ope_model_begin(&p.model, head->n_context, 5, 1.0));
    ASSERT_OK(dsim_ope_stream_each(stream, 0, ROWS, add_to_model, &p));
    ASSERT_OK(dsim_ope_model_finish(p.model, head->n_actions));
    ASSERT_OK(dsim_ope_sums_alloc(&p.sums, &tuning, ROWS, test_seed(7)));
    ASSERT_OK(dsim_ope_stream_each(stream, 0, ROWS, add_terms, &p));
    for (int e = 0; e < dsim_ope_estimator_count(); e++) {
        dsim_ope_result a, b;
        ASSERT_OK(dsim_ope_evaluate((dsim_ope_estimator)e, &terms, &tuning, 400, test_seed(7), &a));
        ASSERT_OK(dsim_ope_sums_evaluate(p.sums, (dsim_ope_estimator)e, 400, test_seed(7), &b));
        printf("# %-9s whole %.12f [%.6f, %.6f]  streamed %.12f [%.6f, %.6f]\n",
               dsim_ope_estimator_name((dsim_ope_estimator)e), a.value, a.bootstrap_lo, a.bootstrap_hi, b.value,
               b.bootstrap_lo, b.bootstrap_hi);
        assert_true(a.value == b.value && a.normal_lo == b.normal_lo && a.normal_hi == b.normal_hi);
        assert_true(a.bootstrap_lo == b.bootstrap_lo && a.bootstrap_hi == b.bootstrap_hi);
        /* Past 4096 rows the bootstrap resamples random blocks: its spread still matches the normal one. */
        double ratio = (b.bootstrap_hi - b.bootstrap_lo) / (b.normal_hi - b.normal_lo);
        assert_true(ratio > 0.8 && ratio < 1.2);
    }
    /* The uniform target's value: 1 + 1.5 · 0.5 + 0.1 · 10.5 + 0.001 · 500 + 0.5 = 3.8 (DR's SE is ~0.005). */
    assert_true(fabs(dsim_ope_estimate(DSIM_OPE_DR, &terms, &tuning, NULL, ROWS) - 3.8) < 0.05);
    dsim_ope_diagnostics da, db;
    dsim_ope_diagnose(&terms, &da);
    dsim_ope_sums_diagnose(p.sums, &db);
    assert_true(da.ess == db.ess && da.max_weight == db.max_weight && da.mean_weight == db.mean_weight);
    dsim_ope_sums_free(p.sums);
    dsim_ope_model_free(p.model);
    dsim_ope_terms_clear(&terms);
    dsim_ope_model_free(model);
    dsim_ope_target_free(uniform);
    dsim_ope_stream_free(stream);
    dsim_ope_log_clear(&whole);
}

/* dsim_ope_evaluate_log's passes are the ones above: each target's sums give exactly (==) the whole log's
   estimates; the second target is paired with the first; a plan that leaves nothing to judge is refused; a stop
   flag ends it interrupted. */
static void test_stream__evaluating_a_log_is_the_passes_over_it(void **state)
{
    (void)state;
    dsim_ope_log whole;
    dsim_ope_stream *stream = open_log(&whole);
    dsim_ope_target *targets[2];
    ASSERT_OK(dsim_ope_target_uniform(&targets[0]));
    ASSERT_OK(dsim_ope_target_deterministic(&targets[1], 2));
    dsim_ope_sums *sums[2];
    ASSERT_OK(dsim_ope_evaluate_log(stream, targets, 2, &(dsim_ope_plan){0, 5, test_seed(7), NULL}, sums));
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_reward_model *model = NULL;
    ASSERT_OK(dsim_ope_model_fit(&model, &whole, 5, 1.0));
    for (int t = 0; t < 2; t++) {
        dsim_ope_terms terms;
        ASSERT_OK(dsim_ope_terms_build(&terms, &whole, targets[t], model));
        for (int e = 0; e < dsim_ope_estimator_count(); e++) {
            dsim_ope_result a, b;
            ASSERT_OK(dsim_ope_evaluate((dsim_ope_estimator)e, &terms, &tuning, 0, test_seed(7), &a));
            ASSERT_OK(dsim_ope_sums_evaluate(sums[t], (dsim_ope_estimator)e, 0, test_seed(7), &b));
            assert_true(a.value == b.value && a.normal_lo == b.normal_lo && a.normal_hi == b.normal_hi);
        }
        dsim_ope_terms_clear(&terms);
    }
    dsim_ope_result d, u, k;
    ASSERT_OK(dsim_ope_sums_difference(sums[1], sums[0], DSIM_OPE_IPS, 0, test_seed(7), &d));
    ASSERT_OK(dsim_ope_sums_evaluate(sums[0], DSIM_OPE_IPS, 0, test_seed(7), &u));
    ASSERT_OK(dsim_ope_sums_evaluate(sums[1], DSIM_OPE_IPS, 0, test_seed(7), &k));
    assert_true(fabs(d.value - (k.value - u.value)) <= 1e-12); /* a sum of differences, a difference of sums */
    dsim_ope_sums_free(sums[0]);
    dsim_ope_sums_free(sums[1]);
    assert_int_equal(dsim_ope_evaluate_log(stream, targets, 2, &(dsim_ope_plan){ROWS, 5, 1, NULL}, sums), DSIM_EINVAL);
    /* Ctrl-C: the flag set, the evaluation ends interrupted at its next chunk and leaves no sums */
    volatile sig_atomic_t stop = 1;
    assert_int_equal(dsim_ope_evaluate_log(stream, targets, 2, &(dsim_ope_plan){0, 5, 1, &stop}, sums),
                     DSIM_EINTERRUPTED);
    assert_null(sums[0]);
    assert_null(sums[1]);
    dsim_ope_model_free(model);
    dsim_ope_target_free(targets[0]);
    dsim_ope_target_free(targets[1]);
    dsim_ope_stream_free(stream);
    dsim_ope_log_clear(&whole);
}

/* A CSV log opened by its name is the stream of it; targets by name: uniform (no truth outside a run),
   action=K within the log's actions, and a dsim policy refused on a log without dsim's context. */
static void test_stream__a_log_and_its_targets_by_name(void **state)
{
    (void)state;
    char path[64];
    write_log(path);
    dsim_ope_source src;
    ASSERT_OK(dsim_ope_source_open(&src, path, false));
    unlink(path);
    assert_int_equal(src.n, ROWS);
    assert_false(src.from_run);
    assert_null(src.sc);
    dsim_ope_target *t = NULL;
    dsim_policy_config *config = NULL;
    ASSERT_OK(dsim_ope_target_named(&t, &config, "uniform", &src));
    assert_null(config);
    dsim_ope_target_free(t);
    ASSERT_OK(dsim_ope_target_named(&t, &config, "action=3", &src));
    dsim_ope_target_free(t);
    assert_int_equal(dsim_ope_target_named(&t, &config, "action=4", &src), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "the log has actions 0 … 3"));
    assert_int_equal(dsim_ope_target_named(&t, &config, DSIM_SOURCE_DIR "/policies/thompson.ini", &src), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "needs a log with dsim's context"));
    assert_null(config); /* nothing is left to the caller on that refusal */
    assert_int_equal(dsim_ope_target_named(&t, &config, "thompsen", &src), DSIM_ENOTFOUND);
    assert_non_null(strstr(dsim_errmsg(), "did you mean 'thompson'?")); /* the name is told first */
    dsim_ope_source_clear(&src);
    assert_int_equal(dsim_ope_source_open(&src, "/nonexistent.db:1", false), DSIM_ENOTFOUND);
    dsim_ope_source_clear(&src);
}

/* Up to 4096 rows (4096 included) the bootstrap is the row bootstrap: the same resamples as drawing row
   numbers. */
static void test_stream__a_short_logs_bootstrap_resamples_rows(void **state)
{
    (void)state;
    enum { N = DSIM_OPE_BLOCKS, B = 300 };
    static double w[N], r[N], q[N], qpi[N];
    for (int i = 0; i < N; i++) {
        w[i] = 0.5 + (i % 7) * 0.2;
        r[i] = (i * 7919) % 11 < 3 ? 2.0 : 0.0;
        q[i] = 0.4 + 0.01 * (i % 13);
        qpi[i] = 0.5;
    }
    dsim_ope_terms t = {.n = N, .w = w, .r = r, .q_taken = q, .q_pi = qpi};
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    static size_t index[N];
    double by_rows[B];
    gsl_rng *rng = dsim_rng_alloc();
    for (int e = DSIM_OPE_SNIPS; e <= DSIM_OPE_SNDR; e++) {
        for (int b = 0; b < B; b++) {
            dsim_rng_key(rng, 5, DSIM_STREAM_BOOTSTRAP, (uint64_t)b);
            for (int k = 0; k < N; k++)
                index[k] = (size_t)gsl_rng_uniform_int(rng, N);
            by_rows[b] = dsim_ope_estimate((dsim_ope_estimator)e, &t, &tuning, index, N);
        }
        gsl_sort(by_rows, 1, B);
        dsim_ope_result res;
        ASSERT_OK(dsim_ope_evaluate((dsim_ope_estimator)e, &t, &tuning, B, 5, &res));
        double lo = gsl_stats_quantile_from_sorted_data(by_rows, 1, B, 0.025);
        double hi = gsl_stats_quantile_from_sorted_data(by_rows, 1, B, 0.975);
        printf("# %-5s rows [%.12f, %.12f]  sums [%.12f, %.12f]\n", dsim_ope_estimator_name((dsim_ope_estimator)e),
               lo, hi, res.bootstrap_lo, res.bootstrap_hi);
        assert_true(fabs(lo - res.bootstrap_lo) < 1e-12 && fabs(hi - res.bootstrap_hi) < 1e-12);
    }
    gsl_rng_free(rng);
}

/* Terms far from 0 relative to their spread: the standard error does not cancel away. */
static void test_stream__the_standard_error_survives_a_large_mean(void **state)
{
    (void)state;
    enum { N = 200000 };
    static double w[N], r[N], q[N], qpi[N];
    for (int i = 0; i < N; i++) {
        w[i] = 1.0;
        qpi[i] = 1e4 + (i % 2 ? 1e-4 : -1e-4); /* sd exactly 1e-4 (population) */
    }
    dsim_ope_terms t = {.n = N, .w = w, .r = r, .q_taken = q, .q_pi = qpi};
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    dsim_ope_result res;
    ASSERT_OK(dsim_ope_evaluate(DSIM_OPE_DM, &t, &tuning, 0, 1, &res));
    double half = 1.959963984540054 * 1e-4 * sqrt((double)N / (N - 1)) / sqrt((double)N);
    printf("# half-width %.6e, exact %.6e\n", (res.normal_hi - res.normal_lo) / 2, half);
    assert_true(fabs((res.normal_hi - res.normal_lo) / 2 - half) < 1e-3 * half);
}

/* A stream holds one log. */
static void test_stream__a_stream_is_read_once(void **state)
{
    (void)state;
    char path[64];
    write_log(path);
    dsim_ope_stream *stream = NULL;
    ASSERT_OK(dsim_ope_stream_alloc(&stream, CHUNK));
    ASSERT_OK(dsim_ope_stream_read_csv(stream, path, false, NULL));
    assert_int_equal(dsim_ope_stream_read_csv(stream, path, false, NULL), DSIM_EINVAL);
    assert_int_equal(dsim_ope_log_rows(dsim_ope_stream_header(stream)), ROWS);
    unlink(path);
    dsim_ope_stream_free(stream);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream__a_streamed_log_gives_exactly_the_whole_logs_results),
        cmocka_unit_test(test_stream__a_short_logs_bootstrap_resamples_rows),
        cmocka_unit_test(test_stream__the_standard_error_survives_a_large_mean),
        cmocka_unit_test(test_stream__a_stream_is_read_once),
        cmocka_unit_test(test_stream__evaluating_a_log_is_the_passes_over_it),
        cmocka_unit_test(test_stream__a_log_and_its_targets_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
