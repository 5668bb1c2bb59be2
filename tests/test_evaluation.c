/*
 * test_evaluation.c - the evaluation experiment (src/evaluation.c, src/rankers_topn.c, src/eval_table.c) on a small
 * generated catalogue: a ranker table with the baselines and two EASE rows fills the sink's table (rows, columns,
 * the ratios), the dense B is solved once per training part for both EASE rows, the new-reader figures equal what
 * bookrec_protocol_run gives for the same rankers directly, the parallel hook leaves the figures unchanged, bad
 * architecture names are refused naming them, and the table renders as text and Markdown.
 * It reads no files and trains no rating model.
 */
#include "bookrec.h"
#include "internal.h"
#include "check.h"
#include <math.h>
#include <string.h>

#define N_USERS 300
#define N_ITEMS 60

/* User u rates 25 + u % 10 distinct books; the ratings follow (u * 3 + i) so some books are liked more. */
static bookrec_ratings *catalogue(void) {
    size_t cap = 64 + (size_t)N_USERS * 35 * 24, o = 0;
    char *csv = malloc(cap);
    if (!csv) exit(1);
    o += (size_t)snprintf(csv + o, cap - o, "user_id,book_id,rating\n");
    for (int u = 0; u < N_USERS; u++)
        for (int q = 0; q < 25 + u % 10; q++) {
            int i = (u * 7 + q * 11) % N_ITEMS; /* 11 is prime to 60: q < 35 gives distinct books */
            o += (size_t)snprintf(csv + o, cap - o, "u%d,%d,%d\n", u, i + 1, 1 + (u * 3 + i * (i % 4)) % 5);
        }
    bookrec_ratings *r = NULL;
    bookrec_error err = {0};
    CHECK(bookrec_ratings_parse(csv, o, NULL, &r, &err) == BOOKREC_OK, "%s", err.msg);
    free(csv);
    if (!r) exit(1);
    return r;
}

/* Progress counters. */
typedef struct counts {
    int topn_ease, topn_other, dataset, protocol, spec_rows, warns;
} counts;

static void c_topn(void *ctx, bookrec_arch arch, int dim, size_t n) {
    counts *c = ctx;
    (void)dim;
    (void)n;
    if (arch == BOOKREC_ARCH_EASE) c->topn_ease++;
    else c->topn_other++;
}
static void c_dataset(void *ctx, int row, const char *name, const bookrec_spec_row *sr, const bookrec_dataset_cell *x) {
    (void)row; (void)name; (void)sr; (void)x;
    ((counts *)ctx)->dataset++;
}
static void c_protocol(void *ctx, int si, const char *name, const char *v, const bookrec_rank_result *res, double p) {
    (void)si; (void)name; (void)v; (void)res; (void)p;
    ((counts *)ctx)->protocol++;
}

/* A parallel hook that runs the tasks in turn. */
static void serial(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    (void)ctx;
    for (int t = 0; t < n_tasks; t++) fn(arg, t);
}

static int row_of(const bookrec_eval_table *t, const char *name) {
    for (int r = 0; r < t->n_rows; r++)
        if (!strcmp(t->row[r].name, name)) return r;
    return -1;
}

static int col_of(const bookrec_eval_table *t, const char *key) {
    for (int c = 0; c < t->n_cols; c++)
        if (!strcmp(t->col[c].key, key)) return c;
    return -1;
}

/* Runs the experiment with archs "ease,ease8" into t; returns the caption. */
static char *run(const bookrec_ratings *r, const bookrec_triples *train, const bookrec_triples *test, int n_tasks,
                 bookrec_eval_table *t, counts *c, bookrec_protocol_info *pi) {
    bookrec_error err = {0};
    bookrec_eval_table_init(t);
    bookrec_eval_sink sink = bookrec_eval_table_sink(t);
    CHECK(bookrec_eval_baselines(train, test, bookrec_ids_count(r->users), bookrec_ids_count(r->items), NULL, &sink, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_eval_options o;
    bookrec_eval_options_default(&o);
    o.archs = "ease,ease8";
    o.row_suffix = " (--all)";
    o.k = 5;
    o.new_readers = 40;
    o.seeds = 2;
    o.n_tasks = n_tasks;
    o.parallel = n_tasks > 1 ? serial : NULL;
    memset(c, 0, sizeof *c);
    o.progress = (bookrec_eval_progress){c, NULL, c_topn, c_dataset, NULL, c_protocol, NULL};
    char *caption = NULL;
    CHECK(bookrec_eval_run(r, train, test, NULL, 0, &o, &sink, pi, &caption, &err) == BOOKREC_OK, "%s", err.msg);
    return caption;
}

/* The new-reader figures of the rankers given, from the protocol directly, into cells[ranker * 3 + variant]. */
static void direct(const bookrec_ratings *r, const bookrec_ranker *rk, int n, bookrec_protocol_cell *cells) {
    bookrec_foldin_variant v[3] = {{5, 0}, {10, 0}, {10, 1}};
    bookrec_protocol_options po;
    memset(&po, 0, sizeof po);
    po.readers = (bookrec_newreader_options){40, 20, 0, 1, 0.0};
    po.n_seeds = 2;
    po.variants = v;
    po.n_variants = 3;
    po.rank.k = 5;
    po.rank.min_rating = r->min_rating;
    po.rank.max_rating = r->max_rating;
    bookrec_error err = {0};
    CHECK(bookrec_protocol_run(&r->all, bookrec_ids_count(r->users), bookrec_ids_count(r->items), rk, n, &po, cells, NULL, &err) == BOOKREC_OK, "%s",
          err.msg);
}

static void check_names(void) {
    bookrec_eval_options o;
    bookrec_eval_options_default(&o);
    bookrec_error err = {0};
    o.archs = "seed,ease,ease256,ials8,ease+ials8@0.5,mf-implicit";
    CHECK(bookrec_eval_check(&o, &err) == BOOKREC_OK, "%s", err.msg);
    o.archs = "ease,ease0";
    CHECK(bookrec_eval_check(&o, &err) == BOOKREC_E_ARG && strstr(err.msg, "'ease0' is not easeK"), "%s", err.msg);
    o.archs = "ials,nope";
    CHECK(bookrec_eval_check(&o, &err) == BOOKREC_E_ARG && strstr(err.msg, "unknown architecture 'nope'"), "%s",
          err.msg);
    o.archs = "ease+ials8@x";
    CHECK(bookrec_eval_check(&o, &err) == BOOKREC_E_ARG && strstr(err.msg, "ease+ialsD@BETA"), "%s", err.msg);
    o.archs = "ease";
    o.foldin_few = 10;
    CHECK(bookrec_eval_check(&o, &err) == BOOKREC_E_ARG, "foldin_few = foldin_ratings accepted");
}

int main(void) {
    check_names();
    bookrec_ratings *r = catalogue();
    bookrec_triples train = {0}, test = {0};
    bookrec_error err = {0};
    CHECK(bookrec_ids_count(r->users) == N_USERS && bookrec_ids_count(r->items) == N_ITEMS);
    CHECK(bookrec_split(r, 0.2, 1, &train, &test, &err) == BOOKREC_OK, "%s", err.msg);
    bookrec_eval_table *t = malloc(sizeof *t), *t3 = malloc(sizeof *t3);
    if (!t || !t3) return 1;
    counts c, c3;
    bookrec_protocol_info pi;
    char *caption = run(r, &train, &test, 1, t, &c, &pi);

    /* the rows, in order, and the columns */
    const char *names[5] = {"global mean / popularity", "user+book bias", "popularity (liked)", "ease (--all)",
                            "ease8 (--all)"};
    CHECK(t->n_rows == 5, "%d rows", t->n_rows);
    for (int k = 0; k < 5 && k < t->n_rows; k++) CHECK(!strcmp(t->row[k].name, names[k]), "row %d: %s", k, t->row[k].name);
    const char *keys[] = {"rmse", "mae", "hr", "ndcg", "poprank", "new5_ndcg", "new_ndcg", "loved_recall",
                          "ndcg_vs_pop", "new_ndcg_vs_pop"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) CHECK(col_of(t, keys[k]) >= 0, "no column %s", keys[k]);
    CHECK(!t->overflow);
    /* one dense B per training part (the split's, then one per reader seed) for both EASE rows */
    CHECK(c.topn_ease == 3 && c.topn_other == 0, "EASE solves %d, other fits %d", c.topn_ease, c.topn_other);
    CHECK(c.dataset == 5, "dataset callbacks %d", c.dataset);
    CHECK(c.protocol == 2 * 5 * 3, "protocol callbacks %d", c.protocol);
    CHECK(pi.n_held == 40 && pi.n_seeds == 2, "held %d, seeds %d", pi.n_held, pi.n_seeds);
    int ease = row_of(t, "ease (--all)"), nd = col_of(t, "ndcg"), nnd = col_of(t, "new_ndcg");
    CHECK(ease >= 0 && nd >= 0 && nnd >= 0 && t->row[ease].v[nd] > 0 && isnan(t->row[ease].v[col_of(t, "rmse")]));

    /* the new-reader figures are the protocol's for the same rankers */
    br_topn_rankers *tr = br_topn_rankers_create(NULL, NULL);
    bookrec_ranker rk[3] = {{"popularity", bookrec_fit_popularity, bookrec_score_fixed, bookrec_release_fixed, NULL},
                            {"book bias", bookrec_fit_book_bias, bookrec_score_fixed, bookrec_release_fixed, NULL}};
    int topn = 0;
    CHECK(br_topn_ranker(tr, "ease", &rk[2], &topn, &err) == BOOKREC_OK && topn, "%s", err.msg);
    bookrec_protocol_cell cells[9];
    direct(r, rk, 3, cells);
    const char *vkeys[3] = {"new5_", "new_", "loved_"};
    for (int j = 0; j < 3; j++)
        for (int v = 0; v < 3; v++) {
            char key[32];
            snprintf(key, sizeof key, "%sndcg", vkeys[v]);
            int col = col_of(t, key), row = j == 2 ? ease : j;
            CHECK(col >= 0 && t->row[row].v[col] == cells[j * 3 + v].ndcg.mean &&
                  t->row[row].sd[col] == cells[j * 3 + v].ndcg.sd, "ranker %d variant %d: %g vs %g", j, v,
                  col >= 0 ? t->row[row].v[col] : NAN, cells[j * 3 + v].ndcg.mean);
            snprintf(key, sizeof key, "%spoprank", vkeys[v]);
            col = col_of(t, key);
            CHECK(col >= 0 && t->row[row].v[col] == cells[j * 3 + v].pop_rank.mean, "pop rank %d %d", j, v);
        }
    br_topn_rankers_free(tr);

    /* NDCG/pop: 1 for the better popularity row */
    int pop = 0, liked = 2, ratio = col_of(t, "ndcg_vs_pop");
    double best = fmax(t->row[pop].v[nd], t->row[liked].v[nd]);
    CHECK(ratio >= 0 && fabs(t->row[ease].v[ratio] - t->row[ease].v[nd] / best) < 1e-12);

    /* the parallel hook cuts the work, not the figures */
    bookrec_protocol_info pi3;
    char *caption3 = run(r, &train, &test, 3, t3, &c3, &pi3);
    CHECK(t3->n_rows == t->n_rows && t3->n_cols == t->n_cols);
    for (int row = 0; row < t->n_rows && row < t3->n_rows; row++)
        for (int col = 0; col < t->n_cols; col++)
            CHECK(memcmp(&t->row[row].v[col], &t3->row[row].v[col], sizeof(double)) == 0, "row %d col %s differs",
                  row, t->col[col].key);
    CHECK(caption && caption3 && !strcmp(caption, caption3) && strstr(caption, "over 2 reader seeds (1..2"),
          "%s", caption ? caption : "(null)");

    /* renderings */
    char *text = NULL, *md = NULL;
    CHECK(bookrec_eval_table_text(t, &text, &err) == BOOKREC_OK && strstr(text, "ease8 (--all)") &&
          strstr(text, "±") && !strncmp(text, "model", 5), "%s", text ? text : "(null)");
    CHECK(bookrec_eval_table_markdown(t, caption, &md, &err) == BOOKREC_OK && strstr(md, "| model | RMSE | MAE |") &&
          !strncmp(md, caption, strlen(caption)));
    bookrec_free(text);
    bookrec_free(md);
    bookrec_free(caption);
    bookrec_free(caption3);
    free(t);
    free(t3);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
    bookrec_ratings_free(r);
    return failures != 0;
}
