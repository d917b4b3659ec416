/*
 * fuzz_common.h — what the libFuzzer harnesses share: the input as text, or as a file (for the readers that
 * take a path), written to one scratch file per process.
 */
#ifndef DSIM_FUZZ_COMMON_H
#define DSIM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The input as a NUL-terminated string (a reader of text stops at a NUL byte, as it would in a file). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

/* The input written to this process's scratch file with `suffix` (".csv", ".npy", …); its path in `path`. */
static inline int fuzz_file(const uint8_t *data, size_t size, const char *suffix, char *path, size_t n)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, n, "%s/dsim_fuzz_%d%s", dir, (int)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t written = fwrite(data, 1, size, f);
    return fclose(f) == 0 && written == size ? 0 : -1;
}

#endif
