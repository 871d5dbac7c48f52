// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Bulk gathers on contiguous buffers (never element by element, never via serialisation).

#include <boost/mpi/communicator.hpp>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "hpar/core/errors.hpp"

namespace hpar {

/// Largest message one MPI call carries (MPI counts are `int`).
inline constexpr std::uint64_t max_mpi_message = INT_MAX;

/// Concatenates every rank's bytes on `root` in rank order; other ranks get "".
/// Collective. Totals above `max_message` bytes (default: INT_MAX) are moved in pieces of at
/// most `max_message` bytes, so results past 2^31 bytes gather correctly; tests lower the limit.
[[nodiscard]] std::string gather_bytes(const boost::mpi::communicator& comm,
                                       std::span<const char> local, int root = 0,
                                       std::uint64_t max_message = max_mpi_message);

/// gather_bytes into the caller's buffer: on `root`, `place(total)` makes room for the total
/// and returns where it starts (the bytes land there, not copied again); other ranks never call
/// it. Collective; same limits as gather_bytes.
void gather_bytes_into(const boost::mpi::communicator& comm, std::span<const char> local,
                       const std::function<char*(std::uint64_t)>& place, int root = 0,
                       std::uint64_t max_message = max_mpi_message);

/// gather_bytes for trivially copyable values: rank-order concatenation on `root`.
template <class T>
[[nodiscard]] std::vector<T> gather_values(const boost::mpi::communicator& comm,
                                           std::span<const T> local, int root = 0) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<T> out;
  gather_bytes_into(
      comm, {reinterpret_cast<const char*>(local.data()), local.size_bytes()},
      [&out](std::uint64_t total) {
        out.resize(total / sizeof(T));
        return reinterpret_cast<char*>(out.data());
      },
      root);
  return out;
}

}  // namespace hpar
