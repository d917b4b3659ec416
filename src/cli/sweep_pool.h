/*
 * sweep_pool.h — who computes a sweep's runs while the one writer stores them: the writer's own process
 * (`inline`, -j 1), forked worker processes (`fork`, -j N) or MPI ranks (`mpi`). One plug-in table, so the
 * writer's loop in cmd_sweep.c is the same for all three.
 *
 * Workers are processes, not threads: each run owns its world and policy anyway, and processes share no
 * library state (error messages, OpenBLAS's thread pool, GSL's handler) and die alone.
 */
#ifndef DSIM_SWEEP_POOL_H
#define DSIM_SWEEP_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "dsim/sweep.h"

typedef struct sweep_pool sweep_pool;

typedef struct {
    const char *name;
    /** Start up to `n_workers` workers computing `runner`'s sweep (forked workers take a copy). */
    int (*start)(sweep_pool **out, dsim_sweep_runner *runner, int n_workers);
    int (*n_workers)(const sweep_pool *pool);
    /** Hand run `task` to worker `worker`, which is idle. */
    int (*submit)(sweep_pool *pool, int worker, size_t task);
    /**
     * Wait for the next computed run of any busy worker; that worker is idle again. @return 0,
     * DSIM_EINTERRUPTED when runner->stop was set, or an error (a worker died) with its message.
     */
    int (*collect)(sweep_pool *pool, int *worker, dsim_study_result *res);
    /** End the workers and free the pool: politely when `status` is 0, at once otherwise (the MPI pool then
     *  aborts every rank, with `status`, even when `pool` is NULL). */
    void (*stop)(sweep_pool *pool, int status);
} sweep_pool_type;

extern const sweep_pool_type sweep_pool_inline;
extern const sweep_pool_type sweep_pool_fork;

#ifdef DSIM_WITH_MPI
extern const sweep_pool_type sweep_pool_mpi;

/**
 * Under mpirun (the launcher's environment is set), initialise MPI. @return the number of ranks (0 when not
 * under mpirun: MPI then untouched), and this process's rank in `rank`; -1 if MPI_Init failed.
 */
int sweep_mpi_init(int *rank);
/** A rank other than 0: compute the runs rank 0 hands out until it says stop. @return 0 or an error. */
int sweep_mpi_work(dsim_sweep_runner *runner);
void sweep_mpi_finalize(void);
#endif

#endif
