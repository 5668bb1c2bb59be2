/*
 * main.c - the `bookrec` command: dispatches to one sub-command per cmd_*.c file and prints the top-level
 * help and version. Each command parses its own flags (and prints its own --help with every default).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static const cli_command commands[] = {
    {"stats", "dataset statistics: rows, users, books, missing values, rating histogram, duplicates",
     "bookrec stats [--data DIR]", cmd_stats},
    {"train", "train a model; writes the model, its training history (JSON) and loss curves (SVG)",
     "bookrec train [--arch seed|mf|ncf|ease] [--epochs 5] [--out models/model.bkr]", cmd_train},
    {"eval", "test RMSE/MAE and ranking (dataset users, new readers over seeds) beside the baselines; --personas: "
     "taste tests", "bookrec eval [--model FILE] [--all] [--seeds 3] [--personas] [--report FILE]", cmd_eval},
    {"recommend", "top-k books for a dataset user or a new reader (--rate, --rated), leaving out rated books",
     "bookrec recommend (--user ID | --rate 1:5,27:4 | --rated FILE) [-k 10] [--explain]", cmd_recommend},
    {"similar", "nearest books by cosine of the book embeddings", "bookrec similar --book ID [-k 10]", cmd_similar},
    {"predict", "predicted ratings for user_id,book_id pairs from a CSV", "bookrec predict --pairs FILE", cmd_predict},
    {"tune", "a small documented hyper-parameter search for one architecture",
     "bookrec tune [--arch mf] [--trials N]", cmd_tune},
    {"export", "write the browser's files (model parts, books.json, projector TSVs, manifest) into models/",
     "bookrec export [--model FILE] [--out models/]", cmd_export},
    {"import-als", "make an ials model file from implicit ALS factors trained elsewhere (Spark's JSON part files)",
     "bookrec import-als --items DIR --users DIR [--alpha X --reg-param X] -o FILE", cmd_import_als},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f) {
    fprintf(f,
            "bookrec %s - a book recommender: train natively, recommend, export for the browser.\n\n"
            "Usage: bookrec COMMAND [OPTIONS]\n\nCommands:\n",
            BOOKREC_VERSION_STRING);
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\nRun 'bookrec COMMAND --help' for a command's options and their defaults.\n"
            "Other options: --help, --version.\n"
            "Data is looked for in --data DIR, $BOOKREC_DATA, ../shared/data/goodbooks-10k, then data/.\n");
}

int main(int argc, char **argv) {
#ifdef __GLIBC__
    /* a fixed threshold: glibc's own grows to 32 MB after the parse frees its rows, and then keeps the training
       buffers in a heap it cannot give back (15 MB more at the peak on a 10 M-rating file) */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            for (int i = 0; i < N_COMMANDS; i++)
                if (!strcmp(commands[i].name, argv[2])) {
                    char *args[] = {argv[2], "--help", NULL};
                    return commands[i].run(2, args);
                }
        }
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("bookrec %s (kernels: %s)\n", BOOKREC_VERSION_STRING, bookrec_kernel_name());
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, cmd)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "bookrec: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
