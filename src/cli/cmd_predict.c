/*
 * cmd_predict.c - `bookrec predict`: reads a CSV of (user_id, book_id) pairs of external ids and prints
 * `user_id,book_id,prediction` per pair with %.6f, in input order. The browser tests compare the
 * WebAssembly module against this output. A header line (user_id,book_id in either order) is optional
 * and is echoed as `user_id,book_id,prediction`. An id the model does not know is an error naming the
 * file and line. The pairs are read by the core (bookrec_pairs_parse). Not a bulk scorer for ranking: see recommend.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_predict(int argc, char **argv) {
    const char *model_path = cli_default_model(), *pairs = NULL;
    cli_data_opts d = {0}; /* only its noun */
    cli_opt opts[] = {
        {"model", 'm', CLI_STR, &model_path, "FILE", "model file (with its user part)", "<project>/models/model.bkr"},
        {"pairs", 'p', CLI_STR, &pairs, "FILE", "CSV of user_id,book_id pairs (external ids; '-' for stdin)", "none"},
        {"noun", 0, CLI_STR, &d.noun, "WORD[/PLURAL]", "what the items are, in messages (e.g. movie)", "book"},
    };
    cli_parse("predict", "bookrec predict --model FILE --pairs FILE", opts, (int)(sizeof opts / sizeof opts[0]), argc,
              argv);
    if (!pairs) cli_usage_die("predict", "predict: --pairs FILE is required");
    cli_set_noun(&d);

    bookrec_model *m = cli_load_model(model_path);
    if (!bookrec_model_has_users(m))
        cli_die("%s: the model has no user part; use the full model file (or one with its users loaded)", model_path);
    const bookrec_ids *users = bookrec_model_users(m), *items = bookrec_model_items(m);
    if (!users || !items) cli_die("%s: the model carries no id tables", model_path);

    size_t len = 0;
    char *buf = !strcmp(pairs, "-") ? cli_read_file("/dev/stdin", &len) : cli_read_file(pairs, &len);
    if (!buf) cli_die("%s: cannot read the pairs file", pairs);

    bookrec_error err = {0};
    bookrec_pairs *pp = NULL;
    bookrec_pairs_options po = {1, 1, cli_noun(0)};
    if (bookrec_pairs_parse(buf, len, pairs, users, items, &po, &pp, &err) != BOOKREC_OK) cli_die("%s", err.msg);
    size_t n = pp->n;
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) cli_die("out of memory");
    if (n) cli_check(bookrec_model_predict_many(m, pp->user, pp->item, n, out, &err), &err, "predict");
    if (pp->header) fputs("user_id,book_id,prediction\n", stdout);
    for (size_t k = 0; k < n; k++)
        printf("%s,%s,%.6f\n", bookrec_ids_get(users, pp->user[k]), bookrec_ids_get(items, pp->item[k]),
               (double)out[k]);
    free(out);
    bookrec_pairs_free(pp);
    free(buf);
    bookrec_model_free(m);
    return 0;
}
