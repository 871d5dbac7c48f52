# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# CLI tests of the wordcount job (sourced by run_case.sh; each case_NAME is one ctest).
# References are Unix tools in the C locale: `wc -w` for the total and
# `tr -s '[:space:]' '\n' | sort | uniq -c | sort -k1,1nr -k2,2` for the top words.
export LC_ALL=C

# make_text FILE WORDS SEED: WORDS printable words from a small vocabulary (some upper case)
# separated by every kind of whitespace and runs of it; ends inside a word (no newline).
make_text() {
  awk -v n="$2" -v seed="$3" 'BEGIN {
    srand(seed)
    nv = split("the of and a to in is you that it he was for on are as with his they I at be " \
               "this have from or one had by word but not what all were we when your can said " \
               "there use an each which she do how their if will up other about out many then " \
               "x-ray don'\''t e.g. 42 (note) naive antidisestablishmentarianism", v, " ")
    for (i = 0; i < n; i++) {
      w = v[int(rand() * nv) + 1]
      if (rand() < 0.05) w = toupper(w)
      printf "%s", w
      r = rand()
      if (r < 0.70) printf " "
      else if (r < 0.80) printf "\n"
      else if (r < 0.85) printf "\t"
      else if (r < 0.90) printf "   "
      else if (r < 0.95) printf "\r\n"
      else printf " \f\v\n\n "
    }
    printf "lastword"
  }' >"$1"
}

# top_reference K FILE...: the K most frequent words of the files as "COUNT WORD" lines.
top_reference() {
  local k=$1
  shift
  for f in "$@"; do
    tr -s '[:space:]' '\n' <"$f"
    echo  # a word never spans two files
  done | grep -av '^$' | sort | uniq -c | sort -k1,1nr -k2,2 | head -n "$k" | sed 's/^ *//'
}

# check_against_tools K FILE...: the job's result lines equal wc -w and top_reference.
check_against_tools() {
  local k=$1
  shift
  local total
  total=$(wc -w "$@" | tail -n 1 | awk '{ print $1 }')
  { echo "result: $total words"; top_reference "$k" "$@"; } >expected.txt
  result_lines >got.txt
  cmp -s got.txt expected.txt || fail "differs from wc/tr/sort/uniq: $(diff got.txt expected.txt | head -6)"
}

case_total_and_top_match_unix_tools() {
  make_text a.txt 40000 7
  hpar_np 2 run wordcount --input-file a.txt --top 15 --block-bytes 4096 --chunk-bytes 1000 \
    --threads 2 --no-report
  expect_rc 0
  check_against_tools 15 a.txt
}

case_several_files_match_unix_tools() {
  make_text a.txt 5000 1
  printf 'lastword x' >b.txt  # "lastword" ends a.txt: two words, not one
  : >empty.txt
  make_text c.txt 3000 2
  hpar_np 3 run wordcount --input-file a.txt --input-file b.txt --input-file empty.txt \
    --input-file c.txt --top 12 --block-bytes 777 --no-report
  expect_rc 0
  check_against_tools 12 a.txt b.txt empty.txt c.txt
}

case_same_at_all_layouts() {
  make_text a.txt 20000 3
  make_text b.txt 700 4
  same_at_layouts wordcount --input-file a.txt --input-file b.txt --top 20 --block-bytes 5000 \
    --chunk-bytes 333
  check_against_tools 20 a.txt b.txt
  # The default block size puts all of a small file in one block: same answer.
  same_at_layouts wordcount --input-file a.txt --input-file b.txt --top 20
  check_against_tools 20 a.txt b.txt
}

case_word_longer_than_a_slice() {
  # One 300 kB word crossing every rank's range, between two short ones.
  { printf 'a '; head -c 300000 /dev/zero | tr '\0' 'w'; printf '\nb'; } >long.txt
  same_at_layouts wordcount --input-file long.txt --top 1 --block-bytes 1000 --chunk-bytes 4096
  check_against_tools 1 long.txt
}

case_more_ranks_than_bytes() {
  printf 'ab' >two.txt
  hpar_np 4 run wordcount --input-file two.txt --block-bytes 1
  expect_rc 0
  [ "$(result_lines)" = "$(printf 'result: 1 words\n1 ab')" ] || fail "got: $OUT"
  expect_out "verification PASS"
  hpar_np 4 run wordcount --input-file two.txt --no-report
  [ "$(result_lines)" = "$(printf 'result: 1 words\n1 ab')" ] || fail "got: $OUT"
}

case_empty_file() {
  : >empty.txt
  hpar_np 2 run wordcount --input-file empty.txt
  expect_rc 0
  [ "$(result_lines)" = "result: 0 words" ] || fail "got: $OUT"
  expect_out "verification PASS"
}

case_non_printable_bytes_are_word_bytes() {
  # POSIX words (runs of non-whitespace), as the tr pipeline splits them; GNU wc 9.1 in the
  # C locale would not count the runs of control or high bytes alone.
  printf 'caf\351 \001 x\002y \377\376\n\t\200 caf\351' >bin.txt
  hpar_np 2 run wordcount --input-file bin.txt --top 3 --block-bytes 3 --no-report
  expect_rc 0
  { echo "result: $(tr -s '[:space:]' '\n' <bin.txt | grep -acv '^$') words"
    top_reference 3 bin.txt; } >expected.txt
  result_lines >got.txt
  cmp -s got.txt expected.txt || fail "differs from tr: $(diff got.txt expected.txt | od -c | head -5)"
}

case_report_names_mpi_io_and_megabytes() {
  make_text a.txt 2000 5
  hpar_np 2 run wordcount --input-file a.txt --report-json rep.json
  expect_rc 0
  expect_out "MB/s"
  expect_out "verification PASS"
  python3 - rep.json <<'PY' || fail "bad report JSON: $(cat rep.json)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["throughput"]["unit"] == "MB/s", r["throughput"]
assert r["metrics"]["reader"] == "MPI-IO", r["metrics"]
assert r["mpi"]["thread_level"] in ("serialized", "multiple"), r["mpi"]
assert r["work"]["items"] == int(r["metrics"]["bytes"]) > 0
PY
}

case_missing_file() {
  make_text a.txt 100 6
  hpar_np 2 run wordcount --input-file a.txt --input-file missing.txt
  expect_usage_error "missing.txt"
}

case_directory_and_no_file() {
  mkdir dir
  hpar_np 2 run wordcount --input-file dir
  expect_usage_error "not a regular file"
  hpar_np 2 run wordcount --top 3
  expect_usage_error "--input-file"
  printf 'x' >x.txt
  hpar_np 2 run wordcount --input-file x.txt --block-bytes 0
  expect_usage_error "--block-bytes"
}

case_config_file() {
  mkdir jobs
  cp "$SOURCE_DIR/jobs/wordcount.ini" "$SOURCE_DIR/jobs/wordcount.cpp" jobs/
  hpar_np 2 run wordcount --config jobs/wordcount.ini --no-report
  expect_rc 0
  check_against_tools 5 jobs/wordcount.cpp
}
