// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "hpar/core/errors.hpp"
#include "hpar/report/report.hpp"
#include "job_harness.hpp"

using namespace hpar;
using hpar::testing::make_job;
using hpar::testing::run_serially;

namespace {

using Fn = std::function<double(double)>;

// The plain serial loop of the midpoint rule, summing the same fixed-size blocks in the same
// order as the job promises (a block's intervals in order, then the block sums in order).
double midpoint(const Fn& f, double a, double b, std::uint64_t n, std::uint64_t block) {
  const double h = (b - a) / static_cast<double>(n);
  double total = 0.0;
  for (std::uint64_t begin = 0; begin < n; begin += block) {
    double sum = 0.0;
    for (std::uint64_t i = begin; i < std::min(n, begin + block); ++i) {
      sum += f(a + (static_cast<double>(i) + 0.5) * h);
    }
    total += sum;
  }
  return total * h;
}

struct Case {
  const char* name;
  Fn f;
  double a, b;
  double exact;
};

std::vector<Case> cases() {
  return {
      {"4/(1+x^2)", [](double x) { return 4.0 / (1.0 + x * x); }, 0.0, 1.0, std::numbers::pi},
      {"sin", [](double x) { return std::sin(x); }, -1.0, 2.5, std::cos(-1.0) - std::cos(2.5)},
      {"exp", [](double x) { return std::exp(x); }, -2.0, 3.0, std::exp(3.0) - std::exp(-2.0)},
      {"x^2", [](double x) { return x * x; }, -1.5, 4.0, (64.0 + 3.375) / 3.0},
  };
}

std::string integral_line(double v) {
  return "result: integral " + format_exact(v);
}

}  // namespace

TEST(Integrate, PlanHasFixedBlocks) {
  auto job = make_job("integrate", {"--intervals", "200000"});
  const WorkPlan p = job->plan();
  EXPECT_EQ(p.items, 200000U);
  EXPECT_EQ(p.block_items, 65536U);
  EXPECT_EQ(p.real_partials, 1U);
  EXPECT_EQ(p.item_unit, "intervals");
  EXPECT_EQ(find_job("integrate")->size_option, "intervals");
}

TEST(Integrate, SameBitsAsThePlainLoop) {
  for (const auto& c : cases()) {
    for (const std::uint64_t n : {std::uint64_t{1}, std::uint64_t{1000}, std::uint64_t{200003}}) {
      auto job = make_job("integrate", {"--function", c.name, "--from", format_exact(c.a), "--to",
                                        format_exact(c.b), "--intervals", std::to_string(n)});
      auto g = run_serially(*job);
      const auto r = job->finish(g);
      ASSERT_FALSE(r.lines.empty());
      EXPECT_EQ(r.lines[0], integral_line(midpoint(c.f, c.a, c.b, n, 65536)))
          << c.name << " n=" << n;
      EXPECT_EQ(r.verification.status, Verification::Status::pass)
          << c.name << " n=" << n << ": " << r.verification.detail;
      // and it is the integral, to the midpoint rule's accuracy (h^2 terms)
      const double h = (c.b - c.a) / static_cast<double>(n);
      if (n > 1) {
        EXPECT_NEAR(midpoint(c.f, c.a, c.b, n, 65536), c.exact, 30.0 * h * h * std::fabs(c.exact))
            << c.name;
      }
    }
  }
}

TEST(Integrate, AliasesNameTheSameFunction) {
  auto a = make_job("integrate", {"--function", "arctan-pi", "--intervals", "1000"});
  auto b = make_job("integrate", {"--function", "4/(1+x^2)", "--intervals", "1000"});
  auto ga = run_serially(*a);
  auto gb = run_serially(*b);
  EXPECT_EQ(a->finish(ga).lines[0], b->finish(gb).lines[0]);
  EXPECT_NO_THROW(make_job("integrate", {"--function", "square"}));
  EXPECT_NO_THROW(make_job("integrate", {"--function", "sin(x)"}));
  EXPECT_NO_THROW(make_job("integrate", {"--function", "exp(x)"}));
}

TEST(Integrate, EmptyIntervalIsZero) {
  auto job = make_job("integrate",
                      {"--function", "exp", "--from", "2", "--to", "2", "--intervals", "1000"});
  auto g = run_serially(*job);
  const auto r = job->finish(g);
  EXPECT_EQ(r.lines[0], "result: integral 0");
  EXPECT_EQ(r.verification.status, Verification::Status::pass) << r.verification.detail;
}

TEST(Integrate, CorruptedPartialFailsVerification) {
  auto job = make_job("integrate", {"--intervals", "200000"});
  auto g = run_serially(*job);
  ASSERT_EQ(g.reals.size(), 4U);
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::pass);
  g.reals[2] *= 1.0 + 1e-9;  // one block a billionth off
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
}

TEST(Integrate, BoundCatchesTheWrongRule) {
  // The left-endpoint rule's partials, handed to the midpoint job: off by about h/2 (f(b) -
  // f(a)), far above the midpoint bound, so verification must fail.
  const std::uint64_t n = 100000;
  auto job = make_job("integrate", {"--function", "x^2", "--from", "0", "--to", "2", "--intervals",
                                    std::to_string(n)});
  auto g = run_serially(*job);
  const double h = 2.0 / static_cast<double>(n);
  for (std::uint64_t b = 0; b < g.blocks; ++b) {
    double sum = 0.0;
    for (std::uint64_t i = b * 65536; i < std::min(n, (b + 1) * 65536); ++i) {
      const double x = static_cast<double>(i) * h;
      sum += x * x;
    }
    g.reals[b] = sum;
  }
  EXPECT_EQ(job->finish(g).verification.status, Verification::Status::fail);
}

TEST(Integrate, BadValuesAreUsageErrors) {
  EXPECT_THROW(make_job("integrate", {"--from", "2", "--to", "1"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--intervals", "0"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--intervals", "-10"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--intervals", "4503599627370497"}), UsageError);
  EXPECT_NO_THROW(make_job("integrate", {"--intervals", "4503599627370496"}));
  EXPECT_THROW(make_job("integrate", {"--function", "tan"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--from", "x"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--to", "inf"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--from", "nan"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--function", "exp", "--to", "1000"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--function", "x^2", "--to", "1e200"}), UsageError);
  EXPECT_THROW(make_job("integrate", {"--from", "-1e308", "--to", "1e308"}), UsageError);
  try {
    (void)make_job("integrate", {"--function", "cosh"});
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--function 'cosh'"), std::string::npos) << e.what();
  }
}
