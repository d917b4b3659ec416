/*
 * test_sources.c — where the shop's embeddings come from: the learned factorisation climbs from its cold
 * start toward a good representation's ranking quality, history moves a shopper exactly as its formula
 * says, files in every format give the same vectors, and every kind of bad file is named with its row,
 * column or id.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsim/metrics.h"
#include "dsim/rank.h"
#include "dsim/sim.h"
#include "helpers.h"
#include "rank/ranker_impl.h"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/dsim_test_sources_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- learned ----------------------------------------------------------------------------------------------- */

static const char market[] = "[scenario]\nvisits = 60000\nshoppers = 1000\n"
                             "[catalog]\nitems = 300\ncategories = 6\nembedding_dim = 8\n"
                             "[segment.a]\nshare = 1\n[ranking]\nquality_every = 2\n";

/* NDCG@K of each 5000-visit window of a run of `none` on the market with these ranking keys. */
static void ndcg_by_window(const char *ranking_keys, uint64_t seed, double *ndcg, int windows)
{
    char text[1024];
    snprintf(text, sizeof text, "%s%s", market, ranking_keys);
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, text, "learned.ini"));
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_default(&cfg, dsim_policy_type_find("none")));
    dsim_sim *sim = NULL;
    ASSERT_OK(dsim_sim_create(&sim, sc, cfg, seed, NULL));
    dsim_metrics before = {0}, after;
    for (int w = 0; w < windows; w++) {
        ASSERT_OK(dsim_sim_advance(sim, 5000));
        dsim_sim_metrics(sim, &after);
        ndcg[w] = (after.ndcg_sum - before.ndcg_sum) / (double)(after.quality_visits - before.quality_visits);
        before = after;
    }
    dsim_sim_free(sim);
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/*
 * Starting from category directions and random shoppers, ALS on the shop's own clicks and purchases (retrained
 * every 5000 visits) must reach the ranking quality of estimates that are the truth plus σ = 0.1 noise. That
 * reference differs much between worlds (NDCG 0.04 to 0.48), so the claims are paired, world by world, over
 * 10 worlds: a Student t 95 % interval across worlds of (1) noisy − learned in the first window above 0 (cold:
 * below the reference), (2) learned last − learned first above 0 (it climbs), (3) learned − noisy in the last
 * window above −0.03 (it reaches the reference: within 0.03 NDCG), and in every world it stays: each later
 * window above the second one − 0.03 (a window's mean has SE < 0.01: NDCG of a visit has SD < 0.5).
 *
 * Pass rate on fresh seeds: 20 of 20 disjoint sets of 10 worlds (DSIM_SEED_OFFSET = k · 1000, k = 1…20); the
 * single-world version (one world, the reference ± 3 or 10 SE) passed 30 of 50.
 */
static void test_sources__learned_climbs_from_cold_start_to_the_noisy_level(void **state)
{
    (void)state;
    enum { WINDOWS = 12, WORLDS = 10 };
    double cold[WORLDS], climb[WORLDS], reach[WORLDS];
    for (int k = 0; k < WORLDS; k++) {
        double learned[WINDOWS], noisy[WINDOWS];
        uint64_t seed = test_seed(1 + (uint64_t)k);
        ndcg_by_window("embeddings = learned\nretrain_every = 5000\n", seed, learned, WINDOWS);
        ndcg_by_window("embeddings = noisy\nembedding_noise = 0.1\n", seed, noisy, WINDOWS);
        printf("# world %d: NDCG@K learned %.3f → %.3f, noisy σ = 0.1 %.3f → %.3f\n", k, learned[0],
               learned[WINDOWS - 1], noisy[0], noisy[WINDOWS - 1]);
        cold[k] = noisy[0] - learned[0];
        climb[k] = learned[WINDOWS - 1] - learned[0];
        reach[k] = learned[WINDOWS - 1] - noisy[WINDOWS - 1];
        for (int w = 2; w < WINDOWS; w++)
            assert_true(learned[w] > learned[1] - 0.03); /* it stays */
    }
    dsim_estimate c = dsim_metrics_estimate_mean(cold, WORLDS), u = dsim_metrics_estimate_mean(climb, WORLDS),
                  r = dsim_metrics_estimate_mean(reach, WORLDS);
    printf("# over %d worlds: reference − learned at the start %.3f ± %.3f, climb %.3f ± %.3f, "
           "learned − reference at the end %.3f ± %.3f\n",
           WORLDS, c.mean, c.half_width, u.mean, u.half_width, r.mean, r.half_width);
    assert_true(c.mean - c.half_width > 0);
    assert_true(u.mean - u.half_width > 0);
    assert_true(r.mean - r.half_width > -0.03);
}

/* ---- history ----------------------------------------------------------------------------------------------- */

/* One click moves the shopper's vector to (1 − ρ) v + ρ ê_i; a purchase at weight w to (1 − a) v + a ê_i with
   a = 1 − (1 − ρ)^w; positions without feedback leave it alone. */
static void test_sources__history_moves_a_shopper_by_its_formula(void **state)
{
    (void)state;
    dsim_scenario *sc = NULL;
    ASSERT_OK(dsim_scenario_parse(&sc, "[scenario]\nshoppers = 10\n[catalog]\nitems = 40\nembedding_dim = 4\n"
                                       "[segment.a]\nshare = 1\n[ranking]\nembeddings = history\n"
                                       "history_rate = 0.25\npurchase_weight = 2\n",
                                  "history.ini"));
    dsim_world *w = NULL;
    dsim_ranker *r = NULL;
    ASSERT_OK(dsim_world_alloc(&w, sc, 2));
    ASSERT_OK(dsim_ranker_alloc(&r, w, 2));
    assert_true(r->unit_users);
    uint32_t slate[3] = {7, 11, 30};
    float scores[3] = {0};
    float *v = r->user + 3 * 4, start[4], expected[4];
    memcpy(start, v, sizeof start);
    dsim_rank_feedback click = {3, 1.0, slate, scores, 3, 1u << 1, -1, 0.0};
    dsim_ranker_observe(r, &click);
    for (int c = 0; c < 4; c++) {
        expected[c] = (float)(0.75 * start[c] + 0.25 * r->item[(size_t)c * 40 + 11]);
        assert_true(v[c] == expected[c]);
    }
    dsim_rank_feedback purchase = {3, 2.0, slate, scores, 3, 0, 2, 0.0}; /* bought without a recorded click */
    dsim_ranker_observe(r, &purchase);
    double a = 1 - 0.75 * 0.75;
    for (int c = 0; c < 4; c++)
        assert_true(fabsf(v[c] - (float)((1 - a) * expected[c] + a * r->item[(size_t)c * 40 + 30])) < 1e-7f);
    dsim_ranker_free(r);
    dsim_world_free(w);
    dsim_scenario_free(sc);
}

/* ---- files ------------------------------------------------------------------------------------------------- */

enum { ITEMS = 30, SHOPPERS = 12, DIM = 4 };

static const char file_market[] = "[scenario]\nshoppers = 12\n[catalog]\nitems = 30\nembedding_dim = 4\n"
                                  "[segment.a]\nshare = 1\n";

/* A .npy file of format `version` (1, 2 or 3) as NumPy writes it: the header padded with spaces (to at least
   `min_header` bytes) so that the data starts on a multiple of 64 bytes, its length in 2 bytes (1.0) or 4 (2.0,
   3.0), little-endian. NumPy writes 2.0 for headers over 65,535 bytes and 3.0 for UTF-8 ones. */
static void write_npy_version(const char *path, int version, size_t min_header, const char *descr, bool fortran,
                              const char *shape, const void *data, size_t bytes)
{
    size_t lead_len = version == 1 ? 10 : 12, cap = min_header + 256;
    char *header = malloc(cap);
    assert_non_null(header);
    size_t n = (size_t)snprintf(header, cap, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
                                fortran ? "True" : "False", shape);
    while ((lead_len + n + 1) % 64 || n + 1 < min_header)
        header[n++] = ' ';
    header[n++] = '\n';
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char lead[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)version, 0};
    for (size_t b = 0; b < lead_len - 8; b++)
        lead[8 + b] = (unsigned char)(n >> (8 * b));
    fwrite(lead, 1, lead_len, f);
    fwrite(header, 1, n, f);
    fwrite(data, 1, bytes, f);
    fclose(f);
    free(header);
}

/* A .npy file of version 1.0, the usual one. */
static void write_npy(const char *path, const char *descr, bool fortran, const char *shape, const void *data,
                      size_t bytes)
{
    write_npy_version(path, 1, 0, descr, fortran, shape, data, bytes);
}

/* The ranker of file_market with these [ranking] keys; NULL (and the message in `why`) if it fails. */
static dsim_ranker *file_ranker(const char *keys, dsim_world **w, dsim_scenario **sc, char *why, size_t n)
{
    char text[2048];
    snprintf(text, sizeof text, "%s[ranking]\nembeddings = file\n%s", file_market, keys);
    ASSERT_OK(dsim_scenario_parse(sc, text, "file.ini"));
    dsim_ranker *r = NULL;
    int rc = dsim_ranker_check(*sc);
    if (!rc) {
        ASSERT_OK(dsim_world_alloc(w, *sc, 1));
        rc = dsim_ranker_alloc(&r, *w, 1);
    }
    if (rc) {
        assert_int_equal(rc, DSIM_ECONFIG);
        snprintf(why, n, "%s", dsim_errmsg());
    }
    return r;
}

/* The world's true vectors written as float32 (C order, .npy 1.0), float64 (Fortran order, .npy 2.0 with a
   70 KB header), and CSV (rows shuffled) all load to the same estimates, bit for bit, and with a shopper file
   (.npy 3.0) too they equal the noisy source at σ = 0: the truth itself. (Versions 2.0 and 3.0 were misread,
   and overflowed a stack buffer, before issue 16.) */
static void test_sources__every_file_format_gives_the_same_vectors(void **state)
{
    (void)state;
    dsim_scenario *truth_sc = NULL;
    char text[1024];
    snprintf(text, sizeof text, "%s[ranking]\nembedding_noise = 0\n", file_market);
    ASSERT_OK(dsim_scenario_parse(&truth_sc, text, "truth.ini"));
    dsim_world *truth = NULL;
    dsim_ranker *exact = NULL;
    ASSERT_OK(dsim_world_alloc(&truth, truth_sc, 1));
    ASSERT_OK(dsim_ranker_alloc(&exact, truth, 1));

    float items32[ITEMS * DIM], users32[SHOPPERS * DIM];
    double items64_fortran[ITEMS * DIM];
    for (int i = 0; i < ITEMS; i++)
        for (int c = 0; c < DIM; c++) {
            items32[i * DIM + c] = dsim_world_item_taste(truth, (uint32_t)i)[c];
            items64_fortran[c * ITEMS + i] = items32[i * DIM + c];
        }
    for (int u = 0; u < SHOPPERS; u++)
        memcpy(users32 + u * DIM, dsim_world_shopper_taste(truth, (uint32_t)u), sizeof(float) * DIM);
    char f32[128], f64[128], csv[128], users[128];
    snprintf(f32, sizeof f32, "%s/items32.npy", dir);
    snprintf(f64, sizeof f64, "%s/items64.npy", dir);
    snprintf(csv, sizeof csv, "%s/items.csv", dir);
    snprintf(users, sizeof users, "%s/users.npy", dir);
    /* Every format version: 1.0; 2.0 with a header over 65,535 bytes, as NumPy writes it then; 3.0. */
    write_npy(f32, "<f4", false, "(30, 4)", items32, sizeof items32);
    write_npy_version(f64, 2, 70000, "<f8", true, "(30, 4)", items64_fortran, sizeof items64_fortran);
    write_npy_version(users, 3, 0, "<f4", false, "(12, 4)", users32, sizeof users32);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "id,d0,d1,d2,d3\n");
    for (int k = 0; k < ITEMS; k++) {
        int i = (k * 7) % ITEMS; /* a permutation: ids need not be in order */
        fprintf(f, "%d", i);
        for (int c = 0; c < DIM; c++)
            fprintf(f, ",%.9g", (double)items32[i * DIM + c]);
        fprintf(f, "\n");
    }
    fclose(f);

    const char *files[] = {f32, f64, csv};
    for (int k = 0; k < 3; k++) {
        char keys[512], why[512];
        snprintf(keys, sizeof keys, "item_file = %s\nuser_file = %s\n", files[k], users);
        dsim_world *w = NULL;
        dsim_scenario *sc = NULL;
        dsim_ranker *r = file_ranker(keys, &w, &sc, why, sizeof why);
        if (!r)
            fail_msg("%s: %s", files[k], why);
        assert_memory_equal(r->item, exact->item, sizeof(float) * ITEMS * DIM);
        assert_memory_equal(r->user, exact->user, sizeof(float) * SHOPPERS * DIM);
        dsim_ranker_free(r);
        dsim_world_free(w);
        dsim_scenario_free(sc);
    }
    dsim_ranker_free(exact);
    dsim_world_free(truth);
    dsim_scenario_free(truth_sc);
}

typedef struct {
    const char *name;     /* file name: .npy or .csv */
    const char *descr;    /* npy: data type, or NULL for a CSV or raw file */
    const char *shape;    /* npy */
    size_t values;        /* npy: how many values to write */
    int poison;           /* npy: index of a value set to NaN (or Inf when ≥ 1000: index − 1000), or −1 */
    const char *text;     /* CSV or raw content */
    size_t text_len;      /* of raw content with NUL bytes; 0: strlen(text) */
    const char *expected; /* part of the message */
} bad_file;

static void test_sources__bad_files_are_named_with_what_is_wrong(void **state)
{
    (void)state;
    static const bad_file cases[] = {
        {"dim.npy", "<f4", "(30, 5)", 150, -1, NULL, 0, "5 columns; the scenario's embedding_dim is 4"},
        {"rows.npy", "<f4", "(29, 4)", 116, -1, NULL, 0, "29 rows; expected 30, one per item"},
        {"nan.npy", "<f4", "(30, 4)", 120, 13, NULL, 0, "element [3, 1] (item 3): nan is not a finite float"},
        {"inf.npy", "<f8", "(30, 4)", 120, 1000 + 42, NULL, 0, "element [10, 2] (item 10): inf is not a finite"},
        {"cube.npy", "<f4", "(30, 2, 2)", 120, -1, NULL, 0, "a 3-D array; expected 2-D"},
        {"ints.npy", "<i4", "(30, 4)", 120, -1, NULL, 0, "data type '<i4'; expected little-endian float32"},
        {"short.npy", "<f4", "(30, 4)", 100, -1, NULL, 0, "truncated data: 100 of 120 values"},
        {"header.npy", NULL, NULL, 0, -1, "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', ", 27, "truncated .npy header"},
        {"magic.npy", NULL, NULL, 0, -1, "id,a,b,c,d\n", 0, "not a .npy file"},
        {"unknown.csv", NULL, NULL, 0, -1, "id,a,b,c,d\n0,1,2,3,4\n30,1,2,3,4\n", 0,
         "row 3: id '30' names no item of the scenario (expected 0..29)"},
        {"twice.csv", NULL, NULL, 0, -1, "id,a,b,c,d\n0,1,2,3,4\n1,1,2,3,4\n0,1,2,3,4\n", 0,
         "row 4: id 0 appears twice (first on row 2)"},
        {"missing.csv", NULL, NULL, 0, -1, "id,a,b,c,d\n0,1,2,3,4\n", 0, "no row for item 1"},
        {"word.csv", NULL, NULL, 0, -1, "id,a,b,c,d\n0,1,2,x3,4\n", 0, "row 2, column 4: expected a number, got 'x3'"},
        {"nan.csv", NULL, NULL, 0, -1, "id,a,b,c,d\n0,1,nan,3,4\n", 0, "row 2 (item 0), column 3: nan is not a finite"},
        {"width.csv", NULL, NULL, 0, -1, "id,a,b,c,d\n0,1,2,3\n", 0, "row 2: 4 columns; expected 5"},
        {"header.csv", NULL, NULL, 0, -1, "item,a,b,c,d\n", 0, "row 1, column 1: expected the header `id`"},
        {"absent.csv", NULL, NULL, 0, -2, NULL, 0, "cannot open the item embeddings"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const bad_file *c = &cases[k];
        char path[128], keys[256], why[512];
        snprintf(path, sizeof path, "%s/%s", dir, c->name);
        if (c->descr) {
            double values[200];
            for (size_t i = 0; i < c->values; i++)
                values[i] = 0.5;
            float values32[200];
            if (c->poison >= 0)
                values[c->poison % 1000] = c->poison >= 1000 ? INFINITY : NAN;
            for (size_t i = 0; i < c->values; i++)
                values32[i] = (float)values[i];
            bool wide = strcmp(c->descr, "<f8") == 0;
            write_npy(path, c->descr, false, c->shape, wide ? (void *)values : (void *)values32,
                      c->values * (wide ? 8 : 4));
        } else if (c->text) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            fwrite(c->text, 1, c->text_len ? c->text_len : strlen(c->text), f);
            fclose(f);
        }
        snprintf(keys, sizeof keys, "item_file = %s\n", path);
        dsim_world *w = NULL;
        dsim_scenario *sc = NULL;
        dsim_ranker *r = file_ranker(keys, &w, &sc, why, sizeof why);
        printf("# %s: %s\n", c->name, r ? "(accepted)" : why);
        assert_null(r);
        if (!strstr(why, c->expected) || !strstr(why, path))
            fail_msg("%s: expected the file and \"%s\" in \"%s\"", c->name, c->expected, why);
        dsim_scenario_free(sc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sources__learned_climbs_from_cold_start_to_the_noisy_level),
        cmocka_unit_test(test_sources__history_moves_a_shopper_by_its_formula),
        cmocka_unit_test(test_sources__every_file_format_gives_the_same_vectors),
        cmocka_unit_test(test_sources__bad_files_are_named_with_what_is_wrong),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
