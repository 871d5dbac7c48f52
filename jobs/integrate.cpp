// SPDX-License-Identifier: BSD-3-Clause
// integrate: midpoint rule for the integral of f over [a, b] with N intervals.
//
// Reference loop (f from a small built-in set, each with a known antiderivative F):
//     h = (b - a) / n;
//     for (i = 0; i < n; ++i) sum += f(a + (i + 0.5) * h);   // one work item per interval
//     integral = sum * h;
//
// Work model: per interval 0 bytes of memory traffic, 4 flops for the point and the sum (i + 0.5,
// times h, plus a, sum +=) and one evaluation of f: 4/(1+x^2) is 3 more flops including a divide
// (7 flops, 13 x86-64 instructions in all), sin and exp a libm call, x^2 one multiply.
// Compute-bound; the in-order sum makes it latency-bound on the add chain.
// Split: blocks of 2^16 intervals. Each block sums its intervals in index order into one real
// partial; rank 0 folds the block partials in block order and multiplies by h. The block size
// depends on nothing but the job, so every addition happens in the same order on any layout
// and the result is identical bit for bit.
// Verify: against the exact integral F(b) - F(a): |result - exact| must not exceed the
// midpoint rule's error bound (b - a) h^2 max|f''| / 24 plus a rounding allowance for the
// computed points, the evaluations of f and the two levels of summation (see
// rounding_allowance). a == b is allowed: the interval is empty, the result and the exact
// integral are both 0. a > b, N = 0 and an unknown function are usage errors.
// Vectorisation (GCC 12, -fopt-info-vec): the sum must stay in index order (no reassociation,
// no FMA contraction: -ffp-contract=off), so at most the points and f are computed in vector
// lanes and then added one at a time (an in-order "fold-left" reduction): with AVX-512 GCC does
// so for 4/(1+x^2) (8 divides per vdivpd) and x^2; sin and exp are libm calls, and a baseline
// build is scalar. Either way the add chain (one add latency per interval) bounds the loop and
// the bits are those of the reference loop.

#include <array>
#include <boost/program_options.hpp>
#include <cmath>
#include <limits>
#include <tuple>

#include "hpar/core/errors.hpp"
#include "hpar/core/format.hpp"
#include "hpar/core/job.hpp"
#include "hpar/core/parse.hpp"

namespace po = boost::program_options;

namespace hpar::jobs {
namespace {

constexpr std::uint64_t block_intervals = std::uint64_t{1} << 16;
constexpr std::uint64_t max_intervals = std::uint64_t{1} << 52;  // i + 0.5 exact in a double
constexpr double unit_roundoff = std::numeric_limits<double>::epsilon() / 2;

/// Upper bounds of |f|, |f'| and |f''| on [a, b].
struct Bounds {
  double f = 0.0;
  double df = 0.0;
  double d2f = 0.0;
};

// The built-in integrands: f, an antiderivative F and bounds of f and its derivatives.
struct ArctanPi {
  static double f(double x) noexcept { return 4.0 / (1.0 + x * x); }
  static double antiderivative(double x) noexcept { return 4.0 * std::atan(x); }
  // On all of R: |f| <= 4, |f'| = 8|x|/(1+x^2)^2 <= 3*sqrt(3)/2 < 3, |f''| <= 8 (at x = 0).
  static Bounds bounds(double /*a*/, double /*b*/) noexcept { return {4.0, 3.0, 8.0}; }
};
struct Sine {
  static double f(double x) noexcept { return std::sin(x); }
  static double antiderivative(double x) noexcept { return -std::cos(x); }
  static Bounds bounds(double /*a*/, double /*b*/) noexcept { return {1.0, 1.0, 1.0}; }
};
struct Exponential {
  static double f(double x) noexcept { return std::exp(x); }
  static double antiderivative(double x) noexcept { return std::exp(x); }
  static Bounds bounds(double /*a*/, double b) noexcept {
    const double e = std::exp(b);
    return {e, e, e};
  }
};
struct Square {
  static double f(double x) noexcept { return x * x; }
  static double antiderivative(double x) noexcept { return x * x * x / 3.0; }
  static Bounds bounds(double a, double b) noexcept {
    const double m = std::fmax(std::fabs(a), std::fabs(b));
    return {m * m, 2.0 * m, 2.0};
  }
};

enum class FunctionId { arctan_pi, sine, exponential, square };

/// A built-in integrand as the user names it.
struct FunctionName {
  std::string_view name;
  std::string_view alias;
  FunctionId id;
};
constexpr std::array<FunctionName, 4> functions = {{
    {"4/(1+x^2)", "arctan-pi", FunctionId::arctan_pi},
    {"sin", "sin(x)", FunctionId::sine},
    {"exp", "exp(x)", FunctionId::exponential},
    {"x^2", "square", FunctionId::square},
}};

/// Calls `visit(F{})` with the integrand type of `id`.
template <class Visit>
decltype(auto) with_function(FunctionId id, Visit&& visit) {
  switch (id) {
    case FunctionId::sine:
      return visit(Sine{});
    case FunctionId::exponential:
      return visit(Exponential{});
    case FunctionId::square:
      return visit(Square{});
    case FunctionId::arctan_pi:
      break;
  }
  return visit(ArctanPi{});
}

/// Sum of F::f at the midpoints of intervals [begin, end), in index order.
template <class F>
double midpoint_sum(double a, double h, std::uint64_t begin, std::uint64_t end) noexcept {
  double sum = 0.0;
  for (std::uint64_t i = begin; i < end; ++i) {
    // i < 2^52: the signed conversion is exact and cheaper than the unsigned one.
    const double x = a + (static_cast<double>(static_cast<std::int64_t>(i)) + 0.5) * h;
    sum += F::f(x);
  }
  return sum;
}

class Integrate final : public Job {
 public:
  Integrate(FunctionName function, double a, double b, std::uint64_t intervals)
      : function_(function),
        a_(a),
        b_(b),
        intervals_(intervals),
        h_((b - a) / static_cast<double>(intervals)) {
    if (!std::isfinite(b - a)) {
      throw UsageError("--to minus --from overflows a double; choose a smaller interval");
    }
    if (a < b && h_ == 0.0) {
      throw UsageError("[--from, --to] is too narrow for " + std::to_string(intervals) +
                       " --intervals (the width underflows)");
    }
    const auto [fa, fb, bounds] = with_function(function_.id, [&](auto fn) {
      using F = decltype(fn);
      return std::tuple{F::antiderivative(a), F::antiderivative(b), F::bounds(a, b)};
    });
    exact_ = fb - fa;
    exact_scale_ = std::fabs(fa) + std::fabs(fb);
    bounds_ = bounds;
    // The partial sums reach N max|f|: refuse what would overflow rather than fail at the end.
    if (!std::isfinite(exact_) || !std::isfinite(bounds_.df) || !std::isfinite(bounds_.d2f) ||
        !std::isfinite(bounds_.f * static_cast<double>(intervals))) {
      throw UsageError("the integral of " + std::string(function_.name) + " over [" +
                       format_exact(a) + ", " + format_exact(b) +
                       "] overflows a double; choose a smaller interval");
    }
  }

  [[nodiscard]] WorkPlan plan() const override {
    WorkPlan p;
    p.items = intervals_;
    p.block_items = block_intervals;
    p.real_partials = 1;
    p.item_unit = "intervals";
    return p;
  }

  void compute(const Block& block, BlockOutput& out) override {
    const double sum = with_function(function_.id, [&](auto fn) {
      return midpoint_sum<decltype(fn)>(a_, h_, block.items.begin, block.items.end);
    });
    if (!out.reals.empty()) out.reals[0] = sum;
  }

  JobResult finish(Gathered& g) override {
    double sum = 0.0;
    for (const double partial : g.reals) sum += partial;  // block order
    const double integral = sum * h_;
    const double width = b_ - a_;
    const double truncation = width * h_ * h_ * bounds_.d2f / 24.0;
    const double allowance = rounding_allowance(g.blocks);
    const double error = std::fabs(integral - exact_);
    const bool pass = error <= truncation + allowance;  // false for NaN

    JobResult r;
    r.lines.push_back("result: integral " + format_exact(integral));
    r.lines.push_back("result: " + std::string(function_.name) + " over [" + format_exact(a_) +
                      ", " + format_exact(b_) + "], " + std::to_string(intervals_) + " intervals");
    r.metrics.emplace_back("exact", format_exact(exact_));
    r.metrics.emplace_back("error", format_exact(error));
    r.verification.status = pass ? Verification::Status::pass : Verification::Status::fail;
    r.verification.detail = "|integral - exact| = " + format_exact(error) +
                            (pass ? " <= " : " > ") + "midpoint bound " + format_exact(truncation) +
                            " + rounding " + format_exact(allowance);
    return r;
  }

 private:
  /// A first-order bound (doubled for the higher-order terms) of how far the computed sum can
  /// lie from the exact midpoint sum: each point a + (i + 1/2) h is off by at most
  /// about 4u (|a| + |b| + (b - a)), moving f by max|f'| times that; each evaluation of f is
  /// off by at most 4u max|f|; a block sums at most B terms and the fold adds `blocks`
  /// partials, each addition off by u times a partial sum (at most N max|f| in total); the
  /// final product adds a few u, and F(b) - F(a) is off by a few u (|F(a)| + |F(b)|).
  [[nodiscard]] double rounding_allowance(std::uint64_t blocks) const {
    const double u = unit_roundoff;
    const double width = b_ - a_;
    const double point_error = 4.0 * u * (std::fabs(a_) + std::fabs(b_) + width);
    const double additions = static_cast<double>(block_intervals + blocks) + 8.0;
    const double sum_error = width * (additions * u * bounds_.f + bounds_.df * point_error);
    return 2.0 * sum_error + 4.0 * u * exact_scale_;
  }

  FunctionName function_;
  double a_;
  double b_;
  std::uint64_t intervals_;
  double h_;
  double exact_ = 0.0;        // F(b) - F(a)
  double exact_scale_ = 0.0;  // |F(a)| + |F(b)|: how far rounding can move exact_
  Bounds bounds_;
};

std::string function_list() {
  std::string list;
  for (const auto& fn : functions) {
    if (!list.empty()) list += ", ";
    list += std::string(fn.name) + " (or " + std::string(fn.alias) + ")";
  }
  return list;
}

void add_options(po::options_description& d) {
  static const std::string function_help = "the integrand: " + function_list();
  d.add_options()("function", po::value<std::string>()->default_value("4/(1+x^2)")->value_name("F"),
                  function_help.c_str())(
      "from", po::value<std::string>()->default_value("0")->value_name("A"),
      "lower limit a (a finite real number)")(
      "to", po::value<std::string>()->default_value("1")->value_name("B"),
      "upper limit b >= a (a == b gives 0)")(
      "intervals", po::value<std::string>()->default_value("1e8")->value_name("N"),
      "intervals of width (b - a) / N, 1 .. 2^52 (digits or 1e9 style)");
}

std::unique_ptr<Job> make(const po::variables_map& vm, const JobContext& /*context*/) {
  const auto name = vm["function"].as<std::string>();
  const FunctionName* function = nullptr;
  for (const auto& fn : functions) {
    if (name == fn.name || name == fn.alias) function = &fn;
  }
  if (function == nullptr) {
    throw UsageError("unknown --function " + quote_for_message(name) + ": choose " +
                     function_list());
  }
  const double a = parse_real(vm["from"].as<std::string>(), "--from");
  const double b = parse_real(vm["to"].as<std::string>(), "--to");
  if (a > b) {
    throw UsageError("--from " + format_exact(a) + " is greater than --to " + format_exact(b));
  }
  const std::uint64_t intervals = parse_count(vm["intervals"].as<std::string>(), "--intervals");
  if (intervals < 1 || intervals > max_intervals) {
    throw UsageError("--intervals must be between 1 and 2^52 (4503599627370496)");
  }
  return std::make_unique<Integrate>(*function, a, b, intervals);
}

}  // namespace

JobInfo integrate_job() {
  JobInfo info{"integrate", "midpoint rule for the integral of a built-in f over [a, b]",
               add_options, make, "intervals"};
  info.identity_rules = {
      {"from", IdentityRule::real}, {"to", IdentityRule::real}, {"intervals", IdentityRule::count}};
  return info;
}

}  // namespace hpar::jobs
