/*
 * test_rank.c — the batched GEMM ranker against the per-visit exact ranker: the same top-K lists, best
 * first, with the same scores up to float rounding; only items whose scores tie within rounding may trade
 * places. Across block boundaries of the catalog (more items than one GEMM block), for a batch of one, and
 * with one to four ranking threads (the same bits, by construction: whatever OpenBLAS kernel the machine
 * picks); and the partial top-K merge itself against a full sort.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/rank.h"
#include "dsim/rng.h"
#include "dsim/world.h"
#include "helpers.h"
#include "rank/ranker_impl.h"

enum { K = 8, N = 300 };

static void test_rank__batch_equals_the_per_visit_ranker(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc,
                                  "[scenario]\nshoppers = 2000\n[catalog]\nitems = 9000\ncategories = 20\n"
                                  "embedding_dim = 24\n[segment.a]\nshare = 1\n",
                                  "rank.ini"));
    dsim_world *w = NULL;
    dsim_ranker *r = NULL;
    ASSERT_OK(dsim_world_alloc(&w, sc, 3));
    ASSERT_OK(dsim_ranker_alloc(&r, w, 3));
    /* Threads set before any batch is reserved (an empty workspace must grow, never realloc to 0). */
    ASSERT_OK(dsim_ranker_set_threads(r, 2));
    ASSERT_OK(dsim_ranker_set_threads(r, 4));
    ASSERT_OK(dsim_ranker_set_threads(r, 1));
    uint32_t shoppers[N], *items = malloc(sizeof(uint32_t) * N * K);
    float *scores = malloc(sizeof(float) * N * K);
    for (int v = 0; v < N; v++)
        shoppers[v] = (uint32_t)(v * 7 % 2000);
    ASSERT_OK(dsim_ranker_top_k_batch(r, shoppers, N, K, items, scores));
    int identical = 0;
    for (int v = 0; v < N; v++) {
        uint32_t exact_items[K];
        float exact_scores[K];
        dsim_ranker_top_k(r, shoppers[v], K, exact_items, exact_scores);
        const uint32_t *got = items + v * K;
        const float *got_scores = scores + v * K;
        for (int j = 0; j < K; j++) {
            assert_true(fabsf(got_scores[j] - exact_scores[j]) <= 1e-5f * (1 + fabsf(exact_scores[j])));
            if (j > 0)
                assert_true(got_scores[j] <= got_scores[j - 1]);
        }
        if (memcmp(got, exact_items, sizeof exact_items) == 0) {
            identical++;
            continue;
        }
        /* A difference is only allowed between items whose scores agree within rounding. */
        for (int j = 0; j < K; j++)
            if (got[j] != exact_items[j])
                assert_true(fabsf(got_scores[j] - exact_scores[j]) <= 1e-5f * (1 + fabsf(exact_scores[j])));
    }
    printf("# %d of %d top-%d lists identical to the per-visit ranker's\n", identical, N, K);
    assert_true(identical >= N * 98 / 100);

    uint32_t one_items[K], exact_items[K];
    float one_scores[K], exact_scores[K];
    ASSERT_OK(dsim_ranker_top_k_batch(r, shoppers + 5, 1, K, one_items, one_scores));
    dsim_ranker_top_k(r, shoppers[5], K, exact_items, exact_scores);
    assert_true(memcmp(one_items, items + 5 * K, sizeof one_items) == 0); /* batch size does not matter */

    /* Nor does the thread count: the same tiles, each one single-threaded sgemm, so the same bits with one,
       two or three threads (three blocks of the catalog, two row chunks: waves of one and of two chunks). */
    uint32_t *items2 = malloc(sizeof(uint32_t) * N * K);
    float *scores2 = malloc(sizeof(float) * N * K);
    ASSERT_OK(dsim_ranker_set_threads(r, 1));
    ASSERT_OK(dsim_ranker_top_k_batch(r, shoppers, N, K, items, scores));
    for (int threads = 2; threads <= 4; threads++) {
        ASSERT_OK(dsim_ranker_set_threads(r, threads));
        ASSERT_OK(dsim_ranker_top_k_batch(r, shoppers, N, K, items2, scores2));
        assert_true(memcmp(items, items2, sizeof(uint32_t) * N * K) == 0);
        assert_true(memcmp(scores, scores2, sizeof(float) * N * K) == 0);
    }
    free(items2);
    free(scores2);
    free(items);
    free(scores);
    dsim_ranker_free(r);
    dsim_world_free(w);
    dsim_scenario_free(sc);
}

typedef struct {
    float score;
    uint32_t item;
} scored;

/* Descending score, then ascending index: the order the ranker promises. */
static int by_rank(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

/* The partial top-K merge against a full sort, with many ties (scores on a coarse grid), every K, rows
   shorter and longer than its stripes and chunks, and a row merged in two parts as the blocks of a batch. */
static void test_rank__merge_equals_a_full_sort_ties_included(void **state)
{
    (void)state;
    enum { M = 1000 };
    static float row[M];
    static scored all[M];
    gsl_rng *rng = dsim_rng_alloc();
    dsim_rng_key(rng, 11, 0, 0);
    const uint32_t lengths[] = {1, 7, 16, 127, 128, 200, 999, M};
    for (int grid = 0; grid < 2; grid++)
        for (size_t n = 0; n < sizeof lengths / sizeof lengths[0]; n++)
            for (int k = 1; k <= DSIM_MAX_SLATE; k++) {
                uint32_t m = lengths[n];
                for (uint32_t i = 0; i < m; i++) {
                    double u = gsl_rng_uniform(rng);
                    row[i] = grid ? (float)floor(u * 20) : (float)(u * 1e3 - 500); /* grid 1: ties everywhere */
                    all[i] = (scored){row[i], i};
                }
                qsort(all, m, sizeof all[0], by_rank);
                uint32_t items[DSIM_MAX_SLATE], split_items[DSIM_MAX_SLATE];
                float scores[DSIM_MAX_SLATE], split_scores[DSIM_MAX_SLATE];
                int filled = dsim__ranker_merge(row, 0, m, k, 0, items, scores);
                uint32_t half = m / 2;
                int split = dsim__ranker_merge(row, 0, half, k, 0, split_items, split_scores);
                split = dsim__ranker_merge(row + half, half, m - half, k, split, split_items, split_scores);
                int expect = (uint32_t)k < m ? k : (int)m;
                assert_int_equal(filled, expect);
                assert_int_equal(split, expect);
                for (int j = 0; j < expect; j++) {
                    assert_int_equal(items[j], all[j].item);
                    assert_int_equal(split_items[j], all[j].item);
                    assert_true(scores[j] == all[j].score);
                }
            }
    gsl_rng_free(rng);
}

/* Cosine scores: the same noisy estimates as for dot scores (same streams), normalised; the top-K must be
   the top-K of the cosines computed by hand in double from the dot ranker's vectors. */
static void test_rank__cosine_ranks_by_the_cosine_of_the_estimates(void **state)
{
    (void)state;
    /* Two worlds of one seed (the score does not change the truth), one ranker scoring each way. */
    const char *base = "[scenario]\nshoppers = 200\n[catalog]\nitems = 500\nembedding_dim = 8\n"
                       "[segment.a]\nshare = 1\n[ranking]\nembedding_noise = 0.5\nscore = ";
    char text[512];
    dsim_scenario *sc = NULL, *sc_cos = NULL;
    snprintf(text, sizeof text, "%sdot\n", base);
    ASSERT_OK(dsim_scenario_parse(&sc, text, "dot.ini"));
    snprintf(text, sizeof text, "%scosine\n", base);
    ASSERT_OK(dsim_scenario_parse(&sc_cos, text, "cos.ini"));
    dsim_world *w = NULL, *w_cos = NULL;
    dsim_ranker *dot = NULL, *cos = NULL;
    ASSERT_OK(dsim_world_alloc(&w, sc, 4));
    ASSERT_OK(dsim_world_alloc(&w_cos, sc_cos, 4));
    ASSERT_OK(dsim_ranker_alloc(&dot, w, 4));
    ASSERT_OK(dsim_ranker_alloc(&cos, w_cos, 4));
    int d = 8, differ_from_dot = 0;
    for (uint32_t u = 0; u < 200; u += 7) {
        uint32_t items[K], dot_items[K];
        float scores[K], dot_scores[K];
        dsim_ranker_top_k(cos, u, K, items, scores);
        dsim_ranker_top_k(dot, u, K, dot_items, dot_scores);
        differ_from_dot += memcmp(items, dot_items, sizeof items) != 0;
        double best[K];
        const float *eu = dot->user + (size_t)u * (size_t)d;
        for (int j = 0; j < K; j++) {
            double uu = 0, ii = 0, ui = 0;
            for (int c = 0; c < d; c++) {
                double x = eu[c], y = dot->item[(size_t)c * dot->n_items + items[j]];
                uu += x * x, ii += y * y, ui += x * y;
            }
            best[j] = ui / sqrt(uu * ii);
            assert_true(fabs(best[j] - scores[j]) < 1e-5 && scores[j] <= 1.0f + 1e-6f);
        }
        /* No item outside the list has a clearly higher cosine than the list's last. */
        for (uint32_t i = 0; i < dot->n_items; i++) {
            bool listed = false;
            for (int j = 0; j < K; j++)
                listed |= items[j] == i;
            if (listed)
                continue;
            double uu = 0, ii = 0, ui = 0;
            for (int c = 0; c < d; c++) {
                double x = eu[c], y = dot->item[(size_t)c * dot->n_items + i];
                uu += x * x, ii += y * y, ui += x * y;
            }
            assert_true(ui / sqrt(uu * ii) <= best[K - 1] + 1e-5);
        }
    }
    assert_true(differ_from_dot > 0); /* noisy vectors' lengths differ, so the two scores rank differently */
    dsim_ranker_free(dot);
    dsim_ranker_free(cos);
    dsim_world_free(w);
    dsim_world_free(w_cos);
    dsim_scenario_free(sc);
    dsim_scenario_free(sc_cos);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank__batch_equals_the_per_visit_ranker),
        cmocka_unit_test(test_rank__merge_equals_a_full_sort_ties_included),
        cmocka_unit_test(test_rank__cosine_ranks_by_the_cosine_of_the_estimates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
