#!/usr/bin/env python3
"""ctest's test of a collected sweep table read without Lutra: points.h5
with h5py (and pandas when installed), checked column by column against
points.csv read with Python's csv module.

    python3 test_sweep_points.py RESULTS_DIR

Exits 77 without h5py (skipped), 1 when a check fails.
"""
import csv
import math
import os
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"test_sweep_points.py: {e}", file=sys.stderr)
    sys.exit(77)


def fail(message):
    print(f"test_sweep_points.py: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    results = sys.argv[1]
    with open(os.path.join(results, "points.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    with h5py.File(os.path.join(results, "points.h5"), "r") as f:
        points = f["points"]
        # The one line a pandas user writes, columns in table order.
        table = {k: points[k][()] for k in points}
        if list(table) != header:
            fail(f"h5py lists the columns {list(table)}, the CSV has {header}")
        attrs = dict(points.attrs)
    for name, values in table.items():
        if values.ndim != 1 or len(values) != len(body):
            fail(f"{name}: shape {values.shape}, expected ({len(body)},)")
        csv_values = [row[header.index(name)] for row in body]
        kind = values.dtype.kind
        if kind == "O":  # variable-length UTF-8 strings: bytes in h5py 3
            got = [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
            if got != csv_values:
                fail(f"{name}: h5py reads {got}, the CSV has {csv_values}")
        elif kind == "i":
            if values.dtype != np.int64 or [str(v) for v in values] != csv_values:
                fail(f"{name}: {values.dtype} {list(values)}, the CSV has {csv_values}")
        elif kind == "f":
            if values.dtype != np.float64:
                fail(f"{name}: dtype {values.dtype}, expected float64")
            for v, text in zip(values, csv_values):
                if (math.isnan(v) and text != "") or (not math.isnan(v) and float(text) != v):
                    fail(f"{name}: h5py reads {list(values)}, the CSV has {csv_values}")
        else:
            fail(f"{name}: unexpected dtype {values.dtype}")
    for required in ("index", "id", "state", "reason", "final_test_accuracy", "best_test_accuracy", "luts"):
        if required not in table:
            fail(f"no column {required}")
    if table["index"].dtype != np.int64 or table["best_test_accuracy"].dtype != np.float64:
        fail("index is not int64 or best_test_accuracy not float64")
    # The best point: the highest metric among the done points.
    metric = attrs["metric"].decode() if isinstance(attrs["metric"], bytes) else attrs["metric"]
    states = [s.decode() for s in table["state"]]
    done = [i for i, s in enumerate(states) if s == "done" and not math.isnan(table[metric][i])]
    best = max(done, key=lambda i: (table[metric][i], -i)) if done else -1
    expected = int(table["index"][best]) if done else -1
    if int(attrs["best_index"]) != expected:
        fail(f"best_index {attrs['best_index']}, the highest {metric} is at index {expected}")
    if "failed" not in states:
        fail("the failed point is missing")
    try:
        import pandas as pd
    except ImportError:
        print("test_sweep_points.py: pandas not installed; checked with h5py and numpy")
    else:
        frame = pd.DataFrame(table)
        if list(frame.columns) != header or len(frame) != len(body):
            fail("pandas.DataFrame does not rebuild the table")
    print(f"test_sweep_points.py: {len(header)} columns × {len(body)} points agree")


if __name__ == "__main__":
    main()
