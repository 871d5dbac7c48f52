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
