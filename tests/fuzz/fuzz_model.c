/*
 * fuzz_model.c - libFuzzer target for the model loader (bookrec_model_load from a memory buffer, as the
 * browser hands it bytes).
 *
 * Byte 0 of the input is a mode byte; the rest is the model file. When bit 0 of the mode is set, the
 * target first rewrites the file's checksum to match its contents (fuzz_fix_checksum), so mutations
 * reach the code behind the checksum check instead of all dying there. Whenever a model loads, the
 * target exercises it: predictions, user states, score_all, recommend, similar, fold_in, and a save ->
 * load round trip in every dtype that must give back the same shape and, for f32, the same predictions.
 * Not a test of the format itself: tests/test_*.c do that.
 */
#include "bookrec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checksum.h"

#define CHECK_ABORTS 1 /* a failed check is a crash, which is what libFuzzer reports */
#include "../check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_float(float a, float b) {
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void exercise(bookrec_model *m) {
    bookrec_error err;
    const bookrec_model_config *cfg = bookrec_model_get_config(m);
    CHECK(cfg != NULL);
    int nu = cfg->n_users, ni = cfg->n_items;
    CHECK(nu >= 0 && ni >= 0);
    if (ni > (1 << 22) || nu > (1 << 22)) return; /* keep the fuzzer inside its memory limit */

    /* predictions, including out-of-range arguments that must give NaN, not a crash */
    (void)bookrec_model_predict(m, 0, 0);
    CHECK(isnan(bookrec_model_predict(m, -1, 0)));
    CHECK(isnan(bookrec_model_predict(m, 0, ni)));
    CHECK(isnan(bookrec_model_predict(m, nu, 0)));
    int32_t us[3] = {0, nu - 1, nu > 1 ? 1 : 0}, is[3] = {ni - 1, 0, ni > 1 ? 1 : 0};
    float out[3];
    if (nu > 0 && ni > 0 && bookrec_model_has_users(m))
        (void)bookrec_model_predict_many(m, us, is, 3, out, &err);
    int32_t bad_u[1] = {nu};
    CHECK(bookrec_model_predict_many(m, bad_u, is, 1, out, &err) != BOOKREC_OK);

    int ss = bookrec_model_user_state_size(m);
    CHECK(ss >= 0 && ss < (1 << 20));
    float *state = calloc((size_t)ss + 1, sizeof *state);
    float *scores = malloc(((size_t)ni + 1) * sizeof *scores);
    int32_t top[10];
    float tops[10];
    if (state && scores && ni > 0) {
        if (nu > 0 && bookrec_model_has_users(m) && bookrec_model_user_state(m, nu - 1, state, &err) == BOOKREC_OK) {
            if (bookrec_model_score_all(m, state, scores, &err) == BOOKREC_OK) {
                int n = bookrec_topk(scores, ni, is, 1, 10, top, tops);
                CHECK(n >= 0 && n <= 10);
                for (int k = 0; k < n; k++) CHECK(top[k] >= 0 && top[k] < ni);
            }
            int n = bookrec_model_recommend(m, 0, is, 2, 10, top, tops, &err);
            CHECK(n >= -1 && n <= 10);
        }
        CHECK(bookrec_model_user_state(m, nu, state, &err) != BOOKREC_OK);
        int n = bookrec_model_similar(m, ni - 1, NULL, 0, 10, top, tops, &err);
        CHECK(n >= -1 && n <= 10);
        for (int k = 0; k < n; k++) CHECK(top[k] >= 0 && top[k] < ni && top[k] != ni - 1);
        CHECK(bookrec_model_similar(m, ni, NULL, 0, 10, top, tops, &err) == -1);
        int32_t fi[2] = {0, ni - 1};
        float fr[2] = {cfg->max_rating, cfg->min_rating};
        bookrec_foldin_options fo = {5, 0.05f, 0.05f};
        (void)bookrec_model_fold_in(m, fi, fr, 2, &fo, state, &err);
        float nanr[1] = {NAN};
        CHECK(bookrec_model_fold_in(m, fi, nanr, 1, &fo, state, &err) != BOOKREC_OK);
    }
    free(state);
    free(scores);

    /* save -> load round trip in every storage type */
    for (int dt = BOOKREC_F32; dt <= BOOKREC_Q8; dt++) {
        bookrec_save_options so;
        memset(&so, 0, sizeof so);
        so.parts = bookrec_model_has_users(m) ? 0 : BOOKREC_PART_ITEMS;
        so.embeddings = (bookrec_dtype)dt;
        uint8_t *buf = NULL;
        size_t len = 0;
        if (bookrec_model_save(m, &so, &buf, &len, &err) != BOOKREC_OK) {
            CHECK(buf == NULL);
            continue;
        }
        bookrec_model *m2 = NULL;
        int rc = bookrec_model_load(buf, len, &m2, &err);
        if (rc != BOOKREC_OK) abort(); /* what bookrec writes, bookrec must read */
        const bookrec_model_config *c2 = bookrec_model_get_config(m2);
        CHECK(c2->arch == cfg->arch && c2->n_users == nu && c2->n_items == ni && c2->dim == cfg->dim);
        /* predict uses the book-side cache once prepared (a different summation order), so compare the two
           models in the same state: both prepared */
        if (dt == BOOKREC_F32 && nu > 0 && ni > 0 && bookrec_model_has_users(m) &&
            bookrec_model_prepare(m, &err) == BOOKREC_OK && bookrec_model_prepare(m2, &err) == BOOKREC_OK) {
            CHECK(same_float(bookrec_model_predict(m, 0, 0), bookrec_model_predict(m2, 0, 0)));
            CHECK(same_float(bookrec_model_predict(m, nu - 1, ni - 1), bookrec_model_predict(m2, nu - 1, ni - 1)));
        }
        bookrec_model_free(m2);
        bookrec_free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    data += 1;
    size -= 1;
    uint8_t *buf = malloc(size ? size : 1); /* exactly sized: ASan sees any read past len */
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    if (mode & 1) fuzz_fix_checksum(buf, size);

    bookrec_model *m = NULL;
    bookrec_error err;
    int rc = bookrec_model_load(buf, size, &m, &err);
    if (rc == BOOKREC_OK) {
        CHECK(m != NULL);
        exercise(m);
        bookrec_model_free(m);
    } else {
        CHECK(m == NULL);
        CHECK(err.code == rc && memchr(err.msg, 0, sizeof err.msg) != NULL && err.msg[0] != 0);
    }
    free(buf);
    return 0;
}
