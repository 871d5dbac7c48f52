// SPDX-License-Identifier: BSD-3-Clause
// integral: the midpoint rule for the integral of 4 / (1 + x^2) over [a, b], a job made with
// hpar's small API (a reduction). hpar sums the intervals block by block in a fixed order, so
// the result is the same bits on any number of ranks and threads.
//
// Check: against the closed form 4 (atan b - atan a). The midpoint rule errs by at most
// (b - a) h^2 max|f''| / 24 with max|f''| = 8; rounding adds about 1e-11 (b - a) at most here,
// allowed as 1e-10 (b - a). --tolerance T replaces both with T.

#include <cmath>
#include <cstdint>
#include <hpar/hpar.hpp>

int main(int argc, char** argv) {
  const hpar::JobInfo integral = hpar::define_job(
      {.name = "integral",
       .summary = "midpoint rule for the integral of 4/(1+x^2) over [a, b]",
       .options = {hpar::Option::count("intervals", "1e8", "intervals of width (b - a) / N"),
                   hpar::Option::real("from", "0", "lower limit a"),
                   hpar::Option::real("to", "1", "upper limit b >= a"),
                   hpar::Option::real("tolerance", "", "accepted error (default: the bound)")},
       .size_option = "intervals"},
      [](const hpar::Options& o) {
        const std::uint64_t n = o.count("intervals");
        const double a = o.real("from");
        const double b = o.real("to");
        if (n < 1 || n > (std::uint64_t{1} << 52)) {
          throw hpar::UsageError("--intervals must be between 1 and 2^52");
        }
        if (a > b) throw hpar::UsageError("--from must not be greater than --to");
        const double h = (b - a) / static_cast<double>(n);
        const double bound =
            o.has("tolerance") ? o.real("tolerance") : (b - a) * (h * h * 8.0 / 24.0 + 1e-10);
        return hpar::reduce(n,
                            [a, h](std::uint64_t i) {
                              // i < 2^52: the signed conversion is exact, and cheaper.
                              const double x =
                                  a + (static_cast<double>(static_cast<std::int64_t>(i)) + 0.5) * h;
                              return 4.0 / (1.0 + x * x);
                            })
            .unit("intervals")
            .result([h](double sum) { return "integral " + hpar::format_exact(sum * h); })
            .verify([=](double sum) {
              const double error = std::fabs(sum * h - 4.0 * (std::atan(b) - std::atan(a)));
              return hpar::Check{error <= bound,
                                 "|integral - exact| = " + hpar::format_exact(error) +
                                     (error <= bound ? " <= " : " > ") + hpar::format_exact(bound)};
            });
      });
  // The program is itself: its name (argv[0]'s) and this version in --version, its usage and
  // its messages ("integral: error: ..."); its one job in `list`.
  return hpar::main(argc, argv, {integral}, {.version = "1.0"});
}
