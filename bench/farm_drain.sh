#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2154 # $work is bench_begin's (bench/quiet.sh)
# The work a farm loses at a Slurm time limit, with the drain and without it (issue 19). One
# workload, 80 tasks of 1 to 5 s (240 task-seconds, 120 s on 2 slots), under a 2-minute limit
# with the stop signal 5 s before it (Slurm sends it on its 30 s polls: 5 to 35 s before),
# chained by slurm/hybrid.sbatch's HPAR_RESUBMIT until it completes, on the throwaway Slurm of
# tests/slurm/cluster.sh:
#   drain     the default inside Slurm, --drain-lead 45: no task starts that cannot end 45 s
#             before the job's end (p90 of the tasks seen), the running ones finish
#   signal    --deadline 0: tasks start until the stop signal, which ends the running ones
# Each task logs its start and its end; a run with no end was cut (by the stop signal), and the
# work lost is the seconds of cut runs (from their start to their job's end; run again later),
# against the allocations' slot-seconds (each job's RunTime x 2 slots). Not a timing benchmark (tasks sleep): load does not change the counts.
#   bash bench/farm_drain.sh [BUILD_DIR]        (root, Slurm and munge installed; ~6 minutes)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-$src/build/release}
# shellcheck source=bench/quiet.sh
source "$here/quiet.sh"
bench_begin "$build/hpar" sbatch slurmctld
# shellcheck source=tests/lib/slurm.sh
source "$src/tests/lib/slurm.sh"
HPAR=$build/hpar
export HPAR
"$src/tests/slurm/cluster.sh" start "$work/slurm" >"$work/cluster.env"
# shellcheck disable=SC1091 # written just above
source "$work/cluster.env"
trap '"$src/tests/slurm/cluster.sh" stop "$work/slurm" >/dev/null 2>&1; rm -rf "$work"' EXIT

cat >"$work/task.sh" <<'TASK'
#!/bin/sh
d=$((1 + $1 * 7 % 5))
echo "start $1 $(date +%s.%N)" >>runs.log
sleep "$d"
echo "end $1 $(date +%s.%N)" >>runs.log
echo "task $1"
TASK
chmod +x "$work/task.sh"

# chain NAME FARM_OPTION...: the workload as a chain of jobs; prints its figures.
chain() {
  local name=$1 dir=$work/$1 job next jobs=0 slot_seconds=0 run
  shift
  mkdir -p "$dir"
  cp "$work/task.sh" "$dir/"
  job=$(HPAR_CHECKPOINT=$dir/ck HPAR_RESUBMIT=8 HPAR_RESUBMIT_ARGS=--signal=B:TERM@5 \
    sbatch --parsable --chdir="$dir" --time=2 --signal=B:TERM@5 "$src/slurm/hybrid.sbatch" \
    farm "$@" --range 1:80 -- ./task.sh)
  while [ -n "$job" ]; do
    wait_job_end "$job" 200
    [ -n "$STATE" ] || { echo "job $job did not end" >&2; exit 1; }
    run=$(scontrol -o show job "$job" | grep -o 'RunTime=[0-9:-]*' | awk -F'[=:]' '{ print $2 * 3600 + $3 * 60 + $4 }')
    for field in StartTime EndTime; do
      date -d "$(scontrol -o show job "$job" | grep -o " $field=[^ ]*" | cut -d= -f2)" +%s
    done | paste -sd' ' >>"$dir/jobs.txt"
    jobs=$((jobs + 1))
    slot_seconds=$((slot_seconds + 2 * run))
    next=$(grep -ho 'resubmitted as job [0-9]*' "$dir"/*-"$job".out | grep -o '[0-9]*$' || true)
    [ -n "$next" ] || grep -q 'verification PASS (all 80 tasks exited 0)' "$dir"/*-"$job".out ||
      { echo "$name: job $job ($STATE) neither resubmitted nor complete:" >&2; tail -n 15 "$dir"/*-"$job".out >&2; exit 1; }
    job=$next
  done
  # A run with no end before the task's next start (or the log's end) was cut: it is lost
  # from its start to the end of the job it ran in (jobs.txt: each job's start and end).
  sort -k3 -n "$dir/runs.log" >"$dir/runs.sorted"
  awk -v name="$name" -v jobs="$jobs" -v slots="$slot_seconds" -v load="$(load)" '
    function job_end(t,   k) { for (k = 1; k <= n; k++) if (t <= e[k]) return e[k]; return e[n] }
    function cut(i) { lost += job_end(open[i]) - open[i]; cuts++; delete open[i] }
    FNR == NR { n++; e[n] = $2; next }
    $1 == "start" { if ($2 in open) cut($2); open[$2] = $3; starts++ }
    $1 == "end" { work += $3 - open[$2]; delete open[$2] }
    END {
      for (i in open) cut(i)
      printf "%-7s %d jobs, %d slot-s allocated, %d runs (%d cut), work done %.0f s, " \
        "work lost %.1f s = %.2f %% of the allocations  (load %s)\n",
        name, jobs, slots, starts, cuts, work, lost, 100 * lost / slots, load
    }' "$dir/jobs.txt" "$dir/runs.sorted"
}

echo "== farm under a 2-minute Slurm limit, 80 tasks of 1-5 s on 2 slots, resubmitted until done =="
chain drain --drain-lead 45
chain signal --deadline 0
