# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# One case at a time on this machine for tests that use fixed system-wide resources (the
# simulated hosts' namespace names and addresses, a Slurm's job ids in the shared /tmp), also
# when ctest runs in several checkouts at once: a second run waits for the first, it does not
# fail. Sourced by the runners.

# exclusive NAME SECONDS SCRIPT [ARG...]: the runner calls it first thing, with its own path and
# arguments. The first time it waits for the lock NAME (flock on /run/lock/hpar-NAME.lock, at
# most HPAR_LOCK_WAIT seconds, default 1200), then runs `bash SCRIPT ARG...` again with at most
# SECONDS and exits with its status (124 when over time). In that second run
# (HPAR_EXCLUSIVE=NAME) it returns at once. The lock stays with the first process and is not
# inherited: a daemon the case leaves up (a reused Slurm) cannot hold it.
exclusive() {
  local name=$1 seconds=$2 dir=/run/lock lock fd rc wait=${HPAR_LOCK_WAIT:-1200}
  shift 2
  [ "${HPAR_EXCLUSIVE:-}" = "$name" ] && return 0
  [ -d "$dir" ] && [ -w "$dir" ] || dir=${TMPDIR:-/tmp}
  lock=$dir/hpar-$name.lock
  exec {fd}>>"$lock" || { echo "FAIL: cannot open $lock" >&2; exit 1; }
  if ! flock -n "$fd"; then
    echo "waiting (up to $wait s) for $lock: another run is using the $name resources" >&2
    flock -w "$wait" "$fd" || { echo "FAIL: $lock still held after $wait s" >&2; exit 1; }
  fi
  HPAR_EXCLUSIVE=$name timeout --kill-after=60 "$seconds" bash "$@" {fd}>&-
  rc=$?
  [ $rc = 124 ] && echo "FAIL: the case ran longer than $seconds s" >&2
  exit $rc
}
