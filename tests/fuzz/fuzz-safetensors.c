/* Fuzz target for the safetensors reader (engine/models/dg-safetensors).
 *
 * Parses the input without copying it (so a read past the end is caught by
 * ASan), touches every byte of every tensor and of the metadata, and checks
 * one property: a file that parses, written again by dg_st_writer, parses to
 * the same tensors and metadata.  Any violation aborts. */
#include "models/dg-safetensors.h"

/* The code under test is compiled into this file, so that it gets the fuzz
 * target's flags (as in fuzz-csv.c): the engine library is built without
 * -fsanitize=fuzzer, which would leave libFuzzer blind to the parser's
 * branches.  (The library's copies of these objects are then not linked.) */
#include "models/dg-safetensors-header.c"
#include "models/dg-safetensors-writer.c"
#include "models/dg-safetensors.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(gboolean ok, const char *what)
{
    if (!ok) {
        g_printerr("fuzz-safetensors: property violated: %s\n", what);
        abort();
    }
}

static void same_content(const dg_st *a, const dg_st *b)
{
    check(dg_st_n_tensors(a) == dg_st_n_tensors(b), "tensor count survives a rewrite");
    for (int i = 0; i < dg_st_n_tensors(a); i++) {
        const dg_st_tensor *x = dg_st_tensor_at(a, i), *y = dg_st_find(b, x->name);
        check(y != NULL, "tensor name survives a rewrite");
        check(x->dtype == y->dtype && x->ndim == y->ndim && x->nbytes == y->nbytes,
              "tensor dtype and size survive a rewrite");
        check(memcmp(x->shape, y->shape, sizeof(int64_t) * (size_t)x->ndim) == 0,
              "tensor shape survives a rewrite");
        check(x->nbytes == 0 || memcmp(x->data, y->data, x->nbytes) == 0,
              "tensor data survives a rewrite");
    }
    const char *const *ka = dg_st_metadata_keys(a), *const *kb = dg_st_metadata_keys(b);
    for (; *ka && *kb; ka++, kb++) {
        check(strcmp(*ka, *kb) == 0, "metadata keys survive a rewrite");
        check(strcmp(dg_st_metadata(a, *ka), dg_st_metadata(b, *kb)) == 0,
              "metadata values survive a rewrite");
    }
    check(*ka == NULL && *kb == NULL, "metadata count survives a rewrite");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GBytes *bytes = g_bytes_new_static(data, size);
    GError *error = NULL;
    dg_st *st = dg_st_parse(bytes, &error);
    g_bytes_unref(bytes);
    if (!st) {
        check(error != NULL && error->message[0] != '\0', "a failed parse sets an error");
        check(strchr(error->message, '\n') == NULL, "error messages are one line");
        g_error_free(error);
        return 0;
    }
    check(error == NULL, "a successful parse sets no error");

    /* Touch everything. */
    volatile unsigned sum = 0;
    uint64_t total = 0;
    for (int i = 0; i < dg_st_n_tensors(st); i++) {
        const dg_st_tensor *t = dg_st_tensor_at(st, i);
        check(dg_st_find(st, t->name) == t, "every tensor can be found by name");
        check(t->ndim >= 0 && t->ndim <= DG_ST_MAX_DIMS, "ndim in range");
        check(t->nbytes == (size_t)t->numel * dg_st_dtype_size(t->dtype), "nbytes = numel * size");
        const uint8_t *p = t->data;
        for (size_t k = 0; k < t->nbytes; k++)
            sum += p[k];
        total += t->nbytes;
        if (t->dtype == DG_ST_F32 && t->numel <= (1 << 20)) {
            float *out = g_new(float, t->numel ? t->numel : 1);
            check(dg_st_get_f32(st, t->name, t->ndim, t->shape, out, NULL), "get_f32 of an F32 tensor");
            g_free(out);
        }
    }
    check(total <= size, "tensors fit in the input");
    for (const char *const *k = dg_st_metadata_keys(st); *k; k++) {
        const char *v = dg_st_metadata(st, *k);
        check(v != NULL, "every metadata key has a value");
        sum += (unsigned)strlen(*k) + (unsigned)strlen(v);
    }
    (void)sum;

    /* Rewrite and reparse. */
    dg_st_writer *w = dg_st_writer_new();
    for (int i = 0; i < dg_st_n_tensors(st); i++) {
        const dg_st_tensor *t = dg_st_tensor_at(st, i);
        dg_st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data);
    }
    for (const char *const *k = dg_st_metadata_keys(st); *k; k++)
        dg_st_writer_set_metadata(w, *k, dg_st_metadata(st, *k));
    GBytes *again = dg_st_writer_to_bytes(w, &error);
    check(again != NULL, "a parsed file can be written again");
    dg_st *st2 = dg_st_parse(again, &error);
    if (!st2)
        g_printerr("reparse: %s\n", error->message);
    check(st2 != NULL, "a rewritten file parses");
    same_content(st, st2);
    /* Writing is deterministic. */
    dg_st_writer *w2 = dg_st_writer_new();
    for (int i = dg_st_n_tensors(st2) - 1; i >= 0; i--) {
        const dg_st_tensor *t = dg_st_tensor_at(st2, i);
        dg_st_writer_add(w2, t->name, t->dtype, t->ndim, t->shape, t->data);
    }
    for (const char *const *k = dg_st_metadata_keys(st2); *k; k++)
        dg_st_writer_set_metadata(w2, *k, dg_st_metadata(st2, *k));
    GBytes *third = dg_st_writer_to_bytes(w2, NULL);
    check(third != NULL && g_bytes_equal(again, third), "rewriting a rewritten file is a fixed point");
    g_bytes_unref(third);
    dg_st_writer_free(w2);
    dg_st_free(st2);
    g_bytes_unref(again);
    dg_st_writer_free(w);
    dg_st_free(st);
    return 0;
}
