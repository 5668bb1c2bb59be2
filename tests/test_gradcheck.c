/* test_gradcheck.c - finite-difference check of every backward pass (seed, mf, ncf) on every parameter
   tensor, through br_model_loss_grad, the very code bookrec_train runs: a batch with repeated users and
   items, L2 on rows (uniform, and per-row coefficients as l2_row gives) and dense weights, tag features (book
   vector q_i + sum_t w_it g_t, bias b_i + sum_t w_it c_t, L2 w_it (|g_t|^2 + c_t^2)), one task and several tasks. The numeric side is central differences
   of an independent double-precision implementation of the documented loss (step 1e-6, so ReLU kinks are
   practically never crossed), which also checks the loss value itself. */
#include "check.h"
#include "internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



/* An independent double-precision implementation of the batch loss documented in internal.h. */
typedef struct ref_model {
    int arch, d, H;
    float mu;
    double *P;                          /* double copy of the parameter block */
    size_t ie, ib, w1, b1, w2, b2, ue, ub, iy; /* tensor offsets */
    const int32_t *off, *set;           /* N(u) of implicit models, else NULL */
    const float *ci, *cu, *cy;          /* per-row L2 coefficients (NULL: l2 for every row) */
    size_t tg, tb;                      /* tag_emb, tag_bias offsets */
    const int32_t *toff, *tidx;         /* each item's tags (NULL: no tags) */
    const float *tw;
} ref_model;

static double ref_loss(const ref_model *rm, const int32_t *u, const int32_t *i, const float *r, int n, double l2,
                       double l2d) {
    const double *P = rm->P;
    int d = rm->d, H = rm->H;
    double loss = 0.0;
    for (int e = 0; e < n; e++) {
        const double *q0 = P + rm->ie + (size_t)i[e] * d, *p0 = P + rm->ue + (size_t)u[e] * d;
        double p[64], q[64], yreg = 0.0, tbias = 0.0;
        for (int k = 0; k < d; k++) { p[k] = p0[k]; q[k] = q0[k]; }
        if (rm->toff) /* q' = q + sum_t w g_t, b' = b + sum_t w c_t */
            for (int s = rm->toff[i[e]]; s < rm->toff[i[e] + 1]; s++) {
                int t = rm->tidx[s];
                double w = rm->tw[s], c = P[rm->tb + t];
                tbias += w * c;
                yreg += l2 * w * c * c;
                for (int k = 0; k < d; k++) {
                    double g = P[rm->tg + (size_t)t * d + k];
                    q[k] += w * g;
                    yreg += l2 * w * g * g;
                }
            }
        if (rm->off) { /* p' = p + |N(u)|^-1/2 sum y_j */
            int a = rm->off[u[e]], b = rm->off[u[e] + 1];
            for (int s = a; s < b; s++)
                for (int k = 0; k < d; k++) {
                    double yv = P[rm->iy + (size_t)rm->set[s] * d + k];
                    p[k] += yv / sqrt((double)(b - a));
                    yreg += (rm->cy ? rm->cy[rm->set[s]] : l2) * yv * yv;
                }
        }
        double y = 0.0, o = 0.0;
        if (rm->arch != BOOKREC_ARCH_MF) {
            o = P[rm->b2];
            for (int j = 0; j < H; j++) {
                double h = P[rm->b1 + j];
                for (int k = 0; k < d; k++) h += P[rm->w1 + (size_t)j * 2 * d + k] * q[k];
                for (int k = 0; k < d; k++) h += P[rm->w1 + (size_t)j * 2 * d + d + k] * p[k];
                if (h > 0) o += P[rm->w2 + j] * h;
            }
        }
        double ci = rm->ci ? rm->ci[i[e]] : l2, cu = rm->cu ? rm->cu[u[e]] : l2;
        double reg = yreg;
        for (int k = 0; k < d; k++) reg += ci * q0[k] * q0[k] + cu * p0[k] * p0[k];
        if (rm->arch == BOOKREC_ARCH_SEED) {
            y = o > 0 ? o : 0;
        } else {
            double bi = P[rm->ib + i[e]], bu = P[rm->ub + u[e]], dot = 0.0;
            for (int k = 0; k < d; k++) dot += p[k] * q[k];
            y = o + rm->mu + bu + bi + tbias + dot;
            reg += ci * bi * bi + cu * bu * bu;
        }
        loss += ((y - r[e]) * (y - r[e]) + reg) / n;
    }
    if (rm->arch != BOOKREC_ARCH_MF) {
        for (int k = 0; k < H * 2 * d; k++) loss += l2d * P[rm->w1 + k] * P[rm->w1 + k];
        for (int k = 0; k < H; k++) loss += l2d * P[rm->w2 + k] * P[rm->w2 + k];
    }
    return loss;
}

static void check_arch(bookrec_arch arch, int implicit, int row_l2, int tags, const char *name) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = arch;
    cfg.n_users = 7;
    cfg.n_items = 9;
    cfg.dim = 5;
    cfg.hidden = 12;
    cfg.init_scale = 0.6f;
    cfg.global_mean = arch == BOOKREC_ARCH_SEED ? 0.0f : 3.0f;
    cfg.seed = 7;
    cfg.implicit = implicit;
    cfg.n_tags = tags ? 4 : 0;
    bookrec_model *m = NULL;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err)) { fprintf(stderr, "create: %s\n", err.msg); exit(1); }
    /* N(u): user u has the items (u + 2k) mod 9 for k < u % 4 (user 3 has none... of 0..2 items) */
    int32_t off[8] = {0}, set[32];
    for (int u = 0, n = 0; u < 7; u++) {
        for (int k = 0; k < (u % 4) + (u == 2); k++) set[n++] = (int32_t)((u + 2 * k) % 9);
        off[u + 1] = n;
    }
    if (implicit && bookrec_model_set_implicit(m, off, set, &err)) { fprintf(stderr, "set_implicit: %s\n", err.msg); exit(1); }
    /* item tags: item i has tags (i + k) mod 4 for k < i % 3 (items 0, 3, 6 none), weights 0.3 + 0.25 k */
    int32_t toff[10] = {0}, tidx[32];
    float tw[32];
    for (int i = 0, n = 0; i < 9; i++) {
        for (int k = 0; k < i % 3; k++, n++) { tidx[n] = (int32_t)((i + k) % 4); tw[n] = 0.3f + 0.25f * (float)k; }
        toff[i + 1] = n;
    }
    if (tags && bookrec_model_set_tags(m, toff, tidx, tw, &err)) { fprintf(stderr, "set_tags: %s\n", err.msg); exit(1); }
    float *params;
    size_t np = bookrec_model_params(m, &params);
    /* non-zero biases so their gradient paths matter */
    br_tensor ts[16];
    int nt = br_model_tensors(m, ts, 16);
    br_rng r;
    br_rng_seed(&r, 3);
    if (tags) { /* the tag rows are training-only (never saved, so not listed): check them too, from non-zero values */
        ts[nt++] = (br_tensor){"tag_emb", m->tag_emb, 4, cfg.dim, BOOKREC_PART_ITEMS, NULL, 0};
        ts[nt++] = (br_tensor){"tag_bias", m->tag_bias, 4, 1, BOOKREC_PART_ITEMS, NULL, 0};
        for (int k = 0; k < 4 * cfg.dim; k++) m->tag_emb[k] = 0.5f * (2.0f * br_rng_float(&r) - 1.0f);
    }
    for (int t = 0; t < nt; t++)
        if (strstr(ts[t].name, "bias") || strstr(ts[t].name, "_b"))
            for (int k = 0; k < ts[t].rows * ts[t].cols; k++) ts[t].data[k] = 0.4f * (2.0f * br_rng_float(&r) - 1.0f);
    if (arch == BOOKREC_ARCH_SEED) m->b2[0] = 2.0f; /* keep the output ReLU mostly active */
    enum { N = 16 };
    int32_t us[N], is[N];
    float rs[N];
    for (int e = 0; e < N; e++) {
        us[e] = e < 12 ? (int32_t)br_rng_below(&r, 5) : 2; /* users 5, 6 never occur */
        is[e] = e < 12 ? (int32_t)br_rng_below(&r, 7) : 3; /* items 7, 8 never occur */
        rs[e] = 1.0f + (float)br_rng_below(&r, 5);
    }
    const float l2 = 0.5f, l2d = 0.3f;
    float *grad = malloc(np * sizeof *grad), *grad3 = malloc(np * sizeof *grad3);
    double loss;
    /* per-row L2 (bookrec_train's l2_row): a different coefficient for every item, user and implicit row */
    float ci[9], cu[7], cy[9];
    for (int k = 0; k < 9; k++) { ci[k] = 0.1f + 1.4f * br_rng_float(&r); cy[k] = 0.1f + 1.4f * br_rng_float(&r); }
    for (int k = 0; k < 7; k++) cu[k] = 0.1f + 1.4f * br_rng_float(&r);
    br_reg rg = {l2, l2d, row_l2 ? ci : NULL, row_l2 ? cu : NULL, row_l2 && implicit ? cy : NULL};
    if (br_model_loss_grad_ex(m, us, is, rs, N, &rg, 1, grad, &loss, &err) ||
        br_model_loss_grad_ex(m, us, is, rs, N, &rg, 3, grad3, &loss, &err)) {
        fprintf(stderr, "loss_grad: %s\n", err.msg);
        exit(1);
    }
    ref_model rm = {arch, cfg.dim, cfg.hidden, cfg.global_mean, malloc(np * sizeof(double)), 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    implicit ? off : NULL, set, rg.coef_i, rg.coef_u, rg.coef_y, 0, 0, tags ? toff : NULL, tidx, tw};
    for (size_t k = 0; k < np; k++) rm.P[k] = params[k];
    for (int t = 0; t < nt; t++) {
        size_t off = (size_t)(ts[t].data - params);
        const char *tn = ts[t].name;
        if (!strcmp(tn, "item_emb")) rm.ie = off;
        else if (!strcmp(tn, "item_bias")) rm.ib = off;
        else if (!strcmp(tn, "dense1_w")) rm.w1 = off;
        else if (!strcmp(tn, "dense1_b")) rm.b1 = off;
        else if (!strcmp(tn, "dense2_w")) rm.w2 = off;
        else if (!strcmp(tn, "dense2_b")) rm.b2 = off;
        else if (!strcmp(tn, "user_emb")) rm.ue = off;
        else if (!strcmp(tn, "user_bias")) rm.ub = off;
        else if (!strcmp(tn, "item_imp")) rm.iy = off;
        else if (!strcmp(tn, "tag_emb")) rm.tg = off;
        else if (!strcmp(tn, "tag_bias")) rm.tb = off;
    }
    double ref0 = ref_loss(&rm, us, is, rs, N, l2, l2d);
    CHECK(!(fabs(ref0 - loss) > 1e-5 * (1.0 + fabs(ref0))), "%s: loss %.8g, double reference %.8g", name, loss, ref0);
    int checked = 0, nonzero = 0;
    const double h = 1e-6;
    for (int t = 0; t < nt; t++) {
        int cnt = ts[t].rows * ts[t].cols;
        for (int k = 0; k < cnt; k++) {
            size_t off = (size_t)(&ts[t].data[k] - params);
            double w0 = rm.P[off];
            rm.P[off] = w0 + h;
            double lp = ref_loss(&rm, us, is, rs, N, l2, l2d);
            rm.P[off] = w0 - h;
            double lm = ref_loss(&rm, us, is, rs, N, l2, l2d);
            rm.P[off] = w0;
            double num = (lp - lm) / (2 * h), ana = grad[off];
            checked++;
            if (ana != 0.0) nonzero++;
            CHECK(!(fabs(ana - num) > 1e-4 + 1e-3 * fabs(num)),
                  "%s %s[%d]: analytic %.8g numeric %.8g", name, ts[t].name, k, ana, num);
            CHECK(!(fabs((double)grad3[off] - ana) > 1e-6 + 1e-5 * fabs(ana)),
                  "%s %s[%d]: 3 tasks give %.8g, 1 task %.8g", name, ts[t].name, k, (double)grad3[off], ana);
        }
    }
    free(rm.P);
    /* rows no example touches have exactly zero gradient */
    const float *ue = m->user_emb + 5 * cfg.dim, *ie = m->item_emb + 7 * cfg.dim;
    for (int k = 0; k < 2 * cfg.dim; k++)
        if (grad[ue - params + k] != 0.0f || grad[ie - params + k] != 0.0f) {
            CHECK(0, "%s: untouched row has a gradient", name);
            break;
        }
    int tag_nz = 0;
    if (tags)
        for (int k = 0; k < 4 * cfg.dim; k++) tag_nz += grad[m->tag_emb - params + k] != 0.0f;
    CHECK(!tags || tag_nz >= 2 * cfg.dim, "%s: only %d non-zero tag_emb gradients", name, tag_nz);
    printf("%s: %d entries checked (%d non-zero), loss %.4f\n", name, checked, nonzero, loss);
    CHECK(nonzero >= checked / 2, "%s: too few non-zero gradients (%d of %d)", name, nonzero, checked);
    free(grad); free(grad3);
    bookrec_model_free(m);
}

int main(void) {
    for (int s = 0; s < 2; s++) {
        bookrec_force_scalar(s);
        check_arch(BOOKREC_ARCH_SEED, 0, 0, 0, "seed");
        check_arch(BOOKREC_ARCH_MF, 0, 0, 0, "mf");
        check_arch(BOOKREC_ARCH_NCF, 0, 0, 0, "ncf");
        check_arch(BOOKREC_ARCH_MF, 1, 0, 0, "mf+implicit");
        check_arch(BOOKREC_ARCH_NCF, 1, 0, 0, "ncf+implicit");
        check_arch(BOOKREC_ARCH_MF, 0, 1, 0, "mf, per-row L2");
        check_arch(BOOKREC_ARCH_MF, 1, 1, 0, "mf+implicit, per-row L2");
        check_arch(BOOKREC_ARCH_NCF, 1, 1, 0, "ncf+implicit, per-row L2");
        check_arch(BOOKREC_ARCH_MF, 0, 0, 1, "mf+tags");
        check_arch(BOOKREC_ARCH_NCF, 0, 0, 1, "ncf+tags");
        check_arch(BOOKREC_ARCH_MF, 1, 1, 1, "mf+implicit+tags, per-row L2");
    }
    bookrec_force_scalar(0);
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("gradients ok\n");
    return 0;
}
