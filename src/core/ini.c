/*
 * ini.c — line-aware INI parsing over inih, and whole-file reading.
 */
#include "core/ini.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"
#include "dsim/error.h"

enum { MAX_VALUE = 8192 }; /* a value with its continuation lines */

typedef struct {
    const char *cursor;     /* next unread byte of the text */
    int line;               /* line number of the line last handed to inih */
    bool indented;          /* that line starts with a space or a tab: it continues the value before */
    int long_line;          /* first line that did not fit inih's buffer, or 0 */
    const char *origin;
    dsim__ini_handler handler;
    void *user;
    int error;              /* first error, 0 if none */
    /* The value being read, held until the next line shows whether it continues: inih hands a continuation
       line (one that starts with whitespace) as the same key again; its text is joined on, after a comma. */
    bool pending;
    char section[256], name[256];
    char value[MAX_VALUE];
    int pending_line;
} reader_state;

/* fgets-like reader over a string that counts lines and notices lines longer than inih's buffer. */
static char *read_line(char *buf, int size, void *stream)
{
    reader_state *rs = stream;
    if (*rs->cursor == '\0')
        return NULL;
    const char *eol = strchr(rs->cursor, '\n');
    size_t len = eol ? (size_t)(eol - rs->cursor) + 1 : strlen(rs->cursor);
    rs->line++;
    rs->indented = *rs->cursor == ' ' || *rs->cursor == '\t';
    if (len >= (size_t)size) {
        if (!rs->long_line)
            rs->long_line = rs->line;
        len = (size_t)size - 1;
        /* Skip the rest of the long line so that line numbers stay right. */
        memcpy(buf, rs->cursor, len);
        buf[len] = '\0';
        rs->cursor = eol ? eol + 1 : rs->cursor + strlen(rs->cursor);
        return buf;
    }
    memcpy(buf, rs->cursor, len);
    buf[len] = '\0';
    rs->cursor += len;
    return buf;
}

/* Hand the value held to the handler, with the line it started on. */
static void flush(reader_state *rs)
{
    if (rs->pending && !rs->error)
        rs->error = rs->handler(rs->user, rs->section, rs->name, rs->value, rs->pending_line);
    rs->pending = false;
}

static int dispatch(void *user, const char *section, const char *name, const char *value)
{
    reader_state *rs = user;
    if (rs->error)
        return 1;
    if (rs->long_line == rs->line) {
        rs->error = dsim_error_set(DSIM_ECONFIG, "%s:%d: line too long (at most %d characters; a long list goes on "
                                   "on the next lines, each starting with a space)",
                                   rs->origin, rs->line, INI_MAX_LINE - 2);
        return 1;
    }
    if (rs->pending && rs->indented && strcmp(section, rs->section) == 0 && strcmp(name, rs->name) == 0) {
        size_t used = strlen(rs->value);
        const char *sep = used && rs->value[used - 1] == ',' ? " " : ", ";
        if (used + strlen(sep) + strlen(value) >= sizeof rs->value) {
            rs->error = dsim_error_set(DSIM_ECONFIG, "%s:%d: [%s] %s: a value longer than %d characters",
                                       rs->origin, rs->line, section, name, MAX_VALUE - 1);
            return 1;
        }
        memcpy(rs->value + used, sep, strlen(sep));
        memcpy(rs->value + used + strlen(sep), value, strlen(value) + 1); /* fits: checked above */
        return 1;
    }
    flush(rs);
    rs->pending = true;
    rs->pending_line = rs->line;
    snprintf(rs->section, sizeof rs->section, "%s", section);
    snprintf(rs->name, sizeof rs->name, "%s", name);
    snprintf(rs->value, sizeof rs->value, "%s", value);
    return 1;
}

int dsim__ini_parse(const char *text, const char *origin, dsim__ini_handler handler, void *user)
{
    reader_state rs = {.cursor = text, .origin = origin, .handler = handler, .user = user};
    int syntax_line = ini_parse_stream(read_line, &rs, dispatch, &rs);
    if (syntax_line == 0)
        flush(&rs);
    if (rs.error)
        return rs.error;
    if (syntax_line > 0)
        return dsim_error_set(DSIM_ECONFIG, "%s:%d: malformed line: expected '[section]' or 'key = value'",
                              origin, syntax_line);
    if (syntax_line < 0)
        return dsim_error_set(DSIM_ENOMEM, "%s: out of memory while parsing", origin);
    return DSIM_OK;
}

int dsim__read_file(const char *path, char **out)
{
    int rc = DSIM_OK;
    char *text = NULL;
    if ((rc = dsim__check_regular(path, "a text file", DSIM_EIO)))
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return dsim_error_set(DSIM_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        /* A directory or a pipe has no size to read it by (and a FIFO would block). */
        rc = dsim_error_set(DSIM_EIO, "%s: not a regular file", path);
        goto done;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        rc = dsim_error_set(DSIM_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        rc = dsim_error_set(DSIM_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    text = malloc((size_t)size + 1);
    if (!text) {
        rc = dsim_error_set(DSIM_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(text, 1, (size_t)size, f) != (size_t)size) {
        rc = dsim_error_set(DSIM_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    text[size] = '\0';
    if (memchr(text, '\0', (size_t)size)) {
        rc = dsim_error_set(DSIM_ECONFIG, "%s: not a text file (contains a NUL byte)", path);
        goto done;
    }
    *out = text;
    text = NULL;
done:
    free(text);
    fclose(f);
    return rc;
}
