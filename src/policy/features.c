/*
 * features.c — the observable context as a feature vector and as a discrete state (dsim/features.h).
 */
#include "dsim/features.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "core/text.h"
#include "dsim/error.h"

static const char *const feature_names[] = {
#define DSIM_FEATURE_NAME(id, name, doc) name,
    DSIM_FEATURE_LIST(DSIM_FEATURE_NAME)
#undef DSIM_FEATURE_NAME
};

static const char *const feature_docs[] = {
#define DSIM_FEATURE_DOC(id, name, doc) doc,
    DSIM_FEATURE_LIST(DSIM_FEATURE_DOC)
#undef DSIM_FEATURE_DOC
};

const char *dsim_features_name(dsim_feature f)
{
    return feature_names[f];
}

const char *dsim_features_doc(dsim_feature f)
{
    return feature_docs[f];
}

int dsim_features_find(const char *name)
{
    for (int f = 0; f < DSIM_N_FEATURES; f++)
        if (strcmp(feature_names[f], name) == 0)
            return f;
    return -1;
}

int dsim_features_parse(const char *list, uint32_t *mask)
{
    uint32_t m = 0;
    const char *p = list;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, ", \t");
        char word[64];
        if (n >= sizeof word)
            return dsim_error_set(DSIM_ECONFIG, "features: '%.*s…' is too long for a feature name", 20, p);
        memcpy(word, p, n);
        word[n] = '\0';
        p += n;
        if (strcmp(word, "all") == 0) {
            m |= DSIM_FEATURES_ALL;
            continue;
        }
        int f = dsim_features_find(word);
        if (f < 0) {
            const char *near = dsim__nearest(word, feature_names, DSIM_N_FEATURES);
            if (near)
                return dsim_error_set(DSIM_ECONFIG, "features: unknown feature '%s'; did you mean '%s'?", word, near);
            char known[512] = "";
            size_t used = 0;
            for (int k = 0; k < DSIM_N_FEATURES && used < sizeof known; k++)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "", feature_names[k]);
            return dsim_error_set(DSIM_ECONFIG, "features: unknown feature '%s' (known: %s, or all)", word, known);
        }
        m |= 1u << f;
    }
    if (!m)
        return dsim_error_set(DSIM_ECONFIG, "features: expected a comma-separated list of feature names, got '%s'",
                              list);
    *mask = m;
    return DSIM_OK;
}

static int category_columns(const dsim_policy_env *env)
{
    return env->n_categories > 1 ? env->n_categories - 1 : 0;
}

int dsim_features_dim(uint32_t mask, const dsim_policy_env *env)
{
    int d = 0;
    for (int f = 0; f < DSIM_N_FEATURES; f++)
        if (mask & (1u << f))
            d += f == DSIM_FEATURE_CATEGORY ? category_columns(env) : 1;
    return d;
}

/* ln(1 + days) / ln(366), and 1 when the event never happened (days < 0). */
static double recency(double days)
{
    return days < 0 ? 1.0 : fmin(1.0, log1p(days) / log(366.0));
}

void dsim_features_build(uint32_t mask, const dsim_policy_env *env, const dsim_context *ctx, double *x)
{
    int d = 0;
    bool item = ctx->for_item; /* scope item: the slate features describe the item being priced */
    for (int f = 0; f < DSIM_N_FEATURES; f++) {
        if (!(mask & (1u << f)))
            continue;
        switch ((dsim_feature)f) {
        case DSIM_FEATURE_BIAS:
            x[d++] = 1.0;
            break;
        case DSIM_FEATURE_VISITS:
            x[d++] = log1p(ctx->n_visits) / log(101.0);
            break;
        case DSIM_FEATURE_VISIT_RECENCY:
            x[d++] = recency(ctx->days_since_visit);
            break;
        case DSIM_FEATURE_PURCHASE_RECENCY:
            x[d++] = recency(ctx->days_since_purchase);
            break;
        case DSIM_FEATURE_CONVERSION:
            x[d++] = ctx->purchase_rate;
            break;
        case DSIM_FEATURE_DISCOUNT_USE:
            x[d++] = ctx->n_purchases ? (double)ctx->n_discounted_purchases / ctx->n_purchases : 0.0;
            break;
        case DSIM_FEATURE_RECENT_DISCOUNT:
            x[d++] = ctx->recent_discount_rate;
            break;
        case DSIM_FEATURE_RECENT_LEVEL:
            x[d++] = env->levels[env->n_levels - 1] > 0 ? ctx->recent_discount_level / env->levels[env->n_levels - 1]
                                                        : 0.0;
            break;
        case DSIM_FEATURE_SLATE_SCORE:
            x[d++] = item ? ctx->item_score : ctx->mean_score;
            break;
        case DSIM_FEATURE_SLATE_PRICE: {
            double price = item ? ctx->item_price : ctx->mean_price;
            x[d++] = env->mean_price > 0 && price > 0 ? log(price / env->mean_price) : 0.0;
            break;
        }
        case DSIM_FEATURE_CATEGORY:
            /* The first category is the baseline the bias absorbs, so the columns stay linearly independent. */
            for (int c = 1; c <= category_columns(env); c++)
                x[d++] = (item ? ctx->item_category : ctx->top_category) == c ? 1.0 : 0.0;
            break;
        case DSIM_FEATURE_BUDGET_LEFT:
            x[d++] = ctx->budget_left;
            break;
        case DSIM_N_FEATURES:
            break;
        }
    }
}

int dsim_features_state(const dsim_context *ctx, double top_level)
{
    double since_visit = ctx->days_since_visit, since_purchase = ctx->days_since_purchase;
    int recency_bucket = since_visit < 0 ? 0 : since_visit <= 7 ? 1 : since_visit <= 30 ? 2 : 3;
    int history_bucket = since_purchase < 0 ? 0 : since_purchase <= 30 ? 1 : 2;
    /* Taught discount ÷ the highest level, in buckets that double: [0, 1/32), [1/32, 1/16), … [1/2, 1]. */
    double taught = top_level > 0 ? ctx->recent_discount_level / top_level : 0.0, edge = 1.0 / 32;
    int discount_bucket = 0;
    while (discount_bucket < DSIM_DISCOUNT_BUCKETS - 1 && taught >= edge)
        discount_bucket++, edge *= 2;
    return DSIM_DISCOUNT_BUCKETS * (3 * recency_bucket + history_bucket) + discount_bucket;
}
