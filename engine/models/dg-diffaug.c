#include "dg-diffaug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool dg_diffaug_parse(const char *spec, dg_diffaug_policy *p)
{
    memset(p, 0, sizeof *p);
    if (!spec || !*spec || strcmp(spec, "none") == 0)
        return true;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (strcmp(tok, "color") == 0 || strcmp(tok, "colour") == 0)
            p->color = true;
        else if (strcmp(tok, "translation") == 0)
            p->translation = true;
        else if (strcmp(tok, "cutout") == 0)
            p->cutout = true;
        else
            return false;
    }
    return true;
}

void dg_diffaug_format(const dg_diffaug_policy *p, char *buf, int len)
{
    snprintf(buf, len, "%s%s%s%s%s", p->color ? "color" : "",
             p->color && (p->translation || p->cutout) ? "," : "",
             p->translation ? "translation" : "", p->translation && p->cutout ? "," : "",
             p->cutout ? "cutout" : "");
    if (!*buf)
        snprintf(buf, len, "none");
}

void dg_diffaug_sample(const dg_diffaug_policy *p, dg_rng *rng, int B, int H, int W,
                       dg_diffaug_params *a)
{
    a->policy = *p;
    a->B = B < DG_DIFFAUG_MAX_BATCH ? B : DG_DIFFAUG_MAX_BATCH;
    a->H = H;
    a->W = W;
    a->cut = H / 2;
    int sy = H / 8, sx = W / 8;
    for (int b = 0; b < a->B; b++) {
        /* always draw every parameter so that the stream does not depend on the policy */
        a->brightness[b] = dg_rng_uniform(rng) - 0.5f;
        a->saturation[b] = 2.0f * dg_rng_uniform(rng);
        a->contrast[b] = dg_rng_uniform(rng) + 0.5f;
        a->tx[b] = (int)dg_rng_below(rng, 2 * sx + 1) - sx;
        a->ty[b] = (int)dg_rng_below(rng, 2 * sy + 1) - sy;
        a->cx[b] = (int)dg_rng_below(rng, W - a->cut + 1);
        a->cy[b] = (int)dg_rng_below(rng, H - a->cut + 1);
    }
}

/* Colour on one image in place: brightness, saturation, contrast. */
static void color_fwd(const dg_diffaug_params *a, int b, float *x, long HW)
{
    float br = a->brightness[b], s = a->saturation[b], k = a->contrast[b];
    float *r = x, *g = x + HW, *bl = x + 2 * HW;
    double sum = 0.0;
    for (long i = 0; i < HW; i++) {
        float vr = r[i] + br, vg = g[i] + br, vb = bl[i] + br;
        float m = (vr + vg + vb) * (1.0f / 3.0f);
        r[i] = (vr - m) * s + m;
        g[i] = (vg - m) * s + m;
        bl[i] = (vb - m) * s + m;
        sum += r[i] + g[i] + bl[i];
    }
    float mean = (float)(sum / (3.0 * HW));
    for (long i = 0; i < 3 * HW; i++)
        x[i] = (x[i] - mean) * k + mean;
}

/* Transpose of color_fwd's linear part (brightness is a constant shift). */
static void color_bwd(const dg_diffaug_params *a, int b, float *g, long HW)
{
    float s = a->saturation[b], k = a->contrast[b];
    double sum = 0.0;
    for (long i = 0; i < 3 * HW; i++)
        sum += g[i];
    float gm = (float)(sum / (3.0 * HW));
    for (long i = 0; i < 3 * HW; i++)
        g[i] = k * g[i] + (1.0f - k) * gm;
    float *r = g, *gg = g + HW, *bl = g + 2 * HW;
    for (long i = 0; i < HW; i++) {
        float m = (r[i] + gg[i] + bl[i]) * (1.0f / 3.0f);
        r[i] = s * r[i] + (1.0f - s) * m;
        gg[i] = s * gg[i] + (1.0f - s) * m;
        bl[i] = s * bl[i] + (1.0f - s) * m;
    }
}

static inline bool cut_at(const dg_diffaug_params *a, int b, int y, int x)
{
    return a->policy.cutout && y >= a->cy[b] && y < a->cy[b] + a->cut && x >= a->cx[b] &&
           x < a->cx[b] + a->cut;
}

void dg_diffaug_forward(const dg_diffaug_params *a, float *out, const float *in)
{
    const int H = a->H, W = a->W;
    const long HW = (long)H * W, img = 3 * HW;
    const bool shift = a->policy.translation;
    float *t = malloc(sizeof(float) * img);
    for (int b = 0; b < a->B; b++) {
        float *o = out + b * img;
        memcpy(t, in + b * img, sizeof(float) * img);
        if (a->policy.color)
            color_fwd(a, b, t, HW);
        int dx = shift ? a->tx[b] : 0, dy = shift ? a->ty[b] : 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++) {
                    int sy = y - dy, sx = xx - dx;
                    float v = 0.0f;
                    if (sy >= 0 && sy < H && sx >= 0 && sx < W && !cut_at(a, b, y, xx))
                        v = t[c * HW + sy * W + sx];
                    o[c * HW + y * W + xx] = v;
                }
    }
    free(t);
}

void dg_diffaug_backward(const dg_diffaug_params *a, float *din, const float *dout)
{
    const int H = a->H, W = a->W;
    const long HW = (long)H * W, img = 3 * HW;
    int shift = a->policy.translation;
    for (int b = 0; b < a->B; b++) {
        const float *g = dout + b * img;
        float *d = din + b * img;
        int dx = shift ? a->tx[b] : 0, dy = shift ? a->ty[b] : 0;
        /* d[sy, sx] = g[sy + dy, sx + dx] where that output pixel was not cut */
        for (int c = 0; c < 3; c++)
            for (int sy = 0; sy < H; sy++)
                for (int sx = 0; sx < W; sx++) {
                    int y = sy + dy, xx = sx + dx;
                    float v = 0.0f;
                    if (y >= 0 && y < H && xx >= 0 && xx < W && !cut_at(a, b, y, xx))
                        v = g[c * HW + y * W + xx];
                    d[c * HW + sy * W + sx] = v;
                }
        if (a->policy.color)
            color_bwd(a, b, d, HW);
    }
}
