// SPDX-License-Identifier: BSD-3-Clause
// The built-in jobs: one list. Adding a job = one file in jobs/ defining
// `hpar::JobInfo hpar::jobs::NAME_job()` + one X(NAME) line here.

#include "hpar/jobs/builtin.hpp"

#define HPAR_JOB_LIST(X) \
  X(numbers) X(pi) X(integrate) X(primes) X(wordcount) X(mandelbrot) X(triad) X(farm)

namespace hpar {
namespace jobs {
#define HPAR_DECLARE_JOB(name) JobInfo name##_job();
HPAR_JOB_LIST(HPAR_DECLARE_JOB)
#undef HPAR_DECLARE_JOB
}  // namespace jobs

std::vector<JobInfo> builtin_jobs() {
#define HPAR_LIST_JOB(name) jobs::name##_job(),
  return {HPAR_JOB_LIST(HPAR_LIST_JOB)};
#undef HPAR_LIST_JOB
}

}  // namespace hpar
