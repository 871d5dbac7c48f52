// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/comm/agreement.hpp"

#include <boost/mpi/collectives.hpp>
#include <string>
#include <utility>

#include "hpar/core/errors.hpp"
#include "hpar/core/machine.hpp"  // host_name()

namespace hpar {
void agree(const boost::mpi::communicator& comm, const std::exception_ptr& local) {
  const int rank = comm.rank();
  const int failing = local ? rank : comm.size();
  int first = 0;
  boost::mpi::all_reduce(comm, failing, first, boost::mpi::minimum<int>());
  if (first == comm.size()) return;
  auto [code, message] = local && rank == first ? describe(local) : std::pair<int, std::string>{};
  std::string host = rank == first ? host_name() : std::string();
  boost::mpi::broadcast(comm, code, first);
  boost::mpi::broadcast(comm, message, first);
  boost::mpi::broadcast(comm, host, first);
  const bool name_rank =
      comm.size() > 1 && (code != static_cast<int>(ExitCode::usage) || first != 0);
  if (name_rank) message = "rank " + std::to_string(first) + " (" + host + "): " + message;
  throw Error(static_cast<ExitCode>(code), message);
}

}  // namespace hpar
