/*
 * worker.c — the dashboard's simulation thread: one sim per policy and seed (common random numbers across
 * policies), advanced in lockstep by `speed` visits a tick; it applies the live shocks the screen asks for
 * and publishes totals and series points under the shared lock. The screen never waits on it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/dash/dash.h"
#include "dsim/error.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void nap(void)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

const char *const dash_profile_names[DASH_PROFILES] = {"new", "regular", "deal-trained"};

/* The seeds' totals added up (the table takes means and intervals from the per-seed totals). */
/* The seeds' totals together. */
static void sum_metrics(dsim_metrics *sum, const dsim_metrics *m, int k)
{
    *sum = m[0];
    for (int i = 1; i < k; i++)
        dsim_metrics_add(sum, &m[i]);
}

/* Keep at most DASH_POINTS points: when full, drop every other one and double the spacing. */
static void add_point(dash_shared *s)
{
    if (s->n_points == DASH_POINTS) {
        for (size_t i = 0; i < DASH_POINTS / 2; i++) {
            s->series_visit[i] = s->series_visit[2 * i + 1];
            for (int p = 0; p < s->n_policies; p++) {
                s->series[p][i] = s->series[p][2 * i + 1];
                s->conversion[p][i] = s->conversion[p][2 * i + 1];
            }
        }
        s->n_points = DASH_POINTS / 2;
        s->every *= 2;
    }
    s->series_visit[s->n_points] = s->done;
    for (int p = 0; p < s->n_policies; p++) {
        const dsim_metrics *m = &s->metrics[p];
        s->series[p][s->n_points] = m->reward / s->n_seeds;
        s->conversion[p][s->n_points] = m->visits ? (double)m->purchases / (double)m->visits : 0.0;
    }
    s->n_points++;
}

/* A new policy's sims on every seed, run up to the others' visit: its chart points are taken at the same
   visits as theirs, so it joins the race as if it had run from the start. Outside the lock. */
static int catch_up(dash_shared *s, const dsim_policy_config *cfg, dsim_sim **sims, const uint64_t *visits,
                    size_t n_points, uint64_t done, double *series, double *conversion, dsim_metrics *m)
{
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = s->horizon;
    int rc = DSIM_OK, K = s->n_seeds;
    for (int k = 0; k < K && !rc; k++)
        rc = dsim_sim_create(&sims[k], s->sc, cfg, s->seed + (uint64_t)k, &options);
    for (size_t i = 0; i <= n_points && !rc; i++) {
        uint64_t to = i < n_points ? visits[i] : done;
        for (int k = 0; k < K && !rc; k++) {
            uint64_t at = dsim_sim_visits_done(sims[k]);
            int r = to > at ? dsim_sim_advance(sims[k], to - at) : DSIM_OK;
            if (r != DSIM_OK && r != DSIM_DONE)
                rc = r;
            dsim_sim_metrics(sims[k], &m[k]);
        }
        if (i < n_points) {
            dsim_metrics sum;
            sum_metrics(&sum, m, K);
            series[i] = sum.reward / K;
            conversion[i] = sum.visits ? (double)sum.purchases / (double)sum.visits : 0.0;
        }
    }
    return rc;
}

/* Drop policy p: its sims, and its place in every per-policy array. Under the lock. */
static void drop(dash_shared *s, dsim_sim *(*sims)[DASH_MAX_SEEDS], int p)
{
    for (int k = 0; k < s->n_seeds; k++)
        dsim_sim_free(sims[p][k]);
    for (int q = p; q + 1 < s->n_policies; q++) {
        memcpy(sims[q], sims[q + 1], sizeof sims[q]);
        s->configs[q] = s->configs[q + 1];
        s->metrics[q] = s->metrics[q + 1];
        memcpy(s->seed_metrics[q], s->seed_metrics[q + 1], sizeof s->seed_metrics[q]);
        memcpy(s->series[q], s->series[q + 1], sizeof s->series[q]);
        memcpy(s->conversion[q], s->conversion[q + 1], sizeof s->conversion[q]);
    }
    s->n_policies--;
    memset(sims[s->n_policies], 0, sizeof sims[0]);
    s->selected = -1;
}

void *dash_worker(void *arg)
{
    dash_shared *s = arg;
    static dsim_sim *sims[DASH_MAX_POLICIES][DASH_MAX_SEEDS];
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = s->horizon;
    int rc = DSIM_OK, K = s->n_seeds;
    for (int p = 0; p < s->n_policies && !rc; p++)
        for (int k = 0; k < K && !rc; k++)
            rc = dsim_sim_create(&sims[p][k], s->sc, s->configs[p], s->seed + (uint64_t)k, &options);
    double window_start = now();
    uint64_t window_visits = 0;
    pthread_mutex_lock(&s->lock);
    if (rc)
        snprintf(s->error, sizeof s->error, "%s", dsim_errmsg());
    add_point(s); /* the origin: nothing earned at visit 0 */
    while (!s->quit && !rc) {
        bool run = (!s->paused || s->step) && !s->finished;
        uint64_t n = s->step ? 1 : (uint64_t)s->speed;
        if (s->restart) {
            /* New seeds, the same policies as built: every sim made again, the chart from the origin. */
            s->restart = false;
            s->seed += (uint64_t)K;
            for (int p = 0; p < s->n_policies && !rc; p++)
                for (int k = 0; k < K && !rc; k++) {
                    dsim_sim_free(sims[p][k]);
                    sims[p][k] = NULL;
                    rc = dsim_sim_create(&sims[p][k], s->sc, s->configs[p], s->seed + (uint64_t)k, &options);
                }
            memset(s->metrics, 0, sizeof s->metrics);
            memset(s->seed_metrics, 0, sizeof s->seed_metrics);
            s->done = 0;
            s->n_points = 0;
            s->n_marks = 0;
            s->finished = false;
            add_point(s);
            if (rc) {
                snprintf(s->error, sizeof s->error, "%s", dsim_errmsg());
                break;
            }
        }
        if (s->remove >= 0 && s->remove < s->n_policies)
            drop(s, sims, s->remove);
        s->remove = -1;
        const dsim_policy_config *adding = s->n_policies < DASH_MAX_POLICIES ? s->add : NULL;
        s->add = NULL;
        if (adding) {
            static uint64_t visits[DASH_POINTS];
            static double series[DASH_POINTS], conversion[DASH_POINTS];
            dsim_metrics added[DASH_MAX_SEEDS];
            dsim_sim *new_sims[DASH_MAX_SEEDS] = {0};
            size_t n_points = s->n_points;
            uint64_t done = s->done;
            memcpy(visits, s->series_visit, sizeof(uint64_t) * n_points);
            pthread_mutex_unlock(&s->lock);
            rc = catch_up(s, adding, new_sims, visits, n_points, done, series, conversion, added);
            pthread_mutex_lock(&s->lock);
            int p = s->n_policies;
            if (rc || s->n_points != n_points || s->done != done) { /* failed, or the others moved on (cannot) */
                for (int k = 0; k < K; k++)
                    dsim_sim_free(new_sims[k]);
            } else {
                memcpy(sims[p], new_sims, sizeof new_sims);
                s->configs[p] = adding;
                memcpy(s->seed_metrics[p], added, sizeof(dsim_metrics) * (size_t)K);
                sum_metrics(&s->metrics[p], added, K);
                memcpy(s->series[p], series, sizeof(double) * n_points);
                memcpy(s->conversion[p], conversion, sizeof(double) * n_points);
                s->n_policies++;
            }
            if (rc) {
                snprintf(s->error, sizeof s->error, "adding %s: %s", adding->name, dsim_errmsg());
                break;
            }
        }
        int shock = s->shock;
        bool custom = s->custom_pending;
        dsim_shock_config change = s->custom;
        s->step = false;
        s->shock = -1;
        s->custom_pending = false;
        pthread_mutex_unlock(&s->lock);

        for (int p = 0; p < s->n_policies && !rc; p++)
            for (int k = 0; k < K && !rc; k++) {
                if (shock >= 0)
                    rc = dsim_sim_shock_now(sims[p][k], &s->sc->shocks[shock]);
                if (custom && !rc)
                    rc = dsim_sim_shock_now(sims[p][k], &change);
            }
        static dsim_metrics m[DASH_MAX_POLICIES][DASH_MAX_SEEDS];
        bool finished = false;
        if (run) {
            for (int p = 0; p < s->n_policies && !rc; p++)
                for (int k = 0; k < K && !rc; k++) {
                    int r = dsim_sim_advance(sims[p][k], n);
                    finished |= r == DSIM_DONE || dsim_sim_visits_done(sims[p][k]) >= s->horizon;
                    if (r != DSIM_OK && r != DSIM_DONE)
                        rc = r;
                    dsim_sim_metrics(sims[p][k], &m[p][k]);
                }
            window_visits += n * (uint64_t)(s->n_policies * K);
        }
        if (!run || n < DASH_MAX_SPEED)
            nap(); /* a tick every 20 ms: `speed` sets the pace, the top speed runs flat out */

        pthread_mutex_lock(&s->lock);
        if (rc) {
            snprintf(s->error, sizeof s->error, "%s", dsim_errmsg());
            break;
        }
        if ((shock >= 0 || custom) && s->n_marks < DASH_MAX_MARKS)
            s->mark_visit[s->n_marks++] = s->done;
        if (s->selected >= 0 && s->selected < s->n_policies) {
            /* A live parameter change on every seed's copy of the policy, then what it is now. */
            const char *name = NULL;
            for (int k = 0; k < K && s->knob_factor > 0; k++) {
                dsim_policy *policy = dsim_sim_policy(sims[s->selected][k]);
                dsim_policy_set_knob(policy, dsim_policy_knob(policy, &name) * s->knob_factor);
            }
            s->knob_factor = 0;
            s->knob_value = dsim_policy_knob(dsim_sim_policy(sims[s->selected][0]), &name);
            snprintf(s->knob_name, sizeof s->knob_name, "%s", name ? name : "");
            /* What the selected policy has learned (first seed), for three kinds of shopper: for Q-learning
               these fall in different state buckets, for the linear agents they are different contexts. */
            double price = s->sc->catalog.price_median;
            const dsim_context profiles[DASH_PROFILES] = {
                {.days_since_visit = -1, .days_since_purchase = -1, .budget_left = 1, .mean_price = price},
                {.n_visits = 8, .n_purchases = 4, .n_discounted = 1, .days_since_visit = 7, .days_since_purchase = 14,
                 .purchase_rate = 0.5, .discount_rate = 0.125, .budget_left = 1, .mean_price = price},
                {.n_visits = 8, .n_purchases = 3, .n_discounted = 7, .n_discounted_purchases = 3, .days_since_visit = 7,
                 .days_since_purchase = 7, .purchase_rate = 0.375, .discount_rate = 0.875, .recent_discount_rate = 0.9,
                 .recent_discount_level = 0.2, .budget_left = 1, .mean_price = price},
            };
            const dsim_policy *policy = dsim_sim_policy(sims[s->selected][0]);
            s->values_known = true;
            for (int k = 0; k < DASH_PROFILES && s->values_known; k++)
                s->values_known = dsim_policy_values(policy, &profiles[k], s->values[k]) == DSIM_OK;
        }
        if (run) {
            for (int p = 0; p < s->n_policies; p++) {
                memcpy(s->seed_metrics[p], m[p], sizeof(dsim_metrics) * (size_t)K);
                sum_metrics(&s->metrics[p], m[p], K);
            }
            uint64_t before = s->done;
            s->done = dsim_sim_visits_done(sims[0][0]);
            if (s->done / s->every != before / s->every || finished)
                add_point(s);
            s->finished = finished;
        }
        double t = now();
        if (t - window_start >= 0.5) {
            s->rate = (double)window_visits / (t - window_start);
            window_start = t;
            window_visits = 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
    for (int p = 0; p < s->n_policies; p++)
        for (int k = 0; k < K; k++) {
            dsim_sim_free(sims[p][k]);
            sims[p][k] = NULL;
        }
    return NULL;
}
