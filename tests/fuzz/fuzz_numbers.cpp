// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the numbers job's inputs: the input as --range, as --inputs and as the contents
// of --input-file. Accepted inputs make a job whose plan counts them; a small one is run
// serially and must pass its own verification (the checksum against the closed form), and the
// file's inputs must read back as the same list through --inputs.

#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "hpar/core/errors.hpp"
#include "job_harness.hpp"

using hpar::fuzz::require;

namespace {

/// Makes the job from `args`; when it is small, runs it serially and checks its verdict.
/// Returns the job's output (empty when refused or too big to run).
std::string try_job(std::vector<std::string> args) {
  std::unique_ptr<hpar::Job> job;
  try {
    job = hpar::testing::make_job("numbers", std::move(args));
  } catch (const hpar::UsageError&) {
    return {};
  }
  const hpar::WorkPlan plan = job->plan();
  if (plan.items > 20000) return {};
  hpar::Gathered g = hpar::testing::run_serially(*job);
  const hpar::JobResult r = job->finish(g);
  require(r.verification.status == hpar::Verification::Status::pass, "numbers verifies");
  return g.ordered;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = hpar::fuzz::text_of(data, size);
  if (text.find('\0') == std::string::npos) {  // command-line words hold no NUL
    (void)try_job({"--range", text, "--steps", "2"});
    (void)try_job({"--inputs", text, "--steps", "1"});
  }
  const hpar::fuzz::TempFile file(text);
  const std::string from_file = try_job({"--input-file", file.path(), "--steps", "1"});
  if (!from_file.empty()) {  // the same inputs, listed, give the same lines
    std::string list;
    for (std::size_t at = 0; at < from_file.size();) {
      const std::size_t colon = from_file.find(':', at);
      list += (list.empty() ? "" : ",") + from_file.substr(at, colon - at);
      at = from_file.find('\n', colon) + 1;
    }
    require(try_job({"--inputs", list, "--steps", "1"}) == from_file, "file and list agree");
  }
  return 0;
}
