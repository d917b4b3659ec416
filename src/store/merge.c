/*
 * merge.c — combining the databases of one sweep's shards (dsim merge): every input is checked first (a
 * dsim database of this schema version holding exactly one sweep, the same sweep in all of them), so bad
 * input writes nothing; then each input's finished sweep runs are copied in one transaction per input, with
 * new run ids, into every table that refers to a run. Runs the output already has are skipped, so merging
 * again, or merging overlapping shards, adds nothing twice.
 */
#include "dsim/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/text.h"
#include "dsim/error.h"
#include "store/store_impl.h"

/* ---- checking the inputs ---------------------------------------------------------------------------------- */

/* The single sweep of a shard database: its definition (owned by the caller) and the file it was run from. */
static int read_sweep(const char *path, char **definition, char *sweep_path, size_t n)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return dsim_error_set(DSIM_EINVAL, "%s: no such database", path);
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc = DSIM_OK, version = -1, n_sweeps = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        rc = dsim_error_set(DSIM_EINVAL, "%s: not a dsim result database (%s)", path, db ? sqlite3_errmsg(db) : "");
        goto done;
    }
    version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (version == 0) {
        rc = dsim_error_set(DSIM_EINVAL, "%s: not a dsim result database (it has no dsim schema)", path);
        goto done;
    }
    if (version != DSIM_STORE_SCHEMA_VERSION) {
        rc = dsim_error_set(DSIM_EINVAL, "%s: schema version %d, this dsim writes %d%s", path, version,
                            DSIM_STORE_SCHEMA_VERSION,
                            version < DSIM_STORE_SCHEMA_VERSION
                                ? " (dsim list --db FILE brings it up to date)"
                                : "");
        goto done;
    }
    if (sqlite3_prepare_v2(db, "SELECT definition, path FROM sweeps", -1, &s, NULL) != SQLITE_OK) {
        rc = dsim_error_set(DSIM_EINVAL, "%s: reading its sweeps: %s", path, sqlite3_errmsg(db));
        goto done;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (++n_sweeps > 1)
            continue;
        *definition = strdup((const char *)sqlite3_column_text(s, 0));
        dsim__strlcpy(sweep_path, (const char *)sqlite3_column_text(s, 1), n);
        if (!*definition)
            rc = dsim_error_set(DSIM_ENOMEM, "out of memory");
    }
    if (!rc && n_sweeps != 1)
        rc = dsim_error_set(DSIM_EINVAL, "%s: holds %d sweeps; dsim merge combines the shards of one sweep", path,
                            n_sweeps);
done:
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (rc) {
        free(*definition);
        *definition = NULL;
    }
    return rc;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int check_inputs(const char *out_path, const char *const *in_paths, size_t n_in, char **definition,
                        char *sweep_path, size_t n)
{
    if (n_in == 0)
        return dsim_error_set(DSIM_EINVAL, "nothing to merge: name at least one input database");
    int rc = DSIM_OK;
    for (size_t i = 0; i < n_in && !rc; i++) {
        char *def = NULL, path[DSIM_PATH_MAX];
        if (same_file(out_path, in_paths[i]))
            return dsim_error_set(DSIM_EINVAL, "%s is both the output and an input", in_paths[i]);
        if ((rc = read_sweep(in_paths[i], &def, path, sizeof path)))
            break;
        if (i == 0) {
            *definition = def;
            dsim__strlcpy(sweep_path, path, n);
        } else {
            if (strcmp(def, *definition) != 0)
                rc = dsim_error_set(DSIM_EINVAL, "%s holds a different sweep (%s) from %s (%s): dsim merge "
                                    "combines the shards of one sweep, run from the same files",
                                    in_paths[i], path, in_paths[0], sweep_path);
            free(def);
        }
    }
    return rc;
}

/* ---- copying one input -------------------------------------------------------------------------------------- */

/* "a, b, c" and "s.a, s.b, m.new_id" (run_id mapped): the columns of main.`table`, without `skip`. */
static int column_lists(dsim_store *st, const char *table, const char *skip, char *names, char *values, size_t n)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT name FROM pragma_table_info(?, 'main') ORDER BY cid", -1, &s, NULL) !=
        SQLITE_OK)
        return dsim__store_error(st, "reading the schema");
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    size_t used_n = 0, used_v = 0;
    names[0] = values[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(s, 0);
        if (strcmp(c, skip) == 0)
            continue;
        const char *sep = used_n ? ", " : "";
        used_n += (size_t)snprintf(names + used_n, n - used_n, "%s\"%s\"", sep, c);
        used_v += strcmp(c, "run_id") == 0 ? (size_t)snprintf(values + used_v, n - used_v, "%sm.new_id", sep)
                                            : (size_t)snprintf(values + used_v, n - used_v, "%ss.\"%s\"", sep, c);
        if (used_n >= n || used_v >= n) {
            sqlite3_finalize(s);
            return dsim_error_set(DSIM_ESTORE, "%s: table %s has too many columns to merge", st->path, table);
        }
    }
    sqlite3_finalize(s);
    return DSIM_OK;
}

/* Copy the rows of every table that refers to a run (other than the sweep links) for the mapped runs. */
static int copy_run_tables(dsim_store *st)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT m.name FROM main.sqlite_schema m WHERE m.type = 'table' AND m.name NOT IN "
                           "('runs', 'sweep_runs') AND EXISTS (SELECT 1 FROM pragma_table_info(m.name, 'main') p "
                           "WHERE p.name = 'run_id') ORDER BY m.name",
                           -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "reading the schema");
    int rc = DSIM_OK;
    while (!rc && sqlite3_step(s) == SQLITE_ROW) {
        char table[64], names[4096], values[4096], sql[9000];
        dsim__strlcpy(table, (const char *)sqlite3_column_text(s, 0), sizeof table);
        if ((rc = column_lists(st, table, "", names, values, sizeof names)))
            break;
        snprintf(sql, sizeof sql,
                 "INSERT INTO main.\"%s\" (%s) SELECT %s FROM src.\"%s\" s JOIN temp.merge_map m ON m.old_id = "
                 "s.run_id;",
                 table, names, values, table);
        rc = dsim__store_exec(st, sql);
    }
    sqlite3_finalize(s);
    return rc;
}

/* The input's finished sweep runs that the output's sweep lacks get new ids: max(id) + 1, + 2, … */
static int map_new_runs(dsim_store *st, int64_t sweep_id, size_t *n_added, size_t *n_present)
{
    char sql[1200];
    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE merge_map (old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL);"
             "INSERT INTO temp.merge_map (old_id, new_id) SELECT sr.run_id, (SELECT coalesce(max(id), 0) FROM "
             "main.runs) + row_number() OVER (ORDER BY sr.run_id) FROM src.sweep_runs sr JOIN src.runs r ON r.id "
             "= sr.run_id WHERE r.status = 'done' AND NOT EXISTS (SELECT 1 FROM main.sweep_runs o JOIN main.runs "
             "orun ON orun.id = o.run_id WHERE o.sweep_id = %lld AND o.cell = sr.cell AND o.policy = sr.policy AND "
             "o.seed = sr.seed AND orun.status = 'done');",
             (long long)sweep_id);
    int rc = dsim__store_exec(st, sql);
    sqlite3_stmt *s = NULL;
    if (rc || sqlite3_prepare_v2(st->db,
                                 "SELECT (SELECT count(*) FROM temp.merge_map), (SELECT count(*) FROM src.sweep_runs "
                                 "sr JOIN src.runs r ON r.id = sr.run_id WHERE r.status = 'done')",
                                 -1, &s, NULL) != SQLITE_OK)
        return rc ? rc : dsim__store_error(st, "counting the runs to merge");
    if (sqlite3_step(s) == SQLITE_ROW) {
        *n_added = (size_t)sqlite3_column_int64(s, 0);
        *n_present = (size_t)sqlite3_column_int64(s, 1) - *n_added;
    }
    sqlite3_finalize(s);
    return DSIM_OK;
}

static int merge_one(dsim_store *st, const char *in_path, int64_t sweep_id, size_t *n_added, size_t *n_present)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "ATTACH ? AS src", -1, &s, NULL) != SQLITE_OK)
        return dsim__store_error(st, "attaching an input");
    sqlite3_bind_text(s, 1, in_path, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    sqlite3_finalize(s);
    if (step != SQLITE_DONE)
        return dsim_error_set(DSIM_ESTORE, "%s: attaching %s: %s", st->path, in_path, sqlite3_errmsg(st->db));
    char names[4096], values[4096], sql[9000], links[600];
    int rc = dsim__store_exec(st, "BEGIN IMMEDIATE;");
    if (!rc)
        rc = map_new_runs(st, sweep_id, n_added, n_present);
    if (!rc)
        rc = column_lists(st, "runs", "id", names, values, sizeof names);
    if (!rc) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO main.runs (id, %s) SELECT m.new_id, %s FROM src.runs s JOIN temp.merge_map m ON "
                 "m.old_id = s.id;",
                 names, values);
        rc = dsim__store_exec(st, sql);
    }
    if (!rc)
        rc = copy_run_tables(st);
    if (!rc) {
        snprintf(links, sizeof links,
                 "INSERT OR REPLACE INTO main.sweep_runs (sweep_id, cell, policy, seed, run_id, axes) SELECT %lld, "
                 "s.cell, s.policy, s.seed, m.new_id, s.axes FROM src.sweep_runs s JOIN temp.merge_map m ON "
                 "m.old_id = s.run_id;",
                 (long long)sweep_id);
        rc = dsim__store_exec(st, links);
    }
    if (!rc)
        rc = dsim__store_exec(st, "DROP TABLE temp.merge_map; COMMIT;");
    if (rc) {
        sqlite3_exec(st->db, "ROLLBACK; DROP TABLE IF EXISTS temp.merge_map;", NULL, NULL, NULL);
        dsim_error_prefix(rc, "merging %s: ", in_path);
    }
    sqlite3_exec(st->db, "DETACH src;", NULL, NULL, NULL);
    return rc;
}

int dsim_store_merge(const char *out_path, const char *const *in_paths, size_t n_in, dsim_store_merge_stats *stats)
{
    char *definition = NULL;
    memset(stats, 0, sizeof *stats);
    int rc = check_inputs(out_path, in_paths, n_in, &definition, stats->sweep_path, sizeof stats->sweep_path);
    dsim_store *st = NULL;
    int64_t sweep_id = 0;
    if (!rc && !(rc = dsim_store_open(&st, out_path)))
        rc = dsim_store_sweep_open(st, stats->sweep_path, definition, &sweep_id);
    for (size_t i = 0; i < n_in && !rc; i++) {
        size_t added = 0, present = 0;
        rc = merge_one(st, in_paths[i], sweep_id, &added, &present);
        stats->runs_added += added;
        stats->runs_present += present;
        stats->inputs += !rc;
    }
    dsim_store_close(st);
    free(definition);
    return rc;
}
