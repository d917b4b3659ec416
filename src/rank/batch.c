/*
 * batch.c — the top-K of many visits at once: the shoppers' estimated vectors against the catalog by
 * cblas_sgemm, tile by tile, then a partial top-K per row (exact.c).
 *
 * A tile is up to 256 visits of the batch (a row chunk, counted from the batch's first visit) against up to
 * 4,096 items (a catalog block, counted from item 0), so its score matrix (4 MB at most) stays in cache.
 * Tiles are cut the same way whatever the thread count, and each is one single-threaded sgemm call of its
 * own shape, so every score has the same bits with any number of threads: dsim parallelises across tiles
 * with its own threads and never lets OpenBLAS split a product (its partition, and with it the last bits
 * of the sums, would change with its thread count). Results still depend on the BLAS kernel the machine
 * picks (OPENBLAS_CORETYPE): another kernel sums in another order.
 *
 * Each tile keeps its rows' top k of its block; the rows' lists are then merged block by block in
 * ascending item order, so ties go to the lower index as in exact.c. Tiles go in waves of whole row
 * chunks, enough to keep every thread busy, which bounds the memory of the per-tile lists.
 */
#include <assert.h>
#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "rank/engine.h"
#include "rank/ranker_impl.h"

static uint32_t block_of(const dsim_ranker *r)
{
    return r->n_items < DSIM__RANK_BLOCK ? r->n_items : DSIM__RANK_BLOCK;
}

static int blocks_of(const dsim_ranker *r)
{
    return (int)((r->n_items + DSIM__RANK_BLOCK - 1) / DSIM__RANK_BLOCK);
}

/* Row chunks per wave: one, or enough that the wave has a tile for every thread. */
static int chunks_per_wave(const dsim_ranker *r, int threads)
{
    int blocks = blocks_of(r);
    return blocks >= threads ? 1 : (threads + blocks - 1) / blocks;
}

/* Grow the workspace for batches of n visits on `threads` threads; nothing shrinks. */
static int grow(dsim_ranker *r, int n, int threads, int k)
{
    if (n <= r->capacity && threads <= r->threads_capacity && k <= r->list_width)
        return DSIM_OK;
    k = k > r->list_width ? k : r->list_width;
    n = n > r->capacity ? n : r->capacity;
    n = n > 0 ? n : 1; /* never realloc(p, 0), which frees p */
    threads = threads > r->threads_capacity ? threads : r->threads_capacity;
    size_t rows = n < DSIM__RANK_ROWS ? (size_t)n : DSIM__RANK_ROWS;
    size_t chunks = ((size_t)n + DSIM__RANK_ROWS - 1) / DSIM__RANK_ROWS;
    size_t wave = (size_t)chunks_per_wave(r, threads);
    wave = wave < chunks ? wave : chunks;
    size_t lists = wave * rows * (size_t)blocks_of(r); /* a top-k list per row of each tile in a wave */
    float *users = realloc(r->batch_users, sizeof(float) * (size_t)n * (size_t)r->dim);
    if (users)
        r->batch_users = users;
    float *scores = realloc(r->batch_scores, sizeof(float) * (size_t)threads * rows * block_of(r));
    if (scores)
        r->batch_scores = scores;
    uint32_t *list_items = realloc(r->list_items, sizeof(uint32_t) * lists * (size_t)k);
    if (list_items)
        r->list_items = list_items;
    float *list_scores = realloc(r->list_scores, sizeof(float) * lists * (size_t)k);
    if (list_scores)
        r->list_scores = list_scores;
    int *list_filled = realloc(r->list_filled, sizeof(int) * lists);
    if (list_filled)
        r->list_filled = list_filled;
    if (!users || !scores || !list_items || !list_scores || !list_filled)
        return dsim_error_set(DSIM_ENOMEM, "out of memory ranking a batch of %d visits on %d threads", n,
                              threads);
    r->capacity = n;
    r->threads_capacity = threads;
    r->list_width = k;
    return DSIM_OK;
}

int dsim__ranker_reserve(dsim_ranker *r, int n)
{
    return grow(r, n, r->threads, r->candidates);
}

int dsim_ranker_set_threads(dsim_ranker *r, int n)
{
    n = n > 0 ? n : 1;
    int rc = grow(r, r->capacity, n, r->candidates);
    if (!rc)
        r->threads = n;
    return rc;
}

/* ---- one wave of tiles ---- */

typedef struct {
    const dsim_ranker *r;
    const float *users; /* (n, d) the batch's shopper vectors */
    int n, k;
    int first_chunk, n_tiles; /* the wave: tiles first_chunk · blocks … + n_tiles − 1, chunk-major */
} wave;

typedef struct {
    const wave *w;
    int thread, n_threads;
    float *scores; /* (RANK_ROWS, RANK_BLOCK) this thread's score matrix */
} wave_worker;

/* Tile t of the wave: its rows' top k of its block, into the rows' lists for that block. */
static void rank_tile(const wave *w, int t, float *tile_scores)
{
    const dsim_ranker *r = w->r;
    int d = r->dim, blocks = blocks_of(r), chunk = w->first_chunk + t / blocks, b = t % blocks;
    int v0 = chunk * DSIM__RANK_ROWS, rows = w->n - v0 < DSIM__RANK_ROWS ? w->n - v0 : DSIM__RANK_ROWS;
    uint32_t first = (uint32_t)b * DSIM__RANK_BLOCK;
    uint32_t m = r->n_items - first < DSIM__RANK_BLOCK ? r->n_items - first : DSIM__RANK_BLOCK;
    /* (rows × d) · (d × m): the item matrix is dimension-major, so the block is columns first … first+m−1
       of a d × n_items row-major matrix, leading dimension n_items. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int)m, d, 1.0f, w->users + (size_t)v0 * (size_t)d,
                d, r->item + first, (int)r->n_items, 0.0f, tile_scores, (int)m);
    for (int i = 0; i < rows; i++) {
        size_t list = ((size_t)(chunk - w->first_chunk) * DSIM__RANK_ROWS + (size_t)i) * (size_t)blocks + (size_t)b;
        r->list_filled[list] =
            dsim__ranker_merge(tile_scores + (size_t)i * m, first, m, w->k, 0, r->list_items + list * (size_t)w->k,
                               r->list_scores + list * (size_t)w->k);
    }
}

/* Tiles thread, thread + n_threads, …: which thread ranks a tile changes no bit of it. */
static void *run_worker(void *arg)
{
    const wave_worker *ww = arg;
    for (int t = ww->thread; t < ww->w->n_tiles; t += ww->n_threads)
        rank_tile(ww->w, t, ww->scores);
    return NULL;
}

static void run_wave(const wave *w, int threads)
{
    enum { MAX_THREADS = 256 };
    threads = threads < w->n_tiles ? threads : w->n_tiles;
    threads = threads < MAX_THREADS ? threads : MAX_THREADS;
    size_t tile_floats = (size_t)(w->n < DSIM__RANK_ROWS ? w->n : DSIM__RANK_ROWS) * block_of(w->r);
    wave_worker workers[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (int i = 0; i < threads; i++)
        workers[i] = (wave_worker){w, i, threads, w->r->batch_scores + (size_t)i * tile_floats};
    /* A thread that cannot start leaves its tiles to the calling thread: the same tiles, the same bits. */
    for (int i = 1; i < threads; i++)
        started[i] = pthread_create(&ids[i], NULL, run_worker, &workers[i]) == 0;
    run_worker(&workers[0]);
    for (int i = 1; i < threads; i++) {
        if (started[i])
            pthread_join(ids[i], NULL);
        else
            run_worker(&workers[i]);
    }
}

/* Row v's lists, block by block in ascending item order, into its final top k. */
static void merge_lists(const dsim_ranker *r, size_t first_list, int k, uint32_t *items, float *scores)
{
    int filled = 0, blocks = blocks_of(r);
    for (int b = 0; b < blocks; b++) {
        size_t list = first_list + (size_t)b;
        const uint32_t *list_items = r->list_items + list * (size_t)k;
        const float *list_scores = r->list_scores + list * (size_t)k;
        for (int j = 0; j < r->list_filled[list]; j++)
            filled = dsim__ranker_insert(list_scores[j], list_items[j], k, filled, items, scores);
    }
}

int dsim_ranker_top_k_batch(dsim_ranker *r, const uint32_t *shoppers, int n, int k, uint32_t *items,
                            float *scores)
{
    assert(k >= 1 && k <= DSIM_MAX_CANDIDATES);
    int d = r->dim, rc = grow(r, n, r->threads, k); /* nothing to grow for the engine's own k */
    if (rc)
        return rc;
    float *users = r->batch_users;
    for (int v = 0; v < n; v++) {
        memcpy(users + (size_t)v * (size_t)d, r->user + (size_t)shoppers[v] * (size_t)d, sizeof(float) * (size_t)d);
        if (r->unit_users)
            dsim__normalise(users + (size_t)v * (size_t)d, d);
    }
    int chunks = (n + DSIM__RANK_ROWS - 1) / DSIM__RANK_ROWS, blocks = blocks_of(r);
    int per_wave = chunks_per_wave(r, r->threads);
    for (int c0 = 0; c0 < chunks; c0 += per_wave) {
        int wave_chunks = chunks - c0 < per_wave ? chunks - c0 : per_wave;
        wave w = {r, users, n, k, c0, wave_chunks * blocks};
        run_wave(&w, r->threads);
        int v_end = (c0 + wave_chunks) * DSIM__RANK_ROWS < n ? (c0 + wave_chunks) * DSIM__RANK_ROWS : n;
        for (int v = c0 * DSIM__RANK_ROWS; v < v_end; v++)
            merge_lists(r, (size_t)(v - c0 * DSIM__RANK_ROWS) * (size_t)blocks, k, items + (size_t)v * (size_t)k,
                        scores + (size_t)v * (size_t)k);
    }
    return DSIM_OK;
}
