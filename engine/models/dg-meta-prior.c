/* dg-meta-prior.c: patient metadata as naive-Bayes evidence (dg-meta-prior.h). */
#include "dg-meta-prior.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "data/dg-json.h"
#include "models/dg-model-file.h"

#define MAX_VALUE 32   /* bytes of a normalized sex or site */
#define MAX_LLR 50.0
#define SMOOTH 2.0     /* pseudo-images that pull p(c | key) towards p(c) */

const char *const dg_patient_sites[] = {"abdomen", "acral", "back", "chest", "ear", "face", "foot", "genital",
                                        "hand", "lower extremity", "neck", "scalp", "trunk",
                                        "upper extremity", NULL};

void dg_patient_normalize(const char *in, char *out, gsize out_size)
{
    char buf[MAX_VALUE + 1];
    gsize n = 0;
    gboolean space = FALSE, bad = FALSE;
    g_return_if_fail(out_size > 0);
    out[0] = '\0';
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p && !bad; p++) {
        unsigned char c = *p;
        if (c == ' ' || c == '_' || c == '\t') {
            space = n > 0;
            continue;
        }
        if (!g_ascii_isalnum(c) && c != '-') {
            bad = TRUE;
            break;
        }
        if (n + (space ? 2 : 1) > MAX_VALUE) {
            bad = TRUE;
            break;
        }
        if (space)
            buf[n++] = ' ';
        space = FALSE;
        buf[n++] = (char)g_ascii_tolower(c);
    }
    buf[n] = '\0';
    if (bad || n == 0 || strcmp(buf, "unknown") == 0)
        return;
    g_strlcpy(out, buf, out_size);
}

int dg_patient_keys(const dg_patient *p, char keys[3][DG_META_KEY_MAX])
{
    int n = 0;
    char v[MAX_VALUE + 1];
    if (!p)
        return 0;
    if (isfinite(p->age) && p->age >= 0 && p->age <= 120) {
        int d = (int)(p->age / 10.0);
        if (d >= 8)
            g_strlcpy(keys[n++], "age:80+", DG_META_KEY_MAX);
        else
            g_snprintf(keys[n++], DG_META_KEY_MAX, "age:%d-%d", d * 10, d * 10 + 9);
    }
    dg_patient_normalize(p->sex, v, sizeof v);
    if (v[0])
        g_snprintf(keys[n++], DG_META_KEY_MAX, "sex:%s", v);
    dg_patient_normalize(p->site, v, sizeof v);
    if (v[0])
        g_snprintf(keys[n++], DG_META_KEY_MAX, "site:%s", v);
    return n;
}

void dg_meta_prior_free(dg_meta_prior *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_keys; i++)
        g_free(m->keys[i]);
    g_free(m->keys);
    g_free(m->llr);
    g_free(m);
}

typedef struct {
    char *key;
    double count[64];
    double total;
} key_counts;

static gint by_total(gconstpointer a, gconstpointer b)
{
    const key_counts *x = *(key_counts *const *)a, *y = *(key_counts *const *)b;
    if (x->total != y->total)
        return x->total < y->total ? 1 : -1;
    return strcmp(x->key, y->key);
}

static gint by_key(gconstpointer a, gconstpointer b)
{
    return strcmp((*(key_counts *const *)a)->key, (*(key_counts *const *)b)->key);
}

dg_meta_prior *dg_meta_prior_fit(const dg_patient *p, const int *y, int n, int K)
{
    if (!p || !y || n < 1 || K < 2 || K > 64)
        return NULL;
    g_autoptr(GHashTable) table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    double prior[64] = {0};
    int used = 0;
    for (int i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= K)
            continue;
        prior[y[i]]++;
        used++;
        char keys[3][DG_META_KEY_MAX];
        int nk = dg_patient_keys(&p[i], keys);
        for (int j = 0; j < nk; j++) {
            key_counts *c = g_hash_table_lookup(table, keys[j]);
            if (!c) {
                c = g_malloc0(sizeof *c + DG_META_KEY_MAX);
                c->key = (char *)(c + 1);
                g_strlcpy(c->key, keys[j], DG_META_KEY_MAX);
                g_hash_table_insert(table, c->key, c);
            }
            c->count[y[i]]++;
            c->total++;
        }
    }
    if (g_hash_table_size(table) == 0 || used == 0)
        return NULL;
    g_autoptr(GPtrArray) all = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, NULL, &value))
        g_ptr_array_add(all, value);
    g_ptr_array_sort(all, by_total); /* the most frequent keys, if there are too many */
    if (all->len > DG_META_MAX_KEYS)
        g_ptr_array_set_size(all, DG_META_MAX_KEYS);
    g_ptr_array_sort(all, by_key);
    dg_meta_prior *m = g_new0(dg_meta_prior, 1);
    m->K = K;
    m->temperature = 1.0f;
    m->n_keys = (int)all->len;
    m->keys = g_new0(char *, m->n_keys);
    m->llr = g_new(float, (gsize)m->n_keys * K);
    for (int i = 0; i < m->n_keys; i++) {
        const key_counts *c = all->pdata[i];
        m->keys[i] = g_strdup(c->key);
        for (int k = 0; k < K; k++) {
            double pk = (prior[k] + 1.0) / (used + K);
            double pck = (c->count[k] + SMOOTH * pk) / (c->total + SMOOTH);
            m->llr[(gsize)i * K + k] = (float)(log(pck) - log(pk));
        }
    }
    return m;
}

static int find_key(const dg_meta_prior *m, const char *key)
{
    int lo = 0, hi = m->n_keys - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(m->keys[mid], key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

int dg_meta_prior_bias(const dg_meta_prior *m, const dg_patient *p, float *bias)
{
    if (!m)
        return 0;
    memset(bias, 0, sizeof(float) * m->K);
    char keys[3][DG_META_KEY_MAX];
    int nk = dg_patient_keys(p, keys), used = 0;
    for (int j = 0; j < nk; j++) {
        int i = find_key(m, keys[j]);
        if (i < 0)
            continue;
        used++;
        for (int k = 0; k < m->K; k++)
            bias[k] += m->weight * m->llr[(gsize)i * m->K + k];
    }
    return used;
}

int dg_meta_prior_apply(const dg_meta_prior *m, const dg_patient *p, float *probs)
{
    if (!m || !(m->weight > 0) || !p)
        return 0;
    float bias[64];
    int used = dg_meta_prior_bias(m, p, bias);
    if (!used)
        return 0;
    double z[64], mx = -INFINITY, sum = 0.0;
    const double T = m->temperature > 0 ? m->temperature : 1.0;
    for (int k = 0; k < m->K; k++) {
        z[k] = (log(fmax(probs[k], 1e-30)) + bias[k]) / T;
        mx = fmax(mx, z[k]);
    }
    for (int k = 0; k < m->K; k++)
        sum += (z[k] = exp(z[k] - mx));
    for (int k = 0; k < m->K; k++)
        probs[k] = (float)(z[k] / sum);
    return used;
}

/* ---- the model file's form ------------------------------------------------------------ */

char *dg_meta_prior_to_json(const dg_meta_prior *m)
{
    GString *s = g_string_new(NULL);
    char num[G_ASCII_DTOSTR_BUF_SIZE];
    char tnum[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(s, "{\"weight\": %s, \"temperature\": %s, \"keys\": [",
                           g_ascii_formatd(num, sizeof num, "%.4g", m->weight),
                           g_ascii_formatd(tnum, sizeof tnum, "%.6g", m->temperature));
    for (int i = 0; i < m->n_keys; i++)
        g_string_append_printf(s, "%s\"%s\"", i ? ", " : "", m->keys[i]); /* keys are plain ASCII */
    g_string_append(s, "], \"llr\": [");
    for (int i = 0; i < m->n_keys; i++) {
        g_string_append(s, i ? ", [" : "[");
        for (int k = 0; k < m->K; k++)
            g_string_append_printf(s, "%s%s", k ? ", " : "",
                                   g_ascii_formatd(num, sizeof num, "%.6g", m->llr[(gsize)i * m->K + k]));
        g_string_append(s, "]");
    }
    g_string_append(s, "]}");
    return g_string_free(s, FALSE);
}

/* A key as dg_patient_keys makes them. */
static gboolean valid_key(const char *k)
{
    if (!k || strlen(k) >= DG_META_KEY_MAX)
        return FALSE;
    if (g_str_has_prefix(k, "age:")) {
        if (strcmp(k, "age:80+") == 0)
            return TRUE;
        for (int d = 0; d < 8; d++) {
            char want[16];
            g_snprintf(want, sizeof want, "age:%d-%d", d * 10, d * 10 + 9);
            if (strcmp(k, want) == 0)
                return TRUE;
        }
        return FALSE;
    }
    const char *v = g_str_has_prefix(k, "sex:") ? k + 4 : g_str_has_prefix(k, "site:") ? k + 5 : NULL;
    if (!v)
        return FALSE;
    char norm[MAX_VALUE + 1];
    dg_patient_normalize(v, norm, sizeof norm);
    return norm[0] && strcmp(norm, v) == 0;
}

static gboolean fail(GError **error, const char *what)
{
    g_set_error(error, DG_MODEL_ERROR, DG_MODEL_ERROR_INVALID, "'patient_prior': %s", what);
    return FALSE;
}

dg_meta_prior *dg_meta_prior_from_json(const char *json, int K, GError **error)
{
    if (K < 2 || K > 64) {
        fail(error, "the model's class count is out of range");
        return NULL;
    }
    g_autoptr(GError) jerr = NULL;
    g_autoptr(JsonNode) root = json ? dg_json_parse_bounded(json, -1, DG_JSON_MAX_DEPTH, &jerr) : NULL;
    if (jerr) {
        fail(error, jerr->message);
        return NULL;
    }
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        fail(error, "not a JSON object");
        return NULL;
    }
    JsonObject *o = json_node_get_object(root);
    JsonNode *wn = json_object_get_member(o, "weight");
    JsonNode *kn = json_object_get_member(o, "keys");
    JsonNode *ln = json_object_get_member(o, "llr");
    if (!wn || !JSON_NODE_HOLDS_VALUE(wn) ||
        (json_node_get_value_type(wn) != G_TYPE_DOUBLE && json_node_get_value_type(wn) != G_TYPE_INT64) ||
        !kn || !JSON_NODE_HOLDS_ARRAY(kn) || !ln || !JSON_NODE_HOLDS_ARRAY(ln)) {
        fail(error, "needs a number 'weight' and arrays 'keys' and 'llr'");
        return NULL;
    }
    const double w = json_node_get_double(wn);
    JsonNode *tn = json_object_get_member(o, "temperature");
    double T = 1.0;
    if (tn) {
        GType t = JSON_NODE_HOLDS_VALUE(tn) ? json_node_get_value_type(tn) : G_TYPE_INVALID;
        T = t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double(tn) : NAN;
        if (!(T >= 0.05 && T <= 20)) {
            fail(error, "the temperature is not a number from 0.05 to 20");
            return NULL;
        }
    }
    JsonArray *ka = json_node_get_array(kn), *la = json_node_get_array(ln);
    const guint n = json_array_get_length(ka);
    if (!(w >= 0 && w <= DG_META_MAX_WEIGHT)) {
        fail(error, "the weight is out of range");
        return NULL;
    }
    if (n < 1 || n > DG_META_MAX_KEYS || json_array_get_length(la) != n) {
        fail(error, "wrong number of keys or rows");
        return NULL;
    }
    dg_meta_prior *m = g_new0(dg_meta_prior, 1);
    m->K = K;
    m->weight = (float)w;
    m->temperature = (float)T;
    m->keys = g_new0(char *, n);
    m->llr = g_new(float, (gsize)n * K);
    for (guint i = 0; i < n; i++, m->n_keys++) {
        JsonNode *e = json_array_get_element(ka, i), *r = json_array_get_element(la, i);
        const char *key = e && JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING
                              ? json_node_get_string(e)
                              : NULL;
        if (!valid_key(key) || (i > 0 && strcmp(m->keys[i - 1], key) >= 0)) {
            fail(error, "a key is malformed, repeated or out of order");
            goto bad;
        }
        if (!r || !JSON_NODE_HOLDS_ARRAY(r) || json_array_get_length(json_node_get_array(r)) != (guint)K) {
            fail(error, "a row does not have one number per class");
            goto bad;
        }
        JsonArray *row = json_node_get_array(r);
        for (int k = 0; k < K; k++) {
            JsonNode *x = json_array_get_element(row, k);
            GType t = x && JSON_NODE_HOLDS_VALUE(x) ? json_node_get_value_type(x) : G_TYPE_INVALID;
            double v = t == G_TYPE_DOUBLE || t == G_TYPE_INT64 ? json_node_get_double(x) : NAN;
            if (!(fabs(v) <= MAX_LLR)) {
                fail(error, "a log ratio is not a number from -50 to 50");
                goto bad;
            }
            m->llr[(gsize)i * K + k] = (float)v;
        }
        m->keys[i] = g_strdup(key);
    }
    return m;
bad:
    dg_meta_prior_free(m);
    return NULL;
}
