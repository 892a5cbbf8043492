#!/usr/bin/env python3
"""ctest's test of analysis/examples/compare_runs.py on hand-made files: NaN
equals NaN in float data (a rule's statistics before it starts are NaN in
both runs), a different number or a missing dataset is reported, the metrics'
`seconds` field is ignored.

    python3 test_compare_runs.py COMPARE_RUNS.py SCRATCH_DIR

Exits 77 without h5py (skipped), 1 when a case fails.
"""
import os
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"test_compare_runs.py: {e}", file=sys.stderr)
    sys.exit(77)


def write(path, sensitivity, seconds=1.0, extra=False):
    metrics = np.array([(0, 0.5, seconds)], dtype=[("epoch", "<i4"), ("loss", "<f8"), ("seconds", "<f8")])
    with h5py.File(path, "w") as f:
        f["stats/v1/rules/area/sensitivity"] = np.array(sensitivity, dtype=np.float32)
        f["metrics"] = metrics
        if extra:
            f["only_here"] = np.arange(3)


def compare(tool, a, b):
    p = subprocess.run([sys.executable, tool, a, b], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def main(tool, scratch):
    os.makedirs(scratch, exist_ok=True)
    a, b, c, d = (os.path.join(scratch, n + ".h5") for n in "abcd")
    write(a, [np.nan, 1.0, 2.0], seconds=1.0)
    write(b, [np.nan, 1.0, 2.0], seconds=7.0)
    write(c, [np.nan, 1.0, 2.5])
    write(d, [np.nan, 1.0, 2.0], extra=True)
    failed = 0
    cases = [
        (a, b, 0, "0 differ"),
        (a, c, 1, "differs: /stats/v1/rules/area/sensitivity"),
        (a, d, 1, "only in second: /only_here"),
    ]
    for x, y, status, text in cases:
        got, out = compare(tool, x, y)
        if got != status or text not in out:
            print(f"FAIL: {os.path.basename(x)} vs {os.path.basename(y)}: exit {got}, wanted {status} and '{text}':\n{out}")
            failed = 1
    print("test_compare_runs.py: " + ("FAILED" if failed else f"all {len(cases)} cases passed"))
    return failed


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: test_compare_runs.py COMPARE_RUNS.py SCRATCH_DIR")
    sys.exit(main(sys.argv[1], sys.argv[2]))
