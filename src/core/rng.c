/*
 * rng.c — the counter-based generator behind dsim's keyed random streams.
 *
 * Output i of the stream with key k is mix(k ^ mix(i * φ)), where mix is SplitMix64's finaliser
 * (Steele, Lea & Flood 2014) and φ the 64-bit golden ratio. Two rounds of mixing decorrelate streams with
 * nearby keys, which a plain SplitMix64 sequence would not (its streams are shifts of one another).
 */
#include "dsim/rng.h"

#include <assert.h>

#include <gsl/gsl_randist.h>

typedef struct {
    uint64_t key;
    uint64_t counter;
} counter_state;

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

static inline uint64_t next64(counter_state *s)
{
    s->counter++;
    return mix64(s->key ^ mix64(s->counter * GOLDEN_GAMMA));
}

static void counter_set(void *state, unsigned long seed)
{
    counter_state *s = state;
    s->key = mix64((uint64_t)seed + GOLDEN_GAMMA);
    s->counter = 0;
}

static unsigned long counter_get(void *state)
{
    return (unsigned long)(next64(state) >> 32);
}

static double counter_get_double(void *state)
{
    /* 53 random bits: uniform on [0, 1) with every double of the form k / 2^53. */
    return (double)(next64(state) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type counter_type = {
    "dsim_counter", 0xFFFFFFFFul, 0, sizeof(counter_state), counter_set, counter_get, counter_get_double,
};

const gsl_rng_type *dsim_rng_counter = &counter_type;

gsl_rng *dsim_rng_alloc(void)
{
    return gsl_rng_alloc(dsim_rng_counter);
}

void dsim_rng_key(gsl_rng *r, uint64_t seed, uint32_t stream, uint64_t index)
{
    assert(r->type == dsim_rng_counter);
    counter_state *s = r->state;
    s->key = mix64(mix64(seed ^ ((uint64_t)stream << 56)) ^ mix64(index + GOLDEN_GAMMA));
    s->counter = 0;
}

double dsim_rng_gaussian(gsl_rng *r)
{
    return gsl_ran_gaussian_ziggurat(r, 1.0);
}
