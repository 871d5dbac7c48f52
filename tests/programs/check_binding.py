#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks the binding hybrid_work reports (its "affinity:" lines) against the layout it ran.

usage: check_binding.py FILE RANKS THREADS [FILE RANKS THREADS ...]

Each FILE is the output of one hybrid_work run at RANKS x THREADS. Passes (exit 0) when there is
a line per rank and thread, every thread runs on a CPU of its mask, every rank's threads
together have exactly THREADS CPUs, and no two ranks share a CPU. Otherwise says what is wrong
and exits 1.
"""
import sys


def expand(mask):
    cpus = set()
    for part in mask.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def check(path, ranks, threads):
    # affinity: rank R thread T cpu C mask M
    lines = [l.split() for l in open(path) if l.startswith("affinity:")]
    assert len(lines) == ranks * threads, (path, lines)
    masks = {}
    for l in lines:
        masks.setdefault(int(l[2]), set()).update(expand(l[8]))
        assert int(l[6]) in expand(l[8]), (path, "thread off its mask", l)
    assert all(len(m) == threads for m in masks.values()), (path, "CPUs per rank", masks)
    used = [c for m in masks.values() for c in m]
    assert len(used) == len(set(used)), (path, "ranks share CPUs", masks)


def main(args):
    if len(args) % 3 != 0 or not args:
        sys.exit(__doc__)
    try:
        for i in range(0, len(args), 3):
            check(args[i], int(args[i + 1]), int(args[i + 2]))
    except AssertionError as e:
        print("binding:", e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
