/*
 * sweep_summary.c — what a sweep's stored runs say, cell by cell (dsim/sweep.h): each policy's metrics across
 * seeds, its paired difference to the first policy, and the best policy with whether it is significantly best.
 *
 * Policies are compared on common random numbers: in a cell, every policy runs on the same seeds, so the
 * question "is B better than A here" is answered by the differences B − A seed by seed (paired), whose spread
 * leaves out what the seeds share (the world drawn, the shoppers' order). Intervals of each policy's own total
 * overlap long after the paired differences are clear of zero.
 *
 * Best: the highest mean objective. Significantly best: its paired differences to every other policy are all
 * above zero with 95 % family-wise confidence: each of the P − 1 comparisons a Student t interval at
 * 1 − 0.05 / (P − 1) (Bonferroni), on the seeds both policies have.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsim/error.h"
#include "dsim/sweep.h"

typedef struct {
    const dsim_sweep *sw;
    double *metrics; /* (cells, policies, seeds, n_metric_defs) in seed order */
    uint64_t *seeds; /* (cells, policies, seeds): each stored run's seed, ascending */
    int *counts;     /* (cells, policies) */
} results;

static size_t slot(const dsim_sweep *sw, uint64_t cell, int policy)
{
    return cell * (size_t)sw->n_policies + (size_t)policy;
}

static int collect(uint64_t cell, int policy, uint64_t seed, const double *metrics, void *data)
{
    results *r = data;
    if (cell >= r->sw->n_cells || policy < 0 || policy >= r->sw->n_policies)
        return DSIM_OK;
    size_t at = slot(r->sw, cell, policy);
    if (r->counts[at] == r->sw->seeds)
        return DSIM_OK;
    size_t k = at * (size_t)r->sw->seeds + (size_t)r->counts[at]++;
    r->seeds[k] = seed;
    memcpy(r->metrics + k * dsim_metrics_n_defs, metrics, sizeof(double) * dsim_metrics_n_defs);
    return DSIM_OK;
}

/* Metric m of each stored run of (cell, policy), into out. @return the runs. */
static int metric_of(const results *r, uint64_t cell, int policy, size_t m, double *out)
{
    size_t at = slot(r->sw, cell, policy);
    for (int k = 0; k < r->counts[at]; k++)
        out[k] = r->metrics[(at * (size_t)r->sw->seeds + (size_t)k) * dsim_metrics_n_defs + m];
    return r->counts[at];
}

/* Metric m of policy p minus policy q on the seeds both ran (a merge of the two ascending seed lists). */
static int paired(const results *r, uint64_t cell, int p, int q, size_t m, double *diff)
{
    size_t a = slot(r->sw, cell, p), b = slot(r->sw, cell, q), sa = a * (size_t)r->sw->seeds,
           sb = b * (size_t)r->sw->seeds;
    int i = 0, j = 0, n = 0;
    while (i < r->counts[a] && j < r->counts[b]) {
        if (r->seeds[sa + (size_t)i] < r->seeds[sb + (size_t)j]) {
            i++;
        } else if (r->seeds[sa + (size_t)i] > r->seeds[sb + (size_t)j]) {
            j++;
        } else {
            diff[n++] = r->metrics[(sa + (size_t)i) * dsim_metrics_n_defs + m] -
                        r->metrics[(sb + (size_t)j) * dsim_metrics_n_defs + m];
            i++, j++;
        }
    }
    return n;
}

/* Is `best` significantly best in the cell (see above)? -1 when some comparison has fewer than 2 pairs. */
static int significantly_best(const results *r, uint64_t cell, int best, size_t reward, double *diff)
{
    int others = 0;
    for (int q = 0; q < r->sw->n_policies; q++)
        others += q != best && r->counts[slot(r->sw, cell, q)] > 0;
    if (others == 0)
        return -1;
    bool above = true;
    for (int q = 0; q < r->sw->n_policies; q++) {
        if (q == best || r->counts[slot(r->sw, cell, q)] == 0)
            continue;
        int n = paired(r, cell, best, q, reward, diff);
        dsim_estimate d = dsim_metrics_estimate_mean_at(diff, (size_t)n, 1 - 0.05 / others);
        if (n < 2 || !isfinite(d.half_width))
            return -1;
        above &= d.mean - d.half_width > 0;
    }
    return above;
}

static void summarize_cell(const results *r, uint64_t c, size_t reward, double *scratch, dsim_sweep_cell_summary *out)
{
    const dsim_sweep *sw = r->sw;
    memset(out, 0, sizeof *out);
    out->cell = c;
    out->best = -1;
    for (int p = 0; p < sw->n_policies; p++) {
        dsim_sweep_policy_summary *ps = &out->policies[p];
        ps->runs = r->counts[slot(sw, c, p)];
        for (size_t m = 0; m < dsim_metrics_n_defs; m++)
            ps->metrics[m] = dsim_metrics_estimate_mean(scratch, (size_t)metric_of(r, c, p, m, scratch));
        ps->delta = p > 0 ? dsim_metrics_estimate_mean(scratch, (size_t)paired(r, c, p, 0, reward, scratch))
                          : (dsim_estimate){0, 0, (size_t)r->counts[slot(sw, c, 0)]};
        if (ps->runs && (out->best < 0 || ps->metrics[reward].mean > out->policies[out->best].metrics[reward].mean))
            out->best = p;
    }
    out->significant = out->best >= 0 ? significantly_best(r, c, out->best, reward, scratch) : -1;
}

int dsim_sweep_summarize(dsim_store *store, const dsim_sweep *sw, int64_t sweep_id,
                         int (*each)(const dsim_sweep_cell_summary *cell, void *user), void *user)
{
    assert(dsim_metrics_n_defs <= DSIM_SWEEP_MAX_METRICS);
    size_t runs = dsim_sweep_n_tasks(sw);
    results r = {sw, calloc(runs * dsim_metrics_n_defs, sizeof(double)), calloc(runs, sizeof(uint64_t)),
                 calloc(sw->n_cells * (size_t)sw->n_policies, sizeof(int))};
    double *scratch = malloc(sizeof(double) * (size_t)sw->seeds);
    dsim_sweep_cell_summary *cell = malloc(sizeof *cell);
    size_t reward = (size_t)(dsim_metrics_find("reward") - dsim_metrics_defs);
    int rc = !r.metrics || !r.seeds || !r.counts || !scratch || !cell ? dsim_error_set(DSIM_ENOMEM, "out of memory")
             : store ? dsim_store_sweep_results(store, sweep_id, collect, &r)
                     : DSIM_OK; /* no database yet: nothing run */
    for (uint64_t c = 0; c < sw->n_cells && !rc; c++) {
        summarize_cell(&r, c, reward, scratch, cell);
        rc = each(cell, user);
    }
    free(cell);
    free(r.metrics);
    free(r.seeds);
    free(r.counts);
    free(scratch);
    return rc;
}
