// SPDX-License-Identifier: BSD-3-Clause
// pi: Monte Carlo estimate of pi from N random points in the unit square.
//
// Reference loop (sample i draws one 64-bit number r_i, its halves are the point's coordinates):
//     key = splitmix64_first_output(seed);
//     for (i = 0; i < n; ++i) {
//       r = splitmix64_mix(key + (i + 1) * golden);   // output i of splitmix64 started at key
//       x = r >> 32;  y = r & 0xffffffff;              // 32-bit coordinates in [0, 2^32)
//       hits += x*x + y*y < 2^64;                      // inside the quarter circle
//     }
//     estimate = 4 * hits / n;
//
// Work model: per sample 4 64-bit multiplies (2 in the mix, x*x and y*y) among 21 x86-64
// instructions, 0 bytes of memory traffic, 0 flops: compute-bound and perfectly balanced.
// Random numbers are counter-based: sample i's number depends only on (seed, i), never on which
// rank or thread draws it, so the hit count (an exact integer) and the estimate are the same
// bits on every layout. The lattice of 2^32 x 2^32 points biases the estimate by about
// 4 / (pi 2^32) = 3e-10 relative, far below the statistical error for any feasible N.
// Split: blocks of 2^20 samples (the last one shorter); each block counts its hits into one
// count partial; rank 0 adds them.
// Verify: |estimate - pi| <= 5 standard errors, 5 * 4 * sqrt(p (1 - p) / n) with p = pi / 4
// (a correct run fails this with probability about 6e-7).
// Vectorisation (GCC 12, -fopt-info-vec): per sample the loop is pure 64-bit integer work.
// AVX-512 (x86-64-v4: vpmullq) vectorises it 8 samples a step; SSE2 and AVX2 have no 64-bit
// vector multiply and run it scalar, yet the x86-64-v3 code (BMI2, wider scalar scheduling) is
// about 30 % faster than the baseline's on an AVX2 CPU (docs/performance.md). The kernel is
// multi-versioned (HPAR_MULTIVERSIONED): a portable build carries x86-64-v3 and x86-64-v4 clones
// too and the CPU picks the highest it has at load time. Integers: every version counts the same
// hits.

#include <boost/program_options.hpp>
#include <cmath>
#include <numbers>

#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"
#include "hpar/core/simd.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace {

constexpr std::uint64_t block_samples = std::uint64_t{1} << 20;
constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ULL;  // splitmix64's increment

/// splitmix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mix.
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Hits among samples [begin, end): sample i uses output i of splitmix64 started at `key`.
/// Multi-versioned: a portable build also carries an AVX-512 clone (vpmullq, 8 samples a step).
HPAR_MULTIVERSIONED std::uint64_t count_hits(std::uint64_t key, std::uint64_t begin,
                                             std::uint64_t end) noexcept {
  std::uint64_t hits = 0;
  std::uint64_t state = key + (begin + 1) * golden_gamma;  // wraps mod 2^64, as splitmix64 does
  for (std::uint64_t i = begin; i < end; ++i, state += golden_gamma) {
    const std::uint64_t r = splitmix64_mix(state);
    const std::uint64_t x = r >> 32;
    const std::uint64_t y = r & 0xFFFFFFFFULL;
    const std::uint64_t xx = x * x;
    const std::uint64_t sum = xx + y * y;  // wraps exactly when x^2 + y^2 >= 2^64
    hits += sum >= xx ? 1U : 0U;
  }
  return hits;
}

class Pi final : public Job {
 public:
  Pi(std::uint64_t samples, std::uint64_t seed)
      : samples_(samples), seed_(seed), key_(splitmix64_mix(seed + golden_gamma)) {}

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = samples_;
    p.block_items = block_samples;
    p.count_partials = 1;
    p.item_unit = "samples";
    return p;
  }

  void compute(const Block& block, BlockOutput& out) override {
    const std::uint64_t hits = count_hits(key_, block.items.begin, block.items.end);
    if (!out.counts.empty()) out.counts[0] = hits;
  }

  JobResult finish(Gathered& g) override {
    std::uint64_t hits = 0;
    for (const auto c : g.counts) hits += c;
    const double n = static_cast<double>(samples_);
    const double estimate = 4.0 * static_cast<double>(hits) / n;
    const double p = std::numbers::pi / 4.0;
    const double standard_error = 4.0 * std::sqrt(p * (1.0 - p) / n);
    const double error = std::fabs(estimate - std::numbers::pi);
    const bool pass = hits <= samples_ && error <= 5.0 * standard_error;

    JobResult r;
    r.lines.push_back("result: pi ~ " + format_exact(estimate));
    r.lines.push_back("result: " + std::to_string(hits) + " hits of " + std::to_string(samples_) +
                      " samples, seed " + std::to_string(seed_));
    r.metrics.emplace_back("error", format_exact(error));
    r.metrics.emplace_back("std error", format_exact(standard_error));
    r.verification.status = pass ? Verification::Status::pass : Verification::Status::fail;
    r.verification.detail = "|estimate - pi| = " + format_exact(error) + (pass ? " <= " : " > ") +
                            "5 standard errors = " + format_exact(5.0 * standard_error);
    return r;
  }

 private:
  std::uint64_t samples_;
  std::uint64_t seed_;
  std::uint64_t key_;  // first splitmix64 output of the seed: decorrelates nearby seeds
};

void add_options(po::options_description& d) {
  d.add_options()("samples", po::value<std::string>()->default_value("1e8")->value_name("N"),
                  "random points to draw (digits or 1e9 style)")(
      "seed", po::value<std::string>()->default_value("42")->value_name("S"),
      "seed of the counter-based generator (0 .. 2^64-1)");
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& /*context*/) {
  const std::uint64_t samples = parse_count(vm["samples"].as<std::string>(), "--samples");
  if (samples < 1) throw UsageError("--samples must be at least 1");
  const std::uint64_t seed = parse_count(vm["seed"].as<std::string>(), "--seed");
  return std::make_unique<Pi>(samples, seed);
}

}  // namespace

JobInfo pi_job() {
  JobInfo info{"pi", "Monte Carlo estimate of pi from N counter-based random samples", add_options,
               make, "samples"};
  info.identity_rules = {{"samples", IdentityRule::count}, {"seed", IdentityRule::count}};
  return info;
}

}  // namespace hpar::jobs
