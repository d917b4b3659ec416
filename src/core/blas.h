/*
 * blas.h — dsim's one BLAS setting: every product runs on the calling thread.
 */
#ifndef DSIM_CORE_BLAS_H
#define DSIM_CORE_BLAS_H

/**
 * Run every BLAS call of this process on one thread. OpenBLAS's thread count is process-wide, and the way
 * it splits a product among threads changes the last bits of the sums; dsim parallelises with its own
 * threads instead (the ranker's tiles), so its results do not depend on any thread count. Idempotent and
 * thread-safe; called before dsim's first product.
 */
void dsim__blas_single_thread(void);

#endif
