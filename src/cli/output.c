/*
 * output.c — what the commands print for machines (--format csv|json): rows of named fields written as CSV
 * (a header from the first row's names, a field quoted by libcsv where it needs to be) or as one JSON document, numbers in the
 * fewest digits that read back as the same double. docs/output.md describes each command's fields.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "cli/cli.h"
#include "core/text.h"

#define MAX_FIELDS 512

struct cli_out {
    cli_format format;
    FILE *fp;
    int depth;          /* JSON: open objects and arrays */
    bool first[16];     /* JSON: nothing written yet at this depth */
    char closer[16];    /* JSON: '}' or ']' for each open depth */
    bool csv_section;   /* CSV: the rows being written are the ones printed */
    bool header_done;   /* CSV: the header line is out */
    bool in_row;
    int n_fields;       /* CSV: the row being gathered */
    char *names[MAX_FIELDS], *texts[MAX_FIELDS];
    bool quoted[MAX_FIELDS];
};

int cli_parse_format(const char *cmd, const char *value, cli_format *out)
{
    static const char *const names[] = {"table", "csv", "json"};
    for (int i = 0; i < 3; i++)
        if (strcmp(value, names[i]) == 0) {
            *out = (cli_format)i;
            return EXIT_OK;
        }
    const char *near = dsim__nearest(value, names, 3);
    cli_error("%s: --format: expected table, csv or json, got '%s'%s%s%s", cmd, value, near ? " (did you mean '" : "",
              near ? near : "", near ? "'?)" : "");
    return EXIT_USAGE;
}

/* The shortest decimal text that reads back as x (JSON has no NaN or infinity: null; CSV: empty). */
static void number_text(double x, char *buf, size_t n)
{
    if (!isfinite(x)) {
        buf[0] = '\0';
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

/* The length of the valid UTF-8 sequence at c (1 … 4), or 0 when it is not one (overlong forms, surrogates and
   code points past U+10FFFF included). */
static int utf8_length(const unsigned char *c)
{
    int n = *c < 0x80 ? 1 : (*c & 0xE0) == 0xC0 ? 2 : (*c & 0xF0) == 0xE0 ? 3 : (*c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && *c < 0xC2))
        return n == 1 ? 1 : 0;
    for (int i = 1; i < n; i++)
        if ((c[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 3 && *c == 0xE0 && c[1] < 0xA0) || (n == 3 && *c == 0xED && c[1] >= 0xA0) ||
        (n == 4 && *c == 0xF0 && c[1] < 0x90) || (n == 4 && (*c > 0xF4 || (*c == 0xF4 && c[1] >= 0x90))))
        return 0;
    return n;
}

/* A JSON string: quotes, backslashes and control characters escaped; a byte that is not UTF-8 (a Latin-1
   comment in a scenario file) becomes U+FFFD, so that the document stays valid for strict parsers. */
static void json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        int n = *c >= 0x80 ? utf8_length(c) : 1;
        if (*c >= 0x80) {
            if (n == 0) {
                fputs("\\ufffd", fp);
            } else {
                fwrite(c, 1, (size_t)n, fp);
                c += n - 1;
            }
            continue;
        }
        if (*c == '"' || *c == '\\')
            fprintf(fp, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", fp);
        else if (*c == '\t')
            fputs("\\t", fp);
        else if (*c < 0x20)
            fprintf(fp, "\\u%04x", *c);
        else
            fputc(*c, fp);
    }
    fputc('"', fp);
}

/* JSON: the separator and indentation before a new member or element, and its key. */
static void json_next(cli_out *o, const char *key)
{
    fputs(o->first[o->depth] ? "\n" : ",\n", o->fp);
    o->first[o->depth] = false;
    fprintf(o->fp, "%*s", 2 * o->depth, "");
    if (key) {
        json_string(o->fp, key);
        fputs(": ", o->fp);
    }
}

static void json_open(cli_out *o, const char *key, char bracket)
{
    json_next(o, key);
    fputc(bracket, o->fp);
    o->first[++o->depth] = true;
    o->closer[o->depth] = bracket == '{' ? '}' : ']';
}

static void json_close(cli_out *o)
{
    char bracket = o->closer[o->depth];
    bool empty = o->first[o->depth];
    o->depth--;
    if (!empty)
        fprintf(o->fp, "\n%*s", 2 * o->depth, "");
    fputc(bracket, o->fp);
}

cli_out *cli_out_begin(cli_format format, FILE *fp, const char *command)
{
    cli_out *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->format = format;
    o->fp = fp;
    if (format == CLI_JSON) {
        fputc('{', fp);
        o->first[++o->depth] = true;
        o->closer[o->depth] = '}';
        cli_out_str(o, "command", command);
    }
    return o;
}

void cli_out_end(cli_out *o)
{
    if (!o)
        return;
    if (o->format == CLI_JSON) {
        while (o->depth > 0)
            json_close(o);
        fputc('\n', o->fp);
    }
    fflush(o->fp);
    free(o);
}

void cli_out_rows_begin(cli_out *o, const char *key, bool in_csv)
{
    if (o->format == CLI_JSON)
        json_open(o, key, '[');
    o->csv_section = in_csv;
}

void cli_out_rows_end(cli_out *o)
{
    if (o->format == CLI_JSON)
        json_close(o);
    o->csv_section = false;
}

void cli_out_object_begin(cli_out *o, const char *key)
{
    if (o->format == CLI_JSON)
        json_open(o, key, '{');
}

void cli_out_object_end(cli_out *o)
{
    if (o->format == CLI_JSON)
        json_close(o);
}

void cli_out_row_begin(cli_out *o)
{
    o->in_row = true;
    o->n_fields = 0;
    if (o->format == CLI_JSON)
        json_open(o, NULL, '{');
}

static void csv_field(FILE *fp, const char *text, bool quoted, bool first)
{
    if (!first)
        fputc(',', fp);
    if (quoted && (strpbrk(text, ",\"\r\n") || (text[0] == ' ' || (*text && text[strlen(text) - 1] == ' '))))
        csv_fwrite(fp, text, strlen(text)); /* quoted only where RFC 4180 needs it, so awk -F, reads the rest */
    else
        fputs(text, fp);
}

void cli_out_row_end(cli_out *o)
{
    o->in_row = false;
    if (o->format == CLI_JSON) {
        json_close(o);
        return;
    }
    if (o->format != CLI_CSV || !o->csv_section)
        return;
    if (!o->header_done) {
        for (int i = 0; i < o->n_fields; i++)
            csv_field(o->fp, o->names[i], false, i == 0);
        fputc('\n', o->fp);
        o->header_done = true;
    }
    for (int i = 0; i < o->n_fields; i++) {
        csv_field(o->fp, o->texts[i], o->quoted[i], i == 0);
        free(o->names[i]);
        free(o->texts[i]);
    }
    fputc('\n', o->fp);
    o->n_fields = 0;
}

/* CSV: one field of the row being gathered (fields outside a printed row are not CSV's). */
static void gather(cli_out *o, const char *key, const char *text, bool quoted)
{
    if (!o->in_row || !o->csv_section || o->n_fields == MAX_FIELDS)
        return;
    o->names[o->n_fields] = strdup(key);
    o->texts[o->n_fields] = strdup(text);
    o->quoted[o->n_fields++] = quoted;
}

void cli_out_str(cli_out *o, const char *key, const char *value)
{
    if (o->format == CLI_JSON) {
        json_next(o, key);
        if (value)
            json_string(o->fp, value);
        else
            fputs("null", o->fp);
    } else {
        gather(o, key, value ? value : "", true);
    }
}

void cli_out_num(cli_out *o, const char *key, double value)
{
    char text[40];
    number_text(value, text, sizeof text);
    if (o->format == CLI_JSON) {
        json_next(o, key);
        fputs(text[0] ? text : "null", o->fp);
    } else {
        gather(o, key, text, false);
    }
}

void cli_out_int(cli_out *o, const char *key, long long value)
{
    char text[32];
    snprintf(text, sizeof text, "%lld", value);
    if (o->format == CLI_JSON) {
        json_next(o, key);
        fputs(text, o->fp);
    } else {
        gather(o, key, text, false);
    }
}

void cli_out_bool(cli_out *o, const char *key, bool value)
{
    if (o->format == CLI_JSON) {
        json_next(o, key);
        fputs(value ? "true" : "false", o->fp);
    } else {
        gather(o, key, value ? "1" : "0", false);
    }
}

void cli_out_metrics(cli_out *o, const double *values)
{
    for (size_t i = 0; i < dsim_metrics_n_defs; i++)
        cli_out_num(o, dsim_metrics_defs[i].name, values[i]);
}

void cli_out_estimates(cli_out *o, const dsim_estimate *e)
{
    char key[64];
    for (size_t i = 0; i < dsim_metrics_n_defs; i++) {
        cli_out_num(o, dsim_metrics_defs[i].name, e[i].mean);
        snprintf(key, sizeof key, "%s_ci95", dsim_metrics_defs[i].name);
        cli_out_num(o, key, e[i].half_width);
    }
}
