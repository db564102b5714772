/* test-augment: training-time augmentation and batches. */
#include <math.h>

#include "data-test-util.h"

#define S 16
#define N (3 * S * S)

/* An asymmetric test picture: every pixel different. */
static void picture(guint8 *img)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                img[c * S * S + y * S + x] = (guint8)(c * 70 + y * 11 + x * 3 + (x * y) % 7);
}

static void in_range(const float *f)
{
    for (int i = 0; i < N; i++) {
        g_assert_true(isfinite(f[i]));
        g_assert_cmpfloat(f[i], >=, -1.0f);
        g_assert_cmpfloat(f[i], <=, 1.0f);
    }
}

/* The eight symmetries of the square, applied to uint8 CHW. */
static void symmetry(const guint8 *src, int k, float *dst)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int u = x, v = y;
                if (k & 4) /* transpose */
                    u = y, v = x;
                if (k & 1)
                    u = S - 1 - u;
                if (k & 2)
                    v = S - 1 - v;
                dst[c * S * S + y * S + x] = src[c * S * S + v * S + u] / 127.5f - 1.0f;
            }
}

/* Which symmetry f is (-1: none). */
static int which_symmetry(const guint8 *src, const float *f)
{
    float g[N];
    for (int k = 0; k < 8; k++) {
        symmetry(src, k, g);
        if (memcmp(f, g, sizeof g) == 0)
            return k;
    }
    return -1;
}

static void test_none(void)
{
    guint8 img[N];
    picture(img);
    dg_augment aug;
    dg_augment_none(&aug);
    dg_rng rng;
    dg_rng_seed(&rng, 1);
    float a[N], b[N];
    dg_augment_image(&aug, &rng, img, S, a);
    dg_image_to_float(img, S, b);
    g_assert_cmpmem(a, sizeof a, b, sizeof b);
}

static void test_deterministic(void)
{
    guint8 img[N];
    picture(img);
    dg_augment aug;
    dg_augment_defaults(&aug);
    g_assert_true(aug.hflip && aug.vflip && aug.rot90 && aug.crop);
    g_assert_cmpfloat(aug.brightness, >, 0);
    dg_rng r1, r2, r3;
    dg_rng_seed(&r1, 99);
    dg_rng_seed(&r2, 99);
    dg_rng_seed(&r3, 100);
    int differ = 0;
    for (int t = 0; t < 20; t++) {
        float a[N], b[N], c[N];
        dg_augment_image(&aug, &r1, img, S, a);
        dg_augment_image(&aug, &r2, img, S, b);
        dg_augment_image(&aug, &r3, img, S, c);
        g_assert_cmpmem(a, sizeof a, b, sizeof b);
        in_range(a);
        in_range(c);
        differ += memcmp(a, c, sizeof a) != 0;
    }
    g_assert_cmpint(differ, >=, 18);
}

/* Flips and rotations alone: exact symmetries; all the expected ones occur. */
static void test_geometry(void)
{
    guint8 img[N];
    picture(img);
    /* Symmetry k (see symmetry()): bit 0 mirrors x, bit 1 mirrors y, bit 2
     * transposes first.  The four rotations are 0, 3, 5 and 6. */
    const struct {
        gboolean h, v, r;
        unsigned expected; /* bit k: symmetry k occurs over 200 draws, and no other */
    } cases[] = {
        {TRUE, FALSE, FALSE, (1u << 0) | (1u << 1)},
        {FALSE, TRUE, FALSE, (1u << 0) | (1u << 2)},
        {FALSE, FALSE, TRUE, (1u << 0) | (1u << 3) | (1u << 5) | (1u << 6)},
        {TRUE, TRUE, TRUE, 0xFF},
    };
    for (gsize k = 0; k < G_N_ELEMENTS(cases); k++) {
        dg_augment aug;
        dg_augment_none(&aug);
        aug.hflip = cases[k].h;
        aug.vflip = cases[k].v;
        aug.rot90 = cases[k].r;
        dg_rng rng;
        dg_rng_seed(&rng, 5 + k);
        unsigned seen = 0;
        for (int t = 0; t < 200; t++) {
            float f[N];
            dg_augment_image(&aug, &rng, img, S, f);
            int s = which_symmetry(img, f);
            g_assert_cmpint(s, >=, 0);
            seen |= 1u << s;
        }
        if (seen != cases[k].expected)
            g_error("case %zu: symmetries seen 0x%02x, expected 0x%02x", k, seen,
                    cases[k].expected);
    }
}

static void test_crop(void)
{
    guint8 img[N];
    picture(img);
    dg_augment aug;
    dg_augment_none(&aug);
    aug.crop = TRUE;
    aug.crop_min_scale = 0.5f;
    dg_rng rng;
    dg_rng_seed(&rng, 3);
    int changed = 0;
    for (int t = 0; t < 50; t++) {
        float f[N];
        dg_augment_image(&aug, &rng, img, S, f);
        in_range(f);
        changed += which_symmetry(img, f) < 0;
        /* A crop enlarges part of the picture: values stay within the
         * source's range per channel. */
        for (int c = 0; c < 3; c++) {
            float lo = 1, hi = -1, slo = 1, shi = -1;
            for (int i = 0; i < S * S; i++) {
                lo = fminf(lo, f[c * S * S + i]);
                hi = fmaxf(hi, f[c * S * S + i]);
                float s = img[c * S * S + i] / 127.5f - 1;
                slo = fminf(slo, s);
                shi = fmaxf(shi, s);
            }
            g_assert_cmpfloat(lo, >=, slo - 1e-5f);
            g_assert_cmpfloat(hi, <=, shi + 1e-5f);
        }
    }
    g_assert_cmpint(changed, >=, 45);
    /* A uniform picture stays uniform. */
    guint8 flat[N];
    memset(flat, 77, sizeof flat);
    float f[N];
    dg_augment_image(&aug, &rng, flat, S, f);
    for (int i = 0; i < N; i++)
        g_assert_cmpfloat(fabsf(f[i] - (77 / 127.5f - 1)), <, 1e-5f);
    /* min scale 1: no crop at all. */
    aug.crop_min_scale = 1.0f;
    dg_augment_image(&aug, &rng, img, S, f);
    g_assert_cmpint(which_symmetry(img, f), ==, 0);
}

static void test_colour(void)
{
    guint8 grey[N], colour[N];
    memset(grey, 100, sizeof grey);
    for (int i = 0; i < S * S; i++) {
        colour[i] = 200;
        colour[S * S + i] = 60;
        colour[2 * S * S + i] = 30;
    }
    float base_grey = 100 / 127.5f - 1;
    for (int which = 0; which < 4; which++) {
        dg_augment aug;
        dg_augment_none(&aug);
        float *knob = which == 0 ? &aug.brightness
                      : which == 1 ? &aug.contrast
                      : which == 2 ? &aug.saturation
                                   : &aug.hue;
        *knob = which == 3 ? 0.1f : 0.3f;
        dg_rng rng;
        dg_rng_seed(&rng, 11 + which);
        int changed_grey = 0, changed_colour = 0;
        for (int t = 0; t < 30; t++) {
            float f[N], g[N];
            dg_rng keep = rng;
            dg_augment_image(&aug, &rng, grey, S, f);
            dg_augment_image(&aug, &keep, colour, S, g);
            in_range(f);
            in_range(g);
            /* Uniform in, uniform out (every knob is global). */
            for (int i = 1; i < S * S; i++)
                for (int c = 0; c < 3; c++)
                    g_assert_cmpfloat(f[c * S * S + i], ==, f[c * S * S]);
            changed_grey += fabsf(f[0] - base_grey) > 1e-3f;
            changed_colour += fabsf(g[0] - (200 / 127.5f - 1)) > 1e-3f ||
                              fabsf(g[S * S] - (60 / 127.5f - 1)) > 1e-3f ||
                              fabsf(g[2 * S * S] - (30 / 127.5f - 1)) > 1e-3f;
            if (which == 0) {
                /* Brightness scales by 1 +- 0.3. */
                float v = (f[0] + 1) / 2, v0 = 100 / 255.0f;
                g_assert_cmpfloat(v, >=, v0 * 0.7f - 1e-4f);
                g_assert_cmpfloat(v, <=, v0 * 1.3f + 1e-4f);
            }
        }
        /* Brightness changes grey; contrast of a uniform image, saturation
         * and hue of a grey one change nothing; all change colour. */
        if (which == 0)
            g_assert_cmpint(changed_grey, >=, 25);
        else
            g_assert_cmpint(changed_grey, ==, 0);
        if (changed_colour < 25)
            g_error("knob %d changed the colour image %d times of 30", which, changed_colour);
    }
}

/* Every call draws the same numbers, whatever is switched on, so one switch
 * does not change what the others do. */
static void test_independent(void)
{
    guint8 img[N];
    picture(img);
    dg_augment all, none, flip;
    dg_augment_defaults(&all);
    dg_augment_none(&none);
    dg_augment_none(&flip);
    flip.hflip = TRUE;
    dg_rng a, b, c;
    dg_rng_seed(&a, 8);
    dg_rng_seed(&b, 8);
    dg_rng_seed(&c, 8);
    for (int t = 0; t < 10; t++) {
        float f[N];
        dg_augment_image(&all, &a, img, S, f);
        dg_augment_image(&none, &b, img, S, f);
        dg_augment_image(&flip, &c, img, S, f);
    }
    guint64 na = dg_rng_u64(&a), nb = dg_rng_u64(&b), nc = dg_rng_u64(&c);
    g_assert_cmpuint(na, ==, nb);
    g_assert_cmpuint(nb, ==, nc);
    /* And exactly DG_AUGMENT_DRAWS numbers per call. */
    dg_rng_seed(&a, 8);
    for (int t = 0; t < 10 * DG_AUGMENT_DRAWS; t++)
        dg_rng_u64(&a);
    g_assert_cmpuint(dg_rng_u64(&a), ==, nc);
    /* hflip with or without vflip: the horizontal choice is the same. */
    dg_augment hv = flip;
    hv.vflip = TRUE;
    dg_rng_seed(&a, 9);
    dg_rng_seed(&b, 9);
    for (int t = 0; t < 50; t++) {
        float f[N], g[N];
        dg_augment_image(&flip, &a, img, S, f);
        dg_augment_image(&hv, &b, img, S, g);
        int sf = which_symmetry(img, f), sg = which_symmetry(img, g);
        g_assert_cmpint(sf & 1, ==, sg & 1);
    }
}

static void test_batch(void)
{
    dg_dataset *ds = g_new0(dg_dataset, 1);
    ds->size = S;
    ds->n_items = 3;
    ds->n_classes = 2;
    ds->items = g_new0(dg_item, 3);
    ds->pixels = g_new(guint8, 3 * N);
    for (int i = 0; i < 3; i++) {
        ds->items[i].cls = i % 2;
        memset(ds->pixels + i * N, 50 * i, N);
    }
    int idx[4] = {2, 0, 1, 2};
    float x[4 * N];
    int y[4];
    dg_dataset_batch(ds, idx, 4, NULL, NULL, x, y);
    g_assert_cmpint(y[0], ==, 0);
    g_assert_cmpint(y[1], ==, 0);
    g_assert_cmpint(y[2], ==, 1);
    for (int k = 0; k < 4; k++) {
        float want = 50 * idx[k] / 127.5f - 1;
        for (int i = 0; i < N; i++)
            g_assert_cmpfloat(x[k * N + i], ==, want);
    }
    dg_augment aug;
    dg_augment_defaults(&aug);
    dg_rng r1, r2;
    dg_rng_seed(&r1, 4);
    dg_rng_seed(&r2, 4);
    float x2[4 * N];
    dg_dataset_batch(ds, idx, 4, &aug, &r1, x, NULL);
    dg_dataset_batch(ds, idx, 4, &aug, &r2, x2, y);
    g_assert_cmpmem(x, sizeof x, x2, sizeof x2);
    for (int i = 0; i < 4 * N; i++) {
        g_assert_cmpfloat(x[i], >=, -1);
        g_assert_cmpfloat(x[i], <=, 1);
    }
    g_free(ds->items);
    ds->items = NULL;
    ds->n_items = 0;
    dg_dataset_free(ds);
}

/* CutMix: images b and n - 1 - b swap one box; lam is the share each keeps;
 * exactly DG_CUTMIX_DRAWS draws. */
static void test_cutmix(void)
{
    enum { MS = 16, MN = 5, MP = MS * MS, MIMG = 3 * MP };
    float *x = g_new(float, MN * MIMG);
    int partner[MN];
    dg_rng r, r2;
    dg_rng_seed(&r, 11);
    dg_rng_seed(&r2, 11);
    gboolean some_box = FALSE;
    for (int rep = 0; rep < 50; rep++) {
        for (int b = 0; b < MN; b++)
            for (int i = 0; i < MIMG; i++)
                x[b * MIMG + i] = (float)b;
        float lam = dg_cutmix_batch(&r, x, MN, MS, partner);
        for (int i = 0; i < DG_CUTMIX_DRAWS; i++)
            dg_rng_uniform(&r2);
        g_assert_cmpuint(dg_rng_u64(&r), ==, dg_rng_u64(&r2));
        g_assert_cmpfloat(lam, >=, 0.0f);
        g_assert_cmpfloat(lam, <=, 1.0f);
        for (int b = 0; b < MN; b++) {
            g_assert_cmpint(partner[b], ==, MN - 1 - b);
            int own = 0;
            for (int i = 0; i < MIMG; i++) {
                float v = x[b * MIMG + i];
                g_assert_true(v == (float)b || v == (float)partner[b]);
                own += v == (float)b;
                /* the same box in every channel, and in the partner */
                if (i < MP) {
                    g_assert_cmpfloat(x[b * MIMG + MP + i], ==, v);
                    g_assert_cmpfloat(x[partner[b] * MIMG + i], ==, v == (float)b ? (float)partner[b] : (float)b);
                }
            }
            if (partner[b] != b) {
                g_assert_cmpfloat_with_epsilon((float)own / MIMG, lam, 1e-6);
                some_box |= own < MIMG;
            }
        }
    }
    g_assert_true(some_box);
    g_free(x);
}

/* The simulated change of source of evaluate --shift: strength 0 leaves the
 * image alone; a given rng state gives the same change; always
 * DG_SOURCE_SHIFT_DRAWS draws; on a flat image the result is exactly
 * (gain_c * exposure * v)^gamma with the documented ranges, clamped. */
static void test_source_shift(void)
{
    float a[N], b[N];
    for (int i = 0; i < N; i++)
        a[i] = b[i] = (i % 7) / 7.0f - 0.5f;
    dg_rng r1, r2;
    dg_rng_seed(&r1, 5), dg_rng_seed(&r2, 5);
    dg_source_shift(a, S, 0.0, &r1);
    for (int i = 0; i < N; i++)
        g_assert_cmpfloat(a[i], ==, b[i]);
    for (int i = 0; i < DG_SOURCE_SHIFT_DRAWS; i++)
        dg_rng_uniform(&r2);
    g_assert_cmpuint(dg_rng_u64(&r1), ==, dg_rng_u64(&r2));

    /* flat mid-grey (0.5 in [0, 1], 0 in [-1, 1]) at strength 1 */
    dg_rng_seed(&r1, 11), dg_rng_seed(&r2, 11);
    float u[DG_SOURCE_SHIFT_DRAWS];
    for (int i = 0; i < DG_SOURCE_SHIFT_DRAWS; i++)
        u[i] = 2.0f * dg_rng_uniform(&r2) - 1.0f;
    for (int i = 0; i < N; i++)
        a[i] = 0.0f;
    dg_source_shift(a, S, 1.0, &r1);
    for (int c = 0; c < 3; c++) {
        double gain = exp(0.2 * u[c]) * exp(0.2 * u[3]), gamma = exp(0.3 * u[4]);
        double want = 2.0 * pow(fmin(1.0, 0.5 * gain), gamma) - 1.0;
        for (int i = 0; i < S * S; i++)
            g_assert_cmpfloat_with_epsilon(a[c * S * S + i], want, 1e-5);
    }
    /* every value stays in [-1, 1], even at the largest strength */
    for (int seed = 0; seed < 50; seed++) {
        for (int i = 0; i < N; i++)
            a[i] = (i % 11) / 5.0f - 1.0f;
        dg_rng_seed(&r1, seed);
        dg_source_shift(a, S, 4.0, &r1);
        for (int i = 0; i < N; i++)
            g_assert_true(a[i] >= -1.0f && a[i] <= 1.0f);
    }
}

int main(int argc, char **argv)
{
    tu_init(&argc, &argv);
    g_test_add_func("/data/augment/none", test_none);
    g_test_add_func("/data/augment/deterministic", test_deterministic);
    g_test_add_func("/data/augment/geometry", test_geometry);
    g_test_add_func("/data/augment/crop", test_crop);
    g_test_add_func("/data/augment/colour", test_colour);
    g_test_add_func("/data/augment/independent", test_independent);
    g_test_add_func("/data/augment/batch", test_batch);
    g_test_add_func("/data/augment/cutmix", test_cutmix);
    g_test_add_func("/data/augment/source-shift", test_source_shift);
    return tu_run();
}
