#!/bin/sh
# Runs every PyTorch twin (Debian's python3-torch, oneDNN, at its best:
# OMP_WAIT_POLICY=PASSIVE, 2 threads) and our benchmark of the same work,
# back to back in one run, and prints the ratios, the same-run sgemm GFLOP/s,
# peak RSS of both sides and our thread scaling (2 threads over 1).
#   tests/bench/compare-torch.sh [BUILD_DIR]
# DG_THREADS (2) sets the threads of both sides; DG_COMPARE picks a subset of
# the benches (space-separated names from the list below, default all);
# DG_COMPARE_JSON=FILE also writes the summary there.
# Both sides use the same OpenBLAS kernels: where OpenBLAS does not know the
# CPU and falls back to its generic ones, our engine picks better ones
# itself (dg-gemm.c), and PyTorch (which calls OpenBLAS for its GEMMs and
# transposed convolutions) is given the same through OPENBLAS_CORETYPE;
# DG_TORCH_CORETYPE=own leaves PyTorch with OpenBLAS's own choice.
# Needs /usr/bin/python3 with torch (apt-get install python3-torch), GNU time,
# our twins in tests/bench and the classic DCGAN's in ../shared/bench (or
# DG_TORCH_BENCH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
refs=${DG_TORCH_BENCH:-$root/../shared/bench}
threads=${DG_THREADS:-2}
all="gan-default gan-current gan-dcgan gan-large gan-seed cnn-dermanet cnn-mobile cnn-seed dcgan-classic"
benches=${DG_COMPARE:-$all}
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
    echo "compare-torch: python3-torch is not installed (apt-get install python3-torch)" >&2
    exit 77
fi
[ -x /usr/bin/time ] || { echo "compare-torch: needs GNU time (/usr/bin/time)" >&2; exit 77; }
ninja -C "$build" tests/bench/bench-sgemm tests/bench/bench-gan tests/bench/bench-cnn \
    tests/bench/bench-dcgan >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_WAIT_POLICY=PASSIVE

# run NAME COMMAND...: the command's stdout in $tmp/NAME, its peak RSS (KiB) in $tmp/NAME.rss
run() {
    name=$1
    shift
    echo "compare-torch: $name" >&2
    /usr/bin/time -f '%M' -o "$tmp/$name.rss" "$@" >"$tmp/$name" 2>"$tmp/$name.err" ||
        { cat "$tmp/$name.err" >&2; exit 1; }
}
b=$build/tests/bench
run sgemm env DG_THREADS="$threads" "$b/bench-sgemm"
core=$($py -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["blas_core"])' "$tmp/sgemm")
if [ "${DG_TORCH_CORETYPE:-same}" = own ]; then
    tpy=$py
else
    tpy="env OPENBLAS_CORETYPE=$core $py"
fi
for x in $benches; do
    case $x in
    gan-*)
        p=${x#gan-}
        # the twin's "default" is the 2026-12-05 default recipe, today x-resnet-ap-24-32;
        # our default preset since 2026-12-07 (x-resnetrcy-ap-24-32-0.3-1-2dc: reflection
        # padding, centre channel, noise, per-class spectral loss) is the twin's "current"
        q=$p
        [ "$p" = default ] && q=x-resnet-ap-24-32
        [ "$p" = current ] && q=default
        run "torch-$x" $tpy "$here/torch_gan.py" --preset "$p" --threads "$threads" --iters 8
        run "ours-$x" "$b/bench-gan" --preset "$q" --threads "$threads" --iters 8
        run "ours1-$x" "$b/bench-gan" --preset "$q" --threads 1 --iters 4 ;;
    cnn-*)
        a=${x#cnn-}
        run "torch-$x" $tpy "$here/torch_cnn.py" --arch "$a" --threads "$threads"
        run "ours-$x" "$b/bench-cnn" --arch "$a" --threads "$threads" --iters 10
        run "ours1-$x" "$b/bench-cnn" --arch "$a" --threads 1 --iters 5 ;;
    dcgan-classic)
        run "torch-$x" $tpy "$refs/torch_dcgan.py" --threads "$threads" --iters 8
        run "ours-$x" env DG_THREADS="$threads" DG_ITERS=8 "$b/bench-dcgan"
        run "ours1-$x" env DG_THREADS=1 DG_ITERS=4 "$b/bench-dcgan" ;;
    *)
        echo "compare-torch: unknown bench $x ($all)" >&2
        exit 2 ;;
    esac
done

$py - "$tmp" "$benches" "${DG_COMPARE_JSON:-}" <<'PY'
import json, os, sys
d, names, out = sys.argv[1], sys.argv[2].split(), sys.argv[3]
def last(name):
    with open(os.path.join(d, name)) as f:
        return json.loads([l for l in f if l.startswith('{')][-1])
def rss(name):
    with open(os.path.join(d, name + '.rss')) as f:
        return int(f.read().split()[-1]) / 1024.0
sg = last('sgemm')
res = {'sgemm_gflops': sg['sgemm_gflops'], 'sgemm_1t_gflops': sg['square1024_1t'],
       'blas_core': sg.get('blas_core'), 'benches': {}}
rows = []
for x in names:
    t, o, o1 = last('torch-' + x), last('ours-' + x), last('ours1-' + x)
    if x.startswith('cnn-'):
        tk, ok = 'train_img_per_s_med', 'train_img_per_s'
    else:
        tk, ok = 'img_per_s_med', 'img_per_s'
    r = {'ours_img_per_s': o[ok], 'torch_img_per_s': t[tk], 'ratio': o[ok] / t[tk],
         'ours_1t_img_per_s': o1[ok], 'threads_scaling': o[ok] / o1[ok],
         'gflops': o['gflops'], 'peak_fraction': o['gflops'] / sg['sgemm_gflops'],
         'ours_rss_mib': round(rss('ours-' + x), 1), 'torch_rss_mib': round(rss('torch-' + x), 1)}
    r['rss_ratio'] = r['ours_rss_mib'] / r['torch_rss_mib']
    if x.startswith('cnn-'):
        r['infer_ratio'] = o['infer_img_per_s'] / t['infer_img_per_s_med']
        r['predict_one_ms'] = {'ours': o['predict_one_ms'], 'torch': t['lat_b1_ms_med']}
    res['benches'][x] = r
    rows.append((x, r))
print(f"same-run sgemm ({sg.get('blas_core')}): {sg['sgemm_gflops']:.1f} GFLOP/s at the bench "
      f"threads, {sg['square1024_1t']:.1f} on one thread")
print(f"{'bench':15} {'ours img/s':>10} {'torch':>8} {'ratio':>6} {'GF/s':>6} {'of sgemm':>8} "
      f"{'RSS ours':>9} {'torch':>7} {'2t/1t':>6}")
for x, r in rows:
    print(f"{x:15} {r['ours_img_per_s']:10.1f} {r['torch_img_per_s']:8.1f} {r['ratio']:6.2f} "
          f"{r['gflops']:6.1f} {r['peak_fraction']:8.2f} {r['ours_rss_mib']:9.0f} "
          f"{r['torch_rss_mib']:7.0f} {r['threads_scaling']:6.2f}")
    if 'infer_ratio' in r:
        p = r['predict_one_ms']
        print(f"{'':15} inference ratio {r['infer_ratio']:.2f}; one image {p['ours']:.2f} ms "
              f"(torch {p['torch']:.2f} ms)")
if out:
    with open(out, 'w') as f:
        json.dump(res, f, indent=1)
PY
