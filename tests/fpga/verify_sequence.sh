#!/bin/sh
# Sequence classifiers in Verilog, tick for tick (docs/fpga.md, "Sequence
# classifiers"): fpga_sequence_case exports random recurrent classifiers
# through export_network (which has already run the mapped cells in C++
# against the stepped engine at every tick); each export's Verilog, with one
# vector per tick of 50 sequences run back to back, is simulated in Verilator
# and Icarus Verilog and must print PASS — prediction, every score and valid
# compared at every tick, before each clock edge. The same classifier with one
# table bit flipped must FAIL against the same vectors: the test can fail.
# Exit 0 when every check passed, 1 otherwise, 77 (skipped) without verilator
# or iverilog.
#
#   tests/fpga/verify_sequence.sh PATH/TO/fpga_sequence_case WORK_DIR
set -eu
case_program=$1
work=$2
. "$(dirname "$0")/simulate.sh"
require_simulators verify_sequence.sh
rm -rf "$work"
mkdir -p "$work"
top=lutra_sequence_classifier
failed=0


# one NAME SEED FIRST_READOUT FLIPPED_SIMULATORS: readout ticks FIRST_READOUT … 11 of 12.
one() {
    name=$1
    "$case_program" "$work/$name" "$2" "$3" ||
        { echo "verify_sequence.sh: fpga_sequence_case failed for $name" >&2; failed=1; return; }
    grep -q " $top.v$" "$work/$name/export/COMPLETE" ||
        { echo "  $name: the export has no COMPLETE listing $top.v"; failed=1; }
    cp "$work/$name/flipped/$top.v" "$work/$name/export/${top}_flipped.v"
    for simulator in verilator iverilog; do
        simulate "$work/$name/export" "$simulator" "$top.v" PASS "$top" "$models"
    done
    for simulator in $4; do
        simulate "$work/$name/export" "$simulator" "${top}_flipped.v" FAIL "$top" "$models"
    done
}

# Compiling the Verilated C++ is nearly all of the time (about 3 s each on
# idle cores, up to 30 s on a busy machine), so the flipped copy goes through
# Verilator once and Icarus twice.
#   name          seed first_readout  simulators for the flipped copy
one readout-last   1    11             iverilog
one readout-8-11   1    8              "verilator iverilog"
[ "$failed" = 0 ] && echo "verify_sequence.sh: all checks passed" || echo "verify_sequence.sh: FAILED"
exit "$failed"
