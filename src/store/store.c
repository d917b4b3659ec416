/*
 * store.c — writing runs to the result database and reading them back.
 *
 * One writer per database: a run is begun (its `runs` row committed as 'running'), its checkpoints are
 * added inside one transaction, and dsim_store_run_end() writes the summary and final status in that same
 * transaction. A process that dies mid-run leaves only the 'running' row.
 */
#include "dsim/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file.h"
#include "core/grow.h"
#include "core/text.h"
#include "dsim/error.h"
#include "store/store_impl.h"

#ifndef DSIM_VERSION
#define DSIM_VERSION "0"
#endif

int dsim__store_error(const dsim_store *st, const char *what)
{
    return dsim_error_set(DSIM_ESTORE, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

int dsim__store_exec(dsim_store *st, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
        int rc = dsim_error_set(DSIM_ESTORE, "%s: %s", st->path, err ? err : sqlite3_errmsg(st->db));
        sqlite3_free(err);
        return rc;
    }
    return DSIM_OK;
}

static void utc_now(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "a/b/c.db" → make "a/b" if it is missing (one level: results/ on first use). */
static int make_parent_dir(const char *path)
{
    char dir[512];
    dsim__strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return DSIM_OK;
    *slash = '\0';
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return dsim_error_set(DSIM_EINVAL, "%s: cannot create directory %s: %s", path, dir, strerror(errno));
    return DSIM_OK;
}

/* INSERT INTO table (KEYS, every metric column) VALUES (?, …): the metric columns follow `n_keys` keys. */
static const char *metric_insert_sql(const char *table, const char *keys, int n_keys, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "INSERT INTO %s (%s", table, keys);
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        used += (size_t)snprintf(buf + used, n - used, ", %s", dsim_metrics_defs[i].name);
    used += (size_t)snprintf(buf + used, n - used, ") VALUES (?");
    for (size_t i = 1; i < n_keys + dsim_metrics_n_defs; i++)
        used += (size_t)snprintf(buf + used, n - used, ", ?");
    snprintf(buf + used, n - used, ")");
    return buf;
}

/* SELECT KEYS, every metric column REST: the metric columns follow the keys. */
static const char *metric_select_sql(const char *keys, const char *rest, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "SELECT %s", keys);
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        used += (size_t)snprintf(buf + used, n - used, ", %s", dsim_metrics_defs[i].name);
    snprintf(buf + used, n - used, " %s", rest);
    return buf;
}

/* A store for `path`, not yet opened; what is not a file is refused first. */
static int store_alloc(dsim_store **out, const char *path)
{
    int rc = dsim__check_regular(path, "a result database (an SQLite file)", DSIM_EINVAL);
    if (rc)
        return rc;
    dsim_store *st = calloc(1, sizeof *st);
    if (!st)
        return dsim_error_set(DSIM_ENOMEM, "out of memory opening %s", path);
    dsim__strlcpy(st->path, path, sizeof st->path);
    pthread_mutex_init(&st->lock, NULL);
    *out = st;
    return DSIM_OK;
}

/* "file:PATH?immutable=1", PATH percent-encoded where a URI needs it. */
static void immutable_uri(const char *path, char *out, size_t n)
{
    size_t used = (size_t)snprintf(out, n, "file:");
    for (const char *p = path; *p && used + 4 < n; p++)
        used += (size_t)(strchr("?#%", *p) ? snprintf(out + used, n - used, "%%%02X", (unsigned char)*p)
                                           : snprintf(out + used, n - used, "%c", *p));
    snprintf(out + used, n - used, "?immutable=1");
}

static int open_readonly(dsim_store *st, bool immutable)
{
    char uri[2100];
    if (immutable)
        immutable_uri(st->path, uri, sizeof uri);
    sqlite3_close(st->db);
    st->db = NULL;
    int flags = SQLITE_OPEN_READONLY | (immutable ? SQLITE_OPEN_URI : 0);
    if (sqlite3_open_v2(immutable ? uri : st->path, &st->db, flags, NULL) != SQLITE_OK)
        return dsim__store_error(st, "cannot open");
    sqlite3_busy_timeout(st->db, 600000);
    return dsim__store_check_version(st->db, st->path);
}

/* Reading must neither create a database where there was none nor need to write anything: a database on a
   read-only mount, or in a directory the user cannot write, reads. A database in WAL mode there cannot get its
   shared-memory file, so it is opened immutable (nothing can be writing it where nothing can write). */
int dsim_store_open_readonly(dsim_store **out, const char *path)
{
    if (access(path, F_OK) != 0)
        return dsim_error_set(DSIM_ENOTFOUND, "no result database at %s (run `dsim run` first, or give --db FILE)",
                              path);
    dsim_store *st = NULL;
    int rc = store_alloc(&st, path);
    if (rc)
        return rc;
    st->read_only = true;
    rc = open_readonly(st, false);
    if (rc == DSIM_ESTORE && sqlite3_errcode(st->db) == SQLITE_CANTOPEN)
        rc = open_readonly(st, true);
    if (rc == DSIM_ESTORE && st->db && dsim__store_schema_version(st->db) < DSIM_STORE_SCHEMA_VERSION) {
        /* An older schema is upgraded where it can be written (as any writer would); read-only, it is refused
           with the message set above. */
        char why[1024];
        dsim__strlcpy(why, dsim_errmsg(), sizeof why);
        dsim_store_close(st);
        if (access(path, W_OK) == 0 && dsim_store_open(out, path) == DSIM_OK)
            return DSIM_OK;
        return dsim_error_set(DSIM_ESTORE, "%s", why);
    }
    if (rc) {
        int code = st->db ? sqlite3_errcode(st->db) : SQLITE_CANTOPEN;
        if (rc == DSIM_ESTORE && code == SQLITE_NOTADB)
            rc = DSIM_EINVAL; /* not a database: the caller's input */
        dsim_store_close(st);
        return rc;
    }
    *out = st;
    return DSIM_OK;
}

bool dsim_store_split_run(const char *spec, char *db, size_t n, long long *run)
{
    const char *colon = strrchr(spec, ':');
    unsigned long long id;
    if (!colon || colon == spec || !dsim__parse_u64(colon + 1, &id))
        return false;
    snprintf(db, n, "%.*s", (int)(colon - spec), spec);
    *run = (long long)id;
    return true;
}

/* The database file and SQLite's companions of it. */
static void remove_database(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char name[600];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

/* Runs left `running` by processes that are gone (killed, or the machine rebooted) are marked interrupted, each
   in a statement of its own, by the next process that opens the database to write. */
static int mark_interrupted(dsim_store *st)
{
    sqlite3_stmt *find = NULL, *mark = NULL;
    int rc = DSIM_OK;
    if (sqlite3_prepare_v2(st->db, "SELECT id, pid, writer FROM runs WHERE status = 'running' AND writer IS NOT NULL",
                           -1, &find, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "UPDATE runs SET status = 'interrupted', finished = ?, error = ? WHERE id = ? AND "
                           "status = 'running'",
                           -1, &mark, NULL) != SQLITE_OK)
        rc = dsim__store_error(st, "looking for runs whose process is gone");
    char finished[32], why[128];
    utc_now(finished, sizeof finished);
    while (!rc && sqlite3_step(find) == SQLITE_ROW) {
        long long pid = sqlite3_column_int64(find, 1);
        if (!dsim__writer_gone(pid, (const char *)sqlite3_column_text(find, 2)))
            continue;
        snprintf(why, sizeof why, "its process (pid %lld) ended before it finished", pid);
        sqlite3_reset(mark);
        sqlite3_bind_text(mark, 1, finished, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(mark, 2, why, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(mark, 3, sqlite3_column_int64(find, 0));
        if (sqlite3_step(mark) != SQLITE_DONE)
            rc = dsim__store_error(st, "marking a run interrupted");
    }
    sqlite3_finalize(find);
    sqlite3_finalize(mark);
    return rc;
}

int dsim_store_open(dsim_store **out, const char *path)
{
    if (!*path)
        return dsim_error_set(DSIM_EINVAL, "the result database needs a file name (--db FILE)");
    dsim_store *st = NULL;
    int rc = make_parent_dir(path);
    if (rc || (rc = store_alloc(&st, path)))
        return rc;
    bool created = access(path, F_OK) != 0; /* by this call: removed again if it cannot be made a database */
    char sql[2048];
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        rc = dsim__store_error(st, "cannot open");
        goto done;
    }
    /* Writers hold the lock for a batch (milliseconds); a writer that finds it taken waits, however many others
       queue, rather than give up. */
    sqlite3_busy_timeout(st->db, 600000);
    if ((rc = dsim__store_exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")))
        goto done;
    if ((rc = dsim__store_migrate(st->db, path)) || (rc = mark_interrupted(st)))
        goto done;
    if (sqlite3_prepare_v2(st->db, metric_insert_sql("series", "run_id, visit", 2, sql, sizeof sql), -1, &st->insert_series, NULL) !=
        SQLITE_OK) {
        rc = dsim__store_error(st, "preparing the series insert");
        goto done;
    }
done:
    if (rc) {
        /* A path that cannot be a database (a directory, another kind of file, no way to create it) is the
           caller's input, not a failure of the store. */
        int code = st->db ? sqlite3_errcode(st->db) : SQLITE_CANTOPEN;
        if (rc == DSIM_ESTORE && (code == SQLITE_CANTOPEN || code == SQLITE_NOTADB))
            rc = DSIM_EINVAL;
        dsim_store_close(st);
        if (created) /* e.g. a full disk: no empty or half-made database is left behind */
            remove_database(path);
        return rc;
    }
    *out = st;
    return DSIM_OK;
}

void dsim_store_close(dsim_store *st)
{
    if (!st)
        return;
    if (st->open_run)
        dsim_store_run_end(st, DSIM_RUN_FAILED, NULL, NULL, "the store was closed while the run was open");
    sqlite3_finalize(st->insert_series);
    sqlite3_finalize(st->insert_event);
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* ---- writing ---------------------------------------------------------------------------------------- */

const char *dsim_store_source_name(dsim_run_source source)
{
    static const char *const names[DSIM_SOURCE_COUNT] = {"run", "sweep", "dash"};
    return source < DSIM_SOURCE_COUNT ? names[source] : "?";
}

int dsim_store_run_begin(dsim_store *st, const dsim_scenario *sc, const dsim_policy_config *policy, uint64_t seed,
                         uint64_t visits, const dsim_run_origin *origin, int64_t *run_id)
{
    dsim_run_origin plain = {DSIM_SOURCE_RUN, visits, false};
    if (!origin)
        origin = &plain;
    if (st->open_run)
        return dsim_error_set(DSIM_EINVAL, "%s: run %lld is still open", st->path, (long long)st->open_run);
    char created[32];
    utc_now(created, sizeof created);
    sqlite3_stmt *stmt = NULL;
    int rc = DSIM_OK;
    const char *sql =
        "INSERT INTO runs (created, status, scenario_name, scenario_path, scenario_text, policy_name, policy_type,"
        " policy_path, policy_text, seed, visits, objective, dsim_version, pid, source, planned_visits, changed_live,"
        " writer) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (st->whole_runs && (rc = dsim__store_exec(st, "BEGIN IMMEDIATE;")))
        return rc;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        rc = dsim__store_error(st, "recording the run");
        goto done;
    }
    sqlite3_bind_text(stmt, 1, created, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, sc->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, sc->path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 4, sc->text ? sc->text : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 5, policy->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 6, policy->type->name, -1, SQLITE_TRANSIENT);
    if (*policy->path)
        sqlite3_bind_text(stmt, 7, policy->path, -1, SQLITE_TRANSIENT);
    if (policy->text)
        sqlite3_bind_text(stmt, 8, policy->text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 9, (sqlite3_int64)seed);
    sqlite3_bind_int64(stmt, 10, (sqlite3_int64)visits);
    sqlite3_bind_text(stmt, 11, dsim_scenario_objective_name(sc->discounts.objective), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 12, DSIM_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 13, (sqlite3_int64)getpid());
    sqlite3_bind_text(stmt, 14, dsim_store_source_name(origin->source), -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 15, (sqlite3_int64)origin->planned_visits);
    sqlite3_bind_int(stmt, 16, origin->changed_live);
    char writer[400];
    dsim__writer_identity((long long)getpid(), writer, sizeof writer);
    sqlite3_bind_text(stmt, 17, writer, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        rc = dsim__store_error(st, "recording the run");
        goto done;
    }
    *run_id = sqlite3_last_insert_rowid(st->db);
    st->open_run = *run_id;
    st->n_levels = sc->discounts.n_levels;
    memcpy(st->levels, sc->discounts.levels, sizeof st->levels);
    st->n_segments = sc->n_segments;
    for (int g = 0; g < sc->n_segments; g++) {
        dsim__strlcpy(st->segment_names[g], sc->segments[g].name, sizeof st->segment_names[g]);
        st->segment_shares[g] = dsim_scenario_segment_share(sc, g);
    }
done:
    sqlite3_finalize(stmt);
    if (rc && st->whole_runs)
        sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
    return rc;
}

bool dsim_store_set_whole_runs(dsim_store *st, bool whole)
{
    bool was = st->whole_runs;
    st->whole_runs = whole;
    return was;
}

int dsim__store_batch_begin(dsim_store *st)
{
    if (st->whole_runs || st->in_batch)
        return DSIM_OK;
    int rc = dsim__store_exec(st, "BEGIN IMMEDIATE;");
    st->in_batch = rc == DSIM_OK;
    st->batch_rows = 0;
    return rc;
}

int dsim__store_batch_commit(dsim_store *st)
{
    if (!st->in_batch)
        return DSIM_OK;
    st->in_batch = false;
    int rc = dsim__store_exec(st, "COMMIT;");
    if (rc)
        sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
    return rc;
}

static void bind_metrics(sqlite3_stmt *stmt, int first, const dsim_metrics *m)
{
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        sqlite3_bind_double(stmt, first + (int)i, dsim_metrics_defs[i].value(m));
}

/* A checkpoint: written, and with it the batch of logged decisions before it committed, so that a long run
   shows in the database as it goes and other writers get their turn. */
int dsim_store_series_add(dsim_store *st, uint64_t visit, const dsim_metrics *m)
{
    if (!st->open_run)
        return dsim_error_set(DSIM_EINVAL, "%s: no open run", st->path);
    pthread_mutex_lock(&st->lock);
    int rc = dsim__store_batch_begin(st);
    sqlite3_stmt *s = st->insert_series;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, st->open_run);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)visit);
    bind_metrics(s, 3, m);
    if (!rc && sqlite3_step(s) != SQLITE_DONE)
        rc = dsim__store_error(st, "adding a checkpoint");
    sqlite3_reset(s);
    if (!rc)
        rc = dsim__store_batch_commit(st);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static int write_summary(dsim_store *st, const dsim_metrics *m)
{
    char sql[2048];
    sqlite3_stmt *stmt = NULL;
    int rc = DSIM_OK;
    if (sqlite3_prepare_v2(st->db, metric_insert_sql("summary", "run_id", 1, sql, sizeof sql), -1, &stmt, NULL) != SQLITE_OK)
        return dsim__store_error(st, "writing the summary");
    sqlite3_bind_int64(stmt, 1, st->open_run);
    bind_metrics(stmt, 2, m);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        rc = dsim__store_error(st, "writing the summary");
    sqlite3_finalize(stmt);
    return rc;
}

/* The decisions given each level, of the whole run (segment −1, table `levels`) or of one segment. */
static int write_levels(dsim_store *st, int segment, const dsim_metrics *m)
{
    sqlite3_stmt *stmt = NULL;
    int rc = DSIM_OK;
    const char *sql = segment < 0 ? "INSERT INTO levels (run_id, level, percent, visits) VALUES (?, ?, ?, ?)"
                                  : "INSERT INTO segment_levels (run_id, level, percent, visits, segment) "
                                    "VALUES (?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return dsim__store_error(st, "writing the level counts");
    for (int l = 0; l < st->n_levels && !rc; l++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, st->open_run);
        sqlite3_bind_int(stmt, 2, l);
        sqlite3_bind_double(stmt, 3, 100.0 * st->levels[l]);
        sqlite3_bind_int64(stmt, 4, (sqlite3_int64)m->level_count[l]);
        if (segment >= 0)
            sqlite3_bind_int(stmt, 5, segment);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            rc = dsim__store_error(st, "writing the level counts");
    }
    sqlite3_finalize(stmt);
    return rc;
}

static int write_segments(dsim_store *st, const dsim_segment_metrics *segments)
{
    char sql[2048];
    sqlite3_stmt *stmt = NULL;
    int rc = DSIM_OK;
    if (sqlite3_prepare_v2(st->db, metric_insert_sql("segments", "run_id, segment, name, share", 4, sql, sizeof sql),
                           -1, &stmt, NULL) != SQLITE_OK)
        return dsim__store_error(st, "writing the segments' totals");
    for (int g = 0; g < st->n_segments && !rc; g++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, st->open_run);
        sqlite3_bind_int(stmt, 2, g);
        sqlite3_bind_text(stmt, 3, st->segment_names[g], -1, SQLITE_STATIC);
        sqlite3_bind_double(stmt, 4, st->segment_shares[g]);
        bind_metrics(stmt, 5, &segments->segment[g]);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            rc = dsim__store_error(st, "writing the segments' totals");
        else
            rc = write_levels(st, g, &segments->segment[g]);
    }
    sqlite3_finalize(stmt);
    return rc;
}

static int write_status(dsim_store *st, dsim_run_status status, const char *error)
{
    static const char *const names[] = {"done", "failed", "interrupted"};
    char finished[32];
    utc_now(finished, sizeof finished);
    sqlite3_stmt *stmt = NULL;
    int rc = DSIM_OK;
    if (sqlite3_prepare_v2(st->db, "UPDATE runs SET status = ?, finished = ?, error = ? WHERE id = ?", -1, &stmt,
                           NULL) != SQLITE_OK)
        return dsim__store_error(st, "updating the run's status");
    sqlite3_bind_text(stmt, 1, names[status], -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, finished, -1, SQLITE_TRANSIENT);
    if (error)
        sqlite3_bind_text(stmt, 3, error, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 4, st->open_run);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        rc = dsim__store_error(st, "updating the run's status");
    sqlite3_finalize(stmt);
    return rc;
}

int dsim_store_run_end(dsim_store *st, dsim_run_status status, const dsim_metrics *final,
                       const dsim_segment_metrics *segments, const char *error)
{
    if (!st->open_run)
        return dsim_error_set(DSIM_EINVAL, "%s: no open run", st->path);
    pthread_mutex_lock(&st->lock);
    int rc = dsim__store_batch_begin(st); /* the end is one transaction with the last batch */
    if (!rc && status == DSIM_RUN_DONE && final)
        rc = write_summary(st, final);
    if (!rc && status == DSIM_RUN_DONE && final && segments)
        rc = write_segments(st, segments);
    if (!rc && final)
        rc = write_levels(st, -1, final);
    if (!rc)
        rc = write_status(st, status, error);
    if (!rc)
        rc = dsim__store_exec(st, "COMMIT;");
    st->in_batch = false;
    if (rc) {
        /* Keep the first message; roll back and record the failure on its own. */
        char msg[1024];
        dsim__strlcpy(msg, dsim_errmsg(), sizeof msg);
        sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
        write_status(st, DSIM_RUN_FAILED, msg);
        dsim_error_set(rc, "%s", msg);
    }
    st->open_run = 0;
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------------------------- */

static void copy_text(char *dst, size_t n, sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    dsim__strlcpy(dst, t ? (const char *)t : "", n);
}

static char *dup_text(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t ? strdup((const char *)t) : NULL;
}

#define RUN_COLUMNS                                                                                              \
    "r.id, r.created, r.finished, r.status, r.scenario_name, r.policy_name, r.policy_type, r.objective,"         \
    " r.dsim_version, r.seed, r.visits, r.error, r.source, r.planned_visits, r.changed_live, r.pid, r.writer,"  \
    " s.run_id"
enum { N_RUN_COLUMNS = 18 };

static void read_row(sqlite3_stmt *stmt, dsim_run_row *row)
{
    memset(row, 0, sizeof *row);
    row->id = sqlite3_column_int64(stmt, 0);
    copy_text(row->created, sizeof row->created, stmt, 1);
    copy_text(row->finished, sizeof row->finished, stmt, 2);
    copy_text(row->status, sizeof row->status, stmt, 3);
    copy_text(row->scenario_name, sizeof row->scenario_name, stmt, 4);
    copy_text(row->policy_name, sizeof row->policy_name, stmt, 5);
    copy_text(row->policy_type, sizeof row->policy_type, stmt, 6);
    copy_text(row->objective, sizeof row->objective, stmt, 7);
    copy_text(row->dsim_version, sizeof row->dsim_version, stmt, 8);
    row->seed = (uint64_t)sqlite3_column_int64(stmt, 9);
    row->visits = (uint64_t)sqlite3_column_int64(stmt, 10);
    row->error = dup_text(stmt, 11);
    copy_text(row->source, sizeof row->source, stmt, 12);
    row->planned_visits = (uint64_t)sqlite3_column_int64(stmt, 13);
    row->changed_live = sqlite3_column_int(stmt, 14) != 0;
    /* A run still `running` whose process is gone was interrupted (a writer marks it so when it opens the
       database; a reader sees it so already). */
    if (strcmp(row->status, "running") == 0 &&
        dsim__writer_gone(sqlite3_column_int64(stmt, 15), (const char *)sqlite3_column_text(stmt, 16)))
        dsim__strlcpy(row->status, "interrupted", sizeof row->status);
    row->has_summary = sqlite3_column_type(stmt, 17) != SQLITE_NULL;
    for (size_t i = 0; i < dsim_metrics_n_defs && row->has_summary; i++)
        row->summary[i] = sqlite3_column_double(stmt, N_RUN_COLUMNS + (int)i);
}

static const char *select_runs_sql(char *buf, size_t n, const char *where)
{
    size_t used = (size_t)snprintf(buf, n, "SELECT " RUN_COLUMNS);
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        used += (size_t)snprintf(buf + used, n - used, ", s.%s", dsim_metrics_defs[i].name);
    snprintf(buf + used, n - used, " FROM runs r LEFT JOIN summary s ON s.run_id = r.id %s ORDER BY r.id", where);
    return buf;
}

int dsim_store_runs(dsim_store *st, const dsim_run_filter *filter, dsim_run_row **rows, size_t *n_rows)
{
    char sql[2048];
    sqlite3_stmt *stmt = NULL;
    dsim_run_row *out = NULL;
    size_t n = 0, cap = 0;
    int rc = DSIM_OK, step;
    dsim_run_filter any = {0};
    if (!filter)
        filter = &any;
    /* A NULL parameter matches every row: one statement serves every combination of filters. */
    const char *where = "WHERE (?1 IS NULL OR r.scenario_name = ?1) AND (?2 IS NULL OR r.policy_name = ?2)"
                        " AND (?3 IS NULL OR r.source = ?3) AND (?4 IS NULL OR r.status = ?4)";
    if (sqlite3_prepare_v2(st->db, select_runs_sql(sql, sizeof sql, where), -1, &stmt, NULL) != SQLITE_OK)
        return dsim__store_error(st, "listing runs");
    const char *values[] = {filter->scenario, filter->policy, filter->source, filter->status};
    for (int i = 0; i < 4; i++)
        if (values[i])
            sqlite3_bind_text(stmt, i + 1, values[i], -1, SQLITE_STATIC);
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        dsim_run_row *grown = dsim__grown(out, &cap, n + 1, sizeof *grown, 16);
        if (!grown) {
            rc = dsim_error_set(DSIM_ENOMEM, "out of memory listing runs");
            break;
        }
        out = grown;
        read_row(stmt, &out[n++]);
    }
    if (!rc && step != SQLITE_DONE)
        rc = dsim__store_error(st, "listing runs");
    sqlite3_finalize(stmt);
    if (rc) {
        dsim_store_rows_free(out, n);
        return rc;
    }
    *rows = out;
    *n_rows = n;
    return DSIM_OK;
}

int dsim_store_changes_each(dsim_store *st, int64_t run_id,
                            int (*each)(int seq, uint64_t visit, const char *change, void *data), void *data)
{
    sqlite3_stmt *stmt = NULL;
    int rc = DSIM_OK, step;
    if (sqlite3_prepare_v2(st->db, "SELECT seq, visit, change FROM changes WHERE run_id = ? ORDER BY seq", -1, &stmt,
                           NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading live changes");
    sqlite3_bind_int64(stmt, 1, run_id);
    while (!rc && (step = sqlite3_step(stmt)) == SQLITE_ROW)
        rc = each(sqlite3_column_int(stmt, 0), (uint64_t)sqlite3_column_int64(stmt, 1),
                  (const char *)sqlite3_column_text(stmt, 2), data);
    if (!rc && step != SQLITE_DONE)
        rc = dsim__store_error(st, "reading live changes");
    sqlite3_finalize(stmt);
    return rc;
}

int dsim_store_find_done_run(dsim_store *st, const dsim_scenario *sc, const dsim_policy_config *policy,
                             uint64_t seed, uint64_t visits, bool logged, int64_t *run_id)
{
    static const char sql[] =
        "SELECT id FROM runs r WHERE status = 'done' AND source = 'run' AND changed_live = 0 AND scenario_name = ? "
        "AND scenario_text = ? AND policy_name = ? AND policy_text IS ? AND seed = ? AND planned_visits = ? AND "
        "visits = ? AND dsim_version = ? AND EXISTS (SELECT 1 FROM segments g WHERE g.run_id = r.id) AND "
        "EXISTS (SELECT 1 FROM events e WHERE e.run_id = r.id) = ? ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *stmt = NULL;
    *run_id = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return dsim__store_error(st, "looking for a finished run");
    sqlite3_bind_text(stmt, 1, sc->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, sc->text ? sc->text : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, policy->name, -1, SQLITE_STATIC);
    if (policy->text)
        sqlite3_bind_text(stmt, 4, policy->text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64)seed);
    sqlite3_bind_int64(stmt, 6, (sqlite3_int64)visits);
    sqlite3_bind_int64(stmt, 7, (sqlite3_int64)visits);
    sqlite3_bind_text(stmt, 8, DSIM_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 9, logged);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW)
        *run_id = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return step == SQLITE_ROW || step == SQLITE_DONE ? DSIM_OK : dsim__store_error(st, "looking for a finished run");
}

int dsim_store_run_segments(dsim_store *st, int64_t run_id, dsim_run_segments *out)
{
    char sql[2048];
    metric_select_sql("segment, name, share", "FROM segments WHERE run_id = ? ORDER BY segment", sql, sizeof sql);
    sqlite3_stmt *stmt = NULL;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading a run's segments");
    sqlite3_bind_int64(stmt, 1, run_id);
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        int g = sqlite3_column_int(stmt, 0);
        if (g < 0 || g >= DSIM_MAX_SEGMENTS)
            continue;
        copy_text(out->name[g], sizeof out->name[g], stmt, 1);
        out->share[g] = sqlite3_column_double(stmt, 2);
        for (size_t i = 0; i < dsim_metrics_n_defs; i++)
            out->summary[g][i] = sqlite3_column_double(stmt, 3 + (int)i);
        if (g + 1 > out->n)
            out->n = g + 1;
    }
    sqlite3_finalize(stmt);
    if (step != SQLITE_DONE)
        return dsim__store_error(st, "reading a run's segments");
    if (sqlite3_prepare_v2(st->db, "SELECT segment, level, percent, visits FROM segment_levels WHERE run_id = ?", -1,
                           &stmt, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading a run's segments");
    sqlite3_bind_int64(stmt, 1, run_id);
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        int g = sqlite3_column_int(stmt, 0), l = sqlite3_column_int(stmt, 1);
        if (g < 0 || g >= DSIM_MAX_SEGMENTS || l < 0 || l >= DSIM_MAX_LEVELS)
            continue;
        out->level_percent[l] = sqlite3_column_double(stmt, 2);
        out->level_visits[g][l] = (uint64_t)sqlite3_column_int64(stmt, 3);
        if (l + 1 > out->n_levels)
            out->n_levels = l + 1;
    }
    sqlite3_finalize(stmt);
    return step == SQLITE_DONE ? DSIM_OK : dsim__store_error(st, "reading a run's segments");
}

int dsim_store_run_get(dsim_store *st, int64_t run_id, dsim_run_row *row)
{
    char sql[2048];
    sqlite3_stmt *stmt = NULL, *texts = NULL, *levels = NULL;
    int rc = DSIM_OK;
    memset(row, 0, sizeof *row);
    if (sqlite3_prepare_v2(st->db, select_runs_sql(sql, sizeof sql, "WHERE r.id = ?"), -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "SELECT scenario_text, policy_text FROM runs WHERE id = ?", -1, &texts, NULL) !=
            SQLITE_OK) {
        rc = dsim__store_error(st, "reading a run");
        goto done;
    }
    sqlite3_bind_int64(stmt, 1, run_id);
    sqlite3_bind_int64(texts, 1, run_id);
    int found = sqlite3_step(stmt), found_texts = found == SQLITE_ROW ? sqlite3_step(texts) : SQLITE_DONE;
    if (found == SQLITE_DONE || (found == SQLITE_ROW && found_texts == SQLITE_DONE)) {
        rc = dsim_error_set(DSIM_ENOTFOUND, "%s: no run %lld", st->path, (long long)run_id);
        goto done;
    }
    if (found != SQLITE_ROW || found_texts != SQLITE_ROW) { /* a damaged database is not an absent run */
        rc = dsim__store_error(st, "reading a run");
        goto done;
    }
    read_row(stmt, row);
    row->scenario_text = dup_text(texts, 0);
    row->policy_text = dup_text(texts, 1);
    if (sqlite3_prepare_v2(st->db, "SELECT percent, visits FROM levels WHERE run_id = ? ORDER BY level", -1, &levels,
                           NULL) != SQLITE_OK) {
        rc = dsim__store_error(st, "reading a run's level counts");
        goto done;
    }
    sqlite3_bind_int64(levels, 1, run_id);
    while (sqlite3_step(levels) == SQLITE_ROW && row->n_levels < DSIM_MAX_LEVELS) {
        row->level_percent[row->n_levels] = sqlite3_column_double(levels, 0);
        row->level_visits[row->n_levels++] = (uint64_t)sqlite3_column_int64(levels, 1);
    }
done:
    sqlite3_finalize(stmt);
    sqlite3_finalize(texts);
    sqlite3_finalize(levels);
    if (rc) /* nothing half-read is handed back */
        dsim_store_row_clear(row);
    return rc;
}

void dsim_store_row_clear(dsim_run_row *row)
{
    free(row->scenario_text);
    free(row->policy_text);
    free(row->error);
    row->scenario_text = row->policy_text = row->error = NULL;
}

void dsim_store_rows_free(dsim_run_row *rows, size_t n_rows)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n_rows; i++)
        dsim_store_row_clear(&rows[i]);
    free(rows);
}

int dsim_store_series_each(dsim_store *st, int64_t run_id,
                           int (*each)(uint64_t visit, const double *values, void *data), void *data)
{
    char sql[2048];
    metric_select_sql("visit", "FROM series WHERE run_id = ? ORDER BY visit", sql, sizeof sql);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading a run's series");
    sqlite3_bind_int64(s, 1, run_id);
    double values[64];
    int rc = DSIM_OK, step;
    while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
        for (size_t i = 0; i < dsim_metrics_n_defs; i++)
            values[i] = sqlite3_column_double(s, 1 + (int)i);
        rc = each((uint64_t)sqlite3_column_int64(s, 0), values, data);
    }
    if (!rc && step != SQLITE_DONE)
        rc = dsim__store_error(st, "reading a run's series");
    sqlite3_finalize(s);
    return rc;
}
