/*
 * eval_rank.c - the progress lines and flags of spec training shared by `bookrec eval`, `bookrec train --rank` and
 * `bookrec tune`, and ranking dataset users with a model (`bookrec tune`'s validation users).
 * Not here: the evaluation experiment (src/evaluation.c), the presets and spec training (src/experiment.c), the
 * metrics (src/eval.c); `bookrec eval` itself is cmd_eval.c.
 */
#include "eval_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ specs */

char *evr_spec_flags(const bookrec_spec *s) {
    const bookrec_model_config *c = &s->cfg;
    const bookrec_train_options *o = &s->to;
    char hidden[32] = "";
    if (c->arch != BOOKREC_ARCH_MF) snprintf(hidden, sizeof hidden, " --hidden %d", c->hidden);
    char pat[64] = "";
    if (o->patience > 0) snprintf(pat, sizeof pat, " --patience %d --valid-fraction %g", o->patience, s->valid_fraction);
    char l2row[48] = "", l2dense[48] = "";
    if (o->l2_row != 0) snprintf(l2row, sizeof l2row, " --l2-row %g", (double)o->l2_row);
    if (o->l2_dense != 0) snprintf(l2dense, sizeof l2dense, " --l2-dense %g", (double)o->l2_dense);
    return cli_fmt("--arch %s --dim %d%s%s%s --epochs %d --batch %d --lr %g --l2 %g%s%s%s --seed %llu",
                   bookrec_arch_name(c->arch), c->dim, hidden, c->implicit ? " --implicit" : "",
                   o->group_users ? " --group-users" : "", o->epochs, o->batch, (double)o->lr, (double)o->l2,
                   l2row, l2dense, pat, (unsigned long long)c->seed);
}

/* ------------------------------------------------------------------ training */

static int evr_on_epoch(void *ctx, const bookrec_epoch_stats *s) {
    evr_fit_log *c = ctx;
    fprintf(stderr, "  %s epoch %d/%d: train rmse %.4f, valid rmse %.4f (%.1f s)\n", c->label, s->epoch, c->epochs,
            s->train_rmse, s->test_rmse, cli_now() - c->t0);
    return 0;
}

void evr_spec_threads(bookrec_spec *s, cli_runner *runner, int threads) {
    s->to.n_tasks = runner ? threads : 1;
    s->to.parallel = runner ? cli_runner_parallel : NULL;
    s->to.parallel_ctx = runner;
    s->to.progress = NULL;
}

/* bookrec_spec_row.before_fit: the first progress line, and the clock of the fit. */
static void evr_before_fit(void *ctx, const bookrec_spec *s, const bookrec_fit_data *d) {
    evr_fit_log *c = ctx;
    char g[32];
    fprintf(stderr, "training %s on %s ratings\n", bookrec_arch_name(s->cfg.arch), cli_group(d->train->n, g));
    c->t0 = cli_now();
}

void evr_log_fits(bookrec_spec_row *row, evr_fit_log *log) {
    log->label = bookrec_arch_name(row->spec.cfg.arch);
    log->epochs = row->spec.to.epochs;
    row->spec.to.on_epoch = evr_on_epoch;
    row->spec.to.on_epoch_ctx = log;
    row->before_fit = evr_before_fit;
    row->ctx = log;
}


/* ------------------------------------------------------------------ ranking */

static void rank_opts(const bookrec_ratings *r, int k, int max_users, cli_runner *runner, int threads,
                      bookrec_rank_options *o) {
    memset(o, 0, sizeof *o);
    o->k = k;
    o->min_rating = r->min_rating;
    o->max_rating = r->max_rating;
    o->max_users = max_users;
    if (runner && threads > 1) {
        o->n_tasks = threads;
        o->parallel = cli_runner_parallel;
        o->parallel_ctx = runner;
    }
}

bookrec_rank_result evr_rank_model(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *test,
                                   const bookrec_ratings *r, int k, int max_users, cli_runner *runner, int threads) {
    bookrec_error err = {0};
    /* after prepare, score_all / user_state / fold_in only read the model: safe from several threads */
    cli_check(bookrec_model_prepare(m, &err), &err, "prepare model");
    bookrec_model_scorer sc = {m, {0}};
    bookrec_rank_options o;
    rank_opts(r, k, max_users, runner, threads, &o);
    const bookrec_model_config *c = bookrec_model_get_config(m);
    bookrec_rank_result res;
    cli_check(bookrec_rank_evaluate(c->n_users, c->n_items, train, test, bookrec_score_model, &sc, &o, &res, &err),
              &err, "ranking evaluation");
    return res;
}

void evr_report_paths(const char *report, char **md_path, char **json_path) {
    size_t bl = strlen(report);
    if (bl > 3 && !strcmp(report + bl - 3, ".md")) bl -= 3;
    else if (bl > 5 && !strcmp(report + bl - 5, ".json")) bl -= 5;
    *md_path = cli_fmt("%.*s.md", (int)bl, report);
    *json_path = cli_fmt("%.*s.json", (int)bl, report);
}
