#!/bin/sh
# mpi-scaling.sh BUILD: data-parallel training on this machine (issue 15).
#  1. bench-mpi under mpirun -np 2: our rank-ordered sum and MPI_Allreduce,
#     time and bus bandwidth by buffer size; a small sum's latency;
#  2. images/s of the tiny GAN and of a small classifier (width 8, 32x32) on
#     a generated image set: 1 rank x 1 thread, 1 rank x 2 threads, 2 ranks x
#     1 thread; for 2 ranks, the share of the run spent in sums.
# On a shared machine the numbers are noisy: each configuration runs REPS
# times (default 2), alternating, and all runs are printed.
set -eu
B=${1:-build}
CLI=$B/app/dermagan-cli
BENCH=$B/tests/bench/bench-mpi
REPS=${REPS:-2}
GAN_STEPS=${GAN_STEPS:-300}
CNN_STEPS=${CNN_STEPS:-120}
MPIRUN="mpirun --allow-run-as-root --oversubscribe"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "# the sums: 2 ranks"
$MPIRUN -np 2 "$BENCH"
DATA=$($BENCH --make-data "$TMP")

# images/s over the steady part of a run (from step 10 on), and the MPI report
rate() {
    python3 - "$1" "$2" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
pr = [e for e in ev if e.get('event') == 'progress']
res = [e for e in ev if e.get('event') == 'result']
a, b = pr[9], pr[-1]
ips = (b['step'] - a['step']) * int(sys.argv[2]) / (b['elapsed'] - a['elapsed'])
mpi = res[0]['result'].get('mpi') if res else None
out = {'images_per_s': round(ips, 1), 'ms_per_step': round(1e3 * int(sys.argv[2]) / ips, 2)}
if mpi:
    out.update({k: mpi[k] for k in ('sum_share', 'gradient_sums', 'small_sums', 'gradient_sum_seconds', 'small_sum_seconds')})
print(json.dumps(out))
PY
}

train() { # name batch ranks threads args...
    name=$1 batch=$2 ranks=$3 threads=$4
    shift 4
    out="$TMP/run-$name-$ranks-$threads"
    rm -rf "$out"
    if [ "$ranks" = 1 ]; then
        "$CLI" "$@" --out "$out" --threads "$threads" --json --cache-dir "" > "$out.json" 2> "$out.err"
    else
        $MPIRUN -np "$ranks" "$CLI" "$@" --out "$out" --threads "$threads" --json --cache-dir "" \
            > "$out.json" 2> "$out.err"
    fi
    printf '{"bench": "mpi-train", "model": "%s", "ranks": %s, "threads": %s, "result": %s}\n' \
        "$name" "$ranks" "$threads" "$(rate "$out.json" "$batch")"
}

echo "# trainings: 1 rank x 1 thread, 1 rank x 2 threads, 2 ranks x 1 thread"
i=0
while [ $i -lt "$REPS" ]; do
    for cfg in "1 1" "1 2" "2 1"; do
        set -- $cfg
        train gan-tiny-b32 32 "$1" "$2" gan train --data "$DATA" --preset tiny --batch 32 \
            --steps "$GAN_STEPS" --sample-every 100000 --checkpoint-every 100000
    done
    for cfg in "1 1" "1 2" "2 1"; do
        set -- $cfg
        train cnn-w8-s32-b64 64 "$1" "$2" cnn train --data "$DATA" --width 8 --size 32 \
            --batch 64 --steps "$CNN_STEPS"
    done
    i=$((i + 1))
done
