/*
 * test_policies.c — the contract every registered policy type must keep, checked by looping over
 * dsim_policy_types(): alloc/free, determinism, actions in range, distributions that sum to 1, and a
 * propensity in (0, 1] equal to the distribution's entry for the chosen level (or, for types that sample
 * it, an estimate of its own, checked in test_bandits). Plus policy-file parsing.
 */
#include <glob.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "dsim/features.h"
#include "dsim/policy.h"
#include "dsim/sim.h"
#include "dsim/rng.h"
#include "dsim/world.h"
#include "helpers.h"

static const char market_text[] = "[scenario]\nshoppers = 50\n[catalog]\nitems = 30\n[behaviour]\nslate_size = 3\n"
                                  "[segment.a]\nshare = 1\n";

static dsim_context make_context(uint64_t t, const uint32_t *slate, const float *scores)
{
    return (dsim_context){
        .visit = t,
        .day = (double)t / 10,
        .shopper = (uint32_t)(t % 7),
        .n_visits = (uint32_t)(t % 5),
        .n_purchases = (uint32_t)(t % 3),
        .days_since_visit = t % 5 ? (double)(t % 40) : -1.0,
        .days_since_purchase = -1,
        .slate_size = 3,
        .slate = slate,
        .scores = scores,
        .mean_price = 40,
        .budget_left = 1,
    };
}

/* The small market every policy here acts in, and the environment its policies get. */
typedef struct {
    dsim_scenario *sc;
    dsim_world *w;
    dsim_policy_env env;
} market;

static market market_open(void)
{
    market m = {0};
    ASSERT_OK(dsim_scenario_parse(&m.sc, market_text, "market.ini"));
    ASSERT_OK(dsim_world_alloc(&m.w, m.sc, 3));
    dsim_sim_policy_env(&m.env, m.w);
    return m;
}

static void market_close(market *m)
{
    dsim_world_free(m->w);
    dsim_scenario_free(m->sc);
}

static void test_policies__every_type_keeps_the_contract(void **state)
{
    (void)state;
    market m = market_open();
    dsim_policy_env env = m.env;
    gsl_rng *rng = dsim_rng_alloc(), *outcome_rng = dsim_rng_alloc();
    uint32_t slate[3] = {1, 2, 3};
    float scores[3] = {0.9f, 0.8f, 0.7f};
    int n_types = 0;

    for (const dsim_policy_type *const *t = dsim_policy_types(); *t; t++, n_types++) {
        dsim_policy_config *cfg = NULL;
        dsim_policy *a = NULL, *b = NULL;
        ASSERT_OK(dsim_policy_config_default(&cfg, *t));
        ASSERT_OK(dsim_policy_alloc(&a, cfg, &env));
        ASSERT_OK(dsim_policy_alloc(&b, cfg, &env));
        for (uint64_t step = 0; step < 300; step++) {
            dsim_context ctx = make_context(step, slate, scores);
            double truth[DSIM_MAX_LEVELS], probs[DSIM_MAX_LEVELS], sum = 0;
            for (int l = 0; l < env.n_levels; l++)
                truth[l] = sin((double)(step + 1) * (l + 1));
            dsim_policy_distribution(a, &ctx, truth, probs);
            for (int l = 0; l < env.n_levels; l++) {
                assert_true(probs[l] >= 0 && probs[l] <= 1);
                sum += probs[l];
            }
            if (fabs(sum - 1) > 1e-9)
                fail_msg("%s: distribution sums to %.12f", (*t)->name, sum);

            dsim_action x, y;
            dsim_rng_key(rng, 1, DSIM_STREAM_POLICY, step);
            dsim_policy_act(a, &ctx, truth, rng, true, &x);
            dsim_rng_key(rng, 1, DSIM_STREAM_POLICY, step);
            dsim_policy_act(b, &ctx, truth, rng, true, &y);
            assert_true(x.level >= 0 && x.level < env.n_levels);
            if (x.level != y.level || x.propensity != y.propensity)
                fail_msg("%s: not deterministic at step %llu", (*t)->name, (unsigned long long)step);
            if (x.propensity <= 0 || x.propensity > 1)
                fail_msg("%s: propensity %g of the level chosen", (*t)->name, x.propensity);
            /* Sampled propensities are estimates of their own (test_bandits checks them); the others are
               the distribution's entry. */
            if (!dsim_policy_samples_propensity(a) && fabs(x.propensity - probs[x.level]) > 1e-12)
                fail_msg("%s: propensity %.6f but distribution gives %.6f", (*t)->name, x.propensity, probs[x.level]);

            dsim_rng_key(outcome_rng, 2, DSIM_STREAM_CHOICE, step);
            bool bought = gsl_rng_uniform(outcome_rng) < 0.2 + 0.1 * x.level;
            dsim_feedback fb = {.level = x.level, .purchased = bought, .reward = bought ? 10.0 - x.level : 0.0,
                                .position = bought ? 0 : -1};
            ASSERT_OK(dsim_policy_learn(a, &ctx, &fb));
            ASSERT_OK(dsim_policy_learn(b, &ctx, &fb));
        }
        dsim_policy_free(a);
        dsim_policy_free(b);
        dsim_policy_config_free(cfg);
    }
    assert_int_equal(n_types, 17);
    dsim_policy_free(NULL); /* a no-op */
    gsl_rng_free(rng);
    gsl_rng_free(outcome_rng);
    market_close(&m);
}

static void test_policies__every_shipped_policy_file_fits_the_default_scenario(void **state)
{
    (void)state;
    glob_t files;
    assert_int_equal(glob(DSIM_SOURCE_DIR "/policies/*.ini", 0, NULL, &files), 0);
    assert_true(files.gl_pathc >= 23);
    dsim_scenario *sc = load_shipped_scenario("default");
    for (size_t i = 0; i < files.gl_pathc; i++) {
        const char *path = files.gl_pathv[i], *stem = strrchr(path, '/') + 1;
        dsim_policy_config *cfg = NULL;
        ASSERT_OK(dsim_policy_config_load(&cfg, path));
        assert_int_equal(strncmp(cfg->name, stem, strlen(cfg->name)), 0); /* named after its file */
        assert_int_equal(strlen(cfg->name) + 4, strlen(stem));
        ASSERT_OK(dsim_policy_config_check(cfg, sc));
        dsim_policy_config_free(cfg);
    }
    dsim_scenario_free(sc);
    globfree(&files);
}

static void test_policies__policy_files_are_checked(void **state)
{
    (void)state;
    dsim_policy_config *cfg = NULL;
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\nepsilon = 0.2\ntype = epsilon_greedy\nname = eg\n", "p.ini"));
    assert_string_equal(cfg->name, "eg");
    assert_true(dsim_policy_config_param(cfg, "epsilon") == 0.2);
    assert_true(dsim_policy_config_param(cfg, "decay") == 0.0);
    assert_true(isnan(dsim_policy_config_param(cfg, "nope")));
    dsim_policy_config_free(cfg);

    struct {
        const char *text, *expected;
    } cases[] = {
        {"[policy]\ntype = thomson\n", "p.ini:2: [policy] type: unknown policy type 'thomson'; did you mean 'thompson'?"},
        {"[policy]\ntype = fixed\nlevl = 10\n", "p.ini:3: [policy] unknown parameter 'levl' for type fixed; did you mean 'level'?"},
        {"[policy]\ntype = epsilon_greedy\nepsilon = 2\n", "p.ini:3: [policy] epsilon: 2 is out of range [0, 1]"},
        {"[policy]\ntype = epsilon_greedy\nepsilon = x\n", "p.ini:3: [policy] epsilon: expected a number, got 'x'"},
        {"[policy]\nepsilon = 0.1\n", "p.ini: [policy] type: missing"},
        {"[polcy]\ntype = none\n", "p.ini:2: unknown section [polcy]; expected [policy]"},
        {"[policy]\ntype = linucb\nfeatures = bias, conversoin\n",
         "p.ini:3: [policy] features: unknown feature 'conversoin'; did you mean 'conversion'?"},
        {"[policy]\nfeatures = bias\ntype = linucb\nfeatures = visits\n", "p.ini:4: [policy] features: set twice"},
        {"[policy]\ntype = linucb\nfeatures = ,\n", "p.ini:3: [policy] features: expected a comma-separated list"},
        {"[policy]\ntype = ucb1\nfeatures = bias\n", "p.ini:3: [policy] features: type ucb1 uses no context features"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg = NULL;
        int rc = dsim_policy_config_parse(&cfg, cases[i].text, "p.ini");
        if (rc != DSIM_ECONFIG || !strstr(dsim_errmsg(), cases[i].expected))
            fail_msg("case %zu: rc %d, '%s'", i, rc, dsim_errmsg());
        assert_null(cfg);
    }

    /* A level the scenario does not offer is caught against the scenario, with the line. */
    dsim_scenario *sc = load_shipped_scenario("default");
    ASSERT_OK(dsim_policy_config_parse(&cfg, "[policy]\ntype = fixed\nlevel = 12\n", "p.ini"));
    assert_int_equal(dsim_policy_config_check(cfg, sc), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "p.ini:3: [policy] level = 12: the scenario offers no such level"));
    dsim_policy_config_free(cfg);
    dsim_scenario_free(sc);
}

/*
 * Thompson-type propensities are sampled (inverse binomial sampling, 32 wins): never 0, and the inverse is
 * unbiased for 1 / p. After 30 visits of feedback that make the higher levels rare, take the level nearest
 * p = 1 % (the plain 256-draw frequency gives it 0 for 8 % of keys: an infinite IPS weight); the mean of
 * 1 / p̂ over R = 1,000 independently keyed estimates must lie within 4 standard errors of 1 / p, with p
 * from distribution() at 10^6 draws. SE: √((1 − p) / 32) / p / √R for the mean (0.6 % of 1/p) and
 * √((1 − p) / (p · 10^6)) / p for the reference (1 %), in quadrature: a bias over about 5 % fails.
 * Pass rate on fresh keys (DSIM_SEED_OFFSET = k · 10^6, k = 1…24): 24 of 24.
 */
static void test_policies__sampled_propensities_have_unbiased_inverses(void **state)
{
    (void)state;
    market m = market_open();
    dsim_policy_env env = m.env;
    uint32_t slate[3] = {1, 2, 3};
    float scores[3] = {0.9f, 0.8f, 0.7f};
    const char *types[] = {"thompson", "logistic_ts"};
    for (int t = 0; t < 2; t++) {
        dsim_policy_config *cfg = NULL;
        dsim_policy *p = NULL;
        const dsim_policy_type *type = dsim_policy_type_find(types[t]);
        ASSERT_OK(dsim_policy_config_default(&cfg, type));
        for (int i = 0; i < type->n_params; i++)
            if (strcmp(type->params[i].name, "propensity_draws") == 0)
                cfg->params[i] = 1e6;
        ASSERT_OK(dsim_policy_alloc(&p, cfg, &env));
        assert_true(dsim_policy_samples_propensity(p));
        dsim_context ctx = make_context(0, slate, scores);
        /* Level 0 sells often, the others seldom: after this, the top level is rarely drawn. */
        for (uint64_t step = 0; step < 30; step++) {
            int level = (int)(step % (uint64_t)env.n_levels);
            bool bought = level == 0 ? step % 2 == 0 : step % 9 == 0;
            dsim_feedback fb = {.level = level, .purchased = bought, .reward = bought ? 10.0 : 0.0,
                                .position = bought ? 0 : -1};
            ASSERT_OK(dsim_policy_learn(p, &ctx, &fb));
        }
        double probs[DSIM_MAX_LEVELS];
        dsim_policy_distribution(p, &ctx, NULL, probs);
        int rare = 1; /* the level nearest p = 1 % */
        for (int l = 1; l < env.n_levels; l++)
            if (fabs(log(probs[l] / 0.01)) < fabs(log(probs[rare] / 0.01)))
                rare = l;
        double prob = probs[rare];
        enum { R = 1000, WINS = 32 };
        double sum = 0;
        for (int r = 0; r < R; r++) {
            ctx.visit = test_seed(0) + (uint64_t)r; /* the propensity's stream is keyed by the decision */
            double q = dsim_policy_propensity(p, &ctx, rare, NULL);
            assert_true(q > 0 && q <= 1);
            sum += 1 / q;
        }
        double mean = sum / R, se = sqrt((1 - prob) / WINS) / prob / sqrt(R);
        double truth_se = sqrt((1 - prob) / (prob * 1e6)) / prob; /* of 1/p from 10^6 draws */
        printf("# %s: level %d, p = %.5f: mean 1/p-hat %.2f, 1/p %.2f, %.2f SE\n", types[t], rare, prob, mean,
               1 / prob, (mean - 1 / prob) / hypot(se, truth_se));
        assert_true(prob > 0.003 && prob < 0.03);
        assert_true(fabs(mean - 1 / prob) < 4 * hypot(se, truth_se));
        dsim_policy_free(p);
        dsim_policy_config_free(cfg);
    }
    market_close(&m);
}

/* -p SPEC: a type or a file, then parameters set as in a file; the stored text parses back to what ran. */
static void test_policies__a_policy_in_one_line(void **state)
{
    (void)state;
    dsim_policy_config *cfg = NULL, *again = NULL;
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "fixed:15"));
    assert_string_equal(cfg->type->name, "fixed");
    assert_string_equal(cfg->name, "fixed:15");
    assert_true(dsim_policy_config_param(cfg, "level") == 15);
    assert_string_equal(cfg->path, "-p fixed:15");
    ASSERT_OK(dsim_policy_config_parse(&again, cfg->text, "again.ini"));
    assert_true(dsim_policy_config_param(again, "level") == 15);
    dsim_policy_config_free(again);
    dsim_policy_config_free(cfg);

    /* a shipped file as the base: its line is commented out, the new value added; a feature list keeps its commas */
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "linucb:alpha=2,features=bias,conversion,name=lin"));
    assert_string_equal(cfg->name, "lin");
    assert_true(dsim_policy_config_param(cfg, "alpha") == 2);
    uint32_t mask = 0;
    ASSERT_OK(dsim_features_parse("bias,conversion", &mask));
    assert_int_equal(cfg->features, mask);
    assert_non_null(strstr(cfg->text, "; set on the command line instead: alpha"));
    ASSERT_OK(dsim_policy_config_parse(&again, cfg->text, "again.ini"));
    assert_true(dsim_policy_config_param(again, "alpha") == 2 && again->features == mask);
    dsim_policy_config_free(again);
    dsim_policy_config_free(cfg);

    /* a NAME alone is the file; a TYPE with no file of its name, the type's defaults */
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "fixed10"));
    assert_true(dsim_policy_config_param(cfg, "level") == 10);
    assert_string_equal(cfg->name, "fixed10");
    dsim_policy_config_free(cfg);
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "fixed"));
    assert_string_equal(cfg->type->name, "fixed");
    dsim_policy_config_free(cfg);

    /* mistakes: named, with the nearest name */
    assert_int_equal(dsim_policy_config_resolve(&cfg, "thompsen"), DSIM_ENOTFOUND);
    assert_non_null(strstr(dsim_errmsg(), "did you mean 'thompson'?"));
    assert_int_equal(dsim_policy_config_resolve(&cfg, "linucb:alpah=1"), DSIM_ECONFIG);
    assert_string_equal(dsim_errmsg(), "-p linucb:alpah=1: [policy] unknown parameter 'alpah' for type linucb; did "
                                       "you mean 'alpha'? (see `dsim policies`)");
    assert_int_equal(dsim_policy_config_resolve(&cfg, "fixed:150"), DSIM_ECONFIG);
    assert_string_equal(dsim_errmsg(), "-p fixed:150: [policy] level: 150 is out of range [0, 100]");
    assert_int_equal(dsim_policy_config_resolve(&cfg, "fixed:"), DSIM_ECONFIG);
    assert_int_equal(dsim_policy_config_resolve(&cfg, "none:1"), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "type none has no parameter to set"));
    assert_int_equal(dsim_policy_config_resolve(&cfg, "fixed:type=random"), DSIM_ECONFIG);
    assert_null(cfg);
    assert_int_equal(dsim_policy_config_resolve(&cfg, "fixed:level=15,level=20"), DSIM_ECONFIG);
    assert_string_equal(dsim_errmsg(), "-p fixed:level=15,level=20: level: set twice");
    char longest[400]; /* a value of 255 characters fits; one more does not, and nothing overflows */
    snprintf(longest, sizeof longest, "linucb:features=bias%0*d", 260, 0);
    memset(longest + strlen("linucb:features=bias"), ',', 1);
    assert_int_equal(dsim_policy_config_resolve(&cfg, longest), DSIM_ECONFIG);

    /* a file with parameters set is named by its spec, even where the file names itself, so the table tells it
       from the file as it is; a spec too long for a name needs name=… */
    char dir[] = "/tmp/dsim_pXXXXXX", path[160], shorter[64], spec[200];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/a_policy_file_with_a_rather_long_name_of_its_own.ini", dir);
    snprintf(shorter, sizeof shorter, "%s/p.ini", dir);
    const char text[] = "[policy]\ntype = linucb\nname = mine\n";
    for (int f = 0; f < 2; f++) {
        FILE *out = fopen(f ? shorter : path, "w");
        assert_non_null(out);
        fputs(text, out);
        fclose(out);
    }
    snprintf(spec, sizeof spec, "%s:alpha=0.5", path);
    assert_true(strlen(spec) >= DSIM_NAME_MAX);
    assert_int_equal(dsim_policy_config_resolve(&cfg, spec), DSIM_ECONFIG);
    assert_non_null(strstr(dsim_errmsg(), "longer than a policy name may be (63 characters); add name="));
    snprintf(spec, sizeof spec, "%s:alpha=0.5,name=tuned", path);
    ASSERT_OK(dsim_policy_config_resolve(&cfg, spec));
    assert_string_equal(cfg->name, "tuned");
    dsim_policy_config_free(cfg);
    snprintf(spec, sizeof spec, "%s:alpha=0.5", shorter);
    ASSERT_OK(dsim_policy_config_resolve(&cfg, spec));
    assert_string_equal(cfg->name, spec); /* not "mine" */
    assert_true(dsim_policy_config_param(cfg, "alpha") == 0.5);
    dsim_policy_config_free(cfg);
    unlink(path);
    unlink(shorter);
    rmdir(dir);
    ASSERT_OK(dsim_policy_config_resolve(&cfg, "linucb:alpha=0.5"));
    assert_string_equal(cfg->name, "linucb:alpha=0.5");
    dsim_policy_config_free(cfg);
    ASSERT_OK(dsim_policy_config_resolve_at(&cfg, "thompson:name=ts", "sweep.ini: [sweep] policies: thompson:name=ts"));
    assert_string_equal(cfg->name, "ts");
    assert_string_equal(cfg->path, "sweep.ini: [sweep] policies: thompson:name=ts");
    dsim_policy_config_free(cfg);
    assert_int_equal(dsim_policy_config_resolve_at(&cfg, "thompsen", "sweep.ini: [sweep] policies: thompsen"),
                     DSIM_ENOTFOUND);
    assert_non_null(strstr(dsim_errmsg(), "sweep.ini: [sweep] policies: thompsen: no policy named 'thompsen'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policies__a_policy_in_one_line),
        cmocka_unit_test(test_policies__every_type_keeps_the_contract),
        cmocka_unit_test(test_policies__sampled_propensities_have_unbiased_inverses),
        cmocka_unit_test(test_policies__every_shipped_policy_file_fits_the_default_scenario),
        cmocka_unit_test(test_policies__policy_files_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
