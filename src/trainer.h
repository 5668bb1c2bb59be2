/*
 * trainer.h - the batch machinery of training (train.c) as train_loop.c drives it: the trainer with its
 * per-task buffers, the parallel tasks of one batch (forward and backward, reduce and Adam) and of evaluation,
 * and the checks and set-ups bookrec_train needs. Private to those two files of the core: never included by
 * front-ends or other core files; internal.h holds what the rest of the core shares.
 */
#ifndef BOOKREC_TRAINER_H
#define BOOKREC_TRAINER_H

#include "bookrec.h"

/* One task's private buffers (padded so that tasks do not share cache lines). */
typedef struct task_buf {
    float *dg;         /* dense gradient: dW1 [H, in_pad] | db1 [H] | dw2 [H] | db2 [1] */
    float *x, *h, *dh, *dx; /* scratch: input [in_pad], activations [H], their gradient [H], input grad [in_pad] */
    float *pe;         /* scratch [dim]: the effective user vector of implicit models */
    float *qe;         /* scratch [dim]: the effective item vector of tag models */
    double sq, ab;     /* sums of squared and absolute errors of the task's examples */
    float sink;        /* keeps touch_rows' loads alive */
    char pad[64];
} task_buf;

typedef struct trainer {
    bookrec_model *m;
    int arch, d, H, in, in_pad, egs, dense, bias;
    float mu, l2, l2_dense, b1, b2, eps, lr_t, inv_b;
    /* per-occurrence L2 coefficient of each item, user and implicit-factor row (NULL: l2 for every row) */
    const float *coef_i, *coef_u, *coef_y;
    float *coef_mem;
    int lazy, T;
    float *w1p;        /* [H, in_pad]: dense1_w with rows padded to in_pad (zeros), for the backward pass */
    float *w1t;        /* [in, H]: dense1_w transposed, for the forward pass */
    float *grad, *am, *av; /* parallel to the parameter block: gradient, Adam's first and second moments */
    float *ugrad;      /* sparse gradient: [max units, dim + 1], row k the gradient of touched unit k and its bias;
                          grad's embedding part is then never written (its pages never become resident) */
    task_buf *tb;
    size_t dg_size;
    float *dg_mem, *scratch_mem;
    /* the current batch: examples idx[0..B) of the triples */
    const bookrec_triples *data;
    const uint32_t *idx;
    int B;
    float *eg;         /* [batch, egs]: per-example row gradients: dq [d] | dp [d] | db_i | db_u */
    /* rows the batch touches: units 0..n_ui-1 are items, n_ui..n_uy-1 users, n_uy..n_ut-1 implicit
       factors y_j, n_ut..n_units-1 tag rows; occurrences are linked lists over examples (items, users) or over (example, j) pairs */
    int32_t *mark_i, *mark_u, *slot_i, *slot_u, *mark_y, *slot_y;
    int32_t *unit_row, *unit_first, *unit_last, *next_i, *next_u, *pair_e, *pair_next;
    int n_ui, n_uy, n_ut, n_units, stamp;
    /* tag features: units n_ut..n_units-1 are tag rows; occurrences are (example, weight) pairs */
    int tags;
    int32_t *mark_t, *slot_t, *tpair_e, *tpair_next;
    float *tpair_w;
    size_t max_tpairs;
    /* implicit feedback (SVD++): N(u) as CSR, |N(u)|^-1/2 of each batch example */
    int imp;
    const int32_t *imp_off, *imp_items;
    float *ec;         /* [batch]: |N(u)|^-1/2 of each distinct user of the batch (user units n_ui..n_uy-1) */
    float *usum;       /* [batch, dim]: |N(u)|^-1/2 sum y_j of each distinct user, computed once per batch */
    float *gsum;       /* [batch, dim]: sum of the user-vector gradients of each distinct user's examples */
    float *ucnt;       /* [batch]: examples of each distinct user in the batch */
    size_t max_pairs;
    int do_adam;
    float reader_lr;   /* > 0: the readers' rows learn by row-wise Adagrad (racc) with this rate instead of Adam */
    float *racc;       /* [n_users]: each reader's sum of mean squared gradients (row-wise Adagrad), or NULL */
    const int32_t *next_users, *next_items; /* the next batch, for touch_rows */
    int next_n;
    /* evaluation */
    const bookrec_triples *eval;
    const bookrec_packed *eval_pk; /* when set, the evaluation's ratings (eval then only gives the count) */
    double *eval_sums; /* [T][2] */
} trainer;

/* Runs fn(tr, t) for t = 0 .. tr->T-1, through o->parallel when it is set and T > 1, else in turn. */
void br_trainer_run(const bookrec_train_options *o, bookrec_task_fn fn, trainer *tr);

#define BR_TRAINER_MOMENTS 1     /* br_trainer_init: allocate Adam's moments (else the gradient only) */
#define BR_TRAINER_SPARSE_GRAD 2 /* ... and keep the embedding gradient for the batch's rows only (lazy Adam) */
#define BR_TRAINER_READER_ROWWISE 4 /* ... and one row-wise Adagrad accumulator per reader (Adam's moments of the
                                       readers' rows are then never written, so their pages never become resident) */

/* Allocates everything the batch loop needs (freed with br_trainer_free, also on failure here), as flags say. */
int br_trainer_init(trainer *tr, bookrec_model *m, int T, int max_batch, int flags, bookrec_error *err);

/* Frees what br_trainer_init and br_trainer_row_coefficients allocated (not tr itself). */
void br_trainer_free(trainer *tr);

/* Points the trainer at examples idx[0..B) of data (B <= max_batch) and lists the rows they touch. */
void br_trainer_set_batch(trainer *tr, const bookrec_triples *data, const uint32_t *idx, int B);

/* Task t's forward and backward passes over its slice of the batch (arg: the trainer; a bookrec_task_fn). */
void br_trainer_forward_backward(void *arg, int t);

/* Implicit models, between the two phases: sums each distinct user's user-vector gradients over its examples. */
void br_trainer_sum_user_grads(trainer *tr);

/* Task t's share of reducing the per-task gradients and of the Adam step (a bookrec_task_fn). */
void br_trainer_reduce_update(void *arg, int t);

/* Dense (not lazy) Adam over every embedding row, split by range (a bookrec_task_fn). */
void br_trainer_full_embedding_adam(void *arg, int t);

/* The parameter row of touched unit k (and its bias, or NULL), pointers into the model's block. */
float *br_trainer_unit_ptr(const trainer *tr, int k, float **bias);

/* Task t's squared and absolute errors over its slice of tr->eval into tr->eval_sums[2t..2t+1] (a bookrec_task_fn). */
void br_trainer_eval_task(void *arg, int t);

/* Per-occurrence L2 coefficients l2 + l2_row / occurrences of each row in one epoch over t, or over pk when t is
   NULL (owned by tr). */
int br_trainer_row_coefficients(trainer *tr, const bookrec_triples *t, const bookrec_packed *pk, float l2,
                                float l2_row, bookrec_error *err);

/* Checks that every index of t is inside the model and every rating finite; `what` names t in the message. */
int br_check_triples(const bookrec_model *m, const bookrec_triples *t, const char *what, bookrec_error *err);

/* Sets N(u) = the items each user rated in t (CSR), for implicit models trained without explicit sets. */
int br_implicit_from_triples(bookrec_model *m, const bookrec_triples *t, bookrec_error *err);

#endif /* BOOKREC_TRAINER_H */
