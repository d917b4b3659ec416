/*
 * table.c — the comparison tables `dsim run` and `dsim bandit` print: a row per policy, each cell a mean
 * with its 95 % confidence interval across seeds, columns sized to their widest cell.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dsim/metrics.h"

enum { CELL = 96 };

void cli_format_cell(char *buf, size_t n, const char *format, dsim_estimate e, double scale)
{
    char mean[40], hw[40];
    if (isnan(e.mean)) { /* a lift over a first row of 0 */
        snprintf(buf, n, "-");
        return;
    }
    snprintf(mean, sizeof mean, format, e.mean * scale);
    if (isnan(e.half_width)) {
        snprintf(buf, n, "%s", mean);
        return;
    }
    char hw_format[16]; /* the half-width never carries a sign */
    snprintf(hw_format, sizeof hw_format, "%s", format);
    char *plus = strchr(hw_format, '+');
    if (plus)
        memmove(plus, plus + 1, strlen(plus));
    snprintf(hw, sizeof hw, hw_format, e.half_width * scale);
    snprintf(buf, n, "%s ± %s", mean, hw);
}

int cli_text_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

double *cli_column_values(const double *block, size_t n_runs, size_t n_metrics, const size_t *metric, int n_columns)
{
    double *values = malloc((n_runs ? n_runs : 1) * (size_t)n_columns * sizeof *values);
    for (size_t t = 0; values && t < n_runs; t++)
        for (int c = 0; c < n_columns; c++)
            values[t * (size_t)n_columns + (size_t)c] = block[t * n_metrics + metric[c]];
    return values;
}

dsim_estimate cli_column_estimate(int kind, const double *values, int n_columns, int c, int row, size_t n_seeds)
{
    double sample[n_seeds ? n_seeds : 1];
    for (size_t s = 0; s < n_seeds; s++) {
        double x = values[((size_t)row * n_seeds + s) * (size_t)n_columns + (size_t)c];
        double first = values[s * (size_t)n_columns + (size_t)c];
        /* Common random numbers make the paired difference far tighter than the two totals' intervals. */
        sample[s] = kind == CLI_DELTA ? x - first : kind == CLI_LIFT ? (first != 0 ? (x - first) / fabs(first) : NAN) : x;
    }
    return dsim_metrics_estimate_mean(sample, n_seeds);
}

void cli_print_comparison(FILE *fp, const char *const *names, int n_rows, const cli_column *columns, int n_columns,
                          const double *values, size_t n_seeds)
{
    char (*cells)[CELL] = calloc((size_t)n_rows * (size_t)n_columns, CELL);
    int *width = calloc((size_t)n_columns + 1, sizeof(int));
    if (!cells || !width) {
        free(cells);
        free(width);
        cli_error("out of memory printing the table");
        return;
    }
    width[0] = 6; /* "policy" */
    for (int p = 0; p < n_rows; p++) {
        width[0] = max_int(width[0], cli_text_width(names[p]));
        for (int c = 0; c < n_columns; c++) {
            char *cell = cells[(size_t)p * (size_t)n_columns + (size_t)c];
            cli_format_cell(cell, CELL, columns[c].format, cli_column_estimate(columns[c].kind, values, n_columns, c, p, n_seeds),
                        columns[c].scale);
            width[c + 1] = max_int(width[c + 1], max_int(cli_text_width(cell), cli_text_width(columns[c].head)));
        }
    }
    fprintf(fp, "%-*s", width[0], "policy");
    for (int c = 0; c < n_columns; c++) /* padded by display width: a head may hold non-ASCII letters */
        fprintf(fp, "  %*s%s", width[c + 1] - cli_text_width(columns[c].head), "", columns[c].head);
    fprintf(fp, "\n");
    for (int p = 0; p < n_rows; p++) {
        fprintf(fp, "%s%*s", names[p], width[0] - cli_text_width(names[p]), "");
        for (int c = 0; c < n_columns; c++) {
            const char *cell = cells[(size_t)p * (size_t)n_columns + (size_t)c];
            fprintf(fp, "  %*s%s", width[c + 1] - cli_text_width(cell), "", cell);
        }
        fprintf(fp, "\n");
    }
    free(cells);
    free(width);
}
