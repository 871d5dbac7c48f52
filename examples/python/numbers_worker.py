# SPDX-License-Identifier: BSD-3-Clause
"""The tutorial's program as a worker of `hpar farm --worker` (see README.md here).

The tutorial ran numbers(x) on several inputs in several processes and joined the output as if
one process had made it. Here hpar does the dealing, the joining, retries, time limits, the job
log and resume; the function is the tutorial's, unchanged. Serial reference:

    for x in range(1, N + 1):
        print(numbers(x))
"""

from hpar_worker import serve


def numbers(x, steps=5):
    return [x + k for k in range(1, steps + 1)]


if __name__ == "__main__":
    serve(numbers, convert=int)  # the input text -> int; the list printed as print() would
