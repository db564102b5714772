/* dg-checkpoint.h: nets and training state in safetensors files.
 *
 * A net's tensors are written under a prefix ("g.", "d.", ...) with their own
 * names ("g.04.convt.weight"); with moments, the optimizer moments go in as
 * "<prefix>adam_m.<name>" and "<prefix>adam_v.<name>".  Reading checks that
 * every tensor is there with the exact shape and dtype the net expects. */
#pragma once
#include <glib.h>

#include "models/dg-safetensors.h"
#include "numerics/dg-net.h"
#include "numerics/dg-rng.h"

G_BEGIN_DECLS

/* The net's memory is referenced by the writer: keep the net alive until the
 * writer is saved. */
void dg_net_write(dg_st_writer *w, dg_net *net, const char *prefix, gboolean moments);
gboolean dg_net_read(const dg_st *st, dg_net *net, const char *prefix, gboolean moments,
                     GError **error);
/* Only the weights of the net's first n tensors (n < 0: all; no moments),
 * for a net that adds layers at its end to one saved before: the others
 * keep their values. */
gboolean dg_net_read_first(const dg_st *st, dg_net *net, const char *prefix, int n,
                           GError **error);

/* Which row of a file's class tables each of the net's classes takes: rows[k]
 * for the net's class k, -1 for a class the file does not have (it starts
 * from the mean of the file's rows). */
typedef struct {
    const int *rows;  /* one per class of the net */
    int file_classes; /* rows of the file's class tables */
} dg_class_map;

/* Every weight as dg_net_read (no moments), but the class tables (class-
 * conditional batch norm, embeddings, projections) by map: for a net that
 * has other classes than the one saved. */
gboolean dg_net_read_classes(const dg_st *st, dg_net *net, const char *prefix,
                             const dg_class_map *map, GError **error);

/* An RNG's state as a U64[4] tensor (referenced: keep rng alive until saved). */
void dg_rng_write(dg_st_writer *w, const char *name, const dg_rng *rng);
gboolean dg_rng_read(const dg_st *st, const char *name, dg_rng *rng, GError **error);

G_END_DECLS
