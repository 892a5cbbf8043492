#!/bin/sh
# Fault injection: a disk that fills during `lutra run`, `lutra run --resume`,
# `lutra export` and `lutra analyze --report` (docs/failure-behaviour.md).
#
# A small tmpfs is mounted (root only: ctest counts exit 77 as skipped), and
# for each amount of free space in FREE_KIB it is filled with a filler file
# so that the command runs out of space at a different write each time. Each
# time the command must either succeed or exit 1 — never die by a signal —
# with a message naming the file and "No space left on device"; then, with
# the filler gone, whatever it left must be trusted only if whole: a resume
# finishes the run (or refuses clearly) and eval reads it, the export or the
# report is either absent or complete (its COMPLETE manifest holds), and a new
# attempt at the same output succeeds.
#
#   tests/experiments/full_disk.sh LUTRA PARITY_CONFIG
set -u
# Under AddressSanitizer: HDF5 may lose memory when a write fails inside it
# (its own failure path, after which Lutra exits 1); the leak check would
# turn that into an abort, which is not what this test is about.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
lutra=$1
config=$2
if [ "$(id -u)" != 0 ]; then
    echo "full_disk.sh: mounting a small tmpfs needs root (CI runs as root); skipped"
    exit 77
fi
work=$(mktemp -d /tmp/lutra-full-disk-XXXXXX)
mnt=$work/mnt
mkdir "$mnt"
mount -t tmpfs -o size=4m tmpfs "$mnt" || { echo "full_disk.sh: cannot mount a tmpfs; skipped"; rm -rf "$work"; exit 77; }
trap 'umount "$mnt"; rm -rf "$work"' EXIT
failures=0
cases=0
# parity-12: 8 epochs of about 70 ms, so a kill lands between epochs.
set -- --set data.name=parity-12 --set genome.inputs.width=12 --set train.epochs=8
FREE_KIB=${FREE_KIB:-"0 8 16 28 40 52 64 80 100 124 156 200"}

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# leave_free KIB: fills the tmpfs until only KIB KiB are left.
leave_free() {
    rm -f "$mnt/filler"
    avail=$(df -k --output=avail "$mnt" | tail -1)
    n=$((avail - $1))
    [ "$n" -gt 0 ] && dd if=/dev/zero of="$mnt/filler" bs=1024 count="$n" 2>/dev/null
    return 0
}

# expect_clean_failure LABEL STATUS LOG: success, or exit 1 naming a file
# under the tmpfs and "No space left on device". Never a signal, never 2 or 3.
expect_clean_failure() {
    cases=$((cases + 1))
    [ "$2" -eq 0 ] && return 0
    if [ "$2" -ne 1 ]; then
        fail "$1: exit status $2 (a signal is 128+n)"
        sed 's/^/    /' "$3"
        return 0
    fi
    grep -q "No space left on device" "$3" || { fail "$1: no 'No space left on device' in"; sed 's/^/    /' "$3"; }
    grep -q "$mnt/" "$3" || { fail "$1: the message names no file under $mnt"; sed 's/^/    /' "$3"; }
    return 0
}

# is_complete DIR: COMPLETE is there and every file it lists has its size.
is_complete() {
    [ -f "$1/COMPLETE" ] || return 1
    grep -v '^#' "$1/COMPLETE" | while read -r size file; do
        [ "$(stat -c %s "$1/$file" 2>/dev/null)" = "$size" ] || exit 1
    done
}

# A finished run to export and analyze, and a killed one to resume (killed
# after its first checkpoint, before its end).
"$lutra" -q run "$config" "$@" --out "$work/done" > "$work/log" 2>&1 || { cat "$work/log"; exit 1; }
for attempt in 1 2 3 4 5; do
    rm -rf "$work/killed"
    "$lutra" -q run "$config" "$@" --out "$work/killed" > /dev/null 2>&1 &
    pid=$!
    while kill -0 $pid 2>/dev/null && [ ! -f "$work/killed/checkpoint" ]; do sleep 0.01; done
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    [ -f "$work/killed/checkpoint" ] && [ ! -f "$work/killed/summary.txt" ] && break
done
[ -f "$work/killed/summary.txt" ] && { echo "full_disk.sh: could not kill a run before its end"; exit 1; }

has_gnuplot=yes
command -v gnuplot > /dev/null 2>&1 || { has_gnuplot=no; echo "full_disk.sh: no gnuplot, analyze --report not tried"; }

# A command that publishes a directory (export, analyze --report; the output
# directory is its last argument) run on the disk with $free KiB free: a clean
# failure, its output absent or complete, and a new attempt that succeeds.
check_published() {
    local what="$1" out="$2"
    shift 2
    rm -rf "$out" "$(dirname "$out")/.$(basename "$out").partial"
    leave_free "$free"
    "$lutra" -q "$@" "$out" > "$work/log" 2>&1
    expect_clean_failure "$what with $free KiB free" $? "$work/log"
    rm -f "$mnt/filler"
    if [ -e "$out" ] && ! is_complete "$out"; then fail "$what with $free KiB free left an incomplete output"; fi
    if [ ! -e "$out" ]; then
        "$lutra" -q "$@" "$out" > "$work/log" 2>&1 ||
            { fail "a new $what after one with $free KiB free"; sed 's/^/    /' "$work/log"; }
        is_complete "$out" || fail "the $what after one with $free KiB free is not complete"
    fi
    rm -rf "$out"
}

for free in $FREE_KIB; do
    # lutra run: then a resume (or a fresh start when no directory appeared).
    rm -rf "$mnt/run" "$mnt/.run.partial"
    leave_free "$free"
    "$lutra" -q run "$config" "$@" --out "$mnt/run" > "$work/log" 2>&1
    expect_clean_failure "run with $free KiB free" $? "$work/log"
    rm -f "$mnt/filler"
    if [ -d "$mnt/run" ] && [ ! -f "$mnt/run/summary.txt" ]; then
        # Not finished: eval, export and analyze refuse it, naming run.h5 (not
        # marked finished, or unreadable) — unless the disk filled only after
        # run.h5 was marked finished, when the file is whole and reads.
        for cmd in "eval $mnt/run" "export $mnt/run --out $work/x" "analyze $mnt/run"; do
            rm -rf "$work/x"
            "$lutra" -q $cmd > "$work/log" 2>&1
            status=$?
            { [ $status -eq 0 ] || { [ $status -eq 1 ] && grep -q "run/run.h5: " "$work/log"; }; } ||
                { fail "$cmd after a run with $free KiB free: exit $status"; sed 's/^/    /' "$work/log"; }
        done
    fi
    if [ -d "$mnt/run" ]; then
        "$lutra" -q run --resume "$mnt/run" > "$work/log" 2>&1
        status=$?
        if [ $status -eq 1 ]; then
            grep -q "error" "$work/log" || fail "resume after run with $free KiB free: exit 1 without an error message"
        elif [ $status -ne 0 ]; then
            fail "resume after run with $free KiB free: exit status $status"; sed 's/^/    /' "$work/log"
        elif ! "$lutra" -q eval "$mnt/run" > "$work/log" 2>&1; then
            fail "eval after run with $free KiB free and a resume"; sed 's/^/    /' "$work/log"
        fi
    else
        "$lutra" -q run "$config" "$@" --out "$mnt/run" > "$work/log" 2>&1 ||
            { fail "a new run after one with $free KiB free"; sed 's/^/    /' "$work/log"; }
    fi

    # lutra run --resume of a killed run.
    rm -rf "$mnt/run" "$mnt/.run.partial"
    cp -a "$work/killed" "$mnt/run"
    leave_free "$free"
    "$lutra" -q run --resume "$mnt/run" > "$work/log" 2>&1
    expect_clean_failure "resume with $free KiB free" $? "$work/log"
    rm -f "$mnt/filler"
    "$lutra" -q run --resume "$mnt/run" > "$work/log" 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        "$lutra" -q eval "$mnt/run" > "$work/log" 2>&1 ||
            { fail "eval after a resume with $free KiB free"; sed 's/^/    /' "$work/log"; }
    elif [ $status -ne 1 ]; then
        fail "second resume after one with $free KiB free: exit status $status"; sed 's/^/    /' "$work/log"
    fi

    rm -rf "$mnt/run"
    check_published export "$mnt/export" export "$work/done" --out
    [ $has_gnuplot = yes ] && check_published "analyze --report" "$mnt/report" analyze "$work/done" --report
done
echo "full_disk.sh: $cases commands on a filling disk, $failures failures"
[ $failures -eq 0 ]
