/*
 * dsim/error.h — error codes and the last error message.
 *
 * Every fallible dsim call returns DSIM_OK (0) or a negative DSIM_E… code and, on failure, leaves a
 * one-line message for the caller in dsim_errmsg(). The library never prints and never exits.
 */
#ifndef DSIM_ERROR_H
#define DSIM_ERROR_H

/* One list gives the enum and dsim_strerror(). */
#define DSIM_ERRORS(X)                                                  \
    X(DSIM_OK, 0, "success")                                            \
    X(DSIM_ENOMEM, -1, "out of memory")                                 \
    X(DSIM_EINVAL, -2, "invalid argument")                              \
    X(DSIM_ECONFIG, -3, "invalid configuration")                        \
    X(DSIM_EIO, -4, "input/output error")                               \
    X(DSIM_ESTORE, -5, "result store error")                            \
    X(DSIM_ENOTFOUND, -6, "not found")                                  \
    X(DSIM_EINTERRUPTED, -7, "interrupted")                             \
    X(DSIM_ENUMERIC, -8, "numerical failure")

enum dsim_error {
#define DSIM__ERROR_ENUM(name, value, text) name = value,
    DSIM_ERRORS(DSIM__ERROR_ENUM)
#undef DSIM__ERROR_ENUM
};

/** Returned by dsim_sim_advance() when the horizon has been reached and nothing was simulated. */
#define DSIM_DONE 1

/** @return a static description of an error code. */
const char *dsim_strerror(int code);

/** @return the message of the last error set on this thread ("" if none); valid until the next error. */
const char *dsim_errmsg(void);

/**
 * Record an error message for this thread, printf-style.
 * @return code, so that `return dsim_error_set(DSIM_ECONFIG, "...")` reads naturally.
 */
int dsim_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * Put a printf-style prefix before the last error message (where it happened: "FILE:LINE: ", "policy X at
 * visit N: "), keeping the message. @return code.
 */
int dsim_error_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
