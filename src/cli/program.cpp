// SPDX-License-Identifier: BSD-3-Clause
// hpar::main: MPI start-up and the command line, for `hpar` and for programs of one's own.
// MPI is serialized: the engine calls MPI from the main thread only, but ByteReader's MPI-IO
// reads come from worker threads, one at a time.

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <string>
#include <utility>

#include "hpar/cli/cli.hpp"
#include "hpar/cli/main.hpp"
#include "hpar/engine/signals.hpp"

namespace hpar {

namespace {

/// The basename of argv[0] ("hpar" when there is none).
std::string own_name(int argc, char** argv) {
  const std::string path = argc > 0 && argv[0] != nullptr ? argv[0] : "";
  std::string name = path.substr(path.find_last_of('/') + 1);
  return name.empty() ? "hpar" : name;
}

}  // namespace

int main(int argc, char** argv, const std::vector<JobInfo>& jobs, Program program) {
  if (program.name.empty()) program.name = own_name(argc, argv);
  const ProgramScope self(std::move(program));
  // Stop handlers first: a SIGTERM during MPI start-up then asks for a clean stop too.
  // abort_on_exception: last resort only; cli_main catches and agrees on every hpar error.
  install_stop_handlers();
  const std::vector<std::string> args(argv + 1, argv + argc);
  // `hpar sweep` launches MPI programs itself: it must not be one (no MPI_Init).
  if (const auto code = cli_main_without_mpi(args, jobs)) return *code;
  const boost::mpi::environment env(argc, argv, boost::mpi::threading::serialized, true);
  const boost::mpi::communicator world;
  return cli_main(world, args, jobs);
}

}  // namespace hpar
