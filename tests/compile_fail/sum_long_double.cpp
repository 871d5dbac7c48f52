// SPDX-License-Identifier: BSD-3-Clause
// Must not compile: a long double cannot be carried exactly (it travels as a double), so
// hpar::reduce refuses a lambda that returns a std::pair with one, with one readable error.
#include <cstdint>
#include <hpar/hpar.hpp>
#include <utility>

auto work() {
  return hpar::reduce(10, [](std::uint64_t i) {
    return std::pair<int, long double>{1, static_cast<long double>(i)};
  });
}
