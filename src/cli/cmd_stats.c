/*
 * cmd_stats.c - `bookrec stats`: what the tutorial printed about the data (rows, users, books, missing
 * values, the rating histogram) plus what bookrec does to it (duplicate pairs merged, conflicting ones,
 * rows skipped) and how long reading and parsing the CSV took; the counting is the core's (src/dataset.c). A
 * malformed row stops it with FILE:LINE, as in every command, unless --skip-bad, which skips and counts them. Reads
 * only; writes nothing.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_stats(int argc, char **argv) {
    cli_data_opts d = {0};
    cli_opt opts[] = {CLI_DATA_FLAGS(&d)};
    cli_parse("stats", "bookrec stats [--data DIR] [--ratings FILE]", opts, (int)(sizeof opts / sizeof opts[0]),
              argc, argv);
    cli_set_noun(&d);

    const char *path = cli_ratings_path(&d);
    double t0 = cli_now();
    size_t len = 0;
    char *buf = cli_read_file(path, &len);
    if (!buf) cli_die("%s: cannot read (give --data DIR with ratings.csv in it, or --ratings FILE)", path);
    double t1 = cli_now();
    bookrec_ratings *r = cli_parse_ratings(&d, path, buf, len); /* bad rows: FILE:LINE, or counted with --skip-bad */
    double t2 = cli_now();

    const char *names[3] = {d.user_col ? d.user_col : "user_id", d.item_col ? d.item_col : "book_id",
                            d.rating_col ? d.rating_col : "rating"};
    size_t empty[3] = {0, 0, 0};
    bookrec_error err = {0};
    cli_check(bookrec_csv_count_empty(buf, len, names, 3, empty, &err), &err, NULL);
    free(buf);

    char a[32], b[32], c[32];
    int n_users = bookrec_ids_count(r->users), n_items = bookrec_ids_count(r->items);
    printf("ratings file      %s (%s)\n", path, cli_bytes((long long)len, a));
    printf("rows              %s\n", cli_group(r->rows_read, a));
    printf("users             %s\n", cli_group((size_t)n_users, a));
    printf("%-17s %s\n", cli_noun(1), cli_group((size_t)n_items, a));
    printf("missing values    %s %zu, %s %zu, %s %zu\n", names[0], empty[0], names[1], empty[1], names[2], empty[2]);
    printf("rows skipped      %s (missing or malformed fields)\n", cli_group(r->rows_skipped, a));
    printf("duplicates        %s (user, %s) pairs merged keeping the last, %s with conflicting ratings\n",
           cli_group(r->duplicates, b), cli_noun(0), cli_group(r->conflicting, c));
    printf("ratings kept      %s\n", cli_group(r->all.n, a));
    printf("rating scale      %g..%g%s\n", (double)r->min_rating, (double)r->max_rating,
           r->integral ? " (whole stars)" : "");
    double density = n_users && n_items ? (double)r->all.n / ((double)n_users * (double)n_items) : 0;
    printf("density           %.4f%% of user x %s pairs rated\n", 100.0 * density, cli_noun(0));

    /* histogram in half-star bins over the kept ratings */
    bookrec_histogram *h = NULL;
    cli_check(bookrec_ratings_histogram(r, &h, &err), &err, NULL);
    printf("mean rating       %.3f\n", h->mean);
    printf("rating histogram  (kept ratings)\n");
    for (int k = 0; k < h->n_bins; k++) {
        if (!r->integral || k % 2 == 0) {
            int bar = (int)(40.0 * (double)h->count[k] / (double)h->max + 0.5);
            printf("  %4.1f %10s %5.1f%%  ", (double)(r->min_rating + 0.5f * (float)k), cli_group(h->count[k], a),
                   r->all.n ? 100.0 * (double)h->count[k] / (double)r->all.n : 0.0);
            for (int q = 0; q < bar; q++) fputs("#", stdout);
            putchar('\n');
        }
    }
    bookrec_histogram_free(h);
    printf("read time         %.3f s\n", t1 - t0);
    printf("CSV parse time    %.3f s\n", t2 - t1);
    bookrec_ratings_free(r);
    return 0;
}
