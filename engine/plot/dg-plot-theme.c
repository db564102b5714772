/* dg-plot-theme.c: the light and dark themes, colours and their contrast (see dg-plot.h). */
#include "dg-plot-private.h"

static dg_plot_rgba hex(uint32_t v)
{
    return (dg_plot_rgba){((v >> 16) & 0xff) / 255.0, ((v >> 8) & 0xff) / 255.0,
                          (v & 0xff) / 255.0, 1.0};
}

/* A theme's colours as 0xRRGGBB; the rest is the same in every theme. */
typedef struct {
    uint32_t background, foreground, muted, grid, axis;
    uint32_t heat[3];
    uint32_t palette[DG_PLOT_PALETTE_SIZE];
} theme_colors;

static dg_plot_theme theme_from(const theme_colors *c)
{
    dg_plot_theme t = {
        .background = hex(c->background),
        .foreground = hex(c->foreground),
        .muted = hex(c->muted),
        .grid = hex(c->grid),
        .axis = hex(c->axis),
        .heat = {hex(c->heat[0]), hex(c->heat[1]), hex(c->heat[2])},
        .font_family = "Sans",
        .font_size = 11.0,
        .line_width = 1.75,
    };
    for (int i = 0; i < DG_PLOT_PALETTE_SIZE; i++)
        t.palette[i] = hex(c->palette[i]);
    return t;
}

dg_plot_theme dg_plot_theme_light(void)
{
    static const theme_colors light = {
        .background = 0xffffff,
        .foreground = 0x2b2b2b,
        .muted = 0x6b6b6b,
        .grid = 0xebebeb,
        .axis = 0xa8a8a8,
        .heat = {0xf1f5fa, 0x6a9fd0, 0x0d3b73},
        /* Series colours: Tableau 10, slightly deepened so thin lines read well on white. */
        .palette = {0x3b75af, 0xef8636, 0x519e3e, 0xc53a32, 0x8d69b8, 0x2aa198, 0xd5689d,
                    0x84584e},
    };
    return theme_from(&light);
}

dg_plot_theme dg_plot_theme_dark(void)
{
    /* The same hues, lighter, for a dark (#1e1e1e, libadwaita's view) background. */
    static const theme_colors dark = {
        .background = 0x1e1e1e,
        .foreground = 0xececec,
        .muted = 0xa3a3a3,
        .grid = 0x323232,
        .axis = 0x5e5e5e,
        .heat = {0x262c35, 0x2c68b0, 0x9fd0ff},
        .palette = {0x6aa9f0, 0xffa552, 0x72c95e, 0xf2665c, 0xb795ea, 0x45c8bd, 0xf28cc1,
                    0xc4977e},
    };
    return theme_from(&dark);
}

const dg_plot_theme *dg_plot_theme_or_default(const dg_plot_theme *theme, dg_plot_theme *store)
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
    const dg_plot_theme *th = dg_plot_theme_or_default(theme, &store);
    if (!(t > 0)) /* also NaN */
        return th->heat[0];
    if (t >= 1)
        return th->heat[2];
    return t < 0.5 ? mix(th->heat[0], th->heat[1], t * 2)
                   : mix(th->heat[1], th->heat[2], t * 2 - 1);
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

void dg_plot_set_color(cairo_t *cr, dg_plot_rgba c, double alpha)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * alpha);
}

dg_plot_rgba dg_plot_palette(const dg_plot_theme *th, int i)
{
    i %= DG_PLOT_PALETTE_SIZE;
    if (i < 0)
        i += DG_PLOT_PALETTE_SIZE;
    return th->palette[i];
}
