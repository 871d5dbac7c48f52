// The job registry: one list. Adding a job = one file in jobs/ defining
// `hpar::JobInfo hpar::jobs::NAME_job()` + one X(NAME) line here.

#include <algorithm>
#include <vector>

#include "hpar/core/job.hpp"

#define HPAR_JOB_LIST(X) X(numbers) X(pi) X(integrate) X(primes) X(wordcount) X(mandelbrot) X(triad)

namespace hpar {
namespace jobs {
#define HPAR_DECLARE_JOB(name) JobInfo name##_job();
HPAR_JOB_LIST(HPAR_DECLARE_JOB)
#undef HPAR_DECLARE_JOB
}  // namespace jobs

std::span<const JobInfo> job_registry() {
#define HPAR_LIST_JOB(name) jobs::name##_job(),
  static const std::vector<JobInfo> list{HPAR_JOB_LIST(HPAR_LIST_JOB)};
#undef HPAR_LIST_JOB
  return list;
}

const JobInfo* find_job(std::string_view name) {
  const auto jobs = job_registry();
  const auto it =
      std::find_if(jobs.begin(), jobs.end(), [&](const JobInfo& j) { return j.name == name; });
  return it == jobs.end() ? nullptr : &*it;
}

}  // namespace hpar
