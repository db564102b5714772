/* dg-meta-prior.h: what a patient's age, sex and body site add to an image's
 * prediction (models-and-data layer).
 *
 * Dermatologists read a lesion together with who has it and where:
 * actinic keratoses come with age and sun-exposed skin (face, scalp),
 * melanomas of men with the back.  The ISIC 2019 winners fed such metadata
 * to their networks (Gessert et al., "Skin lesion classification using
 * ensembles of multi-resolution EfficientNets with meta data", MethodsX
 * 2020).  We add it after the network, as naive-Bayes evidence:
 *
 *     p(c | image, patient)  ~  p(c | image) * prod_f [p(c | f) / p(c)]^w
 *
 * over the patient's known fields f (age by decade, sex, body site), with
 * p(c | f) counted on the training split (smoothed towards p(c) by two
 * pseudo-images) and one weight w chosen on the validation split for
 * balanced accuracy (w = 0: metadata ignored).  The image model stays as
 * it is; a field that is unknown, or a value the training split never had,
 * adds nothing, so an image without metadata gets exactly the image-only
 * prediction. */
#pragma once
#include <glib.h>

G_BEGIN_DECLS

/* One patient's metadata; age NAN (or out of 0-120), sex or site NULL or ""
 * when unknown.  Strings are compared after dg_patient_normalize. */
typedef struct {
    double age;
    const char *sex;
    const char *site;
} dg_patient;

#define DG_META_MAX_KEYS 256 /* distinct field values a prior keeps */
#define DG_META_KEY_MAX 48   /* bytes of a key, with its terminator */
#define DG_META_MAX_WEIGHT 4.0

typedef struct dg_meta_prior {
    int K;          /* classes */
    int n_keys;
    char **keys;    /* "age:40-49", "sex:male", "site:back" */
    float *llr;     /* [n_keys, K]: log p(c | key) - log p(c) */
    float weight;   /* w; 0: off */
    float temperature; /* of the combined log-probabilities (Guo et al. 2017), fitted on
                          validation after w: the product of evidence assumed independent is
                          overconfident (1: none) */
} dg_meta_prior;

/* HAM10000's body sites (its localization column, without "unknown"), for
 * a front end's choice; NULL-terminated. */
extern const char *const dg_patient_sites[];

/* A sex or site value as the prior compares it: ASCII lower case, '_' as a
 * space, trimmed, spaces collapsed; "" when empty, "unknown", longer than
 * 32 bytes or holding anything but letters, digits, spaces and '-'. */
void dg_patient_normalize(const char *in, char *out, gsize out_size);

/* The keys of a patient's known fields (at most 3) into keys; returns how
 * many. */
int dg_patient_keys(const dg_patient *p, char keys[3][DG_META_KEY_MAX]);

/* Counts on n training images (labels y in 0..K-1); weight 0 (the caller
 * chooses it).  NULL when no image has a known field. */
dg_meta_prior *dg_meta_prior_fit(const dg_patient *p, const int *y, int n, int K);
void dg_meta_prior_free(dg_meta_prior *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(dg_meta_prior, dg_meta_prior_free)

/* w * sum of the log ratios of the patient's known fields into bias[K]
 * (overwritten); returns how many fields the prior knew (0: bias all 0). */
int dg_meta_prior_bias(const dg_meta_prior *m, const dg_patient *p, float *bias);
/* softmax((log probs + bias) / temperature) into probs[K] (one image);
 * unchanged when m is NULL, its weight is 0 or no field is known.  Returns
 * the fields used. */
int dg_meta_prior_apply(const dg_meta_prior *m, const dg_patient *p, float *probs);

/* The model file's form: {"weight": w, "temperature": t, "keys": [...],
 * "llr": [[K floats], ...]} ("temperature" optional, 0.05 to 20).
 * from_json refuses (NULL + error) anything else: a wrong count, a
 * non-finite or absurd number (|llr| > 50), a bad or repeated key, more
 * than DG_META_MAX_KEYS keys, a weight outside 0..DG_META_MAX_WEIGHT. */
char *dg_meta_prior_to_json(const dg_meta_prior *m);
dg_meta_prior *dg_meta_prior_from_json(const char *json, int K, GError **error);

G_END_DECLS
