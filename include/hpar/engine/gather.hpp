// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Bulk gathers on contiguous buffers (never element by element, never via serialisation).

#include <boost/mpi/communicator.hpp>
#include <climits>
#include <cstdint>
#include <cstring>
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

/// gather_bytes for trivially copyable values: rank-order concatenation on `root`.
template <class T>
[[nodiscard]] std::vector<T> gather_values(const boost::mpi::communicator& comm,
                                           std::span<const T> local, int root = 0) {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::string bytes =
      gather_bytes(comm, {reinterpret_cast<const char*>(local.data()), local.size_bytes()}, root);
  std::vector<T> out(bytes.size() / sizeof(T));
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace hpar
