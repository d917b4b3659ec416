/*
 * clones.h — several versions of a hot function, one per instruction set, picked when the program loads
 * (GCC's target_clones). Clang 14, which builds the fuzz harnesses, does not make them: one version there.
 */
#ifndef DSIM_CORE_CLONES_H
#define DSIM_CORE_CLONES_H

#if defined(__clang__)
#define DSIM_CLONES(...)
#else
#define DSIM_CLONES(...) __attribute__((target_clones(__VA_ARGS__)))
#endif

#endif
