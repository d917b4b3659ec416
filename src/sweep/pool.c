/*
 * pool.c — the `inline` and `fork` worker pools of a sweep (pool.h).
 *
 * A forked worker reads run numbers from its task pipe and writes each computed run (the result's head,
 * then its checkpoints) to its own result pipe; the writer polls the result pipes. One pipe per worker
 * because a result is larger than PIPE_BUF, so two workers' writes to one pipe could interleave.
 */
#define _GNU_SOURCE /* prctl */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/pool.h"
#include "dsim/error.h"

/* ---- inline: the writer computes each run itself ---------------------------------------------------------- */

struct dsim_sweep_pool {
    dsim_sweep_runner *runner;
    int n_workers;
    size_t inline_task;
    void (*old_sigpipe)(int); /* restored when the pool stops */
    struct worker {
        pid_t pid;
        int task_fd, result_fd; /* the writer's ends */
        bool busy;
    } workers[];
};

static int pool_alloc(dsim_sweep_pool **out, dsim_sweep_runner *runner, int n_workers)
{
    dsim_sweep_pool *p = calloc(1, sizeof *p + (size_t)n_workers * sizeof p->workers[0]);
    if (!p)
        return dsim_error_set(DSIM_ENOMEM, "out of memory for %d workers", n_workers);
    p->runner = runner;
    for (int i = 0; i < n_workers; i++)
        p->workers[i] = (struct worker){.pid = -1, .task_fd = -1, .result_fd = -1};
    *out = p;
    return DSIM_OK;
}

static int inline_start(dsim_sweep_pool **out, dsim_sweep_runner *runner, int n_workers)
{
    (void)n_workers;
    int rc = pool_alloc(out, runner, 1);
    if (!rc)
        (*out)->n_workers = 1;
    return rc;
}

static int pool_n_workers(const dsim_sweep_pool *pool)
{
    return pool->n_workers;
}

static int inline_submit(dsim_sweep_pool *pool, int worker, size_t task)
{
    (void)worker;
    pool->inline_task = task;
    return DSIM_OK;
}

static int inline_collect(dsim_sweep_pool *pool, int *worker, dsim_study_result *res)
{
    *worker = 0;
    return dsim_sweep_run_task(pool->runner, pool->inline_task, res);
}

static void inline_stop(dsim_sweep_pool *pool, int status)
{
    (void)status;
    free(pool); /* NULL: no-op */
}

const dsim_sweep_pool_type dsim_sweep_pool_inline = {"inline", inline_start, pool_n_workers, inline_submit, inline_collect,
                                           inline_stop};

/* ---- fork: worker processes ---------------------------------------------------------------------------- */

/* Read or write exactly n bytes. @return n, 0 at end of file before any byte, or -1 (errno set). */
static ssize_t read_all(int fd, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t got = read(fd, (char *)buf + done, n - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got == 0 && done == 0 ? 0 : (errno = got == 0 ? EPIPE : errno, -1);
        done += (size_t)got;
    }
    return (ssize_t)n;
}

static int write_all(int fd, const void *buf, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t put = write(fd, (const char *)buf + done, n - done);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -1;
        done += (size_t)put;
    }
    return 0;
}

/* The worker process: compute every run asked for until the task pipe closes. Never returns. */
static void work(dsim_sweep_runner *runner, int task_fd, int result_fd)
{
    dsim_study_result res = {0};
    uint64_t task;
    while (read_all(task_fd, &task, sizeof task) == (ssize_t)sizeof task) {
        if (dsim_sweep_run_task(runner, task, &res) != DSIM_OK)
            _exit(1); /* cannot happen: a worker has no stop flag */
        if (write_all(result_fd, &res.head, sizeof res.head) ||
            write_all(result_fd, res.points, res.head.n_points * sizeof res.points[0]))
            _exit(1);
    }
    _exit(0);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int fork_start(dsim_sweep_pool **out, dsim_sweep_runner *runner, int n_workers)
{
    dsim_sweep_pool *p = NULL;
    int rc = pool_alloc(&p, runner, n_workers);
    if (rc)
        return rc;
    *out = p;
    p->old_sigpipe = signal(SIGPIPE, SIG_IGN); /* a worker that died shows as EPIPE, not as the writer's death */
    pid_t writer = getpid();
    /* Ctrl-C arriving while forking must reach the writer only: blocked until the worker ignores it. */
    sigset_t interrupts, old_mask;
    sigemptyset(&interrupts);
    sigaddset(&interrupts, SIGINT);
    sigaddset(&interrupts, SIGTERM);
    for (int i = 0; i < n_workers; i++) {
        int task[2], result[2];
        if (pipe(task) != 0)
            return dsim_error_set(DSIM_EIO, "starting worker %d: pipe: %s", i + 1, strerror(errno));
        if (pipe(result) != 0) {
            close(task[0]);
            close(task[1]);
            return dsim_error_set(DSIM_EIO, "starting worker %d: pipe: %s", i + 1, strerror(errno));
        }
        fflush(NULL); /* nothing buffered is written twice */
        sigprocmask(SIG_BLOCK, &interrupts, &old_mask);
        pid_t pid = fork();
        if (pid == 0) {
            /* Interrupts are the writer's to handle (it ends its workers); a writer killed outright (kill -9)
               takes its workers along. */
            signal(SIGINT, SIG_IGN);
            signal(SIGTERM, SIG_IGN);
            runner->stop = NULL;
            sigprocmask(SIG_SETMASK, &old_mask, NULL);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != writer)
                _exit(1);
            for (int j = 0; j < i; j++)
                close(p->workers[j].task_fd), close(p->workers[j].result_fd);
            close(task[1]);
            close(result[0]);
            work(runner, task[0], result[1]);
        }
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        if (pid < 0) {
            close(task[0]), close(task[1]), close(result[0]), close(result[1]);
            return dsim_error_set(DSIM_EIO, "starting worker %d: fork: %s", i + 1, strerror(errno));
        }
        close(task[0]);
        close(result[1]);
        p->workers[i] = (struct worker){.pid = pid, .task_fd = task[1], .result_fd = result[0]};
        p->n_workers = i + 1;
    }
    return DSIM_OK;
}

static int fork_submit(dsim_sweep_pool *pool, int worker, size_t task)
{
    struct worker *w = &pool->workers[worker];
    uint64_t t = task;
    if (write_all(w->task_fd, &t, sizeof t) != 0)
        return dsim_error_set(DSIM_EIO, "worker %d (pid %d) is gone: %s", worker + 1, (int)w->pid, strerror(errno));
    w->busy = true;
    return DSIM_OK;
}

static bool stopped(const dsim_sweep_pool *pool)
{
    return pool->runner->stop && *pool->runner->stop;
}

/* Why a worker's pipe closed: how the process ended (or an interrupt, if one came meanwhile). */
static int worker_died(dsim_sweep_pool *pool, int worker)
{
    struct worker *w = &pool->workers[worker];
    int wstatus = 0;
    close_fd(&w->result_fd);
    if (stopped(pool))
        return dsim_error_set(DSIM_EINTERRUPTED, "interrupted");
    if (waitpid(w->pid, &wstatus, 0) == w->pid) {
        w->pid = -1;
        if (WIFSIGNALED(wstatus))
            return dsim_error_set(DSIM_EIO, "worker %d was killed by signal %d (%s)", worker + 1, WTERMSIG(wstatus),
                                  strsignal(WTERMSIG(wstatus)));
        return dsim_error_set(DSIM_EIO, "worker %d ended with status %d before its run was done", worker + 1,
                              WEXITSTATUS(wstatus));
    }
    return dsim_error_set(DSIM_EIO, "worker %d stopped answering", worker + 1);
}

static int fork_collect(dsim_sweep_pool *pool, int *worker, dsim_study_result *res)
{
    struct pollfd fds[pool->n_workers];
    /* Interrupts stay blocked except inside ppoll, so one arriving after the check still wakes it. */
    sigset_t interrupts, old_mask;
    sigemptyset(&interrupts);
    sigaddset(&interrupts, SIGINT);
    sigaddset(&interrupts, SIGTERM);
    for (;;) {
        for (int i = 0; i < pool->n_workers; i++)
            fds[i] = (struct pollfd){.fd = pool->workers[i].busy ? pool->workers[i].result_fd : -1, .events = POLLIN};
        sigprocmask(SIG_BLOCK, &interrupts, &old_mask);
        int n = stopped(pool) ? 0 : ppoll(fds, (nfds_t)pool->n_workers, NULL, &old_mask);
        int err = errno;
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        if (stopped(pool))
            return dsim_error_set(DSIM_EINTERRUPTED, "interrupted");
        if (n < 0 && err == EINTR)
            continue;
        if (n < 0)
            return dsim_error_set(DSIM_EIO, "waiting for the workers: %s", strerror(err));
        for (int i = 0; i < pool->n_workers; i++) {
            if (!fds[i].revents)
                continue;
            struct worker *w = &pool->workers[i];
            w->busy = false;
            *worker = i;
            if (read_all(w->result_fd, &res->head, sizeof res->head) != (ssize_t)sizeof res->head)
                return worker_died(pool, i);
            size_t bytes = res->head.n_points * sizeof res->points[0];
            if (dsim_study_result_reserve(res, res->head.n_points))
                return DSIM_ENOMEM;
            if (read_all(w->result_fd, res->points, bytes) != (ssize_t)bytes)
                return worker_died(pool, i);
            return DSIM_OK;
        }
    }
}

static void fork_stop(dsim_sweep_pool *pool, int status)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->n_workers; i++) {
        struct worker *w = &pool->workers[i];
        close_fd(&w->task_fd); /* end of tasks: an idle worker exits */
        close_fd(&w->result_fd);
        if (w->pid > 0 && status != 0)
            kill(w->pid, SIGKILL);
    }
    for (int i = 0; i < pool->n_workers; i++)
        if (pool->workers[i].pid > 0)
            waitpid(pool->workers[i].pid, NULL, 0);
    if (pool->old_sigpipe != SIG_ERR)
        signal(SIGPIPE, pool->old_sigpipe);
    free(pool);
}

const dsim_sweep_pool_type dsim_sweep_pool_fork = {"fork", fork_start, pool_n_workers, fork_submit, fork_collect, fork_stop};
