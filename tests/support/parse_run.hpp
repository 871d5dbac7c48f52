// SPDX-License-Identifier: BSD-3-Clause
// Shared by the unit and MPI tests: a job's command line parsed as `hpar run` parses it.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <string>
#include <vector>

#include "hpar/cli/cli.hpp"

namespace hpar_test {

/// `hpar run ARGS` (JOB first) parsed as the command line parses it, with no options beyond
/// the job's and the shared ones; throws hpar::UsageError as `hpar run` would.
inline hpar::ParsedRun parse(const std::vector<std::string>& args) {
  return hpar::parse_job_command(args, boost::program_options::options_description());
}

}  // namespace hpar_test
