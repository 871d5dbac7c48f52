// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <map>

#include "hpar/core/errors.hpp"
#include "hpar/report/report.hpp"
#include "job_harness.hpp"

using namespace hpar;
using hpar::testing::make_job;
using hpar::testing::run_serially;

namespace {

// STREAM's triad written plainly: b, c set from the index, then R triads with a and b
// swapping roles; returns the array written last.
std::vector<double> reference_triad(std::size_t n, int repeat, double s) {
  std::vector<double> a(n, 0.0), b(n), c(n);
  for (std::size_t i = 0; i < n; ++i) {
    b[i] = static_cast<double>(i % 1009);
    c[i] = static_cast<double>(1 + i % 13);
  }
  for (int k = 1; k <= repeat; ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      if (k % 2 == 1) {
        a[i] = b[i] + s * c[i];
      } else {
        b[i] = a[i] + s * c[i];
      }
    }
  }
  return repeat % 2 == 1 ? a : b;
}

// Sums of blocks of 32768 elements, each in index order.
std::vector<double> block_sums(const std::vector<double>& x) {
  std::vector<double> sums;
  for (std::size_t begin = 0; begin < x.size(); begin += 32768) {
    double sum = 0.0;
    for (std::size_t i = begin; i < std::min(x.size(), begin + 32768); ++i) sum += x[i];
    sums.push_back(sum);
  }
  return sums;
}

void expect_matches_reference(std::size_t n, int repeat, const std::string& scalar) {
  auto job = make_job("triad", {"--size", std::to_string(n), "--repeat", std::to_string(repeat),
                                "--scalar", scalar});
  EXPECT_EQ(job->plan().passes, repeat + 2);
  auto g = run_serially(*job);
  const auto expected = block_sums(reference_triad(n, repeat, std::stod(scalar)));
  ASSERT_EQ(g.reals.size(), expected.size());
  double checksum = 0.0;
  for (std::size_t b = 0; b < expected.size(); ++b) {
    EXPECT_EQ(g.reals[b], expected[b]) << "block " << b;
    EXPECT_EQ(g.counts[b], 0U) << "block " << b;
    checksum += expected[b];
  }
  const auto r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
  ASSERT_EQ(r.lines.size(), 2U);
  EXPECT_EQ(r.lines[1].rfind("result: checksum " + format_exact(checksum) + " ", 0), 0U)
      << r.lines[1];
}

}  // namespace

TEST(Triad, OddRepeatsMatchTheSerialLoop) {
  expect_matches_reference(100'003, 3, "3");
}

TEST(Triad, EvenRepeatsMatchTheSerialLoop) {
  expect_matches_reference(70'000, 4, "3");
}

TEST(Triad, FractionalScalarMatchesTheSerialLoop) {
  // 0.1 is not exact: the values round, within the verification's bound, bit for bit the same
  // as the plain loop.
  expect_matches_reference(40'000, 5, "0.1");
  expect_matches_reference(1'000, 1, "-2.5");
}

TEST(Triad, BandwidthCountsTwentyFourBytesPerElement) {
  auto job = make_job("triad", {"--size", "50000", "--repeat", "4"});
  auto g = run_serially(*job);
  g.pass_seconds = {9.0, 0.004, 0.001, 0.002, 0.003, 9.0};  // init, 4 triads, verify
  const auto r = job->finish(g);
  ASSERT_TRUE(r.throughput.has_value());
  EXPECT_EQ(r.throughput->unit, "GB/s");
  EXPECT_DOUBLE_EQ(r.throughput->value, 24.0 * 50000 / 0.001 / 1e9);  // best: 1.2 GB/s
  std::map<std::string, std::string> metrics(r.metrics.begin(), r.metrics.end());
  EXPECT_EQ(metrics["best GB/s"], "1.2");
  EXPECT_EQ(metrics["median GB/s"], "0.48");  // median of 1,2,3,4 ms = 2.5 ms
  EXPECT_EQ(metrics["worst GB/s"], "0.3");
}

TEST(Triad, PerRankScalesTheSize) {
  EXPECT_EQ(make_job("triad", {"--size", "1000"}, {4, 1})->plan().items, 1000U);
  EXPECT_EQ(make_job("triad", {"--size", "1000", "--per-rank"}, {4, 1})->plan().items, 4000U);
  auto job = make_job("triad", {"--size", "40000", "--per-rank", "--repeat", "2"}, {3, 2});
  auto g = run_serially(*job);
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::pass);
}

TEST(Triad, CorruptedPartialsFailVerification) {
  auto job = make_job("triad", {"--size", "100000", "--repeat", "2"});
  const auto clean = run_serially(*job);
  auto g = clean;
  g.reals[1] += 1.0;
  auto r = job->finish(g);
  EXPECT_EQ(r.verification.status, Verification::Status::fail);
  EXPECT_NE(r.verification.detail.find("first block 1"), std::string::npos)
      << r.verification.detail;
  g = clean;
  g.counts[3] = 1;
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
  g = clean;
  g.reals[0] = 0.0;  // a block that was never computed
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
}

TEST(Triad, BadOptionsAreUsageErrors) {
  const auto message = [](std::vector<std::string> args) -> std::string {
    try {
      make_job("triad", std::move(args));
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(message({"--size", "0"}).find("--size"), std::string::npos);
  EXPECT_NE(message({"--size=-5"}).find("--size"), std::string::npos);
  // 24 bytes an element: the engine refuses what does not fit (tests/unit/test_memory.cpp).
  EXPECT_EQ(make_job("triad", {"--size", "1e15"})->plan().memory_per_item, 24U);
  EXPECT_NE(message({"--size", "18446744073709551615"}).find("--size"), std::string::npos);
  EXPECT_NE(message({"--repeat", "0"}).find("--repeat"), std::string::npos);
  EXPECT_NE(message({"--repeat", "2.5"}).find("--repeat"), std::string::npos);
  EXPECT_NE(message({"--scalar", "x"}).find("--scalar"), std::string::npos);
  EXPECT_NE(message({"--scalar", "1e300"}).find("--scalar"), std::string::npos);
  EXPECT_NO_THROW(make_job("triad", {"--size", "1", "--repeat", "1"}));
}
