/*
 * bench_ope.c — offline evaluation's throughput on a synthetic log, one thread: reading a CSV log as
 * `dsim ope` does (streamed, spilled to a temporary file) with its peak memory, a pass over the spilled log,
 * then, on the log held in memory, fitting the reward model, building a target's terms, and each estimator
 * once the model is fitted. The log has dsim's 15 context columns and 6 actions.
 *
 *   build/tests/bench_ope [ROWS]          (default 10^7; writes ROWS rows to /tmp/dsim_bench_log.csv)
 *
 * The whole command on the same file: /usr/bin/time -v build/dsim ope --log /tmp/dsim_bench_log.csv
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "dsim/error.h"
#include "dsim/ope.h"
#include "dsim/rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_ope: %s: %s\n", what, dsim_errmsg());
    exit(1);
}

static void write_log(const char *path, size_t rows)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench_ope: cannot write %s\n", path);
        exit(1);
    }
    for (int j = 0; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
        fprintf(f, "%s,", dsim_log_context_names[j]);
    fprintf(f, "action,propensity,reward\n");
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, 1, 0, 0);
    for (size_t i = 0; i < rows; i++) {
        double x0 = gsl_rng_uniform(rng);
        for (int j = 0; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
            fprintf(f, "%.4f,", j == 0 ? x0 : gsl_rng_uniform(rng));
        int a = (int)gsl_rng_uniform_int(rng, 6);
        fprintf(f, "%d,0.16666666666666666,%.3f\n", a, gsl_rng_uniform(rng) < 0.1 + 0.05 * a + 0.2 * x0 ? 40.0 : 0.0);
    }
    gsl_rng_free(rng);
    fclose(f);
}

static int count_rows(const dsim_ope_log *chunk, void *data)
{
    *(size_t *)data += chunk->n;
    return DSIM_OK;
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    const char *path = "/tmp/dsim_bench_log.csv";
    double t0 = now();
    write_log(path, rows);
    printf("wrote %zu rows to %s in %.1f s\n", rows, path, now() - t0);

    /* First as dsim ope reads it: the peak memory (a process-wide maximum) is measured before anything
       holds the whole log. */
    dsim_ope_stream *stream = NULL;
    t0 = now();
    if (dsim_ope_stream_alloc(&stream, 65536) || dsim_ope_stream_read_csv(stream, path, false, NULL))
        die("reading");
    double read_s = now() - t0;
    size_t seen = 0;
    t0 = now();
    if (dsim_ope_stream_each(stream, 0, rows, count_rows, &seen) || seen != rows)
        die("passing over the log");
    double pass_s = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("read CSV (streamed): %6.2f M rows/s (%.1f s); a pass over the spilled log %6.1f M rows/s; peak memory "
           "%.0f MB\n",
           rows / read_s / 1e6, read_s, rows / pass_s / 1e6, ru.ru_maxrss / 1024.0);
    dsim_ope_stream_free(stream);

    dsim_ope_log log;
    if (dsim_ope_log_read_csv(&log, path, false, NULL))
        die("reading");

    dsim_ope_reward_model *model = NULL;
    dsim_ope_target *uniform = NULL;
    dsim_ope_terms terms;
    t0 = now();
    if (dsim_ope_model_fit(&model, &log, 5, 1.0))
        die("fitting");
    double fit_s = now() - t0;
    t0 = now();
    if (dsim_ope_target_uniform(&uniform) || dsim_ope_terms_build(&terms, &log, uniform, model))
        die("terms");
    double terms_s = now() - t0;
    printf("reward model fit: %6.2f M rows/s; terms of a target (π and q̂ for every action): %6.2f M rows/s\n",
           rows / fit_s / 1e6, rows / terms_s / 1e6);

    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    for (int e = 0; e < dsim_ope_estimator_count(); e++) {
        double best = 1e30, sink = 0;
        for (int rep = 0; rep < 3; rep++) {
            t0 = now();
            sink += dsim_ope_estimate((dsim_ope_estimator)e, &terms, &tuning, NULL, terms.n);
            double s = now() - t0;
            best = s < best ? s : best;
        }
        printf("%-9s         %6.1f M rows/s (estimate %.4f)\n", dsim_ope_estimator_name((dsim_ope_estimator)e),
               rows / best / 1e6, sink / 3);
    }
    /* What dsim ope does with a chunk's terms: every estimator's running sums and bootstrap blocks at once. */
    dsim_ope_sums *sums = NULL;
    t0 = now();
    if (dsim_ope_sums_alloc(&sums, &tuning, terms.n, 1))
        die("sums");
    dsim_ope_sums_add(sums, &terms, 0);
    double sums_s = now() - t0;
    dsim_ope_result r;
    t0 = now();
    if (dsim_ope_sums_evaluate(sums, DSIM_OPE_DR, 200, 1, &r))
        die("bootstrap");
    printf("running sums of all 8 estimators: %6.1f M rows/s; DR with 200 bootstrap resamples of 4096 blocks: "
           "%.3f s (estimate %.4f)\n",
           rows / sums_s / 1e6, now() - t0, r.value);
    dsim_ope_sums_free(sums);
    dsim_ope_terms_clear(&terms);
    dsim_ope_target_free(uniform);
    dsim_ope_model_free(model);
    dsim_ope_log_clear(&log);
    return 0;
}
