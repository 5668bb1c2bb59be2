/*
 * test_experiment.c - the experiment set-ups of src/experiment.c: the one preset table (train's mf keeps dim 32 and
 * 40 epochs, eval's mf row is mf128 with dim 128 and 60 epochs, ncf's row has hidden 64 and dense L2, the implicit
 * rows group users, unknown names fail), architecture names both ways, the tuning grid (every point, or a seeded
 * sample in grid order; a point's values), spec training with early stopping on the validation part (the best
 * epoch reported), and a ranker table on a split (a spec row gets test RMSE, popularity none; both are ranked).
 * The data is a small generated rating matrix; nothing is read from disk.
 */
#include "bookrec.h"
#include "check.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NU 60
#define NI 40

static void test_presets(void) {
    bookrec_error err = {0};
    bookrec_spec s;
    CHECK(bookrec_preset("mf", &s, &err) == BOOKREC_OK && s.cfg.arch == BOOKREC_ARCH_MF && s.cfg.dim == 32 &&
          s.to.epochs == 40 && s.to.patience == 2 && fabsf(s.to.l2 - 0.1f) < 1e-7f, "train's mf");
    CHECK(bookrec_preset_row("mf", &s, &err) == BOOKREC_OK && s.cfg.dim == 128 && s.to.epochs == 60, "eval's mf row");
    CHECK(bookrec_preset("mf128", &s, &err) == BOOKREC_OK && s.cfg.dim == 128, "the same preset by name");
    CHECK(bookrec_preset_row("ncf", &s, &err) == BOOKREC_OK && s.cfg.hidden == 64 && s.to.l2_dense > 0);
    CHECK(bookrec_preset_row("ncf-implicit", &s, &err) == BOOKREC_OK && s.cfg.implicit && s.to.group_users);
    bookrec_spec seed;
    bookrec_model_config dc;
    bookrec_train_options dt;
    bookrec_model_config_default(&dc);
    bookrec_train_options_default(&dt);
    CHECK(bookrec_preset("seed", &seed, &err) == BOOKREC_OK && seed.cfg.dim == dc.dim && seed.to.epochs == dt.epochs &&
          seed.to.lr == dt.lr && seed.to.patience == 0, "seed: the tutorial's values");
    CHECK(seed.valid_fraction == BOOKREC_VALID_FRACTION);
    CHECK(bookrec_preset("mf-implicit", &s, &err) == BOOKREC_E_ARG && strstr(err.msg, "mf-implicit"), "%s", err.msg);
    CHECK(bookrec_preset_row("mf128", &s, &err) == BOOKREC_E_ARG, "row names are the eval's");
    for (int a = BOOKREC_ARCH_SEED; a <= BOOKREC_ARCH_IALS; a++) {
        bookrec_arch back;
        CHECK(bookrec_arch_parse(bookrec_arch_name((bookrec_arch)a), &back) == BOOKREC_OK && (int)back == a);
    }
    CHECK(bookrec_arch_parse("svd", NULL) == BOOKREC_E_ARG && !strcmp(bookrec_arch_name((bookrec_arch)9), "unknown"));
}

static void test_grid(void) {
    bookrec_error err = {0};
    double lr[3] = {0.001, 0.003, 0.01}, l2[2] = {0, 0.1}, dim[2] = {8, 16}, hid[1] = {32}, l2d[1] = {0};
    bookrec_grid g = {lr, l2, dim, hid, l2d, 3, 2, 2, 1, 1};
    CHECK(bookrec_grid_size(&g) == 12);
    int32_t *all = NULL, *a = NULL, *b = NULL;
    int n_all = 0, na = 0, nb = 0;
    CHECK(bookrec_grid_sample(&g, 0, 7, &all, &n_all, &err) == BOOKREC_OK && n_all == 12 && all[11] == 11);
    CHECK(bookrec_grid_sample(&g, 5, 7, &a, &na, &err) == BOOKREC_OK && na == 5);
    CHECK(bookrec_grid_sample(&g, 5, 7, &b, &nb, &err) == BOOKREC_OK && nb == 5 && !memcmp(a, b, 5 * sizeof *a),
          "same seed, same sample");
    for (int k = 1; k < na; k++) CHECK(a[k - 1] < a[k], "grid order");
    bookrec_spec base, s;
    bookrec_preset("mf", &base, &err);
    bookrec_grid_spec(&g, 7, &base, &s); /* 7 = lr 1 + 3 * (l2 0) + 6 * (dim 1) */
    CHECK(s.to.lr == 0.003f && s.to.l2 == 0.0f && s.cfg.dim == 16 && s.to.epochs == base.to.epochs);
    bookrec_free(all);
    bookrec_free(a);
    bookrec_free(b);
}

/* A rating matrix with structure: user u likes books of its parity; every user rates 20 books. */
static void make_data(bookrec_triples *t) {
    bookrec_triples_alloc(t, NU * 20);
    size_t n = 0;
    for (int u = 0; u < NU; u++)
        for (int k = 0; k < 20; k++) {
            int i = (u * 7 + k * 3) % NI;
            t->user[n] = u;
            t->item[n] = i;
            t->rating[n] = (float)((i % 2) == (u % 2) ? 4 + (k % 2) : 1 + (k % 3));
            n++;
        }
    t->n = n;
}

static void test_train_and_table(void) {
    bookrec_error err = {0};
    bookrec_triples all = {0}, train = {0}, test = {0};
    make_data(&all);
    CHECK(bookrec_triples_split(&all, 0.2, 3, &train, &test, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_fit_data fd;
    CHECK(bookrec_fit_data_init(&fd, &train, NU, NI, 1, 5, 0.1, 5, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_spec s;
    bookrec_preset("mf", &s, &err);
    s.cfg.dim = 4;
    s.to.epochs = 6;
    s.to.lr = 0.01f;
    bookrec_model *m = NULL;
    bookrec_train_info info;
    CHECK(bookrec_spec_train(&s, &fd, &m, &info, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(info.epochs_run >= 1 && info.best_epoch >= 1 && info.best_epoch <= info.epochs_run &&
          isfinite(info.best_valid_rmse), "early stopping reports its best epoch");
    CHECK(m && bookrec_model_get_config(m)->n_users == NU && bookrec_model_get_config(m)->max_rating == 5.0f);
    bookrec_model_free(m);
    s.to.patience = 0;
    CHECK(bookrec_spec_train(&s, &fd, &m, &info, &err) == BOOKREC_OK && info.best_epoch == 0 &&
          isnan(info.best_valid_rmse) && info.epochs_run == 6, "without early stopping: all of train, no validation");
    bookrec_model_free(m);
    bookrec_fit_data_free(&fd);

    bookrec_spec_row row = {0};
    row.spec = s;
    bookrec_ranker rk[2] = {bookrec_spec_ranker("mf", &row),
                            {"popularity", bookrec_fit_popularity, bookrec_score_fixed, bookrec_release_fixed, NULL}};
    bookrec_dataset_options o = {0};
    o.rank.k = 5;
    o.rank.min_rating = 1;
    o.rank.max_rating = 5;
    o.valid_fraction = BOOKREC_VALID_FRACTION;
    o.seed = 2;
    bookrec_dataset_cell cell[2];
    CHECK(bookrec_dataset_run(&train, &test, NU, NI, 1, 5, rk, 2, &o, cell, &err) == BOOKREC_OK, "%s", err.msg);
    CHECK(isfinite(cell[0].rmse) && cell[0].rmse < 2.5 && isnan(cell[1].rmse), "RMSE for the spec row only");
    CHECK(cell[0].rank.n_users > 0 && cell[1].rank.n_users == cell[0].rank.n_users, "both ranked");
    o.no_rank = 1;
    CHECK(bookrec_dataset_run(&train, &test, NU, NI, 1, 5, rk, 2, &o, cell, &err) == BOOKREC_OK &&
          cell[1].rank.n_users == 0 && isfinite(cell[0].rmse), "no_rank: the spec row's RMSE alone");
    bookrec_triples_free(&all);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
}

int main(void) {
    test_presets();
    test_grid();
    test_train_and_table();
    if (!failures) printf("test_experiment: ok\n");
    return failures != 0;
}
