#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Keeps the copies of the launch block equal to its one source, slurm/lib/launch.bash.
#
#   slurm/lib/sync-launch.sh [FILE...]          write the block over each FILE's copy
#   slurm/lib/sync-launch.sh --check [FILE...]  change nothing; exit 1 naming each FILE whose
#                                               copy differs or that has none
#
# FILE defaults to every batch script of slurm/. A copy is the lines from "# ---- BEGIN launch"
# to "# ---- END launch ----", taken whole from launch.bash; the rest of a FILE is left as it
# is. tests/cli/slurm_cases.sh runs --check on the scripts and on what `hpar slurm` prints.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_file=$here/launch.bash
begin='^# ---- BEGIN launch '
end='^# ---- END launch ----$'

check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
[ $# -gt 0 ] || set -- "$(dirname "$here")"/*.sbatch

# block FILE: the lines of FILE's copy, markers included (nothing when it has none).
block() { sed -n "/$begin/,/$end/p" "$1"; }

# has_one_block FILE: exactly one BEGIN line, then one END line.
has_one_block() {
  [ "$(grep -c "$begin" "$1")" = 1 ] && [ "$(grep -c "$end" "$1")" = 1 ] &&
    [ "$(grep -n "$begin" "$1" | cut -d: -f1)" -lt "$(grep -n "$end" "$1" | cut -d: -f1)" ]
}

has_one_block "$source_file" || { echo "sync-launch.sh: $source_file has no single block" >&2; exit 2; }
wanted=$(block "$source_file")
status=0
for file in "$@"; do
  if ! has_one_block "$file"; then
    echo "sync-launch.sh: $file has no launch block (one BEGIN launch line, then one END)" >&2
    status=1
    continue
  fi
  [ "$(block "$file")" = "$wanted" ] && continue
  if [ $check = 1 ]; then
    echo "sync-launch.sh: the launch block of $file differs from slurm/lib/launch.bash" \
      "(run slurm/lib/sync-launch.sh):" >&2
    diff <(block "$source_file") <(block "$file") | head -20 >&2 || true
    status=1
    continue
  fi
  # The lines before the copy, the source's block, the lines after it; written in place (the
  # mode of the script is kept).
  {
    sed -n "/$begin/q;p" "$file"
    printf '%s\n' "$wanted"
    sed "1,/$end/d" "$file"
  } >"$file.sync-launch"
  cat "$file.sync-launch" >"$file"
  rm -f "$file.sync-launch"
  echo "sync-launch.sh: wrote the launch block into $file"
done
exit $status
