/*
 * test_sweep_run.c — a sweep's runs: the task numbering is a bijection onto cell × policy × seed; a computed
 * run is exactly the run dsim_sim makes of (cell scenario, policy, seed); stored, it is done for the sweep
 * (a failed one is not); the stop flag ends a run; and merging two shard databases into a real SQLite file
 * gives every run once, adds nothing when repeated, and refuses shards of another sweep without writing; the
 * writer stores exactly a shard's pending runs; the summary is the stored runs counted and averaged.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/sim.h"
#include "dsim/store.h"
#include "dsim/sweep.h"
#include "sweep/pool.h"
#include "helpers.h"

static const char base[] = "[scenario]\nshoppers = 200\nvisits = 3000\ncheckpoints = 6\n[catalog]\nitems = 40\n"
                           "[segment.a]\nshare = 0.5\nelasticity_mean = 3\n[segment.b]\nshare = 0.5\n";

typedef struct {
    dsim_sweep sw;
    dsim_policy_config *policies[2];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char path[] = "/tmp/dsim_sweep_run_XXXXXX";
    int fd = mkstemp(path);
    FILE *file = fdopen(fd, "w");
    fputs("[sweep]\nscenario = base\npolicies = none, fixed10\nseeds = 3\nvisits = 0\n"
          "[axes]\nsegment.a.elasticity_mean = 2, 4\n",
          file);
    fclose(file);
    ASSERT_OK(dsim_sweep_load(&f->sw, path));
    unlink(path);
    ASSERT_OK(dsim_policy_config_parse(&f->policies[0], "[policy]\ntype = none\n", "none.ini"));
    ASSERT_OK(dsim_policy_config_parse(&f->policies[1], "[policy]\ntype = fixed\nlevel = 10\n", "fixed10.ini"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dsim_policy_config_free(f->policies[0]);
    dsim_policy_config_free(f->policies[1]);
    free(f);
    return 0;
}

static void test_sweep_run__tasks_number_every_run_once(void **state)
{
    fixture *f = *state;
    assert_int_equal(dsim_sweep_n_tasks(&f->sw), 2 * 2 * 3);
    int seen[2][2][3] = {{{0}}};
    for (size_t t = 0; t < dsim_sweep_n_tasks(&f->sw); t++) {
        dsim_sweep_task k = dsim_sweep_task_of(&f->sw, t);
        assert_true(k.cell < 2 && k.policy < 2 && k.seed_index < 3);
        seen[k.cell][k.policy][k.seed_index]++;
        assert_int_equal((k.cell * 2 + (size_t)k.policy) * 3 + (size_t)k.seed_index, t);
    }
    for (int i = 0; i < 12; i++)
        assert_int_equal((&seen[0][0][0])[i], 1);
    char cell[128];
    dsim_sweep_describe_cell(&f->sw, 1, cell, sizeof cell);
    assert_string_equal(cell, "segment.a.elasticity_mean=4");
}

static void test_sweep_run__a_computed_run_is_the_run_itself(void **state)
{
    fixture *f = *state;
    dsim_sweep_runner r = DSIM_SWEEP_RUNNER_INIT(&f->sw, base, f->policies);
    dsim_study_result res = {0};
    size_t task = 10; /* cell 1, fixed10, seed index 1 */
    ASSERT_OK(dsim_sweep_run_task(&r, task, &res));
    assert_int_equal(res.head.status, DSIM_OK);
    assert_int_equal(res.head.task, task);
    assert_int_equal(res.head.horizon, 3000);
    assert_int_equal(res.head.n_points, 6);
    assert_int_equal(res.points[5].visit, 3000);
    assert_memory_equal(&res.points[5].metrics, &res.head.final, sizeof res.head.final);

    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_sweep_cell_scenario(&f->sw, base, 1, &sc));
    assert_true(sc->segments[0].elasticity_mean == 4);
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, f->policies[1], sc->seed + 1, &options));
    dsim_metrics m;
    for (int i = 0; i < 6; i++) {
        ASSERT_OK(dsim_sim_advance(sim, 500));
        dsim_sim_metrics(sim, &m);
        assert_memory_equal(&m, &res.points[i].metrics, sizeof m);
    }
    assert_true(m.visits > 0 && m.reward != 0);
    dsim_sim_free(sim);
    dsim_scenario_free(sc);

    /* The stop flag ends a run without a result. */
    volatile sig_atomic_t stop = 1;
    r.stop = &stop;
    assert_int_equal(dsim_sweep_run_task(&r, 0, &res), DSIM_EINTERRUPTED);
    assert_int_equal(dsim_sweep_runner_task(&r, 12, &(const dsim_scenario *){NULL}, &(uint64_t){0}), DSIM_EINVAL);
    dsim_study_result_clear(&res);
    dsim_sweep_runner_clear(&r);
}

/* Run and store the tasks t ≡ shard (mod n_shards) of the sweep into `path`; the sweep's id out. */
static int64_t run_shard(fixture *f, const char *path, const char *definition, size_t shard, size_t n_shards)
{
    dsim_store *st = NULL;
    int64_t id = 0;
    ASSERT_OK(dsim_store_open(&st, path));
    ASSERT_OK(dsim_store_sweep_open(st, "test.ini", definition, &id));
    dsim_sweep_runner r = DSIM_SWEEP_RUNNER_INIT(&f->sw, base, f->policies);
    dsim_study_result res = {0};
    for (size_t t = shard; t < dsim_sweep_n_tasks(&f->sw); t += n_shards) {
        ASSERT_OK(dsim_sweep_run_task(&r, t, &res));
        ASSERT_OK(dsim_sweep_store_result(&r, st, id, &res));
    }
    dsim_study_result_clear(&res);
    dsim_sweep_runner_clear(&r);
    dsim_store_close(st);
    return id;
}

/* A new database at `path` (a mkstemp template, filled in) with the sweep `definition` open in it. */
static int64_t open_sweep_db(char *path, const char *definition, dsim_store **st)
{
    close(mkstemp(path));
    unlink(path);
    int64_t id = 0;
    ASSERT_OK(dsim_store_open(st, path));
    ASSERT_OK(dsim_store_sweep_open(*st, "test.ini", definition, &id));
    return id;
}

static int add_reward(uint64_t cell, int policy, uint64_t seed, const double *metrics, void *data)
{
    (void)cell, (void)policy, (void)seed;
    *(double *)data += metrics[dsim_metrics_find("reward") - dsim_metrics_defs];
    return 0;
}

static void test_sweep_run__stored_runs_are_done_and_failed_ones_not(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/dsim_sweep_store_XXXXXX";
    dsim_store *st = NULL;
    int64_t id = open_sweep_db(path, "definition", &st);
    dsim_sweep_runner r = DSIM_SWEEP_RUNNER_INIT(&f->sw, base, f->policies);
    dsim_study_result res = {0};
    const dsim_scenario *sc;
    uint64_t seed;
    ASSERT_OK(dsim_sweep_runner_task(&r, 4, &sc, &seed)); /* cell 0, fixed10, seed index 1 */
    assert_int_equal(seed, sc->seed + 1);
    ASSERT_OK(dsim_sweep_run_task(&r, 4, &res));
    assert_int_equal(dsim_store_sweep_has(st, id, 0, 1, seed), 0);
    ASSERT_OK(dsim_sweep_store_result(&r, st, id, &res));
    assert_int_equal(dsim_store_sweep_has(st, id, 0, 1, seed), 1);
    double total = 0;
    ASSERT_OK(dsim_store_sweep_results(st, id, add_reward, &total));
    assert_true(total == res.head.final.reward);

    res.head.task = 5;
    res.head.status = DSIM_ENUMERIC;
    strcpy(res.head.error, "the model failed");
    ASSERT_OK(dsim_sweep_store_result(&r, st, id, &res));
    assert_int_equal(dsim_store_sweep_has(st, id, 0, 1, seed + 1), 0);
    dsim_run_row *rows = NULL;
    size_t n = 0;
    ASSERT_OK(dsim_store_runs(st, NULL, &rows, &n));
    assert_int_equal(n, 2);
    assert_string_equal(rows[1].status, "failed");
    dsim_store_rows_free(rows, n);
    dsim_study_result_clear(&res);
    dsim_sweep_runner_clear(&r);
    dsim_store_close(st);
    unlink(path);
}

static double sweep_total(const char *path, const char *definition, int *n_runs)
{
    dsim_store *st = NULL;
    int64_t id;
    ASSERT_OK(dsim_store_open(&st, path));
    ASSERT_OK(dsim_store_sweep_open(st, "test.ini", definition, &id));
    double total = 0;
    ASSERT_OK(dsim_store_sweep_results(st, id, add_reward, &total));
    dsim_run_row *rows = NULL;
    size_t n = 0;
    ASSERT_OK(dsim_store_runs(st, NULL, &rows, &n));
    *n_runs = (int)n;
    dsim_store_rows_free(rows, n);
    dsim_store_close(st);
    return total;
}

static void test_sweep_run__merged_shards_are_the_whole_sweep(void **state)
{
    fixture *f = *state;
    char whole[] = "/tmp/dsim_merge_whole_XXXXXX", a[] = "/tmp/dsim_merge_a_XXXXXX",
         b[] = "/tmp/dsim_merge_b_XXXXXX", out[] = "/tmp/dsim_merge_out_XXXXXX", other[] = "/tmp/dsim_merge_o_XXXXXX";
    char *paths[] = {whole, a, b, out, other};
    for (int i = 0; i < 5; i++) {
        close(mkstemp(paths[i]));
        unlink(paths[i]);
    }
    run_shard(f, whole, "sweep", 0, 1);
    run_shard(f, a, "sweep", 0, 2);
    run_shard(f, b, "sweep", 1, 2);
    int n_whole, n_out;
    double expected = sweep_total(whole, "sweep", &n_whole);
    assert_int_equal(n_whole, 12);

    dsim_store_merge_stats stats;
    const char *shards[] = {a, b};
    ASSERT_OK(dsim_store_merge(out, shards, 2, &stats));
    assert_int_equal(stats.inputs, 2);
    assert_int_equal(stats.runs_added, 12);
    assert_int_equal(stats.runs_present, 0);
    assert_string_equal(stats.sweep_path, "test.ini");
    assert_true(sweep_total(out, "sweep", &n_out) == expected); /* same runs, summed in the same order */
    assert_int_equal(n_out, 12);
    ASSERT_OK(dsim_store_merge(out, shards, 2, &stats));
    assert_int_equal(stats.runs_added, 0);
    assert_int_equal(stats.runs_present, 12);
    sweep_total(out, "sweep", &n_out);
    assert_int_equal(n_out, 12);

    /* A shard of another sweep: refused, before the output is created. */
    run_shard(f, other, "another sweep", 0, 3);
    unlink(out);
    const char *mixed[] = {a, other};
    assert_int_equal(dsim_store_merge(out, mixed, 2, &stats), DSIM_EINVAL);
    assert_non_null(strstr(dsim_errmsg(), "holds a different sweep"));
    assert_int_equal(access(out, F_OK), -1);
    for (int i = 0; i < 5; i++) {
        char wal[64];
        unlink(paths[i]);
        snprintf(wal, sizeof wal, "%s-wal", paths[i]);
        unlink(wal);
        snprintf(wal, sizeof wal, "%s-shm", paths[i]);
        unlink(wal);
    }
}

typedef struct {
    double reward[2][2][3]; /* [cell][policy][seed index], from the store's own rows */
    int n[2][2];
    dsim_sweep_cell_summary cells[2];
} summary_check;

static int keep_reward(uint64_t cell, int policy, uint64_t seed, const double *metrics, void *data)
{
    (void)seed;
    summary_check *c = data;
    c->reward[cell][policy][c->n[cell][policy]++] = metrics[dsim_metrics_find("reward") - dsim_metrics_defs];
    return 0;
}

static int keep_cell(const dsim_sweep_cell_summary *cell, void *data)
{
    ((summary_check *)data)->cells[cell->cell] = *cell;
    return 0;
}

/* The summary is the store's runs, counted and averaged: each policy's mean objective, the paired Δ on the
   seeds both ran, and the best by mean; a policy not run has 0 runs and the cell no comparison with it. */
static void test_sweep_run__the_summary_is_the_stored_runs(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/dsim_sweep_summary_XXXXXX";
    close(mkstemp(path));
    unlink(path);
    int64_t id = run_shard(f, path, "summary", 0, 1);
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, path));
    summary_check c = {0};
    ASSERT_OK(dsim_store_sweep_results(st, id, keep_reward, &c));
    ASSERT_OK(dsim_sweep_summarize(st, &f->sw, id, keep_cell, &c));
    size_t reward = (size_t)(dsim_metrics_find("reward") - dsim_metrics_defs);
    for (int cell = 0; cell < 2; cell++) {
        const dsim_sweep_cell_summary *s = &c.cells[cell];
        assert_int_equal(s->cell, cell);
        double mean[2] = {0, 0}, delta = 0;
        for (int p = 0; p < 2; p++) {
            assert_int_equal(s->policies[p].runs, 3);
            for (int k = 0; k < 3; k++)
                mean[p] += c.reward[cell][p][k] / 3;
            assert_true(fabs(s->policies[p].metrics[reward].mean - mean[p]) <= 1e-12 * fabs(mean[p]));
        }
        for (int k = 0; k < 3; k++)
            delta += (c.reward[cell][1][k] - c.reward[cell][0][k]) / 3;
        assert_int_equal(s->policies[1].delta.n, 3);
        assert_true(fabs(s->policies[1].delta.mean - delta) <= 1e-12 * (1 + fabs(delta)));
        assert_int_equal(s->best, mean[1] > mean[0] ? 1 : 0);
        assert_true(s->significant == 0 || s->significant == 1);
    }
    /* Nothing stored yet: every policy 0 runs, no best. */
    ASSERT_OK(dsim_sweep_summarize(NULL, &f->sw, 0, keep_cell, &c));
    assert_int_equal(c.cells[1].policies[0].runs, 0);
    assert_int_equal(c.cells[1].best, -1);
    assert_int_equal(c.cells[1].significant, -1);
    dsim_store_close(st);
    unlink(path);
}

/* The writer with the inline pool stores every pending run of a shard; afterwards none is pending (the
   resume), and the other shard's runs still are. */
static void test_sweep_run__the_writer_stores_what_is_pending(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/dsim_sweep_writer_XXXXXX";
    dsim_store *st = NULL;
    int64_t id = open_sweep_db(path, "writer", &st);
    dsim_store_set_whole_runs(st, true);
    dsim_sweep_runner r = DSIM_SWEEP_RUNNER_INIT(&f->sw, base, f->policies);
    size_t *tasks = NULL, n_pending, n_in_shard;
    ASSERT_OK(dsim_sweep_pending(st, &r, id, 1, 2, &tasks, &n_pending, &n_in_shard));
    assert_int_equal(n_in_shard, 6);
    assert_int_equal(n_pending, 6);
    for (size_t i = 0; i < n_pending; i++)
        assert_int_equal(tasks[i], 2 * i + 1);
    dsim_sweep_pool *pool = NULL;
    ASSERT_OK(dsim_sweep_pool_inline.start(&pool, &r, 1));
    dsim_sweep_writer w = {0};
    ASSERT_OK(dsim_sweep_write(&dsim_sweep_pool_inline, pool, st, &r, id, tasks, n_pending, &w));
    assert_int_equal(w.n_failed, 0);
    dsim_sweep_pool_inline.stop(pool, 0);
    free(tasks);
    ASSERT_OK(dsim_sweep_pending(st, &r, id, 1, 2, &tasks, &n_pending, &n_in_shard));
    assert_int_equal(n_pending, 0);
    free(tasks);
    ASSERT_OK(dsim_sweep_pending(st, &r, id, 0, 2, &tasks, &n_pending, &n_in_shard));
    assert_int_equal(n_pending, 6);
    free(tasks);
    dsim_sweep_runner_clear(&r);
    dsim_store_close(st);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_run__tasks_number_every_run_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_run__a_computed_run_is_the_run_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_run__stored_runs_are_done_and_failed_ones_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_run__merged_shards_are_the_whole_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_run__the_summary_is_the_stored_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_run__the_writer_stores_what_is_pending, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
