/*
 * test_store.c — the result database, on a real SQLite file: schema and migrations, a run's rows written
 * and read back, a failed run never looking complete, and refusal of a newer schema.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/log.h"
#include "dsim/sim.h"
#include "dsim/store.h"
#include "helpers.h"
#include "store/store_impl.h"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/dsim_test_store_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static double query_double(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *stmt;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    double v = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_double(stmt, 0) : NAN;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

static void test_store__a_run_is_written_and_read_back(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/sub/runs.db", dir); /* the parent directory is created on first use */
    dsim_scenario *sc = load_test_scenario("small");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = fixed\nlevel = 10\n", "fixed10.ini"));
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, path));

    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 7, NULL));
    int64_t id = 0;
    ASSERT_OK(dsim_store_run_begin(st, sc, cfg, 7, dsim_sim_horizon(sim), NULL, &id));
    dsim_metrics m;
    while (dsim_sim_advance(sim, 2000) == DSIM_OK) {
        dsim_sim_metrics(sim, &m);
        ASSERT_OK(dsim_store_series_add(st, dsim_sim_visits_done(sim), &m));
    }
    ASSERT_OK(dsim_store_run_end(st, DSIM_RUN_DONE, &m, NULL, NULL));
    dsim_sim_free(sim);

    /* Read back with plain SQLite, as a user would. */
    assert_true(query_double(path, "PRAGMA user_version") == DSIM_STORE_SCHEMA_VERSION);
    assert_true(query_double(path, "SELECT count(*) FROM series WHERE run_id = 1") == 10);
    assert_true(query_double(path, "SELECT max(visit) FROM series") == 20000);
    assert_true(query_double(path, "SELECT profit FROM summary WHERE run_id = 1") == m.profit);
    assert_true(m.purchases > 0 && m.top3_purchases <= m.purchases);
    assert_true(query_double(path, "SELECT top3_purchase_share FROM summary WHERE run_id = 1") ==
                (double)m.top3_purchases / (double)m.purchases);
    assert_true(query_double(path, "SELECT profit FROM series WHERE visit = 20000") == m.profit);
    assert_true(query_double(path, "SELECT sum(visits) FROM levels WHERE run_id = 1") == (double)m.visits);
    assert_true(query_double(path, "SELECT visits FROM levels WHERE run_id = 1 AND percent = 10") == (double)m.visits);
    assert_true(query_double(path, "SELECT count(*) FROM runs WHERE status = 'done' AND seed = 7") == 1);

    /* And through dsim's readers. */
    dsim_run_row *rows = NULL;
    size_t n = 0;
    ASSERT_OK(dsim_store_runs(st, NULL, &rows, &n));
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].policy_name, "fixed10");
    assert_string_equal(rows[0].status, "done");
    assert_true(rows[0].has_summary);
    assert_true(rows[0].summary[dsim_metrics_find("revenue") - dsim_metrics_defs] == m.revenue);
    dsim_store_rows_free(rows, n);
    dsim_run_row r;
    ASSERT_OK(dsim_store_run_get(st, id, &r));
    assert_string_equal(r.scenario_text, sc->text);
    assert_string_equal(r.policy_text, cfg->text);
    assert_int_equal(r.n_levels, 3);
    dsim_store_row_clear(&r);
    assert_int_equal(dsim_store_run_get(st, 99, &r), DSIM_ENOTFOUND);

    dsim_store_close(st);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

static void test_store__failed_and_unfinished_runs_never_look_complete(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/fail.db", dir);
    dsim_scenario *sc = load_test_scenario("small");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("none")));
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, path));
    int64_t id;
    dsim_metrics m = {.visits = 10};
    ASSERT_OK(dsim_store_run_begin(st, sc, cfg, 1, 100, NULL, &id));
    ASSERT_OK(dsim_store_series_add(st, 10, &m));
    ASSERT_OK(dsim_store_run_end(st, DSIM_RUN_FAILED, &m, NULL, "out of luck"));
    ASSERT_OK(dsim_store_run_begin(st, sc, cfg, 2, 100, NULL, &id));
    ASSERT_OK(dsim_store_series_add(st, 10, &m));
    ASSERT_OK(dsim_store_run_end(st, DSIM_RUN_INTERRUPTED, &m, NULL, NULL));
    ASSERT_OK(dsim_store_run_begin(st, sc, cfg, 3, 100, NULL, &id));
    dsim_store_close(st); /* closing with the run still open marks it failed */

    assert_true(query_double(path, "SELECT count(*) FROM summary") == 0);
    assert_true(query_double(path, "SELECT count(*) FROM runs WHERE status = 'failed'") == 2);
    assert_true(query_double(path, "SELECT count(*) FROM runs WHERE status = 'interrupted'") == 1);
    assert_true(query_double(path, "SELECT count(*) FROM runs WHERE finished IS NULL") == 0);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

static void test_store__newer_schema_is_refused_and_wal_is_on(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/newer.db", dir);
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, path));
    dsim_store_close(st);
    assert_true(query_double(path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    st = NULL;
    assert_int_equal(dsim_store_open(&st, path), DSIM_ESTORE);
    assert_non_null(strstr(dsim_errmsg(), "schema version 99 is newer than this dsim knows"));
    assert_null(st);
}

static void test_store__metric_columns_match_the_metric_table(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/cols.db", dir);
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, path));
    dsim_store_close(st);
    /* summary after its key, segments after its four: the same metric columns */
    static const char *const tables[] = {"summary", "segments"};
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < dsim_metrics_n_defs; i++) {
            char sql[256];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", tables[t],
                     dsim_metrics_defs[i].name);
            if (query_double(path, sql) != 1)
                fail_msg("%s has no column %s", tables[t], dsim_metrics_defs[i].name);
        }
    assert_true(query_double(path, "SELECT count(*) FROM pragma_table_info('summary')") == 1 + dsim_metrics_n_defs);
    assert_true(query_double(path, "SELECT count(*) FROM pragma_table_info('segments')") == 4 + dsim_metrics_n_defs);
}

/* A finished run's totals by segment go in with it and come back exactly; `dsim run` finds the run again by its
   inputs, and only by all of them. */
static void test_store__segments_are_stored_and_a_run_is_found_by_its_inputs(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/segments.db", dir);
    dsim_scenario *sc = load_test_scenario("small");
    dsim_policy_config *cfg = NULL, *other = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = random\n", "random.ini"));
    ASSERT_OK(dsim_policy_config_parse(&other, "[policy]\ntype = random\n; another text\n", "random.ini"));
    dsim_store *st = NULL;
    ASSERT_OK(dsim_store_open(&st, path));
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 5, NULL));
    while (dsim_sim_advance(sim, 5000) == DSIM_OK)
        ;
    dsim_metrics m;
    dsim_segment_metrics *g = malloc(sizeof *g);
    dsim_run_segments *back = malloc(sizeof *back);
    dsim_sim_metrics(sim, &m);
    dsim_sim_segment_metrics(sim, g);
    int64_t id = 0, found = -1;
    uint64_t visits = dsim_sim_horizon(sim);
    ASSERT_OK(dsim_store_find_done_run(st, sc, cfg, 5, visits, false, &found));
    assert_true(found == 0);
    ASSERT_OK(dsim_store_run_begin(st, sc, cfg, 5, visits, NULL, &id));
    ASSERT_OK(dsim_store_run_end(st, DSIM_RUN_DONE, &m, g, NULL));
    ASSERT_OK(dsim_store_run_segments(st, id, back));
    assert_int_equal(back->n, sc->n_segments);
    assert_int_equal(back->n_levels, sc->discounts.n_levels);
    for (int s = 0; s < sc->n_segments; s++) {
        assert_string_equal(back->name[s], sc->segments[s].name);
        assert_true(back->share[s] == dsim_scenario_segment_share(sc, s));
        for (size_t k = 0; k < dsim_metrics_n_defs; k++)
            assert_true(back->summary[s][k] == dsim_metrics_defs[k].value(&g->segment[s]));
        for (int l = 0; l < sc->discounts.n_levels; l++)
            assert_true(back->level_visits[s][l] == g->segment[s].level_count[l]);
    }
    ASSERT_OK(dsim_store_find_done_run(st, sc, cfg, 5, visits, false, &found));
    assert_true(found == id);
    ASSERT_OK(dsim_store_find_done_run(st, sc, cfg, 6, visits, false, &found)); /* another seed */
    assert_true(found == 0);
    ASSERT_OK(dsim_store_find_done_run(st, sc, cfg, 5, visits + 1, false, &found)); /* another horizon */
    assert_true(found == 0);
    ASSERT_OK(dsim_store_find_done_run(st, sc, cfg, 5, visits, true, &found)); /* events wanted, none logged */
    assert_true(found == 0);
    ASSERT_OK(dsim_store_find_done_run(st, sc, other, 5, visits, false, &found)); /* another policy text */
    assert_true(found == 0);
    free(back);
    free(g);
    dsim_sim_free(sim);
    dsim_store_close(st);
    dsim_policy_config_free(cfg);
    dsim_policy_config_free(other);
    dsim_scenario_free(sc);
}

static int old_event_is_a_visits(const dsim_log_event *e, void *data)
{
    (void)data;
    assert_int_equal(e->item, -1);
    assert_int_equal(e->shopper, 3);
    for (int j = DSIM_LOG_CONTEXT_COLUMNS_V1; j < DSIM_LOG_CONTEXT_COLUMNS; j++)
        assert_true(e->context[j] == 0);
    return 0;
}

/* A database of every earlier schema version (0 to 8, built by the real migrations up to that version) is
   upgraded in place when opened, keeps its runs, gains every later column and table, and learns where
   they came from: a sweep's run from its
   sweep_runs link, a dashboard snapshot with live changes from its changes rows, the rest as plain runs
   that planned the visits they have. */
static void test_store__every_earlier_version_is_migrated_with_run_sources(void **state)
{
    (void)state;
    for (int version = 0; version < DSIM_STORE_SCHEMA_VERSION; version++) {
        char path[128];
        snprintf(path, sizeof path, "%s/version%d.db", dir, version);
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        ASSERT_OK(dsim__store_migrate_to(db, path, version));
        const char *run = "INSERT INTO runs (id, created, status, scenario_name, scenario_text, policy_name, "
                          "policy_type, seed, visits, objective, dsim_version) VALUES (%d, '2026-01-01', 'done', "
                          "'old', '', 'none', 'none', 1, %d, 'profit', '0.0');";
        char sql[512];
        int n_runs = 0;
        if (version >= 1) {
            snprintf(sql, sizeof sql, run, 1, 100);
            assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
            n_runs++;
        }
        if (version >= 4) /* a logged decision of the 15-column context, before the item columns */
            assert_int_equal(sqlite3_exec(db, "INSERT INTO events (run_id, visit, shopper, action, propensity, reward, "
                                              "purchased, context) VALUES (1, 0, 3, 1, 0.5, 2.0, 1, zeroblob(120));",
                                          NULL, NULL, NULL),
                             SQLITE_OK);
        if (version >= 6) {
            snprintf(sql, sizeof sql, run, 2, 40);
            assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
            assert_int_equal(sqlite3_exec(db, "INSERT INTO changes VALUES (2, 0, 10, 'elasticity x1.25');", NULL,
                                          NULL, NULL),
                             SQLITE_OK);
            n_runs++;
        }
        if (version >= 7) {
            snprintf(sql, sizeof sql, run, 3, 100);
            assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
            assert_int_equal(sqlite3_exec(db,
                                          "INSERT INTO sweeps VALUES (1, '2026-01-01', 's.ini', 'def');"
                                          "INSERT INTO sweep_runs VALUES (1, 0, 0, 1, 3, 'a=1');",
                                          NULL, NULL, NULL),
                             SQLITE_OK);
            n_runs++;
        }
        if (version >= 8) /* written by a dsim that knew the sources */
            assert_int_equal(sqlite3_exec(db,
                                          "UPDATE runs SET planned_visits = visits WHERE id <> 2;"
                                          "UPDATE runs SET source = 'dash', changed_live = 1 WHERE id = 2;"
                                          "UPDATE runs SET source = 'sweep' WHERE id = 3;",
                                          NULL, NULL, NULL),
                             SQLITE_OK);
        sqlite3_close(db);
        dsim_store *st = NULL;
        ASSERT_OK(dsim_store_open(&st, path));
        dsim_store_close(st);
        assert_true(query_double(path, "PRAGMA user_version") == DSIM_STORE_SCHEMA_VERSION);
        assert_true(query_double(path, "SELECT count(*) FROM runs") == n_runs);
        assert_true(query_double(path, "SELECT count(*) FROM pragma_table_info('summary') WHERE name IN "
                                       "('top3_purchase_share', 'precision_at_k', 'recall_at_k', 'ndcg_at_k')") == 4);
        assert_true(query_double(path, "SELECT count(*) FROM sqlite_master WHERE name IN ('events', 'ope', "
                                       "'changes', 'sweeps', 'sweep_runs')") == 5);
        if (version >= 1)
            assert_true(query_double(path, "SELECT count(*) FROM runs WHERE id = 1 AND source = 'run' AND "
                                           "planned_visits = 100 AND changed_live = 0") == 1);
        if (version >= 6)
            assert_true(query_double(path, "SELECT count(*) FROM runs WHERE id = 2 AND source = 'dash' AND "
                                           "planned_visits IS NULL AND changed_live = 1") == 1);
        if (version >= 7)
            assert_true(query_double(path, "SELECT count(*) FROM runs WHERE id = 3 AND source = 'sweep' AND "
                                           "planned_visits = 100 AND changed_live = 0") == 1);
        if (version >= 4) { /* read back as a visit's decision: item −1, the item columns 0 */
            assert_true(query_double(path, "SELECT count(*) FROM events WHERE item = -1") == 1);
            ASSERT_OK(dsim_store_open(&st, path));
            ASSERT_OK(dsim_store_events_each(st, 1, old_event_is_a_visits, NULL));
            dsim_store_close(st);
        }
        /* The filters of dsim list. */
        ASSERT_OK(dsim_store_open(&st, path));
        dsim_run_row *rows = NULL;
        size_t n = 0;
        ASSERT_OK(dsim_store_runs(st, &(dsim_run_filter){.source = "run", .status = "done"}, &rows, &n));
        assert_int_equal(n, version >= 1 ? 1 : 0);
        dsim_store_rows_free(rows, n);
        ASSERT_OK(dsim_store_runs(st, &(dsim_run_filter){.scenario = "old", .policy = "none"}, &rows, &n));
        assert_int_equal(n, (size_t)n_runs);
        dsim_store_rows_free(rows, n);
        dsim_store_close(st);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store__segments_are_stored_and_a_run_is_found_by_its_inputs),
        cmocka_unit_test(test_store__a_run_is_written_and_read_back),
        cmocka_unit_test(test_store__failed_and_unfinished_runs_never_look_complete),
        cmocka_unit_test(test_store__newer_schema_is_refused_and_wal_is_on),
        cmocka_unit_test(test_store__metric_columns_match_the_metric_table),
        cmocka_unit_test(test_store__every_earlier_version_is_migrated_with_run_sources),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
