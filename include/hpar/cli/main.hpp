// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The whole program in one call: what `hpar` itself runs, for a program with jobs of its own.

#include <vector>

#include "hpar/core/job.hpp"
#include "hpar/core/program.hpp"

namespace hpar {

/// Runs the program on every rank: starts MPI (thread level serialized) and the stop
/// handlers, then the command line of `argv` (run, scale, list, help, slurm, affinity,
/// collect, plot, --version) with `jobs` as the program's jobs, and returns the exit code
/// every rank agrees on (0 ok, 1 runtime failure, 2 bad usage or input, 3 verification failed,
/// 4 stopped by a signal). Two jobs of one name are refused at start-up (exit 2). Call it once,
/// from ::main: `return hpar::main(argc, argv, {my_job});`
///
/// The program is itself: `program`'s name (default: argv[0]'s basename) in its usage, hints,
/// error lines ("NAME: error: ...") and --version, with `program.version` if given; it has
/// exactly the jobs given (the `farm` command only when a job named farm is among them).
int main(int argc, char** argv, const std::vector<JobInfo>& jobs, Program program = {});

}  // namespace hpar
