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
here=$(realpath "$(dirname "$0")")
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

# The base: twenty epochs of some tens of milliseconds each.
cat >s.yaml <<YAML
name: stop
base: $here/stop.yaml
set: {threads: 1}
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
