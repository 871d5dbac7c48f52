// SPDX-License-Identifier: BSD-3-Clause
#pragma once
/// Where every thread of every rank runs (like xthi), the host topology from hwloc, and the
/// verdicts `hpar affinity` gives in plain words. The verdicts are a pure function of
/// placements and topologies, so tests can feed synthetic masks.

#include <boost/mpi/communicator.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hpar/platform/layout.hpp"

namespace hpar {

/// One OpenMP thread of a rank, as sampled inside a parallel region.
struct ThreadPlacement {
  int thread = 0;
  int cpu_now = -1;       ///< sched_getcpu() when sampled
  std::vector<int> cpus;  ///< the thread's affinity mask, ascending
};

/// One rank and its threads.
struct RankAffinity {
  int rank = 0;
  std::string host;
  std::vector<int> cpus;  ///< the rank's (main thread's) mask before the parallel region
  std::vector<ThreadPlacement> threads;
};

/// What hwloc says of one host. CPUs are OS indices (as in affinity masks).
struct HostTopology {
  std::vector<int> allowed_cpus;  ///< CPUs the allocation may use (cgroup/cpuset), ascending
  std::map<int, int> core_of;     ///< CPU -> core (hwloc logical index)
  std::map<int, int> numa_of;     ///< CPU -> NUMA node (OS index)
};

/// How serious a verdict is: a problem slows the job down; advice leaves performance or
/// steadiness on the table.
enum class Severity { problem, advice };

/// One finding in plain words, ending with the launcher flag that fixes it.
struct Verdict {
  Severity severity = Severity::advice;
  std::string text;
};

/// This host's topology from hwloc. Throws RuntimeError when hwloc cannot load it.
[[nodiscard]] HostTopology host_topology();

/// This rank's placement with `threads` OpenMP threads: each thread runs briefly, then reports
/// its CPU and mask. Call from the main thread; no MPI inside.
[[nodiscard]] RankAffinity sample_affinity(int rank, const std::string& host, int threads);

/// Gathers every rank's placement and its host's topology to rank 0 (rank order); other ranks
/// get empty results. Collective.
void gather_affinity(const boost::mpi::communicator& comm, const RankAffinity& mine,
                     const HostTopology& topology, std::vector<RankAffinity>& ranks,
                     std::map<std::string, HostTopology>& hosts);

/// The verdicts on a layout: the rank-level warnings of layout_warnings (over-subscribed hosts,
/// more threads than CPUs in a mask, overlapping ranks short of CPUs) as problems, then from
/// the topology: threads sharing a core, ranks whose masks overlap, cores of the allocation
/// left idle and ranks spanning NUMA domains. Hosts without a topology get the rank-level
/// checks only. Empty when the layout is sound.
[[nodiscard]] std::vector<Verdict> affinity_verdicts(
    const std::vector<RankAffinity>& ranks, const std::map<std::string, HostTopology>& hosts);

/// The xthi-like table: host, rank, thread, CPU now, mask (ranges), NUMA node(s) of the mask.
[[nodiscard]] std::string affinity_table(const std::vector<RankAffinity>& ranks,
                                         const std::map<std::string, HostTopology>& hosts);

/// The placements, topologies and verdicts as JSON (schema "hpar-affinity/1").
[[nodiscard]] nlohmann::json affinity_json(const std::vector<RankAffinity>& ranks,
                                           const std::map<std::string, HostTopology>& hosts,
                                           const std::vector<Verdict>& verdicts);

}  // namespace hpar
