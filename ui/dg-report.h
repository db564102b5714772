/* dg-report.h: a one-page PDF report of a classifier: what was evaluated and
 * how it did (headline metrics, confusion matrix, per-class table) and, when
 * its training run folder is known, its training curves per epoch.  Drawn
 * with cairo (a PDF surface) and the engine's charts; no GObject here. */
#pragma once
#include <glib.h>

#include "jobs/dg-run-info.h"

G_BEGIN_DECLS

/* A PDF page (or, for a path ending in .png, a picture of it at twice the
 * size).  result_json: the evaluate job's RESULT; run: the classifier's training run
 * (its history per epoch), or NULL.  FALSE + error when the result cannot be
 * read or the file cannot be written. */
gboolean dg_report_write_pdf(const char *path, const char *result_json, const dg_run_info *run,
                             GError **error);

/* The evaluate job's RESULT as CSV, one value a line: scope,metric,value
 * (scope "all" or a class id). g_free; NULL when it cannot be read. */
char *dg_report_metrics_csv(const char *result_json);

G_END_DECLS
