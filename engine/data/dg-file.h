/* dg-file.h: reading a whole file that comes from outside, within a stated
 * limit, and writing a whole file atomically (models-and-data layer; the
 * jobs, models and plot layers use it too).
 *
 * Only regular files are read.  A FIFO would block forever in open() or
 * read(), a device such as /dev/zero never ends, and a folder is not data:
 * each is refused with a one-line reason before anything is allocated.  The
 * size is checked against the caller's limit before the buffer is
 * allocated, and the reader never reads more than limit + 1 bytes, so a
 * file that grows while it is read (or that reports a size of 0, as files
 * in /proc do) is caught too. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* Limits on files read whole.  For scale: the real HAM10000_metadata.csv
 * is 0.55 MB and its largest image 0.3 MB. */
#define DG_CSV_MAX_FILE_BYTES ((gsize)64 << 20)    /* a metadata CSV: 64 MB */
#define DG_IMAGE_MAX_FILE_BYTES ((gsize)256 << 20) /* one image file: 256 MB */

/* Reads the regular file at path (symlinks followed) whole: *data (g_free;
 * NUL-terminated after *len bytes) and *len.  An empty file is read as
 * len 0.  FALSE + error (G_IO_ERROR) otherwise.  The messages do not name
 * the file, so that they can serve as skip reasons beside a path; put the
 * path in front (g_prefix_error) when reporting one file:
 *   NOT_FOUND          "file not found (or a broken symlink)"
 *   PERMISSION_DENIED  "permission denied"
 *   TOO_MANY_LINKS     "symlink loop"
 *   IS_DIRECTORY       "is a folder, not a file"
 *   NOT_REGULAR_FILE   "not a regular file (a FIFO)", "(a character device)", ...
 *   MESSAGE_TOO_LARGE  "file is 300.0 MB, over the 256 MB limit" (from its size,
 *                      before reading; a limit that is not whole megabytes is
 *                      given in bytes), or "file grew past the 64 MB limit while
 *                      it was read"
 *   others             "read error: ...", from errno.
 * The open is O_NONBLOCK (a FIFO cannot block it), O_NOCTTY and O_CLOEXEC;
 * max_bytes must be below G_MAXSIZE. */
gboolean dg_file_read_regular(const char *path, gsize max_bytes, char **data, gsize *len,
                              GError **error);

/* The display form of a path in the GLib filename encoding: valid UTF-8
 * (like g_filename_display_name) with control characters (C0, DEL, C1)
 * replaced by U+FFFD, so that a file name can neither break a one-line
 * message nor send escape sequences to a terminal. */
char *dg_file_display_name(const char *path);

/* ---- writing ----
 * Every file the engine writes goes through dg_file_write_atomic: the bytes
 * go to a temporary file beside the target, NAME.dgtmp-XXXXXX (six random
 * letters or digits after DG_FILE_TEMP_MARK), which is renamed over NAME,
 * so that a reader sees the old file or the new one, never half of one.  A
 * process killed in between leaves the temporary behind; that name is ours
 * alone, so that dg_file_is_temp_name can tell it from a user's file
 * (results.json.backup is not ours).
 *
 * An existing NAME that is not a regular file (a folder, a FIFO, a socket,
 * a character or block device; or a symlink to one) is refused, never
 * replaced: renaming over /dev/full would turn the device into a file.  A
 * symlink to a regular file is replaced by the new file, as
 * g_file_set_contents does (the file it pointed to is left as it was). */
#define DG_FILE_TEMP_MARK ".dgtmp-"

/* Writes len bytes of data to path atomically.  The temporary is flushed
 * to disk (fsync) before the rename when durable is TRUE, or when it
 * replaces a non-empty file (so that a crash cannot lose both).  Mode 0644
 * (less the umask).  FALSE + error (G_FILE_ERROR, naming the file; ISDIR or
 * INVAL for a target that is not a regular file); the temporary is
 * removed. */
gboolean dg_file_write_atomic(const char *path, const void *data, gsize len, gboolean durable,
                              GError **error);
/* The check dg_file_write_atomic makes before writing, for a job to make
 * before its work: TRUE when path does not exist or is a regular file
 * (symlinks followed); else FALSE + the same error. */
gboolean dg_file_check_writable(const char *path, GError **error);
/* Whether a file name (no folder) is one of dg_file_write_atomic's
 * temporaries: it ends in DG_FILE_TEMP_MARK and six letters or digits. */
gboolean dg_file_is_temp_name(const char *name);
/* Whether a and b name the same existing file (the same device and inode,
 * symlinks followed: "a.jpg", "./a.jpg", a symlink or a hard link to it).
 * FALSE when either does not exist. */
gboolean dg_file_same(const char *a, const char *b);

G_END_DECLS
