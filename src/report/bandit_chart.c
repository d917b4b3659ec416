/*
 * bandit_chart.c — regret curves of `dsim bandit --csv` (policy,seed,round,regret) against rounds on a log axis:
 * each policy's mean and 95 % band across seeds at the checkpoints, and for a Bernoulli problem Lai & Robbins'
 * asymptote C · ln t, which a consistent policy's regret cannot grow more slowly than.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv_rows.h"
#include "core/grow.h"
#include "core/text.h"
#include "dsim/chart.h"
#include "dsim/error.h"
#include "dsim/metrics.h"

typedef struct {
    char policy[DSIM_CHART_LABEL_MAX];
    unsigned long long seed, round;
    double regret;
    int policy_index; /* in the order first met */
    size_t row;       /* in the file */
} bandit_point;

/* By policy, round and seed, so that each point's values are one run and a value given twice sits beside its twin. */
static int by_point(const void *a, const void *b)
{
    const bandit_point *x = a, *y = b;
    if (x->policy_index != y->policy_index)
        return x->policy_index - y->policy_index;
    if (x->round != y->round)
        return x->round < y->round ? -1 : 1;
    if (x->seed != y->seed)
        return x->seed < y->seed ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

typedef struct {
    const char *path;
    bandit_point *p;
    size_t n, cap;
} bandit_rows;

static int read_row(char **f, int n, size_t row, void *data)
{
    bandit_rows *b = data;
    static const char *const head[] = {"policy", "seed", "round", "regret"};
    if (row == 1) /* the header first: a CSV of something else is told as such */
        for (int c = 0; c < 4 && c < n; c++)
            if (strcmp(f[c], head[c]))
                return dsim_error_set(DSIM_ECONFIG, "%s: row 1, column %d: expected the header '%s', got '%s' "
                                      "(is this a CSV from dsim bandit --csv?)", b->path, c + 1, head[c], f[c]);
    if (n != 4)
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu: expected 4 columns (policy,seed,round,regret), got %d",
                              b->path, row, n);
    if (row == 1)
        return DSIM_OK;
    bandit_point *grown = dsim__grown(b->p, &b->cap, b->n + 1, sizeof *grown, 1024);
    if (!grown)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    b->p = grown;
    bandit_point *p = &b->p[b->n];
    snprintf(p->policy, sizeof p->policy, "%s", f[0]);
    p->row = row;
    static const char *const what[] = {"", "a seed (a whole number)", "a round (a whole number ≥ 1)",
                                       "a regret (a number)"};
    int bad = !dsim__parse_u64(f[1], &p->seed) ? 1 : !dsim__parse_u64(f[2], &p->round) || !p->round ? 2
              : !dsim__parse_double(f[3], &p->regret) ? 3 : 0;
    if (bad)
        return dsim_error_set(DSIM_ECONFIG, "%s: row %zu, column %d (%s): expected %s, got '%s'", b->path, row,
                              bad + 1, head[bad], what[bad], f[bad]);
    b->n++;
    return DSIM_OK;
}

/* The policies in the order met; the rounds of the first policy's first seed are the x. */
static int fill(bandit_rows *b, double lai_robbins, dsim_chart *c)
{
    char names[DSIM_CHART_MAX_SERIES][DSIM_CHART_LABEL_MAX];
    int n_policies = 0;
    for (size_t i = 0; i < b->n; i++) {
        int p = 0;
        while (p < n_policies && strcmp(names[p], b->p[i].policy))
            p++;
        if (p == n_policies) {
            if (n_policies == DSIM_CHART_MAX_SERIES - 1)
                return dsim_error_set(DSIM_EINVAL, "%s: more than %d policies", b->path, DSIM_CHART_MAX_SERIES - 1);
            snprintf(names[n_policies++], sizeof names[0], "%s", b->p[i].policy);
        }
        b->p[i].policy_index = p;
    }
    qsort(b->p, b->n, sizeof *b->p, by_point);
    for (size_t i = 1; i < b->n; i++) /* one value per seed: a file appended to itself is refused */
        if (b->p[i - 1].policy_index == b->p[i].policy_index && b->p[i - 1].round == b->p[i].round &&
            b->p[i - 1].seed == b->p[i].seed)
            return dsim_error_set(DSIM_ECONFIG, "%s: rows %zu and %zu are both %s, seed %llu, round %llu", b->path,
                                  b->p[i - 1].row, b->p[i].row, b->p[i].policy, b->p[i].seed, b->p[i].round);
    /* Rounds: every distinct round, ascending. */
    double *rounds = malloc(b->n * sizeof *rounds), *sample = malloc(b->n * sizeof *sample);
    size_t n_rounds = 0, max_seeds = 0;
    int rc = rounds && sample ? DSIM_OK : dsim_error_set(DSIM_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < b->n; i++) {
        size_t k = 0;
        while (k < n_rounds && rounds[k] != (double)b->p[i].round)
            k++;
        if (k == n_rounds)
            rounds[n_rounds++] = (double)b->p[i].round;
    }
    for (size_t i = 1; !rc && i < n_rounds; i++) /* insertion sort: a few dozen checkpoints */
        for (size_t k = i; k > 0 && rounds[k - 1] > rounds[k]; k--) {
            double t = rounds[k];
            rounds[k] = rounds[k - 1];
            rounds[k - 1] = t;
        }
    size_t i = 0; /* the sorted points, walked once: policy by policy, round by round */
    for (int p = 0; !rc && p < n_policies; p++) {
        dsim_chart_series *s;
        if ((rc = dsim_chart_add_series(c, names[p], p, n_rounds, true, &s)))
            break;
        for (size_t k = 0; k < n_rounds; k++) {
            size_t m = 0;
            for (; i < b->n && b->p[i].policy_index == p && (double)b->p[i].round == rounds[k]; i++)
                sample[m++] = b->p[i].regret;
            max_seeds = m > max_seeds ? m : max_seeds;
            dsim_estimate e = dsim_metrics_estimate_mean(sample, m);
            s->x[k] = rounds[k];
            s->y[k] = m ? e.mean : NAN;
            s->lo[k] = isnan(e.half_width) ? NAN : e.mean - e.half_width;
            s->hi[k] = isnan(e.half_width) ? NAN : e.mean + e.half_width;
        }
    }
    if (!rc && lai_robbins > 0) {
        dsim_chart_series *s;
        if (!(rc = dsim_chart_add_series(c, "Lai-Robbins C ln t", dsim_chart_ramp(0), n_rounds, false, &s))) {
            s->dashed = true;
            for (size_t k = 0; k < n_rounds; k++) {
                s->x[k] = rounds[k];
                s->y[k] = lai_robbins * log(rounds[k]);
            }
        }
    }
    c->style = DSIM_CHART_LINES;
    c->log_x = true;
    snprintf(c->title, sizeof c->title, "Regret against rounds");
    const char *slash = strrchr(b->path, '/'); /* the file's name: its directory says nothing here */
    snprintf(c->subtitle, sizeof c->subtitle, "%.80s; mean of %zu seeds, band: 95 %% across seeds%s",
             slash ? slash + 1 : b->path, max_seeds, lai_robbins > 0 ? "; dashed: Lai & Robbins' lower bound C ln t" : "");
    snprintf(c->x_label, sizeof c->x_label, "round t (log scale)");
    snprintf(c->y_label, sizeof c->y_label, "pseudo-regret (expected reward lost)");
    free(rounds);
    free(sample);
    return rc;
}

int dsim_chart_from_bandit_csv(const char *path, double lai_robbins, dsim_figure *out)
{
    memset(out, 0, sizeof *out);
    bandit_rows b = {path, NULL, 0, 0};
    int rc = dsim__csv_each(path, read_row, &b);
    if (rc == DSIM_EIO || (rc && !strstr(dsim_errmsg(), path)))
        rc = dsim_error_prefix(rc, "%s", path);
    if (!rc && b.n == 0)
        rc = dsim_error_set(DSIM_ECONFIG, "%s: no rows after the header", path);
    if (!rc) {
        out->n_panels = 1;
        out->columns = 1;
        rc = fill(&b, lai_robbins, &out->panel[0]);
        snprintf(out->title, sizeof out->title, "%s", out->panel[0].title);
    }
    free(b.p);
    if (rc)
        dsim_figure_clear(out);
    return rc;
}
