/*
 * test_baseline.c - the eval baselines on hand-computed cases: the global mean, the constant predictor's
 * errors, the user+book bias model (exact recovery without shrinkage, the closed-form first round with
 * shrinkage), clamping to the training range, and the error paths (empty data, indices out of range).
 */
#include "bookrec.h"
#include "check.h"
#include <math.h>
#include <stdio.h>

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-5)

int main(void) {
    /* u0: i0=4, i1=3; u1: i0=3, i1=2  ->  mu 3, b_u = +-0.5, b_i = +-0.5 exactly */
    int32_t user[] = {0, 0, 1, 1}, item[] = {0, 1, 0, 1};
    float rating[] = {4, 3, 3, 2};
    bookrec_triples t = {user, item, rating, 4};
    bookrec_error err;
    double mu = 0, mse = -1, mae = -1;

    CHECK(bookrec_global_mean(&t, &mu, &err) == BOOKREC_OK && NEAR(mu, 3.0), "global mean %g", mu);
    CHECK(bookrec_constant_evaluate(3.0, &t, &mse, &mae, &err) == BOOKREC_OK && NEAR(mse, 0.5) && NEAR(mae, 0.5),
          "constant 3: mse %g mae %g", mse, mae);

    bookrec_bias_options none = {5, -1, -1};
    bookrec_bias_model *b = NULL;
    CHECK(bookrec_bias_fit(&t, 2, 2, &none, &b, &err) == BOOKREC_OK && b, "fit: %s", err.msg);
    if (b) {
        CHECK(NEAR(b->mu, 3) && NEAR(b->item_bias[0], 0.5) && NEAR(b->item_bias[1], -0.5) && NEAR(b->user_bias[0], 0.5) &&
              NEAR(b->user_bias[1], -0.5), "biases %g %g %g %g", b->item_bias[0], b->item_bias[1], b->user_bias[0],
              b->user_bias[1]);
        CHECK(bookrec_bias_evaluate(b, &t, &mse, &mae, &err) == BOOKREC_OK && NEAR(mse, 0) && NEAR(mae, 0),
              "exact fit: mse %g", mse);
        CHECK(NEAR(bookrec_bias_predict(b, 7, 0), 3.5), "unknown user gets mu + b_i: %g", bookrec_bias_predict(b, 7, 0));
        b->user_bias[0] = 5; /* would predict 8.5: clamped to the training range 2..4 */
        CHECK(NEAR(bookrec_bias_predict(b, 0, 0), 4), "clamp: %g", bookrec_bias_predict(b, 0, 0));
        bookrec_bias_free(b);
    }

    /* one round with lambda 2: b_i0 = (1 + 0) / (2 + 2), then b_u0 = ((1 - .25) + (0 + .25)) / 4 */
    bookrec_bias_options one = {1, 2, 2};
    b = NULL;
    CHECK(bookrec_bias_fit(&t, 2, 2, &one, &b, &err) == BOOKREC_OK, "fit lambda: %s", err.msg);
    if (b) {
        CHECK(NEAR(b->item_bias[0], 0.25) && NEAR(b->item_bias[1], -0.25) && NEAR(b->user_bias[0], 0.25) &&
              NEAR(b->user_bias[1], -0.25), "shrunk biases %g %g %g %g", b->item_bias[0], b->item_bias[1],
              b->user_bias[0], b->user_bias[1]);
        bookrec_bias_free(b);
    }

    /* errors */
    bookrec_triples empty = {user, item, rating, 0};
    CHECK(bookrec_global_mean(&empty, &mu, &err) == BOOKREC_E_EMPTY, "empty mean");
    b = NULL;
    CHECK(bookrec_bias_fit(&empty, 2, 2, NULL, &b, &err) == BOOKREC_E_EMPTY && !b, "empty fit");
    CHECK(bookrec_bias_fit(&t, 1, 2, NULL, &b, &err) == BOOKREC_E_ARG && !b, "user index out of range accepted");
    CHECK(err.msg[0] != '\0', "no message for out of range");
    CHECK(bookrec_bias_fit(&t, 0, 2, NULL, &b, &err) == BOOKREC_E_ARG, "n_users 0 accepted");
    CHECK(bookrec_constant_evaluate(NAN, &t, &mse, &mae, &err) == BOOKREC_E_ARG, "NaN constant accepted");
    CHECK(bookrec_bias_evaluate(NULL, &t, &mse, &mae, &err) == BOOKREC_E_ARG, "NULL model accepted");
    bookrec_bias_free(NULL);

    if (failures) printf("%d failure(s)\n", failures);
    else printf("baseline tests passed\n");
    return failures ? 1 : 0;
}
