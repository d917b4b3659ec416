/*
 * test_charts.c — the charts' numbers and words (src/report): the Δ chart's mean and 95 % band are the paired
 * estimate computed from the stored checkpoints and equal, at the last checkpoint, `dsim run`'s Δ from the stored
 * summaries; the SVG holds the title, axis labels, legend entries and one line of every checkpoint per policy;
 * the levels chart's bars add up to 100 %; the bandit CSV reader names the row and column at fault; an unknown
 * run, a figure to an unknown kind of file or an unwritable place leave nothing behind.
 */
#include <math.h>
#include <regex.h>
#include <string.h>
#include <unistd.h>

#include "dsim/chart.h"
#include "dsim/metrics.h"
#include "dsim/policy.h"
#include "dsim/store.h"
#include "dsim/study.h"
#include "helpers.h"

/* cmocka 1.1 has no assert_double_equal: |a − b| ≤ tolerance, both shown when it fails. */
#define assert_near(a, b, tolerance)                                                                          \
    do {                                                                                                       \
        double a_ = (a), b_ = (b);                                                                             \
        if (!(fabs(a_ - b_) <= (tolerance)))                                                                   \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                                                \
    } while (0)

enum { N_POLICIES = 3, N_SEEDS = 4, VISITS = 3000 };

typedef struct {
    char db[96], dir[64];
    dsim_store *st;
    int64_t ids[N_POLICIES * N_SEEDS]; /* policy-major */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/dsim_chart_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    ASSERT_OK(dsim_store_open(&f->st, f->db));
    static const char *const names[N_POLICIES] = {"fixed10", "none", "thompson"};
    dsim_scenario *sc = NULL;
    dsim_policy_config *configs[N_POLICIES] = {0};
    ASSERT_OK(dsim_study_load(DSIM_TEST_DATA "/small.ini", names, N_POLICIES, &sc, configs));
    dsim_study_result res = {0};
    for (int p = 0; p < N_POLICIES; p++)
        for (int s = 0; s < N_SEEDS; s++) {
            dsim_study_run run = DSIM_STUDY_RUN_INIT;
            run.scenario = sc;
            run.policy = configs[p];
            run.seed = 11 + (uint64_t)s;
            run.sim.visits = VISITS;
            ASSERT_OK(dsim_study_run_one(f->st, &run, &res, &f->ids[p * N_SEEDS + s]));
        }
    dsim_study_result_clear(&res);
    for (int p = 0; p < N_POLICIES; p++)
        dsim_policy_config_free(configs[p]);
    dsim_scenario_free(sc);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dsim_store_close(f->st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static int metric(const char *name)
{
    return (int)(dsim_metrics_find(name) - dsim_metrics_defs);
}

typedef struct {
    size_t n;
    double reward[512];
} rewards;

static int keep_reward(uint64_t visit, const double *values, void *data)
{
    (void)visit;
    rewards *r = data;
    if (r->n < 512)
        r->reward[r->n++] = values[metric("reward")];
    return DSIM_OK;
}

/* The band is the paired estimate at every checkpoint, and at the last one it is `dsim run`'s Δ column: the
   same t interval of the per-seed differences of the stored summaries' objective. */
static void test_chart__delta_band_is_the_paired_estimate(void **state)
{
    fixture *f = *state;
    dsim_figure fig;
    ASSERT_OK(dsim_chart_from_runs(f->st, f->ids, N_POLICIES * N_SEEDS, DSIM_PLOT_DELTA, &fig));
    assert_int_equal(fig.n_panels, 1);
    const dsim_chart *c = &fig.panel[0];
    assert_int_equal(c->n_series, N_POLICIES);
    assert_string_equal(c->series[0].name, "fixed10");
    assert_string_equal(c->series[2].name, "thompson");
    rewards r[N_POLICIES][N_SEEDS];
    for (int p = 0; p < N_POLICIES; p++)
        for (int s = 0; s < N_SEEDS; s++) {
            r[p][s].n = 0;
            ASSERT_OK(dsim_store_series_each(f->st, f->ids[p * N_SEEDS + s], keep_reward, &r[p][s]));
        }
    for (int p = 0; p < N_POLICIES; p++) {
        const dsim_chart_series *ser = &c->series[p];
        assert_int_equal(ser->n, r[p][0].n);
        assert_int_equal(ser->color, p);
        for (size_t i = 0; i < ser->n; i++) {
            double d[N_SEEDS];
            for (int s = 0; s < N_SEEDS; s++)
                d[s] = r[p][s].reward[i] - r[0][s].reward[i];
            dsim_estimate e = dsim_metrics_estimate_mean(d, N_SEEDS);
            assert_near(ser->y[i], e.mean, 1e-9 * (1 + fabs(e.mean)));
            if (p == 0) { /* the baseline against itself: 0 and no width */
                assert_true(ser->y[i] == 0 && ser->lo[i] == 0 && ser->hi[i] == 0);
                continue;
            }
            assert_near(ser->lo[i], e.mean - e.half_width, 1e-9 * (1 + fabs(e.mean)));
            assert_near(ser->hi[i], e.mean + e.half_width, 1e-9 * (1 + fabs(e.mean)));
        }
        /* The last checkpoint is the run's end: the summary's objective, as dsim run and dsim show give it. */
        assert_near(ser->x[ser->n - 1], VISITS, 0);
        double d[N_SEEDS];
        for (int s = 0; s < N_SEEDS; s++) {
            dsim_run_row a, b;
            ASSERT_OK(dsim_store_run_get(f->st, f->ids[p * N_SEEDS + s], &a));
            ASSERT_OK(dsim_store_run_get(f->st, f->ids[s], &b));
            d[s] = a.summary[metric("reward")] - b.summary[metric("reward")];
            dsim_store_row_clear(&a);
            dsim_store_row_clear(&b);
        }
        dsim_estimate e = dsim_metrics_estimate_mean(d, N_SEEDS);
        assert_near(ser->y[ser->n - 1], e.mean, 1e-9 * (1 + fabs(e.mean)));
        if (p > 0)
            assert_near(ser->hi[ser->n - 1] - ser->y[ser->n - 1], e.half_width, 1e-9 * (1 + e.half_width));
    }
    dsim_figure_clear(&fig);
}

/* The SVG's text elements spell their letters as &#xNN; references: read them back as text. */
static char *svg_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *raw = malloc((size_t)n + 1), *out = malloc((size_t)n + 1);
    assert_int_equal(fread(raw, 1, (size_t)n, fp), (size_t)n);
    raw[n] = '\0';
    fclose(fp);
    size_t k = 0;
    for (const char *p = raw; *p;) {
        unsigned code;
        int used;
        if (sscanf(p, "&#x%x;%n", &code, &used) == 1 && used > 0) {
            if (code < 0x80) {
                out[k++] = (char)code;
            } else if (code < 0x800) {
                out[k++] = (char)(0xC0 | code >> 6);
                out[k++] = (char)(0x80 | (code & 63));
            } else {
                out[k++] = (char)(0xE0 | code >> 12);
                out[k++] = (char)(0x80 | ((code >> 6) & 63));
                out[k++] = (char)(0x80 | (code & 63));
            }
            p += used;
        } else {
            out[k++] = *p++;
        }
    }
    out[k] = '\0';
    free(raw);
    return out;
}

/* The points of the thick polyline drawn in colour `rgb` (a series' line), or -1. */
static int line_points(const char *svg, unsigned rgb)
{
    char pattern[160];
    snprintf(pattern, sizeof pattern, "stroke-width=\"2.5[0-9e+.-]*\"[^>]*stroke=\"#%06X\"[^>]*points=\"([^\"]*)\"", rgb);
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED), 0);
    regmatch_t m[2];
    int points = -1;
    if (regexec(&re, svg, 2, m, 0) == 0) {
        points = 0;
        for (regoff_t i = m[1].rm_so; i < m[1].rm_eo; i++)
            points += svg[i] == ',';
    }
    regfree(&re);
    return points;
}

static void test_chart__svg_names_everything_and_draws_every_point(void **state)
{
    fixture *f = *state;
    dsim_figure fig;
    ASSERT_OK(dsim_chart_from_runs(f->st, f->ids, N_POLICIES * N_SEEDS, DSIM_PLOT_DELTA, &fig));
    char path[96];
    snprintf(path, sizeof path, "%s/delta.svg", f->dir);
    ASSERT_OK(dsim_chart_write(&(dsim_chart_page){&fig, NULL}, 1, path, 0, 0));
    char *svg = svg_text(path);
    assert_non_null(strstr(svg, "Cumulative profit minus fixed10's"));
    assert_non_null(strstr(svg, "Δ cumulative profit (currency)"));
    assert_non_null(strstr(svg, ">visits<"));
    assert_non_null(strstr(svg, "mean of 4 seeds; band: 95 % interval of the paired difference"));
    for (int p = 0; p < N_POLICIES; p++) {
        char entry[DSIM_CHART_LABEL_MAX + 4];
        snprintf(entry, sizeof entry, ">%s<", fig.panel[0].series[p].name);
        assert_non_null(strstr(svg, entry));
        assert_int_equal(line_points(svg, dsim_chart_palette(p)), (int)fig.panel[0].series[p].n);
    }
    assert_int_equal(line_points(svg, dsim_chart_palette(N_POLICIES)), -1); /* no fourth series */
    free(svg);
    dsim_figure_clear(&fig);
}

static void test_chart__levels_add_up_and_segments_have_panels(void **state)
{
    fixture *f = *state;
    dsim_figure fig;
    ASSERT_OK(dsim_chart_from_runs(f->st, f->ids, N_POLICIES * N_SEEDS, DSIM_PLOT_LEVELS, &fig));
    const dsim_chart *c = &fig.panel[0];
    assert_int_equal(c->n_categories, N_POLICIES);
    for (int p = 0; p < N_POLICIES; p++) {
        double sum = 0;
        for (int s = 0; s < c->n_series; s++)
            sum += c->series[s].y[p];
        assert_near(sum, 100, 1e-9);
    }
    /* fixed10 gives 10 % every time, none 0 % */
    for (int s = 0; s < c->n_series; s++) {
        double want0 = !strcmp(c->series[s].name, "10 %") ? 100 : 0, want1 = !strcmp(c->series[s].name, "0 %") ? 100 : 0;
        assert_near(c->series[s].y[0], want0, 1e-9);
        assert_near(c->series[s].y[1], want1, 1e-9);
    }
    dsim_figure_clear(&fig);
    ASSERT_OK(dsim_chart_from_runs(f->st, f->ids, N_POLICIES * N_SEEDS, DSIM_PLOT_SEGMENTS, &fig));
    dsim_run_segments segs;
    ASSERT_OK(dsim_store_run_segments(f->st, f->ids[0], &segs));
    assert_int_equal(fig.n_panels, segs.n + 1); /* one per segment, then profit per segment */
    const dsim_chart *profit = &fig.panel[fig.n_panels - 1];
    assert_int_equal(profit->n_categories, segs.n);
    assert_int_equal(profit->n_series, N_POLICIES);
    double sum = 0;
    for (int s = 0; s < N_SEEDS; s++) {
        ASSERT_OK(dsim_store_run_segments(f->st, f->ids[s], &segs));
        sum += segs.summary[0][metric("profit")];
    }
    assert_near(profit->series[0].y[0], sum / N_SEEDS, 1e-9 * (1 + fabs(sum)));
    dsim_figure_clear(&fig);
}

static void test_chart__bad_input_leaves_nothing(void **state)
{
    fixture *f = *state;
    dsim_figure fig;
    int64_t missing[] = {f->ids[0], 999};
    assert_int_equal(dsim_chart_from_runs(f->st, missing, 2, DSIM_PLOT_DELTA, &fig), DSIM_ENOTFOUND);
    assert_non_null(strstr(dsim_errmsg(), "run 999 is not in the database"));
    int64_t twice[] = {f->ids[0], f->ids[0]};
    assert_int_equal(dsim_chart_from_runs(f->st, twice, 2, DSIM_PLOT_DELTA, &fig), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "both fixed10 on seed 11"));
    int64_t unpaired[] = {f->ids[0], f->ids[N_SEEDS + 1]}; /* fixed10 on seed 11, none on seed 12 */
    assert_int_equal(dsim_chart_from_runs(f->st, unpaired, 2, DSIM_PLOT_DELTA, &fig), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "none ran on no seed fixed10 ran on"));
    ASSERT_OK(dsim_chart_from_runs(f->st, f->ids, 2, DSIM_PLOT_CUMULATIVE, &fig));
    char path[96];
    snprintf(path, sizeof path, "%s/chart.gif", f->dir);
    assert_int_equal(dsim_chart_write(&(dsim_chart_page){&fig, NULL}, 1, path, 0, 0), DSIM_EINVAL);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/no/such/dir/chart.png", f->dir);
    assert_int_equal(dsim_chart_write(&(dsim_chart_page){&fig, NULL}, 1, path, 0, 0), DSIM_EIO);
    snprintf(path, sizeof path, "%s/two.png", f->dir);
    dsim_chart_page two[] = {{&fig, NULL}, {&fig, NULL}};
    assert_int_equal(dsim_chart_write(two, 2, path, 0, 0), DSIM_EINVAL); /* a PNG holds one page */
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/two.pdf", f->dir);
    ASSERT_OK(dsim_chart_write(two, 2, path, 0, 0));
    char cmd[200];
    snprintf(cmd, sizeof cmd, "test \"$(grep -ac '/Type /Page\\b' '%s')\" -ge 2", path);
    assert_int_equal(system(cmd), 0);
    dsim_figure_clear(&fig);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_chart__bandit_csv(void **state)
{
    fixture *f = *state;
    char path[96];
    snprintf(path, sizeof path, "%s/b.csv", f->dir);
    write_file(path, "policy,seed,round,regret\nucb1,1,10,2\nucb1,2,10,4\nucb1,1,100,5\nucb1,2,100,7\n"
                     "thompson,1,10,1\nthompson,2,10,1\nthompson,1,100,2\nthompson,2,100,2\n");
    dsim_figure fig;
    ASSERT_OK(dsim_chart_from_bandit_csv(path, 2.0, &fig));
    const dsim_chart *c = &fig.panel[0];
    assert_true(c->log_x);
    assert_int_equal(c->n_series, 3);
    assert_string_equal(c->series[0].name, "ucb1");
    assert_near(c->series[0].y[0], 3, 1e-12);
    assert_near(c->series[0].y[1], 6, 1e-12);
    /* two seeds: mean ± t_{0.975,1} · s/√2 = 3 ± 12.706 · 1 */
    assert_near(c->series[0].hi[0] - c->series[0].y[0], 12.7062047361747, 1e-9);
    assert_near(c->series[1].hi[0], 1, 1e-12); /* no spread, no width */
    assert_true(c->series[2].dashed);
    assert_near(c->series[2].y[1], 2 * log(100), 1e-12);
    dsim_figure_clear(&fig);
    write_file(path, "policy,seed,round,regret\nucb1,1,10,2\nucb1,x,20,3\n");
    assert_int_equal(dsim_chart_from_bandit_csv(path, 0, &fig), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "b.csv: row 3, column 2 (seed): expected a seed"));
    write_file(path, "policy,seed,round,regret\nucb1,1,10,2\nucb1,1,10,2\n"); /* a file appended to itself */
    assert_int_equal(dsim_chart_from_bandit_csv(path, 0, &fig), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "rows 2 and 3 are both ucb1, seed 1, round 10"));
    write_file(path, "arm,seed,round,regret\n");
    assert_int_equal(dsim_chart_from_bandit_csv(path, 0, &fig), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "row 1, column 1: expected the header 'policy'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chart__delta_band_is_the_paired_estimate),
        cmocka_unit_test(test_chart__svg_names_everything_and_draws_every_point),
        cmocka_unit_test(test_chart__levels_add_up_and_segments_have_panels),
        cmocka_unit_test(test_chart__bad_input_leaves_nothing),
        cmocka_unit_test(test_chart__bandit_csv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
