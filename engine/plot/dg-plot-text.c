/* dg-plot-text.c: text with cairo's toy API: fonts and metrics, placement, ellipsis,
 * word wrap, titles; and the strings charts keep. */
#include "dg-plot-private.h"

#include <string.h>

void dg_plot_ink_init(dg_plot_ink *k, cairo_t *cr, const dg_plot_theme *th)
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

void dg_plot_use_font(dg_plot_ink *k, double scale, gboolean bold)
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
double dg_plot_line_h(const dg_plot_ink *k)
{
    return k->cap + k->descent;
}

double dg_plot_text_w(const dg_plot_ink *k, const char *s)
{
    if (!s || !*s)
        return 0;
    cairo_text_extents_t e;
    cairo_text_extents(k->cr, s, &e);
    return e.x_advance;
}

/* Draw s anchored at (x, y): ax 0 = left, 0.5 = centre, 1 = right; ay 0 = y is
 * the top of the capitals, 0.5 = centred on them, 1 = y is the baseline. */
void dg_plot_text_at(const dg_plot_ink *k, const char *s, double x, double y, double ax, double ay)
{
    if (!s || !*s)
        return;
    cairo_move_to(k->cr, x - ax * dg_plot_text_w(k, s), y + (1 - ay) * k->cap);
    cairo_show_text(k->cr, s);
}

/* Vertical text reading bottom to top, centred on (x, y); x is the left edge
 * of the rotated line's box (the top of its capitals). */
void dg_plot_text_vertical(const dg_plot_ink *k, const char *s, double x, double y)
{
    cairo_save(k->cr);
    cairo_translate(k->cr, x, y);
    cairo_rotate(k->cr, -G_PI / 2);
    dg_plot_text_at(k, s, 0, 0, 0.5, 0);
    cairo_restore(k->cr);
}

void dg_plot_text_fit_at(const dg_plot_ink *k, const char *s, double max_w, double x, double y,
                         double ax, double ay)
{
    char *e = dg_plot_ellipsize(k, s, max_w);
    dg_plot_text_at(k, e, x, y, ax, ay);
    g_free(e);
}

void dg_plot_text_fit_vertical(const dg_plot_ink *k, const char *s, double max_w, double x,
                               double y)
{
    char *e = dg_plot_ellipsize(k, s, max_w);
    dg_plot_text_vertical(k, e, x, y);
    g_free(e);
}

/* s shortened with an ellipsis to fit max_w ("" when not even that fits). */
char *dg_plot_ellipsize(const dg_plot_ink *k, const char *s, double max_w)
{
    if (!s)
        return g_strdup("");
    if (dg_plot_text_w(k, s) <= max_w)
        return g_strdup(s);
    glong n = g_utf8_strlen(s, -1);
    glong lo = 0, hi = n; /* longest prefix that fits: in [lo, hi) */
    char *best = NULL;
    while (lo < hi) {
        glong mid = (lo + hi + 1) / 2;
        const char *end = g_utf8_offset_to_pointer(s, mid);
        char *cand = g_strdup_printf("%.*s\u2026", (int)(end - s), s);
        if (dg_plot_text_w(k, cand) <= max_w) {
            g_free(best);
            best = cand;
            lo = mid;
        } else {
            g_free(cand);
            hi = mid - 1;
        }
    }
    if (!best) {
        if (dg_plot_text_w(k, "\u2026") <= max_w)
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
char **dg_plot_wrap_text(const dg_plot_ink *k, const char *s, double max_w, int max_lines)
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
        if (dg_plot_text_w(k, cand) <= max_w) {
            g_string_assign(line, cand);
        } else {
            g_ptr_array_add(out, dg_plot_ellipsize(k, line->str, max_w));
            g_string_assign(line, words[i]);
        }
        g_free(cand);
    }
    if (line->len)
        g_ptr_array_add(out, dg_plot_ellipsize(k, line->str, max_w));
    g_string_free(line, TRUE);
    g_strfreev(words);
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

/* Height a title takes (0 without one). */
double dg_plot_title_height(dg_plot_ink *k, const char *title)
{
    if (!title || !*title)
        return 0;
    dg_plot_use_font(k, 1.2, TRUE);
    return dg_plot_line_h(k) + 10;
}

/* The chart's title, centred over [x0, x1] at top y; returns the height used. */
double dg_plot_title_draw(dg_plot_ink *k, const char *title, double x0, double x1, double y)
{
    if (!title || !*title)
        return 0;
    dg_plot_use_font(k, 1.2, TRUE);
    dg_plot_set_color(k->cr, k->th->foreground, 1);
    dg_plot_text_fit_at(k, title, x1 - x0, (x0 + x1) / 2, y, 0.5, 0);
    return dg_plot_line_h(k) + 10;
}

void dg_plot_replace_str(char **dst, const char *src)
{
    g_free(*dst);
    *dst = src && *src ? g_strdup(src) : NULL;
}

char **dg_plot_copy_labels(int n, const char *const *labels)
{
    char **out = g_new0(char *, n + 1);
    for (int i = 0; i < n; i++)
        out[i] = labels && labels[i] ? g_strdup(labels[i]) : g_strdup_printf("%d", i);
    return out;
}
