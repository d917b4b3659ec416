/*
 * exploration.c — what the value-based agents share: ε-greedy or softmax exploration with a schedule,
 * and the per-customer memory of the transition that waits for the shopper's next visit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_impl.h"

void dsim__explore_distribution(const dsim__exploration *e, uint64_t t, const double *values, int n, double *probs)
{
    double shrink = 1.0 / (1.0 + e->decay * (double)t);
    if (e->temperature > 0) {
        /* softmax(values / τ_t), shifted by the largest value so no exponential overflows */
        double tau = e->temperature * shrink, top = values[0], sum = 0;
        for (int l = 1; l < n; l++)
            top = fmax(top, values[l]);
        for (int l = 0; l < n; l++)
            sum += probs[l] = exp((values[l] - top) / tau);
        for (int l = 0; l < n; l++)
            probs[l] /= sum;
        return;
    }
    dsim__epsilon_greedy_distribution(e->epsilon * shrink, dsim__argmax(values, n), n, probs);
}

void dsim__epsilon_greedy_distribution(double epsilon, int greedy, int n, double *probs)
{
    for (int l = 0; l < n; l++)
        probs[l] = epsilon / n + (l == greedy ? 1.0 - epsilon : 0.0);
}

int dsim__pending_init(dsim__pending *p, uint32_t n_customers, int dim)
{
    memset(p, 0, sizeof *p);
    p->n_customers = n_customers;
    p->dim = dim;
    p->level = calloc(n_customers, 1);
    p->state = dim ? NULL : calloc(n_customers, 1);
    p->reward = calloc(n_customers, sizeof(float));
    p->features = dim ? calloc((size_t)n_customers * (size_t)dim, sizeof(float)) : NULL;
    if (!p->level || !p->reward || (dim ? !p->features : !p->state)) {
        dsim__pending_free(p);
        return dsim_error_set(DSIM_ENOMEM, "out of memory for %u customers' pending transitions", n_customers);
    }
    return DSIM_OK;
}

int dsim__pending_check(const dsim__pending *p, uint32_t u)
{
    if (u >= p->n_customers)
        return dsim_error_set(DSIM_EINVAL, "customer id %u beyond the %u the policy was made for", u, p->n_customers);
    return DSIM_OK;
}

void dsim__pending_free(dsim__pending *p)
{
    free(p->level);
    free(p->state);
    free(p->reward);
    free(p->features);
    memset(p, 0, sizeof *p);
}
