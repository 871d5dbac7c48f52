// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/platform/host.hpp"

#include <mpi.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <numeric>

#include "hpar/core/errors.hpp"

namespace hpar {

std::string thread_level_name() {
  int level = 0;
  MPI_Query_thread(&level);
  switch (level) {
    case MPI_THREAD_SINGLE:
      return "single";
    case MPI_THREAD_FUNNELED:
      return "funneled";
    case MPI_THREAD_SERIALIZED:
      return "serialized";
    case MPI_THREAD_MULTIPLE:
      return "multiple";
    default:
      return "unknown";
  }
}

std::string mpi_library_version() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string s(text, static_cast<std::size_t>(len));
  s = s.substr(0, s.find_first_of("\n,"));
  std::replace(s.begin(), s.end(), '\t', ' ');  // MPICH: "MPICH Version:<TAB>4.0.2"
  return s;
}

std::vector<RankPlacement> gather_placements(const boost::mpi::communicator& comm, int threads) {
  RankPlacement mine{comm.rank(), host_name(), threads, rank_cpus()};
  std::vector<std::string> hosts;
  boost::mpi::all_gather(comm, mine.host, hosts);
  std::vector<int> thread_counts;
  boost::mpi::all_gather(comm, threads, thread_counts);
  std::vector<int> cpu_counts;
  boost::mpi::all_gather(comm, static_cast<int>(mine.cpus.size()), cpu_counts);
  std::vector<int> all_cpus;
  const int total = std::accumulate(cpu_counts.begin(), cpu_counts.end(), 0);
  all_cpus.resize(static_cast<std::size_t>(total));
  std::vector<int> displs(cpu_counts.size(), 0);
  std::partial_sum(cpu_counts.begin(), cpu_counts.end() - 1, displs.begin() + 1);
  check_mpi(
      MPI_Allgatherv(mine.cpus.data(), static_cast<int>(mine.cpus.size()), MPI_INT, all_cpus.data(),
                     cpu_counts.data(), displs.data(), MPI_INT, MPI_Comm(comm)),
      "MPI_Allgatherv");
  std::vector<RankPlacement> out(static_cast<std::size_t>(comm.size()));
  for (int r = 0; r < comm.size(); ++r) {
    out[r] = {r, hosts[r], thread_counts[r],
              std::vector<int>(all_cpus.begin() + displs[r],
                               all_cpus.begin() + displs[r] + cpu_counts[r])};
  }
  return out;
}

}  // namespace hpar
