#!/usr/bin/python3
"""Plots Google Benchmark JSON output as horizontal bar charts.

For each input file NAME.json it writes, into --out (default docs/img):
  NAME_ns.png      CPU time per item (ns; per iteration when the benchmark
                   counts no items) of the benchmarks without a cpu_ms
                   counter;
  NAME_cpu_ms.png  the cpu_ms counter of those that report one (process CPU
                   time measured inside the benchmark).

  bazel run -c opt //testing/benchmarks:timers_benchmark -- \
      --benchmark_out=/tmp/timers.json --benchmark_out_format=json
  /usr/bin/python3 testing/benchmarks/plot.py /tmp/timers.json
Needs Debian's python3-matplotlib (use /usr/bin/python3).
"""

import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def _label(run):
    name = run["name"]
    return name[3:] if name.startswith("BM_") else name


def _ns_per_item(run):
    """CPU ns per item when the benchmark counts items (batches of many
    operations per iteration), else per iteration."""
    cpu_ns = run["cpu_time"] * _TO_NS[run.get("time_unit", "ns")]
    items = run.get("items_per_second")
    if items:
        # items_per_second is items over CPU time, so this is exact.
        return 1e9 / items
    return cpu_ns


def _bar_chart(rows, xlabel, title, path):
    labels = [label for label, _ in rows]
    values = [value for _, value in rows]
    height = 0.45 * len(rows) + 1.2
    fig, ax = plt.subplots(figsize=(9, height))
    bars = ax.barh(range(len(rows)), values, color="#4C72B0")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    for bar, value in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                " %.3g" % value, va="center", fontsize=8)
    ax.set_xlim(0, max(values) * 1.18 if values else 1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("wrote", path)


def plot_file(path, out_dir):
    with open(path) as f:
        data = json.load(f)
    runs = [r for r in data.get("benchmarks", [])
            if r.get("run_type", "iteration") == "iteration"
            and not r.get("error_occurred")]
    if not runs:
        sys.exit("%s: no benchmark runs" % path)
    base = os.path.splitext(os.path.basename(path))[0]
    context = data.get("context", {})
    note = "%s, %s CPUs, load %s" % (
        context.get("date", "?"), context.get("num_cpus", "?"),
        ", ".join("%.1f" % x for x in context.get("load_avg", [])) or "?")
    per_op = [(_label(r), _ns_per_item(r)) for r in runs if "cpu_ms" not in r]
    cpu_ms = [(_label(r), r["cpu_ms"]) for r in runs if "cpu_ms" in r]
    if per_op:
        _bar_chart(per_op, "CPU time per operation or item (ns), lower is better",
                   "%s\n(%s)" % (base, note),
                   os.path.join(out_dir, base + "_ns.png"))
    if cpu_ms:
        _bar_chart(cpu_ms, "process CPU time (ms), lower is better",
                   "%s: CPU to fire 100k timers spread over 1 s\n(%s)" % (
                       base, note),
                   os.path.join(out_dir, base + "_cpu_ms.png"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="benchmark JSON files")
    parser.add_argument("--out", default="docs/img", help="output directory")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for path in args.inputs:
        plot_file(path, args.out)


if __name__ == "__main__":
    main()
