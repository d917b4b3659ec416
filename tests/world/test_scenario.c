/*
 * test_scenario.c — scenario files: defaults, the shipped scenarios, horizons, and every kind of bad input
 * reported as "FILE:LINE: ..." naming the key.
 */
#include <math.h>
#include <string.h>

#include "dsim/world.h"
#include "helpers.h"

static void test_scenario__every_shipped_scenario_loads(void **state)
{
    (void)state;
    const char *names[] = {"default", "loyal_market", "deal_trained", "competitor_sale"};
    for (size_t i = 0; i < 4; i++) {
        dsim_scenario *sc = load_shipped_scenario(names[i]);
        assert_string_equal(sc->name, names[i]);
        assert_non_null(sc->text);
        dsim_scenario_free(sc);
    }
}

static void test_scenario__defaults_fill_unset_keys(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, "[segment.all]\nshare = 1\n", "t.ini"));
    assert_int_equal(sc->n_segments, 1);
    assert_true(sc->segments[0].elasticity_mean == 2.6);
    assert_true(sc->visits == 200000);
    assert_int_equal(sc->discounts.n_levels, 6);
    assert_true(fabs(sc->discounts.levels[5] - 0.30) < 1e-12);
    assert_int_equal(sc->discounts.objective, DSIM_OBJECTIVE_PROFIT);
    assert_int_equal(dsim_scenario_level_index(sc, 0.15), 3);
    assert_int_equal(dsim_scenario_level_index(sc, 0.12), -1);
    dsim_scenario_free(sc);
}

static void test_scenario__days_horizon_uses_total_arrival_rate(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    /* 1000 shoppers: 600 at 0.5 visits/day + 400 at 0.25 = 400 visits/day; 10 days = 4000 visits. */
    ASSERT_OK(dsim_scenario_parse(&sc,
                                  "[scenario]\nshoppers = 1000\ndays = 10\n"
                                  "[segment.a]\nshare = 0.6\nvisit_rate = 0.5\n"
                                  "[segment.b]\nshare = 0.4\nvisit_rate = 0.25\n",
                                  "t.ini"));
    assert_true(fabs(dsim_scenario_arrivals_per_day(sc) - 400) < 1e-9);
    assert_int_equal(dsim_scenario_horizon(sc), 4000);
    dsim_scenario_free(sc);
}

typedef struct {
    const char *text, *expected;
} bad_case;

static const bad_case bad_cases[] = {
    {"[scenario]\nvisitz = 10\n[segment.a]\nshare = 1\n", "t.ini:2: [scenario]: unknown key 'visitz'; did you mean 'visits'?"},
    {"[scenaro]\nvisits = 10\n", "t.ini:2: unknown section [scenaro] (did you mean [scenario])"},
    {"[scenario]\nvisits = 1O\n[segment.a]\nshare = 1\n", "t.ini:2: [scenario]: visits: expected a number, got '1O'"},
    {"[scenario]\nshoppers = 2.5\n[segment.a]\nshare = 1\n", "t.ini:2: [scenario]: shoppers: expected a whole number"},
    {"[catalog]\nprice_sigma = -1\n[segment.a]\nshare = 1\n", "t.ini:2: [catalog]: price_sigma: -1 is out of range [0, 5]"},
    {"[segment.a]\nshare = 0.5\n[segment.b]\nshare = 0.4\n", "t.ini:4: [segment.b] share: segment shares sum to 0.9, expected 1"},
    {"[discounts]\nlevels =\n[segment.a]\nshare = 1\n", "t.ini:2: [discounts]: levels: expected a comma-separated list"},
    {"[discounts]\nlevels = 10, 5\n[segment.a]\nshare = 1\n", "t.ini:2: [discounts] levels: expected ascending, distinct levels"},
    {"[discounts]\nlevels = 0, 100\n[segment.a]\nshare = 1\n", "t.ini:2: [discounts]: levels: 100% is out of range"},
    {"[discounts]\nobjective = margin\n[segment.a]\nshare = 1\n", "t.ini:2: [discounts]: objective: expected revenue, profit or conversions"},
    {"[segment.a]\nshare = 1\nthis is junk\n", "t.ini:3: malformed line"},
    {"[scenario]\nseed = -4\n[segment.a]\nshare = 1\n", "t.ini:2: [scenario]: seed: expected a non-negative integer"},
    {"[segment.a]\nshare = 1\nshare = 1\n", "t.ini:3: [segment.a] share: set twice (first on line 2)"},
    {"[segment.a]\nshare = 1\n[shock.s]\nat_visit = 5\nsegment = b\nelasticity_factor = 2\n",
     "t.ini:5: [shock.s] segment: no segment named 'b'"},
    {"[segment.a]\nshare = 1\n[shock.s]\nelasticity_factor = 2\n", "[shock.s] at_visit: set exactly one of at_visit and at_day"},
    {"[scenario]\nvisits = 10\ndays = 3\n[segment.a]\nshare = 1\n", "t.ini:3: [scenario] days: set visits or days, not both"},
    {"[catalog]\nitems = 3\n[segment.a]\nshare = 1\n", "[behaviour] slate_size: 6 is more than the catalog's 3 items"},
    {"scenario_key = 1\n", "t.ini:1: key outside any section"},
    {"[scenario]\nvisits = 5\n", "t.ini: expected at least one [segment.NAME] section"},
};

static void test_scenario__bad_input_names_file_line_and_key(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        dsim_scenario *sc = NULL;
        int rc = dsim_scenario_parse(&sc, bad_cases[i].text, "t.ini");
        if (rc != DSIM_ECONFIG || !strstr(dsim_errmsg(), bad_cases[i].expected))
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, dsim_errmsg(), bad_cases[i].expected);
        assert_null(sc);
    }
}

static void test_scenario__missing_file_is_an_io_error(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    assert_int_equal(dsim_scenario_load(&sc, "/nonexistent/x.ini"), DSIM_EIO);
    assert_non_null(strstr(dsim_errmsg(), "/nonexistent/x.ini: cannot open"));
}

/* A long list goes on on the next lines, each starting with a space (issue 16: a value had one line of 198
   characters):
   joined after a comma, reported from the key's own line; a key set again on a line of its own is still an
   error. */
static void test_scenario__a_value_continues_on_indented_lines(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, "[discounts]\nlevels = 0, 5, 10,\n  15, 20\n\t30\n[segment.a]\nshare = 1\n",
                                  "cont.ini"));
    assert_int_equal(sc->discounts.n_levels, 6);
    assert_true(fabs(sc->discounts.levels[5] - 0.30) < 1e-12);
    dsim_scenario_free(sc);
    sc = NULL;
    assert_int_equal(dsim_scenario_parse(&sc, "[discounts]\nlevels = 0, 5\n  x\n[segment.a]\nshare = 1\n", "cont.ini"),
                     DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "cont.ini:2: [discounts]"));
    assert_int_equal(dsim_scenario_parse(&sc, "[discounts]\nlevels = 0, 5\nlevels = 10\n[segment.a]\nshare = 1\n",
                                         "cont.ini"),
                     DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "cont.ini:3: [discounts] levels: set twice (first on line 2)"));
}

/* share = 0 switches a segment off: the others fill its place, the world gives it no shopper; a shock may not
   give it arrivals, and switching every segment off is refused. */
static void test_scenario__share_zero_switches_a_segment_off(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, "[scenario]\nshoppers = 1000\n[segment.a]\nshare = 0.5\n[segment.b]\nshare = 0\n"
                                       "[segment.c]\nshare = 0.25\n", "off.ini"));
    assert_true(fabs(dsim_scenario_segment_share(sc, 0) - 2.0 / 3) < 1e-15);
    assert_true(dsim_scenario_segment_share(sc, 1) == 0);
    assert_true(fabs(dsim_scenario_segment_share(sc, 2) - 1.0 / 3) < 1e-15);
    dsim_world *w = NULL;
    ASSERT_OK(dsim_world_alloc(&w, sc, 1));
    int count[3] = {0};
    for (uint32_t u = 0; u < dsim_world_n_shoppers(w); u++)
        count[dsim_world_shopper_segment(w, u)]++;
    assert_int_equal(count[0], 667);
    assert_int_equal(count[1], 0);
    assert_int_equal(count[2], 333);
    dsim_world_free(w);
    dsim_scenario_free(sc);
    sc = NULL;
    assert_int_equal(dsim_scenario_parse(&sc, "[segment.a]\nshare = 0\n", "t.ini"), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "every segment is switched off"));
    assert_int_equal(dsim_scenario_parse(&sc, "[segment.a]\nshare = 0.6\n[segment.b]\nshare = 0.3\n", "t.ini"),
                     DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "segment shares sum to 0.9, expected 1"));
    assert_int_equal(dsim_scenario_parse(&sc, "[segment.a]\nshare = 0.7\n[segment.b]\nshare = 0.7\n[segment.c]\nshare = 0\n",
                                         "t.ini"),
                     DSIM_ECONFIG); /* a typo is not hidden by a segment switched off */
    assert_non_null(strstr(dsim_errmsg(), "segment shares sum to 1.4, expected 1 (at most 1 with segments switched off)"));
    assert_int_equal(dsim_scenario_parse(&sc, "[scenario]\nvisits = 100\n[segment.a]\nshare = 1\n[segment.b]\nshare = 0\n"
                                              "[shock.s]\nat_visit = 10\nsegment = b\nshare = 0.5\n", "t.ini"),
                     DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "[shock.s] share: segment b is switched off (share 0)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario__share_zero_switches_a_segment_off),
        cmocka_unit_test(test_scenario__every_shipped_scenario_loads),
        cmocka_unit_test(test_scenario__defaults_fill_unset_keys),
        cmocka_unit_test(test_scenario__days_horizon_uses_total_arrival_rate),
        cmocka_unit_test(test_scenario__bad_input_names_file_line_and_key),
        cmocka_unit_test(test_scenario__missing_file_is_an_io_error),
        cmocka_unit_test(test_scenario__a_value_continues_on_indented_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
