/*
 * test_learning.c — feedback as shops get it (src/sim/learning.c, the [learning] keys, the delay keys):
 * every learning policy type learns a batch as it would learn the same decisions one by one, acts on a
 * frozen state between updates, and learns a purchase still to come as the policy key `delayed` says; delays
 * leave a run's totals unchanged and keep purchases from the shop until they happen.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "dsim/policy.h"
#include "dsim/rng.h"
#include "dsim/sim.h"
#include "dsim/world.h"
#include "helpers.h"
#include "sim/learning.h"

static const char market_text[] = "[scenario]\nshoppers = 50\n[catalog]\nitems = 30\n[behaviour]\nslate_size = 3\n"
                                  "[segment.a]\nshare = 1\n";

/* The decisions of the contract tests: varied contexts, a logging policy's level, a purchase that may come
   up to four days late. */
typedef struct {
    dsim_context ctx;
    dsim_feedback fb;
    double day, reported;
    uint32_t slate[3]; /* each decision its own slate, so that a queue that mixed them up would show */
    float scores[3];
} decision;

enum { N_DECISIONS = 400, N_LEARNING_TYPES = 12 }; /* all but none, fixed, random, tiered and the oracle */
static const uint32_t slate[3] = {1, 2, 3};
static const float scores[3] = {0.9f, 0.8f, 0.7f};

static void make_decisions(decision *d, int n_levels)
{
    gsl_rng *rng = dsim_rng_alloc();
    for (int t = 0; t < N_DECISIONS; t++) {
        dsim_rng_key(rng, 5, DSIM_STREAM_CHOICE, (uint64_t)t);
        double day = t < 200 ? t / 20.0 : 10 + (t - 200) / 100.0; /* 20 decisions a day, then 100 */
        int level = (int)gsl_rng_uniform_int(rng, (unsigned long)n_levels);
        bool bought = gsl_rng_uniform(rng) < 0.2 + 0.1 * level;
        double delay = gsl_rng_uniform(rng) < 0.5 ? 0.0 : 4 * gsl_rng_uniform(rng);
        for (int j = 0; j < 3; j++) {
            d[t].slate[j] = (uint32_t)((t * 7 + j * 11) % 30);
            d[t].scores[j] = (float)(1.0 - 0.1 * j - 0.001 * (t % 50));
        }
        d[t].ctx = (dsim_context){.visit = (uint64_t)t, .day = day, .shopper = (uint32_t)(t % 7),
                                  .n_visits = (uint32_t)(t % 5), .n_purchases = (uint32_t)(t % 3),
                                  .days_since_visit = t % 5 ? (double)(t % 40) : -1.0, .days_since_purchase = -1,
                                  .slate_size = 3, .slate = d[t].slate, .scores = d[t].scores,
                                  .mean_price = 40 + t % 9, .mean_score = d[t].scores[0],
                                  .top_category = (int)(t % 4), .budget_left = 1};
        d[t].fb = (dsim_feedback){.level = level, .purchased = bought, .reward = bought ? 10.0 - level : 0.0,
                                  .revenue = bought ? 40 : 0, .profit = bought ? 10.0 - level : 0.0,
                                  .position = bought ? 0 : -1, .item = slate[0]};
        d[t].day = day;
        d[t].reported = bought ? day + delay : INFINITY;
    }
    gsl_rng_free(rng);
}

/* The distribution on a fixed context: how the tests compare two policies' states. */
static void probe(const dsim_policy *p, double *probs)
{
    dsim_context ctx = {.visit = 999999, .day = 1, .shopper = 3, .n_visits = 2, .slate_size = 3, .slate = slate,
                        .scores = scores, .mean_price = 40, .budget_left = 1, .days_since_visit = 2,
                        .days_since_purchase = -1};
    double truth[DSIM_MAX_LEVELS];
    for (int l = 0; l < DSIM_MAX_LEVELS; l++)
        truth[l] = sin(l + 1.0);
    dsim_policy_distribution(p, &ctx, truth, probs);
}

static void assert_same_state(const dsim_policy *a, const dsim_policy *b, int n_levels, const char *what,
                              const char *type, int t)
{
    double pa[DSIM_MAX_LEVELS], pb[DSIM_MAX_LEVELS];
    probe(a, pa);
    probe(b, pb);
    for (int l = 0; l < n_levels; l++)
        if (pa[l] != pb[l])
            fail_msg("%s: %s after decision %d: level %d has %.17g, expected %.17g", type, what, t, l, pb[l], pa[l]);
}

/* The feedback a policy should learn for decision d at `now` in mode naive (what is credited by then). */
static dsim_feedback censored(const decision *d, double window, double now)
{
    dsim_feedback fb = d->fb;
    if (fb.purchased && !(d->reported <= now && d->reported <= d->day + window)) {
        fb.purchased = false;
        fb.position = -1;
        fb.reward = fb.revenue = fb.profit = 0;
    }
    return fb;
}

/*
 * For every type that learns, in each mode: policy `expected` is taught directly what the specification says
 * (naive: every queued decision at the update, censored at that moment; wait: each decision once its window
 * has closed, with what was credited within it), policy `queued` through the queue; after every update their
 * states agree exactly, and between updates `queued` does not move.
 */
static void test_learning__every_type_learns_from_the_queue_as_specified(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    dsim_world *w = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, market_text, "market.ini"));
    ASSERT_OK(dsim_world_alloc(&w, sc, 3));
    dsim_policy_env env;
    dsim_sim_policy_env(&env, w);
    decision *d = malloc(sizeof *d * N_DECISIONS);
    make_decisions(d, env.n_levels);
    const int every = 25;
    int n_learners = 0;
    for (const dsim_policy_type *const *t = dsim_policy_types(); *t; t++) {
        if (!(*t)->learn)
            continue;
        n_learners++;
        /* naive and wait with a 2-day window, and wait with a 5-day one: about 100 decisions wait while they come
           20 a day, the first are learned, and at 100 a day the ring grows past its first 256 while it has
           wrapped */
        for (int variant = 0; variant < 3; variant++) {
            int mode = variant == 0 ? DSIM_DELAYED_NAIVE : DSIM_DELAYED_WAIT;
            double window = variant == 2 ? 5.0 : 2.0;
            dsim_policy_config *cfg = NULL;
            dsim_policy *expected = NULL, *queued = NULL;
            ASSERT_OK(dsim_policy_config_default(&cfg, *t));
            ASSERT_OK(dsim_policy_alloc(&expected, cfg, &env));
            ASSERT_OK(dsim_policy_alloc(&queued, cfg, &env));
            dsim__learning q;
            ASSERT_OK(dsim__learning_init(&q, (dsim_delayed_feedback)mode, window));
            int taught = 0; /* decisions `expected` has learned */
            bool grew_wrapped = false;
            char what[64];
            snprintf(what, sizeof what, "delayed = %s, window %g", dsim_delayed_feedback_name((dsim_delayed_feedback)mode),
                     window);
            for (int i = 0; i < N_DECISIONS; i++) {
                double before[DSIM_MAX_LEVELS], after[DSIM_MAX_LEVELS];
                probe(queued, before);
                grew_wrapped |= q.n > 0 && q.n == q.cap && q.head != 0;
                ASSERT_OK(dsim__learning_push(&q, &d[i].ctx, &d[i].fb, d[i].day, d[i].reported));
                if ((i + 1) % every != 0) { /* queued, not learned */
                    probe(queued, after);
                    assert_memory_equal(before, after, sizeof(double) * (size_t)env.n_levels);
                    continue;
                }
                double now = d[i].day;
                ASSERT_OK(dsim__learning_update(&q, queued, now));
                for (; taught <= i; taught++) {
                    if (mode == DSIM_DELAYED_WAIT && d[taught].day + window > now)
                        break;
                    dsim_feedback fb = censored(&d[taught], window, mode == DSIM_DELAYED_WAIT ? INFINITY : now);
                    ASSERT_OK(dsim_policy_learn(expected, &d[taught].ctx, &fb));
                }
                assert_same_state(expected, queued, env.n_levels, what, (*t)->name, i);
            }
            if (variant == 2)
                assert_true(grew_wrapped);
            if (mode == DSIM_DELAYED_WAIT) /* the last window is still open */
                assert_true(taught < N_DECISIONS && q.n == (size_t)(N_DECISIONS - taught));
            else
                assert_int_equal(q.n, 0);
            dsim__learning_free(&q);
            dsim_policy_free(expected);
            dsim_policy_free(queued);
            dsim_policy_config_free(cfg);
        }
    }
    assert_int_equal(n_learners, N_LEARNING_TYPES);
    free(d);
    dsim_world_free(w);
    dsim_scenario_free(sc);
}

/* A scenario of tests/data/small.ini with extra text appended (a [learning] section, delay keys). */
static dsim_scenario *small_with(const char *extra)
{
    char path[1024], *text = NULL;
    snprintf(path, sizeof path, "%s/small.ini", DSIM_TEST_DATA);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    text = calloc(1, 65536);
    size_t n = fread(text, 1, 65536 - 4096, f);
    fclose(f);
    snprintf(text + n, 4096, "\n%s\n", extra);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, text, "small+.ini"));
    free(text);
    return sc;
}

/* In a run with update_every = 40 every learning type's state moves only after every 40th visit. */
static void test_learning__in_a_run_policies_act_on_a_frozen_state_between_updates(void **state)
{
    (void)state;
    dsim_scenario *sc = small_with("[learning]\nupdate_every = 40\n");
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = 400;
    for (const dsim_policy_type *const *t = dsim_policy_types(); *t; t++) {
        if (!(*t)->learn)
            continue;
        dsim_policy_config *cfg = NULL;
        dsim_sim *sim = NULL;
        ASSERT_OK(dsim_policy_config_default(&cfg, *t));
        ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 11, &options));
        int n = dsim_policy_n_levels(dsim_sim_policy(sim)), moves = 0;
        double before[DSIM_MAX_LEVELS] = {0}, after[DSIM_MAX_LEVELS] = {0};
        probe(dsim_sim_policy(sim), before);
        for (uint64_t v = 0; v < options.visits; v++) {
            ASSERT_OK(dsim_sim_advance(sim, 1));
            probe(dsim_sim_policy(sim), after);
            bool moved = memcmp(before, after, sizeof(double) * (size_t)n) != 0;
            if (moved && (v + 1) % 40 != 0)
                fail_msg("%s: its state moved after visit %llu, between updates", (*t)->name,
                         (unsigned long long)v);
            moves += moved;
            memcpy(before, after, sizeof before);
        }
        /* The value-based agents learn a transition only when its shopper comes
           back, which the probe's state may not see in 400 visits; every other type moves. */
        if (moves == 0 && !strstr("q_learning sarsa linear_q", (*t)->name))
            fail_msg("%s: never learned in 10 updates", (*t)->name);
        dsim_sim_free(sim);
        dsim_policy_config_free(cfg);
    }
    dsim_scenario_free(sc);
}

/*
 * In a run of `visits` visits of `sc`, ε-greedy's means move exactly after the visits followed by the end of a
 * period of the clock (periods_per_day: 1 daily, 24 hourly), counted in whole periods. @return the periods.
 */
static int assert_updates_at_period_ends(dsim_scenario *sc, uint64_t visits, int periods_per_day)
{
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "epsilon_greedy"));
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = visits;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 3, &options));
    const dsim_world *w = dsim_sim_world(sim);
    dsim_context any = {.slate_size = 0};
    double before[DSIM_MAX_LEVELS] = {0}, after[DSIM_MAX_LEVELS] = {0};
    int moves = 0, ends = 0;
    for (uint64_t v = 0; v < visits; v++) {
        ASSERT_OK(dsim_sim_advance(sim, 1));
        ASSERT_OK(dsim_policy_values(dsim_sim_policy(sim), &any, after));
        bool end = floor(periods_per_day * dsim_world_day(w, v + 1)) > floor(periods_per_day * dsim_world_day(w, v));
        bool moved = memcmp(before, after, sizeof before) != 0;
        if (moved != end)
            fail_msg("after visit %llu, on day %.4f: %s", (unsigned long long)v, dsim_world_day(w, v),
                     moved ? "learned within a period" : "did not learn at a period's end");
        moves += moved;
        ends += end;
        memcpy(before, after, sizeof before);
    }
    assert_int_equal(moves, ends);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    return ends;
}

/* update = daily: the updates fall at each midnight of the world's clock (about 325 arrivals a day). */
static void test_learning__daily_updates_follow_the_clock(void **state)
{
    (void)state;
    dsim_scenario *sc = small_with("[learning]\nupdate = daily\n");
    assert_true(assert_updates_at_period_ends(sc, 2000, 1) >= 5);
    dsim_scenario_free(sc);
}

/* update = hourly: once each hour however the hour's day rounds (3,002.4 arrivals a day: an hour is 125.1
   visits, and 1/24 is not exact in binary). */
static void test_learning__hourly_updates_fall_once_each_hour(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, "[scenario]\nshoppers = 20016\n[catalog]\nitems = 30\n[behaviour]\n"
                                       "slate_size = 3\n[learning]\nupdate = hourly\n[segment.a]\nshare = 1\n"
                                       "visit_rate = 0.15\n", "hourly.ini"));
    assert_true(assert_updates_at_period_ends(sc, 6000, 24) >= 40);
    dsim_scenario_free(sc);
}

/*
 * The shop hears of a purchase on the day it happens: at every visit the context's count of the shopper's
 * purchases is the number of their earlier visits whose purchase had happened by then (at once, or delay days
 * later), recomputed here from the visit records.
 */
static void test_learning__the_shop_counts_a_purchase_on_the_day_it_happens(void **state)
{
    (void)state;
    dsim_scenario *sc = small_with("[segment.bargain]\ndelay_immediate = 0.4\ndelay_mean_days = 2\n"
                                   "[segment.loyal]\ndelay_immediate = 0.7\ndelay_mean_days = 5\n");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "fixed10"));
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = 20000; /* 50 days: about ten visits a shopper */
    options.log_decisions = true;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 4, &options));
    uint32_t n = dsim_world_n_shoppers(dsim_sim_world(sim));
    /* each shopper's purchase days so far (at most 64 kept: plenty for ten visits) */
    double (*happens)[64] = calloc(n, sizeof *happens);
    int *n_bought = calloc(n, sizeof *n_bought);
    dsim_visit_record r;
    uint64_t checked = 0, heard_late = 0;
    for (uint64_t v = 0; v < options.visits; v++) {
        ASSERT_OK(dsim_sim_advance(sim, 1));
        dsim_sim_last_visit(sim, &r);
        if (r.lost)
            continue;
        double day = dsim_world_day(dsim_sim_world(sim), v);
        uint32_t expected = 0;
        for (int k = 0; k < n_bought[r.shopper]; k++)
            expected += happens[r.shopper][k] <= day;
        if (r.context.n_purchases != expected)
            fail_msg("visit %llu, shopper %u: the context counts %u purchases, %u had happened", (unsigned long long)v,
                     r.shopper, r.context.n_purchases, expected);
        checked++;
        heard_late += expected < (uint32_t)n_bought[r.shopper];
        if (r.outcome.position >= 0 && n_bought[r.shopper] < 64)
            happens[r.shopper][n_bought[r.shopper]++] = day + r.purchase_delay;
    }
    printf("# %llu visits checked, %llu while a purchase of theirs was still to come\n", (unsigned long long)checked,
           (unsigned long long)heard_late);
    assert_true(checked > 10000 && heard_late > 300);
    free(happens);
    free(n_bought);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/*
 * Exp3 weighs a reward by the probability its level was chosen with. In batches that is the probability at the
 * last update, not at the moment it learns: its state after the first update of a run with update_every = 40
 * is that of learning the 40 logged decisions with their logged propensities, and not without them.
 */
static void test_learning__exp3_learns_a_batch_with_the_propensities_it_chose_with(void **state)
{
    (void)state;
    dsim_scenario *sc = small_with("[learning]\nupdate_every = 40\n");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "exp3:gamma=0.5"));
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = 40;
    options.log_decisions = true;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 6, &options));
    dsim_policy *with = NULL, *without = NULL;
    dsim_policy_env env;
    dsim_sim_policy_env(&env, dsim_sim_world(sim));
    ASSERT_OK(dsim_policy_alloc(&with, cfg, &env));
    ASSERT_OK(dsim_policy_alloc(&without, cfg, &env));
    dsim_visit_record r;
    int rewarded = 0;
    for (int v = 0; v < 40; v++) {
        ASSERT_OK(dsim_sim_advance(sim, 1));
        dsim_sim_last_visit(sim, &r);
        if (r.lost)
            continue;
        dsim_feedback fb = {.level = r.action.level, .purchased = r.outcome.position >= 0,
                            .reward = r.outcome.reward, .position = r.outcome.position};
        ASSERT_OK(dsim_policy_learn(without, &r.context, &fb));
        fb.propensity = r.distribution[r.action.level];
        ASSERT_OK(dsim_policy_learn(with, &r.context, &fb));
        rewarded += r.outcome.reward > 0;
    }
    assert_true(rewarded >= 2);
    double a[DSIM_MAX_LEVELS], b[DSIM_MAX_LEVELS], c[DSIM_MAX_LEVELS];
    probe(dsim_sim_policy(sim), a);
    probe(with, b);
    probe(without, c);
    assert_memory_equal(a, b, sizeof(double) * (size_t)env.n_levels);
    assert_true(memcmp(a, c, sizeof(double) * (size_t)env.n_levels) != 0);
    dsim_policy_free(with);
    dsim_policy_free(without);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* delayed = wait waits in a market without delays too: nothing is learned before the window has passed. */
static void test_learning__wait_waits_without_delays_too(void **state)
{
    (void)state;
    dsim_scenario *sc = small_with("[learning]\nattribution_window = 2\n");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "epsilon_greedy:delayed=wait"));
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = 2000;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 3, &options));
    const dsim_world *w = dsim_sim_world(sim);
    dsim_context any = {.slate_size = 0};
    double values[DSIM_MAX_LEVELS] = {0};
    uint64_t first_move = 0;
    for (uint64_t v = 0; v < options.visits && !first_move; v++) {
        ASSERT_OK(dsim_sim_advance(sim, 1));
        ASSERT_OK(dsim_policy_values(dsim_sim_policy(sim), &any, values));
        if (values[0] != 0 || values[1] != 0 || values[2] != 0)
            first_move = v;
    }
    assert_true(first_move > 0 && dsim_world_day(w, first_move) >= 2.0 && dsim_world_day(w, first_move) < 2.1);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

static void run_totals(const dsim_scenario *sc, const char *policy, uint64_t visits, dsim_metrics *m)
{
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_resolve(&cfg, policy));
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = visits;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 5, &options));
    while (dsim_sim_advance(sim, visits) == DSIM_OK) {
    }
    dsim_sim_metrics(sim, m);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
}

/*
 * Purchases are counted by the visit that caused them, so delays change nothing a policy that does not learn
 * earns: the shipped delayed_conversions and default markets give fixed10 the same totals to the bit. The
 * delayed purchases are counted apart: a share of the purchases near the segments' 1 − delay_immediate.
 */
static void test_learning__delays_leave_the_totals_of_a_run_unchanged(void **state)
{
    (void)state;
    dsim_scenario *plain = load_shipped_scenario("default"), *delayed = load_shipped_scenario("delayed_conversions");
    dsim_metrics a, b;
    run_totals(plain, "fixed10", 30000, &a);
    run_totals(delayed, "fixed10", 30000, &b);
    assert_int_equal(a.purchases, b.purchases);
    assert_true(a.profit == b.profit && a.revenue == b.revenue && a.reward == b.reward);
    assert_int_equal(a.delayed_purchases, 0);
    /* Every segment delays 10–80 % of its purchases. */
    assert_true(b.delayed_purchases > b.purchases / 10 && b.delayed_purchases < b.purchases * 8 / 10);
    assert_true(b.late_purchases < b.delayed_purchases / 10); /* P(delay > 7 days) ≤ e^{-7/3} ≈ 0.1 */
    assert_true(b.pending_purchases > 0 && b.pending_purchases < b.delayed_purchases);
    dsim_scenario_free(plain);
    dsim_scenario_free(delayed);
}

/*
 * When every purchase comes a million days later, the shop never hears of one: no context shows a purchase,
 * no logged decision is credited with one, and a policy that learns naively sees none; the run still counts
 * every purchase at its visit.
 */
static void test_learning__the_shop_hears_of_a_purchase_only_when_it_happens(void **state)
{
    (void)state;
    dsim_scenario *sc = small_with("[segment.bargain]\ndelay_immediate = 0\ndelay_mean_days = 1e6\n"
                                   "[segment.loyal]\ndelay_immediate = 0\ndelay_mean_days = 1e6\n");
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "epsilon_greedy"));
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = 3000;
    options.log_decisions = true;
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, 9, &options));
    dsim_visit_record r;
    uint64_t bought = 0;
    for (uint64_t v = 0; v < options.visits; v++) {
        ASSERT_OK(dsim_sim_advance(sim, 1));
        dsim_sim_last_visit(sim, &r);
        if (r.lost)
            continue;
        assert_int_equal(r.context.n_purchases, 0);
        assert_true(r.context.days_since_purchase < 0);
        assert_false(r.purchase_known);
        if (r.outcome.position >= 0) {
            bought++;
            assert_true(r.purchase_delay > 0);
        }
    }
    dsim_metrics m;
    dsim_sim_metrics(sim, &m);
    assert_true(bought > 100 && m.purchases == bought && m.delayed_purchases == bought);
    assert_int_equal(m.pending_purchases, bought);
    assert_int_equal(m.late_purchases, bought);
    /* Naive ε-greedy saw no purchase: every level's value is 0. */
    double values[DSIM_MAX_LEVELS];
    ASSERT_OK(dsim_policy_values(dsim_sim_policy(sim), &r.context, values));
    for (int l = 0; l < 3; l++)
        assert_true(values[l] == 0);
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/* Bad [learning] settings and policy keys are refused with the file, line and key. */
static void test_learning__bad_settings_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"[learning]\nupdate = daily\nupdate_every = 10\n", "[learning] update_every: 10 visits, but update = daily"},
        {"[learning]\nupdate = weekly\n", "update"},
        {"[learning]\nattribution_window = -1\n", "attribution_window"},
        {"[segment.loyal]\ndelay_immediate = 0.5\n", "[segment.loyal] delay_mean_days: expected a mean delay > 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024], text[65536];
        snprintf(path, sizeof path, "%s/small.ini", DSIM_TEST_DATA);
        FILE *f = fopen(path, "r");
        size_t n = fread(text, 1, sizeof text - 1024, f);
        fclose(f);
        snprintf(text + n, 1024, "\n%s", cases[i].text);
        dsim_scenario *sc = NULL;
        assert_int_equal(dsim_scenario_parse(&sc, text, "s.ini"), DSIM_ECONFIG);
        const char *m = dsim_errmsg();
        if (!strstr(m, cases[i].message) || strncmp(m, "s.ini:", 6) != 0 || !isdigit((unsigned char)m[6]))
            fail_msg("case %zu: message '%s' lacks 's.ini:LINE:' or '%s'", i, m, cases[i].message);
    }
    dsim_policy_config *cfg = NULL;
    assert_int_equal(dsim_policy_config_resolve(&cfg, "fixed:delayed=wait"), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "delayed: type fixed does not learn"));
    assert_int_equal(dsim_policy_config_resolve(&cfg, "thompson:delayed=later"), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "expected naive or wait, got 'later'"));
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "thompson:delayed=wait"));
    assert_int_equal(cfg->delayed, DSIM_DELAYED_WAIT);
    dsim_policy_config_free(cfg);
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = ucb1\ndelayed = wait\n", "p.ini"));
    assert_int_equal(cfg->delayed, DSIM_DELAYED_WAIT);
    dsim_policy_config_free(cfg);
    assert_int_equal(dsim_policy_config_parse(&cfg, "[policy]\ntype = ucb1\ndelayed = wait\ndelayed = naive\n", "p.ini"),
                     DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "p.ini:4: [policy] delayed: set twice (first on line 3)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learning__every_type_learns_from_the_queue_as_specified),
        cmocka_unit_test(test_learning__in_a_run_policies_act_on_a_frozen_state_between_updates),
        cmocka_unit_test(test_learning__daily_updates_follow_the_clock),
        cmocka_unit_test(test_learning__hourly_updates_fall_once_each_hour),
        cmocka_unit_test(test_learning__the_shop_counts_a_purchase_on_the_day_it_happens),
        cmocka_unit_test(test_learning__exp3_learns_a_batch_with_the_propensities_it_chose_with),
        cmocka_unit_test(test_learning__wait_waits_without_delays_too),
        cmocka_unit_test(test_learning__delays_leave_the_totals_of_a_run_unchanged),
        cmocka_unit_test(test_learning__the_shop_hears_of_a_purchase_only_when_it_happens),
        cmocka_unit_test(test_learning__bad_settings_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
