# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# shellcheck disable=SC2034,SC2153 # RC, OUT, ERR and LAUNCH are read and set by the runner (tests/lib)
# Full disks: --output and --checkpoint on a small file system that the case mounts (a tmpfs,
# unmounted when the case ends) at 1 and 2 ranks. A run that cannot write all it must fails
# (exit 1, one clear line) or is refused before it computes (exit 2, when the output's size is
# known); it never exits 0 with a cut file, and it leaves nothing behind on the full disk.
# Skipped (77) when not root or when the mount fails, unless HPAR_REQUIRE_MOUNT=1 (CI).

# shellcheck source=tests/lib/skip.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/skip.sh"

# small_disk DIR SIZE: a tmpfs of SIZE on DIR (a new folder of the case's), unmounted at the end.
small_disk() {
  require_root HPAR_REQUIRE_MOUNT "a full disk is a small tmpfs, and mounting one needs root"
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null ||
    skip HPAR_REQUIRE_MOUNT "cannot mount a tmpfs on $1"
  # shellcheck disable=SC2064 # the paths are fixed now
  trap "umount '$PWD/$1' 2>/dev/null || umount -l '$PWD/$1'; rm -rf '$PWD'" EXIT
}

# expect_empty DIR: nothing in DIR (no output, no hidden staging file).
expect_empty() {
  [ -z "$(ls -A "$1")" ] || fail "left in $1: $(ls -lA "$1")"
}

# expect_one_error TEXT: exit 1 and exactly one 'hpar: error:' line, containing TEXT; no abort.
expect_one_error() {
  expect_rc 1
  local n
  n=$(grep -c '^hpar: error:' <<<"$ERR")
  [ "$n" = 1 ] || fail "expected one 'hpar: error:' line, got $n: $ERR"
  grep '^hpar: error:' <<<"$ERR" | grep -qF -- "$1" || fail "error line lacks '$1': $ERR"
  if grep -q 'terminate called\|MPI_ABORT\|Aborted' <<<"$ERR"; then fail "aborted: $ERR"; fi
  return 0
}

case_output_that_cannot_fit_is_refused_up_front() {
  small_disk full 1m
  local np
  for np in 1 2; do
    hpar_np "$np" run numbers --range 1:200000 --output full/out.txt
    expect_usage_error "not enough space for 'full/out.txt': the output needs 7.57 MiB (7933445 bytes)"
    expect_err "MiB free"
    expect_empty full
  done
  hpar_np 2 run numbers --range 1:20000 --output full/out.txt --no-report
  expect_rc 0
  [ "$(wc -c <full/out.txt)" = 673424 ] || fail "the output that fits: $(wc -c <full/out.txt) bytes"
}

case_full_disk_fails_the_output_at_1_and_2_ranks() {
  small_disk full 1m
  seq 1 200000 >inputs.txt # the job cannot tell the output's size before it reads the file
  local np
  for np in 1 2; do
    hpar_np "$np" run numbers --input-file inputs.txt --output full/out.txt
    expect_one_error "full/out.txt"
    grep -q "verification PASS" <<<"$OUT" && fail "a PASS at $np ranks: $OUT"
    expect_empty full
  done
}

case_full_checkpoint_directory_stops_cleanly() {
  small_disk full 4m # room for a few of the records (written out a MiB at a time), not all
  hpar_np 1 run numbers --range 1:200000 --no-report
  expect_rc 0
  cp out.txt expected.txt
  local np
  for np in 1 2; do
    rm -rf full/ck
    hpar_np "$np" run numbers --range 1:200000 --output res.txt --checkpoint full/ck
    expect_one_error "cannot write checkpoint 'full/ck/blocks-0-"
    expect_err "No space left on device"
    [ ! -e res.txt ] || fail "output committed after the checkpoint failed ($np ranks)"
    expect_no_temporary_files
  done
  # The checkpoint holds whole records only: with room again, it resumes to the full output.
  mount -o remount,size=64m full || fail "cannot grow the tmpfs"
  hpar_np 2 run numbers --range 1:200000 --output res.txt --checkpoint full/ck --resume \
    --report-json r.json
  expect_rc 0
  cmp -s res.txt expected.txt || fail "the resumed output differs"
  python3 - <<'PY' || fail "checkpoint report: $(grep -A6 '"checkpoint"' r.json)"
import json
c = json.load(open("r.json"))["checkpoint"]
assert c["resumed"] and c["restored_blocks"] > 0, c
PY
}

# The farm's --joblog on a full file system: the run fails with one clear line (exit 1) and
# leaves no joblog, at 1 and 2 ranks; nothing else of the run is cut.
case_full_disk_fails_the_farm_joblog() {
  small_disk full 64k
  local np
  for np in 1 2; do
    hpar_np "$np" run farm --range 1:3000 --joblog full/log.tsv --no-report -- true
    expect_one_error "full/log.tsv"
    expect_empty full
  done
}
