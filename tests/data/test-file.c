/* test-file: dg_file_read_regular, the one reader of whole files that come
 * from outside, on every kind of file that is not a plain small file. */
#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "data-test-util.h"
#include "data/dg-file.h"

/* A test that hangs fails (SIGALRM) instead of waiting for meson's timeout. */
static void watchdog(void)
{
    alarm(20);
}

static void expect(const char *path, gsize max, gint code, const char *message)
{
    char *data = (char *)"untouched";
    gsize len = 7;
    GError *error = NULL;
    g_assert_false(dg_file_read_regular(path, max, &data, &len, &error));
    g_assert_error(error, G_IO_ERROR, code);
    g_assert_cmpstr(error->message, ==, message);
    g_assert_null(data);
    g_assert_cmpuint(len, ==, 0);
    g_error_free(error);
}

static void test_plain(void)
{
    char *dir = tu_tmpdir();
    char *file = g_build_filename(dir, "a.csv", NULL);
    tu_write(file, "x,y\n1,2\n", 8);
    char *data;
    gsize len;
    GError *error = NULL;
    g_assert_true(dg_file_read_regular(file, 8, &data, &len, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(len, ==, 8);
    g_assert_cmpstr(data, ==, "x,y\n1,2\n"); /* NUL-terminated */
    g_free(data);
    /* One byte over the limit, with the limit in MB; exactly at it, read. */
    expect(file, 7, G_IO_ERROR_MESSAGE_TOO_LARGE, "file is 8 bytes, over the 7 bytes limit");
    /* An empty file is read (len 0); it is for the caller to mind. */
    tu_write(file, "", 0);
    g_assert_true(dg_file_read_regular(file, 8, &data, &len, &error));
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpstr(data, ==, "");
    g_free(data);
    /* A symlink to a regular file is followed. */
    char *link = g_build_filename(dir, "link.csv", NULL);
    g_assert_cmpint(symlink("a.csv", link), ==, 0);
    g_assert_true(dg_file_read_regular(link, 8, &data, &len, &error));
    g_free(data);
    tu_rm_rf(dir);
    g_free(dir);
    g_free(file);
    g_free(link);
}

static void test_not_regular(void)
{
    watchdog();
    char *dir = tu_tmpdir();
    expect(dir, 1 << 20, G_IO_ERROR_IS_DIRECTORY, "is a folder, not a file");
    /* A FIFO with no writer: open() would block forever without O_NONBLOCK,
     * and read() would wait for a writer. */
    char *fifo = g_build_filename(dir, "fifo.csv", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    expect(fifo, 1 << 20, G_IO_ERROR_NOT_REGULAR_FILE, "not a regular file (a FIFO)");
    /* /dev/zero never ends; through a symlink, as hostile data sets do. */
    char *zero = g_build_filename(dir, "zero.csv", NULL);
    g_assert_cmpint(symlink("/dev/zero", zero), ==, 0);
    expect(zero, 1 << 20, G_IO_ERROR_NOT_REGULAR_FILE, "not a regular file (a character device)");
    char *missing = g_build_filename(dir, "missing.csv", NULL);
    expect(missing, 1 << 20, G_IO_ERROR_NOT_FOUND, "file not found (or a broken symlink)");
    char *loop = g_build_filename(dir, "loop.csv", NULL);
    g_assert_cmpint(symlink("loop.csv", loop), ==, 0);
    expect(loop, 1 << 20, G_IO_ERROR_TOO_MANY_LINKS, "symlink loop");
    tu_rm_rf(dir);
    g_free(dir);
    g_free(fifo);
    g_free(zero);
    g_free(missing);
    g_free(loop);
    alarm(0);
}

/* A huge sparse file is refused from its size: nothing is allocated or read. */
static void test_huge(void)
{
    char *dir = tu_tmpdir();
    char *file = g_build_filename(dir, "huge.csv", NULL);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)100 << 30), ==, 0); /* 100 GB, sparse */
    close(fd);
    expect(file, DG_CSV_MAX_FILE_BYTES, G_IO_ERROR_MESSAGE_TOO_LARGE,
           "file is 102400.0 MB, over the 64 MB limit");
    expect(file, DG_IMAGE_MAX_FILE_BYTES, G_IO_ERROR_MESSAGE_TOO_LARGE,
           "file is 102400.0 MB, over the 256 MB limit");
    tu_rm_rf(dir);
    g_free(dir);
    g_free(file);
}

/* A regular file longer than fstat says: files in /proc report size 0 and
 * stand in for a file that grows while it is read.  The reader stops at
 * the limit + 1 byte. */
static void test_grows(void)
{
    const char *proc = "/proc/self/maps";
    if (!g_file_test(proc, G_FILE_TEST_IS_REGULAR)) {
        g_test_skip("no /proc here");
        return;
    }
    expect(proc, 16, G_IO_ERROR_MESSAGE_TOO_LARGE,
           "file grew past the 16 bytes limit while it was read");
    char *data;
    gsize len;
    GError *error = NULL;
    g_assert_true(dg_file_read_regular(proc, 16 << 20, &data, &len, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(len, >, 16);
    g_assert_cmpuint(strlen(data), ==, len);
    g_free(data);
}

static void test_display_name(void)
{
    char *d = dg_file_display_name("/data/a\nb\033[31m\x7f.jpg");
    g_assert_cmpstr(d, ==, "/data/a\xEF\xBF\xBD" "b\xEF\xBF\xBD[31m\xEF\xBF\xBD.jpg");
    g_free(d);
    d = dg_file_display_name("/data/caf\xc3\xa9/x\xc2\x9b" "1.jpg"); /* U+009B (CSI) */
    g_assert_cmpstr(d, ==, "/data/caf\xc3\xa9/x\xEF\xBF\xBD" "1.jpg");
    g_free(d);
    d = dg_file_display_name("/plain/path.png");
    g_assert_cmpstr(d, ==, "/plain/path.png");
    g_free(d);
}

static int cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the folder's entries, sorted and joined by spaces. */
static char *listing(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, cmp_names);
    g_ptr_array_add(names, NULL);
    char *s = g_strjoinv(" ", (char **)names->pdata);
    g_ptr_array_unref(names);
    return s;
}

/* dg_file_write_atomic writes and replaces whole files, and leaves no
 * temporary behind; its temporaries' names are told from a user's. */
static void test_write_atomic(void)
{
    char *dir = tu_tmpdir();
    char *file = g_build_filename(dir, "result.json", NULL), *text = NULL;
    GError *error = NULL;
    g_assert_true(dg_file_write_atomic(file, "{}", 2, FALSE, &error));
    g_assert_no_error(error);
    g_assert_true(dg_file_write_atomic(file, "{\"a\": 1}", 8, TRUE, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "{\"a\": 1}");
    g_free(text);
    g_assert_true(dg_file_write_atomic(file, NULL, 0, FALSE, &error));
    g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "");
    g_free(text);
    char *names = listing(dir);
    g_assert_cmpstr(names, ==, "result.json");
    g_free(names);
    /* a folder that is not there: the error names the file */
    char *lost = g_build_filename(dir, "missing", "a.json", NULL);
    g_assert_false(dg_file_write_atomic(lost, "x", 1, FALSE, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull(strstr(error->message, "missing/a.json"));
    g_clear_error(&error);
    /* the temporaries' names */
    g_assert_true(dg_file_is_temp_name("result.json" DG_FILE_TEMP_MARK "Ab12Cd"));
    g_assert_true(dg_file_is_temp_name("x" DG_FILE_TEMP_MARK "000000"));
    const char *not_ours[] = {"results.json.backup", "notes.md.abcdef", "result.json.Ab12Cd",
                              DG_FILE_TEMP_MARK "Ab12Cd", "a" DG_FILE_TEMP_MARK "Ab12C",
                              "a" DG_FILE_TEMP_MARK "Ab12Cde", "a" DG_FILE_TEMP_MARK "Ab-2Cd",
                              "a.dgtmp.Ab12Cd"};
    for (size_t i = 0; i < G_N_ELEMENTS(not_ours); i++)
        g_assert_false(dg_file_is_temp_name(not_ours[i]));
    tu_rm_rf(dir);
    g_free(dir), g_free(file), g_free(lost);
}

/* Writing over something that is not a regular file is refused, and the
 * thing is left as it was: a FIFO (or a device: renaming over /dev/full
 * would turn it into a file; a FIFO stands in for it here), a socket, a
 * folder, a symlink to one of them.  A symlink to a regular file is
 * replaced, not written through. */
static void test_write_not_regular(void)
{
    watchdog();
    char *dir = tu_tmpdir();
    char *fifo = g_build_filename(dir, "saliency.png", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    char *sock = g_build_filename(dir, "sock.png", NULL);
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    g_assert_cmpuint(strlen(sock), <, sizeof sa.sun_path);
    strcpy(sa.sun_path, sock);
    g_assert_cmpint(bind(sfd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    char *folder = g_build_filename(dir, "model.safetensors", NULL);
    g_assert_cmpint(g_mkdir(folder, 0755), ==, 0);
    char *link = g_build_filename(dir, "link.png", NULL);
    g_assert_cmpint(symlink("saliency.png", link), ==, 0);
    const struct {
        const char *path;
        gint code;
        const char *says;
        mode_t kind;
    } cases[] = {
        {fifo, G_FILE_ERROR_INVAL, "it is a FIFO, not a regular file", S_IFIFO},
        {sock, G_FILE_ERROR_INVAL, "it is a socket, not a regular file", S_IFSOCK},
        {folder, G_FILE_ERROR_ISDIR, "it is a folder, not a file", S_IFDIR},
        {link, G_FILE_ERROR_INVAL, "it is a FIFO, not a regular file", S_IFLNK},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GError *error = NULL;
        g_assert_false(dg_file_check_writable(cases[i].path, &error));
        g_assert_error(error, G_FILE_ERROR, cases[i].code);
        g_clear_error(&error);
        g_assert_false(dg_file_write_atomic(cases[i].path, "PNG", 3, TRUE, &error));
        g_assert_error(error, G_FILE_ERROR, cases[i].code);
        g_test_message("%s", error->message);
        g_assert_nonnull(strstr(error->message, cases[i].says));
        g_assert_nonnull(strstr(error->message, cases[i].path));
        g_clear_error(&error);
        struct stat st;
        g_assert_cmpint(lstat(cases[i].path, &st), ==, 0);
        g_assert_cmpint(st.st_mode & S_IFMT, ==, cases[i].kind);
    }
    /* nothing else was made: no file, no temporary */
    char *names = listing(dir);
    g_assert_cmpstr(names, ==, "link.png model.safetensors saliency.png sock.png");
    g_free(names);
    /* a symlink to a regular file: the link is replaced, the file kept */
    char *file = g_build_filename(dir, "a.json", NULL), *text = NULL;
    tu_write(file, "old", 3);
    char *to_file = g_build_filename(dir, "b.json", NULL);
    g_assert_cmpint(symlink("a.json", to_file), ==, 0);
    GError *error = NULL;
    g_assert_true(dg_file_check_writable(to_file, &error));
    g_assert_true(dg_file_write_atomic(to_file, "new", 3, FALSE, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(to_file, G_FILE_TEST_IS_SYMLINK));
    g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "old");
    g_free(text);
    /* a name that does not exist yet is fine */
    char *fresh = g_build_filename(dir, "fresh.png", NULL);
    g_assert_true(dg_file_check_writable(fresh, &error));
    g_assert_no_error(error);
    close(sfd);
    tu_rm_rf(dir);
    g_free(dir), g_free(fifo), g_free(sock), g_free(folder), g_free(link), g_free(file);
    g_free(to_file), g_free(fresh);
    alarm(0);
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add_func("/data/file/plain", test_plain);
    g_test_add_func("/data/file/not-regular", test_not_regular);
    g_test_add_func("/data/file/huge", test_huge);
    g_test_add_func("/data/file/grows", test_grows);
    g_test_add_func("/data/file/display-name", test_display_name);
    g_test_add_func("/data/file/write-atomic", test_write_atomic);
    g_test_add_func("/data/file/write-not-regular", test_write_not_regular);
    return tu_run();
}
