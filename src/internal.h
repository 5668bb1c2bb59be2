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

/* ---------------------------------------------------------------- experiments (ratings.c, tune.c, train_run.c) */

/* The seed of the validation part carved from the training part of the train/test split made with seed s. */
static inline uint64_t br_valid_seed(uint64_t s) { return s + 1; }

/* The threads of a ranking that names none (n_tasks 0, no parallel callback): those of the training options. */
static inline void br_rank_threads(bookrec_rank_options *ro, const bookrec_train_options *to) {
    if (ro->n_tasks > 0 || ro->parallel) return;
    ro->n_tasks = to->n_tasks;
    ro->parallel = to->parallel;
    ro->parallel_ctx = to->parallel_ctx;
}

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
void br_matvec_t(float *y, const float *Wt, const float *x, int n_in, int n_out); /* y[o] += sum_k x[k] Wt[k,o] */
float br_relu_dot(const float *a, const float *z, const float *w, int n); /* sum_i max(a[i]+z[i], 0) w[i] */
/* h[o] = max(b[o] + sum_k x[k] Wt[k,o], 0): a dense ReLU layer with the weights stored transposed. */
void br_dense_relu(float *h, const float *Wt, const float *b, const float *x, int n_in, int n_out);
/* Output-layer backward through a ReLU layer h (post-activation): dh[i] = h[i] > 0 ? dy w[i] : 0,
   db[i] += dh[i], dw[i] += dy h[i]. */
void br_relu_grad(float *dh, float *db, float *dw, const float *h, const float *w, float dy, int n);
/* For each r with dh[r] != 0: dx[0..cols) += dh[r] W[r,:] and dW[r,:] += dh[r] x (backward of a ReLU layer). */
void br_relu_bwd(float *dx, float *dW, const float *W, const float *x, const float *dh, int rows, int cols);
/* One Adam step on n parameters with bias-corrected rate lr_t: m,v updated, p -= lr_t m / (sqrt(v) + eps). */
void br_adam(float *p, float *m, float *v, const float *g, int n, float lr_t, float b1, float b2, float eps);

/* ---------------------------------------------------------------- ratings by user (eval.c) */

/* Ratings grouped by user (stable: each user's ratings keep their input order). */
typedef struct br_csr {
    int32_t *off;   /* n_users + 1: user u's ratings are item/rating[off[u] .. off[u+1]) */
    int32_t *item;
    float *rating;
} br_csr;

/* Groups t by user into c (users below n_users, items below n_items, finite ratings, else an error naming `what`
   and the triple); free c with br_csr_free. */
int br_csr_build(const bookrec_triples *t, int n_users, int n_items, const char *what, br_csr *c, bookrec_error *err);

/* Frees c's arrays and zeroes it. */
void br_csr_free(br_csr *c);

/* br_csr_build's checks of t alone (at most INT32_MAX triples, indices in range, finite ratings). */
int br_triples_check(const bookrec_triples *t, int n_users, int n_items, const char *what, bookrec_error *err);

/* ---------------------------------------------------------------- compact top-N training (ials.c, ease.c, topn_experiment.c) */

/* Ratings read in order from triples or from packed records (exactly one of t, p set). */
typedef struct br_rsrc {
    const bookrec_triples *t;
    const bookrec_packed *p;
} br_rsrc;

static inline size_t br_rsrc_n(const br_rsrc *s) { return s->t ? s->t->n : s->p->n; }

static inline void br_rsrc_get(const br_rsrc *s, size_t k, int32_t *user, int32_t *item, float *rating) {
    if (s->t) *user = s->t->user[k], *item = s->t->item[k], *rating = s->t->rating[k];
    else bookrec_packed_get(s->p, k, user, item, rating);
}

/* The observed pairs of an iALS fit grouped by one side's rows: the other side's index in 2 bytes when that side
   has at most 65,536 rows (idx16, else idx32), the confidence as a 1-byte code into br_ials_data.tab (code, else
   conf when there are more than 256 distinct confidences). */
typedef struct br_ials_side {
    size_t *off; /* rows + 1 */
    uint16_t *idx16;
    int32_t *idx32;
    uint8_t *code;
    float *conf;
} br_ials_side;

/* Both groupings of an iALS fit's observed pairs (3 + 5 bytes per pair for 10,000 books and millions of readers). */
typedef struct br_ials_data {
    int n_users, n_items;
    size_t n;           /* observed pairs (ratings of weight > 0) */
    br_ials_side by_user, by_item;
    float tab[256];     /* confidence of each code */
    int n_tab;
} br_ials_data;

/* Gathers the ratings of src with weight > 0 under opt, but those of users flagged in skip_user (may be NULL), into
   d in src's order; free d with br_ials_data_free. */
int br_ials_data_build(const br_rsrc *src, const unsigned char *skip_user, int n_users, int n_items,
                       const bookrec_ials_options *opt, br_ials_data *d, bookrec_error *err);

/* Frees d's arrays and zeroes it (NULL: no-op). */
void br_ials_data_free(br_ials_data *d);

/* The readers bookrec_split_new_readers holds out, in selection order, with the generator that shuffles their
   ratings next. */
typedef struct br_held {
    int32_t *readers; /* n of them; the caller frees */
    int n, n_foldin;
    size_t n_ratings; /* their ratings */
    br_rng rng;
} br_held;

/* Chooses the held-out readers from each user's ratings count (off[u + 1] - off[u], n_all in all) and flags them in
   held_user (n_users bytes, zeroed by the caller) (eval.c). */
int br_new_readers_choose(const int32_t *off, int n_users, size_t n_all, const bookrec_newreader_options *opt,
                          unsigned char *held_user, br_held *h, bookrec_error *err);

/* Fills foldin and target with the ratings of h's readers from a grouping by user that holds at least theirs. */
int br_new_readers_emit(br_held *h, const br_csr *c, bookrec_triples *foldin, bookrec_triples *target,
                        bookrec_error *err);

/* br_new_readers_choose and br_new_readers_emit on one grouping of every rating (c, n_all of them): the held-out part
   of bookrec_split_new_readers (eval.c). */
int br_new_readers_pick(const br_csr *c, int n_users, size_t n_all, const bookrec_newreader_options *opt,
                        unsigned char *held_user, bookrec_triples *foldin, bookrec_triples *target, int *n_readers,
                        bookrec_error *err);

/* Groups the ratings of src of the users flagged in only (NULL: every user) by user, stably, into off [n_users + 1,
   zeroed by the caller], item and rating (indices already checked): br_csr_build's grouping (topn_experiment.c). */
void br_csr_fill(const br_rsrc *src, const unsigned char *only, int n_users, int32_t *off, int32_t *item,
                 float *rating);

/* bookrec_ease_dense from the ratings grouped by user (c, users below n_users), but those of the readers flagged in
   skip (may be NULL) (ease.c). */
int br_ease_dense_csr(const br_csr *c, int n_users, const unsigned char *skip, int n_items, float min_rating,
                      float max_rating, const bookrec_ease_options *opt, float *B, bookrec_error *err);

/* Fills an EASE model's book side from B (rows, score weights) and its prior from the ratings of c but the readers
   flagged in skip; the readers' part is left as it is (ease.c). */
int br_ease_from_dense(bookrec_model *m, const float *B, const br_csr *c, int n_users, const unsigned char *skip,
                       const bookrec_ease_options *opt, bookrec_error *err);

/* bookrec_ials_fit_model on gathered pairs (topn.c). */
int br_topn_ials_fit(bookrec_model *m, const br_ials_data *d, const bookrec_ials_options *opt, bookrec_error *err);

/* bookrec_ials_fit on gathered pairs. */
int br_ials_run(const br_ials_data *d, const bookrec_ials_options *opt, float *user_factors, float *item_factors,
                bookrec_error *err);

/* ---------------------------------------------------------------- model tensors (model.c) */

/* A named view into the model's parameter block (row-major rows x cols floats). */
typedef struct br_tensor {
    const char *name;  /* e.g. "item_emb", "user_emb", "item_bias", "user_bias", "dense1_w", ... */
    float *data;
    int rows, cols;
    int part;          /* BOOKREC_PART_ITEMS (item side + network) or BOOKREC_PART_USERS */
    int32_t *idata;    /* integer tensors (top-N indices): the values, data is NULL; each in 0 .. imax */
    int32_t imax;
} br_tensor;

/* Lists the model's tensors into out[0..max); returns how many the model has (may exceed max). */
int br_model_tensors(bookrec_model *m, br_tensor *out, int max);

/* Marks whether the per-user tensors hold real values (set by the loader). */
void br_model_set_has_users(bookrec_model *m, int has);

/* Drops caches derived from the parameters (call after changing them). */
void br_model_invalidate(bookrec_model *m);

/* The model (model.c, train.c): one parameter block, views into it, id tables, book-side caches.
   The views, their order and shapes come from one size table (layout_of in model.c), which also gives the model
   file's tensor list (br_model_tensors): the item side first (item_emb, item_bias, item_imp, dense1_w, dense1_b,
   dense2_w, dense2_b), then the users part (user_emb, user_bias), then the tag rows; each float tensor starts
   on a 16-float boundary, padding stays zero. Views of tensors an arch does not use are NULL. */
struct bookrec_model {
    bookrec_model_config cfg;
    float *params;       /* the parameter block, n_params floats */
    size_t n_params;
    float *item_emb;     /* [n_items, dim] */
    float *item_bias;    /* [n_items, 1]        (mf, ncf) */
    float *w1;           /* [hidden, 2*dim]     dense1_w, input [item_emb; user_emb] (seed, ncf) */
    float *b1;           /* [hidden, 1]         dense1_b */
    float *w2;           /* [1, hidden]         dense2_w */
    float *b2;           /* [1, 1]              dense2_b */
    float *item_imp;     /* [n_items, dim]      item_imp, implicit factors y_j (implicit mf/ncf) */
    float *user_emb;     /* [n_users, dim]: for implicit models the effective vector p_u + |N(u)|^-1/2 sum y_j
                            (training works on p_u and folds the sum back in when it ends) */
    float *user_bias;    /* [n_users, 1]        (mf, ncf) */
    int32_t *imp_off, *imp_items; /* N(u) as CSR (n_users + 1 offsets), NULL until set or trained */
    float *tag_emb;      /* [n_tags, dim]  tag factors g_t (n_tags > 0; after the users part, never saved) */
    float *tag_bias;     /* [n_tags, 1]    tag biases c_t */
    int32_t *tag_off, *tag_idx; /* each book's tags as CSR (n_items + 1 offsets), NULL until set */
    float *tag_w;        /* their weights */
    /* top-N archs (EASE, iALS); for EASE item_emb holds B's kept values [n_items, dim] and item_bias the
       popularity prior, already multiplied by its weight */
    float *topn_meta;    /* [1, BR_META_SIZE]: rating weights, match calibration, iALS fold-in settings */
    int32_t *ints;       /* the integer block, n_ints values: the views below */
    size_t n_ints;
    int32_t *topn_col;   /* [n_items, dim]    EASE: the column of each kept entry of B (row i itself pads) */
    int32_t *user_off;   /* [n_users + 1, 1]  EASE: each dataset reader's ratings, user_item[user_off[u] ..) */
    int32_t *user_item;  /* [n_entries, 1] */
    float *user_rating;  /* [n_entries, 1]    (in the float block, users part) */
    float *gram;         /* iALS cache built by prepare: [dim, dim] Y^T Y */
    bookrec_ids *users, *items;
    int has_users;
    /* caches built by bookrec_model_prepare, dropped by br_model_invalidate */
    int prepared;
    float *w1t;          /* [2*dim, hidden]: dense1_w transposed (rows dim.. are the user half) */
    float *item_pre;     /* [n_items, hidden]: dense1_w[:, :dim] item_emb[i] + dense1_b */
    float *item_unit;    /* [n_items, dim]: L2-normalised item embeddings */
};

/* Layout of the top-N models' topn_meta tensor. */
enum {
    BR_META_WEIGHTS = 0,  /* BOOKREC_WEIGHT_KNOTS rating weights w(r) */
    BR_META_CAL_A = 5,    /* match = 1 / (1 + exp(-(a score + b))); a = 0: not calibrated */
    BR_META_CAL_B = 6,
    BR_META_ALPHA = 7,    /* iALS: confidence of a rated book, 1 + alpha w(r) */
    BR_META_LAMBDA = 8,   /* iALS: L2 of the fold-in solve */
    BR_META_UNOBS = 9,    /* iALS: weight of an unobserved pair */
    BR_META_REGEXP = 10,  /* iALS: exponent of the frequency scaling of lambda (0: none) */
    BR_META_REGOBS = 11,  /* iALS: 1 when lambda scales with the observed pairs only (Spark's ALS-WR), 0 otherwise */
    BR_META_SIZE = 16
};

/* 1 for the top-N archs (EASE, iALS). */
static inline int br_is_topn(const bookrec_model_config *c) {
    return c->arch == BOOKREC_ARCH_EASE || c->arch == BOOKREC_ARCH_IALS;
}

/* Value of knot weights w[0..BOOKREC_WEIGHT_KNOTS) at rating r on the scale lo..hi (linear between knots). */
float br_knot_weight(const float *w, float r, float lo, float hi);

/* top-N models (topn.c): the dataset readers' part of an EASE model from its training ratings (n_entries of them). */
int br_topn_set_readers(bookrec_model *m, const bookrec_triples *train, bookrec_error *err);

/* EASE: item_bias[j] = prior * log(1 + ratings of j) / log(1 + the most ratings of a book). */
void br_topn_set_prior(bookrec_model *m, const bookrec_triples *train, float prior);

/* br_topn_set_prior once item_bias[j] holds the ratings of j. */
void br_topn_finish_prior(bookrec_model *m, float prior);

/* top-N state size, dataset reader state, fold-in, scores, similar books and prediction (topn.c; model.c
   dispatches to them for the top-N archs). */
int br_topn_state_size(const bookrec_model *m);
/* Checks what a loaded file put into the parts `parts` of a model (EASE readers' offsets run from 0 to
   n_entries without going down); BOOKREC_OK for the other archs. */
int br_topn_check(const bookrec_model *m, int parts, bookrec_error *err);
int br_topn_user_state(const bookrec_model *m, int user, float *out, bookrec_error *err);
int br_topn_fold_in(bookrec_model *m, const int32_t *items, const float *ratings, int n, float *state,
                    bookrec_error *err);
int br_topn_prepare(bookrec_model *m, bookrec_error *err);
void br_topn_score_all(const bookrec_model *m, const float *state, float *scores);
int br_topn_similar_scores(bookrec_model *m, int item, float *scores, bookrec_error *err);
float br_topn_predict(const bookrec_model *m, int user, int item);

/* Solves A x = b for a symmetric positive definite n x n A (row-major doubles, overwritten) by Cholesky,
   x into b; returns -1 when A is not positive definite. */
int br_spd_solve(double *A, double *b, int n);

/* Unclamped model output for item i and a user given as vector p (dim floats) and bias bu; w1t (may be
   NULL) is dense1_w transposed [2*dim, hidden], which makes the dense layer faster. */
float br_model_raw(const bookrec_model *m, const float *w1t, const float *p, float bu, int item);

/* out[0..dim) = |N|^-1/2 sum of item_imp rows of items[0..n) (zeros when n = 0 or the model is not implicit). */
void br_model_implicit_sum(const bookrec_model *m, const int32_t *items, int n, float *out);

/* Tag models: vec[0..dim) = sum_t w_it g_t and *bias = sum_t w_it c_t over item i's tags (zeros without tags). */
void br_model_tag_sum(const bookrec_model *m, int item, float *vec, float *bias);

/* Clamps a raw output to the rating range for mf/ncf (seed is returned as is, its output ReLU is the model's). */
float br_model_clamp(const bookrec_model *m, float y);

/* Loss and gradient of one batch, exactly as bookrec_train computes them: loss = (1/n) sum_e [(y_e - r_e)^2
   + l2 (|q_i|^2 + |p_u|^2 + b_i^2 + b_u^2)] + l2_dense (|dense1_w|^2 + |dense2_w|^2). grad (n_params floats,
   parallel to the parameter block) is zeroed and filled; n_tasks > 1 splits the batch as training does.
   Implicit models: user_emb is taken as p_u itself, and the loss gains (1/n) sum_e l2 sum_{j in N(u_e)} |y_j|^2.
   Tag models: item_emb / item_bias are taken as q_i / b_i themselves (the effective book is q_i + sum_t w_it g_t)
   and the loss gains (1/n) sum_e l2 sum_{t of i_e} w_it (|g_t|^2 + c_t^2). */
int br_model_loss_grad(bookrec_model *m, const int32_t *users, const int32_t *items, const float *ratings, int n,
                       float l2, float l2_dense, int n_tasks, float *grad, double *loss, bookrec_error *err);

/* Regularisation of one batch for br_model_loss_grad_ex: the L2 term of each example e becomes
   ci[i_e] (|q_i|^2 + b_i^2) + cu[u_e] (|p_u|^2 + b_u^2) + sum_{j in N(u_e)} cy[j] |y_j|^2 (each divided by n);
   a NULL coefficient array means l2 for every row of that kind. */
typedef struct br_reg {
    float l2, l2_dense;
    const float *coef_i, *coef_u, *coef_y;
} br_reg;

/* br_model_loss_grad with per-row L2 coefficients (what bookrec_train uses when l2_row > 0). */
int br_model_loss_grad_ex(bookrec_model *m, const int32_t *users, const int32_t *items, const float *ratings, int n,
                          const br_reg *reg, int n_tasks, float *grad, double *loss, bookrec_error *err);

/* ---------------------------------------------------------------- CSV (csv.c) */
/* An RFC 4180 tokenizer over a memory buffer: fields separated by ',', records by LF, CRLF or CR,
   "quoted" fields with "" for a quote and embedded line breaks, a UTF-8 BOM skipped at the start,
   a last record without a line break, blank lines skipped. Fields point into the buffer or into
   the tokenizer's scratch space; they stay valid until the next br_csv_next call. */

typedef struct br_csv_field {
    const char *s;   /* field bytes (not NUL-terminated), quotes removed and "" unescaped */
    size_t len;
    int quoted;      /* 1 when the field was quoted */
    size_t off;      /* internal: scratch offset of an unescaped field */
} br_csv_field;

typedef struct br_csv {
    const char *buf;
    size_t len, pos;
    const char *source;     /* name for messages ("<buffer>" when NULL was given) */
    long line;              /* 1-based line on which the current record starts */
    long next_line;         /* line on which the next record starts */
    br_csv_field *field;    /* fields of the current record */
    int nf, cap;
    char *scratch;
    size_t scratch_len, scratch_cap;
} br_csv;

/* Starts tokenizing buf[0..len) (a leading UTF-8 BOM is skipped); source names it in messages. */
void br_csv_init(br_csv *c, const char *buf, size_t len, const char *source);

/* Frees the tokenizer's memory (not the buffer). */
void br_csv_free(br_csv *c);

/* Reads the next non-blank record into c->field[0..c->nf): returns 1 for a record, 0 at the end of the
   input, -1 on a malformed record (err filled with "SOURCE:LINE: ..."; the tokenizer has moved past
   it, so the caller may go on when skipping bad rows) or on allocation failure (BOOKREC_E_NOMEM). */
int br_csv_next(br_csv *c, bookrec_error *err);

/* Fills err with "SOURCE:LINE: message" for the current record; returns code. */
int br_csv_fail(const br_csv *c, bookrec_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Writes a message-safe copy of s[0..len) into out (at most 40 bytes shown, control bytes as '?',
   "..." when cut); returns out. cap must be at least 48. */
const char *br_csv_show(const char *s, size_t len, char *out, size_t cap);

/* Finds column `name` in the current record (the header), ignoring ASCII case and surrounding
   spaces; returns its index or -1. */
int br_csv_column(const br_csv *c, const char *name);

/* Counts the columns of the current record named `name` (same matching as br_csv_column). */
int br_csv_column_count(const br_csv *c, const char *name);

/* Strips ASCII spaces and tabs from both ends of s[0..*len); returns the new start. */
const char *br_trim(const char *s, size_t *len);

/* Parses a decimal number ("4", "-3.5", ".5", "2008.0", "1e2") filling the whole of s[0..len);
   returns 0 and *out on success, -1 when it is not a finite number. */
int br_parse_number(const char *s, size_t len, double *out);

/* Length of the valid UTF-8 sequence at s[i] (1..4; no overlongs, no surrogates), or 0 when it is not one. */
int br_utf8_seq(const uint8_t *s, size_t len, size_t i);

/* Returns 1 when s[0..len) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int br_utf8_valid(const char *s, size_t len);

/* How the ids of one column are read: decided by its first value. A column whose first id is an
   integer of at most 10 digits without leading zeros is numeric: every id must then be an integer in
   1..2147483647 and is stored in canonical decimal form ("+07" -> "7"); any other column holds
   string ids, kept byte for byte. Ids are never empty, longer than max_len, contain control bytes
   or invalid UTF-8. */
typedef struct br_idcol {
    int mode;        /* 0 undecided, 1 numeric, 2 string */
    int max_len;     /* longest id in bytes */
    const char *what; /* "user id", "book id": used in messages */
} br_idcol;

/* Checks and normalises one id field. On success returns 0, sets *out and *out_len (pointing into s or
   into tmp) and *num (the value for numeric columns, else -1). On failure returns -1 and writes the
   reason (no file/line prefix) into why. */
int br_idcol_read(br_idcol *col, const char *s, size_t len, char tmp[16], const char **out, int *out_len,
                  long *num, char *why, size_t why_cap);

/* ---------------------------------------------------------------- model files (modelfile.c) */

/* IEEE half-precision conversion used by F16 tensors (round to nearest even; exposed for tests). */
uint16_t br_f32_to_f16(float f);
float br_f16_to_f32(uint16_t h);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of p[0..n): the model file's checksum. */
uint32_t br_crc32(const uint8_t *p, size_t n);
/* The CRC-32 of the bytes whose CRC-32 is crc (0 for none) followed by p[0..n): br_crc32 in pieces. */
uint32_t br_crc32_update(uint32_t crc, const uint8_t *p, size_t n);

/* Swaps records a and b of p in place (packed.c; the epochs' shuffle). */
void br_packed_swap(bookrec_packed *p, size_t a, size_t b);

/* ---------------------------------------------------------------- top-N rows of the evaluation (rankers_topn.c) */

/* The top-N rows' settings and the dense B of the last training part an EASE row was fitted on (rows of one part
   come one after another, so a K curve costs one solve per part); owned by one evaluation run. on_fit (may be
   NULL) is told when a fit starts: EASE's dense B, or iALS of dim. */
typedef struct br_topn_rankers br_topn_rankers;
br_topn_rankers *br_topn_rankers_create(void (*on_fit)(void *ctx, bookrec_arch arch, int dim, size_t n_ratings),
                                        void *ctx);
void br_topn_rankers_free(br_topn_rankers *t);

/* For a top-N row name ("ease", "easeK", "ials", "ialsD", "ease+ialsD@BETA") sets *is_topn and fills *rk (name
   pointing at `name`, arg owned by t, t may be NULL to only check the name); for other names *is_topn = 0. Fails
   with BOOKREC_E_ARG on a bad number ("archs: 'ease0' is not easeK with a number in 1..1024"). */
int br_topn_ranker(br_topn_rankers *t, const char *name, bookrec_ranker *rk, int *is_topn, bookrec_error *err);

/* ---------------------------------------------------------------- training from packed ratings (experiment.c) */

/* Packs fit as bookrec_train_fit does (pack asked, opt->shuffle_in_place, no group_users, no implicit sets, no
   tags), consuming fit's arrays (fit keeps its count), so a caller can pack before it makes the model and the
   triples and the model never take memory together. BOOKREC_OK with pk->rec set when packed; BOOKREC_OK with
   pk->rec NULL and fit untouched when not (why->msg says why when the fields need more than 64 bits, else is
   empty); another code on failure. */
int br_train_pack(int n_users, int n_items, int implicit, int n_tags, const bookrec_train_options *opt, int pack,
                  bookrec_triples *fit, bookrec_packed *pk, bookrec_error *why, bookrec_error *err);

/* Trains m from pk when br_train_pack packed (pk is freed), else from fit, as bookrec_train_fit does. */
int br_train_fit_packed(bookrec_model *m, bookrec_triples *fit, bookrec_packed *pk, bookrec_triples *valid,
                        const bookrec_train_options *opt, bookrec_train_info *info, bookrec_error *err);

/* ---------------------------------------------------------------- string arrays (tags.c) */

/* Frees s[0..n) and s itself (NULL entries and a NULL s are fine). */
void br_free_strings(char **s, long n);

#endif /* BOOKREC_INTERNAL_H */
