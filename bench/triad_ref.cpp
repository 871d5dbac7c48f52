// SPDX-License-Identifier: BSD-3-Clause
// STREAM-style reference for the triad job: a[j] = b[j] + s*c[j] over N doubles, OpenMP
// parallel for with a static schedule (threads from OMP_NUM_THREADS), arrays first touched by
// the same static loop, then R timed repeats.
//   triad_ref N R
// Prints the best and median GB/s over the R repeats, counting 24 bytes per element as STREAM
// does, and a checksum of a.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s N R\n", argv[0]);
    return 2;
  }
  const long n = std::strtol(argv[1], nullptr, 10);
  const int repeat = std::atoi(argv[2]);
  const double scalar = 3.0;
  std::unique_ptr<double[]> a(new double[static_cast<std::size_t>(n)]);
  std::unique_ptr<double[]> b(new double[static_cast<std::size_t>(n)]);
  std::unique_ptr<double[]> c(new double[static_cast<std::size_t>(n)]);
  double* pa = a.get();
  double* pb = b.get();
  double* pc = c.get();
#pragma omp parallel for schedule(static)
  for (long j = 0; j < n; ++j) {
    pa[j] = 0.0;
    pb[j] = static_cast<double>(j % 1009);
    pc[j] = static_cast<double>(1 + j % 13);
  }
  std::vector<double> seconds;
  for (int k = 0; k < repeat; ++k) {
    const double start = omp_get_wtime();
#pragma omp parallel for schedule(static)
    for (long j = 0; j < n; ++j) pa[j] = pb[j] + scalar * pc[j];
    seconds.push_back(omp_get_wtime() - start);
  }
  std::sort(seconds.begin(), seconds.end());
  const double bytes = 24.0 * static_cast<double>(n);
  const double median = seconds.size() % 2 == 1
                            ? seconds[seconds.size() / 2]
                            : 0.5 * (seconds[seconds.size() / 2 - 1] + seconds[seconds.size() / 2]);
  double checksum = 0.0;
  for (long j = 0; j < n; ++j) checksum += pa[j];
  std::printf("threads %d best_GB/s %.4f median_GB/s %.4f checksum %.17g\n", omp_get_max_threads(),
              bytes / seconds.front() / 1e9, bytes / median / 1e9, checksum);
  return 0;
}
