/*
 * blas.c — dsim's one BLAS setting (blas.h): OpenBLAS on one thread, set once per process.
 */
#include "core/blas.h"

#include <cblas.h>
#include <pthread.h>

static void set_one_thread(void)
{
    openblas_set_num_threads(1);
}

void dsim__blas_single_thread(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, set_one_thread);
}
