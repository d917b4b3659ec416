/*
 * evaluate.c — evaluating target policies on a log (dsim/ope.h): the passes over the log, a chunk at a time, and
 * the simulator's two truths for a target on a dsim run's log (on-policy, and on the logged visits).
 *
 * Three passes, so that memory holds one chunk whatever the log's length: the dsim policy targets learn from
 * the first `train` rows; the reward model's sums gather the rest; then every target's terms on the rest go
 * into its running sums, each paired with the first target's on the same rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "dsim/ope.h"
#include "dsim/sim.h"

typedef struct {
    dsim_ope_target *const *targets;
    int n_targets;
    dsim_ope_reward_model *model;
    dsim_ope_sums **sums;
    size_t first_evaluated;          /* the rows before it trained the targets */
    bool seen[DSIM_OPE_MAX_ACTIONS]; /* the actions the logger took in the evaluated rows */
    const volatile sig_atomic_t *stop;
} passes;

/* Between chunks: has the caller asked the evaluation to stop (Ctrl-C)? */
static int stopped(const passes *ps)
{
    return ps->stop && *ps->stop ? dsim_error_set(DSIM_EINTERRUPTED, "interrupted") : DSIM_OK;
}

/* Training: dsim policy targets learn from the log's first rows. */
static int train_chunk(const dsim_ope_log *chunk, void *data)
{
    passes *ps = data;
    if (stopped(ps))
        return DSIM_EINTERRUPTED;
    for (int t = 0; t < ps->n_targets; t++) {
        int rc = dsim_ope_target_train(ps->targets[t], chunk, chunk->n);
        if (rc)
            return rc;
    }
    return DSIM_OK;
}

static int model_chunk(const dsim_ope_log *chunk, void *data)
{
    passes *ps = data;
    if (stopped(ps))
        return DSIM_EINTERRUPTED;
    for (size_t i = 0; i < chunk->n; i++)
        ps->seen[chunk->action[i]] = true;
    return dsim_ope_model_add(ps->model, chunk);
}

/* Every target's terms on the chunk, into its running sums. */
static int terms_chunk(const dsim_ope_log *chunk, void *data)
{
    passes *ps = data;
    if (stopped(ps))
        return DSIM_EINTERRUPTED;
    /* Support is judged on the evaluated rows: an action the logger took only while the targets trained
       gives no evidence about the rows judged. */
    dsim_ope_log judged = *chunk;
    memcpy(judged.action_seen, ps->seen, sizeof judged.action_seen);
    /* The first target's terms stay until the others are added paired with them (their differences). */
    dsim_ope_terms first;
    int rc = dsim_ope_terms_build(&first, &judged, ps->targets[0], ps->model);
    if (rc)
        return rc;
    size_t row = chunk->first_row - ps->first_evaluated;
    dsim_ope_sums_add(ps->sums[0], &first, row);
    for (int t = 1; t < ps->n_targets && !rc; t++) {
        dsim_ope_terms terms;
        if ((rc = dsim_ope_terms_build(&terms, &judged, ps->targets[t], ps->model)))
            break;
        dsim_ope_sums_add_paired(ps->sums[t], &terms, &first, row);
        dsim_ope_terms_clear(&terms);
    }
    dsim_ope_terms_clear(&first);
    return rc;
}

int dsim_ope_evaluate_log(dsim_ope_stream *stream, dsim_ope_target *const *targets, int n_targets,
                          const dsim_ope_plan *plan, dsim_ope_sums **sums)
{
    const dsim_ope_log *log = dsim_ope_stream_header(stream);
    size_t n = dsim_ope_log_rows(log);
    dsim_ope_tuning tuning = DSIM_OPE_TUNING_INIT;
    passes ps = {.targets = targets, .n_targets = n_targets, .sums = sums, .first_evaluated = plan->train,
                 .stop = plan->stop};
    for (int t = 0; t < n_targets; t++)
        sums[t] = NULL;
    if (plan->train >= n)
        return dsim_error_set(DSIM_EINVAL, "%s: no rows left to evaluate after %zu training rows", log->origin,
                              plan->train);
    int rc = plan->train ? dsim_ope_stream_each(stream, 0, plan->train, train_chunk, &ps) : DSIM_OK;
    if (!rc && !(rc = dsim_ope_model_begin(&ps.model, log->n_context, plan->folds, 1.0)) &&
        !(rc = dsim_ope_stream_each(stream, plan->train, n, model_chunk, &ps)))
        rc = dsim_ope_model_finish(ps.model, log->n_actions);
    for (int t = 0; t < n_targets && !rc; t++)
        rc = dsim_ope_sums_alloc(&sums[t], &tuning, n - plan->train, plan->seed);
    if (!rc)
        rc = dsim_ope_stream_each(stream, plan->train, n, terms_chunk, &ps);
    dsim_ope_model_free(ps.model);
    for (int t = 0; t < n_targets && rc; t++) {
        dsim_ope_sums_free(sums[t]);
        sums[t] = NULL;
    }
    return rc;
}

int dsim_ope_target_from_config(dsim_ope_target **out, const dsim_policy_config *config, const dsim_scenario *sc,
                                uint64_t seed)
{
    dsim_world *w = NULL;
    dsim_policy *policy = NULL;
    int rc = dsim_world_alloc(&w, sc, seed);
    if (rc)
        return rc;
    rc = dsim_sim_policy_alloc(&policy, config, w);
    dsim_world_free(w);
    if (rc)
        return rc == DSIM_ENOMEM ? rc : DSIM_ECONFIG;
    return dsim_ope_target_policy(out, policy, config->name);
}

double dsim_ope_true_value(const dsim_scenario *sc, uint64_t seed, uint64_t visits, const dsim_policy_config *config,
                           dsim_policy *trained)
{
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = visits;
    options.frozen = true;
    dsim_sim *sim = NULL;
    dsim_world *world = NULL;
    int rc = trained ? dsim_world_alloc(&world, sc, seed) || dsim_sim_alloc(&sim, world, trained, &options)
                     : dsim_sim_create(&sim, sc, config, seed, &options);
    double value = NAN;
    if (!rc) {
        while (dsim_sim_advance(sim, 100000) == DSIM_OK)
            ;
        dsim_metrics m;
        dsim_sim_metrics(sim, &m);
        /* Per decision: a visit is one decision, or in scope item one per shown item. */
        double decisions = (double)m.visits * (sc->discounts.scope == DSIM_SCOPE_ITEM ? sc->behaviour.slate_size : 1);
        value = decisions > 0 ? m.reward / decisions : NAN;
    }
    dsim_sim_free(sim);
    dsim_world_free(world);
    return value;
}

/* ---- the truth on the logged visits ------------------------------------------------------------------- */

/* The logging run replayed beside the log: each row's visit is simulated again, and the targets' choices there
   valued at the true expected reward of each level. The replay must be the logged run, visit for visit: the
   same shopper, the same action with the same propensity, else its truth would be another run's. */
typedef struct {
    dsim_sim *sim;
    dsim_visit_record last;
    bool started;
    dsim_ope_target *const *targets;
    int n_targets;
    double *sum; /* (n_targets) */
    size_t rows;
    const volatile sig_atomic_t *stop;
} replay;

static bool same_decision(const dsim_ope_log *chunk, size_t i, const dsim_visit_record *r)
{
    double p = chunk->propensity[i], q = r->action.propensity;
    return r->visit == chunk->visit[i] && r->action.level == chunk->action[i] &&
           (!chunk->shopper || r->shopper == chunk->shopper[i]) && fabs(p - q) <= 1e-9 * fmax(p, q);
}

static int replay_chunk(const dsim_ope_log *chunk, void *data)
{
    replay *rp = data;
    if (rp->stop && *rp->stop)
        return dsim_error_set(DSIM_EINTERRUPTED, "interrupted");
    double pi[DSIM_OPE_MAX_ACTIONS];
    for (size_t i = 0; i < chunk->n; i++) {
        uint64_t visit = chunk->visit[i];
        while (!rp->started || rp->last.visit < visit) { /* visits of churned shoppers log nothing */
            int rc = dsim_sim_advance(rp->sim, 1);
            if (rc == DSIM_DONE)
                break;
            if (rc)
                return rc;
            dsim_sim_last_visit(rp->sim, &rp->last);
            rp->started = true;
        }
        if (!rp->started || !same_decision(chunk, i, &rp->last))
            return dsim_error_set(DSIM_ECONFIG, "the replay of the logging run departs from %s at row %zu (visit %llu)",
                                  chunk->origin, chunk->first_row + i + 2, (unsigned long long)visit);
        if (rp->last.n_actions != chunk->n_actions)
            return dsim_error_set(DSIM_ENOTFOUND, "%s has %d actions and its run %d levels", chunk->origin,
                                  chunk->n_actions, rp->last.n_actions);
        for (int t = 0; t < rp->n_targets; t++) {
            int rc = dsim_ope_target_probabilities(rp->targets[t], chunk, i, pi);
            if (rc)
                return rc;
            for (int a = 0; a < chunk->n_actions; a++)
                rp->sum[t] += pi[a] * rp->last.expected[a];
        }
        rp->rows++;
    }
    return DSIM_OK;
}

int dsim_ope_logged_states_value(const dsim_ope_source *src, size_t from, dsim_ope_target *const *targets,
                                 int n_targets, const volatile sig_atomic_t *stop, double *out)
{
    for (int t = 0; t < n_targets; t++)
        out[t] = NAN;
    if (!src->from_run || !src->sc || !src->log->visit)
        return dsim_error_set(DSIM_ENOTFOUND, "%s is not a dsim run's log", src->log->origin);
    if (!src->logger)
        return dsim_error_set(DSIM_ENOTFOUND, "%s: its run's policy cannot be read again", src->log->origin);
    if (src->sc->discounts.scope == DSIM_SCOPE_ITEM)
        return dsim_error_set(DSIM_ENOTFOUND, "%s decides per item (discount scope item)", src->log->origin);
    dsim_sim_options options = DSIM_SIM_OPTIONS_INIT;
    options.visits = src->visits;
    options.log_decisions = true; /* as the logging run was made: its policy was asked for its distribution */
    replay rp = {.targets = targets, .n_targets = n_targets, .stop = stop, .sum = calloc((size_t)n_targets + 1, sizeof(double))};
    if (!rp.sum)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    int rc = dsim_sim_create(&rp.sim, src->sc, src->logger, src->seed, &options);
    if (rc) {
        free(rp.sum);
        return rc == DSIM_ENOMEM ? rc : dsim_error_prefix(DSIM_ENOTFOUND, "the logging run cannot be replayed: ");
    }
    rc = dsim_ope_stream_each(src->stream, from, src->n, replay_chunk, &rp);
    for (int t = 0; t < n_targets && !rc && rp.rows; t++)
        out[t] = rp.sum[t] / (double)rp.rows;
    dsim_sim_free(rp.sim);
    free(rp.sum);
    return rc;
}
