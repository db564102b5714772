/* gan-spectrum: where a generator's images differ from real ones in the
 * Fourier domain (a diagnostic for the spectral artifact score of
 * `gan score`, issue 12).
 *
 *   gan-spectrum --data DIR [--model FILE | --preset NAME] [--class ID] [--n N]
 *                [--mean-png FILE] [--checkpoint FILE [--raw]]
 *
 * Prints, for one class, the radial profile of log10(P_generated / P_real)
 * (mean power spectra, as dg_mean_power_spectrum computes them), the same
 * for two halves of the real images (the floor), and the frequencies of the
 * largest excess and deficit.  With --preset the generator is freshly
 * initialised: what the architecture does before any training.  --mean-png
 * writes the mean generated image beside the mean real one and their
 * difference (x4 around grey): a pattern at fixed positions shows there.
 * --checkpoint (with --preset, the run's) samples a run's checkpoint; --raw
 * the trained generator instead of its moving average. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dg-dataset.h"
#include "jobs/dg-job-util.h"
#include "models/dg-gan-quality.h"
#include "models/dg-gan.h"
#include "numerics/dg-ctx.h"

static int sfreq(int f, int S)
{
    return f <= S / 2 ? f : f - S;
}

static void report(const char *what, const double *pg, const double *pr, int S)
{
    int nb = S / 2 + 1;
    double *sg = g_new0(double, nb), *sr = g_new0(double, nb);
    for (int v = 0; v < S; v++)
        for (int u = 0; u < S; u++) {
            int r = (int)lround(sqrt((double)sfreq(u, S) * sfreq(u, S) + (double)sfreq(v, S) * sfreq(v, S)));
            if (r >= nb)
                r = nb - 1;
            sg[r] += pg[v * S + u];
            sr[r] += pr[v * S + u];
        }
    printf("%s radial log10 ratio (radius: value):\n ", what);
    for (int r = 1; r < nb; r++)
        printf(" %d:%+.2f", r, log10(sg[r] / sr[r]));
    printf("\n");
    /* the largest excesses and deficits, 2x2-binned like dg_spectral_compare */
    double best[4] = {-1e9, -1e9, 1e9, 1e9};
    int at[4][2] = {{0}};
    for (int v = 0; v < S; v++)
        for (int u = 0; u < S; u++) {
            int fu = sfreq(u, S), fv = sfreq(v, S);
            if (sqrt((double)fu * fu + (double)fv * fv) < S / 8.0)
                continue;
            double l = log10(pg[v * S + u] / pr[v * S + u]);
            if (l > best[0]) {
                best[1] = best[0], at[1][0] = at[0][0], at[1][1] = at[0][1];
                best[0] = l, at[0][0] = fu, at[0][1] = fv;
            } else if (l > best[1])
                best[1] = l, at[1][0] = fu, at[1][1] = fv;
            if (l < best[2]) {
                best[3] = best[2], at[3][0] = at[2][0], at[3][1] = at[2][1];
                best[2] = l, at[2][0] = fu, at[2][1] = fv;
            } else if (l < best[3])
                best[3] = l, at[3][0] = fu, at[3][1] = fv;
        }
    printf("  excess %+.2f at (%d,%d), %+.2f at (%d,%d); deficit %+.2f at (%d,%d), %+.2f at (%d,%d)\n",
           best[0], at[0][0], at[0][1], best[1], at[1][0], at[1][1], best[2], at[2][0], at[2][1],
           best[3], at[3][0], at[3][1]);
    dg_spectral_score s = dg_spectral_compare(pg, pr, S);
    printf("  score: worst %.3f (excess %.3f, deficit %.3f) at (%d,%d)\n", s.worst, s.excess,
           s.deficit, s.fu, s.fv);
    g_free(sg), g_free(sr);
}

int main(int argc, char **argv)
{
    const char *data = NULL, *model = NULL, *preset = NULL, *cls = "mel", *mean_png = NULL;
    const char *ckpt = NULL;
    bool raw = false;
    int n = 200;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--raw")) {
            raw = true;
            i--;
            continue;
        }
        if (i + 1 >= argc)
            break;
        if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else if (!strcmp(argv[i], "--model"))
            model = argv[i + 1];
        else if (!strcmp(argv[i], "--preset"))
            preset = argv[i + 1];
        else if (!strcmp(argv[i], "--class"))
            cls = argv[i + 1];
        else if (!strcmp(argv[i], "--checkpoint"))
            ckpt = argv[i + 1];
        else if (!strcmp(argv[i], "--mean-png"))
            mean_png = argv[i + 1];
        else if (!strcmp(argv[i], "--n"))
            n = atoi(argv[i + 1]);
    }
    if (!data || (!model && !preset) || n < 4 || n > 5000) {
        fprintf(stderr, "usage: gan-spectrum --data DIR (--model FILE | --preset NAME) [--class ID] [--n N]\n");
        return 2;
    }
    GError *err = NULL;
    dg_gan *gan;
    char **ids = NULL, **names = NULL;
    dg_rng rng;
    dg_rng_seed(&rng, 7);
    if (model) {
        gan = dg_gan_load_model(model, 64, &ids, &names, &err);
    } else {
        dg_gan_config c;
        if (!dg_gan_config_preset(&c, preset, 4, &err)) {
            fprintf(stderr, "%s\n", err->message);
            return 1;
        }
        gan = dg_gan_new(&c, 64, ckpt != NULL, false);
        dg_gan_init(gan, &rng);
        if (ckpt) {
            dg_st *st = dg_st_load(ckpt, &err);
            if (!st || !dg_gan_read_state(gan, st, &err)) {
                fprintf(stderr, "%s\n", err->message);
                return 1;
            }
            dg_st_free(st);
            if (raw && gan->Gema[0])
                dg_net_copy_weights(gan->Gema[0], gan->G[0]);
            dg_gan_refresh_stats(gan, dg_ctx_new(1), &rng, 8);
        }
    }
    if (!gan) {
        fprintf(stderr, "%s\n", err->message);
        return 1;
    }
    const int S = gan->cfg.size;
    dg_load_options opt;
    dg_load_options_init(&opt);
    opt.size = S;
    dg_dataset *ds = dg_dataset_load(data, &opt, &err);
    if (!ds || !dg_dataset_split(ds, 1, 0.7, 0.15, &err)) {
        fprintf(stderr, "%s\n", err->message);
        return 1;
    }
    int c = dg_dataset_class_index(ds, cls);
    int label = 0;
    if (ids) {
        for (int k = 0; ids[k]; k++)
            if (!strcmp(ids[k], cls))
                label = k;
    } else
        label = c;
    int *idx = g_new(int, ds->n_items);
    int nr = dg_dataset_indices(ds, DG_SPLIT_TRAIN, c, idx);
    const long img = 3L * S * S;
    int na = nr / 2, nb = MIN(nr - na, n);
    float *ra = g_new(float, na * img), *rb = g_new(float, nb * img), *g = g_new(float, n * img);
    for (int i = 0; i < na; i++)
        dg_image_to_float(dg_dataset_image(ds, idx[i]), S, ra + i * img);
    for (int i = 0; i < nb; i++)
        dg_image_to_float(dg_dataset_image(ds, idx[na + i]), S, rb + i * img);
    dg_ctx *ctx = dg_ctx_new(1);
    int *labels = g_new(int, n);
    for (int i = 0; i < n; i++)
        labels[i] = label;
    for (int i0 = 0; i0 < n; i0 += 64)
        dg_gan_generate(gan, ctx, &rng, NULL, labels + i0, MIN(64, n - i0), g + i0 * img);
    double *pa = g_new(double, S * S), *pb = g_new(double, S * S), *pg = g_new(double, S * S);
    dg_mean_power_spectrum(ra, na, S, pa);
    dg_mean_power_spectrum(rb, nb, S, pb);
    dg_mean_power_spectrum(g, n, S, pg);
    printf("class %s: %d real (half A), %d real (half B), %d generated\n", cls, na, nb, n);
    report("generated/real", pg, pa, S);
    report("real B/real A ", pb, pa, S);
    {
        /* the fixed pattern: the mean generated image minus the mean real one
         * (grey), without its smooth part (a 9x9 box blur), as an RMS in
         * [-1, 1] units, beside the same for two halves of the real images */
        const long plane = (long)S * S;
        double *dm = g_new0(double, plane), *dr = g_new0(double, plane);
        for (long p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < n; i++)
                    dm[p] += g[i * img + c * plane + p] / (3.0 * n);
                for (int i = 0; i < nb; i++)
                    dm[p] -= rb[i * img + c * plane + p] / (3.0 * nb), dr[p] += rb[i * img + c * plane + p] / (3.0 * nb);
                for (int i = 0; i < na; i++)
                    dr[p] -= ra[i * img + c * plane + p] / (3.0 * na);
            }
        }
        double rms[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            double *d = k == 0 ? dm : dr;
            for (int y = 4; y < S - 4; y++)
                for (int x = 4; x < S - 4; x++) {
                    double m = 0.0;
                    for (int v = -4; v <= 4; v++)
                        for (int u = -4; u <= 4; u++)
                            m += d[(y + v) * S + x + u] / 81.0;
                    rms[k] += (d[y * S + x] - m) * (d[y * S + x] - m);
                }
            rms[k] = sqrt(rms[k] / ((S - 8.0) * (S - 8.0)));
        }
        printf("fixed pattern (high-passed mean difference, RMS): generated %.4f, real floor %.4f\n",
               rms[0], rms[1]);
        g_free(dm), g_free(dr);
    }
    if (mean_png) {
        /* three panels: mean generated, mean real (half B), 4 x difference + grey */
        const long plane = (long)S * S;
        uint8_t *rgb = g_new0(uint8_t, 3 * plane * 3);
        for (int c = 0; c < 3; c++)
            for (long p = 0; p < plane; p++) {
                double mg = 0.0, mr = 0.0;
                for (int i = 0; i < n; i++)
                    mg += g[i * img + c * plane + p] / n;
                for (int i = 0; i < nb; i++)
                    mr += rb[i * img + c * plane + p] / nb;
                double v[3] = {mg, mr, 4.0 * (mg - mr)};
                int y = (int)(p / S), x = (int)(p % S);
                for (int k = 0; k < 3; k++) {
                    double u = (v[k] + 1.0) * 127.5;
                    rgb[((long)y * 3 * S + k * S + x) * 3 + c] = (uint8_t)CLAMP(u, 0, 255);
                }
            }
        if (!dg_write_png(mean_png, rgb, 3 * S, S, &err))
            fprintf(stderr, "%s\n", err->message);
        g_free(rgb);
    }
    return 0;
}
