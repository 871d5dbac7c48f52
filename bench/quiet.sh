# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the benchmark scripts: the load average printed beside each figure, and a wait for
# a quiet machine before each part.

# load: the 1-minute load average.
load() { cut -d' ' -f1 /proc/loadavg; }

# quiet: waits (at most 3 minutes) until the 1-minute load average is below 0.5.
quiet() {
  local _
  for _ in $(seq 1 36); do
    awk '{ exit !($1 < 0.5) }' /proc/loadavg && return 0
    sleep 5
  done
  echo "warning: the load average stays at $(load): figures below are not from a quiet machine"
}

# best3 OUT IN CMD...: the least wall time of 3 runs of CMD, 3 decimals; each run reads its
# standard input from the file IN (/dev/null for none) and writes its standard output to the
# file OUT and its standard error to OUT.err.
best3() {
  local out=$1 in=$2 best="" _ start end t
  shift 2
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$@" <"$in" >"$out" 2>"$out.err"
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf '%.3f' "$best"
}

# bench_begin HPAR [TOOL...]: stops without the built HPAR or a TOOL (its Debian package has its
# name), lets Open MPI run as root, and makes $work, a folder removed when the script exits.
bench_begin() {
  local tool
  [ -x "$1" ] || { echo "no $1: build first" >&2; exit 1; }
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install $tool)" >&2; exit 1; }
  done
  if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
  # shellcheck disable=SC2034 # $work is the sourcing script's
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
}

