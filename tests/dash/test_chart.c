/*
 * test_chart.c — the dashboard's chart layout on fixed data, without a terminal: nice axis ranges, tick
 * labels where they belong, each series' marks on the right rows and columns, and value labels.
 */
#include <string.h>

#include "cli/dash/chart.h"
#include "helpers.h"

static char at(const dash_chart *c, int row, int col)
{
    return c->cell[row * c->width + col];
}

/* A rising line from 0 to 100 and a flat one at 50, on a 40 × 10 grid: the plot has rows 0 … 7 and
   columns 10 … 39 (labels in 0 … 8, the axis in 9). */
static void test_chart__a_rising_and_a_flat_series(void **state)
{
    (void)state;
    double rising[11], flat[11];
    for (int i = 0; i < 11; i++) {
        rising[i] = 10.0 * i;
        flat[i] = 50.0;
    }
    const double *series[2] = {rising, flat};
    dash_chart c;
    assert_int_equal(dash_chart_layout(&c, 40, 10, series, 2, 11, 20000, "*o"), 0);
    assert_true(c.y_min == 0 && c.y_max == 100);
    /* labels: 100 at the top, 50 in the middle row, 0 at the bottom of the plot */
    assert_memory_equal(&c.cell[0 * 40 + 5], "100", 3);
    assert_memory_equal(&c.cell[3 * 40 + 3], "57.14", 5); /* row 3 of 0…7 is 100 − 100·3/7 */
    assert_int_equal(at(&c, 7, 7), '0');
    /* axes */
    assert_int_equal(at(&c, 0, 9), '|');
    assert_int_equal(at(&c, 8, 9), '+');
    assert_int_equal(at(&c, 8, 39), '-');
    /* x labels: 0 under the axis corner, 20k at the right end */
    assert_int_equal(at(&c, 9, 9), '0');
    assert_memory_equal(&c.cell[9 * 40 + 37], "20k", 3);
    /* the rising line starts at the bottom left and ends at the top right */
    assert_int_equal(at(&c, 7, 10), '*');
    assert_int_equal(at(&c, 0, 39), '*');
    assert_int_equal(c.series[7 * 40 + 10], 0);
    /* the flat line at 50 sits on row round(0.5 · 7) = 4 (ties to away from zero), except where the rising
       line crosses it and, drawn later, does not win: the highest series wins a shared cell */
    int flat_marks = 0;
    for (int col = 10; col < 40; col++)
        flat_marks += at(&c, 4, col) == 'o';
    assert_true(flat_marks >= 28);
    dash_chart_free(&c);
}

static void test_chart__too_small_or_empty(void **state)
{
    (void)state;
    double y[1] = {3.0};
    const double *series[1] = {y};
    dash_chart c;
    assert_int_equal(dash_chart_layout(&c, 19, 10, series, 1, 1, 1, "*"), -1);
    assert_int_equal(dash_chart_layout(&c, 40, 4, series, 1, 1, 1, "*"), -1);
    /* one constant point: the range opens around it */
    assert_int_equal(dash_chart_layout(&c, 40, 10, series, 1, 1, 1, "*"), 0);
    assert_true(c.y_min < 3.0 && c.y_max > 3.0);
    dash_chart_free(&c);
}

static void test_chart__value_labels(void **state)
{
    (void)state;
    char s[32];
    dash_format_value(1234567, s, sizeof s);
    assert_string_equal(s, "1.23M");
    dash_format_value(-45600, s, sizeof s);
    assert_string_equal(s, "-45.6k");
    dash_format_value(0.125, s, sizeof s);
    assert_string_equal(s, "0.125");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chart__a_rising_and_a_flat_series),
        cmocka_unit_test(test_chart__too_small_or_empty),
        cmocka_unit_test(test_chart__value_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
