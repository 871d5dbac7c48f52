// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Memory checked before it is spent: what each rank of a run will allocate (from the job's
/// declared plan and the engine's own per-block results), what each rank may use (the host's
/// available memory shared by the ranks on it, the cgroup limit, `ulimit -v`), and the check of
/// one against the other that the engine makes at set-up, before the job allocates anything.

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hpar/core/job.hpp"

namespace hpar {

/// What one rank of a run will allocate, by part, in bytes. An estimate from the plan: at
/// least what the run allocates for data whose size comes from the input.
struct MemoryNeed {
  std::uint64_t job = 0;       ///< the job's data: WorkPlan::memory_per_rank, per item, on root
  std::uint64_t partials = 0;  ///< the engine's per-block results (block index and partials)
  std::uint64_t output = 0;    ///< ordered output held before it is written or spilled
  /// The sum of the parts (saturating at 2^64-1).
  [[nodiscard]] std::uint64_t total() const noexcept;
};

/// What rank `rank` of `ranks` needs to run `plan`: the job's declared memory (per rank, per
/// item of the largest slice a rank can get, and on rank 0), the engine's per-block results
/// (each rank keeps its blocks' results; rank 0 gathers and places all of them), and, for
/// ordered output that streams to a file or standard output, `output_buffer` bytes held before
/// they spill.
[[nodiscard]] MemoryNeed memory_need(const WorkPlan& plan, int rank, int ranks,
                                     std::uint64_t output_buffer);

/// The limits that bind this process's allocations, read now. An absent value: no such limit.
struct MemoryLimits {
  std::optional<std::uint64_t> host_available;  ///< MemAvailable of the host (/proc/meminfo)
  /// The tightest cgroup memory limit over this process's cgroup and its ancestors, less that
  /// cgroup's usage (v2: memory.max - memory.current; v1: memory.limit_in_bytes -
  /// memory.usage_in_bytes). Shared by every process of the cgroup.
  std::optional<std::uint64_t> cgroup_free;
  std::uint64_t cgroup_limit = 0;  ///< that limit (when cgroup_free)
  std::string cgroup;              ///< that cgroup's directory (who shares the limit)
  /// RLIMIT_AS (`ulimit -v`) less the address space this process already maps (VmSize). This
  /// process's own.
  std::optional<std::uint64_t> address_space_free;
  std::uint64_t address_space_limit = 0;  ///< RLIMIT_AS (when address_space_free)
};

/// The limits of this process, from /proc and the cgroup file system.
[[nodiscard]] MemoryLimits read_memory_limits();

/// MemAvailable of a /proc/meminfo text, in bytes; none when it has no such line.
[[nodiscard]] std::optional<std::uint64_t> meminfo_available(std::string_view meminfo);

/// The tightest memory limit of the cgroup a /proc/self/cgroup text names, found through a
/// /proc/self/mountinfo text (cgroup v2, or v1's memory controller), less its usage. The file
/// system is read under `root` (tests pass a fake tree; "" is the real one). Sets
/// `limits.cgroup_free`, `cgroup_limit` and `cgroup` when some cgroup on the way sets a limit.
void read_cgroup_limit(std::string_view proc_cgroup, std::string_view mountinfo,
                       const std::string& root, MemoryLimits& limits);

/// One rank's need and limits, as the check sees them.
struct RankMemory {
  std::string host;
  MemoryNeed need;
  MemoryLimits limits;
};

/// The verdict on every rank's need against the limits (pure, the same on every rank): empty
/// when the run fits, else the one-line reason: the first of a rank beyond its `ulimit -v`,
/// the ranks of a cgroup beyond its limit, the ranks of a host beyond its available memory,
/// with the need and the limit.
[[nodiscard]] std::string memory_verdict(const std::vector<RankMemory>& ranks);

/// Collective over `comm`: gathers every rank's need (memory_need of `plan`) and limits and
/// throws UsageError, the same on every rank, when the run does not fit (memory_verdict). The
/// engine calls it at set-up, after the job is built and before it allocates.
void check_memory(const boost::mpi::communicator& comm, const WorkPlan& plan,
                  std::uint64_t output_buffer);

/// Bytes for people, three significant digits: "512 B", "1.5 KiB", "3.21 GiB", "738 MiB".
[[nodiscard]] std::string format_bytes(std::uint64_t bytes);

}  // namespace hpar
