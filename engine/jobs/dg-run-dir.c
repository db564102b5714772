#include "dg-run-dir.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dg-file.h"
#include "data/dg-json.h"
#include "jobs/dg-job-gan-private.h" /* dg_json_read_object */
#include "jobs/dg-job.h"
#include "jobs/dg-run-info.h"

#define LOCK_NAME ".dermagan.lock"

struct dg_run_dir {
    int fd;
    int cleaned;
};

/* A temporary of an atomic write that a killed process left: ours
 * (NAME.dgtmp-XXXXXX, dg_file_write_atomic's), nothing else.  (Versions
 * before it left NAME.XXXXXX, which a user's model.safetensors.backup also
 * is: those are not touched.) */
static gboolean is_stale_temp(const char *name)
{
    return dg_file_is_temp_name(name);
}

/* Removes stale temporaries in path and its direct sub-folders (samples/). */
static int clean_temps(const char *path, int depth)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (!d)
        return 0;
    int n = 0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        char *p = g_build_filename(path, name, NULL);
        struct stat st;
        if (lstat(p, &st) == 0) {
            if (S_ISREG(st.st_mode) && is_stale_temp(name) && g_unlink(p) == 0)
                n++;
            else if (S_ISDIR(st.st_mode) && depth == 0)
                n += clean_temps(p, 1);
        }
        g_free(p);
    }
    g_dir_close(d);
    return n;
}

dg_run_dir *dg_run_dir_open(const char *path, GError **error)
{
    if (!path || !*path) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no output folder given (--out)");
        return NULL;
    }
    char *disp = dg_file_display_name(path);
    if (g_mkdir_with_parents(path, 0755) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot create %s: %s", disp,
                    g_strerror(e));
        g_free(disp);
        return NULL;
    }
    char *lock = g_build_filename(path, LOCK_NAME, NULL);
    int fd = g_open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    g_free(lock);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e),
                    "cannot create the lock file in %s: %s", disp, g_strerror(e));
        g_free(disp);
        return NULL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char buf[32] = "";
        ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
        buf[r > 0 ? r : 0] = '\0';
        g_strchomp(buf);
        if (e == EWOULDBLOCK)
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "%s is in use by another DermaGAN process%s%s%s; wait for it to finish, "
                        "or choose another folder",
                        disp, *buf ? " (pid " : "", buf, *buf ? ")" : "");
        else
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot lock %s: %s",
                        disp, g_strerror(e));
        close(fd);
        g_free(disp);
        return NULL;
    }
    g_free(disp);
    char pid[32];
    int len = g_snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) < 0) {
        /* the pid is only for the message above */
    }
    dg_run_dir *d = g_new0(dg_run_dir, 1);
    d->fd = fd;
    d->cleaned = clean_temps(path, 0);
    return d;
}

/* A file in path that a new run (no checkpoint) would write over and that
 * is not a run's of ours: a user's config.json or history.csv, or the
 * model file when no config.json of ours is beside it (generator-best.
 * safetensors is left out).  Ours: the config.json a run writes first (an
 * object with "n_classes"; a run killed before its first checkpoint leaves
 * it, and a classifier's run killed between its best model and its
 * checkpoint, or whose checkpoint could not be written, leaves the model
 * too), a history.csv beginning "epoch,".  NULL when none; else its name. */
static const char *foreign_file(const char *path, gboolean gan_run)
{
    const char *found = NULL, *model = gan_run ? "generator.safetensors" : "model.safetensors";
    gboolean our_config = FALSE;
    g_autofree char *cj = g_build_filename(path, "config.json", NULL);
    if (g_file_test(cj, G_FILE_TEST_EXISTS) || g_file_test(cj, G_FILE_TEST_IS_SYMLINK)) {
        JsonNode *n = dg_json_read_object(cj); /* (bounded, regular files only) */
        our_config = n && json_object_has_member(json_node_get_object(n), "n_classes");
        if (!our_config)
            found = "config.json";
        if (n)
            json_node_unref(n);
    }
    g_autofree char *mp = g_build_filename(path, model, NULL);
    if (!found && !our_config &&
        (g_file_test(mp, G_FILE_TEST_EXISTS) || g_file_test(mp, G_FILE_TEST_IS_SYMLINK)))
        found = model;
    g_autofree char *hc = g_build_filename(path, "history.csv", NULL);
    if (!found && !gan_run &&
        (g_file_test(hc, G_FILE_TEST_EXISTS) || g_file_test(hc, G_FILE_TEST_IS_SYMLINK))) {
        char head[7] = {0};
        FILE *f = g_file_test(hc, G_FILE_TEST_IS_REGULAR) ? fopen(hc, "rb") : NULL;
        if (!f || fread(head, 1, 6, f) != 6 || strcmp(head, "epoch,") != 0)
            found = "history.csv";
        if (f)
            fclose(f);
    }
    return found;
}

/* Whether name, in a folder given to a new run, is a file a run of the
 * kind leaves there: the lock, its config.json, history.csv (classifier),
 * model files and the samples/ folder (GAN), checkpoint.safetensors (judged
 * by the caller), and our temporaries (NAME.dgtmp-XXXXXX), which a kill
 * leaves.  What they hold is foreign_file's question. */
static gboolean run_file_name(const char *folder, const char *name, gboolean gan_run)
{
    static const char *const common[] = {LOCK_NAME, "config.json", "checkpoint.safetensors", NULL};
    static const char *const gan[] = {"generator.safetensors", "generator-best.safetensors", NULL};
    static const char *const cnn[] = {"model.safetensors", "history.csv", NULL};
    if (dg_file_is_temp_name(name))
        return TRUE;
    for (const char *const *n = common; *n; n++)
        if (strcmp(name, *n) == 0)
            return TRUE;
    for (const char *const *n = gan_run ? gan : cnn; *n; n++)
        if (strcmp(name, *n) == 0)
            return TRUE;
    if (!gan_run || strcmp(name, "samples") != 0)
        return FALSE;
    g_autofree char *p = g_build_filename(folder, name, NULL);
    struct stat st;
    return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The first (by name) entry of the existing folder path that no run of the
 * kind leaves there (g_free), or NULL: a new run goes in a new or empty
 * folder, or one a run of its kind was killed in before its first
 * checkpoint, not in a user's folder (--out $HOME, --out /). */
static char *foreign_entry(const char *path, gboolean gan_run)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (!d)
        return NULL; /* not there yet (dg_run_dir_open makes it), or says why */
    char *first = NULL;
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (!run_file_name(path, name, gan_run) && (!first || strcmp(name, first) < 0)) {
            g_free(first);
            first = g_strdup(name);
        }
    g_dir_close(d);
    return first;
}

dg_run_dir *dg_run_dir_open_training(dg_job *job, const char *path, gboolean gan_run,
                                     gboolean resume, GError **error)
{
    if (!path || !*path) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID, "no run folder given (--out)");
        return NULL;
    }
    char *ckpt = g_build_filename(path, "checkpoint.safetensors", NULL), *foreign_name = NULL;
    dg_run_dir *d = NULL;
    if (resume && !g_file_test(ckpt, G_FILE_TEST_EXISTS)) {
        g_autofree char *disp = dg_file_display_name(path);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "nothing to resume: %s has no checkpoint.safetensors", disp);
        goto out;
    }
    /* a new run: not in a folder holding anything else, before the lock file
     * or a cleanup touches it (a folder with a checkpoint is judged below) */
    if (!resume && !g_file_test(ckpt, G_FILE_TEST_EXISTS))
        foreign_name = foreign_entry(path, gan_run);
    if (foreign_name) {
        g_autofree char *disp = dg_file_display_name(path);
        g_autofree char *what = dg_file_display_name(foreign_name);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s is not empty and not a %s run's folder (it holds %s); choose a new or "
                    "empty folder for the run",
                    disp, gan_run ? "GAN" : "classifier", what);
        goto out;
    }
    /* one process per run folder, from here to the end of the job */
    if (!(d = dg_run_dir_open(path, error)))
        goto out;
    if (d->cleaned > 0)
        dg_job_message(job, "info", "removed %d temporary file(s) left by an interrupted run",
                       d->cleaned);
    /* a run of the other kind: --resume would fail on its checkpoint, and a
     * new run must not go in beside it */
    dg_run_kind other;
    if (dg_run_kind_read(path, &other) && (other == DG_RUN_GAN) != gan_run) {
        g_autofree char *disp = dg_file_display_name(path);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s holds a %s training run, not a %s one; choose another folder", disp,
                    gan_run ? "classifier" : "GAN", gan_run ? "GAN" : "classifier");
        dg_run_dir_close(d);
        d = NULL;
        goto out;
    }
    if (!resume && g_file_test(ckpt, G_FILE_TEST_EXISTS)) {
        g_autofree char *disp = dg_file_display_name(path);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s already holds a training run; resume it (--resume) or choose another "
                    "folder",
                    disp);
        dg_run_dir_close(d);
        d = NULL;
        goto out;
    }
    /* a new run writes config.json, history.csv and its model: not over a
     * user's files of those names (they were replaced without a word) */
    const char *foreign = resume ? NULL : foreign_file(path, gan_run);
    if (foreign) {
        g_autofree char *disp = dg_file_display_name(path);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "%s holds a %s that is not of a run to resume (there is no "
                    "checkpoint.safetensors), and a new run would write over it; move it or choose "
                    "another folder",
                    disp, foreign);
        dg_run_dir_close(d);
        d = NULL;
    }
out:
    g_free(ckpt);
    g_free(foreign_name);
    return d;
}

void dg_run_dir_close(dg_run_dir *d)
{
    if (!d)
        return;
    flock(d->fd, LOCK_UN);
    close(d->fd);
    g_free(d);
}

int dg_run_dir_cleaned(const dg_run_dir *d)
{
    return d ? d->cleaned : 0;
}

/* ---- identity ------------------------------------------------------------------- */

struct dg_run_identity {
    GPtrArray *keys, *values;
    GHashTable *absent; /* key -> what a record without it stands for */
};

dg_run_identity *dg_run_identity_new(void)
{
    dg_run_identity *id = g_new0(dg_run_identity, 1);
    id->keys = g_ptr_array_new_with_free_func(g_free);
    id->values = g_ptr_array_new_with_free_func(g_free);
    id->absent = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return id;
}

void dg_run_identity_free(dg_run_identity *id)
{
    if (!id)
        return;
    g_ptr_array_unref(id->keys);
    g_ptr_array_unref(id->values);
    g_hash_table_unref(id->absent);
    g_free(id);
}

void dg_run_identity_add(dg_run_identity *id, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(id->values, g_strdup_vprintf(fmt, ap));
    va_end(ap);
    g_ptr_array_add(id->keys, g_strdup(key));
}

void dg_run_identity_set_absent(dg_run_identity *id, const char *key, const char *value)
{
    g_hash_table_replace(id->absent, g_strdup(key), g_strdup(value));
}

#define CONTENTS_SUFFIX "#sha256"

void dg_run_identity_add_file_contents(dg_run_identity *id, const char *key, const char *path,
                                       guint64 max_bytes)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (guint64)sb.st_size > max_bytes) {
        close(fd);
        return;
    }
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    char *buf = g_malloc(1 << 16);
    guint64 total = 0;
    gboolean ok = TRUE;
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 16);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (total += (guint64)n) > max_bytes) {
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        g_checksum_update(sum, (const guchar *)buf, n);
    }
    close(fd);
    if (ok) {
        g_autofree char *k = g_strconcat(key, CONTENTS_SUFFIX, NULL);
        dg_run_identity_add(id, k, "%s", g_checksum_get_string(sum));
    }
    g_free(buf);
    g_checksum_free(sum);
}

char *dg_run_identity_to_json(const dg_run_identity *id)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    for (guint i = 0; i < id->keys->len; i++) {
        json_builder_set_member_name(b, id->keys->pdata[i]);
        json_builder_add_string_value(b, id->values->pdata[i]);
    }
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    char *s = json_to_string(root, FALSE);
    json_node_unref(root);
    g_object_unref(b);
    return s;
}

gboolean dg_run_identity_check(const dg_run_identity *id, const char *saved_json,
                               const char *run_path, GError **error)
{
    if (!saved_json)
        return TRUE;
    GError *jerr = NULL;
    JsonNode *root = dg_json_parse_bounded(saved_json, -1, DG_JSON_MAX_DEPTH, &jerr);
    if (jerr) {
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the checkpoint in %s has a corrupt 'run' record: %s", run_path, jerr->message);
        g_error_free(jerr);
        return FALSE;
    }
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        if (root)
            json_node_unref(root);
        g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                    "the checkpoint in %s has a corrupt 'run' record", run_path);
        return FALSE;
    }
    JsonObject *o = json_node_get_object(root);
    gboolean ok = TRUE;
    for (guint i = 0; i < id->keys->len && ok; i++) {
        const char *k = id->keys->pdata[i], *v = id->values->pdata[i];
        JsonNode *n = json_object_get_member(o, k);
        const char *old = n && JSON_NODE_HOLDS_VALUE(n) &&
                                  json_node_get_value_type(n) == G_TYPE_STRING
                              ? json_node_get_string(n)
                              : NULL;
        if (!old)
            old = g_hash_table_lookup(id->absent, k);
        if (!old)
            continue; /* a setting this version records and the run's did not */
        if (strcmp(old, v) != 0 && g_str_has_suffix(k, CONTENTS_SUFFIX)) {
            g_autofree char *opt = g_strndup(k, strlen(k) - strlen(CONTENTS_SUFFIX));
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "cannot resume %s: the file given as --%s has changed since the run "
                        "began (SHA-256 %.12s..., now %.12s...)",
                        run_path, opt, old, v);
            ok = FALSE;
        } else if (strcmp(old, v) != 0) {
            g_set_error(error, DG_JOB_ERROR, DG_JOB_ERROR_INVALID,
                        "cannot resume %s with another --%s: the run was made with '%s', not '%s' "
                        "(on --resume only the length and how it runs may change)",
                        run_path, k, old, v);
            ok = FALSE;
        }
    }
    json_node_unref(root);
    return ok;
}

char *dg_run_canonical_path(const char *path)
{
    if (!path)
        return g_strdup("");
    char *real = realpath(path, NULL);
    if (real) {
        char *s = g_strdup(real);
        free(real);
        return s;
    }
    return g_canonicalize_filename(path, NULL);
}
