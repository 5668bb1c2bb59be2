/* test_kernels.c - every kernel of the SIMD layer against a double-precision reference, for lengths
   0..70 (all tail cases), on the SIMD path in force and on the scalar path (bookrec_force_scalar). */
#include "check.h"
#include "internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what, const char *path, int n, double got, double want) {
    CHECK(ok, "%s [%s] n=%d: got %.9g want %.9g", what, path, n, got, want);
}

static int close_to(double got, double want, double scale) {
    return fabs(got - want) <= 1e-5 * (scale + 1.0);
}

static float rnd(br_rng *r) { return 2.0f * br_rng_float(r) - 1.0f; }

static void run_all(const char *path) {
    br_rng r;
    br_rng_seed(&r, 42);
    enum { N = 70, M = 9 };
    static float a[N + 1], b[N + 1], c[N + 1], y[N + 1], y0[N + 1], W[M * (N + 1)], dW[M * (N + 1)], dW0[M * (N + 1)];
    static float dh[M], p[N + 1], m[N + 1], v[N + 1], g[N + 1];
    for (int n = 0; n <= N; n++) {
        double scale = 0.0;
        for (int i = 0; i < N + 1; i++) { a[i] = rnd(&r); b[i] = rnd(&r); c[i] = rnd(&r); y0[i] = rnd(&r); }
        /* dot */
        double want = 0.0;
        for (int i = 0; i < n; i++) { want += (double)a[i] * b[i]; scale += fabs((double)a[i] * b[i]); }
        check(close_to(br_dot(a, b, n), want, scale), "br_dot", path, n, br_dot(a, b, n), want);
        /* axpy, and it must not write past n */
        memcpy(y, y0, sizeof y);
        br_axpy(y, 0.75f, a, n);
        for (int i = 0; i <= N; i++) {
            double w = i < n ? (double)y0[i] + 0.75 * a[i] : y0[i];
            check(close_to(y[i], w, 2.0), "br_axpy", path, n, y[i], w);
        }
        /* relu_dot */
        want = 0.0; scale = 0.0;
        for (int i = 0; i < n; i++) {
            double h = (double)a[i] + b[i];
            if (h > 0) { want += h * c[i]; scale += fabs(h * c[i]); }
        }
        check(close_to(br_relu_dot(a, b, c, n), want, scale), "br_relu_dot", path, n, br_relu_dot(a, b, c, n), want);
        /* matvec (rows = M) and matvec_t (n_in = M, n_out = n) */
        for (int i = 0; i < M * (N + 1); i++) W[i] = rnd(&r);
        float out[M];
        br_matvec(out, W, a, M, n);
        for (int rr = 0; rr < M; rr++) {
            double w = 0.0;
            for (int k = 0; k < n; k++) w += (double)W[rr * n + k] * a[k];
            check(close_to(out[rr], w, n), "br_matvec", path, n, out[rr], w);
        }
        memcpy(y, y0, sizeof y);
        br_matvec_t(y, W, a, M, n);
        for (int o = 0; o <= N; o++) {
            double w = y0[o];
            if (o < n) for (int k = 0; k < M; k++) w += (double)a[k] * W[k * n + o];
            check(close_to(y[o], w, M), "br_matvec_t", path, n, y[o], w);
        }
        /* relu_bwd: rows M (some dh zero), cols n */
        for (int k = 0; k < M; k++) dh[k] = (k % 3 == 1) ? 0.0f : rnd(&r);
        for (int i = 0; i < M * (N + 1); i++) dW0[i] = rnd(&r);
        memcpy(dW, dW0, sizeof dW);
        memcpy(y, y0, sizeof y);
        br_relu_bwd(y, dW, W, b, dh, M, n);
        for (int cc = 0; cc <= N; cc++) {
            double w = y0[cc];
            if (cc < n) for (int k = 0; k < M; k++) w += (double)dh[k] * W[k * n + cc];
            check(close_to(y[cc], w, M), "br_relu_bwd dx", path, n, y[cc], w);
        }
        for (int k = 0; k < M; k++)
            for (int cc = 0; cc < n; cc++) {
                double w = (double)dW0[k * n + cc] + (double)dh[k] * b[cc];
                check(close_to(dW[k * n + cc], w, 2.0), "br_relu_bwd dW", path, n, dW[k * n + cc], w);
            }
        /* dense_relu: n_in = M, n_out = n, bias c */
        br_dense_relu(y, W, c, a, M, n);
        for (int o = 0; o < n; o++) {
            double w = c[o];
            for (int k = 0; k < M; k++) w += (double)a[k] * W[k * n + o];
            w = w > 0 ? w : 0;
            check(close_to(y[o], w, M), "br_dense_relu", path, n, y[o], w);
        }
        /* relu_grad: h = max(a, 0) so some units are off */
        {
            float h[N + 1], dhv[N + 1], db[N + 1], dw[N + 1];
            for (int i = 0; i <= N; i++) { h[i] = a[i] > 0 ? a[i] : 0; db[i] = y0[i]; dw[i] = c[i]; dhv[i] = 7.0f; }
            br_relu_grad(dhv, db, dw, h, b, 0.3f, n);
            for (int i = 0; i <= N; i++) {
                double wd = i < n ? (h[i] > 0 ? 0.3 * b[i] : 0.0) : 7.0;
                double wb = i < n ? y0[i] + (h[i] > 0 ? 0.3 * b[i] : 0.0) : y0[i];
                double ww = i < n ? c[i] + 0.3 * h[i] : c[i];
                check(close_to(dhv[i], wd, 1.0), "br_relu_grad dh", path, n, dhv[i], wd);
                check(close_to(db[i], wb, 2.0), "br_relu_grad db", path, n, db[i], wb);
                check(close_to(dw[i], ww, 2.0), "br_relu_grad dw", path, n, dw[i], ww);
            }
        }
        /* adam */
        for (int i = 0; i <= N; i++) { p[i] = rnd(&r); m[i] = 0.1f * rnd(&r); v[i] = 0.01f * fabsf(rnd(&r)); g[i] = rnd(&r); }
        float p0[N + 1], m0[N + 1], v0[N + 1];
        memcpy(p0, p, sizeof p0); memcpy(m0, m, sizeof m0); memcpy(v0, v, sizeof v0);
        br_adam(p, m, v, g, n, 0.01f, 0.9f, 0.999f, 1e-7f);
        for (int i = 0; i <= N; i++) {
            double mi = i < n ? 0.9 * m0[i] + 0.1 * g[i] : m0[i];
            double vi = i < n ? 0.999 * v0[i] + 0.001 * (double)g[i] * g[i] : v0[i];
            double pi = i < n ? p0[i] - 0.01 * mi / (sqrt(vi) + 1e-7) : p0[i];
            check(close_to(m[i], mi, 1.0), "br_adam m", path, n, m[i], mi);
            check(close_to(v[i], vi, 1.0), "br_adam v", path, n, v[i], vi);
            check(close_to(p[i], pi, 1.0), "br_adam p", path, n, p[i], pi);
        }
    }
}

int main(void) {
    bookrec_force_scalar(0);
    const char *simd = bookrec_kernel_name();
    printf("kernel path: %s\n", simd);
    run_all(simd);
    int prev = bookrec_force_scalar(1);
    CHECK(prev == 0, "force_scalar did not return the previous value 0");
    CHECK(!strcmp(bookrec_kernel_name(), "scalar"), "force_scalar(1) did not select the scalar path (%s)",
          bookrec_kernel_name());
    run_all("scalar");
    CHECK(bookrec_force_scalar(0) == 1, "force_scalar did not return 1");
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("kernels ok\n");
    return 0;
}
