/*
 * fit_impl.h — shared by the files of src/fit/: visits gathered one by one, as a log is read, before they are
 * grouped by shopper (fit_data.c), and the shoppers' posteriors (latent_logit.c).
 */
#ifndef DSIM_FIT_IMPL_H
#define DSIM_FIT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "dsim/fit.h"

typedef struct {
    uint64_t *shopper;
    double *discount, *price; /* the discount as a fraction; the price shown (0 when the log has none) */
    double *reward;           /* what the visit earned, the scenario's objective (0 when the log has none) */
    unsigned char *bought;
    size_t n, cap;
} dsim__fit_visits;

/** Append one visit. @return 0 or DSIM_ENOMEM. */
int dsim__fit_visits_push(dsim__fit_visits *v, uint64_t shopper, double discount, bool bought, double price,
                          double reward);
/** Build the fitting data from the visits (prices and rewards only when the log has them), then free them. */
int dsim__fit_visits_build(dsim__fit_visits *v, bool with_prices, bool with_rewards, double memory,
                           double reference0, dsim_fit_data *out);
/** Free what the visits hold. */
void dsim__fit_visits_clear(dsim__fit_visits *v);

/** Each shopper's posterior over `m`'s segments given all their visits: tau (n_shoppers, k) (latent_logit.c).
    @return 0 or DSIM_ENOMEM. */
int dsim__fit_posteriors(const dsim_fit_data *d, const dsim_fit_model *m, double *tau);

#endif
