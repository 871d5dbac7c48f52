# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Layers point down (.ci/layers.sh, the map of docs/design.md; sourced by tests/cli/run_case.sh;
# each case_NAME is one ctest, build.layers.NAME).

layers_script=$SOURCE_DIR/.ci/layers.sh

case_no_include_points_up() {
  capture bash "$layers_script" "$SOURCE_DIR"
  expect_rc 0
  expect_out " 0 findings"
}

# A tree of its own with the wrong-way edge the engine once had (platform's affinity.cpp
# including the engine's gather) beside right-way edges: exactly that include is the finding.
case_finds_an_include_that_points_up() {
  mkdir -p tree/src/platform tree/src/engine tree/include/hpar/comm tree/jobs
  printf '#include "hpar/comm/gather.hpp"\n#include "hpar/engine/gather.hpp"\n' \
    >tree/src/platform/affinity.cpp
  printf '#include <hpar/platform/host.hpp>\n#include "hpar/core/errors.hpp"\n' \
    >tree/src/engine/engine.cpp
  printf '#include "hpar/core/errors.hpp"\n' >tree/include/hpar/comm/gather.hpp
  printf '#include "hpar/core/job.hpp"\n#include "hpar/jobs/builtin.hpp"\n' >tree/jobs/pi.cpp
  capture bash "$layers_script" "$PWD/tree"
  expect_rc 1
  expect_out "src/platform/affinity.cpp:2: layer platform includes hpar/engine/"
  expect_out "4 files checked, 1 findings"
  printf '#include "hpar/cli/steps.hpp"\n' >tree/include/hpar/comm/steps.hpp
  capture bash "$layers_script" "$PWD/tree"
  expect_rc 1
  expect_out "include/hpar/comm/steps.hpp:1: layer comm includes hpar/cli/"
}

# The script's list is the "includes" column of the map's table in docs/design.md, row for row
# ("nothing of hpar": none; "all of the above": every layer of the rows above).
case_list_same_as_design_md() {
  local table
  # shellcheck disable=SC2016 # the backquotes are markdown's, not a command
  table=$(sed -nE 's/^\| `([a-z]+)` \(hpar_[a-z]+[^|]*\|.*\| ([^|]*) \|$/\1|\2/p' \
    "$SOURCE_DIR/docs/design.md" | awk -F'|' '
      { inc = $2; gsub(/,/, "", inc) }
      inc == "nothing of hpar" { inc = "" }
      inc == "all of the above" { inc = above }
      { line = $1 ":" (inc == "" ? "" : " " inc); print line; above = above (above == "" ? "" : " ") $1 }')
  [ "$(wc -l <<<"$table")" -ge 10 ] || fail "read only these rows of docs/design.md: $table"
  capture bash "$layers_script" --list
  expect_rc 0
  [ "$(sort <<<"$OUT")" = "$(sort <<<"$table")" ] ||
    fail "$(printf '.ci/layers.sh --list and docs/design.md differ:\n%s' \
      "$(diff <(sort <<<"$OUT") <(sort <<<"$table"))")"
}
