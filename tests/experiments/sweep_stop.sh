#!/usr/bin/env bash
# `lutra sweep run --executor local` stopped and run again (docs/sweeps.md):
# SIGTERM to the sweep once its point has a checkpoint passes SIGTERM to the
# worker, which stops at its next safe point: the sweep exits 75 and status
# shows the point stopped; running the sweep again resumes the point, and its
# run.h5 equals that of the point's config run straight through
# (analysis/examples/compare_runs.py; without h5py that comparison is
# skipped: exit 77 once everything else passed).
#
#   tests/experiments/sweep_stop.sh LUTRA PYTHON3 COMPARE_RUNS_PY
set -euo pipefail
lutra=$1
python=$2
compare=$3
work=$(mktemp -d /tmp/lutra-sweep-stop-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() {
  echo "FAIL: $*" >&2
  for f in sweep.log sweep/points/*/log; do [[ -f $f ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}

# Twenty epochs of some tens of milliseconds each.
cat >base.yaml <<'YAML'
name: base
seed: 6
threads: 1
data: {name: majority-15, train_samples: 6000, test_samples: 500, encoder: {kind: binarize}}
genome:
  inputs: {width: 15, height: 1, bits: 1}
  populations:
    - {name: hidden, size: 96, k: 4}
    - {name: out, size: 24, k: 4}
  projections:
    - {target: hidden, sources: [input], rule: random}
    - {target: out, sources: [hidden], rule: random}
  head: {population: out, classes: 2}
train: {epochs: 20, batch_size: 32, optimizer: {kind: adam, learning_rate: 0.05, schedule: cosine}}
YAML
cat >s.yaml <<'YAML'
name: stop
base: base.yaml
seeds: [3]
YAML

"$lutra" sweep run s.yaml --out sweep >sweep.log 2>&1 &
pid=$!
until compgen -G "sweep/points/0000-*/run/checkpoint" >/dev/null; do
  kill -0 $pid 2>/dev/null || fail "the sweep ended before the point's first checkpoint"
  sleep 0.01
done
kill -TERM $pid
status=0
wait $pid || status=$?
((status == 75)) || fail "SIGTERM to the sweep: exit $status, not 75"
grep -q "^stopped 0000-" sweep.log || fail "the sweep did not report the point stopped"
"$lutra" sweep status sweep | grep -q "1 points: 1 stopped" || fail "status: $("$lutra" sweep status sweep)"

"$lutra" sweep run sweep >again.log 2>&1 || fail "the second run failed: $(cat again.log)"
grep -q "^done   0000-" again.log || fail "the second run did not finish the point: $(cat again.log)"
point=$(ls -d sweep/points/0000-*)
grep -q "resuming .* after epoch" "$point/log" || fail "the point was not resumed from its checkpoint"

"$lutra" -q run "$point/config.yaml" --out whole >/dev/null 2>&1 || fail "the straight run failed"
if ! "$python" -c "import h5py" 2>/dev/null; then
  echo "sweep_stop.sh: stopped and resumed as promised; run.h5 not compared: $python has no h5py"
  exit 77
fi
"$python" "$compare" whole/run.h5 "$point/run/run.h5" >compare.log 2>&1 ||
  fail "the stopped and resumed point differs from a straight run: $(cat compare.log)"
echo "sweep_stop.sh: stopped by SIGTERM, resumed by the next run, equal to a straight run"
