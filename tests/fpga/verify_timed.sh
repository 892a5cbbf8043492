#!/bin/sh
# Timed networks in Verilog, tick for tick (docs/fpga.md, "Timed networks"):
# fpga_timed_case writes random recurrent networks (k, delays, table density
# and input activity varied) after checking that the stepped engine, the event
# engine and a scalar reference agree on every node at every tick; each
# network's Verilog, with one vector per tick from the stepped engine, is then
# simulated and must print PASS for every tick — every node compared before
# each clock edge. The same network with one table bit flipped (a bit the
# trace reads) must FAIL: the test can fail. Exit 0 when every check passed,
# 1 otherwise, 77 (skipped) without verilator or iverilog.
#
#   tests/fpga/verify_timed.sh PATH/TO/fpga_timed_case WORK_DIR
set -eu
case_program=$1
work=$2
. "$(dirname "$0")/simulate.sh"
require_simulators verify_timed.sh
rm -rf "$work"
mkdir -p "$work"
failed=0

# one NAME STYLE SIMULATOR SEED NODES K_MIN K_MAX MAX_DELAY DENSITY ACTIVITY TICKS [flip]
one() {
    name=$1 style=$2 simulator=$3
    shift 3
    "$case_program" "$work/$name" "$style" "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" ||
        { echo "verify_timed.sh: fpga_timed_case failed for $name" >&2; failed=1; return; }
    # The Xilinx style also reads yosys's models of the primitives.
    primitives=
    [ "$style" = xilinx ] && primitives=$models
    simulate "$work/$name" "$simulator" lutra_network.v PASS lutra_network "$primitives"
    [ "${9:-}" = flip ] && simulate "$work/$name" "$simulator" lutra_network_flipped.v FAIL lutra_network "$primitives"
    return 0
}

# Sizes keep the whole test near a minute on two idle cores: compiling the
# Verilated C++ is the cost (about 15 s of CPU for 400 LUT6 in the Xilinx
# style at -O0, plus about 8 s for Verilator's runtime library, which ccache
# compiles once when installed); simulating 300 ticks takes milliseconds.
# The flipped bit is simulated in Icarus Verilog, whose compile is cheap at
# this size (the test bench that must say FAIL is the same in both).
#   name            style   simulator  seed nodes k_min k_max max_delay density activity ticks
one dense-k1-8      generic verilator  1    500   1     8     16        0.5     0.5      300
one sparse-lut6     xilinx  verilator  2    300   6     6     16        0.05    0.01     300
one mixed-k2-5      xilinx  verilator  3    250   2     5     4         0.2     0.1      300
one small-icarus    xilinx  iverilog   4    200   1     8     16        0.3     0.3      300   flip
one small-icarus-g  generic iverilog   5    200   1     8     16        0.5     0.5      300   flip
[ "$failed" = 0 ] && echo "verify_timed.sh: all checks passed" || echo "verify_timed.sh: FAILED"
exit "$failed"
