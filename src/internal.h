/*
 * internal.h - declarations shared between the core's source files, never installed or used by
 * front-ends (CLI, wasm glue, tests may peek for white-box checks). Holds the error helper, the
 * deterministic RNG, the id-table builder, the SIMD kernel layer and the model's tensor listing that
 * the model file code walks. Not a public API: names start with br_.
 */
#ifndef BOOKREC_INTERNAL_H
#define BOOKREC_INTERNAL_H

#include "bookrec.h"
#include <stdarg.h>

/* ---------------------------------------------------------------- errors (errors.c) */

/* Fills err (if not NULL) with code and a printf-style message; returns code. */
int br_fail(bookrec_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Clears err (if not NULL) to BOOKREC_OK and an empty message; returns BOOKREC_OK. */
int br_ok(bookrec_error *err);

/* ---------------------------------------------------------------- RNG */

/* splitmix64-seeded xoshiro256** state: the same seed gives the same stream on every platform. */
typedef struct br_rng { uint64_t s[4]; } br_rng;

static inline uint64_t br_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline void br_rng_seed(br_rng *r, uint64_t seed) {
    uint64_t z = seed;
    for (int i = 0; i < 4; i++) {
        z += 0x9E3779B97F4A7C15ull;
        uint64_t x = z;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        r->s[i] = x ^ (x >> 31);
    }
}

static inline uint64_t br_rng_next(br_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = br_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = br_rotl(s[3], 45);
    return result;
}

/* Uniform float in [0, 1) with 24 random bits. */
static inline float br_rng_float(br_rng *r) { return (float)(br_rng_next(r) >> 40) * (1.0f / 16777216.0f); }

/* Uniform integer in [0, n) (n > 0), by Lemire's multiply-shift with rejection. */
static inline uint32_t br_rng_below(br_rng *r, uint32_t n) {
    uint64_t m = (uint64_t)(uint32_t)(br_rng_next(r) >> 32) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (l < t) { m = (uint64_t)(uint32_t)(br_rng_next(r) >> 32) * n; l = (uint32_t)m; }
    }
    return (uint32_t)(m >> 32);
}

/* ---------------------------------------------------------------- id tables (ids.c) */

/* Creates an empty id table; NULL on allocation failure. */
bookrec_ids *br_ids_create(void);

/* Frees an id table (NULL is a no-op). */
void br_ids_free(bookrec_ids *ids);

/* Returns the dense index of id (len bytes), adding it if new; -1 on allocation failure. */
int br_ids_intern(bookrec_ids *ids, const char *id, int len);

/* Returns a deep copy (NULL on failure or when ids is NULL). */
bookrec_ids *br_ids_clone(const bookrec_ids *ids);

/* ---------------------------------------------------------------- kernels (kernels.c) */
/* Plain float pointers only: SIMD types never cross these signatures. n may be any size (scalar tails). */

float br_dot(const float *a, const float *b, int n);
void br_axpy(float *y, float a, const float *x, int n);                 /* y += a*x */
void br_matvec(float *y, const float *W, const float *x, int rows, int cols); /* y[r] = W[r,:] . x (row-major) */

/* ---------------------------------------------------------------- model tensors (model.c) */

/* A named view into the model's parameter block (row-major rows x cols floats). */
typedef struct br_tensor {
    const char *name;  /* e.g. "item_emb", "user_emb", "item_bias", "user_bias", "dense1_w", ... */
    float *data;
    int rows, cols;
    int part;          /* BOOKREC_PART_ITEMS (item side + network) or BOOKREC_PART_USERS */
} br_tensor;

/* Lists the model's tensors into out[0..max); returns how many the model has (may exceed max). */
int br_model_tensors(bookrec_model *m, br_tensor *out, int max);

/* Marks whether the per-user tensors hold real values (set by the loader). */
void br_model_set_has_users(bookrec_model *m, int has);

/* Drops caches derived from the parameters (call after changing them). */
void br_model_invalidate(bookrec_model *m);

#endif /* BOOKREC_INTERNAL_H */
