/* dg-job-gan-export.c: a generator model file cut down to some of its
 * classes (dg_gan_save_classes), as a job. */
#include <json-glib/json-glib.h>

#include "data/dg-file.h"
#include "jobs/dg-job-gan.h"
#include "jobs/dg-job-util.h"
#include "models/dg-gan.h"

dg_gan_export_config *dg_gan_export_config_new(void)
{
    return g_new0(dg_gan_export_config, 1);
}

void dg_gan_export_config_free(void *p)
{
    dg_gan_export_config *c = p;
    if (!c)
        return;
    g_free(c->model), g_free(c->out);
    g_strfreev(c->classes);
    g_free(c);
}

static gboolean export_run(dg_job *job, void *config, GError **error)
{
    dg_gan_export_config *c = config;
    if (!c->model || !c->out || !*c->out || !c->classes || !c->classes[0]) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "say which model (--model), which classes (--classes) and where (--out)");
        return FALSE;
    }
    g_autofree char *disp = dg_file_display_name(c->out);
    if (g_file_test(c->out, G_FILE_TEST_EXISTS) || g_file_test(c->out, G_FILE_TEST_IS_SYMLINK)) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s exists; not overwriting it", disp);
        return FALSE;
    }
    dg_event sev = {.kind = DG_EVENT_STARTED, .eta = -1, .message = "cutting a generator down"};
    dg_job_emit(job, &sev);
    if (!dg_gan_save_classes(c->model, (const char *const *)c->classes, c->out, error))
        return FALSE; /* its errors name the file */
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "model");
    dg_json_add_path(b, c->out);
    json_builder_set_member_name(b, "from");
    dg_json_add_path(b, c->model);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *doc = json_to_string(root, FALSE);
    dg_job_message(job, "info", "wrote %s", disp);
    dg_event ev = {.kind = DG_EVENT_RESULT, .eta = -1, .json = doc};
    dg_job_emit(job, &ev);
    g_free(doc);
    json_node_unref(root);
    g_object_unref(b);
    return TRUE;
}

const dg_job_kind dg_job_gan_export = {"gan-export", export_run, dg_gan_export_config_free};
