/*
 * pool_mpi.c — the `mpi` worker pool of a sweep (pool.h), built with -DDSIM_WITH_MPI=ON.
 *
 * `mpirun -n P dsim sweep FILE`: every rank reads the sweep; rank 0 is the writer and hands out runs one at
 * a time (so fast and slow cells balance themselves), ranks 1 … P−1 compute them and send each back as its
 * head and its checkpoints: MPI_BYTEs, as results are plain data and every rank runs the same build. (With
 * one rank, the runs are computed the runs inline instead: no fork after MPI_Init.)
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sweep/pool.h"
#include "dsim/error.h"

enum { TAG_TASK = 1, TAG_STOP, TAG_HEAD, TAG_POINTS };

int dsim_sweep_mpi_init(int *rank)
{
    *rank = 0;
    /* Only under a launcher: a plain `dsim sweep` of an MPI build must not need one. */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMI_SIZE") && !getenv("PMIX_RANK"))
        return 0;
    int size = 1;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

void dsim_sweep_mpi_finalize(void)
{
    int initialised = 0, finalised = 0;
    MPI_Initialized(&initialised);
    MPI_Finalized(&finalised);
    if (initialised && !finalised)
        MPI_Finalize();
}

int dsim_sweep_mpi_work(dsim_sweep_runner *runner)
{
    dsim_study_result res = {0};
    int rc = DSIM_OK;
    for (;;) {
        unsigned long long task;
        MPI_Status st;
        MPI_Recv(&task, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_STOP)
            break;
        if ((rc = dsim_sweep_run_task(runner, (size_t)task, &res)))
            break; /* cannot happen: a worker rank has no stop flag */
        MPI_Send(&res.head, (int)sizeof res.head, MPI_BYTE, 0, TAG_HEAD, MPI_COMM_WORLD);
        MPI_Send(res.points, (int)(res.head.n_points * sizeof res.points[0]), MPI_BYTE, 0, TAG_POINTS,
                 MPI_COMM_WORLD);
    }
    dsim_study_result_clear(&res);
    return rc;
}

/* ---- rank 0's side -------------------------------------------------------------------------------------- */

struct dsim_sweep_pool {
    dsim_sweep_runner *runner;
    int n_ranks;
};

static int mpi_start(dsim_sweep_pool **out, dsim_sweep_runner *runner, int n_workers)
{
    (void)n_workers; /* the ranks decide */
    dsim_sweep_pool *p = calloc(1, sizeof *p);
    if (!p)
        return dsim_error_set(DSIM_ENOMEM, "out of memory");
    p->runner = runner;
    MPI_Comm_size(MPI_COMM_WORLD, &p->n_ranks);
    *out = p;
    return DSIM_OK;
}

static int mpi_n_workers(const dsim_sweep_pool *pool)
{
    return pool->n_ranks - 1;
}

static int mpi_submit(dsim_sweep_pool *pool, int worker, size_t task)
{
    (void)pool;
    unsigned long long t = task;
    MPI_Send(&t, 1, MPI_UNSIGNED_LONG_LONG, worker + 1, TAG_TASK, MPI_COMM_WORLD);
    return DSIM_OK;
}

static int mpi_collect(dsim_sweep_pool *pool, int *worker, dsim_study_result *res)
{
    /* Probe rather than block, so that Ctrl-C reaching rank 0 ends the sweep as interrupted. */
    MPI_Status st;
    for (int ready = 0; !ready;) {
        if (pool->runner->stop && *pool->runner->stop)
            return dsim_error_set(DSIM_EINTERRUPTED, "interrupted");
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_HEAD, MPI_COMM_WORLD, &ready, &st);
        if (!ready)
            nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    MPI_Recv(&res->head, (int)sizeof res->head, MPI_BYTE, st.MPI_SOURCE, TAG_HEAD, MPI_COMM_WORLD, &st);
    *worker = st.MPI_SOURCE - 1;
    if (dsim_study_result_reserve(res, res->head.n_points))
        return DSIM_ENOMEM;
    MPI_Recv(res->points, (int)(res->head.n_points * sizeof res->points[0]), MPI_BYTE, st.MPI_SOURCE, TAG_POINTS,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return DSIM_OK;
}

static void mpi_stop(dsim_sweep_pool *pool, int status)
{
    if (status != 0) { /* busy (or waiting) ranks would never be collected: end them all, with this status */
        fflush(NULL);
        MPI_Abort(MPI_COMM_WORLD, status);
    }
    if (!pool)
        return;
    unsigned long long none = 0;
    for (int r = 1; r < pool->n_ranks; r++)
        MPI_Send(&none, 1, MPI_UNSIGNED_LONG_LONG, r, TAG_STOP, MPI_COMM_WORLD);
    free(pool);
}

const dsim_sweep_pool_type dsim_sweep_pool_mpi = {"mpi", mpi_start, mpi_n_workers, mpi_submit, mpi_collect, mpi_stop};
