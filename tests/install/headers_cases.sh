# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Each installed public header compiles on its own (it includes what it uses), twice in a row
# (it has an include guard), against the installed and moved hpar of the install fixture,
# with a user's strict warnings as errors.
# Environment: HPAR_INSTALL_TEST_DIR, CMAKE.

case_each_installed_header_compiles_alone() {
  local prefix=$HPAR_INSTALL_TEST_DIR/prefix header name count=0
  mkdir -p project/src
  while IFS= read -r header; do
    name=${header//\//_}
    printf '#include <%s>\n#include <%s>\n' "$header" "$header" >"project/src/${name%.hpp}.cpp"
    count=$((count + 1))
  done < <(cd "$prefix/include" && find hpar -name '*.hpp' | sort)
  [ "$count" -ge 30 ] || fail "only $count headers installed"
  cat >project/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(headers LANGUAGES CXX)
find_package(hpar REQUIRED)
file(GLOB sources ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
add_library(headers OBJECT ${sources})
target_link_libraries(headers PRIVATE hpar::hpar hpar::jobs)
target_compile_options(headers PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror)
CMAKE
  capture "$CMAKE" -S project -B build -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  expect_rc 0
  capture "$CMAKE" --build build -j 2
  expect_rc 0
  [ "$(find build -name '*.o' | wc -l)" = "$count" ] || fail "not every header compiled: $OUT"
}
