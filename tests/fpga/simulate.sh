# Sourced by verify_timed.sh and verify_sequence.sh: what simulating an
# exported module against its test bench and vectors takes, written once.
#
#   require_simulators NAME   exits 77 (skipped) without verilator, iverilog or
#                             yosys, 1 without yosys's Xilinx models; sets
#                             $models and $objcache
#   simulate DIR SIMULATOR DUT_FILE EXPECT(PASS|FAIL) TOP [EXTRA_FILE]
#                             simulates DIR/DUT_FILE with DIR/TOP_tb.v and
#                             DIR's vectors; PASS must match every vector,
#                             FAIL at least one; prints one line; sets
#                             failed=1 otherwise.
#
# The Verilated C++ is compiled at -O0: a few hundred ticks run in
# milliseconds, and compiling is the cost.

require_simulators() {
    for tool in verilator iverilog yosys; do
        command -v "$tool" >/dev/null 2>&1 ||
            { echo "$1: $tool is not installed (bash .ci/setup installs it); skipped" >&2; exit 77; }
    done
    models="$(dirname "$(readlink -f "$(command -v yosys)")")/../share/yosys/xilinx/cells_sim.v"
    [ -f "$models" ] || { echo "$1: yosys's Xilinx models are not at $models" >&2; exit 1; }
    objcache=
    command -v ccache >/dev/null 2>&1 && objcache=OBJCACHE=ccache
    return 0
}

simulate() {
    dir=$1 simulator=$2 dut=$3 expect=$4 top=$5 extra=${6:-}
    ticks=$(grep -vc '^//' "$dir/vectors_in.hex")
    start=$(date +%s)
    (
        cd "$dir"
        if [ "$simulator" = verilator ]; then
            verilator --binary --timing -Wno-fatal -Wno-lint -Wno-style --top-module "${top}_tb" \
                -Mdir "obj-$dut" -o sim -MAKEFLAGS "OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0 $objcache" -j 2 \
                "${top}_tb.v" "$dut" $extra > "verilator-$dut.log" 2>&1 ||
                { tail -20 "verilator-$dut.log" >&2; exit 1; }
            "./obj-$dut/sim" > "simulation-$dut-$simulator.log"
        else
            iverilog -g2012 -o "sim-$dut.vvp" -s "${top}_tb" "${top}_tb.v" "$dut" $extra
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
