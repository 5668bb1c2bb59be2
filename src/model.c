/*
 * model.c - the three models (seed, mf, ncf) as one contiguous parameter block with named views:
 * creation and initialisation, prediction, the book-side caches, scoring every book for a reader,
 * a dataset reader's top-k (bookrec_topk is eval.c's), similar books and folding a new reader in with the book side
 * frozen.
 * The parameter block's layout is one size table (layout_of): the views and the model file's tensor list both
 * come from it, so a tensor is named, shaped and placed in one line.
 * Not here: training (train.c), the model file format (modelfile.c), kernels (kernels.c).
 *
 * The seed network (the tutorial): x = [item_emb[i]; user_emb[u]], h = ReLU(dense1_w x + dense1_b),
 * y = ReLU(dense2_w h + dense2_b). mf: y = mu + b_u + b_i + <p_u, q_i>. ncf: mf's terms plus
 * dense2_w ReLU(dense1_w x + dense1_b) + dense2_b with a linear output. mf/ncf predictions are clamped
 * to the rating range; the seed model's output ReLU is left as the tutorial has it. Implicit mf/ncf
 * (SVD++) replace p_u by p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j; user_emb stores that sum-included vector.
 * Tag models (n_tags > 0, mf/ncf) replace q_i by q_i + sum_t w_it g_t and b_i by b_i + sum_t w_it c_t; outside
 * training item_emb / item_bias store those sum-included values, so nothing here needs the tags.
 */
#include "internal.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM 256
#define MAX_HIDDEN 1024

static int has_dense(const bookrec_model_config *c) {
    return c->arch == BOOKREC_ARCH_SEED || c->arch == BOOKREC_ARCH_NCF;
}
/* mf/ncf have a bias per book and per user (EASE's item_bias is its popularity prior, placed apart). */
static int has_bias(const bookrec_model_config *c) { return c->arch == BOOKREC_ARCH_MF || c->arch == BOOKREC_ARCH_NCF; }

/* Fills cfg with the tutorial's seed model: dim 15, hidden 128, init 0.05, ratings 1..5, seed 1. */
void bookrec_model_config_default(bookrec_model_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg);
    cfg->arch = BOOKREC_ARCH_SEED;
    cfg->dim = 15;
    cfg->hidden = 128;
    cfg->init_scale = 0.05f;
    cfg->min_rating = 1.0f;
    cfg->max_rating = 5.0f;
    cfg->seed = 1;
}

static int check_config(const bookrec_model_config *c, bookrec_error *err) {
    if (c->arch < BOOKREC_ARCH_SEED || c->arch > BOOKREC_ARCH_IALS)
        return br_fail(err, BOOKREC_E_ARG, "model config: unknown arch %d (expected 0 seed, 1 mf, 2 ncf, 3 ease, 4 ials)",
                       (int)c->arch);
    if (br_is_topn(c) && (c->implicit || c->n_tags))
        return br_fail(err, BOOKREC_E_ARG, "model config: implicit feedback and tags are for the rating models, not %s",
                       bookrec_arch_name(c->arch));
    if (c->n_entries < 0 || c->n_entries > ((int64_t)1 << 31) - 1 || (c->n_entries && c->arch != BOOKREC_ARCH_EASE))
        return br_fail(err, BOOKREC_E_ARG, "model config: n_entries %lld (only EASE has them, at most 2^31-1)",
                       (long long)c->n_entries);
    if (c->arch == BOOKREC_ARCH_EASE && c->dim > c->n_items)
        return br_fail(err, BOOKREC_E_ARG, "model config: EASE keeps %d entries per row but there are only %d items",
                       c->dim, c->n_items);
    if (c->n_users < 1 || c->n_items < 1)
        return br_fail(err, BOOKREC_E_ARG, "model config: n_users %d and n_items %d must be >= 1", c->n_users, c->n_items);
    int max_dim = c->arch == BOOKREC_ARCH_EASE ? BOOKREC_EASE_MAX_K : MAX_DIM; /* EASE: entries kept per row */
    if (c->dim < 1 || c->dim > max_dim)
        return br_fail(err, BOOKREC_E_ARG, "model config: dim %d out of range 1..%d", c->dim, max_dim);
    if (has_dense(c) && (c->hidden < 1 || c->hidden > MAX_HIDDEN))
        return br_fail(err, BOOKREC_E_ARG, "model config: hidden %d out of range 1..%d", c->hidden, MAX_HIDDEN);
    if (c->implicit && c->arch == BOOKREC_ARCH_SEED)
        return br_fail(err, BOOKREC_E_ARG, "model config: implicit feedback needs arch mf or ncf, not seed");
    if (c->n_tags < 0 || c->n_tags > (1 << 20))
        return br_fail(err, BOOKREC_E_ARG, "model config: n_tags %d out of range 0..%d", c->n_tags, 1 << 20);
    if (c->n_tags > 0 && c->arch == BOOKREC_ARCH_SEED)
        return br_fail(err, BOOKREC_E_ARG, "model config: tag features need arch mf or ncf, not seed");
    if (c->implicit != 0 && c->implicit != 1)
        return br_fail(err, BOOKREC_E_ARG, "model config: implicit must be 0 or 1, got %d", c->implicit);
    if (!isfinite(c->init_scale) || c->init_scale < 0.0f || c->init_scale > 10.0f)
        return br_fail(err, BOOKREC_E_ARG, "model config: init_scale %g must be in 0..10", (double)c->init_scale);
    if (!isfinite(c->min_rating) || !isfinite(c->max_rating) || !(c->min_rating < c->max_rating))
        return br_fail(err, BOOKREC_E_ARG, "model config: rating range %g..%g is not a finite range with min < max",
                       (double)c->min_rating, (double)c->max_rating);
    if (!isfinite(c->global_mean))
        return br_fail(err, BOOKREC_E_ARG, "model config: global_mean is not finite");
    return BOOKREC_OK;
}

/* One row of the model's size table: a tensor, its shape, which part of the model file it belongs to and where its
   view lives in struct bookrec_model. */
typedef struct layout_row {
    const char *name;
    size_t rows, cols;
    int part;      /* BOOKREC_PART_ITEMS (book side and network) or BOOKREC_PART_USERS */
    int saved;     /* listed by br_model_tensors; tag rows are folded into the books when training ends, never saved */
    size_t view;   /* offsetof(bookrec_model, the view's pointer) */
    int is_int;    /* in the integer block (top-N indices), else the parameter block */
    int64_t imax;  /* integer tensors: every value lies in 0 .. imax */
} layout_row;

#define LAYOUT_MAX 16

/* The size table of a model of config c, in block and file order; returns the row count (<= LAYOUT_MAX). Both the
   views bookrec_model_create places and the tensor list of br_model_tensors (the model file) come from it. */
static int layout_of(const bookrec_model_config *c, layout_row *out) {
    size_t ni = (size_t)c->n_items, nu = (size_t)c->n_users, d = (size_t)c->dim, ne = (size_t)c->n_entries;
    size_t H = (size_t)c->hidden, nt = (size_t)c->n_tags;
    int n = 0;
#define ROW(nm, r, k, part, saved, field, is_int, imax) \
    out[n++] = (layout_row){nm, r, k, part, saved, offsetof(bookrec_model, field), is_int, imax}
    const int I = BOOKREC_PART_ITEMS, U = BOOKREC_PART_USERS;
    if (c->arch == BOOKREC_ARCH_EASE) { /* EASE has no user vectors: its readers are their ratings */
        ROW("ease_col", ni, d, I, 1, topn_col, 1, (int64_t)ni - 1);
        ROW("ease_val", ni, d, I, 1, item_emb, 0, 0);
        ROW("item_prior", ni, 1, I, 1, item_bias, 0, 0);
        ROW("topn_meta", 1, BR_META_SIZE, I, 1, topn_meta, 0, 0);
        ROW("user_off", nu + 1, 1, U, 1, user_off, 1, (int64_t)ne);
        ROW("user_item", ne, 1, U, 1, user_item, 1, (int64_t)ni - 1);
        ROW("user_rating", ne, 1, U, 1, user_rating, 0, 0);
        return n;
    }
    ROW("item_emb", ni, d, I, 1, item_emb, 0, 0);
    if (c->arch == BOOKREC_ARCH_IALS) ROW("topn_meta", 1, BR_META_SIZE, I, 1, topn_meta, 0, 0);
    if (has_bias(c)) ROW("item_bias", ni, 1, I, 1, item_bias, 0, 0);
    if (c->implicit) ROW("item_imp", ni, d, I, 1, item_imp, 0, 0);
    if (has_dense(c)) {
        ROW("dense1_w", H, 2 * d, I, 1, w1, 0, 0);
        ROW("dense1_b", H, 1, I, 1, b1, 0, 0);
        ROW("dense2_w", 1, H, I, 1, w2, 0, 0);
        ROW("dense2_b", 1, 1, I, 1, b2, 0, 0);
    }
    ROW("user_emb", nu, d, U, 1, user_emb, 0, 0);
    if (has_bias(c)) ROW("user_bias", nu, 1, U, 1, user_bias, 0, 0);
    if (nt > 0) {
        ROW("tag_emb", nt, d, I, 0, tag_emb, 0, 0);
        ROW("tag_bias", nt, 1, I, 0, tag_bias, 0, 0);
    }
#undef ROW
    return n;
}

/* Points row r's view in m (a float * or an int32_t * field, by r->is_int) at base + off; memcpy keeps the
   store within the aliasing rules. */
static void set_view(bookrec_model *m, const layout_row *r, size_t off) {
    if (r->is_int) {
        int32_t *i = m->ints + off; /* only integer rows exist when m->ints does */
        memcpy((char *)m + r->view, &i, sizeof i);
    } else {
        float *f = m->params + off;
        memcpy((char *)m + r->view, &f, sizeof f);
    }
}

/* Offsets of every row of the table: floats each on a 16-float boundary, integers packed; writes the block sizes
   and returns 0 when the model is too large. */
static int place_rows(const layout_row *t, int n, size_t *off, size_t *n_floats, size_t *n_ints) {
    size_t fc = 0, ic = 0;
    for (int k = 0; k < n; k++) {
        size_t count = t[k].rows * t[k].cols;
        if (t[k].is_int) { off[k] = ic; ic += count; continue; }
        size_t start = (fc + 15) & ~(size_t)15;
        if (count > ((size_t)1 << 30) || start > ((size_t)1 << 31)) return 0;
        off[k] = start;
        fc = start + count;
    }
    *n_floats = (fc + 15) & ~(size_t)15;
    *n_ints = ic;
    return 1;
}

static void fill_uniform(br_rng *r, float *x, size_t n, float limit) {
    for (size_t i = 0; i < n; i++) x[i] = (2.0f * br_rng_float(r) - 1.0f) * limit;
}

/* Creates an initialised model (Keras-style initialisation from cfg->seed); free with bookrec_model_free. */
int bookrec_model_create(const bookrec_model_config *cfg, bookrec_model **out, bookrec_error *err) {
    if (!cfg || !out) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_create: NULL argument");
    *out = NULL;
    int rc = check_config(cfg, err);
    if (rc) return rc;
    const bookrec_model_config *c = cfg;
    size_t d = (size_t)c->dim, H = has_dense(c) ? (size_t)c->hidden : 0;
    size_t nu = (size_t)c->n_users, ni = (size_t)c->n_items, ease = c->arch == BOOKREC_ARCH_EASE;
    layout_row t[LAYOUT_MAX];
    size_t off[LAYOUT_MAX], n = 0, n_ints = 0;
    int nt = layout_of(c, t);
    if (!place_rows(t, nt, off, &n, &n_ints))
        return br_fail(err, BOOKREC_E_ARG, "model config: %d users x %d items x dim %d is too large",
                       c->n_users, c->n_items, c->dim);
    bookrec_model *m = calloc(1, sizeof *m);
    float *p = m ? calloc(n, sizeof *p) : NULL;
    int32_t *ip = p && n_ints ? calloc(n_ints, sizeof *ip) : NULL;
    if (!p || (n_ints && !ip)) {
        free(p); free(m);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory for a model of %zu parameters", n + n_ints);
    }
    m->cfg = *c;
    m->params = p;
    m->n_params = n;
    m->ints = ip;
    m->n_ints = n_ints;
    for (int k = 0; k < nt; k++) set_view(m, &t[k], off[k]);
    if (ease)
        for (size_t i = 0; i < ni; i++) /* an unfitted row points at itself with value 0 */
            for (size_t k = 0; k < d; k++) m->topn_col[i * d + k] = (int32_t)i;
    m->has_users = 1;

    br_rng r;
    br_rng_seed(&r, c->seed);
    if (!ease) {
        fill_uniform(&r, m->item_emb, ni * d, c->init_scale);
        fill_uniform(&r, m->user_emb, nu * d, c->init_scale);
    }
    if (H) {
        fill_uniform(&r, m->w1, H * 2 * d, sqrtf(6.0f / (float)(2 * d + H)));
        fill_uniform(&r, m->w2, H, sqrtf(6.0f / (float)(H + 1)));
    }
    if (c->implicit) fill_uniform(&r, m->item_imp, ni * d, c->init_scale);
    *out = m;
    return br_ok(err);
}

/* Frees the caches built by prepare. */
static void free_caches(bookrec_model *m) {
    free(m->w1t); free(m->item_pre); free(m->item_unit); free(m->gram);
    m->w1t = m->item_pre = m->item_unit = m->gram = NULL;
    m->prepared = 0;
}

/* Frees a model and everything it owns. */
void bookrec_model_free(bookrec_model *m) {
    if (!m) return;
    free_caches(m);
    br_ids_free(m->users);
    br_ids_free(m->items);
    free(m->imp_off);
    free(m->imp_items);
    free(m->tag_off);
    free(m->tag_idx);
    free(m->tag_w);
    free(m->params);
    free(m->ints);
    free(m);
}

/* Returns the model's configuration (owned by the model). */
const bookrec_model_config *bookrec_model_get_config(const bookrec_model *m) { return m ? &m->cfg : NULL; }

/* Gives the model copies of the id tables (either may be NULL to keep the current one). */
int bookrec_model_set_ids(bookrec_model *m, const bookrec_ids *users, const bookrec_ids *items, bookrec_error *err) {
    if (!m) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_set_ids: NULL model");
    if (users && bookrec_ids_count(users) != m->cfg.n_users)
        return br_fail(err, BOOKREC_E_ARG, "user id table has %d ids, expected %d (the model's users)",
                       bookrec_ids_count(users), m->cfg.n_users);
    if (items && bookrec_ids_count(items) != m->cfg.n_items)
        return br_fail(err, BOOKREC_E_ARG, "item id table has %d ids, expected %d (the model's items)",
                       bookrec_ids_count(items), m->cfg.n_items);
    bookrec_ids *u = NULL, *i = NULL;
    if (users && !(u = br_ids_clone(users))) return br_fail(err, BOOKREC_E_NOMEM, "out of memory copying user ids");
    if (items && !(i = br_ids_clone(items))) {
        br_ids_free(u);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory copying item ids");
    }
    if (u) { br_ids_free(m->users); m->users = u; }
    if (i) { br_ids_free(m->items); m->items = i; }
    return br_ok(err);
}

/* Returns the model's user id table (may be NULL when none was set or users were not loaded). */
const bookrec_ids *bookrec_model_users(const bookrec_model *m) { return m ? m->users : NULL; }

/* Returns the model's item id table (may be NULL when none was set). */
const bookrec_ids *bookrec_model_items(const bookrec_model *m) { return m ? m->items : NULL; }

/* Returns 1 when the model holds the per-user parameters (the users part may be loaded separately). */
int bookrec_model_has_users(const bookrec_model *m) { return m ? m->has_users : 0; }

/* Number of floats in the parameter block; *params (if not NULL) receives a pointer to it (owned by the model). */
size_t bookrec_model_params(bookrec_model *m, float **params) {
    if (params) *params = m ? m->params : NULL;
    return m ? m->n_params : 0;
}

/* Sets the implicit-feedback sets N(u) (CSR, copied); bookrec_train builds them from its data when unset. */
int bookrec_model_set_implicit(bookrec_model *m, const int32_t *offsets, const int32_t *items, bookrec_error *err) {
    if (!m || !offsets) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_set_implicit: NULL argument");
    if (!m->cfg.implicit) return br_fail(err, BOOKREC_E_STATE, "the model was not created with implicit = 1");
    int nu = m->cfg.n_users;
    if (offsets[0] != 0) return br_fail(err, BOOKREC_E_ARG, "implicit sets: offsets[0] is %d, expected 0", (int)offsets[0]);
    for (int u = 0; u < nu; u++)
        if (offsets[u + 1] < offsets[u])
            return br_fail(err, BOOKREC_E_ARG, "implicit sets: offsets[%d] = %d is below offsets[%d] = %d", u + 1,
                           (int)offsets[u + 1], u, (int)offsets[u]);
    size_t n = (size_t)offsets[nu];
    if (n && !items) return br_fail(err, BOOKREC_E_ARG, "implicit sets: NULL items with %zu entries", n);
    for (size_t k = 0; k < n; k++)
        if (items[k] < 0 || items[k] >= m->cfg.n_items)
            return br_fail(err, BOOKREC_E_ARG, "implicit sets: entry %zu is item %d, out of range 0..%d", k,
                           (int)items[k], m->cfg.n_items - 1);
    int32_t *o = malloc(((size_t)nu + 1) * sizeof *o), *it = malloc((n ? n : 1) * sizeof *it);
    if (!o || !it) { free(o); free(it); return br_fail(err, BOOKREC_E_NOMEM, "out of memory for implicit sets"); }
    memcpy(o, offsets, ((size_t)nu + 1) * sizeof *o);
    if (n) memcpy(it, items, n * sizeof *it);
    free(m->imp_off);
    free(m->imp_items);
    m->imp_off = o;
    m->imp_items = it;
    return br_ok(err);
}

/* Sets each book's tags (CSR over items with weights, copied) for a model created with n_tags > 0. */
int bookrec_model_set_tags(bookrec_model *m, const int32_t *offsets, const int32_t *tags, const float *weights,
                           bookrec_error *err) {
    if (!m || !offsets) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_set_tags: NULL argument");
    if (m->cfg.n_tags <= 0) return br_fail(err, BOOKREC_E_STATE, "the model was not created with n_tags > 0");
    int ni = m->cfg.n_items;
    if (offsets[0] != 0) return br_fail(err, BOOKREC_E_ARG, "item tags: offsets[0] is %d, expected 0", (int)offsets[0]);
    for (int i = 0; i < ni; i++)
        if (offsets[i + 1] < offsets[i])
            return br_fail(err, BOOKREC_E_ARG, "item tags: offsets[%d] = %d is below offsets[%d] = %d", i + 1,
                           (int)offsets[i + 1], i, (int)offsets[i]);
    size_t n = (size_t)offsets[ni];
    if (n && (!tags || !weights)) return br_fail(err, BOOKREC_E_ARG, "item tags: NULL tags or weights with %zu entries", n);
    for (size_t k = 0; k < n; k++) {
        if (tags[k] < 0 || tags[k] >= m->cfg.n_tags)
            return br_fail(err, BOOKREC_E_ARG, "item tags: entry %zu is tag %d, out of range 0..%d", k, (int)tags[k],
                           m->cfg.n_tags - 1);
        if (!isfinite(weights[k]) || weights[k] < 0.0f || weights[k] > 1e6f)
            return br_fail(err, BOOKREC_E_ARG, "item tags: entry %zu has weight %g, expected a finite number >= 0", k,
                           (double)weights[k]);
    }
    int32_t *o = malloc(((size_t)ni + 1) * sizeof *o), *t = malloc((n ? n : 1) * sizeof *t);
    float *w = malloc((n ? n : 1) * sizeof *w);
    if (!o || !t || !w) { free(o); free(t); free(w); return br_fail(err, BOOKREC_E_NOMEM, "out of memory for item tags"); }
    memcpy(o, offsets, ((size_t)ni + 1) * sizeof *o);
    if (n) { memcpy(t, tags, n * sizeof *t); memcpy(w, weights, n * sizeof *w); }
    free(m->tag_off); free(m->tag_idx); free(m->tag_w);
    m->tag_off = o;
    m->tag_idx = t;
    m->tag_w = w;
    return br_ok(err);
}

/* vec = sum_t w_it g_t, *bias = sum_t w_it c_t over item i's tags. */
void br_model_tag_sum(const bookrec_model *m, int item, float *vec, float *bias) {
    int d = m->cfg.dim;
    memset(vec, 0, (size_t)d * sizeof *vec);
    float b = 0.0f;
    if (m->tag_off)
        for (int k = m->tag_off[item]; k < m->tag_off[item + 1]; k++) {
            int t = m->tag_idx[k];
            float w = m->tag_w[k];
            br_axpy(vec, w, m->tag_emb + (size_t)t * d, d);
            b += w * m->tag_bias[t];
        }
    *bias = b;
}

/* out = |N|^-1/2 sum of item_imp rows of items[0..n). */
void br_model_implicit_sum(const bookrec_model *m, const int32_t *items, int n, float *out) {
    int d = m->cfg.dim;
    memset(out, 0, (size_t)d * sizeof *out);
    if (!m->item_imp || n <= 0) return;
    for (int k = 0; k < n; k++) br_axpy(out, 1.0f, m->item_imp + (size_t)items[k] * d, d);
    float c = 1.0f / sqrtf((float)n);
    for (int k = 0; k < d; k++) out[k] *= c;
}

/* Lists the model's tensors into out[0..max); returns how many the model has (may exceed max). */
int br_model_tensors(bookrec_model *m, br_tensor *out, int max) {
    if (!m) return 0;
    layout_row t[LAYOUT_MAX];
    int nt = layout_of(&m->cfg, t), n = 0;
    for (int k = 0; k < nt; k++) {
        if (!t[k].saved) continue;
        if (out && n < max) {
            float *f = NULL;
            int32_t *i = NULL;
            if (t[k].is_int) memcpy(&i, (char *)m + t[k].view, sizeof i);
            else memcpy(&f, (char *)m + t[k].view, sizeof f);
            out[n] = (br_tensor){t[k].name, f, (int)t[k].rows, (int)t[k].cols, t[k].part, i, (int32_t)t[k].imax};
        }
        n++;
    }
    return n;
}

/* Marks whether the per-user tensors hold real values (set by the loader). */
void br_model_set_has_users(bookrec_model *m, int has) {
    if (m) m->has_users = has ? 1 : 0;
}

/* Drops caches derived from the parameters (call after changing them). */
void br_model_invalidate(bookrec_model *m) {
    if (m) m->prepared = 0;
}

/* ------------------------------------------------------------------ prediction */

/* Unclamped model output for item i and user (p, bu). */
float br_model_raw(const bookrec_model *m, const float *w1t, const float *p, float bu, int item) {
    const bookrec_model_config *c = &m->cfg;
    int d = c->dim;
    const float *q = m->item_emb + (size_t)item * d;
    float y = 0.0f;
    if (has_dense(c)) {
        int H = c->hidden;
        float h[MAX_HIDDEN], zero[MAX_HIDDEN];
        if (w1t) {
            memcpy(h, m->b1, (size_t)H * sizeof *h);
            br_matvec_t(h, w1t, q, d, H);
            br_matvec_t(h, w1t + (size_t)d * H, p, d, H);
        } else {
            float x[2 * MAX_DIM];
            memcpy(x, q, (size_t)d * sizeof *x);
            memcpy(x + d, p, (size_t)d * sizeof *x);
            br_matvec(h, m->w1, x, H, 2 * d);
            for (int j = 0; j < H; j++) h[j] += m->b1[j];
        }
        memset(zero, 0, (size_t)H * sizeof *zero);
        y = br_relu_dot(h, zero, m->w2, H) + m->b2[0];
        if (c->arch == BOOKREC_ARCH_SEED) return y > 0.0f ? y : 0.0f;
    }
    return y + c->global_mean + bu + m->item_bias[item] + br_dot(p, q, d);
}

/* Clamps a raw output to the rating range for mf/ncf. */
float br_model_clamp(const bookrec_model *m, float y) {
    if (br_is_topn(&m->cfg)) return y; /* ranking scores, not ratings */
    if (m->cfg.arch == BOOKREC_ARCH_SEED) return y;
    if (y < m->cfg.min_rating) return m->cfg.min_rating;
    if (y > m->cfg.max_rating) return m->cfg.max_rating;
    return y;
}

static float predict_one(const bookrec_model *m, int u, int i) {
    if (br_is_topn(&m->cfg)) return br_topn_predict(m, u, i);
    const float *p = m->user_emb + (size_t)u * m->cfg.dim;
    float bu = m->user_bias ? m->user_bias[u] : 0.0f;
    return br_model_clamp(m, br_model_raw(m, m->prepared ? m->w1t : NULL, p, bu, i));
}

/* Predicted rating of dense user u for dense item i; returns NaN on bad arguments. */
float bookrec_model_predict(const bookrec_model *m, int user, int item) {
    if (!m || !m->has_users || user < 0 || user >= m->cfg.n_users || item < 0 || item >= m->cfg.n_items)
        return NAN;
    return predict_one(m, user, item);
}

/* Predicts n (user, item) pairs into out[0..n); returns BOOKREC_E_ARG if any index is out of range. */
int bookrec_model_predict_many(const bookrec_model *m, const int32_t *users, const int32_t *items, size_t n,
                               float *out, bookrec_error *err) {
    if (!m || (n && (!users || !items || !out)))
        return br_fail(err, BOOKREC_E_ARG, "bookrec_model_predict_many: NULL argument");
    if (!m->has_users) return br_fail(err, BOOKREC_E_STATE, "the model's users part is not loaded");
    for (size_t k = 0; k < n; k++) {
        if (users[k] < 0 || users[k] >= m->cfg.n_users)
            return br_fail(err, BOOKREC_E_ARG, "pair %zu: user index %d out of range 0..%d", k, (int)users[k],
                           m->cfg.n_users - 1);
        if (items[k] < 0 || items[k] >= m->cfg.n_items)
            return br_fail(err, BOOKREC_E_ARG, "pair %zu: item index %d out of range 0..%d", k, (int)items[k],
                           m->cfg.n_items - 1);
    }
    for (size_t k = 0; k < n; k++) out[k] = predict_one(m, users[k], items[k]);
    return br_ok(err);
}

/* ------------------------------------------------------------------ user state */

/* Number of floats in a user state: [user vector (dim) | user bias (1 for mf/ncf, none for seed)]. */
int bookrec_model_user_state_size(const bookrec_model *m) {
    if (!m) return 0;
    if (br_is_topn(&m->cfg)) return br_topn_state_size(m);
    return m->cfg.dim + (has_bias(&m->cfg) ? 1 : 0);
}

/* Writes dataset user u's state into out[0 .. user_state_size). */
int bookrec_model_user_state(const bookrec_model *m, int user, float *out, bookrec_error *err) {
    if (!m || !out) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_user_state: NULL argument");
    if (!m->has_users) return br_fail(err, BOOKREC_E_STATE, "the model's users part is not loaded");
    if (user < 0 || user >= m->cfg.n_users)
        return br_fail(err, BOOKREC_E_ARG, "user index %d out of range 0..%d", user, m->cfg.n_users - 1);
    if (br_is_topn(&m->cfg)) return br_topn_user_state(m, user, out, err);
    int d = m->cfg.dim;
    memcpy(out, m->user_emb + (size_t)user * d, (size_t)d * sizeof *out);
    if (m->user_bias) out[d] = m->user_bias[user];
    return br_ok(err);
}

/* ------------------------------------------------------------------ book-side caches */

/* Precomputes the book-side caches used by score_all and similar (called lazily by them; idempotent). */
int bookrec_model_prepare(bookrec_model *m, bookrec_error *err) {
    if (!m) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_prepare: NULL model");
    if (m->prepared) return br_ok(err);
    const bookrec_model_config *c = &m->cfg;
    if (c->arch == BOOKREC_ARCH_EASE) { /* no caches: B's rows are used as they are */
        m->prepared = 1;
        return br_ok(err);
    }
    size_t d = (size_t)c->dim, ni = (size_t)c->n_items, H = has_dense(c) ? (size_t)c->hidden : 0;
    if (!m->item_unit) m->item_unit = malloc(ni * d * sizeof(float));
    if (H && !m->w1t) m->w1t = malloc(2 * d * H * sizeof(float));
    if (H && !m->item_pre) m->item_pre = malloc(ni * H * sizeof(float));
    if (!m->item_unit || (H && (!m->w1t || !m->item_pre))) {
        free_caches(m);
        return br_fail(err, BOOKREC_E_NOMEM, "out of memory for the item-side caches");
    }
    for (size_t i = 0; i < ni; i++) {
        const float *q = m->item_emb + i * d;
        float *u = m->item_unit + i * d;
        float nrm = sqrtf(br_dot(q, q, (int)d));
        float s = nrm > 0.0f ? 1.0f / nrm : 0.0f;
        for (size_t k = 0; k < d; k++) u[k] = q[k] * s;
    }
    if (H) {
        for (size_t j = 0; j < H; j++)
            for (size_t k = 0; k < 2 * d; k++) m->w1t[k * H + j] = m->w1[j * 2 * d + k];
        for (size_t i = 0; i < ni; i++) {
            float *a = m->item_pre + i * H;
            memcpy(a, m->b1, H * sizeof *a);
            br_matvec_t(a, m->w1t, m->item_emb + i * d, (int)d, (int)H);
        }
    }
    if (c->arch == BOOKREC_ARCH_IALS) {
        int rc = br_topn_prepare(m, err); /* the fold-in's Gramian */
        if (rc) { free_caches(m); return rc; }
    }
    m->prepared = 1;
    return br_ok(err);
}

/* Scores every item for a user state (unclamped ranking scores; clamp to the rating range for display). */
int bookrec_model_score_all(bookrec_model *m, const float *state, float *scores, bookrec_error *err) {
    if (!m || !state || !scores) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_score_all: NULL argument");
    int rc = bookrec_model_prepare(m, err);
    if (rc) return rc;
    const bookrec_model_config *c = &m->cfg;
    if (br_is_topn(c)) {
        br_topn_score_all(m, state, scores);
        return br_ok(err);
    }
    int d = c->dim, ni = c->n_items;
    float bu = has_bias(c) ? state[d] : 0.0f;
    if (c->arch == BOOKREC_ARCH_MF) {
        float base = c->global_mean + bu;
        for (int i = 0; i < ni; i++)
            scores[i] = base + m->item_bias[i] + br_dot(state, m->item_emb + (size_t)i * d, d);
        return br_ok(err);
    }
    int H = c->hidden;
    float z[MAX_HIDDEN];
    memset(z, 0, (size_t)H * sizeof *z);
    br_matvec_t(z, m->w1t + (size_t)d * H, state, d, H);
    float b2 = m->b2[0];
    if (c->arch == BOOKREC_ARCH_SEED) {
        for (int i = 0; i < ni; i++) {
            float y = br_relu_dot(m->item_pre + (size_t)i * H, z, m->w2, H) + b2;
            scores[i] = y > 0.0f ? y : 0.0f;
        }
    } else {
        float base = c->global_mean + bu + b2;
        for (int i = 0; i < ni; i++)
            scores[i] = base + m->item_bias[i] + br_dot(state, m->item_emb + (size_t)i * d, d) +
                        br_relu_dot(m->item_pre + (size_t)i * H, z, m->w2, H);
    }
    return br_ok(err);
}

/* Top-k items for dataset user u, leaving out the given items; returns the count written or -1 (err filled). */
int bookrec_model_recommend(bookrec_model *m, int user, const int32_t *exclude, int n_exclude, int k,
                            int32_t *out_idx, float *out_score, bookrec_error *err) {
    if (!m) { br_fail(err, BOOKREC_E_ARG, "bookrec_model_recommend: NULL model"); return -1; }
    if (k < 0 || n_exclude < 0 || (n_exclude > 0 && !exclude) || (k > 0 && !out_idx)) {
        br_fail(err, BOOKREC_E_ARG, "bookrec_model_recommend: bad k %d, exclude list or output buffer", k);
        return -1;
    }
    size_t S = (size_t)bookrec_model_user_state_size(m);
    float *scores = malloc(((size_t)m->cfg.n_items + S) * sizeof *scores), *state = scores + m->cfg.n_items;
    if (!scores) { br_fail(err, BOOKREC_E_NOMEM, "out of memory for scores"); return -1; }
    int n = -1;
    if (!bookrec_model_user_state(m, user, state, err) && !bookrec_model_score_all(m, state, scores, err)) {
        n = bookrec_topk(scores, m->cfg.n_items, exclude, n_exclude, k, out_idx, out_score);
        if (n < 0) br_fail(err, BOOKREC_E_NOMEM, "out of memory ranking");
        else if (out_score) for (int j = 0; j < n; j++) out_score[j] = br_model_clamp(m, out_score[j]);
    }
    free(scores);
    if (n >= 0) br_ok(err);
    return n;
}

/* Top-k items by cosine similarity of item embeddings to item i (i itself excluded); returns the count or -1. */
int bookrec_model_similar(bookrec_model *m, int item, const int32_t *exclude, int n_exclude, int k,
                          int32_t *out_idx, float *out_score, bookrec_error *err) {
    if (!m) { br_fail(err, BOOKREC_E_ARG, "bookrec_model_similar: NULL model"); return -1; }
    int ni = m->cfg.n_items, d = m->cfg.dim;
    if (item < 0 || item >= ni) {
        br_fail(err, BOOKREC_E_ARG, "item index %d out of range 0..%d", item, ni - 1);
        return -1;
    }
    if (k < 0 || n_exclude < 0 || (n_exclude > 0 && !exclude) || (k > 0 && !out_idx)) {
        br_fail(err, BOOKREC_E_ARG, "bookrec_model_similar: bad k %d, exclude list or output buffer", k);
        return -1;
    }
    if (bookrec_model_prepare(m, err)) return -1;
    float *scores = malloc((size_t)ni * sizeof *scores);
    if (!scores) { br_fail(err, BOOKREC_E_NOMEM, "out of memory for scores"); return -1; }
    if (m->cfg.arch == BOOKREC_ARCH_EASE) {
        if (br_topn_similar_scores(m, item, scores, err)) { free(scores); return -1; }
    } else {
        br_matvec(scores, m->item_unit, m->item_unit + (size_t)item * d, ni, d);
    }
    scores[item] = NAN; /* never the item itself */
    int n = bookrec_topk(scores, ni, exclude, n_exclude, k, out_idx, out_score);
    free(scores);
    if (n < 0) br_fail(err, BOOKREC_E_NOMEM, "out of memory ranking");
    else br_ok(err);
    return n;
}

/* ------------------------------------------------------------------ fold-in */

/* Solves (A) x = b for a symmetric positive definite n x n A (row-major, overwritten) by Cholesky. */
int br_spd_solve(double *A, double *b, int n) {
    for (int j = 0; j < n; j++) {
        double s = A[j * n + j];
        for (int k = 0; k < j; k++) s -= A[j * n + k] * A[j * n + k];
        if (!(s > 0.0)) return -1;
        double l = sqrt(s);
        A[j * n + j] = l;
        for (int i = j + 1; i < n; i++) {
            double t = A[i * n + j];
            for (int k = 0; k < j; k++) t -= A[i * n + k] * A[j * n + k];
            A[i * n + j] = t / l;
        }
    }
    for (int i = 0; i < n; i++) { /* L y = b */
        double t = b[i];
        for (int k = 0; k < i; k++) t -= A[i * n + k] * b[k];
        b[i] = t / A[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
        double t = b[i];
        for (int k = i + 1; k < n; k++) t -= A[k * n + i] * b[k];
        b[i] = t / A[i * n + i];
    }
    return 0;
}

/* mf: ridge regression of r - mu - b_i on [q_i; 1], penalty l2 |[p; b]|^2. */
static int foldin_mf(const bookrec_model *m, const int32_t *items, const float *ratings, int n, float l2,
                     const float *off, float *state, bookrec_error *err) {
    int d = m->cfg.dim, D = d + 1;
    double *A = calloc((size_t)D * D + D, sizeof *A);
    if (!A) return br_fail(err, BOOKREC_E_NOMEM, "out of memory in fold-in");
    double *b = A + (size_t)D * D;
    double phi[MAX_DIM + 1];
    for (int e = 0; e < n; e++) {
        const float *q = m->item_emb + (size_t)items[e] * d;
        for (int k = 0; k < d; k++) phi[k] = q[k];
        phi[d] = 1.0;
        double t = (double)ratings[e] - m->cfg.global_mean - m->item_bias[items[e]] - br_dot(off, q, d);
        for (int i = 0; i < D; i++) {
            b[i] += phi[i] * t;
            for (int j = 0; j <= i; j++) A[i * D + j] += phi[i] * phi[j];
        }
    }
    for (int i = 0; i < D; i++) {
        A[i * D + i] += l2;
        for (int j = 0; j < i; j++) A[j * D + i] = A[i * D + j];
    }
    int rc = br_spd_solve(A, b, D);
    if (!rc)
        for (int i = 0; i < D; i++) state[i] = (float)b[i] + (i < d ? off[i] : 0.0f);
    free(A);
    if (rc) return br_fail(err, BOOKREC_E_ARG, "fold-in: the ratings give a singular system (l2 must be > 0)");
    return BOOKREC_OK;
}

/* seed/ncf: full-batch Adam on the user state, loss (1/n) sum (y - r)^2 + l2 |state|^2, from zero. */
static void foldin_adam(const bookrec_model *m, const int32_t *items, const float *ratings, int n,
                        int iters, float lr, float l2, const float *off, float *s) {
    const bookrec_model_config *c = &m->cfg;
    int d = c->dim, H = c->hidden, S = d + (has_bias(c) ? 1 : 0);
    int seed = c->arch == BOOKREC_ARCH_SEED;
    const float *w1u_t = m->w1t + (size_t)d * H;
    float mo[MAX_DIM + 1], ve[MAX_DIM + 1], g[MAX_DIM + 1], eff[MAX_DIM];
    float z[MAX_HIDDEN], dz[MAX_HIDDEN];
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-7f;
    memset(s, 0, (size_t)S * sizeof *s);
    memset(mo, 0, sizeof mo);
    memset(ve, 0, sizeof ve);
    double p1 = 1.0, p2 = 1.0;
    for (int it = 1; it <= iters; it++) {
        for (int k = 0; k < d; k++) eff[k] = s[k] + off[k]; /* the effective user vector */
        memset(z, 0, (size_t)H * sizeof *z);
        br_matvec_t(z, w1u_t, eff, d, H);
        memset(dz, 0, (size_t)H * sizeof *dz);
        memset(g, 0, (size_t)S * sizeof *g);
        for (int e = 0; e < n; e++) {
            int i = items[e];
            const float *a = m->item_pre + (size_t)i * H;
            float o = br_relu_dot(a, z, m->w2, H) + m->b2[0], dy;
            if (seed) {
                dy = o > 0.0f ? 2.0f * (o - ratings[e]) / (float)n : 0.0f;
            } else {
                const float *q = m->item_emb + (size_t)i * d;
                float y = o + c->global_mean + s[d] + m->item_bias[i] + br_dot(eff, q, d);
                dy = 2.0f * (y - ratings[e]) / (float)n;
                br_axpy(g, dy, q, d);
                g[d] += dy;
            }
            if (dy == 0.0f) continue;
            for (int j = 0; j < H; j++)
                if (a[j] + z[j] > 0.0f) dz[j] += dy * m->w2[j];
        }
        for (int j = 0; j < H; j++)
            if (dz[j] != 0.0f) br_axpy(g, dz[j], m->w1 + (size_t)j * 2 * d + d, d);
        for (int k = 0; k < S; k++) g[k] += 2.0f * l2 * s[k];
        p1 *= b1;
        p2 *= b2;
        float lr_t = (float)(lr * sqrt(1.0 - p2) / (1.0 - p1));
        br_adam(s, mo, ve, g, S, lr_t, b1, b2, eps);
    }
    for (int k = 0; k < d; k++) s[k] += off[k];
}

/* Fits a new reader's state from n (item, rating) pairs with the item side frozen; writes it to state_out. */
int bookrec_model_fold_in(bookrec_model *m, const int32_t *items, const float *ratings, int n,
                          const bookrec_foldin_options *opt, float *state_out, bookrec_error *err) {
    if (!m || !state_out) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_fold_in: NULL model or output");
    int topn = br_is_topn(&m->cfg); /* a top-N reader may have no ratings yet: the prior ranks the books */
    if (n < 0 || (n == 0 && !topn)) return br_fail(err, BOOKREC_E_ARG, "fold-in needs at least one rating, got n = %d", n);
    if (n > 0 && (!items || !ratings)) return br_fail(err, BOOKREC_E_ARG, "bookrec_model_fold_in: NULL items or ratings");
    const bookrec_model_config *c = &m->cfg;
    for (int e = 0; e < n; e++) {
        if (items[e] < 0 || items[e] >= c->n_items)
            return br_fail(err, BOOKREC_E_ARG, "fold-in pair %d: item index %d out of range 0..%d", e, (int)items[e],
                           c->n_items - 1);
        if (!isfinite(ratings[e]) || ratings[e] < c->min_rating || ratings[e] > c->max_rating)
            return br_fail(err, BOOKREC_E_ARG, "fold-in pair %d: rating %g is not a number in %g..%g", e,
                           (double)ratings[e], (double)c->min_rating, (double)c->max_rating);
    }
    if (topn) return br_topn_fold_in(m, items, ratings, n, state_out, err);
    int iters = opt && opt->iters > 0 ? opt->iters : 200;
    float lr = opt && opt->lr > 0.0f ? opt->lr : 0.05f;
    float l2 = opt && opt->l2 > 0.0f ? opt->l2 : 0.05f;
    if (!isfinite(lr) || !isfinite(l2) || iters > 1000000)
        return br_fail(err, BOOKREC_E_ARG, "fold-in options: lr %g, l2 %g, iters %d not usable", (double)lr,
                       (double)l2, iters);
    float off[MAX_DIM]; /* implicit models: |N|^-1/2 sum of y_j over the reader's rated items */
    br_model_implicit_sum(m, items, n, off);
    if (c->arch == BOOKREC_ARCH_MF) {
        int rc = foldin_mf(m, items, ratings, n, l2, off, state_out, err);
        return rc ? rc : br_ok(err);
    }
    int rc = bookrec_model_prepare(m, err);
    if (rc) return rc;
    foldin_adam(m, items, ratings, n, iters, lr, l2, off, state_out);
    return br_ok(err);
}
