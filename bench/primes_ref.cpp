// SPDX-License-Identifier: BSD-3-Clause
// Plain single-thread reference for the primes job: a serial segmented sieve of Eratosthenes
// over the odd numbers, each base prime's next multiple carried from segment to segment.
//   primes_ref N [SEGMENT]   count the primes <= N with segments of SEGMENT numbers
//                            (default 2^19, the job's block size; even)
// Prints the seconds taken (base primes included) and the count.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N [SEGMENT]\n", argv[0]);
    return 2;
  }
  const std::uint64_t n = std::strtoull(argv[1], nullptr, 10);
  const std::uint64_t segment = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1U << 19;
  const auto start = std::chrono::steady_clock::now();

  std::uint64_t root = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(n)));
  while (root * root > n) --root;
  while ((root + 1) * (root + 1) <= n) ++root;
  std::vector<std::uint8_t> small(root + 1, 1);
  std::vector<std::uint64_t> primes;  // odd primes <= sqrt(n)
  std::vector<std::uint64_t> next;    // their next odd multiple to cross off
  for (std::uint64_t p = 3; p <= root; p += 2) {
    if (small[p] == 0U) continue;
    primes.push_back(p);
    next.push_back(p * p);
    for (std::uint64_t m = p * p; m <= root; m += 2 * p) small[m] = 0;
  }

  std::uint64_t count = n >= 2 ? 1 : 0;  // the prime 2
  std::vector<std::uint8_t> candidate(segment / 2);
  for (std::uint64_t lo = 0; lo <= n; lo += segment) {
    const std::uint64_t hi = std::min(lo + segment, n + 1);
    const std::uint64_t odds = (hi - lo) / 2;  // the odd numbers lo + 2j + 1 < hi
    std::fill(candidate.begin(), candidate.begin() + static_cast<std::ptrdiff_t>(odds), 1);
    for (std::size_t k = 0; k < primes.size() && primes[k] * primes[k] < hi; ++k) {
      std::uint64_t j = (next[k] - lo) / 2;
      for (; j < odds; j += primes[k]) candidate[j] = 0;
      next[k] = lo + 2 * j + 1;
    }
    if (lo == 0 && odds > 0) candidate[0] = 0;  // 1 is not prime
    for (std::uint64_t j = 0; j < odds; ++j) count += candidate[j];
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f %llu\n", seconds, static_cast<unsigned long long>(count));
  return 0;
}
