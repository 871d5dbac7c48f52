// SPDX-License-Identifier: BSD-3-Clause
// Plain single-thread reference for the pi job: splitmix64 stepped sequentially, one 64-bit
// number per sample (high half x, low half y), a hit when x^2 + y^2 < 2^64.
//   pi_ref N [SEED]   draw N samples from the generator seeded with SEED's first output
// Prints the seconds taken, the estimate and the hits (equal to `hpar run pi`'s for N, SEED).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N [SEED]\n", argv[0]);
    return 2;
  }
  const auto n = static_cast<std::uint64_t>(std::strtod(argv[1], nullptr));
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 42;
  const auto start = std::chrono::steady_clock::now();
  SplitMix64 seeder{seed};
  SplitMix64 gen{seeder.next()};
  std::uint64_t hits = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t r = gen.next();
    const std::uint64_t x = r >> 32;
    const std::uint64_t y = r & 0xFFFFFFFFULL;
    const std::uint64_t xx = x * x;
    hits += xx + y * y >= xx ? 1U : 0U;  // no wrap-around: x^2 + y^2 < 2^64
  }
  const double estimate = 4.0 * static_cast<double>(hits) / static_cast<double>(n);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f %.17g %llu\n", seconds, estimate, static_cast<unsigned long long>(hits));
  return 0;
}
