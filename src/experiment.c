/*
 * experiment.c - the rating models' experiment set-ups: the one table of presets (architecture names and the
 * tuned defaults `bookrec train`, `bookrec eval --all`, `bookrec tune` and the export manifest start from), the
 * architecture names, a spec's model, training (from packed ratings when it can: the same model, less memory; the
 * best epoch reported), training a spec on the data a ranker may learn from (early stopping on the validation part
 * carved from it, never on a test part), and a spec as a row of a ranker table (src/protocol.c), whose new readers
 * are folded in with an L2 matched to training's; a ranker table run on a train/test split (each fitted once, spec
 * rows scored for test RMSE/MAE, every row ranked for the dataset users); a trained model's rankings (dataset users
 * beside popularity, new readers through the protocol).
 * Not here: the training loop (src/train.c), the metrics and the protocol (src/eval.c, src/protocol.c), the tuning
 * grid and search (src/tune.c), `bookrec train`'s run (src/train_run.c), flags and printing (the CLI); it reads no
 * files.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ architectures */

static const char *const arch_names[] = {"seed", "mf", "ncf", "ease", "ials"};

const char *bookrec_arch_name(bookrec_arch a) {
    return a >= BOOKREC_ARCH_SEED && a <= BOOKREC_ARCH_IALS ? arch_names[a] : "unknown";
}

int bookrec_arch_parse(const char *name, bookrec_arch *out) {
    for (int a = BOOKREC_ARCH_SEED; name && a <= BOOKREC_ARCH_IALS; a++)
        if (!strcmp(name, arch_names[a])) {
            if (out) *out = (bookrec_arch)a;
            return BOOKREC_OK;
        }
    return BOOKREC_E_ARG;
}

/* ------------------------------------------------------------------ presets */

/* One preset: 0 in dim, hidden, epochs and lr keeps the core's default (the tutorial's: dim 15, hidden 128,
   5 epochs, Adam 1e-3, batch 64, no regularisation). */
typedef struct preset {
    const char *name; /* bookrec train --arch / bookrec tune's starting point */
    const char *row;  /* the row of bookrec eval --all --archs it fills, or NULL */
    bookrec_arch arch;
    int dim, hidden, epochs, patience, implicit, group_users;
    float lr, l2, l2_dense;
} preset;

static const preset presets[] = {
    /* the tutorial's network with the tutorial's values */
    {"seed", "seed", BOOKREC_ARCH_SEED, 0, 0, 0, 0, 0, 0, 0.0f, 0.0f, 0.0f},
    /* bookrec train's mf and ncf: chosen on validation, small enough to train in a minute */
    {"mf", NULL, BOOKREC_ARCH_MF, 32, 0, 40, 2, 0, 0, 3e-3f, 0.1f, 0.0f},
    {"ncf", NULL, BOOKREC_ARCH_NCF, 32, 0, 40, 2, 0, 0, 3e-3f, 0.1f, 0.0f},
    /* chosen by `bookrec tune --arch mf` on the validation part (docs/evaluation.md): L2 0.1 beat 0.02..0.8, and
       larger embeddings kept helping (valid RMSE 0.8372 at dim 16, 0.8314 at 64, 0.8259 at 128, 0.8234 at 256);
       128 is the compromise with size and time */
    {"mf128", "mf", BOOKREC_ARCH_MF, 128, 0, 60, 2, 0, 0, 3e-3f, 0.1f, 0.0f},
    /* `bookrec tune --arch ncf`: without L2 on the dense layers it overfits after 2 epochs (valid 0.8415); with
       --l2-dense 0.1 it trains 18 epochs to 0.8266 at dim 128, hidden 64 */
    {"ncf128", "ncf", BOOKREC_ARCH_NCF, 128, 64, 60, 2, 0, 0, 3e-3f, 0.1f, 0.1f},
    /* `bookrec tune --arch mf --implicit --lr 0.003 --l2 0.1 --dim 128`: valid RMSE 0.8333 (worse than plain mf's
       0.8259) but valid NDCG@10 0.0102 (plain: 0.0029); the SVD++ variants train with users grouped */
    {"mf128-implicit", "mf-implicit", BOOKREC_ARCH_MF, 128, 0, 60, 2, 1, 1, 3e-3f, 0.1f, 0.0f},
    {"ncf128-implicit", "ncf-implicit", BOOKREC_ARCH_NCF, 128, 64, 60, 2, 1, 1, 3e-3f, 0.1f, 0.1f},
};
#define N_PRESETS ((int)(sizeof presets / sizeof presets[0]))

static void apply(const preset *p, bookrec_spec *s) {
    memset(s, 0, sizeof *s);
    bookrec_model_config_default(&s->cfg);
    bookrec_train_options_default(&s->to);
    s->cfg.arch = p->arch;
    s->valid_fraction = BOOKREC_VALID_FRACTION;
    if (p->dim) s->cfg.dim = p->dim;
    if (p->hidden) s->cfg.hidden = p->hidden;
    if (p->epochs) s->to.epochs = p->epochs;
    if (p->lr > 0) s->to.lr = p->lr;
    s->to.patience = p->patience;
    s->to.l2 = p->l2;
    s->to.l2_dense = p->l2_dense;
    s->cfg.implicit = p->implicit;
    s->to.group_users = p->group_users;
}

int bookrec_preset(const char *name, bookrec_spec *s, bookrec_error *err) {
    for (int k = 0; name && k < N_PRESETS; k++)
        if (!strcmp(name, presets[k].name)) {
            apply(&presets[k], s);
            return br_ok(err);
        }
    return br_fail(err, BOOKREC_E_ARG, "no preset named '%s'", name ? name : "(null)");
}

int bookrec_preset_row(const char *row, bookrec_spec *s, bookrec_error *err) {
    for (int k = 0; row && k < N_PRESETS; k++)
        if (presets[k].row && !strcmp(row, presets[k].row)) {
            apply(&presets[k], s);
            return br_ok(err);
        }
    return br_fail(err, BOOKREC_E_ARG, "no evaluation row named '%s'", row ? row : "(null)");
}

void bookrec_spec_unset(bookrec_spec *s) {
    apply(&presets[0], s);
    s->cfg.dim = 0;
    s->to.epochs = 0;
    s->to.lr = 0.0f;
    s->to.l2 = -1.0f;
    s->to.patience = -1;
}

int bookrec_preset_fill(const char *name, bookrec_spec *s, bookrec_error *err) {
    bookrec_spec p;
    int st = bookrec_preset(name, &p, err);
    if (st != BOOKREC_OK) return st;
    s->cfg.arch = p.cfg.arch;
    if (s->cfg.dim == 0) s->cfg.dim = p.cfg.dim;
    if (s->to.epochs == 0) s->to.epochs = p.to.epochs;
    if (s->to.lr == 0.0f) s->to.lr = p.to.lr;
    if (s->to.l2 < 0.0f) s->to.l2 = p.to.l2;
    if (s->to.patience < 0) s->to.patience = p.to.patience;
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ training a spec */

int bookrec_spec_model(const bookrec_spec *s, int n_users, int n_items, float min_rating, float max_rating,
                       const bookrec_triples *fit, const bookrec_triples *test, bookrec_model **out, size_t *added,
                       bookrec_error *err) {
    if (!s || !fit || !out) return br_fail(err, BOOKREC_E_ARG, "spec model: NULL argument");
    *out = NULL;
    bookrec_model_config cfg = s->cfg;
    cfg.n_users = n_users;
    cfg.n_items = n_items;
    cfg.min_rating = min_rating;
    cfg.max_rating = max_rating;
    cfg.n_tags = s->tags ? s->tags->n_tags : 0;
    bookrec_model *m = NULL;
    int st = bookrec_model_create(&cfg, &m, err);
    if (st == BOOKREC_OK && s->users && s->items) st = bookrec_model_set_ids(m, s->users, s->items, err);
    if (st == BOOKREC_OK && s->tags) st = bookrec_model_set_tags(m, s->tags->off, s->tags->idx, s->tags->w, err);
    if (added) *added = 0;
    if (st == BOOKREC_OK && cfg.implicit) st = bookrec_model_set_implicit_sets(m, fit, test, s->to_read, added, err);
    if (st != BOOKREC_OK) {
        bookrec_model_free(m);
        return st;
    }
    *out = m;
    return BOOKREC_OK;
}

/* Trains m for opt->epochs at most, from the packed ratings when pk is not NULL, and fills info (may be NULL) from
   the epochs: the best by validation RMSE when valid is given. */
static int train_info(bookrec_model *m, const bookrec_triples *fit, const bookrec_triples *valid, bookrec_packed *pk,
                      const bookrec_packed *vpk, const bookrec_train_options *opt, bookrec_train_info *info,
                      bookrec_error *err) {
    int n_hist = 0, cap = opt->epochs > 0 ? opt->epochs : 1;
    bookrec_epoch_stats *hist = calloc((size_t)cap, sizeof *hist);
    if (!hist) return br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    int st = pk ? bookrec_train_packed(m, pk, vpk, opt, hist, cap, &n_hist, err)
                : bookrec_train(m, fit, valid, opt, hist, cap, &n_hist, err);
    if (st == BOOKREC_OK && info) {
        memset(info, 0, sizeof *info);
        info->epochs_run = n_hist;
        info->best_valid_rmse = NAN;
        info->best_valid_mae = NAN;
        for (int e = 0; e < n_hist && valid; e++) /* the first best, the epoch early stopping keeps */
            if (info->best_epoch == 0 || hist[e].test_rmse < info->best_valid_rmse) {
                info->best_epoch = hist[e].epoch;
                info->best_valid_rmse = hist[e].test_rmse;
                info->best_valid_mae = hist[e].test_mae;
            }
    }
    free(hist);
    return st;
}

/* train_info from fit packed (and valid, when its fields fit too), unpacking valid back afterwards. */
static int train_packed_info(bookrec_model *m, bookrec_packed *pk, bookrec_triples *valid,
                             const bookrec_train_options *opt, bookrec_train_info *info, bookrec_error *err) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    bookrec_packed vpk = {0};
    int st = BOOKREC_OK;
    if (valid && valid->n) /* the fields fit for the training part, so for this one too (E_ARG: not packed) */
        if (bookrec_packed_from_triples(valid, c->n_users, c->n_items, &vpk, err) == BOOKREC_E_NOMEM)
            return BOOKREC_E_NOMEM;
    if (vpk.rec || !valid || !valid->n) {
        st = train_info(m, NULL, valid, pk, vpk.rec ? &vpk : NULL, opt, info, err);
        if (vpk.rec) {
            bookrec_error e2 = {0};
            int st2 = bookrec_packed_to_triples(&vpk, valid, &e2);
            if (st == BOOKREC_OK && st2 != BOOKREC_OK) st = br_fail(err, st2, "unpacking the validation ratings: %s", e2.msg);
        }
    } else { /* validation not packed: train from the triples, unpacked back */
        bookrec_triples back = {0};
        st = bookrec_packed_to_triples(pk, &back, err);
        if (st == BOOKREC_OK) st = train_info(m, &back, valid, NULL, NULL, opt, info, err);
        bookrec_triples_free(&back);
    }
    return st;
}

int br_train_pack(int n_users, int n_items, int implicit, int n_tags, const bookrec_train_options *opt, int pack,
                  bookrec_triples *fit, bookrec_packed *pk, bookrec_error *why, bookrec_error *err) {
    memset(pk, 0, sizeof *pk);
    if (why) why->msg[0] = '\0';
    if (!(pack && opt->shuffle_in_place && !opt->group_users && !implicit && n_tags == 0)) return BOOKREC_OK;
    size_t n = fit->n;
    bookrec_error e = {0};
    int st = bookrec_packed_from_triples(fit, n_users, n_items, pk, &e);
    if (st == BOOKREC_E_ARG) { /* fields too wide for 64 bits: train from the triples (left as they were) */
        if (why) *why = e;
        return BOOKREC_OK;
    }
    if (st != BOOKREC_OK) return br_fail(err, st, "%s", e.msg);
    fit->n = n; /* the arrays are consumed; the count stays for the caller's figures */
    return BOOKREC_OK;
}

int br_train_fit_packed(bookrec_model *m, bookrec_triples *fit, bookrec_packed *pk, bookrec_triples *valid,
                        const bookrec_train_options *opt, bookrec_train_info *info, bookrec_error *err) {
    if (!pk->rec) return train_info(m, fit, valid, NULL, NULL, opt, info, err);
    int st = train_packed_info(m, pk, valid, opt, info, err);
    bookrec_packed_free(pk);
    return st;
}

int bookrec_train_fit(bookrec_model *m, bookrec_triples *fit, bookrec_triples *valid, const bookrec_train_options *opt,
                      int pack, void (*on_pack)(void *ctx, const bookrec_packed *pk, const char *why_not),
                      void *pack_ctx, bookrec_train_info *info, bookrec_error *err) {
    if (!m || !fit || !opt) return br_fail(err, BOOKREC_E_ARG, "training: NULL argument");
    const bookrec_model_config *c = bookrec_model_get_config(m);
    bookrec_packed pk;
    bookrec_error why;
    int st = br_train_pack(c->n_users, c->n_items, c->implicit, c->n_tags, opt, pack, fit, &pk, &why, err);
    if (st != BOOKREC_OK) return st;
    if (on_pack && (pk.rec || why.msg[0])) on_pack(pack_ctx, pk.rec ? &pk : NULL, pk.rec ? NULL : why.msg);
    return br_train_fit_packed(m, fit, &pk, valid, opt, info, err);
}

int bookrec_spec_train(const bookrec_spec *s, const bookrec_fit_data *d, bookrec_model **out,
                       bookrec_train_info *info, bookrec_error *err) {
    if (!s || !d || !d->train || !out) return br_fail(err, BOOKREC_E_ARG, "spec training: NULL argument");
    *out = NULL;
    int early = s->to.patience > 0 && d->valid.n > 0;
    bookrec_train_options to = s->to;
    if (!early) to.patience = 0;
    const bookrec_triples *fit = early ? &d->fit : d->train, *valid = early ? &d->valid : NULL;
    bookrec_model *m = NULL;
    int st = bookrec_spec_model(s, d->n_users, d->n_items, d->min_rating, d->max_rating, fit, NULL, &m, NULL, err);
    if (st == BOOKREC_OK) st = train_info(m, fit, valid, NULL, NULL, &to, info, err);
    if (st != BOOKREC_OK) {
        bookrec_model_free(m);
        return st;
    }
    *out = m;
    return BOOKREC_OK;
}

/* ------------------------------------------------------------------ a spec as a ranker */

/* A fitted spec as a scorer: the model and its fold-in settings. */
typedef struct spec_ctx {
    bookrec_model *m;
    bookrec_model_scorer sc;
    float l2_per_rating; /* > 0: mf's ridge fold-in gets this times the reader's ratings as its L2 */
} spec_ctx;

/* Trains the spec on what the protocol allows. The fold-in L2 matches training's per-rating L2: the core's mf
   fold-in is a ridge regression over the sum of the n squared errors (lambda = n * l2), the Adam fold-in of
   seed/ncf minimises their mean plus l2 |state|^2 (l2 itself); a fold-in L2 given in the row overrides both. */
static int spec_fit(void *arg, const bookrec_fit_data *d, void **out, bookrec_error *err) {
    bookrec_spec_row *row = arg;
    if (row->before_fit) row->before_fit(row->ctx, &row->spec, d);
    bookrec_model *m = NULL;
    int st = bookrec_spec_train(&row->spec, d, &m, &row->info, err);
    if (st != BOOKREC_OK) return st;
    st = bookrec_model_prepare(m, err); /* after prepare, scoring only reads the model: safe from threads */
    spec_ctx *c = calloc(1, sizeof *c);
    if (st != BOOKREC_OK || !c) {
        bookrec_model_free(m);
        free(c);
        return st != BOOKREC_OK ? st : br_fail(err, BOOKREC_E_NOMEM, "out of memory");
    }
    const bookrec_spec *s = &row->spec;
    c->m = m;
    c->sc.model = m;
    c->sc.foldin = row->foldin;
    if (row->foldin.l2 > 0) c->sc.foldin.l2 = row->foldin.l2;
    else if (s->to.l2 > 0 && s->cfg.arch == BOOKREC_ARCH_MF) c->l2_per_rating = s->to.l2;
    else if (s->to.l2 > 0) c->sc.foldin.l2 = s->to.l2;
    *out = c;
    return BOOKREC_OK;
}

static int spec_score(void *ctx, const bookrec_reader *rd, float *scores, int n_items, bookrec_error *err) {
    spec_ctx *c = ctx;
    if (rd->user < 0 && c->l2_per_rating > 0) {
        bookrec_model_scorer s = c->sc; /* a copy per call: threads share c */
        s.foldin.l2 = c->l2_per_rating * (float)(rd->n > 0 ? rd->n : 1);
        return bookrec_score_model(&s, rd, scores, n_items, err);
    }
    return bookrec_score_model(&c->sc, rd, scores, n_items, err);
}

static void spec_release(void *arg, void *ctx) {
    (void)arg;
    spec_ctx *c = ctx;
    if (c) bookrec_model_free(c->m);
    free(c);
}

bookrec_ranker bookrec_spec_ranker(const char *name, bookrec_spec_row *row) {
    bookrec_ranker rk = {name, spec_fit, spec_score, spec_release, row};
    return rk;
}

bookrec_model *bookrec_spec_ranker_model(void *score_ctx) {
    return score_ctx ? ((spec_ctx *)score_ctx)->m : NULL;
}

/* ------------------------------------------------------------------ a ranker table on a split */

/* One ranker: fitted on fd, its RMSE/MAE on test when it is a spec row, its dataset-user ranking unless off. */
static int dataset_row(const bookrec_ranker *rk, const bookrec_fit_data *fd, const bookrec_triples *test,
                       const bookrec_dataset_options *o, bookrec_dataset_cell *c, bookrec_error *err) {
    c->rmse = c->mae = c->pop_rank = NAN;
    void *ctx = NULL;
    int st = rk->fit(rk->arg, fd, &ctx, err);
    if (st != BOOKREC_OK) return st;
    if (rk->fit == spec_fit) {
        double mse = 0, mae = 0;
        st = bookrec_evaluate(bookrec_spec_ranker_model(ctx), test, &mse, &mae, err);
        c->rmse = sqrt(mse);
        c->mae = mae;
    }
    if (st == BOOKREC_OK && !o->no_rank)
        st = bookrec_rank_evaluate_ex(fd->n_users, fd->n_items, fd->train, test, 0, rk->score, ctx, &o->rank,
                                      o->pop_rank, &c->pop_rank, &c->rank, err);
    if (rk->release) rk->release(rk->arg, ctx);
    return st;
}

int bookrec_dataset_run(const bookrec_triples *train, const bookrec_triples *test, int n_users, int n_items,
                        float min_rating, float max_rating, const bookrec_ranker *rk, int n_rankers,
                        const bookrec_dataset_options *o, bookrec_dataset_cell *out, bookrec_error *err) {
    if (!train || !test || !rk || !o || !out) return br_fail(err, BOOKREC_E_ARG, "dataset run: NULL argument");
    bookrec_fit_data fd;
    int st = bookrec_fit_data_init(&fd, train, n_users, n_items, min_rating, max_rating, o->valid_fraction, o->seed,
                                   err);
    for (int j = 0; j < n_rankers && st == BOOKREC_OK; j++) {
        memset(&out[j], 0, sizeof out[j]);
        out[j].rmse = out[j].mae = out[j].pop_rank = NAN;
        if (o->no_rank && rk[j].fit != spec_fit) continue;
        st = dataset_row(&rk[j], &fd, test, o, &out[j], err);
        if (st == BOOKREC_OK && o->progress) o->progress(o->progress_ctx, j, &out[j]);
    }
    bookrec_fit_data_free(&fd);
    return st;
}

/* ------------------------------------------------------------------ a trained model's rankings */

int bookrec_rank_trained(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *test,
                         const bookrec_rank_options *ro, bookrec_rank_result *model, bookrec_rank_result *pop,
                         bookrec_error *err) {
    if (!m || !train || !test || !ro || !model || !pop) return br_fail(err, BOOKREC_E_ARG, "ranking: NULL argument");
    const bookrec_model_config *c = bookrec_model_get_config(m);
    int st = bookrec_model_prepare(m, err);
    bookrec_model_scorer sc = {m, {0, 0, 0}};
    if (st == BOOKREC_OK)
        st = bookrec_rank_evaluate(c->n_users, c->n_items, train, test, bookrec_score_model, &sc, ro, model, err);
    if (st != BOOKREC_OK) return st;
    float *ps = malloc((size_t)c->n_items * sizeof *ps);
    if (!ps) return br_fail(err, BOOKREC_E_NOMEM, "ranking: out of memory");
    st = bookrec_popularity_min(train, c->n_items, bookrec_relevance_threshold(ro->min_rating, ro->max_rating), ps,
                                err);
    bookrec_fixed_scorer fs = {ps, c->n_items};
    if (st == BOOKREC_OK)
        st = bookrec_rank_evaluate(c->n_users, c->n_items, train, test, bookrec_score_fixed, &fs, ro, pop, err);
    free(ps);
    return st;
}

int bookrec_spec_new_readers(const bookrec_triples *all, int n_users, int n_items, bookrec_spec_row *row,
                             const bookrec_rank_options *ro, bookrec_protocol_cell cell[2],
                             bookrec_protocol_info *info, bookrec_error *err) {
    if (!all || !row || !ro || !cell) return br_fail(err, BOOKREC_E_ARG, "new-reader protocol: NULL argument");
    float liked = bookrec_relevance_threshold(ro->min_rating, ro->max_rating);
    bookrec_ranker rk[2] = {bookrec_spec_ranker("model", row),
                            {"popularity (liked)", bookrec_fit_popularity, bookrec_score_fixed, bookrec_release_fixed,
                             &liked}};
    bookrec_foldin_variant v = {10, 0};
    bookrec_protocol_options po = {0};
    po.n_seeds = 1;
    po.variants = &v;
    po.n_variants = 1;
    po.valid_fraction = row->spec.to.patience > 0 ? row->spec.valid_fraction : -1;
    po.rank = *ro;
    return bookrec_protocol_run(all, n_users, n_items, rk, 2, &po, cell, info, err);
}
