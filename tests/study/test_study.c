/*
 * test_study.c — one run of a study (dsim/study.h), in a real SQLite file: simulated into the store and into
 * memory it is the same run (every checkpoint and the totals identical: one checkpoint loop); it records where
 * it came from; logged, every decision is in the store; a stop ends it interrupted; a failed computed run, or
 * a hook that fails, leaves it failed with the reason; a computed run stores every checkpoint it carries; and a
 * study's inputs load by name.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/store.h"
#include "dsim/study.h"
#include "helpers.h"

static const char scenario_text[] = "[scenario]\nshoppers = 200\nvisits = 3000\ncheckpoints = 6\n[catalog]\n"
                                    "items = 40\n[segment.a]\nshare = 1\nelasticity_mean = 3\n";

typedef struct {
    dsim_scenario *sc;
    dsim_policy_config *policy;
    dsim_store *st;
    char db[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    ASSERT_OK(dsim_scenario_parse(&f->sc, scenario_text, "study.ini"));
    ASSERT_OK(dsim_policy_config_parse(&f->policy, "[policy]\ntype = epsilon_greedy\nepsilon = 0.2\n", "eg.ini"));
    snprintf(f->db, sizeof f->db, "/tmp/dsim_study_XXXXXX");
    close(mkstemp(f->db));
    unlink(f->db);
    ASSERT_OK(dsim_store_open(&f->st, f->db));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dsim_store_close(f->st);
    unlink(f->db);
    dsim_policy_config_free(f->policy);
    dsim_scenario_free(f->sc);
    free(f);
    return 0;
}

static dsim_study_run run_of(const fixture *f, uint64_t seed)
{
    dsim_study_run run = DSIM_STUDY_RUN_INIT;
    run.scenario = f->sc;
    run.policy = f->policy;
    run.seed = seed;
    return run;
}

typedef struct {
    size_t n;
    uint64_t visits[16];
    double reward[16];
} series;

static int keep_point(uint64_t visit, const double *values, void *data)
{
    series *s = data;
    if (s->n < 16) {
        s->visits[s->n] = visit;
        s->reward[s->n++] = values[dsim_metrics_find("reward") - dsim_metrics_defs];
    }
    return DSIM_OK;
}

static void test_study__stored_and_in_memory_are_the_same_run(void **state)
{
    fixture *f = *state;
    dsim_study_run run = run_of(f, 7);
    dsim_study_result live = {0}, memory = {0};
    int64_t id;
    ASSERT_OK(dsim_study_run_one(f->st, &run, &live, &id));
    ASSERT_OK(dsim_study_simulate(&run, &memory));
    assert_int_equal(memory.head.status, DSIM_OK);
    assert_int_equal(dsim_study_checkpoint_every(f->sc, 3000), 500);
    assert_int_equal(live.head.n_points, 6);
    assert_int_equal(memory.head.n_points, 6);
    assert_memory_equal(live.points, memory.points, 6 * sizeof live.points[0]);
    assert_memory_equal(&live.head.final, &memory.head.final, sizeof live.head.final);
    assert_int_equal(live.head.final.arrivals, 3000);

    dsim_run_row row;
    ASSERT_OK(dsim_store_run_get(f->st, id, &row));
    assert_string_equal(row.status, "done");
    assert_string_equal(row.source, "run");
    assert_int_equal(row.visits, 3000);
    assert_int_equal(row.planned_visits, 3000);
    assert_int_equal(row.seed, 7);
    dsim_store_row_clear(&row);
    series s = {0};
    ASSERT_OK(dsim_store_series_each(f->st, id, keep_point, &s));
    assert_int_equal(s.n, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(s.visits[i], 500 * (i + 1));
        assert_true(s.reward[i] == memory.points[i].metrics.reward);
    }
    dsim_study_result_clear(&live);
    dsim_study_result_clear(&memory);
}

static int count_event(const dsim_log_event *e, void *data)
{
    (void)e;
    ++*(size_t *)data;
    return DSIM_OK;
}

static void test_study__logged_decisions_are_every_decision(void **state)
{
    fixture *f = *state;
    dsim_study_run run = run_of(f, 8);
    run.sim.log_decisions = true;
    run.sim.visits = 1000;
    dsim_study_result res = {0};
    int64_t id;
    ASSERT_OK(dsim_study_run_one(f->st, &run, &res, &id));
    size_t events = 0;
    ASSERT_OK(dsim_store_events_each(f->st, id, count_event, &events));
    /* One decision per visit of a shopper who has not churned (arrivals of churned shoppers decide nothing). */
    assert_int_equal(events, res.head.final.visits);
    assert_true(events > 500);
    dsim_study_result_clear(&res);
}

static volatile sig_atomic_t stop_now;

static void stop_after_first(void *user, uint64_t done, uint64_t horizon)
{
    (void)user, (void)done, (void)horizon;
    stop_now = 1;
}

static void test_study__a_stop_ends_the_run_interrupted(void **state)
{
    fixture *f = *state;
    dsim_study_run run = run_of(f, 9);
    stop_now = 0;
    run.stop = &stop_now;
    run.progress = stop_after_first;
    dsim_study_result res = {0};
    int64_t id;
    assert_int_equal(dsim_study_run_one(f->st, &run, &res, &id), DSIM_EINTERRUPTED);
    assert_int_equal(res.head.n_points, 1);
    dsim_run_row row;
    ASSERT_OK(dsim_store_run_get(f->st, id, &row));
    assert_string_equal(row.status, "interrupted");
    dsim_store_row_clear(&row);
    /* In memory, a stopped run is no result at all. */
    stop_now = 0;
    assert_int_equal(dsim_study_simulate(&run, &res), DSIM_EINTERRUPTED);
    dsim_study_result_clear(&res);
}

static int refuse(dsim_store *st, void *user)
{
    (void)st, (void)user;
    return dsim_error_set(DSIM_ESTORE, "the hook says no");
}

static void test_study__failures_are_stored_failed_with_their_reason(void **state)
{
    fixture *f = *state;
    dsim_study_run run = run_of(f, 10);
    dsim_study_result res = {0};
    int64_t id;
    /* A computed run that failed. */
    ASSERT_OK(dsim_study_result_reserve(&res, 1));
    res.head = (dsim_study_result_head){.status = DSIM_ENUMERIC, .horizon = 3000};
    snprintf(res.head.error, sizeof res.head.error, "the model diverged");
    ASSERT_OK(dsim_study_store(f->st, &run, &res, &id));
    dsim_run_row row;
    ASSERT_OK(dsim_store_run_get(f->st, id, &row));
    assert_string_equal(row.status, "failed");
    assert_string_equal(row.error, "the model diverged");
    dsim_store_row_clear(&row);
    /* A hook that fails, live. */
    run.before_end = refuse;
    assert_int_equal(dsim_study_run_one(f->st, &run, &res, &id), DSIM_ESTORE);
    assert_string_equal(res.head.error, "the hook says no");
    ASSERT_OK(dsim_store_run_get(f->st, id, &row));
    assert_string_equal(row.status, "failed");
    assert_string_equal(row.error, "the hook says no");
    assert_false(row.has_summary);
    dsim_store_row_clear(&row);
    dsim_study_result_clear(&res);
}

static void test_study__a_computed_run_stores_what_it_carries(void **state)
{
    fixture *f = *state;
    dsim_study_run run = run_of(f, 11);
    run.origin = (dsim_run_origin){DSIM_SOURCE_DASH, 3000, true};
    dsim_study_result res = {0};
    ASSERT_OK(dsim_study_result_reserve(&res, 2));
    res.head = (dsim_study_result_head){.n_points = 2, .horizon = 1200};
    res.points[0] = (dsim_study_point){600, {.reward = 1.5}};
    res.points[1] = (dsim_study_point){1200, {.reward = 4.25, .visits = 1200}};
    res.head.final = res.points[1].metrics;
    int64_t id;
    ASSERT_OK(dsim_study_store(f->st, &run, &res, &id));
    dsim_run_row row;
    ASSERT_OK(dsim_store_run_get(f->st, id, &row));
    assert_string_equal(row.status, "done");
    assert_string_equal(row.source, "dash");
    assert_int_equal(row.visits, 1200);
    assert_int_equal(row.planned_visits, 3000);
    assert_true(row.changed_live);
    dsim_store_row_clear(&row);
    series s = {0};
    ASSERT_OK(dsim_store_series_each(f->st, id, keep_point, &s));
    assert_int_equal(s.n, 2);
    assert_int_equal(s.visits[0], 600);
    assert_true(s.reward[0] == 1.5 && s.reward[1] == 4.25);
    dsim_study_result_clear(&res);
}

/* A study's inputs by name: shipped files found, each policy checked against the scenario, and a name that is
   not there said with where it was looked for. */
static void test_study__inputs_by_name(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    dsim_policy_config *configs[2] = {0};
    const char *names[2] = {"none", DSIM_SOURCE_DIR "/policies/thompson.ini"};
    ASSERT_OK(dsim_study_load(DSIM_SOURCE_DIR "/scenarios/default.ini", names, 2, &sc, configs));
    assert_string_equal(configs[1]->type->name, "thompson");
    dsim_policy_config_free(configs[0]);
    dsim_policy_config_free(configs[1]);
    dsim_scenario_free(sc);
    sc = NULL;
    configs[0] = configs[1] = NULL;
    const char *missing[1] = {"thompsen"};
    assert_int_equal(dsim_study_load(DSIM_SOURCE_DIR "/scenarios/default.ini", missing, 1, &sc, configs),
                     DSIM_ENOTFOUND);
    assert_non_null(strstr(dsim_errmsg(), "no policy named 'thompsen'"));
    dsim_scenario_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_study__stored_and_in_memory_are_the_same_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_study__logged_decisions_are_every_decision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_study__a_stop_ends_the_run_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_study__failures_are_stored_failed_with_their_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_study__a_computed_run_stores_what_it_carries, setup, teardown),
        cmocka_unit_test(test_study__inputs_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
