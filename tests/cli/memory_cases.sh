# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Memory under `ulimit -v` (prlimit --as on mpirun, inherited by the ranks): a request that
# cannot fit is refused up front with exit 2 naming the need and the limit; one that fits runs;
# an allocation that fails anyway (data the options do not tell: wordcount's distinct words)
# ends every rank with "out of memory" and exit 1, never an abort. The limits are set relative
# to the address space a rank maps without the job's data, measured first. (Not under
# sanitizers, which map terabytes of shadow memory.)

# baseline_address_space: VmPeak (bytes) of a rank computing a job that allocates nothing.
baseline_address_space() {
  "$MPIEXEC" -q -n 2 --oversubscribe --bind-to none -x OMP_NUM_THREADS=1 "$HPAR" run pi \
    --samples 1e13 --progress off </dev/null >/dev/null 2>&1 &
  local launcher=$! pid="" kb=""
  for _ in $(seq 100); do
    pid=$(pgrep -P "$launcher" | head -1)
    [ -n "$pid" ] && kb=$(awk '/^VmPeak:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    [ -n "$kb" ] && [ "$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")" -ge 2 ] && break
    sleep 0.1
  done
  sleep 1
  kb=$(awk '/^VmPeak:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
  kill -TERM "$launcher"
  wait "$launcher"
  [ -n "$kb" ] || fail "no rank to measure"
  echo $((kb * 1024))
}

# limited_np BYTES ARGS...: `hpar ARGS` at 2 ranks with an address-space limit of BYTES.
limited_np() {
  local bytes=$1
  shift
  capture prlimit --as="$bytes" "$MPIEXEC" -q -n 2 --oversubscribe --bind-to none \
    -x OMP_NUM_THREADS=1 "$HPAR" "$@" </dev/null
}

skip_under_sanitizers() {
  if ldd "$HPAR" | grep -q 'libasan\|libtsan'; then
    echo "sanitizer build: RLIMIT_AS cannot be tested"
    exit 0
  fi
}

case_ulimit_refuses_what_cannot_fit_up_front() {
  only_with_open_mpi "finds the ranks as mpirun's children"
  skip_under_sanitizers
  local base
  base=$(baseline_address_space)
  local limit=$((base + 100 * 1024 * 1024))
  # 2e7 elements: 240 MB per rank of arrays, more than the 100 MB left: refused at set-up.
  limited_np "$limit" run triad --size 2e7 --repeat 1
  expect_usage_error "not enough memory: rank 0 on"
  expect_err "but its address-space limit (ulimit -v"
  [ -z "$OUT" ] || fail "the refused run printed: $OUT"
  # A tenth of it fits: the same limit lets it run.
  limited_np "$limit" run triad --size 2e6 --repeat 1 --no-report
  expect_rc 0
  expect_out "result: triad 2000000 elements"
  # The image of mandelbrot (about 7 bytes a pixel on rank 0) is counted too.
  limited_np "$limit" run mandelbrot --width 6000 --height 6000 --image m.png
  expect_usage_error "not enough memory: rank 0 on"
  [ ! -e m.png ] || fail "an image was written"
  expect_no_temporary_files
}

case_out_of_memory_after_the_check_is_one_error_and_exit_1() {
  only_with_open_mpi "finds the ranks as mpirun's children"
  skip_under_sanitizers
  local base
  base=$(baseline_address_space)
  # 2 million distinct words: each rank's word map needs about 100 MB, which no option tells
  # (the check lets it through); with 40 MB left the map's allocation fails mid-compute.
  seq -f 'w%.0f' 1 2000000 >words.txt
  limited_np $((base + 40 * 1024 * 1024)) run wordcount --input-file words.txt
  expect_rc 1
  [ "$(grep -c '^hpar: error:' err.txt)" = 1 ] || fail "not one error line: $ERR"
  expect_err "out of memory"
  grep -qiE 'MPI_ABORT|Aborted|core dumped|terminate called|Backtrace' err.txt &&
    fail "an abort: $ERR"
  return 0
}
