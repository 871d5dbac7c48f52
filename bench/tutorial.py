#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The tutorial's approach: a function takes a number and loops from 1 to 5 adding the iteration
number to it; multiprocessing.Pool(P).map runs it over the inputs. Prints seconds and a checksum.

usage: tutorial.py N [PROCESSES]   (PROCESSES = 0: plain serial loop, no multiprocessing)
"""
import multiprocessing
import sys
import time


def numbers(x, steps=5):
    return [x + k for k in range(1, steps + 1)]


def main():
    n = int(sys.argv[1])
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    start = time.perf_counter()
    if processes == 0:
        results = [numbers(x) for x in range(1, n + 1)]
    else:
        with multiprocessing.Pool(processes) as pool:
            results = pool.map(numbers, range(1, n + 1))  # the tutorial: default chunking
    seconds = time.perf_counter() - start
    print(f"{seconds:.6f} {sum(r[-1] for r in results)}")


if __name__ == "__main__":
    main()
