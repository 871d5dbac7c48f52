// SPDX-License-Identifier: BSD-3-Clause
// The program's job list: a Registry checks it once; the innermost RegistryScope makes it the
// one job_registry() and find_job() see.

#include <algorithm>
#include <cctype>

#include "hpar/core/errors.hpp"
#include "hpar/core/job.hpp"

namespace hpar {
namespace {

/// The registry of the innermost live RegistryScope, or nullptr.
const Registry*& current_registry() {
  static const Registry* current = nullptr;
  return current;
}

void check_name(const JobInfo& job) {
  if (job.name.empty()) throw UsageError("a job has an empty name");
  const bool blank = std::any_of(job.name.begin(), job.name.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c));
  });
  if (blank || job.name.front() == '-') {
    throw UsageError("bad job name '" + job.name + "': no spaces, and no '-' first");
  }
  if (!job.add_options || !job.make) {
    throw UsageError("job '" + job.name + "' lacks its add_options or make function");
  }
}

}  // namespace

Registry::Registry(std::vector<JobInfo> jobs) : jobs_(std::move(jobs)) {
  for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
    check_name(*it);
    if (std::any_of(jobs_.begin(), it, [&](const JobInfo& j) { return j.name == it->name; })) {
      throw UsageError("two jobs are named '" + it->name +
                       "': the jobs handed to the program must have different names");
    }
  }
}

const JobInfo* Registry::find(std::string_view name) const noexcept {
  const auto it =
      std::find_if(jobs_.begin(), jobs_.end(), [&](const JobInfo& j) { return j.name == name; });
  return it == jobs_.end() ? nullptr : &*it;
}

RegistryScope::RegistryScope(const Registry& registry) noexcept : previous_(current_registry()) {
  current_registry() = &registry;
}

RegistryScope::~RegistryScope() {
  current_registry() = previous_;
}

std::span<const JobInfo> job_registry() {
  const Registry* r = current_registry();
  return r == nullptr ? std::span<const JobInfo>() : r->jobs();
}

const JobInfo* find_job(std::string_view name) {
  const Registry* r = current_registry();
  return r == nullptr ? nullptr : r->find(name);
}

}  // namespace hpar
