# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Launcher flags of the case tests for the MPI hpar was built with (sourced). Open MPI's mpirun
# and MPICH's Hydra mpiexec spell binding and environment passing differently; CMake passes
# the MPI (HPAR_MPI_FLAVOUR: openmpi or mpich) and the flags of a plain test launch
# (HPAR_MPIEXEC_FLAGS: quiet, oversubscription allowed, no binding) from
# cmake/HparTesting.cmake. A case builds its flags in the array LAUNCH:
#   launch_reset; launch_bind 2; launch_env OMP_NUM_THREADS=2
#   capture "$MPIEXEC" -n 1 "${LAUNCH[@]}" "$HPAR" run numbers

: "${HPAR_MPI_FLAVOUR:?set by tests/CMakeLists.txt}" "${HPAR_MPIEXEC_FLAGS?set by tests/CMakeLists.txt}"
LAUNCH=()

# launch_reset: LAUNCH = the launcher's quiet flag alone (no binding flag: add one).
launch_reset() {
  LAUNCH=()
  [ "$HPAR_MPI_FLAVOUR" = openmpi ] && LAUNCH=(-q)
  return 0
}

# launch_plain: LAUNCH = the flags of a plain test launch (HPAR_MPIEXEC_FLAGS).
launch_plain() { read -ra LAUNCH <<<"$HPAR_MPIEXEC_FLAGS"; }

# launch_bind CORES: adds the flags that bind each rank to CORES cores of its own (Open MPI:
# --bind-to core, with --map-by slot:PE=CORES for more than one; Hydra: --bind-to core:CORES).
launch_bind() {
  if [ "$HPAR_MPI_FLAVOUR" = mpich ]; then
    LAUNCH+=(--bind-to "core:$1")
  elif [ "$1" = 1 ]; then
    LAUNCH+=(--bind-to core)
  else
    LAUNCH+=(--map-by "slot:PE=$1" --bind-to core)
  fi
}

# launch_env VAR=VALUE...: adds the flags that set each VAR on every rank (Open MPI: -x;
# Hydra: -genv VAR VALUE).
launch_env() {
  local pair
  for pair in "$@"; do
    if [ "$HPAR_MPI_FLAVOUR" = mpich ]; then
      LAUNCH+=(-genv "${pair%%=*}" "${pair#*=}")
    else
      LAUNCH+=(-x "$pair")
    fi
  done
}

# mpi_library_name: how the MPI names itself in MPI_Get_library_version ("Open MPI", "MPICH").
mpi_library_name() {
  if [ "$HPAR_MPI_FLAVOUR" = mpich ]; then echo MPICH; else echo "Open MPI"; fi
}

# launched_ranks PID: the rank processes of the launcher PID on this host (Open MPI: mpirun's
# children; Hydra: the children of its hydra_pmi_proxy).
launched_ranks() {
  local p
  for p in $(pgrep -P "$1"); do
    if [ "$(ps -o comm= -p "$p")" = hydra_pmi_proxy ]; then pgrep -P "$p"; else echo "$p"; fi
  done
}

# start_bg NP ARGS...: hpar under mpiexec in the background (stdout bg.out, stderr bg.err);
# sets LAUNCHER to mpiexec's pid.
start_bg() {
  local np=$1
  shift
  launch_plain
  "$MPIEXEC" -n "$np" "${LAUNCH[@]}" "$HPAR" "$@" >bg.out 2>bg.err &
  LAUNCHER=$!
}

# stop_bg: sends SIGTERM to the ranks started by start_bg (as Slurm does at a time limit) and
# waits for the end; sets RC, OUT and ERR.
# shellcheck disable=SC2034 # RC, OUT and ERR are the checks' (tests/lib/assert.sh)
stop_bg() {
  # shellcheck disable=SC2046 # one pid per word
  kill -TERM $(launched_ranks "$LAUNCHER")
  wait "$LAUNCHER"
  RC=$?
  OUT=$(cat bg.out)
  ERR=$(cat bg.err)
}

# only_with_open_mpi WHY: skips the case (exit 77) in a build with another MPI.
only_with_open_mpi() {
  [ "$HPAR_MPI_FLAVOUR" = openmpi ] && return 0
  echo "SKIP: $HPAR_MPI_FLAVOUR build: $*" >&2
  exit 77
}
