/* dg-job-ablation-report.c: what an ablation's runs add up to: per metric
 * every arm's mean and spread over the seeds and its paired difference from
 * real only (with a 95% t interval and the exact sign-flip p), written as
 * ablation.json (read by the app's Ablation page), report.md and plots. */
#include <math.h>
#include <string.h>

#include "jobs/dg-job-ablation-private.h"
#include "jobs/dg-job-gan-private.h" /* dg_json_member_double */
#include "jobs/dg-job-util.h"
#include "models/dg-metrics.h"
#include "plot/dg-plot.h"

#define N_HEADLINE 5
static const char *const headline[N_HEADLINE] = {"accuracy", "balanced_accuracy", "macro_f1",
                                                 "auc_macro", "ece"};
static const char *const headline_titles[N_HEADLINE] = {"accuracy", "balanced accuracy",
                                                        "macro F1", "macro AUC", "ECE"};

/* x[arm][seed] of one number from each run's metrics */
typedef double (*metric_fn)(JsonObject *metrics, const void *arg);

static double get_top(JsonObject *m, const void *key)
{
    return dg_json_member_double(m, key);
}

static double get_recall(JsonObject *m, const void *cls)
{
    JsonObject *pc = json_object_get_object_member(m, "per_class");
    JsonObject *c = pc && json_object_has_member(pc, cls) ? json_object_get_object_member(pc, cls)
                                                          : NULL;
    return dg_json_member_double(c, "recall");
}

static void add_num(JsonBuilder *b, const char *k, double v)
{
    json_builder_set_member_name(b, k);
    if (isfinite(v))
        json_builder_add_double_value(b, v);
    else
        json_builder_add_null_value(b);
}

static void add_summary(JsonBuilder *b, const char *name, dg_summary s)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_num(b, "mean", s.mean);
    add_num(b, "std", s.std);
    json_builder_end_object(b);
}

/* Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
static double t975(int df)
{
    static const double q[30] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
                                 2.228,  2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
                                 2.093,  2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
                                 2.048,  2.045, 2.042};
    return df < 1 ? NAN : df <= 30 ? q[df - 1] : 1.96;
}

typedef struct {
    dg_summary arm[MAX_ARMS];
    dg_paired diff[MAX_ARMS]; /* arm i vs arm 0 (real only); diff[0] unused */
    double lo[MAX_ARMS], hi[MAX_ARMS]; /* 95% t interval of the paired mean difference */
} comparison;

static comparison compare(const dg_ablation *a, metric_fn fn, const void *arg)
{
    comparison c;
    double x[MAX_ARMS][MAX_SEEDS];
    for (int i = 0; i < a->n_arms; i++) {
        for (int s = 0; s < a->seeds; s++)
            x[i][s] = fn(json_node_get_object(a->runs[i][s]), arg);
        c.arm[i] = dg_summarize(x[i], a->seeds);
        c.diff[i] = dg_paired_compare(x[0], x[i], a->seeds);
        double h = t975(a->seeds - 1) * c.diff[i].std / sqrt((double)a->seeds);
        c.lo[i] = c.diff[i].mean - h;
        c.hi[i] = c.diff[i].mean + h;
    }
    return c;
}

static void add_difference(JsonBuilder *b, const char *name, const comparison *c, int i)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_num(b, "mean", c->diff[i].mean);
    add_num(b, "std", c->diff[i].std);
    add_num(b, "t", c->diff[i].t);
    add_num(b, "p_sign_flip", c->diff[i].p);
    add_num(b, "ci95_low", c->lo[i]);
    add_num(b, "ci95_high", c->hi[i]);
    json_builder_end_object(b);
}

/* The comparison of one metric: every arm's summary and difference from real;
 * "real+synthetic" and "difference" are the chosen protocol's (as read by the
 * app's Ablation page). */
static void add_comparison(const dg_ablation *a, JsonBuilder *b, const char *name, comparison c)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++)
        add_summary(b, dg_ablation_protocols[a->arms[i]].id, c.arm[i]);
    if (a->chosen > 0) {
        add_summary(b, "real+synthetic", c.arm[a->chosen]);
        add_difference(b, "difference", &c, a->chosen);
    }
    json_builder_set_member_name(b, "differences");
    json_builder_begin_object(b);
    for (int i = 1; i < a->n_arms; i++)
        add_difference(b, dg_ablation_protocols[a->arms[i]].id, &c, i);
    json_builder_end_object(b);
    json_builder_end_object(b);
}

/* Sum of the confusion matrices of an arm's runs (K x K). */
static void confusion_sum(const dg_ablation *a, int arm, double *cm)
{
    const int K = a->K;
    memset(cm, 0, sizeof(double) * K * K);
    for (int s = 0; s < a->seeds; s++) {
        JsonObject *o = json_object_get_object_member(json_node_get_object(a->runs[arm][s]),
                                                      "confusion_matrix");
        JsonArray *rows = o ? json_object_get_array_member(o, "matrix") : NULL;
        for (int i = 0; rows && i < K && i < (int)json_array_get_length(rows); i++) {
            JsonArray *r = json_array_get_array_element(rows, i);
            for (int j = 0; j < K && j < (int)json_array_get_length(r); j++)
                cm[i * K + j] += (double)json_array_get_int_element(r, j);
        }
    }
}

static char *fmt_ms(dg_summary s, int digits)
{
    if (!isfinite(s.std))
        return g_strdup_printf("%.*f", digits, s.mean);
    return g_strdup_printf("%.*f ± %.*f", digits, s.mean, digits, s.std);
}

gboolean dg_ablation_write_plots(const dg_ablation *a, GError **error)
{
    const int K = a->K;
    gboolean ok = TRUE;
    /* per-class recall, every arm, mean ± sd */
    dg_bar_chart *bc = dg_bar_chart_new();
    dg_bar_chart_set_title(bc, "Test recall per class (mean ± sd over seeds)");
    dg_bar_chart_set_labels(bc, NULL, "recall");
    dg_bar_chart_set_categories(bc, K, (const char *const *)a->class_ids);
    for (int i = 0; i < a->n_arms; i++) {
        double mean[64], sd[64];
        for (int k = 0; k < K; k++) {
            comparison c = compare(a, get_recall, a->class_ids[k]);
            mean[k] = c.arm[i].mean;
            sd[k] = isfinite(c.arm[i].std) ? c.arm[i].std : 0.0;
        }
        dg_bar_chart_add_series(bc, dg_ablation_protocols[a->arms[i]].title, mean, sd);
    }
    dg_bar_chart_set_y_range(bc, 0, 1);
    dg_bar_chart_set_value_labels(bc, a->n_arms <= 3, "%.2f");
    char *p = g_build_filename(a->cfg->out, "recall.png", NULL);
    ok = ok && dg_bar_chart_save(bc, p, 760 + 120 * MAX(0, a->n_arms - 2), 420, NULL, error);
    g_free(p);
    dg_bar_chart_free(bc);

    /* validation curves: every run, arms in their colours */
    dg_line_chart *lc = dg_line_chart_new();
    dg_line_chart_set_title(lc, "Validation balanced accuracy during training");
    dg_line_chart_set_labels(lc, "epoch (passes over the real training images)",
                             "balanced accuracy", NULL);
    for (int i = 0; i < a->n_arms && ok; i++)
        for (int s = 0; s < a->seeds; s++) {
            char *nm = g_strdup_printf("%s, seed %d", dg_ablation_protocols[a->arms[i]].title, s + 1);
            int si = dg_line_chart_add_series(lc, nm);
            g_free(nm);
            dg_line_chart_set_series_color(lc, si, i);
            GArray *cv = a->curves[i][s];
            for (guint e = 0; cv && e < cv->len; e++)
                dg_line_chart_append(lc, si, e + 1, g_array_index(cv, double, e));
        }
    dg_line_chart_set_y_clip(lc, 0);
    dg_line_chart_set_legend(lc, DG_PLOT_LEGEND_OUTSIDE);
    p = g_build_filename(a->cfg->out, "curves.png", NULL);
    ok = ok && dg_line_chart_save(lc, p, 900, 420, NULL, error);
    g_free(p);
    dg_line_chart_free(lc);

    /* confusion matrices summed over seeds */
    for (int i = 0; i < a->n_arms && ok; i++) {
        double *cm = g_new(double, K * K);
        confusion_sum(a, i, cm);
        dg_heatmap *hm = dg_heatmap_new();
        char *t = g_strdup_printf("Confusion, %s (test, %d seeds summed)",
                                  dg_ablation_protocols[a->arms[i]].title, a->seeds);
        dg_heatmap_set_title(hm, t);
        dg_heatmap_set_data(hm, K, K, cm, (const char *const *)a->class_ids,
                            (const char *const *)a->class_ids);
        char *f = g_strdup_printf("confusion-%s.png", dg_ablation_protocols[a->arms[i]].dir);
        p = g_build_filename(a->cfg->out, f, NULL);
        ok = dg_heatmap_save(hm, p, 460, 440, NULL, error);
        g_free(p), g_free(f), g_free(t), g_free(cm);
        dg_heatmap_free(hm);
    }
    return ok;
}

static void report_row(const dg_ablation *a, GString *s, const char *title, comparison c)
{
    char *x = fmt_ms(c.arm[0], 3);
    g_string_append_printf(s, "| %s | %s |", title, x);
    g_free(x);
    for (int i = 1; i < a->n_arms; i++) {
        char *y = fmt_ms(c.arm[i], 3);
        g_string_append_printf(s, " %s (%+.3f [%+.3f, %+.3f], p %.2f) |", y, c.diff[i].mean,
                               c.lo[i], c.hi[i], c.diff[i].p);
        g_free(y);
    }
    g_string_append(s, "\n");
}

char *dg_ablation_report_markdown(const dg_ablation *a)
{
    GString *s = g_string_new(NULL);
    dg_ablation_config *cfg = a->cfg;
    g_string_append_printf(s, "# Ablation: how synthetic images are used\n\n");
    g_string_append_printf(s,
                           "Architecture `%s`, %d seeds (1..%d), %" G_GINT64_FORMAT
                           " optimizer steps per run in every arm (%d epochs of the real "
                           "training split at batch %d), validation every %d steps, the best "
                           "validation balanced accuracy's model tested. Split seed %" G_GUINT64_FORMAT
                           " (by lesion); generator `%s`, trained on that split's training images "
                           "only; synthetic images generated anew for each seed.",
                           cfg->arch, a->seeds, a->seeds, a->steps, cfg->epochs, ABL_BATCH, a->pass,
                           cfg->split_seed, a->gen);
    if (cfg->color_shift > 0)
        g_string_append_printf(s, " Every training image (real or synthetic) also gets a random "
                                  "change of source of strength %g (`--color-shift`).",
                               cfg->color_shift);
    g_string_append(s, "\n\n");
    for (int i = 0; i < a->n_arms; i++)
        g_string_append_printf(s, "- **%s**: %s.\n", dg_ablation_protocols[a->arms[i]].title,
                               dg_ablation_protocols[a->arms[i]].description);
    g_string_append(s, "\nValidation balanced accuracy (mean over seeds), which chooses the "
                       "protocol:\n\n");
    for (int i = 0; i < a->n_arms; i++) {
        dg_summary v = dg_summarize(a->val[i], a->seeds);
        g_string_append_printf(s, "- %s: %.4f%s\n", dg_ablation_protocols[a->arms[i]].title, v.mean,
                               i == a->chosen && i > 0 ? " (chosen)" : "");
    }
    g_string_append(s, "\nTest split (mean ± sd; in brackets the paired difference from real "
                       "only with its 95% t interval, and the sign-flip p):\n\n| test metric |");
    for (int i = 0; i < a->n_arms; i++)
        g_string_append_printf(s, " %s |", dg_ablation_protocols[a->arms[i]].title);
    g_string_append(s, "\n|---|");
    for (int i = 0; i < a->n_arms; i++)
        g_string_append(s, "---|");
    g_string_append(s, "\n");
    for (int i = 0; i < N_HEADLINE; i++)
        report_row(a, s, headline_titles[i], compare(a, get_top, headline[i]));
    for (int k = 0; k < a->K; k++) {
        char *t = g_strdup_printf("recall %s", a->class_ids[k]);
        report_row(a, s, t, compare(a, get_recall, a->class_ids[k]));
        g_free(t);
    }
    g_string_append_printf(s,
                           "\nThe sign-flip test is exact and assumes nothing about the "
                           "distribution; with %d seeds its smallest possible p is %.3g.\n\n",
                           a->seeds, a->seeds < 31 ? 2.0 / (double)(1 << a->seeds) : 0.0);
    g_string_append(s, "Per run (test split):\n\n| arm | seed | validation bacc | accuracy | "
                       "balanced accuracy | macro F1 | macro AUC |\n|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < a->n_arms; i++)
        for (int k = 0; k < a->seeds; k++) {
            JsonObject *o = json_node_get_object(a->runs[i][k]);
            g_string_append_printf(s, "| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f |\n",
                                   dg_ablation_protocols[a->arms[i]].title, k + 1, a->val[i][k],
                                   dg_json_member_double(o, "accuracy"),
                                   dg_json_member_double(o, "balanced_accuracy"),
                                   dg_json_member_double(o, "macro_f1"),
                                   dg_json_member_double(o, "auc_macro"));
        }
    g_string_append(s, "\n![per-class recall](recall.png)\n\n![validation curves](curves.png)\n\n");
    for (int i = 0; i < a->n_arms; i++)
        g_string_append_printf(s, "![confusion, %s](confusion-%s.png) ",
                               dg_ablation_protocols[a->arms[i]].title, dg_ablation_protocols[a->arms[i]].dir);
    g_string_append(s, "\n");
    return g_string_free(s, FALSE);
}

static void add_runs(JsonBuilder *b, const dg_ablation *a, int i, const char *name)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (int s = 0; s < a->seeds; s++)
        json_builder_add_value(b, json_node_copy(a->runs[i][s]));
    json_builder_end_array(b);
}

static void add_confusion(JsonBuilder *b, const dg_ablation *a, int i, const char *name)
{
    double *cm = g_new(double, a->K * a->K);
    confusion_sum(a, i, cm);
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (int r = 0; r < a->K; r++) {
        json_builder_begin_array(b);
        for (int c = 0; c < a->K; c++)
            json_builder_add_int_value(b, (gint64)cm[r * a->K + c]);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
    g_free(cm);
}

static void add_string(JsonBuilder *b, const char *k, const char *v)
{
    json_builder_set_member_name(b, k);
    json_builder_add_string_value(b, v);
}

static void add_int(JsonBuilder *b, const char *k, gint64 v)
{
    json_builder_set_member_name(b, k);
    json_builder_add_int_value(b, v);
}

/* What was run: architecture, data, generator, seeds, length, classes. */
static void add_setup(JsonBuilder *b, const dg_ablation *a)
{
    const dg_ablation_config *cfg = a->cfg;
    add_string(b, "arch", cfg->arch);
    add_string(b, "data", cfg->data);
    add_string(b, "generator", a->gen);
    add_int(b, "seeds", a->seeds);
    add_int(b, "split_seed", (gint64)cfg->split_seed);
    add_int(b, "steps", a->steps);
    add_int(b, "epochs", cfg->epochs);
    json_builder_set_member_name(b, "color_shift");
    json_builder_add_double_value(b, cfg->color_shift);
    json_builder_set_member_name(b, "classes");
    json_builder_begin_array(b);
    for (int k = 0; k < a->K; k++)
        json_builder_add_string_value(b, a->class_ids[k]);
    json_builder_end_array(b);
}

/* The protocols and which was chosen.  "arms": the two the app compares
 * (real, and the chosen protocol as "real+synthetic"). */
static void add_protocols(JsonBuilder *b, const dg_ablation *a)
{
    json_builder_set_member_name(b, "arms");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, "real");
    if (a->chosen > 0)
        json_builder_add_string_value(b, "real+synthetic");
    json_builder_end_array(b);
    json_builder_set_member_name(b, "chosen_protocol");
    if (a->chosen > 0)
        json_builder_add_string_value(b, dg_ablation_protocols[a->arms[a->chosen]].id);
    else
        json_builder_add_null_value(b);
    add_string(b, "chosen_by", "mean validation balanced accuracy over the seeds");
    json_builder_set_member_name(b, "protocols");
    json_builder_begin_array(b);
    for (int i = 0; i < a->n_arms; i++) {
        const dg_ablation_protocol *p = &dg_ablation_protocols[a->arms[i]];
        json_builder_begin_object(b);
        add_string(b, "id", p->id);
        add_string(b, "title", p->title);
        add_string(b, "description", p->description);
        add_summary(b, "val_balanced_accuracy", dg_summarize(a->val[i], a->seeds));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* "metrics" (the headline ones) and "recall" (per class), compared. */
static void add_comparisons(JsonBuilder *b, const dg_ablation *a)
{
    json_builder_set_member_name(b, "metrics");
    json_builder_begin_object(b);
    for (int i = 0; i < N_HEADLINE; i++)
        add_comparison(a, b, headline[i], compare(a, get_top, headline[i]));
    json_builder_end_object(b);
    json_builder_set_member_name(b, "recall");
    json_builder_begin_object(b);
    for (int k = 0; k < a->K; k++)
        add_comparison(a, b, a->class_ids[k], compare(a, get_recall, a->class_ids[k]));
    json_builder_end_object(b);
}

/* Per arm (and the chosen one again as "real+synthetic"): the summed
 * confusion matrix, every run's metrics, every run's validation curve. */
static void add_per_run(JsonBuilder *b, const dg_ablation *a)
{
    json_builder_set_member_name(b, "confusion_matrix_sum");
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++)
        add_confusion(b, a, i, dg_ablation_protocols[a->arms[i]].id);
    if (a->chosen > 0)
        add_confusion(b, a, a->chosen, "real+synthetic");
    json_builder_end_object(b);

    json_builder_set_member_name(b, "runs");
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++)
        add_runs(b, a, i, dg_ablation_protocols[a->arms[i]].id);
    if (a->chosen > 0)
        add_runs(b, a, a->chosen, "real+synthetic");
    json_builder_end_object(b);
    json_builder_set_member_name(b, "val_curves");
    json_builder_begin_object(b);
    for (int i = 0; i < a->n_arms; i++) {
        json_builder_set_member_name(b, dg_ablation_protocols[a->arms[i]].id);
        json_builder_begin_array(b);
        for (int s = 0; s < a->seeds; s++) {
            json_builder_begin_array(b);
            GArray *cv = a->curves[i][s];
            for (guint e = 0; cv && e < cv->len; e++)
                json_builder_add_double_value(b, g_array_index(cv, double, e));
            json_builder_end_array(b);
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

JsonNode *dg_ablation_summary_json(const dg_ablation *a)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    add_setup(b, a);
    add_protocols(b, a);
    add_comparisons(b, a);
    add_per_run(b, a);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    g_object_unref(b);
    return root;
}
