/* dg-file.c: see dg-file.h. */
#include "dg-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *open_reason(int e)
{
    switch (e) {
    case EACCES:
    case EPERM: return "permission denied";
    case ELOOP: return "symlink loop";
    case ENOENT: return "file not found (or a broken symlink)";
    case EISDIR: return "is a folder, not a file";
    default: return g_strerror(e);
    }
}

/* What a file that is neither a regular file nor a folder is. */
static const char *kind_of(mode_t mode)
{
    return S_ISFIFO(mode)   ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "an unknown kind of file";
}

/* FALSE + error unless st is a regular file. */
static gboolean check_regular(const struct stat *st, GError **error)
{
    if (S_ISREG(st->st_mode))
        return TRUE;
    if (S_ISDIR(st->st_mode)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                            "is a folder, not a file");
        return FALSE;
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "not a regular file (%s)",
                kind_of(st->st_mode));
    return FALSE;
}

/* Megabytes with one decimal, rounded up, so that a file one byte over a
 * limit of 64 MB reads "64.1 MB", not "64.0 MB". */
static double mb_up(guint64 bytes)
{
    return ceil((double)bytes * 10 / (1 << 20)) / 10;
}

/* "64 MB" for a limit in whole megabytes, else "100 bytes". */
static char *limit_text(gsize max_bytes)
{
    if (max_bytes % (1 << 20) == 0)
        return g_strdup_printf("%" G_GSIZE_FORMAT " MB", max_bytes >> 20);
    return g_strdup_printf("%" G_GSIZE_FORMAT " bytes", max_bytes);
}

static void set_too_large(GError **error, guint64 size, gsize max_bytes)
{
    g_autofree char *limit = limit_text(max_bytes);
    if (max_bytes % (1 << 20) == 0)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "file is %.1f MB, over the %s limit", mb_up(size), limit);
    else
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                    "file is %" G_GUINT64_FORMAT " bytes, over the %s limit", size, limit);
}

gboolean dg_file_read_regular(const char *path, gsize max_bytes, char **data, gsize *len,
                              GError **error)
{
    g_return_val_if_fail(path && data && len && max_bytes < G_MAXSIZE - 1, FALSE);
    *data = NULL;
    *len = 0;
    /* A look before opening: opening some devices has side effects, so
     * anything that is not a regular file is refused without an open.
     * The fstat after the open is the check that counts (the path may have
     * changed in between). */
    struct stat st;
    if (stat(path, &st) == 0 && !check_regular(&st, error))
        return FALSE;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        g_set_error_literal(error, G_IO_ERROR, g_io_error_from_errno(e), open_reason(e));
        return FALSE;
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "read error: %s",
                    g_strerror(e));
        return FALSE;
    }
    if (!check_regular(&st, error)) {
        close(fd);
        return FALSE;
    }
    if (st.st_size < 0 || (guint64)st.st_size > max_bytes) {
        close(fd);
        set_too_large(error, (guint64)st.st_size, max_bytes);
        return FALSE;
    }
    /* Room for the size fstat reported plus one byte, so that the end of
     * the file is seen; a file that keeps going (it grew, or its size is
     * not known in advance) gets more room up to max_bytes + 1, never more. */
    gsize cap = (gsize)st.st_size + 1, got = 0;
    char *buf = g_try_malloc(cap + 1);
    for (;;) {
        if (!buf) {
            close(fd);
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                        "out of memory reading %.1f MB", mb_up(cap));
            return FALSE;
        }
        if (got > max_bytes) {
            close(fd);
            g_free(buf);
            g_autofree char *limit = limit_text(max_bytes);
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        "file grew past the %s limit while it was read", limit);
            return FALSE;
        }
        if (got == cap) {
            cap = MIN(MAX(cap * 2, (gsize)4096), max_bytes + 1);
            char *more = g_try_realloc(buf, cap + 1);
            if (!more)
                g_free(buf);
            buf = more;
            continue;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            g_free(buf);
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "read error: %s",
                        g_strerror(e));
            return FALSE;
        }
        if (r == 0)
            break;
        got += (gsize)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return TRUE;
}

char *dg_file_display_name(const char *path)
{
    char *disp = g_filename_display_name(path);
    GString *out = NULL;
    for (const char *p = disp; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        gboolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
        if (control && !out)
            out = g_string_new_len(disp, p - disp);
        if (out) {
            if (control)
                g_string_append_unichar(out, 0xFFFD);
            else
                g_string_append_len(out, p, g_utf8_next_char(p) - p);
        }
    }
    if (!out)
        return disp;
    g_free(disp);
    return g_string_free(out, FALSE);
}

/* ---- writing ---------------------------------------------------------------------- */

/* dg_file_check_writable; *replaces: the target is a non-empty regular file. */
static gboolean check_target(const char *path, gboolean *replaces, GError **error)
{
    struct stat st;
    if (replaces)
        *replaces = FALSE;
    /* stat, not lstat: a symlink to a device is refused too (/dev/stdout is
     * one); a dangling symlink or one stat cannot follow is replaced by the
     * rename like any name, and an error to create the file says the rest */
    const int rc = stat(path, &st);
    if (rc != 0 || S_ISREG(st.st_mode)) {
        if (replaces) /* (st holds nothing when stat failed) */
            *replaces = rc == 0 && st.st_size > 0;
        return TRUE;
    }
    g_autofree char *disp = dg_file_display_name(path);
    if (S_ISDIR(st.st_mode))
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
                    "cannot write %s: it is a folder, not a file", disp);
    else
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "cannot write %s: it is %s, not a regular file (not replacing it)", disp,
                    kind_of(st.st_mode));
    return FALSE;
}

gboolean dg_file_check_writable(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);
    return check_target(path, NULL, error);
}

gboolean dg_file_write_atomic(const char *path, const void *data, gsize len, gboolean durable,
                              GError **error)
{
    g_return_val_if_fail(path != NULL && (data != NULL || len == 0), FALSE);
    gboolean replaces;
    if (!check_target(path, &replaces, error))
        return FALSE;
    char *tmp = g_strconcat(path, DG_FILE_TEMP_MARK "XXXXXX", NULL);
    int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0644), e = 0;
    if (fd < 0) {
        e = errno;
        g_autofree char *disp = dg_file_display_name(path);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot write %s: %s", disp,
                    g_strerror(e));
        g_free(tmp);
        return FALSE;
    }
    const char *p = data;
    for (gsize left = len; left > 0 && !e;) {
        ssize_t w = write(fd, p, MIN(left, (gsize)1 << 30));
        if (w > 0)
            p += w, left -= (gsize)w;
        else if (w == 0 || errno != EINTR)
            e = w == 0 ? EIO : errno;
    }
    if (!e && (durable || replaces) && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e && errno != EINTR)
        e = errno;
    /* the target may have been replaced by something else while we wrote:
     * looked at once more, just before the rename */
    gboolean ok = !e && check_target(path, NULL, error);
    if (ok && rename(tmp, path) != 0) {
        e = errno;
        ok = FALSE;
    }
    if (e) {
        g_autofree char *disp = dg_file_display_name(path);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot write %s: %s", disp,
                    g_strerror(e));
    }
    if (!ok)
        g_unlink(tmp);
    g_free(tmp);
    return ok;
}

gboolean dg_file_is_temp_name(const char *name)
{
    g_return_val_if_fail(name != NULL, FALSE);
    const size_t n = strlen(name), m = strlen(DG_FILE_TEMP_MARK);
    if (n < 1 + m + 6 || strncmp(name + n - 6 - m, DG_FILE_TEMP_MARK, m) != 0)
        return FALSE;
    for (size_t i = n - 6; i < n; i++)
        if (!g_ascii_isalnum(name[i]))
            return FALSE;
    return TRUE;
}

gboolean dg_file_same(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}
