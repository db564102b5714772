/* dg-plot-axis.c: ticks and their labels, axis titles, category labels under bars. */
#include "dg-plot-private.h"

#include <stdlib.h>
#include <string.h>

static int tick_count(double lo, double hi, double step)
{
    double eps = 1e-9;
    return (int)(floor(hi / step + eps) - ceil(lo / step - eps)) + 1;
}

static void format_ticks(dg_plot_ticks *t)
{
    double maxabs = 0;
    for (int i = 0; i < t->n; i++)
        maxabs = MAX(maxabs, fabs(t->value[i]));
    double unit = 1;
    const char *suffix = "";
    if (maxabs >= 1e12 || (maxabs > 0 && maxabs < 1e-4)) {
        /* Scientific: 2e29, 1.5e-6; digits as the step needs. */
        double e_step = t->step > 0 ? floor(log10(t->step) + 1e-9) : 0;
        for (int i = 0; i < t->n; i++) {
            double v = t->value[i];
            if (v == 0) {
                g_strlcpy(t->label[i], "0", sizeof t->label[i]);
                continue;
            }
            int p = CLAMP((int)(floor(log10(fabs(v)) + 1e-9) - e_step), 0, 15);
            char buf[64];
            g_snprintf(buf, sizeof buf, "%.*e", p, v);
            char *e = strchr(buf, 'e');
            if (e) { /* "2e+29" -> "2e29", "1.5e-06" -> "1.5e-6" */
                int ex = atoi(e + 1);
                g_snprintf(e, sizeof buf - (e - buf), "e%d", ex);
            }
            g_strlcpy(t->label[i], buf, sizeof t->label[i]);
        }
        return;
    }
    if (maxabs >= 1e9) {
        unit = 1e9;
        suffix = "G";
    } else if (maxabs >= 1e6) {
        unit = 1e6;
        suffix = "M";
    } else if (maxabs >= 1e4) {
        unit = 1e3;
        suffix = "k";
    }
    double step = t->step > 0 ? t->step / unit : 1;
    int dec = 0; /* as many decimals as the step has */
    while (dec < 12 && fabs(step * pow(10, dec) - round(step * pow(10, dec))) >
                           1e-6 * step * pow(10, dec))
        dec++;
    int sig = 2;
    if (dec > 6 && maxabs > 0 && t->step > 0)
        sig = CLAMP((int)ceil(log10(maxabs / t->step)) + 2, 2, 17);
    for (int i = 0; i < t->n; i++) {
        double v = t->value[i] / unit;
        if (v == 0 || fabs(v) < step * 1e-6)
            v = 0; /* no "-0" */
        if (v == 0 && *suffix)
            g_strlcpy(t->label[i], "0", sizeof t->label[i]); /* not "0k" */
        else if (dec > 6) /* a tiny step: enough significant digits, no suffix */
            g_snprintf(t->label[i], sizeof t->label[i], "%.*g", sig,
                       v == 0 ? 0.0 : t->value[i]);
        else
            g_snprintf(t->label[i], sizeof t->label[i], "%.*f%s", dec, v, suffix);
    }
}

void dg_plot_ticks_compute(dg_plot_ticks *t, double lo, double hi, int max_ticks)
{
    memset(t, 0, sizeof *t);
    if (!isfinite(lo) || !isfinite(hi))
        return;
    if (lo > hi) {
        double s = lo;
        lo = hi;
        hi = s;
    }
    max_ticks = CLAMP(max_ticks, 2, DG_PLOT_MAX_TICKS);
    if (hi - lo <= fabs(hi) * 1e-12 || hi - lo < 1e-300) {
        t->n = 1;
        t->value[0] = lo;
        t->step = 0;
        format_ticks(t);
        return;
    }
    double range = hi - lo;
    double base = pow(10, floor(log10(range / max_ticks)));
    static const double mult[] = {1, 2, 5, 10, 20, 50, 100};
    double step = base * 100;
    for (size_t i = 0; i < G_N_ELEMENTS(mult); i++) {
        if (tick_count(lo, hi, base * mult[i]) <= max_ticks) {
            step = base * mult[i];
            break;
        }
    }
    if (tick_count(lo, hi, step) < 2) {
        /* The 1-2-5 ladder jumped from too many ticks to one: take the
         * largest step (2.5 allowed too) that gives at least two. */
        static const double fine[] = {5, 2.5, 2, 1};
        for (size_t i = 0; i < G_N_ELEMENTS(fine); i++) {
            double s = fine[i] * pow(10, floor(log10(step)));
            int n = tick_count(lo, hi, s);
            if (n >= 2 && n <= max_ticks) {
                step = s;
                break;
            }
        }
    }
    double first = ceil(lo / step - 1e-9);
    int n = MIN(tick_count(lo, hi, step), DG_PLOT_MAX_TICKS);
    for (int i = 0; i < n; i++) {
        double v = (first + i) * step;
        if (fabs(v) < step * 1e-9)
            v = 0;
        t->value[i] = v;
    }
    t->n = n;
    t->step = step;
    format_ticks(t);
}

void dg_plot_ticks_integer(dg_plot_ticks *t, double lo, double hi)
{
    if (t->n > 0 && t->step >= 1 && fabs(t->step - round(t->step)) < 1e-9)
        return;
    if (!isfinite(lo) || !isfinite(hi))
        return;
    double first = ceil(MIN(lo, hi) - 1e-9), last = floor(MAX(lo, hi) + 1e-9);
    int n = 0;
    for (double v = first; v <= last && n < DG_PLOT_MAX_TICKS; v += 1)
        t->value[n++] = v;
    t->n = n;
    t->step = 1;
    format_ticks(t);
}

/* The widest label of a tick set, in the current font. */
double dg_plot_ticks_width(const dg_plot_ink *k, const dg_plot_ticks *t)
{
    double w = 0;
    for (int i = 0; i < t->n; i++)
        w = MAX(w, dg_plot_text_w(k, t->label[i]));
    return w;
}

/* Y ticks for a plot of height h: about one every 40 px. */
void dg_plot_y_ticks(dg_plot_ticks *t, double lo, double hi, double h)
{
    dg_plot_ticks_compute(t, lo, hi, CLAMP((int)(h / 40) + 1, 2, 9));
}

/* X ticks for a plot of width w whose labels never touch (12 px apart). */
void dg_plot_x_ticks(const dg_plot_ink *k, dg_plot_ticks *t, double lo, double hi, double w)
{
    int max = CLAMP((int)(w / 60) + 1, 2, 12);
    for (; max >= 2; max--) {
        dg_plot_ticks_compute(t, lo, hi, max);
        gboolean ok = TRUE;
        double span = hi - lo;
        for (int i = 0; ok && i + 1 < t->n && span > 0; i++) {
            double gap = (t->value[i + 1] - t->value[i]) / span * w;
            double need =
                (dg_plot_text_w(k, t->label[i]) + dg_plot_text_w(k, t->label[i + 1])) / 2 + 12;
            ok = gap >= need;
        }
        if (ok)
            return;
    }
}

void dg_plot_axis_titles(const dg_plot_ink *k, const dg_plot_rect *area, const char *x_label,
                         double y, const char *y_label, double x)
{
    if (x_label)
        dg_plot_text_fit_at(k, x_label, area->width, area->x + area->width / 2, y, 0.5, 0);
    if (y_label)
        dg_plot_text_fit_vertical(k, y_label, area->height, x, area->y + area->height / 2);
}

#define CAT_ANGLE (40 * G_PI / 180)

void dg_plot_cat_layout_compute(const dg_plot_ink *k, char *const *names, int n, double slot,
                                double max_h, double left_room, dg_plot_cat_layout *L)
{
    memset(L, 0, sizeof *L);
    L->lines = 1;
    L->every = 1;
    double step = k->ascent + k->descent;
    gboolean ok = TRUE;
    double longest = 0;
    for (int i = 0; i < n; i++) {
        longest = MAX(longest, dg_plot_text_w(k, names[i]));
        char **words = g_strsplit(names[i], " ", -1);
        for (int j = 0; words[j] && ok; j++)
            ok = dg_plot_text_w(k, words[j]) <= slot - 6;
        g_strfreev(words);
        if (ok) {
            char **l = dg_plot_wrap_text(k, names[i], slot - 6, 4);
            int nl = (int)g_strv_length(l);
            g_strfreev(l);
            ok = nl <= 3;
            L->lines = MAX(L->lines, nl);
        }
    }
    if (ok) {
        L->height = k->cap + k->descent + (L->lines - 1) * step;
        return;
    }
    L->rotated = TRUE;
    double sn = sin(CAT_ANGLE), cs = cos(CAT_ANGLE);
    L->max_len = MIN(longest, (max_h - step * cs) / sn);
    L->max_len = MIN(L->max_len, (left_room + slot / 2) / cs);
    L->max_len = MAX(L->max_len, 0);
    L->height = L->max_len * sn + step * cs;
    L->every = MAX(1, (int)ceil((step + 2) / (slot * sn)));
}

/* Draw label i centred under x, top at y. */
void dg_plot_cat_label_draw(const dg_plot_ink *k, const dg_plot_cat_layout *L, const char *name,
                            int i, double slot, double x, double y)
{
    if (i % L->every)
        return;
    if (!L->rotated) {
        char **l = dg_plot_wrap_text(k, name, slot - 6, 3);
        for (int j = 0; l[j]; j++)
            dg_plot_text_at(k, l[j], x, y + j * (k->ascent + k->descent), 0.5, 0);
        g_strfreev(l);
        return;
    }
    char *s = dg_plot_ellipsize(k, name, L->max_len);
    cairo_save(k->cr);
    cairo_translate(k->cr, x + 3, y + 2);
    cairo_rotate(k->cr, -CAT_ANGLE);
    dg_plot_text_at(k, s, 0, 0, 1, 0.5);
    cairo_restore(k->cr);
    g_free(s);
}
