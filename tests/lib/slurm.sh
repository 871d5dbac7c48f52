# shellcheck shell=bash disable=SC2154 # dir: set by the script that sources this
# SPDX-License-Identifier: BSD-3-Clause
# A throwaway Slurm kept in one directory, and its jobs: shared by tests/slurm/cluster.sh (one
# node), tests/multihost/slurm-multi.sh (N simulated nodes) and the Slurm case runners. Source it
# after setting `dir` (the cluster's directory, absolute) and SLURM_CONF; skip.sh first.

# require_slurm: skip (HPAR_REQUIRE_SLURM) unless Slurm and munge are installed and we are root
# (slurmd starts jobs as their user).
require_slurm() {
  require_tools HPAR_REQUIRE_SLURM "Slurm tests" "slurm-wlm munge" \
    munged munge slurmctld slurmd sbatch scontrol sinfo squeue scancel srun
  require_root HPAR_REQUIRE_SLURM "the throwaway Slurm needs root (slurmd starts jobs as their user)"
}

# pid_of NAME: the pid in DIR/NAME.pid if that process is alive and was started from DIR.
pid_of() {
  local pid
  pid=$(cat "$dir/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/" || return 1
  echo "$pid"
}

# start_munge: a munged of our own (key, socket, pid and log in DIR/munge), checked by a round
# trip; exits 1 when it does not work.
start_munge() {
  mkdir -p "$dir/munge"
  chmod 700 "$dir/munge"
  if [ ! -s "$dir/munge/key" ]; then
    dd if=/dev/urandom of="$dir/munge/key" bs=1024 count=1 status=none
  fi
  chmod 600 "$dir/munge/key"
  rm -f "$dir/munge/socket" "$dir/munge/socket.lock"
  munged --force --socket="$dir/munge/socket" --key-file="$dir/munge/key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munge/log" --seed-file="$dir/munge/seed" \
    </dev/null >>"$dir/munge/log" 2>&1 || { echo "FAIL: munged did not start:" >&2; tail -5 "$dir/munge/log" >&2; exit 1; }
  for _ in $(seq 1 50); do
    [ -S "$dir/munge/socket" ] && break
    sleep 0.1
  done
  echo hello | munge --socket="$dir/munge/socket" | unmunge --socket="$dir/munge/socket" >/dev/null ||
    { echo "FAIL: munge round trip failed" >&2; exit 1; }
}

# wait_controller: waits (up to 10 s) until slurmctld answers.
wait_controller() {
  for _ in $(seq 1 50); do
    timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && return 0
    sleep 0.2
  done
  return 1
}

# cancel_jobs: when our slurmctld runs, kill and cancel our user's jobs and wait (up to 5 s)
# until the queue is empty.
cancel_jobs() {
  pid_of slurmctld >/dev/null || return 0
  timeout 10 scancel --quiet --full --signal=KILL --state=RUNNING "--user=$(id -un)" 2>/dev/null
  timeout 10 scancel --quiet "--user=$(id -un)" 2>/dev/null
  for _ in $(seq 1 25); do
    [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
    sleep 0.2
  done
}

# stop_daemons NAME...: TERM to all at once, up to 15 s, then KILL; only pids that pid_of
# vouches for.
stop_daemons() {
  local name pid pids=()
  for name in "$@"; do
    pid=$(pid_of "$name") && pids+=("$pid")
    rm -f "$dir/$name.pid"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  for _ in $(seq 1 75); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
  return 0
}

# common_conf PORT: the slurm.conf lines both test clusters share: slurmctld on PORT, slurmd on
# PORT + 1, munge and every file in DIR, jobs as their submitter, cores as the unit.
common_conf() {
  local port=$1
  cat <<CONF
SlurmUser=$(id -un)
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
StateSaveLocation=$dir/state
SlurmctldPidFile=$dir/slurmctld.pid
SlurmctldLogFile=$dir/slurmctld.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to 'scontrol show job' for 10 minutes; jobcomp keeps them for good.
MinJobAge=600
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
InactiveLimit=0
CONF
}

# final_state JOB: the job's state once it has ended (empty while it runs).
final_state() {
  local state
  state=$(timeout 10 scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1)
  state=${state#JobState=}
  case $state in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
      echo "$state"
      ;;
  esac
}

# wait_job_end JOB SECONDS: waits (polling every 0.2 s: `sbatch --wait` polls only every few
# seconds) until JOB has ended, at most SECONDS; sets STATE (empty when it has not ended).
wait_job_end() {
  STATE=
  for _ in $(seq 1 $(($2 * 5))); do
    STATE=$(final_state "$1")
    [ -n "$STATE" ] && return 0
    sleep 0.2
  done
}
