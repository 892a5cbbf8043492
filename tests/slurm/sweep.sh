#!/usr/bin/env bash
# `lutra sweep --executor slurm` against the real one-node Slurm of the
# fixture slurm_cluster (SLURM_CONF comes from ctest; docs/sweeps.md).
#
#   sweep.sh LUTRA PYTHON3 COMPARE_RUNS WORK_DIR CASE
#
#   complete    a sweep of 6 points completes as one job array; a point's
#               tables equal those of the same config run locally with 2
#               threads; collect lists all 6
#   fail-rerun  a point whose data is missing on the node is reported failed
#               with the run's reason and Slurm's state; once the data is
#               there, `--only failed` resubmits that point alone
#   time-limit  a point whose run is longer than its time limit gets Slurm's
#               warning, stops with its checkpoint, requeues itself and
#               resumes until done: its tables and metrics equal those of an
#               unlimited run
set -euo pipefail
(($# == 5)) || { echo "usage: sweep.sh LUTRA PYTHON3 COMPARE_RUNS WORK_DIR CASE" >&2; exit 2; }
lutra=$(realpath "$1")
python=$2
compare_runs=$(realpath "$3")
work=$4
case_name=$5
[[ -n ${SLURM_CONF:-} ]] || { echo "sweep.sh: SLURM_CONF is not set (the fixture slurm_cluster sets it)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
work=$(realpath "$work")
cd "$work"

fail() {
  echo "sweep.sh $case_name: $*" >&2
  echo "--- squeue" >&2; squeue -r >&2 || true
  [[ -d sweep ]] && { echo "--- status" >&2; "$lutra" sweep status sweep >&2 || true; }
  for f in sweep/slurm/*.out sweep/points/*/log; do
    [[ -f $f ]] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
  done
  scancel --name "lutra-$case_name" 2>/dev/null || true
  exit 1
}

# Waits (at most $2 seconds) until `lutra sweep status` says $1, e.g. "6 done".
wait_for() {
  local want=$1 limit=$2 status
  for ((i = 0; i < limit; i++)); do
    status=$("$lutra" sweep status sweep 2>&1 | head -n 1)
    [[ $status == *": $want"* ]] && return 0
    sleep 1
  done
  fail "after $limit s the sweep is not '$want': $status"
}

# A tiny experiment on the majority of 15 bits.
write_base() {
  cat >base.yaml <<EOF
name: base
seed: 1
data: {name: majority-15, train_samples: ${1:-2000}, test_samples: 500, encoder: {kind: binarize}}
genome:
  inputs: {width: 15, height: 1, bits: 1}
  populations:
    - {name: hidden, size: ${2:-64}, k: 4}
    - {name: out, size: 20, k: 4}
  projections:
    - {target: hidden, sources: [input], rule: random}
    - {target: out, sources: [hidden], rule: random}
  head: {population: out, classes: 2}
train: {epochs: ${3:-2}, batch_size: 64, optimizer: {kind: adam, learning_rate: 0.05}}
stats: {samples: 200}
EOF
}

same_run() {  # same_run A/run.h5 B/run.h5
  "$python" "$compare_runs" "$1" "$2" >compare.txt 2>&1 || { cat compare.txt >&2; fail "$1 and $2 differ"; }
}

case $case_name in
complete)
  write_base
  cat >s.yaml <<EOF
name: complete
base: base.yaml
grid: {train.tau: [2.0, 3.0]}
seeds: 3
slurm: {time: "00:05:00", cpus_per_task: 1}
EOF
  dry=$("$lutra" sweep run s.yaml --executor slurm --out sweep --dry-run)
  [[ $dry == *"#SBATCH --array=0-5"* && $dry == *"#SBATCH --signal=B:USR1@120"* ]] || fail "dry run: $dry"
  [[ ! -e sweep ]] || fail "--dry-run wrote the sweep directory"
  # sbatch refusing the job: its own message is shown.
  refused=$("$lutra" sweep run s.yaml --executor slurm --out refused --partition no-such-partition 2>&1) &&
    fail "a job for a partition that does not exist was accepted: $refused"
  [[ $refused == *"sbatch"*"failed"*"nvalid partition"* ]] || fail "sbatch's refusal was not shown: $refused"
  out=$("$lutra" sweep run s.yaml --executor slurm --out sweep --parallel 2) || fail "submission: $out"
  [[ $out == *"submitted 6 points"* ]] || fail "submission said: $out"
  grep -q '^#SBATCH --array=0-5%2$' sweep/slurm/array-0.sh || fail "the script lacks --array=0-5%2"
  wait_for "6 done" 180
  # The same point run here, with 2 threads: the same tables.
  point=$(ls -d sweep/points/0003-*)
  "$lutra" -q run "$point/config.yaml" --set threads=2 --out local >/dev/null || fail "the local run failed"
  same_run "$point/run/run.h5" local/run.h5
  # Nothing left to run; submitting again submits nothing.
  again=$("$lutra" sweep run sweep --executor slurm)
  [[ $again == *"nothing to run"* ]] || fail "a finished sweep was submitted again: $again"
  "$lutra" sweep collect sweep >collect.txt || fail "collect: $(cat collect.txt)"
  rows=$(($(wc -l <sweep/results/points.csv) - 1))
  ((rows == 6)) || fail "points.csv has $rows rows, not 6"
  echo "slurm sweep: 6 points done in one job array, point 3 equal to a local 2-thread run; collected"
  ;;

fail-rerun)
  # Point 1 trains on MNIST, which is not where the node looks for it.
  mkdir -p data
  export LUTRA_DATA_DIR=$work/data
  write_base
  cat >s.yaml <<EOF
name: fail-rerun
base: base.yaml
zip:
  data.name: [majority-15, mnist]
  genome.inputs.width: [15, 28]
  genome.inputs.height: [1, 28]
  genome.head.classes: [2, 10]
  data.train_samples: [2000, 300]
slurm: {time: "00:05:00", cpus_per_task: 1}
EOF
  "$lutra" sweep run s.yaml --executor slurm --out sweep >submit.txt || fail "submission: $(cat submit.txt)"
  wait_for "2 points: 1 done, 1 failed" 120
  status=$("$lutra" sweep status sweep)
  [[ $status == *"dataset 'mnist' is not installed"* ]] || fail "the reason is not the run's: $status"
  [[ $status == *"FAILED"* ]] || fail "Slurm's state is missing: $status"
  # The fix: the data appears where the node looks.
  mnist=${XDG_DATA_HOME:-$HOME/.local/share}/lutra/mnist
  [[ -f $mnist/train-images-idx3-ubyte ]] || fail "MNIST is not installed at $mnist (bash .ci/setup installs it)"
  ln -s "$mnist" data/mnist
  dry=$("$lutra" sweep run sweep --executor slurm --only failed --dry-run)
  [[ $dry == *"#SBATCH --array=1"$'\n'* ]] || fail "--only failed would submit: $dry"
  "$lutra" sweep run sweep --executor slurm --only failed >resubmit.txt || fail "resubmission: $(cat resubmit.txt)"
  [[ $(cat resubmit.txt) == *"submitted 1 points"* ]] || fail "resubmission said: $(cat resubmit.txt)"
  wait_for "2 points: 2 done" 120
  grep -q '^attempt: 1$' sweep/points/0000-*/attempt.yaml || fail "point 0 ran again"
  grep -q '^attempt: 2$' sweep/points/0001-*/attempt.yaml || fail "point 1 did not run a second time"
  echo "slurm sweep: a failed point reported with its reason and Slurm's state, rerun alone after the fix"
  ;;

time-limit)
  # One point of about 75 s of training (20 epochs of ~3.7 s, one thread)
  # under a limit of 1 minute: Slurm's warning comes 40 s (up to 70 s) before
  # the limit, the run finishes its epoch, stops, requeues and resumes.
  write_base 60000 16000 20
  cat >s.yaml <<EOF
name: time-limit
base: base.yaml
grid: {seed: [5]}
slurm: {time: "1", cpus_per_task: 1, signal_seconds: 40}
EOF
  "$lutra" sweep run s.yaml --executor slurm --out sweep >submit.txt || fail "submission: $(cat submit.txt)"
  # The same point without a limit, beside it (the node has a second CPU).
  point=$(ls -d sweep/points/0000-*)
  start=$SECONDS
  "$lutra" -q run "$point/config.yaml" --set threads=1 --out unlimited >/dev/null || fail "the unlimited run failed"
  unlimited=$((SECONDS - start))
  ((unlimited > 60)) || fail "the unlimited run took $unlimited s: no longer than the time limit, so it tests nothing"
  wait_for "1 points: 1 done" 600
  attempts=$(sed -n 's/^attempt: //p' "$point/attempt.yaml")
  ((attempts >= 2)) || fail "the point finished in $attempts attempt(s): it was never stopped"
  grep -q "stopped by SIGUSR1" "$point/log" || fail "the log shows no stop on Slurm's warning"
  grep -q "requeued" "$point/log" || fail "the log shows no requeue"
  same_run "$point/run/run.h5" unlimited/run.h5
  echo "slurm sweep: a ${unlimited}-s run under a 1-minute limit finished in $attempts attempts, equal to the unlimited run"
  ;;

*)
  echo "sweep.sh: unknown case '$case_name' (complete, fail-rerun, time-limit)" >&2
  exit 2
  ;;
esac
