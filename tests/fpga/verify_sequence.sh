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
for tool in verilator iverilog yosys; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "verify_sequence.sh: $tool is not installed (bash .ci/setup installs it); skipped" >&2; exit 77; }
done
models="$(dirname "$(readlink -f "$(command -v yosys)")")/../share/yosys/xilinx/cells_sim.v"
[ -f "$models" ] || { echo "verify_sequence.sh: yosys's Xilinx models are not at $models" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
objcache=
command -v ccache >/dev/null 2>&1 && objcache=OBJCACHE=ccache
top=lutra_sequence_classifier
failed=0

# simulate DIR SIMULATOR DUT_FILE EXPECT(PASS|FAIL): DIR/DUT_FILE with DIR's
# test bench and vectors and yosys's models of the Xilinx primitives. The
# Verilated C++ is compiled at -O0: compiling is the cost, not the ticks.
simulate() {
    dir=$1 simulator=$2 dut=$3 expect=$4
    ticks=$(grep -vc '^//' "$dir/vectors_in.hex")
    start=$(date +%s)
    (
        cd "$dir"
        if [ "$simulator" = verilator ]; then
            verilator --binary --timing -Wno-fatal -Wno-lint -Wno-style --top-module ${top}_tb \
                -Mdir "obj-$dut" -o sim -MAKEFLAGS "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0 $objcache" -j 2 \
                ${top}_tb.v "$dut" "$models" > "verilator-$dut.log" 2>&1 ||
                { tail -20 "verilator-$dut.log" >&2; exit 1; }
            "./obj-$dut/sim" > "simulation-$dut-$simulator.log"
        else
            iverilog -g2012 -o "sim-$dut.vvp" -s ${top}_tb ${top}_tb.v "$dut" "$models"
            vvp -n "sim-$dut.vvp" > "simulation-$dut-$simulator.log"
        fi
    ) || { echo "  $dir/$dut ($simulator): did not build or run"; failed=1; return; }
    log="$dir/simulation-$dut-$simulator.log"
    if [ "$expect" = PASS ] && grep -q "^PASS $ticks vectors" "$log"; then
        echo "  $dir/$dut ($simulator): PASS, every output bit-exact at all $ticks ticks ($(($(date +%s) - start)) s)"
    elif [ "$expect" = FAIL ] && grep -q "^FAIL [1-9][0-9]* of $ticks vectors" "$log"; then
        echo "  $dir/$dut ($simulator): $(grep '^FAIL' "$log"), as it must ($(($(date +%s) - start)) s)"
    else
        echo "  $dir/$dut ($simulator): expected $expect, got:"
        head -20 "$log"
        failed=1
    fi
}

# one NAME SEED FIRST_READOUT FLIPPED_SIMULATORS: readout ticks FIRST_READOUT … 11 of 12.
one() {
    name=$1
    "$case_program" "$work/$name" "$2" "$3" ||
        { echo "verify_sequence.sh: fpga_sequence_case failed for $name" >&2; failed=1; return; }
    grep -q " $top.v$" "$work/$name/export/COMPLETE" ||
        { echo "  $name: the export has no COMPLETE listing $top.v"; failed=1; }
    cp "$work/$name/flipped/$top.v" "$work/$name/export/${top}_flipped.v"
    for simulator in verilator iverilog; do
        simulate "$work/$name/export" "$simulator" "$top.v" PASS
    done
    for simulator in $4; do
        simulate "$work/$name/export" "$simulator" "${top}_flipped.v" FAIL
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
