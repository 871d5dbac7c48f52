// SPDX-License-Identifier: BSD-3-Clause
// Plain single-thread reference for the mandelbrot job: the escape-time loop written flat.
//   mandelbrot_ref W H MAX_ITER [CENTER_X CENTER_Y SPAN]    (defaults -0.5 0 3, as hpar)
// Prints the seconds the loop took, rows/s, pixels/s and the total iterations (so the work is
// not optimised away, and to compare with hpar's "result: iterations" line).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s W H MAX_ITER [CENTER_X CENTER_Y SPAN]\n", argv[0]);
    return 2;
  }
  const long w = std::strtol(argv[1], nullptr, 10);
  const long h = std::strtol(argv[2], nullptr, 10);
  const auto max_iter = static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10));
  const double cx0 = argc > 4 ? std::strtod(argv[4], nullptr) : -0.5;
  const double cy0 = argc > 5 ? std::strtod(argv[5], nullptr) : 0.0;
  const double span = argc > 6 ? std::strtod(argv[6], nullptr) : 3.0;
  const double step = span / static_cast<double>(w);

  const auto start = std::chrono::steady_clock::now();
  std::uint64_t iterations = 0;
  for (long row = 0; row < h; ++row) {
    const double cy = cy0 - (static_cast<double>(row) + 0.5 - 0.5 * static_cast<double>(h)) * step;
    for (long col = 0; col < w; ++col) {
      const double cx =
          cx0 + (static_cast<double>(col) + 0.5 - 0.5 * static_cast<double>(w)) * step;
      double x = 0.0, y = 0.0, x2 = 0.0, y2 = 0.0;
      std::uint32_t n = 0;
      while (n < max_iter && x2 + y2 <= 4.0) {
        y = 2.0 * x * y + cy;
        x = x2 - y2 + cx;
        x2 = x * x;
        y2 = y * y;
        ++n;
      }
      iterations += n;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("seconds %.6f rows/s %.6g pixels/s %.6g iterations %llu\n", seconds,
              static_cast<double>(h) / seconds, static_cast<double>(w * h) / seconds,
              static_cast<unsigned long long>(iterations));
  return 0;
}
