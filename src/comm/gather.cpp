// SPDX-License-Identifier: BSD-3-Clause
#include "hpar/comm/gather.hpp"

#include <mpi.h>

#include <algorithm>
#include <boost/mpi/collectives/all_gather.hpp>

#include "hpar/core/errors.hpp"

namespace hpar {

std::string gather_bytes(const boost::mpi::communicator& comm, std::span<const char> local,
                         int root, std::uint64_t max_message) {
  std::string out;
  gather_bytes_into(
      comm, local,
      [&out](std::uint64_t total) {
        out.resize(total);
        return out.data();
      },
      root, max_message);
  return out;
}

void gather_bytes_into(const boost::mpi::communicator& comm, std::span<const char> local,
                       const std::function<char*(std::uint64_t)>& place, int root,
                       std::uint64_t max_message) {
  const int ranks = comm.size();
  const bool is_root = comm.rank() == root;
  std::vector<std::uint64_t> sizes;
  boost::mpi::all_gather(comm, static_cast<std::uint64_t>(local.size()), sizes);
  std::vector<std::uint64_t> offsets(static_cast<std::size_t>(ranks) + 1, 0);
  for (int r = 0; r < ranks; ++r) offsets[r + 1] = offsets[r] + sizes[r];
  const std::uint64_t total = offsets.back();
  max_message = std::clamp<std::uint64_t>(max_message, 1, max_mpi_message);

  char* out = is_root ? place(total) : nullptr;
  if (total <= max_message) {  // the common case: one MPI_Gatherv straight into place
    std::vector<int> counts(static_cast<std::size_t>(ranks));
    std::vector<int> displs(static_cast<std::size_t>(ranks));
    for (int r = 0; r < ranks; ++r) {
      counts[r] = static_cast<int>(sizes[r]);
      displs[r] = static_cast<int>(offsets[r]);
    }
    check_mpi(MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_BYTE, out,
                          counts.data(), displs.data(), MPI_BYTE, root, MPI_Comm(comm)),
              "MPI_Gatherv");
    return;
  }
  // Past the limit: each rank sends its bytes in pieces of at most max_message bytes and the
  // root receives them in rank order straight into place (bandwidth-bound either way).
  constexpr int tag = 7301;
  if (is_root) {
    std::copy(local.begin(), local.end(), out + offsets[root]);
    for (int r = 0; r < ranks; ++r) {
      if (r == root) continue;
      for (std::uint64_t done = 0; done < sizes[r];) {
        const auto piece = std::min(max_message, sizes[r] - done);
        check_mpi(MPI_Recv(out + offsets[r] + done, static_cast<int>(piece), MPI_BYTE, r, tag,
                           MPI_Comm(comm), MPI_STATUS_IGNORE),
                  "MPI_Recv");
        done += piece;
      }
    }
  } else {
    for (std::uint64_t done = 0; done < local.size();) {
      const auto piece = std::min<std::uint64_t>(max_message, local.size() - done);
      check_mpi(MPI_Send(local.data() + done, static_cast<int>(piece), MPI_BYTE, root, tag,
                         MPI_Comm(comm)),
                "MPI_Send");
      done += piece;
    }
  }
}

}  // namespace hpar
