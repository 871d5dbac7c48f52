// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The end of a command's steps: whether a stop signal reached any rank, and the exit code every
/// rank then leaves the command with. The steps themselves (on_every_rank, on_root) are the
/// collective helpers in hpar/comm/steps.hpp.

#include <boost/mpi/collectives/all_reduce.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/operations.hpp>
#include <iostream>
#include <string>

#include "hpar/core/errors.hpp"
#include "hpar/core/stop.hpp"

namespace hpar {

/// Whether a stop signal (SIGTERM, SIGINT, SIGUSR1) reached any rank of `comm` so far.
/// Collective: the commands ask it where a stop must end every rank alike (before and after
/// their output phase, between the points of a study).
[[nodiscard]] inline bool stop_requested_anywhere(const boost::mpi::communicator& comm) {
  int stopped = stop_requested() ? 1 : 0;
  int any = 0;
  boost::mpi::all_reduce(comm, stopped, any, boost::mpi::maximum<int>());
  return any != 0;
}

/// The end of a command whose output phase is over: `code`, or 4 on every rank when a stop
/// signal reached any rank by now (rank 0 then prints "stopped by a signal ...; `what`").
/// Collective.
[[nodiscard]] inline int stopped_after(const boost::mpi::communicator& comm, int code,
                                       const std::string& what) {
  if (!stop_requested_anywhere(comm)) return code;
  if (comm.rank() == 0) std::cerr << "hpar: error: stopped by a signal; " << what << "\n";
  return static_cast<int>(ExitCode::interrupted);
}

}  // namespace hpar
