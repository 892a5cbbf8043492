#!/usr/bin/env python3
"""Reads a Lutra run file (run.h5) with h5py alone, to show that the layout of
docs/run-file.md stands without Lutra: the format attributes, the node counts
per population, the metrics table, the effective fan-in of the first few
nodes recomputed from /network/tables, and the per-node statistics of /stats.

    python3 read_run.py RUN_DIR_OR_RUN.h5 [--nodes N] [--check]

--check also verifies what the file says against itself (sizes, populations,
head) and exits 1 on the first mismatch. Without h5py it exits 77, which the
ctest test reports as skipped.
"""
import argparse
import os
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"read_run.py: {e}; install python3-h5py (apt-get install python3-h5py, or bash .ci/setup)", file=sys.stderr)
    sys.exit(77)


def text(value):
    """A string attribute as str: format_version 2 stores fixed-length strings, which h5py returns as bytes."""
    return value.decode() if isinstance(value, bytes) else value


def table_words(k):
    return 1 if k <= 6 else 1 << (k - 6)


def table_bit(words, address):
    return (int(words[address // 64]) >> (address % 64)) & 1


def effective_fan_in(k, words):
    """Input i matters iff some address pair differing only in bit i gives different outputs."""
    count = 0
    for i in range(k):
        if any(table_bit(words, a) != table_bit(words, a | (1 << i)) for a in range(1 << k) if not a & (1 << i)):
            count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run directory or its run.h5")
    parser.add_argument("--nodes", type=int, default=5, help="nodes whose effective fan-in to recompute")
    parser.add_argument("--check", action="store_true", help="verify the file's sizes and indices against each other")
    args = parser.parse_args()
    path = os.path.join(args.run, "run.h5") if os.path.isdir(args.run) else args.run

    with h5py.File(path, "r") as f:
        fmt = text(f.attrs.get("format"))
        version = int(f.attrs.get("format_version", 0))
        if fmt != "lutra-run" or not 1 <= version <= 2:
            sys.exit(f"{path}: not a Lutra run file this example reads (format {fmt!r}, version {version})")
        print(f"{path}: written by lutra {text(f.attrs['lutra_version'])}, format {version}, seed {f.attrs['seed']}")

        net = f["network"]
        k = net["k"][:]
        sources = net["sources"][:]
        tables = net["tables"][:]
        num_inputs = int(net.attrs["num_inputs"])
        outputs = net["head/outputs"][:]
        num_classes = int(net["head"].attrs["num_classes"])
        print(f"network: {len(k)} nodes, {num_inputs} input bits, {len(sources)} slots, {len(tables)} table words, "
              f"{num_classes} classes over {len(outputs)} outputs")

        populations = {name: ds[:] for name, ds in net["populations"].items()}  # creation (gene) order
        for name, nodes in populations.items():
            print(f"population {name}: {len(nodes)} nodes")

        metrics = f["metrics"][:]
        print("epoch  split         loss  accuracy  seconds")
        for row in metrics:
            print(f"{row['epoch']:5d}  {row['split'].decode():12s} {row['loss']:6.4f}  {row['accuracy']:8.4f}"
                  f"  {row['seconds']:7.1f}")

        word_offset = np.concatenate(([0], np.cumsum([table_words(int(x)) for x in k])))
        for n in range(min(args.nodes, len(k))):
            words = tables[word_offset[n]:word_offset[n + 1]]
            print(f"node {n}: k = {k[n]}, effective fan-in {effective_fan_in(int(k[n]), words)}")

        stats = f.get("stats")
        if stats is not None:
            epochs = stats["epoch"][:]
            print(f"stats: {len(epochs)} rows (epochs {epochs[0] if len(epochs) else '-'}..{epochs[-1] if len(epochs) else '-'}), "
                  f"{stats.attrs['samples']} {text(stats.attrs['split'])} samples")
            for name, group in stats.items():
                if name == "epoch" or not len(epochs):
                    continue
                rate = group["activation_rate"][len(epochs) - 1]
                line = f"stats {name}: mean activation {rate.mean():.3f}, mean entropy {group['entropy'][len(epochs) - 1].mean():.3f} bits"
                if "sensitivity" in group:
                    sens = group["sensitivity"][len(epochs) - 1]
                    line += f", most sensitive node {int(group['nodes'][int(sens.argmax())])} ({sens.max():.3f})"
                print(line)
                # Each plasticity rule's summary: its own rows, those whose epoch /stats/epoch names.
                for rule, columns in group.get("rules", {}).items():
                    rows = [e for e in columns["epoch"][:] if e in epochs]
                    if rows:
                        means = ", ".join(f"{q} {np.nanmean(columns[q][len(rows) - 1]):.4g}" for q in columns if q != "epoch")
                        print(f"stats {name} rule {rule}: epoch {rows[-1]}: {means} (means over the nodes)")

        if args.check:
            problems = []
            if stats is not None:
                rows = len(stats["epoch"])
                for name, group in stats.items():
                    if name == "epoch":
                        continue
                    cols = len(group["nodes"])
                    if name in populations and not np.array_equal(group["nodes"][:], populations[name]):
                        problems.append(f"/stats/{name}/nodes differ from /network/populations/{name}")
                    for stat in ("activation_rate", "entropy", "flips", "grad_abs_mean", "sensitivity", "entry_usage"):
                        if stat in group and (group[stat].shape[0] < rows or group[stat].shape[1] != cols):
                            problems.append(f"/stats/{name}/{stat} has shape {group[stat].shape} for {rows} rows of {cols} nodes")
                    for rule, columns in group.get("rules", {}).items():
                        kept = sum(1 for e in columns["epoch"][:] if e in stats["epoch"][:])
                        for q in columns:
                            if q != "epoch" and (columns[q].shape[0] < kept or columns[q].shape[1] != cols):
                                problems.append(f"/stats/{name}/rules/{rule}/{q} has shape {columns[q].shape} for {kept} rows of {cols} nodes")
                    if "entry_usage" in group and rows:
                        # Every sample hits exactly one address of every node.
                        totals = group["entry_usage"][rows - 1].sum(axis=1)
                        if not (totals == int(stats.attrs["samples"])).all():
                            problems.append(f"/stats/{name}/entry_usage rows do not sum to the samples")
            if len(sources) != int(k.sum()):
                problems.append(f"{len(sources)} sources, but the k sum to {int(k.sum())}")
            if len(net["delays"]) != len(sources):
                problems.append(f"{len(net['delays'])} delays for {len(sources)} slots")
            if len(tables) != word_offset[-1]:
                problems.append(f"{len(tables)} table words, but the k need {word_offset[-1]}")
            if len(sources) and int(sources.max()) >= num_inputs + len(k):
                problems.append(f"a source id {int(sources.max())} past the {num_inputs + len(k)} sources")
            counted = sum(len(nodes) for nodes in populations.values())
            distinct = len(set(np.concatenate(list(populations.values())).tolist())) if populations else 0
            if counted != distinct or counted > len(k):
                problems.append(f"populations hold {counted} nodes, {distinct} distinct, of {len(k)}")
            if num_classes and len(outputs) % num_classes:
                problems.append(f"{len(outputs)} head outputs do not split into {num_classes} classes")
            if len(metrics) == 0:
                problems.append("no metrics rows")
            for p in problems:
                print(f"check failed: {p}", file=sys.stderr)
            if problems:
                sys.exit(1)
            print("check: sizes, indices, populations, head and stats agree")


if __name__ == "__main__":
    main()
