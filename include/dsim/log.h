/*
 * dsim/log.h — logged bandit feedback: one row per decision, what offline policy evaluation reads.
 *
 * A row holds what the shop knew (the context, as the named columns below), what it did (the action: a
 * discount level), with what probability (the logging policy's propensity), and what it got (the reward;
 * for dsim logs also the purchase flag and the position bought from). The same columns are the CSV log
 * format (README, "Logged feedback") and the `context` blob of the result database's `events` table.
 */
#ifndef DSIM_LOG_H
#define DSIM_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "dsim/policy.h"

/** The context columns of a log row, in order: every scalar of dsim_context a shop observes; the last four
 *  describe the item an item decision prices (discount scope item): item_position from 1, 0 for a visit's. */
#define DSIM_LOG_CONTEXT_COLUMNS 19
/** Logs written before the item columns have only the first 15; readers take them as a visit's (0). */
#define DSIM_LOG_CONTEXT_COLUMNS_V1 15
extern const char *const dsim_log_context_names[DSIM_LOG_CONTEXT_COLUMNS];

/** The context as its log columns. */
void dsim_log_context_encode(const dsim_context *ctx, double *columns);

/** A context from its first n log columns, n DSIM_LOG_CONTEXT_COLUMNS or DSIM_LOG_CONTEXT_COLUMNS_V1 (no
 *  slate: slate, scores are NULL and slate_size 0; for_item when item_position ≥ 0). */
void dsim_log_context_decode(const double *columns, int n, dsim_context *ctx);

/** One logged decision of a dsim run. */
typedef struct {
    uint64_t visit;
    int item;          /* scope item: the slate position whose decision this is; −1: the visit's decision */
    uint32_t shopper;
    int action;        /* the discount level given */
    double propensity; /* the logging policy's probability of that level */
    double reward;     /* the scenario's objective (scope item: what this item earned) */
    bool purchased;
    int position;      /* bought from, or −1 */
    double context[DSIM_LOG_CONTEXT_COLUMNS];
    int n_actions;                        /* levels of the distribution below, 0 when not recorded */
    double distribution[DSIM_MAX_LEVELS]; /* the logging policy's probability of every level */
} dsim_log_event;

#endif
