/*
 * log_source.c — a log opened by the name a user gives it (dsim/ope.h): a dsim run's logged decisions (DB:RUN,
 * with the run's scenario, seed and visits), a directory of the Open Bandit Dataset, or a CSV log; streamed, so
 * memory holds one chunk whatever its length.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/text.h"
#include "dsim/error.h"
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
                              "ope: %s: expected one log CSV besides item_context.csv (the Open Bandit layout), "
                              "found %d",
                              dir, found);
    return DSIM_OK;
}

static int open_run(dsim_ope_source *src, const char *db, long long run)
{
    dsim_store *store = NULL;
    int rc = dsim_store_open_existing(&store, db);
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
        return dsim_error_set(rc, "ope: %s", dsim_errmsg());
    src->log = dsim_ope_stream_header(src->stream);
    if (dsim_store_split_run(spec, db, sizeof db, &run))
        rc = open_run(src, db, run);
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
    memset(src, 0, sizeof *src);
}
