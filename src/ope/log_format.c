/*
 * log_format.c — a context as the named columns of a log row, and back. item_position is numbered from 1,
 * as every position in dsim's files; 0 marks a visit's decision.
 */
#include "dsim/log.h"

#include <string.h>

const char *const dsim_log_context_names[DSIM_LOG_CONTEXT_COLUMNS] = {
    "day",           "n_visits",          "n_purchases",          "n_discounted",  "n_discounted_purchases",
    "days_since_visit", "days_since_purchase", "purchase_rate",   "discount_rate", "recent_discount_rate",
    "recent_discount_level", "mean_price", "mean_score",          "top_category",  "budget_left",
    "item_position",  "item_price",        "item_score",            "item_category",
};

void dsim_log_context_encode(const dsim_context *c, double *x)
{
    const double columns[DSIM_LOG_CONTEXT_COLUMNS] = {
        c->day,          c->n_visits,          c->n_purchases,          c->n_discounted,  c->n_discounted_purchases,
        c->days_since_visit, c->days_since_purchase, c->purchase_rate,  c->discount_rate, c->recent_discount_rate,
        c->recent_discount_level, c->mean_price, c->mean_score,         c->top_category,  c->budget_left,
        c->for_item ? c->item_position + 1 : 0, c->for_item ? c->item_price : 0, c->for_item ? c->item_score : 0,
        c->for_item ? c->item_category : 0,
    };
    memcpy(x, columns, sizeof columns);
}

void dsim_log_context_decode(const double *x, int n, dsim_context *c)
{
    bool item = n >= DSIM_LOG_CONTEXT_COLUMNS && x[15] >= 1; /* positions numbered from 1; 0: a visit's */
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
        .for_item = item,
        .item_position = item ? (int)x[15] - 1 : 0,
        .item_price = item ? x[16] : 0,
        .item_score = item ? x[17] : 0,
        .item_category = item ? (int)x[18] : 0,
    };
}
