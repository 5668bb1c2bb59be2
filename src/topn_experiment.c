/*
 * topn_experiment.c - the experiment behind `bookrec train --arch ease|ials` (bookrec_topn_train): readers held out
 * as new readers, EASE or iALS fitted on everyone else, the match calibrated on the held-out readers of even index
 * and checked on the odd ones, all of them ranked; or, for EASE, the held-out readers' figures for several K from
 * one dense solve. The ratings are packed once (bookrec_packed, taken from the dataset as it packs) and grouped from
 * there: the EASE readers' part straight into the model, the iALS pairs compactly (br_ials_data); the fit's part is
 * never copied, only the held-out readers' ratings are. Also the rule that switches EASE to iALS for large
 * catalogues, and the stable grouping by user the core shares (br_csr_fill).
 * Not here: the fits (ease.c, ials.c, topn.c), the choice of the held-out readers (eval.c), flags, printing, clocks
 * and files (the CLI's cmd_train_topn.c).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

bookrec_arch bookrec_topn_arch_for(bookrec_arch asked, int n_items, int force_ease) {
    return asked == BOOKREC_ARCH_EASE && n_items > BOOKREC_EASE_MAX_ITEMS && !force_ease ? BOOKREC_ARCH_IALS : asked;
}

void br_csr_fill(const br_rsrc *src, const unsigned char *only, int n_users, int32_t *off, int32_t *item,
                 float *rating) {
    size_t n = br_rsrc_n(src);
    int32_t u, i;
    float r;
    for (size_t k = 0; k < n; k++) {
        br_rsrc_get(src, k, &u, &i, &r);
        if (!only || only[u]) off[u + 1]++;
    }
    for (int v = 0; v < n_users; v++) off[v + 1] += off[v];
    for (size_t k = 0; k < n; k++) { /* off[u] as u's cursor: it ends on the start of u + 1 */
        br_rsrc_get(src, k, &u, &i, &r);
        if (only && !only[u]) continue;
        int32_t at = off[u]++;
        item[at] = i;
        rating[at] = r;
    }
    memmove(off + 1, off, (size_t)n_users * sizeof *off);
    off[0] = 0;
}

/* One run of the experiment. */
typedef struct run {
    bookrec_ratings *r;
    const bookrec_topn_options *o;
    bookrec_topn_result *res;
    int n_users, n_items;
    size_t n_all;
    bookrec_packed packed;        /* the ratings (src reads them), or r->all when they do not pack */
    br_rsrc src;
    unsigned char *held;          /* n_users: 1 for a held-out reader */
    bookrec_triples fold, target; /* the held-out readers' ratings */
} run;

static void progress(run *x, bookrec_topn_stage stage) {
    if (x->o->progress) x->o->progress(x->o->progress_ctx, stage, x->res);
}

/* Fails naming the step for the caller's message. */
static int step_failed(run *x, const char *step, int rc) {
    if (rc && !x->res->step) x->res->step = step;
    return rc;
}

/* Frees the ratings once they are grouped. */
static void drop_ratings(run *x) {
    bookrec_packed_free(&x->packed);
    bookrec_triples_free(&x->r->all);
    x->src.t = NULL;
    x->src.p = NULL;
}

/* A new model of the run's shape; the dataset's ids only for a model that is kept. */
static int new_model(run *x, bookrec_arch arch, int dim, int64_t n_entries, int ids, bookrec_model **m,
                     bookrec_error *err) {
    int rc = step_failed(x, "model", bookrec_topn_model_create(arch, x->n_users, x->n_items, dim, n_entries,
                                                               x->r->min_rating, x->r->max_rating, m, err));
    if (!rc && ids) { /* the dataset's id tables move into the model (no second copy of millions of reader ids) */
        br_ids_free((*m)->users);
        br_ids_free((*m)->items);
        (*m)->users = x->r->users, (*m)->items = x->r->items;
        x->r->users = x->r->items = NULL;
    }
    return rc;
}

/* The held-out readers' options. */
static bookrec_newreader_options held_options(const run *x) {
    bookrec_newreader_options no;
    memset(&no, 0, sizeof no);
    no.n_readers = x->o->held_out ? x->o->held_out : 500;
    no.seed = x->o->split_seed ? x->o->split_seed : 7;
    return no;
}

/* Holds readers out, from the ratings grouped by user. */
static int hold_out(run *x, const br_csr *c, bookrec_error *err) {
    x->held = calloc((size_t)x->n_users, 1);
    if (!x->held) return step_failed(x, "holding readers out", br_fail(err, BOOKREC_E_NOMEM, "out of memory"));
    bookrec_newreader_options no = held_options(x);
    int rc = br_new_readers_pick(c, x->n_users, x->n_all, &no, x->held, &x->fold, &x->target, &x->res->n_held, err);
    x->res->n_fit = x->n_all - x->fold.n - x->target.n;
    return step_failed(x, "holding readers out", rc);
}

/* Holds readers out without grouping every rating: their choice from each reader's count, then a grouping of the
   held-out readers' ratings alone (the same parts as hold_out). */
static int hold_out_counted(run *x, bookrec_error *err) {
    br_csr c = {calloc((size_t)x->n_users + 1, sizeof *c.off), NULL, NULL};
    br_held h = {0};
    x->held = calloc((size_t)x->n_users, 1);
    int rc = c.off && x->held ? BOOKREC_OK : br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    size_t n = br_rsrc_n(&x->src);
    for (size_t k = 0; !rc && k < n; k++) {
        int32_t u, i;
        float r;
        br_rsrc_get(&x->src, k, &u, &i, &r);
        c.off[u + 1]++;
    }
    for (int u = 0; !rc && u < x->n_users; u++) c.off[u + 1] += c.off[u];
    bookrec_newreader_options no = held_options(x);
    if (!rc) rc = br_new_readers_choose(c.off, x->n_users, x->n_all, &no, x->held, &h, err);
    if (!rc) {
        memset(c.off, 0, ((size_t)x->n_users + 1) * sizeof *c.off);
        c.item = malloc((h.n_ratings + 1) * sizeof *c.item);
        c.rating = malloc((h.n_ratings + 1) * sizeof *c.rating);
        if (!c.item || !c.rating) rc = br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    }
    if (!rc) {
        br_csr_fill(&x->src, x->held, x->n_users, c.off, c.item, c.rating);
        rc = br_new_readers_emit(&h, &c, &x->fold, &x->target, err);
    }
    x->res->n_held = rc ? 0 : h.n;
    x->res->n_fit = x->n_all - x->fold.n - x->target.n;
    free(h.readers);
    br_csr_free(&c);
    return step_failed(x, "holding readers out", rc);
}

/* A temporary grouping by user of every rating (8 bytes each; the curve's). */
static int group(run *x, br_csr *c, bookrec_error *err) {
    size_t n = x->n_all ? x->n_all : 1;
    c->off = calloc((size_t)x->n_users + 1, sizeof *c->off);
    c->item = malloc(n * sizeof *c->item);
    c->rating = malloc(n * sizeof *c->rating);
    if (!c->off || !c->item || !c->rating) {
        br_csr_free(c);
        return step_failed(x, "holding readers out", br_fail(err, BOOKREC_E_NOMEM, "out of memory grouping ratings"));
    }
    br_csr_fill(&x->src, NULL, x->n_users, c->off, c->item, c->rating);
    return BOOKREC_OK;
}

static float *dense_matrix(run *x, bookrec_error *err) {
    size_t N = (size_t)x->n_items;
    float *B = malloc(N * N * sizeof *B);
    if (!B)
        step_failed(x, "EASE", br_fail(err, BOOKREC_E_NOMEM, "out of memory for the %zu x %zu matrix (%zu MB)", N, N,
                                        N * N * sizeof *B >> 20));
    return B;
}

/* EASE: the readers' part (every rating, so that held-out readers are ranked from all they read like every other
   dataset reader) grouped straight into the model, B from everyone but the held-out readers. */
static int fit_ease(run *x, bookrec_model **out, bookrec_error *err) {
    bookrec_model *m = NULL;
    int rc = new_model(x, BOOKREC_ARCH_EASE, x->res->dim, (int64_t)x->n_all, 1, &m, err);
    if (rc) return rc;
    *out = m;
    memset(m->user_off, 0, ((size_t)x->n_users + 1) * sizeof *m->user_off);
    br_csr_fill(&x->src, NULL, x->n_users, m->user_off, m->user_item, m->user_rating);
    drop_ratings(x);
    br_csr view = {m->user_off, m->user_item, m->user_rating};
    if ((rc = hold_out(x, &view, err))) return rc;
    progress(x, BOOKREC_TOPN_FITTING);
    float *B = dense_matrix(x, err);
    if (!B) return BOOKREC_E_NOMEM;
    const bookrec_topn_options *o = x->o;
    rc = br_ease_dense_csr(&view, x->n_users, x->held, x->n_items, x->r->min_rating, x->r->max_rating, &o->ease, B, err);
    if (!rc) rc = br_ease_from_dense(m, B, &view, x->n_users, x->held, &o->ease, err);
    free(B);
    return step_failed(x, "EASE", rc);
}

/* iALS: the held-out readers chosen from counts, the fit's pairs gathered compactly from the packed ratings, which
   are then freed before the factors are made. */
static int fit_ials(run *x, bookrec_model **out, bookrec_error *err) {
    int rc = hold_out_counted(x, err);
    if (rc) return rc;
    progress(x, BOOKREC_TOPN_FITTING);
    br_ials_data d;
    bookrec_ials_options io = x->o->ials;
    io.dim = x->res->dim;
    io.min_rating = x->r->min_rating;
    io.max_rating = x->r->max_rating;
    rc = step_failed(x, "iALS", br_ials_data_build(&x->src, x->held, x->n_users, x->n_items, &io, &d, err));
    if (rc) return rc;
    drop_ratings(x);
    rc = new_model(x, BOOKREC_ARCH_IALS, x->res->dim, 0, 1, out, err);
    if (!rc) rc = step_failed(x, "iALS", br_topn_ials_fit(*out, &d, &io, err));
    br_ials_data_free(&d);
    return rc;
}

/* The held-out readers' HR/NDCG@10 as new readers (the model's own fold-in). */
static int rank_held_out(run *x, bookrec_model *m, bookrec_rank_result *res, bookrec_error *err) {
    bookrec_model_scorer sc;
    memset(&sc, 0, sizeof sc);
    sc.model = m;
    bookrec_rank_options ro;
    memset(&ro, 0, sizeof ro);
    ro.min_rating = x->r->min_rating;
    ro.max_rating = x->r->max_rating;
    memset(res, 0, sizeof *res);
    return step_failed(x, "ranking the held-out readers",
                       bookrec_rank_evaluate_new(x->n_users, x->n_items, &x->fold, &x->target, bookrec_score_model, &sc,
                                                 &ro, res, err));
}

/* The curve: one dense solve, then each K's figures. */
static int curve(run *x, bookrec_error *err) {
    br_csr c;
    int rc = group(x, &c, err);
    drop_ratings(x);
    if (!rc) rc = hold_out(x, &c, err);
    float *B = NULL;
    if (!rc) {
        progress(x, BOOKREC_TOPN_FITTING);
        if (!(B = dense_matrix(x, err))) rc = BOOKREC_E_NOMEM;
    }
    if (!rc)
        rc = step_failed(x, "EASE", br_ease_dense_csr(&c, x->n_users, x->held, x->n_items, x->r->min_rating,
                                                      x->r->max_rating, &x->o->ease, B, err));
    if (!rc) progress(x, BOOKREC_TOPN_FITTED);
    for (int j = 0; !rc && j < x->o->n_curve; j++) {
        bookrec_model *m = NULL;
        bookrec_topn_point *p = &x->res->point;
        p->k = x->o->curve[j];
        rc = new_model(x, BOOKREC_ARCH_EASE, p->k, 0, 0, &m, err);
        if (!rc) rc = step_failed(x, "EASE", br_ease_from_dense(m, B, &c, x->n_users, x->held, &x->o->ease, err));
        bookrec_rank_result rr = {0};
        if (!rc) rc = rank_held_out(x, m, &rr, err);
        uint8_t *bytes = NULL;
        bookrec_save_options so = {BOOKREC_PART_ITEMS, BOOKREC_Q8};
        if (!rc) rc = step_failed(x, "save", bookrec_model_save(m, &so, &bytes, &p->items_bytes, err));
        bookrec_free(bytes);
        bookrec_model_free(m);
        p->hr = rr.hr;
        p->ndcg = rr.ndcg;
        if (!rc) progress(x, BOOKREC_TOPN_POINT);
    }
    free(B);
    br_csr_free(&c);
    return rc;
}

/* Splits the held-out readers' triples by the parity of the reader index: even readers into *a, odd into *b. */
static int split_readers(const bookrec_triples *t, bookrec_triples *a, bookrec_triples *b) {
    size_t na = 0;
    for (size_t e = 0; e < t->n; e++) na += (t->user[e] & 1) == 0;
    if (bookrec_triples_alloc(a, na) || bookrec_triples_alloc(b, t->n - na)) return BOOKREC_E_NOMEM;
    a->n = b->n = 0;
    for (size_t e = 0; e < t->n; e++) {
        bookrec_triples *o = (t->user[e] & 1) == 0 ? a : b;
        o->user[o->n] = t->user[e];
        o->item[o->n] = t->item[e];
        o->rating[o->n++] = t->rating[e];
    }
    return BOOKREC_OK;
}

/* Calibrates the match on the even half of the held-out readers and bins how it holds on the odd half. */
static int calibrate(run *x, bookrec_model *m, bookrec_error *err) {
    bookrec_topn_result *res = x->res;
    bookrec_triples fa = {0}, fb = {0}, ta = {0}, tb = {0};
    int rc = BOOKREC_OK;
    if (split_readers(&x->fold, &fa, &fb) || split_readers(&x->target, &ta, &tb))
        rc = step_failed(x, "calibration", br_fail(err, BOOKREC_E_NOMEM, "out of memory"));
    res->threshold = bookrec_relevance_threshold(x->r->min_rating, x->r->max_rating);
    bookrec_error e2 = {0};
    if (!rc) res->calibrated = bookrec_model_calibrate(m, &fa, &ta, res->threshold, &e2) == BOOKREC_OK;
    if (!rc && !res->calibrated) memcpy(res->calibration_error, e2.msg, sizeof e2.msg);
    if (res->calibrated)
        res->reliability = bookrec_model_reliability(m, &fb, &tb, res->threshold, BOOKREC_TOPN_BINS, res->count,
                                                     res->mean_match, res->observed, &e2) == BOOKREC_OK;
    bookrec_triples_free(&fa);
    bookrec_triples_free(&fb);
    bookrec_triples_free(&ta);
    bookrec_triples_free(&tb);
    return rc;
}

int bookrec_topn_train(bookrec_ratings *r, const bookrec_topn_options *opt, bookrec_model **out,
                       bookrec_topn_result *res, bookrec_error *err) {
    if (!r || !opt || !res || (!out && !opt->n_curve))
        return br_fail(err, BOOKREC_E_ARG, "bookrec_topn_train: NULL argument");
    memset(res, 0, sizeof *res);
    if (out) *out = NULL;
    if (opt->arch != BOOKREC_ARCH_EASE && opt->arch != BOOKREC_ARCH_IALS)
        return br_fail(err, BOOKREC_E_ARG, "bookrec_topn_train: arch %d is not a top-N model", (int)opt->arch);
    if (opt->n_curve && (opt->arch != BOOKREC_ARCH_EASE || !opt->curve))
        return br_fail(err, BOOKREC_E_ARG, "bookrec_topn_train: the curve is for EASE");
    run x;
    memset(&x, 0, sizeof x);
    x.r = r, x.o = opt, x.res = res;
    x.n_users = bookrec_ids_count(r->users);
    x.n_items = bookrec_ids_count(r->items);
    x.n_all = r->all.n;
    res->arch = opt->arch;
    res->dim = opt->dim ? opt->dim : opt->arch == BOOKREC_ARCH_IALS ? BOOKREC_IALS_DIM : BOOKREC_EASE_K;
    if (opt->arch == BOOKREC_ARCH_EASE && res->dim > x.n_items) res->dim = x.n_items;
    /* packed, the dataset's triples given back as they go; ratings that do not pack stay as triples */
    int rc = br_triples_check(&r->all, x.n_users, x.n_items, "new-reader split", err);
    if (rc) return step_failed(&x, "holding readers out", rc);
    bookrec_error e2 = {0};
    if (bookrec_packed_from_triples(&r->all, x.n_users, x.n_items, &x.packed, &e2) == BOOKREC_OK) x.src.p = &x.packed;
    else x.src.t = &r->all;
    bookrec_model *m = NULL;
    rc = opt->n_curve ? curve(&x, err) : opt->arch == BOOKREC_ARCH_EASE ? fit_ease(&x, &m, err) : fit_ials(&x, &m, err);
    if (!rc && m) {
        progress(&x, BOOKREC_TOPN_FITTED);
        rc = calibrate(&x, m, err);
        if (!rc) rc = rank_held_out(&x, m, &res->ranking, err);
    }
    drop_ratings(&x);
    free(x.held);
    bookrec_triples_free(&x.fold);
    bookrec_triples_free(&x.target);
    if (rc || !out) bookrec_model_free(m);
    else *out = m;
    return rc ? rc : br_ok(err);
}
