// SPDX-License-Identifier: BSD-3-Clause
// Jobs made with the small API (hpar/hpar.hpp), shared by the unit and MPI tests: each shape
// (reduce, reduce_blocks, map) and value type (double, count, array, tuple, a join of one's
// own), a job whose lambda throws and one whose check fails. The floating-point values span
// many magnitudes, so that summing them in another order gives other bits.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "hpar/hpar.hpp"

namespace hpar_test {

/// splitmix64 of i: a well-mixed 64-bit value per item.
inline std::uint64_t mix(std::uint64_t i) {
  std::uint64_t z = i + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// A rounding-sensitive value of item i: sin(0.37 i) times 10^(i mod 9).
inline double wavy(std::uint64_t i) {
  static constexpr std::array<double, 9> scale = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  return std::sin(0.37 * static_cast<double>(i)) * scale[i % 9];
}

/// Options shared by the test jobs: --n items, --block items per block (default: hpar's).
inline std::vector<hpar::Option> size_options(const char* n) {
  return {hpar::Option::count("n", n, "items"),
          hpar::Option::count("block", "", "items per block (default: hpar's)")};
}

/// `work` with the block size --block when given.
template <class W>
W sized(W work, const hpar::Options& o) {
  if (o.has("block")) work.block_items(o.count("block"));
  return work;
}

/// Item i's value of every element type the small API sums: integers over their whole range
/// (the low bits of mix(i)), a bool, a rounding-sensitive double, a nested array and a pair
/// of ints near INT_MAX (their sums pass 2^31).
using Tuple = std::tuple<bool, std::int8_t, std::int32_t, std::uint64_t, double,
                         std::array<std::int16_t, 2>, std::pair<int, int>>;
inline Tuple tuple_of(std::uint64_t i) {
  const std::uint64_t m = mix(i);
  return {(m & 1U) != 0,
          static_cast<std::int8_t>(m),
          static_cast<std::int32_t>(m >> 8),
          m,
          wavy(i),
          {static_cast<std::int16_t>(m >> 40), static_cast<std::int16_t>(m >> 48)},
          {std::numeric_limits<int>::max() - static_cast<int>(m & 7U),
           std::numeric_limits<int>::min() + static_cast<int>(m & 7U)}};
}

/// The sum of tuple_of(i) for i < n in a plain loop: integers in 64 bits (modulo 2^64), the
/// double per block of `block` items in item order, then the blocks in order.
inline std::tuple<std::uint64_t, std::int64_t, std::int64_t, std::uint64_t, double,
                  std::array<std::int64_t, 2>, std::pair<std::int64_t, std::int64_t>>
plain_tuple_sum(std::uint64_t n, std::uint64_t block) {
  std::uint64_t s[8] = {};  // the integer elements, modulo 2^64
  double total = 0.0;
  double part = 0.0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto [b, i8, i32, u64, x, a, p] = tuple_of(i);
    s[0] += b ? 1U : 0U;
    s[1] += static_cast<std::uint64_t>(static_cast<std::int64_t>(i8));
    s[2] += static_cast<std::uint64_t>(static_cast<std::int64_t>(i32));
    s[3] += u64;
    s[4] += static_cast<std::uint64_t>(static_cast<std::int64_t>(a[0]));
    s[5] += static_cast<std::uint64_t>(static_cast<std::int64_t>(a[1]));
    s[6] += static_cast<std::uint64_t>(static_cast<std::int64_t>(p.first));
    s[7] += static_cast<std::uint64_t>(static_cast<std::int64_t>(p.second));
    part += x;
    if ((i + 1) % block == 0 || i + 1 == n) {
      total += part;
      part = 0.0;
    }
  }
  const auto i64 = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  return {s[0], i64(s[1]), i64(s[2]), s[3], total, {i64(s[4]), i64(s[5])}, {i64(s[6]), i64(s[7])}};
}

/// The test jobs, by name: wavy, hits, moments, peak, blocks, tuples, lines, throws, wrong.
inline std::vector<hpar::JobInfo> small_api_jobs() {
  std::vector<hpar::JobInfo> jobs;
  jobs.push_back(hpar::define_job(
      {.name = "wavy",
       .summary = "sum of wavy(i)",
       .options = size_options("100003"),
       .size_option = "n"},
      [](const hpar::Options& o) { return sized(hpar::reduce(o.count("n"), wavy), o); }));
  jobs.push_back(hpar::define_job(
      {.name = "hits",
       .summary = "items whose mix has two low zero bits",
       .options = size_options("200001")},
      [](const hpar::Options& o) {
        const std::uint64_t n = o.count("n");
        std::uint64_t expected = 0;  // the plain serial count
        for (std::uint64_t i = 0; i < n; ++i) expected += (mix(i) & 3U) == 0 ? 1U : 0U;
        return sized(hpar::reduce(n, [](std::uint64_t i) { return (mix(i) & 3U) == 0; }), o)
            .unit("samples")
            .verify([expected](std::uint64_t hits) { return hits == expected; });
      }));
  jobs.push_back(hpar::define_job(
      {.name = "moments", .summary = "sum and sum of squares", .options = size_options("70001")},
      [](const hpar::Options& o) {
        return sized(hpar::reduce(o.count("n"),
                                  [](std::uint64_t i) {
                                    const double x = wavy(i);
                                    return std::array<double, 2>{x, x * x};
                                  }),
                     o);
      }));
  jobs.push_back(hpar::define_job(
      {.name = "peak", .summary = "largest wavy(i)", .options = size_options("50001")},
      [](const hpar::Options& o) {
        const auto larger = [](double a, double b) { return std::fmax(a, b); };
        return sized(
            hpar::reduce(o.count("n"), wavy, larger, -std::numeric_limits<double>::infinity()), o);
      }));
  jobs.push_back(hpar::define_job(
      {.name = "blocks", .summary = "per-block sum and count", .options = size_options("90001")},
      [](const hpar::Options& o) {
        return sized(
            hpar::reduce_blocks(o.count("n"),
                                [](hpar::Slice items) {
                                  double sum = 0.0;
                                  for (auto i = items.begin; i < items.end; ++i) {
                                    sum += wavy(i);
                                  }
                                  return std::tuple<double, std::uint64_t>{sum, items.size()};
                                }),
            o);
      }));
  jobs.push_back(
      hpar::define_job({.name = "tuples",
                        .summary = "a tuple of every element type, checked against a plain loop",
                        .options = size_options("100003")},
                       [](const hpar::Options& o) {
                         const std::uint64_t n = o.count("n");
                         auto work = sized(hpar::reduce(n, tuple_of), o);
                         return work.verify([n, block = work.plan().block_items](const auto& sum) {
                           return sum == plain_tuple_sum(n, block);
                         });
                       }));
  jobs.push_back(hpar::define_job(
      {.name = "lines",
       .summary = "i and sqrt(i), one line each",
       .options = size_options("30001")},
      [](const hpar::Options& o) {
        const std::uint64_t n = o.count("n");
        return sized(hpar::map(n,
                               [](std::uint64_t i, hpar::Output& out) {
                                 out << i << ' ' << std::sqrt(static_cast<double>(i)) << '\n';
                                 return i;
                               }),
                     o)
            .result([](std::uint64_t sum) { return "sum of i " + std::to_string(sum); })
            .verify([n](std::uint64_t sum) {
              return hpar::Check{sum == n * (n - 1) / 2, "closed form n (n - 1) / 2"};
            });
      }));
  jobs.push_back(hpar::define_job(
      {.name = "throws", .summary = "item 7777 throws", .options = size_options("20000")},
      [](const hpar::Options& o) {
        return sized(hpar::reduce(o.count("n"),
                                  [](std::uint64_t i) {
                                    if (i == 7777) throw std::runtime_error("item 7777 is bad");
                                    return 1.0;
                                  }),
                     o);
      }));
  jobs.push_back(hpar::define_job(
      {.name = "wrong", .summary = "a check that fails", .options = size_options("1000")},
      [](const hpar::Options& o) {
        return sized(hpar::reduce(o.count("n"), [](std::uint64_t i) { return i; }), o)
            .verify([](std::uint64_t sum) { return sum == 0; });
      }));
  return jobs;
}

/// The test jobs as the program's jobs (find_job, parse_job_command) while it lives.
struct SmallJobs {
  hpar::Registry registry{small_api_jobs()};
  hpar::RegistryScope scope{registry};
};

}  // namespace hpar_test
