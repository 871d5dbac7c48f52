# shellcheck shell=bash disable=SC2154 # hpar, launcher: set by the script that holds the block
# SPDX-License-Identifier: BSD-3-Clause
# The launch block of the batch scripts: the one source of `launch`, which starts hpar through
# srun or mpirun, and of the trap that passes a stop on to it.
#
# sbatch copies a batch script to a spool directory before it runs it, so a script cannot
# source this file. Each script of slurm/ carries a copy of the lines from BEGIN to END below
# instead, written by slurm/lib/sync-launch.sh; `hpar slurm` prints slurm/hybrid.sbatch's copy
# (read into the binary when it is built). tests/cli/slurm_cases.sh fails when a copy differs.
# To change the block: edit it here, run `bash slurm/lib/sync-launch.sh`, rebuild hpar.
# Its binding (OMP_PLACES, OMP_PROC_BIND, srun --cpu-bind, mpirun --map-by/--bind-to) is hpar's
# own, include/hpar/launch/binding.hpp: tests/cli/slurm_cases.sh (binding_same_as_launch_bash)
# fails when the two choose differently, so change both together.
#
# ---- BEGIN launch (one source: slurm/lib/launch.bash; copies: slurm/lib/sync-launch.sh) ----
# shell_words WORD...: the words as one line a shell reads back as the same words ('...'
# around any word with other characters than letters, digits and _./:=,+@%-).
# shellcheck disable=SC2317 # not every script uses every function of the block
shell_words() {
  local word line=
  for word; do
    if [[ $word =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then
      line+=" $word"
    else
      line+=" '${word//\'/\'\\\'\'}'"
    fi
  done
  printf '%s' "${line# }"
}
# launch REPORT NTASKS PER_NODE THREADS ARGS...: runs `hpar ARGS` on NTASKS ranks, PER_NODE a
# node, each with THREADS OpenMP threads on cores of its own, through $launcher (direct: one
# hpar in this batch step, for `hpar sweep`, which starts the ranks itself). A SIGTERM or
# SIGINT of this script (--signal=B:TERM@..., scancel --batch, the time limit) is passed on to
# the ranks and sets `stopping`. Returns hpar's exit code: 4 when the ranks stopped early, and
# REPORT (the JSON file ARGS write) then says "complete": false.
launch() {
  local report=$1 ntasks=$2 per_node=$3 threads=$4 rc next
  shift 4
  if [ "$stopping" = 1 ]; then
    echo "hpar: error: stopped by a signal before the run started" >&2
    return 4
  fi
  export OMP_NUM_THREADS=$threads OMP_PLACES=cores OMP_PROC_BIND=close
  local cmd
  case $launcher in
    srun) # srun takes no --cpus-per-task from the allocation since Slurm 22.05: pass it on
      cmd=(srun "--mpi=${HPAR_SRUN_MPI:-pmix}" --cpu-bind=cores "--cpus-per-task=$threads"
        "--ntasks=$ntasks" "--ntasks-per-node=$per_node" --disable-status)
      ;;
    mpirun) # on SIGTERM mpirun passes it on, then kills the ranks this many seconds later
      cmd=(mpirun -np "$ntasks" --map-by "ppr:$per_node:node:PE=$threads" --bind-to core
        -x OMP_NUM_THREADS -x OMP_PLACES -x OMP_PROC_BIND)
      export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-5}
      ;;
    direct) # hpar sweep: it launches every layout itself, and stops them on SIGTERM
      cmd=()
      ;;
    *)
      echo "hpar: error: HPAR_LAUNCHER must be srun or mpirun, not '$launcher'" >&2
      return 2
      ;;
  esac
  cmd+=("$hpar" "$@")
  echo "command: $(shell_words "${cmd[@]}")"
  "${cmd[@]}" &
  launcher_pid=$!
  # A trapped signal interrupts `wait`: wait until the launcher has really ended, then
  # collect its exit status (bash keeps it for a later `wait`).
  while kill -0 "$launcher_pid" 2>/dev/null; do
    wait "$launcher_pid"
    next=$?
    [ "$next" = 127 ] && break
  done
  wait "$launcher_pid"
  rc=$?
  launcher_pid=
  # mpirun ends with a code of its own (1) when a rank stopped by a signal exits non-zero.
  if [ "$stopping" = 1 ] && [ "$rc" != 0 ] && [ "$rc" != 4 ] &&
    grep -q '"complete": false' "$report" 2>/dev/null; then
    rc=4
  fi
  return "$rc"
}
# Passes a stop on to the ranks: a bash waiting for a command acts on a signal only after it.
#   srun answers a SIGTERM by killing its tasks: it gets SIGINT, which --disable-status has it
#   pass on to every task as is.
#   mpirun ends at once on a second SIGTERM (Slurm may have sent the first), leaving its ranks
#   behind: this node's ranks (mpirun's children) get it directly; hpar tells the other ranks.
#   direct: hpar itself gets SIGTERM and stops what it launched.
stopping=0
launcher_pid=
# shellcheck disable=SC2317 # run by the trap
forward_stop() {
  stopping=1
  [ -n "$launcher_pid" ] || return 0
  if [ "$launcher" = srun ]; then
    kill -INT "$launcher_pid" 2>/dev/null
  elif [ "$launcher" = direct ]; then
    kill -TERM "$launcher_pid" 2>/dev/null
  else
    # shellcheck disable=SC2046 # one pid per word
    kill -TERM $(ps -o pid= --ppid "$launcher_pid") 2>/dev/null
  fi
  return 0
}
trap forward_stop TERM INT
# checkpoint_args: CHECKPOINT_ARGS = hpar's checkpoint options for this job: with
# HPAR_CHECKPOINT=DIR, `--checkpoint DIR`, and `--resume` when DIR already holds a checkpoint
# (an earlier job of the chain stopped at its time limit). Empty without HPAR_CHECKPOINT.
# shellcheck disable=SC2317 # not every script uses every function of the block
checkpoint_args() {
  CHECKPOINT_ARGS=()
  [ -n "${HPAR_CHECKPOINT:-}" ] || return 0
  CHECKPOINT_ARGS=(--checkpoint "$HPAR_CHECKPOINT")
  [ -e "$HPAR_CHECKPOINT/manifest.json" ] && CHECKPOINT_ARGS+=(--resume)
  return 0
}
# resubmit_after_stop RC ARGS...: after a run that stopped early (RC 4: the time limit's
# signal) with a checkpoint, submits this script again with ARGS (the resubmitted job resumes
# the checkpoint), at most HPAR_RESUBMIT times in the whole chain (HPAR_RESUBMITTED counts
# them). The new job gets this job's nodes, tasks per node, CPUs per task, time limit,
# partition, name and directory, and HPAR_RESUBMIT_ARGS (more sbatch options, e.g. a
# --signal=B:TERM@15 given on the first sbatch line). Returns 0 when it submitted one.
# shellcheck disable=SC2317 # not every script uses every function of the block
resubmit_after_stop() {
  local rc=$1 done=${HPAR_RESUBMITTED:-0} limit script id
  shift
  [ "$rc" = 4 ] && [ "${HPAR_RESUBMIT:-0}" -gt "$done" ] || return 1
  if [ -z "${HPAR_CHECKPOINT:-}" ]; then
    echo "hpar: HPAR_RESUBMIT needs HPAR_CHECKPOINT=DIR (what the next job resumes): not resubmitted" >&2
    return 1
  fi
  limit=$(scontrol -o show job "$SLURM_JOB_ID" | grep -o 'TimeLimit=[^ ]*' | cut -d= -f2)
  script=$(scontrol -o show job "$SLURM_JOB_ID" | grep -o 'Command=[^ ]*' | cut -d= -f2)
  # --chdir: where this job runs (its --chdir, else the folder it was submitted from), the
  # folder its relative paths and its output are in: not SLURM_SUBMIT_DIR.
  local opts=(--parsable --chdir "$PWD" --job-name "${SLURM_JOB_NAME:-hpar}"
    --nodes "${SLURM_JOB_NUM_NODES:-1}" --ntasks-per-node "${per_node:-1}"
    --cpus-per-task "${SLURM_CPUS_PER_TASK:-1}"
    --export "ALL,HPAR_RESUBMITTED=$((done + 1)),HPAR_CHECKPOINT=$HPAR_CHECKPOINT")
  [ -n "$limit" ] && [ "$limit" != UNLIMITED ] && opts+=(--time "$limit")
  [ -n "${SLURM_JOB_PARTITION:-}" ] && opts+=(--partition "$SLURM_JOB_PARTITION")
  # shellcheck disable=SC2206 # sbatch options, one per word
  [ -n "${HPAR_RESUBMIT_ARGS:-}" ] && opts+=($HPAR_RESUBMIT_ARGS)
  if ! id=$(sbatch "${opts[@]}" "$script" "$@"); then
    echo "hpar: error: could not resubmit $script" >&2
    return 1
  fi
  echo "hpar: stopped at the time limit (or drained before it): resubmitted as job $id ($((done + 1)) of" \
    "${HPAR_RESUBMIT} resubmissions), which resumes the checkpoint in $HPAR_CHECKPOINT"
  return 0
}
# ---- END launch ----
