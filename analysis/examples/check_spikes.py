#!/usr/bin/env python3
"""Checks the spikes of a Lutra run file (run.h5) without Lutra: h5py reads
/spikes, which follows the "Spike file" layout of the SONATA developer guide,
and neo builds one SpikeTrain per node. docs/run-file.md documents the layout.

    python3 check_spikes.py RUN_DIR_OR_RUN.h5

For every population under /spikes it checks SONATA's rules — the group's
`sorting` attribute (an HDF5 enum none/by_id/by_time) and that the data
really has that order, the datasets `timestamps` (float64, attribute `units`
= "ms") and `node_ids` (uint64) of equal length — and Lutra's: the
population is one of /network/populations, every node id indexes it, the
recording in /activity/<population> (ticks, tick_ms, streams, toggles) is
there, every timestamp lies in [0, ticks × tick_ms), and no node spikes more
often than it toggles. It then builds a neo.SpikeTrain per node (times in
ms, t_stop = ticks × tick_ms) and prints a summary per population.

Exits 1 on the first population with a violation (naming every violation it
has), 2 on bad arguments, 77 without h5py or neo (ctest counts that as
skipped), 0 when every population passes.
"""
import argparse
import os
import sys

try:
    import h5py
    import numpy as np
    import neo
    import quantities as pq
except ImportError as e:
    print(f"check_spikes.py: {e}; install python3-h5py and python3-neo (apt-get install, or bash .ci/setup)",
          file=sys.stderr)
    sys.exit(77)

SORTING = {"none": 0, "by_id": 1, "by_time": 2}  # SONATA's enum, as Lutra, h5py and libsonata write it


def text(value):
    """A string attribute as str: Lutra stores fixed-length strings, which h5py returns as bytes."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    return value.decode() if isinstance(value, (bytes, np.bytes_)) else str(value)


def check_population(f, name, group, populations):
    """The violations of /spikes/<name> (empty when none), and the summary line and spike trains when none."""
    where = f"/spikes/{name}"
    problems = []
    if not isinstance(group, h5py.Group):
        return [f"{where} is not a group"], None, None
    for member in ("timestamps", "node_ids"):
        if not isinstance(group.get(member), h5py.Dataset):
            problems.append(f"{where}/{member} is missing (SONATA: datasets timestamps and node_ids)")
    if problems:
        return problems, None, None
    ts_set, ids_set = group["timestamps"], group["node_ids"]
    if ts_set.dtype != np.dtype("<f8"):
        problems.append(f"{where}/timestamps is {ts_set.dtype}, expected float64 (SONATA: double)")
    if ids_set.dtype != np.dtype("<u8"):
        problems.append(f"{where}/node_ids is {ids_set.dtype}, expected uint64")
    if ts_set.ndim != 1 or ids_set.ndim != 1:
        problems.append(f"{where}: timestamps and node_ids must be 1-D")
        return problems, None, None
    if ts_set.shape != ids_set.shape:
        problems.append(f"{where}: timestamps has {ts_set.shape[0]} entries, node_ids {ids_set.shape[0]}: "
                        f"the lengths must be equal")
    units = ts_set.attrs.get("units")
    if units is None or text(units) != "ms":
        problems.append(f"{where}/timestamps has units {None if units is None else text(units)!r}, expected 'ms'")

    sorting = None
    if "sorting" not in group.attrs:
        problems.append(f"{where} has no sorting attribute (Lutra always writes it)")
    else:
        names = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype)
        if names is None or {k: int(v) for k, v in names.items()} != SORTING:
            problems.append(f"{where}/@sorting is not an enum of none = 0, by_id = 1, by_time = 2 "
                            f"(its type: {group.attrs.get_id('sorting').dtype}, members {names})")
        else:
            value = int(group.attrs["sorting"])
            sorting = {v: k for k, v in SORTING.items()}.get(value)
            if sorting is None:
                problems.append(f"{where}/@sorting is {value}, not a member of the enum")

    nodes = populations.get(name)
    if nodes is None:
        problems.append(f"{where}: '{name}' is not a population of /network/populations ({', '.join(populations)})")
    activity = f.get(f"activity/{name}")
    if activity is None:
        problems.append(f"/activity/{name} is missing: it holds the recording (ticks, tick_ms) the spikes belong to")
    if problems:
        return problems, None, None

    ts = ts_set[:]
    ids = ids_set[:]
    ticks = int(activity.attrs["ticks"])
    tick_ms = float(activity.attrs["tick_ms"])
    streams = int(activity.attrs["streams"])
    engine = text(activity.attrs["engine"])
    toggles = activity["toggles"][:]
    t_stop = ticks * tick_ms
    if not np.all(np.isfinite(ts)) or (len(ts) and ts.min() < 0):
        problems.append(f"{where}/timestamps holds values that are not finite or below 0 ms")
    elif len(ts) and ts.max() >= t_stop:
        problems.append(f"{where}/timestamps reaches {ts.max()} ms, not before the recording's end "
                        f"({ticks} ticks × {tick_ms} ms = {t_stop} ms)")
    if len(ids) and int(ids.max()) >= len(nodes):
        problems.append(f"{where}/node_ids holds {int(ids.max())}, out of range for population '{name}' of "
                        f"{len(nodes)} nodes")
    if sorting == "by_time" and np.any(np.diff(ts) < 0):
        at = int(np.argmax(np.diff(ts) < 0)) + 1
        problems.append(f"{where} says sorting by_time, but timestamps are not sorted by time "
                        f"(entry {at}: {ts[at]} ms after {ts[at - 1]} ms)")
    if sorting == "by_id" and len(ids) > 1:
        order = np.lexsort((ts, ids))
        if np.any(order != np.arange(len(ids))):
            problems.append(f"{where} says sorting by_id, but the spikes are not sorted by node id, then time")
    if len(toggles) != len(nodes):
        problems.append(f"/activity/{name}/toggles has {len(toggles)} entries for {len(nodes)} nodes")
    if problems:
        return problems, None, None
    counts = np.bincount(ids.astype(np.int64), minlength=len(nodes))
    if np.any(counts > toggles):
        node = int(np.argmax(counts > toggles))
        problems.append(f"{where}: node {node} spikes {counts[node]} times but toggles only {toggles[node]} times "
                        f"(each spike is a 0 → 1 toggle of the recorded stream)")
        return problems, None, None

    # One spike train per node of the population, in ms from tick 0.
    order = np.argsort(ids, kind="stable")
    per_node = np.split(ts[order], np.cumsum(counts)[:-1])
    trains = [neo.SpikeTrain(np.sort(times) * pq.ms, t_start=0 * pq.ms, t_stop=t_stop * pq.ms) for times in per_node]
    if sum(len(t) for t in trains) != len(ts):
        return [f"{where}: the spike trains hold {sum(len(t) for t in trains)} spikes of {len(ts)}"], None, None
    seconds = float(t_stop) / 1000.0
    rate = len(ts) / (len(nodes) * seconds) if len(nodes) and seconds > 0 else float("nan")
    busiest = int(np.argmax(counts)) if len(nodes) else None
    summary = (f"{name}: {len(nodes)} nodes, {len(ts)} spikes in {ticks} ticks × {tick_ms:g} ms "
               f"({engine} engine, 1 of {streams} streams recorded, sorting {sorting}): "
               f"mean rate {rate:.4g} Hz, {int(np.sum(counts == 0))} silent nodes")
    if busiest is not None and len(ts):
        summary += f", busiest node {busiest} with {len(trains[busiest])} spikes"
    return problems, summary, trains


def check(path):
    """The violations of the run file at `path` (those of the first population that has any), and the lines
    to print when there are none. Tests import it to check many files in one process."""
    lines = []
    with h5py.File(path, "r") as f:
        if text(f.attrs.get("format", b"")) != "lutra-run":
            return [f"{path}: not a Lutra run file (no /@format 'lutra-run')"], lines
        populations = {name: ds[:] for name, ds in f["network/populations"].items()} if "network" in f else {}
        spikes = f.get("spikes")
        if spikes is None:
            return [], [f"{path}: no /spikes (a run without a timed recording)"]
        trains_built = 0
        for name, group in spikes.items():
            problems, summary, trains = check_population(f, name, group, populations)
            if problems:
                return [f"{path}: {p}" for p in problems], lines
            lines.append(summary)
            trains_built += len(trains)
        lines.append(f"{path}: {len(spikes)} populations under /spikes follow SONATA's spike-file rules and Lutra's; "
                     f"{trains_built} neo.SpikeTrain built")
    return [], lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run directory or its run.h5")
    args = parser.parse_args()
    path = os.path.join(args.run, "run.h5") if os.path.isdir(args.run) else args.run
    problems, lines = check(path)
    for line in lines:
        print(line)
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
