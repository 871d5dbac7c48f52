// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <algorithm>

#include "hpar/core/errors.hpp"
#include "job_harness.hpp"
#include "primes.hpp"

using namespace hpar;
using hpar::testing::make_job;
using hpar::testing::run_serially;

namespace {

constexpr std::uint64_t segment = 1U << 19;

// The plainest sieve of Eratosthenes over all numbers 0..n: is_prime[v].
std::vector<bool> plain_sieve(std::uint64_t n) {
  std::vector<bool> is_prime(n + 1, true);
  is_prime[0] = false;
  if (n >= 1) is_prime[1] = false;
  for (std::uint64_t p = 2; p * p <= n; ++p) {
    if (!is_prime[p]) continue;
    for (std::uint64_t m = p * p; m <= n; m += p) is_prime[m] = false;
  }
  return is_prime;
}

}  // namespace

TEST(Primes, PlanIsNumbersInSegments) {
  auto job = make_job("primes", {"--limit", "1e6"});
  const WorkPlan p = job->plan();
  EXPECT_EQ(p.items, 1000001U);
  EXPECT_EQ(p.block_items, segment);
  EXPECT_EQ(p.count_partials, 1U);
  EXPECT_FALSE(p.ordered_output);
  EXPECT_EQ(p.item_unit, "numbers");
  EXPECT_TRUE(make_job("primes", {"--limit", "100", "--list"})->plan().ordered_output);
  EXPECT_EQ(find_job("primes")->size_option, "limit");
}

TEST(Primes, SegmentCountsAndListAreThePlainSieves) {
  const std::uint64_t n = 3 * segment + 777;
  const auto is_prime = plain_sieve(n);
  auto job = make_job("primes", {"--limit", std::to_string(n), "--list"});
  auto g = run_serially(*job);
  ASSERT_EQ(g.counts.size(), 4U);
  std::string list;
  for (std::uint64_t b = 0; b < 4; ++b) {
    std::uint64_t count = 0;
    for (std::uint64_t v = b * segment; v <= std::min(n, (b + 1) * segment - 1); ++v) {
      if (!is_prime[v]) continue;
      ++count;
      list += std::to_string(v) + "\n";
    }
    EXPECT_EQ(g.counts[b], count) << "segment " << b;
  }
  EXPECT_EQ(g.ordered, list);
  const auto r = job->finish(g);
  EXPECT_EQ(r.lines, std::vector<std::string>{
                         "result: " + std::to_string(std::count(list.begin(), list.end(), '\n')) +
                         " primes <= " + std::to_string(n)});
  EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
}

TEST(Primes, SmallLimitsIncludingTheEdges) {
  const auto is_prime = plain_sieve(1000);
  std::uint64_t count = 0;
  for (std::uint64_t n = 0; n <= 1000; ++n) {
    if (is_prime[n]) ++count;
    auto job = make_job("primes", {"--limit", std::to_string(n)});
    auto g = run_serially(*job);
    const auto r = job->finish(g);
    ASSERT_EQ(r.lines[0], "result: " + std::to_string(count) + " primes <= " + std::to_string(n));
    ASSERT_EQ(r.verification.status, Verification::Status::pass) << n;
  }
}

TEST(Primes, SegmentsInAnyOrderOnOneThread) {
  // A thread that takes segments out of order (dynamic schedule) restarts each prime's
  // multiples by division instead of carrying them: same counts as in order.
  const std::uint64_t n = 5 * segment + 12345;
  auto job = make_job("primes", {"--limit", std::to_string(n)});
  const WorkPlan plan = job->plan();
  job->prepare({0, plan.items});
  const auto in_order = run_serially(*job).counts;
  auto state = job->make_thread_state();
  std::vector<std::uint64_t> counts(plan.blocks());
  for (const std::uint64_t b : {4, 5, 1, 2, 0, 3, 2}) {
    BlockOutput out;
    out.counts = {&counts[b], 1};
    out.state = state.get();
    job->compute(Block{b, plan.block(b), 0}, out);
  }
  EXPECT_EQ(counts, in_order);
}

TEST(Primes, LucyCountsAgreeWithThePlainSieve) {
  const std::uint64_t n_max = 2000000;
  const auto is_prime = plain_sieve(n_max);
  std::uint64_t count = 0;
  std::uint64_t next_check = 0;
  for (std::uint64_t n = 0; n <= n_max; ++n) {
    if (is_prime[n]) ++count;
    if (n == next_check) {
      ASSERT_EQ(jobs::count_primes_lucy(n), count) << n;
      next_check = n < 3000 ? n + 1 : n + n / 7 + 13;  // all small n, then a spread
    }
  }
  EXPECT_EQ(jobs::count_primes_lucy(n_max), count);
}

TEST(Primes, PublishedTableAgreesWithLucy) {
  std::uint64_t power = 1;
  for (int k = 0; k <= 10; ++k, power *= 10) {
    const auto known = jobs::known_prime_count(power);
    ASSERT_TRUE(known.has_value()) << k;
    EXPECT_EQ(*known, jobs::count_primes_lucy(power)) << "10^" << k;
  }
  EXPECT_EQ(jobs::known_prime_count(100000000000000U), 3204941750802U);
  EXPECT_FALSE(jobs::known_prime_count(999).has_value());
  EXPECT_FALSE(jobs::known_prime_count(1000000000000000U).has_value());
}

TEST(Primes, CorruptedPartialFailsVerification) {
  for (const char* limit : {"1000000", "1234567"}) {  // against the table, against Lucy
    auto job = make_job("primes", {"--limit", limit});
    auto g = run_serially(*job);
    EXPECT_EQ(job->finish(g).verification.status, Verification::Status::pass);
    g.counts[1] += 1;
    const auto r = job->finish(g);
    EXPECT_EQ(r.verification.status, Verification::Status::fail) << limit;
    EXPECT_NE(r.verification.detail.find(" != "), std::string::npos) << r.verification.detail;
  }
}

TEST(Primes, BadValuesAreUsageErrors) {
  for (const char* bad : {"-1", "abc", "1e15", "100000000000001", "2.5", ""}) {
    EXPECT_THROW(make_job("primes", {"--limit", bad}), UsageError) << bad;
  }
  EXPECT_NO_THROW(make_job("primes", {"--limit", "1e14"}));
  EXPECT_NO_THROW(make_job("primes", {"--limit", "0"}));
  EXPECT_THROW(make_job("primes", {"--limit", "2e9", "--list"}), UsageError);
  EXPECT_NO_THROW(make_job("primes", {"--limit", "1e9", "--list"}));
}
