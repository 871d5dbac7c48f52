#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Benchmark of the numbers job (issue 2, item 10): hpar at layouts 1x1, 2x1, 1x2, to a file
and with --quiet, next to (a) a plain single-thread C++ loop making the same values and (b) the
tutorial's Python multiprocessing approach with 2 processes, all measured in the same run.

usage: bench/numbers_bench.py [--build build/release] [--inputs 1e7] [--repeat 3] [--no-python]
Prints a Markdown table of min times over the repeats and ratios against the references.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

LAYOUTS = [  # name, ranks, threads, binding flags (docs/usage.md: the np <= 2 binding trap)
    ("1x1", 1, 1, ["--bind-to", "core"]),
    ("2x1", 2, 1, ["--bind-to", "core"]),
    ("1x2", 1, 2, ["--bind-to", "none"]),
]


def timed(cmd, env=None):
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--inputs", default="1e7")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-python", action="store_true")
    args = ap.parse_args()
    n = int(float(args.inputs))
    hpar = os.path.join(args.build, "hpar")
    ref = os.path.join(args.build, "bench", "bench_numbers_ref")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_pml="ob1", OMPI_MCA_btl="self,vader")
    tmp = tempfile.mkdtemp(prefix="hpar-bench-")
    rows = []

    def best(samples):
        return min(samples)

    # References: plain C++ loop (values in memory; values formatted to a file).
    ref_values = best([float(timed([ref, "values", str(n)])[1].split()[0]) for _ in range(args.repeat)])
    ref_text = best([float(timed([ref, "text", str(n), "5", os.path.join(tmp, "ref.txt")])[1].split()[0])
                     for _ in range(args.repeat)])
    py_pool = py_serial = None
    if not args.no_python:
        py_pool = float(timed([sys.executable, os.path.join(os.path.dirname(__file__), "tutorial.py"), str(n), "2"])[1].split()[0])
        py_serial = float(timed([sys.executable, os.path.join(os.path.dirname(__file__), "tutorial.py"), str(n), "0"])[1].split()[0])

    for mode in ("quiet", "file"):
        for name, ranks, threads, bind in LAYOUTS:
            compute, gather, total, wall = [], [], [], []
            for _ in range(args.repeat):
                report = os.path.join(tmp, "report.json")
                cmd = ["mpirun", "-q", "-np", str(ranks), *bind, "-x", f"OMP_NUM_THREADS={threads}",
                       hpar, "run", "numbers", "--range", f"1:{n}", "--threads", str(threads),
                       "--no-report", "--report-json", report]
                cmd += ["--quiet"] if mode == "quiet" else ["--output", os.path.join(tmp, "out.txt")]
                seconds, _ = timed(cmd, env)
                r = json.load(open(report))
                compute.append(r["phases"]["compute"]["max"])
                gather.append(r["phases"]["gather"]["max"])
                total.append(r["phases"]["total"]["max"])
                wall.append(seconds)
            rows.append((mode, name, best(compute), best(gather), best(total), best(wall)))
            if mode == "file":
                subprocess.run(["cmp", os.path.join(tmp, "out.txt"), os.path.join(tmp, "ref.txt")], check=True)

    print(f"numbers over {n} inputs, min of {args.repeat} runs (seconds); "
          f"C++ loop: values {ref_values:.3f} s, formatted to a file {ref_text:.3f} s")
    if py_pool is not None:
        print(f"tutorial in Python: multiprocessing.Pool(2) {py_pool:.2f} s, serial {py_serial:.2f} s")
    print()
    print("| mode | layout | compute | gather | total (in job) | end to end (with mpirun) | C++ loop / total | Python Pool(2) / end to end |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, name, c, g, t, w in rows:
        base = ref_values if mode == "quiet" else ref_text
        py = f"{py_pool / w:.1f}x" if py_pool is not None else "-"
        print(f"| {mode} | {name} | {c:.3f} | {g:.3f} | {t:.3f} | {w:.3f} | {base / t:.2f} | {py} |")


if __name__ == "__main__":
    main()
