/*
 * log_format.c — a context as the named columns of a log row, and back.
 */
#include "dsim/log.h"

#include <string.h>

const char *const dsim_log_context_names[DSIM_LOG_CONTEXT_COLUMNS] = {
    "day",           "n_visits",          "n_purchases",          "n_discounted",  "n_discounted_purchases",
    "days_since_visit", "days_since_purchase", "purchase_rate",   "discount_rate", "recent_discount_rate",
    "recent_discount_level", "mean_price", "mean_score",          "top_category",  "budget_left",
};

void dsim_log_context_encode(const dsim_context *c, double *x)
{
    const double columns[DSIM_LOG_CONTEXT_COLUMNS] = {
        c->day,          c->n_visits,          c->n_purchases,          c->n_discounted,  c->n_discounted_purchases,
        c->days_since_visit, c->days_since_purchase, c->purchase_rate,  c->discount_rate, c->recent_discount_rate,
        c->recent_discount_level, c->mean_price, c->mean_score,         c->top_category,  c->budget_left,
    };
    memcpy(x, columns, sizeof columns);
}

void dsim_log_context_decode(const double *x, dsim_context *c)
{
    *c = (dsim_context){
        .day = x[0],
        .n_visits = (uint32_t)x[1],
        .n_purchases = (uint32_t)x[2],
        .n_discounted = (uint32_t)x[3],
        .n_discounted_purchases = (uint32_t)x[4],
        .days_since_visit = x[5],
        .days_since_purchase = x[6],
        .purchase_rate = x[7],
        .discount_rate = x[8],
        .recent_discount_rate = x[9],
        .recent_discount_level = x[10],
        .mean_price = x[11],
        .mean_score = x[12],
        .top_category = (int)x[13],
        .budget_left = x[14],
    };
}
