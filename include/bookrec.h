/*
 * bookrec.h - the public API of the bookrec core.
 *
 * The core is plain C11 and is compiled twice: natively (CLI, tests, benchmarks)
 * and with Emscripten (the browser module). It parses ratings and items from
 * memory buffers, trains and evaluates the models, serialises them to and from
 * memory buffers, scores and ranks books, and folds new readers in. It does no
 * file I/O, starts no threads and never exits: callers read files, hand in a
 * parallel-for callback if they want threads, and own every output buffer.
 *
 * Conventions: every fallible function returns a bookrec_status (BOOKREC_OK is
 * 0) and, when `err` is not NULL, fills it with a readable message that says
 * what and where. bookrec_x_free(NULL) is a no-op. Users and items are dense
 * indices 0..n-1 inside the core; external ids (strings as they appear in the
 * CSV) are kept in id tables that travel with the dataset and the model.
 */
#ifndef BOOKREC_H
#define BOOKREC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BOOKREC_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- errors */

typedef enum bookrec_status {
    BOOKREC_OK = 0,
    BOOKREC_E_NOMEM = 1,  /* an allocation failed */
    BOOKREC_E_ARG = 2,    /* a bad argument: NULL, out of range, NaN, unknown id */
    BOOKREC_E_PARSE = 3,  /* malformed CSV input */
    BOOKREC_E_FORMAT = 4, /* malformed, truncated, corrupt or wrong-version model file */
    BOOKREC_E_STATE = 5,  /* the object is not in a state that allows the call */
    BOOKREC_E_EMPTY = 6   /* no usable data (empty file, no rows left) */
} bookrec_status;

/* A detailed error: the code and a message naming what and where. */
typedef struct bookrec_error {
    int code;
    char msg[512];
} bookrec_error;

/* Returns a static, generic description of a status code. */
const char *bookrec_strerror(int code);

/* ---------------------------------------------------------------- kernels */

/* Forces the scalar kernels (1) or allows SIMD (0); returns the previous value. */
int bookrec_force_scalar(int on);

/* Names the kernel path in use: "avx2", "sse", "wasm-simd128" or "scalar". */
const char *bookrec_kernel_name(void);

/* ------------------------------------------------------------- id tables */

/* An ordered table of external ids (strings); index = dense id. */
typedef struct bookrec_ids bookrec_ids;

/* Creates an empty id table (free it with bookrec_ids_free); NULL when out of memory. */
bookrec_ids *bookrec_ids_create(void);

/* Frees an id table (NULL is a no-op). */
void bookrec_ids_free(bookrec_ids *ids);

/* *out (new, n = bookrec_ids_count(from) entries; free it with bookrec_free) gets each id of `from`'s index in `to`
   (-1 when absent), or with `to` NULL index i when i < n_to (a table without ids shares dense indices);
   *identity (may be NULL) is 1 when every id keeps its index. */
int bookrec_ids_map(const bookrec_ids *from, const bookrec_ids *to, int n_to, int32_t **out, int *identity,
                    bookrec_error *err);

/* Returns the dense index of id (len bytes, or strlen when len < 0), adding it at the end if new; -1 when out of
   memory or for an empty id. The table copies the bytes. */
int bookrec_ids_add(bookrec_ids *ids, const char *id, int len);

/* Returns the number of ids in the table (0 for NULL). */
int bookrec_ids_count(const bookrec_ids *ids);

/* Returns the external id of dense index i (NUL-terminated, owned by the table), or NULL when out of range. */
const char *bookrec_ids_get(const bookrec_ids *ids, int i);

/* Returns the dense index of external id `id` (len bytes, or strlen when len < 0), or -1 when unknown. */
int bookrec_ids_find(const bookrec_ids *ids, const char *id, int len);

/* ---------------------------------------------------------------- ratings */

/* Options for reading a ratings CSV; zero-initialised means goodbooks defaults. */
typedef struct bookrec_csv_options {
    const char *user_col;   /* header name of the user column; NULL means "user_id" */
    const char *item_col;   /* header name of the item column; NULL means "book_id" */
    const char *rating_col; /* header name of the rating column; NULL means "rating" */
    const char *source;     /* name used in error messages (e.g. the path); NULL means "<buffer>" */
    int skip_bad;           /* 1: skip and count malformed rows instead of failing */
    float min_rating;       /* accepted range; both 0 means 1..5 when the column is integral */
    float max_rating;       /*   1..5 goodbooks, else the range found in the data (half stars allowed) */
    int max_id_len;         /* longest accepted id in bytes; 0 means 64 */
    const char *noun;       /* what an item is, in messages ("movie id ..."); NULL means "book" for the book_id
                               column, else "item" */
    int infer_range;        /* 1 (with no range given): whole-number ratings outside 1..5 set the scale to the range
                               found instead of failing (scale_from_data tells) */
    const char *range_hint; /* how the caller sets min_rating/max_rating, named when whole-number ratings fall outside
                               1..5 (e.g. "--min-rating/--max-rating"); NULL means "min_rating and max_rating" */
    /* if not NULL: tells the caller that the parser will not read buf[0..upto) again, every megabyte or so while it
       reads, then with upto = len as soon as it has read everything (before it de-duplicates and builds the dataset),
       so a caller may drop what was read (the pages of a mapped file) and free buf early: the file and the dataset
       are never in memory whole at once. Not called again after a failure. */
    void (*done_reading)(void *ctx, size_t upto);
    void *done_reading_ctx;
} bookrec_csv_options;

/* One user's or the whole dataset's ratings, as parallel arrays of length n. */
typedef struct bookrec_triples {
    int32_t *user;  /* dense user index */
    int32_t *item;  /* dense item index */
    float *rating;
    size_t n;
} bookrec_triples;

/* A parsed, de-duplicated ratings dataset with its id tables. */
typedef struct bookrec_ratings {
    bookrec_triples all;   /* every kept rating, in file order of the kept (last) occurrence */
    bookrec_ids *users;    /* external user ids */
    bookrec_ids *items;    /* external item ids */
    size_t rows_read;      /* data rows in the file */
    size_t rows_skipped;   /* malformed rows skipped (skip_bad only) */
    size_t duplicates;     /* (user, item) pairs seen more than once, merged keeping the last */
    size_t conflicting;    /* of those, pairs whose ratings differed */
    float min_rating, max_rating; /* the rating scale in force */
    int integral;          /* 1 when every rating is a whole number */
    int scale_from_data;   /* 1 when no range was given and the scale is the range found in the data (ratings that
                              are not all whole numbers in 1..5) */
} bookrec_ratings;

/* Parses a ratings CSV held in buf[0..len); on success *out is a new dataset the caller frees with bookrec_ratings_free. */
int bookrec_ratings_parse(const char *buf, size_t len, const bookrec_csv_options *opt,
                          bookrec_ratings **out, bookrec_error *err);

/* Frees a dataset. */
void bookrec_ratings_free(bookrec_ratings *r);

/* Splits r->all into train and test parts with a seeded shuffle; the caller frees both with bookrec_triples_free. */
int bookrec_split(const bookrec_ratings *r, double test_fraction, uint64_t seed,
                  bookrec_triples *train, bookrec_triples *test, bookrec_error *err);

/* bookrec_split that takes r->all's arrays for the train part instead of copying them (r->all is left empty):
   the same train and test triples, without a second copy of the dataset in memory. */
int bookrec_split_take(bookrec_ratings *r, double test_fraction, uint64_t seed,
                       bookrec_triples *train, bookrec_triples *test, bookrec_error *err);

/* The parts of an experiment's split: r's train/test split (bookrec_split) and, when a validation share is asked
   for, the training part cut into fit and valid (bookrec_triples_split, seeded from the split's seed): what
   `bookrec train` trains on and `bookrec tune` searches on. */
typedef struct bookrec_split_parts {
    bookrec_triples train, test; /* train is empty after a lean split with validation */
    bookrec_triples fit, valid;  /* empty without validation */
} bookrec_split_parts;

/* Fills p from r with a test_fraction split by seed and, when valid_fraction > 0, its validation carve; lean takes
   r->all's arrays (bookrec_split_take, r->all left empty) and drops p->train once it is cut into fit and valid.
   The caller frees p with bookrec_split_parts_free. */
int bookrec_split_parts_make(bookrec_ratings *r, double test_fraction, uint64_t seed, double valid_fraction, int lean,
                             bookrec_split_parts *p, bookrec_error *err);

/* Frees the four parts of p and zeroes them. */
void bookrec_split_parts_free(bookrec_split_parts *p);

/* Allocates the three arrays of t for n triples (t->n = n); returns BOOKREC_E_NOMEM on failure. */
int bookrec_triples_alloc(bookrec_triples *t, size_t n);

/* out (allocated here; free with bookrec_triples_free) gets the triples of t whose user and item both map to >= 0
   through user_map / item_map (bookrec_ids_map), renumbered; *dropped (may be NULL) counts the others. */
int bookrec_triples_map(const bookrec_triples *t, const int32_t *user_map, const int32_t *item_map,
                        bookrec_triples *out, size_t *dropped, bookrec_error *err);

/* Frees the arrays of t (not t itself) and zeroes it. */
void bookrec_triples_free(bookrec_triples *t);

/* Ratings packed for training: one record of `width` bytes per rating holding the user index, the item index and
   the rating, as a code into values[] when the ratings take at most 256 distinct values (a half-star or
   whole-star scale), else as the float's own bits. Field widths follow the counts: 534,190 users, 10,000 books
   and a 1..5 scale take 5 bytes per rating instead of the 12 of bookrec_triples. */
typedef struct bookrec_packed {
    unsigned char *rec;    /* n records of width bytes, little-endian, followed by 8 bytes of padding */
    size_t n;
    int width;             /* bytes per record, 1..8 */
    int ubits, ibits, cbits; /* user, item and rating field widths; cbits 32 means raw float bits */
    int n_values;          /* entries of values[] in use (cbits < 32) */
    float values[256];     /* rating code -> rating */
} bookrec_packed;

/* Packs t into p for indices below n_users and n_items, taking t's arrays as it goes (t is left empty), or fails
   with BOOKREC_E_ARG and t untouched when an index is out of range, a rating not finite or the fields need more
   than 64 bits. */
int bookrec_packed_from_triples(bookrec_triples *t, int n_users, int n_items, bookrec_packed *p, bookrec_error *err);

/* Unpacks p into t (new arrays; p is freed): the inverse of bookrec_packed_from_triples. */
int bookrec_packed_to_triples(bookrec_packed *p, bookrec_triples *t, bookrec_error *err);

/* Reads record k of p into *user, *item and *rating. */
void bookrec_packed_get(const bookrec_packed *p, size_t k, int32_t *user, int32_t *item, float *rating);

/* Frees p's records and zeroes it. */
void bookrec_packed_free(bookrec_packed *p);

/* What a ratings cache was made from: the CSV's size, modification time and a hash of its header and a sample of
   its rows (bookrec_hash64 over what the caller read), and bookrec_ratings_options_hash of the parse options. */
typedef struct bookrec_cache_key {
    uint64_t size;
    int64_t mtime_ns;
    uint64_t sample_hash;
    uint64_t options_hash;
} bookrec_cache_key;

/* A 64-bit hash of p[0..n) continuing from seed (0 to start): the cache's sample hash and checksum. */
uint64_t bookrec_hash64(const void *p, size_t n, uint64_t seed);

/* A hash of the options that change what bookrec_ratings_parse makes (columns, range, skip_bad, id length). */
uint64_t bookrec_ratings_options_hash(const bookrec_csv_options *opt);

/* Serialises r (its id tables, counts and ratings, then a checksum) for key, handing the bytes to write(ctx, p, n)
   a megabyte or so at a time (a non-zero return stops it with BOOKREC_E_STATE): no second copy in memory. */
int bookrec_ratings_cache_write(const bookrec_ratings *r, const bookrec_cache_key *key,
                                int (*write)(void *ctx, const void *p, size_t n), void *ctx, bookrec_error *err);

/* Rebuilds a dataset from cache bytes written for key, or fails with BOOKREC_E_STATE when the cache is for another
   file or options (stale) and BOOKREC_E_FORMAT when it is truncated or damaged, the reason in err (opt may be
   NULL; its done_reading, if set, hears of the bytes read, as with bookrec_ratings_parse). */
int bookrec_ratings_cache_read(const void *buf, size_t len, const bookrec_cache_key *key,
                               const bookrec_csv_options *opt, bookrec_ratings **out, bookrec_error *err);

/* ------------------------------------------------------------------ items */

/* Options for reading an items CSV (books.csv); zero-initialised means goodbooks columns. */
typedef struct bookrec_items_options {
    const char *id_col;       /* NULL means "book_id" */
    const char *title_col;    /* NULL means "title" */
    const char *author_col;   /* NULL means "authors" */
    const char *image_col;    /* NULL means "image_url"; missing column allowed */
    const char *small_image_col; /* NULL means "small_image_url"; missing column allowed */
    const char *year_col;     /* NULL means "original_publication_year"; missing column allowed */
    const char *avg_col;      /* NULL means "average_rating"; missing column allowed */
    const char *extra_col;    /* NULL means "goodreads_book_id"; missing column allowed (joins book_tags.csv) */
    const char *source;       /* name used in error messages */
    int skip_bad;
    const char *noun;         /* what an item is, in messages; NULL means "book" for the book_id column, else "item" */
    /* the columns a Goodreads library is matched by (bookrec_gr_matcher_create); missing columns allowed */
    const char *best_col;     /* NULL means "best_book_id" */
    const char *isbn_col;     /* NULL means "isbn" (ISBN-10, leading zeros may be lost) */
    const char *isbn13_col;   /* NULL means "isbn13" (may be a float such as 9.78043902348e+12) */
    const char *original_title_col; /* NULL means "original_title" */
} bookrec_items_options;

/* One item's display fields; strings are NUL-terminated UTF-8 owned by the table ("" when absent). */
typedef struct bookrec_item {
    const char *id, *title, *authors, *image_url, *small_image_url, *extra;
    const char *best_id, *isbn, *isbn13, *original_title; /* as in the file, "" when absent */
    int year;            /* 0 when unknown */
    float avg_rating;    /* 0 when unknown */
} bookrec_item;

/* A parsed items table. */
typedef struct bookrec_items {
    bookrec_item *item;
    int n;
    bookrec_ids *ids;   /* external ids in table order, for lookups */
    size_t rows_skipped;
} bookrec_items;

/* Parses an items CSV (RFC 4180 quoting, UTF-8, optional BOM, LF or CRLF); the caller frees *out with bookrec_items_free. */
int bookrec_items_parse(const char *buf, size_t len, const bookrec_items_options *opt,
                        bookrec_items **out, bookrec_error *err);

/* Frees an items table. */
void bookrec_items_free(bookrec_items *it);

/* The row of external id `id` in the table, or NULL (also for a NULL table or id); owned by the table. */
const bookrec_item *bookrec_items_find(const bookrec_items *it, const char *id);

/* ------------------------------------------------------------- Goodreads library (src/goodreads.c) */
/* A Goodreads library export (My Books, Import and export) read by header name and matched to a books table in
   the same order and by the same rules as the site (web/goodreads.js): Goodreads book id, then ISBN, then the
   normalised title and first author's surname. */

/* One row of an export; strings are NUL-terminated UTF-8 owned by the export ("" when absent). */
typedef struct bookrec_gr_row {
    long line;                 /* the line of the file on which the row starts */
    const char *book_id;       /* the Book Id's digits */
    const char *title, *author, *author_lf;
    const char *shelf;         /* Exclusive Shelf in lower case (read, currently-reading, to-read, ...); "read"
                                  when empty, "to-read" when empty and Bookshelves names to-read */
    char isbn13[2][14];        /* ISBN13 and ISBN as ISBN-13s ("" when absent), ISBN's only when it differs */
    int rating;                /* My Rating 1..5, 0 for not rated */
} bookrec_gr_row;

/* A parsed export. */
typedef struct bookrec_goodreads {
    bookrec_gr_row *row;
    int n;
    int skipped;               /* rows with neither a title nor a book id, left out */
} bookrec_goodreads;

/* Parses an export (RFC 4180, optional BOM, LF or CRLF) from buf[0..len), which need not outlive it; source names
   it in "SOURCE:LINE: ..." errors (a row with a bad My Rating, no Title or Book Id column); the caller frees *out
   with bookrec_goodreads_free. */
int bookrec_goodreads_parse(const char *buf, size_t len, const char *source, bookrec_goodreads **out,
                            bookrec_error *err);

/* Frees an export (NULL is a no-op). */
void bookrec_goodreads_free(bookrec_goodreads *g);

/* How a row was matched. */
typedef enum bookrec_gr_how { BOOKREC_GR_NONE = 0, BOOKREC_GR_ID = 1, BOOKREC_GR_ISBN = 2, BOOKREC_GR_TITLE = 3 } bookrec_gr_how;

/* A matcher over a books table (opaque). */
typedef struct bookrec_gr_matcher bookrec_gr_matcher;

/* Builds a matcher from items' extra (goodreads_book_id), best_id, isbn, isbn13, title, original_title and authors
   (each may be ""); it copies what it needs, so items may be freed first; free *out with bookrec_gr_matcher_free. */
int bookrec_gr_matcher_create(const bookrec_items *items, bookrec_gr_matcher **out, bookrec_error *err);

/* Matches one row: returns the index of its book in the items table, or -1 when none (or on no memory), and
   sets *how (may be NULL). */
int bookrec_gr_match(const bookrec_gr_matcher *m, const bookrec_gr_row *row, bookrec_gr_how *how);

/* Frees a matcher (NULL is a no-op). */
void bookrec_gr_matcher_free(bookrec_gr_matcher *m);

/* A new reader made of an export matched to a books table, in a model's terms. */
typedef struct bookrec_gr_reader {
    int32_t *at;             /* [rows]: each row's index in the books table, -1 when unmatched */
    unsigned char *how;      /* [rows]: how each row was matched (bookrec_gr_how) */
    int matched, by[4];      /* rows matched, and by how (indexed by bookrec_gr_how) */
    int32_t *rated;          /* the model's rated books (My Rating >= 1), each once, in the export's order */
    float *ratings;          /* their ratings (a book listed twice keeps its last), parallel to rated */
    int n_rated;
    int32_t *seen;           /* every matched book of the model, once: what its recommendations leave out */
    int n_seen;
    int n_want;              /* of those, books on the to-read shelf without a rating */
    int not_in_model;        /* matched rows whose book the model does not know */
} bookrec_gr_reader;

/* Matches every row of gr to books (as bookrec_gr_match) and maps the matches to model_items (the model's item
   ids); *out is new (free it with bookrec_gr_reader_free). */
int bookrec_gr_reader_create(const bookrec_goodreads *gr, const bookrec_items *books, const bookrec_ids *model_items,
                             bookrec_gr_reader **out, bookrec_error *err);

/* Frees a reader (NULL is a no-op). */
void bookrec_gr_reader_free(bookrec_gr_reader *r);

/* ------------------------------------------------------------- CSV tokenizer (src/csv.c) */
/* The RFC 4180 tokenizer the ratings and items parsers use, for front-ends reading other CSV files (the CLI's
   book_tags.csv and tags.csv): ',' between fields, LF, CRLF or CR between records, "quoted" fields with "" for a
   quote and embedded line breaks, a UTF-8 BOM skipped, blank lines skipped. */

/* A tokenizer over a caller-owned buffer (opaque). */
typedef struct bookrec_csv bookrec_csv;

/* Starts tokenizing buf[0..len), which must outlive the tokenizer (it is not copied); source names it in messages
   ("<buffer>" when NULL); *out is a new tokenizer the caller frees with bookrec_csv_free. */
int bookrec_csv_create(const char *buf, size_t len, const char *source, bookrec_csv **out, bookrec_error *err);

/* Frees a tokenizer and its scratch memory, not the buffer it reads. */
void bookrec_csv_free(bookrec_csv *c);

/* Reads the next non-blank record: returns 1 for a record, 0 at the end, -1 on a malformed record or no memory
   (err filled with "SOURCE:LINE: ..."; the tokenizer has moved past the record). */
int bookrec_csv_next(bookrec_csv *c, bookrec_error *err);

/* Number of fields of the current record. */
int bookrec_csv_count(const bookrec_csv *c);

/* Field f of the current record: *len bytes (quotes removed, not NUL-terminated, owned by the tokenizer and valid
   until the next bookrec_csv_next), or NULL and *len 0 when f is out of range. */
const char *bookrec_csv_field(const bookrec_csv *c, int f, size_t *len);

/* The 1-based line on which the current record starts. */
long bookrec_csv_line(const bookrec_csv *c);

/* Index of the column named `name` in the current record (the header), ignoring ASCII case and surrounding
   spaces, or -1. */
int bookrec_csv_column(const bookrec_csv *c, const char *name);

/* Reads field f (spaces trimmed) as a whole number in lo..hi into *out; else returns BOOKREC_E_PARSE with err
   "SOURCE:LINE: missing WHAT" or "SOURCE:LINE: WHAT must be an integer in LO..HI, got \"...\"". */
int bookrec_csv_integer(const bookrec_csv *c, int f, const char *what, long lo, long hi, long *out,
                        bookrec_error *err);

/* ------------------------------------------------------------------ model */

typedef enum bookrec_arch {
    BOOKREC_ARCH_SEED = 0, /* the tutorial: [book;user] -> Dense(h, ReLU) -> Dense(1, ReLU) */
    BOOKREC_ARCH_MF = 1,   /* mu + b_u + b_i + <p_u, q_i> */
    BOOKREC_ARCH_NCF = 2,  /* mu + b_u + b_i + <p_u, q_i> + w2 . ReLU(W1 [q_i; p_u] + b1) + c, linear output */
    BOOKREC_ARCH_EASE = 3, /* top-N, item-item (EASE): score_j = prior_j + sum_i w(r_i) B[i,j], each row of B
                              kept sparse (its dim = K largest entries); see "top-N models" below */
    BOOKREC_ARCH_IALS = 4  /* top-N, implicit ALS factors: score_j = <x_u, y_j>; a reader is folded in by one
                              dim x dim solve */
} bookrec_arch;

/* What a model is made of; bookrec_model_config_default fills the tutorial's values. */
typedef struct bookrec_model_config {
    bookrec_arch arch;
    int n_users, n_items;
    int dim;             /* embedding size (15) */
    int hidden;          /* dense width for seed/ncf (128); ignored by mf */
    int implicit;        /* 1: user vector += |N(u)|^-1/2 sum of implicit item factors y_j (SVD++) */
    float init_scale;    /* embeddings uniform in +-init_scale (0.05, Keras) */
    float global_mean;   /* mu for mf/ncf; set from the training data by the trainer */
    float min_rating, max_rating; /* predictions of mf/ncf are clamped to this range */
    uint64_t seed;       /* initialisation seed */
    int64_t n_entries;   /* EASE: the (user, item, rating) entries of the users part (the dataset readers' training
                            ratings, so they are ranked exactly as new readers are); 0 for the other archs */
    int n_tags;          /* >0 (mf/ncf): book features. While training, book i's vector is q_i + sum_t w_it g_t and
                            its bias b_i + sum_t w_it c_t, with tag rows g [n_tags, dim], c [n_tags] learned and the
                            weights w set by bookrec_model_set_tags; when training ends the sums are folded into
                            item_emb / item_bias, so prediction, the model file and the browser need nothing new
                            (a saved and reloaded model has n_tags 0). 0: no tags */
} bookrec_model_config;

/* Fills cfg with the tutorial's seed model: dim 15, hidden 128, init 0.05, ratings 1..5, seed 1. */
void bookrec_model_config_default(bookrec_model_config *cfg);

/* A model: one contiguous parameter block with named views, plus id tables and caches. */
typedef struct bookrec_model bookrec_model;

/* Creates an initialised model (Keras-style initialisation from cfg->seed); free with bookrec_model_free. */
int bookrec_model_create(const bookrec_model_config *cfg, bookrec_model **out, bookrec_error *err);

/* Frees a model and everything it owns. */
void bookrec_model_free(bookrec_model *m);

/* Returns the model's configuration (owned by the model). */
const bookrec_model_config *bookrec_model_get_config(const bookrec_model *m);

/* Gives the model copies of the id tables (either may be NULL to keep the current one). */
int bookrec_model_set_ids(bookrec_model *m, const bookrec_ids *users, const bookrec_ids *items, bookrec_error *err);

/* Returns the model's user id table (may be NULL when none was set or users were not loaded). */
const bookrec_ids *bookrec_model_users(const bookrec_model *m);

/* Returns the model's item id table (may be NULL when none was set). */
const bookrec_ids *bookrec_model_items(const bookrec_model *m);

/* Returns 1 when the model holds the per-user parameters (the users part may be loaded separately). */
int bookrec_model_has_users(const bookrec_model *m);

/* Number of floats in the parameter block; *params (if not NULL) receives a pointer to it (owned by the model). */
size_t bookrec_model_params(bookrec_model *m, float **params);

/* Sets the implicit-feedback sets N(u) used by implicit models: for each user, the items it rated or wants to read.
   `sets` is CSR: items[offsets[u] .. offsets[u+1]) for u in 0..n_users-1; the model copies them. When no sets
   were given, bookrec_train uses the items each user rated in its training data. Outside bookrec_train an
   implicit model's user vectors already include |N(u)|^-1/2 sum y_j (so user_state, predict and saved models need
   no sets); fold_in adds the implicit sum of the reader's rated items. Only mf/ncf can be implicit. */
int bookrec_model_set_implicit(bookrec_model *m, const int32_t *offsets, const int32_t *items, bookrec_error *err);

/* Sets each book's tags for a model created with n_tags > 0: CSR over items, tags[offsets[i] .. offsets[i+1])
   (tag indices 0..n_tags-1) with weights[] (finite, >= 0) for i in 0..n_items-1; copied. */
int bookrec_model_set_tags(bookrec_model *m, const int32_t *offsets, const int32_t *tags, const float *weights,
                           bookrec_error *err);

/* --- user state: what a reader is to the model (vector, bias, implicit sum) --- */

/* Number of floats in a user state for this model: [user vector (dim) | user bias (1 for mf/ncf, none for seed)]. */
int bookrec_model_user_state_size(const bookrec_model *m);

/* Writes dataset user u's state into out[0 .. user_state_size). */
int bookrec_model_user_state(const bookrec_model *m, int user, float *out, bookrec_error *err);

/* --- prediction and ranking --- */

/* Predicted rating of dense user u for dense item i; returns NaN on bad arguments. */
float bookrec_model_predict(const bookrec_model *m, int user, int item);

/* Predicts n (user, item) pairs into out[0..n); returns BOOKREC_E_ARG if any index is out of range. */
int bookrec_model_predict_many(const bookrec_model *m, const int32_t *users, const int32_t *items, size_t n,
                               float *out, bookrec_error *err);

/* Precomputes the book-side caches used by score_all and similar (called lazily by them; idempotent). */
int bookrec_model_prepare(bookrec_model *m, bookrec_error *err);

/* Scores every item for a user state into scores[0 .. n_items); the state comes from user_state or fold_in.
   These are ranking scores: mf/ncf values are not clamped to the rating range (clamp them for display). */
int bookrec_model_score_all(bookrec_model *m, const float *state, float *scores, bookrec_error *err);

/* Writes the k best indices by score (descending, ties by lower index) into out_idx[0..k) and their scores into
   out_score (may be NULL), skipping indices listed in exclude[0..n_exclude) (entries outside 0..n-1 are
   ignored) and scores that are NaN; returns the number written (min(k, eligible)), or -1 on bad arguments. */
int bookrec_topk(const float *scores, int n, const int32_t *exclude, int n_exclude, int k,
                 int32_t *out_idx, float *out_score);

/* Top-k items for dataset user u, leaving out the given items; returns the count written or -1 (err filled).
   Ranked by score_all's scores; out_score holds the predicted ratings (clamped to the scale for mf/ncf). */
int bookrec_model_recommend(bookrec_model *m, int user, const int32_t *exclude, int n_exclude, int k,
                            int32_t *out_idx, float *out_score, bookrec_error *err);

/* Top-k items by cosine similarity of item embeddings to item i (i itself excluded); returns the count or -1. */
int bookrec_model_similar(bookrec_model *m, int item, const int32_t *exclude, int n_exclude, int k,
                          int32_t *out_idx, float *out_score, bookrec_error *err);

/* Options for folding a new reader in. */
typedef struct bookrec_foldin_options {
    int iters;      /* optimiser steps for nonlinear models; 0 means 200 */
    float lr;       /* 0 means 0.05 */
    float l2;       /* 0 means 0.05: pull toward the zero / mean user */
} bookrec_foldin_options;

/* Fits a new reader's state from n (item, rating) pairs with the item side frozen; writes it to state_out. */
int bookrec_model_fold_in(bookrec_model *m, const int32_t *items, const float *ratings, int n,
                          const bookrec_foldin_options *opt, float *state_out, bookrec_error *err);

/* ----------------------------------------------------------- model files */

/* Storage of float tensors in a model file. */
typedef enum bookrec_dtype {
    BOOKREC_F32 = 0,
    BOOKREC_F16 = 1,
    BOOKREC_Q8 = 2   /* int8 per row with one f32 scale per row (2-D tensors) */
} bookrec_dtype;

/* What to write: which parts, and how embedding tables are stored. */
typedef struct bookrec_save_options {
    int parts;                /* bit 1: item side + network, bit 2: users; 0 means both */
    bookrec_dtype embeddings; /* storage of the embedding tables (default F32); dense layers are always F32 */
} bookrec_save_options;

#define BOOKREC_PART_ITEMS 1
#define BOOKREC_PART_USERS 2

/* Serialises the model into a new buffer *out of *out_len bytes, freed by the caller with bookrec_free. */
int bookrec_model_save(const bookrec_model *m, const bookrec_save_options *opt,
                       uint8_t **out, size_t *out_len, bookrec_error *err);

/* bookrec_model_save's bytes handed to write(ctx, p, n) a megabyte or so at a time instead of returned in one buffer
   (a non-zero return stops it with BOOKREC_E_STATE); *out_len (may be NULL) gets the file's length. */
int bookrec_model_save_to(const bookrec_model *m, const bookrec_save_options *opt,
                          int (*write)(void *ctx, const void *p, size_t n), void *ctx, size_t *out_len,
                          bookrec_error *err);

/* Loads a model from buf[0..len); every size is checked against len. */
int bookrec_model_load(const uint8_t *buf, size_t len, bookrec_model **out, bookrec_error *err);

/* Adds the users part from a second file written with parts = BOOKREC_PART_USERS for the same model. */
int bookrec_model_load_users(bookrec_model *m, const uint8_t *buf, size_t len, bookrec_error *err);

/* Frees memory returned by the core (model_save buffers). */
void bookrec_free(void *p);

/* ------------------------------------------------------------- top-N models (src/ease.c, src/topn.c) */
/* The rating models above predict a rating; these rank books for a reader. EASE (Steck 2019) fits
   B = argmin |X - XB|^2 + lambda |B|^2 with diag(B) = 0 in closed form: P = (X^T X + lambda I)^-1,
   B[i,j] = -P[i,j] / P[j,j]. X holds, for each (reader, book) rating, a weight from the rating. A reader is
   scored as score_j = prior * pop_j + sum_i w(r_i) B[i,j] over the books i they rated, where w(r) is the
   model's rating weight (low ratings negative, so they push similar books down) and pop_j in 0..1 the
   book's log popularity, a tie-break that also ranks books for a reader with no ratings yet. The model
   keeps the dim largest entries of each row of B. A top-N reader state is [w(r_i) for every book i]
   (n_items floats, 0 for unrated books); bookrec_model_user_state_size says so. */

/* Rating weights are given at 5 knots over the rating scale: min, 1/4, 1/2, 3/4 and max, linear between. */
#define BOOKREC_WEIGHT_KNOTS 5

/* The shipped sizes of the top-N models: EASE keeps 24 entries per row of B (its NDCG-vs-K curve is flat past 16-24,
   docs/topn.md), iALS 64 factors. */
#define BOOKREC_EASE_K 24
#define BOOKREC_IALS_DIM 64

/* Options of an EASE fit; zero-initialised means the defaults chosen on validation readers (docs/models.md). */
typedef struct bookrec_ease_options {
    float lambda;          /* L2 on B; 0 means 300 */
    float fit_weight[BOOKREC_WEIGHT_KNOTS];   /* weight of a rating in X; all 0 means 1 for every rating */
    float score_weight[BOOKREC_WEIGHT_KNOTS]; /* w(r) when scoring a reader; all 0 means -0.5 -0.2 0.2 0.7 1 */
    float prior;           /* weight of the popularity tie-break; 0 means 0.001, < 0 means none */
    int builtin_solver;    /* 1: the built-in Gauss-Jordan inverse even where LAPACK is linked (small catalogues,
                              tests); 0: LAPACK's Cholesky (spotrf + spotri) when the build has it */
} bookrec_ease_options;

/* Computes the dense EASE matrix of ratings t into B[0 .. n_items^2) (row-major, caller-owned), with the
   rating scale min_rating..max_rating for the weights. Needs n_items^2 floats of memory and no more. */
int bookrec_ease_dense(const bookrec_triples *t, int n_items, float min_rating, float max_rating,
                       const bookrec_ease_options *opt, float *B, bookrec_error *err);

/* Fits a model created with arch BOOKREC_ARCH_EASE (dim = entries kept per row, n_entries = train->n) on its
   training ratings: B, each row's dim largest entries, the popularity prior, the rating weights, and the
   training ratings as the dataset readers' part. */
int bookrec_ease_fit(bookrec_model *m, const bookrec_triples *train, const bookrec_ease_options *opt,
                     bookrec_error *err);

/* Same as bookrec_ease_fit from a dense B already computed by bookrec_ease_dense on `train` with the same options
   (B is only read), so that several K can be tried from one solve; `readers` (NULL: train; n_entries of them)
   become the dataset readers' part, e.g. every rating when some readers were held out of B for calibration. */
int bookrec_ease_fit_from(bookrec_model *m, const float *B, const bookrec_triples *train,
                          const bookrec_triples *readers, const bookrec_ease_options *opt, bookrec_error *err);

/* Returns the weight w(r) a top-N model gives a rating r (NaN when m is not a top-N model). */
float bookrec_model_rating_weight(const bookrec_model *m, float rating);

/* Writes the rated books that contributed most to `item`'s score for a top-N state, largest first: up to k
   book indices into out_idx and their exact contributions (w(r_i) B[i,item]) into out_contrib (may be NULL);
   books that contributed nothing are left out. Returns the count, or -1 (err filled; E_STATE for rating models). */
int bookrec_model_explain(bookrec_model *m, const float *state, int item, int k, int32_t *out_idx,
                          float *out_contrib, bookrec_error *err);

/* Fits the model's match calibration: for each reader of `foldin` (scored from those ratings), the top 50 books'
   scores against whether the reader's `target` rates them >= threshold; a logistic curve p = 1 / (1 + e^-(a s + b))
   is fitted by Newton's method and kept in the model. Only top-N models have one. */
int bookrec_model_calibrate(bookrec_model *m, const bookrec_triples *foldin, const bookrec_triples *target,
                            float threshold, bookrec_error *err);

/* Calibrated chance (0..1) that a book with ranking score `score` is one the reader reads and rates highly;
   NaN when the model has no calibration. */
float bookrec_model_match(const bookrec_model *m, float score);

/* How the match holds on readers it was not calibrated on: the top 50 books of each reader of `foldin` (scored from
   those ratings), binned by their match into n_bins equal bins of 0..1; for bin b, count[b] books, their mean match
   mean_match[b] and the share observed[b] that the reader's `target` rates >= threshold (caller-owned arrays of
   n_bins each). */
int bookrec_model_reliability(bookrec_model *m, const bookrec_triples *foldin, const bookrec_triples *target,
                              float threshold, int n_bins, int *count, double *mean_match, double *observed,
                              bookrec_error *err);

/* ------------------------------------------------------------- training */

/* Runs fn(arg, t) for t in 0..n_tasks-1, possibly in parallel, and returns when all are done. */
typedef void (*bookrec_task_fn)(void *arg, int t);
typedef void (*bookrec_parallel_fn)(void *ctx, bookrec_task_fn fn, void *arg, int n_tasks);

/* Per-epoch figures. */
typedef struct bookrec_epoch_stats {
    int epoch;                 /* 1-based */
    double train_mse, train_rmse, train_mae; /* running averages over the epoch's batches */
    double test_mse, test_rmse, test_mae;    /* on the `valid` triples handed to bookrec_train */
    double seconds;            /* wall time is measured by the caller; the core leaves 0 */
} bookrec_epoch_stats;

/* Training options; bookrec_train_options_default fills the tutorial's values. */
typedef struct bookrec_train_options {
    int epochs;                /* 5 */
    int batch;                 /* 64 */
    float lr;                  /* 1e-3 */
    float beta1, beta2, eps;   /* 0.9, 0.999, 1e-7 */
    float l2;                  /* L2 on the embedding rows and biases a batch touches (0 for seed): the batch
                                  loss is (1/n) sum_e [(y_e - r_e)^2 + l2 (|q_i|^2 + |p_u|^2 + b_i^2 + b_u^2)] */
    float l2_dense;            /* L2 on the dense weights (0): + l2_dense (|dense1_w|^2 + |dense2_w|^2) per batch */
    int lazy_adam;             /* 1: Adam updates only the embedding rows a batch touches (default 1) */
    int patience;              /* >0: stop when valid RMSE has not improved for this many epochs, keep the best */
    uint64_t seed;             /* shuffling seed (1) */
    int n_tasks;               /* the batch is split into this many equal slices (the thread count), 1.. */
    bookrec_parallel_fn parallel; /* NULL: run the slices in turn */
    void *parallel_ctx;
    /* called after every `progress_every` batches and at the end of each epoch; done and total count training
       ratings (rows) of the epoch, running_mse is the epoch's mean squared error so far; returning non-zero
       stops training */
    int (*progress)(void *ctx, int epoch, size_t done, size_t total, double running_mse);
    void *progress_ctx;
    size_t progress_every;
    /* called at the end of each epoch with that epoch's figures; returning non-zero stops training */
    int (*on_epoch)(void *ctx, const bookrec_epoch_stats *s);
    void *on_epoch_ctx;
    float l2_row;              /* per-row L2 (0): each occurrence of a row adds l2_row / (the row's ratings in the
                                  training data) to its l2, so an epoch penalises every row by l2_row |row|^2 once,
                                  shrinking rarely seen users and books most (as ridge regression per row does) */
    int group_users;           /* 1: each epoch visits the users in a shuffled order, each user's ratings together
                                  (shuffled), so a batch holds few users: implicit models compute and update each
                                  user's implicit sum once per batch instead of once per rating (much faster) */
    int shuffle_in_place;      /* 1: the epochs' shuffles reorder train's own arrays (left in the last epoch's order)
                                  instead of a copy of them, 12 fewer bytes per training rating; the model is the
                                  same. Ignored with group_users */
    float reader_lr;           /* > 0: the readers' rows (user_emb and user_bias) learn by row-wise Adagrad with this
                                  learning rate instead of Adam: one accumulator per reader (the running sum of its
                                  rows' mean squared gradient) in place of Adam's two moments per weight, so a reader
                                  costs dim + 2 floats while training instead of 3 (dim + 1); needs lazy_adam. 0
                                  (default): Adam for every row */
} bookrec_train_options;

/* Fills o with the tutorial's training setup. */
void bookrec_train_options_default(bookrec_train_options *o);

/* Trains m on `train`, evaluating on `valid` (may be NULL) after every epoch; writes up to `max_history`
   epoch records into history (may be NULL) and their count into *n_history. Same seed and n_tasks give a
   bit-identical model. train's arrays are left as they are unless opt->shuffle_in_place. */
int bookrec_train(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *valid,
                  const bookrec_train_options *opt, bookrec_epoch_stats *history, int max_history,
                  int *n_history, bookrec_error *err);

/* bookrec_train on packed training (and validation, may be NULL) ratings, the training records reordered in place by
   each epoch's shuffle: the same model and figures, bit for bit, as bookrec_train with shuffle_in_place on the same
   ratings. Not for implicit or tag models, nor group_users (BOOKREC_E_ARG). */
int bookrec_train_packed(bookrec_model *m, bookrec_packed *train, const bookrec_packed *valid,
                         const bookrec_train_options *opt, bookrec_epoch_stats *history, int max_history,
                         int *n_history, bookrec_error *err);

/* Mean squared and absolute error of m on t. */
int bookrec_evaluate(const bookrec_model *m, const bookrec_triples *t, double *mse, double *mae, bookrec_error *err);

/* ------------------------------------------------------------- a model against a dataset (src/dataset.c) */

/* The test error of ratings given in a dataset's ids. */
typedef struct bookrec_test_error {
    double rmse, mae;  /* NaN when no rating could be scored */
    size_t used;       /* test ratings scored */
    size_t dropped;    /* test ratings of users or books the model does not know, left out */
} bookrec_test_error;

/* Test RMSE and MAE of m on test (indices into r's id tables), the ids mapped onto the model's by name. */
int bookrec_evaluate_ratings(const bookrec_model *m, const bookrec_ratings *r, const bookrec_triples *test,
                             bookrec_test_error *out, bookrec_error *err);

/* *out (new, free with bookrec_free) gets the index in items (a model's item ids) of every book the dataset user
   `user` rated anywhere in r (books items lacks left out), *n their count; *out NULL and *n -1 when r has no such
   user. */
int bookrec_ratings_user_books(const bookrec_ratings *r, const char *user, const bookrec_ids *items, int32_t **out,
                               int *n, bookrec_error *err);

/* The kept ratings of a dataset in half-star bins from its min_rating (at most 200 bins). */
typedef struct bookrec_histogram {
    int n_bins;
    size_t *count;   /* [n_bins]: bin k holds ratings nearest min_rating + k/2 */
    size_t max;      /* the largest count, at least 1 */
    double mean;     /* the mean rating, 0 when there is none */
} bookrec_histogram;

/* *out is new (free it with bookrec_histogram_free). */
int bookrec_ratings_histogram(const bookrec_ratings *r, bookrec_histogram **out, bookrec_error *err);

/* Frees h (NULL is fine). */
void bookrec_histogram_free(bookrec_histogram *h);

/* Counts in empty[k] the data rows of the CSV buf[0..len) whose field in the column named names[k] (k < n) is empty
   or missing (a column the header lacks counts 0); the count ends quietly at a malformed record. */
int bookrec_csv_count_empty(const char *buf, size_t len, const char *const *names, int n, size_t *empty,
                            bookrec_error *err);

/* Told of a row naming a book the model does not know (left out): its line and id. */
typedef void (*bookrec_unknown_fn)(void *ctx, long line, const char *id);

/* Parses a new reader's ratings from the CSV buf[0..len) of book_id,rating (a header naming a rating column, and
   book_id, is optional) into the model's books (items; NULL: none is known): *item and *rating (new, *n entries; free them with
   bookrec_free); rows of unknown books go to unknown (may be NULL), bad rows fail naming source and line. */
int bookrec_reader_parse(const char *buf, size_t len, const char *source, const bookrec_ids *items,
                         bookrec_unknown_fn unknown, void *ctx, int32_t **item, float **rating, int *n,
                         bookrec_error *err);

/* ------------------------------------------------------------- evaluation (src/eval.c) */
/* Ranking evaluation, the new-reader protocol and seeded splits of triples. A "known" set is what the
   ranker may use and must not recommend (training ratings, or a new reader's fold-in ratings); a
   "target" set holds the held-out ratings whose relevant ones (rating >= threshold) the top-k should find.
   HR@k = 1 when any relevant item is in the top k; NDCG@k uses binary relevance, DCG = sum over hits at
   1-based rank p of 1/log2(p+1), divided by the ideal DCG over min(k, #relevant) ranks; Recall@k = hits /
   #relevant (the standard definition, so it can stay below 1 when #relevant > k); coverage@k = distinct
   items over all top-k lists / n_items. Users with no relevant target item are skipped, not counted as 0. */

/* Returns the default relevance threshold of a rating scale: min + 0.75 (max - min), i.e. 4 on 1..5, 7.75 on 1..10. */
float bookrec_relevance_threshold(float min_rating, float max_rating);

/* One reader to score: a dataset user (user >= 0) or a new reader (user = -1); items/ratings[0..n) are
   the ratings the ranker may use (training ratings, or the fold-in ratings of a new reader). */
typedef struct bookrec_reader {
    int user;
    const int32_t *items;
    const float *ratings;
    int n;
} bookrec_reader;

/* Scores every item for a reader into scores[0..n_items); higher is better, NaN means "never rank".
   Must be safe to call from several threads at once when the evaluator is given a parallel callback. */
typedef int (*bookrec_score_fn)(void *ctx, const bookrec_reader *reader, float *scores, int n_items,
                                bookrec_error *err);

/* Ranking figures of one list, or averages over users. */
typedef struct bookrec_rank_metrics {
    double hr, ndcg, recall;
    int hits;          /* relevant items in the list (for one user; for averages, the total) */
} bookrec_rank_metrics;

/* Computes HR@k, NDCG@k and Recall@k of the ranked list top[0..n_top) against relevant[0..n_relevant) (distinct). */
int bookrec_rank_list_metrics(const int32_t *top, int n_top, const int32_t *relevant, int n_relevant, int k,
                              bookrec_rank_metrics *out, bookrec_error *err);

/* Ranks scores[0..n_items) leaving out exclude[0..n_exclude) and NaN scores (ties by lower index), writes the
   top k into top_out[0..k) and *n_top, and computes the list's metrics against relevant[0..n_relevant). */
int bookrec_rank_user(const float *scores, int n_items, const int32_t *exclude, int n_exclude,
                      const int32_t *relevant, int n_relevant, int k, int32_t *top_out, int *n_top,
                      bookrec_rank_metrics *out, bookrec_error *err);

/* Options of the ranking evaluators; zero-initialised means k 10, threshold from a 1..5 scale, all users, serial. */
typedef struct bookrec_rank_options {
    int k;                        /* list length; 0 means 10 */
    float threshold;              /* relevant when rating >= threshold; 0 means bookrec_relevance_threshold(scale) */
    float min_rating, max_rating; /* the rating scale; both 0 mean 1..5 */
    int max_users;                /* >0: evaluate at most this many users, evenly spaced (deterministic); 0: all */
    int n_tasks;                  /* users are cut into this many contiguous chunks; 0 means 1 */
    bookrec_parallel_fn parallel; /* NULL: run the chunks in turn */
    void *parallel_ctx;
} bookrec_rank_options;

/* Result of a ranking evaluation: metrics averaged over the users with >= 1 relevant target item. */
typedef struct bookrec_rank_result {
    int k;
    float threshold;
    double hr, ndcg, recall;  /* means over the evaluated users */
    double coverage;          /* distinct items in all top-k lists / n_items */
    int n_users;              /* users evaluated (>= 1 relevant target item) */
    int n_skipped;            /* users with target ratings but none relevant */
    size_t n_relevant;        /* relevant target items over the evaluated users */
    size_t n_hits;            /* relevant items found in the top-k lists */
} bookrec_rank_result;

/* Ranks for every dataset user with a relevant item in `test`, excluding the user's `train` items, and averages
   the metrics into *out; the figures do not depend on n_tasks. */
int bookrec_rank_evaluate(int n_users, int n_items, const bookrec_triples *train, const bookrec_triples *test,
                          bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                          bookrec_rank_result *out, bookrec_error *err);

/* Same for new readers: each user of `foldin` is scored as reader -1 from its fold-in ratings, which are excluded
   from its ranking; relevant items come from `target`. */
int bookrec_rank_evaluate_new(int n_users, int n_items, const bookrec_triples *foldin, const bookrec_triples *target,
                              bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                              bookrec_rank_result *out, bookrec_error *err);

/* bookrec_rank_evaluate (new_readers 0) or bookrec_rank_evaluate_new (1) with the same figures, which also averages
   item_value[0..n_items) (may be NULL; e.g. popularity ranks) over every book of every top-k list into *mean_value
   (may be NULL; NaN when no list). */
int bookrec_rank_evaluate_ex(int n_users, int n_items, const bookrec_triples *known, const bookrec_triples *target,
                             int new_readers, bookrec_score_fn score, void *score_ctx, const bookrec_rank_options *opt,
                             const float *item_value, double *mean_value, bookrec_rank_result *out,
                             bookrec_error *err);

/* Writes each book's popularity rank into ranks[0..n_items): 1 = the highest popularity[] (e.g. training ratings per
   book), books with equal popularity share their mean rank (three books tied after the first get 3 each). */
int bookrec_popularity_ranks(const float *popularity, int n_items, float *ranks, bookrec_error *err);

/* Writes the popularity scores (number of ratings per item in t) into scores[0..n_items). */
int bookrec_popularity(const bookrec_triples *t, int n_items, float *scores, bookrec_error *err);

/* Same, counting only ratings >= min_rating ("liked by many"; NaN is refused). */
int bookrec_popularity_min(const bookrec_triples *t, int n_items, float min_rating, float *scores,
                           bookrec_error *err);

/* A fixed score vector for every reader (popularity, item bias...): ctx of bookrec_score_fixed. */
typedef struct bookrec_fixed_scorer {
    const float *scores;
    int n_items;
} bookrec_fixed_scorer;

/* Scorer that copies a bookrec_fixed_scorer's vector for every reader (new readers get the same ranking). */
int bookrec_score_fixed(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err);

/* A model as a ranker: ctx of bookrec_score_model. */
typedef struct bookrec_model_scorer {
    bookrec_model *model;          /* call bookrec_model_prepare before scoring from several threads */
    bookrec_foldin_options foldin; /* used for new readers */
} bookrec_model_scorer;

/* Scorer that uses the model's score_all on a dataset user's state, or on a new reader's folded-in state. */
int bookrec_score_model(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err);

/* Splits t into keep and held parts, round(fraction * n) triples held, chosen by a seeded shuffle; both keep
   t's order; the caller frees both with bookrec_triples_free. */
int bookrec_triples_split(const bookrec_triples *t, double fraction, uint64_t seed,
                          bookrec_triples *keep, bookrec_triples *held, bookrec_error *err);

/* Options of the new-reader split; zero-initialised means 1000 readers with >= 20 ratings, 10 fold-in ratings, seed 1,
   at most 20% of the users. */
typedef struct bookrec_newreader_options {
    int n_readers;    /* readers held out; 0 means 1000 (fewer when fewer users qualify or the cap bites) */
    int min_ratings;  /* a reader qualifies with at least this many ratings; 0 means 20 */
    int n_foldin;     /* ratings each reader is folded in from; 0 means 10 */
    uint64_t seed;    /* 0 means 1 */
    double max_share; /* at most floor(max_share * n_users) readers are held out, n_users counting every user with a
                         rating (qualifying or not), so the training part keeps the rest; 0 means 0.2, must be < 1 */
} bookrec_newreader_options;

/* Holds readers out of `all` entirely: train receives every rating of the other users (in order), foldin the
   n_foldin seeded-chosen ratings of each held-out reader (in the seeded order, so a reader's first n of them are
   a uniform sample of n) and target the rest of theirs; *n_readers (may be NULL) receives how many were held out.
   Fails with BOOKREC_E_EMPTY rather than leave the training part empty. The caller frees the three parts with
   bookrec_triples_free. */
int bookrec_split_new_readers(const bookrec_triples *all, int n_users, const bookrec_newreader_options *opt,
                              bookrec_triples *train, bookrec_triples *foldin, bookrec_triples *target,
                              int *n_readers, bookrec_error *err);

/* ------------------------------------------------------------- baselines (src/baseline.c) */
/* The two reference predictors `bookrec eval` puts beside the models: the global mean of the training
   ratings, and the user+book bias model r = mu + b_u + b_i fitted by a few rounds of regularised
   alternating least squares (each b_i, then each b_u, in closed form). Predictions are clamped to the
   rating range seen in training. */

/* Options of the bias baseline; zero-initialised means 10 rounds, lambda_item 5, lambda_user 5. */
typedef struct bookrec_bias_options {
    int iters;          /* ALS rounds; 0 means 10 */
    float lambda_item;  /* shrinkage of b_i toward 0 (in "ratings"); 0 means 5, <0 means none */
    float lambda_user;  /* shrinkage of b_u toward 0; 0 means 5, <0 means none */
} bookrec_bias_options;

/* A fitted bias baseline. */
typedef struct bookrec_bias_model {
    float mu;                     /* global mean of the training ratings */
    int n_users, n_items;
    float *user_bias, *item_bias; /* 0 for users/items without training ratings */
    float min_rating, max_rating; /* predictions are clamped to this range */
} bookrec_bias_model;

/* Mean of the ratings of t into *mu (BOOKREC_E_EMPTY when t is empty). */
int bookrec_global_mean(const bookrec_triples *t, double *mu, bookrec_error *err);

/* Fits mu + b_u + b_i on `train` (indices must be < n_users / n_items); free *out with bookrec_bias_free. */
int bookrec_bias_fit(const bookrec_triples *train, int n_users, int n_items, const bookrec_bias_options *opt,
                     bookrec_bias_model **out, bookrec_error *err);

/* Predicted rating of the bias baseline (mu for out-of-range indices), clamped to the training range. */
float bookrec_bias_predict(const bookrec_bias_model *b, int user, int item);

/* Mean squared and absolute error of the bias baseline on t. */
int bookrec_bias_evaluate(const bookrec_bias_model *b, const bookrec_triples *t, double *mse, double *mae,
                          bookrec_error *err);

/* Mean squared and absolute error of predicting the constant `value` for every rating of t. */
int bookrec_constant_evaluate(double value, const bookrec_triples *t, double *mse, double *mae, bookrec_error *err);

/* Frees a bias baseline. */
void bookrec_bias_free(bookrec_bias_model *b);

/* ------------------------------------------------------------- the new-reader protocol (src/protocol.c) */
/* The experiment behind the new-reader columns of `bookrec eval`, for any table of rankers. For each of n_seeds
   reader seeds: hold readers out of the data entirely (bookrec_split_new_readers, capped at a share of the users),
   fit every ranker on the others' ratings, fold each held-out reader in under every variant (5 or 10 of their
   ratings, or only the loved ones among 10) and rank the rest of their books. Each figure is reported as its mean,
   sample standard deviation, minimum and maximum over the seeds, beside coverage@k and the mean popularity rank of
   the recommended books (1 = the book rated most often in that seed's training part), so that neither a collapse
   onto the best-sellers nor one onto obscure books can hide behind an average.
   Rankers learn only from a bookrec_fit_data: the training part and a validation part carved from it. That struct
   is the one door through which the evaluation gives data to a ranker; held-out readers' ratings never pass it,
   and a ranker sees a held-out reader only through the fold-in ratings handed to its scorer. */

/* What a ranker may learn from: `train`, and the same ratings cut into `fit` and `valid` for its own choices
   (early stopping, tuning). Target or test ratings are never in it. */
typedef struct bookrec_fit_data {
    const bookrec_triples *train;   /* every rating the ranker may learn from (fit and valid together) */
    bookrec_triples fit, valid;     /* owned: train without / with the validation share (valid empty when none) */
    int n_users, n_items;
    float min_rating, max_rating;   /* the rating scale */
    uint64_t seed;                  /* for the ranker's own randomness (differs between reader seeds) */
} bookrec_fit_data;

/* Fills d from `train` (kept by pointer, not copied), carving valid_fraction (0..1; 0 = none) of it by a seeded
   shuffle into d->valid; the caller frees d with bookrec_fit_data_free. */
int bookrec_fit_data_init(bookrec_fit_data *d, const bookrec_triples *train, int n_users, int n_items,
                          float min_rating, float max_rating, double valid_fraction, uint64_t seed,
                          bookrec_error *err);

/* Frees d's fit and valid parts (not d->train) and zeroes d. */
void bookrec_fit_data_free(bookrec_fit_data *d);

/* One row of a ranker table: fit builds a scorer context from the data it may learn from, `score` ranks with it
   (it must be thread-safe if the rank options have a parallel callback), release frees it. Adding a model to an
   evaluation is adding one of these. */
typedef struct bookrec_ranker {
    const char *name;
    int (*fit)(void *arg, const bookrec_fit_data *d, void **score_ctx, bookrec_error *err);
    bookrec_score_fn score;
    void (*release)(void *arg, void *score_ctx);
    void *arg;
} bookrec_ranker;

/* Baseline rows: ranking by training ratings per book (arg NULL), by training ratings >= *(const float *)arg per
   book ("liked by many"), or by book bias b_i of the user+book bias model (arg NULL or a bookrec_bias_options *);
   each fits a new bookrec_fixed_scorer for bookrec_score_fixed, freed by bookrec_release_fixed. */
int bookrec_fit_popularity(void *arg, const bookrec_fit_data *d, void **score_ctx, bookrec_error *err);
int bookrec_fit_book_bias(void *arg, const bookrec_fit_data *d, void **score_ctx, bookrec_error *err);
void bookrec_release_fixed(void *arg, void *score_ctx);

/* How a held-out reader is folded in: n_foldin of their ratings drawn at random (the same draw for every ranker,
   and a variant's first n of a larger one), or with loved_only only those of the n that are >= the relevance
   threshold, as a site visitor tells the books they loved; readers with no loved book among the n are left out. */
typedef struct bookrec_foldin_variant {
    int n_foldin;
    int loved_only;
} bookrec_foldin_variant;

/* Options of bookrec_protocol_run; zero-initialised means 3 seeds from 1, 1000 readers with >= 20 ratings and at
   most 20% of the users, variants {5}, {10}, {10 loved}, 10% of training carved for validation, k 10. */
typedef struct bookrec_protocol_options {
    bookrec_newreader_options readers; /* n_readers, min_ratings, seed (the first), max_share; n_foldin is ignored */
    int n_seeds;                       /* reader seeds readers.seed, +1, ...; 0 means 3 */
    const bookrec_foldin_variant *variants; /* NULL means the three above */
    int n_variants;
    double valid_fraction;             /* share of training carved into bookrec_fit_data.valid; 0 means 0.1, <0 none */
    bookrec_rank_options rank;         /* k, threshold, scale and threads of the rankings (max_users is ignored) */
    /* called after each (seed, ranker, variant) ranking with its figures (may be NULL), e.g. to show progress */
    void (*progress)(void *ctx, int seed_index, int ranker, int variant, const bookrec_rank_result *res,
                     double pop_rank);
    void *progress_ctx;
} bookrec_protocol_options;

/* A figure over the seeds: mean, sample standard deviation (n - 1; 0 for one seed), minimum and maximum. */
typedef struct bookrec_stat {
    double mean, sd, min, max;
} bookrec_stat;

/* The figures of one ranker under one variant. */
typedef struct bookrec_protocol_cell {
    bookrec_stat hr, ndcg, recall, coverage; /* as bookrec_rank_result */
    bookrec_stat pop_rank;                   /* mean popularity rank of the recommended books (mid ranks for ties) */
    bookrec_stat n_readers;                  /* readers evaluated (with a relevant target book) */
} bookrec_protocol_cell;

/* What the protocol did. */
typedef struct bookrec_protocol_info {
    int n_seeds, n_variants, k;
    float threshold;
    int n_held;                 /* readers held out per seed (the same count for every seed) */
    int n_train_users;          /* users left to train on */
    double loved_left_out;      /* mean over seeds of the readers left out of the first loved-only variant */
} bookrec_protocol_info;

/* Runs the protocol over rankers[0..n_rankers) on `all` (n_users x n_items, every rating), writing the figures of
   ranker r under variant v into out[r * n_variants + v] (the caller allocates n_rankers * n_variants cells) and
   what was done into *info (may be NULL). Deterministic for fixed seeds and rankers, whatever the thread count. */
int bookrec_protocol_run(const bookrec_triples *all, int n_users, int n_items, const bookrec_ranker *rankers,
                         int n_rankers, const bookrec_protocol_options *opt, bookrec_protocol_cell *out,
                         bookrec_protocol_info *info, bookrec_error *err);

/* ------------------------------------------------------------- personas (src/personas.c) */
/* A taste test a person can read: for a taste (such as fantasy), a new reader who gives the top rating to the n_seed
   best-known books that may seed the taste is folded in through a scorer, and the share of its top-k (the seed books
   excluded) that carry the taste is set beside the share of all books that do. Which books seed and which carry a
   taste comes in as per-book arrays; bookrec_tastes_books (below, src/tastes.c) builds them from book tags. */

/* One taste's books: seedable[i] and carries[i] (0 or 1, i in 0..n_items-1) say whether book i may be a seed of
   the taste and whether it counts as on the taste in a list. */
typedef struct bookrec_taste_books {
    const unsigned char *seedable;
    const unsigned char *carries;
} bookrec_taste_books;

#define BOOKREC_PERSONA_MAX 64 /* most seed books and list length of a persona */

/* Options of bookrec_personas; zero-initialised means 5 seed books rated 5, top-10 lists. */
typedef struct bookrec_persona_options {
    int n_seed;     /* seed books per taste, 1..BOOKREC_PERSONA_MAX; 0 means 5 */
    int k;          /* list length, 1..BOOKREC_PERSONA_MAX; 0 means 10 */
    float rating;   /* the rating the reader gives each seed book; 0 means 5 */
} bookrec_persona_options;

/* One taste's outcome. Lists hold book indices; share is NaN when no book may seed the taste. */
typedef struct bookrec_persona_result {
    int n_seedable;                       /* books that may seed the taste */
    int n_seed;                           /* seed books used (fewer when fewer books may seed) */
    int32_t seed[BOOKREC_PERSONA_MAX];    /* most popular first (ties by lower index) */
    int n_top;
    int32_t top[BOOKREC_PERSONA_MAX];     /* the scorer's top-k, seeds and NaN scores excluded */
    unsigned char top_carries[BOOKREC_PERSONA_MAX];
    int hits;                             /* books of top carrying the taste */
    double share;                         /* hits / n_top */
    int n_carrying;                       /* books carrying the taste */
    double base;                          /* n_carrying / n_items */
} bookrec_persona_result;

/* Runs a persona per taste tastes[0..n_tastes) into out[0..n_tastes): seeds are the n_seed seedable books with the
   highest popularity[0..n_items), scored as a new reader (user -1) through score/score_ctx. */
int bookrec_personas(int n_items, const float *popularity, const bookrec_taste_books *tastes, int n_tastes,
                     bookrec_score_fn score, void *score_ctx, const bookrec_persona_options *opt,
                     bookrec_persona_result *out, bookrec_error *err);

/* ------------------------------------------------------------- implicit ALS (src/ials.c) */
/* A top-N model for ranking books for a reader (it does not predict ratings): implicit alternating least
   squares (Hu, Koren & Volinsky 2008) with the frequency-scaled L2 of Rendle et al. 2021. Every rating
   (u, i) with weight w = rating_weight(r) > 0 is an observed pair with target 1 and confidence
   c = 1 + alpha w; every other pair has target 0 and weight w0 = `unobserved`. The model minimises
     L = sum_obs c (1 - x_u.y_i)^2 + w0 sum_unobserved (x_u.y_i)^2 + sum_u lambda_u |x_u|^2 + sum_i lambda_i |y_i|^2
   with lambda_u = lambda (n_u + w0 n_items)^reg_exp and lambda_i = lambda (n_i + w0 n_users)^reg_exp
   (n_u, n_i: the row's observed pairs; reg_observed_only drops the w0 terms). A reader's score for book i is dot(x_u, y_i). Factors are
   caller-owned row-major float arrays: users [n_users * dim], books [n_items * dim]. */

#define BOOKREC_IALS_MAX_DIM 256
#define BOOKREC_IALS_N_WEIGHTS 5

/* Options of iALS; zero-initialised means the defaults given below. The same options must be handed to
   fold_in as to fit (the weights, alpha, unobserved, lambda and reg_exp define the model). */
typedef struct bookrec_ials_options {
    int dim;          /* factors per reader and book; 0 means 64; at most BOOKREC_IALS_MAX_DIM */
    int iters;        /* epochs, each a book half-step then a reader half-step (so readers end in step with
                         the books, as fold_in would give them); 0 means 16 */
    float lambda;     /* L2 strength; 0 means 1e-3 (with reg_exp 1), else must be > 0 */
    float reg_exp;    /* exponent nu of the frequency scaling of lambda; 0 means 1 (Rendle et al.), < 0 means
                         none (plain lambda for every row) */
    int reg_observed_only; /* 1: lambda_u = lambda n_u^reg_exp (the row's observed pairs only: with reg_exp 1 the
                              ALS-WR scaling of Spark MLlib's ALS, regParam n_u); 0: as written above */
    float alpha;      /* confidence c = 1 + alpha w of an observed pair; 0 means 10, < 0 means 0 */
    float unobserved; /* weight w0 of every unobserved pair; 0 means 1, else must be > 0 */
    int cg_steps;     /* conjugate-gradient steps per row and half-step, warm-started from the row's current
                         value; 0 means 3; < 0 means the exact solve (Cholesky of the d x d system, in double) */
    float init_scale; /* initial factors uniform with standard deviation init_scale / sqrt(dim); 0 means 0.1 */
    uint64_t seed;    /* initialisation seed; 0 means 1 */
    /* Weight of a rating by its position on the scale: rating_weight[k] is the weight at
       min + k/4 (max - min), i.e. of 1..5 stars on a 1..5 scale, linear in between (ratings outside the
       scale are clamped to it). Entries are finite and >= 0; a rating of weight 0 is left out (its pair
       counts as unobserved). All zero means {0, 0, 0.5, 1, 1}: 1 and 2 stars left out, 3 stars half,
       4 and 5 stars full (the defaults were tuned on goodbooks-10k; see ials.c). */
    float rating_weight[BOOKREC_IALS_N_WEIGHTS];
    float min_rating, max_rating; /* the rating scale; both 0 mean 1..5 */
    int n_tasks;      /* rows of each half-step are cut into this many chunks (threads); 0 means 1. The result
                         does not depend on n_tasks */
    bookrec_parallel_fn parallel; /* NULL: run the chunks in turn */
    void *parallel_ctx;
    /* called after each epoch with its 1-based number and the objective L (computing L costs about a
       fifth of an epoch, and only happens when on_epoch is set); returning non-zero stops training */
    int (*on_epoch)(void *ctx, int epoch, double loss);
    void *on_epoch_ctx;
} bookrec_ials_options;

/* Weight of one rating under opt's rating_weight table and scale (0 means the rating is left out); NaN on bad
   options or a NaN rating. */
float bookrec_ials_rating_weight(const bookrec_ials_options *opt, float rating);

/* Trains iALS on `train` (dense indices below n_users / n_items, finite ratings), writing the caller-owned
   user_factors [n_users * dim] and item_factors [n_items * dim] (both initialised from opt->seed), in memory and
   time linear in the ratings, bit-identically for the same options whatever n_tasks is. */
int bookrec_ials_fit(const bookrec_triples *train, int n_users, int n_items, const bookrec_ials_options *opt,
                     float *user_factors, float *item_factors, bookrec_error *err);

/* Writes the Gramian F^T F of n rows of dim factors (row-major [n * dim]) into the caller's gram [dim * dim]. */
int bookrec_ials_gram(const float *factors, int n, int dim, float *gram, bookrec_error *err);

/* Writes into the caller's user_out [dim] a new reader's vector from n (item, rating) pairs (ratings NULL: weight
   1 each) by one exact dim x dim solve in double against the frozen item_factors [n_items * dim] and their
   Gramian gram [dim * dim] (NULL: computed here, O(n_items dim^2)), allocating one dim^2 doubles block per call
   and ignoring opt->dim. */
int bookrec_ials_fold_in(const float *item_factors, const float *gram, int n_items, int dim, const int32_t *items,
                         const float *ratings, int n, const bookrec_ials_options *opt, float *user_out,
                         bookrec_error *err);

/* Creates an unfitted top-N model (free with bookrec_model_free): EASE keeping dim entries per row of B with room
   for n_entries dataset ratings as its readers' part, or iALS with dim factors (n_entries ignored). */
int bookrec_topn_model_create(bookrec_arch arch, int n_users, int n_items, int dim, int64_t n_entries,
                              float min_rating, float max_rating, bookrec_model **out, bookrec_error *err);

/* Fits a model created with arch BOOKREC_ARCH_IALS (its dim, rating scale and sizes) with bookrec_ials_fit on
   `train` into its user and book factors, and keeps the options the fold-in must repeat (rating weights, alpha,
   lambda, the unobserved weight, reg_exp) in the model, so that a saved model folds readers in as it was fitted. */
int bookrec_ials_fit_model(bookrec_model *m, const bookrec_triples *train, const bookrec_ials_options *opt,
                           bookrec_error *err);

/* Sets the fold-in options an iALS model keeps (rating weights, alpha, lambda, the unobserved weight, reg_exp,
   reg_observed_only; defaults resolved as bookrec_ials_fit does, dim ignored) without fitting it, for factors
   trained elsewhere and copied into the model's tensors. */
int bookrec_ials_set_options(bookrec_model *m, const bookrec_ials_options *opt, bookrec_error *err);

/* A trained iALS model as a ranker for the evaluators: the ctx of bookrec_ials_score. */
typedef struct bookrec_ials_scorer {
    const float *user_factors; /* [n_users * dim]; may be NULL when only new readers are scored */
    const float *item_factors; /* [n_items * dim] */
    const float *gram;         /* the books' Gramian [dim * dim] for new readers (NULL: computed per reader) */
    int n_users, n_items, dim;
    const bookrec_ials_options *opt; /* the options the model was fitted with (for new readers) */
} bookrec_ials_scorer;

/* bookrec_score_fn of an iALS model: dot(x_u, y_i) for a dataset user's row or a folded-in new reader. */
int bookrec_ials_score(void *ctx, const bookrec_reader *reader, float *scores, int n_items, bookrec_error *err);

/* ------------------------------------------------------------- the top-N experiment (src/topn_experiment.c) */
/* What `bookrec train --arch ease|ials` runs: a few hundred readers with >= 20 ratings are held out of the fit as
   new readers (folded in from 10 of their ratings), EASE or iALS is fitted on everyone else, the match is
   calibrated on the held-out readers of even index and its reliability shown on the odd ones, and all of them are
   ranked (HR/NDCG@10). The ratings are held once, packed (5 bytes each for millions of readers and 10,000 books):
   no copy for the fit's part, the held-out readers' ratings copied alone. */

/* Past this many books EASE's books^2 floats (3.6 GB at 30,000) no longer fit a machine like the development one. */
#define BOOKREC_EASE_MAX_ITEMS 30000

/* The arch to train when `asked` is requested for n_items books: iALS for EASE past BOOKREC_EASE_MAX_ITEMS books
   unless force_ease, else `asked`. */
bookrec_arch bookrec_topn_arch_for(bookrec_arch asked, int n_items, int force_ease);

/* Where bookrec_topn_train is when it calls its progress callback. */
typedef enum bookrec_topn_stage {
    BOOKREC_TOPN_FITTING = 0, /* readers are held out (n_held, n_fit known); the fit or the curve's solve starts */
    BOOKREC_TOPN_FITTED = 1,  /* the fit or the curve's dense solve is done */
    BOOKREC_TOPN_POINT = 2    /* the curve: result->point holds one K's figures */
} bookrec_topn_stage;

#define BOOKREC_TOPN_BINS 10

/* One K of the curve: the held-out readers' HR/NDCG@10 and the size of the book side saved in Q8. */
typedef struct bookrec_topn_point {
    int k;
    double hr, ndcg;
    size_t items_bytes;
} bookrec_topn_point;

/* The figures of a top-N fit. */
typedef struct bookrec_topn_result {
    bookrec_arch arch;        /* what was fitted */
    int dim;
    int n_held;               /* readers held out */
    size_t n_fit;             /* ratings fitted */
    float threshold;          /* relevant when rated >= threshold */
    bookrec_rank_result ranking; /* the held-out readers as new readers */
    int calibrated;           /* 1 when the match calibration fitted, else its reason in calibration_error */
    char calibration_error[512];
    int reliability;          /* 1 when the bins below are filled (the match on the odd half of the readers) */
    int count[BOOKREC_TOPN_BINS];
    double mean_match[BOOKREC_TOPN_BINS], observed[BOOKREC_TOPN_BINS];
    bookrec_topn_point point; /* the curve's latest K */
    const char *step;         /* on failure, the step that failed ("holding readers out", "EASE", "iALS", ...) */
} bookrec_topn_result;

/* Options of bookrec_topn_train; zero-initialised but arch means the defaults (the fits' own, 500 readers held out). */
typedef struct bookrec_topn_options {
    bookrec_arch arch;        /* BOOKREC_ARCH_EASE or BOOKREC_ARCH_IALS (bookrec_topn_arch_for says which) */
    int dim;                  /* EASE: entries kept per row (at most the books); iALS: factors; 0: the default */
    int held_out;             /* readers held out; 0 means 500 */
    uint64_t split_seed;      /* seed choosing them; 0 means 7 */
    bookrec_ease_options ease;
    bookrec_ials_options ials; /* iters, threads (n_tasks, parallel) and the fit's options */
    const int *curve;         /* EASE, instead of a model: the figures of each K of curve[0..n_curve) */
    int n_curve;
    void (*progress)(void *ctx, bookrec_topn_stage stage, const bookrec_topn_result *so_far); /* may be NULL */
    void *progress_ctx;
} bookrec_topn_options;

/* Runs the experiment above on r, taking r->all's arrays (r->all is left empty) and, for the model it makes, r's id
   tables (r->users and r->items become NULL): *out (NULL with a curve) gets the fitted model, the caller frees it
   with bookrec_model_free; *res the figures. */
int bookrec_topn_train(bookrec_ratings *r, const bookrec_topn_options *opt, bookrec_model **out,
                       bookrec_topn_result *res, bookrec_error *err);

/* ------------------------------------------------------------- implicit feedback (src/features.c) */

/* (user, item) pairs in dense indices, and the data rows they were read from. */
typedef struct bookrec_pairs {
    size_t n;        /* pairs kept: user and book both known */
    int32_t *user, *item;
    size_t rows;     /* data rows read */
    int header;      /* 1: the buffer opened with a header */
} bookrec_pairs;

/* How bookrec_pairs_parse reads; zero-initialised means a header is required and unknown ids are left out. */
typedef struct bookrec_pairs_options {
    int strict;          /* 1: an id not in the tables fails naming source, line and id */
    int header_optional; /* 1: without a user_id/book_id header, each record is user_id,book_id */
    const char *noun;    /* what a book is in messages (NULL: "book") */
} bookrec_pairs_options;

/* Parses a CSV buffer of (user_id, book_id) pairs (a header names the columns, any order, more columns ignored;
   fields trimmed) keeping those whose user and book are in users/items; opt may be NULL; *out is new (free it with
   bookrec_pairs_free); a malformed row fails naming source and line. */
int bookrec_pairs_parse(const char *buf, size_t len, const char *source, const bookrec_ids *users,
                        const bookrec_ids *items, const bookrec_pairs_options *opt, bookrec_pairs **out,
                        bookrec_error *err);

/* Frees p (NULL is fine). */
void bookrec_pairs_free(bookrec_pairs *p);

/* Sets N(u) on an implicit model: the books u rated in `fit` plus its to_read books (may be NULL), each book once,
   never one of u's `test` books (may be NULL), so the test part never reaches training; *added (may be NULL) gets
   the want-to-read books that entered the sets. */
int bookrec_model_set_implicit_sets(bookrec_model *m, const bookrec_triples *fit, const bookrec_triples *test,
                                    const bookrec_pairs *to_read, size_t *added, bookrec_error *err);

/* ------------------------------------------------------------- book tags (src/tags.c) */
/* goodbooks' book_tags.csv (goodreads_book_id,tag_id,count) and tags.csv (tag_id,tag_name), parsed from buffers
   (RFC 4180, CRLF or LF, columns found by name) and joined through the books table's goodreads_book_id (the items'
   `extra` field) to a model's items. Rows with a count <= 0 and books the model does not know are left out. */

/* The two files' bytes (caller-owned, read during the call only), the names used in messages, and the join. */
typedef struct bookrec_tag_files {
    const char *book_tags; size_t book_tags_len; const char *book_tags_source; /* book_tags.csv */
    const char *tags; size_t tags_len; const char *tags_source;                /* tags.csv */
    const bookrec_items *books; /* the books table, goodreads_book_id in `extra` */
    const bookrec_ids *items;   /* the model's items */
} bookrec_tag_files;

/* Per-book tags as CSR over the model's items, ready for bookrec_model_set_tags. */
typedef struct bookrec_tag_weights {
    int n_items, n_tags;   /* n_tags: tags kept */
    int32_t *off;          /* [n_items + 1] */
    int32_t *idx;          /* tag index 0..n_tags-1 */
    float *w;              /* weight: log(1 + count) / sum over the book's kept tags */
    int books_with_tags;   /* model books that got at least one tag */
    size_t rows;           /* data rows of book_tags.csv */
    int dropped;           /* tags dropped as shelf names (to-read, owned, ...) */
    char dropped_list[512];/* the most frequent dropped ones, comma-separated */
} bookrec_tag_weights;

/* Drops shelf-name tags, keeps the max_tags tags found on most books and each book's per_book strongest of them;
   *out is new (free it with bookrec_tag_weights_free); bad rows fail naming source and line. */
int bookrec_tag_weights_create(const bookrec_tag_files *f, int max_tags, int per_book, bookrec_tag_weights **out,
                               bookrec_error *err);

/* Frees t (NULL is fine). */
void bookrec_tag_weights_free(bookrec_tag_weights *t);

/* Each book's strongest shelves, every tag kept (to-read and favorites as well as fantasy or poetry). */
typedef struct bookrec_shelves {
    int n_items;
    int32_t *off;        /* [n_items + 1]: book i's tags are tag[off[i] .. off[i+1]), strongest first */
    int32_t *tag;        /* tag ids as in tags.csv */
    int32_t *count;      /* their counts (how many readers gave the book the tag), parallel to tag */
    char **name;         /* [n_names]: tag id -> name (NULL when tags.csv has no such id) */
    long n_names;
    size_t rows;         /* data rows of book_tags.csv */
    int books_with_tags;
} bookrec_shelves;

/* Gives each item its per_book tags with the highest counts (ties by lower tag id, a tag listed twice once); *out
   is new (free it with bookrec_shelves_free); bad rows fail naming source and line. */
int bookrec_shelves_create(const bookrec_tag_files *f, int per_book, bookrec_shelves **out, bookrec_error *err);

/* The id of the tag named `name` (exact), or -1. */
long bookrec_shelves_find(const bookrec_shelves *s, const char *name);

/* Frees s (NULL is fine). */
void bookrec_shelves_free(bookrec_shelves *s);

/* 1 when a tag name is a shelf name that says nothing about content (to-read, favorites, owned, kindle, read-2015,
   ...), the names bookrec_tag_weights_create drops. */
int bookrec_tag_is_shelf(const char *name);

/* Folds a tag name into out (cap bytes, NUL-terminated) so spelling variants meet: lowercase, Latin accents dropped
   ("clàssics" -> "classics"), everything but letters and digits dropped ("sci-fi" -> "scifi"), then a final plural
   folded ("classics" -> "classic", "mysteries" -> "mystery"). */
void bookrec_tag_fold(const char *name, char *out, size_t cap);

/* ------------------------------------------------------------- genre shelves (src/genres.c) */
/* The site's genre filter: a small vocabulary of the most common content shelves (shelf names such as to-read and
   generic labels such as fiction left out, spelling variants and a few synonyms folded together) and each book's
   strongest few of them. */

typedef struct bookrec_genres {
    int n_items;       /* the model's items */
    int n_names;       /* the vocabulary, most common first */
    char **name;       /* [n_names]: the most used spelling of each folded shelf */
    int32_t *off;      /* [n_items + 1]: book i's genres are idx[off[i] .. off[i+1]), strongest first */
    int32_t *idx;      /* indices into name */
    int books_with;    /* books with at least one genre */
} bookrec_genres;

/* Keeps the max_names folded content shelves found among most books' 8 strongest and gives each book up to
   per_book of them (both >= 1); *out is new (free it with bookrec_genres_free); bad rows fail naming source and
   line. */
int bookrec_genres_create(const bookrec_tag_files *f, int max_names, int per_book, bookrec_genres **out,
                          bookrec_error *err);

/* Frees g (NULL is fine). */
void bookrec_genres_free(bookrec_genres *g);

/* ------------------------------------------------------------- tastes (src/tastes.c) */
/* The tastes of the persona suite (bookrec_personas) built from bookrec_shelves: a taste is a set of shelf names,
   folded with bookrec_tag_fold. A book carries a taste when one of its shelves is among its BOOKREC_TASTE_CARRY
   strongest tags; it may seed the taste when the taste's shelves hold at least half the count of its
   BOOKREC_TASTE_SEED strongest content tags (shelf names and generic labels such as fiction left out), and only the
   most rated book of a series (named in its title's last parentheses, "(Mistborn, #1)") may. */

#define BOOKREC_TASTE_CARRY 20
#define BOOKREC_TASTE_SEED 3
#define BOOKREC_TASTE_SHELVES 16 /* most shelf names of a taste */
#define BOOKREC_TASTE_FOLD 128   /* bytes of a folded shelf name */

/* One taste: its name and shelves as given (pointing into the parsed entry or a built-in table), their folded
   forms, and how many tags.csv names fold into them (set by bookrec_tastes_books). */
typedef struct bookrec_taste {
    const char *name, *shelves;
    char fold[BOOKREC_TASTE_SHELVES][BOOKREC_TASTE_FOLD];
    int n_fold, n_tags;
} bookrec_taste;

/* Parses one entry, "name" of a built-in taste (fantasy, classics, mystery, ...) or "name=shelf/shelf/...", into
   *t; tok is cut in place and must outlive t. A bad entry fails naming it. */
int bookrec_taste_parse(char *tok, bookrec_taste *t, bookrec_error *err);

/* Fills seedable[t * n_items + i] and carries[t * n_items + i] (caller-allocated, n x sh->n_items each) for the n
   tastes (1..64) from the shelves; titles[i] (may be NULL) name the books for the series rule and pop[i] (ratings
   per book) picks a series' book. Fails naming a taste none of whose shelves is in tags.csv. */
int bookrec_tastes_books(const bookrec_shelves *sh, bookrec_taste *ts, int n, const char *const *titles,
                         const float *pop, unsigned char *seedable, unsigned char *carries, bookrec_error *err);

/* ------------------------------------------------------------- experiments (src/experiment.c) */
/* The one table of presets: architecture names and the tuned defaults of the rating models. "seed" (the
   tutorial), "mf" and "ncf" are what `bookrec train --arch` starts from (dim 32, 40 epochs); "mf128", "ncf128",
   "mf128-implicit" and "ncf128-implicit" are the tuned rows of `bookrec eval --all` (named there mf, ncf,
   mf-implicit, ncf-implicit) and `bookrec tune`'s starting points. */

/* The split every command makes unless told otherwise: a seeded 80/20 train/test split, and the share of the
   training part carved for validation when a model stops early (as numbers, so front-ends can print them). */
#define BOOKREC_SPLIT_SEED 1
#define BOOKREC_TEST_FRACTION 0.2
#define BOOKREC_VALID_FRACTION 0.1

/* The architecture (a preset's name) `bookrec train` and `bookrec tune` use unless told otherwise. */
#define BOOKREC_ARCH_DEFAULT "mf"

/* The name of an architecture ("seed", "mf", "ncf", "ease", "ials"; "unknown" out of range), static text. */
const char *bookrec_arch_name(bookrec_arch a);

/* Parses an architecture name into *out (may be NULL); BOOKREC_E_ARG when unknown. */
int bookrec_arch_parse(const char *name, bookrec_arch *out);

/* A model to train: config and training options, the validation share carved from training when to.patience > 0,
   and what the caller keeps owning: optional book tags (cfg.n_tags is taken from them), want-to-read pairs joining
   an implicit model's N(u), and id tables given to the model. */
typedef struct bookrec_spec {
    bookrec_model_config cfg;
    bookrec_train_options to;
    double valid_fraction;
    const bookrec_tag_weights *tags;
    const bookrec_pairs *to_read;
    const bookrec_ids *users, *items;
} bookrec_spec;

/* Fills s with preset `name` (train's names above); BOOKREC_E_ARG when there is none. */
int bookrec_preset(const char *name, bookrec_spec *s, bookrec_error *err);

/* Fills s with the preset of the evaluation row `row` ("seed", "mf", "ncf", "mf-implicit", "ncf-implicit");
   BOOKREC_E_ARG when there is none. */
int bookrec_preset_row(const char *row, bookrec_spec *s, bookrec_error *err);

/* The fields a preset fills when a front-end leaves them to it: s gets preset "seed" with dim, epochs and lr 0 and l2
   and patience -1 ("unset"); bookrec_preset_fill then sets s's architecture to preset `name`'s and fills the unset
   fields from it (BOOKREC_E_ARG when there is no such preset). */
void bookrec_spec_unset(bookrec_spec *s);
int bookrec_preset_fill(const char *name, bookrec_spec *s, bookrec_error *err);

/* The most epochs a front-end lets a model train for. */
#define BOOKREC_MAX_EPOCHS 10000

/* What a training run gave: epochs run, and the epoch (1-based) with the lowest validation RMSE and its figures
   (0 and NaN without validation). */
typedef struct bookrec_train_info {
    int epochs_run, best_epoch;
    double best_valid_rmse, best_valid_mae;
} bookrec_train_info;

/* Trains a new model of spec s (sizes and rating scale from d) on d->fit, choosing the epoch on d->valid, when
   s stops early and d has a validation part, else on all of d->train; *out is the caller's (bookrec_model_free). */
int bookrec_spec_train(const bookrec_spec *s, const bookrec_fit_data *d, bookrec_model **out,
                       bookrec_train_info *info, bookrec_error *err);

/* A new model of spec s for n_users x n_items on the given rating scale, with s's ids, tags and (cfg.implicit) the
   implicit sets of fit and s->to_read, where a user's test books never enter (test may be NULL; *added, may be NULL,
   counts the want-to-read pairs added); *out is the caller's (bookrec_model_free). */
int bookrec_spec_model(const bookrec_spec *s, int n_users, int n_items, float min_rating, float max_rating,
                       const bookrec_triples *fit, const bookrec_triples *test, bookrec_model **out, size_t *added,
                       bookrec_error *err);

/* Trains m on fit, evaluating on valid (may be NULL) after every epoch, and fills *info (may be NULL; the best epoch
   by validation RMSE when valid is given). With pack (and opt->shuffle_in_place, no group_users, no implicit sets,
   no tags) the ratings are packed first (bookrec_packed: the same model, less memory): fit's arrays are then
   consumed (fit keeps its count) and valid is packed and unpacked back; on_pack (may be NULL) hears of the packed
   ratings, or why they were not packed (the fields need more than 64 bits; training then uses the triples). */
int bookrec_train_fit(bookrec_model *m, bookrec_triples *fit, bookrec_triples *valid, const bookrec_train_options *opt,
                      int pack, void (*on_pack)(void *ctx, const bookrec_packed *pk, const char *why_not),
                      void *pack_ctx, bookrec_train_info *info, bookrec_error *err);

/* A spec as a row of a ranker table: the arg of bookrec_spec_ranker, owned by the caller. */
typedef struct bookrec_spec_row {
    bookrec_spec spec;
    bookrec_foldin_options foldin; /* new readers' fold-in; l2 0: matched to training's L2 */
    bookrec_train_info info;       /* the last fit's, filled by the ranker */
    void (*before_fit)(void *ctx, const bookrec_spec *s, const bookrec_fit_data *d); /* may be NULL */
    void *ctx;
} bookrec_spec_row;

/* A ranker that trains row->spec on each fit (bookrec_spec_train) and scores with the model. */
bookrec_ranker bookrec_spec_ranker(const char *name, bookrec_spec_row *row);

/* The model inside a score context the spec ranker's fit made (to evaluate its RMSE). */
bookrec_model *bookrec_spec_ranker_model(void *score_ctx);

/* A trained model's ranking of the dataset users for test knowing train (*model), beside popularity (training
   ratings >= the relevance threshold of ro's scale, *pop) on the same users. */
int bookrec_rank_trained(bookrec_model *m, const bookrec_triples *train, const bookrec_triples *test,
                         const bookrec_rank_options *ro, bookrec_rank_result *model, bookrec_rank_result *pop,
                         bookrec_error *err);

/* The new-reader figures of a spec (`bookrec train --rank`): the protocol over `all` with one reader seed, each reader
   folded in from 10 ratings, row's spec trained again without them (its validation carve when it stops early) into
   cell[0], popularity (liked) into cell[1]; *info (may be NULL) says how many readers were held out. */
int bookrec_spec_new_readers(const bookrec_triples *all, int n_users, int n_items, bookrec_spec_row *row,
                             const bookrec_rank_options *ro, bookrec_protocol_cell cell[2],
                             bookrec_protocol_info *info, bookrec_error *err);

/* What bookrec_dataset_run measured for one ranker. */
typedef struct bookrec_dataset_cell {
    double rmse, mae;          /* test RMSE and MAE of spec rankers (NaN for the others) */
    bookrec_rank_result rank;  /* the dataset users ranked for the test part (zero when not ranked) */
    double pop_rank;           /* mean popularity rank of the recommended books (NaN when not ranked) */
} bookrec_dataset_cell;

/* Options of bookrec_dataset_run. */
typedef struct bookrec_dataset_options {
    bookrec_rank_options rank; /* k, scale, max_users and threads of the ranking */
    int no_rank;               /* 1: only the spec rankers are fitted, for RMSE/MAE */
    double valid_fraction;     /* share of train carved into the rankers' validation part (bookrec_fit_data) */
    uint64_t seed;             /* ... with this seed */
    const float *pop_rank;     /* popularity rank per book, averaged over the lists (may be NULL) */
    /* called after each ranker with its figures (may be NULL), e.g. to show progress */
    void (*progress)(void *ctx, int ranker, const bookrec_dataset_cell *cell);
    void *progress_ctx;
} bookrec_dataset_options;

/* Fits each of the n rankers once on train (with the validation part carved from it), measures the spec rankers'
   (bookrec_spec_ranker) test RMSE and MAE and ranks the dataset users for the test part, into out[0..n). */
int bookrec_dataset_run(const bookrec_triples *train, const bookrec_triples *test, int n_users, int n_items,
                        float min_rating, float max_rating, const bookrec_ranker *rk, int n_rankers,
                        const bookrec_dataset_options *o, bookrec_dataset_cell *out, bookrec_error *err);

/* A hyper-parameter grid over a spec: the values tried for each (the caller's arrays, each at least one value). */
typedef struct bookrec_grid {
    const double *lr, *l2, *dim, *hidden, *l2_dense;
    int n_lr, n_l2, n_dim, n_hidden, n_l2_dense;
} bookrec_grid;

/* The number of points of g (the product of its list lengths). */
int bookrec_grid_size(const bookrec_grid *g);

/* *picks (new, *n_picks entries; free with bookrec_free) gets the points to run in grid order: all of them, or, with
   0 < trials < size, `trials` of them drawn with `seed` (the same seed, the same sample). */
int bookrec_grid_sample(const bookrec_grid *g, int trials, uint64_t seed, int32_t **picks, int *n_picks,
                        bookrec_error *err);

/* *out = base with point k's lr, l2, dim, hidden and l2_dense (k in 0..size-1; lr varies fastest). */
void bookrec_grid_spec(const bookrec_grid *g, int k, const bookrec_spec *base, bookrec_spec *out);

/* ------------------------------------------------------------- a training run (src/train_run.c) */

/* Ranking figures of a training run: the model's NDCG@k beside popularity's (training ratings >= the relevance
   threshold) on the same users, the model's HR@k and coverage@k, the users (or new readers) ranked and, for new
   readers, how many were held out of the second model. */
typedef struct bookrec_train_ranking {
    double ndcg, pop_ndcg, hr, coverage;
    int n_users, n_held;
} bookrec_train_ranking;

/* What a training run made: the model (the kept epoch's), the sizes of its parts, its history (per epoch, the test
   figures from the test part even when validation is carved; seconds are the caller's), the figures on the test
   part and, when asked, the rankings. After a failure, `failed` names the step ("split", "model", "training",
   "evaluate", "ranking", "new-reader protocol"; static text). */
typedef struct bookrec_train_run {
    bookrec_model *model;
    size_t n_ratings, n_fit, n_valid, n_test, to_read_added;
    bookrec_epoch_stats *history;
    int n_history, best_epoch;
    double test_mse, test_mae;
    bookrec_train_ranking users, new_readers;
    const char *failed;
} bookrec_train_run;

/* How a training run splits, ranks and reports (each callback may be NULL). */
typedef struct bookrec_train_run_options {
    double test_fraction;
    uint64_t split_seed;
    int rank;                          /* 1: rank dataset users and new readers (the training part is then never
                                          packed: the rankings need its arrays) */
    bookrec_rank_options rank_options; /* k and threads of the rankings (the scale is the ratings'; no threads named:
                                          the new-reader row's) */
    bookrec_spec_row *new_readers;     /* with rank: the second model's row (the spec without ids), the caller's */
    void (*on_split)(void *ctx);
    void (*on_model)(void *ctx, const bookrec_model *m, const bookrec_train_run *run); /* before training; the
                                          part sizes and to_read_added are set */
    void (*on_pack)(void *ctx, const bookrec_packed *pk, const char *why_not); /* as bookrec_train_fit's */
    /* after each epoch: e is its history entry (test figures from the test part; the caller may set seconds),
       valid the validation part's figures when validation is carved (else NULL); non-zero stops training */
    int (*on_epoch)(void *ctx, bookrec_epoch_stats *e, const bookrec_epoch_stats *valid);
    void (*on_trained)(void *ctx);     /* after training, also when it failed */
    void (*on_ranked)(void *ctx, int new_readers, const bookrec_train_ranking *f);
    void *ctx;
} bookrec_train_run_options;

/* `bookrec train`'s experiment for spec (tags and want-to-read pairs in it, its to.epochs at most): splits r (taking
   r->all's arrays unless o->rank), builds the model with r's ids (bookrec_spec_model), trains it on the training part
   or, when it stops early, on the fit part validating on the carved part (bookrec_train_fit), measures it on the
   test part and, with o->rank, ranks; *res is the caller's (bookrec_train_run_free), also after a failure. */
int bookrec_train_run_make(bookrec_ratings *r, const bookrec_spec *spec, const bookrec_train_run_options *o,
                           bookrec_train_run *res, bookrec_error *err);

/* Frees res's model and history and zeroes it. */
void bookrec_train_run_free(bookrec_train_run *res);

/* ------------------------------------------------------------- hyper-parameter search (src/tune.c) */

/* The lists a search tries when none is given (comma-separated, as front-ends show them): the tutorial's network,
   and mf/ncf; hidden defaults to the spec's, l2-dense to 0. */
#define BOOKREC_TUNE_LR_SEED "0.001,0.003"
#define BOOKREC_TUNE_LR_MF "0.001,0.003,0.01"
#define BOOKREC_TUNE_L2_SEED "0,0.01"
#define BOOKREC_TUNE_L2_MF "0.01,0.03,0.1"
#define BOOKREC_TUNE_DIM_SEED "15"
#define BOOKREC_TUNE_DIM_MF "16,32,64"
#define BOOKREC_GRID_MAX 16 /* values per list */

/* The values of a parsed grid (bookrec_grid points into them). */
typedef struct bookrec_grid_lists {
    double lr[BOOKREC_GRID_MAX], l2[BOOKREC_GRID_MAX], dim[BOOKREC_GRID_MAX], hidden[BOOKREC_GRID_MAX],
        l2_dense[BOOKREC_GRID_MAX];
} bookrec_grid_lists;

/* Fills *g (pointing into *v) from the comma-separated lists[0..5) of lr, l2, dim, hidden and l2-dense (NULL: the
   default above for base's architecture); mf keeps base's hidden and no dense L2. BOOKREC_E_ARG with a message
   naming the list ("lr values must be > 0") when a list is empty, not numbers, longer than BOOKREC_GRID_MAX or out
   of range. */
int bookrec_grid_parse(const char *const lists[5], const bookrec_spec *base, bookrec_grid_lists *v, bookrec_grid *g,
                       bookrec_error *err);

/* What picks the best run of a search: the lowest validation RMSE, or the highest validation NDCG@k. */
typedef enum { BOOKREC_TUNE_RMSE = 0, BOOKREC_TUNE_NDCG = 1 } bookrec_tune_metric;

/* One run of a search: its grid point and values, its training (epochs run, best epoch and that epoch's validation
   RMSE/MAE) and the ranking of the validation users. */
typedef struct bookrec_tune_trial {
    int point;
    float lr, l2, l2_dense;
    int dim, hidden;
    bookrec_train_info info;
    double ndcg, hr;
    int rank_users;  /* validation users ranked */
    double seconds;  /* wall time, measured by the caller (after_trial may set it); the core leaves 0 */
} bookrec_tune_trial;

/* What every run of a search shares, over its architecture's preset (bookrec_tune_base). */
typedef struct bookrec_tune_settings {
    int epochs, patience;      /* the cap, and the stop rule that picks the epochs (> 0) */
    double valid_fraction;     /* the validation share carved from the training part */
    uint64_t seed;             /* initialisation and shuffling */
    int batch;                 /* 0: the preset's */
    float l2_row;
    int implicit, group_users; /* implicit runs group users */
} bookrec_tune_settings;

/* A search: every run is `base` (epochs the cap, patience > 0 the stop rule, valid_fraction the validation share)
   with a grid point's values. */
typedef struct bookrec_tune_options {
    bookrec_tune_settings settings;
    bookrec_spec base;          /* set by bookrec_tune_base */
    bookrec_grid grid;
    int trials;                 /* > 0: a seeded sample of this many points; 0: the whole grid */
    uint64_t trial_seed;
    bookrec_tune_metric metric;
    double test_fraction;       /* the train/test split (bookrec_split), its test part never read */
    uint64_t split_seed;
    bookrec_rank_options rank;  /* k, max_users and threads of the validation ranking (the scale is the ratings'; no
                                   threads named: base's training threads) */
    /* progress (each may be NULL): the runs and the fit data once the split is made, each run before and after */
    void (*on_start)(void *ctx, int n_runs, const bookrec_fit_data *d);
    void (*before_trial)(void *ctx, int run, int n_runs, const bookrec_tune_trial *t);
    void (*after_trial)(void *ctx, int run, int n_runs, bookrec_tune_trial *t);
    void *ctx;
} bookrec_tune_options;

/* Fills o with the search's defaults: the epochs, patience and seed of preset BOOKREC_ARCH_DEFAULT ("mf"),
   BOOKREC_VALID_FRACTION, the whole grid (trial seed 1), by RMSE, the split of BOOKREC_TEST_FRACTION and
   BOOKREC_SPLIT_SEED, and 5000 validation users ranked at k 10. */
void bookrec_tune_options_default(bookrec_tune_options *o);

/* Sets o->base to the preset of evaluation row `row` ("seed", "mf", "ncf") with o->settings; BOOKREC_E_ARG when
   there is no such row or it is an implicit one (implicit runs come from settings.implicit). */
int bookrec_tune_base(bookrec_tune_options *o, const char *row, bookrec_error *err);

/* What a search ran: the runs in grid order, the best one's index and its spec. */
typedef struct bookrec_tune_result {
    bookrec_tune_trial *runs;
    int n_runs, best;
    bookrec_spec best_spec;  /* base with the best run's values */
    bookrec_spec best_fixed; /* the same with the best run's epoch count fixed and no validation carve */
} bookrec_tune_result;

/* Splits r (test part set aside unread), carves the validation part from training as bookrec_split_parts_make
   does, and trains and ranks every sampled point of o->grid; *res is the caller's
   (bookrec_tune_result_free). */
int bookrec_tune_run(const bookrec_ratings *r, const bookrec_tune_options *o, bookrec_tune_result *res,
                     bookrec_error *err);

/* Frees res's runs and zeroes it. */
void bookrec_tune_result_free(bookrec_tune_result *res);

/* ------------------------------------------------------------- model tensors (src/inspect.c) */

/* Read-only view of a named parameter tensor ("item_emb", "user_emb", ...): returns its rows x cols
   row-major floats (owned by the model), or NULL when the model has no such tensor. */
const float *bookrec_model_tensor(bookrec_model *m, const char *name, int *rows, int *cols);

/* Describes tensor t (0, 1, ... in the model's order): sets *name (static text; NULL when t is out of range), *rows,
   *cols and *part (BOOKREC_PART_ITEMS or BOOKREC_PART_USERS), any of them may be NULL, and returns its rows x cols
   row-major floats (owned by the model; NULL for integer tensors and when t is out of range). */
const float *bookrec_model_tensor_at(bookrec_model *m, int t, const char **name, int *rows, int *cols, int *part);

/* ------------------------------------------------------------- factors trained elsewhere (src/factors.c) */

/* Parses "w1,w2,w3,w4,w5" (finite numbers, any sign) into w: the rating weights at the scale's knots. */
int bookrec_parse_weights(const char *s, float w[BOOKREC_WEIGHT_KNOTS], bookrec_error *err);

/* A factor table's rows joined with a catalogue by id. */
typedef struct bookrec_factors_join {
    int n;                /* rows joined: the catalogue's ids that have a row */
    int32_t *rows;        /* [n]: the table row of each, in the catalogue's order */
    bookrec_ids *ids;     /* [n]: their ids */
    int n_catalogue;      /* ids in the catalogue */
    int n_missing;        /* of those, ids without a row */
    int32_t *missing;     /* [n_missing]: their catalogue indices */
    int n_extra;          /* table rows whose id is not in the catalogue */
    int first_extra;      /* the first of them, or -1 */
} bookrec_factors_join;

/* Joins the table whose row k has id bookrec_ids_get(row_ids, k) with the catalogue cat (NULL: every row, in the
   table's order); *out is new (free it with bookrec_factors_join_free). */
int bookrec_factors_join_create(const bookrec_ids *row_ids, const bookrec_ids *cat, bookrec_factors_join **out,
                                bookrec_error *err);

/* Frees j (NULL is fine). */
void bookrec_factors_join_free(bookrec_factors_join *j);

/* A new iALS model (*out; free it with bookrec_model_free) of the joined rows of the book factors item_v and the
   reader factors user_v (dim floats a row), ids from the joins, the rating scale min_rating..max_rating, and the
   fold-in settings fold_in (as bookrec_ials_set_options takes them). */
int bookrec_ials_from_factors(const float *item_v, const bookrec_factors_join *items, const float *user_v,
                              const bookrec_factors_join *users, int dim, float min_rating, float max_rating,
                              const bookrec_ials_options *fold_in, bookrec_model **out, bookrec_error *err);

/* ------------------------------------------------------------- export encodings (src/export.c) */
/* The files `bookrec export` writes, encoded into new buffers (free them with bookrec_free). */

/* FNV-1a 64 of p[0..n) (src/modelfile.c): the export's identity of a model file. */
uint64_t bookrec_fnv1a64(const void *p, size_t n);

/* map.bin, the site's book map: "BKMP", u32 version 1, u32 n_items, u32 0, then f32 x_lo, x_hi, y_lo, y_hi and
   n_items (x, y) u16 pairs on a grid over those ranges (little-endian), from bookrec_model_layout2d with coordinates
   past 4 standard deviations pulled in to it; *out is new, *len its bytes. Fails as the layout does. */
int bookrec_map_encode(bookrec_model *m, uint8_t **out, size_t *len, bookrec_error *err);

/* One factor table as Spark's ALS writes it with write.json: one {"id":ID,"features":[...]} per line for the rows
   x cols floats v (row i's id is ids' i-th; an integer id is written as a number, others as strings), floats in
   their shortest text that reads back the same; *out is new (NUL-terminated), *len its bytes. */
int bookrec_als_json(const bookrec_ids *ids, const float *v, int rows, int cols, char **out, size_t *len,
                     bookrec_error *err);

/* The Embedding Projector's files for the rows x cols book vectors emb: *vecs one tab-separated row per line,
   *meta the matching titles of `books` (the model's item id when a book has none; tabs and line breaks made
   spaces), one per line; both new (NUL-terminated), lengths in *vecs_len and *meta_len. books may be NULL. */
int bookrec_projector_tsv(const float *emb, int rows, int cols, const bookrec_items *books, const bookrec_ids *items,
                          char **vecs, size_t *vecs_len, char **meta, size_t *meta_len, bookrec_error *err);

/* How much two top-N models of the same readers agree (an export against the model it came from). */
typedef struct bookrec_list_agreement {
    int readers;       /* dataset readers compared */
    long same, total;  /* books of a's top lists also in b's, of all of a's */
    double worst;      /* the largest change of any score */
} bookrec_list_agreement;

/* Compares the top-k lists (and every score) of a and b for their first max_readers dataset readers. */
int bookrec_topn_agreement(bookrec_model *a, bookrec_model *b, int max_readers, int k, bookrec_list_agreement *out,
                           bookrec_error *err);

/* ------------------------------------------------------------- a 2-D map of the books (src/layout.c) */

/* Writes a 2-D position of every book into xy[0 .. 2*n_items) (x0, y0, x1, y1, ...), each axis centred with unit
   standard deviation: the first two principal components of item_emb for models with book vectors (seed, mf, ncf,
   ials), a spectral layout of the kept rows of B for EASE. Deterministic. Returns BOOKREC_OK or an error code. */
int bookrec_model_layout2d(bookrec_model *m, float *xy, bookrec_error *err);

/* ------------------------------------------------------------- the evaluation experiment (src/evaluation.c) */
/* The experiment of `bookrec eval` on one train/test split, over a table of rankers: popularity (the global-mean
   row), book bias, popularity of liked books, one trained row per architecture of a list (a preset row of
   bookrec_preset_row, or a top-N row: "ease", "easeK" with K entries kept per row of B, "ials", "ialsD" with D
   factors, "ease+ialsD@BETA" blending EASE with beta times iALS). Each row is fitted once on the training part for
   test RMSE/MAE (trained rating models) and the dataset users' rankings, loaded models are ranked for the dataset
   users, then the new-reader protocol (bookrec_protocol_run) runs over the table, and NDCG is set relative to the
   better popularity row. Figures go to the caller's table through a sink; progress comes back through callbacks. */

#define BOOKREC_EASE_MAX_K 1024 /* most entries an EASE model keeps per row of B */

/* The caller's table. The sink copies keys, titles, names and notes; add_col finds an existing key. */
typedef struct bookrec_eval_sink {
    void *ctx;
    int (*add_col)(void *ctx, const char *key, const char *title, int decimals); /* returns the column index */
    int (*add_row)(void *ctx, const char *name, const char *note);               /* returns the row index */
    void (*set)(void *ctx, int row, const char *key, double value);
    /* a figure over seeds: mean and sample standard deviation, minimum, maximum */
    void (*set_stat)(void *ctx, int row, const char *key, double mean, double sd, double min, double max);
    double (*get)(void *ctx, int row, const char *key); /* NaN when not set */
    int (*n_rows)(void *ctx);
} bookrec_eval_sink;

/* A table of figures, rows by columns, that bookrec_eval_run can fill through bookrec_eval_table_sink. Values are
   NaN until set; a figure over seeds also has its standard deviation, minimum and maximum (NaN for a single one). */
#define BOOKREC_EVAL_MAX_COLS 40
#define BOOKREC_EVAL_MAX_ROWS 32
typedef struct bookrec_eval_col {
    char key[40];   /* JSON key, e.g. "rmse" */
    char title[40]; /* column title, e.g. "RMSE" */
    int decimals;
} bookrec_eval_col;
typedef struct bookrec_eval_row {
    char name[96];
    char note[320];
    double v[BOOKREC_EVAL_MAX_COLS], sd[BOOKREC_EVAL_MAX_COLS], lo[BOOKREC_EVAL_MAX_COLS], hi[BOOKREC_EVAL_MAX_COLS];
} bookrec_eval_row;
typedef struct bookrec_eval_table {
    bookrec_eval_col col[BOOKREC_EVAL_MAX_COLS];
    int n_cols;
    bookrec_eval_row row[BOOKREC_EVAL_MAX_ROWS];
    int n_rows;
    int overflow; /* 1 when a column or row did not fit (add_col / add_row returned -1) */
} bookrec_eval_table;

/* Empties t (caller-owned storage, no allocation). */
void bookrec_eval_table_init(bookrec_eval_table *t);

/* The sink writing into t. */
bookrec_eval_sink bookrec_eval_table_sink(bookrec_eval_table *t);

/* Renders t as text into a new string *out (free with bookrec_free): blocks of at most 6 columns, names left and
   figures right aligned ("mean±sd" for figures over seeds, "-" when not set), the notes after the last block. */
int bookrec_eval_table_text(const bookrec_eval_table *t, char **out, bookrec_error *err);

/* Renders the caption and t as one Markdown table into a new string *out (free with bookrec_free). */
int bookrec_eval_table_markdown(const bookrec_eval_table *t, const char *caption, char **out, bookrec_error *err);

/* Progress of bookrec_eval_run (any callback may be NULL). */
typedef struct bookrec_eval_progress {
    void *ctx;
    /* a trained row of table row `row` is set up, before any fit (e.g. to hook its before_fit and on_epoch) */
    void (*spec_row)(void *ctx, int row, bookrec_spec_row *sr);
    /* a top-N fit starts on n_ratings training ratings: EASE's dense B (once per training part), or iALS of dim */
    void (*topn_fit)(void *ctx, bookrec_arch arch, int dim, size_t n_ratings);
    /* table row `row` (ranker `name`; sr its trained row, else NULL) was fitted on the split and measured */
    void (*dataset)(void *ctx, int row, const char *name, const bookrec_spec_row *sr, const bookrec_dataset_cell *c);
    /* loaded model j was ranked for the dataset users */
    void (*loaded)(void *ctx, int j, const bookrec_rank_result *res);
    /* one ranking of the new-reader protocol: seed index, ranker name, variant title ("new5 ", "new ", "loved ") */
    void (*protocol)(void *ctx, int seed_index, const char *name, const char *variant, const bookrec_rank_result *res,
                     double pop_rank);
    /* something the user should know (a loaded model whose id tables differ from the data's) */
    void (*warn)(void *ctx, const char *message);
} bookrec_eval_progress;

/* Options of bookrec_eval_run; bookrec_eval_options_default gives the defaults noted. */
typedef struct bookrec_eval_options {
    int no_rank;               /* 1: RMSE/MAE of the trained rows only, no ranking */
    const char *archs;         /* comma-separated trained rows (NULL or "": none) */
    const char *row_suffix;    /* appended to the trained rows' names (NULL: none) */
    int k;                     /* list length (10) */
    int max_users;             /* dataset users ranked, evenly spaced (0: all) */
    int new_readers;           /* readers held out for the new-reader protocol (1000) */
    int new_reader_min;        /* ... each with at least this many ratings (20) */
    int foldin_ratings;        /* ... folded in from this many (10), or only the loved ones among them */
    int foldin_few;            /* ... or from this many (5) */
    int seeds;                 /* reader seeds reader_seed, +1, ... (3) */
    uint64_t reader_seed;      /* (1) */
    bookrec_foldin_options foldin; /* fold-in of the trained rows' new readers (l2 0: matched to training's) */
    uint64_t split_seed;       /* the split's seed: the validation part is carved with split_seed + 1 */
    int row_mean, row_bias;    /* the caller's rows of the global mean (popularity) and the bias baseline (0, 1) */
    int row_models;            /* loaded model j's row is row_models + j (2) */
    int n_tasks;               /* training and ranking run in this many slices through parallel (1) */
    bookrec_parallel_fn parallel; /* NULL: in turn */
    void *parallel_ctx;
    bookrec_eval_progress progress;
} bookrec_eval_options;

/* Fills o with the defaults above. */
void bookrec_eval_options_default(bookrec_eval_options *o);

/* Checks o: the numbers, then each name of o->archs in order (a message naming the first bad one). */
int bookrec_eval_check(const bookrec_eval_options *o, bookrec_error *err);

/* Adds the RMSE and MAE columns and the rows of the global mean and the user+book bias baseline (bias options bo,
   may be NULL) fitted on train and scored on test, in that order. */
int bookrec_eval_baselines(const bookrec_triples *train, const bookrec_triples *test, int n_users, int n_items,
                           const bookrec_bias_options *bo, const bookrec_eval_sink *sink, bookrec_error *err);

/* Runs the experiment on the split train/test of r into the sink, whose rows o->row_mean, o->row_bias and
   o->row_models + j (j < n_models) exist: adds the ranking columns, the row of liked popularity and the trained
   rows. models[j] (prepared here) get the dataset-user columns only; *info (may be NULL) gets what the protocol did,
   *caption (may be NULL) a new string describing the protocol (free with bookrec_free). With o->no_rank and no
   trained rows it does nothing. */
int bookrec_eval_run(const bookrec_ratings *r, const bookrec_triples *train, const bookrec_triples *test,
                     bookrec_model **models, int n_models, const bookrec_eval_options *o,
                     const bookrec_eval_sink *sink, bookrec_protocol_info *info, char **caption, bookrec_error *err);

/* The persona suite of a model (src/personas.c): each taste's books from the shelves sh of the model's books
   (bookrec_tastes_books; titles[i] may be NULL), then a persona per taste through the model (prepared here, new
   readers folded in with fo, may be NULL) into res[0..n) and through the popularity ranking into pop_res[0..n),
   seeds chosen by popularity: the ratings of r per model book. */
int bookrec_persona_suite(bookrec_model *m, const bookrec_ratings *r, const bookrec_shelves *sh, bookrec_taste *ts,
                          int n, const char *const *titles, const bookrec_persona_options *po,
                          const bookrec_foldin_options *fo, bookrec_persona_result *res,
                          bookrec_persona_result *pop_res, bookrec_error *err);

/* The mean share over the tastes of res[0..n) that have one (NaN when none has). */
double bookrec_persona_mean_share(const bookrec_persona_result *res, int n);

#ifdef __cplusplus
}
#endif
#endif /* BOOKREC_H */
