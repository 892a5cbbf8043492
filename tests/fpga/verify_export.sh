#!/bin/sh
# Verifies a `lutra export` directory (docs/fpga.md):
#   1. simulates <name>_tb.v with <name>.v — Icarus Verilog by default,
#      Verilator with --verilator (for large networks) — and requires
#      "PASS <n> vectors" for every vector in vectors_in.hex;
#   2. proves equiv/generic.v and equiv/xilinx.v equivalent with yosys
#      (yosys_equiv.ys: the primitives flattened with yosys's own models);
#   3. synthesises with yosys (synth_xilinx -noiopad) and compares the cell
#      counts with report.txt: the Xilinx style must keep exactly the
#      reported LUT6 sites (LUT1..LUT6 and LUT6_2, two LUTs in one site),
#      MUXF7, MUXF8 and flip-flops; the generic style's counts
#      (yosys's own mapping of the behavioural RTL, slow for large networks:
#      --no-generic skips it) are printed beside them.
# An export without its COMPLETE mark, or whose files differ from it, is
# refused first. Exit status 0 only if every step passed; 77 (skipped) when a
# tool is missing.
#
#   tests/fpga/verify_export.sh [--verilator] [--no-sim] [--no-equiv] [--no-synth] [--no-generic] DIR
set -eu

simulator=iverilog
sim=yes
equiv=yes
synth=yes
generic=yes
while [ $# -gt 1 ]; do
    case "$1" in
        --verilator) simulator=verilator ;;
        --no-sim) sim=no ;;
        --no-equiv) equiv=no ;;
        --no-synth) synth=no ;;
        --no-generic) generic=no ;;
        *) echo "verify_export.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ $# -ne 1 ] || [ ! -f "$1/report.txt" ]; then
    echo "usage: verify_export.sh [--verilator] [--no-sim] [--no-equiv] [--no-synth] [--no-generic] DIR" \
        "(DIR written by lutra export)" >&2
    exit 2
fi
cd "$1"
# Only a whole export: its COMPLETE mark, written last, lists every file with
# its size (core/publish.hpp); an export killed or out of disk space has none.
if [ ! -f COMPLETE ]; then
    echo "verify_export.sh: $1 has no COMPLETE mark: the export did not finish (killed, out of disk space," \
        "or written by a Lutra before 0.2); export it again" >&2
    exit 1
fi
differ=$(grep -v '^#' COMPLETE | while read -r size file; do
    [ "$(stat -c %s "$file" 2>/dev/null)" = "$size" ] || printf ' %s' "$file"
done)
if [ -n "$differ" ]; then
    echo "verify_export.sh: $1: missing or of another size than COMPLETE lists:$differ; export it again" >&2
    exit 1
fi

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "verify_export.sh: $1 is not installed (bash .ci/setup installs it); skipped" >&2; exit 77; }
}
# A key=value line of report.txt.
report() { sed -n "s/^$1=//p" report.txt; }
# The count of one cell type in a yosys `stat` output file (0 if absent).
cells() { awk -v t="$2" '$1 == t { n = $2 } END { print n + 0 }' "$1"; }
# LUT6 sites: LUT1..LUT6 one each, and LUT6_2 (two LUTs packed, pack_lut6_2) one each.
luts() { awk '$1 ~ /^LUT[1-6]$/ || $1 == "LUT6_2" { n += $2 } END { print n + 0 }' "$1"; }
lut6_2() { awk '$1 == "LUT6_2" { n += $2 } END { print n + 0 }' "$1"; }

name=$(report design)
need yosys
models="$(dirname "$(readlink -f "$(command -v yosys)")")/../share/yosys/xilinx/cells_sim.v"
[ -f "$models" ] || { echo "verify_export.sh: yosys's Xilinx models are not at $models" >&2; exit 1; }
failed=0

# 1. Simulation.
if [ "$sim" = no ]; then
    :
elif [ -f "${name}_tb.v" ]; then
    vectors=$(grep -vc '^//' vectors_in.hex)
    start=$(date +%s)
    if [ "$simulator" = iverilog ]; then
        need iverilog
        iverilog -g2012 -o sim.vvp -s "${name}_tb" "${name}_tb.v" "${name}.v" "$models"
        vvp -n sim.vvp > simulation.log
    else
        need verilator
        verilator --binary --timing -O1 -Wno-fatal -Wno-lint -Wno-style --top-module "${name}_tb" \
            -Mdir verilator.obj -o sim "${name}_tb.v" "${name}.v" "$models" > verilator.log 2>&1 ||
            { tail -20 verilator.log >&2; exit 1; }
        ./verilator.obj/sim > simulation.log
    fi
    if grep -q "^PASS $vectors vectors" simulation.log; then
        echo "simulation ($simulator): PASS, $vectors vectors bit-exact ($(($(date +%s) - start)) s)"
    else
        echo "simulation ($simulator): FAILED"
        head -40 simulation.log
        failed=1
    fi
else
    echo "simulation: skipped (no test bench: exported with --vectors 0 or a network with delays)"
fi

# 2. Formal equivalence of the two styles.
if [ "$equiv" = yes ] && [ -f yosys_equiv.ys ]; then
    start=$(date +%s)
    # Large heads can take yosys's SAT a long time (see docs/fpga.md);
    # LUTRA_EQUIV_SECONDS bounds the wait (default one hour).
    rm -f equiv_nodes.txt
    if timeout "${LUTRA_EQUIV_SECONDS:-3600}" yosys -q -l equivalence.log -s yosys_equiv.ys > /dev/null 2>&1; then
        echo "equivalence (yosys): generic and xilinx proven equal ($(($(date +%s) - start)) s)"
    else
        echo "equivalence (yosys): FAILED or timed out after $(($(date +%s) - start)) s"
        if [ -f equiv_nodes.txt ]; then
            echo "  after the node-by-node step: $(grep -E 'proven and|unproven' equiv_nodes.txt | head -1)"
        fi
        grep -E "ERROR|Unproven|failed" equivalence.log | head -20
        failed=1
    fi
elif [ "$equiv" = yes ]; then
    echo "equivalence: skipped (no yosys_equiv.ys: the network has delays)"
fi

# 3. Synthesis and cell counts.
if [ "$synth" = yes ]; then
    start=$(date +%s)
    yosys -q -l synthesis.log -s yosys_synth.ys -p 'tee -q -o synth_stat.txt stat' > /dev/null 2>&1 ||
        { echo "synthesis (yosys): FAILED"; tail -20 synthesis.log; exit 1; }
    lut=$(luts synth_stat.txt); f7=$(cells synth_stat.txt MUXF7); f8=$(cells synth_stat.txt MUXF8)
    ff=$(cells synth_stat.txt FDRE)
    r_lut=$(report total.lut6_sites); r_f7=$(report total.muxf7); r_f8=$(report total.muxf8)
    r_ff=$(report total.flip_flops)
    pairs=$(lut6_2 synth_stat.txt); r_pairs=$(report total.lut6_2_sites); r_pairs=${r_pairs:-0}  # an older report has no LUT6_2
    echo "synthesis (yosys synth_xilinx -noiopad, $(($(date +%s) - start)) s) of ${name}.v:"
    printf '  %-8s %10s %10s\n' cell yosys report
    printf '  %-8s %10s %10s\n' LUT "$lut" "$r_lut" LUT6_2 "$pairs" "$r_pairs" \
        MUXF7 "$f7" "$r_f7" MUXF8 "$f8" "$r_f8" FDRE "$ff" "$r_ff"
    if grep -q '^lutra export of .*(target xilinx)' report.txt; then
        # map_cells gives a constant cofactor of a 7- or 8-input table its own
        # LUT (a MUXF7 takes data only from its slice's LUTs), and the report
        # counts it; yosys removes LUTs with a constant INIT. Same pruning on
        # both sides: the reported LUTs minus the constant-INIT ones written.
        constant=$(grep -cE "LUT1 #\(\.INIT\(2'h[03]\)\)|LUT2 #\(\.INIT\(4'h[0f]\)\)|LUT3 #\(\.INIT\(8'h(00|ff)\)\)|LUT4 #\(\.INIT\(16'h(0{4}|f{4})\)\)|LUT5 #\(\.INIT\(32'h(0{8}|f{8})\)\)|LUT6 #\(\.INIT\(64'h(0{16}|f{16})\)\)" "${name}.v" || true)
        expected=$((r_lut - constant))
        echo "  LUT: report $r_lut − $constant with a constant INIT (yosys removes them) = $expected expected"
        if [ "$lut" = "$expected" ] && [ "$pairs" = "$r_pairs" ] && [ "$f7" = "$r_f7" ] && [ "$f8" = "$r_f8" ] &&
            [ "$ff" = "$r_ff" ]; then
            echo "  the Xilinx style keeps exactly the reported cells"
        else
            echo "  MISMATCH: yosys's counts differ from report.txt"
            failed=1
        fi
    else
        echo "  (generic style: yosys maps the behavioural RTL itself; the report counts Lutra's mapping)"
    fi
    if [ "$generic" = yes ] && [ -f equiv/generic.v ]; then
        start=$(date +%s)
        yosys -q -l synthesis_generic.log -p "read_verilog equiv/generic.v; synth_xilinx -noiopad -top $name; tee -q -o synth_generic_stat.txt stat" \
            > /dev/null 2>&1 || { echo "synthesis of equiv/generic.v: FAILED"; failed=1; }
        if [ -f synth_generic_stat.txt ]; then
            echo "  equiv/generic.v through yosys's own mapping ($(($(date +%s) - start)) s): $(luts synth_generic_stat.txt) LUT," \
                "$(cells synth_generic_stat.txt MUXF7) MUXF7, $(cells synth_generic_stat.txt MUXF8) MUXF8," \
                "$(cells synth_generic_stat.txt CARRY4) CARRY4 (report: $r_lut LUT6 sites)"
        fi
    fi
fi

[ "$failed" = 0 ] && echo "verify_export.sh: all checks passed" || echo "verify_export.sh: FAILED"
exit "$failed"
