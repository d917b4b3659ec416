/*
 * text.c — strict number parsing and nearest-name suggestions for error messages.
 */
#include "core/text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Levenshtein distance, two rows; names here are short, so a fixed bound keeps it allocation-free. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXLEN || lb >= MAXLEN)
        return (size_t)-1;
    size_t prev[MAXLEN + 1], cur[MAXLEN + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof *prev);
    }
    return prev[lb];
}

const char *dsim__nearest(const char *word, const char *const *candidates, size_t n_candidates)
{
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < n_candidates; i++) {
        size_t d = edit_distance(word, candidates[i]);
        if (d < best_distance) {
            best_distance = d;
            best = candidates[i];
        }
    }
    /* A suggestion further away than about a third of the word is noise, not help. */
    size_t allowed = strlen(word) / 3 + 1;
    return best_distance <= allowed ? best : NULL;
}

static bool only_blanks(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

bool dsim__parse_double(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno == ERANGE || !only_blanks(end) || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool dsim__parse_u64(const char *text, unsigned long long *out)
{
    while (isspace((unsigned char)*text))
        text++;
    if (!isdigit((unsigned char)*text))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno == ERANGE || !only_blanks(end))
        return false;
    *out = v;
    return true;
}

bool dsim__parse_count(const char *text, unsigned long long *out)
{
    if (dsim__parse_u64(text, out))
        return true;
    double x;
    if (!dsim__parse_double(text, &x) || x < 0 || x > 9007199254740992.0 /* 2^53: every count exact */ ||
        x != floor(x) || strpbrk(text, "eE") == NULL) /* "1.0" or "12.5" is not a count; 1e5 and 2.5e6 are */
        return false;
    *out = (unsigned long long)x;
    return true;
}

void dsim__strlcpy(char *dst, const char *src, size_t n)
{
    if (n == 0)
        return;
    size_t len = strlen(src);
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* FROM:TO:STEP → values; computed as FROM + i·STEP (not by repeated addition) so rounding cannot pile up. */
static int expand_range(const char *item, double *out, int n, int max, char *why, size_t why_size)
{
    char buf[128];
    dsim__strlcpy(buf, item, sizeof buf);
    char *second = strchr(buf, ':'), *third = second ? strchr(second + 1, ':') : NULL;
    double from, to, step;
    if (!second || !third) {
        snprintf(why, why_size, "expected FROM:TO:STEP, got '%s'", item);
        return -1;
    }
    *second++ = '\0';
    *third++ = '\0';
    if (!dsim__parse_double(buf, &from) || !dsim__parse_double(second, &to) || !dsim__parse_double(third, &step)) {
        snprintf(why, why_size, "expected numbers in FROM:TO:STEP, got '%s'", item);
        return -1;
    }
    if (!(step > 0) || from > to) {
        snprintf(why, why_size, "range '%s' is empty (expected FROM <= TO and STEP > 0)", item);
        return -1;
    }
    double count = floor((to - from) / step + 1e-9) + 1;
    if (count > max - n) {
        snprintf(why, why_size, "range '%s' has %.0f values, more than the %d allowed", item, count, max - n);
        return -1;
    }
    /* The double nearest each decimal FROM + i·STEP: 0.1:0.5:0.1 gives 0.3, not from + 2·step's
       0.30000000000000004 (the sum's few ulps of error vanish at 15 significant digits). */
    for (int i = 0; i < (int)count; i++) {
        char digits[32];
        snprintf(digits, sizeof digits, "%.15g", from + i * step);
        out[n++] = strtod(digits, NULL);
    }
    return n;
}

bool dsim__list_has_empty_item(const char *text)
{
    for (const char *item = text;; item++) {
        const char *end = strchr(item, ',');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        bool blank = true;
        for (size_t i = 0; i < len && blank; i++)
            blank = isspace((unsigned char)item[i]);
        if (blank)
            return true;
        if (!end)
            return false;
        item = end;
    }
}

int dsim__parse_number_list(const char *text, double *out, int max, char *why, size_t why_size)
{
    if (dsim__list_has_empty_item(text)) {
        snprintf(why, why_size, "an empty item in the list '%s' (a doubled or trailing comma?)", text);
        return -1;
    }
    char buf[4096];
    dsim__strlcpy(buf, text, sizeof buf);
    int n = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (strchr(item, ':')) {
            if ((n = expand_range(item, out, n, max, why, why_size)) < 0)
                return -1;
            continue;
        }
        if (n == max) {
            snprintf(why, why_size, "more than %d values", max);
            return -1;
        }
        if (!dsim__parse_double(item, &out[n++])) {
            snprintf(why, why_size, "expected a number, got '%s'", item);
            return -1;
        }
    }
    if (n == 0)
        snprintf(why, why_size, "expected a comma-separated list of numbers, got an empty list");
    return n > 0 ? n : -1;
}

bool dsim__ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}
