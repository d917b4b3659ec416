/*
 * rerank.c — the selection stage: from the C candidates retrieved by score to the K items shown.
 *
 * In order: the popularity prior adds weight · ln(1 + purchases) to each candidate's score; the candidates
 * are ordered by that score (relevance) or by their expected value to the shop, P̂(buy) × what a sale
 * brings at the shop's mean discount, where P̂ = σ(θ0 + θ1 · score) is the shop's logistic model fitted
 * online (ranker.c); then they are taken in that order, skipping the item the shopper bought within
 * exclude_bought_days and any item whose category already has category_quota places. If that leaves the
 * slate short, the skipped candidates fill it in order, quota breaches before the recent purchase.
 * Everything here is what the shop observes: its scores, its own counts, list prices, costs, categories.
 */
#include <math.h>
#include <string.h>

#include "rank/ranker_impl.h"

typedef struct {
    uint32_t item;
    float score; /* relevance, the prior included */
    double key;  /* what the slate is ordered by */
    int rank;    /* retrieval order: breaks ties */
} candidate;

static double sale_value(const dsim_ranker *r, uint32_t item)
{
    double paid = dsim_world_item_price(r->world, item) * (1.0 - r->mean_discount);
    return r->sc->ranking.rerank == DSIM_RERANK_MARGIN ? paid - dsim_world_item_cost(r->world, item) : paid;
}

/* Descending key, then retrieval order: an insertion sort (C is small and mostly ordered already). */
static void order(candidate *c, int n)
{
    for (int i = 1; i < n; i++) {
        candidate x = c[i];
        int j = i;
        while (j > 0 && (c[j - 1].key < x.key || (c[j - 1].key == x.key && c[j - 1].rank > x.rank))) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = x;
    }
}

void dsim_ranker_select(const dsim_ranker *r, uint32_t shopper, double day, const uint32_t *candidates,
                        const float *candidate_scores, int n, int k, uint32_t *items, float *scores)
{
    const dsim_scenario *sc = r->sc;
    candidate c[DSIM_MAX_CANDIDATES];
    for (int i = 0; i < n; i++) {
        uint32_t item = candidates[i];
        double s = candidate_scores[i];
        if (r->purchases)
            s += sc->ranking.popularity_weight * log1p((double)r->purchases[item]);
        double key = s;
        if (sc->ranking.rerank != DSIM_RERANK_RELEVANCE) {
            double p = 1.0 / (1.0 + exp(-(r->purchase_logit[0] + r->purchase_logit[1] * s)));
            key = p * sale_value(r, item);
        }
        c[i] = (candidate){item, (float)s, key, i};
    }
    order(c, n);

    uint32_t recent = UINT32_MAX;
    if (r->last_bought && r->last_bought[shopper] != UINT32_MAX &&
        day - r->last_bought_day[shopper] < sc->ranking.exclude_bought_days)
        recent = r->last_bought[shopper];
    int quota = sc->ranking.category_quota, filled = 0, shown_category[DSIM_MAX_SLATE];
    bool taken[DSIM_MAX_CANDIDATES] = {false};
    /* Pass 0 honours both filters, pass 1 only the recent purchase, pass 2 neither. */
    for (int pass = 0; pass < 3 && filled < k; pass++)
        for (int i = 0; i < n && filled < k; i++) {
            if (taken[i] || (pass < 2 && c[i].item == recent))
                continue;
            int category = dsim_world_item_category(r->world, c[i].item), same = 0;
            for (int j = 0; j < filled; j++)
                same += shown_category[j] == category;
            if (pass == 0 && quota > 0 && same >= quota)
                continue;
            taken[i] = true;
            shown_category[filled] = category;
            items[filled] = c[i].item;
            scores[filled++] = c[i].score;
        }
}
