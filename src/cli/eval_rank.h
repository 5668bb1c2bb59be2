/*
 * eval_rank.h - what `bookrec eval`, `bookrec train --rank` and `bookrec tune` share: a spec's flags as text, its
 * threads and progress lines, ranking dataset users with a model, and the persona suite's entry.
 * Not the core: the evaluation experiment is src/evaluation.c, the presets and spec training src/experiment.c, the
 * metrics src/eval.c and src/protocol.c; this only wires data, models and output.
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

/* Ranks dataset users of a train/test split with a model (validation users in tune); returns the result. */
bookrec_rank_result evr_rank_model(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *test,
                                   const bookrec_ratings *r, int k, int max_users, cli_runner *runner, int threads);

/* The two files of --report FILE: FILE.md and FILE.json (a final .md or .json of FILE dropped), new strings. */
void evr_report_paths(const char *report, char **md_path, char **json_path);

/* The default tastes of `bookrec eval --personas`: names of the core's built-in tastes (src/tastes.c). */
#define EVR_TASTES "fantasy,classics,mystery,non-fiction,science-fiction,romance,graphic-novels,horror," \
                   "historical-fiction,poetry,young-adult,biography,science"

/* `bookrec eval --personas` (eval_personas.c): the persona suite for the model file at model_path, shelves from
   tags_dir (NULL: the data directory) for the comma-separated tastes ("name" of a built-in taste, or
   "name=shelf/shelf/..."), top-k lists, new readers folded in with fo; prints the table, the mean share and the
   lists, writes report.md / report.json when report is not NULL; returns 0, or exits 1 with a message (also when
   min_share >= 0 and the mean share is below). */
int evr_personas(const cli_data_opts *d, const char *model_path, const char *tags_dir, const char *tastes,
                 double min_share, int k, const bookrec_foldin_options *fo, const char *report);

/* `bookrec tune` (cmd_tune.c). */
int cmd_tune(int argc, char **argv);

#endif /* BOOKREC_EVAL_RANK_H */
