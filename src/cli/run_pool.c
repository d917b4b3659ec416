/*
 * run_pool.c — the runs of `dsim run` (policy × seed) carried out in this process or in N worker processes,
 * each writing its runs into the database itself (SQLite serialises the writers); a task board in shared
 * memory hands out the runs and collects their progress for one progress line with an ETA. Ctrl-C ends the
 * runs in progress interrupted; the finished ones stay, for the same command to reuse.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/text.h"
#include "dsim/error.h"
#include "dsim/store.h"
#include "dsim/study.h"

volatile sig_atomic_t cli_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_catch_interrupts(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

/* The board every process sees (MAP_SHARED): which run is whose, how far each has come, the first failure. */
typedef struct {
    size_t next;    /* the next index of `queue` to take (atomic) */
    int stop;       /* a run failed: take no more */
    char error[512];
    cli_run_slot slot[];
    /* then size_t queue[n_pending] */
} board;

static size_t *queue_of(board *b, size_t n_tasks)
{
    return (size_t *)(void *)&b->slot[n_tasks];
}

/* Stop handing out runs; the first failure's message is the one kept. */
static void board_fail(board *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void board_fail(board *b, const char *fmt, ...)
{
    if (__atomic_exchange_n(&b->stop, 1, __ATOMIC_ACQ_REL))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
}

/* ---- one worker: take runs until none is left --------------------------------------------------------- */

typedef struct {
    const cli_run_plan *plan;
    board *b;
    size_t task;
    bool draw; /* this process draws the progress line (one process, a terminal) */
    double started, last_drawn;
} worker;

static void draw_progress(const cli_run_plan *plan, const board *b, double started);

static void on_checkpoint(void *user, uint64_t done, uint64_t horizon)
{
    (void)horizon;
    worker *w = user;
    __atomic_store_n(&w->b->slot[w->task].done_visits, done, __ATOMIC_RELAXED);
    double t = cli_now_seconds();
    if (w->draw && t - w->last_drawn >= 0.1) {
        w->last_drawn = t;
        draw_progress(w->plan, w->b, w->started);
    }
}

static int run_task(worker *w, dsim_store *store, size_t task)
{
    const cli_run_plan *plan = w->plan;
    cli_run_slot *slot = &w->b->slot[task];
    w->task = task;
    dsim_study_run run = DSIM_STUDY_RUN_INIT;
    run.scenario = plan->sc;
    run.policy = plan->configs[task / plan->n_seeds];
    run.seed = plan->sc->seed + task % plan->n_seeds;
    run.sim = plan->options;
    run.stop = &cli_interrupted;
    run.progress = on_checkpoint;
    run.user = w;
    __atomic_store_n(&slot->state, CLI_RUN_RUNNING, __ATOMIC_RELEASE);
    int64_t id = 0;
    int rc = dsim_study_run_one(store, &run, NULL, &id);
    slot->run_id = id;
    if (rc == DSIM_EINTERRUPTED) {
        __atomic_store_n(&slot->state, CLI_RUN_INTERRUPTED, __ATOMIC_RELEASE);
        return EXIT_INTERRUPTED;
    }
    if (rc) {
        board_fail(w->b, "%s", dsim_errmsg());
        __atomic_store_n(&slot->state, CLI_RUN_FAILED, __ATOMIC_RELEASE);
        return EXIT_RUNTIME;
    }
    __atomic_store_n(&slot->state, CLI_RUN_DONE, __ATOMIC_RELEASE);
    return EXIT_OK;
}

static int work(const cli_run_plan *plan, board *b, size_t n_pending, bool draw, double started)
{
    dsim_store *store = NULL;
    if (dsim_store_open(&store, plan->db)) {
        board_fail(b, "%s", dsim_errmsg());
        return EXIT_RUNTIME;
    }
    worker w = {.plan = plan, .b = b, .draw = draw, .started = started};
    const size_t *queue = queue_of(b, plan->n_tasks);
    int status = EXIT_OK;
    while (!cli_interrupted && !__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
        size_t i = __atomic_fetch_add(&b->next, 1, __ATOMIC_ACQ_REL);
        if (i >= n_pending)
            break;
        if ((status = run_task(&w, store, queue[i])))
            break;
    }
    dsim_store_close(store);
    return cli_interrupted ? EXIT_INTERRUPTED : status;
}

/* ---- the progress line --------------------------------------------------------------------------------- */

static void draw_progress(const cli_run_plan *plan, const board *b, double started)
{
    size_t done = 0, running = 0, to_run = 0;
    uint64_t visits_done = 0, visits_total = 0;
    for (size_t t = 0; t < plan->n_tasks; t++) {
        int state = __atomic_load_n(&b->slot[t].state, __ATOMIC_ACQUIRE);
        done += state == CLI_RUN_DONE || state == CLI_RUN_REUSED;
        running += state == CLI_RUN_RUNNING;
        if (state == CLI_RUN_REUSED)
            continue;
        to_run++;
        visits_done += state == CLI_RUN_DONE ? plan->horizon : __atomic_load_n(&b->slot[t].done_visits, __ATOMIC_RELAXED);
    }
    visits_total = to_run * plan->horizon;
    double elapsed = cli_now_seconds() - started, rate = visits_done / fmax(elapsed, 1e-9);
    char eta[32] = "";
    if (visits_done > 0 && visits_total > visits_done) {
        double left = (double)(visits_total - visits_done) / rate;
        snprintf(eta, sizeof eta, "  ETA %d:%02d", (int)(left / 60), (int)fmod(left, 60));
    }
    fprintf(stderr, "\r\033[Kruns %zu/%zu done, %zu running  %5.1f%% of %llu visits  %.2f M visits/s%s", done,
            plan->n_tasks, running, visits_total ? 100.0 * (double)visits_done / (double)visits_total : 100.0,
            (unsigned long long)visits_total, rate / 1e6, eta);
    fflush(stderr);
}

/* ---- the pool ------------------------------------------------------------------------------------------ */

/* The runs the database already has finished (unless --fresh): reused, and left out of the queue. */
static int find_reusable(const cli_run_plan *plan, board *b, size_t *n_pending)
{
    dsim_store *store = NULL;
    int rc = dsim_store_open(&store, plan->db);
    size_t *queue = queue_of(b, plan->n_tasks);
    *n_pending = 0;
    for (size_t t = 0; t < plan->n_tasks && !rc; t++) {
        int64_t id = 0;
        if (!plan->fresh)
            rc = dsim_store_find_done_run(store, plan->sc, plan->configs[t / plan->n_seeds],
                                          plan->sc->seed + t % plan->n_seeds, plan->horizon,
                                          plan->options.log_decisions, &id);
        if (id) {
            b->slot[t].state = CLI_RUN_REUSED;
            b->slot[t].run_id = id;
        } else {
            queue[(*n_pending)++] = t;
        }
    }
    dsim_store_close(store);
    return rc;
}

/* Fork the workers; the parent draws the progress line, passes a signal on, and waits. */
static void fork_workers(const cli_run_plan *plan, board *b, size_t n_pending, int jobs, bool draw, double started)
{
    pid_t pids[CLI_MAX_JOBS];
    pid_t parent = getpid();
    int n = 0;
    signal(SIGCHLD, SIG_DFL); /* an inherited SIG_IGN would reap the workers before waitpid sees them */
    fflush(NULL);
    for (; n < jobs; n++) {
        pid_t pid = fork();
        if (pid < 0) {
            board_fail(b, "run: cannot start worker %d of %d: %s", n + 1, jobs, strerror(errno));
            break;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed parent */
            if (getppid() != parent)
                _exit(EXIT_INTERRUPTED);
            _exit(work(plan, b, n_pending, false, started));
        }
        pids[n] = pid;
    }
    bool passed_on = false;
    for (int alive = n; alive > 0;) {
        if (cli_interrupted && !passed_on) { /* a signal to the parent alone (kill, not the terminal's Ctrl-C) */
            for (int i = 0; i < n; i++)
                if (pids[i] > 0)
                    kill(pids[i], SIGTERM);
            passed_on = true;
        }
        for (int i = 0; i < n; i++) {
            int wstatus = 0;
            pid_t got = pids[i] > 0 ? waitpid(pids[i], &wstatus, WNOHANG) : 0;
            if (got == 0 || (got < 0 && errno == EINTR))
                continue;
            if (got == pids[i] && WIFSIGNALED(wstatus) && WTERMSIG(wstatus) != SIGINT && WTERMSIG(wstatus) != SIGTERM)
                board_fail(b, "run: worker %d (pid %ld) was killed by signal %d (%s)", i + 1, (long)pids[i],
                           WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
            pids[i] = -1; /* ended, or (ECHILD) no longer ours to wait for */
            alive--;
        }
        if (draw)
            draw_progress(plan, b, started);
        if (alive > 0)
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
}

int cli_run_pool(const cli_run_plan *plan, cli_run_slot *slots, int *reused, char *error, size_t error_size)
{
    size_t size = sizeof(board) + plan->n_tasks * (sizeof(cli_run_slot) + sizeof(size_t));
    board *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED) {
        snprintf(error, error_size, "run: cannot share the task board: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    memset(b, 0, size);
    size_t n_pending = 0;
    int status = EXIT_OK;
    if (find_reusable(plan, b, &n_pending)) {
        snprintf(error, error_size, "%s", dsim_errmsg());
        status = EXIT_RUNTIME;
        goto done;
    }
    *reused = (int)(plan->n_tasks - n_pending);
    cli_catch_interrupts();
    double started = cli_now_seconds();
    int jobs = plan->jobs < (int)n_pending ? plan->jobs : (int)n_pending;
    bool draw = plan->progress;
    if (jobs <= 1)
        work(plan, b, n_pending, draw, started);
    else
        fork_workers(plan, b, n_pending, jobs, draw, started);
    if (draw) {
        draw_progress(plan, b, started);
        fprintf(stderr, "\r\033[K");
    }
    memcpy(slots, b->slot, plan->n_tasks * sizeof *slots);
    for (size_t t = 0; t < plan->n_tasks && !status; t++)
        if (slots[t].state == CLI_RUN_FAILED)
            status = EXIT_RUNTIME;
    for (size_t t = 0; t < plan->n_tasks && !status; t++)
        if (slots[t].state == CLI_RUN_INTERRUPTED || slots[t].state == CLI_RUN_PENDING ||
            slots[t].state == CLI_RUN_RUNNING)
            status = cli_interrupted ? EXIT_INTERRUPTED : EXIT_RUNTIME;
    if (status == EXIT_RUNTIME)
        snprintf(error, error_size, "%s", b->error[0] ? b->error : "run: a worker ended without finishing its run");
done:
    munmap(b, size);
    return status;
}
