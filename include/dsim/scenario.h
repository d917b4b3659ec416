/*
 * dsim/scenario.h — a scenario: the market to simulate (catalog, shopper segments, behaviour, discounts,
 * shocks), as read from scenarios/NAME.ini.
 *
 * The scenario is plain data. dsim_scenario_load() fills it from a file (defaults first, then the file's
 * keys), checks every value and reports the first problem as "FILE:LINE: message". Every key, its unit,
 * range and default is listed once, in the key table that the loader, the checker and
 * `dsim scenario-keys` all read (src/scenario/scenario_keys.c).
 */
#ifndef DSIM_SCENARIO_H
#define DSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DSIM_NAME_MAX 64
#define DSIM_MAX_SEGMENTS 16
#define DSIM_MAX_LEVELS 128       /* actions a policy can choose among (a pricing bandit's price grid) */
#define DSIM_MAX_MARKET_LEVELS 16 /* discount levels of a market scenario: the exact expectation's lanes */
#define DSIM_MAX_SHOCKS 32
#define DSIM_MAX_SLATE 12 /* the exact expected-reward computation enumerates 2^slate click sets */
#define DSIM_MAX_DIM 1024 /* embedding dimensions */

/** How the shop scores an item for a shopper. */
typedef enum {
    DSIM_SCORE_DOT = 0, /* ⟨ê_u, ê_i⟩ */
    DSIM_SCORE_COSINE,  /* the same on vectors normalised to unit length */
    DSIM_SCORE_COUNT
} dsim_score;

/** How the retrieved candidates are ordered into the slate. */
typedef enum {
    DSIM_RERANK_RELEVANCE = 0, /* by score (the default) */
    DSIM_RERANK_REVENUE,       /* by predicted purchase probability × price after the usual discount */
    DSIM_RERANK_MARGIN,        /* by predicted purchase probability × margin after the usual discount */
    DSIM_RERANK_COUNT
} dsim_rerank;

#define DSIM_MAX_CANDIDATES 256 /* items retrieved per visit before filters and re-ranking */
#define DSIM_PATH_MAX 512

/** What one discount decision covers. */
typedef enum {
    DSIM_SCOPE_VISIT = 0, /* one coupon for the whole slate */
    DSIM_SCOPE_ITEM,      /* a level for each shown item, decided item by item */
    DSIM_SCOPE_COUNT
} dsim_scope;

/** When policies learn from what they have seen ([learning] update). */
typedef enum {
    DSIM_UPDATE_VISITS = 0, /* every update_every visits (1: after each visit, the default) */
    DSIM_UPDATE_HOURLY,     /* at every hour of the world's clock */
    DSIM_UPDATE_DAILY,      /* at every midnight of the world's clock */
    DSIM_UPDATE_COUNT
} dsim_update;

typedef enum {
    DSIM_OBJECTIVE_REVENUE = 0,
    DSIM_OBJECTIVE_PROFIT,
    DSIM_OBJECTIVE_CONVERSIONS
} dsim_objective;

/** @return "visit" or "item". */
const char *dsim_scenario_scope_name(dsim_scope scope);

/**
 * The demand models (`[behaviour] demand`: how a shopper decides to buy) and the embedding sources
 * (`[ranking] embeddings`: where the shop's estimates of the taste vectors come from) are plug-in type tables
 * (src/world/demand_types.c, src/rank/source_types.c); a scenario stores its choice as the index in the list.
 * @return the i-th one's name ("mnl", "valuation", "linear"; "noisy", "learned", "history", "file"), NULL past
 * the last; or the index of a name, -1 for none.
 */
const char *dsim_scenario_demand_name(int demand);
int dsim_scenario_demand_find(const char *name);
const char *dsim_scenario_embeddings_name(int embeddings);
int dsim_scenario_embeddings_find(const char *name);

/* Room for the models' own keys (src/scenario/strategy.h), in a scenario and in each segment. */
#define DSIM_STRATEGY_CONFIG_MAX 2048
#define DSIM_STRATEGY_SEGMENT_CONFIG_MAX 128

/** @return "revenue", "profit" or "conversions". */
const char *dsim_scenario_objective_name(dsim_objective objective);

/** One shopper segment ([segment.NAME]). */
typedef struct {
    char name[DSIM_NAME_MAX];
    double share;               /* share of the population: the shares sum to 1, or 0 switches the segment off
                                   (the others then fill its place: dsim_scenario_segment_share) */
    double elasticity_mean;     /* price sensitivity β: log-normal with this mean ... */
    double elasticity_sd;       /* ... and this standard deviation (0: everyone alike) */
    double deal_proneness_mean; /* γ: utility of "a discount is on", normal, truncated at 0 */
    double deal_proneness_sd;
    double memory;              /* λ in r ← λ r + (1 − λ) d; 1 = the reference never moves */
    double loss_aversion;       /* κ ≥ 1: weight of paying more than expected */
    double initial_reference;   /* r at the start, a fraction (0.1 = expects 10 % off) */
    double visit_rate;          /* visits per shopper per day */
    double churn_base;          /* per-visit churn probability of a content shopper */
    double churn_unhappy;       /* added to the churn probability by a visit without purchase */
    double churn_recovery;      /* after a purchase the excess over churn_base is multiplied by this */
    double taste_spread;        /* spread of tastes around the segment's centre */
    double affinity;            /* utility every item has for the segment's shoppers (attachment to the shop) */
    int favourite_category;     /* category the segment's taste centre leans to; -1: a random direction */
    double delay_immediate;     /* probability that a purchase happens at the visit; the others come later ... */
    double delay_mean_days;     /* ... after an exponential delay of this mean, in days */
    _Alignas(8) unsigned char strategy_config[DSIM_STRATEGY_SEGMENT_CONFIG_MAX]; /* the models' segment keys */
} dsim_segment_config;

/** A scheduled change of the market ([shock.NAME]); NAN or a negative value leaves a field unchanged. */
typedef struct {
    char name[DSIM_NAME_MAX];
    char segment[DSIM_NAME_MAX]; /* segment affected, "all" for every segment */
    double at_visit;             /* visit index at which it happens, or -1 */
    double at_day;               /* or the day, converted to a visit with the total arrival rate */
    double elasticity_factor;    /* multiplies β of the segment (1: unchanged) */
    double share;                /* new share of arrivals for the segment (-1: unchanged) */
    double outside_utility;      /* new outside-option utility V0 for everyone (NAN: unchanged) */
} dsim_shock_config;

typedef struct dsim_scenario {
    char name[DSIM_NAME_MAX];
    char description[256];
    uint64_t seed;
    double visits;   /* horizon in visits, or ... */
    double days;     /* ... in days (exactly one of the two is > 0) */
    int shoppers;    /* population size */
    int checkpoints; /* series rows recorded per run */

    struct {
        int items, categories, embedding_dim;
        double price_median, price_sigma;  /* list price: log-normal, currency units */
        double margin_min, margin_max;     /* (price − cost) / price, uniform per category */
        double category_spread;            /* spread of item tastes around their category's centre */
    } catalog;

    struct {
        int slate_size;          /* K items shown per visit */
        double taste_weight;     /* a: weight of ⟨e_u, e_i⟩ in the utility */
        double outside_utility;  /* V0 */
        double position_penalty; /* utility lost per position down the slate */
        double examine_top;      /* probability of examining position 1 */
        double examine_decay;    /* η_k = examine_top · examine_decay^(k-1) */
        double click_bias;       /* click probability σ(V − V0 + click_bias) */
        int demand;              /* the purchase decision: its index among the demand models (dsim_scenario_demand_name) */
    } behaviour;

    struct {
        int embeddings;             /* where the shop's estimates come from (dsim_scenario_embeddings_name) */
        double embedding_noise;     /* σ of the Gaussian noise on noisy estimates (noisy, history items) */
        dsim_score score;           /* dot or cosine */
        double history_rate;        /* history: weight of the newest item in a shopper's running mean */
        double purchase_weight;     /* history, learned: a purchase counts as this many clicks */
        double cold_start_noise;    /* history, learned: norm of a new shopper's random direction */
        int batch;                  /* visits retrieved together (one GEMM per catalog block); 1: per visit */
        int candidates;             /* retrieved per visit before filters and re-ranking; 0: the slate size */
        double exclude_bought_days; /* filter: hide the item a shopper bought within this many days (0: off) */
        int category_quota;         /* filter: at most this many items of one category per slate (0: off) */
        double popularity_weight;   /* prior: score + weight · ln(1 + purchases of the item so far) */
        dsim_rerank rerank;         /* order of the final slate */
        int relevant_items;         /* quality: the true top-R items count as relevant */
        int quality_every;          /* quality: measured on every N-th visit */
    } ranking;

    struct {
        int n_levels;
        double levels[DSIM_MAX_MARKET_LEVELS]; /* fractions in [0, 1), ascending; level 0 need not be 0 */
        dsim_objective objective;
        dsim_scope scope;
        double budget;                  /* total discount spend allowed (currency); 0 = unlimited */
    } discounts;

    struct {
        dsim_update update;         /* when policies learn: every update_every visits, every hour or every day */
        int update_every;           /* visits between updates (update = visits); 1: after every visit */
        double attribution_window;  /* days after a visit within which a purchase is credited to it */
    } learning;

    int n_segments;
    dsim_segment_config segments[DSIM_MAX_SEGMENTS];
    int n_shocks;
    dsim_shock_config shocks[DSIM_MAX_SHOCKS];

    _Alignas(8) unsigned char strategy_config[DSIM_STRATEGY_CONFIG_MAX]; /* the chosen and other models' keys */

    char path[DSIM_PATH_MAX]; /* where it was read from ("" if built in code) */
    char *text;     /* the file's full text, owned; NULL if built in code */
} dsim_scenario;

/** @return segment's share of the population as the world uses it: its share over the sum of all shares (0 for a
 *  segment switched off). */
double dsim_scenario_segment_share(const dsim_scenario *sc, int segment);

/**
 * Read and check a scenario file.
 * @param out  receives a new scenario, owned by the caller (dsim_scenario_free()).
 * @return 0, DSIM_EIO (cannot read) or DSIM_ECONFIG ("FILE:LINE: ..." in dsim_errmsg()).
 */
int dsim_scenario_load(dsim_scenario **out, const char *path);

/** Same as dsim_scenario_load() from text in memory; `origin` names it in messages. */
int dsim_scenario_parse(dsim_scenario **out, const char *text, const char *origin);

/** Check the cross-key rules (shares sum to 1, levels ascending, ...). @return 0 or DSIM_ECONFIG. */
int dsim_scenario_check(const dsim_scenario *sc);

/**
 * @return true when shoppers remember: some segment's reference discount moves with what it is shown
 * (memory < 1) or its shoppers churn. Then today's discount changes tomorrow's demand, a policy that plans
 * can beat the myopic oracle, and low myopic regret need not mean high reward.
 */
bool dsim_scenario_has_memory(const dsim_scenario *sc);

/** @return true when some segment's purchases may come after the visit (delay_immediate < 1). */
bool dsim_scenario_has_delays(const dsim_scenario *sc);

/** @return the horizon in visits (days converted with the total arrival rate). */
uint64_t dsim_scenario_horizon(const dsim_scenario *sc);

/** @return the population's total arrival rate in visits per day. */
double dsim_scenario_arrivals_per_day(const dsim_scenario *sc);

/** @return the index of the level equal to `fraction` (within 1e-9), or -1. */
int dsim_scenario_level_index(const dsim_scenario *sc, double fraction);

/** Free a scenario; NULL is a no-op. */
void dsim_scenario_free(dsim_scenario *sc);

/** One scenario key as documented (`dsim scenario-keys`, scenarios/README.md); the strings are static. */
typedef struct {
    const char *section;              /* as written in a file: "scenario", "segment.NAME", … */
    const char *name, *fallback, *unit, *doc;
    char range[128];                  /* "MIN … MAX", the words it takes, or "" */
} dsim_scenario_key_doc;

/** The i-th scenario key (0, 1, …) in the key table's order. @return false past the last. */
bool dsim_scenario_key_doc_at(size_t i, dsim_scenario_key_doc *out);
/** The i-th section (0, 1, …) in documentation order; NULL past the last. */
const char *dsim_scenario_section_at(int i);

#endif
