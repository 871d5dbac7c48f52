#pragma once
// The subcommands of the hpar program, one function each (src/cmd_*.cpp). Each runs on every
// rank, throws hpar::Error on failure and returns the exit code; cli_main lists them in one
// table and handles errors.

#include <boost/mpi/communicator.hpp>
#include <span>
#include <string>

namespace hpar {

/// `hpar run JOB [options]`: one run of a job, results and report on rank 0.
int run_command(const boost::mpi::communicator& world, std::span<const std::string> args);

}  // namespace hpar
