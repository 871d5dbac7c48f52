#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Soak test: HPAR_SOAK_RUNS (default 500) consecutive runs of every job at mixed layouts (ranks
# x threads, schedules, distributions); every run must exit 0 with nothing on stderr but layout
# warnings, and print the same results, byte for byte, as the first run of its job.
# Not part of the default test run: `ctest --preset release -C Soak -L soak` (about 4 minutes
# on 2 cores), or `HPAR=build/release/hpar bash tests/soak/soak.sh`.
set -u
: "${HPAR:?HPAR must name the hpar binary}" "${MPIEXEC:=mpiexec}"
runs=${HPAR_SOAK_RUNS:-500}
HPAR=$(realpath "$HPAR")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
seq 1 20000 | awk '{ printf "w%d w%d the %s\n", $1 % 97, $1 % 13, ($1 % 5 ? "fox" : "dog") }' \
  >text.txt

jobs=(
  "numbers --range -3000:60000 --steps 3"
  "pi --samples 3e6 --seed 7"
  "integrate --intervals 2e6 --function sin --from 0 --to 3"
  "primes --limit 3e6 --list"
  "mandelbrot --width 96 --height 64 --max-iter 200"
  "triad --size 200000 --repeat 2"
  "wordcount --input-file text.txt --top 5 --block-bytes 4096"
)
layouts=("1 1" "2 1" "1 2" "3 1" "4 1" "2 2")
schedules=("static" "dynamic,2" "guided")
distributions=("block" "cyclic" "dynamic")

failures=0
for ((i = 0; i < runs; i++)); do
  j=$((i % ${#jobs[@]}))
  read -r np threads <<<"${layouts[$(((i / ${#jobs[@]}) % ${#layouts[@]}))]}"
  schedule=${schedules[$((i % ${#schedules[@]}))]}
  distribution=${distributions[$(((i / 3) % ${#distributions[@]}))]}
  case ${jobs[$j]} in triad*) distribution=block ;; esac  # one contiguous slice per rank
  # shellcheck disable=SC2206 # the job's words
  args=(${jobs[$j]})
  "$MPIEXEC" -q -n "$np" --oversubscribe --bind-to none -x OMP_NUM_THREADS="$threads" \
    "$HPAR" run "${args[@]}" --threads "$threads" --schedule "$schedule" \
    --distribution "$distribution" --no-report --progress off </dev/null >out.txt 2>err.txt
  rc=$?
  # Bandwidths vary from run to run: triad's result lines hold none, its checksum is exact.
  what="run $i: ${jobs[$j]} at ${np}x$threads $schedule $distribution"
  if [ $rc != 0 ]; then
    echo "FAIL: $what: exit $rc: $(head -c 500 err.txt)"
    failures=$((failures + 1))
  elif grep -v '^hpar: warning:' err.txt | grep -q .; then
    echo "FAIL: $what: stderr: $(head -c 500 err.txt)"
    failures=$((failures + 1))
  elif [ ! -e "expected.$j" ]; then
    cp out.txt "expected.$j"
  elif ! cmp -s out.txt "expected.$j"; then
    echo "FAIL: $what: results differ: $(diff "expected.$j" out.txt | head -5)"
    failures=$((failures + 1))
  fi
  [ $(((i + 1) % 50)) = 0 ] && echo "soak: $((i + 1)) of $runs runs, $failures failure(s)"
done
[ $failures = 0 ] || { echo "soak: $failures of $runs runs failed"; exit 1; }
echo "soak: $runs runs, all identical per job, no failure"
