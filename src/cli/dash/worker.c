/*
 * worker.c — the dashboard's simulation thread: one sim per policy and seed (common random numbers across
 * policies), advanced in lockstep by `speed` visits a tick; each tick it carries out the commands the screen
 * queued, in order, and publishes totals and series points in the view, under the shared lock. The screen
 * never waits on it.
 */
#include <stdio.h>
#include <stdlib.h>
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

/* The seeds' totals together (the table takes means and intervals from the per-seed totals). */
static void sum_metrics(dsim_metrics *sum, const dsim_metrics *m, int k)
{
    *sum = m[0];
    for (int i = 1; i < k; i++)
        dsim_metrics_add(sum, &m[i]);
}

/* Policy p's totals by hidden segment, read from its sims into the view. Under the lock. */
static void publish_segments(dash_view *v, dsim_sim *const *sims, int p)
{
    memset(&v->segments[p], 0, sizeof v->segments[p]);
    for (int k = 0; k < v->n_seeds; k++) {
        dsim_sim_segment_metrics(sims[k], &v->seed_segments[p][k]);
        dsim_segment_metrics_add(&v->segments[p], &v->seed_segments[p][k]);
    }
}

bool dash_push(dash_shared *s, dash_command c)
{
    if (s->tail - s->head == DASH_QUEUE)
        return false;
    s->queue[s->tail++ % DASH_QUEUE] = c;
    return true;
}

/* Keep at most DASH_POINTS points: when full, drop every other one and double the spacing. */
static void add_point(dash_view *v)
{
    if (v->n_points == DASH_POINTS) {
        for (size_t i = 0; i < DASH_POINTS / 2; i++) {
            v->series_visit[i] = v->series_visit[2 * i + 1];
            for (int p = 0; p < v->n_policies; p++) {
                v->series[p][i] = v->series[p][2 * i + 1];
                v->conversion[p][i] = v->conversion[p][2 * i + 1];
            }
        }
        v->n_points = DASH_POINTS / 2;
        v->every *= 2;
    }
    v->series_visit[v->n_points] = v->done;
    for (int p = 0; p < v->n_policies; p++) {
        const dsim_metrics *m = &v->metrics[p];
        v->series[p][v->n_points] = m->reward / v->n_seeds;
        v->conversion[p][v->n_points] = m->visits ? (double)m->purchases / (double)m->visits : 0.0;
    }
    v->n_points++;
}

/* The worker's own state, on the heap: every sim, the totals of the tick, and the commands it carries out. */
typedef struct {
    dsim_sim *sims[DASH_MAX_POLICIES][DASH_MAX_SEEDS];
    dsim_metrics m[DASH_MAX_POLICIES][DASH_MAX_SEEDS];
    /* a policy being added, caught up outside the lock: the others' chart visits, and its points */
    uint64_t visits[DASH_POINTS];
    double series[DASH_POINTS], conversion[DASH_POINTS];
    /* this tick's commands, taken from the queue in order */
    bool step, restart;
    int n_shocks, n_add, n_remove;
    dsim_shock_config shocks[DASH_QUEUE];
    const dsim_policy_config *add[DASH_QUEUE];
    int remove[DASH_QUEUE];
    double knob; /* the product of the factors asked (1: none) */
} worker;

/* A new policy's sims on every seed, run up to the others' visit: its chart points are taken at the same
   visits as theirs, so it joins the race as if it had run from the start. Outside the lock. */
static int catch_up(const dash_view *v, const dsim_policy_config *cfg, dsim_sim **sims, const uint64_t *visits,
                    size_t n_points, uint64_t done, double *series, double *conversion, dsim_metrics *m)
{
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = v->horizon;
    int rc = DSIM_OK, K = v->n_seeds;
    for (int k = 0; k < K && !rc; k++)
        rc = dsim_sim_create(&sims[k], v->sc, cfg, v->seed + (uint64_t)k, &options);
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
static void drop(dash_shared *s, worker *w, int p)
{
    dash_view *v = &s->view;
    for (int k = 0; k < v->n_seeds; k++)
        dsim_sim_free(w->sims[p][k]);
    for (int q = p; q + 1 < v->n_policies; q++) {
        memcpy(w->sims[q], w->sims[q + 1], sizeof w->sims[q]);
        v->configs[q] = v->configs[q + 1];
        v->mark[q] = v->mark[q + 1];
        v->metrics[q] = v->metrics[q + 1];
        memcpy(v->seed_metrics[q], v->seed_metrics[q + 1], sizeof v->seed_metrics[q]);
        memcpy(v->seed_segments[q], v->seed_segments[q + 1], sizeof v->seed_segments[q]);
        v->segments[q] = v->segments[q + 1];
        memcpy(v->series[q], v->series[q + 1], sizeof v->series[q]);
        memcpy(v->conversion[q], v->conversion[q + 1], sizeof v->conversion[q]);
    }
    v->n_policies--;
    memset(w->sims[v->n_policies], 0, sizeof w->sims[0]);
    s->controls.selected = -1; /* the shown policy may have moved */
}

/* Take the queued commands into this tick's plan, in order. Under the lock. */
static void take_commands(dash_shared *s, worker *w)
{
    w->step = w->restart = false;
    w->n_shocks = w->n_add = w->n_remove = 0;
    w->knob = 1.0;
    for (; s->head != s->tail; s->head++) {
        const dash_command *c = &s->queue[s->head % DASH_QUEUE];
        switch (c->kind) {
        case DASH_STEP:
            w->step = s->controls.paused;
            break;
        case DASH_SHOCK:
            w->shocks[w->n_shocks++] = s->view.sc->shocks[c->index];
            break;
        case DASH_MARKET:
            w->shocks[w->n_shocks++] = c->shock;
            break;
        case DASH_KNOB:
            w->knob *= c->value;
            break;
        case DASH_ADD:
            w->add[w->n_add++] = c->policy;
            break;
        case DASH_REMOVE:
            w->remove[w->n_remove++] = c->index;
            break;
        case DASH_RESTART:
            w->restart = true;
            break;
        }
    }
}

static int create_all(const dash_view *v, worker *w, const dsim_sim_options *options)
{
    int rc = DSIM_OK;
    for (int p = 0; p < v->n_policies && !rc; p++)
        for (int k = 0; k < v->n_seeds && !rc; k++) {
            dsim_sim_free(w->sims[p][k]);
            w->sims[p][k] = NULL;
            rc = dsim_sim_create(&w->sims[p][k], v->sc, v->configs[p], v->seed + (uint64_t)k, options);
        }
    return rc;
}

/* New seeds, the same policies as built: every sim made again, the chart from the origin. Under the lock. */
static int restart(dash_view *v, worker *w, const dsim_sim_options *options)
{
    v->seed += (uint64_t)v->n_seeds;
    int rc = create_all(v, w, options);
    memset(v->metrics, 0, sizeof v->metrics);
    memset(v->seed_metrics, 0, sizeof v->seed_metrics);
    memset(v->seed_segments, 0, sizeof v->seed_segments);
    memset(v->segments, 0, sizeof v->segments);
    v->done = 0;
    v->n_points = 0;
    v->n_marks = 0;
    v->finished = false;
    add_point(v);
    return rc;
}

/* Add a policy: caught up outside the lock, then joined in. Called and returns with the lock held. */
static int add_policy(dash_shared *s, worker *w, const dsim_policy_config *cfg)
{
    dash_view *v = &s->view;
    int K = v->n_seeds;
    if (v->n_policies >= DASH_MAX_POLICIES)
        return DSIM_OK;
    dsim_metrics added[DASH_MAX_SEEDS];
    dsim_sim *new_sims[DASH_MAX_SEEDS] = {0};
    size_t n_points = v->n_points;
    uint64_t done = v->done;
    memcpy(w->visits, v->series_visit, sizeof(uint64_t) * n_points);
    pthread_mutex_unlock(&s->lock);
    int rc = catch_up(v, cfg, new_sims, w->visits, n_points, done, w->series, w->conversion, added);
    pthread_mutex_lock(&s->lock);
    int p = v->n_policies;
    if (rc || v->n_points != n_points || v->done != done) { /* failed, or the others moved on (cannot) */
        for (int k = 0; k < K; k++)
            dsim_sim_free(new_sims[k]);
    } else {
        memcpy(w->sims[p], new_sims, sizeof new_sims);
        v->configs[p] = cfg;
        v->mark[p] = 0; /* the first marker no policy wears */
        for (bool taken = true; taken;) {
            taken = false;
            for (int q = 0; q < p; q++)
                taken |= v->mark[q] == v->mark[p];
            v->mark[p] += taken;
        }
        memcpy(v->seed_metrics[p], added, sizeof(dsim_metrics) * (size_t)K);
        sum_metrics(&v->metrics[p], added, K);
        publish_segments(v, w->sims[p], p);
        memcpy(v->series[p], w->series, sizeof(double) * n_points);
        memcpy(v->conversion[p], w->conversion, sizeof(double) * n_points);
        v->n_policies++;
    }
    if (rc)
        snprintf(v->error, sizeof v->error, "adding %s: %s", cfg->name, dsim_errmsg());
    return rc;
}

/* The shown policy: its live parameter changed on every seed's copy as asked, then what it is now and what it
   has learned (first seed) for three kinds of shopper — for Q-learning these fall in different state buckets,
   for the linear agents they are different contexts. Under the lock. */
static void show_selected(dash_shared *s, worker *w)
{
    dash_view *v = &s->view;
    int p = s->controls.selected, K = v->n_seeds;
    if (p < 0 || p >= v->n_policies)
        return;
    const char *name = NULL;
    for (int k = 0; k < K && w->knob != 1.0; k++) {
        dsim_policy *policy = dsim_sim_policy(w->sims[p][k]);
        dsim_policy_set_knob(policy, dsim_policy_knob(policy, &name) * w->knob);
    }
    v->knob_value = dsim_policy_knob(dsim_sim_policy(w->sims[p][0]), &name);
    snprintf(v->knob_name, sizeof v->knob_name, "%s", name ? name : "");
    double price = v->sc->catalog.price_median;
    const dsim_context profiles[DASH_PROFILES] = {
        {.days_since_visit = -1, .days_since_purchase = -1, .budget_left = 1, .mean_price = price},
        {.n_visits = 8, .n_purchases = 4, .n_discounted = 1, .days_since_visit = 7, .days_since_purchase = 14,
         .purchase_rate = 0.5, .discount_rate = 0.125, .budget_left = 1, .mean_price = price},
        {.n_visits = 8, .n_purchases = 3, .n_discounted = 7, .n_discounted_purchases = 3, .days_since_visit = 7,
         .days_since_purchase = 7, .purchase_rate = 0.375, .discount_rate = 0.875, .recent_discount_rate = 0.9,
         .recent_discount_level = 0.2, .budget_left = 1, .mean_price = price},
    };
    const dsim_policy *policy = dsim_sim_policy(w->sims[p][0]);
    v->values_known = true;
    for (int k = 0; k < DASH_PROFILES && v->values_known; k++)
        v->values_known = dsim_policy_values(policy, &profiles[k], v->values[k]) == DSIM_OK;
}

void *dash_worker(void *arg)
{
    dash_shared *s = arg;
    dash_view *v = &s->view;
    worker *w = calloc(1, sizeof *w);
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = v->horizon;
    int K = v->n_seeds;
    double window_start = now();
    uint64_t window_visits = 0;
    pthread_mutex_lock(&s->lock);
    int rc = w ? create_all(v, w, &options) : dsim_error_set(DSIM_ENOMEM, "out of memory for the dashboard's sims");
    if (rc)
        snprintf(v->error, sizeof v->error, "%s", dsim_errmsg());
    add_point(v); /* the origin: nothing earned at visit 0 */
    while (!rc && !s->controls.quit) {
        take_commands(s, w);
        if (w->restart && (rc = restart(v, w, &options))) {
            snprintf(v->error, sizeof v->error, "%s", dsim_errmsg());
            break;
        }
        for (int i = 0; i < w->n_remove; i++)
            if (w->remove[i] >= 0 && w->remove[i] < v->n_policies)
                drop(s, w, w->remove[i]);
        for (int i = 0; i < w->n_add && !rc; i++)
            rc = add_policy(s, w, w->add[i]);
        if (rc)
            break;
        bool run = (!s->controls.paused || w->step) && !v->finished;
        uint64_t n = w->step ? 1 : (uint64_t)s->controls.speed;
        int n_policies = v->n_policies;
        pthread_mutex_unlock(&s->lock);

        for (int i = 0; i < w->n_shocks; i++)
            for (int p = 0; p < n_policies && !rc; p++)
                for (int k = 0; k < K && !rc; k++)
                    rc = dsim_sim_shock_now(w->sims[p][k], &w->shocks[i]);
        bool finished = false;
        if (run) {
            for (int p = 0; p < n_policies && !rc; p++)
                for (int k = 0; k < K && !rc; k++) {
                    int r = dsim_sim_advance(w->sims[p][k], n);
                    finished |= r == DSIM_DONE || dsim_sim_visits_done(w->sims[p][k]) >= v->horizon;
                    if (r != DSIM_OK && r != DSIM_DONE)
                        rc = r;
                    dsim_sim_metrics(w->sims[p][k], &w->m[p][k]);
                }
            window_visits += n * (uint64_t)(n_policies * K);
        }
        if (!run || n < DASH_MAX_SPEED)
            nap(); /* a tick every 20 ms: `speed` sets the pace, the top speed runs flat out */

        pthread_mutex_lock(&s->lock);
        if (rc) {
            snprintf(v->error, sizeof v->error, "%s", dsim_errmsg());
            break;
        }
        if (w->n_shocks > 0 && v->n_marks < DASH_MAX_MARKS)
            v->mark_visit[v->n_marks++] = v->done;
        show_selected(s, w);
        if (run) {
            for (int p = 0; p < n_policies; p++) {
                memcpy(v->seed_metrics[p], w->m[p], sizeof(dsim_metrics) * (size_t)K);
                sum_metrics(&v->metrics[p], w->m[p], K);
                publish_segments(v, w->sims[p], p);
            }
            uint64_t before = v->done;
            v->done = dsim_sim_visits_done(w->sims[0][0]);
            if (v->done / v->every != before / v->every || finished)
                add_point(v);
            v->finished = finished;
        }
        double t = now();
        if (t - window_start >= 0.5) {
            v->rate = (double)window_visits / (t - window_start);
            window_start = t;
            window_visits = 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
    for (int p = 0; w && p < DASH_MAX_POLICIES; p++)
        for (int k = 0; k < DASH_MAX_SEEDS; k++)
            dsim_sim_free(w->sims[p][k]);
    free(w);
    return NULL;
}
