#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Layers point down: fails (exit 1, one line a finding) when a file of one layer includes a
# header of a layer it may not include (docs/design.md, "The map: one folder a layer").
#
#   bash .ci/layers.sh [ROOT]        (default: this checkout; run by `bash .ci/lint layers`)
#   bash .ci/layers.sh --list        the list below, one "LAYER: LAYER..." line a layer
#
# A file's layer is its folder: src/LAYER/..., include/hpar/LAYER/..., jobs/... (layer jobs). An
# include's layer is the folder of its "hpar/LAYER/..." path (quotes or angle brackets). Files
# outside the layers (src/main.cpp, include/hpar/hpar.hpp, tests/, bench/, examples/) and a
# layer's own headers are not checked. The files are git's tracked ones when ROOT is the top of
# a git checkout, else every C++ file under ROOT's src/, include/ and jobs/.
set -uo pipefail

# The one list: each layer and the layers it may include, bottom up (the table of
# docs/design.md). Keep the two the same.
layers='
core:
comm: core
platform: core comm
engine: core comm platform
observe: core comm engine
report: core engine
study: core
launch: core platform report study
api: core
jobs: core
cli: core api comm platform engine observe report study launch
'
if [ "${1:-}" = --list ]; then
  sed '/^$/d' <<<"$layers"
  exit 0
fi
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

sources() {
  if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$PWD" ]; then
    git ls-files -- 'src/*' 'include/hpar/*' 'jobs/*'
  else
    find src include/hpar jobs -type f 2>/dev/null
  fi | grep -E '\.(cpp|hpp|h)$'
}

# layer_of FILE: the layer a file belongs to, or nothing outside the layers.
layer_of() {
  case $1 in
    src/*/*) echo "${1#src/}" | cut -d/ -f1 ;;
    include/hpar/*/*) echo "${1#include/hpar/}" | cut -d/ -f1 ;;
    jobs/*) echo jobs ;;
  esac
}

count=0 findings=0
while IFS= read -r file; do
  layer=$(layer_of "$file")
  [ -n "$layer" ] || continue
  allowed=$(sed -n "s/^$layer:\(.*\)$/\1/p" <<<"$layers")
  if ! grep -q "^$layer:" <<<"$layers"; then
    echo "$file: layer '$layer' is not in the list of .ci/layers.sh (nor, likely, in docs/design.md)"
    findings=$((findings + 1))
    continue
  fi
  count=$((count + 1))
  while IFS=: read -r line included; do
    [ "$included" = "$layer" ] && continue
    case " $allowed " in *" $included "*) continue ;; esac
    echo "$file:$line: layer $layer includes hpar/$included/ (may include:${allowed:- nothing of hpar})"
    findings=$((findings + 1))
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]hpar/[a-z_]+/' "$file" |
    sed -E 's|^([0-9]+):.*["<]hpar/([a-z_]+)/.*|\1:\2|')
done < <(sources)
echo "layers: $count files checked, $findings findings"
[ "$count" -gt 0 ] || { echo "layers: no files found under $root"; exit 1; }
[ "$findings" = 0 ]
