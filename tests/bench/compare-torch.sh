#!/bin/sh
# Runs the PyTorch reference (Debian's python3-torch, 2 threads, oneDNN) and
# our benchmarks one after the other in the same run, and prints the ratios.
#   tests/bench/compare-torch.sh [BUILD_DIR]
# Needs: /usr/bin/python3 with torch (apt-get install python3-torch) and the
# reference scripts in ../shared/bench (or DG_TORCH_BENCH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
refs=${DG_TORCH_BENCH:-$root/../shared/bench}
threads=${DG_THREADS:-2}
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
    echo "compare-torch: python3-torch is not installed (apt-get install python3-torch)" >&2
    exit 77
fi
[ -f "$refs/torch_dcgan.py" ] || { echo "compare-torch: no reference scripts in $refs" >&2; exit 77; }
ninja -C "$build" tests/bench/bench-sgemm tests/bench/bench-dcgan tests/bench/bench-classifier >/dev/null

# peak RSS of a child in MiB, via GNU time when present
rss() { /usr/bin/time -f '%M' "$@" 2>"$tmp/rss" >"$tmp/out"; tail -n1 "$tmp/rss"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

export OMP_WAIT_POLICY=PASSIVE
t_dcgan_rss=$( { /usr/bin/time -f 'RSS %M' $py "$refs/torch_dcgan.py" --threads "$threads" --iters 8 >"$tmp/t_dcgan"; } 2>&1 | sed -n 's/^RSS //p')
t_cls_rss=$( { /usr/bin/time -f 'RSS %M' $py "$refs/torch_classifier.py" --threads "$threads" >"$tmp/t_cls"; } 2>&1 | sed -n 's/^RSS //p')
DG_THREADS=$threads "$build/tests/bench/bench-sgemm" 2>/dev/null | tail -n1 >"$tmp/o_sgemm"
DG_THREADS=$threads "$build/tests/bench/bench-dcgan" | tail -n1 >"$tmp/o_dcgan"
DG_THREADS=$threads "$build/tests/bench/bench-classifier" | tail -n1 >"$tmp/o_cls"

$py - "$tmp" "$t_dcgan_rss" "$t_cls_rss" <<'PY'
import json, sys, os
d = sys.argv[1]
def last(name):
    with open(os.path.join(d, name)) as f:
        return json.loads([l for l in f if l.startswith('{')][-1])
td, tc = last('t_dcgan'), last('t_cls')
os_, od, oc = last('o_sgemm'), last('o_dcgan'), last('o_cls')
t_rss = int(sys.argv[2]) / 1024.0
res = {
    'sgemm_gflops': os_['sgemm_gflops'],
    'dcgan_img_per_s': {'ours': od['img_per_s'], 'torch': td['img_per_s_med'],
                        'ratio': od['img_per_s'] / td['img_per_s_med']},
    'dcgan_peak_fraction': od['gflops'] / os_['sgemm_gflops'],
    'dcgan_max_rss_mib': {'ours': od['max_rss_mib'], 'torch': round(t_rss, 1),
                          'ratio': od['max_rss_mib'] / t_rss},
    'classifier_train_img_per_s': {'ours': oc['train_img_per_s'], 'torch': tc['train_img_per_s_med'],
                                   'ratio': oc['train_img_per_s'] / tc['train_img_per_s_med']},
    'classifier_infer_img_per_s': {'ours': oc['infer_img_per_s'], 'torch': tc['infer_img_per_s_med'],
                                   'ratio': oc['infer_img_per_s'] / tc['infer_img_per_s_med']},
    'predict_one_ms': {'ours': oc['predict_one_ms'], 'torch': tc['lat_b1_ms_med']},
}
print(json.dumps(res, indent=1))
PY
