/*
 * estimator_types.c — the offline estimators (estimator_impl.h), each its per-row term, and their list. A new
 * estimator is a file with its dsim__ope_estimator_type and one line in the list; names, docs, the sums, the
 * intervals and `--estimators` follow from the table. The first eight keep the indices of dsim_ope_estimator.
 */
#include <math.h>

#include "ope/estimator_impl.h"

static double residual(const dsim_ope_terms *t, size_t i)
{
    return t->r[i] - t->q_taken[i];
}

static void dm(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    (void)tuning;
    *a = t->q_pi[i], *b = 0.0;
}

static void ips(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    (void)tuning;
    *a = t->w[i] * t->r[i], *b = 0.0;
}

static void cips(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    *a = fmin(t->w[i], tuning->clip) * t->r[i], *b = 0.0;
}

static void snips(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    (void)tuning;
    *a = 0.0, *b = t->w[i] * t->r[i];
}

static void dr(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    (void)tuning;
    *a = t->q_pi[i] + t->w[i] * residual(t, i), *b = 0.0;
}

static void sndr(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    (void)tuning;
    *a = t->q_pi[i], *b = t->w[i] * residual(t, i);
}

static void switch_dr(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    double w = t->w[i];
    *a = t->q_pi[i] + (w <= tuning->switch_tau ? w * residual(t, i) : 0.0), *b = 0.0;
}

static void dros(const dsim_ope_terms *t, const dsim_ope_tuning *tuning, size_t i, double *a, double *b)
{
    double w = t->w[i];
    *a = t->q_pi[i] + tuning->shrink * w / (w * w + tuning->shrink) * residual(t, i), *b = 0.0;
}

static const dsim__ope_estimator_type
    dm_type = {"dm", "direct method: the reward model's value of the target", dm},
    ips_type = {"ips", "inverse propensity scoring", ips},
    cips_type = {"cips", "IPS with the weights clipped at λ", cips},
    snips_type = {"snips", "self-normalised IPS", snips},
    dr_type = {"dr", "doubly robust", dr},
    sndr_type = {"sndr", "self-normalised doubly robust", sndr},
    switch_dr_type = {"switch-dr", "DR where the weight is at most τ, DM elsewhere", switch_dr},
    dros_type = {"dr-os", "DR with the weights shrunk optimistically", dros};

const dsim__ope_estimator_type *const dsim__ope_estimators[] = {
    &dm_type, &ips_type, &cips_type, &snips_type, &dr_type, &sndr_type, &switch_dr_type, &dros_type, NULL,
};
