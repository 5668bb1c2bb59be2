/*
 * inspect.c - read-only access to a model's named parameter tensors for front-ends that must write
 * them out in another layout (the CLI's Embedding Projector export: one book embedding row per line; the
 * browser module's tensors(), listed by position with bookrec_model_tensor_at).
 * It is not a way to change parameters and does no I/O; the model file format lives in modelfile.c.
 */
#include "internal.h"

#include <string.h>

const float *bookrec_model_tensor(bookrec_model *m, const char *name, int *rows, int *cols) {
    if (rows) *rows = 0;
    if (cols) *cols = 0;
    if (!m || !name) return NULL;
    br_tensor t[32];
    int n = br_model_tensors(m, t, 32);
    if (n > 32) n = 32;
    for (int i = 0; i < n; i++) {
        if (t[i].name && !strcmp(t[i].name, name)) {
            if (rows) *rows = t[i].rows;
            if (cols) *cols = t[i].cols;
            return t[i].data;
        }
    }
    return NULL;
}

const float *bookrec_model_tensor_at(bookrec_model *m, int t, const char **name, int *rows, int *cols, int *part) {
    if (name) *name = NULL;
    if (rows) *rows = 0;
    if (cols) *cols = 0;
    if (part) *part = 0;
    br_tensor ts[32];
    if (!m || t < 0) return NULL;
    int n = br_model_tensors(m, ts, 32);
    if (t >= n || t >= 32) return NULL;
    if (name) *name = ts[t].name;
    if (rows) *rows = ts[t].rows;
    if (cols) *cols = ts[t].cols;
    if (part) *part = ts[t].part;
    return ts[t].data;
}
