/*
 * log_source.c — a log and its targets opened by the names a user gives them (dsim/ope.h): a dsim run's logged
 * decisions (DB:RUN, with the run's scenario, seed and visits), a directory of the Open Bandit Dataset, or a CSV
 * log, streamed so that memory holds one chunk whatever its length; and a target named by a word, a CSV table
 * or a dsim policy.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/text.h"
#include "dsim/error.h"
#include "dsim/files.h"
#include "dsim/ope.h"
#include "dsim/store.h"

enum { CHUNK_ROWS = 65536 };

/* The Open Bandit directory's log: its one CSV other than item_context.csv. */
static int obd_file(const char *dir, char *path, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return dsim_error_set(DSIM_ECONFIG, "ope: cannot read the directory %s", dir);
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (dsim__ends_with(e->d_name, ".csv") && strcmp(e->d_name, "item_context.csv") != 0) {
            snprintf(path, n, "%s/%s", dir, e->d_name);
            found++;
        }
    }
    closedir(d);
    if (found != 1)
        return dsim_error_set(DSIM_ECONFIG,
                              "ope: --log %s: a directory, read as an Open Bandit Dataset folder: expected one log "
                              "CSV besides item_context.csv, found %d (--log takes DB:RUN, a CSV log or such a "
                              "folder)",
                              dir, found);
    return DSIM_OK;
}

static int open_run(dsim_ope_source *src, const char *db, long long run)
{
    dsim_store *store = NULL;
    int rc = dsim_store_open_readonly(&store, db);
    if (rc)
        return rc;
    dsim_run_row row;
    if (!(rc = dsim_store_run_get(store, run, &row))) {
        rc = dsim_ope_stream_read_db(src->stream, store, db, run);
        if (!rc && dsim_scenario_parse(&src->sc, row.scenario_text, row.scenario_name))
            rc = DSIM_ECONFIG;
        src->seed = row.seed;
        src->visits = row.visits;
        src->from_run = true;
        /* The logging policy, for the truth on the logged visits; a run whose policy no longer parses has none. */
        if (!rc && (row.policy_text ? dsim_policy_config_parse(&src->logger, row.policy_text, row.policy_name)
                                    : dsim_policy_config_resolve(&src->logger, row.policy_name)))
            src->logger = NULL;
        dsim_store_row_clear(&row);
    }
    dsim_store_close(store);
    return rc;
}

int dsim_ope_source_open(dsim_ope_source *src, const char *spec, bool skip_bad_rows)
{
    char db[1024], path[1200];
    long long run;
    struct stat st;
    memset(src, 0, sizeof *src);
    int rc = dsim_ope_stream_alloc(&src->stream, CHUNK_ROWS);
    if (rc)
        return dsim_error_prefix(rc, "ope: ");
    src->log = dsim_ope_stream_header(src->stream);
    const char *colon = strrchr(spec, ':');
    if (dsim_store_split_run(spec, db, sizeof db, &run))
        rc = open_run(src, db, run);
    else if (colon && colon > spec && stat(spec, &st) != 0 &&
             (snprintf(db, sizeof db, "%.*s", (int)(colon - spec), spec), stat(db, &st) == 0))
        rc = dsim_error_set(DSIM_ECONFIG, "ope: --log %s: expected DB:RUN with RUN a run number (see dsim list "
                                          "--db %s), got '%s'", spec, db, colon + 1);
    else if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode))
        rc = obd_file(spec, path, sizeof path) ? DSIM_ECONFIG : dsim_ope_stream_read_obd(src->stream, path);
    else
        rc = dsim_ope_stream_read_csv(src->stream, spec, skip_bad_rows, &src->skipped);
    if (!rc)
        src->n = dsim_ope_log_rows(src->log);
    return rc;
}

void dsim_ope_source_clear(dsim_ope_source *src)
{
    dsim_ope_stream_free(src->stream);
    dsim_scenario_free(src->sc);
    dsim_policy_config_free(src->logger);
    memset(src, 0, sizeof *src);
}

/* ---- a target by its name ------------------------------------------------------------------------------ */

int dsim_ope_target_named(dsim_ope_target **out, dsim_policy_config **config, const char *spec,
                          const dsim_ope_source *src)
{
    unsigned long long k;
    char text[128];
    *out = NULL;
    *config = NULL;
    if (strcmp(spec, "uniform") == 0) {
        /* Its truth, on a dsim log: the random policy, which draws every level alike. */
        if (src->from_run)
            dsim_policy_config_parse(config, "[policy]\ntype = random\n", "uniform");
        return dsim_ope_target_uniform(out);
    }
    if (strncmp(spec, "action=", 7) == 0) {
        if (!dsim__parse_u64(spec + 7, &k) || k >= (unsigned long long)src->log->n_actions)
            return dsim_error_set(DSIM_ECONFIG, "ope: -p %s: the log has actions 0 … %d", spec,
                                  src->log->n_actions - 1);
        snprintf(text, sizeof text, "[policy]\ntype = fixed\nlevel = %llu\n", k);
        if (src->from_run)
            dsim_policy_config_parse(config, text, spec);
        return dsim_ope_target_deterministic(out, (int)k);
    }
    if (dsim__ends_with(spec, ".csv")) {
        int rc = dsim_ope_target_table(out, spec, src->log);
        if (rc)
            return rc == DSIM_ENOMEM ? rc : DSIM_ECONFIG;
        if (dsim_ope_target_numbers_rows(*out) && src->skipped) /* numbered rows would shift onto others */
            return dsim_error_set(DSIM_ECONFIG,
                                  "ope: -p %s: a per-row target names the log's rows by number, and %zu malformed "
                                  "rows were skipped: fix the log, or name the rows by visit",
                                  spec, src->skipped);
        return DSIM_OK;
    }
    int rc = dsim_policy_config_resolve(config, spec); /* a misspelt name is told first, with its nearest */
    if (rc)
        return rc == DSIM_ENOMEM || rc == DSIM_ENOTFOUND ? rc : DSIM_ECONFIG;
    if (!src->log->dsim_context || !src->sc) {
        dsim_policy_config_free(*config); /* nothing to evaluate it with */
        *config = NULL;
        return dsim_error_set(DSIM_ECONFIG,
                              "ope: -p %s: a dsim policy needs a log with dsim's context and its scenario (a DB:RUN "
                              "log, or --scenario FILE for a CSV log)",
                              spec);
    }
    if ((rc = dsim_policy_config_check(*config, src->sc)))
        return rc == DSIM_ENOMEM ? rc : DSIM_ECONFIG;
    return dsim_ope_target_from_config(out, *config, src->sc, src->seed);
}
