#include "dg-rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void dg_rng_seed(dg_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t dg_rng_u64(dg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void dg_rng_fork(dg_rng *r, uint64_t stream, dg_rng *child)
{
    dg_rng_seed(child, dg_rng_u64(r) ^ (stream * 0xD1B54A32D192ED03ull));
}

uint32_t dg_rng_below(dg_rng *r, uint32_t n)
{
    /* Lemire's multiply-shift with rejection. */
    uint64_t m = (uint64_t)(uint32_t)(dg_rng_u64(r) >> 32) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (l < t) {
            m = (uint64_t)(uint32_t)(dg_rng_u64(r) >> 32) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float dg_rng_uniform(dg_rng *r)
{
    return (float)(dg_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

float dg_rng_normal(dg_rng *r)
{
    /* u1 in (0, 1] so the log is finite. */
    double u1 = ((double)(dg_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(dg_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void dg_rng_fill_normal(dg_rng *r, float *x, long n, float mean, float std)
{
    for (long i = 0; i < n; i++)
        x[i] = mean + std * dg_rng_normal(r);
}

void dg_rng_shuffle(dg_rng *r, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)dg_rng_below(r, (uint32_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
