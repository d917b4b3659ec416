/*
 * sweep_job.c — a sweep made ready to run (dsim/sweep.h): its file, base scenario and policies found, read
 * and checked once by every process of the sweep; its definition, by which a database finds it again (the
 * resume key); and the runs of a shard that are not done yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ini.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/files.h"
#include "dsim/sweep.h"

void dsim_sweep_job_clear(dsim_sweep_job *job)
{
    for (int p = 0; p < job->sw.n_policies; p++)
        dsim_policy_config_free(job->configs[p]);
    free(job->base);
    free(job->sweep_text);
    free(job->definition);
    memset(job, 0, sizeof *job);
}

/* The definition: the sweep file, the base scenario and the policies, as read, and the dsim that runs them
   (another version may simulate differently, so its runs are another sweep's). */
static int define(dsim_sweep_job *job)
{
    size_t len = strlen("dsim " DSIM_VERSION) + strlen(job->sweep_text) + strlen(job->base) + 3;
    for (int p = 0; p < job->sw.n_policies; p++)
        len += (job->configs[p]->text ? strlen(job->configs[p]->text) : strlen(job->configs[p]->name)) + 1;
    if (!(job->definition = malloc(len + 1)))
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    size_t used = (size_t)snprintf(job->definition, len + 1, "dsim %s\f%s\f%s", DSIM_VERSION, job->sweep_text,
                                   job->base);
    for (int p = 0; p < job->sw.n_policies; p++)
        used += (size_t)snprintf(job->definition + used, len + 1 - used, "\f%s",
                                 job->configs[p]->text ? job->configs[p]->text : job->configs[p]->name);
    return DSIM_OK;
}

int dsim_sweep_job_load(dsim_sweep_job *job, const char *file)
{
    char path[1024];
    dsim_scenario *first = NULL;
    memset(job, 0, sizeof *job);
    int rc = dsim_sweep_load(&job->sw, file);
    if (rc || (rc = dsim__read_file(file, &job->sweep_text)) ||
        (rc = dsim_files_find("scenarios", job->sw.scenario, path, sizeof path)))
        return rc;
    /* The base scenario alone first, so that its own mistakes are named by its own file and line. */
    if ((rc = dsim__read_file(path, &job->base)) || (rc = dsim_scenario_parse(&first, job->base, path)))
        return rc;
    dsim_scenario_free(first);
    first = NULL;
    if ((rc = dsim_sweep_check(&job->sw, job->base)) || (rc = dsim_sweep_cell_scenario(&job->sw, job->base, 0, &first)))
        return rc;
    for (int p = 0; p < job->sw.n_policies && !rc; p++) {
        char where[DSIM_PATH_MAX * 2 + 32];
        snprintf(where, sizeof where, "%s: [sweep] policies: %s", file, job->sw.policies[p]);
        if ((rc = dsim_policy_config_resolve_at(&job->configs[p], job->sw.policies[p], where)) ||
            (rc = dsim_policy_config_check(job->configs[p], first)))
            break;
        job->names[p] = job->configs[p]->name;
    }
    if (!rc)
        rc = dsim_sweep_check_policy_axes(&job->sw, job->configs, first);
    dsim_scenario_free(first);
    return rc ? rc : define(job);
}

int dsim_sweep_pending(dsim_store *store, dsim_sweep_runner *runner, int64_t sweep_id, unsigned shard,
                       unsigned n_shards, size_t **out, size_t *n_pending, size_t *n_in_shard)
{
    size_t n = dsim_sweep_n_tasks(runner->sw);
    size_t *tasks = malloc((n / n_shards + 1) * sizeof *tasks);
    if (!tasks)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    *n_pending = *n_in_shard = 0;
    for (size_t t = shard; t < n; t += n_shards) {
        const dsim_scenario *sc;
        uint64_t seed;
        dsim_sweep_task task = dsim_sweep_task_of(runner->sw, t);
        int rc = dsim_sweep_runner_task(runner, t, &sc, &seed), has = 0;
        if (rc || (has = dsim_store_sweep_has(store, sweep_id, task.cell, task.policy, seed)) < 0) {
            free(tasks);
            return rc ? rc : has;
        }
        ++*n_in_shard;
        if (!has)
            tasks[(*n_pending)++] = t;
    }
    *out = tasks;
    return DSIM_OK;
}
