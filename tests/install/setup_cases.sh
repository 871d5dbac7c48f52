# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# The install fixture (install.setup.install_and_move): `cmake --install` of this build into a
# temporary prefix, the prefix moved elsewhere (it must not care), its layout and its files
# checked, then each example of examples/ configured and built in a clean build directory
# against the moved prefix alone, warnings as errors. The cases of examples_cases.sh and
# headers_cases.sh run what this left in HPAR_INSTALL_TEST_DIR.
# Environment: HPAR_BUILD_DIR, HPAR_INSTALL_TEST_DIR, CMAKE, SOURCE_DIR.

# The installed files a user relies on, relative to the prefix.
installed_files=(
  bin/hpar
  include/hpar/hpar.hpp include/hpar/core/job.hpp include/hpar/jobs/builtin.hpp
  lib/libhpar_core.a lib/libhpar_api.a lib/libhpar_cli.a lib/libhpar_jobs.a
  lib/cmake/hpar/hparConfig.cmake lib/cmake/hpar/hparConfigVersion.cmake
  lib/cmake/hpar/hparTargets.cmake lib/pkgconfig/hpar.pc
  share/hpar/jobs/numbers.ini share/hpar/slurm/hybrid.sbatch share/hpar/slurm/lib/launch.bash
  share/hpar/examples/integral/CMakeLists.txt share/hpar/examples/tutorial/tutorial.cpp
  share/doc/hpar/README.md share/doc/hpar/writing-a-job.md
)

# Flags the examples build with: a user's strict build must not trip over hpar's headers.
strict_flags="-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror"

case_install_and_move() {
  local dir=${HPAR_INSTALL_TEST_DIR:?} file example
  rm -rf "$dir"
  mkdir -p "$dir" || fail "cannot make $dir"
  capture "$CMAKE" --install "$HPAR_BUILD_DIR" --prefix "$dir/staging"
  expect_rc 0
  mv "$dir/staging" "$dir/prefix" || fail "cannot move the prefix"
  for file in "${installed_files[@]}"; do
    [ -f "$dir/prefix/$file" ] || fail "not installed: $file"
  done
  [ -x "$dir/prefix/bin/hpar" ] || fail "bin/hpar is not executable"
  # Relocatable: no installed text file names the build tree, the sources or the staging prefix.
  file=$(grep -rIl -e "$HPAR_BUILD_DIR" -e "$SOURCE_DIR" -e "$dir/staging" "$dir/prefix")
  [ -z "$file" ] || fail "installed files name build or staging paths: $file"
  capture "$dir/prefix/bin/hpar" --version
  expect_rc 0
  expect_out "hpar 0.1"
  for example in integral tutorial collatz; do
    capture "$CMAKE" -S "$dir/prefix/share/hpar/examples/$example" -B "$dir/build-$example" \
      -DCMAKE_PREFIX_PATH="$dir/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
      -DCMAKE_CXX_FLAGS="$strict_flags"
    expect_rc 0
    grep -q "hpar_DIR:PATH=$dir/prefix/lib/cmake/hpar" "$dir/build-$example/CMakeCache.txt" ||
      fail "$example did not find hpar in the moved prefix: $(grep hpar_DIR "$dir/build-$example/CMakeCache.txt")"
    capture "$CMAKE" --build "$dir/build-$example" -j 2
    expect_rc 0
    [ -x "$dir/build-$example/$example" ] || fail "$example was not built"
  done
}
