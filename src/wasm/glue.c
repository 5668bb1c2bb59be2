/*
 * glue.c - the thin WebAssembly front-end over the bookrec core.
 *
 * Every function here is exported to JavaScript (EMSCRIPTEN_KEEPALIVE) and takes only plain ints,
 * floats and pointers into the module's memory, so web/bookrec.js can call it with `ccall`-free
 * direct calls. It only marshals: it turns buffers into core calls and remembers the text of the
 * last error in a static buffer that JS reads with bw_last_error(). It holds no recommender logic
 * and does no validation beyond what is needed to avoid handing NULL to the core; the core checks
 * every argument. Not a public C API: only bookrec.js calls these.
 */
#include "bookrec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#define BW_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define BW_EXPORT
#endif

static bookrec_error last_err;

/* Remembers err as the last error when status is not OK; returns status. */
static int keep(int status, const bookrec_error *err) {
    if (status != BOOKREC_OK) {
        last_err.code = status;
        if (err && err->msg[0])
            memcpy(last_err.msg, err->msg, sizeof last_err.msg);
        else
            strncpy(last_err.msg, bookrec_strerror(status), sizeof last_err.msg - 1);
        last_err.msg[sizeof last_err.msg - 1] = '\0';
    }
    return status;
}

/* Remembers a glue-level failure (code and printf-style message) as the last error; returns code. */
static int fail(int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    last_err.code = code;
    vsnprintf(last_err.msg, sizeof last_err.msg, fmt, ap);
    va_end(ap);
    return code;
}

/* Allocates n bytes in the module's memory (0 on failure). */
BW_EXPORT void *bw_malloc(int n) { return n > 0 ? malloc((size_t)n) : NULL; }

/* Frees memory from bw_malloc or from a bw_ call that returns a buffer. */
BW_EXPORT void bw_free(void *p) { free(p); }

/* Returns the text of the last failing call's error (never NULL). */
BW_EXPORT const char *bw_last_error(void) { return last_err.msg; }

/* Returns the status code of the last failing call. */
BW_EXPORT int bw_last_error_code(void) { return last_err.code; }

/* Names the kernel path in use ("wasm-simd128" or "scalar"). */
BW_EXPORT const char *bw_kernel_name(void) { return bookrec_kernel_name(); }

/* Forces the scalar kernels (1) or allows SIMD (0); returns the previous value. */
BW_EXPORT int bw_force_scalar(int on) { return bookrec_force_scalar(on); }

/* Loads a model from buf[0..len); returns the model or 0 (error kept). */
BW_EXPORT bookrec_model *bw_model_load(const uint8_t *buf, int len) {
    bookrec_error err = {0};
    bookrec_model *m = NULL;
    if (len < 0) len = 0;
    static const uint8_t empty[1];
    if (keep(bookrec_model_load(buf ? buf : empty, (size_t)len, &m, &err), &err) != BOOKREC_OK) return NULL;
    return m;
}

/* Adds the users part from buf[0..len); returns a status (error kept). */
BW_EXPORT int bw_model_load_users(bookrec_model *m, const uint8_t *buf, int len) {
    bookrec_error err = {0};
    static const uint8_t empty[1];
    if (len < 0) len = 0;
    return keep(bookrec_model_load_users(m, buf ? buf : empty, (size_t)len, &err), &err);
}

/* Frees a model. */
BW_EXPORT void bw_model_free(bookrec_model *m) { bookrec_model_free(m); }

/* Precomputes the book-side caches; returns a status. */
BW_EXPORT int bw_model_prepare(bookrec_model *m) {
    bookrec_error err = {0};
    return keep(bookrec_model_prepare(m, &err), &err);
}

/* Number of items of the model. */
BW_EXPORT int bw_n_items(const bookrec_model *m) { return m ? bookrec_model_get_config(m)->n_items : 0; }

/* Number of users of the model (the users part may not be loaded). */
BW_EXPORT int bw_n_users(const bookrec_model *m) { return m ? bookrec_model_get_config(m)->n_users : 0; }

/* 1 when the users part is loaded. */
BW_EXPORT int bw_has_users(const bookrec_model *m) { return m ? bookrec_model_has_users(m) : 0; }

/* Architecture code (bookrec_arch). */
BW_EXPORT int bw_arch(const bookrec_model *m) { return m ? (int)bookrec_model_get_config(m)->arch : -1; }

/* Lowest accepted rating. */
BW_EXPORT float bw_min_rating(const bookrec_model *m) { return m ? bookrec_model_get_config(m)->min_rating : 0; }

/* Highest accepted rating. */
BW_EXPORT float bw_max_rating(const bookrec_model *m) { return m ? bookrec_model_get_config(m)->max_rating : 0; }

/* Writes all ids of a table as one NUL-separated buffer (bw_free it) and its byte length to *out_len. */
static char *ids_blob(const bookrec_ids *ids, int *out_len) {
    int n = bookrec_ids_count(ids);
    size_t total = 0;
    for (int i = 0; i < n; i++) total += strlen(bookrec_ids_get(ids, i)) + 1;
    char *buf = malloc(total ? total : 1);
    if (!buf) {
        fail(BOOKREC_E_NOMEM, "out of memory copying %d ids", n);
        return NULL;
    }
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const char *s = bookrec_ids_get(ids, i);
        size_t l = strlen(s) + 1;
        memcpy(buf + at, s, l);
        at += l;
    }
    if (out_len) *out_len = (int)at;
    return buf;
}

/* Returns the item ids in dense order as a NUL-separated buffer (bw_free it); *out_len gets its size. */
BW_EXPORT char *bw_item_ids(const bookrec_model *m, int *out_len) {
    if (out_len) *out_len = 0;
    return m ? ids_blob(bookrec_model_items(m), out_len) : NULL;
}

/* Returns the user ids in dense order as a NUL-separated buffer (bw_free it); *out_len gets its size. */
BW_EXPORT char *bw_user_ids(const bookrec_model *m, int *out_len) {
    if (out_len) *out_len = 0;
    return m ? ids_blob(bookrec_model_users(m), out_len) : NULL;
}

/* Dense index of item id s[0..len), or -1. */
BW_EXPORT int bw_item_find(const bookrec_model *m, const char *s, int len) {
    return m ? bookrec_ids_find(bookrec_model_items(m), s, len) : -1;
}

/* Dense index of user id s[0..len), or -1. */
BW_EXPORT int bw_user_find(const bookrec_model *m, const char *s, int len) {
    return m ? bookrec_ids_find(bookrec_model_users(m), s, len) : -1;
}

/* Number of floats in a user state. */
BW_EXPORT int bw_state_size(const bookrec_model *m) { return m ? bookrec_model_user_state_size(m) : 0; }

/* Writes dataset user u's state into out; returns a status. */
BW_EXPORT int bw_user_state(const bookrec_model *m, int user, float *out) {
    bookrec_error err = {0};
    return keep(bookrec_model_user_state(m, user, out, &err), &err);
}

/* Scores every item for a state into scores[0..n_items); returns a status. */
BW_EXPORT int bw_score_all(bookrec_model *m, const float *state, float *scores) {
    bookrec_error err = {0};
    return keep(bookrec_model_score_all(m, state, scores, &err), &err);
}

/* Top-k of scores[0..n) leaving out exclude[0..n_exclude); returns the count or -1. */
BW_EXPORT int bw_topk(const float *scores, int n, const int32_t *exclude, int n_exclude, int k,
                      int32_t *out_idx, float *out_score) {
    int r = bookrec_topk(scores, n, exclude, n_exclude, k, out_idx, out_score);
    if (r < 0) fail(BOOKREC_E_ARG, "bad top-k arguments (n %d, k %d, %d excluded)", n, k, n_exclude);
    return r;
}

/* Top-k for dataset user u; returns the count or -1 (error kept). */
BW_EXPORT int bw_recommend(bookrec_model *m, int user, const int32_t *exclude, int n_exclude, int k,
                           int32_t *out_idx, float *out_score) {
    bookrec_error err = {0};
    int r = bookrec_model_recommend(m, user, exclude, n_exclude, k, out_idx, out_score, &err);
    if (r < 0) keep(err.code ? err.code : BOOKREC_E_ARG, &err);
    return r;
}

/* Scores every item for a state, then writes its top-k into out_idx/out_score; returns the count or -1. */
BW_EXPORT int bw_recommend_state(bookrec_model *m, const float *state, const int32_t *exclude, int n_exclude,
                                 int k, int32_t *out_idx, float *out_score) {
    int n = bw_n_items(m);
    float *scores = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    bookrec_error err = {0};
    if (!scores) {
        fail(BOOKREC_E_NOMEM, "out of memory for %d scores", n);
        return -1;
    }
    int r = -1;
    if (keep(bookrec_model_score_all(m, state, scores, &err), &err) == BOOKREC_OK)
        r = bw_topk(scores, n, exclude, n_exclude, k, out_idx, out_score);
    free(scores);
    return r;
}

/* Top-k most similar items to item i; returns the count or -1 (error kept). */
BW_EXPORT int bw_similar(bookrec_model *m, int item, const int32_t *exclude, int n_exclude, int k,
                         int32_t *out_idx, float *out_score) {
    bookrec_error err = {0};
    int r = bookrec_model_similar(m, item, exclude, n_exclude, k, out_idx, out_score, &err);
    if (r < 0) keep(err.code ? err.code : BOOKREC_E_ARG, &err);
    return r;
}

/* Folds a new reader in from n (item, rating) pairs into state_out; returns a status. */
BW_EXPORT int bw_fold_in(bookrec_model *m, const int32_t *items, const float *ratings, int n, float *state_out) {
    bookrec_error err = {0};
    return keep(bookrec_model_fold_in(m, items, ratings, n, NULL, state_out, &err), &err);
}

/* Writes the rated books that contributed most to item's score for a top-N state; returns the count or -1. */
BW_EXPORT int bw_explain(bookrec_model *m, const float *state, int item, int k, int32_t *out_idx,
                         float *out_contrib) {
    bookrec_error err = {0};
    int r = bookrec_model_explain(m, state, item, k, out_idx, out_contrib, &err);
    if (r < 0) keep(err.code ? err.code : BOOKREC_E_ARG, &err);
    return r;
}

/* Calibrated match chance (0..1) of a ranking score, or NaN when the model has none. */
BW_EXPORT float bw_match(const bookrec_model *m, float score) { return bookrec_model_match(m, score); }

/* The weight a top-N model gives a rating (NaN for rating models). */
BW_EXPORT float bw_rating_weight(const bookrec_model *m, float rating) { return bookrec_model_rating_weight(m, rating); }

/* Predicts n (user, item) pairs into out; returns a status. */
BW_EXPORT int bw_predict_many(const bookrec_model *m, const int32_t *users, const int32_t *items, int n,
                              float *out) {
    bookrec_error err = {0};
    if (n < 0) return fail(BOOKREC_E_ARG, "negative pair count %d", n);
    return keep(bookrec_model_predict_many(m, users, items, (size_t)n, out, &err), &err);
}

/* Describes tensor t of the model (for benchmarks that rebuild the network elsewhere): writes its rows,
   cols and part into dims[0..3) and returns a pointer to its name, or 0 when t is out of range. The
   floats are then read with bw_tensor_data. */
BW_EXPORT const char *bw_tensor_info(bookrec_model *m, int t, int *dims) {
    const char *name = NULL;
    int rows, cols, part;
    bookrec_model_tensor_at(m, t, &name, &rows, &cols, &part);
    if (name && dims) {
        dims[0] = rows;
        dims[1] = cols;
        dims[2] = part;
    }
    return name;
}

/* Returns a pointer to tensor t's floats (rows x cols, row-major), or 0. */
BW_EXPORT const float *bw_tensor_data(bookrec_model *m, int t) {
    return bookrec_model_tensor_at(m, t, NULL, NULL, NULL, NULL);
}
