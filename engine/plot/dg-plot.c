/* dg-plot.c: charts drawn with cairo (see dg-plot.h). */
#include "dg-plot.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* In a chart's file: defines T_kind, whose draw
 * and destroy call them with the chart as a void pointer (no function-pointer
 * casts), and T_save, which saves through dg_plot_save.  Like G_DEFINE_TYPE,
 * one line per chart instead of the same wrappers written four times. */
#define DG_PLOT_DEFINE_KIND(T, kind_name)                                                       \
    static void T##_draw_any(void *chart, cairo_t *cr, double x, double y, double width,       \
                             double height, const dg_plot_theme *theme)                        \
    {                                                                                          \
        T##_draw(chart, cr, x, y, width, height, theme);                                       \
    }                                                                                          \
    static void T##_destroy_any(void *chart)                                                   \
    {                                                                                          \
        T##_free(chart);                                                                       \
    }                                                                                          \
    const dg_plot_kind T##_kind = {kind_name, T##_draw_any, T##_destroy_any};                  \
    gboolean T##_save(T *chart, const char *path, int width, int height,                       \
                      const dg_plot_theme *theme, GError **error)                              \
    {                                                                                          \
        return dg_plot_save(path, width, height, theme, T##_draw_any, chart, error);           \
    }

/* ======================================================================== */
/* Colours and themes                                                        */
/* ======================================================================== */

static dg_plot_rgba hex(uint32_t v)
{
    return (dg_plot_rgba){((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0,
                          (v & 0xff) / 255.0, 1.0};
}

dg_plot_theme dg_plot_theme_light(void)
{
    /* Series colours: Tableau 10, slightly deepened so thin lines read well on white. */
    static const uint32_t pal[DG_PLOT_PALETTE_SIZE] = {
        0x3b75af, 0xef8636, 0x519e3e, 0xc53a32, 0x8d69b8, 0x2aa198, 0xd5689d, 0x84584e,
    };
    dg_plot_theme t = {
        .background = hex(0xffffff),
        .foreground = hex(0x2b2b2b),
        .muted = hex(0x6b6b6b),
        .grid = hex(0xebebeb),
        .axis = hex(0xa8a8a8),
        .heat = {hex(0xf1f5fa), hex(0x6a9fd0), hex(0x0d3b73)},
        .font_family = "Sans",
        .font_size = 11.0,
        .line_width = 1.75,
    };
    for (int i = 0; i < DG_PLOT_PALETTE_SIZE; i++)
        t.palette[i] = hex(pal[i]);
    return t;
}

dg_plot_theme dg_plot_theme_dark(void)
{
    /* The same hues, lighter, for a dark (#1e1e1e, libadwaita's view) background. */
    static const uint32_t pal[DG_PLOT_PALETTE_SIZE] = {
        0x6aa9f0, 0xffa552, 0x72c95e, 0xf2665c, 0xb795ea, 0x45c8bd, 0xf28cc1, 0xc4977e,
    };
    dg_plot_theme t = {
        .background = hex(0x1e1e1e),
        .foreground = hex(0xececec),
        .muted = hex(0xa3a3a3),
        .grid = hex(0x323232),
        .axis = hex(0x5e5e5e),
        .heat = {hex(0x262c35), hex(0x2c68b0), hex(0x9fd0ff)},
        .font_family = "Sans",
        .font_size = 11.0,
        .line_width = 1.75,
    };
    for (int i = 0; i < DG_PLOT_PALETTE_SIZE; i++)
        t.palette[i] = hex(pal[i]);
    return t;
}

static const dg_plot_theme *theme_or_default(const dg_plot_theme *theme, dg_plot_theme *store)
{
    if (theme)
        return theme;
    *store = dg_plot_theme_light();
    return store;
}

static dg_plot_rgba mix(dg_plot_rgba a, dg_plot_rgba b, double t)
{
    return (dg_plot_rgba){a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t,
                          a.a + (b.a - a.a) * t};
}

dg_plot_rgba dg_plot_theme_ramp(const dg_plot_theme *theme, double t)
{
    dg_plot_theme store;
    const dg_plot_theme *th = theme_or_default(theme, &store);
    if (!(t > 0)) /* also NaN */
        return th->heat[0];
    if (t >= 1)
        return th->heat[2];
    return t < 0.5 ? mix(th->heat[0], th->heat[1], t * 2) : mix(th->heat[1], th->heat[2], t * 2 - 1);
}

static double srgb_to_linear(double c)
{
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double luminance(dg_plot_rgba c)
{
    return 0.2126 * srgb_to_linear(c.r) + 0.7152 * srgb_to_linear(c.g) +
           0.0722 * srgb_to_linear(c.b);
}

double dg_plot_contrast_ratio(dg_plot_rgba a, dg_plot_rgba b)
{
    double la = luminance(a), lb = luminance(b);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

dg_plot_rgba dg_plot_text_color_for(dg_plot_rgba bg)
{
    dg_plot_rgba black = {0, 0, 0, 1}, white = {1, 1, 1, 1};
    return dg_plot_contrast_ratio(bg, black) >= dg_plot_contrast_ratio(bg, white) ? black : white;
}

static void set_color(cairo_t *cr, dg_plot_rgba c, double alpha)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * alpha);
}

static dg_plot_rgba palette(const dg_plot_theme *th, int i)
{
    i %= DG_PLOT_PALETTE_SIZE;
    if (i < 0)
        i += DG_PLOT_PALETTE_SIZE;
    return th->palette[i];
}

/* ======================================================================== */
/* Ticks                                                                     */
/* ======================================================================== */

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

/* ======================================================================== */
/* Text                                                                      */
/* ======================================================================== */

/* The font in use and its metrics: cap = height of capitals and digits. */
typedef struct {
    cairo_t *cr;
    const dg_plot_theme *th;
    double size, cap, ascent, descent;
} ink;

static void ink_init(ink *k, cairo_t *cr, const dg_plot_theme *th)
{
    k->cr = cr;
    k->th = th;
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
}

static void use_font(ink *k, double scale, gboolean bold)
{
    double size = MAX(1.0, k->th->font_size * scale);
    cairo_select_font_face(k->cr, k->th->font_family ? k->th->font_family : "Sans",
                           CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(k->cr, size);
    cairo_font_extents_t fe;
    cairo_font_extents(k->cr, &fe);
    cairo_text_extents_t te;
    cairo_text_extents(k->cr, "H", &te);
    k->size = size;
    k->cap = -te.y_bearing > 0 ? -te.y_bearing : size * 0.72;
    k->ascent = fe.ascent;
    k->descent = fe.descent;
}

/* Vertical space a single line of text takes: capitals plus descenders. */
static double line_h(const ink *k)
{
    return k->cap + k->descent;
}

static double text_w(const ink *k, const char *s)
{
    if (!s || !*s)
        return 0;
    cairo_text_extents_t e;
    cairo_text_extents(k->cr, s, &e);
    return e.x_advance;
}

/* Draw s anchored at (x, y): ax 0 = left, 0.5 = centre, 1 = right; ay 0 = y is
 * the top of the capitals, 0.5 = centred on them, 1 = y is the baseline. */
static void text_at(const ink *k, const char *s, double x, double y, double ax, double ay)
{
    if (!s || !*s)
        return;
    cairo_move_to(k->cr, x - ax * text_w(k, s), y + (1 - ay) * k->cap);
    cairo_show_text(k->cr, s);
}

/* Vertical text reading bottom to top, centred on (x, y); x is the left edge
 * of the rotated line's box (the top of its capitals). */
static void text_vertical(const ink *k, const char *s, double x, double y)
{
    cairo_save(k->cr);
    cairo_translate(k->cr, x, y);
    cairo_rotate(k->cr, -G_PI / 2);
    text_at(k, s, 0, 0, 0.5, 0);
    cairo_restore(k->cr);
}

/* s shortened with an ellipsis to fit max_w ("" when not even that fits). */
static char *ellipsize(const ink *k, const char *s, double max_w)
{
    if (!s)
        return g_strdup("");
    if (text_w(k, s) <= max_w)
        return g_strdup(s);
    glong n = g_utf8_strlen(s, -1);
    glong lo = 0, hi = n; /* longest prefix that fits: in [lo, hi) */
    char *best = NULL;
    while (lo < hi) {
        glong mid = (lo + hi + 1) / 2;
        const char *end = g_utf8_offset_to_pointer(s, mid);
        char *cand = g_strdup_printf("%.*s\u2026", (int)(end - s), s);
        if (text_w(k, cand) <= max_w) {
            g_free(best);
            best = cand;
            lo = mid;
        } else {
            g_free(cand);
            hi = mid - 1;
        }
    }
    if (!best) {
        if (text_w(k, "\u2026") <= max_w)
            return g_strdup("\u2026");
        return g_strdup("");
    }
    /* No dangling space before the ellipsis. */
    char *sp = strstr(best, " \u2026");
    if (sp)
        memmove(sp, sp + 1, strlen(sp + 1) + 1);
    return best;
}

/* Greedy word wrap into at most max_lines lines of width max_w; text that does
 * not fit ends the last line with an ellipsis.  Returns a strv. */
static char **wrap_text(const ink *k, const char *s, double max_w, int max_lines)
{
    GPtrArray *out = g_ptr_array_new();
    char **words = g_strsplit(s ? s : "", " ", -1);
    GString *line = g_string_new(NULL);
    for (int i = 0; words[i]; i++) {
        if (!*words[i])
            continue;
        if ((int)out->len == max_lines - 1) {
            /* Last line: everything left, ellipsized. */
            for (; words[i]; i++) {
                if (!*words[i])
                    continue;
                if (line->len)
                    g_string_append_c(line, ' ');
                g_string_append(line, words[i]);
            }
            break;
        }
        if (!line->len) {
            g_string_assign(line, words[i]);
            continue;
        }
        char *cand = g_strconcat(line->str, " ", words[i], NULL);
        if (text_w(k, cand) <= max_w) {
            g_string_assign(line, cand);
        } else {
            g_ptr_array_add(out, ellipsize(k, line->str, max_w));
            g_string_assign(line, words[i]);
        }
        g_free(cand);
    }
    if (line->len)
        g_ptr_array_add(out, ellipsize(k, line->str, max_w));
    g_string_free(line, TRUE);
    g_strfreev(words);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
    r = MIN(r, MIN(w, h) / 2);
    if (r <= 0.01) {
        cairo_rectangle(cr, x, y, w, h);
        return;
    }
    cairo_new_sub_path(cr);
    cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
    cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
    cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
    cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
    cairo_close_path(cr);
}

/* Rounded only at the end away from the baseline (bars). */
static void bar_path(cairo_t *cr, double x, double y, double w, double h, double r, gboolean up)
{
    r = MIN(r, MIN(w / 2, h));
    if (r <= 0.01) {
        cairo_rectangle(cr, x, y, w, h);
        return;
    }
    cairo_new_sub_path(cr);
    if (up) {
        cairo_move_to(cr, x, y + h);
        cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
        cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
        cairo_line_to(cr, x + w, y + h);
    } else {
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + w, y);
        cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
        cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
    }
    cairo_close_path(cr);
}

/* Crisp 1-px lines: put them on pixel centres. */
static double snap(double v)
{
    return floor(v) + 0.5;
}

/* Common prologue: clip to the rectangle, paint the background, set fonts. */
static void begin(cairo_t *cr, ink *k, const dg_plot_theme *th, double x, double y, double w,
                  double h)
{
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_clip(cr);
    if (th->background.a > 0) {
        set_color(cr, th->background, 1);
        cairo_paint(cr);
    }
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_dash(cr, NULL, 0, 0);
    ink_init(k, cr, th);
}

/* Height a title takes (0 without one). */
static double title_height(ink *k, const char *title)
{
    if (!title || !*title)
        return 0;
    use_font(k, 1.2, TRUE);
    return line_h(k) + 10;
}

/* The chart's title, centred over [x0, x1] at top y; returns the height used. */
static double draw_title(ink *k, const char *title, double x0, double x1, double y)
{
    if (!title || !*title)
        return 0;
    use_font(k, 1.2, TRUE);
    char *s = ellipsize(k, title, x1 - x0);
    set_color(k->cr, k->th->foreground, 1);
    text_at(k, s, (x0 + x1) / 2, y, 0.5, 0);
    g_free(s);
    return line_h(k) + 10;
}

/* ======================================================================== */
/* Legend                                                                    */
/* ======================================================================== */

typedef struct {
    const char *name;
    dg_plot_rgba color;
    gboolean dashed; /* line legend: right-axis series */
} legend_entry;

#define LEGEND_SWATCH 18.0
#define LEGEND_PAD 7.0

static double legend_row_h(const ink *k)
{
    return k->ascent + k->descent + 3;
}

static double legend_width(ink *k, const legend_entry *e, int n, double max_w)
{
    use_font(k, 1.0, FALSE);
    double w = 0;
    for (int i = 0; i < n; i++)
        w = MAX(w, text_w(k, e[i].name));
    w += LEGEND_SWATCH + 6 + 2 * LEGEND_PAD;
    return MIN(w, max_w);
}

/* Height of a vertical legend box of at most max_h; 0 when nothing fits. */
static double legend_height(ink *k, int n, double max_h)
{
    use_font(k, 1.0, FALSE);
    double rh = legend_row_h(k);
    int fit = MIN((int)floor((max_h - 2 * LEGEND_PAD + 3) / rh), n);
    return fit > 0 ? fit * rh - 3 + 2 * LEGEND_PAD : 0;
}

/* A vertical legend box with its top-right corner at (x1, y0), at most
 * max_h tall (entries that do not fit are left out). */
static void draw_legend_box(ink *k, const legend_entry *e, int n, double x1, double y0,
                            double max_w, double max_h, gboolean line_swatch, double lw)
{
    if (n <= 0)
        return;
    cairo_t *cr = k->cr;
    double w = legend_width(k, e, n, max_w);
    double rh = legend_row_h(k);
    int fit = (int)floor((max_h - 2 * LEGEND_PAD + 3) / rh);
    fit = MIN(fit, n);
    if (fit <= 0 || w < LEGEND_SWATCH + 2 * LEGEND_PAD + 10)
        return;
    double h = fit * rh - 3 + 2 * LEGEND_PAD;
    double x0 = x1 - w;
    rounded_rect(cr, snap(x0), snap(y0), floor(w), floor(h), 4);
    set_color(cr, k->th->background, 0.88);
    cairo_fill_preserve(cr);
    set_color(cr, k->th->grid, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    double name_w = w - 2 * LEGEND_PAD - LEGEND_SWATCH - 6;
    for (int i = 0; i < fit; i++) {
        double cy = y0 + LEGEND_PAD + i * rh + (rh - 3) / 2;
        double sx = x0 + LEGEND_PAD;
        set_color(cr, e[i].color, 1);
        if (line_swatch) {
            cairo_set_line_width(cr, lw);
            if (e[i].dashed) {
                double d[] = {4, 2.5};
                cairo_set_dash(cr, d, 2, 0);
            }
            cairo_move_to(cr, sx, cy);
            cairo_line_to(cr, sx + LEGEND_SWATCH, cy);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        } else {
            rounded_rect(cr, sx + 3, cy - 5, LEGEND_SWATCH - 6, 10, 2);
            cairo_fill(cr);
        }
        char *s = ellipsize(k, e[i].name, name_w);
        set_color(cr, k->th->foreground, 0.9);
        text_at(k, s, sx + LEGEND_SWATCH + 6, cy, 0, 0.5);
        g_free(s);
    }
}

/* ======================================================================== */
/* Saving                                                                    */
/* ======================================================================== */

gboolean dg_plot_save(const char *path, int width, int height, const dg_plot_theme *theme,
                      dg_plot_draw_fn draw, void *chart, GError **error)
{
    g_return_val_if_fail(path != NULL && draw != NULL, FALSE);
    dg_plot_theme store;
    const dg_plot_theme *th = theme_or_default(theme, &store);
    if (width <= 0 || height <= 0 || width > 32767 || height > 32767) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: image size %d x %d is out of range", path, width, height);
        return FALSE;
    }
    const char *dot = strrchr(path, '.');
    enum { PNG, SVG, PDF } fmt;
    if (dot && g_ascii_strcasecmp(dot, ".png") == 0)
        fmt = PNG;
    else if (dot && g_ascii_strcasecmp(dot, ".svg") == 0)
        fmt = SVG;
    else if (dot && g_ascii_strcasecmp(dot, ".pdf") == 0)
        fmt = PDF;
    else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: unknown plot format (use .png, .svg or .pdf)", path);
        return FALSE;
    }
    cairo_surface_t *s;
    if (fmt == PNG)
        s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    else if (fmt == SVG) {
        s = cairo_svg_surface_create(path, width, height);
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 16, 0)
        if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS)
            cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
#endif
    } else
        s = cairo_pdf_surface_create(path, width, height);
    cairo_status_t st = cairo_surface_status(s);
    if (st == CAIRO_STATUS_SUCCESS) {
        cairo_t *cr = cairo_create(s);
        if (th->background.a > 0) {
            set_color(cr, th->background, 1);
            cairo_paint(cr);
        }
        draw(chart, cr, 0, 0, width, height, th);
        st = cairo_status(cr);
        cairo_destroy(cr);
    }
    if (st == CAIRO_STATUS_SUCCESS) {
        if (fmt == PNG)
            st = cairo_surface_write_to_png(s, path);
        else {
            cairo_surface_finish(s);
            st = cairo_surface_status(s);
        }
    }
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write plot: %s", path,
                    cairo_status_to_string(st));
        return FALSE;
    }
    return TRUE;
}

/* ======================================================================== */
/* Axes shared by the line and bar charts                                    */
/* ======================================================================== */

/* The widest label of a tick set, in the current font. */
static double ticks_width(const ink *k, const dg_plot_ticks *t)
{
    double w = 0;
    for (int i = 0; i < t->n; i++)
        w = MAX(w, text_w(k, t->label[i]));
    return w;
}

/* Y ticks for a plot of height h: about one every 40 px. */
static void y_ticks(dg_plot_ticks *t, double lo, double hi, double h)
{
    dg_plot_ticks_compute(t, lo, hi, CLAMP((int)(h / 40) + 1, 2, 9));
}

/* X ticks for a plot of width w whose labels never touch (12 px apart). */
static void x_ticks(const ink *k, dg_plot_ticks *t, double lo, double hi, double w)
{
    int max = CLAMP((int)(w / 60) + 1, 2, 12);
    for (; max >= 2; max--) {
        dg_plot_ticks_compute(t, lo, hi, max);
        gboolean ok = TRUE;
        double span = hi - lo;
        for (int i = 0; ok && i + 1 < t->n && span > 0; i++) {
            double gap = (t->value[i + 1] - t->value[i]) / span * w;
            double need = (text_w(k, t->label[i]) + text_w(k, t->label[i + 1])) / 2 + 12;
            ok = gap >= need;
        }
        if (ok)
            return;
    }
}

/* Category labels under slots of equal width: wrapped (up to 3 lines) when
 * every word fits its slot, else rotated, all of them or every k-th one,
 * so that labels never overlap. */
typedef struct {
    gboolean rotated;
    int lines, every;
    double height, max_len;
} cat_layout;

#define CAT_ANGLE (40 * G_PI / 180)

static void cat_layout_compute(const ink *k, char *const *names, int n, double slot,
                               double max_h, double left_room, cat_layout *L)
{
    memset(L, 0, sizeof *L);
    L->lines = 1;
    L->every = 1;
    double step = k->ascent + k->descent;
    gboolean ok = TRUE;
    double longest = 0;
    for (int i = 0; i < n; i++) {
        longest = MAX(longest, text_w(k, names[i]));
        char **words = g_strsplit(names[i], " ", -1);
        for (int j = 0; words[j] && ok; j++)
            ok = text_w(k, words[j]) <= slot - 6;
        g_strfreev(words);
        if (ok) {
            char **l = wrap_text(k, names[i], slot - 6, 4);
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
static void cat_label_draw(const ink *k, const cat_layout *L, const char *name, int i,
                           double slot, double x, double y)
{
    if (i % L->every)
        return;
    if (!L->rotated) {
        char **l = wrap_text(k, name, slot - 6, 3);
        for (int j = 0; l[j]; j++)
            text_at(k, l[j], x, y + j * (k->ascent + k->descent), 0.5, 0);
        g_strfreev(l);
        return;
    }
    char *s = ellipsize(k, name, L->max_len);
    cairo_save(k->cr);
    cairo_translate(k->cr, x + 3, y + 2);
    cairo_rotate(k->cr, -CAT_ANGLE);
    text_at(k, s, 0, 0, 1, 0.5);
    cairo_restore(k->cr);
    g_free(s);
}

/* ======================================================================== */
/* Line chart                                                                */
/* ======================================================================== */

typedef struct {
    char *name;
    int color;
    dg_plot_axis axis;
    gboolean visible;
    gboolean sorted;      /* x never decreased */
    double *x;
    float *y;
    size_t n, cap;
    double x_min, x_max;  /* over points with finite y */
    gboolean have_range;
    float *sm;            /* smoothed y, valid for [0, n_sm) */
    size_t n_sm, sm_cap;
    double ema, ema_pow;  /* EMA state after n_sm points */
} line_series;

struct dg_line_chart {
    char *title, *x_label, *y_label, *y2_label;
    line_series *s;
    int n_series, cap_series;
    double smoothing, window, clip;
    double y_fix[2][2]; /* [axis][lo, hi], NaN = automatic */
    dg_plot_legend legend;
    /* Scratch, reused between draws. */
    double *px, *py;
    size_t dcap;
    double *q;
    size_t qcap;
    double *env; /* envelope: top, bottom and two spare rows of cols each */
    size_t envcap;
    int legend_corner; /* inside legend: 0 top-right, 1 top-left, 2 bottom-right, 3 bottom-left */
    /* Last layout. */
    gboolean have_layout;
    dg_plot_rect area;
    double x_lo, x_hi, y_lo, y_hi;
};

dg_line_chart *dg_line_chart_new(void)
{
    dg_line_chart *c = g_new0(dg_line_chart, 1);
    c->clip = 0.01;
    for (int a = 0; a < 2; a++)
        c->y_fix[a][0] = c->y_fix[a][1] = NAN;
    c->legend = DG_PLOT_LEGEND_INSIDE;
    return c;
}

void dg_line_chart_free(dg_line_chart *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_series; i++) {
        g_free(c->s[i].name);
        g_free(c->s[i].x);
        g_free(c->s[i].y);
        g_free(c->s[i].sm);
    }
    g_free(c->s);
    g_free(c->title);
    g_free(c->x_label);
    g_free(c->y_label);
    g_free(c->y2_label);
    g_free(c->px);
    g_free(c->py);
    g_free(c->q);
    g_free(c->env);
    g_free(c);
}

static void replace_str(char **dst, const char *src)
{
    g_free(*dst);
    *dst = src && *src ? g_strdup(src) : NULL;
}

void dg_line_chart_set_title(dg_line_chart *c, const char *title)
{
    replace_str(&c->title, title);
}

void dg_line_chart_set_labels(dg_line_chart *c, const char *x_label, const char *y_label,
                              const char *y2_label)
{
    replace_str(&c->x_label, x_label);
    replace_str(&c->y_label, y_label);
    replace_str(&c->y2_label, y2_label);
}

int dg_line_chart_add_series(dg_line_chart *c, const char *name)
{
    if (c->n_series == c->cap_series) {
        c->cap_series = MAX(4, c->cap_series * 2);
        c->s = g_renew(line_series, c->s, c->cap_series);
    }
    line_series *s = &c->s[c->n_series];
    memset(s, 0, sizeof *s);
    s->name = g_strdup(name ? name : "");
    s->color = c->n_series;
    s->axis = DG_PLOT_AXIS_LEFT;
    s->visible = TRUE;
    s->sorted = TRUE;
    s->ema_pow = 1;
    return c->n_series++;
}

int dg_line_chart_n_series(const dg_line_chart *c)
{
    return c->n_series;
}

static line_series *get_series(const dg_line_chart *c, int i)
{
    g_return_val_if_fail(i >= 0 && i < c->n_series, NULL);
    return &c->s[i];
}

void dg_line_chart_set_series_color(dg_line_chart *c, int series, int palette_index)
{
    line_series *s = get_series(c, series);
    if (s)
        s->color = palette_index;
}

void dg_line_chart_set_series_axis(dg_line_chart *c, int series, dg_plot_axis axis)
{
    line_series *s = get_series(c, series);
    if (s)
        s->axis = axis == DG_PLOT_AXIS_RIGHT ? DG_PLOT_AXIS_RIGHT : DG_PLOT_AXIS_LEFT;
}

void dg_line_chart_set_series_visible(dg_line_chart *c, int series, gboolean visible)
{
    line_series *s = get_series(c, series);
    if (s)
        s->visible = visible;
}

void dg_line_chart_append(dg_line_chart *c, int series, double x, double y)
{
    line_series *s = get_series(c, series);
    if (!s || !isfinite(x))
        return;
    if (s->n == s->cap) {
        s->cap = MAX(256, s->cap * 2);
        s->x = g_renew(double, s->x, s->cap);
        s->y = g_renew(float, s->y, s->cap);
    }
    if (s->n > 0 && x < s->x[s->n - 1])
        s->sorted = FALSE;
    s->x[s->n] = x;
    s->y[s->n] = isfinite(y) && fabs(y) < 3e38 ? (float)y : NAN;
    if (isfinite(s->y[s->n])) {
        if (!s->have_range) {
            s->x_min = s->x_max = x;
            s->have_range = TRUE;
        } else {
            s->x_min = MIN(s->x_min, x);
            s->x_max = MAX(s->x_max, x);
        }
    }
    s->n++;
}

size_t dg_line_chart_n_points(const dg_line_chart *c, int series)
{
    line_series *s = get_series(c, series);
    return s ? s->n : 0;
}

static void reset_smoothing(line_series *s)
{
    s->n_sm = 0;
    s->ema = 0;
    s->ema_pow = 1;
}

void dg_line_chart_clear(dg_line_chart *c)
{
    for (int i = 0; i < c->n_series; i++) {
        line_series *s = &c->s[i];
        s->n = 0;
        s->sorted = TRUE;
        s->have_range = FALSE;
        reset_smoothing(s);
    }
    c->have_layout = FALSE;
}

void dg_line_chart_set_smoothing(dg_line_chart *c, double weight)
{
    if (!(weight > 0))
        weight = 0;
    weight = MIN(weight, 0.999);
    if (weight == c->smoothing)
        return;
    c->smoothing = weight;
    for (int i = 0; i < c->n_series; i++)
        reset_smoothing(&c->s[i]);
}

void dg_line_chart_set_window(dg_line_chart *c, double steps)
{
    c->window = steps > 0 && isfinite(steps) ? steps : 0;
}

void dg_line_chart_set_y_range(dg_line_chart *c, dg_plot_axis axis, double lo, double hi)
{
    int a = axis == DG_PLOT_AXIS_RIGHT;
    if (isfinite(lo) && isfinite(hi) && lo != hi) {
        c->y_fix[a][0] = MIN(lo, hi);
        c->y_fix[a][1] = MAX(lo, hi);
    } else {
        c->y_fix[a][0] = c->y_fix[a][1] = NAN;
    }
}

void dg_line_chart_set_y_clip(dg_line_chart *c, double quantile)
{
    c->clip = quantile > 0 ? MIN(quantile, 0.25) : 0;
}

void dg_line_chart_set_legend(dg_line_chart *c, dg_plot_legend legend)
{
    c->legend = legend;
}

gboolean dg_line_chart_get_layout(const dg_line_chart *c, dg_plot_rect *area, double *x_lo,
                                  double *x_hi, double *y_lo, double *y_hi)
{
    if (!c->have_layout)
        return FALSE;
    if (area)
        *area = c->area;
    if (x_lo)
        *x_lo = c->x_lo;
    if (x_hi)
        *x_hi = c->x_hi;
    if (y_lo)
        *y_lo = c->y_lo;
    if (y_hi)
        *y_hi = c->y_hi;
    return TRUE;
}

/* Bring the smoothed copy up to date (bias-corrected EMA, NaN skipped). */
static void update_smoothing(line_series *s, double w)
{
    if (s->sm_cap < s->cap) {
        s->sm = g_renew(float, s->sm, s->cap);
        s->sm_cap = s->cap;
    }
    for (size_t i = s->n_sm; i < s->n; i++) {
        double y = s->y[i];
        if (isfinite(y)) {
            s->ema = s->ema * w + (1 - w) * y;
            s->ema_pow *= w;
            s->sm[i] = (float)(s->ema / (1 - s->ema_pow));
        } else {
            s->sm[i] = NAN;
        }
    }
    s->n_sm = s->n;
}

/* Visible index range [*i0, *i1) for x in [lo, hi]; for sorted series also one
 * finite point on each side, so lines run on to the plot's edges. */
static void visible_range(const line_series *s, double lo, double hi, size_t *i0, size_t *i1)
{
    if (!s->sorted) {
        *i0 = 0;
        *i1 = s->n;
        return;
    }
    size_t a = 0, b = s->n;
    while (a < b) { /* first x >= lo */
        size_t m = a + (b - a) / 2;
        if (s->x[m] < lo)
            a = m + 1;
        else
            b = m;
    }
    size_t first = a;
    b = s->n;
    while (a < b) { /* first x > hi */
        size_t m = a + (b - a) / 2;
        if (s->x[m] <= hi)
            a = m + 1;
        else
            b = m;
    }
    size_t last = a;
    for (size_t k = 0; k < 64 && first > 0; k++) {
        first--;
        if (isfinite(s->y[first]))
            break;
    }
    for (size_t k = 0; k < 64 && last < s->n; k++) {
        last++;
        if (isfinite(s->y[last - 1]))
            break;
    }
    *i0 = first;
    *i1 = last;
}

static void q_push(dg_line_chart *c, size_t *n, double v)
{
    if (*n == c->qcap) {
        c->qcap = MAX(1024, c->qcap * 2);
        c->q = g_renew(double, c->q, c->qcap);
    }
    c->q[(*n)++] = v;
}

/* k-th smallest of a[0..n) (a is reordered). */
static double quickselect(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = a[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* Automatic y range of the visible points of the series on one axis. */
static gboolean auto_y_range(dg_line_chart *c, int axis, double xlo, double xhi, double *lo,
                             double *hi)
{
    double mn = INFINITY, mx = -INFINITY;
    size_t nq = 0;
    for (int si = 0; si < c->n_series; si++) {
        line_series *s = &c->s[si];
        if (!s->visible || (int)s->axis != axis || !s->have_range)
            continue;
        size_t i0, i1;
        visible_range(s, xlo, xhi, &i0, &i1);
        size_t count = i1 - i0;
        size_t stride = c->clip > 0 ? MAX(1, count / 4096) : 0;
        for (size_t i = i0; i < i1; i++) {
            double x = s->x[i], y = s->y[i];
            if (!isfinite(y) || x < xlo || x > xhi)
                continue;
            mn = MIN(mn, y);
            mx = MAX(mx, y);
            if (stride && (i - i0) % stride == 0)
                q_push(c, &nq, y);
        }
    }
    if (!(mn <= mx))
        return FALSE;
    if (c->clip > 0 && nq >= 20) {
        double qlo = quickselect(c->q, nq, (size_t)floor(c->clip * (nq - 1)));
        double qhi = quickselect(c->q, nq, (size_t)ceil((1 - c->clip) * (nq - 1)));
        double spread = qhi - qlo;
        if (spread <= 0)
            spread = MAX(fabs(qhi) * 0.1, 1e-6);
        /* Clip a tail only when it would take more than a third of the range. */
        if (mx - qhi > 0.5 * spread)
            mx = qhi + 0.1 * spread;
        if (qlo - mn > 0.5 * spread)
            mn = qlo - 0.1 * spread;
    }
    *lo = mn;
    *hi = mx;
    return TRUE;
}

/* A range too narrow to draw (relative to its values, or denormal). */
static gboolean degenerate(double lo, double hi)
{
    return !(hi - lo > MAX(fabs(hi), fabs(lo)) * 1e-12) || hi - lo < 1e-200;
}

static void pad_range(double *lo, double *hi, gboolean keep_nonneg)
{
    if (degenerate(*lo, *hi)) {
        double d = *hi == 0 ? 1 : fabs(*hi) * 0.1;
        *lo -= d;
        *hi += d;
        return;
    }
    double d = (*hi - *lo) * 0.05;
    gboolean nonneg = *lo > 0; /* a curve at exactly 0 keeps its padding off the axis */
    *lo -= d;
    *hi += d;
    if (keep_nonneg && nonneg && *lo < 0)
        *lo = 0;
}

/* Map one (x, y) to device-safe plot coordinates. */
typedef struct {
    double ox, oy, sx, sy, xlo, ylo;
} xform;

static inline double clamp_px(double v, double lo, double hi)
{
    return !(v >= lo) ? lo : v > hi ? hi : v; /* NaN -> lo */
}

static void dpush(dg_line_chart *c, size_t *n, double x, double y)
{
    if (*n == c->dcap) {
        c->dcap = MAX(4096, c->dcap * 2);
        c->px = g_renew(double, c->px, c->dcap);
        c->py = g_renew(double, c->py, c->dcap);
    }
    c->px[*n] = x;
    c->py[*n] = y;
    (*n)++;
}

/* Decimate points [i0, i1) of (x, y) into c->px/py in plot pixels: per
 * column (cols_per_px columns per pixel) the min and the max, in the order
 * they occurred.  Returns the number of points. */
static size_t decimate(dg_line_chart *c, const line_series *s, const float *y, size_t i0,
                       size_t i1, const xform *m, const dg_plot_rect *area, double cols_per_px)
{
    size_t n = 0;
    double lim_x0 = area->x - 4 * area->width - 100, lim_x1 = area->x + 5 * area->width + 100;
    double lim_y0 = area->y - 4 * area->height - 100, lim_y1 = area->y + 5 * area->height + 100;
    double colscale = m->sx * cols_per_px;
    gboolean open = FALSE;
    long col = 0;
    double mn = 0, mx = 0, mnx = 0, mxx = 0;
    size_t mni = 0, mxi = 0;
    for (size_t i = i0; i < i1; i++) {
        double yy = y[i];
        if (!isfinite(yy))
            continue;
        double xx = s->x[i];
        double fc = floor((xx - m->xlo) * colscale);
        long cc = (long)clamp_px(fc, -2, 1e9);
        if (!open || cc != col) {
            if (open) {
                if (mni <= mxi) {
                    dpush(c, &n, mnx, mn);
                    if (mxi != mni)
                        dpush(c, &n, mxx, mx);
                } else {
                    dpush(c, &n, mxx, mx);
                    dpush(c, &n, mnx, mn);
                }
            }
            open = TRUE;
            col = cc;
            mn = mx = yy;
            mnx = mxx = xx;
            mni = mxi = i;
            continue;
        }
        if (yy < mn) {
            mn = yy;
            mnx = xx;
            mni = i;
        }
        if (yy > mx) {
            mx = yy;
            mxx = xx;
            mxi = i;
        }
    }
    if (open) {
        if (mni <= mxi) {
            dpush(c, &n, mnx, mn);
            if (mxi != mni)
                dpush(c, &n, mxx, mx);
        } else {
            dpush(c, &n, mxx, mx);
            dpush(c, &n, mnx, mn);
        }
    }
    for (size_t i = 0; i < n; i++) {
        c->px[i] = clamp_px(m->ox + (c->px[i] - m->xlo) * m->sx, lim_x0, lim_x1);
        c->py[i] = clamp_px(m->oy - (c->py[i] - m->ylo) * m->sy, lim_y0, lim_y1);
    }
    return n;
}

/* Sparse or smooth lines: stroke them (in pieces: cairo's stroker slows down
 * with the number of self-intersections in one path). */
static void stroke_points(cairo_t *cr, const double *px, const double *py, size_t n, double lw)
{
    if (n == 1) {
        cairo_arc(cr, px[0], py[0], MAX(2.5, lw * 1.4), 0, 2 * G_PI);
        cairo_fill(cr);
        return;
    }
    cairo_set_line_width(cr, lw);
    size_t piece = n > 512 ? 64 : n;
    for (size_t i0 = 0; i0 + 1 < n; i0 += piece) {
        cairo_move_to(cr, px[i0], py[i0]);
        for (size_t i = i0 + 1; i <= i0 + piece && i < n; i++)
            cairo_line_to(cr, px[i], py[i]);
        cairo_stroke(cr);
    }
}

/* Dense, noisy lines (a zigzag between each column's min and max): fill the
 * band the stroked line would cover, column by column, which looks the same
 * and costs a millisecond or two instead of tens. */
static void fill_envelope(dg_line_chart *c, cairo_t *cr, size_t n, const dg_plot_rect *area,
                          double cols_per_px, double lw)
{
    double cw = 1 / cols_per_px;
    size_t ncols = (size_t)ceil(area->width * cols_per_px) + 1;
    if (c->envcap < 4 * ncols) {
        c->envcap = 4 * ncols;
        c->env = g_renew(double, c->env, c->envcap);
    }
    double *top = c->env, *bot = c->env + ncols;
    for (size_t i = 0; i < ncols; i++) {
        top[i] = INFINITY;
        bot[i] = -INFINITY;
    }
    const double *px = c->px, *py = c->py;
    for (size_t i = 0; i + 1 < n; i++) {
        double x0 = px[i], y0 = py[i], x1 = px[i + 1], y1 = py[i + 1];
        if (x1 < x0) {
            double t = x0;
            x0 = x1;
            x1 = t;
            t = y0;
            y0 = y1;
            y1 = t;
        }
        double f0 = (x0 - area->x) / cw, f1 = (x1 - area->x) / cw;
        if (f1 < 0 || f0 > ncols - 1)
            continue;
        long c0 = (long)floor(MAX(f0, 0)), c1 = (long)floor(MIN(f1, ncols - 1));
        for (long col = c0; col <= c1; col++) {
            /* The segment's part inside this column. */
            double xa = MAX(x0, area->x + col * cw), xb = MIN(x1, area->x + (col + 1) * cw);
            double ya = y0, yb = y1;
            if (x1 > x0) {
                ya = y0 + (y1 - y0) * (xa - x0) / (x1 - x0);
                yb = y0 + (y1 - y0) * (xb - x0) / (x1 - x0);
            }
            top[col] = MIN(top[col], MIN(ya, yb));
            bot[col] = MAX(bot[col], MAX(ya, yb));
        }
    }
    /* Widen each column's span by its neighbours' (to about the line width,
     * so a one-column spike is as wide as a stroked line), then fill the
     * staircase outline of every run of covered columns. */
    int k = (int)floor((lw - cw) / 2 / cw + 0.5);
    if (k > 0) {
        double *t2 = c->env + 2 * ncols, *b2 = t2 + ncols;
        memcpy(t2, top, ncols * sizeof *top);
        memcpy(b2, bot, ncols * sizeof *bot);
        for (size_t i = 0; i < ncols; i++)
            for (size_t j = i > (size_t)k ? i - k : 0; j <= i + k && j < ncols; j++) {
                top[i] = MIN(top[i], t2[j]);
                bot[i] = MAX(bot[i], b2[j]);
            }
    }
    double h = lw / 2;
    for (size_t a = 0; a < ncols;) {
        if (!(top[a] <= bot[a])) {
            a++;
            continue;
        }
        size_t b = a;
        while (b + 1 < ncols && top[b + 1] <= bot[b + 1])
            b++;
        cairo_move_to(cr, area->x + a * cw, top[a] - h);
        for (size_t i = a; i <= b; i++) {
            cairo_line_to(cr, area->x + i * cw, top[i] - h);
            cairo_line_to(cr, area->x + (i + 1) * cw, top[i] - h);
        }
        for (size_t i = b + 1; i-- > a;) {
            cairo_line_to(cr, area->x + (i + 1) * cw, bot[i] + h);
            cairo_line_to(cr, area->x + i * cw, bot[i] + h);
        }
        cairo_close_path(cr);
        a = b + 1;
    }
    cairo_fill(cr);
}

/* Draw decimated points: a band when they zigzag densely, else a line,
 * dashed if asked and if the line is calm enough for dashes to read as
 * dashes (on a dense zigzag they turn into noise). */
static void draw_points(dg_line_chart *c, cairo_t *cr, size_t n, const dg_plot_rect *area,
                        double cols_per_px, double lw, gboolean dashed)
{
    double cols = area->width * cols_per_px;
    double sdy = 0;
    for (size_t i = 0; i + 1 < n; i++)
        sdy += fabs(c->py[i + 1] - c->py[i]);
    double mean_dy = n > 1 ? sdy / (n - 1) : 0;
    if (n > cols && n > 64 && mean_dy > 3.0) {
        fill_envelope(c, cr, n, area, cols_per_px, lw);
        return;
    }
    if (dashed && (n <= cols / 2 || mean_dy <= 1.0)) {
        double d[] = {5, 3};
        cairo_set_dash(cr, d, 2, 0);
    }
    stroke_points(cr, c->px, c->py, n, lw);
    cairo_set_dash(cr, NULL, 0, 0);
}

/* How many samples along the polyline fall into each of four boxes. */
static void count_hits(const double *px, const double *py, size_t n, const dg_plot_rect *boxes,
                       int *hits)
{
    for (size_t i = 0; i < n; i++) {
        double x0 = px[i], y0 = py[i];
        double x1 = i + 1 < n ? px[i + 1] : x0, y1 = i + 1 < n ? py[i + 1] : y0;
        int steps = (int)CLAMP(hypot(x1 - x0, y1 - y0) / 4, 1, 8);
        for (int j = 0; j < steps; j++) {
            double sx = x0 + (x1 - x0) * j / steps, sy = y0 + (y1 - y0) * j / steps;
            for (int b = 0; b < 4; b++)
                hits[b] += sx >= boxes[b].x - 3 && sx <= boxes[b].x + boxes[b].width + 3 &&
                           sy >= boxes[b].y - 3 && sy <= boxes[b].y + boxes[b].height + 3;
        }
    }
}

DG_PLOT_DEFINE_KIND(dg_line_chart, "line")

void dg_line_chart_draw(dg_line_chart *c, cairo_t *cr, double x, double y, double w, double h,
                        const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = theme_or_default(theme, &store);
    ink k;
    c->have_layout = FALSE;
    if (!(w > 0 && h > 0))
        return;
    begin(cr, &k, th, x, y, w, h);
    const double pad = 8;

    /* ---- Data extents. */
    gboolean any = FALSE, any_right = FALSE;
    double dx0 = INFINITY, dx1 = -INFINITY;
    for (int i = 0; i < c->n_series; i++) {
        line_series *s = &c->s[i];
        if (!s->visible)
            continue;
        if (s->axis == DG_PLOT_AXIS_RIGHT)
            any_right = TRUE;
        if (!s->have_range)
            continue;
        any = TRUE;
        dx0 = MIN(dx0, s->x_min);
        dx1 = MAX(dx1, s->x_max);
    }
    double xlo = 0, xhi = 1;
    if (any) {
        xlo = c->window > 0 ? MAX(dx0, dx1 - c->window) : dx0;
        xhi = dx1;
    }
    double ylo[2] = {0, 0}, yhi[2] = {1, 1};
    for (int a = 0; a < 2; a++) {
        if (isfinite(c->y_fix[a][0])) {
            ylo[a] = c->y_fix[a][0];
            yhi[a] = c->y_fix[a][1];
        } else if (any && auto_y_range(c, a, xlo, xhi, &ylo[a], &yhi[a])) {
            if (a == 1) {
                /* Scores: [0, 1] unless the data leaves it. */
                if (ylo[a] >= 0 && yhi[a] <= 1) {
                    ylo[a] = 0;
                    yhi[a] = 1;
                } else {
                    ylo[a] = MIN(ylo[a], 0);
                    yhi[a] = MAX(yhi[a], 1);
                    pad_range(&ylo[a], &yhi[a], TRUE);
                }
            } else {
                pad_range(&ylo[a], &yhi[a], TRUE);
            }
        } else {
            ylo[a] = 0;
            yhi[a] = 1;
        }
    }
    if (degenerate(xlo, xhi)) {
        double d = MAX(1, fabs(xhi) * 0.05);
        xlo -= d;
        xhi += d;
    }

    /* ---- Layout: vertical. */
    double top = y + pad;
    double plot_x0_guess = x + pad, plot_x1_guess = x + w - pad;
    top += draw_title(&k, c->title, plot_x0_guess, plot_x1_guess, top);
    use_font(&k, 1.0, FALSE);
    double tick_cap = k.cap, lab_h = line_h(&k);
    double bottom = y + h - pad;
    if (c->x_label)
        bottom -= lab_h + 5;
    bottom -= tick_cap + 7; /* x tick labels: digits, no descenders */
    double plot_y0 = top + tick_cap / 2 + 1, plot_y1 = bottom;
    if (plot_y1 - plot_y0 < 24 || w < 60) {
        /* Too small for a chart: leave the background (a frame) only. */
        cairo_restore(cr);
        return;
    }

    /* ---- Layout: horizontal. */
    dg_plot_ticks ty[2], tx;
    y_ticks(&ty[0], ylo[0], yhi[0], plot_y1 - plot_y0);
    y_ticks(&ty[1], ylo[1], yhi[1], plot_y1 - plot_y0);
    double left = x + pad;
    if (c->y_label)
        left += lab_h + 6;
    left += ticks_width(&k, &ty[0]) + 7;
    double right = x + w - pad;
    if (any_right) {
        right -= ticks_width(&k, &ty[1]) + 7;
        if (c->y2_label)
            right -= lab_h + 6;
    }

    legend_entry entries[64];
    int n_entries = 0;
    for (int i = 0; i < c->n_series && n_entries < 64; i++) {
        if (!c->s[i].visible)
            continue;
        entries[n_entries++] = (legend_entry){c->s[i].name, palette(th, c->s[i].color),
                                              c->s[i].axis == DG_PLOT_AXIS_RIGHT};
    }
    dg_plot_legend legend = n_entries > 0 ? c->legend : DG_PLOT_LEGEND_NONE;
    double legend_w = 0;
    if (legend == DG_PLOT_LEGEND_OUTSIDE) {
        legend_w = legend_width(&k, entries, n_entries, (right - left) * 0.4);
        if (right - left - legend_w - 12 < 160)
            legend = DG_PLOT_LEGEND_INSIDE;
        else
            right -= legend_w + 12;
    }
    use_font(&k, 1.0, FALSE);
    x_ticks(&k, &tx, xlo, xhi, right - left);
    if (!any_right && legend != DG_PLOT_LEGEND_OUTSIDE && tx.n > 0) {
        /* The last x label is centred on its tick: keep it inside the rectangle. */
        double tick_px = left + (tx.value[tx.n - 1] - xlo) / (xhi - xlo) * (right - left);
        double over = tick_px + text_w(&k, tx.label[tx.n - 1]) / 2 - (x + w - pad / 2);
        if (over > 0) {
            right -= over;
            x_ticks(&k, &tx, xlo, xhi, right - left);
        }
    }
    if (right - left < 30) {
        cairo_restore(cr);
        return;
    }
    dg_plot_rect area = {left, plot_y0, right - left, plot_y1 - plot_y0};
    c->have_layout = TRUE;
    c->area = area;
    c->x_lo = xlo;
    c->x_hi = xhi;
    c->y_lo = ylo[0];
    c->y_hi = yhi[0];

    /* ---- Grid, axes, ticks. */
    cairo_set_line_width(cr, 1);
    set_color(cr, th->grid, 1);
    for (int i = 0; i < ty[0].n; i++) {
        double py = snap(area.y + area.height - (ty[0].value[i] - ylo[0]) / (yhi[0] - ylo[0]) *
                                                    area.height);
        cairo_move_to(cr, area.x, py);
        cairo_line_to(cr, area.x + area.width, py);
    }
    for (int i = 0; i < tx.n; i++) {
        double px = snap(area.x + (tx.value[i] - xlo) / (xhi - xlo) * area.width);
        cairo_move_to(cr, px, area.y);
        cairo_line_to(cr, px, area.y + area.height);
    }
    cairo_stroke(cr);
    set_color(cr, th->axis, 1);
    double ax0 = snap(area.x) - 1, ay1 = snap(area.y + area.height);
    cairo_move_to(cr, ax0, area.y);
    cairo_line_to(cr, ax0, ay1);
    cairo_line_to(cr, area.x + area.width, ay1);
    if (any_right) {
        double ax1 = snap(area.x + area.width);
        cairo_move_to(cr, ax1, area.y);
        cairo_line_to(cr, ax1, ay1);
    }
    cairo_stroke(cr);

    set_color(cr, th->muted, any ? 1 : 0); /* no data: no numbers either */
    for (int i = 0; i < ty[0].n; i++) {
        double py = area.y + area.height - (ty[0].value[i] - ylo[0]) / (yhi[0] - ylo[0]) *
                                               area.height;
        text_at(&k, ty[0].label[i], area.x - 7, py, 1, 0.5);
    }
    if (any_right) {
        for (int i = 0; i < ty[1].n; i++) {
            double py = area.y + area.height - (ty[1].value[i] - ylo[1]) / (yhi[1] - ylo[1]) *
                                                   area.height;
            text_at(&k, ty[1].label[i], area.x + area.width + 7, py, 0, 0.5);
        }
    }
    for (int i = 0; i < tx.n; i++) {
        double px = area.x + (tx.value[i] - xlo) / (xhi - xlo) * area.width;
        text_at(&k, tx.label[i], px, area.y + area.height + 7, 0.5, 0);
    }
    set_color(cr, th->foreground, 0.85);
    if (c->x_label) {
        char *s = ellipsize(&k, c->x_label, area.width);
        text_at(&k, s, area.x + area.width / 2, y + h - pad - lab_h, 0.5, 0);
        g_free(s);
    }
    if (c->y_label) {
        char *s = ellipsize(&k, c->y_label, area.height);
        text_vertical(&k, s, x + pad, area.y + area.height / 2);
        g_free(s);
    }
    if (any_right && c->y2_label) {
        char *s = ellipsize(&k, c->y2_label, area.height);
        text_vertical(&k, s, area.x + area.width + 7 + ticks_width(&k, &ty[1]) + 6,
                      area.y + area.height / 2);
        g_free(s);
    }

    /* ---- Inside legend: candidate boxes in the four corners. */
    dg_plot_rect boxes[4];
    int hits[4] = {0, 0, 0, 0};
    if (legend == DG_PLOT_LEGEND_INSIDE) {
        double bw = legend_width(&k, entries, n_entries, area.width - 16);
        double bh = legend_height(&k, n_entries, area.height - 12);
        double l = area.x + 8, r = area.x + area.width - 8 - bw;
        double t = area.y + 6, b = area.y + area.height - 6 - bh;
        boxes[0] = (dg_plot_rect){r, t, bw, bh};
        boxes[1] = (dg_plot_rect){l, t, bw, bh};
        boxes[2] = (dg_plot_rect){r, b, bw, bh};
        boxes[3] = (dg_plot_rect){l, b, bw, bh};
    }

    /* ---- Series. */
    double cols_per_px = 1, dy = 0;
    cairo_user_to_device_distance(cr, &cols_per_px, &dy);
    cols_per_px = CLAMP(fabs(cols_per_px), 0.25, 8);
    cairo_save(cr);
    cairo_rectangle(cr, area.x, area.y - 1, area.width + 1, area.height + 1);
    cairo_clip(cr);
    for (int pass = 0; pass < 2; pass++) {
        /* Pass 0: the faint raw series under smoothing; pass 1: the lines. */
        if (pass == 0 && c->smoothing <= 0)
            continue;
        for (int si = 0; si < c->n_series; si++) {
            line_series *s = &c->s[si];
            if (!s->visible || !s->have_range)
                continue;
            int a = s->axis == DG_PLOT_AXIS_RIGHT;
            xform m = {area.x, area.y + area.height, area.width / (xhi - xlo),
                       area.height / (yhi[a] - ylo[a]), xlo, ylo[a]};
            size_t i0, i1;
            visible_range(s, xlo, xhi, &i0, &i1);
            const float *ys = s->y;
            if (pass == 1 && c->smoothing > 0) {
                update_smoothing(s, c->smoothing);
                ys = s->sm;
            }
            size_t n = decimate(c, s, ys, i0, i1, &m, &area, cols_per_px);
            if (n == 0)
                continue;
            if (legend == DG_PLOT_LEGEND_INSIDE && pass == 1)
                count_hits(c->px, c->py, n, boxes, hits);
            dg_plot_rgba col = palette(th, s->color);
            if (pass == 0) {
                set_color(cr, col, 0.28);
                draw_points(c, cr, n, &area, cols_per_px, 1.0, FALSE);
            } else {
                set_color(cr, col, 1);
                draw_points(c, cr, n, &area, cols_per_px, th->line_width, a);
            }
            cairo_set_dash(cr, NULL, 0, 0);
        }
    }
    cairo_restore(cr);

    if (!any) {
        use_font(&k, 1.0, FALSE);
        set_color(cr, th->muted, 1);
        text_at(&k, "No data yet", area.x + area.width / 2, area.y + area.height / 2, 0.5, 0.5);
    }

    /* ---- Legend: inside, in the corner the lines cross least (top-right
     * unless another is clearly better; a corner, once taken, is kept
     * unless it gets clearly worse, so a live chart's legend does not hop). */
    if (legend == DG_PLOT_LEGEND_INSIDE) {
        int best = 0;
        for (int i = 1; i < 4; i++)
            if (hits[i] < hits[best])
                best = i;
        int cur = CLAMP(c->legend_corner, 0, 3);
        if (hits[cur] > hits[best] + 2 + hits[best] / 4)
            cur = hits[0] <= hits[best] + 2 + hits[best] / 4 ? 0 : best;
        c->legend_corner = cur;
        draw_legend_box(&k, entries, n_entries, boxes[cur].x + boxes[cur].width, boxes[cur].y,
                        area.width - 16, area.height - 12, TRUE, th->line_width);
    }
    else if (legend == DG_PLOT_LEGEND_OUTSIDE)
        draw_legend_box(&k, entries, n_entries, x + w - pad, area.y, legend_w, area.height,
                        TRUE, th->line_width);
    cairo_restore(cr);
}

/* ======================================================================== */
/* Bar chart                                                                 */
/* ======================================================================== */

typedef struct {
    char *name;
    double *v, *e; /* e may be NULL */
} bar_series;

struct dg_bar_chart {
    char *title, *x_label, *y_label;
    int n_cat;
    char **cat;
    bar_series *s;
    int n_series;
    gboolean show_values, by_category;
    char *value_format;
    double y_fix[2];
    dg_plot_legend legend;
};

dg_bar_chart *dg_bar_chart_new(void)
{
    dg_bar_chart *c = g_new0(dg_bar_chart, 1);
    c->show_values = TRUE;
    c->y_fix[0] = c->y_fix[1] = NAN;
    c->legend = DG_PLOT_LEGEND_INSIDE;
    return c;
}

static void bar_clear_series(dg_bar_chart *c)
{
    for (int i = 0; i < c->n_series; i++) {
        g_free(c->s[i].name);
        g_free(c->s[i].v);
        g_free(c->s[i].e);
    }
    g_free(c->s);
    c->s = NULL;
    c->n_series = 0;
}

void dg_bar_chart_free(dg_bar_chart *c)
{
    if (!c)
        return;
    bar_clear_series(c);
    g_strfreev(c->cat);
    g_free(c->title);
    g_free(c->x_label);
    g_free(c->y_label);
    g_free(c->value_format);
    g_free(c);
}

void dg_bar_chart_set_title(dg_bar_chart *c, const char *title)
{
    replace_str(&c->title, title);
}

void dg_bar_chart_set_labels(dg_bar_chart *c, const char *x_label, const char *y_label)
{
    replace_str(&c->x_label, x_label);
    replace_str(&c->y_label, y_label);
}

void dg_bar_chart_set_categories(dg_bar_chart *c, int n, const char *const *names)
{
    bar_clear_series(c);
    g_strfreev(c->cat);
    n = MAX(n, 0);
    c->cat = g_new0(char *, n + 1);
    for (int i = 0; i < n; i++)
        c->cat[i] = names && names[i] ? g_strdup(names[i]) : g_strdup_printf("%d", i);
    c->n_cat = n;
}

int dg_bar_chart_add_series(dg_bar_chart *c, const char *name, const double *values,
                            const double *errors)
{
    g_return_val_if_fail(values != NULL || c->n_cat == 0, -1);
    c->s = g_renew(bar_series, c->s, c->n_series + 1);
    bar_series *s = &c->s[c->n_series];
    s->name = g_strdup(name ? name : "");
    s->v = c->n_cat ? g_memdup2(values, sizeof(double) * c->n_cat) : NULL;
    s->e = errors && c->n_cat ? g_memdup2(errors, sizeof(double) * c->n_cat) : NULL;
    return c->n_series++;
}

void dg_bar_chart_set_value_labels(dg_bar_chart *c, gboolean show, const char *format)
{
    c->show_values = show;
    replace_str(&c->value_format, format);
}

void dg_bar_chart_set_color_by_category(dg_bar_chart *c, gboolean by_category)
{
    c->by_category = by_category;
}

void dg_bar_chart_set_y_range(dg_bar_chart *c, double lo, double hi)
{
    if (isfinite(lo) && isfinite(hi) && lo != hi) {
        c->y_fix[0] = MIN(lo, hi);
        c->y_fix[1] = MAX(lo, hi);
    } else {
        c->y_fix[0] = c->y_fix[1] = NAN;
    }
}

void dg_bar_chart_set_legend(dg_bar_chart *c, dg_plot_legend legend)
{
    c->legend = legend;
}

DG_PLOT_DEFINE_KIND(dg_bar_chart, "bar")

static void bar_format(const dg_bar_chart *c, gboolean integral, double v, char *buf, size_t n)
{
    if (!isfinite(v))
        g_strlcpy(buf, "\u2013", n);
    else if (c->value_format)
        g_snprintf(buf, n, c->value_format, v);
    else if (integral)
        g_snprintf(buf, n, "%.0f", v);
    else
        g_snprintf(buf, n, "%.3g", v);
}

void dg_bar_chart_draw(dg_bar_chart *c, cairo_t *cr, double x, double y, double w, double h,
                       const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = theme_or_default(theme, &store);
    ink k;
    if (!(w > 0 && h > 0))
        return;
    begin(cr, &k, th, x, y, w, h);
    const double pad = 8;
    int nc = c->n_cat, ns = c->n_series;

    /* ---- Data extents (bars start at 0). */
    double mn = 0, mx = 0;
    gboolean integral = TRUE, any = FALSE;
    for (int s = 0; s < ns; s++) {
        for (int i = 0; i < nc; i++) {
            double v = c->s[s].v[i];
            if (!isfinite(v))
                continue;
            double e = c->s[s].e && isfinite(c->s[s].e[i]) ? fabs(c->s[s].e[i]) : 0;
            mn = MIN(mn, v - e);
            mx = MAX(mx, v + e);
            any = TRUE;
            if (v != floor(v))
                integral = FALSE;
        }
    }
    if (mx == mn)
        mx = 1;

    /* ---- Vertical layout. */
    double top = y + pad;
    top += draw_title(&k, c->title, x + pad, x + w - pad, top);
    legend_entry entries[64];
    int n_entries = 0;
    if (ns > 1) {
        for (int s = 0; s < ns && s < 64; s++)
            entries[n_entries++] = (legend_entry){c->s[s].name, palette(th, s), FALSE};
    }
    dg_plot_legend legend = n_entries ? c->legend : DG_PLOT_LEGEND_NONE;
    use_font(&k, 1.0, FALSE);
    double lab_h = line_h(&k), tick_cap = k.cap;
    double row_h = legend_row_h(&k);
    double legend_y = top;
    if (legend == DG_PLOT_LEGEND_INSIDE)
        top += row_h + 6; /* a row of entries above the plot */
    double bottom = y + h - pad;
    if (c->x_label)
        bottom -= lab_h + 6;
    /* Category labels: up to 3 wrapped lines; measured below. */
    double cat_top_gap = 7;
    double plot_y0 = top + tick_cap / 2 + 1;

    /* ---- Horizontal layout. */
    double left = x + pad;
    if (c->y_label)
        left += lab_h + 6;
    double right = x + w - pad;
    double legend_w = 0;
    if (legend == DG_PLOT_LEGEND_OUTSIDE) {
        legend_w = legend_width(&k, entries, n_entries, w * 0.35);
        if (w - legend_w < 200) {
            legend = DG_PLOT_LEGEND_INSIDE;
            plot_y0 += row_h + 6;
        } else {
            right -= legend_w + 12;
        }
    }
    /* y ticks depend on the plot height, which depends on the category labels'
     * height, which depends on the slot width: guess, then settle. */
    double ylo = mn, yhi = mx;
    dg_plot_ticks ty;
    y_ticks(&ty, ylo, yhi, MAX(40, bottom - plot_y0 - 3 * lab_h));
    double tw = ticks_width(&k, &ty);
    double plot_x0 = left + tw + 7;
    double slot = nc > 0 ? (right - plot_x0) / nc : 0;
    cat_layout cl;
    cat_layout_compute(&k, c->cat, nc, slot, (bottom - plot_y0) * 0.35, plot_x0 - x - pad, &cl);
    double plot_y1 = bottom - cl.height - cat_top_gap;
    if (plot_y1 - plot_y0 < 30 || right - plot_x0 < 30 || nc == 0) {
        if (nc == 0 && plot_y1 - plot_y0 >= 30) {
            set_color(cr, th->muted, 1);
            text_at(&k, "No data", x + w / 2, (plot_y0 + plot_y1) / 2, 0.5, 0.5);
        }
        cairo_restore(cr);
        return;
    }
    double ph = plot_y1 - plot_y0;

    /* Headroom for the value labels above (or below) the bars. */
    double vlab = c->show_values ? (k.cap * 0.9 + 6) : 0;
    if (isfinite(c->y_fix[0])) {
        ylo = c->y_fix[0];
        yhi = c->y_fix[1];
    } else {
        double f = vlab / ph;
        f = MIN(f, 0.3);
        double span = (mx - mn) / (1 - f * ((mx > 0) + (mn < 0)));
        if (mx > 0)
            yhi = mx + span * f;
        if (mn < 0)
            ylo = mn - span * f;
        if (!any) {
            ylo = 0;
            yhi = 1;
        }
    }
    y_ticks(&ty, ylo, yhi, ph);
    plot_x0 = left + ticks_width(&k, &ty) + 7;
    dg_plot_rect area = {plot_x0, plot_y0, right - plot_x0, ph};
    slot = area.width / nc;
#define BAR_Y(v) (area.y + area.height - ((v) - ylo) / (yhi - ylo) * area.height)

    /* ---- Grid and axes. */
    cairo_set_line_width(cr, 1);
    set_color(cr, th->grid, 1);
    for (int i = 0; i < ty.n; i++) {
        double py = snap(BAR_Y(ty.value[i]));
        cairo_move_to(cr, area.x, py);
        cairo_line_to(cr, area.x + area.width, py);
    }
    cairo_stroke(cr);
    set_color(cr, th->muted, 1);
    for (int i = 0; i < ty.n; i++)
        text_at(&k, ty.label[i], area.x - 7, BAR_Y(ty.value[i]), 1, 0.5);

    /* ---- Bars. */
    double group = slot * (ns > 1 ? 0.8 : 0.66);
    double bw = group / MAX(ns, 1);
    double gap = ns > 1 ? MIN(2.0, bw * 0.12) : 0;
    double base = BAR_Y(CLAMP(0, ylo, yhi));
    cairo_save(cr);
    cairo_rectangle(cr, area.x, area.y - 1, area.width, area.height + 2);
    cairo_clip(cr);
    for (int i = 0; i < nc; i++) {
        double gx = area.x + slot * i + (slot - group) / 2;
        for (int s = 0; s < ns; s++) {
            double v = c->s[s].v[i];
            if (!isfinite(v))
                continue;
            double bx = gx + s * bw + gap / 2, bww = bw - gap;
            double vy = BAR_Y(v);
            dg_plot_rgba col = palette(th, ns == 1 && c->by_category ? i : s);
            set_color(cr, col, 1);
            if (v >= 0)
                bar_path(cr, bx, vy, bww, base - vy, MIN(3, bww / 4), TRUE);
            else
                bar_path(cr, bx, base, bww, vy - base, MIN(3, bww / 4), FALSE);
            cairo_fill(cr);
            if (c->s[s].e && isfinite(c->s[s].e[i]) && c->s[s].e[i] != 0) {
                double e = fabs(c->s[s].e[i]);
                double cx = snap(bx + bww / 2), cap = MIN(bww * 0.3, 6);
                double y0 = BAR_Y(v - e), y1 = BAR_Y(v + e);
                set_color(cr, th->foreground, 0.75);
                cairo_set_line_width(cr, 1.25);
                cairo_move_to(cr, cx, y0);
                cairo_line_to(cr, cx, y1);
                cairo_move_to(cr, cx - cap, y0);
                cairo_line_to(cr, cx + cap, y0);
                cairo_move_to(cr, cx - cap, y1);
                cairo_line_to(cr, cx + cap, y1);
                cairo_stroke(cr);
            }
        }
    }
    cairo_restore(cr);
    /* Zero line over the bars' feet. */
    set_color(cr, th->axis, 1);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, area.x, snap(base));
    cairo_line_to(cr, area.x + area.width, snap(base));
    cairo_stroke(cr);

    /* ---- Values on the bars: all of them when they all fit, else none. */
    if (c->show_values && ns > 0) {
        use_font(&k, 0.9, FALSE);
        double room = ns > 1 ? bw + gap : slot - 4;
        gboolean fit = TRUE;
        char buf[64];
        for (int s = 0; s < ns && fit; s++)
            for (int i = 0; i < nc && fit; i++) {
                bar_format(c, integral, c->s[s].v[i], buf, sizeof buf);
                fit = text_w(&k, buf) <= room - 1;
            }
        if (fit) {
            set_color(cr, th->foreground, 0.85);
            for (int i = 0; i < nc; i++) {
                double gx = area.x + slot * i + (slot - group) / 2;
                for (int s = 0; s < ns; s++) {
                    double v = c->s[s].v[i];
                    if (!isfinite(v))
                        continue;
                    double e = c->s[s].e && isfinite(c->s[s].e[i]) ? fabs(c->s[s].e[i]) : 0;
                    double cx = gx + s * bw + bw / 2;
                    bar_format(c, integral, v, buf, sizeof buf);
                    if (v >= 0) {
                        double ty0 = BAR_Y(v + e) - 4;
                        if (ty0 - k.cap >= area.y - tick_cap / 2)
                            text_at(&k, buf, cx, ty0, 0.5, 1);
                    } else {
                        double ty0 = BAR_Y(v - e) + 4;
                        if (ty0 + k.cap <= area.y + area.height)
                            text_at(&k, buf, cx, ty0, 0.5, 0);
                    }
                }
            }
        }
        use_font(&k, 1.0, FALSE);
    }

    /* ---- Category labels, axis titles, legend. */
    set_color(cr, th->foreground, 0.85);
    for (int i = 0; i < nc; i++)
        cat_label_draw(&k, &cl, c->cat[i], i, slot, area.x + slot * (i + 0.5),
                       area.y + area.height + cat_top_gap);
    if (c->x_label) {
        char *s = ellipsize(&k, c->x_label, area.width);
        text_at(&k, s, area.x + area.width / 2, y + h - pad - lab_h, 0.5, 0);
        g_free(s);
    }
    if (c->y_label) {
        char *s = ellipsize(&k, c->y_label, area.height);
        text_vertical(&k, s, x + pad, area.y + area.height / 2);
        g_free(s);
    }
    if (legend == DG_PLOT_LEGEND_INSIDE) {
        /* One row, right-aligned above the plot; entries that do not fit are left out. */
        double ex = area.x + area.width;
        double cy = legend_y + (row_h - 3) / 2;
        for (int s = n_entries - 1; s >= 0; s--) {
            double ew = LEGEND_SWATCH - 6 + 5 + text_w(&k, entries[s].name);
            if (ex - ew < area.x)
                break;
            ex -= ew;
            set_color(cr, entries[s].color, 1);
            rounded_rect(cr, ex, cy - 5, 10, 10, 2);
            cairo_fill(cr);
            set_color(cr, th->foreground, 0.9);
            text_at(&k, entries[s].name, ex + 15, cy, 0, 0.5);
            ex -= 14;
        }
    } else if (legend == DG_PLOT_LEGEND_OUTSIDE) {
        draw_legend_box(&k, entries, n_entries, x + w - pad, area.y, legend_w, area.height,
                        FALSE, th->line_width);
    }
#undef BAR_Y
    cairo_restore(cr);
}

/* ======================================================================== */
/* Heatmap                                                                   */
/* ======================================================================== */

struct dg_heatmap {
    char *title, *row_title, *col_title;
    int rows, cols;
    double *v;
    char **rl, **cl;
    gboolean percent;
    gboolean have_layout;
    dg_plot_rect grid;
};

dg_heatmap *dg_heatmap_new(void)
{
    dg_heatmap *m = g_new0(dg_heatmap, 1);
    m->row_title = g_strdup("true");
    m->col_title = g_strdup("predicted");
    m->percent = TRUE;
    return m;
}

void dg_heatmap_free(dg_heatmap *m)
{
    if (!m)
        return;
    g_free(m->title);
    g_free(m->row_title);
    g_free(m->col_title);
    g_free(m->v);
    g_strfreev(m->rl);
    g_strfreev(m->cl);
    g_free(m);
}

void dg_heatmap_set_title(dg_heatmap *m, const char *title)
{
    replace_str(&m->title, title);
}

static char **copy_labels(int n, const char *const *labels)
{
    char **out = g_new0(char *, n + 1);
    for (int i = 0; i < n; i++)
        out[i] = labels && labels[i] ? g_strdup(labels[i]) : g_strdup_printf("%d", i);
    return out;
}

void dg_heatmap_set_data(dg_heatmap *m, int rows, int cols, const double *values,
                         const char *const *row_labels, const char *const *col_labels)
{
    g_free(m->v);
    g_strfreev(m->rl);
    g_strfreev(m->cl);
    if (rows <= 0 || cols <= 0 || !values)
        rows = cols = 0;
    m->rows = rows;
    m->cols = cols;
    m->v = rows ? g_memdup2(values, sizeof(double) * rows * cols) : NULL;
    m->rl = copy_labels(rows, row_labels);
    m->cl = copy_labels(cols, col_labels);
    m->have_layout = FALSE;
}

void dg_heatmap_set_labels(dg_heatmap *m, const char *row_title, const char *col_title)
{
    replace_str(&m->row_title, row_title);
    replace_str(&m->col_title, col_title);
}

void dg_heatmap_set_show_percent(dg_heatmap *m, gboolean show)
{
    m->percent = show;
}

gboolean dg_heatmap_get_cell(const dg_heatmap *m, int row, int col, dg_plot_rect *cell)
{
    if (!m->have_layout || row < 0 || col < 0 || row >= m->rows || col >= m->cols)
        return FALSE;
    double cw = m->grid.width / m->cols, ch = m->grid.height / m->rows;
    if (cell)
        *cell = (dg_plot_rect){m->grid.x + col * cw, m->grid.y + row * ch, cw, ch};
    return TRUE;
}

DG_PLOT_DEFINE_KIND(dg_heatmap, "heatmap")

void dg_heatmap_draw(dg_heatmap *m, cairo_t *cr, double x, double y, double w, double h,
                     const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = theme_or_default(theme, &store);
    ink k;
    m->have_layout = FALSE;
    if (!(w > 0 && h > 0))
        return;
    begin(cr, &k, th, x, y, w, h);
    const double pad = 8;
    double top = y + pad;
    top += title_height(&k, m->title);
    use_font(&k, 1.0, FALSE);
    if (m->rows == 0) {
        draw_title(&k, m->title, x + pad, x + w - pad, y + pad);
        use_font(&k, 1.0, FALSE);
        set_color(cr, th->muted, 1);
        text_at(&k, "No data", x + w / 2, (top + y + h) / 2, 0.5, 0.5);
        cairo_restore(cr);
        return;
    }
    double lab_h = line_h(&k), line_step = k.ascent + k.descent;
    double left = x + pad + (m->row_title ? lab_h + 8 : 0);
    double row_lab_w = 0;
    for (int r = 0; r < m->rows; r++)
        row_lab_w = MAX(row_lab_w, text_w(&k, m->rl[r]));
    row_lab_w = MIN(row_lab_w, w * 0.3);
    double bottom = y + h - pad - (m->col_title ? lab_h + 6 : 0);
    double gx0 = left + row_lab_w + 8, gx1 = x + w - pad;

    /* Column labels wrap to the cell width, which depends on their height: twice. */
    int lines = 2;
    double cell = 0, col_lab_h = 0;
    for (int it = 0; it < 2; it++) {
        col_lab_h = 6 + k.cap + k.descent + (lines - 1) * line_step;
        double avail_h = bottom - col_lab_h - top;
        cell = MIN((gx1 - gx0) / m->cols, avail_h / m->rows);
        int need = 1;
        for (int c = 0; c < m->cols; c++) {
            char **l = wrap_text(&k, m->cl[c], cell - 4, 3);
            need = MAX(need, (int)g_strv_length(l));
            g_strfreev(l);
        }
        lines = need;
    }
    col_lab_h = 6 + k.cap + k.descent + (lines - 1) * line_step;
    cell = MIN((gx1 - gx0) / m->cols, (bottom - col_lab_h - top) / m->rows);
    if (cell < 4) {
        cairo_restore(cr);
        return;
    }
    /* Centre the grid (and its labels) in the space left. */
    double gw = cell * m->cols, gh = cell * m->rows;
    double shift = ((gx1 - gx0) - gw) / 2;
    gx0 += shift;
    left += shift;
    double gy0 = top + ((bottom - col_lab_h - top) - gh) / 2;
    m->grid = (dg_plot_rect){gx0, gy0, gw, gh};
    m->have_layout = TRUE;

    char buf[64], pbuf[32];
    for (int r = 0; r < m->rows; r++) {
        double sum = 0;
        for (int c = 0; c < m->cols; c++) {
            double v = m->v[r * m->cols + c];
            if (isfinite(v) && v > 0)
                sum += v;
        }
        for (int c = 0; c < m->cols; c++) {
            double v = m->v[r * m->cols + c];
            double t = sum > 0 && isfinite(v) ? MAX(v, 0) / sum : 0;
            dg_plot_rgba bg = dg_plot_theme_ramp(th, t);
            double cx = gx0 + c * cell, cy = gy0 + r * cell;
            double inset = cell > 24 ? 1 : 0;
            rounded_rect(cr, cx + inset, cy + inset, cell - 2 * inset, cell - 2 * inset,
                         cell > 24 ? 3 : 0);
            set_color(cr, bg, 1);
            cairo_fill(cr);
            /* Text: the value and, below it, the row percentage, as room allows. */
            if (!isfinite(v))
                g_strlcpy(buf, "\u2013", sizeof buf);
            else if (v == floor(v) && fabs(v) < 1e15)
                g_snprintf(buf, sizeof buf, "%.0f", v);
            else
                g_snprintf(buf, sizeof buf, "%.3g", v);
            gboolean pct = m->percent && sum > 0 && isfinite(v);
            if (pct)
                g_snprintf(pbuf, sizeof pbuf, "%.1f%%", 100 * t);
            dg_plot_rgba fg = dg_plot_text_color_for(bg);
            double room = cell - 6;
            /* The value (bold) over the percentage at full or 85% size, else
             * the value alone at full, 85% or 72% size; nothing if none fits. */
            static const double scales[] = {1.0, 0.85, 0.72};
            gboolean done = FALSE;
            for (size_t si = 0; pct && !done && si < 2; si++) {
                double sc = scales[si];
                use_font(&k, sc, TRUE);
                double vcap = k.cap, vw = text_w(&k, buf);
                use_font(&k, sc * 0.85, FALSE);
                double pcap = k.cap, pw = text_w(&k, pbuf);
                double both_h = vcap + 5 * sc + pcap;
                if (both_h <= room && pw <= room && vw <= room) {
                    double ty0 = cy + (cell - both_h) / 2;
                    use_font(&k, sc, TRUE);
                    set_color(cr, fg, 1);
                    text_at(&k, buf, cx + cell / 2, ty0, 0.5, 0);
                    use_font(&k, sc * 0.85, FALSE);
                    set_color(cr, fg, 0.8);
                    text_at(&k, pbuf, cx + cell / 2, ty0 + vcap + 5 * sc, 0.5, 0);
                    done = TRUE;
                }
            }
            for (size_t si = 0; !done && si < G_N_ELEMENTS(scales); si++) {
                use_font(&k, scales[si], TRUE);
                if (text_w(&k, buf) <= room && k.cap <= room) {
                    set_color(cr, fg, 1);
                    text_at(&k, buf, cx + cell / 2, cy + cell / 2, 0.5, 0.5);
                    done = TRUE;
                }
            }
        }
    }

    use_font(&k, 1.0, FALSE);
    set_color(cr, th->foreground, 0.85);
    for (int r = 0; r < m->rows; r++) {
        char *s = ellipsize(&k, m->rl[r], row_lab_w);
        text_at(&k, s, gx0 - 8, gy0 + (r + 0.5) * cell, 1, 0.5);
        g_free(s);
    }
    for (int c = 0; c < m->cols; c++) {
        char **l = wrap_text(&k, m->cl[c], cell - 4, 3);
        for (int j = 0; l[j]; j++)
            text_at(&k, l[j], gx0 + (c + 0.5) * cell, gy0 + gh + 6 + j * line_step, 0.5, 0);
        g_strfreev(l);
    }
    use_font(&k, 1.0, TRUE);
    set_color(cr, th->foreground, 0.85);
    if (m->col_title) {
        char *s = ellipsize(&k, m->col_title, gw);
        text_at(&k, s, gx0 + gw / 2, gy0 + gh + col_lab_h + 6, 0.5, 0);
        g_free(s);
    }
    if (m->row_title) {
        char *s = ellipsize(&k, m->row_title, gh);
        text_vertical(&k, s, left - lab_h - 8, gy0 + gh / 2);
        g_free(s);
    }
    /* The title is centred over the grid (and stays inside the rectangle). */
    if (m->title) {
        use_font(&k, 1.2, TRUE);
        double tw = MIN(text_w(&k, m->title), w - 2 * pad);
        double cx = CLAMP(gx0 + gw / 2, x + pad + tw / 2, x + w - pad - tw / 2);
        draw_title(&k, m->title, cx - tw / 2 - 0.5, cx + tw / 2 + 0.5, y + pad);
    }
    cairo_restore(cr);
}

/* ======================================================================== */
/* Probability bars                                                          */
/* ======================================================================== */

struct dg_prob_chart {
    char *title;
    int k;
    char **labels;
    double *p;
    int accent;
};

dg_prob_chart *dg_prob_chart_new(void)
{
    return g_new0(dg_prob_chart, 1);
}

void dg_prob_chart_free(dg_prob_chart *c)
{
    if (!c)
        return;
    g_free(c->title);
    g_strfreev(c->labels);
    g_free(c->p);
    g_free(c);
}

void dg_prob_chart_set_title(dg_prob_chart *c, const char *title)
{
    replace_str(&c->title, title);
}

void dg_prob_chart_set_data(dg_prob_chart *c, int k, const char *const *labels,
                            const double *probs)
{
    g_strfreev(c->labels);
    g_free(c->p);
    if (k <= 0 || !probs)
        k = 0;
    c->k = k;
    c->labels = copy_labels(k, labels);
    c->p = k ? g_memdup2(probs, sizeof(double) * k) : NULL;
}

void dg_prob_chart_set_accent(dg_prob_chart *c, int palette_index)
{
    c->accent = palette_index;
}

DG_PLOT_DEFINE_KIND(dg_prob_chart, "prob")

void dg_prob_chart_draw(dg_prob_chart *c, cairo_t *cr, double x, double y, double w, double h,
                        const dg_plot_theme *theme)
{
    dg_plot_theme store;
    const dg_plot_theme *th = theme_or_default(theme, &store);
    ink k;
    if (!(w > 0 && h > 0))
        return;
    begin(cr, &k, th, x, y, w, h);
    const double pad = 8;
    double top = y + pad;
    top += draw_title(&k, c->title, x + pad, x + w - pad, top);
    use_font(&k, 1.0, FALSE);
    if (c->k == 0) {
        set_color(cr, th->muted, 1);
        text_at(&k, "No prediction", x + w / 2, (top + y + h) / 2, 0.5, 0.5);
        cairo_restore(cr);
        return;
    }
    int best = -1;
    for (int i = 0; i < c->k; i++)
        if (isfinite(c->p[i]) && (best < 0 || c->p[i] > c->p[best]))
            best = i;

    /* Side by side (label | bar | percentage) when the labels fit in 45% of
     * the width and the bars keep a third of it; else stacked: label and
     * percentage on a line, the bar under them at full width. */
    use_font(&k, 1.0, TRUE);
    double full_w = 0;
    for (int i = 0; i < c->k; i++)
        full_w = MAX(full_w, text_w(&k, c->labels[i]));
    double pct_w = text_w(&k, "100.0%");
    double inner = w - 2 * pad;
    gboolean stacked = full_w > inner * 0.45 || inner - full_w - pct_w - 22 < inner / 3;
    double label_w = stacked ? inner - pct_w - 10 : full_w;
    double bx0 = stacked ? x + pad : x + pad + label_w + 12;
    double bx1 = stacked ? x + w - pad : x + w - pad - pct_w - 10;
    double avail = y + h - pad - top;
    double text_h = k.ascent + k.descent;
    double row = MIN(avail / c->k, stacked ? text_h + th->font_size * 2.0 : th->font_size * 3.0);
    double thick = stacked ? MIN(row - text_h - 6, th->font_size * 0.8)
                           : MIN(row * 0.55, th->font_size * 1.1);
    if (bx1 - bx0 < 20 || row < k.cap + 2 || thick < 2 || label_w < 10) {
        cairo_restore(cr);
        return;
    }
    dg_plot_rgba acc = palette(th, c->accent);
    char buf[32];
    for (int i = 0; i < c->k; i++) {
        /* ty: the text's centre line; by: the bar's. */
        double ty = stacked ? top + row * i + k.cap / 2 + 2 : top + row * (i + 0.5);
        double by = stacked ? ty + k.cap / 2 + k.descent + 3 + thick / 2 : ty;
        double p = c->p[i];
        gboolean hi = i == best;
        /* Track, then the filled part. */
        rounded_rect(cr, bx0, by - thick / 2, bx1 - bx0, thick, thick / 2);
        set_color(cr, th->grid, 1);
        cairo_fill(cr);
        if (isfinite(p) && p > 0) {
            double fw = (bx1 - bx0) * CLAMP(p, 0, 1);
            fw = MAX(fw, MIN(thick, bx1 - bx0) * 0.5);
            rounded_rect(cr, bx0, by - thick / 2, fw, thick, thick / 2);
            set_color(cr, hi ? acc : th->muted, hi ? 1 : 0.55);
            cairo_fill(cr);
        }
        use_font(&k, 1.0, hi);
        set_color(cr, th->foreground, hi ? 1 : 0.75);
        char *s = ellipsize(&k, c->labels[i], label_w);
        text_at(&k, s, x + pad, ty, 0, 0.5);
        g_free(s);
        if (isfinite(p))
            g_snprintf(buf, sizeof buf, "%.1f%%", 100 * CLAMP(p, 0, 1));
        else
            g_strlcpy(buf, "\u2013", sizeof buf);
        text_at(&k, buf, x + w - pad, ty, 1, 0.5);
    }
    cairo_restore(cr);
}

/* ======================================================================== */
/* Image grids                                                               */
/* ======================================================================== */

uint8_t *dg_plot_image_grid(const uint8_t *images, int n, int size, int rows, int cols,
                            int gutter, const uint8_t background[3], int *width, int *height)
{
    if (n < 0 || size <= 0 || rows <= 0 || cols <= 0 || gutter < 0 || (n > 0 && !images))
        return NULL;
    gint64 gw = (gint64)cols * size + (gint64)(cols + 1) * gutter;
    gint64 gh = (gint64)rows * size + (gint64)(rows + 1) * gutter;
    if (gw > 65535 || gh > 65535)
        return NULL;
    uint8_t bg[3] = {0, 0, 0};
    if (background)
        memcpy(bg, background, 3);
    size_t stride = (size_t)gw * 3;
    uint8_t *out = g_malloc(stride * gh);
    for (gint64 i = 0; i < gw * gh; i++)
        memcpy(out + i * 3, bg, 3);
    int cells = MIN(n, rows * cols);
    for (int i = 0; i < cells; i++) {
        int r = i / cols, c = i % cols;
        const uint8_t *src = images + (size_t)i * size * size * 3;
        uint8_t *dst = out + (size_t)(gutter + r * (size + gutter)) * stride +
                       (size_t)(gutter + c * (size + gutter)) * 3;
        for (int yy = 0; yy < size; yy++)
            memcpy(dst + yy * stride, src + (size_t)yy * size * 3, (size_t)size * 3);
    }
    if (width)
        *width = (int)gw;
    if (height)
        *height = (int)gh;
    return out;
}

cairo_surface_t *dg_plot_surface_from_rgb(const uint8_t *rgb, int width, int height)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, MAX(width, 1),
                                                    MAX(height, 1));
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || !rgb || width <= 0 || height <= 0)
        return s;
    cairo_surface_flush(s);
    uint8_t *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int yy = 0; yy < height; yy++) {
        uint32_t *row = (uint32_t *)(data + (size_t)yy * stride);
        const uint8_t *src = rgb + (size_t)yy * width * 3;
        for (int xx = 0; xx < width; xx++)
            row[xx] = 0xff000000u | (uint32_t)src[3 * xx] << 16 | (uint32_t)src[3 * xx + 1] << 8 |
                      src[3 * xx + 2];
    }
    cairo_surface_mark_dirty(s);
    return s;
}

void dg_plot_image_grid_draw(cairo_t *cr, double x, double y, double w, double h,
                             const dg_plot_theme *theme, cairo_surface_t *grid, int rows,
                             int gutter, const char *const *row_labels)
{
    dg_plot_theme store;
    const dg_plot_theme *th = theme_or_default(theme, &store);
    ink k;
    if (!(w > 0 && h > 0))
        return;
    begin(cr, &k, th, x, y, w, h);
    if (!grid || cairo_surface_get_type(grid) != CAIRO_SURFACE_TYPE_IMAGE || rows <= 0) {
        cairo_restore(cr);
        return;
    }
    int gw = cairo_image_surface_get_width(grid), gh = cairo_image_surface_get_height(grid);
    use_font(&k, 1.0, FALSE);
    double label_w = 0;
    if (row_labels) {
        for (int r = 0; r < rows; r++)
            label_w = MAX(label_w, text_w(&k, row_labels[r]));
        label_w = MIN(label_w, w * 0.3);
    }
    double margin = label_w > 0 ? label_w + 18 : 0;
    double aw = w - margin, ah = h;
    if (aw <= 1 || gw <= 0 || gh <= 0) {
        cairo_restore(cr);
        return;
    }
    double scale = MIN(aw / gw, ah / gh);
    double dw = gw * scale, dh = gh * scale;
    double ox = x + margin + (aw - dw) / 2, oy = y + (ah - dh) / 2;
    cairo_save(cr);
    cairo_translate(cr, ox, oy);
    cairo_scale(cr, scale, scale);
    cairo_set_source_surface(cr, grid, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr),
                             scale >= 2 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
    cairo_rectangle(cr, 0, 0, gw, gh);
    cairo_fill(cr);
    cairo_restore(cr);
    if (row_labels) {
        double cellp = (double)(gh - gutter) / rows; /* cell + gutter, in grid pixels */
        set_color(cr, th->foreground, 0.85);
        for (int r = 0; r < rows; r++) {
            double cy = oy + (gutter + r * cellp + (cellp - gutter) / 2) * scale;
            char *s = ellipsize(&k, row_labels[r], label_w);
            text_at(&k, s, ox - 10, cy, 1, 0.5);
            g_free(s);
        }
    }
    cairo_restore(cr);
}
