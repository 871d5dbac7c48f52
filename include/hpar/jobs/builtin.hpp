// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The built-in jobs of hpar (numbers, pi, integrate, primes, wordcount, mandelbrot, triad,
/// farm), in library hpar::jobs. A program of one's own hands them to hpar::main beside its own
/// jobs, or leaves them out.

#include <vector>

#include "hpar/core/job.hpp"

namespace hpar {

/// The built-in jobs, in the order `hpar list` shows them (jobs/registry.cpp: one list).
[[nodiscard]] std::vector<JobInfo> builtin_jobs();

}  // namespace hpar
