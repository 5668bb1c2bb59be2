/* test_adam.c - one Adam step of bookrec_train against values computed by hand (Keras's formulation:
   lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), p -= lr_t m / (sqrt(v) + eps)), lazy and dense, and a second
   step of the Adam kernel with the bias correction of t = 2. */
#include "check.h"
#include "internal.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

static void expect(const char *what, double got, double want) {
    CHECK(!(fabs(got - want) > 2e-6), "%s: got %.9f want %.9f", what, got, want);
}

static void one_step(int lazy) {
    bookrec_model_config cfg;
    bookrec_model_config_default(&cfg);
    cfg.arch = BOOKREC_ARCH_MF;
    cfg.n_users = 2;
    cfg.n_items = 2;
    cfg.dim = 2;
    cfg.global_mean = 3.0f;
    bookrec_model *m;
    bookrec_error err;
    if (bookrec_model_create(&cfg, &m, &err)) { CHECK(0, "create: %s", err.msg); return; }
    m->user_emb[0] = 0.1f; m->user_emb[1] = 0.2f;
    m->item_emb[0] = 0.3f; m->item_emb[1] = -0.1f;
    float u1[2] = {m->user_emb[2], m->user_emb[3]}, i1[2] = {m->item_emb[2], m->item_emb[3]};
    int32_t u = 0, i = 0;
    float r = 4.0f;
    bookrec_triples t = {&u, &i, &r, 1};
    bookrec_train_options o;
    bookrec_train_options_default(&o);
    o.epochs = 1;
    o.batch = 1;
    o.lr = 0.1f;
    o.beta1 = 0.8f;
    o.beta2 = 0.9f;
    o.eps = 0.01f;
    o.lazy_adam = lazy;
    CHECK(bookrec_train(m, &t, NULL, &o, NULL, 0, NULL, &err) == BOOKREC_OK, "train: %s", err.msg);
    /* gradient: dy = 2 (3 + 0.03 - 0.02 - 4) = -1.98; g_p = dy q, g_q = dy p, g_b = dy; step = -lr_t m/(sqrt v + eps) */
    expect("user bias", m->user_bias[0], 0.0 + 0.098427997);
    expect("item bias", m->item_bias[0], 0.0 + 0.098427997);
    expect("user_emb[0]", m->user_emb[0], 0.1 + 0.094945392);
    expect("user_emb[1]", m->user_emb[1], 0.2 - 0.086228380);
    expect("item_emb[0]", m->item_emb[0], 0.3 + 0.086228380);
    expect("item_emb[1]", m->item_emb[1], -0.1 + 0.092604983);
    CHECK(m->user_emb[2] == u1[0] && m->user_emb[3] == u1[1] && m->item_emb[2] == i1[0] && m->item_emb[3] == i1[1] &&
              m->user_bias[1] == 0.0f && m->item_bias[1] == 0.0f,
          "rows the batch did not touch changed (lazy %d)", lazy);
    bookrec_model_free(m);
}

int main(void) {
    one_step(1);
    one_step(0);
    /* the kernel at t = 2: p 0.5, m 0.2, v 0.05, g -0.3, lr 0.1, b1 0.8, b2 0.9, eps 0.01 */
    for (int s = 0; s < 2; s++) {
        bookrec_force_scalar(s);
        float p = 0.5f, mo = 0.2f, v = 0.05f, g = -0.3f;
        float lr_t = (float)(0.1 * sqrt(1.0 - 0.81) / (1.0 - 0.64));
        br_adam(&p, &mo, &v, &g, 1, lr_t, 0.8f, 0.9f, 0.01f);
        expect("kernel m", mo, 0.1);
        expect("kernel v", v, 0.054);
        expect("kernel p", p, 0.450044960);
    }
    bookrec_force_scalar(0);
    if (failures) { fprintf(stderr, "%d failures\n", failures); return 1; }
    printf("adam ok\n");
    return 0;
}
