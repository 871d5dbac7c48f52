// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: an INI file given as --config to `hpar run` (any job: the first byte picks one),
// read by the same parser and checks as the command line. It gives a parsed run or a
// UsageError, never another exception, a crash or a hang.

#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "hpar/cli/cli.hpp"
#include "hpar/core/errors.hpp"
#include "hpar/core/job.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto jobs = hpar::job_registry();
  const hpar::JobInfo& job = jobs[data[0] % jobs.size()];
  const hpar::fuzz::TempFile file(hpar::fuzz::text_of(data + 1, size - 1));
  const std::vector<std::string> args = {std::string(job.name), "--config", file.path()};
  try {
    const hpar::ParsedRun parsed =
        hpar::parse_job_command(args, boost::program_options::options_description());
    // Building the job checks every value; it must not allocate for the work (prepare does).
    (void)parsed.job->make(parsed.vm, hpar::JobContext{});
  } catch (const hpar::UsageError&) {
  }
  return 0;
}
