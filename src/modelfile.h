/*
 * modelfile.h - what the model file's writer (modelfile_write.c) and reader (modelfile_read.c) share inside the
 * core: the format's constants (models/README.md specifies the format) and the helpers both sides must compute
 * alike (modelfile.c): how each tensor is stored, quantised rows, sizes, and the model identity both part files
 * carry. Private to src/; front-ends use bookrec_model_save / bookrec_model_load.
 */
#ifndef BOOKREC_MODELFILE_H
#define BOOKREC_MODELFILE_H

#include "internal.h"

#define MF_MAGIC "BOOKREC\0"
#define MF_VERSION 1u              /* seed, mf, ncf files */
#define MF_VERSION_TOPN 2u         /* ease, ials files: a longer header and integer tensors */
#define MF_HEADER_BYTES 88u        /* fixed header after magic, version and this size field (version 1) */
#define MF_HEADER_BYTES_V2 96u     /* version 2: + u64 n_entries */
#define MF_U16 3                   /* integer tensors (top-N indices), unsigned 16-bit */
#define MF_I32 4                   /*   or signed 32-bit, values 0..imax of the model's listing */
#define MF_D16 5                   /*   or, when every row is non-decreasing, U16 deltas from the previous value of
                                        the row (the first from 0): small numbers that compress well */
#define MF_MAX_TENSORS 64u
#define MF_MAX_NAME 64u
#define MF_MAX_ID_LEN 65535u
#define MF_MAX_ENTITIES (1u << 25) /* users or items */
#define MF_MAX_FLOATS ((size_t)1 << 27) /* (n_users + n_items) x (dim + 1): at most 512 MB of floats */

enum { IDS_NONE = 0, IDS_LIST = 1, IDS_RANGE = 2 };

/* Quantises x[0..n) to q[0..n) int8 with one scale per row; returns the scale (the value of q = 1). */
float br_mf_q8_row(const float *x, int n, int8_t *q);

/* How a float tensor named `name` is stored for embedding dtype dt (dt < 0: F32). */
int br_mf_stored_dtype(const char *name, int dt);

/* How an integer tensor is stored: MF_D16, MF_U16 or MF_I32. */
int br_mf_int_dtype(const br_tensor *t);

/* Bytes of a stored tensor of rows x cols in dtype dt. */
size_t br_mf_tensor_bytes(int dt, size_t rows, size_t cols);

/* "NaN", "+Inf" or "-Inf", for messages. */
const char *br_mf_nonfinite_name(float x);

/* The model identity (config, item ids, item-side values as a loader of dtype dt would see them; dt < 0: as they
   are), stored in both part files so a users part can be matched to its item side. */
uint64_t br_mf_identity(bookrec_model *m, int dt);

#endif
