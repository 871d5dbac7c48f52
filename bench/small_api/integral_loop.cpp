// SPDX-License-Identifier: BSD-3-Clause
// The integral example's kernel (examples/integral/integral.cpp) as a plain single-thread loop:
// the midpoint rule for 4/(1+x^2) over [a, b], summed in blocks of the size hpar chooses for N
// intervals, the block sums added in block order. The same additions in the same order as the
// example at any layout: the result must be the same bits.
//   integral_loop N [A B]     prints the loop's seconds and "integral VALUE"
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <hpar/api/work.hpp>
#include <hpar/core/format.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N [A B]\n", argv[0]);
    return 2;
  }
  const auto n = static_cast<std::uint64_t>(std::strtod(argv[1], nullptr));
  const double a = argc > 3 ? std::strtod(argv[2], nullptr) : 0.0;
  const double b = argc > 3 ? std::strtod(argv[3], nullptr) : 1.0;
  const double h = (b - a) / static_cast<double>(n);
  const std::uint64_t block = hpar::default_block_items(n);
  const auto start = std::chrono::steady_clock::now();
  double sum = 0.0;
  for (std::uint64_t begin = 0; begin < n; begin += block) {
    const std::uint64_t end = begin + block < n ? begin + block : n;
    double partial = 0.0;
    for (std::uint64_t i = begin; i < end; ++i) {
      const double x = a + (static_cast<double>(static_cast<std::int64_t>(i)) + 0.5) * h;
      partial += 4.0 / (1.0 + x * x);
    }
    sum += partial;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f integral %s\n", seconds, hpar::format_exact(sum * h).c_str());
  return 0;
}
