#!/usr/bin/env bash
# The accuracy per LUT frontier (README, "Accuracy per LUT on the whole
# chip"): for each config, train it (build/lutra run), export the whole
# classifier (lutra export --target xilinx), simulate all 10,000 test vectors
# against the Verilog with Verilator and compare yosys's cell count with the
# report (tests/fpga/verify_export.sh), then write one row per config to
# OUT/frontier.csv and plot hardened test accuracy against LUT6 sites to
# OUT/frontier.png (gnuplot).
#
#   bench/frontier.sh [--out DIR] [--build DIR] CONFIG... [--no-sim CONFIG...]
#
# The configs after --no-sim skip the Verilator simulation (minutes of
# compiling for a 10,000-LUT classifier) and keep yosys's count; the CSV
# says which points were simulated.
#
# A config whose run finished in OUT/NAME is not trained again, and a
# complete export is not made again (delete them to redo), so an interrupted
# frontier resumes. The
# accuracy is the exported netlist's on the test set, as `lutra export`
# prints it (equal to the run's hardened test accuracy); the wall time is
# the run's own (summary.txt's total_seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/frontier
build=build
sim=(--verilator)
while [[ $# -gt 0 && $1 == --* ]]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --no-sim) break ;;
    *) echo "frontier.sh: unknown option $1 (valid: --out DIR, --build DIR, --no-sim)" >&2; exit 2 ;;
  esac
done
[[ $# -gt 0 ]] || { echo "usage: bench/frontier.sh [--out DIR] [--build DIR] CONFIG... [--no-sim CONFIG...]" >&2; exit 2; }
for tool in "$build/lutra" yosys verilator gnuplot; do
  command -v "$tool" >/dev/null || { echo "frontier.sh: $tool not found (bash .ci/setup builds and installs it)" >&2; exit 1; }
done
mkdir -p "$out"

# A key=value line of an export's report.txt.
key() { sed -n "s/^$2=//p" "$1/report.txt"; }

csv=$out/frontier.csv
echo "config,test_accuracy_percent,lut6_sites,encoder,network,popcount,argmax,lut6_2_pairs,yosys_lut6,depth,run_seconds,simulated" > "$csv.tmp"
for config in "$@"; do
  if [[ $config == --no-sim ]]; then sim=(--no-sim); continue; fi
  [[ -f $config ]] || { echo "frontier.sh: $config: no such config" >&2; exit 1; }
  name=$(basename "$config" .yaml)
  run=$out/$name
  export=$out/$name-export
  # A finished run (summary.txt, written last) is kept; anything else is
  # trained again from the start.
  if [[ ! -f $run/summary.txt ]]; then
    echo "== $name: training ($config)"
    rm -rf "$run" "$export"
    "$build/lutra" run "$config" --out "$run" > "$out/$name.log" 2>&1 ||
      { echo "frontier.sh: lutra run $config failed; see $out/$name.log" >&2; exit 1; }
  fi
  if [[ ! -f $export/COMPLETE ]]; then
    rm -rf "$export"
    "$build/lutra" export "$run" --target xilinx --out "$export" > "$out/$name-export.log" 2>&1 ||
      { echo "frontier.sh: lutra export $run failed; see $out/$name-export.log" >&2; exit 1; }
  fi
  echo "== $name: verifying the export (${sim[*]#--}, yosys count)"
  bash tests/fpga/verify_export.sh "${sim[@]}" --no-equiv --no-generic "$export" > "$out/$name-verify.log" 2>&1 ||
    { echo "frontier.sh: verify_export.sh $export failed; see $out/$name-verify.log" >&2; exit 1; }
  accuracy=$(sed -n 's/^vectors: .*(\([0-9.]*\)%)$/\1/p' "$out/$name-export.log")
  yosys_luts=$(awk '$1 ~ /^LUT[1-6]$/ || $1 == "LUT6_2" { n += $2 } END { print n + 0 }' "$export/synth_stat.txt")
  echo "$name,$accuracy,$(key "$export" total.lut6_sites),$(key "$export" encoder.lut6_sites),$(key "$export" network.lut6_sites),$(key "$export" popcount.lut6_sites),$(key "$export" argmax.lut6_sites),$(key "$export" total.lut6_2_sites),$yosys_luts,$(key "$export" total.depth),$(sed -n "s/^total_seconds: \\([0-9]*\\).*/\\1/p" "$run/summary.txt"),$([[ ${sim[0]} == --verilator ]] && echo yes || echo no)" >> "$csv.tmp"
  tail -1 "$csv.tmp"
done
mv "$csv.tmp" "$csv"

gnuplot <<EOF
set terminal pngcairo size 900,600 noenhanced
set output "$out/frontier.png"
set datafile separator ","
set title "Hardened MNIST test accuracy against LUT6 sites of the whole exported classifier"
set xlabel "LUT6 sites (encoder + network + popcount + argmax), lutra export --target xilinx"
set ylabel "test accuracy, % (10,000 images)"
set logscale x
set grid
set key top left
set xrange [400:20000]
# Issue 16's targets: at least this accuracy in at most these sites.
\$targets << END
1200,97.0,mnist-small target
5000,98.5,mnist target
END
plot "$csv" skip 1 using 3:2 with points pointtype 7 pointsize 1.5 title "configs (bench/frontier.sh)", \
     "" skip 1 using 3:2:1 with labels offset 0,1 font ",9" notitle, \
     \$targets using 1:2 with points pointtype 6 pointsize 2.5 lc rgb "red" title "targets (≥ accuracy, ≤ sites)", \
     \$targets using 1:2:3 with labels offset 0,-1.2 font ",8" tc rgb "red" notitle
EOF
echo "wrote $csv and $out/frontier.png"
