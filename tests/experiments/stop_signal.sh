#!/bin/sh
# `lutra run` stopped by signals as Slurm and a user send them
# (docs/failure-behaviour.md, "lutra run"):
# - kill -USR1 once the first checkpoint is there: exit 75, a warning that
#   names the checkpoint's epoch and `lutra run --resume DIR`;
# - kill -TERM of that resume once it has written a checkpoint: exit 75 again;
# - the next resume exits 0, and run.h5 equals an uninterrupted run's
#   (analysis/examples/compare_runs.py: /network, /metrics but wall times,
#   /stats, the encoder; without h5py the comparison is skipped: exit 77 once
#   everything else passed);
# - SIGINT twice: the first asks to stop (its line on stderr), the second,
#   sent while a long batch runs, kills at once (exit by SIGINT).
#
#   tests/experiments/stop_signal.sh LUTRA PYTHON3 COMPARE_RUNS_PY
set -u
lutra=$1
python=$2
compare=$3
work=$(mktemp -d /tmp/lutra-stop-signal-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Twenty epochs of some tens of milliseconds each.
cp "$(dirname "$0")/stop.yaml" "$work/stop.yaml"

# wait_for PID FILE: until FILE exists (0) or the process PID has ended (1).
wait_for() {
    while [ ! -e "$2" ]; do
        kill -0 "$1" 2> /dev/null || return 1
        sleep 0.01
    done
}
# wait_for_new PID FILE INODE: until FILE is another file than INODE (a newer
# checkpoint, renamed into place) or the process has ended (1).
wait_for_new() {
    while [ "$(stat -c %i "$2" 2> /dev/null)" = "$3" ]; do
        kill -0 "$1" 2> /dev/null || return 1
        sleep 0.01
    done
}
# wait_for_text PID FILE TEXT: until FILE holds TEXT or the process has ended (1).
wait_for_text() {
    until grep -q "$3" "$2" 2> /dev/null; do
        kill -0 "$1" 2> /dev/null || return 1
        sleep 0.01
    done
}

"$lutra" -q run "$work/stop.yaml" --out "$work/whole" > "$work/log" 2>&1 || { cat "$work/log"; exit 1; }

# SIGUSR1 after the first checkpoint.
out=$work/stopped
"$lutra" -q run "$work/stop.yaml" --out "$out" > "$work/usr1.log" 2>&1 &
pid=$!
wait_for $pid "$out/checkpoint" || fail "the run ended before its first checkpoint"
kill -USR1 $pid
wait $pid
status=$?
[ $status -eq 75 ] || fail "kill -USR1: exit $status, not 75"
grep -q "SIGUSR1: stopping after this epoch, with its checkpoint; send it again to kill now" "$work/usr1.log" ||
    fail "kill -USR1: no line saying the run stops after this epoch"
grep -q "\[warning\] stopped by SIGUSR1 after epoch [0-9]* of 20; the checkpoint holds epoch [0-9]*: continue with \`lutra run --resume $out\`" \
    "$work/usr1.log" || fail "kill -USR1: no warning naming the checkpoint's epoch and --resume"
[ -e "$out/summary.txt" ] && fail "kill -USR1: the stopped run has summary.txt"
[ $failures -eq 0 ] || cat "$work/usr1.log"

# SIGTERM of the resume, once it wrote a checkpoint of its own.
inode=$(stat -c %i "$out/checkpoint")
"$lutra" -q run --resume "$out" > "$work/term.log" 2>&1 &
pid=$!
wait_for_new $pid "$out/checkpoint" "$inode" || fail "the resume ended before its first checkpoint"
kill -TERM $pid
wait $pid
status=$?
[ $status -eq 75 ] || { fail "kill -TERM of the resume: exit $status, not 75"; cat "$work/term.log"; }
grep -q "\[warning\] stopped by SIGTERM after epoch" "$work/term.log" ||
    { fail "kill -TERM of the resume: no warning"; cat "$work/term.log"; }

"$lutra" -q run --resume "$out" > "$work/resume.log" 2>&1
status=$?
[ $status -eq 0 ] || { fail "the last resume: exit $status"; cat "$work/resume.log"; }
[ -e "$out/summary.txt" ] || fail "the resumed run has no summary.txt"

# SIGINT twice, the second during a batch of about 0.6 s (250 MB). A script's
# background job inherits SIGINT ignored, which lutra respects: give it back
# its default first.
cat > "$work/slow.yaml" <<'EOF'
name: slow
seed: 6
threads: 1
data: {name: majority-15, train_samples: 20000, test_samples: 100, encoder: {kind: binarize}}
genome:
  inputs: {width: 15, height: 1, bits: 1}
  populations:
    - {name: hidden, size: 800, k: 8}
    - {name: out, size: 120, k: 8}
  projections:
    - {target: hidden, sources: [input], rule: random}
    - {target: out, sources: [hidden], rule: random}
  head: {population: out, classes: 2}
train:
  epochs: 4
  batch_size: 20000
EOF
env --default-signal=INT "$lutra" -q run "$work/slow.yaml" --out "$work/int" > "$work/int.log" 2>&1 &
pid=$!
if wait_for $pid "$work/int/checkpoint"; then
    kill -INT $pid
    wait_for_text $pid "$work/int.log" "SIGINT: stopping at the next safe point" ||
        fail "SIGINT: the run ended without saying it stops"
    kill -INT $pid 2> /dev/null
    wait $pid
    status=$?
    [ $status -eq 130 ] || { fail "a second SIGINT: exit $status, not 130 (killed by SIGINT)"; cat "$work/int.log"; }
else
    fail "the slow run ended before its first checkpoint"
    cat "$work/int.log"
fi

if [ $failures -ne 0 ]; then
    echo "stop_signal.sh: $failures failures"
    exit 1
fi
if ! "$python" -c "import h5py" 2> /dev/null; then
    echo "stop_signal.sh: exit codes and messages as promised; run.h5 not compared: $python has no h5py" \
         "(apt-get install python3-h5py)"
    exit 77
fi
"$python" "$compare" "$work/whole/run.h5" "$out/run.h5" > "$work/compare.log" 2>&1 ||
    { cat "$work/compare.log"; echo "stop_signal.sh: the stopped and resumed run differs from the uninterrupted one"; exit 1; }
echo "stop_signal.sh: stopped by SIGUSR1, then its resume by SIGTERM, resumed to the uninterrupted run's run.h5" \
     "($(tail -n 1 "$work/compare.log")); a second SIGINT killed at once"
