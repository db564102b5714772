/* test-ui-lifetimes: jobs against what started them, under a private X server
 * with G_DEBUG=fatal-warnings (and, in a sanitizer build, AddressSanitizer): a
 * training stopped or failed before its first checkpoint does not take the
 * place of the last run. */
#include "ui-app-fixture.h"

static gboolean points_at_least(gpointer p)
{
    return dg_gan_view_get_n_points(dg_window_get_gan_view(win)) >= GPOINTER_TO_UINT(p);
}

static gboolean has_checkpoint(const char *run)
{
    g_autofree char *ckpt = g_build_filename(run, "checkpoint.safetensors", NULL);
    return g_file_test(ckpt, G_FILE_TEST_IS_REGULAR);
}

/* A GAN run stopped right after Start, before its first checkpoint, leaves
 * the last run (the one Resume and "Last Trained" offer) as it was. */
static void test_gan_stop_at_once(void)
{
    uf_load(uf_data);
    DgGanView *v = dg_window_get_gan_view(win);
    dg_gan_view_configure(v, "tiny", 100000, 3);
    g_autofree char *r1 = g_build_filename(uf_tmp, "gan-first", NULL);
    g_assert_true(dg_gan_view_start(v, r1));
    g_assert_true(ut_wait(points_at_least, GUINT_TO_POINTER(3), 120));
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 120), ==, DG_JOB_CANCELLED);
    g_assert_true(has_checkpoint(r1));
    g_autofree char *r2 = g_build_filename(uf_tmp, "gan-second", NULL);
    g_assert_true(dg_gan_view_start(v, r2));
    dg_gan_view_stop(v);
    g_assert_cmpint(uf_wait_runner(dg_gan_view_get_runner(v), 120), ==, DG_JOB_CANCELLED);
    g_assert_false(has_checkpoint(r2));
    g_autofree char *last = g_settings_get_string(uf_settings, "last-gan-run");
    g_assert_cmpstr(last, ==, r1);
}

int main(int argc, char **argv)
{
    if (!uf_init(&argc, &argv, 12)) {
        printf("1..0 # SKIP no display, and xvfb-run or dbus-run-session is missing\n");
        return 0;
    }
    g_test_add_func("/lifetimes/gan-stop-at-once", test_gan_stop_at_once);
    int rc = g_test_run();
    uf_finish();
    return rc;
}
