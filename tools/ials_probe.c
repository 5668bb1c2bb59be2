/*
 * ials_probe.c - measures iALS (src/ials.c) on a ratings CSV with the core's new-reader protocol: holds
 * out readers (bookrec_split_new_readers: 1000 readers with >= 20 ratings, seed `readers`), trains on
 * everyone else, folds each held-out reader in from 10 of their ratings and ranks every book but those 10
 * (bookrec_rank_evaluate_new with bookrec_ials_score); prints one JSON line with HR@10, NDCG@10, Recall@10
 * and the training time per epoch. Tune with another `readers` seed than the one reported.
 * A measuring tool, not part of the build or of bookrec's CLI; build it against the core:
 *   cmake --build build --target bookrec_core
 *   cc -O2 -std=c11 -Iinclude tools/ials_probe.c build/libbookrec_core.a -lm -lpthread -o build/ials_probe
 * Usage: ials_probe RATINGS.csv [key=value ...]; keys: dim iters lambda nu alpha w0 cg seed init readers
 *   threads weights=w1,w2,w3,w4,w5 loss=1 (print the objective after every epoch). Options not given print
 *   as 0 and take ials.c's defaults.
 * Measured on goodbooks-10k (readers=1, the defaults, 16 epochs of 3 CG steps, one thread on a 2-core machine
 * shared with other jobs): dim 64 HR@10 0.707 NDCG@10 0.240, 0.25-0.49 s/epoch; dim 128 HR@10 0.757
 * NDCG@10 0.277, 0.79-0.94 s/epoch (the same figures with 2 threads).
 */
#define _POSIX_C_SOURCE 199309L
#include "bookrec.h"
#include "bench_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>



/* A parallel-for that starts a thread per task beyond the first (iALS calls it a few times per epoch). */
typedef struct targ { bookrec_task_fn fn; void *arg; int t; } targ;
static void *thread_main(void *p) {
    targ *a = p;
    a->fn(a->arg, a->t);
    return NULL;
}
static void threads_parallel(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks) {
    (void)ctx;
    pthread_t th[64];
    targ a[64];
    if (n_tasks > 64) n_tasks = 64;
    for (int t = 1; t < n_tasks; t++) {
        a[t] = (targ){fn, arg, t};
        pthread_create(&th[t], NULL, thread_main, &a[t]);
    }
    fn(arg, 0);
    for (int t = 1; t < n_tasks; t++) pthread_join(th[t], NULL);
}

static double t_last;
static int print_loss(void *ctx, int epoch, double loss) {
    (void)ctx;
    double t = bench_now();
    fprintf(stderr, "epoch %d: objective %.6g (%.2f s)\n", epoch, loss, t - t_last);
    t_last = t;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: ials_probe RATINGS.csv [dim= iters= lambda= nu= alpha= w0= cg= seed= init= readers= "
                        "threads= weights=a,b,c,d,e loss=1]\n");
        return 2;
    }
    bookrec_ials_options o;
    memset(&o, 0, sizeof o);
    int threads = 2, loss = 0;
    uint64_t readers = 1;
    for (int k = 2; k < argc; k++) {
        char *eq = strchr(argv[k], '=');
        if (!eq) { fprintf(stderr, "bad argument %s\n", argv[k]); return 2; }
        *eq = 0;
        const char *key = argv[k], *v = eq + 1;
        if (!strcmp(key, "dim")) o.dim = atoi(v);
        else if (!strcmp(key, "iters")) o.iters = atoi(v);
        else if (!strcmp(key, "lambda")) o.lambda = strtof(v, NULL);
        else if (!strcmp(key, "nu")) o.reg_exp = strtof(v, NULL);
        else if (!strcmp(key, "alpha")) o.alpha = strtof(v, NULL);
        else if (!strcmp(key, "w0")) o.unobserved = strtof(v, NULL);
        else if (!strcmp(key, "cg")) o.cg_steps = atoi(v);
        else if (!strcmp(key, "seed")) o.seed = strtoull(v, NULL, 10);
        else if (!strcmp(key, "init")) o.init_scale = strtof(v, NULL);
        else if (!strcmp(key, "readers")) readers = strtoull(v, NULL, 10);
        else if (!strcmp(key, "threads")) threads = atoi(v);
        else if (!strcmp(key, "loss")) loss = atoi(v);
        else if (!strcmp(key, "weights")) {
            char *s = (char *)v;
            for (int j = 0; j < BOOKREC_IALS_N_WEIGHTS; j++) {
                o.rating_weight[j] = strtof(s, &s);
                if (*s == ',') s++;
            }
        } else { fprintf(stderr, "unknown key %s\n", key); return 2; }
    }
    o.n_tasks = threads;
    o.parallel = threads > 1 ? threads_parallel : NULL;
    if (loss) o.on_epoch = print_loss;

    bookrec_ratings *r = bench_load_ratings(argv[1]);
    if (!r) return 1;
    bookrec_error err;
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    o.min_rating = r->min_rating, o.max_rating = r->max_rating;

    bookrec_newreader_options nro = {0};
    nro.seed = readers;
    bookrec_triples train = {0}, foldin = {0}, target = {0};
    int n_readers = 0;
    if (bookrec_split_new_readers(&r->all, n_users, &nro, &train, &foldin, &target, &n_readers, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int dim = o.dim ? o.dim : 64;
    float *X = malloc((size_t)n_users * dim * sizeof *X), *Y = malloc((size_t)n_items * dim * sizeof *Y);
    float *G = malloc((size_t)dim * dim * sizeof *G);
    if (!X || !Y || !G) { fprintf(stderr, "out of memory\n"); return 1; }
    double t0 = bench_now();
    t_last = t0;
    if (bookrec_ials_fit(&train, n_users, n_items, &o, X, Y, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    double fit_s = bench_now() - t0;
    if (bookrec_ials_gram(Y, n_items, dim, G, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }

    bookrec_ials_scorer sc = {X, Y, G, n_users, n_items, dim, &o};
    bookrec_rank_options ro = {0};
    ro.min_rating = r->min_rating, ro.max_rating = r->max_rating;
    ro.n_tasks = threads;
    ro.parallel = threads > 1 ? threads_parallel : NULL;
    bookrec_rank_result res;
    t0 = bench_now();
    if (bookrec_rank_evaluate_new(n_users, n_items, &foldin, &target, bookrec_ials_score, &sc, &ro, &res, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double eval_s = bench_now() - t0;
    int iters = o.iters ? o.iters : 16;
    printf("{\"dim\": %d, \"iters\": %d, \"lambda\": %g, \"nu\": %g, \"alpha\": %g, \"w0\": %g, \"cg\": %d, "
           "\"weights\": [%g,%g,%g,%g,%g], \"readers_seed\": %llu, \"readers\": %d, \"evaluated\": %d, "
           "\"train_ratings\": %zu, \"hr10\": %.4f, \"ndcg10\": %.4f, \"recall10\": %.4f, \"coverage10\": %.4f, "
           "\"threads\": %d, \"fit_s\": %.2f, \"epoch_s\": %.3f, \"eval_s\": %.2f%s}\n",
           dim, iters, (double)o.lambda, (double)o.reg_exp, (double)o.alpha, (double)o.unobserved, o.cg_steps,
           (double)o.rating_weight[0], (double)o.rating_weight[1], (double)o.rating_weight[2],
           (double)o.rating_weight[3], (double)o.rating_weight[4], (unsigned long long)readers, n_readers,
           res.n_users, train.n, res.hr, res.ndcg, res.recall, res.coverage, threads, fit_s, fit_s / iters, eval_s,
           loss ? ", \"note\": \"epoch_s includes the objective\"" : "");
    bookrec_triples_free(&train);
    bookrec_triples_free(&foldin);
    bookrec_triples_free(&target);
    bookrec_ratings_free(r);
    free(X), free(Y), free(G);
    return 0;
}
