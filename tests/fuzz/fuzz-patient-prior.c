/* Fuzz target for the patient prior of a classifier file (the "patient_prior"
 * metadata, dg_meta_prior_from_json), read by every classifier file a user
 * opens.
 *
 * The first byte gives the model's class count (2 + byte % 63), the rest is
 * the JSON text.  Properties, any violation aborts:
 *  - a rejected input sets a one-line error message;
 *  - an accepted prior, written by dg_meta_prior_to_json, is accepted again
 *    and written the same;
 *  - applying it to a patient gives finite probabilities that sum to 1. */
#include "models/dg-meta-prior.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(gboolean ok, const char *what)
{
    if (!ok) {
        g_printerr("fuzz-patient-prior: property violated: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int K = 2 + data[0] % 63;
    char *json = g_strndup((const char *)data + 1, size - 1);
    GError *error = NULL;
    dg_meta_prior *m = dg_meta_prior_from_json(json, K, &error);
    if (!m) {
        check(error != NULL && error->message[0] != '\0', "a rejected input sets an error");
        check(strchr(error->message, '\n') == NULL, "error messages are one line");
        g_error_free(error);
    } else {
        char *once = dg_meta_prior_to_json(m);
        dg_meta_prior *again = dg_meta_prior_from_json(once, K, NULL);
        check(again != NULL, "a written prior is read again");
        char *twice = dg_meta_prior_to_json(again);
        check(strcmp(once, twice) == 0, "a prior reads back as it was written");
        float probs[64];
        for (int k = 0; k < K; k++)
            probs[k] = 1.0f / K;
        /* a patient made of the first key's field, and the others */
        const char *site = m->n_keys > 0 && g_str_has_prefix(m->keys[0], "site:") ? m->keys[0] + 5 : "back";
        dg_patient p = {45.0, "female", site};
        dg_meta_prior_apply(m, &p, probs);
        double s = 0;
        for (int k = 0; k < K; k++) {
            check(isfinite(probs[k]) && probs[k] >= 0, "probabilities are finite");
            s += probs[k];
        }
        check(fabs(s - 1.0) < 1e-3, "probabilities sum to 1");
        g_free(once), g_free(twice);
        dg_meta_prior_free(again);
        dg_meta_prior_free(m);
    }
    g_free(json);
    return 0;
}
