/*
 * cmd_export.c - `bookrec export`: turns a trained model into the files the browser loads and the
 * TensorFlow Embedding Projector reads, all written atomically into one directory:
 *   model-items.bkr  the book side and the network (embeddings Q8 by default, F16/F32 with --quantize)
 *   model-users.bkr  the dataset users' part (loaded by the site only when that panel is used)
 *   books.json       display fields of every book the model knows, in the model's item order, with its genre
 *                    shelves ("genres", up to 3 of a vocabulary of 40) when book_tags.csv is found
 *   map.bin          a 2-D position of every book for the site's map (bookrec_model_layout2d), 16-bit
 *   vecs.tsv         one book embedding row per line, tab-separated (as the tutorial wrote it)
 *   meta.tsv         the matching titles, one per line, no header
 *   manifest.json    files and sizes, architecture, dimensions, rating range, model identity
 * It also measures what quantising costs: the re-loaded exported model against the F32 one on the
 * training run's test split. With --als-json an ials model's factors are also written as Spark MLlib's ALS
 * writes its own (what `bookrec import-als` reads). Reading the inputs, JSON documents and writing files only:
 * the genre shelves (src/genres.c), the encodings of map.bin, the TSVs and the factor JSON lines and the top-N
 * models' quantisation agreement (src/export.c) are the core's. Not a converter of the rating models to other formats.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Writes one factor table as Spark's ALS writes it: DIR/NAME/part-00000.json, one {"id": ..., "features": [...]}
   per line, and an empty _SUCCESS. */
static void write_als_table(const char *dir, const char *name, const bookrec_ids *ids, const float *v, int rows,
                            int cols) {
    char *text = NULL;
    size_t len = 0;
    bookrec_error err = {0};
    cli_check(bookrec_als_json(ids, v, rows, cols, &text, &len, &err), &err, "--als-json");
    char *sub = cli_join(dir, name), *part = cli_join(sub, "part-00000.json"), *ok = cli_join(sub, "_SUCCESS");
    cli_write_atomic_or_die(part, text, len);
    cli_write_atomic_or_die(ok, "", 0);
    printf("wrote %s (%d rows of %d factors)\n", part, rows, cols);
    free(sub); free(part); free(ok); bookrec_free(text);
}

/* --als-json: an ials model's factors as Spark's model.itemFactors / userFactors.write.json would give them. */
static void write_als_json(bookrec_model *m, const char *dir) {
    const bookrec_model_config *c = bookrec_model_get_config(m);
    if (c->arch != BOOKREC_ARCH_IALS || !bookrec_model_has_users(m) || !bookrec_model_users(m))
        cli_die("--als-json needs an ials model with its readers and their ids");
    int r = 0, k = 0;
    const float *y = bookrec_model_tensor(m, "item_emb", &r, &k);
    write_als_table(dir, "itemFactors", bookrec_model_items(m), y, r, k);
    const float *x = bookrec_model_tensor(m, "user_emb", &r, &k);
    write_als_table(dir, "userFactors", bookrec_model_users(m), x, r, k);
}

typedef struct out_file {
    const char *name;
    char *path;
    long long bytes;
} out_file;

/* The export directory and the files written into it so far. */
typedef struct export_dir {
    const char *dir;
    out_file files[12];
    int n;
} export_dir;

/* Writes DIR/name atomically and records it for the manifest and the summary. */
static void add_file(export_dir *x, const char *name, const void *data, size_t len) {
    if (x->n == (int)(sizeof x->files / sizeof x->files[0])) cli_die("export: internal: too many files");
    out_file *f = &x->files[x->n++];
    f->name = name;
    f->path = cli_join(x->dir, name);
    cli_write_atomic_or_die(f->path, data, len);
    f->bytes = (long long)len;
}

static int br_topn_arch(const bookrec_model_config *c) {
    return c->arch == BOOKREC_ARCH_EASE || c->arch == BOOKREC_ARCH_IALS;
}

/* The exported model as the site loads it: both parts, re-loaded from their bytes. */
static bookrec_model *reload(const uint8_t *ib, size_t il, const uint8_t *ub, size_t ul) {
    bookrec_error err = {0};
    bookrec_model *q = NULL;
    cli_check(bookrec_model_load(ib, il, &q, &err), &err, "re-loading model-items.bkr");
    cli_check(bookrec_model_load_users(q, ub, ul, &err), &err, "re-loading model-users.bkr");
    return q;
}

/* Top-N models: re-loads the exported parts and compares the top-10 lists of the first 200 dataset readers. */
static void topn_quant_check(bookrec_model *m, const uint8_t *ib, size_t il, const uint8_t *ub, size_t ul,
                             const char *quant) {
    bookrec_error err = {0};
    bookrec_model *q = reload(ib, il, ub, ul);
    bookrec_list_agreement ag;
    cli_check(bookrec_topn_agreement(m, q, 200, 10, &ag, &err), &err, "quantisation check");
    printf("quantisation check (%s, re-loaded export), top-10 lists of %d dataset readers: %.1f%% of the books "
           "stay, scores change by at most %.5f\n", quant, ag.readers, ag.total ? 100.0 * ag.same / ag.total : 100.0,
           ag.worst);
    bookrec_model_free(q);
}

/* The genre shelves for books.json: from book_tags.csv and tags.csv in tags_dir ("none": no genres; "auto": beside the
   books file, and only when its books carry goodreads ids, which book_tags.csv is keyed by); NULL when not read. */
static bookrec_genres *read_genres(const cli_data_opts *d, const char *tags_dir, const bookrec_items *books,
                                   const bookrec_ids *items) {
    int auto_tags = !strcmp(tags_dir, "auto"), joinable = 0;
    for (int i = 0; books && i < books->n && !joinable; i++) joinable = books->item[i].extra && *books->item[i].extra;
    if (!strcmp(tags_dir, "none") || !books || (auto_tags && !joinable)) return NULL;
    const char *bp = auto_tags ? cli_books_path(d) : NULL;
    char *dir = bp ? strdup(bp) : strdup(tags_dir);
    if (!dir) cli_die("out of memory");
    if (auto_tags) {
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        else strcpy(dir, ".");
    }
    char *btp = cli_join(dir, "book_tags.csv"), *tp = cli_join(dir, "tags.csv");
    bookrec_genres *g = NULL;
    if (cli_is_file(btp) && cli_is_file(tp)) {
        bookrec_tag_files tf;
        bookrec_error err = {0};
        cli_read_tag_files(dir, books, items, &tf);
        cli_check(bookrec_genres_create(&tf, 40, 3, &g, &err), &err, "genre shelves");
        cli_tag_files_free(&tf);
    } else if (!auto_tags) {
        cli_die("--tags %s: book_tags.csv and tags.csv not found there", tags_dir);
    }
    free(btp);
    free(tp);
    free(dir);
    return g;
}

/* map.bin (bookrec_map_encode); a model the map cannot be laid out for gets none, with a warning. */
static void write_map(export_dir *x, bookrec_model *m) {
    bookrec_error err = {0};
    uint8_t *mb = NULL;
    size_t len = 0;
    if (bookrec_map_encode(m, &mb, &len, &err) != BOOKREC_OK) {
        if (err.code == BOOKREC_E_NOMEM) cli_die("out of memory");
        cli_warn("no book map (map.bin): %s", err.msg);
        return;
    }
    add_file(x, "map.bin", mb, len);
    bookrec_free(mb);
}

/* books.json, in the model's item order, with each book's genre shelves when `genres` is not NULL. */
static void write_books_json(export_dir *x, const bookrec_items *books, const bookrec_ids *items, int n_items,
                             const bookrec_genres *genres) {
    cJSON *arr = cJSON_CreateArray();
    int missing = 0;
    for (int i = 0; i < n_items; i++) {
        const char *id = bookrec_ids_get(items, i);
        const bookrec_item *b = bookrec_items_find(books, id);
        if (!b) missing++;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", i);
        cJSON_AddStringToObject(o, "book_id", id ? id : "");
        cJSON_AddStringToObject(o, "title", b && b->title ? b->title : "");
        cJSON_AddStringToObject(o, "authors", b && b->authors ? b->authors : "");
        cJSON_AddStringToObject(o, "image_url", b && b->image_url ? b->image_url : "");
        cJSON_AddStringToObject(o, "small_image_url", b && b->small_image_url ? b->small_image_url : "");
        if (b && b->year) cJSON_AddNumberToObject(o, "year", b->year);
        else cJSON_AddNullToObject(o, "year");
        if (b && b->avg_rating > 0) cJSON_AddNumberToObject(o, "average_rating", cli_f32(b->avg_rating));
        else cJSON_AddNullToObject(o, "average_rating");
        if (genres) {
            cJSON *g = cJSON_AddArrayToObject(o, "genres");
            for (int32_t a = genres->off[i]; a < genres->off[i + 1]; a++)
                cJSON_AddItemToArray(g, cJSON_CreateString(genres->name[genres->idx[a]]));
        }
        cJSON_AddItemToArray(arr, o);
    }
    if (missing && books)
        cli_warn("%d of the model's %d %s are not in the %s file (empty titles)", missing, n_items, cli_noun(1),
                 cli_noun(1));
    char *bj = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (!bj) cli_die("out of memory");
    add_file(x, "books.json", bj, strlen(bj));
    free(bj);
}

/* Embedding Projector files: the book embedding matrix (of --vectors' model when given) and the titles. */
static void write_projector(export_dir *x, bookrec_model *m, const char *model_path, const char *vectors_path,
                            const bookrec_items *books) {
    const bookrec_ids *items = bookrec_model_items(m);
    int n_items = bookrec_model_get_config(m)->n_items, rows = 0, cols = 0;
    bookrec_model *vm = m;
    if (vectors_path) {
        vm = cli_load_model(vectors_path);
        if (bookrec_model_get_config(vm)->n_items != n_items)
            cli_die("%s: --vectors model has %d %s, expected %d", vectors_path, bookrec_model_get_config(vm)->n_items,
                    cli_noun(1), n_items);
    }
    const float *emb = bookrec_model_tensor(vm, "item_emb", &rows, &cols);
    if (!emb && !vectors_path && bookrec_model_get_config(m)->arch == BOOKREC_ARCH_EASE) {
        cli_warn("an EASE model has no book vectors: vecs.tsv and meta.tsv are not written (--vectors MODEL takes them "
                 "from a model that has them, e.g. an mf model of the same books)");
        rows = 0;
    } else if (!emb) {
        cli_die("%s: the model has no %s embedding tensor (item_emb)", vectors_path ? vectors_path : model_path, cli_noun(0));
    }
    if (rows > n_items) rows = n_items;
    char *vecs = NULL, *meta = NULL;
    size_t vecs_len = 0, meta_len = 0;
    bookrec_error err = {0};
    cli_check(bookrec_projector_tsv(emb, rows, cols, books, items, &vecs, &vecs_len, &meta, &meta_len, &err), &err,
              "vecs.tsv");
    if (rows) {
        add_file(x, "vecs.tsv", vecs, vecs_len);
        add_file(x, "meta.tsv", meta, meta_len);
    }
    bookrec_free(vecs);
    bookrec_free(meta);
    if (vm != m) bookrec_model_free(vm);
}

/* What quantising costs a rating model, on the training run's test split: test RMSE and MAE of the F32 model
   (rmse[0], mae[0]) and of the re-loaded export (rmse[1], mae[1]). */
static void rating_quant_check(bookrec_model *m, const bookrec_ratings *r, const char *model_path, uint64_t split_seed,
                               double test_fraction, const uint8_t *ib, size_t il, const uint8_t *ub, size_t ul,
                               const char *quant, double rmse[2], double mae[2]) {
    bookrec_error err = {0};
    cli_split_settings(model_path, &split_seed, &test_fraction);
    bookrec_triples train = {0}, test = {0};
    cli_check(bookrec_split(r, test_fraction, split_seed, &train, &test, &err), &err, "split");
    bookrec_model *q = reload(ib, il, ub, ul);
    cli_eval_model(m, r, &test, &rmse[0], &mae[0]);
    cli_eval_model(q, r, &test, &rmse[1], &mae[1]);
    printf("quantisation check (%s embeddings, re-loaded export) on %zu test ratings:\n", quant, test.n);
    printf("  test RMSE f32 %.5f, %s %.5f, change %+.5f%s\n", rmse[0], quant, rmse[1], rmse[1] - rmse[0],
           fabs(rmse[1] - rmse[0]) < 0.002 ? " (< 0.002: ok)" : " (>= 0.002: TOO LARGE)");
    printf("  test MAE  f32 %.5f, %s %.5f, change %+.5f\n", mae[0], quant, mae[1], mae[1] - mae[0]);
    if (!(fabs(rmse[1] - rmse[0]) < 0.002)) cli_warn("quantising changed test RMSE by %.5f (limit 0.002)", rmse[1] - rmse[0]);
    bookrec_model_free(q);
    bookrec_triples_free(&train);
    bookrec_triples_free(&test);
}

/* manifest.json: files and sizes, the model's identity and shape, the quantisation's cost. */
static void write_manifest(export_dir *x, const bookrec_model_config *c, const char *model_path, uint64_t model_id,
                           const char *quant, const double rmse[2]) {
    cJSON *man = cJSON_CreateObject();
    cJSON_AddStringToObject(man, "bookrec_version", BOOKREC_VERSION_STRING);
    char when[64], idhex[24];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(man, "created", when);
    snprintf(idhex, sizeof idhex, "%016llx", (unsigned long long)model_id);
    cJSON *jm = cJSON_AddObjectToObject(man, "model");
    cJSON_AddStringToObject(jm, "id", idhex);
    cJSON_AddStringToObject(jm, "id_kind", "FNV-1a 64 of the source model file");
    cJSON_AddStringToObject(jm, "source", model_path);
    cli_json_model_shape(jm, c);
    cJSON *rr = cJSON_AddArrayToObject(jm, "rating_range");
    cJSON_AddItemToArray(rr, cJSON_CreateNumber(cli_f32(c->min_rating)));
    cJSON_AddItemToArray(rr, cJSON_CreateNumber(cli_f32(c->max_rating)));
    cJSON *jn = cJSON_AddObjectToObject(man, "noun"); /* what the items are: "book"/"books", "movie"/"movies", ... */
    cJSON_AddStringToObject(jn, "one", cli_noun(0));
    cJSON_AddStringToObject(jn, "many", cli_noun(1));
    cJSON_AddStringToObject(man, "embeddings", quant);
    cJSON *jq = cJSON_AddObjectToObject(man, "quantization");
    if (isnan(rmse[0])) {
        cJSON_AddNullToObject(jq, "test_rmse_f32");
        cJSON_AddNullToObject(jq, "test_rmse_exported");
        cJSON_AddNullToObject(jq, "change");
    } else {
        cJSON_AddNumberToObject(jq, "test_rmse_f32", rmse[0]);
        cJSON_AddNumberToObject(jq, "test_rmse_exported", rmse[1]);
        cJSON_AddNumberToObject(jq, "change", rmse[1] - rmse[0]);
    }
    cJSON *jf = cJSON_AddArrayToObject(man, "files");
    for (int k = 0; k < x->n; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", x->files[k].name);
        cJSON_AddNumberToObject(o, "bytes", (double)x->files[k].bytes);
        cJSON_AddItemToArray(jf, o);
    }
    char *mj = cJSON_Print(man);
    cJSON_Delete(man);
    if (!mj) cli_die("out of memory");
    add_file(x, "manifest.json", mj, strlen(mj));
    free(mj);
}

int cmd_export(int argc, char **argv) {
    cli_data_opts d = {0};
    const char *model_path = cli_default_model(), *quant = "q8";
    char *default_out = cli_join(cli_project_root(), "models");
    const char *out_dir = default_out;
    uint64_t split_seed = UINT64_MAX;
    double test_fraction = -1;
    int no_eval = 0;
    const char *vectors_path = NULL, *als_json = NULL, *tags_dir = "auto";
    cli_opt opts[] = {
        CLI_DATA_FLAGS(&d),
        {"model", 'm', CLI_STR, &model_path, "FILE", "trained model to export", "<project>/models/model.bkr"},
        {"out", 'o', CLI_STR, &out_dir, "DIR", "directory for the exported files", "<project>/models"},
        {"quantize", 0, CLI_STR, &quant, "q8|f16|f32",
         "storage of the embedding tables in the browser's files (q8: int8 rows with a scale each)", "q8"},
        {"split-seed", 0, CLI_U64, &split_seed, "N", "split for the quantisation check",
         "from the model's history JSON, else " CLI_NUM(BOOKREC_SPLIT_SEED)},
        {"test-fraction", 0, CLI_DOUBLE, &test_fraction, "F", "split for the quantisation check",
         "from the model's history JSON, else " CLI_NUM(BOOKREC_TEST_FRACTION)},
        {"no-eval", 0, CLI_FLAG, &no_eval, NULL, "skip the quantisation check (no ratings needed)", NULL},
        {"vectors", 0, CLI_STR, &vectors_path, "FILE",
         "model whose book vectors go into vecs.tsv (for an EASE model, which has none)", "the exported model"},
        {"als-json", 0, CLI_STR, &als_json, "DIR",
         "ials models: also write the factors as Spark's ALS does (DIR/itemFactors, DIR/userFactors; JSON lines)", NULL},
        {"tags", 0, CLI_STR, &tags_dir, "DIR|auto|none",
         "where book_tags.csv and tags.csv are, for the books' genre shelves in books.json", "auto: beside the books file"},
    };
    cli_parse("export", "bookrec export [--model FILE] [--out DIR] [--quantize f16|q8]", opts,
              (int)(sizeof opts / sizeof opts[0]), argc, argv);
    cli_set_noun(&d);
    bookrec_dtype dtype;
    if (!strcmp(quant, "f16")) dtype = BOOKREC_F16;
    else if (!strcmp(quant, "q8")) dtype = BOOKREC_Q8;
    else if (!strcmp(quant, "f32")) dtype = BOOKREC_F32;
    else cli_usage_die("export", "export: --quantize expects f16, q8 or f32, got '%s'", quant);

    /* the model, and its identity */
    size_t src_len = 0;
    char *src = cli_read_file(model_path, &src_len);
    if (!src)
        cli_die("%s: cannot read the model (train one with `bookrec train`, or pass --model FILE)", model_path);
    uint64_t model_id = bookrec_fnv1a64(src, src_len);
    free(src);
    bookrec_model *m = cli_load_model(model_path);
    const bookrec_model_config *c = bookrec_model_get_config(m);
    const bookrec_ids *items = bookrec_model_items(m);
    if (!items) cli_die("%s: the model carries no %s id table; cannot export", model_path, cli_noun(0));
    if (als_json) write_als_json(m, als_json);

    /* read every input before writing anything: a bad ratings or books row leaves no half-written export */
    bookrec_items *books = cli_load_books(&d);
    bookrec_ratings *r = NULL;
    if (!no_eval && bookrec_model_has_users(m) && !d.ratings && !cli_data_dir_try(&d)) {
        cli_warn("no ratings found (--data DIR or --ratings FILE): the quantisation check is skipped");
        no_eval = 1;
    }
    if (!no_eval && bookrec_model_has_users(m)) r = cli_load_ratings(&d, NULL, NULL);
    bookrec_genres *genres = read_genres(&d, tags_dir, books, items);
    if (cli_mkdirs(out_dir) != 0) cli_die("%s: cannot create the directory", out_dir);

    /* model parts */
    bookrec_error err = {0};
    export_dir x = {out_dir, {{0}}, 0};
    uint8_t *items_bin = NULL, *users_bin = NULL;
    size_t items_len = 0, users_len = 0;
    bookrec_save_options so = {BOOKREC_PART_ITEMS, dtype};
    cli_check(bookrec_model_save(m, &so, &items_bin, &items_len, &err), &err, "save items part");
    add_file(&x, "model-items.bkr", items_bin, items_len);
    if (bookrec_model_has_users(m)) {
        bookrec_save_options su = {BOOKREC_PART_USERS, dtype};
        cli_check(bookrec_model_save(m, &su, &users_bin, &users_len, &err), &err, "save users part");
        add_file(&x, "model-users.bkr", users_bin, users_len);
    } else {
        cli_warn("%s has no user part; model-users.bkr not written", model_path);
    }
    write_books_json(&x, books, items, c->n_items, genres);
    if (genres)
        printf("genre shelves: %d names, %d of %d %s have at least one\n", genres->n_names, genres->books_with,
               c->n_items, cli_noun(1));
    bookrec_genres_free(genres);
    write_map(&x, m);
    write_projector(&x, m, model_path, vectors_path, books);

    double rmse[2] = {NAN, NAN}, mae[2] = {NAN, NAN};
    if (users_bin && !no_eval && br_topn_arch(c)) /* ranking models: what quantising does to the lists */
        topn_quant_check(m, items_bin, items_len, users_bin, users_len, quant);
    else if (r) /* rating models: what it does to the predictions */
        rating_quant_check(m, r, model_path, split_seed, test_fraction, items_bin, items_len, users_bin, users_len,
                           quant, rmse, mae);
    bookrec_ratings_free(r);
    write_manifest(&x, c, model_path, model_id, quant, rmse);

    printf("exported %s (%s, %d %s, %d users) to %s:\n", model_path, bookrec_arch_name(c->arch), c->n_items,
           cli_noun(1), c->n_users, out_dir);
    for (int k = 0; k < x.n; k++) {
        char b[32];
        printf("  %-16s %10lld bytes  (%s)\n", x.files[k].name, x.files[k].bytes, cli_bytes(x.files[k].bytes, b));
        free(x.files[k].path);
    }
    bookrec_free(items_bin);
    bookrec_free(users_bin);
    bookrec_items_free(books);
    bookrec_model_free(m);
    free(default_out);
    return 0;
}
