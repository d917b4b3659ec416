/*
 * source_learned.c — a matrix factorisation learned online from the shop's own feedback: implicit-feedback
 * alternating least squares (Hu, Koren & Volinsky 2008), retrained every retrain_every visits on all the
 * feedback so far, warm-started from the previous factors.
 *
 * A click on item i by shopper u adds 1 to the pair's count, a purchase adds purchase_weight. The pair's
 * confidence is c = 1 + α·count and its preference p = 1; every pair without feedback has p = 0, c = 1.
 * A sweep solves, for every shopper with feedback,
 *     x_u = (YᵀY + Σ_{i∈I(u)} (c_ui − 1) y_i y_iᵀ + λI)⁻¹ Σ_{i∈I(u)} c_ui y_i
 * (the Gram YᵀY once per sweep, so a shopper costs d² per pair plus a d × d Cholesky solve), then the same
 * for every item with feedback against the shoppers with feedback.
 *
 * Cold start from what the shop knows of its catalog, the categories: an item starts at its category's
 * direction (a random unit vector per category, seeded) plus a little noise of its own, and an item still
 * without feedback after a retrain takes the mean of its category's learned items. A shopper without
 * feedback is the mean learned shopper plus a random direction of length cold_start_noise (seeded by the
 * shopper), so new shoppers see popular items with some variety.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "dsim/error.h"
#include "dsim/rng.h"
#include "rank/ranker_impl.h"

/* Its own keys ([ranking]). */
typedef struct {
    double retrain_every;      /* visits between retrains */
    int als_sweeps;            /* alternating sweeps per retrain */
    double als_regularisation; /* λ */
    double als_confidence;     /* α in the confidence 1 + α · (clicks + weighted purchases) */
} learned_config;

static const scenario_key learned_keys[] = {
    {SECTION_RANKING, "retrain_every", KEY_DOUBLE, offsetof(learned_config, retrain_every), 0, "10000", 1, 1e12,
     "visits", "embeddings = learned: visits between retrains of the factorisation on all feedback so far", NULL, 0},
    {SECTION_RANKING, "als_sweeps", KEY_INT, offsetof(learned_config, als_sweeps), 0, "2", 1, 100, "",
     "embeddings = learned: alternating least-squares sweeps per retrain (warm-started)", NULL, 0},
    {SECTION_RANKING, "als_regularisation", KEY_DOUBLE, offsetof(learned_config, als_regularisation), 0, "50", 1e-9,
     1e9, "", "embeddings = learned: λ, the ridge penalty on every factor", NULL, 0},
    {SECTION_RANKING, "als_confidence", KEY_DOUBLE, offsetof(learned_config, als_confidence), 0, "2", 0, 1e6, "",
     "embeddings = learned: α in the confidence 1 + α · (clicks + purchase_weight · purchases) of a "
     "shopper–item pair (Hu, Koren & Volinsky 2008)",
     NULL, 0},
};

#define ITEM_NOISE 0.1 /* length of an item's own noise around its category's direction at the start */

typedef struct {
    uint32_t user, item;
    float count;
} pair;

typedef struct {
    pair *pairs; /* feedback so far; sorted by (user, item) and merged at each retrain, appended between */
    size_t n, capacity;
    double *y;        /* (n_items, d) item factors */
    uint64_t trained; /* visit of the last retrain */
    gsl_rng *rng;
} learned;

static int by_user_then_item(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

/* Sort and merge repeated pairs. @return the pairs left. */
static size_t compact(pair *p, size_t n)
{
    qsort(p, n, sizeof *p, by_user_then_item);
    size_t m = 0;
    for (size_t e = 0; e < n; e++) {
        if (m > 0 && p[m - 1].user == p[e].user && p[m - 1].item == p[e].item)
            p[m - 1].count += p[e].count;
        else
            p[m++] = p[e];
    }
    return m;
}

/* ---- one least-squares solve ---------------------------------------------------------------------------- */

typedef struct {
    int d;
    double lambda, alpha;
    double *gram; /* (d, d) Σ of the other side's factors' outer products */
    double *a, *b, *x;
} solver;

static void gram_of(double *gram, const double *factors, const unsigned char *use, size_t n, int d)
{
    memset(gram, 0, sizeof(double) * (size_t)d * (size_t)d);
    for (size_t r = 0; r < n; r++) {
        if (use && !use[r])
            continue;
        const double *f = factors + r * (size_t)d;
        for (int i = 0; i < d; i++)
            for (int j = 0; j <= i; j++)
                gram[i * d + j] += f[i] * f[j];
    }
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++)
            gram[i * d + j] = gram[j * d + i];
}

/* Start a system A = Gram + λI, b = 0. */
static void solver_start(solver *s)
{
    int d = s->d;
    memcpy(s->a, s->gram, sizeof(double) * (size_t)d * (size_t)d);
    for (int i = 0; i < d; i++)
        s->a[i * d + i] += s->lambda;
    memset(s->b, 0, sizeof(double) * (size_t)d);
}

/* Add one pair: its factor f on the other side, seen `count` times. */
static void solver_add(solver *s, const double *f, double count)
{
    int d = s->d;
    double c = 1.0 + s->alpha * count;
    for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++)
            s->a[i * d + j] += (c - 1.0) * f[i] * f[j];
        s->b[i] += c * f[i];
    }
}

static int solver_solve(solver *s)
{
    gsl_matrix_view a = gsl_matrix_view_array(s->a, (size_t)s->d, (size_t)s->d);
    gsl_vector_view b = gsl_vector_view_array(s->b, (size_t)s->d), x = gsl_vector_view_array(s->x, (size_t)s->d);
    if (gsl_linalg_cholesky_decomp1(&a.matrix) || gsl_linalg_cholesky_solve(&a.matrix, &b.vector, &x.vector))
        return dsim_error_set(DSIM_ENUMERIC, "learned embeddings: a least-squares system is not positive definite");
    return DSIM_OK;
}

/* ---- retraining ------------------------------------------------------------------------------------------ */

typedef struct {
    double *x;               /* (n_shoppers, d) shopper factors in double, for the item step */
    unsigned char *has_user; /* (n_shoppers) */
    unsigned char *has_item; /* (n_items) */
    uint32_t *by_item;       /* (pairs) pair indices ordered by item */
    size_t *item_start;      /* (n_items + 1) */
} workspace;

static void workspace_free(workspace *ws)
{
    free(ws->x);
    free(ws->has_user);
    free(ws->has_item);
    free(ws->by_item);
    free(ws->item_start);
}

static int workspace_alloc(workspace *ws, const dsim_ranker *r, size_t n_pairs)
{
    *ws = (workspace){0};
    ws->x = calloc((size_t)r->n_shoppers * (size_t)r->dim, sizeof(double));
    ws->has_user = calloc(r->n_shoppers, 1);
    ws->has_item = calloc(r->n_items, 1);
    ws->by_item = malloc(sizeof(uint32_t) * (n_pairs ? n_pairs : 1));
    ws->item_start = calloc((size_t)r->n_items + 1, sizeof(size_t));
    if (ws->x && ws->has_user && ws->has_item && ws->by_item && ws->item_start)
        return DSIM_OK;
    workspace_free(ws);
    return dsim_error_set(DSIM_ENOMEM, "out of memory retraining the learned embeddings");
}

/* Pair indices grouped by item (a counting sort), and who has feedback. */
static void index_pairs(workspace *ws, const pair *p, size_t n, uint32_t n_items)
{
    for (size_t e = 0; e < n; e++) {
        ws->item_start[p[e].item + 1]++;
        ws->has_user[p[e].user] = ws->has_item[p[e].item] = 1;
    }
    for (uint32_t i = 0; i < n_items; i++)
        ws->item_start[i + 1] += ws->item_start[i];
    size_t *next = ws->item_start; /* filled in place, then shifted back */
    for (size_t e = 0; e < n; e++)
        ws->by_item[next[p[e].item]++] = (uint32_t)e;
    for (uint32_t i = n_items; i > 0; i--)
        ws->item_start[i] = ws->item_start[i - 1];
    ws->item_start[0] = 0;
}

static int sweep(dsim_ranker *r, learned *st, workspace *ws, solver *s)
{
    int d = r->dim;
    const pair *p = st->pairs;
    /* Shoppers against the items. */
    gram_of(s->gram, st->y, NULL, r->n_items, d);
    for (size_t e = 0; e < st->n;) {
        uint32_t u = p[e].user;
        solver_start(s);
        for (; e < st->n && p[e].user == u; e++)
            solver_add(s, st->y + (size_t)p[e].item * (size_t)d, p[e].count);
        int rc = solver_solve(s);
        if (rc)
            return rc;
        memcpy(ws->x + (size_t)u * (size_t)d, s->x, sizeof(double) * (size_t)d);
    }
    /* Items against the shoppers with feedback. */
    gram_of(s->gram, ws->x, ws->has_user, r->n_shoppers, d);
    for (uint32_t i = 0; i < r->n_items; i++) {
        if (!ws->has_item[i])
            continue;
        solver_start(s);
        for (size_t k = ws->item_start[i]; k < ws->item_start[i + 1]; k++) {
            const pair *q = &p[ws->by_item[k]];
            solver_add(s, ws->x + (size_t)q->user * (size_t)d, q->count);
        }
        int rc = solver_solve(s);
        if (rc)
            return rc;
        memcpy(st->y + (size_t)i * (size_t)d, s->x, sizeof(double) * (size_t)d);
    }
    return DSIM_OK;
}

/* Items without feedback take their category's mean learned item (when the category has one). */
static void cold_items(dsim_ranker *r, learned *st, const workspace *ws)
{
    int d = r->dim, n_categories = r->sc->catalog.categories;
    double *mean = calloc((size_t)n_categories * (size_t)d, sizeof(double));
    size_t *count = calloc((size_t)n_categories, sizeof(size_t));
    if (mean && count) {
        for (uint32_t i = 0; i < r->n_items; i++) {
            if (!ws->has_item[i])
                continue;
            int c = dsim_world_item_category(r->world, i);
            count[c]++;
            for (int j = 0; j < d; j++)
                mean[(size_t)c * d + j] += st->y[(size_t)i * d + j];
        }
        for (uint32_t i = 0; i < r->n_items; i++) {
            int c = dsim_world_item_category(r->world, i);
            if (ws->has_item[i] || !count[c])
                continue;
            for (int j = 0; j < d; j++)
                st->y[(size_t)i * d + j] = mean[(size_t)c * d + j] / (double)count[c];
        }
    } /* out of memory: cold items keep their vectors, which is still a valid ranking */
    free(mean);
    free(count);
}

/* The shop's vectors from the factors: items for scoring, shoppers with feedback as learned, the others as
   the mean learned shopper plus their own random direction. */
static void publish(dsim_ranker *r, learned *st, const workspace *ws)
{
    int d = r->dim;
    float v[DSIM_MAX_DIM];
    for (uint32_t i = 0; i < r->n_items; i++) {
        for (int j = 0; j < d; j++)
            v[j] = (float)st->y[(size_t)i * d + j];
        dsim__set_item(r, i, v);
    }
    double mean[DSIM_MAX_DIM] = {0};
    size_t users = 0;
    for (uint32_t u = 0; u < r->n_shoppers; u++)
        if (ws->has_user[u]) {
            users++;
            for (int j = 0; j < d; j++)
                mean[j] += ws->x[(size_t)u * d + j];
        }
    for (uint32_t u = 0; u < r->n_shoppers; u++) {
        float *row = r->user + (size_t)u * (size_t)d;
        if (ws->has_user[u]) {
            for (int j = 0; j < d; j++)
                row[j] = (float)ws->x[(size_t)u * d + j];
            continue;
        }
        dsim__cold_start(row, d, r->sc->ranking.cold_start_noise, r->seed, u, st->rng);
        for (int j = 0; j < d; j++)
            row[j] = (float)(row[j] + mean[j] / (double)(users ? users : 1));
    }
}

static int retrain(dsim_ranker *r, learned *st)
{
    st->n = compact(st->pairs, st->n);
    workspace ws;
    int rc = workspace_alloc(&ws, r, st->n);
    if (rc)
        return rc;
    index_pairs(&ws, st->pairs, st->n, r->n_items);
    /* The item factors carry over from the last retrain (warm start); a shopper's are a closed form given
       them, so they need no start. */
    size_t dd = (size_t)r->dim * (size_t)r->dim;
    double *buffers = malloc(sizeof(double) * (2 * dd + 3 * (size_t)r->dim));
    if (!buffers) {
        workspace_free(&ws);
        return dsim_error_set(DSIM_ENOMEM, "out of memory retraining the learned embeddings");
    }
    solver s = {.d = r->dim,
                .lambda = ((const learned_config *)r->source_config)->als_regularisation,
                .alpha = ((const learned_config *)r->source_config)->als_confidence,
                .gram = buffers,
                .a = buffers + dd,
                .b = buffers + 2 * dd,
                .x = buffers + 2 * dd + (size_t)r->dim};
    for (int k = 0; k < ((const learned_config *)r->source_config)->als_sweeps && !rc; k++)
        rc = sweep(r, st, &ws, &s);
    if (!rc) {
        cold_items(r, st, &ws);
        publish(r, st, &ws);
    }
    free(buffers);
    workspace_free(&ws);
    return rc;
}

/* ---- the source's table ---------------------------------------------------------------------------------- */

static int learned_init(dsim_ranker *r)
{
    learned *st = r->source_state;
    int d = r->dim, n_categories = r->sc->catalog.categories;
    st->y = malloc(sizeof(double) * r->n_items * (size_t)d);
    st->rng = dsim_rng_alloc();
    double *prior = malloc(sizeof(double) * (size_t)n_categories * (size_t)d);
    if (!st->y || !st->rng || !prior) {
        free(prior);
        return dsim_error_set(DSIM_ENOMEM, "out of memory building the learned embeddings");
    }
    gsl_set_error_handler_off();
    float v[DSIM_MAX_DIM];
    for (int c = 0; c < n_categories; c++) {
        dsim_rng_key(st->rng, r->seed, DSIM_STREAM_CATEGORY_PRIOR, (uint64_t)c);
        for (int j = 0; j < d; j++)
            v[j] = (float)dsim_rng_gaussian(st->rng);
        dsim__normalise(v, d);
        for (int j = 0; j < d; j++)
            prior[(size_t)c * d + j] = v[j];
    }
    for (uint32_t i = 0; i < r->n_items; i++) {
        /* Items' own noise on the cold-start stream after the shoppers' indices. */
        dsim__cold_start(v, d, ITEM_NOISE, r->seed, (uint64_t)r->n_shoppers + i, st->rng);
        int c = dsim_world_item_category(r->world, i);
        for (int j = 0; j < d; j++)
            st->y[(size_t)i * d + j] = prior[(size_t)c * d + j] + v[j];
        for (int j = 0; j < d; j++)
            v[j] = (float)st->y[(size_t)i * d + j];
        dsim__set_item(r, i, v);
    }
    free(prior);
    for (uint32_t u = 0; u < r->n_shoppers; u++)
        dsim__cold_start(r->user + (size_t)u * (size_t)d, d, r->sc->ranking.cold_start_noise, r->seed, u, st->rng);
    return DSIM_OK;
}

static void learned_observe(dsim_ranker *r, const dsim_rank_feedback *fb)
{
    learned *st = r->source_state;
    for (int j = 0; j < fb->k; j++) {
        double count = ((fb->clicked >> j) & 1) + (fb->bought == j ? r->sc->ranking.purchase_weight : 0.0);
        if (count <= 0)
            continue;
        if (st->n == st->capacity) {
            size_t grown = st->capacity ? 2 * st->capacity : 4096;
            pair *p = realloc(st->pairs, sizeof(pair) * grown);
            if (!p)
                return; /* out of memory: this feedback is lost, the factors stay valid */
            st->pairs = p;
            st->capacity = grown;
        }
        st->pairs[st->n++] = (pair){fb->shopper, fb->items[j], (float)count};
    }
}

static int learned_refresh(dsim_ranker *r, uint64_t visit)
{
    learned *st = r->source_state;
    if (visit < st->trained + (uint64_t)((const learned_config *)r->source_config)->retrain_every || st->n == 0)
        return DSIM_OK;
    st->trained = visit;
    return retrain(r, st);
}

static void learned_free(dsim_ranker *r)
{
    learned *st = r->source_state;
    free(st->pairs);
    free(st->y);
    gsl_rng_free(st->rng);
}

const dsim__embedding_source dsim__source_learned = {
    .strategy = {"learned", "implicit-feedback ALS on the shop's own clicks and purchases", learned_keys,
                 sizeof learned_keys / sizeof learned_keys[0], sizeof(learned_config), 0, NULL},
    .state_size = sizeof(learned),
    .init = learned_init,
    .observe = learned_observe,
    .refresh = learned_refresh,
    .free = learned_free,
};
