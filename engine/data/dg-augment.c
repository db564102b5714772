/* dg-augment.c: training-time augmentation and batches, and the simulated
 * change of source of evaluate --shift.
 *
 * Every call draws the same ten random numbers in the same order, whichever
 * switches are on, so turning one switch on or off does not change what the
 * others do for a given RNG state. */
#include "dg-data-private.h"

#include <math.h>
#include <string.h>

void dg_augment_defaults(dg_augment *aug)
{
    aug->hflip = TRUE;
    aug->vflip = TRUE;
    aug->rot90 = TRUE;
    aug->crop = TRUE;
    aug->crop_min_scale = 0.8f;
    aug->brightness = 0.1f;
    aug->contrast = 0.1f;
    aug->saturation = 0.1f;
    aug->hue = 0.02f;
}

void dg_augment_none(dg_augment *aug)
{
    memset(aug, 0, sizeof *aug);
    aug->crop_min_scale = 1.0f;
}

static float clamp01(float v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static float bilinear(const uint8_t *plane, int size, float x, float y)
{
    if (x < 0)
        x = 0;
    if (y < 0)
        y = 0;
    if (x > size - 1)
        x = (float)(size - 1);
    if (y > size - 1)
        y = (float)(size - 1);
    int x0 = (int)x, y0 = (int)y;
    int x1 = x0 + 1 < size ? x0 + 1 : x0, y1 = y0 + 1 < size ? y0 + 1 : y0;
    float fx = x - x0, fy = y - y0;
    float a = plane[y0 * size + x0] * (1 - fx) + plane[y0 * size + x1] * fx;
    float b = plane[y1 * size + x0] * (1 - fx) + plane[y1 * size + x1] * fx;
    return a * (1 - fy) + b * fy;
}

static void rgb_to_hsv(float r, float g, float b, float *h, float *s, float *v)
{
    float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
    *v = mx;
    *s = mx > 0 ? d / mx : 0;
    if (d <= 0) {
        *h = 0;
        return;
    }
    float hh;
    if (mx == r)
        hh = (g - b) / d;
    else if (mx == g)
        hh = 2 + (b - r) / d;
    else
        hh = 4 + (r - g) / d;
    hh /= 6;
    if (hh < 0)
        hh += 1;
    *h = hh;
}

static void hsv_to_rgb(float h, float s, float v, float *r, float *g, float *b)
{
    h = (h - floorf(h)) * 6;
    int i = (int)h;
    if (i > 5)
        i = 5;
    float f = h - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch (i) {
    case 0: *r = v; *g = t; *b = p; break;
    case 1: *r = q; *g = v; *b = p; break;
    case 2: *r = p; *g = v; *b = t; break;
    case 3: *r = p; *g = q; *b = v; break;
    case 4: *r = t; *g = p; *b = v; break;
    default: *r = v; *g = p; *b = q; break;
    }
}

void dg_augment_image(const dg_augment *aug, dg_rng *rng, const uint8_t *src, int size,
                      float *dst)
{
    g_return_if_fail(aug != NULL && rng != NULL && src != NULL && dst != NULL && size > 0);
    /* The draws: always all of them, always in this order. */
    float u_hflip = dg_rng_uniform(rng), u_vflip = dg_rng_uniform(rng);
    uint32_t rot = dg_rng_below(rng, 4);
    float u_scale = dg_rng_uniform(rng), u_ratio = dg_rng_uniform(rng);
    float u_x = dg_rng_uniform(rng), u_y = dg_rng_uniform(rng);
    float u_b = dg_rng_uniform(rng), u_c = dg_rng_uniform(rng), u_s = dg_rng_uniform(rng);
    float u_h = dg_rng_uniform(rng);

    gboolean hflip = aug->hflip && u_hflip < 0.5f;
    gboolean vflip = aug->vflip && u_vflip < 0.5f;
    if (!aug->rot90)
        rot = 0;
    const int S = size;
    const gsize plane = (gsize)S * S;

    /* Geometry: output (x, y) -> undo the rotation -> undo the flips -> a
     * point of the crop -> the source.  Without a crop this is a permutation
     * of whole pixels (exact); with one, bilinear sampling. */
    gboolean crop = aug->crop && aug->crop_min_scale < 1.0f;
    float cx = 0, cy = 0, cw = (float)S, ch = (float)S;
    if (crop) {
        float lo = aug->crop_min_scale > 0.05f ? aug->crop_min_scale : 0.05f;
        float area = lo + u_scale * (1 - lo);
        float logr = logf(3.0f / 4.0f) + u_ratio * (logf(4.0f / 3.0f) - logf(3.0f / 4.0f));
        float ratio = expf(logr);
        cw = fminf((float)S, S * sqrtf(area * ratio));
        ch = fminf((float)S, S * sqrtf(area / ratio));
        cx = u_x * (S - cw);
        cy = u_y * (S - ch);
    }
    for (int y = 0; y < S; y++) {
        for (int x = 0; x < S; x++) {
            int x1, y1;
            switch (rot) {
            case 1: x1 = y; y1 = S - 1 - x; break;
            case 2: x1 = S - 1 - x; y1 = S - 1 - y; break;
            case 3: x1 = S - 1 - y; y1 = x; break;
            default: x1 = x; y1 = y; break;
            }
            if (hflip)
                x1 = S - 1 - x1;
            if (vflip)
                y1 = S - 1 - y1;
            gsize o = (gsize)y * S + x;
            if (!crop) {
                gsize i = (gsize)y1 * S + x1;
                for (int c = 0; c < 3; c++)
                    dst[c * plane + o] = src[c * plane + i] / 127.5f - 1.0f;
            } else {
                float sx = cx + (x1 + 0.5f) * cw / S - 0.5f;
                float sy = cy + (y1 + 0.5f) * ch / S - 0.5f;
                for (int c = 0; c < 3; c++) {
                    float v = bilinear(src + c * plane, S, sx, sy) / 127.5f - 1.0f;
                    dst[c * plane + o] = v < -1 ? -1 : v > 1 ? 1 : v;
                }
            }
        }
    }

    /* Colour jitter, in [0, 1], in the order brightness, contrast,
     * saturation, hue (torchvision's ColorJitter with a fixed order). */
    gboolean jitter =
        aug->brightness > 0 || aug->contrast > 0 || aug->saturation > 0 || aug->hue > 0;
    if (!jitter)
        return;
    float *r = dst, *g = dst + plane, *b = dst + 2 * plane;
    for (gsize i = 0; i < 3 * plane; i++)
        dst[i] = (dst[i] + 1) * 0.5f;
    if (aug->brightness > 0) {
        float f = 1 + aug->brightness * (2 * u_b - 1);
        for (gsize i = 0; i < 3 * plane; i++)
            dst[i] = clamp01(dst[i] * f);
    }
    if (aug->contrast > 0) {
        float f = 1 + aug->contrast * (2 * u_c - 1);
        double sum = 0;
        for (gsize i = 0; i < plane; i++)
            sum += 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
        float mean = (float)(sum / plane);
        for (gsize i = 0; i < 3 * plane; i++)
            dst[i] = clamp01(mean + f * (dst[i] - mean));
    }
    if (aug->saturation > 0) {
        float f = 1 + aug->saturation * (2 * u_s - 1);
        for (gsize i = 0; i < plane; i++) {
            float grey = 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
            r[i] = clamp01(grey + f * (r[i] - grey));
            g[i] = clamp01(grey + f * (g[i] - grey));
            b[i] = clamp01(grey + f * (b[i] - grey));
        }
    }
    if (aug->hue > 0) {
        float shift = fminf(aug->hue, 0.5f) * (2 * u_h - 1);
        for (gsize i = 0; i < plane; i++) {
            float h, s, v;
            rgb_to_hsv(r[i], g[i], b[i], &h, &s, &v);
            hsv_to_rgb(h + shift, s, v, &r[i], &g[i], &b[i]);
        }
    }
    for (gsize i = 0; i < 3 * plane; i++) {
        float v = clamp01(dst[i]) * 2 - 1;
        dst[i] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
}

void dg_dataset_batch(const dg_dataset *ds, const int *idx, int n, const dg_augment *aug,
                      dg_rng *rng, float *x, int *y)
{
    g_return_if_fail(ds != NULL && (idx != NULL || n == 0) && (x != NULL || n == 0));
    gsize chw = (gsize)3 * ds->size * ds->size;
    for (int k = 0; k < n; k++) {
        g_return_if_fail(idx[k] >= 0 && idx[k] < ds->n_items);
        const uint8_t *src = dg_dataset_image(ds, idx[k]);
        if (aug && rng)
            dg_augment_image(aug, rng, src, ds->size, x + k * chw);
        else
            dg_image_to_float(src, ds->size, x + k * chw);
        if (y)
            y[k] = ds->items[idx[k]].cls;
    }
}

float dg_cutmix_batch(dg_rng *rng, float *x, int n, int size, int *partner)
{
    const float lam0 = dg_rng_uniform(rng); /* Beta(1, 1), as in the paper */
    const float cx = dg_rng_uniform(rng) * size, cy = dg_rng_uniform(rng) * size;
    const float half = 0.5f * sqrtf(1.0f - lam0) * size;
    int x0 = (int)lrintf(cx - half), x1 = (int)lrintf(cx + half);
    int y0 = (int)lrintf(cy - half), y1 = (int)lrintf(cy + half);
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > size ? size : x1, y1 = y1 > size ? size : y1;
    const long plane = (long)size * size, img = 3 * plane;
    for (int b = 0; b < n; b++)
        partner[b] = n - 1 - b;
    for (int b = 0; b < n / 2; b++) {
        float *p = x + b * img, *q = x + (long)(n - 1 - b) * img;
        for (int c = 0; c < 3; c++)
            for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++) {
                    const long i = c * plane + (long)yy * size + xx;
                    const float t = p[i];
                    p[i] = q[i];
                    q[i] = t;
                }
    }
    const int area = (x1 > x0 && y1 > y0) ? (x1 - x0) * (y1 - y0) : 0;
    return 1.0f - (float)area / (float)plane;
}

void dg_source_shift(float *chw, int size, double strength, dg_rng *rng)
{
    g_return_if_fail(chw != NULL && rng != NULL && size > 0);
    float u[DG_SOURCE_SHIFT_DRAWS];
    for (int i = 0; i < DG_SOURCE_SHIFT_DRAWS; i++)
        u[i] = 2.0f * dg_rng_uniform(rng) - 1.0f; /* U(-1, 1) */
    if (!(strength > 0))
        return;
    const float s = (float)fmin(strength, 4.0);
    const float exposure = expf(0.2f * s * u[3]), gamma = expf(0.3f * s * u[4]);
    const gsize plane = (gsize)size * size;
    for (int c = 0; c < 3; c++) {
        const float gain = expf(0.2f * s * u[c]) * exposure;
        float *p = chw + c * plane;
        for (gsize i = 0; i < plane; i++) {
            float v = clamp01((p[i] + 1.0f) * 0.5f * gain);
            p[i] = 2.0f * powf(v, gamma) - 1.0f;
        }
    }
}
