/*
 * text.h — small string helpers shared inside the library: "did you mean" suggestions and strict number
 * parsing.
 */
#ifndef DSIM_CORE_TEXT_H
#define DSIM_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/** @return the candidate closest to word by edit distance, or NULL if none is plausibly meant. */
const char *dsim__nearest(const char *word, const char *const *candidates, size_t n_candidates);

/** Parse a whole string as a finite double (surrounding blanks allowed). @return true on success. */
bool dsim__parse_double(const char *text, double *out);

/** Parse a whole string as a non-negative integer that fits in 64 bits. @return true on success. */
bool dsim__parse_u64(const char *text, unsigned long long *out);

/** Parse a count: a whole number as dsim__parse_u64, or in scientific notation with a whole value up to 2^53
 *  ("1e5", "2.5e6"). @return true on success. */
bool dsim__parse_count(const char *text, unsigned long long *out);

/**
 * Parse a list of numbers: comma-separated items, each a number or an inclusive range FROM:TO:STEP
 * (STEP > 0, FROM ≤ TO; the last value is TO when the steps land on it within rounding).
 * @return the count (≥ 1), or −1 with a reason in `why` (malformed item, empty list, more than max values).
 */
int dsim__parse_number_list(const char *text, double *out, int max, char *why, size_t why_size);

/** @return whether a comma-separated list has an empty (or blank) item: "0,,5", "0,5,", ",0", "". */
bool dsim__list_has_empty_item(const char *text);

/** @return whether s ends with suffix. */
bool dsim__ends_with(const char *s, const char *suffix);

/** Copy src into dst of size n, truncating; dst is always terminated. */
void dsim__strlcpy(char *dst, const char *src, size_t n);

#endif
