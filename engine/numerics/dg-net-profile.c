/* dg-net-profile.c: per-node FLOP counts and timing (dg_net_profile). */
#include "dg-net-private.h"

#include <string.h>
#include <time.h>

double dg_net_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void dg_net_profile(dg_net *net, bool on)
{
    net->profile = on;
    net->t_step = 0.0;
    net->n_step = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        n->f_fwd = n->f_bwd_data = n->f_bwd_weight = 0.0;
        n->t_fwd = n->t_bwd_data = n->t_bwd_weight = 0.0;
        n->n_fwd = n->n_bwd = 0;
    }
}

double dg_net_flops_done(const dg_net *net)
{
    double f = 0.0;
    for (int i = 1; i < net->n_nodes; i++) {
        const node *n = &net->nodes[i];
        f += n->f_fwd + n->f_bwd_data + n->f_bwd_weight;
    }
    return f;
}

void dg_net_profile_totals(const dg_net *net, dg_net_prof_totals *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 1; i < net->n_nodes; i++) {
        const node *n = &net->nodes[i];
        double s = n->t_fwd + n->t_bwd_data + n->t_bwd_weight;
        if (dg_net_node_flops(net, i, 1) > 0.0) {
            t->conv_s += s;
            t->conv_flop += n->f_fwd + n->f_bwd_data + n->f_bwd_weight;
        } else {
            t->other_s += s;
        }
    }
    t->step_s = net->t_step;
}

/* "ms per step, GFLOP/s, fraction of sgemm" from totals of seconds and FLOPs */
static void rate(char *buf, size_t len, double s, double flop, double per, double sgemm)
{
    if (s <= 0.0 || flop <= 0.0) {
        snprintf(buf, len, "%8s %6s %5s", s > 0.0 ? "" : "-", "", "");
        return;
    }
    double gf = flop / s / 1e9;
    snprintf(buf, len, "%8.2f %6.1f %5.2f", s * per, gf, sgemm > 0.0 ? gf / sgemm : 0.0);
}

static void conv_row(FILE *out, const dg_net *net, int i, double sgemm, double per)
{
    const node *n = &net->nodes[i];
    const node *a = &net->nodes[n->in0];
    char shape[48], f[32], d[32], w[32];
    snprintf(shape, sizeof shape, "%dx%dx%d>%dx%dx%d", a->c, a->h, a->w, n->c, n->h, n->w);
    rate(f, sizeof f, n->t_fwd, n->f_fwd, per, sgemm);
    rate(d, sizeof d, n->t_bwd_data, n->f_bwd_data, per, sgemm);
    rate(w, sizeof w, n->t_bwd_weight, n->f_bwd_weight, per, sgemm);
    fprintf(out, "  %-3d %-6s %-22s %d/%d %s |%s |%s\n", i, dg_op_name(n->op), shape, n->k, n->s, f,
            d, w);
}

void dg_net_profile_print(const dg_net *net, FILE *out, const char *title, double sgemm_gflops,
                          int steps)
{
    const double per = 1e3 / (steps > 0 ? steps : 1); /* seconds in total -> ms per step */
    fprintf(out, "%s: ms per step (%d steps), GFLOP/s, fraction of sgemm (%.1f GFLOP/s)\n", title,
            steps, sgemm_gflops);
    fprintf(out, "  %-3s %-6s %-22s %-3s %8s %6s %5s |%8s %6s %5s |%8s %6s %5s\n", "id", "op",
            "in > out", "k/s", "forward", "GF/s", "frac", "bwd-data", "GF/s", "frac", "bwd-wgt",
            "GF/s", "frac");
    double op_f[32] = {0}, op_b[32] = {0};
    for (int i = 1; i < net->n_nodes; i++) {
        const node *n = &net->nodes[i];
        if (dg_net_node_flops(net, i, 1) > 0.0)
            conv_row(out, net, i, sgemm_gflops, per);
        else if ((unsigned)n->op < 32) {
            op_f[n->op] += n->t_fwd * per;
            op_b[n->op] += (n->t_bwd_data + n->t_bwd_weight) * per;
        }
    }
    fprintf(out, "  other layers (ms forward / backward):");
    for (int op = 0; op < 32; op++)
        if (op_f[op] + op_b[op] > 0.0)
            fprintf(out, " %s %.2f/%.2f", dg_op_name((dg_op)op), op_f[op], op_b[op]);
    dg_net_prof_totals t;
    dg_net_profile_totals(net, &t);
    double gf = t.conv_s > 0.0 ? t.conv_flop / t.conv_s / 1e9 : 0.0;
    fprintf(out, "\n  convolutions and dense %.1f ms at %.1f GFLOP/s (%.2f of sgemm); other layers "
            "%.1f ms; optimizer %.1f ms\n", t.conv_s * per, gf,
            sgemm_gflops > 0.0 ? gf / sgemm_gflops : 0.0, t.other_s * per, t.step_s * per);
}
