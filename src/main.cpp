// hpar: hybrid MPI + OpenMP parallel runner.
// main() only sets up MPI (serialized: the engine calls MPI from the main thread only, but
// ByteReader's MPI-IO reads come from worker threads, one at a time) and the stop handlers;
// src/cli.cpp reads the command line and runs the subcommand.

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <string>
#include <vector>

#include "hpar/cli/cli.hpp"
#include "hpar/engine/engine.hpp"

int main(int argc, char** argv) {
  // abort_on_exception: last resort only; cli_main catches and agrees on every hpar error.
  // Stop handlers first: a SIGTERM during MPI start-up then asks for a clean stop too.
  hpar::install_stop_handlers();
  const std::vector<std::string> args(argv + 1, argv + argc);
  // `hpar sweep` launches MPI programs itself: it must not be one (no MPI_Init).
  if (const auto code = hpar::cli_main_without_mpi(args)) return *code;
  boost::mpi::environment env(argc, argv, boost::mpi::threading::serialized, true);
  const boost::mpi::communicator world;
  return hpar::cli_main(world, args);
}
