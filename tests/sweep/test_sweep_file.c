/*
 * test_sweep_file.c — sweep files: reading them, the order of the cells, each cell's scenario carrying its
 * axis values (and nothing set twice), and every kind of bad axis reported against its line.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/sweep.h"
#include "helpers.h"

static const char base[] = "[scenario]\nshoppers = 100\n[catalog]\nitems = 50\n"
                           "[segment.a]\nshare = 0.5\nelasticity_mean = 3\n[segment.b]\nshare = 0.5\n";

/* Load a sweep file of this text from a temporary file (named in `path`, removed after). @return the load's. */
static int load_sweep(dsim_sweep *sw, const char *text, char *path)
{
    strcpy(path, "/tmp/dsim_sweep_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    int rc = dsim_sweep_load(sw, path);
    unlink(path);
    return rc;
}

static void test_sweep__cells_are_the_product_of_the_axes(void **state)
{
    (void)state;
    char path[64];
    dsim_sweep sw;
    ASSERT_OK(load_sweep(&sw, "[sweep]\nscenario = base\npolicies = none, fixed10\nseeds = 3\nvisits = 500\n"
                              "[axes]\nsegment.a.elasticity_mean = 1:2:0.5\ncatalog.items = 100, 200\n", path));
    assert_int_equal(sw.n_policies, 2);
    assert_int_equal(sw.seeds, 3);
    assert_int_equal(sw.n_axes, 2);
    assert_int_equal(sw.n_cells, 6);
    const double expected[6][2] = {{1, 100}, {1, 200}, {1.5, 100}, {1.5, 200}, {2, 100}, {2, 200}};
    for (size_t c = 0; c < 6; c++) {
        double v[2];
        dsim_sweep_cell_values(&sw, c, v);
        assert_true(v[0] == expected[c][0] && v[1] == expected[c][1]);
        dsim_scenario *sc = NULL;
        ASSERT_OK(dsim_sweep_cell_scenario(&sw, base, c, &sc));
        assert_true(sc->segments[0].elasticity_mean == expected[c][0]);
        assert_int_equal(sc->catalog.items, (int)expected[c][1]);
        assert_true(sc->segments[1].elasticity_mean == 2.6); /* untouched: the default */
        assert_int_equal(sc->shoppers, 100);
        dsim_scenario_free(sc);
    }
    ASSERT_OK(dsim_sweep_check(&sw, base));
}

static void test_sweep__axes_take_words_for_keys_that_take_one(void **state)
{
    (void)state;
    char path[64];
    dsim_sweep sw;
    ASSERT_OK(load_sweep(&sw, "[sweep]\nscenario = base\npolicies = none\n"
                              "[axes]\nranking.embeddings = noisy, history\ndiscounts.objective = revenue,"
                              "profit\nranking.embedding_noise = 0.1, 0.3\n", path));
    assert_int_equal(sw.n_cells, 8);
    char text[64];
    dsim_sweep_cell_value_text(&sw, 7, 0, text, sizeof text);
    assert_string_equal(text, "history");
    dsim_sweep_cell_value_text(&sw, 7, 1, text, sizeof text);
    assert_string_equal(text, "profit");
    dsim_sweep_cell_value_text(&sw, 7, 2, text, sizeof text);
    assert_string_equal(text, "0.3"); /* the fewest digits that read back as the same double */
    double v[3];
    dsim_sweep_cell_values(&sw, 7, v);
    assert_true(isnan(v[0]) && isnan(v[1]) && v[2] == 0.3);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_sweep_cell_scenario(&sw, base, 7, &sc));
    assert_string_equal(dsim_scenario_embeddings_name(sc->ranking.embeddings), "history");
    assert_int_equal(sc->discounts.objective, DSIM_OBJECTIVE_PROFIT);
    assert_true(sc->ranking.embedding_noise == 0.3);
    dsim_scenario_free(sc);
    ASSERT_OK(dsim_sweep_cell_scenario(&sw, base, 0, &sc));
    assert_string_equal(dsim_scenario_embeddings_name(sc->ranking.embeddings), "noisy");
    assert_int_equal(sc->discounts.objective, DSIM_OBJECTIVE_REVENUE);
    dsim_scenario_free(sc);
}

/* A range's values are the doubles nearest its decimal steps, and their text reads back exactly. */
static void test_sweep__ranges_are_decimal(void **state)
{
    (void)state;
    char path[64];
    dsim_sweep sw;
    ASSERT_OK(load_sweep(&sw, "[sweep]\nscenario = base\npolicies = none\n"
                              "[axes]\nranking.embedding_noise = 0.1:0.7:0.1\n", path));
    const char *expected[] = {"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"};
    assert_int_equal(sw.n_cells, 7);
    for (size_t c = 0; c < 7; c++) {
        char text[64];
        dsim_sweep_cell_value_text(&sw, c, 0, text, sizeof text);
        assert_string_equal(text, expected[c]);
        assert_true(sw.axes[0].values[c] == strtod(expected[c], NULL));
    }
    double third = 1.0 / 3.0;
    char text[64];
    sw.axes[0].values[0] = third; /* a double that needs 17 digits still reads back */
    dsim_sweep_cell_value_text(&sw, 0, 0, text, sizeof text);
    assert_true(strtod(text, NULL) == third);
}

static void test_sweep__bad_axes_name_their_line(void **state)
{
    (void)state;
    static const struct {
        const char *axes, *expected;
    } cases[] = {
        {"catalog.itemz = 1, 2\n", ":8: [axes] catalog.itemz = 1: "},
        {"catalog.items = 3:1:1\n", ":8: [axes] catalog.items: "},
        {"catalog.items = 0, 10\n", ":8: [axes] catalog.items = 0: "},
        {"segment.nosuch.share = 0.5\n", ":8: [axes] segment.nosuch.share: the base scenario has no [segment.nosuch]"},
        {"items = 3\n", ":8: [axes] items: expected SECTION.KEY"},
        {"ranking.embeddings = noisy, histroy\n", ":8: [axes] ranking.embeddings = histroy: "},
        {"catalog.items = 10, many\n", ":8: [axes] catalog.items = many: "},
        {"catalog.items = 10, 2x\n", ":8: [axes] catalog.items: expected a number, got '2x'"},
        {"catalog.items = 10, , 20\n", ":8: [axes] catalog.items: an empty item in the list"},
        {"catalog.items = 10\ncatalog.items = 20\n", ":9: [axes] catalog.items: set twice (first on line 8)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[64], text[512];
        snprintf(text, sizeof text, "[sweep]\nscenario = base\npolicies = none\nseeds = 1\nvisits = 10\n\n[axes]\n%s",
                 cases[k].axes);
        dsim_sweep sw;
        int rc = load_sweep(&sw, text, path);
        if (!rc)
            rc = dsim_sweep_check(&sw, base);
        printf("# %s", cases[k].axes);
        printf("#   %s\n", dsim_errmsg());
        assert_int_equal(rc, DSIM_ECONFIG);
        if (!strstr(dsim_errmsg(), cases[k].expected) || !strstr(dsim_errmsg(), path))
            fail_msg("expected \"%s\" in \"%s\"", cases[k].expected, dsim_errmsg());
    }
    char path[64];
    dsim_sweep sw;
    /* 256^4 cells: more than one sweep may have (each is checked before the first run). */
    assert_int_equal(load_sweep(&sw, "[sweep]\nscenario = base\npolicies = none\n[axes]\ncatalog.items = 1:256:1\n"
                                     "catalog.categories = 1:256:1\nscenario.shoppers = 1:256:1\n"
                                     "scenario.visits = 1:256:1\n", path), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), ": 4294967296 cells (the product of the axes' lengths); at most 100000"));
    /* 65,536 cells x 2 policies x 1000 seeds: more runs than the run numbers and summary tables allow. */
    assert_int_equal(load_sweep(&sw, "[sweep]\nscenario = base\npolicies = a, b\nseeds = 1000\n[axes]\n"
                                     "catalog.items = 1:256:1\ncatalog.categories = 1:256:1\n", path), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), ": 131072000 runs (cells x policies x seeds); at most 100000000"));
    assert_int_equal(load_sweep(&sw, "[sweep]\nscenario = base\npolicies = none\nseeds = 2\nseeds = 3\n", path),
                     DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), ":5: [sweep] seeds: set twice (first on line 4)"));
    assert_int_equal(load_sweep(&sw, "[sweep]\nscenario = base\n", path), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "policies: expected at least one policy"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep__cells_are_the_product_of_the_axes),
        cmocka_unit_test(test_sweep__axes_take_words_for_keys_that_take_one),
        cmocka_unit_test(test_sweep__ranges_are_decimal),
        cmocka_unit_test(test_sweep__bad_axes_name_their_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
