/*
 * kernels.c - the SIMD kernel layer: the few float loops that the model's forward, backward, Adam and
 * scoring passes spend their time in. Each kernel has a scalar version and SIMD versions (AVX2+FMA
 * chosen at run time on x86-64, SSE2, wasm SIMD128 when compiled with -msimd128); every version takes
 * plain float pointers, handles any length with a scalar tail and needs no alignment.
 * bookrec_force_scalar(1) switches every kernel to the scalar code at run time (tests compare paths).
 * Not here: anything that knows about models, batches or threads.
 */
#include "internal.h"
#include <math.h>
#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
#define BR_X86 1
#include <immintrin.h>
#endif
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

/* ------------------------------------------------------------------ dispatch */

enum { LVL_SCALAR = 0, LVL_V4 = 1, LVL_AVX2 = 2 };

static atomic_int g_force_scalar = 0;
static atomic_int g_cpu_level = -1; /* what the machine offers, detected once */

static int cpu_level(void) {
    int l = atomic_load_explicit(&g_cpu_level, memory_order_relaxed);
    if (l >= 0) return l;
#if defined(BR_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) l = LVL_AVX2;
#if defined(__SSE2__)
    else l = LVL_V4;
#else
    else l = LVL_SCALAR;
#endif
#elif defined(__wasm_simd128__)
    l = LVL_V4;
#else
    l = LVL_SCALAR;
#endif
    atomic_store_explicit(&g_cpu_level, l, memory_order_relaxed);
    return l;
}

static inline int level(void) {
    if (atomic_load_explicit(&g_force_scalar, memory_order_relaxed)) return LVL_SCALAR;
    return cpu_level();
}

/* Forces the scalar kernels (1) or allows SIMD (0); returns the previous value. */
int bookrec_force_scalar(int on) {
    return atomic_exchange(&g_force_scalar, on ? 1 : 0);
}

/* Names the kernel path in use: "avx2", "sse", "wasm-simd128" or "scalar". */
const char *bookrec_kernel_name(void) {
    switch (level()) {
    case LVL_AVX2: return "avx2";
#if defined(__wasm_simd128__)
    case LVL_V4: return "wasm-simd128";
#else
    case LVL_V4: return "sse";
#endif
    default: return "scalar";
    }
}

/* ------------------------------------------------------------------ scalar */

static inline float relu1(float h) { return h > 0.0f ? h : 0.0f; }

static float dot_s(const float *a, const float *b, int n) {
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) s[k] += a[i + k] * b[i + k];
    for (; i < n; i++) s[0] += a[i] * b[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}
static void axpy_s(float *y, float a, const float *x, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}
static void matvec_t_s(float *y, const float *Wt, const float *x, int n_in, int n_out) {
    for (int k = 0; k < n_in; k++) axpy_s(y, x[k], Wt + (size_t)k * n_out, n_out);
}
static void relu_grad_s(float *dh, float *db, float *dw, const float *h, const float *w, float dy, int n) {
    for (int i = 0; i < n; i++) {
        float g = dy * w[i];
        dh[i] = h[i] > 0.0f ? g : 0.0f;
        db[i] += dh[i];
        dw[i] += dy * h[i];
    }
}
static void relu_s(float *y, int n) {
    for (int i = 0; i < n; i++) y[i] = relu1(y[i]);
}
static float relu_dot_s(const float *a, const float *z, const float *w, int n) {
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f}; /* four chains: the adds do not wait on each other */
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) {
            s[k] += relu1(a[i + k] + z[i + k]) * w[i + k];
        }
    for (; i < n; i++) s[0] += relu1(a[i] + z[i]) * w[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}
static void relu_bwd_s(float *dx, float *dW, const float *W, const float *x, const float *dh, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        float d = dh[r];
        if (d == 0.0f) continue;
        axpy_s(dx, d, W + (size_t)r * cols, cols);
        axpy_s(dW + (size_t)r * cols, d, x, cols);
    }
}
static void adam_s(float *p, float *m, float *v, const float *g, int n, float lr_t, float b1, float b2, float eps) {
    for (int i = 0; i < n; i++) {
        float mi = b1 * m[i] + (1.0f - b1) * g[i];
        float vi = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr_t * mi / (sqrtf(vi) + eps);
    }
}

/* ------------------------------------------------------------------ 4-wide (SSE2 or wasm SIMD128) */

#if (defined(BR_X86) && defined(__SSE2__)) || defined(__wasm_simd128__)
#define HAVE_V4 1
#if defined(__wasm_simd128__)
typedef v128_t v4;
#define V4_LOAD(p) wasm_v128_load(p)
#define V4_STORE(p, a) wasm_v128_store((p), (a))
#define V4_SET1(x) wasm_f32x4_splat(x)
#define V4_ZERO() wasm_f32x4_splat(0.0f)
#define V4_ADD(a, b) wasm_f32x4_add((a), (b))
#define V4_SUB(a, b) wasm_f32x4_sub((a), (b))
#define V4_MUL(a, b) wasm_f32x4_mul((a), (b))
#define V4_DIV(a, b) wasm_f32x4_div((a), (b))
#define V4_SQRT(a) wasm_f32x4_sqrt(a)
#define V4_MAX(a, b) wasm_f32x4_pmax((a), (b))
#define V4_GT(a, b) wasm_f32x4_gt((a), (b))
#define V4_AND(a, b) wasm_v128_and((a), (b))
static inline float v4_hsum(v4 a) {
    return (wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1)) +
           (wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3));
}
#else
typedef __m128 v4;
#define V4_LOAD(p) _mm_loadu_ps(p)
#define V4_STORE(p, a) _mm_storeu_ps((p), (a))
#define V4_SET1(x) _mm_set1_ps(x)
#define V4_ZERO() _mm_setzero_ps()
#define V4_ADD(a, b) _mm_add_ps((a), (b))
#define V4_SUB(a, b) _mm_sub_ps((a), (b))
#define V4_MUL(a, b) _mm_mul_ps((a), (b))
#define V4_DIV(a, b) _mm_div_ps((a), (b))
#define V4_SQRT(a) _mm_sqrt_ps(a)
#define V4_MAX(a, b) _mm_max_ps((a), (b))
#define V4_GT(a, b) _mm_cmpgt_ps((a), (b))
#define V4_AND(a, b) _mm_and_ps((a), (b))
static inline float v4_hsum(v4 a) {
    __m128 s = _mm_add_ps(a, _mm_movehl_ps(a, a));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
#endif
#define V4_FMA(a, b, c) V4_ADD(V4_MUL((a), (b)), (c))

static float dot_v4(const float *a, const float *b, int n) {
    v4 s0 = V4_ZERO(), s1 = V4_ZERO();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = V4_FMA(V4_LOAD(a + i), V4_LOAD(b + i), s0);
        s1 = V4_FMA(V4_LOAD(a + i + 4), V4_LOAD(b + i + 4), s1);
    }
    for (; i + 4 <= n; i += 4) s0 = V4_FMA(V4_LOAD(a + i), V4_LOAD(b + i), s0);
    float s = v4_hsum(V4_ADD(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}
static void axpy_v4(float *y, float a, const float *x, int n) {
    v4 va = V4_SET1(a);
    int i = 0;
    for (; i + 4 <= n; i += 4) V4_STORE(y + i, V4_FMA(va, V4_LOAD(x + i), V4_LOAD(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}
static void matvec_t_v4(float *y, const float *Wt, const float *x, int n_in, int n_out) {
    int o = 0;
    for (; o + 16 <= n_out; o += 16) {
        v4 a0 = V4_LOAD(y + o), a1 = V4_LOAD(y + o + 4), a2 = V4_LOAD(y + o + 8), a3 = V4_LOAD(y + o + 12);
        for (int k = 0; k < n_in; k++) {
            const float *w = Wt + (size_t)k * n_out + o;
            v4 xk = V4_SET1(x[k]);
            a0 = V4_FMA(xk, V4_LOAD(w), a0);
            a1 = V4_FMA(xk, V4_LOAD(w + 4), a1);
            a2 = V4_FMA(xk, V4_LOAD(w + 8), a2);
            a3 = V4_FMA(xk, V4_LOAD(w + 12), a3);
        }
        V4_STORE(y + o, a0); V4_STORE(y + o + 4, a1); V4_STORE(y + o + 8, a2); V4_STORE(y + o + 12, a3);
    }
    for (; o + 4 <= n_out; o += 4) {
        v4 a0 = V4_LOAD(y + o);
        for (int k = 0; k < n_in; k++) a0 = V4_FMA(V4_SET1(x[k]), V4_LOAD(Wt + (size_t)k * n_out + o), a0);
        V4_STORE(y + o, a0);
    }
    for (; o < n_out; o++) {
        float s = y[o];
        for (int k = 0; k < n_in; k++) s += x[k] * Wt[(size_t)k * n_out + o];
        y[o] = s;
    }
}
static void relu_grad_v4(float *dh, float *db, float *dw, const float *h, const float *w, float dy, int n) {
    v4 vdy = V4_SET1(dy), zero = V4_ZERO();
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4 hv = V4_LOAD(h + i), g = V4_MUL(vdy, V4_LOAD(w + i));
        v4 d = V4_AND(V4_GT(hv, zero), g);
        V4_STORE(dh + i, d);
        V4_STORE(db + i, V4_ADD(V4_LOAD(db + i), d));
        V4_STORE(dw + i, V4_FMA(vdy, hv, V4_LOAD(dw + i)));
    }
    relu_grad_s(dh + i, db + i, dw + i, h + i, w + i, dy, n - i);
}
static void relu_v4(float *y, int n) {
    v4 zero = V4_ZERO();
    int i = 0;
    for (; i + 4 <= n; i += 4) V4_STORE(y + i, V4_MAX(V4_LOAD(y + i), zero));
    relu_s(y + i, n - i);
}
static float relu_dot_v4(const float *a, const float *z, const float *w, int n) {
    v4 s0 = V4_ZERO(), s1 = V4_ZERO(), zero = V4_ZERO();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = V4_FMA(V4_MAX(V4_ADD(V4_LOAD(a + i), V4_LOAD(z + i)), zero), V4_LOAD(w + i), s0);
        s1 = V4_FMA(V4_MAX(V4_ADD(V4_LOAD(a + i + 4), V4_LOAD(z + i + 4)), zero), V4_LOAD(w + i + 4), s1);
    }
    for (; i + 4 <= n; i += 4) s0 = V4_FMA(V4_MAX(V4_ADD(V4_LOAD(a + i), V4_LOAD(z + i)), zero), V4_LOAD(w + i), s0);
    float s = v4_hsum(V4_ADD(s0, s1));
    for (; i < n; i++) {
        float h = a[i] + z[i];
        s += (h > 0.0f ? h : 0.0f) * w[i];
    }
    return s;
}
static void relu_bwd_v4(float *dx, float *dW, const float *W, const float *x, const float *dh, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        float d = dh[r];
        if (d == 0.0f) continue;
        v4 vd = V4_SET1(d);
        const float *w = W + (size_t)r * cols;
        float *g = dW + (size_t)r * cols;
        int c = 0;
        for (; c + 4 <= cols; c += 4) {
            V4_STORE(dx + c, V4_FMA(vd, V4_LOAD(w + c), V4_LOAD(dx + c)));
            V4_STORE(g + c, V4_FMA(vd, V4_LOAD(x + c), V4_LOAD(g + c)));
        }
        for (; c < cols; c++) { dx[c] += d * w[c]; g[c] += d * x[c]; }
    }
}
static void adam_v4(float *p, float *m, float *v, const float *g, int n, float lr_t, float b1, float b2, float eps) {
    v4 vb1 = V4_SET1(b1), vb2 = V4_SET1(b2), c1 = V4_SET1(1.0f - b1), c2 = V4_SET1(1.0f - b2);
    v4 vlr = V4_SET1(lr_t), veps = V4_SET1(eps);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4 gi = V4_LOAD(g + i);
        v4 mi = V4_ADD(V4_MUL(vb1, V4_LOAD(m + i)), V4_MUL(c1, gi));
        v4 vi = V4_ADD(V4_MUL(vb2, V4_LOAD(v + i)), V4_MUL(V4_MUL(c2, gi), gi));
        V4_STORE(m + i, mi);
        V4_STORE(v + i, vi);
        v4 step = V4_DIV(V4_MUL(vlr, mi), V4_ADD(V4_SQRT(vi), veps));
        V4_STORE(p + i, V4_SUB(V4_LOAD(p + i), step));
    }
    adam_s(p + i, m + i, v + i, g + i, n - i, lr_t, b1, b2, eps);
}
#endif /* HAVE_V4 */

/* ------------------------------------------------------------------ AVX2 + FMA (x86, run-time dispatch) */

#if defined(BR_X86)
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum8(__m256 a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}
/* Lanes 0..n-1 set (n in 0..8), for masked tails. */
AVX2 static inline __m256i tail_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
AVX2 static float dot_avx2(const float *a, const float *b, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    if (i < n) {
        __m256i k = tail_mask(n - i);
        s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, k), _mm256_maskload_ps(b + i, k), s1);
    }
    return hsum8(_mm256_add_ps(s0, s1));
}
AVX2 static void axpy_avx2(float *y, float a, const float *x, int n) {
    __m256 va = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    if (i < n) {
        __m256i k = tail_mask(n - i);
        _mm256_maskstore_ps(y + i, k, _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, k), _mm256_maskload_ps(y + i, k)));
    }
}
AVX2 static void matvec_t_avx2(float *y, const float *Wt, const float *x, int n_in, int n_out) {
    int o = 0;
    for (; o + 64 <= n_out; o += 64) { /* 8 accumulators: enough independent chains to hide FMA latency */
        __m256 a[8];
        for (int v = 0; v < 8; v++) a[v] = _mm256_loadu_ps(y + o + 8 * v);
        for (int k = 0; k < n_in; k++) {
            const float *w = Wt + (size_t)k * n_out + o;
            __m256 xk = _mm256_set1_ps(x[k]);
            for (int v = 0; v < 8; v++) a[v] = _mm256_fmadd_ps(xk, _mm256_loadu_ps(w + 8 * v), a[v]);
        }
        for (int v = 0; v < 8; v++) _mm256_storeu_ps(y + o + 8 * v, a[v]);
    }
    for (; o + 32 <= n_out; o += 32) {
        __m256 a0 = _mm256_loadu_ps(y + o), a1 = _mm256_loadu_ps(y + o + 8);
        __m256 a2 = _mm256_loadu_ps(y + o + 16), a3 = _mm256_loadu_ps(y + o + 24);
        for (int k = 0; k < n_in; k++) {
            const float *w = Wt + (size_t)k * n_out + o;
            __m256 xk = _mm256_set1_ps(x[k]);
            a0 = _mm256_fmadd_ps(xk, _mm256_loadu_ps(w), a0);
            a1 = _mm256_fmadd_ps(xk, _mm256_loadu_ps(w + 8), a1);
            a2 = _mm256_fmadd_ps(xk, _mm256_loadu_ps(w + 16), a2);
            a3 = _mm256_fmadd_ps(xk, _mm256_loadu_ps(w + 24), a3);
        }
        _mm256_storeu_ps(y + o, a0); _mm256_storeu_ps(y + o + 8, a1);
        _mm256_storeu_ps(y + o + 16, a2); _mm256_storeu_ps(y + o + 24, a3);
    }
    for (; o + 8 <= n_out; o += 8) {
        __m256 a0 = _mm256_loadu_ps(y + o);
        for (int k = 0; k < n_in; k++)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(x[k]), _mm256_loadu_ps(Wt + (size_t)k * n_out + o), a0);
        _mm256_storeu_ps(y + o, a0);
    }
    for (; o < n_out; o++) {
        float s = y[o];
        for (int k = 0; k < n_in; k++) s += x[k] * Wt[(size_t)k * n_out + o];
        y[o] = s;
    }
}
AVX2 static void relu_grad_avx2(float *dh, float *db, float *dw, const float *h, const float *w, float dy, int n) {
    __m256 vdy = _mm256_set1_ps(dy), zero = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 hv = _mm256_loadu_ps(h + i), g = _mm256_mul_ps(vdy, _mm256_loadu_ps(w + i));
        __m256 d = _mm256_and_ps(_mm256_cmp_ps(hv, zero, _CMP_GT_OQ), g);
        _mm256_storeu_ps(dh + i, d);
        _mm256_storeu_ps(db + i, _mm256_add_ps(_mm256_loadu_ps(db + i), d));
        _mm256_storeu_ps(dw + i, _mm256_fmadd_ps(vdy, hv, _mm256_loadu_ps(dw + i)));
    }
    relu_grad_s(dh + i, db + i, dw + i, h + i, w + i, dy, n - i);
}
AVX2 static void relu_avx2(float *y, int n) {
    __m256 zero = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_loadu_ps(y + i), zero));
    relu_s(y + i, n - i);
}
AVX2 static float relu_dot_avx2(const float *a, const float *z, const float *w, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), zero = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 h0 = _mm256_max_ps(_mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(z + i)), zero);
        __m256 h1 = _mm256_max_ps(_mm256_add_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(z + i + 8)), zero);
        s0 = _mm256_fmadd_ps(h0, _mm256_loadu_ps(w + i), s0);
        s1 = _mm256_fmadd_ps(h1, _mm256_loadu_ps(w + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_max_ps(_mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(z + i)), zero),
                             _mm256_loadu_ps(w + i), s0);
    float s = hsum8(_mm256_add_ps(s0, s1));
    for (; i < n; i++) {
        float h = a[i] + z[i];
        s += (h > 0.0f ? h : 0.0f) * w[i];
    }
    return s;
}
AVX2 static void relu_bwd_avx2(float *dx, float *dW, const float *W, const float *x, const float *dh, int rows,
                               int cols) {
    int act[1024], na = 0;
    if (rows > 1024) { relu_bwd_s(dx, dW, W, x, dh, rows, cols); return; }
    for (int r = 0; r < rows; r++) { act[na] = r; na += dh[r] != 0.0f; } /* branch-free list of live units */
    int c0 = 0;
    for (; c0 + 32 <= cols; c0 += 32) { /* 32 columns at a time: dx and x stay in registers */
        __m256 d0 = _mm256_loadu_ps(dx + c0), d1 = _mm256_loadu_ps(dx + c0 + 8);
        __m256 d2 = _mm256_loadu_ps(dx + c0 + 16), d3 = _mm256_loadu_ps(dx + c0 + 24);
        __m256 x0 = _mm256_loadu_ps(x + c0), x1 = _mm256_loadu_ps(x + c0 + 8);
        __m256 x2 = _mm256_loadu_ps(x + c0 + 16), x3 = _mm256_loadu_ps(x + c0 + 24);
        for (int a = 0; a < na; a++) {
            int r = act[a];
            __m256 vd = _mm256_set1_ps(dh[r]);
            const float *w = W + (size_t)r * cols + c0;
            float *g = dW + (size_t)r * cols + c0;
            d0 = _mm256_fmadd_ps(vd, _mm256_loadu_ps(w), d0);
            d1 = _mm256_fmadd_ps(vd, _mm256_loadu_ps(w + 8), d1);
            d2 = _mm256_fmadd_ps(vd, _mm256_loadu_ps(w + 16), d2);
            d3 = _mm256_fmadd_ps(vd, _mm256_loadu_ps(w + 24), d3);
            _mm256_storeu_ps(g, _mm256_fmadd_ps(vd, x0, _mm256_loadu_ps(g)));
            _mm256_storeu_ps(g + 8, _mm256_fmadd_ps(vd, x1, _mm256_loadu_ps(g + 8)));
            _mm256_storeu_ps(g + 16, _mm256_fmadd_ps(vd, x2, _mm256_loadu_ps(g + 16)));
            _mm256_storeu_ps(g + 24, _mm256_fmadd_ps(vd, x3, _mm256_loadu_ps(g + 24)));
        }
        _mm256_storeu_ps(dx + c0, d0); _mm256_storeu_ps(dx + c0 + 8, d1);
        _mm256_storeu_ps(dx + c0 + 16, d2); _mm256_storeu_ps(dx + c0 + 24, d3);
    }
    for (int a = 0; a < na && c0 < cols; a++) { /* remaining columns */
        int r = act[a];
        float d = dh[r];
        __m256 vd = _mm256_set1_ps(d);
        const float *w = W + (size_t)r * cols;
        float *g = dW + (size_t)r * cols;
        int c = c0;
        for (; c + 8 <= cols; c += 8) {
            _mm256_storeu_ps(dx + c, _mm256_fmadd_ps(vd, _mm256_loadu_ps(w + c), _mm256_loadu_ps(dx + c)));
            _mm256_storeu_ps(g + c, _mm256_fmadd_ps(vd, _mm256_loadu_ps(x + c), _mm256_loadu_ps(g + c)));
        }
        for (; c < cols; c++) { dx[c] += d * w[c]; g[c] += d * x[c]; }
    }
}
AVX2 static void adam_avx2(float *p, float *m, float *v, const float *g, int n, float lr_t, float b1, float b2,
                           float eps) {
    __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2);
    __m256 c1 = _mm256_set1_ps(1.0f - b1), c2 = _mm256_set1_ps(1.0f - b2);
    __m256 vlr = _mm256_set1_ps(lr_t), veps = _mm256_set1_ps(eps);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(c1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_loadu_ps(p + i), step));
    }
    if (i < n) { /* masked tail: short rows (an embedding of 15) stay vectorised */
        __m256i k = tail_mask(n - i);
        __m256 gi = _mm256_maskload_ps(g + i, k);
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_maskload_ps(m + i, k)), _mm256_mul_ps(c1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_maskload_ps(v + i, k)), _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        _mm256_maskstore_ps(m + i, k, mi);
        _mm256_maskstore_ps(v + i, k, vi);
        __m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, mi), _mm256_add_ps(_mm256_sqrt_ps(vi), veps));
        _mm256_maskstore_ps(p + i, k, _mm256_sub_ps(_mm256_maskload_ps(p + i, k), step));
    }
}
#endif /* BR_X86 */

/* ------------------------------------------------------------------ public entry points */

/* PICK_x(call) returns call's value (or just returns, for void kernels) when path x is in force. */
#if defined(BR_X86)
#define PICK_AVX2(call) if (l == LVL_AVX2) return call;
#define VPICK_AVX2(call) if (l == LVL_AVX2) { call; return; }
#else
#define PICK_AVX2(call)
#define VPICK_AVX2(call)
#endif
#if defined(HAVE_V4)
#define PICK_V4(call) if (l == LVL_V4) return call;
#define VPICK_V4(call) if (l == LVL_V4) { call; return; }
#else
#define PICK_V4(call)
#define VPICK_V4(call)
#endif

float br_dot(const float *a, const float *b, int n) {
    int l = level();
    (void)l;
    PICK_AVX2(dot_avx2(a, b, n))
    PICK_V4(dot_v4(a, b, n))
    return dot_s(a, b, n);
}

void br_axpy(float *y, float a, const float *x, int n) {
    int l = level();
    (void)l;
    VPICK_AVX2(axpy_avx2(y, a, x, n))
    VPICK_V4(axpy_v4(y, a, x, n))
    axpy_s(y, a, x, n);
}

void br_matvec(float *y, const float *W, const float *x, int rows, int cols) {
    for (int r = 0; r < rows; r++) y[r] = br_dot(W + (size_t)r * cols, x, cols);
}

void br_matvec_t(float *y, const float *Wt, const float *x, int n_in, int n_out) {
    int l = level();
    (void)l;
    VPICK_AVX2(matvec_t_avx2(y, Wt, x, n_in, n_out))
    VPICK_V4(matvec_t_v4(y, Wt, x, n_in, n_out))
    matvec_t_s(y, Wt, x, n_in, n_out);
}

void br_dense_relu(float *h, const float *Wt, const float *b, const float *x, int n_in, int n_out) {
    for (int o = 0; o < n_out; o++) h[o] = b[o];
    br_matvec_t(h, Wt, x, n_in, n_out);
    int l = level();
    (void)l;
    VPICK_AVX2(relu_avx2(h, n_out))
    VPICK_V4(relu_v4(h, n_out))
    relu_s(h, n_out);
}

void br_relu_grad(float *dh, float *db, float *dw, const float *h, const float *w, float dy, int n) {
    int l = level();
    (void)l;
    VPICK_AVX2(relu_grad_avx2(dh, db, dw, h, w, dy, n))
    VPICK_V4(relu_grad_v4(dh, db, dw, h, w, dy, n))
    relu_grad_s(dh, db, dw, h, w, dy, n);
}

float br_relu_dot(const float *a, const float *z, const float *w, int n) {
    int l = level();
    (void)l;
    PICK_AVX2(relu_dot_avx2(a, z, w, n))
    PICK_V4(relu_dot_v4(a, z, w, n))
    return relu_dot_s(a, z, w, n);
}

void br_relu_bwd(float *dx, float *dW, const float *W, const float *x, const float *dh, int rows, int cols) {
    int l = level();
    (void)l;
    VPICK_AVX2(relu_bwd_avx2(dx, dW, W, x, dh, rows, cols))
    VPICK_V4(relu_bwd_v4(dx, dW, W, x, dh, rows, cols))
    relu_bwd_s(dx, dW, W, x, dh, rows, cols);
}

void br_adam(float *p, float *m, float *v, const float *g, int n, float lr_t, float b1, float b2, float eps) {
    int l = level();
    (void)l;
    VPICK_AVX2(adam_avx2(p, m, v, g, n, lr_t, b1, b2, eps))
    VPICK_V4(adam_v4(p, m, v, g, n, lr_t, b1, b2, eps))
    adam_s(p, m, v, g, n, lr_t, b1, b2, eps);
}
