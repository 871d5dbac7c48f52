# shellcheck shell=bash disable=SC2154 # hpar, launcher: set by the script that holds the block
# The launch block of the batch scripts: the one source of `launch`, which starts hpar through
# srun or mpirun, and of the trap that passes a stop on to it.
#
# sbatch copies a batch script to a spool directory before it runs it, so a script cannot
# source this file. Each script of slurm/ carries a copy of the lines from BEGIN to END below
# instead, written by slurm/lib/sync-launch.sh; `hpar slurm` prints slurm/hybrid.sbatch's copy
# (read into the binary when it is built). tests/cli/slurm_cases.sh fails when a copy differs.
# To change the block: edit it here, run `bash slurm/lib/sync-launch.sh`, rebuild hpar.
#
# ---- BEGIN launch (one source: slurm/lib/launch.bash; copies: slurm/lib/sync-launch.sh) ----
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
  echo "command: ${cmd[*]}"
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
# ---- END launch ----
