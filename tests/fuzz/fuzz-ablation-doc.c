/* Fuzz target for the Ablation page's reading of an ablation.json
 * (ui/dg-ablation-doc.c): the app shows the bundled one and any one a run
 * writes, and a user can point it at a file of their own.  Properties, any
 * violation aborts:
 *  - a document is refused (NULL) or read with at least one arm beside real
 *    only, the chosen one among them;
 *  - every arm's values and difference are objects or NULL (never a crash);
 *  - the CSV export has its header and the same number of fields on every
 *    line, whatever the ids in the document say (no separator, quote or line
 *    break of a key gets through). */
#include "dg-ablation-doc.h"

/* compiled into this file, so that it gets the fuzz target's flags */
#include "../../ui/dg-ablation-doc.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(gboolean ok, const char *what)
{
    if (!ok) {
        g_printerr("fuzz-ablation-doc: property violated: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = g_strndup((const char *)data, size);
    dg_ablation_doc *d = dg_ablation_doc_new(json);
    if (d) {
        check(d->arm_ids->len >= 1 && d->arm_ids->len == d->arm_titles->len, "arms are read");
        check(d->chosen < d->arm_ids->len, "the chosen arm is one of them");
        for (guint a = 0; a <= d->arm_ids->len; a++) { /* one past the last: NULL */
            JsonObject *m = dg_json_object_member(d->metrics, "balanced_accuracy");
            JsonObject *v = dg_ablation_doc_arm(d, m, a), *df = dg_ablation_doc_difference(d, m, a);
            check(a < d->arm_ids->len || (!v && !df), "no arm past the last");
        }
        g_free(dg_ablation_doc_choice_text(d));
        char *csv = dg_ablation_doc_csv(d);
        check(g_str_has_prefix(csv, "metric,protocol,real_mean,"), "the CSV has its header");
        char **lines = g_strsplit(csv, "\n", -1);
        for (char **l = lines; *l && **l; l++) {
            int commas = 0;
            for (const char *c = *l; *c; c++)
                commas += *c == ',';
            check(commas == 10, "every CSV line has 11 fields");
            check(strchr(*l, '"') == NULL && strchr(*l, '\r') == NULL, "no quotes in the CSV");
        }
        g_strfreev(lines);
        g_free(csv);
        dg_ablation_doc_free(d);
    }
    g_free(json);
    return 0;
}
