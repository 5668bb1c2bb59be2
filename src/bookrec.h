/*
 * bookrec.h - the public API of the bookrec core.
 *
 * The core is plain C11 and is compiled twice: natively (CLI, tests, benchmarks)
 * and with Emscripten (the browser module). It parses ratings and items from
 * memory buffers, trains and evaluates the models, serialises them to and from
 * memory buffers, scores and ranks books, and folds new readers in. It does no
 * file I/O, starts no threads and never exits: callers read files, hand in a
 * parallel-for callback if they want threads, and own every output buffer.
 *
 * Conventions: every fallible function returns a bookrec_status (BOOKREC_OK is
 * 0) and, when `err` is not NULL, fills it with a readable message that says
 * what and where. bookrec_x_free(NULL) is a no-op. Users and items are dense
 * indices 0..n-1 inside the core; external ids (strings as they appear in the
 * CSV) are kept in id tables that travel with the dataset and the model.
 */
#ifndef BOOKREC_H
#define BOOKREC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BOOKREC_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- errors */

typedef enum bookrec_status {
    BOOKREC_OK = 0,
    BOOKREC_E_NOMEM = 1,  /* an allocation failed */
    BOOKREC_E_ARG = 2,    /* a bad argument: NULL, out of range, NaN, unknown id */
    BOOKREC_E_PARSE = 3,  /* malformed CSV input */
    BOOKREC_E_FORMAT = 4, /* malformed, truncated, corrupt or wrong-version model file */
    BOOKREC_E_STATE = 5,  /* the object is not in a state that allows the call */
    BOOKREC_E_EMPTY = 6   /* no usable data (empty file, no rows left) */
} bookrec_status;

/* A detailed error: the code and a message naming what and where. */
typedef struct bookrec_error {
    int code;
    char msg[512];
} bookrec_error;

/* Returns a static, generic description of a status code. */
const char *bookrec_strerror(int code);

/* ---------------------------------------------------------------- kernels */

/* Forces the scalar kernels (1) or allows SIMD (0); returns the previous value. */
int bookrec_force_scalar(int on);

/* Names the kernel path in use: "avx2", "sse", "wasm-simd128" or "scalar". */
const char *bookrec_kernel_name(void);

/* ------------------------------------------------------------- id tables */

/* An ordered table of external ids (strings); index = dense id. */
typedef struct bookrec_ids bookrec_ids;

/* Returns the number of ids in the table (0 for NULL). */
int bookrec_ids_count(const bookrec_ids *ids);

/* Returns the external id of dense index i (NUL-terminated, owned by the table), or NULL when out of range. */
const char *bookrec_ids_get(const bookrec_ids *ids, int i);

/* Returns the dense index of external id `id` (len bytes, or strlen when len < 0), or -1 when unknown. */
int bookrec_ids_find(const bookrec_ids *ids, const char *id, int len);

/* ---------------------------------------------------------------- ratings */

/* Options for reading a ratings CSV; zero-initialised means goodbooks defaults. */
typedef struct bookrec_csv_options {
    const char *user_col;   /* header name of the user column; NULL means "user_id" */
    const char *item_col;   /* header name of the item column; NULL means "book_id" */
    const char *rating_col; /* header name of the rating column; NULL means "rating" */
    const char *source;     /* name used in error messages (e.g. the path); NULL means "<buffer>" */
    int skip_bad;           /* 1: skip and count malformed rows instead of failing */
    float min_rating;       /* accepted range; both 0 means 1..5 when the column is integral */
    float max_rating;       /*   1..5 goodbooks, else the range found in the data (half stars allowed) */
    int max_id_len;         /* longest accepted id in bytes; 0 means 64 */
} bookrec_csv_options;

/* One user's or the whole dataset's ratings, as parallel arrays of length n. */
typedef struct bookrec_triples {
    int32_t *user;  /* dense user index */
    int32_t *item;  /* dense item index */
    float *rating;
    size_t n;
} bookrec_triples;

/* A parsed, de-duplicated ratings dataset with its id tables. */
typedef struct bookrec_ratings {
    bookrec_triples all;   /* every kept rating, in file order of the kept (last) occurrence */
    bookrec_ids *users;    /* external user ids */
    bookrec_ids *items;    /* external item ids */
    size_t rows_read;      /* data rows in the file */
    size_t rows_skipped;   /* malformed rows skipped (skip_bad only) */
    size_t duplicates;     /* (user, item) pairs seen more than once, merged keeping the last */
    size_t conflicting;    /* of those, pairs whose ratings differed */
    float min_rating, max_rating; /* the rating scale in force */
    int integral;          /* 1 when every rating is a whole number */
} bookrec_ratings;

/* Parses a ratings CSV held in buf[0..len); on success *out is a new dataset the caller frees with bookrec_ratings_free. */
int bookrec_ratings_parse(const char *buf, size_t len, const bookrec_csv_options *opt,
                          bookrec_ratings **out, bookrec_error *err);

/* Frees a dataset. */
void bookrec_ratings_free(bookrec_ratings *r);

/* Splits r->all into train and test parts with a seeded shuffle; the caller frees both with bookrec_triples_free. */
int bookrec_split(const bookrec_ratings *r, double test_fraction, uint64_t seed,
                  bookrec_triples *train, bookrec_triples *test, bookrec_error *err);

/* Allocates the three arrays of t for n triples (t->n = n); returns BOOKREC_E_NOMEM on failure. */
int bookrec_triples_alloc(bookrec_triples *t, size_t n);

/* Frees the arrays of t (not t itself) and zeroes it. */
void bookrec_triples_free(bookrec_triples *t);

/* ------------------------------------------------------------------ items */

/* Options for reading an items CSV (books.csv); zero-initialised means goodbooks columns. */
typedef struct bookrec_items_options {
    const char *id_col;       /* NULL means "book_id" */
    const char *title_col;    /* NULL means "title" */
    const char *author_col;   /* NULL means "authors" */
    const char *image_col;    /* NULL means "image_url"; missing column allowed */
    const char *small_image_col; /* NULL means "small_image_url"; missing column allowed */
    const char *year_col;     /* NULL means "original_publication_year"; missing column allowed */
    const char *avg_col;      /* NULL means "average_rating"; missing column allowed */
    const char *extra_col;    /* NULL means "goodreads_book_id"; missing column allowed (joins book_tags.csv) */
    const char *source;       /* name used in error messages */
    int skip_bad;
} bookrec_items_options;

/* One item's display fields; strings are NUL-terminated UTF-8 owned by the table ("" when absent). */
typedef struct bookrec_item {
    const char *id, *title, *authors, *image_url, *small_image_url, *extra;
    int year;            /* 0 when unknown */
    float avg_rating;    /* 0 when unknown */
} bookrec_item;

/* A parsed items table. */
typedef struct bookrec_items {
    bookrec_item *item;
    int n;
    bookrec_ids *ids;   /* external ids in table order, for lookups */
    size_t rows_skipped;
} bookrec_items;

/* Parses an items CSV (RFC 4180 quoting, UTF-8, optional BOM, LF or CRLF); the caller frees *out with bookrec_items_free. */
int bookrec_items_parse(const char *buf, size_t len, const bookrec_items_options *opt,
                        bookrec_items **out, bookrec_error *err);

/* Frees an items table. */
void bookrec_items_free(bookrec_items *it);

/* ------------------------------------------------------------------ model */

typedef enum bookrec_arch {
    BOOKREC_ARCH_SEED = 0, /* the tutorial: [book;user] -> Dense(h, ReLU) -> Dense(1, ReLU) */
    BOOKREC_ARCH_MF = 1,   /* mu + b_u + b_i + <p_u, q_i> */
    BOOKREC_ARCH_NCF = 2   /* mu + b_u + b_i + <p_u, q_i> + w2 . ReLU(W1 [q_i; p_u] + b1) + c, linear output */
} bookrec_arch;

/* What a model is made of; bookrec_model_config_default fills the tutorial's values. */
typedef struct bookrec_model_config {
    bookrec_arch arch;
    int n_users, n_items;
    int dim;             /* embedding size (15) */
    int hidden;          /* dense width for seed/ncf (128); ignored by mf */
    int implicit;        /* 1: user vector += |N(u)|^-1/2 sum of implicit item factors y_j (SVD++) */
    float init_scale;    /* embeddings uniform in +-init_scale (0.05, Keras) */
    float global_mean;   /* mu for mf/ncf; set from the training data by the trainer */
    float min_rating, max_rating; /* predictions of mf/ncf are clamped to this range */
    uint64_t seed;       /* initialisation seed */
    int n_tags;          /* >0 (mf/ncf): book features. While training, book i's vector is q_i + sum_t w_it g_t and
                            its bias b_i + sum_t w_it c_t, with tag rows g [n_tags, dim], c [n_tags] learned and the
                            weights w set by bookrec_model_set_tags; when training ends the sums are folded into
                            item_emb / item_bias, so prediction, the model file and the browser need nothing new
                            (a saved and reloaded model has n_tags 0). 0: no tags */
} bookrec_model_config;

/* Fills cfg with the tutorial's seed model: dim 15, hidden 128, init 0.05, ratings 1..5, seed 1. */
void bookrec_model_config_default(bookrec_model_config *cfg);

/* A model: one contiguous parameter block with named views, plus id tables and caches. */
typedef struct bookrec_model bookrec_model;

/* Creates an initialised model (Keras-style initialisation from cfg->seed); free with bookrec_model_free. */
int bookrec_model_create(const bookrec_model_config *cfg, bookrec_model **out, bookrec_error *err);

/* Frees a model and everything it owns. */
void bookrec_model_free(bookrec_model *m);

/* Returns the model's configuration (owned by the model). */
const bookrec_model_config *bookrec_model_get_config(const bookrec_model *m);

/* Gives the model copies of the id tables (either may be NULL to keep the current one). */
int bookrec_model_set_ids(bookrec_model *m, const bookrec_ids *users, const bookrec_ids *items, bookrec_error *err);

/* Returns the model's user id table (may be NULL when none was set or users were not loaded). */
const bookrec_ids *bookrec_model_users(const bookrec_model *m);

/* Returns the model's item id table (may be NULL when none was set). */
const bookrec_ids *bookrec_model_items(const bookrec_model *m);

/* Returns 1 when the model holds the per-user parameters (the users part may be loaded separately). */
int bookrec_model_has_users(const bookrec_model *m);

/* Number of floats in the parameter block; *params (if not NULL) receives a pointer to it (owned by the model). */
size_t bookrec_model_params(bookrec_model *m, float **params);

/* Sets the implicit-feedback sets N(u) used by implicit models: for each user, the items it rated or wants to read.
   `sets` is CSR: items[offsets[u] .. offsets[u+1]) for u in 0..n_users-1; the model copies them. When no sets
   were given, bookrec_train uses the items each user rated in its training data. Outside bookrec_train an
   implicit model's user vectors already include |N(u)|^-1/2 sum y_j (so user_state, predict and saved models need
   no sets); fold_in adds the implicit sum of the reader's rated items. Only mf/ncf can be implicit. */
int bookrec_model_set_implicit(bookrec_model *m, const int32_t *offsets, const int32_t *items, bookrec_error *err);

/* Sets each book's tags for a model created with n_tags > 0: CSR over items, tags[offsets[i] .. offsets[i+1])
   (tag indices 0..n_tags-1) with weights[] (finite, >= 0) for i in 0..n_items-1; copied. */
int bookrec_model_set_tags(bookrec_model *m, const int32_t *offsets, const int32_t *tags, const float *weights,
                           bookrec_error *err);

/* --- user state: what a reader is to the model (vector, bias, implicit sum) --- */

/* Number of floats in a user state for this model: [user vector (dim) | user bias (1 for mf/ncf, none for seed)]. */
int bookrec_model_user_state_size(const bookrec_model *m);

/* Writes dataset user u's state into out[0 .. user_state_size). */
int bookrec_model_user_state(const bookrec_model *m, int user, float *out, bookrec_error *err);

/* --- prediction and ranking --- */

/* Predicted rating of dense user u for dense item i; returns NaN on bad arguments. */
float bookrec_model_predict(const bookrec_model *m, int user, int item);

/* Predicts n (user, item) pairs into out[0..n); returns BOOKREC_E_ARG if any index is out of range. */
int bookrec_model_predict_many(const bookrec_model *m, const int32_t *users, const int32_t *items, size_t n,
                               float *out, bookrec_error *err);

/* Precomputes the book-side caches used by score_all and similar (called lazily by them; idempotent). */
int bookrec_model_prepare(bookrec_model *m, bookrec_error *err);

/* Scores every item for a user state into scores[0 .. n_items); the state comes from user_state or fold_in.
   These are ranking scores: mf/ncf values are not clamped to the rating range (clamp them for display). */
int bookrec_model_score_all(bookrec_model *m, const float *state, float *scores, bookrec_error *err);

/* Writes the k best indices by score (descending, ties by lower index) into out_idx[0..k) and their scores into
   out_score (may be NULL), skipping indices listed in exclude[0..n_exclude) (entries outside 0..n-1 are
   ignored) and scores that are NaN; returns the number written (min(k, eligible)), or -1 on bad arguments. */
int bookrec_topk(const float *scores, int n, const int32_t *exclude, int n_exclude, int k,
                 int32_t *out_idx, float *out_score);

/* Top-k items for dataset user u, leaving out the given items; returns the count written or -1 (err filled).
   Ranked by score_all's scores; out_score holds the predicted ratings (clamped to the scale for mf/ncf). */
int bookrec_model_recommend(bookrec_model *m, int user, const int32_t *exclude, int n_exclude, int k,
                            int32_t *out_idx, float *out_score, bookrec_error *err);

/* Top-k items by cosine similarity of item embeddings to item i (i itself excluded); returns the count or -1. */
int bookrec_model_similar(bookrec_model *m, int item, const int32_t *exclude, int n_exclude, int k,
                          int32_t *out_idx, float *out_score, bookrec_error *err);

/* Options for folding a new reader in. */
typedef struct bookrec_foldin_options {
    int iters;      /* optimiser steps for nonlinear models; 0 means 200 */
    float lr;       /* 0 means 0.05 */
    float l2;       /* 0 means 0.05: pull toward the zero / mean user */
} bookrec_foldin_options;

/* Fits a new reader's state from n (item, rating) pairs with the item side frozen; writes it to state_out. */
int bookrec_model_fold_in(bookrec_model *m, const int32_t *items, const float *ratings, int n,
                          const bookrec_foldin_options *opt, float *state_out, bookrec_error *err);

/* ----------------------------------------------------------- model files */

/* Storage of float tensors in a model file. */
typedef enum bookrec_dtype {
    BOOKREC_F32 = 0,
    BOOKREC_F16 = 1,
    BOOKREC_Q8 = 2   /* int8 per row with one f32 scale per row (2-D tensors) */
} bookrec_dtype;

/* What to write: which parts, and how embedding tables are stored. */
typedef struct bookrec_save_options {
    int parts;                /* bit 1: item side + network, bit 2: users; 0 means both */
    bookrec_dtype embeddings; /* storage of the embedding tables (default F32); dense layers are always F32 */
} bookrec_save_options;

#define BOOKREC_PART_ITEMS 1
#define BOOKREC_PART_USERS 2

/* Serialises the model into a new buffer *out of *out_len bytes, freed by the caller with bookrec_free. */
int bookrec_model_save(const bookrec_model *m, const bookrec_save_options *opt,
                       uint8_t **out, size_t *out_len, bookrec_error *err);

/* Loads a model from buf[0..len); every size is checked against len. */
int bookrec_model_load(const uint8_t *buf, size_t len, bookrec_model **out, bookrec_error *err);

/* Adds the users part from a second file written with parts = BOOKREC_PART_USERS for the same model. */
int bookrec_model_load_users(bookrec_model *m, const uint8_t *buf, size_t len, bookrec_error *err);

/* Frees memory returned by the core (model_save buffers). */
void bookrec_free(void *p);

/* ------------------------------------------------------------- training */

/* Runs fn(arg, t) for t in 0..n_tasks-1, possibly in parallel, and returns when all are done. */
typedef void (*bookrec_task_fn)(void *arg, int t);
typedef void (*bookrec_parallel_fn)(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks);

/* Per-epoch figures. */
typedef struct bookrec_epoch_stats {
    int epoch;                 /* 1-based */
    double train_mse, train_rmse, train_mae; /* running averages over the epoch's batches */
    double test_mse, test_rmse, test_mae;    /* on the `valid` triples handed to bookrec_train */
    double seconds;            /* wall time is measured by the caller; the core leaves 0 */
} bookrec_epoch_stats;

/* Training options; bookrec_train_options_default fills the tutorial's values. */
typedef struct bookrec_train_options {
    int epochs;                /* 5 */
    int batch;                 /* 64 */
    float lr;                  /* 1e-3 */
    float beta1, beta2, eps;   /* 0.9, 0.999, 1e-7 */
    float l2;                  /* L2 on the embedding rows and biases a batch touches (0 for seed): the batch
                                  loss is (1/n) sum_e [(y_e - r_e)^2 + l2 (|q_i|^2 + |p_u|^2 + b_i^2 + b_u^2)] */
    float l2_dense;            /* L2 on the dense weights (0): + l2_dense (|dense1_w|^2 + |dense2_w|^2) per batch */
    int lazy_adam;             /* 1: Adam updates only the embedding rows a batch touches (default 1) */
    int patience;              /* >0: stop when valid RMSE has not improved for this many epochs, keep the best */
    uint64_t seed;             /* shuffling seed (1) */
    int n_tasks;               /* the batch is split into this many equal slices (the thread count), 1.. */
    bookrec_parallel_fn parallel; /* NULL: run the slices in turn */
    void *parallel_ctx;
    /* called after every `progress_every` batches and at the end of each epoch; done and total count training
       ratings (rows) of the epoch, running_mse is the epoch's mean squared error so far; returning non-zero
       stops training */
    int (*progress)(void *ctx, int epoch, size_t done, size_t total, double running_mse);
    void *progress_ctx;
    size_t progress_every;
    /* called at the end of each epoch with that epoch's figures; returning non-zero stops training */
    int (*on_epoch)(void *ctx, const bookrec_epoch_stats *s);
    void *on_epoch_ctx;
    float l2_row;              /* per-row L2 (0): each occurrence of a row adds l2_row / (the row's ratings in the
                                  training data) to its l2, so an epoch penalises every row by l2_row |row|^2 once,
                                  shrinking rarely seen users and books most (as ridge regression per row does) */
    int group_users;           /* 1: each epoch visits the users in a shuffled order, each user's ratings together
                                  (shuffled), so a batch holds few users: implicit models compute and update each
                                  user's implicit sum once per batch instead of once per rating (much faster) */
} bookrec_train_options;

/* Fills o with the tutorial's training setup. */
void bookrec_train_options_default(bookrec_train_options *o);

/* Trains m on `train`, evaluating on `valid` (may be NULL) after every epoch; writes up to `max_history`
   epoch records into history (may be NULL) and their count into *n_history. Same seed and n_tasks give a
   bit-identical model. */
int bookrec_train(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *valid,
                  const bookrec_train_options *opt, bookrec_epoch_stats *history, int max_history,
                  int *n_history, bookrec_error *err);

/* Mean squared and absolute error of m on t. */
int bookrec_evaluate(const bookrec_model *m, const bookrec_triples *t, double *mse, double *mae, bookrec_error *err);

/* ------------------------------------------------------------- evaluation (src/eval.c) */
/* Ranking evaluation, the new-reader protocol and seeded splits of triples. A "known" set is what the
   ranker may use and must not recommend (training ratings, or a new reader's fold-in ratings); a
   "target" set holds the held-out ratings whose relevant ones (rating >= threshold) the top-k should find.
   HR@k = 1 when any relevant item is in the top k; NDCG@k uses binary relevance, DCG = sum over hits at
   1-based rank p of 1/log2(p+1), divided by the ideal DCG over min(k, #relevant) ranks; Recall@k = hits /
   #relevant (the standard definition, so it can stay below 1 when #relevant > k); coverage@k = distinct
   items over all top-k lists / n_items. Users with no relevant target item are skipped, not counted as 0. */

/* Returns the default relevance threshold of a rating scale: min + 0.75 (max - min), i.e. 4 on 1..5, 7.75 on 1..10. */
float bookrec_relevance_threshold(float min_rating, float max_rating);

/* One reader to score: a dataset user (user >= 0) or a new reader (user = -1); items/ratings[0..n) are
   the ratings the ranker may use (training ratings, or the fold-in ratings of a new reader). */
typedef struct bookrec_reader {
    int user;
    const int32_t *items;
    const float *ratings;
    int n;
} bookrec_reader;

/* Scores every item for a reader into scores[0..n_items); higher is better, NaN means "never rank".
   Must be safe to call from several threads at once when the evaluator is given a parallel callback. */
typedef int (*bookrec_score_fn)(void *ctx, const bookrec_reader *reader, float *scores, int n_items,
                                bookrec_error *err);

/* Ranking figures of one list, or averages over users. */
typedef struct bookrec_rank_metrics {
    double hr, ndcg, recall;
    int hits;          /* relevant items in the list (for one user; for averages, the total) */
} bookrec_rank_metrics;

/* Computes HR@k, NDCG@k and Recall@k of the ranked list top[0..n_top) against relevant[0..n_relevant) (distinct). */
int bookrec_rank_list_metrics(const int32_t *top, int n_top, const int32_t *relevant, int n_relevant, int k,
                              bookrec_rank_metrics *out, bookrec_error *err);

/* Ranks scores[0..n_items) leaving out exclude[0..n_exclude) and NaN scores (ties by lower index), writes the
   top k into top_out[0..k) and *n_top, and computes the list's metrics against relevant[0..n_relevant). */
int bookrec_rank_user(const float *scores, int n_items, const int32_t *exclude, int n_exclude,
                      const int32_t *relevant, int n_relevant, int k, int32_t *top_out, int *n_top,
                      bookrec_rank_metrics *out, bookrec_error *err);

/* Options of the ranking evaluators; zero-initialised means k 10, threshold from a 1..5 scale, all users, serial. */
typedef struct bookrec_rank_options {
    int k;                        /* list length; 0 means 10 */
    float threshold;              /* relevant when rating >= threshold; 0 means bookrec_relevance_threshold(scale) */
    float min_rating, max_rating; /* the rating scale; both 0 mean 1..5 */
    int max_users;                /* >0: evaluate at most this many users, evenly spaced (deterministic); 0: all */
    int n_tasks;                  /* users are cut into this many contiguous chunks; 0 means 1 */
    bookrec_parallel_fn parallel; /* NULL: run the chunks in turn */
    void *parallel_ctx;
} bookrec_rank_options;

/* Result of a ranking evaluation: metrics averaged over the users with >= 1 relevant target item. */
typedef struct bookrec_rank_result {
    int k;
    float threshold;
    double hr, ndcg, recall;  /* means over the evaluated users */
    double coverage;          /* distinct items in all top-k lists / n_items */
    int n_users;              /* users evaluated (>= 1 relevant target item) */
    int n_skipped;            /* users with target ratings but none relevant */
    size_t n_relevant;        /* relevant target items over the evaluated users */
    size_t n_hits;            /* relevant items found in the top-k lists */
} bookrec_rank_result;

/* Ranks for every dataset user with a relevant item in `test`, excluding the user's `train` items, and averages
   the metrics into *out; the figures do not depend on n_tasks. */
int bookrec_rank_evaluate(int n_users, int n_items, const bookrec_triples *train, const bookrec_triples *test,
                          bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                          bookrec_rank_result *out, bookrec_error *err);

/* Same for new readers: each user of `foldin` is scored as reader -1 from its fold-in ratings, which are excluded
   from its ranking; relevant items come from `target`. */
int bookrec_rank_evaluate_new(int n_users, int n_items, const bookrec_triples *foldin, const bookrec_triples *target,
                              bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                              bookrec_rank_result *out, bookrec_error *err);

/* Writes the popularity scores (number of ratings per item in t) into scores[0..n_items). */
int bookrec_popularity(const bookrec_triples *t, int n_items, float *scores, bookrec_error *err);

/* Same, counting only ratings >= min_rating ("liked by many"; NaN is refused). */
int bookrec_popularity_min(const bookrec_triples *t, int n_items, float min_rating, float *scores,
                           bookrec_error *err);

/* A fixed score vector for every reader (popularity, item bias...): ctx of bookrec_score_fixed. */
typedef struct bookrec_fixed_scorer {
    const float *scores;
    int n_items;
} bookrec_fixed_scorer;

/* Scorer that copies a bookrec_fixed_scorer's vector for every reader (new readers get the same ranking). */
int bookrec_score_fixed(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err);

/* A model as a ranker: ctx of bookrec_score_model. */
typedef struct bookrec_model_scorer {
    bookrec_model *model;          /* call bookrec_model_prepare before scoring from several threads */
    bookrec_foldin_options foldin; /* used for new readers */
} bookrec_model_scorer;

/* Scorer that uses the model's score_all on a dataset user's state, or on a new reader's folded-in state. */
int bookrec_score_model(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err);

/* Splits t into keep and held parts, round(fraction * n) triples held, chosen by a seeded shuffle; both keep
   t's order; the caller frees both with bookrec_triples_free. */
int bookrec_triples_split(const bookrec_triples *t, double fraction, uint64_t seed,
                          bookrec_triples *keep, bookrec_triples *held, bookrec_error *err);

/* Options of the new-reader split; zero-initialised means 1000 readers with >= 20 ratings, 10 fold-in ratings, seed 1. */
typedef struct bookrec_newreader_options {
    int n_readers;    /* readers held out; 0 means 1000 (fewer when fewer users qualify) */
    int min_ratings;  /* a reader qualifies with at least this many ratings; 0 means 20 */
    int n_foldin;     /* ratings each reader is folded in from; 0 means 10 */
    uint64_t seed;    /* 0 means 1 */
} bookrec_newreader_options;

/* Holds readers out of `all` entirely: train receives every rating of the other users (in order), foldin the
   n_foldin seeded-chosen ratings of each held-out reader and target the rest of theirs; *n_readers (may be
   NULL) receives how many were held out. The caller frees the three parts with bookrec_triples_free. */
int bookrec_split_new_readers(const bookrec_triples *all, int n_users, const bookrec_newreader_options *opt,
                              bookrec_triples *train, bookrec_triples *foldin, bookrec_triples *target,
                              int *n_readers, bookrec_error *err);

/* ------------------------------------------------------------- baselines (src/baseline.c) */
/* The two reference predictors `bookrec eval` puts beside the models: the global mean of the training
   ratings, and the user+book bias model r = mu + b_u + b_i fitted by a few rounds of regularised
   alternating least squares (each b_i, then each b_u, in closed form). Predictions are clamped to the
   rating range seen in training. */

/* Options of the bias baseline; zero-initialised means 10 rounds, lambda_item 5, lambda_user 5. */
typedef struct bookrec_bias_options {
    int iters;          /* ALS rounds; 0 means 10 */
    float lambda_item;  /* shrinkage of b_i toward 0 (in "ratings"); 0 means 5, <0 means none */
    float lambda_user;  /* shrinkage of b_u toward 0; 0 means 5, <0 means none */
} bookrec_bias_options;

/* A fitted bias baseline. */
typedef struct bookrec_bias_model {
    float mu;                     /* global mean of the training ratings */
    int n_users, n_items;
    float *user_bias, *item_bias; /* 0 for users/items without training ratings */
    float min_rating, max_rating; /* predictions are clamped to this range */
} bookrec_bias_model;

/* Mean of the ratings of t into *mu (BOOKREC_E_EMPTY when t is empty). */
int bookrec_global_mean(const bookrec_triples *t, double *mu, bookrec_error *err);

/* Fits mu + b_u + b_i on `train` (indices must be < n_users / n_items); free *out with bookrec_bias_free. */
int bookrec_bias_fit(const bookrec_triples *train, int n_users, int n_items, const bookrec_bias_options *opt,
                     bookrec_bias_model **out, bookrec_error *err);

/* Predicted rating of the bias baseline (mu for out-of-range indices), clamped to the training range. */
float bookrec_bias_predict(const bookrec_bias_model *b, int user, int item);

/* Mean squared and absolute error of the bias baseline on t. */
int bookrec_bias_evaluate(const bookrec_bias_model *b, const bookrec_triples *t, double *mse, double *mae,
                          bookrec_error *err);

/* Mean squared and absolute error of predicting the constant `value` for every rating of t. */
int bookrec_constant_evaluate(double value, const bookrec_triples *t, double *mse, double *mae, bookrec_error *err);

/* Frees a bias baseline. */
void bookrec_bias_free(bookrec_bias_model *b);

/* ------------------------------------------------------------- implicit ALS (src/ials.c) */
/* A top-N model for ranking books for a reader (it does not predict ratings): implicit alternating least
   squares (Hu, Koren & Volinsky 2008) with the frequency-scaled L2 of Rendle et al. 2021. Every rating
   (u, i) with weight w = rating_weight(r) > 0 is an observed pair with target 1 and confidence
   c = 1 + alpha w; every other pair has target 0 and weight w0 = `unobserved`. The model minimises
     L = sum_obs c (1 - x_u.y_i)^2 + w0 sum_unobserved (x_u.y_i)^2 + sum_u lambda_u |x_u|^2 + sum_i lambda_i |y_i|^2
   with lambda_u = lambda (n_u + w0 n_items)^reg_exp and lambda_i = lambda (n_i + w0 n_users)^reg_exp
   (n_u, n_i: the row's observed pairs). A reader's score for book i is dot(x_u, y_i). Factors are
   caller-owned row-major float arrays: users [n_users * dim], books [n_items * dim]. */

#define BOOKREC_IALS_MAX_DIM 256
#define BOOKREC_IALS_N_WEIGHTS 5

/* Options of iALS; zero-initialised means the defaults given below. The same options must be handed to
   fold_in as to fit (the weights, alpha, unobserved, lambda and reg_exp define the model). */
typedef struct bookrec_ials_options {
    int dim;          /* factors per reader and book; 0 means 64; at most BOOKREC_IALS_MAX_DIM */
    int iters;        /* epochs, each a book half-step then a reader half-step (so readers end in step with
                         the books, as fold_in would give them); 0 means 16 */
    float lambda;     /* L2 strength; 0 means 1e-3 (with reg_exp 1), else must be > 0 */
    float reg_exp;    /* exponent nu of the frequency scaling of lambda; 0 means 1 (Rendle et al.), < 0 means
                         none (plain lambda for every row) */
    float alpha;      /* confidence c = 1 + alpha w of an observed pair; 0 means 10, < 0 means 0 */
    float unobserved; /* weight w0 of every unobserved pair; 0 means 1, else must be > 0 */
    int cg_steps;     /* conjugate-gradient steps per row and half-step, warm-started from the row's current
                         value; 0 means 3; < 0 means the exact solve (Cholesky of the d x d system, in double) */
    float init_scale; /* initial factors uniform with standard deviation init_scale / sqrt(dim); 0 means 0.1 */
    uint64_t seed;    /* initialisation seed; 0 means 1 */
    /* Weight of a rating by its position on the scale: rating_weight[k] is the weight at
       min + k/4 (max - min), i.e. of 1..5 stars on a 1..5 scale, linear in between (ratings outside the
       scale are clamped to it). Entries are finite and >= 0; a rating of weight 0 is left out (its pair
       counts as unobserved). All zero means {0, 0, 0.5, 1, 1}: 1 and 2 stars left out, 3 stars half,
       4 and 5 stars full (the defaults were tuned on goodbooks-10k; see ials.c). */
    float rating_weight[BOOKREC_IALS_N_WEIGHTS];
    float min_rating, max_rating; /* the rating scale; both 0 mean 1..5 */
    int n_tasks;      /* rows of each half-step are cut into this many chunks (threads); 0 means 1. The result
                         does not depend on n_tasks */
    bookrec_parallel_fn parallel; /* NULL: run the chunks in turn */
    void *parallel_ctx;
    /* called after each epoch with its 1-based number and the objective L (computing L costs about a
       fifth of an epoch, and only happens when on_epoch is set); returning non-zero stops training */
    int (*on_epoch)(void *ctx, int epoch, double loss);
    void *on_epoch_ctx;
} bookrec_ials_options;

/* Weight of one rating under opt's rating_weight table and scale (0 means the rating is left out); NaN on bad
   options or a NaN rating. */
float bookrec_ials_rating_weight(const bookrec_ials_options *opt, float rating);

/* Trains iALS on `train` (dense indices below n_users / n_items, finite ratings), writing the caller-owned
   user_factors [n_users * dim] and item_factors [n_items * dim] (both initialised from opt->seed), in memory and
   time linear in the ratings, bit-identically for the same options whatever n_tasks is. */
int bookrec_ials_fit(const bookrec_triples *train, int n_users, int n_items, const bookrec_ials_options *opt,
                     float *user_factors, float *item_factors, bookrec_error *err);

/* Writes the Gramian F^T F of n rows of dim factors (row-major [n * dim]) into the caller's gram [dim * dim]. */
int bookrec_ials_gram(const float *factors, int n, int dim, float *gram, bookrec_error *err);

/* Writes into the caller's user_out [dim] a new reader's vector from n (item, rating) pairs (ratings NULL: weight
   1 each) by one exact dim x dim solve in double against the frozen item_factors [n_items * dim] and their
   Gramian gram [dim * dim] (NULL: computed here, O(n_items dim^2)), allocating one dim^2 doubles block per call
   and ignoring opt->dim. */
int bookrec_ials_fold_in(const float *item_factors, const float *gram, int n_items, int dim, const int32_t *items,
                         const float *ratings, int n, const bookrec_ials_options *opt, float *user_out,
                         bookrec_error *err);

/* A trained iALS model as a ranker for the evaluators: the ctx of bookrec_ials_score. */
typedef struct bookrec_ials_scorer {
    const float *user_factors; /* [n_users * dim]; may be NULL when only new readers are scored */
    const float *item_factors; /* [n_items * dim] */
    const float *gram;         /* the books' Gramian [dim * dim] for new readers (NULL: computed per reader) */
    int n_users, n_items, dim;
    const bookrec_ials_options *opt; /* the options the model was fitted with (for new readers) */
} bookrec_ials_scorer;

/* bookrec_score_fn of an iALS model: dot(x_u, y_i) for a dataset user's row or a folded-in new reader. */
int bookrec_ials_score(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err);

/* ------------------------------------------------------------- model tensors (src/inspect.c) */

/* Read-only view of a named parameter tensor ("item_emb", "user_emb", ...): returns its rows x cols
   row-major floats (owned by the model), or NULL when the model has no such tensor. */
const float *bookrec_model_tensor(bookrec_model *m, const char *name, int *rows, int *cols);

#ifdef __cplusplus
}
#endif
#endif /* BOOKREC_H */
