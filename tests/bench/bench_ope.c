/*
 * bench_ope.c — offline evaluation's throughput on a synthetic log, one thread: reading a CSV log, fitting
 * the reward model and building a target's terms, and each estimator once the model is fitted; with the
 * peak memory. The log has dsim's 15 context columns and 6 actions.
 *
 *   build/tests/bench_ope [ROWS]          (default 10^7; writes ROWS rows to /tmp/dsim_bench_log.csv)
 *
 * The whole command on the same file: time build/dsim ope --log /tmp/dsim_bench_log.csv --bootstrap 0
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

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    const char *path = "/tmp/dsim_bench_log.csv";
    double t0 = now();
    write_log(path, rows);
    printf("wrote %zu rows to %s in %.1f s\n", rows, path, now() - t0);

    dsim_ope_log log;
    t0 = now();
    if (dsim_ope_log_read_csv(&log, path, false, NULL))
        die("reading");
    double read_s = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("read CSV:         %6.2f M rows/s (%.1f s); peak memory %.0f MB (%.0f bytes/row)\n", rows / read_s / 1e6,
           read_s, ru.ru_maxrss / 1024.0, ru.ru_maxrss * 1024.0 / (double)rows);

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
    for (int e = 0; e < DSIM_OPE_COUNT; e++) {
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
    dsim_ope_terms_free(&terms);
    dsim_ope_target_free(uniform);
    dsim_ope_model_free(model);
    dsim_ope_log_free(&log);
    return 0;
}
