/*
 * eval.c - ranking evaluation for bookrec: HR@k, NDCG@k, Recall@k and catalogue coverage of top-k lists,
 * for dataset users (rank every book not rated in training) and for new readers (held out of training
 * entirely, folded in from a few ratings, ranked for the rest); bookrec_topk, the one top-k every ranking in
 * bookrec uses (a heap: ties by lower index, NaN skipped); the scorers that turn a model or a fixed
 * vector (popularity, item bias) into a ranker; and the seeded splits these protocols need (a validation
 * part carved from training, the new-reader split). It is not the rating-accuracy evaluation (RMSE/MAE is
 * bookrec_evaluate in the trainer) and it does no I/O: the CLI prints and writes the reports.
 *
 * Determinism: per-user figures are stored in user order and summed in that order after all chunks are
 * done, so the results do not depend on the number of tasks or on thread timing.
 */
#include "internal.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- small helpers */

float bookrec_relevance_threshold(float min_rating, float max_rating) {
    if (min_rating == 0.0f && max_rating == 0.0f) { min_rating = 1.0f; max_rating = 5.0f; }
    return min_rating + 0.75f * (max_rating - min_rating);
}

/* ------------------------------------------------------------------ the one top-k of bookrec */

/* a ranks before b: higher score, ties by lower index. */
static inline int better(const float *s, int32_t a, int32_t b) {
    return s[a] > s[b] || (s[a] == s[b] && a < b);
}

static void sift_down(int32_t *h, int n, int at, const float *s) {
    for (;;) {
        int l = 2 * at + 1, w = at;
        if (l < n && better(s, h[w], h[l])) w = l;
        if (l + 1 < n && better(s, h[w], h[l + 1])) w = l + 1;
        if (w == at) return;
        int32_t t = h[at]; h[at] = h[w]; h[w] = t;
        at = w;
    }
}

/* Writes the k best indices by score (descending, ties by lower index), skipping excluded and NaN scores;
   exclude entries outside 0..n-1 are ignored. Returns the count written or -1 on bad arguments. */
int bookrec_topk(const float *scores, int n, const int32_t *exclude, int n_exclude, int k,
                 int32_t *out_idx, float *out_score) {
    if (n < 0 || k < 0 || n_exclude < 0 || (n > 0 && !scores) || (n_exclude > 0 && !exclude) || (k > 0 && !out_idx))
        return -1;
    if (k == 0 || n == 0) return 0;
    unsigned char *ex = NULL;
    if (n_exclude > 0) {
        ex = calloc((size_t)n, 1);
        if (!ex) return -1;
        for (int e = 0; e < n_exclude; e++)
            if (exclude[e] >= 0 && exclude[e] < n) ex[exclude[e]] = 1;
    }
    int32_t *h = out_idx; /* min-heap: the worst kept index at the root */
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        if ((ex && ex[i]) || isnan(scores[i])) continue;
        if (cnt < k) {
            int at = cnt++;
            h[at] = i;
            while (at > 0) { /* sift up: parent must be worse than child */
                int par = (at - 1) / 2;
                if (!better(scores, h[par], h[at])) break;
                int32_t t = h[at]; h[at] = h[par]; h[par] = t;
                at = par;
            }
        } else if (better(scores, i, h[0])) {
            h[0] = i;
            sift_down(h, cnt, 0, scores);
        }
    }
    free(ex);
    for (int end = cnt - 1; end > 0; end--) { /* pop the worst to the back: best-first order */
        int32_t t = h[0]; h[0] = h[end]; h[end] = t;
        sift_down(h, end, 0, scores);
    }
    if (out_score)
        for (int j = 0; j < cnt; j++) out_score[j] = scores[h[j]];
    return cnt;
}

/* 1/log2(p+1) for 1-based rank p. */
static double br_gain(int p) { return 1.0 / log2((double)p + 1.0); }

/* Metrics of a list whose relevant positions are flagged in is_rel[0..n_top). */
static void br_list_metrics(const unsigned char *is_rel, int n_top, int n_relevant, int k,
                            bookrec_rank_metrics *out) {
    double dcg = 0.0, idcg = 0.0;
    int hits = 0;
    for (int p = 0; p < n_top && p < k; p++)
        if (is_rel[p]) { hits++; dcg += br_gain(p + 1); }
    int ideal = n_relevant < k ? n_relevant : k;
    for (int p = 1; p <= ideal; p++) idcg += br_gain(p);
    out->hits = hits;
    out->hr = hits > 0 ? 1.0 : 0.0;
    out->ndcg = idcg > 0.0 ? dcg / idcg : 0.0;
    out->recall = n_relevant > 0 ? (double)hits / (double)n_relevant : 0.0;
}

int bookrec_rank_list_metrics(const int32_t *top, int n_top, const int32_t *relevant, int n_relevant, int k,
                              bookrec_rank_metrics *out, bookrec_error *err) {
    if (!out || k <= 0 || n_top < 0 || n_relevant < 0 || (n_top > 0 && !top) || (n_relevant > 0 && !relevant))
        return br_fail(err, BOOKREC_E_ARG, "rank metrics: bad arguments (k %d, n_top %d, n_relevant %d)", k, n_top,
                       n_relevant);
    int n = n_top < k ? n_top : k;
    unsigned char flags[256] = {0};
    unsigned char *is_rel = n <= (int)sizeof flags ? flags : malloc((size_t)n);
    if (!is_rel) return br_fail(err, BOOKREC_E_NOMEM, "rank metrics: out of memory");
    for (int p = 0; p < n; p++) {
        is_rel[p] = 0;
        for (int j = 0; j < n_relevant; j++)
            if (relevant[j] == top[p]) { is_rel[p] = 1; break; }
    }
    br_list_metrics(is_rel, n, n_relevant, k, out);
    if (is_rel != flags) free(is_rel);
    return br_ok(err);
}

int bookrec_rank_user(const float *scores, int n_items, const int32_t *exclude, int n_exclude,
                      const int32_t *relevant, int n_relevant, int k, int32_t *top_out, int *n_top,
                      bookrec_rank_metrics *out, bookrec_error *err) {
    if (!scores || n_items <= 0 || k <= 0 || !top_out || !out || n_exclude < 0 || (n_exclude > 0 && !exclude))
        return br_fail(err, BOOKREC_E_ARG, "rank user: bad arguments (n_items %d, k %d)", n_items, k);
    for (int j = 0; j < n_exclude; j++)
        if (exclude[j] < 0 || exclude[j] >= n_items)
            return br_fail(err, BOOKREC_E_ARG, "rank user: excluded item %d out of range 0..%d", (int)exclude[j],
                           n_items - 1);
    int m = bookrec_topk(scores, n_items, exclude, n_exclude, k, top_out, NULL);
    if (m < 0) return br_fail(err, BOOKREC_E_NOMEM, "rank user: out of memory");
    if (n_top) *n_top = m;
    return bookrec_rank_list_metrics(top_out, m, relevant, n_relevant, k, out, err);
}

/* ---------------------------------------------------------------- per-user indexes */

void br_csr_free(br_csr *c) {
    free(c->off); free(c->item); free(c->rating);
    memset(c, 0, sizeof *c);
}

int br_triples_check(const bookrec_triples *t, int n_users, int n_items, const char *what, bookrec_error *err) {
    if (!t || (t->n > 0 && (!t->user || !t->item || !t->rating)))
        return br_fail(err, BOOKREC_E_ARG, "%s triples: NULL arrays", what);
    if (t->n > (size_t)INT32_MAX) return br_fail(err, BOOKREC_E_ARG, "%s triples: too many (%zu)", what, t->n);
    for (size_t j = 0; j < t->n; j++) {
        if (t->user[j] < 0 || t->user[j] >= n_users)
            return br_fail(err, BOOKREC_E_ARG, "%s triple %zu: user %d out of range 0..%d", what, j, (int)t->user[j],
                           n_users - 1);
        if (t->item[j] < 0 || t->item[j] >= n_items)
            return br_fail(err, BOOKREC_E_ARG, "%s triple %zu: item %d out of range 0..%d", what, j, (int)t->item[j],
                           n_items - 1);
        if (!isfinite(t->rating[j]))
            return br_fail(err, BOOKREC_E_ARG, "%s triple %zu: rating is not a finite number", what, j);
    }
    return BOOKREC_OK;
}

int br_csr_build(const bookrec_triples *t, int n_users, int n_items, const char *what, br_csr *c,
                        bookrec_error *err) {
    memset(c, 0, sizeof *c);
    int st = br_triples_check(t, n_users, n_items, what, err);
    if (st) return st;
    c->off = calloc((size_t)n_users + 1, sizeof *c->off);
    c->item = malloc((t->n ? t->n : 1) * sizeof *c->item);
    c->rating = malloc((t->n ? t->n : 1) * sizeof *c->rating);
    if (!c->off || !c->item || !c->rating) { br_csr_free(c); return br_fail(err, BOOKREC_E_NOMEM, "%s index: out of memory", what); }
    br_rsrc src = {t, NULL};
    br_csr_fill(&src, NULL, n_users, c->off, c->item, c->rating);
    return BOOKREC_OK;
}

/* ---------------------------------------------------------------- the evaluator */

typedef struct br_rank_job {
    const br_csr *known, *target;
    int new_readers, n_items, k;
    float threshold;
    bookrec_score_fn score;
    void *score_ctx;
    const int32_t *users;  /* the users to evaluate, in order */
    int n_eval, n_tasks;
    /* per evaluated user */
    double *hr, *ndcg, *recall;
    int32_t *n_rel, *n_hit, *top, *n_top;
    /* per task */
    float *scores;          /* n_tasks * n_items */
    unsigned char *mark;    /* n_tasks * n_items, all zero between users */
    int *status;
    bookrec_error *errs;
} br_rank_job;

static void br_rank_task(void *arg, int t) {
    br_rank_job *J = arg;
    int lo = (int)((int64_t)J->n_eval * t / J->n_tasks), hi = (int)((int64_t)J->n_eval * (t + 1) / J->n_tasks);
    float *scores = J->scores + (size_t)t * J->n_items;
    unsigned char *mark = J->mark + (size_t)t * J->n_items;
    J->status[t] = BOOKREC_OK;
    for (int e = lo; e < hi; e++) {
        int u = J->users[e];
        int32_t k0 = J->known->off[u], k1 = J->known->off[u + 1];
        bookrec_reader rd = { J->new_readers ? -1 : u, J->known->item + k0, J->known->rating + k0, (int)(k1 - k0) };
        int st = J->score(J->score_ctx, &rd, scores, J->n_items, &J->errs[t]);
        if (st != BOOKREC_OK) {
            J->status[t] = st;
            if (J->errs[t].code == BOOKREC_OK) br_fail(&J->errs[t], st, "scorer failed for user %d", u);
            return;
        }
        for (int32_t j = k0; j < k1; j++) { scores[J->known->item[j]] = NAN; mark[J->known->item[j]] = 1; }
        int n_rel = 0;
        for (int32_t j = J->target->off[u]; j < J->target->off[u + 1]; j++) {
            int32_t i = J->target->item[j];
            if (J->target->rating[j] >= J->threshold && mark[i] == 0) { mark[i] = 2; n_rel++; }
        }
        int32_t *top = J->top + (size_t)e * J->k;
        int m = bookrec_topk(scores, J->n_items, NULL, 0, J->k, top, NULL); /* NaN (known books) skipped */
        unsigned char flags[64], *is_rel = flags;
        unsigned char *heap = NULL;
        if (m > (int)sizeof flags) {
            heap = malloc((size_t)m);
            if (!heap) { J->status[t] = br_fail(&J->errs[t], BOOKREC_E_NOMEM, "rank evaluation: out of memory"); return; }
            is_rel = heap;
        }
        for (int p = 0; p < m; p++) is_rel[p] = mark[top[p]] == 2;
        bookrec_rank_metrics mt;
        br_list_metrics(is_rel, m, n_rel, J->k, &mt);
        free(heap);
        J->hr[e] = mt.hr; J->ndcg[e] = mt.ndcg; J->recall[e] = mt.recall;
        J->n_rel[e] = n_rel; J->n_hit[e] = mt.hits; J->n_top[e] = m;
        for (int32_t j = k0; j < k1; j++) mark[J->known->item[j]] = 0;
        for (int32_t j = J->target->off[u]; j < J->target->off[u + 1]; j++) mark[J->target->item[j]] = 0;
    }
}

static int br_rank_run(int n_users, int n_items, const bookrec_triples *known_t, const bookrec_triples *target_t,
                       int new_readers, bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                       const float *item_value, double *mean_value, bookrec_rank_result *out, bookrec_error *err) {
    const char *what = new_readers ? "new-reader evaluation" : "rank evaluation";
    if (!out || !score || n_users <= 0 || n_items <= 0 || !known_t || !target_t)
        return br_fail(err, BOOKREC_E_ARG, "%s: bad arguments (n_users %d, n_items %d, NULL pointer?)", what, n_users,
                       n_items);
    bookrec_rank_options o;
    if (opt) o = *opt; else memset(&o, 0, sizeof o);
    if (o.k <= 0) o.k = 10;
    if (o.n_tasks <= 0) o.n_tasks = 1;
    if (o.threshold == 0.0f) o.threshold = bookrec_relevance_threshold(o.min_rating, o.max_rating);
    if (!isfinite(o.threshold)) return br_fail(err, BOOKREC_E_ARG, "%s: relevance threshold is not finite", what);
    if (o.k > n_items) o.k = n_items;
    memset(out, 0, sizeof *out);
    out->k = o.k;
    out->threshold = o.threshold;

    br_csr known, target;
    int st = br_csr_build(known_t, n_users, n_items, new_readers ? "fold-in" : "train", &known, err);
    if (st) return st;
    st = br_csr_build(target_t, n_users, n_items, new_readers ? "target" : "test", &target, err);
    if (st) { br_csr_free(&known); return st; }

    /* users to evaluate: those with >= 1 relevant target item not among their known items */
    int32_t *users = malloc((size_t)n_users * sizeof *users);
    unsigned char *seen = calloc((size_t)n_items, 1);
    int n_cand = 0;
    if (!users || !seen) { st = br_fail(err, BOOKREC_E_NOMEM, "%s: out of memory", what); goto done_idx; }
    for (int u = 0; u < n_users; u++) {
        if (target.off[u] == target.off[u + 1]) continue;
        for (int32_t j = known.off[u]; j < known.off[u + 1]; j++) seen[known.item[j]] = 1;
        int any = 0;
        for (int32_t j = target.off[u]; j < target.off[u + 1]; j++)
            if (target.rating[j] >= o.threshold && !seen[target.item[j]]) { any = 1; break; }
        for (int32_t j = known.off[u]; j < known.off[u + 1]; j++) seen[known.item[j]] = 0;
        if (any) users[n_cand++] = u; else out->n_skipped++;
    }
    int n_eval = n_cand;
    if (o.max_users > 0 && o.max_users < n_cand) {
        for (int e = 0; e < o.max_users; e++) users[e] = users[(int)((int64_t)e * n_cand / o.max_users)];
        n_eval = o.max_users;
    }
    if (n_eval == 0) {
        st = br_fail(err, BOOKREC_E_EMPTY, "%s: no user has a relevant item (rating >= %g) in the %s part", what,
                     (double)o.threshold, new_readers ? "target" : "test");
        goto done_idx;
    }
    if (o.n_tasks > n_eval) o.n_tasks = n_eval;

    br_rank_job J;
    memset(&J, 0, sizeof J);
    J.known = &known; J.target = &target; J.new_readers = new_readers; J.n_items = n_items; J.k = o.k;
    J.threshold = o.threshold; J.score = score; J.score_ctx = score_ctx; J.users = users; J.n_eval = n_eval;
    J.n_tasks = o.n_tasks;
    J.hr = malloc((size_t)n_eval * sizeof *J.hr);
    J.ndcg = malloc((size_t)n_eval * sizeof *J.ndcg);
    J.recall = malloc((size_t)n_eval * sizeof *J.recall);
    J.n_rel = malloc((size_t)n_eval * sizeof *J.n_rel);
    J.n_hit = malloc((size_t)n_eval * sizeof *J.n_hit);
    J.n_top = malloc((size_t)n_eval * sizeof *J.n_top);
    J.top = malloc((size_t)n_eval * (size_t)o.k * sizeof *J.top);
    J.scores = malloc((size_t)o.n_tasks * (size_t)n_items * sizeof *J.scores);
    J.mark = calloc((size_t)o.n_tasks * (size_t)n_items, 1);
    J.status = calloc((size_t)o.n_tasks, sizeof *J.status);
    J.errs = calloc((size_t)o.n_tasks, sizeof *J.errs);
    if (!J.hr || !J.ndcg || !J.recall || !J.n_rel || !J.n_hit || !J.n_top || !J.top || !J.scores || !J.mark ||
        !J.status || !J.errs) {
        st = br_fail(err, BOOKREC_E_NOMEM, "%s: out of memory", what);
        goto done_job;
    }
    if (o.parallel && o.n_tasks > 1) o.parallel(o.parallel_ctx, br_rank_task, &J, o.n_tasks);
    else for (int t = 0; t < o.n_tasks; t++) br_rank_task(&J, t);

    for (int t = 0; t < o.n_tasks; t++)
        if (J.status[t] != BOOKREC_OK) {
            if (err) *err = J.errs[t];
            st = J.status[t];
            goto done_job;
        }
    /* reduce in user order: independent of the chunking */
    double shr = 0, sndcg = 0, srec = 0, sval = 0;
    size_t n_listed = 0;
    memset(seen, 0, (size_t)n_items);
    int distinct = 0;
    for (int e = 0; e < n_eval; e++) {
        shr += J.hr[e]; sndcg += J.ndcg[e]; srec += J.recall[e];
        out->n_relevant += (size_t)J.n_rel[e];
        out->n_hits += (size_t)J.n_hit[e];
        const int32_t *top = J.top + (size_t)e * o.k;
        for (int p = 0; p < J.n_top[e]; p++) {
            if (!seen[top[p]]) { seen[top[p]] = 1; distinct++; }
            if (item_value) sval += item_value[top[p]];
        }
        n_listed += (size_t)J.n_top[e];
    }
    if (mean_value) *mean_value = n_listed ? sval / (double)n_listed : NAN;
    out->n_users = n_eval;
    out->hr = shr / n_eval;
    out->ndcg = sndcg / n_eval;
    out->recall = srec / n_eval;
    out->coverage = (double)distinct / n_items;
    st = br_ok(err);
done_job:
    free(J.hr); free(J.ndcg); free(J.recall); free(J.n_rel); free(J.n_hit); free(J.n_top); free(J.top);
    free(J.scores); free(J.mark); free(J.status); free(J.errs);
done_idx:
    free(users);
    free(seen);
    br_csr_free(&known);
    br_csr_free(&target);
    return st;
}

int bookrec_rank_evaluate(int n_users, int n_items, const bookrec_triples *train, const bookrec_triples *test,
                          bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                          bookrec_rank_result *out, bookrec_error *err) {
    return br_rank_run(n_users, n_items, train, test, 0, score, score_ctx, opt, NULL, NULL, out, err);
}

int bookrec_rank_evaluate_new(int n_users, int n_items, const bookrec_triples *foldin, const bookrec_triples *target,
                              bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                              bookrec_rank_result *out, bookrec_error *err) {
    return br_rank_run(n_users, n_items, foldin, target, 1, score, score_ctx, opt, NULL, NULL, out, err);
}

int bookrec_rank_evaluate_ex(int n_users, int n_items, const bookrec_triples *known, const bookrec_triples *target,
                             int new_readers, bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                             const float *item_value, double *mean_value, bookrec_rank_result *out,
                             bookrec_error *err) {
    if (mean_value) *mean_value = NAN;
    return br_rank_run(n_users, n_items, known, target, new_readers != 0, score, score_ctx, opt, item_value, mean_value,
                       out, err);
}

/* A book and its popularity, sorted most popular first, ties by lower index. */
typedef struct br_pop_entry { float pop; int32_t item; } br_pop_entry;
static int br_cmp_pop(const void *a, const void *b) {
    const br_pop_entry *x = a, *y = b;
    if (x->pop != y->pop) return x->pop > y->pop ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

int bookrec_popularity_ranks(const float *popularity, int n_items, float *ranks, bookrec_error *err) {
    if (!popularity || !ranks || n_items <= 0)
        return br_fail(err, BOOKREC_E_ARG, "popularity ranks: bad arguments (n_items %d)", n_items);
    for (int i = 0; i < n_items; i++)
        if (!isfinite(popularity[i]))
            return br_fail(err, BOOKREC_E_ARG, "popularity ranks: book %d's popularity is not finite", i);
    br_pop_entry *ord = malloc((size_t)n_items * sizeof *ord);
    if (!ord) return br_fail(err, BOOKREC_E_NOMEM, "popularity ranks: out of memory");
    for (int i = 0; i < n_items; i++) ord[i] = (br_pop_entry){popularity[i], i};
    qsort(ord, (size_t)n_items, sizeof *ord, br_cmp_pop);
    for (int a = 0; a < n_items;) {
        int b = a;
        while (b + 1 < n_items && ord[b + 1].pop == ord[a].pop) b++;
        float mid = (float)(((double)a + 1.0 + (double)b + 1.0) / 2.0); /* ties share their mean rank */
        for (int j = a; j <= b; j++) ranks[ord[j].item] = mid;
        a = b + 1;
    }
    free(ord);
    return br_ok(err);
}

/* ---------------------------------------------------------------- scorers */

int bookrec_popularity_min(const bookrec_triples *t, int n_items, float min_rating, float *scores,
                           bookrec_error *err) {
    if (!t || !scores || n_items <= 0 || (t->n > 0 && (!t->item || !t->rating)) || isnan(min_rating))
        return br_fail(err, BOOKREC_E_ARG, "popularity: bad arguments (n_items %d)", n_items);
    for (int i = 0; i < n_items; i++) scores[i] = 0.0f;
    for (size_t j = 0; j < t->n; j++) {
        if (t->item[j] < 0 || t->item[j] >= n_items)
            return br_fail(err, BOOKREC_E_ARG, "popularity: triple %zu: item %d out of range 0..%d", j,
                           (int)t->item[j], n_items - 1);
        if (t->rating[j] >= min_rating) scores[t->item[j]] += 1.0f; /* exact up to 2^24 ratings per item */
    }
    return br_ok(err);
}

int bookrec_popularity(const bookrec_triples *t, int n_items, float *scores, bookrec_error *err) {
    return bookrec_popularity_min(t, n_items, -INFINITY, scores, err);
}

int bookrec_score_fixed(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err) {
    const bookrec_fixed_scorer *f = ctx;
    (void)reader;
    if (!f || !f->scores || !scores || f->n_items != n_items)
        return br_fail(err, BOOKREC_E_ARG, "fixed scorer: expected %d items, got %d", f ? f->n_items : -1, n_items);
    memcpy(scores, f->scores, (size_t)n_items * sizeof *scores);
    return BOOKREC_OK;
}

int bookrec_score_model(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err) {
    bookrec_model_scorer *s = ctx;
    if (!s || !s->model || !reader || !scores)
        return br_fail(err, BOOKREC_E_ARG, "model scorer: NULL argument");
    const bookrec_model_config *cfg = bookrec_model_get_config(s->model);
    if (cfg->n_items != n_items)
        return br_fail(err, BOOKREC_E_ARG, "model scorer: the model has %d items, the evaluation %d", cfg->n_items,
                       n_items);
    int size = bookrec_model_user_state_size(s->model);
    float local[256];
    float *state = size <= (int)(sizeof local / sizeof *local) ? local : malloc((size_t)size * sizeof *state);
    if (!state) return br_fail(err, BOOKREC_E_NOMEM, "model scorer: out of memory");
    int st;
    if (reader->user >= 0)
        st = bookrec_model_user_state(s->model, reader->user, state, err);
    else
        st = bookrec_model_fold_in(s->model, reader->items, reader->ratings, reader->n, &s->foldin, state, err);
    if (st == BOOKREC_OK) st = bookrec_model_score_all(s->model, state, scores, err);
    if (state != local) free(state);
    return st;
}

/* ---------------------------------------------------------------- splits */

/* Copies the triples of t flagged (or not) in `flag` into out, keeping order. */
static int br_copy_flagged(const bookrec_triples *t, const unsigned char *flag, unsigned char want, size_t count,
                           bookrec_triples *out) {
    if (bookrec_triples_alloc(out, count) != BOOKREC_OK) return BOOKREC_E_NOMEM;
    size_t m = 0;
    for (size_t j = 0; j < t->n; j++)
        if (flag[j] == want) {
            out->user[m] = t->user[j];
            out->item[m] = t->item[j];
            out->rating[m] = t->rating[j];
            m++;
        }
    return BOOKREC_OK;
}

int bookrec_triples_split(const bookrec_triples *t, double fraction, uint64_t seed,
                          bookrec_triples *keep, bookrec_triples *held, bookrec_error *err) {
    if (!t || !keep || !held || (t->n > 0 && (!t->user || !t->item || !t->rating)))
        return br_fail(err, BOOKREC_E_ARG, "triples split: NULL argument");
    if (!(fraction >= 0.0 && fraction <= 1.0))
        return br_fail(err, BOOKREC_E_ARG, "triples split: fraction must be in 0..1, got %g", fraction);
    memset(keep, 0, sizeof *keep);
    memset(held, 0, sizeof *held);
    size_t n = t->n, n_held = (size_t)(fraction * (double)n + 0.5);
    if (n_held > n) n_held = n;
    uint32_t *perm = malloc((n ? n : 1) * sizeof *perm);
    unsigned char *flag = calloc(n ? n : 1, 1);
    if (!perm || !flag || n > UINT32_MAX) {
        free(perm); free(flag);
        return br_fail(err, BOOKREC_E_NOMEM, "triples split: out of memory for %zu triples", n);
    }
    for (size_t j = 0; j < n; j++) perm[j] = (uint32_t)j;
    br_rng rng;
    br_rng_seed(&rng, seed ^ 0x76616C6964ull); /* "valid": its own stream, unrelated to the 80/20 split */
    for (size_t j = 0; j < n_held; j++) { /* partial Fisher-Yates: perm[0..n_held) is a uniform sample */
        size_t r = j + br_rng_below(&rng, (uint32_t)(n - j));
        uint32_t tmp = perm[j]; perm[j] = perm[r]; perm[r] = tmp;
        flag[perm[j]] = 1;
    }
    free(perm);
    if (br_copy_flagged(t, flag, 0, n - n_held, keep) || br_copy_flagged(t, flag, 1, n_held, held)) {
        free(flag);
        bookrec_triples_free(keep);
        bookrec_triples_free(held);
        return br_fail(err, BOOKREC_E_NOMEM, "triples split: out of memory for %zu triples", n);
    }
    free(flag);
    return br_ok(err);
}

int br_new_readers_choose(const int32_t *off, int n_users, size_t n_all, const bookrec_newreader_options *opt,
                          unsigned char *held_user, br_held *h, bookrec_error *err) {
    memset(h, 0, sizeof *h);
    bookrec_newreader_options o;
    if (opt) o = *opt; else memset(&o, 0, sizeof o);
    if (o.n_readers <= 0) o.n_readers = 1000;
    if (o.min_ratings <= 0) o.min_ratings = 20;
    if (o.n_foldin <= 0) o.n_foldin = 10;
    if (o.seed == 0) o.seed = 1;
    if (o.max_share == 0.0) o.max_share = 0.2;
    if (!(o.max_share > 0.0 && o.max_share < 1.0))
        return br_fail(err, BOOKREC_E_ARG, "new-reader split: the share of users held out must be in (0, 1), got %g",
                       o.max_share);
    if (o.n_foldin >= o.min_ratings)
        return br_fail(err, BOOKREC_E_ARG, "new-reader split: fold-in ratings (%d) must be fewer than the minimum (%d)",
                       o.n_foldin, o.min_ratings);
    int st;
    int32_t *elig = malloc((size_t)n_users * sizeof *elig);
    int n_elig = 0;
    if (!elig) return br_fail(err, BOOKREC_E_NOMEM, "new-reader split: out of memory");
    for (int u = 0; u < n_users; u++)
        if (off[u + 1] - off[u] >= o.min_ratings) elig[n_elig++] = u;
    if (n_elig == 0) {
        st = br_fail(err, BOOKREC_E_EMPTY, "new-reader split: no user has %d or more ratings", o.min_ratings);
        goto out;
    }
    /* the cap: at most max_share of the users who rated anything, so the training part keeps the others */
    int n_rating_users = 0;
    for (int u = 0; u < n_users; u++) n_rating_users += off[u + 1] > off[u];
    int cap = (int)floor(o.max_share * (double)n_rating_users);
    int n_take = o.n_readers < n_elig ? o.n_readers : n_elig;
    if (n_take > cap) n_take = cap;
    if (n_take < 1) {
        st = br_fail(err, BOOKREC_E_EMPTY, "new-reader split: %d users with ratings are too few to hold any reader out "
                     "(at most %g of them may be)", n_rating_users, o.max_share);
        goto out;
    }
    br_rng_seed(&h->rng, o.seed ^ 0x6E65777265616472ull); /* "newreadr" */
    for (int j = 0; j < n_take; j++) {
        int r = j + (int)br_rng_below(&h->rng, (uint32_t)(n_elig - j));
        int32_t tmp = elig[j]; elig[j] = elig[r]; elig[r] = tmp;
        held_user[elig[j]] = 1;
    }
    size_t n_held = 0;
    for (int j = 0; j < n_take; j++) n_held += (size_t)(off[elig[j] + 1] - off[elig[j]]);
    if (n_held >= n_all) { /* cannot happen with the cap below 1; kept as the promise that train is never empty */
        st = br_fail(err, BOOKREC_E_EMPTY, "new-reader split: holding out %d readers would leave no training ratings",
                     n_take);
        goto out;
    }
    h->readers = elig, elig = NULL;
    h->n = n_take, h->n_foldin = o.n_foldin, h->n_ratings = n_held;
    st = br_ok(err);
out:
    free(elig);
    return st;
}

int br_new_readers_emit(br_held *h, const br_csr *c, bookrec_triples *foldin, bookrec_triples *target,
                        bookrec_error *err) {
    size_t n_fold = (size_t)h->n * (size_t)h->n_foldin;
    memset(foldin, 0, sizeof *foldin);
    memset(target, 0, sizeof *target);
    int32_t max_len = 0;
    for (int j = 0; j < h->n; j++)
        if (c->off[h->readers[j] + 1] - c->off[h->readers[j]] > max_len)
            max_len = c->off[h->readers[j] + 1] - c->off[h->readers[j]];
    int32_t *order = malloc(((size_t)max_len + 1) * sizeof *order);
    if (!order || bookrec_triples_alloc(foldin, n_fold) || bookrec_triples_alloc(target, h->n_ratings - n_fold)) {
        free(order);
        bookrec_triples_free(foldin);
        bookrec_triples_free(target);
        return br_fail(err, BOOKREC_E_NOMEM, "new-reader split: out of memory");
    }
    /* each held-out reader, in selection order: a seeded shuffle of its ratings, the first n_foldin fold it in */
    size_t mf = 0, mt = 0;
    for (int j = 0; j < h->n; j++) {
        int u = h->readers[j];
        int32_t b = c->off[u], len = c->off[u + 1] - b;
        for (int32_t q = 0; q < len; q++) order[q] = b + q;
        for (int32_t q = 0; q < h->n_foldin; q++) {
            int32_t r = q + (int32_t)br_rng_below(&h->rng, (uint32_t)(len - q));
            int32_t tmp = order[q]; order[q] = order[r]; order[r] = tmp;
        }
        for (int32_t q = 0; q < len; q++) {
            bookrec_triples *d = q < h->n_foldin ? foldin : target;
            size_t *pm = q < h->n_foldin ? &mf : &mt;
            d->user[*pm] = u; d->item[*pm] = c->item[order[q]]; d->rating[*pm] = c->rating[order[q]];
            (*pm)++;
        }
    }
    free(order);
    return br_ok(err);
}

int br_new_readers_pick(const br_csr *c, int n_users, size_t n_all, const bookrec_newreader_options *opt,
                        unsigned char *held_user, bookrec_triples *foldin, bookrec_triples *target, int *n_readers,
                        bookrec_error *err) {
    memset(foldin, 0, sizeof *foldin);
    memset(target, 0, sizeof *target);
    if (n_readers) *n_readers = 0;
    br_held h;
    int st = br_new_readers_choose(c->off, n_users, n_all, opt, held_user, &h, err);
    if (!st) st = br_new_readers_emit(&h, c, foldin, target, err);
    if (!st && n_readers) *n_readers = h.n;
    free(h.readers);
    return st;
}

int bookrec_split_new_readers(const bookrec_triples *all, int n_users, const bookrec_newreader_options *opt,
                              bookrec_triples *train, bookrec_triples *foldin, bookrec_triples *target,
                              int *n_readers, bookrec_error *err) {
    if (!all || !train || !foldin || !target || n_users <= 0)
        return br_fail(err, BOOKREC_E_ARG, "new-reader split: bad arguments (n_users %d, NULL pointer?)", n_users);
    memset(train, 0, sizeof *train);
    memset(foldin, 0, sizeof *foldin);
    memset(target, 0, sizeof *target);
    if (n_readers) *n_readers = 0;
    br_csr c;
    int st = br_csr_build(all, n_users, INT32_MAX, "new-reader split", &c, err);
    if (st) return st;
    unsigned char *held_user = calloc((size_t)n_users, 1);
    if (!held_user) st = br_fail(err, BOOKREC_E_NOMEM, "new-reader split: out of memory");
    else st = br_new_readers_pick(&c, n_users, all->n, opt, held_user, foldin, target, n_readers, err);
    br_csr_free(&c);
    size_t m = 0;
    if (!st && bookrec_triples_alloc(train, all->n - foldin->n - target->n))
        st = br_fail(err, BOOKREC_E_NOMEM, "new-reader split: out of memory");
    for (size_t j = 0; !st && j < all->n; j++)
        if (!held_user[all->user[j]]) {
            train->user[m] = all->user[j]; train->item[m] = all->item[j]; train->rating[m] = all->rating[j]; m++;
        }
    free(held_user);
    if (st != BOOKREC_OK) {
        bookrec_triples_free(train);
        bookrec_triples_free(foldin);
        bookrec_triples_free(target);
        if (n_readers) *n_readers = 0;
    }
    return st;
}
