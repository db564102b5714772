/* dg-rng.h: a small seeded random number generator (xoshiro256**).
 *
 * The whole state is this plain struct: copy it to save it, write its four
 * words into a checkpoint to resume exactly.  No global state. */
#pragma once
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} dg_rng;

/* Seed from one 64-bit number (expanded with splitmix64). */
void dg_rng_seed(dg_rng *r, uint64_t seed);
/* Derive an independent stream from r and a stream id (r is advanced). */
void dg_rng_fork(dg_rng *r, uint64_t stream, dg_rng *child);

uint64_t dg_rng_u64(dg_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint32_t dg_rng_below(dg_rng *r, uint32_t n);
/* Uniform float in [0, 1). */
float dg_rng_uniform(dg_rng *r);
/* Standard normal (Box-Muller, one value per call: no cached spare). */
float dg_rng_normal(dg_rng *r);
/* Fill x[0..n) with mean + std * N(0,1). */
void dg_rng_fill_normal(dg_rng *r, float *x, long n, float mean, float std);
/* Fisher-Yates shuffle of an int array. */
void dg_rng_shuffle(dg_rng *r, int *a, int n);
