// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "hpar/core/errors.hpp"
#include "hpar/report/report.hpp"
#include "job_harness.hpp"

using namespace hpar;
using hpar::testing::make_job;
using hpar::testing::run_serially;

namespace {

// splitmix64 as published (Steele, Lea, Flood 2014), stepped one output after another.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

// The plain serial loop: a sequential generator keyed by the seed's first output, one number
// per sample, hit when x^2 + y^2 < 2^64 (written as x^2 < 2^64 - y^2 to differ from the job).
std::vector<std::uint64_t> hits_per_block(std::uint64_t seed, std::uint64_t samples,
                                          std::uint64_t block) {
  SplitMix64 seeder(seed);
  SplitMix64 gen(seeder.next());
  std::vector<std::uint64_t> hits;
  for (std::uint64_t i = 0; i < samples; ++i) {
    if (i % block == 0) hits.push_back(0);
    const std::uint64_t r = gen.next();
    const std::uint64_t x = r >> 32;
    const std::uint64_t y = r & 0xFFFFFFFFULL;
    const bool hit = y == 0 || x * x < std::uint64_t{0} - y * y;
    hits.back() += hit ? 1 : 0;
  }
  return hits;
}

}  // namespace

TEST(Pi, PlanHasFixedBlocksAndAShortLastOne) {
  auto job = make_job("pi", {"--samples", "3145828"});  // 3 * 2^20 + 100
  const WorkPlan p = job->plan();
  EXPECT_EQ(p.items, 3145828U);
  EXPECT_EQ(p.block_items, 1U << 20);
  EXPECT_EQ(p.blocks(), 4U);
  EXPECT_EQ(p.block(3).size(), 100U);
  EXPECT_EQ(p.count_partials, 1U);
  EXPECT_EQ(p.item_unit, "samples");
  EXPECT_EQ(make_job("pi", {"--samples", "1e9"})->plan().items, 1000000000U);
  EXPECT_EQ(find_job("pi")->size_option, "samples");
}

TEST(Pi, HitsPerBlockAreTheSerialGenerators) {
  const std::uint64_t samples = 2 * (1U << 20) + 4321;
  for (const std::uint64_t seed : {std::uint64_t{42}, std::uint64_t{0}, ~std::uint64_t{0}}) {
    auto job =
        make_job("pi", {"--samples", std::to_string(samples), "--seed", std::to_string(seed)});
    auto g = run_serially(*job);
    const auto expected = hits_per_block(seed, samples, 1U << 20);
    ASSERT_EQ(g.counts, expected) << "seed " << seed;
    std::uint64_t hits = 0;
    for (const auto h : expected) hits += h;
    const auto r = job->finish(g);
    ASSERT_EQ(r.lines.size(), 2U);
    const double estimate = 4.0 * static_cast<double>(hits) / static_cast<double>(samples);
    EXPECT_EQ(r.lines[0], "result: pi ~ " + format_exact(estimate));
    EXPECT_EQ(r.lines[1], "result: " + std::to_string(hits) + " hits of " +
                              std::to_string(samples) + " samples, seed " + std::to_string(seed));
    EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
  }
}

TEST(Pi, SeedChangesTheSamples) {
  auto a = make_job("pi", {"--samples", "100000", "--seed", "1"});
  auto b = make_job("pi", {"--samples", "100000", "--seed", "2"});
  EXPECT_NE(run_serially(*a).counts, run_serially(*b).counts);
}

TEST(Pi, VerificationUsesFiveStandardErrors) {
  const std::uint64_t n = 1000000;
  auto job = make_job("pi", {"--samples", std::to_string(n)});
  auto g = run_serially(*job);
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::pass);
  // 5 standard errors of the estimate at this n, in hits: 5 * sqrt(n p (1 - p)).
  const double p = std::numbers::pi / 4.0;
  const double five_se_hits = 5.0 * std::sqrt(static_cast<double>(n) * p * (1.0 - p));
  const auto exact_hits = static_cast<std::uint64_t>(std::llround(static_cast<double>(n) * p));
  g.counts.assign(1, exact_hits + static_cast<std::uint64_t>(five_se_hits) - 2);
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::pass);
  g.counts.assign(1, exact_hits + static_cast<std::uint64_t>(five_se_hits) + 2);
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
  g.counts.assign(1, exact_hits - static_cast<std::uint64_t>(five_se_hits) - 2);
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
}

TEST(Pi, CorruptedPartialFailsVerification) {
  auto job = make_job("pi", {"--samples", "3000000"});
  auto g = run_serially(*job);
  g.counts[1] = 0;  // a block whose hits got lost
  const auto r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::fail);
  EXPECT_NE(r.verification.detail.find("5 standard errors"), std::string::npos);
}

TEST(Pi, BadValuesAreUsageErrors) {
  for (const char* bad : {"0", "-5", "abc", "1.5", "1e", ""}) {
    EXPECT_THROW(make_job("pi", {"--samples", bad}), UsageError) << bad;
  }
  for (const char* bad : {"-1", "x", "18446744073709551616"}) {
    EXPECT_THROW(make_job("pi", {"--seed", bad}), UsageError) << bad;
  }
  EXPECT_NO_THROW(make_job("pi", {"--seed", "18446744073709551615"}));
}
