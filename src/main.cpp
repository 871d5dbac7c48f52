// hpar: hybrid MPI + OpenMP parallel runner.
// main() only sets up MPI (funneled: only the main thread calls MPI) and the stop handlers;
// src/cli.cpp reads the command line and runs the subcommand.

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <string>
#include <vector>

#include "hpar/cli.hpp"
#include "hpar/engine.hpp"

int main(int argc, char** argv) {
  // abort_on_exception: last resort only; cli_main catches and agrees on every hpar error.
  boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled, true);
  const boost::mpi::communicator world;
  hpar::install_stop_handlers();
  return hpar::cli_main(world, std::vector<std::string>(argv + 1, argv + argc));
}
