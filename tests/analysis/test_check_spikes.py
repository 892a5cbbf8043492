#!/usr/bin/env python3
"""ctest's test of analysis/examples/check_spikes.py: it passes a run.h5
written through the runfile API (tests/runfile/spike_sample.cpp) and refuses
copies of it broken one way each (a wrong dtype, unsorted timestamps, ...),
exit 1 with a message naming the violation.

    python3 test_check_spikes.py CHECK_SPIKES.py GOOD_RUN.h5 SCRATCH_DIR

Exits 77 without h5py or neo (skipped), 1 when a case fails.
"""
import importlib.util
import os
import shutil
import subprocess
import sys

try:
    import h5py
    import numpy as np
    import neo  # noqa: F401  (check_spikes.py needs it)
except ImportError as e:
    print(f"test_check_spikes.py: {e}", file=sys.stderr)
    sys.exit(77)


def run(check, path):
    """The example as a program: its exit status and output."""
    p = subprocess.run([sys.executable, check, path], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def load(check):
    """The example as a module, so that the broken copies are checked in this process (neo loads once)."""
    spec = importlib.util.spec_from_file_location("check_spikes", check)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replace(group, name, data, units=None):
    """Rewrites a dataset (h5py cannot change a dataset's type in place)."""
    attrs = dict(group[name].attrs)
    del group[name]
    d = group.create_dataset(name, data=data)
    for k, v in attrs.items():
        d.attrs[k] = v
    if units is not None:
        d.attrs["units"] = units


def plain_sorting(group):
    """sorting as a plain int32 2, not SONATA's enum."""
    del group.attrs["sorting"]
    group.attrs.create("sorting", 2, dtype="<i4")


def main():
    check, good, scratch = sys.argv[1:4]
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    failures = []

    code, out = run(check, good)
    if code != 0 or "hidden: 40 nodes" not in out or "48 neo.SpikeTrain built" not in out:
        failures.append(f"the good file: exit {code}, output:\n{out}")
    checker = load(check)

    def ids(g):
        return g["node_ids"][:]

    def ts(g):
        return g["timestamps"][:]

    # Each break: a name, what it does to /spikes/hidden (and the file), what the refusal must say.
    breaks = [
        ("node_ids_int64", lambda f, g: replace(g, "node_ids", ids(g).astype("<i8")), "node_ids is int64, expected uint64"),
        ("timestamps_float32", lambda f, g: replace(g, "timestamps", ts(g).astype("<f4")),
         "timestamps is float32, expected float64"),
        ("unsorted", lambda f, g: g["timestamps"].write_direct(np.ascontiguousarray(ts(g)[::-1])),
         "says sorting by_time, but timestamps are not sorted by time"),
        ("units_seconds", lambda f, g: g["timestamps"].attrs.modify("units", np.bytes_("s")), "expected 'ms'"),
        ("no_units", lambda f, g: g["timestamps"].attrs.__delitem__("units"), "has units None"),
        ("sorting_int", lambda f, g: plain_sorting(g), "@sorting is not an enum"),
        ("no_sorting", lambda f, g: g.attrs.__delitem__("sorting"), "has no sorting attribute"),
        ("lengths", lambda f, g: replace(g, "node_ids", ids(g)[:-1]), "the lengths must be equal"),
        ("id_out_of_range", lambda f, g: g["node_ids"].write_direct(np.where(np.arange(len(ids(g))) == 0, 40, ids(g)).astype("<u8")),
         "out of range for population 'hidden' of 40 nodes"),
        ("after_the_end", lambda f, g: g["timestamps"].write_direct(np.append(ts(g)[:-1], 100.0)),
         "not before the recording's end (200 ticks × 0.5 ms = 100.0 ms)"),
        ("no_activity", lambda f, g: f["activity"].__delitem__("hidden"), "/activity/hidden is missing"),
        ("more_spikes_than_toggles", lambda f, g: f["activity/hidden/toggles"].write_direct(np.zeros(40, dtype="<u8")),
         "spikes"),
        ("unknown_population", lambda f, g: f["spikes"].move("hidden", "ghost"), "'ghost' is not a population"),
        ("missing_node_ids", lambda f, g: g.__delitem__("node_ids"), "node_ids is missing"),
    ]
    for name, damage, expected in breaks:
        path = os.path.join(scratch, name + ".h5")
        shutil.copyfile(good, path)
        with h5py.File(path, "r+") as f:
            damage(f, f["spikes/hidden"])
        problems, _ = checker.check(path)
        out = "\n".join(problems)
        if not problems or expected not in out:
            failures.append(f"{name}: the violations should name {expected!r}:\n{out}")
        else:
            print(f"{name}: refused: {problems[0]}")
    # And as a program a violation is exit status 1.
    code, out = run(check, os.path.join(scratch, "unsorted.h5"))
    if code != 1 or "not sorted by time" not in out:
        failures.append(f"unsorted.h5 as a program: exit {code} (expected 1):\n{out}")

    for f in failures:
        print("FAILED: " + f, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
