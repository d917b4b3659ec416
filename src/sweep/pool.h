/*
 * pool.h — who computes a sweep's runs while the one writer stores them: the writer's own process
 * (`inline`, -j 1), forked worker processes (`fork`, -j N) or MPI ranks (`mpi`). One plug-in table, so the
 * writer's loop (sweep_writer.c) is the same for all three.
 *
 * Workers are processes, not threads: each run owns its world and policy anyway, and processes share no
 * library state (error messages, OpenBLAS's thread pool, GSL's handler) and die alone.
 */
#ifndef DSIM_SWEEP_POOL_IMPL_H
#define DSIM_SWEEP_POOL_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "dsim/sweep.h"

typedef struct dsim_sweep_pool dsim_sweep_pool;

typedef struct {
    const char *name;
    /** Start up to `n_workers` workers computing `runner`'s sweep (forked workers take a copy). */
    int (*start)(dsim_sweep_pool **out, dsim_sweep_runner *runner, int n_workers);
    int (*n_workers)(const dsim_sweep_pool *pool);
    /** Hand run `task` to worker `worker`, which is idle. */
    int (*submit)(dsim_sweep_pool *pool, int worker, size_t task);
    /**
     * Wait for the next computed run of any busy worker; that worker is idle again. @return 0,
     * DSIM_EINTERRUPTED when runner->stop was set, or an error (a worker died) with its message.
     */
    int (*collect)(dsim_sweep_pool *pool, int *worker, dsim_study_result *res);
    /** End the workers and free the pool: politely when `status` is 0, at once otherwise (the MPI pool then
     *  aborts every rank, with `status`, even when `pool` is NULL). */
    void (*stop)(dsim_sweep_pool *pool, int status);
} dsim_sweep_pool_type;

extern const dsim_sweep_pool_type dsim_sweep_pool_inline;
extern const dsim_sweep_pool_type dsim_sweep_pool_fork;

/** The single writer's side of a sweep (sweep_writer.c): what it tells its caller, and what it counted. */
typedef struct {
    void (*stored)(void *user, const dsim_study_result *res); /* a run stored done (a progress line); may be NULL */
    void (*failed)(void *user, const dsim_study_result *res); /* a run that failed, stored as failed; may be NULL */
    void *user;
    size_t n_failed;     /* out: runs that failed */
    double busy_seconds; /* out: time spent storing */
} dsim_sweep_writer;

/**
 * Hand `tasks` to the pool's workers, one at a time to whichever is idle, and store each computed run as it
 * comes (dsim_sweep_store_result). A failed run stops the handing out; the runs in flight are still stored.
 * @return 0 when every run handed out was stored (w->n_failed of them failed), DSIM_EINTERRUPTED when the
 *         runner's stop flag ended it, or the pool's or the store's first error (its message kept).
 */
int dsim_sweep_write(const dsim_sweep_pool_type *type, dsim_sweep_pool *pool, dsim_store *store,
                     dsim_sweep_runner *runner, int64_t sweep_id, const size_t *tasks, size_t n, dsim_sweep_writer *w);

#ifdef DSIM_WITH_MPI
extern const dsim_sweep_pool_type dsim_sweep_pool_mpi;

/**
 * Under mpirun (the launcher's environment is set), initialise MPI. @return the number of ranks (0 when not
 * under mpirun: MPI then untouched), and this process's rank in `rank`; -1 if MPI_Init failed.
 */
int dsim_sweep_mpi_init(int *rank);
/** A rank other than 0: compute the runs rank 0 hands out until it says stop. @return 0 or an error. */
int dsim_sweep_mpi_work(dsim_sweep_runner *runner);
void dsim_sweep_mpi_finalize(void);
#endif

#endif
