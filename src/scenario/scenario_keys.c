/*
 * scenario_keys.c — every scenario key, once: where it goes, its default, its range and its meaning.
 *
 * Defaults are chosen so that the trade-off is real: with the default segment a discount buys some
 * conversions, but not enough to pay for itself on every shopper.
 */
#include "scenario/scenario_keys.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dsim/scenario.h"
#include "scenario/strategy.h"

#define G(field) offsetof(dsim_scenario, field)
#define S(field) offsetof(dsim_segment_config, field)
#define H(field) offsetof(dsim_shock_config, field)
#define BIG 1e15

const char *const dsim__objective_names[] = {"revenue", "profit", "conversions", NULL};
const char *const dsim__scope_names[] = {"visit", "item", NULL};
const char *const dsim__score_names[] = {"dot", "cosine", NULL};
const char *const dsim__rerank_names[] = {"relevance", "revenue", "margin", NULL};
const char *const dsim__update_names[] = {"visits", "hourly", "daily", NULL};

static const scenario_key base_keys[] = {
    {SECTION_SCENARIO, "name", KEY_STRING, G(name), DSIM_NAME_MAX, "unnamed", 0, 0, "",
     "Short name, shown in tables and stored with each run", NULL, 0},
    {SECTION_SCENARIO, "description", KEY_STRING, G(description), 256, "", 0, 0, "", "One line on the story it tells", NULL, 0},
    {SECTION_SCENARIO, "seed", KEY_U64, G(seed), 0, "1", 0, 0, "",
     "Base random seed; `--seeds K` runs seeds seed, seed+1, …, seed+K−1", NULL, 0},
    {SECTION_SCENARIO, "visits", KEY_DOUBLE, G(visits), 0, "200000", 1, 1e10, "visits",
     "Horizon in visits (set this or `days`)", NULL, 0},
    {SECTION_SCENARIO, "days", KEY_DOUBLE, G(days), 0, "0", 1e-6, 1e6, "days",
     "Horizon in days: visits = days × total arrival rate", NULL, 0},
    {SECTION_SCENARIO, "shoppers", KEY_INT, G(shoppers), 0, "100000", 1, 1e8, "shoppers", "Population size", NULL, 0},
    {SECTION_SCENARIO, "checkpoints", KEY_INT, G(checkpoints), 0, "100", 1, 100000, "rows",
     "Time-series rows stored per run", NULL, 0},

    {SECTION_CATALOG, "items", KEY_INT, G(catalog.items), 0, "1000", 1, 1e8, "items", "Number of items", NULL, 0},
    {SECTION_CATALOG, "categories", KEY_INT, G(catalog.categories), 0, "10", 1, 10000, "categories",
     "Number of categories; each has a taste centre and a margin", NULL, 0},
    {SECTION_CATALOG, "embedding_dim", KEY_INT, G(catalog.embedding_dim), 0, "16", 1, DSIM_MAX_DIM, "dimensions",
     "Dimension d of taste vectors", NULL, 0},
    {SECTION_CATALOG, "price_median", KEY_DOUBLE, G(catalog.price_median), 0, "40", 1e-6, 1e9, "currency",
     "Median list price (prices are log-normal)", NULL, 0},
    {SECTION_CATALOG, "price_sigma", KEY_DOUBLE, G(catalog.price_sigma), 0, "0.6", 0, 5, "log-units",
     "σ of ln(list price); 0 gives every item the median price", NULL, 0},
    {SECTION_CATALOG, "margin_min", KEY_DOUBLE, G(catalog.margin_min), 0, "0.2", -1, 0.99, "fraction",
     "Lowest category margin (price − cost) / price", NULL, 0},
    {SECTION_CATALOG, "margin_max", KEY_DOUBLE, G(catalog.margin_max), 0, "0.5", -1, 0.99, "fraction",
     "Highest category margin; each category draws its margin uniformly in [min, max]", NULL, 0},
    {SECTION_CATALOG, "category_spread", KEY_DOUBLE, G(catalog.category_spread), 0, "0.5", 0, 100, "",
     "Spread of item taste vectors around their category's centre", NULL, 0},

    {SECTION_BEHAVIOUR, "slate_size", KEY_INT, G(behaviour.slate_size), 0, "6", 1, DSIM_MAX_SLATE, "items",
     "K: items shown per visit", NULL, 0},
    {SECTION_BEHAVIOUR, "taste_weight", KEY_DOUBLE, G(behaviour.taste_weight), 0, "3", 0, 1000, "utility",
     "a: weight of the taste match ⟨e_u, e_i⟩ in the utility", NULL, 0},
    {SECTION_BEHAVIOUR, "outside_utility", KEY_DOUBLE, G(behaviour.outside_utility), 0, "3.5", -100, 100,
     "utility", "V0: utility of buying nothing", NULL, 0},
    {SECTION_BEHAVIOUR, "position_penalty", KEY_DOUBLE, G(behaviour.position_penalty), 0, "0.1", 0, 100,
     "utility", "Utility lost per position down the slate", NULL, 0},
    {SECTION_BEHAVIOUR, "examine_top", KEY_DOUBLE, G(behaviour.examine_top), 0, "0.95", 1e-6, 1, "probability",
     "η_1: probability that the first position is examined", NULL, 0},
    {SECTION_BEHAVIOUR, "examine_decay", KEY_DOUBLE, G(behaviour.examine_decay), 0, "0.85", 0, 1, "",
     "η_k = examine_top · examine_decay^(k−1)", NULL, 0},
    {SECTION_BEHAVIOUR, "click_bias", KEY_DOUBLE, G(behaviour.click_bias), 0, "1.5", -100, 100, "utility",
     "An examined item is clicked with probability σ(V − V0 + click_bias)", NULL, 0},
    {SECTION_BEHAVIOUR, "demand", KEY_ENUM, G(behaviour.demand), 0, "mnl", 0, 0, "",
     "The purchase decision, a demand model", NULL, STRATEGY_DEMAND},

    {SECTION_RANKING, "embeddings", KEY_ENUM, G(ranking.embeddings), 0, "noisy", 0, 0, "",
     "Where the shop's estimates of the taste vectors come from, an embedding source", NULL, STRATEGY_EMBEDDINGS},
    {SECTION_RANKING, "embedding_noise", KEY_DOUBLE, G(ranking.embedding_noise), 0, "0.2", 0, 100, "",
     "σ of the Gaussian noise on the shop's estimates of the taste vectors (per coordinate × 1/√d); "
     "embeddings = history uses it for the items",
     NULL, 0},
    {SECTION_RANKING, "history_rate", KEY_DOUBLE, G(ranking.history_rate), 0, "0.3", 1e-6, 1, "",
     "embeddings = history or file: weight of the newest clicked item in a shopper's running mean "
     "(recency weighting)",
     NULL, 0},
    {SECTION_RANKING, "purchase_weight", KEY_DOUBLE, G(ranking.purchase_weight), 0, "3", 0, 1000, "clicks",
     "embeddings = history, file or learned: a purchase counts as this many clicks", NULL, 0},
    {SECTION_RANKING, "cold_start_noise", KEY_DOUBLE, G(ranking.cold_start_noise), 0, "1", 0, 100, "",
     "embeddings = history, file or learned: a shopper the shop knows nothing about gets a random direction "
     "of this length (seeded by the shopper), so new shoppers see varied slates; history washes it out",
     NULL, 0},
    {SECTION_RANKING, "batch", KEY_INT, G(ranking.batch), 0, "256", 1, 65536, "visits",
     "Visits whose candidates are retrieved together, one cblas_sgemm per catalog block. Estimates that "
     "learn (history, learned) are used as they stood at the batch's start, so feedback reaches the next "
     "batch (a delayed update); 1: each visit ranked on arrival by the per-visit exact ranker",
     NULL, 0},
    {SECTION_RANKING, "candidates", KEY_INT, G(ranking.candidates), 0, "0", 0, DSIM_MAX_CANDIDATES, "items",
     "Items retrieved per visit by score before the filters and re-ranking pick the slate; 0: the slate size "
     "(4 × the slate size when a filter, the popularity prior or re-ranking is on)",
     NULL, 0},
    {SECTION_RANKING, "exclude_bought_days", KEY_DOUBLE, G(ranking.exclude_bought_days), 0, "0", 0, 1e6, "days",
     "Filter: do not show a shopper the item they last bought if they bought it less than this many days ago "
     "(0: off)",
     NULL, 0},
    {SECTION_RANKING, "category_quota", KEY_INT, G(ranking.category_quota), 0, "0", 0, DSIM_MAX_SLATE, "items",
     "Filter: at most this many items of one category in a slate, for diversity (0: off)", NULL, 0},
    {SECTION_RANKING, "popularity_weight", KEY_DOUBLE, G(ranking.popularity_weight), 0, "0", 0, 1e6, "score",
     "Prior: the candidates' scores gain weight × ln(1 + purchases of the item so far) (0: off)", NULL, 0},
    {SECTION_RANKING, "rerank", KEY_ENUM, G(ranking.rerank), 0, "relevance", 0, 0, "",
     "Order of the slate: relevance (score), revenue (predicted purchase probability × price after the "
     "shop's mean discount) or margin (× price after that discount minus cost); the probability is the "
     "shop's logistic model of purchase on score, fitted online from what it showed",
     dsim__rerank_names, 0},
    {SECTION_RANKING, "relevant_items", KEY_INT, G(ranking.relevant_items), 0, "10", 1, 1000, "items",
     "Ranking quality: a shopper's R items of highest true utility (taste and price at no discount, no "
     "position effect) are the relevant ones for precision@K, recall@K and NDCG@K",
     NULL, 0},
    {SECTION_RANKING, "quality_every", KEY_INT, G(ranking.quality_every), 0, "16", 1, 1000000, "visits",
     "Ranking quality is measured on every N-th visit (it scores the whole catalog against the truth)", NULL, 0},

    {SECTION_RANKING, "score", KEY_ENUM, G(ranking.score), 0, "dot", 0, 0, "",
     "How the shop scores an item for a shopper: dot (⟨ê_u, ê_i⟩) or cosine (on unit-length estimates)",
     dsim__score_names, 0},
    {SECTION_DISCOUNTS, "levels", KEY_LEVELS, G(discounts.levels), 0, "0, 5, 10, 15, 20, 30", 0, 99.999,
     "percent", "Discount levels a policy may choose, ascending, comma-separated", NULL, 0},
    {SECTION_DISCOUNTS, "objective", KEY_ENUM, G(discounts.objective), 0, "profit", 0, 0, "",
     "What policies maximise and regret is measured in: revenue, profit or conversions", dsim__objective_names, 0},
    {SECTION_DISCOUNTS, "scope", KEY_ENUM, G(discounts.scope), 0, "visit", 0, 0, "",
     "visit: one level for the whole slate; item: a level for each shown item, decided item by item with the "
     "item's price, score and category in the context", dsim__scope_names, 0},
    {SECTION_DISCOUNTS, "budget", KEY_DOUBLE, G(discounts.budget), 0, "0", 0, BIG, "currency",
     "Total discount spend allowed; once spent, every visit gets the lowest level. 0: unlimited", NULL, 0},

    {SECTION_LEARNING, "update", KEY_ENUM, G(learning.update), 0, "visits", 0, 0, "",
     "When policies learn: visits (every update_every visits), hourly or daily by the world's clock; between "
     "updates every policy acts on its frozen state, and at an update it learns from the batch in arrival order",
     dsim__update_names, 0},
    {SECTION_LEARNING, "update_every", KEY_INT, G(learning.update_every), 0, "1", 1, 100000000, "visits",
     "Visits between updates when update = visits; 1 learns from each visit at once", NULL, 0},
    {SECTION_LEARNING, "attribution_window", KEY_DOUBLE, G(learning.attribution_window), 0, "7", 0, 1e6, "days",
     "A purchase up to this many days after a visit is credited to the visit; a later one never reaches the "
     "policy that made the offer (it still counts in the run's metrics)", NULL, 0},

    {SECTION_SEGMENT, "share", KEY_DOUBLE, S(share), 0, "1", 0, 1, "fraction",
     "Share of the population; shares of all segments sum to 1, or 0 switches the segment off (the others fill its place)", NULL, 0},
    {SECTION_SEGMENT, "elasticity_mean", KEY_DOUBLE, S(elasticity_mean), 0, "2.6", 1e-6, 100, "",
     "Mean price sensitivity β (log-normal across shoppers); 2.6 is the mean of published elasticities", NULL, 0},
    {SECTION_SEGMENT, "elasticity_sd", KEY_DOUBLE, S(elasticity_sd), 0, "0.5", 0, 100, "",
     "Standard deviation of β across shoppers", NULL, 0},
    {SECTION_SEGMENT, "deal_proneness_mean", KEY_DOUBLE, S(deal_proneness_mean), 0, "0.3", 0, 100, "utility",
     "Mean γ: extra utility of \"a discount is on\", beyond the lower price", NULL, 0},
    {SECTION_SEGMENT, "deal_proneness_sd", KEY_DOUBLE, S(deal_proneness_sd), 0, "0.1", 0, 100, "utility",
     "Standard deviation of γ (normal, truncated at 0)", NULL, 0},
    {SECTION_SEGMENT, "memory", KEY_DOUBLE, S(memory), 0, "0.8", 0, 1, "",
     "λ: reference discount update r ← λ·r + (1−λ)·d after each visit; 1 = never moves", NULL, 0},
    {SECTION_SEGMENT, "loss_aversion", KEY_DOUBLE, S(loss_aversion), 0, "2", 1, 100, "",
     "κ: a price above the expected one hurts κ times as much as the same gain pleases", NULL, 0},
    {SECTION_SEGMENT, "initial_reference", KEY_DOUBLE, S(initial_reference), 0, "0", 0, 0.99, "fraction",
     "Reference discount r at the start", NULL, 0},
    {SECTION_SEGMENT, "visit_rate", KEY_DOUBLE, S(visit_rate), 0, "0.1", 1e-9, 1e6, "visits/day",
     "Visits per shopper per day", NULL, 0},
    {SECTION_SEGMENT, "churn_base", KEY_DOUBLE, S(churn_base), 0, "0", 0, 1, "probability",
     "Per-visit probability of leaving for good, for a content shopper", NULL, 0},
    {SECTION_SEGMENT, "churn_unhappy", KEY_DOUBLE, S(churn_unhappy), 0, "0", 0, 1, "probability",
     "Added to the churn probability by each visit without a purchase", NULL, 0},
    {SECTION_SEGMENT, "churn_recovery", KEY_DOUBLE, S(churn_recovery), 0, "0.5", 0, 1, "",
     "After a purchase, the churn probability's excess over churn_base is multiplied by this", NULL, 0},
    {SECTION_SEGMENT, "taste_spread", KEY_DOUBLE, S(taste_spread), 0, "0.5", 0, 100, "",
     "Spread of shoppers' taste vectors around the segment's centre", NULL, 0},
    {SECTION_SEGMENT, "affinity", KEY_DOUBLE, S(affinity), 0, "0", -100, 100, "utility",
     "Utility every item has for the segment's shoppers (attachment to the shop): loyal buyers who buy anyway "
     "have a high one", NULL, 0},
    {SECTION_SEGMENT, "favourite_category", KEY_INT, S(favourite_category), 0, "-1", -1, 9999, "category",
     "Category whose centre the segment's taste centre is; −1: a random direction", NULL, 0},
    {SECTION_SEGMENT, "delay_immediate", KEY_DOUBLE, S(delay_immediate), 0, "1", 0, 1, "probability",
     "Probability that a purchase happens during the visit; the others happen later and reach the shop then",
     NULL, 0},
    {SECTION_SEGMENT, "delay_mean_days", KEY_DOUBLE, S(delay_mean_days), 0, "0", 0, 1e6, "days",
     "Mean of the exponential delay from the visit to a later purchase (Chapelle 2014's model); needed when "
     "delay_immediate < 1", NULL, 0},

    {SECTION_SHOCK, "at_visit", KEY_DOUBLE, H(at_visit), 0, "-1", 0, 1e10, "visit",
     "Visit index at which the shock happens (set this or at_day)", NULL, 0},
    {SECTION_SHOCK, "at_day", KEY_DOUBLE, H(at_day), 0, "-1", 0, 1e6, "day", "Day at which the shock happens", NULL, 0},
    {SECTION_SHOCK, "segment", KEY_STRING, H(segment), DSIM_NAME_MAX, "all", 0, 0, "",
     "Segment affected (its NAME), or all", NULL, 0},
    {SECTION_SHOCK, "elasticity_factor", KEY_DOUBLE, H(elasticity_factor), 0, "1", 1e-6, 1000, "×",
     "Multiplies the segment's price sensitivity β", NULL, 0},
    {SECTION_SHOCK, "share", KEY_DOUBLE, H(share), 0, "-1", 0, 1, "fraction",
     "New share of arrivals for the segment (others scaled to fill the rest); −1: unchanged", NULL, 0},
    {SECTION_SHOCK, "outside_utility", KEY_DOUBLE, H(outside_utility), 0, "nan", -100, 100, "utility",
     "New outside-option utility V0 for everyone; unset: unchanged", NULL, 0},
};

static const size_t n_base_keys = sizeof base_keys / sizeof base_keys[0];

/* ---- the models' keys, merged in ---------------------------------------------------------------------- */

enum { MAX_MODELS = 32, MAX_ALL_KEYS = 256 };

static scenario_key all_keys[MAX_ALL_KEYS];
static size_t n_all_keys;
static const char *family_names[STRATEGY_FAMILIES][MAX_MODELS + 1];
static size_t region[STRATEGY_FAMILIES][MAX_MODELS], segment_region[STRATEGY_FAMILIES][MAX_MODELS];
static char family_doc[STRATEGY_FAMILIES][2048]; /* a choosing key's doc: its own, then each model's summary */
static pthread_once_t built = PTHREAD_ONCE_INIT;

const dsim__strategy *dsim__strategy_of(strategy_family family, size_t i)
{
    return family == STRATEGY_DEMAND       ? dsim__demand_strategy(i)
           : family == STRATEGY_EMBEDDINGS ? dsim__embeddings_strategy(i)
                                           : NULL;
}

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static void add(const scenario_key *k)
{
    assert(n_all_keys < MAX_ALL_KEYS);
    all_keys[n_all_keys++] = *k;
}

/* Family f's model keys of `section`, placed where they are stored. */
static void add_model_keys(strategy_family f, scenario_section section)
{
    const dsim__strategy *m;
    for (size_t i = 0; (m = dsim__strategy_of(f, i)); i++)
        for (size_t j = 0; j < m->n_keys; j++) {
            if (m->keys[j].section != section)
                continue;
            scenario_key k = m->keys[j];
            k.offset += section == SECTION_SEGMENT
                            ? offsetof(dsim_segment_config, strategy_config) + segment_region[f][i]
                            : offsetof(dsim_scenario, strategy_config) + region[f][i];
            add(&k);
        }
}

/* Each model's config gets its region of the scenario's (and each segment's) strategy_config, in list order. */
static void lay_out(void)
{
    size_t used = 0, segment_used = 0;
    for (int f = 1; f < STRATEGY_FAMILIES; f++) {
        const dsim__strategy *m;
        size_t i = 0;
        for (; (m = dsim__strategy_of((strategy_family)f, i)); i++) {
            assert(i < MAX_MODELS);
            family_names[f][i] = m->name;
            region[f][i] = used;
            segment_region[f][i] = segment_used;
            used += round8(m->config_size);
            segment_used += round8(m->segment_config_size);
        }
        family_names[f][i] = NULL;
    }
    assert(used <= DSIM_STRATEGY_CONFIG_MAX && segment_used <= DSIM_STRATEGY_SEGMENT_CONFIG_MAX);
}

/* "DOC. a: its summary; b: …", from the list, so that the docs name every model there is. */
static const char *document_family(strategy_family f, const char *doc)
{
    char *out = family_doc[f];
    size_t n = sizeof family_doc[f], used = (size_t)snprintf(out, n, "%s.", doc);
    const dsim__strategy *m;
    for (size_t i = 0; (m = dsim__strategy_of(f, i)) && used < n; i++)
        used += (size_t)snprintf(out + used, n - used, "%s %s: %s", i == 0 ? "" : ";", m->name, m->summary);
    return out;
}

static void build(void)
{
    lay_out();
    for (size_t i = 0; i < n_base_keys; i++) {
        const scenario_key *k = &base_keys[i];
        add(k);
        if (k->family) {
            all_keys[n_all_keys - 1].names = family_names[k->family];
            all_keys[n_all_keys - 1].doc = document_family(k->family, k->doc);
            add_model_keys(k->family, k->section);
        }
        bool last_of_section = i + 1 == n_base_keys || base_keys[i + 1].section != k->section;
        for (int f = 1; last_of_section && k->section == SECTION_SEGMENT && f < STRATEGY_FAMILIES; f++)
            add_model_keys((strategy_family)f, SECTION_SEGMENT);
    }
}

size_t dsim__scenario_key_count(void)
{
    pthread_once(&built, build);
    return n_all_keys;
}

const scenario_key *dsim__scenario_key(size_t i)
{
    pthread_once(&built, build);
    return i < n_all_keys ? &all_keys[i] : NULL;
}

const void *dsim__strategy_config(const dsim_scenario *sc, strategy_family family, size_t i)
{
    pthread_once(&built, build);
    return sc->strategy_config + region[family][i];
}

const void *dsim__strategy_segment_config(const dsim_segment_config *seg, strategy_family family, size_t i)
{
    pthread_once(&built, build);
    return seg->strategy_config + segment_region[family][i];
}

const char *dsim__scenario_section_name(scenario_section s)
{
    static const char *const names[SECTION_COUNT] = {
        "scenario", "catalog", "behaviour", "ranking", "discounts", "learning", "segment.NAME", "shock.NAME",
    };
    return names[s];
}
