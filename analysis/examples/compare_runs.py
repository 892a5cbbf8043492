#!/usr/bin/env python3
"""Compare two run files dataset by dataset, with h5py alone.

    python3 analysis/examples/compare_runs.py A/run.h5 B/run.h5

Prints every dataset that exists in only one file or differs, and exits 0
when the two runs are the same run: equal /network, /metrics (all but the
wall-clock `seconds`), /stats and encoder. The resolved /config text is
reported but not required to match (a newer Lutra may list new keys). This
is how a change that must not move a figure is checked (README, Training).
"""
import sys

import h5py
import numpy as np


def datasets(f):
    found = {}
    f.visititems(lambda name, obj: found.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return found


def value(ds):
    """A dataset's contents; a text as str, whether stored as format_version 1's
    scalar variable-length string or format_version 2's one fixed-length string."""
    v = ds[()]
    if ds.dtype.kind in ("S", "O") and getattr(v, "shape", ()) == (1,):
        v = v[0]
    return v.decode() if isinstance(v, bytes) else v


def equal(x, y):
    """Equal contents; NaN equals NaN in float data (the statistics of a rule
    before it starts are NaN, in both runs alike)."""
    if isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.dtype.kind == "f" and y.dtype.kind == "f":
        return np.array_equal(x, y, equal_nan=True)
    return np.array_equal(x, y)


def main(a_path, b_path):
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        da, db = datasets(a), datasets(b)
        differ = sorted(set(da) ^ set(db))
        for name in differ:
            print(f"only in {'first' if name in da else 'second'}: /{name}")
        for name in sorted(set(da) & set(db)):
            x, y = value(da[name]), value(db[name])
            if name == "config":
                print("/config: " + ("same" if np.array_equal(x, y) else "differs (not compared)"))
                continue
            if name == "metrics" and x.dtype.names:
                same = all(equal(x[f], y[f]) for f in x.dtype.names if f != "seconds")
            else:
                same = equal(x, y)
            if not same:
                differ.append(name)
                print(f"differs: /{name}")
        print(f"{len(set(da) & set(db))} datasets compared, {len(differ)} differ")
        return 0 if not differ else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: compare_runs.py A/run.h5 B/run.h5")
    sys.exit(main(sys.argv[1], sys.argv[2]))
