#!/bin/sh
# `lutra export` killed (SIGKILL) at several moments, into a new directory and
# with --force over an earlier export: afterwards the output is absent, or
# whole (its COMPLETE manifest holds), or — only while --force moves files in
# — without COMPLETE, which verify_export.sh refuses. A killed export's
# temporary never blocks the next one (docs/failure-behaviour.md).
#
#   tests/experiments/kill_export.sh LUTRA PARITY_CONFIG VERIFY_EXPORT_SH
set -u
lutra=$1
config=$2
verify=$3
work=$(mktemp -d /tmp/lutra-kill-export-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
is_complete() {
    [ -f "$1/COMPLETE" ] || return 1
    grep -v '^#' "$1/COMPLETE" | while read -r size file; do
        [ "$(stat -c %s "$1/$file" 2>/dev/null)" = "$size" ] || exit 1
    done
}
"$lutra" -q run "$config" --set data.name=parity-12 --set genome.inputs.width=12 --set train.epochs=2 \
    --out "$work/run" > "$work/log" 2>&1 || { cat "$work/log"; exit 1; }

seen_absent=0
seen_complete=0
for delay in 0 0.005 0.01 0.02 0.03 0.05 0.08 0.12 0.2 0.3; do
    for force in "" --force; do
        [ -z "$force" ] && rm -rf "$work/out"
        "$lutra" -q export "$work/run" --out "$work/out" $force > /dev/null 2>&1 &
        pid=$!
        sleep $delay
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        if [ ! -e "$work/out" ]; then
            seen_absent=$((seen_absent + 1))
        elif is_complete "$work/out"; then
            seen_complete=$((seen_complete + 1))
        elif [ -z "$force" ]; then
            fail "killed after ${delay}s: a new export directory appeared incomplete"
        elif sh "$verify" --no-sim --no-equiv --no-synth "$work/out" > "$work/log" 2>&1; then
            fail "killed after ${delay}s ($force): an incomplete export passes verify_export.sh"
        fi
        # The next export is not blocked by what the killed one left.
        "$lutra" -q export "$work/run" --out "$work/out" --force > "$work/log" 2>&1 ||
            { fail "export after one killed after ${delay}s"; cat "$work/log"; }
        is_complete "$work/out" || fail "the export after one killed after ${delay}s is not complete"
    done
done

# verify_export.sh refuses an export without its mark or with a file cut short.
cp -r "$work/out" "$work/cut"
: > "$work/cut/vectors_in.hex"
sh "$verify" --no-sim --no-equiv --no-synth "$work/cut" > "$work/log" 2>&1
[ $? -eq 1 ] && grep -q "vectors_in.hex" "$work/log" || { fail "verify_export.sh accepts a file cut short"; cat "$work/log"; }
rm "$work/cut/COMPLETE"
sh "$verify" --no-sim --no-equiv --no-synth "$work/cut" > "$work/log" 2>&1
[ $? -eq 1 ] && grep -q "no COMPLETE mark" "$work/log" || { fail "verify_export.sh accepts an export without COMPLETE"; cat "$work/log"; }

echo "kill_export.sh: killed 20 exports: $seen_absent left nothing, $seen_complete a whole export; $failures failures"
[ $failures -eq 0 ]
