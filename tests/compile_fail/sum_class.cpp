// SPDX-License-Identifier: BSD-3-Clause
// Must not compile: hpar::map cannot sum a class of one's own (no exact element-by-element
// sum is known for it), with one readable error.
#include <cstdint>
#include <hpar/hpar.hpp>

struct Point {
  int x;
  int y;
};

auto work() {
  return hpar::map(10, [](std::uint64_t i, hpar::Output& out) {
    out << i << '\n';
    return Point{1, 2};
  });
}
