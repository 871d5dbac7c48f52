// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The host and MPI library a rank runs on, and where every rank of a communicator sits.

#include <boost/mpi/communicator.hpp>
#include <string>
#include <vector>

#include "hpar/core/machine.hpp"  // host_name()
#include "hpar/platform/layout.hpp"

namespace hpar {

/// Thread level MPI provides, by name ("single", "funneled", "serialized", "multiple").
[[nodiscard]] std::string thread_level_name();

/// First line of MPI_Get_library_version, tabs as spaces: "Open MPI v4.1.4",
/// "MPICH Version: 4.0.2".
[[nodiscard]] std::string mpi_library_version();

/// Placement of every rank with `threads` threads each, gathered to every rank. Collective.
[[nodiscard]] std::vector<RankPlacement> gather_placements(const boost::mpi::communicator& comm,
                                                           int threads);

}  // namespace hpar
