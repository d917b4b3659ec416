/*
 * exact.c — per-visit exact top-K ranking over the shop's noisy embedding estimates.
 *
 * Scores for the whole catalog, then an insertion into a K-long sorted list: O(n_items · d) per visit.
 * Item vectors are stored dimension-major (d, n_items), so scoring is d passes of s += u_j · item_j over
 * contiguous floats, which the compiler vectorises without reordering any sum (results do not depend on
 * the instruction set). A BLAS call is not worth it for one visit: OpenBLAS would wake its threads for a
 * 1000 × 16 product; batch.c ranks many visits with one GEMM.
 */
#include "rank/ranker_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "dsim/error.h"
#include "dsim/rng.h"

/* dst ← src + noise; normalised to unit length for cosine scores (a zero vector stays zero). */
static void noisy_copy(float *dst, const float *src, int d, double noise, bool unit, gsl_rng *rng)
{
    double scale = noise / sqrt((double)d), norm2 = 0;
    for (int j = 0; j < d; j++) {
        dst[j] = src[j] + (float)(scale * dsim_rng_gaussian(rng));
        norm2 += (double)dst[j] * dst[j];
    }
    if (unit && norm2 > 0)
        for (int j = 0; j < d; j++)
            dst[j] = (float)(dst[j] / sqrt(norm2));
}

int dsim_ranker_alloc(dsim_ranker **out, const dsim_world *w, double noise, dsim_score score, uint64_t seed)
{
    dsim_ranker *r = calloc(1, sizeof *r);
    gsl_rng *rng = dsim_rng_alloc();
    if (!r || !rng)
        goto oom;
    r->n_items = dsim_world_n_items(w);
    r->n_shoppers = dsim_world_n_shoppers(w);
    r->dim = dsim_world_dim(w);
    size_t d = (size_t)r->dim;
    r->item = malloc(sizeof(float) * r->n_items * d);
    r->user = malloc(sizeof(float) * r->n_shoppers * d);
    r->scratch = malloc(sizeof(float) * r->n_items);
    if (!r->item || !r->user || !r->scratch)
        goto oom;
    /* Item estimates on even stream indices, shopper estimates on odd ones. */
    float v[1024];
    for (uint32_t i = 0; i < r->n_items; i++) {
        dsim_rng_key(rng, seed, DSIM_STREAM_RANKING, 2 * (uint64_t)i);
        noisy_copy(v, dsim_world_item_taste(w, i), r->dim, noise, score == DSIM_SCORE_COSINE, rng);
        for (size_t j = 0; j < d; j++)
            r->item[j * r->n_items + i] = v[j];
    }
    for (uint32_t u = 0; u < r->n_shoppers; u++) {
        dsim_rng_key(rng, seed, DSIM_STREAM_RANKING, 2 * (uint64_t)u + 1);
        noisy_copy(r->user + u * d, dsim_world_shopper_taste(w, u), r->dim, noise, score == DSIM_SCORE_COSINE, rng);
    }
    gsl_rng_free(rng);
    *out = r;
    return DSIM_OK;
oom:
    gsl_rng_free(rng);
    dsim_ranker_free(r);
    return dsim_error_set(DSIM_ENOMEM, "out of memory allocating the ranker");
}

void dsim_ranker_free(dsim_ranker *r)
{
    if (!r)
        return;
    free(r->item);
    free(r->user);
    free(r->scratch);
    free(r->batch_users);
    free(r->batch_scores);
    free(r->batch_filled);
    free(r);
}

/* all ← Σ_j u_j · item_j over the catalog; elementwise, so the AVX2 clone gives the same bits. */
__attribute__((target_clones("avx2", "default"))) static void score_all(float *restrict all, const float *items,
                                                                        const float *u, int d, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        all[i] = 0.0f;
    for (int j = 0; j < d; j++) {
        const float *column = items + (size_t)j * n;
        float uj = u[j];
        for (uint32_t i = 0; i < n; i++)
            all[i] += uj * column[i];
    }
}

int dsim__ranker_merge(const float *row, uint32_t first, uint32_t m, int k, int filled, uint32_t *items,
                       float *scores)
{
    for (uint32_t c = 0; c < m; c++) {
        float s = row[c];
        if (filled == k && s <= scores[k - 1])
            continue;
        /* Insert, keeping scores descending; equal scores keep the earlier (lower) index first. */
        int pos = filled < k ? filled++ : k - 1;
        while (pos > 0 && scores[pos - 1] < s) {
            scores[pos] = scores[pos - 1];
            items[pos] = items[pos - 1];
            pos--;
        }
        scores[pos] = s;
        items[pos] = first + c;
    }
    return filled;
}

void dsim_ranker_top_k(dsim_ranker *r, uint32_t shopper, int k, uint32_t *items, float *scores)
{
    score_all(r->scratch, r->item, r->user + (size_t)shopper * r->dim, r->dim, r->n_items);
    dsim__ranker_merge(r->scratch, 0, r->n_items, k, 0, items, scores);
}

void dsim_ranker_prefetch(const dsim_ranker *r, uint32_t shopper)
{
    const float *u = r->user + (size_t)shopper * r->dim;
    for (int j = 0; j < r->dim; j += 16)
        __builtin_prefetch(u + j);
}
