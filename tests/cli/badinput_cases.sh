# shellcheck shell=bash disable=SC2034,SC2119,SC2120 # OUT: read by the helpers; run_table sets its own words
# SPDX-License-Identifier: BSD-3-Clause
# The bad-input table: what a hostile new user types, at 2 ranks, over every subcommand and job.
# Each row must give exactly one 'hpar: error:' line containing its text, the documented exit
# code on EVERY rank (each rank's own exit status, recorded by a wrapper that then exits 0 so
# that mpirun does not end the other rank first; mpirun passing the code on is checked by the
# other CLI tests), no new file in the directory (no output, no temporary file), no abort (no
# MPI_ABORT, no signal, no backtrace) and no raw escape character on stderr. The rows are data:
# `CODE | TEXT | ARGUMENTS` (arguments as shell words).

# names: the names in this directory, sorted.
names() { find . -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort; }

# fixtures: the files every table runs beside (and that must be all that is left after a row).
fixtures() {
  mkdir -p dir empty
  printf '1\n2\n3\n' >inputs.txt
  printf 'the quick brown fox\n' >words.txt
  printf 'steps = 2\n' >ok.ini
  printf '{ not json\n' >broken.json
  printf '%%invalid_line%%\n' >placeholder.ini  # Boost's own message for it never ends
  printf '{"schema": "hpar-study/1", "points": []}\n' >nopoints.json
  mkfifo fifo
  ln -s inputs.txt link.txt
  ln -s nowhere.txt dangling.txt
  ln -s loop1 loop2
  ln -s loop2 loop1
  "$MPIEXEC" -q -n 1 "$HPAR" scale pi --mode strong --samples 1000 --repeat 1 --ranks 1 \
    --threads 1 --json study.json </dev/null >/dev/null 2>&1 || fail "no study to plot"
  "$MPIEXEC" -q -n 1 "$HPAR" run pi --samples 1000 --report-json report.json </dev/null \
    >/dev/null 2>&1 || fail "no report to collect"
  # shellcheck disable=SC2016 # a script's text
  printf '#!/bin/sh\n"$HPAR" "$@"\necho "$?" >"../rc.$OMPI_COMM_WORLD_RANK"\n' >../rank_rc.sh
  chmod +x ../rank_rc.sh
  names >../fixtures.txt
}

# check_row CODE TEXT ARGS...: runs `hpar ARGS` at 2 ranks and checks the row.
check_row() {
  local code=$1 text=$2
  shift 2
  rm -f ../rc.*
  (cd .. && capture "$MPIEXEC" -q -n 2 --oversubscribe --bind-to none -wdir "$PWD/work" \
    "$PWD/rank_rc.sh" "$@" </dev/null && echo "$RC" >mpirun_rc)
  RC=$(cat ../mpirun_rc)
  OUT=$(cat ../out.txt)
  ERR=$(cat ../err.txt)
  local where="row '$code | $text | $*'"
  [ "$RC" = 0 ] || fail "$where: mpirun exit $RC; stderr: ${ERR:0:600}"
  local r
  for r in 0 1; do
    [ "$(cat "../rc.$r" 2>/dev/null)" = "$code" ] ||
      fail "$where: rank $r exit $(cat "../rc.$r" 2>/dev/null || echo none); stderr: ${ERR:0:600}"
  done
  local n
  n=$(grep -c '^hpar: error:' <<<"$ERR")
  [ "$n" = 1 ] || fail "$where: $n 'hpar: error:' lines: ${ERR:0:600}"
  grep '^hpar: error:' <<<"$ERR" | grep -qF -- "$text" || fail "$where: error lacks '$text': $ERR"
  grep -qiE 'MPI_ABORT|Aborted|core dumped|terminate called|signal [0-9]|Backtrace' <<<"$ERR" &&
    fail "$where: an abort: ${ERR:0:600}"
  LC_ALL=C grep -q $'\e' <<<"$ERR" && fail "$where: a raw escape character on stderr"
  # The bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9) as raw UTF-8.
  LC_ALL=C grep -qE $'\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]' <<<"$ERR" &&
    fail "$where: a raw bidirectional control on stderr"
  [ "$(names)" = "$(cat ../fixtures.txt)" ] ||
    fail "$where: files left behind: $(names | comm -13 ../fixtures.txt -)"
  return 0
}

# run_table: reads rows (CODE | TEXT | ARGS) from stdin, skipping blanks and # comments.
run_table() {
  export OMP_NUM_THREADS=1
  mkdir -p work
  cd work || fail "no work directory"
  fixtures
  local code text args rows=0
  while IFS='|' read -r code text args; do
    code=$(xargs <<<"$code")
    [ -z "$code" ] || [ "${code:0:1}" = "#" ] && continue
    text=$(sed 's/^ *//; s/ *$//' <<<"$text")
    eval "set -- $args"
    check_row "$code" "$text" "$@"
    rows=$((rows + 1))
  done
  echo "checked $rows rows"
}

case_options_and_words_of_every_command() {
  only_with_open_mpi "reads each rank's exit code through OMPI_COMM_WORLD_RANK"
  run_table <<'TABLE'
2 | unknown option '--bogus'        | run pi --bogus
2 | unknown option '--bogus'        | run numbers --bogus 1
2 | unknown option '--bogus'        | scale pi --mode strong --bogus
2 | unknown option '--bogus'        | affinity --bogus
2 | unknown option '--bogus'        | plot nopoints.json -o x.png --bogus
2 | unknown option '--bogus'        | collect empty --bogus
2 | unknown option '--bogus'        | slurm pi --nodes 1 --ranks-per-node 1 --threads 1 --cores-per-node 2 --bogus
2 | unknown option '--bogus'        | list --bogus
2 | unknown option '--bogus'        | help --bogus
2 | unknown option '--bogus'        | --version --bogus
2 | unexpected word 'stray'         | run pi stray
2 | unexpected word 'stray'         | run pi --samples 10 stray
2 | unexpected word 'stray'         | scale pi --mode strong stray
2 | unexpected word 'stray'         | affinity stray
2 | unexpected word 'stray'         | slurm pi --nodes 1 --ranks-per-node 1 --threads 1 --cores-per-node 2 stray
2 | unexpected word 'stray'         | list stray
2 | unexpected word 'stray'         | help pi stray
2 | unexpected word 'stray'         | --version stray
2 | unexpected word 'stray'         | --help stray
2 | unknown command 'frobnicate'    | frobnicate
2 | missing command                 |
2 | unknown job 'nosuch'            | run nosuch
2 | unknown job 'nosuch'            | help nosuch
2 | unknown job 'nosuch'            | scale nosuch --mode strong
2 | missing job name                | run
2 | missing job name                | run --samples 3
2 | missing job name                | scale
2 | needs --mode                    | scale pi
2 | bad --mode 'sideways'           | scale pi --mode sideways
2 | name a study file               | plot -o x.png
2 | needs -o FILE.png               | plot nopoints.json
2 | name the reports                | collect
2 | the required argument           | run pi --samples
2 | option '--no-report' takes no value | run pi --no-report=%value%
2 | option '--samples' given more than once | run pi --samples 1 --samples=%value%
TABLE
}

case_values_of_every_job() {
  only_with_open_mpi "reads each rank's exit code through OMPI_COMM_WORLD_RANK"
  run_table <<'TABLE'
2 | bad value 'abc' for --samples   | run pi --samples abc
2 | bad value '-1' for --samples    | run pi --samples -1
2 | bad value '1.5' for --samples   | run pi --samples 1.5
2 | too large (at most 2^64-1)      | run pi --samples 2e19
2 | --samples must be at least 1    | run pi --samples 0
2 | bad value 'x' for --seed        | run pi --seed x
2 | --steps must be between         | run numbers --steps 0
2 | bad value 'x' for --range       | run numbers --range 1:x
2 | STRIDE goes away from LAST      | run numbers --range 5:1
2 | STRIDE must not be 0            | run numbers --range 1:5:0
2 | bad value '' for --inputs       | run numbers --inputs 1,,2
2 | overflows a 64-bit integer      | run numbers --inputs 9223372036854775807
2 | give only one of                | run numbers --inputs 1 --range 1:2
2 | --intervals                     | run integrate --intervals 0
2 | unknown --function 'nope'       | run integrate --function nope
2 | bad value 'x' for --from        | run integrate --from x
2 | expected a finite real number   | run integrate --to 1e999
2 | --limit must be at most 10^14   | run primes --limit 1e15
2 | --list prints the primes only   | run primes --list --limit 1e10
2 | --width must be between         | run mandelbrot --width 0
2 | --max-iter must be between      | run mandelbrot --max-iter 0
2 | --span must be > 0              | run mandelbrot --span 0
2 | --image needs --width           | run mandelbrot --image x.png --width 2e6
2 | --size must be at least 1       | run triad --size 0
2 | --repeat must be between        | run triad --repeat 0
2 | bad value 'x' for --scalar      | run triad --scalar x
2 | give at least one --input-file  | run wordcount
2 | bad value 'x' for --top         | run wordcount --input-file words.txt --top x
2 | --threads must be between       | run pi --threads 0
2 | --threads must be between       | run pi --threads 5000
2 | bad --schedule 'dynamo'         | run pi --schedule dynamo
2 | bad --distribution 'random'     | run pi --distribution random
2 | bad --progress 'sometimes'      | run pi --progress sometimes
2 | bad value 'x' for --output-buffer | run numbers --output-buffer x
2 | --repeat must be between        | scale pi --mode strong --repeat 0
2 | bad value 'x' for --threads     | scale pi --mode strong --threads 1,x
2 | --ranks 4 is more than          | scale pi --mode strong --ranks 4
2 | bad --time                      | slurm pi --nodes 1 --ranks-per-node 1 --threads 1 --time soon
2 | bad value '\e[2J' for --samples | run pi --samples $'\e[2J'
2 | bad value 'aaaaaaaaaa           | run pi --samples "$(printf 'a%.0s' $(seq 100000))"
2 | (100000 bytes)                  | run pi --samples "$(printf 'a%.0s' $(seq 100000))"
2 | unknown option '--\e]0;x\x07'   | run pi $'--\e]0;x\a'
2 | --timeout '1e300' is too long   | run farm --inputs 1 --timeout 1e300 -- true
2 | --timeout '31536001' is too long | run farm --inputs 1 --timeout 31536001 -- true
2 | ::: with no values after it    | run farm -- echo :::
2 | :::: with no file after it      | run farm -- echo ::: a ::::
2 | after the command (::: or ::::) or with --inputs, not both | run farm --inputs 1 -- echo ::: a
2 | the tasks have 2 columns, {1} to {2} | run farm -- echo {3} ::: a ::: b
2 | --link pairs two or more input sources | run farm --link -- echo ::: a
2 | -N must be 1 to 4096            | run farm -N 0 --inputs 1 -- echo
2 | bad --colsep '('                | run farm --colsep '(' --inputs 1 -- echo
2 | bad value '1\u202e2' for --samples | run pi --samples $'1\xe2\x80\xae2'
2 | unknown job 'pi\u2067\u200f\u061c' | run $'pi\xe2\x81\xa7\xe2\x80\x8f\xd8\x9c'
2 | 'x\u202etxt.exe': No such file   | run numbers --input-file $'x\xe2\x80\xaetxt.exe'
TABLE
}

case_file_arguments() {
  only_with_open_mpi "reads each rank's exit code through OMPI_COMM_WORLD_RANK"
  run_table <<'TABLE'
2 | cannot read --config 'dir': it is a directory        | run numbers --config dir
2 | cannot read --config 'nope.ini': No such file        | run numbers --config nope.ini
2 | cannot read --config 'fifo': not a regular file      | run numbers --config fifo
2 | bad line '%invalid_line%' in the --config file       | run pi --config placeholder.ini
2 | cannot read --config 'dir': it is a directory        | scale numbers --mode strong --config dir
2 | cannot read --input-file 'dir': it is a directory    | run numbers --input-file dir
2 | cannot read --input-file 'nope': No such file        | run numbers --input-file nope
2 | cannot read --input-file 'fifo': not a regular file  | run numbers --input-file fifo
2 | cannot read input file 'dir'                         | run wordcount --input-file dir
2 | cannot read input file 'nope'                        | run wordcount --input-file nope
2 | cannot read study 'dir': it is a directory           | plot dir -o x.png
2 | cannot read study 'nope.json': No such file          | plot nope.json -o x.png
2 | 'broken.json' is not JSON                            | plot broken.json -o x.png
2 | cannot read report 'nope': No such file              | collect nope
2 | cannot read report 'fifo': not a regular file        | collect fifo
2 | no *.json reports in 'empty'                         | collect empty
2 | 'broken.json' is not JSON                            | collect broken.json
TABLE
}

case_output_files() {
  only_with_open_mpi "reads each rank's exit code through OMPI_COMM_WORLD_RANK"
  run_table <<'TABLE'
2 | --output and --report-json name the same file   | run pi --samples 10 --output same.txt --report-json same.txt
2 | --report-json and --trace name the same file    | run pi --samples 10 --report-json r.json --trace ./r.json
2 | --output and --trace name the same file         | run numbers --output inputs.txt --trace link.txt
2 | --report-json and --image name the same file    | run mandelbrot --width 8 --height 8 --report-json x.png --image x.png
2 | --json and --csv name the same file             | scale pi --mode strong --samples 10 --json s --csv s
2 | --json and --plot name the same file            | collect empty --json p.png --plot p.png
2 | cannot write 'dir': it is a directory           | run numbers --output dir
2 | cannot write 'nodir/x.txt'                      | run numbers --output nodir/x.txt
2 | cannot write --image 'dir': it is a directory   | run mandelbrot --width 8 --height 8 --image dir
2 | cannot write 'dir': it is a directory           | plot study.json -o dir
2 | cannot write 'nodir/p.png'                      | plot study.json -o nodir/p.png
2 | cannot write 'dir': it is a directory           | affinity --json dir
2 | cannot write 'dir': it is a directory           | collect report.json --json dir
2 | cannot write 'dangling.txt': a symbolic link to nothing | run numbers --output dangling.txt
2 | cannot write 'loop1': a loop of symbolic links  | run numbers --output loop1
2 | cannot write 'dangling.txt': a symbolic link to nothing | run pi --samples 10 --report-json dangling.txt
2 | --checkpoint needs a directory (it was given '') | run pi --samples 10 --checkpoint ''
2 | --report-json 'ck/manifest.json' is inside the checkpoint directory 'ck' | run pi --samples 10 --checkpoint ck --report-json ck/manifest.json
2 | --output './ck/o.txt' is inside the checkpoint directory 'ck' | run numbers --checkpoint ck --output ./ck/o.txt
2 | --output and --joblog name the same file        | run farm --inputs 1 --joblog same.txt --output same.txt -- true
TABLE
}

case_memory_beyond_the_host() {
  only_with_open_mpi "reads each rank's exit code through OMPI_COMM_WORLD_RANK"
  run_table <<'TABLE'
2 | not enough memory: the 2 ranks on               | run pi --samples 9223372036854775808
2 | per-block results                               | run pi --samples 1e19
2 | not enough memory                               | run integrate --intervals 4503599627370496
2 | not enough memory                               | run mandelbrot --width 1e9 --height 1e9
2 | not enough memory                               | run triad --size 1e15
2 | not enough memory                               | run numbers --range 1:1e12 --steps 1e6
2 | not enough memory                               | run wordcount --input-file words.txt --chunk-bytes 1Gi --threads 4096
TABLE
}
