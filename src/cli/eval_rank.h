/*
 * eval_rank.h - the ranking side of `bookrec eval` (the rows of the evaluation table: RMSE/MAE beside
 * HR/NDCG/Recall/coverage @k for dataset users and for new readers), the persona suite's entry, and what
 * `bookrec train --rank` and `bookrec tune` share with it: a spec's flags as text, its threads and progress lines.
 * Not the core: the presets and spec training are src/experiment.c, the metrics src/eval.c and src/protocol.c;
 * this only wires data, models and output.
 */
#ifndef BOOKREC_EVAL_RANK_H
#define BOOKREC_EVAL_RANK_H

#include "cli.h"

/* The flags of a spec as a command line fragment ("--arch mf --dim 32 --lr 0.003 ..."), a new string. */
char *evr_spec_flags(const bookrec_spec *s);

/* Sets a spec's training to run its batch slices on runner (NULL: one thread) and drops its progress callback. */
void evr_spec_threads(bookrec_spec *s, cli_runner *runner, int threads);

/* Progress lines of a spec row's fits: "training ARCH on N ratings", then each epoch's RMSE with the time. */
typedef struct evr_fit_log {
    const char *label;
    int epochs;
    double t0; /* when the last fit started */
} evr_fit_log;

/* Hooks log into row: before_fit and the spec's on_epoch print the lines above (log must outlive the fits). */
void evr_log_fits(bookrec_spec_row *row, evr_fit_log *log);

/* Ranking settings of `bookrec eval`, filled from its flags (EVR_EVAL_FLAGS). */
typedef struct evr_eval_opts {
    int no_rank;           /* 1: RMSE/MAE only */
    int all;               /* 1: train a row per architecture in `archs` on the same split */
    const char *archs;     /* comma-separated architectures for --all */
    int k;                 /* list length (10) */
    int max_users;         /* dataset users ranked (evenly spaced); 0: all with a relevant test book */
    int threads;
    int new_readers;       /* readers held out for the new-reader protocol (1000) */
    int nr_min_ratings;    /* ... each with at least this many ratings (20) */
    int nr_foldin;         /* ... folded in from this many (10), or only the loved ones among them */
    int nr_foldin_few;     /* ... or from this many (5) */
    int seeds;             /* reader seeds nr_seed, nr_seed + 1, ... (3); new-reader figures are mean ± sd over them */
    int personas;          /* 1: the persona suite instead of the table (cmd_eval) */
    uint64_t nr_seed;
    float foldin_l2;       /* 0: the core's default */
    int foldin_iters;
} evr_eval_opts;

/* Fills o with the defaults (k 10, all dataset users, 1000 new readers with >= 20 ratings, fold-in 10 / 5 / loved
   among 10, 3 reader seeds). */
void evr_eval_opts_default(evr_eval_opts *o);

/* The rows `bookrec eval --all` trains unless --archs names others (the presets' evaluation rows). */
#define EVR_ARCHS "seed,mf,ncf,mf-implicit"

/* The ranking flags of `bookrec eval` as cli_opt initialisers. */
#define EVR_EVAL_FLAGS(o)                                                                                        \
    {"all", 0, CLI_FLAG, &(o)->all, NULL, "train one row per --archs architecture on the same split (default or "  \
     "tuned flags, early stopping on a part of training; a second model without the new readers); models are "     \
     "evaluated too only when named with --model", "off"},                                                         \
    {"archs", 0, CLI_STR, &(o)->archs, "LIST", "rows trained by --all: seed, mf, ncf, mf-implicit, ncf-implicit, ease, easeK (K kept per row), ials, ialsD (D factors)",  \
     EVR_ARCHS},                                                                                    \
    {"no-rank", 0, CLI_FLAG, &(o)->no_rank, NULL, "RMSE/MAE only: skip the ranking columns", "off"},               \
    {"k", 'k', CLI_INT, &(o)->k, "N", "length of the ranked lists (HR/NDCG/Recall/coverage@k)", NULL},              \
    {"max-users", 0, CLI_INT, &(o)->max_users, "N", "dataset users ranked, evenly spaced (0: all)", NULL},          \
    {"new-readers", 0, CLI_INT, &(o)->new_readers, "N", "readers held out of training for the new-reader columns", \
     NULL},                                                                                                          \
    {"new-reader-min", 0, CLI_INT, &(o)->nr_min_ratings, "N", "ratings a held-out reader has at least", NULL},      \
    {"foldin-ratings", 0, CLI_INT, &(o)->nr_foldin, "N", "ratings each new reader is folded in from (\"new\"; "     \
     "\"loved\": the ones >= the relevance threshold among them)", NULL},                                          \
    {"foldin-few", 0, CLI_INT, &(o)->nr_foldin_few, "N", "the smaller fold-in of the new-reader columns (\"newN\")", \
     NULL},                                                                                                          \
    {"seeds", 0, CLI_INT, &(o)->seeds, "N", "reader seeds of the new-reader protocol (figures: mean ± sd)", NULL},   \
    {"new-reader-seed", 0, CLI_U64, &(o)->nr_seed, "N", "first seed choosing the new readers and their fold-in",  \
     NULL},                                                                                                          \
    {"foldin-l2", 0, CLI_FLOAT, &(o)->foldin_l2, "X", "L2 of the fold-in (pull toward the mean reader)",           \
     "matched to the row's training L2"},                                                                          \
    {"threads", 0, CLI_INT, &(o)->threads, "N", "threads for training and ranking", NULL},                        \
    {"personas", 0, CLI_FLAG, &(o)->personas, NULL, "the persona suite of one --model instead of the table: for "    \
     "each --tastes taste, the share of the top-k carrying it after loving 5 best-known books of it", "off"}

/* Where evr_extend_eval puts its figures: the caller's table, through callbacks. */
typedef struct evr_sink {
    void *ctx;
    int (*add_col)(void *ctx, const char *key, const char *title, int decimals); /* returns the column index */
    int (*add_row)(void *ctx, const char *name, const char *note);               /* returns the row index */
    void (*set)(void *ctx, int row, const char *key, double value);
    /* a figure over seeds: mean and sample standard deviation, minimum, maximum */
    void (*set_stat)(void *ctx, int row, const char *key, double mean, double sd, double min, double max);
    void (*set_note)(void *ctx, int row, const char *note);
    double (*get)(void *ctx, int row, const char *key);                         /* NaN when not set */
    int (*n_rows)(void *ctx);
} evr_sink;

/* Adds the ranking columns to an evaluation table whose rows row_mean (global mean), row_bias (user+book bias)
   and row_models + j (the loaded models[j], j < n_models) exist, fills them (popularity for the global-mean
   row, book-bias order for the bias row; loaded models get the dataset-user columns only), and with o->all adds
   one trained row per architecture (RMSE, MAE and every ranking column). The new-reader columns come from the
   core's protocol over o->seeds reader seeds. Returns a new string describing the protocol, for the caption. */
char *evr_extend_eval(const evr_eval_opts *o, const bookrec_ratings *r, const bookrec_triples *train,
                      const bookrec_triples *test, uint64_t split_seed, bookrec_model **models, int n_models,
                      int row_mean, int row_bias, int row_models, const evr_sink *sink);

/* Ranks dataset users of a train/test split with a model (validation users in tune); returns the result. */
bookrec_rank_result evr_rank_model(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *test,
                                   const bookrec_ratings *r, int k, int max_users, cli_runner *runner, int threads);

/* The default tastes of `bookrec eval --personas`: names of its built-in tastes (each a set of shelf names of
   goodbooks' tags.csv, eval_personas.c). */
#define EVR_TASTES "fantasy,classics,mystery,non-fiction,science-fiction,romance,graphic-novels,horror," \
                   "historical-fiction,poetry,young-adult,biography,science"

/* `bookrec eval --personas` (eval_personas.c): the persona suite for the model file at model_path, shelves from
   tags_dir (NULL: the data directory) for the comma-separated tastes ("name" of a built-in taste, or
   "name=shelf/shelf/..."); prints the table, the mean share and the lists, writes report.md / report.json when
   report is not NULL; returns 0, or exits 1 with a message (also when min_share >= 0 and the mean share is below). */
int evr_personas(const cli_data_opts *d, const char *model_path, const char *tags_dir, const char *tastes,
                 double min_share, const evr_eval_opts *o, const char *report);

/* eval_topn.c: returns 1 and fills *rk for a top-N row name of --archs ("ease", "easeK" with K entries kept per
   row of B, "ials", "ialsD" with D factors), 0 for any other name; evr_topn_done frees what the EASE rows kept
   between fits. */
int evr_topn_ranker(const char *name, bookrec_ranker *rk);
void evr_topn_done(void);

/* `bookrec tune` (cmd_tune.c). */
int cmd_tune(int argc, char **argv);

#endif /* BOOKREC_EVAL_RANK_H */
