/* Fuzz target for the model files' configuration metadata: the "gan" object
 * of a generator file (dg_gan_config_from_json) and the "classifier" object
 * of a classifier file (dg_cnn_config_from_json), which every model file a
 * user opens goes through before any tensor is read.
 *
 * The first byte picks the parser (even: classifier, odd: GAN), the rest is
 * the JSON text.  Properties, any violation aborts:
 *  - a rejected input sets a one-line error message;
 *  - an accepted configuration, written again by its _to_json, is accepted
 *    again and written the same (what a model file says is what a resumed or
 *    re-saved one says);
 *  - an accepted classifier configuration's memory check answers without
 *    overflowing (UBSan watches the arithmetic). */
#include "models/dg-classifier.h"
#include "models/dg-gan.h"

/* The GAN configuration parser is compiled into this file, so that it gets
 * the fuzz target's flags (as in fuzz-csv.c). */
#include "models/dg-gan-config.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(gboolean ok, const char *what)
{
    if (!ok) {
        g_printerr("fuzz-model-meta: property violated: %s\n", what);
        abort();
    }
}

static void check_error(GError *error)
{
    check(error != NULL && error->message[0] != '\0', "a rejected input sets an error");
    if (strchr(error->message, '\n'))
        g_printerr("%s\n", error->message);
    check(strchr(error->message, '\n') == NULL, "error messages are one line");
    g_error_free(error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *json = g_strndup((const char *)data + 1, size - 1);
    GError *error = NULL;
    if (data[0] & 1) {
        dg_gan_config c, d;
        if (!dg_gan_config_from_json(&c, json, &error)) {
            check_error(error);
        } else {
            char *once = dg_gan_config_to_json(&c);
            check(dg_gan_config_from_json(&d, once, NULL), "a written GAN config is read again");
            char *twice = dg_gan_config_to_json(&d);
            check(strcmp(once, twice) == 0, "a GAN config reads back as it was written");
            g_free(once), g_free(twice);
        }
    } else {
        dg_cnn_config c, d;
        if (!dg_cnn_config_from_json(&c, json, &error)) {
            check_error(error);
        } else {
            char *once = dg_cnn_config_to_json(&c);
            check(dg_cnn_config_from_json(&d, once, NULL), "a written classifier config is read again");
            char *twice = dg_cnn_config_to_json(&d);
            check(strcmp(once, twice) == 0, "a classifier config reads back as it was written");
            g_free(once), g_free(twice);
            GError *e = NULL;
            if (!dg_cnn_config_check_memory(&c, 64, &e))
                check_error(e);
        }
    }
    g_free(json);
    return 0;
}
