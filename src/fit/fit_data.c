/*
 * fit_data.c — visits as the fit reads them (dsim/fit.h): gathered one by one as a log is read, then grouped by
 * shopper in log order with each visit's covariates (1, d, d − r), r the shopper's own reference discount.
 */
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "dsim/fit.h"
#include "fit/fit_impl.h"

enum { P = DSIM_FIT_PARAMS };

/* ---- grouped by shopper ------------------------------------------------------------------------------------- */

typedef struct {
    uint64_t shopper;
    size_t visit; /* its place in the log */
} visit_key;

static int by_shopper(const void *a, const void *b)
{
    const visit_key *x = a, *y = b;
    if (x->shopper != y->shopper)
        return x->shopper < y->shopper ? -1 : 1;
    return (x->visit > y->visit) - (x->visit < y->visit);
}

void dsim_fit_data_clear(dsim_fit_data *d)
{
    free(d->first);
    free(d->x);
    free(d->y);
    free(d->price);
    free(d->reward);
    memset(d, 0, sizeof *d);
}

int dsim_fit_data_build(dsim_fit_data *out, const uint64_t *shopper, const double *discount,
                        const unsigned char *purchased, const double *price, const double *reward, size_t n,
                        double memory, double reference0)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return dsim_error_set(DSIM_EINVAL, "no visits to fit");
    for (size_t t = 0; t < n; t++)
        if (!(discount[t] >= 0 && discount[t] <= 1))
            return dsim_error_set(DSIM_EINVAL, "visit %zu: a discount of %g, expected a fraction in [0, 1]", t + 1,
                                  discount[t]);
    visit_key *keys = malloc(n * sizeof *keys);
    out->x = malloc(n * P * sizeof *out->x);
    out->y = malloc(n);
    out->first = malloc((n + 1) * sizeof *out->first);
    out->price = price ? malloc(n * sizeof *out->price) : NULL;
    out->reward = reward ? malloc(n * sizeof *out->reward) : NULL;
    if (!keys || !out->x || !out->y || !out->first || (price && !out->price) || (reward && !out->reward)) {
        free(keys);
        dsim_fit_data_clear(out);
        return dsim_error_set(DSIM_ENOMEM, "out of memory for %zu visits", n);
    }
    for (size_t t = 0; t < n; t++)
        keys[t] = (visit_key){shopper[t], t};
    qsort(keys, n, sizeof *keys, by_shopper);
    double r = reference0;
    for (size_t j = 0; j < n; j++) {
        size_t t = keys[j].visit;
        if (j == 0 || keys[j].shopper != keys[j - 1].shopper) { /* a new shopper: their own memory starts */
            out->first[out->n_shoppers++] = j;
            r = reference0;
        }
        double d = discount[t];
        out->x[j * P + 0] = 1;
        out->x[j * P + 1] = d;
        out->x[j * P + 2] = d - r;
        out->y[j] = purchased[t] ? 1 : 0;
        if (price)
            out->price[j] = price[t];
        if (reward)
            out->reward[j] = reward[t];
        r = memory * r + (1 - memory) * d;
    }
    out->first[out->n_shoppers] = n;
    out->n_visits = n;
    free(keys);
    return DSIM_OK;
}

void dsim__fit_visits_clear(dsim__fit_visits *v)
{
    free(v->shopper);
    free(v->discount);
    free(v->price);
    free(v->reward);
    free(v->bought);
    memset(v, 0, sizeof *v);
}

int dsim__fit_visits_push(dsim__fit_visits *v, uint64_t shopper, double discount, bool bought, double price,
                          double reward)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 65536;
        uint64_t *s = realloc(v->shopper, cap * sizeof *s);
        if (s)
            v->shopper = s;
        double *d = realloc(v->discount, cap * sizeof *d);
        if (d)
            v->discount = d;
        double *p = realloc(v->price, cap * sizeof *p);
        if (p)
            v->price = p;
        double *r = realloc(v->reward, cap * sizeof *r);
        if (r)
            v->reward = r;
        unsigned char *b = realloc(v->bought, cap);
        if (b)
            v->bought = b;
        if (!s || !d || !p || !r || !b)
            return dsim_error_set(DSIM_ENOMEM, "out of memory after %zu visits", v->n);
        v->cap = cap;
    }
    v->shopper[v->n] = shopper;
    v->discount[v->n] = discount;
    v->price[v->n] = price;
    v->reward[v->n] = reward;
    v->bought[v->n++] = bought;
    return DSIM_OK;
}

int dsim__fit_visits_build(dsim__fit_visits *v, bool with_prices, bool with_rewards, double memory,
                           double reference0, dsim_fit_data *out)
{
    int rc = dsim_fit_data_build(out, v->shopper, v->discount, v->bought, with_prices ? v->price : NULL,
                                 with_rewards ? v->reward : NULL, v->n, memory, reference0);
    dsim__fit_visits_clear(v);
    return rc;
}

