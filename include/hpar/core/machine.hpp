// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// The machine this process runs on, as the operating system tells it (no MPI): its host name
/// and the CPUs the calling thread may run on. One definition for every layer.

#include <string>
#include <vector>

namespace hpar {

/// This host's name (gethostname; "?" when the system cannot tell). MPI's processor name is the
/// same name on Open MPI and MPICH.
[[nodiscard]] std::string host_name();

/// The CPUs the calling thread may run on (its affinity mask), ascending; empty if unreadable.
[[nodiscard]] std::vector<int> affinity_cpus();

}  // namespace hpar
