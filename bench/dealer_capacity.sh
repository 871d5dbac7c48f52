#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The message dealer's capacity (issue 18): rank 0's time per answered request for work, at 2
# and 4 ranks, one block per deal and 16 (bench/dealer_capacity.cpp). Each figure the best
# (least time per answer) of 3 runs, with the load average beside it; waits for a quiet machine.
#   bash bench/dealer_capacity.sh [BUILD_DIR] [BLOCKS]     (defaults: build/release 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
blocks=${2:-200000}
bench=$build/bench/bench_dealer_capacity
[ -x "$bench" ] || { echo "no $bench: build first" >&2; exit 1; }
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# shellcheck source=bench/quiet.sh
. bench/quiet.sh
for np in 2 4; do
  for k in 1 16; do
    quiet
    best=""
    for _ in 1 2 3; do
      line=$(HPAR_DYNAMIC_DEALER=messages mpirun --oversubscribe -np "$np" \
        -x HPAR_DYNAMIC_DEALER "$bench" "$blocks" "$k")
      us=$(awk '/^rank 0:/ { print $3 }' <<<"$line")
      if [ -z "$best" ] || awk -v a="$us" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best=$us
        best_line=$line
      fi
    done
    echo "== $np ranks, $k block(s) per deal (load average $(load))"
    echo "$best_line"
  done
done
