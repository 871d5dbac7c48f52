# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# What the installed and moved hpar of the install fixture tells other tools: the Lmod modulefile
# (Debian's lmod), the MPI the package was built with (hparConfig.cmake, hpar.pc), and the
# refusal of find_package(hpar) by a project that finds another MPI.
# Environment: HPAR_INSTALL_TEST_DIR, CMAKE, HPAR_MPI_FLAVOUR.

# shellcheck source=tests/lib/skip.sh
source "$SOURCE_DIR/tests/lib/skip.sh"

prefix=$HPAR_INSTALL_TEST_DIR/prefix

case_lmod_module_gives_the_program_man_page_and_packages() {
  local init=/usr/share/lmod/lmod/init/bash
  [ -f "$init" ] || skip HPAR_REQUIRE_LMOD "Lmod is not installed (Debian package lmod)"
  local version
  version=$("$prefix/bin/hpar" --version | awk 'NR == 1 { print $2 }')
  [ -f "$prefix/share/modulefiles/hpar/$version.lua" ] || fail "no modulefile hpar/$version.lua"
  cat >probe.sh <<PROBE
. $init
module use "$prefix/share/modulefiles"
module load hpar || exit 1
echo "root=\$HPAR_ROOT"
echo "hpar=\$(command -v hpar)"
echo "man=\$(man -w hpar)"
echo "pc=\$(pkg-config --variable=libdir hpar)"
echo "cmake=\$CMAKE_PREFIX_PATH"
module unload hpar
echo "after=\$(command -v hpar || echo none)"
PROBE
  # A clean environment (no hpar on PATH, no MANPATH): what a new login shell has.
  capture env -i HOME="$HOME" PATH=/usr/bin:/bin TERM=dumb bash --norc probe.sh
  expect_rc 0
  expect_out "root=$prefix"
  expect_out "hpar=$prefix/bin/hpar"
  expect_out "man=$prefix/share/man/man1/hpar.1"
  expect_out "cmake=$prefix"
  expect_out "after=none"
  # pkg-config normalises the path; compare the real ones.
  local libdir
  libdir=$(sed -n 's/^pc=//p' <<<"$OUT")
  [ "$(realpath "$libdir")" = "$(realpath "$prefix/lib")" ] || fail "pkg-config libdir: $libdir"
}

case_package_records_its_mpi() {
  local config=$prefix/lib/cmake/hpar/hparConfig.cmake
  grep -q "set(hpar_MPI_FLAVOUR \"$HPAR_MPI_FLAVOUR\")" "$config" ||
    fail "hparConfig.cmake does not record MPI $HPAR_MPI_FLAVOUR: $(grep MPI_ "$config")"
  grep -Eq 'set\(hpar_MPI_VERSION "[0-9]+\.[0-9]+' "$config" || fail "no MPI version recorded"
  capture env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --variable=mpi hpar
  expect_rc 0
  [[ $OUT == "$HPAR_MPI_FLAVOUR "[0-9]* ]] || fail "pkg-config --variable=mpi hpar: $OUT"
}

# A project that finds the other MPI (its wrapper named with MPI_CXX_COMPILER) stops at
# find_package(hpar) with one message naming both, not at link time.
case_find_package_with_another_mpi_is_refused() {
  local other
  if [ "$HPAR_MPI_FLAVOUR" = mpich ]; then other=mpicxx.openmpi; else other=mpicxx.mpich; fi
  command -v "$other" >/dev/null || skip HPAR_REQUIRE_MPICH "no $other to try (Debian: mpich, libopenmpi-dev)"
  mkdir -p project
  cat >project/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(other_mpi LANGUAGES CXX)
find_package(hpar REQUIRED)
CMAKE
  capture "$CMAKE" -S project -B build -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DMPI_CXX_COMPILER="$(command -v "$other")"
  [ "$RC" != 0 ] || fail "configured with $other: $OUT"
  local built_with found
  built_with=$(grep -o 'hpar_MPI_FLAVOUR "[a-z]*"' "$prefix/lib/cmake/hpar/hparConfig.cmake" | cut -d'"' -f2)
  found=openmpi
  [ "$built_with" = openmpi ] && found=mpich
  local message  # CMake wraps its messages: compare with the lines joined
  message=$(tr -s ' \n' '  ' <<<"$ERR")
  grep -q "hpar was built with MPI $built_with [0-9.]* (" <<<"$message" || fail "no clear message: $ERR"
  grep -q "but this project finds MPI $found [0-9.]* (" <<<"$message" || fail "message lacks the found MPI: $ERR"
}

# An install into a prefix nobody may write (a read-only file system: root may write anywhere
# else) stops at once with one message naming the prefix, and writes nothing.
case_install_into_an_unwritable_prefix_is_refused() {
  require_root HPAR_REQUIRE_ROOT "mounting a read-only file system needs root"
  mkdir ro
  mount -t tmpfs -o ro,size=64k tmpfs ro 2>/dev/null || skip HPAR_REQUIRE_ROOT "cannot mount a tmpfs here"
  capture "$CMAKE" --install "$HPAR_BUILD_DIR" --prefix "$PWD/ro/prefix"
  umount ro
  [ "$RC" != 0 ] || fail "installed into a read-only prefix"
  tr -s ' \n' '  ' <<<"$ERR" |
    grep -q "hpar: cannot install into $PWD/ro/prefix: $PWD/ro is not a writable folder" ||
    fail "no clear message: $ERR"
  [ "$(grep -c 'CMake Error' <<<"$ERR")" = 1 ] || fail "more than one error: $ERR"
}
