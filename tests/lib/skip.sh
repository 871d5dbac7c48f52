# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Skipping a test that cannot run here (sourced by the runners and cluster scripts). A skipped
# test exits 77, which the tests' SKIP_RETURN_CODE makes ctest's "Skipped"; CI sets
# HPAR_REQUIRE_SLURM=1 and HPAR_REQUIRE_MULTIHOST=1, which turn the skip into a failure.

# skip REQUIRE_VAR MESSAGE: exit 77 with "SKIP: MESSAGE", or exit 1 with "FAIL: MESSAGE" when
# the variable named REQUIRE_VAR is 1.
skip() {
  local require=$1
  shift
  if [ "${!require:-0}" = 1 ]; then
    echo "FAIL: $* ($require=1)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}

# require_root REQUIRE_VAR WHY: skip unless root.
require_root() { [ "$(id -u)" = 0 ] || skip "$1" "$2"; }

# require_tools REQUIRE_VAR WHO PACKAGES TOOL...: skip unless every TOOL is on PATH, with
# "WHO need 'TOOL' (Debian packages: PACKAGES)".
require_tools() {
  local require=$1 who=$2 packages=$3 tool
  shift 3
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "$require" "$who need '$tool' (Debian packages: $packages)"
  done
}
