/* dg-job-ablation-private.h: what the ablation's runs (dg-job-ablation.c)
 * and its report (dg-job-ablation-report.c: ablation.json, report.md and
 * the plots) share; not a public API. */
#pragma once
#include <json-glib/json-glib.h>
#include <stdint.h>

#include "jobs/dg-job-cnn.h"

G_BEGIN_DECLS

#define ABL_BATCH 64 /* the classifier's batch in every run */

/* How synthetic images are used, one protocol per arm; arm 0 is always
 * "real".  Every arm takes the same number of optimizer steps with the same
 * seeds. */
typedef enum { P_REAL, P_BALANCE, P_SHARE, P_PRETRAIN, P_FILTER, N_PROTOCOLS } dg_ablation_arm;
typedef struct {
    const char *id;          /* "balance": in --protocols and ablation.json */
    const char *dir;         /* "synthetic": its runs are out/<dir>-seed<N> */
    const char *title;       /* "balance": in the report and plots */
    const char *description; /* one sentence for the report */
} dg_ablation_protocol;
extern const dg_ablation_protocol dg_ablation_protocols[N_PROTOCOLS];

#define MAX_ARMS N_PROTOCOLS
#define MAX_SEEDS 64

/* One ablation: its setup, then what its runs gave. */
typedef struct {
    dg_job *job;
    dg_ablation_config *cfg;
    char *gen;
    int K;             /* classes of the data set */
    char **class_ids;  /* of the data set */
    int seeds;
    int64_t steps;
    int pass;
    int arms[MAX_ARMS], n_arms; /* protocols; arms[0] = P_REAL */
    int chosen;        /* the arm (> 0) with the best mean validation balanced accuracy, or 0 */
    int part, n_parts; /* trainings run so far / to run (not those done before), for progress */
    JsonNode *runs[MAX_ARMS][MAX_SEEDS];  /* test metrics per arm and seed */
    GArray *curves[MAX_ARMS][MAX_SEEDS];  /* validation balanced accuracy per round */
    double val[MAX_ARMS][MAX_SEEDS];      /* best validation balanced accuracy */
} dg_ablation;

/* --- dg-job-ablation-report.c --- */
/* ablation.json: the setup, every arm's summary and paired difference from
 * real only for the headline metrics and per-class recall, the summed
 * confusion matrices, every run's metrics and validation curve. */
JsonNode *dg_ablation_summary_json(const dg_ablation *a);
/* report.md, the same in Markdown. */
char *dg_ablation_report_markdown(const dg_ablation *a);
/* recall.png, curves.png and confusion-<dir>.png in the output folder. */
gboolean dg_ablation_write_plots(const dg_ablation *a, GError **error);

G_END_DECLS
