// SPDX-License-Identifier: BSD-3-Clause
// hpar: hybrid MPI + OpenMP parallel runner: the built-in jobs, handed to the one entry point
// that programs of one's own call too (src/cli/program.cpp starts MPI and reads the command).

#include "hpar/cli/main.hpp"
#include "hpar/jobs/builtin.hpp"

int main(int argc, char** argv) {
  return hpar::main(argc, argv, hpar::builtin_jobs(), {.name = "hpar"});
}
