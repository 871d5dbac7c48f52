// SPDX-License-Identifier: BSD-3-Clause
// Plain single-thread reference for the integrate job: the midpoint rule as one flat loop,
// the sum taken in interval order.
//   integrate_ref N [F [A B]]   F: 4/(1+x^2) (default), sin, exp or x^2; [A, B] default [0, 1]
// Prints the seconds taken and the integral.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

template <class F>
double midpoint(F f, double a, double b, std::uint64_t n) {
  const double h = (b - a) / static_cast<double>(n);
  double sum = 0.0;
  for (std::uint64_t i = 0; i < n; ++i) {
    sum += f(a + (static_cast<double>(static_cast<std::int64_t>(i)) + 0.5) * h);
  }
  return sum * h;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N [F [A B]]\n", argv[0]);
    return 2;
  }
  const auto n = static_cast<std::uint64_t>(std::strtod(argv[1], nullptr));
  const std::string f = argc > 2 ? argv[2] : "4/(1+x^2)";
  const double a = argc > 4 ? std::strtod(argv[3], nullptr) : 0.0;
  const double b = argc > 4 ? std::strtod(argv[4], nullptr) : 1.0;
  const auto start = std::chrono::steady_clock::now();
  double integral = 0.0;
  if (f == "sin") {
    integral = midpoint([](double x) { return std::sin(x); }, a, b, n);
  } else if (f == "exp") {
    integral = midpoint([](double x) { return std::exp(x); }, a, b, n);
  } else if (f == "x^2") {
    integral = midpoint([](double x) { return x * x; }, a, b, n);
  } else {
    integral = midpoint([](double x) { return 4.0 / (1.0 + x * x); }, a, b, n);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f %.17g\n", seconds, integral);
  return 0;
}
